"""Rows a source must no longer yield, without editing its files: erasure requests, corrections taken back.

Raw files are evidence (record ids, lineage and trained models point into them), so a row that must leave
the training data is listed instead: a source's ``withdrawn_rows`` CSV (header ``record_id,reason``; other
columns, e.g. who asked and when, are kept but not read) names the record ids. Ingest quarantines each
listed row its files still hold, with reason_code ``withdrawn`` and no excerpt of the text, so the row
leaves every downstream asset at the next ingest, and read = kept + quarantined still holds.

A hand-written reader rather than pandas: every line is checked and a bad one is named by file and line,
because a withdrawal list that is silently half-read would keep training on rows someone asked to remove.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Mapping

#: The columns of a withdrawal list, in the order :func:`write_withdrawn_rows` writes them.
WITHDRAWN_COLUMNS: tuple[str, ...] = ("record_id", "reason")

#: A record id as ingest makes them: ``<source>/<file relative to the raw folder>#<row>``.
_RECORD_ID = re.compile(r"^(?P<source>[a-z0-9][a-z0-9_-]{0,63})/(?P<file>.+)#(?P<row>\d+)$")


class WithdrawnRowsError(ValueError):
    """A withdrawal list that cannot be read as one: names the file, the line and what is wrong."""


def read_withdrawn_rows(path: Path, source: str) -> dict[str, str]:
    """The record ids ``path`` withdraws from source ``source``, each with its reason ("" when none given).

    A missing file withdraws nothing. Raises :class:`WithdrawnRowsError` for a file without a ``record_id``
    column, a line whose record id is empty, not a record id, or one of another source, naming the line.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise WithdrawnRowsError(f"{path}: the withdrawal list of source '{source}' cannot be read: {error}") from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise WithdrawnRowsError(
            f"{path}: not UTF-8 at byte {error.start}; save the withdrawal list of source '{source}' as UTF-8."
        ) from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "record_id" not in header:
        raise WithdrawnRowsError(
            f"{path}: the withdrawal list of source '{source}' has no 'record_id' column (header: {header or 'none'});"
            " its first line must be 'record_id,reason'."
        )
    reader.fieldnames = header
    withdrawn: dict[str, str] = {}
    for row in reader:
        line = reader.line_num
        record_id = (row.get("record_id") or "").strip()
        if not record_id:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue  # a blank line
            raise WithdrawnRowsError(f"{path}, line {line}: empty record_id.")
        match = _RECORD_ID.match(record_id)
        if match is None:
            raise WithdrawnRowsError(
                f"{path}, line {line}: {record_id!r} is not a record id; record ids look like "
                f"'{source}/<file>#<row>' (lineage and the curated records show them)."
            )
        if match["source"] != source:
            raise WithdrawnRowsError(
                f"{path}, line {line}: {record_id!r} is a row of source '{match['source']}', but this list "
                f"belongs to source '{source}'; list it in that source's withdrawn_rows file."
            )
        reason = (row.get("reason") or "").strip()
        withdrawn.setdefault(record_id, reason)
    return withdrawn


def write_withdrawn_rows(path: Path, rows: Mapping[str, str], source: str) -> int:
    """Add ``rows`` (record id -> reason) to the withdrawal list at ``path``; returns how many were new.

    Rows the list holds already keep their line (and reason); the file is replaced atomically, so ingest
    never reads half a list. Nothing new leaves the file untouched (its bytes are part of the source's
    fingerprint: a rewrite would re-ingest the source for nothing).
    """
    path = Path(path)
    existing_text = path.read_text(encoding="utf-8-sig") if path.is_file() else ""
    existing = read_withdrawn_rows(path, source)
    new = {rid: reason for rid, reason in rows.items() if rid not in existing}
    for rid in new:
        match = _RECORD_ID.match(rid)
        if match is None or match["source"] != source:
            raise WithdrawnRowsError(f"{rid!r} is not a record id of source '{source}'; nothing was written to {path}.")
    if not new:
        return 0
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    if not existing_text.strip():
        writer.writerow(WITHDRAWN_COLUMNS)
    elif not existing_text.endswith("\n"):
        out.write("\n")
    for rid in sorted(new):
        writer.writerow([rid, new[rid]])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(existing_text + out.getvalue(), encoding="utf-8")
    os.replace(temporary, path)
    return len(new)
