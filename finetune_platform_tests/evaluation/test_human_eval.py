"""Blinded side-by-side human evaluation: sheet, exports, import with unblinding, aggregation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from finetune_platform.evaluation.human_eval import (
    HUMAN_EVAL_CSV_COLUMNS,
    KEY_COLUMNS,
    RATING_COLUMNS,
    SHEET_COLUMNS,
    HumanEvalImportError,
    aggregate_human_eval,
    build_human_eval_sheet,
    export_human_eval_csv,
    export_human_eval_label_studio,
    human_eval_label_studio_config,
    import_human_ratings,
)
from finetune_platform.formats.instructions import PROMPT_TEMPLATES


def _prompts(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "example_id": [f"rec{i}::reply" for i in range(n)],
        "prompt": [PROMPT_TEMPLATES["reply"].format(text=f"ticket {i}") for i in range(n)],
    })


def _outputs(n: int) -> tuple[list[str], list[str]]:
    return [f"candidate answer {i}" for i in range(n)], [f"champion answer {i}" for i in range(n)]


def test_sheet_is_blinded_balanced_and_deterministic():
    candidate, champion = _outputs(7)
    sheet, key = build_human_eval_sheet(_prompts(7), candidate, champion, seed=3)
    assert list(sheet.columns) == SHEET_COLUMNS
    assert list(key.columns) == KEY_COLUMNS
    assert sheet["item_id"].tolist() == [f"he-{i:04d}" for i in range(1, 8)]
    assert key["candidate_side"].value_counts().to_dict() == {"a": 4, "b": 3}
    # every item shows the right pair, on the side the key says
    merged = sheet.merge(key, on="item_id")
    for row in merged.itertuples():
        i = int(row.example_id.removeprefix("rec").split("::")[0])
        cand, champ = (row.output_a, row.output_b) if row.candidate_side == "a" else (row.output_b, row.output_a)
        assert (cand, champ, row.prompt) == (candidate[i], champion[i], f"ticket {i}")
    again, _ = build_human_eval_sheet(_prompts(7), candidate, champion, seed=3)
    other, _ = build_human_eval_sheet(_prompts(7), candidate, champion, seed=4)
    assert again.equals(sheet)
    assert not other.equals(sheet)


def test_sheet_input_errors():
    candidate, champion = _outputs(3)
    with pytest.raises(ValueError, match="2 champion_outputs for 3 prompts"):
        build_human_eval_sheet(_prompts(3), candidate, champion[:2])
    with pytest.raises(ValueError, match="no 'prompt' column"):
        build_human_eval_sheet(pd.DataFrame({"text": ["x"]}), ["a"], ["b"])
    with pytest.raises(ValueError, match="repeat"):
        build_human_eval_sheet(pd.concat([_prompts(1), _prompts(1)]), ["a", "b"], ["c", "d"])


def test_csv_export_is_spreadsheet_safe(tmp_path: Path):
    sheet, _ = build_human_eval_sheet(_prompts(2), ["=HYPERLINK(\"http://x\")", "fine"], ["@SUM(A1)", "ok"], seed=0)
    path = export_human_eval_csv(sheet, tmp_path / "sheet.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert list(rows[0]) == HUMAN_EVAL_CSV_COLUMNS
    cells = {c for r in rows for c in (r["output_a"], r["output_b"])}
    assert "'=HYPERLINK(\"http://x\")" in cells and "'@SUM(A1)" in cells
    _, key = build_human_eval_sheet(_prompts(2), ["a", "b"], ["c", "d"])
    with pytest.raises(ValueError, match="would unblind raters"):
        export_human_eval_csv(sheet.merge(key, on="item_id"), tmp_path / "leak.csv")


def _fill(path: Path, out: Path, answers: dict[str, tuple[str, str, str]], rater: str | None) -> Path:
    """Copy the exported sheet with a rater's (preference, score_a, score_b) per item_id."""
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    for row in rows:
        if row["item_id"] in answers:
            row["preference"], row["score_a"], row["score_b"] = answers[row["item_id"]]
            row["rater"] = rater or ""
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HUMAN_EVAL_CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return out


def test_round_trip_unblinds_preferences_and_scores(tmp_path: Path):
    sheet, key = build_human_eval_sheet(_prompts(4), *_outputs(4), seed=1)
    exported = export_human_eval_csv(sheet, tmp_path / "sheet.csv")
    side = dict(zip(key["item_id"], key["candidate_side"], strict=True))
    # alice always picks the candidate's side and scores it 5 vs 2; bob (from the file name) ties item 1
    alice = {item: (s.upper(), "5" if s == "a" else "2", "2" if s == "a" else "5") for item, s in side.items()}
    bob = {"he-0001": ("tie", "", "")}
    ratings = import_human_ratings(
        [_fill(exported, tmp_path / "alice.csv", alice, "alice"), _fill(exported, tmp_path / "bob.csv", bob, None)],
        key, rater_from_filename=True,
    )
    assert list(ratings.columns) == RATING_COLUMNS
    assert len(ratings) == 5
    by_rater = ratings.groupby("rater")["winner"].apply(list).to_dict()
    assert by_rater == {"alice": ["candidate"] * 4, "bob": ["tie"]}
    alice_rows = ratings[ratings["rater"] == "alice"]
    assert alice_rows["score_candidate"].tolist() == [5.0] * 4
    assert alice_rows["score_champion"].tolist() == [2.0] * 4
    assert ratings.loc[ratings["rater"] == "bob", "origin"].item() == "bob.csv:data row 1"
    assert ratings.attrs["import_stats"]["blank_rows_skipped"] == 3


def test_import_collects_every_bad_row_with_file_and_row(tmp_path: Path):
    _, key = build_human_eval_sheet(_prompts(3), *_outputs(3), seed=0)
    path = tmp_path / "carol.csv"
    path.write_text(
        "item_id,preference,score_a,score_b,rater,comment\n"
        "he-0001,a,5,4,carol,\n"
        "he-0002,maybe,,,carol,\n"
        "he-0003,b,7,,carol,\n"
        "he-9999,a,,,carol,\n"
        "he-0001,b,,,carol,\n"
        "he-0002,a,,,,\n"
        "he-0003,,,,carol,looks odd\n",
        encoding="utf-8",
    )
    with pytest.raises(HumanEvalImportError) as caught:
        import_human_ratings([path], key)
    message = str(caught.value)
    assert "6 rating row(s) could not be imported" in message
    for expected in (
        "carol.csv, data row 2: preference 'maybe' is not one of a, b, tie",
        "carol.csv, data row 3: score_a 7 is outside 1-5",
        "carol.csv, data row 4: item_id 'he-9999' is not in the key",
        "carol.csv, data row 5: rater 'carol' already rated item 'he-0001' at carol.csv:data row 1",
        "carol.csv, data row 6: rater is empty",
        "carol.csv, data row 7: preference is empty but a score or comment is filled",
    ):
        assert expected in message


def test_label_studio_export_and_import(tmp_path: Path):
    sheet, key = build_human_eval_sheet(_prompts(2), *_outputs(2), seed=0)
    tasks_path = export_human_eval_label_studio(sheet, tmp_path / "tasks.json")
    tasks = json.loads(tasks_path.read_text())
    assert [set(t["data"]) for t in tasks] == [set(SHEET_COLUMNS)] * 2
    config = human_eval_label_studio_config()
    for control in ('name="preference"', 'name="score_a"', 'alias="tie"', "$output_b"):
        assert control in config
    side = dict(zip(key["item_id"], key["candidate_side"], strict=True))
    first, second = tasks[0]["data"]["item_id"], tasks[1]["data"]["item_id"]
    tasks[0]["annotations"] = [
        {"completed_by": {"email": "dana@example.com"}, "result": [
            {"from_name": "preference", "type": "choices", "value": {"choices": [side[first]]}},
            {"from_name": "score_a", "type": "rating", "value": {"rating": 4}},
            {"from_name": "score_b", "type": "rating", "value": {"rating": 1}},
        ]},
        {"completed_by": 7, "was_cancelled": True, "result": []},
    ]
    tasks[1]["annotations"] = [
        {"completed_by": {"email": "dana@example.com"}, "result": [
            {"from_name": "pw", "to_name": "pw", "type": "pairwise", "value": {"selected": "right"}},
        ]},
    ]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks))
    ratings = import_human_ratings([export], key)
    assert ratings["rater"].tolist() == ["dana@example.com"] * 2
    first_row = ratings.set_index("item_id").loc[first]
    assert first_row["winner"] == "candidate"
    expected_scores = (4.0, 1.0) if side[first] == "a" else (1.0, 4.0)
    assert (first_row["score_candidate"], first_row["score_champion"]) == expected_scores
    assert ratings.set_index("item_id").loc[second, "winner"] == ("candidate" if side[second] == "b" else "champion")
    assert ratings.attrs["import_stats"]["cancelled_skipped"] == 1


def _ratings(winners: dict[str, list[str]], sides: dict[str, str] | None = None) -> pd.DataFrame:
    """Long ratings from {rater: [winner per item]}; the candidate sits on side a unless ``sides`` says."""
    rows = []
    for rater, per_item in winners.items():
        for i, winner in enumerate(per_item):
            item = f"he-{i + 1:04d}"
            cand_side = (sides or {}).get(item, "a")
            pref = "tie" if winner == "tie" else (cand_side if winner == "candidate" else ("b" if cand_side == "a" else "a"))
            rows.append({"item_id": item, "example_id": f"x{i}", "rater": rater, "preference": pref, "winner": winner,
                         "score_candidate": float("nan"), "score_champion": float("nan"), "comment": "", "origin": "t"})
    return pd.DataFrame(rows, columns=RATING_COLUMNS)


def test_aggregate_counts_win_rate_and_agreement():
    winners = ["candidate"] * 14 + ["champion"] * 4 + ["tie"] * 2
    ratings = _ratings({"alice": winners, "bob": winners[:-1] + ["candidate"]})
    summary = aggregate_human_eval(ratings, seed=0)
    assert (summary.n_items, summary.n_ratings, summary.n_raters) == (20, 40, 2)
    assert (summary.candidate_wins, summary.champion_wins, summary.ties) == (29, 8, 3)
    assert summary.win_rate == pytest.approx((29 + 1.5) / 40)
    low, high = summary.win_rate_ci
    assert low < summary.win_rate < high and low > 0.5
    assert summary.verdict == "candidate preferred"
    assert summary.decisive_win_rate == pytest.approx(29 / 37)
    per = summary.per_rater.set_index("rater")
    assert per.loc["bob", ["candidate_wins", "ties"]].tolist() == [15, 1]
    assert summary.agreement is not None and summary.agreement["n_items"] == 20
    assert summary.agreement["value"] == pytest.approx(0.89, abs=0.05)
    assert "candidate preferred" in summary.markdown()


def test_aggregate_no_clear_preference_and_position_bias():
    # a rater who always picks side A, on balanced sides: half candidate wins, a_side_rate 1.0
    sides = {f"he-{i:04d}": ("a" if i % 2 else "b") for i in range(1, 11)}
    winners = ["candidate" if s == "a" else "champion" for s in sides.values()]
    summary = aggregate_human_eval(_ratings({"carl": winners}, sides))
    assert summary.win_rate == pytest.approx(0.5)
    assert summary.a_side_rate == 1.0
    assert summary.verdict == "no clear preference"
    assert summary.agreement is None


def test_a_few_unanimous_ratings_are_not_a_preference():
    """With every rating one way the item bootstrap has no width: one or two ratings must not decide."""
    for n in (1, 2):
        sides = {f"he-{i:04d}": "a" for i in range(1, n + 1)}
        summary = aggregate_human_eval(_ratings({"ann": ["candidate"] * n}, sides))
        assert summary.win_rate_ci == (1.0, 1.0) and summary.verdict == "no clear preference", n
    sides = {f"he-{i:04d}": "b" for i in range(1, 7)}
    assert aggregate_human_eval(_ratings({"ann": ["champion"] * 6}, sides)).verdict == "champion preferred"


def test_aggregate_refuses_bad_input():
    with pytest.raises(ValueError, match="no ratings"):
        aggregate_human_eval(_ratings({}))
    bad = _ratings({"x": ["candidate"]}).assign(winner="model_a")
    with pytest.raises(ValueError, match=r"winner values \['model_a'\]"):
        aggregate_human_eval(bad)


def test_a_sheet_is_filed_by_what_raters_see_so_ratings_never_move_to_another_comparison():
    from finetune_platform.evaluation.human_eval import sheet_id

    candidate = [f"candidate answer {i}" for i in range(5)]
    champion = [f"champion answer {i}" for i in range(5)]
    first = build_human_eval_sheet(_prompts(5), candidate, champion, seed=3)
    assert sheet_id(first, "run12345") == sheet_id(build_human_eval_sheet(_prompts(5), candidate, champion, seed=3), "run12345")
    assert sheet_id(first, "run12345").startswith("run12345-")
    new_candidate = build_human_eval_sheet(_prompts(5), [*candidate[:4], "a better answer"], champion, seed=3)
    new_champion = build_human_eval_sheet(_prompts(5), candidate, [f"new champion {i}" for i in range(5)], seed=3)
    assert len({sheet_id(s, "run12345") for s in (first, new_candidate, new_champion)}) == 3
