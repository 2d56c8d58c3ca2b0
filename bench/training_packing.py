"""Sequence packing: useful (non-padding) training tokens per second with packing on vs off.

The question (issue): does ``SFTSettings.packing=True`` train at least 2x as many useful tokens per second
as padded batches, on short prompt/completion pairs? Measured side by side in one run:

- the data: SNIPS user queries (``/work/shared/datasets/snips/train.jsonl``, 7 intents) as prompt/completion
  pairs, ``"### Query:\\n{text}\\n### Intent:\\n"`` -> ``"{intent}"``; a seeded random sample of
  ``examples`` rows. Without the data set the benchmark returns ``{"skipped": why}``;
- the model: the platform's own tiny Llama (``build_tiny_model``, default shape: hidden 128, 4 layers, BPE
  vocabulary 3k trained on the sampled queries), *untrained* (``pretrain_steps=0``: the weights do not
  change the cost of a training step), built offline in a temporary folder;
- the training: the platform's ``SFTSettings`` -> ``to_trl_config`` (the one place our settings become
  TRL's ``SFTConfig``) and TRL's ``SFTTrainer`` built exactly as ``train_sft`` builds it; one epoch over the
  same examples, the same settings apart from ``packing`` (defaults: LoRA, batch 16, ``max_length`` 256,
  bf16 autocast where the hardware computes it natively, else float32, group-by-length batches), one
  torch thread;
- ``off``: padded batches in random order (``packing=False``, ``group_by_length=False``: TRL's default, the
  usual baseline); ``grouped``: padded batches of similar length (``group_by_length=True``, the platform's
  default, which already removes most padding); ``on``: ``packing=True``, TRL 1.16's ``"bfd"`` strategy
  (best-fit decreasing: whole examples packed into rows of up to ``max_length`` tokens, never cut), laid out
  by the platform's ``RowPackedCollator`` (one row per packed sequence, ``position_ids`` restarting at 0 for
  every example, no attention mask; ``--padding-free`` measures TRL's own layout instead, the whole batch
  concatenated into one row, which is quadratic in the batch's length under SDPA on a CPU);
- useful tokens: the trainer's ``num_input_tokens_seen`` with ``include_num_input_tokens_seen=
  "non_padding"`` (what ``to_trl_config`` sets), cross-checked against a count made from the collated
  batches themselves (tokens that are not padding; also the tokens processed including padding, and the
  completion tokens the loss is computed on). One epoch over the same examples means both sides must see
  exactly the same useful tokens: the benchmark fails loudly when they differ;
- time: wall time of ``trainer.train()`` only; dataset preparation (tokenising, packing) happens once per
  run in ``SFTTrainer.__init__`` and is reported separately. Rounds are interleaved (off, on, on, off,
  ...) and the best round of each side is kept (the machine is shared; the fastest round is the least
  disturbed one).

Contamination: packed examples do NOT attend to each other here. The tiny Llama runs with SDPA attention,
and transformers 5 (``masking_utils.find_packed_sequence_indices``) builds a block-diagonal causal mask
from ``position_ids`` whenever no attention mask is given, which is exactly what TRL's padding-free
collator sends; every example's positions also restart at 0 (correct RoPE). The benchmark checks it on
every run: the logits of the second example of a packed row equal its logits when run alone
(``contamination_max_abs_diff``, verdict ``contamination_free``). TRL's other strategy, ``"wrapped"``, cuts
the token stream into fixed blocks with ordinary causal attention across example boundaries; the platform
does not expose it (``SFTSettings`` has no packing-strategy field, so TRL's default ``"bfd"`` is used).

What limits the ratio here (measured 2026-12-04 on 2 shared cores, defaults): a training step of the tiny
model on one CPU thread is compute-bound (the per-step overhead packing would amortise is small), so the
most packing can gain is the padding it removes: 1 / (1 - 29.8%) = 1.42x against random-order batches, and
~1.03x against length-grouped ones (2.8% padding). Measured: packed 1.21x random-order padded batches and
0.87x length-grouped ones (3,192 vs 2,639 and 3,657 useful tokens/s): packed rows are 256 tokens long, and
SDPA computes attention over the whole row under the block mask. TRL's own padding-free layout
(``--padding-free``: the batch's rows concatenated into one row of up to 4,096 tokens) is quadratic in that
length on a CPU: 0.25x. The 2x goal needs padding above 50% or a per-step cost that dominates (small
batches on a GPU), neither of which this data and machine have.

Run: ``.venv/bin/python -m bench.training_packing [--examples 2000] [--repeats 2] [--max-length 256]
[--batch-size 16] [--threads 1] [--padding-free]``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finetune_platform.training.precision import resolve_bf16
from finetune_platform.training.sft import SFTSettings
from finetune_platform.training.tiny_model import TinyModelSettings

#: The issue's goal: packed / padded useful tokens per second.
TARGET_RATIO = 2.0
SNIPS_DIR = Path("/work/shared/datasets/snips")
PROMPT_TEMPLATE = "### Query:\n{text}\n### Intent:\n"
#: off: padded batches in random order (TRL's default, the usual baseline); grouped: padded batches of similar
#: length (the platform's default, group_by_length); on: packed. Only these settings differ between sides.
SIDES = ("off", "grouped", "on")
SIDE_SETTINGS: dict[str, dict[str, bool]] = {
    "off": {"packing": False, "group_by_length": False},
    "grouped": {"packing": False, "group_by_length": True},
    "on": {"packing": True, "group_by_length": False},
}


def load_snips_pairs(snips_dir: Path, n_examples: int, seed: int = 0) -> list[tuple[str, str]]:
    """A seeded random sample of ``n_examples`` (prompt, completion) pairs from ``snips_dir/train.jsonl``."""
    path = Path(snips_dir) / "train.jsonl"
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            if not isinstance(record.get("text"), str) or not isinstance(record.get("intent"), str):
                raise ValueError(f"{path}:{line_no}: expected string fields 'text' and 'intent', got {sorted(record)}")
            rows.append((PROMPT_TEMPLATE.format(text=record["text"].strip()), record["intent"]))
    if n_examples > len(rows):
        raise ValueError(f"--examples {n_examples} exceeds the {len(rows)} rows of {path}")
    return random.Random(seed).sample(rows, n_examples)


class CountingCollator:
    """Wraps the trainer's collator and counts what each collated batch holds.

    ``slots``: token positions processed (padding included); ``useful``: positions that are not padding (the
    attention mask when there is one, else input ids other than the pad id, as the Trainer counts them);
    ``loss_tokens``: labels that are not -100; ``batches``: forward passes.
    """

    def __init__(self, inner: Any, pad_token_id: int) -> None:
        self.inner = inner
        self.pad_token_id = pad_token_id
        self.slots = self.useful = self.loss_tokens = self.batches = 0

    def __call__(self, examples: list[dict]) -> dict:
        batch = self.inner(examples)
        input_ids = batch["input_ids"]
        self.slots += int(input_ids.numel())
        if "attention_mask" in batch:
            self.useful += int(batch["attention_mask"].sum())
        else:
            self.useful += int((input_ids != self.pad_token_id).sum())
        self.loss_tokens += int((batch["labels"] != -100).sum())
        self.batches += 1
        return batch


@dataclass
class Round:
    """One epoch of one side."""

    side: str
    seconds: float
    prepare_seconds: float
    trainer_tokens: int
    collated_useful: int
    collated_slots: int
    loss_tokens: int
    steps: int
    rows: int
    padding_free: bool
    packing_strategy: str | None

    @property
    def tokens_per_second(self) -> float:
        return self.trainer_tokens / self.seconds


def _train_one_epoch(
    model_path: Path, pairs: list[tuple[str, str]], settings: SFTSettings, side: str, work: Path
) -> Round:
    """One epoch of ``SFTTrainer`` over ``pairs``, built as ``train_sft`` builds it; returns its figures."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from finetune_platform.training.sft import build_trainer

    torch.manual_seed(settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    dataset = Dataset.from_dict({"prompt": [p for p, _ in pairs], "completion": [c for _, c in pairs]})
    started = time.perf_counter()
    trainer = build_trainer(model, tokenizer, dataset, None, settings, work / side)
    prepare_seconds = time.perf_counter() - started
    counter = CountingCollator(trainer.data_collator, tokenizer.pad_token_id)
    trainer.data_collator = counter  # the train dataloader is built inside train(), from this attribute
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    return Round(
        side=side,
        seconds=seconds,
        prepare_seconds=prepare_seconds,
        trainer_tokens=int(trainer.state.num_input_tokens_seen),
        collated_useful=counter.useful,
        collated_slots=counter.slots,
        loss_tokens=counter.loss_tokens,
        steps=int(trainer.state.global_step),
        rows=len(trainer.train_dataset),
        padding_free=settings.packing and settings.padding_free,
        packing_strategy=trainer.args.packing_strategy if settings.packing else None,
    )


def contamination_check(model_path: Path, pairs: list[tuple[str, str]], max_length: int) -> dict[str, Any]:
    """Whether a packed example attends to the example packed before it.

    Packs two examples the way TRL's padding-free collator sends them (one row, ``position_ids`` restarting
    at 0, no attention mask) and compares the second example's logits with its logits when run alone.
    ``use_cache=False`` as ``SFTTrainer.compute_loss`` passes it: with a cache, transformers skips the
    packed-sequence detection and the examples would attend to each other.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32).eval()
    first, second = (tokenizer(p + c)["input_ids"] for p, c in pairs[:2])
    if len(first) + len(second) > max_length:
        raise ValueError(f"two examples take {len(first) + len(second)} tokens, more than max_length {max_length}")
    input_ids = torch.tensor([first + second])
    position_ids = torch.tensor([list(range(len(first))) + list(range(len(second)))])
    with torch.no_grad():
        packed = model(input_ids=input_ids, position_ids=position_ids, use_cache=False).logits[0, len(first) :]
        alone = model(input_ids=torch.tensor([second]), use_cache=False).logits[0]
        # Plain causal attention over both examples: what leakage looks like.
        unmasked = model(input_ids=input_ids, use_cache=False).logits[0, len(first) :]
    diff = float((packed - alone).abs().max())
    return {
        "attn_implementation": model.config._attn_implementation,
        "contamination_max_abs_diff": diff,
        "leaky_reference_max_abs_diff": float((unmasked - alone).abs().max()),
        "contamination_free": diff < 1e-4,
    }


def run_benchmark(
    snips_dir: Path = SNIPS_DIR,
    n_examples: int = 2000,
    repeats: int = 2,
    max_length: int = 256,
    batch_size: int = 16,
    method: str = "lora",
    threads: int | None = None,
    seed: int = 0,
    padding_free: bool = False,
) -> dict[str, Any]:
    """Measure both sides; return the figures (``{"skipped": why}`` when the data set is missing)."""
    if n_examples < 2 or repeats < 1:
        raise ValueError(f"examples must be >= 2 and repeats >= 1; got examples={n_examples}, repeats={repeats}")
    if not (Path(snips_dir) / "train.jsonl").is_file():
        return {"skipped": f"SNIPS data set not found: {Path(snips_dir) / 'train.jsonl'} is missing"}
    import torch

    from finetune_platform.settings import torch_threads
    from finetune_platform.training.tiny_model import build_tiny_model

    threads_used = threads if threads is not None else (torch_threads() or 1)
    if threads_used < 1:
        raise ValueError(f"torch threads must be at least 1, got {threads_used}")
    torch.set_num_threads(threads_used)
    pairs = load_snips_pairs(Path(snips_dir), n_examples, seed)
    base = SFTSettings(
        method=method,
        num_epochs=1.0,
        max_steps=-1,
        batch_size=batch_size,
        max_length=max_length,
        save_steps=1_000_000,
        logging_steps=1_000_000,
        seed=seed,
        verify_saved_model=False,
    )
    rounds: dict[str, list[Round]] = {side: [] for side in SIDES}
    with tempfile.TemporaryDirectory(prefix="bench_training_packing_") as tmp:
        work = Path(tmp)
        corpus = [p + c for p, c in pairs]
        model_path = build_tiny_model(corpus, TinyModelSettings(pretrain_steps=0, seed=seed), work / "models").path
        contamination = contamination_check(model_path, pairs, max_length)
        for r in range(repeats):
            order = SIDES if r % 2 == 0 else SIDES[::-1]
            for side in order:
                settings = base.model_copy(update={**SIDE_SETTINGS[side], "padding_free": padding_free and side == "on"})
                rounds[side].append(_train_one_epoch(model_path, pairs, settings, side, work / f"round{r}"))

    best = {side: max(rounds[side], key=lambda x: x.tokens_per_second) for side in SIDES}
    for side, items in rounds.items():
        for item in items:
            if item.trainer_tokens != item.collated_useful:
                raise RuntimeError(
                    f"{side}: trainer counted {item.trainer_tokens} non-padding tokens, the collated batches held "
                    f"{item.collated_useful}; the two counts must agree"
                )
    if len({best[side].trainer_tokens for side in SIDES}) != 1:
        raise RuntimeError(
            f"one epoch over the same examples trained {best['off'].trainer_tokens} useful tokens without packing "
            f"but {best['on'].trainer_tokens} with it; packing dropped or repeated tokens"
        )
    ratio = best["on"].tokens_per_second / best["off"].tokens_per_second
    ratio_grouped = best["on"].tokens_per_second / best["grouped"].tokens_per_second
    sides = {
        side: {
            "useful_tokens_per_s": round(item.tokens_per_second, 1),
            "best_seconds": round(item.seconds, 3),
            "all_seconds": [round(x.seconds, 3) for x in rounds[side]],
            "prepare_seconds": round(item.prepare_seconds, 3),
            "useful_tokens": item.trainer_tokens,
            "processed_tokens": item.collated_slots,
            "padding_fraction": round(1 - item.collated_useful / item.collated_slots, 4),
            "loss_tokens": item.loss_tokens,
            "steps": item.steps,
            "train_rows": item.rows,
            "padding_free": item.padding_free,
            "packing_strategy": item.packing_strategy,
        }
        for side, item in best.items()
    }
    return {
        "examples": n_examples,
        "repeats": repeats,
        "max_length": max_length,
        "batch_size": batch_size,
        "method": method,
        "bf16": resolve_bf16(base.bf16),
        "threads": threads_used,
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "packing_mode": sides["on"]["packing_strategy"] + (" + padding_free (one row per batch)" if sides["on"]["padding_free"] else " + one row per packed sequence"),
        **contamination,
        "sides": sides,
        "ratio": round(ratio, 3),
        "ratio_vs_grouped": round(ratio_grouped, 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
    }


def format_report(result: dict[str, Any]) -> str:
    """The figures as a short table, the ratio and the verdict."""
    from tabulate import tabulate

    if "skipped" in result:
        return f"training_packing skipped: {result['skipped']}"
    headers = ["packing", "useful tok/s", "best s", "rounds s", "useful tok", "processed tok", "padding", "steps"]
    headers.append("rows")
    table = [
        [
            side,
            f"{s['useful_tokens_per_s']:,.0f}",
            f"{s['best_seconds']:.2f}",
            " ".join(f"{x:.2f}" for x in s["all_seconds"]),
            f"{s['useful_tokens']:,}",
            f"{s['processed_tokens']:,}",
            f"{s['padding_fraction']:.1%}",
            s["steps"],
            s["train_rows"],
        ]
        for side, s in result["sides"].items()
    ]
    verdict = "MEETS" if result["meets_target"] else "MISSES"
    return "\n".join(
        [
            f"SFT packing on SNIPS: {result['examples']} examples, 1 epoch, {result['method']}, batch "
            f"{result['batch_size']}, max_length {result['max_length']}, bf16={result['bf16']}, "
            f"{result['threads']} torch thread(s), on {result.get('device', 'cpu')}, best of {result['repeats']} "
            "interleaved rounds",
            f"Packing mode: {result['packing_mode']}; attention {result['attn_implementation']}; "
            f"contamination-free: {result['contamination_free']} (packed vs alone max |dlogit| "
            f"{result['contamination_max_abs_diff']:.2e}; without position_ids it would be "
            f"{result['leaky_reference_max_abs_diff']:.2e})",
            tabulate(table, headers=headers, tablefmt="github"),
            f"Useful tokens/s, packed / padded: {result['ratio']:.2f}x (goal >= {result['target_ratio']:.0f}x): "
            + verdict,
            f"Useful tokens/s, packed / padded length-grouped batches (the platform's default): "
            f"{result['ratio_vs_grouped']:.2f}x",
        ]
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.training_packing", description=__doc__.split("\n")[0])
    parser.add_argument("--snips-dir", type=Path, default=SNIPS_DIR, help="folder holding SNIPS train.jsonl")
    parser.add_argument("--examples", type=int, default=2000, help="SNIPS queries trained on (one epoch)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved rounds per side; the best is kept")
    parser.add_argument("--max-length", type=int, default=256, help="SFTSettings.max_length (packed row length)")
    parser.add_argument("--batch-size", type=int, default=16, help="SFTSettings.batch_size")
    parser.add_argument("--method", choices=["lora", "full"], default="lora", help="SFTSettings.method")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--padding-free", action="store_true", help="SFTSettings.padding_free: one concatenated row per batch")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    return parser


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its report and return its figures."""
    args = _parser().parse_args(argv)
    result = run_benchmark(
        snips_dir=args.snips_dir,
        n_examples=args.examples,
        repeats=args.repeats,
        max_length=args.max_length,
        batch_size=args.batch_size,
        method=args.method,
        threads=args.threads,
        seed=args.seed,
        padding_free=args.padding_free,
    )
    print(format_report(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
