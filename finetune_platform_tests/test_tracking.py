from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from finetune_platform.training.tracking import MAX_PARAM_VALUE_CHARS, MlflowTracker, flatten_params


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """One SQLite store for the module: creating MLflow's tables takes about a second."""
    return tmp_path_factory.mktemp("mlflow")


@pytest.fixture
def tracker(store: Path, request) -> MlflowTracker:
    return MlflowTracker(f"sqlite:///{store / 'mlflow.db'}", f"exp-{request.node.name}", store / "artifacts")


class _Lora(BaseModel):
    r: int = 8
    targets: list[str] = ["q_proj", "v_proj"]


class _Train(BaseModel):
    lr: float = 1e-3
    lora: _Lora = _Lora()


def test_flatten_params_nests_models_lists_and_truncates():
    flat = flatten_params({"train": _Train(), "note": "x" * 10_000, "path": Path("/a/b"), "none": None})
    assert flat["train.lr"] == "0.001"
    assert flat["train.lora.r"] == "8"
    assert flat["train.lora.targets"] == '["q_proj", "v_proj"]'
    assert flat["path"] == "/a/b" and flat["none"] == "None"
    assert len(flat["note"]) == MAX_PARAM_VALUE_CHARS and flat["note"].endswith("...[truncated]")
    long_keys = flatten_params({"k" * 300: 1, "k" * 299: 2})
    assert len(long_keys) == 2 and all(len(k) == 250 for k in long_keys)
    with pytest.raises(TypeError, match="must be a mapping"):
        flatten_params(["a"])


def test_run_finishes_and_records_everything(tracker: MlflowTracker, store: Path, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may land in the current directory (./mlruns)
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "weights.bin").write_bytes(b"w")
    (tmp_path / "report.txt").write_text("ok")
    with tracker.start_run("sft", tags={"stage": "sft", "dvc_md5": "abc.dir"}) as run:
        logged = run.log_params({"train": _Train(), "seed": 3})
        for step, loss in enumerate([2.0, 1.5, 1.2]):
            run.log_metrics({"train/loss": loss}, step=step)
        run.log_metric("eval/accuracy", 0.75)
        assert run.log_artifact(tmp_path / "ckpt") == "ckpt"
        assert run.log_artifact(tmp_path / "report.txt", "reports") == "reports/report.txt"
        run.log_dict({"accuracy": 0.75}, "eval/report.json")
        run_id = run.run_id
    assert logged["train.lora.r"] == "8"
    summary = tracker.get_run(run_id)
    assert summary.status == "FINISHED" and summary.end_time is not None
    assert summary.run_name == "sft"
    assert summary.params["train.lr"] == "0.001" and summary.params["seed"] == "3"
    assert summary.metrics == {"train/loss": 1.2, "eval/accuracy": 0.75}
    assert summary.tags["dvc_md5"] == "abc.dir"
    assert tracker.metric_history(run_id, "train/loss") == [(0, 2.0), (1, 1.5), (2, 1.2)]
    assert sorted(tracker.list_artifacts(run_id)) == ["ckpt", "eval", "reports"]
    assert summary.artifact_uri.startswith(str(store / "artifacts"))
    assert (Path(summary.artifact_uri) / "ckpt" / "weights.bin").read_bytes() == b"w"
    assert tracker.run_url(run_id) == summary.artifact_uri
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt", "report.txt"]


def test_run_fails_on_exception_and_keeps_error(tracker: MlflowTracker):
    with pytest.raises(RuntimeError, match="loss is nan"):
        with tracker.start_run("broken") as run:
            run.log_metric("train/loss", 1.0, step=0)
            raise RuntimeError("loss is nan")
    summary = tracker.get_run(run.run_id)
    assert summary.status == "FAILED"
    assert summary.tags["error"] == "RuntimeError: loss is nan"
    assert summary.metrics["train/loss"] == 1.0


def test_interrupt_marks_run_killed(tracker: MlflowTracker):
    with pytest.raises(KeyboardInterrupt):
        with tracker.start_run("stopped") as run:
            raise KeyboardInterrupt
    assert tracker.get_run(run.run_id).status == "KILLED"


def test_non_numeric_metric_is_rejected_with_name(tracker: MlflowTracker):
    with pytest.raises(TypeError, match="metric 'acc' must be a number"):
        with tracker.start_run("bad-metric") as run:
            run.log_metrics({"acc": "high"})
    assert tracker.get_run(run.run_id).status == "FAILED"


def test_nested_run_and_ui_url(store: Path):
    uri = f"sqlite:///{store / 'mlflow.db'}"
    tracker = MlflowTracker(uri, "nested", store / "artifacts", ui_url="http://localhost:5000/")
    with tracker.start_run("pipeline") as parent:
        with tracker.start_run("stage1", parent_run_id=parent.run_id) as child:
            pass
    assert tracker.get_run(child.run_id).tags["mlflow.parentRunId"] == parent.run_id
    assert child.url == f"http://localhost:5000/#/experiments/{tracker.experiment_id}/runs/{child.run_id}"


def test_trackers_with_different_stores_do_not_share_state(store: Path, tmp_path: Path):
    import mlflow

    default_uri = mlflow.get_tracking_uri()
    first = MlflowTracker(f"sqlite:///{store / 'mlflow.db'}", "isolation", store / "artifacts")
    second = MlflowTracker(f"sqlite:///{tmp_path / 'other.db'}", "isolation", tmp_path / "artifacts")
    with first.start_run("a") as run_a, second.start_run("b") as run_b:
        run_a.log_metric("m", 1.0)
        run_b.log_metric("m", 2.0)
    assert first.get_run(run_a.run_id).metrics == {"m": 1.0}
    assert second.get_run(run_b.run_id).metrics == {"m": 2.0}
    with pytest.raises(mlflow.exceptions.MlflowException, match="not found"):
        first.get_run(run_b.run_id)
    assert Path(second.get_run(run_b.run_id).artifact_uri).is_relative_to(tmp_path / "artifacts")
    assert mlflow.get_tracking_uri() == default_uri
    assert mlflow.active_run() is None


def test_existing_experiment_is_reused(store: Path, tracker: MlflowTracker):
    again = MlflowTracker(tracker.tracking_uri, tracker.experiment_name, store / "artifacts")
    assert again.experiment_id == tracker.experiment_id
    with pytest.raises(ValueError, match="tracking_uri is empty"):
        MlflowTracker("", "x")
