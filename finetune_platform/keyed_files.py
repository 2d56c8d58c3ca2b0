"""Cache entries written so that a reader never mixes two writers: every file of an entry carries the
entry's key in its name, each is written to a temporary name and renamed into place, the last one (the
one a reader checks first) is written last, and files of older keys are deleted afterwards.

Shared by the per-file caches of ingest (``ingest.file_cache``) and curation (``curation.incremental``).
Two runs of one partition at once write under their own keys; the same key means the same input, so the
same bytes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path


#: A temporary file older than this is one a killed (or crashed) writer left: deleted by the next writer.
STALE_TMP_SECONDS = 3600


def keyed_name(name: str, key: str) -> str:
    """``records.parquet`` + ``K`` -> ``records-K.parquet``."""
    stem, dot, suffix = name.partition(".")
    return f"{stem}-{key}{dot}{suffix}"


def write_entry(folder: Path, key: str, parts: Sequence[tuple[str, Callable[[Path], object]]]) -> None:
    """Write each ``(name, write)`` of ``parts`` in order as ``keyed_name(name, key)`` (``write(path)`` writes
    a temporary path that is then renamed), then delete the files of other keys in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex
    for name, write in parts:
        tmp = folder / f".{name}.{tag}.tmp"
        try:
            write(tmp)
            tmp.replace(folder / keyed_name(name, key))
        except BaseException:
            tmp.unlink(missing_ok=True)  # a write that failed (disk full) leaves no half file behind
            raise
    for old in folder.iterdir():
        if key in old.name:
            continue
        # another writer's temporary file is left to it, unless it is old enough to be one a killed run left
        if not old.name.endswith(".tmp") or time.time() - old.stat().st_mtime > STALE_TMP_SECONDS:
            old.unlink(missing_ok=True)
