from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from finetune_platform.serving.registry import (
    ModelRegistry,
    RegistryLookupError,
    _prompts_from,
)
from finetune_platform.training.tracking import MlflowTracker


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """One SQLite store for the module: creating MLflow's tables takes about a second."""
    return tmp_path_factory.mktemp("registry")


@pytest.fixture
def tracker(store: Path) -> MlflowTracker:
    return MlflowTracker(f"sqlite:///{store / 'mlflow.db'}", "registry-tests", store / "artifacts")


@pytest.fixture
def registry(store: Path, request) -> ModelRegistry:
    return ModelRegistry(f"sqlite:///{store / 'mlflow.db'}", f"model-{request.node.name}")


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """Stand-in model folders: registration copies them but does not load them."""
    base, adapter = tmp_path / "base", tmp_path / "adapter"
    for folder in (base, adapter):
        folder.mkdir()
        (folder / "config.json").write_text("{}")
    return base, adapter


def _run(tracker: MlflowTracker) -> str:
    with tracker.start_run("sft") as run:
        run.log_metric("eval/accuracy", 0.5)
    return run.run_id


def test_register_creates_versions_with_metric_tags(registry, tracker, folders):
    base, adapter = folders
    run_id = _run(tracker)
    first = registry.register(run_id, base, adapter, metrics={"accuracy": 0.8}, tags={"dvc_md5": "abc.dir"})
    assert first.version == 1 and first.run_id == run_id
    assert first.metrics == {"accuracy": 0.8}
    assert first.tags["eval.accuracy"] == "0.8" and first.tags["dvc_md5"] == "abc.dir"
    assert first.aliases == []
    model_dir = Path(first.source)
    assert first.source.endswith("/model")
    assert (model_dir / "MLmodel").is_file()
    assert (model_dir / "artifacts" / "base" / "config.json").is_file()
    assert (model_dir / "artifacts" / "adapter" / "config.json").is_file()
    requirements = (model_dir / "requirements.txt").read_text()
    assert "torch==" in requirements and "transformers==" in requirements
    mlmodel = (model_dir / "MLmodel").read_text()
    assert "max_new_tokens" in mlmodel and "inputs: null" in mlmodel

    second = registry.register(run_id, base, None, metrics={"accuracy": 0.9})
    assert second.version == 2
    assert second.source.endswith("/model-2")  # the first version's files stay where they were
    assert not (Path(second.source) / "artifacts" / "adapter").exists()
    assert [v.version for v in registry.list_versions()] == [1, 2]


def test_register_rejects_bad_input(registry, tracker, folders, tmp_path):
    base, adapter = folders
    run_id = _run(tracker)
    with pytest.raises(FileNotFoundError, match="adapter folder"):
        registry.register(run_id, base, tmp_path / "missing")
    with pytest.raises(ValueError, match="only finite metrics"):
        registry.register(run_id, base, adapter, metrics={"accuracy": float("nan")})
    assert registry.list_versions() == []


def test_aliases_and_lookup(registry, tracker, folders):
    base, adapter = folders
    run_id = _run(tracker)
    assert registry.get_by_alias("champion") is None
    assert registry.aliases() == {}
    v1 = registry.register(run_id, base, adapter, metrics={"accuracy": 0.7})
    v2 = registry.register(run_id, base, adapter, metrics={"accuracy": 0.75})
    registry.set_alias(v1.version, "champion")
    registry.set_alias(v2.version, "canary")
    assert registry.get_by_alias("champion").version == 1
    assert registry.get_by_alias("champion").aliases == ["champion"]
    assert registry.aliases() == {"champion": 1, "canary": 2}
    registry.set_alias(v2.version, "champion")  # moving an alias
    assert registry.get_version(2).aliases == ["canary", "champion"]
    assert registry.get_version(1).aliases == []
    assert {v.version: v.aliases for v in registry.list_versions()} == {1: [], 2: ["canary", "champion"]}
    assert registry.resolve("2").version == registry.resolve(2).version == registry.resolve("canary").version == 2
    with pytest.raises(RegistryLookupError, match="has no version 9"):
        registry.set_alias(9, "champion")
    with pytest.raises(RegistryLookupError, match="alias 'nope'"):
        registry.resolve("nope")
    with pytest.raises(ValueError, match="look like version numbers"):
        registry.set_alias(1, "3")


def test_promotion_rules(registry, tracker, folders):
    base, adapter = folders
    run_id = _run(tracker)
    versions = [
        registry.register(run_id, base, adapter, metrics={"accuracy": acc, "loss": loss}).version
        for acc, loss in [(0.70, 1.0), (0.71, 0.9), (0.80, 0.8), (0.80, 0.8)]
    ]

    first = registry.promote_if_better(versions[0], "accuracy", margin=0.02)
    assert first.promoted and first.champion_version_before is None
    assert "no champion yet" in first.reason
    assert registry.aliases() == {"champion": 1, "challenger": 1}

    small_gain = registry.promote_if_better(versions[1], "accuracy", margin=0.02)
    assert not small_gain.promoted
    assert (small_gain.candidate_value, small_gain.champion_value) == (0.71, 0.70)
    assert small_gain.champion_version_before == 1
    assert "kept champion" in small_gain.reason and "margin 0.02" in small_gain.reason
    assert registry.aliases() == {"champion": 1, "challenger": 2}

    big_gain = registry.promote_if_better(versions[2], "accuracy", margin=0.02)
    assert big_gain.promoted and big_gain.champion_version_before == 1
    assert registry.aliases() == {"champion": 3, "challenger": 3}

    tie = registry.promote_if_better(versions[3], "accuracy", margin=0.0)
    assert not tie.promoted  # equal is not better
    assert registry.aliases() == {"champion": 3, "challenger": 4}

    same = registry.promote_if_better(versions[2], "accuracy")
    assert not same.promoted and "already the champion" in same.reason

    lower_loss = registry.promote_if_better(versions[1], "loss", margin=0.05, higher_is_better=False)
    assert not lower_loss.promoted  # 0.9 is worse than the champion's 0.8
    with pytest.raises(ValueError, match="no 'eval.f1' tag"):
        registry.promote_if_better(versions[1], "f1")
    with pytest.raises(ValueError, match="margin must be >= 0"):
        registry.promote_if_better(versions[1], "accuracy", margin=-1)


def test_champion_without_metric_is_not_replaced(registry, tracker, folders):
    base, adapter = folders
    run_id = _run(tracker)
    old = registry.register(run_id, base, adapter, metrics={"loss": 1.0})
    registry.set_alias(old.version, "champion")
    new = registry.register(run_id, base, adapter, metrics={"accuracy": 0.9})
    decision = registry.promote_if_better(new.version, "accuracy")
    assert not decision.promoted and "cannot be compared" in decision.reason
    assert registry.aliases() == {"champion": old.version, "challenger": new.version}


def test_prompts_from_accepts_frames_lists_and_strings():
    assert _prompts_from(pd.DataFrame({"example_id": ["a", "b"], "prompt": ["p1", "p2"]})) == ["p1", "p2"]
    assert _prompts_from(["p1"]) == ["p1"]
    assert _prompts_from("p") == ["p"]
    with pytest.raises(ValueError, match="no 'prompt' column"):
        _prompts_from(pd.DataFrame({"text": ["x"]}))
    with pytest.raises(ValueError, match="must be strings"):
        _prompts_from(["a", 3])


@pytest.mark.slow  # imports torch, transformers and peft: several seconds on a shared CPU
def test_registered_model_loads_and_answers_like_direct_generation(registry, tracker, tiny_base, tiny_adapter):
    from finetune_platform.evaluation.generation import generate, load_causal_lm

    run_id = _run(tracker)
    with_adapter = registry.register(run_id, tiny_base, tiny_adapter, metrics={"accuracy": 0.5}, max_new_tokens=6)
    base_only = registry.register(run_id, tiny_base, None, metrics={"accuracy": 0.4})
    registry.promote_if_better(with_adapter.version, "accuracy")

    prompts = ["### Task: classify\n### Ticket:\nmy card was charged twice\n### Category:\n", "where is my parcel"]
    model = registry.load("champion")
    answers = model.predict(pd.DataFrame({"example_id": ["e1", "e2"], "prompt": prompts}))
    lm, tokenizer = load_causal_lm(tiny_base, adapter_path=tiny_adapter)
    assert answers == generate(lm, tokenizer, prompts, max_new_tokens=6)
    assert len(answers) == 2 and all(isinstance(a, str) for a in answers)
    assert model.predict(prompts) == answers  # a plain list works too
    longer = model.predict(prompts, params={"max_new_tokens": 12})
    assert longer == generate(lm, tokenizer, prompts, max_new_tokens=12)

    base_answers = registry.load(base_only.version).predict(prompts, params={"max_new_tokens": 12})
    base_lm, base_tokenizer = load_causal_lm(tiny_base)
    assert base_answers == generate(base_lm, base_tokenizer, prompts, max_new_tokens=12)
    assert base_answers != longer  # the adapter changes what the model says
