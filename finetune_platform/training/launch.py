"""How to start a training process: the request it reads, its command line and its environment.

Plain Python, no Dagster: the Dagster side (``resources/pipes_training.py``) hands what this module
builds to ``dg.PipesSubprocessClient``; a person debugging runs the same command by hand with
``--params-file``. Three launchers:

- ``python``: one process. With a DeepSpeed config it still needs the torch.distributed variables
  (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), or DeepSpeed goes looking for mpi4py;
  ``build_env`` sets them.
- ``torchrun``: ``nproc_per_node`` processes on this machine (``python -m torch.distributed.run``, so the
  interpreter of this virtualenv is used, not whichever ``torchrun`` is first on PATH).
- ``deepspeed``: DeepSpeed's own launcher; it passes ``--local_rank`` to the script, which the entrypoint
  accepts.

On a machine without CUDA the ranks talk over gloo (DeepSpeed's CPU accelerator falls back to it when
oneCCL is not installed; accelerate picks it for multi-CPU runs).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from finetune_platform.training.dapt import DAPTSettings
from finetune_platform.training.dpo import DPOSettings
from finetune_platform.training.sft import SFTSettings

if TYPE_CHECKING:
    from finetune_platform.training.presets import LaunchSettings

ENTRYPOINT_MODULE = "finetune_platform.training.entrypoint"

Launcher = Literal["python", "torchrun", "deepspeed"]


def free_port() -> int:
    """A TCP port that is free on this machine right now (for the rendezvous of one job)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LaunchSpec(BaseModel):
    """How many processes to start and with which launcher.

    ``master_port`` defaults to a port free when the spec is made, so concurrent jobs on one machine do
    not collide on torch's default 29500.
    """

    launcher: Launcher = Field("python", description="python (one process), torchrun, or deepspeed's launcher.")
    nproc_per_node: int = Field(1, ge=1, le=64, description="Processes (ranks) on this machine.")
    master_addr: str = Field("127.0.0.1", description="Rendezvous address of rank 0.")
    master_port: int = Field(default_factory=free_port, ge=1024, le=65_535, description="Rendezvous port.")
    python: str = Field(sys.executable, description="Interpreter that runs the launcher and the training script.")
    torch_extensions_dir: str | None = Field(
        None, description="Where DeepSpeed compiles its C++ ops (TORCH_EXTENSIONS_DIR); None: torch's default in ~."
    )
    omp_num_threads: int | None = Field(
        None, ge=1, le=1024, description="OpenMP/torch threads per process (OMP_NUM_THREADS); None: leave unset."
    )
    cpu_only: bool = Field(False, description="Hide GPUs (CUDA_VISIBLE_DEVICES='') and use DeepSpeed's CPU accelerator.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables for every rank.")

    @model_validator(mode="after")
    def _consistent(self) -> "LaunchSpec":
        if self.launcher == "python" and self.nproc_per_node != 1:
            raise ValueError(
                f"launcher='python' starts one process but nproc_per_node={self.nproc_per_node}; "
                "use launcher='torchrun' (or 'deepspeed') for several processes"
            )
        return self


class MlflowTarget(BaseModel):
    """An MLflow run the training process logs its per-step metrics to as they happen."""

    tracking_uri: str = Field(description="MLflow tracking URI (sqlite:///..., http://host:5000).")
    run_id: str = Field(description="The run, created by the orchestrator, that the metrics belong to.")
    prefix: str = Field("", description="Prepended to every metric name (e.g. 'dpo.').")


class _Request(BaseModel):
    """Fields every stage's request has."""

    model_config = ConfigDict(extra="forbid")

    base_model_path: str = Field(description="Hugging Face model folder the stage starts from.")
    train_path: str = Field(description="Parquet file of the stage's training data.")
    output_dir: str = Field(description="Where checkpoints, the model and the result JSON go; reused to resume.")
    deepspeed_config_path: str | None = Field(None, description="DeepSpeed JSON config; None: no DeepSpeed.")
    mlflow: MlflowTarget | None = Field(None, description="Stream per-step metrics to this MLflow run (rank 0).")

    def to_params(self) -> dict:
        """JSON-ready form, as sent through Pipes extras or written to a params file."""
        return self.model_dump(mode="json")


class SFTRequest(_Request):
    """Supervised fine-tuning on prompt/completion pairs (``train_path``: columns prompt, completion)."""

    stage: Literal["sft"] = "sft"
    validation_path: str | None = Field(None, description="Parquet of validation pairs; None: no eval loss.")
    settings: SFTSettings = Field(default_factory=SFTSettings, description="How to fine-tune.")


class DAPTRequest(_Request):
    """Continued pretraining on raw text (``train_path``: column text)."""

    stage: Literal["dapt"] = "dapt"
    validation_path: str | None = Field(None, description="Parquet of held-out documents; None: no perplexity.")
    settings: DAPTSettings = Field(default_factory=DAPTSettings, description="How to continue pretraining.")


class DPORequest(_Request):
    """Preference alignment of the SFT result (``train_path``: columns prompt, chosen, rejected)."""

    stage: Literal["dpo"] = "dpo"
    sft_model_path: str = Field(description="The SFT result: an adapter folder on base_model_path, or a full model.")
    settings: DPOSettings = Field(default_factory=DPOSettings, description="How to align.")


#: Any stage's request; ``stage`` says which (``parse_request`` validates one).
TrainingRequest = Annotated[SFTRequest | DAPTRequest | DPORequest, Field(discriminator="stage")]
_REQUEST_ADAPTER: TypeAdapter = TypeAdapter(TrainingRequest)


def parse_request(data: Any) -> SFTRequest | DAPTRequest | DPORequest:
    """A request from a dict or JSON text (Pipes extras, ``--params-file``) or an existing request object.

    Without a ``stage`` field the request is SFT's (hand-written params files from before stages existed).
    """
    if isinstance(data, _Request):
        return data
    if isinstance(data, (str, bytes)):
        data = json.loads(data)
    if isinstance(data, dict) and "stage" not in data:
        data = {**data, "stage": "sft"}
    return _REQUEST_ADAPTER.validate_python(data)


def write_params_file(request: SFTRequest | DAPTRequest | DPORequest, path: Path) -> Path:
    """Write ``request`` as JSON for ``--params-file`` (running the entrypoint without Dagster)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(request.to_params(), indent=2))
    return path


def build_command(spec: LaunchSpec, module: str = ENTRYPOINT_MODULE, args: list[str] | None = None) -> list[str]:
    """The argv that starts ``module`` under ``spec.launcher`` (``args`` are passed to the module)."""
    script_args = list(args or [])
    if spec.launcher == "python":
        return [spec.python, "-m", module, *script_args]
    if spec.launcher == "torchrun":
        return [
            spec.python, "-m", "torch.distributed.run",
            "--nnodes", "1",
            "--nproc_per_node", str(spec.nproc_per_node),
            "--master_addr", spec.master_addr,
            "--master_port", str(spec.master_port),
            "--module", module,
            *script_args,
        ]  # fmt: skip
    return [
        spec.python, "-m", "deepspeed.launcher.runner",
        "--num_gpus", str(spec.nproc_per_node),
        "--master_addr", spec.master_addr,
        "--master_port", str(spec.master_port),
        "--module", module,
        *script_args,
    ]  # fmt: skip


def build_env(spec: LaunchSpec, deepspeed: bool = False) -> dict[str, str]:
    """Environment variables to add to the parent's environment for the training process.

    ``deepspeed`` says whether the run uses a DeepSpeed config; with the plain ``python`` launcher that is
    when the single process must be told it is rank 0 of a world of 1 (torchrun and deepspeed's launcher
    set these variables per rank themselves).
    """
    env: dict[str, str] = {
        "PYTHONUNBUFFERED": "1",  # per-step log lines reach the orchestrator as they happen
        "TOKENIZERS_PARALLELISM": "false",  # no fork warnings from the Rust tokenizer's thread pool
    }
    if spec.omp_num_threads is not None:
        env["OMP_NUM_THREADS"] = str(spec.omp_num_threads)
    if spec.torch_extensions_dir is not None:
        env["TORCH_EXTENSIONS_DIR"] = spec.torch_extensions_dir
    if spec.cpu_only:
        env["CUDA_VISIBLE_DEVICES"] = ""
        env["DS_ACCELERATOR"] = "cpu"
    if spec.launcher == "python" and deepspeed:
        env.update(
            RANK="0",
            LOCAL_RANK="0",
            WORLD_SIZE="1",
            LOCAL_WORLD_SIZE="1",
            MASTER_ADDR=spec.master_addr,
            MASTER_PORT=str(spec.master_port),
        )
    env.update(spec.env)
    return env


def prepare_launch(
    request: SFTRequest | DAPTRequest | DPORequest,
    launch: "LaunchSettings",
    *,
    threads: int | None = None,
    torch_extensions_dir: str | None = None,
) -> tuple[SFTRequest | DAPTRequest | DPORequest, LaunchSpec]:
    """What an orchestrator needs to start ``request`` as ``launch`` says: the request (with its DeepSpeed
    config written to ``output_dir/deepspeed.json`` when ``launch.zero_stage`` is 2 or 3) and the spec.

    Without CUDA the ranks run on the CPU (DeepSpeed's CPU accelerator, gloo); ``threads`` sets the torch
    threads of each rank (None: torch's default).
    """
    import torch

    from finetune_platform.training.deepspeed_config import deepspeed_config_for, write_deepspeed_config

    if launch.zero_stage:
        config = deepspeed_config_for(
            request.settings,
            zero_stage=launch.zero_stage,
            offload=launch.offload,
            gather_16bit_weights_on_model_save=launch.gather_16bit_weights_on_model_save,
        )
        path = write_deepspeed_config(config, Path(request.output_dir) / "deepspeed.json")
        request = request.model_copy(update={"deepspeed_config_path": str(path)})
    spec = LaunchSpec(
        launcher=launch.launcher,
        nproc_per_node=launch.nproc_per_node,
        omp_num_threads=threads,
        cpu_only=bool(launch.zero_stage) and not torch.cuda.is_available(),
        torch_extensions_dir=torch_extensions_dir,
    )
    return request, spec


#: Where a training process that failed leaves its exception, for the launching step to report.
ERROR_FILE = "training_error.json"


def record_error(output_dir: Path, error: BaseException) -> None:
    """Write ``error`` (type and message) to ``output_dir``/:data:`ERROR_FILE`, best effort."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        temporary = output_dir / f".{ERROR_FILE}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps({"type": type(error).__name__, "message": str(error)}), encoding="utf-8")
        os.replace(temporary, output_dir / ERROR_FILE)
    except OSError:
        pass


def read_error(output_dir: Path) -> str | None:
    """``"Type: message"`` of the exception a failed training process recorded in ``output_dir``, if any."""
    try:
        data = json.loads((Path(output_dir) / ERROR_FILE).read_text())
    except (OSError, ValueError):
        return None
    return f"{data.get('type', 'Error')}: {data.get('message', '')}"
