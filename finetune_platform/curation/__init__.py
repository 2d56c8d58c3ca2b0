"""Curation: normalise, redact PII, score quality and deduplicate records (plain Python, no Dagster).

Each stage is a function ``(df, settings) -> StageResult``; :func:`curate` runs them all in order.
"""

from finetune_platform.curation.config import (
    CURATED_COLUMNS,
    CURATION_COLUMNS,
    PII_TYPES,
    STRUCTURED_PII_TYPES,
    CurationSettings,
    StageResult,
)
from finetune_platform.curation.dedup import deduplicate
from finetune_platform.curation.normalize import guess_language, normalize_messages, normalize_records, normalize_text
from finetune_platform.curation.pii import PiiHit, PiiMatch, PiiRedactor, pii_metrics, redact_pii, scan_for_pii
from finetune_platform.curation.pipeline import STAGES, curate
from finetune_platform.curation.quality import quality_signals, score_quality

__all__ = [
    "CURATED_COLUMNS",
    "CURATION_COLUMNS",
    "PII_TYPES",
    "STAGES",
    "STRUCTURED_PII_TYPES",
    "CurationSettings",
    "PiiHit",
    "PiiMatch",
    "PiiRedactor",
    "StageResult",
    "curate",
    "deduplicate",
    "guess_language",
    "normalize_messages",
    "normalize_records",
    "normalize_text",
    "pii_metrics",
    "quality_signals",
    "redact_pii",
    "scan_for_pii",
    "score_quality",
]
