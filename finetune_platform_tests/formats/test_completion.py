import json

import pandas as pd
import pytest
from pydantic import ValidationError

from finetune_platform.formats.completion import (
    COMPLETION_COLUMNS,
    CompletionSettings,
    build_completion_corpus,
    build_completion_documents,
)
from finetune_platform.schemas import DROPPED_COLUMNS, RECORD_COLUMNS


def _record(row: int, text: str = "", response: str = "", messages: list | str = "", source: str = "mail") -> dict:
    return {
        "record_id": f"{source}/inbox.jsonl#{row}",
        "source": source,
        "source_file": "inbox.jsonl",
        "source_row": row,
        "doc_type": "chat" if messages else "email",
        "text": text,
        "response": response,
        "label": "",
        "messages": messages if isinstance(messages, str) else json.dumps(messages),
    }


def _frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=RECORD_COLUMNS)


CHAT = [
    {"role": "system", "content": "You are the support bot."},
    {"role": "assistant", "content": "Hi! How can I help?"},
    {"role": "user", "content": "My parcel is late."},
    {"role": "tool", "content": '{"eta": "today"}'},
    {"role": "assistant", "content": "It arrives today."},
]


def test_ticket_and_conversation_become_labelled_plain_text() -> None:
    records = _frame(_record(1, "The invoice total is wrong.", "I corrected the invoice."), _record(2, messages=CHAT))
    docs = build_completion_corpus(records)
    assert list(docs.columns) == COMPLETION_COLUMNS
    assert docs["doc_id"].tolist() == ["mail/inbox.jsonl#1::doc", "mail/inbox.jsonl#2::doc"]
    assert docs.iloc[0]["text"] == "Customer: The invoice total is wrong.\nAgent: I corrected the invoice."
    # system prompt and tool output are not domain text; the agent greeting is
    assert docs.iloc[1]["text"] == "Agent: Hi! How can I help?\nCustomer: My parcel is late.\nAgent: It arrives today."


def test_settings_choose_what_each_document_holds() -> None:
    records = _frame(_record(1, messages=CHAT))
    plain = build_completion_corpus(
        records, CompletionSettings(speaker_labels=False, include_response=False, min_chars=0)
    )
    assert plain.iloc[0]["text"] == "My parcel is late."
    with_system = build_completion_corpus(
        records, CompletionSettings(include_system=True, user_label="User", assistant_label="Bot")
    )
    assert with_system.iloc[0]["text"].splitlines()[:2] == [
        "System: You are the support bot.",
        "Bot: Hi! How can I help?",
    ]
    no_labels = build_completion_corpus(
        _frame(_record(1, "Question here?", "Answer here.")), CompletionSettings(speaker_labels=False)
    )
    assert no_labels.iloc[0]["text"] == "Question here?\n\nAnswer here."


def test_identical_documents_are_kept_once_and_reported() -> None:
    records = _frame(
        _record(1, "Reset my password please", "Done, check your email."),
        _record(2, "reset my   PASSWORD please", "Done, check your email."),
        _record(3, "Reset my password please", "Done, check your email."),
        _record(4, "ok", "ok"),
        _record(5, messages="{broken"),
    )
    result = build_completion_documents(records)
    assert result.documents["record_id"].tolist() == ["mail/inbox.jsonl#1"]
    assert list(result.skipped.columns) == DROPPED_COLUMNS
    assert result.skipped["reason"].tolist() == ["duplicate", "duplicate", "too_short", "invalid_messages"]
    assert result.skipped.iloc[0]["detail"] == "same document as mail/inbox.jsonl#1 (normalized comparison)"
    # "Customer: ok\nAgent: ok" is 22 characters, but only 4 of them are content
    assert result.skipped.iloc[2]["detail"] == "document has 4 characters of content, under min_chars=20"
    assert result.stats["skipped_by_reason"] == {"duplicate": 2, "invalid_messages": 1, "too_short": 1}
    assert result.stats["records"] == result.stats["documents"] + result.stats["skipped"]

    exact = build_completion_documents(records, CompletionSettings(dedup="exact"))
    assert exact.documents["record_id"].tolist() == ["mail/inbox.jsonl#1", "mail/inbox.jsonl#2"]
    every = build_completion_documents(records, CompletionSettings(dedup="none", min_chars=0))
    assert len(every.documents) == 4


def test_stats_count_characters_and_sources() -> None:
    records = _frame(
        _record(1, "First ticket text", "First answer"),
        _record(2, "Second ticket text", "Second answer", source="chat"),
    )
    stats = build_completion_documents(records).stats
    docs = build_completion_corpus(records)
    assert stats["chars_total"] == sum(len(t) for t in docs["text"])
    assert stats["chars_max"] == max(len(t) for t in docs["text"])
    assert stats["documents_per_source"] == {"chat": 1, "mail": 1}


def test_settings_bounds_and_choices() -> None:
    with pytest.raises(ValidationError):
        CompletionSettings(dedup="fuzzy")
    with pytest.raises(ValidationError):
        CompletionSettings(user_label="")
    with pytest.raises(ValueError, match=r"missing columns \['response'\]"):
        build_completion_corpus(_frame(_record(1, "a", "b")).drop(columns=["response"]))


def test_a_reply_with_weight_0_is_left_out_of_the_document() -> None:
    chat = [{"role": "user", "content": "My parcel is late, where is it?"},
            {"role": "assistant", "content": "Dunno, not my problem.", "weight": 0},
            {"role": "user", "content": "Please check order 123."},
            {"role": "assistant", "content": "Order 123 arrives today, sorry for the wait."}]
    result = build_completion_documents(_frame(_record(1, messages=chat)), CompletionSettings(min_chars=1))
    text = result.documents.iloc[0]["text"]
    assert "Dunno" not in text and "Order 123 arrives today" in text and "Please check order 123." in text
