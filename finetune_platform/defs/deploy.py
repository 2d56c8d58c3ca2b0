"""deploy: register the evaluated model in the MLflow registry; challenger always, champion if better."""


from typing import Any

import dagster as dg
from pydantic import Field

from finetune_platform.defs.groups import DEPLOY
from finetune_platform.resources import RegistryResource


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
    sft_adapter: dict[str, Any],
    eval_report: dict[str, Any],
    registry: RegistryResource,
) -> dg.Output[dict[str, Any]]:
    """A new registry version with alias ``challenger``; ``champion`` moves to it when it beats the champion."""
    from finetune_platform.serving.registry import CHALLENGER, CHAMPION

    reg = registry.registry()
    candidate = eval_report["models"]["candidate"]
    info = reg.register(
        sft_adapter["mlflow_run_id"],
        sft_adapter["base_model_path"],
        sft_adapter["model_path"],
        metrics={"accuracy": candidate["accuracy"], "perplexity": candidate["perplexity"]},
        tags={"dataset.dvc_md5": sft_adapter["dvc_md5"], "dagster.run_id": context.run_id, "method": sft_adapter["method"]},
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
    return dg.Output(
        {"model_name": reg.model_name, "version": info.version, "aliases": aliases, "promoted": promoted, "reason": reason},
        metadata={
            "model_name": reg.model_name,
            "version": info.version,
            "aliases": ", ".join(aliases),
            "promoted_to_champion": promoted,
            "reason": reason,
            "mlflow_run_id": sft_adapter["mlflow_run_id"],
            "model_uri": f"models:/{reg.model_name}/{info.version}",
        },
    )
