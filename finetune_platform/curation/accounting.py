"""Row accounting from raw files to curated records: per source, every row read is quarantined (ingest),
dropped by a curation stage with a named reason, or kept, exactly once.

The ingest check proves read = kept + quarantined (+ merged) per source; every stage proves rows in = rows out +
rows dropped. This ties the two ends together by record id, so that a row lost between stages (a stage
that forgot to report a drop, a join that lost a key, a stale artifact) is found and named: a record of
the raw corpus that is neither dropped nor curated is a row lost silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: Curation's stages in pipeline order, as ``DROPPED_COLUMNS.stage`` names them.
STAGES: tuple[str, ...] = ("normalize", "pii", "quality", "dedup", "human_review")


@dataclass
class Accounting:
    """``table``: one row per source (read, quarantined, dropped per stage, dropped, kept, balanced);
    ``reasons``: per source, ``"stage: reason"`` -> rows; ``problems``: every way the books do not balance,
    as sentences (empty when they do)."""

    table: pd.DataFrame
    reasons: dict[str, dict[str, int]]
    problems: list[str] = field(default_factory=list)
    #: Raw records neither dropped nor curated, per source (also in ``problems``).
    lost_by_source: dict[str, int] = field(default_factory=dict)
    #: The problems other than lost rows.
    other_problems: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.problems

    def summary(self) -> dict[str, Any]:
        totals = self.table.drop(columns=["balanced"]).sum(numeric_only=True)
        return {k: int(v) for k, v in totals.items()}


def row_accounting(
    raw: pd.DataFrame,
    quarantine: pd.DataFrame,
    dropped: pd.DataFrame,
    kept: pd.DataFrame,
    rows_read: dict[str, int] | None = None,
    shown: int = 5,
    rows_merged: dict[str, int] | None = None,
) -> Accounting:
    """Balance the books per source.

    raw: the raw corpus (``record_id``, ``source``); quarantine: ingest's quarantine (``source``); dropped:
    every curation stage's dropped rows (``record_id``, ``stage``, ``reason``); kept: the curated records
    (``record_id``). ``rows_read``: ingest's own count per source, when known (else kept + quarantined).
    ``rows_merged``: rows ingest folded into another row's record per source (a platform Alpaca export's reply
    row into its ticket's classify row), which are neither raw records nor quarantined.
    A record id is looked up in ``raw`` for its source. Problems named: a raw record neither dropped nor
    kept, one dropped twice or both dropped and kept, a dropped or kept id that is not in the raw corpus,
    a drop without a reason, and a source whose read count differs from kept + quarantined at ingest.
    """
    source_of = dict(zip(raw["record_id"].astype(str), raw["source"].astype(str)))
    dropped_ids = dropped["record_id"].astype(str)
    kept_ids = kept["record_id"].astype(str)
    problems: list[str] = []

    def listed(ids: pd.Series | list[str]) -> str:
        ids = list(ids)
        return ", ".join(repr(i) for i in ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")

    unknown = sorted(set(dropped_ids[~dropped_ids.isin(source_of)]) | set(kept_ids[~kept_ids.isin(source_of)]))
    if unknown:
        problems.append(f"{len(unknown)} dropped or curated record ids are not in the raw corpus: {listed(unknown)}.")
    twice = dropped_ids[dropped_ids.duplicated()].unique()
    if len(twice):
        problems.append(f"{len(twice)} records were dropped more than once: {listed(twice)}.")
    both = sorted(set(dropped_ids) & set(kept_ids))
    if both:
        problems.append(f"{len(both)} records are both dropped and curated: {listed(both)}.")
    no_reason = dropped_ids[dropped["reason"].fillna("").astype(str).str.strip() == ""]
    if len(no_reason):
        problems.append(f"{len(no_reason)} records were dropped without a reason: {listed(no_reason)}.")
    accounted = set(dropped_ids) | set(kept_ids)
    lost = [rid for rid in source_of if rid not in accounted]
    other_problems = list(problems)
    by_source: dict[str, int] = {}
    if lost:
        by_source = {str(k): int(v) for k, v in pd.Series([source_of[r] for r in lost]).value_counts().items()}
        problems.append(
            f"{len(lost)} raw records were neither dropped nor curated (lost silently; by source {by_source}): "
            f"{listed(lost)}."
        )

    drop_source = dropped_ids.map(source_of).fillna("(unknown)")
    stage_counts = pd.crosstab(drop_source, dropped["stage"].astype(str)) if len(dropped) else pd.DataFrame()
    raw_counts = raw["source"].astype(str).value_counts()
    quarantined = quarantine["source"].astype(str).value_counts() if len(quarantine) else pd.Series(dtype="int64")
    kept_counts = kept_ids.map(source_of).fillna("(unknown)").value_counts()
    sources = sorted(set(raw_counts.index) | set(quarantined.index) | set(rows_read or {}))
    stages = list(STAGES) + sorted(set(stage_counts.columns) - set(STAGES))
    rows = []
    for source in sources:
        read = (rows_read or {}).get(source, int(raw_counts.get(source, 0)) + int(quarantined.get(source, 0)))
        merged = int((rows_merged or {}).get(source, 0))
        at_ingest = int(raw_counts.get(source, 0)) + int(quarantined.get(source, 0)) + merged
        if read != at_ingest:
            message = (
                f"source '{source}': ingest read {read} rows but kept {int(raw_counts.get(source, 0))} and "
                f"quarantined {int(quarantined.get(source, 0))}" + (f" (and merged {merged})." if merged else ".")
            )
            problems.append(message)
            other_problems.append(message)
        row: dict[str, Any] = {
            "source": source, "read": read, "quarantined": int(quarantined.get(source, 0)), "merged": merged
        }
        for stage in stages:
            row[f"dropped_{stage}"] = (
                int(stage_counts.at[source, stage])
                if source in stage_counts.index and stage in stage_counts.columns
                else 0
            )
        row["dropped"] = sum(row[f"dropped_{s}"] for s in stages)
        row["kept"] = int(kept_counts.get(source, 0))
        row["balanced"] = row["read"] == row["quarantined"] + merged + row["dropped"] + row["kept"]
        if not row["balanced"]:
            problems.append(
                f"source '{source}': read {row['read']} != quarantined {row['quarantined']} + "
                + (f"merged {merged} + " if merged else "")
                + f"dropped {row['dropped']} + kept {row['kept']}."
            )
        rows.append(row)
    reasons: dict[str, dict[str, int]] = {}
    if len(dropped):
        keys = dropped["stage"].astype(str) + ": " + dropped["reason"].fillna("").astype(str)
        for (source, key), n in pd.Series(1, index=[drop_source, keys]).groupby(level=[0, 1]).sum().items():
            reasons.setdefault(source, {})[key] = int(n)
    columns = ["source", "read", "quarantined", "merged", *[f"dropped_{s}" for s in stages], "dropped", "kept", "balanced"]
    return Accounting(pd.DataFrame(rows, columns=columns), reasons, problems, by_source, other_problems)
