"""Command-line values are checked by the parser: a usage error naming the value, never a traceback."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["canary", "1.5"], "not between 0 and 1"),
        (["canary", "--", "-0.1"], "not between 0 and 1"),
        (["canary", "half"], "'half' is not a number"),
        (["serve", "--canary-share", "2"], "not between 0 and 1"),
        (["rollout", "start", "--stages", "0.5,0.25"], "strictly increasing"),
        (["rollout", "start", "--stages", "0.05,x"], "'x' is not a number"),
        (["rollout", "start", "--stages", ","], "at least one share"),
        (["demo", "--tickets", "10"], "10 tickets is too few"),
        (["generate-demo-data", "--tickets", "0"], "use at least 60"),
        (["generate-demo-data", "--tickets", "many"], "'many' is not a whole number"),
    ],
)
def test_bad_shares_are_usage_errors(argv, message, capsys):
    from finetune_platform.cli import build_parser

    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_good_shares_parse():
    from finetune_platform.cli import build_parser

    assert build_parser().parse_args(["canary", "0.05"]).share == 0.05
    assert build_parser().parse_args(["rollout", "start", "--stages", "0.05, 0.5,1.0"]).stages == [0.05, 0.5, 1.0]
    assert build_parser().parse_args(["rollout", "step"]).stages is None
    assert build_parser().parse_args(["demo", "--tickets", "600"]).tickets == 600


@pytest.mark.parametrize("day", ["2026-13-45", "yesterday", "2026-1-5x", ""])
def test_a_bad_monitor_day_is_a_usage_error(day, capsys):
    from finetune_platform.cli import build_parser

    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["materialize", "monitor_job", "--day", day])
    assert exit_info.value.code == 2
    assert "is not a day written YYYY-MM-DD" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["materialize", "ingest_job", "--day", "2026-11-30"], "--day applies to monitor_job only"),
        (["materialize", "monitor_job", "--source", "chats"], "--source applies to ingest_job only"),
        (["materialize", "monitor_job", "--day", "2025-06-01"], "not a monitor_job partition: days run from 2026-01-01"),
        (["materialize", "monitor_job", "--day", "2999-01-01"], "not a monitor_job partition"),
    ],
)
def test_an_option_of_another_job_is_refused_before_anything_runs(argv, message, monkeypatch):
    from finetune_platform import cli

    monkeypatch.setattr(cli, "load_settings", lambda: pytest.fail("the job must not start"))
    with pytest.raises(SystemExit, match=message):
        cli.main(argv)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--port", "70000"], "serve: port: Input should be less than or equal to 65535"),
        (["serve", "--rag-top-k", "0"], "serve: rag_top_k: Input should be greater than or equal to 1"),
        (["serve", "--host", "0.0.0.0"], "no api_key is set"),
    ],
)
def test_bad_server_settings_are_named_before_serving(argv, message, monkeypatch, capsys):
    from finetune_platform import cli
    from finetune_platform.serving import server

    monkeypatch.delenv("FINETUNE_PLATFORM_API_KEY", raising=False)
    monkeypatch.setattr(server, "serve", lambda *a, **k: pytest.fail("the server must not start"))
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_rollout_step_takes_no_stages(monkeypatch):
    from finetune_platform import cli

    monkeypatch.setattr(cli, "load_settings", lambda: pytest.fail("nothing may run"))
    with pytest.raises(SystemExit, match="walks the stages it was started with"):
        cli.main(["rollout", "step", "--stages", "0.1,1.0"])


def test_rollout_step_that_completes_the_rollout_promotes_the_judged_version(tmp_path, monkeypatch, capsys):
    """The step that completes a rollout is the only one that can promote (the next finds none running),
    whether the sensor or an operator's `rollout step` takes it."""
    from datetime import UTC, datetime, timedelta

    from finetune_platform import cli
    from finetune_platform.monitoring.store import LogStore
    from finetune_platform.serving import registry as registry_module
    from finetune_platform.serving.routing import Router, StagedRollout
    from finetune_platform.settings import Settings

    settings = Settings.for_root(tmp_path)
    settings.rollout_state_path.parent.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC) - timedelta(hours=1)
    Router(state_path=settings.rollout_state_path).update(
        canary_share=1.0, stage=1, stage_started_at=started.isoformat(), stages=[0.25, 1.0], challenger_version="2"
    )
    store = LogStore(settings.log_store_url)
    for i in range(60):
        store.log_request(prompt=f"q{i}", response="a", model_name="m", model_version="2", variant="challenger",
                          latency_ms=10.0, status_code=200, error=None, created_at=started + timedelta(minutes=1))
    calls: list[tuple] = []

    class Registry:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def get_by_alias(self, alias):
            return type("Version", (), {"version": 3})() if alias == "challenger" else None  # a retrain moved it

        def set_alias(self, version, alias):
            calls.append((version, alias))

    monkeypatch.setattr(cli, "load_settings", lambda: settings)
    monkeypatch.setattr(registry_module, "ModelRegistry", Registry)
    assert cli.main(["rollout", "step"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("completed:") and "version 2 passed the rollout and is promoted" in out
    assert calls == [(2, "champion")]  # the judged version, not the alias's newer one
    assert StagedRollout(Router(state_path=settings.rollout_state_path), store).step().action == "not_running"
    store.close()
