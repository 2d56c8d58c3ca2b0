"""The training process: ``python -m finetune_platform.training.entrypoint [--params-file request.json]``.

Started by the Dagster side through Dagster Pipes (``resources/pipes_training.py``), directly or under
torchrun / DeepSpeed's launcher. It reads a request (``launch.SFTRequest``, ``DAPTRequest`` or
``DPORequest``) from the Pipes extras, runs that stage's training function (``sft.train_sft``,
``dapt.train_dapt``, ``dpo.train_dpo``) with the request's DeepSpeed config, streams every logged step back
(a log line and a custom message ``{"kind": "step", "step", "metrics"}``, and, when the request names an
MLflow run, the metrics into that run as they happen), and reports the result as the asset
materialization's metadata plus a custom message ``{"kind": "result", ...}``. Only rank 0 talks to Dagster
and MLflow; the other ranks read the same request from the Pipes context file and train silently.

Without Dagster (debugging), ``--params-file`` gives the request as JSON and progress is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

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
from finetune_platform.training.launch import DAPTRequest, DPORequest, SFTRequest, parse_request, record_error

#: Written last into each checkpoint by the HF Trainer (``transformers.trainer.TRAINER_STATE_NAME``).
TRAINER_STATE_FILE = "trainer_state.json"

#: Result fields reported back (when the stage's result has them); histories are reported separately.
RESULT_METADATA_KEYS = (
    "model_path",
    "method",
    "global_step",
    "final_train_loss",
    "final_loss",
    "final_reward_accuracy",
    "eval_loss",
    "eval_perplexity",
    "resumed_from_checkpoint",
    "train_seconds",
    "seconds",
    "train_tokens_per_second",
    "tokens_per_second",
    "save_check",
    "prompts_too_long",
    "completions_cut",
)
#: Result fields that are JSON objects: reported as Dagster JSON metadata, not as scalars.
JSON_RESULT_KEYS = ("save_check", "prompts_too_long", "completions_cut")
HISTORY_KEYS = ("loss_history", "reward_accuracy_history", "reward_margin_history")

Request = SFTRequest | DAPTRequest | DPORequest


def global_rank() -> int:
    """This process's rank in the job (0 when not distributed), from the launcher's RANK variable."""
    return get_int_from_env(["RANK"], 0)


def _read_parquet(path: str | None, what: str) -> pd.DataFrame | None:
    if path is None:
        return None
    if not Path(path).is_file():
        raise FileNotFoundError(f"{what} {path} does not exist; write the examples as parquet there first")
    return pd.read_parquet(path)


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


def _deepspeed_config(request: Request) -> str | None:
    path = request.deepspeed_config_path
    if path is not None and not Path(path).is_file():
        raise FileNotFoundError(f"DeepSpeed config {path} does not exist; write it with deepspeed_config.write_deepspeed_config")
    return path


def run_request(request: Request, on_log: OnLog | None = None):
    """Train as ``request`` says (after discarding half-written checkpoints); what every rank runs.

    Returns the stage's result (``SFTResult``, ``DAPTResult`` or ``DPOResult``).
    """
    discard_incomplete_checkpoints(Path(request.output_dir))
    deepspeed = _deepspeed_config(request)
    train_df = _read_parquet(request.train_path, "train_path")
    if isinstance(request, SFTRequest):
        eval_df = _read_parquet(request.validation_path, "validation_path")
        return sft.train_sft(
            Path(request.base_model_path), train_df, eval_df, request.settings, Path(request.output_dir),
            on_log=on_log, deepspeed=deepspeed,
        )
    if isinstance(request, DAPTRequest):
        from finetune_platform.training.dapt import train_dapt

        documents = _text_column(train_df, request.train_path)
        held_out = _read_parquet(request.validation_path, "validation_path")
        return train_dapt(
            Path(request.base_model_path), documents, request.settings, Path(request.output_dir), on_log=on_log,
            eval_documents=_text_column(held_out, request.validation_path) if held_out is not None else None,
            deepspeed=deepspeed,
        )
    from finetune_platform.training.dpo import train_dpo

    return train_dpo(
        Path(request.base_model_path), Path(request.sft_model_path), train_df, request.settings,
        Path(request.output_dir), on_log=on_log, deepspeed=deepspeed,
    )


def _text_column(df: pd.DataFrame, path: str | None) -> list[str]:
    if "text" not in df.columns:
        raise ValueError(f"{path} has no 'text' column (columns: {list(df.columns)}); DAPT trains on raw text")
    return df["text"].astype(str).tolist()


def result_summary(result: Any) -> dict[str, Any]:
    """The JSON-friendly result fields reported back (whole histories included)."""
    data = result.to_dict()
    summary = {key: data[key] for key in RESULT_METADATA_KEYS if key in data}
    for key in HISTORY_KEYS:
        if key in data:
            summary[key] = [[step, value] for step, value in data[key]]
    return summary


def _mlflow_reporter(request: Request) -> OnLog | None:
    """Per-step metrics into the request's MLflow run, as they happen (None when it names none).

    A failing tracking server must not kill a long training run: errors are printed once and logging stops.
    """
    if request.mlflow is None:
        return None
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(tracking_uri=request.mlflow.tracking_uri)
    target = request.mlflow
    broken: list[str] = []

    def on_log(step: int, metrics: dict[str, float]) -> None:
        if broken:
            return
        now = int(time.time() * 1000)
        try:
            client.log_batch(
                target.run_id, metrics=[Metric(f"{target.prefix}{k}", float(v), now, step) for k, v in metrics.items()]
            )
        except Exception as error:  # noqa: BLE001 - tracking is best effort; the result is still reported
            broken.append(str(error))
            print(f"MLflow logging to run {target.run_id} failed, continuing without it: {error}", file=sys.stderr)

    return on_log


def _both(*reporters: OnLog | None) -> OnLog | None:
    active = [r for r in reporters if r is not None]
    if not active:
        return None

    def on_log(step: int, metrics: dict[str, float]) -> None:
        for reporter in active:
            reporter(step, metrics)

    return on_log


def _pipes_reporter(pipes: PipesContext) -> OnLog:
    def on_log(step: int, metrics: dict[str, float]) -> None:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items()))
        pipes.log.info(f"step {step}: {shown}")
        pipes.report_custom_message({"kind": "step", "step": step, "metrics": metrics})

    return on_log


def _print_reporter(step: int, metrics: dict[str, float]) -> None:
    print(json.dumps({"kind": "step", "step": step, "metrics": metrics}), flush=True)


def _request_from_pipes_file() -> Request:
    """The request from the Pipes context, read without opening the message channel (ranks > 0)."""
    params = PipesEnvVarParamsLoader().load_context_params()
    with PipesDefaultContextLoader().load_context(params) as data:
        return parse_request(data["extras"])


def _finish_distributed() -> None:
    """Wait for every rank and close the process group (a run aborted at exit without it)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def _exit_worker() -> None:
    """End a worker rank (> 0) right after its work, without the interpreter's teardown.

    A worker has nothing left to write: rank 0 saves the model and reports to Dagster. At teardown, library threads
    that were never joined (the process group's, DeepSpeed's) sometimes abort the process with "terminate called
    without an active exception" (exit code -6) after a successful run (seen in a CI run of the ZeRO-3 DPO test on
    2026-12-07), and the launcher then fails the whole step. ``os._exit`` skips that teardown; the output is flushed
    first.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, train, report; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params-file", type=Path, help="Request JSON (launch.SFTRequest etc.), to run without Dagster Pipes.")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=None, help="Set by DeepSpeed's launcher.")
    args = parser.parse_args(argv)
    rank = global_rank()

    if args.params_file is not None:
        request = parse_request(args.params_file.read_text())
        result = run_request(request, on_log=_both(_print_reporter, _mlflow_reporter(request)) if rank == 0 else None)
        if rank == 0:
            print(json.dumps({"kind": "result", **result_summary(result)}), flush=True)
        _finish_distributed()
        if rank != 0:
            _exit_worker()
        return 0

    if not PipesEnvVarParamsLoader().is_dagster_pipes_process():
        parser.error("not started by Dagster Pipes (no DAGSTER_PIPES_* variables); pass --params-file request.json")

    if rank != 0:
        run_request(_request_from_pipes_file())
        _finish_distributed()
        _exit_worker()
        return 0

    with open_dagster_pipes() as pipes:
        request = parse_request(pipes.extras)
        method = getattr(request.settings, "method", "full")
        pipes.log.info(f"training {request.stage} ({method}) into {request.output_dir}")
        try:
            result = run_request(request, on_log=_both(_pipes_reporter(pipes), _mlflow_reporter(request)))
        except Exception as error:
            # Dagster sees only the exit code of a failed child: the parent reads what went wrong from here
            record_error(Path(request.output_dir), error)
            raise
        summary = result_summary(result)
        pipes.report_custom_message({"kind": "result", **summary})
        if pipes.is_asset_step:
            metadata: dict[str, Any] = {
                k: v for k, v in summary.items() if v is not None and k not in HISTORY_KEYS and k not in JSON_RESULT_KEYS
            }
            metadata["model_path"] = {"raw_value": summary["model_path"], "type": "path"}
            for key in HISTORY_KEYS:
                if key in summary:
                    metadata[key] = {"raw_value": {key: summary[key]}, "type": "json"}
            for key in JSON_RESULT_KEYS:
                if summary.get(key):
                    metadata[key] = {"raw_value": summary[key], "type": "json"}
            pipes.report_asset_materialization(metadata=metadata)
        _finish_distributed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
