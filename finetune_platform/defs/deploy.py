"""deploy: register the evaluated model in the MLflow registry; challenger always, champion if better."""


from typing import Any

import dagster as dg
from pydantic import Field

from finetune_platform.defs.groups import DEPLOY
from finetune_platform.resources import MlflowResource, RegistryResource
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
    from finetune_platform.serving.registry import CHALLENGER, CHAMPION

    reg = registry.registry()
    candidate = eval_report["models"]["candidate"]
    info = reg.register(
        aligned_adapter["mlflow_run_id"],
        aligned_adapter["base_model_path"],
        aligned_adapter["model_path"],
        metrics={"accuracy": candidate["accuracy"], "perplexity": candidate["perplexity"]},
        tags={"dataset.dvc_md5": aligned_adapter["dvc_md5"], "dagster.run_id": context.run_id, "method": aligned_adapter["method"]},
    )
    reg.set_alias(info.version, CHALLENGER)
    champion = next((m for name, m in eval_report["models"].items() if name.startswith("champion")), None)
    if champion is None and reg.get_by_alias(CHAMPION) is None:
        promoted, reason = True, "no champion yet: the first model that passes the eval gate becomes champion"
    elif champion is None:
        promoted, reason = False, "a champion exists but was not scored on these examples (evaluate_champion off)"
    else:
        gain = candidate["accuracy"] - champion["accuracy"]
        promoted = gain > config.champion_margin
        reason = (
            f"candidate accuracy {candidate['accuracy']:.3f} vs champion {champion['accuracy']:.3f} "
            f"({gain:+.3f}; must exceed {config.champion_margin:+.3f})"
        )
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
