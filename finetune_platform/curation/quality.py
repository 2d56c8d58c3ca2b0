"""Stage 3 of curation: quality scoring and the filters that drop unusable pairs.

Five cheap scorers, each in [0, 1], combined with configurable weights into ``quality_score`` (a record
below ``min_quality_score`` is dropped), with floors for the scorers that recognise bad data on their own
(``min_repetition_score``, ``min_response_tone_score``: in a mean of five, one scorer at 0 costs a fifth at
most, so a looping or abusive reply kept a score of ~0.8). Relevance stays a soft signal, without a floor:
lexical overlap scores a correct answer in other words ("You will see the money back on your statement")
0 as it does an off-topic one. Completeness needs none: a record without text or without a required response
is dropped already (empty_text, empty_response).

- completeness: the record has a text and (when required) a response;
- length: text and response fall inside ``[ideal_min_words, ideal_max_words]``;
- repetition: few repeated word n-grams (degenerate "thank you thank you thank you" replies), in the text,
  the response and every assistant turn of ``messages`` trained on (``conversations: all_turns``);
- relevance: the response shares content words with the text (does the answer address the question?) and
  adds some of its own (an answer that only restates the question scores 0);
- tone: the response (3/4) and the text (1/4) are not shouting, have no profanity, and are polite.

Hand-written rather than model-based on purpose: the scorers must run at thousands of records a second on a
CPU, be explainable to a domain expert reviewing the queue, and need no download.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
import pandas as pd

from finetune_platform.curation.config import (
    CurationSettings,
    StageResult,
    check_input,
    cyclic_gc_paused,
    finish_stage,
    text_column,
)
from finetune_platform.curation.names import ACRONYMS
from finetune_platform.curation.normalize import assistant_turns
from finetune_platform.curation.pii import PLACEHOLDER

STAGE = "quality"
SCORERS: tuple[str, ...] = ("completeness", "length", "repetition", "relevance", "tone")

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_STOP = frozenset(
    """the a an and or but if of to in on at for with from by about as into is are was were be been being am
    have has had do does did not no can could will would should may might must i me my mine you your yours we
    our us he she him her his it its they them their this that these those there here what which who when
    where why how all any some just so than then too very please thanks thank hi hello hey yet still again
    also get got i'm it's don't can't didn't doesn't isn't i've i'd i'll we're you're we'll we've let let's
    there's that's out up one now know need want like would could help dear regards best team sorry""".split()
)
_PROFANITY = frozenset(
    """fuck fucking fucked fucker motherfucker shit shitty bullshit bitch bastard asshole arsehole crap crappy
    dickhead piss pissed wtf stfu idiot idiots moron morons dumbass jackass damn goddamn
    stupid retard retarded""".split()
)
_POLITE = re.compile(
    r"\b(?:please|thank|thanks|sorry|apologi[sz]e|apologies|appreciate|happy to help|glad to|welcome|kindly)\b",
    re.IGNORECASE,
)
#: Upper-case tokens that are not shouting.
_ACRONYMS = ACRONYMS
#: Replies that carry nothing to learn from, however many words they have: courtesies and non-answers.
_COURTESY_ONLY = frozenset(
    "ok okay k kk thanks thx ty done noted sure yes no yep nope np cool great fine cheers understood "
    "acknowledged received".split()
) | frozenset(
    {
        "thank you",
        "got it",
        "will do",
        "no problem",
        "you're welcome",
        "ok thanks",
        "okay thanks",
        "ok thank you",
        "thanks a lot",
        "thank you very much",
        "many thanks",
        "noted thanks",
        "sounds good",
        # non-answers: a reply that says it has none teaches the model to give none
        "i don't know",
        "i dont know",
        "i do not know",
        "don't know",
        "dunno",
        "idk",
        "no idea",
        "no clue",
        "not sure",
        "i'm not sure",
        "im not sure",
        "i am not sure",
        "lol no idea",
        "no idea mate",
        "lol no idea mate",
        "i can't help",
        "i cannot help",
        "can't help you",
        "i can't help you",
        "i cannot help you",
    }
)

_COURTESY_MAX_WORDS = max(len(phrase.split()) for phrase in _COURTESY_ONLY)
#: Words that pad a courtesy or a non-answer without adding to it ("I don't know, sorry", "Ok. Thanks. Bye."):
#: left out before a reply is compared with :data:`_COURTESY_ONLY`.
_COURTESY_PADDING = frozenset(
    "ok okay k kk thanks thx ty sorry please mate lol bye cheers hi hello hey so much very again".split()
)
#: Longest reply (in words) that can be courtesies and padding alone.
_COURTESY_SCAN_WORDS = 12


def _courtesy_only(words: list[str]) -> bool:
    """True when the lower-cased ``words`` of a reply are a courtesy or a non-answer (:data:`_COURTESY_ONLY`)
    once the padding around it (:data:`_COURTESY_PADDING`) is left out, or are nothing but padding."""
    if len(words) > _COURTESY_SCAN_WORDS:
        return False
    if len(words) <= _COURTESY_MAX_WORDS and " ".join(words) in _COURTESY_ONLY:
        return True
    core = " ".join([w for w in words if w not in _COURTESY_PADDING])
    return not core or core in _COURTESY_ONLY

#: Words that cannot end a complete sentence: text ending in one was cut off.
_DANGLING = frozenset("the a an and or but my your our their because if than whose".split())


def _may_shout(text: str) -> bool:
    """False only when no word of ``text`` can be all capitals and three letters or longer: True exactly
    when ``text`` is not ASCII or :data:`_CAPITALS_RUN` matches.

    Hand-written: on ASCII text "three capitals in a row" is one bytes.translate (capitals to "A",
    everything else to a space) and a substring test, ~3x faster than searching ``[A-Z]{3}``.
    """
    return not text.isascii() or b"AAA" in text.encode().translate(_CAPITALS_TO_A)


_CAPITALS_RUN = re.compile("[A-Z]{3}")
#: ASCII byte -> "A" for the capitals A-Z, else a space.
_CAPITALS_TO_A = bytes(65 if 65 <= c <= 90 else 32 for c in range(256))


def _may_be_polite(text: str) -> bool:
    """False only when :data:`_POLITE` cannot match, told by substring tests of the stems of its words (on
    ASCII text; re.IGNORECASE folds only four non-ASCII letters onto ASCII ones, so non-ASCII text is
    always searched)."""
    if not text.isascii():
        return True
    low = text.lower()
    return (
        "pleas" in low or "thank" in low or "sorry" in low or "apolog" in low or "appreciate" in low
        or "happy to help" in low or "glad to" in low or "welcome" in low or "kindly" in low
    )


def _words(text: str) -> list[str]:
    """Lower-cased words of ``text`` with redaction placeholders removed (they are not content)."""
    return _tokens(text)[1]


def _tokens(text: str) -> tuple[list[str], list[str]]:
    """The words of ``text`` without placeholders (``_WORD`` matches), as written (for shouting) and
    lower-cased (the rest): what ``_WORD.findall`` gives on the text and on the lower-cased text.

    Non-ASCII text is matched twice ("İ" lower-cases to two characters, so lower-casing the words is not
    always lower-casing the text); ASCII text takes one bytes.translate instead of the pattern.
    """
    stripped = PLACEHOLDER.sub(" ", text) if "<" in text else text
    if not stripped.isascii():
        raw = _WORD.findall(stripped)
        return (raw, _WORD.findall(stripped.lower())) if raw else (raw, [])
    # ASCII: the words are the runs of letters, digits and apostrophes (found by one bytes.translate and
    # split, faster than the pattern) as long as every apostrophe sits between two letters or digits.
    runs = stripped.encode().translate(_ASCII_NON_WORD).decode()
    if "'" in runs and (
        " '" in runs or "' " in runs or "''" in runs or runs.startswith("'") or runs.endswith("'")
    ):
        raw = _WORD.findall(stripped)
        return (raw, " ".join(raw).lower().split(" ")) if raw else (raw, [])
    return runs.split(), runs.lower().split()


#: ASCII byte -> itself for letters, digits and the apostrophe, else a space.
_ASCII_NON_WORD = bytes(c if (chr(c).isalnum() or c == 39) else 32 for c in range(256))


def _content_stems(words: list[str], memo: dict[str, str | None] | None = None) -> set[str]:
    """Content words cut to their first five letters: a crude stemmer that makes "deliver", "delivery" and
    "delivered" (or "refund"/"refunded") meet without a stemming library.

    ``memo`` (word -> its stem, or None for a word that is no content word) is filled as words are met:
    a batch repeats its words, so the stage passes one dict for the whole batch (same result, ~30% faster).
    """
    if memo is None:
        return {w[:5] for w in set(words).difference(_STOP) if len(w) >= 3 and not w.isdigit()}
    stems = set()
    for w in set(words):
        stem = memo.get(w, _UNSEEN)
        if stem is _UNSEEN:
            stem = memo[w] = w[:5] if (w not in _STOP and len(w) >= 3 and not w.isdigit()) else None
        if stem is not None:
            stems.add(stem)
    return stems


_UNSEEN = object()


def _stem_table(vocabulary: set[str]) -> dict[str, str | None]:
    """Every word of ``vocabulary`` -> its stem, or None for a word that is no content word (see
    :func:`_content_stems`)."""
    return {w: (w[:5] if (w not in _STOP and len(w) >= 3 and not w.isdigit()) else None) for w in vocabulary}


def _stems(words: list[str], stem_of_word: dict[str, str | None]) -> set[str]:
    """:func:`_content_stems` of ``words`` from a :func:`_stem_table` holding all of them: one C-level
    ``map`` over the words instead of a Python loop (~25% faster with the table built once per batch)."""
    stems = set(map(stem_of_word.__getitem__, words))
    stems.discard(None)
    return stems  # type: ignore[return-value]


def completeness_score(text: str, response: str, require_response: bool) -> float:
    """1 when the record has everything it needs, 0.5 when it lacks a required response, 0 without text."""
    if not text:
        return 0.0
    if require_response and not response:
        return 0.5
    return 1.0


def length_score(n_words: int, ideal_min: int, ideal_max: int) -> float:
    """1 inside [ideal_min, ideal_max] words, falling linearly to 0 below and as ideal_max/n above."""
    if n_words < ideal_min:
        return n_words / ideal_min
    if n_words > ideal_max:
        return ideal_max / n_words
    return 1.0


def repetition_score(words: list[str], n: int) -> float:
    """1 minus the share of word n-grams that repeat an earlier one (1 when there are too few words)."""
    if len(words) <= n:
        return 1.0
    if n == 3:  # the default, spelt out: zip over three slices is ~2x faster than over a starred list
        return len(set(zip(words, words[1:], words[2:]))) / (len(words) - 2)
    return len(set(zip(*[words[i:] for i in range(n)]))) / (len(words) - n + 1)


def relevance_score(
    text_words: list[str], response_words: list[str], memo: dict[str, str | None] | None = None
) -> float:
    """How much the response talks about what the text asked: shared content words against a small target
    (a quarter of the question's content words, between 1 and 3), times how much it adds (:func:`_adds`: an
    answer that only repeats the question's words, an echo or a keyword list, scores 0). 0 without a
    response; 0.5 when the text has no content word to compare (e.g. "Hi, help please"). ``memo``: see
    :func:`_content_stems`."""
    if not response_words:
        return 0.0
    asked = _content_stems(text_words, memo)
    if not asked:
        return 0.5
    answered = _content_stems(response_words, memo)
    return _relevance(asked, answered)


#: The share of an answer's content words that must be new (not the question's) for full relevance.
_NEW_WORDS_SHARE = 0.25


def _relevance(asked: set[str], answered: set[str]) -> float:
    """:func:`relevance_score` from the content stems of question and answer."""
    target = min(3, max(1, round(len(asked) / 4)))
    shared = len(asked & answered)
    return min(1.0, shared / target) * _adds(shared, len(answered))


def _echoes(asked: set[str], answered: set[str]) -> bool:
    """True when every content word of the answer is one of the question's (and both have some)."""
    return bool(asked) and bool(answered) and answered <= asked


def _adds(shared: int, answered: int) -> float:
    """1 when at least :data:`_NEW_WORDS_SHARE` of the answer's content words are not the question's, falling
    linearly to 0 when all are (the answer restates the question)."""
    if not answered:
        return 1.0
    return min(1.0, (answered - shared) / (_NEW_WORDS_SHARE * answered))


def tone_score(text: str, words: list[str]) -> float:
    """0.9 for neutral text, +0.1 when polite; minus the share of shouted (all-caps) words, 0.5 per profanity
    and 0.1 for runs of "!!" or "??". Clipped to [0, 1]."""
    return _tone(text, _tokens(text)[0], words)


def _tone(text: str, raw_tokens: list[str], words: list[str]) -> float:
    """:func:`tone_score` with the words of ``text`` as written already found."""
    polite = _may_be_polite(text) and _POLITE.search(text) is not None
    # A shouted word is three or more capitals in a row: ASCII text without such a run has none.
    return _tone_of(text, polite, _shouting(raw_tokens) if _may_shout(text) else None, words)


def _shouting(raw_tokens: list[str]) -> tuple[int, int]:
    """(shouted words, words of three or more letters) among the words of a text as written: a shouted word
    is all capitals, three letters or longer and no acronym."""
    # filter() runs the most selective test (isupper / isalpha) in C before the rest: same counts.
    caps = sum(1 for t in filter(str.isupper, raw_tokens) if len(t) >= 3 and t.isalpha() and t not in _ACRONYMS)
    return caps, (sum(1 for t in filter(str.isalpha, raw_tokens) if len(t) >= 3) if caps else 0)


def _tone_of(
    text: str, polite: bool, shouting: tuple[int, int] | None, words: list[str], may_swear: bool = True
) -> float:
    """:func:`tone_score` from its parts: whether ``text`` is polite, its :func:`_shouting` counts (None, or a
    zero first count, where no word is shouted; the second count is only read when the first is not
    zero), its lower-cased words, and False for ``may_swear`` when none of them can be a profanity (the
    batch checks its whole vocabulary at once)."""
    score = 0.9
    if polite:
        score += 0.1
    if shouting is not None and shouting[0]:
        share = shouting[0] / shouting[1]
        if share > 0.2:
            score -= share
    if may_swear and not _PROFANITY.isdisjoint(words):
        score -= 0.5 * sum(1 for w in words if w in _PROFANITY)
    if "!!" in text or "??" in text:
        score -= 0.1
    return float(min(1.0, max(0.0, score)))


def quality_signals(text: str, response: str, settings: CurationSettings, messages: str = "") -> dict[str, float]:
    """The five scorer values for one record (see the module docstring); the repetition score is the lowest
    of text, response and every assistant turn of ``messages`` that is trained on."""
    signals = _signals(text, response, _tokens(text), _tokens(response), settings)
    turns = _turn_contents(messages)
    if turns:
        n = settings.repetition_ngram
        signals["repetition"] = min(signals["repetition"], *(repetition_score(_words(c), n) for c in turns))
    return signals


def _turn_contents(messages: str) -> list[str]:
    """The contents of the assistant turns of ``messages`` that are trained on (not marked ``"weight": 0``)."""
    return [content for _, content, trained in assistant_turns(messages) if trained]


def _signals(
    text: str,
    response: str,
    text_tokens: tuple[list[str], list[str]],
    response_tokens: tuple[list[str], list[str]],
    settings: CurationSettings,
) -> dict[str, float]:
    """:func:`quality_signals` from the :func:`_tokens` of text and response."""
    return dict(zip(SCORERS, _signal_values(text, response, text_tokens, response_tokens, settings)))


def _signal_values(
    text: str,
    response: str,
    text_tokens: tuple[list[str], list[str]],
    response_tokens: tuple[list[str], list[str]],
    settings: CurationSettings,
    memo: dict[str, str | None] | None = None,
) -> tuple[float, float, float, float, float]:
    """The scorer values in :data:`SCORERS` order (the stage's loop skips building a dict per record);
    ``memo`` is the batch's stem memo (:func:`_content_stems`)."""
    (t_raw, tw), (r_raw, rw) = text_tokens, response_tokens
    ideal_min, ideal_max = settings.ideal_min_words, settings.ideal_max_words
    if response:
        length = (length_score(len(tw), ideal_min, ideal_max) + length_score(len(rw), ideal_min, ideal_max)) / 2
    else:
        length = length_score(len(tw), ideal_min, ideal_max)
    n = settings.repetition_ngram
    return (
        completeness_score(text, response, settings.require_response),
        length,
        min(repetition_score(tw, n), repetition_score(rw, n)),
        relevance_score(tw, rw, memo) if (response or settings.require_response) else 1.0,
        # The answer's tone is what the model learns; the request's counts a little, so that of two
        # otherwise equal duplicates the one that is not shouting is kept.
        0.75 * _tone(response, r_raw, rw) + 0.25 * _tone(text, t_raw, tw) if response else _tone(text, t_raw, tw),
    )


#: What :func:`_profile` keeps of one string: (length score, repetition score, tone, lower-cased words,
#: :func:`_truncation`, too short or a courtesy phrase as a response).
_Profile = tuple[float, float, float, list[str], int, bool]


def _profile(text: str, n: int, ideal_min: int, ideal_max: int, min_response_words: int) -> _Profile:
    """The scorer and filter parts that depend on one string alone, as :func:`_signal_values` and
    :func:`_filter_reason` compute them: the stage computes them once per distinct text or response."""
    raw, words = _tokens(text)
    n_words = len(words)
    return (
        length_score(n_words, ideal_min, ideal_max),
        repetition_score(words, n),
        _tone(text, raw, words),
        words,
        _truncation(text),
        n_words < min_response_words or _courtesy_only(words),
    )


def _profiles(
    strings: list[str], n: int, ideal_min: int, ideal_max: int, min_response_words: int
) -> tuple[dict[str, _Profile], set[str]]:
    """:func:`_profile` of every one of ``strings`` (distinct), and the set of all their lower-cased words.

    Hand-written for throughput, the same values: the words come from :func:`_batch_tokens` (one pass over
    the whole batch instead of one per string), politeness from :func:`_is_polite`, and the profanity count
    only runs when some word of the batch is a profanity (test_fast_paths compares with :func:`_profile`).
    """
    tokens = _batch_tokens(strings)
    vocabulary: set[str] = set().union(*[words for _, words in tokens])
    may_swear = not _PROFANITY.isdisjoint(vocabulary)
    profiles = {}
    for text, (shouting, words) in zip(strings, tokens):
        n_words = len(words)
        profiles[text] = (
            length_score(n_words, ideal_min, ideal_max),
            repetition_score(words, n),
            _tone_of(text, _is_polite(text), shouting, words, may_swear),
            words,
            _truncation(text),
            n_words < min_response_words or _courtesy_only(words),
        )
    return profiles, vocabulary


def _is_polite(text: str) -> bool:
    """``_POLITE.search(text) is not None``, faster on ASCII text: after the substring gate, a case-sensitive
    search of the lower-cased text (~2x faster than the re.IGNORECASE one). Exact on ASCII text: lower()
    folds exactly the ASCII capitals the flag folds and keeps every character's place and word-ness."""
    if not text.isascii():
        return _POLITE.search(text) is not None
    low = text.lower()
    return (
        "pleas" in low or "thank" in low or "sorry" in low or "apolog" in low or "appreciate" in low
        or "happy to help" in low or "glad to" in low or "welcome" in low or "kindly" in low
    ) and _POLITE_LOWER.search(low) is not None


#: :data:`_POLITE` without re.IGNORECASE, for lower-cased ASCII text.
_POLITE_LOWER = re.compile(_POLITE.pattern)


def _batch_tokens(strings: list[str]) -> list[tuple[tuple[int, int] | None, list[str]]]:
    """For each of ``strings``, its :func:`_shouting` counts (or None where no word can be shouted) and its
    lower-cased words: what :func:`_tone_of` and the other scorers read of :func:`_tokens`.

    Hand-written for throughput (splitting was ~6 us a string): the ASCII strings are joined with
    :data:`_SEPARATOR` and go through one placeholder substitution, one bytes.translate, one lower() and
    one split() together, and numpy finds where each string's words start and end. An apostrophe that is
    not between two letters or digits ends a word for ``_WORD`` (its group needs a letter or digit on
    each side), so those become spaces, which gives what :func:`_tokens`' fallback to the pattern gives.
    The shouting counts are read off the words' letters and capitals with numpy (only the all-capital
    words, few, are looked up among the acronyms in Python). Exact because placeholders and words cannot
    hold the separator, which becomes a space like every other non-word character; non-ASCII strings, and
    a batch where some string holds the separator, take :func:`_tokens` one string at a time.
    """
    out: list[tuple[tuple[int, int] | None, list[str]] | None] = [None] * len(strings)
    batch = [i for i, text in enumerate(strings) if text.isascii()]
    joined = _SEPARATOR.join([strings[i] for i in batch])
    if batch and joined.count(_SEPARATOR) == len(batch) - 1:
        stripped = (PLACEHOLDER.sub(" ", joined) if "<" in joined else joined).encode()
        chars = np.frombuffer(stripped.translate(_ASCII_NON_WORD), dtype=np.uint8).copy()
        # Byte offsets where each string ends in the joined text (placeholders became one space each).
        ends = np.append(np.flatnonzero(np.frombuffer(stripped, dtype=np.uint8) == 0), len(stripped))
        letter = (chars != 32) & (chars != 39)  # letters and digits
        apostrophes = np.flatnonzero(chars == 39)
        if len(apostrophes):
            between = np.concatenate(([False], letter[:-1]))[apostrophes]
            between &= np.concatenate((letter[1:], [False]))[apostrophes]
            chars[apostrophes[~between]] = 32
        in_word = chars != 32
        edges = np.diff(in_word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        word_start, word_end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        bounds = np.concatenate(([0], np.searchsorted(word_start, ends)))
        written = chars.tobytes()
        words = written.lower().decode().split()
        # Shouting. Words of letters only hold no digit and no apostrophe (the only other bytes left in a
        # word); the all-capital ones among them hold three capitals in a row, found first (they are few).
        not_alpha = np.zeros(len(word_start), dtype=bool)
        not_alpha[np.searchsorted(word_start, np.flatnonzero((chars < 65) & (chars != 32)), side="right") - 1] = True
        alpha3 = ~not_alpha & (word_end - word_start >= 3)
        capital = (chars >= 65) & (chars <= 90)
        candidates = np.unique(
            np.searchsorted(word_start, np.flatnonzero(capital[:-2] & capital[1:-1] & capital[2:]), side="right") - 1
        )
        candidates = candidates[alpha3[candidates]]
        shouted = [
            k
            for k, start, stop in zip(candidates.tolist(), word_start[candidates].tolist(), word_end[candidates].tolist())
            if written[start:stop].isupper() and words[k].upper() not in _ACRONYMS
        ]
        word_string = np.repeat(np.arange(len(batch)), np.diff(bounds))
        caps = np.bincount(word_string[shouted], minlength=len(batch))
        n_alpha3 = np.bincount(word_string[alpha3], minlength=len(batch))
        counts = list(zip(caps.tolist(), n_alpha3.tolist()))
        bounds = bounds.tolist()
        for pos, i in enumerate(batch):
            out[i] = (counts[pos], words[bounds[pos]:bounds[pos + 1]])
    for i, text in enumerate(strings):
        if out[i] is None:
            raw, lower = _tokens(text)
            out[i] = (_shouting(raw) if _may_shout(text) else None, lower)
    return out  # type: ignore[return-value]


#: Joins the ASCII strings of a batch in :func:`_batch_tokens`: neither a word character nor in a placeholder.
_SEPARATOR = "\x00"


def combine_scores(signals: dict[str, float], settings: CurationSettings) -> float:
    """Weighted mean of the scorer values with the ``weight_*`` settings, rounded to 4 decimals."""
    return _combine(signals, [getattr(settings, f"weight_{name}") for name in SCORERS])


def _combine(signals: dict[str, float], weights: list[float]) -> float:
    """:func:`combine_scores` with the weights (in :data:`SCORERS` order) already read."""
    return _combine_values([signals[name] for name in SCORERS], weights)


def _combine_values(values: Sequence[float], weights: Sequence[float]) -> float:
    """The weighted mean of scorer ``values`` (in :data:`SCORERS` order), rounded to 4 decimals."""
    return round(sum([v * w for v, w in zip(values, weights)]) / sum(weights), 4)


def is_truncated(text: str, ellipsis: bool = True) -> bool:
    """True when ``text`` looks cut off: it ends with an ellipsis (with ``ellipsis``), a dangling hyphen,
    comma, slash, "&" or open bracket, or with a word that cannot end a sentence ("... reset my", "... the").

    Missing final punctuation alone is not enough: customers often write "my order didnt arrive". A word
    cut in the middle ("passw") cannot be told from a real word without a dictionary and is not caught.
    A closing "A" is a name ("Plan A", "grade A"), and a slash closing a URL is part of it. People end
    their own messages with "..." ("still waiting..."): the request side is judged with ``ellipsis`` off.
    """
    return _truncation(text) >= (1 if ellipsis else 2)


def _truncation(text: str) -> int:
    """0: ``text`` looks whole; 1: it only ends with an ellipsis; 2: it ends in a cut (see :func:`is_truncated`)."""
    stripped = text.rstrip()
    if not stripped:
        return 0
    if stripped.endswith(("...", "…")):
        before = stripped.rstrip(".…").rstrip()
        return 2 if before and before.rsplit(None, 1)[-1].lower() in _DANGLING else 1  # "reset my...": a cut
    last_raw = stripped.rsplit(None, 1)[-1]
    if stripped[-1] in "-,/&([{":
        if stripped[-1] == "/" and ("://" in last_raw or last_raw.lower().startswith("www.")):
            return 0  # a URL ending in its folder's slash
        return 2
    if last_raw == "A":
        return 0
    return 2 if last_raw.lower() in _DANGLING else 0


def _filter_reason(
    text: str,
    response: str,
    score: float,
    settings: CurationSettings,
    response_words: list[str] | None = None,
    floors: tuple[float, float | None] | None = None,
    messages: str = "",
) -> tuple[str, str] | None:
    """Why the record goes, or None. ``floors``: its repetition score and its replies' lowest tone score (None
    without a reply), computed here (with ``messages``' assistant turns) when not given."""
    if settings.require_response and not response:
        return "empty_response", "response is empty and require_response is on"
    if response:
        words = _words(response) if response_words is None else response_words
        if len(words) < settings.min_response_words or _courtesy_only(words):
            return "one_word_response", f"response {response[:40]!r} is only {len(words)} word(s) or a courtesy phrase"
        if settings.drop_echo_responses and _echoes(_content_stems(_words(text)), _content_stems(words)):
            return "echo_response", f"response {response[:40]!r} only restates the text: no content word of its own"
    if settings.drop_truncated:
        for field, value in (("text", text), ("response", response)):
            if is_truncated(value, ellipsis=field == "response"):
                return "truncated_text", f"{field} looks cut off: ...{value[-30:]!r}"
    repetition, response_tone = floors if floors is not None else _floor_values(text, response, settings, messages)
    if repetition < settings.min_repetition_score:
        return "low_quality_score", (
            f"repetition score {repetition:.2f} < min_repetition_score {settings.min_repetition_score} "
            f"(quality_score {score:.3f}): the text, the response or an assistant turn loops"
        )
    if response_tone is not None and response_tone < settings.min_response_tone_score:
        return "low_quality_score", (
            f"the response's tone score {response_tone:.2f} < min_response_tone_score "
            f"{settings.min_response_tone_score} (quality_score {score:.3f}): it (or an assistant turn) shouts or swears"
        )
    if score < settings.min_quality_score:
        return "low_quality_score", f"quality_score {score:.3f} < min_quality_score {settings.min_quality_score}"
    return None


def _floor_values(text: str, response: str, settings: CurationSettings, messages: str = "") -> tuple[float, float | None]:
    """The values the floors judge: the repetition score (the lowest of text, response and the assistant
    turns of ``messages`` trained on) and the lowest tone score of the response and those turns (None
    without either)."""
    n = settings.repetition_ngram
    replies = ([response] if response else []) + _turn_contents(messages)
    repetition = min(repetition_score(_words(text), n), *(repetition_score(_words(r), n) for r in replies), 1.0)
    return repetition, (min(tone_score(r, _words(r)) for r in replies) if replies else None)


@cyclic_gc_paused
def score_quality(df: pd.DataFrame, settings: CurationSettings) -> StageResult:
    """Add ``quality_score`` to every record and drop the unusable ones with a named reason.

    Drop reasons, first match wins: empty_response, one_word_response, echo_response, truncated_text,
    low_quality_score (a floor, ``min_repetition_score`` or ``min_response_tone_score``, then
    ``min_quality_score``; the detail says which).
    stats carry a histogram of every input record's score (``score_histogram``: bin_edges, counts) and the
    mean of each scorer.
    """
    check_input(df, STAGE)
    ids = df["record_id"].astype(str).tolist()
    texts = text_column(df, "text")
    responses = text_column(df, "response")
    messages = text_column(df, "messages")
    # The assistant turns trained on (SFT with conversations: all_turns trains on each): each distinct
    # messages string's contents, scored with the rest below (repetition scorer, tone floor).
    turns_of = {msg: _turn_contents(msg) for msg in dict.fromkeys(messages) if msg}
    scores: list[float] = []
    keep: list[bool] = []
    dropped: list[tuple[str, str, str]] = []
    weights = [getattr(settings, f"weight_{name}") for name in SCORERS]
    w_completeness, w_length, w_repetition, w_relevance, w_tone = weights
    weight_sum = sum(weights)
    ideal_min, ideal_max, n_gram = settings.ideal_min_words, settings.ideal_max_words, settings.repetition_ngram
    require_response, min_score = settings.require_response, settings.min_quality_score
    min_repetition, min_response_tone = settings.min_repetition_score, settings.min_response_tone_score
    drop_truncated, min_response_words = settings.drop_truncated, settings.min_response_words
    # Everything the scorers and filters compute from one string alone, once per distinct string of the
    # batch: responses repeat (canned answers) and so do texts. The per-record part below is
    # _signal_values, _combine_values and _filter_reason written out (test_fast_paths compares them).
    profiles, vocabulary = _profiles(
        list(dict.fromkeys([*texts, *responses, *(c for turns in turns_of.values() for c in turns)])),
        n_gram, ideal_min, ideal_max, min_response_words,
    )
    # per messages string: (lowest repetition, lowest tone) of its assistant turns
    turn_floors = {
        msg: (min(profiles[c][1] for c in turns), min(profiles[c][2] for c in turns))
        for msg, turns in turns_of.items() if turns
    }
    no_turns = (1.0, None)
    stem_of_word = _stem_table(vocabulary)
    stems_of: dict[str, set[str]] = {}
    sums = [0.0] * len(SCORERS)
    s_completeness = s_length = s_repetition = s_relevance = s_tone = 0.0
    drop_echo = settings.drop_echo_responses
    for rid, text, response, msg in zip(ids, texts, responses, messages):
        t, r = profiles[text], profiles[response]
        turn_repetition, turn_tone = turn_floors.get(msg, no_turns) if msg else no_turns
        echo = False
        if not response and not require_response:
            relevance = 1.0
        elif not r[3]:
            relevance = 0.0
        else:
            asked = stems_of.get(text)
            if asked is None:
                asked = stems_of[text] = _stems(t[3], stem_of_word)
            if not asked:
                relevance = 0.5
            else:
                answered = stems_of.get(response)
                if answered is None:
                    answered = stems_of[response] = _stems(r[3], stem_of_word)
                relevance = _relevance(asked, answered)
                echo = drop_echo and _echoes(asked, answered)
        completeness = 0.0 if not text else 0.5 if (require_response and not response) else 1.0
        if response:
            length, repetition, tone = (t[0] + r[0]) / 2, min(t[1], r[1], turn_repetition), 0.75 * r[2] + 0.25 * t[2]
        else:
            length, repetition, tone = t[0], min(t[1], r[1], turn_repetition), t[2]
        reply_tone = r[2] if response else None
        if turn_tone is not None:
            reply_tone = turn_tone if reply_tone is None else min(reply_tone, turn_tone)
        s_completeness += completeness
        s_length += length
        s_repetition += repetition
        s_relevance += relevance
        s_tone += tone
        score = round(
            sum([completeness * w_completeness, length * w_length, repetition * w_repetition,
                 relevance * w_relevance, tone * w_tone]) / weight_sum,
            4,
        )
        scores.append(score)
        # _filter_reason's tests, with the per-string ones read off the profiles; it words the reason.
        if (
            score < min_score
            or repetition < min_repetition
            or (reply_tone is not None and reply_tone < min_response_tone)
            or (not response and require_response)
            or (response and r[5])
            or echo
            or (drop_truncated and (t[4] == 2 or r[4] >= 1))
        ):
            floors = (repetition, reply_tone)
            dropped.append((rid, *_filter_reason(text, response, score, settings, r[3], floors)))
            keep.append(False)
        else:
            keep.append(True)
    sums = [s_completeness, s_length, s_repetition, s_relevance, s_tone]
    records = df.copy()
    records["quality_score"] = pd.Series(scores, index=df.index, dtype="float64")
    counts, edges = np.histogram(np.asarray(scores, dtype=float), bins=settings.histogram_bins, range=(0.0, 1.0))
    n = len(scores)
    stats: dict[str, Any] = {
        "score_histogram": {"bin_edges": [round(float(e), 4) for e in edges], "counts": [int(c) for c in counts]},
        # means over every input record (kept or dropped); None without records, as a mean of nothing is
        "score_mean": round(float(np.mean(scores)), 4) if scores else None,
        "scorer_means": {name: (round(total / n, 4) if n else None) for name, total in zip(SCORERS, sums)},
    }
    return finish_stage(STAGE, df, keep, records, dropped, stats)
