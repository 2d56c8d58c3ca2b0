"""Ticket -> instruction pairs for the platform's two tasks.

- ``classify``: the ticket text in, its category out.
- ``reply``: the ticket text in, the agent's reply out.

The prompt templates are plain text markers rather than a chat template so that the same examples train
any causal LM, including the platform's tiny model; `parse_label` is the inverse used at evaluation time.
"""

from __future__ import annotations

import re
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field, model_validator

from finetune_platform.schemas import EXAMPLE_COLUMNS, RECORD_COLUMNS

Task = Literal["classify", "reply"]

PROMPT_TEMPLATES: dict[str, str] = {
    "classify": "### Task: classify\n### Ticket:\n{text}\n### Category:\n",
    "reply": "### Task: reply\n### Ticket:\n{text}\n### Reply:\n",
}


class FormatSettings(BaseModel):
    """Which tasks to build and how long a prompt may be."""

    tasks: list[str] = Field(
        default_factory=lambda: ["classify", "reply"],
        description="Tasks to build examples for: any of 'classify', 'reply'.",
    )
    max_ticket_chars: int = Field(
        600, ge=32, le=20_000, description="Ticket text is cut to this many characters (at a word boundary)."
    )
    max_reply_chars: int = Field(
        400, ge=16, le=20_000, description="Reply completions are cut to this many characters (at a sentence or word boundary)."
    )

    @model_validator(mode="after")
    def _tasks_known_and_unique(self) -> "FormatSettings":
        if not self.tasks:
            raise ValueError("tasks must name at least one of: classify, reply")
        unknown = sorted(set(self.tasks) - set(PROMPT_TEMPLATES))
        if unknown:
            raise ValueError(f"unknown tasks {unknown}; choose from {sorted(PROMPT_TEMPLATES)}")
        if len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"tasks has duplicates: {self.tasks}")
        return self


#: The longest prompt and completion the training-set expectations accept with the default format settings.
DEFAULT_MAX_PROMPT_CHARS = 4_000
DEFAULT_MAX_COMPLETION_CHARS = 2_000


def example_char_limits(settings: FormatSettings) -> tuple[int, int]:
    """The longest prompt and completion :func:`build_instruction_examples` can make with ``settings`` (the
    ticket cut plus the longest template; the reply cut), at least the expectations' defaults: what the
    training-set gate allows, so any settings the format stage accepts pass it."""
    template = max(len(t.format(text="")) for t in PROMPT_TEMPLATES.values())
    return (
        max(DEFAULT_MAX_PROMPT_CHARS, settings.max_ticket_chars + template),
        max(DEFAULT_MAX_COMPLETION_CHARS, settings.max_reply_chars),
    )


def _cut(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, preferring a sentence end, then a word boundary."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[:limit]
    sentence_end = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    if sentence_end >= limit // 2:
        return head[: sentence_end + 1]
    space = head.rfind(" ")
    return head[:space] if space > 0 else head


def normalise_label(label: str) -> str:
    """Canonical form of a category: lower case, words joined by underscores."""
    return "_".join(str(label).strip().lower().replace("-", " ").split())


def parse_label(generated: str) -> str:
    """The predicted category in a generation: its first non-empty line, normalised."""
    for line in str(generated).splitlines():
        if line.strip():
            return normalise_label(line)
    return ""


def build_instruction_examples(records: pd.DataFrame, settings: FormatSettings | None = None) -> pd.DataFrame:
    """One example per (record, task) that the record supports.

    ``classify`` needs a label and ``reply`` needs a response; records without them are skipped for that
    task only (counts are reported by :func:`format_stats`).
    """
    settings = settings or FormatSettings()
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"records are missing columns {missing}; expected {RECORD_COLUMNS}")
    rows: list[dict[str, str]] = []
    for rec in records.itertuples(index=False):
        text = _cut(str(rec.text), settings.max_ticket_chars)
        label = normalise_label(rec.label) if str(rec.label).strip() else ""
        for task in settings.tasks:
            if task == "classify":
                if not label:
                    continue
                completion = label
            else:
                completion = _cut(str(rec.response), settings.max_reply_chars)
                if not completion:
                    continue
            rows.append(
                {
                    "example_id": f"{rec.record_id}::{task}",
                    "record_id": rec.record_id,
                    "task": task,
                    "prompt": PROMPT_TEMPLATES[task].format(text=text),
                    "completion": completion,
                    "label": label,
                    "source": rec.source,
                }
            )
    return pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)


def format_stats(records: pd.DataFrame, examples: pd.DataFrame) -> dict[str, object]:
    """Counts for metadata: examples per task and records that could not feed a task."""
    per_task = examples["task"].value_counts().to_dict() if len(examples) else {}
    return {
        "records": int(len(records)),
        "examples": int(len(examples)),
        "examples_per_task": {k: int(v) for k, v in per_task.items()},
        # as build_instruction_examples reads labels: one that normalises to nothing ("-", "--") is no label
        "records_without_label": int((records["label"].fillna("").astype(str).map(normalise_label) == "").sum()),
        "records_without_response": int((records["response"].astype(str).str.strip() == "").sum()),
        "labels": sorted(examples.loc[examples["task"] == "classify", "label"].unique().tolist())
        if len(examples)
        else [],
    }


#: The instruction template's ticket marker and the marker after the ticket, in any case and spacing (a
#: prompt edited by hand, or upper-cased, still shows its ticket).
_TICKET_START = re.compile(r"###[ \t]*ticket:[ \t]*\r?\n", re.IGNORECASE)
_SECTION_START = re.compile(r"\r?\n[ \t]*###")


def ticket_from_prompt(prompt: str) -> str:
    """The ticket text inside a prompt built by :func:`build_instruction_examples` (inverse of the template):
    what follows the ``### Ticket:`` line, up to the last ``###`` line after it. The markers are found in any
    case and spacing, so a prompt a client typed by hand (``### ticket:``) gives its ticket too. A prompt
    without the marker is returned whole."""
    prompt = str(prompt)
    start = _TICKET_START.search(prompt)
    if start is None:
        return prompt
    body = prompt[start.end():]
    ends = list(_SECTION_START.finditer(body))
    return body[: ends[-1].start()] if ends else body


def pretraining_corpus(examples: pd.DataFrame) -> list[str]:
    """Plain documents (ticket, then the agent's reply) from a split, for causal-LM pretraining.

    The task markers are left out on purpose: pretraining teaches the domain's language, SFT the tasks.
    One document per ticket, in example order, so the corpus (and the cache key built on it) is stable.
    """
    docs: dict[str, list[str]] = {}
    for row in examples.itertuples(index=False):
        parts = docs.setdefault(row.record_id, ["", ""])
        if row.task == "reply":
            parts[1] = str(row.completion)
        if not parts[0]:
            parts[0] = ticket_from_prompt(str(row.prompt))
    return ["\n".join(p for p in parts if p) for parts in docs.values()]
