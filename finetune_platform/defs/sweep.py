"""sweep: several SFT configurations (the trials of data/sweep.yaml) trained on the same data version, each
a partition of ``sweep_trial``, and ``sweep_comparison`` tabulating the finished ones."""


import math
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field

from finetune_platform.defs.version import require_published
from finetune_platform.defs.groups import SWEEP
from finetune_platform.defs.metadata import image
from finetune_platform.defs.partitions import SWEEP_TRIALS
from finetune_platform.defs.train import LaunchConfig, _launch_field, _mlflow_target, _Result, _write_parquet, train_in_subprocess
from finetune_platform.resources import MlflowResource, PlatformResource

#: Where the sweep is defined, relative to the platform root.
SWEEP_FILE = Path("data") / "sweep.yaml"


class SweepTrialConfig(dg.Config):
    """How each trial is launched and how much held-out data it is scored on (its settings come from the file)."""

    launch: LaunchConfig = _launch_field()
    eval_examples: int = Field(200, ge=10, le=100_000, description="Validation classify examples scored per trial.")
    eval_batch_size: int = Field(32, ge=1, le=1024, description="Prompts per generation batch when scoring.")


@dg.asset(group_name=SWEEP, partitions_def=SWEEP_TRIALS, compute_kind="trl")
def sweep_trial(
    context: dg.AssetExecutionContext,
    config: SweepTrialConfig,
    domain_adapted_model: dict[str, Any],
    training_set: dict[str, Any],
    platform: PlatformResource,
    mlflow: MlflowResource,
) -> dg.Output[dict[str, Any]]:
    """One sweep trial: SFT with the trial's settings (through Dagster Pipes, like ``sft_adapter``), then
    accuracy and macro-F1 by greedy generation and completion perplexity on the validation split."""
    require_published(context, training_set)
    from finetune_platform.datasets.split import read_training_set_version
    from finetune_platform.training.launch import SFTRequest
    from finetune_platform.training.provenance import CODE_ROOT, config_hash, git_commit
    from finetune_platform.training.sweep import describe_changes, load_sweep, trial_figures

    trial = context.partition_key
    settings = platform.settings()
    spec = load_sweep(settings.root / SWEEP_FILE)
    sft_settings = spec.settings(trial)
    base = domain_adapted_model
    splits = read_training_set_version(Path(training_set["path"]), training_set["dvc_md5"])
    key = config_hash(training_set["dvc_md5"], base["path"], sft_settings.model_dump(), config.launch.model_dump())
    output_dir = settings.artifacts_dir / "sweep_trial" / f"{training_set['dvc_md5'][:12]}-{trial}-{key}"
    tags = {
        "dataset.dvc_md5": training_set["dvc_md5"], "dagster.run_id": context.run_id, "git.commit": git_commit(CODE_ROOT),
        "stage": "sft", "sweep.trial": trial, "base_model": base["name_or_path"],
    }  # fmt: skip
    with mlflow.tracker().start_run(f"sweep_trial:{trial}", tags=tags) as run:
        run.log_params({"sft": sft_settings.model_dump(), "trial": trial, "changes": describe_changes(spec, trial)})
        request = SFTRequest(
            base_model_path=base["path"],
            train_path=_write_parquet(splits["train"], output_dir / "inputs" / "train.parquet"),
            validation_path=_write_parquet(splits["validation"], output_dir / "inputs" / "validation.parquet"),
            output_dir=str(output_dir),
            settings=sft_settings,
            mlflow=_mlflow_target(mlflow, run.run_id),
        )
        result = _Result(train_in_subprocess(context, request, config.launch))
        figures = trial_figures(
            base["path"], result.data, splits["validation"], training_set["labels"], config.eval_examples,
            config.eval_batch_size,
        )
        scored = int(figures.pop("scored_examples"))
        run.log_metrics({f"validation_{k}" if k in ("accuracy", "macro_f1") else k: v for k, v in figures.items()})
    value = {
        "trial": trial, "model_path": str(result.model_path), "base_model_path": base["path"],
        "mlflow_run_id": run.run_id, "dvc_md5": training_set["dvc_md5"], "method": sft_settings.method,
        "global_step": result.global_step, "changes": describe_changes(spec, trial), **figures,
    }  # fmt: skip
    return dg.Output(
        value,
        metadata={
            **{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in figures.items()},
            "scored_examples": scored,
            "trial": trial,
            "changes": value["changes"],
            "method": sft_settings.method,
            "global_step": result.global_step,
            "mlflow_run_id": run.run_id,
            "dvc_md5": training_set["dvc_md5"],
            "model_path": dg.MetadataValue.path(str(result.model_path)),
        },
    )


def trial_records(instance: dg.DagsterInstance, trials: list[str] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """The latest ``sweep_trial`` value of each of ``trials`` (default: every registered partition), read from
    its metadata, and the trials not materialized yet."""
    rows, missing = [], []
    for trial in trials if trials is not None else instance.get_dynamic_partitions(SWEEP_TRIALS.name):
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("sweep_trial"), asset_partitions=[trial]), limit=1
        ).records
        if not records or records[0].asset_materialization is None:
            missing.append(trial)
            continue
        metadata = {k: getattr(v, "value", v) for k, v in records[0].asset_materialization.metadata.items()}
        rows.append({k: (math.nan if v is None else v) for k, v in metadata.items()})
    return rows, missing


def _current_data_version(instance: dg.DagsterInstance) -> str | None:
    """The DVC hash the latest ``training_set`` materialization recorded, if any."""
    records = instance.fetch_materializations(dg.AssetKey("training_set"), limit=1).records
    if not records or records[0].asset_materialization is None:
        return None
    value = records[0].asset_materialization.metadata.get("dvc_md5")
    return getattr(value, "value", None)


@dg.asset(group_name=SWEEP, deps=[sweep_trial], compute_kind="pandas")
def sweep_comparison(
    context: dg.AssetExecutionContext, platform: PlatformResource, mlflow: MlflowResource
) -> dg.Output[pd.DataFrame]:
    """The sweep's finished trials side by side, ranked by validation accuracy (then eval loss), with the
    best trial named; trials not trained yet are listed, not guessed."""
    from finetune_platform.evaluation.plots import plot_bars
    from finetune_platform.training.sweep import comparison_markdown, comparison_table

    from finetune_platform.training.sweep import trial_names

    # Only the trials the sweep file defines now: a trial removed from the file keeps its partition (and its
    # old result) in the instance, but is no longer part of the sweep.
    current = trial_names(platform.settings().root / SWEEP_FILE) or None
    rows, missing = trial_records(context.instance, current)
    # Trials are ranked against each other only on one data version: the training set's current one (else
    # the newest trial's); a trial trained on another is listed to retrain, not ranked.
    version = _current_data_version(context.instance) or (rows[-1].get("dvc_md5") if rows else None)
    other_version = sorted(str(r.get("trial")) for r in rows if version and r.get("dvc_md5") != version)
    rows = [r for r in rows if not version or r.get("dvc_md5") == version]
    if other_version:
        context.log.warning(
            f"sweep trials {other_version} were trained on another training set version than {version}: left out of "
            "the ranking; materialize their sweep_trial partitions again to compare them"
        )
    table = comparison_table(rows)
    if table.empty:
        if other_version:
            raise ValueError(
                f"no sweep trial has been trained on the current training set version {version}; trials "
                f"{other_version} were trained on another: materialize their sweep_trial partitions again"
            )
        raise ValueError(
            "no sweep trial has been trained yet: materialize sweep_trial for the trials of data/sweep.yaml "
            f"(partitions: {missing or 'none registered; the sweep_file_sensor or `finetune-platform sweep` adds them'})"
        )
    markdown = comparison_markdown(table)
    out_dir = platform.settings().artifacts_dir / "sweep_comparison" / context.run_id
    chart = plot_bars(
        dict(zip(table["trial"], table["accuracy"].astype(float))), out_dir / "accuracy.png",
        title="Sweep: validation accuracy per trial", ylabel="accuracy",
    )  # fmt: skip
    best = table.iloc[0]
    with mlflow.tracker().start_run("sweep_comparison", tags={"dagster.run_id": context.run_id}) as run:
        run.log_dict(table.to_dict(orient="records"), "sweep_comparison.json")
        run.log_artifact(chart)
        run.log_metrics({"best_accuracy": float(best["accuracy"]), "trials": float(len(table))})
    return dg.Output(
        table,
        metadata={
            "trials": len(table),
            "not_trained": ", ".join(missing) or "none",
            "data_version": str(version),
            "trained_on_another_data_version": ", ".join(other_version) or "none",
            "best_trial": str(best["trial"]),
            "best_accuracy": float(best["accuracy"]),
            "comparison": dg.MetadataValue.md(markdown),
            "accuracy_chart": image(chart),
            "mlflow_run_id": run.run_id,
        },
    )
