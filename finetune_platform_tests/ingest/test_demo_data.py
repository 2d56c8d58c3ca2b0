"""The demo corpus: deterministic, realistic enough to learn from, and it contains what it says it does."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import phonenumbers
import pytest

from finetune_platform.ingest import ingest_sources
from finetune_platform.ingest.demo_data import CATEGORIES, DemoCorpusSummary, demo_sources, generate_demo_corpus

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CARD = re.compile(r"\b(?:\d{4}[ -]?){3}\d{4}\b|\b3[47]\d{2}[ -]?\d{6}[ -]?\d{5}\b")
PHONE = re.compile(r"\(\d{3}\) \d{3}-\d{4}|\b\d{3}[-.]\d{3}[-.]\d{4}\b|\+\d{1,2}[ -]\d[\d -]{6,14}\d")
ONE_WORD_REPLIES = {"ok", "Done.", "k", "noted", "Fixed.", "ok thx", "Resolved"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, DemoCorpusSummary, float]:
    raw = tmp_path_factory.mktemp("demo") / "raw"
    started = time.perf_counter()
    summary = generate_demo_corpus(raw, n_tickets=3000, seed=0)
    return raw, summary, time.perf_counter() - started


@pytest.fixture(scope="module")
def ingested(corpus):
    raw, _, _ = corpus
    return ingest_sources(demo_sources(), raw)


def _luhn_ok(number: str) -> bool:
    digits = [int(d) for d in re.sub(r"\D", "", number)][::-1]
    return sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)) % 10 == 0


def _pii_text(records: pd.DataFrame) -> list[str]:
    """Every string ingest reads: all chat turns, e-mail subject/body/reply, note text/resolution."""
    texts = []
    for row in records.itertuples():
        if row.messages:
            texts += [m["content"] for m in json.loads(row.messages)]
        else:
            texts += [row.text, row.response]
    return texts


def test_same_seed_same_bytes_other_seed_other_bytes(corpus, tmp_path):
    raw, summary, _ = corpus
    again = generate_demo_corpus(tmp_path / "again", n_tickets=3000, seed=0)
    other = generate_demo_corpus(tmp_path / "other", n_tickets=3000, seed=1)
    assert summary.files == ["chats/chats.jsonl", "emails/emails.csv", "notes/resolution_notes.parquet"]
    for name in summary.files:
        assert (raw / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
        assert (raw / name).read_bytes() != (tmp_path / "other" / name).read_bytes(), name
    assert again.pii_values == summary.pii_values
    assert other.rows == summary.rows  # the shape depends on n_tickets only


def test_generator_is_fast(corpus):
    _, _, seconds = corpus
    assert seconds < 2.0


def test_ingest_reconciles_and_quarantines_exactly_the_injected_rows(corpus, ingested):
    _, summary, _ = corpus
    assert ingested.reconciles(), ingested.reconciliation_problems()
    assert {name: s.rows_read for name, s in ingested.stats.items()} == summary.rows
    assert {name: s.quarantined_by_reason for name, s in ingested.stats.items()} == summary.expected_quarantine()
    assert summary.tickets == {"chats": 1500, "emails": 900, "notes": 600}
    assert summary.rows == {"chats": 1560, "emails": 936, "notes": 624}  # 4% exact duplicates on top
    assert summary.malformed == {
        "chats": {"truncated_json_line": 5},
        "emails": {"wrong_column_count": 3, "broken_quote": 1},
        "notes": {},
    }
    assert all(s.rows_missing_field == {} for s in ingested.stats.values())


def test_exact_duplicates_and_one_word_replies_match_the_summary(corpus, ingested):
    raw, summary, _ = corpus
    lines = (raw / "chats/chats.jsonl").read_text(encoding="utf-8").splitlines()
    notes = pd.read_parquet(raw / "notes/resolution_notes.parquet")
    emails = ingested.records[ingested.records["source"] == "emails"]
    duplicates = {
        "chats": sum(c - 1 for c in Counter(lines).values()),
        "emails": int(emails.duplicated(["text", "response", "label"]).sum()),
        "notes": int(notes.duplicated().sum()),
    }
    assert duplicates == summary.duplicates
    assert 0.03 <= sum(duplicates.values()) / sum(summary.rows.values()) <= 0.05

    one_word = ingested.records.groupby("source")["response"].apply(lambda r: int(r.isin(ONE_WORD_REPLIES).sum()))
    assert one_word.to_dict() == {s: q["one_word_reply"] for s, q in summary.low_quality.items()}


def test_personal_data_matches_the_summary(corpus, ingested):
    _, summary, _ = corpus
    texts = _pii_text(ingested.records)
    emails = [m for t in texts for m in EMAIL.findall(t)]
    cards = [m for t in texts for m in CARD.findall(t)]
    phones = [m for t in (CARD.sub("", t) for t in texts) for m in PHONE.findall(t)]
    assert len(emails) == summary.pii["email"] > 100
    assert len(cards) == summary.pii["card"] > 30
    assert len(phones) == summary.pii["phone"] > 100
    assert all(_luhn_ok(c) for c in cards)
    assert {c.replace(" ", "").replace("-", "")[:1] for c in cards} == {"3", "4", "5"}  # Amex, Visa, Mastercard
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(p, "US")) for p in phones)
    assert sum(p.startswith("+") and not p.startswith("+1") for p in phones) > 50  # international formats
    corpus_text = "\n".join(texts).lower()
    for kind in ("name", "address"):
        assert summary.pii[kind] == len(summary.pii_values[kind]) > 50
        for value, count in Counter(v.lower() for v in summary.pii_values[kind]).items():
            assert corpus_text.count(value) >= count, (kind, value)


def test_categories_are_learnable_but_not_from_one_keyword(ingested):
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    records = ingested.records.drop_duplicates("text")
    assert sorted(records["label"].unique()) == sorted(CATEGORIES)
    train, test = train_test_split(records, test_size=0.3, random_state=0, stratify=records["label"])
    vectorizer = TfidfVectorizer(min_df=2, sublinear_tf=True)
    model = LogisticRegression(max_iter=300, C=10).fit(vectorizer.fit_transform(train["text"]), train["label"])
    accuracy = (model.predict(vectorizer.transform(test["text"])) == test["label"]).mean()
    assert accuracy > 0.95

    # no single word both covers a category and stays inside it (F1 of "word present" as the classifier)
    present = CountVectorizer(binary=True).fit(records["text"])
    matrix = present.transform(records["text"])
    in_any = np.asarray(matrix.sum(axis=0)).ravel()
    for category in CATEGORIES:
        mask = (records["label"] == category).to_numpy()
        hits = np.asarray(matrix[mask].sum(axis=0)).ravel()
        f1 = 2 * hits / (in_any + mask.sum())
        best = int(f1.argmax())
        assert f1[best] < 0.9, (category, present.get_feature_names_out()[best], f1[best])


def test_rows_read_like_tickets(ingested):
    records = ingested.records
    chats = records[records["source"] == "chats"]
    turns = chats["messages"].map(lambda m: len(json.loads(m)))
    assert set(turns) >= {2, 4, 6}  # single exchanges and multi-turn conversations
    emails = records[records["source"] == "emails"]
    assert emails["text"].str.contains("\n").mean() > 0.9  # subject + multi-line bodies
    assert records["text"].str.contains(r"ORD-\d{6}", case=False).sum() > 300
    assert records["text"].nunique() > 0.85 * len(records)


def test_too_few_tickets_is_refused(tmp_path):
    with pytest.raises(ValueError, match="n_tickets=10 is too small"):
        generate_demo_corpus(tmp_path, n_tickets=10)
