"""A/B analysis of production traffic: is the challenger better, worse, or is it too early to say?

Input is what the log store returns for a window (``LogStore.requests_between`` and
``feedback_between``): every served request with its variant, latency and status, and the users' ratings.
Per variant the report gives traffic, error rate, latency p50/p95, feedback rate, mean rating and
thumbs-down rate (and escalation / resolution rates when the frames carry ``escalated`` / ``resolved``
columns). The treatment is compared with the control metric by metric:

- rates (thumbs-down, errors, escalations, resolutions): two-proportion z-test, or Fisher's exact test
  when an expected cell count is below 5; the interval of the difference is Newcombe's hybrid score
  interval (built from two Wilson intervals), which stays sensible for rates near 0 that the normal
  interval gets wrong;
- mean rating (-1/0/1): Welch's t-test and its interval (scipy);
- latency: Mann-Whitney U (latencies are skewed; a few slow requests must not decide the test), with a
  bootstrap interval of the difference in medians.

Several metrics are tested at once, so the p-values are Holm-adjusted: the chance that *any* metric comes
out significant when the variants do not differ stays at or below ``alpha``. The recommendation:

- **roll back**: some metric is significantly worse for the treatment (latency only when its median also
  rose by more than ``max_latency_increase``). Decided as soon as the evidence is there, even below
  ``min_samples``: a harmful model should not serve until a quota is met.
- **inconclusive: need N more samples**: fewer than ``min_samples`` rated responses in a variant, or no
  significant difference while the sample is too small to detect ``min_detectable_effect`` in the
  thumbs-down rate with the wanted ``power``; N is the shortfall in rated responses per variant.
- **promote**: the thumbs-down rate or the mean rating is significantly better, and nothing is worse.
- **keep**: enough data to detect the minimum effect, and no significant difference: keep the control.

Every number the recommendation rests on is listed in ``ABTestReport.evidence``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, model_validator
from scipy import stats

from finetune_platform.evaluation.slices import wilson_interval

Decision = Literal["promote", "keep", "roll back", "inconclusive"]

#: Columns of ``ABTestReport.variants``.
VARIANT_COLUMNS: list[str] = [
    "variant",
    "requests",
    "errors",
    "error_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "rated",
    "feedback_rate",
    "mean_rating",
    "thumbs_down",
    "thumbs_down_rate",
    "thumbs_up_rate",
]

#: Optional outcome flags: column name -> whether a higher rate is better.
OUTCOME_FLAGS: dict[str, bool] = {"escalated": False, "resolved": True}

#: A request counts as an error when the server failed (5xx); 4xx are the client's mistakes.
ERROR_STATUS = 500


class ABTestSettings(BaseModel):
    """Which variants to compare and how much evidence a decision needs."""

    control: str = Field("champion", min_length=1, description="The variant serving today (the baseline).")
    treatment: str = Field("challenger", min_length=1, description="The variant under test.")
    alpha: float = Field(
        0.05, gt=0.0, le=0.2, description="Family-wise significance level over all metrics tested (Holm)."
    )
    min_samples: int = Field(
        200, ge=10, le=10_000_000, description="Rated responses each variant needs before 'promote' or 'keep'."
    )
    min_detectable_effect: float = Field(
        0.05,
        gt=0.0,
        le=1.0,
        description="Smallest thumbs-down-rate difference (absolute) worth detecting; sets the sample size for 'keep'.",
    )
    power: float = Field(0.8, ge=0.5, le=0.99, description="Wanted chance of detecting min_detectable_effect.")
    max_latency_increase: float = Field(
        0.10,
        ge=0.0,
        le=10.0,
        description="A significant latency rise counts as harm only above this share of the control's median.",
    )

    @model_validator(mode="after")
    def _distinct_variants(self) -> "ABTestSettings":
        if self.control == self.treatment:
            raise ValueError(f"control and treatment are both '{self.control}'; compare two different variants")
        return self


@dataclass
class MetricTest:
    """One metric compared between the variants. difference = treatment - control; better: which way
    is good ("lower"/"higher"); direction: "better", "worse" or "no difference" for the treatment
    (significant after Holm); harmful: worse and, for latency, beyond the tolerance."""

    metric: str
    better: str
    control_value: float | None
    treatment_value: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    test: str
    p_value: float
    p_adjusted: float
    n_control: int
    n_treatment: int
    significant: bool
    direction: str
    harmful: bool


@dataclass
class ABTestReport:
    """The comparison and its recommendation.

    decision: "promote", "keep", "roll back" or "inconclusive"; recommendation: the decision as a sentence
    ("inconclusive: need N more samples"); samples_needed: the N (rated responses per variant) or None;
    evidence: the numbers the recommendation rests on, one line each; variants: ``VARIANT_COLUMNS`` for the
    two variants; tests: one per metric; feedback_unmatched: feedback rows whose request is not in the
    window (left out); feedback_duplicates: older ratings of an already rated response (left out);
    pinned_requests: requests whose client named the variant (left out, with their ratings);
    other_version_requests: a variant's requests that another model version answered (left out).
    """

    control: str
    treatment: str
    alpha: float
    decision: Decision
    recommendation: str
    reason: str
    samples_needed: int | None
    evidence: list[str]
    variants: pd.DataFrame
    tests: list[MetricTest] = field(default_factory=list)
    feedback_unmatched: int = 0
    feedback_duplicates: int = 0
    pinned_requests: int = 0
    other_version_requests: int = 0

    def test(self, metric: str) -> MetricTest:
        """The test of one metric (``thumbs_down_rate``, ``mean_rating``, ``error_rate``, ``latency_ms``...)."""
        for t in self.tests:
            if t.metric == metric:
                return t
        raise KeyError(f"no test of '{metric}' in this report; tested: {[t.metric for t in self.tests]}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (variants as a list of rows, NaN as None)."""
        data = asdict(self)
        data["variants"] = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in self.variants.to_dict(orient="records")
        ]
        return data

    def markdown(self) -> str:
        """The recommendation, its evidence and the per-variant table, as Markdown."""
        lines = [f"**Recommendation: {self.recommendation}** ({self.treatment} vs {self.control}). {self.reason}", ""]
        lines += [f"- {e}" for e in self.evidence]
        return "\n".join(lines) + "\n\n" + self.variants.to_markdown(index=False, floatfmt=".4g") + "\n"


# --- statistics ------------------------------------------------------------------------------------------


def newcombe_interval(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> tuple[float, float]:
    """Interval of p2 - p1 by Newcombe's hybrid score method (Newcombe 1998, method 10).

    Hand-written (four lines): scipy has no interval for a difference of proportions and statsmodels is
    not a dependency. Built from the Wilson intervals of both rates, it keeps its coverage for small n and
    rates near 0 or 1, where the normal (Wald) interval collapses to a point.
    """
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, confidence)
    l2, u2 = wilson_interval(x2, n2, confidence)
    d = p2 - p1
    return d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)


def two_proportion_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, str]:
    """Two-sided p-value for equal rates x1/n1 and x2/n2, and the test used.

    The pooled z-test when every expected cell count is at least 5 (its normal approximation holds),
    else Fisher's exact test.
    """
    pooled = (x1 + x2) / (n1 + n2)
    expected = min(n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled))
    if expected < 5:
        return float(stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue), "Fisher exact"
    z = (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(2 * stats.norm.sf(abs(z))), "two-proportion z"


def holm_adjust(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1), in input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def required_samples_per_arm(p: float, effect: float, alpha: float, power: float) -> int:
    """Rated responses per variant to detect a rate difference ``effect`` around a base rate ``p`` with a
    two-sided test at ``alpha`` and the given ``power`` (normal approximation, equal arms)."""
    p = min(max(p, 1e-3), 1 - 1e-3)
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return int(math.ceil(z * z * 2 * p * (1 - p) / (effect * effect)))


def _median_difference_ci(
    control: np.ndarray, treatment: np.ndarray, confidence: float, n_bootstrap: int, seed: int
) -> tuple[float, float]:
    """Percentile bootstrap interval of median(treatment) - median(control), in chunks to bound memory."""
    rng = np.random.default_rng(seed)
    diffs = []
    chunk = max(1, min(n_bootstrap, 2_000_000 // max(len(control), len(treatment))))
    for start in range(0, n_bootstrap, chunk):
        size = min(chunk, n_bootstrap - start)
        c = np.median(control[rng.integers(0, len(control), size=(size, len(control)))], axis=1)
        t = np.median(treatment[rng.integers(0, len(treatment), size=(size, len(treatment)))], axis=1)
        diffs.append(t - c)
    all_diffs = np.concatenate(diffs)
    tail = (1 - confidence) / 2
    return float(np.quantile(all_diffs, tail)), float(np.quantile(all_diffs, 1 - tail))


# --- data ------------------------------------------------------------------------------------------------


def _prepare(
    requests_df: pd.DataFrame, feedback_df: pd.DataFrame, versions: dict[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, int, int, int, int]:
    """(requests, latest rating per rated request with its variant, unmatched feedback, duplicates, pinned
    requests left out, requests of other model versions left out).

    A request whose client pinned the variant (``pinned``, as the log store records ``<model>@challenger``)
    was not assigned at random, so it and its ratings are left out of the comparison. With ``versions``
    ({variant: model version}), so is a variant's request answered by another version (the alias moved in
    the window: a retrain's new challenger, a promotion)."""
    required = ["response_id", "variant", "latency_ms", "status_code"]
    missing = [c for c in required if c not in requests_df.columns]
    if missing:
        raise ValueError(
            f"analyze_ab: requests lack columns {missing}; pass LogStore.requests_between(...) "
            f"(columns: {list(requests_df.columns)})"
        )
    missing = [c for c in ("response_id", "rating") if c not in feedback_df.columns]
    if missing:
        raise ValueError(
            f"analyze_ab: feedback lacks columns {missing}; pass LogStore.feedback_between(...) "
            f"(columns: {list(feedback_df.columns)})"
        )
    if requests_df["response_id"].duplicated().any():
        dup = requests_df.loc[requests_df["response_id"].duplicated(), "response_id"].iloc[0]
        raise ValueError(f"analyze_ab: response_id {dup!r} appears in several requests; each request is logged once")
    bad = sorted(set(feedback_df["rating"].dropna().tolist()) - {-1, 0, 1})
    if bad:
        raise ValueError(f"analyze_ab: ratings {bad} are not -1/0/1 (thumbs down / neutral / thumbs up)")
    requests = requests_df.copy()
    requests["variant"] = requests["variant"].astype(str)
    feedback = feedback_df.dropna(subset=["rating"])
    pinned = other_versions = 0
    if "pinned" in requests.columns:
        chosen = requests["pinned"].fillna(False).astype(bool)
        pinned = int(chosen.sum())
        feedback = feedback[~feedback["response_id"].isin(set(requests.loc[chosen, "response_id"]))]
        requests = requests[~chosen]
    if versions:
        if "model_version" not in requests.columns:
            raise ValueError(
                "analyze_ab: versions given but requests lack the column 'model_version'; pass "
                "LogStore.requests_between(...)"
            )
        wanted = requests["variant"].map({str(k): str(v) for k, v in versions.items()})
        other = wanted.notna() & (requests["model_version"].astype(str) != wanted)
        other_versions = int(other.sum())
        feedback = feedback[~feedback["response_id"].isin(set(requests.loc[other, "response_id"]))]
        requests = requests[~other]
    if "created_at" in feedback.columns:
        feedback = feedback.sort_values("created_at", kind="stable")
    latest = feedback.drop_duplicates("response_id", keep="last")
    duplicates = len(feedback) - len(latest)
    keep = [c for c in latest.columns if c in ("response_id", "rating") or c in OUTCOME_FLAGS]
    rated = latest[keep].merge(
        requests[["response_id", "variant"]], on="response_id", how="inner", validate="one_to_one"
    )
    return requests, rated, len(latest) - len(rated), duplicates, pinned, other_versions


def _variant_row(variant: str, requests: pd.DataFrame, rated: pd.DataFrame) -> dict[str, Any]:
    req = requests[requests["variant"] == variant]
    fb = rated[rated["variant"] == variant]
    ok = req.loc[req["status_code"] < 400, "latency_ms"].to_numpy(dtype=float)
    errors = int((req["status_code"] >= ERROR_STATUS).sum())
    n_req, n_fb = len(req), len(fb)
    row: dict[str, Any] = {
        "variant": variant,
        "requests": n_req,
        "errors": errors,
        "error_rate": errors / n_req if n_req else math.nan,
        "latency_p50_ms": float(np.percentile(ok, 50)) if len(ok) else math.nan,
        "latency_p95_ms": float(np.percentile(ok, 95)) if len(ok) else math.nan,
        "rated": n_fb,
        "feedback_rate": n_fb / n_req if n_req else math.nan,
        "mean_rating": float(fb["rating"].mean()) if n_fb else math.nan,
        "thumbs_down": int((fb["rating"] == -1).sum()),
        "thumbs_down_rate": float((fb["rating"] == -1).mean()) if n_fb else math.nan,
        "thumbs_up_rate": float((fb["rating"] == 1).mean()) if n_fb else math.nan,
    }
    return row


def _flag_values(flag: str, variant: str, requests: pd.DataFrame, rated: pd.DataFrame) -> pd.Series | None:
    """The boolean outcome ``flag`` per request of ``variant`` (from requests, else from feedback)."""
    for frame in (requests, rated):
        if flag in frame.columns:
            values = frame.loc[frame["variant"] == variant, flag].dropna()
            return values.astype(bool)
    return None


# --- analysis --------------------------------------------------------------------------------------------


def analyze_ab(
    requests_df: pd.DataFrame,
    feedback_df: pd.DataFrame,
    control: str = "champion",
    treatment: str = "challenger",
    alpha: float = 0.05,
    min_samples: int = 200,
    *,
    min_detectable_effect: float = 0.05,
    power: float = 0.8,
    max_latency_increase: float = 0.10,
    n_bootstrap: int = 1000,
    seed: int = 0,
    versions: dict[str, str] | None = None,
) -> ABTestReport:
    """Compare ``treatment`` with ``control`` on the window's traffic and recommend what to do.

    The keyword arguments are those of :class:`ABTestSettings` (``analyze_ab(req, fb,
    **settings.model_dump())``); ``n_bootstrap`` and ``seed`` fix the latency interval's bootstrap;
    ``versions`` ({variant: model version}, e.g. where the registry's aliases point now) limits each variant
    to the traffic that version answered. See the module docstring for the tests and the decision rules.
    """
    settings = ABTestSettings(
        control=control, treatment=treatment, alpha=alpha, min_samples=min_samples,
        min_detectable_effect=min_detectable_effect, power=power, max_latency_increase=max_latency_increase,
    )
    confidence = 1 - settings.alpha
    level = f"{confidence:.0%}"
    requests, rated, unmatched, duplicates, pinned, other_versions = _prepare(requests_df, feedback_df, versions)
    variants = pd.DataFrame(
        [_variant_row(v, requests, rated) for v in (control, treatment)], columns=VARIANT_COLUMNS
    )
    c_row, t_row = variants.iloc[0], variants.iloc[1]
    evidence = [
        f"traffic: {control} {c_row['requests']} requests ({c_row['rated']} rated), "
        f"{treatment} {t_row['requests']} requests ({t_row['rated']} rated)"
    ]
    if unmatched or duplicates:
        evidence.append(
            f"left out: {unmatched} ratings of requests outside the window, {duplicates} older ratings of "
            "re-rated responses"
        )
    if pinned:
        evidence.append(f"left out: {pinned} requests whose client pinned the variant (not randomly assigned)")
    if other_versions:
        shown = ", ".join(f"{k} v{v}" for k, v in sorted((versions or {}).items()))
        evidence.append(f"left out: {other_versions} requests answered by other model versions than {shown}")

    def report(decision: Decision, recommendation: str, reason: str, needed: int | None, tests: list[MetricTest]) -> ABTestReport:
        return ABTestReport(
            control=control, treatment=treatment, alpha=settings.alpha, decision=decision,
            recommendation=recommendation, reason=reason, samples_needed=needed, evidence=evidence,
            variants=variants, tests=tests, feedback_unmatched=unmatched, feedback_duplicates=duplicates,
            pinned_requests=pinned, other_version_requests=other_versions,
        )

    absent = [v for v in (control, treatment) if not (requests["variant"] == v).any()]
    if absent:
        present = sorted(requests["variant"].unique())
        needed = settings.min_samples
        evidence.append(f"no requests for {absent} in the window (variants present: {present})")
        return report(
            "inconclusive", f"inconclusive: need {needed} more samples",
            f"{absent} served no requests in this window (variants present: {present}); check the variant "
            "names and the router's traffic split.",
            needed, [],
        )

    raw: list[dict[str, Any]] = []
    n_c, n_t = int(c_row["rated"]), int(t_row["rated"])
    if n_c and n_t:
        x_c, x_t = int(c_row["thumbs_down"]), int(t_row["thumbs_down"])
        p, name = two_proportion_test(x_c, n_c, x_t, n_t)
        lo, hi = newcombe_interval(x_c, n_c, x_t, n_t, confidence)
        raw.append(dict(metric="thumbs_down_rate", better="lower", control_value=x_c / n_c, treatment_value=x_t / n_t,
                        ci_low=lo, ci_high=hi, test=name, p_value=p, n_control=n_c, n_treatment=n_t))
        r_c = rated.loc[rated["variant"] == control, "rating"].to_numpy(dtype=float)
        r_t = rated.loc[rated["variant"] == treatment, "rating"].to_numpy(dtype=float)
        test = "Welch t"
        varies = r_c.std() > 0 or r_t.std() > 0
        if n_c >= 2 and n_t >= 2 and varies:
            welch = stats.ttest_ind(r_t, r_c, equal_var=False)
            ci = welch.confidence_interval(confidence)
            p, lo, hi = float(welch.pvalue), float(ci.low), float(ci.high)
        elif varies:
            # One arm has a single rating and the other's vary: neither Welch (no variance estimate for the
            # lone rating) nor the 2x2 table below (valid only without variance in both arms) can judge it,
            # and one rating is no evidence either way.
            diff = float(r_t.mean() - r_c.mean())
            lo, hi, p, test = diff, diff, 1.0, "not judged (an arm with one rating)"
        else:
            # Every rating identical within each variant: a t-test has no variance to judge by (scipy's p is
            # 0 or NaN; p = 0 rolled a challenger back on one rating per arm). Two distinct values split
            # between the arms are a 2x2 table, judged exactly by Fisher's test: one rating per arm is no
            # evidence (p = 1), 300 +1s against 300 0s is (a shift the thumbs-down test does not see).
            diff = float(r_t.mean() - r_c.mean())
            lo = hi = diff
            if diff == 0:
                p = 1.0
            else:
                p, test = float(stats.fisher_exact([[n_c, 0], [0, n_t]]).pvalue), "Fisher exact (no variance within arms)"
        raw.append(dict(metric="mean_rating", better="higher", control_value=float(r_c.mean()),
                        treatment_value=float(r_t.mean()), ci_low=lo, ci_high=hi, test=test, p_value=p,
                        n_control=n_c, n_treatment=n_t))
    e_c, e_t = int(c_row["errors"]), int(t_row["errors"])
    q_c, q_t = int(c_row["requests"]), int(t_row["requests"])
    p, name = two_proportion_test(e_c, q_c, e_t, q_t)
    lo, hi = newcombe_interval(e_c, q_c, e_t, q_t, confidence)
    raw.append(dict(metric="error_rate", better="lower", control_value=e_c / q_c, treatment_value=e_t / q_t,
                    ci_low=lo, ci_high=hi, test=name, p_value=p, n_control=q_c, n_treatment=q_t))
    lat_c = requests.loc[(requests["variant"] == control) & (requests["status_code"] < 400), "latency_ms"].to_numpy(dtype=float)
    lat_t = requests.loc[(requests["variant"] == treatment) & (requests["status_code"] < 400), "latency_ms"].to_numpy(dtype=float)
    if len(lat_c) and len(lat_t):
        p = float(stats.mannwhitneyu(lat_t, lat_c, alternative="two-sided").pvalue)
        lo, hi = _median_difference_ci(lat_c, lat_t, confidence, n_bootstrap, seed)
        raw.append(dict(metric="latency_ms", better="lower", control_value=float(np.median(lat_c)),
                        treatment_value=float(np.median(lat_t)), ci_low=lo, ci_high=hi,
                        test="Mann-Whitney U (median difference, bootstrap CI)", p_value=p,
                        n_control=len(lat_c), n_treatment=len(lat_t)))
    for flag, higher_better in OUTCOME_FLAGS.items():
        f_c, f_t = _flag_values(flag, control, requests, rated), _flag_values(flag, treatment, requests, rated)
        if f_c is None or f_t is None or not len(f_c) or not len(f_t):
            continue
        x_c, x_t = int(f_c.sum()), int(f_t.sum())
        p, name = two_proportion_test(x_c, len(f_c), x_t, len(f_t))
        lo, hi = newcombe_interval(x_c, len(f_c), x_t, len(f_t), confidence)
        raw.append(dict(metric=f"{flag}_rate", better="higher" if higher_better else "lower",
                        control_value=x_c / len(f_c), treatment_value=x_t / len(f_t), ci_low=lo, ci_high=hi,
                        test=name, p_value=p, n_control=len(f_c), n_treatment=len(f_t)))

    adjusted = holm_adjust([r["p_value"] for r in raw])
    tests: list[MetricTest] = []
    for r, p_adj in zip(raw, adjusted, strict=True):
        diff = r["treatment_value"] - r["control_value"]
        significant = p_adj < settings.alpha
        improved = diff < 0 if r["better"] == "lower" else diff > 0
        direction = "no difference" if not significant or diff == 0 else ("better" if improved else "worse")
        harmful = direction == "worse"
        if harmful and r["metric"] == "latency_ms":
            harmful = r["treatment_value"] > r["control_value"] * (1 + settings.max_latency_increase)
        tests.append(MetricTest(difference=diff, p_adjusted=p_adj, significant=significant, direction=direction,
                                harmful=harmful, **r))
    for t in tests:
        evidence.append(
            f"{t.metric} ({t.better} is better): {control} {t.control_value:.4g} (n={t.n_control}) vs {treatment} "
            f"{t.treatment_value:.4g} (n={t.n_treatment}); difference {t.difference:+.4g}, {level} CI "
            f"[{t.ci_low:+.4g}, {t.ci_high:+.4g}]; {t.test} p={t.p_value:.3g}, Holm-adjusted {t.p_adjusted:.3g} "
            f"-> {t.direction}" + (" (within the latency tolerance)" if t.direction == "worse" and not t.harmful else "")
        )

    harms = [t for t in tests if t.harmful]
    if harms:
        names = ", ".join(f"{t.metric} {t.difference:+.4g} (p_adj={t.p_adjusted:.3g})" for t in harms)
        return report("roll back", "roll back", f"{treatment} is significantly worse than {control}: {names}.", None, tests)

    shortfall = settings.min_samples - min(n_c, n_t)
    if shortfall > 0:
        evidence.append(f"minimum sample: {settings.min_samples} rated responses per variant; the smaller has {min(n_c, n_t)}")
        return report(
            "inconclusive", f"inconclusive: need {shortfall} more samples",
            f"fewer than {settings.min_samples} rated responses in a variant ({control} {n_c}, {treatment} {n_t}); "
            f"need {shortfall} more {_requests_hint(shortfall, c_row, t_row)}.",
            shortfall, tests,
        )

    gains = [t for t in tests if t.metric in ("thumbs_down_rate", "mean_rating") and t.direction == "better"]
    if gains:
        names = ", ".join(f"{t.metric} {t.difference:+.4g} (p_adj={t.p_adjusted:.3g})" for t in gains)
        return report("promote", "promote", f"{treatment} is significantly better than {control} ({names}) and no metric is worse.", None, tests)

    base_rate = (int(c_row["thumbs_down"]) + int(t_row["thumbs_down"])) / (n_c + n_t)
    # Bonferroni share of alpha: the primary test must clear Holm's strictest threshold in the worst case.
    required = required_samples_per_arm(base_rate, settings.min_detectable_effect, settings.alpha / len(tests), settings.power)
    evidence.append(
        f"sample size: detecting a {settings.min_detectable_effect:.3g} change in a thumbs-down rate of "
        f"{base_rate:.3g} with power {settings.power:.2f} at alpha {settings.alpha:.3g}/{len(tests)} needs "
        f"{required} rated responses per variant; the smaller variant has {min(n_c, n_t)}"
    )
    if min(n_c, n_t) >= required:
        return report(
            "keep", "keep",
            f"no significant difference between {treatment} and {control}, with enough data to detect a "
            f"{settings.min_detectable_effect:.3g} change in the thumbs-down rate: keep {control}.",
            None, tests,
        )
    needed = required - min(n_c, n_t)
    return report(
        "inconclusive", f"inconclusive: need {needed} more samples",
        f"no significant difference yet, but {min(n_c, n_t)} rated responses per variant cannot detect a "
        f"{settings.min_detectable_effect:.3g} change (needs {required}); need {needed} more "
        f"{_requests_hint(needed, c_row, t_row)}.",
        needed, tests,
    )


def _requests_hint(needed: int, c_row: pd.Series, t_row: pd.Series) -> str:
    """'rated responses per variant (about N requests at the observed feedback rate)'."""
    rates = [r for r in (c_row["feedback_rate"], t_row["feedback_rate"]) if isinstance(r, float) and r > 0]
    if not rates:
        return "rated responses per variant (no feedback observed yet)"
    return f"rated responses per variant (about {math.ceil(needed / min(rates))} requests at a feedback rate of {min(rates):.2f})"
