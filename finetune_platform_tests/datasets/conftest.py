"""Synthetic tickets and instruction examples for the dataset tests (no files, no models)."""

from __future__ import annotations

import pandas as pd
import pytest

from finetune_platform.schemas import EXAMPLE_COLUMNS, RECORD_COLUMNS

LABELS = {"billing": 60, "login": 30, "shipping": 9, "refund": 1}


def build_records(label_sizes: dict[str, int] = LABELS, sources: tuple[str, ...] = ("email", "chat")) -> pd.DataFrame:
    """One ticket per row; labels in the given sizes, sources alternating, every text distinct."""
    rows = []
    n = 0
    for label, size in label_sizes.items():
        for i in range(size):
            source = sources[n % len(sources)]
            rows.append(
                {
                    "record_id": f"{source}/tickets.jsonl#{n + 1}",
                    "source": source,
                    "source_file": "tickets.jsonl",
                    "source_row": n + 1,
                    "doc_type": "chat",
                    "text": f"ticket number {n} about {label} case {i}",
                    "response": f"reply to ticket {n}",
                    "label": label,
                    "messages": "",
                }
            )
            n += 1
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)


def build_examples(records: pd.DataFrame) -> pd.DataFrame:
    """Two examples (classify, reply) per ticket, like formats.instructions builds them."""
    rows = []
    for rec in records.itertuples(index=False):
        for task, completion in (("classify", rec.label), ("reply", rec.response)):
            rows.append(
                {
                    "example_id": f"{rec.record_id}::{task}",
                    "record_id": rec.record_id,
                    "task": task,
                    "prompt": f"### Task: {task}\n### Ticket:\n{rec.text}\n",
                    "completion": completion,
                    "label": rec.label,
                    "source": rec.source,
                }
            )
    return pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)


@pytest.fixture
def records() -> pd.DataFrame:
    return build_records()


@pytest.fixture
def examples(records: pd.DataFrame) -> pd.DataFrame:
    return build_examples(records)
