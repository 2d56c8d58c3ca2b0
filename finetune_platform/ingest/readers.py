"""Readers: raw files -> records (``schemas.RECORD_COLUMNS``) plus a quarantine with a reason per bad row.

The contract the ingest gate checks: per source, ``rows_read == rows_kept + rows_quarantined`` (plus
``rows_merged``: the reply rows of a platform Alpaca export folded into their ticket's record). Nothing
raises on bad data and nothing is dropped without a row in the quarantine; only configuration mistakes
(a path that matches no file, duplicate source names) raise.

What counts as a row: a non-blank JSONL line, a CSV data row, a JSON array element, a Parquet row, a
text file (a JSONL or CSV line ends at LF, CRLF or a lone CR). Sources in a fine-tuning format (``alpaca``, ``sharegpt``, ``openai_chat``) are read by the
JSONL reader (``.jsonl`` files) or the JSON reader (``.json``) and mapped by ``formats.interchange``
(fixed fields instead of a field mapping). A file that cannot be split into rows at all (binary,
unreadable, not a JSON array) is one quarantined row with ``source_row`` 0. Blank lines are not rows;
they are counted in ``blank_lines``.

The CSV and JSONL readers are hand-written over the standard library (``csv``, ``json``) rather than
``pandas.read_csv``/``read_json`` because those either fail a whole file on one bad row or skip bad rows
without saying which, and because they read a huge line whole before any size check.
"""

from __future__ import annotations

import copy
import csv
import json
import logging
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from finetune_platform.ingest.raw_files import file_sha256
from finetune_platform.ingest.sources import INTERCHANGE_DOC_TYPES, NoFilesMatchedError, SourceSettings
from finetune_platform.schemas import QUARANTINE_COLUMNS, RECORD_COLUMNS

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 200
#: Bytes sniffed at the start of a file for NUL bytes (git uses the same heuristic for "binary").
SNIFF_BYTES = 8_192
_UTF8_BOM = b"\xef\xbb\xbf"
_MESSAGE_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_PARQUET_BATCH_ROWS = 8_192

# Spreadsheet formula injection (OWASP "CSV injection"): a cell that Excel, LibreOffice or Google Sheets would
# run as a formula or DDE command when an export of the data is opened. The rule, in is_spreadsheet_formula:
#
# 1. Only a cell whose first character after leading whitespace (a tab, a CR, spaces) is = + - or @ can be
#    one; any other cell is text.
# 2. A DDE call anywhere in such a cell is one: ``name|'topic'!item`` or ``name|topic!item``
#    (``=cmd|' /C calc'!A0``, ``-2+3+cmd|' /C calc'!A0``, ``@SUM(1+1)*cmd|' /C calc'!A0``).
# 3. After "=" a spreadsheet always parses a formula, so any function call (``=HYPERLINK(``, ``=IMPORTXML(``,
#    ``=DDE(``), DDE name (``=cmd|``), cell reference (``=A1``, ``=$B$2``) or arithmetic (``=1+1``) is one;
#    "= Heading =" and "=)" are not.
# 4. After + - or @ (also used in ordinary text: "- item(s) missing", "@support(team)", "+1 (415) ...") only a
#    call of a known spreadsheet function (_SPREADSHEET_FUNCTIONS, any case), optionally after numbers or cell
#    references joined by operators ("-2+3+HYPERLINK("), whose parentheses close (quotes respected) and that is
#    followed by nothing or an operator: "+HYPERLINK("http://x")", "@SUM(1)". "+info(at)example.com" names a
#    function (INFO) but goes on with text, so a spreadsheet would not parse it: it stays text.
#
# Files the platform writes for people to open in a spreadsheet (the review queue) neutralise every cell that
# starts with = + - @ tab or CR anyway (finetune_platform.sheets.spreadsheet_safe).

#: Functions a + - or @ cell must call to count as a formula: those that fetch or link to the outside, run
#: code or read the environment (what injection is after), and the common ones payloads wrap them in.
_SPREADSHEET_FUNCTIONS = frozenset(
    """
    HYPERLINK IMPORTXML IMPORTDATA IMPORTHTML IMPORTFEED IMPORTRANGE IMAGE WEBSERVICE FILTERXML ENCODEURL
    DDE DDEAUTO CALL REGISTER REGISTER.ID EXEC RTD INFO CELL INDIRECT OFFSET GOOGLEFINANCE GOOGLETRANSLATE
    SUM SUMIF SUMPRODUCT AVERAGE COUNT COUNTA COUNTIF MIN MAX PRODUCT POWER MOD INT ROUND ABS RAND RANDBETWEEN
    IF IFS IFERROR AND OR NOT XOR SWITCH CHOOSE LET LAMBDA
    CONCAT CONCATENATE TEXTJOIN CHAR UNICHAR CODE LEN LEFT RIGHT MID UPPER LOWER PROPER TRIM SUBSTITUTE REPLACE
    REPT TEXT VALUE T N EXACT FIND SEARCH REGEXREPLACE REGEXEXTRACT REGEXMATCH
    NOW TODAY DATE INDEX MATCH VLOOKUP HLOOKUP XLOOKUP LOOKUP ROW ROWS COLUMN COLUMNS ADDRESS SHEET SHEETS
    QUERY FILTER SORT UNIQUE ARRAYFORMULA ISERROR ISNUMBER ISBLANK
    """.split()
)
_DDE = re.compile(r"(?<=[\w.])\|\s*(?:'[^'\n]*'|[^\s'!|]+)\s*!")
_EQUALS_FORMULA = re.compile(
    r"""=\s*(?:
        [A-Za-z_][\w.]*\(                  # function call: =HYPERLINK(, =foo(
      | [\w.]+\|                          # DDE: =cmd|
      | [-+]?\$?[A-Za-z]{1,3}\$?\d+\b      # cell reference: =A1, =$B$2
      | [-+]?\d[\d.,]*\s*[-+*/^&]          # arithmetic: =1+1
    )""",
    re.VERBOSE,
)
_SIGN_CALL = re.compile(
    r"""[-+@][-+\s]*                                       # the sign, "--" (double negation) included
        (?:(?:\d+(?:\.\d+)?|\$?[A-Za-z]{1,3}\$?\d+)\s*[-+*/^&]\s*)*  # 2+3+, A1&
        ([A-Za-z_][\w.]*)\(                                 # the function's name and its parenthesis""",
    re.VERBOSE,
)
_AFTER_CALL = re.compile(r"\s*(?:$|[-+*/^&=<>])")


def is_spreadsheet_formula(value: str) -> bool:
    """True for a cell a spreadsheet would run as a formula or DDE command (the rule above this function)."""
    cell = value.lstrip()
    if not cell or cell[0] not in "=+-@":
        return False
    if "|" in cell and _DDE.search(cell):
        return True
    if cell[0] == "=":
        return _EQUALS_FORMULA.match(cell) is not None
    call = _SIGN_CALL.match(cell)
    if call is None or call[1].upper() not in _SPREADSHEET_FUNCTIONS:
        return False
    end = _after_closing_parenthesis(cell, call.end())
    return end is not None and _AFTER_CALL.match(cell, end) is not None


def _after_closing_parenthesis(cell: str, start: int) -> int | None:
    """Where the call whose arguments begin at ``start`` ends (after its ")"), or None when it never closes;
    parentheses inside double-quoted strings do not count."""
    depth, quoted = 1, False
    for i in range(start, len(cell)):
        c = cell[i]
        if c == '"':
            quoted = not quoted  # "" inside a string toggles twice
        elif not quoted and c == "(":
            depth += 1
        elif not quoted and c == ")":
            depth -= 1
            if not depth:
                return i + 1
    return None


class QuarantineReason(StrEnum):
    """Why a row was quarantined (the ``reason_code`` column)."""

    BINARY_FILE = "binary_file"
    UNREADABLE_FILE = "unreadable_file"
    INVALID_ENCODING = "invalid_encoding"
    MALFORMED_JSON = "malformed_json"
    MALFORMED_CSV = "malformed_csv"
    NOT_AN_ARRAY = "not_an_array"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    EMPTY_TEXT = "empty_text"
    INVALID_MESSAGES = "invalid_messages"
    OVERSIZED = "oversized"
    FORMULA_INJECTION = "formula_injection"
    #: an Alpaca classify row whose ``output`` (the category) and ``label`` name different categories
    LABEL_CONFLICT = "label_conflict"
    #: listed in the source's ``withdrawn_rows`` file (an erasure request, a correction taken back)
    WITHDRAWN = "withdrawn"


@dataclass
class SourceStats:
    """What reading one source did; ``rows_read == rows_kept + rows_merged + rows_quarantined`` must hold
    (``rows_kept``: the records; ``rows_merged``: rows folded into another row's record)."""

    source: str
    files: int = 0
    empty_files: int = 0
    blank_lines: int = 0
    bytes_read: int = 0
    rows_read: int = 0
    rows_kept: int = 0
    rows_quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    #: Kept rows in which a configured optional field (title, response, label) was absent or null: a
    #: count equal to rows_kept usually means a misspelt field name in the sources file.
    rows_missing_field: dict[str, int] = field(default_factory=dict)
    #: Record ids the source's ``withdrawn_rows`` file lists that no row read here has, kept or quarantined
    #: (the file or the row is gone already): nothing left to withdraw.
    withdrawn_not_found: int = 0
    #: Rows kept inside another row's record: the ``classify`` and ``reply`` rows of one ticket in the
    #: platform's own Alpaca export (same ``id`` before ``::``, same input) come back as one record, with the
    #: label and the reply, under the first row's id. Rows read = kept + merged + quarantined.
    rows_merged: int = 0
    #: Files whose path (relative to the raw folder) the PII redactor flags, redacted, each with the types:
    #: record ids and ``source_file`` carry the path into every later stage, the training set and the review
    #: queue, so such a file must be renamed (the PII gates fail on ids that hold PII).
    files_named_with_pii: list[str] = field(default_factory=list)

    def warnings(self, quarantine: pd.DataFrame | None = None) -> list[str]:
        """What a green run may hide, as sentences: a mapped field absent from every kept row (a misspelt
        field name: every label or response empty), a source that kept none of its rows (with the first
        quarantined row's reason, when ``quarantine`` is given), files that hold no row at all, or files whose
        names hold PII."""
        found = []
        if self.files_named_with_pii:
            shown = self.files_named_with_pii
            found.append(
                f"source '{self.source}': {len(shown)} file name(s) hold PII, which record ids and source_file carry "
                f"into the training set and the review queue: {'; '.join(shown[:5])}"
                + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")
                + ". Rename the files so that their names hold no personal data and ingest again (the PII gates "
                "fail on ids that hold PII)."
            )
        for name, count in sorted(self.rows_missing_field.items()):
            if self.rows_kept and count >= self.rows_kept:
                found.append(
                    f"source '{self.source}': none of its {self.rows_kept:,} kept rows has the field '{name}' it "
                    "maps, so that field is empty in every record; is the name misspelt in the sources file?"
                )
        if self.rows_read and not (self.rows_kept or self.rows_merged):
            reasons = ", ".join(f"{code}: {n:,}" for code, n in sorted(self.quarantined_by_reason.items()))
            hint = (
                " A column or field the source maps is missing from its files: is its name misspelt in the sources "
                "file?"
                if QuarantineReason.MISSING_FIELD.value in self.quarantined_by_reason
                else ""
            )
            first = ""
            if quarantine is not None and "source" in quarantine and "reason" in quarantine:
                reasons_here = quarantine.loc[quarantine["source"] == self.source, "reason"]
                if len(reasons_here):
                    first = f" The first: {reasons_here.iloc[0]}"
            found.append(
                f"source '{self.source}': none of its {self.rows_read:,} rows was kept, every one is quarantined "
                f"({reasons}); the quarantine asset gives each row's file, row and reason.{first}{hint}"
            )
        if self.files and not self.rows_read:
            found.append(
                f"source '{self.source}': its {self.files:,} file(s) hold no rows ({self.empty_files:,} empty or "
                f"header-only, {self.blank_lines:,} blank lines)."
            )
        return found

    def reconciles(self) -> bool:
        """True when every row read was kept or quarantined, and the reasons add up."""
        return (
            self.rows_read == self.rows_kept + self.rows_merged + self.rows_quarantined
            and sum(self.quarantined_by_reason.values()) == self.rows_quarantined
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IngestResult:
    """Records and quarantine frames of one or more sources, with per-source statistics."""

    records: pd.DataFrame
    quarantine: pd.DataFrame
    stats: dict[str, SourceStats]
    #: With a file cache (``ingest_source(cache_dir=...)``): files read and reused, entries pruned.
    cache_stats: dict[str, int] | None = None
    #: Per source, per ``source_file``: ``sha256`` (of the file as read, None when it could not be read) and,
    #: for a CSV file, ``first_lines``: the first physical line (1-based) of each data row, in row order.
    #: The training set's manifest keeps them, so lineage can tell a raw file changed since and give a line.
    raw_files: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def reconciliation_problems(self) -> list[str]:
        """Each way the counts fail to add up, as a sentence; empty when they reconcile."""
        problems = []
        kept = self.records["source"].value_counts().to_dict()
        quarantined = self.quarantine["source"].value_counts().to_dict()
        for name, s in self.stats.items():
            if not s.reconciles():
                merged = f" + merged {s.rows_merged}" if s.rows_merged else ""
                problems.append(
                    f"source '{name}': read {s.rows_read} rows but kept {s.rows_kept}{merged} + quarantined "
                    f"{s.rows_quarantined} (by reason {s.quarantined_by_reason})."
                )
            if kept.get(name, 0) != s.rows_kept or quarantined.get(name, 0) != s.rows_quarantined:
                problems.append(
                    f"source '{name}': stats say kept {s.rows_kept} / quarantined {s.rows_quarantined}, the "
                    f"frames hold {kept.get(name, 0)} / {quarantined.get(name, 0)} rows."
                )
        for name in (set(kept) | set(quarantined)) - set(self.stats):
            problems.append(f"source '{name}' has rows but no statistics.")
        if self.records["record_id"].duplicated().any():
            problems.append(f"{int(self.records['record_id'].duplicated().sum())} duplicated record ids.")
        return problems

    def reconciles(self) -> bool:
        """True when, per source, rows read = kept + quarantined and the frames agree with the stats."""
        return not self.reconciliation_problems()


def ingest_sources(sources: list[SourceSettings], raw_dir: Path) -> IngestResult:
    """Read every source (in order) and concatenate the results."""
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate source names {duplicates}: names key partitions and record ids; rename them.")
    results = [ingest_source(source, raw_dir) for source in sources]
    return IngestResult(
        records=_concat([r.records for r in results], RECORD_COLUMNS),
        quarantine=_concat([r.quarantine for r in results], QUARANTINE_COLUMNS),
        stats={name: stats for r in results for name, stats in r.stats.items()},
        raw_files={name: files for r in results for name, files in r.raw_files.items()},
    )


def ingest_source(
    source: SourceSettings, raw_dir: Path, cache_dir: Path | None = None, *, log_warnings: bool = True
) -> IngestResult:
    """Read one source's files into records and quarantine rows.

    Raises ``NoFilesMatchedError`` when the path pattern matches nothing, unless the source has
    ``required=False`` (then the result has zero rows and zero files); never raises on file content.

    With ``cache_dir``, each file's rows, quarantine rows and counts are kept there under a key of the
    file's content (SHA-256), its path, the source settings and the reader code
    (:mod:`finetune_platform.ingest.file_cache`): a rerun after one new file reads that file only, and gives
    what reading every file gives. ``cache_stats`` on the result says how many files were read and reused.

    The source's warnings (``result.stats[name].warnings(result.quarantine)``: a mapped field no kept row has,
    a source that kept no row) go to this module's logger; ``log_warnings=False`` leaves them to a caller that
    reports them itself (the ``raw_corpus`` asset logs them to the run), so they are not printed twice.
    """
    raw_dir = Path(raw_dir)
    try:
        files = source.resolve_files(raw_dir)
    except NoFilesMatchedError:
        if source.required:
            raise
        files = []
    sink = _Sink(source)
    reader = _READERS[source.format]
    cache = None
    if cache_dir is not None:
        from finetune_platform.ingest.file_cache import FileCache

        cache = FileCache(Path(cache_dir), source)
    for path in files:
        rel = source_file_of(path, raw_dir)
        sha256 = file_sha256(path)
        sink.raw_files[rel] = {"sha256": sha256}
        key = cache.key(sha256, rel) if cache is not None and sha256 is not None else None
        if cache is not None and key is not None and cache.restore(key, rel, sink):
            continue
        marks = sink.mark()
        before = sink.stats.rows_read
        sink.stats.files += 1
        try:
            sink.stats.bytes_read += path.stat().st_size
            reader(path, rel, source, sink)
        except OSError as error:
            sink.quarantine(rel, 0, QuarantineReason.UNREADABLE_FILE, f"cannot be read: {error}", "")
        if sink.stats.rows_read == before:
            sink.stats.empty_files += 1
        if cache is not None and key is not None:
            cache.store(key, rel, sink, marks)
        elif cache is not None:  # unreadable (a link that leads nowhere): read, and quarantined, on every run
            cache.stats["files_read"] += 1
    from finetune_platform.curation.pii import name_pii_types, redact_name

    sink.stats.files_named_with_pii = [
        f"'{redact_name(rel)}' ({', '.join(types)})" for rel in sink.raw_files if (types := name_pii_types(rel))
    ]
    result = sink.result()
    result.raw_files = {source.name: sink.raw_files}
    if cache is not None:
        cache.prune()
        result.cache_stats = cache.stats
    withdrawn = source.withdrawn_rows_path(raw_dir)
    if withdrawn is not None:
        _withdraw(result, source, withdrawn)
    if sink.ticket_halves:  # after the withdrawals: a withdrawn half is no longer there to merge
        _merge_ticket_halves(result, source, sink.ticket_halves)
    if log_warnings:
        for warning in result.stats[source.name].warnings(result.quarantine):
            logger.warning(warning)
    return result


def _withdraw(result: IngestResult, source: SourceSettings, path: Path) -> None:
    """Withdraw the rows ``path`` (the source's ``withdrawn_rows`` list) names: a kept row moves from
    ``result.records`` to its quarantine, and a row quarantined for another reason is re-coded there; either
    way with reason ``withdrawn`` and no excerpt (nor the old reason, which may quote the text): a withdrawn
    row's text is what must not travel further. Rows read = kept + quarantined still holds exactly."""
    from finetune_platform.ingest.withdrawals import read_withdrawn_rows

    withdrawn = read_withdrawn_rows(path, source.name)
    stats = result.stats[source.name]
    if not withdrawn:
        return
    code = QuarantineReason.WITHDRAWN.value

    def why(file: str, row: int, record_id: str) -> str:
        where = f"{file} (whole file)" if row == 0 else f"{file}, row {row}"
        return f"{where}: withdrawn by {path.name}" + (f" ({withdrawn[record_id]})" if withdrawn[record_id] else "")

    quarantine = result.quarantine.reset_index(drop=True)  # a copy: the re-coded rows are changed in place
    quarantined_ids = source.name + "/" + quarantine["source_file"].astype(str) + "#" + quarantine["source_row"].astype(str)
    requarantined = (quarantined_ids.isin(list(withdrawn)) & (quarantine["reason_code"] != code)).to_numpy()
    for i in requarantined.nonzero()[0]:
        old = quarantine.at[i, "reason_code"]
        stats.quarantined_by_reason[old] -= 1
        if not stats.quarantined_by_reason[old]:
            del stats.quarantined_by_reason[old]
        stats.quarantined_by_reason[code] = stats.quarantined_by_reason.get(code, 0) + 1
        file, row = quarantine.at[i, "source_file"], int(quarantine.at[i, "source_row"])
        quarantine.at[i, "reason"] = why(file, row, quarantined_ids.iloc[i]) + f"; it was quarantined as {old} before."
        quarantine.at[i, "reason_code"] = code
        quarantine.at[i, "excerpt"] = ""
    records = result.records
    hit = records["record_id"].isin(list(withdrawn))
    found = set(records.loc[hit, "record_id"]) | set(quarantined_ids[quarantined_ids.isin(list(withdrawn))])
    stats.withdrawn_not_found = len(set(withdrawn) - found)
    result.quarantine = quarantine
    if not hit.any():
        return
    gone = records[hit]
    moved = pd.DataFrame(
        {
            "source": source.name,
            "source_file": gone["source_file"].to_numpy(),
            "source_row": gone["source_row"].to_numpy(),
            "reason_code": code,
            "reason": [
                why(f, r, rid) + "."
                for f, r, rid in zip(gone["source_file"], gone["source_row"], gone["record_id"], strict=True)
            ],
            "excerpt": "",
        },
        columns=QUARANTINE_COLUMNS,
    )
    result.records = records[~hit].reset_index(drop=True)
    result.quarantine = _concat([quarantine, moved], QUARANTINE_COLUMNS)
    n = len(gone)
    stats.rows_kept -= n
    stats.rows_quarantined += n
    stats.quarantined_by_reason[code] = stats.quarantined_by_reason.get(code, 0) + n


def _merge_ticket_halves(result: IngestResult, source: SourceSettings, halves: list[tuple[str, int, str, str]]) -> None:
    """Fold the ``reply`` row of each ticket of a platform Alpaca export into the record of its ``classify``
    row: ``export_alpaca`` writes a ticket as two rows (the label, the reply), which would otherwise come back
    as a label-only and a reply-only record, and near-duplicate dedup would then drop one half.

    ``halves``: (file, row, ticket key, task) of each kept row that is one (``interchange.platform_ticket_half``:
    the export's ``id`` ``"{record_id}::{task}"`` and the task's own instruction). A ticket merges only when its
    file holds exactly one row of each task, both still kept, with the same input, no reply on the classify
    row and no other label on the reply row; anything else stays as it was read. The merged record keeps the
    first row's record id and place; the other row is counted in ``rows_merged``."""
    by_ticket: dict[tuple[str, str], dict[str, list[int]]] = {}
    for rel, row, key, task in halves:
        by_ticket.setdefault((rel, key), {}).setdefault(task, []).append(int(row))
    records = result.records
    where = {(f, int(r)): i for i, (f, r) in enumerate(zip(records["source_file"], records["source_row"], strict=True))}
    drop: list[int] = []
    for (rel, _), tasks in by_ticket.items():
        if len(tasks.get("classify", ())) != 1 or len(tasks.get("reply", ())) != 1:
            continue
        c, r = where.get((rel, tasks["classify"][0])), where.get((rel, tasks["reply"][0]))
        if c is None or r is None:  # withdrawn
            continue
        first, second = records.iloc[c], records.iloc[r]
        label, reply_label = str(first["label"]).strip(), str(second["label"]).strip()
        if (
            first["text"] != second["text"]
            or str(first["response"])
            or first["messages"]
            or second["messages"]
            or (reply_label and reply_label != label)
        ):
            continue
        keep, gone = (c, r) if c < r else (r, c)
        records.iat[keep, records.columns.get_loc("response")] = second["response"]
        records.iat[keep, records.columns.get_loc("label")] = label
        drop.append(gone)
    if not drop:
        return
    result.records = records.drop(index=records.index[drop]).reset_index(drop=True)
    stats = result.stats[source.name]
    stats.rows_kept -= len(drop)
    stats.rows_merged += len(drop)


# --------------------------------------------------------------------------------------------------
# Row mapping shared by all formats


@dataclass(frozen=True)
class _Problem:
    code: QuarantineReason
    message: str


def _map_row(row: Mapping[str, Any], source: SourceSettings) -> tuple[dict[str, str], list[str]] | _Problem:
    """Map one parsed row to the record fields, or say why it cannot be kept.

    Returns the fields (text, response, label, messages) and the optional fields that were absent.
    """
    if source.format in INTERCHANGE_DOC_TYPES:
        return _map_interchange_row(row, source)
    missing: list[str] = []
    checked: dict[str, str] = {}  # field name -> value, for the encoding / formula / size checks

    def optional(name: str | None, allow_int: bool = False) -> str | _Problem:
        if name is None:
            return ""
        value = row.get(name)
        if value is None or (allow_int and isinstance(value, float) and math.isnan(value)):
            missing.append(name)  # NaN: a missing value in a numeric label column (pandas, Parquet)
            return ""
        if isinstance(value, int) and not isinstance(value, bool) and allow_int:
            value = str(value)
        elif isinstance(value, float) and allow_int and value.is_integer():
            value = str(int(value))  # 3.0: an integer label column that holds a missing value became float
        if not isinstance(value, str):
            return _Problem(QuarantineReason.WRONG_TYPE, f"field '{name}' is {json_type(value)}, expected a string")
        checked[name] = value
        return value

    if source.messages_field is not None:
        parsed = _parse_messages(row, source.messages_field)
        if isinstance(parsed, _Problem):
            return parsed
        messages = parsed
        for i, message in enumerate(messages):
            checked[f"{source.messages_field}[{i}].content"] = message["content"]
        text, response = chat_text_and_response(messages)
        messages_json = json.dumps(messages, ensure_ascii=False)
        if not text.strip():
            return _Problem(QuarantineReason.EMPTY_TEXT, f"'{source.messages_field}' has no non-empty user turn")
    else:
        name = source.text_field
        if name not in row:
            return _Problem(QuarantineReason.MISSING_FIELD, f"has no field '{name}' (fields: {_field_list(row)})")
        body = row[name]
        if body is None:
            return _Problem(QuarantineReason.EMPTY_TEXT, f"field '{name}' is null")
        if not isinstance(body, str):
            return _Problem(QuarantineReason.WRONG_TYPE, f"field '{name}' is {json_type(body)}, expected a string")
        if not body.strip():
            return _Problem(QuarantineReason.EMPTY_TEXT, f"field '{name}' is empty")
        checked[name] = body
        title = optional(source.title_field)
        if isinstance(title, _Problem):
            return title
        text = f"{title.strip()}\n\n{body}" if title.strip() else body
        response = optional(source.response_field)
        if isinstance(response, _Problem):
            return response
        messages_json = ""
    label = optional(source.label_field, allow_int=True)
    if isinstance(label, _Problem):
        return label
    problem = _check_fields(checked, source)
    if problem is not None:
        return problem
    return {"text": text, "response": response, "label": label.strip(), "messages": messages_json}, missing


def _map_interchange_row(row: Mapping[str, Any], source: SourceSettings) -> tuple[dict[str, str], list[str]] | _Problem:
    """Map a row of an Alpaca, ShareGPT or OpenAI chat file with ``formats.interchange`` (imported here:
    interchange imports this module), then apply the same encoding, formula and size checks."""
    from finetune_platform.formats import interchange

    try:
        fields = interchange.record_fields(row, source.format)  # type: ignore[arg-type]
    except interchange.RowError as error:
        return _Problem(error.code, error.message)
    problem = _check_fields(_interchange_strings(row, source.format, fields), source)
    if problem is not None:
        return problem
    return fields, []


def _interchange_strings(row: Mapping[str, Any], format: str, fields: Mapping[str, str]) -> dict[str, str]:
    """Every string of an interchange row that the record keeps (each turn it becomes, and the label), named
    as the row names it, for ``_check_fields``: Alpaca's instruction, input, output, ``system`` and each
    ``history[i][j]``; each ShareGPT ``conversations[i].value`` and a dataset-level ``system`` it put first;
    each OpenAI ``messages[i].content`` (text parts joined)."""
    checked: dict[str, str] = {}
    if format == "alpaca":
        checked = {k: row[k] for k in ("instruction", "input", "output", "system") if isinstance(row.get(k), str)}
        history = row.get("history")
        if isinstance(history, list):
            for i, pair in enumerate(history):
                for j, turn in enumerate(pair if isinstance(pair, list) else []):
                    if isinstance(turn, str):
                        checked[f"history[{i}][{j}]"] = turn
    else:
        messages = json.loads(fields["messages"]) if fields["messages"] else []
        if format == "sharegpt":
            turns = row.get("conversations")
            # a dataset-level system prompt the mapping put before the turns
            offset = len(messages) - len(turns) if isinstance(turns, list) else 0
            if offset == 1:
                checked["system"] = messages[0]["content"]
            for i, message in enumerate(messages[offset:]):
                checked[f"conversations[{i}].value"] = message["content"]
        else:
            for i, message in enumerate(messages):
                checked[f"messages[{i}].content"] = message["content"]
    if isinstance(row.get("label"), str):
        checked["label"] = row["label"]
    return checked


def _check_fields(checked: Mapping[str, str], source: SourceSettings) -> _Problem | None:
    """The first problem of the kept text fields: undecodable characters, a formula, or too many bytes."""
    size = 0
    for name, value in checked.items():
        try:
            size += len(value.encode("utf-8"))
        except UnicodeEncodeError as error:
            return _Problem(
                QuarantineReason.INVALID_ENCODING,
                f"field '{name}' is not valid {source.encoding} (bad byte or unpaired surrogate at character "
                f"{error.start})",
            )
        if is_spreadsheet_formula(value):
            return _Problem(
                QuarantineReason.FORMULA_INJECTION,
                f"field '{name}' starts like a spreadsheet formula or DDE command ({quoted(value.strip(), 40)})",
            )
    if size > source.max_record_bytes:
        return _Problem(
            QuarantineReason.OVERSIZED, f"record is {size:,} bytes, over max_record_bytes={source.max_record_bytes:,}"
        )
    return None


def chat_text_and_response(messages: list[dict[str, Any]]) -> tuple[str, str]:
    """A conversation's ``text`` and ``response``: the last assistant reply that may be trained on (not
    :func:`untrained`), and the user turns before it joined by newlines. User turns after the reply ("OK,
    $42.50 to my card, thanks!") are left out of the text: they quote the answer, which a reply example
    would then find in its own prompt. A conversation whose trainable replies all come before the first
    user turn (a greeting), or that has none, answers nothing: its text is every user turn and its
    response empty."""
    last = max((i for i, m in enumerate(messages) if m["role"] == "assistant" and not untrained(m)), default=None)
    asked = messages if last is None else messages[:last]
    text = "\n".join(m["content"] for m in asked if m["role"] == "user" and m["content"].strip())
    if last is None or not text.strip():
        return "\n".join(m["content"] for m in messages if m["role"] == "user" and m["content"].strip()), ""
    return text, messages[last]["content"]


#: The key of OpenAI's per-message training weight: an assistant message with ``"weight": 0`` is context
#: that must not be trained on (a reply shown as a bad example); 1, the default, trains it. The platform
#: keeps the key in ``messages`` only where it is 0, so a conversation without weights is stored unchanged.
WEIGHT_KEY = "weight"


def untrained(message: Mapping[str, Any]) -> bool:
    """True for a message that must not be trained on: one with ``"weight": 0``."""
    weight = message.get(WEIGHT_KEY)
    return weight == 0 and type(weight) is int


def weight_problem(message: Mapping[str, Any], where: str, role: str) -> str | None:
    """Why the ``weight`` of a message whose platform role is ``role`` cannot be read, or None: no weight
    (absent or null: Parquet and Hugging Face ``datasets`` write null on the turns without one), 1, or 0
    on an assistant turn (OpenAI's chat fine-tuning format)."""
    weight = message.get(WEIGHT_KEY)
    if weight is None:
        return None
    if type(weight) is not int or weight not in (0, 1):  # true/false are not weights, nor is 0.5
        return (
            f"{where}.weight is {_as_json(weight)}; a weight is 0 (do not train on this reply) or 1 (train on it), "
            "as in OpenAI's chat fine-tuning format"
        )
    if role != "assistant" and weight == 0:
        return f"{where}.weight is 0 on a {role!r} turn; only assistant replies can be left out of training"
    return None


def _as_json(value: Any) -> str:
    """``value`` as the file wrote it (JSON: true, "0"), for error messages."""
    from finetune_platform.curation.pii import redact_then_cut

    try:
        return redact_then_cut(json.dumps(value, ensure_ascii=False), 60)
    except (TypeError, ValueError):
        return redact_then_cut(repr(value), 60)


def quoted(value: Any, limit: int = 60) -> str:
    """``value`` quoted in a quarantine reason (a string's ``repr``, anything else as Python writes it), its PII
    redacted before it is cut to ``limit`` characters: cut first, part of an address would be left
    ("jane.doe@example.") that no detector recognises, in the stored reason and in the redacted preview."""
    from finetune_platform.curation.pii import redact_then_cut

    return repr(redact_then_cut(value, limit)) if isinstance(value, str) else redact_then_cut(repr(value), limit)


def kept_message(role: str, content: str, message: Mapping[str, Any]) -> dict[str, Any]:
    """The platform's form of a message: role, content and, for an :func:`untrained` one, ``"weight": 0``."""
    return {"role": role, "content": content, WEIGHT_KEY: 0} if untrained(message) else {"role": role, "content": content}


def joined_text_parts(parts: list[Any], where: str) -> tuple[str | None, str | None]:
    """OpenAI content parts (``[{"type": "text", "text": ...}, ...]``) as one text, and None; or None and why
    they cannot be: every part must be text with a string (an image or audio part dropped here would change
    what was asked without a word)."""
    texts = [p.get("text") for p in parts if isinstance(p, Mapping) and p.get("type") == "text"]
    if len(texts) == len(parts) and all(isinstance(t, str) for t in texts):
        return "\n".join(texts), None
    if len(texts) == len(parts):  # all text parts, one without a string
        i = next(i for i, t in enumerate(texts) if not isinstance(t, str))
        got = "no 'text'" if "text" not in parts[i] else f"'text' that is {json_type(texts[i])}"
        return None, f"{where} part {i} is a text part with {got}; a text part needs a string 'text'"
    kinds = sorted({str(p.get("type")) if isinstance(p, Mapping) else type(p).__name__ for p in parts})
    return None, (
        f"{where} holds parts of type {kinds}; only text parts can be trained on (an image or audio part cannot "
        "be dropped without changing what was asked)"
    )


def tool_use_problem(message: Mapping[str, Any], where: str) -> str | None:
    """Why a message of function-calling data cannot be trained on yet (a ``tool`` result, an assistant
    turn with ``tool_calls`` or a legacy ``function_call``), or None. The platform keeps role and content
    only, so the reply after a tool result would be trained without that result: a model taught to state
    facts it was never given. Such a conversation is quarantined whole, naming the turn."""
    role = message.get("role")
    if role in ("tool", "function") or message.get("tool_calls") or message.get("function_call"):
        return function_calling_problem(where, result=role in ("tool", "function"))
    return None


def function_calling_problem(where: str, *, result: bool) -> str:
    """The reason a turn of function-calling data (a tool call, or with ``result`` a tool result) quarantines
    its conversation, as every chat format says it (OpenAI ``tool``/``function``/``tool_calls``, ShareGPT and
    LLaMA-Factory ``function_call``/``observation``)."""
    what = "a tool result" if result else "a tool call"
    return (
        f"{where} is {what}: function-calling data is not supported yet (the reply after a tool result "
        "would be trained without it), so the conversation is quarantined whole"
    )


def _parse_messages(row: Mapping[str, Any], name: str) -> list[dict[str, Any]] | _Problem:
    """Validate an OpenAI-style message list (or its JSON string); text parts of multi-part content are joined,
    and an assistant turn's ``"weight": 0`` is kept (see :data:`WEIGHT_KEY`)."""
    if name not in row:
        return _Problem(QuarantineReason.MISSING_FIELD, f"has no field '{name}' (fields: {_field_list(row)})")
    value = row[name]
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as error:  # ValueError: JSONDecodeError, an over-long integer
            return _Problem(QuarantineReason.INVALID_MESSAGES, f"field '{name}' is a string but not JSON ({error})")
    if not isinstance(value, list) or not value:
        return _Problem(
            QuarantineReason.INVALID_MESSAGES,
            f"field '{name}' must be a non-empty array of {{role, content}} messages, found {json_type(value)}",
        )
    messages = []
    for i, message in enumerate(value):
        if not isinstance(message, Mapping):
            return _Problem(
                QuarantineReason.INVALID_MESSAGES, f"{name}[{i}] is {json_type(message)}, not an object"
            )
        role, content = message.get("role"), message.get("content")
        if role == "function":  # OpenAI's legacy function result
            return _Problem(QuarantineReason.INVALID_MESSAGES, function_calling_problem(f"{name}[{i}]", result=True))
        if not isinstance(role, str) or role not in _MESSAGE_ROLES:  # a list or object is not a role
            return _Problem(
                QuarantineReason.INVALID_MESSAGES,
                f"{name}[{i}].role is {quoted(role)}, expected one of {sorted(_MESSAGE_ROLES)}",
            )
        tool_use = tool_use_problem(message, f"{name}[{i}]") or weight_problem(message, f"{name}[{i}]", role)
        if tool_use is not None:
            return _Problem(QuarantineReason.INVALID_MESSAGES, tool_use)
        if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
            content, problem = joined_text_parts(content, f"{name}[{i}].content")
            if problem is not None:
                return _Problem(QuarantineReason.INVALID_MESSAGES, problem)
        if not isinstance(content, str):
            return _Problem(
                QuarantineReason.INVALID_MESSAGES,
                f"{name}[{i}].content is {json_type(content)}, expected a string or text parts",
            )
        messages.append(kept_message(role, content, message))
    return messages


def _field_list(row: Mapping[str, Any]) -> str:
    keys = [str(k) for k in row][:12]
    return ", ".join(keys) + (", ..." if len(row) > 12 else "") if keys else "none"


class _Sink:
    """Collects one source's records, quarantine rows and statistics."""

    def __init__(self, source: SourceSettings) -> None:
        self.source = source
        self.stats = SourceStats(source=source.name)
        self.records: list[tuple] = []
        self.rejected: list[tuple] = []
        #: (file, row, ticket key, task) of each kept row of a platform Alpaca export (``_merge_ticket_halves``)
        self.ticket_halves: list[tuple[str, int, str, str]] = []
        #: per file read: ``sha256`` and, for CSV, ``first_lines`` (``IngestResult.raw_files``)
        self.raw_files: dict[str, dict[str, Any]] = {}

    def first_line(self, rel: str, line: int) -> None:
        """Note the first physical line of the next data row of the CSV file ``rel``."""
        self.raw_files.setdefault(rel, {}).setdefault("first_lines", []).append(line)

    def row(self, rel: str, row_number: int, row: Mapping[str, Any], excerpt: Any) -> None:
        """Map a parsed row and keep or quarantine it."""
        mapped = _map_row(row, self.source)
        if isinstance(mapped, _Problem):
            self.quarantine(rel, row_number, mapped.code, mapped.message, excerpt)
            return
        fields, missing = mapped
        if self.source.format == "alpaca":
            from finetune_platform.formats.interchange import platform_ticket_half

            half = platform_ticket_half(row)
            if half is not None:
                self.ticket_halves.append((rel, row_number, *half))
        for name in missing:
            self.stats.rows_missing_field[name] = self.stats.rows_missing_field.get(name, 0) + 1
        self.stats.rows_read += 1
        self.stats.rows_kept += 1
        self.records.append(
            (
                f"{self.source.name}/{rel}#{row_number}",
                self.source.name,
                rel,
                row_number,
                self.source.doc_type,
                fields["text"],
                fields["response"],
                fields["label"],
                fields["messages"],
            )
        )

    def quarantine(self, rel: str, row_number: int, code: QuarantineReason, problem: str, excerpt: Any) -> None:
        from finetune_platform.curation.pii import redact_then_cut

        where = f"{rel} (whole file)" if row_number == 0 else f"{rel}, row {row_number}"
        # a field name or cell quoted with an undecodable byte in it; and what a reason quotes uncut (the header
        # of a CSV whose first line is data, a row's field names) redacted, as a cut value is where it is cut
        problem = redact_then_cut(_shown(problem), None)
        self.stats.rows_read += 1
        self.stats.rows_quarantined += 1
        self.stats.quarantined_by_reason[code.value] = self.stats.quarantined_by_reason.get(code.value, 0) + 1
        self.rejected.append(
            (
                self.source.name,
                rel,
                row_number,
                code.value,
                f"{where}: {problem}.",
                _excerpt(excerpt, self.source.encoding),
            )
        )

    def mark(self) -> tuple[int, int, dict[str, Any], int]:
        """Where the lists stand and a copy of the counts: what :meth:`since` measures from."""
        return len(self.records), len(self.rejected), copy.deepcopy(self.stats.as_dict()), len(self.ticket_halves)

    def since(
        self, marks: tuple[int, int, dict[str, Any], int]
    ) -> tuple[list[tuple], list[tuple], dict[str, Any], list[tuple[str, int, str, str]]]:
        """The records, quarantine rows, count increments and ticket halves added after ``marks`` (one
        file's share)."""
        n_records, n_rejected, before, n_halves = marks
        after = self.stats.as_dict()
        delta: dict[str, Any] = {}
        for name, value in after.items():
            if isinstance(value, dict):
                delta[name] = {k: v - before[name].get(k, 0) for k, v in value.items() if v != before[name].get(k, 0)}
            elif isinstance(value, int):
                delta[name] = value - before[name]
        return self.records[n_records:], self.rejected[n_rejected:], delta, self.ticket_halves[n_halves:]

    def add(
        self,
        records: list[tuple],
        rejected: list[tuple],
        delta: dict[str, Any],
        ticket_halves: list[tuple[str, int, str, str]] = (),  # type: ignore[assignment]
        rel: str | None = None,
        first_lines: list[int] | None = None,
    ) -> None:
        """Add one file's share read back from the cache (``rel``'s CSV first lines too, when it has some)."""
        if rel is not None and first_lines:
            self.raw_files.setdefault(rel, {})["first_lines"] = [int(n) for n in first_lines]
        self.records.extend(records)
        self.rejected.extend(rejected)
        self.ticket_halves.extend((str(f), int(r), str(k), str(t)) for f, r, k, t in ticket_halves)
        for name, value in delta.items():
            if isinstance(value, dict):
                counts = getattr(self.stats, name)
                for k, v in value.items():
                    counts[k] = counts.get(k, 0) + v
            else:
                setattr(self.stats, name, getattr(self.stats, name) + value)

    def result(self) -> IngestResult:
        records = pd.DataFrame(self.records, columns=RECORD_COLUMNS).astype({"source_row": "int64"})
        quarantine = pd.DataFrame(self.rejected, columns=QUARANTINE_COLUMNS).astype({"source_row": "int64"})
        return IngestResult(records=records, quarantine=quarantine, stats={self.source.name: self.stats})


#: The end of a text cut at a window's edge that may be part of a value: what follows the last separator.
_PARTIAL_TAIL = re.compile(r"[^\s\"',;()\[\]{}<>]*\Z")


def _excerpt(raw: Any, encoding: str) -> str:
    """The first characters of the offending input, printable and without unpaired surrogates or NULs, PII
    redacted before the cut (excerpts are shown to people and cached on disk). Only quarantined rows pay for
    the redaction; a window cut off the input loses its last, maybe partial, token first."""
    from finetune_platform.curation.pii import redact_then_cut

    if isinstance(raw, bytes):
        text = raw[: EXCERPT_CHARS * 4].decode(encoding, "backslashreplace")
        cut = len(raw) > EXCERPT_CHARS * 4
    elif isinstance(raw, str):
        text = _shown(raw[: EXCERPT_CHARS * 2])
        cut = len(raw) > EXCERPT_CHARS * 2
    else:
        try:
            written = json.dumps(raw, ensure_ascii=False, default=str)
        except (RecursionError, ValueError):  # nested past the encoder's depth; an over-long integer
            return f"<a JSON {type(raw).__name__} that cannot be written back: nested too deeply or too large>"
        text = _shown(written[: EXCERPT_CHARS * 2])
        cut = len(written) > EXCERPT_CHARS * 2
    text = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    if cut:
        text = _PARTIAL_TAIL.sub("", text)
    return redact_then_cut(text, EXCERPT_CHARS)


def _shown(text: str) -> str:
    """``text`` writable as UTF-8: an undecodable byte kept as a surrogate (``surrogateescape``, the CSV and
    JSON readers) shown as ``\\xNN``, any other lone surrogate as ``\\udNNN``."""
    if text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def source_file_of(path: Path, raw_dir: Path) -> str:
    """The ``source_file`` of a file ingest reads (and the middle of its record ids): its path relative to
    the raw data folder, or its absolute path when it lies outside."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13): the path as found
        resolved = path.absolute()
    try:
        return resolved.relative_to(raw_dir.resolve()).as_posix()
    except ValueError:  # an absolute pattern outside the raw folder: keep the absolute path
        return resolved.as_posix()


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "source_row" else object) for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def json_type(value: Any) -> str:
    """What a parsed JSON (or Parquet) value is, in JSON's words for a person reading a quarantine reason: "null",
    "a boolean", "a number", "a string", "an empty array", "an array", "an object" (not Python's "NoneType",
    "list")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array" if value else "an empty array"
    return f"a {type(value).__name__}"


#: The first bytes of files that are no text, whatever bytes follow (a compressed file need hold no NUL early),
#: and what to do about each: (magic, what it is, what to do).
_KNOWN_NOT_TEXT: tuple[tuple[bytes, str, str], ...] = (
    (b"\x1f\x8b", "a gzip-compressed file", "decompress it (gunzip) into the source's folder"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx or .docx file is one)",
     "unzip it, or export a spreadsheet as 'CSV UTF-8'"),
    (b"PAR1", "a Parquet file", "give it a source with format: parquet"),
    (b"\xff\xfe", "a UTF-16 text file (Excel's 'Unicode Text')", "save it as UTF-8 ('CSV UTF-8')"),
    (b"\xfe\xff", "a UTF-16 text file", "save it as UTF-8"),
    (b"%PDF", "a PDF document", "extract its text first"),
    (b"BZh", "a bzip2-compressed file", "decompress it (bunzip2)"),
    (b"\xfd7zXZ\x00", "an xz-compressed file", "decompress it (unxz)"),
)


def _not_text(head: bytes) -> tuple[str, str] | None:
    """(what the file is, what to do) when ``head`` opens a kind of file that is no text (:data:`_KNOWN_NOT_TEXT`);
    a UTF-16 file without its byte-order mark is told by the NULs between its ASCII letters."""
    for magic, what, todo in _KNOWN_NOT_TEXT:
        # bzip2's block magic (pi) after its header; a Parquet page header (a Thrift struct) after "PAR1"
        if head.startswith(magic) and (magic != b"BZh" or head[4:10] == b"1AY&SY") and (
            magic != b"PAR1" or head[4:5] == b"\x15"
        ):
            return what, todo
    sample = head[:200]
    if len(sample) >= 8 and sample[1::2].count(0) >= len(sample[1::2]) * 0.8 and sample[::2].count(0) == 0:
        return "a UTF-16 text file", "save it as UTF-8"
    return None


def _is_binary(head: bytes) -> bool:
    return b"\x00" in head or _not_text(head) is not None


def _strip_bom(raw: bytes, source: SourceSettings) -> bytes:
    """``raw`` without a leading UTF-8 byte-order mark, whatever the source's encoding (an editor that adds
    one to a file declared cp1252 would otherwise put "ï»¿" before the first field name)."""
    return raw[len(_UTF8_BOM) :] if raw.startswith(_UTF8_BOM) and not source.encoding.lower().startswith("utf-16") else raw


def _binary(rel: str, head: bytes, sink: _Sink) -> None:
    known = _not_text(head)
    problem = (
        f"is {known[0]}, not {sink.source.format} text: {known[1]}"
        if known is not None
        else f"contains NUL bytes in its first {SNIFF_BYTES:,} bytes: a binary (or UTF-16) file, not {sink.source.format}"
    )
    sink.quarantine(rel, 0, QuarantineReason.BINARY_FILE, problem, head)


# --------------------------------------------------------------------------------------------------
# Formats


def _read_jsonl(path: Path, rel: str, source: SourceSettings, sink: _Sink) -> None:
    """One JSON object per line; a line longer than max_record_bytes is skipped in chunks, never held whole.

    A line ends at LF, CRLF or a lone CR (a classic-Mac export, a file of mixed line ends), as in the CSV
    reader. That never cuts a JSON string (a raw CR is not allowed inside one); a line that does not parse in
    a file with lone CRs says so, in case the CR was whitespace inside an object."""
    limit = source.max_record_bytes
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
        if _is_binary(head):
            _binary(rel, head, sink)
            return
        f.seek(0)
        lone_cr = ""
        for line_number, (raw, length, ending) in enumerate(_physical_lines(f, limit), start=1):
            if ending == b"\r":
                lone_cr = "; the file ends lines with a lone CR (classic Mac), which is read as a line end"
            if line_number == 1:
                raw = _strip_bom(raw, source)
            if length - len(ending) > limit:
                sink.quarantine(
                    rel,
                    line_number,
                    QuarantineReason.OVERSIZED,
                    f"line is {length:,} bytes, over max_record_bytes={limit:,}",
                    raw[: EXCERPT_CHARS * 4],
                )
                continue
            if not raw.strip():
                sink.stats.blank_lines += 1
                continue
            try:
                line = raw.decode(source.encoding)
            except UnicodeDecodeError as error:
                sink.quarantine(
                    rel,
                    line_number,
                    QuarantineReason.INVALID_ENCODING,
                    f"invalid {source.encoding} at byte {error.start} ({error.reason})",
                    raw,
                )
                continue
            line = line.rstrip("\r\n")
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                sink.quarantine(
                    rel,
                    line_number,
                    QuarantineReason.MALFORMED_JSON,
                    f"not valid JSON: {_json_problem(error)} (a truncated or hand-edited line?){lone_cr}",
                    line,
                )
                continue
            except RecursionError:
                sink.quarantine(rel, line_number, QuarantineReason.MALFORMED_JSON, "JSON nested too deeply", line)
                continue
            except ValueError as error:  # an integer of more digits than Python converts (sys.int_max_str_digits)
                sink.quarantine(rel, line_number, QuarantineReason.MALFORMED_JSON, f"unreadable JSON: {error}", line)
                continue
            if not isinstance(value, dict):
                sink.quarantine(
                    rel,
                    line_number,
                    QuarantineReason.NOT_AN_OBJECT,
                    f"line holds {json_type(value)}, expected an object",
                    line,
                )
                continue
            sink.row(rel, line_number, value, line)


def _json_problem(error: json.JSONDecodeError) -> str:
    where = f"column {error.colno}" if error.lineno == 1 else f"line {error.lineno}, column {error.colno}"
    return f"{error.msg.removesuffix(' at')} at {where}"


#: A line end: LF, CRLF or a lone CR.
_LINE_END = re.compile(rb"\r\n?|\n")
_LINE_BLOCK = 1 << 20


def _physical_lines(f: BinaryIO, limit: int) -> Iterator[tuple[bytes, int, bytes]]:
    """Each line of ``f`` as (its bytes, its length, its line end: b"\\n", b"\\r\\n", b"\\r", or b"" for a
    last line without one). A line ends at LF, CRLF or a lone CR. The file is read in 1 MiB blocks and a line
    is held up to ``limit`` bytes and its line end only, so an over-long line is never held whole (its
    length says it is over)."""
    cap = limit + 2  # a line of ``limit`` bytes and a CRLF
    line = bytearray()
    length = 0
    held = b""  # a CR that ended the last block: its LF, if any, opens the next one
    while True:
        data = f.read(_LINE_BLOCK)
        block = held + data if held else data
        held = b""
        if data and block.endswith(b"\r"):
            block, held = block[:-1], b"\r"
        start = 0
        for end in _LINE_END.finditer(block):
            stop = end.end()
            if len(line) < cap:
                line += block[start : min(stop, start + cap - len(line))]
            yield bytes(line), length + stop - start, end.group()
            line.clear()
            length = 0
            start = stop
        if start < len(block):
            if len(line) < cap:
                line += block[start : start + cap - len(line)]
            length += len(block) - start
        if not data:
            break
    if length:
        yield bytes(line), length, b""


def _read_json(path: Path, rel: str, source: SourceSettings, sink: _Sink) -> None:
    """A JSON array of objects (the whole file is parsed at once; elements are rows, 1-based).

    A file that is not valid in the source's encoding is decoded with ``surrogateescape``, as CSV lines are:
    each element holding an undecodable byte (in any key or value, as a JSONL line with one is) is quarantined
    as ``invalid_encoding``, naming the field, and the other elements are read. (A bad byte outside a string
    breaks the JSON itself: the whole file is one quarantined row then.)"""
    raw = path.read_bytes()
    if _is_binary(raw[:SNIFF_BYTES]):
        _binary(rel, raw[:SNIFF_BYTES], sink)
        return
    raw = _strip_bom(raw, source)
    if not raw.strip():
        return
    hint = (
        "name the file .jsonl for one object per line"
        if source.format in INTERCHANGE_DOC_TYPES
        else "use format 'jsonl' for one object per line"
    )
    lines_hint = ""
    escaped = False
    try:
        try:
            text = raw.decode(source.encoding)
        except UnicodeDecodeError:
            text, escaped = raw.decode(source.encoding, "surrogateescape"), True
        document = json.loads(text)
    except UnicodeDecodeError as error:  # a codec that cannot escape the byte (UTF-16)
        sink.quarantine(
            rel, 0, QuarantineReason.INVALID_ENCODING, f"invalid {source.encoding} at byte {error.start}", raw
        )
        return
    except json.JSONDecodeError as error:
        if error.msg == "Extra data" and raw.lstrip()[:1] == b"{":  # what Dataset.to_json writes by default
            lines_hint = f"; it looks like JSON Lines, one object per line ({hint})"
        sink.quarantine(
            rel,
            0,
            QuarantineReason.MALFORMED_JSON,
            f"not valid JSON: {_json_problem(error)}{lines_hint}",
            raw,
        )
        return
    except RecursionError:
        sink.quarantine(rel, 0, QuarantineReason.MALFORMED_JSON, "JSON nested too deeply", raw)
        return
    except ValueError as error:  # an integer of more digits than Python converts (sys.int_max_str_digits)
        sink.quarantine(rel, 0, QuarantineReason.MALFORMED_JSON, f"unreadable JSON: {error}", raw)
        return
    if not isinstance(document, list):
        # an export that wraps its rows, {"data": [...]}: the rows are there, one level down; one object per
        # line (the jsonl hint) would not read them
        wrapped = (
            [k for k, v in document.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
            if isinstance(document, dict)
            else []
        )
        if wrapped:
            key = _shown(wrapped[0])
            hint = (
                f"its key '{key}' holds an array of {len(document[wrapped[0]]):,} objects, which is read only at the "
                f"top level: write that array alone to the file, e.g. jq '.[\"{key}\"]'"
            )
        sink.quarantine(
            rel,
            0,
            QuarantineReason.NOT_AN_ARRAY,
            f"top level is {json_type(document)}, expected an array of objects ({hint})",
            raw,
        )
        return
    for index, value in enumerate(document, start=1):
        if not isinstance(value, dict):
            sink.quarantine(
                rel,
                index,
                QuarantineReason.NOT_AN_OBJECT,
                f"element is {json_type(value)}, expected an object",
                value,
            )
            continue
        bad = _undecodable(value, source.encoding) if escaped else None
        if bad is not None:
            sink.quarantine(rel, index, QuarantineReason.INVALID_ENCODING, bad, value)
            continue
        sink.row(rel, index, value, value)


def _escaped_byte_at(text: str) -> int:
    """The position of the first byte ``surrogateescape`` kept in ``text`` (U+DC80..U+DCFF), or -1."""
    return next((i for i, c in enumerate(text) if "\udc80" <= c <= "\udcff"), -1)


def _undecodable(element: dict[str, Any], encoding: str) -> str | None:
    """Where a JSON element decoded with ``surrogateescape`` holds a byte that is not valid ``encoding``, as
    the quarantine reason, or None: the first key or field (a nested value is named by its top-level field)."""
    def holds(value: Any) -> bool:
        if isinstance(value, str):
            return _escaped_byte_at(value) >= 0
        if isinstance(value, dict):
            return any(holds(k) or holds(v) for k, v in value.items())
        if isinstance(value, list):
            return any(holds(v) for v in value)
        return False

    for key, value in element.items():
        if _escaped_byte_at(key) >= 0:
            return f"the key '{key}' is not valid {encoding} (a bad byte at character {_escaped_byte_at(key)})"
        if isinstance(value, str) and _escaped_byte_at(value) >= 0:
            return f"field '{key}' is not valid {encoding} (a bad byte at character {_escaped_byte_at(value)})"
        if holds(value):
            return f"field '{key}' holds a string that is not valid {encoding} (a bad byte)"
    return None


def _read_interchange(path: Path, rel: str, source: SourceSettings, sink: _Sink) -> None:
    """An Alpaca, ShareGPT or OpenAI chat file: ``.jsonl`` lines or a ``.json`` array, by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        _read_jsonl(path, rel, source, sink)
    elif suffix == ".json":
        _read_json(path, rel, source, sink)
    else:
        sink.quarantine(
            rel,
            0,
            QuarantineReason.UNREADABLE_FILE,
            f"format '{source.format}' reads .jsonl (one object per line) or .json (an array of objects) files, "
            f"not {suffix or 'a file without a suffix'!r}: rename the file or narrow the source's path pattern",
            b"",
        )


#: A Markdown file's YAML front matter (Jekyll, Hugo, Docusaurus): a first line "---", then the fields, then a
#: line "---" or "...". It is the page's metadata, not its text.
_FRONT_MATTER = re.compile(r"---[ \t]*\r?\n(?:.*?\r?\n)??(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def _is_yaml_mapping(block: str) -> bool:
    """Whether the lines of a front matter block (its closing line included) read as YAML fields."""
    import yaml

    body = block.rstrip().rsplit("\n", 1)[0] if "\n" in block.rstrip() else ""
    try:
        return isinstance(yaml.safe_load(body), dict)
    except yaml.YAMLError:
        return False


def _read_text(path: Path, rel: str, source: SourceSettings, sink: _Sink) -> None:
    """One record per file (plain text, Markdown): text = the whole content (a Markdown file's YAML front
    matter left out: the page's metadata, still in the raw file the record points to); a blank file has no
    row."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
        if _is_binary(head):
            _binary(rel, head, sink)
            return
        if size > source.max_record_bytes:
            sink.quarantine(
                rel,
                1,
                QuarantineReason.OVERSIZED,
                f"file is {size:,} bytes, over max_record_bytes={source.max_record_bytes:,}",
                head,
            )
            return
        f.seek(0)
        raw = _strip_bom(f.read(), source)
    if not raw.strip():
        return
    try:
        content = raw.decode(source.encoding)
    except UnicodeDecodeError as error:
        sink.quarantine(
            rel, 1, QuarantineReason.INVALID_ENCODING, f"invalid {source.encoding} at byte {error.start}", raw
        )
        return
    if path.suffix.lower() in (".md", ".markdown") and content.startswith("---"):
        front = _FRONT_MATTER.match(content)
        if front is not None and _is_yaml_mapping(content[content.index("\n") + 1:front.end()]):
            content = content[front.end():]  # not a "---" rule that happens to open the page
    sink.row(rel, 1, {source.text_field: content}, content)


def _read_parquet(path: Path, rel: str, source: SourceSettings, sink: _Sink) -> None:
    """Parquet rows in batches, reading only the mapped columns. A file that cannot be opened is one
    quarantined row; a row group that cannot be decoded quarantines each of its rows (the footer counts them)
    and reading goes on with the next row group."""
    if path.stat().st_size == 0:
        return
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        sink.quarantine(rel, 0, QuarantineReason.UNREADABLE_FILE, f"not a readable Parquet file ({error})", b"")
        return
    names = parquet.schema_arrow.names
    columns = list(dict.fromkeys(column for _, column in _mapped_columns(source)))
    absent = _absent_columns(source, names)
    if absent is not None:  # every row lacks it: say which columns the file has, not the none read
        for row_number in range(1, parquet.metadata.num_rows + 1):
            sink.quarantine(rel, row_number, QuarantineReason.MISSING_FIELD, absent, b"")
        return
    # Row group by row group: the footer gives each one's row count, so a group that cannot be decoded
    # costs exactly its own rows (each quarantined) and reading goes on with the next.
    row_number = 0
    groups = parquet.num_row_groups
    for group in range(groups):
        start, expected = row_number, parquet.metadata.row_group(group).num_rows
        problem = None
        try:
            for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS, row_groups=[group], columns=columns):
                try:
                    data, bad = batch.to_pydict(), {}
                except (UnicodeDecodeError, OverflowError, ValueError):
                    data, bad = _parquet_cells(batch, columns)  # find the cells Python cannot hold, row by row
                for i in range(batch.num_rows):
                    row_number += 1
                    if i in bad:
                        sink.quarantine(rel, row_number, *bad[i], b"")
                        continue
                    row = {c: data[c][i] for c in columns}
                    sink.row(rel, row_number, row, row)
        except (pa.ArrowException, OSError) as error:
            decoded = "" if row_number == start else f" from row {row_number + 1} on"
            said = "".join(c if c.isprintable() else " " for c in str(error))  # thrift errors hold control bytes
            problem = f"could not be decoded{decoded} ({' '.join(said.split())})"
        else:
            short = row_number < start + expected
            problem = f"gave {row_number - start} rows, the file's footer says {expected}" if short else None
        if problem is not None:
            last = start + expected
            where = f"row group {group + 1} of {groups} (rows {start + 1}-{last})"
            for number in range(row_number + 1, last + 1):
                sink.quarantine(rel, number, QuarantineReason.UNREADABLE_FILE, f"{where} {problem}", b"")
            row_number = last


def _parquet_cells(batch: pa.RecordBatch, columns: list[str]) -> tuple[dict[str, list[Any]], dict[int, tuple[QuarantineReason, str]]]:
    """``batch.to_pydict()`` one cell at a time, for a batch where that failed: the values (None where a
    cell cannot be converted) and, per row index, why its first such cell cannot be read (a string column
    holding bytes that are not UTF-8; a timestamp outside Python's datetime range)."""
    data: dict[str, list[Any]] = {}
    bad: dict[int, tuple[QuarantineReason, str]] = {}
    for name in columns:
        column = batch.column(name)
        values: list[Any] = []
        for i in range(batch.num_rows):
            try:
                values.append(column[i].as_py())
            except UnicodeDecodeError as error:
                values.append(None)
                bad.setdefault(i, (QuarantineReason.INVALID_ENCODING, f"column '{name}' is not valid UTF-8 at byte {error.start} ({error.reason})"))
            except (OverflowError, ValueError) as error:
                values.append(None)
                bad.setdefault(i, (QuarantineReason.WRONG_TYPE, f"column '{name}' holds a value Python cannot read ({error})"))
        data[name] = values
    return data, bad


class _CsvLines:
    """Decoded physical lines for ``csv.reader``, with the bookkeeping to re-read a broken row.

    Lines are decoded with ``surrogateescape`` so that one bad byte marks its row (found by the encoding
    check in ``_map_row``) instead of failing the file. Once a row passes ``max_record_bytes`` the rest
    of it is handed to the parser as a skeleton (runs of ordinary characters collapsed to one ``x``,
    quotes, delimiters and line ends kept): the parser finds the row's true end while memory stays
    bounded, and the row is quarantined as oversized.
    """

    def __init__(self, f: BinaryIO, source: SourceSettings) -> None:
        self.f = f
        self.source = source
        self.limit = source.max_record_bytes
        self.line_number = 0
        delimiter = re.escape(source.csv_delimiter.encode("ascii"))
        self._ordinary = re.compile(b'[^"' + delimiter + b"\r\n]+")
        self.start_row()

    def start_row(self) -> None:
        self.row_first_line = self.line_number + 1
        self.row_lines = 0
        self.row_bytes = 0
        self.too_large = False
        self.first_raw = b""
        self.after_first_line = self.f.tell()

    def rewind_after_first_line(self) -> None:
        """Re-read from the line after the current row's first one (the row's quoting was broken)."""
        self.f.seek(self.after_first_line)
        self.line_number = self.row_first_line

    def _skeleton(self, raw: bytes) -> str:
        return self._ordinary.sub(b"x", raw).decode("ascii")

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self.f.readline(self.limit + 1)
        if not raw:
            raise StopIteration
        cr = raw.find(b"\r")
        if 0 <= cr < len(raw) - 1 and raw[cr + 1] != 0x0A:
            # A lone CR ends a line too (a classic-Mac export, or a file of mixed line ends), as with
            # newline='': the rest is read as the next line.
            self.f.seek(cr + 1 - len(raw), os.SEEK_CUR)
            raw = raw[: cr + 1]
        self.line_number += 1
        if self.line_number == 1:
            raw = _strip_bom(raw, self.source)
        self.row_lines += 1
        self.row_bytes += len(raw)
        if self.row_lines == 1:
            self.first_raw = raw[: EXCERPT_CHARS * 4]
        if self.row_bytes > self.limit:
            self.too_large = True
        if self.too_large:
            parts = [self._skeleton(raw)]
            while not raw.endswith(b"\n"):  # the rest of an over-long physical line, in 1 MiB chunks
                raw = self.f.readline(1 << 20)
                if not raw:
                    break
                self.row_bytes += len(raw)
                parts.append(self._skeleton(raw))
            line = "".join(parts)
        else:
            line = raw.decode(self.source.encoding, "surrogateescape")
        if self.row_lines == 1:
            self.after_first_line = self.f.tell()
        return line


def _read_csv(path: Path, rel: str, source: SourceSettings, sink: _Sink) -> None:
    """CSV with a header row; quoted fields may hold newlines; row numbers count data rows from 1.

    A row whose quoting is broken (an unclosed quote swallows the following lines until the parser
    fails) is quarantined as its first physical line and reading resumes on the next line, so one bad
    quote costs one row, not the rest of the file. A row that parses cleanly but has the wrong number
    of columns, or is over max_record_bytes, is quarantined whole; so is a row that repeats the header (two
    exports concatenated).
    """
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
        if _is_binary(head):
            _binary(rel, head, sink)
            return
        f.seek(0)
        # The csv module's field limit (128 KiB by default) is process-wide; lift it to our own byte cap
        # (bytes >= characters, so our cap triggers first) for this file only.
        previous_limit = csv.field_size_limit(max(source.max_record_bytes, csv.field_size_limit()))
        try:
            _read_csv_rows(f, rel, source, sink)
        finally:
            csv.field_size_limit(previous_limit)


def _read_csv_rows(f: BinaryIO, rel: str, source: SourceSettings, sink: _Sink) -> None:
    """The row loop of ``_read_csv``: header, then data rows, each kept or quarantined."""
    lines = _CsvLines(f, source)
    reader = csv.reader(lines, delimiter=source.csv_delimiter, strict=True)
    header: list[str] | None = None
    ambiguous: list[str] = []
    absent: str | None = None
    data_row = 0
    while True:
        lines.start_row()
        error: str | None = None
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            error = str(exc)
        span = _line_span(lines.row_first_line, lines.row_first_line + lines.row_lines - 1)
        if error is not None:
            if header is None:
                sink.quarantine(
                    rel,
                    0,
                    QuarantineReason.MALFORMED_CSV,
                    f"header row ({span}) cannot be parsed: {error}",
                    lines.first_raw,
                )
                return
            data_row += 1
            sink.first_line(rel, lines.row_first_line)
            if lines.row_lines > 1:
                sink.quarantine(
                    rel,
                    data_row,
                    QuarantineReason.MALFORMED_CSV,
                    f"{span}: a quoted field opened on line {lines.row_first_line} is not closed properly "
                    f"({error}); quarantined that line and resumed on the next",
                    lines.first_raw,
                )
                lines.rewind_after_first_line()
            else:
                sink.quarantine(rel, data_row, QuarantineReason.MALFORMED_CSV, f"{span}: {error}", lines.first_raw)
            continue
        if lines.too_large:
            if header is None:
                sink.quarantine(
                    rel,
                    0,
                    QuarantineReason.OVERSIZED,
                    f"header row ({span}) is over max_record_bytes={source.max_record_bytes:,}",
                    lines.first_raw,
                )
                return
            data_row += 1
            sink.first_line(rel, lines.row_first_line)
            sink.quarantine(
                rel,
                data_row,
                QuarantineReason.OVERSIZED,
                f"{span}: {lines.row_bytes:,} bytes, over max_record_bytes={source.max_record_bytes:,}",
                lines.first_raw,
            )
            continue
        # A blank line, or a line of spaces, is no row; a row of empty cells (",,") is one, with empty text.
        # Before the header every empty row is blank.
        if not cells or (len(cells) == 1 and not cells[0].strip()) or (
            header is None and not any(cell.strip() for cell in cells)
        ):
            sink.stats.blank_lines += lines.row_lines
            continue
        if header is None:
            header = [cell.strip() for cell in cells]
            repeated = sorted({h for h in header if header.count(h) > 1})
            # A repeated column the source reads makes every row ambiguous (which one is the text?): each row
            # is quarantined, and counted. One it does not read is left alone.
            ambiguous = sorted(set(repeated) & set(_mapped_fields(source)))
            absent = _absent_columns(source, header)
            continue
        data_row += 1
        sink.first_line(rel, lines.row_first_line)
        if ambiguous:
            sink.quarantine(
                rel,
                data_row,
                QuarantineReason.MALFORMED_CSV,
                f"{span}: the header repeats the column(s) {ambiguous} this source reads, so which cell is meant "
                "cannot be told; rename the columns",
                source.csv_delimiter.join(cells),
            )
            continue
        if [cells[0].strip().lstrip("\ufeff"), *(cell.strip() for cell in cells[1:])] == header:
            sink.quarantine(  # `cat a.csv b.csv`: b's header (its byte-order mark too) is no training row
                rel,
                data_row,
                QuarantineReason.MALFORMED_CSV,
                f"{span}: repeated header row (the cells are the header's; two CSV files joined into one?)",
                source.csv_delimiter.join(cells),
            )
            continue
        if absent is not None:  # a column the source maps is not in the header: every row lacks it
            sink.quarantine(
                rel, data_row, QuarantineReason.MISSING_FIELD, f"{span}: {absent}", source.csv_delimiter.join(cells)
            )
            continue
        if len(cells) != len(header):
            sink.quarantine(
                rel,
                data_row,
                QuarantineReason.MALFORMED_CSV,
                f"{span}: {len(cells)} columns, the header has {len(header)} ({', '.join(header[:8])})",
                source.csv_delimiter.join(cells),
            )
            continue
        sink.row(rel, data_row, dict(zip(header, cells, strict=True)), source.csv_delimiter.join(cells))


def _mapped_fields(source: SourceSettings) -> list[str]:
    """The columns a source reads (text, title, response, label, messages), those it sets."""
    fields = (source.text_field, source.title_field, source.response_field, source.label_field, source.messages_field)
    return [f for f in fields if f]


def _mapped_columns(source: SourceSettings) -> list[tuple[str, str]]:
    """The columns a source of a generic format reads, as (setting, column): text or messages, title,
    response, label (``text_field`` is not read when ``messages_field`` is set)."""
    if source.messages_field:
        pairs = [("messages_field", source.messages_field)]
    else:
        pairs = [("text_field", source.text_field), ("title_field", source.title_field),
                 ("response_field", source.response_field)]
    pairs.append(("label_field", source.label_field))
    return [(setting, column) for setting, column in pairs if column]


def _absent_columns(source: SourceSettings, columns: list[str]) -> str | None:
    """Why no row of a file whose columns (CSV header, Parquet schema) are ``columns`` can be read, when a
    column the source maps is not among them (a misspelt ``label_field`` would otherwise leave every label
    empty without a word), or None. Names the missing columns, their settings and the columns found."""
    absent = [(setting, column) for setting, column in _mapped_columns(source) if column not in columns]
    if not absent:
        return None
    shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "") if columns else "none"
    one = len(absent) == 1
    message = (
        f"has no field{'' if one else 's'} {', '.join(repr(c) for _, c in absent)} (the file's columns: {shown}); "
        f"the source's {' and '.join(s for s, _ in absent)} name{'s it' if one else ' them'}: fix the name in the "
        "sources file or the file's columns"
    )
    if source.format == "csv" and len(columns) == 1:
        other = next((d for d in ",;\t|" if d != source.csv_delimiter and d in columns[0]), None)
        if other is not None:  # "text;category" read with ","
            message += f"; the header is one column holding {other!r}: is csv_delimiter {other!r}?"
    return message


def _line_span(first: int, last: int) -> str:
    return f"line {first}" if first >= last else f"lines {first}-{last}"


_READERS = {
    "jsonl": _read_jsonl,
    "json": _read_json,
    "csv": _read_csv,
    "parquet": _read_parquet,
    "text": _read_text,
    **{name: _read_interchange for name in INTERCHANGE_DOC_TYPES},
}
