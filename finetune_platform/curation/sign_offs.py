"""Names that sign a message in scripts other than Latin: after a closing phrase ("С уважением, Дмитрий Соколов",
"בברכה, אורי כהן", "धन्यवाद, प्रिया शर्मा", "ขอบคุณค่ะ สมหญิง ใจดี", "谢谢！陈晓燕"), before a Korean one ("이준호 드림"), and
a name of two or three capitalised Cyrillic or Greek words that ends the message on its own ("... кв. 112.
Екатерина Волкова").

:mod:`pii` reads Latin-script sign-offs with its own lists of given names and common words; those lists hold no
Cyrillic, Greek, Hebrew, Arabic, Devanagari, Thai or Chinese words. What makes these names is where they stand:
right after the phrase a writer closes with, up to the end of the line, a comma or a phone number. Hand-written,
as the rest of the detectors: an NER model for these scripts needs a model downloaded at run time, which the
platform must not do. Plain Python, no dagster.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

#: Closing phrases of other scripts, lower-cased (the gate's needles); the name follows.
CLOSINGS = (
    "с уважением", "с наилучшими пожеланиями", "спасибо", "благодарю", "з повагою", "дякую", "с поздрав", "поздрави",
    "бъди здрав", "με εκτίμηση", "ευχαριστώ", "φιλικά", "בברכה", "תודה", "בתודה", "מע הכבוד", "مع التحية", "مع تحياتي",
    "شكرا", "شكراً", "وشكرا", "مع خالص التحيات", "تحياتي", "धन्यवाद", "सादर", "शुभकामनाओं सहित", "ขอบคุณค่ะ",
    "ขอบคุณครับ", "ขอบคุณ", "ด้วยความเคารพ", "谢谢", "謝謝", "此致", "敬上", "感谢", "ありがとうございました", "よろしくお願いします",
    "감사합니다", "תודה רבה", "شكرا جزيلا", "شكراً جزيلاً", "большое спасибо", "спасибо большое", "ευχαριστώ πολύ",
    "ขอบคุณมากค่ะ", "ขอบคุณมากครับ", "非常感谢", "बहुत धन्यवाद",
)
NEEDLES = frozenset(CLOSINGS) | frozenset(("드림", "올림"))

_CJK = r"\u3400-\u9fff"
#: Letters of a word of a script other than Latin or CJK (Cyrillic, Greek, Hebrew, Arabic, Devanagari and its marks,
#: Thai and its marks): what a name after a closing is made of.
_SCRIPT_WORD = (  # their letters and marks, not their digits and punctuation ("।", "،", "฿")
    r"[\u0370-\u03ff\u1f00-\u1fff\u0400-\u04ff\u05b0-\u05f2\u0620-\u065f\u066e-\u06d3\u0900-\u0963\u0971-\u097f"
    r"\u0e01-\u0e3a\u0e40-\u0e4e]+"
)
_CLOSING = re.compile(
    r"(?:" + "|".join(re.escape(c) for c in sorted(CLOSINGS, key=len, reverse=True)) + r")(?P<sep>[!！,，.。:：]?[ \t]*\n?)[ \t]*"
)
#: A Cyrillic or Greek word in lower case: no name's (a cased script capitalises names: "Спасибо за помощь").
_LOWER_CASED_WORD = re.compile(r"[а-яёіїєґα-ωά-ώ]")
#: One to three words of those scripts, then the end of the line, a comma, a full stop or a dash.
_SCRIPT_NAME = re.compile(_SCRIPT_WORD + r"(?:[ ]" + _SCRIPT_WORD + r"){0,2}(?=[ ]*(?:[,،.。|–-]|\n|\Z))")
#: Two to four Chinese characters that end the text or their line (a Chinese name after "谢谢！").
_CJK_NAME = re.compile(r"[" + _CJK + r"]{2,4}(?=[ ]*(?:\n|\Z))")
#: A Korean name of two to four syllables before "드림" or "올림" ("이준호 드림").
_KOREAN_SIGNED = re.compile(r"(?<![\uac00-\ud7a3])([\uac00-\ud7a3]{2,4})[ ](?:드림|올림)")
#: An e-mail address or a phone number: what a signature may give after the name, on its line or on lines of its own.
_CONTACT = r"(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\+?\d[\d ()./-]{5,}\d)"
#: The contacts after a name on its line (", anastasia.s@mail.ru", " / +7 916 ...").
_CONTACTS_ON_LINE = r"(?:[ ]*[,/|–-]?[ ]*" + _CONTACT + r"(?:[ ]*[,/|][ ]*" + _CONTACT + r")*)?"
#: Two or three capitalised Cyrillic or Greek words that end the text after a sentence or on a line of their own, and
#: the contacts a signature gives after them ("Анастасия Шубина, anastasia.s@mail.ru", "Νίκος Τσακίρης\nnikos@...").
_CASED_NAME_AT_END = re.compile(
    r"(?:(?<=[.!?]\s)|(?<=\n)|^)((?:[А-ЯЁІЇЄҐ][а-яёіїєґ'’-]+|[Α-ΩΆ-Ώ][α-ωά-ώϊϋΐΰ]+)"
    r"(?:[ ](?:[А-ЯЁІЇЄҐ][а-яёіїєґ'’-]+|[Α-ΩΆ-Ώ][α-ωά-ώϊϋΐΰ]+)){1,2})" + _CONTACTS_ON_LINE
    + r"(?:[ \t]*\n[ \t]*" + _CONTACT + r")*[ \t]*\Z"
)
#: Words of a closing line that are no name: "Служба поддержки", "Ομάδα υποστήριξης" (the team signs).
_NOT_NAMES = frozenset(
    "служба поддержки команда отдел компания ооо ао команды ομάδα υποστήριξης εξυπηρέτησης εταιρεία צוות"
    " השירות فريق الدعم خدمة العملاء टीम सहायता ทีมงาน על את לכם לך הכל רבה لكم على".split()
)


#: The same at the end of any line: a text's whole lines may end with one that the text does not end with.
_CASED_NAME_AT_LINE_END = re.compile(
    r"(?m)(?:(?<=[.!?]\s)|^)(?:[А-ЯЁІЇЄҐ][а-яёіїєґ'’-]+|[Α-ΩΆ-Ώ][α-ωά-ώϊϋΐΰ]+)"
    r"(?:[ ](?:[А-ЯЁІЇЄҐ][а-яёіїєґ'’-]+|[Α-ΩΆ-Ώ][α-ωά-ώϊϋΐΰ]+)){1,2}" + _CONTACTS_ON_LINE + r"[ \t]*$"
)


def may_hold_sign_off(text: str, hits: AbstractSet[str]) -> bool:
    """Whether a text (not ASCII) whose Aho-Corasick hits are ``hits``, or a text of some of its whole lines, may
    hold a name these read: a caller that finds none in a text where this is true must still read its lines."""
    return not hits.isdisjoint(NEEDLES) or _CASED_NAME_AT_LINE_END.search(text) is not None


def sign_off_names(text: str, hits: AbstractSet[str]) -> list[tuple[int, int]]:
    """The (start, end) of each name that signs ``text`` (``hits``: which of :data:`NEEDLES` its lower case holds)."""
    out: list[tuple[int, int]] = []
    if not hits.isdisjoint(CLOSINGS):
        low = text.lower()
        if len(low) == len(text):
            for m in _CLOSING.finditer(low):
                name = _SCRIPT_NAME.match(text, m.end()) or _CJK_NAME.match(text, m.end())
                if name is None or any(w.lower() in _NOT_NAMES or _LOWER_CASED_WORD.match(w) for w in name.group().split()):
                    continue
                if m.group("sep").strip(" \t") or (
                    text[name.end():].strip() == "" and all(len(w) <= 15 for w in name.group().split())
                ):
                    # after the closing's comma, "!" or line break, or ending the text ("ขอบคุณค่ะ สมหญิง ใจดี"):
                    # not the words of a sentence that thanks ("תודה על העזרה")
                    out.append(name.span())
    if "드림" in hits or "올림" in hits:
        out += [m.span(1) for m in _KOREAN_SIGNED.finditer(text)]
    end = _CASED_NAME_AT_END.search(text)
    if end is not None and not any(w.lower() in _NOT_NAMES for w in end.group(1).split()):
        out.append(end.span(1))
    return out
