"""What the CLI prints when a job or its configuration fails: the cause, not a wrapper or a traceback."""

import dagster as dg
import pytest

from finetune_platform.cli import _root_error, ingest_all
from finetune_platform.settings import Settings


def test_a_failed_step_is_summarised_by_what_the_asset_raised() -> None:
    @dg.asset
    def broken() -> None:
        raise ValueError("source 'x': path pattern 'nothere/*.jsonl' matched no files")

    result = dg.materialize([broken], raise_on_error=False)
    error = next(e for e in result.all_events if e.is_step_failure).event_specific_data.error
    assert "DagsterExecutionStepExecutionError" in error.message  # what was printed before
    assert _root_error(error) == "ValueError: source 'x': path pattern 'nothere/*.jsonl' matched no files"


def test_a_bad_sources_file_is_a_message_not_a_traceback(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sources.yaml").write_text("sources:\n  - {name: intents, path: x/*.csv, fromat: csv}\n")
    with pytest.raises(SystemExit) as exit_info:
        ingest_all(Settings.for_root(tmp_path))
    message = str(exit_info.value)
    assert "sources.yaml" in message and "format" in message and "intents" in message


def test_serve_without_a_registry_or_with_a_missing_index_says_so(tmp_path, monkeypatch, capsys) -> None:
    """No traceback, no empty mlflow.db left behind, and nothing loaded before the check."""
    from finetune_platform.cli import main

    monkeypatch.setenv("FINETUNE_PLATFORM_HOME", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    (tmp_path / "data").mkdir()
    assert main(["serve", "--knowledge-index", str(tmp_path / "nope")]) == 2
    assert "--knowledge-index: " in capsys.readouterr().err
    assert main(["serve"]) == 2
    assert "serve: no model registry at" in capsys.readouterr().err
    assert not (tmp_path / "mlflow.db").exists()


@pytest.mark.parametrize("command", [["specialists"], ["sweep"]])
def test_specialists_and_sweep_before_any_retrain_say_what_to_run(tmp_path, monkeypatch, command) -> None:
    from finetune_platform.cli import main
    from finetune_platform.settings import PACKAGE_ROOT

    monkeypatch.setenv("FINETUNE_PLATFORM_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / ".dagster_home"))
    (tmp_path / "data").mkdir()
    for name in ("specialists.yaml", "sweep.yaml"):
        (tmp_path / "data" / name).write_text((PACKAGE_ROOT / "data" / name).read_text())
    with pytest.raises(SystemExit, match=r"training_set, domain_adapted_model not materialized yet .* run retrain_job first"):
        main(command)
