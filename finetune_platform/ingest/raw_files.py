"""The raw files each source's last ingest read: their SHA-256 and, for CSV, the first physical line of each
data row (``IngestResult.raw_files``).

The ``raw_corpus`` asset writes one index per source (``<artifacts>/ingest/raw_files/<source>.json``), and
each record carries its file's SHA-256 (``schemas.SOURCE_SHA256_COLUMN``) through curation; the
``training_set`` asset puts in the manifest the hash its examples' records were read with
(:func:`curated_raw_files`, the index only for a CSV's first lines of that same content), so that
``finetune-platform lineage`` can say when a raw file changed since a version was built (its row numbers then
point at other content) and give a CSV row as the line a text editor shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

def file_sha256(path: Path) -> str | None:
    """SHA-256 of a file's bytes, read in 1 MiB blocks; None when it cannot be read (the caller says why)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


#: Where, under the artifacts folder, the per-source indexes live.
RAW_FILES_DIR = Path("ingest") / "raw_files"


def write_raw_files_index(folder: Path, source: str, files: Mapping[str, Mapping[str, Any]]) -> Path:
    """Write ``files`` (``source_file`` -> ``sha256``, ``first_lines``) as the index of ``source``, atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{source}.json"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"source": source, "files": {k: dict(v) for k, v in sorted(files.items())}}, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_raw_files_index(folder: Path, sources: Iterable[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """source -> ``source_file`` -> its entry, for each of ``sources`` with a readable index (a source never
    ingested through ``raw_corpus``, or one ingested before indexes were written, has none: unknown)."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for source in sorted(set(map(str, sources))):
        path = folder / f"{source}.json"
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        files = payload.get("files") if isinstance(payload, dict) else None
        if isinstance(files, dict):
            found[source] = {str(k): v for k, v in files.items() if isinstance(v, dict)}
    return found


def with_source_sha256(records: Any, files: Mapping[str, Mapping[str, Any]]) -> Any:
    """``records`` (one source's, ``IngestResult.records``) with ``schemas.SOURCE_SHA256_COLUMN``: the SHA-256
    of each record's file in ``files`` (``IngestResult.raw_files[source]``; None where it is unknown)."""
    from finetune_platform.schemas import SOURCE_SHA256_COLUMN

    sha256_of = {str(rel): entry.get("sha256") for rel, entry in files.items()}
    return records.assign(**{SOURCE_SHA256_COLUMN: [sha256_of.get(str(rel)) for rel in records["source_file"]]})


def curated_raw_files(
    records: Any, index: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> dict[str, dict[str, dict[str, Any]]]:
    """source -> ``source_file`` -> ``{"sha256"[, "first_lines"]}`` for the raw files ``records`` (a DataFrame
    with ``source``, ``source_file`` and ``schemas.SOURCE_SHA256_COLUMN``) were read from.

    The SHA-256 is the records' own, what the ingest that read them saw: ``index``
    (:func:`read_raw_files_index`) is the *latest* ingest's, which may have read the file again after it changed
    without the records being curated again (an ``ingest_job`` that failed after ``raw_corpus``, one that
    overlaps a retrain). A CSV's ``first_lines`` are taken from ``index`` only when it was written for that same
    content. A file whose records have no hash (records from before the column existed, or built by hand), or
    more than one, is left out: unknown, as lineage then reports it.
    """
    from finetune_platform.schemas import SOURCE_SHA256_COLUMN

    if SOURCE_SHA256_COLUMN not in getattr(records, "columns", ()):
        return {}
    hashes: dict[tuple[str, str], set[Any]] = {}
    for source, source_file, sha256 in records[["source", "source_file", SOURCE_SHA256_COLUMN]].itertuples(
        index=False, name=None
    ):
        hashes.setdefault((str(source), str(source_file)), set()).add(sha256 if isinstance(sha256, str) else None)
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for (source, source_file), values in sorted(hashes.items()):
        if len(values) != 1 or None in values:
            continue
        (sha256,) = values
        entry: dict[str, Any] = {"sha256": sha256}
        indexed = index.get(source, {}).get(source_file, {})
        if indexed.get("sha256") == sha256 and indexed.get("first_lines"):
            entry["first_lines"] = list(indexed["first_lines"])
        found.setdefault(source, {})[source_file] = entry
    return found
