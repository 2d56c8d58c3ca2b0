"""The raw files each source's last ingest read: their SHA-256 and, for CSV, the first physical line of each
data row (``IngestResult.raw_files``).

The ``raw_corpus`` asset writes one index per source (``<artifacts>/ingest/raw_files/<source>.json``); the
``training_set`` asset copies what its examples' files need into the manifest, so that ``finetune-platform
lineage`` can say when a raw file changed since a version was built (its row numbers then point at other
content) and give a CSV row as the line a text editor shows.
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
