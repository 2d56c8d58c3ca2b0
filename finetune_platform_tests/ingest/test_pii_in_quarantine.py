"""What ingest shows people holds no PII: quarantine reasons and excerpts are redacted before they are cut,
and a file whose name holds PII (which record ids carry everywhere) is reported."""

from __future__ import annotations

import json
from pathlib import Path

from finetune_platform.ingest import SourceSettings, ingest_source

EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"


def _jsonl(path: Path, *rows: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _stored(result) -> str:
    """Every reason and excerpt of the quarantine frame (what is cached on disk and previewed)."""
    return "\n".join(result.quarantine["reason"].tolist() + result.quarantine["excerpt"].tolist())


def test_quarantine_reasons_and_excerpts_are_redacted_before_they_are_cut(tmp_path: Path) -> None:
    _jsonl(
        tmp_path / "t" / "a.jsonl",
        {"text": f'=HYPERLINK("http://x","{EMAIL}")', "label": "billing"},  # 1 formula: its cell is quoted
        {"messages": [{"role": "user", "content": f"card {CARD}"}, {"role": EMAIL, "content": "hi"}]},  # 2 role
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok", "weight": EMAIL}]},
        {"text": "x" * 380 + f" write to {EMAIL} and then call", "label": 7},  # 4 wrong type: a long excerpt
    )
    source = SourceSettings(name="t", path="t/*.jsonl", format="jsonl", doc_type="chat", messages_field="messages")
    chats = ingest_source(source, tmp_path)
    tickets = ingest_source(
        SourceSettings(name="t", path="t/*.jsonl", format="jsonl", doc_type="ticket", label_field="label"), tmp_path
    )
    reasons = dict(zip(tickets.quarantine["source_row"], tickets.quarantine["reason"]))
    assert reasons[1] == (
        "t/a.jsonl, row 1: field 'text' starts like a spreadsheet formula or DDE command "
        "('=HYPERLINK(\"http://x\",\"<EMAIL_1>\")')."
    )
    by_row = dict(zip(chats.quarantine["source_row"], chats.quarantine["reason"]))
    assert "messages[1].role is '<EMAIL_1>'" in by_row[2]
    assert 'messages[1].weight is "<EMAIL_1>"' in by_row[3]
    excerpts = dict(zip(chats.quarantine["source_row"], chats.quarantine["excerpt"]))
    assert "<CREDIT_CARD_1>" in excerpts[2] and "<EMAIL_1>" in excerpts[2]
    for stored in (_stored(chats), _stored(tickets)):
        assert "jane.doe" not in stored and "1111 1111" not in stored and "example." not in stored
    assert tickets.quarantine["excerpt"].str.len().max() <= 200


def test_an_excerpt_cut_inside_a_value_keeps_no_part_of_it() -> None:
    """The window read for an excerpt can end inside a value; what is left of it is no PII a detector sees,
    so it is dropped before the redaction (a redaction that shrinks the text would bring it into view)."""
    from finetune_platform.ingest.readers import EXCERPT_CHARS, _excerpt

    key = "-----BEGIN PRIVATE KEY-----\n" + "A" * 300 + "\n-----END PRIVATE KEY-----"
    raw = key + " mail " + "b" * (EXCERPT_CHARS * 2 - len(key) - 19) + " " + EMAIL + " tail"
    assert raw[: EXCERPT_CHARS * 2].endswith(" jane.doe@exa")  # the window ends inside the address
    excerpt = _excerpt(raw, "utf-8")
    assert "<CREDENTIALS_1>" in excerpt and "jane" not in excerpt and len(excerpt) <= EXCERPT_CHARS


def test_a_file_named_with_pii_is_reported_with_its_name_redacted(tmp_path: Path) -> None:
    _jsonl(tmp_path / "t" / f"export {EMAIL}.jsonl", {"text": "where is my parcel", "label": "shipping"})
    _jsonl(tmp_path / "t" / "tickets_2024_03.jsonl", {"text": "refund please", "label": "refund"})
    result = ingest_source(SourceSettings(name="t", path="t/*.jsonl", format="jsonl", label_field="label"), tmp_path)
    stats = result.stats["t"]
    assert stats.files_named_with_pii == ["'t/export <EMAIL_1>' (EMAIL)"]
    [warning] = stats.warnings()
    assert "1 file name(s) hold PII" in warning and "'t/export <EMAIL_1>' (EMAIL)" in warning
    assert "Rename the files" in warning and "jane" not in warning
    assert len(result.records) == 2  # reported, not refused: the id scheme is unchanged


def test_the_ingest_metadata_shows_labels_and_file_names_redacted(tmp_path: Path) -> None:
    """raw_corpus is written before the PII stage drops records whose label holds PII: its label counts show
    such a label redacted, and its warnings name a file whose name holds PII, redacted too."""
    import dagster as dg

    from finetune_platform.definitions import build_definitions
    from finetune_platform.defs.partitions import SOURCE_PARTITIONS
    from finetune_platform.settings import Settings

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sources.yaml").write_text(
        "sources:\n  - name: t\n    path: t/*.jsonl\n    format: jsonl\n    label_field: category\n", encoding="utf-8"
    )
    settings = Settings.for_root(tmp_path)
    _jsonl(
        settings.raw_dir / "t" / f"export {EMAIL}.jsonl",
        {"text": "My parcel has not arrived after two weeks, where is it?", "category": "shipping"},
        {"text": "Please refund the second charge on my card this month.", "category": "john.roe@example.org"},
    )
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, ["t"])
        result = defs.resolve_job_def("ingest_job").execute_in_process(instance=instance, partition_key="t")
        assert result.success
        raw = result.asset_materializations_for_node("ingest_sources_asset")[0].metadata
        pii = result.asset_materializations_for_node("pii_redacted_records")[0].metadata
    assert raw["labels"].value == {"shipping": 1, "<EMAIL_1>": 1}
    [warning] = raw["warnings"].value
    assert "'t/export <EMAIL_1>' (EMAIL)" in warning and "Rename the files" in warning
    assert json.dumps({k: v.value for k, v in raw.items()}, default=str).count("example.") == 0
    assert pii["rows_dropped"].value == 1 and "label_holds_pii" in pii["dropped_by_reason"].value
