import json

import pandas as pd
import pytest
from pydantic import ValidationError

from finetune_platform.formats.conversations import (
    CONVERSATION_COLUMNS,
    ConversationSettings,
    InvalidMessagesError,
    build_conversation_examples,
    build_conversations,
    parse_messages,
)
from finetune_platform.schemas import DROPPED_COLUMNS, RECORD_COLUMNS


def _record(row: int, text: str = "", response: str = "", label: str = "", messages: list | str = "") -> dict:
    return {
        "record_id": f"chats/chats.jsonl#{row}",
        "source": "chats",
        "source_file": "chats.jsonl",
        "source_row": row,
        "doc_type": "chat" if messages else "ticket",
        "text": text,
        "response": response,
        "label": label,
        "messages": messages if isinstance(messages, str) else json.dumps(messages),
    }


def _frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=RECORD_COLUMNS)


def _messages(examples: pd.DataFrame, i: int = 0) -> list[dict]:
    return json.loads(examples.iloc[i]["messages"])


U = lambda c: {"role": "user", "content": c}  # noqa: E731
A = lambda c: {"role": "assistant", "content": c}  # noqa: E731
S = lambda c: {"role": "system", "content": c}  # noqa: E731


def test_ticket_becomes_one_exchange_and_chat_keeps_its_turns() -> None:
    records = _frame(
        _record(1, "Card charged twice.", "Refunded the duplicate.", "Billing"),
        _record(2, messages=[U("Hi, parcel late"), A("Sorry! Which order?"), U("ORD-7"), A("It ships today.")]),
    )
    examples = build_conversation_examples(records)
    assert list(examples.columns) == CONVERSATION_COLUMNS
    assert examples["example_id"].tolist() == ["chats/chats.jsonl#1::chat", "chats/chats.jsonl#2::chat"]
    assert _messages(examples, 0) == [U("Card charged twice."), A("Refunded the duplicate.")]
    assert examples.iloc[0]["label"] == "billing"
    assert [m["content"] for m in _messages(examples, 1)] == [
        "Hi, parcel late",
        "Sorry! Which order?",
        "ORD-7",
        "It ships today.",
    ]


def test_records_without_an_assistant_turn_are_skipped_with_a_reason() -> None:
    records = _frame(
        _record(1, "No reply yet.", ""),
        _record(2, messages=[U("Anyone there?")]),
        _record(3, messages=[A("Hello, how can I help?")]),
        _record(4, messages="[not json"),
        _record(5, "Fine", "Good."),
    )
    result = build_conversations(records)
    assert result.examples["record_id"].tolist() == ["chats/chats.jsonl#5"]
    assert list(result.skipped.columns) == DROPPED_COLUMNS
    assert result.skipped["reason"].tolist() == [
        "no_assistant_turn",
        "no_assistant_turn",
        "no_user_turn",
        "invalid_messages",
    ]
    details = result.skipped["detail"].tolist()
    assert details[0] == "the record has no response"
    assert details[1] == "after cleaning the conversation holds nothing (source roles: user)"
    assert "not valid JSON" in details[3]
    assert result.stats["records"] == result.stats["examples"] + result.stats["skipped"] == 5
    assert result.stats["skipped_by_reason"] == {"invalid_messages": 1, "no_assistant_turn": 2, "no_user_turn": 1}


def test_system_prompt_from_settings_replaces_the_sources() -> None:
    records = _frame(_record(1, messages=[S("internal agent notes"), U("Hi"), A("Hello")]), _record(2, "Q", "A."))
    settings = ConversationSettings(system_message="settings", system_prompt="You are a support agent.")
    examples = build_conversation_examples(records, settings)
    assert _messages(examples, 0) == [S("You are a support agent."), U("Hi"), A("Hello")]
    assert _messages(examples, 1)[0] == S("You are a support agent.")


def test_source_system_messages_are_merged_first_or_dropped() -> None:
    records = _frame(
        _record(1, messages=[S("Be brief."), U("Hi"), {"role": "developer", "content": "Use English."}, A("Hello")])
    )
    kept = _messages(build_conversation_examples(records))
    assert kept == [S("Be brief.\n\nUse English."), U("Hi"), A("Hello")]
    dropped = _messages(build_conversation_examples(records, ConversationSettings(system_message="none")))
    assert dropped == [U("Hi"), A("Hello")]


def test_turns_are_cleaned_for_strict_chat_templates() -> None:
    records = _frame(
        _record(
            1,
            messages=[
                A("Welcome to support!"),
                U("My order"),
                U("is late"),
                {"role": "tool", "content": '{"status": "late"}'},
                A(""),
                A("It ships today."),
                U("thanks, bye"),
            ],
        )
    )
    result = build_conversations(records)
    assert _messages(result.examples) == [U("My order\n\nis late"), A("It ships today.")]
    stats = result.stats
    assert (stats["dropped_leading_assistant"], stats["merged_messages"], stats["dropped_tool_messages"]) == (1, 1, 1)
    assert (stats["dropped_empty_messages"], stats["dropped_trailing_user"]) == (1, 1)

    raw = ConversationSettings(
        drop_leading_assistant_turns=False, merge_consecutive_turns=False, drop_trailing_user_turn=False
    )
    roles = [m["role"] for m in _messages(build_conversation_examples(records, raw))]
    assert roles == ["assistant", "user", "user", "assistant", "user"]


def test_max_turns_keeps_the_first_turns_and_ends_on_the_assistant() -> None:
    turns = [U("q1"), A("a1"), U("q2"), A("a2"), U("q3"), A("a3")]
    records = _frame(_record(1, messages=turns))
    result = build_conversations(records, ConversationSettings(max_turns=3))
    # the third turn (q2) is a user turn without its answer, so it is dropped too
    assert _messages(result.examples) == [U("q1"), A("a1")]
    assert result.stats["truncated"] == 1
    assert _messages(build_conversation_examples(records, ConversationSettings(max_turns=4)))[-1] == A("a2")


def test_unknown_role_skips_the_record() -> None:
    result = build_conversations(_frame(_record(1, messages=[{"role": "customer", "content": "Hi"}, A("Hello")])))
    assert len(result.examples) == 0
    assert result.skipped.iloc[0]["reason"] == "invalid_messages"
    assert "'customer'" in result.skipped.iloc[0]["detail"]


def test_parse_messages_names_the_bad_message() -> None:
    assert parse_messages("") == []
    assert parse_messages(json.dumps([U("x")])) == [U("x")]
    with pytest.raises(InvalidMessagesError, match=r"messages\[1\] needs string 'role' and 'content'"):
        parse_messages(json.dumps([U("x"), {"role": "assistant", "content": None}]))
    with pytest.raises(InvalidMessagesError, match="expected a list"):
        parse_messages('{"role": "user"}')


def test_settings_reject_a_system_prompt_that_would_be_ignored_or_missing() -> None:
    with pytest.raises(ValidationError, match="would be ignored"):
        ConversationSettings(system_prompt="Be nice.")
    with pytest.raises(ValidationError, match="needs a non-empty system_prompt"):
        ConversationSettings(system_message="settings")
    with pytest.raises(ValidationError):
        ConversationSettings(max_turns=0)


def test_missing_record_columns_are_named() -> None:
    with pytest.raises(ValueError, match=r"missing columns \['messages'\]"):
        build_conversations(_frame(_record(1, "a", "b")).drop(columns=["messages"]))


def test_empty_records_give_empty_typed_frames() -> None:
    result = build_conversations(pd.DataFrame(columns=RECORD_COLUMNS))
    assert list(result.examples.columns) == CONVERSATION_COLUMNS and len(result.examples) == 0
    assert result.stats["examples"] == 0 and result.stats["turns_max"] == 0
