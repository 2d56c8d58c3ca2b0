"""format: curated records -> instruction pairs (classify the ticket, draft the reply)."""


import dagster as dg
import pandas as pd

from finetune_platform.defs.groups import FORMAT
from finetune_platform.defs.metadata import preview
from finetune_platform.formats.instructions import FormatSettings, build_instruction_examples, format_stats


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
