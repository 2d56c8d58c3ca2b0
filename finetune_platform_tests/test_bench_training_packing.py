"""Smoke test of bench/training_packing.py on a tiny SNIPS subset (one short epoch per side).

No assertion on wall-clock times or on the ratio's size: only that the figures are there, positive and
consistent (every side trained the same useful tokens, packing needed fewer rows and steps, grouping padded less).
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from bench import training_packing as bench_p

TINY = ["--examples", "48", "--repeats", "1", "--max-length", "96", "--batch-size", "4", "--method", "full"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> tuple[dict, str]:
    if not (bench_p.SNIPS_DIR / "train.jsonl").is_file():
        pytest.skip(f"SNIPS data set not found under {bench_p.SNIPS_DIR}")
    written = tmp_path_factory.mktemp("packing") / "figures.json"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = bench_p.main([*TINY, "--json", str(written)])
    assert json.loads(written.read_text()) == result  # --json writes the figures main returns
    return result, out.getvalue()


@pytest.mark.slow
def test_tiny_run_reports_positive_consistent_figures(tiny_run):
    result, _ = tiny_run
    off, grouped, on = result["sides"]["off"], result["sides"]["grouped"], result["sides"]["on"]
    for side in (off, grouped, on):
        assert side["useful_tokens_per_s"] > 0 and side["best_seconds"] > 0 and side["steps"] > 0
        assert side["useful_tokens"] > 0 and side["loss_tokens"] > 0
    assert on["useful_tokens"] == off["useful_tokens"] == grouped["useful_tokens"]  # one epoch of the same examples
    assert on["loss_tokens"] == off["loss_tokens"] == grouped["loss_tokens"]
    assert grouped["train_rows"] == 48 and grouped["steps"] == off["steps"]
    assert grouped["padding_fraction"] <= off["padding_fraction"]  # length-grouped batches pad less
    assert result["ratio_vs_grouped"] == pytest.approx(on["useful_tokens_per_s"] / grouped["useful_tokens_per_s"], rel=0.01)
    assert off["train_rows"] == 48 and on["train_rows"] < 48 and on["steps"] < off["steps"]
    # one row per packed sequence (the default layout): only the shorter rows of a batch are padded
    assert 0.0 <= on["padding_fraction"] < 0.5 and off["processed_tokens"] >= off["useful_tokens"]
    assert on["packing_strategy"] == "bfd" and on["padding_free"] is False
    assert off["packing_strategy"] is None and off["padding_free"] is False
    assert result["ratio"] == pytest.approx(on["useful_tokens_per_s"] / off["useful_tokens_per_s"], rel=0.01)
    assert result["meets_target"] == (result["ratio"] >= bench_p.TARGET_RATIO)
    assert result["contamination_free"] is True and result["contamination_max_abs_diff"] < 1e-4
    assert result["leaky_reference_max_abs_diff"] > 1e-3  # the check can tell leakage apart
    assert result["device"] == "cpu"  # the tests never need a GPU
    json.dumps(result)  # run_all passes it between processes as JSON


@pytest.mark.slow
def test_tiny_run_prints_table_ratio_and_verdict(tiny_run):
    result, printed = tiny_run
    assert f"packed / padded: {result['ratio']:.2f}x (goal >= 2x)" in printed
    assert ("MEETS" if result["meets_target"] else "MISSES") in printed
    assert "Packing mode: bfd + one row per packed sequence" in printed
    assert "| off " in printed and "| on " in printed and "| grouped " in printed
    assert "length-grouped batches (the platform's default)" in printed


def test_missing_dataset_is_skipped(tmp_path):
    assert bench_p.run_benchmark(snips_dir=tmp_path) == {
        "skipped": f"SNIPS data set not found: {tmp_path / 'train.jsonl'} is missing"
    }


def test_bad_counts_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"examples must be >= 2 and repeats >= 1; got examples=1, repeats=2"):
        bench_p.run_benchmark(snips_dir=tmp_path, n_examples=1)


def test_malformed_rows_name_the_line(tmp_path):
    (tmp_path / "train.jsonl").write_text('{"text": "play jazz", "intent": "PlayMusic"}\n{"text": "x"}\n')
    with pytest.raises(ValueError, match=r"train.jsonl:2: expected string fields 'text' and 'intent'"):
        bench_p.load_snips_pairs(tmp_path, 1)
