"""MLflow experiment tracking that always closes its runs.

Everything goes through an ``MlflowClient`` bound to this tracker's URI: no ``mlflow.set_tracking_uri``,
no active-run stack, so two trackers with different URIs (or a test next to a real run) never see each
other's state. A run is opened by :meth:`MlflowTracker.start_run` and ends when its ``with`` block does:
FINISHED on success, FAILED on an exception, KILLED on an interrupt (STACK.md trap 4).

MLflow is imported when a tracker is built, not when this module is: it costs about a second.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from mlflow import MlflowClient

logger = logging.getLogger(__name__)

#: MLflow's limits (mlflow.utils.validation), repeated here so that flattening needs no mlflow import.
MAX_PARAM_VALUE_CHARS = 6000
MAX_KEY_CHARS = 250
MAX_TAG_VALUE_CHARS = 8000
TRUNCATION_MARK = "...[truncated]"


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(TRUNCATION_MARK)] + TRUNCATION_MARK


def _short_key(key: str) -> str:
    """Keys over MLflow's limit keep their start and get a hash of the whole, so they stay distinct."""
    if len(key) <= MAX_KEY_CHARS:
        return key
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return f"{key[: MAX_KEY_CHARS - 9]}~{digest}"


def flatten_params(params: Mapping[str, Any] | BaseModel | Any, prefix: str = "") -> dict[str, str]:
    """Nested settings as flat MLflow params: ``{"lora": {"r": 8}}`` -> ``{"lora.r": "8"}``.

    Pydantic models and dataclasses are expanded like mappings; lists are JSON; ``None`` is ``"None"``.
    Values longer than MLflow accepts are cut and marked with ``...[truncated]``.
    """
    if isinstance(params, BaseModel):
        params = params.model_dump(mode="json")
    elif dataclasses.is_dataclass(params) and not isinstance(params, type):
        params = dataclasses.asdict(params)
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping, pydantic model or dataclass, got {type(params).__name__}")
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, (Mapping, BaseModel)) or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
            flat.update(flatten_params(value, prefix=f"{name}."))
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
            text = json.dumps(items, default=str, ensure_ascii=False)
        else:
            text = str(value)
        flat[_short_key(name)] = _truncate(text, MAX_PARAM_VALUE_CHARS)
    return flat


@dataclass(frozen=True)
class RunSummary:
    """What a finished (or running) MLflow run recorded."""

    run_id: str
    run_name: str
    experiment_id: str
    status: str
    params: dict[str, str]
    metrics: dict[str, float]  #: the latest value of each metric
    tags: dict[str, str]
    artifact_uri: str
    start_time: int | None  #: ms since the epoch
    end_time: int | None


class TrackedRun:
    """An open run: log to it inside ``with tracker.start_run(...) as run:``."""

    def __init__(self, tracker: "MlflowTracker", run_id: str) -> None:
        self.tracker = tracker
        self.run_id = run_id

    @property
    def url(self) -> str:
        return self.tracker.run_url(self.run_id)

    def log_params(self, params: Mapping[str, Any] | BaseModel | Any) -> dict[str, str]:
        """Log (flattened, truncated) params; returns what was logged."""
        from mlflow.entities import Param

        flat = flatten_params(params)
        self.tracker.client.log_batch(self.run_id, params=[Param(k, v) for k, v in flat.items()])
        return flat

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Log numeric metrics at ``step`` (0 when not given)."""
        from mlflow.entities import Metric

        timestamp = int(time.time() * 1000)
        entries = []
        for key, value in metrics.items():
            if isinstance(value, (str, bytes)) or not hasattr(value, "__float__"):
                raise TypeError(f"metric {key!r} must be a number, got {type(value).__name__} {value!r}")
            entries.append(Metric(_short_key(key), float(value), timestamp, int(step or 0)))
        self.tracker.client.log_batch(self.run_id, metrics=entries)

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        self.log_metrics({key: value}, step=step)

    def log_history(self, key: str, history: Sequence[tuple[int, float]]) -> None:
        """Log ``key`` at each ``(step, value)`` of ``history`` (in batches of MLflow's 1,000-metric limit)."""
        from mlflow.entities import Metric

        timestamp = int(time.time() * 1000)
        entries = [Metric(_short_key(key), float(value), timestamp, int(step)) for step, value in history]
        for start in range(0, len(entries), 1000):
            self.tracker.client.log_batch(self.run_id, metrics=entries[start:start + 1000])

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        from mlflow.entities import RunTag

        self.tracker.client.log_batch(
            self.run_id, tags=[RunTag(_short_key(k), _truncate(str(v), MAX_TAG_VALUE_CHARS)) for k, v in tags.items()]
        )

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> str:
        """Copy a file or a folder into the run's artifacts; returns the artifact path it landed at.

        A folder keeps its name (``checkpoints/`` lands at ``checkpoints/...``) unless ``artifact_path``
        says otherwise.
        """
        path = Path(path)
        if path.is_dir():
            target = artifact_path if artifact_path is not None else path.name
            self.tracker.client.log_artifacts(self.run_id, str(path), artifact_path=target)
            return target
        if path.is_file():
            self.tracker.client.log_artifact(self.run_id, str(path), artifact_path=artifact_path)
            return f"{artifact_path}/{path.name}" if artifact_path else path.name
        raise FileNotFoundError(f"cannot log artifact {path}: it does not exist")

    def log_dict(self, data: Mapping[str, Any] | list[Any], artifact_file: str) -> None:
        """Write ``data`` as a JSON (or YAML, by extension) artifact, e.g. an evaluation report."""
        self.tracker.client.log_dict(self.run_id, data, artifact_file)


class MlflowTracker:
    """One experiment on one tracking server (or SQLite database).

    ``artifact_root`` is where the experiment's artifacts go when this tracker creates it (without it
    MLflow writes ``./mlruns`` in the current directory: STACK.md trap 3). ``ui_url`` is the address of
    an MLflow UI over the same store, used for run links when the tracking URI itself is not a server.
    """

    def __init__(
        self,
        tracking_uri: str,
        experiment_name: str,
        artifact_root: Path | str | None = None,
        ui_url: str | None = None,
    ) -> None:
        from mlflow import MlflowClient

        if not tracking_uri:
            raise ValueError("tracking_uri is empty; use e.g. sqlite:///path/to/mlflow.db or http://host:5000")
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.artifact_root = self._artifact_location(artifact_root)
        self.ui_url = ui_url.rstrip("/") if ui_url else None
        self.client: MlflowClient = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        self._experiment_id: str | None = None

    @staticmethod
    def _artifact_location(artifact_root: Path | str | None) -> str | None:
        if artifact_root is None:
            return None
        text = str(artifact_root)
        if "://" in text:
            return text
        return str(Path(text).expanduser().resolve())

    @property
    def experiment_id(self) -> str:
        """The experiment's id; created (with ``artifact_root``) on first use, restored if deleted."""
        if self._experiment_id is None:
            experiment = self.client.get_experiment_by_name(self.experiment_name)
            if experiment is None:
                self._experiment_id = self.client.create_experiment(
                    self.experiment_name, artifact_location=self.artifact_root
                )
            else:
                if experiment.lifecycle_stage == "deleted":
                    logger.warning("MLflow experiment %r was deleted; restoring it", self.experiment_name)
                    self.client.restore_experiment(experiment.experiment_id)
                if self.artifact_root and experiment.artifact_location.removeprefix("file://") != self.artifact_root:
                    logger.warning(
                        "MLflow experiment %r keeps its artifacts at %s, not the configured %s (an experiment's "
                        "artifact location is fixed when it is created)",
                        self.experiment_name,
                        experiment.artifact_location,
                        self.artifact_root,
                    )
                self._experiment_id = experiment.experiment_id
        return self._experiment_id

    @contextmanager
    def start_run(
        self,
        run_name: str,
        tags: Mapping[str, Any] | None = None,
        parent_run_id: str | None = None,
    ) -> Iterator[TrackedRun]:
        """Open a run for the ``with`` block and always end it.

        FINISHED when the block completes, FAILED when it raises an ``Exception`` (the error is kept in the
        ``error`` tag), KILLED on ``KeyboardInterrupt`` or another interrupt; the exception propagates.
        ``parent_run_id`` nests the run under another (one training pipeline, several stages).
        """
        all_tags = {str(k): _truncate(str(v), MAX_TAG_VALUE_CHARS) for k, v in (tags or {}).items()}
        if parent_run_id:
            all_tags["mlflow.parentRunId"] = parent_run_id
        run = self.client.create_run(self.experiment_id, run_name=run_name, tags=all_tags)
        handle = TrackedRun(self, run.info.run_id)
        status = "FAILED"
        try:
            yield handle
            status = "FINISHED"
        except Exception as exc:
            self.client.set_tag(handle.run_id, "error", _truncate(f"{type(exc).__name__}: {exc}", MAX_TAG_VALUE_CHARS))
            raise
        except BaseException:
            status = "KILLED"
            raise
        finally:
            self.client.set_terminated(handle.run_id, status)

    def run_url(self, run_id: str) -> str:
        """A link to the run: the UI page when a server is known, otherwise the run's artifact folder."""
        is_server = self.tracking_uri.startswith(("http://", "https://"))
        base = self.ui_url or (self.tracking_uri.rstrip("/") if is_server else None)
        run = self.client.get_run(run_id)
        if base:
            return f"{base}/#/experiments/{run.info.experiment_id}/runs/{run_id}"
        return run.info.artifact_uri

    def get_run(self, run_id: str) -> RunSummary:
        run = self.client.get_run(run_id)
        return RunSummary(
            run_id=run.info.run_id,
            run_name=run.info.run_name,
            experiment_id=run.info.experiment_id,
            status=run.info.status,
            params=dict(run.data.params),
            metrics=dict(run.data.metrics),
            tags=dict(run.data.tags),
            artifact_uri=run.info.artifact_uri,
            start_time=run.info.start_time,
            end_time=run.info.end_time,
        )

    def metric_history(self, run_id: str, key: str) -> list[tuple[int, float]]:
        """``(step, value)`` pairs of one metric, in step order (e.g. to check that a loss falls)."""
        history = self.client.get_metric_history(run_id, key)
        return sorted((int(m.step), float(m.value)) for m in history)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[str]:
        """Artifact paths directly under ``path`` in the run."""
        return [f.path for f in self.client.list_artifacts(run_id, path)]

