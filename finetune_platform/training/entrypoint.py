"""The training process: ``python -m finetune_platform.training.entrypoint [--params-file request.json]``.

Started by the Dagster side through Dagster Pipes (``resources/pipes_training.py``), directly or under
torchrun / DeepSpeed's launcher. It reads a ``launch.TrainingRequest`` from the Pipes extras, runs
``sft.train_sft``, streams every logged step back (a log line and a custom message
``{"kind": "step", "step", "metrics"}``), and reports the result as the asset materialization's
metadata plus a custom message ``{"kind": "result", ...}``. Only rank 0 talks to Dagster; the other ranks
read the same request from the Pipes context file and train silently.

Without Dagster (debugging), ``--params-file`` gives the request as JSON and progress is printed.

DeepSpeed: ``train_sft`` takes no DeepSpeed argument; it builds its ``trl.SFTConfig`` with
``sft.to_trl_config``. For a request with ``deepspeed_config_path`` this script wraps that one function for
the duration of the call so the config it returns carries ``deepspeed=<path>`` (``dataclasses.replace``,
which re-runs the Trainer arguments' own validation). The training code itself is unchanged.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
from accelerate.utils import get_int_from_env
from dagster_pipes import (
    PipesContext,
    PipesDefaultContextLoader,
    PipesEnvVarParamsLoader,
    open_dagster_pipes,
)

from finetune_platform.training import sft
from finetune_platform.training.callbacks import OnLog
from finetune_platform.training.launch import TrainingRequest

#: Written last into each checkpoint by the HF Trainer (``transformers.trainer.TRAINER_STATE_NAME``).
TRAINER_STATE_FILE = "trainer_state.json"

#: Result fields copied into the materialization metadata.
RESULT_METADATA_KEYS = (
    "model_path",
    "method",
    "global_step",
    "final_train_loss",
    "eval_loss",
    "resumed_from_checkpoint",
    "train_seconds",
    "train_tokens_per_second",
)


def global_rank() -> int:
    """This process's rank in the job (0 when not distributed), from the launcher's RANK variable."""
    return get_int_from_env(["RANK"], 0)


def _read_parquet(path: str | None, what: str) -> pd.DataFrame | None:
    if path is None:
        return None
    if not Path(path).is_file():
        raise FileNotFoundError(f"{what} {path} does not exist; write the examples as parquet there first")
    return pd.read_parquet(path)


@contextmanager
def deepspeed_enabled(config_path: str | None) -> Iterator[None]:
    """Within this block, ``sft.train_sft`` trains with the DeepSpeed config at ``config_path`` (None: no-op)."""
    if config_path is None:
        yield
        return
    if not Path(config_path).is_file():
        raise FileNotFoundError(f"DeepSpeed config {config_path} does not exist; write it with deepspeed_config.write_deepspeed_config")
    original = sft.to_trl_config

    def with_deepspeed(settings: sft.SFTSettings, output_dir: Path):
        return dataclasses.replace(original(settings, output_dir), deepspeed=str(config_path))

    with mock.patch.object(sft, "to_trl_config", with_deepspeed):
        yield


def _is_complete(checkpoint: Path) -> bool:
    """Whether the Trainer finished writing ``checkpoint``: it writes ``trainer_state.json`` last."""
    state = checkpoint / TRAINER_STATE_FILE
    if not state.is_file():
        return False
    try:
        json.loads(state.read_text())
    except json.JSONDecodeError:  # killed while writing the very last file
        return False
    return True


def discard_incomplete_checkpoints(output_dir: Path) -> list[str]:
    """Delete checkpoints a killed process left half-written; returns their names.

    The HF Trainer writes ``checkpoint-<step>`` in place (weights, optimizer, RNG, then the trainer state),
    and resuming picks the highest-numbered folder, so a ``kill -9`` during a save would otherwise make
    every later resume fail. Each is first renamed out of the ``checkpoint-<step>`` pattern (atomic, so
    several ranks doing this at once cannot both act on it), then deleted.
    """
    folder = Path(output_dir) / sft.CHECKPOINTS_DIR
    if not folder.is_dir():
        return []
    discarded = []
    for checkpoint in sorted(folder.glob("checkpoint-*")):
        if not checkpoint.is_dir() or _is_complete(checkpoint):
            continue
        doomed = folder / f"incomplete-{checkpoint.name}-{os.getpid()}"
        try:
            checkpoint.rename(doomed)
        except FileNotFoundError:  # another rank of the same job moved it first
            continue
        shutil.rmtree(doomed)
        discarded.append(checkpoint.name)
    return discarded


def run_request(request: TrainingRequest, on_log: OnLog | None = None) -> sft.SFTResult:
    """Train as ``request`` says (after discarding half-written checkpoints); what every rank runs."""
    if request.stage != "sft":
        raise ValueError(f"stage {request.stage!r} is not supported by this entrypoint; use 'sft'")
    discard_incomplete_checkpoints(Path(request.output_dir))
    train_df = _read_parquet(request.train_path, "train_path")
    eval_df = _read_parquet(request.validation_path, "validation_path")
    with deepspeed_enabled(request.deepspeed_config_path):
        result = sft.train_sft(
            Path(request.base_model_path),
            train_df,
            eval_df,
            request.settings,
            Path(request.output_dir),
            on_log=on_log,
        )
    return result


def result_summary(result: sft.SFTResult) -> dict[str, Any]:
    """The JSON-friendly result fields reported back (the whole loss history included)."""
    data = result.to_dict()
    summary = {key: data[key] for key in RESULT_METADATA_KEYS}
    summary["loss_history"] = [[step, loss] for step, loss in result.loss_history]
    return summary


def _pipes_reporter(pipes: PipesContext) -> OnLog:
    def on_log(step: int, metrics: dict[str, float]) -> None:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items()))
        pipes.log.info(f"step {step}: {shown}")
        pipes.report_custom_message({"kind": "step", "step": step, "metrics": metrics})

    return on_log


def _print_reporter(step: int, metrics: dict[str, float]) -> None:
    print(json.dumps({"kind": "step", "step": step, "metrics": metrics}), flush=True)


def _request_from_pipes_file() -> TrainingRequest:
    """The request from the Pipes context, read without opening the message channel (ranks > 0)."""
    params = PipesEnvVarParamsLoader().load_context_params()
    with PipesDefaultContextLoader().load_context(params) as data:
        return TrainingRequest.model_validate(data["extras"])


def _finish_distributed() -> None:
    """Wait for every rank and close the process group (a run aborted at exit without it)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, train, report; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params-file", type=Path, help="TrainingRequest JSON, to run without Dagster Pipes.")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=None, help="Set by DeepSpeed's launcher.")
    args = parser.parse_args(argv)
    rank = global_rank()

    if args.params_file is not None:
        request = TrainingRequest.model_validate_json(args.params_file.read_text())
        result = run_request(request, on_log=_print_reporter if rank == 0 else None)
        if rank == 0:
            print(json.dumps({"kind": "result", **result_summary(result)}), flush=True)
        _finish_distributed()
        return 0

    if not PipesEnvVarParamsLoader().is_dagster_pipes_process():
        parser.error("not started by Dagster Pipes (no DAGSTER_PIPES_* variables); pass --params-file request.json")

    if rank != 0:
        run_request(_request_from_pipes_file())
        _finish_distributed()
        return 0

    with open_dagster_pipes() as pipes:
        request = TrainingRequest.model_validate(pipes.extras)
        pipes.log.info(f"training {request.stage} ({request.settings.method}) into {request.output_dir}")
        result = run_request(request, on_log=_pipes_reporter(pipes))
        summary = result_summary(result)
        pipes.report_custom_message({"kind": "result", **summary})
        if pipes.is_asset_step:
            metadata = {k: v for k, v in summary.items() if v is not None and k != "loss_history"}
            metadata["model_path"] = {"raw_value": summary["model_path"], "type": "path"}
            metadata["loss_history"] = {"raw_value": {"loss_history": summary["loss_history"]}, "type": "json"}
            pipes.report_asset_materialization(metadata=metadata)
        _finish_distributed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
