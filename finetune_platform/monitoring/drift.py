"""Drift detection: is production traffic still the kind of text the model was trained on?

Compares production prompts with reference prompts (the training set) on four features, and checks the
trend of user feedback:

- ``text_chars`` / ``text_words``: length distributions (PSI over reference-quantile bins + two-sample KS,
  and PSI against reference texts resampled the way production's were drawn, repeats included).
- ``terms``: the distribution over the reference's top-k terms plus an "other" bucket (chi-squared test of
  homogeneity + Jensen-Shannon divergence, and that JS against reference texts resampled the way
  production's were drawn, repeats included, since terms come in texts and production repeats texts). A
  new topic shows up as mass moving into "other". Terms seen in only a few reference texts (ids, order
  numbers) stay in "other": a bucket of its own would be empty in any fresh sample and look like drift.
- ``oov_rate``: per-text share of words never seen in the reference (one-sided Mann-Whitney U against a
  held-out half of the reference + the increase of the mean rate).
- ``feedback_negative_rate`` / ``feedback_rating_mean``: daily p-chart and X-bar chart; the last day is
  flagged when it falls outside the control limits set by the earlier days, on the bad side.

Decision rule: every feature pairs a significance test with an effect size, and a feature drifts only
when *both* flag. The test keeps small samples from raising false alarms (PSI over 10 bins is about 0.2
by chance alone at 50 texts); the effect size keeps large samples from flagging differences too small to
matter (KS rejects anything at 100k texts). The report drifts when any feature drifts.

Hand-written rather than taken from evidently (installed, see STACK.md): its text descriptors that would
cover vocabulary need NLTK data that is not available offline, and these tests are a few lines of scipy
each, which keeps the decision rule explicit and unit-testable.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, model_validator
from scipy import stats
from scipy.spatial.distance import jensenshannon
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

Verdict = Literal["drift", "no_drift", "insufficient_data"]

#: The analyzer scikit-learn uses by default: lowercase, words of two or more word characters.
_TOKENIZE = CountVectorizer().build_analyzer()

#: Columns of ``daily_feedback`` (and ``DriftReport.feedback_daily``).
DAILY_FEEDBACK_COLUMNS: list[str] = [
    "day",
    "n",
    "mean_rating",
    "negative_rate",
    "negatives",
    "rating_sum",
    "rating_sq_sum",
]

#: Name of the bucket that collects every term outside the reference's top-k.
OTHER_TERM = "<other>"


class DriftSettings(BaseModel):
    """Thresholds for drift detection and for the feedback control charts."""

    psi_threshold: float = Field(
        0.2,
        gt=0,
        le=5,
        description="Population Stability Index above which a length distribution has shifted "
        "(0.1 minor, 0.2 major by convention).",
    )
    ks_pvalue: float = Field(
        0.01, gt=0, lt=1, description="Significance level of the two-sample KS test on text lengths."
    )
    chi2_pvalue: float = Field(
        0.01, gt=0, lt=1, description="Significance level of the chi-squared test on the term distribution."
    )
    js_threshold: float = Field(
        0.05,
        gt=0,
        le=1,
        description="Jensen-Shannon divergence (base 2, 0..1) of the term distribution above which it has shifted.",
    )
    oov_pvalue: float = Field(
        0.01,
        gt=0,
        lt=1,
        description="Significance level of the one-sided Mann-Whitney test on per-text out-of-vocabulary rates.",
    )
    oov_rate_delta: float = Field(
        0.05,
        gt=0,
        le=1,
        description="Increase of the mean per-text out-of-vocabulary rate (absolute, 0..1) that counts as drift.",
    )
    min_samples: int = Field(
        50, ge=10, description="Fewer production (or reference) texts than this gives verdict insufficient_data."
    )
    top_k_terms: int = Field(
        200,
        ge=5,
        le=10_000,
        description="How many of the reference's most frequent terms form the term distribution; "
        "the rest is one 'other' bucket.",
    )
    length_bins: int = Field(10, ge=2, le=50, description="Quantile bins of the reference lengths used for PSI.")
    min_term_docs: int = Field(
        5,
        ge=1,
        description="A term must occur in at least this many reference texts to get its own bucket; rarer "
        "terms (ids, typos) go to 'other', where production's own rare terms land too.",
    )
    drop_stop_words: bool = Field(
        True, description="Leave English stop words out of the term distribution so it reflects topics, not grammar."
    )
    control_limit_sigma: float = Field(
        3.0,
        gt=0,
        le=6,
        description="Width of the feedback control limits in standard errors (3 = classic Shewhart chart).",
    )
    feedback_min_daily: int = Field(
        20, ge=1, description="Days with fewer feedback ratings than this are left out of the control charts."
    )
    feedback_rate_delta: float = Field(
        0.02,
        ge=0.0,
        le=1.0,
        description="A day's thumbs-down rate must also be this much above the baseline's (absolute) to count as "
        "drift: with thousands of ratings a day, the test alone flags rises too small to matter.",
    )
    feedback_mean_delta: float = Field(
        0.04,
        ge=0.0,
        le=2.0,
        description="A day's mean rating must also be this much below the baseline's to count as drift (0.04 on "
        "the -1/0/+1 scale: two points of ratings turning from thumbs-up to thumbs-down).",
    )
    feedback_min_baseline_days: int = Field(
        3, ge=1, description="Days (before the last one) needed to set the feedback control limits."
    )
    negative_rating_max: int = Field(
        -1, ge=-1, le=0, description="Ratings at or below this count as thumbs-down (ratings are -1, 0, 1)."
    )

    @model_validator(mode="after")
    def _min_samples_fill_bins(self) -> DriftSettings:
        if self.min_samples < 2 * self.length_bins:
            raise ValueError(
                f"min_samples ({self.min_samples}) must be at least twice length_bins ({self.length_bins}) so every "
                "PSI bin can hold texts; raise min_samples or lower length_bins."
            )
        return self


@dataclass(frozen=True)
class FeatureResult:
    """One statistical test on one feature.

    ``statistic`` is the test's value (PSI, KS D, chi-squared, JS divergence, a rate); ``p_value`` is set
    for significance tests and None for effect sizes; ``drifted`` says whether this test alone flags.
    """

    feature: str
    test: str
    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool
    detail: str = ""


@dataclass
class DriftReport:
    """The outcome of ``compute_drift``: the verdict, every test, and the reasons in sentences."""

    verdict: Verdict
    drift: bool
    results: list[FeatureResult]
    reasons: list[str]
    n_reference: int
    n_production: int
    drifted_features: list[str] = field(default_factory=list)
    #: term, reference_share, production_share, delta: shares over the term buckets, largest shifts first.
    term_shift: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    #: ``daily_feedback`` of the feedback given (empty when none was).
    feedback_daily: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    #: {"chars"|"words": {"reference": [...], "production": [...]}} for plots.
    lengths: dict[str, dict[str, list[int]]] = field(default_factory=dict, repr=False)

    def results_frame(self) -> pd.DataFrame:
        """The test results as a DataFrame (one row per feature and test)."""
        columns = ["feature", "test", "statistic", "p_value", "threshold", "drifted", "detail"]
        return pd.DataFrame([asdict(r) for r in self.results], columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (for asset metadata and run tags)."""
        return {
            "verdict": self.verdict,
            "drift": self.drift,
            "n_reference": self.n_reference,
            "n_production": self.n_production,
            "drifted_features": list(self.drifted_features),
            "reasons": list(self.reasons),
            "results": [asdict(r) for r in self.results],
        }

    def to_markdown(self) -> str:
        """A human-readable report: verdict, reasons, the test table and the largest term shifts."""
        lines = [
            f"## Drift report: **{self.verdict}**",
            "",
            f"{self.n_production} production texts compared with {self.n_reference} reference texts.",
            "",
            *[f"- {reason}" for reason in self.reasons],
        ]
        if self.results:
            table = self.results_frame().drop(columns=["detail"])
            table["p_value"] = table["p_value"].map(lambda v: "" if v is None or pd.isna(v) else f"{v:.3g}")
            lines += ["", table.to_markdown(index=False, floatfmt=".4g")]
        if not self.term_shift.empty:
            top = self.term_shift.head(10)
            lines += ["", "Largest term shifts (share of terms):", "", top.to_markdown(index=False, floatfmt=".4f")]
        return "\n".join(lines)


def compute_drift(
    reference_texts: list[str],
    production_texts: list[str],
    settings: DriftSettings | None = None,
    feedback: pd.DataFrame | None = None,
    day: date | None = None,
) -> DriftReport:
    """Compare production texts (and optionally feedback) with the reference; see the module docstring.

    ``feedback`` needs columns ``created_at`` (datetime) and ``rating`` (-1/0/1), as returned by
    ``LogStore.feedback_between``. ``day`` is the (UTC) day under test: the feedback charts judge that day
    only, and say so when it has too few ratings (None: the last day with enough ratings, whichever it is).
    Too few texts on either side gives verdict ``insufficient_data`` (drift False) without running any test.
    """
    settings = settings or DriftSettings()
    reference = [t for t in reference_texts if isinstance(t, str) and t.strip()]
    production = [t for t in production_texts if isinstance(t, str) and t.strip()]
    n_ref, n_prod = len(reference), len(production)

    short = []
    if n_prod < settings.min_samples:
        short.append(
            f"only {n_prod} production texts were seen and at least {settings.min_samples} are needed (min_samples)"
        )
    if n_ref < settings.min_samples:
        short.append(
            f"only {n_ref} reference texts were given and at least {settings.min_samples} are needed (min_samples)"
        )
    results: list[FeatureResult] = []
    lengths: dict[str, dict[str, list[int]]] = {}
    term_shift, new_terms = pd.DataFrame(), []
    if not short:
        ref_tokens = [_TOKENIZE(t) for t in reference]
        prod_tokens = [_TOKENIZE(t) for t in production]
        # the same text sent again is not a new draw: the resampled tests draw reference texts the same way
        distinct = Counter(production)
        repeats = np.array(list(distinct.values()), dtype=float)
        for feature, measure in (("text_chars", len), ("text_words", lambda t: len(t.split()))):
            ref_len = np.array([measure(t) for t in reference])
            prod_len = np.array([measure(t) for t in production])
            lengths[feature.removeprefix("text_")] = {"reference": ref_len.tolist(), "production": prod_len.tolist()}
            results += _length_tests(feature, ref_len, prod_len, settings, repeats)

        term_results, term_shift, new_terms = _term_tests(ref_tokens, prod_tokens, settings)
        results += term_results
        results += _oov_tests(ref_tokens, prod_tokens, settings)

    # Ratings do not depend on how many prompts the day had: a low-traffic day's thumbs-down spike is judged.
    feedback_daily = pd.DataFrame(columns=DAILY_FEEDBACK_COLUMNS)
    feedback_notes: list[str] = []
    if feedback is not None:
        feedback_daily = daily_feedback(feedback, settings)
        feedback_results, feedback_notes = _feedback_tests(feedback_daily, settings, day)
        results += feedback_results

    drifted_features = _drifted_features(results)
    drift = bool(drifted_features)
    if short:
        skipped = "Text features not judged: " + "; ".join(short) + "."
        if not drift:
            reason = "Not enough data to judge drift: " + "; ".join(short) + "."
            return DriftReport(
                "insufficient_data", False, results, [reason, *feedback_notes], n_ref, n_prod,
                feedback_daily=feedback_daily,
            )  # fmt: skip
        reasons = _reasons(results, drifted_features, term_shift, new_terms) + [skipped] + feedback_notes
    else:
        reasons = _reasons(results, drifted_features, term_shift, new_terms) + feedback_notes
    return DriftReport(
        verdict="drift" if drift else "no_drift",
        drift=drift,
        results=results,
        reasons=reasons,
        n_reference=n_ref,
        n_production=n_prod,
        drifted_features=drifted_features,
        term_shift=term_shift,
        feedback_daily=feedback_daily,
        lengths=lengths,
    )


# ---------------------------------------------------------------------------------------------- lengths


def psi(reference: np.ndarray, production: np.ndarray, bins: int) -> float:
    """Population Stability Index of ``production`` against ``reference`` over reference-quantile bins.

    Counts get +0.5 (Jeffreys smoothing) so an empty bin does not make the index infinite.
    """
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_counts = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1)
    prod_counts = np.bincount(np.searchsorted(edges, production, side="right"), minlength=len(edges) + 1)
    return _psi_from_counts(ref_counts, prod_counts)


def _psi_from_counts(ref_counts: np.ndarray, prod_counts: np.ndarray) -> float:
    p = (ref_counts + 0.5) / (ref_counts.sum() + 0.5 * len(ref_counts))
    q = (prod_counts + 0.5) / (prod_counts.sum() + 0.5 * len(prod_counts))
    return float(np.sum((q - p) * np.log(q / p)))


def _length_tests(
    feature: str, ref: np.ndarray, prod: np.ndarray, s: DriftSettings, repeats: np.ndarray | None = None
) -> list[FeatureResult]:
    """PSI and KS of the lengths, and PSI against reference texts resampled the way production's were drawn
    (``repeats``: how many times each distinct production text came; see :func:`_resampled_js_pvalue`)."""
    value = psi(ref, prod, s.length_bins)
    ks = stats.ks_2samp(ref, prod)
    detail = f"median {np.median(ref):g} -> {np.median(prod):g}"
    if repeats is None:
        repeats = np.ones(len(prod))
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, s.length_bins + 1)[1:-1]))
    ref_bins = np.searchsorted(edges, ref, side="right")
    ref_counts = np.bincount(ref_bins, minlength=len(edges) + 1)
    rng = np.random.default_rng(0)
    at_least = 0
    for _ in range(_RESAMPLES):
        picked = ref_bins[rng.integers(0, len(ref), size=len(repeats))]
        if _psi_from_counts(ref_counts, np.bincount(picked, weights=repeats, minlength=len(edges) + 1)) >= value:
            at_least += 1
    resampled_p = (at_least + 1) / (_RESAMPLES + 1)
    return [
        FeatureResult(feature, "psi", value, None, s.psi_threshold, value > s.psi_threshold, detail),
        FeatureResult(
            feature, "ks", float(ks.statistic), float(ks.pvalue), s.ks_pvalue, bool(ks.pvalue < s.ks_pvalue), detail
        ),
        FeatureResult(
            feature, "psi_resampled", value, resampled_p, s.ks_pvalue, bool(resampled_p < s.ks_pvalue),
            f"{detail}; PSI of {_RESAMPLES} samples of reference texts drawn like production's "
            f"({len(repeats)} distinct of {int(repeats.sum())})",
        ),
    ]


# ---------------------------------------------------------------------------------------------- terms


def _term_tests(
    ref_tokens: list[list[str]], prod_tokens: list[list[str]], s: DriftSettings
) -> tuple[list[FeatureResult], pd.DataFrame, list[str]]:
    """Chi-squared and JS divergence over the reference's top-k terms + "other"; also the shift table and
    the most frequent production terms the reference never used."""
    stop = ENGLISH_STOP_WORDS if s.drop_stop_words else frozenset()
    ref_counts = Counter(t for doc in ref_tokens for t in doc if t not in stop)
    prod_counts = Counter(t for doc in prod_tokens for t in doc if t not in stop)
    ref_docs = Counter(t for doc in ref_tokens for t in set(doc))
    top = [term for term, _ in ref_counts.most_common() if ref_docs[term] >= s.min_term_docs][: s.top_k_terms]
    top_set = set(top)

    def vector(counts: Counter[str]) -> np.ndarray:
        other = sum(c for term, c in counts.items() if term not in top_set)
        return np.array([counts[t] for t in top] + [other], dtype=float)

    ref_vec, prod_vec = vector(ref_counts), vector(prod_counts)
    buckets = top + [OTHER_TERM]
    ref_share = ref_vec / max(ref_vec.sum(), 1.0)
    prod_share = prod_vec / max(prod_vec.sum(), 1.0)
    shift = pd.DataFrame(
        {"term": buckets, "reference_share": ref_share, "production_share": prod_share, "delta": prod_share - ref_share}
    )
    shift = shift.reindex(shift["delta"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    new_terms = [term for term, _ in prod_counts.most_common() if term not in ref_counts][:5]

    if prod_vec.sum() == 0 or ref_vec.sum() == 0:
        detail = "no terms to compare (all texts are stop words or punctuation)"
        return (
            [
                FeatureResult("terms", "chi2", 0.0, 1.0, s.chi2_pvalue, False, detail),
                FeatureResult("terms", "jensen_shannon", 0.0, None, s.js_threshold, False, detail),
            ],
            shift,
            new_terms,
        )
    seen = (ref_vec + prod_vec) > 0  # a bucket empty on both sides has no expected count
    chi2, p_value, dof, _ = stats.chi2_contingency(np.vstack([ref_vec[seen], prod_vec[seen]]))
    js = float(jensenshannon(ref_share, prod_share, base=2) ** 2)
    resampled_p = _resampled_js_pvalue(ref_tokens, prod_tokens, top, stop, ref_share, js, s)
    other_ref, other_prod = ref_share[-1], prod_share[-1]
    detail = f"'other' share {other_ref:.1%} -> {other_prod:.1%}; {int(dof) + 1} buckets"
    return (
        [
            FeatureResult(
                "terms", "chi2", float(chi2), float(p_value), s.chi2_pvalue, bool(p_value < s.chi2_pvalue), detail
            ),
            FeatureResult("terms", "jensen_shannon", js, None, s.js_threshold, js > s.js_threshold, detail),
            FeatureResult(
                "terms", "js_resampled", js, resampled_p, s.chi2_pvalue, bool(resampled_p < s.chi2_pvalue),
                f"{detail}; JS of {_RESAMPLES} samples of reference texts drawn like production's "
                f"({len(set(map(tuple, prod_tokens)))} distinct of {len(prod_tokens)})",
            ),
        ],
        shift,
        new_terms,
    )


#: How many reference samples :func:`_resampled_js_pvalue` draws (its smallest p-value is 1 / (this + 1)).
_RESAMPLES = 499
#: At most this many reference texts are resampled from (a seeded sample of a larger reference).
_RESAMPLE_REFERENCE_MAX = 20_000


def _resampled_js_pvalue(
    ref_tokens: list[list[str]],
    prod_tokens: list[list[str]],
    top: list[str],
    stop: frozenset[str],
    ref_share: np.ndarray,
    js: float,
    s: DriftSettings,
) -> float:
    """How often texts drawn from the reference the way production's were drawn are as far from the reference
    (JS divergence over the same buckets) as production is: the share of :data:`_RESAMPLES` draws at least
    ``js``, with the usual +1 on both sides.

    The chi-squared test counts every term as an independent draw, but terms come in texts, and production
    repeats texts (the same question asked many times, a retried request): a day of 100 prompts, or of 10
    prompts sent 10 times each, has far fewer independent draws than its term count says, and JS over a
    small sample is large by chance. Drawing as many distinct reference texts as production has, each
    repeated as often as production repeats its own, gives the JS that sampling alone produces (seeded, so a
    verdict can be reproduced). A feature drifts only when every test flags, so this holds back what
    chance explains."""
    from scipy import sparse

    index = {term: i for i, term in enumerate(top)}
    other = len(top)
    rng = np.random.default_rng(0)
    docs = ref_tokens
    if len(docs) > _RESAMPLE_REFERENCE_MAX:
        docs = [docs[i] for i in rng.choice(len(docs), _RESAMPLE_REFERENCE_MAX, replace=False)]
    rows, cols, vals = [], [], []
    for r, doc in enumerate(docs):
        counts = Counter(index.get(t, other) for t in doc if t not in stop)
        for c, v in counts.items():
            rows.append(r)
            cols.append(c)
            vals.append(v)
    matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs), other + 1), dtype=float)
    repeats = np.array(list(Counter(tuple(doc) for doc in prod_tokens).values()), dtype=float)  # same tokens, same text
    at_least = 0
    for _ in range(_RESAMPLES):
        picked = rng.integers(0, len(docs), size=len(repeats))
        weights = np.bincount(picked, weights=repeats, minlength=len(docs))
        vec = matrix.T @ weights
        total = vec.sum()
        if total <= 0:
            continue
        if float(jensenshannon(ref_share, vec / total, base=2) ** 2) >= js:
            at_least += 1
    return (at_least + 1) / (_RESAMPLES + 1)


def _oov_tests(ref_tokens: list[list[str]], prod_tokens: list[list[str]], s: DriftSettings) -> list[FeatureResult]:
    """Per-text out-of-vocabulary rates, production vs a held-out half of the reference.

    The vocabulary comes from a fixed random half of the reference and the baseline rate from the other
    half: measured against the full reference vocabulary the reference's own rate would be 0 by
    construction, and any production text would look new.
    """
    order = np.random.default_rng(0).permutation(len(ref_tokens))
    vocab_half, baseline_half = order[: len(order) // 2], order[len(order) // 2 :]
    vocabulary = {t for i in vocab_half for t in ref_tokens[i]}

    def rates(docs: list[list[str]]) -> np.ndarray:
        return np.array([sum(t not in vocabulary for t in doc) / len(doc) for doc in docs if doc])

    baseline = rates([ref_tokens[i] for i in baseline_half])
    production = rates(prod_tokens)
    if len(baseline) == 0 or len(production) == 0:
        detail = "no tokens to compare"
        return [
            FeatureResult("oov_rate", "mann_whitney", 0.0, 1.0, s.oov_pvalue, False, detail),
            FeatureResult("oov_rate", "mean_increase", 0.0, None, s.oov_rate_delta, False, detail),
        ]
    test = stats.mannwhitneyu(production, baseline, alternative="greater")
    increase = float(production.mean() - baseline.mean())
    detail = f"mean OOV rate {baseline.mean():.1%} (held-out reference) -> {production.mean():.1%}"
    return [
        FeatureResult(
            "oov_rate",
            "mann_whitney",
            float(test.statistic),
            float(test.pvalue),
            s.oov_pvalue,
            bool(test.pvalue < s.oov_pvalue),
            detail,
        ),
        FeatureResult(
            "oov_rate", "mean_increase", increase, None, s.oov_rate_delta, increase > s.oov_rate_delta, detail
        ),
    ]


# ---------------------------------------------------------------------------------------------- feedback


def daily_feedback(feedback: pd.DataFrame, settings: DriftSettings | None = None) -> pd.DataFrame:
    """Ratings per UTC day, oldest first: ``day``, ``n``, ``mean_rating``, ``negative_rate``, ``negatives``,
    and ``rating_sum`` / ``rating_sq_sum`` (what the control limits are computed from)."""
    settings = settings or DriftSettings()
    missing = {"created_at", "rating"} - set(feedback.columns)
    if missing:
        raise ValueError(
            "feedback needs columns created_at and rating (as from LogStore.feedback_between); "
            f"missing {sorted(missing)}"
        )
    frame = pd.DataFrame(
        {
            "day": pd.to_datetime(feedback["created_at"], utc=True).dt.floor("D"),
            "rating": feedback["rating"].astype(float),
        }
    )
    frame["negative"] = frame["rating"] <= settings.negative_rating_max
    frame["rating_sq"] = frame["rating"] ** 2
    daily = frame.groupby("day").agg(
        n=("rating", "size"),
        mean_rating=("rating", "mean"),
        negatives=("negative", "sum"),
        rating_sum=("rating", "sum"),
        rating_sq_sum=("rating_sq", "sum"),
    )
    daily["negative_rate"] = daily["negatives"] / daily["n"]
    return daily.reset_index()[DAILY_FEEDBACK_COLUMNS]


def _feedback_tests(
    daily: pd.DataFrame, s: DriftSettings, day: date | None = None
) -> tuple[list[FeatureResult], list[str]]:
    """p-chart on the thumbs-down rate and X-bar chart on the mean rating; the last charted day (which must
    be ``day`` when one is given) against limits from all earlier charted days. Only the bad side flags
    (fewer thumbs-down is not drift)."""
    charted = daily[daily["n"] >= s.feedback_min_daily].reset_index(drop=True)
    if day is not None:
        days = pd.to_datetime(charted["day"], utc=True).dt.date
        charted = charted[days <= day].reset_index(drop=True)
        if charted.empty or pd.Timestamp(charted.iloc[-1]["day"]).date() != day:
            rated = daily.loc[pd.to_datetime(daily["day"], utc=True).dt.date == day, "n"]
            n_day = int(rated.iloc[0]) if len(rated) else 0
            note = (
                f"Feedback trend not judged for {day.isoformat()}: {n_day} rating(s) that day, at least "
                f"{s.feedback_min_daily} needed (feedback_min_daily); earlier days are judged on their own reports."
            )
            return [], [note]
    needed = s.feedback_min_baseline_days + 1
    if len(charted) < needed:
        note = (
            f"Feedback trend not judged: {len(charted)} day(s) with at least {s.feedback_min_daily} ratings, "
            f"{needed} needed (feedback_min_baseline_days + the day under test)."
        )
        return [], [note]
    baseline, last = charted.iloc[:-1], charted.iloc[-1]
    n_last = int(last["n"])
    day = pd.Timestamp(last["day"]).date().isoformat()

    # The thumbs-down count of the day against a binomial at the baseline rate, judged exactly (the normal
    # approximation of a p-chart has no width at a rate of 0: one thumbs-down after a clean baseline would
    # flag). The baseline rate is smoothed (Jeffreys: +0.5 of a thumbs-down in one more rating) for the same
    # reason; the day is flagged when its count is as unlikely as a point beyond the control_limit_sigma
    # limit of a normal chart.
    baseline_ratings = int(baseline["n"].sum())
    p_bar = (float(baseline["negatives"].sum()) + 0.5) / (baseline_ratings + 1)
    alpha = float(stats.norm.sf(s.control_limit_sigma))
    x_last = int(last["negatives"])
    p_value = float(stats.binom.sf(x_last - 1, n_last, p_bar))
    flagged_from = int(stats.binom.isf(alpha, n_last, p_bar)) + 1  # the fewest thumbs-down that flag
    while flagged_from > 0 and stats.binom.sf(flagged_from - 2, n_last, p_bar) < alpha:
        flagged_from -= 1
    # Significant and large enough: the effect size as every other feature pairs it with its test.
    ucl = max((flagged_from - 1) / n_last, p_bar + s.feedback_rate_delta)  # flagged above this rate
    p_last = float(last["negative_rate"])
    p_drifted = x_last >= flagged_from and p_last - p_bar >= s.feedback_rate_delta
    p_detail = (
        f"{day}: thumbs-down rate {p_last:.1%} ({x_last} of {n_last}); baseline {p_bar:.1%}, flagged above "
        f"{ucl:.1%} (binomial p {p_value:.2g}, and at least {s.feedback_rate_delta:.1%} above the baseline)"
    )

    mean_last = float(last["mean_rating"])
    baseline_n = float(baseline["n"].sum())
    mu = float(baseline["rating_sum"].sum() / baseline_n)
    counts = _rating_counts(baseline["n"].sum(), baseline["rating_sum"].sum(), baseline["rating_sq_sum"].sum())
    day_counts = _rating_counts(last["n"], last["rating_sum"], last["rating_sq_sum"])
    if counts is not None and day_counts is not None:
        # Ratings of -1, 0 and +1 (what the log store takes): the day's shortfall from all thumbs-up, one per
        # neutral and two per thumbs-down, against its exact distribution under the baseline's rates (Jeffreys-
        # smoothed). A normal chart's limits have no width on a clean baseline, and shrink with its size: one
        # thumbs-down after a long clean month would flag.
        p_neg, p_neu = ((counts[0] + 0.5) / (baseline_n + 1.5), (counts[1] + 0.5) / (baseline_n + 1.5))
        shortfall = 2 * day_counts[0] + day_counts[1]
        m_p_value = _shortfall_sf(shortfall, n_last, p_neg, p_neu)
        lowest, highest = 0, 2 * n_last + 1  # the fewest shortfall points that flag: binary search
        while lowest < highest:
            middle = (lowest + highest) // 2
            if _shortfall_sf(middle, n_last, p_neg, p_neu) < alpha:
                highest = middle
            else:
                lowest = middle + 1
        lcl = min(1.0 - (lowest - 1) / n_last, mu - s.feedback_mean_delta)  # flagged below this mean
        m_drifted = shortfall >= lowest and mu - mean_last >= s.feedback_mean_delta
        m_detail = (
            f"{day}: mean rating {mean_last:+.3f} of {n_last}; baseline {mu:+.3f}, flagged below {lcl:+.3f} "
            f"(exact p {m_p_value:.2g}, and at least {s.feedback_mean_delta:.2f} below the baseline)"
        )
    else:
        # Other rating scales: the X-bar chart, centre and spread of all baseline ratings pooled (between-day
        # variation included, which widens the limits slightly: a conservative chart).
        variance = (float(baseline["rating_sq_sum"].sum()) - baseline_n * mu**2) / max(baseline_n - 1, 1)
        sigma = math.sqrt(max(variance, 0.0))
        lcl = min(mu - s.control_limit_sigma * sigma / math.sqrt(n_last), mu - s.feedback_mean_delta)
        z = (mean_last - mu) / (sigma / math.sqrt(n_last)) if sigma > 0 else (-math.inf if mean_last < mu else 0.0)
        m_p_value, m_drifted = float(stats.norm.cdf(z)), mean_last < lcl
        m_detail = f"{day}: mean rating {mean_last:+.3f} of {n_last}; centre {mu:+.3f}, lower limit {lcl:+.3f}"
    results = [
        FeatureResult("feedback_negative_rate", "p_chart", p_last, p_value, ucl, p_drifted, p_detail),
        FeatureResult("feedback_rating_mean", "xbar_chart", mean_last, m_p_value, lcl, bool(m_drifted), m_detail),
    ]
    return results, []


def _rating_counts(n: float, total: float, squares: float) -> tuple[int, int, int] | None:
    """(thumbs-down, neutral, thumbs-up) counts of ratings that are all -1, 0 or +1, from their number, sum
    and sum of squares; None when the ratings cannot all be on that scale."""
    neg2, pos2 = squares - total, squares + total
    counts = (neg2 / 2, n - squares, pos2 / 2)
    if any(c < 0 or c != int(c) for c in counts):
        return None
    return int(counts[0]), int(counts[1]), int(counts[2])


def _shortfall_sf(points: int, n: int, p_neg: float, p_neu: float) -> float:
    """P(2 * thumbs-down + neutrals >= ``points``) among ``n`` ratings with those probabilities: the sum over
    the thumbs-down count of its probability times the chance that enough of the other ratings are neutral."""
    if points <= 0:
        return 1.0
    negatives = np.arange(n + 1)
    rest = n - negatives
    needed = points - 2 * negatives
    tail = np.where(needed <= 0, 1.0, stats.binom.sf(needed - 1, rest, p_neu / (1.0 - p_neg)))
    return float(np.sum(stats.binom.pmf(negatives, n, p_neg) * tail))


# ---------------------------------------------------------------------------------------------- verdict


def _drifted_features(results: list[FeatureResult]) -> list[str]:
    """Features whose every test flags (see the decision rule in the module docstring), in test order."""
    by_feature: dict[str, list[bool]] = {}
    for r in results:
        by_feature.setdefault(r.feature, []).append(r.drifted)
    return [feature for feature, flags in by_feature.items() if all(flags)]


_FEATURE_NAMES = {
    "text_chars": "Prompt length in characters",
    "text_words": "Prompt length in words",
    "terms": "Term distribution",
    "oov_rate": "Out-of-vocabulary rate",
    "feedback_negative_rate": "Thumbs-down rate",
    "feedback_rating_mean": "Mean rating",
}


def _reasons(
    results: list[FeatureResult], drifted: list[str], term_shift: pd.DataFrame, new_terms: list[str]
) -> list[str]:
    reasons = []
    for feature in dict.fromkeys(r.feature for r in results):
        rows = [r for r in results if r.feature == feature]
        tests = "; ".join(_describe(r) for r in rows)
        name = _FEATURE_NAMES.get(feature, feature)
        if feature in drifted:
            reasons.append(f"{name} drifted ({tests}); {rows[0].detail}.")
        elif any(r.drifted for r in rows):
            reasons.append(f"{name} did not drift: only some of its tests flag ({tests}).")
    if "terms" in drifted or "oov_rate" in drifted:
        rising = term_shift[term_shift["delta"] > 0].head(5)["term"].tolist()
        if rising:
            reasons.append(f"Terms gaining the most share: {', '.join(rising)}.")
        if new_terms:
            reasons.append(f"Most frequent production terms never seen in the reference: {', '.join(new_terms)}.")
    if not drifted:
        reasons.insert(0, "No drift: no feature has both a significant test and an effect above its threshold.")
    return reasons


def _describe(r: FeatureResult) -> str:
    if r.p_value is not None and r.test not in ("p_chart", "xbar_chart"):
        sign = "<" if r.drifted else ">="
        return f"{r.test} p={r.p_value:.3g} {sign} {r.threshold:g}"
    if r.test == "xbar_chart":
        return f"{r.test} {r.statistic:+.3f} {'<' if r.drifted else '>='} lower limit {r.threshold:+.3f}"
    sign = ">" if r.drifted else "<="
    return f"{r.test} {r.statistic:.3g} {sign} {r.threshold:.3g}"


# ---------------------------------------------------------------------------------------------- plot


def plot_drift(report: DriftReport, path: str | Path) -> Path:
    """Write a PNG: length histograms (reference vs production) and the largest term-share shifts.

    Adds the daily thumbs-down rate when the report has feedback. Returns the path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if report.verdict == "insufficient_data":
        raise ValueError(f"plot_drift: nothing to plot for an insufficient_data report ({report.reasons[0]})")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    has_feedback = not report.feedback_daily.empty
    # a day with too few prompts for the text tests is still judged on its ratings: plot what was judged
    has_text = "chars" in report.lengths and "words" in report.lengths
    if not has_text and not has_feedback:
        raise ValueError("plot_drift: the report has neither text features nor feedback to plot")
    panels = (3 if has_text else 0) + (1 if has_feedback else 0)
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 4.5), squeeze=False)
    axes = axes[0]
    if has_text:
        for ax, key in zip(axes[:2], ("chars", "words"), strict=True):
            ref, prod = report.lengths[key]["reference"], report.lengths[key]["production"]
            bins = np.histogram_bin_edges(np.concatenate([ref, prod]), bins=30)
            ax.hist(ref, bins=bins, density=True, alpha=0.5, label=f"reference (n={len(ref)})")
            ax.hist(prod, bins=bins, density=True, alpha=0.5, label=f"production (n={len(prod)})")
            ax.set_title(f"prompt length ({key})")
            ax.legend()
        top = report.term_shift.head(15).iloc[::-1]
        axes[2].barh(top["term"], top["delta"], color=["tab:red" if d > 0 else "tab:blue" for d in top["delta"]])
        axes[2].set_title("term share shift (production - reference)")
    if has_feedback:
        daily = report.feedback_daily
        ax = axes[-1]
        ax.plot(daily["day"], daily["negative_rate"], marker="o")
        for r in report.results:
            if r.test == "p_chart":
                ax.axhline(r.threshold, color="tab:red", linestyle="--", label="upper control limit")
                ax.legend()
        ax.set_title("daily thumbs-down rate")
        ax.tick_params(axis="x", rotation=45)
    fig.suptitle(f"Drift report: {report.verdict}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
