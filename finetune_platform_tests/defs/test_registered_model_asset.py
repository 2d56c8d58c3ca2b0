"""registered_model: promotion is decided on the champion as it is after registering, and a retry of the step
reuses the version it registered (the registry is a fake here; e2e/test_loop.py registers for real)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import dagster as dg

from finetune_platform.defs import deploy as deploy_defs
from finetune_platform.resources import build_resources
from finetune_platform.resources.platform import RegistryResource
from finetune_platform.serving.registry import CHALLENGER, CHAMPION, ModelVersionInfo
from finetune_platform.settings import Settings


class FakeRegistry:
    model_name = "support-assistant"

    def __init__(self, champion: int | None = None, on_register: Callable[["FakeRegistry"], None] | None = None):
        self.tags: dict[int, dict[str, str]] = {}
        self.alias: dict[str, int] = {}
        self.on_register = on_register
        self.client = SimpleNamespace(update_model_version=lambda *args, **kwargs: None)
        if champion is not None:
            for _ in range(champion):
                self.tags[len(self.tags) + 1] = {}
            self.alias[CHAMPION] = champion

    def _info(self, version: int) -> ModelVersionInfo:
        aliases = sorted(a for a, v in self.alias.items() if v == version)
        return ModelVersionInfo(self.model_name, version, "run", "src", dict(self.tags[version]), aliases)

    def list_versions(self) -> list[ModelVersionInfo]:
        return [self._info(v) for v in sorted(self.tags)]

    def register(self, run_id: str, base: str, model: str, metrics: dict, tags: dict) -> ModelVersionInfo:
        version = len(self.tags) + 1
        self.tags[version] = {k: str(v) for k, v in tags.items()}
        if self.on_register is not None:
            self.on_register(self)  # what happens elsewhere while the model is copied
        return self._info(version)

    def set_alias(self, version: int, alias: str) -> None:
        self.alias[alias] = version

    def get_by_alias(self, alias: str) -> ModelVersionInfo | None:
        return self._info(self.alias[alias]) if alias in self.alias else None

    def get_version(self, version: int) -> ModelVersionInfo:
        return self._info(version)


def _materialize(root: Path, monkeypatch, registry: FakeRegistry) -> dg.ExecuteInProcessResult:
    monkeypatch.setattr(RegistryResource, "registry", lambda self: registry)
    resources = build_resources(Settings.for_root(root))
    with resources["mlflow"].tracker().start_run("sft_adapter") as run:
        mlflow_run_id = run.run_id
    model_path = str(root / "candidate")
    report = {"models": {"base": {"accuracy": 0.1}, "candidate": {"accuracy": 0.9, "perplexity": 2.0},
                         "champion (v1)": {"accuracy": 0.5}},
              "gate": {"passed": True, "reason": "ok"}, "champion_gate": {"passed": True, "reason": "ok"},
              "champion_version": 1, "candidate_model_path": model_path}

    @dg.asset(name="aligned_adapter")
    def aligned_adapter() -> dict[str, Any]:
        return {"model_path": model_path, "base_model_path": str(root / "base"), "mlflow_run_id": mlflow_run_id,
                "dvc_md5": "f" * 32, "method": "lora", "global_step": 10, "final_train_loss": 0.5}

    @dg.asset(name="eval_report")
    def eval_report() -> dict[str, Any]:
        return report

    @dg.asset(name="base_model")
    def base_model() -> dict[str, Any]:
        return {"name_or_path": "tiny", "license": "apache-2.0", "source": "tiny", "n_params": 1000, "architecture": "llama"}

    @dg.asset(name="training_set")
    def training_set() -> dict[str, Any]:
        return {"dvc_md5": "f" * 32, "path": str(root / "ts"), "counts": {"train": 10}}

    return dg.materialize(
        [aligned_adapter, eval_report, base_model, training_set, deploy_defs.registered_model],
        resources={"registry": resources["registry"], "mlflow": resources["mlflow"]},
    )


def test_a_champion_moved_while_registering_is_not_overwritten(tmp_path: Path, monkeypatch) -> None:
    """The report scored champion v1; another run made v3 champion while this one copied its model (v2)."""

    def another_run_promotes(reg: FakeRegistry) -> None:
        reg.tags[len(reg.tags) + 1] = {}
        reg.alias[CHAMPION] = len(reg.tags)

    registry = FakeRegistry(champion=1, on_register=another_run_promotes)
    output = _materialize(tmp_path, monkeypatch, registry).output_for_node("registered_model")
    assert not output["promoted"] and "the champion is now v3" in output["reason"]
    assert registry.alias == {CHAMPION: 3, CHALLENGER: 2}


def test_without_a_race_the_better_candidate_is_promoted(tmp_path: Path, monkeypatch) -> None:
    registry = FakeRegistry(champion=1)
    output = _materialize(tmp_path, monkeypatch, registry).output_for_node("registered_model")
    assert output["promoted"] and registry.alias == {CHAMPION: 2, CHALLENGER: 2}


def test_a_retried_step_finds_the_version_its_run_registered(tmp_path: Path, monkeypatch) -> None:
    registry = FakeRegistry(champion=1)
    result = _materialize(tmp_path, monkeypatch, registry)
    version = result.output_for_node("registered_model")["version"]
    tags = registry.tags[version]
    assert tags["dagster.run_id"] == result.run_id and tags["candidate_model_path"] == str(tmp_path / "candidate")
    assert deploy_defs.registered_by(registry, result.run_id, str(tmp_path / "candidate")).version == version
    assert deploy_defs.registered_by(registry, "another-run", str(tmp_path / "candidate")) is None
    assert deploy_defs.registered_by(registry, result.run_id, str(tmp_path / "other")) is None
