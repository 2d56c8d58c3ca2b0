"""ingest: raw files -> ``raw_corpus`` records and a ``quarantine``, plus the demo corpus generator.

Plain Python (no dagster): ``finetune_platform.defs.ingest`` wires it into assets.
"""

from finetune_platform.ingest.readers import IngestResult, QuarantineReason, SourceStats, ingest_source, ingest_sources
from finetune_platform.ingest.sources import (
    NoFilesMatchedError,
    SourceConfigError,
    SourceSettings,
    load_sources,
)

__all__ = [
    "IngestResult",
    "NoFilesMatchedError",
    "QuarantineReason",
    "SourceConfigError",
    "SourceSettings",
    "SourceStats",
    "ingest_source",
    "ingest_sources",
    "load_sources",
]
