"""Hyperparameter sweeps: several SFT configurations trained on the same data and compared on the same
held-out examples.

A sweep file (``data/sweep.yaml``) holds a ``base`` section of ``SFTSettings`` fields shared by every trial
and a ``trials`` mapping from a trial name to the fields it changes::

    base: {num_epochs: 1.0, batch_size: 16}
    trials:
      lora-r8: {method: lora, lora_r: 8, lora_alpha: 16}
      full-lr1e-3: {method: full, lora_modules_to_save: [], learning_rate: 0.001}

Each trial becomes one partition of the ``sweep_trial`` asset (so the Dagster UI shows, reruns and
backfills them one by one) and ``sweep_comparison`` tabulates the finished ones. Plain Python: the file is
read and validated here; Dagster only names the partitions.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, Field, ValidationError

from finetune_platform.training.sft import SFTSettings
from finetune_platform.yaml_files import load_yaml

#: Trial names become partition keys and folder names: letters, digits, '.', '_', '-'.
TRIAL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

#: Columns of the comparison table, in order; the first metric ranks (higher is better), ties by eval loss.
COMPARISON_COLUMNS = [
    "rank", "trial", "accuracy", "macro_f1", "eval_loss", "final_train_loss", "train_seconds",
    "train_tokens_per_second", "global_step", "method", "changes", "dvc_md5", "mlflow_run_id",
]  # fmt: skip


class SweepError(ValueError):
    """A sweep file that cannot be read or whose trials are not valid SFT configurations."""


class SweepSpec(BaseModel):
    """The sweep file's content: shared settings and each trial's changes to them."""

    base: dict[str, Any] = Field(default_factory=dict, description="SFTSettings fields every trial shares.")
    trials: dict[str, dict[str, Any]] = Field(description="Trial name -> the SFTSettings fields it changes.")

    def settings(self, trial: str) -> SFTSettings:
        """The full settings of ``trial`` (base, then the trial's changes), validated."""
        if trial not in self.trials:
            raise SweepError(f"no trial named {trial!r} in the sweep; trials: {sorted(self.trials)}")
        return _validate(trial, {**self.base, **(self.trials[trial] or {})})


def _validate(trial: str, values: dict[str, Any]) -> SFTSettings:
    unknown = sorted(set(values) - set(SFTSettings.model_fields))
    if unknown:
        raise SweepError(f"sweep trial {trial!r}: unknown SFT settings {unknown}; known: {sorted(SFTSettings.model_fields)}")
    try:
        return SFTSettings.model_validate(values)
    except ValidationError as error:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in error.errors(include_url=False)
        )
        raise SweepError(f"sweep trial {trial!r} is not a valid SFT configuration: {details}") from error


def load_sweep(path: Path) -> SweepSpec:
    """Read and validate the sweep file at ``path``: every trial must be a valid ``SFTSettings``."""
    path = Path(path)
    if not path.is_file():
        raise SweepError(f"sweep file {path} does not exist; write one (see finetune_platform/training/sweep.py)")
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SweepError(f"sweep file {path} is not valid YAML: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("trials"), dict) or not data["trials"]:
        raise SweepError(f"sweep file {path} needs a non-empty 'trials' mapping (trial name -> settings changes)")
    bad_names = [name for name in data["trials"] if not TRIAL_NAME.match(str(name))]
    if bad_names:
        raise SweepError(
            f"sweep file {path}: trial names {bad_names} must be 1-64 letters, digits, '.', '_' or '-' "
            "(they become partition keys and folder names)"
        )
    not_mappings = [name for name, changes in data["trials"].items() if changes is not None and not isinstance(changes, dict)]
    if not_mappings:
        raise SweepError(f"sweep file {path}: trials {not_mappings} must map setting names to values")
    data = {**data, "trials": {name: changes or {} for name, changes in data["trials"].items()}}
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as error:
        raise SweepError(f"sweep file {path} is invalid: {error}") from error
    for trial in spec.trials:
        spec.settings(trial)
    return spec


def trial_names(path: Path) -> list[str]:
    """The trial names of the sweep file at ``path`` (empty when there is no file), in file order."""
    if not Path(path).is_file():
        return []
    return list(load_sweep(path).trials)


def comparison_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The finished trials ranked: accuracy (higher first), then eval loss (lower first).

    Each row holds a trial's figures (``trial``, ``accuracy``, ``eval_loss``, ...); missing ones are NaN.
    A trial whose accuracy is NaN ranks last.
    """
    if not rows:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    table = pd.DataFrame(rows)
    for column in COMPARISON_COLUMNS:
        if column not in table.columns:
            table[column] = math.nan
    table = table.sort_values(["accuracy", "eval_loss"], ascending=[False, True], na_position="last", kind="stable")
    table["rank"] = range(1, len(table) + 1)
    return table[COMPARISON_COLUMNS].reset_index(drop=True)


def comparison_markdown(table: pd.DataFrame) -> str:
    """The comparison as a Markdown table (figures rounded for reading)."""
    if table.empty:
        return "No finished trials."
    shown = table.drop(columns=["mlflow_run_id"]).copy()
    for column, digits in (("accuracy", 3), ("macro_f1", 3), ("eval_loss", 4), ("final_train_loss", 4),
                           ("train_seconds", 1), ("train_tokens_per_second", 0)):
        shown[column] = pd.to_numeric(shown[column], errors="coerce").round(digits)
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "|".join("---" for _ in shown.columns) + "|"
    lines = ["| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    return "\n".join([header, rule, *lines])


def describe_changes(spec: SweepSpec, trial: str) -> str:
    """The trial's own changes as ``key=value`` text (what tells trials apart in the table)."""
    changes = spec.trials.get(trial) or {}
    return ", ".join(f"{k}={v}" for k, v in changes.items()) or "(base)"


def trial_figures(
    base_model_path: str | Path,
    result: dict[str, Any],
    validation: pd.DataFrame,
    labels: list[str],
    eval_examples: int,
    batch_size: int,
) -> dict[str, float]:
    """A finished trial's figures: accuracy, macro-F1 (greedy generation) and perplexity on a sample of
    ``eval_examples`` validation examples (:func:`evaluation.report.sample_examples`), next to what training reported (``result``: the training
    process's summary). Accuracy figures are NaN when the validation split has no classify examples."""
    from finetune_platform.evaluation.generation import load_causal_lm
    from finetune_platform.evaluation.report import sample_examples, score_model

    # the same sample for every trial, every source in proportion (as the promotion gate draws it)
    classify = sample_examples(validation.loc[validation["task"] == "classify"], eval_examples)
    scores = None
    if len(classify):
        model, tokenizer = load_causal_lm(base_model_path, result["model_path"])
        scores = score_model(
            "trial", model, tokenizer, classify, sample_examples(validation, eval_examples), batch_size,
            known_labels=labels,
        )

    def number(key: str) -> float:
        value = result.get(key)
        return math.nan if value is None else float(value)

    return {
        "accuracy": scores.accuracy if scores else math.nan,
        "macro_f1": scores.macro_f1 if scores else math.nan,
        "validation_perplexity": scores.perplexity if scores else math.nan,
        "eval_loss": number("eval_loss"),
        "final_train_loss": number("final_train_loss"),
        "train_seconds": number("train_seconds"),
        "train_tokens_per_second": number("train_tokens_per_second"),
        "scored_examples": float(len(classify)),
    }
