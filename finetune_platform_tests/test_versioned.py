"""Version folders with a CURRENT pointer: written whole, reused when complete, pointer swapped atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

from finetune_platform.versioned import (
    CURRENT_FILE,
    VersionPointerError,
    current_version,
    point_current,
    pointer_signature,
    publish_version,
)


def writer(calls: list[str], fail: bool = False):
    def write(folder: Path) -> None:
        calls.append(folder.name)
        (folder / "data.txt").write_text("payload")
        if fail:
            raise RuntimeError("disk full")
        (folder / "DONE").write_text("")

    return write


def test_publish_writes_once_and_points_current_at_it(tmp_path: Path):
    calls: list[str] = []
    folder = publish_version(tmp_path, "v1", writer(calls), "DONE")
    assert folder == tmp_path / "v1" and current_version(tmp_path, "DONE") == folder
    assert publish_version(tmp_path, "v1", writer(calls), "DONE") == folder and len(calls) == 1  # complete: reused
    signature = pointer_signature(tmp_path)
    publish_version(tmp_path, "v2", writer(calls), "DONE")
    assert current_version(tmp_path, "DONE") == tmp_path / "v2" and (tmp_path / "v1").is_dir()
    assert pointer_signature(tmp_path) != signature and pointer_signature(tmp_path / "none") is None


def test_a_failed_write_leaves_no_folder_and_the_old_pointer(tmp_path: Path):
    publish_version(tmp_path, "v1", writer([]), "DONE")
    with pytest.raises(RuntimeError, match="disk full"):
        publish_version(tmp_path, "v2", writer([], fail=True), "DONE")
    assert current_version(tmp_path, "DONE") == tmp_path / "v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == [CURRENT_FILE, "v1"]  # no staging folder left


def test_an_incomplete_folder_is_rewritten(tmp_path: Path):
    (tmp_path / "v1").mkdir()
    (tmp_path / "v1" / "data.txt").write_text("half")
    calls: list[str] = []
    publish_version(tmp_path, "v1", writer(calls), "DONE")
    assert calls and (tmp_path / "v1" / "DONE").is_file() and (tmp_path / "v1" / "data.txt").read_text() == "payload"


@pytest.mark.parametrize("name", ["", "a/b", ".hidden", CURRENT_FILE])
def test_version_names_are_plain_folder_names(tmp_path: Path, name: str):
    with pytest.raises(ValueError, match="plain folder name"):
        publish_version(tmp_path, name, writer([]), "DONE")


def test_a_pointer_to_nothing_is_an_error(tmp_path: Path):
    assert current_version(tmp_path, "DONE") is None
    (tmp_path / CURRENT_FILE).write_text("missing\n")
    with pytest.raises(VersionPointerError, match="names 'missing'"):
        current_version(tmp_path, "DONE")


def test_a_version_saved_without_pointing_is_kept_but_not_current(tmp_path: Path):
    calls: list[str] = []
    publish_version(tmp_path, "v1", writer(calls), "DONE")
    held = publish_version(tmp_path, "v2", writer(calls), "DONE", point=False)
    assert held.is_dir() and (held / "DONE").is_file()
    assert current_version(tmp_path, "DONE") == tmp_path / "v1"
    point_current(tmp_path, "v2", "DONE")  # released later
    assert current_version(tmp_path, "DONE") == held


def test_current_never_points_at_an_incomplete_version(tmp_path: Path):
    publish_version(tmp_path, "v1", writer([]), "DONE")
    (tmp_path / "v2").mkdir()
    with pytest.raises(VersionPointerError, match="not a complete version folder"):
        point_current(tmp_path, "v2", "DONE")
    assert current_version(tmp_path, "DONE") == tmp_path / "v1"


def test_a_version_another_publisher_put_in_place_first_is_taken_as_published(tmp_path, monkeypatch) -> None:
    """Two runs publishing the same version (its name is its content's fingerprint) at once: the second's
    rename finds the folder there, complete; that is success, not an error."""
    import os

    from finetune_platform import versioned

    def write(folder):
        (folder / "MANIFEST").write_text("same content")

    real_replace = os.replace

    def racing_replace(src, dst):
        if str(dst).endswith("v1") and not (tmp_path / "v1").exists():
            (tmp_path / "v1").mkdir()  # the other publisher wins the race just before this rename
            (tmp_path / "v1" / "MANIFEST").write_text("same content")
            (tmp_path / "v1" / "extra").write_text("x")  # a non-empty folder: os.replace fails
        return real_replace(src, dst)

    monkeypatch.setattr(versioned.os, "replace", racing_replace)
    folder = versioned.publish_version(tmp_path, "v1", write, "MANIFEST")
    assert (folder / "MANIFEST").read_text() == "same content"
    assert versioned.current_version(tmp_path, "MANIFEST") == folder
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".v1-")]  # the staging folder is gone
