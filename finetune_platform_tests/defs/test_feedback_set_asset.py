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


def test_an_early_check_of_today_and_the_run_after_midnight_write_every_correction_once(tmp_path: Path) -> None:
    settings = Settings.for_root(tmp_path)
    store = LogStore(settings.log_store_url)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day = today.strftime("%Y-%m-%d")
    _correct(store, today + timedelta(seconds=1), 2)
    early = _metadata(_materialize(tmp_path, day))  # an up-to-the-minute check of today
    assert early["records"] == 2 and Path(early["batch_file"]).name == f"{day}.jsonl"
    _correct(store, today + timedelta(seconds=2), 3)  # more corrections later that day
    store.close()
    final = _metadata(_materialize(tmp_path, day))  # the run after midnight: it no longer fails
    assert final["records"] == 5 and Path(final["batch_file"]).name == f"{day}+2.jsonl"
    lines = [line for p in sorted((settings.raw_dir / "feedback").iterdir()) for line in p.read_text().splitlines()]
    assert len(lines) == 5  # every correction of the day once

    quiet = (today - timedelta(days=3)).strftime("%Y-%m-%d")
    assert _metadata(_materialize(tmp_path, quiet))["batch_file"] == "not written: no corrections that day"
    assert not (settings.raw_dir / "feedback" / f"{quiet}.jsonl").exists()


def test_a_corrected_chat_answer_goes_to_the_feedback_chats_batch(tmp_path: Path) -> None:
    import json
    import shutil

    from finetune_platform.settings import PACKAGE_ROOT

    (tmp_path / "data").mkdir()
    shutil.copy(PACKAGE_ROOT / "data" / "sources.yaml", tmp_path / "data" / "sources.yaml")
    settings = Settings.for_root(tmp_path)
    store = LogStore(settings.log_store_url)
    day_start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    turns = [{"role": "user", "content": "where is parcel 7?"}, {"role": "assistant", "content": "Checking."},
             {"role": "user", "content": "any news?"}]
    rid = store.log_request(prompt="where is parcel 7?\nany news?", response="No idea.", model_name="m",
                            model_version="1", created_at=day_start + timedelta(hours=1), messages=turns)
    store.log_feedback(rid, -1, correction="Parcel 7 ships tomorrow.", created_at=day_start + timedelta(hours=2))
    _correct(store, day_start + timedelta(hours=3), 1)
    store.close()
    day = day_start.strftime("%Y-%m-%d")
    meta = _metadata(_materialize(tmp_path, day))
    assert meta["records"] == 2 and meta["conversation_records"] == 1
    assert meta["batch_files"] == {"feedback": str(settings.raw_dir / "feedback" / f"{day}.jsonl"),
                                   "feedback_chats": str(settings.raw_dir / "feedback_chats" / f"{day}.jsonl")}
    [line] = (settings.raw_dir / "feedback_chats" / f"{day}.jsonl").read_text().splitlines()
    assert json.loads(line)["messages"][-1] == {"role": "assistant", "content": "Parcel 7 ships tomorrow."}

    # a sources file from before feedback_chats: nothing would ingest that folder, so the chat correction is
    # written to the feedback source as text and answer (as before; the run log warns)
    (tmp_path / "data" / "sources.yaml").write_text(
        (tmp_path / "data" / "sources.yaml").read_text().split("  - name: feedback_chats")[0]
    )
    shutil.rmtree(settings.raw_dir)
    meta = _metadata(_materialize(tmp_path, day))
    assert meta["records"] == 2 and meta["conversation_records"] == 0
    assert not (settings.raw_dir / "feedback_chats").exists()
    lines = [json.loads(x) for x in (settings.raw_dir / "feedback" / f"{day}.jsonl").read_text().splitlines()]
    assert [line["text"] for line in lines] == ["where is parcel 7?\nany news?", "where is parcel 0?"]


def test_a_written_correction_that_a_later_rating_replaces_is_withdrawn_from_ingest(tmp_path: Path) -> None:
    import shutil

    from finetune_platform.ingest import ingest_source, load_sources
    from finetune_platform.settings import PACKAGE_ROOT

    (tmp_path / "data").mkdir()
    shutil.copy(PACKAGE_ROOT / "data" / "sources.yaml", tmp_path / "data" / "sources.yaml")
    settings = Settings.for_root(tmp_path)
    feedback_source = {s.name: s for s in load_sources(tmp_path / "data" / "sources.yaml")}["feedback"]
    store = LogStore(settings.log_store_url)
    day1 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    day2 = day1 + timedelta(days=1)
    _correct(store, day1 + timedelta(hours=1), 3)  # responses 1..3, each corrected on day 1
    first = _metadata(_materialize(tmp_path, day1.strftime("%Y-%m-%d")))
    assert first["records"] == 3 and first["corrections_withdrawn"] == {"feedback": 0, "feedback_chats": 0}
    assert not (settings.raw_dir / "feedback" / "withdrawn.csv").exists()  # nothing to withdraw: no file
    # Day 2: the user takes the first correction back with a thumbs-up, and replaces the second with another.
    rids = store.feedback_between(day1, day2)["response_id"].tolist()
    store.log_feedback(rids[0], 1, created_at=day2 + timedelta(hours=1))
    store.log_feedback(rids[1], -1, correction="Parcel 1 ships on Monday.", created_at=day2 + timedelta(hours=2))
    store.close()
    second = _metadata(_materialize(tmp_path, day2.strftime("%Y-%m-%d")))
    assert second["records"] == 1 and second["corrections_withdrawn"] == {"feedback": 2, "feedback_chats": 0}
    result = ingest_source(feedback_source, settings.raw_dir)
    kept = sorted(result.records["response"])
    assert kept == ["Parcel 1 ships on Monday.", "Parcel 2 ships tomorrow."]
    assert result.quarantine["reason_code"].tolist() == ["withdrawn", "withdrawn"]
    assert result.quarantine["excerpt"].tolist() == ["", ""]
    # A rerun lists nothing new, so the file (and the source's fingerprint) stays as it is.
    before = (settings.raw_dir / "feedback" / "withdrawn.csv").read_bytes()
    again = _metadata(_materialize(tmp_path, day2.strftime("%Y-%m-%d")))
    assert again["corrections_withdrawn"] == {"feedback": 0, "feedback_chats": 0}
    assert (settings.raw_dir / "feedback" / "withdrawn.csv").read_bytes() == before
