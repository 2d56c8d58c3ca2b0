"""Lineage: a real chain (raw JSONL -> records -> training set in DVC -> MLflow run -> registered tiny model)
built in a temporary project root, traced back by alias, version and run id; then the broken links."""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from finetune_platform.datasets.split import SplitSettings, read_manifest, split_examples, write_training_set
from finetune_platform.datasets.versioning import DvcRepository
from finetune_platform.lineage import (
    LineageError,
    ModelRef,
    add_lineage_parser,
    parse_ref,
    render,
    trace,
)
from finetune_platform.schemas import EXAMPLE_COLUMNS, RECORD_COLUMNS
from finetune_platform.serving.registry import ModelRegistry
from finetune_platform.settings import Settings
from finetune_platform.training.tracking import MlflowTracker
from finetune_platform_tests.serving.conftest import tiny_base  # noqa: F401  (fixture: a real tiny Llama folder)

MODEL = "support-assistant"
LABELS = ("billing", "login", "shipping")

# -- references (fast) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("models:/support-assistant/3", ModelRef("version", "3", "support-assistant")),
        ("models:/team/assistant/12", ModelRef("version", "12", "team/assistant")),
        ("models:/other@champion", ModelRef("alias", "champion", "other")),
        ("other@challenger", ModelRef("alias", "challenger", "other")),
        ("7", ModelRef("version", "7", MODEL)),
        ("champion", ModelRef("alias", "champion", MODEL)),
        ("0123456789abcdef0123456789abcdef", ModelRef("run", "0123456789abcdef0123456789abcdef", None)),
    ],
)
def test_parse_ref_reads_every_accepted_form(ref: str, expected: ModelRef):
    assert parse_ref(ref, MODEL) == expected


@pytest.mark.parametrize("ref", ["", "models:/support-assistant", "models:/m/latest", "a b", "x@1y z"])
def test_parse_ref_rejects_other_forms_and_lists_the_accepted_ones(ref: str):
    with pytest.raises(LineageError, match=r"models:/<name>/<version>.*MLflow run id"):
        parse_ref(ref, MODEL)


def test_missing_tracking_store_is_reported_not_created(tmp_path: Path):
    settings = Settings.for_root(tmp_path)
    with pytest.raises(LineageError, match=r"no MLflow database at .*mlflow\.db.*finetune-platform demo"):
        trace("champion", settings)
    assert not (tmp_path / "mlflow.db").exists()


def test_negative_example_limit_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="example_limit must be >= 0"):
        trace("champion", Settings.for_root(tmp_path), example_limit=-1)


# -- raw file fingerprints and CSV lines (fast: no DVC, no MLflow) -------------------------------------


def _ingested_version(tmp_path: Path):
    """A CSV source (a quoted field over two lines, so data rows and lines part) and a JSONL source ingested
    with the file cache, their examples written as a training set with the ingest's raw file index."""
    from finetune_platform.ingest import SourceSettings, ingest_source
    from finetune_platform.ingest.raw_files import read_raw_files_index, write_raw_files_index
    from finetune_platform.lineage import _examples

    raw = tmp_path / "raw"
    (raw / "mail").mkdir(parents=True)
    (raw / "mail" / "m.csv").write_text(
        'text,reply,category\n"Card charged\ntwice",Refunded,billing\nCannot log in,Reset it,login\n', encoding="utf-8"
    )
    (raw / "chat").mkdir()
    (raw / "chat" / "c.jsonl").write_text(
        json.dumps({"text": "Where is my parcel?", "response": "On its way", "label": "shipping"}) + "\n",
        encoding="utf-8",
    )
    sources = [
        SourceSettings(name="mail", path="mail/*.csv", format="csv", response_field="reply", label_field="category"),
        SourceSettings(name="chat", path="chat/*.jsonl", format="jsonl", response_field="response"),
    ]
    index = tmp_path / "index"
    records = []
    for source in sources:
        for _ in range(2):  # read, then restored from the cache: the same index
            result = ingest_source(source, raw, cache_dir=tmp_path / "cache" / source.name)
            write_raw_files_index(index, source.name, result.raw_files[source.name])
        records.append(result.records)
    assert result.cache_stats["files_reused"] == 1
    records = pd.concat(records, ignore_index=True)
    raw_files = read_raw_files_index(index, ["mail", "chat"])
    assert raw_files["mail"]["mail/m.csv"]["first_lines"] == [2, 4]
    examples = build_examples(records)
    splits = {"train": examples, "validation": examples.iloc[0:0], "test": examples.iloc[0:0]}
    out = tmp_path / "training_set"
    write_training_set(splits, out, records, raw_files=raw_files)
    return raw, out, lambda: {e.example_id: e for e in _examples(read_manifest(out), 100, raw)}


def test_lineage_gives_a_csv_row_as_its_line_and_says_when_a_raw_file_changed(tmp_path: Path):
    from finetune_platform.lineage import _raw_location

    raw, out, links = _ingested_version(tmp_path)
    manifest = read_manifest(out)
    assert manifest.raw_files["mail"]["mail/m.csv"]["sha256"] == hashlib.sha256((raw / "mail" / "m.csv").read_bytes()).hexdigest()
    assert manifest.entries["mail/mail/m.csv#2::reply"].source_line == 4
    assert manifest.entries["chat/chat/c.jsonl#1::reply"].source_line is None  # a JSONL row is its line

    found = links()
    second = found["mail/mail/m.csv#2::classify"]
    assert (second.source_row, second.source_line, second.raw_changed) == (2, 4, False)
    assert _raw_location(second) == f"{raw / 'mail' / 'm.csv'}:4  (data row 2)"
    assert (raw / "mail" / "m.csv").read_text(encoding="utf-8").splitlines()[3].startswith("Cannot log in")
    assert _raw_location(found["chat/chat/c.jsonl#1::reply"]) == f"{raw / 'chat' / 'c.jsonl'}:1"

    # a line inserted at the top of the raw file after the version was built: its rows now hold other content
    path = raw / "chat" / "c.jsonl"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(json.dumps({"text": "an unrelated new ticket"}) + "\n" + path.read_text(encoding="utf-8"))
    now = hashlib.sha256(path.read_bytes()).hexdigest()
    changed = links()["chat/chat/c.jsonl#1::reply"]
    assert changed.raw_changed is True and (changed.raw_sha256, changed.raw_sha256_now) == (before, now)
    assert _raw_location(changed) == (
        f"{path}: raw file changed since this version (sha256 {before} now {now}), so its row 1 may now hold "
        "other content; restore the file as it was to find the row"
    )
    assert links()["mail/mail/m.csv#1::reply"].raw_changed is False


def test_a_manifest_written_before_raw_files_were_fingerprinted_still_reads(tmp_path: Path):
    from finetune_platform.lineage import _raw_location

    raw, out, links = _ingested_version(tmp_path)
    payload = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del payload["raw_files"]
    for entry in payload["entries"].values():
        del entry["source_line"]
    (out / "manifest.json").write_text(json.dumps(payload), encoding="utf-8")
    link = links()["mail/mail/m.csv#2::classify"]
    assert (link.source_line, link.raw_sha256, link.raw_changed) == (None, None, None)  # unknown, not "unchanged"
    assert _raw_location(link) == f"{raw / 'mail' / 'm.csv'}:2"


def test_a_raw_file_read_again_after_curation_is_reported_changed(tmp_path: Path):
    """The latest ingest read changed raw files that were not curated again (its ingest_job failed after
    raw_corpus): the manifest keeps the hash the curated records were read with, so lineage says the file
    changed rather than pointing at a row that now holds another ticket, and a CSV row gets no line from an
    index of other content."""
    from finetune_platform.ingest import SourceSettings, ingest_source
    from finetune_platform.ingest.raw_files import curated_raw_files, with_source_sha256
    from finetune_platform.lineage import _examples

    raw = tmp_path / "raw"
    (raw / "mail").mkdir(parents=True)
    mail = raw / "mail" / "m.csv"
    mail.write_text('text,reply,category\n"Card charged\ntwice",Refunded,billing\nCannot log in,Reset it,login\n')
    (raw / "chat").mkdir()
    chat = raw / "chat" / "c.jsonl"
    chat.write_text("".join(json.dumps({"text": t, "response": "ok", "label": "x"}) + "\n" for t in ("first", "second")))
    sources = [
        SourceSettings(name="mail", path="mail/*.csv", format="csv", response_field="reply", label_field="category"),
        SourceSettings(name="chat", path="chat/*.jsonl", format="jsonl", response_field="response"),
    ]
    curated = []
    for source in sources:  # ingested and curated
        result = ingest_source(source, raw)
        curated.append(with_source_sha256(result.records, result.raw_files[source.name]))
    records = pd.concat(curated, ignore_index=True)
    read_then = {"mail": hashlib.sha256(mail.read_bytes()).hexdigest(), "chat": hashlib.sha256(chat.read_bytes()).hexdigest()}

    # the raw files change and are ingested again, but not curated: the index is the new content's
    chat.write_text("".join(chat.read_text().splitlines(keepends=True)[::-1]))
    mail.write_text('text,reply,category\nNew ticket,Hi,login\n"Card charged\ntwice",Refunded,billing\nCannot log in,Reset it,login\n')
    index = {source.name: ingest_source(source, raw).raw_files[source.name] for source in sources}
    assert index["mail"]["mail/m.csv"]["first_lines"] == [2, 3, 5]

    examples = build_examples(records)
    out = tmp_path / "training_set"
    splits = {"train": examples, "validation": examples.iloc[0:0], "test": examples.iloc[0:0]}
    write_training_set(splits, out, records, raw_files=curated_raw_files(records, index))
    manifest = read_manifest(out)
    assert manifest.raw_files == {"chat": {"chat/c.jsonl": {"sha256": read_then["chat"]}},
                                  "mail": {"mail/m.csv": {"sha256": read_then["mail"]}}}
    assert manifest.entries["mail/mail/m.csv#2::reply"].source_line is None  # not line 3 of the new file
    links = {e.example_id: e for e in _examples(manifest, 100, raw)}
    assert {link.raw_changed for link in links.values()} == {True}
    assert links["chat/chat/c.jsonl#1::classify"].raw_sha256 == read_then["chat"]

    # records curated before they carried the hash: unknown, never the index's
    assert curated_raw_files(records.drop(columns=["source_sha256"]), index) == {}


def test_an_unreadable_dvc_file_does_not_stop_a_trace(tmp_path: Path):
    """data/training_set.dvc with merge conflict markers: the working copy is still found by its hash, an older
    version still restored from the remote, and the note says the file could not be read."""
    from finetune_platform.lineage import _locate_data

    settings = Settings.for_root(tmp_path / "root")
    old_md5, _ = write_version(settings, "v1-", 2)
    new_md5, _ = write_version(settings, "v2-", 2)
    dvc_file = settings.data_dir / "training_set.dvc"
    dvc_file.write_text("<<<<<<< HEAD\n" + dvc_file.read_text(encoding="utf-8") + "=======\n", encoding="utf-8")

    current = _locate_data(new_md5, "tag", settings, None)
    assert (current.used, current.working_copy_md5) == ("working_copy", None)
    assert f"{dvc_file} cannot be read" in current.note and "not valid YAML" in current.note
    old = _locate_data(old_md5, "tag", settings, tmp_path / "restored")
    assert old.used == "restored" and "is another version or none" in old.note and "cannot be read" in old.note
    assert (old.path / "manifest.json").is_file()


# -- the real chain (slow: DVC subprocesses, an MLflow store, a registered pyfunc model) ---------------


def write_raw_and_records(raw_dir: Path, prefix: str, n_per_label: int) -> pd.DataFrame:
    """JSONL raw files, one per source, and the curated records that point at their lines."""
    rows = []
    for source in ("email", "chat"):
        relative = f"{source}/{prefix}tickets.jsonl"
        lines = []
        for i in range(n_per_label * len(LABELS)):
            label = LABELS[i % len(LABELS)]
            text = f"{prefix}{source} ticket {i} about {label}"
            lines.append(json.dumps({"text": text, "response": f"reply {i}", "label": label}))
            rows.append(
                {
                    "record_id": f"{source}/{relative}#{i + 1}",
                    "source": source,
                    "source_file": relative,
                    "source_row": i + 1,
                    "doc_type": "email" if source == "email" else "chat",
                    "text": text,
                    "response": f"reply {i}",
                    "label": label,
                    "messages": "",
                }
            )
        (raw_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (raw_dir / relative).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)


def build_examples(records: pd.DataFrame) -> pd.DataFrame:
    """Two examples per ticket (classify, reply), as formats.instructions builds them."""
    rows = [
        {
            "example_id": f"{r.record_id}::{task}",
            "record_id": r.record_id,
            "task": task,
            "prompt": f"### Task: {task}\n### Ticket:\n{r.text}\n",
            "completion": completion,
            "label": r.label,
            "source": r.source,
        }
        for r in records.itertuples(index=False)
        for task, completion in (("classify", r.label), ("reply", r.response))
    ]
    return pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)


def write_version(settings: Settings, prefix: str, n_per_label: int) -> tuple[str, pd.DataFrame]:
    """A training set built from fresh raw files, added and pushed with DVC; (md5, records)."""
    records = write_raw_and_records(settings.raw_dir, prefix, n_per_label)
    splits = split_examples(build_examples(records), SplitSettings(validation_fraction=0.2, test_fraction=0.2))
    write_training_set(splits, settings.training_set_dir, records)
    repo = DvcRepository(settings.root, settings.dvc_remote)
    repo.ensure_initialized()
    return repo.add_and_push(settings.training_set_dir).md5, records


def train_run(settings: Settings, md5: str | None, name: str = "sft_adapter") -> str:
    """An MLflow run shaped like the sft_adapter asset's (tags, params, metrics); returns its id."""
    tracker = MlflowTracker(settings.mlflow_tracking_uri, "finetune-platform", settings.mlflow_artifact_root)
    tags = {"dagster.run_id": "dagster-run-1", "git.commit": "abc123", "base_model": "tiny", "stage": "sft"}
    if md5 is not None:
        tags["dataset.dvc_md5"] = md5
    with tracker.start_run(name, tags=tags) as run:
        run.log_params({"sft": {"method": "full", "learning_rate": 0.002}, "data": {"train": 40}})
        run.log_metrics({"final_train_loss": 0.125, "eval.candidate.accuracy": 0.75, "eval_loss": float("nan")})
    return run.run_id


@dataclass
class Chain:
    settings: Settings
    md5: str
    records: pd.DataFrame
    run_id: str
    version: int


@pytest.fixture(scope="module")
def chain(tmp_path_factory, tiny_base: Path) -> Chain:  # noqa: F811
    settings = Settings.for_root(tmp_path_factory.mktemp("lineage_root"), model_name=MODEL)
    md5, records = write_version(settings, "v1-", n_per_label=5)
    run_id = train_run(settings, md5)
    registry = ModelRegistry(settings.mlflow_tracking_uri, MODEL)
    info = registry.register(
        run_id, tiny_base, metrics={"accuracy": 0.75}, tags={"dataset.dvc_md5": md5, "method": "full"}
    )
    registry.set_alias(info.version, "champion")
    return Chain(settings, md5, records, run_id, info.version)


def assert_examples_trace_to_raw_lines(report, records: pd.DataFrame) -> None:
    """Every traced example names a record of ``records`` whose raw line holds that record's text."""
    by_id = records.set_index("record_id")
    assert report.examples
    for ex in report.examples:
        assert ex.example_id.startswith(ex.record_id + "::")
        assert ex.raw_exists
        line = ex.raw_path.read_text(encoding="utf-8").splitlines()[ex.source_row - 1]
        assert json.loads(line)["text"] == by_id.loc[ex.record_id, "text"]


@pytest.mark.slow
def test_trace_by_alias_version_and_run_id(chain: Chain):
    settings = chain.settings
    reports = {ref: trace(ref, settings, example_limit=4) for ref in ("champion", f"{MODEL}@champion", "1")}
    reports["uri"] = trace(f"models:/{MODEL}/1", settings, example_limit=4)
    by_run = trace(chain.run_id, settings, example_limit=4)

    for report in [*reports.values(), by_run]:
        assert [(m.name, m.version, m.aliases) for m in report.models] == [(MODEL, chain.version, ["champion"])]
        assert report.run.run_id == chain.run_id
        assert report.run.status == "FINISHED"
        assert sorted(report.run.metrics) == ["eval.candidate.accuracy", "eval_loss", "final_train_loss"]
        assert (report.run.metrics["eval.candidate.accuracy"], report.run.metrics["final_train_loss"]) == (0.75, 0.125)
        assert report.run.tags["git.commit"] == "abc123"
        assert report.run.tags["dagster.run_id"] == "dagster-run-1"
        assert report.run.params_summary() == {"sft.method": "full", "sft.learning_rate": "0.002", "data.train": "40"}
        assert report.data.dvc_md5 == chain.md5
        assert report.data.used == "working_copy"
        assert report.data.path == settings.training_set_dir
        assert len(report.examples) == 4
        assert {e.split for e in report.examples} == {"train"}  # training examples first
        assert_examples_trace_to_raw_lines(report, chain.records)
    assert reports["champion"].resolved == f"models:/{MODEL}@champion"
    assert by_run.resolved == f"MLflow run {chain.run_id}"
    assert reports["champion"].models[0].metrics == {"accuracy": 0.75}

    summary = by_run.manifest
    assert summary.examples == 60 and summary.records == 30 and summary.raw_files == 2
    assert sum(summary.per_split.values()) == 60
    assert {s: sum(v.values()) for s, v in summary.per_source.items()} == {"chat": 30, "email": 30}
    assert by_run.data.manifest_path == settings.training_set_dir / "manifest.json"


@pytest.mark.slow
def test_render_and_json_show_every_link(chain: Chain):
    report = trace("champion", chain.settings, example_limit=2)
    text = render(report)
    first = report.examples[0]
    for expected in (
        f"models:/{MODEL}/1  [champion]",
        chain.run_id,
        "final_train_loss=0.125",
        "eval.candidate.accuracy=0.75",
        "git.commit=abc123",
        f"DVC {chain.md5}",
        "60 from 30 curated records in 2 raw files",
        f"{first.example_id} -> {first.record_id} -> {first.raw_path}:{first.source_row}",
        f"All 60 instruction pairs and 0 conversations: {chain.settings.training_set_dir / 'manifest.json'}",
    ):
        assert expected in text
    payload = json.loads(json.dumps(report.to_dict(), allow_nan=False))  # strict JSON: NaN becomes null
    assert payload["run"]["metrics"]["eval_loss"] is None
    assert payload["models"][0]["uri"] == f"models:/{MODEL}/1"
    assert payload["data"]["dvc_md5"] == chain.md5
    assert payload["data"]["path"] == str(chain.settings.training_set_dir)
    assert payload["run"]["params_summary"]["sft.method"] == "full"
    assert [e["example_id"] for e in payload["examples"]] == [e.example_id for e in report.examples]


@pytest.mark.slow
def test_cli_prints_json_and_fails_with_the_message(chain: Chain, monkeypatch, capsys):
    monkeypatch.setenv("FINETUNE_PLATFORM_HOME", str(chain.settings.root))
    for name in ("MLFLOW_TRACKING_URI", "FINETUNE_PLATFORM_DVC_REMOTE", "FINETUNE_PLATFORM_MODEL_NAME"):
        monkeypatch.delenv(name, raising=False)
    parser = argparse.ArgumentParser(prog="finetune-platform")
    add_lineage_parser(parser.add_subparsers(dest="command", required=True))

    args = parser.parse_args(["lineage", "champion", "--json", "--examples", "3"])
    assert args.func(args) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["run"]["run_id"] == chain.run_id and len(payload["examples"]) == 3

    args = parser.parse_args(["lineage", "challenger"])
    assert args.func(args) == 1
    assert "no version of model 'support-assistant' has the alias 'challenger'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args(["lineage", "champion", "--examples", "-1"])


@pytest.mark.slow
def test_old_model_traces_to_its_own_version_restored_from_the_remote(chain: Chain, tiny_base: Path):  # noqa: F811
    settings = chain.settings
    v1_manifest = read_manifest(settings.training_set_dir)
    new_md5, new_records = write_version(settings, "v2-", n_per_label=4)
    assert new_md5 != chain.md5
    shutil.rmtree(settings.root / ".dvc" / "cache")  # only the remote still has version 1

    old = trace("champion", settings, example_limit=5)
    assert old.data.dvc_md5 == chain.md5
    assert old.data.working_copy_md5 == new_md5
    assert old.data.used == "restored"
    assert old.data.path.is_relative_to(settings.artifacts_dir / "lineage")
    assert f"the working copy is version {new_md5}; restored this version from the DVC remote" == old.data.note
    assert read_manifest(old.data.path) == v1_manifest
    assert old.manifest.examples == 60
    assert all(e.record_id.startswith(("email/email/v1-", "chat/chat/v1-")) for e in old.examples)
    assert_examples_trace_to_raw_lines(old, chain.records)
    assert "restored this version from the DVC remote" in render(old)
    assert read_manifest(settings.training_set_dir).entries.keys().isdisjoint(v1_manifest.entries.keys())

    again = trace(chain.run_id, settings, example_limit=0)  # the restored copy is reused
    assert (again.data.used, again.data.path, again.examples) == ("restored", old.data.path, [])
    assert "restored earlier" in again.data.note

    # A model trained on the new version reads the working copy, until the working copy is edited.
    new_run = train_run(settings, new_md5)
    registry = ModelRegistry(settings.mlflow_tracking_uri, MODEL)
    new_version = registry.register(new_run, tiny_base, tags={"dataset.dvc_md5": new_md5}).version
    new = trace(str(new_version), settings, example_limit=3)
    assert (new.data.used, new.manifest.examples) == ("working_copy", 48)
    assert_examples_trace_to_raw_lines(new, new_records)
    (settings.training_set_dir / "manifest.json").write_text("{}", encoding="utf-8")
    edited = trace(str(new_version), settings, example_limit=3)
    assert edited.data.used == "restored"
    assert "changed after `dvc add`" in edited.data.note
    assert edited.manifest.examples == 48


# -- broken links ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_unknown_model_version_and_alias(chain: Chain):
    with pytest.raises(LineageError, match=r"no registered model 'nope' .*registered models: \['support-assistant'\]"):
        trace("nope@champion", chain.settings)
    with pytest.raises(LineageError, match=r"has no version 99; registered versions: \[1"):
        trace("99", chain.settings)
    with pytest.raises(LineageError, match=r"has the alias 'canary'; aliases: \{'champion': 1\}"):
        trace("canary", chain.settings)
    with pytest.raises(LineageError, match=r"has no such run .*MLFLOW_TRACKING_URI"):
        trace("fedcba9876543210" * 2, chain.settings)


@pytest.mark.slow
def test_version_without_run(chain: Chain):
    registry = ModelRegistry(chain.settings.mlflow_tracking_uri, "hand-made")
    registry.client.create_registered_model("hand-made")
    registry.client.create_model_version("hand-made", source=str(chain.settings.root / "model"))
    with pytest.raises(LineageError, match=r"models:/hand-made/1 has no training run .*ModelRegistry.register"):
        trace("models:/hand-made/1", chain.settings)


@pytest.mark.slow
def test_run_without_dvc_tag(chain: Chain):
    run_id = train_run(chain.settings, md5=None, name="untagged")
    with pytest.raises(LineageError, match=rf"run {run_id} \('untagged'\) has no 'dataset.dvc_md5' tag.*set_tag"):
        trace(run_id, chain.settings)


@pytest.mark.slow
def test_dvc_version_missing_from_remote(chain: Chain):
    missing = "0123456789abcdef0123456789abcdef.dir"
    run_id = train_run(chain.settings, md5=missing)
    with pytest.raises(LineageError, match=rf"version {missing} .*could not be restored from the DVC remote .*dvc push"):
        trace(run_id, chain.settings)
    assert not (chain.settings.artifacts_dir / "lineage" / "training_set-0123456789abcdef0123456789abcdef").exists()


@pytest.mark.slow
def test_model_and_run_disagreeing_on_the_data_version(chain: Chain, tiny_base: Path):  # noqa: F811
    run_id = train_run(chain.settings, chain.md5)
    registry = ModelRegistry(chain.settings.mlflow_tracking_uri, "disagreeing")
    registry.register(run_id, tiny_base, tags={"dataset.dvc_md5": "ffff.dir"})
    with pytest.raises(LineageError, match=r"tagged dataset.dvc_md5=ffff.dir but its training run .* disagree"):
        trace("models:/disagreeing/1", chain.settings)


@pytest.mark.slow
def test_a_dpo_run_traces_to_the_model_it_aligned_and_its_pairs(chain: Chain, tiny_base: Path):  # noqa: F811
    """The aligned model is registered under its SFT run and names its DPO run in a tag: the DPO run id
    finds it, and the report shows the preference pairs DPO learned from."""
    sft_run = train_run(chain.settings, chain.md5)
    dpo_run = train_run(chain.settings, chain.md5, name="aligned_adapter")
    pairs = chain.settings.root / "artifacts" / "aligned_adapter" / "k" / "inputs" / "pairs.parquet"
    pairs.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"prompt": ["p1", "p2"], "chosen": ["a", "b"], "rejected": ["c", "d"]}).to_parquet(pairs)
    registry = ModelRegistry(chain.settings.mlflow_tracking_uri, "aligned")
    registry.register(sft_run, tiny_base, tags={
        "dataset.dvc_md5": chain.md5, "dpo.mlflow_run_id": dpo_run,
        "dataset.preference_pairs_sha256": "ab" * 32, "dataset.preference_pairs_path": str(pairs),
    })
    report = trace(dpo_run, chain.settings, example_limit=2)
    assert [m.uri for m in report.models] == ["models:/aligned/1"]
    text = render(report)
    assert "Registered model   models:/aligned/1" in text
    assert f"Preference pairs   sha256 {'ab' * 32}" in text and f"{pairs}  2 pairs" in text
    assert f"DPO run          {dpo_run}" in text


@pytest.mark.slow
def test_a_specialist_traces_to_the_examples_of_its_labels_only(chain: Chain):
    tracker = MlflowTracker(chain.settings.mlflow_tracking_uri, "finetune-platform", chain.settings.mlflow_artifact_root)
    label = LABELS[0]
    tags = {"dataset.dvc_md5": chain.md5, "stage": "sft", "specialist": "one", "specialist.labels": label}
    with tracker.start_run("specialist_model:one", tags=tags) as run:
        pass
    report = trace(run.run_id, chain.settings, example_limit=50)
    everything = trace(chain.run_id, chain.settings, example_limit=0).manifest.examples
    by_id = chain.records.set_index("record_id")
    assert 0 < report.manifest.examples < everything
    assert report.examples and all(by_id.loc[ex.record_id, "label"] == label for ex in report.examples)
    assert f"only the examples labelled {label}" in render(report)
