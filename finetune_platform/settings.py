"""The one place that reads the environment.

Every path the platform writes to is derived from one project root so that a test can point the whole
platform at a temporary folder. Nothing else in the package reads ``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The repository root when running from a checkout (``finetune_platform/`` sits right under it).
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Where the platform keeps data, models and tracking state.

    ``root`` defaults to the checkout (or ``FINETUNE_PLATFORM_HOME``); everything else hangs off it
    unless overridden by its own variable.
    """

    root: Path
    mlflow_tracking_uri: str
    dvc_remote: Path
    model_name: str
    log_store_url: str
    api_key: str | None = None
    #: the model server's /admin endpoints (kill switch, canary share); without it they are off whenever
    #: api_key is set: a client's key must not be able to move production traffic
    admin_api_key: str | None = None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def training_set_dir(self) -> Path:
        return self.data_dir / "training_set"

    @property
    def artifacts_dir(self) -> Path:
        """Model outputs, checkpoints and the tiny-model cache (git-ignored)."""
        return self.root / "artifacts"

    @property
    def knowledge_index_dir(self) -> Path:
        """Knowledge index versions (one folder each) and the ``CURRENT`` pointer the server follows."""
        return self.artifacts_dir / "knowledge_index"

    @property
    def mlflow_artifact_root(self) -> Path:
        return self.root / "mlartifacts"

    @property
    def production_dir(self) -> Path:
        return self.data_dir / "production"

    @property
    def rollout_state_path(self) -> Path:
        """The serving rollout state (canary share, kill switch) shared by the server and the CLI."""
        return self.production_dir / "rollout.json"

    @property
    def review_dir(self) -> Path:
        """Review queue exports (queue/) and reviewers' decision files (decisions/)."""
        return self.data_dir / "review"

    @property
    def failure_log(self) -> Path:
        """JSON Lines file where the run-failure sensor records failed pipeline runs."""
        return self.artifacts_dir / "run_failures.jsonl"

    @classmethod
    def for_root(cls, root: Path | str, model_name: str = "support-assistant") -> "Settings":
        """Settings with every path under ``root``: what tests use."""
        root = Path(root).resolve()
        return cls(
            root=root,
            mlflow_tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
            dvc_remote=root / ".dvc-storage",
            model_name=model_name,
            log_store_url=f"sqlite:///{root / 'data' / 'production' / 'logs.db'}",
        )


def load_settings() -> Settings:
    """Settings from the environment, defaulting to the checkout."""
    root = Path(os.environ.get("FINETUNE_PLATFORM_HOME", PACKAGE_ROOT)).resolve()
    base = Settings.for_root(root, os.environ.get("FINETUNE_PLATFORM_MODEL_NAME", "support-assistant"))
    return Settings(
        root=base.root,
        mlflow_tracking_uri=os.environ.get("MLFLOW_TRACKING_URI", base.mlflow_tracking_uri),
        dvc_remote=Path(os.environ.get("FINETUNE_PLATFORM_DVC_REMOTE", base.dvc_remote)),
        model_name=base.model_name,
        log_store_url=os.environ.get("FINETUNE_PLATFORM_LOG_STORE_URL", base.log_store_url),
        api_key=os.environ.get("FINETUNE_PLATFORM_API_KEY") or None,
        admin_api_key=os.environ.get("FINETUNE_PLATFORM_ADMIN_API_KEY") or None,
    )


def dagster_home(settings: Settings) -> Path:
    """The Dagster instance folder: ``DAGSTER_HOME`` or ``<root>/.dagster_home``."""
    return Path(os.environ.get("DAGSTER_HOME") or settings.root / ".dagster_home")


def pii_hmac_key() -> str | None:
    """The key of the log store's PII HMACs, from ``FINETUNE_PLATFORM_PII_HMAC_KEY`` (None: the store keeps
    a random key of its own; see ``monitoring.store.LogStore``)."""
    return os.environ.get("FINETUNE_PLATFORM_PII_HMAC_KEY") or None


def torch_threads() -> int | None:
    """Torch intra-op threads, from ``FINETUNE_PLATFORM_TORCH_THREADS`` (None: torch's default; ``serve``
    uses 1 then)."""
    value = os.environ.get("FINETUNE_PLATFORM_TORCH_THREADS")
    return int(value) if value else None


def torch_extensions_dir() -> str | None:
    """Where DeepSpeed compiles its C++ ops, from ``TORCH_EXTENSIONS_DIR`` (None: torch's default under ~);
    passed on to training processes (the Makefile keeps it in the project)."""
    return os.environ.get("TORCH_EXTENSIONS_DIR") or None
