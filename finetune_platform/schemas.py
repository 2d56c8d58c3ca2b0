"""Column contracts between stages.

Every stage passes pandas DataFrames whose columns are listed here, so that a stage can be tested alone
and lineage (record id -> raw file and row) survives every step.
"""

from __future__ import annotations

#: ``raw_corpus`` / ``curated_records``: one row per ticket (or document).
#: - record_id: ``"{source}/{source_file}#{source_row}"``, stable and readable; the lineage key.
#: - source: the configured source name; source_file: path relative to the raw folder;
#:   source_row: 1-based line (JSONL, text) or data-row (CSV, Parquet, JSON array) number.
#: - doc_type: what the source holds ("chat", "email", "note", "document", ...).
#: - text: the request side (customer message, email body, query). Never empty after ingest.
#: - response: the answer side (agent reply, resolution note); "" when the source has none.
#: - label: the category / intent; "" when unknown.
#: - messages: JSON list of {"role", "content"} for conversations, "" otherwise.
RECORD_COLUMNS: list[str] = [
    "record_id",
    "source",
    "source_file",
    "source_row",
    "doc_type",
    "text",
    "response",
    "label",
    "messages",
]

#: An optional column of the ``raw_corpus`` asset and of every curation stage's records after it (the readers'
#: ``IngestResult.records`` do not have it; ``ingest.raw_files.with_source_sha256`` adds it): the SHA-256 of the
#: raw file (``source_file``) as the ingest that read the record saw it (None when it could not be hashed).
#: The curation stages carry it like any extra column, so the training set's manifest records the content each
#: example was curated from, not that of a later ingest nobody curated (``ingest.raw_files.curated_raw_files``).
#: Records built elsewhere (by hand, in tests) may lack it: their raw files' hashes are then unknown.
SOURCE_SHA256_COLUMN = "source_sha256"

#: ``quarantine``: rows that could not be read, each with a reason.
#: reason_code is a short machine-readable code (see ingest.QuarantineReason); reason is the human
#: sentence (what was wrong and where); excerpt is the first characters of the offending raw input.
QUARANTINE_COLUMNS: list[str] = ["source", "source_file", "source_row", "reason_code", "reason", "excerpt"]

#: Rows removed by curation, with the named reason (nothing is dropped silently).
DROPPED_COLUMNS: list[str] = ["record_id", "stage", "reason", "detail"]

#: ``instruction_examples`` and the training-set splits.
#: - example_id: ``"{record_id}::{task}"``; task: "classify" or "reply".
#: - prompt / completion: the SFT pair (completion-only loss); label: the ticket's category.
EXAMPLE_COLUMNS: list[str] = ["example_id", "record_id", "task", "prompt", "completion", "label", "source"]

SPLITS: tuple[str, ...] = ("train", "validation", "test")
