"""Human review: queue sampling, spreadsheet and Label Studio hand-off, import errors, applying decisions."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from finetune_platform.curation.config import CURATED_COLUMNS
from finetune_platform.curation.review import (
    DISAGREEMENT_COLUMNS,
    REVIEW_COLUMNS,
    REVIEW_CSV_COLUMNS,
    REVIEW_QUEUE_COLUMNS,
    ReviewImportError,
    ReviewSettings,
    apply_reviews,
    build_review_queue,
    export_label_studio,
    export_review_csv,
    import_reviews,
    label_studio_config,
    queue_stats,
    review_agreement,
    spreadsheet_safe,
)
from finetune_platform.schemas import DROPPED_COLUMNS

DATA = Path(__file__).parent / "data" / "review"

#: (label, source, how many) of the curated records used by the sampling tests: 100 records, 5 strata.
STRATA = [("billing", "tickets", 50), ("shipping", "tickets", 20), ("shipping", "email", 10),
          ("account", "tickets", 15), ("technical", "tickets", 5)]


def curated(*rows: dict) -> pd.DataFrame:
    """A CURATED_COLUMNS frame from partial rows (record ids r1, r2, ... unless given)."""
    full = []
    for i, row in enumerate(rows, start=1):
        full.append({
            "record_id": f"r{i}", "source": "tickets", "source_file": "t.jsonl", "source_row": i, "doc_type": "chat",
            "text": f"request {i}", "response": f"answer {i}", "label": "billing", "messages": "",
            "quality_score": 0.9, "pii_counts": "{}", **row,
        })
    return pd.DataFrame(full, columns=CURATED_COLUMNS)


def sampling_records() -> pd.DataFrame:
    """100 records; every 4th record of each stratum is borderline (27 at score 0.75), the others score 0.9+."""
    rows = []
    for label, source, count in STRATA:
        for k in range(count):
            rows.append({
                "record_id": f"{source}/{label}#{k:03d}", "source": source, "label": label,
                "quality_score": 0.75 if k % 4 == 0 else 0.9 + (k % 10) / 100,
            })
    return curated(*rows)


# --- settings -------------------------------------------------------------------------------------------


def test_settings_reject_an_inverted_borderline_band():
    with pytest.raises(ValidationError, match=r"borderline_low \(0.9\) must not be above borderline_high \(0.8\)"):
        ReviewSettings(borderline_low=0.9, borderline_high=0.8)
    with pytest.raises(ValidationError, match="rejection_rule"):
        ReviewSettings(rejection_rule="most")  # type: ignore[arg-type]


# --- queue ----------------------------------------------------------------------------------------------


def test_queue_takes_borderline_records_first():
    records = sampling_records()
    queue = build_review_queue(records, ReviewSettings(sample_size=20, borderline_share=0.5, seed=1))
    assert list(queue.columns) == REVIEW_QUEUE_COLUMNS
    assert len(queue) == 20 and queue["record_id"].is_unique
    assert set(queue["record_id"]) <= set(records["record_id"])
    assert queue["borderline"].head(10).all()
    assert (queue["quality_score"].head(10) == 0.75).all()
    assert queue["review_id"].str.fullmatch(r"rv-[0-9a-f]{10}").all()


def test_queue_is_stratified_by_label_and_source():
    queue = build_review_queue(sampling_records(), ReviewSettings(sample_size=20, borderline_share=0.0, seed=3))
    by_stratum = queue_stats(queue)["by_stratum"]
    # One per stratum first, then 15 places in proportion to the room left (49, 19, 9, 14, 4 of 95).
    assert by_stratum == {
        "account|tickets": 3, "billing|tickets": 9, "shipping|email": 2, "shipping|tickets": 4, "technical|tickets": 2,
    }
    by_label = build_review_queue(
        sampling_records(), ReviewSettings(sample_size=20, borderline_share=0.0, stratify_by_source=False, seed=3)
    )
    assert set(by_label["stratum"]) == {"billing", "shipping", "account", "technical"}


def test_queue_gives_small_strata_a_place_in_the_borderline_phase():
    # 27 borderline records: billing 13, shipping|tickets 5, shipping|email 3, account 4, technical 2 (k % 4 == 0).
    queue = build_review_queue(sampling_records(), ReviewSettings(sample_size=10, borderline_share=1.0, seed=0))
    assert queue["borderline"].all()
    # One place each, then 5 in proportion to the room left (12, 4, 2, 3, 1 of 22), largest remainders.
    assert queue_stats(queue)["by_stratum"] == {
        "account|tickets": 2, "billing|tickets": 4, "shipping|email": 1, "shipping|tickets": 2, "technical|tickets": 1,
    }


def test_queue_keeps_a_place_for_strata_without_borderline_records():
    # Only billing has borderline records: the band's share (2 of 4) would give billing a second place while
    # technical got none; every label gets one first, the band keeps what is left.
    rows = [{"label": "billing", "quality_score": 0.75} for _ in range(10)] + [
        {"label": label, "quality_score": 0.95} for label in ("shipping", "account", "technical") for _ in range(10)
    ]
    queue = build_review_queue(curated(*rows), ReviewSettings(sample_size=4, borderline_share=0.5))
    assert sorted(queue["label"]) == ["account", "billing", "shipping", "technical"]
    assert queue["borderline"].iloc[0] and not queue["borderline"].iloc[1:].any()
    # with room for every stratum the band's share stands
    queue = build_review_queue(curated(*rows), ReviewSettings(sample_size=10, borderline_share=0.5))
    assert queue["borderline"].sum() == 5 and set(queue["label"]) == {"account", "billing", "shipping", "technical"}


def test_queue_is_deterministic_for_a_seed_and_ignores_row_order():
    records = sampling_records()
    settings = ReviewSettings(sample_size=25, seed=7)
    first = build_review_queue(records, settings)
    shuffled = build_review_queue(records.sample(frac=1.0, random_state=11), settings)
    pd.testing.assert_frame_equal(first, shuffled)
    other = build_review_queue(records, ReviewSettings(sample_size=25, seed=8))
    assert set(other["record_id"]) != set(first["record_id"])


def test_queue_fills_up_when_the_band_is_short():
    records = curated(*[{"quality_score": 0.72 if i < 3 else 0.95} for i in range(40)])
    queue = build_review_queue(records, ReviewSettings(sample_size=20, borderline_share=0.5))
    assert len(queue) == 20
    assert queue["borderline"].head(3).all() and not queue["borderline"].iloc[3:].any()


def test_queue_takes_everything_when_sample_is_larger_than_records():
    records = sampling_records()
    queue = build_review_queue(records, ReviewSettings(sample_size=500))
    assert sorted(queue["record_id"]) == sorted(records["record_id"])
    assert queue_stats(queue)["borderline"] == 27


def test_queue_needs_quality_scores():
    with pytest.raises(ValueError, match=r"without columns \['quality_score'\]"):
        build_review_queue(curated({}).drop(columns=["quality_score"]), ReviewSettings())


# --- spreadsheet ----------------------------------------------------------------------------------------


def test_csv_export_neutralises_formulas(tmp_path):
    records = curated(
        {"text": '=HYPERLINK("http://evil.example","click")', "response": "+1 555 0100", "label": "-billing"},
        {"text": "@SUM(A1:A9)", "response": "\tcmd", "source": "=cmd|' /C calc'!A0"},
        {"text": "a normal request = fine", "response": "2-3 days"},
    )
    queue = build_review_queue(records, ReviewSettings(sample_size=3))
    path = export_review_csv(queue, tmp_path / "batch.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = {row["record_id"]: row for row in csv.DictReader(fh)}
    assert list(rows["r1"]) == REVIEW_CSV_COLUMNS
    assert rows["r1"]["text"] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows["r1"]["response"] == "'+1 555 0100" and rows["r1"]["label"] == "'-billing"
    assert rows["r2"]["text"] == "'@SUM(A1:A9)" and rows["r2"]["response"] == "'\tcmd"
    assert rows["r2"]["source"].startswith("'=cmd")
    assert rows["r3"]["text"] == "a normal request = fine" and rows["r3"]["response"] == "2-3 days"
    assert all(rows["r3"][c] == "" for c in ("decision", "corrected_label", "reviewer", "comment"))
    assert spreadsheet_safe("-") == "'-" and spreadsheet_safe("") == ""


def _fill(src: Path, dst: Path, answers: dict[str, tuple[str, str, str, str]]) -> Path:
    """Copy an exported spreadsheet, filling (decision, corrected_label, reviewer, comment) per record id."""
    with src.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        decision, label, reviewer, comment = answers.get(row["record_id"].lstrip("'"), ("", "", "", ""))
        row.update(decision=decision, corrected_label=label, reviewer=reviewer, comment=comment)
    with dst.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=REVIEW_CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return dst


def test_csv_round_trip_with_a_reviewer_column(tmp_path):
    records = curated({"record_id": "=r1"}, {"label": "shipping"}, {}, {})
    queue = build_review_queue(records, ReviewSettings(sample_size=4))
    sheet = export_review_csv(queue, tmp_path / "batch.csv")
    alice = _fill(sheet, tmp_path / "alice.csv", {
        "=r1": ("accept", "", "alice", ""),
        "r2": ("REJECTED", "", "alice", "-1 for tone"),  # the participle, in any case, is the same decision
        "r3": ("Accepted", "shipping", "alice", ""),
    })
    reviews = import_reviews([alice], records)
    assert list(reviews.columns) == REVIEW_COLUMNS
    got = reviews.sort_values("record_id")[["record_id", "reviewer", "decision", "label", "comment"]].values.tolist()
    assert got == [
        ["=r1", "alice", "accept", "", ""],
        ["r2", "alice", "reject", "", "-1 for tone"],
        ["r3", "alice", "accept", "shipping", ""],
    ]
    assert reviews["origin"].str.match(r"alice\.csv:data row \d").all()
    assert reviews.attrs["import_stats"]["blank_rows_skipped"] == 1
    assert reviews.attrs["import_stats"]["files"] == {"alice.csv": 3}


def test_csv_reviewer_from_file_name(tmp_path):
    records = curated({}, {})
    sheet = export_review_csv(build_review_queue(records, ReviewSettings(sample_size=2)), tmp_path / "batch.csv")
    bob = _fill(sheet, tmp_path / "bob.csv", {"r1": ("accept", "", "", ""), "r2": ("reject", "", "robert", "")})
    reviews = import_reviews([bob], records, reviewer_from_filename=True)
    assert dict(zip(reviews["record_id"], reviews["reviewer"])) == {"r1": "bob", "r2": "robert"}
    with pytest.raises(ReviewImportError, match="bob.csv, data row \\d: reviewer is empty"):
        import_reviews([bob], records)


def test_a_label_studio_csv_export_names_its_reviewers_in_the_annotator_column(tmp_path):
    """Label Studio's CSV export: the task's data fields, the choice under its control's name (decision), and
    one row per annotation with its annotator; two annotators in one file are two reviewers, not the file."""
    records = curated({}, {})
    export = tmp_path / "project-1-at-2026-12-08.csv"
    export.write_text(
        "annotation_id,annotator,created_at,decision,id,lead_time,record_id,text,updated_at\n"
        "11,alice@example.com,2026-12-08T10:00:00Z,accept,1,3.2,r1,some text,2026-12-08T10:00:00Z\n"
        "12,bob@example.com,2026-12-08T10:01:00Z,reject,1,4.0,r1,some text,2026-12-08T10:01:00Z\n"
        "13,alice@example.com,2026-12-08T10:02:00Z,accept,2,2.5,r2,other text,2026-12-08T10:02:00Z\n",
        encoding="utf-8",
    )
    reviews = import_reviews([export], records, reviewer_from_filename=True)
    got = sorted(zip(reviews["record_id"], reviews["reviewer"], reviews["decision"]))
    assert got == [("r1", "alice@example.com", "accept"), ("r1", "bob@example.com", "reject"),
                   ("r2", "alice@example.com", "accept")]  # fmt: skip


def test_one_reviewer_writing_their_name_two_ways_is_one_reviewer(tmp_path):
    """"Alice" in one file and "alice " in another is one person: she cannot review a record twice, and
    her name is the spelling first read."""
    records = curated({}, {})
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("record_id,reviewer,decision\nr1,Alice,reject\n", encoding="utf-8")
    second.write_text("record_id,reviewer,decision\nr1,alice ,reject\nr2,ALICE,accept\nr2,Bob  Smith,accept\n",
                      encoding="utf-8")
    with pytest.raises(ReviewImportError, match="reviewer 'Alice' already reviewed record 'r1' at a.csv:data row 1"):
        import_reviews([first, second], records)
    second.write_text("record_id,reviewer,decision\nr2,ALICE,accept\nr2,bob smith,accept\nr1,Bob Smith,reject\n",
                      encoding="utf-8")
    reviews = import_reviews([first, second], records)
    assert sorted(set(reviews["reviewer"])) == ["Alice", "bob smith"]


def test_a_record_id_with_inner_spaces_is_decided_as_it_is_spelt(tmp_path):
    """A record id is a file path and row: "a  b.csv" (two spaces) and "a b.csv" are two files, and the
    reviewers' decision on one must not land on the other, nor fail to find its record."""
    records = curated({"record_id": "s/a b.csv#1"}, {"record_id": "s/a  b.csv#1"}, {"record_id": "s/a\u00a0b.csv#1"})
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("record_id,reviewer,decision\n"
                     "s/a  b.csv#1,alice,reject\ns/a  b.csv#1,bob,reject\n"
                     " s/a\u00a0b.csv#1 ,alice,reject\ns/a\u00a0b.csv#1,bob,reject\n", encoding="utf-8")
    outcome = apply_reviews(records, import_reviews([sheet], records), ReviewSettings())
    assert outcome.records["record_id"].tolist() == ["s/a b.csv#1"]
    assert sorted(outcome.rejected["record_id"]) == ["s/a  b.csv#1", "s/a\u00a0b.csv#1"]


def test_import_collects_every_bad_row_and_imports_nothing(tmp_path):
    records = curated({}, {}, {}, {"label": "shipping"})
    bad = tmp_path / "alice.csv"
    bad.write_text(
        "record_id,reviewer,decision,corrected_label,comment\n"
        "r1,alice,approve,,\n"  # unknown decision
        "r99,alice,accept,,\n"  # unknown record
        "r2,,reject,,\n"  # no reviewer
        "r3,alice,,,looks wrong\n"  # comment without decision
        "r4,alice,accept,shiping,\n"  # unknown corrected label
        "r1,bob,accept,,\n",  # fine on its own
        encoding="utf-8",
    )
    again = tmp_path / "alice_again.csv"
    again.write_text("record_id,reviewer,decision\nr1,bob,reject\n", encoding="utf-8")
    with pytest.raises(ReviewImportError) as info:
        import_reviews([bad, again], records)
    err = info.value
    assert [(e.file, e.where) for e in err.errors] == [
        ("alice.csv", "data row 1"), ("alice.csv", "data row 2"), ("alice.csv", "data row 3"),
        ("alice.csv", "data row 4"), ("alice.csv", "data row 5"), ("alice_again.csv", "data row 1"),
    ]
    message = str(err)
    assert message.startswith("6 review row(s) could not be imported")
    assert "nothing was imported" in message
    assert "decision 'approve' is not one of ['accept', 'reject']" in message
    assert "record_id 'r99' is not among the records under review" in message
    assert "reviewer is empty" in message
    assert "decision is empty but a corrected_label or comment is filled" in message
    assert "corrected label 'shiping' is not a known label ['billing', 'shipping']" in message
    assert "reviewer 'bob' already reviewed record 'r1' at alice.csv:data row 6" in message


def test_a_corrected_label_holding_pii_is_refused_without_repeating_it(tmp_path):
    """A reviewer's corrected label is a class name like any label: one that holds PII (here even one of the
    records' labels, as a batch curated before labels were checked could hold) is refused at import and by
    apply_reviews, and neither error quotes it."""
    records = curated({}, {"label": "login +44 7911 123456"})
    sheet = tmp_path / "alice.csv"
    sheet.write_text(
        "record_id,reviewer,decision,corrected_label,comment\n"
        "r1,alice,accept,login +44 7911 123456,\n"
        "r2,alice,accept,billing,\n",
        encoding="utf-8",
    )
    with pytest.raises(ReviewImportError) as info:
        import_reviews([sheet], records)
    message = str(info.value)
    assert [(e.file, e.where) for e in info.value.errors] == [("alice.csv", "data row 1")]
    assert "corrected label holds PII (PHONE)" in message and "7911" not in message
    reviews = pd.DataFrame(
        [{"record_id": "export jane.doe@example.com.csv#1", "reviewer": "alice", "decision": "accept",
          "label": "jane.doe@example.com", "comment": ""}],
        columns=REVIEW_COLUMNS,
    )
    records = curated({"record_id": "export jane.doe@example.com.csv#1"})
    with pytest.raises(ValueError, match=r"1 corrected labels hold PII, e\.g\. export <EMAIL_1>#1: EMAIL") as info:
        apply_reviews(records, reviews, ReviewSettings())
    assert "jane.doe" not in str(info.value)


def test_import_reports_a_wrong_header_and_a_missing_file(tmp_path):
    odd = tmp_path / "odd.csv"
    odd.write_text("id,verdict\nr1,accept\n", encoding="utf-8")
    with pytest.raises(ReviewImportError, match=r"odd.csv, header: columns \['record_id', 'decision'\] are missing"):
        import_reviews([odd])
    with pytest.raises(FileNotFoundError, match="nope.csv does not exist"):
        import_reviews([tmp_path / "nope.csv"])
    assert import_reviews([]).empty


# --- Label Studio ---------------------------------------------------------------------------------------


def test_label_studio_tasks_and_config(tmp_path):
    queue = build_review_queue(curated({"quality_score": 0.75}, {}), ReviewSettings(sample_size=2))
    path = export_label_studio(queue, tmp_path / "tasks.json")
    tasks = json.loads(path.read_text(encoding="utf-8"))
    assert [set(t) for t in tasks] == [{"data"}, {"data"}]
    assert tasks[0]["data"]["record_id"] == "r1" and tasks[0]["data"]["borderline"] is True
    assert tasks[0]["data"]["quality_score"] == 0.75
    assert set(tasks[0]["data"]) == set(REVIEW_QUEUE_COLUMNS)

    view = ET.fromstring(label_studio_config(["billing", "R&D \"ops\""]))
    choices = {c.get("name"): [x.get("value") for x in c.findall("Choice")] for c in view.iter("Choices")}
    assert choices == {"decision": ["accept", "reject"], "corrected_label": ["billing", 'R&D "ops"']}
    assert [t.get("name") for t in view.iter("TextArea")] == ["comment"]
    assert {t.get("value") for t in view.iter("Text")} == {"$text", "$response"}
    free = ET.fromstring(label_studio_config())
    assert [t.get("name") for t in free.iter("TextArea")] == ["corrected_label", "comment"]


def _annotate(task_id: int, task: dict, by, decision: str, label: str = "", comment: str = "") -> dict:
    """One annotation the way Label Studio exports it."""
    result = [{"value": {"choices": [decision]}, "id": f"d{task_id}", "from_name": "decision", "to_name": "text",
               "type": "choices", "origin": "manual"}]
    if label:
        result.append({"value": {"choices": [label]}, "id": f"l{task_id}", "from_name": "corrected_label",
                       "to_name": "text", "type": "choices", "origin": "manual"})
    if comment:
        result.append({"value": {"text": [comment]}, "id": f"c{task_id}", "from_name": "comment", "to_name": "text",
                       "type": "textarea", "origin": "manual"})
    return {"id": task_id * 10 + len(task["annotations"]), "completed_by": by, "result": result,
            "was_cancelled": False, "ground_truth": False, "lead_time": 5.0, "task": task_id, "project": 1}


def test_label_studio_round_trip(tmp_path):
    records = curated({}, {}, {"label": "shipping"})
    queue = build_review_queue(records, ReviewSettings(sample_size=3))
    tasks = json.loads(export_label_studio(queue, tmp_path / "tasks.json").read_text(encoding="utf-8"))
    # What Label Studio hands back after two annotators worked on the imported tasks.
    plan = {
        "r1": [(3, "accept", "", ""), ({"id": 4, "email": "dee@example.com"}, "accept", "", "")],
        "r2": [(3, "reject", "", "spam"), ({"id": 4, "email": "dee@example.com"}, "reject", "", "")],
        "r3": [(3, "accept", "billing", ""), ({"id": 4, "email": "dee@example.com"}, "accept", "", "")],
    }
    exported = []
    for task_id, task in enumerate(tasks, start=1):
        task = {"id": task_id, "annotations": [], "predictions": [], "drafts": [], "meta": {}, "project": 1, **task}
        for by, decision, label, comment in plan[task["data"]["record_id"]]:
            task["annotations"].append(_annotate(task_id, task, by, decision, label, comment))
        exported.append(task)
    export = tmp_path / "project-1-at-2026-11-28.json"
    export.write_text(json.dumps(exported), encoding="utf-8")

    reviews = import_reviews([export], records)
    got = sorted(reviews[["record_id", "reviewer", "decision", "label", "comment"]].values.tolist())
    assert got == [
        ["r1", "dee@example.com", "accept", "", ""],
        ["r1", "ls_user_3", "accept", "", ""],
        ["r2", "dee@example.com", "reject", "", ""],
        ["r2", "ls_user_3", "reject", "", "spam"],
        ["r3", "dee@example.com", "accept", "", ""],
        ["r3", "ls_user_3", "accept", "billing", ""],
    ]
    outcome = apply_reviews(records, reviews, ReviewSettings())
    assert outcome.rejected["record_id"].tolist() == ["r2"]
    assert outcome.relabelled.empty  # one of two reviewers is no majority
    assert outcome.disagreements[["record_id", "kind"]].values.tolist() == [["r3", "label"]]


def test_label_studio_export_fixture():
    records = curated(*[{"record_id": f"tickets/support.jsonl#{i}"} for i in (1, 2, 3)], {"label": "shipping"})
    reviews = import_reviews([DATA / "label_studio_export.json"], records)
    assert reviews[["record_id", "reviewer", "decision", "label", "comment"]].values.tolist() == [
        ["tickets/support.jsonl#1", "ls_user_7", "accept", "", ""],
        ["tickets/support.jsonl#1", "bo@example.com", "reject", "", "reply does not answer the question"],
        ["tickets/support.jsonl#2", "ls_user_7", "accept", "shipping", ""],
    ]
    assert reviews["origin"].tolist() == [
        "label_studio_export.json:task 1 (id 101) annotation 1",
        "label_studio_export.json:task 1 (id 101) annotation 2",
        "label_studio_export.json:task 2 (id 102) annotation 1",
    ]
    assert reviews.attrs["import_stats"]["cancelled_skipped"] == 1


def test_label_studio_format_is_detected_by_content(tmp_path):
    copy = tmp_path / "export_without_extension"
    copy.write_bytes((DATA / "label_studio_export.json").read_bytes())
    assert len(import_reviews([copy])) == 3


def test_label_studio_errors(tmp_path):
    task = {"id": 5, "data": {"record_id": "r1"}, "annotations": []}
    task["annotations"].append({"id": 1, "completed_by": 2, "result": [], "was_cancelled": False})
    task["annotations"].append({"id": 2, "result": [{"from_name": "decision", "value": {"choices": ["accept"]}}]})
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task, {"id": 6}]), encoding="utf-8")
    with pytest.raises(ReviewImportError) as info:
        import_reviews([path])
    assert [str(e) for e in info.value.errors] == [
        "export.json, task 1 (id 5) annotation 1: decision '' is not one of ['accept', 'reject']; write accept or reject.",
        "export.json, task 1 (id 5) annotation 2: reviewer is empty; fill the reviewer column (or name each file after "
        "its reviewer and import with reviewer_from_filename=True; Label Studio: the annotation needs completed_by).",
        "export.json, task 2 (id 6): a task must be an object with a 'data' object.",
    ]
    path.write_text(json.dumps({"tasks": []}), encoding="utf-8")
    with pytest.raises(ReviewImportError, match="a Label Studio export is a JSON list of tasks"):
        import_reviews([path])


# --- applying decisions ---------------------------------------------------------------------------------


def planted() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Eight records, three reviewers, planted disagreements (see each record's comment)."""
    records = curated(*[{} for _ in range(8)])
    votes = {
        "r1": [("alice", "accept", ""), ("bob", "accept", ""), ("carol", "accept", "")],  # clear accept
        "r2": [("alice", "reject", ""), ("bob", "reject", ""), ("carol", "reject", "")],  # clear reject
        "r3": [("alice", "reject", ""), ("bob", "accept", ""), ("carol", "accept", "")],  # one reject
        "r4": [("alice", "reject", ""), ("bob", "reject", ""), ("carol", "accept", "")],  # two rejects
        "r5": [("alice", "accept", "shipping"), ("bob", "accept", "shipping"), ("carol", "accept", "")],  # relabel
        "r6": [("alice", "reject", "")],  # one reviewer only
        # r7: nobody reviewed it
        "r8": [("alice", "accept", "shipping"), ("bob", "accept", "account"), ("carol", "accept", "")],  # label split
    }
    rows = [
        {"record_id": rid, "reviewer": who, "decision": decision, "label": label,
         "comment": "off-topic reply" if (who, decision) == ("alice", "reject") else "", "origin": "test"}
        for rid, vs in votes.items() for who, decision, label in vs
    ]
    return records, pd.DataFrame(rows, columns=REVIEW_COLUMNS)


@pytest.mark.parametrize(
    ("rule", "rejected"),
    [("majority", ["r2", "r4"]), ("any", ["r2", "r3", "r4"]), ("unanimous", ["r2"])],
)
def test_rejection_rules(rule, rejected):
    records, reviews = planted()
    outcome = apply_reviews(records, reviews, ReviewSettings(rejection_rule=rule))
    assert outcome.rejected["record_id"].tolist() == rejected
    assert list(outcome.rejected.columns) == DROPPED_COLUMNS
    assert set(outcome.rejected["reason"]) == {"human_rejected"}
    assert outcome.records["record_id"].tolist() == [r for r in records["record_id"] if r not in rejected]
    assert outcome.stats["rows_in"] == outcome.stats["rows_out"] + outcome.stats["rows_dropped"] == 8


def test_rejection_detail_names_the_reviewers():
    records, reviews = planted()
    outcome = apply_reviews(records, reviews, ReviewSettings(rejection_rule="majority"))
    detail = dict(zip(outcome.rejected["record_id"], outcome.rejected["detail"]))
    assert detail["r4"] == "rejected by alice, bob (2 of 3 reviewers, rule majority); alice: off-topic reply"
    assert detail["r2"].startswith("rejected by alice, bob, carol (3 of 3 reviewers")


def test_majority_relabel_pending_and_unreviewed_records():
    records, reviews = planted()
    outcome = apply_reviews(records, reviews, ReviewSettings())
    labels = dict(zip(outcome.records["record_id"], outcome.records["label"]))
    assert labels["r5"] == "shipping"  # two of three named shipping
    assert labels["r8"] == "billing"  # shipping / account / unchanged: no majority
    assert outcome.relabelled.values.tolist() == [
        ["r5", "billing", "shipping", "alice=accept(label=shipping), bob=accept(label=shipping), carol=accept"]
    ]
    assert "r6" in labels  # pending: one review, two needed
    pd.testing.assert_series_equal(
        outcome.records.set_index("record_id").loc["r7"], records.set_index("record_id").loc["r7"]
    )
    assert outcome.stats["records_pending"] == 1 and outcome.stats["records_reviewed"] == 7
    assert outcome.stats["relabelled"] == 1 and outcome.stats["reviewers"] == 3
    assert outcome.stats["reject_rate_by_reviewer"] == {"alice": round(4 / 7, 4), "bob": 0.3333, "carol": 0.1667}

    single = apply_reviews(records, reviews, ReviewSettings(min_reviewers_per_item=1, rejection_rule="any"))
    assert "r6" in set(single.rejected["record_id"])


def test_disagreements_list_who_said_what():
    records, reviews = planted()
    outcome = apply_reviews(records, reviews, ReviewSettings())
    table = outcome.disagreements
    assert list(table.columns) == DISAGREEMENT_COLUMNS
    assert table[["record_id", "kind", "outcome", "accepts", "rejects"]].values.tolist() == [
        ["r3", "decision", "kept", 2, 1],
        ["r4", "decision", "rejected", 1, 2],
        ["r5", "label", "relabelled", 3, 0],
        ["r8", "label", "kept", 3, 0],
    ]
    assert table.set_index("record_id").loc["r3", "votes"] == "alice=reject, bob=accept, carol=accept"


def test_majority_tie_keeps_the_record_and_flags_it():
    records = curated({}, {})
    reviews = pd.DataFrame(
        [("r1", "alice", "reject", "", "", ""), ("r1", "bob", "accept", "", "", "")], columns=REVIEW_COLUMNS
    )
    outcome = apply_reviews(records, reviews, ReviewSettings())
    assert outcome.rejected.empty and len(outcome.records) == 2
    assert outcome.disagreements[["record_id", "outcome"]].values.tolist() == [["r1", "kept"]]


def test_agreement_follows_the_settings():
    records, reviews = planted()
    settings = ReviewSettings(agreement_metric="fleiss_kappa", min_agreement=0.9)
    outcome = apply_reviews(records, reviews, settings)
    assert outcome.agreement.metric == "fleiss_kappa"
    assert outcome.agreement.value == outcome.agreement.fleiss_kappa
    assert not outcome.agreement.passed  # r3 and r4 split
    assert outcome.agreement.n_items == 6 and outcome.agreement.n_items_single == 1
    assert outcome.stats["agreement"]["passed"] is False
    assert review_agreement(reviews, settings, records) == outcome.agreement


def test_apply_refuses_reviews_of_unknown_records_and_bad_decisions():
    records, reviews = planted()
    with pytest.raises(ValueError, match=r"1 reviewed record ids are not among the records, e\.g\. \['r8'\]"):
        apply_reviews(records[records["record_id"] != "r8"], reviews, ReviewSettings())
    odd = reviews.assign(decision=["maybe"] + reviews["decision"].tolist()[1:])
    with pytest.raises(ValueError, match=r"decisions \['maybe'\] are not among"):
        apply_reviews(records, odd, ReviewSettings())


def test_no_reviews_change_nothing():
    records, _ = planted()
    outcome = apply_reviews(records, pd.DataFrame(columns=REVIEW_COLUMNS), ReviewSettings())
    pd.testing.assert_frame_equal(outcome.records, records)
    assert outcome.rejected.empty and outcome.disagreements.empty
    assert not outcome.agreement.passed and "cannot be measured" in outcome.agreement.reason


def test_apply_counts_one_reviewer_per_person_and_reads_labels_as_import_does():
    """Reviews passed in directly (not read with import_reviews): " alice" and "Alice" are one reviewer, and
    "x " is the label "x", as import_reviews would have read them."""
    records, reviews = planted()
    spelled = reviews.assign(
        reviewer=[f" {r.upper()} " if i % 2 else r for i, r in enumerate(reviews["reviewer"])],
        label=[f"{v} " if v else v for v in reviews["label"]],
    )
    settings = ReviewSettings()
    read, direct = apply_reviews(records, spelled, settings), apply_reviews(records, reviews, settings)
    assert read.stats["reviewers"] == 3  # a person is shown in the spelling read first ("BOB" here)
    assert read.agreement.value == direct.agreement.value and read.agreement.n_raters == 3
    pd.testing.assert_frame_equal(read.records, direct.records)
    assert read.rejected["record_id"].tolist() == direct.rejected["record_id"].tolist()
    assert read.disagreements[["record_id", "kind"]].values.tolist() == direct.disagreements[["record_id", "kind"]].values.tolist()


# --- stale queues, copies of a sheet, label agreement (audit 2026-12-07) ---------------------------------


def test_a_decision_is_refused_when_its_record_id_now_holds_another_record(tmp_path):
    """A record id is a file and a row: a line added above it moves the id to the next record. The reviewers
    rejected spam; after the shift the id names an innocent record, which must not be dropped in its place."""
    before = curated({"text": "hello, my order is late"}, {"text": "BUY CHEAP PILLS at example.biz"})
    queue = build_review_queue(before, ReviewSettings(sample_size=2))
    assert queue["content_hash"].str.fullmatch(r"h[0-9a-f]{12}").all()
    sheet = export_review_csv(queue, tmp_path / "queue.csv")
    alice = _fill(sheet, tmp_path / "alice.csv", {"r1": ("accept", "", "", ""), "r2": ("reject", "", "", "spam")})
    assert len(import_reviews([alice], before, reviewer_from_filename=True)) == 2
    # A row was added at the top of the file: r2 is now the late order, r3 the spam.
    after = curated({"text": "new first row"}, {"text": "hello, my order is late"},
                    {"text": "BUY CHEAP PILLS at example.biz"})
    with pytest.raises(ReviewImportError) as err:
        import_reviews([alice], after, reviewer_from_filename=True)
    message = str(err.value)
    assert "alice.csv, data row" in message and "record 'r1' is not the record that was reviewed" in message
    assert "record 'r2' is not the record that was reviewed" in message and "review_queue" in message
    # Label Studio tasks carry the fingerprint in their data as well.
    tasks = json.loads(export_label_studio(queue, tmp_path / "tasks.json").read_text(encoding="utf-8"))
    for task_id, task in enumerate(tasks, start=1):
        task.update(id=task_id, annotations=[])
        task["annotations"].append(_annotate(task_id, task, 7, "reject"))
    export = tmp_path / "ls.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    assert len(import_reviews([export], before)) == 2
    with pytest.raises(ReviewImportError, match=r"ls.json, task 2 \(id 2\) annotation 1: record 'r\d' is not the record"):
        import_reviews([export], after)
    # A hand-made sheet without the column is read, and counted as not checked.
    plain = tmp_path / "plain.csv"
    plain.write_text("record_id,reviewer,decision\nr2,bob,reject\n", encoding="utf-8")
    assert import_reviews([plain], after).attrs["import_stats"]["reviews_without_content_hash"] == 1


def test_a_content_hash_survives_a_spreadsheet_and_a_mangled_one_is_named(tmp_path):
    """Bare hex digits like 19e734265847 or 668843103874 (about 1 record in 150) are numbers to Excel, which
    saves them as 1.9E+735 / 6.68843E+11: the fingerprint must not look like a number, an old queue's bare
    digits still count, and a cell a spreadsheet mangled is named as such, not as another record."""
    from finetune_platform.curation.review import content_hash

    # the texts whose old, bare fingerprints were 19e734265847 and 668843103874
    records = curated({"text": "request 356", "response": "answer 356"}, {"text": "request 422", "response": "answer 422"})
    queue = build_review_queue(records, ReviewSettings(sample_size=2))
    assert sorted(h[1:] for h in queue["content_hash"]) == ["19e734265847", "668843103874"]
    for h in queue["content_hash"]:  # what Excel keeps: no cell reads as a number
        with pytest.raises(ValueError):
            float(h)
    sheet = export_review_csv(queue, tmp_path / "queue.csv")
    alice = _fill(sheet, tmp_path / "alice.csv", {"r1": ("accept", "", "", ""), "r2": ("reject", "", "", "")})
    assert len(import_reviews([alice], records, reviewer_from_filename=True)) == 2
    # a sheet of a queue exported before the leading letter
    old = tmp_path / "bob.csv"
    old.write_text(alice.read_text(encoding="utf-8-sig").replace(",h19e7", ",19e7").replace(",h6688", ",6688"),
                   encoding="utf-8-sig")
    assert ",19e734265847," in old.read_text(encoding="utf-8-sig")
    assert len(import_reviews([old], records, reviewer_from_filename=True)) == 2
    # such a sheet saved by Excel
    mangled = tmp_path / "carol.csv"
    mangled.write_text(old.read_text(encoding="utf-8-sig").replace(",19e734265847,", ",1.9E+735,")
                       .replace(",668843103874,", ",6.68843E+11,"), encoding="utf-8-sig")
    with pytest.raises(ReviewImportError) as err:
        import_reviews([mangled], records, reviewer_from_filename=True)
    message = str(err.value)
    assert "the content_hash '1.9E+735' of record 'r1' was turned into a number by a spreadsheet" in message
    assert "'6.68843E+11' of record 'r2'" in message and "not the record that was reviewed" not in message
    assert content_hash("request 356", "answer 356", "") == "h19e734265847"


def test_a_sheet_saved_twice_is_one_reviewer_not_two(tmp_path):
    records = curated({}, {}, {})
    sheet = export_review_csv(build_review_queue(records, ReviewSettings(sample_size=3)), tmp_path / "queue.csv")
    answers = {"r1": ("reject", "", "", ""), "r2": ("reject", "", "", ""), "r3": ("accept", "", "", "")}
    alice = _fill(sheet, tmp_path / "alice.csv", answers)
    copy = tmp_path / "alice (1).csv"
    copy.write_bytes(alice.read_bytes())
    with pytest.raises(ReviewImportError, match=r"alice \(1\)\.csv, data row 1: reviewer 'alice' already reviewed"):
        import_reviews([alice, copy], records, reviewer_from_filename=True)
    # Under another person's name the copy is read (two people may answer alike) but listed for the lead.
    other = tmp_path / "bob.csv"
    other.write_bytes(alice.read_bytes())
    stats = import_reviews([alice, other], records, reviewer_from_filename=True).attrs["import_stats"]
    assert stats["identical_files"] == [["alice.csv", "bob.csv"]]
    # Edited after copying: the file name still says alice, so her second review of a record is refused.
    edited = _fill(sheet, tmp_path / "alice - Copy.csv", {**answers, "r3": ("reject", "", "", "")})
    with pytest.raises(ReviewImportError, match="reviewer 'alice' already reviewed record 'r1' at alice.csv"):
        import_reviews([alice, edited], records, reviewer_from_filename=True)
    # Two unfilled copies of the queue are no reviews at all, not an error.
    blank = tmp_path / "carol.csv"
    blank.write_bytes(sheet.read_bytes())
    unfilled = import_reviews([sheet, blank], records, reviewer_from_filename=True)
    assert unfilled.empty and unfilled.attrs["import_stats"]["identical_files"] == []


@pytest.mark.parametrize(
    "stem, reviewer",
    [("alice", "alice"), ("alice (1)", "alice"), ("alice - Copy", "alice"), ("alice - Copy (2)", "alice"),
     ("alice_copy", "alice"), ("Copy of alice", "alice"), ("Mary Ann", "Mary Ann"), ("copy", "copy")],
)
def test_person_of_file(stem, reviewer):
    from finetune_platform.sheets import person_of_file

    assert person_of_file(stem) == reviewer


def test_label_disagreement_fails_the_gate_even_when_every_decision_agrees():
    records = curated(*[{"label": "billing"} for _ in range(6)])
    corrections = ["shipping", "account"] * 3
    reviews = pd.DataFrame(
        [{"record_id": f"r{i}", "reviewer": "alice", "decision": "accept", "label": corrections[i - 1], "comment": ""}
         for i in range(1, 7)]
        + [{"record_id": f"r{i}", "reviewer": "bob", "decision": "accept", "label": corrections[i % 6], "comment": ""}
           for i in range(1, 7)],
        columns=REVIEW_COLUMNS,
    )
    report = review_agreement(reviews, ReviewSettings(), records)
    assert not report.passed
    assert report.labels is not None and report.labels["value"] < 0
    assert report.reason.startswith("decisions: krippendorff_alpha is undefined")
    assert "Labels: krippendorff_alpha" in report.reason and "is below the bar 0.6" in report.reason
    # Without label corrections the labels are not measured and the decisions decide alone.
    plain = reviews.assign(label="")
    assert review_agreement(plain, ReviewSettings(), records).labels is None
    assert review_agreement(plain, ReviewSettings(), records).passed


def test_one_reviewer_per_record_passes_when_the_settings_ask_for_one():
    records = curated({}, {})
    reviews = pd.DataFrame([{"record_id": "r1", "reviewer": "alice", "decision": "reject", "label": "", "comment": ""},
                            {"record_id": "r2", "reviewer": "bob", "decision": "accept", "label": "", "comment": ""}],
                           columns=REVIEW_COLUMNS)
    single = ReviewSettings(min_reviewers_per_item=1)
    outcome = apply_reviews(records, reviews, single)
    assert outcome.rejected["record_id"].tolist() == ["r1"]
    assert outcome.agreement.passed and outcome.agreement.reason.startswith("agreement not measured")
    failed = review_agreement(reviews, ReviewSettings())
    assert not failed.passed and "or set min_reviewers_per_item to 1" in failed.reason


def test_borderline_records_come_first_in_both_phases():
    rows = [{"quality_score": 0.75 if i < 8 else 0.95, "label": "billing"} for i in range(30)]
    drawn = []
    for seed in range(5):
        queue = build_review_queue(curated(*rows), ReviewSettings(sample_size=10, borderline_share=0.5, seed=seed))
        flags = queue["borderline"].tolist()
        # 5 from the band's share, then whatever the random second phase drew: its borderline ones first
        assert flags[:5] == [True] * 5 and flags == sorted(flags, reverse=True)
        drawn.append(sum(flags))
    assert max(drawn) > 5  # some seeds draw band records in the second phase too
