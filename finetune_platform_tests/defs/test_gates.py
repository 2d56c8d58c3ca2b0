"""The evaluation gates block what comes after them: a failed gate means nothing is registered."""

import dagster as dg

from finetune_platform.defs.evaluate import eval_report__beats_base, eval_report__beats_champion


def _report(candidate: float, base: float, champion: float | None) -> dict:
    from dataclasses import asdict

    from finetune_platform.evaluation.report import EvalSettings, ModelScores, champion_gate, gate

    def scores(name: str, acc: float) -> ModelScores:
        return ModelScores(name=name, accuracy=acc, perplexity=2.0, n_classify=200, n_perplexity=200, seconds=1.0)

    settings = EvalSettings(min_accuracy_gain=0.1, champion_margin=0.0)
    champ = scores("champion", champion) if champion is not None else None
    return {
        "models": {"base": asdict(scores("base", base)), "candidate": asdict(scores("candidate", candidate))},
        "gate": asdict(gate(scores("base", base), scores("candidate", candidate), settings)),
        "champion_gate": asdict(champion_gate(scores("candidate", candidate), champ, settings, 1 if champ else None)),
        "champion_version": 1 if champ else None,
    }


def _run(report: dict) -> dg.ExecuteInProcessResult:
    @dg.asset(name="eval_report")
    def fake_eval_report() -> dict:
        return report

    @dg.asset(name="registered_model", deps=["eval_report"])
    def fake_registered_model() -> str:
        return "registered"

    return dg.materialize(
        [fake_eval_report, fake_registered_model, eval_report__beats_base, eval_report__beats_champion],
        raise_on_error=False,
    )


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_a_candidate_better_than_base_and_champion_is_registered() -> None:
    result = _run(_report(candidate=0.9, base=0.1, champion=0.85))
    assert result.success and "registered_model" in _materialized(result)


def test_a_candidate_worse_than_the_champion_is_not_registered_and_says_by_how_much() -> None:
    result = _run(_report(candidate=0.80, base=0.1, champion=0.85))
    assert not result.success
    assert "registered_model" not in _materialized(result)
    check = next(
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.asset_check_evaluation_data.check_name == "eval_report__beats_champion"
    )
    assert not check.passed
    assert abs(check.metadata["missed_by"].value - 0.05) < 1e-9


def test_a_candidate_that_does_not_beat_the_base_is_not_registered() -> None:
    result = _run(_report(candidate=0.15, base=0.1, champion=None))
    assert not result.success and "registered_model" not in _materialized(result)
