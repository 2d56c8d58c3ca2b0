"""Feedback as a source: batch files that ingest reads back exactly, immutable batches, DPO pairs on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from finetune_platform.formats.instructions import PROMPT_TEMPLATES
from finetune_platform.ingest import ingest_source, ingest_sources, load_sources
from finetune_platform.monitoring.feedback import feedback_to_preference_pairs, feedback_to_records
from finetune_platform.monitoring import feedback_source
from finetune_platform.monitoring.feedback_source import (
    FEEDBACK_CHAT_FIELDS,
    FEEDBACK_CHATS_SOURCE,
    FEEDBACK_FIELDS,
    FEEDBACK_SOURCE,
    FeedbackBatchExistsError,
    feedback_batch_lines,
    write_feedback_batches,
    write_feedback_source,
    write_preference_pairs,
)


def _feedback() -> pd.DataFrame:
    rows = [
        # feedback_id, response_id, rating, correction, prompt, response
        (21, "r21", -1, "Restart the router, then reset it to factory settings.", "My router keeps dropping wifi",
         "Thanks for your message."),
        (7, "r7", -1, "Refunds take five working days; I have started yours.", "Where is my refund? Ünïcode ✓",
         "We will check."),
        (9, "r9", 1, None, "Password reset", "Use the link."),  # no correction: not a record
        (12, "r12", -1, "Send the invoice to billing@example.com and we fix it.",
         PROMPT_TEMPLATES["reply"].format(text="The invoice shows the wrong amount"), "Sorry."),
    ]
    frame = pd.DataFrame(rows, columns=["feedback_id", "response_id", "rating", "correction", "prompt", "response"])
    frame["comment"] = None
    return frame


def test_round_trip_through_ingest_gives_the_same_rows_with_lineage_to_the_batch_file(tmp_path: Path) -> None:
    feedback = _feedback()
    records = feedback_to_records(feedback)
    path = write_feedback_source(records, tmp_path, "2026-11-28", feedback=feedback)
    assert path == tmp_path / "feedback" / "2026-11-28.jsonl"

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [list(line) for line in lines] == [list(FEEDBACK_FIELDS)] * 3
    assert [(line["feedback_id"], line["response_id"]) for line in lines] == [(7, "r7"), (12, "r12"), (21, "r21")]

    result = ingest_source(FEEDBACK_SOURCE, tmp_path)
    assert result.reconciles() and result.quarantine.empty
    got = result.records
    assert got["record_id"].tolist() == [f"feedback/feedback/2026-11-28.jsonl#{n}" for n in (1, 2, 3)]
    assert set(got["source"]) == {"feedback"} and set(got["doc_type"]) == {"feedback"}
    assert got["source_file"].tolist() == ["feedback/2026-11-28.jsonl"] * 3
    assert got["text"].tolist() == [
        "Where is my refund? Ünïcode ✓",
        "The invoice shows the wrong amount",  # the logged prompt's template is reduced to the ticket
        "My router keeps dropping wifi",
    ]
    expected = records.set_index("source_row").loc[[7, 12, 21], "response"].tolist()
    assert got["response"].tolist() == expected
    assert got["label"].tolist() == ["", "", ""]
    assert result.stats["feedback"].rows_missing_field == {}  # response and label fields are spelt right


def test_writing_is_deterministic_and_a_batch_is_never_rewritten_with_other_content(tmp_path: Path) -> None:
    feedback = _feedback()
    records = feedback_to_records(feedback)
    path = write_feedback_source(records, tmp_path, "b1", feedback=feedback)
    first = path.read_bytes()

    shuffled = records.sample(frac=1.0, random_state=3)
    assert write_feedback_source(shuffled, tmp_path, "b1", feedback=feedback) == path  # same content: a no-op
    assert path.read_bytes() == first

    changed = records.assign(response=records["response"] + " Anything else?")
    with pytest.raises(FeedbackBatchExistsError, match=r"b1\.jsonl already holds a different feedback batch: feedback ids"):
        write_feedback_source(changed, tmp_path, "b1", feedback=feedback)
    assert path.read_bytes() == first
    assert [p.name for p in (tmp_path / "feedback").iterdir()] == ["b1.jsonl"]  # no temporary file left over

    other = write_feedback_source(changed, tmp_path, "b2", feedback=feedback)
    assert len(ingest_source(FEEDBACK_SOURCE, tmp_path).records) == 6 and other.name == "b2.jsonl"


def test_without_the_feedback_frame_response_ids_are_empty(tmp_path: Path) -> None:
    path = write_feedback_source(feedback_to_records(_feedback()), tmp_path, "b1")
    assert [json.loads(line)["response_id"] for line in path.read_text().splitlines()] == ["", "", ""]


@pytest.mark.parametrize(
    ("batch_name", "problem"),
    [("../escape", "not a usable file name"), ("b1.jsonl", "without the '.jsonl' extension"), ("", "not a usable")],
)
def test_batch_names_that_are_not_plain_file_names_are_rejected(tmp_path: Path, batch_name: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        write_feedback_source(feedback_to_records(_feedback()), tmp_path, batch_name)
    assert not (tmp_path / "feedback").exists()


def test_inconsistent_inputs_are_errors(tmp_path: Path) -> None:
    records = feedback_to_records(_feedback())
    with pytest.raises(ValueError, match=r"missing columns \['messages'\]"):
        write_feedback_source(records.drop(columns=["messages"]), tmp_path, "b")
    with pytest.raises(ValueError, match=r"feedback ids \[7\] occur more than once"):
        write_feedback_source(pd.concat([records, records[records["source_row"] == 7]]), tmp_path, "b")
    with pytest.raises(ValueError, match=r"feedback ids \[12\] are not in the feedback frame"):
        write_feedback_source(records, tmp_path, "b", feedback=_feedback().iloc[:2])


def test_no_batch_yet_gives_zero_rows_and_reconciles(tmp_path: Path) -> None:
    result = ingest_sources([FEEDBACK_SOURCE], tmp_path)
    assert result.records.empty and result.quarantine.empty
    assert result.stats["feedback"].files == 0
    assert result.reconciles()


def test_the_source_entry_survives_a_sources_file(tmp_path: Path) -> None:
    entry = FEEDBACK_SOURCE.model_dump(exclude_defaults=True)
    assert entry["required"] is False
    sources_file = tmp_path / "sources.yaml"
    sources_file.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    assert load_sources(sources_file) == [FEEDBACK_SOURCE]


def test_ingested_feedback_goes_through_curation_like_any_source(tmp_path: Path) -> None:
    from finetune_platform.curation.pipeline import curate

    feedback = _feedback()
    write_feedback_source(feedback_to_records(feedback), tmp_path, "b1", feedback=feedback)
    curated = curate(ingest_source(FEEDBACK_SOURCE, tmp_path).records)
    assert curated.dropped.empty and len(curated.records) == 3
    redacted = curated.records.set_index("record_id").loc["feedback/feedback/b1.jsonl#2", "response"]
    assert redacted == "Send the invoice to <EMAIL_1> and we fix it."
    assert curated.stats["pii_found_by_type"] == {"EMAIL": 1}


def test_preference_pairs_file_holds_prompt_chosen_rejected_per_line(tmp_path: Path) -> None:
    pairs, _ = feedback_to_preference_pairs(_feedback())
    path = write_preference_pairs(pairs, tmp_path / "dpo" / "pairs.jsonl")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3
    assert lines[0] == {
        "prompt": "My router keeps dropping wifi",
        "chosen": "Restart the router, then reset it to factory settings.",
        "rejected": "Thanks for your message.",
        "response_id": "r21",
        "feedback_id": 21,
    }
    assert "Ünïcode ✓" in path.read_text(encoding="utf-8")  # UTF-8, not \\u escapes
    # a chat request's logged conversation travels with its pair (and is left out where there is none)
    conversation = json.dumps([{"role": "user", "content": "My router keeps dropping wifi"}])
    passages = json.dumps({"placement": "system", "context": "[1] Restart the router."})
    with_chat = write_preference_pairs(
        pairs.assign(messages=[conversation, "", ""], rag_context=[passages, "", ""]), tmp_path / "chat.jsonl"
    )
    chat_lines = [json.loads(line) for line in with_chat.read_text(encoding="utf-8").splitlines()]
    assert chat_lines[0]["messages"] == conversation and "messages" not in chat_lines[1]
    assert chat_lines[0]["rag_context"] == passages and "rag_context" not in chat_lines[1]

    with pytest.raises(ValueError, match=r"1 preference pairs have an empty 'chosen' \(first at row 1\)"):
        write_preference_pairs(pairs.assign(chosen=["ok", " ", "fine"]), tmp_path / "bad.jsonl")
    with pytest.raises(ValueError, match=r"missing columns \['rejected'\]"):
        write_preference_pairs(pairs.drop(columns=["rejected"]), tmp_path / "bad.jsonl")
    assert not (tmp_path / "bad.jsonl").exists()


def test_an_empty_batch_writes_no_file(tmp_path: Path) -> None:
    """A new file, even an empty one, changes the source's fingerprint and so re-ingests and retrains."""
    empty = feedback_to_records(_feedback().iloc[:0])
    assert write_feedback_source(empty, tmp_path, "2026-11-29") is None
    assert not (tmp_path / "feedback").exists()


def test_later_records_of_a_batch_go_to_a_continuation_file(tmp_path: Path) -> None:
    """An up-to-the-minute check of today writes the corrections so far; the run after midnight the rest."""
    feedback = _feedback()
    records = feedback_to_records(feedback)
    early = records.iloc[:2]
    first = write_feedback_source(early, tmp_path, "2026-12-05", feedback=feedback)
    assert first.name == "2026-12-05.jsonl" and len(first.read_text().splitlines()) == 2
    rest = write_feedback_source(records, tmp_path, "2026-12-05", feedback=feedback)
    assert rest.name == "2026-12-05+2.jsonl" and len(rest.read_text().splitlines()) == len(records) - 2
    assert write_feedback_source(records, tmp_path, "2026-12-05", feedback=feedback) == rest  # nothing new: no-op
    ingested = ingest_source(FEEDBACK_SOURCE, tmp_path).records
    assert len(ingested) == len(records) and ingested["text"].is_unique  # every correction once, none twice
    changed = records.assign(response=records["response"] + " Anything else?")
    with pytest.raises(FeedbackBatchExistsError, match="were written with other content"):
        write_feedback_source(changed, tmp_path, "2026-12-05", feedback=feedback)


def test_a_continuation_never_replaces_a_batch_file(tmp_path: Path) -> None:
    """A removed file in the middle is not reused (the next number follows the highest), a removed first
    file does not make its continuations' records new again, and a file that appears meanwhile is kept."""
    feedback = _feedback()
    records = feedback_to_records(feedback)
    folder = tmp_path / "feedback"

    def ids_in(path: Path) -> list[int]:
        return [json.loads(line)["feedback_id"] for line in path.read_text(encoding="utf-8").splitlines()]

    paths = [write_feedback_source(records.iloc[: n + 1], tmp_path, "2026-12-05", feedback=feedback) for n in range(3)]
    assert [p.name for p in paths] == ["2026-12-05.jsonl", "2026-12-05+2.jsonl", "2026-12-05+3.jsonl"]
    kept = paths[2].read_bytes()
    removed = ids_in(paths[1])
    paths[1].unlink()
    fourth = write_feedback_source(records, tmp_path, "2026-12-05", feedback=feedback)
    assert fourth.name == "2026-12-05+4.jsonl" and paths[2].read_bytes() == kept  # +3 not replaced
    assert ids_in(fourth) == removed  # only the records no file holds any more

    paths[0].unlink()
    assert write_feedback_source(records.iloc[1:], tmp_path, "2026-12-05", feedback=feedback) == fourth

    # another writer's file where this one was about to write: an error, nothing replaced
    other = folder / "2026-12-05+5.jsonl"
    other.write_text("someone else's batch\n", encoding="utf-8")
    with pytest.raises(FeedbackBatchExistsError, match="nothing was overwritten"):
        feedback_source._create_exclusively(b"x\n", other)
    assert other.read_text(encoding="utf-8") == "someone else's batch\n"
    assert sorted(p.name for p in folder.iterdir()) == ["2026-12-05+3.jsonl", "2026-12-05+4.jsonl", "2026-12-05+5.jsonl"]


def test_without_hard_links_a_batch_file_is_still_created_exclusively(tmp_path: Path, monkeypatch) -> None:
    def no_links(source, target):
        raise PermissionError("this file system has no hard links")

    monkeypatch.setattr(feedback_source.os, "link", no_links)
    path = tmp_path / "2026-12-05.jsonl"
    feedback_source._create_exclusively(b"one\n", path)
    assert path.read_bytes() == b"one\n" and [p.name for p in tmp_path.iterdir()] == [path.name]
    with pytest.raises(FeedbackBatchExistsError, match="nothing was overwritten"):
        feedback_source._create_exclusively(b"two\n", path)
    assert path.read_bytes() == b"one\n"


def test_a_corrected_chat_answer_keeps_its_conversation_through_ingest_and_curation(tmp_path: Path) -> None:
    """A chat request logged with its conversation becomes a line of the feedback_chats source: the logged
    turns and the correction as the last assistant turn, read back as a chat record (text = the user turns,
    response = the correction, messages = the whole conversation) with lineage to the batch file."""
    conversation = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "My router drops wifi"},
                    {"role": "assistant", "content": "Restart it."}, {"role": "user", "content": "Still drops"}]
    feedback = _feedback()
    feedback["messages"] = None
    feedback.loc[feedback["feedback_id"] == 21, "prompt"] = "My router drops wifi\nStill drops"
    feedback.loc[feedback["feedback_id"] == 21, "messages"] = json.dumps(conversation)
    records = feedback_to_records(feedback)
    written = write_feedback_batches(records, tmp_path, "2026-12-06", feedback=feedback)
    assert written == {"feedback": tmp_path / "feedback" / "2026-12-06.jsonl",
                       "feedback_chats": tmp_path / "feedback_chats" / "2026-12-06.jsonl"}
    [line] = [json.loads(x) for x in written["feedback_chats"].read_text(encoding="utf-8").splitlines()]
    assert list(line) == list(FEEDBACK_CHAT_FIELDS) and (line["feedback_id"], line["response_id"]) == (21, "r21")
    correction = "Restart the router, then reset it to factory settings."
    assert line["messages"] == [*conversation, {"role": "assistant", "content": correction}]
    plain = [json.loads(x)["feedback_id"] for x in written["feedback"].read_text(encoding="utf-8").splitlines()]
    assert plain == [7, 12]  # the other corrections stay plain text/response lines

    result = ingest_source(FEEDBACK_CHATS_SOURCE, tmp_path)
    assert result.reconciles() and result.quarantine.empty
    [got] = result.records.to_dict("records")
    assert got["record_id"] == "feedback_chats/feedback_chats/2026-12-06.jsonl#1"
    assert (got["text"], got["response"]) == ("My router drops wifi\nStill drops", correction)
    assert json.loads(got["messages"])[-2:] == [conversation[-1], {"role": "assistant", "content": correction}]
    from finetune_platform.curation.pipeline import curate

    assert len(curate(result.records).records) == 1  # passes curation like any chat transcript

    # each source takes only its own kind of record, and says where the others go
    with pytest.raises(ValueError, match=r"feedback ids \[21\] have a conversation .* 'feedback' source"):
        write_feedback_source(records, tmp_path, "b")
    with pytest.raises(ValueError, match=r"feedback ids \[7, 12\] have no conversation"):
        write_feedback_source(records, tmp_path, "b", source=FEEDBACK_CHATS_SOURCE)
    assert write_feedback_batches(records, tmp_path, "2026-12-06", feedback=feedback) == written  # a no-op again


def test_only_lines_whose_rating_was_replaced_are_withdrawn_and_unlisted_sources_are_reported(tmp_path):
    folder = tmp_path / "feedback"
    folder.mkdir()
    (folder / "2026-11-01.jsonl").write_text(
        json.dumps({"text": "a", "response": "A", "label": "", "feedback_id": 1, "response_id": "r1"}) + "\n"
        + json.dumps({"text": "b", "response": "B", "label": "", "feedback_id": 2, "response_id": "r2"}) + "\n"
        + json.dumps({"text": "c", "response": "C", "label": "", "feedback_id": 3, "response_id": ""}) + "\n"
        + json.dumps({"text": "d", "response": "D", "label": "", "feedback_id": 4, "response_id": "r4"}) + "\n",
        encoding="utf-8",
    )
    asked: list[list[str]] = []

    def latest_of(response_ids: list[str]) -> dict[str, int]:
        asked.append(response_ids)
        return {"r1": 1, "r2": 7}  # r2 rated again later (feedback 7); r4's feedback no longer in the store

    found = feedback_source.superseded_feedback_lines(tmp_path, [feedback_source.FEEDBACK_SOURCE], latest_of)
    assert asked == [["r1", "r2", "r4"]]  # a line without a response id cannot be matched to a later rating
    assert found == {"feedback": {
        "feedback/feedback/2026-11-01.jsonl#2": "feedback 2 replaced by a later rating of response r2 (feedback 7)"
    }}
    unlisted = feedback_source.FEEDBACK_SOURCE.model_copy(update={"withdrawn_rows": None})
    assert feedback_source.withdraw_superseded_feedback(tmp_path, [unlisted], latest_of) == {"feedback": -1}
    assert feedback_source.withdraw_superseded_feedback(tmp_path, [feedback_source.FEEDBACK_SOURCE], latest_of) == {
        "feedback": 1
    }
    assert (folder / "withdrawn.csv").read_text(encoding="utf-8").splitlines() == [
        "record_id,reason",
        "feedback/feedback/2026-11-01.jsonl#2,feedback 2 replaced by a later rating of response r2 (feedback 7)",
    ]


def test_preference_pairs_are_read_with_their_file_and_line_and_pii_in_them_is_refused(tmp_path: Path) -> None:
    from finetune_platform.monitoring.feedback import PreferencePairsPiiError, refuse_pairs_with_pii

    first = tmp_path / "2026-12-04.jsonl"
    first.write_text(json.dumps({"prompt": "p1", "chosen": "a", "rejected": "b"}) + "\n\n"
                     + json.dumps({"prompt": "p2", "chosen": "call +44 7911 123456", "rejected": "b",
                                   "rag_context": json.dumps({"placement": "system", "context": "x"})}) + "\n")
    (tmp_path / "2026-12-05.jsonl").write_text("")
    pairs = feedback_source.read_preference_pairs(sorted(tmp_path.glob("*.jsonl")))
    assert pairs[["prompt", "pairs_file", "pairs_line"]].values.tolist() == [
        ["p1", "2026-12-04.jsonl", 1], ["p2", "2026-12-04.jsonl", 3]]  # the blank line counts
    assert refuse_pairs_with_pii(pairs.iloc[:1]) == 3  # prompt, chosen, rejected
    with pytest.raises(PreferencePairsPiiError, match=r"1 PII values in 1 of 2 preference pairs.*\n  2026-12-04.jsonl "
                       r"line 3, field 'chosen': PHONE \+\*\*\*6 \(15 chars\)"):
        refuse_pairs_with_pii(pairs)
    # without the location columns (pairs built in memory): the row
    with pytest.raises(PreferencePairsPiiError, match="row 1, field 'chosen'"):
        refuse_pairs_with_pii(pairs.drop(columns=["pairs_file", "pairs_line"]))
    assert feedback_source.read_preference_pairs([]).empty
