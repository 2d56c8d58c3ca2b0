"""Stage 1 of curation: text normalisation, length bounds and the language filter.

Repairs encoding damage (ftfy), applies NFC, strips invisible control characters (newlines and tabs are
whitespace, not garbage), collapses runs of whitespace, and drops records that are empty, too short, too
long, carry unreadable ``messages`` or are not in English, each with a named reason.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter

import ftfy
import pandas as pd

from finetune_platform.curation.config import CurationSettings, StageResult, check_input, finish_stage, text_column

STAGE = "normalize"

#: Invisible characters with no place in training text: C0/C1 controls except \t and \n (\r, \v and \f are
#: turned into newlines first), zero-width and bidi-override format characters, the BOM and soft hyphens.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_HSPACE = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_LETTER = re.compile(r"[^\W\d_]")


def normalize_text(text: str, fix_unicode: bool = True) -> str:
    """Return ``text`` repaired, NFC-normalised, without control characters and with tidy whitespace.

    Runs of spaces and tabs become one space, spaces around newlines go, three or more newlines become a
    paragraph break, and the ends are stripped. ftfy runs only where it can change something (non-ASCII
    text, HTML entities, terminal escapes): on plain ASCII it would only cost time.
    """
    if not text:
        return ""
    if fix_unicode and (not text.isascii() or "&" in text or "\x1b" in text):
        text = ftfy.fix_text(text)
    elif not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = _HSPACE.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


def normalize_messages(messages: str, fix_unicode: bool = True) -> str:
    """Normalise the ``content`` of every turn of a ``messages`` JSON string; "" stays "".

    Raises ValueError (with what was wrong) when the string is not a JSON list of {"role", "content"} objects.
    """
    if not messages.strip():
        return ""
    try:
        turns = json.loads(messages)
    except json.JSONDecodeError as exc:
        raise ValueError(f"messages is not valid JSON ({exc.msg} at char {exc.pos})") from exc
    if not isinstance(turns, list):
        raise ValueError(f"messages must be a JSON list of turns, got {type(turns).__name__}")
    out = []
    for i, turn in enumerate(turns):
        if not (isinstance(turn, dict) and isinstance(turn.get("role"), str) and isinstance(turn.get("content"), str)):
            raise ValueError(f"messages turn {i} is not an object with string 'role' and 'content'")
        out.append({**turn, "role": turn["role"].strip(), "content": normalize_text(turn["content"], fix_unicode)})
    return json.dumps(out, ensure_ascii=False)


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


def guess_language(text: str, min_words: int = 4) -> tuple[str, float]:
    """Guess the language of ``text`` from function words; return (code, share of English function words).

    code is one of the keys of the stop-word table, "non_latin" when most letters are outside the Latin
    alphabet (Cyrillic, CJK, Arabic ...), or "unknown" when there are fewer than ``min_words`` words or no
    function word of any language (the filter keeps those: it cannot judge them). English wins ties, so
    mixed English text with a few foreign words stays English.
    """
    if not text.isascii():
        letters = _LETTER.findall(text)
        # U+0000-U+024F: ASCII, Latin-1 and Latin Extended-A/B letters.
        if len(letters) >= 10 and sum(c <= "\u024f" for c in letters) < 0.5 * len(letters):
            return "non_latin", 0.0
    words = _WORD.findall(text.lower())
    if len(words) < min_words:
        return "unknown", 1.0
    hits = dict.fromkeys(_STOPWORDS, 0)
    for w in words:
        for lang in _LANGS_OF.get(w, ()):
            hits[lang] += 1
    best = max(hits, key=lambda lang: (hits[lang], lang == "en"))
    if hits[best] == 0:
        return "unknown", 0.0
    return best, hits["en"] / len(words)


def _language_verdict(text: str, settings: CurationSettings) -> tuple[str, str | None]:
    """The guessed language and, when the record must be dropped as not English, the reason detail."""
    lang, en_score = guess_language(text, settings.language_min_words)
    if lang == "unknown":
        return lang, None  # too short, or no function word of any language (e.g. "Password reset link broken")
    if lang == "non_latin":
        return lang, "most letters are outside the Latin alphabet"
    if lang != "en":
        return lang, f"looks like '{lang}' (English function words {en_score:.0%})"
    if en_score < settings.min_english_score:
        return lang, f"English function words {en_score:.0%} < min_english_score {settings.min_english_score:.0%}"
    return lang, None


def normalize_records(df: pd.DataFrame, settings: CurationSettings) -> StageResult:
    """Normalise text, response, label and messages; drop empty, too short/long, unreadable or non-English rows.

    Drop reasons: empty_text, text_too_short, text_too_long, response_too_long, invalid_messages, not_english.
    """
    check_input(df, STAGE)
    fix = settings.fix_unicode
    ids = df["record_id"].astype(str).tolist()
    texts = text_column(df, "text")
    responses = text_column(df, "response")
    labels = text_column(df, "label")
    messages = text_column(df, "messages")

    new_texts, new_responses, new_labels, new_messages = [], [], [], []
    keep: list[bool] = []
    dropped: list[tuple[str, str, str]] = []
    changed = 0
    languages: Counter[str] = Counter()
    for rid, text, response, label, msg in zip(ids, texts, responses, labels, messages):
        n_text = normalize_text(text, fix)
        n_response = normalize_text(response, fix)
        n_label = normalize_text(label, fix)
        reason = detail = None
        try:
            n_msg = normalize_messages(msg, fix)
        except ValueError as exc:
            n_msg = msg
            reason, detail = "invalid_messages", str(exc)
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
            elif settings.language_filter:
                for field, value in (("text", n_text), ("response", n_response)):
                    lang, lang_detail = _language_verdict(value, settings)
                    if lang_detail is not None:
                        reason, detail = "not_english", f"{field} {lang_detail}"
                        languages[lang] += 1
                        break
        changed += (n_text, n_response, n_label, n_msg) != (text, response, label, msg)
        new_texts.append(n_text)
        new_responses.append(n_response)
        new_labels.append(n_label)
        new_messages.append(n_msg)
        keep.append(reason is None)
        if reason is not None:
            dropped.append((rid, reason, detail or ""))

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
