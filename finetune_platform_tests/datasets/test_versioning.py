from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from finetune_platform.datasets.versioning import DataVersion, DvcCommandError, DvcRepository


def _write_set(folder: Path, content: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in content.items():
        (folder / name).write_bytes(data)


def _read_set(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def repo(tmp_path: Path) -> DvcRepository:
    repository = DvcRepository(tmp_path / "project", tmp_path / "remote")
    repository.ensure_initialized()
    return repository


def test_initialise_sets_default_remote_before_data(tmp_path: Path, repo: DvcRepository):
    config = (repo.root / ".dvc" / "config").read_text()
    assert "no_scm = True" in config
    assert "remote = local" in config
    assert "analytics = False" in config
    assert "check_update = False" in config
    assert "url = " + str(tmp_path / "remote") in config  # remote outside the root: absolute
    assert "site_cache_dir" in (repo.root / ".dvc" / "config.local").read_text()
    repo.ensure_initialized()  # idempotent
    assert (repo.root / ".dvc" / "config").read_text() == config


def test_remote_under_root_is_written_relative(tmp_path: Path):
    repository = DvcRepository(tmp_path / "p", tmp_path / "p" / ".dvc-storage")
    repository.ensure_initialized()
    assert "url = ../.dvc-storage" in (tmp_path / "p" / ".dvc" / "config").read_text()


def test_add_twice_gives_same_md5_and_change_gives_new(repo: DvcRepository):
    data = repo.root / "data" / "training_set"
    _write_set(data, {"train.parquet": b"a" * 1000, "manifest.json": b"{}"})
    first = repo.add_and_push(data)
    assert first.md5.endswith(".dir") and len(first.md5) == 36
    assert (first.nfiles, first.size) == (2, 1002)
    assert first.dvc_file == repo.root / "data" / "training_set.dvc"
    assert first.path == data
    again = repo.add_and_push(Path("data/training_set"))
    assert again.md5 == first.md5
    (data / "manifest.json").write_bytes(b'{"x": 1}')
    changed = repo.add_and_push(data)
    assert changed.md5 != first.md5
    assert repo.read_version(changed.dvc_file) == changed


def test_past_version_restores_from_remote_alone(tmp_path: Path, repo: DvcRepository):
    data = repo.root / "data" / "training_set"
    v1_content = {"train.parquet": b"one" * 500, "manifest.json": b'{"v": 1}'}
    _write_set(data, v1_content)
    v1 = repo.add_and_push(data)
    shutil.rmtree(data)
    _write_set(data, {"train.parquet": b"two" * 500, "manifest.json": b'{"v": 2}', "test.parquet": b"t"})
    v2 = repo.add_and_push(data)
    assert v2.md5 != v1.md5

    shutil.rmtree(repo.root / ".dvc" / "cache")
    shutil.rmtree(data)
    restored = repo.restore(v1, tmp_path / "restored_v1")
    assert _read_set(restored) == v1_content
    with pytest.raises(FileExistsError, match="overwrite=True"):
        repo.restore(v2, restored)
    by_hash = repo.restore(v2.md5, restored, overwrite=True)
    assert _read_set(by_hash)["manifest.json"] == b'{"v": 2}'
    assert len(_read_set(by_hash)) == 3
    assert not list(repo.root.glob(".dvc-restore-*"))  # scratch cleaned up


def test_unknown_version_fails_with_dvc_message(tmp_path: Path, repo: DvcRepository):
    with pytest.raises(DvcCommandError, match=r"dvc pull .*failed"):
        repo.restore("0" * 32 + ".dir", tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()
    # overwriting with a version that cannot be pulled leaves what was there
    kept = tmp_path / "kept"
    _write_set(kept, {"manifest.json": b'{"v": 1}'})
    with pytest.raises(DvcCommandError):
        repo.restore("0" * 32 + ".dir", kept, overwrite=True)
    assert _read_set(kept) == {"manifest.json": b'{"v": 1}'}


def test_paths_outside_repository_or_missing_are_rejected(tmp_path: Path, repo: DvcRepository):
    with pytest.raises(ValueError, match="outside the DVC repository"):
        repo.add_and_push(tmp_path / "elsewhere")
    with pytest.raises(FileNotFoundError, match="nothing to version"):
        repo.add_and_push(repo.root / "data" / "missing")


def test_commands_need_initialised_repository(tmp_path: Path):
    with pytest.raises(DvcCommandError, match="ensure_initialized"):
        DvcRepository(tmp_path / "bare", tmp_path / "remote").run("status")


def test_data_version_metadata():
    version = DataVersion("abc.dir", Path("/r/d.dvc"), Path("/r/d"), 3, 10, "/remote")
    assert version.as_metadata()["dvc_md5"] == "abc.dir"
    assert version.as_metadata()["dvc_nfiles"] == 3


def test_a_remote_outside_the_root_goes_to_the_local_config_not_the_committed_one(tmp_path: Path):
    from dvc.repo import Repo

    root = tmp_path / "p"
    DvcRepository(root, root / ".dvc-storage").ensure_initialized()
    committed = (root / ".dvc" / "config").read_text()
    elsewhere = DvcRepository(root, tmp_path / "shared-remote")
    elsewhere.ensure_initialized()  # FINETUNE_PLATFORM_DVC_REMOTE=/somewhere/else
    assert (root / ".dvc" / "config").read_text() == committed  # the committed file is untouched
    assert str(tmp_path / "shared-remote") in (root / ".dvc" / "config.local").read_text()
    with Repo(str(root)) as repo:
        assert repo.config["remote"]["local"]["url"] == str(tmp_path / "shared-remote")  # the override wins
    data = root / "data" / "training_set"
    _write_set(data, {"train.parquet": b"x" * 10})
    elsewhere.add_and_push(data)
    assert any((tmp_path / "shared-remote").rglob("*"))  # pushed to the machine's remote
    DvcRepository(root, root / ".dvc-storage").ensure_initialized()  # the variable unset again
    assert "shared-remote" not in (root / ".dvc" / "config.local").read_text()
    with Repo(str(root)) as repo:
        assert repo.config["remote"]["local"]["url"].endswith(".dvc-storage")


def test_add_and_push_adds_only_the_version_that_was_checked(tmp_path: Path, repo: DvcRepository):
    """The training set is hashed when written and pushed after its checks: a folder rewritten in between is
    refused before DVC touches it (the .dvc file keeps the version it had, the remote gets nothing)."""
    from finetune_platform.datasets.versioning import VersionMismatchError, folder_md5

    data = repo.root / "data" / "training_set"
    _write_set(data, {"train.parquet": b"a" * 100, "manifest.json": b"{}"})
    checked = folder_md5(data)
    first = repo.add_and_push(data, expected_md5=checked)
    assert first.md5 == checked
    pushed = sorted(p for p in (tmp_path / "remote").rglob("*") if p.is_file())

    (data / "manifest.json").write_bytes(b'{"rewritten": true}')
    with pytest.raises(VersionMismatchError, match=rf"holds version .* before `dvc add`, not {checked}"):
        repo.add_and_push(data, expected_md5=checked)
    assert repo.read_version(first.dvc_file).md5 == checked
    assert sorted(p for p in (tmp_path / "remote").rglob("*") if p.is_file()) == pushed


@pytest.mark.parametrize(
    "content",
    ["<<<<<<< HEAD\nouts:\n- md5: abc.dir\n=======\n", "just text\n", "outs: 3\n", "outs:\n- path: data\n"],
    ids=["conflict-markers", "a-string", "outs-not-a-list", "no-md5"],
)
def test_an_unreadable_dvc_file_is_a_value_error_naming_it(tmp_path: Path, repo: DvcRepository, content: str):
    dvc_file = repo.root / "data" / "training_set.dvc"
    dvc_file.parent.mkdir(parents=True, exist_ok=True)
    dvc_file.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{dvc_file}"):
        repo.read_version(dvc_file)
