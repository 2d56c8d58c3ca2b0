"""train: the base model (the platform's tiny model, a local folder or a hub id) and the SFT adapter."""


import math
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from finetune_platform.defs.groups import TRAIN
from finetune_platform.defs.metadata import image
from finetune_platform.resources import MlflowResource, PlatformResource
from finetune_platform.training.base_model import BaseModelSettings
from finetune_platform.training.sft import SFTSettings


class BaseModelConfig(dg.Config, BaseModelSettings):
    """Which foundation model to start from; the tiny-model fields apply to source='tiny' only."""


class SFTAdapterConfig(dg.Config, SFTSettings):
    """Supervised fine-tuning: LoRA or full, optimiser, length, checkpointing."""


@dg.asset(group_name=TRAIN, compute_kind="transformers")
def base_model(
    context: dg.AssetExecutionContext,
    config: BaseModelConfig,
    training_set: dict[str, Any],
    platform: PlatformResource,
) -> dg.Output[dict[str, Any]]:
    """The foundation model folder. ``tiny`` builds (or reuses, by content hash) the platform's stand-in,
    pretrained on the training split's tickets and replies; ``local``/``hub`` take any HF causal LM."""
    from finetune_platform.datasets.split import read_training_set
    from finetune_platform.formats.instructions import pretraining_corpus
    from finetune_platform.training.base_model import describe_model_folder, resolve_base_model
    from finetune_platform.training.tiny_model import build_tiny_model

    cache_root = platform.settings().artifacts_dir / "base_models"
    extra: dict[str, Any] = {}
    if config.source == "tiny":
        corpus = pretraining_corpus(read_training_set(Path(training_set["path"]))["train"])
        built = build_tiny_model(corpus, config.tiny_settings(), cache_root / "tiny")
        path = built.path
        extra = {
            "cache_key": built.cache_key,
            "reused_cache": built.reused,
            "pretrain_corpus_documents": len(corpus),
            "pretrain_seconds": round(built.seconds, 1),
            "pretrain_final_loss": built.loss_history[-1][1] if built.loss_history else float("nan"),
        }
        context.log.info(f"tiny base model {'reused' if built.reused else 'built'} at {path}")
    else:
        path = resolve_base_model(config, [], cache_root)
    info = describe_model_folder(path)
    value = {
        "path": str(path),
        "source": config.source,
        "name_or_path": config.name_or_path or "finetune-platform/tiny-llama",
        "architecture": info.architecture,
        "n_params": info.n_params,
        "license": info.license,
    }
    return dg.Output(
        value,
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "source": config.source,
            "architecture": info.architecture,
            "parameters": info.n_params,
            "license": info.license,
            "vocab_size": info.vocab_size,
            **extra,
        },
    )


@dg.asset(group_name=TRAIN, compute_kind="trl")
def sft_adapter(
    context: dg.AssetExecutionContext,
    config: SFTAdapterConfig,
    base_model: dict[str, Any],
    training_set: dict[str, Any],
    platform: PlatformResource,
    mlflow: MlflowResource,
) -> dg.Output[dict[str, Any]]:
    """Task SFT (completion-only loss) with TRL, LoRA by default, checkpointed and resumable.

    The output folder is keyed by the data version, base model and config, so re-materializing after a
    crash resumes from the last checkpoint, while a changed config or data version starts fresh.
    """
    from finetune_platform.datasets.split import read_training_set
    from finetune_platform.evaluation.plots import plot_loss_curve
    from finetune_platform.training.provenance import config_hash, git_commit
    from finetune_platform.training.sft import train_sft

    settings = platform.settings()
    splits = read_training_set(Path(training_set["path"]))
    key = config_hash(training_set["dvc_md5"], base_model["path"], config.model_dump())
    output_dir = settings.artifacts_dir / "sft_adapter" / f"{training_set['dvc_md5'][:12]}-{key}"
    tags = {
        "dataset.dvc_md5": training_set["dvc_md5"],
        "dagster.run_id": context.run_id,
        "git.commit": git_commit(settings.root),
        "base_model": base_model["name_or_path"],
        "stage": "sft",
    }
    with mlflow.tracker().start_run("sft_adapter", tags=tags) as run:
        run.log_params({"sft": config.model_dump(), "base_model": base_model, "data": training_set["counts"]})

        def on_log(step: int, metrics: dict[str, float]) -> None:
            run.log_metrics(metrics, step=step)
            context.log.info(f"step {step}: " + ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))

        result = train_sft(
            Path(base_model["path"]), splits["train"], splits["validation"], config, output_dir, on_log=on_log
        )
        plot = plot_loss_curve(
            result.loss_history, output_dir / "loss_curve.png", eval_loss=result.eval_loss, title="SFT training loss"
        )
        run.log_metrics(
            {
                "final_train_loss": result.final_train_loss or float("nan"),
                "eval_loss": result.eval_loss if result.eval_loss is not None else float("nan"),
                "train_tokens_per_second": result.train_tokens_per_second,
                "train_seconds": result.train_seconds,
            }
        )
        run.log_artifact(result.model_path, "model")
        run.log_artifact(plot)
        run.log_dict(result.to_dict(), "sft_result.json")
        run_url = run.url
    value = {
        "model_path": str(result.model_path),
        "base_model_path": base_model["path"],
        "method": result.method,
        "mlflow_run_id": run.run_id,
        "dvc_md5": training_set["dvc_md5"],
        "global_step": result.global_step,
        "loss_history": result.loss_history,
        "final_train_loss": result.final_train_loss,
        "eval_loss": result.eval_loss,
    }
    return dg.Output(
        value,
        metadata={
            "method": result.method,
            "model_path": dg.MetadataValue.path(str(result.model_path)),
            "mlflow_run_id": run.run_id,
            "mlflow_run": dg.MetadataValue.url(run_url) if "://" in run_url else run_url,
            "dvc_md5": training_set["dvc_md5"],
            "global_step": result.global_step,
            "resumed_from_checkpoint": result.resumed_from_checkpoint or "no",
            "final_train_loss": result.final_train_loss,
            "eval_loss": result.eval_loss,
            "train_seconds": round(result.train_seconds, 1),
            "train_tokens_per_second": round(result.train_tokens_per_second, 1),
            "loss_curve": image(plot),
        },
    )


@dg.asset_check(asset=sft_adapter, blocking=True)
def sft_adapter__loss_decreased(sft_adapter: dict[str, Any]) -> dg.AssetCheckResult:
    """Training loss is finite everywhere and ended lower than it started."""
    history = [(int(s), float(v)) for s, v in sft_adapter["loss_history"]]
    finite = all(math.isfinite(v) for _, v in history)
    first, last = (history[0][1], history[-1][1]) if history else (float("nan"), float("nan"))
    return dg.AssetCheckResult(
        passed=bool(history) and finite and last < first,
        metadata={"logged_points": len(history), "first_loss": first, "last_loss": last, "all_finite": finite},
    )


@dg.asset_check(
    asset=base_model,
    blocking=True,
    additional_ins={"training_set": dg.AssetIn("training_set"), "conversation_examples": dg.AssetIn("conversation_examples")},
)
def base_model__renders_training_data(
    base_model: dict[str, Any], training_set: dict[str, Any], conversation_examples: Any
) -> dg.AssetCheckResult:
    """Every training example fits the model's context, and every conversation renders through its chat template."""
    from transformers import AutoConfig, AutoTokenizer

    from finetune_platform.datasets.split import read_training_set
    from finetune_platform.formats.templates import check_chat_template, check_instruction_lengths

    tokenizer = AutoTokenizer.from_pretrained(base_model["path"])
    max_length = int(getattr(AutoConfig.from_pretrained(base_model["path"]), "max_position_embeddings", 2048))
    examples = pd.concat(read_training_set(Path(training_set["path"])).values(), ignore_index=True)
    pairs = check_instruction_lengths(examples, tokenizer, max_length)
    metadata: dict[str, Any] = {"max_length": max_length, "instruction_pairs": dg.MetadataValue.json(pairs.as_metadata(5))}
    passed = pairs.passed
    if getattr(tokenizer, "chat_template", None):
        chats = check_chat_template(conversation_examples, tokenizer, max_length)
        metadata["conversations"] = dg.MetadataValue.json(chats.as_metadata(5))
        passed = passed and chats.passed
    else:
        metadata["conversations"] = "skipped: the model's tokenizer has no chat template"
    return dg.AssetCheckResult(passed=passed, metadata=metadata)
