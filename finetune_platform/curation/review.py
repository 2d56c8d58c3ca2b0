"""Human review of curated records: sample a review queue, hand it to reviewers, read their decisions back,
measure their agreement and apply what they decided.

The flow (the Dagster layer wires each step as an asset; nothing here imports dagster):

1. :func:`build_review_queue` samples records for review, stratified by label (and source), taking records
   whose quality score sits in the borderline band first: those are where the automatic filter is least
   sure, so a reviewer's time is worth most there.
2. :func:`export_review_csv` (a spreadsheet, one copy per reviewer) or :func:`export_label_studio` plus
   :func:`label_studio_config` (a Label Studio project) hand the queue to reviewers.
3. :func:`import_reviews` reads the filled spreadsheets and Label Studio JSON exports back into one frame
   of ``REVIEW_COLUMNS``. Every bad row is collected, and then all of them are raised together in one
   :class:`ReviewImportError` that names file, row and problem: a review that cannot be read must not be
   lost quietly, and reviewers should fix every problem in one pass, not one per run.
4. :func:`apply_reviews` combines several reviewers' decisions per record with the ``rejection_rule``,
   drops rejected records (reason ``human_rejected``), applies label corrections that a majority of the
   record's reviewers agree on, and lists the records where reviewers disagree.
   :func:`finetune_platform.curation.agreement.agreement_report` measures how far reviewers agree.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, ClassVar, Literal
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from finetune_platform.curation.agreement import DECISIONS, AgreementMetric, AgreementReport, agreement_report
from finetune_platform.curation.config import check_input, make_dropped, text_column
from finetune_platform.curation.pii import name_pii_types, redact_name
from finetune_platform.sheets import (  # noqa: F401  (FORMULA_TRIGGERS, spreadsheet_safe: this module's API)
    FORMULA_TRIGGERS,
    RowError,
    RowsImportError,
    SheetReader,
    label_studio_annotator,
    person_of_file,
    spreadsheet_safe,
)

STAGE = "human_review"
REJECT_REASON = "human_rejected"

#: ``review_queue``: one row per record to review, in the order reviewers should take them.
#: review_id: ``"rv-"`` + 10 hex digits of the record id's SHA-1 (stable across runs); content_hash: a
#: fingerprint of the record's text, reply and turns as the reviewer sees them (:func:`content_hash`), so a
#: decision is never applied to another record that took the same id since (a row added above it in its
#: file); stratum: ``label`` or ``label|source``; borderline: the quality score lies in the borderline band.
REVIEW_QUEUE_COLUMNS: list[str] = [
    "review_id",
    "record_id",
    "content_hash",
    "source",
    "label",
    "quality_score",
    "stratum",
    "borderline",
    "text",
    "response",
]
#: The columns a reviewer fills in the exported spreadsheet.
REVIEWER_COLUMNS: list[str] = ["decision", "corrected_label", "reviewer", "comment"]
REVIEW_CSV_COLUMNS: list[str] = REVIEW_QUEUE_COLUMNS + REVIEWER_COLUMNS

#: ``human_reviews``: one row per reviewer and record. decision: "accept" or "reject"; label: the corrected
#: label ("" = the reviewer kept the record's label); origin: ``file:row`` (CSV data row, 1-based) or
#: ``file:task N/annotation M`` (Label Studio), so every decision can be traced to where it was made.
REVIEW_COLUMNS: list[str] = ["record_id", "reviewer", "decision", "label", "comment", "origin"]

#: Records on which reviewers disagree. kind: "decision", "label" or "decision+label"; outcome: "rejected",
#: "kept", "relabelled" or "pending" (fewer reviewers than min_reviewers_per_item); votes: who said what.
DISAGREEMENT_COLUMNS: list[str] = ["record_id", "n_reviewers", "accepts", "rejects", "kind", "outcome", "votes"]

#: Records whose label the reviewers corrected.
RELABEL_COLUMNS: list[str] = ["record_id", "old_label", "new_label", "votes"]

_NO_LABEL = "(no label)"
_COMMENT_CHARS = 200


class ReviewSettings(BaseModel):
    """How records are sampled for review and how reviewers' decisions are combined and judged.

    Flat on purpose: the Dagster layer subclasses this as ``ReviewConfig(dg.Config, ReviewSettings)``.
    """

    model_config = ConfigDict(extra="forbid")

    sample_size: int = Field(
        default=200, ge=1, le=100_000, description="How many records go into the review queue (fewer if there are fewer)."
    )
    borderline_low: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="Lowest quality_score counted as borderline (inclusive); by default the curation threshold.",
    )
    borderline_high: float = Field(
        default=0.8, ge=0.0, le=1.0, description="Highest quality_score counted as borderline (inclusive)."
    )
    borderline_share: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description=(
            "Share of the queue taken from the borderline band first; the rest (and any shortfall when the band "
            "holds fewer records) comes from all remaining records. It shrinks where it would leave a label (and "
            "source) without any borderline record out of the queue: every stratum gets one place first."
        ),
    )
    stratify_by_source: bool = Field(
        default=True, description="Stratify by label and source (True) or by label only (False)."
    )
    seed: int = Field(default=0, ge=0, description="Seed of the sampling; the same records and seed give the same queue.")
    min_reviewers_per_item: int = Field(
        default=2,
        ge=1,
        le=20,
        description=(
            "Reviews a record needs before its decision is applied; records with fewer stay unchanged (pending). "
            "Agreement can only be measured on records with two or more reviews."
        ),
    )
    min_agreement: float = Field(
        default=0.6,
        ge=-1.0,
        le=1.0,
        description=(
            "Least inter-rater agreement (of agreement_metric) for the review to be trusted; below it the gate fails."
        ),
    )
    agreement_metric: AgreementMetric = Field(
        default="krippendorff_alpha",
        description=(
            "krippendorff_alpha (any number of reviewers, missing reviews allowed), fleiss_kappa (same, items "
            "with one review left out) or cohen_kappa (mean of the pairwise kappas)."
        ),
    )
    rejection_rule: Literal["majority", "any", "unanimous"] = Field(
        default="majority",
        description=(
            "How reviewers' decisions combine: majority = more than half reject (a tie keeps the record and lists "
            "it as a disagreement); any = one reject is enough; unanimous = every reviewer must reject."
        ),
    )

    @model_validator(mode="after")
    def _check_band(self) -> "ReviewSettings":
        if self.borderline_low > self.borderline_high:
            raise ValueError(
                f"borderline_low ({self.borderline_low}) must not be above borderline_high ({self.borderline_high}); "
                "swap them or widen the band."
            )
        return self


# --- sampling --------------------------------------------------------------------------------------------


def _review_id(record_id: str) -> str:
    return "rv-" + hashlib.sha1(record_id.encode("utf-8")).hexdigest()[:10]


def content_hash(text: str, response: str, messages: str) -> str:
    """``"h"`` + 12 hex digits of the SHA-1 of a record's text, reply and turns: what a reviewer judged.

    A record id is a file and a row, so it moves to another record when rows are added above it; this
    fingerprint tells :func:`import_reviews` that the record under an id is no longer the one reviewed.
    The letter keeps a spreadsheet from reading the cell as a number: bare hex digits such as
    ``19e734265847`` or ``668843103874`` (about 1 record in 150) come back from Excel as ``1.9E+735`` or
    ``6.68843E+11``. (Queues exported before the letter, bare hex digits, are still recognised.)
    """
    return "h" + hashlib.sha1("\x1f".join((text, response, messages)).encode("utf-8", "surrogatepass")).hexdigest()[:12]


#: a content_hash a spreadsheet turned into a number: "1.9E+735", "6.68843E+11" (or a lost leading zero)
_MANGLED_NUMBER = re.compile(r"\d+(?:[.,]\d+)?E[+-]\d+|\d{1,11}", re.IGNORECASE)


def content_hashes(records: pd.DataFrame) -> list[str]:
    """:func:`content_hash` of every row of ``records``."""
    return [
        content_hash(t, r, m)
        for t, r, m in zip(text_column(records, "text"), text_column(records, "response"), text_column(records, "messages"))
    ]


def _allocate(capacity: dict[str, int], n: int, floor_one: list[str]) -> dict[str, int]:
    """Split ``n`` picks over strata: one each for ``floor_one`` first (largest strata first, when ``n`` is too
    small for all), the rest in proportion to the room left in each stratum (largest remainder, in integers).

    No stratum gets more than its capacity: each quota n*room/total is at most its room, and the places left
    after flooring go to strata with a fractional quota, whose ceiling is still within their room.
    """
    alloc = {s: 0 for s in capacity}
    n = min(n, sum(capacity.values()))
    for s in sorted((s for s in floor_one if capacity.get(s, 0) > 0), key=lambda s: (-capacity[s], s)):
        if n == 0:
            break
        alloc[s], n = 1, n - 1
    room = {s: capacity[s] - alloc[s] for s in capacity}
    total = sum(room.values())
    if n == 0 or total == 0:
        return alloc
    quotas = {s: divmod(n * r, total) for s, r in room.items()}
    for s, (whole, _) in quotas.items():
        alloc[s] += whole
    left = n - sum(whole for whole, _ in quotas.values())
    for s in sorted(room, key=lambda s: (-quotas[s][1], -capacity[s], s))[:left]:
        alloc[s] += 1
    return alloc


def _pick(pool: pd.DataFrame, n: int, floor_one: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """A stratified random sample of ``n`` rows of ``pool`` (which is sorted by record_id)."""
    if n <= 0 or pool.empty:
        return pool.iloc[0:0]
    sizes = pool["stratum"].value_counts()
    alloc = _allocate({str(s): int(k) for s, k in sizes.items()}, n, floor_one)
    parts = []
    for stratum in sorted(alloc):
        k = alloc[stratum]
        members = pool[pool["stratum"] == stratum]
        if k:
            parts.append(members.iloc[np.sort(rng.permutation(len(members))[:k])])
    return pd.concat(parts) if parts else pool.iloc[0:0]


def build_review_queue(records: pd.DataFrame, settings: ReviewSettings) -> pd.DataFrame:
    """Sample up to ``settings.sample_size`` records for human review (``REVIEW_QUEUE_COLUMNS``).

    First ``round(borderline_share * n)`` records come from the borderline band (quality_score within
    [borderline_low, borderline_high]), then the rest from every record not yet taken. Each phase is stratified
    by label (and source): every stratum gets one record before any gets a second (largest strata first when
    there are more strata than places), the remaining places go in proportion to stratum size; across the two
    phases too: the band's share shrinks where it would give a band stratum a second record while a stratum
    without borderline records gets none. The queue lists
    the borderline phase first, then the borderline records of the second phase (the band's records beyond
    its share), then the rest, each part shuffled so that strata are mixed: a reviewer who stops early has
    seen the borderline records first. The same records (in any row order) and seed always give the same
    queue.
    """
    check_input(records, STAGE, needs=["quality_score"])
    n = min(settings.sample_size, len(records))
    labels = [label or _NO_LABEL for label in text_column(records, "label")]
    frame = pd.DataFrame({
        "record_id": records["record_id"].astype(str),
        "source": text_column(records, "source"),
        "label": text_column(records, "label"),
        "quality_score": pd.to_numeric(records["quality_score"], errors="coerce").astype(float),
        "text": text_column(records, "text"),
        "response": text_column(records, "response"),
        "content_hash": content_hashes(records),
    })
    frame["stratum"] = (
        [f"{label}|{source}" for label, source in zip(labels, frame["source"])] if settings.stratify_by_source else labels
    )
    score = frame["quality_score"]
    frame["borderline"] = (score >= settings.borderline_low) & (score <= settings.borderline_high)
    frame = frame.sort_values("record_id", kind="stable").reset_index(drop=True)

    rng = np.random.default_rng(settings.seed)
    band = frame[frame["borderline"]]
    n_band = min(int(round(settings.borderline_share * n)), len(band))
    # Every stratum gets one record before any gets a second, across both phases: once the band phase has
    # a place for each of its strata, it leaves enough places for the strata without borderline records.
    band_strata = band["stratum"].nunique()
    if n_band > band_strata:
        n_band = max(band_strata, min(n_band, n - (frame["stratum"].nunique() - band_strata)))
    first = _pick(band, n_band, sorted(band["stratum"].unique()), rng)
    rest = frame.drop(index=first.index)
    unseen = sorted(set(rest["stratum"]) - set(first["stratum"]))
    second = _pick(rest, n - len(first), unseen, rng)
    parts = (first, second[second["borderline"]], second[~second["borderline"]])
    phases = [part.iloc[rng.permutation(len(part))] for part in parts]
    queue = pd.concat(phases, ignore_index=True)
    queue["review_id"] = [_review_id(rid) for rid in queue["record_id"]]
    if not queue["review_id"].is_unique:
        raise AssertionError("two record ids share a review_id hash prefix; lengthen _review_id. This is a bug.")
    return queue[REVIEW_QUEUE_COLUMNS].reset_index(drop=True)


def queue_stats(queue: pd.DataFrame) -> dict[str, Any]:
    """JSON-serialisable counts of a review queue, for asset metadata."""
    return {
        "items": int(len(queue)),
        "borderline": int(queue["borderline"].sum()) if len(queue) else 0,
        "by_stratum": {str(k): int(v) for k, v in queue["stratum"].value_counts().sort_index().items()},
        "by_label": {str(k): int(v) for k, v in queue["label"].value_counts().sort_index().items()},
    }


# --- export ----------------------------------------------------------------------------------------------


def export_review_csv(queue: pd.DataFrame, path: Path) -> Path:
    """Write the queue as a review spreadsheet (``REVIEW_CSV_COLUMNS``, UTF-8 with BOM so Excel reads it).

    The reviewer columns (decision, corrected_label, reviewer, comment) are empty; reviewers write ``accept``
    or ``reject`` in ``decision`` and may put a corrected label in ``corrected_label``. Every text cell is
    passed through :func:`spreadsheet_safe`.
    """
    missing = [c for c in REVIEW_QUEUE_COLUMNS if c not in queue.columns]
    if missing:
        raise ValueError(f"export_review_csv: the queue lacks columns {missing}; build it with build_review_queue.")
    out = queue[REVIEW_QUEUE_COLUMNS].copy()
    for column in REVIEWER_COLUMNS:
        out[column] = ""
    for column in out.columns:
        if column not in ("quality_score", "borderline"):
            out[column] = [spreadsheet_safe(v) for v in text_column(out, column)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return path


def export_label_studio(queue: pd.DataFrame, path: Path) -> Path:
    """Write the queue as Label Studio tasks to import (a JSON list of ``{"data": {...}}``).

    Each task's data holds every queue column; the labeling view is :func:`label_studio_config`.
    """
    missing = [c for c in REVIEW_QUEUE_COLUMNS if c not in queue.columns]
    if missing:
        raise ValueError(f"export_label_studio: the queue lacks columns {missing}; build it with build_review_queue.")
    tasks = []
    for row in queue[REVIEW_QUEUE_COLUMNS].to_dict(orient="records"):
        score = row["quality_score"]
        row["quality_score"] = None if score is None or score != score else round(float(score), 4)
        row["borderline"] = bool(row["borderline"])
        tasks.append({"data": row})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def label_studio_config(labels: list[str] | None = None) -> str:
    """The Label Studio labeling config for the review: accept/reject, an optional corrected label, a comment.

    With ``labels`` the corrected label is a choice among them (no typos); without, a free-text box. The
    control names (``decision``, ``corrected_label``, ``comment``) are what :func:`import_reviews` reads.
    """
    if labels:
        choices = "\n".join(f"    <Choice value={quoteattr(label)}/>" for label in labels)
        correction = (
            '  <Header value="Corrected label (only if the label is wrong)"/>\n'
            f'  <Choices name="corrected_label" toName="text" choice="single" showInline="true">\n{choices}\n  </Choices>'
        )
    else:
        correction = (
            '  <Header value="Corrected label (only if the label is wrong)"/>\n'
            '  <TextArea name="corrected_label" toName="text" maxSubmissions="1" rows="1"/>'
        )
    return (
        "<View>\n"
        '  <Header value="$record_id | source: $source | label: $label | quality: $quality_score"/>\n'
        '  <Text name="text" value="$text"/>\n'
        '  <Header value="Response"/>\n'
        '  <Text name="response" value="$response"/>\n'
        '  <Header value="Keep this record for training?"/>\n'
        '  <Choices name="decision" toName="text" choice="single" required="true" showInline="true">\n'
        '    <Choice value="accept"/>\n'
        '    <Choice value="reject"/>\n'
        "  </Choices>\n"
        f"{correction}\n"
        f'  <Header value={quoteattr(escape("Comment (why, if rejected)"))}/>\n'
        '  <TextArea name="comment" toName="text" rows="2"/>\n'
        "</View>\n"
    )


# --- import ----------------------------------------------------------------------------------------------


#: One unreadable review: the file, where in it (``data row N`` / ``task N annotation M``), what is wrong.
ReviewRowError = RowError


class ReviewImportError(RowsImportError):
    """Raised by :func:`import_reviews` with every bad review row."""

    what = "review row"


def _hash_forms(known: str | None) -> tuple[str, ...]:
    """The spellings of a record's content_hash a sheet may hold: today's and the bare hex digits of queues
    exported before the leading letter."""
    return () if known is None else (known, known[1:])


@dataclass
class _Reader(SheetReader):
    """Reviews from spreadsheets and Label Studio exports; checks ids and labels against the records."""

    id_column: ClassVar[str] = "record_id"
    required_columns: ClassVar[tuple[str, ...]] = ("record_id", "decision")
    csv_hint: ClassVar[str] = (
        "use the spreadsheet from export_review_csv or a CSV with record_id, reviewer, decision[, corrected_label, "
        "comment]."
    )
    item: ClassVar[str] = "record"
    person: ClassVar[str] = "reviewer"
    answer: ClassVar[str] = "review"
    answered: ClassVar[str] = "reviewed"

    known_ids: set[str] | None = None
    known_labels: set[str] | None = None
    #: each record's content_hash now, by record id (None: not checked)
    known_hashes: dict[str, str] | None = None
    reviewer_from_filename: bool = False

    def add(
        self, file: str, where: str, record_id: str, reviewer: str, decision: str, label: str, comment: str,
        seen_hash: str = "",
    ) -> None:
        def bad(problem: str) -> None:
            self.error(file, where, problem)

        record_id, label, comment, seen_hash = (s.strip() for s in (record_id, label, comment, seen_hash))
        reviewer = self.person_name(reviewer)
        decision_norm = decision.strip().casefold()
        # the past participle a reviewer may well write ("Accepted", "REJECTED") means the same decision
        decision_norm = {"accepted": "accept", "rejected": "reject"}.get(decision_norm, decision_norm)
        problems_before = len(self.errors)
        if not record_id:
            bad("record_id is empty; keep the record_id column as exported.")
        elif self.known_ids is not None and record_id not in self.known_ids:
            bad(
                f"record_id '{record_id}' is not among the records under review; was the file edited or is it from "
                "another batch?"
            )
        elif (
            seen_hash and self.known_hashes is not None
            and seen_hash not in _hash_forms(self.known_hashes.get(record_id))
            and _MANGLED_NUMBER.fullmatch(seen_hash)
        ):
            bad(
                f"the content_hash '{seen_hash}' of record '{record_id}' was turned into a number by a "
                "spreadsheet; copy the row's content_hash back from review_queue.csv (or empty the cell) "
                "and import again."
            )
        elif seen_hash and self.known_hashes is not None and seen_hash not in _hash_forms(self.known_hashes.get(record_id)):
            bad(
                f"record '{record_id}' is not the record that was reviewed: its text or reply changed since the "
                "review queue was exported (rows added or edited in its file, or curation now redacts it "
                "differently), so the decision may belong to another record. Export a new queue (materialize "
                "review_queue) and review this record again, or delete this row."
            )
        if not seen_hash:
            self.stats["reviews_without_content_hash"] += 1
        if decision_norm not in DECISIONS:
            bad(f"decision '{decision.strip()}' is not one of {list(DECISIONS)}; write accept or reject.")
        if not reviewer:
            bad(
                "reviewer is empty; fill the reviewer column (or name each file after its reviewer and import "
                "with reviewer_from_filename=True; Label Studio: the annotation needs completed_by)."
            )
        in_label = name_pii_types(label) if label else []
        if in_label:  # named by its types only: the error message must not repeat the PII
            bad(
                f"corrected label holds PII ({', '.join(in_label)}); a label is a class name: pick one of the "
                "records' labels."
            )
        elif label and self.known_labels is not None and label not in self.known_labels:
            bad(f"corrected label '{label}' is not a known label {sorted(self.known_labels)}; check the spelling.")
        if len(self.errors) > problems_before:
            return
        self.keep(file, where, record_id, reviewer, {
            "record_id": record_id,
            "reviewer": reviewer,
            "decision": decision_norm,
            "label": label,
            "comment": comment,
        })

    def csv_row(self, file: str, where: str, cell: Callable[[str], str], stem: str) -> None:
        decision, label, comment = cell("decision"), cell("corrected_label"), cell("comment")
        if not decision:
            if label or comment:
                self.error(file, where, "decision is empty but a corrected_label or comment is filled; write accept or reject.")
            else:
                self.stats["blank_rows_skipped"] += 1
            return
        # a Label Studio CSV export names each row's reviewer in its annotator column (several in one file)
        reviewer = cell("reviewer") or cell("annotator") or (person_of_file(stem) if self.reviewer_from_filename else "")
        self.add(file, where, cell("record_id"), reviewer, decision, label, comment, cell("content_hash"))

    def annotation(
        self, file: str, where: str, item_id: str, annotation: dict[str, Any], data: dict[str, Any]
    ) -> None:
        decision, label, comment = _read_ls_result(annotation.get("result") or [])
        seen = data.get("content_hash")
        self.add(
            file, where, item_id, label_studio_annotator(annotation.get("completed_by")), decision, label, comment,
            "" if seen is None else str(seen),
        )




def _read_ls_result(result: list[dict[str, Any]]) -> tuple[str, str, str]:
    """(decision, corrected label, comment) from one annotation's result list, read by control name."""
    decision = label = comment = ""
    for region in result:
        value = region.get("value") or {}
        picked = value.get("choices") or value.get("text") or []
        text = " ".join(str(v) for v in picked) if isinstance(picked, list) else str(picked)
        name = region.get("from_name")
        if name == "decision":
            decision = text
        elif name == "corrected_label":
            label = text
        elif name == "comment":
            comment = text
    return decision, label, comment


def import_reviews(
    paths: list[Path],
    records: pd.DataFrame | None = None,
    *,
    reviewer_from_filename: bool = False,
) -> pd.DataFrame:
    """Read reviewers' decisions (``REVIEW_COLUMNS``) from review spreadsheets and Label Studio JSON exports.

    The format is chosen per file: ``.json`` (or content starting with ``[``/``{``) is a Label Studio export
    (``annotations[].result[]`` read by control name ``decision`` / ``corrected_label`` / ``comment``, reviewer
    from ``completed_by``: an e-mail when the export holds user objects, else ``ls_user_<id>``; cancelled
    annotations are skipped and counted). Anything else is a CSV with at least record_id and decision; the
    reviewer comes from its ``reviewer`` column, or from the file name (``alice.csv`` -> ``alice``; a saved
    copy's ``alice (1).csv`` -> ``alice`` too: :func:`~finetune_platform.sheets.person_of_file`) where that
    cell is empty and ``reviewer_from_filename`` is True. Rows without decision, corrected label and comment are items not
    reviewed yet: skipped and counted.

    With ``records`` given, record ids must be among them, corrected labels among their labels, and a row's
    ``content_hash`` (the queue's; in a Label Studio task's data) must be the record's now: a record whose
    text or reply changed since the queue was exported is not the one reviewed (rows shift under their ids
    when a line is added above them). Rows without a content_hash (a hand-made sheet) are not checked and are
    counted (``reviews_without_content_hash``). Every bad
    row (unknown decision, record id or label, missing reviewer, a second review of one record by one
    reviewer, a decision-less row with a comment) is collected; if there is any, :class:`ReviewImportError`
    lists them all and nothing is imported. Counts per file and of skipped rows are in
    ``result.attrs["import_stats"]``.
    """
    known_ids = set(records["record_id"].astype(str)) if records is not None else None
    known_labels = {label for label in text_column(records, "label") if label} if records is not None else None
    known_hashes = (
        dict(zip(records["record_id"].astype(str), content_hashes(records))) if records is not None else None
    )
    reader = _Reader(
        known_ids=known_ids, known_labels=known_labels, known_hashes=known_hashes,
        reviewer_from_filename=reviewer_from_filename,
    )
    reader.stats["reviews_without_content_hash"] = 0
    reader.read(paths, "review file", "import_reviews")
    if reader.errors:
        raise ReviewImportError(reader.errors)
    reviews = pd.DataFrame(reader.rows, columns=REVIEW_COLUMNS).astype(str)
    reviews.attrs["import_stats"] = {**reader.stats, "reviews": len(reviews)}
    return reviews


# --- apply -----------------------------------------------------------------------------------------------


@dataclass
class ReviewOutcome:
    """What the review changed.

    records: the input records minus the rejected ones, labels corrected where a majority of a record's
    reviewers agreed on a new label; rejected: ``schemas.DROPPED_COLUMNS`` rows (reason ``human_rejected``,
    detail naming the rejecting reviewers); relabelled: ``RELABEL_COLUMNS``; disagreements:
    ``DISAGREEMENT_COLUMNS``; agreement: the inter-rater agreement and its verdict; stats: JSON-serialisable
    counts (``rows_in == rows_out + rows_dropped`` as for every curation stage).
    """

    records: pd.DataFrame
    rejected: pd.DataFrame
    relabelled: pd.DataFrame
    disagreements: pd.DataFrame
    agreement: AgreementReport
    stats: dict[str, Any] = field(default_factory=dict)


def _votes(group: pd.DataFrame) -> str:
    parts = []
    for reviewer, decision, label in zip(group["reviewer"], group["decision"], group["label"]):
        parts.append(f"{reviewer}={decision}" + (f"(label={label})" if label else ""))
    return ", ".join(parts)


def _rejects(n_reject: int, n: int, rule: str) -> bool:
    if rule == "any":
        return n_reject >= 1
    if rule == "unanimous":
        return n_reject == n
    return n_reject * 2 > n


def apply_reviews(records: pd.DataFrame, reviews: pd.DataFrame, settings: ReviewSettings) -> ReviewOutcome:
    """Apply reviewers' decisions to ``records``.

    Per record with at least ``min_reviewers_per_item`` reviews: ``rejection_rule`` decides rejection;
    a record kept gets a new label when more than half of its reviewers name the same label, counting a
    review without a correction as a vote for the current label. Records with fewer reviews are *pending*
    (kept unchanged, counted), as are records nobody reviewed. Reviews of record ids not in ``records``
    raise ValueError: they belong to another batch or the records changed since the queue was built.
    """
    check_input(records, STAGE)
    missing = [c for c in REVIEW_COLUMNS if c != "origin" and c not in reviews.columns]
    if missing:
        raise ValueError(f"apply_reviews: reviews lack columns {missing}; read them with import_reviews.")
    reviews = reviews.copy()
    spellings: dict[str, str] = {}  # one reviewer per person, as import_reviews reads names
    for column in ("record_id", "reviewer", "decision", "label", "comment"):
        values = text_column(reviews, column)
        if column == "decision":
            values = [v.strip().casefold() for v in values]
        elif column == "record_id":  # an id is a file path and row: inner spaces are part of it
            values = [v.strip() for v in values]
        elif column == "label":
            values = [" ".join(v.split()) for v in values]
        elif column == "reviewer":
            values = [spellings.setdefault(" ".join(v.split()).casefold(), " ".join(v.split())) for v in values]
        reviews[column] = pd.Series(values, index=reviews.index, dtype=object)
    bad = sorted(set(reviews["decision"]) - set(DECISIONS))
    if bad:
        raise ValueError(
            f"apply_reviews: decisions {bad} are not among {list(DECISIONS)}; read reviews with import_reviews."
        )
    with_pii = sorted(
        (rid, types) for rid, label in zip(reviews["record_id"], reviews["label"]) if label
        for types in [name_pii_types(label)] if types
    )
    if with_pii:
        raise ValueError(
            f"apply_reviews: {len(with_pii)} corrected labels hold PII, e.g. "
            + "; ".join(f"{redact_name(rid)}: {', '.join(types)}" for rid, types in with_pii[:5])
            + ". A label is a class name: correct these reviews to one of the records' labels (import_reviews "
            "refuses them)."
        )
    unknown = sorted(set(reviews["record_id"]) - set(records["record_id"].astype(str)))
    if unknown:
        raise ValueError(
            f"apply_reviews: {len(unknown)} reviewed record ids are not among the records, e.g. {unknown[:5]}; the "
            "reviews belong to another batch or the records changed since the review queue was built."
        )

    record_ids = records["record_id"].astype(str).tolist()
    current = dict(zip(record_ids, text_column(records, "label")))
    rejected_rows: list[tuple[str, str, str]] = []
    relabels: list[dict[str, str]] = []
    disagreements: list[dict[str, Any]] = []
    new_label: dict[str, str] = {}
    pending = 0
    rule, need = settings.rejection_rule, settings.min_reviewers_per_item
    for record_id, group in reviews.groupby("record_id", sort=True):
        record_id = str(record_id)
        n = len(group)
        n_reject = int((group["decision"] == "reject").sum())
        effective = [label or current[record_id] for label in group["label"]]
        top_label, top_votes = Counter(effective).most_common(1)[0]
        if n < need:
            outcome = "pending"
            pending += 1
        elif _rejects(n_reject, n, rule):
            outcome = "rejected"
            rejecters = group[group["decision"] == "reject"]
            notes = "; ".join(
                f"{r}: {c[:_COMMENT_CHARS]}" for r, c in zip(rejecters["reviewer"], rejecters["comment"]) if c
            )
            rejected_rows.append((
                record_id,
                REJECT_REASON,
                f"rejected by {', '.join(rejecters['reviewer'])} ({n_reject} of {n} reviewers, rule {rule})"
                + (f"; {notes}" if notes else ""),
            ))
        elif top_votes * 2 > n and top_label != current[record_id]:
            outcome = "relabelled"
            new_label[record_id] = top_label
            relabels.append({
                "record_id": record_id, "old_label": current[record_id], "new_label": top_label, "votes": _votes(group),
            })
        else:
            outcome = "kept"
        kinds = [k for k, split in (("decision", 0 < n_reject < n), ("label", len(set(effective)) > 1)) if split]
        if kinds:
            disagreements.append({
                "record_id": record_id,
                "n_reviewers": n,
                "accepts": n - n_reject,
                "rejects": n_reject,
                "kind": "+".join(kinds),
                "outcome": outcome,
                "votes": _votes(group),
            })

    rejected = make_dropped(rejected_rows, STAGE)
    gone = set(rejected["record_id"])
    kept = records[[rid not in gone for rid in record_ids]].copy()
    if new_label:
        kept["label"] = [new_label.get(str(rid), label) for rid, label in zip(kept["record_id"], kept["label"])]
    kept = kept.reset_index(drop=True)
    if len(kept) + len(rejected) != len(records):
        raise AssertionError(
            f"apply_reviews lost rows: {len(records)} in, {len(kept)} kept, {len(rejected)} rejected. This is a bug."
        )

    agreement = review_agreement(reviews, settings, records)
    by_reviewer = reviews.groupby("reviewer")["decision"]
    stats: dict[str, Any] = {
        "rows_in": int(len(records)),
        "rows_out": int(len(kept)),
        "rows_dropped": int(len(rejected)),
        "dropped_by_reason": {REJECT_REASON: int(len(rejected))} if len(rejected) else {},
        "reviews": int(len(reviews)),
        "reviewers": int(reviews["reviewer"].nunique()),
        "records_reviewed": int(reviews["record_id"].nunique()),
        "records_pending": pending,
        "rejected": int(len(rejected)),
        "relabelled": len(relabels),
        "disagreements": len(disagreements),
        "rejection_rule": rule,
        "min_reviewers_per_item": need,
        "reject_rate_by_reviewer": {
            str(r): round(float((d == "reject").mean()), 4) for r, d in by_reviewer
        },
        "agreement": agreement.to_dict(),
    }
    return ReviewOutcome(
        records=kept,
        rejected=rejected,
        relabelled=pd.DataFrame(relabels, columns=RELABEL_COLUMNS),
        disagreements=pd.DataFrame(disagreements, columns=DISAGREEMENT_COLUMNS),
        agreement=agreement,
        stats=stats,
    )


def review_agreement(
    reviews: pd.DataFrame, settings: ReviewSettings, records: pd.DataFrame | None = None
) -> AgreementReport:
    """The agreement gate with the settings' metric and bar (what the blocking asset check reads).

    Measures the accept/reject decisions and, when ``records`` are given and a reviewer corrected a label,
    the labels too: each review's label is its correction or, without one, the record's label (the reviewer
    kept it). Both must clear the bar: reviewers who agree to keep a record but not on its label are no
    basis for relabelling it. With ``min_reviewers_per_item`` 1 a review where no record has two reviews
    passes as not measured (:func:`agreement_report`'s ``single_reviews_allowed``).
    """
    single = settings.min_reviewers_per_item == 1
    decisions = agreement_report(
        reviews, settings.agreement_metric, settings.min_agreement, single_reviews_allowed=single
    )
    corrected = [label.strip() for label in text_column(reviews, "label")]
    if records is None or not any(corrected):
        return decisions
    current = dict(zip(records["record_id"].astype(str), text_column(records, "label")))
    effective = [
        label or current.get(str(rid).strip(), "") or _NO_LABEL for rid, label in zip(reviews["record_id"], corrected)
    ]
    labels = agreement_report(
        reviews.assign(effective_label=effective), settings.agreement_metric, settings.min_agreement,
        value="effective_label", categories=None, single_reviews_allowed=single,
    )
    return replace(
        decisions,
        passed=decisions.passed and labels.passed,
        reason=f"decisions: {decisions.reason} Labels: {labels.reason}",
        labels=labels.to_dict(),
    )


def write_disagreements(disagreements: pd.DataFrame, path: Path) -> Path:
    """Write the records where reviewers disagree (``DISAGREEMENT_COLUMNS``) as a spreadsheet for the review
    lead (UTF-8 with BOM, every text cell through :func:`spreadsheet_safe`); an empty one when there are none,
    so an old list never outlives the reviews it was made from."""
    missing = [c for c in DISAGREEMENT_COLUMNS if c not in disagreements.columns]
    if missing:
        raise ValueError(f"write_disagreements: the table lacks columns {missing}; take it from apply_reviews.")
    out = disagreements[DISAGREEMENT_COLUMNS].copy()
    for column in ("record_id", "kind", "outcome", "votes"):
        out[column] = [spreadsheet_safe(v) for v in text_column(out, column)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path
