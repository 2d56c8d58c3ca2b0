"""Stage 1 of curation: text normalisation, length bounds and the language filter.

Repairs encoding damage (ftfy), applies NFC, strips invisible control characters (newlines and tabs are
whitespace, not garbage), collapses runs of whitespace, and drops records that are empty, too short, too
long, carry unreadable ``messages`` or are not in English, each with a named reason.
"""

from __future__ import annotations

import html
import json
import operator
import re
import unicodedata
from collections import Counter
from itertools import compress, repeat
from typing import Callable

import ftfy
import ftfy.chardata
import numpy as np
import pandas as pd

from finetune_platform.curation.config import (
    CurationSettings,
    StageResult,
    check_input,
    cyclic_gc_paused,
    finish_stage,
    json_turn,
    role_content_turns,
    text_column,
)

STAGE = "normalize"
#: What ``json.dumps(obj, ensure_ascii=False)`` builds on every call, built once (same output, ~2 us less a call).
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False)

#: Invisible characters with no place in training text: C0/C1 controls except \t and \n (\r, \v and \f are
#: turned into newlines first), zero-width and bidi-override format characters, the BOM and soft hyphens.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
#: "\r" before "\n" is one break, and so before \v or \x1c-\x1e (_FTFY_DELETES): where ftfy runs, those become
#: "\n" first and ftfy reads "\r\n" as one break, so the text without ftfy must read them so too.
_LINE_BREAKS = re.compile("\r[\n\x0b\x1c-\x1e]|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_FTFY_DELETES = re.compile("[\x0b\x1c-\x1e]")
#: Runs of horizontal whitespace inside a line (after a visible character): one space. A line's leading
#: whitespace is its indentation (code, YAML, nested lists): kept, each character a plain space or tab.
_HSPACE = re.compile(r"(?<=\S)[^\S\n]+")
_INDENT_SPACE = re.compile(r"(?:(?<=\n)|^)[^\S\n]+")
_INDENT_CHARS = str.maketrans({c: " " for c in "\x0b\x0c\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                                        "\u2007\u2008\u2009\u200a\u202f\u205f\u3000"})
_SPACE_AROUND_NEWLINE = re.compile(r" +\n")


def _indentation(match: re.Match[str]) -> str:
    """A line's leading whitespace: kept as indentation (plain spaces and tabs) when it is two or more
    characters or a tab; a single space is a stray one (an e-mail's " Thanks") and goes."""
    run = match.group()
    return "" if run != "\t" and len(run) < 2 else run.translate(_INDENT_CHARS)
_MANY_NEWLINES = re.compile(r"\n{3,}")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
#: _WORD on lower-case ASCII text, where it can only ever meet these letters (a simpler pattern is faster).
_ASCII_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_LETTER = re.compile(r"[^\W\d_]")

#: Characters that the clean-up below would change: whitespace other than " " and "\n", and _CONTROL's.
_UNTIDY_CHAR = re.compile(
    "[\t\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    "\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)


def _ftfy_trigger_pattern() -> re.Pattern[str]:
    """Characters without which ``ftfy.fix_text`` returns its input unchanged (besides NFC, checked apart).

    Built from ftfy's own tables, so it follows the installed version: HTML entities need "&", terminal
    escapes ESC; ligatures, wide forms, curly quotes, line breaks, surrogates, C1 and other control
    characters are the keys of its fixers. Its mojibake test (``ftfy.badness.BADNESS_RE``) needs two
    non-ASCII characters side by side in every branch except those led by C1 controls, "Œ", "œ", "Ã"
    and "Â", which are listed here too; text without any of these is never "bad", so the encoding fixer
    leaves it alone.
    """
    chars = set("&\x1b\r\u2028\u2029\x85\u02bcŒœÃÂ") | {chr(c) for c in range(0x80, 0xA0)}
    chars |= {chr(c) for c in range(0x2018, 0x2020)}  # ftfy.chardata SINGLE/DOUBLE_QUOTE_RE
    for table in (ftfy.chardata.LIGATURES, ftfy.chardata.WIDTH_MAP, ftfy.chardata.CONTROL_CHARS):
        chars |= {chr(c) for c in table}
    listed = "".join(sorted(re.escape(c) for c in chars))
    return re.compile(f"[{listed}\ud800-\udfff]|[^\x00-\x7f]{{2}}")


_FTFY_TRIGGER = _ftfy_trigger_pattern()


def repair_unicode(text: str) -> str:
    """``ftfy.fix_text``, with HTML entities unescaped once: ftfy unescapes until none is left, so a text
    about HTML ("write &amp;lt; to show <", "use &amp;amp; for &amp;") lost its meaning. A text that looks
    like HTML (holds "<") is left to ftfy, which does not unescape it at all."""
    if "&" in text and "<" not in text:
        return ftfy.fix_text(html.unescape(text), unescape_html=False)
    return ftfy.fix_text(text)


def normalize_text(text: str, fix_unicode: bool = True) -> str:
    """Return ``text`` repaired, NFC-normalised, without control characters and with tidy whitespace.

    Runs of spaces and tabs become one space, spaces around newlines go, three or more newlines become a
    paragraph break, and the ends are stripped. ftfy runs only where it can change something: on ASCII
    text only for HTML entities and terminal escapes, on other text only when it holds a character one of
    ftfy's fixers acts on or two non-ASCII characters in a row (all its mojibake patterns need one of
    those), or is not in NFC. Elsewhere ftfy would return the text as it is, only slower (~90 us a text).
    Text that is already tidy is returned as it is, without the regular-expression passes.
    """
    if not text:
        return ""
    # \v and \x1c-\x1e become "\n" before ftfy sees the text: ftfy deletes them, but only when it runs, so
    # the same character would otherwise be a newline in one text and gone in the next. (\x85 is left to
    # ftfy: next to other non-ASCII text it is usually a cp1252 "..." that ftfy repairs.)
    if text.isascii():
        if fix_unicode and ("&" in text or "\x1b" in text):
            text = repair_unicode(_FTFY_DELETES.sub("\n", text))
    elif not fix_unicode:
        text = unicodedata.normalize("NFC", text)
    elif _FTFY_TRIGGER.search(text) or not unicodedata.is_normalized("NFC", text):
        text = repair_unicode(_FTFY_DELETES.sub("\n", text))
    if not text:
        return ""  # ftfy removed everything (e.g. a lone terminal escape)
    if not (
        _UNTIDY_CHAR.search(text)
        or "  " in text
        or " \n" in text
        or "\n " in text
        or "\n\n\n" in text
        or text[0] in " \n"
        or text[-1] in " \n"
    ):
        return text
    return tidy_whitespace(text)


def tidy_whitespace(text: str) -> str:
    """Line breaks as "\\n", control characters out, runs of spaces inside a line as one, indentation (two
    or more spaces, or a tab) kept, trailing spaces and blank lines' contents out, at most one empty line in
    a row, the text's ends trimmed."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = _HSPACE.sub(" ", text)
    text = _INDENT_SPACE.sub(_indentation, text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)  # trailing spaces
    text = "\n".join(line if line.strip() else "" for line in text.split("\n"))  # a blank line holds nothing
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip("\n").rstrip().lstrip(" \t") if text.strip() else ""


def normalize_messages(
    messages: str, fix_unicode: bool = True, normalize: Callable[[str, bool], str] | None = None
) -> str:
    """Normalise the ``content`` of every turn of a ``messages`` JSON string; "" stays "". Messages with
    nothing to normalise are returned as they came (not re-encoded).

    ``normalize`` replaces :func:`normalize_text` for the contents (the stage passes a memoised one).
    Raises ValueError (with what was wrong) when the string is not a JSON list of {"role", "content"} objects.
    """
    return _normalized_messages(messages, fix_unicode, normalize or normalize_text)[0]


def _normalized_messages(
    messages: str, fix_unicode: bool, normalize: Callable[[str, bool], str]
) -> tuple[str, list[tuple[int, str, bool]]]:
    """:func:`normalize_messages` and the normalised messages' :func:`assistant_turns` (read on the way)."""
    if not messages.strip():
        return "", []
    # Fast path for the usual shape (role_content_turns: orjson, only where json would give the same);
    # anything else takes the reference path below, which parses with json (see test_fast_paths).
    turns = role_content_turns(messages)
    if turns is not None:
        new = [(role.strip(), normalize(content, fix_unicode)) for role, content in turns]
        assistant = [(i, content, True) for i, (role, content) in enumerate(new) if role == "assistant"]
        if new == turns:
            return messages, assistant  # nothing to normalise: kept as it came (ingest writes json's encoding)
        return f"[{', '.join([json_turn(role, content) for role, content in new])}]", assistant
    out = _normalize_turns(messages, fix_unicode, normalize)
    return out, assistant_turns(out)


def _normalize_turns(messages: str, fix_unicode: bool, normalize: Callable[[str, bool], str]) -> str:
    """The reference path of :func:`normalize_messages`: json.loads, check and normalise every turn, encode."""
    try:
        turns = json.loads(messages)
    except json.JSONDecodeError as exc:
        raise ValueError(f"messages is not valid JSON ({exc.msg} at char {exc.pos})") from exc
    except RecursionError as exc:  # e.g. "[[[[...]]]]" a thousand levels deep: hostile input, not a crash
        raise ValueError("messages is nested too deeply to parse") from exc
    if not isinstance(turns, list):
        raise ValueError(f"messages must be a JSON list of turns, got {type(turns).__name__}")
    out = []
    for i, turn in enumerate(turns):
        if not (isinstance(turn, dict) and isinstance(turn.get("role"), str) and isinstance(turn.get("content"), str)):
            raise ValueError(f"messages turn {i} is not an object with string 'role' and 'content'")
        out.append({**turn, "role": turn["role"].strip(), "content": normalize(turn["content"], fix_unicode)})
    if out == turns:
        return messages  # nothing to normalise: kept as it came
    return _JSON_ENCODER.encode(out)


# Small function-word sets per language. Hand-written on purpose: langdetect/langid cost 1-5 ms a text (the
# whole of curate() has a budget of about 0.5 ms a record), langdetect is non-deterministic, and fastText's
# language model is a download. Support tickets only need "is this English?", which function words answer.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        """the a an and or but if of to in on at for with from by about as into is are was were be been being
        am have has had do does did not can could will would should may might must i me my mine you your we
        our us he she him her his it its they them their this that these those there here what which who
        when where why how all any some just so than then too very please thanks thank hi hello yet still
        again also get got i'm it's don't can't didn't doesn't isn't hasn't haven't won't wasn't i've i'd
        i'll we're you're they're there's that's let's out up after before since because only now want
        need one""".split()
    ),
    "de": frozenset(
        """der die das und ist nicht ich sie es ein eine einen einem mit auf für von zu den dem des im wir
        mein meine meinen bitte danke hallo noch aber wie was wo habe hat haben kann können sind war auch
        nur schon oder wenn dass bei nach aus ihr ihre uns um vom zum zur keine kein mir mich dir wurde
        werden sehr ist""".split()
    ),
    "fr": frozenset(
        """le la les un une des du de et est je tu il elle nous vous ils pas ne que qui pour dans sur avec
        mon ma mes votre vos ce cette ces au aux mais ou où sont été avoir fait bonjour merci n'est c'est
        j'ai s'il plus très suis""".split()
    ),
    "es": frozenset(
        """el la los las un una de del y que en es por para con no mi mis su sus se lo al pero como más ya
        está estoy tengo hola gracias muy ha he hay yo usted me le porque cuando donde este esta esto""".split()
    ),
    "it": frozenset(
        """il lo la gli le di da e è che non un una per con mi ti ci si sono ho ha del della al alla nel ma
        come anche grazie ciao buongiorno mio mia questo questa perché""".split()
    ),
    "nl": frozenset(
        """de het een en van ik je niet dat is op te met voor mijn zijn er maar om ook als bij nog wat hoe
        dank hallo graag heb heeft kan wij jullie u uw geen""".split()
    ),
    "pt": frozenset(
        """o a os as um uma de do da dos das e é que não em no na para com por meu minha seu sua eu você
        obrigado obrigada olá mas como mais está estou tenho foi""".split()
    ),
}


#: word -> the languages whose function word it is (one lookup per word instead of one per language).
_LANGS_OF: dict[str, tuple[str, ...]] = {}
for _lang, _stop in _STOPWORDS.items():
    for _w in _stop:
        _LANGS_OF[_w] = _LANGS_OF.get(_w, ()) + (_lang,)


def _ascii_words(low: str) -> list[str]:
    """``_ASCII_WORD.findall(low)`` for lower-case ASCII text, faster: the runs of letters and apostrophes
    (one bytes.translate and split) are its words whenever every apostrophe sits between two letters and
    no run holds two; otherwise the pattern runs."""
    runs = low.encode().translate(_ASCII_NOT_LETTER).decode()
    if "'" in runs and (
        " '" in runs or "' " in runs or runs[0] == "'" or runs[-1] == "'" or _TWO_APOSTROPHES.search(runs)
    ):
        return _ASCII_WORD.findall(low)
    return runs.split()


_TWO_APOSTROPHES = re.compile("'[a-z]*'")


#: ASCII byte -> itself for lower-case letters and the apostrophe, else a space.
_ASCII_NOT_LETTER = bytes(c if (97 <= c <= 122 or c == 39) else 32 for c in range(256))

_ENGLISH = _STOPWORDS["en"]
_NOT_ENGLISH = frozenset(w for lang, stop in _STOPWORDS.items() if lang != "en" for w in stop)
_ONLY_NOT_ENGLISH = _NOT_ENGLISH - _ENGLISH


def guess_language(text: str, min_words: int = 4) -> tuple[str, float]:
    """Guess the language of ``text`` from function words; return (code, share of English function words).

    code is one of the keys of the stop-word table, "non_latin" when most letters are outside the Latin
    alphabet (Cyrillic, CJK, Arabic ...), or "unknown": with share 1.0 when there are fewer than
    ``min_words`` words (too short to judge), with share 0.0 when there is no function word of any listed
    language (Turkish, Vietnamese, Swedish ... or terse English: the stage asks its language identifier).
    English wins ties, so mixed English text with a few foreign words stays English. Scripts written
    without spaces (Chinese, Japanese, Thai ...) are long enough to judge at ``2 * min_words`` letters.

    Function words inside titles and names do not outvote English: when other languages' function words
    outnumber English ones, the words outside runs of capitalised words (:func:`outside_titles`, "Add La
    Casa de Papel and El Laberinto del Fauno to my watch list") are counted again, and when there are at
    least ``min_words`` of them and English has the most hits among them, the text is English (share
    taken among them).
    """
    if not text.isascii():
        letters = _LETTER.findall(text)
        # U+0000-U+024F: ASCII, Latin-1 and Latin Extended-A/B letters.
        if sum(c <= "\u024f" for c in letters) < 0.5 * len(letters) and (
            len(letters) >= 10 or len(_NO_SPACE_LETTER.findall("".join(letters))) >= max(1, 2 * min_words)
        ):
            return "non_latin", 0.0
    low = text.lower()
    words = _ascii_words(low) if low.isascii() else _WORD.findall(low)
    if len(words) < min_words:
        return "unknown", 1.0
    # English wins ties, and no other language can have more hits than there are words that are some
    # other language's function word: when English has at least that many, it is the answer.
    english = sum(map(_ENGLISH.__contains__, words))
    if english >= sum(map(_NOT_ENGLISH.__contains__, words)):
        return ("en", english / len(words)) if english else ("unknown", 0.0)
    outside = outside_titles(text)
    if outside != text:
        rest = _WORD.findall(outside.lower())
        rest_english = sum(map(_ENGLISH.__contains__, rest))
        if len(rest) >= min_words and rest_english and rest_english >= sum(map(_NOT_ENGLISH.__contains__, rest)):
            return "en", rest_english / len(rest)
    hits = dict.fromkeys(_STOPWORDS, 0)
    for langs in map(_LANGS_OF.get, words):
        if langs:
            for lang in langs:
                hits[lang] += 1
    best = max(hits, key=lambda lang: (hits[lang], lang == "en"))
    if hits[best] == 0:
        return "unknown", 0.0
    return best, hits["en"] / len(words)


#: Letters of scripts written without spaces between words (Thai, Lao, Tibetan, Myanmar, Khmer, kana, CJK
#: ideographs): a word there is one or two letters, so such a text is judged by its letters, not its words.
_NO_SPACE_LETTER = re.compile(
    "[\u0e00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff66-\uff9d\U00020000-\U0003134f]"
)
#: A word as written (case kept), for :func:`title_spans`.
_CASED_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


#: The first letter of every word of :data:`_CASED_WORD` (and of the part after an apostrophe: a superset).
_WORD_START = re.compile(r"(?<![^\W\d_])[^\W\d_]")


def _capitalised(word: str) -> bool:
    """A title's word: a capital then lower-case letters ("Casa", "McCartney"), or one capital ("A", "I").
    Words all in capitals are acronyms or shouting, not titles."""
    return word[0].isupper() and (len(word) == 1 or not word.isupper())


def title_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every run of two or more capitalised words in ``text``: titles and names such as
    "La Casa de Papel", "El Laberinto del Fauno", "Lo Que Suena Los Angeles".

    Inside a run, at most two lower-case function words of any listed language may stand between two
    capitalised words ("de", "del", "de la", "of the"); the words of a run are separated only by spaces,
    hyphens, apostrophes or "&" (a comma or a full stop ends it). A sentence's first word joins the run
    that follows it ("Add La Casa de Papel"): it is no function word of the titles it would hide.
    """
    words = list(_CASED_WORD.finditer(text))
    n = len(words)
    spans: list[tuple[int, int]] = []

    def joined(a: int, b: int) -> bool:  # nothing but spaces, hyphens, apostrophes or "&" between words a and b
        return not text[words[a].end():words[b].start()].strip(" -&'’")

    i = 0
    while i < n:
        if not _capitalised(words[i].group()):
            i += 1
            continue
        last, capitals = i, 1
        while True:
            nxt, connectors = last + 1, 0
            while nxt < n and connectors < 2 and joined(nxt - 1, nxt):
                w = words[nxt].group()
                if _capitalised(w) or w.lower() not in _LANGS_OF or w != w.lower():
                    break
                connectors += 1
                nxt += 1
            if nxt < n and joined(nxt - 1, nxt) and _capitalised(words[nxt].group()):
                last, capitals = nxt, capitals + 1
            else:
                break
        if capitals >= 2:
            spans.append((words[i].start(), words[last].end()))
        i = last + 1
    return spans


def outside_titles(text: str) -> str:
    """``text`` with its :func:`title_spans` replaced by a space each (``text`` itself when it has none)."""
    if sum(map(str.isupper, _WORD_START.findall(text))) < 2:  # fewer than two capitalised words: no title
        return text
    spans = title_spans(text)
    if not spans:
        return text
    pieces, pos = [], 0
    for start, end in spans:
        pieces.append(text[pos:start])
        pos = end
    pieces.append(text[pos:])
    return " ".join(pieces)


#: Token -> 1 for an English function word, 2 for another language's, 3 for both, 4 for _guess_languages'
#: separator; every other token reads 0.
_WORD_CODE: dict[str, int] = {w: (w in _ENGLISH) | (w in _NOT_ENGLISH) << 1 for w in _LANGS_OF} | {"\x00": 4}
#: ASCII byte -> the lower-case letter for a letter, itself for the apostrophe and NUL, else a space.
_ASCII_TOKENS = bytes(c + 32 if 65 <= c <= 90 else c if (97 <= c <= 122 or c in (0, 39)) else 32 for c in range(256))
#: Where _ascii_words would fall back to the pattern: an apostrophe at a run's edge, or two in one run.
#: (Led by the apostrophe itself, so that the search skips to apostrophes instead of trying every position.)
_ODD_APOSTROPHE = re.compile("'(?:(?<= ')|(?= )|[a-z]*')")
#: _ASCII_WORD, and _guess_languages' separator as a token of its own.
_ASCII_WORD_OR_SEPARATOR = re.compile("[a-z]+(?:'[a-z]+)?|\x00")


def _word_counts(tokens: list[str]) -> tuple[list[int], list[int], list[int]]:
    """Words, English and other languages' function words between each two separator tokens of ``tokens``."""
    codes = np.frombuffer(bytes(map(_WORD_CODE.get, tokens, repeat(0))), dtype=np.uint8)
    ends = np.flatnonzero(codes == 4)
    english = np.cumsum(codes & 1)[ends]
    other = np.cumsum(codes >> 1 & 1)[ends]
    return (np.diff(ends) - 1).tolist(), np.diff(english).tolist(), np.diff(other).tolist()


def _guess_languages(texts: list[str], min_words: int = 4) -> list[tuple[str, float]]:
    """``[guess_language(t, min_words) for t in texts]``, faster on a batch of mostly ASCII English text.

    Fast path (the per-text Python calls cost more than the scanning): all ASCII texts are joined with
    " \\x00 " between them and lower-cased and tokenised as _ascii_words does, in one bytes.translate and
    split; the texts where _ascii_words would fall back to _ASCII_WORD (odd apostrophes) are joined again
    and tokenised with that pattern in one findall. Each token is mapped to its function-word code in one
    pass, and numpy counts every text's words, English and other function words between the separators.
    That settles every text with fewer than ``min_words`` words or at least as many English function
    words as others (guess_language's own shortcut); the rest, non-ASCII texts, and the whole batch when
    a text holds a NUL itself, go through guess_language (see test_fast_paths).
    """
    out: list[tuple[str, float] | None] = [None] * len(texts)
    is_ascii = list(map(str.isascii, texts))
    batch = list(compress(texts, is_ascii))
    joined = " \x00 " + " \x00 ".join(batch) + " \x00 "
    if batch and joined.count("\x00") == len(batch) + 1:
        runs = joined.encode().translate(_ASCII_TOKENS).decode()
        n_words, english, other = _word_counts(runs.split())
        if "'" in runs:
            lengths = np.array(list(map(len, batch)))
            starts = np.cumsum(lengths + 3) - lengths
            odd = np.unique(np.searchsorted(starts, [m.start() for m in _ODD_APOSTROPHE.finditer(runs)], "right") - 1)
            if len(odd):
                odd = odd.tolist()
                low = ("\x00 " + " \x00 ".join([batch[k] for k in odd]) + " \x00").lower()
                for k, n, en, ne in zip(odd, *_word_counts(_ASCII_WORD_OR_SEPARATOR.findall(low))):
                    n_words[k], english[k], other[k] = n, en, ne
        for i, n, en, ne in zip(compress(range(len(texts)), is_ascii), n_words, english, other):
            if n < min_words:
                out[i] = ("unknown", 1.0)
            elif en >= ne:
                out[i] = ("en", en / n) if en else ("unknown", 0.0)
    return [guess_language(t, min_words) if v is None else v for t, v in zip(texts, out)]


def _language_verdicts(texts: list[str], settings: CurationSettings) -> dict[str, tuple[str, str | None]]:
    """Each text's guessed language and, when the record must be dropped as not English, the reason detail.

    Two judges, cheap first: the function-word heuristic (:func:`guess_language`) settles almost every
    text; a trained language identifier (:func:`identify_languages`) is asked about the few it cannot settle:

    - a text the heuristic would drop is kept when the identifier reads it as English. Short English with
      few function words ("add paul wright album to 90s Smash Hits playlist", "Still no refund for the
      cancelled order ORD-447610. Where is my money?") fell under ``min_english_score`` or was read as
      Spanish because of a playlist's name; the identifier, which models character n-grams of ~140
      languages, tells them apart from German or Polish text;
    - a text the heuristic would keep without evidence, one of at least ``language_min_words`` words with
      no function word of its languages (Turkish, Vietnamese, Swahili, Swedish ...), or English on thin
      evidence (a share of English function words under ``language_doubt_score``: Hungarian read as English
      for its article "a"), is dropped when the identifier reads another language with at least
      ``language_identifier_confidence``. It judges the words outside titles (:func:`outside_titles`), and
      a text with fewer than ``language_min_words`` of them stays (a query naming a foreign title);
    - a close call, a text the heuristic would drop where English has two function words or more and trails
      by one at most (:func:`_close_call`), is dropped only on the same confident reading.

    Both run on few texts (about 2% of the demo corpus' texts and responses, 4% of SNIPS), so throughput stays the heuristic's.
    """
    verdicts: dict[str, tuple[str, str | None]] = {}
    doubtful: list[tuple[str, str, str]] = []
    unsure: list[tuple[str, str, str]] = []
    ask = settings.language_second_opinion
    for text, (lang, en_score) in zip(texts, _guess_languages(texts, settings.language_min_words)):
        if lang == "unknown":
            detail = None  # too short (share 1.0), or no function word of any language (0.0): see `unsure`
        elif lang == "non_latin":
            detail = "most letters are outside the Latin alphabet"
        elif lang != "en":
            detail = f"looks like '{lang}' (English function words {en_score:.0%})"
        elif en_score < settings.min_english_score:
            detail = f"English function words {en_score:.0%} < min_english_score {settings.min_english_score:.0%}"
        else:
            detail = None
        if detail is not None and _english_around_quotes(text, settings):
            lang, detail = "en", None  # English text that quotes another language ("The customer wrote: «...»")
        elif ask and detail is None and (lang == "unknown" and en_score == 0.0 or lang == "en" and en_score < settings.language_doubt_score):
            unsure.append((text, lang, "no function word of a known language" if lang == "unknown"
                           else f"English on thin evidence (English function words {en_score:.0%})"))
        verdicts[text] = (lang, detail)
        if detail is not None and lang != "non_latin" and ask:
            if _close_call(text):
                unsure.append((text, lang, detail))
            else:
                doubtful.append((text, lang, detail))
    if doubtful:
        for (text, lang, detail), judged in zip(doubtful, second_opinion([t for t, _, _ in doubtful])):
            verdicts[text] = ("en", None) if judged in _ENGLISH_CODES else (lang, f"{detail}; language identifier: '{judged}'")
    if unsure:
        # The words outside titles, when there are enough of them to judge (a close call: the whole text).
        judge = {text: outside_titles(text) for text, _, _ in unsure}
        judge = {
            t: o if len(_WORD.findall(o)) >= settings.language_min_words else t
            for t, o in judge.items()
            if verdicts[t][1] is not None or len(_WORD.findall(o)) >= settings.language_min_words
        }
        readings = dict(zip(judge, identify_languages(list(judge.values()), settings.language_identifier_confidence)))
        for text, lang, why in unsure:
            judged, confidence = readings.get(text, ("en", 0.0))
            if judged not in _ENGLISH_CODES and confidence >= settings.language_identifier_confidence:
                verdicts[text] = (judged if lang in ("en", "unknown") else lang,
                                  f"{why}; language identifier: '{judged}' ({confidence:.0%} sure)")
            else:
                verdicts[text] = ("en" if verdicts[text][1] is not None else lang, None)
    return verdicts


def _close_call(text: str) -> bool:
    """True when, outside titles, English has two function words at least and other languages' function
    words (those English does not share, such as German "was") outnumber them by one at most ("Le Creuset la
    cocotte de la cuisine was damaged on arrival": la, de, la against was, on): an English sentence naming
    a foreign product as often as not, so the identifier must be sure."""
    words = _WORD.findall(outside_titles(text).lower())
    english = sum(map(_ENGLISH.__contains__, words))
    return english >= 2 and sum(map(_ONLY_NOT_ENGLISH.__contains__, words)) <= english + 1


#: Quoted passages: text between well-formed pairs of double quotes (straight, curly, guillemets either way,
#: German low-high), the opening one before a word and the closing one after one, at most 2,000 characters
#: (so a quote that never closes costs a bounded scan, not one to the end of the text), and e-mail quoted
#: lines ("> ..."). An inch mark (27") or a breadcrumb (Settings » Account) is not a quote; single quotes
#: are left alone, being apostrophes as often.
_QUOTED = re.compile(
    r'(?<![\w"])"(?=\S)[^"\n]{0,2000}(?<=\S)"(?![\w"])'
    r"|“(?=\S)[^“”]{0,2000}(?<=\S)”"
    r"|„(?=\S)[^„“”]{0,2000}(?<=\S)[“”]"
    r"|«[ \u00a0]?(?=\S)[^«»]{0,2000}(?<=\S)[ \u00a0]?»"
    r"|»(?=\S)[^«»]{0,2000}(?<=\S)«"
    r"|(?m:^[ \t]*>.*$)"
)


def _english_around_quotes(text: str, settings: CurationSettings) -> bool:
    """True when what ``text`` says outside its quoted passages (:data:`_QUOTED`) is English enough to keep:
    at least ``language_min_words`` words with English function words ahead and at ``min_english_score``,
    and, with ``language_second_opinion``, read as English by the language identifier too.

    An English ticket that quotes a French order confirmation or forwards a German e-mail ("> Sehr geehrte
    ...") is English: the person asks in English and the reply is English. Judged on the few texts the
    function-word heuristic would drop, so it costs nothing on the rest.
    """
    if not _QUOTED.search(text):
        return False
    outside = _QUOTED.sub(" ", text)
    lang, score = guess_language(outside, settings.language_min_words)
    if lang != "en" or score < settings.min_english_score:
        return False
    return not settings.language_second_opinion or second_opinion([outside])[0] == "en"


def second_opinion(texts: list[str]) -> list[str]:
    """The language (ISO 639 code) that py3langid, a trained offline identifier (its model, about 140
    languages, is bundled with the package: no download), reads in each of ``texts``."""
    identifier = _identifier()
    return [identifier.classify(text)[0] for text in texts]


def identify_languages(texts: list[str], enough: float = 1.0) -> list[tuple[str, float]]:
    """The language py3langid reads in each of ``texts`` and how sure it is that the text is not English:
    the probability of that language, plus those of the next one or two when they are not English either
    (close languages such as Croatian, Bosnian and Serbian, or Malay and Indonesian, split the probability
    of a text that is surely not English). The runners-up are only looked up where the first language is
    not English and holds less than ``enough`` alone (the full ranking costs ~60% more)."""
    identifier = _identifier()
    out = []
    for text in texts:
        first, p_first = identifier.classify(text)
        if first not in _ENGLISH_CODES and p_first < enough:
            ranked = identifier.rank(text)
            first, p_first = ranked[0]
            for lang, p in ranked[1:3]:
                if lang in _ENGLISH_CODES:
                    break
                p_first += p
        out.append((first, p_first))
    return out


def _identifier():
    from py3langid.langid import LanguageIdentifier, MODEL_FILE

    global _IDENTIFIER
    if _IDENTIFIER is None:
        # Our own instance (set_languages elsewhere can't change it), with probabilities (norm_probs).
        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _IDENTIFIER


_IDENTIFIER = None
#: What the identifier calls English: "pcm" (Nigerian Pidgin, English-based) is what it reads in many short
#: English queries ("Put petar georgiev kalica onto the Old School Hip Hop playlist.").
_ENGLISH_CODES = frozenset({"en", "pcm"})


def _memoised(fn: Callable[[str, bool], str], max_size: int = 100_000) -> Callable[[str, bool], str]:
    """``fn`` remembering its results for one batch: labels repeat, and a chat's turns repeat its text and
    response. Local to one stage call, so nothing outlives the batch."""
    memo: dict[tuple[str, bool], str] = {}

    def cached(text: str, fix_unicode: bool) -> str:
        key = (text, fix_unicode)
        out = memo.get(key)
        if out is None:
            if len(memo) >= max_size:
                memo.clear()
            out = memo[key] = fn(text, fix_unicode)
        return out

    return cached


def _each_distinct(fn: Callable, values: list[str], *args) -> list:
    """``[fn(v, *args) for v in values]`` calling ``fn`` once per distinct value (a pure ``fn``)."""
    distinct = dict.fromkeys(values)
    done = dict(zip(distinct, map(fn, distinct, *(repeat(a) for a in args))))
    return list(map(done.__getitem__, values))


def assistant_turns(messages: str) -> list[tuple[int, str, bool]]:
    """(index, content, trained) of every assistant turn of a ``messages`` JSON string that reads (what
    :func:`normalize_messages` accepts); trained is False for a turn marked ``"weight": 0`` (kept as context,
    not trained on). [] for "" or anything else."""
    if not messages:
        return []
    turns = role_content_turns(messages)
    if turns is not None:
        return [(i, content, True) for i, (role, content) in enumerate(turns) if role.strip() == "assistant"]
    try:
        parsed = json.loads(messages)
    except (json.JSONDecodeError, RecursionError):
        return []
    if not isinstance(parsed, list):
        return []
    return [
        (i, turn["content"], turn.get("weight", 1) != 0)
        for i, turn in enumerate(parsed)
        if isinstance(turn, dict) and isinstance(turn.get("role"), str) and turn["role"].strip() == "assistant"
        and isinstance(turn.get("content"), str)
    ]


def _messages_outcome(
    msg: str, fix: bool, normalize: Callable[[str, bool], str]
) -> tuple[str, str | None, list[tuple[int, str, bool]]]:
    """The normalised ``messages``, None and its :func:`assistant_turns`; or ``msg`` as it is, why it cannot
    be read and []."""
    if not msg:
        return "", None, []
    try:
        normalized, turns = _normalized_messages(msg, fix, normalize)
    except ValueError as exc:
        return msg, str(exc), []
    return normalized, None, turns


@cyclic_gc_paused
def normalize_records(df: pd.DataFrame, settings: CurationSettings) -> StageResult:
    """Normalise text, response, label and messages; drop empty, too short/long, unreadable or non-English rows.

    Drop reasons: empty_text, text_too_short, text_too_long, response_too_long, invalid_messages,
    turn_too_long, not_english, turn_not_english. Every assistant turn of ``messages`` is held to what the
    response is (SFT with ``conversations: all_turns`` trains on each one): longer than
    ``max_response_chars`` is turn_too_long, not English turn_not_english, the detail naming the turn
    ("messages[1] ..."); a turn marked ``"weight": 0`` (context, not trained on) is only held to the length.
    Works column by column, each distinct string once; the language of every text (and of every response
    and assistant turn whose text passes) is guessed for the whole batch at once.
    """
    check_input(df, STAGE)
    fix = settings.fix_unicode
    ids = df["record_id"].astype(str).tolist()
    texts = text_column(df, "text")
    responses = text_column(df, "response")
    labels = text_column(df, "label")
    messages = text_column(df, "messages")

    normalize = _memoised(normalize_text)
    new_texts = _each_distinct(normalize, texts, fix)
    new_responses = _each_distinct(normalize, responses, fix)
    new_labels = _each_distinct(normalize, labels, fix)
    outcomes = _each_distinct(_messages_outcome, messages, fix, normalize)
    new_messages = [n_msg for n_msg, _, _ in outcomes]
    messages_errors = [error for _, error, _ in outcomes]

    # Assistant turns other than the response itself (the last turn usually is the response).
    turns = [
        [t for t in record_turns if t[1] != response] if record_turns else record_turns
        for (_, _, record_turns), response in zip(outcomes, new_responses)
    ]

    reasons: list[tuple[str, str] | None] = []
    for n_text, n_response, error, record_turns in zip(new_texts, new_responses, messages_errors, turns):
        long_turn = next((t for t in record_turns if len(t[1]) > settings.max_response_chars), None)
        if error is not None:
            reasons.append(("invalid_messages", error))
        elif not n_text:
            reasons.append(("empty_text", "text is empty after normalisation"))
        elif len(n_text) < settings.min_text_chars:
            reasons.append(("text_too_short", f"{len(n_text)} chars < min_text_chars {settings.min_text_chars}"))
        elif len(n_text) > settings.max_text_chars:
            reasons.append(("text_too_long", f"{len(n_text)} chars > max_text_chars {settings.max_text_chars}"))
        elif len(n_response) > settings.max_response_chars:
            detail = f"{len(n_response)} chars > max_response_chars {settings.max_response_chars}"
            reasons.append(("response_too_long", detail))
        elif long_turn is not None:
            detail = f"messages[{long_turn[0]}] (assistant) {len(long_turn[1])} chars > max_response_chars {settings.max_response_chars}"
            reasons.append(("turn_too_long", detail))
        else:
            reasons.append(None)

    languages: Counter[str] = Counter()
    if settings.language_filter:
        pending = [i for i, reason in enumerate(reasons) if reason is None]
        verdicts = _language_verdicts(list({new_texts[i]: None for i in pending}), settings)
        responses_to_judge = {new_responses[i]: None for i in pending if verdicts[new_texts[i]][1] is None}
        responses_to_judge.update(
            {content: None for i in pending if verdicts[new_texts[i]][1] is None for _, content, trained in turns[i] if trained}
        )
        verdicts.update(_language_verdicts([r for r in responses_to_judge if r not in verdicts], settings))
        for i in pending:
            fields = [("not_english", "text", new_texts[i]), ("not_english", "response", new_responses[i])]
            fields += [("turn_not_english", f"messages[{k}] (assistant)", c) for k, c, trained in turns[i] if trained]
            for reason, field, value in fields:
                lang, lang_detail = verdicts[value]
                if lang_detail is not None:
                    reasons[i] = (reason, f"{field} {lang_detail}")
                    languages[lang] += 1
                    break

    new_rows = zip(new_texts, new_responses, new_labels, new_messages)
    changed = sum(map(operator.ne, new_rows, zip(texts, responses, labels, messages)))
    keep = [reason is None for reason in reasons]
    dropped = [(rid, reason[0], reason[1] or "") for rid, reason in zip(ids, reasons) if reason is not None]

    records = df.copy()
    records["text"] = new_texts
    records["response"] = new_responses
    records["label"] = new_labels
    records["messages"] = new_messages
    return finish_stage(
        STAGE,
        df,
        keep,
        records,
        dropped,
        {"records_changed": int(changed), "not_english_by_language": dict(sorted(languages.items()))},
    )
