"""Import and export of the three common fine-tuning file formats.

- **Alpaca**: ``{"instruction", "input", "output"}`` per example (Stanford Alpaca; axolotl's and
  LLaMA-Factory's ``alpaca`` type).
- **ShareGPT**: ``{"conversations": [{"from": "human" | "gpt" | "system", "value"}]}`` (axolotl,
  LLaMA-Factory, FastChat; TRL converts it to ``messages`` itself).
- **OpenAI chat**: ``{"messages": [{"role", "content"}]}`` per line (OpenAI fine-tuning, TRL).

A ``.jsonl`` path is read and written as one object per line, a ``.json`` path as one array of objects.

Export writes the platform's examples for other tools; import turns a file from elsewhere into the
platform's records (``schemas.RECORD_COLUMNS``, record_id ``"{source}/{file}#{row}"``, rows 1-based: the
line of a JSONL file or the element of a JSON array), so that it flows through curation like any source.
Bad rows do not raise: each becomes one row of the returned errors frame (``schemas.QUARANTINE_COLUMNS``,
with the ingest stage's reason codes), so both frames can join ``raw_corpus`` and ``quarantine``.
Only a mistake in the call itself raises (a missing file, an unknown format or suffix, a bad source name).

Import reads the file with the ingest stage's own JSON / JSONL reader (``ingest.readers``, hand-written over
``json`` because ``datasets.load_dataset`` and ``pandas.read_json`` fail a whole file on one bad row and do
not say which): a source with ``format: alpaca | sharegpt | openai_chat`` in ``data/sources.yaml`` and
:func:`import_file` give the same records. :func:`export_training_set` writes the versioned training set
(``data/training_set``) in one of the formats, for ``finetune-platform export``.
"""

from __future__ import annotations

import glob
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd

from finetune_platform.formats.conversations import CONVERSATION_COLUMNS, build_conversations
from finetune_platform.formats.instructions import PROMPT_TEMPLATES, normalise_label, ticket_from_prompt
from finetune_platform.ingest.readers import (
    QuarantineReason,
    WEIGHT_KEY,
    chat_text_and_response,
    function_calling_problem,
    joined_text_parts,
    kept_message,
    quoted,
    tool_use_problem,
    untrained,
    weight_problem,
)
from finetune_platform.ingest.sources import SOURCE_NAME_PATTERN
from finetune_platform.schemas import EXAMPLE_COLUMNS, RECORD_COLUMNS

InterchangeFormat = Literal["alpaca", "sharegpt", "openai_chat"]
#: The format names, for CLI choices and messages.
FORMATS: tuple[str, ...] = get_args(InterchangeFormat)

#: The Alpaca ``instruction`` of each platform task; the ticket goes to ``input``. Import recognises them,
#: so that a file exported by the platform comes back as tickets rather than instruction + ticket.
ALPACA_INSTRUCTIONS: dict[str, str] = {
    "classify": "Classify this customer support ticket. Answer with its category only.",
    "reply": "Write the support agent's reply to this customer ticket.",
}

#: Platform role -> ShareGPT ``from`` (export) and the ``from`` values accepted on import, matched in any case
#: ("Human", "GPT") after trimming spaces: the common ones and the model names public dumps use for the
#: assistant (``bard``, ``bing``; Gemini's ``model``).
SHAREGPT_FROM: dict[str, str] = {"system": "system", "user": "human", "assistant": "gpt"}
SHAREGPT_ROLES: dict[str, str] = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "model": "assistant",
}
#: ShareGPT ``from`` values of function-calling data (LLaMA-Factory's ``function_call`` / ``observation``),
#: -> whether the turn is a tool result: quarantined with the same reason as OpenAI tool turns.
SHAREGPT_TOOL_ROLES: dict[str, bool] = {"function_call": False, "observation": True, "tool": True, "function": True}

OPENAI_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_SUFFIXES = (".json", ".jsonl")


# --------------------------------------------------------------------------------------------------
# Export


def export_alpaca(examples: pd.DataFrame, path: Path | str, *, extra_fields: bool = True) -> int:
    """Write instruction examples (``schemas.EXAMPLE_COLUMNS``) as Alpaca rows; returns the rows written.

    A platform prompt is split back into the task's instruction (:data:`ALPACA_INSTRUCTIONS`) and the
    ticket (``input``), so that Alpaca tools apply their own prompt template around them; a prompt that is
    not a platform template goes whole into ``instruction``. ``extra_fields`` adds ``id`` and ``label``;
    a reply row whose ticket also has a classify row leaves ``label`` empty, since a tool that reads a row
    with a label as a classify example would train the ticket's twice. :func:`import_file` merges the two
    rows of a ticket back into one record by their ``id``.
    """
    _require(examples, EXAMPLE_COLUMNS, "instruction examples")
    classified = set(examples.loc[examples["task"] == "classify", "record_id"])
    rows = []
    for ex in examples.itertuples(index=False):
        ticket = ticket_from_prompt(str(ex.prompt))
        task = str(ex.task)
        if task in ALPACA_INSTRUCTIONS and PROMPT_TEMPLATES.get(task, "").format(text=ticket) == ex.prompt:
            row: dict[str, Any] = {"instruction": ALPACA_INSTRUCTIONS[task], "input": ticket}
        else:
            row = {"instruction": str(ex.prompt), "input": ""}
        row["output"] = str(ex.completion)
        if extra_fields:
            label = "" if task == "reply" and ex.record_id in classified else ex.label
            row |= {"id": ex.example_id, "label": label}
        rows.append(row)
    return _write(rows, Path(path))


def export_sharegpt(conversations: pd.DataFrame, path: Path | str, *, extra_fields: bool = True) -> int:
    """Write conversations (``conversations.CONVERSATION_COLUMNS``) as ShareGPT rows; returns the rows written.

    ``extra_fields`` adds ``id`` (the example id, as in the original ShareGPT dump) and ``label``. A reply
    not to be trained on keeps ``"weight": 0`` on its turn (ShareGPT has no such field; tools that do not
    know it ignore it, and the platform's import reads it back).
    """
    _require(conversations, CONVERSATION_COLUMNS, "conversations")
    rows = []
    for conv in conversations.itertuples(index=False):
        turns = []
        for i, message in enumerate(_messages_for_export(conv)):
            if message["role"] not in SHAREGPT_FROM:
                raise ValueError(
                    f"conversation {conv.example_id}: messages[{i}] has role {message['role']!r}, which ShareGPT "
                    f"cannot express (only {sorted(SHAREGPT_FROM)}); build conversations with "
                    "formats.conversations, which keeps only those roles"
                )
            turn = {"from": SHAREGPT_FROM[message["role"]], "value": message["content"]}
            turns.append({**turn, WEIGHT_KEY: 0} if untrained(message) else turn)
        row: dict[str, Any] = {"conversations": turns}
        if extra_fields:
            row = {"id": conv.example_id, **row, "label": conv.label}
        rows.append(row)
    return _write(rows, Path(path))


def export_openai_chat(conversations: pd.DataFrame, path: Path | str, *, extra_fields: bool = False) -> int:
    """Write conversations as OpenAI chat rows ``{"messages": [...]}``; returns the rows written.

    ``extra_fields`` (off by default: the file is then exactly what OpenAI's fine-tuning upload expects)
    adds ``id`` and ``label`` beside ``messages``.
    """
    _require(conversations, CONVERSATION_COLUMNS, "conversations")
    rows = []
    for conv in conversations.itertuples(index=False):
        row: dict[str, Any] = {"messages": _messages_for_export(conv)}
        if extra_fields:
            row |= {"id": conv.example_id, "label": conv.label}
        rows.append(row)
    return _write(rows, Path(path))


def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} are missing columns {missing}; expected {columns}")


def _messages_for_export(conv: Any) -> list[dict[str, Any]]:
    """The conversation's messages as role and content, plus ``"weight": 0`` on a reply not to be trained on."""
    try:
        messages = json.loads(conv.messages)
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError, as is an over-long integer
        raise ValueError(f"conversation {conv.example_id}: messages is not valid JSON ({error})") from error
    problem = _message_list_problem(messages, "messages")
    if problem:
        raise ValueError(f"conversation {conv.example_id}: {problem}")
    return [kept_message(m["role"], m["content"], m) for m in messages]


def _message_list_problem(messages: Any, name: str) -> str | None:
    if not isinstance(messages, list) or not messages:
        return f"{name} must be a non-empty list of {{role, content}}, found {type(messages).__name__}"
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            return f"{name}[{i}] must be an object with string 'role' and 'content'"
    return None


def _write(rows: list[dict[str, Any]], path: Path) -> int:
    """Write ``rows`` as JSONL or a JSON array (by suffix), atomically: a temporary file renamed into place."""
    _check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".jsonl":
        body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    else:
        body = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(rows)


def _check_suffix(path: Path) -> None:
    """Refuse a suffix other than .jsonl / .json (any case, as a source's files are matched); and, for a
    file to write, a path that is a folder."""
    if path.suffix.lower() not in _SUFFIXES:
        raise ValueError(
            f"{path}: unsupported suffix {path.suffix!r}; use .jsonl (one object per line) or .json (an array)"
        )
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give the path of a .jsonl or .json file")


# --------------------------------------------------------------------------------------------------
# Export of the versioned training set

ExportSplit = Literal["train", "validation", "test", "all"]
EXPORT_SPLITS: tuple[str, ...] = get_args(ExportSplit)


class NoTrainingSetError(FileNotFoundError):
    """No training set has been written yet (or its folder is incomplete)."""


@dataclass(frozen=True)
class TrainingSetExport:
    """What :func:`export_training_set` wrote."""

    path: Path
    format: str
    split: str
    examples: int  #: rows written
    skipped: int  #: tickets left out (chat formats: a ticket with no reply has no assistant turn)


def training_set_conversations(examples: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The conversations (``CONVERSATION_COLUMNS``) of a training set's instruction examples, and how many
    tickets gave none.

    The training set stores instruction pairs (``schemas.EXAMPLE_COLUMNS``), one per ticket and task. Each
    ticket becomes the record it was built from (text = the ticket in the prompt, response = the ``reply``
    completion, label = its category) and goes through ``formats.conversations.build_conversations``, as the
    ``conversation_examples`` asset builds conversations: user = ticket, assistant = reply, ``example_id``
    ``"{record_id}::chat"``. A ticket with only a ``classify`` example has no reply, so no conversation.
    """
    _require(examples, EXAMPLE_COLUMNS, "instruction examples")
    tickets: dict[str, dict[str, Any]] = {}
    for ex in examples.itertuples(index=False):
        record = tickets.setdefault(
            str(ex.record_id),
            {
                "record_id": str(ex.record_id),
                "source": str(ex.source),
                "source_file": "",
                "source_row": 0,
                "doc_type": "",
                "text": ticket_from_prompt(str(ex.prompt)),
                "response": "",
                "label": str(ex.label) if pd.notna(ex.label) else "",
                "messages": "",
            },
        )
        if ex.task == "reply":
            record["response"] = str(ex.completion)
    result = build_conversations(pd.DataFrame(list(tickets.values()), columns=RECORD_COLUMNS))
    return result.examples, len(result.skipped)


def export_training_set(
    training_set_dir: Path | str, format: InterchangeFormat, out: Path | str, split: ExportSplit = "train"
) -> TrainingSetExport:
    """Write a split (or ``"all"``: train, validation and test in that order) of the training set folder
    (``datasets.split.write_training_set``, checked against its manifest) as ``format`` to ``out``.

    ``alpaca`` writes the instruction examples themselves (:func:`export_alpaca`); ``sharegpt`` and
    ``openai_chat`` write the versioned multi-turn conversations of the split's tickets (for a training set
    written without them, one exchange per ticket: :func:`training_set_conversations`). Raises
    :class:`NoTrainingSetError` when the folder holds no training set, ``ValueError`` for a bad format,
    split or suffix, or a folder changed since it was written.
    """
    from finetune_platform.datasets.split import MANIFEST_NAME, read_conversations, read_training_set

    directory, out = Path(training_set_dir), Path(out)
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {list(FORMATS)}")
    if split not in EXPORT_SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {list(EXPORT_SPLITS)}")
    _check_suffix(out)
    if not (directory / MANIFEST_NAME).is_file():
        raise NoTrainingSetError(
            f"no training set in {directory} (no {MANIFEST_NAME}): run the pipeline first: `finetune-platform "
            "demo`, or `finetune-platform materialize ingest_job` then `finetune-platform materialize "
            "retrain_job` (the training_set asset writes it)"
        )
    try:
        splits = read_training_set(directory)
    except FileNotFoundError as error:
        raise NoTrainingSetError(f"{error}; rebuild it by running the pipeline (retrain_job)") from error
    names = [n for n in splits if split in (n, "all")]
    examples = pd.concat([splits[n] for n in names], ignore_index=True)
    if format == "alpaca":
        return TrainingSetExport(out, format, split, export_alpaca(examples, out), 0)
    versioned = read_conversations(directory)
    if versioned is not None:  # the tickets' own multi-turn conversations, versioned with the pairs
        conversations = pd.concat([versioned[n] for n in names], ignore_index=True)
        # a ticket of the selected splits with no conversation had no reply (no assistant turn)
        skipped = len(set(examples["record_id"]) - set(conversations["record_id"]))
    else:  # a training set written before conversations were versioned: one exchange per ticket
        conversations, skipped = training_set_conversations(examples)
    writer = export_sharegpt if format == "sharegpt" else export_openai_chat
    return TrainingSetExport(out, format, split, writer(conversations, out), skipped)


# --------------------------------------------------------------------------------------------------
# Import


class RowError(Exception):
    """A row that cannot become a record: its reason code and what is wrong (raised by :func:`record_fields`)."""

    def __init__(self, code: QuarantineReason, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def default_source_name(path: Path | str) -> str:
    """A source slug from the file name: ``"Alpaca Data.v2.json"`` -> ``"alpaca_data_v2"``."""
    slug = re.sub(r"[^a-z0-9_-]+", "_", Path(path).stem.lower()).strip("_-")[:64]
    return slug or "import"


def record_fields(row: Mapping[str, Any], format: InterchangeFormat) -> dict[str, str]:
    """The record fields (text, response, label, messages) of one parsed row; raises :class:`RowError`.

    The row mapping shared by :func:`import_file` and the ingest readers of sources with ``format: alpaca``,
    ``sharegpt`` or ``openai_chat``.
    """
    return _MAPPERS[format](row)


def import_file(
    path: Path | str, format: InterchangeFormat, *, source: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read an Alpaca, ShareGPT or OpenAI chat file into ``(records, errors)``.

    records: ``schemas.RECORD_COLUMNS``; ``source`` defaults to :func:`default_source_name`,
    ``source_file`` is the file name and record_id ``"{source}/{file}#{row}"``. errors:
    ``schemas.QUARANTINE_COLUMNS``, one row per row that could not be read, with the reason (row 0: the
    whole file). Chat rows give ``text`` = the user turns before the last reply joined by newlines, ``response`` = the last
    assistant turn and ``messages`` = the turns as JSON, as ingest does for chat sources. Alpaca rows give
    ``text`` = instruction and input, ``response`` = output, except rows whose instruction is one of the
    platform's (:data:`ALPACA_INSTRUCTIONS`): their input is the ticket, and a ``classify`` output is the label.
    The ``classify`` and ``reply`` rows of one ticket in the platform's own export (:func:`platform_ticket_half`)
    come back as one record with the label and the reply, under the first row's id (counted in the source's
    ``rows_merged``).

    The file is read by the ingest reader of a source with this format (``ingest.readers``), so a file
    imported here and the same file configured in ``data/sources.yaml`` give the same records and the same
    quarantine (binary files, undecodable or oversized rows, formula injection included).
    """
    from finetune_platform.ingest.readers import ingest_source
    from finetune_platform.ingest.sources import SourceSettings

    path = Path(path)
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {list(FORMATS)}")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file to import")
    _check_suffix(path)
    source = source if source is not None else default_source_name(path)
    if not re.fullmatch(SOURCE_NAME_PATTERN, source):
        raise ValueError(f"source {source!r} is not a slug (lowercase letters, digits, '_' and '-', 1-64 characters)")
    path = path.resolve()
    settings = SourceSettings.model_validate({"name": source, "path": glob.escape(str(path)), "format": format})
    result = ingest_source(settings, path.parent)
    return result.records, result.quarantine


def _string(row: Mapping[str, Any], name: str, *, required: bool, non_empty: bool = False) -> str:
    """A string field of ``row``: absent optional fields are "", integers are accepted for ``label``."""
    if name not in row or row[name] is None:
        if required:
            if name in row:
                raise RowError(QuarantineReason.MISSING_FIELD, f"field '{name}' is null")
            fields = ", ".join(map(str, list(row)[:12])) or "none"
            raise RowError(QuarantineReason.MISSING_FIELD, f"has no field '{name}' (fields: {fields})")
        return ""
    value = row[name]
    if name == "label" and isinstance(value, float) and value != value:  # NaN: a missing label
        return ""
    if name == "label" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    elif name == "label" and isinstance(value, float) and value.is_integer():
        value = str(int(value))  # 3.0: an integer label column that holds a missing value became float
    if not isinstance(value, str):
        raise RowError(QuarantineReason.WRONG_TYPE, f"field '{name}' is {type(value).__name__}, expected a string")
    if non_empty and not value.strip():
        raise RowError(QuarantineReason.EMPTY_TEXT, f"field '{name}' is empty")
    return value


def platform_ticket_half(row: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(ticket key, task)`` for an Alpaca row that :func:`export_alpaca` wrote for one task of a ticket, or
    None: its ``id`` is the example id ``"{record_id}::{task}"`` and its instruction is that task's own
    (:data:`ALPACA_INSTRUCTIONS`), with a ticket in ``input`` and no system prompt or history. The ingest
    reader merges the ``classify`` and ``reply`` rows of one ticket into one record (text, reply, label), so
    that a re-imported export gives back the tickets it was written from; a row of any other file is None."""
    example_id = row.get("id")
    if not isinstance(example_id, str) or "::" not in example_id:
        return None
    key, task = example_id.rsplit("::", 1)
    if (
        task not in ALPACA_INSTRUCTIONS
        or not key
        or row.get("instruction") != ALPACA_INSTRUCTIONS[task]
        or not isinstance(row.get("input"), str)
        or not row["input"].strip()
        or row.get("history")
        or (isinstance(row.get("system"), str) and row["system"].strip())
    ):
        return None
    return key, task


def _alpaca_record(row: Mapping[str, Any]) -> dict[str, str]:
    instruction = _string(row, "instruction", required=True, non_empty=True)
    given_input = _string(row, "input", required=False)
    output = _string(row, "output", required=True)
    label = _string(row, "label", required=False).strip()
    system = _string(row, "system", required=False)
    history = row.get("history")
    if instruction == ALPACA_INSTRUCTIONS["classify"] and given_input.strip() and not history and not system.strip():
        if label and output.strip() and normalise_label(label) != normalise_label(output):
            raise RowError(
                QuarantineReason.LABEL_CONFLICT,
                f"the classify row's output {quoted(output.strip())} and its label {quoted(label)} name different "
                "categories; keep one of them",
            )
        return {"text": given_input, "response": "", "label": label or output.strip(), "messages": ""}
    if instruction == ALPACA_INSTRUCTIONS["reply"] and given_input.strip() and not history and not system.strip():
        return {"text": given_input, "response": output, "label": label, "messages": ""}
    text = f"{instruction}\n\n{given_input}" if given_input.strip() else instruction
    if not history and not system.strip():
        return {"text": text, "response": output, "label": label, "messages": ""}
    # A system prompt or earlier exchanges (the Alpaca/LLaMA-Factory "history": [[question, answer], ...]) make
    # the row a conversation: they are kept as its first turns, not dropped.
    messages = [{"role": "system", "content": system}] if system.strip() else []
    if history is not None:
        if not isinstance(history, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) for t in pair) for pair in history
        ):
            raise RowError(
                QuarantineReason.INVALID_MESSAGES,
                "field 'history' must be a list of [question, answer] string pairs",
            )
        for question, answer in history:
            messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    messages += [{"role": "user", "content": text}, {"role": "assistant", "content": output}]
    return _chat_fields(messages, row, "history")


def _chat_fields(messages: list[dict[str, str]], row: Mapping[str, Any], name: str) -> dict[str, str]:
    text, response = chat_text_and_response(messages)
    if not text.strip():
        raise RowError(QuarantineReason.EMPTY_TEXT, f"'{name}' has no non-empty user turn")
    return {
        "text": text,
        "response": response,
        "label": _string(row, "label", required=False).strip(),
        "messages": json.dumps(messages, ensure_ascii=False),
    }


def _turn_list(row: Mapping[str, Any], name: str) -> list[Any]:
    if name not in row:
        fields = ", ".join(map(str, list(row)[:12])) or "none"
        raise RowError(QuarantineReason.MISSING_FIELD, f"has no field '{name}' (fields: {fields})")
    turns = row[name]
    if not isinstance(turns, list) or not turns:
        raise RowError(
            QuarantineReason.INVALID_MESSAGES, f"'{name}' must be a non-empty list, found {type(turns).__name__}"
        )
    return turns


def _sharegpt_record(row: Mapping[str, Any]) -> dict[str, str]:
    messages = []
    for i, turn in enumerate(_turn_list(row, "conversations")):
        if not isinstance(turn, Mapping):
            raise RowError(
                QuarantineReason.INVALID_MESSAGES, f"conversations[{i}] is {type(turn).__name__}, not an object"
            )
        speaker, value = turn.get("from"), turn.get("value")
        role = speaker.strip().lower() if isinstance(speaker, str) else None  # a list or object is not a role
        if role in SHAREGPT_TOOL_ROLES:
            raise RowError(
                QuarantineReason.INVALID_MESSAGES,
                function_calling_problem(f"conversations[{i}] ({speaker!r})", result=SHAREGPT_TOOL_ROLES[role]),
            )
        if role not in SHAREGPT_ROLES:
            raise RowError(
                QuarantineReason.INVALID_MESSAGES,
                f"conversations[{i}].from is {quoted(speaker)}, expected one of {sorted(SHAREGPT_ROLES)} (any case)",
            )
        speaker = role
        problem = weight_problem(turn, f"conversations[{i}]", SHAREGPT_ROLES[speaker])  # the platform's own exports
        if problem is not None:
            raise RowError(QuarantineReason.INVALID_MESSAGES, problem)
        if not isinstance(value, str):
            raise RowError(
                QuarantineReason.INVALID_MESSAGES,
                f"conversations[{i}].value is {type(value).__name__}, expected a string",
            )
        messages.append(kept_message(SHAREGPT_ROLES[speaker], value, turn))
    system = _string(row, "system", required=False)  # the dataset-level system prompt of many ShareGPT exports
    if system.strip() and not (messages and messages[0]["role"] == "system"):
        messages.insert(0, {"role": "system", "content": system})
    return _chat_fields(messages, row, "conversations")


def _openai_record(row: Mapping[str, Any]) -> dict[str, str]:
    messages = []
    for i, message in enumerate(_turn_list(row, "messages")):
        if not isinstance(message, Mapping):
            raise RowError(
                QuarantineReason.INVALID_MESSAGES, f"messages[{i}] is {type(message).__name__}, not an object"
            )
        role, content = message.get("role"), message.get("content")
        if role == "function":  # the legacy function result
            raise RowError(QuarantineReason.INVALID_MESSAGES, function_calling_problem(f"messages[{i}]", result=True))
        if not isinstance(role, str) or role not in OPENAI_ROLES:
            raise RowError(
                QuarantineReason.INVALID_MESSAGES,
                f"messages[{i}].role is {quoted(role)}, expected one of {sorted(OPENAI_ROLES)}",
            )
        tool_use = tool_use_problem(message, f"messages[{i}]") or weight_problem(message, f"messages[{i}]", role)
        if tool_use is not None:
            raise RowError(QuarantineReason.INVALID_MESSAGES, tool_use)
        if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
            content, problem = joined_text_parts(content, f"messages[{i}].content")
            if problem is not None:
                raise RowError(QuarantineReason.INVALID_MESSAGES, problem)
        if not isinstance(content, str):
            raise RowError(
                QuarantineReason.INVALID_MESSAGES,
                f"messages[{i}].content is {type(content).__name__}, expected a string or text parts",
            )
        messages.append(kept_message(role, content, message))
    return _chat_fields(messages, row, "messages")


_MAPPERS = {"alpaca": _alpaca_record, "sharegpt": _sharegpt_record, "openai_chat": _openai_record}
