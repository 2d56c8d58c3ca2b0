"""The great-expectations suite that gates a training split.

great-expectations is imported inside :func:`validate_examples` only: its import takes seconds, and the
Dagster code location imports this module when it loads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from finetune_platform.schemas import EXAMPLE_COLUMNS

DEFAULT_TASKS: tuple[str, ...] = ("classify", "reply")
#: How many offending values (or example ids) a failed expectation reports.
MAX_UNEXPECTED_EXAMPLES = 5
#: The ``column`` of a result of an expectation about the whole table (its row count).
TABLE = "(table)"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of the suite on one DataFrame.

    ``results`` has one dict per expectation, in suite order: ``expectation`` (its great-expectations
    type), ``column``, ``success``, ``unexpected_count``, ``unexpected_examples`` (up to
    ``MAX_UNEXPECTED_EXAMPLES`` example ids, or values when there is no ``example_id`` column) and
    ``detail`` (the condition or bounds, or the error when the expectation could not run).
    """

    suite_name: str
    success: bool
    rows: int
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.results if not r["success"]]

    def summary(self) -> str:
        """One line per failed expectation, e.g. for an exception or a check's description."""
        if self.success:
            return f"{self.suite_name}: all {len(self.results)} expectations passed on {self.rows} rows"
        head = f"{self.suite_name}: {len(self.failures)} of {len(self.results)} expectations failed on {self.rows} rows"
        lines = [head]
        for r in self.failures:
            line = f"- {r['expectation']}({r['column']}) {r['detail']}"
            if r["unexpected_count"]:
                line += f": {r['unexpected_count']} rows, e.g. {r['unexpected_examples']}"
            lines.append(line)
        return "\n".join(lines)

    def raise_if_failed(self) -> None:
        if not self.success:
            raise ValueError(self.summary())


def _suite_spec(
    allowed_labels: Iterable[str],
    allowed_tasks: Iterable[str],
    max_prompt_chars: int,
    max_completion_chars: int,
    min_rows: int = 0,
) -> list[tuple[str, dict[str, Any], str]]:
    """(expectation class name, kwargs, human detail) for every expectation of the suite, in order."""
    labels = sorted(set(allowed_labels))
    tasks = sorted(set(allowed_tasks))
    spec: list[tuple[str, dict[str, Any], str]] = []
    if min_rows > 0:
        spec.append(("ExpectTableRowCountToBeBetween", {"min_value": min_rows}, f"at least {min_rows} rows"))
    spec += [
        ("ExpectColumnToExist", {"column": column}, "required column must exist") for column in EXAMPLE_COLUMNS
    ]
    spec += [
        ("ExpectColumnValuesToNotBeNull", {"column": "example_id"}, "no null ids"),
        ("ExpectColumnValuesToBeUnique", {"column": "example_id"}, "ids unique"),
        ("ExpectColumnValuesToNotBeNull", {"column": "prompt"}, "no null prompts"),
        ("ExpectColumnValuesToNotBeNull", {"column": "completion"}, "no null completions"),
        # the set expectations below skip nulls, and lineage needs every example's ticket and source
        ("ExpectColumnValuesToNotBeNull", {"column": "task"}, "no null tasks"),
        ("ExpectColumnValuesToNotBeNull", {"column": "record_id"}, "no null record ids (lineage)"),
        ("ExpectColumnValuesToNotBeNull", {"column": "source"}, "no null sources (lineage)"),
        (
            "ExpectColumnValuesToNotBeNull",
            {"column": "label", "row_condition": ("task", "classify")},
            "no null labels where task == 'classify'",
        ),
        (
            "ExpectColumnValueLengthsToBeBetween",
            {"column": "prompt", "min_value": 1, "max_value": max_prompt_chars},
            f"length in [1, {max_prompt_chars}]",
        ),
        (
            "ExpectColumnValueLengthsToBeBetween",
            {"column": "completion", "min_value": 1, "max_value": max_completion_chars},
            f"length in [1, {max_completion_chars}]",
        ),
        ("ExpectColumnValuesToNotMatchRegex", {"column": "completion", "regex": r"^\s*$"}, "not blank"),
        ("ExpectColumnValuesToBeInSet", {"column": "task", "value_set": tasks}, f"in {tasks}"),
        (
            "ExpectColumnValuesToBeInSet",
            {"column": "label", "value_set": labels, "row_condition": ("task", "classify")},
            f"in the {len(labels)} allowed labels where task == 'classify'",
        ),
        (
            "ExpectColumnPairValuesToBeEqual",
            {"column_A": "completion", "column_B": "label", "row_condition": ("task", "classify")},
            "completion == label where task == 'classify'",
        ),
    ]
    return spec


def _build_suite(gx: Any, suite_name: str, spec: list[tuple[str, dict[str, Any], str]]) -> Any:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    suite = gx.ExpectationSuite(name=suite_name)
    for index, (kind, kwargs, _detail) in enumerate(spec):
        kwargs = dict(kwargs)
        if "row_condition" in kwargs:
            column, value = kwargs.pop("row_condition")
            kwargs["row_condition"] = Column(column) == value
        # ``meta`` carries our index so that results can be matched back to the spec in order.
        suite.add_expectation(getattr(gxe, kind)(**kwargs, meta={"spec_index": index}))
    return suite


def _ephemeral_context(gx: Any) -> Any:
    """An in-memory context: no files, no data docs, no progress bars, no analytics."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _examples_of(df: pd.DataFrame, result: dict[str, Any], id_column: str = "example_id") -> list[Any]:
    """Up to MAX_UNEXPECTED_EXAMPLES row ids (or raw values) of the rows an expectation rejected."""
    indices = result.get("partial_unexpected_index_list") or []
    if indices and id_column in df.columns:
        positions = [i for i in indices if isinstance(i, int)][:MAX_UNEXPECTED_EXAMPLES]
        return [str(v) for v in df[id_column].iloc[positions].tolist()]
    return list(result.get("partial_unexpected_list") or [])[:MAX_UNEXPECTED_EXAMPLES]


def validate_examples(
    df: pd.DataFrame,
    suite_name: str,
    allowed_labels: Iterable[str],
    max_prompt_chars: int = 4_000,
    max_completion_chars: int = 2_000,
    allowed_tasks: Iterable[str] = DEFAULT_TASKS,
    min_rows: int = 0,
) -> ValidationReport:
    """Run the training-split suite on ``df`` (``schemas.EXAMPLE_COLUMNS``) and report every expectation.

    An expectation that cannot run (for example because its column is missing) counts as failed, with
    the error in ``detail``. ``allowed_labels`` must not be empty when the frame has classify rows.
    ``min_rows`` > 0 adds a row-count rule first (column ``TABLE``): a split that must not come out empty.
    """
    spec = _suite_spec(allowed_labels, allowed_tasks, max_prompt_chars, max_completion_chars, min_rows)
    return _run_suite(df, suite_name, spec, "example_id")


def _records_spec(min_text_chars: int, max_text_chars: int) -> list[tuple[str, dict[str, Any], str]]:
    """The curated-records suite: the record contract, unique lineage ids, bounded text, valid scores."""
    from finetune_platform.curation.config import CURATED_COLUMNS

    spec: list[tuple[str, dict[str, Any], str]] = [
        ("ExpectColumnToExist", {"column": column}, "required column must exist") for column in CURATED_COLUMNS
    ]
    # The range, length, set and regex rules skip nulls, so every column they bound has its own not-null rule.
    spec += [
        ("ExpectColumnValuesToNotBeNull", {"column": "record_id"}, "no null record ids"),
        ("ExpectColumnValuesToNotMatchRegex", {"column": "record_id", "regex": _BLANK}, "record ids not blank"),
        ("ExpectColumnValuesToBeUnique", {"column": "record_id"}, "record ids unique (lineage key)"),
        ("ExpectColumnValuesToNotBeNull", {"column": "source"}, "every record names its source"),
        ("ExpectColumnValuesToNotMatchRegex", {"column": "source", "regex": _BLANK}, "source names not blank"),
        ("ExpectColumnValuesToNotBeNull", {"column": "source_file"}, "every record names its raw file"),
        ("ExpectColumnValuesToNotMatchRegex", {"column": "source_file", "regex": _BLANK}, "raw file names not blank"),
        ("ExpectColumnValuesToNotBeNull", {"column": "source_row"}, "every record names its raw row (lineage)"),
        (
            "ExpectColumnValuesToBeInTypeList",
            {"column": "source_row", "type_list": list(_INTEGER_TYPES)},
            "raw row numbers are integers (an integer dtype)",
        ),
        ("ExpectColumnValuesToBeBetween", {"column": "source_row", "min_value": 1}, "raw row numbers start at 1"),
        ("ExpectColumnValuesToNotBeNull", {"column": "text"}, "no null texts"),
        (
            "ExpectColumnValueLengthsToBeBetween",
            {"column": "text", "min_value": min_text_chars, "max_value": max_text_chars},
            f"text length in [{min_text_chars}, {max_text_chars}]",
        ),
        # "" is the length rule's; this one catches text that is only whitespace
        ("ExpectColumnValuesToNotMatchRegex", {"column": "text", "regex": r"^\s+$"}, "text not whitespace only"),
        ("ExpectColumnValuesToNotBeNull", {"column": "quality_score"}, "every record scored (no null or NaN score)"),
        (
            "ExpectColumnValuesToBeBetween",
            {"column": "quality_score", "min_value": 0.0, "max_value": 1.0},
            "quality score in [0, 1]",
        ),
        ("ExpectColumnValuesToNotBeNull", {"column": "pii_counts"}, "PII counts recorded for every record"),
    ]
    return spec


#: Empty or whitespace only.
_BLANK = r"^\s*$"
#: What great-expectations may name an integer column's type (numpy dtypes; Python ints in an object column).
_INTEGER_TYPES = ("int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def validate_records(
    df: pd.DataFrame, suite_name: str, min_text_chars: int = 1, max_text_chars: int = 20_000
) -> ValidationReport:
    """Run the curated-records suite on ``df`` (``curation.config.CURATED_COLUMNS``)."""
    return _run_suite(df, suite_name, _records_spec(min_text_chars, max_text_chars), "record_id")


def _run_suite(
    df: pd.DataFrame, suite_name: str, spec: list[tuple[str, dict[str, Any], str]], id_column: str
) -> ValidationReport:
    """Build the suite from ``spec``, validate ``df`` against it and report every expectation in order."""
    import great_expectations as gx

    frame = df.reset_index(drop=True)  # positional indices in results map straight back to rows
    context = _ephemeral_context(gx)
    batch = (
        context.data_sources.add_pandas(name=f"{suite_name}_source")
        .add_dataframe_asset(name=f"{suite_name}_frame")
        .add_batch_definition_whole_dataframe(name=f"{suite_name}_batch")
    )
    suite = context.suites.add(_build_suite(gx, suite_name, spec))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite_name}_validation", data=batch, suite=suite)
    )
    outcome = definition.run(
        batch_parameters={"dataframe": frame}, result_format={"result_format": "SUMMARY"}
    )

    by_index: dict[int, Any] = {int(r.expectation_config.meta["spec_index"]): r for r in outcome.results}
    results: list[dict[str, Any]] = []
    for index, (kind, kwargs, detail) in enumerate(spec):
        raw = by_index[index]
        result = dict(raw.result or {})
        error = (raw.exception_info or {}).get("exception_message")
        if not error:  # gx nests errors per metric when a metric could not be computed
            nested = [v for v in (raw.exception_info or {}).values() if isinstance(v, dict)]
            error = next((v.get("exception_message") for v in nested if v.get("raised_exception")), None)
        column = kwargs.get("column") or (
            f"{kwargs['column_A']},{kwargs['column_B']}" if "column_A" in kwargs else TABLE
        )
        results.append(
            {
                "expectation": raw.expectation_config.type,
                "column": column,
                "success": bool(raw.success) and not error,
                "unexpected_count": int(result.get("unexpected_count") or 0),
                "unexpected_examples": _examples_of(frame, result, id_column),
                "detail": f"could not run: {error}" if error else detail,
            }
        )
    return ValidationReport(
        suite_name=suite_name,
        success=all(r["success"] for r in results),
        rows=int(len(frame)),
        results=results,
    )
