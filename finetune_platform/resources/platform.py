"""Resources: where the platform keeps things, MLflow, DVC, the model registry, the log store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg

from finetune_platform.settings import Settings


class PlatformResource(dg.ConfigurableResource):
    """The project root: data, artifacts and caches live under it."""

    root: str

    def settings(self) -> Settings:
        return Settings.for_root(self.root)

    @property
    def root_path(self) -> Path:
        return Path(self.root)


class MlflowResource(dg.ConfigurableResource):
    """MLflow tracking: one run per training or evaluation stage, always closed."""

    tracking_uri: str
    experiment_name: str = "finetune-platform"
    artifact_root: str

    def tracker(self):  # -> MlflowTracker (imported lazily: mlflow import is slow)
        from finetune_platform.training.tracking import MlflowTracker

        return MlflowTracker(self.tracking_uri, self.experiment_name, Path(self.artifact_root))


class DvcResource(dg.ConfigurableResource):
    """DVC repository that versions training sets, pushing to a remote."""

    repo_root: str
    remote_dir: str

    def repository(self):  # -> DvcRepository
        from finetune_platform.datasets.versioning import DvcRepository

        return DvcRepository(Path(self.repo_root), Path(self.remote_dir))


class RegistryResource(dg.ConfigurableResource):
    """The MLflow model registry holding the platform's model versions and aliases."""

    tracking_uri: str
    model_name: str = "support-assistant"

    def registry(self):  # -> ModelRegistry
        from finetune_platform.serving.registry import ModelRegistry

        return ModelRegistry(self.tracking_uri, self.model_name)


class LogStoreResource(dg.ConfigurableResource):
    """Production request/feedback log store (SQLite by default, Postgres by URL)."""

    url: str

    def store(self):  # -> LogStore
        from finetune_platform.monitoring.store import LogStore

        return LogStore(self.url)


def build_resources(settings: Settings) -> dict[str, Any]:
    """The resource set for one environment, every path derived from ``settings``."""
    return {
        "platform": PlatformResource(root=str(settings.root)),
        "mlflow": MlflowResource(
            tracking_uri=settings.mlflow_tracking_uri,
            artifact_root=str(settings.mlflow_artifact_root),
        ),
        "dvc": DvcResource(repo_root=str(settings.root), remote_dir=str(settings.dvc_remote)),
        "registry": RegistryResource(
            tracking_uri=settings.mlflow_tracking_uri, model_name=settings.model_name
        ),
        "log_store": LogStoreResource(url=settings.log_store_url),
    }
