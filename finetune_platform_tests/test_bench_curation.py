"""Smoke tests of bench/curation_vs_presidio.py (on a tiny corpus) and of bench/run_all.py's discovery.

No assertion is made on wall-clock times: only that the figures are there, positive and consistent.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import pytest

from bench import curation_vs_presidio as bench_pii
from bench import run_all

TINY = ["--tickets", "60", "--repeats", "1", "--warmup", "10"]


@pytest.fixture(scope="module")
def presidio_installed() -> None:
    pytest.importorskip("presidio_analyzer", reason="Presidio is the optional 'bench' extra")
    pytest.importorskip("presidio_anonymizer", reason="Presidio is the optional 'bench' extra")


@pytest.fixture(scope="module")
def tiny_run(presidio_installed) -> tuple[dict, str]:
    """The benchmark's result and printed report on 60 demo tickets (one run, shared by the tests below)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = bench_pii.main(TINY)
    return result, out.getvalue()


def test_tiny_run_reports_consistent_throughput_and_ratio(tiny_run):
    result, _ = tiny_run
    assert result["records"] >= 50  # 60 tickets, less the malformed rows ingest quarantines
    assert result["texts"] == 2 * result["records"]
    pipelines = {"curate", "ours_pii", "presidio_noop", "presidio_blank_spacy"}
    assert set(result["throughput"]) == pipelines == set(result["seconds"])
    assert all(v > 0 for v in result["throughput"].values())
    for name, seconds in result["seconds"].items():
        assert result["throughput"][name] == pytest.approx(result["records"] / seconds, rel=0.02)
    best = result["presidio_best"]
    assert best in ("presidio_noop", "presidio_blank_spacy")
    assert result["throughput"][best] == max(result["throughput"]["presidio_noop"], result["throughput"]["presidio_blank_spacy"])
    assert result["ratio"] == pytest.approx(result["throughput"]["curate"] / result["throughput"][best], rel=0.02)
    assert result["pii_ratio"] == pytest.approx(result["throughput"]["ours_pii"] / result["throughput"][best], rel=0.02)
    assert result["goal_met"] == (result["ratio"] >= 20 and result["recall"]["ours"] >= result["recall"]["presidio"])
    json.dumps(result)  # run_all passes it between processes as JSON


def test_tiny_run_scores_both_sides_on_the_same_gold_spans(tiny_run):
    result, _ = tiny_run
    assert set(result["per_type"]) == set(bench_pii.SHARED_TYPES)
    for kind, sides in result["per_type"].items():
        gold_ours = sides["ours"]["tp"] + sides["ours"]["fn"]
        assert gold_ours == sides["presidio"]["tp"] + sides["presidio"]["fn"] > 0, kind
    # Our floors (test_pii) hold here too; a Presidio set-up that lost its recognizers would score ~0.
    assert result["recall"]["ours"] >= 0.95 and result["precision"]["ours"] >= 0.95
    assert 0.5 <= result["recall"]["presidio"] <= 1.0
    assert 0.0 <= result["recall_held_out"]["presidio"] <= 1.0
    assert 0 < result["held_out_examples"] < result["labelled_examples"]


def test_tiny_run_prints_tables_ratio_and_verdict(tiny_run):
    result, printed = tiny_run
    assert f"Throughput ratio, curate / {result['presidio_best']}: {result['ratio']:.2f}x" in printed
    assert f"Recall, shared types: ours {result['recall']['ours']:.3f}, Presidio {result['recall']['presidio']:.3f}" in printed
    assert ("Goal (>= 20x" in printed) and (("NOT MET" in printed) != result["goal_met"])
    for name in result["throughput"]:
        assert f"| {name} " in printed


def test_presidio_pipeline_maps_types_and_drops_urls_and_contained_spans(presidio_installed):
    pipe = bench_pii.PresidioPipeline("noop")
    text = "Mail jane@example.com, card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, see https://example.org/x"
    assert [(m.type, m.value) for m in pipe.find(text)] == [
        ("EMAIL", "jane@example.com"),
        ("CREDIT_CARD", "4111 1111 1111 1111"),
        ("IBAN", "DE89 3704 0044 0532 0130 00"),
    ]
    redacted = pipe.process(text)
    assert "<EMAIL_ADDRESS>" in redacted and "<CREDIT_CARD>" in redacted and "jane@" not in redacted
    assert pipe.entities == sorted(bench_pii.PRESIDIO_ENTITIES)


def test_missing_presidio_is_a_clear_skip(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "presidio_analyzer", None)  # makes `import presidio_analyzer` fail
    result = bench_pii.main(TINY)
    assert set(result) == {"skipped"}
    assert "pip install -e '.[bench]'" in result["skipped"]
    assert "curation_vs_presidio SKIPPED" in capsys.readouterr().err


def test_pipeline_rejects_unknown_nlp_engine():
    with pytest.raises(ValueError, match=r"nlp='spacy_lg'.*\['noop', 'blank_spacy'\]"):
        bench_pii.PresidioPipeline("spacy_lg")  # type: ignore[arg-type]


def test_run_all_discovers_modules_with_main(tmp_path: Path):
    assert "curation_vs_presidio" in run_all.discover()
    (tmp_path / "with_main.py").write_text("def main():\n    return {}\n")
    (tmp_path / "helper.py").write_text("def other():\n    pass\nmain = 3\n")
    (tmp_path / "run_all.py").write_text("def main():\n    pass\n")
    assert run_all.discover(tmp_path) == ["with_main"]


def test_run_all_rejects_unknown_benchmark(capsys):
    with pytest.raises(SystemExit):
        run_all.main(["--only", "no_such_bench"])
    assert "unknown benchmark(s) ['no_such_bench']" in capsys.readouterr().err
