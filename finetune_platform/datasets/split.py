"""Train / validation / test split of the instruction examples, and the training set on disk.

The split works on tickets, not examples: every task built from one ticket (``classify`` and ``reply``
share the ticket text) lands in the same split, and so do tickets whose prompts are identical after
normalisation, so no ticket text is seen in training and scored in test.
Within that constraint the split is stratified by label, then by source, and it is a pure function of the
example set and the seed (input row order does not matter).

The training set on disk is three Parquet files plus ``manifest.json`` (lineage of every example back to
its raw file and row). Identical input gives identical bytes, so the DVC hash of the folder only changes
when the data does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, model_validator

from finetune_platform.datasets.versioning import folder_md5
from finetune_platform.formats.conversations import CONVERSATION_COLUMNS
from finetune_platform.formats.instructions import ticket_from_prompt
from finetune_platform.schemas import EXAMPLE_COLUMNS, RECORD_COLUMNS, SPLITS

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
#: ``conversations_{split}.parquet``: the versioned multi-turn form of a split's tickets.
CONVERSATIONS_PREFIX = "conversations_"
MANIFEST_FORMAT_VERSION = 1
#: Parquet settings fixed here so that the bytes do not depend on library defaults changing under us.
_PARQUET_OPTIONS: dict[str, Any] = {"engine": "pyarrow", "compression": "zstd", "index": False}


class SplitSettings(BaseModel):
    """How the examples are divided into train, validation and test."""

    validation_fraction: float = Field(
        0.1, ge=0.0, le=0.45, description="Share of tickets held out for validation (early stopping, tuning)."
    )
    test_fraction: float = Field(
        0.1, ge=0.0, le=0.45, description="Share of tickets held out for the final evaluation."
    )
    seed: int = Field(
        13, ge=0, le=2**32 - 1, description="Seed of the split: the same examples and seed give the same split."
    )
    near_duplicate_threshold: float = Field(
        0.8,
        gt=0.0,
        le=1.0,
        description="Tickets whose texts have a word-trigram Jaccard similarity at or above this stay in one "
        "split, so near-duplicates cannot leak from train into test (1.0: exact duplicates only).",
    )

    @model_validator(mode="after")
    def _training_keeps_the_majority(self) -> "SplitSettings":
        held_out = self.validation_fraction + self.test_fraction
        if held_out >= 0.5:
            raise ValueError(
                f"validation_fraction + test_fraction = {held_out:.3g} leaves less than half of the tickets "
                "for training; keep their sum below 0.5"
            )
        return self


def _check_examples(examples: pd.DataFrame) -> None:
    missing = [c for c in EXAMPLE_COLUMNS if c not in examples.columns]
    if missing:
        raise ValueError(f"examples are missing columns {missing}; expected {EXAMPLE_COLUMNS}")
    if examples.empty:
        raise ValueError("there are no examples to split; check the format stage's output")
    for column in ("example_id", "record_id"):
        blank = examples[column].isna() | (examples[column].astype(str).str.strip() == "")
        if blank.any():
            where = examples.loc[blank, "example_id"].head(3).tolist() if column == "record_id" else []
            raise ValueError(
                f"{int(blank.sum())} examples have no {column} (first at row {int(blank.to_numpy().nonzero()[0][0])}"
                + (f", example ids {where}" if where else "")
                + "); every example needs one: the split groups examples by record_id and the manifest traces it"
            )
    duplicated = examples.loc[examples["example_id"].duplicated(), "example_id"]
    if len(duplicated):
        raise ValueError(
            f"{len(duplicated)} example_id values occur more than once (e.g. {duplicated.iloc[:3].tolist()}); "
            "example ids must be unique"
        )


def _apportion(
    quotas: Mapping[Hashable, float], capacity: Mapping[Hashable, int], total: int, rng: np.random.Generator
) -> dict[Hashable, int]:
    """Integer counts per stratum that sum to ``total``, each close to its quota and within its capacity.

    Largest-remainder (Hamilton) apportionment with random tie-breaks. Hand-written because scikit-learn's
    stratified splitters refuse classes with a single member and cannot split grouped rows at arbitrary
    fractions; rare labels are common in support data and must not make the split fail.
    """
    keys = sorted(quotas, key=str)
    counts = {k: min(math.floor(quotas[k]), capacity[k]) for k in keys}
    remaining = min(total, sum(capacity.values())) - sum(counts.values())
    tie_break = rng.random(len(keys))
    order = sorted(range(len(keys)), key=lambda i: (-(quotas[keys[i]] - math.floor(quotas[keys[i]])), tie_break[i]))
    for i in reversed(order):  # floors above the total (a caller's total below them): trim the smallest remainders
        if remaining >= 0:
            break
        take = min(counts[keys[i]], -remaining)
        counts[keys[i]] -= take
        remaining += take
    while remaining > 0:
        for i in order:
            key = keys[i]
            if remaining == 0:
                break
            if counts[key] < capacity[key]:
                counts[key] += 1
                remaining -= 1
    return counts


#: Words per shingle when comparing ticket texts for near-duplicates (as curation's dedup does).
NEAR_DUPLICATE_SHINGLE_WORDS = 3


def _ticket_texts(examples: pd.DataFrame) -> pd.Series:
    """The normalised ticket text of every record (from its first prompt), indexed by ``record_id``."""

    first = examples.drop_duplicates("record_id").set_index("record_id")["prompt"]
    return first.map(ticket_key)


def _near_duplicate_ticket_pairs(tickets: Iterable[str], threshold: float) -> list[tuple[str, str, float]]:
    """(ticket, ticket, Jaccard) for distinct normalised ticket texts (:func:`ticket_key`) that are
    near-duplicates (exact similarity join). Each text is compared once however many records share it: n
    identical tickets (templated messages whose PII became the same placeholders) would otherwise be n²/2
    pairs of one text with itself, which exact duplicates already join."""
    from finetune_platform.curation.dedup import near_duplicate_pairs

    if threshold >= 1.0:
        return []
    texts = sorted(set(tickets))
    pairs = near_duplicate_pairs(texts, NEAR_DUPLICATE_SHINGLE_WORDS, threshold, method="exact")
    return [(texts[i], texts[j], score) for i, j, score in pairs]


def _units(examples: pd.DataFrame, near_duplicate_threshold: float = 1.0) -> pd.Series:
    """The split unit of every ticket, indexed by ``record_id``: tickets that share a normalised prompt
    (exact duplicates that survived curation) or whose texts are near-duplicates form one unit, named by
    its smallest ``record_id``.

    Connected components of the ticket-prompt graph (scipy), so duplicates chain: A~B and B~C put A, B
    and C together.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    record_codes, record_ids = pd.factorize(examples["record_id"], sort=True)
    # The ticket inside the prompt, not the prompt: the same ticket asked as two tasks (a record with a label
    # and no reply, its duplicate with a reply and no label) is one ticket.
    prompt_codes, prompts = pd.factorize(examples["prompt"].map(ticket_key))
    n_records, n_nodes = len(record_ids), len(record_ids) + len(prompts)
    rows, cols = list(record_codes), list(n_records + prompt_codes)
    node_of_ticket = {ticket: n_records + i for i, ticket in enumerate(prompts)}
    # the tickets' first prompts' texts are among ``prompts``: join near-duplicate tickets' nodes
    for a, b, _ in _near_duplicate_ticket_pairs(_ticket_texts(examples), near_duplicate_threshold):
        rows.append(node_of_ticket[a])
        cols.append(node_of_ticket[b])
    edges = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n_nodes, n_nodes))
    _, component = connected_components(edges, directed=False)
    members = pd.Series(component[:n_records], index=pd.Index(record_ids, name="record_id"))
    first_member = members.reset_index().groupby(0)["record_id"].min()
    return members.map(first_member)


def label_spelling_variants(labels: Iterable[str]) -> list[list[str]]:
    """Groups of two or more labels that are one label spelt differently: equal once case, accents, spaces,
    "-" and "_" are set aside ("Shipping" / "shipping " / "SHIPPING", "late-delivery" / "late_delivery").

    Each becomes a class of its own for the classifier, which then learns to tell apart what the data's
    authors meant as one; the training set warns of them (map them to one spelling in the source's data or
    its column). Sorted, each group sorted.
    """
    groups: dict[str, set[str]] = {}
    for label in labels:
        if not isinstance(label, str) or not label.strip():
            continue
        folded = unicodedata.normalize("NFKD", label).casefold()
        key = "".join(c for c in folded if c.isalnum())
        groups.setdefault(key, set()).add(label)
    return sorted(sorted(group) for group in groups.values() if len(group) > 1)


def split_examples(
    examples: pd.DataFrame,
    settings: SplitSettings | None = None,
    previous: Mapping[str, str] | None = None,
    previous_tickets: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Divide ``examples`` (``schemas.EXAMPLE_COLUMNS``) into ``schemas.SPLITS``, grouped by ticket.

    The unit is the ticket (``record_id``), widened to all tickets that share a normalised prompt so that
    duplicates cannot straddle splits. The number of held-out units per label follows the fractions
    (largest remainder across labels), and within a label the units are spread across sources the same
    way; which units are held out follows a hash of ``settings.seed`` and each unit's name
    (:func:`_unit_rank`). A unit whose tickets carry several labels (near-duplicates labelled apart) counts
    as its rarest label's, and every label keeps at least one unit in train: a unit that holds a label's
    only ticket is trained on. Every split comes back with ``EXAMPLE_COLUMNS`` in order, sorted by
    ``example_id``.

    ``previous`` (record_id -> split, from the last version's manifest: :func:`previous_assignment`) keeps
    every ticket it names in its split, so a champion trained on the last version is never scored on its
    own training tickets: a unit with a ticket that was trained on stays in train (a new near-duplicate
    joins it there), one held out stays held out. Only the new units fill the fractions, as far as the
    kept ones leave room; with no previous version the split is the plain one above.

    ``previous_tickets`` (normalised ticket text -> split: :func:`previous_ticket_splits`) does the same for
    a ticket that comes back under a new record id, as it does when curation's dedup keeps another copy
    of it (a re-export, a better-scored near-duplicate): a ticket whose text is, or is a near-duplicate
    of, one the last version trained on stays in train.
    """
    settings = settings or SplitSettings()
    _check_examples(examples)
    examples = examples.loc[:, EXAMPLE_COLUMNS].sort_values("example_id", kind="stable").reset_index(drop=True)
    unit_of_record = _units(examples, settings.near_duplicate_threshold)
    unit_of_row = examples["record_id"].map(unit_of_record)
    # One source per unit: that of its first example (all tasks of a ticket share it). A unit can hold
    # tickets of several labels (near-duplicates labelled apart): all of them count, and the unit is
    # stratified by its rarest one, so a label's only unit is that label's and stays in train.
    units = examples.assign(unit=unit_of_row).groupby("unit", sort=True).agg(source=("source", "first"))
    units["source"] = units["source"].astype(str)
    labels_of_unit = _unit_labels(examples["label"], unit_of_row)
    units["label"] = _strata(labels_of_unit, units.index)
    kept_split = _kept_splits(
        unit_of_record,
        _previous_by_record(examples, previous or {}, previous_tickets or {}, settings.near_duplicate_threshold),
    )
    rng = np.random.default_rng(settings.seed)

    n_units = len(units)
    label_sizes = units.groupby("label").size().to_dict()
    held_out = {"test": settings.test_fraction, "validation": settings.validation_fraction}
    per_label: dict[str, dict[Hashable, int]] = {}
    # Every label keeps at least one ticket in train: a label the model never saw cannot be learned, and a
    # rare one (two tickets) must not lose both to test and validation.
    capacity = {k: max(0, n - 1) for k, n in label_sizes.items()}
    for split_name, fraction in held_out.items():
        per_label[split_name] = _apportion(
            {k: n * fraction for k, n in label_sizes.items()}, capacity, round(n_units * fraction), rng
        )
        capacity = {k: capacity[k] - per_label[split_name][k] for k in capacity}

    assignment: dict[str, str] = {}
    for label, group in units.groupby("label", sort=True):
        source_sizes = group.groupby("source").size().to_dict()
        source_capacity = dict(source_sizes)
        per_source: dict[str, dict[Hashable, int]] = {}
        for split_name, fraction in held_out.items():
            per_source[split_name] = _apportion(
                {s: n * fraction for s, n in source_sizes.items()}, source_capacity, per_label[split_name][label], rng
            )
            source_capacity = {s: source_capacity[s] - per_source[split_name][s] for s in source_capacity}
        for source, members in group.groupby("source", sort=True):
            ids = sorted(members.index, key=lambda unit: _unit_rank(settings.seed, unit))
            kept = {unit: kept_split[unit] for unit in ids if unit in kept_split}
            n_test = max(0, per_source["test"][source] - sum(v == "test" for v in kept.values()))
            n_val = max(0, per_source["validation"][source] - sum(v == "validation" for v in kept.values()))
            assignment.update(kept)
            for position, unit in enumerate(u for u in ids if u not in kept):
                if position < n_test:
                    assignment[unit] = "test"
                elif position < n_test + n_val:
                    assignment[unit] = "validation"
                else:
                    assignment[unit] = "train"

    _keep_every_label_in_train(assignment, labels_of_unit, kept_split, settings.seed)
    split_of_row = unit_of_row.map(assignment)
    return {name: examples.loc[split_of_row == name].reset_index(drop=True) for name in SPLITS}


def _unit_labels(labels: pd.Series, unit_of_row: pd.Series) -> dict[str, tuple[str, ...]]:
    """unit -> the distinct non-empty labels of its examples, sorted (a reply-only ticket has none)."""
    text = labels.fillna("").astype(str)
    named = text != ""
    grouped = text[named].groupby(unit_of_row[named]).agg(lambda s: tuple(sorted(set(s))))
    return grouped.to_dict()


def _strata(labels_of_unit: Mapping[str, tuple[str, ...]], units: pd.Index) -> list[str]:
    """The label each unit is stratified by: the rarest of its labels (the one in the fewest units; ties by
    name), "" for a unit without one. A label whose only unit also holds a commoner label is thus that unit's
    stratum, whose capacity (all its units but one) keeps it in train."""
    units_with: dict[str, int] = {}
    for labels in labels_of_unit.values():
        for label in labels:
            units_with[label] = units_with.get(label, 0) + 1
    return [
        min(labels_of_unit[unit], key=lambda label: (units_with[label], label)) if unit in labels_of_unit else ""
        for unit in units
    ]


def _keep_every_label_in_train(
    assignment: dict[str, str],
    labels_of_unit: Mapping[str, tuple[str, ...]],
    kept_split: Mapping[str, str],
    seed: int,
) -> list[str]:
    """Move to train one held-out unit of every label that has none in train, and return the units moved.

    Stratifying each unit by its rarest label keeps most labels in train; a label all of whose units are
    stratified by other labels (each unit of it also holds a rarer one) can still end up held out whole,
    and a held-out label the model never trained on fails the expectations gate. The unit moved is the
    label's last in seed order (:func:`_unit_rank`), one that the previous version did not hold out if there
    is one: held out -> train never scores a model on its own training tickets.
    """
    moved: list[str] = []
    in_train = {label for unit, split in assignment.items() if split == "train" for label in labels_of_unit.get(unit, ())}
    units_of_label: dict[str, list[str]] = {}
    for unit, labels in labels_of_unit.items():
        for label in labels:
            units_of_label.setdefault(label, []).append(unit)
    for label in sorted(units_of_label):
        if label in in_train:
            continue
        # the last in seed order among those the previous version did not place, else among the kept ones
        candidates = [u for u in units_of_label[label] if u not in kept_split] or units_of_label[label]
        unit = max(candidates, key=lambda u: _unit_rank(seed, u))
        assignment[unit] = "train"
        moved.append(unit)
        in_train.update(labels_of_unit[unit])
    return moved


def _unit_rank(seed: int, unit: str) -> str:
    """Where a unit stands in its label and source's order (test first, then validation, then train): a hash
    of the seed and the unit's name, so the order of the others does not change when units are added or
    removed (which units a version keeps in their split is :func:`split_examples`' ``previous``)."""
    return hashlib.sha256(f"{seed}\x00{unit}".encode()).hexdigest()


def _kept_splits(unit_of_record: pd.Series, previous: Mapping[str, str]) -> dict[str, str]:
    """The split of every unit holding a ticket the previous version placed: train when any of its tickets
    was trained on, else validation when any was, else test."""
    if not previous:
        return {}
    rank = {"train": 0, "validation": 1, "test": 2}
    known = pd.Series(previous, dtype=object).reindex(unit_of_record.index).dropna()
    known = known[known.isin(list(rank))]
    if known.empty:
        return {}
    best = known.map(rank).groupby(unit_of_record.loc[known.index]).min()
    names = {v: k for k, v in rank.items()}
    return {unit: names[int(r)] for unit, r in best.items()}


_SPLIT_RANK = {"train": 0, "validation": 1, "test": 2}


def _previous_by_record(
    examples: pd.DataFrame, previous: Mapping[str, str], previous_tickets: Mapping[str, str], threshold: float
) -> dict[str, str]:
    """record_id -> the split the last version puts the ticket in: by its record id (``previous``), and by
    its text (``previous_tickets``: the same normalised ticket, or a near-duplicate of one, at
    ``threshold``); train when any of those was trained on, else validation, else test."""
    found: dict[str, str] = {rid: name for rid, name in previous.items() if name in _SPLIT_RANK}
    if not previous_tickets:
        return found
    tickets = _ticket_texts(examples)
    old = {t: name for t, name in previous_tickets.items() if name in _SPLIT_RANK}
    split_of_ticket = {t: old[t] for t in set(tickets) if t in old}
    current = set(tickets)
    for a, b, _ in _near_duplicate_ticket_pairs(current | set(old), threshold):
        for mine, theirs in ((a, b), (b, a)):
            if mine in current and theirs in old:
                known = split_of_ticket.get(mine)
                if known is None or _SPLIT_RANK[old[theirs]] < _SPLIT_RANK[known]:
                    split_of_ticket[mine] = old[theirs]
    for record_id, ticket in tickets.items():
        by_text = split_of_ticket.get(ticket)
        if by_text is not None and (record_id not in found or _SPLIT_RANK[by_text] < _SPLIT_RANK[found[record_id]]):
            found[record_id] = by_text
    return found


def previous_ticket_splits(directory: Path, log: Any = None) -> dict[str, str]:
    """Normalised ticket text (:func:`ticket_key`) -> split of the training set version in ``directory``
    (train when any of its examples was trained on, else validation, else test); empty when there is none.

    A version that is there (it has a manifest) but cannot be read, a file changed or missing since it was
    written, gives {} too, with a warning on ``log`` (a ``logging.Logger`` or Dagster's ``context.log``;
    this module's logger by default) that says why and how to restore it. It does not raise: the folder
    is rewritten by the very run that asks, and the split still keeps every ticket by record id
    (:func:`previous_assignment` reads only the manifest); what is lost is the match by text, so a trained
    ticket back under a new record id may be held out, and the champion scored on it.
    """
    directory = Path(directory)
    if not (directory / MANIFEST_NAME).is_file():
        return {}
    try:
        splits = read_training_set(directory)
    except (FileNotFoundError, ValueError, KeyError, TypeError, OSError) as error:
        _warn_unreadable(log, directory, error, "matched by their text")
        return {}
    found: dict[str, str] = {}
    for name in sorted(SPLITS, key=_SPLIT_RANK.__getitem__, reverse=True):  # train last: it wins
        for ticket in splits[name]["prompt"].map(ticket_key):
            found[ticket] = name
    return found


def previous_assignment(directory: Path, log: Any = None) -> dict[str, str]:
    """record_id -> split of the training set version in ``directory`` (its manifest's instruction pairs);
    empty when there is none, or its manifest cannot be read (then every ticket is split afresh, with a
    warning on ``log`` as :func:`previous_ticket_splits` gives)."""
    directory = Path(directory)
    if not (directory / MANIFEST_NAME).is_file():
        return {}
    try:
        manifest = read_manifest(directory)
        return {e.record_id: e.split for e in manifest.entries.values() if getattr(e, "kind", "pair") == "pair"}
    except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        _warn_unreadable(log, directory, error, "kept by record id")
        return {}


def _warn_unreadable(log: Any, directory: Path, error: Exception, lost: str) -> None:
    (log or logger).warning(
        f"the previous training set version in {directory} cannot be read ({type(error).__name__}: {error}); "
        f"its tickets are not {lost}, so this split may hold out tickets it trained on. Restore it with "
        "`dvc checkout` of its .dvc file before the next run to keep them"
    )




def normalize_prompt(prompt: str) -> str:
    """What counts as "the same prompt": Unicode NFKC, PII placeholders unified (``<EMAIL_2>`` is
    ``<EMAIL>``, as curation's dedup compares them), case-folded, punctuation dropped, whitespace runs
    collapsed: two tickets that differ only in those are one ticket for the split and the leakage checks."""
    from finetune_platform.curation.dedup import _PLACEHOLDER, PUNCTUATION

    text = unicodedata.normalize("NFKC", str(prompt))
    if "<" in text:
        text = _PLACEHOLDER.sub(lambda m: f"<{m.group(1)}>", text)
    return " ".join(text.casefold().translate(PUNCTUATION).split())


def ticket_key(prompt: str) -> str:
    """The normalised ticket text of a prompt (:func:`normalize_prompt` of the ticket inside the instruction
    template, as ``formats.instructions.ticket_from_prompt`` reads it, in any case and spacing): what makes
    two examples the same ticket, whatever task each asks of it. A prompt without the template is its own
    ticket."""
    return normalize_prompt(ticket_from_prompt(prompt))


def find_leakage(splits: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Examples whose ticket (:func:`ticket_key`: the normalised ticket text, whatever the task) also occurs
    in another split (exact-duplicate leakage).

    Columns: ``normalized_prompt``, ``split``, ``example_id``, ``record_id``, ``splits`` (all splits the
    prompt occurs in, comma-separated); one row per offending example, empty when there is no leak.
    """
    columns = ["normalized_prompt", "split", "example_id", "record_id", "splits"]
    frames = [
        pd.DataFrame(
            {
                "normalized_prompt": df["prompt"].map(ticket_key),
                "split": name,
                "example_id": df["example_id"],
                "record_id": df["record_id"],
            }
        )
        for name, df in splits.items()
        if len(df)
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    everything = pd.concat(frames, ignore_index=True)
    splits_per_prompt = everything.groupby("normalized_prompt")["split"].agg(lambda s: ",".join(sorted(set(s))))
    everything["splits"] = everything["normalized_prompt"].map(splits_per_prompt)
    leaks = everything.loc[everything["splits"].str.contains(",", regex=False)]
    return leaks.sort_values(["normalized_prompt", "split", "example_id"]).reset_index(drop=True)[columns]


def find_near_duplicate_leakage(splits: Mapping[str, pd.DataFrame], threshold: float = 0.8) -> pd.DataFrame:
    """Pairs of tickets in different splits whose texts are near-duplicates (Jaccard >= ``threshold``).

    Columns: ``record_a``, ``split_a``, ``record_b``, ``split_b``, ``jaccard``; empty when there is no leak.
    """
    columns = ["record_a", "split_a", "record_b", "split_b", "jaccard"]
    frames = [df.assign(_split=name) for name, df in splits.items() if len(df)]
    if not frames:
        return pd.DataFrame(columns=columns)
    everything = pd.concat(frames, ignore_index=True)
    first = everything.drop_duplicates("record_id")
    tickets = pd.DataFrame({"ticket": first["prompt"].map(ticket_key), "split": first["_split"],
                            "record_id": first["record_id"]})
    # one representative ticket (the smallest record id) per text and split: a pair of texts is one row
    # per pair of splits they straddle, however many records repeat them
    representative = tickets.groupby(["ticket", "split"])["record_id"].min()
    splits_of: dict[str, list[tuple[str, str]]] = {}
    for (ticket, split), record_id in representative.items():
        splits_of.setdefault(ticket, []).append((split, record_id))
    rows = [
        (ra, sa, rb, sb, round(score, 4))
        for a, b, score in _near_duplicate_ticket_pairs(tickets["ticket"], threshold)
        for sa, ra in splits_of[a]
        for sb, rb in splits_of[b]
        if sa != sb
    ]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class ManifestEntry:
    """Where one example came from."""

    split: str
    record_id: str
    source: str
    source_file: str
    source_row: int
    #: "pair" (an instruction example of ``{split}.parquet``) or "conversation" (a row of
    #: ``conversations_{split}.parquet``, what SFT trains on with conversations on)
    kind: str = "pair"
    #: The first physical line of the row in the raw file, where it differs from ``source_row`` as a line a
    #: text editor shows (a CSV data row: the header and quoted line breaks come between); None: unknown or
    #: ``source_row`` itself (a JSONL line) or no line at all (a JSON element, a Parquet row).
    source_line: int | None = None


@dataclass(frozen=True)
class TrainingSetManifest:
    """The lineage and counts of a training set folder (``manifest.json``)."""

    counts: dict[str, int]
    label_counts: dict[str, dict[str, int]]
    task_counts: dict[str, dict[str, int]]
    files: dict[str, dict[str, Any]]
    entries: dict[str, ManifestEntry] = field(repr=False)
    format_version: int = MANIFEST_FORMAT_VERSION
    #: source -> ``source_file`` -> ``{"sha256": ...}``: the raw file's content when it was ingested, for the
    #: files the entries name (lineage compares it with the file now). Empty in manifests written before it
    #: was recorded, or for sources with no ingest index (unknown).
    raw_files: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, fixed layout): the same manifest always gives the same bytes."""
        payload = asdict(self)
        return json.dumps(payload, sort_keys=True, indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "TrainingSetManifest":
        payload = json.loads(text)
        if payload.get("format_version") != MANIFEST_FORMAT_VERSION:
            raise ValueError(
                f"manifest format_version {payload.get('format_version')!r} is not the supported "
                f"{MANIFEST_FORMAT_VERSION}; rebuild the training set with this version of the platform"
            )
        payload["entries"] = {k: ManifestEntry(**v) for k, v in payload["entries"].items()}
        return cls(**payload)


def _counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in sorted(series.value_counts().items(), key=lambda kv: str(kv[0]))}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _raw_file_hashes(
    entries: Mapping[str, ManifestEntry], known: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> dict[str, dict[str, dict[str, Any]]]:
    """source -> file -> ``{"sha256"}`` for the raw files the entries name whose hash at ingest is known."""
    hashes: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in entries.values():
        sha256 = known.get(entry.source, {}).get(entry.source_file, {}).get("sha256")
        if isinstance(sha256, str):
            hashes.setdefault(entry.source, {})[entry.source_file] = {"sha256": sha256}
    return {s: dict(sorted(f.items())) for s, f in sorted(hashes.items())}


def write_training_set(
    splits: Mapping[str, pd.DataFrame],
    out_dir: Path,
    records: pd.DataFrame,
    conversations: pd.DataFrame | None = None,
    raw_files: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
) -> TrainingSetManifest:
    """Write ``{train,validation,test}.parquet`` and ``manifest.json`` into ``out_dir``.

    ``records`` (``schemas.RECORD_COLUMNS``) supplies the raw file and row of every example's ticket; an
    example whose ticket is missing there is an error (lineage must be complete). ``conversations``
    (``formats.conversations.CONVERSATION_COLUMNS``, the multi-turn form of the tickets), when given, are
    versioned beside the pairs as ``conversations_{split}.parquet``, each in the split of its ticket (so
    they cannot leak across splits); a conversation whose ticket is in no split is left out and counted
    (``counts["conversations_without_split"]``). The folder must hold nothing but these files, because the
    whole folder is what DVC versions. ``raw_files`` (``ingest.raw_files.curated_raw_files``: per source and
    file, the SHA-256 the records were read with and a CSV's ``first_lines``), when given, puts the SHA-256 of each file the
    entries name in ``manifest.raw_files`` and the first line of each CSV row in its entry's ``source_line``.

    Every check runs before anything is written; the files are then written into a temporary folder beside
    ``out_dir`` and moved in one by one (``os.replace``), the manifest last, so a bad input or a failed
    write leaves the version already in ``out_dir`` whole and readable.
    """
    out_dir = Path(out_dir)
    if sorted(splits) != sorted(SPLITS):
        raise ValueError(f"splits must be exactly {list(SPLITS)}, got {sorted(splits)}")
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"records are missing columns {missing}; expected {RECORD_COLUMNS}")
    expected_files = (
        {f"{name}.parquet" for name in SPLITS} | {f"{CONVERSATIONS_PREFIX}{name}.parquet" for name in SPLITS} | {MANIFEST_NAME}
    )
    if out_dir.exists():
        strangers = sorted(p.name for p in out_dir.iterdir() if p.name not in expected_files)
        if strangers:
            raise ValueError(
                f"{out_dir} holds files that are not part of a training set: {strangers}; the whole folder is "
                "versioned with DVC, so remove them or choose an empty folder"
            )
    if conversations is not None:
        absent = [c for c in CONVERSATION_COLUMNS if c not in conversations.columns]
        if absent:
            raise ValueError(f"conversations are missing columns {absent}; expected {CONVERSATION_COLUMNS}")
    lineage = records.drop_duplicates("record_id").set_index("record_id")[["source_file", "source_row"]]
    known = raw_files or {}

    def line_of(source: str, source_file: str, row: int) -> int | None:
        lines = known.get(source, {}).get(source_file, {}).get("first_lines") or []
        return int(lines[row - 1]) if 1 <= row <= len(lines) else None
    # Everything is checked and built before anything is written: a bad split must not leave new files
    # under the old manifest.
    entries: dict[str, ManifestEntry] = {}
    frames: dict[str, pd.DataFrame] = {}
    for name in SPLITS:
        df = splits[name]
        absent = [c for c in EXAMPLE_COLUMNS if c not in df.columns]
        if absent:
            raise ValueError(f"split {name!r} is missing columns {absent}; expected {EXAMPLE_COLUMNS}")
        df = df.loc[:, EXAMPLE_COLUMNS].sort_values("example_id", kind="stable").reset_index(drop=True)
        unknown = sorted(set(df["record_id"]) - set(lineage.index))
        if unknown:
            raise ValueError(
                f"{len(unknown)} record_id values in split {name!r} are not in the records (e.g. {unknown[:3]}); "
                "pass the curated records the examples were built from"
            )
        located = df[["example_id", "record_id", "source"]].join(lineage, on="record_id")
        for example_id, record_id, source, source_file, source_row in located.itertuples(index=False):
            if example_id in entries:
                raise ValueError(f"example_id {example_id!r} is in split {name!r} and in {entries[example_id].split!r}")
            entries[example_id] = ManifestEntry(
                split=name,
                record_id=str(record_id),
                source=str(source),
                source_file=str(source_file),
                source_row=int(source_row),
                source_line=line_of(str(source), str(source_file), int(source_row)),
            )
        frames[f"{name}.parquet"] = df.astype({c: "string" for c in EXAMPLE_COLUMNS})

    counts = {name: int(len(splits[name])) for name in SPLITS}
    if conversations is not None:
        split_of = {rid: name for name in SPLITS for rid in splits[name]["record_id"].astype(str)}
        assigned = conversations["record_id"].astype(str).map(split_of)
        counts["conversations_without_split"] = int(assigned.isna().sum())
        for name in SPLITS:
            part = conversations.loc[assigned == name, CONVERSATION_COLUMNS]
            part = part.sort_values("example_id", kind="stable").reset_index(drop=True)
            located = part[["example_id", "record_id", "source"]].join(lineage, on="record_id")
            for example_id, record_id, source, source_file, source_row in located.itertuples(index=False):
                if example_id in entries:
                    raise ValueError(
                        f"conversation example_id {example_id!r} is also an example of split {entries[example_id].split!r}"
                    )
                entries[example_id] = ManifestEntry(
                    split=name, record_id=str(record_id), source=str(source), source_file=str(source_file),
                    source_row=int(source_row), kind="conversation",
                    source_line=line_of(str(source), str(source_file), int(source_row)),
                )
            frames[f"{CONVERSATIONS_PREFIX}{name}.parquet"] = part.astype({c: "string" for c in CONVERSATION_COLUMNS})
            counts[f"{CONVERSATIONS_PREFIX}{name}"] = int(len(part))

    # Written into a folder beside out_dir (same file system), then moved in file by file with os.replace,
    # the manifest last: a failure while writing leaves out_dir as it was.
    target = out_dir.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".writing", dir=target.parent))
    try:
        files: dict[str, dict[str, Any]] = {}
        for file_name, frame in frames.items():
            path = staging / file_name
            frame.to_parquet(path, **_PARQUET_OPTIONS)
            files[file_name.removesuffix(".parquet")] = {"path": file_name, "rows": int(len(frame)), "sha256": _sha256(path)}
        manifest = TrainingSetManifest(
            counts=counts,
            label_counts={name: _counts(splits[name]["label"]) for name in SPLITS},
            task_counts={name: _counts(splits[name]["task"]) for name in SPLITS},
            files=files,
            entries=dict(sorted(entries.items())),
            raw_files=_raw_file_hashes(entries, known),
        )
        (staging / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
        target.mkdir(exist_ok=True)
        for file_name in frames:
            os.replace(staging / file_name, target / file_name)
        os.replace(staging / MANIFEST_NAME, target / MANIFEST_NAME)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for name in SPLITS:  # a rewrite without conversations must not leave old ones behind
        stale = f"{CONVERSATIONS_PREFIX}{name}.parquet"
        if stale not in frames:
            (target / stale).unlink(missing_ok=True)
    return manifest


def read_manifest(directory: Path) -> TrainingSetManifest:
    """The manifest of a training set folder written by :func:`write_training_set`."""
    path = Path(directory) / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; is {directory} a training set folder (write_training_set)?")
    return TrainingSetManifest.from_json(path.read_text(encoding="utf-8"))


def read_training_set(directory: Path) -> dict[str, pd.DataFrame]:
    """The splits of a training set folder, checked against its manifest (row counts and file hashes)."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    splits: dict[str, pd.DataFrame] = {}
    for name in SPLITS:
        path = directory / f"{name}.parquet"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing from the training set folder {directory}")
        recorded = manifest.files[name]["sha256"]
        if _sha256(path) != recorded:
            raise ValueError(
                f"{path} does not match its manifest (sha256 differs from {recorded[:12]}...); the folder was "
                "changed after it was written: restore it with DVC or rebuild the training set"
            )
        df = pd.read_parquet(path, engine="pyarrow")
        splits[name] = df.astype({c: object for c in EXAMPLE_COLUMNS})
    return splits


class TrainingSetVersionError(ValueError):
    """The training set folder no longer holds the version a run expects."""


def read_training_set_version(directory: Path, dvc_md5: str) -> dict[str, pd.DataFrame]:
    """:func:`read_training_set`, after checking that the folder still is version ``dvc_md5`` (DVC's hash,
    as the ``training_set`` asset recorded it): the working copy is shared, and another run (a retrain, a
    backfill) may have written a newer version since; scoring or training on it would break the lineage."""
    directory = Path(directory)
    actual = folder_md5(directory) if directory.is_dir() else None
    if actual != dvc_md5:
        raise TrainingSetVersionError(
            f"{directory} holds training set version {actual or 'none'}, not {dvc_md5}, the version this run's "
            "training_set recorded: another run has rewritten the working copy since. Materialize training_set "
            "again in this run (or run the whole job again), so every stage reads one version"
        )
    return read_training_set(directory)


def read_conversations(directory: Path) -> dict[str, pd.DataFrame] | None:
    """The versioned conversations of a training set folder per split (checked against the manifest), or
    None for a training set written without them."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if f"{CONVERSATIONS_PREFIX}train" not in manifest.files:
        return None
    out: dict[str, pd.DataFrame] = {}
    for name in SPLITS:
        entry = manifest.files[f"{CONVERSATIONS_PREFIX}{name}"]
        path = directory / entry["path"]
        if not path.is_file() or _sha256(path) != entry["sha256"]:
            raise ValueError(
                f"{path} is missing or does not match its manifest; restore the folder with DVC or rebuild the "
                "training set"
            )
        out[name] = pd.read_parquet(path, engine="pyarrow").astype({c: object for c in CONVERSATION_COLUMNS})
    return out


def conversation_turn_texts(conversations: Mapping[str, pd.DataFrame]) -> tuple[list[str], str | None]:
    """The text of every turn of the versioned ``conversations`` (per split; ``messages`` JSON text or
    lists; turns without text content skipped), for a scan, and the system prompt left out of them: a system
    message that opens every conversation (more than one) is the operator's configured system prompt
    (``ConversationConfig`` ``system_message='settings'``), not data, so it is returned once on its own
    (None when there is no such shared prompt)."""
    parsed = [_text_turns(messages) for df in conversations.values() for messages in df["messages"]]
    openers = {turns[0]["content"] for turns in parsed if turns and turns[0].get("role") == "system"}
    shared = (
        openers.pop()
        if len(parsed) > 1 and len(openers) == 1 and all(t and t[0].get("role") == "system" for t in parsed)
        else None
    )
    texts = [
        turn["content"]
        for conversation in parsed
        for k, turn in enumerate(conversation)
        if not (k == 0 and shared is not None)
    ]
    return texts, shared


def _text_turns(messages: Any) -> list[dict[str, str]]:
    """The turns of a versioned conversation's ``messages`` (JSON text or a list) that have text content."""
    value = json.loads(messages) if isinstance(messages, str) and messages.strip() else messages
    if not isinstance(value, (list, tuple)):
        return []
    return [t for t in value if isinstance(t, dict) and isinstance(t.get("content"), str)]
