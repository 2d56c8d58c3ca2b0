"""Run every benchmark in ``bench/``: each module ``bench/<name>.py`` that defines a top-level ``main``.

Each benchmark runs in its own Python process (``import bench.<name>; bench.<name>.main()``), so one
benchmark's imports, caches and memory do not change another's timings, and a crash in one does not stop
the others. ``main()`` is called without arguments (its defaults are the benchmark's standard run) and
should return a JSON-serialisable dict of its figures, ``{"skipped": why}`` when an optional dependency
is missing. Modules are found by reading their source (``ast``), not importing them.

Run: ``.venv/bin/python -m bench.run_all [--only NAME ...] [--json results.json]``; the exit status is 1
when any benchmark failed (skipped ones do not count as failures).
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent

#: Run in the child: import the benchmark, call main() with an empty command line, write what it returned as
#: JSON to the file named by the first argument.
_CHILD = (
    "import importlib, json, sys; "
    "out, name = sys.argv[1:]; sys.argv = ['bench.' + name]; "
    "result = importlib.import_module('bench.' + name).main(); "
    "open(out, 'w', encoding='utf-8').write(json.dumps(result, default=str))"
)


def discover(bench_dir: Path = BENCH_DIR) -> list[str]:
    """Names of the modules in ``bench_dir`` that define a top-level function ``main`` (sorted; not this one)."""
    names = []
    for path in sorted(bench_dir.glob("*.py")):
        if path.stem in ("__init__", "run_all"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body):
            names.append(path.stem)
    return names


def run_one(name: str) -> dict[str, Any]:
    """Run ``bench.<name>.main()`` in a fresh process (its output streams through); return its status.

    ``{"name", "status": "ok" | "skipped" | "failed", "seconds", "result"}``; ``result`` is what ``main``
    returned (None when it failed), ``error`` says why it failed.
    """
    with tempfile.TemporaryDirectory(prefix="bench_run_all_") as tmp:
        out = Path(tmp) / "result.json"
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(out), name], cwd=REPO_ROOT, check=False)
        seconds = round(time.perf_counter() - started, 1)
        if proc.returncode != 0 or not out.is_file():
            error = f"exited with status {proc.returncode}" if proc.returncode else "main() wrote no result"
            return {"name": name, "status": "failed", "seconds": seconds, "result": None, "error": error}
        result = json.loads(out.read_text(encoding="utf-8"))
    status = "skipped" if isinstance(result, dict) and "skipped" in result else "ok"
    return {"name": name, "status": status, "seconds": seconds, "result": result}


def main(argv: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Run the selected benchmarks one after another and print a summary line per benchmark."""
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks (module names)")
    parser.add_argument("--json", type=Path, help="also write every benchmark's status and figures to this file")
    args = parser.parse_args(argv)
    available = discover()
    names = args.only or available
    unknown = sorted(set(names) - set(available))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; bench/ has {available}.")
    outcomes: dict[str, dict[str, Any]] = {}
    for name in names:
        print(f"=== bench.{name} ===", flush=True)
        outcomes[name] = run_one(name)
        print(flush=True)
    print("=== summary ===")
    for name, outcome in outcomes.items():
        why = outcome.get("error") or (outcome["result"] or {}).get("skipped", "")
        print(f"{name}: {outcome['status']} in {outcome['seconds']} s{' (' + why + ')' if why else ''}")
    if args.json:
        args.json.write_text(json.dumps(outcomes, indent=1, default=str), encoding="utf-8")
    if any(o["status"] == "failed" for o in outcomes.values()):
        raise SystemExit(1)
    return outcomes


if __name__ == "__main__":
    main()
