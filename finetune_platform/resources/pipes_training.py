"""Run training in a separate process through Dagster Pipes.

The training process (``finetune_platform.training.entrypoint``) can crash, be killed or run under
torchrun with several ranks without taking the Dagster run worker with it, and its per-step metrics still
arrive as they happen: each logged step is a Dagster log line ("step N: loss=...") and a Pipes custom
message; the result is the materialization the child reports (metadata: model_path, global_step,
final_train_loss, eval_loss, loss_history, ...).

``run_training_subprocess`` is the function an asset calls; ``PipesTrainingResource`` is the same as a
configurable resource (launcher and process count set per deployment, not per asset).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg

from finetune_platform.training.deepspeed_config import check_compatible
from finetune_platform.training.launch import (
    ERROR_FILE,
    DAPTRequest,
    DPORequest,
    Launcher,
    LaunchSpec,
    SFTRequest,
    build_command,
    build_env,
    parse_request,
    read_error,
)


def tail_whole_lines(path: str | Path, should_stop: Callable[[], bool]) -> Iterator[str]:
    """Each complete line appended to ``path`` until ``should_stop()`` holds once the file is read to its end.

    What Dagster's own tailing lacks: ``readline`` at the end of a file returns the part of a line written so far
    when the writer is still copying it (a line across a page boundary lands in two steps), and parsing that part
    fails. Here a part waits for the rest of its line; a last line without its newline is yielded at the end.
    """
    with open(path, encoding="utf-8") as stream:
        pending = ""
        while True:
            chunk = stream.readline()
            if chunk:
                pending += chunk
                if pending.endswith("\n"):
                    yield pending
                    pending = ""
            elif should_stop():
                if pending.strip():
                    yield pending
                return
            else:
                time.sleep(0.01)


class WholeLineFileMessageReader(dg.PipesFileMessageReader):
    """Dagster's file message reader, reading whole lines only (:func:`tail_whole_lines`).

    With Dagster's reader a message read half-written fails ``json.loads``, the reader thread dies and every later
    message of the run is lost, the result among them: ``make demo`` failed that way once on 2026-12-07 ("the
    training process ... exited without reporting a result" after a JSONDecodeError in the reader thread). Overrides
    the reader thread (Dagster's is private, so this follows its body: parse, hand over, report a failure).
    """

    def _reader_thread(self, handler: Any, is_resource_complete: Any) -> None:
        try:
            for line in tail_whole_lines(self._path, is_resource_complete.is_set):
                handler.handle_message(json.loads(line))
        except BaseException:
            handler.report_pipes_framework_exception(f"{self.__class__.__name__} reader thread", sys.exc_info())
            raise


class WholeLineTempFileMessageReader(dg.PipesTempFileMessageReader):
    """Dagster's temporary-file message reader with :class:`WholeLineFileMessageReader` behind it."""

    @contextmanager
    def read_messages(self, handler: Any) -> Iterator[dict[str, Any]]:
        with tempfile.TemporaryDirectory() as tempdir:
            reader = WholeLineFileMessageReader(
                os.path.join(tempdir, "messages"), include_stdio_in_messages=self._include_stdio_in_messages
            )
            with reader.read_messages(handler) as params:
                yield params


def run_training_subprocess(
    context: dg.AssetExecutionContext | dg.OpExecutionContext,
    spec: LaunchSpec,
    params: SFTRequest | DAPTRequest | DPORequest | dict[str, Any],
    client: dg.PipesSubprocessClient | None = None,
) -> dict[str, Any]:
    """Train in a child process started as ``spec`` says and wait for it.

    Returns ``{"result": <the entrypoint's result summary>, "steps": [{"step", "metrics"}, ...],
    "materialize_result": dg.MaterializeResult | None}``; the last is the child's materialization when
    ``context`` is an asset's (return it, or build on its metadata). Raises ``RuntimeError`` naming the
    child's exception when the process fails (Dagster's Pipes error, which has the exit code alone, is its
    cause), and ``RuntimeError`` when it exits cleanly without reporting a result.
    """
    request = parse_request(params)
    if request.deepspeed_config_path is not None:
        config_path = Path(request.deepspeed_config_path)
        if not config_path.is_file():
            raise FileNotFoundError(f"DeepSpeed config {config_path} does not exist; write it before launching")
        check_compatible(json.loads(config_path.read_text()), request.settings)
    command = build_command(spec)
    context.log.info(f"launching training: {' '.join(command)}")
    error_file = Path(request.output_dir) / ERROR_FILE
    error_file.unlink(missing_ok=True)  # an earlier attempt's
    try:
        invocation = (client or dg.PipesSubprocessClient(message_reader=WholeLineTempFileMessageReader())).run(
            context=context,
            command=command,
            env=build_env(spec, deepspeed=request.deepspeed_config_path is not None),
            extras=request.to_params(),
        )
    except Exception as error:  # Dagster's DagsterPipesExecutionError (not exported) when the child failed
        # The child's own exception, not just its exit code, in the step failure (and the MLflow run's error):
        # the file was removed before the launch, so one there now is this attempt's.
        why = read_error(Path(request.output_dir))
        if why is None:
            raise
        raise RuntimeError(f"training {request.stage} in {request.output_dir} failed: {why}") from error
    messages = [m for m in invocation.get_custom_messages() if isinstance(m, dict)]
    results = [m for m in messages if m.get("kind") == "result"]
    if not results:
        raise RuntimeError(
            f"the training process for {request.output_dir} exited without reporting a result; "
            "check its output in the run's logs"
        )
    result = {k: v for k, v in results[-1].items() if k != "kind"}
    steps = [{"step": m["step"], "metrics": m["metrics"]} for m in messages if m.get("kind") == "step"]
    materialize_result = None
    if context.has_assets_def:
        materialize_result = invocation.get_materialize_result()
    return {"result": result, "steps": steps, "materialize_result": materialize_result}


class PipesTrainingResource(dg.ConfigurableResource):
    """Where and how training processes are launched (one process, torchrun or DeepSpeed's launcher)."""

    launcher: Launcher = "python"
    nproc_per_node: int = 1
    torch_extensions_dir: str | None = None
    omp_num_threads: int | None = None
    cpu_only: bool = False

    def spec(self) -> LaunchSpec:
        """A fresh ``LaunchSpec`` (with a newly chosen free rendezvous port)."""
        return LaunchSpec(
            launcher=self.launcher,
            nproc_per_node=self.nproc_per_node,
            torch_extensions_dir=self.torch_extensions_dir,
            omp_num_threads=self.omp_num_threads,
            cpu_only=self.cpu_only,
        )

    def train(
        self,
        context: dg.AssetExecutionContext | dg.OpExecutionContext,
        params: SFTRequest | DAPTRequest | DPORequest | dict[str, Any],
    ) -> dict[str, Any]:
        """``run_training_subprocess`` with this resource's launch settings."""
        return run_training_subprocess(context, self.spec(), params)
