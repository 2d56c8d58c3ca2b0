"""`make ui`: the Dagster webserver loads workspace.yaml and shows every asset in its stage's group."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from finetune_platform.settings import PACKAGE_ROOT

pytestmark = pytest.mark.slow

QUERY = "{ assetNodes { assetKey { path } groupName } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webserver_serves_the_asset_graph_grouped_by_stage(tmp_path: Path) -> None:
    from finetune_platform_tests.test_definitions import EXPECTED_GROUPS

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PACKAGE_ROOT / "dagster.yaml", home / "dagster.yaml")
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "FINETUNE_PLATFORM_HOME": str(tmp_path)}
    webserver = Path(sys.executable).parent / "dagster-webserver"
    proc = subprocess.Popen(
        [str(webserver), "-w", str(PACKAGE_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=PACKAGE_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        nodes = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"dagster-webserver exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                response = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": QUERY}, timeout=10)
                data = response.json().get("data") or {}
                nodes = data.get("assetNodes")
                if nodes:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        assert nodes, "the webserver never served the asset graph"
        groups: dict[str, set[str]] = {}
        for node in nodes:
            groups.setdefault(node["groupName"], set()).add("/".join(node["assetKey"]["path"]))
        assert groups == EXPECTED_GROUPS
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
