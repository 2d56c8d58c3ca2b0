"""`finetune-platform export`: the versioned training set written as Alpaca, ShareGPT or OpenAI chat, and read
back (by import_file and by a sources.yaml entry) with the same texts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from finetune_platform.cli import main
from finetune_platform.datasets.split import SplitSettings, split_examples, write_training_set
from finetune_platform.formats.instructions import build_instruction_examples, ticket_from_prompt
from finetune_platform.formats.interchange import import_file
from finetune_platform.ingest import SourceSettings, ingest_source
from finetune_platform.schemas import RECORD_COLUMNS, SPLITS

LABELS = ["billing", "shipping", "technical_issue"]


def _records() -> pd.DataFrame:
    rows = []
    for i in range(30):
        label = LABELS[i % 3]
        rows.append(
            {
                "record_id": f"tickets/t.jsonl#{i + 1}",
                "source": "tickets",
                "source_file": "t.jsonl",
                "source_row": i + 1,
                "doc_type": "ticket",
                "text": f"Ticket {i}: my {label} problem number {i * 7919 % 1000} needs help, order ORD-{i:04d}.",
                # every fifth ticket has no reply: a classify example only, no conversation
                "response": "" if i % 5 == 4 else f"Reply {i}: we fixed the {label} issue on ORD-{i:04d}.",
                "label": label,
                "messages": "",
            }
        )
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("FINETUNE_PLATFORM_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def splits(root) -> dict[str, pd.DataFrame]:
    records = _records()
    settings = SplitSettings(validation_fraction=0.2, test_fraction=0.2)
    splits = split_examples(build_instruction_examples(records), settings)
    write_training_set(splits, root / "data" / "training_set", records)
    assert all(len(splits[name]) for name in SPLITS)
    return splits


def _tickets(examples: pd.DataFrame) -> list[str]:
    return [ticket_from_prompt(p) for p in examples["prompt"]]


def test_alpaca_export_round_trips_every_example(root, splits, capsys) -> None:
    out = root / "exports" / "train.jsonl"
    assert main(["export", "--format", "alpaca", "--out", str(out)]) == 0  # default split: train
    printed = capsys.readouterr().out
    assert f"wrote {len(splits['train'])} alpaca examples (train split) to {out}" in printed
    records, errors = import_file(out, "alpaca")
    assert errors.empty
    # one record per ticket: its classify and reply rows are merged back (label from the one, reply from the other)
    tickets: dict[str, dict[str, str]] = {}
    for ex in splits["train"].itertuples(index=False):
        ticket = tickets.setdefault(ex.record_id, {"text": ticket_from_prompt(ex.prompt), "response": "", "label": ""})
        if ex.task == "reply":
            ticket["response"] = ex.completion
        ticket["label"] = ticket["label"] or ex.label
    assert records[["text", "response", "label"]].to_dict("records") == list(tickets.values())


@pytest.mark.parametrize(("fmt", "suffix"), [("sharegpt", ".json"), ("openai_chat", ".jsonl")])
def test_chat_exports_round_trip_one_conversation_per_ticket_with_a_reply(root, splits, capsys, fmt, suffix) -> None:
    out = root / f"all{suffix}"
    assert main(["export", "--format", fmt, "--out", str(out), "--split", "all"]) == 0
    examples = pd.concat([splits[name] for name in SPLITS], ignore_index=True)
    replies = examples.loc[examples["task"] == "reply"]
    without_reply = examples["record_id"].nunique() - len(replies)
    assert without_reply == 6
    printed = capsys.readouterr().out
    assert f"wrote {len(replies)} {fmt} examples (train, validation and test split) to {out}" in printed
    assert f"left out {without_reply} tickets without a reply" in printed

    records, errors = import_file(out, fmt)
    assert errors.empty
    assert records["text"].tolist() == _tickets(replies)
    assert records["response"].tolist() == replies["completion"].tolist()
    turns = [[m["role"] for m in json.loads(m)] for m in records["messages"]]
    assert turns == [["user", "assistant"]] * len(replies)
    if fmt == "sharegpt":  # the ShareGPT export carries the label
        assert records["label"].tolist() == replies["label"].tolist()

    # ... and the exported file is a source that needs nothing but its format in sources.yaml
    source = SourceSettings(name="exported", path=out.name, format=fmt)
    ingested = ingest_source(source, root)
    assert ingested.reconciles() and ingested.quarantine.empty
    assert ingested.records["text"].tolist() == _tickets(replies)


def test_one_split_only(root, splits, capsys) -> None:
    out = root / "test.json"
    main(["export", "--format", "openai_chat", "--out", str(out), "--split", "test"])
    rows = json.loads(out.read_text(encoding="utf-8"))
    test_replies = splits["test"].loc[splits["test"]["task"] == "reply"]
    assert [r["messages"][0]["content"] for r in rows] == _tickets(test_replies)
    assert all(list(r) == ["messages"] for r in rows)  # exactly what OpenAI's fine-tuning upload expects


def test_no_training_set_yet_says_to_run_the_pipeline_first(root) -> None:
    with pytest.raises(SystemExit, match=r"no training set in .*data/training_set .*run the pipeline first"):
        main(["export", "--format", "alpaca", "--out", str(root / "x.jsonl")])
    assert not (root / "x.jsonl").exists()


def test_bad_output_suffix_and_changed_training_set_are_named(root, splits) -> None:
    with pytest.raises(SystemExit, match=r"unsupported suffix '\.csv'; use \.jsonl .* or \.json"):
        main(["export", "--format", "alpaca", "--out", str(root / "x.csv")])
    (root / "data" / "training_set" / "train.parquet").write_bytes(b"tampered")
    with pytest.raises(SystemExit, match="does not match its manifest"):
        main(["export", "--format", "alpaca", "--out", str(root / "x.jsonl")])


def test_an_output_path_that_is_a_folder_or_unwritable_is_named(root, splits, tmp_path) -> None:
    (root / "d.jsonl").mkdir()
    with pytest.raises(SystemExit, match=r"d\.jsonl is a folder; give the path of a \.jsonl or \.json file"):
        main(["export", "--format", "alpaca", "--out", str(root / "d.jsonl")])
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    with pytest.raises(SystemExit, match=r"export: cannot write .*notes\.txt/x\.jsonl: "):
        main(["export", "--format", "alpaca", "--out", str(tmp_path / "notes.txt" / "x.jsonl")])
    assert main(["export", "--format", "alpaca", "--out", str(root / "UPPER.JSONL")]) == 0  # any case of suffix
    assert (root / "UPPER.JSONL").read_text().count("\n") > 0


def test_bad_choices_are_refused_by_the_parser(root, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--format", "dolly", "--out", "x.jsonl"])
    assert "invalid choice: 'dolly'" in capsys.readouterr().err


def test_export_does_not_load_dagster(root, splits) -> None:
    code = (
        "import sys; from finetune_platform.cli import main; "
        f"main(['export', '--format', 'sharegpt', '--out', {str(root / 'sg.jsonl')!r}]); "
        "assert 'dagster' not in sys.modules, 'export imported dagster'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout


def _chat_records() -> pd.DataFrame:
    """Tickets whose chats have several turns (what ingest writes for a chat source)."""
    records = _records()
    turns = []
    for i, row in records.iterrows():
        messages = [{"role": "user", "content": row["text"]}]
        if row["response"]:
            messages += [
                {"role": "assistant", "content": "Could you tell me the order number?"},
                {"role": "user", "content": f"It is ORD-{i:04d}."},
                {"role": "assistant", "content": row["response"]},
            ]
        turns.append(json.dumps(messages))
    return records.assign(messages=turns, doc_type="chat")


def test_multi_turn_conversations_are_versioned_in_their_ticket_split_and_exported_whole(root, capsys) -> None:
    from finetune_platform.datasets.split import read_conversations, read_manifest
    from finetune_platform.formats.conversations import build_conversations

    records = _chat_records()
    splits = split_examples(build_instruction_examples(records), SplitSettings(validation_fraction=0.2, test_fraction=0.2))
    conversations = build_conversations(records).examples
    folder = root / "data" / "training_set"
    write_training_set(splits, folder, records, conversations)

    versioned = read_conversations(folder)
    assert sum(len(v) for v in versioned.values()) == len(conversations) == 24
    entries = read_manifest(folder).entries
    for name in SPLITS:  # each conversation sits in the split of its ticket: nothing leaks across splits
        assert set(versioned[name]["record_id"]) <= set(splits[name]["record_id"])
        assert read_manifest(folder).counts[f"conversations_{name}"] == len(versioned[name])
        for row in versioned[name].itertuples(index=False):  # lineage: every conversation to its raw file and row
            entry = entries[row.example_id]
            assert (entry.kind, entry.split, entry.record_id) == ("conversation", name, row.record_id)
            record = records.set_index("record_id").loc[row.record_id]
            assert (entry.source_file, entry.source_row) == (record["source_file"], record["source_row"])
    assert sum(e.kind == "pair" for e in entries.values()) == sum(len(splits[n]) for n in SPLITS)

    out = root / "chats.jsonl"
    assert main(["export", "--format", "openai_chat", "--out", str(out), "--split", "all"]) == 0
    assert "left out 6 tickets without a reply" in capsys.readouterr().out  # the chats that never got one
    exported = [json.loads(line)["messages"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(exported) == 24 and all(len(m) == 4 for m in exported)  # every turn, not one exchange
    assert exported[0][1]["content"] == "Could you tell me the order number?"

    # tampering is caught; a rewrite without conversations leaves none behind
    path = folder / "conversations_test.parquet"
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(ValueError, match="does not match its manifest"):
        read_conversations(folder)
    write_training_set(splits, folder, records)
    assert read_conversations(folder) is None and not path.exists()


def test_tickets_without_a_conversation_are_counted_when_conversations_are_versioned(root, capsys) -> None:
    from finetune_platform.formats.conversations import build_conversations

    records = _records()  # every fifth ticket has no reply, so no conversation
    splits = split_examples(build_instruction_examples(records), SplitSettings(validation_fraction=0.2, test_fraction=0.2))
    write_training_set(splits, root / "data" / "training_set", records, build_conversations(records).examples)
    out = root / "chats.json"
    assert main(["export", "--format", "sharegpt", "--out", str(out), "--split", "all"]) == 0
    printed = capsys.readouterr().out
    assert "wrote 24 sharegpt examples" in printed and "left out 6 tickets without a reply" in printed


def test_a_conversation_whose_ticket_is_in_no_split_is_counted_not_versioned(root) -> None:
    from finetune_platform.datasets.split import read_conversations
    from finetune_platform.formats.conversations import build_conversations

    records = _chat_records()
    splits = split_examples(build_instruction_examples(records), SplitSettings(validation_fraction=0.2, test_fraction=0.2))
    conversations = build_conversations(records).examples
    stray = conversations.iloc[:1].assign(record_id="tickets/elsewhere.jsonl#1", example_id="tickets/elsewhere.jsonl#1::chat")
    manifest = write_training_set(splits, root / "ts", records, pd.concat([conversations, stray], ignore_index=True))
    assert manifest.counts["conversations_without_split"] == 1
    assert sum(len(v) for v in read_conversations(root / "ts").values()) == len(conversations)
