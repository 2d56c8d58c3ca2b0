"""Int8 dynamic quantization on CPU: its accuracy cost and its speed, on a tiny model fine-tuned to classify.

The question (issue): "optional int8 dynamic quantization on CPU with its accuracy cost measured".

The model is built the way the platform builds it, with the plain functions the Dagster assets call (no
Dagster here): the demo corpus (``generate_demo_corpus``) -> ``ingest_sources`` -> ``curate`` ->
``build_instruction_examples`` (classify task only, to keep the fine-tune short) -> ``split_examples`` ->
``build_tiny_model`` (the platform's tiny Llama, pretrained on the train split's tickets and replies) ->
``train_sft`` (full fine-tune) -> ``load_causal_lm`` (fp32, as evaluation and the server load it).

Then the same held-out test examples go through two models:

- ``fp32``: the fine-tuned model as loaded;
- ``int8``: a copy quantized exactly as the server does it (``RegistryBackend.quantize``:
  ``torch.ao.quantization.quantize_dynamic`` on every ``torch.nn.Linear``, int8 weights, activations
  quantized per batch).

Figures: classification accuracy (``evaluate_classification``: greedy generation, first line, normalised)
and the accuracy delta; the share of examples whose prediction changed; batched throughput (examples/s
through ``evaluate_classification``, batch 32) and single-request latency (p50 of one-prompt greedy
generations of the label, batch 1), best of ``repeats`` interleaved rounds with ``threads`` torch threads;
and the serialized ``state_dict`` size. Speed ratios are int8 / fp32 (above 1: int8 faster).

About 3-4 minutes on 2 shared cores with the defaults (most of it training).

Run: ``.venv/bin/python -m bench.quantization [--tickets 1200] [--sft-steps 300] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import copy
import io
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from tabulate import tabulate

from finetune_platform.curation import CurationSettings, curate
from finetune_platform.datasets.split import SplitSettings, split_examples
from finetune_platform.evaluation.generation import generate, load_causal_lm
from finetune_platform.evaluation.metrics import evaluate_classification
from finetune_platform.formats.instructions import (
    FormatSettings,
    build_instruction_examples,
    normalise_label,
    pretraining_corpus,
)
from finetune_platform.ingest import ingest_sources
from finetune_platform.ingest.demo_data import demo_sources, generate_demo_corpus
from finetune_platform.serving.server import RegistryBackend
from finetune_platform.training.sft import SFTSettings, train_sft
from finetune_platform.training.tiny_model import TinyModelSettings, build_tiny_model

#: The two variants measured, in report order.
VARIANTS: tuple[str, ...] = ("fp32", "int8")


def build_classifier(
    workdir: Path,
    n_tickets: int,
    tiny: TinyModelSettings,
    sft: SFTSettings,
    seed: int = 0,
) -> dict[str, Any]:
    """Run the platform's data and training stages into ``workdir``; return the model and the test split.

    Returns ``{"model", "tokenizer", "test", "counts", "n_params", "pretrain_seconds", "sft_seconds",
    "final_train_loss", "sft_steps"}``; ``test`` holds the held-out ``classify`` examples.
    """
    raw = workdir / "raw"
    generate_demo_corpus(raw, n_tickets=n_tickets, seed=seed)
    records = ingest_sources(demo_sources(), raw).records
    curated = curate(records, CurationSettings()).records
    examples = build_instruction_examples(curated, FormatSettings(tasks=["classify"]))
    splits = split_examples(examples, SplitSettings())
    if splits["test"].empty or splits["train"].empty:
        raise ValueError(
            f"{n_tickets} demo tickets gave {len(splits['train'])} train and {len(splits['test'])} test examples; "
            "raise --tickets so both splits are non-empty."
        )
    base = build_tiny_model(pretraining_corpus(splits["train"]), tiny, workdir / "base")
    result = train_sft(base.path, splits["train"], splits["validation"], sft, workdir / "sft")
    model, tokenizer = load_causal_lm(base.path, result.model_path)
    return {
        "model": model,
        "tokenizer": tokenizer,
        "test": splits["test"],
        "counts": {name: int(len(df)) for name, df in splits.items()},
        "n_params": base.n_params,
        "pretrain_seconds": round(base.seconds, 1),
        "sft_seconds": round(result.train_seconds, 1),
        "sft_steps": result.global_step,
        "final_train_loss": float(result.final_train_loss) if result.final_train_loss is not None else float("nan"),
    }


def quantized_copy(model: Any, tokenizer: Any) -> Any:
    """An int8 dynamically quantized copy of ``model``, made by the server's own ``RegistryBackend.quantize``."""
    backend = RegistryBackend(copy.deepcopy(model), tokenizer, name="bench", version="0")
    backend.quantize()
    return backend.model


def state_dict_bytes(model: Any) -> int:
    """Size of ``torch.save(model.state_dict())``: packed int8 weights count as what they store."""
    import torch

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.tell()


def _single_latencies_ms(model: Any, tokenizer: Any, prompts: list[str], max_new_tokens: int) -> list[float]:
    latencies = []
    for prompt in prompts:
        started = time.perf_counter()
        generate(model, tokenizer, [prompt], max_new_tokens=max_new_tokens, batch_size=1)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def run_benchmark(
    n_tickets: int = 1200,
    tiny: TinyModelSettings | None = None,
    sft: SFTSettings | None = None,
    max_eval: int = 200,
    latency_prompts: int = 30,
    repeats: int = 2,
    threads: int = 1,
    seed: int = 0,
) -> dict[str, Any]:
    """Build and fine-tune the classifier, then measure fp32 and int8 on the same test examples."""
    import torch

    if repeats < 1 or max_eval < 1 or latency_prompts < 1 or threads < 1:
        raise ValueError(
            f"repeats, max_eval, latency_prompts and threads must be >= 1; got {repeats}, {max_eval}, "
            f"{latency_prompts}, {threads}."
        )
    tiny = tiny or TinyModelSettings(pretrain_steps=100)
    sft = sft or SFTSettings(method="full", max_steps=300, batch_size=16, save_steps=10_000, logging_steps=25)
    torch.set_num_threads(threads)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_quantization_") as tmp:
        built = build_classifier(Path(tmp), n_tickets, tiny, sft, seed)
    build_seconds = time.perf_counter() - started
    torch.set_num_threads(threads)  # training may have changed it

    tokenizer = built["tokenizer"]
    test = built["test"].head(max_eval).reset_index(drop=True)
    models = {"fp32": built["model"], "int8": quantized_copy(built["model"], tokenizer)}
    # The same generation budget evaluate_classification gives: the longest label's tokens plus two.
    labels = {normalise_label(label) for label in test["label"]}
    longest = max(len(tokenizer(label, add_special_tokens=False)["input_ids"]) for label in labels)
    prompts = test["prompt"].head(latency_prompts).tolist()

    accuracy: dict[str, float] = {}
    predictions: dict[str, pd.DataFrame] = {}
    batch_seconds: dict[str, list[float]] = {v: [] for v in VARIANTS}
    latencies: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for variant, model in models.items():  # warm-up (one-time allocations, kernel selection), untimed
        _single_latencies_ms(model, tokenizer, prompts[:2], longest + 2)
    for _ in range(repeats):
        for variant, model in models.items():
            t0 = time.perf_counter()
            accuracy[variant], predictions[variant] = evaluate_classification(model, tokenizer, test, batch_size=32)
            batch_seconds[variant].append(time.perf_counter() - t0)
            round_latencies = _single_latencies_ms(model, tokenizer, prompts, longest + 2)
            if not latencies[variant] or statistics.median(round_latencies) < statistics.median(latencies[variant]):
                latencies[variant] = round_latencies

    throughput = {v: len(test) / min(batch_seconds[v]) for v in VARIANTS}
    p50 = {v: statistics.median(latencies[v]) for v in VARIANTS}
    changed = int((predictions["fp32"]["prediction"] != predictions["int8"]["prediction"]).sum())
    size = {v: state_dict_bytes(models[v]) for v in VARIANTS}
    return {
        "examples": int(len(test)),
        "labels": int(test["label"].nunique()),
        "splits": built["counts"],
        "n_params": built["n_params"],
        "sft_steps": built["sft_steps"],
        "final_train_loss": built["final_train_loss"],
        "build_seconds": round(build_seconds, 1),
        "pretrain_seconds": built["pretrain_seconds"],
        "sft_seconds": built["sft_seconds"],
        "threads": threads,
        "repeats": repeats,
        "accuracy": {v: round(accuracy[v], 4) for v in VARIANTS},
        "accuracy_delta": round(accuracy["int8"] - accuracy["fp32"], 4),
        "predictions_changed": changed,
        "throughput": {v: round(throughput[v], 1) for v in VARIANTS},
        "throughput_ratio": round(throughput["int8"] / throughput["fp32"], 3),
        "latency_p50_ms": {v: round(p50[v], 2) for v in VARIANTS},
        "latency_ratio": round(p50["fp32"] / p50["int8"], 3),
        "latency_prompts": len(prompts),
        "state_dict_bytes": size,
        "size_ratio": round(size["int8"] / size["fp32"], 3),
    }


def format_report(result: dict[str, Any]) -> str:
    """The human-readable table and summary lines for a :func:`run_benchmark` result."""
    table = tabulate(
        [
            [
                v,
                f"{result['accuracy'][v]:.3f}",
                f"{result['throughput'][v]:,.1f}",
                f"{result['latency_p50_ms'][v]:.2f}",
                f"{result['state_dict_bytes'][v] / 1e6:.2f}",
            ]
            for v in VARIANTS
        ],
        headers=["model", "accuracy", "examples/s (batch 32)", "p50 ms (batch 1)", "state_dict MB"],
        tablefmt="github",
        disable_numparse=True,
    )
    splits = result["splits"]
    return "\n".join(
        [
            f"Int8 dynamic quantization (Linear layers, torch.ao quantize_dynamic) vs fp32 on a "
            f"{result['n_params'] / 1e6:.2f}M-parameter tiny Llama, fully fine-tuned {result['sft_steps']} steps "
            f"(final train loss {result['final_train_loss']:.4f}) on {splits['train']} classify examples; "
            f"built in {result['build_seconds']:.0f} s",
            f"{result['examples']} held-out test examples ({result['labels']} labels), {result['threads']} torch "
            f"thread(s), best of {result['repeats']} interleaved rounds; latency over {result['latency_prompts']} prompts",
            "",
            table,
            "",
            f"Accuracy delta, int8 - fp32: {result['accuracy_delta']:+.4f} "
            f"({result['predictions_changed']} of {result['examples']} predictions changed)",
            f"Speed, int8 vs fp32 (above 1: int8 faster): throughput {result['throughput_ratio']:.2f}x, "
            f"single-request latency {result['latency_ratio']:.2f}x; state_dict size int8 / fp32 {result['size_ratio']:.2f}x",
        ]
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.quantization", description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1200, help="demo tickets to generate (~1.03 records each)")
    parser.add_argument("--pretrain-steps", type=int, default=100, help="tiny model pretraining steps")
    parser.add_argument("--hidden-size", type=int, default=128, help="tiny model width")
    parser.add_argument("--layers", type=int, default=4, help="tiny model transformer blocks")
    parser.add_argument("--vocab-size", type=int, default=3000, help="tiny model BPE vocabulary")
    parser.add_argument("--sft-steps", type=int, default=300, help="full fine-tuning steps")
    parser.add_argument("--max-eval", type=int, default=200, help="held-out test examples evaluated at most")
    parser.add_argument("--latency-prompts", type=int, default=30, help="prompts timed one at a time")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved timing rounds; the fastest counts")
    parser.add_argument("--threads", type=int, default=1, help="torch threads while measuring")
    parser.add_argument("--seed", type=int, default=0, help="seed of the demo corpus")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its report and return its figures."""
    args = _parser().parse_args(argv)
    tiny = TinyModelSettings(
        pretrain_steps=args.pretrain_steps,
        hidden_size=args.hidden_size,
        num_layers=args.layers,
        intermediate_size=4 * args.hidden_size,
        vocab_size=args.vocab_size,
    )
    sft = SFTSettings(
        method="full", max_steps=args.sft_steps, batch_size=16, save_steps=10_000, logging_steps=max(1, args.sft_steps // 10)
    )
    result = run_benchmark(
        n_tickets=args.tickets,
        tiny=tiny,
        sft=sft,
        max_eval=args.max_eval,
        latency_prompts=args.latency_prompts,
        repeats=args.repeats,
        threads=args.threads,
        seed=args.seed,
    )
    print(format_report(result))
    return result


if __name__ == "__main__":
    main()
