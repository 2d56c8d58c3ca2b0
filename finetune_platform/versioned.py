"""Versioned artifact folders with a ``CURRENT`` pointer (knowledge indexes, routers).

An asset writes each new version into ``<root>/<name>`` (``name`` a content fingerprint, so equal content
lands in the same folder) and then replaces ``<root>/CURRENT`` atomically. A long-running reader (the
model server) follows the pointer: it sees the previous version or the new one, never half of one, and
old versions stay on disk for a rollback by hand (point ``CURRENT`` back).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

#: The file in a root that names the version in use.
CURRENT_FILE = "CURRENT"


class VersionPointerError(RuntimeError):
    """``CURRENT`` names something that is not a version folder of its root."""


def publish_version(root: Path | str, name: str, write: Callable[[Path], None], marker: str) -> Path:
    """Make ``<root>/<name>`` the current version: written by ``write(folder)`` unless it already holds
    ``marker`` (a file every complete version has), into a staging folder renamed into place, then
    ``CURRENT`` replaced atomically."""
    if not name or "/" in name or name.startswith(".") or name == CURRENT_FILE:
        raise ValueError(f"version name {name!r} must be a plain folder name")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / name
    if not (folder / marker).is_file():
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
        try:
            write(staging)
            if folder.exists():
                shutil.rmtree(folder)  # an incomplete earlier attempt (no marker)
            os.replace(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    tmp = root / f".{CURRENT_FILE}.{os.getpid()}"
    tmp.write_text(name + "\n", encoding="utf-8")
    os.replace(tmp, root / CURRENT_FILE)
    return folder


def current_version(root: Path | str, marker: str) -> Path | None:
    """The folder ``<root>/CURRENT`` names; None when there is no pointer. Raises
    :class:`VersionPointerError` when it names something without ``marker``."""
    pointer = Path(root) / CURRENT_FILE
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    folder = Path(root) / name
    if not name or "/" in name or name.startswith(".") or not (folder / marker).is_file():
        raise VersionPointerError(f"{pointer} names {name!r}, which is not a complete version folder in {root}")
    return folder


def pointer_signature(root: Path | str) -> tuple[int, int] | None:
    """What changes when ``CURRENT`` is replaced (mtime and inode); None without a pointer."""
    try:
        stat = (Path(root) / CURRENT_FILE).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_ino
