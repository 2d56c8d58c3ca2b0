"""Versioned artifact folders with a ``CURRENT`` pointer (knowledge indexes, routers).

An asset writes each new version into ``<root>/<name>`` (``name`` a content fingerprint, so equal content
lands in the same folder) and then replaces ``<root>/CURRENT`` atomically. A long-running reader (the
model server) follows the pointer: it sees the previous version or the new one, never half of one, and
old versions stay on disk for a rollback by hand (point ``CURRENT`` back).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: The file in a root that names the version in use.
CURRENT_FILE = "CURRENT"


class VersionPointerError(RuntimeError):
    """``CURRENT`` names something that is not a version folder of its root."""


def publish_version(
    root: Path | str, name: str, write: Callable[[Path], None], marker: str, point: bool = True
) -> Path:
    """Make ``<root>/<name>`` the current version: written by ``write(folder)`` unless it already holds
    ``marker`` (a file every complete version has), into a staging folder renamed into place, then
    ``CURRENT`` replaced atomically. With ``point=False`` the version is only saved (``CURRENT`` keeps
    naming what it named): a version that failed its checks is kept for inspection but never served."""
    if not name or "/" in name or name.startswith(".") or name == CURRENT_FILE:
        raise ValueError(f"version name {name!r} must be a plain folder name")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / name
    if not (folder / marker).is_file():
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
        try:
            write(staging)
            if folder.exists() and not (folder / marker).is_file():
                shutil.rmtree(folder, ignore_errors=True)  # an incomplete earlier attempt (no marker)
            try:
                os.replace(staging, folder)
            except OSError:
                # Another publisher of the same version (a concurrent run) put it in place first: the name
                # is its content's fingerprint, so theirs is this one. Anything else is an error.
                if not (folder / marker).is_file():
                    raise
                shutil.rmtree(staging, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    if point:
        point_current(root, name, marker)
    return folder


def point_current(root: Path | str, name: str, marker: str) -> None:
    """Replace ``<root>/CURRENT`` atomically so that it names the complete version ``<root>/<name>``."""
    root = Path(root)
    if not (root / name / marker).is_file():
        raise VersionPointerError(f"{root / name} is not a complete version folder (no {marker}); not pointing at it")
    tmp = root / f".{CURRENT_FILE}.{os.getpid()}"
    tmp.write_text(name + "\n", encoding="utf-8")
    os.replace(tmp, root / CURRENT_FILE)


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


class VersionFollower(Generic[T]):
    """What ``load(path)`` reads, kept current for a long-running reader (the model server).

    ``path`` is a version folder (read once) or a root holding ``CURRENT``: then every :meth:`current`
    call checks the pointer (one ``stat``) and reads the version it names when it moved, so a newly
    published version is used from the next call on, without a restart. A new version that cannot be
    read (``load`` raises one of ``errors``) is logged and the previous one kept; the first read raises
    instead (a server must not start without what it was told to use).
    """

    def __init__(self, path: Path | str, load: Callable[[Path], T], errors: tuple[type[Exception], ...]) -> None:
        self.path = Path(path)
        self._load = load
        self._errors = errors
        self._lock = threading.Lock()
        self.follows_pointer = (self.path / CURRENT_FILE).is_file()
        # the pointer's signature before reading what it points to: a version published in between is then
        # seen as a change by the next call, not taken for the one read
        self._signature = pointer_signature(self.path) if self.follows_pointer else None
        self._value = load(self.path)

    def current(self) -> T:
        """The version in use, read again first when ``CURRENT`` moved."""
        if not self.follows_pointer:
            return self._value
        signature = pointer_signature(self.path)
        if signature is None or signature == self._signature:
            return self._value
        with self._lock:
            if signature != self._signature:
                try:
                    self._value = self._load(self.path)
                    logger.info("%s now serves the version CURRENT names", self.path)
                except self._errors:
                    logger.exception("could not read the new version in %s; keeping the previous one", self.path)
                self._signature = signature
        return self._value
