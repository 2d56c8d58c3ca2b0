"""Where a training run came from: the code version, for MLflow tags and model cards."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


#: The checkout the platform's code runs from: its commit is the code version a run records (the platform
#: home, FINETUNE_PLATFORM_HOME, is data and state, often another folder or repository).
CODE_ROOT = Path(__file__).resolve().parents[2]


def git_commit(root: Path) -> str:
    """The checkout's HEAD commit (with ``+dirty`` when there are uncommitted changes), or ``unknown``.

    A project deployed without ``.git`` (a wheel in a container) has no commit to report; that is
    recorded as ``unknown`` rather than failing the run.
    """
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head


def config_hash(*parts: Any) -> str:
    """A short stable hash of JSON-serialisable parts (configs, data versions, paths)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def frame_sha256(df: "pd.DataFrame", columns: list[str]) -> str:
    """SHA-256 of ``df[columns]``'s values, row by row, as canonical JSON: what a training input holds, for
    keying output folders on content (a count or a path says nothing about what changed)."""
    digest = hashlib.sha256()
    for row in df[columns].itertuples(index=False):
        digest.update(json.dumps([None if v is None else str(v) for v in row], ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
