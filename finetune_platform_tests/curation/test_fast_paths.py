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


def test_stems_from_a_batch_stem_table_are_content_stems(texts):
    rng = random.Random(4)
    word_lists = [quality._words(t) for t in texts] + [_random_words(rng) for _ in range(300)] + [[]]
    table = quality._stem_table(set().union(*word_lists))
    for words in word_lists:
        assert quality._stems(words, table) == quality._content_stems(words), words


def test_trigram_repetition_matches_the_general_formula():
    rng = random.Random(11)
    for _ in range(500):
        words = [rng.choice("a b c d".split()) for _ in range(rng.randint(0, 15))]
        general = 1.0 if len(words) <= 3 else len(set(zip(*[words[i:] for i in range(3)]))) / (len(words) - 2)
        assert quality.repetition_score(words, 3) == general, words


def _quality_text(rng: random.Random) -> str:
    words = ["please", "Thanks", "SORRY", "refund", "refunded", "order", "the", "API", "NOW", "damn", "it's", "don't",
             "'quoted'", "rock'n'roll", "é", "naïve", "İstanbul", "<EMAIL_1>", "<PERSON_2>", "12345", "ok", "!!", "??",
             "...", "the", "and", "happy to help", "glad to", "WHY", "isn't", "x", "_", "’s"]
    return rng.choice([" ", "\n", "  "]).join(rng.choice(words) for _ in range(rng.randint(0, 14)))


@pytest.mark.parametrize(
    "overrides",
    [{}, {"require_response": True}, {"repetition_ngram": 2, "ideal_min_words": 5, "ideal_max_words": 9},
     {"weight_tone": 3.0, "weight_relevance": 0.0, "drop_truncated": False, "min_response_words": 1}],
)
def test_score_quality_per_distinct_string_equals_scoring_each_record(texts, overrides):
    """score_quality computes each distinct string's scorer parts once; the reference scores every record
    alone with quality_signals, combine_scores and _filter_reason, and sums the scorer values in order."""
    settings = quality.CurationSettings(**overrides)
    rng = random.Random(41)
    pool = [_quality_text(rng) for _ in range(150)] + [t for t in texts[:200]] + [""] * 5
    rows = [(rng.choice(pool), rng.choice(pool)) for _ in range(1500)]
    df = pd.DataFrame({"record_id": [f"r{i}" for i in range(len(rows))], "source": "s", "source_file": "f",
                       "source_row": range(len(rows)), "doc_type": "chat", "text": [t for t, _ in rows],
                       "response": [r for _, r in rows], "label": "", "messages": ""})
    result = quality.score_quality(df, settings)
    scores, kept, dropped, sums = [], [], [], [0.0] * len(quality.SCORERS)
    for rid, (text, response) in zip(df["record_id"], rows):
        signals = quality.quality_signals(text, response, settings)
        sums = [total + signals[name] for total, name in zip(sums, quality.SCORERS)]
        score = quality.combine_scores(signals, settings)
        scores.append(score)
        verdict = quality._filter_reason(text, response, score, settings)
        if verdict is None:
            kept.append((rid, score))
        else:
            dropped.append((rid, *verdict))
    assert list(zip(result.records["record_id"], result.records["quality_score"])) == kept
    assert list(result.dropped[["record_id", "reason", "detail"]].itertuples(index=False, name=None)) == dropped
    assert result.stats["scorer_means"] == {name: round(t / len(rows), 4) for name, t in zip(quality.SCORERS, sums)}
    assert result.stats["score_mean"] == round(float(np.mean(scores)), 4)
    assert len(kept) > 100 and len(dropped) > 50


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


# --- normalize and pii: the shared JSON encoder -------------------------------------------------------------------
def test_json_encoder_writes_what_json_dumps_writes():
    from finetune_platform.curation import normalize

    for obj in ([{"role": "user", "content": "Zoë \u2028 \"q\" \\ <EMAIL_1>"}], [], [{"a": 1.5, "b": None}]):
        assert normalize._JSON_ENCODER.encode(obj) == json.dumps(obj, ensure_ascii=False)
        assert pii._JSON_ENCODER.encode(obj) == json.dumps(obj, ensure_ascii=False)


# --- normalize: messages parsed with orjson and written turn by turn ----------------------------------------------
def _messages_strings(texts: list[str]) -> list[str]:
    """Valid, odd and broken ``messages`` strings: every shape, the JSON that orjson reads differently from
    json or rejects (big integers, NaN, lone surrogates, BOM), and random cuts and byte flips of valid ones."""
    rng = random.Random(17)

    def turns(n: int) -> list[dict]:
        out = []
        for _ in range(n):
            turn = {"role": rng.choice(["user", " assistant ", "", "x\u2028"]), "content": rng.choice(texts)}
            if rng.random() < 0.1:
                turn = {"content": turn["content"], "role": turn["role"]}  # content first
            elif rng.random() < 0.1:
                turn["name"] = rng.choice(["x", 3, 2**70, 0.1, None, [1.5]])
            out.append(turn)
        return out

    valid = [json.dumps(turns(rng.randint(0, 5)), ensure_ascii=rng.random() < 0.5) for _ in range(300)]
    compact = [json.dumps(turns(rng.randint(1, 4)), separators=(",", ":"), ensure_ascii=False) for _ in range(50)]
    odd = [
        "[]", " [ ] ", "[{}]", "{}", "3", '"x"', "null", "[1]", "[null]", "\ufeff[]", "[]\x0b", "\xa0[]",
        '[{"content": "a", "role": "user"}]', '[{"role": "user", "content": "a", "name": 18446744073709551616}]',
        '[{"role": "user", "content": "a", "w": NaN}]', '[{"role": "user", "content": "a", "w": -Infinity}]',
        '[{"role": "user", "content": "a", "w": 0.1, "n": -9223372036854775809, "z": [1e400, -0, 1E5]}]',
        '[{"role": "user", "content": "\\ud800 lone"}]', '[{"role": "user", "content": "\\udc00\\ud800"}]',
        '[{"role": "user", "content": "\ud800 raw"}]', '[{"role": "user", "content": "\\ud83d\\ude00"}]',
        '[{"role": "user", "role": "bot", "content": "dup"}]', '[{"role": "u", "content": "c", "role": 3}]',
        '[{"role": "u", "content": "a\x00b"}]', '[{"role": "u", "content": "a\x7fb\u2028"}]',
        '[{"role": "u", "content": "x"},]', '[{"role": "u", "content": "x"}] x', '[{"role": 1, "content": "x"}]',
        '[{"role": "u", "content": ["x"]}]', '[{"role": "u", "content": "x"}, 7]', '[{"role": "u"}]',
        "18446744073709551616", "-9223372036854775809", "1e400", "[" * 1500 + "]" * 1500, '"' + "a" * 100_000 + '"',
        '[{"role": "u", "content": "\\/\\b\\f\\n\\r\\t\\"\\\\ \\u00e9\\u0000"}]',
    ]
    broken = []
    for text in valid[:150]:
        cut = rng.randrange(len(text) + 1)
        broken.append(text[:cut])
        broken.append(text[:cut] + rng.choice('"\\{}[],: 0-eE.\x00\ud800\ufeff') + text[cut:])
    return valid + compact + odd + broken


def _outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except (ValueError, RecursionError) as exc:
        return type(exc).__name__, str(exc)


def test_normalize_messages_fast_path_equals_the_json_reference(texts):
    from finetune_platform.curation import normalize

    def reference(messages: str) -> str:
        return "" if not messages.strip() else normalize._normalize_turns(messages, True, normalize.normalize_text)

    strings = _messages_strings(texts)
    outcomes = [(_outcome(normalize.normalize_messages, m), _outcome(reference, m)) for m in strings]
    for m, (fast, ref) in zip(strings, outcomes):
        assert fast == ref, m[:200]
    assert sum(fast[0] == "ok" for fast, _ in outcomes) > 300 and sum(fast[0] != "ok" for fast, _ in outcomes) > 100


def test_normalize_messages_reference_is_json_loads_and_dumps(texts):
    """The reference path is the original: json.loads, every turn's content normalised, json.dumps; messages
    with nothing to normalise are kept as they came."""
    from finetune_platform.curation import normalize

    kept = rewritten = 0
    for m in _messages_strings(texts)[:350]:
        turns = json.loads(m) if m.strip() else None
        if isinstance(turns, list) and all(isinstance(t, dict) and isinstance(t.get("role"), str)
                                           and isinstance(t.get("content"), str) for t in turns):
            new = [{**t, "role": t["role"].strip(), "content": normalize.normalize_text(t["content"])} for t in turns]
            expected = m if new == turns else json.dumps(new, ensure_ascii=False)
            kept += new == turns
            rewritten += new != turns
            assert normalize.normalize_messages(m) == expected
    assert kept > 20 and rewritten > 20  # both branches are exercised


def test_pii_stage_messages_fast_path_equals_the_json_reference(texts, monkeypatch):
    """redact_pii on the same odd and broken messages, with the shared orjson fast path and without it
    (role_content_turns answering None sends every string down json's path, the original)."""
    import pandas as pd

    from finetune_platform.curation.config import CurationSettings
    from finetune_platform.schemas import RECORD_COLUMNS

    strings = [m for m in _messages_strings(texts) if len(m) < 50_000][:500]
    rng = random.Random(5)
    frame = pd.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(len(strings))], "source": "s", "source_file": "f", "source_row": 0,
            "doc_type": "chat", "text": [rng.choice(texts) for _ in strings], "response": [rng.choice(texts) for _ in strings],
            "label": "", "messages": strings,
        }
    )[RECORD_COLUMNS]
    fast = pii.redact_pii(frame, CurationSettings())
    monkeypatch.setattr(pii, "role_content_turns", lambda messages: None)
    reference = pii.redact_pii(frame, CurationSettings())
    pd.testing.assert_frame_equal(fast.records, reference.records)
    pd.testing.assert_frame_equal(fast.dropped, reference.dropped)
    assert fast.stats == reference.stats and len(fast.dropped) > 50  # broken JSON was dropped on both paths


# --- normalize: the language of a whole batch at once, the stage column by column ---------------------------------
def _language_texts(texts: list[str]) -> list[str]:
    """Function words of every language, apostrophes at the edges of words and texts, doubled and alone,
    case, digits, non-ASCII, NULs, empty strings and very long texts."""
    from finetune_platform.curation import normalize

    rng = random.Random(23)
    vocab = sorted(normalize._LANGS_OF) + ["order", "Parcel", "zzz", "l'été", "'", "''", "'quoted'", "it's'", "'tis",
                                           "rock'n'roll", "don''t", "O'Brien", "x'", "9'9", "_a_", "THE", "Der", "é"]
    seps = [" ", "  ", "\n", ", ", "'", " '", "' ", "-", "", "\t", "!"]
    out = ["", " ", "'", "''", "' '", "a'", "'a", "a''b", "the 'a' b c", "\x00", "the\x00and of to", "a \x00 b"]
    for _ in range(3000):
        words = [rng.choice(vocab) for _ in range(rng.randint(0, 14))]
        out.append("".join(w + rng.choice(seps) for w in words))
    out += [" ".join(rng.choice(vocab) for _ in range(20_000)), "the " * 50_000 + "'x", "der die das " * 10_000]
    return out + texts


@pytest.mark.parametrize("min_words", [4, 0, -1, 1, 7])
def test_guess_languages_of_a_batch_equal_guess_language_of_each(texts, min_words):
    from finetune_platform.curation import normalize

    batch = _language_texts(texts)
    assert normalize._guess_languages(batch, min_words) == [normalize.guess_language(t, min_words) for t in batch]
    ascii_only = [t for t in batch if t.isascii() and "\x00" not in t]  # the fast path for every text
    assert normalize._guess_languages(ascii_only, min_words) == [
        normalize.guess_language(t, min_words) for t in ascii_only
    ]
    assert normalize._guess_languages([], min_words) == [] and normalize._guess_languages([""], min_words) == [
        normalize.guess_language("", min_words)
    ]


def _reference_normalize_records(df: pd.DataFrame, settings) -> tuple[list, list, dict]:
    """The stage as it was written first: one record at a time, each string normalised and judged alone."""
    from finetune_platform.curation import normalize

    english = {"en", "pcm"}

    def sure_reading(text: str, lang: str, why: str, would_drop: bool) -> tuple[str, str | None]:
        """Dropped only when the identifier is sure it is not English (judging the words outside titles)."""
        judged_text = normalize.outside_titles(text)
        if len(normalize._WORD.findall(judged_text)) < settings.language_min_words:
            if not would_drop:
                return lang, None
            judged_text = text
        judged, sure = normalize.identify_languages([judged_text])[0]
        if judged not in english and sure >= settings.language_identifier_confidence:
            return (judged if lang in ("en", "unknown") else lang), f"{why}; language identifier: '{judged}' ({sure:.0%} sure)"
        return ("en" if would_drop else lang), None

    def verdict(text: str) -> tuple[str, str | None]:
        lang, en_score = normalize.guess_language(text, settings.language_min_words)
        ask = settings.language_second_opinion
        if lang == "unknown":
            if ask and en_score == 0.0:
                return sure_reading(text, lang, "no function word of a known language", False)
            return lang, None
        if lang == "non_latin":
            return lang, "most letters are outside the Latin alphabet"
        if lang != "en":
            detail = f"looks like '{lang}' (English function words {en_score:.0%})"
        elif en_score < settings.min_english_score:
            detail = f"English function words {en_score:.0%} < min_english_score {settings.min_english_score:.0%}"
        elif ask and en_score < settings.language_doubt_score:
            return sure_reading(text, lang, f"English on thin evidence (English function words {en_score:.0%})", False)
        else:
            return lang, None
        if not ask:
            return lang, detail
        if normalize._close_call(text):
            return sure_reading(text, lang, detail, True)
        judged = normalize.second_opinion([text])[0]
        return ("en", None) if judged in english else (lang, f"{detail}; language identifier: '{judged}'")

    fix, rows, dropped, changed, languages = settings.fix_unicode, [], [], 0, {}
    for rid, text, response, label, msg in zip(*(config.text_column(df, c) for c in
                                                 ("record_id", "text", "response", "label", "messages"))):
        n_text, n_response, n_label = (normalize.normalize_text(v, fix) for v in (text, response, label))
        reason = detail = None
        try:
            n_msg = normalize._normalize_turns(msg, fix, normalize.normalize_text) if msg.strip() else ""
        except ValueError as exc:
            n_msg, reason, detail = msg, "invalid_messages", str(exc)
        turns = []  # (index, content, trained) of the assistant turns other than the response
        if reason is None and n_msg:
            for k, turn in enumerate(json.loads(n_msg)):
                if turn["role"] == "assistant" and turn["content"] != n_response:
                    turns.append((k, turn["content"], turn.get("weight", 1) != 0))
        long_turns = [(k, c) for k, c, _ in turns if len(c) > settings.max_response_chars]
        if reason is None:
            if not n_text:
                reason, detail = "empty_text", "text is empty after normalisation"
            elif len(n_text) < settings.min_text_chars:
                reason, detail = "text_too_short", f"{len(n_text)} chars < min_text_chars {settings.min_text_chars}"
            elif len(n_text) > settings.max_text_chars:
                reason, detail = "text_too_long", f"{len(n_text)} chars > max_text_chars {settings.max_text_chars}"
            elif len(n_response) > settings.max_response_chars:
                reason = "response_too_long"
                detail = f"{len(n_response)} chars > max_response_chars {settings.max_response_chars}"
            elif long_turns:
                k, content = long_turns[0]
                reason = "turn_too_long"
                detail = f"messages[{k}] (assistant) {len(content)} chars > max_response_chars {settings.max_response_chars}"
            elif settings.language_filter:
                fields = [("not_english", "text", n_text), ("not_english", "response", n_response)]
                fields += [("turn_not_english", f"messages[{k}] (assistant)", c) for k, c, trained in turns if trained]
                for why, field, value in fields:
                    lang, lang_detail = verdict(value)
                    if lang_detail is not None:
                        reason, detail = why, f"{field} {lang_detail}"
                        languages[lang] = languages.get(lang, 0) + 1
                        break
        changed += (n_text, n_response, n_label, n_msg) != (text, response, label, msg)
        if reason is None:
            rows.append((rid, n_text, n_response, n_label, n_msg))
        else:
            dropped.append((rid, reason, detail))
    return rows, dropped, {"records_changed": changed, "not_english_by_language": dict(sorted(languages.items()))}


@pytest.mark.parametrize(
    "overrides",
    [{}, {"language_filter": False}, {"fix_unicode": False, "min_english_score": 0.3, "language_min_words": 2},
     {"min_text_chars": 25, "max_text_chars": 60, "max_response_chars": 40}],
)
def test_normalize_records_column_by_column_equals_one_record_at_a_time(texts, overrides):
    from finetune_platform.curation import normalize

    settings = config.CurationSettings(**overrides)
    rng = random.Random(31)
    pool = _language_texts(texts)[:1500] + ["Bonjour, je voudrais savoir où est ma commande s'il vous plaît"] * 5
    msgs = [m for m in _messages_strings(texts)[::4] if "[[[" not in m] + [""] * 60  # (json: RecursionError)
    n = 2000
    df = pd.DataFrame({"record_id": [f"r{i}" for i in range(n)], "source": "s", "source_file": "f",
                       "source_row": range(n), "doc_type": "chat", "text": [rng.choice(pool) for _ in range(n)],
                       "response": [rng.choice(pool) for _ in range(n)], "label": [rng.choice(pool[:9]) for _ in range(n)],
                       "messages": [rng.choice(msgs) for _ in range(n)]})
    result = normalize.normalize_records(df, settings)
    rows, dropped, stats = _reference_normalize_records(df, settings)
    columns = ["record_id", "text", "response", "label", "messages"]
    assert list(result.records[columns].itertuples(index=False, name=None)) == rows
    assert list(result.dropped[["record_id", "reason", "detail"]].itertuples(index=False, name=None)) == dropped
    assert {k: result.stats[k] for k in stats} == stats
    assert len(rows) > 100 and len({reason for _, reason, _ in dropped}) >= 3


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


def test_dedup_norm_whitespace_fast_path_equals_split_and_join(texts):
    """_dedup_norm skips " ".join(s.split()) when s, newlines made spaces, has only single inner spaces."""
    import sys

    assert not [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace() and c != " " and c.isprintable()]
    rng = random.Random(31)
    pieces = ["a", "B", "é", "İ", "<EMAIL_1>", " ", "  ", "\n", "\n\n", "\n\n\n", " \n", "\t", "\r", "\x0b", "\x1c",
              "\x1f", "\x85", "\xa0", "\u2028", "\u3000", "\x00", "\u200b"]
    samples = list(texts) + ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 10))) for _ in range(5000)]
    for s in samples:
        assert dedup._dedup_norm(s) == " ".join(
            dedup._PLACEHOLDER.sub(dedup._unified_placeholder, s).casefold().split()
        ), repr(s)


# --- pii: the digit gates on the shape of ASCII text ----------------------------------------------------------
def _digit_heavy_text(rng: random.Random) -> str:
    """ASCII text dense in what the digit detectors look at: digit runs, separators, capitals, cards, IPs."""
    pieces = ["4111 1111 1111 1111", "4111-1111-1111-1111", "378282246310005", "5555 5555 5555 4444 exp 12 26",
              "192.168.10.4", "10.0.0.1", "8.8.8.8.8", "1.2.3", "123-45-6789", "123 45 6789", "SSN 219099998",
              "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "+1 212 555 0187", "(212) 555-0187",
              "call 2125550187", "version 1.2.3.4"]
    chars = "0123456789 -.()/:,+#ABZaz\n"
    out = []
    for _ in range(rng.randint(1, 8)):
        if rng.random() < 0.3:
            out.append(rng.choice(pieces))
        else:
            out.append("".join(rng.choice(chars) for _ in range(rng.randint(1, 25))))
    return rng.choice(["", " ", "-", "."]).join(out)


@pytest.fixture(scope="module")
def digit_texts(texts) -> list[str]:
    rng = random.Random(17)
    return texts + [_digit_heavy_text(rng) for _ in range(3000)]


def test_digit_shape_gates_equal_the_digit_patterns(digit_texts):
    checked = 0
    for text in digit_texts:
        shape = pii._digit_shape(text)
        if not text.isascii():
            assert shape is None
            continue
        checked += 1
        assert shape.count(b"0") == pii._count_digits(text), text
        assert pii._iban_shaped(shape) == (pii._IBAN_GATE.search(text) is not None), text
        assert (pii._SSN_SHAPE_GATE.search(shape) is None) == (pii._SSN_GATE.search(text) is None), text
        assert (pii._PHONE_SHAPE_GATE.search(shape) is None) == (pii._PHONE_GATE.search(text) is None), text
    assert checked > 3000


def test_card_and_ipv4_shape_gates_open_wherever_their_detector_finds_something(digit_texts):
    redactor = pii.PiiRedactor()
    cards = ips = 0
    for text in digit_texts:
        shape = pii._digit_shape(text)
        if shape is None:
            continue
        if redactor._cards(text):
            cards += 1
            assert pii._CARD_SHAPE_GATE.search(shape), text
        if redactor._ipv4s(text):
            ips += 1
            assert pii._IPV4_SHAPE_GATE.search(shape), text
    assert cards > 50 and ips > 50


def test_find_with_the_digit_gates_equals_every_detector_ungated(digit_texts):
    from .test_pii import _ungated_find

    redactor = pii.PiiRedactor()
    for text in digit_texts:
        assert redactor.find(text) == _ungated_find(redactor, text), text


def test_phone_candidates_with_the_look_ahead_lead_equal_the_body_alone(digit_texts):
    import re

    body = re.compile(pii._PHONE_CANDIDATE_BODY)
    rng = random.Random(31)
    pieces = ["+", "00", "(", ")", " ", "-", ".", "0", "7", "12", "555", "٣", "４", "a", "@", "/", "#", ":", ",", "x"]
    samples = digit_texts + ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    found = 0
    for text in samples:
        expected = [(m.start(), m.end()) for m in body.finditer(text)]
        assert [(m.start(), m.end()) for m in pii._PHONE_CANDIDATE.finditer(text)] == expected, text
        found += bool(expected)
    assert found > 1000


# --- pii: street-word and sign-off gates searched as patterns -------------------------------------------------
def _street_and_sign_off_text(rng: random.Random) -> str:
    """Text dense in street words, sign-offs, commas, spaces and line breaks, in any case."""
    words = [*pii._FRENCH_STREET_NEEDLES, *pii._GERMAN_STREET_NEEDLES, *pii._SIGN_OFFS, "rue", "weg", "str.",
             "Hauptstraße", "Ringweg", "thank", "you", "best,", "regards ,", ",", " ", "  ", "\n", "\n\n", "x", "12"]
    text = "".join(rng.choice(words) + rng.choice(["", " ", ",", "\n", ", \n"]) for _ in range(rng.randint(0, 12)))
    return rng.choice([text, text.upper(), text.title(), text.lower()])


@pytest.fixture(scope="module")
def street_texts(texts) -> list[str]:
    rng = random.Random(23)
    return texts + [_street_and_sign_off_text(rng) for _ in range(4000)]


def test_street_word_gates_equal_the_substring_tests(street_texts):
    hits = 0
    for text in street_texts:
        low = text.lower()
        french = any(word in low for word in pii._FRENCH_STREET_NEEDLES)
        german = any(word in low for word in pii._GERMAN_STREET_NEEDLES)
        assert pii._may_be_french_street(low) == french, text
        assert pii._may_be_german_street(low) == german, text
        hits += french + german
    assert hits > 1000


def test_sign_off_line_ends_equal_splitting_the_lines(street_texts):
    hits = 0
    for text in street_texts:
        low = text.lower()
        reference = "\n" in low and any(
            line.rstrip(" ").removesuffix(",").endswith(pii._SIGN_OFFS) for line in low.split("\n")[:-1]
        )
        assert pii._ends_a_line_with_a_sign_off(low) == reference, text
        hits += reference
    assert 500 < hits < len(street_texts) - 500


# --- pii: the words the name detector looks at -----------------------------------------------------------------
def _name_cue_text(rng: random.Random) -> str:
    """Text dense in what makes or breaks a name: every kind of strong and weak cue in several cases, titles
    with and without a dot, sign-off lines, given names that are also words, non-names, prefixed surnames,
    place prefixes, glued words and letters where lower() and re.IGNORECASE disagree."""
    pieces = ["Dear", "dear", "DEAR", "Mr", "Mr.", "MRS", "Mrs.", "MR", "Ms", "Miss", "Mx", "Dr.", "DR", "Prof",
              "MS.", "MS", "MISS", "PROF.", "MX", "SMITH", "DUPONT", "FYI", "Jean",
              "my name is", "My name's", "her name is", "NAME IS", "Name:", "name:", "full name:", "Product name:",
              "Kind regards,\n", "Thanks\n", "thank you ,\n", "\nRegards, ", "\nYours truly ,", "\nbest wishes,", "BEST\n", "cheers", "--\n", "-- \n", "\n", " ",
              "  ", "   ", ",", ".", "this is", "hi", "Hello", "spoke with", "Sofia", "Will", "Mark", "Grace", "John",
              "Smith", "Customer", "Support", "Team", "Monday", "O'Brien", "McDonald", "MacKenzie", "D’Angelo",
              "O'Sofia", "McWill", "San", "Santa", "St.", "Lake", "Lumen", "Cam", "Sofias", "SofiaX", "Anna1",
              "Annaé", "Annaā", "XAnna", "ſofia", "İstanbul", "\u212aate", "sarah", "lee"]
    return "".join(rng.choice(pieces) + rng.choice(["", " ", " ", "\n", ", "]) for _ in range(rng.randint(0, 14)))


def test_name_candidates_find_every_name_that_looking_at_every_word_finds(texts):
    from .test_pii import persons_of_every_word

    redactor = pii.PiiRedactor()
    rng = random.Random(47)
    samples = texts + [_name_cue_text(rng) for _ in range(4000)]
    found = 0
    for text in samples:
        expected = persons_of_every_word(redactor, text)
        assert redactor._persons(text) == expected, repr(text)
        # and with the gate's flags, as _scan calls it
        gate = pii._person_gate(text, text.lower(), pii._CAP_TOKEN.findall(text))
        gated = redactor._persons(text, *gate, caps=pii._CAP_TOKEN.findall(text)) if gate is not None else []
        assert pii._resolve_overlaps(gated) == pii._resolve_overlaps(expected), repr(text)
        found += bool(expected)
    assert 1000 < found < len(samples) - 500


def _caps_name_text(rng: random.Random) -> str:
    """Text dense in what makes or breaks a name in capitals: cues in every case, given names in capitals
    (ambiguous, short, hyphenated, glued to other letters), surnames, common words, verb forms, acronyms,
    order ids, particles and non-ASCII capitals."""
    pieces = ["DEAR", "Dear", "MR.", "MR", "Mrs.", "NAME:", "Name:", "MY NAME IS", "Regards,\n", "THANKS\n", "--\n",
              "\nKIND REGARDS,", "\nTHANKS,", "SAN", "ST.", "LAKE", "JEAN-LUC", "HANS-PETER", "XOCHITL", "MS.", "MISS",
              "PROF.", "MS", "MX",
              "HI", "THIS IS", "SIGNED,", "CC:", "JOHN", "MARY", "MARY-JANE", "MARIA", "KIM", "WILL", "MARK", "GRACE",
              "JAMES", "SMITH", "O'BRIEN", "D'ANGELO", "JOHN'S", "JOHNS", "XJOHN", "JOHNX", "ANNABEL", "CALLED",
              "WAITING", "TO", "AND", "CUSTOMER", "ALL", "SIR", "PDF", "USB", "ORD-123456", "NET-503", "DE LA",
              "VAN", "J.", "CRUZ", "ÉMILE", "JÜRGEN", "ZOË", "Smith", "Sarah", "the", "ok"]
    return "".join(rng.choice(pieces) + rng.choice(["", " ", " ", " ", "\n", ", ", "-"]) for _ in range(rng.randint(0, 12)))


def test_caps_name_candidates_find_every_name_that_looking_at_every_word_finds(texts):
    from .test_pii import caps_persons_of_every_word

    redactor = pii.PiiRedactor()
    rng = random.Random(53)
    samples = [t.upper() for t in texts[:2000]] + [_caps_name_text(rng) for _ in range(4000)]
    found = 0
    for text in samples:
        expected = caps_persons_of_every_word(redactor, text)
        assert redactor._caps_persons(text) == expected, repr(text)
        # and as _scan calls it: only with a strong cue or a given name among the runs of capitals
        upper = pii._upper_runs(text)
        gate = pii._person_gate(text, text.lower(), pii._CAP_TOKEN.findall(text))
        strong = gate is not None and gate[0]
        sign_off_line = gate is not None and gate[3]
        opened = bool(upper) and (strong or sign_off_line or not pii._UPPER_FIRST.keys().isdisjoint(upper))
        cued = pii._cued_starts(text) if strong else None
        gated = redactor._caps_persons(text, strong, upper, cued, sign_off_line) if opened else []
        assert gated == expected, repr(text)
        found += bool(expected)
    assert 1000 < found < len(samples) - 500


def test_upper_runs_from_the_shape_are_the_capital_runs_of_the_text(texts):
    rng = random.Random(59)
    samples = texts + ["".join(rng.choice("AZazÉé09 -'\n") for _ in range(rng.randint(0, 10))) for _ in range(3000)]
    hits = 0
    for text in samples:
        reference = pii._UPPER_RUN.findall(text)
        assert pii._upper_runs(text) == reference, text
        if text.isascii():
            assert pii._upper_runs(text, pii._digit_shape(text)) == reference, text
        hits += bool(reference)
    assert 300 < hits < len(samples) - 300


# --- quality: the shouting gate -------------------------------------------------------------------------------
def test_may_shout_is_a_capitals_run_search_on_ascii_text(texts):
    rng = random.Random(29)
    samples = texts + ["".join(rng.choice("AZaz09 -'<>_\n") for _ in range(rng.randint(0, 12))) for _ in range(3000)]
    shouting = 0
    for text in samples:
        reference = not text.isascii() or quality._CAPITALS_RUN.search(text) is not None
        assert quality._may_shout(text) == reference, text
        shouting += reference
    assert 300 < shouting < len(samples) - 300


# --- dedup: the shingle ranks of _SimilarityJoin ---------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_similarity_join_ranks_equal_numpy_unique_and_lexsort(seed):
    """_SimilarityJoin factorizes the hashes with pandas and sorts with kind="stable"; the reference is
    np.unique with an inverse, np.lexsort and np.unique of the codes."""
    rng = random.Random(seed)
    for n in (0, 1, 7, 300):
        keys = _templated_keys(rng, n) if n else []
        k = rng.randint(1, 4)
        rec, hashes = dedup.shingle_hashes(keys, k)
        uniq, token = np.unique(hashes, return_inverse=True)
        v = max(1, len(uniq))
        rank = np.empty(len(uniq), dtype=np.int64)
        rank[np.lexsort((uniq, np.bincount(token, minlength=len(uniq))))] = np.arange(len(uniq))
        codes = np.unique(rec * v + rank[token])
        join = _SimilarityJoin(keys, k)
        assert join.v == v and join.codes.tolist() == codes.tolist(), (seed, n)
        assert join.rec.tolist() == (codes // v).tolist() and join.rank.tolist() == (codes % v).tolist()


def test_pandas_factorize_is_an_inverse_into_distinct_uniques():
    """_SimilarityJoin and minhash_candidates rely on pd.factorize giving distinct uniques of the values'
    dtype and codes that map back onto the values."""
    rng = np.random.default_rng(4)
    for size, high in ((0, 1), (1, 1), (1000, 50), (20_000, 2**64 - 1)):
        values = rng.integers(0, high, size=size, dtype=np.uint64, endpoint=True)
        codes, uniques = pd.factorize(values)
        assert uniques.dtype == np.uint64 and len(set(uniques.tolist())) == len(uniques)
        assert sorted(uniques.tolist()) == np.unique(values).tolist()
        assert uniques[codes].tolist() == values.tolist()


def test_band_buckets_from_repeated_hashes_only_equal_sorting_every_hash():
    """minhash_candidates sorts only the (record, band) hashes that repeat; the reference sorts them all."""
    for seed in range(6):
        rng = random.Random(seed)
        keys = _templated_keys(rng, 150)
        join = _SimilarityJoin(keys, rng.choice([1, 2, 3]))
        for threshold, num_perm in ((0.6, 128), (0.3, 16), (0.8, 64)):
            bands, r = dedup._lsh_bands(threshold, num_perm)
            rows = np.flatnonzero(join.size)
            blocks = join.minhash_signatures(num_perm, 1)[rows, : bands * r].reshape(len(rows), bands, r)
            expected = join._banded_pairs_by_sorting(blocks, rows)
            assert np.array_equal(join.minhash_candidates(threshold, num_perm, 1), expected), (seed, threshold)



# --- quality: the batch tokeniser, politeness and profiles -----------------------------------------------------
def _token_text(rng: random.Random) -> str:
    """Text dense in what the batch tokeniser handles specially: apostrophes in every position, placeholders
    against words, capitals runs, acronyms, digits inside words, polite words, profanities, separators."""
    pieces = ["'", "''", "'s", "don't", "DON'T", "rock'n'roll", "o''clock", "'quoted'", "ABC", "ABC123", "WHY",
              "API", "USB", "Api", "NOW!!", "THANKS", "Please", "please_", "thank's", "happy to help", "HAPPY TO HELP",
              "apologise", "Kindly", "damn", "SHIT", "<EMAIL_1>", "<PERSON_12>", "x<EMAIL_1>ABC", "<A_B_3>", "<x_1>",
              "a", "I", "I'm", "12345", "_", "__init__", "-", ".", "??", "\n", " ", "  ", "\t", "é", "İSTANBUL",
              "’s", "\u212a", "\x00"]
    return rng.choice(["", " ", "\n", "-"]).join(rng.choice(pieces) for _ in range(rng.randint(0, 16)))


@pytest.fixture(scope="module")
def token_texts(texts) -> list[str]:
    rng = random.Random(43)
    samples = [_token_text(rng) for _ in range(4000)]
    return list(dict.fromkeys(texts + [_quality_text(rng) for _ in range(500)] + samples + ["", "'", "ABC", "<EMAIL_1>"]))


def _reference_tokens(text: str) -> tuple[tuple[int, int], list[str]]:
    """What _tone_of and the scorers read of _tokens: the shouting counts (zeros where there is no run of
    capitals; the second count only where the first is not zero) and the lower-cased words."""
    raw, words = quality._tokens(text)
    caps, alpha3 = quality._shouting(raw) if quality._may_shout(text) else (0, 0)
    return (caps, alpha3 if caps else 0), words


def _read(shouting: tuple[int, int] | None) -> tuple[int, int]:
    caps, alpha3 = shouting or (0, 0)
    return caps, alpha3 if caps else 0


def test_batch_tokens_equal_tokens_one_string_at_a_time(token_texts):
    ascii_texts = [t for t in token_texts if t.isascii() and "\x00" not in t]
    assert len(ascii_texts) > 2000 and sum("'" in t for t in ascii_texts) > 1000
    for batch in (token_texts, ascii_texts, ascii_texts[:1], [""], ["", ""], []):
        tokens = quality._batch_tokens(batch)
        assert len(tokens) == len(batch)
        for text, (shouting, words) in zip(batch, tokens):
            assert (_read(shouting), words) == _reference_tokens(text), repr(text)
    assert sum(_reference_tokens(t)[0][0] > 0 for t in ascii_texts) > 500


def test_is_polite_is_the_polite_pattern_search(token_texts):
    polite = 0
    for text in token_texts:
        reference = quality._POLITE.search(text) is not None
        assert quality._is_polite(text) == reference, repr(text)
        assert (quality._may_be_polite(text) and reference) == reference, repr(text)
        polite += reference
    assert 500 < polite < len(token_texts) - 500


@pytest.mark.parametrize("n, ideal_min, ideal_max, min_response_words", [(3, 5, 200, 2), (2, 1, 8, 1)])
def test_batch_profiles_equal_profile(token_texts, n, ideal_min, ideal_max, min_response_words):
    joinable = [t for t in token_texts if "\x00" not in t]  # a string with the separator: one at a time
    clean = [t for t in joinable if "damn" not in t.lower() and "shit" not in t.lower()]
    for batch in (token_texts, joinable, clean):
        profiles, vocabulary = quality._profiles(batch, n, ideal_min, ideal_max, min_response_words)
        assert list(profiles) == batch
        for text in batch:
            assert profiles[text] == quality._profile(text, n, ideal_min, ideal_max, min_response_words), repr(text)
        assert vocabulary == set().union(*[quality._words(t) for t in batch])


def test_emails_searched_from_each_at_sign_equal_every_position():
    import random

    from finetune_platform.curation import pii

    rng = random.Random(20261206)
    pool = ["a", "b.c", "x" * 70, "@", "@@", "'", "’", " ", "\n", "-", "_", ".", "+", "%", "ex.com", "co", "O'", "d’", "1",
            "'q@w.io'", "x@y", "mail@host.example", "é", "(", ")", "<", ">", ","]
    texts = ["", "@", "a@b.co", "'a@b.co'", "x'a@b.co", "O'brien@x.com", "a" * 80 + "@b.co", "a@b.co a@b.co"]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(1, 30))) for _ in range(4000)]
    for text in texts:
        fast = [(m.start(), m.end()) for m in pii._email_matches(text)]
        assert fast == [(m.start(), m.end()) for m in pii._EMAIL.finditer(text)], text


def _address_cue_text(rng: random.Random) -> str:
    """Random text around the words of address cues and labels, in any case, with colons and line breaks."""
    words = (
        "address addr email ip shipping ship to from deliver delivery send it the parcel moved relocated i we live "
        "living stay reside at eircode postal site remit adres adresse mon mi dirección domicilio indirizzo endereço "
        "anschrift lieferadresse alamat moro na courier post mail return forward documents is as follows line 1 : "
        "locului de consum tesisat adresi asennusosoite anschlussadresse per uidai pemasangan "
        "12 Main St Flat 3 , . \n"
    ).split(" ")
    return " ".join(rng.choice(words) for _ in range(rng.randint(1, 14))).replace(" : ", rng.choice([": ", " : ", ":"]))


def _address_cues_searched(low: str) -> list[tuple[int, int]]:
    """The address cues of lower-cased text by the patterns' own search: every _ADDRESS_CUE_LOWER match, and the
    line-opening compound labels that name no e-mail's or network's address, the longer one where both start at
    one place, none inside an earlier one."""
    found = {m.start(): m.end() for m in pii._ADDRESS_CUE_LOWER.finditer(low)}
    if ":" in low:
        for m in pii._COMPOUND_ADDRESS_LABEL.finditer(low):
            if found.get(m.start(), -1) < m.end() and pii._NOT_A_POSTAL_LABEL.search(m.group()) is None:
                found[m.start()] = m.end()
    out: list[tuple[int, int]] = []
    for start in sorted(found):
        if not out or start >= out[-1][1]:
            out.append((start, found[start]))
    return out


def test_address_cues_found_at_their_words_equal_the_pattern_search(texts):
    """_cues_in_lower (str.find of each cue's words, the pattern tried there) finds what the pattern's own search
    finds, on every text the substring gate lets through, and the gate lets through every text it finds one in."""
    rng = random.Random(31)
    hits = 0
    for text in texts + [_address_cue_text(rng) for _ in range(6000)]:
        low = text.lower()
        expected = _address_cues_searched(low)
        if expected:
            assert pii._may_hold_cue_words(low), text
        if pii._may_hold_cue_words(low):
            assert [(m.start(), m.end()) for m in pii._cues_in_lower(low)] == expected, text
        hits += bool(expected)
    assert hits > 1000


def test_the_more_mention_and_role_gates_open_wherever_their_patterns_match(texts):
    """_may_hold_more_mention and _may_hold_role_cue are the gates of _MENTION_CUE_MORE and _ROLE_CUE: wherever a
    pattern matches, its gate is open."""
    rng = random.Random(37)
    words = (
        "Propietario Cristóbal Muñoz landlord tenant Ólafur Guest List cardholder (owner \"witness co-owner. HRBP "
        "Esperanza customer's husband, Tomás is"
    ).split()
    extra = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    hits = 0
    for text in texts + extra:
        if pii._MENTION_CUE_MORE.search(text):
            hits += 1
            assert pii._may_hold_more_mention(text.lower()), text
        if pii._ROLE_CUE.search(text):
            hits += 1
            assert pii._may_hold_role_cue(text.lower()), text
    assert hits > 300


def test_glued_delimiter_gates_led_by_the_delimiter_equal_the_plain_patterns():
    import re

    rng = random.Random(41)
    pieces = ["a", "Z", "7", "0", ",", ";", "|", "\t", "+", "(", " ", "_", "é", "\n", "٣"]
    plain_cell = re.compile(r"\d[,;|\t]|[,;|\t][+(]?\d")
    plain_name = re.compile(r"\w[,;|\t]\w")
    hits = 0
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert bool(pii._GLUED_CELL.search(text)) == bool(plain_cell.search(text)), text
        assert bool(pii._GLUED_NAME_CELL.search(text)) == bool(plain_name.search(text)), text
        hits += bool(plain_cell.search(text))
    assert hits > 500
