"""Exact and near-duplicate removal (an exact Jaccard similarity join), keeping the best record of each group."""

from __future__ import annotations

import pandas as pd
import pytest

from finetune_platform.curation import CurationSettings, deduplicate
from finetune_platform.curation.dedup import dedup_key

from .tickets import records

BASE = (
    "My order has not arrived although the tracking page said it would be delivered on Monday morning, "
    "and nobody answered the phone when I called the courier twice"
)
REPLY = "Sorry for the delay, the courier confirmed delivery for tomorrow and I added a voucher to your account."


def scored(*rows: tuple[str, str, float]) -> pd.DataFrame:
    df = records(*({"text": t, "response": r} for t, r, _ in rows))
    df["quality_score"] = [q for _, _, q in rows]
    return df


def test_exact_key_ignores_case_whitespace_and_placeholder_numbers():
    assert dedup_key("Mail <EMAIL_1>  NOW", "ok") == dedup_key("mail <EMAIL_2> now", "ok")
    assert dedup_key("a b", "") != dedup_key("a", "b")


def test_exact_duplicates_keep_the_best_and_name_it(settings):
    df = scored(
        ("Where is my parcel <PERSON_1>?", "On its way.", 0.6),
        ("  WHERE is my parcel <PERSON_2>? ", "On its way.", 0.9),
        ("where is my parcel <PERSON_7>?", "On its way.", 0.9),
        ("Something else entirely", "Yes indeed.", 0.7),
    )
    result = deduplicate(df, settings)
    assert result.records["record_id"].tolist() == ["r2", "r4"]
    assert result.dropped[["record_id", "reason", "detail"]].values.tolist() == [
        ["r1", "exact_duplicate", "exact duplicate of r2"],
        ["r3", "exact_duplicate", "exact duplicate of r2"],  # tie at 0.9 goes to the lowest record_id
    ]
    assert result.stats["exact_duplicates"] == 2


def test_a_duplicate_labelled_otherwise_is_named_not_settled_silently(settings):
    df = scored(("I was charged twice this month", "Refund sent.", 0.9), ("I was charged twice this month", "Refund sent.", 0.5),
                ("I was charged twice this month", "Refund sent.", 0.4))
    df["label"] = ["billing", "technical", ""]  # an unlabelled copy is no conflict
    result = deduplicate(df, settings)
    assert result.dropped["detail"].tolist() == [
        "exact duplicate of r1; its label 'technical' differs from the kept record's 'billing'",
        "exact duplicate of r1",
    ]
    assert result.stats["label_conflicts"] == 1
    assert result.stats["label_conflict_examples"] == [
        {"dropped": "r2", "label": "technical", "kept": "r1", "kept_label": "billing"}
    ]


def test_near_duplicates_cluster_and_keep_the_best(settings):
    df = scored(
        (BASE + ".", REPLY, 0.7),
        (BASE + " today.", REPLY, 0.95),
        (BASE.replace("twice", "again") + " today!", REPLY, 0.8),  # punctuation alone would be an exact duplicate
        ("Please close my account and delete the data you hold about me as soon as possible.", "Done, it is closed.", 0.9),
    )
    result = deduplicate(df, settings)
    assert sorted(result.records["record_id"]) == ["r2", "r4"]
    near = result.dropped[result.dropped["reason"] == "near_duplicate"]
    assert sorted(near["record_id"]) == ["r1", "r3"]
    assert all(d.startswith("near-duplicate of r2 (Jaccard 0.") for d in near["detail"])
    example = result.stats["cluster_examples"][0]
    assert example["kind"] == "near" and example["kept"] == "r2" and sorted(example["dropped"]) == ["r1", "r3"]
    assert example["size"] == 3
    assert example["kept_excerpt"].startswith("My order has not arrived")
    assert result.stats["near_clusters"] == 1 and result.stats["duplicate_rate"] == 0.5
    assert result.stats["near_chained_kept"] == 0


@pytest.mark.parametrize("method", ["exact", "minhash_lsh"])
def test_a_record_is_dropped_only_as_a_near_duplicate_of_a_kept_one(method):
    """r3 is a near-duplicate of r1 (0.875), which is dropped as one of r2 (0.86), but only 0.75 like r2:
    single linkage chained it into r2's cluster; now it is kept."""
    df = scored(
        (BASE + ".", REPLY, 0.7),
        (BASE + " today.", REPLY, 0.95),
        (BASE.replace("Monday", "Tuesday") + ".", REPLY, 0.8),
    )
    result = deduplicate(df, CurationSettings(near_dup_method=method))
    assert sorted(result.records["record_id"]) == ["r2", "r3"]
    assert result.dropped["detail"].tolist() == ["near-duplicate of r2 (Jaccard 0.86)"]
    assert result.stats["near_chained_kept"] == 1 and result.stats["near_clusters"] == 1


@pytest.mark.parametrize("method", ["exact", "minhash_lsh"])
def test_a_chain_of_small_edits_is_not_one_cluster(method):
    """31 texts, each one word away from the one before: the first and the last share 10% of their shingles.
    Every record dropped is a near-duplicate (at the threshold or above) of the record its detail names,
    and that record is kept."""
    import random
    import re

    from finetune_platform.curation.dedup import jaccard, shingles

    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(2000)]
    words = [rng.choice(vocab) for _ in range(60)]
    texts = [" ".join(words)]
    for _ in range(30):
        words = list(words)
        words[rng.randrange(len(words))] = rng.choice(vocab)
        texts.append(" ".join(words))
    df = scored(*[(t, "", 0.9 - 0.01 * i) for i, t in enumerate(texts)])
    settings = CurationSettings(near_dup_method=method)
    result = deduplicate(df, settings)
    kept = set(result.records["record_id"])
    assert 8 <= len(kept) <= 20  # single linkage kept r1 alone
    sets = {f"r{i + 1}": set(shingles(dedup_key(t, ""), 3)) for i, t in enumerate(texts)}
    for rid, detail in zip(result.dropped["record_id"], result.dropped["detail"]):
        keeper, similarity = re.fullmatch(r"near-duplicate of (r\d+) \(Jaccard ([0-9.]+)\)", detail).groups()
        assert keeper in kept
        assert jaccard(sets[rid], sets[keeper]) >= settings.near_dup_threshold
        assert float(similarity) == round(jaccard(sets[rid], sets[keeper]), 2)
    for example in result.stats["cluster_examples"]:
        assert example["kept"] in kept and not kept & set(example["dropped"])


def test_threshold_and_switches(settings):
    df = scored((BASE + ".", REPLY, 0.7), (BASE + " today.", REPLY, 0.95))
    assert len(deduplicate(df, CurationSettings(near_dedup=False)).records) == 2
    assert len(deduplicate(df, CurationSettings(near_dup_threshold=0.95)).records) == 2
    exact = scored(("same text here", "same reply", 0.5), ("same text here", "same reply", 0.5))
    assert len(deduplicate(exact, CurationSettings(exact_dedup=False, near_dedup=False)).records) == 2


def test_results_are_reproducible(settings):
    df = scored(*[(f"{BASE} number {i % 7}", REPLY, 0.5 + (i % 3) / 10) for i in range(40)])
    first, second = deduplicate(df, settings), deduplicate(df, settings)
    assert first.records["record_id"].tolist() == second.records["record_id"].tolist()
    assert first.dropped.equals(second.dropped)
    assert len(first.records) + len(first.dropped) == 40


# --- the similarity join is exact -----------------------------------------------------------------------------
def _brute_force(keys: list[str], k: int, threshold: float) -> list[tuple[int, int]]:
    from finetune_platform.curation.dedup import jaccard, shingles

    sets = [set(shingles(key, k)) for key in keys]
    return [
        (i, j)
        for i in range(len(sets))
        for j in range(i + 1, len(sets))
        if sets[i] and sets[j] and jaccard(sets[i], sets[j]) >= threshold - 1e-9
    ]


def _random_keys(rng, n: int) -> list[str]:
    vocab = "a b c d e f g h i j".split()
    keys: list[str] = []
    for _ in range(n):
        if keys and rng.random() < 0.5:  # a near copy of an earlier key
            words = [w for w in keys[rng.randrange(len(keys))].replace("\x1f", " ").split()]
            for _ in range(rng.randint(0, 3)):
                if words:
                    words[rng.randrange(len(words))] = rng.choice(vocab)
        else:
            words = [rng.choice(vocab) for _ in range(rng.randint(0, 12))]
        cut = rng.randint(0, len(words))
        keys.append(" ".join(words[:cut]) + "\x1f" + " ".join(words[cut:]))
    return keys


@pytest.mark.parametrize("chunked", [False, True])
def test_join_finds_exactly_the_pairs_at_or_above_the_threshold(monkeypatch, chunked):
    import random

    from finetune_platform.curation import dedup

    if chunked:  # hash a few keys at a time and verify a few candidate pairs at a time
        monkeypatch.setattr(dedup, "_HASH_CHUNK_BYTES", 64)
        monkeypatch.setattr(dedup, "_PAIR_CHUNK", 7)
    rng = random.Random(13)
    for _ in range(120):
        keys = _random_keys(rng, rng.randint(0, 25))
        k, threshold = rng.randint(1, 4), rng.choice([0.3, 0.5, 2 / 3, 0.75, 0.8, 0.9, 0.99])
        pairs = dedup.near_duplicate_pairs(keys, k, threshold)
        assert [(i, j) for i, j, _ in pairs] == _brute_force(keys, k, threshold), (keys, k, threshold)


def test_join_similarity_is_the_jaccard_of_the_shingles():
    from finetune_platform.curation.dedup import jaccard, near_duplicate_pairs, shingles

    keys = [dedup_key(BASE, REPLY), dedup_key(BASE.replace("Monday", "Tuesday"), REPLY), dedup_key("other", "text")]
    pairs = near_duplicate_pairs(keys, 3, 0.5)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    assert pairs[0][2] == pytest.approx(jaccard(set(shingles(keys[0], 3)), set(shingles(keys[1], 3))))
    assert 0.8 < pairs[0][2] < 1.0


def test_shingles_hash_to_as_many_distinct_values():
    from finetune_platform.curation.dedup import shingle_hashes, shingles

    keys = [dedup_key(BASE, REPLY), dedup_key("Zoë écrit", ""), dedup_key("", "one"), "\x1f", dedup_key("a b a b a b", "")]
    rec, hashes = shingle_hashes(keys, 3)
    for i, key in enumerate(keys):
        assert len(set(hashes[rec == i].tolist())) == len(shingles(key, 3)), key


def test_near_duplicates_of_templated_tickets_are_all_found(settings):
    """Recall on planted near-duplicates: one word changed in a 45-word ticket keeps Jaccard above 0.8."""
    rows = [(f"{BASE} and my reference is R{i}", REPLY, 0.9 - i / 100) for i in range(30)]
    result = deduplicate(scored(*rows), settings)
    assert result.records["record_id"].tolist() == ["r1"]
    assert result.stats["near_duplicates"] == 29 and result.stats["exact_duplicates"] == 0


# --- minhash_lsh: LSH candidates verified exactly ----------------------------------------------------------
def test_both_methods_drop_the_same_planted_near_duplicates():
    rows = [(f"{BASE} and my reference is R{i}", REPLY, 0.9 - i / 100) for i in range(20)]
    rows += [(f"Completely different question number {i} about invoices and refunds", f"Answer {i} here.", 0.8) for i in range(5)]
    df = scored(*rows)
    exact = deduplicate(df, CurationSettings(near_dup_method="exact"))
    minhash = deduplicate(df, CurationSettings(near_dup_method="minhash_lsh"))
    assert exact.records["record_id"].tolist() == ["r1", "r21", "r22", "r23", "r24", "r25"]
    assert minhash.records["record_id"].tolist() == exact.records["record_id"].tolist()
    assert minhash.dropped.equals(exact.dropped)


def test_minhash_pairs_are_a_high_recall_exact_subset_of_the_join():
    """On a generated corpus of templated tickets MinHash LSH (candidates at 0.6) finds >= 98% of the exact
    pairs at 0.8, and never reports a pair below the threshold (every candidate is verified)."""
    import random

    from finetune_platform.curation.dedup import near_duplicate_pairs

    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(400)]
    bases = [[rng.choice(vocab) for _ in range(rng.randint(25, 60))] for _ in range(60)]
    keys = []
    for _ in range(600):
        words = list(rng.choice(bases))
        for _ in range(rng.randint(0, 3)):
            words[rng.randrange(len(words))] = rng.choice(vocab)
        keys.append(dedup_key(" ".join(words), ""))
    exact = near_duplicate_pairs(keys, 3, 0.8, "exact")
    minhash = near_duplicate_pairs(keys, 3, 0.8, "minhash_lsh", candidate_threshold=0.6, num_perm=128)
    assert len(exact) > 500
    assert set(minhash) <= set(exact)
    assert len(minhash) / len(exact) >= 0.98


def test_a_labelled_duplicate_of_an_unlabelled_record_says_its_label_is_lost(settings):
    """The kept record has no label: the dropped one's label leaves the training set, which is said and counted."""
    df = scored(("I was charged twice this month", "Refund sent.", 0.9), ("I was charged twice this month", "Refund sent.", 0.5))
    df["label"] = ["", "billing"]
    result = deduplicate(df, settings)
    assert result.dropped["detail"].tolist() == ["exact duplicate of r1; its label 'billing' is lost: the kept record has none"]
    assert result.stats["label_conflicts"] == 1
    assert result.stats["label_conflict_examples"] == [{"dropped": "r2", "label": "billing", "kept": "r1", "kept_label": ""}]


@pytest.mark.parametrize("method", ["exact", "minhash_lsh"])
def test_a_ticket_without_a_reply_is_no_near_duplicate_of_one_with_a_reply(method):
    """A labelled ticket without a reply trains classification, its copy with a reply trains replies: two
    tasks, as exact dedup already treats them (their keys differ). Near-dedup compared only the shingles,
    which a long text dominates, and dropped one task's record as a near-duplicate of the other's."""
    text = BASE + ", so please tell me what is going on with my order"
    df = scored((text, "", 0.8), (text, "Sorry, it ships tomorrow.", 0.9), (text + " today", "", 0.7))
    df["label"] = ["shipping", "", "shipping"]
    result = deduplicate(df, CurationSettings(near_dup_method=method))
    assert sorted(result.records["record_id"]) == ["r1", "r2"]
    assert result.dropped["detail"].str.startswith("near-duplicate of r1 (Jaccard").tolist() == [True]


@pytest.mark.parametrize("bad", [float("nan"), None, "abc"])
def test_a_record_without_a_numeric_quality_score_is_named(settings, bad):
    """The best-scored record cannot be chosen without scores: a missing or non-numeric one was read as 0 (NaN)
    or failed with pandas' "Unable to parse string" naming neither the column nor the record."""
    df = scored(("same text here", "same reply", 0.5), ("same text here", "same reply", 0.5))
    df["quality_score"] = df["quality_score"].astype(object)
    df.loc[1, "quality_score"] = bad
    with pytest.raises(ValueError, match=r"quality_score is not a number for 1 record\(s\), e\.g\. r2 \("):
        deduplicate(df, settings)


def test_a_short_ticket_that_differs_only_in_punctuation_is_an_exact_duplicate(settings):
    """A one-mark difference changes up to three shingles: a record of fewer than ~29 words stays under the near
    threshold, so short copies differing only in punctuation all stayed, though the split's leakage checks
    (``normalize_prompt``) call them one ticket. Marks inside a number or a word still count."""
    df = scored(
        ("Where is my parcel?", "It is on its way.", 0.6),
        ("where is my parcel", "It is on its way!", 0.9),
        ("Where is my parcel?!", "It is on its way...", 0.5),
        ("Is the fee $5.00?", "Yes.", 0.9),
        ("Is the fee $500?", "Yes.", 0.8),
        ("I can't log in", "Reset it.", 0.9),
        ("I cant log in", "Reset it.", 0.8),
    )
    result = deduplicate(df, settings)
    assert sorted(result.records["record_id"]) == ["r2", "r4", "r5", "r6", "r7"]
    assert result.dropped[["record_id", "reason", "detail"]].values.tolist() == [
        ["r1", "exact_duplicate", "exact duplicate of r2"], ["r3", "exact_duplicate", "exact duplicate of r2"]
    ]


def test_exact_copies_of_a_near_duplicate_follow_it_to_the_record_kept(settings):
    """r3 is an exact copy of r2, which goes as a near-duplicate of r1: the cluster examples named r2 as the
    record kept for r3, and r3's detail pointed at a record that is not in the output."""
    df = scored((BASE + ".", REPLY, 0.9), (BASE + " today.", REPLY, 0.8), (BASE + " TODAY.", REPLY, 0.7),
                ("Please close my account and delete my data.", "Done, it is closed.", 0.9),
                ("please close my account and delete my data", "Done, it is closed.", 0.8))
    result = deduplicate(df, settings)
    kept = set(result.records["record_id"])
    assert kept == {"r1", "r4"}
    assert result.dropped["detail"].tolist() == [
        "near-duplicate of r1 (Jaccard 0.86)",
        "exact duplicate of r2, itself dropped as a near-duplicate of r1",
        "exact duplicate of r4",
    ]
    examples = result.stats["cluster_examples"]
    assert [(e["kind"], e["kept"], e["size"], e["dropped"]) for e in examples] == [
        ("near", "r1", 3, ["r2", "r3"]), ("exact", "r4", 2, ["r5"])
    ]
    assert all(e["kept"] in kept and not kept & set(e["dropped"]) for e in examples)



def test_a_tie_keeps_the_earlier_row_as_people_count_not_the_earlier_string(settings):
    """Equal scores: the lowest record id in natural order stays ("a.csv#9" before "a.csv#10")."""
    df = scored(*[("Where is my parcel? It has not arrived yet.", "On its way.", 0.8)] * 2)
    df["record_id"] = ["s/a.csv#10", "s/a.csv#9"]
    result = deduplicate(df, settings)
    assert result.records["record_id"].tolist() == ["s/a.csv#9"]
    assert result.dropped["detail"].tolist() == ["exact duplicate of s/a.csv#9"]


def test_natural_key_orders_runs_of_digits_as_numbers():
    from finetune_platform.curation.dedup import natural_key

    ids = ["s/b.csv#1", "s/a.csv#10", "s/a.csv#9", "s/a.csv#100", "s/a.csv#2"]
    assert sorted(ids, key=natural_key) == ["s/a.csv#2", "s/a.csv#9", "s/a.csv#10", "s/a.csv#100", "s/b.csv#1"]
    assert sorted(["day10/x.jsonl#1", "day9/x.jsonl#5"], key=natural_key) == ["day9/x.jsonl#5", "day10/x.jsonl#1"]
    assert natural_key("s/a.csv#009") == natural_key("s/a.csv#9") and natural_key("#") < natural_key("s#1")
