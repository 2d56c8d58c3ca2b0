"""Per-file incremental curation: a per-source stage re-curates only the files whose rows changed.

Each source is a partition, so a new file re-runs its source's stages; within the source, this module
keeps every file's stage result (records, dropped rows, stats) in a cache keyed by a fingerprint of the
file's input rows, the stage's own settings and the curation code. A rerun after one new file lands curates
that file and reads the others back: normalise, PII and quality treat each record on its own, so the
result is the one a full run gives (same records, same drops; the stats are merged, means weighted by
rows, to within their 4-decimal rounding). Deduplication, which compares records across files and
sources, always runs over everything (``deduplicated_records``).

The cache holds one entry per (stage, source, file): a changed file overwrites its entry, and entries of
files that are no longer in the source are deleted, so it never grows beyond the data it describes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from finetune_platform.curation.config import EXECUTION_SETTINGS, CurationSettings, StageResult
from finetune_platform.keyed_files import write_entry
from finetune_platform.schemas import DROPPED_COLUMNS

#: Bumped by hand when the cache layout changes.
CACHE_FORMAT = 1


@dataclass
class Reuse:
    """What a run took from the cache: files and rows curated now, and files and rows read back."""

    files_curated: int = 0
    rows_curated: int = 0
    files_reused: int = 0
    rows_reused: int = 0
    entries_pruned: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of what a stage's result depends on besides its input and settings: the curation package's
    source, the record schemas, the Python version (``unicodedata``) and the versions of the libraries the
    stages call (phonenumbers' number data changes often; ftfy, py3langid, orjson). An upgrade of any of
    them invalidates the cache."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(sys.version.encode())
    for path in [*sorted(Path(__file__).parent.glob("*.py")), Path(__file__).parents[1] / "schemas.py"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in _LIBRARIES:
        try:
            digest.update(f"{package}=={version(package)}".encode())
        except PackageNotFoundError:
            digest.update(f"{package} absent".encode())
    return digest.hexdigest()


#: Libraries whose behaviour the curation stages inherit (distribution names; a test checks that every
#: library the per-source stages import is here, pydantic aside: it only validates the settings).
_LIBRARIES = ("phonenumbers", "ftfy", "py3langid", "orjson", "pandas", "pyarrow", "numpy", "ahocorasick-rs")


def frame_fingerprint(df: pd.DataFrame) -> str:
    """SHA-256 of a frame's columns, dtypes and every value (row order included).

    Each column is hashed as the ``repr`` of its values: canonical for the str, int, float, bool and None
    that record frames hold (pickle is not: it encodes whether equal strings are one object, which differs
    between a stage's fresh output and the same frame read back from Parquet), and ~4x faster than
    ``pd.util.hash_pandas_object`` on text columns.
    """
    digest = hashlib.sha256(json.dumps([[str(c), str(t)] for c, t in df.dtypes.items()]).encode())
    for column in df.columns:
        digest.update(repr(df[column].tolist()).encode("utf-8"))
    return digest.hexdigest()


def _stage_name(stage: Callable[..., StageResult]) -> str | None:
    """The section of ``data/curation.yaml`` (``settings_file.STAGE_FIELDS``) a per-source stage reads, or
    None for a callable this module does not know (its cache is then keyed on every setting)."""
    from finetune_platform.curation.normalize import normalize_records
    from finetune_platform.curation.pii import redact_pii
    from finetune_platform.curation.quality import score_quality

    return {normalize_records: "normalize", redact_pii: "pii", score_quality: "quality"}.get(stage)


def settings_key(settings: CurationSettings, stage_name: str | None) -> str:
    """What a stage's output depends on in ``settings``: the settings of its own section (each stage reads
    only those: a quality threshold changed re-scores, it does not re-normalise nor re-redact), less the
    ones that change only how it runs (``pii_workers``); every setting when the stage is not known."""
    if stage_name is None:
        return settings.model_dump_json(exclude=set(EXECUTION_SETTINGS))
    from finetune_platform.curation.settings_file import STAGE_FIELDS

    if stage_name not in STAGE_FIELDS:
        raise ValueError(f"unknown curation stage {stage_name!r}; the stages are {list(STAGE_FIELDS)}")
    fields = set(STAGE_FIELDS[stage_name]) - set(EXECUTION_SETTINGS)
    return f"{stage_name}:" + settings.model_dump_json(include=fields)


def run_per_file(
    stage: Callable[[pd.DataFrame, CurationSettings], StageResult],
    df: pd.DataFrame,
    settings: CurationSettings,
    cache_dir: Path,
    stage_name: str | None = None,
) -> tuple[StageResult, Reuse]:
    """``stage(df, settings)``, computed file by file (``source_file``) with each file's result cached in
    ``cache_dir`` (one folder per stage and source). Returns the combined result (records and drops in the
    input's order) and what was reused.

    ``stage_name`` (``normalize``, ``pii``, ``quality``; found from ``stage`` for the platform's own stages)
    names the settings the cache is keyed on: a setting of another stage does not re-curate this one."""
    reuse = Reuse()
    if df.empty or "source_file" not in df.columns:
        result = stage(df, settings)
        reuse.files_curated, reuse.rows_curated = int(df["source_file"].nunique()) if "source_file" in df else 0, len(df)
        # no file to keep: every row of the source is gone (withdrawn, erased, its files deleted), and so must
        # be the cached copies of them (normalised text is not redacted yet)
        reuse.entries_pruned = _prune(cache_dir, keep=set())
        return result, reuse
    cache_dir.mkdir(parents=True, exist_ok=True)
    settings_json = settings_key(settings, stage_name or _stage_name(stage))  # what the output depends on
    results: list[StageResult] = []
    keep_entries: set[str] = set()
    for source_file, part in df.groupby("source_file", sort=False, dropna=False):
        entry = hashlib.sha256(str(source_file).encode()).hexdigest()[:24]
        keep_entries.add(entry)
        key = hashlib.sha256(
            f"{CACHE_FORMAT}\0{code_fingerprint()}\0{settings_json}\0{frame_fingerprint(part)}".encode()
        ).hexdigest()
        folder = cache_dir / entry
        cached = _read_entry(folder, key)
        if cached is not None:
            # what the stage did when it wrote the entry (texts its worker pool scanned) did not happen in this run
            cached.stats = {k: 0 if k in _RUN_STATS else v for k, v in cached.stats.items() if k not in _RUN_ONLY_IF_ANY}
            results.append(cached)
            reuse.files_reused += 1
            reuse.rows_reused += len(part)
            continue
        result = stage(part.reset_index(drop=True), settings)
        _write_entry(folder, key, str(source_file), result)
        results.append(result)
        reuse.files_curated += 1
        reuse.rows_curated += len(part)
    reuse.entries_pruned = _prune(cache_dir, keep_entries)
    return _combine(results, df), reuse


def _prune(cache_dir: Path, keep: set[str]) -> int:
    """Delete the entries of ``cache_dir`` not named in ``keep`` (files no longer in the source); how many."""
    pruned = 0
    for stale in cache_dir.iterdir() if cache_dir.is_dir() else ():
        if stale.is_dir() and stale.name not in keep:
            shutil.rmtree(stale, ignore_errors=True)
            pruned += 1
    return pruned


def _read_entry(folder: Path, key: str) -> StageResult | None:
    """The entry written under ``key``, or None. Every file of an entry carries its key in its name and is
    renamed into place whole, so a reader never mixes files of two writers (two runs of one partition at
    once write under their own keys; the same key means the same input, settings and code)."""
    try:
        meta = json.loads((folder / f"entry-{key}.json").read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or meta.get("key") != key or not isinstance(meta.get("stats"), dict):
            raise ValueError("not an entry of this cache")
        records = pd.read_parquet(folder / f"records-{key}.parquet")
        dropped = pd.read_parquet(folder / f"dropped-{key}.parquet")
        if not set(DROPPED_COLUMNS) <= set(dropped.columns) or "record_id" not in records.columns:
            raise ValueError("an entry's frame lacks its columns")
    except (OSError, ValueError):
        return None  # no entry, or a damaged one (truncated, of another shape): curate the file again
    return StageResult(records=records, dropped=dropped.astype(object), stats=meta["stats"])


def _write_entry(folder: Path, key: str, source_file: str, result: StageResult) -> None:
    """Write the entry under ``key``, the JSON last (:func:`finetune_platform.keyed_files.write_entry`)."""
    meta = json.dumps({"key": key, "source_file": source_file, "stats": result.stats})
    write_entry(folder, key, [
        ("records.parquet", lambda p: result.records.to_parquet(p, index=False)),
        ("dropped.parquet", lambda p: result.dropped.to_parquet(p, index=False)),
        ("entry.json", lambda p: p.write_text(meta, encoding="utf-8")),
    ])


def _combine(results: list[StageResult], df: pd.DataFrame) -> StageResult:
    """One result from per-file results, records and drops in the order of ``df``'s record ids."""
    order = {rid: i for i, rid in enumerate(df["record_id"].astype(str))}
    records = pd.concat([r.records for r in results], ignore_index=True)
    records = records.iloc[records["record_id"].astype(str).map(order).argsort(kind="stable")].reset_index(drop=True)
    dropped = pd.concat([r.dropped for r in results], ignore_index=True) if results else pd.DataFrame(columns=DROPPED_COLUMNS)
    if len(dropped):
        dropped = dropped.iloc[dropped["record_id"].astype(str).map(order).argsort(kind="stable")].reset_index(drop=True)
    return StageResult(records=records, dropped=dropped, stats=merge_stats([r.stats for r in results]))


#: Stats that count what a run did rather than what it found (they depend on pii_workers, which is not part
#: of the key): zero for a file read back from the cache; those a stage reports only when not zero, left out.
_RUN_STATS = ("texts_scanned_in_workers",)
_RUN_ONLY_IF_ANY = ("pii_pool_failures",)

#: Stats that are means over a stage's input rows: merged weighted by each part's rows_in.
_MEANS = ("score_mean", "scorer_means")


def merge_stats(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Stage stats of several parts as one: counts add up (nested dicts key by key, histogram counts bin
    by bin), means are weighted by ``rows_in`` and rounded to 4 decimals, flags must agree."""
    if not parts:
        return {}
    weights = [p.get("rows_in", 0) for p in parts]
    total = sum(weights)

    def weighted(values: list[Any]) -> Any:
        if all(isinstance(v, dict) for v in values):
            keys = dict.fromkeys(k for v in values for k in v)
            return {k: weighted([v.get(k) for v in values]) for k in keys}
        pairs = [(v, w) for v, w in zip(values, weights) if v is not None and w]
        return round(sum(v * w for v, w in pairs) / sum(w for _, w in pairs), 4) if pairs else None

    def add(values: list[Any], key: str) -> Any:
        present = [v for v in values if v is not None]
        if not present:
            return None
        first = present[0]
        if isinstance(first, bool):
            if any(v != first for v in present):
                raise ValueError(f"stats '{key}' differ between files: {present}")
            return first
        if isinstance(first, (int, float)):
            return sum(present)
        if isinstance(first, dict) and key == "score_histogram":
            return {"bin_edges": first["bin_edges"], "counts": [sum(c) for c in zip(*(v["counts"] for v in present))]}
        if isinstance(first, dict):
            keys = dict.fromkeys(k for v in present for k in v)
            merged = {k: add([v.get(k) for v in present], k) for k in keys}
            return dict(sorted(merged.items())) if key in _SORTED else merged
        if isinstance(first, list):
            return [item for v in present for item in v]
        return first

    out: dict[str, Any] = {}
    for key in dict.fromkeys(k for p in parts for k in p):
        values = [p.get(key) for p in parts]
        out[key] = weighted(values) if key in _MEANS else add(values, key)
    if "score_mean" in out and total == 0:
        out["score_mean"] = None
    return out


#: Count tables that stages write sorted by key.
_SORTED = ("dropped_by_reason", "pii_found_by_type", "not_english_by_language")
