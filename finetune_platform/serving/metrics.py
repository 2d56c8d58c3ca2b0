"""Prometheus metrics of the model server, per variant (champion / challenger).

Each server gets its own ``CollectorRegistry`` rather than prometheus_client's global one, so that two
apps in one process (tests, a notebook) never clash on metric names and ``/metrics`` shows only this
server's numbers.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

#: Request latency buckets in seconds: a tiny CPU model answers in tens of milliseconds, a real one in
#: seconds.
LATENCY_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: Batch size buckets: powers of two up to the largest ``max_batch_size`` the settings allow.
BATCH_BUCKETS: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256)

#: Label value for requests that failed before a variant was chosen (bad JSON, unknown model, ...).
NO_VARIANT = "none"


class ServingMetrics:
    """The server's counters, histograms and gauges, and their text exposition for ``/metrics``.

    Names follow Prometheus conventions (``_total`` counters, ``_seconds`` units); every series carries a
    ``variant`` label so that champion and challenger can be compared on one dashboard.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "llm_requests",
            "Completion requests answered, by endpoint, variant and HTTP status code.",
            ["endpoint", "variant", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "llm_request_errors",
            "Requests that ended in an error, by endpoint, variant and OpenAI error type.",
            ["endpoint", "variant", "error_type"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "llm_request_latency_seconds",
            "Time from receiving a completion request to having its answer (queueing, batching, generation).",
            ["endpoint", "variant"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "llm_batch_size",
            "Prompts per call of the model's batch generate function.",
            ["variant"],
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.cache_hits = Counter(
            "llm_cache_hits", "Completions answered from the response cache.", ["variant"], registry=self.registry
        )
        self.cache_misses = Counter(
            "llm_cache_misses",
            "Cacheable (greedy) completions that were not in the response cache.",
            ["variant"],
            registry=self.registry,
        )
        self.tokens = Counter(
            "llm_tokens", "Tokens processed, by variant and kind (prompt / completion).", ["variant", "kind"],
            registry=self.registry,
        )
        self.retrieval_latency = Histogram(
            "llm_retrieval_latency_seconds",
            "Time to search the knowledge index for one chat request (hybrid RAG).",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )
        self.retrievals = Counter(
            "llm_retrievals",
            "Chat requests answered with the knowledge index, by outcome (passages: some were added; "
            "no_passages: nothing matched the question).",
            ["outcome"],
            registry=self.registry,
        )
        self.domain_routes = Counter(
            "llm_domain_routes",
            "Chat requests routed by the domain router, by domain and outcome (specialist, or the generalist "
            "because of low_confidence, generalist_domain, not_deployed or kill_switch).",
            ["domain", "outcome"],
            registry=self.registry,
        )
        self.canary_share = Gauge(
            "llm_canary_share", "Configured share of users routed to the challenger (0..1).", registry=self.registry
        )
        self.kill_switch = Gauge(
            "llm_kill_switch_engaged", "1 while the kill switch sends all traffic to the champion.",
            registry=self.registry,
        )

    def observe_request(self, endpoint: str, variant: str, status: int, latency_s: float) -> None:
        """One answered completion request (successful or not)."""
        self.requests.labels(endpoint=endpoint, variant=variant, status=str(status)).inc()
        self.latency.labels(endpoint=endpoint, variant=variant).observe(latency_s)

    def observe_error(self, endpoint: str, variant: str, status: int, error_type: str) -> None:
        """One failed request: counted as a request with its status and as an error of its type."""
        self.requests.labels(endpoint=endpoint, variant=variant, status=str(status)).inc()
        self.errors.labels(endpoint=endpoint, variant=variant, error_type=error_type).inc()

    def observe_tokens(self, variant: str, prompt_tokens: int, completion_tokens: int) -> None:
        self.tokens.labels(variant=variant, kind="prompt").inc(prompt_tokens)
        self.tokens.labels(variant=variant, kind="completion").inc(completion_tokens)

    def set_rollout(self, canary_share: float, kill_switch: bool) -> None:
        self.canary_share.set(canary_share)
        self.kill_switch.set(1 if kill_switch else 0)

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
