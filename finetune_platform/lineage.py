"""Lineage of a model: registered version -> training run -> DVC data version -> curated records -> raw rows.

``finetune-platform lineage <ref>`` answers "what was this model trained on?" from the stores the pipeline
already writes, nothing else:

- the MLflow model registry (the version's ``run_id`` and its ``dataset.dvc_md5`` tag);
- the MLflow training run (params, metrics, and the tags the ``sft_adapter`` asset sets:
  ``dataset.dvc_md5``, ``dagster.run_id``, ``git.commit``, ``base_model``);
- the DVC version of ``data/training_set`` with that md5: the working copy when its content hashes to
  exactly that version (checked with DVC's own hashing, not just the ``.dvc`` file), otherwise restored from
  the DVC remote (the working copy is never touched);
- the training set's ``manifest.json``, which maps every ``example_id`` to its split, curated ``record_id``
  and raw ``source_file`` / ``source_row`` (and, for a CSV row, its first physical line ``source_line``), and
  records each raw file's SHA-256 at ingest: a raw file whose content changed since is reported as changed,
  since its row numbers may now point at other content (a manifest written before the hashes were recorded
  gives none: unknown).

Every broken link raises :class:`LineageError` naming what is missing and what to do about it.

The restored copy of an old version is kept under ``<root>/artifacts/lineage/`` rather than in a
temporary folder that vanishes when the command ends, because the report points at its ``manifest.json``
as the place to read every example's lineage. A copy found there is reused when it still hashes to its
version, and restored again when it does not.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from finetune_platform.schemas import SPLITS
from finetune_platform.datasets.versioning import folder_md5
from finetune_platform.ingest.raw_files import file_sha256
from finetune_platform.settings import Settings

#: The run (and version) tag holding the DVC hash of the training set; set by the ``sft_adapter`` asset.
DVC_MD5_TAG = "dataset.dvc_md5"
#: Run tags shown in the report, in this order, when present.
RUN_TAGS = ("dataset.dvc_md5", "git.commit", "dagster.run_id", "base_model", "stage", "specialist", "specialist.labels")
#: Params shown in the text report (all of them are in ``to_dict()``).
PARAM_SUMMARY_KEYS = (
    "sft.method",
    "sft.learning_rate",
    "sft.num_epochs",
    "sft.max_steps",
    "sft.batch_size",
    "sft.lora_r",
    "sft.max_length",
    "sft.seed",
    "base_model.name_or_path",
    "base_model.n_params",
    "data.train",
    "data.validation",
    "data.test",
)
ACCEPTED_REFS = (
    "models:/<name>/<version>, models:/<name>@<alias>, <name>@<alias>, <version number>, "
    "<alias> (champion, challenger) or an MLflow run id (32 hex characters)"
)
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_ALIAS = r"[A-Za-z_][\w-]*"
_MODEL_VERSION_URI = re.compile(r"^models:/(?P<name>.+)/(?P<version>\d+)$")
_MODEL_ALIAS_URI = re.compile(rf"^models:/(?P<name>[^@]+)@(?P<alias>{_ALIAS})$")
_NAME_ALIAS = re.compile(rf"^(?P<name>[^@/:]+)@(?P<alias>{_ALIAS})$")
_ALIAS_ONLY = re.compile(rf"^{_ALIAS}$")


class LineageError(LookupError):
    """A link of the chain is missing; the message names the link and what to do."""


# -- references ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRef:
    """What a ``lineage`` argument points at: a registered version (by number or alias) or a run."""

    kind: Literal["version", "alias", "run"]
    value: str  #: the version number, alias or run id
    model_name: str | None  #: None for a run

    def describe(self) -> str:
        if self.kind == "run":
            return f"MLflow run {self.value}"
        if self.kind == "version":
            return f"models:/{self.model_name}/{self.value}"
        return f"models:/{self.model_name}@{self.value}"


def parse_ref(ref: str, default_model: str) -> ModelRef:
    """Read a ``lineage`` argument; names that are not given default to ``default_model``.

    A 32-character lowercase hex string is taken as a run id (MLflow's format); a plain word as an alias.
    """
    text = ref.strip()
    if not text:
        raise LineageError(f"the model reference is empty; pass one of: {ACCEPTED_REFS}")
    if match := _MODEL_VERSION_URI.match(text):
        return ModelRef("version", str(int(match["version"])), match["name"])
    if match := _MODEL_ALIAS_URI.match(text):
        return ModelRef("alias", match["alias"], match["name"])
    if text.startswith("models:/"):
        raise LineageError(
            f"cannot read the model URI {ref!r}: the platform uses versions and aliases, not stages or 'latest'; "
            f"pass one of: {ACCEPTED_REFS}"
        )
    if text.isdigit():
        return ModelRef("version", str(int(text)), default_model)
    if _RUN_ID.match(text):
        return ModelRef("run", text, None)
    if match := _NAME_ALIAS.match(text):
        return ModelRef("alias", match["alias"], match["name"])
    if _ALIAS_ONLY.match(text):
        return ModelRef("alias", text, default_model)
    raise LineageError(f"cannot read the model reference {ref!r}; pass one of: {ACCEPTED_REFS}")


# -- the report ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelLink:
    """A registered model version."""

    name: str
    version: int
    aliases: list[str]
    run_id: str | None
    source: str  #: artifact URI of the registered pyfunc model
    metrics: dict[str, float]  #: the version's ``eval.*`` tags
    tags: dict[str, str]

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


@dataclass(frozen=True)
class RunLink:
    """The MLflow run that trained the model."""

    run_id: str
    run_name: str
    experiment_id: str
    status: str
    start_time: str | None  #: ISO 8601, UTC
    end_time: str | None
    params: dict[str, str]
    metrics: dict[str, float]  #: the latest value of each metric
    tags: dict[str, str]
    artifact_uri: str

    def params_summary(self) -> dict[str, str]:
        """The params that say most about a training run (``PARAM_SUMMARY_KEYS``), in that order."""
        return {key: self.params[key] for key in PARAM_SUMMARY_KEYS if key in self.params}


@dataclass(frozen=True)
class DataLink:
    """The DVC version of the training set the run used, and which copy of it was read."""

    dvc_md5: str
    md5_from: str  #: which tag the hash was read from
    working_copy_md5: str | None  #: what ``data/training_set.dvc`` records now (None: no such file, or unreadable)
    used: Literal["working_copy", "restored"]
    path: Path  #: the training set folder that was read
    manifest_path: Path
    remote: str
    note: str  #: why this copy was used, in words


@dataclass(frozen=True)
class ManifestSummary:
    """Counts of the training set version, from its manifest."""

    examples: int  #: instruction pairs (``per_split`` counts them)
    records: int  #: distinct curated record ids
    raw_files: int  #: distinct raw source files
    per_split: dict[str, int]
    per_source: dict[str, dict[str, int]]  #: source -> split -> examples
    conversations: int = 0  #: versioned multi-turn conversations (manifest entries of kind "conversation")


@dataclass(frozen=True)
class ExampleLink:
    """One training example traced to its curated record and raw row."""

    example_id: str
    split: str
    record_id: str
    source: str
    source_file: str  #: as recorded: relative to the raw folder (absolute when it lay outside)
    source_row: int  #: 1-based line (JSONL, text) or data-row number
    raw_path: Path
    raw_exists: bool  #: whether the raw file is still there now
    source_line: int | None = None  #: the row's first physical line (a CSV row), when the manifest has it
    raw_sha256: str | None = None  #: the raw file's SHA-256 when it was ingested (None: not recorded)
    raw_sha256_now: str | None = None  #: its SHA-256 now (None: not there, or not recorded then)
    #: True when the raw file changed since this version (the row may hold other content now); None: unknown
    raw_changed: bool | None = None


@dataclass(frozen=True)
class LineageReport:
    """The whole chain for one reference; :func:`render` prints it, :meth:`to_dict` serialises it."""

    ref: str
    resolved: str  #: what the reference was read as, e.g. ``models:/support-assistant@champion``
    models: list[ModelLink]  #: the version asked for, or every version registered from the run
    run: RunLink
    data: DataLink
    manifest: ManifestSummary
    examples: list[ExampleLink] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (paths as strings)."""
        payload = asdict(self)
        for model, link in zip(payload["models"], self.models):
            model["uri"] = link.uri
        payload["run"]["params_summary"] = self.run.params_summary()
        return _finite(json.loads(json.dumps(payload, default=str)))


def _finite(value: Any) -> Any:
    """NaN and infinities as None, so that the JSON output is strict JSON (MLflow stores a missing eval loss as
    NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


# -- resolving the chain ---------------------------------------------------------------------------------


def _iso(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds")


def _check_tracking_store(settings: Settings) -> None:
    """A SQLite store that does not exist means nothing was ever tracked; say so instead of creating one."""
    uri = settings.mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        if not path.is_file():
            raise LineageError(
                f"there is no MLflow database at {path} (MLFLOW_TRACKING_URI={uri}), so no model has been trained "
                "or registered here; run the training loop first (`finetune-platform demo` or "
                "`finetune-platform materialize retrain_job`), or point MLFLOW_TRACKING_URI at the store that has them"
            )


def _model_link(info: Any) -> ModelLink:
    return ModelLink(
        name=info.name,
        version=int(info.version),
        aliases=list(info.aliases),
        run_id=info.run_id or None,
        source=info.source,
        metrics=dict(info.metrics),
        tags=dict(info.tags),
    )


def _resolve_model(ref: ModelRef, settings: Settings) -> ModelLink:
    from mlflow.exceptions import MlflowException

    from finetune_platform.serving.registry import ModelRegistry, RegistryLookupError

    assert ref.model_name is not None
    registry = ModelRegistry(settings.mlflow_tracking_uri, ref.model_name)
    try:
        registry.client.get_registered_model(ref.model_name)
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        names = sorted(m.name for m in registry.client.search_registered_models())
        raise LineageError(
            f"there is no registered model {ref.model_name!r} in {settings.mlflow_tracking_uri} (registered models: "
            f"{names or 'none'}); check the name (FINETUNE_PLATFORM_MODEL_NAME) or register a model by running the "
            "training loop (`finetune-platform demo`)"
        ) from error
    try:
        return _model_link(registry.resolve(ref.value))
    except RegistryLookupError as error:
        raise LineageError(f"{error}; pass an existing version number or alias") from error


def _registered_from_run(run_id: str, settings: Settings) -> list[ModelLink]:
    """Every registered version whose run is ``run_id`` (any model name), with its aliases."""
    from mlflow import MlflowClient

    from finetune_platform.serving.registry import ModelRegistry

    client = MlflowClient(tracking_uri=settings.mlflow_tracking_uri, registry_uri=settings.mlflow_tracking_uri)
    found = list(client.search_model_versions(f"run_id = '{run_id}'"))
    # A DPO-aligned model is registered under its SFT run, and names its DPO run in a tag.
    seen = {(mv.name, mv.version) for mv in found}
    found += [mv for mv in client.search_model_versions()
              if (mv.tags or {}).get("dpo.mlflow_run_id") == run_id and (mv.name, mv.version) not in seen]
    # search_model_versions returns no aliases (STACK.md trap 3): read each version again.
    return [
        _model_link(ModelRegistry(settings.mlflow_tracking_uri, mv.name).get_version(int(mv.version)))
        for mv in sorted(found, key=lambda mv: (mv.name, int(mv.version)))
    ]


def _resolve_run(run_id: str, settings: Settings, because: str) -> RunLink:
    from mlflow.exceptions import MlflowException

    from finetune_platform.training.tracking import MlflowTracker

    tracker = MlflowTracker(settings.mlflow_tracking_uri, "finetune-platform")  # get_run needs no experiment
    try:
        run = tracker.get_run(run_id)
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        raise LineageError(
            f"{because} names MLflow run {run_id}, but {settings.mlflow_tracking_uri} has no such run (deleted, or "
            "tracked in another store); point MLFLOW_TRACKING_URI at the store that trained it"
        ) from error
    return RunLink(
        run_id=run.run_id,
        run_name=run.run_name,
        experiment_id=run.experiment_id,
        status=run.status,
        start_time=_iso(run.start_time),
        end_time=_iso(run.end_time),
        params=dict(sorted(run.params.items())),
        metrics=dict(sorted(run.metrics.items())),
        tags={k: v for k, v in sorted(run.tags.items()) if not k.startswith("mlflow.")},
        artifact_uri=run.artifact_uri,
    )


def _data_md5(run: RunLink, models: list[ModelLink]) -> tuple[str, str]:
    """The training set's DVC hash and where it was read: the run's tag, else the model version's."""
    run_md5 = run.tags.get(DVC_MD5_TAG)
    for model in models:
        model_md5 = model.tags.get(DVC_MD5_TAG)
        if run_md5 and model_md5 and model_md5 != run_md5:
            raise LineageError(
                f"{model.uri} is tagged {DVC_MD5_TAG}={model_md5} but its training run {run.run_id} is tagged "
                f"{run_md5}: the two disagree, so the training data cannot be named with certainty; fix the wrong "
                "tag in MLflow (the run's tag is written when training starts)"
            )
    if run_md5:
        return run_md5, f"tag {DVC_MD5_TAG} of run {run.run_id}"
    for model in models:
        if model.tags.get(DVC_MD5_TAG):
            return model.tags[DVC_MD5_TAG], f"tag {DVC_MD5_TAG} of {model.uri} (the run has none)"
    raise LineageError(
        f"MLflow run {run.run_id} ({run.run_name!r}) has no {DVC_MD5_TAG!r} tag, so the version of the training "
        "set it used is unknown; runs started by the sft_adapter asset carry it, so retrain through the pipeline, "
        f"or, if you know the version, tag the run with it: MlflowClient().set_tag('{run.run_id}', '{DVC_MD5_TAG}', "
        "'<md5 from data/training_set.dvc>')"
    )


def _locate_data(md5: str, md5_from: str, settings: Settings, restore_root: Path | None) -> DataLink:
    """The training set folder of version ``md5``: the working copy if it is that version, else a restore."""
    from finetune_platform.datasets.split import MANIFEST_NAME
    from finetune_platform.datasets.versioning import DvcCommandError, DvcRepository

    repo = DvcRepository(settings.root, settings.dvc_remote)
    dvc_file = settings.data_dir / f"{settings.training_set_dir.name}.dvc"
    working_md5, unreadable = None, ""
    if dvc_file.is_file():
        # a damaged pointer (merge conflict markers) need not stop a trace: the version is the run's, the folder
        # hashed as it is, and an older one restored from the remote by its hash
        try:
            working_md5 = repo.read_version(dvc_file).md5
        except (ValueError, OSError) as error:
            unreadable = f" ({dvc_file} cannot be read, so the working copy's version is unknown: {str(error)[:300]})"
    remote = str(settings.dvc_remote)

    def link(used: Literal["working_copy", "restored"], path: Path, note: str) -> DataLink:
        return DataLink(md5, md5_from, working_md5, used, path, path / MANIFEST_NAME, remote, note + unreadable)

    if settings.training_set_dir.is_dir() and folder_md5(settings.training_set_dir) == md5:
        return link("working_copy", settings.training_set_dir, "the working copy data/training_set is this version")
    if working_md5 == md5:
        stale = "was changed after `dvc add` (its content no longer has this hash)"
    elif working_md5 is not None:
        stale = f"is version {working_md5}"
    elif unreadable:
        stale = "is another version or none"
    else:
        stale = "is missing"

    dest = (restore_root or settings.artifacts_dir / "lineage") / f"training_set-{md5.removesuffix('.dir')}"
    if dest.is_dir() and folder_md5(dest) == md5:
        return link("restored", dest, f"the working copy {stale}; using the copy restored earlier from the DVC remote")
    if not repo.is_initialized:
        raise LineageError(
            f"training set version {md5} ({md5_from}) is not the working copy, and {settings.root} is not a DVC "
            "repository (no .dvc/config) to restore it from; run the command from the project that trained the "
            "model (FINETUNE_PLATFORM_HOME)"
        )
    if not settings.dvc_remote.is_dir():
        raise LineageError(
            f"training set version {md5} ({md5_from}) is not the working copy and the DVC remote folder "
            f"{settings.dvc_remote} does not exist; point FINETUNE_PLATFORM_DVC_REMOTE at the remote it was pushed to"
        )
    try:
        repo.restore(md5, dest, overwrite=True)  # a copy at dest that lost its hash is replaced
    except DvcCommandError as error:
        raise LineageError(
            f"training set version {md5} ({md5_from}) could not be restored from the DVC remote {remote}: it is not "
            "there (it was never pushed, or the remote was pruned). Push it from a machine whose DVC cache still has "
            f"it (`dvc push`), or point FINETUNE_PLATFORM_DVC_REMOTE at the remote that holds it.\nDVC said: {error}"
        ) from error
    return link("restored", dest, f"the working copy {stale}; restored this version from the DVC remote")


def _only_labels(manifest: Any, folder: Path, labels: set[str]) -> Any:
    """The manifest's instruction examples whose label is one of ``labels``: what a specialist trained on
    (``defs/specialists.py`` takes the training set's examples of its domain's labels)."""
    from types import SimpleNamespace

    from finetune_platform.datasets.split import read_training_set

    kept = {
        example_id
        for frame in read_training_set(folder).values()
        for example_id, label in zip(frame["example_id"], frame["label"].fillna("").astype(str))
        if label in labels
    }
    entries = {k: e for k, e in manifest.entries.items() if k in kept}
    counts = Counter(e.split for e in entries.values())
    return SimpleNamespace(
        entries=entries, counts={name: counts.get(name, 0) for name in SPLITS}, raw_files=manifest.raw_files
    )


def _row_count(path: Path) -> int | None:
    """Rows of a Parquet or JSONL file (None for another kind, or one that cannot be read)."""
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        if path.suffix == ".jsonl":
            with path.open("rb") as fh:
                return sum(1 for line in fh if line.strip())
    except OSError:
        return None
    return None


def _summary(manifest: Any) -> ManifestSummary:
    entries = manifest.entries.values()
    pairs = [e for e in entries if getattr(e, "kind", "pair") == "pair"]
    by_source: dict[str, Counter[str]] = {}
    for entry in pairs:
        by_source.setdefault(entry.source, Counter())[entry.split] += 1
    return ManifestSummary(
        examples=len(pairs),
        conversations=len(manifest.entries) - len(pairs),
        records=len({e.record_id for e in entries}),
        raw_files=len({e.source_file for e in entries}),
        per_split={name: int(manifest.counts.get(name, 0)) for name in SPLITS},
        per_source={s: {name: c[name] for name in SPLITS if c[name]} for s, c in sorted(by_source.items())},
    )


def _examples(manifest: Any, limit: int, raw_dir: Path) -> list[ExampleLink]:
    """The first ``limit`` instruction pairs, training split first (what the model learned from), then by id
    (the manifest's conversation entries are counted apart: SFT trains on them only with conversations on)."""
    order = {name: i for i, name in enumerate(SPLITS)}
    pairs = [(k, e) for k, e in manifest.entries.items() if getattr(e, "kind", "pair") == "pair"]
    chosen = sorted(pairs, key=lambda kv: (order.get(kv[1].split, len(order)), kv[0]))[:limit]
    recorded = getattr(manifest, "raw_files", None) or {}
    hashed: dict[Path, str | None] = {}
    links = []
    for example_id, entry in chosen:
        raw_path = raw_dir / entry.source_file
        exists = raw_path.is_file()
        then = recorded.get(entry.source, {}).get(entry.source_file, {}).get("sha256")
        now = None
        if then and exists:
            if raw_path not in hashed:
                hashed[raw_path] = file_sha256(raw_path)
            now = hashed[raw_path]
        links.append(
            ExampleLink(
                example_id=example_id,
                split=entry.split,
                record_id=entry.record_id,
                source=entry.source,
                source_file=entry.source_file,
                source_row=entry.source_row,
                raw_path=raw_path,
                raw_exists=exists,
                source_line=getattr(entry, "source_line", None),
                raw_sha256=then,
                raw_sha256_now=now,
                raw_changed=None if not then or now is None else now != then,
            )
        )
    return links


def trace(
    ref: str, settings: Settings, *, example_limit: int = 10, restore_root: Path | None = None
) -> LineageReport:
    """Follow ``ref`` (see :data:`ACCEPTED_REFS`) from the registry down to raw rows.

    ``example_limit`` examples are traced one by one (the manifest holds all of them). An old data version
    is restored under ``restore_root`` (default ``<root>/artifacts/lineage``).
    """
    from finetune_platform.datasets.split import read_manifest

    if example_limit < 0:
        raise ValueError(f"example_limit must be >= 0, got {example_limit}")
    parsed = parse_ref(ref, settings.model_name)
    _check_tracking_store(settings)
    if parsed.kind == "run":
        run = _resolve_run(parsed.value, settings, because=f"the reference {ref!r}")
        models = _registered_from_run(run.run_id, settings)
    else:
        model = _resolve_model(parsed, settings)
        if model.run_id is None:
            raise LineageError(
                f"{model.uri} has no training run (its run_id is empty: it was registered by hand, not by the "
                "registered_model asset), so its training data cannot be traced; register models with "
                "ModelRegistry.register(run_id, ...) from the run that trained them"
            )
        run = _resolve_run(model.run_id, settings, because=model.uri)
        models = [model]
    md5, md5_from = _data_md5(run, models)
    data = _locate_data(md5, md5_from, settings, restore_root)
    try:
        manifest = read_manifest(data.path)
    except FileNotFoundError as error:
        raise LineageError(
            f"training set version {md5} at {data.path} has no manifest.json, so its examples cannot be traced to "
            "records and raw rows; it was written without write_training_set: rebuild it through the training_set asset"
        ) from error
    labels = run.tags.get("specialist.labels") or next(
        (m.tags["specialist.labels"] for m in models if m.tags.get("specialist.labels")), None
    )
    if labels:
        manifest = _only_labels(manifest, data.path, set(labels.split(",")))
    return LineageReport(
        ref=ref,
        resolved=parsed.describe(),
        models=models,
        run=run,
        data=data,
        manifest=_summary(manifest),
        examples=_examples(manifest, example_limit, settings.raw_dir),
    )


# -- output ----------------------------------------------------------------------------------------------


def _pairs(values: dict[str, Any]) -> str:
    def fmt(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    return "  ".join(f"{k}={fmt(v)}" for k, v in values.items()) or "none"


def render(report: LineageReport) -> str:
    """The report as text for a terminal, top of the chain first."""
    run, data, summary = report.run, report.data, report.manifest
    lines = [f"Lineage of {report.ref}  (read as {report.resolved})", ""]
    if report.models:
        for model in report.models:
            aliases = f"  [{', '.join(model.aliases)}]" if model.aliases else ""
            lines += [
                f"Registered model   {model.uri}{aliases}",
                f"  source           {model.source}",
                f"  eval metrics     {_pairs(model.metrics)}",
                f"  tags             {_pairs({k: v for k, v in model.tags.items() if not k.startswith('eval.')})}",
            ]
    else:
        lines.append("Registered model   none (this run was never registered)")
    tags = {k: run.tags[k] for k in RUN_TAGS if k in run.tags}
    lines += [
        f"Training run       {run.run_id}  {run.run_name!r}  {run.status}  started {run.start_time or '?'}",
        f"  params           {_pairs(run.params_summary())}  ({len(run.params)} logged)",
        f"  metrics          {_pairs(run.metrics)}",
        f"  tags             {_pairs(tags)}",
        f"  artifacts        {run.artifact_uri}",
        f"Training set       DVC {data.dvc_md5}  (from {data.md5_from})",
        f"  read from        {data.path}",
        f"                   {data.note}",
        f"  working copy     data/training_set.dvc -> {data.working_copy_md5 or 'none'}",
        f"  DVC remote       {data.remote}",
        f"  examples         {summary.examples} from {summary.records} curated records in {summary.raw_files} raw files; "
        + ", ".join(f"{k} {v}" for k, v in summary.per_split.items())
        + (f"; and {summary.conversations} conversations" if summary.conversations else ""),
    ]
    if "specialist.labels" in run.tags:
        lines.append(f"  specialist       {run.tags.get('specialist', '?')}: only the examples labelled "
                     f"{run.tags['specialist.labels']} are counted and listed (what it trained on)")
    for source, splits in summary.per_source.items():
        lines.append(f"  source {source:<10}" + ", ".join(f"{k} {v}" for k, v in splits.items()))
    pairs_tags = {**run.tags, **{k: v for m in report.models for k, v in m.tags.items()}}
    if pairs_tags.get("dataset.preference_pairs_sha256"):
        path = pairs_tags.get("dataset.preference_pairs_path")
        found = Path(path).is_file() if path else False
        count = _row_count(Path(path)) if found else None
        lines += [
            f"Preference pairs   sha256 {pairs_tags['dataset.preference_pairs_sha256']}  (DPO aligned the model on them)",
            f"  read from        {path or '?'}" + ("" if found else "  (no longer there)")
            + (f"  {count} pairs" if count is not None else ""),
        ]
        if pairs_tags.get("dpo.mlflow_run_id"):
            lines.append(f"  DPO run          {pairs_tags['dpo.mlflow_run_id']}")
    lines += ["", f"Examples ({len(report.examples)} of {summary.examples}): example_id -> record_id -> raw file:line"]
    for ex in report.examples:
        lines.append(f"  [{ex.split}] {ex.example_id} -> {ex.record_id} -> {_raw_location(ex)}")
    unknown = len({ex.raw_path for ex in report.examples if ex.raw_exists and ex.raw_sha256 is None})
    if unknown:
        lines.append(
            f"  ({unknown} raw file(s) above have no SHA-256 in the manifest (a version written before it was "
            "recorded, or a source with no ingest index), so a change since cannot be told)"
        )
    lines += [
        "",
        f"All {summary.examples} instruction pairs and {summary.conversations} conversations: {data.manifest_path}",
        '  ("entries" maps every example_id to split, record_id, source, source_file, source_row, source_line;',
        '   "raw_files" holds each raw file\'s SHA-256 at ingest)',
    ]
    return "\n".join(lines)


def _raw_location(ex: ExampleLink) -> str:
    """Where the example's raw row is: ``file:line`` (a CSV row's first physical line, with its data-row
    number), or what keeps it from being found: the file is gone, or changed since the version was built."""
    if not ex.raw_exists:
        return f"{ex.raw_path}:{ex.source_row}  (raw file no longer there)"
    if ex.raw_changed:
        return (
            f"{ex.raw_path}: raw file changed since this version (sha256 {ex.raw_sha256} now {ex.raw_sha256_now}), "
            f"so its row {ex.source_row} may now hold other content; restore the file as it was to find the row"
        )
    if ex.source_line is not None:
        return f"{ex.raw_path}:{ex.source_line}  (data row {ex.source_row})"
    return f"{ex.raw_path}:{ex.source_row}"


def cmd_lineage(args: argparse.Namespace) -> int:
    """``finetune-platform lineage REF [--json] [--examples N]``; exit 1 with the message on a broken link."""
    import sys

    from finetune_platform.settings import load_settings

    try:
        report = trace(args.ref, load_settings(), example_limit=args.examples)
    except LineageError as error:
        print(f"lineage: {error}", file=sys.stderr)
        return 1
    print(json.dumps(report.to_dict(), indent=2, allow_nan=False) if args.json else render(report))
    return 0


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def add_lineage_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``lineage REF [--json] [--examples N]`` on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "lineage",
        help="trace a model or run to its training run, DVC data version, curated records and raw rows",
        description="Print the chain: registered model -> training run -> DVC version -> curated record ids -> "
        "raw file and row.",
    )
    parser.add_argument("ref", metavar="REF", help=f"the model or run: {ACCEPTED_REFS}")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--examples", type=_non_negative, default=10, metavar="N", help="examples to trace one by one (default 10)"
    )
    parser.set_defaults(func=cmd_lineage)
    return parser
