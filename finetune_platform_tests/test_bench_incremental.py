"""Smoke test of bench/incremental_curation.py on a small corpus: the incremental side curates only the new
file and gives the full side's output (no assertion on times)."""

import pytest

from bench import incremental_curation as bench_i


def test_incremental_bench_curates_only_the_new_file(capsys):
    result = bench_i.main(["--tickets", "400", "--files", "3", "--repeats", "1"])
    assert result["same_output"]
    assert result["rows_curated_incremental"] == 3 * result["new_file_records"] > 0
    assert result["rows_curated_full"] > result["records"] > result["new_file_records"]
    assert result["speedup"] == pytest.approx(result["full_seconds"] / result["incremental_seconds"], abs=0.02)
    assert f"speed-up full / incremental: {result['speedup']:.2f}x" in capsys.readouterr().out
