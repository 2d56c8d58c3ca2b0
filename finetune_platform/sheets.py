"""Sheets that people fill in and the platform reads back: review spreadsheets (CSV) and Label Studio JSON
exports, shared by curation's human review (:mod:`finetune_platform.curation.review`) and evaluation's
human ratings (:mod:`finetune_platform.evaluation.human_eval`).

What both need, written once here:

- cells a spreadsheet would run as a formula are written with a leading quote (:func:`spreadsheet_safe`)
  and read back without it (:func:`unguard`);
- every unreadable row is collected as a :class:`RowError` (file, where, problem) and all of them are raised
  together (:class:`RowsImportError`), so that nothing is imported half and people fix every problem in one
  pass;
- :func:`sheet_files` lists a folder's sheets and refuses files it cannot read rather than skip them;
- :class:`SheetReader` reads each file by its kind (:func:`looks_like_json`), walks CSV rows (comma, ";" or
  tab separated, column names in any case; a repeated column, a row longer than the header or an empty file
  is an error) and Label Studio tasks/annotations (the JSON_MIN export, which drops who answered, is
  refused), names annotators (:func:`label_studio_annotator`), refuses a second answer by the same person to
  the same item, lists files that are byte-for-byte copies of another, and counts rows per file, blank rows
  and cancelled annotations. What a row means is the subclass's: it implements :meth:`SheetReader.csv_row` and :meth:`SheetReader.annotation`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterable, Iterator

#: The longest cell a sheet may hold, in characters. The csv module's default (131,072) is shorter than
#: the texts curation keeps (``max_text_chars`` up to 1,000,000), which the export writes in full.
_CSV_FIELD_LIMIT = 50_000_000


@contextlib.contextmanager
def _csv_fields_up_to(limit: int) -> Iterator[None]:
    """The csv module's cell limit raised to ``limit`` while reading (it is process-wide: put back after)."""
    before = csv.field_size_limit()
    csv.field_size_limit(max(before, limit))
    try:
        yield
    finally:
        csv.field_size_limit(before)

#: Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula (starts with = + - @ tab CR) with a quote.

    A reviewer opening the CSV in Excel or LibreOffice must never execute text from a ticket
    (``=HYPERLINK(...)``, ``@SUM(...)``); the quote makes the cell plain text. :func:`unguard` removes it
    again when the sheet is read back.
    """
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def unguard(value: str) -> str:
    """Undo :func:`spreadsheet_safe`'s leading quote (only where it guarded a formula trigger)."""
    return value[1:] if value.startswith("'") and value[1:2] and value[1] in FORMULA_TRIGGERS else value


@dataclass(frozen=True)
class RowError:
    """One unreadable row: the file, where in it (``data row N`` / ``task N annotation M``), what is wrong."""

    file: str
    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}, {self.where}: {self.problem}"


class RowsImportError(ValueError):
    """Every bad row of a reviewers' or raters' import (``errors``), listed so all can be fixed at once."""

    what = "row"

    def __init__(self, errors: list[RowError], shown: int = 30):
        self.errors = errors
        lines = [f"  - {e}" for e in errors[:shown]]
        if len(errors) > shown:
            lines.append(f"  ... and {len(errors) - shown} more")
        super().__init__(
            f"{len(errors)} {self.what}(s) could not be imported; fix them in the files and import again "
            "(nothing was imported):\n" + "\n".join(lines)
        )


def looks_like_json(path: Path) -> bool:
    """Whether ``path`` is a JSON export: by suffix (``.json`` yes; ``.csv``/``.tsv``/``.txt`` no), else by
    its first character after a BOM and whitespace (``[`` or ``{``)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return True
    if suffix in (".csv", ".tsv", ".txt"):
        return False
    with path.open("rb") as fh:
        head = fh.read(256).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"[", b"{")


#: The files a sheet folder may hold: spreadsheets saved as CSV (or tab-separated) and Label Studio JSON exports.
SHEET_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".json")


def sheet_files(folder: Path, kind: str) -> list[Path]:
    """Every sheet under ``folder`` (subfolders too), sorted; [] when the folder does not exist.

    Hidden files and folders (``.gitkeep``, ``.DS_Store``, ``.~lock.alice.csv#``) are left out. Any other file
    that is not a sheet (``alice.xlsx``, ``notes.txt``) raises ValueError naming it: a reviewer's decisions
    saved in a format the platform cannot read must not vanish without a word. ``kind`` names the folder's
    files in the message ("decision files").
    """
    folder = Path(folder)
    if not folder.exists():
        return []
    files, unreadable = [], []
    for path in sorted(folder.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(folder).parts) or not path.is_file():
            continue
        (files if path.suffix.lower() in SHEET_SUFFIXES else unreadable).append(path)
    if unreadable:
        names = ", ".join(str(p.relative_to(folder)) for p in unreadable[:10])
        more = f" and {len(unreadable) - 10} more" if len(unreadable) > 10 else ""
        raise ValueError(
            f"{folder} holds {len(unreadable)} file(s) that are not {kind} the platform can read: {names}{more}. "
            f"Save each as 'CSV UTF-8' (.csv, or tab-separated .tsv) or a Label Studio JSON export (.json), or move "
            "it out of the folder; nothing was imported."
        )
    return files


#: What a file manager or a browser adds to a file's name when it saves a copy: "alice (1)", "alice - Copy",
#: "alice - Copy (2)", "alice_copy", "Copy of alice".
_COPY_MARKS = re.compile(
    r"^(?:copy of\s+)?(.+?)(?:\s*\(\d+\)|\s*-\s*copy(?:\s*\(\d+\))?|[\s_]copy\d*)*$", re.IGNORECASE
)


def person_of_file(stem: str) -> str:
    """The person (reviewer, rater) a sheet's file name names: its name without the marks of a saved copy
    ("alice (1)" -> "alice"), so one person's sheet saved twice is one person (whose second answer to an item
    is refused), not two who agree perfectly."""
    match = _COPY_MARKS.match(stem.strip())
    return match.group(1) if match else stem


def label_studio_annotator(completed_by: Any) -> str:
    """A person's name from a Label Studio annotation's ``completed_by``: a user object (its e-mail, else
    username, else ``ls_user_<id>``) or a user id (``ls_user_<id>``); "" when there is none."""
    if isinstance(completed_by, dict):
        for key in ("email", "username"):
            if completed_by.get(key) not in (None, ""):
                return str(completed_by[key])
        return f"ls_user_{completed_by['id']}" if completed_by.get("id") not in (None, "") else ""
    if completed_by is None or completed_by == "":
        return ""
    return f"ls_user_{completed_by}" if isinstance(completed_by, int) else str(completed_by)


@dataclass
class SheetReader:
    """Reads filled sheets into ``rows``, collecting every problem in ``errors``; see the module docstring.

    Subclasses set the class variables (the id column/field, the columns a CSV must have and a hint on
    where to get a good one, the words for an item, a person, an answer and answering) and implement :meth:`csv_row` and
    :meth:`annotation`, which check a row's values and :meth:`keep` it.
    """

    id_column: ClassVar[str]
    required_columns: ClassVar[tuple[str, ...]]
    csv_hint: ClassVar[str]
    item: ClassVar[str]
    person: ClassVar[str]
    answer: ClassVar[str]
    answered: ClassVar[str]

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    seen: dict[tuple[str, str], str] = field(default_factory=dict)
    #: each person's name as first written, by its case- and space-insensitive form (see :meth:`person_name`)
    spellings: dict[str, str] = field(default_factory=dict)
    stats: dict[str, Any] = field(
        default_factory=lambda: {"files": {}, "blank_rows_skipped": 0, "cancelled_skipped": 0, "identical_files": []}
    )

    # --- what a subclass implements -------------------------------------------------------------------------
    def csv_row(self, file: str, where: str, cell: Callable[[str], str], stem: str) -> None:
        """Read one CSV data row (``cell(column)`` gives a stripped, unguarded cell; ``stem`` is the file
        name without suffix)."""
        raise NotImplementedError

    def annotation(
        self, file: str, where: str, item_id: str, annotation: dict[str, Any], data: dict[str, Any]
    ) -> None:
        """Read one Label Studio annotation (not cancelled) of the task whose ``data`` holds ``item_id``."""
        raise NotImplementedError

    # --- shared --------------------------------------------------------------------------------------------
    def error(self, file: str, where: str, problem: str) -> None:
        self.errors.append(RowError(file, where, problem))

    def person_name(self, who: str) -> str:
        """One name per person: "Alice", "alice " and "ALICE" (one reviewer writing her name in two files, a
        Label Studio e-mail in another case than a spreadsheet's) are the spelling first read, so one person
        never counts as two reviewers towards agreement or a majority."""
        who = " ".join(who.split())
        return self.spellings.setdefault(who.casefold(), who) if who else who

    def keep(self, file: str, where: str, item_id: str, who: str, row: dict[str, Any]) -> None:
        """Keep ``row`` (its ``origin`` is ``file:where``) unless ``who`` already answered ``item_id``."""
        origin = f"{file}:{where}"
        first = self.seen.get((item_id, who))
        if first is not None:
            self.error(
                file, where,
                f"{self.person} '{who}' already {self.answered} {self.item} '{item_id}' at {first}; keep one "
                f"{self.answer} per {self.person} and {self.item} (was a file imported twice?).",
            )
            return
        self.seen[(item_id, who)] = origin
        self.rows.append({**row, "origin": origin})
        self.stats["files"][file] = self.stats["files"].get(file, 0) + 1

    def read(self, paths: Iterable[str | Path], kind: str, caller: str) -> None:
        """Read every file of ``paths``, each as a Label Studio export or a CSV (:func:`looks_like_json`); a
        missing file raises FileNotFoundError naming ``kind`` ("review file") and ``caller``. A file with the
        same bytes as one read before that held answers is listed in ``stats["identical_files"]`` (a copy saved
        under another name, or two people who answered every item alike: the caller warns)."""
        contents: dict[bytes, str] = {}
        for raw in paths:
            path = Path(raw)
            if not path.is_file():
                raise FileNotFoundError(f"{kind} {path} does not exist; check the paths given to {caller}.")
            body = path.read_bytes()
            twin = contents.setdefault(body, path.name)
            if twin != path.name and self.stats["files"].get(twin):
                # A copy of one person's sheet under another name would count as a second person who agrees
                # perfectly; two people can also answer every item alike. Read it, and say so.
                self.stats["identical_files"].append([twin, path.name])
            if looks_like_json(path):
                self.read_label_studio(path)
            else:
                self.read_csv(path)

    def read_csv(self, path: Path) -> None:
        file = path.name
        self.stats["files"].setdefault(file, 0)
        try:
            # decoded whole (a sheet is small): the error's offset is then the byte's place in the file
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.error(
                file, f"byte {exc.start}",
                "the file is not UTF-8 text (a spreadsheet saved as 'CSV' in a local code page?); save it as "
                "'CSV UTF-8' and import it again.",
            )
            return
        self._read_csv_rows(text, path, file)

    def _delimiter(self, text: str, path: Path) -> str:
        """"\t" for a .tsv file; else "," unless the header line only names the required columns when split
        by ";" or a tab (Excel writes ";" where the decimal separator is a comma: German, French, Spanish)."""
        if path.suffix.lower() == ".tsv":
            return "\t"
        first = text.split("\n", 1)[0]
        wanted = {c.casefold() for c in self.required_columns}

        def names(delimiter: str) -> set[str]:
            return {h.strip().strip('"').casefold() for h in first.split(delimiter)}

        if wanted <= names(","):
            return ","
        return next((d for d in (";", "\t") if wanted <= names(d)), ",")

    def _read_csv_rows(self, text: str, path: Path, file: str) -> None:
        if not text.strip():
            self.error(file, "whole file", "the file is empty; export the sheet again (or remove the file).")
            return
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self._delimiter(text, path))
        number = 0
        try:
            with _csv_fields_up_to(_CSV_FIELD_LIMIT):
                # column names are matched ignoring case and surrounding spaces: "Decision", " record_id"
                header = [h.strip().casefold() for h in next(reader, [])]
                repeated = sorted({h for h in header if h and header.count(h) > 1})
                if repeated:
                    self.error(
                        file, "header",
                        f"columns {repeated} appear more than once; keep one of each (which one holds the answer?).",
                    )
                    return
                missing = [c for c in self.required_columns if c not in header]
                if missing:
                    hint = " (is it separated by another character than ',', ';' or a tab?)" if len(header) == 1 else ""
                    self.error(
                        file, "header", f"columns {missing} are missing (found {header}){hint}; {self.csv_hint}"
                    )
                    return
                for number, values in enumerate(reader, start=1):
                    if len(values) > len(header) and any(v.strip() for v in values[len(header):]):
                        self.error(
                            file, f"data row {number}",
                            f"the row has {len(values)} cells but the header {len(header)}; a comma in a cell that "
                            "is not quoted? (the extra cells would be lost)",
                        )
                        continue
                    row = dict(zip(header, values))

                    def cell(name: str, row: dict[str, str] = row) -> str:
                        return unguard((row.get(name.casefold()) or "").strip())

                    self.csv_row(file, f"data row {number}", cell, path.stem)
        except csv.Error as exc:
            self.error(
                file, f"data row {number + 1}" if number or reader.line_num > 1 else "header",
                f"not readable as CSV ({exc}); save the sheet as 'CSV UTF-8' and import it again.",
            )

    def read_label_studio(self, path: Path) -> None:
        file = path.name
        self.stats["files"].setdefault(file, 0)
        try:
            tasks = json.loads(path.read_text(encoding="utf-8-sig"))  # a byte-order mark is allowed, as in a CSV
        except json.JSONDecodeError as exc:
            self.error(file, f"line {exc.lineno}", f"not valid JSON ({exc.msg}).")
            return
        except UnicodeDecodeError as exc:
            self.error(file, f"byte {exc.start}", "not UTF-8 text; export the project from Label Studio again as JSON.")
            return
        if not isinstance(tasks, list):
            self.error(
                file, "top level",
                "a Label Studio export is a JSON list of tasks; export the project as 'JSON' (not JSON_MIN or CSV).",
            )
            return
        if tasks and all(isinstance(t, dict) and "data" not in t and "annotations" not in t for t in tasks):
            self.error(
                file, "top level",
                "this is Label Studio's JSON_MIN export (tasks without 'data' and 'annotations', so without who "
                "answered); export the project as 'JSON' instead.",
            )
            return
        for t, task in enumerate(tasks, start=1):
            where_task = f"task {t}" + (f" (id {task.get('id')})" if isinstance(task, dict) and "id" in task else "")
            if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
                self.error(file, where_task, "a task must be an object with a 'data' object.")
                continue
            value = task["data"].get(self.id_column)
            item_id = "" if value is None else str(value)
            annotations = task.get("annotations") or []
            if not isinstance(annotations, list):
                self.error(file, where_task, "'annotations' must be a list of annotation objects.")
                continue
            for a, annotation in enumerate(annotations, start=1):
                where = f"{where_task} annotation {a}"
                if not isinstance(annotation, dict):
                    self.error(file, where, "an annotation must be an object.")
                    continue
                if annotation.get("was_cancelled"):
                    self.stats["cancelled_skipped"] += 1
                    continue
                result = annotation.get("result") or []
                if not isinstance(result, list) or not all(isinstance(r, dict) for r in result):
                    self.error(file, where, "'result' must be a list of region objects.")
                    continue
                if not all(isinstance(r.get("value") or {}, dict) for r in result):
                    self.error(file, where, "a region's 'value' must be an object (e.g. {\"choices\": [...]}).")
                    continue
                self.annotation(file, where, item_id, annotation, task["data"])
