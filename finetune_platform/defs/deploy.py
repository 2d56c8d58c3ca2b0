"""deploy: register the evaluated model in the MLflow registry; challenger always, champion if better."""


from typing import Any, Literal

import dagster as dg
import pandas as pd
from pydantic import Field

from finetune_platform.defs.groups import DEPLOY
from finetune_platform.rag.index import KnowledgeSettings
from finetune_platform.resources import MlflowResource, PlatformResource, RegistryResource
from finetune_platform.training.tracking import TrackedRun


class RegisterConfig(dg.Config):
    champion_margin: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Accuracy the candidate must gain over the current champion (same examples) to become champion.",
    )


@dg.asset(group_name=DEPLOY, compute_kind="mlflow")
def registered_model(
    context: dg.AssetExecutionContext,
    config: RegisterConfig,
    aligned_adapter: dict[str, Any],
    eval_report: dict[str, Any],
    base_model: dict[str, Any],
    training_set: dict[str, Any],
    registry: RegistryResource,
    mlflow: MlflowResource,
) -> dg.Output[dict[str, Any]]:
    """A new registry version with alias ``challenger``; ``champion`` moves to it when it beats the champion."""
    from finetune_platform.evaluation.report import promotion_decision, registration_problems
    from finetune_platform.serving.registry import CHALLENGER, CHAMPION

    problems = registration_problems(eval_report, aligned_adapter["model_path"])
    if problems:
        raise dg.Failure(description="not registered: " + "; ".join(problems))
    reg = registry.registry()
    candidate = eval_report["models"]["candidate"]
    # A retry of this step (after a later failure) reuses the version this run registered, not a second copy.
    info = registered_by(reg, context.run_id, aligned_adapter["model_path"]) or reg.register(
        aligned_adapter["mlflow_run_id"],
        aligned_adapter["base_model_path"],
        aligned_adapter["model_path"],
        metrics={"accuracy": candidate["accuracy"], "perplexity": candidate["perplexity"]},
        tags={
            "dataset.dvc_md5": aligned_adapter["dvc_md5"], "dagster.run_id": context.run_id, "method": aligned_adapter["method"],
            # a DPO-aligned model also learned from preference pairs, which the training set does not hold
            **{f"dataset.{k}": str(aligned_adapter[k]) for k in ("preference_pairs_sha256", "preference_pairs_path")
               if aligned_adapter.get(k)},
            **({"dpo.mlflow_run_id": aligned_adapter["dpo_mlflow_run_id"]} if aligned_adapter.get("dpo_mlflow_run_id") else {}),
            "candidate_model_path": aligned_adapter["model_path"],
        },
    )
    reg.set_alias(info.version, CHALLENGER)
    # The champion as it is now, after registering (which copies the model and can take minutes): when
    # another run or a rollout moved it meanwhile, the report did not score it and promotion is refused.
    live = reg.get_by_alias(CHAMPION)
    promoted, reason = promotion_decision(eval_report, live.version if live is not None else None, config.champion_margin)
    if promoted:
        reg.set_alias(info.version, CHAMPION)
    aliases = sorted(reg.get_version(info.version).aliases)
    context.log.info(f"registered {reg.model_name} v{info.version} {aliases}: {reason}")
    card = _model_card(reg.model_name, info.version, aligned_adapter, eval_report, base_model, training_set, context.run_id)
    reg.client.update_model_version(reg.model_name, str(info.version), description=card)
    TrackedRun(mlflow.tracker(), aligned_adapter["mlflow_run_id"]).log_dict({"model_card": card}, "model_card.json")
    return dg.Output(
        {"model_name": reg.model_name, "version": info.version, "aliases": aliases, "promoted": promoted, "reason": reason},
        metadata={
            "model_name": reg.model_name,
            "version": info.version,
            "aliases": ", ".join(aliases),
            "promoted_to_champion": promoted,
            "reason": reason,
            "mlflow_run_id": aligned_adapter["mlflow_run_id"],
            "model_uri": f"models:/{reg.model_name}/{info.version}",
            "model_card": dg.MetadataValue.md(card),
        },
    )


def registered_by(reg: Any, run_id: str, model_path: str) -> Any:
    """The version that Dagster run ``run_id`` registered for the candidate at ``model_path`` (tags
    ``dagster.run_id``, ``candidate_model_path``), or None."""
    earlier = [v for v in reg.list_versions()
               if v.tags.get("dagster.run_id") == run_id and v.tags.get("candidate_model_path") == str(model_path)]
    return earlier[-1] if earlier else None


def _model_card(
    model_name: str,
    version: int,
    aligned_adapter: dict[str, Any],
    eval_report: dict[str, Any],
    base_model: dict[str, Any],
    training_set: dict[str, Any],
    dagster_run_id: str,
) -> str:
    """The model card stored with the registry version (its description) and shown in metadata."""
    from finetune_platform.evaluation.model_card import render_model_card

    tiny = base_model["source"] == "tiny"
    return render_model_card(
        {
            "model_name": model_name,
            "model_version": str(version),
            "base_model": {
                "name": base_model["name_or_path"],
                "licence": base_model["license"],
                "source": base_model["source"],
                "parameters": base_model["n_params"],
                "description": "the platform's tiny Llama, built and pretrained offline: a stand-in for a real "
                "foundation model"
                if tiny
                else base_model["architecture"],
            },
            "data": {
                "versions": [{"name": "training_set", "dvc_md5": training_set["dvc_md5"], "path": training_set["path"]}],
                "splits": training_set["counts"],
                "sources": training_set.get("sources", {}),
            },
            "training": {
                "method": aligned_adapter["method"],
                "global_step": aligned_adapter["global_step"],
                "final_train_loss": aligned_adapter["final_train_loss"],
                "mlflow_run_id": aligned_adapter["mlflow_run_id"],
                "dagster_run_id": dagster_run_id,
                # preference alignment on top of that SFT model: its own steps, loss and run (None without DPO)
                "dpo": aligned_adapter.get("dpo"),
            },
            "evaluation": {
                "models": eval_report["models"],
                "gate": eval_report["gate"],
                "slices": eval_report.get("slices"),
            },
            "intended_use": "Drafting replies to and routing (classifying) customer-support tickets of the "
            "categories in the training data, with a human agent reviewing the answer.",
            "limitations": [
                "Evaluated only on held-out tickets from the same sources and period as the training data.",
                "Categories outside the training labels are never predicted.",
            ]
            + (["The tiny base model is a stand-in: its replies are fluent only within the training domain."] if tiny else []),
            "out_of_scope": ["Autonomous replies without review", "Legal, medical or financial advice"],
        }
    )


class DeploymentConfig(dg.Config):
    """An operator action on the live rollout (launch ``deployment_job`` from the UI's launchpad)."""

    action: Literal["record", "start_rollout", "set_canary", "kill_switch_on", "kill_switch_off", "rollback"] = Field(
        "record",
        description="record: change nothing, record the state (what retrain_job does); start_rollout: staged "
        "canary from the first share (canary_rollout_sensor advances it); set_canary: share of users on the "
        "challenger; kill_switch_on/off: all traffic to the champion / restore the canary; rollback: share 0 "
        "and kill switch on.",
    )
    canary_share: float | None = Field(None, ge=0.0, le=1.0, description="set_canary only: 0.05 = 5% of users.")
    reason: str = Field("", description="Why (kept in the rollout state and this asset's history).")


@dg.asset(group_name=DEPLOY, deps=[registered_model], compute_kind="mlflow")
def deployment(
    context: dg.AssetExecutionContext,
    config: DeploymentConfig,
    platform: PlatformResource,
    registry: RegistryResource,
) -> dg.Output[dict[str, Any]]:
    """What serves now: the registry's champion, challenger and specialists, and the rollout state (canary
    share, kill switch, staged-rollout stage) that running servers follow. Each materialization applies
    one operator action (default: none) and records before and after, so this asset's history in the UI
    is the deployment log."""
    from finetune_platform.serving.routing import apply_deployment_action

    settings = platform.settings()
    aliases = registry.registry().aliases()
    before, after = apply_deployment_action(
        settings.rollout_state_path, config.action, canary_share=config.canary_share, reason=config.reason,
        has_challenger="challenger" in aliases, challenger_version=aliases.get("challenger"),
        champion_version=aliases.get("champion"),
    )  # fmt: skip
    serving = {alias: f"v{version}" for alias, version in sorted(aliases.items())}
    context.log.info(
        f"deployment {config.action}: canary share {before.canary_share:.3f} -> {after.canary_share:.3f}, kill switch "
        f"{before.kill_switch} -> {after.kill_switch}; serving {serving or 'nothing registered yet'}"
    )
    return dg.Output(
        {"action": config.action, "before": before.to_dict(), "after": after.to_dict(), "aliases": aliases},
        metadata={
            "action": config.action,
            "canary_share": after.canary_share,
            "kill_switch": after.kill_switch,
            "rollout_stage": after.stage if after.stage is not None else "none",
            "reason": after.reason or "(none)",
            "changed": before.to_dict() != after.to_dict(),
            "aliases": dg.MetadataValue.json(serving),
            "before": dg.MetadataValue.json(before.to_dict()),
            "rollout_state_path": dg.MetadataValue.path(str(settings.rollout_state_path)),
        },
    )


# ------------------------------------------------------------------------------- hybrid RAG + fine-tuned


class KnowledgeIndexConfig(dg.Config, KnowledgeSettings):
    """Which curated records become passages, BM25's parameters, and the retrieval gate."""

    eval_k: int = Field(
        3, ge=1, le=50,
        description="Passages retrieved per question in the evaluation; keep it equal to the server's rag_top_k "
        "(`serve --rag-top-k`, default 3), so the gate judges what is served.",
    )
    eval_queries: int = Field(500, ge=1, description="Labelled curated questions the evaluation draws (seeded).")
    min_hit_rate: float = Field(
        0.5, ge=0.0, le=1.0,
        description="The retrieval gate: share of held-out questions with a passage of their own category in the top eval_k.",
    )


@dg.asset(group_name=DEPLOY, compute_kind="bm25")
def knowledge_index(
    context: dg.AssetExecutionContext,
    config: KnowledgeIndexConfig,
    curated_records: pd.DataFrame,
    platform: PlatformResource,
) -> dg.Output[dict[str, Any]]:
    """BM25 index over the curated (PII-redacted, deduplicated, reviewed) records for the hybrid pattern:
    the server adds the best passages to a chat request (``serve --rag``). Published under
    ``artifacts/knowledge_index/<fingerprint>`` with ``CURRENT`` pointing at it; retrieval evaluated on
    held-out labelled questions (each never finds itself)."""
    from finetune_platform.curation.pii import scan_for_pii
    from finetune_platform.rag.index import (
        KnowledgeIndex,
        current_index_path,
        evaluate_label_retrieval,
        passages_from_records,
        publish_index,
        release_problems,
    )

    settings = KnowledgeSettings(**{name: getattr(config, name) for name in KnowledgeSettings.model_fields})
    passages = passages_from_records(curated_records, settings)
    index = KnowledgeIndex.build(passages, settings)
    root = platform.settings().knowledge_index_dir
    questions = zip(curated_records["record_id"].astype(str), curated_records["text"].astype(str),
                    curated_records["label"].fillna("").astype(str))
    try:
        report = evaluate_label_retrieval(index, questions, k=config.eval_k, max_queries=config.eval_queries)
    except ValueError as exc:  # no labelled record: nothing to judge retrieval by
        context.log.warning(f"knowledge index retrieval not evaluated: {exc}")
        report = None
    retrieval = report.to_dict() if report is not None else None
    # Write, audit, publish: the server follows CURRENT, so an index is pointed at only when it passes the
    # gates its blocking checks judge (they run after this asset, too late to stop CURRENT moving).
    held_back = release_problems(retrieval, config.min_hit_rate, len(scan_for_pii(p.text for p in index.passages)))
    folder = publish_index(index, root, point=not held_back)
    if held_back:
        serving = current_index_path(root)
        context.log.warning(
            f"knowledge index {index.fingerprint[:16]} saved at {folder} but not published: {'; '.join(held_back)}. "
            f"The server keeps {serving or 'no index'}."
        )
    context.log.info(
        f"knowledge index {index.fingerprint[:16]}: {len(index)} passages from {index.manifest['records']} records"
        + (f"; hit@{config.eval_k} {report.hit_rate:.3f} (chance {report.chance_hit_rate:.3f})" if report else "")
    )
    value = {
        "path": str(folder),
        "root": str(root),
        "fingerprint": index.fingerprint,
        "passages": len(index),
        "records": index.manifest["records"],
        "k": config.eval_k,
        "min_hit_rate": config.min_hit_rate,
        "retrieval": retrieval,
        "published": not held_back,
        "held_back_because": held_back,
    }
    metadata: dict[str, Any] = {
        "path": dg.MetadataValue.path(str(folder)),
        "published": not held_back,
        "held_back_because": "; ".join(held_back) or "-",
        "fingerprint": index.fingerprint,
        "passages": len(index),
        "records": index.manifest["records"],
        "vocabulary": index.manifest["vocabulary"],
        "by_source": dg.MetadataValue.json(index.manifest["by_source"]),
        "by_doc_type": dg.MetadataValue.json(index.manifest["by_doc_type"]),
    }
    if report is not None:
        metadata |= {
            f"hit_rate_at_{report.k}": report.hit_rate,
            f"precision_at_{report.k}": report.precision,
            "mrr": report.mrr,
            "chance_hit_rate": report.chance_hit_rate,
            "eval_queries": report.queries,
            "per_label": dg.MetadataValue.md(
                pd.DataFrame(report.per_label).T.rename_axis("label").to_markdown()
            ),
            "examples": dg.MetadataValue.json(report.examples),
        }
    return dg.Output(value, metadata=metadata)


@dg.asset_check(asset=knowledge_index, blocking=True)
def knowledge_index__retrieval(knowledge_index: dict[str, Any]) -> dg.AssetCheckResult:
    """Held-out questions find a passage of their own category in the top k at least ``min_hit_rate`` of
    the time, and more often than k random passages would (a warning, not a block, without labels)."""
    report = knowledge_index["retrieval"]
    if report is None:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description="retrieval not evaluated: the curated records carry no labels to judge relevance by",
        )
    from finetune_platform.rag.index import retrieval_passes

    k, floor = knowledge_index["k"], knowledge_index["min_hit_rate"]
    passed = bool(retrieval_passes(report, floor))
    return dg.AssetCheckResult(
        passed=passed,
        description=(
            f"hit@{k} {report['hit_rate']:.3f} (floor {floor:.3f}), chance {report['chance_hit_rate']:.3f}, "
            f"precision@{k} {report['precision']:.3f}, MRR {report['mrr']:.3f} on {report['queries']} questions"
        ),
        metadata={"hit_rate": report["hit_rate"], "min_hit_rate": floor, "chance_hit_rate": report["chance_hit_rate"]},
    )


@dg.asset_check(asset=knowledge_index, blocking=True)
def knowledge_index__no_pii(knowledge_index: dict[str, Any]) -> dg.AssetCheckResult:
    """No detectable PII in any passage the server could put in front of a user."""
    from finetune_platform.curation.pii import scan_for_pii
    from finetune_platform.rag.index import KnowledgeIndex

    index = KnowledgeIndex.load(knowledge_index["path"])
    hits = scan_for_pii(p.text for p in index.passages)
    by_type: dict[str, int] = {}
    for hit in hits:
        by_type[hit.type] = by_type.get(hit.type, 0) + 1
    return dg.AssetCheckResult(
        passed=not hits,
        metadata={
            "passages_scanned": len(index),
            "hits": len(hits),
            "hits_by_type": dg.MetadataValue.json(by_type),
            "first_hits": dg.MetadataValue.json(
                [{"passage_id": index.passages[h.index].passage_id, "type": h.type, "masked": h.masked} for h in hits[:10]]
            ),
        },
    )
