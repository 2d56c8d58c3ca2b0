"""evaluate: base model, candidate and current champion on the same held-out examples; the gate."""


from pathlib import Path
from typing import Any

import dagster as dg

from finetune_platform.defs.groups import EVALUATE
from pydantic import Field

from finetune_platform.evaluation.ab_test import ABTestSettings
from finetune_platform.evaluation.report import EvalSettings
from finetune_platform.defs.metadata import image
from finetune_platform.resources import LogStoreResource, MlflowResource, PlatformResource, RegistryResource


class EvalConfig(dg.Config, EvalSettings):
    """Examples to score and the margin the candidate must beat the base model by."""


@dg.asset(group_name=EVALUATE, compute_kind="transformers")
def eval_report(
    context: dg.AssetExecutionContext,
    config: EvalConfig,
    aligned_adapter: dict[str, Any],
    training_set: dict[str, Any],
    mlflow: MlflowResource,
    registry: RegistryResource,
    platform: PlatformResource,
) -> dg.Output[dict[str, Any]]:
    """Accuracy (real greedy generation) and perplexity on the test split for base, candidate, champion."""
    from finetune_platform.datasets.split import read_conversations, read_training_set_version
    from finetune_platform.evaluation.generation import load_causal_lm
    from finetune_platform.evaluation.plots import plot_confusion_matrix, plot_loss_curve
    from finetune_platform.evaluation.slices import attach_slice_columns, metrics_by_slice, slices_markdown
    from dataclasses import asdict

    from finetune_platform.evaluation.report import (
        align_chat_perplexity,
        build_report,
        champion_gate,
        gate,
        report_markdown,
        score_model,
        select_examples,
    )
    from finetune_platform.training.tracking import TrackedRun

    test = read_training_set_version(Path(training_set["path"]), training_set["dvc_md5"])["test"]
    classify, ppl, replies = select_examples(test, config)
    labels = training_set["labels"]
    conversations = read_conversations(Path(training_set["path"]))  # None: a training set without them
    test_conversations = conversations["test"] if conversations is not None else None

    def score(name: str, model: Any, tokenizer: Any) -> Any:
        return score_model(
            name, model, tokenizer, classify, ppl, config.batch_size, replies, labels, config.reply_max_new_tokens,
            test_conversations, config.max_chat_examples,
        )

    scores = {}
    # "base" is the foundation model the loop started from, before any stage of training
    scores["base"] = score("base", *load_causal_lm(aligned_adapter["foundation_model_path"]))
    scores["candidate"] = score("candidate", *load_causal_lm(aligned_adapter["base_model_path"], aligned_adapter["model_path"]))
    # The live champion is looked up either way: with evaluate_champion off the gate must say it was not
    # compared, not that there is none.
    live_champion = registry.registry().get_by_alias("champion")
    champion_info = live_champion if config.evaluate_champion else None
    if champion_info is not None:
        # by version, not alias: the alias may move while this runs, and the scores must name what was scored
        champion = registry.registry().load(champion_info.version).unwrap_python_model()
        scores["champion"] = score(f"champion (v{champion_info.version})", champion.model, champion.tokenizer)
    chat_compared = align_chat_perplexity(scores)  # every model on the replies all of them could render
    decision = gate(scores["base"], scores["candidate"], config)
    report = build_report(scores, decision)
    report["chat_perplexity_compared"] = chat_compared
    versus_champion = champion_gate(
        scores["candidate"], scores.get("champion"), config, live_champion.version if live_champion else None
    )
    report["champion_gate"] = asdict(versus_champion)
    predictions = attach_slice_columns(scores["candidate"].predictions, classify, ("source",))
    slices = metrics_by_slice(predictions, ("source", "label"), min_n=config.min_slice_n, known_labels=labels)
    report["slices"] = slices.to_dict(orient="records")
    report["confusion"] = scores["candidate"].confusion.reset_index().to_dict(orient="records")
    plots_dir = platform.settings().artifacts_dir / "eval_report" / context.run_id
    confusion_png = plot_confusion_matrix(
        scores["candidate"].confusion, plots_dir / "confusion_matrix.png", title="candidate: category confusion"
    )
    loss_png = plot_loss_curve(
        aligned_adapter["loss_history"], plots_dir / "loss_curve.png", eval_loss=aligned_adapter.get("eval_loss"),
        title="SFT training loss",
    )
    report["champion_version"] = champion_info.version if champion_info else None  # the champion scored
    report["live_champion_version"] = live_champion.version if live_champion else None
    report["candidate_model_path"] = aligned_adapter["model_path"]  # registered_model checks it scored this one
    report["mlflow_run_id"] = aligned_adapter["mlflow_run_id"]
    markdown = report_markdown(report) + f"\n**Versus the champion**: {versus_champion.reason}\n"
    run = TrackedRun(mlflow.tracker(), aligned_adapter["mlflow_run_id"])
    metrics = {
        f"eval.{name}.{k}": getattr(s, k)
        for name, s in scores.items()
        for k in ("accuracy", "macro_f1", "perplexity", "chat_perplexity")
    }
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
        "base_chat_perplexity": round(scores["base"].chat_perplexity, 3),
        "candidate_chat_perplexity": round(scores["candidate"].chat_perplexity, 3),
        "chat_examples": chat_compared["shared_replies"],
        "chat_examples_scored_per_model": dg.MetadataValue.json(chat_compared["scored_per_model"]),
        "classify_examples": scores["candidate"].n_classify,
        "gate_passed": decision.passed,
        "report": dg.MetadataValue.md(markdown),
        "slices": dg.MetadataValue.md(slices_markdown(slices)),
        "confusion_matrix": image(confusion_png),
        "loss_curve": image(loss_png),
        "mlflow_run_id": aligned_adapter["mlflow_run_id"],
    }
    if "champion" in scores:
        metadata["champion_accuracy"] = round(scores["champion"].accuracy, 4)
        metadata["champion_version"] = champion_info.version  # type: ignore[union-attr]
    return dg.Output(report, metadata=metadata)


@dg.asset_check(asset=eval_report, blocking=True)
def eval_report__beats_champion(eval_report: dict[str, Any]) -> dg.AssetCheckResult:
    """The candidate is at least as good as the current champion (plus the configured margin) on the same
    examples; when it is not, nothing is registered or promoted and the metadata says by how much it missed."""
    gate_ = eval_report["champion_gate"]
    gain = gate_["accuracy_gain"]
    return dg.AssetCheckResult(
        passed=bool(gate_["passed"]),
        description=gate_["reason"],
        metadata={
            "champion_version": eval_report.get("champion_version") or "none",
            "accuracy_gain": gain if gain == gain else "n/a",
            "required_gain": gate_["required_gain"],
            "missed_by": max(0.0, gate_["required_gain"] - gain) if gain == gain else 0.0,
            "reason": gate_["reason"],
        },
    )


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


class HumanEvalConfig(dg.Config):
    items: int = Field(30, ge=2, le=5000, description="Held-out reply prompts put in front of raters.")
    max_new_tokens: int = Field(64, ge=1, le=2048, description="Generation budget for each answer.")
    seed: int = Field(0, ge=0, description="Fixes which prompts, their order and the blinded sides.")


@dg.asset(group_name=EVALUATE, compute_kind="label-studio")
def human_eval_sheet(
    context: dg.AssetExecutionContext,
    config: HumanEvalConfig,
    aligned_adapter: dict[str, Any],
    training_set: dict[str, Any],
    eval_report: dict[str, Any],
    registry: RegistryResource,
    platform: PlatformResource,
) -> dg.Output[dict[str, Any]]:
    """Candidate vs champion (or base, before any champion) answers, blinded and shuffled, for domain
    experts (CSV and Label Studio); ratings dropped in ``ratings/`` are unblinded and aggregated with
    agreement, next to the automated metrics."""
    from finetune_platform.datasets.split import read_training_set_version
    from finetune_platform.evaluation.generation import generate, load_causal_lm
    from finetune_platform.evaluation.human_eval import (
        aggregate_human_eval,
        build_human_eval_sheet,
        export_human_eval_csv,
        export_human_eval_label_studio,
        human_eval_label_studio_config,
        import_human_ratings,
    )
    from finetune_platform.evaluation.human_eval import sheet_id as human_eval_sheet_id
    from finetune_platform.sheets import sheet_files

    test = read_training_set_version(Path(training_set["path"]), training_set["dvc_md5"])["test"]
    prompts = test.loc[test["task"] == "reply"].sample(frac=1.0, random_state=config.seed).head(config.items)
    if prompts.empty:
        prompts = test.sample(frac=1.0, random_state=config.seed).head(config.items)
    candidate_model, candidate_tok = load_causal_lm(aligned_adapter["base_model_path"], aligned_adapter["model_path"])
    candidate = generate(candidate_model, candidate_tok, prompts["prompt"].tolist(), max_new_tokens=config.max_new_tokens)
    # The champion the eval report compared with, by version: materialized again later to import ratings,
    # this asset must rebuild the same comparison even after the candidate itself became champion.
    champion_version = eval_report.get("live_champion_version", eval_report.get("champion_version"))
    if champion_version is not None:
        loaded = registry.registry().load(int(champion_version)).unwrap_python_model()
        baseline_name, baseline_model, baseline_tok = f"champion v{champion_version}", loaded.model, loaded.tokenizer
    else:
        baseline_name = "base"
        baseline_model, baseline_tok = load_causal_lm(aligned_adapter["foundation_model_path"])
    baseline = generate(baseline_model, baseline_tok, prompts["prompt"].tolist(), max_new_tokens=config.max_new_tokens)
    sheet = build_human_eval_sheet(prompts, candidate, baseline, seed=config.seed)
    # Content-addressed: the same training run can give another candidate (DPO on new pairs) or be compared
    # with another champion; ratings must stay with the comparison they rated.
    sheet_id = human_eval_sheet_id(sheet, prefix=aligned_adapter["mlflow_run_id"][:8])
    folder = platform.settings().data_dir / "human_eval" / sheet_id
    csv_path = export_human_eval_csv(sheet.sheet, folder / "sheet.csv")
    ls_path = export_human_eval_label_studio(sheet.sheet, folder / "label_studio_tasks.json")
    (folder / "label_studio_config.xml").write_text(human_eval_label_studio_config())
    key_path = platform.settings().artifacts_dir / "human_eval" / sheet_id / "key.csv"  # never shown to raters
    key_path.parent.mkdir(parents=True, exist_ok=True)
    sheet.key.to_csv(key_path, index=False)
    ratings_dir = folder / "ratings"
    files = sheet_files(ratings_dir, "rating files")
    summary = aggregate_human_eval(import_human_ratings(files, sheet.key, rater_from_filename=True)) if files else None
    candidate_accuracy = eval_report["models"]["candidate"]["accuracy"]
    return dg.Output(
        {
            "sheet_id": sheet_id,
            "items": len(sheet.sheet),
            "compared_with": baseline_name,
            "summary": summary.to_dict() if summary else None,
        },
        metadata={
            "items": len(sheet.sheet),
            "compared_with": baseline_name,
            "sheet_csv": dg.MetadataValue.path(str(csv_path)),
            "label_studio_tasks": dg.MetadataValue.path(str(ls_path)),
            "ratings_folder": dg.MetadataValue.path(str(ratings_dir)),
            "rating_files": len(files),
            "human_eval": dg.MetadataValue.md(summary.markdown() if summary else "_no ratings imported yet_"),
            "automated_candidate_accuracy": candidate_accuracy,
        },
    )


class ABTestConfig(dg.Config, ABTestSettings):
    """Which variants to compare, the significance level and the sample sizes."""

    window_days: int = Field(7, ge=1, le=365, description="Traffic of the last this many days.")


@dg.asset(group_name=EVALUATE, compute_kind="scipy")
def ab_test_report(
    context: dg.AssetExecutionContext, config: ABTestConfig, log_store: LogStoreResource, registry: RegistryResource
) -> dg.Output[dict[str, Any]]:
    """Champion vs challenger on logged production traffic: outcome metrics per variant, significance tests,
    confidence intervals and a recommendation (promote, keep, roll back) with its evidence. Each variant is
    judged on the traffic of the version its registry alias points to now: a retrain moves the challenger
    alias, and last week's challenger is not today's."""
    from datetime import datetime, timedelta, timezone

    from finetune_platform.evaluation.ab_test import analyze_ab

    end = datetime.now(timezone.utc)
    store = log_store.store()
    start = end - timedelta(days=config.window_days)
    settings = config.model_dump(exclude={"window_days"})
    aliases = registry.registry().aliases()
    versions = {v: str(aliases[v]) for v in (config.control, config.treatment) if v in aliases}
    report = analyze_ab(
        store.requests_between(start, end), store.feedback_between(start, end), **settings, versions=versions
    )
    return dg.Output(
        report.to_dict(),
        metadata={
            "decision": report.decision,
            "recommendation": report.recommendation,
            "report": dg.MetadataValue.md(report.markdown()),
        },
    )
