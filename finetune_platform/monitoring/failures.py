"""A durable record of failed pipeline runs, written by the run-failure sensor."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path


@dataclass
class FailureRecord:
    run_id: str
    job_name: str
    message: str
    step_errors: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    recorded_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())


def record_failure(path: Path, record: FailureRecord) -> None:
    """Append one failure as a JSON line (the folder is created if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(record), sort_keys=True) + "\n")


def read_failures(path: Path) -> list[FailureRecord]:
    """Every recorded failure, oldest first; no file means no failures."""
    if not path.exists():
        return []
    return [FailureRecord(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]
