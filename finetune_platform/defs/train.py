"""train: the base model (the platform's tiny model, a local folder or a hub id) and the SFT adapter."""


import math
from pathlib import Path
from typing import Any, Literal

import dagster as dg
import pandas as pd
from pydantic import Field

from finetune_platform.defs.version import require_published
from finetune_platform.defs.groups import TRAIN
from finetune_platform.defs.metadata import image
from finetune_platform.resources import LogStoreResource, MlflowResource, PlatformResource
from finetune_platform.training.tracking import TrackedRun
from finetune_platform.training.base_model import BaseModelSettings
from finetune_platform.training.dapt import DAPTSettings
from finetune_platform.training.dpo import DPOSettings
from finetune_platform.training.presets import LaunchSettings
from finetune_platform.training.precision import resolve_bf16
from finetune_platform.training.sft import SFTSettings


class LaunchConfig(dg.Config, LaunchSettings):
    """How a stage's training process is started: one process, torchrun or DeepSpeed's launcher, with
    DeepSpeed ZeRO-2/3 (its config generated from the stage's settings)."""


def _launch_field() -> Any:
    return Field(default_factory=LaunchConfig, description="How the training process is started (Dagster Pipes).")


def train_in_subprocess(context: dg.AssetExecutionContext, request: Any, launch: LaunchSettings) -> dict[str, Any]:
    """Run ``request`` (a ``training.launch`` request) in a child process through Dagster Pipes, as ``launch``
    says; each step's metrics stream into the run's logs (and the request's MLflow run) as they happen.

    Returns the entrypoint's result summary. The child's own materialization report is not used: the asset
    builds its metadata from this summary (with the loss curve and links the child cannot make).
    """
    from finetune_platform.resources.pipes_training import run_training_subprocess
    from finetune_platform.settings import torch_extensions_dir, torch_threads
    from finetune_platform.training.launch import prepare_launch

    request, spec = prepare_launch(request, launch, threads=torch_threads(), torch_extensions_dir=torch_extensions_dir())
    outcome = run_training_subprocess(context, spec, request)
    return outcome["result"]


class _Result:
    """The training process's result summary with attribute access (``result.global_step``); missing -> None."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __getattr__(self, name: str) -> Any:
        if name == "model_path":
            return Path(self.data["model_path"])
        if name == "loss_history":
            return [(int(step), float(value)) for step, value in self.data.get("loss_history", [])]
        return self.data.get(name)


#: Settings that change how a run reports, evaluates and saves, not the model it trains: the checkpoint
#: folder's key holds their defaults, so changing one (a smaller eval_batch_size after the final evaluation
#: ran out of memory) resumes the run instead of training it again from step 0.
_NEUTRAL_SETTINGS = ("eval_batch_size", "logging_steps", "save_steps", "save_total_limit", "verify_saved_model")


def _neutral(config: Any) -> dict[str, Any]:
    """:data:`_NEUTRAL_SETTINGS` of ``config``'s class at their defaults (keys stay those of default runs)."""
    fields = type(config).model_fields
    return {name: fields[name].get_default(call_default_factory=True) for name in _NEUTRAL_SETTINGS if name in fields}


def _record_resume(run: TrackedRun, result: _Result, prefix: str = "") -> None:
    """A retry that resumed a checkpoint opens a new MLflow run and streams only its own steps into it: tag
    the checkpoint it resumed and log the loss of the steps before it (from the checkpoint's history), so
    the run holds the whole curve."""
    if not result.resumed_from_checkpoint:
        return
    run.set_tags({"resumed_from_checkpoint": result.resumed_from_checkpoint})
    name = Path(result.resumed_from_checkpoint).name
    resumed_at = int(name.rpartition("-")[2]) if name.rpartition("-")[2].isdigit() else -1
    run.log_history(f"{prefix}loss", [(step, loss) for step, loss in result.loss_history if step <= resumed_at])


def _write_parquet(df: pd.DataFrame, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)
    return str(path)


def _mlflow_target(mlflow: MlflowResource, run_id: str, prefix: str = "") -> dict[str, str]:
    return {"tracking_uri": mlflow.tracking_uri, "run_id": run_id, "prefix": prefix}


class BaseModelConfig(dg.Config, BaseModelSettings):
    """Which foundation model to start from; the tiny-model fields apply to source='tiny' only."""


class SFTAdapterConfig(dg.Config, SFTSettings):
    """Supervised fine-tuning: LoRA or full, optimiser, length, checkpointing; how it is launched; export."""

    launch: LaunchConfig = _launch_field()
    export_merged: bool = Field(
        False,
        description=(
            "Also write the adapter merged into the base as one safetensors model folder (loadable by plain "
            "transformers and vLLM) and log it to MLflow."
        ),
    )
    conversations: Literal["off", "all_turns", "last_turn"] = Field(
        "off",
        description=(
            "Also train on the training set's multi-turn conversations (conversation_examples, versioned per split): "
            "each assistant reply ('all_turns') or only the last one ('last_turn') becomes a prompt/completion pair "
            "whose prompt is the conversation so far rendered through the model's own chat template with the "
            "generation prompt, exactly as the server renders a chat request. Train conversations are added to the "
            "training examples, validation conversations to the validation examples. 'off': instruction pairs only."
        ),
    )


#: ``SFTAdapterConfig.conversations`` -> ``conversation_sft_pairs(turns=...)``.
_CHAT_TURNS = {"all_turns": "all", "last_turn": "last"}


def _with_conversations(
    config: SFTAdapterConfig, training_set: dict[str, Any], model_path: str, splits: dict[str, pd.DataFrame]
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The train and validation examples, with the chat pairs of the versioned conversations of the same split
    when ``config.conversations`` is on (``formats.conversations.with_conversation_pairs``), and a summary."""
    from finetune_platform.formats.conversations import with_conversation_pairs

    examples = {name: splits[name] for name in ("train", "validation")}
    if config.conversations == "off":
        return with_conversation_pairs(examples, None, None, "off")
    from finetune_platform.datasets.split import read_conversations

    conversations = read_conversations(Path(training_set["path"]))
    if conversations is None:
        raise ValueError(
            f"conversations={config.conversations!r}, but the training set at {training_set['path']} was written "
            "without conversations (its manifest lists no conversations_*.parquet); re-materialize "
            "conversation_examples and training_set (which versions each ticket's conversation in its split), "
            "or set conversations='off'"
        )
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    return with_conversation_pairs(examples, conversations, tokenizer, _CHAT_TURNS[config.conversations])


# After published_training_set: everything trained from here records the training set's version, which must be
# in the DVC remote (pushed only once the training set's checks pass) so lineage can restore it.
@dg.asset(group_name=TRAIN, compute_kind="transformers", deps=["published_training_set"])
def base_model(
    context: dg.AssetExecutionContext,
    config: BaseModelConfig,
    training_set: dict[str, Any],
    platform: PlatformResource,
) -> dg.Output[dict[str, Any]]:
    """The foundation model folder. ``tiny`` builds (or reuses, by content hash) the platform's stand-in,
    pretrained on the training split's tickets and replies; ``local``/``hub`` take any HF causal LM."""
    require_published(context, training_set)
    from finetune_platform.datasets.split import read_training_set_version
    from finetune_platform.formats.instructions import pretraining_corpus
    from finetune_platform.training.base_model import describe_model_folder, folder_fingerprint, resolve_base_model
    from finetune_platform.training.tiny_model import build_tiny_model

    cache_root = platform.settings().artifacts_dir / "base_models"
    extra: dict[str, Any] = {}
    if config.source == "tiny":
        corpus = pretraining_corpus(read_training_set_version(Path(training_set["path"]), training_set["dvc_md5"])["train"])
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
        if config.source == "local":
            # A local folder is named by its path, and its weights can be replaced in place: training output
            # folders are keyed on this too, so a changed model never resumes (or reuses) the old one's run.
            extra["folder_fingerprint"] = folder_fingerprint(path)
    info = describe_model_folder(path)
    value = {
        "path": str(path),
        "source": config.source,
        "name_or_path": config.name_or_path or "finetune-platform/tiny-llama",
        "architecture": info.architecture,
        "n_params": info.n_params,
        "license": info.license,
    }
    if "folder_fingerprint" in extra:
        value["folder_fingerprint"] = extra["folder_fingerprint"]
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


class DomainAdaptConfig(dg.Config, DAPTSettings):
    """Continued pretraining on the domain's text (stage 1); off by default for the tiny model, which is
    already pretrained on this domain."""

    enabled: bool = Field(False, description="Run domain-adaptive pretraining; off: SFT starts from the base model.")
    launch: LaunchConfig = _launch_field()


@dg.asset(group_name=TRAIN, compute_kind="trl")
def domain_adapted_model(
    context: dg.AssetExecutionContext,
    config: DomainAdaptConfig,
    base_model: dict[str, Any],
    completion_corpus: pd.DataFrame,
    training_set: dict[str, Any],
    platform: PlatformResource,
    mlflow: MlflowResource,
) -> dg.Output[dict[str, Any]]:
    """Stage 1: the base model after continued pretraining on the completion corpus (training tickets only,
    so held-out tickets never leak into the weights); the base model itself when the stage is off."""
    require_published(context, training_set)
    from finetune_platform.datasets.split import read_training_set_version
    from finetune_platform.training.provenance import CODE_ROOT, config_hash, frame_sha256, git_commit

    if not config.enabled:
        return dg.Output(
            {**base_model, "stage": "base", "started_from": base_model["path"]},
            metadata={"skipped": True, "reason": "enabled=false: SFT starts from the base model", "path": base_model["path"]},
        )
    from finetune_platform.training.launch import DAPTRequest

    train_ids = set(read_training_set_version(Path(training_set["path"]), training_set["dvc_md5"])["train"]["record_id"])
    documents = completion_corpus.loc[completion_corpus["record_id"].isin(train_ids), ["text"]]
    settings = platform.settings()
    # The documents depend on the completion corpus's own settings too, which the data version does not cover.
    documents_sha256 = frame_sha256(documents, ["text"])
    # bf16 auto: what this machine trains with (a retry on other hardware starts fresh, as SFT's does)
    key = config_hash(
        training_set["dvc_md5"], base_model["path"],
        {**config.model_dump(), "bf16": resolve_bf16(config.bf16), **_neutral(config)},
        documents_sha256, base_model.get("folder_fingerprint"),
    )
    output_dir = settings.artifacts_dir / "domain_adapted_model" / f"{training_set['dvc_md5'][:12]}-{key}"
    tags = {"dataset.dvc_md5": training_set["dvc_md5"], "dataset.documents_sha256": documents_sha256,
            "dagster.run_id": context.run_id, "git.commit": git_commit(CODE_ROOT), "stage": "dapt",
            "base_model": base_model["name_or_path"]}
    with mlflow.tracker().start_run("domain_adapted_model", tags=tags) as run:
        # what the run trains with: bf16 resolved on this machine (auto is None in the config)
        run.log_params({"dapt": {**config.model_dump(), "bf16": resolve_bf16(config.bf16)}, "documents": len(documents)})
        request = DAPTRequest(
            base_model_path=base_model["path"],
            train_path=_write_parquet(documents, output_dir / "inputs" / "documents.parquet"),
            output_dir=str(output_dir),
            settings=DAPTSettings.model_validate(config.model_dump(exclude={"enabled", "launch"})),
            mlflow=_mlflow_target(mlflow, run.run_id),
        )
        result = _Result(train_in_subprocess(context, request, config.launch))
        run.log_metrics({"final_train_loss": result.final_train_loss or float("nan")})
        run.set_tags({"model_path": str(result.model_path)})
        _record_resume(run, result)
    return dg.Output(
        {**base_model, "path": str(result.model_path), "stage": "dapt", "started_from": base_model["path"],
         "mlflow_run_id": run.run_id},
        metadata={
            "skipped": False,
            "documents": len(documents),
            "global_step": result.global_step,
            "final_train_loss": result.final_train_loss,
            "resumed_from_checkpoint": result.resumed_from_checkpoint or "no",
            "mlflow_run_id": run.run_id,
            "path": dg.MetadataValue.path(str(result.model_path)),
        },
    )


@dg.asset(group_name=TRAIN, compute_kind="trl")
def sft_adapter(
    context: dg.AssetExecutionContext,
    config: SFTAdapterConfig,
    domain_adapted_model: dict[str, Any],
    training_set: dict[str, Any],
    platform: PlatformResource,
    mlflow: MlflowResource,
) -> dg.Output[dict[str, Any]]:
    """Stage 2: task SFT (completion-only loss) with TRL, LoRA by default, checkpointed and resumable.

    The output folder is keyed by the data version, base model and config, so re-materializing after a
    crash resumes from the last checkpoint, while a changed config or data version starts fresh.
    """
    require_published(context, training_set)
    from finetune_platform.datasets.split import read_training_set_version
    from finetune_platform.evaluation.plots import plot_loss_curve
    from finetune_platform.training.provenance import CODE_ROOT, config_hash, git_commit
    from finetune_platform.training.export import export_merged
    from finetune_platform.training.launch import SFTRequest

    base_model = domain_adapted_model  # the model SFT starts from: the domain-adapted one, or the base
    settings = platform.settings()
    instruction_splits = read_training_set_version(Path(training_set["path"]), training_set["dvc_md5"])
    splits, data = _with_conversations(config, training_set, base_model["path"], instruction_splits)
    # conversations='off' leaves the key as it was before the option existed, so earlier runs still resume
    key_config = config.model_dump(exclude={"conversations"} if config.conversations == "off" else None)
    key_config["bf16"] = resolve_bf16(config.bf16)  # auto: what this machine trains with (a resume must match)
    # Exporting a merged copy changes nothing trained: turning it on for a trained model resumes that run
    # (zero steps) and exports, instead of training again. False as before the option counted, so keys stay.
    key_config["export_merged"] = False
    key_config |= _neutral(config)  # how a run reports and saves is not what it trains
    key_parts = [training_set["dvc_md5"], base_model["path"], key_config]
    if base_model.get("folder_fingerprint"):  # a local model folder: its content, not only its path
        key_parts.append(base_model["folder_fingerprint"])
    key = config_hash(*key_parts)
    output_dir = settings.artifacts_dir / "sft_adapter" / f"{training_set['dvc_md5'][:12]}-{key}"
    tags = {
        "dataset.dvc_md5": training_set["dvc_md5"],
        "dagster.run_id": context.run_id,
        "git.commit": git_commit(CODE_ROOT),
        "base_model": base_model["name_or_path"],
        "stage": "sft",
        "started_from": base_model["stage"],
    }
    with mlflow.tracker().start_run("sft_adapter", tags=tags) as run:
        # learning_rate None means "the method's default", bf16 None "where native": log what the run uses
        sft_params = {
            **config.model_dump(),
            "learning_rate": config.effective_learning_rate,
            "bf16": resolve_bf16(config.bf16),
        }
        run.log_params({"sft": sft_params, "base_model": base_model, "data": training_set["counts"], "sft_data": data})
        request = SFTRequest(
            base_model_path=base_model["path"],
            train_path=_write_parquet(splits["train"], output_dir / "inputs" / "train.parquet"),
            validation_path=_write_parquet(splits["validation"], output_dir / "inputs" / "validation.parquet"),
            output_dir=str(output_dir),
            settings=SFTSettings.model_validate(config.model_dump(exclude={"launch", "export_merged", "conversations"})),
            mlflow=_mlflow_target(mlflow, run.run_id),
        )
        result = _Result(train_in_subprocess(context, request, config.launch))
        _record_resume(run, result)
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
        run.log_dict(result.data, "sft_result.json")
        merged_path = None
        if config.export_merged and result.method == "full":
            merged_path = result.model_path  # full fine-tuning already saved one whole model folder
            context.log.info(f"export_merged: {merged_path} is already a full model (method=full); logged as is")
            run.log_artifact(merged_path, "merged_model")
        elif config.export_merged:
            merged_path = export_merged(Path(base_model["path"]), result.model_path, output_dir / "merged")
            run.log_artifact(merged_path, "merged_model")
            context.log.info(f"merged model written to {merged_path}")
        run_url = run.url
    value = {
        "model_path": str(result.model_path),
        "base_model_path": base_model["path"],
        "foundation_model_path": base_model.get("started_from", base_model["path"]),
        "started_from": base_model["stage"],
        "method": result.method,
        "mlflow_run_id": run.run_id,
        "dvc_md5": training_set["dvc_md5"],
        "global_step": result.global_step,
        "loss_history": result.loss_history,
        "final_train_loss": result.final_train_loss,
        "eval_loss": result.eval_loss,
        "merged_model_path": str(merged_path) if merged_path else None,
    }
    return dg.Output(
        value,
        metadata={
            "method": result.method,
            "started_from": base_model["stage"],
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
            # what base_model__renders_training_data measures against in a later run that does not train
            "max_length": config.max_length if config.max_length is not None else "none: no cut",
            "loss_curve": image(plot),
            "launcher": f"{config.launch.launcher} x{config.launch.nproc_per_node}"
            + (f", ZeRO-{config.launch.zero_stage}" if config.launch.zero_stage else ""),
            "save_check": dg.MetadataValue.json(result.save_check or {}),
            # examples whose prompt fills max_length: no completion token left, so not trained on
            "prompts_too_long": dg.MetadataValue.json(result.prompts_too_long or {}),
            # examples cut at max_length: the end of their completion (and its EOS) is not trained on
            "completions_cut": dg.MetadataValue.json(result.completions_cut or {}),
            "merged_model": dg.MetadataValue.path(str(merged_path)) if merged_path else "not exported (export_merged=false)",
            "conversations": config.conversations,
            **{
                name: dg.MetadataValue.json(data[name]) if name in data else "none: conversations='off'"
                for name in ("examples_per_task", "chat_examples", "skipped_conversations")
            },
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


class RendersTrainingDataConfig(dg.Config):
    """How many over-long instruction pairs ``base_model__renders_training_data`` tolerates."""

    max_too_long_share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description=(
            "Largest share of the training set's instruction pairs (all splits) allowed to be longer than SFT's "
            "max_length, which cuts their completion; more fails the check. 0 (default): none. Pairs longer than "
            "the model's context that SFT does not cut always fail."
        ),
    )


def sft_max_length(
    run_config: dict[str, Any] | None, trains: bool = True, latest: dg.EventLogEntry | None = None
) -> tuple[int | None, str]:
    """The ``max_length`` SFT trains with, and where it came from: ``sft_adapter``'s config in this run (the
    run's whole config dict); else, when this run does not train (``trains``: sft_adapter is not in it),
    the ``max_length`` that ``latest`` (sft_adapter's latest materialization) trained with; else
    :class:`SFTAdapterConfig`'s default. None: no cut."""
    ops = (run_config or {}).get("ops") or {}
    config = (ops.get("sft_adapter") or {}).get("config") or {}
    if "max_length" in config:
        # the run config was validated against SFTAdapterConfig's schema before the run started
        return config["max_length"], "sft_adapter's config in this run"
    materialization = latest.asset_materialization if latest is not None else None
    recorded = materialization.metadata.get("max_length") if materialization is not None else None
    if not trains and recorded is not None:
        value = recorded.value
        return (value if isinstance(value, int) else None), (
            f"sft_adapter's latest materialization (run {latest.run_id[:8]}; this run sets no sft_adapter config)"
        )
    default = SFTAdapterConfig.model_fields["max_length"].get_default()
    return default, "SFTAdapterConfig's default (this run does not set sft_adapter's max_length)"


@dg.asset_check(
    asset=base_model,
    blocking=True,
    additional_ins={"training_set": dg.AssetIn("training_set"), "conversation_examples": dg.AssetIn("conversation_examples")},
)
def base_model__renders_training_data(
    context: dg.AssetCheckExecutionContext,
    config: RendersTrainingDataConfig,
    base_model: dict[str, Any],
    training_set: dict[str, Any],
    conversation_examples: Any,
) -> dg.AssetCheckResult:
    """Every instruction pair fits the ``max_length`` SFT trains with (at most ``max_too_long_share`` of them
    longer, which SFT cuts) and the model's context, and every conversation renders through its chat template.

    The max_length is that of ``sft_adapter``'s config in this run; in a run without sft_adapter, the one its
    latest materialization trained with; else SFTAdapterConfig's default (``max_length_from`` says which); the
    model's context (``max_position_embeddings``) still bounds what SFT does not cut (max_length None or above
    it). DPO's max_length does not apply here: DPO trains on the feedback preference pairs, which it fits to
    its max_length itself (``pairs_dropped.prompt_too_long``, ``pair_prompts.answers_cut``).

    A conversation longer than max_length does not fail the check (it is reported): conversations are
    trained on only with SFT's ``conversations`` on, which leaves out a prompt that fills ``max_length`` and
    counts the examples it cuts (``prompts_too_long``, ``completions_cut`` in sft_adapter's metadata); one
    that cannot render at all (malformed turns, a template that refuses it) fails it."""
    from transformers import AutoConfig, AutoTokenizer

    from finetune_platform.datasets.split import read_training_set_version
    from finetune_platform.formats.templates import check_chat_template, check_instruction_lengths

    tokenizer = AutoTokenizer.from_pretrained(base_model["path"])
    context_length = int(getattr(AutoConfig.from_pretrained(base_model["path"]), "max_position_embeddings", 2048))
    sft = dg.AssetKey("sft_adapter")
    # the run's asset selection (empty or None when it runs its whole job: then the job's assets)
    trains = sft in (context.run.asset_selection or context.job_def.asset_layer.selected_asset_keys)
    max_length, max_length_from = sft_max_length(
        context.run.run_config, trains, None if trains else context.instance.get_latest_materialization_event(sft)
    )
    examples = pd.concat(read_training_set_version(Path(training_set["path"]), training_set["dvc_md5"]).values(), ignore_index=True)
    pairs = check_instruction_lengths(
        examples, tokenizer, max_length, context_length=context_length, max_too_long_share=config.max_too_long_share
    )
    metadata: dict[str, Any] = {
        "max_length": max_length if max_length is not None else "none: SFT does not cut (max_length=None)",
        "max_length_from": max_length_from,
        "context_length": context_length,
        "instruction_pairs": dg.MetadataValue.json(pairs.as_metadata(20)),
    }
    passed = pairs.passed
    problems = pairs.problems()
    if len(conversation_examples) == 0:
        metadata["conversations"] = "none: no curated record has an assistant turn (classification-only data)"
    elif getattr(tokenizer, "chat_template", None):
        chats = check_chat_template(conversation_examples, tokenizer, max_length, context_length=context_length)
        metadata["conversations"] = dg.MetadataValue.json(chats.as_metadata(5))
        passed = passed and not chats.failures
        if chats.failures:
            problems.append(f"conversations: {chats.problems()[0]}")
    else:
        metadata["conversations"] = "skipped: the model's tokenizer has no chat template"
    return dg.AssetCheckResult(passed=passed, metadata=metadata, description="; ".join(problems) or None)


class AlignConfig(dg.Config, DPOSettings):
    """Preference alignment with DPO (stage 3) on the preference pairs collected from user feedback."""

    enabled: bool = Field(True, description="Run DPO when there are enough preference pairs; off: ship the SFT model.")
    min_pairs: int = Field(
        50, ge=1, description="Fewer preference pairs (after decontamination) than this skips the stage, saying so."
    )
    near_duplicate_threshold: float = Field(
        0.8, gt=0.0, le=1.0,
        description="A pair whose prompt is a near-duplicate (word 3-gram Jaccard at least this) of a validation or "
        "test ticket is dropped, like an exact one (1.0: exact only).",
    )
    launch: LaunchConfig = _launch_field()


@dg.asset(group_name=TRAIN, compute_kind="trl")
def aligned_adapter(
    context: dg.AssetExecutionContext,
    config: AlignConfig,
    sft_adapter: dict[str, Any],
    training_set: dict[str, Any],
    platform: PlatformResource,
    mlflow: MlflowResource,
    log_store: LogStoreResource,
) -> dg.Output[dict[str, Any]]:
    """Stage 3: the SFT model aligned with DPO on feedback preference pairs (data/preference_pairs/*.jsonl,
    written by the monitor stage); the SFT model unchanged when the stage is off or has too few pairs.

    Pairs on a validation or test ticket (or a near-duplicate of one) are dropped, and so are pairs repeated
    across days' files: production traffic can be a held-out ticket, and DPO on it would inflate the
    evaluation that gates promotion. A pair whose answer was rated again after its day's file was written
    (a thumbs-up, another correction) is dropped too: the log store's latest rating decides.

    PII gate (blocking): before DPO trains, every text of the pairs it would train on (prompt, chosen,
    rejected, the logged conversation's turns, the retrieved passages) is scanned as the SFT data's gates scan
    theirs; any hit fails the asset, naming file, line, field, type and the value's shape (never the value).
    The log store redacts feedback on write, so a hit means PII got past it: the stage refuses rather than
    train on the rest, which would hide that."""
    require_published(context, training_set)
    from finetune_platform.datasets.split import read_training_set_version
    from finetune_platform.monitoring.feedback import (
        decontaminate_preference_pairs,
        drop_superseded_pairs,
        refuse_pairs_with_pii,
    )
    from finetune_platform.monitoring.feedback_source import read_preference_pairs
    from finetune_platform.training.provenance import CODE_ROOT, config_hash, frame_sha256, git_commit

    read = read_preference_pairs(sorted((platform.settings().data_dir / "preference_pairs").glob("*.jsonl")))
    splits = read_training_set_version(Path(training_set["path"]), training_set["dvc_md5"])
    held_out = [str(p) for name in ("validation", "test") for p in splits[name]["prompt"]]
    current, superseded = drop_superseded_pairs(read, log_store.store().latest_feedback_ids)
    pairs, cleaned = decontaminate_preference_pairs(current, held_out, config.near_duplicate_threshold)
    cleaned = {"read": len(read), "superseded": superseded, **{k: v for k, v in cleaned.items() if k != "read"},
               "prompt_too_long": 0}
    prompt_formats: dict[str, int] = {}
    pii_texts_scanned = 0
    if config.enabled and len(pairs):
        pii_texts_scanned = refuse_pairs_with_pii(pairs)  # raises, naming where, on any PII
        from transformers import AutoTokenizer

        from finetune_platform.monitoring.feedback import prompts_as_served

        # DPO sees each prompt as the server showed it to the model (a chat request's logged conversation
        # through the chat template). A pair from a file written before conversations were logged and the
        # same pair logged with its one user turn render alike: kept once.
        from finetune_platform.training.dpo import fit_to_length

        tokenizer = AutoTokenizer.from_pretrained(sft_adapter["model_path"])
        pairs, prompt_formats = prompts_as_served(pairs, tokenizer)
        context.log.info(f"preference pair prompts: {prompt_formats}")
        rendered = len(pairs)
        pairs = pairs.drop_duplicates(["prompt", "chosen", "rejected"]).reset_index(drop=True)
        duplicates = rendered - len(pairs)
        # what fits in max_length, as TRL would cut it: a prompt that fills it (a long conversation, retrieved
        # passages) leaves no answer to learn from
        pairs, lengths = fit_to_length(pairs, tokenizer, config.max_length)
        if lengths["prompt_too_long"] or lengths["answers_cut"]:
            context.log.warning(
                f"preference pairs at max_length={config.max_length}: {lengths['prompt_too_long']} dropped (the "
                f"prompt alone fills it), {lengths['answers_cut']} with the longer answer cut; the longest pair has "
                f"{lengths['longest_pair_tokens']} tokens: raise max_length to train on them whole"
            )
        cleaned = {**cleaned, "duplicates": cleaned["duplicates"] + duplicates,
                   "prompt_too_long": lengths["prompt_too_long"], "kept": len(pairs)}
        prompt_formats = {**prompt_formats, "answers_cut": lengths["answers_cut"],
                          "longest_pair_tokens": lengths["longest_pair_tokens"]}
    if cleaned["held_out_exact"] or cleaned["held_out_near"] or cleaned["duplicates"]:
        context.log.info(f"preference pairs: {cleaned}")
    skip = None
    if not config.enabled:
        skip = "enabled=false"
    elif len(pairs) < config.min_pairs:
        skip = f"{len(pairs)} preference pairs, fewer than min_pairs={config.min_pairs}"
    if skip:
        return dg.Output(
            {**sft_adapter, "stage": "sft"},
            metadata={"skipped": True, "reason": f"{skip}: the SFT model is the candidate", "pairs": len(pairs),
                      "pairs_dropped": dg.MetadataValue.json(cleaned), "pii_texts_scanned": pii_texts_scanned},
        )
    from finetune_platform.training.launch import DPORequest
    # Keyed on the pairs themselves: a count collides when other pairs of the same number come in.
    pairs_sha256 = frame_sha256(pairs, ["prompt", "chosen", "rejected"])
    key = config_hash(
        sft_adapter["model_path"], pairs_sha256,
        {**config.model_dump(), "bf16": resolve_bf16(config.bf16), **_neutral(config)},
    )
    output_dir = platform.settings().artifacts_dir / "aligned_adapter" / key
    tags = {"dataset.dvc_md5": sft_adapter["dvc_md5"], "dagster.run_id": context.run_id, "stage": "dpo",
            "started_from": "sft", "dataset.preference_pairs_sha256": pairs_sha256,
            "git.commit": git_commit(CODE_ROOT)}
    dpo_settings = DPOSettings.model_validate(
        config.model_dump(exclude={"enabled", "min_pairs", "near_duplicate_threshold", "launch"})
    )
    with mlflow.tracker().start_run("aligned_adapter", tags=tags, parent_run_id=sft_adapter["mlflow_run_id"]) as run:
        # the values the run trains with: the method's default learning rate, bf16 resolved on this machine
        dpo_params = {**config.model_dump(), "learning_rate": dpo_settings.effective_learning_rate,
                      "bf16": resolve_bf16(config.bf16)}
        run.log_params({"dpo": dpo_params, "pairs": len(pairs), "pairs_cleaning": cleaned,
                        "pair_prompts": prompt_formats})
        request = DPORequest(
            base_model_path=sft_adapter["base_model_path"],
            sft_model_path=sft_adapter["model_path"],
            train_path=_write_parquet(pairs[["prompt", "chosen", "rejected"]], output_dir / "inputs" / "pairs.parquet"),
            output_dir=str(output_dir),
            settings=dpo_settings,
            mlflow=_mlflow_target(mlflow, run.run_id, prefix="dpo."),
        )
        result = _Result(train_in_subprocess(context, request, config.launch))
        _record_resume(run, result, prefix="dpo.")
        run.log_metrics({"dpo.final_loss": result.final_loss or float("nan")})
        run.log_artifact(result.model_path, "model")
    return dg.Output(
        # The SFT fields (its run, steps, loss curve) stay: SFT trained the model DPO aligned, and its run is
        # the DPO run's parent. DPO's own figures are under "dpo"; SFT's merged export is not this model.
        {**sft_adapter, "model_path": str(result.model_path), "stage": "dpo", "method": f"{sft_adapter['method']}+dpo",
         "merged_model_path": None,
         # lineage: the pairs the model was aligned on (the registered version is tagged with them)
         "preference_pairs_sha256": pairs_sha256, "preference_pairs_path": str(output_dir / "inputs" / "pairs.parquet"),
         "dpo_mlflow_run_id": run.run_id,
         "dpo": {"global_step": result.global_step, "final_loss": result.final_loss,
                 "final_reward_accuracy": result.final_reward_accuracy, "mlflow_run_id": run.run_id,
                 "resumed_from_checkpoint": result.resumed_from_checkpoint}},
        metadata={
            "skipped": False,
            "pairs": len(pairs),
            "pairs_dropped": dg.MetadataValue.json(cleaned),
            "pii_texts_scanned": pii_texts_scanned,
            "pair_prompts": dg.MetadataValue.json(prompt_formats),
            "global_step": result.global_step,
            "final_loss": result.final_loss,
            "final_reward_accuracy": result.final_reward_accuracy,
            "resumed_from_checkpoint": result.resumed_from_checkpoint or "no",
            "dpo_mlflow_run_id": run.run_id,
            "model_path": dg.MetadataValue.path(str(result.model_path)),
        },
    )
