"""Inter-rater agreement: textbook values for each metric, varying raters, undefined cases and the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from finetune_platform.curation.agreement import (
    agreement_report,
    cohen_kappa,
    count_table,
    fleiss_kappa,
    krippendorff_alpha,
)

DATA = Path(__file__).parent / "data" / "review"

#: Wikipedia's Fleiss' kappa example: 10 subjects, 14 raters, 5 categories; kappa 0.210.
WIKIPEDIA_FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def long_from_wide(wide: pd.DataFrame) -> pd.DataFrame:
    """Rows = items, columns = raters, empty = not rated -> record_id, reviewer, decision."""
    stacked = wide.stack().reset_index()
    stacked.columns = ["record_id", "reviewer", "decision"]
    stacked["decision"] = stacked["decision"].map(lambda v: str(int(v)) if isinstance(v, float) else str(v))
    return stacked


def reviews(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id", "reviewer", "decision"])


# --- Cohen ----------------------------------------------------------------------------------------------


def test_cohen_kappa_wikipedia_example():
    # 50 grant proposals: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> p_o 0.7, p_e 0.5, kappa 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_cohen_kappa_undefined_and_bad_input():
    assert cohen_kappa(["accept"] * 5, ["accept"] * 5) is None
    # One rater constant, the other not: defined, and at chance level.
    assert cohen_kappa(["accept"] * 4, ["accept", "reject", "accept", "reject"]) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="same items in the same order; got 2 and 3"):
        cohen_kappa(["a", "b"], ["a", "b", "a"])
    with pytest.raises(ValueError, match="at least one item"):
        cohen_kappa([], [])


# --- Fleiss ---------------------------------------------------------------------------------------------


def test_fleiss_kappa_wikipedia_table():
    assert fleiss_kappa(WIKIPEDIA_FLEISS) == pytest.approx(0.20993, abs=1e-5)


def test_fleiss_kappa_fleiss_1971_diagnoses():
    wide = pd.read_csv(DATA / "fleiss1971_diagnoses.csv", index_col="patient")
    table = count_table(long_from_wide(wide))
    assert table.shape == (30, 5)
    assert table.sum(axis=0).tolist() == [26, 26, 30, 55, 43]
    assert fleiss_kappa(table) == pytest.approx(0.4302445, abs=1e-7)


@pytest.mark.parametrize(
    ("table", "expected"),
    # Randolph's online calculator ("fixed-marginal kappa"), as quoted in statsmodels' tests.
    [([[7, 1], [3, 5]], 0.161905), ([[6, 1, 0], [0, 7, 0]], 0.708333), ([[7, 0], [0, 7]], 1.0)],
)
def test_fleiss_kappa_small_tables(table, expected):
    assert fleiss_kappa(table) == pytest.approx(expected, abs=1e-6)


def test_fleiss_kappa_varying_raters_matches_gwet_irrcac():
    long = pd.read_csv(DATA / "varying_raters.csv")
    table = count_table(long)
    assert sorted(set(table.sum(axis=1))) == [2, 3, 4]
    assert fleiss_kappa(table) == pytest.approx(-0.1795635, abs=1e-7)


def test_fleiss_kappa_single_ratings_count_towards_chance_agreement_only():
    base = [[2, 0], [1, 1], [0, 3], [2, 1]]
    # By hand: P_i = 1, 0, 1, 1/3 -> P = 7/12; shares (1, .5, 0, 2/3)/4 -> p = (13/24, 11/24);
    # p_e = (169 + 121) / 576 = 290/576; kappa = (7/12 - 290/576) / (1 - 290/576) = 46/286.
    assert fleiss_kappa(base) == pytest.approx(46 / 286)
    # Gwet (irrCAC fleiss.kappa.raw): P stays 7/12 (pairs only), the shares are averaged over every rated item,
    # the two single ratings included and the unrated item left out: p = (19/36, 17/36),
    # p_e = (361 + 289) / 1296 = 650/1296; kappa = (756 - 650) / (1296 - 650) = 106/646.
    assert fleiss_kappa(base + [[1, 0], [0, 1], [0, 0]]) == pytest.approx(106 / 646)
    # 3 double-rated items and 10 single accepts: P = 2/3, p = (11.5/13, 1.5/13) -> kappa -0.6329 (irrCAC)
    table = [[2, 0], [1, 1], [0, 2]] + [[1, 0]] * 10
    p_e = (11.5 / 13) ** 2 + (1.5 / 13) ** 2
    assert fleiss_kappa(table) == pytest.approx((2 / 3 - p_e) / (1 - p_e))
    assert round(fleiss_kappa(table), 4) == -0.6329


def test_fleiss_kappa_undefined_and_errors():
    assert fleiss_kappa([[3, 0], [2, 0]]) is None
    with pytest.raises(ValueError, match="no item is"):
        fleiss_kappa([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="must be 2-D"):
        fleiss_kappa([1, 2, 3])
    with pytest.raises(ValueError, match=">= 0"):
        fleiss_kappa([[2, -1]])


# --- Krippendorff ---------------------------------------------------------------------------------------


def test_krippendorff_alpha_worked_example_2011():
    wide = pd.read_csv(DATA / "krippendorff2011.csv", index_col="observer").T  # items x observers
    long = long_from_wide(wide)
    assert len(long) == 41  # 48 cells, 7 missing
    assert krippendorff_alpha(count_table(long)) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_alpha_varying_raters_matches_irrcac():
    table = count_table(pd.read_csv(DATA / "varying_raters.csv"))
    assert krippendorff_alpha(table) == pytest.approx(-0.16, abs=1e-9)


def test_krippendorff_alpha_undefined_and_errors():
    assert krippendorff_alpha([[2, 0], [3, 0], [0, 1]]) is None  # the lone 'reject' is not pairable
    with pytest.raises(ValueError, match="no item is"):
        krippendorff_alpha([[1, 0], [0, 1]])


def test_count_table_rejects_ratings_outside_categories():
    with pytest.raises(ValueError, match=r"ratings \['maybe'\] are not among the categories \['accept', 'reject'\]"):
        count_table(reviews(("r1", "a", "accept"), ("r1", "b", "maybe")), categories=["accept", "reject"])


# --- report ---------------------------------------------------------------------------------------------


def _planted(n_items: int, disagree_every: int) -> pd.DataFrame:
    """Three reviewers on n_items; the truth alternates accept/reject in a 2:1 ratio; carol flips every
    ``disagree_every``-th item."""
    rows = []
    for i in range(n_items):
        truth = "reject" if i % 3 == 0 else "accept"
        flipped = {"accept": "reject", "reject": "accept"}[truth]
        rows += [(f"r{i}", "alice", truth), (f"r{i}", "bob", truth)]
        rows.append((f"r{i}", "carol", flipped if i % disagree_every == 0 else truth))
    return reviews(*rows)


def test_report_passes_high_agreement_and_fails_low():
    good = agreement_report(_planted(30, 10), "krippendorff_alpha", 0.6)
    assert good.passed and good.value is not None and good.value > 0.6
    assert good.n_items == 30 and good.n_raters == 3 and good.n_ratings == 90
    assert "krippendorff_alpha" in good.reason and ">= 0.6" in good.reason

    bad = agreement_report(_planted(30, 1), "fleiss_kappa", 0.6)  # carol always flips
    assert not bad.passed
    assert bad.value == bad.fleiss_kappa and bad.value < 0.6
    assert "below the bar 0.6" in bad.reason and "disagree on 30 items" in bad.reason


def test_report_pairwise_cohen_and_metric_choice():
    report = agreement_report(_planted(30, 10), "cohen_kappa", 0.6)
    pairs = {(p["rater_a"], p["rater_b"]): p for p in report.pairwise_cohen}
    assert set(pairs) == {("alice", "bob"), ("alice", "carol"), ("bob", "carol")}
    assert pairs[("alice", "bob")]["kappa"] == 1.0
    assert pairs[("alice", "carol")]["n_items"] == 30
    assert pairs[("alice", "carol")]["kappa"] < 1.0
    expected_mean = np.mean([p["kappa"] for p in report.pairwise_cohen])
    assert report.value == report.cohen_kappa == pytest.approx(expected_mean, abs=1e-4)
    assert report.to_dict()["pairwise_cohen"] == report.pairwise_cohen


def test_report_without_overlap_cannot_pass():
    report = agreement_report(reviews(("r1", "alice", "accept"), ("r2", "bob", "reject")))
    assert not report.passed and report.value is None
    assert report.n_items == 0 and report.n_items_single == 2
    assert "none of the 2 reviewed items was rated by two or more reviewers" in report.reason


def test_report_all_accept_is_undefined_but_passes():
    data = reviews(("r1", "a", "accept"), ("r1", "b", "accept"), ("r2", "a", "accept"), ("r2", "b", "accept"))
    report = agreement_report(data)
    assert report.passed and report.value is None and report.observed_agreement == 1.0
    assert "undefined" in report.reason and "['accept']" in report.reason


def test_report_cohen_undefined_for_every_pair_passes():
    # alice/bob accept r1, carol/dan reject r2: every pair is constant (kappa undefined), Fleiss is 1.
    data = reviews(("r1", "alice", "accept"), ("r1", "bob", "accept"), ("r2", "carol", "reject"), ("r2", "dan", "reject"))
    report = agreement_report(data, "cohen_kappa")
    assert report.value is None and report.fleiss_kappa == 1.0 and report.passed
    assert "each pair of reviewers gave one and the same rating" in report.reason


def test_report_counts_single_rated_items_separately():
    data = pd.concat([_planted(9, 3), reviews(("lone", "alice", "reject"))], ignore_index=True)
    report = agreement_report(data)
    assert report.n_items == 9 and report.n_items_single == 1


def test_report_errors():
    with pytest.raises(ValueError, match="unknown agreement metric 'kappa'"):
        agreement_report(_planted(3, 1), "kappa")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rater 'alice' rated item 'r1' more than once"):
        agreement_report(reviews(("r1", "alice", "accept"), ("r1", "alice", "reject"), ("r1", "bob", "accept")))
    with pytest.raises(ValueError, match="no column 'reviewer'"):
        agreement_report(pd.DataFrame({"record_id": ["r1"], "decision": ["accept"]}))


def test_the_bar_is_compared_with_the_unrounded_value_and_shown_so():
    # 3 reviewers, 5 items; alpha = 13/27 = 0.481481... (the krippendorff package on the same data), which
    # rounds to 0.4815 for the report but is below a bar of 0.48149
    a, r = "accept", "reject"
    votes = {"x": [a, r, a, a, a], "y": [a, r, a, r, a], "z": [r, r, a, r, a]}
    ratings = reviews(*[(f"i{k}", who, v) for who, vs in votes.items() for k, v in enumerate(vs)])
    report = agreement_report(ratings, "krippendorff_alpha", 0.48149)
    assert report.krippendorff_alpha == 0.4815 and report.value == 0.4815
    assert not report.passed
    assert report.reason.startswith("krippendorff_alpha 0.481 is below the bar 0.48149")
    # shown with as many decimals as it takes to sit on the right side of the bar, never "0.481 >= 0.48148"
    assert agreement_report(ratings, "krippendorff_alpha", 0.48148).reason.startswith("krippendorff_alpha 0.4815 >= ")
    assert agreement_report(ratings, "krippendorff_alpha", 0.4).reason.startswith("krippendorff_alpha 0.481 >= 0.4")


def test_a_failing_verdict_on_near_unanimous_ratings_says_how_much_they_agree():
    """23 of 24 items agreed on (all accept), one split: alpha is 0.0 (the krippendorff package agrees), a
    fail; the reason says they agree on 96% of their ratings and why alpha is low anyway."""
    rows = [(f"r{i}", who, "accept") for i in range(24) for who in ("alice", "bob")]
    rows[-1] = ("r23", "bob", "reject")
    report = agreement_report(pd.DataFrame(rows, columns=["record_id", "reviewer", "decision"]))
    assert not report.passed and report.value == pytest.approx(0.0, abs=1e-9)
    assert report.observed_agreement == pytest.approx(23 / 24, abs=1e-4)
    assert "They agree on 96% of their ratings" in report.reason and "discounts the agreement chance" in report.reason
    planted = agreement_report(_planted(30, 1), "fleiss_kappa", 0.6)  # real disagreement: no such note
    assert not planted.passed and "They agree on" not in planted.reason
