"""Synthetic production traffic for tests and the demo: requests, ratings and corrections.

Everything is drawn from one ``numpy`` generator seeded by ``seed``, so a run writes the same prompts,
variants, ids, latencies, ratings and corrections every time (timestamps are offsets from ``start``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from finetune_platform.monitoring.store import LogStore

#: Products the synthetic "usual" tickets are about.
USUAL_PRODUCTS: tuple[str, ...] = (
    "router",
    "laptop",
    "printer",
    "invoice",
    "account",
    "subscription",
    "password",
    "delivery",
)

#: Products never seen in the usual tickets: a topic shift with a different vocabulary.
NEW_PRODUCTS: tuple[str, ...] = (
    "hologram projector",
    "quantum wallet",
    "drone battery",
    "smart beehive",
    "lunar rover kit",
)

_ISSUES = (
    "is not working",
    "stopped working yesterday",
    "keeps showing an error",
    "was charged twice",
    "cannot be updated",
    "is very slow",
    "does not arrive",
    "needs to be cancelled",
)
_OPENINGS = ("Hello,", "Hi team,", "Good morning,", "Dear support,", "")
_DETAILS = (
    "I already tried restarting it.",
    "This is the second time this month.",
    "My order number is {number}.",
    "Please help as soon as possible.",
    "I followed the steps in the manual but nothing changed.",
    "Could you tell me what to do next?",
    "",
)
_NEW_DETAILS = (
    "The calibration crystal flickers after the firmware sync.",
    "Its telemetry beacon drops below orbit threshold.",
    "The hive sensor reports swarm humidity anomalies.",
    "The ledger entanglement keys do not synchronise.",
    "Thrusters overheat during docking mode.",
)


def synthetic_tickets(n: int, seed: int = 0, new_topics: bool = False) -> list[str]:
    """``n`` short support tickets. With ``new_topics`` they are about products (and details) that the
    usual tickets never mention, a vocabulary shift a drift detector should see."""
    rng = np.random.default_rng(seed)
    products = NEW_PRODUCTS if new_topics else USUAL_PRODUCTS
    details = _NEW_DETAILS + _DETAILS if new_topics else _DETAILS
    tickets = []
    for _ in range(n):
        parts = [
            _OPENINGS[rng.integers(len(_OPENINGS))],
            f"My {products[rng.integers(len(products))]} {_ISSUES[rng.integers(len(_ISSUES))]}.",
        ]
        for _ in range(rng.integers(0, 3)):
            parts.append(details[rng.integers(len(details))].format(number=int(rng.integers(10_000, 99_999))))
        tickets.append(" ".join(p for p in parts if p))
    return tickets


@dataclass(frozen=True)
class SimulationSummary:
    """What ``simulate_traffic`` wrote."""

    requests: int
    shifted_requests: int
    feedback: int
    negative_feedback: int
    corrections: int
    requests_by_variant: dict[str, int]
    response_ids: list[str]


def simulate_traffic(
    store: LogStore,
    prompts: list[str],
    n: int,
    seed: int = 0,
    variant_shares: dict[str, float] | None = None,
    topic_shift: list[str] | None = None,
    negative_feedback_rate: float = 0.1,
    *,
    shift_share: float = 1.0,
    feedback_rate: float = 0.3,
    correction_rate: float = 0.5,
    start: datetime | None = None,
    days: int = 1,
    model_name: str = "support-assistant",
    model_versions: dict[str, str] | None = None,
) -> SimulationSummary:
    """Write ``n`` synthetic requests (and feedback on some of them) to ``store``.

    Args:
        prompts: the usual prompts (e.g. the training set's), sampled with replacement.
        variant_shares: traffic share per variant (normalised), default ``{"champion": 1.0}``.
        topic_shift: prompts about new topics; when given, ``shift_share`` of the requests use them
            instead of ``prompts`` (the drift the monitor should catch).
        negative_feedback_rate: share of feedback that is a thumbs-down (rating -1); the rest is split
            between thumbs-up and neutral (4:1).
        feedback_rate: share of requests that receive feedback.
        correction_rate: share of thumbs-down feedback that carries a correction (training data).
        start, days: requests are spread evenly (with jitter) over ``days`` days from ``start``
            (default: ``days`` days before now, UTC); feedback follows its request by 1-600 s.
        model_versions: version per variant, default ``"1"`` for the first variant, ``"2"`` for others.
    """
    if n < 0 or days < 1:
        raise ValueError(f"simulate_traffic: need n >= 0 and days >= 1, got n={n}, days={days}")
    if not prompts:
        raise ValueError("simulate_traffic: prompts is empty; pass the usual prompts to sample from")
    for name, rate in (
        ("negative_feedback_rate", negative_feedback_rate),
        ("feedback_rate", feedback_rate),
        ("correction_rate", correction_rate),
        ("shift_share", shift_share),
    ):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"simulate_traffic: {name} must be within [0, 1], got {rate}")
    shares = variant_shares or {"champion": 1.0}
    if not shares or any(v < 0 for v in shares.values()) or sum(shares.values()) <= 0:
        raise ValueError(f"simulate_traffic: variant_shares must be non-negative with a positive sum, got {shares}")
    variants = list(shares)
    probabilities = np.array([shares[v] for v in variants], dtype=float)
    probabilities /= probabilities.sum()
    versions = model_versions or {v: ("1" if i == 0 else "2") for i, v in enumerate(variants)}
    start = start or (datetime.now(UTC) - timedelta(days=days))
    span_s = days * 86_400.0

    rng = np.random.default_rng(seed)
    by_variant = dict.fromkeys(variants, 0)
    ids: list[str] = []
    shifted = feedback = negatives = corrections = 0
    for i in range(n):
        use_shift = bool(topic_shift) and rng.random() < shift_share
        pool = topic_shift if use_shift else prompts
        prompt = pool[rng.integers(len(pool))]
        variant = variants[rng.choice(len(variants), p=probabilities)]
        created = start + timedelta(seconds=float((i + rng.random()) * span_s / max(n, 1)))
        response = _reply(prompt)
        response_id = store.log_request(
            response_id=f"sim-{uuid.UUID(bytes=rng.bytes(16), version=4).hex}",
            prompt=prompt,
            response=response,
            model_name=model_name,
            model_version=versions.get(variant, "1"),
            variant=variant,
            user_id=f"user-{int(rng.integers(1, 500)):03d}",
            latency_ms=float(rng.gamma(4.0, 40.0)),
            prompt_tokens=len(prompt.split()),
            completion_tokens=len(response.split()),
            created_at=created,
        )
        ids.append(response_id)
        by_variant[variant] += 1
        shifted += use_shift
        if rng.random() >= feedback_rate:
            continue
        negative = rng.random() < negative_feedback_rate
        rating = -1 if negative else (1 if rng.random() < 0.8 else 0)
        correction = None
        if negative and rng.random() < correction_rate:
            correction = _correction(prompt)
            corrections += 1
        store.log_feedback(
            response_id,
            rating,
            correction=correction,
            comment="not helpful" if negative else None,
            created_at=created + timedelta(seconds=float(rng.uniform(1, 600))),
        )
        feedback += 1
        negatives += negative
    return SimulationSummary(n, shifted, feedback, negatives, corrections, by_variant, ids)


def _reply(prompt: str) -> str:
    """A generic, unhelpful model answer (what a thumbs-down would be given for)."""
    return "Thank you for contacting support. We have received your message and will get back to you."


def _correction(prompt: str) -> str:
    """The answer a domain expert would have wanted instead: specific to the ticket."""
    first = prompt.split(".")[0].strip() or prompt[:60]
    return (
        f"Sorry about that. Regarding '{first}': please restart the device, "
        "then reply with the error code so we can fix it today."
    )
