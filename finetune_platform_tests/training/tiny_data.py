"""Small synthetic support tickets and a tiny-model recipe for fast training tests.

Three categories with distinctive vocabulary, so a few dozen optimizer steps are enough for a model to
move measurably; the model dimensions are the smallest that still exercise every code path.
"""

from __future__ import annotations

import json
import random

import pandas as pd

from finetune_platform.formats.conversations import CONVERSATION_COLUMNS
from finetune_platform.formats.instructions import PROMPT_TEMPLATES
from finetune_platform.schemas import EXAMPLE_COLUMNS
from finetune_platform.training.tiny_model import TinyModelSettings

TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "billing": (
        ["I was charged twice for my invoice", "my card payment failed", "please refund the extra charge"],
        ["I have refunded the duplicate charge.", "Your invoice has been corrected."],
    ),
    "shipping": (
        ["my parcel has not arrived", "the delivery is late again", "where is my package tracking number"],
        ["Your parcel ships tomorrow.", "Here is your tracking number."],
    ),
    "login": (
        ["I cannot log in to my account", "password reset link does not work", "my account is locked"],
        ["I have unlocked your account.", "Use the new reset link we sent."],
    ),
}

#: The smallest recipe that builds in a couple of seconds.
TINY = TinyModelSettings(
    vocab_size=320,
    hidden_size=32,
    num_layers=2,
    num_heads=2,
    intermediate_size=64,
    max_position_embeddings=128,
    pretrain_steps=20,
    batch_size=8,
    seq_len=32,
    learning_rate=3e-3,
    seed=0,
    bf16=False,
)


def tickets(n: int = 60, seed: int = 0) -> list[tuple[str, str, str]]:
    """``n`` (text, label, reply) triples, cycling through the topics."""
    rng = random.Random(seed)
    rows = []
    labels = list(TOPICS)
    for i in range(n):
        label = labels[i % len(labels)]
        asks, replies = TOPICS[label]
        text = f"{rng.choice(['Hi,', 'Hello,', 'Hey team,'])} {rng.choice(asks)}. Order {rng.randint(100, 999)}."
        rows.append((text, label, rng.choice(replies)))
    return rows


def corpus(n: int = 60) -> list[str]:
    """Ticket texts and replies: what the tiny model pretrains on."""
    return [t for text, _, reply in tickets(n) for t in (text, reply)]


def examples(n: int = 60, tasks: tuple[str, ...] = ("classify", "reply"), seed: int = 0) -> pd.DataFrame:
    """Formatted examples (``schemas.EXAMPLE_COLUMNS``) for the given tasks."""
    rows = []
    for i, (text, label, reply) in enumerate(tickets(n, seed)):
        record_id = f"test/tickets.jsonl#{i + 1}"
        for task in tasks:
            rows.append(
                {
                    "example_id": f"{record_id}::{task}",
                    "record_id": record_id,
                    "task": task,
                    "prompt": PROMPT_TEMPLATES[task].format(text=text),
                    "completion": label if task == "classify" else reply,
                    "label": label,
                    "source": "test",
                }
            )
    return pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)


def transcript(i: int, text: str, reply: str) -> list[dict[str, str]]:
    """Ticket ``i`` as a chat: even ones have two exchanges (the agent asks for the order, the customer
    gives it, the agent answers), odd ones one."""
    messages = [{"role": "user", "content": text}]
    if i % 2 == 0:
        messages += [
            {"role": "assistant", "content": "Sorry to hear that. Which order is it?"},
            {"role": "user", "content": f"Order {100 + i}."},
        ]
    messages.append({"role": "assistant", "content": reply})
    return messages


def conversations(n: int = 12, seed: int = 0) -> pd.DataFrame:
    """Chat transcripts of the tickets (``CONVERSATION_COLUMNS``): every other one has two exchanges (the
    agent asks for the order, the customer gives it, the agent answers), the rest one."""
    rows = []
    for i, (text, label, reply) in enumerate(tickets(n, seed)):
        record_id = f"test/tickets.jsonl#{i + 1}"
        messages = transcript(i, text, reply)
        rows.append(
            {
                "example_id": f"{record_id}::chat",
                "record_id": record_id,
                "source": "test",
                "label": label,
                "messages": json.dumps(messages),
            }
        )
    return pd.DataFrame(rows, columns=CONVERSATION_COLUMNS)
