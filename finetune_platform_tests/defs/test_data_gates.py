"""The blocking data gates fail on planted bad data, pass on good data, and a failed gate stops what comes next.

Each test materialises a fake upstream asset under the checked asset's name (returning planted data), the
real asset checks, and a fake downstream asset that depends on the checked one; a failed blocking check
must leave the downstream asset unmaterialised and say in its metadata what failed.

Not covered here: ``raw_corpus__rows_reconcile`` (being rewritten to compare frames against stats).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest

from finetune_platform.curation.config import CURATED_COLUMNS
from finetune_platform.defs.curate import curated_records__expectations, curated_records__no_pii
from finetune_platform.defs.train import SFTAdapterConfig, base_model__renders_training_data
from finetune_platform.defs.version import training_set__expectations, training_set__no_leakage, training_set__no_pii
from finetune_platform.formats.instructions import PROMPT_TEMPLATES
from finetune_platform.schemas import EXAMPLE_COLUMNS, RECORD_COLUMNS

# --- shared helpers -----------------------------------------------------------------------------------------

#: Distinct tickets (no two near-duplicates), no PII; (label, text, reply).
TICKETS: list[tuple[str, str, str]] = [
    ("billing", "my invoice for march was charged twice on the card", "We refunded the second charge today."),
    ("billing", "the annual plan price went up without any notice", "The new price applies from your next renewal."),
    ("login", "the password reset link expired before I could open it", "We sent a fresh link valid for a day."),
    ("login", "two factor codes never arrive on my new device", "Codes now go to the authenticator app instead."),
    ("billing", "please send a receipt for the upgrade last week", "The receipt is attached to this reply."),
    ("login", "the app logs me out every few minutes since the update", "Clearing the app cache fixes the loop."),
]


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _md_rows(markdown: str) -> list[dict[str, str]]:
    """The rows of a pipe table written by ``DataFrame.to_markdown``."""
    lines = [line.strip().strip("|") for line in markdown.strip().splitlines()]
    header = [c.strip() for c in lines[0].split("|")]
    return [dict(zip(header, (c.strip() for c in line.split("|")), strict=True)) for line in lines[2:]]


def _failed_expectations(evaluation: dg.AssetCheckEvaluation) -> set[tuple[str, str]]:
    """(expectation, column) of every failed expectation in a check's ``results`` table."""
    return {(r["expectation"], r["column"]) for r in _md_rows(evaluation.metadata["results"].value) if r["success"] == "False"}


def _run(assets: list[Any], downstream: str, upstream: str) -> dg.ExecuteInProcessResult:
    @dg.asset(name=downstream, deps=[upstream])
    def fake_downstream() -> str:
        return "built"

    return dg.materialize([*assets, fake_downstream], raise_on_error=False)


# --- curated_records: no PII, expectations ------------------------------------------------------------------


def curated() -> pd.DataFrame:
    """Clean curated records: every CURATED_COLUMNS column, PII already redacted to placeholders."""
    rows = []
    for i, (label, text, reply) in enumerate(TICKETS):
        rows.append(
            {
                "record_id": f"chat/tickets.jsonl#{i + 1}",
                "source": "chat",
                "source_file": "tickets.jsonl",
                "source_row": i + 1,
                "doc_type": "chat",
                "text": text + (" Write to <EMAIL_1>." if i == 0 else ""),  # a placeholder is not PII
                "response": reply,
                "label": label,
                "messages": json.dumps([{"role": "user", "content": text}, {"role": "assistant", "content": reply}]),
                "quality_score": 0.9,
                "pii_counts": json.dumps({"EMAIL": 1} if i == 0 else {}),
            }
        )
    return pd.DataFrame(rows, columns=CURATED_COLUMNS)


def run_curated(records: pd.DataFrame) -> dg.ExecuteInProcessResult:
    @dg.asset(name="curated_records")
    def fake_curated_records() -> pd.DataFrame:
        return records

    return _run(
        [fake_curated_records, curated_records__no_pii, curated_records__expectations],
        downstream="instruction_examples",
        upstream="curated_records",
    )


def test_clean_curated_records_pass_both_gates_and_downstream_runs() -> None:
    result = run_curated(curated())
    checks = _checks(result)
    assert result.success, checks
    assert checks["curated_records__no_pii"].passed and checks["curated_records__expectations"].passed
    assert checks["curated_records__no_pii"].metadata["hits"].value == 0
    assert checks["curated_records__expectations"].metadata["failed"].value == 0
    assert "instruction_examples" in _materialized(result)


@pytest.mark.parametrize(
    ("column", "row", "planted", "pii_type"),
    [
        ("text", 1, "Reach me at jane.doe@example.com about this.", "EMAIL"),
        ("response", 2, "Call us back on +44 20 7946 0958 tomorrow.", "PHONE"),
        ("text", 3, "The card 4111 1111 1111 1111 was declined.", "CREDIT_CARD"),
    ],
    ids=["email-in-text", "phone-in-response", "card-in-text"],
)
def test_pii_left_in_a_curated_record_fails_the_gate_and_blocks_downstream(
    column: str, row: int, planted: str, pii_type: str
) -> None:
    records = curated()
    records.loc[row, column] = planted
    result = run_curated(records)
    checks = _checks(result)
    no_pii = checks["curated_records__no_pii"]
    assert not no_pii.passed
    assert no_pii.metadata["hits_by_type"].value == {pii_type: 1}
    assert checks["curated_records__expectations"].passed  # only the PII gate objects
    assert not result.success and "instruction_examples" not in _materialized(result)


def test_pii_in_a_curated_conversation_fails_the_gate() -> None:
    records = curated()
    records.loc[4, "messages"] = json.dumps([{"role": "user", "content": "my email is sam.lee@example.org"}])
    result = run_curated(records)
    no_pii = _checks(result)["curated_records__no_pii"]
    assert not no_pii.passed and no_pii.metadata["hits_by_type"].value == {"EMAIL": 1}
    assert "instruction_examples" not in _materialized(result)


def _no_raw_value(check: dg.AssetCheckEvaluation, *values: str) -> None:
    """The check's description and metadata say where PII is without repeating it."""
    shown = (check.description or "") + json.dumps({k: v.value for k, v in check.metadata.items()}, default=str)
    for value in values:
        assert value not in shown and value.replace(" ", "_") not in shown


def test_pii_in_a_curated_label_fails_the_gate_and_says_where() -> None:
    """A label is scanned too: as written, and with underscores read as spaces (``normalise_label`` writes
    "login +44 7911 123456" as "login_+44_7911_123456", which hid the number from the scan)."""
    records = curated()
    records.loc[2, "label"] = "john.roe@example.org"
    records.loc[3, "label"] = "login_+44_7911_123456"
    result = run_curated(records)
    no_pii = _checks(result)["curated_records__no_pii"]
    assert not no_pii.passed and "instruction_examples" not in _materialized(result)
    assert no_pii.metadata["hits_by_type"].value == {"EMAIL": 1, "PHONE": 1}
    assert no_pii.metadata["hits_by_field"].value == {"label": 2}
    first = no_pii.metadata["first_hits"].value
    assert [(h["id"], h["field"], h["type"]) for h in first] == [
        ("chat/tickets.jsonl#3", "label", "EMAIL"), ("chat/tickets.jsonl#4", "label", "PHONE")
    ]
    assert first[0]["masked"] == "j***g (20 chars)"
    assert "EMAIL in label of 'chat/tickets.jsonl#3'" in no_pii.description
    _no_raw_value(no_pii, "john.roe@example.org", "+44 7911 123456")


def test_pii_in_a_source_file_name_fails_the_curated_gate_and_says_to_rename_the_file() -> None:
    records = curated()
    records.loc[1, "source_file"] = "export jane.doe@example.com.jsonl"
    records.loc[1, "record_id"] = "chat/export jane.doe@example.com.jsonl#2"
    result = run_curated(records)
    no_pii = _checks(result)["curated_records__no_pii"]
    assert not no_pii.passed
    assert no_pii.metadata["hits_by_field"].value == {"record_id": 1, "source_file": 1}
    assert {h["id"] for h in no_pii.metadata["first_hits"].value} == {"chat/export <EMAIL_1>#2"}
    assert "EMAIL in record_id" in no_pii.description and "rename the file" in no_pii.description
    _no_raw_value(no_pii, "jane.doe@example.com")


def test_ordinary_ids_and_labels_pass_the_curated_gate() -> None:
    records = curated()
    records["label"] = ["technical_issue", "shipping_delivery", "account_access", "AddToPlaylist",
                        "SearchScreeningEvent", "product_question"]
    records["source_file"] = "support/2024_03 tickets (export 2).csv"
    records["record_id"] = [f"chat/support/2024_03 tickets (export 2).csv#{i + 10_001}" for i in range(len(records))]
    no_pii = _checks(run_curated(records))["curated_records__no_pii"]
    assert no_pii.passed and no_pii.metadata["hits"].value == 0, no_pii.description


def _duplicate_id(records: pd.DataFrame) -> None:
    records.loc[1, "record_id"] = records.loc[0, "record_id"]


def _empty_text(records: pd.DataFrame) -> None:
    records.loc[2, "text"] = ""


def _score_out_of_range(records: pd.DataFrame) -> None:
    records.loc[3, "quality_score"] = 1.5


def _missing_pii_counts(records: pd.DataFrame) -> None:
    records.loc[4, "pii_counts"] = None


@pytest.mark.parametrize(
    ("plant", "expectation", "column"),
    [
        (_duplicate_id, "expect_column_values_to_be_unique", "record_id"),
        (_empty_text, "expect_column_value_lengths_to_be_between", "text"),
        (_score_out_of_range, "expect_column_values_to_be_between", "quality_score"),
        (_missing_pii_counts, "expect_column_values_to_not_be_null", "pii_counts"),
    ],
)
def test_a_curated_record_violating_the_suite_fails_the_gate_and_names_the_expectation(
    plant: Any, expectation: str, column: str
) -> None:
    records = curated()
    plant(records)
    result = run_curated(records)
    check = _checks(result)["curated_records__expectations"]
    assert not check.passed
    assert check.metadata["failed"].value == 1
    assert _failed_expectations(check) == {(expectation, column)}
    assert f"{expectation}({column})" in check.description
    assert not result.success and "instruction_examples" not in _materialized(result)


def test_a_curated_frame_missing_a_column_fails_the_gate() -> None:
    result = run_curated(curated().drop(columns=["quality_score"]))
    check = _checks(result)["curated_records__expectations"]
    assert not check.passed
    assert ("expect_column_to_exist", "quality_score") in _failed_expectations(check)
    assert "instruction_examples" not in _materialized(result)


def test_null_rows_and_texts_fail_the_curated_gate_before_the_training_set_would_crash() -> None:
    """The range and length rules skip nulls: without their own not-null rules a record with no raw row or no
    text passed the gate, and the training set stage later died on int(None)."""
    records = curated()
    records["source_row"] = records["source_row"].astype(object)
    records.loc[1, "source_row"] = None
    records.loc[2, "text"] = None
    result = run_curated(records)
    check = _checks(result)["curated_records__expectations"]
    assert not check.passed
    assert _failed_expectations(check) == {
        ("expect_column_values_to_not_be_null", "source_row"), ("expect_column_values_to_not_be_null", "text")
    }
    assert "chat/tickets.jsonl#2" in check.description and "chat/tickets.jsonl#3" in check.description
    assert not result.success and "instruction_examples" not in _materialized(result)


# --- training_set: no leakage, expectations, no PII --------------------------------------------------------


def _records() -> pd.DataFrame:
    return curated()[RECORD_COLUMNS]


def _examples_of(record_index: int, text: str | None = None, record_id: str | None = None) -> list[dict[str, Any]]:
    """The classify and reply examples of ticket ``record_index`` (optionally with another text or id)."""
    label, original, reply = TICKETS[record_index]
    rid = record_id or f"chat/tickets.jsonl#{record_index + 1}"
    return [
        {
            "example_id": f"{rid}::{task}",
            "record_id": rid,
            "task": task,
            "prompt": PROMPT_TEMPLATES[task].format(text=text or original),
            "completion": label if task == "classify" else reply,
            "label": label,
            "source": "chat",
        }
        for task in ("classify", "reply")
    ]


def good_splits() -> dict[str, pd.DataFrame]:
    """Tickets 0-3 in train, 4 in validation, 5 in test: no ticket, prompt or near-duplicate shared."""
    def frame(indices: list[int]) -> pd.DataFrame:
        return pd.DataFrame([e for i in indices for e in _examples_of(i)], columns=EXAMPLE_COLUMNS)

    return {"train": frame([0, 1, 2, 3]), "validation": frame([4]), "test": frame([5])}


def write_training_set(root: Path, splits: dict[str, pd.DataFrame], records: pd.DataFrame | None = None) -> dict[str, Any]:
    """Write the splits as the real asset does and return the asset's value (the parts the checks read)."""
    from finetune_platform.datasets.split import write_training_set as write

    path = root / "training_set"
    write(splits, path, _records() if records is None else records)
    from finetune_platform.datasets.versioning import folder_md5

    return {
        "path": str(path),
        "dvc_md5": folder_md5(path),
        "labels": ["billing", "login"],
        "counts": {name: len(df) for name, df in splits.items()},
        "near_duplicate_threshold": 0.8,
    }


def run_training_set(value: dict[str, Any]) -> dg.ExecuteInProcessResult:
    from finetune_platform.datasets.versioning import folder_md5

    # the version as DVC would record the folder now (some tests plant bad rows after writing it)
    value = {**value, "dvc_md5": folder_md5(Path(value["path"]))}

    @dg.asset(name="training_set")
    def fake_training_set() -> dict[str, Any]:
        return value

    return _run(
        [fake_training_set, training_set__no_leakage, training_set__expectations, training_set__no_pii],
        downstream="base_model",
        upstream="training_set",
    )


TRAINING_SET_CHECKS = {"training_set__no_leakage", "training_set__expectations", "training_set__no_pii"}


def _only_failing(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    """The evaluation of check ``name``, asserting that it failed, the others passed and base_model did not run."""
    checks = _checks(result)
    assert set(checks) == TRAINING_SET_CHECKS
    assert not checks[name].passed
    assert all(checks[other].passed for other in TRAINING_SET_CHECKS - {name}), checks
    assert not result.success and "base_model" not in _materialized(result)
    return checks[name]


def test_a_clean_training_set_passes_every_gate_and_downstream_runs(tmp_path: Path) -> None:
    result = run_training_set(write_training_set(tmp_path, good_splits()))
    checks = _checks(result)
    assert result.success, checks
    assert set(checks) == TRAINING_SET_CHECKS and all(c.passed for c in checks.values())
    leakage = checks["training_set__no_leakage"].metadata
    assert leakage["leaking_prompts"].value == 0 and leakage["records_in_two_splits"].value == 0
    assert leakage["near_duplicate_pairs_across_splits"].value == 0
    assert checks["training_set__expectations"].metadata["failed"].value == 0
    assert checks["training_set__no_pii"].metadata["hits"].value == 0
    assert "base_model" in _materialized(result)


def test_the_same_ticket_in_train_and_test_fails_the_leakage_gate(tmp_path: Path) -> None:
    splits = good_splits()
    # ticket 0's reply example moves to test; its classify example stays in train
    moved = splits["train"]["example_id"] == "chat/tickets.jsonl#1::reply"
    splits["test"] = pd.concat([splits["test"], splits["train"].loc[moved]], ignore_index=True)
    splits["train"] = splits["train"].loc[~moved].reset_index(drop=True)
    check = _only_failing(run_training_set(write_training_set(tmp_path, splits)), "training_set__no_leakage")
    assert check.metadata["records_in_two_splits"].value == 1
    assert check.metadata["leaking_prompts"].value == 2  # the ticket's two examples: one ticket text in two splits


def test_a_duplicated_ticket_in_train_and_test_fails_the_leakage_gate(tmp_path: Path) -> None:
    records = _records()
    copy = records.iloc[[0]].assign(record_id="email/inbox.jsonl#9", source_file="inbox.jsonl", source_row=9)
    splits = good_splits()
    # the same ticket text arrived twice (another source); one copy is in train, the other in test
    splits["test"] = pd.concat(
        [splits["test"], pd.DataFrame(_examples_of(0, record_id="email/inbox.jsonl#9"), columns=EXAMPLE_COLUMNS)],
        ignore_index=True,
    )
    value = write_training_set(tmp_path, splits, pd.concat([records, copy], ignore_index=True))
    check = _only_failing(run_training_set(value), "training_set__no_leakage")
    assert check.metadata["leaking_prompts"].value == 4  # two prompts (classify, reply), each in two splits
    # one text, so no pair of near-duplicate texts: an exact copy is the exact-leak count's to report
    assert check.metadata["near_duplicate_pairs_across_splits"].value == 0
    assert check.metadata["records_in_two_splits"].value == 0
    assert "email/inbox.jsonl#9::classify" in check.metadata["examples"].value


def test_a_near_duplicate_ticket_across_splits_fails_the_leakage_gate(tmp_path: Path) -> None:
    records = _records()
    near_text = TICKETS[0][1] + " thanks"
    copy = records.iloc[[0]].assign(record_id="email/inbox.jsonl#9", text=near_text, source_row=9)
    splits = good_splits()
    splits["validation"] = pd.concat(
        [
            splits["validation"],
            pd.DataFrame(_examples_of(0, text=near_text, record_id="email/inbox.jsonl#9"), columns=EXAMPLE_COLUMNS),
        ],
        ignore_index=True,
    )
    value = write_training_set(tmp_path, splits, pd.concat([records, copy], ignore_index=True))
    check = _only_failing(run_training_set(value), "training_set__no_leakage")
    assert check.metadata["leaking_prompts"].value == 0  # not an exact duplicate: only the near-duplicate join sees it
    assert check.metadata["near_duplicate_pairs_across_splits"].value == 1
    pairs = check.metadata["near_duplicate_examples"].value
    assert "chat/tickets.jsonl#1" in pairs and "email/inbox.jsonl#9" in pairs


def _unknown_label(splits: dict[str, pd.DataFrame]) -> None:
    classify = splits["test"]["task"] == "classify"
    first = splits["test"].index[classify][0]
    splits["test"].loc[first, ["label", "completion"]] = "shipping"  # a held-out label the train split lacks


def _completion_not_label(splits: dict[str, pd.DataFrame]) -> None:
    splits["validation"].loc[splits["validation"]["task"] == "classify", "completion"] = "login"  # label: billing


def _duplicate_example_id(splits: dict[str, pd.DataFrame]) -> None:
    reply = splits["test"].loc[splits["test"]["task"] == "reply"].copy()
    splits["test"] = pd.concat([splits["test"], reply], ignore_index=True)


def _unknown_task(splits: dict[str, pd.DataFrame]) -> None:
    splits["train"].loc[splits["train"]["task"] == "reply", "task"] = "summarize"


@pytest.mark.parametrize(
    ("plant", "split", "expectation", "column"),
    [
        (_unknown_label, "test", "expect_column_values_to_be_in_set", "label"),
        (_completion_not_label, "validation", "expect_column_pair_values_to_be_equal", "completion,label"),
        (_duplicate_example_id, "test", "expect_column_values_to_be_unique", "example_id"),
        (_unknown_task, "train", "expect_column_values_to_be_in_set", "task"),
    ],
)
def test_an_example_violating_the_suite_fails_the_expectations_gate(
    tmp_path: Path, plant: Any, split: str, expectation: str, column: str
) -> None:
    splits = good_splits()
    plant(splits)
    if plant is _duplicate_example_id:
        # write_training_set refuses a duplicate example_id; plant it in the written file (manifest updated)
        value = _write_with_duplicate(tmp_path, splits)
    else:
        value = write_training_set(tmp_path, splits)
    check = _only_failing(run_training_set(value), "training_set__expectations")
    failed = {
        (r["split"], r["expectation"], r["column"])
        for r in _md_rows(check.metadata["results"].value)
        if r["success"] == "False"
    }
    assert failed == {(split, expectation, column)}
    assert check.metadata["failed"].value == 1


def test_the_length_bounds_follow_the_format_settings(tmp_path: Path) -> None:
    """A reply longer than the default bound fails the gate, unless the format stage was configured to
    make replies that long (its bounds travel in the training set's value)."""
    from finetune_platform.formats.instructions import FormatSettings, example_char_limits

    splits = good_splits()
    reply = splits["train"]["task"] == "reply"
    splits["train"].loc[reply, "completion"] = "word " * 500  # 2,500 characters
    value = write_training_set(tmp_path, splits)
    _only_failing(run_training_set(value), "training_set__expectations")
    prompt_limit, completion_limit = example_char_limits(FormatSettings(max_ticket_chars=5_000, max_reply_chars=2_500))
    assert prompt_limit > 5_000 and completion_limit == 2_500
    assert example_char_limits(FormatSettings()) == (4_000, 2_000)  # the defaults stay the bounds
    passing = {**value, "max_prompt_chars": prompt_limit, "max_completion_chars": completion_limit}
    assert run_training_set(passing).success


def _write_with_duplicate(root: Path, splits: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The training set folder with the test split replaced by one holding a duplicated example_id."""
    import hashlib

    from finetune_platform.datasets.split import MANIFEST_NAME

    doubled = splits["test"]
    value = write_training_set(root, {**splits, "test": doubled.drop_duplicates("example_id")})
    folder = Path(value["path"])
    path = folder / "test.parquet"
    doubled.astype({c: "string" for c in EXAMPLE_COLUMNS}).to_parquet(path, index=False)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest["files"]["test"].update(rows=len(doubled), sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    return value


@pytest.mark.parametrize(
    ("column", "planted", "pii_type"),
    [
        ("completion", "We will call you on (415) 555-0101 this afternoon.", "PHONE"),
        ("prompt", PROMPT_TEMPLATES["reply"].format(text="refund to card 4111 1111 1111 1111 please"), "CREDIT_CARD"),
    ],
    ids=["phone-in-completion", "card-in-prompt"],
)
def test_pii_in_a_training_example_fails_the_pii_gate(tmp_path: Path, column: str, planted: str, pii_type: str) -> None:
    splits = good_splits()
    reply = splits["train"].index[splits["train"]["task"] == "reply"][1]
    splits["train"].loc[reply, column] = planted
    check = _only_failing(run_training_set(write_training_set(tmp_path, splits)), "training_set__no_pii")
    assert check.metadata["hits"].value == 1
    assert check.metadata["hits_by_type"].value == {pii_type: 1}


def test_a_label_with_a_phone_number_fails_the_pii_gate_after_normalise_label(tmp_path: Path) -> None:
    """normalise_label writes "login +44 7911 123456" as "login_+44_7911_123456", which the prose scan of the
    completion does not see: the gate reads labels with their underscores as spaces too."""
    splits = good_splits()
    ticket = splits["train"]["record_id"] == "chat/tickets.jsonl#3"
    splits["train"].loc[ticket, "label"] = "login_+44_7911_123456"
    splits["train"].loc[ticket & (splits["train"]["task"] == "classify"), "completion"] = "login_+44_7911_123456"
    check = _only_failing(run_training_set(write_training_set(tmp_path, splits)), "training_set__no_pii")
    assert check.metadata["hits_by_type"].value == {"PHONE": 2}  # the label of the ticket's two examples
    assert [(h["where"], h["id"], h["field"]) for h in check.metadata["first_hits"].value] == [
        ("train", "chat/tickets.jsonl#3::classify", "label"), ("train", "chat/tickets.jsonl#3::reply", "label")
    ]
    _no_raw_value(check, "+44 7911 123456")


def test_pii_in_an_example_id_fails_the_pii_gate(tmp_path: Path) -> None:
    """Ids are built from the source file's path: a file named after a customer puts PII in every id."""
    rid = "chat/export jane.doe@example.com.jsonl#2"
    splits = good_splits()
    splits["validation"] = pd.DataFrame(_examples_of(4, record_id=rid), columns=EXAMPLE_COLUMNS)
    records = _records()
    records.loc[4, "record_id"] = rid
    check = _only_failing(run_training_set(write_training_set(tmp_path, splits, records)), "training_set__no_pii")
    assert check.metadata["hits_by_field"].value == {"example_id": 2, "record_id": 2}
    assert {h["id"] for h in check.metadata["first_hits"].value} == {
        "chat/export <EMAIL_1>#2::classify", "chat/export <EMAIL_1>#2::reply"
    }
    assert "rename the file" in check.description
    _no_raw_value(check, "jane.doe@example.com")


def test_pii_in_a_versioned_conversation_fails_the_pii_gate(tmp_path: Path) -> None:
    """The training set versions the tickets' conversations beside the pairs (SFT with conversations trains
    on them): their turns are scanned too."""
    import json

    from finetune_platform.datasets.split import write_training_set as write

    turns = [{"role": "user", "content": "I cannot log in"}, {"role": "assistant", "content": "Reset it."},
             {"role": "user", "content": "mail me at jane.doe@example.com"}, {"role": "assistant", "content": "Sent."}]
    conversations = pd.DataFrame(
        [{"example_id": "chat/tickets.jsonl#1::chat", "record_id": "chat/tickets.jsonl#1", "source": "chat",
          "label": "login", "messages": json.dumps(turns)}]
    )
    value = write_training_set(tmp_path, good_splits())
    write(good_splits(), Path(value["path"]), _records(), conversations)
    check = _only_failing(run_training_set(value), "training_set__no_pii")
    assert (check.metadata["hits"].value, check.metadata["hits_in_conversations"].value) == (1, 1)
    assert check.metadata["conversation_turns_scanned"].value == 4
    assert check.metadata["hits_by_type"].value == {"EMAIL": 1}
    assert check.metadata["first_hits"].value == [{"where": "conversations train", "id": "chat/tickets.jsonl#1::chat",
                                                    "field": "messages[2]", "type": "EMAIL", "masked": "j***m (20 chars)"}]
    _no_raw_value(check, "jane.doe@example.com")


def test_pii_in_a_configured_system_prompt_fails_the_pii_gate(tmp_path: Path) -> None:
    """system_message='settings' opens every conversation with the operator's own prompt: it is reported apart,
    and what the detectors flag in it (a persona's name, a support address) fails the gate, since every
    conversation trains on it (the format stage refuses such a prompt up front)."""
    import json

    from finetune_platform.datasets.split import write_training_set as write

    system = {"role": "system", "content": "You are Emily, the support assistant of Acme. Escalate to help@acme.com."}
    rows = [
        {"example_id": f"chat/tickets.jsonl#{i}::chat", "record_id": f"chat/tickets.jsonl#{i}", "source": "chat",
         "label": "", "messages": json.dumps([system, {"role": "user", "content": "I cannot log in"},
                                              {"role": "assistant", "content": "Reset it."}])}
        for i in (1, 2)
    ]
    value = write_training_set(tmp_path, good_splits())
    write(good_splits(), Path(value["path"]), _records(), pd.DataFrame(rows))
    result = run_training_set(value)
    [check] = [c for c in result.get_asset_check_evaluations() if c.check_name == "training_set__no_pii"]
    assert not check.passed and check.metadata["conversation_turns_scanned"].value == 4
    assert check.metadata["hits"].value == 0  # the turns are clean: only the shared prompt fails
    assert check.metadata["system_prompt_pii_types"].value == ["EMAIL", "PERSON"]


# --- base_model: renders the training data ------------------------------------------------------------------

MAX_LENGTH = 128


@pytest.fixture(scope="module")
def tiny_model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tokenizer (the tiny model's recipe, chat template included) and a config of MAX_LENGTH positions;
    the check reads only these two, so no weights are built."""
    from transformers import LlamaConfig

    from finetune_platform.training.tiny_model import train_tokenizer

    folder = tmp_path_factory.mktemp("base_model")
    corpus = [p for split in good_splits().values() for p in (split["prompt"] + split["completion"]).tolist()] * 5
    tokenizer = train_tokenizer(corpus, vocab_size=400)
    tokenizer.save_pretrained(folder)
    LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=MAX_LENGTH,
    ).save_pretrained(folder)
    return folder


def conversations() -> pd.DataFrame:
    rows = [
        {
            "example_id": f"chat/tickets.jsonl#{i + 1}::chat",
            "record_id": f"chat/tickets.jsonl#{i + 1}",
            "messages": json.dumps([{"role": "user", "content": text}, {"role": "assistant", "content": reply}]),
        }
        for i, (_label, text, reply) in enumerate(TICKETS)
    ]
    return pd.DataFrame(rows)


def _fake_upstream(
    root: Path, model_folder: Path, splits: dict[str, pd.DataFrame], chats: pd.DataFrame
) -> list[dg.AssetsDefinition]:
    """Fake training_set (``splits`` written under ``root``), conversation_examples and base_model assets: what
    base_model__renders_training_data reads."""
    value = write_training_set(root, splits)

    @dg.asset(name="training_set")
    def fake_training_set() -> dict[str, Any]:
        return value

    @dg.asset(name="conversation_examples")
    def fake_conversation_examples() -> pd.DataFrame:
        return chats

    @dg.asset(name="base_model", deps=["training_set"])
    def fake_base_model() -> dict[str, Any]:
        return {"path": str(model_folder), "source": "local", "name_or_path": str(model_folder)}

    return [fake_training_set, fake_conversation_examples, fake_base_model]


def run_base_model(
    root: Path,
    model_folder: Path,
    splits: dict[str, pd.DataFrame],
    chats: pd.DataFrame,
    sft_config: dict[str, Any] | None = None,
    check_config: dict[str, Any] | None = None,
) -> dg.ExecuteInProcessResult:
    """The check between fake upstream assets and a fake sft_adapter; ``sft_config`` is the run's config of
    sft_adapter (validated by the real SFTAdapterConfig), ``check_config`` the check's own."""
    assets = [*_fake_upstream(root, model_folder, splits, chats), base_model__renders_training_data]
    if sft_config is None and check_config is None:
        return _run(assets, downstream="sft_adapter", upstream="base_model")

    def fake_sft_adapter(config: SFTAdapterConfig) -> str:
        return "built"

    # this module's annotations are strings (postponed), which Dagster does not resolve for config
    fake_sft_adapter.__annotations__["config"] = SFTAdapterConfig
    fake_sft_adapter = dg.asset(name="sft_adapter", deps=["base_model"])(fake_sft_adapter)

    ops: dict[str, Any] = {"sft_adapter": {"config": sft_config or {}}}
    if check_config is not None:
        ops["base_model_base_model__renders_training_data"] = {"config": check_config}
    return dg.materialize([*assets, fake_sft_adapter], raise_on_error=False, run_config={"ops": ops})


def _render_check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    return _checks(result)["base_model__renders_training_data"]


def test_training_data_that_fits_and_renders_passes_and_training_runs(tmp_path: Path, tiny_model_folder: Path) -> None:
    result = run_base_model(tmp_path, tiny_model_folder, good_splits(), conversations())
    check = _render_check(result)
    assert result.success and check.passed, check
    # the run sets no sft_adapter config: SFT's default max_length, the model's context beside it
    assert check.metadata["max_length"].value == SFTAdapterConfig().max_length
    assert check.metadata["max_length_from"].value.startswith("SFTAdapterConfig's default")
    assert check.metadata["context_length"].value == MAX_LENGTH
    pairs = check.metadata["instruction_pairs"].value
    assert pairs["examples"] == 12 and pairs["rendered"] == 12 and pairs["max_tokens"] <= MAX_LENGTH
    assert check.metadata["conversations"].value["rendered"] == len(TICKETS)
    assert "sft_adapter" in _materialized(result)


def test_an_example_longer_than_the_context_fails_and_blocks_training(tmp_path: Path, tiny_model_folder: Path) -> None:
    splits = good_splits()
    long_text = " ".join(["the invoice total was wrong again"] * 60)
    reply = splits["validation"].index[splits["validation"]["task"] == "reply"][0]
    splits["validation"].loc[reply, "prompt"] = PROMPT_TEMPLATES["reply"].format(text=long_text)
    result = run_base_model(tmp_path, tiny_model_folder, splits, conversations())
    check = _render_check(result)
    assert not check.passed
    pairs = check.metadata["instruction_pairs"].value
    assert pairs["too_long"] == 1 and pairs["failures"] == 0
    assert pairs["too_long_examples"][0]["example_id"] == "chat/tickets.jsonl#5::reply"
    assert pairs["too_long_examples"][0]["tokens"] > MAX_LENGTH
    assert not result.success and "sft_adapter" not in _materialized(result)


def _pair_lengths(model_folder: Path, splits: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Tokens of each pair as TRL builds it: prompt + completion + EOS, with the tokenizer's special tokens."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_folder)
    examples = pd.concat(splits.values(), ignore_index=True)
    full = [p + c + tokenizer.eos_token for p, c in zip(examples["prompt"], examples["completion"], strict=True)]
    return dict(zip(examples["example_id"], (len(ids) for ids in tokenizer(full)["input_ids"]), strict=True))


def test_a_pair_longer_than_sfts_max_length_fails_within_the_context_and_blocks_training(
    tmp_path: Path, tiny_model_folder: Path
) -> None:
    """The gate measures what SFT trains with (sft_adapter's max_length in the run), not the model's context:
    a pair SFT would cut fails even though the context holds it."""
    lengths = _pair_lengths(tiny_model_folder, good_splits())
    longest = max(lengths, key=lambda k: (lengths[k], k))
    max_length = lengths[longest] - 1
    over = {k for k, n in lengths.items() if n > max_length}
    assert lengths[longest] <= MAX_LENGTH and max_length >= 8  # fits the context: only max_length catches it
    result = run_base_model(tmp_path, tiny_model_folder, good_splits(), conversations(), {"max_length": max_length})
    check = _render_check(result)
    assert not check.passed
    assert check.metadata["max_length"].value == max_length
    assert check.metadata["max_length_from"].value == "sft_adapter's config in this run"
    pairs = check.metadata["instruction_pairs"].value
    assert pairs["too_long"] == len(over) and pairs["over_context"] == 0 and pairs["allowed_too_long"] == 0
    assert {r["example_id"]: r["tokens"] for r in pairs["too_long_examples"]} == {k: lengths[k] for k in over}
    assert f"exceed max_length={max_length} tokens" in check.description
    assert not result.success and "sft_adapter" not in _materialized(result)


def test_a_run_without_sft_adapter_measures_against_the_max_length_sft_last_trained_with(
    tmp_path: Path, tiny_model_folder: Path
) -> None:
    """base_model checked in a run that does not train reads the max_length of sft_adapter's latest
    materialization (its metadata), not SFTAdapterConfig's default, and says so."""
    lengths = _pair_lengths(tiny_model_folder, good_splits())
    max_length = max(lengths.values()) - 1
    over = {k for k, n in lengths.items() if n > max_length}
    upstream = _fake_upstream(tmp_path, tiny_model_folder, good_splits(), conversations())

    @dg.asset(name="sft_adapter", deps=["base_model"])
    def fake_sft_adapter() -> dg.Output[str]:
        return dg.Output("built", metadata={"max_length": max_length})

    instance = dg.DagsterInstance.ephemeral()
    # the earlier training run, without the check
    first = dg.materialize([*upstream, fake_sft_adapter], instance=instance)
    assert first.success
    later = dg.materialize(
        [*upstream, base_model__renders_training_data], instance=instance, raise_on_error=False,
    )
    check = _render_check(later)
    assert check.metadata["max_length"].value == max_length
    assert check.metadata["max_length_from"].value.startswith("sft_adapter's latest materialization (run ")
    assert not check.passed and check.metadata["instruction_pairs"].value["too_long"] == len(over) > 0
    # a run that trains still measures against its own sft_adapter config (here: none, so the default)
    both = dg.materialize(
        [*upstream, base_model__renders_training_data, fake_sft_adapter], instance=instance, raise_on_error=False,
    )
    check = _render_check(both)
    assert check.metadata["max_length"].value == SFTAdapterConfig().max_length
    assert check.metadata["max_length_from"].value.startswith("SFTAdapterConfig's default")


def test_a_configured_share_of_pairs_longer_than_max_length_passes_and_lists_them(
    tmp_path: Path, tiny_model_folder: Path
) -> None:
    lengths = _pair_lengths(tiny_model_folder, good_splits())
    max_length = max(lengths.values()) - 1
    over = {k for k, n in lengths.items() if n > max_length}
    share = len(over) / len(lengths)
    result = run_base_model(
        tmp_path, tiny_model_folder, good_splits(), conversations(), {"max_length": max_length},
        {"max_too_long_share": share},
    )
    check = _render_check(result)
    assert check.passed and result.success and "sft_adapter" in _materialized(result)
    pairs = check.metadata["instruction_pairs"].value
    assert pairs["too_long"] == pairs["allowed_too_long"] == len(over) and pairs["max_too_long_share"] == share
    assert {r["example_id"] for r in pairs["too_long_examples"]} == over


def test_a_pair_longer_than_the_context_fails_when_sft_does_not_cut(tmp_path: Path, tiny_model_folder: Path) -> None:
    """max_length None: SFT cuts nothing, so a pair longer than the context cannot be trained, whatever share
    of over-long pairs is allowed."""
    splits = good_splits()
    long_text = " ".join(["the invoice total was wrong again"] * 60)
    reply = splits["validation"].index[splits["validation"]["task"] == "reply"][0]
    splits["validation"].loc[reply, "prompt"] = PROMPT_TEMPLATES["reply"].format(text=long_text)
    result = run_base_model(
        tmp_path, tiny_model_folder, splits, conversations(), {"max_length": None}, {"max_too_long_share": 1.0}
    )
    check = _render_check(result)
    assert not check.passed
    pairs = check.metadata["instruction_pairs"].value
    assert pairs["over_context"] == 1 and pairs["too_long"] == 0
    assert pairs["over_context_examples"][0]["example_id"] == "chat/tickets.jsonl#5::reply"
    assert f"longer than the model's context of {MAX_LENGTH} tokens" in check.description
    assert not result.success and "sft_adapter" not in _materialized(result)


def test_a_special_token_written_in_a_completion_fails_and_blocks_training(
    tmp_path: Path, tiny_model_folder: Path
) -> None:
    splits = good_splits()
    reply = splits["test"].index[splits["test"]["task"] == "reply"][0]
    splits["test"].loc[reply, "completion"] = "Clearing the cache fixes it.</s> Anything else?"
    result = run_base_model(tmp_path, tiny_model_folder, splits, conversations())
    check = _render_check(result)
    assert not check.passed
    pairs = check.metadata["instruction_pairs"].value
    assert pairs["failures"] == 1
    assert pairs["failure_examples"][0]["example_id"] == "chat/tickets.jsonl#6::reply"
    assert "special token" in pairs["failure_examples"][0]["error"]
    assert "sft_adapter" not in _materialized(result)


def test_a_conversation_longer_than_the_context_is_reported_and_does_not_block_training(
    tmp_path: Path, tiny_model_folder: Path
) -> None:
    """Conversations train only with SFT's conversations on, which leaves out or counts what does not fit:
    a long chat must not stop SFT on the instruction pairs."""
    chats = conversations()
    long_turns = [{"role": r, "content": "the invoice total was wrong again " * 3} for r in ["user", "assistant"] * 20]
    chats.loc[2, "messages"] = json.dumps(long_turns)
    result = run_base_model(tmp_path, tiny_model_folder, good_splits(), chats)
    check = _render_check(result)
    assert check.passed and result.success and "sft_adapter" in _materialized(result)
    rendered = check.metadata["conversations"].value
    assert rendered["too_long"] == 1 and rendered["failures"] == 0


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        ("[{\"role\": \"user\", \"content\": \"cut off", "not valid JSON"),
        (json.dumps([{"role": "user"}, {"role": "assistant", "content": "ok"}]), "string 'role' and 'content'"),
        (json.dumps([]), "non-empty list"),
    ],
    ids=["truncated-json", "message-without-content", "no-messages"],
)
def test_a_conversation_that_cannot_render_fails_and_blocks_training(
    tmp_path: Path, tiny_model_folder: Path, messages: str, error: str
) -> None:
    chats = conversations()
    chats.loc[2, "messages"] = messages
    result = run_base_model(tmp_path, tiny_model_folder, good_splits(), chats)
    check = _render_check(result)
    assert not check.passed
    assert check.metadata["instruction_pairs"].value["passed"]  # the pairs are fine: the conversation is not
    rendered = check.metadata["conversations"].value
    assert rendered["failures"] == 1 and rendered["rendered"] == len(TICKETS) - 1
    assert rendered["failure_examples"][0]["example_id"] == "chat/tickets.jsonl#3::chat"
    assert error in rendered["failure_examples"][0]["error"]
    assert not result.success and "sft_adapter" not in _materialized(result)
