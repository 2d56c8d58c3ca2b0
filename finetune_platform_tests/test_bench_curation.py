"""Smoke tests of bench/curation_vs_presidio.py (on a tiny corpus) and of bench/run_all.py's discovery.

No assertion is made on wall-clock times: only that the figures are there, positive and consistent.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import pandas as pd
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


SETS = bench_pii.PRESIDIO_RECOGNIZER_SETS


def test_tiny_run_reports_consistent_throughput_and_ratio_per_recognizer_set(tiny_run):
    result, _ = tiny_run
    assert result["records"] >= 50  # 60 tickets, less the malformed rows ingest quarantines
    # Both sides get every text field: text, response and each chat turn (the demo corpus has chats).
    assert result["chat_turns"] > 0 and result["texts"] == 2 * result["records"] + result["chat_turns"]
    assert 0 < result["chars_text_response"] < result["chars"]
    presidio_runs = {f"presidio_{rec}_{nlp}" for rec in SETS for nlp in ("noop", "blank_spacy")}
    ours = {"curate", "curate_same_types", "ours_pii"} | ({"curate_all_cores"} if result["cores"] > 1 else set())
    assert set(result["throughput"]) == ours | presidio_runs == set(result["seconds"])
    if result["cores"] > 1:  # the PII stage on every core, against Presidio in one process and on as many
        for rec in SETS:
            best = result["throughput"][result["presidio_best"][rec]]
            assert result["ratio_all_cores"][rec] == pytest.approx(result["throughput"]["curate_all_cores"] / best, rel=0.02)
            assert result["ratio_all_cores_vs_ideal_presidio"][rec] == pytest.approx(
                result["ratio_all_cores"][rec] / result["cores"], rel=0.02
            )
    matched = result["presidio_best"]["matched_types"]
    assert result["ratio_same_types"] == pytest.approx(
        result["throughput"]["curate_same_types"] / result["throughput"][matched], rel=0.02
    )
    assert result["goal_met_same_types"] == (
        result["ratio_same_types"] >= 20 and result["recall"]["ours"] >= result["recall"]["matched_types"]
    )
    assert all(v > 0 for v in result["throughput"].values())
    for name, seconds in result["seconds"].items():
        assert result["throughput"][name] == pytest.approx(result["records"] / seconds, rel=0.02)
    assert set(result["presidio_best"]) == set(result["ratio"]) == set(result["goal_met"]) == {"matched_types", "default_patterns"}
    for rec in SETS:
        best = result["presidio_best"][rec]
        candidates = (f"presidio_{rec}_noop", f"presidio_{rec}_blank_spacy")
        assert best in candidates
        assert result["throughput"][best] == max(result["throughput"][c] for c in candidates)
        assert result["ratio"][rec] == pytest.approx(result["throughput"]["curate"] / result["throughput"][best], rel=0.02)
        assert result["pii_ratio"][rec] == pytest.approx(result["throughput"]["ours_pii"] / result["throughput"][best], rel=0.02)
        assert result["goal_met"][rec] == (result["ratio"][rec] >= 20 and result["recall"]["ours"] >= result["recall"][rec])
        # The earlier reading (Presidio on text + response only) comes from the same runs, timed apart.
        tr_best = result["presidio_best_text_response"][rec]
        assert tr_best in candidates
        assert result["ratio_text_response"][rec] == pytest.approx(
            result["throughput"]["curate"] / result["throughput_text_response"][tr_best], rel=0.02
        )
        for c in candidates:
            assert 0 < result["seconds_text_response"][c] < result["seconds"][c]
    json.dumps(result)  # run_all passes it between processes as JSON


def test_record_texts_are_every_field_the_pii_stage_redacts():
    df = pd.DataFrame(
        {
            "text": ["hi\nmy card", "plain", "broken", None],
            "response": ["sure", "", "x", "y"],
            "messages": [
                '[{"role": "user", "content": "hi"}, {"role": "user", "content": "my card"}, {"role": "assistant", "content": "sure"}]',
                "",
                '[{"role": "user", "content": ',  # invalid JSON: normalisation drops the row; no turns here
                '[{"role": "user"}, "odd", {"role": "user", "content": 5}]',  # turns without text content
            ],
        }
    )
    assert bench_pii.record_texts(df) == [
        ["hi\nmy card", "sure", "hi", "my card", "sure"],
        ["plain", ""],
        ["broken", "x"],
        ["", "y"],
    ]


def test_tiny_run_lists_the_two_registries(tiny_run):
    result, _ = tiny_run
    matched, default = result["presidio_recognizers"]["matched_types"], result["presidio_recognizers"]["default_patterns"]
    assert len(matched) == 7
    assert set(matched) < set(default)  # the default registry holds every matched recognizer and more
    assert {"DateRecognizer", "UsBankRecognizer", "CryptoRecognizer"} <= set(default)
    assert "SpacyRecognizer" not in default  # needs a NER model


def test_tiny_run_scores_every_side_on_the_same_gold_spans(tiny_run):
    result, _ = tiny_run
    assert set(result["per_type"]) == set(bench_pii.SHARED_TYPES)
    for kind, sides in result["per_type"].items():
        gold = {side: v["tp"] + v["fn"] for side, v in sides.items()}
        assert set(gold) == {"ours", *SETS}, kind
        assert len(set(gold.values())) == 1 and gold["ours"] > 0, (kind, gold)
    # Our floors (test_pii) hold here too; a Presidio set-up that lost its recognizers would score ~0.
    assert result["recall"]["ours"] >= 0.95 and result["precision"]["ours"] >= 0.95
    for rec in SETS:
        assert 0.5 <= result["recall"][rec] <= 1.0, rec
        assert 0.0 <= result["recall_held_out"][rec] <= 1.0, rec
    assert 0 < result["held_out_examples"] < result["labelled_examples"]


def test_tiny_run_prints_tables_ratios_and_both_verdicts(tiny_run):
    result, printed = tiny_run
    for rec, label in (("matched_types", "matched-types"), ("default_patterns", "default-patterns")):
        best = result["presidio_best"][rec]
        assert f"Throughput ratio vs {label}, curate / {best}: {result['ratio'][rec]:.2f}x" in printed
        verdict = "MET" if result["goal_met"][rec] else "NOT MET"
        assert f"judged against {label}: {verdict} ({result['ratio'][rec]:.2f}x" in printed
        assert f"Presidio {label} {result['recall'][rec]:.3f}" in printed
    assert printed.count("Goal (>= 20x") == 2
    same = "MET" if result["goal_met_same_types"] else "NOT MET"
    assert f"Same kinds of PII on both sides (curate_same_types / {result['presidio_best']['matched_types']}): {same} " \
        f"({result['ratio_same_types']:.2f}x)" in printed
    assert f"{result['chat_turns']:,} chat turns" in printed
    for rec in SETS:
        assert f"Presidio given text + response only: {result['ratio_text_response'][rec]:.2f}x" in printed
    for name in result["throughput"]:
        assert f"| {name} " in printed


@pytest.mark.parametrize("recognizers", SETS)
def test_presidio_pipeline_maps_types_and_drops_urls_and_contained_spans(presidio_installed, recognizers):
    pipe = bench_pii.PresidioPipeline("noop", recognizers)
    text = "Mail jane@example.com, card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, see https://example.org/x"
    assert [(m.type, m.value) for m in pipe.find(text)] == [
        ("EMAIL", "jane@example.com"),
        ("CREDIT_CARD", "4111 1111 1111 1111"),
        ("IBAN", "DE89 3704 0044 0532 0130 00"),
    ]
    redacted = pipe.process(text)
    assert "<EMAIL_ADDRESS>" in redacted and "<CREDIT_CARD>" in redacted and "jane@" not in redacted
    if recognizers == "matched_types":
        assert pipe.entities == sorted(bench_pii.PRESIDIO_ENTITIES)
    else:
        assert set(bench_pii.PRESIDIO_ENTITIES) < set(pipe.entities)
        assert "PERSON" not in pipe.entities  # the NER recognizer is dropped


def test_default_patterns_redacts_types_the_matched_set_does_not(presidio_installed):
    text = "Booked on 2024-01-02, MAC 00:1B:44:11:3A:B7"
    assert bench_pii.PresidioPipeline("noop", "matched_types").process(text) == text
    redacted = bench_pii.PresidioPipeline("blank_spacy", "default_patterns").process(text)
    assert "<DATE_TIME>" in redacted and "<MAC_ADDRESS>" in redacted


def test_missing_presidio_is_a_clear_skip(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "presidio_analyzer", None)  # makes `import presidio_analyzer` fail
    result = bench_pii.main(TINY)
    assert set(result) == {"skipped"}
    assert "pip install -e '.[bench]'" in result["skipped"]
    assert "curation_vs_presidio SKIPPED" in capsys.readouterr().err


def test_pipeline_rejects_unknown_nlp_engine():
    with pytest.raises(ValueError, match=r"nlp='spacy_lg'.*\['noop', 'blank_spacy'\]"):
        bench_pii.PresidioPipeline("spacy_lg")  # type: ignore[arg-type]


def test_pipeline_rejects_unknown_recognizer_set():
    with pytest.raises(ValueError, match=r"recognizers='all'.*\['matched_types', 'default_patterns'\]"):
        bench_pii.PresidioPipeline("noop", "all")  # type: ignore[arg-type]


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
