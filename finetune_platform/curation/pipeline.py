"""All curation stages in order: normalise -> PII redaction -> quality scoring/filters -> dedup.

The Dagster layer wires each stage as its own asset; :func:`curate` runs them back to back for the CLI,
tests and benchmarks, with the same invariant: every input row is either in ``records`` or, once, in
``dropped`` with the stage and reason that removed it.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, Callable

import pandas as pd

from finetune_platform.curation.config import CURATED_COLUMNS, CurationSettings, StageResult, check_input
from finetune_platform.curation.dedup import deduplicate
from finetune_platform.curation.normalize import normalize_records
from finetune_platform.curation.pii import redact_pii
from finetune_platform.curation.quality import score_quality
from finetune_platform.schemas import DROPPED_COLUMNS

#: The stages in the order curate() runs them: (name, function).
STAGES: tuple[tuple[str, Callable[[pd.DataFrame, CurationSettings], StageResult]], ...] = (
    ("normalize", normalize_records),
    ("pii", redact_pii),
    ("quality", score_quality),
    ("dedup", deduplicate),
)


def curate(df: pd.DataFrame, settings: CurationSettings | None = None) -> StageResult:
    """Run every curation stage on ``df`` (schemas.RECORD_COLUMNS) and return the curated records.

    records: RECORD_COLUMNS plus ``quality_score`` and ``pii_counts`` (then any extra input columns);
    dropped: every removed row with its stage and reason; stats: rows_in/rows_out/rows_dropped,
    dropped_by_reason, each stage's own stats under ``stages`` and seconds per stage under ``seconds``.
    """
    settings = settings or CurationSettings()
    check_input(df, "curate")
    current = df.reset_index(drop=True)
    dropped_frames: list[pd.DataFrame] = []
    stage_stats: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for name, stage in STAGES:
        started = time.perf_counter()
        result = stage(current, settings)
        seconds[name] = round(time.perf_counter() - started, 4)
        stage_stats[name] = result.stats
        dropped_frames.append(result.dropped)
        current = result.records
    extra = [c for c in current.columns if c not in CURATED_COLUMNS]
    records = current[CURATED_COLUMNS + extra].reset_index(drop=True)
    dropped = pd.concat(dropped_frames, ignore_index=True) if dropped_frames else pd.DataFrame(columns=DROPPED_COLUMNS)
    if len(records) + len(dropped) != len(df):
        raise AssertionError(
            f"curate lost rows: {len(df)} in, {len(records)} kept, {len(dropped)} dropped. This is a bug."
        )
    by_reason = Counter(dropped["reason"].tolist())
    stats: dict[str, Any] = {
        "rows_in": int(len(df)),
        "rows_out": int(len(records)),
        "rows_dropped": int(len(dropped)),
        "dropped_by_reason": {k: int(v) for k, v in sorted(by_reason.items())},
        "score_histogram": stage_stats["quality"]["score_histogram"],
        "pii_found_by_type": stage_stats["pii"]["pii_found_by_type"],
        "duplicate_rate": stage_stats["dedup"]["duplicate_rate"],
        "seconds": seconds,
        "stages": stage_stats,
    }
    return StageResult(records=records, dropped=dropped, stats=stats)
