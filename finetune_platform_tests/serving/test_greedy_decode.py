"""The server's greedy generation (``evaluation.generation.generate`` / ``greedy_decode``): the same tokens
as ``model.generate(do_sample=False)``, whatever the batch, the prefill grouping or the early stops."""

from __future__ import annotations

from pathlib import Path

import pytest

from finetune_platform.evaluation.generation import (
    generate,
    greedy_decode,
    hf_generate_reason,
    left_pad,
    load_causal_lm,
    prefill_groups,
)
from finetune_platform.serving.batching import DynamicBatcher, GenerationParams
from finetune_platform.serving.server import RegistryBackend

#: Prompts of very different lengths (2 to about 50 tokens): left padding and prefill groups matter.
PROMPTS = [
    "### Task: classify\n### Ticket:\nmy card was charged twice\n### Category:\n",
    "where is my parcel",
    "login",
    "### Task: reply\n### Ticket:\ni cannot log in to my account at all since monday\n### Reply:\n",
    "refund please",
    "it ships tomorrow or the day after",
]


@pytest.fixture(scope="module")
def context_model(tmp_path_factory) -> Path:
    """A random 2-layer Llama whose answers depend on the whole prompt. The shared ``tiny_base`` uses the
    default initialisation (std 0.02), under which attention is nearly uniform and the next token depends
    almost only on the current one, so a misplaced key/value cache would go unnoticed; std 0.2 makes
    attention, and so the cache, matter."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from finetune_platform_tests.serving.conftest import _tokenizer

    folder = tmp_path_factory.mktemp("context_model")
    tokenizer = _tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=4, max_position_embeddings=128, initializer_range=0.2,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def lm(context_model: Path):
    return load_causal_lm(context_model)


def test_the_test_model_reads_its_context(lm):
    """Prompts that differ in one early word get different answers: otherwise the comparisons below could
    not see a cache that mixed up positions or rows."""
    model, tokenizer = lm
    prompts = ["where is my parcel", "when is my parcel", "where is your parcel"]
    answers = _decode(model, tokenizer, prompts, 8, None)
    assert len({tuple(a) for a in answers}) == 3


def _hf_greedy(model, tokenizer, prompts: list[str], max_new_tokens: int, eos_token_id: int | None) -> list[list[int]]:
    """``model.generate``'s greedy new tokens per prompt, cut after the first ``eos_token_id`` (what follows
    it is padding)."""
    import torch

    batch = tokenizer(prompts, return_tensors="pt", padding=True, padding_side="left")
    with torch.inference_mode():
        out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=eos_token_id,
                             pad_token_id=tokenizer.pad_token_id)
    rows = []
    for row in out[:, batch["input_ids"].shape[1]:].tolist():
        if eos_token_id in row:
            row = row[: row.index(eos_token_id) + 1]
        rows.append(row)
    return rows


def _decode(model, tokenizer, prompts: list[str], max_new_tokens: int, eos_token_id: int | None,
            overhead: int | None = None) -> list[list[int]]:
    import torch

    input_ids, attention_mask = left_pad(tokenizer(prompts)["input_ids"], tokenizer.pad_token_id)
    with torch.inference_mode():
        return greedy_decode(model, input_ids, attention_mask, max_new_tokens, eos_token_id, overhead)


def test_left_pad_equals_the_tokenizers_left_padding(lm):
    import torch

    _, tokenizer = lm
    expected = tokenizer(PROMPTS, return_tensors="pt", padding=True, padding_side="left")
    input_ids, attention_mask = left_pad(tokenizer(PROMPTS)["input_ids"], tokenizer.pad_token_id)
    assert torch.equal(input_ids, expected["input_ids"]) and torch.equal(attention_mask, expected["attention_mask"])
    with pytest.raises(ValueError, match="at least one sequence"):
        left_pad([], 0)


@pytest.mark.parametrize("overhead", [0, 32, 10_000])  # a group per length, the CPU default, one group
def test_greedy_decode_gives_model_generates_tokens(lm, overhead):
    model, tokenizer = lm
    assert hf_generate_reason(model) is None  # the tiny Llama takes the hand-written loop
    expected = _hf_greedy(model, tokenizer, PROMPTS, 12, tokenizer.eos_token_id)
    assert _decode(model, tokenizer, PROMPTS, 12, tokenizer.eos_token_id, overhead) == expected
    assert all(len(row) == 12 for row in expected)  # untrained: no end-of-sequence within 12 tokens


def test_finished_rows_leave_the_batch_and_the_others_go_on(lm):
    """An end-of-sequence token that some rows produce mid-way and others never: each row stops at its own
    first one, the others decode to the limit, exactly as ``model.generate`` answers."""
    model, tokenizer = lm
    free = _hf_greedy(model, tokenizer, PROMPTS, 12, None)
    # the token that most rows produce after their first step, among those some row never produces
    counts = {t: sum(t in row[1:] for row in free) for row in free for t in row[1:]}
    stop = max((t for t in counts if any(t not in row for row in free)), key=counts.__getitem__)
    expected = _hf_greedy(model, tokenizer, PROMPTS, 12, stop)
    got = _decode(model, tokenizer, PROMPTS, 12, stop)
    assert got == expected
    lengths = [len(row) for row in got]
    assert any(n < 12 for n in lengths) and any(n == 12 for n in lengths), lengths  # both kinds of row
    assert all(row[-1] == stop for row in got if len(row) < 12)


def test_every_row_finishing_ends_the_loop(lm):
    model, tokenizer = lm
    first = _hf_greedy(model, tokenizer, PROMPTS[:1], 5, None)[0][0]
    assert _decode(model, tokenizer, PROMPTS[:1], 50, first) == [[first]]


def test_batched_generation_equals_one_request_at_a_time(lm):
    """What the server answers a prompt in a batch of six is what it answers the prompt alone, through the
    backend's ``generate`` (tokenised once, by length, prefill groups) and through the batcher."""
    model, tokenizer = lm
    backend = RegistryBackend(model, tokenizer, name="tiny", version="1")
    alone = [backend.generate([p], max_new_tokens=10, temperature=0.0)[0] for p in PROMPTS]
    assert backend.generate(PROMPTS, max_new_tokens=10, temperature=0.0) == alone
    assert len(set(alone)) == len(PROMPTS) and all(alone)
    sizes: list[int] = []
    batcher = DynamicBatcher(lambda prompts, params: backend.generate(prompts, params.max_new_tokens,
                                                                      params.temperature),
                             max_batch_size=8, window_ms=1000, idle_ms=200, on_batch=sizes.append)
    try:
        assert batcher.generate(PROMPTS, GenerationParams(10, 0.0), timeout=60) == alone
    finally:
        batcher.close()
    assert sizes == [len(PROMPTS)]  # one model call answered all six


def test_a_generation_config_that_changes_greedy_decoding_uses_model_generate(lm, context_model: Path):
    import torch

    model, tokenizer = load_causal_lm(context_model)
    model.generation_config.repetition_penalty = 3.0
    assert "repetition_penalty" in (hf_generate_reason(model) or "")
    batch = tokenizer(PROMPTS, return_tensors="pt", padding=True, padding_side="left")
    with torch.inference_mode():
        out = model.generate(**batch, max_new_tokens=12, do_sample=False, eos_token_id=tokenizer.eos_token_id,
                             pad_token_id=tokenizer.pad_token_id)
    expected = tokenizer.batch_decode(out[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)
    assert generate(model, tokenizer, PROMPTS, max_new_tokens=12, batch_size=8) == expected
    plain, plain_tokenizer = lm
    assert generate(plain, plain_tokenizer, PROMPTS, max_new_tokens=12, batch_size=8) != expected  # it mattered


def test_prefill_groups_trade_padding_for_calls():
    assert prefill_groups([], 32) == []
    assert prefill_groups([7, 7, 7], 32) == [[0, 1, 2]]
    # three short rows and one long one: padding the short ones to 100 costs far more than a second call
    assert prefill_groups([10, 100, 12, 11], 32) == [[0, 3, 2], [1]]
    # a call costing more than all the padding: one group
    assert prefill_groups([10, 100, 12, 11], 10_000) == [[0, 3, 2, 1]]
    # free calls: one group per distinct length (ties stay together: no padding to save)
    assert sorted(map(sorted, prefill_groups([5, 9, 5, 9, 7], 0))) == [[0, 2], [1, 3], [4]]
    groups = prefill_groups([42, 106, 70, 55, 88, 61, 99, 47], 32)
    assert sorted(i for g in groups for i in g) == list(range(8))


def test_greedy_decode_rejects_no_new_tokens(lm):
    model, tokenizer = lm
    with pytest.raises(ValueError, match="max_new_tokens must be at least 1"):
        _decode(model, tokenizer, PROMPTS[:2], 0, tokenizer.eos_token_id)
