"""The model side of the serving benchmarks (``serving_batching``, ``serving_cache``, ``serving_load``).

The demo-corpus texts (tokenizer corpus and prompts), the platform's tiny Llama built offline and loaded
for serving, torch's thread count and quiet server logs. The HTTP side is in :mod:`bench._http`.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._http import MODEL_NAME
from finetune_platform.serving.routing import CHAMPION
from finetune_platform.serving.server import RegistryBackend


def demo_texts(n_tickets: int = 400, seed: int = 0) -> list[str]:
    """Ticket texts of the platform's demo corpus (``generate_demo_corpus`` + ``ingest_sources``, in a
    temporary folder): the tokenizer's training corpus and the benchmark prompts."""
    from finetune_platform.ingest import ingest_sources
    from finetune_platform.ingest.demo_data import demo_sources, generate_demo_corpus

    with tempfile.TemporaryDirectory(prefix="bench_serving_corpus_") as tmp:
        generate_demo_corpus(Path(tmp), n_tickets=n_tickets, seed=seed)
        records = ingest_sources(demo_sources(), Path(tmp)).records
    texts = [t for t in records["text"].astype(str) if t.strip()]
    if not texts:
        raise RuntimeError(f"the demo corpus ({n_tickets} tickets, seed {seed}) gave no texts after ingest")
    return texts


@dataclass(frozen=True)
class TinyModel:
    """A tiny model loaded for serving, and what it is."""

    backend: RegistryBackend
    parameters: int
    hidden_size: int
    layers: int
    vocab_size: int
    seconds_to_build: float

    def describe(self) -> dict[str, Any]:
        return {
            "parameters": self.parameters,
            "hidden_size": self.hidden_size,
            "layers": self.layers,
            "vocab_size": self.vocab_size,
            "seconds_to_build": round(self.seconds_to_build, 2),
        }


def build_tiny_backend(
    corpus: list[str], folder: Path, hidden_size: int = 128, layers: int = 4, vocab_size: int = 1000,
    pretrain_steps: int = 0,
) -> TinyModel:
    """Build the platform's tiny Llama in ``folder`` (offline, ``build_tiny_model``) and load it for serving.

    ``intermediate_size`` is 4 x ``hidden_size`` and heads are ``hidden_size // 32`` (at least 2), as in
    the platform's default recipe (128 -> 4 heads, 512).
    """
    from finetune_platform.evaluation.generation import load_causal_lm
    from finetune_platform.training.tiny_model import TinyModelSettings, build_tiny_model

    started = time.perf_counter()
    settings = TinyModelSettings(
        vocab_size=vocab_size, hidden_size=hidden_size, num_layers=layers, num_heads=max(2, hidden_size // 32),
        intermediate_size=4 * hidden_size, max_position_embeddings=512, pretrain_steps=pretrain_steps,
        seq_len=128, bf16=False,
    )
    built = build_tiny_model(corpus, settings, folder)
    model, tokenizer = load_causal_lm(built.path)
    backend = RegistryBackend(model, tokenizer, name=MODEL_NAME, version="1", alias=CHAMPION)
    return TinyModel(backend, built.n_params, hidden_size, layers, len(tokenizer), time.perf_counter() - started)


def set_torch_threads(threads: int | None) -> int:
    """Set torch's intra-op threads for the model (None: ``FINETUNE_PLATFORM_TORCH_THREADS``, else 1);
    return the number set.

    One thread by default: on this shared 2-core machine torch's default (one thread per core) made the tiny
    model's generate about 60x slower whenever other processes were busy (threads spin-waiting for each
    other), which would measure the machine's load rather than the server.
    """
    import torch

    from finetune_platform.settings import torch_threads

    chosen = threads if threads is not None else (torch_threads() or 1)
    if chosen < 1:
        raise ValueError(f"torch threads must be at least 1, got {chosen}")
    torch.set_num_threads(chosen)
    return chosen


#: Loggers set to WARNING while a benchmark runs (per-request chatter); errors still show.
QUIET_LOGGERS: tuple[str, ...] = ("uvicorn", "uvicorn.error", "uvicorn.access", "finetune_platform.serving")


def quiet_server_logs() -> None:
    """Keep uvicorn's and the batcher's per-request chatter out of the benchmark report."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
