"""Source definitions: which raw files make up the corpus and how their fields map to the platform's.

A source is one entry of ``data/sources.yaml``. Its ``name`` becomes a Dagster partition key of
``raw_corpus`` and the first part of every record id, so it is a slug. The defaults are chosen so that
the common case needs four lines; a CSV with ``text,category`` columns is::

    - name: snips
      path: snips/*.csv
      format: csv
      label_field: category

Files already in a fine-tuning format need no field mapping at all: ``format: alpaca``, ``sharegpt`` or
``openai_chat`` reads them as ``formats.interchange`` does (``.jsonl``: one object per line, ``.json``: an
array of objects).
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from finetune_platform.yaml_files import load_yaml

SourceFormat = Literal["jsonl", "json", "csv", "parquet", "text", "alpaca", "sharegpt", "openai_chat"]

#: Formats with fixed fields (see ``formats.interchange``), and the ``doc_type`` their records get unless the
#: source sets one.
INTERCHANGE_DOC_TYPES: dict[str, str] = {"alpaca": "instruction", "sharegpt": "chat", "openai_chat": "chat"}
#: What each of those formats reads, for error messages.
INTERCHANGE_LAYOUTS: dict[str, str] = {
    "alpaca": "instruction, optional input, output and label",
    "sharegpt": "conversations: [{from, value}] and an optional label",
    "openai_chat": "messages: [{role, content}] and an optional label",
}
#: The field mappings of the generic formats.
_FIELD_MAPPINGS = ("text_field", "title_field", "response_field", "label_field", "messages_field")

#: A partition key and record-id prefix: lowercase, digits, ``_`` and ``-``; no ``/`` or ``#``.
SOURCE_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

DEFAULT_MAX_RECORD_BYTES = 1_000_000


class SourceConfigError(ValueError):
    """A sources file that cannot be used: names the file, the entry and the field to fix."""


class NoFilesMatchedError(FileNotFoundError):
    """A configured source whose path pattern matches no file: a configured source with no data is a mistake."""


class SourceSettings(BaseModel):
    """One raw data source: where its files are, how to parse them and which fields hold what.

    The record fields follow ``schemas.RECORD_COLUMNS``: ``text`` is the request side, ``response`` the
    answer side, ``label`` the category. For conversations set ``messages_field`` instead of
    ``text_field``/``response_field``: text is then the user turns before the last assistant turn, joined by newlines, and response the
    last assistant turn.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        pattern=SOURCE_NAME_PATTERN,
        description="Slug naming the source (lowercase letters, digits, '_' and '-'): the partition key of "
        "raw_corpus and the first part of each record id.",
    )
    path: str = Field(
        min_length=1,
        description="Glob of the source's files, relative to the raw data folder (data/raw) or absolute; "
        "'**' matches sub-folders.",
    )
    format: SourceFormat = Field(
        description="File format: jsonl (one JSON object per line), json (an array of objects), csv (with a "
        "header row), parquet, or text (one record per file, e.g. Markdown); or a fine-tuning format with fixed "
        "fields, no mapping needed: alpaca ({instruction, input, output}), sharegpt ({conversations: [{from, "
        "value}]}) or openai_chat ({messages: [{role, content}]}), each as .jsonl lines or a .json array.",
    )
    doc_type: str = Field(
        "document",
        min_length=1,
        description="What the source holds, e.g. chat, email, note, document, query. Default: document; "
        "instruction for format alpaca, chat for sharegpt and openai_chat.",
    )
    text_field: str = Field(
        "text", min_length=1, description="Field (column, key) holding the request text. Required in every row."
    )
    title_field: str | None = Field(
        None,
        min_length=1,
        description="Optional field prepended to the text with a blank line, e.g. an email subject.",
    )
    response_field: str | None = Field(
        None, min_length=1, description="Optional field holding the answer (agent reply, resolution note)."
    )
    label_field: str | None = Field(
        None, min_length=1, description="Optional field holding the category / intent label."
    )
    messages_field: str | None = Field(
        None,
        min_length=1,
        description="Optional field holding an OpenAI-style list of {role, content} (or its JSON string). "
        "When set, text = the user turns before the last assistant turn, joined by newlines, and response = that turn.",
    )
    csv_delimiter: str = Field(
        ",",
        pattern=r"^[\t !#-~]$",
        description="CSV field delimiter (csv only): one ASCII character other than the double quote.",
    )
    encoding: Literal["utf-8", "cp1252", "latin-1"] = Field(
        "utf-8",
        description="Text encoding of the files (a UTF-8 byte-order mark is skipped). Rows that do not "
        "decode are quarantined as invalid_encoding.",
    )
    max_record_bytes: int = Field(
        DEFAULT_MAX_RECORD_BYTES,
        ge=1_024,
        le=100_000_000,
        description="Largest record (line, row or file) kept, in bytes; larger ones are quarantined as oversized.",
    )
    required: bool = Field(
        True,
        description="True: a path pattern that matches no file is an error. False: it yields zero rows "
        "instead, for sources that fill over time such as user feedback.",
    )
    withdrawn_rows: str | None = Field(
        None,
        min_length=1,
        description="Optional CSV (relative to the raw data folder, or absolute) listing rows of this source that "
        "must no longer be trained on, with a header row 'record_id,reason' (reason optional): an erasure "
        "request, a correction its author took back. Each listed row the files still hold (kept or quarantined for "
        "another reason) is quarantined with reason_code 'withdrawn' and no excerpt of its text; the source's files "
        "stay as they are. A missing file withdraws nothing. The list is never read as data, even where path "
        "matches it. The feedback sources' lists are kept by the feedback_set asset.",
    )
    description: str = Field("", description="Free text for people: where the data comes from, its owner.")

    @model_validator(mode="before")
    @classmethod
    def _doc_type_of_the_format(cls, data: Any) -> Any:
        """Alpaca rows are instructions and ShareGPT / OpenAI rows chats, unless the source says otherwise."""
        if isinstance(data, dict) and "doc_type" not in data and data.get("format") in INTERCHANGE_DOC_TYPES:
            data = {**data, "doc_type": INTERCHANGE_DOC_TYPES[data["format"]]}
        return data

    @model_validator(mode="after")
    def _fields_fit_the_format(self) -> SourceSettings:
        """Reject settings the readers would silently ignore."""
        explicit = self.model_fields_set
        if self.format in INTERCHANGE_DOC_TYPES:
            mapped = sorted(set(_FIELD_MAPPINGS) & explicit)
            if mapped:
                raise ValueError(
                    f"format '{self.format}' reads fixed fields ({INTERCHANGE_LAYOUTS[self.format]}); the field "
                    f"mappings {mapped} do not apply: remove them, or use format 'jsonl' / 'json' to map fields "
                    "of your own."
                )
        if self.messages_field is not None:
            clashing = sorted({"text_field", "response_field", "title_field"} & explicit)
            if clashing:
                raise ValueError(
                    f"messages_field is set, so text and response come from the messages; remove {clashing} "
                    "or remove messages_field."
                )
        if self.format == "text":
            mapped = sorted({"text_field", "title_field", "response_field", "label_field", "messages_field"} & explicit)
            if mapped:
                raise ValueError(
                    f"format 'text' reads each file as one record (text = the file content); the field "
                    f"mappings {mapped} do not apply: remove them."
                )
        if self.format not in INTERCHANGE_DOC_TYPES and self.format != "text":
            self._each_mapping_names_its_own_column()
        if "csv_delimiter" in explicit and self.format != "csv":
            raise ValueError(f"csv_delimiter applies to format 'csv' only, not '{self.format}': remove it.")
        return self

    def _each_mapping_names_its_own_column(self) -> None:
        """Reject two field mappings that name one column: ``label_field: text`` would make every label a copy
        of the text, ``response_field: text`` train the model to echo its prompt."""
        used = (
            {"messages_field": self.messages_field}
            if self.messages_field is not None
            else {"text_field": self.text_field, "title_field": self.title_field, "response_field": self.response_field}
        )
        used["label_field"] = self.label_field
        settings_of: dict[str, list[str]] = {}
        for setting, column in used.items():
            if column is not None:
                settings_of.setdefault(column, []).append(setting)
        clashes = [
            f"{', '.join(settings[:-1])} and {settings[-1]} {'both' if len(settings) == 2 else 'all'} name the column "
            f"'{column}'"
            + (" (text_field's default)" if "text_field" in settings and "text_field" not in self.model_fields_set else "")
            for column, settings in settings_of.items()
            if len(settings) > 1
        ]
        if clashes:
            raise ValueError(
                f"{'; '.join(clashes)}: each field mapping must name a column of its own (a label or response that "
                "copies the text would be trained on as if it were one); fix the mapping."
            )

    def withdrawn_rows_path(self, raw_dir: Path) -> Path | None:
        """Where :attr:`withdrawn_rows` is, or None when the source has no such list."""
        if self.withdrawn_rows is None:
            return None
        path = Path(self.withdrawn_rows)
        return path if path.is_absolute() else Path(raw_dir) / path

    def resolve_files(self, raw_dir: Path) -> list[Path]:
        """The files the path pattern matches, sorted; raises ``NoFilesMatchedError`` when there are none.

        A file reached through several paths (a symlinked folder, a link to a file beside it, a link back up
        the tree under ``**``) is read once, under its first path. A link that leads nowhere (dangling, or a
        loop) is kept, so that reading it reports it unreadable instead of skipping it without a word. The
        source's ``withdrawn_rows`` list is left out: it is no data, even in a folder the pattern matches."""
        pattern = Path(self.path)
        if pattern.is_absolute():
            matches = glob.glob(str(pattern), recursive=True)
        else:
            matches = [str(raw_dir / m) for m in glob.glob(self.path, root_dir=raw_dir, recursive=True)]
        files: list[Path] = []
        seen: set[Path] = set()
        # the source's withdrawal list is never data, even where the pattern matches it (lists/*.csv)
        excluded = None
        if self.withdrawn_rows is not None:
            try:
                excluded = self.withdrawn_rows_path(raw_dir).resolve()  # type: ignore[union-attr]
            except (OSError, RuntimeError):  # a link loop: nothing the pattern matches resolves to it
                pass
        skipped = False
        # shallowest first: of the paths to one file, the most direct is the one read
        for candidate in sorted((Path(m) for m in matches), key=lambda p: (len(p.parts), p)):
            try:
                folder = candidate.parent.resolve(strict=True)
            except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
                continue  # reached through a folder loop too deep to follow; found at a shallower path too
            if not (candidate.is_file() or candidate.is_symlink()):
                continue
            try:
                target = candidate.resolve()  # a link that leads nowhere resolves to where it points
            except (OSError, RuntimeError):
                target = folder / candidate.name  # a link loop, listed once
            if target == excluded:
                skipped = True
                continue
            if target not in seen:
                seen.add(target)
                files.append(candidate)
        files.sort()
        if not files:
            where = "" if pattern.is_absolute() else f" under {raw_dir}"
            but = f" but its withdrawn_rows list ({self.withdrawn_rows}), which is not data" if skipped else ""
            target = pattern if pattern.is_absolute() else Path(raw_dir) / self.path
            hint = ""
            if target.is_dir():
                hint = f" It names a folder: add the files' pattern, e.g. '{self.path.rstrip('/')}/*.{_SUFFIX_HINT.get(self.format, '*')}'."
            elif "[" in self.path:
                hint = (
                    " A '[' in a path is a glob character class; for a file whose name holds one, write it as '[[]'"
                    " (a '[1]' as '[[]1]')."
                )
            raise NoFilesMatchedError(
                f"source '{self.name}': path pattern '{self.path}' matched no files{but}{where}.{hint} Fix the path "
                "in the sources file, put the data there, or remove the source."
            )
        return files


#: The file suffix a folder's pattern names, by format (the hint of NoFilesMatchedError).
_SUFFIX_HINT = {"jsonl": "jsonl", "json": "json", "csv": "csv", "parquet": "parquet", "text": "txt", "alpaca": "json",
                "sharegpt": "json", "openai_chat": "jsonl"}


def _problem(error: Any) -> str:
    """One pydantic error of an entry, in words: an unknown key (a typo, ``lable_field``) says so, with the
    closest setting a source has and the list of them, rather than pydantic's "Extra inputs are not permitted"."""
    import difflib

    if error["type"] != "extra_forbidden":
        return error["msg"]
    settings = list(SourceSettings.model_fields)
    close = difflib.get_close_matches(str(error["loc"][-1]), settings, n=1)
    return "no such setting" + (f" (did you mean '{close[0]}'?)" if close else "")


def load_sources(path: Path) -> list[SourceSettings]:
    """Read and validate a sources file ``{sources: [...]}``.

    Raises ``SourceConfigError`` naming the file, the entry (index and name) and the offending field, so
    that a typo is fixed in one go; duplicate names are an error because names key partitions and ids.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceConfigError(f"{path}: sources file not found. Create it (see data/sources.yaml for the format).")
    try:
        document = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise SourceConfigError(f"{path}: not valid YAML: {error}") from error
    except UnicodeDecodeError as error:
        raise SourceConfigError(f"{path}: not UTF-8 text ({error}).") from error
    if not isinstance(document, dict) or not isinstance(document.get("sources"), list):
        raise SourceConfigError(
            f"{path}: expected a mapping with a 'sources' list at the top, e.g. 'sources:\\n  - name: ...'; "
            f"found {type(document).__name__}{' with keys ' + str(sorted(document)) if isinstance(document, dict) else ''}."
        )
    if not document["sources"]:
        raise SourceConfigError(f"{path}: 'sources' is empty; list at least one source.")
    unknown = sorted(set(document) - {"sources"})
    if unknown:
        raise SourceConfigError(f"{path}: unknown top-level keys {unknown}; only 'sources' is read.")

    sources: list[SourceSettings] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(document["sources"]):
        label = f"sources[{index}]"
        if not isinstance(entry, dict):
            raise SourceConfigError(f"{path}: {label} must be a mapping of settings, found {type(entry).__name__}.")
        if "name" in entry:
            label += f" (name '{entry['name']}')"
        try:
            source = SourceSettings.model_validate(entry)
        except ValidationError as error:
            problems = "; ".join(
                f"field '{'.'.join(str(p) for p in e['loc']) or '(entry)'}': {_problem(e)}" for e in error.errors()
            )
            if any(e["type"] == "extra_forbidden" for e in error.errors()):
                problems += f". A source's settings are: {', '.join(SourceSettings.model_fields)}"
            raise SourceConfigError(f"{path}: {label}: {problems}") from error
        if source.name in seen:
            raise SourceConfigError(
                f"{path}: {label}: duplicate source name '{source.name}' (also sources[{seen[source.name]}]); "
                "names must be unique because they key partitions and record ids."
            )
        seen[source.name] = index
        sources.append(source)
    return sources


#: Settings no reader uses (notes for people): editing them re-reads nothing (they are left out of
#: :func:`source_fingerprint` and of the ingest cache's key).
PEOPLE_ONLY_SETTINGS = frozenset({"description"})


def source_fingerprint(source: SourceSettings, raw_dir: Path) -> str:
    """A hash of the source's settings and of every matched file's path, size and content.

    It changes exactly when re-ingesting the source could give a different result, so a sensor can
    re-process only the sources whose files changed. No matched file gives the fingerprint of the empty
    set (ingest itself reports that as an error).
    """
    import hashlib

    digest = hashlib.sha256(source.model_dump_json(exclude=PEOPLE_ONLY_SETTINGS).encode())
    try:
        files = source.resolve_files(raw_dir)
    except FileNotFoundError:
        files = []
    for path in files:
        digest.update(str(path).encode())
        try:
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError as error:  # a link that leads nowhere: ingest quarantines it; its state is its error
            digest.update(f"<unreadable: {error.errno}>".encode())
    withdrawn = source.withdrawn_rows_path(raw_dir)
    if withdrawn is not None:  # a row withdrawn (or put back) changes what ingest keeps
        try:
            digest.update(b"<withdrawn>" + withdrawn.read_bytes())
        except FileNotFoundError:
            digest.update(b"<withdrawn: none>")
        except OSError as error:
            digest.update(f"<withdrawn unreadable: {error.errno}>".encode())
    return digest.hexdigest()[:16]
