"""Hand-written fast paths give exactly what the slow path (or the library they replace) gives.

Each test runs both on the labelled PII set, the demo-like tickets of ``tickets.py`` and random texts, and
compares results for equality (not approximately).
"""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest
from datasketch import MinHash, MinHashLSH

from finetune_platform.curation import config, dedup, pii, quality
from finetune_platform.curation.dedup import _SimilarityJoin, dedup_key

# --- random inputs ----------------------------------------------------------------------------------------
_ALPHABET = (
    "abcdefghij ABCDEFG 0123456789 .,:;-+()@#/'\n\t"
    # Unicode digits, odd case folds, wide and curly forms
    "é ü ß ñ Ø İ ı ſ K ٣ ४ ０ ½ ² “ ” ’ \u00a0 \u200b"
)


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 80)))


@pytest.fixture(scope="module")
def texts(pii_labelled) -> list[str]:
    rng = random.Random(5)
    return [ex["text"] for ex in pii_labelled] + [_random_text(rng) for _ in range(400)]


# --- pii ----------------------------------------------------------------------------------------------------
def test_count_digits_is_the_number_of_digit_matches(texts):
    for text in texts:
        assert pii._count_digits(text) == len(pii._DIGIT.findall(text)), text
        if text.isascii():
            assert pii._count_digits(text) == sum(c.isdigit() for c in text), text


# --- quality ------------------------------------------------------------------------------------------------
def _random_words(rng: random.Random) -> list[str]:
    vocab = ["the", "refund", "refunded", "order", "12345", "ab", "deliver", "delivery", "i'm", "é", "naïve", "x"]
    return [rng.choice(vocab) for _ in range(rng.randint(0, 30))]


def test_content_stems_with_a_memo_are_the_stems_without(texts):
    rng = random.Random(3)
    memo: dict[str, str | None] = {}
    word_lists = [quality._words(t) for t in texts] + [_random_words(rng) for _ in range(300)]
    for words in word_lists:
        assert quality._content_stems(words, memo) == quality._content_stems(words), words
    other = [w for w in word_lists if w]
    for text_words, response_words in zip(other, reversed(other)):
        assert quality.relevance_score(text_words, response_words, memo) == quality.relevance_score(
            text_words, response_words
        )


def test_trigram_repetition_matches_the_general_formula():
    rng = random.Random(11)
    for _ in range(500):
        words = [rng.choice("a b c d".split()) for _ in range(rng.randint(0, 15))]
        general = 1.0 if len(words) <= 3 else len(set(zip(*[words[i:] for i in range(3)]))) / (len(words) - 2)
        assert quality.repetition_score(words, 3) == general, words


# --- config: the frames every stage builds ------------------------------------------------------------------
def test_make_dropped_equals_a_frame_of_tuples_cast_to_str():
    for rows in ([], [("r1", "empty_text", "text is empty")], [(7, "x", 2.5), ("r2", "y", "")]):
        reference = pd.DataFrame(
            [(rid, "stage", reason, detail) for rid, reason, detail in rows], columns=config.DROPPED_COLUMNS
        ).astype({"record_id": str, "stage": str, "reason": str, "detail": str})
        built = config.make_dropped(rows, "stage")
        pd.testing.assert_frame_equal(built, reference)
        assert built.dtypes.tolist() == reference.dtypes.tolist()


def test_text_column_fast_path_equals_the_general_conversion():
    values = ["a", "", "b c"]
    assert config.text_column(pd.DataFrame({"t": values}), "t") == values
    mixed = pd.DataFrame({"t": ["a", None, float("nan"), 3, "b"]})
    assert config.text_column(mixed, "t") == ["a", "", "", "3", "b"]


def test_finish_stage_keeps_everything_the_same_way_with_or_without_a_mask():
    df = pd.DataFrame({"record_id": ["a", "b"], "x": [1, 2]}, index=[5, 9])
    all_kept = config.finish_stage("s", df, [True, True], df, [])
    pd.testing.assert_frame_equal(all_kept.records, df.reset_index(drop=True))
    assert all_kept.records is not df
    some = config.finish_stage("s", df, [False, True], df, [("a", "why", "because")])
    assert some.records["record_id"].tolist() == ["b"] and some.records.index.tolist() == [0]


# --- normalize and pii: the shared JSON encoder ----------------------------------------------------------------
def test_json_encoder_writes_what_json_dumps_writes():
    from finetune_platform.curation import normalize

    for obj in ([{"role": "user", "content": "Zoë \u2028 \"q\" \\ <EMAIL_1>"}], [], [{"a": 1.5, "b": None}]):
        assert normalize._JSON_ENCODER.encode(obj) == json.dumps(obj, ensure_ascii=False)
        assert pii._JSON_ENCODER.encode(obj) == json.dumps(obj, ensure_ascii=False)


# --- dedup: vectorised MinHash LSH against datasketch ------------------------------------------------------
def _datasketch_reference(join: _SimilarityJoin, candidate_threshold: float, num_perm: int, seed: int):
    """datasketch's MinHashes of every record and the candidate pairs (i < j) its MinHashLSH returns."""
    sketches = MinHash.bulk(
        (join.rank[f:f + s].tolist() for f, s in zip(join.first.tolist(), join.size.tolist())),
        num_perm=num_perm,
        seed=seed,
        scheme="affine32",
        hashfunc=lambda v: v,
    )
    lsh = MinHashLSH(threshold=candidate_threshold, num_perm=num_perm)
    for i, sketch in enumerate(sketches):
        if join.size[i]:
            lsh.insert(i, sketch, check_duplication=False)
    candidates = sorted(
        {(i, j) for i, sketch in enumerate(sketches) if join.size[i] for j in lsh.query(sketch) if j > i}
    )
    return sketches, candidates


def _templated_keys(rng: random.Random, n: int) -> list[str]:
    vocab = [f"w{i}" for i in range(60)]
    bases = [[rng.choice(vocab) for _ in range(rng.randint(3, 40))] for _ in range(max(1, n // 6))]
    keys = []
    for _ in range(n):
        words = list(rng.choice(bases))
        for _ in range(rng.randint(0, 4)):
            words[rng.randrange(len(words))] = rng.choice(vocab)
        cut = rng.randint(0, len(words))
        keys.append(dedup_key(" ".join(words[:cut]), " ".join(words[cut:])) if rng.random() > 0.05 else "\x1f")
    return keys


def _decode(codes: np.ndarray, n: int) -> list[tuple[int, int]]:
    return [(c // n, c % n) for c in codes.tolist()]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_minhash_signatures_and_lsh_candidates_are_datasketchs(seed):
    rng = random.Random(seed)
    keys = _templated_keys(rng, rng.randint(2, 120))
    k = rng.randint(1, 4)
    candidate_threshold, num_perm = rng.choice([0.3, 0.5, 0.6, 0.8]), rng.choice([16, 64, 128])
    mh_seed = rng.randint(0, 9)
    join = _SimilarityJoin(keys, k)
    sketches, candidates = _datasketch_reference(join, candidate_threshold, num_perm, mh_seed)
    signatures = join.minhash_signatures(num_perm, mh_seed)
    for i, sketch in enumerate(sketches):
        assert signatures[i].tolist() == sketch.hashvalues.tolist(), i
    assert _decode(join.minhash_candidates(candidate_threshold, num_perm, mh_seed), join.n) == candidates
    lsh = MinHashLSH(threshold=candidate_threshold, num_perm=num_perm)
    assert dedup._lsh_bands(candidate_threshold, num_perm) == (lsh.b, lsh.r)


def test_minhash_signatures_in_small_chunks(monkeypatch):
    keys = _templated_keys(random.Random(9), 80)
    join = _SimilarityJoin(keys, 3)
    whole = join.minhash_signatures(64, 1)
    monkeypatch.setattr(dedup, "_MINHASH_CHUNK", 5)  # one record at a time, mostly
    assert np.array_equal(join.minhash_signatures(64, 1), whole)


def test_hash_collisions_fall_back_to_sorting_the_band_values(monkeypatch):
    """With every band hash equal, the hashed path must notice the mixed runs and give the exact buckets."""
    keys = _templated_keys(random.Random(4), 90)
    join = _SimilarityJoin(keys, 3)
    expected = join.minhash_candidates(0.6, 128, 1)
    monkeypatch.setattr(dedup, "_band_hashes", lambda blocks: np.zeros(blocks.shape[:2], dtype=np.uint64))
    assert np.array_equal(join.minhash_candidates(0.6, 128, 1), expected)
    _, candidates = _datasketch_reference(join, 0.6, 128, 1)
    assert _decode(expected, join.n) == candidates


def _reference_minhash_pairs(
    join: _SimilarityJoin, threshold: float, candidate_threshold: float, num_perm: int, seed: int
) -> list[tuple[int, int, float]]:
    """minhash_pairs as it was with datasketch: its candidates, size filter, Jaccard on Python sets."""
    _, candidates = _datasketch_reference(join, candidate_threshold, num_perm, seed)
    out = []
    for i, j in candidates:
        ni, nj = int(join.size[i]), int(join.size[j])
        if min(ni, nj) < threshold * max(ni, nj) - dedup._EPS:
            continue
        inter = len(join.shingle_set(i) & join.shingle_set(j))
        similarity = inter / (ni + nj - inter)
        if similarity >= threshold - dedup._EPS:
            out.append((i, j, similarity))
    return sorted(out)


@pytest.mark.parametrize("chunked", [False, True])
def test_minhash_pairs_equal_datasketch_candidates_verified_on_sets(monkeypatch, chunked):
    if chunked:  # look up a few shingles at a time and build a few band pairs at a time
        monkeypatch.setattr(dedup, "_PAIR_CHUNK", 7)
    rng = random.Random(21)
    for _ in range(25):
        keys = _templated_keys(rng, rng.randint(0, 60))
        k, threshold = rng.randint(1, 4), rng.choice([0.5, 0.7, 0.8, 0.9])
        candidate_threshold = min(threshold, rng.choice([0.4, 0.6]))
        join = _SimilarityJoin(keys, k)
        assert join.minhash_pairs(threshold, candidate_threshold, 64, 1) == _reference_minhash_pairs(
            join, threshold, candidate_threshold, 64, 1
        ), (keys, k, threshold)


def test_intersection_sizes_are_set_intersections(monkeypatch):
    rng = random.Random(8)
    keys = _templated_keys(rng, 70)
    join = _SimilarityJoin(keys, 2)
    a = np.array([rng.randrange(join.n) for _ in range(300)])
    b = np.array([rng.randrange(join.n) for _ in range(300)])
    expected = [len(join.shingle_set(i) & join.shingle_set(j)) for i, j in zip(a.tolist(), b.tolist())]
    assert join.intersection_sizes(a, b).tolist() == expected
    monkeypatch.setattr(dedup, "_PAIR_CHUNK", 3)
    assert join.intersection_sizes(a, b).tolist() == expected
    assert join.intersection_sizes(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)).tolist() == []


def test_dedup_key_unifies_placeholders_as_the_template_substitution_did(texts):
    import re

    rng = random.Random(17)
    pieces = ["<EMAIL_1>", "<PERSON_12>", "<A_B_3>", "<x_1>", "<_1>", "<EMAIL_>", " ", "a", "<", ">", "_9"]
    samples = list(texts) + [
        "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        for _ in range(400)
    ]
    template = re.compile(r"<([A-Z][A-Z_]*?)_\d+>")
    for s in samples:
        assert dedup._dedup_norm(s) == " ".join(template.sub(r"<\1>", s).casefold().split()), s
    assert dedup_key("Mail <EMAIL_12> or <CREDIT_CARD_2>", "") == "mail <email> or <credit_card>\x1f"


@pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\u2028"])
def test_line_break_characters_become_newlines_whether_or_not_ftfy_runs(char):
    """ftfy deletes some of these when it runs; the platform treats them as line breaks everywhere."""
    from finetune_platform.curation.normalize import normalize_text

    assert normalize_text(f"plain{char}text") == "plain\ntext"  # ASCII: ftfy skipped
    assert normalize_text(f"café{char}text") == "café\ntext"  # non-ASCII: ftfy may run
    assert normalize_text(f"Rom\u00c3\u00a1ntica{char}&amp;") == "Romántica\n&"  # mojibake: ftfy runs
