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
import socket
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from finetune_platform.training.sft import SFTSettings

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


class TrainingRequest(BaseModel):
    """What the training process is asked to do: the Pipes extras (or ``--params-file``) it reads."""

    stage: Literal["sft"] = Field("sft", description="Training stage; only supervised fine-tuning today.")
    base_model_path: str = Field(description="Hugging Face model folder to fine-tune.")
    train_path: str = Field(description="Parquet file of training examples (prompt/completion columns).")
    validation_path: str | None = Field(None, description="Parquet file of validation examples; None: no eval loss.")
    settings: SFTSettings = Field(default_factory=SFTSettings, description="How to fine-tune.")
    output_dir: str = Field(description="Where checkpoints, the model and sft_result.json go; reused to resume.")
    deepspeed_config_path: str | None = Field(None, description="DeepSpeed JSON config; None: no DeepSpeed.")

    def to_params(self) -> dict:
        """JSON-ready form, as sent through Pipes extras or written to a params file."""
        return self.model_dump(mode="json")


def write_params_file(request: TrainingRequest, path: Path) -> Path:
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
