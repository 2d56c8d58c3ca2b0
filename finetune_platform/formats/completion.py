"""Curated records -> plain documents for continued pretraining (domain adaptation).

Before a base model learns the platform's tasks it can read the domain's own language: tickets, replies
and whole conversations as ordinary text, trained with the plain causal-LM loss (TRL's ``text`` column).
No task markers and no chat template: those belong to SFT.

A ticket becomes the ticket text followed by the agent's reply; a chat record becomes its turns in order.
With ``speaker_labels`` every turn is prefixed by who spoke ("Customer: ...", "Agent: ..."), which keeps
the conversation's structure readable to the model. Identical documents (templated auto-replies, repeated
tickets) are kept once, since repeating a document only makes the model memorise it.

Leakage: pretraining on validation or test tickets lets the model see evaluation data before it is
evaluated. Pass only the records of the training split (or records that never enter evaluation).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from finetune_platform.formats.conversations import InvalidMessagesError, Message, parse_messages
from finetune_platform.ingest.readers import untrained
from finetune_platform.schemas import DROPPED_COLUMNS, RECORD_COLUMNS

#: ``completion_corpus``: one plain document per kept record; doc_id is ``"{record_id}::doc"``.
COMPLETION_COLUMNS: list[str] = ["doc_id", "record_id", "source", "text"]

#: ``stage`` value of the rows in ``CompletionResult.skipped``.
STAGE = "format_completion"


class CompletionSettings(BaseModel):
    """What goes into each document and which documents are kept. Flat, for a Dagster config."""

    include_response: bool = Field(
        True, description="Include the agent's side (reply, assistant turns); False keeps the customer's side only."
    )
    include_system: bool = Field(
        False, description="Include system/developer messages of chat records (usually prompts, not domain text)."
    )
    speaker_labels: bool = Field(
        True, description="Prefix each turn with its speaker (user_label / assistant_label) and end it with a newline."
    )
    user_label: str = Field("Customer", min_length=1, max_length=40, description="Speaker label of user turns.")
    assistant_label: str = Field("Agent", min_length=1, max_length=40, description="Speaker label of assistant turns.")
    min_chars: int = Field(
        20,
        ge=0,
        le=100_000,
        description="Documents with fewer characters of content (speaker labels not counted) are skipped (too_short).",
    )
    dedup: Literal["none", "exact", "normalized"] = Field(
        "normalized",
        description="Drop repeated documents: 'exact' compares the text as is, 'normalized' ignores case and "
        "whitespace differences, 'none' keeps every document.",
    )


@dataclass
class CompletionResult:
    """What :func:`build_completion_documents` made.

    documents: ``COMPLETION_COLUMNS``; skipped: one ``schemas.DROPPED_COLUMNS`` row per record without a
    document (reasons ``invalid_messages``, ``too_short``, ``duplicate``); stats: numbers for metadata.
    """

    documents: pd.DataFrame
    skipped: pd.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)


def _turns(record: Any) -> list[Message]:
    messages = parse_messages(str(record.messages))
    if messages:
        return messages
    return [{"role": "user", "content": str(record.text)}, {"role": "assistant", "content": str(record.response)}]


def render_document(turns: list[Message], settings: CompletionSettings) -> str:
    """The plain text of one conversation: kept turns in order, blank turns, tool messages and replies with
    weight 0 (not to be trained on) left out."""
    return _render(turns, settings)[0]


def _render(turns: list[Message], settings: CompletionSettings) -> tuple[str, int]:
    """The document and how many characters of it are content (speaker labels and separators excluded)."""
    labels = {"user": settings.user_label, "assistant": settings.assistant_label}
    parts: list[str] = []
    content_chars = 0
    for turn in turns:
        role, content = turn["role"], turn["content"].strip()
        if role not in ("system", "developer", "user", "assistant", "tool"):
            raise InvalidMessagesError(f"role {role!r} is not one of system, developer, user, assistant, tool")
        if not content or role == "tool":
            continue
        if role in ("system", "developer") and not settings.include_system:
            continue
        if role == "assistant" and (not settings.include_response or untrained(turn)):
            continue  # a reply with weight 0 is not to be trained on, in pretraining either
        content_chars += len(content)
        parts.append(f"{labels.get(role, 'System')}: {content}" if settings.speaker_labels else content)
    return ("\n" if settings.speaker_labels else "\n\n").join(parts), content_chars


def _dedup_key(text: str, mode: str) -> str:
    if mode == "normalized":
        text = " ".join(text.casefold().split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_completion_documents(records: pd.DataFrame, settings: CompletionSettings | None = None) -> CompletionResult:
    """One document per record, in record order; the first of identical documents is the one kept."""
    settings = settings or CompletionSettings()
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"records are missing columns {missing}; expected {RECORD_COLUMNS}")
    rows: list[dict[str, str]] = []
    skipped: list[dict[str, str]] = []
    first_by_key: dict[str, str] = {}
    for rec in records.itertuples(index=False):
        try:
            text, content_chars = _render(_turns(rec), settings)
        except InvalidMessagesError as error:
            skipped.append(
                {"record_id": rec.record_id, "stage": STAGE, "reason": "invalid_messages", "detail": str(error)}
            )
            continue
        if content_chars < settings.min_chars:
            skipped.append(
                {
                    "record_id": rec.record_id,
                    "stage": STAGE,
                    "reason": "too_short",
                    "detail": f"document has {content_chars} characters of content, "
                    f"under min_chars={settings.min_chars}",
                }
            )
            continue
        if settings.dedup != "none":
            key = _dedup_key(text, settings.dedup)
            if key in first_by_key:
                skipped.append(
                    {
                        "record_id": rec.record_id,
                        "stage": STAGE,
                        "reason": "duplicate",
                        "detail": f"same document as {first_by_key[key]} ({settings.dedup} comparison)",
                    }
                )
                continue
            first_by_key[key] = rec.record_id
        rows.append({"doc_id": f"{rec.record_id}::doc", "record_id": rec.record_id, "source": rec.source, "text": text})
    documents = pd.DataFrame(rows, columns=COMPLETION_COLUMNS)
    skipped_df = pd.DataFrame(skipped, columns=DROPPED_COLUMNS)
    lengths = documents["text"].str.len() if len(documents) else pd.Series(dtype=int)
    stats: dict[str, Any] = {
        "records": int(len(records)),
        "documents": int(len(documents)),
        "skipped": int(len(skipped_df)),
        "skipped_by_reason": {k: int(v) for k, v in sorted(Counter(s["reason"] for s in skipped).items())},
        "chars_total": int(lengths.sum()),
        "chars_mean": round(float(lengths.mean()), 1) if len(lengths) else 0.0,
        "chars_max": int(lengths.max()) if len(lengths) else 0,
        "documents_per_source": {k: int(v) for k, v in documents["source"].value_counts().sort_index().items()},
    }
    return CompletionResult(documents=documents, skipped=skipped_df, stats=stats)


def build_completion_corpus(records: pd.DataFrame, settings: CompletionSettings | None = None) -> pd.DataFrame:
    """The documents of :func:`build_completion_documents` alone (``COMPLETION_COLUMNS``)."""
    return build_completion_documents(records, settings).documents
