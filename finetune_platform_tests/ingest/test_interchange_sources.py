"""Sources in a fine-tuning format (alpaca, sharegpt, openai_chat): data brought with a sources.yaml entry
alone, read like formats.interchange reads it, with the ingest reader's ids, stats and quarantine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finetune_platform.formats.interchange import ALPACA_INSTRUCTIONS, import_file
from finetune_platform.ingest import (
    QuarantineReason,
    SourceConfigError,
    SourceSettings,
    ingest_source,
    ingest_sources,
    load_sources,
)
from finetune_platform.schemas import QUARANTINE_COLUMNS, RECORD_COLUMNS

SOURCES_YAML = """\
sources:
  - name: alpaca-data
    path: alpaca/*.json
    format: alpaca
  - name: sharegpt-chats
    path: sharegpt/*.jsonl
    format: sharegpt
  - name: openai-chats
    path: openai/**/*.jsonl
    format: openai_chat
    doc_type: support_chat
"""

ALPACA_ROWS = [
    {"instruction": "Translate to French", "input": "Where is my parcel?", "output": "Où est mon colis ?"},
    {"instruction": "Say hello", "output": "Hello!", "label": "greeting"},
    {"instruction": ALPACA_INSTRUCTIONS["classify"], "input": "My card was charged twice.", "output": "billing"},
]
SHAREGPT_ROWS = [
    {
        "id": "c1",
        "conversations": [
            {"from": "system", "value": "You are a support agent."},
            {"from": "human", "value": "My order ORD-7 is late."},
            {"from": "gpt", "value": "Sorry! It ships tomorrow."},
            {"from": "human", "value": "Thanks, and the invoice?"},
            {"from": "gpt", "value": "I have e-mailed it to you."},
        ],
        "label": "shipping",
    },
]
OPENAI_ROWS = [
    {"messages": [{"role": "user", "content": "Reset my password"}, {"role": "assistant", "content": "Done."}]},
    {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "App crashes"}]},
            {"role": "assistant", "content": "Update to 2.1."},
        ],
        "label": 3,
    },
]


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def _jsonl(*rows: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows)


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    _write(raw / "alpaca" / "data.json", json.dumps(ALPACA_ROWS, ensure_ascii=False))
    _write(raw / "sharegpt" / "chats.jsonl", _jsonl(*SHAREGPT_ROWS))
    _write(raw / "openai" / "2024" / "chat.jsonl", _jsonl(*OPENAI_ROWS))
    return raw


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, SourceSettings]:
    return {s.name: s for s in load_sources(_write(tmp_path / "sources.yaml", SOURCES_YAML))}


def _records(result):
    return result.records.set_index("record_id")


# ---------------------------------------------------------------------------------------------- configuration


def test_a_sources_yaml_entry_needs_no_field_mapping(sources) -> None:
    assert [s.format for s in sources.values()] == ["alpaca", "sharegpt", "openai_chat"]
    # the doc_type follows the format unless the entry sets one
    assert [s.doc_type for s in sources.values()] == ["instruction", "chat", "support_chat"]


@pytest.mark.parametrize("fmt", ["alpaca", "sharegpt", "openai_chat"])
@pytest.mark.parametrize(
    "mapping",
    [
        {"text_field": "prompt"},
        {"response_field": "output"},
        {"label_field": "category"},
        {"title_field": "subject"},
        {"messages_field": "conversations"},
    ],
)
def test_field_mappings_are_refused_for_fixed_field_formats(fmt, mapping) -> None:
    expected = rf"format '{fmt}' reads fixed fields .*the field mappings \['{next(iter(mapping))}'\] do not apply"
    with pytest.raises(ValueError, match=expected):
        SourceSettings(name="s", path="x/*", format=fmt, **mapping)


def test_load_sources_names_the_entry_with_a_mapping_that_does_not_apply(tmp_path) -> None:
    path = _write(
        tmp_path / "s.yaml", "sources:\n  - name: sg\n    path: a/*.json\n    format: sharegpt\n    label_field: tag\n"
    )
    with pytest.raises(SourceConfigError, match=r"sources\[0\] \(name 'sg'\): .*format 'sharegpt' reads fixed fields"):
        load_sources(path)
    with pytest.raises(ValueError, match="csv_delimiter applies to format 'csv' only, not 'alpaca'"):
        SourceSettings(name="s", path="x/*", format="alpaca", csv_delimiter=";")


# ---------------------------------------------------------------------------------------------- reading


def test_alpaca_rows_become_records_and_the_input_is_kept(raw, sources) -> None:
    result = ingest_source(sources["alpaca-data"], raw)
    assert result.reconciles() and result.quarantine.empty
    assert list(result.records.columns) == RECORD_COLUMNS
    records = _records(result)
    assert records.index.tolist() == [f"alpaca-data/alpaca/data.json#{i}" for i in (1, 2, 3)]
    first = records.loc["alpaca-data/alpaca/data.json#1"]
    assert first["text"] == "Translate to French\n\nWhere is my parcel?"  # instruction and input
    assert first[["response", "label", "messages", "doc_type", "source", "source_file", "source_row"]].tolist() == [
        "Où est mon colis ?", "", "", "instruction", "alpaca-data", "alpaca/data.json", 1
    ]
    assert records.loc["alpaca-data/alpaca/data.json#2", ["text", "label"]].tolist() == ["Say hello", "greeting"]
    # a platform instruction: the input is the ticket, a classify output the label
    assert records.loc["alpaca-data/alpaca/data.json#3", ["text", "response", "label"]].tolist() == [
        "My card was charged twice.", "", "billing"
    ]
    stats = result.stats["alpaca-data"]
    assert (stats.files, stats.rows_read, stats.rows_kept, stats.rows_quarantined) == (1, 3, 3, 0)


def test_a_sharegpt_conversation_becomes_one_chat_record(raw, sources) -> None:
    result = ingest_source(sources["sharegpt-chats"], raw)
    assert result.reconciles() and len(result.records) == 1 and result.quarantine.empty
    record = result.records.iloc[0]
    assert record["record_id"] == "sharegpt-chats/sharegpt/chats.jsonl#1"
    assert record["text"] == "My order ORD-7 is late.\nThanks, and the invoice?"
    assert record["response"] == "I have e-mailed it to you."
    assert record["label"] == "shipping" and record["doc_type"] == "chat"
    assert json.loads(record["messages"]) == [
        {"role": "system", "content": "You are a support agent."},
        {"role": "user", "content": "My order ORD-7 is late."},
        {"role": "assistant", "content": "Sorry! It ships tomorrow."},
        {"role": "user", "content": "Thanks, and the invoice?"},
        {"role": "assistant", "content": "I have e-mailed it to you."},
    ]


def test_openai_chat_rows_become_records(raw, sources) -> None:
    result = ingest_source(sources["openai-chats"], raw)
    assert result.reconciles() and result.quarantine.empty
    assert result.records["record_id"].tolist() == [
        "openai-chats/openai/2024/chat.jsonl#1",
        "openai-chats/openai/2024/chat.jsonl#2",
    ]
    assert result.records[["text", "response", "label"]].values.tolist() == [
        ["Reset my password", "Done.", ""],
        ["App crashes", "Update to 2.1.", "3"],
    ]
    assert set(result.records["doc_type"]) == {"support_chat"}


def test_all_three_formats_and_a_generic_source_ingest_together(raw, sources) -> None:
    _write(raw / "plain" / "p.jsonl", _jsonl({"text": "hello", "category": "other"}))
    plain = SourceSettings(name="plain", path="plain/*.jsonl", format="jsonl", label_field="category")
    result = ingest_sources([*sources.values(), plain], raw)
    assert result.reconciles()
    assert result.records["source"].value_counts().to_dict() == {
        "alpaca-data": 3, "openai-chats": 2, "sharegpt-chats": 1, "plain": 1
    }


def test_import_file_and_a_configured_source_give_the_same_records(raw) -> None:
    path = raw / "sharegpt" / "chats.jsonl"
    records, errors = import_file(path, "sharegpt", source="sg")
    source = SourceSettings(name="sg", path="chats.jsonl", format="sharegpt")
    configured = ingest_source(source, raw / "sharegpt")
    assert errors.empty
    assert records.to_dict("records") == configured.records.to_dict("records")


# ---------------------------------------------------------------------------------------------- hostile input


def test_hostile_rows_and_files_are_quarantined_with_reasons_and_counts_reconcile(tmp_path) -> None:
    raw = tmp_path / "raw"
    good = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}
    _write(
        raw / "sg" / "a.jsonl",
        _jsonl(
            good,
            '{"conversations": [{"from": "human", "val',  # truncated line
            "",  # blank: not a row
            {"messages": [{"role": "user", "content": "wrong schema"}]},  # an OpenAI row in a ShareGPT file
            {"conversations": [{"from": "customer", "value": "Hi"}]},
            {"conversations": [{"from": "gpt", "value": "only the agent speaks"}]},
            {"conversations": "not a list"},
            [1, 2, 3],
            {"conversations": [{"from": "human", "value": "=HYPERLINK(\"http://x\")"}, {"from": "gpt", "value": "ok"}]},
            '{"conversations": [{"from": "human", "value": "\\ud800"}]}',  # lone surrogate
            {"conversations": [{"from": "human", "value": "x" * 3000}]},  # over max_record_bytes
        ),
    )
    _write(raw / "sg" / "b.jsonl", b"\x00\x01PK\x03\x04 binary renamed .jsonl")
    _write(raw / "sg" / "c.jsonl", b"")  # empty
    _write(raw / "sg" / "d.json", '{"conversations": []}')  # .json must hold an array
    _write(raw / "sg" / "e.json", '[{"conversations": [{"from": "human", "value": "ok"}]}, "oops", ')  # broken array
    _write(raw / "sg" / "f.txt", "hello")  # neither .json nor .jsonl
    source = SourceSettings(name="sg", path="sg/*", format="sharegpt", max_record_bytes=2048)

    result = ingest_source(source, raw)  # never raises

    stats = result.stats["sg"]
    assert result.reconciles(), result.reconciliation_problems()
    assert stats.rows_read == stats.rows_kept + stats.rows_quarantined == len(result.records) + len(result.quarantine)
    assert (stats.files, stats.empty_files, stats.blank_lines) == (6, 1, 1)
    assert result.records["record_id"].tolist() == ["sg/sg/a.jsonl#1"]
    assert list(result.quarantine.columns) == QUARANTINE_COLUMNS
    got = result.quarantine[["source_file", "source_row", "reason_code"]].values.tolist()
    assert got == [
        ["sg/a.jsonl", 2, "malformed_json"],
        ["sg/a.jsonl", 4, "missing_field"],
        ["sg/a.jsonl", 5, "invalid_messages"],
        ["sg/a.jsonl", 6, "empty_text"],
        ["sg/a.jsonl", 7, "invalid_messages"],
        ["sg/a.jsonl", 8, "not_an_object"],
        ["sg/a.jsonl", 9, "formula_injection"],
        ["sg/a.jsonl", 10, "invalid_encoding"],
        ["sg/a.jsonl", 11, "oversized"],
        ["sg/b.jsonl", 0, "binary_file"],
        ["sg/d.json", 0, "not_an_array"],
        ["sg/e.json", 0, "malformed_json"],
        ["sg/f.txt", 0, "unreadable_file"],
    ]
    assert stats.quarantined_by_reason[QuarantineReason.INVALID_MESSAGES.value] == 2
    assert all(result.quarantine["reason"].str.len() > 20)
    quarantine = result.quarantine
    where = quarantine["source_row"].astype(str) + quarantine["source_file"]
    reasons = dict(zip(where, quarantine["reason"], strict=True))
    assert reasons["4sg/a.jsonl"] == "sg/a.jsonl, row 4: has no field 'conversations' (fields: messages)."
    assert "conversations[0].from is 'customer'" in reasons["5sg/a.jsonl"]
    assert "conversations[0].value" in reasons["10sg/a.jsonl"]
    assert "name the file .jsonl" in reasons["0sg/d.json"]
    assert "reads .jsonl (one object per line) or .json" in reasons["0sg/f.txt"]


@pytest.mark.parametrize(
    ("fmt", "row", "code"),
    [
        ("alpaca", {"instruction": "x"}, "missing_field"),
        ("alpaca", {"instruction": "  ", "output": "y"}, "empty_text"),
        ("alpaca", {"instruction": "x", "input": 5, "output": "y"}, "wrong_type"),
        ("alpaca", {"instruction": "=SUM(A1:A3)", "output": "6"}, "formula_injection"),
        ("openai_chat", {"messages": []}, "invalid_messages"),
        ("openai_chat", {"messages": [{"role": "bot", "content": "x"}]}, "invalid_messages"),
        ("openai_chat", {"conversations": [{"from": "human", "value": "x"}]}, "missing_field"),
        ("openai_chat", {"messages": [{"role": "assistant", "content": "no user turn"}]}, "empty_text"),
        # a role that is a list or an object (not hashable) is one bad row, not a crash of the whole source
        ("openai_chat", {"messages": [{"role": ["user"], "content": "x"}]}, "invalid_messages"),
        ("openai_chat", {"messages": [{"role": {"x": 1}, "content": "x"}]}, "invalid_messages"),
        ("sharegpt", {"conversations": [{"from": ["human"], "value": "q"}]}, "invalid_messages"),
    ],
)
def test_wrong_schema_rows_are_quarantined_per_format(tmp_path, fmt, row, code) -> None:
    _write(tmp_path / "d.jsonl", _jsonl(row))
    result = ingest_source(SourceSettings(name="s", path="d.jsonl", format=fmt), tmp_path)
    assert result.records.empty and result.reconciles()
    assert result.quarantine[["source_row", "reason_code"]].values.tolist() == [[1, code]]


def test_a_json_array_element_that_is_not_an_object_costs_one_row(tmp_path) -> None:
    _write(tmp_path / "a.json", json.dumps([ALPACA_ROWS[0], "oops", None, ALPACA_ROWS[1]]))
    result = ingest_source(SourceSettings(name="a", path="*.json", format="alpaca"), tmp_path)
    assert result.records["source_row"].tolist() == [1, 4]
    assert result.quarantine[["source_row", "reason_code"]].values.tolist() == [
        [2, "not_an_object"],
        [3, "not_an_object"],
    ]
    assert result.stats["a"].rows_read == 4 and result.reconciles()


def test_every_string_that_becomes_a_turn_is_checked_and_a_bad_one_costs_its_row_only(tmp_path) -> None:
    """Alpaca ``system`` and ``history`` become turns, so they get the encoding and formula checks that
    instruction, input and output get: one bad row is quarantined naming file, row and field, and the rest of
    the source is still ingested (with the file cache too, which used to fail the whole source on a lone
    surrogate it could not write)."""
    formula = "=cmd|' /C calc'!A0"
    ok = {"instruction": "Q", "input": "x", "output": "a"}
    alpaca = [
        ok,
        '{"instruction": "Q", "input": "x", "output": "a", "system": "S\\ud800"}',
        '{"instruction": "Q", "input": "x", "output": "a", "history": [["h", "a\\ud800"]]}',
        {**ok, "system": formula},
        {**ok, "history": [["fine", "fine"], [formula, "ok"]]},
    ]
    sharegpt = [
        {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}], "system": formula},
        '{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}], "system": "\\ud800"}',
        {"conversations": [{"from": "system", "value": "Be kind."}, {"from": "human", "value": "hi"},
                           {"from": "gpt", "value": formula}]},
    ]
    openai = [
        {"messages": [{"role": "user", "content": [{"type": "text", "text": formula}, {"type": "text", "text": "a"}]},
                      {"role": "assistant", "content": "ok"}]},
        '{"messages": [{"role": "system", "content": "\\ud800"}, {"role": "user", "content": "hi"}]}',
    ]
    _write(tmp_path / "a.jsonl", _jsonl(*alpaca))
    _write(tmp_path / "s.jsonl", _jsonl(*sharegpt))
    _write(tmp_path / "o.jsonl", _jsonl(*openai))
    got = {}
    for name, fmt in [("a", "alpaca"), ("s", "sharegpt"), ("o", "openai_chat")]:
        result = ingest_source(SourceSettings(name=name, path=f"{name}.jsonl", format=fmt), tmp_path,
                               cache_dir=tmp_path / "cache")
        assert result.reconciles(), result.reconciliation_problems()
        got[name] = (result.records["source_row"].tolist(),
                     result.quarantine[["source_row", "reason_code"]].values.tolist(),
                     result.quarantine["reason"].tolist())
    assert got["a"][0] == [1]
    assert got["a"][1] == [[2, "invalid_encoding"], [3, "invalid_encoding"], [4, "formula_injection"],
                           [5, "formula_injection"]]
    assert got["a"][2][0].startswith("a.jsonl, row 2: field 'system' is not valid utf-8")
    assert got["a"][2][1].startswith("a.jsonl, row 3: field 'history[0][1]' is not valid utf-8")
    assert got["a"][2][2].startswith("a.jsonl, row 4: field 'system' starts like a spreadsheet formula")
    assert got["a"][2][3].startswith("a.jsonl, row 5: field 'history[1][0]' starts like a spreadsheet formula")
    assert got["s"][0] == [] and [r[1] for r in got["s"][1]] == [
        "formula_injection", "invalid_encoding", "formula_injection"]
    assert got["s"][2][0].startswith("s.jsonl, row 1: field 'system' starts like")
    assert got["s"][2][1].startswith("s.jsonl, row 2: field 'system' is not valid")
    assert got["s"][2][2].startswith("s.jsonl, row 3: field 'conversations[2].value' starts like")
    assert got["o"][0] == [] and got["o"][2][0].startswith("o.jsonl, row 1: field 'messages[0].content' starts like")
    assert got["o"][2][1].startswith("o.jsonl, row 2: field 'messages[0].content' is not valid")
