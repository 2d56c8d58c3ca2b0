"""Incremental curation: a rerun after one new file lands, full vs per-file cached.

The question (issue 3): does a rerun with one new file re-curate only that file? One source of the demo
corpus's chats split into ``--files`` daily files is curated once (normalise -> PII -> quality, the
per-source stages) through :func:`finetune_platform.curation.incremental.run_per_file`, which fills its
cache; then one more day's file lands and the source is curated again, both ways, interleaved, best of
``--repeats``:

- ``full``: every stage over every row (what a run without the cache does);
- ``incremental``: ``run_per_file`` with the warm cache: the new file is curated, the others read back.

Both must give the same records and drops (checked); printed: rows curated and seconds of each, and the
speed-up. Deduplication runs over everything in both cases and is not part of the timing.

Run: ``.venv/bin/python -m bench.incremental_curation [--tickets 10000] [--files 10] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from finetune_platform.curation import CurationSettings
from finetune_platform.curation.incremental import run_per_file
from finetune_platform.curation.normalize import normalize_records
from finetune_platform.curation.pii import redact_pii
from finetune_platform.curation.quality import score_quality
from finetune_platform.ingest import SourceSettings, ingest_source
from finetune_platform.ingest.demo_data import generate_demo_corpus

STAGES = (normalize_records, redact_pii, score_quality)
SOURCE = SourceSettings(
    name="chats", path="chats/*.jsonl", format="jsonl", doc_type="chat", messages_field="messages", label_field="category"
)


def _chain(df: pd.DataFrame, settings: CurationSettings, cache: Path | None) -> tuple[float, int, pd.DataFrame, pd.DataFrame]:
    """(seconds, rows curated, final records, all drops) of the three per-source stages."""
    started, curated, drops = time.perf_counter(), 0, []
    for stage in STAGES:
        if cache is None:
            result = stage(df, settings)
            curated += len(df)
        else:
            result, reuse = run_per_file(stage, df, settings, cache / stage.__name__)
            curated += reuse.rows_curated
        drops.append(result.dropped)
        df = result.records
    return time.perf_counter() - started, curated, df, pd.concat(drops, ignore_index=True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000, help="demo corpus size (chats are about half)")
    parser.add_argument("--files", type=int, default=10, help="daily files the chats are split into before the new one")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    settings = CurationSettings()
    with tempfile.TemporaryDirectory(prefix="bench_incremental_") as tmp:
        raw, cache = Path(tmp) / "raw", Path(tmp) / "cache"
        generate_demo_corpus(raw, n_tickets=args.tickets, seed=1)
        chats = raw / "chats" / "chats.jsonl"
        lines = chats.read_text(encoding="utf-8").splitlines(keepends=True)
        chats.unlink()
        per_file = len(lines) // (args.files + 1)
        for i in range(args.files + 1):
            name = f"day_{i:02d}.jsonl" if i < args.files else "new.jsonl.pending"
            (raw / "chats" / name).write_text("".join(lines[i * per_file:(i + 1) * per_file]), encoding="utf-8")
        before = ingest_source(SOURCE, raw).records
        _chain(before, settings, cache)  # the earlier run: fills the cache (and warms imports)
        (raw / "chats" / "new.jsonl.pending").rename(raw / "chats" / f"day_{args.files:02d}.jsonl")
        after = ingest_source(SOURCE, raw).records
        best = {"full": float("inf"), "incremental": float("inf")}
        rows: dict[str, int] = {}
        outputs: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
        for r in range(args.repeats):
            # each incremental run starts from the cache as the earlier run left it (copied outside the timing)
            warm = Path(tmp) / f"cache_{r}"
            shutil.copytree(cache, warm)
            for side in ("full", "incremental"):
                seconds, curated, records, dropped = _chain(after, settings, None if side == "full" else warm)
                best[side] = min(best[side], seconds)
                rows[side] = curated
                outputs[side] = (records, dropped)
    pd.testing.assert_frame_equal(outputs["full"][0], outputs["incremental"][0])
    pd.testing.assert_frame_equal(outputs["full"][1].astype(str), outputs["incremental"][1].astype(str))
    speedup = best["full"] / best["incremental"]
    new_rows = int((after["source_file"] == f"chats/day_{args.files:02d}.jsonl").sum())
    print(f"Incremental curation: {len(after):,} chat records in {args.files + 1} files, one of them new ({new_rows:,} records)")
    print("stages: normalise -> PII -> quality (per source); best of", args.repeats, "interleaved runs; same output checked")
    print(f"full        : {best['full']:.3f} s, {rows['full']:,} stage-rows curated")
    print(f"incremental : {best['incremental']:.3f} s, {rows['incremental']:,} stage-rows curated (the new file only)")
    print(f"speed-up full / incremental: {speedup:.2f}x")
    return {
        "records": len(after),
        "files": args.files + 1,
        "new_file_records": new_rows,
        "full_seconds": round(best["full"], 4),
        "incremental_seconds": round(best["incremental"], 4),
        "rows_curated_full": rows["full"],
        "rows_curated_incremental": rows["incremental"],
        "speedup": round(speedup, 2),
        "same_output": True,
    }


if __name__ == "__main__":
    main()
