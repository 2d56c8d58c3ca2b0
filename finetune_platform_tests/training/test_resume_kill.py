"""Crash safety: a training process killed with SIGKILL resumes from its last checkpoint when restarted.

Three processes of the real entrypoint (python launcher, ``--params-file``): an uninterrupted reference
run, a run killed with ``kill -9`` once it has written a checkpoint, and its restart in the same
output_dir. The restart must continue from the checkpoint's step (not 0), and end within 2% of the
reference's final loss (same seed, same data order).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from finetune_platform.training.launch import LaunchSpec, SFTRequest, build_command, build_env, write_params_file
from finetune_platform.training.sft import RESULT_FILE, SFTSettings, latest_checkpoint
from finetune_platform.training.tiny_model import build_tiny_model
from finetune_platform_tests.training.tiny_data import TINY, corpus, examples

MAX_STEPS = 300
SETTINGS = SFTSettings(
    method="full", lora_modules_to_save=[], max_steps=MAX_STEPS, batch_size=8, logging_steps=10, save_steps=20,
    save_total_limit=20, bf16=False, warmup_ratio=0.0, seed=0,
)  # fmt: skip
KILL_AFTER_STEP = 40
# save_total_limit covers every checkpoint of the run: train_sft re-reads the checkpoint it resumed from
# after training (token count, loss history) and fails with FileNotFoundError if rotation deleted it.


def _start(request: SFTRequest, params_path: Path) -> subprocess.Popen:
    write_params_file(request, params_path)
    spec = LaunchSpec(omp_num_threads=1)
    return subprocess.Popen(
        build_command(spec, args=["--params-file", str(params_path)]),
        env={**os.environ, **build_env(spec)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process: subprocess.Popen, timeout: float = 240) -> tuple[int, str]:
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def _result(output: str) -> dict:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith('{"kind": "result"')]
    assert len(lines) == 1, output[-3000:]
    return lines[0]


def _completed_step(output_dir: Path) -> int:
    """Step of the newest checkpoint the Trainer finished writing (0 when none)."""
    checkpoint = latest_checkpoint(output_dir)
    if checkpoint is None or not (checkpoint / "trainer_state.json").is_file():
        return 0
    return int(checkpoint.name.split("-")[1])


@pytest.mark.slow
def test_killed_training_resumes_from_its_checkpoint(tmp_path):
    examples().to_parquet(tmp_path / "train.parquet")
    base = build_tiny_model(corpus(), TINY, tmp_path / "tiny").path

    def request(name: str, settings: SFTSettings = SETTINGS) -> SFTRequest:
        return SFTRequest(
            base_model_path=str(base), train_path=str(tmp_path / "train.parquet"), settings=settings,
            output_dir=str(tmp_path / name),
        )  # fmt: skip

    reference = _start(request("reference"), tmp_path / "reference.json")
    victim = _start(request("killed"), tmp_path / "killed.json")
    deadline = time.monotonic() + 180
    while _completed_step(tmp_path / "killed") < KILL_AFTER_STEP:
        assert victim.poll() is None, f"training ended before it could be killed:\n{victim.communicate()[0][-3000:]}"
        assert time.monotonic() < deadline, "no checkpoint within 180 s"
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    killed_at = _completed_step(tmp_path / "killed")
    assert KILL_AFTER_STEP <= killed_at < MAX_STEPS
    assert not (tmp_path / "killed" / RESULT_FILE).exists()

    code, output = _finish(_start(request("killed"), tmp_path / "restart.json"))
    assert code == 0, output[-3000:]
    resumed = _result(output)
    code, output = _finish(reference)
    assert code == 0, output[-3000:]
    uninterrupted = _result(output)

    assert Path(resumed["resumed_from_checkpoint"]).name.startswith("checkpoint-")
    resumed_from = int(Path(resumed["resumed_from_checkpoint"]).name.split("-")[1])
    assert resumed_from >= killed_at  # the newest complete checkpoint, possibly one written just before the kill
    assert resumed["global_step"] == uninterrupted["global_step"] == MAX_STEPS
    steps = [step for step, _ in resumed["loss_history"]]
    assert steps == [1, *range(10, MAX_STEPS + 1, 10)]  # history continues across the kill, no step twice
    difference = abs(resumed["final_train_loss"] - uninterrupted["final_train_loss"]) / uninterrupted["final_train_loss"]
    print(
        f"killed at step {killed_at}, resumed from {resumed_from}; final loss {resumed['final_train_loss']:.5f} "
        f"vs uninterrupted {uninterrupted['final_train_loss']:.5f} ({difference:.3%})"
    )
    assert difference < 0.02

    # A changed configuration in the same folder is refused (it would mix two trainings) ...
    changed = SETTINGS.model_copy(update={"learning_rate": 5e-4})
    code, output = _finish(_start(request("killed", changed), tmp_path / "changed.json"))
    assert code != 0
    assert "from a different run (changed: ['settings.learning_rate'])" in output
    # ... and trains from step 0 in a folder of its own.
    fresh = SETTINGS.model_copy(update={"learning_rate": 5e-4, "max_steps": 20})
    code, output = _finish(_start(request("fresh", fresh), tmp_path / "fresh.json"))
    assert code == 0, output[-3000:]
    result = _result(output)
    assert result["resumed_from_checkpoint"] is None and result["global_step"] == 20
    assert [step for step, _ in result["loss_history"]] == [1, 10, 20]
