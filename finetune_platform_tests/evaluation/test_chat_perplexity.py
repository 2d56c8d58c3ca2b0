"""Chat perplexity: held-out conversations' assistant replies, scored given the history as the server renders it."""

from __future__ import annotations

import copy
import json
import math

import pytest

from finetune_platform.evaluation.generation import load_causal_lm
from finetune_platform.evaluation.metrics import perplexity
from finetune_platform.evaluation.report import (
    EvalSettings,
    ModelScores,
    align_chat_perplexity,
    build_report,
    chat_perplexity,
    gate,
    report_markdown,
    score_model,
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


def test_models_whose_templates_refuse_different_conversations_are_compared_on_the_replies_all_rendered(tiny) -> None:
    model, tokenizer = tiny
    held_out = conversations(6, seed=3)  # 3 two-exchange transcripts (4 messages), 3 one-exchange (2)
    strict = copy.deepcopy(tokenizer)  # another model's template: refuses conversations of over 2 messages
    strict.chat_template = (
        "{% if messages|length > 2 %}{{ raise_exception('only one exchange') }}{% endif %}" + tokenizer.chat_template
    )
    untemplated = copy.deepcopy(tokenizer)
    untemplated.chat_template = None

    def scored(name: str, tok) -> ModelScores:
        return score_model(name, model, tok, _classify(), _classify(), 8, conversations=held_out, max_chat_examples=100)

    scores = {"base": scored("base", untemplated), "candidate": scored("candidate", tokenizer),
              "champion": scored("champion", strict)}
    assert (scores["candidate"].n_chat, scores["champion"].n_chat) == (9, 3)  # each on its own replies first
    compared = align_chat_perplexity(scores)
    assert compared == {"shared_replies": 3, "scored_per_model": {"candidate": 9, "champion": 3}}
    one_exchange = held_out[held_out["messages"].map(lambda m: len(json.loads(m)) == 2)]
    assert len(one_exchange) == 3
    for name, tok in (("candidate", tokenizer), ("champion", strict)):
        assert scores[name].n_chat == 3
        assert scores[name].chat_perplexity == pytest.approx(chat_perplexity(model, tok, one_exchange, 100)[0])
    assert math.isnan(scores["base"].chat_perplexity) and scores["base"].n_chat == 0  # no template: not defined
    report = build_report(scores, gate(scores["base"], scores["candidate"], EvalSettings()))
    assert "chat_nll" not in report["models"]["candidate"]  # the per-reply numbers stay out of the JSON report
    report["chat_perplexity_compared"] = compared
    assert "on the 3 held-out chat replies that every model with a chat template rendered" in report_markdown(report)


def test_no_shared_reply_leaves_chat_perplexity_undefined_for_all() -> None:
    def scores(name: str, nll: dict) -> ModelScores:
        return ModelScores(name=name, accuracy=0.5, perplexity=3.0, n_classify=50, n_perplexity=50, seconds=1.0,
                           chat_perplexity=2.0, n_chat=len(nll), chat_nll=nll)

    a, b = scores("a", {"x::turn1": (2.0, 4)}), scores("b", {"y::turn1": (3.0, 4)})
    assert align_chat_perplexity({"a": a, "b": b}) == {"shared_replies": 0, "scored_per_model": {"a": 1, "b": 1}}
    assert math.isnan(a.chat_perplexity) and math.isnan(b.chat_perplexity) and a.n_chat == b.n_chat == 0


def _classify():
    """Two classify examples: score_model needs some; these tests read only its chat numbers."""
    import pandas as pd

    return pd.DataFrame({"example_id": ["e1", "e2"], "task": ["classify"] * 2, "prompt": ["Ticket: a\n", "Ticket: b\n"],
                         "completion": ["billing", "shipping"], "label": ["billing", "shipping"]})


def test_every_model_draws_its_replies_from_the_same_first_ones(tiny) -> None:
    """The first N replies are chosen whatever the template: a template refusing an early conversation
    scores fewer of them, not later ones the other model never scored."""
    from finetune_platform.formats.conversations import conversation_sft_pairs, reply_ids

    model, tokenizer = tiny
    held_out = conversations(6, seed=3)
    every = reply_ids(held_out)
    assert every == sorted(conversation_sft_pairs(held_out, tokenizer)[0]["example_id"])  # all rendered: the same
    strict = copy.deepcopy(tokenizer)
    strict.chat_template = (
        "{% if messages|length > 2 %}{{ raise_exception('only one exchange') }}{% endif %}" + tokenizer.chat_template
    )
    candidate = score_model("candidate", model, tokenizer, _classify(), _classify(), 8, conversations=held_out,
                            max_chat_examples=4)
    champion = score_model("champion", model, strict, _classify(), _classify(), 8, conversations=held_out,
                           max_chat_examples=4)
    assert set(candidate.chat_nll) == set(every[:4])
    assert set(champion.chat_nll) < set(every[:4]) and champion.chat_nll  # only the one-exchange ones among them
    compared = align_chat_perplexity({"candidate": candidate, "champion": champion})
    assert compared["shared_replies"] == len(champion.chat_nll) == champion.n_chat == candidate.n_chat
