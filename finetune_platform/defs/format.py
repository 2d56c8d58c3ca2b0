"""format: curated records -> instruction pairs (classify the ticket, draft the reply)."""


import dagster as dg
import pandas as pd

from finetune_platform.defs.groups import FORMAT
from finetune_platform.defs.metadata import counts_table, preview
from finetune_platform.formats.completion import CompletionSettings, build_completion_documents
from finetune_platform.formats.conversations import ConversationSettings, build_conversations
from finetune_platform.formats.instructions import (
    FormatSettings,
    build_instruction_examples,
    example_char_limits,
    format_stats,
)


class FormatConfig(dg.Config, FormatSettings):
    """Tasks to build and prompt/completion length limits."""


@dg.asset(group_name=FORMAT, compute_kind="pandas")
def instruction_examples(
    context: dg.AssetExecutionContext, config: FormatConfig, curated_records: pd.DataFrame
) -> dg.Output[pd.DataFrame]:
    """Prompt/completion pairs for each task a curated record supports."""
    examples = build_instruction_examples(curated_records, config)
    stats = format_stats(curated_records, examples)
    context.log.info(f"{stats['examples']} examples from {stats['records']} records")
    return dg.Output(
        examples,
        metadata={
            "examples": stats["examples"],
            "examples_per_task": dg.MetadataValue.json(stats["examples_per_task"]),
            "labels": dg.MetadataValue.json(stats["labels"]),
            "records_without_label": stats["records_without_label"],
            "records_without_response": stats["records_without_response"],
            # the longest prompt / completion these settings make: the training-set expectations' bounds
            **dict(zip(("max_prompt_chars", "max_completion_chars"), example_char_limits(config), strict=True)),
            "preview": preview(examples, ["example_id", "prompt", "completion"]),
        },
    )


@dg.asset_check(asset=instruction_examples, blocking=True)
def instruction_examples__schema(instruction_examples: pd.DataFrame) -> dg.AssetCheckResult:
    """Ids unique, no empty prompt or completion, every classify example labelled."""
    ex = instruction_examples
    problems = {
        "duplicate_example_ids": int(ex["example_id"].duplicated().sum()),
        "empty_prompts": int((ex["prompt"].str.strip() == "").sum()),
        "empty_completions": int((ex["completion"].str.strip() == "").sum()),
        "unlabelled_classify": int(((ex["task"] == "classify") & (ex["label"] == "")).sum()),
    }
    return dg.AssetCheckResult(
        passed=len(ex) > 0 and not any(problems.values()),
        metadata={"examples": len(ex), **problems},
    )


class ConversationConfig(dg.Config, ConversationSettings):
    """System prompt and turn clean-up for multi-turn conversation examples."""


@dg.asset(group_name=FORMAT, compute_kind="pandas")
def conversation_examples(
    context: dg.AssetExecutionContext, config: ConversationConfig, curated_records: pd.DataFrame
) -> dg.Output[pd.DataFrame]:
    """Multi-turn conversations in OpenAI ``messages`` form (chat transcripts keep all their turns)."""
    result = build_conversations(curated_records, config)
    context.log.info(f"{len(result.examples)} conversations, {len(result.skipped)} records skipped")
    return dg.Output(
        result.examples,
        metadata={
            "conversations": len(result.examples),
            "skipped": len(result.skipped),
            "skipped_by_reason": counts_table(result.skipped["reason"].value_counts().to_dict()),
            "stats": dg.MetadataValue.json(result.stats),
            "preview": preview(result.examples, ["example_id", "messages"]),
        },
    )


class CompletionConfig(dg.Config, CompletionSettings):
    """How records become plain documents for continued (domain) pretraining."""


@dg.asset(group_name=FORMAT, compute_kind="pandas")
def completion_corpus(
    context: dg.AssetExecutionContext, config: CompletionConfig, curated_records: pd.DataFrame
) -> dg.Output[pd.DataFrame]:
    """Plain-text documents (ticket and reply, or the whole conversation) for domain-adaptive pretraining."""
    result = build_completion_documents(curated_records, config)
    return dg.Output(
        result.documents,
        metadata={
            "documents": len(result.documents),
            "skipped": len(result.skipped),
            "stats": dg.MetadataValue.json(result.stats),
            "preview": preview(result.documents, ["doc_id", "text"]),
        },
    )
