"""Per-file ingest cache: a source re-reads only the files whose content changed.

Each file's share of a source's result (its records, its quarantine rows, its count increments and, for a CSV
file, the first physical line of each data row) is kept
under a key of the file's content (SHA-256, streamed: hashing costs a fraction of parsing), its path
relative to the raw folder (record ids carry it), the source's settings and the reader code and library
versions. A file that is unchanged is read back instead of parsed; a new or changed one is read and stored.
Entries of files that left the source are deleted after the run, so the cache holds what the source holds.

Entries are written under their key (each file renamed into place, the JSON with the counts last), so two
runs of one partition at once never leave an entry that mixes them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from finetune_platform.ingest.sources import PEOPLE_ONLY_SETTINGS, SourceSettings
from finetune_platform.keyed_files import write_entry
from finetune_platform.schemas import QUARANTINE_COLUMNS, RECORD_COLUMNS


@lru_cache(maxsize=1)
def reader_fingerprint() -> str:
    """SHA-256 of the ingest code, the formats' row mapping, the schemas, the PII redaction that quarantine
    reasons and excerpts go through before they are cut and cached (``curation.pii.redact_then_cut``, with
    every detector module it calls), Python and the libraries' versions: an upgrade of any of them reads every
    file again (an improved detector redacts the cached excerpts anew)."""
    from finetune_platform.curation.incremental import code_fingerprint

    package = Path(__file__).resolve().parents[1]
    # the curation package's source, the schemas, Python and the detectors' libraries (phonenumbers' data)
    digest = hashlib.sha256(code_fingerprint().encode())
    for path in [*sorted((package / "ingest").glob("*.py")), package / "formats" / "interchange.py"]:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class FileCache:
    """The cache of one source (one folder per file), used by ``readers.ingest_source``."""

    def __init__(self, folder: Path, source: SourceSettings) -> None:
        self.folder = folder
        self.settings = source.model_dump_json(exclude=PEOPLE_ONLY_SETTINGS)  # a description edit reads nothing again
        self.kept: set[str] = set()
        self.stats = {"files_read": 0, "files_reused": 0, "entries_pruned": 0}

    def key(self, content_sha256: str, rel: str) -> str:
        """The key of the file ``rel`` whose bytes hash to ``content_sha256`` (``raw_files.file_sha256``)."""
        self.kept.add(self._entry(rel))
        return hashlib.sha256(f"{reader_fingerprint()}\0{self.settings}\0{rel}\0{content_sha256}".encode()).hexdigest()

    @staticmethod
    def _entry(rel: str) -> str:
        return hashlib.sha256(rel.encode()).hexdigest()[:24]

    def restore(self, key: str, rel: str, sink: Any) -> bool:
        """Add the cached share of the file ``rel`` with ``key`` to ``sink``; False when there is none."""
        folder = self.folder / self._entry(rel)
        if not (folder / f"entry-{key}.json").is_file():
            folder = None
        if folder is None:
            return False
        try:
            entry = json.loads((folder / f"entry-{key}.json").read_text(encoding="utf-8"))
            delta, halves = entry["delta"], entry.get("ticket_halves", [])
            first_lines = [int(n) for n in entry.get("first_lines", [])]
            if entry.get("key") != key or not isinstance(delta, dict) or not isinstance(halves, list):
                raise ValueError("not an entry of this cache")
            halves = [(str(f), int(r), str(k), str(t)) for f, r, k, t in halves]
            records = pd.read_parquet(folder / f"records-{key}.parquet")[RECORD_COLUMNS]
            rejected = pd.read_parquet(folder / f"quarantine-{key}.parquet")[QUARANTINE_COLUMNS]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            # a damaged entry (a truncated file, JSON of another shape, a missing column): read the file again,
            # before any of it reaches the sink
            return False
        sink.add(
            list(records.itertuples(index=False, name=None)),
            list(rejected.itertuples(index=False, name=None)),
            delta,
            halves,
            rel=rel,
            first_lines=first_lines,
        )
        self.stats["files_reused"] += 1
        return True

    def store(self, key: str, rel: str, sink: Any, marks: Any) -> None:
        """Keep the share of the file just read (what ``sink`` gained since ``marks``)."""
        records, rejected, delta, halves = sink.since(marks)
        first_lines = sink.raw_files.get(rel, {}).get("first_lines", [])
        meta = json.dumps({"key": key, "file": rel, "delta": delta, "ticket_halves": halves, "first_lines": first_lines})
        write_entry(self.folder / self._entry(rel), key, [
            ("records.parquet", lambda p: _frame(records, RECORD_COLUMNS).to_parquet(p, index=False)),
            ("quarantine.parquet", lambda p: _frame(rejected, QUARANTINE_COLUMNS).to_parquet(p, index=False)),
            ("entry.json", lambda p: p.write_text(meta, encoding="utf-8")),
        ])
        self.stats["files_read"] += 1

    def prune(self) -> None:
        """Delete the entries of files that are no longer in the source."""
        if not self.folder.is_dir():
            return
        for folder in self.folder.iterdir():
            if folder.is_dir() and folder.name not in self.kept:
                # whatever it holds (a file a run of the same partition writes at this moment): a cache entry
                # that cannot be deleted now is deleted by the next run, it never fails this one
                shutil.rmtree(folder, ignore_errors=True)
                self.stats["entries_pruned"] += 1


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns).astype({"source_row": "int64"})
