"""Data versions with DVC: add a folder, push it to the remote, get any past version back.

The repository is initialised in-process (``dvc.repo.Repo.init``) so that its configuration (remote,
analytics off, state kept inside the repository) is in place before the first DVC command runs. Data
commands (``add``, ``push``, ``pull``) run as the DVC CLI in a subprocess: each one is isolated (its
locks, logging and caches end with the process), it is exactly what a person would type, and a failure
comes back with DVC's own message.

A version is identified by the hash DVC records in the ``.dvc`` file (``<md5>.dir`` for a folder), which
:func:`folder_md5` computes without DVC, before anything is added: the training set is hashed when it is
written and added only once its checks pass (``add_and_push(expected_md5=...)``). Every version is pushed as
soon as it is added, so the remote alone can restore it even after the local cache and the workspace copy
are gone (STACK.md trap 12).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_REMOTE_NAME = "local"


class DvcCommandError(RuntimeError):
    """A DVC command exited non-zero; the message holds the command, folder and DVC's output."""


class VersionMismatchError(ValueError):
    """The data to add is not the version the caller checked (``add_and_push(expected_md5=...)``)."""


@dataclass(frozen=True)
class DataVersion:
    """One pushed version of a DVC-tracked path."""

    md5: str  #: the hash in the ``.dvc`` file; ``<md5>.dir`` for a folder
    dvc_file: Path
    path: Path
    nfiles: int | None  #: files in the folder; None for a single file
    size: int  #: bytes
    remote: str  #: URL of the remote the version was pushed to

    def as_metadata(self) -> dict[str, Any]:
        """Plain values for run metadata and MLflow tags."""
        return {
            "dvc_md5": self.md5,
            "dvc_file": str(self.dvc_file),
            "dvc_path": str(self.path),
            "dvc_nfiles": self.nfiles,
            "dvc_size": self.size,
            "dvc_remote": self.remote,
        }


def _git_layout(root: Path) -> tuple[bool, bool]:
    """(inside a git work tree, root is that tree's top level)."""
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            return True, folder == root
    return False, False


class DvcRepository:
    """A DVC repository at ``root`` whose default remote is the folder ``remote_dir``."""

    def __init__(self, root: Path, remote_dir: Path, remote_name: str = DEFAULT_REMOTE_NAME) -> None:
        self.root = Path(root).resolve()
        self.remote_dir = Path(remote_dir).resolve()
        self.remote_name = remote_name

    # -- setup -------------------------------------------------------------------------------------

    @property
    def is_initialized(self) -> bool:
        return (self.root / ".dvc" / "config").is_file()

    def _remote_url(self) -> str:
        """The remote for ``.dvc/config``: DVC writes a ``RelPath`` relative to ``.dvc/`` (used when the
        remote lies under the root, so the committed config works in any checkout), a plain absolute
        path as it is."""
        from dvc.config_schema import RelPath

        if self.remote_dir.is_relative_to(self.root):
            return RelPath(str(self.remote_dir))
        return str(self.remote_dir)

    def ensure_initialized(self) -> None:
        """Create the DVC repository if needed and (re)apply its configuration; idempotent.

        Inside a git work tree the repository uses git (``--subdir`` below the top level); elsewhere it is
        initialised with ``--no-scm``. The default remote is set here, before any data is added.
        """
        from dvc.repo import Repo

        self.root.mkdir(parents=True, exist_ok=True)
        self.remote_dir.mkdir(parents=True, exist_ok=True)
        shared_state_dir: Path | None = None
        if not self.is_initialized:
            in_git, at_top = _git_layout(self.root)
            repo = Repo.init(str(self.root), no_scm=not in_git, subdir=in_git and not at_top)
            # Init opened its state database in DVC's shared default folder before we could configure
            # another; that folder belongs to this new repository alone and is removed below.
            shared_state_dir = Path(repo.site_cache_dir)
        else:
            repo = Repo(str(self.root))
        inside = self.remote_dir.is_relative_to(self.root)
        try:
            # The committed configuration (.dvc/config) holds a remote under the root, relative, so it works
            # in any checkout. A remote elsewhere (FINETUNE_PLATFORM_DVC_REMOTE) is this machine's: it goes to
            # the untracked .dvc/config.local, which overrides the committed one, so setting it never edits a
            # committed file (a fresh repository without a remote gets it in both).
            with repo.config.edit("repo") as conf:
                conf["core"]["remote"] = self.remote_name
                conf["core"]["analytics"] = False
                conf["core"]["check_update"] = False
                if inside or self.remote_name not in conf["remote"]:
                    conf["remote"][self.remote_name] = {"url": self._remote_url()}
            # Machine-specific: keeps DVC's state and index databases inside the repository instead of
            # a shared /var/tmp/dvc folder.
            with repo.config.edit("local") as conf:
                conf["core"]["site_cache_dir"] = str(self.root / ".dvc" / "tmp" / "site_cache")
                if inside:
                    conf["remote"].pop(self.remote_name, None)  # an earlier machine-specific remote is gone
                else:
                    conf["remote"][self.remote_name] = {"url": self._remote_url()}
        finally:
            repo.close()
        if shared_state_dir is not None and not shared_state_dir.is_relative_to(self.root):
            shutil.rmtree(shared_state_dir, ignore_errors=True)

    # -- commands ----------------------------------------------------------------------------------

    def run(self, *args: str) -> str:
        """Run ``dvc <args>`` in the repository with this interpreter; stdout on success.

        Raises :class:`DvcCommandError` with DVC's output when the command fails.
        """
        if not self.is_initialized:
            raise DvcCommandError(f"{self.root} is not a DVC repository yet; call ensure_initialized() first")
        command = [sys.executable, "-m", "dvc", *args]
        completed = subprocess.run(command, cwd=self.root, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            output = (completed.stderr.strip() or completed.stdout.strip())[-4000:]
            raise DvcCommandError(
                f"`dvc {' '.join(args)}` failed in {self.root} (exit {completed.returncode}):\n{output}"
            )
        return completed.stdout

    def _relative(self, path: Path) -> Path:
        path = Path(path)
        absolute = (path if path.is_absolute() else self.root / path).resolve()
        if not absolute.is_relative_to(self.root):
            raise ValueError(f"{path} is outside the DVC repository {self.root}; DVC only tracks paths inside it")
        return absolute.relative_to(self.root)

    def add_and_push(self, path: Path, expected_md5: str | None = None) -> DataVersion:
        """Track ``path`` (a file or folder inside the repository) and push that version to the remote.

        Adding unchanged data gives the same ``md5`` again. With ``expected_md5`` (a folder's
        :func:`folder_md5`, taken when it was written and checked), a folder that no longer hashes to it (another
        run rewrote it since) raises :class:`VersionMismatchError` before DVC touches anything, so what is
        pushed is exactly the version that was checked.
        """
        relative = self._relative(path)
        if not (self.root / relative).exists():
            raise FileNotFoundError(f"{self.root / relative} does not exist; nothing to version")
        if expected_md5 is not None:
            self._expect(relative, expected_md5, "before `dvc add`")
        dvc_file = relative.with_name(relative.name + ".dvc")
        pointer = self.root / dvc_file
        before = pointer.read_bytes() if pointer.is_file() else None
        self.run("add", str(relative))
        version = self.read_version(pointer)
        if expected_md5 is not None and version.md5 != expected_md5:
            # the .dvc file (committed to pin a version) must not name one that was never checked
            pointer.write_bytes(before) if before is not None else pointer.unlink(missing_ok=True)
            raise VersionMismatchError(
                f"`dvc add` recorded {relative} as version {version.md5}, not the checked {expected_md5}: it changed "
                f"while being added (another run wrote it); nothing was pushed and {dvc_file} was left as it was. "
                "Materialize the training set again"
            )
        self.run("push", "--remote", self.remote_name, str(dvc_file))
        return version

    def _expect(self, relative: Path, expected_md5: str, when: str) -> None:
        folder = self.root / relative
        actual = folder_md5(folder) if folder.is_dir() else None
        if actual != expected_md5:
            raise VersionMismatchError(
                f"{folder} holds version {actual or 'none (not a folder)'} {when}, not {expected_md5}, the version "
                "that was written and checked: another run has rewritten it since, and it was not added or pushed. "
                "Materialize the training set again (its checks then run on what is there)"
            )

    def read_version(self, dvc_file: Path) -> DataVersion:
        """The version a ``.dvc`` file records; ``ValueError`` (what is wrong, where) when the file is not one
        (merge conflict markers in it, another YAML document)."""
        dvc_file = Path(dvc_file)
        try:
            content = yaml.safe_load(dvc_file.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise ValueError(f"{dvc_file} is not valid YAML ({type(error).__name__}: {error})") from error
        outs = content.get("outs") if isinstance(content, dict) else None
        if not isinstance(outs, list) or len(outs) != 1 or not isinstance(outs[0], dict) or "md5" not in outs[0]:
            raise ValueError(f"{dvc_file} does not record exactly one output with an md5: {content!r}")
        out = outs[0]
        return DataVersion(
            md5=str(out["md5"]),
            dvc_file=dvc_file.resolve(),
            path=(dvc_file.parent / out["path"]).resolve(),
            nfiles=int(out["nfiles"]) if "nfiles" in out else None,
            size=int(out.get("size", 0)),
            remote=str(self.remote_dir),
        )

    def restore(self, version: DataVersion | str, dest: Path, overwrite: bool = False) -> Path:
        """Materialise a past version (a :class:`DataVersion` or its ``md5``) at ``dest``, from the remote
        when the local cache no longer has it. ``dest`` may lie outside the repository.

        DVC checks data out from ``.dvc`` files, so this writes a temporary one for the hash in a scratch
        folder inside the repository, ``dvc pull``s it, and moves the result to ``dest``.
        """
        md5 = version.md5 if isinstance(version, DataVersion) else str(version)
        dest = Path(dest).resolve()
        if dest.exists() and not overwrite:
            raise FileExistsError(f"{dest} exists; pass overwrite=True to replace it with version {md5}")
        scratch = Path(tempfile.mkdtemp(prefix=".dvc-restore-", dir=self.root))
        try:
            (scratch / "data.dvc").write_text(
                yaml.safe_dump({"outs": [{"md5": md5, "hash": "md5", "path": "data"}]}), encoding="utf-8"
            )
            # Pulled first: a version the remote lacks fails here, and what is at dest stays.
            self.run("pull", "--remote", self.remote_name, str((scratch / "data.dvc").relative_to(self.root)))
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                shutil.rmtree(dest) if dest.is_dir() and not dest.is_symlink() else dest.unlink()
            shutil.move(str(scratch / "data"), str(dest))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return dest


def folder_md5(folder: Path) -> str:
    """The hash DVC records for ``folder`` (``<md5>.dir``), computed with DVC's own hashing (dvc-data).

    Needs neither the DVC cache nor a subprocess, so a working copy can be checked even when the cache is
    gone (where ``dvc status`` only says "not in cache"). ``.dvcignore`` rules are not applied: a training
    set folder holds only the files ``write_training_set`` writes; an ignored extra file would make the hash
    differ, which only means the version is restored from the remote instead of read in place.
    """
    from dvc_data.hashfile.hash import hash_file
    from dvc_data.hashfile.tree import Tree
    from dvc_objects.fs.local import LocalFileSystem

    fs = LocalFileSystem()
    tree = Tree()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            meta, hash_info = hash_file(str(path), fs, "md5")
            tree.add(path.relative_to(folder).parts, meta, hash_info)
    tree.digest()
    return str(tree.hash_info.value)
