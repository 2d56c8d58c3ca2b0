"""The Docker deployment (docker/): its files agree with each other and with the code, and its services,
run as the compose file starts them, work against a real Postgres.

No Docker daemon is needed: the image itself is not built here. The processes that compose starts
(the entrypoint, the Dagster code server, webserver and daemon, the MLflow server) run directly, with
the compose file's own command lines (only host, port and paths swapped for local ones), against a
throwaway Postgres (pgserver) initialised with docker/postgres-init.sql.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import yaml

from finetune_platform.settings import PACKAGE_ROOT

DOCKER = PACKAGE_ROOT / "docker"
BIN = Path(sys.executable).parent
PLATFORM_SERVICES = ("mlflow", "code", "webserver", "daemon", "serve")
#: Services that open the Dagster instance (docker/dagster.yaml).
DAGSTER_SERVICES = ("code", "webserver", "daemon")


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def _env_refs(text: str) -> dict[str, str | None]:
    """Compose ``${NAME...}`` references: name -> default (None when the variable is required or has none)."""
    refs: dict[str, str | None] = {}
    for name, op, value in re.findall(r"\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}", text):
        default = value if op in (":-", "-") else None
        refs[name] = refs.get(name) or default
    return refs


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?message}`` for the values in ``env``."""

    def one(m: re.Match[str]) -> str:
        name, op, rest = m.group(1), m.group(2), m.group(3)
        if name in env:
            return env[name]
        if op in (":-", "-"):
            return rest
        raise KeyError(f"${{{name}}} is not set")

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}", one, value)


def _option(command: list[str], name: str) -> str:
    """The value of ``--name=value`` in a compose command list."""
    values = [arg.split("=", 1)[1] for arg in command if arg.startswith(f"--{name}=")]
    assert len(values) == 1, f"--{name}= appears {len(values)} times in {command}"
    return values[0]


def _replace_option(command: list[str], name: str, value: str) -> list[str]:
    return [f"--{name}={value}" if arg.startswith(f"--{name}=") else arg for arg in command]


# --- the files agree ------------------------------------------------------------------------------


def test_every_platform_service_runs_the_one_image_built_from_the_repository() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", *PLATFORM_SERVICES}
    for name in PLATFORM_SERVICES:
        build = services[name]["build"]
        assert (DOCKER / build["context"]).resolve() == PACKAGE_ROOT
        assert (PACKAGE_ROOT / build["dockerfile"]).is_file()
        assert services[name]["image"] == "finetune-platform:latest"
        assert "platform-home:/srv/finetune-platform" in services[name]["volumes"]


def test_published_ports_listen_on_loopback_only() -> None:
    ports = [p for s in _compose()["services"].values() for p in s.get("ports", [])]
    assert ports and all(str(p).startswith("127.0.0.1:") for p in ports)


def test_every_required_variable_is_in_the_env_example() -> None:
    example = dict(
        line.split("=", 1) for line in (DOCKER / ".env.example").read_text().splitlines() if line and not line.startswith("#")
    )
    for name, default in _env_refs((DOCKER / "compose.yaml").read_text()).items():
        assert default is not None or name in example, f"compose.yaml needs ${{{name}}} but .env.example lacks it"
    assert "docker/.env" in (PACKAGE_ROOT / ".gitignore").read_text().splitlines()  # secrets never committed


def test_dagster_services_get_every_variable_the_instance_reads() -> None:
    instance_vars = re.findall(r"env: (\w+)", (DOCKER / "dagster.yaml").read_text())
    assert set(instance_vars) == {
        "DAGSTER_POSTGRES_URL", "DAGSTER_MAX_CONCURRENT_RUNS", "DAGSTER_STORAGE_DIR", "DAGSTER_COMPUTE_LOG_DIR"
    }
    services = _compose()["services"]
    for name in DAGSTER_SERVICES:
        assert set(instance_vars) <= set(services[name]["environment"]), name
        # asset values and op logs outlive the containers and are readable by every service: on the shared volume
        for var in ("DAGSTER_STORAGE_DIR", "DAGSTER_COMPUTE_LOG_DIR"):
            assert services[name]["environment"][var].startswith("/srv/finetune-platform/"), (name, var)


def test_webserver_and_daemon_reach_the_code_server_the_workspace_names() -> None:
    services = _compose()["services"]
    grpc = yaml.safe_load((DOCKER / "workspace.yaml").read_text())["load_from"][0]["grpc_server"]
    code = services["code"]["command"]
    assert grpc["host"] == "code"
    assert str(grpc["port"]) == _option(code, "port")
    assert grpc["location_name"] == _option(code, "location-name")
    copied = re.search(r"COPY docker/workspace.yaml (\S+)", (DOCKER / "Dockerfile").read_text()).group(1)
    for name in ("webserver", "daemon"):
        assert _option(services[name]["command"], "workspace") == copied


def test_mlflow_accepts_the_host_name_the_platform_calls_it_by() -> None:
    services = _compose()["services"]
    uri = services["code"]["environment"]["MLFLOW_TRACKING_URI"]
    host = uri.removeprefix("http://")
    assert host in _option(services["mlflow"]["command"], "allowed-hosts").split(",")
    assert _option(services["mlflow"]["command"], "port") == host.split(":")[1]


def test_postgres_init_creates_every_database_the_services_name() -> None:
    services = _compose()["services"]
    created = set(re.findall(r"CREATE DATABASE (\w+);", (DOCKER / "postgres-init.sql").read_text()))
    created.add(services["postgres"]["environment"]["POSTGRES_DB"])
    text = (DOCKER / "compose.yaml").read_text()
    named = set(re.findall(r"@postgres:5432/(\w+)", text))
    assert named == created == {"dagster", "mlflow", "platform_logs"}


def test_every_database_url_names_the_installed_driver() -> None:
    # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; the deploy extra installs psycopg2.
    urls = re.findall(r"([\w+]+)://platform:\$\{[^}]*\}@postgres:5432/", (DOCKER / "compose.yaml").read_text())
    assert len(urls) == 3 and set(urls) == {"postgresql+psycopg2"}
    assert "psycopg2-binary" in re.search(r"^deploy = \[(.*)\]", (PACKAGE_ROOT / "pyproject.toml").read_text(), flags=re.M).group(1)


def test_dockerfile_copies_only_paths_that_exist_and_installs_real_extras() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    # .dockerignore keeps the build context to an allow-list (no .venv, models or state): each copied path is on it.
    allowed = [line[1:].rstrip("/") for line in (PACKAGE_ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")]
    for line in re.findall(r"^COPY (.+)$", dockerfile, flags=re.M):
        *sources, _dest = line.split()
        for source in sources:
            assert (PACKAGE_ROOT / source).exists(), f"Dockerfile copies {source}, which is not in the repository"
            assert any(source == a or source.startswith(a + "/") for a in allowed), f"{source} is not in .dockerignore's allow-list"
    extras = re.findall(r'"\.\[([a-z,]+)\]"', dockerfile)
    pyproject = (PACKAGE_ROOT / "pyproject.toml").read_text()
    assert extras == ["deploy"] and re.search(r"^deploy = \[", pyproject, flags=re.M)
    assert "-c constraints.txt" in dockerfile  # the same pinned tree as `make install`
    assert os.access(DOCKER / "entrypoint.sh", os.X_OK)


def test_entrypoint_seeds_the_home_once_and_never_overwrites(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "FINETUNE_PLATFORM_HOME": str(home), "FINETUNE_PLATFORM_SEED": str(PACKAGE_ROOT)}
    out = subprocess.run(["sh", str(DOCKER / "entrypoint.sh"), "echo", "started"], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "started"  # then runs the service's command
    for seeded in ("sources.yaml", "curation.yaml", "sweep.yaml", "specialists.yaml"):
        assert (home / "data" / seeded).read_text() == (PACKAGE_ROOT / "data" / seeded).read_text()
    (home / "data" / "sweep.yaml").write_text("edited by an operator\n")
    out = subprocess.run(["sh", str(DOCKER / "entrypoint.sh"), "true"], env=env, capture_output=True, text=True, check=True)
    assert "seeded" not in out.stdout
    assert (home / "data" / "sweep.yaml").read_text() == "edited by an operator\n"
    del env["FINETUNE_PLATFORM_HOME"]
    failed = subprocess.run(["sh", str(DOCKER / "entrypoint.sh"), "true"], env=env, capture_output=True, text=True)
    assert failed.returncode != 0 and "FINETUNE_PLATFORM_HOME is not set" in failed.stderr


# --- the services work against Postgres ----------------------------------------------------------


@pytest.fixture(scope="module")
def postgres(tmp_path_factory) -> Iterator[Any]:
    """A throwaway Postgres server with docker/postgres-init.sql applied, as the postgres image does."""
    pgserver = pytest.importorskip("pgserver", reason="the deployment tests need the dev extra (pgserver)")
    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    try:
        server.psql("CREATE DATABASE dagster;")
        server.psql((DOCKER / "postgres-init.sql").read_text())
        yield server
    finally:
        server.cleanup()


def _database_url(postgres: Any, database: str, like: str) -> str:
    """pgserver's URL of ``database`` with the scheme (driver) of the compose file's URL ``like``."""
    return like.split("://", 1)[0] + "://" + postgres.get_uri(database).split("://", 1)[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(check, what: str, proc: subprocess.Popen | None = None, timeout: float = 180.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            log = getattr(proc, "log_path", None)
            tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
            raise AssertionError(f"{what}: the process exited with {proc.returncode}; its output ends:\n{tail}")
        try:
            result = check()
        except (httpx.HTTPError, OSError):
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"{what}: not ready after {timeout:.0f} s")


def _start(stack: ExitStack, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``argv`` through the image's entrypoint, as compose does; stopped when ``stack`` closes."""
    handle = open(log, "w")
    stack.callback(handle.close)
    proc = subprocess.Popen(
        ["sh", str(DOCKER / "entrypoint.sh"), *argv], env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    proc.log_path = log

    def stop() -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()

    stack.callback(stop)
    return proc


def _service_env(service: str, overrides: dict[str, str]) -> dict[str, str]:
    """What the compose file gives ``service``, interpolated, then pointed at local resources."""
    values = {"POSTGRES_PASSWORD": "unused", "FINETUNE_PLATFORM_API_KEY": "unused-key"}
    env = {k: _interpolate(str(v), values) for k, v in _compose()["services"][service]["environment"].items()}
    return {**os.environ, **env, **overrides, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def _local_command(service: str, **options: str) -> list[str]:
    command = [_interpolate(arg, {"POSTGRES_PASSWORD": "unused"}) for arg in _compose()["services"][service]["command"]]
    for name, value in options.items():
        command = _replace_option(command, name.replace("_", "-"), value)
    return command


@pytest.mark.slow
def test_mlflow_service_tracks_and_registers_on_postgres(postgres, tmp_path: Path) -> None:
    """The compose file's MLflow server, on Postgres, with the platform's tracker and registry as clients."""
    from finetune_platform.monitoring.store import LogStore
    from finetune_platform.serving.registry import ModelRegistry
    from finetune_platform.training.tracking import MlflowTracker

    port = _free_port()
    artifacts = tmp_path / "mlartifacts"
    compose_uri = _option(_compose()["services"]["mlflow"]["command"], "backend-store-uri")
    command = _local_command(
        "mlflow", host="127.0.0.1", port=str(port), backend_store_uri=_database_url(postgres, "mlflow", compose_uri),
        default_artifact_root=str(artifacts),
    )
    env = _service_env("mlflow", {"FINETUNE_PLATFORM_HOME": str(tmp_path / "home"), "FINETUNE_PLATFORM_SEED": str(PACKAGE_ROOT)})
    with ExitStack() as stack:
        proc = _start(stack, command, env, tmp_path / "mlflow.log")
        url = f"http://127.0.0.1:{port}"
        _wait_for(lambda: httpx.get(f"{url}/health", timeout=5).status_code == 200, "mlflow server", proc)
        # --allowed-hosts is in force: the API refuses a Host header it does not list (DNS rebinding guard)
        # and answers the one the platform's containers use.
        api = f"{url}/api/2.0/mlflow/experiments/search?max_results=1"
        assert httpx.get(api, headers={"Host": "attacker.example:5000"}, timeout=5).status_code == 403
        assert httpx.get(api, headers={"Host": "mlflow:5000"}, timeout=5).status_code == 200

        tracker = MlflowTracker(url, "deployment-test", artifacts)
        with tracker.start_run("sft") as run:
            run.log_metric("eval/accuracy", 0.75)
        base = tmp_path / "base"
        base.mkdir()
        (base / "config.json").write_text("{}")
        registry = ModelRegistry(url, "deployed-model")
        version = registry.register(run.run_id, base, metrics={"accuracy": 0.75})
        registry.set_alias(version.version, "champion")
        assert registry.get_by_alias("champion").version == version.version
    # Stored in Postgres, not in the server process: a fresh server over the same database still has it.
    port = _free_port()
    command = _replace_option(command, "port", str(port))
    with ExitStack() as stack:
        proc = _start(stack, command, env, tmp_path / "mlflow2.log")
        url = f"http://127.0.0.1:{port}"
        _wait_for(lambda: httpx.get(f"{url}/health", timeout=5).status_code == 200, "mlflow server (restarted)", proc)
        again = ModelRegistry(url, "deployed-model").get_by_alias("champion")
        assert again is not None and again.tags["eval.accuracy"] == repr(0.75)

    # The serving log store on its own database, by the URL form the compose file uses.
    compose_url = _compose()["services"]["serve"]["environment"]["FINETUNE_PLATFORM_LOG_STORE_URL"]
    logs_url = _database_url(postgres, "platform_logs", compose_url)
    store = LogStore(logs_url)
    try:
        response_id = store.log_request(prompt="hi", response="hello", model_name="deployed-model", model_version="1")
        store.log_feedback(response_id, rating=-1, correction="Hello! How can I help?")
        now = datetime.now(timezone.utc)
        feedback = store.feedback_between(now - timedelta(hours=1), now + timedelta(hours=1))
        assert feedback["response_id"].tolist() == [response_id] and feedback["rating"].tolist() == [-1]
    finally:
        store.close()


@pytest.mark.slow
def test_dagster_services_launch_a_run_through_the_code_server_on_postgres(postgres, tmp_path: Path, monkeypatch) -> None:
    """Code server, webserver and daemon as compose starts them, sharing the docker/dagster.yaml instance on
    Postgres: a run submitted to the webserver is queued, dequeued by the daemon and executed by the code
    server (an ingest of one demo source), and everything it recorded is in Postgres."""
    import dagster as dg
    from dagster_graphql import DagsterGraphQLClient

    from finetune_platform.ingest.demo_data import generate_demo_corpus

    home = tmp_path / "home"
    generate_demo_corpus(home / "data" / "raw", n_tickets=60, seed=0)
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(DOCKER / "dagster.yaml", dagster_home / "dagster.yaml")
    code_port, web_port = _free_port(), _free_port()
    workspace = yaml.safe_load((DOCKER / "workspace.yaml").read_text())
    workspace["load_from"][0]["grpc_server"].update(host="127.0.0.1", port=code_port)
    (tmp_path / "workspace.yaml").write_text(yaml.safe_dump(workspace))
    overrides = {
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_POSTGRES_URL": _database_url(
            postgres, "dagster", _compose()["services"]["code"]["environment"]["DAGSTER_POSTGRES_URL"]
        ),
        "FINETUNE_PLATFORM_HOME": str(home),
        "FINETUNE_PLATFORM_SEED": str(PACKAGE_ROOT),
        "DAGSTER_STORAGE_DIR": str(home / "dagster"),
        "DAGSTER_COMPUTE_LOG_DIR": str(home / "dagster" / "compute_logs"),
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",  # the MLflow service is the other test's
        "FINETUNE_PLATFORM_LOG_STORE_URL": f"sqlite:///{tmp_path / 'logs.db'}",
    }
    # This process opens the same instance to check what the services stored.
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", overrides["DAGSTER_POSTGRES_URL"])
    monkeypatch.setenv("DAGSTER_MAX_CONCURRENT_RUNS", "1")
    for var in ("DAGSTER_STORAGE_DIR", "DAGSTER_COMPUTE_LOG_DIR"):
        monkeypatch.setenv(var, overrides[var])
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    instance.add_dynamic_partitions("source", ["notes"])  # what raw_files_sensor does for a new source
    with ExitStack() as stack:
        stack.callback(instance.dispose)
        env = _service_env("code", overrides)
        code = _start(stack, _local_command("code", host="127.0.0.1", port=str(code_port)), env, tmp_path / "code.log")
        web = _start(
            stack, _local_command("webserver", host="127.0.0.1", port=str(web_port), workspace=str(tmp_path / "workspace.yaml")),
            _service_env("webserver", overrides), tmp_path / "webserver.log",
        )
        daemon = _start(
            stack, _local_command("daemon", workspace=str(tmp_path / "workspace.yaml")),
            _service_env("daemon", overrides), tmp_path / "daemon.log",
        )
        client = DagsterGraphQLClient("127.0.0.1", port_number=web_port, timeout=30)

        def submitted() -> str | None:
            if code.poll() is not None or web.poll() is not None:
                raise AssertionError("the code server or the webserver exited:\n" + (tmp_path / "code.log").read_text()[-3000:])
            try:
                return client.submit_job_execution(
                    "ingest_job", repository_location_name="finetune_platform", tags={"dagster/partition": "notes"}
                )
            except Exception:  # noqa: BLE001 (the webserver is still loading the code server's location)
                return None

        run_id = _wait_for(submitted, "webserver with the code server's location")
        status = _wait_for(
            lambda: (s := instance.get_run_by_id(run_id).status) in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE) and s,
            "the queued run to finish", daemon, timeout=300,
        )
        assert status == dg.DagsterRunStatus.SUCCESS, (tmp_path / "code.log").read_text()[-3000:]
        run = instance.get_run_by_id(run_id)
        assert run.tags["dagster/partition"] == "notes"
        materialized = instance.get_latest_materialization_event(dg.AssetKey("raw_corpus"))
        assert materialized is not None and materialized.run_id == run_id
        assert instance.get_daemon_heartbeats()  # the daemon writes its heartbeats to the same Postgres
    # The run's asset values (what later runs load) and its op logs are on the platform-home volume.
    assert (home / "dagster" / "storage" / "raw_corpus" / "notes").is_file()
    assert any(p.is_file() and p.stat().st_size > 0 for p in (home / "dagster" / "compute_logs").rglob("*"))
