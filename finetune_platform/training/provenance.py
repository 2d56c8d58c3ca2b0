"""Where a training run came from: the code version, for MLflow tags and model cards."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any


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
