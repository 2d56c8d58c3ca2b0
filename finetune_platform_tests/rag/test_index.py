"""The knowledge index of the hybrid pattern: passages, BM25 search, files, evaluation, prompt context."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from finetune_platform.rag.index import (
    CURRENT_FILE,
    MANIFEST_FILE,
    PASSAGES_FILE,
    Hit,
    IndexFollower,
    KnowledgeIndex,
    KnowledgeIndexError,
    KnowledgeSettings,
    Passage,
    _chunks,
    augment_messages,
    current_index_path,
    evaluate_label_retrieval,
    passages_from_records,
    publish_index,
)

ROWS = [
    ("r1", "notes", "note", "billing", "I was charged twice for my subscription", "Refunded the duplicate charge."),
    ("r2", "notes", "note", "billing", "Invoice shows a double charge this month", "Duplicate charges are refunded in 5 days."),
    ("r3", "notes", "note", "technical", "The camera live view freezes every few seconds", "Update the firmware to 2.4."),
    ("r4", "emails", "email", "technical", "My camera keeps freezing during live view", "Firmware 2.4 fixes the freeze."),
    ("r5", "emails", "email", "account", "Password reset link never arrives", "Check the spam folder for the reset mail."),
    ("r6", "docs", "document", "account", "To reset a password open Settings, then Security.", ""),
]


def records(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"record_id": r, "source": s, "source_file": f"{s}/f.jsonl", "source_row": i, "doc_type": d,
             "label": lab, "text": t, "response": resp, "messages": ""}
            for i, (r, s, d, lab, t, resp) in enumerate(rows)
        ]
    )


@pytest.fixture
def index() -> KnowledgeIndex:
    return KnowledgeIndex.build(passages_from_records(records()))


def test_passages_join_question_and_answer_and_keep_lineage():
    passages = passages_from_records(records())
    assert [p.passage_id for p in passages] == [f"r{i}#0" for i in range(1, 7)]
    first = passages[0]
    assert first.text == "Question: I was charged twice for my subscription\n\nAnswer: Refunded the duplicate charge."
    assert (first.record_id, first.source, first.doc_type, first.label, first.source_file, first.source_row) == (
        "r1", "notes", "note", "billing", "notes/f.jsonl", 0
    )
    assert passages[5].text == "To reset a password open Settings, then Security."  # a document: text alone


def test_joining_question_and_answer_creates_no_pii():
    """A question signed off with "Thanks" above "Answer:" must not read as a signature with a name."""
    from finetune_platform.curation.pii import scan_for_pii

    rows = [("s", "emails", "email", "x", f"My parcel is late.\n\n{end}", "Hi there,\n\nIt ships today.")
            for end in ("Thanks", "Many thanks", "Kind regards", "Cheers", "Best", "--")]
    passages = passages_from_records(records([(f"{r}{i}", *rest) for i, (r, *rest) in enumerate(rows)]))
    assert len(passages) == 6 and scan_for_pii(p.text for p in passages) == []


def test_passages_select_doc_types_and_sources_and_skip_short_ones():
    only_notes = passages_from_records(records(), KnowledgeSettings(doc_types=["note"]))
    assert {p.record_id for p in only_notes} == {"r1", "r2", "r3"}
    only_docs = passages_from_records(records(), KnowledgeSettings(sources=["docs", "emails"]))
    assert {p.record_id for p in only_docs} == {"r4", "r5", "r6"}
    tiny = records([("t", "s", "note", "x", "hi", "")])
    assert passages_from_records(tiny, KnowledgeSettings(min_passage_chars=5)) == []


def test_passages_refuse_frames_without_the_record_columns():
    with pytest.raises(KnowledgeIndexError, match=r"lack the columns \['label'\]"):
        passages_from_records(records().drop(columns=["label"]))


def test_long_records_are_cut_at_paragraphs_then_sentences_then_spaces():
    paragraph = "Sentence one is here. " * 10  # 220 chars
    text = "\n\n".join([paragraph.strip()] * 4)
    chunks = _chunks(text, 500)
    assert all(len(c) <= 500 for c in chunks) and len(chunks) == 2
    assert chunks[0].count("\n\n") == 1  # two whole paragraphs per chunk
    long_sentence = "word " * 300
    cut = _chunks(long_sentence.strip(), 200)
    assert all(len(c) <= 200 for c in cut) and " ".join(cut).split() == long_sentence.split()
    no_spaces = "x" * 450
    assert _chunks(no_spaces, 200) == ["x" * 200, "x" * 200, "x" * 50]
    rows = records([("long", "docs", "document", "", text, "")])
    passages = passages_from_records(rows, KnowledgeSettings(max_passage_chars=500))
    assert [p.passage_id for p in passages] == ["long#0", "long#1"]


def test_search_ranks_the_matching_ticket_first_and_stems_words(index: KnowledgeIndex):
    hits = index.search("why was I charged twice?", k=2)
    assert hits[0].passage.record_id == "r1" and hits[0].rank == 1 and hits[0].score > 0
    assert {h.passage.record_id for h in hits} == {"r1", "r2"}
    # "freezing" meets "freezes" (stemming): both camera tickets, nothing else scores
    assert {h.passage.record_id for h in index.search("camera freezing", k=5)} == {"r3", "r4"}
    assert [h.rank for h in index.search("password reset", k=3)] == [1, 2]


def test_search_returns_only_positive_scores_and_leaves_out_records(index: KnowledgeIndex):
    assert index.search("zebra quantum", k=3) == []
    assert index.search("the and of", k=3) == []  # stop words only
    assert index.search("<EMAIL_1> <PHONE_2>", k=3) == []  # placeholders are not words
    hits = index.search("charged twice", k=3, exclude_records={"r1"})
    assert "r1" not in {h.passage.record_id for h in hits} and hits[0].passage.record_id == "r2"
    with pytest.raises(ValueError, match="k must be at least 1"):
        index.search("charge", k=0)


def test_build_refuses_nothing_to_index_and_repeated_ids():
    with pytest.raises(KnowledgeIndexError, match="no passages to index"):
        KnowledgeIndex.build([])
    p = Passage("a#0", "a", "s", "note", "x", "some text here")
    with pytest.raises(KnowledgeIndexError, match=r"repeated: \['a#0'\]"):
        KnowledgeIndex.build([p, p])


def test_fingerprint_follows_content_and_settings():
    a = KnowledgeIndex.build(passages_from_records(records()))
    b = KnowledgeIndex.build(passages_from_records(records()))
    assert a.fingerprint == b.fingerprint
    changed = records()
    changed.loc[0, "response"] = "Refunded."
    assert KnowledgeIndex.build(passages_from_records(changed)).fingerprint != a.fingerprint
    tuned = KnowledgeSettings(k1=1.2)
    assert KnowledgeIndex.build(passages_from_records(records()), tuned).fingerprint != a.fingerprint


def test_save_and_load_give_the_same_answers(index: KnowledgeIndex, tmp_path: Path):
    folder = index.save(tmp_path / "idx")
    assert sorted(p.name for p in folder.iterdir()) == ["bm25", MANIFEST_FILE, PASSAGES_FILE]
    loaded = KnowledgeIndex.load(folder)
    assert loaded.fingerprint == index.fingerprint and loaded.passages == index.passages
    for query in ("charged twice", "camera freezing", "reset my password"):
        assert [(h.passage, round(h.score, 5)) for h in loaded.search(query, 3)] == [
            (h.passage, round(h.score, 5)) for h in index.search(query, 3)
        ]
    with pytest.raises(KnowledgeIndexError, match="already holds files"):
        index.save(folder)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left behind


def test_load_says_what_is_wrong(index: KnowledgeIndex, tmp_path: Path):
    with pytest.raises(KnowledgeIndexError, match="manifest.json is missing"):
        KnowledgeIndex.load(tmp_path / "nothing")
    folder = index.save(tmp_path / "idx")
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    (folder / MANIFEST_FILE).write_text(json.dumps({**manifest, "format_version": 99}))
    with pytest.raises(KnowledgeIndexError, match="format 99"):
        KnowledgeIndex.load(folder)
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    lines = (folder / PASSAGES_FILE).read_text().splitlines()
    (folder / PASSAGES_FILE).write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(KnowledgeIndexError, match="manifest counts 6 passages, passages.jsonl holds 5"):
        KnowledgeIndex.load(folder)
    (folder / PASSAGES_FILE).write_text("\n".join(lines[:-1] + ["{not json"]) + "\n")
    with pytest.raises(KnowledgeIndexError, match="line 6 is not a passage"):
        KnowledgeIndex.load(folder)
    (folder / MANIFEST_FILE).write_text("{")
    with pytest.raises(KnowledgeIndexError, match="not readable JSON"):
        KnowledgeIndex.load(folder)


def test_publish_points_current_at_each_new_index_and_keeps_the_old_ones(tmp_path: Path):
    first = KnowledgeIndex.build(passages_from_records(records()))
    folder1 = publish_index(first, tmp_path)
    assert current_index_path(tmp_path) == folder1
    assert KnowledgeIndex.load(tmp_path).fingerprint == first.fingerprint  # a root loads its CURRENT
    assert publish_index(first, tmp_path) == folder1  # same content: same folder, nothing rewritten
    second = KnowledgeIndex.build(passages_from_records(records(ROWS[:4])))
    folder2 = publish_index(second, tmp_path)
    assert folder2 != folder1 and folder1.is_dir() and current_index_path(tmp_path) == folder2
    assert current_index_path(tmp_path / "empty") is None
    (tmp_path / CURRENT_FILE).write_text("../elsewhere\n")
    with pytest.raises(KnowledgeIndexError, match="not a knowledge index folder"):
        current_index_path(tmp_path)


def test_follower_serves_the_new_current_index_and_keeps_the_old_one_on_a_bad_pointer(tmp_path: Path):
    first = KnowledgeIndex.build(passages_from_records(records()))
    publish_index(first, tmp_path)
    follower = IndexFollower(tmp_path)
    assert follower.follows_pointer and follower.current().fingerprint == first.fingerprint
    second = KnowledgeIndex.build(passages_from_records(records(ROWS[:4])))
    publish_index(second, tmp_path)
    os.utime(tmp_path / CURRENT_FILE, ns=(1, 1))  # a different mtime even on coarse file systems
    assert follower.current().fingerprint == second.fingerprint
    (tmp_path / CURRENT_FILE).write_text("missing-folder\n")
    assert follower.current().fingerprint == second.fingerprint  # logged, previous index kept
    plain = IndexFollower(publish_index(first, tmp_path / "other"))
    assert not plain.follows_pointer and plain.current().fingerprint == first.fingerprint
    with pytest.raises(KnowledgeIndexError):
        IndexFollower(tmp_path / "nowhere")


def test_evaluation_counts_same_label_passages_and_never_finds_the_question_itself(index: KnowledgeIndex):
    questions = [(r, t, lab) for r, _, _, lab, t, _ in ROWS]
    report = evaluate_label_retrieval(index, questions, k=1)
    # Each question's best other passage: r1<->r2 (billing), r3<->r4 (technical), r5<->r6 (account).
    assert report.queries == 6 and report.hit_rate == 1.0 and report.precision == 1.0 and report.mrr == 1.0
    # chance: one passage of the same label among the 5 others: 1/5 for every question
    assert report.chance_hit_rate == pytest.approx(0.2)
    assert report.lift == pytest.approx(5.0)
    assert set(report.per_label) == {"billing", "technical", "account"}
    relabelled = [(r, t, "billing") for r, t, _ in questions]
    worse = evaluate_label_retrieval(index, relabelled, k=1)
    assert worse.hit_rate == pytest.approx(2 / 6, abs=1e-4)  # only r1 and r2 find a "billing" passage
    with pytest.raises(ValueError, match="no labelled questions"):
        evaluate_label_retrieval(index, [("r1", "text", "")])
    sampled = evaluate_label_retrieval(index, questions, k=2, max_queries=3, seed=1)
    assert sampled.queries == 3 and sampled.k == 2


def test_a_question_does_not_find_its_own_ticket_under_another_record_id():
    """The same ticket in two sources (other case, other spacing) is one ticket: its copy is left out too,
    as the training set's same-ticket rule has it, or the question would find itself at rank 1."""
    rows = ROWS + [("r7", "chats", "chat", "account", "password RESET link  never arrives!", "Look in spam.")]
    index = KnowledgeIndex.build(passages_from_records(records(rows)))
    questions = [(r, t, lab) for r, _, _, lab, t, _ in rows]
    report = evaluate_label_retrieval(index, questions, k=1)
    [r5] = [e for e in report.examples if e["question"].startswith("Password reset link")]
    assert r5["retrieved"] and not any(text.startswith("Question: password RESET") for _, text in r5["retrieved"])


def test_augment_appends_to_the_operators_system_message_and_respects_the_budget(index: KnowledgeIndex):
    hits = index.search("charged twice", k=2)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "charged twice?"}]
    out = augment_messages(messages, hits, max_context_chars=2000)
    # one system message still (a Llama-2 template refuses two), the operator's instructions first
    assert [m["role"] for m in out] == ["system", "user"] and out[0]["content"].startswith("Be brief.\n\nRelevant")
    assert "[1] Question: I was charged twice" in out[0]["content"] and "[2] " in out[0]["content"]
    assert messages[1:] == out[1:] and messages[0]["content"] == "Be brief."  # the input is not changed
    only_first = augment_messages(messages, hits, max_context_chars=len(f"[1] {hits[0].passage.text}") + 5)
    assert "[1] " in only_first[0]["content"] and "[2] " not in only_first[0]["content"]
    cut = augment_messages([{"role": "user", "content": "q"}], hits, max_context_chars=100)
    assert [m["role"] for m in cut] == ["system", "user"] and "[1] Question: I was" in cut[0]["content"]
    assert augment_messages(messages, []) == messages


def test_augment_can_put_the_passages_in_the_last_user_turn(index: KnowledgeIndex):
    hits = index.search("charged twice", k=1)
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
                {"role": "user", "content": "charged twice?"}]
    out = augment_messages(messages, hits, placement="user")
    assert [m["role"] for m in out] == ["user", "assistant", "user"] and out[:2] == messages[:2]
    assert out[2]["content"].startswith("Relevant excerpts") and out[2]["content"].endswith("\n\ncharged twice?")
    assert messages[2]["content"] == "charged twice?"
    with pytest.raises(ValueError, match="needs a user turn"):
        augment_messages([{"role": "system", "content": "x"}], hits, placement="user")
    with pytest.raises(ValueError, match="placement must be"):
        augment_messages(messages, hits, placement="assistant")  # type: ignore[arg-type]


def test_hit_summary_shows_ids_and_score_not_text():
    hit = Hit(Passage("a#0", "a", "notes", "note", "x", "secret-ish text"), 1.234567, 1)
    assert hit.summary() == {"passage_id": "a#0", "record_id": "a", "source": "notes", "score": 1.2346}
