"""Sheets that people fill in and the platform reads back: review spreadsheets (CSV) and Label Studio JSON
exports, shared by curation's human review (:mod:`finetune_platform.curation.review`) and evaluation's
human ratings (:mod:`finetune_platform.evaluation.human_eval`).

What both need, written once here:

- cells a spreadsheet would run as a formula are written with a leading quote (:func:`spreadsheet_safe`)
  and read back without it (:func:`unguard`);
- every unreadable row is collected as a :class:`RowError` (file, where, problem) and all of them are raised
  together (:class:`RowsImportError`), so that nothing is imported half and people fix every problem in one
  pass;
- :class:`SheetReader` reads each file by its kind (:func:`looks_like_json`), walks CSV rows and Label Studio
  tasks/annotations, names annotators (:func:`label_studio_annotator`), refuses a second answer by the same
  person to the same item, and counts rows per file, blank rows and cancelled annotations. What a row
  means is the subclass's: it implements :meth:`SheetReader.csv_row` and :meth:`SheetReader.annotation`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
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
    stats: dict[str, Any] = field(default_factory=lambda: {"files": {}, "blank_rows_skipped": 0, "cancelled_skipped": 0})

    # --- what a subclass implements -------------------------------------------------------------------------
    def csv_row(self, file: str, where: str, cell: Callable[[str], str], stem: str) -> None:
        """Read one CSV data row (``cell(column)`` gives a stripped, unguarded cell; ``stem`` is the file
        name without suffix)."""
        raise NotImplementedError

    def annotation(self, file: str, where: str, item_id: str, annotation: dict[str, Any]) -> None:
        """Read one Label Studio annotation (not cancelled) of the task whose data holds ``item_id``."""
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
        missing file raises FileNotFoundError naming ``kind`` ("review file") and ``caller``."""
        for raw in paths:
            path = Path(raw)
            if not path.is_file():
                raise FileNotFoundError(f"{kind} {path} does not exist; check the paths given to {caller}.")
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

    def _read_csv_rows(self, text: str, path: Path, file: str) -> None:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        number = 0
        try:
            with _csv_fields_up_to(_CSV_FIELD_LIMIT):
                header = [h.strip() for h in (reader.fieldnames or [])]
                reader.fieldnames = header
                missing = [c for c in self.required_columns if c not in header]
                if missing:
                    self.error(file, "header", f"columns {missing} are missing (found {header}); {self.csv_hint}")
                    return
                for number, row in enumerate(reader, start=1):
                    def cell(name: str, row: dict[str, Any] = row) -> str:
                        return unguard((row.get(name) or "").strip())

                    self.csv_row(file, f"data row {number}", cell, path.stem)
        except csv.Error as exc:
            self.error(
                file, f"data row {number + 1}" if number or reader.fieldnames else "header",
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
        for t, task in enumerate(tasks, start=1):
            where_task = f"task {t}" + (f" (id {task.get('id')})" if isinstance(task, dict) and "id" in task else "")
            if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
                self.error(file, where_task, "a task must be an object with a 'data' object.")
                continue
            item_id = str(task["data"].get(self.id_column) or "")
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
                self.annotation(file, where, item_id, annotation)
