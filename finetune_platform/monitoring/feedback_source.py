"""User feedback as a raw data source, so corrections pass the same curation as any other data.

A correction is not trained on directly: ``write_feedback_batches`` writes it as a line of a JSONL batch
file under ``data/raw/feedback/`` (``FEEDBACK_SOURCE``: text and the corrected response), or, for a chat
request logged with its conversation, under ``data/raw/feedback_chats/`` (``FEEDBACK_CHATS_SOURCE``: the
conversation ending in the corrected reply, read like any chat transcript). Both entries, added to
``data/sources.yaml`` by whoever wires the pipeline, make ``raw_corpus`` read those files like any other
source. From there the rows go through
ingest's quarantine, curation's PII redaction, deduplication and quality gates, the format stage and the
versioned training set, with record ids that point at the batch file and line.

The DPO stage reads preference pairs from its own JSONL file (``write_preference_pairs``): a pair is
(prompt, chosen, rejected), which the record schema cannot hold.
"""

from __future__ import annotations

import glob
import json
import os
import re
from pathlib import Path
from typing import Callable, Iterable, Mapping

import pandas as pd

from finetune_platform.formats.instructions import ticket_from_prompt
from finetune_platform.ingest.sources import SourceSettings, load_sources
from finetune_platform.monitoring.feedback import FEEDBACK_DOC_TYPE, PAIR_LOCATION_COLUMNS, PREFERENCE_COLUMNS
from finetune_platform.schemas import RECORD_COLUMNS

#: Folder of the feedback batches under the raw data folder (``data/raw``).
FEEDBACK_DIR = "feedback"
#: Each feedback folder's withdrawal list (``ingest.withdrawals``): written lines a later rating replaced.
WITHDRAWN_FILE = "withdrawn.csv"

#: The source entry for ``data/sources.yaml``. ``required=False``: before the first batch is written the
#: folder is empty, and that is not a mistake.
FEEDBACK_SOURCE = SourceSettings(
    name="feedback",
    path=f"{FEEDBACK_DIR}/*.jsonl",
    format="jsonl",
    doc_type=FEEDBACK_DOC_TYPE,
    response_field="response",
    label_field="label",
    required=False,
    withdrawn_rows=f"{FEEDBACK_DIR}/{WITHDRAWN_FILE}",
    description="User corrections of production answers (monitoring.feedback_source.write_feedback_source), "
    "one JSONL file per batch.",
)

#: Folder of the conversation feedback batches under the raw data folder.
FEEDBACK_CHATS_DIR = "feedback_chats"

#: The source entry of corrected chat answers with their conversation: the logged turns and the correction
#: as the last assistant turn (text = the user turns, response = the correction, as for any chat source).
FEEDBACK_CHATS_SOURCE = SourceSettings(
    name="feedback_chats",
    path=f"{FEEDBACK_CHATS_DIR}/*.jsonl",
    format="jsonl",
    doc_type=FEEDBACK_DOC_TYPE,
    messages_field="messages",
    label_field="label",
    required=False,
    withdrawn_rows=f"{FEEDBACK_CHATS_DIR}/{WITHDRAWN_FILE}",
    description="User corrections of chat answers with the conversation they answered "
    "(monitoring.feedback_source.write_feedback_batches), one JSONL file per batch.",
)

#: Both feedback sources: every file either of them reads was written from the log store's feedback.
FEEDBACK_SOURCES: tuple[SourceSettings, ...] = (FEEDBACK_SOURCE, FEEDBACK_CHATS_SOURCE)

def configured_feedback_sources(sources_file: Path) -> dict[str, SourceSettings]:
    """The feedback sources (:data:`FEEDBACK_SOURCES`) that ``sources_file`` (``data/sources.yaml``) lists,
    by name, as configured there; none when the file does not exist."""
    if not Path(sources_file).is_file():
        return {}
    names = {source.name for source in FEEDBACK_SOURCES}
    return {source.name: source for source in load_sources(Path(sources_file)) if source.name in names}


#: The fields of every line of a feedback batch, in file order.
FEEDBACK_FIELDS: tuple[str, ...] = ("text", "response", "label", "feedback_id", "response_id")
#: The fields of every line of a conversation feedback batch (``messages`` a list of {role, content}).
FEEDBACK_CHAT_FIELDS: tuple[str, ...] = ("messages", "label", "feedback_id", "response_id")

#: A batch name becomes a file name: a slug, so it cannot escape the folder or hide a second extension.
BATCH_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class FeedbackBatchExistsError(FileExistsError):
    """A batch file already exists with other content; batches are immutable once written."""


def feedback_batch_lines(records: pd.DataFrame, feedback: pd.DataFrame | None = None) -> list[dict[str, object]]:
    """The lines of a feedback batch, one per record, ordered by feedback id.

    ``records`` are ``schemas.RECORD_COLUMNS`` from ``feedback_to_records`` (``source_row`` holds the
    feedback id). A ``text`` rendered with the platform's instruction template (logged prompts of
    fine-tuned models are) is reduced to its ticket text, as every other source's text is: the format
    stage wraps it in the template again. A record with a conversation (``messages``, a chat request's
    logged turns and the correction) is a :data:`FEEDBACK_CHAT_FIELDS` line holding its turns instead of
    text and response. ``feedback`` (``LogStore.feedback_between``) is optional and supplies each line's
    ``response_id``; without it the field is empty.
    """
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(
            f"feedback records are missing columns {missing}; pass the output of "
            "monitoring.feedback.feedback_to_records (columns schemas.RECORD_COLUMNS)."
        )
    feedback_ids = records["source_row"].astype("int64")
    repeated = sorted(set(feedback_ids[feedback_ids.duplicated()].tolist()))
    if repeated:
        raise ValueError(
            f"feedback ids {repeated[:5]} occur more than once in the records; each feedback row is one record "
            "(was a batch concatenated with itself?)."
        )
    response_ids: dict[int, str] = {}
    if feedback is not None:
        absent = [c for c in ("feedback_id", "response_id") if c not in feedback.columns]
        if absent:
            raise ValueError(
                f"feedback is missing columns {absent}; pass the DataFrame from LogStore.feedback_between."
            )
        response_ids = {int(f): str(r) for f, r in zip(feedback["feedback_id"], feedback["response_id"], strict=True)}
        unknown = sorted(set(feedback_ids.tolist()) - set(response_ids))
        if unknown:
            raise ValueError(
                f"records with feedback ids {unknown[:5]} are not in the feedback frame passed alongside; pass "
                "the same feedback rows the records were made from."
            )
    lines: list[dict[str, object]] = []
    for row in records.assign(source_row=feedback_ids).sort_values("source_row", kind="stable").itertuples():
        label = "" if pd.isna(row.label) else str(row.label)
        feedback_id, response_id = int(row.source_row), response_ids.get(int(row.source_row), "")
        if _has_conversation(row.messages):
            lines.append({"messages": json.loads(row.messages), "label": label, "feedback_id": feedback_id,
                          "response_id": response_id})
        else:
            lines.append({"text": ticket_from_prompt(str(row.text)), "response": str(row.response), "label": label,
                          "feedback_id": feedback_id, "response_id": response_id})
    return lines


def _has_conversation(messages: object) -> bool:
    """Whether a feedback record's ``messages`` holds a conversation ("" / NaN: a plain correction)."""
    return isinstance(messages, str) and bool(messages.strip())


def write_feedback_batches(
    records: pd.DataFrame,
    raw_dir: Path,
    batch_name: str,
    feedback: pd.DataFrame | None = None,
    conversations: bool = True,
) -> dict[str, Path | None]:
    """Write batch ``batch_name`` of both feedback sources (:data:`FEEDBACK_SOURCES`): plain corrections
    under ``<raw_dir>/feedback/``, corrections of chat answers with their conversation under
    ``<raw_dir>/feedback_chats/``; returns each source's file (see :func:`write_feedback_source`).

    ``conversations=False`` (``feedback_chats`` is not configured, so nothing would ingest its files) writes
    every record as a plain line of the ``feedback`` source: the corrected answer and the user's text,
    without the earlier turns.
    """
    if "messages" not in records.columns:
        raise ValueError(
            "feedback records are missing the column 'messages'; pass the output of "
            "monitoring.feedback.feedback_to_records (columns schemas.RECORD_COLUMNS)."
        )
    if not conversations:
        records = records.assign(messages="")
    chats = records["messages"].map(_has_conversation).astype(bool)
    return {
        FEEDBACK_SOURCE.name: write_feedback_source(records[~chats], raw_dir, batch_name, feedback),
        FEEDBACK_CHATS_SOURCE.name: write_feedback_source(
            records[chats], raw_dir, batch_name, feedback, source=FEEDBACK_CHATS_SOURCE
        ),
    }


def write_feedback_source(
    records: pd.DataFrame,
    raw_dir: Path,
    batch_name: str,
    feedback: pd.DataFrame | None = None,
    source: SourceSettings = FEEDBACK_SOURCE,
) -> Path | None:
    """Write the feedback records of batch ``batch_name`` under ``<raw_dir>/feedback/`` (``source``
    :data:`FEEDBACK_CHATS_SOURCE`: the records with a conversation, under ``<raw_dir>/feedback_chats/``;
    :func:`write_feedback_batches` writes both); returns the file written (or the batch's last file when
    every record is in it already), or None when there is nothing.

    A batch file is never changed once written: record ids (``feedback/feedback/<file>#<line>``) and
    trained models point into it. The first write is ``<batch_name>.jsonl``; records of the same batch
    that arrive later (an up-to-the-minute check of today's partition, then the run after midnight) go to a
    continuation file ``<batch_name>+2.jsonl``, ``+3``, ... holding only the records not written before
    ('+' cannot occur in a batch name, so a continuation never collides with another batch). A record
    written before with other content raises ``FeedbackBatchExistsError``. The bytes depend only on the
    records (lines sorted by feedback id, keys in ``FEEDBACK_FIELDS`` order, UTF-8), so writing the same
    records again is a no-op. Nothing new writes nothing: a new file, even an empty one, changes the
    source's fingerprint, and the re-ingest that follows made the nightly schedule retrain on no new data.
    """
    if not BATCH_NAME_PATTERN.match(batch_name) or batch_name.endswith(".jsonl"):
        raise ValueError(
            f"batch_name {batch_name!r} is not a usable file name: use letters, digits, '_', '-' and '.', start "
            "with a letter or digit, at most 128 characters and without the '.jsonl' extension "
            "(e.g. '2026-11-28' or a partition key)."
        )
    if source not in FEEDBACK_SOURCES:
        names = [s.name for s in FEEDBACK_SOURCES]
        raise ValueError(f"source must be one of the feedback sources {names}, got {source.name!r}")
    chats = source == FEEDBACK_CHATS_SOURCE
    fields = FEEDBACK_CHAT_FIELDS if chats else FEEDBACK_FIELDS
    lines = feedback_batch_lines(records, feedback)
    wrong = [line["feedback_id"] for line in lines if ("messages" in line) != chats]
    if wrong:
        raise ValueError(
            f"feedback ids {wrong[:5]} {'have no' if chats else 'have a'} conversation and do not belong in the "
            f"'{source.name}' source; write_feedback_batches sends each record to its source."
        )
    folder = Path(raw_dir) / (FEEDBACK_CHATS_DIR if chats else FEEDBACK_DIR)
    files = batch_files(folder, batch_name)
    written: dict[int, dict[str, object]] = {}
    for path in files:
        for text in path.read_text(encoding="utf-8").splitlines():
            if text.strip():
                line = json.loads(text)
                written[int(line["feedback_id"])] = line
    changed = [line["feedback_id"] for line in lines if line["feedback_id"] in written and written[line["feedback_id"]] != line]  # type: ignore[index]
    if changed:
        raise FeedbackBatchExistsError(
            f"{files[0]} already holds a different feedback batch: feedback ids {changed[:5]} were written with other "
            "content; batch files are immutable because record ids and trained models point into them. Write the "
            "new feedback under a new batch name."
        )
    new = [line for line in lines if line["feedback_id"] not in written]
    if not new:
        return files[-1] if files else None
    # after the highest number there is, so a missing file in between (removed by hand) is never reused
    number = max((_file_number(path, batch_name) for path in files), default=0) + 1
    path = folder / (f"{batch_name}.jsonl" if number == 1 else f"{batch_name}+{number}.jsonl")
    content = "".join(json.dumps({k: line[k] for k in fields}, ensure_ascii=False) + "\n" for line in new)
    folder.mkdir(parents=True, exist_ok=True)
    _create_exclusively(content.encode("utf-8"), path)
    return path


def _create_exclusively(content: bytes, path: Path) -> None:
    """Write ``path`` whole or not at all (ingest never sees half a batch), and never over an existing file
    (another run may have written it meanwhile: a rename into place would replace its records)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(content)
    try:
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: exclusive creation, written in place
            with open(path, "xb") as fh:
                fh.write(content)
    except FileExistsError as error:
        raise FeedbackBatchExistsError(
            f"{path} was written by another run meanwhile; nothing was overwritten. Run again: the records "
            "not in the batch's files yet go to the next file."
        ) from error
    finally:
        temporary.unlink(missing_ok=True)


def _file_number(path: Path, batch_name: str) -> int:
    """1 for ``<batch>.jsonl``, n for the continuation ``<batch>+n.jsonl``."""
    return 1 if path.name == f"{batch_name}.jsonl" else int(path.name[len(batch_name) + 1 : -len(".jsonl")])


def batch_files(folder: Path, batch_name: str) -> list[Path]:
    """The files of batch ``batch_name`` in ``folder``, in the order they were written: ``<batch>.jsonl``,
    then its continuations ``<batch>+2.jsonl``, ``<batch>+3.jsonl``, ... (continuations count even when an
    earlier file was removed: their records were written, and must not be written again)."""
    first = folder / f"{batch_name}.jsonl"
    pattern = re.compile(re.escape(batch_name) + r"\+(\d+)\.jsonl")
    more = sorted(
        (int(m.group(1)), p) for p in folder.glob(f"{glob.escape(batch_name)}+*.jsonl") if (m := pattern.fullmatch(p.name))
    )
    return [*([first] if first.is_file() else []), *(p for _, p in more)]


def superseded_feedback_lines(
    raw_dir: Path, sources: Iterable[SourceSettings], latest_of: Callable[[list[str]], Mapping[str, int]]
) -> dict[str, dict[str, str]]:
    """For each of the feedback ``sources``, the lines of its batch files whose verdict no longer stands:
    record id -> why. A line's correction stands while its feedback row is the latest rating of its
    response; a later rating (a thumbs-up, another correction, a thumbs-down without one), arriving after
    the batch was written, replaces it. ``latest_of`` maps response ids to their latest feedback id
    (``LogStore.latest_feedback_ids``). Lines without a response id, or whose response has no feedback in
    the store any more, are left alone: nothing says they were replaced."""
    from finetune_platform.ingest.readers import source_file_of

    lines: dict[str, list[tuple[str, int, str]]] = {}
    for source in sources:
        try:
            files = source.resolve_files(Path(raw_dir))
        except FileNotFoundError:
            continue
        for path in files:
            rel = source_file_of(path, Path(raw_dir))
            for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                try:
                    line = json.loads(text) if text.strip() else None
                except json.JSONDecodeError:
                    continue  # ingest quarantines it; no correction of it is trained on
                if not isinstance(line, dict) or not str(line.get("response_id") or ""):
                    continue
                try:
                    feedback_id = int(line.get("feedback_id"))  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    continue
                lines.setdefault(source.name, []).append(
                    (f"{source.name}/{rel}#{number}", feedback_id, str(line["response_id"]))
                )
    latest = latest_of(sorted({rid for found in lines.values() for _, _, rid in found}))
    return {
        name: {
            record_id: f"feedback {feedback_id} replaced by a later rating of response {response_id} "
            f"(feedback {latest[response_id]})"
            for record_id, feedback_id, response_id in found
            if latest.get(response_id, feedback_id) != feedback_id
        }
        for name, found in lines.items()
    }


def withdraw_superseded_feedback(
    raw_dir: Path, sources: Iterable[SourceSettings], latest_of: Callable[[list[str]], Mapping[str, int]]
) -> dict[str, int]:
    """List every written correction a later rating replaced (:func:`superseded_feedback_lines`) in its
    source's ``withdrawn_rows`` file, so the next ingest of the source leaves it out; returns how many were
    added per source. Batch files never change (record ids point into them): the list is how a correction
    that was written leaves the training data. A source without ``withdrawn_rows`` is skipped (-1)."""
    from finetune_platform.ingest.withdrawals import write_withdrawn_rows

    sources = list(sources)
    added: dict[str, int] = {s.name: -1 for s in sources if s.withdrawn_rows is None}
    listed = [s for s in sources if s.withdrawn_rows is not None]
    superseded = superseded_feedback_lines(raw_dir, listed, latest_of)
    for source in listed:
        path = source.withdrawn_rows_path(Path(raw_dir))
        assert path is not None
        added[source.name] = write_withdrawn_rows(path, superseded.get(source.name, {}), source.name)
    return added


def write_preference_pairs(pairs: pd.DataFrame, path: Path) -> Path:
    """Write DPO preference pairs as JSONL (``prompt``, ``chosen``, ``rejected`` per line); returns ``path``.

    ``pairs`` come from ``feedback_to_preference_pairs``; lines keep its order and also carry
    ``response_id`` and ``feedback_id`` when present, for lineage (DPO trainers ignore extra fields), and
    ``messages``, the chat request's logged conversation, which the DPO stage renders as the prompt, and
    ``rag_context``, the passages a knowledge index added to it, which it puts back.
    The file is replaced whole (atomically): it is the DPO stage's input, derived again on each run.
    """
    needed = ["prompt", "chosen", "rejected"]
    missing = [c for c in needed if c not in pairs.columns]
    if missing:
        raise ValueError(
            f"preference pairs are missing columns {missing}; pass the pairs from "
            "monitoring.feedback.feedback_to_preference_pairs (columns prompt, chosen, rejected)."
        )
    fields = [c for c in PREFERENCE_COLUMNS if c in pairs.columns]
    for column in needed:
        empty = pairs[column].map(lambda v: not (isinstance(v, str) and v.strip()))
        if empty.any():
            raise ValueError(
                f"{int(empty.sum())} preference pairs have an empty '{column}' (first at row "
                f"{int(empty.to_numpy().nonzero()[0][0])}); a pair needs a prompt and two different answers."
            )
    lines = []
    for row in pairs[fields].itertuples(index=False):
        line = {}
        for name, value in zip(fields, row, strict=True):
            if name == "feedback_id":
                line[name] = int(value)
            elif name in ("messages", "rag_context"):  # the logged conversation, passages (JSON); left out without
                if isinstance(value, str) and value:
                    line[name] = value
            else:
                line[name] = str(value)
        lines.append(json.dumps(line, ensure_ascii=False) + "\n")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text("".join(lines), encoding="utf-8")
    temporary.replace(path)
    return path


def read_preference_pairs(files: Iterable[Path]) -> pd.DataFrame:
    """The pairs of every JSONL file in ``files`` (as ``write_preference_pairs`` writes them), in order, with
    the file's name and the pair's line in it (``feedback.PAIR_LOCATION_COLUMNS``), so that a check on a pair
    can say where it is. No file, or only empty ones, gives no pairs (columns prompt, chosen, rejected)."""
    frames = []
    for path in files:
        path = Path(path)
        numbers = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if line.strip()]
        if not numbers:
            continue
        frame = pd.read_json(path, lines=True)
        if len(frame) != len(numbers):
            raise ValueError(
                f"{path}: read {len(frame)} preference pairs from {len(numbers)} non-blank lines; each line must be "
                "one JSON object (prompt, chosen, rejected)"
            )
        frames.append(frame.assign(**{PAIR_LOCATION_COLUMNS[0]: path.name, PAIR_LOCATION_COLUMNS[1]: numbers}))
    if not frames:
        return pd.DataFrame(columns=["prompt", "chosen", "rejected", *PAIR_LOCATION_COLUMNS])
    return pd.concat(frames, ignore_index=True)
