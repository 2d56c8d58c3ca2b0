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


def test_ingest_runs_every_source_and_fails_at_the_end_one_line_per_failed_source(tmp_path, monkeypatch, capsys) -> None:
    """A source whose path matches nothing (listed first) no longer stops the sources after it: each is
    ingested, then the command fails with one line per failed source, without a traceback for that mistake."""
    import finetune_platform.cli as cli
    from finetune_platform.defs.partitions import SOURCE_PARTITIONS

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / ".dagster_home"))  # _instance sets it; restored after
    (tmp_path / "data" / "raw" / "good").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "good" / "a.csv").write_text("text,category\nMy card was charged twice,billing\n")
    (tmp_path / "data" / "raw" / "bad").mkdir()
    (tmp_path / "data" / "raw" / "bad" / "a.csv").write_text("text,category\nWhere is my parcel?,shipping\n")
    (tmp_path / "data" / "sources.yaml").write_text(
        "sources:\n"
        "  - {name: aaa-typo, path: goood/*.csv, format: csv, label_field: category}\n"
        "  - {name: broken, path: bad/*.csv, format: csv, label_field: category}\n"
        "  - {name: good, path: good/*.csv, format: csv, label_field: category}\n"
    )
    settings = Settings.for_root(tmp_path)
    real_run_job = cli.run_job

    def run_job(job_name, settings, partition_key=None, **kwargs):
        if partition_key == "broken":  # a run that fails for another reason
            raise cli.JobFailedError("ingest_job failed", "run-123", ["raw_corpus: OSError: disk full"])
        return real_run_job(job_name, settings, partition_key=partition_key, **kwargs)

    monkeypatch.setattr(cli, "run_job", run_job)
    with pytest.raises(SystemExit) as exit_info:
        cli.ingest_all(settings)
    message = str(exit_info.value)
    assert message.startswith("ingest_job failed for 2 of 3 sources (ingested: good):\n")
    lines = message.splitlines()[1:]
    assert len(lines) == 2
    assert lines[0].startswith("  source 'aaa-typo': path pattern 'goood/*.csv'") and "matched no files" in lines[0]
    assert lines[1] == "  source 'broken': raw_corpus: OSError: disk full (run run-123)"
    instance = cli._instance(settings)
    materialized = instance.get_materialized_partitions(dg.AssetKey("raw_corpus"))
    assert materialized == {"good"}
    assert set(instance.get_dynamic_partitions(SOURCE_PARTITIONS.name)) == {"aaa-typo", "broken", "good"}
    assert "Traceback" not in capsys.readouterr().err


def test_a_qualified_class_name_is_not_repeated_in_the_summary() -> None:
    class Error:
        cls_name = "NoFilesMatchedError"
        message = "finetune_platform.ingest.sources.NoFilesMatchedError: source 'a': path pattern 'x/*' matched no files\n"
        cause = None

    assert _root_error(Error()) == "NoFilesMatchedError: source 'a': path pattern 'x/*' matched no files"


def _broken_store(tmp_path, monkeypatch):
    """A home whose MLflow store is no database: an error no command expects (sqlalchemy's DatabaseError)."""
    monkeypatch.setenv("FINETUNE_PLATFORM_HOME", str(tmp_path))
    (tmp_path / "data").mkdir()
    (tmp_path / "mlflow.db").write_text("not a database\n")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")


def test_an_unexpected_error_is_one_line_and_a_hint_with_the_traceback_kept(tmp_path, monkeypatch, capsys) -> None:
    from finetune_platform.cli import ERROR_LOG_NAME, main

    _broken_store(tmp_path, monkeypatch)
    assert main(["lineage", "champion"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and 'File "' not in err
    first, hint = err.strip().splitlines()
    assert first.startswith("finetune-platform lineage: unexpected error: DatabaseError: ")
    assert "file is not a database" in first
    log = tmp_path / "artifacts" / ERROR_LOG_NAME
    assert f"--debug for the full traceback (this one is in {log})" in hint
    assert "Traceback (most recent call last)" in log.read_text() and "finetune-platform lineage" in log.read_text()


def test_ctrl_c_is_one_line_and_exit_status_130(monkeypatch, capsys) -> None:
    from finetune_platform import cli

    def interrupted(args) -> int:
        raise KeyboardInterrupt

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser.set_defaults(func=interrupted)
    for action in parser._subparsers._group_actions[0].choices.values():
        action.set_defaults(func=interrupted)
    assert cli.main(["lineage", "champion"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "finetune-platform lineage: interrupted"


@pytest.mark.parametrize("argv", [["--debug", "lineage", "champion"], ["lineage", "champion", "--debug"]])
def test_debug_raises_the_unexpected_error_with_its_traceback(tmp_path, monkeypatch, argv) -> None:
    from sqlalchemy.exc import DatabaseError

    from finetune_platform.cli import main

    _broken_store(tmp_path, monkeypatch)
    with pytest.raises(DatabaseError):
        main(argv)


def test_a_failed_step_in_a_cli_run_logs_its_error_without_the_stack_trace(capfd) -> None:
    """The console log of a run the CLI executes names what a failed step raised, without Dagster's frames
    (the summary after the run names the cause; --debug and the run's log in the UI keep the frames)."""
    from finetune_platform.cli import _console_logger_defs

    @dg.asset
    def broken() -> None:
        raise RuntimeError("no source has curated records yet")

    defs = dg.Definitions(assets=[broken], jobs=[dg.define_asset_job("j", [broken])])
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    job = defs.resolve_job_def("j")
    job.with_logger_defs(_console_logger_defs(False)).execute_in_process(raise_on_error=False, run_config=run_config)
    err = capfd.readouterr().err
    assert "RuntimeError: no source has curated records yet" in err and "STEP_FAILURE" in err
    assert "Stack Trace:" not in err and 'File "' not in err
    job.with_logger_defs(_console_logger_defs(True)).execute_in_process(raise_on_error=False, run_config=run_config)
    err = capfd.readouterr().err
    assert "Stack Trace:" in err and 'File "' in err


def test_an_ingest_that_kept_no_row_of_a_source_is_a_warning_after_the_run(tmp_path, monkeypatch, capsys, caplog) -> None:
    """A CSV whose mapped label column is misspelt quarantines every row; the run succeeds (the quarantine
    is the record), so the command's last lines say that the source kept nothing, and why."""
    import finetune_platform.cli as cli

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / ".dagster_home"))
    (tmp_path / "data" / "raw" / "intents").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "intents" / "a.csv").write_text("text,category\nMy card was charged twice,billing\n")
    (tmp_path / "data" / "sources.yaml").write_text(
        "sources:\n  - {name: intents, path: intents/*.csv, format: csv, label_field: categroy}\n"
    )
    assert cli.ingest_all(Settings.for_root(tmp_path)) == ["intents"]
    err = capsys.readouterr().err
    assert (
        "ingest_job: warning: source 'intents': none of its 1 rows was kept, every one is quarantined "
        "(missing_field: 1); the quarantine asset gives each row's file, row and reason. The first: "
        "intents/a.csv, row 1: line 2: has no field 'categroy' (the file's columns: text, category)"
    ) in err
    assert "is its name misspelt in the sources file?" in err
    # logged to the run once, not also through the readers' module logger (which, with no handler configured,
    # Python's last-resort handler printed bare to stderr: every warning twice)
    assert not [r for r in caplog.records if r.name == "finetune_platform.ingest.readers"]
