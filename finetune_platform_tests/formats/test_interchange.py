import json
from pathlib import Path

import pandas as pd
import pytest

from finetune_platform.formats.conversations import build_conversation_examples
from finetune_platform.formats.instructions import build_instruction_examples
from finetune_platform.formats.interchange import (
    ALPACA_INSTRUCTIONS,
    default_source_name,
    export_alpaca,
    export_openai_chat,
    export_sharegpt,
    import_file,
)
from finetune_platform.schemas import QUARANTINE_COLUMNS, RECORD_COLUMNS


def _records() -> pd.DataFrame:
    rows = [
        ("Card charged twice for ORD-1.", "I refunded the duplicate.", "billing", ""),
        ("The app crashes on start.", "", "technical_issue", ""),
        (
            "",
            "",
            "shipping",
            [
                {"role": "system", "content": "You are a support agent."},
                {"role": "user", "content": "Où est mon colis ?"},
                {"role": "assistant", "content": "Il arrive demain."},
                {"role": "user", "content": "Merci"},
                {"role": "assistant", "content": "Avec plaisir !"},
            ],
        ),
    ]
    records = []
    for i, (text, response, label, messages) in enumerate(rows, start=1):
        if messages:
            text = "\n".join(m["content"] for m in messages if m["role"] == "user")
            response = messages[-1]["content"]
        records.append(
            {
                "record_id": f"tickets/t.jsonl#{i}",
                "source": "tickets",
                "source_file": "t.jsonl",
                "source_row": i,
                "doc_type": "chat" if messages else "ticket",
                "text": text,
                "response": response,
                "label": label,
                "messages": json.dumps(messages, ensure_ascii=False) if messages else "",
            }
        )
    return pd.DataFrame(records, columns=RECORD_COLUMNS)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- export


def test_alpaca_export_splits_the_prompt_into_instruction_and_ticket(tmp_path: Path) -> None:
    examples = build_instruction_examples(_records())
    assert export_alpaca(examples, tmp_path / "train.jsonl") == len(examples) == 5
    rows = _lines(tmp_path / "train.jsonl")
    assert rows[0] == {
        "instruction": ALPACA_INSTRUCTIONS["classify"],
        "input": "Card charged twice for ORD-1.",
        "output": "billing",
        "id": "tickets/t.jsonl#1::classify",
        "label": "billing",
    }
    assert rows[1]["instruction"] == ALPACA_INSTRUCTIONS["reply"] and rows[1]["output"] == "I refunded the duplicate."


def test_alpaca_export_keeps_an_unknown_prompt_whole_and_writes_a_json_array(tmp_path: Path) -> None:
    examples = build_instruction_examples(_records()).head(1).assign(prompt="Summarise: hello", task="summarise")
    export_alpaca(examples, tmp_path / "x.json", extra_fields=False)
    assert json.loads((tmp_path / "x.json").read_text()) == [
        {"instruction": "Summarise: hello", "input": "", "output": "billing"}
    ]


def test_sharegpt_and_openai_exports_write_the_standard_shapes(tmp_path: Path) -> None:
    conversations = build_conversation_examples(_records())
    assert export_sharegpt(conversations, tmp_path / "sg.json") == 2
    sharegpt = json.loads((tmp_path / "sg.json").read_text(encoding="utf-8"))
    assert sharegpt[1]["id"] == "tickets/t.jsonl#3::chat" and sharegpt[1]["label"] == "shipping"
    assert [t["from"] for t in sharegpt[1]["conversations"]] == ["system", "human", "gpt", "human", "gpt"]
    assert sharegpt[1]["conversations"][1]["value"] == "Où est mon colis ?"

    assert export_openai_chat(conversations, tmp_path / "oa.jsonl") == 2
    openai = _lines(tmp_path / "oa.jsonl")
    assert list(openai[0]) == ["messages"]  # nothing beside messages unless asked
    assert openai[0]["messages"] == [
        {"role": "user", "content": "Card charged twice for ORD-1."},
        {"role": "assistant", "content": "I refunded the duplicate."},
    ]
    export_openai_chat(conversations, tmp_path / "oa2.jsonl", extra_fields=True)
    assert _lines(tmp_path / "oa2.jsonl")[0]["id"] == "tickets/t.jsonl#1::chat"


def test_export_refuses_bad_input(tmp_path: Path) -> None:
    conversations = build_conversation_examples(_records())
    with pytest.raises(ValueError, match="unsupported suffix '.csv'"):
        export_openai_chat(conversations, tmp_path / "x.csv")
    tool = conversations.head(1).assign(messages=json.dumps([{"role": "tool", "content": "{}"}]))
    with pytest.raises(ValueError, match=r"tickets/t.jsonl#1::chat: messages\[0\] has role 'tool'"):
        export_sharegpt(tool, tmp_path / "x.jsonl")
    with pytest.raises(
        ValueError, match=r"instruction examples are missing columns \['task', 'prompt', 'completion'\]"
    ):
        export_alpaca(conversations, tmp_path / "x.jsonl")
    assert not list(tmp_path.iterdir())  # nothing half-written


# ---------------------------------------------------------------------------------------------- round trips


def test_openai_and_sharegpt_round_trip_to_the_same_conversations(tmp_path: Path) -> None:
    conversations = build_conversation_examples(_records())
    export_openai_chat(conversations, tmp_path / "oa.jsonl", extra_fields=True)
    export_sharegpt(conversations, tmp_path / "sg.json")
    for path, fmt in [(tmp_path / "oa.jsonl", "openai_chat"), (tmp_path / "sg.json", "sharegpt")]:
        records, errors = import_file(path, fmt)
        assert errors.empty
        assert list(records.columns) == RECORD_COLUMNS
        again = build_conversation_examples(records)
        assert again["messages"].tolist() == conversations["messages"].tolist()
        assert again["label"].tolist() == conversations["label"].tolist()
        assert records.iloc[1]["text"] == "Où est mon colis ?\nMerci"
        assert records.iloc[1]["response"] == "Avec plaisir !"


def test_alpaca_round_trip_rebuilds_the_same_instruction_pairs(tmp_path: Path) -> None:
    """A ticket is exported as a classify row and a reply row; import merges them back into one record with
    the label and the reply (under the first row's id, counted in rows_merged), so near-duplicate dedup has
    no label-only and reply-only twins to drop one of."""
    from finetune_platform.ingest import SourceSettings, ingest_source

    examples = build_instruction_examples(_records())
    export_alpaca(examples, tmp_path / "a.jsonl")
    assert len(_lines(tmp_path / "a.jsonl")) == 5
    records, errors = import_file(tmp_path / "a.jsonl", "alpaca")
    assert errors.empty
    assert records[["record_id", "text", "response", "label"]].values.tolist() == [
        ["a/a.jsonl#1", "Card charged twice for ORD-1.", "I refunded the duplicate.", "billing"],
        ["a/a.jsonl#3", "The app crashes on start.", "", "technical_issue"],
        ["a/a.jsonl#4", "Où est mon colis ?\nMerci", "Avec plaisir !", "shipping"],
    ]
    pairs = lambda df: sorted(zip(df["task"], df["prompt"], df["completion"], strict=True))  # noqa: E731
    # the same pairs, each once: no classify example twice
    assert pairs(build_instruction_examples(records)) == pairs(examples)
    source = SourceSettings(name="a", path="a.jsonl", format="alpaca")
    for _ in range(2):  # read, then restored from the file cache: the same merge
        result = ingest_source(source, tmp_path, cache_dir=tmp_path / "cache")
        assert result.records.to_dict("records") == records.to_dict("records")
        stats = result.stats["a"]
        assert (stats.rows_read, stats.rows_kept, stats.rows_merged, stats.rows_quarantined) == (5, 3, 2, 0)
        assert result.reconciles(), result.reconciliation_problems()
    assert result.cache_stats["files_reused"] == 1


def test_alpaca_rows_merge_only_as_one_platform_ticket(tmp_path: Path) -> None:
    """Only a classify and a reply row of the platform's export with the same id key and input merge; a
    third-party file, or rows that disagree, come back row by row as before; a withdrawn half is not merged."""
    from finetune_platform.ingest import SourceSettings, ingest_source

    classify, reply = ALPACA_INSTRUCTIONS["classify"], ALPACA_INSTRUCTIONS["reply"]
    rows = [
        {"instruction": classify, "input": "T1", "output": "billing", "id": "s/f#1::classify", "label": "billing"},
        {"instruction": reply, "input": "T1", "output": "R1", "id": "s/f#1::reply", "label": ""},
        # no id: a third-party file using the platform's instructions
        {"instruction": classify, "input": "T2", "output": "billing"},
        {"instruction": reply, "input": "T2", "output": "R2"},
        # ids of one ticket, different inputs
        {"instruction": classify, "input": "T3", "output": "billing", "id": "k3::classify"},
        {"instruction": reply, "input": "T3 edited", "output": "R3", "id": "k3::reply"},
        # the reply row names another label
        {"instruction": classify, "input": "T4", "output": "billing", "id": "k4::classify"},
        {"instruction": reply, "input": "T4", "output": "R4", "id": "k4::reply", "label": "shipping"},
        # an id but not the platform's instruction
        {"instruction": "Classify", "input": "T5", "output": "billing", "id": "k5::classify"},
        {"instruction": reply, "input": "T5", "output": "R5", "id": "k5::reply"},
        # the reply row first, then the classify row; then a ticket whose classify row is withdrawn
        {"instruction": reply, "input": "T6", "output": "R6", "id": "k6::reply"},
        {"instruction": classify, "input": "T6", "output": "billing", "id": "k6::classify"},
        {"instruction": classify, "input": "T7", "output": "billing", "id": "k7::classify"},
        {"instruction": reply, "input": "T7", "output": "R7", "id": "k7::reply"},
    ]
    _write_jsonl(tmp_path / "a.jsonl", rows)
    (tmp_path / "withdrawn.csv").write_text("record_id,reason\na/a.jsonl#13,erasure\n", encoding="utf-8")
    source = SourceSettings(name="a", path="a.jsonl", format="alpaca", withdrawn_rows="withdrawn.csv")
    result = ingest_source(source, tmp_path)
    got = result.records[["source_row", "text", "response", "label"]].values.tolist()
    assert got == [
        [1, "T1", "R1", "billing"],
        [3, "T2", "", "billing"], [4, "T2", "R2", ""],
        [5, "T3", "", "billing"], [6, "T3 edited", "R3", ""],
        [7, "T4", "", "billing"], [8, "T4", "R4", "shipping"],
        [9, "Classify\n\nT5", "billing", ""], [10, "T5", "R5", ""],
        [11, "T6", "R6", "billing"],
        [14, "T7", "R7", ""],
    ]
    stats = result.stats["a"]
    assert (stats.rows_read, stats.rows_merged, stats.rows_quarantined) == (14, 2, 1) and result.reconciles()


def test_import_names_records_by_source_file_and_row(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "Alpaca Data.v2.jsonl",
        [{"instruction": "Say hi", "output": "hi"}, "", {"instruction": "Add", "input": "1+1", "output": "2"}],
    )
    records, _ = import_file(path, "alpaca")
    assert default_source_name(path) == "alpaca_data_v2"
    assert records["record_id"].tolist() == [
        "alpaca_data_v2/Alpaca Data.v2.jsonl#1",
        "alpaca_data_v2/Alpaca Data.v2.jsonl#3",
    ]
    assert records["text"].tolist() == ["Say hi", "Add\n\n1+1"]
    assert records["doc_type"].unique().tolist() == ["instruction"]
    records, _ = import_file(path, "alpaca", source="ext")
    assert records.iloc[0]["record_id"] == "ext/Alpaca Data.v2.jsonl#1"


# ---------------------------------------------------------------------------------------------- bad rows


def test_bad_rows_are_collected_with_file_row_and_reason(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "sg.jsonl",
        [
            {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]},
            '{"conversations": [',
            [1, 2],
            {"conversations": [{"from": "customer", "value": "Hi"}]},
            {"conversations": [{"from": "gpt", "value": "Only me"}]},
            {"dialog": []},
            {"conversations": [{"from": "human", "value": 3}]},
        ],
    )
    records, errors = import_file(path, "sharegpt", source="sg")
    assert records["source_row"].tolist() == [1]
    assert list(errors.columns) == QUARANTINE_COLUMNS
    assert errors["source_row"].tolist() == [2, 3, 4, 5, 6, 7]
    assert errors["reason_code"].tolist() == [
        "malformed_json",
        "not_an_object",
        "invalid_messages",
        "empty_text",
        "missing_field",
        "invalid_messages",
    ]
    assert errors.iloc[2]["reason"] == (
        "sg.jsonl, row 4: conversations[0].from is 'customer', expected one of "
        "['assistant', 'bard', 'bing', 'chatgpt', 'gpt', 'human', 'model', 'system', 'user'] (any case)."
    )
    assert errors.iloc[4]["reason"] == "sg.jsonl, row 6: has no field 'conversations' (fields: dialog)."
    assert errors.iloc[0]["excerpt"] == '{"conversations": ['
    assert set(errors["source_file"]) == {"sg.jsonl"} and set(errors["source"]) == {"sg"}


def test_openai_rows_accept_content_parts_and_quarantine_tool_calls(tmp_path: Path) -> None:
    """Content parts are joined. A conversation with a tool call or result is quarantined whole, naming the
    turn: the platform keeps role and content only, so the answer after the tool result ("It is in
    transit.") would be trained without the result it states."""
    path = _write_jsonl(
        tmp_path / "oa.jsonl",
        [
            {
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "Track"}, {"type": "text", "text": "ORD-9"}]},
                    {"role": "assistant", "content": "Checking.", "weight": 1},
                ]
            },
            {
                "messages": [
                    {"role": "user", "content": "Track ORD-9"},
                    {"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]},
                    {"role": "tool", "content": "in transit"},
                    {"role": "assistant", "content": "It is in transit."},
                ]
            },
            {"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "in transit"}]},
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
            {"messages": [{"role": "bot", "content": "x"}], "label": 5},
        ],
    )
    records, errors = import_file(path, "openai_chat")
    assert records[["text", "response"]].values.tolist() == [["Track\nORD-9", "Checking."]]
    assert errors["reason_code"].tolist() == ["invalid_messages"] * 4
    assert errors.iloc[0]["reason"].startswith("oa.jsonl, row 2: messages[1] is a tool call: function-calling data")
    assert "messages[1] is a tool result: function-calling data is not supported yet" in errors.iloc[1]["reason"]
    assert "messages[0].content holds parts of type ['image_url']" in errors.iloc[2]["reason"]


def test_whole_file_problems_are_one_error_at_row_zero(tmp_path: Path) -> None:
    (tmp_path / "obj.json").write_text('{"instruction": "x", "output": "y"}')
    records, errors = import_file(tmp_path / "obj.json", "alpaca")
    assert records.empty and errors["source_row"].tolist() == [0]
    assert errors.iloc[0]["reason_code"] == "not_an_array" and "name the file .jsonl" in errors.iloc[0]["reason"]

    # an undecodable byte costs its element only
    (tmp_path / "bad.json").write_bytes(b'[{"instruction": "\xff", "output": "y"}, {"instruction": "x", "output": "y"}]')
    records, errors = import_file(tmp_path / "bad.json", "alpaca")
    assert records["source_row"].tolist() == [2]
    assert errors.iloc[0][["source_row", "reason_code"]].tolist() == [1, "invalid_encoding"]

    (tmp_path / "mixed.json").write_text(json.dumps([{"instruction": "x", "output": "y"}, "oops", {"instruction": ""}]))
    records, errors = import_file(tmp_path / "mixed.json", "alpaca")
    assert records["source_row"].tolist() == [1]
    assert errors[["source_row", "reason_code"]].values.tolist() == [[2, "not_an_object"], [3, "empty_text"]]


def test_call_mistakes_raise(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        import_file(tmp_path / "missing.jsonl", "alpaca")
    path = _write_jsonl(tmp_path / "a.jsonl", [{"instruction": "x", "output": "y"}])
    with pytest.raises(ValueError, match="unknown format 'dolly'"):
        import_file(path, "dolly")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not a slug"):
        import_file(path, "alpaca", source="My Source")


def test_system_prompts_and_alpaca_history_become_turns_not_dropped(tmp_path: Path) -> None:
    alpaca = _write_jsonl(tmp_path / "a.jsonl", [
        {"instruction": "And the fee?", "input": "", "output": "It is 5 EUR.", "system": "You are terse.",
         "history": [["How do I renew?", "In the app."]]},
        {"instruction": "Plain", "input": "", "output": "row"},
        {"instruction": "x", "output": "y", "history": [["only a question"]]},
    ])
    records, errors = import_file(alpaca, "alpaca")
    turns = json.loads(records.iloc[0]["messages"])
    assert [m["role"] for m in turns] == ["system", "user", "assistant", "user", "assistant"]
    assert turns[0]["content"] == "You are terse." and turns[1]["content"] == "How do I renew?"
    assert records.iloc[0]["response"] == "It is 5 EUR." and records.iloc[1]["messages"] == ""
    assert errors["reason_code"].tolist() == ["invalid_messages"] and "history" in errors.iloc[0]["reason"]

    sharegpt = tmp_path / "s.json"
    sharegpt.write_text(json.dumps([
        {"system": "Be kind.", "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]},
    ]))
    records, errors = import_file(sharegpt, "sharegpt")
    assert errors.empty
    assert json.loads(records.iloc[0]["messages"])[0] == {"role": "system", "content": "Be kind."}


def test_openai_weight_0_is_kept_trains_nothing_and_survives_export(tmp_path: Path) -> None:
    """OpenAI's per-message weight: 0 marks a reply that is context only. The record's response is the last
    reply that may be trained on; the weight stays on the turn through export (OpenAI and ShareGPT) and back;
    a weight that is not 0 or 1, or on a turn that is not the assistant's, is quarantined, naming it."""
    path = _write_jsonl(
        tmp_path / "oa.jsonl",
        [
            {"messages": [
                {"role": "user", "content": "Where is ORD-9?"},
                {"role": "assistant", "content": "It ships today.", "weight": 1},
                {"role": "user", "content": "It did not."},
                {"role": "assistant", "content": "Not my problem.", "weight": 0},
            ], "label": "shipping"},
            {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x", "weight": 0.5}]},
            {"messages": [{"role": "user", "content": "hi", "weight": 0}, {"role": "assistant", "content": "x"}]},
            {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x", "weight": True}]},
            # null (Parquet, Hugging Face datasets) is no weight; 1 on a user turn changes nothing
            {"messages": [{"role": "user", "content": "Hello", "weight": None}, {"role": "assistant", "content": "Hi!", "weight": 1}]},
        ],
    )
    records, errors = import_file(path, "openai_chat")
    assert records[["text", "response"]].values.tolist() == [["Where is ORD-9?", "It ships today."], ["Hello", "Hi!"]]
    records = records.iloc[:1]
    assert json.loads(records.iloc[0]["messages"])[3] == {"role": "assistant", "content": "Not my problem.", "weight": 0}
    assert json.loads(records.iloc[0]["messages"])[1] == {"role": "assistant", "content": "It ships today."}
    assert errors["reason_code"].tolist() == ["invalid_messages"] * 3
    assert "messages[1].weight is 0.5; a weight is 0 (do not train on this reply) or 1" in errors.iloc[0]["reason"]
    assert "messages[0].weight is 0 on a 'user' turn; only assistant replies can be left out" in errors.iloc[1]["reason"]
    assert "messages[1].weight is true; a weight is 0" in errors.iloc[2]["reason"]

    conversations = build_conversation_examples(records)
    export_openai_chat(conversations, tmp_path / "out.jsonl")
    exported = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])["messages"]
    assert exported[-1] == {"role": "assistant", "content": "Not my problem.", "weight": 0} and "weight" not in exported[1]
    again, errors = import_file(tmp_path / "out.jsonl", "openai_chat")
    assert errors.empty and again["messages"].tolist() == records["messages"].tolist()
    export_sharegpt(conversations, tmp_path / "sg.jsonl")
    turns = json.loads((tmp_path / "sg.jsonl").read_text().splitlines()[0])["conversations"]
    assert turns[-1] == {"from": "gpt", "value": "Not my problem.", "weight": 0}
    again, errors = import_file(tmp_path / "sg.jsonl", "sharegpt")
    assert errors.empty and again["messages"].tolist() == records["messages"].tolist()
    # any ShareGPT name of the assistant takes a weight
    (tmp_path / "sg2.jsonl").write_text(json.dumps({"conversations": [
        {"from": "human", "value": "hi"}, {"from": "assistant", "value": "go away", "weight": 0},
        {"from": "chatgpt", "value": "Hello! How can I help?"}]}) + "\n")
    other, errors = import_file(tmp_path / "sg2.jsonl", "sharegpt")
    assert errors.empty and json.loads(other.iloc[0]["messages"])[1]["weight"] == 0
    assert again[["text", "response"]].values.tolist() == [["Where is ORD-9?", "It ships today."]]


def test_an_alpaca_classify_row_whose_output_contradicts_its_label_is_quarantined(tmp_path: Path) -> None:
    classify = ALPACA_INSTRUCTIONS["classify"]
    path = _write_jsonl(tmp_path / "a.jsonl", [
        {"instruction": classify, "input": "I was charged twice", "output": "billing", "label": "shipping"},
        {"instruction": classify, "input": "Where is it?", "output": "Shipping", "label": "shipping"},  # same category
        {"instruction": classify, "input": "App crashes", "output": "technical_issue"},
    ])
    records, errors = import_file(path, "alpaca")
    assert records[["source_row", "label"]].values.tolist() == [[2, "shipping"], [3, "technical_issue"]]
    assert errors[["source_row", "reason_code"]].values.tolist() == [[1, "label_conflict"]]
    assert errors.iloc[0]["reason"] == (
        "a.jsonl, row 1: the classify row's output 'billing' and its label 'shipping' name different categories; "
        "keep one of them."
    )


def test_sharegpt_roles_in_any_case_aliases_and_tool_turns(tmp_path: Path) -> None:
    """"Human"/"GPT" and the model names of public dumps are read; LLaMA-Factory's function_call /
    observation turns get the same explicit function-calling reason as OpenAI tool turns."""
    path = _write_jsonl(tmp_path / "sg.jsonl", [
        {"conversations": [{"from": "Human", "value": "hi"}, {"from": "GPT", "value": "yo"}]},
        {"conversations": [{"from": "human", "value": "hi"}, {"from": "bard", "value": "yo"},
                           {"from": "USER", "value": "and?"}, {"from": "model", "value": "so"}]},
        {"conversations": [{"from": "human", "value": "hi"}, {"from": "function_call", "value": '{"name": "f"}'},
                           {"from": "observation", "value": "42"}, {"from": "gpt", "value": "It is 42"}]},
        {"conversations": [{"from": "human", "value": "hi"}, {"from": "Observation", "value": "42"}]},
    ])
    records, errors = import_file(path, "sharegpt")
    assert records["source_row"].tolist() == [1, 2]
    assert [m["role"] for m in json.loads(records.iloc[1]["messages"])] == ["user", "assistant", "user", "assistant"]
    assert errors["reason_code"].tolist() == ["invalid_messages"] * 2
    assert errors.iloc[0]["reason"].startswith(
        "sg.jsonl, row 3: conversations[1] ('function_call') is a tool call: function-calling data is not supported"
    )
    assert "conversations[1] ('Observation') is a tool result: function-calling data" in errors.iloc[1]["reason"]

    oa = _write_jsonl(tmp_path / "oa.jsonl", [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "function", "content": "42"}]},
    ])
    _, errors = import_file(oa, "openai_chat")
    assert "messages[1] is a tool result: function-calling data is not supported" in errors.iloc[0]["reason"]
