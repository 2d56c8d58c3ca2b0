"""Inter-rater agreement of human reviewers: Cohen's kappa, Fleiss' kappa, Krippendorff's alpha (nominal).

The review gate asks one question: do reviewers agree with each other more than chance would explain? If
they do not, their accept/reject decisions are noise and must not change the training data. Three metrics
answer it, all chance-corrected (1 = perfect agreement, 0 = chance level, below 0 = worse than chance):

- **Cohen's kappa** for one pair of raters over the items both rated (scikit-learn's ``cohen_kappa_score``);
  with more than two raters the report gives every pair and their plain mean (Light's kappa).
- **Fleiss' kappa** for any number of raters per item, from an items x categories count table.
- **Krippendorff's alpha**, nominal, missing ratings allowed (the ``krippendorff`` package).

Items that only one reviewer rated hold no pair of ratings: every metric leaves them out, and the report
counts them (``n_items_single``) so the lead can see how much of the review carried no agreement signal.

A metric is *undefined* (``None``) when every rating falls in one category: chance agreement is then 1 and
the formula divides 0 by 0, although the reviewers agreed perfectly. The report says so and treats it as a
pass, because every rating agreed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any, Literal, get_args

import krippendorff
import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

AgreementMetric = Literal["fleiss_kappa", "krippendorff_alpha", "cohen_kappa"]
AGREEMENT_METRICS: tuple[str, ...] = get_args(AgreementMetric)

#: The decisions a reviewer can make; fixed so that a batch where nobody rejected still has two categories.
DECISIONS: tuple[str, ...] = ("accept", "reject")


def cohen_kappa(rater_a: Sequence[str], rater_b: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters, ``rater_a[i]`` and ``rater_b[i]`` being their ratings of item ``i``.

    Returns None when kappa is undefined: both raters used one and the same category for every item.
    """
    if len(rater_a) != len(rater_b):
        raise ValueError(
            f"cohen_kappa needs the two raters' ratings of the same items in the same order; got {len(rater_a)} "
            f"and {len(rater_b)} ratings."
        )
    if len(rater_a) == 0:
        raise ValueError("cohen_kappa needs at least one item rated by both raters; got none.")
    if len(set(rater_a) | set(rater_b)) == 1:
        return None
    return float(cohen_kappa_score(list(rater_a), list(rater_b)))


def _count_table(counts: Any) -> np.ndarray:
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2:
        raise ValueError(
            f"an agreement count table must be 2-D (items x categories, cell = how many raters chose that "
            f"category for that item); got shape {table.shape}."
        )
    if (table < 0).any() or not np.isfinite(table).all():
        raise ValueError("an agreement count table holds counts of raters: every cell must be a finite number >= 0.")
    return table


def fleiss_kappa(counts: Any) -> float | None:
    """Fleiss' kappa from an items x categories table of rater counts (rows may sum to different numbers).

    Gwet's generalised Fleiss' kappa for missing ratings (*Handbook of Inter-Rater Reliability*, 4th ed.,
    ch. 2; ``fleiss.kappa.raw`` of the irrCAC package, AgreeStat): observed agreement is the mean, over the
    items with at least two ratings (an item with one holds no rater pair), of P_i = sum_j n_ij (n_ij - 1) /
    (n_i (n_i - 1)); chance agreement is sum_j p_j^2, where p_j is the mean over *every* rated item of its
    share n_ij / n_i (a single rating still tells how often a category is chosen). Items nobody rated are
    left out. With the same number of raters on every item this is exactly Fleiss (1971).

    Hand-written because the library version (statsmodels ``fleiss_kappa``, not otherwise needed here)
    requires every item to have the same number of raters, which a review batch does not have. Checked in
    the tests against Fleiss's 1971 diagnoses example (0.430) and the Wikipedia table (0.210).

    Returns None when undefined (all ratings in one category). Raises ValueError when no item has two ratings.
    """
    table = _count_table(counts)
    n_i = table.sum(axis=1)
    rated, n_rated = table[n_i >= 1], n_i[n_i >= 1]
    paired, n_paired = table[n_i >= 2], n_i[n_i >= 2]
    if len(paired) == 0:
        raise ValueError("fleiss_kappa needs at least one item rated by two or more raters; no item is.")
    p_i = (paired * (paired - 1)).sum(axis=1) / (n_paired * (n_paired - 1))
    p_j = (rated / n_rated[:, None]).mean(axis=0)
    p_e = float((p_j**2).sum())
    if p_e >= 1.0 - 1e-12:
        return None
    return float((p_i.mean() - p_e) / (1.0 - p_e))


def krippendorff_alpha(counts: Any) -> float | None:
    """Krippendorff's alpha (nominal) from an items x categories table of rater counts.

    Computed by the ``krippendorff`` package (``value_counts=`` input); items with one rating are not
    pairable and do not count, as in Krippendorff's definition. Returns None when undefined (all ratings in
    one category). Raises ValueError when no item has two ratings.
    """
    table = _count_table(counts)
    if not (table.sum(axis=1) >= 2).any():
        raise ValueError("krippendorff_alpha needs at least one item rated by two or more raters; no item is.")
    pairable = table[table.sum(axis=1) >= 2]
    if (pairable.sum(axis=0) > 0).sum() <= 1:
        return None
    return float(krippendorff.alpha(value_counts=table, level_of_measurement="nominal"))


def count_table(
    ratings: pd.DataFrame,
    item: str = "record_id",
    value: str = "decision",
    categories: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Items x categories counts from long ratings (one row per rater and item): the input of the metrics.

    ``categories`` fixes the columns (and their order); a rating outside them raises ValueError. Without it
    the columns are the sorted distinct values.
    """
    for column in (item, value):
        if column not in ratings.columns:
            raise ValueError(f"count_table: ratings have no column '{column}'; columns are {list(ratings.columns)}.")
    cats = list(categories) if categories is not None else sorted(ratings[value].astype(str).unique())
    unknown = sorted(set(ratings[value].astype(str)) - set(cats))
    if unknown:
        raise ValueError(f"count_table: ratings {unknown} are not among the categories {cats}.")
    if ratings.empty:
        return pd.DataFrame(0, index=pd.Index([], name=item), columns=cats, dtype=int)
    table = pd.crosstab(ratings[item], pd.Categorical(ratings[value].astype(str), categories=cats), dropna=False)
    table.columns = [str(c) for c in table.columns]
    return table.reindex(columns=cats, fill_value=0)


@dataclass(frozen=True)
class AgreementReport:
    """Agreement of the reviewers on one batch, and whether it clears the bar.

    value: the chosen ``metric`` (None when undefined); fleiss_kappa / krippendorff_alpha / cohen_kappa: all
    three (cohen_kappa is the mean of the pairwise kappas that are defined); observed_agreement: mean share
    of agreeing rater pairs per item (raw, not chance-corrected); n_items: items with two or more ratings
    (those the metrics use); n_items_single: items with one rating (left out); pairwise_cohen: one entry per
    pair of raters who share at least one item; labels: the same report of the labels the raters gave (the
    review's label corrections), when they are measured, and then ``passed`` and ``reason`` cover both.
    """

    metric: str
    value: float | None
    min_agreement: float
    passed: bool
    reason: str
    fleiss_kappa: float | None
    krippendorff_alpha: float | None
    cohen_kappa: float | None
    observed_agreement: float | None
    n_items: int
    n_items_single: int
    n_ratings: int
    n_raters: int
    categories: list[str] = field(default_factory=list)
    pairwise_cohen: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form, for asset metadata and check results."""
        return asdict(self)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _shown(value: float, bar: float) -> str:
    """``value`` with 3 decimals, or as many more as it takes for the shown number to sit on the same side of
    ``bar`` as the value itself (0.481481 against a bar of 0.48149 is not "0.481 >= 0.48149")."""
    for decimals in (3, 4, 6, 8):
        if (round(value, decimals) >= bar) == (value >= bar):
            return f"{value:.{decimals}f}"
    return repr(value)


def pairwise_cohen(
    ratings: pd.DataFrame, item: str = "record_id", rater: str = "reviewer", value: str = "decision"
) -> list[dict[str, Any]]:
    """Cohen's kappa of every pair of raters over the items both rated (pairs sharing no item are left out)."""
    return [{**p, "kappa": _round(p["kappa"])} for p in _pairwise_cohen(ratings, item, rater, value)]


def _pairwise_cohen(ratings: pd.DataFrame, item: str, rater: str, value: str) -> list[dict[str, Any]]:
    """:func:`pairwise_cohen`, kappas unrounded."""
    wide = ratings.pivot(index=item, columns=rater, values=value)
    pairs: list[dict[str, Any]] = []
    for a, b in combinations(sorted(wide.columns, key=str), 2):
        both = wide[[a, b]].dropna()
        if len(both) == 0:
            continue
        pairs.append({
            "rater_a": str(a),
            "rater_b": str(b),
            "n_items": int(len(both)),
            "kappa": cohen_kappa(both[a].tolist(), both[b].tolist()),
        })
    return pairs


def agreement_report(
    reviews: pd.DataFrame,
    metric: AgreementMetric = "krippendorff_alpha",
    min_agreement: float = 0.6,
    *,
    item: str = "record_id",
    rater: str = "reviewer",
    value: str = "decision",
    categories: Sequence[str] | None = DECISIONS,
    single_reviews_allowed: bool = False,
) -> AgreementReport:
    """Agreement of the reviewers' ``value`` ratings (default: accept/reject decisions) and the verdict.

    ``passed`` is True when the chosen metric (unrounded) is >= ``min_agreement``; when it is undefined
    because every rating agreed (one category only), passed is True and ``reason`` says so. No item with two
    ratings means agreement cannot be measured: passed is False and ``reason`` says to assign each item to
    two reviewers, unless ``single_reviews_allowed`` (a review set up with one reviewer per item,
    ``min_reviewers_per_item`` 1): then passed is True and ``reason`` says nothing was measured.
    A rater who rated the same item twice raises ValueError (``import_reviews`` refuses such files already).
    """
    if metric not in AGREEMENT_METRICS:
        raise ValueError(f"unknown agreement metric '{metric}'; choose one of {list(AGREEMENT_METRICS)}.")
    for column in (item, rater, value):
        if column not in reviews.columns:
            raise ValueError(f"agreement_report: reviews have no column '{column}'; columns are {list(reviews.columns)}.")
    dupes = reviews[reviews.duplicated([item, rater], keep=False)]
    if len(dupes):
        first = dupes.iloc[0]
        raise ValueError(
            f"agreement_report: rater '{first[rater]}' rated item '{first[item]}' more than once "
            f"({len(dupes)} duplicate rows); keep one rating per rater and item."
        )
    table = count_table(reviews, item=item, value=value, categories=categories)
    n_per_item = table.sum(axis=1)
    multi = table[n_per_item >= 2]
    n_items, n_single = int(len(multi)), int((n_per_item == 1).sum())
    cats = [str(c) for c in table.columns]
    common = {
        "metric": metric,
        "min_agreement": float(min_agreement),
        "n_items": n_items,
        "n_items_single": n_single,
        "n_ratings": int(len(reviews)),
        "n_raters": int(reviews[rater].nunique()),
        "categories": cats,
    }
    if n_items == 0:
        reason = (
            f"agreement not measured: none of the {len(table)} reviewed items was rated by two or more reviewers, "
            "and min_reviewers_per_item is 1, so each single review is applied as it stands; treated as a pass."
            if single_reviews_allowed
            else f"agreement cannot be measured: none of the {len(table)} reviewed items was rated by two or more "
            "reviewers; assign every item to at least two reviewers (min_reviewers_per_item >= 2), or set "
            "min_reviewers_per_item to 1 to apply single reviews without an agreement check."
        )
        return AgreementReport(
            value=None, passed=single_reviews_allowed, fleiss_kappa=None, krippendorff_alpha=None,
            cohen_kappa=None, observed_agreement=None, pairwise_cohen=[], reason=reason, **common,
        )
    counts = multi.to_numpy(dtype=float)
    n_i = counts.sum(axis=1)
    observed = float(((counts * (counts - 1)).sum(axis=1) / (n_i * (n_i - 1))).mean())
    pairs = _pairwise_cohen(reviews, item, rater, value)
    defined = [p["kappa"] for p in pairs if p["kappa"] is not None]
    exact = {
        # Gwet's Fleiss' kappa reads the single-rated items too (for the category shares)
        "fleiss_kappa": fleiss_kappa(table.to_numpy(dtype=float)),
        "krippendorff_alpha": krippendorff_alpha(counts),
        "cohen_kappa": float(np.mean(defined)) if defined else None,
    }
    values = {name: _round(v) for name, v in exact.items()}
    chosen = exact[metric]
    where = f"over {n_items} items rated by two or more of {common['n_raters']} reviewers"
    if chosen is None:
        # Undefined only when chance agreement is 1: every rating (or, for Cohen, every pair's ratings) in one
        # category, which means every pair of ratings of an item agreed.
        passed = True
        used = [c for c, n in zip(cats, counts.sum(axis=0)) if n > 0]
        what = (
            f"every rating is {used}"
            if len(used) == 1
            else "each pair of reviewers gave one and the same rating to every item they share"
        )
        reason = (
            f"{metric} is undefined {where}: {what}, so agreement is complete but chance agreement is 1 as well; "
            "treated as a pass."
        )
    else:
        passed = chosen >= min_agreement
        disagreeing = int((counts.max(axis=1) < n_i).sum())
        shown = _shown(chosen, min_agreement)
        reason = (
            f"{metric} {shown} >= {min_agreement} {where}."
            if passed
            else f"{metric} {shown} is below the bar {min_agreement} {where}; reviewers disagree on "
            f"{disagreeing} items: read the disagreements, sharpen the review guidelines and review again."
        )
        if not passed and observed >= 0.8:
            # the case that surprises: 23 of 24 items agreed on, alpha 0.0
            reason += (
                f" (They agree on {observed:.0%} of their ratings, but {metric} discounts the agreement chance "
                "gives: when nearly every rating is the same, chance gives most of it, and a disagreement on the "
                "rare rating weighs a lot. Review more items that may deserve the rare rating, or lower the bar "
                "knowingly.)"
            )
    return AgreementReport(
        value=_round(chosen),
        passed=bool(passed),
        reason=reason,
        observed_agreement=_round(observed),
        pairwise_cohen=[{**p, "kappa": _round(p["kappa"])} for p in pairs],
        **values,
        **common,
    )
