"""evaluate: base model, candidate and current champion on the same held-out examples; the gate."""


from pathlib import Path
from typing import Any

import dagster as dg

from finetune_platform.defs.groups import EVALUATE
from finetune_platform.evaluation.report import EvalSettings
from finetune_platform.resources import MlflowResource, RegistryResource


class EvalConfig(dg.Config, EvalSettings):
    """Examples to score and the margin the candidate must beat the base model by."""


@dg.asset(group_name=EVALUATE, compute_kind="transformers")
def eval_report(
    context: dg.AssetExecutionContext,
    config: EvalConfig,
    sft_adapter: dict[str, Any],
    training_set: dict[str, Any],
    mlflow: MlflowResource,
    registry: RegistryResource,
) -> dg.Output[dict[str, Any]]:
    """Accuracy (real greedy generation) and perplexity on the test split for base, candidate, champion."""
    from finetune_platform.datasets.split import read_training_set
    from finetune_platform.evaluation.generation import load_causal_lm
    from finetune_platform.evaluation.report import build_report, gate, report_markdown, score_model, select_examples
    from finetune_platform.training.tracking import TrackedRun

    test = read_training_set(Path(training_set["path"]))["test"]
    classify, ppl = select_examples(test, config)
    scores = {}
    model, tokenizer = load_causal_lm(sft_adapter["base_model_path"])
    scores["base"] = score_model("base", model, tokenizer, classify, ppl, config.batch_size)
    model, tokenizer = load_causal_lm(sft_adapter["base_model_path"], sft_adapter["model_path"])
    scores["candidate"] = score_model("candidate", model, tokenizer, classify, ppl, config.batch_size)
    champion_info = registry.registry().get_by_alias("champion") if config.evaluate_champion else None
    if champion_info is not None:
        champion = registry.registry().load("champion").unwrap_python_model()
        scores["champion"] = score_model(
            f"champion (v{champion_info.version})", champion.model, champion.tokenizer, classify, ppl, config.batch_size
        )
    decision = gate(scores["base"], scores["candidate"], config)
    report = build_report(scores, decision)
    report["champion_version"] = champion_info.version if champion_info else None
    report["mlflow_run_id"] = sft_adapter["mlflow_run_id"]
    markdown = report_markdown(report)
    run = TrackedRun(mlflow.tracker(), sft_adapter["mlflow_run_id"])
    run.log_metrics({f"eval.{name}.{k}": getattr(s, k) for name, s in scores.items() for k in ("accuracy", "perplexity")})
    run.log_dict(report, "eval_report.json")
    context.log.info(markdown)
    metadata: dict[str, Any] = {
        "base_accuracy": round(scores["base"].accuracy, 4),
        "candidate_accuracy": round(scores["candidate"].accuracy, 4),
        "base_perplexity": round(scores["base"].perplexity, 3),
        "candidate_perplexity": round(scores["candidate"].perplexity, 3),
        "classify_examples": scores["candidate"].n_classify,
        "gate_passed": decision.passed,
        "report": dg.MetadataValue.md(markdown),
        "mlflow_run_id": sft_adapter["mlflow_run_id"],
    }
    if "champion" in scores:
        metadata["champion_accuracy"] = round(scores["champion"].accuracy, 4)
        metadata["champion_version"] = champion_info.version  # type: ignore[union-attr]
    return dg.Output(report, metadata=metadata)


@dg.asset_check(asset=eval_report, blocking=True)
def eval_report__beats_base(eval_report: dict[str, Any]) -> dg.AssetCheckResult:
    """The fine-tuned model beats the base model by the configured margin; otherwise nothing is promoted."""
    gate_ = eval_report["gate"]
    models = eval_report["models"]
    return dg.AssetCheckResult(
        passed=bool(gate_["passed"]),
        description=gate_["reason"],
        metadata={
            "base_accuracy": models["base"]["accuracy"],
            "candidate_accuracy": models["candidate"]["accuracy"],
            "accuracy_gain": gate_["accuracy_gain"],
            "required_gain": gate_["required_gain"],
            "reason": gate_["reason"],
        },
    )
