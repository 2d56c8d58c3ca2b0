import pandas as pd
import pytest
from pydantic import ValidationError

from finetune_platform.formats.instructions import (
    FormatSettings,
    build_instruction_examples,
    format_stats,
    normalise_label,
    parse_label,
    ticket_from_prompt,
)
from finetune_platform.schemas import EXAMPLE_COLUMNS, RECORD_COLUMNS


def _records() -> pd.DataFrame:
    rows = [
        ("chats/chats.jsonl#1", "My card was charged twice for order ORD-1.", "I refunded the duplicate.", "Billing"),
        ("chats/chats.jsonl#2", "The app crashes on start.", "", "technical issue"),
        ("chats/chats.jsonl#3", "Where is my parcel?", "It ships tomorrow.", ""),
    ]
    return pd.DataFrame(
        [
            {
                "record_id": f"chats/{rid}",
                "source": "chats",
                "source_file": rid.split("#")[0],
                "source_row": int(rid.split("#")[1]),
                "doc_type": "chat",
                "text": text,
                "response": response,
                "label": label,
                "messages": "",
            }
            for rid, text, response, label in rows
        ],
        columns=RECORD_COLUMNS,
    )


def test_examples_per_task_follow_what_each_record_supports() -> None:
    examples = build_instruction_examples(_records())
    assert list(examples.columns) == EXAMPLE_COLUMNS
    # record 1: both tasks; record 2: no reply (empty response); record 3: no label -> no classify
    assert examples["example_id"].tolist() == [
        "chats/chats/chats.jsonl#1::classify",
        "chats/chats/chats.jsonl#1::reply",
        "chats/chats/chats.jsonl#2::classify",
        "chats/chats/chats.jsonl#3::reply",
    ]
    classify = examples.loc[examples["task"] == "classify"]
    assert classify["completion"].tolist() == ["billing", "technical_issue"]
    assert classify.iloc[0]["prompt"].endswith("### Category:\n")
    assert "My card was charged twice" in classify.iloc[0]["prompt"]
    stats = format_stats(_records(), examples)
    assert stats["examples_per_task"] == {"classify": 2, "reply": 2}
    assert stats["records_without_label"] == 1 and stats["records_without_response"] == 1
    assert stats["labels"] == ["billing", "technical_issue"]
    # a placeholder label ("-") normalises to nothing: no classify example, and counted as unlabelled
    dashed = _records().assign(label=["Billing", "-", ""])
    assert format_stats(dashed, build_instruction_examples(dashed))["records_without_label"] == 2


def test_long_ticket_is_cut_at_a_word_boundary() -> None:
    records = _records()
    records.loc[0, "text"] = "word " * 200
    examples = build_instruction_examples(records, FormatSettings(max_ticket_chars=50))
    ticket = ticket_from_prompt(examples.iloc[0]["prompt"])
    assert len(ticket) <= 50 and ticket.endswith("word")


def test_ticket_round_trips_through_the_prompt() -> None:
    examples = build_instruction_examples(_records())
    assert ticket_from_prompt(examples.iloc[1]["prompt"]) == "My card was charged twice for order ORD-1."


def test_ticket_is_found_in_a_hand_typed_prompt() -> None:
    """A client that types the template by hand (other case, spacing, CRLF) still shows its ticket: drift,
    decontamination and the split's ticket key read it the same way."""
    assert ticket_from_prompt("### task: classify\r\n###ticket: \r\nMy card was charged twice\r\n###category:\r\n") == (
        "My card was charged twice"
    )
    # A Markdown heading inside the ticket stays part of it: only the last section marker ends the ticket.
    assert ticket_from_prompt("### Ticket:\nSteps\n### Tried\nrestart\n### Reply:\n") == "Steps\n### Tried\nrestart"
    assert ticket_from_prompt("no template here") == "no template here"


def test_labels_parse_from_generations() -> None:
    assert normalise_label(" Technical-Issue ") == "technical_issue"
    assert parse_label("\n billing\nextra text") == "billing"
    assert parse_label("") == ""


def test_settings_reject_unknown_and_duplicate_tasks() -> None:
    with pytest.raises(ValidationError, match="duplicates"):
        FormatSettings(tasks=["classify", "classify"])
    with pytest.raises(ValidationError):
        FormatSettings(tasks=["summarise"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="missing columns"):
        build_instruction_examples(pd.DataFrame({"text": ["x"]}))
