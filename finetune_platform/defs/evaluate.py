"""evaluate: base model, candidate and current champion on the same held-out examples; the gate."""


from pathlib import Path
from typing import Any

import dagster as dg

from finetune_platform.defs.groups import EVALUATE
from finetune_platform.evaluation.report import EvalSettings
from finetune_platform.defs.metadata import image
from finetune_platform.resources import MlflowResource, PlatformResource, RegistryResource


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
    platform: PlatformResource,
) -> dg.Output[dict[str, Any]]:
    """Accuracy (real greedy generation) and perplexity on the test split for base, candidate, champion."""
    from finetune_platform.datasets.split import read_training_set
    from finetune_platform.evaluation.generation import load_causal_lm
    from finetune_platform.evaluation.plots import plot_confusion_matrix, plot_loss_curve
    from finetune_platform.evaluation.slices import attach_slice_columns, metrics_by_slice, slices_markdown
    from finetune_platform.evaluation.report import build_report, gate, report_markdown, score_model, select_examples
    from finetune_platform.training.tracking import TrackedRun

    test = read_training_set(Path(training_set["path"]))["test"]
    classify, ppl, replies = select_examples(test, config)
    labels = training_set["labels"]

    def score(name: str, model: Any, tokenizer: Any) -> Any:
        return score_model(
            name, model, tokenizer, classify, ppl, config.batch_size, replies, labels, config.reply_max_new_tokens
        )

    scores = {}
    scores["base"] = score("base", *load_causal_lm(sft_adapter["base_model_path"]))
    scores["candidate"] = score("candidate", *load_causal_lm(sft_adapter["base_model_path"], sft_adapter["model_path"]))
    champion_info = registry.registry().get_by_alias("champion") if config.evaluate_champion else None
    if champion_info is not None:
        champion = registry.registry().load("champion").unwrap_python_model()
        scores["champion"] = score(f"champion (v{champion_info.version})", champion.model, champion.tokenizer)
    decision = gate(scores["base"], scores["candidate"], config)
    report = build_report(scores, decision)
    predictions = attach_slice_columns(scores["candidate"].predictions, classify, ("source",))
    slices = metrics_by_slice(predictions, ("source", "label"), min_n=config.min_slice_n, known_labels=labels)
    report["slices"] = slices.to_dict(orient="records")
    report["confusion"] = scores["candidate"].confusion.reset_index().to_dict(orient="records")
    plots_dir = platform.settings().artifacts_dir / "eval_report" / context.run_id
    confusion_png = plot_confusion_matrix(
        scores["candidate"].confusion, plots_dir / "confusion_matrix.png", title="candidate: category confusion"
    )
    loss_png = plot_loss_curve(
        sft_adapter["loss_history"], plots_dir / "loss_curve.png", eval_loss=sft_adapter.get("eval_loss"),
        title="SFT training loss",
    )
    report["champion_version"] = champion_info.version if champion_info else None
    report["mlflow_run_id"] = sft_adapter["mlflow_run_id"]
    markdown = report_markdown(report)
    run = TrackedRun(mlflow.tracker(), sft_adapter["mlflow_run_id"])
    metrics = {f"eval.{name}.{k}": getattr(s, k) for name, s in scores.items() for k in ("accuracy", "macro_f1", "perplexity")}
    metrics.update({f"eval.{name}.reply_{k}": v for name, s in scores.items() for k, v in s.reply.items() if k != "n"})
    run.log_metrics({k: v for k, v in metrics.items() if v == v})  # NaN (e.g. undefined macro-F1) is not logged
    run.log_dict(report, "eval_report.json")
    run.log_artifact(confusion_png)
    run.log_artifact(loss_png)
    context.log.info(markdown)
    metadata: dict[str, Any] = {
        "base_accuracy": round(scores["base"].accuracy, 4),
        "candidate_accuracy": round(scores["candidate"].accuracy, 4),
        "base_perplexity": round(scores["base"].perplexity, 3),
        "candidate_perplexity": round(scores["candidate"].perplexity, 3),
        "base_macro_f1": round(scores["base"].macro_f1, 4),
        "candidate_macro_f1": round(scores["candidate"].macro_f1, 4),
        "candidate_reply_rouge_l": round(scores["candidate"].reply.get("rouge_l", float("nan")), 4),
        "classify_examples": scores["candidate"].n_classify,
        "gate_passed": decision.passed,
        "report": dg.MetadataValue.md(markdown),
        "slices": dg.MetadataValue.md(slices_markdown(slices)),
        "confusion_matrix": image(confusion_png),
        "loss_curve": image(loss_png),
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
