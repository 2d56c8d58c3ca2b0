"""The project's own config files stay consistent with the code."""

import shlex
import subprocess
import sys

import pytest
import yaml

from finetune_platform.cli import build_parser
from finetune_platform.settings import PACKAGE_ROOT


def test_dvc_pipeline_stage_runs_a_real_cli_command() -> None:
    pipeline = yaml.safe_load((PACKAGE_ROOT / "dvc.yaml").read_text())
    params = yaml.safe_load((PACKAGE_ROOT / "params.yaml").read_text())
    stage = pipeline["stages"]["demo_corpus"]
    cmd = stage["cmd"].replace("${demo.tickets}", str(params["demo"]["tickets"])).replace(
        "${demo.seed}", str(params["demo"]["seed"])
    )
    argv = shlex.split(cmd)
    assert argv[0] == "finetune-platform"
    args = build_parser().parse_args(argv[1:])  # raises SystemExit on an unknown flag
    assert args.out == "data/raw" and args.tickets == params["demo"]["tickets"]
    # the demo corpus's files only: data/raw also holds the user's own sources and the feedback batches,
    # which `dvc repro` (it removes a stage's outputs before running it) must never delete
    from finetune_platform.ingest.demo_data import CHATS_FILE, EMAILS_FILE, NOTES_FILE

    assert stage["outs"] == [f"data/raw/{name}" for name in (CHATS_FILE, EMAILS_FILE, NOTES_FILE)]


def test_dvc_reads_the_pipeline() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dvc", "stage", "list"], cwd=PACKAGE_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "demo_corpus" in out


def test_dagster_yaml_stores_state_in_sqlite_under_dagster_home() -> None:
    config = yaml.safe_load((PACKAGE_ROOT / "dagster.yaml").read_text())
    assert config["storage"]["sqlite"]["base_dir"] == {"env": "DAGSTER_HOME"}
    assert config["telemetry"]["enabled"] is False


@pytest.mark.parametrize("path", ["dagster.yaml", "docker/dagster.yaml"])
def test_failed_ingest_and_retrain_runs_are_retried(path: str, tmp_path) -> None:
    """A sensor does not request a source again for files it has seen: a failed ingest run is retried by the
    daemon, as a crashed retrain is (it resumes from its checkpoint)."""
    import dagster as dg

    from finetune_platform.defs.automation import ingest_job, retrain_job

    config = yaml.safe_load((PACKAGE_ROOT / path).read_text())
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump({"run_retries": config["run_retries"]}))
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    assert instance.run_retries_enabled and instance.run_retries_max_retries == 0  # only jobs that ask
    assert ingest_job.tags["dagster/max_retries"] == "2" and retrain_job.tags["dagster/max_retries"] == "1"


def test_workspace_loads_the_definitions_module() -> None:
    workspace = yaml.safe_load((PACKAGE_ROOT / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["python_module"]["module_name"] == "finetune_platform.definitions"


def test_gitignore_keeps_runtime_state_out() -> None:
    ignored = (PACKAGE_ROOT / ".gitignore").read_text().split()
    for entry in (".venv/", ".dagster_home/", "mlruns/", "mlartifacts/", "mlflow.db", ".dvc-storage/", "artifacts/"):
        assert entry in ignored


def test_constraints_pin_every_dependency_pyproject_names() -> None:
    """`make` installs with `-c constraints.txt`: a dependency missing there installs at whatever is newest."""
    import re
    import tomllib

    root = PACKAGE_ROOT
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"]) + [d for extra in project["optional-dependencies"].values() for d in extra]

    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    pinned = {
        canonical(line.split("==")[0])
        for line in (root / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    missing = sorted({canonical(re.split(r"[\s<>=!~\[;]", d, maxsplit=1)[0]) for d in wanted} - pinned)
    assert not missing, f"constraints.txt lacks {missing}; pin them (pip freeze in the venv gives the versions)"


def test_the_training_sets_dvc_pointer_is_not_git_ignored() -> None:
    """`dvc add data/training_set` refuses to write a .dvc file that git ignores; `make demo` then fails."""
    import shutil

    if shutil.which("git") is None or not (PACKAGE_ROOT / ".git").exists():
        import pytest

        pytest.skip("not a git checkout")
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "data/training_set.dvc"], cwd=PACKAGE_ROOT, capture_output=True, check=False
    )
    assert ignored.returncode == 1, "data/training_set.dvc is git-ignored: dvc add would refuse to write it"
