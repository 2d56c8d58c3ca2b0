from __future__ import annotations

import pytest

from finetune_platform.datasets.expectations import validate_examples

LABELS = ["billing", "login", "shipping", "refund"]


def _failed(report) -> dict[tuple[str, str], dict]:
    return {(r["expectation"], r["column"]): r for r in report.results if not r["success"]}


def test_suite_passes_on_good_examples(examples):
    report = validate_examples(examples, "good", LABELS)
    assert report.success, report.summary()
    assert report.rows == len(examples)
    assert len(report.results) == 21
    assert all(r["unexpected_count"] == 0 for r in report.results)
    report.raise_if_failed()


def test_suite_names_each_broken_rule_and_the_rows(examples):
    bad = examples.copy()
    bad.loc[0, "label"] = "unknown_label"  # classify row with a label outside the set
    bad.loc[3, "completion"] = "   "  # blank reply
    bad.loc[5, "example_id"] = bad.loc[4, "example_id"]  # duplicate id
    bad.loc[7, "task"] = "summarise"
    bad.loc[9, "prompt"] = "x" * 501
    report = validate_examples(bad, "bad", LABELS, max_prompt_chars=500)
    failed = _failed(report)
    assert not report.success
    assert set(failed) == {
        ("expect_column_values_to_be_in_set", "label"),
        ("expect_column_pair_values_to_be_equal", "completion,label"),
        ("expect_column_values_to_not_match_regex", "completion"),
        ("expect_column_values_to_be_unique", "example_id"),
        ("expect_column_values_to_be_in_set", "task"),
        ("expect_column_value_lengths_to_be_between", "prompt"),
    }
    assert failed[("expect_column_values_to_be_in_set", "label")]["unexpected_examples"] == [bad.loc[0, "example_id"]]
    assert failed[("expect_column_values_to_be_unique", "example_id")]["unexpected_count"] == 2
    assert failed[("expect_column_values_to_not_match_regex", "completion")]["unexpected_examples"] == [
        bad.loc[3, "example_id"]
    ]
    assert "length in [1, 500]" in failed[("expect_column_value_lengths_to_be_between", "prompt")]["detail"]
    summary = report.summary()
    assert "6 of 21 expectations failed" in summary
    assert f"1 rows, e.g. ['{bad.loc[7, 'example_id']}']" in summary
    with pytest.raises(ValueError, match="expect_column_values_to_be_in_set\\(task\\)"):
        report.raise_if_failed()


def test_label_rule_only_applies_to_classify_rows(examples):
    relabelled = examples.copy()
    reply_rows = relabelled["task"] == "reply"
    relabelled.loc[reply_rows, "label"] = ""  # reply examples of unlabelled tickets
    assert validate_examples(relabelled, "replies", LABELS).success


def test_missing_column_and_nulls_fail_with_reason(examples):
    broken = examples.drop(columns=["source"]).astype(object)
    broken.loc[2, "completion"] = None
    report = validate_examples(broken, "broken", LABELS)
    failed = _failed(report)
    assert ("expect_column_to_exist", "source") in failed
    assert failed[("expect_column_values_to_not_be_null", "completion")]["unexpected_count"] == 1
    assert "expect_column_to_exist(source) required column must exist" in report.summary()


def test_null_task_id_source_and_classify_label_fail(examples):
    """The set rules skip nulls: each column a row needs has its own not-null rule."""
    broken = examples.astype(object)
    classify = broken.index[broken["task"] == "classify"]
    broken.loc[0, "task"] = None
    broken.loc[1, "record_id"] = None
    broken.loc[2, "source"] = None
    broken.loc[classify[1], "label"] = None
    failed = _failed(validate_examples(broken, "nulls", LABELS))
    for column in ("task", "record_id", "source", "label"):
        assert failed[("expect_column_values_to_not_be_null", column)]["unexpected_count"] == 1, column


def test_expectation_on_missing_column_is_a_failure_not_a_crash(examples):
    report = validate_examples(examples.drop(columns=["task"]), "no_task", LABELS)
    failed = _failed(report)
    assert ("expect_column_values_to_be_in_set", "task") in failed
    assert "could not run" in failed[("expect_column_values_to_be_in_set", "task")]["detail"]


def test_curated_records_suite_passes_good_records_and_names_the_failures() -> None:
    import pandas as pd

    from finetune_platform.curation.config import CURATED_COLUMNS
    from finetune_platform.datasets.expectations import validate_records

    good = pd.DataFrame(
        [
            {
                "record_id": f"chats/chats.jsonl#{i}",
                "source": "chats",
                "source_file": "chats.jsonl",
                "source_row": i,
                "doc_type": "chat",
                "text": f"my order {i} is late",
                "response": "sorry",
                "label": "shipping",
                "messages": "",
                "quality_score": 0.8,
                "pii_counts": "{}",
            }
            for i in range(1, 6)
        ],
        columns=CURATED_COLUMNS,
    )
    assert validate_records(good, "curated_ok").success
    bad = good.copy()
    bad.loc[1, "record_id"] = bad.loc[0, "record_id"]
    bad.loc[2, "quality_score"] = 1.5
    report = validate_records(bad, "curated_bad")
    failed = {(r["expectation"], r["column"]) for r in report.results if not r["success"]}
    assert ("expect_column_values_to_be_unique", "record_id") in failed
    assert ("expect_column_values_to_be_between", "quality_score") in failed


def _curated_records():
    import pandas as pd

    from finetune_platform.curation.config import CURATED_COLUMNS

    return pd.DataFrame(
        [
            {"record_id": f"chats/chats.jsonl#{i}", "source": "chats", "source_file": "chats.jsonl", "source_row": i,
             "doc_type": "chat", "text": f"my order {i} is late", "response": "sorry", "label": "shipping",
             "messages": "", "quality_score": 0.8, "pii_counts": "{}"}
            for i in range(1, 6)
        ],
        columns=CURATED_COLUMNS,
    )


def _null_row(df):
    df["source_row"] = df["source_row"].astype(object)
    df.loc[0, "source_row"] = None


def _fractional_row(df):
    df["source_row"] = df["source_row"].astype(float)
    df.loc[0, "source_row"] = 2.5


def _row_as_text(df):
    df["source_row"] = df["source_row"].astype(str)


@pytest.mark.parametrize(
    ("plant", "expectation", "column"),
    [
        (_null_row, "expect_column_values_to_not_be_null", "source_row"),
        (_fractional_row, "expect_column_values_to_be_in_type_list", "source_row"),
        (_row_as_text, "expect_column_values_to_be_in_type_list", "source_row"),  # and "between" cannot compare
        (lambda df: df.__setitem__("text", df["text"].where(df.index != 1, None)), "expect_column_values_to_not_be_null", "text"),
        (lambda df: df.__setitem__("text", df["text"].where(df.index != 1, "  \n ")), "expect_column_values_to_not_match_regex", "text"),
        (lambda df: df.__setitem__("quality_score", df["quality_score"].where(df.index != 2, float("nan"))), "expect_column_values_to_not_be_null", "quality_score"),
        (lambda df: df.__setitem__("record_id", df["record_id"].where(df.index != 3, " ")), "expect_column_values_to_not_match_regex", "record_id"),
        (lambda df: df.__setitem__("source_file", df["source_file"].where(df.index != 3, "")), "expect_column_values_to_not_match_regex", "source_file"),
        (lambda df: df.__setitem__("source", df["source"].where(df.index != 3, "")), "expect_column_values_to_not_match_regex", "source"),
    ],
    ids=["null-row", "fractional-row", "row-as-text", "null-text", "blank-text", "nan-score", "blank-id",
         "empty-file", "empty-source"],
)
def test_curated_records_suite_fails_on_nulls_non_integer_rows_and_blanks(plant, expectation, column) -> None:
    """The range, length and regex rules skip nulls, and a float row number is in range: each has its own rule,
    so the gate names what the training set stage would otherwise crash on (int(None)) or lose (lineage)."""
    from finetune_platform.datasets.expectations import validate_records

    bad = _curated_records()
    plant(bad)
    report = validate_records(bad, "curated_bad")
    failed = {(r["expectation"], r["column"]) for r in report.failures}
    also = {("expect_column_values_to_be_between", "source_row")} if plant is _row_as_text else set()
    assert failed == {(expectation, column)} | also


def test_a_row_count_rule_fails_an_empty_split_and_only_when_asked(examples) -> None:
    from finetune_platform.datasets.expectations import TABLE

    empty = examples.iloc[0:0]
    assert validate_examples(empty, "empty_ok", LABELS).success  # no rule: a split that may be empty
    report = validate_examples(empty, "empty", LABELS, min_rows=1)
    assert [(r["expectation"], r["column"]) for r in report.failures] == [("expect_table_row_count_to_be_between", TABLE)]
    assert "at least 1 rows" in report.summary()
    assert validate_examples(examples, "full", LABELS, min_rows=1).success
