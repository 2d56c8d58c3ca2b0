"""Loading a fine-tuned causal LM and generating from it in batches.

``load_causal_lm`` accepts what ``train_sft`` writes: a PEFT adapter folder (merged into the base for
fast inference) or a full model folder; ``generate`` is batched greedy decoding with left padding
(:func:`greedy_decode`, a KV-cached loop that gives ``model.generate``'s greedy tokens with less per-step
overhead).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, NamedTuple

from finetune_platform.training.base_model import ModelFolderError, TOKENIZER_FILE_SETS, validate_model_folder


def _has_tokenizer(folder: Path) -> bool:
    return any(all((folder / name).is_file() for name in names) for names in TOKENIZER_FILE_SETS)


def is_adapter_folder(path: Path | str) -> bool:
    """True when ``path`` holds a PEFT adapter (``adapter_config.json``) rather than a full model."""
    return (Path(path) / "adapter_config.json").is_file()


def load_causal_lm(base_path: Path | str, adapter_path: Path | str | None = None):
    """``(model, tokenizer)`` ready for inference, in evaluation mode on the CPU (or the first GPU).

    - ``adapter_path`` None: the base model itself.
    - a PEFT adapter folder: loaded onto the base and merged (``merge_and_unload``), so inference costs
      the same as the base model's.
    - a full model folder (full fine-tuning output): loaded instead of the base.

    The tokenizer comes from ``adapter_path`` when it holds one (``train_sft`` saves it there), else from
    the base.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base_path = Path(base_path)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if adapter_path is None:
        validate_model_folder(base_path)
        model = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
        tokenizer_path = base_path
    else:
        adapter_path = Path(adapter_path)
        if is_adapter_folder(adapter_path):
            from peft import PeftModel

            validate_model_folder(base_path)
            recorded = json.loads((adapter_path / "adapter_config.json").read_text()).get("base_model_name_or_path")
            base = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
            try:
                model = PeftModel.from_pretrained(base, adapter_path).merge_and_unload()
            except (RuntimeError, ValueError) as error:
                raise ModelFolderError(
                    f"adapter {adapter_path} does not fit base model {base_path} (it was trained on "
                    f"{recorded!r}): {error}"
                ) from error
        elif (adapter_path / "config.json").is_file():
            validate_model_folder(adapter_path)
            model = AutoModelForCausalLM.from_pretrained(adapter_path, dtype=torch.float32)
        else:
            raise ModelFolderError(
                f"{adapter_path} is neither a PEFT adapter (adapter_config.json) nor a model folder "
                "(config.json); pass the folder train_sft wrote (SFTResult.model_path)"
            )
        tokenizer_path = adapter_path if _has_tokenizer(adapter_path) else base_path
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(device).eval()
    return model, tokenizer


class Answer(NamedTuple):
    """One generated answer: its text (special tokens removed), the tokens generated (the end-of-sequence
    token not counted) and whether the model ended it (else it ran to ``max_new_tokens``)."""

    text: str
    tokens: int
    ended: bool


def answers_of(tokenizer, new_tokens: list[list[int]]) -> list[Answer]:
    """The :class:`Answer` of each row of generated token ids: a row ends at its first end-of-sequence
    token (``model.generate`` pads a finished row, with that token or the pad token, to the batch's end)."""
    eos = tokenizer.eos_token_id
    lengths, ended = [], []
    for row in new_tokens:
        end = row.index(eos) if eos is not None and eos in row else None
        lengths.append(len(row) if end is None else end)
        ended.append(end is not None)
    texts = tokenizer.batch_decode([row[:n] for row, n in zip(new_tokens, lengths)], skip_special_tokens=True)
    return [Answer(t, n, e) for t, n, e in zip(texts, lengths, ended, strict=True)]


def generate(model, tokenizer, prompts: list[str], max_new_tokens: int = 32, batch_size: int = 32) -> list[str]:
    """Greedy continuations of ``prompts`` (only the new text, special tokens removed), in input order.

    Prompts are tokenised once, batched by length (less padding), left-padded so every continuation starts
    at the same position, and each stops at the tokenizer's end-of-sequence token or after
    ``max_new_tokens``. The answers are those of ``model.generate(do_sample=False)``; a model whose
    generation config changes greedy decoding (repetition penalty, forced or suppressed tokens, ...) or
    that :func:`greedy_decode` does not handle is decoded by ``model.generate`` itself.
    """
    return [answer.text for answer in generate_answers(model, tokenizer, prompts, max_new_tokens, batch_size)]


def encode_prompts(tokenizer, prompts: list[str]) -> list[list[int]]:
    """The token ids of each prompt, as the tokenizer adds its special tokens. An empty prompt with a
    tokenizer that adds no BOS is no tokens at all, and a model needs one to start from: it gets a document
    boundary (BOS, else EOS, as GPT-2 starts unconditional text), what the model saw before a document."""
    encoded = tokenizer(list(prompts))["input_ids"]
    if any(not ids for ids in encoded):
        start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        if start is None:
            raise ValueError("an empty prompt needs a BOS or EOS token to start from; this tokenizer has neither")
        encoded = [ids or [start] for ids in encoded]
    return encoded


def generate_answers(
    model, tokenizer, prompts: list[str], max_new_tokens: int = 32, batch_size: int = 32
) -> list[Answer]:
    """:func:`generate`, with each answer's token count and whether the model ended it (the server's
    ``finish_reason`` and ``usage`` come from these, not from tokenising the text again)."""
    import torch

    if max_new_tokens < 1 or batch_size < 1:
        raise ValueError(f"max_new_tokens ({max_new_tokens}) and batch_size ({batch_size}) must be at least 1")
    if not prompts:
        return []
    device = next(model.parameters()).device
    encoded = encode_prompts(tokenizer, prompts)
    order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
    outputs: list[Answer] = [Answer("", 0, True)] * len(prompts)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    own_loop = hf_generate_reason(model) is None
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            indices = order[start : start + batch_size]
            input_ids, attention_mask = left_pad([encoded[i] for i in indices], pad_id, device)
            if own_loop:
                new_tokens = greedy_decode(model, input_ids, attention_mask, max_new_tokens, tokenizer.eos_token_id)
            else:
                generated = model.generate(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    max_new_tokens=max_new_tokens,
                    do_sample=False,
                    eos_token_id=tokenizer.eos_token_id,
                    pad_token_id=pad_id,
                )
                new_tokens = generated[:, input_ids.shape[1] :].tolist()
            for i, answer in zip(indices, answers_of(tokenizer, new_tokens), strict=True):
                outputs[i] = answer
    return outputs


def left_pad(sequences: list[list[int]], pad_id: int, device: Any = "cpu") -> tuple[Any, Any]:
    """``(input_ids, attention_mask)`` tensors for token id lists, padded on the left with ``pad_id``
    (what ``tokenizer(..., padding=True, padding_side="left")`` returns, without tokenising again)."""
    import torch

    if not sequences:
        raise ValueError("left_pad needs at least one sequence")
    width = max(len(ids) for ids in sequences)
    input_ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, ids in enumerate(sequences):
        if ids:
            input_ids[row, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
            attention_mask[row, width - len(ids) :] = 1
    return input_ids.to(device), attention_mask.to(device)


#: Generation-config fields that change what greedy decoding picks (logits processors, forced tokens).
_GREEDY_CHANGING_FIELDS = (
    "repetition_penalty", "encoder_repetition_penalty", "no_repeat_ngram_size", "encoder_no_repeat_ngram_size",
    "bad_words_ids", "min_length", "min_new_tokens", "forced_bos_token_id", "forced_eos_token_id",
    "suppress_tokens", "begin_suppress_tokens", "sequence_bias", "exponential_decay_length_penalty",
    "renormalize_logits", "guidance_scale", "watermarking_config", "remove_invalid_values", "max_time",
    "stop_strings", "num_beams", "num_beam_groups", "penalty_alpha", "dola_layers", "assistant_model",
    "prompt_lookup_num_tokens",
)


def hf_generate_reason(model) -> str | None:
    """Why ``model`` must be decoded by ``model.generate`` rather than :func:`greedy_decode` (None: it
    need not be): an encoder-decoder, a forward pass without transformers' ``cache`` / ``logits_to_keep``
    arguments, or a generation config that changes greedy decoding."""
    import inspect

    if getattr(model.config, "is_encoder_decoder", False):
        return "an encoder-decoder model"
    accepted = inspect.signature(model.forward).parameters
    missing = [name for name in ("cache", "position_ids", "logits_to_keep") if name not in accepted]
    if missing:
        return f"its forward pass takes no {missing}"
    config = getattr(model, "generation_config", None)
    if config is None:
        return None
    default = _default_generation_config()
    changed = [
        name for name in _GREEDY_CHANGING_FIELDS
        if getattr(config, name, None) != getattr(default, name, None)
    ]
    return f"its generation config sets {changed}" if changed else None


@functools.cache
def _default_generation_config():
    from transformers import GenerationConfig

    return GenerationConfig()


def greedy_decode(
    model, input_ids, attention_mask, max_new_tokens: int, eos_token_id: int | None,
    prefill_overhead_tokens: int | None = None,
) -> list[list[int]]:
    """The greedy new tokens of each row of a left-padded batch, up to and including its end-of-sequence
    token (at most ``max_new_tokens``): the tokens ``model.generate(do_sample=False)`` picks.

    Hand-written instead of calling ``model.generate`` because, on the small CPU models this platform
    serves, generate's per-step bookkeeping (logits processors, stopping criteria, mask and cache growth by
    concatenation) is a large share of the time, and the parts that grow with the batch are what limit
    batching's gain (measured on the serving benchmark's tiny Llama):

    - the prompt prefill is real compute per token, and a padded batch computes every row to the longest
      prompt; here rows of similar length are prefilled together (:func:`prefill_groups`), each group
      padded only to its own longest prompt, into one cache;
    - the key/value cache is allocated once for the whole answer instead of being copied into a longer
      tensor at every step (a copy as large as the batch times the sequence);
    - the attention mask is built once (in the 4D form SDPA attention takes) and sliced per step;
    - rows that have finished (end-of-sequence) leave the batch, so the remaining steps compute only the
      rows still answering (``model.generate`` keeps computing finished rows, as padding, to the end), and
      the loop stops when every row has finished.

    Positions follow ``generate`` (cumulative sum of the attention mask, 0 on padding; +1 per step) and the
    next token is the argmax of the last position's logits, as in ``generate``'s greedy search, so the tokens
    are the same (checked against ``model.generate`` by the tests). Call it under ``torch.inference_mode()``.

    ``prefill_overhead_tokens`` is what one extra prefill call costs, in prompt tokens (None: 32 on a CPU,
    where a small model's call overhead is worth a few dozen tokens; 1024 on a GPU, where tokens are
    nearly free, so splitting is rarely worth it); see :func:`prefill_groups`.
    """
    import torch

    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
    rows, prompt_len = input_ids.shape
    total_len = prompt_len + max_new_tokens
    cache = _preallocated_cache(model, rows, total_len)
    positions = (attention_mask.cumsum(-1) - 1).masked_fill_(attention_mask == 0, 0)
    if prefill_overhead_tokens is None:
        prefill_overhead_tokens = 32 if input_ids.device.type == "cpu" else 1024
    logits = _prefill(model, cache, input_ids, attention_mask, positions, prefill_overhead_tokens)
    mask = attention_mask.new_ones((rows, total_len))
    mask[:, :prompt_len] = attention_mask
    if getattr(model.config, "_attn_implementation", None) == "sdpa":
        # transformers turns a 2D mask into a 4D one at every step; a boolean 4D mask (True: attend), which is
        # what it builds for SDPA, is taken as it is, so it is built once here and sliced per step.
        mask = mask.bool()[:, None, None, :]
    next_positions = positions[:, -1:] + 1
    tokens = torch.empty((rows, max_new_tokens), dtype=torch.long, device=input_ids.device)
    lengths = [max_new_tokens] * rows
    live = torch.arange(rows, device=input_ids.device)  # the original row of each row still decoding
    for step in range(max_new_tokens):
        next_tokens = logits.argmax(dim=-1)
        tokens[live, step] = next_tokens
        if step == max_new_tokens - 1:
            break
        if eos_token_id is not None:
            finished = next_tokens == eos_token_id
            if bool(finished.any()):
                for row in live[finished].tolist():
                    lengths[row] = step + 1
                keep = (~finished).nonzero().squeeze(1)
                if keep.numel() == 0:
                    break
                live, next_tokens, next_positions = live[keep], next_tokens[keep], next_positions[keep]
                mask = mask[keep]
                cache.batch_select_indices(keep)
        logits = model(
            input_ids=next_tokens[:, None], attention_mask=mask[..., : prompt_len + step + 1],
            position_ids=next_positions, cache=cache, use_cache=True,
        ).logits[:, -1, :]
        next_positions += 1
    return [tokens[row, :length].tolist() for row, length in enumerate(lengths)]


def prefill_groups(lengths: list[int], overhead_tokens: int) -> list[list[int]]:
    """Rows (indices into ``lengths``) grouped for prefill so that padded tokens plus ``overhead_tokens``
    per group (the fixed cost of one forward call, in tokens) are fewest: a dynamic programme over the rows
    sorted by length (each group is a run of similar lengths, computed to its longest)."""
    if not lengths:
        return []
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    n = len(order)
    cost = [0.0] + [float("inf")] * n
    cut = [0] * (n + 1)
    for end in range(1, n + 1):
        width = max(lengths[order[end - 1]], 1)
        for begin in range(end):
            candidate = cost[begin] + (end - begin) * width + overhead_tokens
            if candidate < cost[end]:
                cost[end], cut[end] = candidate, begin
    groups = []
    end = n
    while end > 0:
        groups.append(order[cut[end] : end])
        end = cut[end]
    return groups[::-1]


def _prefill(model, cache, input_ids, attention_mask, positions, overhead_tokens: int):
    """Run the prompts through ``model`` into ``cache``; the last position's logits of every row."""
    import torch

    rows, prompt_len = input_ids.shape
    layers = cache.layers
    if not all(isinstance(layer, _preallocated_layer_class()) for layer in layers):
        return model(
            input_ids=input_ids, attention_mask=attention_mask, position_ids=positions, cache=cache, use_cache=True,
            logits_to_keep=1,
        ).logits[:, -1, :]
    logits = None
    for group in prefill_groups(attention_mask.sum(-1).tolist(), overhead_tokens):
        index = torch.tensor(group, device=input_ids.device)
        start = prompt_len - max(int(attention_mask[index].sum(-1).max()), 1)
        for layer in layers:
            layer.prefill_into(index, start)
        group_logits = model(
            input_ids=input_ids[index, start:], attention_mask=attention_mask[index, start:],
            position_ids=positions[index, start:], cache=cache, use_cache=True, logits_to_keep=1,
        ).logits[:, -1, :]
        if logits is None:
            logits = group_logits.new_empty((rows, group_logits.shape[-1]))
        logits[index] = group_logits
    for layer in layers:
        layer.end_prefill(prompt_len)
    return logits


def _preallocated_cache(model, batch_size: int, capacity: int):
    """A ``DynamicCache`` for ``model`` whose plain attention layers hold ``batch_size`` rows of ``capacity``
    positions, allocated once (other layer kinds, e.g. sliding-window ones, keep transformers' own)."""
    from transformers.cache_utils import DynamicCache, DynamicLayer

    layer_class = _preallocated_layer_class()
    cache = DynamicCache(config=model.config)
    cache.layers = [
        layer_class(batch_size, capacity) if type(layer) is DynamicLayer else layer for layer in cache.layers
    ]
    return cache


@functools.cache
def _preallocated_layer_class() -> type:
    """The cache layer class (built on first use: this module imports transformers lazily)."""
    from transformers.cache_utils import DynamicLayer

    class PreallocatedLayer(DynamicLayer):
        """A ``DynamicLayer`` whose keys and values live in buffers allocated once for ``batch_size`` rows and
        ``capacity`` positions; attention gets a view of the filled part. transformers' own layer
        concatenates at every step (a copy of the whole cache per token); its static cache avoids that but
        attends over every position of the buffer at every step (measured slower here).

        Prefill can run in groups of rows (:meth:`prefill_into`): each group's keys and values go to its
        rows, right-aligned at ``start``, and the cache reports no length until :meth:`end_prefill`, so
        every group's forward call sees an empty cache, as a whole-batch prefill would.
        """

        def __init__(self, batch_size: int, capacity: int) -> None:
            super().__init__()
            self.batch_size = batch_size
            self.capacity = capacity
            self.length = 0
            self._prefill: tuple[Any, int] | None = None

        def lazy_initialization(self, key_states, value_states) -> None:
            self.device = key_states.device
            heads = key_states.shape[1]
            # Zeros, not empty: positions left of a group's prompts are padding that attention masks out, and
            # masked garbage could still be NaN (0 * NaN is NaN).
            self._keys = key_states.new_zeros((self.batch_size, heads, self.capacity, key_states.shape[-1]))
            self._values = value_states.new_zeros((self.batch_size, heads, self.capacity, value_states.shape[-1]))
            self.is_initialized = True

        def prefill_into(self, rows, start: int) -> None:
            self._prefill = (rows, start)

        def end_prefill(self, length: int) -> None:
            self._prefill = None
            self._set_length(length)

        def _set_length(self, length: int) -> None:
            self.length = length
            self.keys = self._keys[:, :, :length]
            self.values = self._values[:, :, :length]

        def update(self, key_states, value_states, *args, **kwargs):
            if not self.is_initialized:
                self.lazy_initialization(key_states, value_states)
            if self._prefill is not None:
                rows, start = self._prefill
                end = start + key_states.shape[-2]
                self._keys[rows, :, start:end] = key_states
                self._values[rows, :, start:end] = value_states
                return key_states, value_states
            end = self.length + key_states.shape[-2]
            if end > self.capacity:
                raise RuntimeError(f"the preallocated cache holds {self.capacity} positions; {end} were needed")
            self._keys[:, :, self.length : end].copy_(key_states)
            self._values[:, :, self.length : end].copy_(value_states)
            self._set_length(end)
            return self.keys, self.values

        def get_seq_length(self) -> int:
            return self.length

        def batch_select_indices(self, indices) -> None:
            if self.is_initialized:
                self._keys = self._keys.index_select(0, indices)
                self._values = self._values.index_select(0, indices)
                self._set_length(self.length)

    return PreallocatedLayer
