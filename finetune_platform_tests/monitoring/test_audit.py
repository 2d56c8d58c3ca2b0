"""Audit: the planted nearest training example comes first, with its lineage from a real manifest."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from finetune_platform.datasets.split import read_manifest, write_training_set
from finetune_platform.formats.instructions import PROMPT_TEMPLATES, build_instruction_examples
from finetune_platform.monitoring.audit import AUDIT_COLUMNS, UnknownResponseError, audit_markdown, audit_responses
from finetune_platform.schemas import EXAMPLE_COLUMNS, RECORD_COLUMNS

DVC_MD5 = "3f2a9c0d1e4b5a6978877665544332211.dir"

TICKETS = [
    # (file, row, text, response, label)
    ("chats/a.jsonl", 1, "My parcel has not arrived after two weeks, where is it?",
     "Your parcel is delayed at the depot; it ships tomorrow.", "shipping"),
    ("chats/a.jsonl", 2, "I was charged twice for my subscription this month.",
     "We have refunded the duplicate charge.", "billing"),
    ("chats/a.jsonl", 3, "The app crashes whenever I open the settings page on Android.",
     "Please update to version 4.2, which fixes the crash.", "bug"),
    ("emails/b.csv", 4, "How do I reset my password? The reset email never comes.",
     "Check your spam folder, then request a new link.", "account"),
    # planted: nearly identical to the bad response's ticket (one word and the case differ)
    ("emails/b.csv", 7, "My router keeps dropping the wifi connection every evening since the update.",
     "Tell them to buy a new router, ours are all broken.", "connectivity"),
    ("emails/b.csv", 9, "Can I change the delivery address of an order I already placed?",
     "Yes, until it ships: edit the address under Orders.", "shipping"),
    ("notes/c.txt", 1, "The invoice PDF shows the wrong company name and VAT number.",
     "We have corrected the invoice and sent it again.", "billing"),
]


def _records() -> pd.DataFrame:
    rows = []
    for source_file, row, text, response, label in TICKETS:
        source = source_file.split("/")[0]
        rows.append((f"{source}/{source_file}#{row}", source, source_file, row, "chat", text, response, label, ""))
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)


@pytest.fixture(scope="module")
def training_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict]:
    """All examples in train (a real manifest written and read back), as the audit gets them."""
    records = _records()
    examples = build_instruction_examples(records)
    empty = pd.DataFrame(columns=EXAMPLE_COLUMNS)
    folder = tmp_path_factory.mktemp("training_set")
    write_training_set({"train": examples, "validation": empty, "test": empty}, folder, records)
    return examples, read_manifest(folder).entries


def _responses() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "response_id": ["good-1", "bad-1"],
            "prompt": [
                PROMPT_TEMPLATES["reply"].format(text="Where can I download my invoice?"),
                PROMPT_TEMPLATES["reply"].format(text="my router keeps dropping the wifi connection every night since the update"),
            ],
            "response": ["Under Billing, Invoices.", "Buy a new router, ours are all broken."],
        }
    )


def test_planted_example_ranks_first_on_prompt_and_output_with_lineage(training_set) -> None:
    examples, entries = training_set
    audit = audit_responses(_responses(), examples, entries, DVC_MD5, k=3, response_ids=["bad-1"])

    assert list(audit.columns) == AUDIT_COLUMNS
    assert set(audit["response_id"]) == {"bad-1"}
    prompt_side = audit[audit["matched_on"] == "prompt"]
    assert prompt_side["rank"].tolist() == [1, 2, 3]
    first, second, third = prompt_side.to_dict("records")
    # the same ticket's two examples tie on ticket text; the one of the response's task (reply) comes first
    assert first["example_id"] == "emails/emails/b.csv#7::reply"
    assert second["example_id"] == "emails/emails/b.csv#7::classify"
    assert first["similarity"] == pytest.approx(second["similarity"])
    assert first["similarity"] > 0.6 > third["similarity"] * 2
    assert prompt_side["similarity"].is_monotonic_decreasing
    assert {k: first[k] for k in ("split", "record_id", "source", "source_file", "source_row", "dvc_md5")} == {
        "split": "train",
        "record_id": "emails/emails/b.csv#7",
        "source": "emails",
        "source_file": "emails/b.csv",
        "source_row": 7,
        "dvc_md5": DVC_MD5,
    }
    assert first["example_completion"] == "Tell them to buy a new router, ours are all broken."
    assert "My router keeps dropping" in first["example_prompt"]

    output_side = audit[audit["matched_on"] == "output"]
    assert output_side.iloc[0]["example_id"] == "emails/emails/b.csv#7::reply"
    assert output_side.iloc[0]["similarity"] > 0.6
    assert len(output_side) <= 3


def test_every_response_in_order_when_no_ids_are_given_and_k_bounds_rows(training_set) -> None:
    examples, entries = training_set
    audit = audit_responses(_responses(), examples, entries, DVC_MD5, k=2)
    assert audit["response_id"].drop_duplicates().tolist() == ["good-1", "bad-1"]
    counts = audit.groupby(["response_id", "matched_on"]).size()
    assert counts.max() == 2 and (audit["similarity"] > 0).all()
    good_prompt = audit[(audit["response_id"] == "good-1") & (audit["matched_on"] == "prompt")]
    assert good_prompt.iloc[0]["record_id"] == "notes/notes/c.txt#1"  # the invoice ticket


def test_manifest_as_dataframe_gives_the_same_audit(training_set) -> None:
    examples, entries = training_set
    frame = pd.DataFrame([{"example_id": k, **vars(v)} for k, v in entries.items()])
    as_dicts = {k: vars(v) for k, v in entries.items()}
    expected = audit_responses(_responses(), examples, entries, DVC_MD5)
    pd.testing.assert_frame_equal(audit_responses(_responses(), examples, frame, DVC_MD5), expected)
    pd.testing.assert_frame_equal(audit_responses(_responses(), examples, as_dicts, DVC_MD5), expected)


def test_text_shared_with_nothing_gives_no_rows(training_set) -> None:
    examples, entries = training_set
    responses = pd.DataFrame({"response_id": ["x"], "prompt": ["zzzz qqqq"], "response": [""]})
    audit = audit_responses(responses, examples, entries, DVC_MD5)
    assert audit.empty and list(audit.columns) == AUDIT_COLUMNS
    assert "No similar training examples found" in audit_markdown(audit)


def test_unknown_response_ids_are_named(training_set) -> None:
    examples, entries = training_set
    with pytest.raises(UnknownResponseError) as caught:
        audit_responses(_responses(), examples, entries, DVC_MD5, response_ids=["bad-1", "nope-7"])
    assert str(caught.value).startswith("response ids ['nope-7'] are not among the 2 responses passed in (e.g. good-1")


def test_lineage_must_match_the_examples(training_set) -> None:
    examples, entries = training_set
    partial = dict(list(entries.items())[1:])
    with pytest.raises(ValueError, match=r"1 training examples have no manifest entry \(e\.g\. \['chats/chats/a\.jsonl#1::classify'\]\)"):
        audit_responses(_responses(), examples, partial, DVC_MD5)
    moved = examples.assign(record_id=examples["record_id"].where(examples.index != 0, "chats/chats/a.jsonl#99"))
    with pytest.raises(ValueError, match="different training set versions"):
        audit_responses(_responses(), moved, entries, DVC_MD5)
    with pytest.raises(ValueError, match="dvc_md5 is empty"):
        audit_responses(_responses(), examples, entries, " ")
    with pytest.raises(ValueError, match=r"responses is missing columns \['response'\]"):
        audit_responses(_responses().drop(columns=["response"]), examples, entries, DVC_MD5)


def test_markdown_names_the_raw_row_and_keeps_tables_intact(training_set) -> None:
    examples, entries = training_set
    audit = audit_responses(_responses(), examples, entries, DVC_MD5, k=2, response_ids="bad-1")
    audit.loc[0, "example_completion"] = "pipe | inside\nand a newline"
    text = audit_markdown(audit)
    assert text.startswith("### Response `bad-1`")
    assert f"`{DVC_MD5}`" in text
    assert "emails/b.csv#7" in text
    assert "pipe \\| inside and a newline" in text
    table_lines = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table_lines) == 8  # two tables of header, rule and two rows
    assert {len(re.findall(r"(?<!\\)\|", line)) for line in table_lines} == {8}  # 7 cells each, none split
