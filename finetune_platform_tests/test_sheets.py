"""The sheet I/O that curation's human review and evaluation's human ratings share (finetune_platform.sheets)."""

import csv
import json

import pandas as pd
import pytest

from finetune_platform.curation.review import ReviewImportError, import_reviews
from finetune_platform.evaluation.human_eval import HumanEvalImportError, import_human_ratings
from finetune_platform.sheets import label_studio_annotator, looks_like_json, spreadsheet_safe, unguard


@pytest.mark.parametrize("value", ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", "'quoted", ""])
def test_spreadsheet_guard_round_trips(value):
    guarded = spreadsheet_safe(value)
    assert not guarded.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert unguard(guarded) == value


def test_unguard_leaves_an_ordinary_leading_quote():
    assert unguard("'tis fine") == "'tis fine"
    assert unguard("'") == "'"


@pytest.mark.parametrize(
    ("completed_by", "name"),
    [
        ({"id": 3, "email": "a@example.com", "username": "a"}, "a@example.com"),
        ({"id": 3, "email": "", "username": "ann"}, "ann"),
        ({"id": 3}, "ls_user_3"),
        ({"id": ""}, ""),
        ({}, ""),
        (7, "ls_user_7"),
        ("bob", "bob"),
        (None, ""),
        ("", ""),
    ],
)
def test_label_studio_annotator(completed_by, name):
    assert label_studio_annotator(completed_by) == name


def test_looks_like_json(tmp_path):
    cases = {"a.json": "x", "a.csv": "[1]", "noext": "\ufeff  [1]", "other.dat": "record_id,decision"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert [looks_like_json(tmp_path / n) for n in cases] == [True, False, True, False]


def _export(tmp_path, tasks):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def test_malformed_label_studio_annotations_are_errors_not_crashes(tmp_path):
    """A hand-edited export: annotations that are not a list, an annotation that is not an object, a result
    region that is not an object. Each is named with its task and annotation, in both importers."""
    tasks = [
        {"id": 1, "data": {"record_id": "r1", "item_id": "he-1"}, "annotations": {"result": []}},
        {"id": 2, "data": {"record_id": "r1", "item_id": "he-1"}, "annotations": ["accept"]},
        {"id": 3, "data": {"record_id": "r1", "item_id": "he-1"}, "annotations": [{"completed_by": 1, "result": ["x"]}]},
        {"id": 4, "data": {"record_id": "r1", "item_id": "he-1"},
         "annotations": [{"completed_by": 1, "result": [{"from_name": "decision", "value": "accept"}]}]},
    ]
    path = _export(tmp_path, tasks)
    expected = [
        "export.json, task 1 (id 1): 'annotations' must be a list of annotation objects.",
        "export.json, task 2 (id 2) annotation 1: an annotation must be an object.",
        "export.json, task 3 (id 3) annotation 1: 'result' must be a list of region objects.",
        "export.json, task 4 (id 4) annotation 1: a region's 'value' must be an object (e.g. {\"choices\": [...]}).",
    ]
    with pytest.raises(ReviewImportError) as review_info:
        import_reviews([path])
    assert [str(e) for e in review_info.value.errors] == expected
    key = pd.DataFrame({"item_id": ["he-1"], "example_id": ["e1"], "candidate_side": ["a"]})
    with pytest.raises(HumanEvalImportError) as rating_info:
        import_human_ratings([path], key)
    assert [str(e) for e in rating_info.value.errors] == expected


def test_a_missing_file_names_the_importer(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"review file .*nope.csv does not exist; .*import_reviews"):
        import_reviews([tmp_path / "nope.csv"])


def test_the_not_utf8_error_gives_the_byte_offset_in_the_file_and_long_cells_import(tmp_path):
    """The offset counts from the start of the file, not from the reader's buffer; a cell longer than the
    csv module's default limit (131,072 characters: curation keeps texts up to 1,000,000) imports."""
    head = "record_id,reviewer,decision,comment\n" + "".join(f"r{i},alice,accept,fine\n" for i in range(3000))
    sheet = tmp_path / "alice.csv"
    sheet.write_bytes(head.encode() + "r9,alice,accept,généreux\n".encode("cp1252"))
    offset = len(head.encode()) + len("r9,alice,accept,g")
    with pytest.raises(ReviewImportError, match=rf"alice.csv, byte {offset}: the file is not UTF-8"):
        import_reviews([sheet])
    sheet.write_text(f"record_id,reviewer,decision,comment\nr1,alice,accept,{'x' * 200_000}\n", encoding="utf-8")
    before = csv.field_size_limit()
    reviews = import_reviews([sheet])
    assert len(reviews["comment"].iloc[0]) == 200_000
    assert csv.field_size_limit() == before  # put back: the limit is process-wide


def test_a_sheet_that_is_not_utf8_is_named_and_a_bom_is_allowed(tmp_path):
    """A spreadsheet saved as 'CSV' in Windows-1252 is an error naming the file, in both importers; a JSON
    export with a byte-order mark reads like one without."""
    sheet = tmp_path / "alice.csv"
    sheet.write_bytes("record_id,reviewer,decision,comment\nr1,alice,accept,généreux\n".encode("cp1252"))
    with pytest.raises(ReviewImportError, match=r"alice.csv, byte \d+: the file is not UTF-8 text .*'CSV UTF-8'"):
        import_reviews([sheet])
    ratings = tmp_path / "rater.csv"
    ratings.write_bytes("item_id,rater,preference,comment\nhe-1,ann,a,très bien\n".encode("cp1252"))
    key = pd.DataFrame({"item_id": ["he-1"], "example_id": ["e1"], "candidate_side": ["a"]})
    with pytest.raises(HumanEvalImportError, match=r"rater.csv, byte \d+: the file is not UTF-8"):
        import_human_ratings([ratings], key)
    tasks = [{"id": 1, "data": {"record_id": "r1"},
              "annotations": [{"completed_by": 1, "result": [{"from_name": "decision", "value": {"choices": ["accept"]}}]}]}]
    export = tmp_path / "bom.json"
    export.write_bytes(b"\xef\xbb\xbf" + json.dumps(tasks).encode())
    assert import_reviews([export])["decision"].tolist() == ["accept"]


# --- what spreadsheets and people really hand back (audit 2026-12-07) ------------------------------------


def _reviews(tmp_path, name: str, body: str, **kwargs):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return import_reviews([path], **kwargs)


def test_semicolon_and_tab_separated_sheets_and_any_case_of_column_names(tmp_path):
    """Excel writes ";" where the decimal separator is a comma; a .tsv is tab-separated; "Decision" is decision."""
    got = _reviews(tmp_path, "de.csv", "Record_ID;Reviewer;Decision;Comment\nr1;anna;Accept;gut, sehr gut\n")
    assert got[["record_id", "reviewer", "decision"]].values.tolist() == [["r1", "anna", "accept"]]
    got = _reviews(tmp_path, "t.tsv", "record_id\treviewer\tdecision\nr2\tbo\treject\n")
    assert got[["record_id", "decision"]].values.tolist() == [["r2", "reject"]]


def test_a_repeated_column_a_long_row_and_an_empty_file_are_errors(tmp_path):
    with pytest.raises(ReviewImportError, match=r"dup.csv, header: columns \['decision'\] appear more than once"):
        _reviews(tmp_path, "dup.csv", "record_id,reviewer,decision,Decision\nr1,a,accept,reject\n")
    with pytest.raises(ReviewImportError, match="long.csv, data row 1: the row has 5 cells but the header 4"):
        _reviews(tmp_path, "long.csv", "record_id,reviewer,decision,comment\nr1,a,reject,has a phone, and more\n")
    with pytest.raises(ReviewImportError, match="empty.csv, whole file: the file is empty"):
        _reviews(tmp_path, "empty.csv", "\n")
    with pytest.raises(ReviewImportError, match=r"columns \['record_id', 'decision'\] are missing .* another character"):
        _reviews(tmp_path, "pipe.csv", "record_id|decision\nr1|accept\n")


def test_label_studio_json_min_is_refused_once_and_an_id_of_zero_is_an_id(tmp_path):
    path = tmp_path / "min.json"
    path.write_text(json.dumps([{"record_id": "r1", "decision": "accept", "id": 1}]), encoding="utf-8")
    with pytest.raises(ReviewImportError) as info:
        import_reviews([path])
    assert [str(e) for e in info.value.errors] == [
        "min.json, top level: this is Label Studio's JSON_MIN export (tasks without 'data' and 'annotations', so "
        "without who answered); export the project as 'JSON' instead."
    ]
    zero = [{"id": 1, "data": {"record_id": 0}, "annotations": [
        {"completed_by": 2, "result": [{"from_name": "decision", "value": {"choices": ["reject"]}}]}]}]
    path.write_text(json.dumps(zero), encoding="utf-8")
    assert import_reviews([path])["record_id"].tolist() == ["0"]


def test_sheet_files_reads_subfolders_skips_hidden_files_and_refuses_the_rest(tmp_path):
    from finetune_platform.sheets import sheet_files

    assert sheet_files(tmp_path / "missing", "decision files") == []
    for name in ("alice.csv", "round2/dave.csv", "ls/export.json", "carol.tsv", ".gitkeep", ".~lock.alice.csv#",
                 ".hidden/x.xlsx"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert [p.relative_to(tmp_path).as_posix() for p in sheet_files(tmp_path, "decision files")] == [
        "alice.csv", "carol.tsv", "ls/export.json", "round2/dave.csv"
    ]
    (tmp_path / "erin.xlsx").write_bytes(b"PK")
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match=r"holds 2 file\(s\) that are not decision files .*: erin.xlsx, notes.txt"):
        sheet_files(tmp_path, "decision files")
