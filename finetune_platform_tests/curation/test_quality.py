"""Quality scorers, the weighted score, the named filters and the histogram."""

from __future__ import annotations

import pytest

from finetune_platform.curation import CurationSettings, quality_signals, score_quality
from finetune_platform.curation.quality import (
    combine_scores,
    is_truncated,
    length_score,
    relevance_score,
    repetition_score,
    tone_score,
)

from .tickets import records

GOOD_TEXT = "My parcel has not arrived and the tracking page shows no update since Monday."
GOOD_RESPONSE = "Sorry about the delay. The parcel is at the depot and the tracking will update today; delivery is tomorrow."


def test_good_pair_scores_high(settings):
    signals = quality_signals(GOOD_TEXT, GOOD_RESPONSE, settings)
    # tone: polite response (1.0) weighs 3/4, neutral request (0.9) 1/4.
    assert signals == {"completeness": 1.0, "length": 1.0, "repetition": 1.0, "relevance": 1.0, "tone": 0.975}
    assert combine_scores(signals, settings) == 0.995


def test_shouted_request_lowers_tone(settings):
    calm = quality_signals(GOOD_TEXT, GOOD_RESPONSE, settings)["tone"]
    shouted = quality_signals(GOOD_TEXT.upper(), GOOD_RESPONSE, settings)["tone"]
    assert shouted < calm - 0.2


def test_length_score():
    assert length_score(5, 3, 400) == 1.0
    assert length_score(1, 4, 400) == 0.25
    assert length_score(800, 3, 400) == 0.5


def test_repetition_score_catches_loops():
    words = "thank you thank you thank you thank you".split()
    assert repetition_score(words, 3) == pytest.approx(2 / 6)
    assert repetition_score("a b c d e".split(), 3) == 1.0
    assert repetition_score(["a", "b"], 3) == 1.0


def test_relevance_needs_shared_content_words():
    text = "refund for the damaged blender please".split()
    assert relevance_score(text, "your refund for the blender is on its way".split()) == 1.0
    assert relevance_score(text, "our office opens at nine".split()) == 0.0
    assert relevance_score(text, []) == 0.0
    assert relevance_score("hi help please".split(), "sure".split()) == 0.5  # nothing to compare


def test_tone_penalises_shouting_and_profanity_and_rewards_politeness():
    def tone(s: str) -> float:
        return tone_score(s, s.lower().split())

    assert tone("Thanks, the fix is live.") == 1.0
    assert tone("The fix is live.") == 0.9
    assert tone("THE FIX IS LIVE NOW, READ THE EMAIL") < 0.3
    assert tone("The API and the VPN work now.") == 0.9  # acronyms are not shouting
    assert tone("This crap is fixed now") == pytest.approx(0.4)
    assert tone("<PERSON_1> <EMAIL_1> the fix is live") == 0.9  # placeholders are not shouting


def test_weights_change_the_score():
    signals = {"completeness": 1.0, "length": 1.0, "repetition": 1.0, "relevance": 0.0, "tone": 1.0}
    assert combine_scores(signals, CurationSettings()) == 0.8
    assert combine_scores(signals, CurationSettings(weight_relevance=3.0)) == pytest.approx(4 / 7, abs=1e-4)
    assert combine_scores(signals, CurationSettings(weight_relevance=0.0)) == 1.0


@pytest.mark.parametrize(
    ("text", "truncated"),
    [
        ("I tried to reset my...", True),
        ("I tried to reset my", True),
        ("Click on the", True),
        ("Please check the settings,", True),
        ("It stopped working after the upgrade …", True),
        ("my order didnt arrive", False),
        ("Which one are you referring to", False),
        ("Done. It works now!", False),
        ("Call <PHONE_1>", False),
    ],
)
def test_truncation(text, truncated):
    assert is_truncated(text) is truncated


@pytest.mark.parametrize(
    ("text", "as_response", "as_request"),
    [
        ("We recommend Plan A", False, False),  # "A" closing the text is a name, not the article
        ("Download it from https://example.com/downloads/", False, False),
        ("I have been waiting two weeks...", True, False),  # people end their own messages with "..."
        ("I tried to reset my...", True, True),  # a dangling word before it is a cut either way
        ("Please check the settings,", True, True),
    ],
)
def test_truncation_of_a_reply_and_of_a_request(text, as_response, as_request):
    assert is_truncated(text) is as_response
    assert is_truncated(text, ellipsis=False) is as_request


def test_filters_drop_with_named_reasons(settings):
    df = records(
        {"text": GOOD_TEXT, "response": GOOD_RESPONSE},
        {"text": GOOD_TEXT, "response": ""},
        {"text": GOOD_TEXT, "response": "ok"},
        {"text": GOOD_TEXT, "response": "Thank you!"},
        {"text": GOOD_TEXT, "response": "The parcel is at the depot and the tracking will..."},
        {"text": "Why was I charged twice for the premium plan this month?", "response": "WE OPEN AT NINE. CALL US LATER DAMN IT!!"},
    )
    result = score_quality(df, settings.model_copy(update={"require_response": True}))
    assert result.records["record_id"].tolist() == ["r1"]
    assert result.records.loc[0, "quality_score"] == 0.995
    assert dict(zip(result.dropped["record_id"], result.dropped["reason"])) == {
        "r2": "empty_response",
        "r3": "one_word_response",
        "r4": "one_word_response",
        "r5": "truncated_text",
        "r6": "low_quality_score",
    }
    detail = result.dropped.set_index("record_id").loc["r6", "detail"]
    assert detail == (
        "the response's tone score 0.00 < min_response_tone_score 0.4 (quality_score 0.645): it (or an assistant turn) "
        "shouts or swears"
    )
    lenient = settings.model_copy(update={"require_response": True, "min_response_tone_score": 0.0})
    detail = score_quality(df, lenient).dropped.set_index("record_id").loc["r6", "detail"]
    assert detail == "quality_score 0.645 < min_quality_score 0.7"


def test_filters_follow_settings():
    df = records({"text": GOOD_TEXT, "response": ""}, {"text": GOOD_TEXT, "response": "It ships tomorrow, sorry about the..."})
    lenient = CurationSettings(require_response=False, drop_truncated=False, min_quality_score=0.0)
    assert len(score_quality(df, lenient).records) == 2


def test_histogram_counts_every_record(settings):
    df = records(*({"text": GOOD_TEXT, "response": r} for r in (GOOD_RESPONSE, "", "ok", "The parcel is at the depot today.")))
    stats = score_quality(df, CurationSettings(histogram_bins=4)).stats
    hist = stats["score_histogram"]
    assert hist["bin_edges"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert sum(hist["counts"]) == 4
    assert hist["counts"][-1] >= 1  # the good pair scores 1.0, in the last bin
    assert set(stats["scorer_means"]) == {"completeness", "length", "repetition", "relevance", "tone"}


# --- the fast paths give the same result as the plain patterns ----------------------------------------------
def test_tokens_match_the_word_pattern():
    import random

    from finetune_platform.curation.quality import _WORD, PLACEHOLDER, _tokens

    rng = random.Random(11)
    pieces = list("ab'Z9 _-.\t\n!") + ["<EMAIL_1>", "’", "é", "İ", "''", "<X_2>"]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        stripped = PLACEHOLDER.sub(" ", text)
        raw = _WORD.findall(stripped)
        assert _tokens(text) == ((raw, _WORD.findall(stripped.lower())) if raw else (raw, [])), text


def test_tone_gates_only_skip_texts_the_patterns_cannot_match():
    import random

    from finetune_platform.curation.quality import _POLITE, _WORD, _may_be_polite, _may_shout

    rng = random.Random(12)
    words = ["please", "Thanks", "SORRY", "apologise", "glad to", "welcome", "kindly", "ok", "fix", "API", "NOW", "ſorry", "Kindly"]
    for _ in range(3000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 5)))
        if _POLITE.search(text):
            assert _may_be_polite(text), text
        if any(len(t) >= 3 and t.isalpha() and t.isupper() for t in _WORD.findall(text)):
            assert _may_shout(text), text


def test_score_quality_equals_scoring_each_record_alone(settings):
    from finetune_platform.curation.quality import _filter_reason, combine_scores

    from .tickets import make_tickets

    df = make_tickets(300, seed=4)
    df["text"] = df["text"].fillna("")
    df["response"] = df["response"].fillna("")
    result = score_quality(df, settings)
    expected_kept = []
    for rid, text, response in zip(df["record_id"], df["text"], df["response"]):
        score = combine_scores(quality_signals(text, response, settings), settings)
        if _filter_reason(text, response, score, settings) is None:
            expected_kept.append((rid, score))
    assert list(zip(result.records["record_id"], result.records["quality_score"])) == expected_kept


def test_records_without_a_response_are_kept_for_classification_by_default(settings):
    df = records({"text": GOOD_TEXT, "response": ""}, {"text": GOOD_TEXT, "response": GOOD_RESPONSE})
    assert not settings.require_response
    result = score_quality(df, settings)
    assert result.records["record_id"].tolist() == ["r1", "r2"]


def test_an_answer_that_only_restates_the_question_is_dropped():
    """An echo or a keyword list shares every word with the question: full marks on shared words, nothing
    to learn. Its relevance is 0 and the record is dropped as echo_response; a real answer is kept."""
    question = "My package was marked delivered yesterday but it never arrived. Can you help me get a refund?"
    answers = {
        "r1": "I'm sorry it did not arrive. I opened a trace with the courier and refunded your card.",
        "r2": question,
        "r3": "package delivered yesterday arrived refund package delivered refund",
    }
    df = records(*({"text": question, "response": a} for a in answers.values()))
    result = score_quality(df, CurationSettings())
    assert result.records["record_id"].tolist() == ["r1"]
    assert result.dropped["reason"].tolist() == ["echo_response", "echo_response"]
    assert quality_signals(question, answers["r2"], CurationSettings())["relevance"] == 0.0
    kept = score_quality(df, CurationSettings(drop_echo_responses=False))
    assert kept.records["record_id"].tolist() == ["r1", "r2", "r3"]
    assert kept.records["quality_score"].iloc[0] > kept.records["quality_score"].iloc[1]


def test_ordinary_words_on_the_profanity_list_are_not_rude():
    """"screw" is hardware and "Dick" a name: they cost an answer nothing."""
    hinge = quality_signals(
        "The hinge on my cabinet door is loose, how do I fix it?",
        "Tighten the screw on the hinge; if the screw hole is stripped, use a longer screw. Dick from support",
        CurationSettings(),
    )
    assert hinge["tone"] >= 0.9


@pytest.mark.parametrize("reply", ["I don't know.", "lol no idea mate", "Not sure!", "I cannot help you."])
def test_a_reply_that_answers_nothing_is_dropped(reply):
    df = records({"text": "How do I reset my password?", "response": reply})
    result = score_quality(df, CurationSettings())
    assert result.records.empty and result.dropped["reason"].tolist() == ["one_word_response"]


@pytest.mark.parametrize(
    # "ok thx": 7 of the demo corpus's 60 planted one-word replies (seed 0, 3,000 tickets) were kept as this
    "reply", ["ok thx", "I don't know, sorry.", "No idea, sorry mate.", "Ok. Thanks. Bye.", "Okay, noted, thanks!",
              "Thanks, thanks.", "Hi, not sure, sorry!", "Thank you so much!", "Sorry, I cannot help you, bye."]
)
def test_a_non_answer_or_courtesy_padded_with_more_courtesy_is_dropped(reply):
    """The courtesies and non-answers are whole phrases: "I don't know." was dropped but "I don't know, sorry."
    kept (0.795), and so was any mix of courtesies ("Ok. Thanks. Bye.")."""
    result = score_quality(records({"text": "How do I reset my password?", "response": reply}), CurationSettings())
    assert result.records.empty and result.dropped["reason"].tolist() == ["one_word_response"]
    assert "courtesy phrase" in result.dropped["detail"][0]


@pytest.mark.parametrize(
    "reply", ["Sorry, please use the reset link.", "Thanks, it is fixed now.", "No, it is not.", "Yes, you can.",
              "Sorry, I can't help with that here; please call the bank."]
)
def test_a_short_answer_with_courtesies_is_kept(reply):
    assert len(score_quality(records({"text": "How do I reset my password?", "response": reply}), CurationSettings()).records) == 1


QUESTION = "My card was charged twice this month, where is my refund?"


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ("card refund processed " * 40, "repetition score 0.03 < min_repetition_score 0.3"),
        ("Your refund is on its way. " * 6, "repetition score 0.18"),
        ("STOP BEING AN IDIOT, YOUR DAMN REFUND FOR THE CARD IS COMING.", "the response's tone score 0.00 < min_response_tone_score 0.4"),
        ("WE ALREADY TOLD YOU, THE REFUND FOR YOUR CARD TAKES FIVE DAYS.", "the response's tone score 0.00"),
        ("Refund? Stop whining you moron, shit happens, it will come.", "the response's tone score 0.00"),
    ],
)
def test_one_failing_scorer_drops_a_loop_or_an_abusive_reply(reply, why):
    """In a mean of five scorers one at 0 costs a fifth at most: these scored 0.78-0.85 against
    min_quality_score 0.7 and were kept. The floors drop them, naming the scorer."""
    result = score_quality(records({"text": QUESTION, "response": reply}), CurationSettings())
    assert result.dropped["reason"].tolist() == ["low_quality_score"]
    assert why in result.dropped["detail"][0]
    assert result.dropped["detail"][0].split(" (quality_score ")[1].split(")")[0] > "0.7"  # the mean alone kept it


@pytest.mark.parametrize(("reply", "reason"), [("", "empty_response"), ("...", "one_word_response"), ("Refunded.", "one_word_response")])
def test_an_empty_or_one_word_reply_is_dropped(reply, reason):
    result = score_quality(records({"text": QUESTION, "response": reply}), CurationSettings(require_response=True))
    assert result.dropped["reason"].tolist() == [reason]


@pytest.mark.parametrize(
    "reply",
    [
        # a correct answer in other words: relevance (lexical overlap) 0, a soft signal without a floor
        "You will see the money back on your statement within five working days.",
        "Sorry about that! The second payment was a duplicate hold and will be released within 3 days.",
        "Sorry, the damn payment system charged you twice; we reversed it and you will see it tomorrow.",
        "RMA created for ORD-708756, the refund follows once the parcel is back.",
        "Steps: 1. open the app. 2. open the app settings. 3. open the payments tab. 4. open the last charge.",
    ],
)
def test_a_correct_or_ordinary_reply_is_kept(reply):
    assert len(score_quality(records({"text": QUESTION, "response": reply}), CurationSettings()).records) == 1


def test_the_floors_follow_settings():
    df = records({"text": QUESTION, "response": "card refund processed " * 40},
                 {"text": QUESTION, "response": "STOP BEING AN IDIOT, YOUR DAMN REFUND FOR THE CARD IS COMING."})
    assert len(score_quality(df, CurationSettings(min_repetition_score=0.0, min_response_tone_score=0.0)).records) == 2
    # the request's tone does not count: customers may shout, the model learns the reply
    shouting = records({"text": "WHERE IS MY DAMN REFUND, YOU IDIOTS?", "response": "Sorry! It reaches your card tomorrow."},
                       {"text": "PLAY SOME JAZZ IN THE KITCHEN"})
    assert len(score_quality(shouting, CurationSettings()).records) == 2


def test_an_empty_input_has_no_means():
    import pandas as pd

    from finetune_platform.schemas import RECORD_COLUMNS

    stats = score_quality(pd.DataFrame({c: pd.Series(dtype=object) for c in RECORD_COLUMNS}), CurationSettings()).stats
    assert stats["score_mean"] is None
    assert stats["scorer_means"] == {name: None for name in ("completeness", "length", "repetition", "relevance", "tone")}


@pytest.mark.parametrize(
    ("middle", "extra", "kept"),
    [
        ("card refund processed " * 40, {}, False),
        ("STOP BEING AN IDIOT, WE ARE CHECKING YOUR DAMN ORDER.", {}, False),
        ("Let me check the tracking for that order, one moment please.", {}, True),
        ("card refund processed " * 40, {"weight": 0}, True),  # context, not trained on
    ],
)
def test_assistant_turns_count_in_the_repetition_score_and_the_tone_floor(middle, extra, kept):
    import json

    turns = [
        {"role": "user", "content": "My order has not arrived, can you check the tracking?"},
        {"role": "assistant", "content": middle, **extra},
        {"role": "user", "content": "It is the order for the blue lamp, please check the tracking."},
        {"role": "assistant", "content": "Sorry about the delay! The blue lamp order reaches you tomorrow."},
    ]
    df = records({"text": turns[0]["content"] + "\n" + turns[2]["content"], "response": turns[3]["content"],
                  "messages": json.dumps(turns)})
    result = score_quality(df, CurationSettings())
    assert (len(result.records) == 1) is kept
    if not kept:
        assert result.dropped["reason"].tolist() == ["low_quality_score"]
        assert "assistant turn" in result.dropped["detail"][0]
    signals = quality_signals(df["text"][0], df["response"][0], CurationSettings(), df["messages"][0])
    assert (signals["repetition"] < 0.3) is (middle.startswith("card") and not extra)
