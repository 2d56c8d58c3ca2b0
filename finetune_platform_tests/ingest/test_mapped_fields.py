"""A mapped field the data lacks (a typo in sources.yaml) is reported, never a green run of empty labels."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from finetune_platform.ingest import SourceSettings, ingest_source

ROWS = [("My parcel has not arrived yet", "It ships tomorrow.", "shipping"), ("I was charged twice", "Refunded.", "billing")]


def test_a_csv_without_a_mapped_column_quarantines_its_rows_naming_file_column_and_columns(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        "text,agent_reply,category\n" + "".join(f"{t},{r},{c}\n" for t, r, c in ROWS), encoding="utf-8"
    )
    (tmp_path / "b.csv").write_text("text,agent_response,categroy\nok,fine,x\n", encoding="utf-8")
    source = SourceSettings(
        name="s", path="*.csv", format="csv", response_field="agent_response", label_field="categroy"
    )
    result = ingest_source(source, tmp_path)
    assert result.records["record_id"].tolist() == ["s/b.csv#1"]  # the file whose header has them is read
    assert result.quarantine[["source_file", "source_row", "reason_code"]].values.tolist() == [
        ["a.csv", 1, "missing_field"],
        ["a.csv", 2, "missing_field"],
    ]
    assert result.quarantine["reason"].iloc[0] == (
        "a.csv, row 1: line 2: has no fields 'agent_response', 'categroy' (the file's columns: text, agent_reply, "
        "category); the source's response_field and label_field name them: fix the name in the sources file or the "
        "file's columns."
    )
    assert result.stats["s"].rows_missing_field == {} and result.reconciles()


def test_a_csv_read_with_the_wrong_delimiter_says_so(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("text;category\nhello;x\n", encoding="utf-8")
    result = ingest_source(SourceSettings(name="s", path="a.csv", format="csv", label_field="category"), tmp_path)
    reason = result.quarantine["reason"].iloc[0]
    assert "has no fields 'text', 'category' (the file's columns: text;category)" in reason
    assert "is csv_delimiter ';'?" in reason


def test_a_parquet_file_without_a_mapped_column_quarantines_every_row(tmp_path: Path) -> None:
    pq.write_table(pa.table({"text": [t for t, _, _ in ROWS], "category": [c for _, _, c in ROWS]}), tmp_path / "a.parquet")
    source = SourceSettings(name="p", path="a.parquet", format="parquet", label_field="label")
    result = ingest_source(source, tmp_path)
    assert result.records.empty
    assert result.quarantine["reason"].tolist() == [
        f"a.parquet, row {n}: has no field 'label' (the file's columns: text, category); the source's label_field "
        "names it: fix the name in the sources file or the file's columns."
        for n in (1, 2)
    ]
    assert result.reconciles()
    assert result.stats["p"].warnings(result.quarantine) == [  # a green run that kept nothing says so, and why
        "source 'p': none of its 2 rows was kept, every one is quarantined (missing_field: 2); the quarantine asset "
        "gives each row's file, row and reason. The first: a.parquet, row 1: has no field 'label' (the file's "
        "columns: text, category); the source's label_field names it: fix the name in the sources file or the file's "
        "columns. A column or field the source maps is missing from its files: is its name misspelt in the sources "
        "file?"
    ]


def test_jsonl_rows_without_a_mapped_field_are_counted_and_a_source_where_none_has_it_warns(tmp_path, caplog):
    (tmp_path / "a.jsonl").write_text(
        "".join(json.dumps({"text": t, "category": c}) + "\n" for t, _, c in ROWS) + "\n", encoding="utf-8"
    )
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    source = SourceSettings(name="j", path="*.jsonl", format="jsonl", label_field="categroy")
    with caplog.at_level(logging.WARNING, logger="finetune_platform.ingest.readers"):
        result = ingest_source(source, tmp_path)
    stats = result.stats["j"]
    assert (stats.rows_kept, stats.rows_missing_field, stats.empty_files, stats.blank_lines) == (2, {"categroy": 2}, 1, 1)
    assert stats.warnings() == [
        "source 'j': none of its 2 kept rows has the field 'categroy' it maps, so that field is empty in every "
        "record; is the name misspelt in the sources file?"
    ]
    assert stats.warnings()[0] in caplog.text
    # a field some rows have is no misspelling: counted, no warning
    (tmp_path / "b.jsonl").write_text(json.dumps({"text": "hi", "categroy": "x"}) + "\n", encoding="utf-8")
    assert ingest_source(source, tmp_path).stats["j"].warnings() == []


def test_a_source_whose_files_hold_no_rows_warns(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("text,category\n", encoding="utf-8")
    stats = ingest_source(SourceSettings(name="c", path="a.csv", format="csv"), tmp_path).stats["c"]
    assert stats.warnings() == ["source 'c': its 1 file(s) hold no rows (1 empty or header-only, 0 blank lines)."]


def test_the_ingest_asset_metadata_shows_missing_fields_empty_files_and_blank_lines(tmp_path: Path) -> None:
    from finetune_platform.definitions import build_definitions
    from finetune_platform.defs.partitions import SOURCE_PARTITIONS
    from finetune_platform.settings import Settings

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sources.yaml").write_text(
        "sources:\n  - name: typo\n    path: typo/*.jsonl\n    format: jsonl\n    response_field: answer\n"
        "    label_field: categroy\n",
        encoding="utf-8",
    )
    settings = Settings.for_root(tmp_path)
    folder = settings.raw_dir / "typo"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text(
        "".join(json.dumps({"text": t, "answer": r, "category": c}) + "\n\n" for t, r, c in ROWS), encoding="utf-8"
    )
    (folder / "b.jsonl").write_text("", encoding="utf-8")
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, ["typo"])
        result = defs.resolve_job_def("ingest_job").execute_in_process(instance=instance, partition_key="typo")
        assert result.success
        meta = result.asset_materializations_for_node("ingest_sources_asset")[0].metadata
        warned = [
            e.message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING and "categroy" in e.message
        ]
    assert meta["rows_missing_field"].value == {"categroy": 2}
    assert (meta["empty_files"].value, meta["blank_lines"].value) == (1, 2)
    assert "categroy: 2" in meta["per_source"].value and "blank_lines" in meta["per_source"].value
    assert len(meta["warnings"].value) == 1 and "'categroy'" in meta["warnings"].value[0]
    assert warned
