"""feedback_set writes a day's corrections as one immutable batch of the feedback source, once the day is over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from finetune_platform.defs.monitor import feedback_set
from finetune_platform.monitoring.store import LogStore
from finetune_platform.resources import build_resources
from finetune_platform.settings import Settings


def _correct(store: LogStore, at: datetime, n: int) -> None:
    for i in range(n):
        rid = store.log_request(prompt=f"where is parcel {i}?", response="No idea.", model_name="m", model_version="1",
                                variant="champion", latency_ms=5.0, status_code=200, error=None, created_at=at)
        store.log_feedback(rid, -1, correction=f"Parcel {i} ships tomorrow.", created_at=at + timedelta(minutes=1))


def _materialize(root: Path, day: str) -> dg.ExecuteInProcessResult:
    resources = build_resources(Settings.for_root(root))
    return dg.materialize(
        [feedback_set], partition_key=day,
        resources={"platform": resources["platform"], "log_store": resources["log_store"]},
    )


def _metadata(result: dg.ExecuteInProcessResult) -> dict:
    event = result.asset_materializations_for_node("feedback_set")[0]
    return {k: getattr(v, "value", v) for k, v in event.metadata.items()}


def test_a_finished_day_is_written_once_and_today_waits_for_midnight(tmp_path: Path) -> None:
    settings = Settings.for_root(tmp_path)
    store = LogStore(settings.log_store_url)
    now = datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)
    _correct(store, yesterday + timedelta(hours=9), 3)
    _correct(store, today + timedelta(seconds=1), 2)
    store.close()

    done = _metadata(_materialize(tmp_path, yesterday.strftime("%Y-%m-%d")))
    assert done["records"] == 3 and Path(done["batch_file"]).is_file()

    early = _metadata(_materialize(tmp_path, today.strftime("%Y-%m-%d")))  # an up-to-the-minute check
    assert early["records"] == 2 and early["batch_file"].startswith("not written: the day ends at")
    assert not (settings.raw_dir / "feedback" / f"{today:%Y-%m-%d}.jsonl").exists()  # no partial batch to clash later

    quiet = (yesterday - timedelta(days=1)).strftime("%Y-%m-%d")
    assert _metadata(_materialize(tmp_path, quiet))["batch_file"] == "not written: no corrections that day"
    assert sorted(p.name for p in (settings.raw_dir / "feedback").iterdir()) == [f"{yesterday:%Y-%m-%d}.jsonl"]
