"""Specialists behind a router with a generalist fallback.

``specialist_model`` (one partition per specialist of data/specialists.yaml): SFT on the training
examples of the specialist's labels, scored on its domain's held-out examples next to the generalist (the
champion) and the specialist serving now; the registry alias ``specialist-<name>`` follows the decision
(:mod:`finetune_platform.specialists.deploy`). ``router`` (deploy group): the domain classifier the server
routes with, evaluated on held-out curated requests.
"""


from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field

from finetune_platform.defs.version import require_published
from finetune_platform.defs.groups import DEPLOY, SPECIALISTS
from finetune_platform.defs.partitions import SPECIALIST_PARTITIONS
from finetune_platform.defs.train import LaunchConfig, _launch_field, _mlflow_target, _Result, _write_parquet, train_in_subprocess
from finetune_platform.resources import MlflowResource, PlatformResource, RegistryResource

#: Where the specialists are defined, relative to the platform root.
SPECIALISTS_FILE = Path("data") / "specialists.yaml"


class SpecialistConfig(dg.Config):
    """How each specialist is launched and how many of its domain's held-out examples decide its deployment."""

    launch: LaunchConfig = _launch_field()
    eval_examples: int = Field(200, ge=5, le=100_000, description="Held-out classify examples of the domain scored per model.")
    eval_batch_size: int = Field(32, ge=1, le=1024, description="Prompts per generation batch when scoring.")


@dg.asset(group_name=SPECIALISTS, partitions_def=SPECIALIST_PARTITIONS, compute_kind="trl")
def specialist_model(
    context: dg.AssetExecutionContext,
    config: SpecialistConfig,
    domain_adapted_model: dict[str, Any],
    training_set: dict[str, Any],
    platform: PlatformResource,
    mlflow: MlflowResource,
    registry: RegistryResource,
) -> dg.Output[dict[str, Any]]:
    """One specialist: fine-tuned on its labels' training examples (through Dagster Pipes, like
    ``sft_adapter``), registered as a version, and deployed (alias ``specialist-<name>``) only when it
    beats the generalist on its domain's test examples."""
    require_published(context, training_set)
    from finetune_platform.datasets.split import read_training_set_version
    from finetune_platform.evaluation.generation import load_causal_lm
    from finetune_platform.evaluation.report import score_model
    from finetune_platform.specialists.deploy import decide
    from finetune_platform.specialists.spec import alias_of, load_specialists
    from finetune_platform.training.launch import SFTRequest
    from finetune_platform.training.provenance import CODE_ROOT, config_hash, git_commit
    from finetune_platform.training.tracking import TrackedRun

    name = context.partition_key
    settings = platform.settings()
    spec = load_specialists(settings.root / SPECIALISTS_FILE)
    sft_settings = spec.sft_settings(name)
    labels = spec.specialists[name].labels
    splits = read_training_set_version(Path(training_set["path"]), training_set["dvc_md5"])
    domain = {split: frame[frame["label"].isin(labels)] for split, frame in splits.items()}
    absent = sorted(set(labels) - set(domain["train"]["label"]))
    if absent:  # a misspelt label would leave the specialist trained on the others without a word
        raise ValueError(
            f"specialist {name!r}: labels {absent} have no training example; the training set's labels are "
            f"{training_set['labels']} (fix {SPECIALISTS_FILE})"
        )
    if domain["train"].empty or domain["test"].empty:
        raise ValueError(
            f"specialist {name!r}: the training set has {len(domain['train'])} train and {len(domain['test'])} test "
            f"examples with labels {labels}; its labels: {training_set['labels']} (fix {SPECIALISTS_FILE})"
        )
    base = domain_adapted_model
    key = config_hash(training_set["dvc_md5"], base["path"], sft_settings.model_dump(), config.launch.model_dump(), labels)
    output_dir = settings.artifacts_dir / "specialist_model" / f"{training_set['dvc_md5'][:12]}-{name}-{key}"
    tags = {
        "dataset.dvc_md5": training_set["dvc_md5"], "dagster.run_id": context.run_id, "git.commit": git_commit(CODE_ROOT),
        "stage": "sft", "specialist": name, "specialist.labels": ",".join(labels), "base_model": base["name_or_path"],
    }  # fmt: skip
    with mlflow.tracker().start_run(f"specialist_model:{name}", tags=tags) as run:
        run.log_params({"sft": sft_settings.model_dump(), "specialist": name, "labels": labels})
        request = SFTRequest(
            base_model_path=base["path"],
            train_path=_write_parquet(domain["train"], output_dir / "inputs" / "train.parquet"),
            validation_path=_write_parquet(domain["validation"], output_dir / "inputs" / "validation.parquet"),
            output_dir=str(output_dir),
            settings=sft_settings,
            mlflow=_mlflow_target(mlflow, run.run_id),
        )
        result = _Result(train_in_subprocess(context, request, config.launch))
        run_id = run.run_id

    test = domain["test"].sort_values("example_id")
    classify = test.loc[test["task"] == "classify"].head(config.eval_examples)
    perplexity_rows = test.head(config.eval_examples)

    def accuracy(model: Any, tokenizer: Any, who: str) -> float:
        scores = score_model(
            who, model, tokenizer, classify, perplexity_rows, config.eval_batch_size, known_labels=training_set["labels"]
        )
        return float(scores.accuracy)

    reg = registry.registry()
    alias = alias_of(name)
    figures: dict[str, float | None] = {"specialist": accuracy(*load_causal_lm(base["path"], result.data["model_path"]), "specialist")}
    versions = {"champion": reg.get_by_alias("champion"), "incumbent": reg.get_by_alias(alias)}
    for who, info in versions.items():
        if info is None:
            figures[who] = None
            continue
        loaded = reg.load(info.version).unwrap_python_model()  # the version named in the figures, not the alias now
        figures[who] = accuracy(loaded.model, loaded.tokenizer, f"{who} (v{info.version})")
    decision = decide(name, figures["specialist"], figures["champion"], figures["incumbent"], spec.min_gain)
    info = reg.register(
        run_id, base["path"], result.data["model_path"],
        metrics={"accuracy": figures["specialist"]},
        tags={**tags, "method": sft_settings.method, "decision": decision.serves},
    )  # fmt: skip
    if decision.serves == "new":
        reg.set_alias(info.version, alias)
    elif decision.serves == "none":
        reg.remove_alias(alias)
    serving = reg.get_by_alias(alias)
    TrackedRun(mlflow.tracker(), run_id).log_metrics(
        {f"domain_accuracy.{who}": v for who, v in figures.items() if v is not None}
    )
    context.log.info(f"specialist {name} v{info.version}: {decision.reason}")
    value = {
        "specialist": name, "labels": labels, "model_path": result.data["model_path"], "base_model_path": base["path"],
        "version": info.version, "alias": alias, "serving_version": serving.version if serving else None,
        "decision": decision.serves, "reason": decision.reason, "domain_accuracy": figures,
        "train_examples": int(len(domain["train"])), "eval_examples": int(len(classify)), "mlflow_run_id": run_id,
    }  # fmt: skip
    return dg.Output(
        value,
        metadata={
            "specialist": name,
            "labels": ", ".join(labels),
            "version": info.version,
            "decision": decision.serves,
            "reason": decision.reason,
            "serving_version": serving.version if serving else "none (the generalist answers this domain)",
            "specialist_accuracy": round(figures["specialist"], 4),
            "generalist_accuracy": round(figures["champion"], 4) if figures["champion"] is not None else "none",
            "incumbent_accuracy": round(figures["incumbent"], 4) if figures["incumbent"] is not None else "none",
            "train_examples": int(len(domain["train"])),
            "eval_examples": int(len(classify)),
            "global_step": result.global_step,
            "mlflow_run_id": run_id,
            "model_path": dg.MetadataValue.path(str(result.model_path)),
        },
    )


class RouterConfig(dg.Config):
    """The router's held-out split, its regularisation, and its gate."""

    held_out_fraction: float = Field(0.2, gt=0.0, lt=0.9, description="Share of each label's curated requests kept out of training, for evaluation.")
    seed: int = Field(0, description="Seed of the held-out split.")
    c: float = Field(4.0, gt=0.0, description="Inverse regularisation strength of the logistic regression.")
    min_precision: float = Field(
        0.9, ge=0.0, le=1.0,
        description="The gate: share of held-out requests sent to a specialist that belong to its domain.",
    )


@dg.asset(group_name=DEPLOY, compute_kind="scikit-learn")
def router(
    context: dg.AssetExecutionContext,
    config: RouterConfig,
    curated_records: pd.DataFrame,
    platform: PlatformResource,
) -> dg.Output[dict[str, Any]]:
    """The domain router for the specialists of data/specialists.yaml (TF-IDF + logistic regression over
    the curated requests), evaluated on held-out ones and published under ``artifacts/router`` with a
    ``CURRENT`` pointer the server follows (``serve --specialists``). Without specialists: nothing to route."""
    from finetune_platform.specialists.router import (
        DomainRouter,
        evaluate_router,
        publish_router,
        router_gate_problem,
        split_held_out,
    )
    from finetune_platform.specialists.spec import load_specialists

    settings = platform.settings()
    spec = load_specialists(settings.root / SPECIALISTS_FILE)
    if not spec.specialists:
        # Published all the same: a server following the router root must stop routing to specialists that
        # were removed from the file.
        folder = publish_router(DomainRouter.generalist_only(spec), settings.artifacts_dir / "router")
        context.log.info(f"no specialists in {SPECIALISTS_FILE}: every request goes to the generalist")
        return dg.Output(
            {"path": str(folder), "specialists": [], "report": None, "min_precision": config.min_precision},
            metadata={"specialists": "none", "path": dg.MetadataValue.path(str(folder)),
                      "note": f"define specialists in {SPECIALISTS_FILE} to route requests; the router published "
                      "sends every request to the generalist"},
        )
    labelled = curated_records[curated_records["label"].fillna("").astype(str) != ""]
    texts, labels = labelled["text"].astype(str).tolist(), labelled["label"].astype(str).tolist()
    train, held = split_held_out(len(texts), labels, config.held_out_fraction, config.seed)
    fitted = DomainRouter.fit([texts[i] for i in train], [labels[i] for i in train], spec, c=config.c)
    report = evaluate_router(fitted, [texts[i] for i in held], [labels[i] for i in held], spec)
    # Write, audit, publish: the server follows CURRENT, so a router is pointed at only when it passes the gate
    # router__precision judges (that check runs after this asset, too late to stop CURRENT moving).
    held_back = router_gate_problem(report.to_dict(), config.min_precision)
    folder = publish_router(fitted, settings.artifacts_dir / "router", point=held_back is None)
    if held_back:
        context.log.warning(f"router {fitted.fingerprint[:16]} saved at {folder} but not published: {held_back}")
    context.log.info(
        f"router {fitted.fingerprint[:16]} for {fitted.specialists}: accuracy {report.accuracy:.3f}, specialist "
        f"precision {report.specialist_precision}, coverage {report.coverage}, fallback {report.fallback_rate:.3f}"
    )
    per_domain = pd.DataFrame(report.per_domain).T.rename_axis("domain")
    return dg.Output(
        {
            "path": str(folder),
            "root": str(settings.artifacts_dir / "router"),
            "fingerprint": fitted.fingerprint,
            "specialists": fitted.specialists,
            "report": report.to_dict(),
            "min_precision": config.min_precision,
            "published": held_back is None,
            "held_back_because": held_back,
        },
        metadata={
            "path": dg.MetadataValue.path(str(folder)),
            "published": held_back is None,
            "held_back_because": held_back or "-",
            "specialists": ", ".join(fitted.specialists),
            "min_confidence": spec.min_confidence,
            "accuracy": report.accuracy,
            "specialist_precision": report.specialist_precision,
            "coverage": report.coverage,
            "fallback_rate": report.fallback_rate,
            "held_out_requests": report.requests,
            "training_requests": len(train),
            "per_domain": dg.MetadataValue.md(per_domain.to_markdown()),
        },
    )


@dg.asset_check(asset=router, blocking=True)
def router__precision(router: dict[str, Any]) -> dg.AssetCheckResult:
    """Held-out requests the router sends to a specialist belong to its domain at least ``min_precision``
    of the time (falling back is always safe; a wrong route is not)."""
    from finetune_platform.specialists.router import router_gate_problem

    report = router["report"]
    if report is None:
        return dg.AssetCheckResult(passed=True, description="no specialists defined: every request goes to the generalist")
    precision, floor = report["specialist_precision"], router["min_precision"]
    problem = router_gate_problem(report, floor)
    if precision is None:
        return dg.AssetCheckResult(passed=False, description=problem)
    return dg.AssetCheckResult(
        passed=problem is None,
        description=f"specialist precision {precision:.3f} (floor {floor:.3f}), coverage {report['coverage']}, "
        f"fallback rate {report['fallback_rate']:.3f} on {report['requests']} held-out requests",
        metadata={"specialist_precision": precision, "min_precision": floor, "coverage": report["coverage"]},
    )
