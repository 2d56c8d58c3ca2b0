"""Chat perplexity: held-out conversations' assistant replies, scored given the history as the server renders it."""

from __future__ import annotations

import json
import math

import pytest

from finetune_platform.evaluation.generation import load_causal_lm
from finetune_platform.evaluation.metrics import perplexity
from finetune_platform.evaluation.report import (
    EvalSettings,
    ModelScores,
    build_report,
    chat_perplexity,
    gate,
    report_markdown,
)
from finetune_platform.formats.templates import render_chat_prompt
from finetune_platform.training.tiny_model import build_tiny_model
from finetune_platform_tests.training.tiny_data import TINY, conversations, corpus


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return load_causal_lm(build_tiny_model(corpus(), TINY, tmp_path_factory.mktemp("tiny")).path)


def test_every_reply_is_scored_given_the_history_the_server_would_send(tiny) -> None:
    model, tokenizer = tiny
    held_out = conversations(6, seed=3)  # 3 two-exchange transcripts (2 replies each) and 3 one-exchange: 9
    value, n = chat_perplexity(model, tokenizer, held_out, max_examples=100)
    assert n == 9 and math.isfinite(value) and value > 1.0
    prompts, replies = [], []
    for row in held_out.sort_values("example_id").itertuples():
        messages = json.loads(row.messages)
        for k, message in enumerate(messages):
            if message["role"] == "assistant":
                prompts.append(render_chat_prompt(tokenizer, messages[:k]))
                replies.append(message["content"])
    assert value == pytest.approx(perplexity(model, tokenizer, prompts, replies))


def test_the_first_replies_by_id_are_scored_up_to_the_limit(tiny) -> None:
    model, tokenizer = tiny
    held_out = conversations(6, seed=3)
    _, n = chat_perplexity(model, tokenizer, held_out, max_examples=4)
    assert n == 4
    first = held_out.sort_values("example_id").head(2)  # a two-exchange and a one-exchange transcript: 3 replies
    assert chat_perplexity(model, tokenizer, held_out, max_examples=3)[0] == pytest.approx(
        chat_perplexity(model, tokenizer, first, max_examples=100)[0]
    )


def test_without_a_chat_template_or_conversations_it_is_not_defined(tiny) -> None:
    model, tokenizer = tiny
    value, n = chat_perplexity(model, tokenizer, conversations(0), 100)
    assert math.isnan(value) and n == 0
    template, tokenizer.chat_template = tokenizer.chat_template, None
    try:
        value, n = chat_perplexity(model, tokenizer, conversations(4), 100)
    finally:
        tokenizer.chat_template = template
    assert math.isnan(value) and n == 0


def test_the_report_shows_chat_perplexity_only_where_it_was_measured() -> None:
    def scores(name: str, **kw) -> ModelScores:
        return ModelScores(name=name, accuracy=0.5, perplexity=3.0, n_classify=50, n_perplexity=50, seconds=1.0, **kw)

    base, candidate = scores("base"), scores("candidate", chat_perplexity=4.25, n_chat=9)
    table = report_markdown(build_report({"base": base, "candidate": candidate}, gate(base, candidate, EvalSettings())))
    header, _, base_row, candidate_row = table.splitlines()[:4]
    column = [c.strip() for c in header.split("|")].index("chat perplexity")
    assert [c.strip() for c in base_row.split("|")][column] == "-"
    assert [c.strip() for c in candidate_row.split("|")][column] == "4.25"
