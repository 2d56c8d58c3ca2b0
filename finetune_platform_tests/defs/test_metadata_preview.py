"""The Markdown previews every asset publishes: ids built from a file name never show PII the name holds."""

from __future__ import annotations

import pandas as pd

from finetune_platform.defs.metadata import preview


def test_ids_built_from_a_file_named_with_pii_are_shown_redacted_in_every_preview() -> None:
    df = pd.DataFrame(
        {
            "record_id": ["t/export jane.doe@example.com.jsonl#3", "chat/tickets.jsonl#1"],
            "example_id": ["t/calls_+447911123456.csv#2::classify", "chat/tickets.jsonl#1::reply"],
            "text": ["Card 4111 1111 1111 1111 declined", "Where is my parcel?"],
        }
    )
    shown = preview(df, ["record_id", "example_id", "text"]).value  # redact=False: text cells as they are
    assert "jane.doe@example.com" not in shown and "<EMAIL_1>" in shown
    assert "447911123456" not in shown and "<PHONE_1>" in shown
    assert "chat/tickets.jsonl#1" in shown and "chat/tickets.jsonl#1::reply" in shown  # ordinary ids kept
    assert "4111 1111 1111 1111" in shown  # only ids are redacted unless asked: later stages' text is redacted
    assert "4111 1111 1111 1111" not in preview(df, ["text"], redact=True).value
