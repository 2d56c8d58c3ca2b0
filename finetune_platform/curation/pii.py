"""Stage 2 of curation: PII detection with validation, and redaction with typed, consistent placeholders.

Every structured detector validates what a regex proposes: e-mail addresses by the shape of their labels,
phone numbers with Google's libphonenumber (``phonenumbers``) for the configured default regions, payment
cards with the Luhn checksum and issuer prefixes, IBANs with their country length and the ISO 13616
mod-97 checksum, US SSNs with the SSA area/group/serial rules, IP addresses with :mod:`ipaddress`, and
URLs with credentials with :func:`urllib.parse.urlsplit`. Person names and street addresses use bundled
word lists, cues ("my name is", "Dear", "Regards,") and street-suffix grammar instead of an NER model,
which would have to be downloaded (Presidio's spaCy model is not on the package index, STACK.md trap 9).

Placeholders are ``<TYPE_n>``: within one record (text, response and messages share one mapping) the same
value always gets the same placeholder and a different value the next number.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Sequence
from urllib.parse import urlsplit

import ahocorasick_rs
import pandas as pd
import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

from finetune_platform.curation.config import (
    PII_TYPES,
    CurationSettings,
    StageResult,
    check_input,
    cyclic_gc_paused,
    finish_stage,
    json_turn,
    role_content_turns,
    text_column,
)
from finetune_platform.curation.address_blocks import STREET_NEEDLES, address_blocks, may_hold_block
from finetune_platform.curation import pii_workers, script_addresses, script_titles, sign_offs, spoken_names
from finetune_platform.curation.records import hl7_spans, pnr_names
from finetune_platform.curation.tables import EMPTY_VALUES, may_hold_table, typed_cells
from finetune_platform.curation.names import (
    ACRONYMS,
    AMBIGUOUS_FIRST_NAMES,
    BRAND_FIRST_NAMES,
    COMMON_LOWER_WORDS,
    EPONYM_BRANDS,
    JAPANESE_SURNAMES,
    FIRST_NAMES,
    NOT_CAPS_SURNAMES,
    NOT_NAMES,
    NOT_LOWER_SURNAMES,
    NOT_STREET_NAMES,
    SURNAMES_FIRST,
    NOT_STREET_FIRST_WORDS,
)

STAGE = "pii"
#: What ``json.dumps(obj, ensure_ascii=False)`` builds on every call, built once (same output, ~2 us less a call).
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False)

#: A redaction placeholder; never a PII hit itself.
PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*?)_(\d+)>")

#: When two detections overlap, the one whose type comes first here wins (then the longer one).
_PRIORITY = {t: i for i, t in enumerate(
    ("CREDENTIALS", "EMAIL", "IBAN", "CREDIT_CARD", "US_SSN", "IP_ADDRESS", "PHONE", "ADDRESS", "PERSON")
)}


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One detected PII span: ``text[start:end] == value``; ``normalized`` keys placeholder consistency."""

    type: str
    start: int
    end: int
    value: str
    normalized: str = ""


@dataclass(frozen=True, slots=True)
class PiiHit:
    """PII found by :func:`scan_for_pii` in ``texts[index]``; ``masked`` shows its shape, not its value."""

    index: int
    type: str
    start: int
    end: int
    masked: str


# --- e-mail and URL credentials -------------------------------------------------------------------------
#: Internationalised addresses too (RFC 6531: "jörg.müller@web.de", "jane@münchen.de"), and an apostrophe in
#: the local part ("o'brien@example.ie"), which would otherwise leave "o'" of the address behind.
_EMAIL = re.compile(
    # no address starts right after a word character or an apostrophe in a word ("O'Brien"); an opening quote is
    # fine ("VALUES ('Katrin', 'kschafer@icloud.com')")
    r"(?<![\w.+%-])(?<![\w.+%'’-]['’])[^\W_](?:[\w.%+'’-]{0,62}[\w%+-])?"
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,24}(?![\w-]|\.[^\W_])"
)
#: An e-mail address spelled out so that no scraper reads it, as customers type and voicemail transcribes them:
#: "james dot jenkins at yahoo dot com", "elizabeth.foster[at]hotmail[dot]com", "brian_hughes (at) hotmail (dot)
#: com". With a bare " at " the local part must hold a dot, an underscore or a digit ("look at the dot com bubble"
#: is no address); the bracketed forms are one anyway. The domain ends in a common top-level domain.
_SPOKEN_DOT = r"(?:[ ]?[\[(]dot[\])][ ]?|[ ]dot[ ]|\.)"
_SPOKEN_EMAIL = re.compile(
    r"(?i:(?<![\w.@-])([a-z0-9][a-z0-9_+-]*(?:" + _SPOKEN_DOT + r"[a-z0-9_+-]+)*)"
    r"(?:[ ]?[\[({]at[\])}][ ]?|[ ]at[ ])"
    r"([a-z0-9][a-z0-9-]*(?:" + _SPOKEN_DOT + r"[a-z0-9-]+)*" + _SPOKEN_DOT
    + r"(?:com|net|org|edu|gov|io|co|uk|de|fr|es|it|nl|be|ch|at|ie|ca|au|nz|in|br|mx|jp|kr|cn|za|ng|ke|pl|pt|se|no|dk|fi|tr|ae|sg|ph))"
    r"(?![\w-]))"
)


#: Digits read out, as a call's speech-to-text transcript writes them: "oh seven seven nine double one four",
#: "plus four four seven seven double oh", "one eight hundred five five five ...". A run of at least four
#: number words or numerals (each word one digit; "double"/"triple" repeat the next one; "hundred" after a
#: digit is "00"), English only. :meth:`PiiRedactor._spoken_numbers` reads what the digits are.
_SPOKEN_DIGITS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
_SPOKEN_TOKEN = r"(?:zero|one|oh|o|nought|two|three|four|five|six|seven|eight|nine|double|triple|hundred|\d{1,4})"
_SPOKEN_NUMBER = re.compile(
    r"(?i)(?<![\w+])(?:plus[ ])?" + _SPOKEN_TOKEN + r"(?:(?:[ ]dash[ ]|[ ]?[,-][ ]?|[ ]|\.{3}[ ]?)" + _SPOKEN_TOKEN
    + r"){3,}(?!\w)"
)
_SPOKEN_PART = re.compile(r"(?i)\b(?:plus|" + _SPOKEN_TOKEN + r")\b")
#: What a run of spoken digits is said to be, on its line shortly before it.
_SPOKEN_SSN_CUE = re.compile(r"(?i)\b(?:ssn|social(?:[ ]security)?(?:[ ](?:number|no))?)\b")
_SPOKEN_SECRET_CUE = re.compile(
    r"(?i)\b(?:pin|passcode|password|pass[ ]code|otp|one[ -]time[ ](?:code|password|pin)|verification[ ]code"
    r"|security[ ]code|cvv|cvc|(?:2fa|sms|login|auth(?:entication)?)[ ]code"
    # a door's, a gate's, an alarm's or a key safe's code ("new gate code is four one two six", "whats the code"); not
    # a postcode's, an area's, a country's or a promotion's
    r"|(?<!zip[ ])(?<!post[ ])(?<!postal[ ])(?<!area[ ])(?<!promo[ ])(?<!discount[ ])(?<!coupon[ ])(?<!country[ ])"
    r"(?<!dialling[ ])(?<!dialing[ ])(?<!tracking[ ])(?<!booking[ ])(?<!order[ ])(?<!reference[ ])code"
    r"|lockbox|key[ ]?safe|alarm|disarm|combination)\b"
)


#: Every string the gates below look for in lower-cased text ("<needle>" in h). One Aho-Corasick pass over the
#: text finds which of them it holds (:func:`_needles_in`, ~3 us a text), where a test of each string on its own
#: ("<needle>" in low) cost ~20 us a text over all the gates. test_pii checks that every string a gate tests is here.
_GATE_NEEDLES: frozenset[str] = frozenset(
    (
        "digits on the back", "mein name ist", "mi nombre es", "mijn naam is", "jag heter", "jeg heter", "nazywam się",
        "who am i", "à qui ai-je", "com quem", "con quién", "mit wem", "con chi", "met wie",
        "jl.", "no.", "số ",
        "jmenuji se", "nama saya", "jeg er ", "det er ", "det är ", "sunt ", "jsem ", "sou a ", "sou o ", "é o ", "é a ",
        "c'est ", "ben ", "doctor ", "nurse ",
    '\n\t', '\n ', '\ngood ', '\nhello ', '\nhey ', '\nhi ', '\nhiya ', ' - ', ' at ', ' code', ' to', ' to :',
    ' to:', "'s ", '--pass', 'addr', 'addressed to', 'admin /', 'admin/', 'adres', 'adresse', 'agent', 'aiza',
    'akia', 'al.', 'alamat', 'anschrift', 'asia', 'assignee', 'author', 'backup cod', 'bearer', 'behalf', 'call',
    'call back', 'calling', 'chatted', 'col.', 'contact', 'contact to', 'contraseña', 'courier', 'curl',
    'customer', 'customer ', 'cvc', 'cvv', 'dear', 'deliver', 'demeurant', 'direcci', 'dispatch to', 'domicil',
    'domicilio', 'domisili', 'double', 'dr', 'ed by ', 'eight', 'eircode', 'endere', 'endereço', 'eu sou', 'eyj',
    'family', 'five', 'flytning', 'forename', 'forward', 'four', 'gh', 'github_pat', 'given', 'glpat-', 'go by',
    'goes by', 'good ', 'habla', 'handed ', 'handover', 'hasło', 'hello ', 'hey ', 'hf_', 'hi ', 'hiya ', 'holder',
    "at's for ", "at’s for ", "ats for ", "ne's for ", "ne’s for ", "nes for ", "at is for ", "ne is for ",
    "s under ", "is under ", "was under ", "booked under ", "reserved under ", "ordered under ",
    " under the name", "it under ", "that under ", "them under ", "one under ", "down under ", "order under ",
    "booking under ", "reservation under ", "table under ", "name on ",
    'i am', "i'm", 'ich bin', 'ik ben', 'im ', 'indirizzo', 'is for', "it's", 'its ', 'it’s', 'i’m',
    "je m'appelle", 'je suis', 'k_live_', 'k_test_', 'kennwort', 'key', 'known as', 'lakcím', 'line', 'live',
    'living', 'login', 'mah.', 'mail', 'me llamo', 'meu nome', 'mi chiamo', 'miss ', 'mister ', 'morada', 'moro ',
    'mot de passe', 'moved ', 'mr', 'ms ', 'ms. ', 'mysql', 'name', 'name is', "name's", 'name:', 'naslov',
    'nickname', 'nine', 'no:', 'note', 'npm_', 'os.', 'osoite', 'otp', 'over from', 'owner', 'parlez', 'pass',
    'per ', 'pick-up', 'pickup', 'pin', 'pin ', 'pin:', 'pin=', 'pincode', 'pl.', 'please welcome', 'post',
    'postal', 'premises', 'psk', 'pw', 'pypi-', 'recovery cod', 'relocated to', 'remit', 'reporter', 'request',
    'resid', 'residente ', 'return', 'root /', 'secret', 'send ', 'senha', 'seven', 'sg.', 'ship from', 'ship to',
    'ship-', 'shipping from', 'shipping to', 'shp', 'site', 'six', 'sk-', 'solo uso', 'sono ', 'soy ', 'speaking',
    'spok', 'stay', 'street', 'talked', 'talking', 'this is', 'this is ', 'three', 'through to ', 'token', 'two',
    'ul.', 'wachtwoord', 'wget', 'who is', 'whsec_', 'wohnhaft', 'woonachtig', 'written by', 'xox', 'zero', 'zip',
    'địa chỉ', 'şifre', '’s ', '住所', '주소',
    )
)
#: The needles of PiiRedactor._booked_for's gate: every _BOOKED_FOR_CUE ends with one of them (lower-cased).
_BOOKED_FOR_NEEDLES = frozenset(
    ("at's for ", "at’s for ", "ats for ", "ne's for ", "ne’s for ", "nes for ", "at is for ", "ne is for ",
     "s under ", "is under ", "was under ", "booked under ", "reserved under ", "ordered under ",
     " under the name", "it under ", "that under ", "them under ", "one under ", "down under ", "order under ",
     "booking under ", "reservation under ", "table under ", "name on ")
)
#: The needles of PiiRedactor._asked_for's gate: every _ASKED_FOR_CUE ends with one of them (lower-cased).
_ASKED_FOR_NEEDLES = frozenset(("ask for ", "asking for ", "asked for ", "calling for ", "speak to ", "speak with "))
#: The strings of :data:`_GATE_NEEDLES` and :data:`_FIELD_LABEL_WORDS`; built at the end of the module.
_AUTOMATON: ahocorasick_rs.AhoCorasick


_NO_NEEDLES: frozenset[str] = frozenset()


def _needles_in(low: str) -> set[str]:
    """Which strings of :data:`_ALL_NEEDLES` occur in the lower-cased text. The last text's answer is kept: the
    detectors that a text's gates open ask again for the same text."""
    global _LAST_NEEDLES
    last_low, last_hits = _LAST_NEEDLES
    if low == last_low:
        return last_hits
    try:
        hits = set(_AUTOMATON.find_matches_as_strings(low, overlapping=True))
    except UnicodeEncodeError:  # a lone surrogate ("\ud800", from a broken export), which Rust's strings cannot hold
        hits = {needle for needle in _ALL_NEEDLES if needle in low}
    _LAST_NEEDLES = (low, hits)
    return hits


_LAST_NEEDLES: tuple[str, set[str]] = ("", set())


def _may_hold_spoken_number(low: str, h: AbstractSet[str] | None = None) -> bool:
    """False unless two different number words are in the lower-cased text (unrolled: ~1 us a text): a spoken
    run of seven or more digits always holds two, and a text without them is skipped."""
    if h is None:
        h = _needles_in(low)
    return (
        ("seven" in h) + ("eight" in h) + ("five" in h) + ("nine" in h) + ("four" in h)
        + ("three" in h) + ("six" in h) + ("two" in h) + ("zero" in h) + ("double" in h)
    ) >= 2


#: What comes between a number's word and an id's word that holds it, not names it ("the number on the account").
_HELD_ON = ("on the ", "on your ", "on this ", "on my ", "on our ", "for the ", "for your ")


def _spoken_cue(text: str, start: int) -> str | None:
    """What the nearest cue in the 80 characters before ``start`` (the line above too: the agent's question) says
    a spoken number is: "id" (an order, a ticket, a student id), "secret" (a PIN, a one-time code), "ssn" (a
    social security number), "phone", or None."""
    window = max(0, start - 80)
    best: tuple[int, str] | None = None
    # on a tie the more particular word wins ("social security number" is no phone's "number")
    for kind, pattern in (("ssn", _SPOKEN_SSN_CUE), ("secret", _SPOKEN_SECRET_CUE), ("id", _ID_WORD), ("phone", _PHONE_CUE)):
        last = None
        for m in pattern.finditer(text, window, start):
            if kind == "id" and text[max(0, m.start() - 8):m.start()].lower().endswith(_HELD_ON):
                continue  # "the phone number on the account": what holds the number, not an id before it
            last = m
        if last is not None and (best is None or last.end() > best[0]):
            best = (last.end(), kind)
    return None if best is None else best[1]


#: Digit words of other languages, as a call's transcript writes a number read out digit by digit (Spanish,
#: Portuguese, Italian, German, French, Dutch, Polish, romanised Hindi, Hindi, Vietnamese).
_FOREIGN_DIGIT_WORDS: dict[str, dict[str, str]] = {
    "es": dict(zip("cero uno dos tres cuatro cinco seis siete ocho nueve".split(), "0123456789")),
    "pt": dict(zip("zero um dois três quatro cinco seis sete oito nove".split(), "0123456789")),
    "it": dict(zip("zero uno due tre quattro cinque sei sette otto nove".split(), "0123456789")),
    "de": dict(zip("null eins zwei drei vier fünf sechs sieben acht neun".split(), "0123456789")),
    "fr": dict(zip("zéro un deux trois quatre cinq six sept huit neuf".split(), "0123456789")),
    "nl": dict(zip("nul een twee drie vier vijf zes zeven acht negen".split(), "0123456789")),
    "pl": dict(zip("zero jeden dwa trzy cztery pięć sześć siedem osiem dziewięć".split(), "0123456789")),
    "hi": {**dict(zip("shunya ek do teen chaar paanch chhe saat aath nau".split(), "0123456789")), "zero": "0",
           "char": "4", "panch": "5", "chhah": "6"},
    "hi_deva": {**dict(zip("शून्य एक दो तीन चार पाँच छह सात आठ नौ".split(), "0123456789")), "पांच": "5"},
    "vi": dict(zip("không một hai ba bốn năm sáu bảy tám chín".split(), "0123456789")),
    "ru": {**dict(zip("ноль один два три четыре пять шесть семь восемь девять".split(), "0123456789")), "нуль": "0"},
    "sw": dict(zip("sifuri moja mbili tatu nne tano sita saba nane tisa".split(), "0123456789")),
    "id": {**dict(zip("nol satu dua tiga empat lima enam tujuh delapan sembilan".split(), "0123456789")), "kosong": "0"},
    "ar": {**dict(zip("صفر واحد اثنان ثلاثة أربعة خمسة ستة سبعة ثمانية تسعة".split(), "0123456789")), "اثنين": "2",
           "اربعة": "4", "ثلاث": "3"},
}
#: Each language's run of four digit words or more, one space, a comma or a dash between them.
_FOREIGN_SPOKEN_RUNS = tuple(
    (lang, words, re.compile(
        r"(?i)(?<![\w])(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")"
        r"(?:(?:[ ]?[,-][ ]?|[ ]|\.{3}[ ]?)(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        + r")){3,}(?![\w])"
    ))
    for lang, words in _FOREIGN_DIGIT_WORDS.items()
)
#: Digit words that are no word of their language's prose, with the space before them: two of them in a text open
#: the gate of PiiRedactor._foreign_spoken_numbers.
_FOREIGN_DIGIT_NEEDLES = frozenset(
    " " + w
    for w in (
        "cuatro cinco siete nueve ocho três quatro sete oito nove quattro cinque sette otto drei vier fünf sechs sieben "
        "acht neun zwei quatre cinq sept huit neuf deux twee drie vijf zeven negen trzy cztery pięć siedem osiem "
        "dziewięć aath chaar paanch teen saat nau chín tám bảy sáu bốn không आठ सात चार नौ तीन पाँच"
        # Russian, Swahili, Indonesian; French tens and teens (read in pairs: "zéro six, quarante et un, ...")
        " четыре пять шесть семь восемь девять ноль sifuri nane tisa saba tano delapan sembilan tujuh empat"
        " zéro douze treize quatorze quinze seize vingt trente quarante cinquante soixante"
        " صفر أربعة خمسة سبعة ثمانية تسعة"
    ).split()
)
#: French numbers of 0 to 99 as a phone is read out in pairs ("zéro six, quarante et un, zéro sept, trente-huit,
#: quatre-vingt-seize"): a run of four such words or more; :func:`_french_pairs` reads the digits.
_FR_SPOKEN_UNITS = dict(zip("zéro zero un une deux trois quatre cinq six sept huit neuf".split(), (0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9)))
_FR_SPOKEN_TEENS = dict(zip("dix onze douze treize quatorze quinze seize".split(), range(10, 17)))
_FR_SPOKEN_TENS = dict(zip("vingt vingts trente quarante cinquante soixante".split(), (20, 20, 30, 40, 50, 60)))
_FR_SPOKEN_WORD = "|".join(sorted((*_FR_SPOKEN_UNITS, *_FR_SPOKEN_TEENS, *_FR_SPOKEN_TENS), key=len, reverse=True))
_FR_SPOKEN_RUN = re.compile(
    r"(?i)(?<![\w-])(?:" + _FR_SPOKEN_WORD + r")(?:(?:[ ]?,[ ]?|[ ]|-|[ ]et[ ]|-et-)(?:" + _FR_SPOKEN_WORD + r")){3,}(?![\w-])"
)


def _french_pairs(run: str) -> str | None:
    """The digits a French run of :data:`_FR_SPOKEN_RUN` stands for, each number of ten or more two digits ("zéro six
    quarante et un" -> "0641", "quatre-vingt-seize" -> "96", "soixante-dix-sept" -> "77"); None where the words make
    no number ("vingt trente")."""
    digits: list[str] = []
    for chunk in run.lower().split(","):  # a comma parts two numbers: "quatre-vingts, douze" is 80 and 12
        chunk_digits = _french_chunk(chunk)
        if chunk_digits is None:
            return None
        digits.append(chunk_digits)
    return "".join(digits)


def _french_chunk(chunk: str) -> str | None:
    """:func:`_french_pairs` of a run's words between two commas."""
    words = [w for w in re.split(r"[ -]+", chunk) if w]
    digits, i = [], 0
    while i < len(words):
        w = words[i]
        if w == "quatre" and i + 1 < len(words) and words[i + 1] in ("vingt", "vingts"):
            value, i = 80, i + 2
            if words[i - 1] == "vingts":  # "quatre-vingts" is 80 alone: "quatre-vingts douze" is 80 and 12
                digits.append("80")
                continue
        elif w in _FR_SPOKEN_TENS:
            value, i = _FR_SPOKEN_TENS[w], i + 1
        elif w in _FR_SPOKEN_TEENS:
            value, i = _FR_SPOKEN_TEENS[w], i + 1
            if value == 10 and i < len(words) and words[i] in ("sept", "huit", "neuf"):
                value, i = 10 + _FR_SPOKEN_UNITS[words[i]], i + 1
            digits.append(f"{value:02d}")
            continue
        elif w in _FR_SPOKEN_UNITS:
            digits.append(str(_FR_SPOKEN_UNITS[w]))
            i += 1
            continue
        else:
            return None  # "et" where no ten is before it
        # a ten, maybe with its units or its teens after it: "trente-huit", "quarante et un", "soixante-dix-sept"
        if i < len(words) and words[i] == "et":
            i += 1
            if i < len(words) and words[i] in ("un", "une", "onze"):
                value += 1 if words[i] != "onze" else 11
                i += 1
            else:
                return None
        elif value in (60, 80) and i < len(words) and words[i] in _FR_SPOKEN_TEENS:
            value += _FR_SPOKEN_TEENS[words[i]]
            i += 1
            if value in (70, 90) and i < len(words) and words[i] in ("sept", "huit", "neuf"):
                value += _FR_SPOKEN_UNITS[words[i]]
                i += 1
        elif i < len(words) and words[i] in _FR_SPOKEN_UNITS and words[i] not in ("zéro", "zero", "un", "une"):
            value += _FR_SPOKEN_UNITS[words[i]]
            i += 1
        digits.append(f"{value:02d}")
    return "".join(digits)


#: An id's word before a French run on its line: the number is an order's, an invoice's or a file's.
_FR_ID_CUE = re.compile(r"(?i)commande|facture|dossier|référence|colis|suivi|contrat|client[ ]n|ticket|siret|siren")
#: A phone number read out in Chinese digits ("一三八，零四一零，八六三零", "幺三八 一二三四 五六七八"), after a phone's word
#: on its line or the line above (:data:`_ZH_PHONE_CUE`).
_ZH_DIGITS = dict(zip("零〇一二三四五六七八九幺两", "0012345678912"))
_ZH_SPOKEN_RUN = re.compile(r"[零〇一二三四五六七八九幺两](?:[ ,，、-]{0,2}[零〇一二三四五六七八九幺两]){6,14}(?![零〇一二三四五六七八九幺两])")
_ZH_PHONE_CUE = re.compile(r"电话|電話|手机|手機|号码|號碼|联系方式|聯絡")
_ZH_PHONE_NEEDLES = frozenset(("电话", "電話", "手机", "手機", "号码", "號碼", "联系方式", "聯絡"))
#: A phone's or a code's words in those languages, on the run's line or the line above (the agent's question).
_FOREIGN_NUMBER_CUE = re.compile(
    r"(?i)(?:número|numero|nummer|numéro|numer|telefon|teléfono|telefono|celular|cellulare|móvil|movil|portable|handy"
    r"|mobile|mobil|contacto|contato|recapito|rückruf|fijo|fixe|nombor|số[ ]điện[ ]thoại|điện[ ]thoại|नंबर|मोबाइल|फ़ोन"
    r"|téléphone|rappeler|joindre|richiamare|chiamare|номер|телефон|мобильн|сотов|namba|simu|nomor|hp|رقم|جوال|هاتف"
    r"|फोन|number|pin|código|codice|code|kod|mã)"
)
_FOREIGN_CODE_CUES = frozenset(("pin", "código", "codice", "code", "kod", "mã"))


#: The letters re.IGNORECASE folds onto an ASCII letter that str.lower does not map to it (:data:`_CASE_ODDITIES`).
_IGNORECASE_FOLDS = str.maketrans({"\u017f": "s", "\u0131": "i", "\u0130": "i", "\u212a": "k"})


def _foreign_cue_before(text: str, start: int) -> str | None:
    """What the last :data:`_FOREIGN_NUMBER_CUE` on the line of ``start`` or the line above says a run read out there
    is: "code", "phone", or None where there is none."""
    line_start = text.rfind("\n", 0, start) + 1
    above = text.rfind("\n", 0, max(0, line_start - 1)) + 1
    cue = None
    for cue in _FOREIGN_NUMBER_CUE.finditer(text, above, start):
        pass
    if cue is None:
        return None
    return "code" if cue.group().lower() in _FOREIGN_CODE_CUES else "phone"


def _spoken_digits(run: str) -> tuple[str, int, bool]:
    """The digits a spoken run stands for, how many of them were words (not numerals), and whether it began
    with "plus"."""
    digits, words, repeat, plus = "", 0, 1, False
    for part in _SPOKEN_PART.findall(run):
        # as re.IGNORECASE read it: "ſix" is "six", "fıve" and "fİve" are "five" (their lower case is not)
        word = part.translate(_IGNORECASE_FOLDS).lower()
        if word == "plus":
            plus = not digits
        elif word == "double" or word == "triple":
            repeat = 2 if word == "double" else 3
        elif word == "hundred":
            if digits:
                digits += "00"
                words += 1
        else:
            digit = _SPOKEN_DIGITS.get(word)
            if digit is None:
                digits += word * repeat if len(word) == 1 else word
            else:
                digits += digit * repeat
                words += 1
            repeat = 1
    return digits, words, plus


#: An e-mail address read out word by word in a call's transcript: "tyler underscore b two zero one one at gmail dot
#: com", "sid dot venkat nine one at gmail dot com", "front desk at coastline dental dot com". Here the domain and
#: its top-level domain after " at " (one or two words before each " dot "); the local part is found backwards
#: from " at " by :func:`_spoken_local_part`.
_SPOKEN_EMAIL_DOMAIN = re.compile(
    r"(?i)[ ]at[ ](?!(?:the|a|an|my|your|his|her|our|their|this|that|least|most|all|some|any|one)[ ])"
    r"([a-z0-9-]+(?:[ ][a-z0-9-]+)?(?:[ ]dot[ ][a-z0-9-]+)*?[ ]dot[ ]"
    r"(?:com|net|org|edu|gov|io|co|uk|de|fr|es|it|nl|be|ch|at|ie|ca|au|nz|in|br|mx|jp|kr|cn|za|ng|ke|pl|pt|se|no"
    r"|dk|fi|tr|ae|sg|ph|us|info|biz|me)(?:[ ]dot[ ](?:uk|au|nz|za|in|jp|kr|br|mx|ng|ke|sg|ph|tr|ae))?)(?![\w-])"
)
#: Words that end an address's local part read backwards ("my email is", "its", "yes"), and what words stand for.
_SPOKEN_LOCAL_STOPS = frozenset(
    "is its it's it’s it was email e-mail mail address my her his their our your yes yeah no thats that's to the me "
    "send sent as and or be on for confirm confirmed right ok okay sure um uh er so use using try at from by with "
    "called".split()
)
_SPOKEN_SYMBOLS = {"dot": ".", "underscore": "_", "dash": "-", "hyphen": "-", "at": "@"}
#: A spoken address counts where its domain is a mail provider's or an e-mail is asked for or named shortly before it
#: ("and an email for your receipt\ncaller: ..."): "i work at acme dot com" names a website.
_MAIL_PROVIDERS = frozenset(
    "gmail googlemail yahoo hotmail outlook live msn icloud me aol proton protonmail gmx web yandex mail xtra "
    "btinternet sky virgin comcast verizon att sbcglobal orange free libero qq naver daum rediffmail zoho".split()
)
_EMAIL_CUE = re.compile(r"(?i)\b(?:e-?mail|mail|address|login|username|user[ ]name|account|contact|write|send)\b")


def _spoken_local_part(text: str, at: int) -> int | None:
    """Where the local part of a spoken e-mail address starts, read backwards from ``at`` (the space before "at"):
    up to eight words of letters or digits on the same line, stopping at a word of :data:`_SPOKEN_LOCAL_STOPS`,
    punctuation or a line's start; None when there is no word."""
    start = at
    words = 0
    while words < 8:
        space = text.rfind(" ", 0, start)
        line = text.rfind("\n", 0, start)
        word_start = max(space, line) + 1
        word = text[word_start:start]
        if not word or not word.isalnum() or word.lower() in _SPOKEN_LOCAL_STOPS:
            break
        start, words = word_start, words + 1
        if word_start == line + 1 or word_start == 0:
            break
        start = word_start - 1  # the space before the word
    if words == 0:
        return None
    return start if text[start:start + 1] != " " else start + 1


#: A spelled dot of such an address, where the address it spells has ".".
_SPELLED_DOT = re.compile(r"(?i)[ ]?[\[(]?\bdot\b[\])]?[ ]?")
#: The part after the "@" of an image file for high-density screens ("icon@2x.png"), which _EMAIL matches.
_RETINA_FILE = re.compile(r"\d(?:\.\d+)?x\.(?:png|jpe?g|gif|svg|webp|avif|bmp|ico|tiff?)", re.IGNORECASE)
#: A secret that a keyword introduces: "my password is Summer2024!", "pwd: hunter2", "api_key=sk_...", "PIN
#: 4471", "client secret: 9f8e...". The value counts only when it looks like one (see _looks_like_a_secret):
#: not "my password is wrong", "the token expired", "pin is bent".
#: What a writer may put between "is" and the secret: "my pw is literally ChangeMe!2024", "it's still hunter2".
_SECRET_ADVERB = r"(?:(?:literally|just|still|now|simply|actually|currently|basically|probably|prob)[ ]+)?"
_SECRET_AFTER_KEYWORD = re.compile(
    r"(?i:(?<![a-z0-9])(?:"
    # a password or PIN, also right before a value with a digit ("PIN 4471", "wifi pw kowalski1975")
    r"(?:password|passwort|passwd|pwd|pw|passcode|passphrase|psk|pin(?:[ ]?code)?)s?"
    r"(?:[ ]\((?!\d)[^()\n]{1,30}\)(?=[ ]?:))?"  # "Guest set PIN (forgotten): 080619"
    # "the password for the router is ...", "PIN for the voicemail box was reset to ..."
    r"(?:[ ]+(?:for|to|of|on)[ ]+(?:(?:the|my)[ ]+[a-z]+(?:[ ][a-z]+)?|[a-z]+))?"
    # "the password im using is", "the password i set was"
    r"(?:[ ]+(?:i'?m|i’m|i[ ]am|we're|we[ ]are|i|we)[ ]+(?:using|used|tried|typed|entered|set|chose|picked|made))?"
    r"(?:[ ]+(?:(?:is|was|has[ ]been)[ ]+)?(?:set|changed|reset|updated)[ ]to[ ]+" + _SECRET_ADVERB
    + r"|[ ]+(?:is|was|=|:)[ ]+" + _SECRET_ADVERB + r"|[\"']?[ ]*[:=][ ]*|[ ]+(?=\S*\d))"
    # what a writer shared it as ("passphrase the customer shared: ...", "password they sent: ...")
    r"|(?:password|passwd|pwd|passcode|passphrase|psk|pin|api[ _-]?key|token|secret)(?:[ ]+[a-z]+){0,3}[ ]+"
    r"(?:shared|sent|gave|used|provided|typed|entered|posted|pasted|set|chose|uses|using)[ ]*:[ ]*"

    # a shared key or passphrase and where it was put ("shared PSK pasted in the ticket is ...")
    r"|(?:passphrase|psk|wpa[ ]key|wi-?fi[ ]key)(?:[ ]+[a-z]+){1,4}?[ ]+(?:is|was)[ ]+"
    # an account's recovery or backup codes ("read out her recovery code over the phone: 7HQK-2MZP-...")
    r"|(?:recovery|backup)[ ](?:code|key)s?(?:,?[ ]+[a-z]+){0,6}?[ ]*(?:is|was|are|:)(?:[ ]*\n[ ]*|[ ]+)"
    # the new or old one, in the same sentence as a password ("my password. my old one was Kx9#mL", "the new
    # one is ...")
    r"|(?:password|passwd|pwd|pw|passcode)(?![a-z0-9])[^\n]{0,40}?[ ](?:my|the|your|his|her|their)[ ]+(?:old|new|current|previous|temp"
    r"|temporary|real|actual)[ ]+one[ ]+(?:is|was|=|:)[ ]+" + _SECRET_ADVERB + r""
    # a key, a token or a "pass" only with "is", ":" or "=" ("season pass 2025" is no secret)
    r"|(?:pass|api[ _-]?key|apikey|secret(?:[ _-]?key)?|client[ _-]?secret|access[ _-]?key(?:[ _-]?id)?"
    r"|(?:auth|access|api|refresh)[ _-]?token|token)"
    r"(?:[ ]+(?:for|to|of|on)[ ]+(?:the[ ]+|my[ ]+)?[a-z]+)?"  # "the admin pass for the router is ..."
    r"(?:[ ]+(?:is|was|=|:)[ ]+" + _SECRET_ADVERB + r"|[\"']?[ ]*[:=][ ]*|[ ]+(?=[A-Za-z0-9+/_-]{20,}=*(?![\w+/=-])))"
    # a bare "key" only before a long token ("key=hf_prod_7Gk2...", not "Shortcut key: F5")
    # "pagerduty_key: ...", "MAILCHIMP_KEY: ...": not a storage's or a table's key ("object_key: reports/2024/q3.csv")
    r"|(?<![\w.-])(?!(?:[a-z0-9]+[_-])*(?:object|s3|cache|partition|sort|primary|foreign|idempotency|routing|lookup|dedup|group|storage"
    r"|file|row|map|hash|index|public|publishable|license|licence|product|registry|sign_in|translation)[_-]key)"
    r"(?:[a-z0-9]+[_-])*key[\"']?[ ]*[:=][ ]*(?=[\"']?[A-Za-z0-9+/_-]{16,})))"
    r"[\"'`]?([^\s\"'`,;<>]{4,200})"
)
#: The characters of an access, porting or gift-card code: letters, digits and dashes.
_CODE_VALUE = re.compile(r"[A-Za-z0-9-]*")
#: A second secret right after one ("tried password Tigger#2019 and tigger2019!"): "and", "or" or "then" and a
#: value, which counts when it looks like a secret and holds more than letters.
_ANOTHER_SECRET = re.compile(
    r"(?:[ ]+(?:or[ ]maybe|or[ ]perhaps|and[ ]then|and|or|then|maybe|to)|,)[ ]+[\"'`]?([^\s\"'`,;<>]{4,200})"
)
#: More codes of a list of recovery or backup codes, one space or line apart ("8841-2209 5530-7712 1096-4438").
_NEXT_CODE = re.compile(r"[ ]*\n?[ ]*([A-Za-z0-9]{3,8}(?:-[A-Za-z0-9]{3,8})+)(?![\w-])")
#: A code of six digits in two halves ("482 116"): one value.
_SPACED_CODE = re.compile(r"\d{3}[ ]\d{3}(?!\d|[,./ -]\d)")
#: A short code read out in groups of one to three digits: "61 74 92", "0 4 7 7", "9-1-3-0".
_SPACED_DIGITS = re.compile(r"\d{1,3}(?:[ -]\d{1,3}){1,7}(?!\d|[,./-]\d)")
_SECRET_VALUE = r"[\"'`]?([^\s\"'`,;<>]{3,200})"
#: More secrets after their keywords, each pattern with the lower-case strings one of which its every match holds
#: (each of its own: one pattern of all of them cost every text its alternatives at every position): a few words
#: between a password and a colon or "as" ("Temp password issued: ...", "read out her password over the phone as
#: ..."), a password in six more languages ("Kundenkennwort laut Vertrag: ..."), a password changed to a value ("i
#: changed my pw to Chelsea2025!"), and the codes that open a gate, a door, a lockbox, an alarm or a safe, and porting
#: and gift-card codes ("gate code 2580#", "lockbox (code 0719)", "PAC code XKR448193").
#: The lower-case strings every match of the foreign-language secret pattern of _MORE_SECRETS holds (its gate).
_FOREIGN_SECRET_NEEDLES = (
    "인증번호", "비밀번호", "암호", "код", "парол", "κωδικ", "קוד", "סיסמה", "رمز", "كلمة المرور", "密码", "验证码", "暗証番号",
    "パスワード", "認証コード", "确认码", "heslo", "lösenord", "koden", "şifresi", "código de", "codigo de", "código del",
    "codigo del", "clave de", "contraseña", "code du", "digicode", "passord", "adgangskode", "salasana", "kod do", "kod od",
)
#: The strings one of which every parcel pickup code and authenticator seed of _MORE_SECRETS follows.
_PICKUP_AND_SEED_NEEDLES = (
    "ophaalcode", "afhaalcode", "abholcode", "pickup code", "pick-up code", "collection code", "vyzvednutí",
    "code de retrait", "código de retirada", "totp seed", "mfa seed", "2fa seed", "otp seed", "totp secret",
    "mfa secret", "2fa secret", "ellenőrző kód", "código de recuperação", "código de recuperación",
)
_MORE_SECRETS: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    # the foreign-language codes take a value of any length: "61 74 92", "0 4 7 7" are read out whole below
    (needles, re.compile(r"(?i:(?<![a-z0-9])(?:" + pattern + r"))" + (
        _SECRET_VALUE.replace("{3,200}", "{1,200}") if needles is _FOREIGN_SECRET_NEEDLES or "keypad" in needles else _SECRET_VALUE
    )))
    for needles, pattern in (
        (("pass", "pwd", "kennwort"), r"(?:password|passwd|pwd|passcode|kennwort|kundenkennwort)(?:[ ]+[a-z]+){1,5}?(?:[ ]*:|[ ]+as)[ ]+"),
        (
            ("kennwort", "wachtwoord", "contraseña", "senha", "hasło", "şifre", "mot de passe"),
            r"(?:kennwort|kundenkennwort|wachtwoord|contraseña|senha|hasło|şifre|mot[ ]de[ ]passe)"
            r"(?:[ ]+(?:is|ist|es|é|est|jest|:)[ ]+|[\"']?[ ]*[:=][ ]*)",
        ),
        (
            ("changed my", "set my", "reset my", "updated my", "changed the", "reset the", "set the", "changed his",
             "changed her", "reset his", "reset her", "changed your", "reset your", "changed their", "reset their"),
            # a word between ("changed the wifi password to ..."), and the old one ("changed my password from X to Y")
            r"(?:changed|set|reset|updated)[ ](?:my|the|his|her|your|their)(?:[ ][a-z-]+)?[ ](?:password|passwd|pwd|pw"
            r"|passcode|pin)[ ](?:to|from)[ ]+",
        ),
        (
            ("gate", "door", "lockbox", "lock box", "keysafe", "key safe", "alarm", "safe", "entry", "access", "keypad",
             "garage", "padlock", "building"),
            r"code[ ]for[ ](?:the[ ])?(?:[a-z]+[ ])?(?:gate|door|lockbox|key[ ]?safe|alarm|garage|building|entrance)"
            r"(?:[ ](?:is|was))?[ ]?:?[ ]+|"  # "the code for the side gate is 1987"
            r"(?:gate|door|lockbox|lock[ ]box|key[ ]?safe|alarm|safe|entry|access|keypad|garage|padlock|building)"
            r"(?:[ ](?:on|at|by)[ ](?:the[ ])?[a-z]+(?:[ ][a-z]+)?)?,?[ ]\(?code(?:[ ]\([^()\n]{1,40}\)(?=[ ]?:))?"
            r"(?:[ ](?:is|was))?(?:[ ](?:as|now|changing[ ]to|changed[ ]to|set[ ]to))?[ ]?:?[ ]+(?!\()",
        ),
        (
            # one-time and verification codes, a card's security code ("Your verification code is: X7K-29Q", "OTP:
            # 550913", "steam guard code 4KR2P", "Tu clave de un solo uso es 718204")
            (
                "verification code", "security code", "sms code", "login code", "sign-in code", "signin code", "2fa code",
                "mfa code", "authenticator code", "guard code", "one-time", "one time", "otp", "cvv", "cvc", "solo uso",
                "código de verifica", "codigo de verifica", "code de v", "digits on the back",
            ),
            r"(?:(?:verification|security|sms|login|sign-?in|2fa|mfa|authenticator|steam[ ]guard|one[ -]time|otp)[ ]"
            r"(?:code|pin|passcode|password)|otp|cvv2?|cvc2?|clave[ ]de[ ]un[ ]solo[ ]uso|c[óo]digo[ ]de[ ]verificaci[óo]n"
            r"|code[ ]de[ ]v[ée]rification|(?:3|three)[ ]digits[ ]on[ ]the[ ]back(?:[ ](?:are|is))?)"
            r"(?:[ ](?:is|was|es|est|ist))?(?:[\"']?[ ]?:[ ]*|[ ]+)",  # JSON too: "cvc": "481"
        ),
        (
            # a code of six digits as an SMS sends it ("the code is 482 116", "It sent me a code (551 907)", "the
            # one-time code you sent me is 772 904"), not after a word that makes it another code ("promo code")
            ("code",),
            r"(?<!promo[ ])(?<!discount[ ])(?<!coupon[ ])(?<!voucher[ ])(?<!error[ ])(?<!status[ ])(?<!area[ ])"
            r"(?<!country[ ])(?<!zip[ ])(?<!postal[ ])(?<!product[ ])(?<!tracking[ ])(?<!booking[ ])(?<!order[ ])"
            r"(?<!sort[ ])(?<!swift[ ])(?<!tax[ ])(?<!qr[ ])(?<!bar[ ])(?<!source[ ])(?<!exit[ ])(?<!reference[ ])"
            r"(?<!confirmation[ ])(?<!gift[ ]card[ ])(?<!post[ ])\bcode(?:[ ](?:you[ ]sent(?:[ ]me)?|from[ ](?:the[ ])?sms"
            r"|i[ ]got|we[ ]sent))?(?:[ ](?:is|was))?[ ]?[:(]?[ ]*(?=\d{3}[ ]?\d{3}(?!\d|[,./ -]\d))",
        ),
        (
            # a variable of an environment file or a config whose name says it holds a secret ("SENDGRID_KEY=SG.q8Lm...",
            # "export DB_PASSWORD=...")
            ("key", "token", "secret", "pass", "pwd"),
            r"(?-i:(?:^|(?<=\n))[ \t]*(?:export[ ])?(?![A-Z0-9_]*PUBLI)[A-Z][A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PWD|PASS)[A-Z0-9_]*"
            r"[ ]?[=:][ ]?)",
        ),
        (
            # a router's or a device's admin login on its sticker ("the sticker says admin / 7Hk29PqX")
            ("admin /", "admin/", "root /", "root/"),
            r"(?:admin|administrator|root)[ ]?/[ ]?",
        ),
        (
            # a Wi-Fi network's key on the line of its name ("Wi-Fi SSID: BerlinOffice-Staff   Key: Spree!Brücke#2024")
            ("wi-fi", "wifi", "wlan", "ssid"),
            r"(?:wi-?fi|wlan|ssid)[^\n]{0,60}?\b(?:key|pass|code)[ ]?[:=][ ]*",
        ),
        (
            # a one-time code, a PIN, a password or a door's code in other languages, the value after the word, a few
            # words of what it is for and "is" ("인증번호 [718204]", "Код подтверждения: 7730", "קוד האימות שלך ... הוא
            # 581204", "رمز التحقق الخاص بك هو 4729", "heslo k wifi v kanceláři je teď X", "Portkoden har ändrats till
            # 4471", "kapı şifresi 4817", "código del portal a 7742", "单元门密码 8826", "digicode 4B72A")
            _FOREIGN_SECRET_NEEDLES,
            r"(?:인증번호|비밀번호|암호|код(?:[ ](?:подтверждения|підтвердження|отримання|доступа|доступу|домофона|от[ ]двери))?"
            # (Greek, Hebrew and Arabic: the words of what it is for, then "is" or a colon; not across a sentence)
            r"|пароль|парол(?:ь|я)|(?:κωδικ(?:ός|ό)|קוד|סיסמה|رمز)(?:[ ][^\s\d:.。]+){0,5}?(?:[ ](?:είναι|הוא|היא|هو|هي)(?=[ ])|[ ]?:)"
            r"|كلمة[ ]المرور(?:[ ][^\s\d:.]+){0,2}?(?=[ ]?:)|كلمة[ ]المرور|密码|验证码|暗証番号|パスワード|認証コード|确认码"
            r"|heslo(?:[ ][^\s\d:.]+){0,4}|lösenord(?:et)?|(?:port|dörr|grind|larm)?koden(?:[ ](?:till|för)[ ][^\s\d:.]+)?"
            r"|(?:kapı|daire|wifi|wi-fi|bina)[ ]şifresi"
            # a Spanish or Portuguese code or key of what opens or confirms something, not a tracking or postal code
            r"|c[óo]digo[ ](?:del?|da|do|de[ ]la)[ ](?:acceso|acesso|seguridad|segurança|verificaci[óo]n|verificação"
            r"|confirmaci[óo]n|confirmação|portal|pluma|puerta|porta|portão|port[óo]n|alarma|alarme|candado|cadeado|entrada"
            r"|desbloqueo|desbloqueio|activaci[óo]n|ativação|autorizaci[óo]n|autorização|retiro|retirada)"
            r"|clave[ ]de[ ](?:operaciones|acceso|seguridad|la[ ]red|wifi|internet|banca|cajero|firma)"
            r"|contraseña(?:[ ][^\s\d:.]+){0,2}|code[ ]du[ ][^\s\d:.]+(?:[ ](?:à|de)[ ][^\s\d:.]+)?|digicode"
            r"|passord(?:et)?|adgangskode(?:n)?|salasana|kod[ ](?:do|od)[ ][^\s\d:.]+)"
            r"(?:[ ]?(?:is|es|est|c['’]est|ist|är|er|je(?:[ ]teď)?|jest|είναι|הוא|היא|هو|هي|é|a|till|har[ ]ändrats[ ]till|는|은"
            r"|ahora[ ]es|je[ ]teď))?[ ]?[:：=\[【「]?[\]】」]?[ ]*",
        ),
        (
            ("pac code", "porting code", "port-out code", "port out code", "transfer code", "epp code", "auth code",
             "authorization code", "gift card code"),
            r"(?:pac|porting|port[ -]out|transfer|epp|auth(?:orization)?|gift[ ]card)[ ]code(?:[ ](?:is|was))?[ ]?:?[ ]+",
        ),
        (
            # a parcel locker's or pickup point's code ("Je hebt de ophaalcode K7F2-99 nodig", "kód pro vyzvednutí
            # XK-4471") and an authenticator's seed ("TOTP seed regenerated: JBSWY3DP...")
            _PICKUP_AND_SEED_NEEDLES,
            r"(?:ophaalcode|afhaalcode|abholcode|pick-?up[ ]code|collection[ ]code|kód[ ]pro[ ]vyzvednutí|code[ ]de[ ]retrait"
            r"|código[ ]de[ ]retirada|ellenőrző[ ]kód"
            # a recovery code and who gave it ("Código de recuperação fornecido por ela no chamado: R4K9-M2PX-77QA")
            r"|código[ ]de[ ]recupera(?:ção|ción)(?:[ ][^\s\d:]+){0,5}?(?=[ ]?:))(?:[ ](?:is|es|est|ist|je|é))?[ ]?:?[ ]*"
            r"|(?:totp|mfa|2fa|otp)[ ](?:seed|secret)(?:(?:[ ][a-z]+){0,2}[ ]?[:=][ ]*|[ ](?:is[ ])?)",
        ),
    )
)
#: A word for a code (alone or ending a compound: "Haustürcode", "portkod", "engångskod", "verificatiecode"), up to
#: four words of what it is for, "is" or a colon in several languages, then four to eight digits or digit groups.
_CODE_NEEDLES = frozenset(
    ("code", "kod", "kode", "koodi", "codice", "código", "codigo", "kód", "код", "mã", "otp", "pin ", "pin:", "pin?",
     "clave",
     "인증번호", "验证码", "密码", "暗証番号", "コード", "κωδικός", "קוד", "رمز",
     # what a door, a key safe, an alarm or a SIM is opened with ("key safe by meter box 7341", "disarm 1561", "PUK1 is
     # 72868446", "padlock sa gate 1188", "senha do portão é 4471", "kapı şifresi değişti: 5204", "ovisummeri 5929")
     "lockbox", "lock box", "key safe", "keysafe", "key box", "keybox", "disarm", "padlock", "combination", "puk",
     "buzzer", "senha", "şifre", "msimbo", "कोड", "কোড", "รหัส", "gate ", "summeri", "alarm is", "keypad", "interfon",
     "domofon", "citofono", "interphone", "kodelås", "mật khẩu")
)
_NUMERIC_CODE = re.compile(
    r"(?i)(?<![\w])((?:[^\W\d_]*(?:code|codes|kod|koden|kode|koodi|codice|código|codigo|kód|kodu|kodunuz|kodunu)|код|кодом"
    r"|mã|otp|pin|pin-kod|pin-koden|clave|digicode|인증번호|验证码|密码|暗証番号|[^\W\d_]*コード|κωδικός|קוד|رمز"
    r"|lockbox|lock[ ]box|key[ ]?safe|key[ ]?box|disarm|padlock|combination|puk\d?|buzzer|senha|şifre|şifresi|msimbo"
    r"|कोड|কোড|รหัส[\u0e00-\u0e7f]*|gate|[^\W\d_]*summeri|alarm(?=[ ]is[ ])|keypad|interfon|domofon|citofono|interphone"
    r"|kodelås(?:en)?|mật[ ]khẩu(?:[ ][^\W\d_]+){0,4})"
    # up to six words of what it is for ("Code d'accès au parking du cabinet", "código de verificação para a VPN")
    r"(?:[ ][^\W\d_][^\W\d_'’-]{0,19}(?:['’-][^\W\d_]{1,15})?){0,6}?)"
    r"(?:[ ]?[:：]|[ ](?:is|es|est|è|é|er|är|ist|lautet|adalah|là|jest|je|a|hai|na|to|was|ni|ya|é:|:)|は|が|是|为|為)?[ ]?[\[(（]?[ ]?"
    r"(?<![^\W\u3040-\u309f\u4e00-\u9fff])(\d{4,8}|\d{3}[ ]\d{3}|\d(?:[ -]\d){3,7}|\d{2}(?:[ ]\d{2}){2,3}"
    # a code of capitals and digits ("Aktivierungscode ... lautet K7Q2-M9XP", "Noutokoodi: 5K8Q2"); see _numeric_codes
    r"|(?-i:(?=[A-Z0-9-]*[A-Z])(?=[A-Z0-9-]*\d[A-Z0-9-]*\d)[A-Z0-9]{2,6}(?:-[A-Z0-9]{2,6}){0,3}))"
    r"(?![^\W\u3040-\u309f\u4e00-\u9fff]|[,./ -]\d)"  # a Japanese particle may follow ("暗証番号は9313で")
)
#: A one-time code that a message tells its reader to use for a login or a reset ("Use 615023 to reset your password",
#: "use 354601 to log in"): the digits, then what they are for.
_USE_CODE = re.compile(
    r"(?i)\buse[ ](\d{4,8})[ ](?:to|as|for)[ ](?:reset|log|sign|verify|confirm|complete|access|authori[sz]e|continue"
    r"|approve|your[ ](?:login|verification|one-time|security)|the[ ]verification)"
)


def _caps_surname_then_given(m: re.Match[str]) -> bool:
    """Whether a register's value that :data:`_CAPS_SURNAME_THEN_GIVEN` matched is a person: the word in capitals is
    no acronym, notice or common word, and every word after it is a known given name, ambiguous ones too ("Nom :
    ROUSSEL Ghislaine Marie"; not "Name: NIKE Air Max", "Client : PARIS Nord", "Nom : SNCF Connect"); after a
    Vietnamese family name any capitalised words ("NGUYEN Van An", "TRAN Thi Hoa": "Van", "An" are words too)."""
    surname, given = m.group(1), m.group(2).split()
    if (
        surname in ACRONYMS
        or surname in _NOT_CAPS_SURNAMES
        or surname.title() in NOT_NAMES
        or surname.lower() in COMMON_LOWER_WORDS
        or surname.lower() in _NOT_SPEAKER_LABELS
    ):
        return False
    if surname in _SURNAMES_FIRST_UPPER:  # "An" of "NGUYEN Van An" is in NOT_NAMES as a sentence's first word
        return not any(w in NOT_NAMES and w.lower() not in COMMON_LOWER_WORDS for w in given)
    return all(all(part in _ALL_FIRST for part in w.split("-")) for w in given)


def _caps_surname_given(text: str) -> list[PiiMatch]:
    """A surname in capitals before a known given name (:data:`_CAPS_SURNAME_GIVEN`): not a given name in capitals,
    an acronym, a notice's or a greeting's word, or a common word."""
    out = []
    for m in _CAPS_SURNAME_GIVEN.finditer(text):
        surname, given = m.group(1), m.group(2)
        if (
            given not in _CLEAR_FIRST
            or surname in _UPPER_FIRST
            or surname in ACRONYMS
            or surname in _NOT_CAPS_SURNAMES
            or surname.title() in NOT_NAMES
            or surname.lower() in COMMON_LOWER_WORDS
            or surname.lower() in _NOT_SPEAKER_LABELS
        ):
            continue
        out.append(PiiMatch("PERSON", m.start(), m.end(), m.group(), m.group().casefold()))
    return out


#: A name in capitals that a money transfer's confirmation gives, as banks and mobile money print it: "Ksh3,500.00
#: sent to ODHIAMBO NYAGA 0768141110", "transfer of N317,000 to ZAINAB OGUNBIYI acct ...", "imetumwa kwa REHEMA
#: KOMBO", "received Ksh500 from JOHN DOE", "INTERAC e-Transfer: JASKARAN THIESSEN sent you $1209.00".
_TRANSFER_NAME = re.compile(
    r"(?i:\b(?:sent|paid|transferred|transfer|payment|imetumwa|imelipwa|umetuma|umepokea|received|envié|enviado"
    r"|transferido|transferência|enviei|virement|überwiesen)\b)[^\n]{0,32}?"
    r"(?i:\b(?:to|kwa|from|kutoka[ ]kwa|a|para|an|à|de)[ ]+)"
    r"(?P<name>[A-Z][A-Z'’-]+(?:[ ][A-Z][A-Z'’-]+){1,3})"
    r"(?=[ ]+(?:\+?\d|acct|a/c|account|on\b|at\b|for\b|via\b|tarehe|ref|el\b|em\b|le\b|am\b)|[ ]?[.,;:)\n]|\Z)"
    r"|(?P<sender>[A-Z][A-Z'’-]+(?:[ ][A-Z][A-Z'’-]+){1,3})[ ]sent[ ]you\b"
)


#: The words of :data:`_TRANSFER_NAME`'s transfer, one of which its text holds (its gate).
_TRANSFER_WORDS = (
    "sent", "paid", "transfer", "payment", "imetumwa", "imelipwa", "umetuma", "umepokea", "received", "envi",
    "transferido", "transferência", "virement", "überwiesen",
)
_VOWEL = re.compile(r"[AEIOUYÀ-ÆÈ-ÏÒ-ÖØ-Ý]")
#: Two words in capitals, as every _TRANSFER_NAME match's name holds, in an ASCII text's :func:`_digit_shape`: its
#: gate there (most texts that name a payment hold none).
_TRANSFER_NAME_SHAPE = re.compile(rb"A[A'-]+[ ]A[A'-]")


def _transfer_names(text: str) -> list[PiiMatch]:
    """The payee or payer in capitals of a money transfer's confirmation (:data:`_TRANSFER_NAME`): two to four
    words that read as a name, no bank's, no company's, no common word."""
    out = []
    for m in _TRANSFER_NAME.finditer(text):
        group = "name" if m.group("name") else "sender"
        value = m.group(group)
        if (
            not _caps_words_name_no_thing(value)
            or any(w.lower() in COMMON_LOWER_WORDS or not _VOWEL.search(w) for w in value.split())
        ):
            continue  # "KPLC PREPAID", "EQUITY BANK", "THE WRONG NUMBER"
        out.append(PiiMatch("PERSON", m.start(group), m.end(group), value, value.casefold()))
    return out


#: Up to three words of a script other than Latin, then a code with a digit ("ของท่านคือ 324887", "です：4821").
_SCRIPT_WORDS_THEN_CODE = re.compile(r"(?:[^\x00-\x7f\s]+[ ]?){1,3}[ ]*[:：]?[ ]*(?=[A-Za-z]*\d)([A-Za-z0-9]{4,12})(?![\w])")


def _use_codes(text: str) -> list[PiiMatch]:
    """The one-time codes of :data:`_USE_CODE` in ``text``."""
    return [PiiMatch("CREDENTIALS", m.start(1), m.end(1), m.group(1), m.group(1)) for m in _USE_CODE.finditer(text)]


#: Words that make a code of capitals and digits an error's, a discount's or a product's.
_NOT_AN_ALPHANUMERIC_CODE = re.compile(
    r"(?i)fehler|erreur|errore|error|błęd|błąd|fout|hata|virhe|rabatt|gutschein|coupon|promo|voucher|produkt|product|artikel|modell|model|qr"
    r"|versand|sendung|tracking|track|referenz|reference|ref\b|iata|airport|flug|flight|booking|buchung|reserv"
)
#: Who gave or set a code, among the words between a code's word and its digits: no word that makes it an id.
_GIVEN_BY_CUSTOMER = re.compile(
    r"\b(?:left|given|provided|set|supplied|shared|chosen|sent)[ ]by[ ](?:the[ ])?(?:customer|client|cliente|kunde|kundin)\b"
)
_PROMO_AFTER = re.compile(r"(?i)[ ]?(?:at[ ]checkout|for[ ]\d+%|to[ ]get|to[ ]save|off\b|%)")
#: Words that make a code an id, a postal code or an error, near it.
_NOT_A_SECRET_CODE = re.compile(
    r"(?i)\b(?:version|build|release|firmware|model|reason|branch|student|sinh[ ]viên|employee|staff|batch|lot|serial"
    r"|part|colou?r|style|size|department|dept|region|station|airport|iata|flight|seat|routing|transit|institution"
    r"|postal|zip|post|area|country|promo|discount|coupon|voucher|tracking|track|product|error|status|order|sku"
    r"|reference|ref|booking|reservation|invoice|tax|bank|sort|swift|iban|bic|rastreio|seguimiento|postale|plz|cap"
    r"|kode[ ]pos|邮编|우편번호|cliente|customer|client|kunden|account|member|user|item|article|artikel|course|class"
    r"|dialling|dialing|qr|bar|source|exit|gift|redeem|referral|shipment|parcel|paket|sendung|envío|pedido|commande"
    r"|auftrag|ordine|zamówien|sipariş|订单|注文|주문|ticket|case|claim|policy|meter|hs|tariff|vat|nip|ean|isbn)"
)
#: The foreign-language pattern of _MORE_SECRETS, and its password words (their values need no digit).
_FOREIGN_SECRET_PATTERN = next(pattern for needles, pattern in _MORE_SECRETS if needles is _FOREIGN_SECRET_NEEDLES)
#: Each pattern of _MORE_SECRETS with its strings as a set, needles of :func:`_needles_in`: one set test of the
#: text's hits stands for a substring test of each (a hundred of them cost ~20 us a text), and the pattern of a
#: variable in capitals ("DB_PASSWORD=") with the capitals of its words, one of which its every match holds.
_MORE_SECRET_GATES: tuple[tuple[frozenset[str], tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (frozenset(needles), ("KEY", "TOKEN", "SECRET", "PASS", "PWD") if "(?-i:" in pattern.pattern else (), pattern)
    for needles, pattern in _MORE_SECRETS
)
_MORE_SECRET_NEEDLES: frozenset[str] = frozenset().union(*(needles for needles, _, _ in _MORE_SECRET_GATES))
_FOREIGN_PASSWORD_WORD = re.compile(
    r"비밀번호|암호|пароль|парол|סיסמה|كلمة المرور|密码|パスワード|heslo|lösenord|şifresi|contraseña|passord|adgangskode|salasana"
)
_NOT_ASCII_PRINTABLE = re.compile(r"[^!-~]")
#: Secrets by their own shape, no keyword needed: a JSON web token, a bearer token, Stripe, AWS, GitHub, Slack,
#: Google and OpenAI keys, a PEM private key.
_SECRET_SHAPES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (needles, re.compile(pattern))
    for needles, pattern in (
        # each pattern with the strings one of which its every match holds (one pattern of all of them, tried at
        # every position of the text, cost ~30 us a text)
        (("eyJ",), r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        (("earer ",), r"(?<=[Bb]earer )[A-Za-z0-9._~+/-]{16,}=*"),
        (("k_live_", "k_test_"), r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"),
        (("AKIA", "ASIA"), r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        (("gh", "github_pat_"), r"\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{20,}"),
        (("xox",), r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        (("AIza",), r"\bAIza[0-9A-Za-z_-]{35}"),
        (("sk-",), r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}"),
        # webhook signing secrets (Stripe, Svix), GitLab, npm, PyPI, Hugging Face, SendGrid and Shopify tokens
        (("whsec_",), r"\bwhsec_[A-Za-z0-9+/=]{20,}"),
        (("glpat-",), r"\bglpat-[A-Za-z0-9_-]{20,}"),
        (("npm_",), r"\bnpm_[A-Za-z0-9]{36}\b"),
        (("pypi-",), r"\bpypi-[A-Za-z0-9_-]{50,}"),
        (("hf_",), r"\bhf_[A-Za-z0-9]{30,}"),
        (("SG.",), r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),
        (("shp",), r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b"),
        (
            ("PRIVATE KEY",),
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----[\s\S]{0,8000}?"
            r"-----END (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----",
        ),
    )
)
#: An AWS secret access key after its key id and a separator (see PiiRedactor._secrets).
_AWS_SECRET_AFTER_ID = re.compile(r"[ ]*(?:[/:,|]|and|secret:?)[ ]*([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
#: A long random-looking token (24 characters or more, letters and digits mixed: a hex API key, a base62 token)
#: that counts as a secret on a line that says it is a key, a token or a secret, with no keyword right before
#: it ("here's the key i'm using 91fca76a9e28becdcb820372c310f040"); see _LINE_OF_A_SECRET.
_LONG_TOKEN = re.compile(
    r"(?<![\w/+.=@:-])(?=[A-Za-z_+/-]*\d)(?=[0-9_+/-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_+/-]{23,127}=*(?![\w/+.=@-])"
)
#: A line that calls a long token a key, a token or a secret, and not a hash, an id or a commit (whose long hex
#: values are no secrets: "commit 91fca76a...", "sha256 checksum ...", "request id ...").
_LINE_OF_A_SECRET = re.compile(r"(?i:\b(?:api[ _-]?)?key\b|\btoken\b|\bsecret\b|\bcredentials?\b|\bapi[ _-]?key)")
_LINE_OF_A_HASH = re.compile(
    r"(?i:\b(?:hash|sha\d*|md5|checksum|commit|digest|fingerprint|uuid|guid|id|build|trace|request|order|tracking"
    r"|transaction|reference|ref|etag|nonce|salt|public|pub|idempotency)\b)"
)
#: A UUID (8-4-4-4-12 hex digits): an id, never a secret by its shape.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: Secrets in a command line or a login pair, the secret in group 1: "curl -u app_rw:FnFx...", "mysql -u root
#: -p'salsa.salsa.kettle'", "--password=hunter2", "login is admin / C0ff33G@l@xy14" (each with the string that
#: every match of it holds).
_SECRET_IN_COMMAND: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("-u", re.compile(r"\b(?:curl|wget)\b[^\n]{0,200}?[ ](?:-u|--user)[ =]['\"]?([^\s:'\"@]+:[^\s'\"@]+)")),
    ("-p", re.compile(r"\bmysql(?:dump|admin)?\b[^\n]{0,200}?[ ]-p['\"]?([^\s'\"-][^\s'\"]{3,})")),
    ("--pass", re.compile(r"[ ]--pass(?:word)?[ =]['\"]?([^\s'\"-][^\s'\"]{3,})")),
    ("login", re.compile(r"(?i:\blogin\b)[^\n]{0,30}?(?:\bis|:)[ ]+[^\s/]{1,40}[ ]*/[ ]*([^\s,;]{4,100})")),
)
#: A word of every keyword of _SECRET_AFTER_KEYWORD, in the lower-cased text.
_SECRET_KEYWORDS = ("pass", "pw", "pin", "key", "token", "secret", "psk", "recovery cod", "backup cod")
#: The substrings one of which every secret above holds (in the lower-cased text): the gate of PiiRedactor._secrets.
#: "pin" only with what follows it in _SECRET_AFTER_KEYWORD ("shipping" is in every other ticket), the GitHub
#: and Stripe prefixes only where an "_" is.
_SECRET_WORDS = (
    "pass", "pwd", "pw", "pin ", "pin:", "pin=", "pincode", "key", "secret", "token", "bearer", "eyj", "xox", "aiza", "sk-",
    "akia", "asia", "k_live_", "k_test_", "gh", "github_pat", "whsec_", "glpat-", "npm_", "pypi-", "hf_", "sg.", "shp", "mysql",
    "curl", "wget", "--pass", "login /", "psk", "recovery cod", "backup cod", "kennwort", "wachtwoord", "contraseña",
    "senha", "hasło", "şifre", "mot de passe", "gate code", "door code", "lockbox code", "alarm code", "safe code",
    "keypad code", "pac code", "transfer code", "gift card code",
)


#: A value that stands in for a secret in a template or a redacted config: "${DB_PASSWORD}", "{{ api_key }}",
#: "<your-key>", "%(password)s", "********", "xxxxxxxx", "changeme", "your_api_key_here".
_PLACEHOLDER_SECRET = re.compile(
    r"(?i:[$%]\{|\{\{|<|%\(|\$[A-Z_]+$|(.)\1+$|your[_-]|os\.environ|os\.getenv|getenv\(|process\.env|env\[|system\.getenv|(?:change[_-]?me|example|placeholder|redacted|dummy|secret_here"
    r"|x{3,}|\.{3,})$)"
)


#: A time or a date as a whole value: "Password reset requested at: 10:45" names no secret.
_TIME_OR_DATE_VALUE = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:[ ]?[AaPp][Mm])?|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
#: An IPv4 address as a whole value: "Failed password for admin from 212.107.66.251" names no secret.
_IPV4_VALUE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


#: A question for a password or a PIN, to the end of its line: the next turn may answer with it.
_SECRET_QUESTION = re.compile(
    r"(?i:\b(?:password|passwort|passcode|pin|pw|kennwort|kundenkennwort|wachtwoord|contraseña|senha|mot[ ]de[ ]passe"
    r"|hasło|lösenord|passord|salasana|jelszó)\b[^\n?.!]{0,60}[?？])[^\n]*\n"
)
#: The first word of an answer, as a secret's value.
_ANSWER_VALUE = re.compile(r"[\"'`]?([^\s\"'`,;<>]{4,200})")


#: A password, a Wi-Fi key or a one-time code after its word in the languages of European support notes, with up to
#: four words of what it is for between ("Startkennwort wie besprochen Sommer2024!Vogt", "hasło tymczasowe
#: Wisla!2024#tmp", "Parola Wi-Fi nouă: Stan.Casa.2024", "Tillfälligt lösenord satt till Midsommar#24kx", "Ideiglenes
#: jelszó: Balaton!2024x", "code WiFi remis à la cliente : Kx9p-4TQm-22Lb", "nova password do Wi-Fi: coimbra2024casa"),
#: and a one-time code as a log's key ("otp=604913", "mfa=903441"). The value needs a letter and a digit (a code's
#: only digits), so the words between are never taken for it.
_LOOSE_PASSWORD_NEEDLES = frozenset(
    ("kennwort", "passwort", "wachtwoord", "lösenord", "passord", "salasana", "jelszó", "heslo", "hasło", "haslo",
     "parola", "parolă", "şifre", "sifre", "senha", "contraseña", "clave", "password", "mot de passe", "wifi", "wi-fi",
     "otp", "mfa", "2fa=", "totp", "pin=", "pin_", "_pin", "pin\":", "pin1", "pin2", "puk", "passcode", "lockbox",
     "_code", "पासवर्ड", "clé wi", "cle wi", "code wi", "暗号化キー",
     "enable secret", "enable password", "temporary access pass", "wifi key", "wi-fi key", "wlan", "ключ", "anahtar",
     "schlüssel", "appsecret", "app secret", "密钥", "秘钥", "시크릿 키", "מפתח", "clé api", "chave de api", "api-sleutel",
     "api-nyckel", "apisleutel", "palavra-passe", "palavra passe", "nenosiri")
)
_LOOSE_PASSWORD = re.compile(
    r"(?i:(?<![\w-])[^\W\d_]*(?:kennwort|passwort|wachtwoord|lösenord(?:et)?|passord(?:et)?|salasana|jelszó|jelszava"
    r"|heslo|hasło|haslo|parola|parolă|şifre(?:si|niz|n)?|sifre(?:si|niz|n)?|senha|contraseña|clave|password|mot[ ]de[ ]passe"
    r"|पासवर्ड"
    r"|wi-?fi[ -]?(?:kode|koden|code|key|nøgle|wachtwoord|passwort|password|heslo|passord|lösenord|salasana)"
    r"|wlan-?(?:schlüssel|passwort|key|kennwort)|ключ(?:а|ом)?|anahtar(?:ı|ımız|ınız)?|schlüssel|app[ ]?secret"
    r"|密钥|秘钥|시크릿[ ]키|מפתח|המפתח|clé[ ]api|chave[ ]de[ ]api|api-?sleutel|api-?nyckel"
    r"|code[ ]wi-?fi|cl[ée][ ]wi-?fi|enable[ ](?:secret|password)(?:[ ][05789])?|temporary[ ]access[ ]pass"
    r"|(?:wi-?fi|wlan)?暗号化キー"
    r"|palavra[- ]passe|nenosiri"
    # a network's name and its password after a slash ("Wi-Fi: Casa Azul / tamarindjuniper92")
    r"|wi-?fi[ ]?:[ ][^\n/:]{1,32}[ ]/)(?![\w-]))"
    r"(?:[ ](?![^\s:=@]*\d)[^\s:=@]{1,20}){0,6}?[ ]?[:=：]?[ ]*[(\[]?[\"'`“]?"
    r"((?=[^\s\"'`,;<>]*\d)(?=[^\s\"'`,;<>]*[^\W\d_])[^\s\"'`,;<>(\[{][^\s\"'`,;<>]{3,199})"
    r"|(?i:(?<![\w-])[a-z_]*(?:otp|mfa|totp|2fa|pin|puk|passcode|lockbox|gate_code|door_code|access_code|entry_code"
    r"|verification_code|sms_code)[a-z_]*\d?[\"']?[ ]?[=:][ ]?[\"']?)(\d{4,8})(?!\w)"
)


#: Words between a password's word and a value that make the value an account's or an order's id.
_NOT_A_PASSWORD_OWNER = re.compile(
    r"(?i)\b(?:account|acct|user|username|login|order|ticket|case|invoice|ref|reference|booking|id|number|serial"
    r"|product|producto|produkt|promo|coupon|voucher|customer|kunde|cliente|client)\b"
)


def _word_starts(low: str, needles: Iterable[str], glue: str = "") -> list[int]:
    """Where the words of ``low`` that hold one of ``needles`` start (found with str.find, each walked back over its
    letters and the characters of ``glue``), in order: where a pattern led by letters is tried, rather than at
    every position of the text."""
    starts = set()
    for needle in needles:
        i = low.find(needle)
        while i >= 0:
            j = i
            while j and (low[j - 1].isalpha() or low[j - 1] in glue):
                j -= 1
            starts.add(j)
            i = low.find(needle, i + 1)
    return sorted(starts)


#: Full-width punctuation, which ends a value typed in ASCII in Chinese or Japanese text.
_FULL_WIDTH_STOP = re.compile(r"[，。、；：！？）」』]")


def _loose_passwords(text: str, needles: AbstractSet[str] = _LOOSE_PASSWORD_NEEDLES) -> list[PiiMatch]:
    """The secrets of :data:`_LOOSE_PASSWORD`, their trailing punctuation left out; ``needles``, those of
    :data:`_LOOSE_PASSWORD_NEEDLES` the text holds. The pattern is tried only at the start of each word that holds
    one (found with str.find; tried at every position, its leading letters cost ~15 ms over the bench's texts)."""
    low = text.lower()
    matches = []
    if len(low) != len(text):  # a letter whose lower case is longer ("İ"): positions differ, search the text
        matches = list(_LOOSE_PASSWORD.finditer(text))
    else:
        at = -1
        for j in _word_starts(low, needles, glue="_"):  # "_": a log's key ("delivery_otp=5813")
            if j < at:
                continue  # inside the match before
            m = _LOOSE_PASSWORD.match(text, j)
            if m is not None:
                matches.append(m)
                at = m.end()
    out = []
    for m in matches:
        group = 1 if m.group(1) is not None else 2
        if group == 1 and _NOT_A_PASSWORD_OWNER.search(text, m.start(), m.start(1)) is not None:
            continue  # "the password for account AB12345": an id
        value = _FULL_WIDTH_STOP.split(m.group(group), 1)[0].rstrip(".,;:)]}")  # "a9f3c71e，服务器": up to "，"
        if "=" in value or ("@" in value and "." in value.rpartition("@")[2]):
            continue  # a log's next key ("(ip=151.38.90.12)"), an e-mail ("Temp@4471rk" is a password)
        if len(value) >= 4 and _looks_like_a_secret(value) and not _TIME_OR_DATE_VALUE.fullmatch(value):
            start = m.start(group)
            out.append(PiiMatch("CREDENTIALS", start, start + len(value), value, value))
            out += _another_secret(text, start + len(value))  # "i tried Fluffy2019 and Fluffy2020!"
    return out


#: A symbol inside a word, or after its digits: where a password typed without its word may be ("it's now
#: Xq9#vL2!tM7w", "current one Deepika@1234 is expired", "Ancien MDP Soleil2023!"). The pattern is led by the
#: symbol (a class of ten characters is skipped to; ~0.5 us a text over the bench's texts).
_PASSWORD_SYMBOL = re.compile(r"[!#$%&*@?+~](?<=[A-Za-z0-9][!#$%&*@?+~])(?:(?=[A-Za-z0-9])|(?<=\d[!#$%&*@?+~]))")
_PASSWORD_SYMBOLS = frozenset("!#$%&*@?+~")
#: The characters of a password of that shape.
_PASSWORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&*@?+~_.-")
#: What may stand right before such a password (a space, a quote, a bracket, a colon) and right after it.
_PASSWORD_BEFORE = frozenset(" \t\n\"'`(:“‘")
_PASSWORD_AFTER = frozenset(" \t\n\"'`),;”’")
#: An e-mail address's domain after its "@", and a package's version ("Node.js@18.2").
_AT_DOMAIN = re.compile(r"@[A-Za-z0-9-]+\.[A-Za-z]")
_AT_VERSION = re.compile(r"@v?\d+(?:\.\d+)+$")


def _password_shaped(text: str) -> list[PiiMatch]:
    """Passwords by their shape alone, wherever a person typed one (type CREDENTIALS): a word of 8-32 characters
    that mixes upper and lower case, a digit and a symbol (:data:`_PASSWORD_SYMBOLS`), standing alone between
    spaces, quotes or brackets. No id, e-mail address, hashtag or log key looks so; a password's word before it
    is :meth:`PiiRedactor._secrets`' cue, but "it's now Xq9#vL2!tM7w" or "sshpass -p 'Hv7$kP2qW!9z'" has none."""
    out: list[PiiMatch] = []
    end = -1
    size = len(text)
    for m in _PASSWORD_SYMBOL.finditer(text):
        if m.start() < end:
            continue  # inside the word read before
        if m.group() == "@" and _AT_DOMAIN.match(text, m.start()):
            continue  # an e-mail address (most "@" are), not read further
        a = m.start()
        while a and text[a - 1] in _PASSWORD_CHARS:
            a -= 1
        b = m.end()
        while b < size and text[b] in _PASSWORD_CHARS:
            b += 1
        end = b
        if (a and text[a - 1] not in _PASSWORD_BEFORE) or (b < size and text[b] not in _PASSWORD_AFTER):
            continue  # part of a link, a path, a log's key=value or a HL7 field
        if text.startswith("-p", a) and b - a > 2:
            a += 2  # "mysql -u app -pAussie$unset99": the password glued to its flag
        word = text[a:b].rstrip(".,")
        if word[-1:] in "?!" and not _PASSWORD_SYMBOLS.isdisjoint(word[:-1].rstrip("?!")):
            word = word.rstrip("?!")  # a sentence's end: "is it Xq9#vL2!tM7w?"
        if (
            not 8 <= len(word) <= 32 or word[0] in "#@-"
            or _PASSWORD_SYMBOLS.isdisjoint(word)
            or not any(c.isdigit() for c in word) or not any(c.isupper() for c in word)
            or not any(c.islower() for c in word)
            or _AT_DOMAIN.search(word) or _AT_VERSION.search(word)
        ):
            continue
        out.append(PiiMatch("CREDENTIALS", a, a + len(word), word, word))
    return out


#: A letter, a digit and a letter of the other case: what a random token holds (its gate, on the text's shape).
_MIXED_DIGIT = re.compile(r"[a-z][0-9][A-Z]|[A-Z][0-9][a-z]")
#: A run of 16-100 letters, digits, "_" and "-" standing alone (an LDAP scheme's "{SSHA}" before it).
_TOKEN_RUN = re.compile(
    r"(?<![\w{}+/=.%-])(?:\{[A-Z0-9-]+\})?[A-Za-z0-9][A-Za-z0-9_-]{15,99}(?:\.[A-Za-z0-9_-]{4,100}){0,2}(?![\w+/=%-])"
)  # a bot's token is three such parts joined by dots ("MTEyMzQ1Njc4OTAxMjM0NTY3OA.GhT9xQ.p4Lw0sZ2vK8mN3bR7cY1")
#: The letter pieces of a word: an acronym, a word (capitalised or not), a capital alone.
_LETTER_PIECE = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[A-Z]")


def _camel_words(part: str) -> bool:
    """Whether ``part`` is words and numbers run together ("iPhone15ProMax256GB", "Win11Pro2024Update"): a name, no
    random token. Its letters are acronyms and words of three letters or more, one piece shorter at most ("i");
    a random token's are mostly one or two letters between digits ("5Rk9Zq2Wm7Tx4Lp1")."""
    short = 0
    for piece in _LETTER_PIECE.findall(part):
        if len(piece) == 1 or (len(piece) < 3 and not piece.isupper()):
            short += 1
            if short > 1:
                return False
    return True


#: The prefixes of payment objects' ids ("ch_3MqLiJLkdIwHu7ix0snN0B15", "cus_NffrFeUfNV2Hib") and of publishable
#: keys, meant to be public ("pk_live_51HxQ2mK8vLp3nR7"), which look like secret keys.
_ID_PREFIXES = frozenset(
    "ch cus pi pm in sub price prod txn re evt acct card src seti req po ba ii il si ord id usr inv tx cs py pyr tr"
    " prc ref msg dp du pk".split()
)
#: What stands before a key's fingerprint or a hash, no secret ("RSA SHA256:Xk9f3LqP...", "Account SID AC3b2...").
_HASH_BEFORE = ("SHA256:", "SHA1:", "SHA512:", "MD5:", "sha256:", "sha1:", "md5:", "SID ")


def _random_tokens(text: str) -> list[PiiMatch]:
    """API keys, tokens and password hashes by their shape (type CREDENTIALS): a word of 16-100 characters whose
    longest part between "_", "-" and "." (14 or more) mixes upper and lower case (a digit between letters of both
    cases somewhere, :data:`_MIXED_DIGIT`) and four digits or more, and is no run of words and numbers
    (:func:`_camel_words`) nor a payment object's id (:data:`_ID_PREFIXES`): "Ключ:
    api_5Rk9Zq2Wm7Tx4Lp1", "API anahtarımız: sandbox-Qm7Zt2Vx9Lr4Kp1N", "userPassword: {SSHA}k9Zr2Qx7Lm4Vt1Nb8".
    A keyword before them is :meth:`PiiRedactor._secrets`' cue; in a language it has no word of, or pasted bare,
    the shape is all there is."""
    out: list[PiiMatch] = []
    for m in _TOKEN_RUN.finditer(text):
        token = m.group()
        if text.endswith(_HASH_BEFORE, 0, m.start()):
            continue
        body = token[token.index("}") + 1:] if token.startswith("{") else token
        parts = re.split(r"[_.-]", body)
        if parts[0].lower() in _ID_PREFIXES and len(parts) > 1:
            continue
        part = max(parts, key=len)
        if (
            len(part) < 14
            or sum(c.isdigit() for c in part) < 4
            or not any(c.isupper() for c in part)
            or not any(c.islower() for c in part)
            or _camel_words(part)
            or not _MIXED_DIGIT.search(part)  # a digit between letters of both cases: also the gate's test
        ):
            continue
        out.append(PiiMatch("CREDENTIALS", m.start(), m.end(), token, token))
    return out


#: A security question's words, in lower-cased text (the gate of :func:`_answered_questions`).
_SECURITY_QUESTION_NEEDLES = frozenset(
    ("security question", "memorable", "maiden name", "first pet", "pet's name", "first school", "primary school",
     "were you born", "grow up on", "question de sécurité", "premier animal", "jeune fille", "pregunta de seguridad",
     "primera mascota", "sicherheitsfrage", "mädchenname", "erstes haustier", "domanda di sicurezza", "beveiligingsvraag")
)
_SECURITY_QUESTION = re.compile(
    r"(?i:security[ ]question|memorable[ ](?:word|name|place|date)|maiden[ ]name|first[ ]pet|pet['’]?s[ ]name"
    r"|first[ ]school|primary[ ]school|city[ ]were[ ]you[ ]born|town[ ]were[ ]you[ ]born|were[ ]you[ ]born[ ]in"
    r"|street[ ]did[ ]you[ ]grow[ ]up[ ]on|question[ ]de[ ]sécurité|premier[ ]animal|nom[ ]de[ ]jeune[ ]fille"
    r"|pregunta[ ]de[ ]seguridad|primera[ ]mascota|sicherheitsfrage|mädchenname|erstes[ ]haustier|domanda[ ]di[ ]sicurezza"
    r"|beveiligingsvraag)"
)
#: The words an answer may open with before the answer itself ("it's pickles", "sure, st bernadette's").
_ANSWER_FILLER = re.compile(
    r"(?i:(?:(?:um+|uh+|er+|erm|ok(?:ay)?|sure|yes|yeah|yep|right|so|oh|oui|euh|sí|si|ja|c['’]est|es|ist)[ ,.]+"
    r"|(?:it[ ]?['’]?s|it[ ]was|it[ ]is|that['’]?s"
    r"|that[ ]would[ ]be|i[ ]think[ ]it['’]?s|it[ ]should[ ]be)[ ]+)*)"
)
#: A PIN asked for: secret whatever it belongs to ("the 4-digit account PIN?", "your customer PIN"), where an
#: account's or a customer's code would be an id.
_PIN_ASKED = re.compile(r"\bpin\b(?![ ]?(?:code[ ]?)?(?:is|:)?[ ]?\d)|\bpasscode\b|暗証番号|비밀번호")
#: The code an answer gives after a few words ("402913", "got it, 552 019", "il codice è 619 054", "c'est 482 117").
_CODE_ANSWER = re.compile(
    r"(?:[^\W\d_]+['’]?[^\W\d_]*[ ,:]+){0,4}?(?<![\w#-])(\d{4,8}|\d{3}[ ]\d{3})(?!\w|[/.,:-]\w|[ ]\d)"
)


#: A question for a phone number, in lower-cased text (the gate of the phones :func:`_answered_questions` reads).
_PHONE_QUESTION_NEEDLES = frozenset(
    ("phone", "mobile", "telefon", "teléfono", "telefónico", "telefone", "téléphone", "portable", "móvil", "celular",
     "cellulare", "handy", "cell", "whatsapp", "contact number")
)
#: The phone number an answer gives, maybe after a name and a comma ("9820012345", "tan kok wee, 9123 4567").
_PHONE_ANSWER = re.compile(r"(?:[^\W\d_][^\d\n?]{0,30}?[ ,]+)?(?<![\w+])(\+?\d[\d ().-]{6,18}\d)(?![\w.,-]\d|\w)")


def _answered_questions(text: str, low: str, security: bool, codes: bool, phones: bool = False) -> list[PiiMatch]:
    """The answer to a security question ("what was your first pet's name\ncust: pickles"), the whole of the next
    turn after its label and the filler words it opens with, when that is one to five words; and the code given in
    the turn after a line that asks for or sends one ("인증번호를 입력해 주세요.\n[채팅] 고객: 402913", "I've sent
    a fresh code now.\n[11:07] Customer: got it, 552 019"): four to eight digits after at most four words; and
    (``phones``) the number of 8 to 13 digits that answers a question for a phone number ("your registered mobile
    number?\nCustomer: 9820012345"), not for an id's ("order number?")."""
    out: list[PiiMatch] = []
    if ":" not in text and "：" not in text:
        return out  # every answer follows a turn's label
    # the lines that hold a code's or a security question's word
    needles = (
        (_CODE_NEEDLES if codes else frozenset())
        | (_SECURITY_QUESTION_NEEDLES if security else frozenset())
        | (_PHONE_QUESTION_NEEDLES if phones else frozenset())
    )
    line_starts = set()
    for needle in needles:
        i = low.find(needle)
        while i >= 0:
            line_starts.add(low.rfind("\n", 0, i) + 1)
            i = low.find(needle, i + 1)
    for line_start in sorted(line_starts):
        line_end = text.find("\n", line_start)
        if line_end < 0:
            continue
        line = low[line_start:line_end]
        asks_security = security and _SECURITY_QUESTION.search(line) is not None
        # not a code that is an id ("order code", "postcode", "promo code")
        asks_code = (
            codes and any(needle in line for needle in _CODE_NEEDLES)
            and (_NOT_A_SECRET_CODE.search(line) is None or _PIN_ASKED.search(line) is not None)
        )
        asks_phone = (
            phones and ("?" in line or "？" in line) and any(needle in line for needle in _PHONE_QUESTION_NEEDLES)
            and _ID_CUE.search(line) is None
        )
        if asks_security or asks_code or asks_phone:
            label = _TURN_LABEL.match(text, line_end + 1)
            if label is not None:
                next_end = text.find("\n", label.end())
                next_end = len(text) if next_end < 0 else next_end
                if asks_security:
                    start = _ANSWER_FILLER.match(text, label.end()).end()
                    answer = text[start:next_end].rstrip().rstrip(".!,")
                    if (
                        answer and "?" not in answer and len(answer.split()) <= 5 and _count_digits(answer) < 4
                        and PLACEHOLDER.search(answer) is None  # "caller: it's <CREDENTIALS_1>", redacted already
                    ):
                        out.append(PiiMatch("CREDENTIALS", start, start + len(answer), answer, answer.casefold()))
                elif asks_code and (code := _CODE_ANSWER.match(text, label.end(), next_end)) is not None:
                    value = code.group(1)
                    out.append(PiiMatch("CREDENTIALS", code.start(1), code.end(1), value, value))
                elif asks_phone and (number := _PHONE_ANSWER.match(text, label.end(), next_end)) is not None:
                    value = number.group(1)
                    if 8 <= _count_digits(value) <= 13:
                        out.append(PiiMatch("PHONE", number.start(1), number.end(1), value, "".join(filter(str.isdigit, value))))
    return out


def _answered_secrets(text: str) -> list[PiiMatch]:
    """Passwords and PINs given as the answer to a question for one, on the next turn's line ("Kai: Could you give
    me the last password you remember?\nUser: ivanpro2009! or maybe Ivan_pro2009"): its first word when that
    looks like a secret and is more than letters, and one more after "or", "and" or a comma."""
    out: list[PiiMatch] = []
    for q in _SECRET_QUESTION.finditer(text):
        label = _TURN_LABEL.match(text, q.end())
        value = _ANSWER_VALUE.match(text, label.end()) if label is not None else None
        if value is None:
            continue
        secret = value.group(1).rstrip(".,;:)]}")
        if len(secret) >= 4 and _looks_like_a_secret(secret) and not secret.isalpha() and "@" not in secret:
            out.append(PiiMatch("CREDENTIALS", value.start(1), value.start(1) + len(secret), secret, secret))
            out += _another_secret(text, value.start(1) + len(secret))
    return out


def _another_secret(text: str, end: int) -> list[PiiMatch]:
    """A second secret right after one that ends at ``end`` (:data:`_ANOTHER_SECRET`: "tried password Tigger#2019 and
    tigger2019!", "ivanpro2009! or maybe Ivan_pro2009"), when it looks like one and holds more than letters."""
    more = _ANOTHER_SECRET.match(text, end)
    if more is None:
        return []
    other = more.group(1).rstrip(".,;:)]}")
    if len(other) >= 4 and _looks_like_a_secret(other) and not other.isalpha():
        return [PiiMatch("CREDENTIALS", more.start(1), more.start(1) + len(other), other, other)]
    return []


def _looks_like_a_secret(value: str) -> bool:
    """Whether a value after a password or key keyword is one: it holds a digit or a symbol, mixes cases, or is
    long (12 characters or more); a word in lower case ("wrong", "expired", "reset") is not, nor a placeholder
    (:data:`_PLACEHOLDER_SECRET`: "${DB_PASSWORD}", "********")."""
    if (
        _PLACEHOLDER_SECRET.match(value) or "://" in value or value.lower().startswith("www.")
        or _IPV4_VALUE.fullmatch(value) or _TIME_OR_DATE_VALUE.fullmatch(value)
    ):
        return False  # a placeholder, a link ("the password reset link is https://..."), an IP address, a time
    if len(value) >= 12 or any(c.isdigit() for c in value):
        return True
    if not value.isalpha():
        return True  # "P@ssw0rd", "correct-horse"
    return not value.islower() and not value.istitle() and not value.isupper()  # "hUnTeR"


#: The word before an access, porting or gift-card code in lower-cased text, for :func:`_may_hold_secret`.
_MAY_BE_ACCESS_CODE = re.compile(
    r"(?:gate|door|lock ?box|key ?safe|alarm|safe|entry|access|keypad|garage|padlock|building|pac|porting|port.out"
    r"|transfer|epp|auth|authorization|gift card|verification|security|sms|login|sign-?in|2fa|mfa|authenticator"
    r"|guard|one.time|otp)\b[^\n]{0,24}code|\bcode[ ]for[ ][^\n]{0,20}(?:gate|door|lockbox|alarm|garage|building|entrance)"
)


#: "code", then six digits (in two halves or not) within 30 characters on its line: an SMS code may be there.
_CODE_THEN_DIGITS = re.compile(r"\bcode\b[^\n]{0,30}?\d{3}[ ]?\d{3}(?!\d)")
#: "code for the gate": a code named before what it opens.
_CODE_FOR_A_DOOR = re.compile(r"\bcode[ ]for[ ][^\n]{0,20}(?:gate|door|lockbox|alarm|garage|building|entrance)")


#: The strings of :func:`_may_hold_secret` any one of which opens it on its own: one set test of the text's
#: :func:`_needles_in` (most texts hold none; forty "<needle>" in h tests cost ~1.5 us a text, the set test ~0.1 us).
_SECRET_GATE_NEEDLES = frozenset((
    "pass", "key", "token", "secret", "pw", "bearer", "pin ", "pin:", "pin=", "pincode", "eyj", "xox", "aiza", "sk-",
    "akia", "asia", "psk", "recovery cod", "backup cod", "otp", "cvv", "cvc", "solo uso", "admin /", "admin/", "root /",
    "kennwort", "wachtwoord", "contraseña", "senha", "hasło", "şifre", "mot de passe", "digits on the back",
    "glpat-", "pypi-", "sg.",
    "mysql", "curl", "wget", "--pass",  # _SECRET_IN_COMMAND
)) | frozenset(_PICKUP_AND_SEED_NEEDLES)


def _may_hold_secret(low: str, h: AbstractSet[str] | None = None) -> bool:
    """False only when none of :data:`_SECRET_WORDS` is in the text whose lower case is ``low``: one of
    :data:`_SECRET_GATE_NEEDLES`, or a word that counts only with more around it."""
    if h is None:
        h = _needles_in(low)
    return (
        not h.isdisjoint(_SECRET_GATE_NEEDLES)
        or (" code" in h and (_MAY_BE_ACCESS_CODE.search(low) is not None or _CODE_THEN_DIGITS.search(low) is not None))
        or ("_" in low and (
            "k_live_" in h or "k_test_" in h or "gh" in h or "github_pat" in h or "whsec_" in h or "npm_" in h
            or "hf_" in h or "shp" in h
        ))
        or ("login" in h and "/" in low)
    )


#: A URL with a user and a password before its host; a "#" may be in the password ("postgres://app_rw:Xr9!vKq2#Lm7pW@db").
_URL_WITH_USERINFO = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{1,15}://([^\s/?@<>\"']+)@[^\s/?#<>\"']+")

# --- digits: cards, SSN, IP, phones -----------------------------------------------------------------------
#: Dashes a text may hold between digit groups (hyphen, non-breaking hyphen, figure, en and em dash, minus):
#: each read as "-".
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"})
_DIGIT = re.compile(r"\d")
#: Not right after ":" or "#", unless a word ends there: a key ("ssn:123-45-6789", "cc#4111...", "tel:+1...")
#: names the value, where a time ("12:30"), an IPv6 group or an issue number ("#12345") does not.
_AFTER_KEY = r"(?:(?<![#:])|(?<=[A-Za-z][#:]))"
#: A run of digit groups separated by single spaces or dashes, not glued to a word, id or decimal.
_DIGIT_GROUPS = re.compile(r"(?<![\w.,/+-])" + _AFTER_KEY + r"\d+(?:[ -]\d+)*(?![\w/:-]|[.,]\d)")
_GROUP = re.compile(r"\d+")
_SSN = re.compile(r"(?<![\w.,/-])" + _AFTER_KEY + r"(\d{3})([- ])(\d{2})\2(\d{4})(?![\w/-]|[.,:]\d)")
_SSN_BARE = re.compile(r"(?<![\w.,/-])" + _AFTER_KEY + r"(\d{3})(\d{2})(\d{4})(?![\w/-]|[.,:]\d)")
_SSN_CUE = re.compile(r"(?:\bssn|social security(?: number| no\.?| #)?|\bss#)\W{0,6}(?:is\W{0,3})?$", re.IGNORECASE)
#: An SSN named anywhere shortly before a number: then an id word before it does not make it an id ("SSN /
#: account number: 512-34-7781", "tax ID number 512-34-7781").
_SSN_WORD = re.compile(r"(?i:\bssn|social security|\bss#|\btax(?:payer)?[ -]?id)|\bI?TIN\b")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d|\w)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])")
#: What a four-part version number follows (it would read as an IPv4 address): a version word, a comparison
#: ("urllib3 >= 1.2.1.0"), an update verb ("upgraded the app to 2.14.3.1", "rolled back from 3.1.0.2",
#: "reverted to 4.2.0.1"), a requirement ("Requires 2.0.0.1", "requires at least 1.0.0.4") or a test ("tested
#: on 4.0.0.2").
_VERSION_CUE = re.compile(
    r"(?:\b(?:version|ver\.?|build|release|firmware|fw|v)(?:[ ]*[:=])?|[<>!~]=?|=="
    r"|ファームウェア|ファームウエア|固件(?:版本)?|펌웨어|прошивк[аиуе]|\b(?:introduced|fixed|regressed)[ ]+in"
    r"|\b(?:updat|upgrad|downgrad|install|reinstall|patch)\w*(?:[ ]+(?:it|the app|app|firmware|everything))?"
    r"(?:[ ]+(?:to|from|with))?|\b(?:rolled|rolling)[ ]+(?:it[ ]+)?back[ ]+(?:to|from)"
    r"|\brevert(?:ed|ing|s)?(?:[ ]+it)?(?:[ ]+back)?[ ]+(?:to|from)|\brequire[sd]?(?:[ ]+at[ ]+least)?"
    r"|\btested[ ]+(?:on|with|against))\s*$",
    re.IGNORECASE,
)
#: What follows a version number and never an address: "1.2.3.4 or later", "2.0.0.1 or newer", "and above",
#: "after the 5.15.10.45 update"; not "later" or "up" going on to somewhere ("10.0.0.1 and later to 10.0.0.2",
#: "10.0.0.1 and up to 10.0.0.9").
_VERSION_AFTER = re.compile(
    r"[ ]+(?i:or|and)[ ]+(?i:later|newer|higher|above|greater|up)(?![\w-]|[ ]+(?i:to|on|at|from|in|into|via)\b)"
    r"|[ ]+(?i:update|upgrade|firmware|release)\b"
)
#: The octets of a network mask ("permit=137.118.17.162/255.255.255.255", "netmask 255.255.255.0"): a mask
#: identifies nobody.
_MASK_OCTETS = frozenset({"0", "128", "192", "224", "240", "248", "252", "254", "255"})
#: What joins a version number to the next one ("from 3.1.0.2 to 3.1.0.4"): that one is a version too.
_VERSION_JOINERS = frozenset((" to ", " -> ", " → ", " or ", " and ", ", ", " / ", "/"))
#: A word character of a script that writes words without spaces (kana, CJK ideographs, hangul) is no word's edge
#: for a number glued to it ("電話は080-3319-4472です").
_WORD_NOT_CJK = r"[^\W\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"
_PHONE_CANDIDATE_BODY = (
    r"(?<!" + _WORD_NOT_CJK + r")(?<![+@./-])" + _AFTER_KEY + r"(?:\+[ ]?|00)?(?:\(\d{1,5}\)[ ]?)?\d(?:[ .()\-/]{0,2}\d){5,16}"
    r"(?!" + _WORD_NOT_CJK + r"|[@/-]|:(?![ \n])|[.,]\d)"  # a ":" after it only before a space: "+49 151 2345678: hello" (a sender)
)
#: Hand-written lead (test_fast_paths compares the matches with and without it): every match of the body
#: starts with "+", the "0" of "00", "(" or a digit, so the look-ahead changes nothing it finds; a pattern
#: that opens with a look-behind is tried at every position, the look-ahead skips to those characters
#: (~30% less time on the texts the phone gate lets through).
_PHONE_CANDIDATE = re.compile(r"(?=[+(\d])" + _PHONE_CANDIDATE_BODY)
_ID_CUE = re.compile(
    r"(?:(?:\b|_)(?:order|ticket|invoice|case|ref|reference|tracking|transaction|confirmation|booking|sku|serial|"
    r"id|po|acct|account|item|model|part|reservation|isbn|issn|ean|upc|clause|section|imei"
    # national and health numbers ("My NHS number is 943 476 5919", "СНИЛС 123-456-789 01", "TAJ-szám: 044 712 088")
    r"|nhs|medicare|ppsn?|pps|sin|nric|aadhaar|aadhar|pan|bsn|cpf|dni|nie|nif|pesel|snils|снилс|инн|taj"
    r"|rnokpp|tckn|tc[ ]kimlik)\b\W{0,4}"
    r"(?:(?:number|no|num|nr|code|szám|számа|номер)\b\W{0,4})?"  # "confirmation code", "booking code", "TAJ-szám"
    # Words that are ordinary English too ("thanks a lot!", "my policy") introduce an id only with a number
    # word, "#" or a colon right after them, on the same line: "claim number", "batch #", "policy no.:".
    r"|\b(?:claim|policy|member|membership|batch|lot|licen[cs]e|voucher|coupon|promo|gift card|meter reading|"
    r"shipment|parcel|vin)[ ]?(?:(?:number|no|num|nr|id|code)\b\.?[ ]?:?|#)[ ]{0,2}"
    r"|\b(?:claim|policy|batch|lot|licen[cs]e|voucher|coupon|promo|gift card|meter reading|shipment|parcel):[ ]{0,2}"
    # an order or tracking number in Japanese, Chinese, Korean and Indonesian ("注文番号 250-8841023", "resi JP88...")
    r"|(?:注文番号|注文|订单号|订单|주문번호|운송장번호|송장번호|伝票番号|追跡番号|快递单号|单号|\bresi|\bpesanan)[ ]?[:：]?[ ]{0,2})"
    r"(?:(?:is|was)\b\W{0,4})?\Z",  # "order number is", "case no. was"; \Z: not before a final line break
    re.IGNORECASE,
)
#: :data:`_ID_CUE` anywhere, not only right before a number.
_ID_WORD = re.compile(_ID_CUE.pattern.removesuffix(r"\Z"), re.IGNORECASE)
_PHONE_CUE = re.compile(
    r"\b(?:call|callback|phone|tel|telephone|mobile|cell|number|reach|text|whatsapp|contact|fax|ring|dial|sms|mob|ph|"
    r"cellulare|telefono|telefoon|numero|número|nummer|cb|llamen|llámame|llamar|ligar|ligue|appelez|joindre|sđt|contacto|"
    r"(?:direct|land|hot|help|phone)[ ]?line|tél|téléphone|portable|telefon|teléfono|móvil|movil|handy|cel|celular|nomor"
    r"|hp|tlm|telemóvel|kabarin|hubungi|gcash|m-?pesa|paynow(?:-ed)?|simu|namba"
    r"|kontakt|kontaktní|kontaktu|mobil|mobiel|puhelin|tlf|telp|gsm|điện[ ]thoại|telefonu|telefonszám)\b"
    r"|연락처|전화|휴대폰|電話|携帯|电话|手机|الجوال|جوال|رقم|ফোন|फोन|फ़ोन|мобіл|телефон|тел\.|τηλ",
    re.IGNORECASE,
)
_DATE_START = re.compile(r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})(?!\d)")
_DATE_FULL = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")
#: A date a form writes in boxes, day or month first, then the year ("07 22 1986").
_DATE_SPACED = re.compile(r"^(?:0?[1-9]|[12]\d|3[01])[ ](?:0?[1-9]|[12]\d|3[01])[ ](?:19|20)\d{2}$")
#: Shapes that are not phone numbers: decimals, ranges ("32768-65535"), US ZIP+4 codes ("02110-1301").
_NOT_PHONE = re.compile(r"^(?:\d+\.\d+|[1-9]\d{3,}-\d{4,}|\d{5}-\d{4})$")

# --- IBAN -------------------------------------------------------------------------------------------------
#: Any case: "de89 3704 ..." is as much an IBAN as "DE89 3704 ..." (the checksum is case-blind).
_IBAN = re.compile(r"(?<![\w-])([A-Za-z]{2})(\d{2})((?:[ ]?[A-Za-z0-9]){10,32})")
#: Total IBAN length per country (SWIFT IBAN registry).
_IBAN_LENGTH = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

# --- street addresses --------------------------------------------------------------------------------------
def _trie(words: Iterable[str]) -> str:
    """A pattern (a non-capturing group) matching exactly ``words``, written as a trie: re tries an alternation's
    branches one by one, so "r(?:ue|oute)" rules out "rue" and "route" with one test of "r" (a gate of 24 words
    cost twice as much as a flat alternation)."""
    words = sorted(set(words))
    if not words:
        return "(?!)"
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[:1], []).append(word[1:])
    branches = []
    for head, tails in groups.items():
        if head == "":
            continue
        rest = [t for t in tails if t]
        body = _trie(rest) if rest else ""
        branches.append(re.escape(head) + (body + ("?" if "" in tails else "") if rest else ""))
    if len(branches) == 1 and "" not in groups:
        return branches[0]  # one way on: no group ("allée", not "a(?:l(?:l(?:é(?:e))))")
    pattern = "(?:" + "|".join(branches) + ")"
    return pattern + "?" if "" in groups else pattern


def _latin_letters(cased: Callable[[str], bool]) -> str:
    """The letters beyond ASCII of the Latin alphabets, Latin-1 Supplement from U+00C0, Latin Extended-A and -B,
    the IPA letters that African and Azerbaijani alphabets use ("Məmmədov", "Kɔfi") and Latin Extended Additional,
    for which ``cased`` (str.isupper or str.islower) holds, as the body of a
    regex character class (runs written as ranges). Names are written in all of them: "Łukasz", "Dvořák",
    "Yılmaz", "Ștefan", "Nguyễn Thị Hương"; a class that stopped at Latin-1 missed every such name."""
    points = [c for c in (*range(0xC0, 0x2B0), *range(0x1E00, 0x1F00)) if cased(chr(c))]
    runs: list[list[int]] = []
    for c in points:
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in runs)


#: A capital and a small letter of a name, for the character classes of the name, city and cue patterns.
_UP = "A-Z" + _latin_letters(str.isupper)
_LO = "a-z" + _latin_letters(str.islower)
#: A letter of a Latin alphabet, either case.
_LATIN_LETTER = re.compile(r"[" + _UP + _LO + r"]")

_SUFFIX = (
    r"(?:(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Place|Way|Terrace|Circle|Parkway|Highway|Square|Close|"
    r"Crescent|Row|Trail|Alley|Plaza|Walk|Mews|Gardens|Grove|Loop|Pike|Expressway|Crossing|"
    # British street words ("5 Kestrel Rise", "7 Marine Parade", "12 Harbour View", "3 Mill Wharf")
    r"Rise|Parade|View|Vale|Wharf|Quay|Meadows|Heights|Approach|Croft|Wynd|Esplanade|Promenade|Embankment)\b"
    r"|(?:St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Ter|Cir|Pkwy|Hwy|Sq|Cres|Trl)\b\.?)"  # only abbreviations take a period
)
_UNIT = r"(?:,?[ ](?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|Bldg|#)\.?[ ]?#?[A-Za-z0-9-]{1,6}\b)"
#: Street words a street's name may end with in lower case after its capitalised name ("12 Main street",
#: "42 Oak avenue"): only those that are no product or everyday noun after a brand or an adjective ("2
#: Samsung drive", "the 3 Right way", "5 Star place", "Step 2 Close"; lower-case "drive", "way", "place",
#: "court", "close", "square" stay out).
_SUFFIX_WORDS_LOWER = ("street", "avenue", "road", "boulevard", "lane", "terrace", "crescent", "parkway")
#: What parts a street from its city: ", " on one line, or a line break: shipping labels and signatures put
#: the city on the line under the street ("123 Main St\nSpringfield, IL 62704", "10 Downing Street\nLondon
#: SW1A 2AA"), and the whole block is one address.
_TAIL_BREAK = r"(?:,[ ]|,?[ ]*\r?\n[ ]*)"
#: A city's name of up to three words ("Springfield", "New York", "Salt Lake City", "Montréal", "Wilkes-Barre").
_CITY = r"[" + _UP + r"][" + _LO + r"]+(?:[ -][" + _UP + r"][" + _LO + r"]+){0,2}"
_CITY_UPPER = r"[" + _UP + r"]{2,}(?:[ -][" + _UP + r"]{2,}){0,2}"
#: The postcodes after a city: US state and ZIP ("IL 62704", "NY 10036-1234"); UK postcode ("SW1A 2AA"),
#: which may stand on a line of its own ("London\nSW1A 2AA"); Canadian province and postcode ("ON M5B 2H1":
#: the postcode's letters leave out D F I O Q U, and W Z never open it); Australian state and postcode ("NSW
#: 2000"). Each in capitals too, where the letters are the same.
_US_POSTCODE = r",?[ ][A-Z]{2}[ ]\d{5}(?:-\d{4})?\b"
_UK_POSTCODE = r"(?:,?[ ]|,?[ ]*\r?\n[ ]*)[A-Z]{1,2}\d[A-Z\d]?[ ]\d[A-Z]{2}\b"
_CA_POSTCODE = (
    r",?[ ](?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT)[ ]"
    r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ ]?\d[ABCEGHJ-NPRSTV-Z]\d\b"
)
_AU_POSTCODE = r",?[ ](?:NSW|VIC|QLD|SA|WA|TAS|NT|ACT)[ ]\d{4}\b"
_POSTCODES = "(?:" + "|".join((_US_POSTCODE, _UK_POSTCODE, _CA_POSTCODE, _AU_POSTCODE)) + ")"


def _tail(city: str) -> str:
    """The city and postcode after a street (:data:`_TAIL_BREAK`, a city, one of the postcodes above)."""
    return _TAIL_BREAK + city + _POSTCODES


#: Localities after a street on its line, each after a comma: up to three of one to three capitalised words
#: ("Victoria Island", "Co. Kerry", "Cape Town"), then maybe a postcode of four to six digits or an Irish
#: Eircode ("V92 F4W8").
_LOCALITY_TAIL = re.compile(
    # a street's number after its word ("Ang Mo Kio Ave 6") and a Singapore or Malaysian unit ("#08-214")
    r"(?:[ ]\d{1,2}(?=,[ ]#))?(?:,[ ]#\d{1,3}-\d{1,4}[A-Z]?)?"
    # a county's, a barangay's or a colonia's word before a locality ("Co. Kerry", "Brgy. San Roque", "Col. Centro")
    r"(?:,[ ](?:(?:Co|Brgy|Bgy|Col|Kel|Kec)\.[ ]|Barangay[ ])?[" + _UP + r"][" + _LO + r"]+(?:[ -][" + _UP + r"][" + _LO + r"]+){0,2}(?:[ ]\d{1,2}(?![\d-]))?){1,3}"
    r"(?:,?[ ](?:\d{4,6}(?![\d-])|[AC-FHKNPRTV-Y]\d[0-9W][ ]?[0-9AC-FHKNPRTV-Y]{4}\b))?"
)
#: A unit right before a street's number: "Apt 31, ", "Unit 7, The Courtyards, " is left out.
_UNIT_BEFORE = re.compile(
    r"(?<![\w-])(?:(?:Apt|Apartment|Unit|Flat|Suite|Ste)\.?[ ]#?[A-Za-z0-9-]{1,6},[ ]|(?:Blk|Block|BLK)\.?[ ]?)\Z"
)


#: A line of only a city and postcode (and maybe the country): under a street line that goes on after the
#: street ("123 Main St (back door)\nSpringfield, IL 62704", "59 Temple Place, Suite 330 ...\nBoston, MA
#: 02111-1307 USA") it is the same address, found as an address of its own. Alone it is not one ("Boston, MA
#: 02110-1301" in a licence's text names no street).
_COUNTRY = r"(?:,?[ ](?:USA|U\.S\.A\.|United States|Canada|Australia|UK|United Kingdom))?"
_CITY_LINE = re.compile(r"[ ]*(" + _CITY + _POSTCODES + _COUNTRY + r")[ ]*(?:\r?\n|\Z)")
_CITY_LINE_UPPER = re.compile(
    r"[ ]*(" + _CITY_UPPER + _POSTCODES + r"(?:,?[ ](?:USA|CANADA|AUSTRALIA|UK))?)[ ]*(?:\r?\n|\Z)"
)


_ADDRESS_EN = re.compile(
    r"(?<![\w$#.,/-])(?:\d{1,5}/)?\d{1,6}[A-Za-z]?(?:-\d{1,4})?[ ]"  # "2/45 Chapel St": unit 2, number 45
    r"(?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?[ ])?"
    # a Spanish or Portuguese letter in a street's name ("414 Osmeña Blvd"), initials ("125 J.P. Laurel Ave")
    r"(?:(?:(?:O['’]|D['’]|Mc|Mac)?[A-Z][a-zà-öø-ÿ]+(?:['’]s)?|St\.|Mt\.|(?:[A-Z]\.){1,2}|\d{1,3}(?:st|nd|rd|th))[ ]){1,3}"
    # "Jr" past the three words of a name: "1234 Martin Luther King Jr Blvd"
    r"(?:Jr\.?[ ])?"
    r"(?:" + _SUFFIX + "|(?:" + "|".join(_SUFFIX_WORDS_LOWER) + r")\b)"
    r"(?:[ ](?:N|S|E|W|NE|NW|SE|SW)\b\.?)?" + _UNIT + r"?(?P<tail>" + _tail(_CITY) + r")?"
)
#: The street words of _SUFFIX in capitals, for addresses written in capitals ("12 MAIN STREET").
_SUFFIX_WORDS_UPPER = (
    "STREET AVENUE ROAD BOULEVARD LANE DRIVE COURT PLACE WAY TERRACE CIRCLE PARKWAY HIGHWAY SQUARE CLOSE CRESCENT ROW "
    "TRAIL ALLEY PLAZA WALK MEWS GARDENS GROVE LOOP PIKE EXPRESSWAY CROSSING"
).split()
_SUFFIX_ABBREVIATIONS_UPPER = "ST AVE RD BLVD LN DR CT PL TER CIR PKWY HWY SQ CRES TRL".split()
#: _ADDRESS_EN for an address in capitals: "12 MAIN STREET", "221B BAKER ST, LONDON NW1 6XE", "500 W
#: O'CONNELL AVE, APT 4, SPRINGFIELD, IL 62704".
_ADDRESS_EN_UPPER = re.compile(
    r"(?<![\w$#.,/-])\d{1,6}[A-Z]?(?:-\d{1,4})?[ ]"
    r"(?:(?:N|S|E|W|NE|NW|SE|SW|NORTH|SOUTH|EAST|WEST)\.?[ ])?"
    r"(?:(?:(?:O['’]|D['’])?[A-Z]{2,}(?:['’]S)?|ST\.|MT\.|[A-Z]\.|\d{1,3}(?:ST|ND|RD|TH))[ ]){1,3}(?:JR\.?[ ])?"
    r"(?:(?:" + "|".join(_SUFFIX_WORDS_UPPER) + r")\b|(?:" + "|".join(_SUFFIX_ABBREVIATIONS_UPPER) + r")\b\.?)"
    r"(?:[ ](?:N|S|E|W|NE|NW|SE|SW)\b\.?)?"
    r"(?:,?[ ](?:APT|APARTMENT|SUITE|STE|UNIT|FL|FLOOR|RM|ROOM|BLDG|#)\.?[ ]?#?[A-Z0-9-]{1,6}\b)?"
    r"(?P<tail>" + _tail(_CITY_UPPER) + r")?"
)
_STREET_SUFFIXES_UPPER = frozenset(_SUFFIX_WORDS_UPPER + _SUFFIX_ABBREVIATIONS_UPPER)
#: _ADDRESS_EN for an address written all in lower case, as chat users type them ("4001 park road, springfield,
#: il 62732", "5575 cedar lane, apt 29, raleigh, nc 27650"). Lower-case words before a street word are prose as
#: often ("2 hard drive", "3 times in a row, case id 48213"), so only a whole address counts: the street, the
#: city, a comma and a state of :data:`_US_STATES` with its ZIP ("row, case id 48213" has no comma before "id"),
#: or a UK postcode (see PiiRedactor._addresses).
_ADDRESS_EN_LOWER = re.compile(
    r"(?<![\w$#.,/-])(?:[0-9]{1,5}/)?[0-9]{1,6}[a-z]?[ ]"
    r"(?:(?:n|s|e|w|ne|nw|se|sw|north|south|east|west)\.?[ ])?"
    r"(?:[a-z]+(?:['’]s)?[ ]|[0-9]{1,3}(?:st|nd|rd|th)[ ]){1,3}(?:jr\.?[ ])?"
    # street words that are no everyday words (group "strict"), or the others ("drive", "way", "row", "place")
    r"(?:(?P<strict>(?:" + "|".join(_SUFFIX_WORDS_LOWER) + r")\b|(?:st|ave|rd|blvd|ln|dr|ct|pl|ter|pkwy|hwy|cres)\b\.?)"
    r"|(?:" + "|".join(w.lower() for w in _SUFFIX_WORDS_UPPER) + r")\b|(?:"
    + "|".join(w.lower() for w in _SUFFIX_ABBREVIATIONS_UPPER) + r")\b\.?)"
    r"(?:[ ](?:n|s|e|w|ne|nw|se|sw)\b\.?)?"
    r"(?:,?[ ](?:apt|apartment|suite|ste|unit|fl|floor|rm|room|bldg|#)\.?[ ]?#?[a-z0-9-]{1,6}\b)?"
    r",[ ][a-z]+(?:[ -][a-z]+){0,2}"
    # a comma before the state, which a strict street word may go without ("9 elm ct, cary nc 27513"); a UK
    # postcode; a Canadian province and postcode ("vancouver bc v6b 2p6")
    r"(?:(?:,|(?(strict)|(?!)))[ ](?P<state>[a-z]{2})[ ][0-9]{5}(?:-[0-9]{4})?(?![\w-])"
    r"|,?[ ][a-z]{1,2}[0-9][a-z0-9]?[ ][0-9][a-z]{2}\b"
    r"|,?[ ](?:ab|bc|mb|nb|nl|ns|nt|nu|on|pe|qc|sk|yt)[ ][abceghj-nprstvxy][0-9][abceghj-nprstv-z][ ]?[0-9][abceghj-nprstv-z][0-9]\b)"
)
#: _ADDRESS_DE in lower case, with the postcode and city that make it one: "lindenstraße 61, 80705 münchen"
#: (not "-ring" streets: "spring 3", "during 2024").
_ADDRESS_DE_LOWER = re.compile(
    r"(?<![\w-])(?:(?:am|an der|auf der|im|in der|zum|zur)[ ])?[a-zäöüß]{2,}(?:straße|strasse|str\.|weg|platz|allee|gasse|damm)"
    r"[ ][0-9]{1,4}[a-z]?,[ ][0-9]{5}[ ][a-zäöüß]+\b"
)
#: A postcode in lower case after a space (US state and ZIP, UK postcode) or a German one after a comma: the
#: gate of _ADDRESS_EN_LOWER and _ADDRESS_DE_LOWER.
_LOWER_POSTCODE = re.compile(r"[ ](?:[a-z]{2}[ ][a-z][0-9][a-z][ ]?[0-9][a-z][0-9]\b|[a-z]{2}[ ][0-9]{5}(?:-[0-9]{4})?(?![\w-])|[a-z]{1,2}[0-9][a-z0-9]?[ ][0-9][a-z]{2}\b)|,[ ][0-9]{5}[ ][a-zäöüß]")

#: A PO box, with the city, state and ZIP after it when they follow ("PO Box 4471, Tulsa, OK 74159").
_PO_BOX = re.compile(
    r"\b(?:P\.?[ ]?O\.?[ ]?Box|Post Office Box|S\.L\.P\.)[ ]\d{1,6}\b"
    # East Africa's postal code after the box, and the town ("P.O. Box 15012-00100, Nairobi", "S.L.P. 70301, Arusha")
    r"(?:(?:-\d{5})?,[ ](?-i:[A-Z][a-z]+(?:[ ](?:es[ ])?[A-Z][a-z]+)?)(?![\w ]*\d)|" + _TAIL_BREAK + _CITY + _US_POSTCODE + ")?",
    re.IGNORECASE,
)
#: A German street and number ("Hauptstraße 5", "Am Nordring 12a, 10115 Berlin"). A "-ring" street also needs
#: a postcode after it or a German word before it (see _ring_street_out_of_context): "Bring 2 copies", "Spring
#: 2024", "During 2023" and "Recurring 3 times" are English.
_ADDRESS_DE = re.compile(
    r"(?<![\w-])(?:[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+){0,3}[ -])?"  # "Karl-Marx-Allee", "Konrad-Adenauer-Straße"
    r"(?:(?!Instr\.)[A-ZÄÖÜ][a-zäöüß]*(?:straße|strasse|str\.|weg|platz|allee|gasse|damm|ring)"
    r"|Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse)[ ]\d{1,4}[a-z]?\b"
    # the floor or flat before the postcode ("Friedrichstraße 68, 3. OG, 10117 Berlin", "Hauptstraße 17, 2. OG links, ...")
    r"(?:(?:,[ ](?:\d{1,2}\.[ ]?(?:OG|Etage|Stock|Obergeschoss)|EG|DG|UG|Hinterhaus|Seitenflügel|Vorderhaus"
    r"|(?:Rgb\.|Hinterhof|Whg\.|Wohnung|App\.|Apt\.)(?:[ ]?\d{1,4}[a-z]?)?(?:[ ]\d{1,2}\.[ ]?OG)?)"
    r"(?:[ ](?:links|rechts|Mitte|li\.|re\.))?){1,2}(?=,[ ]\d{5}[ ]|[ ]*\n\d{5}[ ]))?"
    r"(?:,[ ](?:[AD]-)?\d{4,5}[ ][A-ZÄÖÜ][a-zäöüß]+)?"  # German five digits, Austrian and Swiss four ("6020 Innsbruck")
)
#: _ADDRESS_DE in capitals ("HAUPTSTRASSE 5, 10115 BERLIN", "BAHNHOFSTR. 12"): the word before the street
#: only when it is one that opens a German street name ("ALTE POSTSTRASSE 5", "AM NORDRING 3", "MÜNCHNER
#: STRASSE 58": a place's adjective in "-ER"), since in shouted prose it is mostly an English word ("SHIP TO
#: HAUPTSTRASSE 5").
#: A German street named without a street word, after "Am", "An der", "Im", ... ("Am Lindenhof 4, 50667 Köln"):
#: only with its postcode and city.
_ADDRESS_DE_PLACE = re.compile(
    r"(?<![\w-])(?:Am|An der|An den|Auf der|Auf dem|Im|In der|In den|Zum|Zur|Unter den|Hinter der)[ ]"
    r"[A-ZÄÖÜ][a-zäöüß]+(?:[ -][A-ZÄÖÜ][a-zäöüß]+)?[ ][0-9]{1,4}[a-z]?,[ ][0-9]{5}[ ][A-ZÄÖÜ][a-zäöüß]+"
)
_ADDRESS_DE_UPPER = re.compile(
    r"(?<![\w-])(?:(?:ALTE|ALTER|NEUE|NEUER|GROSSE|GROẞE|KLEINE|OBERE|UNTERE|LANGE|HOHE|AM|AN DER|AUF DER|IM|"
    r"IN DER|ZUM|ZUR|(?!ANOTHER\b|WHETHER\b|WHATEVER\b|HOWEVER\b|WHENEVER\b|WHEREVER\b)[A-ZÄÖÜ]{4,}ER)[ -])?"
    r"(?:(?!INSTR\.)[A-ZÄÖÜ]*(?:STRASSE|STRAẞE|STR\.|WEG|PLATZ|ALLEE|GASSE|DAMM)|[A-ZÄÖÜ]{2,}RING)"
    r"[ ]\d{1,4}[A-Z]?\b(?:,[ ]\d{5}[ ][A-ZÄÖÜ]{2,})?"
)
_FR_STREET_NAME = r"[ ](?:(?:de la|de l'|du|des|de|la|le|l'|d')[ ]?)?[A-ZÀ-Ý][\w'-]+(?:[ ][A-ZÀ-Ý][\w'-]+){0,2}"
#: The postcode and city after a comma or on the next line; a Quebec address's city, province and postcode.
#: A French flat, building, staircase or floor between the street and the postcode ("app. 3", "Bât. B", "3e étage").
_FR_UNITS = (
    r"(?:,[ ](?i:app\.?|apt\.?|appartement|bât\.?|bâtiment|bureau|porte|escalier|esc\.|\d{1,2}(?:e|er|ème)[ ]étage)"
    r"(?:[ ][\w.]{1,6})?)*"
)
_FR_TAIL = (
    r"(?:" + _FR_UNITS + r"(?:(?:,[ ]|,?[ ]*\r?\n[ ]*)\d{4,5}[ ][A-ZÀ-Ý][\w-]+"  # Swiss and Belgian four digits
    # Quebec: the city, the province and the postcode ("Montréal (Québec) H2J 2L3", "Laval, QC H7N 1A1")
    r"|,[ ]" + _CITY + r"(?:[ ]\((?:Québec|Qc|QC)\)|,?[ ](?:QC|Québec))[ ][A-Z]\d[A-Z][ ]?\d[A-Z]\d)|" + _tail(_CITY) + r")"
)
_ADDRESS_FR = re.compile(
    r"(?<![\w-])(?:\d{1,4}-)?\d{1,4}(?:[ ]?(?:bis|ter))?,?[ ](?:"
    r"(?i:rue|avenue|boulevard|bd|boul\.?|place|chemin|allée|impasse|quai|route)" + _FR_STREET_NAME + _FR_TAIL + "?"
    # street words that are English or everyday French words too ("3 square meters", "2 cours de maths"): only
    # with the postcode and city
    r"|(?i:cours|voie|passage|square|sentier|esplanade|promenade|faubourg|montée|cité|résidence|villa)" + _FR_STREET_NAME
    + _FR_TAIL + ")"
)

#: A city after a continental postcode: up to three capitalised words, maybe its province in brackets ("Milano
#: (MI)", "Den Haag", "Málaga").
_EU_CITY = r"[" + _UP + r"][" + _LO + r"]+(?:[ -][" + _UP + r"][" + _LO + r"]+){0,2}(?:[ ]\([A-Z]{2}\))?"
#: A continental street name: its words, particles among them ("Via dei Mille", "Avda. de la Constitución").
_EU_NAME = (
    r"(?:(?:de la|de las|de los|del|de|dei|degli|della|delle|di|da|do|dos|das)[ ])?"
    r"[" + _UP + r"][" + _LO + r"'’]+(?:[ ](?:(?:de la|de las|de los|del|de|dei|degli|della|delle|di|da|do|dos|das|d'|l')[ ]?)?"
    r"[" + _UP + r"][" + _LO + r"'’]+){0,3}"
)
#: Dutch, Italian, Spanish and Portuguese street addresses, written as those countries write them, with the
#: postcode and city that make them one: "Keizersgracht 210-II, 2011 VB Haarlem", "Via del Corso 174, 00186
#: Roma", "Corso Buenos Aires 111, 20144 Milano (MI)", "C/ Colón 165, bajo A, 29015 Málaga", "Avda. de la
#: Constitución 43, 5º dcha., 28013 Madrid", "Rua Augusta 27, 1100-048 Lisboa". The number may carry a Dutch
#: floor ("3-1", "210-II", "56 B") or a Spanish floor and door after a comma ("5º dcha.", "bajo A").
_ADDRESS_EU = re.compile(
    r"(?<![\w-])(?:"
    # Dutch: a street word glued to the name, maybe after an adjective ("Grote Houtstraat")
    r"(?:[" + _UP + r"][" + _LO + r"]+[ ])?[" + _UP + r"][" + _LO + r"]*(?:straat|gracht|weg|laan|plein|kade|singel|dijk"
    r"|steeg|markt|hof|pad|dreef|wal|burgwal)"
    # Italian, Spanish, Portuguese: a street word first
    r"|(?:Via|Viale|Corso|Piazza|Piazzale|Largo|Vicolo|Strada|Lungomare|Lungotevere|Contrada|Borgo|Calle|C/|Avda\.|Avenida"
    r"|Av\.|Paseo|Plaza|Pza\.|Carrer|Camino|Ronda|Travesía|Rambla|Glorieta|Rua|Travessa|Praça|Estrada|Alameda"
    # Belgian and Swiss French: the number after the street ("Rue Haute 214, boîte 3, 1000 Bruxelles", "Avenue de la
    # Gare 22, 1003 Lausanne")
    r"|Rue|Avenue|Chemin|Route|Boulevard|Place|Allée|Impasse|Quai)[ ]?" + _EU_NAME
    # Nordic, Finnish, Hungarian and Czech: a street word glued to the name ("Vestergade", "Vasagatan", "Hämeenkatu",
    # "Masarykova") or after it ("Kongens gate", "Kossuth Lajos utca")
    + r"|[" + _UP + r"][" + _LO + r"]*(?:gade|gatan|gaten|gata|vej|vägen|veien|vegen|väg|stræde|allé|plassen|katu|tie|kuja"
    r"|polku|utca|körút|ulice|třída|ova|ská|cká|ká|ní)"
    # Romanian "Str." and Belgian streets with their postbox ("Str. Memorandumului 21", "Grote Markt 15 bus 2")
    r"|Str\.[ ][" + _UP + r"][" + _LO + r"]+(?:[ ][" + _UP + r"][" + _LO + r"]+){0,2}"
    r"|(?:Grote[ ]|Kleine[ ]|Oude[ ])?(?:Markt|Kerkplein|Grand-Place|Grand[ ]Place)"
    r"|(?:[" + _UP + r"][" + _LO + r"]+[ ]){1,3}(?:gate|gata|gade|vej|utca|út|tér|körút|allé|plads|torv|tori)"
    + r")"
    r",?[ ](?:nr\.[ ]?)?\d{1,4}[A-Za-z]?(?:-(?:\d{1,3}|[IVX]{1,4}|[A-Za-z]|bis|ter)|[ ](?:bis|ter|hs|huis)\b|/[A-Za-z0-9]{1,3}"
    r"|[ ][A-Z](?:[ ]\d{1,3})?(?![\w]))?\.?"
    r"(?:,?[ ](?:bus|bte\.?|boîte)[ ]\d{1,4}[A-Za-z]?)?"
    r"(?:,[ ](?:[^,\n]{1,15}),)?"  # "5º dcha.", "bajo A", "lgh 1102"
    r",?[ ](?:\d{4}[ ]?[A-Z]{2}|\d{6}|\d{5}|\d{4}-\d{3}|\d{3}[ ]\d{2}|\d{4})[ ]" + _EU_CITY + r"(?:[ ][A-Z](?!\w))?"
    # Hungarian: the postcode and city, then the street, its number and floor and door ("1067 Budapest, Teréz körút 57.
    # 3. em. 12.", "7621 Pécs, Király utca 74. fsz. 2.")
    r"|\d{4}[ ]" + _EU_CITY + r",[ ](?:[" + _UP + r"][" + _LO + r"]+[ ]){1,3}(?:utca|u\.|út|útja|körút|krt\.|tér|köz|sor"
    r"|sétány|fasor|rakpart|lakótelep)[ ]\d{1,4}(?:/[A-Za-z])?\.?(?:[ ](?:\d{1,2}\.[ ]?(?:em|emelet)\.?|fsz\.|földszint)"
    r"(?:[ ]\d{1,3}\.?)?)?"
    # Greek: the street and number, the postcode NNN NN and the city ("Τσιμισκή 45, 546 23 Θεσσαλονίκη")
    r"|[Α-ΩΆ-Ώ][α-ωά-ώϊϋΐΰ]+(?:[ ][Α-ΩΆ-Ώ][α-ωά-ώϊϋΐΰ]+){0,2}[ ]\d{1,4}[α-ω]?,[ ]\d{3}[ ]\d{2}[ ][Α-ΩΆ-Ώ][α-ωά-ώϊϋΐΰ]+"
)
#: Polish, Brazilian, Mexican and Turkish street addresses with their postcodes: "ul. Mickiewicza 121/11, 61-809
#: Poznań", "Av. Boa Viagem, 3123, Boa Viagem, Recife - PE, 51021-000", "Av. Constitución 2262 Int. 6, Col.
#: Centro, 64000 Monterrey, N.L.", "Caferağa Mah. Moda Cad. No:47 D:19, 34710 Kadıköy/İstanbul" (any case).
_WORDS_ANY_CASE = r"[" + _UP + _LO + r"][" + _LO + r"'’-]+(?:[ ][" + _UP + _LO + r"][" + _LO + r"'’-]+){0,3}"
_ADDRESS_WORLD = re.compile(
    r"(?i:(?<![\w-])(?:"
    # Polish: "ul." and the street, number and flat, postcode NN-NNN and city
    r"(?:ul|al|os|pl)\.[ ]?" + _WORDS_ANY_CASE + r"[ ]\d{1,4}[a-z]?(?:/\d{1,4})?(?:[ ]m\.[ ]\d{1,4})?,[ ]\d{2}-\d{3}[ ]" + _WORDS_ANY_CASE
    # Brazilian: street, number, district, city - state, CEP NNNNN-NNN
    + r"|(?:rua|av\.|avenida|alameda|travessa|estrada|praça)[ ]" + _WORDS_ANY_CASE + r",[ ]\d{1,5}(?:(?:,|[ ]-)[ ][^,\n]{1,30}){1,2}"
    r"[ ]-[ ][a-z]{2},[ ](?:cep[ ])?\d{5}-\d{3}"
    # Mexican: street and number, interior, colonia, postcode and city, state
    + r"|(?:av\.|avenida|calle|blvd\.|calz\.|calzada|paseo)[ ]" + _WORDS_ANY_CASE + r"[ ]\d{1,5}(?:[ ]int\.[ ]\w{1,5})?,[ ]col\.[ ]"
    r"[^,\n]{2,30},[ ]\d{5}[ ]" + _WORDS_ANY_CASE + r"(?:,[ ][a-z]{1,5}\.(?:[a-z]{1,3}\.)?)?"
    # Turkish: neighbourhood, street, number and flat, postcode and district/city
    + r"|[" + _UP + _LO + r"][" + _LO + r"]+[ ]mah\.(?:[ ]" + _WORDS_ANY_CASE + r"[ ](?:cad|sk|sok|blv|bulv)\.)?[ ]no:[ ]?\d{1,4}[a-z]?"
    r"(?:[ ]d:[ ]?\d{1,4})?(?:,?[ ]\d{5}[ ][" + _UP + _LO + r"]+/[" + _UP + _LO + r"]+)?"
    # Indonesian: "Jl." and the street, its number, up to four localities and the five-digit postcode ("Jl. Pantai
    # Berawa No. 17, Canggu, Badung, Bali 80361")
    + r"|jl\.[ ][^,\n]{2,60}?[ ]no\.[ ]?\d{1,4}[a-z]?(?:,[ ][^,\n\d]{2,30}){1,4}?[ ]\d{5}(?!\d)"
    # Vietnamese: "Số" and the house number, the lane or street, then the ward, district and city ("Số 25 ngõ 94
    # Chùa Bộc, Đống Đa, Hà Nội")
    + r"|số[ ]\d{1,4}[a-z]?(?:/\d{1,4})?[ ](?:ngõ|ngách|hẻm|kiệt|đường|phố)[ ][^,\n]{2,40}(?:,[ ][^,\n.;–-]{2,30}){1,3}"
    r"))"
)


#: Chinese, Japanese and Korean addresses by their own grammar, no cue needed: a city or province, a district
#: and a number with its counter ("北京市朝阳区望京西园三区312号楼2单元1501", "江苏省南京市鼓楼区汉中门大街301号3幢1402室",
#: "台北市大安區復興南路一段390號8樓"), a prefecture, a city or ward and block numbers ("神奈川県横浜市港北区日吉本町1-22-8",
#: "千葉県船橋市本町4丁目41-19 グランシャリオ船橋305"), a city or province, a district and a road with its number
#: ("서울특별시 마포구 성미산로 17길 42, 302호", "송파구 올림픽로 135, 리센츠아파트 210동").
_HAN = r"\u4e00-\u9fff"
_ADDRESS_CJK = re.compile(
    # Chinese
    r"(?:[" + _HAN + r"]{2,7}(?:省|自治区))?[" + _HAN + r"]{1,6}[市市][" + _HAN + r"]{1,6}?(?:区|區|县|縣|市)"
    r"[" + _HAN + r"0-9一二三四五六七八九十]{1,24}?[0-9一二三四五六七八九十百]{1,5}[号號]"
    r"(?:[" + _HAN + r"]{0,6}?[0-9]{1,5}(?:号楼|號樓|幢|栋|棟|座|单元|單元|楼|樓|层|層|室|号|號|F)?){0,4}"
    # Japanese
    r"|(?:〒?\d{3}-\d{4}[ ]?)?(?:東京都|北海道|(?:京都|大阪)府|[" + _HAN + r"]{2,3}県)[" + _HAN + r"\u3040-\u30ff]{1,12}?(?:市|区|郡|町|村)"
    r"[" + _HAN + r"\u3040-\u30ff]{0,12}?[0-9０-９]{1,4}(?:丁目[0-9０-９]{1,4}(?:[-－ー][0-9０-９]{1,4}){0,2}|(?:[-－ー][0-9０-９]{1,4}){1,3})"
    r"(?:[ ]?[\u30a0-\u30ff" + _HAN + r"]{2,16}[ ]?[0-9０-９]{2,4}(?:号室)?)?"
    # Korean
    r"|(?:[가-힣]{2,6}(?:특별시|광역시|특별자치시|도)[ ])?(?:[가-힣]{1,5}(?:시|군)[ ])?[가-힣]{1,5}구[ ](?:[가-힣]{1,5}동[ ])?"
    r"[가-힣0-9]{1,12}(?:로|길)(?:[ ]?\d{1,3}(?:번)?길)?[ ]\d{1,5}(?:-\d{1,4})?"
    r"(?:,?[ ][가-힣]{0,10}[ ]?\d{1,4}동)?(?:,?[ ]?\d{1,5}호)?"
)
#: A company's head office or branch right before a CJK address: no person's.
_CJK_COMPANY_ADDRESS = re.compile(r"(?:本社|本店|支店|본사|지점|公司地址|总部|總部|总公司|营业厅)[ ]?[:：]?[ ]?\Z")
#: Words before a Chinese address that its pattern takes for a city's first characters ("地址是北京市...").
_CJK_ADDRESS_LEAD = re.compile(r"(?:[现家]?住址|收货地址|地址|寄到|送到|发到|是|在|到|为)+")
_ADDRESS_CJK_GATE = re.compile(r"[区區县縣号號県丁구로길]")
#: What introduces an address whatever its country's format: a label ("Shipping address:", "Ship to:", "Address
#: line 1:", "Eircode:") or a phrase ("my address is", "I live at", "deliver to"). An "address" after "email",
#: "IP", "MAC", "web" or "wallet" is no street's.
_ADDRESS_CUE_WORDS = (
    # the word for an address as a label in scripts other than Latin ("家庭住址：", "주소: ", "Διεύθυνση: ", "Адрес: ")
    r"(?:(?:(?:地址|住址|住所|주소)|(?<![\w-])(?:(?:адрес|адреса|адресу)(?:[ ](?:доставки|подключения|регистрации|проживания|установки|прописки|объекта|клиента|відправки|проживання|реєстрації))?|διεύθυνση(?:[ ](?:αποστολής|παράδοσης|κατοικίας))?|כתובת(?:[ ]\w+)?|العنوان|ঠিকানা|पता|ที่อยู่"
    r"|địa[ ]chỉ(?:[ ]\w+){0,2}))(?=[ ]?[:：（(])"
    r"|(?<![\w-])(?:"
    r"address(?<!email[ ]address)(?<!e-mail[ ]address)(?<!\bip[ ]address)(?<!\bmac[ ]address)(?<!\bweb[ ]address)"
    r"(?<!wallet[ ]address)(?<!server[ ]address)"
    r"(?:[ ]line[ ]?[12])?(?:[ ]on[ ]file)?(?:[ ](?:is|was|has[ ]changed[ ]to|changed[ ]to|is[ ]now|now|to|as))?"
    r"(?:[ ]as[ ]follows[.:]?)?"
    # what the address is for, then a colon ("Forwarding address for P45:", "Caller address (for refund letter):")
    r"(?:[ ](?:\([^()\n]{1,30}\)|(?:for|in|of)[ ][^:\n]{1,25})(?=[ ]?:))?"
    r"|eircode(?:[ ]is)?"
    # labels only ("Site:", "Ship from:", "ADDR:"), and the word for an address in other languages ("Alamat:",
    # "Adresse :", "Domicilio:", "Lieferadresse:")
    r"|(?:addr|postal|site|remit[ ]to|ship(?:ping)?[ ]from|ship-from|ship-to|adres|adresa|adresă|adress|adresse"
    r"|direcci[oó]n|domicilio|indirizzo|endere[cç]o|anschrift|lieferadresse|rechnungsadresse|alamat|naslov|osoite"
    r"|lakcím|cím|morada|premises|hotel[ ]pick-?up)(?=[ ]?[:：])"
    r"|mon[ ]adresse|mi[ ]direcci[oó]n|moro[ ](?:na|no|em)"
    r"|ship(?:ping)?[ ]to|deliver(?:y|ed)?[ ]to|dispatch[ ]to|send[ ](?:it|them|the[ ]\w+|a[ ]\w+)[ ]to"
    # living at, in other languages ("residente in Via ...", "demeurant au 23, Rue ...", "wohnhaft in ...", "Domisili
    # saya di Jl. ...", "flytning til Nørrebrogade 45")
    r"|residente[ ](?:in|a|na|no|em|en)|demeurant[ ](?:au|à|a)|domicilié(?:e)?[ ](?:au|à)|(?:con|su|mi|tu|nuestro)[ ]domicilio[ ]en"
    r"|domiciliad[oa][ ]en|wohnhaft(?:[ ]in)?|woonachtig[ ](?:aan|te)|domisili(?:[ ]saya)?[ ]di|flytning[ ]til"
    # living, moving, staying or being at, and "my address is", in prose of more languages ("Vivo en Calle Durango
    # 214, ...", "je suis à Rue Haute 210, ...", "Min adress är Götgatan 54, ...", "Molim zamjenu na adresu Ilica 45, ...",
    # "Paket Kakak sudah kami kirim ulang ke Jl. ...", "can you post to 22 Kelburn Parade, ...")
    r"|(?:vivo|vive|vivimos|estoy|estamos)[ ]en|me[ ]mud[ée][ ]a|nos[ ]mudamos[ ]a|situad[oa][ ]en|ubicad[oa][ ]en"
    r"|entregar[ ]en|je[ ]suis[ ](?:à|au)|j['’]habite[ ](?:à|au)|habite[ ](?:à|au)|déménagé[ ](?:à|au)|situé(?:[ ](?:à|au))?"
    r"|livrer[ ](?:à|au)|abito[ ](?:in|a)|trasferit[oa][ ](?:in|a)|wohnen?[ ]in|umgezogen[ ](?:nach|in)|liefern[ ]an"
    r"|woon[ ](?:in|op|aan)|verhuisd[ ]naar|bor[ ](?:på|i)|flyttat[ ]till|flyttet[ ]til|flytter[ ]til|adress(?:en)?[ ]är"
    r"|adresse(?:n)?[ ](?:er|ist|est|es)|hjemme[ ]hos[ ]meg[ ]i|osoite(?:[ ]on)?|osoitteeseen|asun|mieszkam[ ](?:na|w)"
    r"|na[ ]adres(?:u|e)?|adresa[ ](?:je|mea[ ](?:e|este))|živim[ ](?:na|u)|bydlím[ ](?:na|v)|címem|lakom"
    r"|locuiesc[ ](?:pe|în)|adresas|adrese|aadressil|adresim(?:e)?|alamat(?:[ ]saya)?[ ](?:di|adalah)"
    r"|kirim(?:[ ]ulang)?[ ]ke|dijadualkan[ ]ke|(?:pa-?)?deliver[ ]po[ ]sa|flytja[ ]á|post(?:[ ]it)?[ ]to"
    r"|moving[ ](?:to|from)|move[ ](?:to|from)|standing[ ]outside|no[ ]answer[ ]at|(?:apartment|flat|house|condo)[ ](?:at|is)"
    r"|配送先は|お届け先は|住所は|адрес(?=[ ](?:ул|г|пр|вул)\.)"
    # what is sent or returned to the lines under it ("Please courier the documents to:")
    r"|(?:courier|post|mail|send|return|forward)(?:[ ]\w+){0,4}[ ]to(?=[ ]?:)"
    r"|(?:i|we)[ ](?:live|stay|reside)[ ]at|(?:lives|living|residing|resides|staying)[ ]at|moved[ ](?:to|from)|relocated[ ]to"
    # residing at, in the legal and official prose of more languages ("bytem Vinohradská 1583/112", "zam. ul. ...",
    # "cu domiciliul în ...", "domiciliat în ...", "resident of 22, Model Town", "cư trú tại 27/3 Lê Văn Sỹ")
    r"|bytem|bytom|zam\.|zamieszkał[ay]?[ ](?:przy|w)|cu[ ]domiciliul[ ]în|domiciliat[ă]?[ ]în|resident[ ]of"
    r"|cư[ ]trú[ ]tại|địa[ ]chỉ(?=[ ]\d)"
    r"))(?:[ ]?[:：=\-–（(][ ]*|(?<=address)>|[ ]+)"  # "<address>...</address>"
)
_ADDRESS_CUE = re.compile(r"(?i:" + _ADDRESS_CUE_WORDS + ")")
#: :data:`_ADDRESS_CUE` for lower-cased text where str.lower and re.IGNORECASE agree (faster without the flag).
_ADDRESS_CUE_LOWER = re.compile(_ADDRESS_CUE_WORDS)
#: Where a cued address opens: a house number ("4-28-1", "12B", "221/3"), a unit or plot and its number ("Flat 3B",
#: "Plot 12", "No. 7", "P.O. Box 4411"), an Eircode ("D02 X285"), or a house's name before its number and street
#: ("Rose Cottage, 5 Mill Lane").
_CUED_ADDRESS_START = re.compile(
    r"(?:\d{1,6}(?:[-/]\d{1,5}){0,3}[A-Za-z]?(?![\w@.:/-])"
    r"|[AC-FHKNPRTV-Y]\d[0-9W][ ]?[0-9AC-FHKNPRTV-Y]{4}\b"  # an Irish Eircode
    r"|(?i:flat|apt|apartment|unit|suite|ste|plot|house|no|block|blk|bldg|building|room|rm|lot|villa|door|floor"
    r"|p\.?[ ]?o\.?[ ]box|po[ ]box|postfach|casilla|caixa[ ]postal)\.?[ ]?(?:no\.?[ ]?)?#?\d{1,6}[A-Za-z]?(?![\w@])"
    r"|[" + _UP + r"][" + _LO + r"]+(?:[ ][" + _UP + r"][" + _LO + r"]+){0,3},[ ](?=\d{1,5}[A-Za-z]?[ ][" + _UP + r"])"
    # a street's name first and its number after ("Thorvald Meyers gate 52B, 0555 Oslo", "Rue Haute 112 bte 4", "Jl.
    # Kemang Raya No. 15, RT 04", "Moda Cad. No:45 D:3", "via dei Mille 23, Bologna", "ul. Długa 17/4")
    r"|(?P<street_first>(?:[" + _UP + r"]|(?i:via|rue|calle|rua|ul\.|jl\.|av\.|avenida|strada|carrer|vul\.|quai|chemin))"
    r"[\w'’.-]*(?:[ ][\w'’.-]+){0,5}?[ ](?:No\.?(?:[ ]?:)?[ ]?|Nr\.?[ ]?|n[º°][ ]?)?\d{1,5}[A-Za-z]?"
    r"(?:/\d{1,4}|-(?:\d{1,4}|bis|ter|I{1,3}|hs|huis)\b)?(?![\w-])"
    # with a comma before the number, as Brazil, Portugal and Spain write it ("Rua Harmonia, 1120, apto 54")
    r"|(?i:rua|avenida|av\.|travessa|alameda|estrada|rodovia|praça|calle|carrera|rue|via)[ ][\w'’.-]+"
    r"(?:[ ][\w'’.-]+){0,4}?,[ ]\d{1,5}[A-Za-z]?(?![\w-])))"
)
#: Where a cued address ends on its line: a sentence's end, a semicolon, a bracket, two spaces, or a comma or "and"
#: before what is no part of an address ("..., Lagos. Please", "..., phone 0803...", "... and my email is").
#: The capitals of Greek, Cyrillic and Armenian, and the letters of scripts without case (Hebrew, Arabic, Devanagari,
#: Thai, CJK, kana, Hangul): what opens a sentence in them.
_SENTENCE_START_OTHER_SCRIPTS = (
    "\u0386\u0388-\u038f\u0391-\u03ab\u0400-\u042f\u0531-\u0556\u05d0-\u05ea\u0620-\u064a\u0904-\u0939"
    "\u0e01-\u0e2e\u3041-\u30ff\u4e00-\u9fff\uac00-\ud7a3"
)
_CUED_ADDRESS_END = re.compile(
    # a full stop after a word of four letters or more or a number ("Lagos. Please"), not after an abbreviation
    # ("Co. Dublin", "St. Kilda", "int. 5")
    # ("Αθήνα. Τηλ.", "Київ, 01001. Телефон", "תל אביב. תודה": a sentence of another script starts with its capital
    # or, in a script without case, any letter; "вул.", "пр." are abbreviations)
    r"(?:[!?]|(?<!\b[^\W\d])(?<!\b[^\W\d]{2})(?<!\b[A-Za-z]{3})(?<!\b[^\W\d_\x00-\u024f]{3})(?<!Blvd)(?<!Brgy)\.)"
    r"(?=[ ]+[" + _UP + _SENTENCE_START_OTHER_SCRIPTS + r"]|[ ]*\Z)"
    r"|[;(\[|<）。]|[ ]-[ ](?![A-Z]{2}\b)|\?|[ ]{2,}|[ ]?様"  # not before a Brazilian state ("São Paulo - SP, 05435-001")
    # the next field on the line ("... MS 38801 PH: 662-555-0131"); not a Turkish door or flat ("Cad. No: 112 D: 5")
    r"|[ ]+(?=[^\W\d_][\w.-]{0,20}[ ]?(?::[ ]|：))(?!(?:No|NO|D|Daire|Kat)[ ]?:)"
    r"|,?[ ](?i:and[ ](?:my|the|i|we|his|her|it|please|can|could|call|phone|email)|but|so|please|thanks|thank|because"
    r"|since|until|from|tel|phone|mobile|cell|email|e-mail|contact|order|account|ref|reference|ticket|which|where"
    r"|when|if|not|for|on|by|before|after|as|to|in|at|with|last|next|this|that|yesterday|today|tomorrow|ago|yet|call"
    r"|text|ring|whatsapp|or|oder|ou|o"
    r"|already|instead|too|also|asap|pls|plz|is|was|will|should|would|has|have|had|are|were|it|they|he|she|we|you"
    r"|i|me|my|our|your)\b"
)
#: The most characters one line of a cued address holds: more is prose, not an address.
_CUED_ADDRESS_MAX = 110

#: What every _ADDRESS_EU match holds: a continental postcode and the capital of its city.
_EU_POSTCODE_GATE = re.compile(r"\d{4}(?:\d\d?|[ ]?[A-Z]{2}|-\d{3})?[ ][" + _UP + r"]|\d{3}[ ]\d{2}[ ][^\W\d_]")
#: An Indian address: a house, flat, plot or door number, up to four parts and the city with its six-digit PIN
#: ("House No. 885, Greater Kailash II, New Delhi - 110048", "No. 7, Road No. 3, Banjara Hills, Hyderabad -
#: 500034", "b-363, greater kailash ii, new delhi - 110048").
#: An address that opens with its flat, house or villa and names its street after a comma, no house number before
#: the street ("Apartment 12, Clarion Quay, Dublin 1", "House 22, Nyali Links Road, Mombasa", "Apartment B4,
#: Kileleshwa Court, Othaya Road, Nairobi", "Villa 23, Street 14, Al Barsha 2, Dubai"), with the localities after it.
_ADDRESS_UNIT_FIRST = re.compile(
    r"(?<![\w-])(?:Apartment|Apt\.?|Flat|Unit|Suite|House|Villa|Plot)[ ](?:No\.?[ ]?)?[A-Z]?\d{1,5}[A-Z]?"
    r"(?:,[ ][" + _UP + r"][\w'’.-]*(?:[ ][" + _UP + r"0-9][\w'’.-]*){0,3}){0,2}?"
    r",[ ](?:(?:[" + _UP + r"][\w'’.-]*[ ]){1,4}(?:Road|Rd|Street|St|Court|Quay|Lane|Avenue|Ave|Drive|Close|Way|Estate"
    r"|Gardens|Park|Place|Square|Terrace|Crescent|Highway|Boulevard|Links|Mews|Row|Walk|Hill)\b|(?:Street|Road|Rd|St)[ ]\d{1,4}\b)"
    r"(?:,[ ][" + _UP + r"][" + _LO + r"]+(?:[ -](?:[" + _UP + r"][" + _LO + r"]+|\d{1,2}))*(?:[ ]\d{1,2})?){0,3}"
    r"(?:,?[ ](?:[AC-FHKNPRTV-Y]\d[0-9W][ ]?[0-9AC-FHKNPRTV-Y]{4}\b|\d{4,6}(?!\d)))?"
)
_ADDRESS_UNIT_FIRST_GATE = re.compile(r"(?:Apartment|Apt|Flat|Unit|Suite|House|Villa|Plot)[ ](?:No\.?[ ]?)?[A-Z]?\d")
#: What every _ADDRESS_UNIT_FIRST_GATE match holds in the lower-cased text (needles of :func:`_needles_in`).
_UNIT_FIRST_NEEDLES = frozenset(w + " " for w in ("apartment", "apt", "flat", "unit", "suite", "house", "villa", "plot"))
#: A Colombian address, its street's kind and number, then "#" and the crossing street's number and the distance
#: from it ("Cra. 7 # 72-41, Apto 301, Bogotá", "Calle 100 #19-61", "Av. Cra 68 # 24B-10 Int 3"): no cue needed.
_ADDRESS_CO = re.compile(
    r"(?<![\w-])(?i:calle|cl|cll|carrera|cra|kra|kr|cr|avenida[ ]carrera|av\.?[ ]cra|avenida|av|diagonal|dg|transversal|tv)\.?[ ]?"
    r"\d{1,3}[ ]?[A-Z]?(?:[ ]?(?i:bis))?(?:[ ](?i:sur|este))?[ ]?(?:#|No\.?|N[º°])[ ]?\d{1,3}[ ]?[A-Z]?(?:[ ](?i:sur|este))?"
    r"[ ]?-[ ]?\d{1,3}\b"
    r"(?:[ ](?i:sur|este))?"
    # a building or a complex by its name ("edificio Torre Lleras apto 802")
    r"(?:,[ ](?i:edificio|conjunto|urbanización|urbanizacion)(?:[ ][" + _UP + r"][" + _LO + r"]+){1,3})?"
    r"(?:,?[ ](?i:apto|apartamento|ap|int|interior|torre|casa|oficina|of|local|bloque)\.?[ ]?\w{1,5}\b){0,2}"
    r"(?:,[ ][" + _UP + r"][" + _LO + r"]+(?:[ ](?:D\.C\.|[" + _UP + r"][" + _LO + r"]+)){0,3}){0,3}"
)
_ADDRESS_CO_GATE = re.compile(r"#[ ]?\d{1,3}[ ]?[A-Za-z]?(?:[ ](?:[Ss]ur|[Ee]ste))?[ ]?-[ ]?\d")
_ADDRESS_IN = re.compile(
    r"(?i:(?<![\w-])(?:(?:house|flat|plot|door|shop|h)\.?[ ]?no\.?[ ]?|(?:(?<=:[ ])|(?<=\n)|^)no\.[ ]?|flat[ ]|plot[ ]|[a-z]-)"
    r"[\w/-]{1,6},[ ]"
    r"(?:[^,\n]{2,40},[ ]){0,4}[a-z]+(?:[ ][a-z]+){0,2}(?:[ ]?-[ ]?|[ ])[1-9]\d{5}(?!\d))"
)
_PIN_GATE = re.compile(r"[A-Za-z](?:[ ]?-[ ]?|[ ])[1-9]\d{5}(?!\d)")
#: What opens every _ADDRESS_IN match: a house, flat, plot or door number, "No." or a block letter and a dash.
_IN_PREFIX_GATE = re.compile(r"-\d(?<=\b[A-Za-z]-\d)")  # a block letter and a dash ("b-363"); the rest by substring


# --- person names ------------------------------------------------------------------------------------------
#: Titles other than the English ones that make the next word a name ("Frau Schneider", "Mme Dubois", "Sra.
#: García", "Herr Professor Schmidt"). Not "Hr." ("24 Hr. Helpline"), "Sr." (senior) or "Fr." (Friday).
_OTHER_TITLE_CUES = (
    "Herr", "Herrn", "Frau", "Monsieur", "Mme", "Mlle", "Señor", "Señora", "Sra.", "Srta.", "HERR", "HERRN", "FRAU",
    # French, Czech, Polish, Malay, Indonesian, Spanish and Portuguese, Dutch ("Bonjour Madame Delacroix", "Pani
    # Nowak", "Encik Faiz", "Dona Cida", "Dra. Paola Restrepo", "Mevr. de Vries")
    "Madame", "Mademoiselle", "Paní", "Pani", "Pan", "Encik", "Puan", "Bapak", "Ibu", "Doña", "Dona", "Dra.", "Dhr.",
    "Mevr.",
    # Filipino, South Asian, Portuguese, Italian, Romanian and Turkish ones, and family titles before a name ("Ate
    # Joy", "Kuya Mark", "Tita Rose", "Shri Rajendra Prasad Agarwal", "Exmo. Sr. Joaquim", "Sig.ra Lucia", "Aunty Hope")
    "Ate", "Kuya", "Tita", "Tito", "Aunty", "Auntie", "Shri", "Smt.", "Exmo.", "Exma.", "Sig.", "Sig.ra",
    "Dl.", "Dna.", "Sayın", "Doamna", "Domnul", "Sr.", "Lic.", "Licda.", "Ing.", "Mgr.", "MUDr.", "JUDr.", "Sr(a).",
    # the vocatives of Polish, Czech and Romanian titles, as an agent addresses a customer ("Panie Pawle", "Pane
    # Nováku", "Domnule Ionescu", "Doamnă Popescu")
    "Panie", "Pane", "Domnule", "Doamnă",
    # Italian professional titles, and a German family ("dott. Ricci", "Familie Nowak")
    "Dott.", "Dott.ssa", "dott.", "dott.ssa", "Avv.", "Familie",
    # "Professor" alone is an English noun too ("Assistant Professor Position"): only after Herr or Frau
    "Herr Professor", "Frau Professor", "Herr Doktor", "Frau Doktor",
    # Austrian and German academic titles after Herr or Frau ("Frau Mag. Haidinger", "Herr DI Gruber", "Herr Dipl.-Ing.
    # Wolf"): the name is the word after both
    "Frau Mag.", "Herr Mag.", "Frau Mag.a", "Frau Dr.", "Herr Dr.", "Frau DI", "Herr DI", "Frau Ing.", "Herr Ing.",
    "Frau Dipl.-Ing.", "Herr Dipl.-Ing.", "Frau Prof.", "Herr Prof.",
)
#: Who a payment or a booking is for, or whom to ask for, in several languages ("Transfer ke BCA a.n. Rina Kartika Sari",
#: "a nombre de Julia Pérez", "на имя Смирнова", "Demandez Réjean", "Pregunte por Chuy"; "ask Faith", "ring Tomasz",
#: "tell Kerry", "leave it with Minseok" only before a known given name): the needles, lower-cased, with their space.
_NAMED_AFTER_PHRASES = (
    "a.n.", "atas nama", "a nombre de", "au nom de", "in the name of", "на имя", "на ім'я", "demandez", "pregunte por",
    "pergunte por", "fragen sie nach", "chiedete di", "vraag naar",
    # an account's holder ("intestato a Salvatore Russo", "t.n.v. J. de Vries", "account holder Heinrich Albers")
    "intestato a", "intestata a", "t.n.v.", "ten name van", "account holder", "lautend auf", "em nome de",
)
_ASK_VERBS = frozenset(("ask", "ring", "tell", "text", "leave it with", "leave them with"))
#: Who delivers, drives or cleans, after "your" in several languages, then their name ("Your driver Abdi is 3 min
#: away", "your delivery partner Manjunath", "seu motorista Edson", "tu conductor Ernesto", "il rider Samuele",
#: "votre livreur Karim"): the needles, and the words as the pattern reads them.
_SERVICE_ROLES = (
    "driver", "rider", "courier", "delivery partner", "delivery person", "delivery executive", "shopper", "cleaner",
    "technician", "engineer", "host", "conductor", "motorista", "entregador", "entregadora", "repartidor", "repartidora",
    "técnico", "tecnico", "chauffeur", "livreur", "livreuse", "fahrer", "fahrerin", "kurier", "bezorger", "koerier",
)
_SERVICE_ROLE_NEEDLES = frozenset(r + " " for r in _SERVICE_ROLES)
#: The platforms and carriers a role is named after ("your driver Uber"): no one's name.
_SERVICE_BRANDS = frozenset(
    "Uber Lyft Bolt Grab Gojek Ola Airbnb Deliveroo Glovo Rappi Swiggy Zomato DoorDash Instacart Amazon DHL UPS FedEx "
    "DPD Hermes Evri TNT GLS Didi Cabify Careem iFood Wolt Foodpanda Talabat Yandex Lalamove Shopee Lazada".split()
)
#: What follows a driver's or a courier's name in a notification: a verb, a bracket, a comma or the sentence's end.
_SERVICE_NAME_END = re.compile(
    r"(?:[ ](?:is|was|will|has|\'s|’s|está|esta|llega|llegará|chega|chegou|è|arrive|arrives|arriving|est|ist|kommt"
    r"|sta|on|en|em|da|de)\b|[ ]?[(,.!—–-]|\Z)"
)
#: The phrases above that say in whose name something is (an account, a booking), not whom to ask for.
_ACCOUNT_PHRASES = frozenset(
    ("a.n.", "atas nama", "a nombre de", "au nom de", "in the name of", "на имя", "на ім'я", "intestato a", "intestata a",
     "t.n.v.", "ten name van", "account holder", "lautend auf", "em nome de")
)
#: Words of a company's name: no one's name holds them.
_COMPANY_WORDS = frozenset(
    "Ltd Limited Inc Corp LLC LLP GmbH AG SA SL SAS SARL BV NV Pty PT CV Co Company Group Holdings Bank Tbk Oy AB AS".split()
)
_SERVICE_ROLE_NAME = re.compile(
    r"(?i:(?<![\w])(?:your|tu|seu|sua|su|il|la|el|o|a|votre|ton|ta|ihr|ihre|dein|deine|je|uw|twój|twoja)[ ]"
    r"(?:" + "|".join(re.escape(r) for r in sorted(_SERVICE_ROLES, key=len, reverse=True)) + r"))[ ]"
    r"([" + _UP + r"][" + _LO + r"]+(?:[ ][" + _UP + r"][" + _LO + r"]+)?)(?![\w'’-])"
)
_NAMED_AFTER_CUE = re.compile(
    r"(?<![\w.])(?i:(" + "|".join(re.escape(c) for c in sorted((*_NAMED_AFTER_PHRASES, *_ASK_VERBS), key=len, reverse=True))
    + r"))[ ]+"
    r"((?:[" + _UP + r"\u0400-\u042f\u0386-\u03ab][^\W\d_]+(?:-[" + _UP + r"][^\W\d_]+)?)"
    r"(?:[ ][" + _UP + r"\u0400-\u042f\u0386-\u03ab][^\W\d_]+(?:-[" + _UP + r"][^\W\d_]+)?){0,2})(?![\w'’-])"
)
#: Czech, Slovak and Polish titles in their cases, written in lower case in mid-sentence ("paní Nováková", "pana
#: Dvořáka", "z panią Kowalską"), each with the space after it (the Aho-Corasick needle).
_LOWER_TITLE_WORDS = frozenset(
    w + " "
    for w in (
        "paní pani pan pana panu panem pane pán pána pánovi pánom panią państwo państwa "
        # Spanish, Portuguese, Italian, Dutch, Romanian and French titles as they are written in mid-sentence
        # ("listo señor Restrepo", "Buenas doña Marleny", "seu Antônio", "mevrouw Van der Meulen", "dokter El Amrani")
        "señor señora señorita doña seu dona signor signora signorina sig. sig.ra mevrouw meneer dokter domnul "
        "doamna dl. dna. monsieur madame heer dott. dott.ssa"
    ).split()
)
#: The needles of PiiRedactor._lower_titled's gate: the titles, the service roles and the phrases.
_LOWER_TITLE_NEEDLES = _LOWER_TITLE_WORDS | _SERVICE_ROLE_NEEDLES | frozenset(
    (*(p + " " for p in _NAMED_AFTER_PHRASES), *(v + " " for v in _ASK_VERBS))
)
#: The lower-case titles above that are words of other languages too ("a non-stick pan"): only in a text with a
#: Czech, Slovak or Polish letter.
_ASCII_SLAVIC_TITLES = frozenset("pan pani pana panu panem pane".split())
_LOWER_SLAVIC_TITLE = re.compile(
    r"(?<![\w'’.-])(?:" + "|".join(re.escape(t) for t in sorted((t.strip() for t in _LOWER_TITLE_WORDS), key=len, reverse=True)) + r")[ ]+"
    r"((?:(?:Van|Von|De|Del|Della|Di|Da|Dos|Du|Le|La|El|Al)(?:[ ](?:der|den|de|la|del))?[ ])?"
    r"[" + _UP + r"][" + _LO + r"]+(?:-(?:[" + _LO + r"]+[ ])?[" + _UP + r"][" + _LO + r"]+)?"
    r"(?:[ ][" + _UP + r"][" + _LO + r"]+(?:-[" + _UP + r"][" + _LO + r"]+)?)?)"
    r"(?![\w'’-])"
)
#: Letters of Czech, Slovak and Polish that other languages written in Latin letters hardly use.
_WEST_SLAVIC_LETTERS = re.compile("[ěščřžůňťďąćęłńśźżĺľŕĚŠČŘŽŮŇŤĎĄĆĘŁŃŚŹŻĹĽŔ]")
#: A name may end in a possessive "'s" ("John Smith's address"): the name is matched, the "'s" stays.
_NAME_TOKEN = re.compile(
    # a second part after a hyphen, capitalised ("Jean-Luc", "Al-Farsi") or not ("Hyun-woo", "Seo-yeon")
    r"(?:Mc|Mac|O'|O’|D'|D’|De(?=[A-Z][a-z])|La(?=[A-Z][a-z])|Le(?=[A-Z][a-z]))?[" + _UP + r"][" + _LO + r"]+"
    r"(?:-(?:Mc|Mac|O'|O’)?[" + _UP + r"]?[" + _LO + r"]+)?(?!\w|-\w|['’](?!s\b))"
)
_LOWER_TOKEN = re.compile(r"[" + _LO + r"]+(?![\w'’])")
#: A lower-case surname candidate after a lower-case given name: one space, then a word.
_LOWER_SURNAME = re.compile(r"[ ]([" + _LO + r"][" + _LO + r"'’-]*[" + _LO + r"])(?![\w'’-])")
#: A capitalised word that ends the text before a name, in mid-sentence (after a lower-case word, a digit or
#: a comma and one space).
_LEADING_NAME_WORD = re.compile(r"(?<=[" + _LO + r"0-9,][ ])((?:Mc|Mac)?[" + _UP + r"][" + _LO + r"]+)[ ]\Z")
#: A capitalised word in mid-sentence right before a _LEADING_NAME_WORD: the two are a proper noun of their own
#: ("at the Amazon Locker Sarah" is "Amazon Locker" and "Sarah"), so the lead word stays out of the name.
_CAPITALISED_BEFORE_LEAD = re.compile(r"(?<=[" + _LO + r"0-9,][ ])[" + _UP + r"][\w'’&.-]*[ ]\Z")
_MY_NAME_IS = re.compile(r"\bmy name is[ ]+", re.IGNORECASE)
#: Initials before a surname ("J. ", "J.R. ", "J. R. "): what opens a name after a strong cue ("Regards,\nJ.
#: Smith"), which _NAME_TOKEN and _UPPER_WORD do not match.
_INITIALS = re.compile(r"(?<![\w'’.-])[" + _UP + r"]\.(?:[ ]?[" + _UP + r"]\.){0,2}[ ]")
#: Abbreviations written as initials (spaces removed) that open a line after a sign-off or follow a cue.
_NOT_INITIALS = frozenset("P.S. P.P.S. N.B. E.G. I.E. U.S. U.K. F.Y.I.".split())
#: Abbreviations of two letters that may stand before a capitalised word in prose ("9 A.M. Tuesday", "D.C. Metro"):
#: without a cue, two initials are a name's only when they are none of these.
_NOT_DOUBLE_INITIALS = _NOT_INITIALS | frozenset(
    "A.M. P.M. D.C. L.A. N.Y. S.F. U.N. E.U. B.C. A.D. Q.A. U.A.E. N.Z. S.A. P.O. C.O. I.D. T.V. O.K. B.A. M.A. B.S. "
    "M.S. M.D. J.D. R.N. N.J. D.J.".split()
)
#: The name lines of a vCard: "FN:Yanis Rousseau", "N:Rousseau;Yanis;;;" (parameters allowed: "FN;CHARSET=UTF-8:").
_VCARD_NAME = re.compile(r"(?im)^(FN|N)(?:;[^:\n]*)?:([^\n\r]+)")
#: Two initials right before a capitalised word: where PiiRedactor._double_initialled looks for a name.
_DOUBLE_INITIALS = re.compile(r"(?<![\w'’.-])[A-Z]\.[ ]?[A-Z]\.[ ](?=[" + _UP + r"])")
#: What every _DOUBLE_INITIALS match holds in an ASCII text's :func:`_digit_shape` (capitals are "A"): its gate, a
#: pattern that opens with a literal re jumps to (the pattern itself opens with a look-behind, tried at every
#: position: ~2 us a text).
_DOUBLE_INITIALS_SHAPE = re.compile(rb"A\.[ ]?A\.[ ]A")
#: Words that make the name before them a place or an organisation named after a person ("John Radcliffe
#: Hospital", "Charles de Gaulle Airport", "Jacob Wirth Restaurant", "the Northern Mariana Islands", "Virginia
#: Beach", "James City County", "Jackson Heights"), unless a strong cue comes before it ("Dr. Emily Station"
#: stays a name). None of them a common surname (so not House, Hall, Park, Church, Bridge, Arena, Chapel, Hill,
#: Lake, Bay, Parish).
_INSTITUTION_WORDS = frozenset(
    "Hospital Clinic University College School Academy Institute Foundation Center Centre Library Museum Stadium "
    "Airport Station Cathedral Hotel Theatre Theater Gallery Memorial Elementary Restaurant Inn Cafe Café "
    "Grill Tavern Diner Bistro Bakery Pizzeria Brewery Lounge Island Islands Pub "
    "City Beach Creek Heights Falls Valley County Springs Theatres Theaters Cinema Cinemas Hills Lake State "
    "Reservation Forest Mater Inaugural Historic National Equatorial "
    # companies and reserves named after a person: "Marcus Corporation", "Dana Biosphere Reserve"
    "Corporation Corp Company Incorporated Inc Ltd LLC Group Holdings Reserve Av Ave".split()
)
#: US state codes (and DC): a name followed by ", IL" is a town ("Is it cold now in Carlos, IL").
_US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC".split()
)
#: State codes that are English words in capitals too ("Thanks Carlos, OK.", "Hi Carlos, IN my order"): a
#: state only with a ZIP code after it.
_STATE_WORDS = frozenset("HI IN ME OH OK OR".split())
#: ", " and a state code ending the sentence or the line ("in Carlos, IL", "Carlos, IL?") or before a ZIP code
#: ("Carlos, IL 62704"); not one that a word follows ("Carlos, CA and I").
_STATE_NEXT = re.compile(r",[ ]?([A-Z]{2})(?:([ ]\d{5}(?:-\d{4})?)(?![\w-])|(?=[ ]*(?:\Z|\r?\n|[.,;:!?)])))")
#: After "Dear" or a sign-off line, a word that makes the one before it a company, not a person: "Dear Lumen
#: support", "Best regards,\nLumen Support", "DEAR ACME TEAM", "Best,\nLumen Crew", "Thanks,\nAcme Procurement"
#: (after a title or "my name is" it is a surname: "Dr. Patel staff were rude").
_TEAM_NEXT = re.compile(
    r"[ ](?i:support|team|crew|squad|help ?desk|customer (?:service|care|support)|billing|sales|service desk|"
    r"procurement|finance|accounting|marketing|operations|logistics|legal|compliance|security|purchasing|"
    r"facilities|payroll)(?![\w'’-])"
)
_COMPANY_CUE_END = re.compile(
    r"(?i:\bdear|\b(?:regards|thanks|thank you|thx|tia|cheers|sincerely|best|yours|wishes|warmly|respectfully|faithfully|signed),?[ ]*\n|\b(?:talk|speak|see you) soon,[ ]*\n)[ ]*\Z"
)
_INSTITUTION_NEXT = re.compile(r"[ ](?:" + "|".join(sorted(_INSTITUTION_WORDS)) + r")(?![\w'’-])")
_INSTITUTION_NEXT_UPPER = re.compile(
    r"[ ](?:" + "|".join(sorted(w.upper() for w in _INSTITUTION_WORDS)) + r")(?![\w'’-])"
)
#: Places that follow a compass point written as an initial ("N. America", "S. Africa"): no initial and surname.
_REGIONS = frozenset(
    "America Americas Europe Africa Asia Korea Carolina Dakota Virginia Ireland Wales Yorkshire Island Islands "
    "Sudan Macedonia Australia Germany Coast Side".split()
)
def _names_a_place(text: str, start: int, end: int) -> bool:
    """Whether the name ``text[start:end]`` is part of an institution's or a place's name: one of its later
    words, or the word right after it, is one of :data:`_INSTITUTION_WORDS` (in capitals too), or a US state
    code follows it ("Carlos, IL", "CARLOS, IL 62914")."""
    words = text[start:end].split()[1:]
    if any(w in _INSTITUTION_WORDS or w.title() in _INSTITUTION_WORDS for w in words):
        return True
    state = _STATE_NEXT.match(text, end)
    if state is not None and state.group(1) in _US_STATES and (state.group(2) or state.group(1) not in _STATE_WORDS):
        return True
    return _INSTITUTION_NEXT.match(text, end) is not None or _INSTITUTION_NEXT_UPPER.match(text, end) is not None


def _a_company_after_dear(before: str, text: str, end: int) -> bool:
    """Whether a word that "Dear" or a sign-off line (ending ``before``) introduces, ending at ``end``, is a
    company: a team word follows ("Dear Lumen support", "Regards,\nLumen Support", "DEAR ACME TEAM")."""
    return _COMPANY_CUE_END.search(before) is not None and _TEAM_NEXT.match(text, end) is not None


#: One space and a lower-case word: what follows a surname in capitals in mixed-case prose.
_LOWER_WORD_NEXT = re.compile(r"[ ][" + _LO + r"]")
#: A word in capitals, two letters or more, as a name is written in an ALL-CAPS form or shouted ticket
#: ("JOHN SMITH", "O'BRIEN", "SMITH-JONES"); a possessive "'S" stays out, as with _NAME_TOKEN.
_UPPER_WORD = re.compile(
    r"(?<![\w'’-])(?:[OD]['’])?[" + _UP + r"]{2,}(?:-[" + _UP + r"]{2,})?(?!\w|-\w|['’](?!S\b))"
)
#: What joins the parts of an ALL-CAPS name: one space, then maybe an initial and a particle (_NAME_GAP in capitals).
_UPPER_NAME_GAP = re.compile(r"[ ](?:[A-Z]\.[ ])?(?:(?:VAN DER|VAN DEN|VAN|VON|DE LA|DE|DEL|DA|DI|LE|LA|AL|BINTI|BINTE|BIN|BEN)[ ])?")
#: Every run of capitals (no boundary checks, so cheap): a superset of the _UPPER_WORD words a name or an
#: address in capitals needs, the gate of PiiRedactor._caps_persons and _ADDRESS_EN_UPPER.
_UPPER_RUN = re.compile("[" + _UP + r"]{2,}")
_NAME_GAP = re.compile(
    r"[ ](?:[A-Z]\.[ ])?(?:[\"“'(][A-Z][a-z]+[\"”')][ ])?"
    r"(?:(?:Van der|Van den|Van de|Von der|De la|De los|De las|van der|van den|van de|van|von der|von|de la|de los|de las|de|del|della|da|das|dos|do|di|le|la|al|el|bin|ben|ter|te|ten|op de|zu|du"
    # Irish, Scottish and Welsh patronymics ("Seán Ó Murchú", "Sinéad Nic Giolla Phádraig", "Ieuan ap Gwilym"),
    # Malay ones ("Nurul Aisyah binti Ahmad", Singapore's "binte": "Nurul Huda binte Osman", "Rajendran a/l Muthusamy")
    r"|Ó|Ní|Nic|Mac|Uí|Ua|Mhic|ap|ab|binti|binte|bint|a/l|a/p)[ ])?"
)
#: A possessive "'s" may follow ("Sarah's refund", "Mr. Okafor's order"), as with _NAME_TOKEN.
_CAPITALISED = re.compile(
    r"(?<![\w'’-])(?:Mc|Mac|O'|O’|D'|D’|De(?=[A-Z][a-z])|La(?=[A-Z][a-z])|Le(?=[A-Z][a-z]))?[" + _UP + r"][" + _LO + r"]+"
    r"(?!\w|['’](?!s\b))"  # "DeShawn", "LaToya", "LeAnn": a prefix capitalised inside the name
)
#: A given name right after these is part of a place ("San Francisco", "St. Helena", "Lake Louise").
_PLACE_PREFIX = re.compile(
    r"\b(?:San|Santa|Santo|São|Sao|St\.?|Saint|Sint|Sankt|Ste\.?|Los|Las|El|Port|Fort|Mount|Mt\.?|Lake|New|Cape|Puerto"
    # Brazilian and Portuguese districts ("Vila Mariana", "Jardim Helena", "Parque Ana Rosa")
    r"|Vila|Jardim|Parque|Praia|Ciudad|Colonia)[ ]\Z"
)
#: After these a capitalised word is a name unless it is a known non-name ("Dear Customer").
_STRONG_CUE = re.compile(
    r"(?:(?i:\b(?:my|his|her|their|the customer's) name is|\bmy name's|\bdear)"
    r"|(?im:^[ ]*(?:full |customer |contact |first |last )?name:)"  # a form field, not "Product name:"
    r"|\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|MR|MRS|DR)\.?"  # titles are capitalised: "MS Windows" is not Ms Windows
    r"|\b(?:MS|PROF)\."  # but "MS. JONES" is ("MX" records, "DON'T MISS OUT", "PROF TIP" are not titles)
    r"|(?<![\w.])dr\."  # and a doctor's in a chat's lower case, with its period ("dr. Munteanu are loc mâine")
    # German, French and Spanish titles ("Frau Schneider", "Mme Dubois", "Sra. García", "Herr Professor Schmidt")
    r"|\b(?:" + "|".join(re.escape(t) for t in _OTHER_TITLE_CUES) + ")" +
    # a sign-off, its name on the next line or after one blank line ("Best regards,\n\nSienna Tran")
    r"|(?i:\b(?:regards|thanks|thank you|thx|tia|cheers|sincerely|best|yours|wishes|warmly|respectfully|faithfully|signed),?[ ]*\n"
    r"(?:[ ]*\n)?|\b(?:talk|speak|see you) soon,[ ]*\n(?:[ ]*\n)?)"
    r"|^--[ ]*\n)[ ]*\Z"
)
#: After these a known given name is a name even when it is also a word ("this is Will").
_WEAK_CUE = re.compile(
    r"(?:\bthis is|\bi am|\bi'm|\bim|\bhi|\bhello|\bhey|\bspoke (?:to|with)|\btalked (?:to|with)|\bspeaking with|"
    r"\bask for|\bcontact|\bagent|\bthanks|\bthank you|\bcc:?|\bfrom:?|\bsigned,?|\bcall|\bemail|\bby),?[ ]*\Z",
    re.IGNORECASE,
)
_ALL_FIRST = FIRST_NAMES | AMBIGUOUS_FIRST_NAMES
#: Weak cues said of a company as often as of a person ("an email from Chase", "call Dell", "contact Tesla",
#: "spoke to Chase"): a brand-like given name (BRAND_FIRST_NAMES) after one of them is the company.
_COMPANY_WEAK_CUES = frozenset(
    "from by call email contact cc".split() + ["spoke to", "spoke with", "talked to", "talked with", "speaking with"]
)
#: Given names that are months (April, May, June, August, Jan): before a day or a year they are a date ("refund
#: me by June 30", "from April 1st", "by Jan 31", "BY JUNE 30", "since May 2024"), whatever cue precedes them.
_MONTH_NAMES = _ALL_FIRST & frozenset(
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()
)
#: A day of the month (1-31, maybe "1st", "30TH") or a year (1900-2099) after a month's name.
_DAY_OR_YEAR_NEXT = re.compile(r"[ ]+(?:(?:19|20)\d\d|(?:[12]?\d|3[01])(?i:st|nd|rd|th)?)(?!\w)")
#: Given names that are modal verbs: right before a pronoun or a determiner (no comma between) they ask a
#: question ("hi Will the thermostat work with Alexa?", "Hello May I ask", "HI WILL THIS WORK"), unless a
#: strong cue precedes them ("Dear Will the ..." is still a name); "Hi Will, the update failed" is a name.
_MODAL_NAMES = frozenset(("Will", "May"))
_PRONOUN_OR_DETERMINER_NEXT = re.compile(
    r"[ ]+(?i:the|a|an|my|your|you|it|i|we|they|he|she|his|her|our|their|this|that|these|those|there|"
    r"someone|anyone|somebody|anybody)(?![\w'’-])"  # not a contraction: "Hi Will it's broken" lacks a comma
)
_CLEAR_FIRST = FIRST_NAMES - AMBIGUOUS_FIRST_NAMES
_FIRST_LOWER = frozenset(n.lower() for n in _CLEAR_FIRST)
#: Every known given name in capitals -> as the name lists spell it ("MARIA" -> "Maria").
_UPPER_FIRST = {n.upper(): n for n in _ALL_FIRST}
#: _PLACE_PREFIX in capitals: a given name right after these is part of a place ("SAN FRANCISCO").
_PLACE_PREFIX_UPPER = re.compile(
    r"\b(?:SAN|SANTA|SANTO|SÃO|SAO|ST\.?|SAINT|STE\.?|LOS|LAS|EL|PORT|FORT|MOUNT|MT\.?|LAKE|NEW|CAPE|PUERTO)[ ]\Z"
)

# --- gates: what a text must contain before a detector can find anything (see PiiRedactor._scan) -------
#: Every capitalised word as _CAPITALISED sees it (and then some: no boundary checks, so it is cheap).
_CAP_TOKEN = re.compile(r"[" + _UP + r"][" + _LO + r"]+")
_IBAN_GATE = re.compile(r"[A-Za-z]{2}\d\d")
_SSN_GATE = re.compile(r"\d\d\d[- ]?\d\d[- ]?\d\d\d\d")  # _SSN and _SSN_BARE without their context
#: Seven digits with at most two of _PHONE_CANDIDATE's separators between neighbours: what a candidate
#: that _phone_shaped lets through always holds.
_PHONE_GATE = re.compile(r"\d(?:[ .()\-/]{0,2}\d){6}")
#: ASCII byte -> its shape: every digit "0", every capital "A", every lower-case letter "a", any other byte
#: itself. On the shape of an ASCII text the digit gates become patterns that start with a literal, which re
#: finds far faster than a class such as \d (each gate ~1.4 us -> ~0.2 us a text): see _digit_shape.
_SHAPE = bytes(48 if 48 <= c <= 57 else 65 if 65 <= c <= 90 else 97 if 97 <= c <= 122 else c for c in range(256))
#: _IBAN_GATE on the shape: two letters of any case, then two digits (see _iban_shaped).
_IBAN_SHAPE_GATE = re.compile(rb"0(?<=[Aa][Aa]0)0")
#: _UPPER_RUN on the shape of ASCII text (a literal lead, which re finds fast): its spans are the runs.
_UPPER_RUN_SHAPE = re.compile(rb"AA+")
_SSN_SHAPE_GATE = re.compile(rb"000[- ]?00[- ]?0000")  # _SSN_GATE
_PHONE_SHAPE_GATE = re.compile(rb"0(?:[ .()\-/]{0,2}0){6}")  # _PHONE_GATE
#: 13 digits with at most one space or dash between neighbours: what a card that _cards finds holds
#: (its digit groups are consecutive groups of one _DIGIT_GROUPS run, which separates them by one [ -]).
_CARD_SHAPE_GATE = re.compile(rb"0(?:[ -]?0){12}")
#: Four dotted digit groups, as every _IPV4 match holds (its groups are 1-3 digits: ends need only one).
_IPV4_SHAPE_GATE = re.compile(rb"0\.0{1,3}\.0{1,3}\.0")
_STREET_SUFFIXES = frozenset(re.findall(r"[A-Z][a-z]+", _SUFFIX))
#: A street word in lower case after a space, as _ADDRESS_EN reads it ("12 Main street"): a literal space
#: opens the pattern, so re jumps from space to space (cheaper than eight substring tests).
_LOWER_STREET_WORD = re.compile("[ ](?:" + "|".join(_SUFFIX_WORDS_LOWER) + r")\b")
#: What every _LOWER_STREET_WORD match holds in the lower-cased text (needles of :func:`_needles_in`).
_LOWER_STREET_NEEDLES = frozenset(" " + w for w in _SUFFIX_WORDS_LOWER)
_ADDRESS_DE_GATE = re.compile(
    r"(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse) \d"
)
_ADDRESS_DE_UPPER_GATE = re.compile(r"(?:STRASSE|STRAẞE|STR\.|WEG|PLATZ|ALLEE|GASSE|RING|DAMM) \d")
_TITLES = frozenset(("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof"))
#: The German, French and Spanish titles of _STRONG_CUE, as _CAP_TOKEN finds them (the gate's test).
_OTHER_TITLES = frozenset(t.rstrip(".") for t in _OTHER_TITLE_CUES if not t.isupper() and " " not in t)
_GATE_TITLES = _TITLES | _OTHER_TITLES
#: The words a sign-off line ends with ("Kind regards,", "Yours faithfully,", "Talk soon,", "thx,", "TIA,").
_SIGN_OFFS = (
    "regards", "thanks", "thank you", "cheers", "sincerely", "best", "yours", "wishes", "warmly", "respectfully",
    "faithfully", "soon", "thx", "tia", "signed",
)
#: The first letter of a word that a :data:`_STRONG_CUE` may end right before, found in the reversed text (see
#: _name_candidates): the cue's own text, reversed, follows the letter and its spaces. A superset of the cue
#: (no \b, no ^, no 40-character window), so it can only let through a word the cue then rules out.
_CUED_WORD_REVERSED = re.compile(
    r"[" + _UP + r"](?=[ ]*(?:(?i:si eman|s'eman|raed|:eman)"
    r"|\.?(?:rM|srM|sM|ssiM|xM|rD|forP|RM|SRM|RD)|\.(?:SM|FORP|rd)"
    r"|" + "|".join(re.escape(t[::-1]) for t in _OTHER_TITLE_CUES) +
    r"|\n(?:[ ]*\n)?[ ]*,?(?i:" + "|".join(re.escape(w[::-1]) for w in _SIGN_OFFS) + r")"
    r"|\n[ ]*--))"
)
#: The letters that _CAP_TOKEN's lower-case class holds: a given name found in the text is a whole token
#: only when the next character is not one of them.
_TOKEN_LOWER = frozenset(c for c in map(chr, range(0x1F00)) if re.fullmatch("[" + _LO + "]", c))
#: A line break after a sign-off, an optional comma and spaces, reversed (see _ends_a_line_with_a_sign_off).
_SIGN_OFF_LINE_END = re.compile("\n[ ]*,?(?:" + "|".join(re.escape(w[::-1]) for w in _SIGN_OFFS) + ")")
#: A sign-off that opens a line and ends with a comma, right before a capitalised word: "Kind regards, Xochitl
#: Ngata" on one line. The word starts a name when the name then ends the line (see PiiRedactor._persons).
_SAME_LINE_SIGN_OFF = re.compile(
    r"(?m)^[ ]*(?i:(?:(?:kind|best|warm|warmest|many|with|all the)[ ]+)?"
    r"(?:regards|thanks|thank you|thx|cheers|best|sincerely|respectfully|best wishes|yours truly|yours sincerely|"
    r"yours faithfully|yours|warmly|faithfully|talk soon|speak soon|signed))[ ]*,[ ]*(?=[" + _UP + r"])"
)
#: _SAME_LINE_SIGN_OFF up to its comma, reversed: its gate, searched in the reversed lower-cased text, where it
#: starts with the comma (a literal re jumps to) and ends at the line's start.
_SAME_LINE_SIGN_OFF_REVERSED = re.compile(
    ",[ ]*(?:" + "|".join(re.escape(w[::-1]) for w in (*_SIGN_OFFS, "truly")) + ")"
    r"(?:[ ]+(?:dnik|tseb|mraw|tsemraw|ynam|htiw|eht lla|sruoy|klat|kaeps))?[ ]*(?:\n|\Z)"
)
#: The letters that re.IGNORECASE folds onto ASCII letters and str.lower does not: İ, ı, ſ and the Kelvin sign.
_CASE_ODDITIES = re.compile("[\u0130\u0131\u017f\u212a]")
#: What the window before a capitalised word ends with (trailing spaces aside) when a cue pattern can match.
_PLACE_WORDS = tuple(
    "San Santa Santo São Sao St St. Saint Sint Sankt Ste Ste. Los Las El Port Fort Mount Mt Mt. Lake New Cape Puerto "
    "Vila Jardim Parque Praia Ciudad Colonia".split()
)
#: Capitalised words that do not start a name before one (see _LEADING_NAME_WORD): titles, place prefixes,
#: days and months.
_NOT_A_NAME_LEAD = (
    _TITLES
    | _OTHER_TITLES
    | frozenset(w.rstrip(".") for w in _PLACE_WORDS)
    | frozenset("Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June "
                "July August September October November December".split())
)
_TITLE_ENDINGS = (
    *(t + dot for t in ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "MR", "MRS", "DR") for dot in ("", ".")),
    "MS.",
    "PROF.",
    "dr.",
    *_OTHER_TITLE_CUES,
)
_STRONG_CUE_ENDINGS = ("name is", "name's", "dear", "name:")
_WEAK_CUE_WORDS = (
    "this is", "i am", "i'm", "im", "hi", "hello", "hey", "spoke to", "spoke with", "talked to", "talked with",
    "speaking with", "ask for", "contact", "agent", "thanks", "thank you", "cc", "cc:", "from", "from:", "signed",
    "signed,", "call", "email", "by",
)


def _count_digits(text: str) -> int:
    """How many characters of ``text`` match ``\\d`` (``len(_DIGIT.findall(text))``).

    ASCII text, where ``\\d`` means 0-9 and ``str.isdigit`` agrees, takes one ``bytes.translate`` that
    deletes the digits (about 10x faster than listing every match); other text runs the pattern.
    """
    if text.isascii():
        return len(text) - len(text.encode("ascii").translate(None, b"0123456789"))
    return len(_DIGIT.findall(text))


def _email_matches(text: str) -> Iterable[re.Match[str]]:
    """``_EMAIL.finditer(text)``, searched from 64 characters before each "@" only: a local part is at most 64
    characters of a class without "@", so no match starts earlier, and the text between the addresses is not
    tried position by position (the pattern opens with look-behinds: ~6 us a text with an "@", ~1 us this
    way; test_fast_paths compares the two)."""
    end = 0
    at = text.find("@")
    while at >= 0:
        m = _EMAIL.search(text, max(end, at - 64))
        if m is None:
            return
        yield m
        end = m.end()
        at = text.find("@", end)


def _iban_shaped(shape: bytes) -> bool:
    """Whether _IBAN_GATE matches the text of ``shape``: two letters, of any case, right before two digits.
    A pattern that starts with the digit (re jumps from "0" to "0"): four substring tests of the low-entropy
    shape, one for each case of the letters, cost ~1.6 us a text, this ~0.25 us."""
    return _IBAN_SHAPE_GATE.search(shape) is not None


def _digit_shape(text: str) -> bytes | None:
    r"""The shape of ASCII ``text`` (:data:`_SHAPE`: digits "0", capitals "A", other letters "a"), None for
    other text.

    Hand-written gates: on ASCII text ``\d`` is 0-9 and ``[A-Za-z]`` the letters, so ``shape.count(b"0")`` is
    :func:`_count_digits` and each ``*_SHAPE*`` gate on the shape matches exactly where its ``\d`` pattern
    matches the text (the card and IPv4 gates are new; each is a necessary condition of its detector).
    Non-ASCII text (Unicode digits) keeps the patterns on the text itself.
    """
    return text.encode("ascii").translate(_SHAPE) if text.isascii() else None


def _lower_is_ignorecase(text: str) -> bool:
    """True when substring tests on ``text.lower()`` find exactly what ``re.IGNORECASE`` patterns of ASCII
    words find: always, except for the letters of :data:`_CASE_ODDITIES`."""
    return text.isascii() or _CASE_ODDITIES.search(text) is None


def _may_be_french_street(low: str, h: AbstractSet[str] | None = None) -> bool:
    """Whether lower-cased text holds one of _ADDRESS_FR's street words between the spaces it needs:
    " rue ", " avenue ", ... (:data:`_FRENCH_STREET_WORD`). ``h``: the text's :func:`_needles_in`, which holds
    every one of :data:`_FRENCH_STREET_NEEDLES` it has (one set test instead of a search of the text)."""
    if h is not None:
        return not h.isdisjoint(_FRENCH_STREET_NEEDLES)
    return _FRENCH_STREET_WORD.search(low) is not None


def _may_be_german_street(low: str, h: AbstractSet[str] | None = None) -> bool:
    """Whether lower-cased text holds one of _ADDRESS_DE_GATE's street words and the space after it
    ("str. ", "straße ", "weg ", ...; the gate pattern, which is slower, then decides).

    Searched in the reversed text, where every one of them starts with the space (:data:`_GERMAN_STREET_END`),
    or, given the text's :func:`_needles_in` ``h``, read from it (:data:`_GERMAN_STREET_NEEDLES` are needles).
    """
    if h is not None:
        return not h.isdisjoint(_GERMAN_STREET_NEEDLES)
    return _GERMAN_STREET_END.search(low[::-1]) is not None


# Hand-written street-word gates (see test_fast_paths): ten substring tests cost ~1.4 us a text; one search
# for a pattern that starts with a literal space costs half (re jumps from space to space). The German
# words end with the space, so their pattern runs over the reversed text, where it comes first.
_FRENCH_STREET_NEEDLES = (
    " rue ", " avenue ", " boulevard ", " bd ", " boul ", " boul. ", " place ", " chemin ", " allée ", " impasse ", " quai ",
    " route ", " cours ", " voie ", " passage ", " square ", " sentier ", " esplanade ", " promenade ", " faubourg ",
    " montée ", " cité ", " résidence ", " villa ",
)
_GERMAN_STREET_NEEDLES = ("str. ", "straße ", "strasse ", "weg ", "platz ", "allee ", "gasse ", "ring ", "damm ")
_FRENCH_STREET_WORD = re.compile(" " + _trie(n.strip() for n in _FRENCH_STREET_NEEDLES) + " ")
_GERMAN_STREET_END = re.compile("|".join(re.escape(n[::-1]) for n in _GERMAN_STREET_NEEDLES))


def _address_patterns(
    text: str,
    low: str,
    caps: list[str],
    upper: list[str] | None = None,
    shape: bytes | None = None,
    h: AbstractSet[str] | None = None,
) -> list[re.Pattern[str]]:
    """The address patterns that can match ``text`` (``low`` is text.lower(), ``caps`` its _CAP_TOKEN
    words, ``upper`` its :func:`_upper_runs`, computed when None, ``shape`` its :func:`_digit_shape` when
    ASCII): each needs its street words, and ``low`` stands in for the case-insensitive ones only where
    str.lower and re.IGNORECASE agree."""
    plain = _lower_is_ignorecase(text)
    if h is None:
        h = _needles_in(low)
    patterns = []
    # (" street" ... in the lower-cased text is what a match of _LOWER_STREET_WORD needs: a set test rules most out)
    if not _STREET_SUFFIXES.isdisjoint(caps) or (
        not h.isdisjoint(_LOWER_STREET_NEEDLES) and _LOWER_STREET_WORD.search(text)
    ):
        patterns.append(_ADDRESS_EN)
    if not _STREET_SUFFIXES_UPPER.isdisjoint(_upper_runs(text) if upper is None else upper):
        patterns.append(_ADDRESS_EN_UPPER)
    if _may_be_german_street(low, h):
        if _ADDRESS_DE_GATE.search(text):
            patterns.append(_ADDRESS_DE)
        if _ADDRESS_DE_UPPER_GATE.search(text):
            patterns.append(_ADDRESS_DE_UPPER)
    if not plain or _may_be_french_street(low, h):
        patterns.append(_ADDRESS_FR)
    if not plain or "box" in low or "s.l.p." in low:
        patterns.append(_PO_BOX)
    if _may_hold_lower_postcode(text, shape):
        patterns += (_ADDRESS_EN_LOWER, _ADDRESS_DE_LOWER)
    if _may_hold_german_postcode(text, shape):
        patterns.append(_ADDRESS_DE_PLACE)
    if _EU_POSTCODE_SHAPE.search(shape) if shape is not None else _EU_POSTCODE_GATE.search(text):
        patterns.append(_ADDRESS_EU)
    if _may_hold_world_address(low, h):
        patterns.append(_ADDRESS_WORLD)
    if (_PIN_SHAPE.search(shape) if shape is not None else _PIN_GATE.search(text)) and (
        "no" in low and ("no." in low or "no " in low) or "flat " in low or "plot " in low or _IN_PREFIX_GATE.search(text)
    ):
        patterns.append(_ADDRESS_IN)
    if "#" in text and _ADDRESS_CO_GATE.search(text):
        patterns.append(_ADDRESS_CO)
    if not h.isdisjoint(_UNIT_FIRST_NEEDLES) and _ADDRESS_UNIT_FIRST_GATE.search(text):
        patterns.append(_ADDRESS_UNIT_FIRST)
    # (max: one pass in C; most non-ASCII text is Latin with accents, below the first kana)
    if not plain or (not text.isascii() and max(text) >= "\u3041" and _ADDRESS_CJK_GATE.search(text)):
        patterns.append(_ADDRESS_CJK)
    return patterns


def _keyed_address_value(value: str) -> bool:
    """Whether a keyed value is an address: a digit and a letter, no e-mail and no placeholder ("<ADDRESS_1>")."""
    return (
        any(c.isdigit() for c in value) and any(c.isalpha() for c in value) and "@" not in value
        and PLACEHOLDER.search(value) is None
    )

def _address_match(text: str, start: int, end: int) -> PiiMatch:
    """An ADDRESS match of ``text[start:end]``, keyed by its words in lower case."""
    value = text[start:end]
    return PiiMatch("ADDRESS", start, end, value, " ".join(value.casefold().split()))


def _cued_address_value(text: str, start: int, line_end: int, labelled: bool = False) -> tuple[int, int] | None:
    """The span of the address that opens at ``start`` right after a cue, within its line (up to ``line_end``),
    or None when what follows is no address (see :meth:`PiiRedactor._cued_addresses`). After a label
    (``labelled``: "Address:") also one that names a house or a district first, or is in another script
    (:func:`_labelled_address_at`)."""
    start = _after_a_name(text, start, line_end)
    span = _address_at(text, start, line_end)
    if span is None:
        # a name or a company before the address ("Deliver to Kwame Asante at House No. 14, ...", "Pádraig Ó
        # Súilleabháin, Cnoc na Gaoithe, ...")
        named = _NAME_BEFORE_ADDRESS.match(text, start, line_end)
        if named is not None:
            span = _address_at(text, named.end(), line_end)
    if span is None and labelled:
        span = _labelled_address_at(text, start, line_end)
    return span


def _labelled_address_at(text: str, start: int, line_end: int) -> tuple[int, int] | None:
    """An address right after an address label that opens with no number or street: one that names a house, an
    estate or a district first, in three or more parts split by commas, a capital first and a digit among them
    ("Bryn Awel, Ffordd Penrhos, Bangor LL57 2EF", "Kileleshwa, Othaya Road, Apartment 4C, Nairobi"), or one
    written in a script other than Latin, with a digit ("Ερμού 25, 105 63 Αθήνα", "〒173-0004 東京都板橋区...",
    "서울특별시 마포구 월드컵북로 396")."""
    end = _address_value_end(text, start, line_end)
    value = text[start:end]
    if not _may_be_an_address(value) or not any(c.isdigit() for c in value):
        return None
    first = value[0]
    if first == "〒" or (first.isalpha() and not first.isascii() and _LATIN_LETTER.match(first) is None):
        return (start, end)
    if first.isupper() and value.count(",") >= 2 and _looks_like_an_address(value):
        return (start, end)
    return None


def _address_at(text: str, start: int, line_end: int) -> tuple[int, int] | None:
    """The span of an address that opens at ``start`` (:data:`_CUED_ADDRESS_START`) and ends within its line, when
    it looks like one; one that names its street first holds a comma ("Thorvald Meyers gate 52B, 0555 Oslo", not
    "Warehouse 12 takes 3 days")."""
    opens = _CUED_ADDRESS_START.match(text, start)
    if opens is None:
        return None
    end = _address_value_end(text, start, line_end)
    value = text[start:end]
    if (
        opens.group("street_first")
        and "," not in value
        and _DOOR_NUMBER.search(value) is None
        and _STREET_WORD_FIRST.search(opens.group("street_first")) is None
    ):
        return None
    return (start, end) if _looks_like_an_address(value) else None


#: A street word in a street's name written before its number ("ul. Długa 15/3", "Storgata 15", "Hämeenkatu 12 B 7",
#: "Kerkstraat 12", "Váci utca 12", "Rua Augusta 1508"): an address without a comma, where "Warehouse 12" is none.
_STREET_WORD_FIRST = re.compile(
    r"(?i:^(?:ul|al|os|pl|jl|vul|str|av|avda)\.|^(?:rua|via|viale|calle|carrer|carrera|avenida|rue|strada|travessa|alameda)[ ])"
    r"|\B(?:straat|gracht|laan|plein|kade|singel|dijk|straße|strasse|gasse|gade|gatan|gata|gate|vägen|veien|vei|vej"
    r"|katu|kuja|utca)\b"
    r"|[ ](?:gate|gata|gade|vej|utca|út|körút|tér|ulice|třída|cad\.|caddesi|sok\.|sokak|sokağı|bulvarı)[ ]"
)
#: A Turkish door and flat number ("Şair Nefi Sok. No:9 D:6 Kadıköy"): an address without a comma.
_DOOR_NUMBER = re.compile(r"\bNo:[ ]?\d{1,4}[A-Za-z]?(?:[ /]D:[ ]?\d{1,4})?")
#: A line of only a name (two to four capitalised words, initials, particles, a title or a rank before them):
#: the addressee after a "Ship to:" label, with the address on the lines under it.
_NAME_LINE = re.compile(
    r"[ \t]*(?:(?:Mr|Mrs|Ms|Miss|Dr|SGT|Sgt|CPT|Capt|LT|Lt|PFC|SPC|CPL|Cpl)\.?[ ])?([" + _UP + r"][\w'’.-]*"
    r"(?:[ ](?:[" + _UP + r"][\w'’.-]*|de|da|van|von|bin|bint|al|el|la|le|Ó|Ní)){1,3})[ \t]*"
)
#: Up to four capitalised words (particles and initials too) and ", ", " at " or " / " after them: a name or a
#: company before an address on a cue's line.
_NAME_BEFORE_ADDRESS = re.compile(
    r"(?:Ms|Mr|Mrs|Dr)?\.?[ ]?[" + _UP + r"][\w'’.-]*(?:[ ](?:[" + _UP + r"][\w'’.-]*|de|da|van|von|bin|bint|al|el|la|le|Ó|Ní|Mac|Nic)){0,4}"
    r"(?:,[ ]|[ ]at[ ]|[ ]/[ ])"
)


def _address_value_end(text: str, start: int, line_end: int) -> int:
    """Where an address that opens at ``start`` ends on its line: at :data:`_CUED_ADDRESS_END`, without the
    punctuation before it, right after its postcode when prose follows that ("..., GA 30307 confirmed via
    utility bill", "..., leeds ls6 2qu, ring bell twice, dog"), and before the lower-case words that end an
    address written with capitals ("221 St. John's Road now")."""
    stop = _CUED_ADDRESS_END.search(text, start, line_end)
    end = stop.start() if stop is not None else line_end
    end = start + len(text[start:end].rstrip(" \t\r,.:'\"”’)"))
    last = None
    # a postcode is after the street's part: "Av. Corrientes 1234, piso 5 depto B, C1043AAZ CABA" has a house number
    comma = text.find(",", start, end)
    for last in _POSTCODE_IN_ADDRESS.finditer(text, comma if comma >= 0 else start, end):
        pass
    if last is not None and last.end() < end:
        tail = text[last.end():end]
        words = re.findall(r"[^\W\d_]+", tail)
        if len(words) >= 2 and any(w[0].islower() and len(w) >= 3 and w not in _PLACE_PARTICLES for w in words):
            end = last.end()
    value = text[start:end]
    if not value.islower():  # an address with capitals ends before the lower-case words after it ("... Road now")
        prose = _TRAILING_LOWER_WORDS.search(value)
        if prose is not None:
            end = start + len(text[start : start + prose.start()].rstrip(" \t\r,.:'\"”’)"))
    return end


#: The lower-case words at the end of a line's part after an address written with capitals.
_TRAILING_LOWER_WORDS = re.compile(r"(?:[ ,]+[" + _LO + r"][" + _LO + r"'’]*)+\Z")


#: Lower-case words inside a place's name: "Ciudad de México", "Frankfurt am Main", "Saint-Denis-sur-Sarthe".
_PLACE_PARTICLES = frozenset("de del della dei di da do dos das la le les am an der den van von sur en y et".split())
#: A postcode inside an address: a US ZIP, a UK, Canadian or Dutch postcode, an Eircode, or four to six digits.
_POSTCODE_IN_ADDRESS = re.compile(
    r"(?i:\b(?:\d{5}(?:-\d{4})?|[a-z]{1,2}\d[a-z\d]?[ ]\d[a-z]{2}|[a-z]\d[a-z][ ]?\d[a-z]\d|\d{4}[ ]?[a-z]{2}"
    r"|[ac-fhknprtv-y]\d[0-9w][ ]?[0-9ac-fhknprtv-y]{4}|\d{4,6}|\d{3}-\d{4}|\d{2}-\d{3}|\d{5}-\d{3})\b)"
)
#: A house's name that may open with a given name: "Rose Cottage", "Victoria House".
_HOUSE_WORDS = frozenset(
    "Cottage House Farm Lodge Villa Manor Court Hall Mill Barn Apartments Residence Residency Tower Towers Building "
    "Mansion Gardens Heights Place Park Plaza Estate".split()
)


def _after_a_name(text: str, start: int, end: int) -> int:
    """``start``, or where the address begins after a person's name before it on its line ("Alessandro Romano,
    Viale Monza 96, ...", "davide romano, Via dei Mille 22/B"): a first part without a digit that opens with a
    known given name and names no house ("Rose Cottage, 5 Mill Lane" keeps its house's name)."""
    comma = text.find(", ", start, end)
    if comma < 0 or comma - start > 40:
        return start
    words = text[start:comma].split()
    if (
        1 <= len(words) <= 3
        and not any(c.isdigit() for c in text[start:comma])
        and words[0].title() in _ALL_FIRST
        and not any(w.title() in _HOUSE_WORDS for w in words[1:])
    ):
        return comma + 2
    return start


def _may_be_an_address(value: str) -> bool:
    """What every address value of a cue, a label or an answer is: short, no e-mail or web address, and not
    redacted before ("<PERSON_2>, <ADDRESS_1>")."""
    return bool(value) and len(value) <= _CUED_ADDRESS_MAX and "@" not in value and "://" not in value and (
        "www." not in value and not ("<" in value and PLACEHOLDER.search(value))
    )


def _looks_like_an_address(value: str) -> bool:
    """Whether ``value``, a line's part after an address cue, is an address: short, a digit among its first 40
    characters, no e-mail or web address, and a street or place named: a capitalised word after its number,
    or (in lower case) three parts split by commas. "2 weeks", "3 different places", "10.0.0.5" are not."""
    if not _may_be_an_address(value) or not any(c.isdigit() for c in value[:40]):
        return False
    words = [w for w in re.split(r"[\s,]+", value) if w]
    named = [w for w in words if len(w) >= 3 and w[0].isalpha()]
    if not named:
        return False
    if value.count(",") >= 2:
        return True
    # in lower case, a number and a street word after up to three words ("my address is 14 oak lane")
    if any(w[0].isupper() for w in named):
        return True
    street = _LOWER_NUMBERED_STREET.match(value)
    # not "12 hours drive away", "3 min walk", "2 more days"
    return street is not None and street.group(1).title() not in NOT_STREET_FIRST_WORDS and street.group(1) not in _NOT_LOWER_STREET_FIRST


#: A house number said in words, up to three words and a street word: "twenty two baker street", "one oh four
#: elm road", "forty-five oak lane" (in any case: transcripts are in lower case or in capitals).
_SPOKEN_STREET = re.compile(
    r"(?i)(?:(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|oh|zero|double)"
    r"(?:[ -]|(?=[ ]))){1,6}"
    r"(?:[a-z][a-z'’-]+[ ]){1,3}(?:"
    + "|".join(w.lower() for w in _SUFFIX_WORDS_UPPER)
    + "|"
    + "|".join(w.lower() for w in _SUFFIX_ABBREVIATIONS_UPPER)
    + r")\b"
)
#: What says a street address follows on a call ("the address is", "i live at"), each the needle its gate finds.
_SPOKEN_STREET_CUES = frozenset(
    ("address is", "address's", "address:", "live at", "living at", "ship to", "ship it to", "deliver to",
     "deliver it to", "send it to", "send them to", "moved to", "located at", "staying at", "it's at", "its at")
)
_SPOKEN_STREET_AFTER = re.compile(
    r"(?i)[ ,]+(?:(?:um|uh|er|erm|like|it's|its|is)[ ,]+){0,3}(" + _SPOKEN_STREET.pattern.removeprefix("(?i)") + ")"
)
_SPOKEN_STREET_AFTER_CUE = re.compile(
    r"(?i)(?<![a-z0-9])(?:" + "|".join(re.escape(c) for c in sorted(_SPOKEN_STREET_CUES, key=len, reverse=True)) + r")"
    + _SPOKEN_STREET_AFTER.pattern.removeprefix("(?i)")
)
_NOT_LOWER_STREET_FIRST = frozenset(
    "more other different days day times people items boxes parcels packages orders of in at on to for and or "
    "the a an am pm".split()
)
#: A house number, up to three lower-case words and a street word: a street written in lower case after a cue.
_LOWER_NUMBERED_STREET = re.compile(
    r"\d{1,5}[a-z]?(?:[-/]\d{1,4})?[ ]([a-z][a-z'’-]+)[ ](?:[a-z][a-z'’-]+[ ]){0,2}(?:"
    + "|".join(w.lower() for w in _SUFFIX_WORDS_UPPER)
    + "|"
    + "|".join(w.lower() for w in _SUFFIX_ABBREVIATIONS_UPPER)
    + r")\b"
)


def _address_block(text: str, label_end: int) -> list[PiiMatch]:
    """The address lines under a label alone on its line ("Shipping address:\nJane Doe\n12 Main St\nLagos"),
    each a span: up to six lines (after at most one blank line) before a blank line or a line with a label of
    its own; the lines with a digit that look like an address, and up to two lines of place names after the
    last of them."""
    out: list[PiiMatch] = []
    pos = label_end + 1
    after_digit_line = False
    names_after = 0
    if text[pos:pos + 1] == "\n" or text[pos:pos + 2] == "\r\n":  # one blank line after the label ("to:\n\nApt 9")
        pos = text.index("\n", pos) + 1
    for _ in range(6):
        if pos > len(text):
            break
        end = text.find("\n", pos)
        if end < 0:
            end = len(text)
        line = text[pos:end]
        stripped = line.strip()
        if not stripped or len(stripped) > _CUED_ADDRESS_MAX or re.match(r"[\w .-]{1,30}:[ \t]|[\w .-]{1,30}:\Z", stripped):
            break
        lead = pos + len(line) - len(line.lstrip())
        span_end = lead + len(stripped.rstrip(" ,.;"))
        if any(c.isdigit() for c in stripped):
            # under an address label a line with a house number is one ("C/ Mayor 146, 3º izq")
            opens = (
                _CUED_ADDRESS_START.match(text, lead) or _HOUSE_NUMBER.search(text, lead, span_end)
                or _RURAL_OR_MILITARY.match(text, lead, span_end)
            )
            if opens and _looks_like_an_address(text[lead:span_end]) or (
                after_digit_line and _is_place_line(text, lead, span_end)
            ):
                out.append(_address_match(text, lead, span_end))
                after_digit_line = True
                names_after = 0
            elif out:
                break
        elif after_digit_line and names_after < 2 and _is_place_line(text, lead, span_end):
            out.append(_address_match(text, lead, span_end))
            names_after += 1
        elif out:
            break
        pos = end + 1
    return out


#: A rural route, a military address or a post office line: "RR 2 Site 5 Box 18", "APO AE 09021", "Unit 3050
#: Box 4120", "ul. Długa 17/4".
_RURAL_OR_MILITARY = re.compile(r"(?:RR|R\.R\.|APO|FPO|DPO|PSC|CMR|ul\.|al\.)[ ]|[^\n]*\d+/\d+")
#: A house number among a line's words: "146" of "C/ Mayor 146, 3º izq", "12" of "Hauptstr. 12".
_HOUSE_NUMBER = re.compile(r"(?<![\w/.:#-])\d{1,5}[A-Za-z]?(?![\w/.:-])")


#: A turn that asks for an address or a postcode ("Can I confirm the service address?", "What's the new address and
#: Eircode?", "Op welk adres woon je?", "¿Cuál sería la nueva dirección?", "주소 알려주시겠어요?"): its line holds one
#: of these words and a question mark after it.
_ADDRESS_QUESTION = re.compile(
    r"(?i:\b(?:address|addr|adres|adresa|adresse|dirección|direccion|indirizzo|endereço|anschrift|postcode|post[ ]code"
    r"|postal[ ]code|zip(?:[ ]code)?|eircode|pin[ ]?code|địa[ ]chỉ)\b|주소|住所)[^\n?]{0,60}[?？]"
)
#: The speaker's label that opens a turn's line, to be skipped: "Caller: ", "10:56 Joris: ", "Tahlia (7:50 pm): ",
#: "[22/01/2024, 17:27:08] +61 482 131 306: ", "18:04 - Lucía: ", "고객: ".
_TURN_LABEL = re.compile(
    r"[ \t]*(?:\[[^\]\n]{1,30}\][ ]*|[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[ ]?[AaPp]\.?[Mm]\.?)?[)]?[ ]+(?:-[ ]+)?)?"
    r"[^\W\d_][^:：\n]{0,40}?(?:[ ]\([^()\n]{1,30}\))?[ ]?(?::[ ]+|：[ ]*)"
    r"|[ \t]*\[[^\]\n]{1,30}\][ ]*\+?[\d ()-]{7,20}:[ ]+"
)


#: What may follow the name that answers a question for one: a comma, a full stop, a dash or the line's end.
_ANSWERED_NAME_END = re.compile(r"[ ]*(?:[,.;]|[ ]-[ ]|[ ]–[ ]|\r?\n|\Z)")
#: A turn that asks for a person's name: "Can I take your full name?", "Can I get the name on the account?", "Who is
#: the policyholder?", "And the registered name?".
#: What an answer with a name opens with in other languages ("é o marcelo souza", "c'est karim", "soy carmen").
_FOREIGN_ANSWER_LEAD = re.compile(
    r"(?i:é[ ]o|é[ ]a|sou[ ]o|sou[ ]a|sou|soy|con|com[ ]o|com[ ]a|c['’]est|je[ ]suis|ich[ ]bin|hier[ ]ist|sono|ik[ ]ben"
    r"|jestem|jsem|sunt)[ ]+"
)
_NAME_QUESTION = re.compile(
    r"(?i:\b(?:(?:your|the|his|her|their|(?:patient|father|mother|child|husband|wife|son|daughter)(?:'?s)?)[ ]"
    r"(?:full[ ]|registered[ ]|legal[ ]|last[ ]|first[ ]|family[ ]|middle[ ])?name|(?:full|last|first|family|sur)[ ]?name"
    r"|registered[ ]name|name[ ]on[ ]the[ ]\w+|name[ ]please|policy[ ]?holder|account[ ]holder"
    r"|who[ ](?:am[ ]i|is)[ ](?:speaking|talking|chatting)[ ](?:to|with)|who[ ]is[ ]calling|who[ ]is[ ]the[ ]\w+"
    # the same in French, Portuguese, Spanish, German, Italian and Dutch ("à qui ai-je l'honneur ?", "com quem eu falo")
    r"|à[ ]qui[ ]ai-je[ ]l['’]honneur|com[ ]quem[ ](?:eu[ ])?falo|con[ ]quién[ ](?:hablo|tengo[ ]el[ ]gusto)"
    r"|mit[ ]wem[ ]spreche[ ]ich|con[ ]chi[ ]parlo|met[ ]wie[ ]spreek[ ]ik)[^\n?]{0,40}"
    # a transcript's question written without its question mark ("agent: and your name\ncaller: ...")
    r"(?:[?？]|(?=\n)))"
)
#: An agent's own name in a lower-case transcript, after "this is", "you're speaking with", "youre through to", "vous
#: parlez avec", before "speaking", "how can i help", "may i", "with the", a company's "at ..." or the line's end.
_AGENT_INTRO = re.compile(
    r"(?:\bthis[ ]is|speaking[ ]with|through[ ]to|parlez[ ]avec|vous[ ]parlez[ ]à|le[ ]habla|habla[ ]con)[ ]"
    r"(?P<name>[" + _LO + r"][" + _LO + r"'’-]+)"
    r"(?P<end>[ ](?:speaking|here|how[ ](?:can|may)[ ]i|may[ ]i|can[ ]i[ ](?:get|have|take|grab|start)|with[ ]the"
    r"|from[ ]the|at[ ][a-z]+)\b|[ ]?\n|[ ]?\Z)"
)
#: "<company> <name> speaking": the word right before "speaking" at a turn's opening words.
_AGENT_SPEAKING = re.compile(r"(?:^|(?<=:[ ])|(?<=\n))(?:[a-z]+[ ]){1,4}(?P<name>[" + _LO + r"][" + _LO + r"'’-]+)[ ]speaking\b")
#: A greeting, a thanks or a company's service word before an agent's name that ends its line.
_AGENT_GREETING = re.compile(
    r"good[ ](?:morning|afternoon|evening)|thanks?[ ](?:you[ ])?for[ ](?:calling|holding)|helpline|hotline|services?\b"
    r"|support|hello|\bhi\b|welcome[ ]to|bonjour|hola"
)
#: A title in lower case before a surname ("is that mrs okafor", "mister van der merwe"); "miss" only after a
#: courtesy ("thank you miss delgado": "i miss the old app" is no name).
_LOWER_TITLED = re.compile(
    r"(?:(?<![\w'’])(?:mr|mrs|ms|mister|dr)\.?|(?:thank[ ]you|thanks|hi|hello|hey|sorry|yes|okay|ok|morning)[ ]miss)[ ]"
    r"(?P<name>(?:(?:van[ ]der|van[ ]den|van|von|de[ ]la|de|da|del|le|la|al|el|bin|mc|o')[ ])?[" + _LO + r"][" + _LO
    + r"'’-]{2,})(?![\w'’-])"
)
#: A doctor or a nurse introducing themselves in a call's lower-case transcript, given name and surname or the
#: surname alone: "this is doctor amaka obiora with ...", "it's doctor fonoti can you hear me".
_LOWER_DOCTOR_INTRO = re.compile(
    r"(?:\bthis[ ]is|\bit'?s|\bit’s|\bi'?m|\bi’m|\bi[ ]am|\bim)[ ](?:doctor|dr\.?|nurse)[ ]"
    r"(?P<name>[" + _LO + r"][" + _LO + r"'’-]{2,}(?:[ ](?!(?:from|with|at|here|speaking|calling|can|could|and|on|in"
    r"|your|the|i|we|you|how|may|just|today|again|of|for|is|will)\b)[" + _LO + r"][" + _LO + r"'’-]{2,})?)(?![\w'’-])"
)
#: Words after "this is doctor" / "it's nurse" that are a role or a thing, no name ("nurse practitioner jones").
_NOT_A_DOCTORS_NAME = frozenset(
    """appointment appointments practitioner assistant office visit visits note notes orders order said told line team
    call calls station manager charge aide educator specialist consultant registrar resident intern student surgeon
    who on duty shift time today tomorrow here there speaking calling again now please thanks services service
    reception receptionist surgery clinic unit ward desk""".split()
)
#: A nickname: "everyone calls me kimmy", "he goes by bart", "known as bongi".
_NICKNAME = re.compile(
    r"(?:calls[ ]me|call[ ]me[ ](?=\w+(?:[ ]?\n|[ ]?\Z|[.!,]))|goes[ ]by|go[ ]by|known[ ]as|nickname[ ]is)[ ]"
    r"(?P<name>[" + _LO + r"][" + _LO + r"'’-]+)(?![\w'’-])"
)
#: Three single letters one space apart: a word spelt out.
_SPELLING = re.compile(r"[a-z](?:[ ][a-z]){2}\b")
_NOT_A_NAME_ENDINGS = ("'re", "’re", "'m", "’m", "'ve", "’ve", "'ll", "’ll", "'d", "ly")
_NOT_AN_AGENT_NAME = frozenset("youre were theyre whos who whom someone anyone everyone nobody somebody person".split())
_NAME_PARTICLES_LOWER = frozenset("van der den von de la da del le al el bin mc o'".split())


#: A word spelt out letter by letter, four letters or more: "r a m a s w a m y" (in a transcript in lower case).
_SPELT_RUN = re.compile(r"(?<![\w'’])[a-z](?:[ ][a-z]){3,}(?![\w'’])")
#: What every such run holds: a pattern that opens with a literal space, which re jumps to.
_SPELT_GATE = re.compile(r" [a-z] [a-z] ")


def _spelt_names(text: str, matches: list[PiiMatch]) -> list[PiiMatch]:
    """A name found in ``text`` spelt out letter by letter as well ("its priyanka ramaswamy thats r a m a s w a m
    y", "van der merwe v a n d e r m e r w e"): the spelling is the same person."""
    if " " not in text:
        return []
    out: list[PiiMatch] = []
    names: dict[str, str] | None = None
    for m in _SPELT_RUN.finditer(text):
        if names is None:
            names = {}
            for p in matches:
                if p.type == "PERSON":
                    words = p.value.lower().replace("-", " ").split()
                    names["".join(words)] = p.normalized
                    for w in words:
                        names.setdefault(w, p.normalized)
        joined = m.group().replace(" ", "")
        if joined in names:
            out.append(PiiMatch("PERSON", m.start(), m.end(), m.group(), names[joined]))
    return out


def _may_hold_transcript_name(low: str, h: AbstractSet[str] | None = None) -> bool:
    """Substring tests of the lower-cased text for the words of :meth:`PiiRedactor._transcript_names`' cues."""
    if h is None:
        h = _needles_in(low)
    return (
        "this is " in h or "speaking" in h or "through to " in h or "parlez" in h or "habla" in h
        or "mr" in h or "ms " in h or "ms. " in h or "mister " in h or "dr" in h or "miss " in h
        or "call" in h or "go by" in h or "goes by" in h or "known as" in h or "nickname" in h
        or "doctor " in h or "nurse " in h
    )


def _lower_answered_name(text: str, pos: int) -> tuple[int, int] | None:
    """The span of a name in lower case that answers a question for one, from ``pos`` (after the speaker's label):
    after what a caller says first (:data:`_ANSWER_FILLERS`), one to four words (a particle, an initial) up to a
    common word, punctuation or the line's end; a known given name first, or two words or more none of which is a
    common word ("harold j pettigrew", "mere tautahi", "van der merwe", "thi kim ngan pham")."""
    words: list[re.Match[str]] = []
    at = pos
    while (w := _LOWER_ANSWER_WORD.match(text, at)) is not None and w.group() in _ANSWER_FILLERS and len(words) == 0:
        at = w.end() + 1 if text[w.end():w.end() + 1] == " " else w.end()
        if at == w.end():
            return None
    while len(words) < 5 and (w := _LOWER_ANSWER_WORD.match(text, at)) is not None:
        word = w.group()
        if word in NOT_LOWER_SURNAMES and word not in _NAME_PARTICLES_LOWER:
            break
        if len(word) == 1 and _SPELLING.match(text, w.start()):
            break  # the name spelt out after it: "van der merwe v a n d e r m e r w e"
        words.append(w)
        if text[w.end():w.end() + 1] != " ":
            break
        at = w.end() + 1
    while words and words[-1].group() in _NAME_PARTICLES_LOWER:
        words.pop()
    if not words or len(words) > 4:
        return None
    first = words[0].group()
    named = [w.group() for w in words if len(w.group()) > 1 and w.group() not in _NAME_PARTICLES_LOWER]
    if len(words) == 1 and not _ANSWERED_NAME_END.match(text, words[0].end()):
        return None  # one word that opens a sentence: "hang on a sec"
    if first in _FIRST_LOWER or len(named) >= 2 or (len(named) == 1 and words[0].group() in _NAME_PARTICLES_LOWER):
        return words[0].start(), words[-1].end()
    return None


#: What a caller says before the name that answers such a question ("yes ma'am harold j pettigrew", "its for ...").
_ANSWER_FILLERS = frozenset(
    "yes yeah yep yup sure ok okay um uh er erm so well ma'am maam sir its it's it’s thats that's me the name is "
    "name's my for".split()
)
#: The lower-case words of a name's answer: letters, hyphens and apostrophes.
_LOWER_ANSWER_WORD = re.compile(r"[" + _LO + r"][" + _LO + r"'’-]*(?![\w'’-])")

#: Whom an order, a booking or an account is for or in whose name it is ("and that's for Wendell Kowalczyk", "this
#: one's for Priya", "put it under Olufemi Adeyemi", "the booking is under Kowalski", "Account is under Indi
#: McInerney", "it's under kemunto chebet"): group 1 is "under" (in whose name: a surname alone counts) or "for".
#: Not "it's for" ("it's for work"), "listed under" or "registered under" ("listed under Account Settings").
_BOOKED_FOR_CUE = re.compile(
    r"(?i:(?<![\w'’])(?:(?:(?:and|so|ok|okay)[ ])?(?:that|this[ ]one)(?:['’]s|[ ]is|s)[ ](for)"
    r"|(?:(?:the|my|your|our|his|her|their|this|that)[ ])?(?:booking|reservation|account|order|table|appointment|room"
    r"|ticket|parcel|package|delivery|it|that|this[ ]one)(?:['’]s|[ ]is|[ ]was)[ ](under)"
    r"|(?:booked|reserved|ordered|put[ ](?:it|that|this|them|one|the[ ](?:booking|order|reservation|table))(?:[ ]down)?)"
    r"[ ](under)"
    # the name a card or an account carries, without a field's colon ("name on card SEAH HUI MIN")
    r"|(?<![\w'’])(name)[ ]on[ ](?:the[ ]|my[ ]|your[ ])?(?:card|account)(?:[ ](?:is|was|reads))?)"
    r"(?:[ ]the[ ]name(?:[ ]of)?)?:?[ ]+)"
)
#: Whom to ask for, call for or speak to ("ask for Roz at the front desk", "hi, calling for Teodoro", "can I speak to
#: Wiremu please"): "ask" and "call" name the cue ("calling for" after a caller's greeting, "speak to" after a
#: request: "could I", "I'd like to"), group 3 is the one capitalised word after it (see PiiRedactor._asked_for).
_ASKED_FOR_CUE = re.compile(
    r"(?:(?<![\w'’])(?P<ask>[Aa]sk(?:ing|ed)?[ ]for)"
    r"|(?P<call>(?<![\w'’])(?i:(?:hi|hello|hey|yes|yeah|good[ ](?:morning|afternoon|evening)),?[ ]"
    r"(?:i['’]?m[ ]|i[ ]am[ ]|just[ ]|i[ ]was[ ])?)[Cc]alling[ ]for)"
    r"|(?i:(?:can|could|may)[ ]i|i['’]?d[ ]like[ ]to|i[ ]would[ ]like[ ]to|i[ ]want[ ]to|i[ ]need[ ]to|let[ ]me)[ ]"
    r"(?:please[ ])?[Ss]peak[ ](?:to|with))[ ]"
    r"([" + _UP + r"][" + _LO + r"]+(?:-[" + _UP + r"][" + _LO + r"]+)?)(?![\w'’-])"
)
#: What follows a person asked for: where or when to ask ("at the front desk", "when you arrive"), a pronoun that
#: says it is a person ("asking for Bongani, is he in?"); after "calling for" the clause's end will do, after
#: "speak to" a "please" that ends it.
_ASKED_PERSON_END = re.compile(
    r"[ ](?:at[ ](?:the[ ])?(?:front[ ]desk|reception|desk|door|gate|entrance|check-?in|host[ ]stand)"
    r"|when[ ]you[ ](?:arrive|get[ ]there|come[ ]in|check[ ]in)|on[ ]arrival|personally|by[ ]name)\b"
    r"|,?[ ](?:(?:is|was)[ ])?(?:she|he)\b"
)
_ASKED_CLAUSE_END = re.compile(r"[ ]*(?:[,.;!?)]|[ ]-[ ]|\r?\n|\Z)")
#: What follows a person a caller asks to speak to: "please" at the clause's end ("could I speak to Ngaire please?").
_ASKED_PLEASE_END = re.compile(r"[ ](?:please|pls)[ ]*(?:[,.;!?)]|\r?\n|\Z)")
#: Words that are asked for or spoken to capitalised and are no person: a desk, a department, a role, a service.
_NOT_ASKED_FOR = frozenset(
    "Reception Billing Sales Support Legal Security Accounts Accounting Payroll Admin Administration Management "
    "Housekeeping Maintenance Concierge Dispatch Customer Customers Service Services Operator Operations Finance "
    "Help Helpdesk Assistance Supervisor Manager Management Someone Somebody Anyone Anybody Everyone Nobody "
    "Pharmacy Pharmacist Doctor Nurse Police Ambulance Emergency Emergencies Refund Refunds Returns Delivery "
    "Collections Claims Compliance Fraud Technical Tech Engineering Marketing Purchasing Procurement Shipping "
    "Warehouse Logistics Recruitment Facilities Transport Catering Membership Memberships Enrolment Enrollment "
    "Admissions Registration Registry Records Tenancy Lettings Residents Parking Bookings Reservations Booking "
    "Reservation Front Desk Office Team Staff Duty Security Lost Found Directions Details Information Info "
    "English Spanish French German Italian Portuguese Chinese Mandarin Cantonese Arabic Hindi Japanese Korean "
    "Russian Polish Dutch Turkish Vietnamese Tagalog Translation Interpreter Siri Alexa Cortana Google Bixby "
    # agencies and a bank's or an insurer's departments ("can I speak to Medicare please")
    "Medicare Medicaid Centrelink Medibank Revenue HMRC IRS Immigration Customs Council Housing Pensions Benefits "
    "Welfare Insurance Underwriting Lending Mortgages Mortgage Loans Savings Investments Payments Cards Banking "
    # what a forecast calls for ("is it calling for Snow tomorrow")
    "Rain Snow Sun Sunshine Showers Storms Thunderstorms Frost Hail Fog Wind Winds Sleet Clouds Drizzle Heat".split()
)
_BOOKING_WORD = re.compile(r"(?i)booking|reservation|account|order|table|appointment|room|booked|reserved|name")
#: What may follow a name an order or a booking is for: the clause's end, or a word that goes on about it.
_BOOKED_NAME_END = re.compile(
    r"[ ]*(?:[,.;:!?)(]|[ ]-[ ]|\r?\n|\Z)|[ ](?:please|pls|thanks|thank|and|at|on|for|with|tonight|today|tomorrow"
    r"|dob|d\.o\.b|who|right)\b"
)


def _answered_addresses(text: str) -> list[PiiMatch]:
    """The address that answers a question for one on the next turn of a conversation ("Agent: Can I confirm the
    service address?\nTahlia (7:50 pm): 364 rokeby rd, fortitude valley qld 4006"): the turn's words after its
    speaker's label, up to a sentence's end, when they hold a digit and a word of three letters and open with a
    number, a unit or a place's name, or are a postcode alone ("Caller: D09 K6T2")."""
    out: list[PiiMatch] = []
    for q in _ADDRESS_QUESTION.finditer(text):
        line_end = text.find("\n", q.end())
        if line_end < 0:
            continue
        start = line_end + 1
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        label = _TURN_LABEL.match(text, start, end)
        if label is None:
            continue
        start = label.end()
        if text.startswith(("It's ", "it's ", "Its ", "its "), start):
            if not text[start + 5:start + 6].isdigit():
                continue  # "It's Saoirse McCarthy, 55 Castle Road": a name first, left to the name and street patterns
            start += 5  # "It's 4417 North Kedzie Avenue, apartment 2 rear, Chicago, 60625."
        start = _after_a_name(text, start, end)
        value = text[start:_address_value_end(text, start, end)]
        if _EIRCODE.fullmatch(value) or _answers_with_an_address(value):
            out.append(_address_match(text, start, start + len(value)))
    return out


#: An Irish Eircode: a routing key and the unique part ("D02 X285", "A94 XK73").
_EIRCODE = re.compile(r"[AC-FHKNPRTV-Y]\d[0-9W][ ]?[0-9AC-FHKNPRTV-Y]{4}", re.IGNORECASE)


def _answers_with_an_address(value: str) -> bool:
    """Whether ``value``, a turn that answers a question for an address, is one: short, no e-mail, web address or
    question, a digit and a word of three letters, and a number or unit first or a comma between its parts."""
    if not _may_be_an_address(value) or "?" in value or not any(c.isdigit() for c in value):
        return False
    if not any(len(w) >= 3 and w.lower() not in COMMON_LOWER_WORDS for w in re.findall(r"[^\W\d_]+", value)):
        return False  # "06/01/1994 and 50968": a date of birth and a postcode
    return bool(_CUED_ADDRESS_START.match(value)) or value.count(",") >= 1


#: A keyed address in JSON, a Python dict or a log line: '"line1": "Kastanienweg 123b"', "city_postcode='04109
#: Leipzig'", 'address="12 Main St"' (the value needs a digit and a letter).
_KEYED_ADDRESS = re.compile(
    r"""(?:["']|(?<![\w.-])(?=\w+=))(?:\w+[_-])??((?i:(?:shipping|billing|home|street|postal|mailing|delivery|customer)?[ _-]?"""
    r"""(?:address|addr)(?:[ _-]?(?:line)?[ _-]?[123])?|(?:address[ _-]?)?line[ _-]?[123]|street(?:[ _-]?address)?"""
    r"""|city[ _-]?post(?:al)?[ _-]?code|post(?:al)?[ _-]?code[ _-]?city))(?:["'][ ]?[:=]|=)[ ]*["']([^"'\n\\]{3,110})["']"""
)
#: A keyed address in YAML or a form's "key: value" lines ('line1: "vul. Khreshchatyk 22, kv. 14"', "address_line2:
#: Phoenix AZ 85017", "to_street: Ngong Road, Plot 45"): the key opens its line.
_YAML_ADDRESS = re.compile(
    r"""(?im)^[ \t]*(?:\w+[_-])?((?:address|addr)[ _-]?(?:line)?[ _-]?[123]|line[ _-]?[123]|street(?:[ _-]?address)?"""
    r"""|city[ _-]?post(?:al)?[ _-]?code|post(?:al)?[ _-]?code[ _-]?city)[ \t]*:[ \t]*["']?([^"'\n]{3,110}?)["']?[ \t]*$"""
)
#: How a one-line text that may be a :data:`_YAML_ADDRESS` opens (in lower case).
_YAML_ADDRESS_KEYS = ("address", "addr", "line", "street", "city", "post")
#: A vCard's address ("ADR;TYPE=HOME:;;Lange Nieuwstraat 380-II;5611 EM Eindhoven"): the parts after the colon.
_VCARD_ADDRESS = re.compile(r"(?m)^ADR(?:;[^:\n]*)?:([^\n]*)")


def _is_place_line(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a line of place names (:data:`_PLACE_LINE`) none of which is a common word
    or a sign-off ("Thanks", "Best regards")."""
    if not _PLACE_LINE.fullmatch(text, start, end):
        return False
    words = [w.strip(",.") for w in text[start:end].split()]
    return not any(w.lower() in COMMON_LOWER_WORDS or w.lower() in _SIGN_OFF_WORDS for w in words if not w[:1].isdigit())


#: The words of a sign-off or greeting line: no place's name under an address ("Thanks", "Kind regards").
_SIGN_OFF_WORDS = frozenset(" ".join(_SIGN_OFFS).split()) | {"kind", "hi", "hello", "dear", "warm", "many", "thx"}


#: A line of place names and a postcode under an address's street line: "Ho Chi Minh City", "Lagos, Nigeria",
#: "Nagoya 460-0008", "SEOUL 06236".
_PLACE_LINE = re.compile(
    r"[" + _UP + r"][" + _UP + _LO + r"'’.-]*(?:,?[ ][" + _UP + r"\d][" + _UP + _LO + r"\d'’.-]*){0,5}"
)


def _address_cue_gates(text: str, low: str, h: AbstractSet[str] | None = None) -> tuple[bool, bool, bool, bool] | None:
    """Which parts of :meth:`PiiRedactor._cued_addresses` may find something in ``text`` (``low`` its lower
    case): an :data:`_ADDRESS_CUE` (:func:`_may_hold_cue_words`), a question for an address
    (:func:`_may_ask_for_address`), a keyed address (:func:`_may_hold_keyed_address`), a vCard's address; None
    when none may. Every part may where the substring tests of ``low`` could miss what a pattern matches."""
    if not _lower_is_ignorecase(text):
        return (True, True, True, True)
    if h is None:
        h = _needles_in(low)
    gates = (
        _may_hold_cue_words(low, h), _may_ask_for_address(low, h), _may_hold_keyed_address(low, h),
        "ADR" in text and _VCARD_ADDRESS.search(text) is not None,
    )
    return gates if True in gates else None


#: The words every :data:`_ADDRESS_CUE` holds, and how far before each one a cue may open ("i live at": 2, "we ...": 3).
_CUE_ANCHORS = (
    ("addr", (0,)), ("eircode", (0,)), ("ship", (0,)), ("deliver", (0,)), ("dispatch", (0,)), ("send ", (0,)),
    ("moved ", (0,)), ("relocated", (0,)), ("living", (0,)), ("live", (0, 2, 3)), ("stay", (0, 2, 3)), ("resid", (0, 2, 3)),
    ("moro ", (0,)), ("direcci", (3,)), ("adresse", (4,)), ("demeurant", (0,)), ("domicil", (0, 3, 4, 8)), ("wohnhaft", (0,)),
    ("woonachtig", (0,)), ("domisili", (0,)), ("flytning", (0,)),
    ("vivo", (0,)), ("vive", (0,)), ("vivimos", (0,)), ("estoy", (0,)), ("estamos", (0,)), ("me mud", (0,)),
    ("nos mudamos", (0,)), ("situad", (0,)), ("ubicad", (0,)), ("entregar", (0,)), ("je suis", (0,)), ("habite", (0, 2)),
    ("déménagé", (0,)), ("situé", (0,)), ("livrer", (0,)), ("abito", (0,)), ("trasferit", (0,)), ("wohne", (0,)),
    ("umgezogen", (0,)), ("liefern", (0,)), ("woon ", (0,)), ("verhuisd", (0,)), ("bor ", (0,)), ("flytta", (0,)),
    ("flytte", (0,)), ("adress", (0,)), ("hjemme", (0,)), ("osoit", (0,)), ("asun", (0,)), ("mieszkam", (0,)),
    ("na adres", (0,)), ("adresa", (0,)), ("živim", (0,)), ("bydlím", (0,)), ("címem", (0,)), ("lakom", (0,)),
    ("locuiesc", (0,)), ("adresas", (0,)), ("adrese", (0,)), ("aadress", (0,)), ("adresim", (0,)), ("alamat", (0,)),
    ("kirim", (0,)), ("dijadualkan", (0,)), ("deliver po", (0, 3)), ("flytja", (0,)), ("post", (0,)), ("moving", (0,)),
    ("move ", (0,)), ("standing", (0,)), ("no answer", (0,)), ("apartment", (0,)), ("flat ", (0,)), ("house ", (0,)),
    ("condo", (0,)), ("bytem", (0,)), ("bytom", (0,)), ("zam.", (0,)), ("zamieszkał", (0,)), ("domicili", (0, 3)),
    ("resident of", (0,)), ("cư trú", (0,)), ("địa chỉ", (0,)),
)
#: The anchor words of the cues in prose that :func:`_may_hold_cue_words` looks for (through :func:`_needles_in`).
_PROSE_CUE_WORDS = frozenset(word for word, _ in _CUE_ANCHORS)
#: The words of the cues that are labels only (a colon follows them), looked for where the text holds a colon.
_LABEL_CUE_ANCHORS = (
    ("postal", (0,)), ("site", (0,)), ("remit", (0,)), ("adres", (0,)), ("direcci", (0,)), ("domicilio", (0,)),
    ("indirizzo", (0,)), ("endere", (0,)), ("anschrift", (0,)), ("lieferadresse", (0,)), ("rechnungsadresse", (0,)),
    ("alamat", (0,)), ("naslov", (0,)), ("osoite", (0,)), ("lakcím", (0,)), ("cím", (0,)), ("morada", (0,)), ("premises", (0,)),
    ("pickup", (6,)), ("pick-up", (6,)),
)
#: The words of the labels in scripts other than Latin, looked for in text that is not ASCII.
_SCRIPT_CUE_ANCHORS = (
    ("地址", (0,)), ("住址", (0,)), ("住所", (0,)), ("주소", (0,)), ("адрес", (0,)), ("διεύθυνση", (0,)), ("כתובת", (0,)),
    ("العنوان", (0,)), ("ঠিকানা", (0,)), ("पता", (0,)), ("ที่อยู่", (0,)), ("địa chỉ", (0,)), ("配送先", (0,)),
    ("お届け先", (0,)),
)
#: The words of "... to:" cues ("Please courier the documents to:"), looked for where the text holds " to:".
_TO_CUE_ANCHORS = (("courier", (0,)), ("post", (0,)), ("mail", (0,)), ("return", (0,)), ("forward", (0,)))
#: Every anchor word of the cues: registered with the Aho-Corasick pass, so :func:`_cues_in_lower` skips at once the
#: words a text does not hold.
_ANCHOR_NEEDLES = frozenset(word for word, _ in _CUE_ANCHORS + _LABEL_CUE_ANCHORS + _TO_CUE_ANCHORS + _SCRIPT_CUE_ANCHORS)


#: A label that opens its line, holds a word for an address, alone or ending a compound, and up to four more words
#: of what the address is for, then a colon, in lower-cased text: "Adresa locului de consum:", "Indirizzo di
#: fornitura:", "Alamat pemasangan:", "Tesisat adresi:", "Asennusosoite:", "Anschlussadresse:", "Address as per
#: UIDAI:".
_COMPOUND_ADDRESS_LABEL = re.compile(
    r"(?m:^)[ \t]*(?:[^\W\d_][^\W\d_'’-]*[ ]){0,2}?[^\W\d_]*(?:adres[aeiă]?|adressen?|adresse|indirizzo|endere[cç]o"
    r"|direcci[oó]n|alamat|osoite|address|anschrift)(?:[ ][^\W\d_][^\W\d_'’.-]*){0,4}[ ]?[:：][ ]*"
)
_COMPOUND_ADDRESS_LABEL_ANY_CASE = re.compile(_COMPOUND_ADDRESS_LABEL.pattern, re.IGNORECASE)
#: Words of such a label that make it no postal address's ("E-mail address:", "IP adresa:", "Wallet address:").
_NOT_A_POSTAL_LABEL = re.compile(
    r"\b(?:e-?mail|mail|ip|ipv[46]|mac|web|website|wallet|server|url|bitcoin|btc|eth|crypto|billing[ ]email|correo"
    r"|elektronick\w*|electr[oó]nic\w*|e-?posta|sähköposti\w*|netzwerk|network)\b|e-?mail|email"
)
#: The strings one of which such a label holds (found by the Aho-Corasick pass).
_COMPOUND_LABEL_NEEDLES = frozenset(("adres", "indirizzo", "endere", "direcci", "alamat", "osoite", "addr", "anschrift"))


#: Every anchor of :func:`_cues_in_lower` with its group: 0 the prose cues (always looked for), 1 those of other
#: scripts (in text that is not ASCII), 2 the labels (where a colon is), 3 the "to:" labels (where " to:" is); and
#: where each word's anchors are in it. An anchor's place in this order is its place in every text's list.
_ALL_CUE_ANCHORS: tuple[tuple[int, str, tuple[int, ...]], ...] = tuple(
    (group, word, backs)
    for group, anchors in enumerate((_CUE_ANCHORS, _SCRIPT_CUE_ANCHORS, _LABEL_CUE_ANCHORS, _TO_CUE_ANCHORS))
    for word, backs in anchors
)
_CUE_ANCHOR_AT: dict[str, tuple[int, ...]] = {
    word: tuple(k for k, (_, w, _) in enumerate(_ALL_CUE_ANCHORS) if w == word) for word in _ANCHOR_NEEDLES
}


def _cues_in_lower(low: str, h: AbstractSet[str] | None = None) -> list[re.Match[str]]:
    """The :data:`_ADDRESS_CUE_LOWER` matches of lower-cased text, in order: tried only where one of their words
    is (str.find), which is ~5x faster than the pattern's search of every position."""
    found: dict[int, re.Match[str]] = {}
    labels = ":" in low
    groups = (True, not low.isascii(), labels, labels and (" to:" in low or " to :" in low))  # (_ALL_CUE_ANCHORS' groups)
    if h is not None:  # only the anchors the Aho-Corasick pass found in the text, in the order of the groups
        at = sorted(k for word in _ANCHOR_NEEDLES.intersection(h) for k in _CUE_ANCHOR_AT[word])
        anchors = tuple((word, backs) for group, word, backs in map(_ALL_CUE_ANCHORS.__getitem__, at) if groups[group])
    else:
        anchors = tuple((word, backs) for group, word, backs in _ALL_CUE_ANCHORS if groups[group])
    for word, backs in anchors:
        i = low.find(word)
        while i >= 0:
            for back in backs:
                if i - back >= 0 and i - back not in found:
                    m = _ADDRESS_CUE_LOWER.match(low, i - back)
                    if m is not None:
                        found[i - back] = m
                        break
            i = low.find(word, i + 1)
    if ":" in low and (h is None or not h.isdisjoint(_COMPOUND_LABEL_NEEDLES)):
        _add_compound_labels(found, low, _COMPOUND_ADDRESS_LABEL)
    return _in_order(found)


def _add_compound_labels(found: dict[int, re.Match[str]], text: str, pattern: re.Pattern[str]) -> None:
    """Put the compound address labels ``pattern`` finds in ``text`` among the cues ``found`` (by start): the
    longer where both start at one place ("address as per UIDAI:", not "address as"), none naming an e-mail's or a
    network's address."""
    for m in pattern.finditer(text):
        if (m.start() not in found or found[m.start()].end() < m.end()) and _NOT_A_POSTAL_LABEL.search(
            m.group().lower()
        ) is None:
            found[m.start()] = m


def _in_order(found: dict[int, re.Match[str]]) -> list[re.Match[str]]:
    """The cues ``found`` (by start) in order, as finditer gives them: none inside an earlier one ("mi dirección:"
    holds "dirección:")."""
    out: list[re.Match[str]] = []
    for k in sorted(found):
        if not out or k >= out[-1].end():
            out.append(found[k])
    return out


def _address_cues(text: str) -> list[re.Match[str]]:
    """The address cues of ``text`` searched with the case-blind patterns: for a text whose lower case is not what
    re.IGNORECASE matches (a Turkish dotless "ı", "İ"), where :func:`_cues_in_lower` cannot read its lower case."""
    found = {m.start(): m for m in _ADDRESS_CUE.finditer(text)}
    if ":" in text or "：" in text:
        _add_compound_labels(found, text, _COMPOUND_ADDRESS_LABEL_ANY_CASE)
    return _in_order(found)

def _may_hold_cue_words(low: str, h: AbstractSet[str] | None = None) -> bool:
    """Substring tests of the lower-cased text for the words of every :data:`_ADDRESS_CUE`."""
    if h is None:
        h = _needles_in(low)
    if (
        "addr" in h or "ship to" in h or "shipping to" in h or "deliver" in h or "dispatch to" in h
        or ("send " in h and " to" in h) or "eircode" in h or "moved " in h or "relocated to" in h
        or (" at " in h and ("live" in h or "living" in h or "resid" in h or "stay" in h))
        or "moro " in h or "direcci" in h or "adresse" in h
        or "residente " in h or "demeurant" in h or "domicil" in h or "wohnhaft" in h or "woonachtig" in h or "domisili" in h
        or "flytning" in h or not h.isdisjoint(_PROSE_CUE_WORDS)
    ):
        return True
    if not low.isascii() and any(word in low for word, _ in _SCRIPT_CUE_ANCHORS):
        return True
    if ":" not in low:
        return False  # the rest are labels
    return (
        "ship from" in h or "shipping from" in h or "ship-" in h or "postal" in h or "site" in h
        or "remit" in h or "adres" in h or "domicilio" in h or "indirizzo" in h or "endere" in h
        or "anschrift" in h or "alamat" in h or "naslov" in h or "osoite" in h or "lakcím" in h or "cím" in h
        or "morada" in h or "premises" in h or "pickup" in h or "pick-up" in h
        or (" to:" in h or " to :" in h)
        and ("courier" in h or "post" in h or "mail" in h or "return" in h or "forward" in h)
    )


def _may_ask_for_address(low: str, h: AbstractSet[str] | None = None) -> bool:
    """Substring tests of the lower-cased text for an :data:`_ADDRESS_QUESTION`: a question mark, a line break
    and one of its words."""
    if h is None:
        h = _needles_in(low)
    return "?" in low and "\n" in low and (
        "addr" in h or "adres" in h or "direcci" in h or "indirizzo" in h or "endereço" in h
        or "anschrift" in h or "post" in h or "zip" in h or "eircode" in h or "pin" in h or "địa chỉ" in h
        or "주소" in h or "住所" in h
    )


def _may_hold_keyed_address(low: str, h: AbstractSet[str] | None = None) -> bool:
    """Substring tests of the lower-cased text for a :data:`_KEYED_ADDRESS` or a :data:`_YAML_ADDRESS`: a colon
    or "=", and a word of their keys."""
    if h is None:
        h = _needles_in(low)
    if "=" not in low and ":" not in low:
        return False
    return "addr" in h or "line" in h or "street" in h or "post" in h


def _quoted_key(low: str) -> bool:
    """Whether the lower-cased text may hold a :data:`_KEYED_ADDRESS`: "=", or a quote and a colon (maybe one space
    between)."""
    return "=" in low or '":' in low or "':" in low or '" :' in low or "' :" in low


def _may_ask_for_a_name(low: str, h: AbstractSet[str] | None = None) -> bool:
    """Substring tests of the lower-cased text for a :data:`_NAME_QUESTION`'s words."""
    if h is None:
        h = _needles_in(low)
    return (
        "name" in h or "holder" in h or "speaking" in h or "talking" in h or "calling" in h or "who is" in h
        or "who am i" in h or "à qui ai-je" in h or "com quem" in h or "con quién" in h or "mit wem" in h
        or "con chi" in h or "met wie" in h
    )


def _lower_given_names(text: str) -> set[str]:
    """The known given names that are no word (:data:`_FIRST_LOWER`) among the words of ``text`` in lower case."""
    if text.isascii() or _NON_ASCII_NAME_LETTER.search(text) is None:
        # no letter of a name beyond ASCII ("€", "’", "…" only): each of those is one "?", a separator
        ascii_text = text.encode("ascii", "replace") if not text.isascii() else text.encode("ascii")
        words = _FIRST_LOWER_BYTES.intersection(ascii_text.translate(_NON_WORD_TO_SPACE).split())
        return {word.decode("ascii") for word in words}
    return set(_FIRST_LOWER.intersection(_LETTER_RUN.findall(text)))

def _may_hold_world_address(low: str, h: AbstractSet[str] | None = None) -> bool:
    """Whether the lower-cased text may hold an _ADDRESS_WORLD match: a Polish street word or a Brazilian state's
    dash and a dashed postcode, a Mexican "Col.", or a Turkish "Mah." and door number."""
    if h is None:
        h = _needles_in(low)
    return (
        "-" in low and ("ul." in h or "al." in h or "os." in h or "pl." in h or " - " in h)
        or "col." in h
        or ("mah." in h and "no:" in h)
        or ("jl." in h and "no." in h)
        or "số " in h
    )


#: _EU_POSTCODE_GATE and _PIN_GATE in an ASCII text's :func:`_digit_shape` (capitals "A", small letters "a",
#: digits "0"): patterns that open with a literal, which re jumps to.
_EU_POSTCODE_SHAPE = re.compile(rb"0000(?:00?|[ ]?AA|-000)?[ ]A|000[ ]00[ ]A")
_PIN_SHAPE = re.compile(rb"000000(?:(?<=[Aa][ ]000000)|(?<=[Aa]-000000)|(?<=[Aa][ ]-[ ]000000))(?!0)")


#: What every :data:`_LOWER_POSTCODE` match holds in the text's shape: " aa 00000" (state and ZIP), "0 0aa" or "0a
#: 0aa" (a UK postcode: its first half ends in a digit or a letter after one), ", 00000 " (a German postcode
#: before its city), "a0a 0a0" (a Canadian postcode, its space optional). Each alternative starts with a digit
#: (the look-behinds see the rest), so re jumps from "0" to "0" of the shape: ~0.4 us a text, where substring
#: tests of the low-entropy shape cost ~0.4 us each.
_LOWER_POSTCODE_SHAPE = re.compile(rb"0(?:(?<= aa 0)0000|(?<=, 0)0000 |a? 0aa|(?<=a0)a ?0a0)")
#: What every :data:`_ADDRESS_DE_PLACE` match holds in the text's shape: a digit or letter, ", " and five digits.
_GERMAN_POSTCODE_SHAPE = re.compile(rb"0(?<=[0a], 0)0000 ")


def _may_hold_lower_postcode(text: str, shape: bytes | None) -> bool:
    """Whether :data:`_LOWER_POSTCODE` may match ``text``: first substring tests of its shape (``shape``, the
    :func:`_digit_shape` of ASCII text, made here for other text: the patterns read only ASCII digits and
    letters), one of which every match holds: " aa 00000" (state and ZIP), "0 0aa" or "0a 0aa" (a UK postcode:
    its first half ends in a digit or a letter after one), ", 00000 " (a German postcode before its city) and " aa
    a0a 0a0" (a Canadian province and postcode, its space optional).
    Prose holds them rarely (" 0aa" alone is in every "3 days")."""
    if shape is None:  # one "?" for each other character: the positions still hold
        shape = text.encode("ascii", "replace").translate(_SHAPE)
    return _LOWER_POSTCODE_SHAPE.search(shape) is not None and _LOWER_POSTCODE.search(text) is not None


def _may_hold_german_postcode(text: str, shape: bytes | None) -> bool:
    """Whether :data:`_ADDRESS_DE_PLACE` may match ``text``: its shape (see :func:`_may_hold_lower_postcode`) holds
    a digit, a comma, a space and five digits before a space ("4, 50667 ")."""
    if shape is None:
        shape = text.encode("ascii", "replace").translate(_SHAPE)
    return _GERMAN_POSTCODE_SHAPE.search(shape) is not None


def _may_hold_strong_cue(text: str, low: str, caps: list[str], plain: bool, h: AbstractSet[str] | None = None) -> bool:
    """False only when no :data:`_STRONG_CUE` can match anywhere in ``text`` (a superset test, cheap).

    Text with runs of spaces (where a cue may sit at the start of the 40-character window the cue is
    searched in) and text where lower() and re.IGNORECASE disagree (``plain`` False) always answer True,
    so the gate can never hide a name.
    """
    if h is None:
        h = _needles_in(low)
    # (each string of ``text`` is tested only where its lower case is among the hits: most texts hold none)
    if not plain or "   " in h or "dear" in h or "--" in h or ("mr" in h and "MR" in text):
        return True
    if ("dr" in h and ("DR" in text or "dr." in text)) or ("ms." in h and "MS." in text) or ("prof." in h and "PROF." in text):
        return True
    if "name" in h and ("name is" in h or "name's" in h or "name:" in h):
        return True
    if not _GATE_TITLES.isdisjoint(caps) or ("herr" in h and "HERR" in text) or ("frau" in h and "FRAU" in text):
        return True
    return _ends_a_line_with_a_sign_off(low)


def _ends_a_line_with_a_sign_off(low: str) -> bool:
    """Whether a line of ``low`` that is not its last ends with a sign-off ("Best regards,\nEmily"): for
    some line, ``line.rstrip(" ").removesuffix(",").endswith(_SIGN_OFFS)``.

    Hand-written: that is a sign-off, an optional comma, spaces and a line break, searched in the reversed
    text, where the pattern starts with the line break (a literal re jumps to); ~1 us less than testing
    ten substrings and splitting the lines (test_fast_paths compares the two).
    """
    return "\n" in low and _SIGN_OFF_LINE_END.search(low[::-1]) is not None


#: The greetings that open a line before a capitalised name ("Hi Oluwaseun,"), as written: case-sensitive, so
#: that no case folding (re.IGNORECASE reads the Turkish "İ" as "i") lets one through that
#: :func:`_may_hold_greeting` missed. :meth:`PiiRedactor._greeted` tests each line's start against them
#: (a pattern with ``^`` is tried at every position of the text: ~3 us a text).
_GREETINGS = tuple(
    f"{word} " for base in ("hi", "hello", "hey", "hiya", "good morning", "good afternoon", "good evening")
    for word in dict.fromkeys((base, base.capitalize(), base.upper()))
)
#: _GREETINGS lower-cased, as :func:`_may_hold_greeting` looks for them at a line's start.
_GREETING_WORDS = ("hi ", "hello ", "hey ", "hiya ", "good morning ", "good afternoon ", "good evening ")
#: What ends the name a greeting addresses: a comma, "!", or the end of the line.
_GREETING_END = re.compile(r"[ ]*(?:[,!]|\r?\n|\Z)")
#: Capitalised words that a greeting or a display name holds and that are not people: assistants, big brands,
#: family words.
#: A greeting's word alone that addresses someone politely without a name ("Good afternoon Ma,", "Hello Ma'am").
_POLITE_ADDRESS = frozenset(("Ma", "Maam", "Ma'am", "Ma’am", "Mam", "Madam", "Sah", "Oga", "Bhaiya", "Didi", "Sirji"))
_NOT_GREETED = frozenset(
    "World There Google Amazon Apple Microsoft Alexa Siri Cortana Netflix Spotify Facebook Meta Samsung Mum Mom "
    "Dad Mummy Daddy Auntie Grandma Grandpa Bot Chatbot Assistant Noreply Welcome Neighbor Neighbour Neighbors "
    "Neighbours Bluetooth Chatgpt".split()
    # words of brands, carriers and software that a mention ("I spoke to Virgin Media", "Requested by Power
    # Automate") holds and a person's name does not
    + """Media Telekom Telecom Telecoms Mobile Wireless Broadband Fibre Fiber Energy Gas Electric Water
    Airways Airlines Air Rail Railways Insurance Motors Cloud Duty Automate Firefox Mozilla Chrome Ground
    Freight Logistics Cargo Fargo Depot Prime Squad Studio Console Code Pharmacy Clinic Hospital Foods Market
    Outlet Direct Finance Financial Capital Credit Pay Wallet App Apps Labs Networks Telco Form Forms Line Desk
    Automation Automations Workflow Workflows Integration Integrations Bot Bots Script Scheduler Daemon Webhook
    Fios Xfinity Bahn Verizon Comcast Vodafone Telstra Optus Evri Hermes Yodel Royal Parcelforce DPD UPS USPS FedEx
    DHL Movistar Vivo Claro Telcel Airtel Safaricom Telkom Globe Maynilad Meralco""".split()
    # words of ticket systems, places and products that a field, a sender or an introduction holds and a
    # person's name does not ("Customer: Never Mind", "Caller: Private Number", "It's Smart Plug again",
    # "Lumen Notifications <noreply@...>")
    + """Point Locker Number Review Triage Monitor Close Seat Hub Plug Mind Never Tier Two Three Four Private
    Withheld Unknown Anonymous Automated Auto System Systems Pickup Parcel Fraud Window Smart Queue Level
    Notifications Notification Payments Receipts Receipt Software Alerts Alert Updates News Newsletter Shop Robot
    Portal Digital Security Escalation Escalations Bank Banking Rewards Orders Returns Shipping Tracking""".split()
)
#: Words that open a line before a display name and are not part of it.
_SENDER_LABELS = frozenset("From To Cc Bcc Reply Sender Contact Attn Write Email Mail".split())
#: A display name written surname first, unquoted, before an e-mail address in angle brackets ("From: Holloway,
#: Colin <colin_holloway76@example.com>", as Outlook writes it).
_REVERSED_SENDER = re.compile(
    r"(?<![\w'’-])((?:Mc|Mac|O'|O’)?[" + _UP + r"][" + _LO + r"'’-]+(?:[ ](?:Mc|Mac|O'|O’)?[" + _UP + r"][" + _LO + r"'’-]+)?"
    r",[ ][" + _UP + r"][" + _LO + r"'’-]+(?:[ ][" + _UP + r"][" + _LO + r"'’-]+)?)[ ]*<[^<>\s@]+@[^<>\s]+>"
)
#: A quoted display name before an e-mail address in angle brackets: '"Nguyen, Thi Lan" <lan@example.com>'.
_QUOTED_SENDER = re.compile(r'"([^"<>@\n]{2,80})"[ ]*<[^<>\s@]+@[^<>\s]+>')
#: A word of a quoted display name: a capitalised name (hyphens, apostrophes), an initial or a particle.
_SENDER_WORD = re.compile(
    r"(?:Mc|Mac|O'|O’|D'|D’)?[" + _UP + r"][" + _LO + r"'’-]+|[A-Z]\.?|van|von|de|del|der|den|da|di|le|la|al|bin|ben"
)
#: Up to four capitalised words (initials and particles too) right before an e-mail address in angle brackets.
_SENDER = re.compile(
    r"(?<![\w'’.-])((?:Mc|Mac|O'|O’|D'|D’)?[" + _UP + r"][" + _LO + r"'’-]+"
    r"(?:[ ]+(?:[A-Z]\.|(?:van|von|de|del|der|den|da|di|le|la|al|bin|ben)|(?:Mc|Mac|O'|O’|D'|D’)?[" + _UP + r"][" + _LO + r"'’-]+)){0,3})"
    r"[ ]*<[^<>\s@]+@[^<>\s]+>"
)


#: A form, CRM or ticket field whose value is a person: "Customer: Thanh Huong Le", "Account holder: Ngozi Eze",
#: "Reported by: Sunita Rao", "| Cardholder: Kavya Nair". The labels of chat transcripts ("Customer:", "Agent:")
#: open utterances too, so the value counts only when it is a name and ends the field (see _FIELD_VALUE_END),
#: and one word only when it is a known given name.
_FIELD_LABELS = (
    "customer", "customer name", "client", "client name", "account holder", "accountholder", "account name",
    "cardholder", "card holder", "cardholder name", "name on card", "name on the card", "requester", "requestor",
    "contact", "contact person", "contact name", "reported by", "submitted by", "requested by", "raised by",
    "opened by", "created by", "signed by", "approved by", "handled by", "recipient", "attn", "attention",
    "beneficiary", "payee", "policyholder", "policy holder", "tenant", "cx", "cust", "kyc", "name", "full name",
    "caller name", "name on account", "name on the account", "agent name", "patient", "patient name", "guest name",
    "answered by", "reporter", "taken by", "updated by", "agent", "advisor", "adviser", "assignee", "from",
    "passenger", "passenger name", "employee", "employee name", "member name", "user name", "sender name",
    # claims, loans, logistics, field service and payments ("Insured: Bronwyn Fraser", "Applicant 2: Eilidh
    # McAllister", "Consignee: ...", "Plumber: Hemi Walker (021 ...)", "Titular: Inmaculada Ortega")
    "insured", "insured name", "applicant", "co-applicant", "guarantor", "reviewer", "reviewed by", "verified by",
    "owner on file", "name on file", "contact on file", "patient on file", "versicherte", "versicherter",
    "versicherungsnehmer", "versicherungsnehmerin", "pt",
    "consignee", "debtor", "plumber", "electrician", "engineer", "technician", "note by",
    "witness", "landlord", "next of kin", "emergency contact", "guardian", "student", "student name", "traveller",
    "traveler", "lead passenger", "primary contact", "billing contact", "account manager", "owner",
    "titular", "deudor", "beneficiario", "ordenante", "nombre", "nombre completo", "titolare", "intestatario",
    "nome", "nome completo", "titulaire", "bénéficiaire", "nom", "nom complet", "inhaber", "kontoinhaber",
    "empfänger", "naam", "rekeninghouder", "ad soyad", "imię i nazwisko",
    # rentals, donors, estates, social care, HR ("Renter: ...", "Mieterin: ...", "Donateur : ...", "Executor: ...")
    "renter", "hirer", "lessee", "mieter", "mieterin", "vermieter", "vermieterin", "sponsor", "donor", "donateur",
    "donatrice", "donante", "executor", "executrix", "caseworker", "case worker", "case manager", "social worker",
    "prepared by", "processed by", "bearbeitet von", "erstellt von", "new hire", "new joiner", "referrer",
    "referred by", "candidate", "candidate name", "ime in priimek", "ime i prezime", "nama", "nama lengkap",
    "họ tên", "họ và tên", "người nhận",
    # buyers and sellers, managers, and a payment's recipient in more languages ("Alıcı: Mehmet Can Öztürk")
    "buyer", "seller", "manager", "line manager", "alıcı", "gönderen", "kontoinnehavare", "mottagare", "modtager",
    "mottaker", "vastaanottaja", "odbiorca", "příjemce", "primatelj", "prejemnik", "címzett", "destinatario",
    "destinataire", "ontvanger",
    # pupils, drivers, account holders and signatories ("Pupil: Harvey Doyle", "Other driver: Tamika Ross", "Ekstra
    # sjåfør: Håkon Berge", "Kontoinhaberin: Gülay Aksoy", "Signed: Alistair Hume")
    # (not "Driver:" or "Rider:" alone, a platform's as often: "Driver: Uber Eats")
    "pupil", "pupil name", "other driver", "additional driver", "second driver", "ekstra sjåfør", "kontoinhaberin",
    "signed", "installer", "resident", "subscriber", "homeowner", "consumer",
    # tenants, landlords, parties and contacts of more languages ("Nájemce: ...", "Inquilino: ...", "Yhteyshenkilö:
    # ...", "Controparte: ...", "Testimone: ...", "Lejer: ...")
    "nájemce", "pronajímatel", "inquilino", "inquilina", "locatario", "locataria", "arrendatario", "arrendador",
    "propietario", "propietaria", "locataire", "bailleur", "huurder", "verhuurder", "najemca", "wynajmujący",
    "lejer", "udlejer", "hyresgäst", "hyresvärd", "leietaker", "vuokralainen", "vuokranantaja", "yhteyshenkilö",
    "kiracı", "controparte", "testimone", "conduttore", "locatore", "ansprechpartner", "ansprechpartnerin",
    "contacto", "signature", "unterschrift", "companion", "accompanying",
    # technicians, users, policyholders and emergency contacts in more languages ("Técnico: Wellington Souza",
    # "Benutzer: Florian Weber", "Versicherungsnehmer: Markus Gruber", "Müşteri: Hülya Arslan", "Klant: ...")
    "técnico", "tecnico", "technicien", "benutzer", "benutzerin", "versicherungsnehmer", "versicherungsnehmerin",
    "notfallkontakt", "beneficiário", "beneficiário titular", "müşteri", "klant", "contractor", "contractor on site",
    "usuário", "utilisateur", "utente", "gebruiker", "użytkownik", "kullanıcı", "candidata", "candidat",
    # claims, clinics, courts and HR ("Adjuster: Renée Castillo", "Attending: Rebecca Lindholm, MD", "Prescriber: ...",
    # "Demandado: ...", "Expert mandaté : ...", "Asegurado: ...", "Assuré : ...", "Poszkodowany: ...", "Coniuge: ...")
    "adjuster", "claims adjuster", "loss adjuster", "attending", "attending physician", "physician", "prescriber",
    "referring physician", "provider", "member", "approver", "witnesses", "prospective client", "legal name",
    "preferred name", "spouse", "partner", "child", "assistido", "assistida", "demandado", "demandada",
    "demandante", "demandeur", "demanderesse", "défendeur", "défenderesse", "expert", "expert mandaté", "expert(e)",
    "asegurado", "asegurada", "tomador", "assuré", "assurée", "souscripteur", "poszkodowany", "poszkodowana",
    "sprawca", "ubezpieczony", "ubezpieczona", "veicolo a", "veicolo b", "assicurato", "assicurata", "contraente",
    "coniuge", "figli", "figlio", "figlia", "sachbearbeiter", "sachbearbeiterin", "co-signer", "cosigner",
    "co signer", "co-borrower", "co-applicant name", "ospite", "huésped", "hóspede", "gast", "guest", "occupant",
    "cardholder name", "card holder name", "account holder name", "applicant name", "applicant full name", "tenant name",
    "ehepartner", "ehepartnerin", "verzekerde", "verzekeringnemer", "segurado", "segurada", "responsável",
    # a name's parts ("Preferred name: Zee", "Surname: Okonkwo", "Vorname: Jörg")
    "preferred name", "nickname", "known as", "goes by", "first name", "given name", "surname", "last name",
    "family name", "vorname", "nachname", "prénom", "nom de famille", "apellido", "apellidos", "cognome", "sobrenome",
    # a name, a full name and a customer in the languages of Central and Northern Europe, Turkey, South-East Asia and
    # East Africa ("Név: Szabó Éva", "Jméno a příjmení: ...", "Nume și prenume: ...", "Kunde: ...", "Asiakas: ...",
    # "Adı soyadı: ...", "Tên khách hàng: ...", "Pangalan: ...", "Jina kamili: ..."), and a customer's name in the
    # languages of Western Europe ("Nombre del cliente:", "Nom du client:", "Kundenname:", "Nome do cliente:")
    "név", "teljes név", "ügyfél", "ügyfél neve", "bérlő", "előfizető", "kapcsolattartó", "jméno", "jméno a příjmení",
    "příjmení", "zákazník", "zákaznice", "klient", "klientka", "meno", "meno a priezvisko", "priezvisko", "nume",
    "nume complet", "nume și prenume", "nume si prenume", "prenume", "navn", "fullt navn", "fulde navn", "kunde",
    "kundin", "kundenavn", "fornavn", "etternavn", "efternavn", "namn", "fullständigt namn", "kund", "kundnamn",
    "förnamn", "efternamn", "nimi", "koko nimi", "asiakas", "asiakkaan nimi", "etunimi", "sukunimi", "imię",
    "nazwisko", "isim", "adı soyadı", "adı", "soyadı", "soyad", "tên", "tên khách hàng", "khách hàng",
    "nama pelanggan", "pelanggan", "penerima", "pangalan", "buong pangalan", "jina", "jina kamili", "mteja",
    "naam klant", "klantnaam", "voornaam", "achternaam", "cliente", "nombre del cliente", "nombre y apellidos",
    "paciente", "solicitante", "nome e cognome", "nominativo", "richiedente", "paziente", "nom du client",
    "nom et prénom", "kundenname", "name des kunden", "antragsteller", "antragstellerin", "patientin",
    "nome do cliente", "nome cliente",
)
#: Of those, the labels that name a chat's speakers as often as a form's person ("Kunde: Guten Morgen", "Cliente:
#: Quiero Cancelar"): a value counts only with a known given name among its words ("Kunde: Kowalczyk Irena").
_SPEAKER_FIELD_LABELS = frozenset(
    ("ügyfél", "bérlő", "előfizető", "zákazník", "zákaznice", "klient", "klientka", "kunde", "kundin", "kund",
     "asiakas", "khách hàng", "pelanggan", "penerima", "mteja", "cliente", "paciente", "solicitante", "richiedente",
     "paziente", "antragsteller", "antragstellerin", "patientin")
)
# Not "cc" (but see _CC_LINE): in tickets "CC:" is as often a credit card ("CC: Chase Freedom").
# Not "ship to", "deliver to", "escalated to", "assigned to", "closed by", "caller", "driver", "courier": their
# values are as often a place, a queue, a company or a system ("Ship to: Pickup Point", "Escalated to: Fraud Review", "Closed by: Auto
# Close", "Caller: Private Number", "Driver: Uber Eats") as a person.
_FIELD_LABEL_SET = frozenset(_FIELD_LABELS)
#: A colon or "=" before a capitalised word: where a field's value may start. The label before it, from the
#: line's start or a "|", ";" or tab ("Customer:", "| Cardholder :", "Reported by.:"), is looked up in
#: :data:`_FIELD_LABELS` (any case); a pattern of every label at every position cost ~2 us a text.
_FIELD_COLON = re.compile(r"[:=][ \t]*(?=[" + _UP + r"])")
#: What may follow the name of a field: the end of the line or of the field, a comma, a bracket, an e-mail, a
#: sentence's end ("Caller: Geneviève Tremblay. Moving from ...") or a trading name ("Harriet Osei-Bonsu t/a Bloom").
_FIELD_VALUE_END = re.compile(
    r"[ ]{2,}(?=\S)|[ \t]*(?:\r?\n|\Z|[,;|(<\t]|[.][ \t]*(?:\r?\n|\Z)|[.][ ]+(?=[" + _UP + r"])|[ ]t/a[ ]|[ ]-[ ])"
)
#: A colon (or a full-width one) before a letter: where a field's value in a script other than Latin may start.
_SCRIPT_FIELD = re.compile(r"[:：][ \t]*(?=[^\W\d_])")
#: One to four words of letters (hyphens and apostrophes inside), one space apart: a name's value.
#: The vowel signs and other combining marks of the scripts between Greek and Ethiopic ("ि" of "अमित", "ั" of "สมชาย",
#: Hebrew points, Arabic harakat): a word's letters, though ``\w`` does not match them.
_COMBINING_MARKS = "".join(
    chr(c) for c in range(0x300, 0x1380) if unicodedata.category(chr(c)) in ("Mn", "Mc")
)
_SCRIPT_LETTERS = r"(?:[^\W\d_]|[" + re.escape(_COMBINING_MARKS) + r"])+"
_SCRIPT_NAME_VALUE = re.compile(
    _SCRIPT_LETTERS + r"(?:[-'’]" + _SCRIPT_LETTERS + r")*(?:[ ]" + _SCRIPT_LETTERS + r"(?:[-'’]" + _SCRIPT_LETTERS + r")*){0,3}"
)
#: What may follow such a value: the end of its line or field, a comma, a bracket, two spaces.
#: Labels of a register or a form, whose value may be "Surname, Given" (not a chat's speakers: "Agent: Thanks, Tuan").
_REGISTER_LABELS = frozenset(
    "name|full name|employee|employee name|patient|patient name|guest|guest name|passenger|passenger name|companion|"
    "insured|applicant|tenant|student|student name|candidate|member name|account name|cardholder|policyholder|"
    "nombre|nome|nom|naam|titular|beneficiary|payee|traveller|traveler|lead passenger|member|mitarbeiter|"
    "mitarbeiterin|legal name|client|customer|resident|subscriber|asegurado|assuré|insured name|employee name".split("|")
)
#: "Surname, Given" (and an initial) as a register or a form writes a name.
_SURNAME_COMMA_GIVEN = re.compile(
    r"([" + _UP + r"][" + _LO + r"]+(?:[-'’][" + _UP + r"][" + _LO + r"]+)?),[ ]([" + _UP + r"][" + _LO + r"]+"
    r"(?:[ ][" + _UP + r"][" + _LO + r"]+)?)(?:[ ][" + _UP + r"]\.)?"
)
#: A surname in capitals, then one to three given names capitalised, as French and Vietnamese forms write a person
#: ("Nom : DUPONT Marie", "Client : M. GUILLOT Thibault", "Name: NGUYEN Van An"); a title may come first (left out).
_CAPS_SURNAME_THEN_GIVEN = re.compile(
    r"(?:(?:M|Mme|Mlle|Mr|Mrs|Ms|Dr)\.?[ ])?"
    r"([" + _UP + r"]{2}[" + _UP + r"'’-]+)((?:[ ][" + _UP + r"][" + _LO + r"]+(?:-[" + _UP + r"][" + _LO + r"]+)?){1,3})(?![\w'’-])"
)
_SURNAMES_FIRST_UPPER = frozenset(n.upper() for n in SURNAMES_FIRST)
#: Labels of a register whose value is a person only as "Surname, Given" ("Mitarbeiter: Schmidt-Kowalski, Anja"):
#: a chat's speaker as often ("Mitarbeiter: Guten Tag Frau Lorenz").
_REGISTER_ONLY_LABELS = frozenset(("mitarbeiter", "mitarbeiterin"))
#: Labels whose value is a name of one word, a known given name or not ("Preferred name: Zee", "Nickname: Bongi").
_ONE_WORD_NAME_LABELS = frozenset(
    ("preferred name", "nickname", "known as", "goes by", "first name", "given name", "surname", "last name",
     "family name", "vorname", "nachname", "prénom", "nom de famille", "apellido", "apellidos", "cognome", "sobrenome")
)
#: A surname in capitals and a known given name after it, a comma between them or not, as registers, rosters and
#: job cards write a person ("BĂLAN Mihai", "MUNTEANU Sorin", "TIERNEY, Caoimhe"); see :func:`_caps_surname_given`.
_CAPS_SURNAME_GIVEN = re.compile(
    r"(?<![\w'’-])([" + _UP + r"]{2}[" + _UP + r"'’-]+),?[ ]([" + _UP + r"][" + _LO + r"]+)(?![\w'’-])"
)
#: Words in capitals before a given name that make it an address or a notice, no surname ("DEAR Maria", "URGENT Ana").
_NOT_CAPS_SURNAMES = frozenset(
    "DEAR HELLO THANKS THANK CHEERS REGARDS ATTN ATTENTION URGENT PLEASE CALL EMAIL ASK TELL SORRY WELCOME CONGRATS "
    "HAPPY GOOD FROM WITH AND FOR TO NOTE NOTES UPDATE INFO FYI ASAP OK OKAY YES NO HEY HIYA BYE".split()
)
#: Two or three words in capitals, one space apart: a name in a register's field ("BRENNAN PRUITT").
_UPPER_NAME_VALUE = re.compile(r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+(?:[ ][A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+){1,2}(?![\w'’-])")
#: Labels of a form's person that no chat speaker takes ("Customer:" and "Agent:" are speakers too): under them a
#: name in capitals of two or three words counts without a known given name ("Applicant: BRENNAN PRUITT").
_CAPS_NAME_LABELS = frozenset(
    ("applicant", "co-applicant", "tenant", "renter", "lessee", "insured", "policyholder", "policy holder",
     "cardholder", "card holder", "account holder", "beneficiary", "consignee", "addressee", "payee", "passenger",
     "guest name", "patient name", "full name", "customer name", "employee name", "borrower", "co-borrower",
     "claimant", "debtor", "guarantor", "next of kin", "emergency contact", "additional driver", "addl driver",
     "add'l driver", "primary driver", "driver name", "pt", "owner on file", "name on file", "renter name",
     "tenant name", "holder name", "name on card", "name on account", "recipient name", "sender name", "account name", "deceased", "decedent")
)
#: SURNAME/GIVEN (and a second given name) in capitals, as airlines and car rentals print a name; a title after
#: it stays out ("LÉVESQUE/MALCOLM", "KOWALSKA/ANNA MARIA MRS").
_SLASHED_NAME_UPPER = re.compile(
    r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+/[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+(?:[ ](?!(?:MR|MRS|MS|MISS|MSTR|DR|PROF)\b)[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+)?"
    r"(?=[ ](?:MR|MRS|MS|MISS|MSTR|DR|PROF)\b|(?![\w/'’-]))"
)
#: Words a form fills in for a person who is not named ("SELF EMPLOYED", "SAME AS ABOVE", "VACANT UNIT").
_FORM_FILLER_WORDS = frozenset(
    """Self Employed Same Above Below None Vacant Unit Deceased Estate Trust Joint Minor Unknown Withheld Redacted
    Confidential Anonymous Tbd Tbc Pending Corporate Holder Owner Occupant Resident Current Primary Secondary
    Household Family Member Spouse Partner Child Parent Guardian Authorised Authorized Representative Agent Office
    Department Team Desk Services Service Support Staff Manager Company Limited Ltd Inc Llc Gmbh Corp Bank Group
    Insurance Holdings Properties Property Management Rentals Rental Motors Auto Travel Airways Airlines Hotel
    Express Logistics Courier Delivery Customer Client Guest Visitor Walk In Cash Sale Card Account Name Not
    Applicable Provided Available Listed Given Required Refused Declined Yes No The Of And To For On At By In
    Prepaid Postpaid Airtime Paybill Till Wallet Savings Loan Merchant Store Shop Supermarket Pharmacy Fuel Station
    Energy Power Water Electricity Utility Utilities Telecom Mobile Money Pay Payments Pos Atm Transfer""".split()
)


#: A name in capitals after one to three initials without their full stops, as a card, a form or a signature block
#: prints it: "S DESHPANDE", "R K SHARMA", "M DELA CRUZ", "A VAN DER BERG", "J O'NEILL".
_UPPER_INITIALLED_NAME = re.compile(
    r"[A-Z](?:[ ][A-Z]){0,2}[ ](?:(?:VAN|VON|DE|DA|DI|DU|DEL|DELA|DELLA|DOS|DAS|LA|LE|AL|EL|BIN|BINTI|MC|MAC)[ ](?:DER|DEN|LA|LOS)?[ ]?)?"
    r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+(?:[ ][A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+)?(?![\w'’-])"
)
#: Labels that name a person outright (a name's field, a signature, an account's holder): under them initials and a
#: surname in capitals count as a name; under any other person's label ("Customer:", a transcript's speaker too) only
#: as the answer to a line above that asks for a name ("AGENT: and the name as it appears on the card\nCUSTOMER: S
#: DESHPANDE"), and the value ends the line.
_NAME_OUTRIGHT_LABEL = re.compile(r"name|signed|signature|holder|\bnom\b|nombre|navn|namn|applicant|payee|beneficiary")


def _bare_initialled_name(text: str, m: re.Match[str], label: str) -> bool:
    """Whether ``m`` (an :data:`_UPPER_INITIALLED_NAME` right after the field label ``label``) is a name."""
    words = m.group().split()
    surnames = [w for w in words if len(w) > 1]
    if not surnames or words[0] in ("I", "X", "U") or any(len(w) > 1 and w.lower() in COMMON_LOWER_WORDS for w in words):
        return False  # "I NEED HELP", "X BOX", "U KNOW"
    if not _caps_words_name_no_thing(" ".join(w for w in surnames if w not in _UPPER_NAME_PARTICLES)):
        return False
    if _NAME_OUTRIGHT_LABEL.search(label) is not None or label in _CAPS_NAME_LABELS:
        return _FIELD_VALUE_END.match(text, m.end()) is not None
    line_start = text.rfind("\n", 0, m.start())
    above = text.rfind("\n", 0, line_start) + 1 if line_start > 0 else -1
    return (
        above >= 0
        and "name" in text[above:line_start].lower()
        and re.match(r"[ \t]*(?:\r?\n|\Z)", text[m.end():]) is not None
    )


_UPPER_NAME_PARTICLES = frozenset("VAN VON DE DA DI DU DEL DELA DELLA DOS DAS LA LE AL EL BIN BINTI MC MAC DER DEN LOS".split())


def _caps_words_name_no_thing(value: str) -> bool:
    """Whether a value in capitals of two or three words reads as a name: no acronym, no word a form fills in
    for a person it does not name, no word that names things."""
    for word in value.split():
        titled = word.title()
        if (
            len(word.strip("'’-")) < 2
            or word in ACRONYMS
            or titled in NOT_NAMES
            or titled in _FORM_FILLER_WORDS
            or titled in _NOT_GREETED
        ):
            return False
    return True


#: "SURNAME, GIVEN" (and an initial) in capitals, as payroll and clinical exports write a name.
_SURNAME_COMMA_GIVEN_UPPER = re.compile(
    r"([A-Z][A-Z'’]+(?:-[A-Z][A-Z'’]+)?),[ ]([A-Z]{2,}(?:[ ][A-Z]{2,})?)(?:[ ][A-Z]\.?(?![\w.]))?"
)
#: Honorifics written after a name in Japanese and Korean.
_SCRIPT_HONORIFICS = frozenset(("様", "さん", "先生", "殿", "씨", "님"))
_SCRIPT_VALUE_END = re.compile(
    r"[ \t]*(?:\r?\n|\Z|[,;|(<\t，、（]|[ ]{2})|[ ]+(?=[^\W\d_][\w.-]{0,20}[ ]?(?::[ ]|：))"
    # an honorific after the name ("松本 千尋 様", "김민준 님"), or a phone number after it ("林怡君 0928-517-364")
    r"|[ ]?(?:様|さん|先生|殿|씨|님)|[ ](?=[+(]?\d)"
)
#: Greetings of other languages that open a line and address someone by name (see PiiRedactor._foreign_greeted),
#: lower-cased with the space after them: the needles of its gate.
_FOREIGN_GREETINGS = (
    "hei", "hej", "hallo", "hola", "ciao", "olá", "ola", "oi", "salut", "bonjour", "bonsoir", "buenas", "buenos días",
    "buen día", "che", "merhaba", "selam", "cześć", "ahoj", "szia", "moi", "terve", "kia ora", "habari", "jambo",
    "sawubona", "dobrý den", "dzień dobry", "guten tag", "goedemorgen", "goedemiddag", "hoi", "halo", "salam",
    "привет", "привіт", "здравствуйте", "добрий день", "добрый день", "γεια σου", "γεια", "sveiki", "labas", "tere",
    "zdravo", "bok", "hallå", "moin", "servus", "querida", "querido", "estimada", "estimado", "caro", "cara", "lieber",
    "liebe", "beste", "chère", "cher", "kära", "kjære", "kære", "hyvä", "drogi", "droga", "dragă", "sayın", "mahal",
    "namaste", "assalamualaikum", "xin chào", "chào", "sawasdee", "oye", "sæl", "sæll", "shalom", "tisztelt",
    "уважаемая", "уважаемый", "шановна", "шановний", "καλησπέρα", "αγαπητή", "αγαπητέ", "prezado", "prezada",
    "prezado(a)", "vážená", "vážený", "szanowna", "szanowny", "stimate", "stimată", "sayın", "bäste", "hyvä",
)
#: Who a greeting addresses that is no one person, in other languages ("Hola Equipo", "Hallo zusammen", "Ciao a tutti").
_GREETED_GROUPS = frozenset(
    "equipo todos todas amigos amigas chicos chicas gente familia cliente clientes señores equipe tous toutes "
    "collègues zusammen allerseits kollegen leute tutti ragazzi allemaal alle allihopa kaikki wszystkim wszyscy "
    "všichni mindenki herkese herkes arkadaşlar mundo pessoal galera usuario usuaria utente kunde kundin klant "
    "roma paris madrid berlin lisboa wien praha warszawa budapest".split()
)
#: Endings of nouns (departments, teams, services) in German, Dutch, Spanish, Portuguese and French that no given
#: name has.
_NOUN_ENDINGS = (
    "ung", "heit", "keit", "schaft", "team", "service", "dienst", "zentrum", "afdeling", "ción", "cion", "dade", "ment",
    "ência", "encia", "ição", "tion", "ologie",
)
#: The first words of greetings, capitalised, that are no given name ("Guten", "Buenos", "Dzień", "Hei"; not "Ola"): a
#: field's value that opens with one is a chat speaker's greeting ("Kunde: Guten Morgen").
_GREETING_OPENERS = frozenset(
    w for w in (
        {g.split()[0].capitalize() for g in _FOREIGN_GREETINGS}
        | set("Good Hello Hi Hey Hiya Thanks Thank Buenos Buenas Buen Bom Boa Guten Goede Goedemorgen God Dobrý Dobry "
              "Dzień Selamat Habari Chào Доброго Добрий Добрый Здравствуйте Hyvää İyi Iyi Magandang "
              "Bonjour Bonsoir Hola Hallo Olá Hej Hei Salut Ciao Buongiorno Buonasera Merhaba Shalom Namaste".split())
    )
    if w not in _ALL_FIRST
)
#: The time of day of a greeting ("Buenas tardes", "Guten Morgen", "Selamat pagi"): never the one greeted.
_TIMES_OF_DAY = frozenset(
    "tardes tarde noches noite días dias dia día morgen tag abend pagi siang sore malam umaga hapon gabi giorno sera "
    "soir matin middag morgon kväll ochtend avond aften".split()
)
_FOREIGN_GREETING_NEEDLES = frozenset(g + " " for g in _FOREIGN_GREETINGS) | frozenset(g + "," for g in _FOREIGN_GREETINGS)
_FOREIGN_GREETING = re.compile(
    # a chat line's timestamp and speaker, or a sender's name before the greeting ("PostNord: Hej Hjalmar!")
    r"(?im:^[ \t]*(?:(?:\[[^\]\n]{1,40}\][ ]?)?(?:[^:\n]{1,30}:[ ])?)?"
    r"(?:" + "|".join(re.escape(g) for g in sorted(_FOREIGN_GREETINGS, key=len, reverse=True)) + r")[ ]*,?[ ]+)"
    r"(?P<name>(?-i:[" + _UP + r"\u0386-\u038f\u0391-\u03ab\u0400-\u042f][^\W\d_]+"
    r"(?:[ ][" + _UP + r"\u0386-\u038f\u0391-\u03ab\u0400-\u042f][^\W\d_]+){0,2}))"
    r"(?=[ ]*(?:[,!]|\r?\n|\Z))"
)
#: A chat line's speaker in a script other than Latin (one to three words of letters, none Latin), after an
#: optional "[timestamp]" or "hh:mm", before ":" or "：", or a Telegram export's "Name, [dd.mm.yyyy hh:mm]".
_SCRIPT_SPEAKER_LINE = re.compile(
    r"(?m)^[ \t]*(?P<time>\[[^\]\n]{1,40}\][ ]?|\d{1,2}:\d{2}(?::\d{2})?[ ]?(?:[-–][ ])?)?"
    r"(?P<name>(?![A-Za-z\u00c0-\u024f])[^\W\d_]+(?:[ ](?![A-Za-z\u00c0-\u024f])[^\W\d_]+){0,2})"
    r"(?:[ ]?[:：](?![/\d])|,[ ]\[\d{1,2}\.\d{1,2}\.\d{2,4}[ ]\d{1,2}:\d{2}(?::\d{2})?\])"
)
#: Roles, fields and words that open a chat's or a form's line in other scripts, which no speaker's name is.
_SCRIPT_NOT_SPEAKERS = frozenset(
    """
    לכולם לכם לך רב וברכה בכם
    상담원 상담사 고객 직원 주소 전화 연락처 이름 성함 메모 날짜 시간 주문 제목 내용 답변 문의 담당자 발신 수신 참조 기사 판매자 구매자 관리자
    オペレーター お客様 担当 担当者 住所 電話 氏名 名前 日時 件名 宛先 備考 報告者 詳細 お問い合わせ 店舗 ドライバー 配送先 差出人 受取人
    客服 顾客 买家 卖家 客户 店主 司机 乘客 地址 电话 手机 备注 收件 收件人 寄件人 姓名 邮编 时间 日期 订单 金额 商品 数量 状态 说明 原因 问题
    回复 系统 用户 管理员 联系人 联系电话 收货人 收货地址
    พนักงาน ลูกค้า ที่อยู่ โทร ชื่อ หมายเหตุ แอดมิน ระบบ
    оператор клиент клиентка менеджер агент бот адрес телефон сообщение получатель отправитель имя дата заказ
    комментарий покупатель продавец курьер водитель диспетчер поддержка система ответ вопрос тема примечание
    адреса отримувач відправник повідомлення коментар
    πελάτης υπάλληλος εκπρόσωπος διεύθυνση τηλέφωνο όνομα σημείωση θέμα ημερομηνία
    נציג נציגה לקוח לקוחה כתובת טלפון שם הערה נושא תאריך מערכת לכבוד הנדון מאת אל
    الموظف الموظفة العميل العميلة العنوان الهاتف الاسم ملاحظة الموضوع التاريخ النظام المندوب السائق
    ग्राहक एजेंट पता फ़ोन फोन नाम विषय दिनांक
    """.split()
)
_DEVA = r"\u0900-\u097f"
_CJK_NAME = r"[\u4e00-\u9fff]{2,4}"
_JA_NAME = r"[\u4e00-\u9fff]{1,3}(?:[ 　][\u4e00-\u9fff\u3040-\u309f]{1,3})?"
#: Introductions in other scripts, the name in group "name" (see PiiRedactor._script_intros), and their needles.
_SCRIPT_INTRO = tuple(
    re.compile(p)
    for p in (
        r"मेरा[ ]नाम[ ](?P<name>[" + _DEVA + r"]+(?:[ ][" + _DEVA + r"]+){0,2}?)[ ]है",
        r"मैं[ ](?P<name>[" + _DEVA + r"]+(?:[ ][" + _DEVA + r"]+)?)[ ]बोल[ ]रह[ाी]",
        r"我(?:是|叫)(?P<name>" + _CJK_NAME + r")(?=[，,。、！!\s]|$)",
        r"(?:担当の|私は|わたしは)(?P<name>" + _JA_NAME + r")(?:と申します|でございます|です)",
        r"(?:^|\n|：|:[ ]?)(?:あ、)?(?:えっと、)?(?P<name>[\u4e00-\u9fff]{1,3}[ 　][\u4e00-\u9fff\u3040-\u309f]{1,3})です",
        r"저는[ ](?P<name>[가-힣]{2,4})(?:입니다|이에요|예요|이고|이라고)",
        r"(?:^|\n|[:：][ ]?)(?P<name>[가-힣]{3})(?:이요|입니다)(?=[.。\s]|$)",
        r"(?:أنا|اسمي)[ ](?P<name>[\u0620-\u064a]+(?:[ ](?!(?:من|في|على|إلى|عن|و)(?:[ ،,.]|$))[\u0620-\u064a]+)?)(?=[،,.\s]|$)",
        r"(?i:меня[ ]зовут|мене[ ]звати)[ ](?P<name>[\u0410-\u042f][\u0430-\u044f]+(?:[ ][\u0410-\u042f][\u0430-\u044f]+){0,2})",
        r"(?:שמי|קוראים[ ]לי)[ ](?P<name>[\u05d0-\u05ea'\"]+(?:[ ][\u05d0-\u05ea]+)?)",
        # a customer, user, insured or employee named after the role in prose, and a Greek vocative title ("ασφαλισμένη
        # Ελένη Γεωργίου", "Κύριε Καραγιάννη", "ग्राहक अनीता देवी का कहना है", "사용자 최유나 VPN 접속 불가", "客户张丽（")
        r"(?:ασφαλισμέν(?:η|ος|ου)|πελάτ(?:ης|ισσα|η)|χρήστ(?:ης|η)|υπάλληλ(?:ος|η)|[Κκ]ύριε|[Κκ]υρία)[ ]"
        r"(?P<name>[Α-ΩΆ-Ώ][ά-ώ]+(?:[ ][Α-ΩΆ-Ώ][ά-ώ]+)?)",
        r"(?:ग्राहक|उपयोगकर्ता|कर्मचारी|श्रीमती|श्री)[ ](?!(?:सेवा|सहायता|केंद्र|संख्या|आईडी|नंबर|खाता|शिकायत)[ ])(?P<name>[" + _DEVA + r"]+(?:[ ][" + _DEVA + r"]+)?)"
        r"(?=[ ](?:का|की|के|ने|को|से|जी)[ ।,])",
        r"(?:사용자|고객|직원|담당자|회원)[ ](?P<name>[김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용][가-힣]{2})"
        r"(?=[ ,.]|님|씨|$)",
        # a letter's or a message's greeting: Japanese "...様" at a line's start, Korean "...님", Hebrew "שלום ...,", Arabic
        # "عزيزي ...،", Hindi "नमस्ते ... जी,", Thai "เรียน คุณ..." and "คุณ... ครับ"; an agent's name after "客服："
        r"(?:^|\n)(?!担当|関係者|会員|利用者|各位|皆)(?P<name>[\u4e00-\u9fff]{1,3}[ 　]?[\u4e00-\u9fff\u3040-\u309f]{1,3})[ 　]?様",
        r"(?:^|\n|[ ])(?P<name>[김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용][가-힣]{2})님",
        r"שלום[ ](?!רב)(?P<name>[\u05d0-\u05ea]+(?:[ ][\u05d0-\u05ea]+)?)[,،]",
        r"(?:عزيزي|عزيزتي|العزيز|العزيزة)[ ](?:السيد[ ]|السيدة[ ])?(?!العميل|العميلة|عميلنا|المستخدم)"
        r"(?P<name>[\u0620-\u064a]+(?:[ ][\u0620-\u064a]+){0,2})[،,]",
        r"नमस्ते[ ](?!(?:सर|मैडम|जी|दोस्तों|आप)[ ,।])(?P<name>[" + _DEVA + r"]+)(?:[ ]जी)?[,।]",
        r"เรียน[ ]?คุณ(?P<name>[\u0e00-\u0e7f]+(?:[ ][\u0e00-\u0e7f]+)?)",
        r"คุณ(?P<name>[\u0e00-\u0e7f]{2,20})[ ](?:ครับ|ค่ะ|คะ)",
        r"客服[：:](?P<name>[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
        r"金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤][\u4e00-\u9fff]{1,2})(?=$|\n|[，。])",
        r"(?:客户|客戶|用户|用戶|员工|員工|顾客|顧客|收件人|联系人|聯絡人|同事)(?P<name>[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
        r"程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤][\u4e00-\u9fff]{1,2})"
        r"(?=[（(，,。、：:\s來来致表反要的说說称稱同和与與]|先生|女士|$)",
    )
)
_SCRIPT_INTRO_NEEDLES = frozenset(
    ("मेरा नाम", "मैं", "我是", "我叫", "と申します", "でございます", "です", "저는", "이요", "입니다", "أنا", "اسمي", "меня зовут",
     "мене звати", "שמי", "קוראים לי", "ασφαλισμέν", "πελάτ", "χρήστ", "υπάλληλ", "κύριε", "κυρία", "ग्राहक", "उपयोगकर्ता",
     "कर्मचारी", "श्री", "사용자 ", "고객 ", "직원 ", "담당자 ", "회원 ", "客户", "用户", "员工", "顾客", "收件人", "联系人",
     "様", "님", "שלום", "عزيز", "नमस्ते", "คุณ", "客戶", "用戶", "員工", "顧客", "聯絡人", "同事", "客服")
)
#: A chat speaker's role in many languages, then the speaker's name and a colon, at a line's start (a "[Chat]" tag
#: before it or not); CJK roles may be glued to the name ("客服李婷：", "オペレーター山本：").
_SPEAKER_ROLE_WORDS = (
    "agent", "agente", "agen", "atendente", "operator", "operatore", "operador", "operadora", "opérateur", "opératrice",
    "mitarbeiterin", "mitarbeiter", "conseillère", "conseiller", "berater", "beraterin", "asesor", "asesora", "consultor",
    "consultora", "advisor", "adviser", "rep", "medewerker", "temsilci", "konsultant", "konsultantka", "nhân viên",
    "tư vấn viên", "petugas", "pegawai", "оператор", "консультант", "менеджер", "специалист", "оператор", "консультантка",
    "υπάλληλος", "εκπρόσωπος", "נציג", "נציגה", "الموظف", "الموظفة", "المستشار", "एजेंट", "상담원", "상담사", "客服",
    "オペレーター", "担当",
)
_ROLE_NAMED_SPEAKER = re.compile(
    r"(?mi)^[ \t]*(?:\[[^\]\n]{1,30}\][ ]?)?(?:" + "|".join(re.escape(r) for r in sorted(_SPEAKER_ROLE_WORDS, key=len, reverse=True))
    + r")[ ]?(?P<name>(?-i:[^\W\d_]+(?:[ ][^\W\d_]+)?))[ ]?[:：]"
)
#: How the labels of a form end in Japanese and Chinese (an address, a number, a person's role, a date), which no
#: name does.
_SCRIPT_LABEL_ENDINGS = ("住所", "番号", "者", "日", "先", "名前", "様名", "方法", "情報", "内容", "地址", "号码", "电话", "人名")
#: The first letter of a name in Chinese characters, kana or Hangul.
_IDEOGRAPHIC = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
#: Labels for a person's name in other languages and scripts (lower case).
_SCRIPT_NAME_LABELS = frozenset(
    {
        "name", "full name", "姓名", "氏名", "名前", "お名前", "이름", "성명", "민원인", "신청인", "担当", "担当者", "담당자", "联系人",
        "紧急联系人", "收件人", "受取人", "收货人", "客户", "顾客", "患者", "фио", "ф.и.о.", "имя", "име", "ім'я", "піб",
        "όνομα", "ονοματεπώνυμο", "שם", "שם מלא", "الاسم", "اسم", "নাম", "नाम", "ชื่อ", "họ tên", "họ và tên",
        "όνομα επισκέπτη", "όνομα πελάτη", "收件", "寄件人", "ご契約者", "契約者", "申込者", "依頼者", "受取人",
        # a full name and a customer's name ("Ονοματεπωνυμο:" as typed without accents, "اسم العميل:", "ग्राहक का नाम:",
        # "ชื่อ-นามสกุล:", "고객명:", "Прізвище:")
        "ονοματεπωνυμο", "ονομα", "ονομα πελατη", "اسم العميل", "اسم الزبون", "الاسم الكامل", "الاسم الثلاثي",
        "शुभ नाम", "पूरा नाम", "ग्राहक का नाम", "নাম", "পুরো নাম", "গ্রাহকের নাম", "ชื่อลูกค้า", "ชื่อ-นามสกุล",
        "ชื่อ-สกุล", "ชื่อ นามสกุล", "고객명", "고객 이름", "성함", "фамилия", "прізвище", "фамилия имя отчество",
        "שם הלקוח", "שם הלקוחה", "שם משפחה",
    }
)
#: Endings of such labels: "Имя клиента", "Patient's name"; and a person's labels in other scripts.
_SCRIPT_NAME_LABEL_ENDS = ("名", "者", "人", " name", " имя")
_SCRIPT_PERSON_LABELS = frozenset(
    {
        "клиент", "клиентка", "заявитель", "получатель", "плательщик", "платник", "отримувач", "одержувач", "пациент",
        "абонент", "πελάτης", "ασθενής", "לקוח", "מבוטח", "العميل", "المريض", "গ্রাহক", "ग्राहक", "ลูกค้า",
        "المستخدم", "пользователь", "користувач", "사용자", "用户", "ユーザー", "χρήστης", "משתמש",
        "клієнт", "клієнтка", "заявник", "заявниця", "пацієнт", "пацієнтка", "пациентка", "абонентка", "орендар",
        "арендатор", "квартиросъемщик", "ενοικιαστής", "ενοικιάστρια", "αιτών", "αιτούσα", "המבקש", "המבקשת", "השוכר",
        "المستأجر", "مقدم الطلب", "आवेदक", "किरायेदार", "রোগী", "ผู้เช่า", "ผู้สมัคร", "신청자", "임차인",
        # owners, tenants, recipients, senders, guests and repairers of forms and waybills ("业主：陈志强", "维修师傅：...",
        # "수취인: 남궁보람", "받는분: 한지호", "ผู้เข้าพัก: ...", "Одержувач: ...", "δικαιούχος: ...")
        "业主", "房主", "租客", "租户", "房东", "维修师傅", "师傅", "经办人", "申请人", "收款人", "付款人", "乘客", "住客", "入住人", "寄件人",
        "入居者", "宛名", "बीमित व्यक्ति", "बीमित", "ผู้เอาประกัน", "ชื่อผู้เอาประกัน", "피보험자", "보험계약자", "계약자", "예약자", "보호자", "수령인", "수취인", "받는분", "받는 분", "보내는분", "보내는 분", "예금주", "임대인", "세입자", "입주자", "ผู้เข้าพัก",
        "ผู้ติดต่อ", "ผู้รับ", "ผู้ส่ง", "ชื่อผู้ติดต่อ", "δικαιούχος", "παραλήπτης", "αποστολέας", "відправник", "отправитель",
        "власник", "владелец", "المستلم", "المرسل", "المستفيد", "המקבל", "הנמען", "השולח", "प्राप्तकर्ता", "प्रापक", "প্রাপক",
    }
)
#: The copy line of an e-mail's header ("Cc: Jonah Feldman; Sipho Dlamini; Karen O'Neill"): its value.
_CC_LINE = re.compile(r"(?im)^[ \t]*b?cc[ \t]*:[ \t]*([^\n]+)")
#: A field's number after its label ("Applicant 2:", "Witness #1:").
_LABEL_NUMBER = re.compile(r"[ ]?#?\d{1,2}\Z")


#: The lower-case words that go on after a name in a signature ("Regards,\nAdebayo from accounting", "Thanks,\n
#: Okonkwo and family", "Nwachukwu via mobile"): after a sign-off, a word followed by one of them stays a name.
_SIGNATURE_GOES_ON = re.compile(r"[ ](?:from|and|via|family|here|at|of|on|for|in|with|&|x\d|ext)\b")


def _a_thing_named(text: str, value: str, known: dict[str, bool]) -> bool:
    """Whether a name that a greeting, a field, a sender or an introduction gives (``value``, in ``text``) is a
    product, a queue or a company: one of its words is a ticket system's or product's (:data:`_NOT_GREETED`,
    :data:`NOT_NAMES`), or its first word, no known given name, is used as a thing in the text
    (:func:`_used_as_a_thing`: "Hi Lumen,\nmy Lumen Hub will not pair"). ``known`` holds the verdicts so
    far for ``text`` (a text that repeats a name thousands of times is read once per name)."""
    verdict = known.get(value)
    if verdict is None:
        verdict = known[value] = _names_a_thing(text, value)
    return verdict


def _names_a_thing(text: str, value: str) -> bool:
    """:func:`_a_thing_named` without the memo."""
    words = value.replace(",", " ").split()
    if any(w in _NOT_GREETED or w in NOT_NAMES for w in words):
        return True
    return bool(words) and words[0] not in _ALL_FIRST and _used_as_a_thing(text, words[0], alone=len(words) == 1)


def _may_hold_field_label(text: str, low: str, h: AbstractSet[str] | None = None) -> bool:
    """False only when no field of :data:`_FIELD_LABELS` can be in ``text`` (``low`` its lower case, ``h`` its
    :func:`_needles_in`)."""
    if ":" not in text and "=" not in text:
        return False
    if h is None:
        h = _needles_in(low)
    return _FIELD_COLON.search(text) is not None and not h.isdisjoint(_FIELD_LABEL_WORDS)


#: A word of every label in :data:`_FIELD_LABELS`, for :func:`_may_hold_field_label`.
_FIELD_LABEL_WORDS = (
    "customer", "client", "account", "card", "request", "contact", " by", "recipient", "attn", "attention", "report",
    "agent", "advis", "assignee", "from", "versich", "pt", "on file",
    "beneficiary", "payee", "holder", "tenant", "cx", "cust", "kyc", "name", "patient", "passenger", "employee",
    "insured", "applicant", "guarantor", "review", "verified", "consign", "debtor", "plumber", "electrician",
    "engineer", "technician", "note", "witness", "landlord", "kin", "guardian", "student",
    "travel", "primary", "manager", "owner", "titular", "deudor", "beneficiario", "ordenante", "nom", "titola",
    "intestat", "titulaire", "bénéf", "inhaber", "empf", "naam", "rekening", "soyad", "imię",
    "rent", "hirer", "lessee", "miet", "sponsor", "donor", "donat", "donante", "execut", "case", "worker", "prepared",
    "processed", "bearbeitet", "erstellt", "hire", "joiner", "referr", "candidate", "ime", "nama", "họ", "người",
    "buyer", "seller", "alıcı", "gönderen", "kontoinne", "mottag", "modtag", "mottak", "vastaanot", "odbior", "příjem",
    "primatelj", "prejemnik", "címzett", "destinat", "ontvang",
    "nájem", "pronajím", "inquilin", "locat", "arrend", "propietari", "bailleur", "huurder", "verhuurder", "najemca",
    "wynajmuj", "lejer", "udlejer", "hyres", "leietaker", "vuokra", "yhteyshenkil", "kiracı", "controparte",
    "testimone", "conduttore", "ansprechpartner", "contacto", "signature", "unterschrift", "compan", "accompan",
    "técnico", "tecnico", "technicien", "benutzer", "versicherungsnehmer", "notfallkontakt", "beneficiário", "müşteri",
    "klant", "contractor", "usuário", "utilisateur", "utente", "gebruiker", "użytkownik", "kullanıcı", "candidat",
    "pupil", "driver", "sjåfør", "signed", "installer", "resident", "subscriber", "homeowner", "consumer",
    "adjust", "attending", "physician", "prescri", "provider", "member", "approv", "prospective", "legal", "preferred",
    "spouse", "partner", "child", "assistid", "demand", "défend", "expert", "asegurad", "tomador", "assur", "souscript",
    "poszkod", "sprawc", "ubezpiecz", "veicolo", "assicurat", "contraente", "coniuge", "figli", "sachbearb", "ehepartner",
    "verzeker", "segurad", "responsáv", "mitarbeit", "nickname", "known as", "goes by", "surname", "vorname",
    "nachname", "prénom", "famille", "apellido", "cognome", "sobrenome",
    "név", "ügyfél", "bérlő", "előfizető", "kapcsolattartó", "jméno", "příjmení", "zákazn", "klient", "meno",
    "priezvisko", "nume", "navn", "kund", "namn", "nimi", "asiak", "imię", "nazwisko", "isim", "adı", "soyad", "tên",
    "khách", "pelanggan", "penerima", "pangalan", "jina", "mteja", "cliente", "nombre", "paciente", "solicitante",
    "nome", "nominativo", "richiedente", "paziente", "antragst", "signer", "borrower", "ospite", "huésped", "hóspede",
    "gast", "guest", "occupant",
)


#: What introduces the writer by a full name, known given name or not ("I'm Abdulrahman Al-Farsi, ...", "this
#: is Chidinma Okafor.", "It's Femi Adebayo again"), as written (case-sensitive, as _GREETINGS), each with the space
#: after it; :meth:`PiiRedactor._introduced` finds them with str.find (a pattern tried at every "i" and "t" of
#: the text cost ~4 us a text).
_INTROS_EN = (
    "I'm ", "I’m ", "I am ", "i'm ", "i’m ", "i am ", "im ", "Im ", "this is ", "This is ", "it's ", "It's ", "it’s ", "It’s ",
    # as voicemails and chats write them: "hey it's uh jake from unit four", "hey marco its sofia from the salon"
    "it's uh ", "it's um ", "this is uh ", "this is um ", "its ", "Its ",
)
#: The same in Dutch, German, French, Spanish, Italian and Portuguese chats ("ik ben Anouk Smit", "sono Giulia De
#: Luca"), looked for only in a text that holds one of them in lower case (see _may_hold_foreign_intro).
_INTROS_OTHER = (
    "ik ben ", "Ik ben ", "ich bin ", "Ich bin ", "je suis ", "Je suis ", "je m'appelle ", "Je m'appelle ", "soy ", "Soy ",
    "me llamo ", "Me llamo ", "sono ", "Sono ", "mi chiamo ", "Mi chiamo ", "eu sou ", "Eu sou ", "meu nome é ", "Meu nome é ",
    "mein Name ist ", "Mein Name ist ", "mi nombre es ", "Mi nombre es ", "mijn naam is ", "Mijn naam is ", "jag heter ",
    "Jag heter ", "jeg heter ", "Jeg heter ", "nazywam się ", "Nazywam się ", "jmenuji se ", "Jmenuji se ",
    "nama saya ", "Nama saya ",
    # Danish, Norwegian, Swedish, Romanian, Czech, Portuguese, French and Turkish chats ("hej, jeg er frederik og",
    # "det är johanna", "salut, sunt mihai ionescu", "jsem martin novák", "ola sou a joana", "c'est jean-pierre
    # rousseau", "merhaba ben ayşe demir")
    "jeg er ", "Jeg er ", "det er ", "Det er ", "det är ", "Det är ", "sunt ", "Sunt ", "jsem ", "Jsem ", "sou a ",
    "sou o ", "Sou a ", "Sou o ", "é o ", "é a ", "c'est ", "C'est ", "merhaba ben ", "Merhaba ben ", "ben ",
)
_INTROS = _INTROS_EN + _INTROS_OTHER
#: Each introduction with its lower case, a needle of :func:`_needles_in`: a text holds the introduction only where
#: its lower case is among the hits, so :meth:`PiiRedactor._introduced` looks for the others not at all.
_INTROS_EN_LOWER = tuple((intro, intro.lower()) for intro in _INTROS_EN)
_INTROS_LOWER = tuple((intro, intro.lower()) for intro in _INTROS)
#: A character that glues a word to the one after it: an introduction starts after none (not "Tim Jones").
_WORD_CHAR = re.compile(r"[\w'’]")
#: What may follow the full name of an introduction: punctuation, the end of the line, or a word that goes on
#: introducing ("here", "and", "from", "again", "calling", "writing").
_INTRO_END = re.compile(
    r"[ ]*(?:[,.;:!?)]|\r?\n|\Z)|[ ](?:here|and|from|again|calling|writing|speaking|en|und|et|y|e|aus|uit|de|og|och|și"
    r"|ve|j'appelle|täällä|vagyok"
    # an agent's opening line, what follows the name in other languages ("sono federica come posso aiutarla", "soy
    # lucia en qué puedo ayudarle", "je suis marc comment puis-je")
    r"|how|come|como|cómo|comment|wie|hoe|jak|hur|hvordan|in[ ]cosa|en[ ]qué|em[ ]que)\b"
)


#: What follows a writer's given name alone in an introduction: "it's Grace!", "I'm Sofia, ...", "this is
#: Grace here".
_INTRO_ONE_NAME_END = re.compile(r"[ ]*[!,]|[ ]here\b")


#: A name and "here from" / "here at" at the start of a line or after a greeting's comma or a sentence's end.
_HERE_FROM = re.compile(
    r"(?:^|(?<=[,.!?])[ ]+|(?<=\n))[ \t]*([" + _UP + r"][" + _LO + r"'’-]+(?:[ ][" + _UP + r"][" + _LO + r"'’-]+)?)"
    r"[ ]here[ ](?:from|at|with|on[ ]behalf[ ]of)[ ]"
)


#: What "my name is" is followed by in lower case when no name follows: "my name is wrong on the invoice",
#: "my name is spelt differently", "my name is on the account".
_NOT_A_NAME_AFTER_MY_NAME_IS = frozenset(
    """wrong incorrect correct different missing misspelled mispelled misspelt spelled spelt listed shown showing
    displayed written printed changed not still also already now the on in under attached below above same blank
    empty too very hidden visible unknown private confidential long short required needed fine ok okay right there
    here as at like just actually really different weird cut truncated garbled duplicated wrongly""".split()
)


def _may_be_a_lower_case_name(word: str) -> bool:
    """Whether ``word``, in lower case right after "my name is" and no known given name ("my name is chukwuemeka
    okafor"), is a name: not a common word, an adverb or a participle ("wrong", "spelled", "showing")."""
    return (
        len(word) >= 3
        and word not in COMMON_LOWER_WORDS
        and word not in _NOT_A_NAME_AFTER_MY_NAME_IS
        and not word.endswith(("ed", "ing", "ly", "wn"))
    )


#: Brands of two people's names joined by "&" ("Ben & Jerry's"), and those of a doctor ("Dr. Martens", "Dr Pepper").
_AMPERSAND_BRAND = re.compile(
    r"(?:Ben[ ]&[ ]Jerry|Marks[ ]&[ ]Spencer|Barnes[ ]&[ ]Noble|Johnson[ ]&[ ]Johnson|Dolce[ ]&[ ]Gabbana"
    r"|Abercrombie[ ]&[ ]Fitch|Procter[ ]&[ ]Gamble|Jack[ ]&[ ]Jones|Ben[ ]&[ ]Holly|Bill[ ]&[ ]Melinda)(?![\w])"
)
_TITLED_BRANDS = frozenset(("Martens", "Pepper", "Oetker", "Scholl"))
_DR_BEFORE = re.compile(r"\bDr\.?[ ]\Z")
#: What follows such a brand and not a doctor's name: a model number, a product word, a capitalised model name.
_A_PRODUCT_NEXT = re.compile(r"[ ]?(?:['’]s|®|™)|[ ](?:\d|[A-Z]|(?:boots?|shoes?|sandals?|store|shop|outlet|soda|drink|can|bottle)\b)")


def _ends_a_brand(text: str, start: int, value: str) -> bool:
    """Whether the capitalised word right before ``value`` (at ``start``) and ``value`` make one of
    :data:`EPONYM_BRANDS` ("Billie" + "Jean" in "Billie Jean by Michael Jackson")."""
    before = _WORD_BEFORE.search(text, max(0, start - 32), start)
    return before is not None and f"{before.group(1)} {value}" in EPONYM_BRANDS


#: The capitalised word and one space that end the text searched.
_WORD_BEFORE = re.compile(r"([" + _UP + r"][" + _LO + r"]+)[ ]\Z")


def _lower_cue_ends_at(low: str, pos: int) -> bool:
    """Whether a :data:`_LOWER_NAME_CUES` cue that starts a word ends at ``pos`` of the lower-cased text."""
    start = max(0, pos - 40)
    while True:
        m = _LOWER_NAME_CUE_AT_END.search(low, start, pos)
        if m is None:
            return False
        if not (m.start() and _WORD_CHAR.match(low, m.start() - 1)):
            return True
        start = m.start() + 1


#: Particles inside a name in lower case, counted as no surname: a name goes on past them only to a surname after
#: them ("nurul huda binte osman", "jan van der berg", "maria de la cruz"; not "hi maria de" alone).
_LOWER_NAME_PARTICLES = frozenset("bin binti binte bint van von der den de del della la dos".split())


def _lower_name_end(text: str, end: int, not_surnames: frozenset[str] = COMMON_LOWER_WORDS) -> int:
    """Where a name in lower case whose known given name ends at ``end`` ends: up to two following lower-case
    words are its surnames unless they are ``not_surnames`` or verb forms ("jane doe", "maria garcia lopez";
    "jane and ...", "jane calling about ...", "jane here"); one or two particles before a surname count as
    none of the two (:data:`_LOWER_NAME_PARTICLES`: "nurul huda binte osman", "jan van der berg")."""
    surnames = 0
    at = end
    particles = 0
    while surnames < 2:
        surname = _LOWER_SURNAME.match(text, at)
        word = surname.group(1) if surname is not None else ""
        if word in _LOWER_NAME_PARTICLES and particles < 2:
            particles += 1
            at = surname.end()
            continue
        if not word or word in not_surnames or word.endswith(("ing", "ed")):
            break
        end = at = surname.end()
        surnames += 1
        particles = 0
    return end


#: What a name written in lower case follows, in any case (searched in the lower-cased text: a pattern of
#: literals is ~4x faster there than a str.find call for each spelling): a greeting or a sign-off ("hello, james
#: nguyen here", "Hi mei,", "thanks\npriya"), "name" ("the email is x, name james cohen", "her name is ingrid
#: kim"), a mention ("submitted by wei zhang", "spoke with sarah"), "for" ("ask for liam") or a role or field
#: ("agent sarah never called back", "attn: liam mckenzie"). Only a known given name that is no
#: word (:data:`_FIRST_LOWER`) starts a name after them, with up to two surnames (:func:`_lower_name_end`).
_LOWER_NAME_CUES = re.compile(
    r"(?:hello|hi|hey|hiya|dear|thanks|thank you|thx|cheers|regards|good morning|good afternoon|good evening|morning"
    # greetings of other languages ("Bom dia kauã!", "Buenos días leocadio", "Magandang umaga maricel")
    r"|bom dia|boa tarde|boa noite|buenos días|buenos dias|buenas tardes|buenas noches|buenas|hola|olá|ola|oi|ciao"
    # (not "merhaba", "chào": "merhaba ben ayşe", "chào anh" are "I" and "you", and "Ben" and "Anh" names)
    r"|buongiorno|hallo|guten tag|hej|hei|moi|salut|bonjour|bonsoir|magandang umaga|magandang hapon"
    r"|magandang gabi|kumusta|habari|jambo|sawubona|namaste|halo|selamat pagi|selamat siang|dzień dobry"
    r"|cześć|ahoj|szia|dobrý den|bună ziua|salam)(?:, | |,\n|\n)|name(?: is | |: )"
    r"|(?:out for delivery|left|leave it|leaving it|deliver(?:ed)?) with "
    r"|(?:spoke|speaking|talked|chatted) (?:with|to) |(?:submitted|reported|requested|raised|opened|created|signed"
    r"|approved|handled) by |on behalf of |for "
    r"|(?:agent|rep|technician|tech|advisor|adviser|supervisor|manager|colleague|attn|cc|customer|contact|cx|cust"
    r"|kyc|client|caller|holder)(?::? |[ ]\()"
    # family and people around the writer ("my husband mehmet yilmaz", "my mum małgorzata kowalska"), whom they
    # asked or called ("can you ask ayşe", "someone called harpreet"), "its" as typed ("hey its priya again")
    r"|(?:husband|wife|son|daughter|mum|mom|mother|father|dad|brother|sister|partner|friend|boss|neighbou?r"
    r"|in law|ask|asked|called|its|it's|w/),? "
    # a title ("cust mrs. beatriz oliveira", "dr okafor"), "still" after a change ("new one is 312..., still aisha")
    r"|(?:mr|mrs|ms|miss|mx|dr)\.? |still "
)
_LOWER_NAME_CUE_AT_END = re.compile("(?:" + _LOWER_NAME_CUES.pattern + r")\Z")
#: Every ASCII character that is no word character (``\w``) nor an apostrophe -> a space (a bytes.translate
#: table): in ASCII text a name in lower case that _LOWER_TOKEN matches is a word of
#: ``text.encode().translate(...).split()``, so :data:`_FIRST_LOWER_BYTES` missing all of them means no name.
_NON_WORD_TO_SPACE = bytes(32 if c < 128 and not re.match(r"[\w']", chr(c)) else c for c in range(256))
_FIRST_LOWER_BYTES = frozenset(name.encode("ascii") for name in _FIRST_LOWER if name.isascii())
#: The NATO spelling alphabet: a given name among its words ("victor, kilo, oscar") spells a reference.
_NATO_WORD = re.compile(
    r"\b(?:alfa|alpha|bravo|charlie|delta|echo|foxtrot|golf|hotel|india|juliett?|kilo|lima|mike|november|oscar|papa"
    r"|quebec|romeo|sierra|tango|uniform|victor|whiske?y|x-?ray|yankee|zulu)\b"
)
_NATO_NAMES = frozenset(("victor", "oscar", "juliet", "juliett", "romeo", "mike", "charlie", "india"))
#: A small letter of a name beyond ASCII ("ü", "ł", "ễ"): a text without one can hold only ASCII names in lower case.
_NON_ASCII_NAME_LETTER = re.compile("[" + _LO.removeprefix("a-z") + "]")
#: A run of letters: a lower-case name that PiiRedactor._lower_case_names finds starts after a space, a colon, a
#: comma or a line's start and ends before a character that is no word character, so it is one whole run.
_LETTER_RUN = re.compile(r"[^\W\d_]+")
#: What ends a name addressed after a comma: "!", ".", "?" or another comma.
_ADDRESSED_END = re.compile(r"[ ]?[!.?,]")
_EMAIL_NEXT = re.compile(r"[ ]*(?:[,;:][ ]*)?<?[^\s@<>,;]+@")  # one run of spaces each: no quadratic backtracking


#: A family name of :data:`SURNAMES_FIRST` and one to three name words after it: a Vietnamese name, family name
#: first ("Nguyễn Thị Hương", "Trần Văn Minh said", "Customer Hoàng Đức Anh reports").
_SURNAME_FIRST_NAME = re.compile(
    r"(?<![\w'’-])(?:" + "|".join(sorted(SURNAMES_FIRST, key=len, reverse=True)) + r")"
    r"(?:[ ][" + _UP + r"][" + _LO + r"]+){1,3}(?![\w'’-])"
)


#: Korean family names, written before a given name of two syllables joined by a hyphen ("Lee Seo-yeon", "Kim
#: Min-jun"): that shape of given name makes a family name that is also an English word ("Park") safe to take.
_KOREAN_SURNAMES = frozenset(
    "Kim Lee Park Choi Jung Jeong Kang Cho Yoon Yun Jang Lim Han Oh Seo Shin Kwon Hwang Ahn Song Yoo Hong Jeon Ko "
    "Moon Yang Son Bae Baek Heo Nam Noh Ha Kwak Sung Cha Joo Woo Ryu Jin".split()
)
_KOREAN_NAME = re.compile(
    r"(?<![\w'’-])(?:" + "|".join(sorted(_KOREAN_SURNAMES)) + r")[ ][" + _UP + r"][" + _LO + r"]+-[" + _LO + r"]+(?![\w'’-])"
)
#: The words one of which a name that PiiRedactor._surname_first finds starts with.
_SURNAME_FIRST_GATE = SURNAMES_FIRST | _KOREAN_SURNAMES | JAPANESE_SURNAMES
_JAPANESE_SURNAMES_UPPER = frozenset(n.upper() for n in JAPANESE_SURNAMES)
#: A Japanese family name, as written or in capitals, and the word after it (a known given name makes it a name).
_JAPANESE_NAME = re.compile(
    r"(?<![\w'’-])(" + "|".join(sorted(JAPANESE_SURNAMES | {n.upper() for n in JAPANESE_SURNAMES})) + r")[ ]([" + _UP
    + r"][" + _LO + r"]+)(?![\w'’-])"
)


#: A speaker in a chat export or a dated note: a line that opens with a date and a time or a time in brackets
#: ("26/12/2024, 3:56 PM - Aino Virtanen: Hi", "[09:14] Kelechi Obi: hello", "2024-03-01 10:02:11 Mia Wong:",
#: "14 Dec Joy: spoke w/ ..."), then one to three name words and a colon.
_MONTH_ABBR = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_SPEAKER = re.compile(
    r"(?m)^[ \t]*(?:"
    r"\[?\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4},?[ ]+\d{1,2}:\d{2}(?::\d{2})?(?:[ ]?[AaPp]\.?[Mm]\.?)?\]?[ ]*(?:-[ ]*)?"
    r"|\[\d{1,2}:\d{2}(?::\d{2})?(?:[ ]?[AaPp]\.?[Mm]\.?)?\][ ]*(?:-[ ]*)?"
    r"|\d{1,2}[ ]" + _MONTH_ABBR + r"(?:[ ]\d{4})?,?[ ]+(?:\d{1,2}:\d{2}[ ]+)?"
    r")"
    r"((?:Mc|Mac|O'|O’)?[" + _UP + r"][" + _LO + r"'’-]+(?:[ ](?:(?:van|von|de|der|da|di|le|la|al|bin|ben)[ ])?"
    r"(?:Mc|Mac|O'|O’)?[" + _UP + r"][" + _LO + r"'’-]+){0,2}"
    # in lower case as typed ("[16:10] mohammed al mansouri:"): a known given name first, checked by _speakers
    r"|[" + _LO + r"]+(?:[ ][" + _LO + r"'’-]+){0,2}):[ ]"
)
#: What every _SPEAKER line holds: a name's capital right after the digit, the bracket or the "AM"/"p.m." of its
#: time, spaces and a dash between or not; or a month's abbreviation.
_SPEAKER_GATE = re.compile(r"[\d\]Mm.][ ]*(?:-[ ]*)?[" + _UP + r"]|\][ ]*[a-z]|" + _MONTH_ABBR)


#: A phone number in a table's phone column: digits, maybe a "+", brackets, dots, dashes, slashes and spaces.
_TABLE_PHONE = re.compile(r"[ ]*\+?[0-9 ().\-/]{7,25}[ ]*")


#: A line of a chat transcript without timestamps that opens with a speaker's label: one word, or a role and a
#: word ("Customer: ...", "Alina: ...", "tom: ...", "agent Ravi: ..."), a colon and a space.
_LABEL_LINE = re.compile(
    r"(?m)^[ \t]*"
    # a time before it ("09:35 Jericho:", "17:46 - Íñigo:", "(18:08:42) Brodie:")
    r"(?:[(\[]?\d{1,2}:\d{2}(?::\d{2})?(?:[ ]?[AaPp]\.?[Mm]\.?)?[)\]]?[ ]+(?:-[ ]+)?)?"
    r"(?:([^\W\d_]+)[ ])?([^\W\d_][^\W\d_'’-]*)"
    # a time, a role or a company in brackets after it ("Tahlia (7:46 pm):", "Oisín (Agent):", "Chiamaka [12:18 PM]:")
    r"(?:[ ](?:\([^()\n]{1,30}\)|\[[^\[\]\n]{1,20}\]))?:[ ]"
)
#: A bracket after a speaker's label that makes it a bot's persona, no person: "Mia (virtual assistant):".
_BOT_PERSONA = re.compile(
    r"[(\[](?:[^()\[\]\n]{0,30}[ ])?(?i:virtual[ ]assistant|(?:chat)?bot|ai(?:[ ]assistant)?|automated|auto-?reply)[)\]]"
)
#: Labels that say a line is a turn of a conversation and name no one: one of them among a text's labels makes
#: the other one-word labels speakers ("user: my pw ...\nAlina: Please rotate it").
_SPEAKER_ROLES = frozenset(
    "customer customers user client cust cx caller visitor guest me agent rep support bot assistant operator "
    "advisor adviser buyer seller member tech technician system human ai chatbot moderator host staff"
    " kunde kundin client cliente usuario usuário utilisateur klant klantenservice medewerker mitarbeiter agente"
    " operatore operador utente conseiller conseillère atendente consultant consultora consultor temsilci müşteri"
    " konsultant konsultantka klient klientka ejecutivo ejecutiva asesor asesora operadora operatrice opérateur"
    " opératrice berater beraterin mitarbeiterin consulente especialista atendimento pelanggan pembeli penjual cskh cs"
    " khách klijent klijentica kupac korisnik zákazník zákaznice asiakas kund kunden"
    # a case handler's role, as Nordic, Czech and German service desks label it ("Kundebehandler 2173:",
    # "Handläggare 6183:", "Operátor 1038:")
    " kundebehandler saksbehandler handläggare handlaggare sagsbehandler sachbearbeiter sachbearbeiterin operátor"
    " operátorka operatör ouvidoria"
    # the other party of a delivery, a sale, a stay or a job ("Rider:", "Dealer:", "Cleaner:")
    " rider dealer cleaner courier driver".split()
)
#: Roles that may stand before a speaker's name in its label ("agent Ravi:", "Agent Monique:", "[08:04] Consultant
#: Thandiwe:", "Atendente Rafaela:", "Medewerker Sanne:", "Temsilci Elif:"): the name is the words after the role.
_SPEAKER_NAME_ROLES = frozenset(
    "agent rep advisor adviser tech technician supervisor operator specialist customer cust consultant agente atendente"
    " medewerker temsilci operatore operatrice operador operadora konsultant konsultantka ejecutivo ejecutiva"
    " conseiller conseillère asesor asesora berater beraterin mitarbeiter mitarbeiterin consulente especialista"
    " opérateur opératrice consultor consultora".split()
)
#: One-word labels of forms, notes and logs that a transcript may hold too and that name no one ("Note:",
#: "Summary:", "Resolution:"), checked lower-cased.
_NOT_SPEAKER_LABELS = frozenset(
    """prescriber physician attending adjuster approver witness witnesses insured claimant provider pharmacy diagnosis
    drug medication dob mrn npi dosage allergies admit discharge referral referrer payer plan
    note notes summary subject status update updates resolution resolved issue action actions reply answer
    question date time priority category tags tag product order error errors warning info debug step steps
    result results expected actual cause fix workaround reason tel fax ref re fwd fw eta sku pin dob swift vat
    ticket internal comment comments description details outcome impact severity environment version device
    browser platform location address email phone mobile name amount total price cost balance account plan type
    source channel queue owner assignee team department title body message response request input output
    prompt completion instruction context label intent sentiment score rating feedback review reviewer language
    region country city state zip postcode code link url id number reference tracking carrier shipping delivery
    billing payment invoice refund return cc bcc to from sent received attachment attachments signature tip
    hint example examples important urgent todo done pending open closed escalated yes no ok edit correction
    original translation transcript chat call voicemail sms text log logs trace exception traceback command
    config settings key value password username login token secret host port server database table query rows
    column field fields before after now then today yesterday tomorrow morning afternoon evening night
    q a p s nb ps fyi tldr tl dr step problem solution steps symptoms symptom goal goals next agenda minutes
    attendees action items owner due deadline follow followup contact cause impact update docs api sdk cli ui
    ux os ip dns ssl tls http https json xml csv yaml sql node python java go rust ruby php cpu gpu ram disk
    kb mb gb tb ms sec min hr hrs mon tue wed thu fri sat sun warning critical fatal trace verbose notice alert
    alerts bug bugs feature features task tasks story epic sprint release build deploy deployment pr mr commit
    branch tag merge test tests spec specs doc draft final old new current previous original edited quote
    quoted forwarded internal public private external addr acct amt qty desc dept loc org ext mob cell ph eml usr
    uid ssn cvv exp expiry iban bic sort postal street town county province age sex gender dob nationality
    car vehicle model make plate registration reg colour color mileage vin parking flight seat room bed ward
    parcel package item items qty weight size dimensions destination origin pickup dropoff route
    found complaint water router obs veh verkstad"""
    # carriers that answer a chat under their brand ("[14:55] Movistar: Hola!", "Vivo: Olá!")
    """ movistar vivo claro telcel airtel safaricom vodafone telstra optus verizon xfinity comcast telkom"""
    # the same fields in other languages ("Nimi:", "Osoite:", "Puhelin:", "Lisätiedot:", "Morada:", "Contacto:",
    # "Anschluss:", "Rückfragen:")
    """ nimi osoite puhelin sähköposti lisätiedot vika huom navn namn adresse adress telefon mobil epost e-post
    kommentar merknad anmerkung hinweis anschluss rückfragen betreff datum uhrzeit preis nachricht nome morada
    endereço telefone telemóvel contacto assunto observações obs nombre dirección teléfono correo asunto
    observaciones indirizzo telefono cellulare oggetto note nom adresse téléphone courriel objet remarque naam adres
    telefoonnummer onderwerp opmerking imię nazwisko adres telefon uwagi jméno adresa telefon poznámka név cím
    telefonszám megjegyzés ad soyad adres telefon not nume adresă telefon observații""".split()
)


#: A person in pasted data: a JSON, Python or YAML-ish key of a name and its quoted value ('"holder": "MICHAEL
#: BRENNAN"', "'full_name': 'Ayşe Yılmaz'", '"customer":"Jun Watanabe"').
_KEYED_NAME = re.compile(
    # the key quoted (JSON, Python, YAML) or bare before "=" (a log line: 'name="T MATSUMOTO"')
    r"""(?:["']|(?<![\w.-])(?=\w+=))((?i:(?:full|first|last|given|family|middle|customer|contact|client|account|card|user|display|sender|"""
    r"""recipient|billing|shipping|legal|real|maiden|birth)?[ _-]?(?:name|holder|surname)|cardholder|customer|contact|owner"""
    r"""|author|agent|assignee|reporter|requester|requestor|given|family|forename|resident|rider|subscriber|tenant|guest"""
    r"""|passenger|driver|occupant|patient|employee|recipient|consignee|beneficiary|payee|applicant|co_?signer|member"""
    r"""|student|candidate)(?i:[_-]?name)?|(?i:name[_ -]on[_ -](?:card|account|file|licen[cs]e|policy)))"""
    r"""(?:["'][ ]*[:=]|=)[ ]*["']([^"'\n\\]{2,80})["']"""
)
#: The same keys in YAML or a form's "key: value" lines, the key opening its line ("first_name: aoife", "last_name:
#: ní bhriain", "legal_name: Olamide Fashola").
_YAML_NAME = re.compile(
    r"""(?im)^[ \t]*((?:full|first|last|given|family|middle|legal|real|maiden|customer|contact|account|card|holder)"""
    r"""[ _-]?(?:name|holder|surname)|surname|forename|cardholder)[ \t]*:[ \t]*["']?([^"'\n:]{2,60}?)["']?[ \t]*$"""
)
#: Keys that name things as often as people ('"name": "Premium Plan"', '"agent": "Zendesk"'): their value counts only
#: when it opens with a known given name or an initial.
_GENERIC_NAME_KEYS = frozenset("name customer contact owner agent author assignee reporter requester requestor".split())
#: The keys of :data:`_KEYED_NAME` beyond a name's own ('resident="Okafor"', 'rider="Mohd Irfan"', '"tenant":
#: "Rivera, Luis"'): needles of the Aho-Corasick pass.
_MORE_NAME_KEYS = frozenset(("resident", "rider", "subscriber", "tenant", "guest", "passenger", "driver", "occupant",
                             "patient", "employee", "recipient", "consign", "beneficiary", "payee", "applicant",
                             "signer", "member", "student", "candidate"))
#: A word of a keyed name's value: a name in any case, with hyphens and apostrophes, or an initial.
_KEYED_NAME_WORD = re.compile(r"[" + _UP + _LO + r"][" + _UP + _LO + r"'’-]*\.?")


def _script_name_cell(words: list[str]) -> bool:
    """Whether a name column's cell is a name in a script other than Latin: up to four words of letters and the marks
    Thai and Indic scripts write vowels with ("ณัฐวุฒิ วงศ์ใหญ่"), no Latin letter, no digit, none of them a word
    a cell of another kind holds (an unknown value's "不明")."""
    return all(
        len(w) <= 20
        and not any("a" <= c.lower() <= "z" for c in w)
        and all(unicodedata.category(c)[0] in "LM" or c in "·・'’-" for c in w)
        for w in words
    ) and len(words) <= 4 and words[0].lower() not in EMPTY_VALUES and words[0] not in _NOT_SCRIPT_NAMES


#: What a name column of a non-Latin export holds when it holds no name ("不明": unknown, "未填写": not filled in).
_NOT_SCRIPT_NAMES = frozenset(("不明", "未知", "未填写", "无", "なし", "없음", "нет", "неизвестно", "ไม่ระบุ", "غير معروف"))


def _may_hold_keyed_name(text: str, low: str, h: AbstractSet[str] | None = None) -> bool:
    """Whether :data:`_KEYED_NAME` or :data:`_YAML_NAME` may match: a quote or a line break, a colon or "=", and a
    word of their keys."""
    if not (('"' in text or "'" in text or "\n" in text or ": " in text) and (":" in text or "=" in text)):
        return False
    if h is None:
        h = _needles_in(low)
    return (
        "name" in h or "holder" in h or "customer" in h or "contact" in h or "owner" in h or "author" in h
        or "agent" in h or "assignee" in h or "reporter" in h or "request" in h or "given" in h
        or "family" in h or "forename" in h or not h.isdisjoint(_MORE_NAME_KEYS)
    )


#: A name signed after a dash at the end of a line or of the text: "Reshipped, tracking 9400 ... -Yasmin", "...
#: per policy. - Joy", "\n—Inês" (en and em dashes are read as "-").
#: The pattern starts with the dash (re jumps from "-" to "-", where a pattern that opens with a look-behind is
#: tried at every position); what may come before it is checked apart (:func:`_dash_opens_a_signature`).
_DASH_SIGNATURE = re.compile(
    r"-[ ]?([" + _UP + r"][" + _LO + r"]+(?:[ ][" + _UP + r"][" + _LO + r"]+)?|[a-z]{2,})"
    # a team or role after a comma ("- Nomsa, IT Service Desk", "- Naledi, Customer Care")
    r"(?:,[ ][^,\n]{2,40})?[ \t]*(?=\r?\n|\Z)"
)


#: Words that end a message after a dash as a status or a team, not a signature ("- Done", "- Billing").
_DASH_NOT_SIGNED = frozenset(
    "Done Closed Fixed Later Soon Anon Mum Dad Boss Resolved Solved Sent Shipped Refunded Pending Approved Declined "
    "Urgent Important Update Updated Thanks Thankyou Cheers Regards Sorry Yes No Okay Ok Maybe Tbc Tba Tbd Asap Fyi "
    "Admin Support Team Staff Sales Billing Accounts Finance Management Reception Office Helpdesk Everyone All "
    "Tomorrow Today Tonight Yesterday Monday Tuesday Wednesday Thursday Friday Saturday Sunday Me Us".split()
)
#: Endings of English words that no given name of the lists has ("- Billing", "- Delivered", "- Escalation").
_DASH_NOT_SIGNED_ENDINGS = ("ing", "ed", "tion", "sion", "ment", "ness", "ity", "ance", "ence", "ship", "able", "ly")


def _signs_the_text(text: str, m: re.Match[str]) -> bool:
    """Whether the one capitalised word of a dash signature (``m``), no known given name, signs the text: the dash
    opens the text's last line ("Thanks for sorting it.\n- Trey", "-- Dorcas"), the line before it is no item of a
    list and opens none (no dash or bullet before it, no colon after it), and the word is no status, team or
    common English word and is not used as a thing in the text."""
    word = m.group(1)
    if " " in word or m.group().count(",") or text[m.end():].strip():
        return False
    line_start = text.rfind("\n", 0, m.start()) + 1
    if text[line_start:m.start()].strip(" \t-") or not line_start:
        return False
    before = text[:line_start].rstrip()
    previous = before[before.rfind("\n") + 1:].lstrip(" \t")
    if not previous or previous.startswith(("-", "*", "•", "–", "—")) or previous.endswith(":") or previous[0].isdigit():
        return False
    return (
        2 <= len(word) <= 14
        and word not in _DASH_NOT_SIGNED
        and not any(word.lower().endswith(e) and len(word) >= len(e) + 3 for e in _DASH_NOT_SIGNED_ENDINGS)  # not "Aled"
        and word.lower() not in COMMON_LOWER_WORDS
        and not _used_as_a_thing(text, word)
    )


def _dash_opens_a_signature(text: str, dash: int) -> bool:
    """Whether the dash at ``dash`` opens its line (spaces and tabs aside) or follows the end of a sentence or a
    thanks and one space ("... per policy. - Joy", "... thanks - deb"). A match ends its line, so the lines looked
    back over are distinct."""
    line_start = text.rfind("\n", 0, dash) + 1
    if not text[line_start:dash].strip(" \t-"):  # "-Aled", "-- Dorcas"
        return True
    if dash >= 2 and text[dash - 1] == " " and text[dash - 2] in ".!?)":
        return True
    return dash >= 2 and text[dash - 1] == " " and text[max(line_start, dash - 9):dash - 1].lower().endswith(_THANKS_WORDS)


#: A last word after a sentence's end on its line, or a word alone on its line after a blank one: where a writer's
#: given name closes a message (see PiiRedactor._closing_names). Every match is in each whole lines of the text
#: that hold it, so a text where none is found has no line where one is.
_CLOSING_TAIL = re.compile(r"[.!?][ ]+[A-Za-z][a-z]+\Z")
#: The names :meth:`PiiRedactor._closing_names` takes: known given names that are no word, capitalised or in
#: lower case.
_CLOSING_NAMES = frozenset(
    n for n in _CLEAR_FIRST | _FIRST_LOWER
    if n.isascii() and n.isalpha() and n[1:].islower() and n.title() not in AMBIGUOUS_FIRST_NAMES
)
#: Sign-offs in other languages, and English ones closing a sentence on the line ("... I'll come down. Cheers, Mitch
#: O'Donoghue"), in lower case: :meth:`PiiRedactor._signed_off` takes the name after them.
_SIGN_OFF_PHRASES = (
    "mit freundlichen grüßen", "mit freundlichen grüssen", "freundliche grüße", "viele grüße", "liebe grüße",
    "beste grüße", "herzliche grüße", "cordialement", "bien cordialement", "bien à vous", "salutations",
    "atentamente", "saludos", "un saludo", "un abrazo", "cordiales saludos", "atenciosamente", "abraços", "obrigado",
    "obrigada", "cordiali saluti", "distinti saluti", "saluti", "met vriendelijke groet", "vriendelijke groeten",
    "groeten", "med vänlig hälsning", "vänliga hälsningar", "hälsningar", "med venlig hilsen", "venlig hilsen",
    "med vennlig hilsen", "vennlig hilsen", "hilsen", "mvh", "ystävällisin terveisin", "terveisin", "s pozdravem",
    "pozdrawiam", "z poważaniem", "üdvözlettel", "köszönöm", "pagarbiai", "ar cieņu", "lugupidamisega", "kveðja",
    "lp,", "srdačan pozdrav", "lijep pozdrav", "с уважением", "з повагою", "ευχαριστώ", "με εκτίμηση", "saygılarımla",
    "teşekkürler", "salam", "terima kasih", "salamat po", "trân trọng", "cảm ơn", "ngā mihi", "shukran", "asante",
    "cheers,", "regards,", "thanks,", "many thanks,", "best,", "kind regards,", "best wishes,", "thank you,", "ta,",
)
#: A sign-off of :data:`_SIGN_OFF_PHRASES` that opens its line or follows a sentence's end, with its comma or line
#: break: where :meth:`PiiRedactor._signed_off`'s name starts.
_SIGN_OFF = re.compile(
    r"(?i)(?:^|(?<=\n)|(?<=[.!?][ ])|(?<=[.!?][ ][ ]))(?:" + "|".join(
        re.escape(p.rstrip(",")) for p in sorted(_SIGN_OFF_PHRASES, key=len, reverse=True)
    ) + r")[!.]?(?:,?[ ]*\n[ ]*|,[ ]*|[ ]*-[ ]+)"
)
def _title_word(word: str) -> bool:
    """Whether each part of ``word`` (split at hyphens and apostrophes) is capitalised, the rest in lower case:
    "Schäfer-Bredow", "O'Donoghue", "McDonald", "Γιώργος"; not "HIReported", "CREW"."""
    for part in re.split(r"[-'’]", word):
        if part.startswith(("Mc", "Mac")) and part[3:4].isupper():
            part = part[2:] if part[2:3].isupper() else part[3:]
        if not part or not (part[0].isupper() and (len(part) == 1 or part[1:].islower())):
            return False
    return True


#: Words of a team or a department that signs, and the articles and possessives before them, in several languages.
_TEAM_WORDS = frozenset(
    """ihr ihre dein deine euer votre vos le la les l équipe equipe el los las il lo gli de het uw din ditt er
    team teams kundenservice kundendienst service services servicio servicios soporte atención atencion cliente
    clientes equipo servizio assistenza clienti ufficio klantenservice klantendienst kundeservice kundtjänst
    kundeservicen asiakaspalvelu zespół obsługa klienta tým zákaznická podpora podpory служба поддержки команда
    ομάδα εξυπηρέτηση destek ekibi tim layanan pelanggan đội ngũ support customer care helpdesk desk office
    administração atendimento suporte""".split()
)
#: One to four words of letters (hyphens, apostrophes), one space apart: a signed name.
_SIGNED_NAME = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*(?:[ ][^\W\d_]+(?:[-'’][^\W\d_]+)*){0,3}")
#: What ends a signed name: its line's or the text's end, a "|", a dash or a bracket.
_SIGNED_NAME_END = re.compile(r"[ ]*(?:\r?\n|\Z|[|(]|[ ]?[-–][ ])|[ ]x\b")
#: The thanks a writer signs after with a dash: "... thanks - deb", "cheers - Tom".
_THANKS_WORDS = (" thanks", " thx", " ty", " ta", " cheers", " regards", " tia")


def _name_word_at(text: str, pos: int) -> re.Match[str] | None:
    """The capitalised word at ``pos`` when it may open a name after an introduction or a mention: not a known
    non-name, a product's or a queue's word, or a place word ("I'm Locked Out", "spoke to Customer Service")."""
    word = _CAPITALISED.match(text, pos)
    if word is None or word.group() in NOT_NAMES or word.group() in _NOT_GREETED or word.group() in _PLACE_WORDS:
        return None
    return word


#: The lower-cased strings of :data:`_INTROS_OTHER` (one of them is in every text that holds one).
_FOREIGN_INTRO_NEEDLES = frozenset(
    ("ik ben", "ich bin", "je suis", "je m'appelle", "soy ", "me llamo", "sono ", "mi chiamo", "eu sou", "meu nome",
     "mein name ist", "mi nombre es", "mijn naam is", "jag heter", "jeg heter", "nazywam się", "jmenuji se", "nama saya",
     "jeg er ", "det er ", "det är ", "sunt ", "jsem ", "sou a ", "sou o ", "é o ", "é a ", "c'est ", "ben ")
)


def _may_hold_foreign_intro(low: str, h: AbstractSet[str] | None = None) -> bool:
    """Whether the lower-cased text holds one of :data:`_INTROS_OTHER`."""
    if h is None:
        h = _needles_in(low)
    return not h.isdisjoint(_FOREIGN_INTRO_NEEDLES)


def _may_hold_intro(low: str, h: AbstractSet[str] | None = None) -> bool:
    """False only when none of :data:`_INTROS` is in the text whose lower case is ``low``."""
    if h is None:
        h = _needles_in(low)
    return (
        "i'm" in h or "i’m" in h or "i am" in h or "im " in h or "this is" in h or "it's" in h or "it’s" in h
        or "its " in h or _may_hold_foreign_intro(low, h)
    )


#: What names a person in prose, known given name or not: who did something with the ticket ("submitted by
#: Chukwuemeka Obi"), whom the writer dealt with ("I spoke with Folasade Adeyemi yesterday") or writes for ("on
#: behalf of ..."). Only a full name counts after them (two or three name words, none of them a thing's), or one
#: name word after a role (:data:`_ROLES`: "spoke to agent Chukwuemeka,"), and only where the name ends (see
#: _MENTION_END): "spoke with Lumen Support", "submitted by Web Form" and "talked to Bank Of America Card
#: Services" are not people. As written and capitalised (found with str.find, as _INTROS).
_MENTION_CUES = (
    "spoke with", "spoke to", "speaking with", "speaking to", "talked to", "talked with", "chatted with",
    "submitted by", "reported by", "requested by", "raised by", "opened by", "created by", "signed by",
    "approved by", "handled by", "on behalf of", "call back", "my colleague", "my husband", "my wife", "my son",
    "my daughter", "my mother", "my father", "my mum", "my mom", "my dad", "my brother", "my sister", "my partner",
    "my boss", "my manager", "my friend", "my neighbour", "my neighbor", "my grandmother", "my grandfather",
    "my grandma", "my grandpa", "my aunt", "my uncle", "my niece", "my nephew", "my cousin", "my fiance",
    "my fiancé", "my fiancée", "my girlfriend", "my boyfriend", "my flatmate", "my roommate", "my carer",
    "my landlord", "my accountant", "my assistant", "my grandson", "my granddaughter", "my stepson",
    "my stepdaughter", "my stepmother", "my stepfather", "my sister-in-law", "my brother-in-law", "my mother-in-law",
    "my father-in-law", "my son-in-law", "my daughter-in-law", "my caregiver", "note by", "notes by", "written by", "updated by", "logged by",
    "entered by", "added by", "escalated by", "reviewed by", "verified by", "checked by", "assigned by",
    "processed by", "prepared by", "resolved by", "shared by", "completed by", "actioned by", "please welcome",
)
#: More cues of a mention, right before a capital: who a ticket is about or for, who took it over, and whom a
#: writer defers to ("Customer Jonas Wagner reports", "customer is Yui Inoue (...)", "took over from M.V. Ramsey",
#: "Per Anouk ter Horst, the invoice ..."). One pattern: "customer" is in every other ticket, a capital after it
#: in few.
#: Roles that a full name may follow in prose (see _MENTION_CUE_MORE), in lower case.
_ROLES_BEFORE_NAMES = (
    "cardholder|applicant|claimant|tenant|landlord|landlady|contractor|officer|winner|member|parent|residents?|witness"
    "|patient|plumber|electrician|adjuster|inspector|seller|buyer|owner|propietari[oa]|inquilin[oa]|beneficiary|payee"
    "|student|guest|caller|contact|manager|supervisor|technician|courier|recipient|consignee|sender"
    "|renter|hirer|donor|sponsor|executor|caseworker|referrer|candidate|interpreter|starter|joiner|surveyor"
    "|kontoinnehavare|titular|técnico|tecnico|kurýr"
)
#: More roles, in lower case only (capitalised they open a team's or a programme's name as often: "User Acceptance
#: Testing", "Employee Assistance Programme", "Client Services"): the customer, user, employee, colleague, insured or
#: recipient of a ticket in English and other languages ("user Kostas Alexiou reset his password", "El cliente Txema
#: Etxeberria", "käyttäjä Timo Heikkinen", "biztosított Szabó Gábor", "kullanıcı Okan Çelik", "clientul Vasile Stan").
_LOWER_ROLES_BEFORE_NAMES = (
    "user|employee|homeowner|insured|policyholder|installer|subscriber|occupant|borrower|guarantor"
    "|kollegin|kollege|kunde|kundin|mitarbeiter|mitarbeiterin|mieter|mieterin|empfänger|versicherte|versicherter"
    "|antragsteller|antragstellerin|benutzer|benutzerin|nutzer|nutzerin|techniker|technikerin"
    "|client|cliente|collègue|locataire|destinataire|assuré|assurée|utilisateur|utilisatrice|salarié|salariée|technicien"
    "|usuario|usuaria|usuário|usuária|destinatario|destinataria|destinatário|destinatária|asegurado|asegurada|segurado"
    "|segurada|empleado|empleada|funcionário|funcionária|condutor|conductor|utente|dipendente|assicurato|assicurata|collega"
    "|klant|huurder|gebruiker|medewerker|medewerkster|verzekerde|ontvanger|kund|bruger|användare|bruker|käyttäjä"
    "|asiakas|vakuutettu|työntekijä|anställd|medarbetare|forsikrede|klient|klientka|użytkownik|pracownik|pracownica"
    "|zákazník|zákaznice|uživatel|zaměstnanec|zaměstnankyně|clientul|clienta|angajatul|angajata|utilizatorul"
    "|asiguratul|asigurata|ügyfél|felhasználó|munkatárs|biztosított|dolgozó|kullanıcı|müşteri|çalışan|sigortalı"
)
_MENTION_CUE_MORE = re.compile(
    r"(?<![\w'’])(?:[Cc]ustomer(?:[ ]is)?|took[ ]over[ ]from|handed[ ](?:off|over)[ ]to|handover[ ]to|addressed[ ]to"
    r"|contact[ ]to|message[ ]is[ ]for|[Pp]er)[ ](?=[" + _UP + r"])"
    # someone's relative ("Pt's daughter Ruth will drive her", "the customer's husband, Tomás Ruiz")
    r"|(?<=[\w])['’]s[ ](?:daughter|son|wife|husband|mother|father|mum|mom|dad|brother|sister|partner|carer"
    r"|caregiver|grandson|granddaughter),?[ ](?=[" + _UP + r"])"
)
# Not "forwarded to", "escalated to", "assigned to": their value is a queue as often ("Ticket forwarded to Second
# Line").
#: A role right before a full name ("Security officer Musa Abdullahi attended", "Claimant Ngaio Parata", "cardholder
#: Esperanza Villalobos disputes", "HRBP Anneke Visser"); only a full name counts after it. In lower case in a
#: sentence, capitalised only where a sentence or a line starts ("Guest List Polygon" is a playlist). A pattern of its
#: own, searched only where :func:`_may_hold_role_cue` finds a role word: its alternatives at every position cost
#: ~15 us a text.
_ROLE_CUE = re.compile(
    r"(?:(?<![^\s(\"“‘\[])(?:" + _ROLES_BEFORE_NAMES + "|" + _LOWER_ROLES_BEFORE_NAMES + r")|(?:^|(?<=\n)|(?<=[.!?:;][ ])|(?<=[.!?:;][\"”][ ])|(?<=-[ ]))(?:"
    + "|".join(w[:1].upper() + w[1:] for w in _ROLES_BEFORE_NAMES.split("|")) + r"|HRBP|RA|PM)|(?<=[ ])(?:HRBP|RA|PM))"
    r"(?:[ ]is)?[ ](?=[" + _UP + r"][" + _LO + r"]+[ ][" + _UP + r"])"
)
#: A word of every cue of :data:`_MENTION_CUES` (what :func:`_may_hold_mention` looks for in the lower-cased
#: text) -> the cues that hold it, as written and capitalised: only those are searched for.
_MENTION_WORDS = {
    word: tuple(form for cue in _MENTION_CUES if word in f" {cue} " for form in (f"{cue} ", f"{cue.capitalize()} "))
    for word in ("spok", "speaking", "talked", "chatted", "ed by ", "behalf", "call back", "note", "written by", "please welcome")
} | {
    # the people around the writer (and someone else's): found by one pattern of the owner and the relative
    "my ": tuple(
        form
        for cue in _MENTION_CUES
        if cue.startswith("my ")
        for owner in ("my ", "her ", "his ", "our ", "their ")  # "claim for her husband Ernesto Dominguez"
        for owned in (owner + cue[3:],)
        for form in (f"{owned} ", f"{owned.capitalize()} ", f"{owned}, ", f"{owned.capitalize()}, ")  # "my mum, Deepika Nair"
    )
}
#: The people of :data:`_MY_PEOPLE` ("husband", "colleague"): registered with the Aho-Corasick pass, so the pattern,
#: which has no literal to jump to, runs only on a text that holds one.
_RELATIVE_WORDS = frozenset(cue[3:] for cue in _MENTION_CUES if cue.startswith("my "))
_MY_PEOPLE = re.compile(
    "(?:my|her|his|our|their) (" + "|".join(cue[3:] for cue in _MENTION_CUES if cue.startswith("my ")) + "),? "
)
#: The relatives among them: a name of one word after one is a person's ("my wife Bernadette", "her nephew Terrell"),
#: a known given name, or another word where the sentence goes on about the person (:data:`_RELATIVE_NAME_END`).
_FAMILY_WORDS = frozenset(
    "husband wife son daughter mother father mum mom dad brother sister grandmother grandfather grandma grandpa"
    " aunt uncle niece nephew cousin fiance fiancé fiancée girlfriend boyfriend grandson granddaughter stepson"
    " stepdaughter stepmother stepfather sister-in-law brother-in-law mother-in-law father-in-law son-in-law"
    " daughter-in-law".split()
)
_RELATIVE_NAME_END = re.compile(
    r"[ ]*(?:[,.;:!?)]|\r?\n|\Z|[ ]\(|[ ](?:may|will|can|could|would|is|was|has|had|said|says|called|calls|answered|"
    r"visited|lives|works|and|or|who|to|rang|phoned|texted|emailed|wants|needs|asked|told|came|went|got|left|arrived"
    r"|picked|is|isn't|can't|won't|does|did|should|might|must|also|just|usually|normally|will)\b|['’]s\b)"
)
#: The roles a name may follow after a mention: "spoke to agent Chukwuemeka", "handled by technician Obi".
_ROLES = frozenset(
    "agent rep representative technician tech advisor adviser supervisor manager colleague engineer specialist".split()
)
#: What may follow a mentioned name: punctuation, the end of the line, or a word in lower case.
_ROLE_WORD = re.compile(r"(\w+)[ ]")
_MENTION_END = re.compile(r"[ ]*(?:[,.;:!?)(<]|\r?\n|\Z)|[ ][a-z]|['’]s\b")


def _may_hold_more_mention(low: str, h: AbstractSet[str] | None = None) -> bool:
    """False only when no cue of :data:`_MENTION_CUE_MORE` is in the text whose lower case is ``low`` (a pattern
    that opens with a look-behind is tried at every position: these substring tests rule most texts out first)."""
    if h is None:
        h = _needles_in(low)
    return (
        "customer " in h or "per " in h or "over from" in h or "handed " in h or "handover" in h
        or "addressed to" in h or "contact to" in h or "is for" in h
        or (("'s " in h or "’s " in h) and _MAY_BE_RELATIVE.search(low) is not None)
    )


def _may_hold_role_cue(low: str, h: AbstractSet[str] | None = None) -> bool:
    """Whether the lower-cased text may hold a :data:`_ROLE_CUE`: one of its role words among the text's words.
    ``h``, the text's :func:`_needles_in` when the caller has it, rules out first the texts that hold no role word
    at all (:data:`_ROLE_WORDS`, its needles), without splitting them."""
    if h is not None and h.isdisjoint(_ROLE_WORDS):
        return False
    return not _ROLE_TOKENS.isdisjoint(low.split())


#: The role words of :data:`_ROLE_CUE` as the whitespace-split words of lower-cased text hold them, alone or
#: after the bracket or quote the pattern allows before them: the gate of its role cues (a pattern of every role at
#: every position cost ~15 us a text; a set of the text's words, ~1.5 us).
_ROLE_TOKENS = frozenset(
    prefix + w
    for r in (_ROLES_BEFORE_NAMES + "|" + _LOWER_ROLES_BEFORE_NAMES).split("|")
    for w in ((r[:-2], r[:-2] + "s") if r.endswith("s?") else (r[:-4] + "o", r[:-4] + "a") if r.endswith("[oa]") else (r,))
    for prefix in ("", "(", '"', "“", "‘", "[")
) | {"hrbp", "ra", "pm"}
#: The words of :data:`_ROLE_TOKENS` without the bracket or quote before them: one of them is in the lower-cased
#: text wherever one of those tokens is among its words (needles of :func:`_needles_in`).
_ROLE_WORDS = frozenset(token.lstrip("(\"“‘[") for token in _ROLE_TOKENS)


#: A possessive's relative in lower-cased text, for :func:`_may_hold_more_mention` ("pt's daughter ").
_MAY_BE_RELATIVE = re.compile(
    r"['’]s (?:daughter|son|wife|husband|mother|father|mum|mom|dad|brother|sister|partner|carer|caregiver|grandson"
    r"|granddaughter)"
)


def _may_hold_mention(low: str, h: AbstractSet[str] | None = None) -> bool:
    """False only when none of :data:`_MENTION_CUES` is in the text whose lower case is ``low``."""
    if h is None:
        h = _needles_in(low)
    return (  # the words of _MENTION_WORDS, unrolled (a generator over them cost twice as much)
        "spok" in h or "ed by " in h or "talked" in h or "speaking" in h or "chatted" in h or "behalf" in h
        or "call back" in h or "note" in h or "written by" in h or "please welcome" in h
        or (not h.isdisjoint(_RELATIVE_WORDS) and _MY_PEOPLE.search(low) is not None)
    )


#: A courtesy that addresses someone by name at the end of its sentence: "Thanks for waiting, Sofia.", "Sorry
#: about that, Grace!" (searched in the sentence before the name's comma).
_COURTESY = re.compile(
    r"(?i:\b(?:thanks|thank you|thx|sorry|hi|hello|hey|welcome|cheers|great news|good news|happy to help|no problem|"
    r"of course|will do|understood|i understand|got it|perfect|danke|merci|gracias)\b)"
)
#: What ends a sentence right after a name addressed in it.
_SENTENCE_END_NEXT = re.compile(r"[.!?](?:[ \n]|\Z)|\Z|\n")


def _addressed_at_sentence_end(text: str, before: str, end: int) -> bool:
    """Whether a given name that is also a word ("Sofia", "Grace", "June"), ending at ``end`` and with
    ``before`` the text before it, is the person a courtesy addresses: after ", " at the end of a sentence
    that opens with thanks, sorry or a greeting ("Thanks for waiting, Sofia."), not "by God's grace." or "in
    Sofia, Bulgaria."."""
    if not before.endswith(", ") or _SENTENCE_END_NEXT.match(text, end) is None:
        return False
    sentence = re.split(r"[.!?\n]", before)[-1]
    return _COURTESY.search(sentence) is not None


def _greeting_line_starts(text: str) -> list[int]:
    """Where each line of ``text`` starts, spaces and tabs aside, that may open with a greeting: every line when
    lines are indented or lower() changes the text's length, else only those whose lower case opens with one
    of :data:`_GREETING_WORDS` (found with str.find: looking at each line cost ~5 us a text)."""
    low = text.lower()
    if len(low) != len(text) or low[:1] in (" ", "\t") or "\n " in low or "\n\t" in low:
        starts = []
        line = 0
        while line >= 0:
            start = line
            while text[start:start + 1] in (" ", "\t"):
                start += 1
            starts.append(start)
            line = text.find("\n", line)
            if line >= 0:
                line += 1
        return starts
    starts = [0] if low.startswith(_GREETING_WORDS) else []
    for word in _GREETING_WORDS:
        i = low.find("\n" + word)
        while i >= 0:
            starts.append(i + 1)
            i = low.find("\n" + word, i + 1)
    return sorted(starts)


def _may_hold_greeting(low: str, h: AbstractSet[str] | None = None) -> bool:
    """False only when no line of the text whose lower case is ``low`` opens with one of :data:`_GREETINGS`."""
    if h is None:
        h = _needles_in(low)
    if low.startswith(_GREETING_WORDS):
        return True
    if not ("hi " in h or "hello " in h or "hey " in h or "hiya " in h or "good " in h):
        return False
    if low[:1] in (" ", "\t") or "\n " in h or "\n\t" in h:
        return True  # an indented line: a greeting anywhere will do
    return "\nhi " in h or "\nhello " in h or "\nhey " in h or "\nhiya " in h or "\ngood " in h


def _person_gate(
    text: str, low: str, caps: list[str], h: AbstractSet[str] | None = None
) -> tuple[bool, bool, bool, bool] | None:
    """None when ``text`` cannot hold a name; else the flags of :meth:`PiiRedactor._persons`: (a strong cue
    may occur, lower() agrees with re.IGNORECASE, "my name is" may occur, a line may open with a sign-off
    and a comma).

    Without a strong cue anywhere only known given names can start a name, and every capitalised word of
    the text is one of ``caps`` (a name's own word always is): no given name among them means no name.
    """
    plain = _lower_is_ignorecase(text)
    if h is None:
        h = _needles_in(low)
    strong = _may_hold_strong_cue(text, low, caps, plain, h)
    lower_cue = "name is" in h or not plain
    sign_off_line = not plain or ("," in low and _SAME_LINE_SIGN_OFF_REVERSED.search(low[::-1]) is not None)
    if not strong and not lower_cue and not sign_off_line and _ALL_FIRST.isdisjoint(caps):
        return None
    return strong, plain, lower_cue, sign_off_line


#: Words that are never part of a street's name before its street word in shouted prose: function words,
#: quantities, product and interface words ("5 MINUTES WALK", "STEP 2 CLICK CLOSE", "WINDOWS 10 PRO DRIVE").
_NOT_STREET_WORDS_UPPER = frozenset(
    "the a an and or but of to in on at for with from by as into is are was were be been am it its this that "
    "my your our his her their all any some no not so than then too very just also please "
    "minutes hours days weeks months years times stars star items item miles km blocks units pack pcs "
    "pro click tap press select".split()
)
#: The city and state or postcode _ADDRESS_EN_UPPER reads after a street: with one, a match is an address.
_ADDRESS_TAIL_UPPER = re.compile(_tail(_CITY_UPPER) + r"\Z")


def _not_a_street_in_capitals(value: str) -> bool:
    """Whether an :data:`_ADDRESS_EN_UPPER` match is shouted prose, not an address: without a city and state
    or postcode after it, a word between its number and its street word is a function word, a quantity, a
    product or interface word, an acronym or a known non-street name ("55123 IS ON THE WAY", "3 TIMES THE
    SAME WAY", "BOUGHT 2 USB DRIVE KITS", "2 GOOGLE DRIVE FOLDERS"); "THE" may open a street's name ("5 THE
    GROVE"). Title-case addresses need no such test: prose is rarely written in Title Case, while all-caps
    prose is what this pattern reads."""
    if _ADDRESS_TAIL_UPPER.search(value):
        return False
    words = value.split(",", 1)[0].split()[1:-1]
    if words[:1] == ["THE"]:
        words = words[1:]
    return any(
        w.lower() in _NOT_STREET_WORDS_UPPER or w in ACRONYMS or w.title() in NOT_STREET_NAMES for w in words
    )


#: What introduces a street right before it: German prepositions as German writes them ("Am Gewerbering",
#: "im ..."; not "an", an English article too: "an Engineering 101 class"; in capitals "AM" and "IM" are
#: English: "I AM ENTERING 4 DIGITS") and address words in any case ("Lieferadresse: Heidering 4", "Address:
#: Nordring 5", "Straße: Nordring 5").
_GERMAN_STREET_CUE = re.compile(
    r"(?:\b(?:Am|am|im|zum|in der|auf dem)|(?i:adresse|anschrift|address|straße|strasse|wohne|wohnt))[ ]?:?[ ]*\Z"
)
#: German in the text around a street: a letter English does not use, or a German word English does not have.
_GERMAN_HINT = re.compile(
    r"[äöüßÄÖÜẞ]|(?i:\b(?:bitte|danke|adresse|anschrift|lieferung|liefern|lieferadresse|meine|mein|ist|und|oder|"
    r"ich|wir|nicht|für|bei|wohne|wohnt|sitzen|straße|strasse|gmbh)\b)"
)
#: What follows a street as its city: ", Mannheim" ending the line or the sentence (mixed case only: in
#: capitals ", 12000 ORDERS" is English too; "String 4, Earring 2" is a list), or a postcode on the next line
#: ("Hohenzollernring 25\n50672 Köln").
_CITY_AFTER = re.compile(r",[ ][A-ZÄÖÜ][a-zäöüß]+(?=[ ]*(?:\Z|\r?\n|[.;!)]))|[ ]*\r?\n[ ]*\d{5}[ ]")


def _ring_street_out_of_context(text: str, m: re.Match[str], german: list[bool]) -> bool:
    """Whether an _ADDRESS_DE(_UPPER) match of a "-ring" street ("Nordring 5", "Am Gewerbering 12") lacks what
    tells it from an English word ending in "ring" ("Spring 2024", "During 2023", "Offering 3 plans", "I AM
    ENTERING 4 DIGITS"). A house number that is a year (1900-2099) is never enough; else it needs German in
    the text (:data:`_GERMAN_HINT`), a cue right before the street word (:data:`_GERMAN_STREET_CUE`), a
    postcode and city, or, in mixed case, a city after it (:data:`_CITY_AFTER`). ``german`` holds the text's
    verdict once a match has needed it (empty before), so that many streets in one text cost one search."""
    value = m.group()
    head = value.split(",", 1)[0]
    street, _, number = head.rpartition(" ")  # "Am Gewerbering", "12a"
    if not street.lower().endswith("ring"):
        return False
    digits = number.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    if len(digits) == 4 and 1900 <= int(digits) <= 2099:
        return True  # "Spring 2024", "DURING 2023, 12000 ORDERS"
    if not german:
        german.append(_GERMAN_HINT.search(text) is not None)
    if german[0]:
        return False
    word_start = m.start() + max(street.rfind(" "), street.rfind("-")) + 1
    if _GERMAN_STREET_CUE.search(text, max(0, word_start - 16), word_start) is not None:
        return False
    if "," in value:
        return False  # a postcode and city: "AM NORDRING 3, 10115 BERLIN"
    return street.isupper() or _CITY_AFTER.match(text, m.start() + len(head)) is None


def _ends_a_field(text: str, pos: int) -> bool:
    """Whether ``pos`` ends a form field or a signature line: the end of the text or the line, or a
    punctuation mark, maybe after spaces ("John SMITH\n", "Jean DUPONT.", "(Anna KOWALSKA)")."""
    rest = text[pos:pos + 8].lstrip(" ")
    return not rest or rest[0] in "\n\r,.;:!?)>"


def _may_be_caps_surname(word: str) -> bool:
    """Whether a word in capitals after a capitalised given name may be its surname: not an acronym, a
    common word, a non-name (unless also a given name), a verb form ("RESOLVED", "PENDING", "TOLD") or an
    adverb ("NEVER")."""
    if word in ACRONYMS or word in NOT_CAPS_SURNAMES or word.lower() in COMMON_LOWER_WORDS:
        return False
    if len(word) >= 5 and word.endswith(("ED", "ING")):
        return False
    return word.title() not in NOT_NAMES or _upper_given_name(word) is not None


def _upper_given_name(word: str) -> str | None:
    """The known given name a word in capitals is ("MARIA" -> "Maria"), or begins with a hyphen ("JEAN-LUC"
    -> "Jean"); None for any other word."""
    first = _UPPER_FIRST.get(word)
    if first is None and "-" in word:
        first = _UPPER_FIRST.get(word.partition("-")[0])
    return first


def _line_in_capitals(text: str, pos: int, known: dict[int, bool] | None = None) -> bool:
    """Whether the line of ``text`` holding ``pos`` has no lower-case letter (a form, a shouted ticket).
    ``known`` (line start -> verdict) remembers each line's verdict for one text, so that many names on one
    long line cost one pass over it, not one each."""
    start = text.rfind("\n", 0, pos) + 1
    if known is not None and start in known:
        return known[start]
    end = text.find("\n", pos)
    line = text[start:end if end >= 0 else len(text)]
    verdict = line == line.upper()
    if known is not None:
        known[start] = verdict
    return verdict


def _caps_name_candidates(
    text: str, upper: list[str], strong: bool, cued: set[int] | None = None
) -> list[re.Match[str]]:
    """The :data:`_UPPER_WORD` matches, in order, that :meth:`PiiRedactor._caps_persons` can make a name of
    (and maybe a few more): every known given name among ``upper`` (``text``'s :func:`_upper_runs`) and,
    when ``strong``, every word right after something a :data:`_STRONG_CUE` may end with (the first letter of
    a word in capitals is a capital, so :data:`_CUED_WORD_REVERSED` finds it as it finds a capitalised word).

    Hand-written for throughput, as :func:`_name_candidates` is: any other word in capitals is never a name,
    and a text with a sign-off and an order id "ORD-..." would otherwise have every one of its runs of
    capitals looked at (test_fast_paths compares the names found both ways).
    """
    starts: set[int] = set()
    for name in _UPPER_FIRST.keys() & set(upper):
        i = text.find(name)
        while i >= 0:
            starts.add(i)
            i = text.find(name, i + 1)
    if strong:
        starts.update(_cued_starts(text) if cued is None else cued)
    words = []
    for start in sorted(starts):
        m = _UPPER_WORD.match(text, start)
        if m is not None:
            words.append(m)
    return words


def _upper_runs(text: str, shape: bytes | None = None) -> list[str]:
    """``_UPPER_RUN.findall(text)``: every run of two capitals or more. ``shape`` is :func:`_digit_shape` of
    ``text`` when the caller has it.

    Hand-written for throughput: on ASCII text the runs are those of "A" in the shape, found by a pattern
    with a literal lead after a substring test for "AA" (most texts have none), instead of a character class
    tried at every position of the text (test_fast_paths compares the two).
    """
    if shape is None:
        shape = _digit_shape(text)
        if shape is None:
            return _UPPER_RUN.findall(text)
    if b"AA" not in shape:
        return []
    return [text[m.start():m.end()] for m in _UPPER_RUN_SHAPE.finditer(shape)]


def _cued_starts(text: str) -> set[int]:
    """Where a word may start right after something a :data:`_STRONG_CUE` may end with: the first capital of
    every such word (:data:`_CUED_WORD_REVERSED`, searched in the reversed text). Shared by the names written
    capitalised and those in capitals, so a text is searched once."""
    last = len(text) - 1
    return {last - m.start() for m in _CUED_WORD_REVERSED.finditer(text[::-1])}


def _initial_candidates(text: str, cued: set[int] | None) -> list[int]:
    """Where initials may open a name (:meth:`PiiRedactor._initialled_name_end`): ``cued``, the
    :func:`_cued_starts` of ``text`` (computed when None), in order. Initials start with a capital, so a
    capital right after a strong cue is where they start when they do."""
    return sorted(_cued_starts(text) if cued is None else cued)


def _name_candidates(text: str, caps: list[str], strong: bool, cued: set[int] | None = None) -> list[tuple[int, str]]:
    """The capitalised words (:data:`_CAPITALISED` matches, as (start, word)) that :meth:`PiiRedactor._persons`
    can make a name of, and maybe a few more: every known given name (a whole :data:`_CAP_TOKEN` token, so ``caps`` holds it) and, when
    ``strong``, every word right after something a :data:`_STRONG_CUE` may end with (spaces aside).

    A word that is neither is never a name (only a strong cue makes one of a word that is not a given name),
    so leaving it out changes nothing. Hand-written for throughput: looking at every capitalised word cost
    ~30 us a text with a sign-off; this is a few ``str.find`` calls and one search of the reversed text
    (test_fast_paths compares the names found both ways). A word starts at a _CAPITALISED match: a start
    kept here where none matches is dropped.
    """
    starts: set[int] = set()
    for name in _ALL_FIRST.intersection(caps):
        # A name has one capital, its first letter, so two occurrences never overlap, and every one starts a
        # token; it is the whole token when no lower-case letter follows.
        size = len(name)
        i = text.find(name)
        while i >= 0:
            end = i + size
            if text[end:end + 1] not in _TOKEN_LOWER:
                starts.add(i)
            i = text.find(name, end)
    if strong:
        starts.update(_cued_starts(text) if cued is None else cued)
    words = []
    for start in sorted(starts):
        m = _CAPITALISED.match(text, start)
        if m is not None:
            words.append((start, m.group()))
    return words


def _a_date_not_a_name(text: str, word: str, end: int) -> bool:
    """Whether ``word`` (a given name, capitalised as the name lists spell it), ending at ``end``, is a month
    before a day or a year: "Please refund me by June 30.", "from April 1st", "BY JAN 31" are dates; "Hi
    June, ..." and "June Carter called" are names."""
    return word in _MONTH_NAMES and _DAY_OR_YEAR_NEXT.match(text, end) is not None


def _a_verb_not_a_name(text: str, word: str, end: int) -> bool:
    """Whether ``word`` (a given name, capitalised as the name lists spell it), ending at ``end``, is a modal
    verb asking a question: "Will" or "May" right before a pronoun or a determiner ("hi Will the thermostat
    work?", "hello May I ask"). The caller leaves a name after a strong cue alone."""
    return word in _MODAL_NAMES and _PRONOUN_OR_DETERMINER_NEXT.match(text, end) is not None


def _weak_cue_names(word: str, cue: re.Match[str] | None) -> bool:
    """Whether the :data:`_WEAK_CUE` match ``cue`` before the given name ``word`` (capitalised as the name
    lists spell it) makes it a name: any weak cue does, except one said of companies too before a brand
    ("an email from Chase", "CALL DELL"; "Hi Chase," is a name)."""
    if cue is None:
        return False
    return word not in BRAND_FIRST_NAMES or cue.group().lower().rstrip(" ,:") not in _COMPANY_WEAK_CUES


def _may_end_with_strong_cue(tail: str, plain: bool) -> bool:
    """False only when ``tail`` (the window before a word, trailing spaces stripped) cannot end in a
    :data:`_STRONG_CUE`: a sign-off line, a title, "name is", "name's", "dear" or "name:"."""
    if not plain or tail.endswith("\n") or tail.endswith(_TITLE_ENDINGS):
        return True
    return tail[-7:].lower().endswith(_STRONG_CUE_ENDINGS)


def _may_end_with_weak_cue(tail: str, plain: bool) -> bool:
    """False only when ``tail`` (the window before a word, trailing spaces stripped) cannot end in a
    :data:`_WEAK_CUE`; ``plain`` says that lower() agrees with re.IGNORECASE on this text."""
    if not plain:
        return True
    return tail.removesuffix(",").lower().endswith(_WEAK_CUE_WORDS)


def _valid_phones(candidate: str, region: str) -> list[tuple[int, int, str]]:
    """(start, end, E.164) of every number libphonenumber accepts as VALID in ``candidate`` for ``region``.

    A toll-free or shared-cost line ("1-800-275-2273") is kept: it is a business's and no person's, but a
    redacted hotline costs the training data little, and the labelled set counts a store's number as a phone."""
    return [
        (pm.start, pm.end, phonenumbers.format_number(pm.number, PhoneNumberFormat.E164))
        for pm in PhoneNumberMatcher(candidate, region, leniency=Leniency.VALID)
    ]


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) checksum used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


#: A label of a shipment's, an order's or a booking's number, right before a number: "Spedizione ", "AWB: ",
#: "tracking no. ", "Sendungsnummer ", "order #".
_NOT_CARD_LABEL = re.compile(
    r"(?i:\b(?:tracking|track(?:ing)?[ ]?(?:id|code)|shipment|spedizione|awb|waybill|consignment|parcel|sendung"
    r"(?:snummer)?|envío|envio|colis|pedido|order|bestellung|commande|ordine|invoice|factura|rechnung|booking"
    r"|kifurushi|paket|zending|przesyłka|przesylka|kargo|gönderi|отправлени[ея]|посылк[аи]|заказ)"
    r"(?:[ ]?(?:no\.?|nr\.?|number|num\.?|id|code|n°|nº|#|numero|número|nummer|namba|numarası|№))?"
    r"[ ]?[:#]?[ ]?)$"
)
#: A word of a payment card on the line, which a shipment's label does not outweigh.
_CARD_WORD = re.compile(
    r"(?i:\b(?:card|carta|tarjeta|karte|carte|cartão|cartao|kart[ıi]?|karta|карт[аыу]|visa|master[ ]?card|amex"
    r"|american[ ]express|discover|maestro|mir|cvv|cvc|exp(?:iry|ires)?|pan)\b)"
)


def _line_end(text: str, pos: int) -> int:
    """Where the line holding ``pos`` ends."""
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def _card_issuer_known(digits: str) -> bool:
    """True when the prefix and length belong to a card network (Visa, Mastercard, Amex, Discover, JCB,
    Diners, UnionPay, Maestro, Mir, Troy): a Luhn-valid order number passes the checksum one time in
    ten, not this."""
    n = len(digits)
    p2, p4, p6 = int(digits[:2]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4":
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16
    if p2 in (34, 37):
        return n == 15
    if p4 == 6011 or p2 == 65 or 644 <= int(digits[:3]) <= 649 or 622126 <= p6 <= 622925:
        return 16 <= n <= 19
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19
    if p2 in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:
        return 14 <= n <= 19
    if p2 == 62:
        return 16 <= n <= 19
    if p2 == 50 or 56 <= p2 <= 69:
        return 12 <= n <= 19
    if 2200 <= p4 <= 2204:  # Mir (Russia)
        return 16 <= n <= 19
    if p4 == 9792:  # Troy (Turkey)
        return n == 16
    return False


#: A phone cue that ends right before a number on its line ("móvil 619107545", "call me on ", "Callback: ", "M: ",
#: "upd ph to "): what makes a national number of a region the redactor was not configured for a phone.
_PHONE_CUE_BEFORE = re.compile(
    r"(?:(?i:\b(?:call(?:[ ]me)?(?:[ ](?:back))?(?:[ ](?:on|at))?|phone(?:[ ]number)?|tel|telephone|mobile|cell|callback"
    r"|whatsapp|sms|text(?:[ ]me)?(?:[ ]on)?|ph|mob|móvil|movil|cellulare|cellulaire|portable|handy|telefon|teléfono"
    r"|telefono|telefoon|numero|número|nummer|(?:my|new|contact|phone|mobile|cell)[ ]number|contact|contacto|cb|sđt"
    r"|i'?m[ ]on|reach[ ]me[ ](?:on|at)|llámame[ ]al|llamen[ ]al|ligar[ ]no|ligue[ ]para|appelez[ ]le|joignable[ ]au"
    r"|cel|celular|nomor(?:[ ](?:hp|telepon|wa))?|no\.?[ ]hp|hp|mera[ ](?:number|no)|(?:my|mobile)[ ]no|telefone|contato"
    r"|upi(?:[ ]to)?|τηλ\.?|τηλέφωνο|κινητό"
    # more languages' words for a phone, a mobile or calling ("jeho mobil", "Telefon do niego:", "Звоните ...", "Kalemni")
    r"|mobil|mobilní|mobiel|gsm|tlf\.?|puhelin|sími|komórka|kom\.|numer(?:[ ]telefonu)?|telefon(?:[ ]do[ ]\w+)?"
    r"|telefone|fone|cep|numarası|numaram|телефон|тел\.?|моб\.?|мобильный|мобільний|звоните|позвоните|дзвоніть"
    r"|kalemni|call[ ](?:him|her|them|us)(?:[ ](?:on|at))?|his[ ](?:mobile|number|cell)|her[ ](?:mobile|number|cell)"
    r"|số[ ]điện[ ]thoại|điện[ ]thoại|telp|no\.?[ ]wa|wa|namba|simu|επικοινωνία(?:[ ]\w+)?"
    # calling, texting and paying a number in more languages ("tlm 918 ...", "o telemóvel dele é ...", "Ring meg på
    # ...", "escribís al ...", "volejte na ...", "kabarin ke ...", "καλέστε με στο ...", "GCash ko ...", "mpesa to ...")
    r"|tlm|telemóvel(?:[ ]del[ea])?|ring(?:[ ](?:meg|mig|mej|oss|gerne|gärna|venligst|bare|endelig))+[ ]på"
    # "Ring til mig på ...", "Ring til Karoline Friis på ...": Danish "ring til", a name or a pronoun, then "på"
    r"|ring[ ]til(?:[ ](?:mig|meg|os|oss|ham|hende|dem|henne|[" + _UP + r"][" + _LO + r"]+)){1,3}[ ]på"
    r"|sms[ ]till?|soita(?:[ ]minulle)?(?:[ ]numeroon)?"
    r"|(?:volejte|zavolejte|pište)(?:[ ]na)?|zadzwoń(?:[ ]pod)?|(?:pod[ ])?numerem|(?:llámame|llamáis|llámanos|escríbeme|escribís|escribe)"
    r"(?:[ ]o[ ]escribís)?[ ]al|kabarin(?:[ ]ke)?|hubungi(?:[ ]ke)?|καλέστε(?:[ ]με)?(?:[ ]στο)?|τηλ\.?[ ]παραλήπτη"
    r"|gcash(?:[ ]ko)?|m-?pesa(?:[ ]to)?|paynow(?:-ed)?)\b"
    r"(?:[ ](?:to|is|es|é|est|ist|:)(?:[ ](?:el|le|la|o|the))?)?)|(?m:^M)"
    # Korean, Japanese, Chinese and Arabic words for a phone or a contact number, glued to it or not
    r"|연락처(?:는)?|전화(?:번호)?(?:는)?|휴대폰(?:번호)?(?:는)?|電話(?:番号)?(?:は)?|携帯(?:番号)?(?:は)?|电话|手机(?:号)?"
    r"|الجوال|جوال|الهاتف|هاتف|رقم(?:[ ]الموبايل|[ ]الجوال|[ ]الهاتف|[ ]موبايلي|[ ]تليفوني)?|موبايلي|للاستفسار"
    r"|मोबाइल(?:[ ]नंबर)?|फ़ोन|फोन|ফোন|문의|핸드폰|טלפון|נייד|ל)"
    # a name between the cue and the number ("Contacto do técnico: Rui, 912 458 731")
    r"[ ]?\.?[:：.#]?[ \t]{0,2}[\"']?(?:[" + _UP + r"][" + _LO + r"]+,[ ])?-?\Z"
)
_DIGIT_ONLY = re.compile(r"\D")


#: What follows a chat export's sender: a colon and a space ("[14/03/2025, 10:02] +44 7700 900334: Hi").
_SENDER_AFTER = re.compile(r"[ ]?:[ ]")


def _possible_number(international: str) -> bool:
    """Whether libphonenumber finds ``international`` ("+44 7700 900334") a possible number: a known country code
    and a length its plan allows."""
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(international.strip(), None))
    except phonenumbers.NumberParseException:
        return False


#: A number in international form without its "+", as switches, SMS gateways and provisioning systems log it:
#: after a key that holds a phone ('"msisdn":"819000177813"', "ani=2349051744719", "to=639056214932",
#: 'callerid="Obiageli Akinwande" <2348073141384>') or as a message's sender ("From 254745092759: hi ...").
_MACHINE_PHONE = re.compile(
    r"(?i:(?<![\w-])(?P<key>msisdn|ani|cli|callerid|caller_id|caller|calling_number|called_number|from_number|to_number"
    r"|to|from|sender|recipient|dest(?:ination)?|src|phone|mobile)[\"']?[ ]?[:=][ ]?[\"']?"
    r"(?:\"(?P<display>[^\"\n]{1,60})\"[ ]?)?<?|(?m:^)(?:from|de|von)[ ])"
    r"(?P<number>\+?\d{10,15})(?=[\"'>\s,;})]|:[ ]|$)"
)


def _machine_phones(text: str) -> list[PiiMatch]:
    """The numbers of :data:`_MACHINE_PHONE` that libphonenumber finds valid read with a "+" (a leading "00" read
    as one): a country code and a number its plan assigns, so an IMSI, an IMEI or an account number is left.
    After a key that only ever holds a phone (an MSISDN, a caller's line) a possible number is enough: a plan
    newer than the library's metadata, a range kept for tests."""
    out = []
    for m in _MACHINE_PHONE.finditer(text):
        digits = m.group("number").lstrip("+")
        dialled = "+" + (digits[2:] if digits.startswith("00") else digits)
        try:
            number = phonenumbers.parse(dialled, None)
        except phonenumbers.NumberParseException:
            continue
        key = (m.group("key") or "").lower()
        if phonenumbers.is_valid_number(number) or (key in _PHONE_ONLY_KEYS and phonenumbers.is_possible_number(number)):
            e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
            out.append(PiiMatch("PHONE", m.start("number"), m.end("number"), m.group("number"), e164))
            display = m.group("display")
            if (
                display and key in _PHONE_ONLY_KEYS and _DISPLAY_NAME.fullmatch(display)
                and not any((w in NOT_NAMES and w not in _ALL_FIRST) or w in _NOT_GREETED for w in display.split())
            ):
                # the caller's name a switch logs with the line ('callerid="Obiageli Akinwande" <234...>')
                out.append(PiiMatch("PERSON", m.start("display"), m.end("display"), display, display.casefold()))
    return out


#: A caller's name as a switch logs it: two to four capitalised words.
_DISPLAY_NAME = re.compile(r"[" + _UP + r"][" + _LO + r"'’-]+(?:[ ][" + _UP + r"][" + _LO + r"'’-]+){1,3}")


#: Keys of :data:`_MACHINE_PHONE` that hold nothing but a phone number.
_PHONE_ONLY_KEYS = frozenset(("msisdn", "ani", "cli", "callerid", "caller_id", "calling_number", "called_number"))
#: The keys of :data:`_MACHINE_PHONE`, in lower-cased text (its gate, with ten digits or more).
_MACHINE_PHONE_NEEDLES = ("msisdn", "ani=", "cli=", "caller", "to=", "from", "sender", "recipient", "dest", "src",
                          "phone", "mobile", "\nde ", "\nvon ", "calling_number", "called_number")


#: Mobile numbers in a layout that only one country writes, with that country: libphonenumber then decides for it.
_REGION_SHAPES = (
    (re.compile(r"01[016789]-\d{3,4}-\d{4}"), "KR"),  # 010-7342-8816
    (re.compile(r"1[3-9]\d{9}"), "CN"),  # 13761248830
    (re.compile(r"\(\d{2}\)[ ]?9\d{4}-\d{4}"), "BR"),  # (21) 99834-5172
    (re.compile(r"[6-9]\d{4}[ ]\d{5}"), "IN"),  # 98201 47365
    (re.compile(r"05\d-\d{7}"), "IL"),  # 054-6127738
    (re.compile(r"01[0125][ ]?\d{4}[ ]?\d{4}"), "EG"),  # 010 2847 6193
)


def _region_of_shape(cand: str) -> str | None:
    """The country whose mobile numbers alone are written like ``cand``, if any (:data:`_REGION_SHAPES`)."""
    for pattern, region in _REGION_SHAPES:
        if pattern.fullmatch(cand):
            return region
    return None


def _cued_national_number(text: str, start: int, cand: str) -> bool:
    """Whether ``cand`` (at ``start``), no valid number of the configured regions, is a phone all the same: 9 to 13
    digits right after a phone cue on the same line (:data:`_PHONE_CUE_BEFORE`), not after an id's word."""
    n_digits = sum(c.isdigit() for c in cand)
    # eight digits in groups too ("Tel: 9183 4472", "Mobil: 928 44 170"): Hong Kong, Singapore, the Nordics, the Gulf
    if not (9 <= n_digits <= 13 or (n_digits == 8 and not cand.isdigit())):
        # eight digits written together only right after a word of calling ("Ring gerne på 14467780", "tlf 91234567",
        # "texted 86453818"), never after a word that may name any number ("nummer", "contact")
        return n_digits == 8 and cand.isdigit() and _bare_eight_digit_phone(text, start, cand)
    line_start = text.rfind("\n", max(0, start - 30), start) + 1
    window_start = max(line_start, start - 30)
    return (
        _PHONE_CUE_BEFORE.search(text, window_start, start) is not None
        and _ID_CUE.search(text, window_start, start) is None
    )


#: A word of calling or a phone's own word right before eight digits written together ("Ring gerne på 14467780",
#: "tlf.: 91234567", "mobil 20123456", "call me on 81234567"): the national numbers of Norway and Denmark (and of
#: Singapore, Hong Kong), which a word that may name any number ("nummer", "number", "contact") does not make one.
_EIGHT_DIGIT_PHONE_CUE = re.compile(
    r"(?i:\b(?:ring(?:[ ](?:meg|mig|mej|oss|os|gerne|gärna|venligst|bare|endelig|til|[" + _UP + r"][" + _LO + r"]+)){0,4}[ ]på"
    r"|tlf|tel|telefon|telephone|phone|mobil|mobile|mob|cell|handy|sms|whatsapp"
    r"|call(?:[ ](?:me|him|her|us|them))?(?:[ ](?:on|at))?|text(?:[ ]me)?(?:[ ](?:on|at))?)\b)"
    r"[ ]?\.?[ ]?(?:nr\.?[ ]?|no\.?[ ]?)?:?[ ]?\Z"
)


def _bare_eight_digit_phone(text: str, start: int, cand: str) -> bool:
    """Whether eight digits written together at ``start`` are a phone: a calling word right before them on their
    line (:data:`_EIGHT_DIGIT_PHONE_CUE`), no id's word, and no shape of a date ("20241231") or a run of one digit."""
    if cand[0] == "0" or len(set(cand)) == 1:
        return False
    if cand[:2] in ("19", "20") and "01" <= cand[4:6] <= "12" and "01" <= cand[6:] <= "31":
        return False  # a date written yyyymmdd
    line_start = text.rfind("\n", max(0, start - 30), start) + 1
    window_start = max(line_start, start - 30)
    return (
        _EIGHT_DIGIT_PHONE_CUE.search(text, window_start, start) is not None
        and _ID_CUE.search(text, window_start, start) is None
    )


def _phone_word_before(text: str, start: int) -> bool:
    """A phone's word earlier on the line, up to 40 characters before ``start`` ("Telefon příjemce: +420 ...",
    "WhatsApp (after 6pm) +234 ..."): enough for a number written with its country code."""
    line_start = text.rfind("\n", max(0, start - 40), start) + 1
    window = text[max(line_start, start - 40):start].lower()
    return _PHONE_CUE.search(window) is not None and _ID_CUE.search(window) is None


def _phone_shaped(text: str, start: int, cand: str, international: bool) -> bool:
    """Cheap checks that keep ids, dates, decimals, ranges and table columns away from libphonenumber.

    A national number needs 8+ digits and one kind of separator ("252.227-7013" is a clause, "0.757 21.98"
    two decimals); a bare digit run needs a phone cue ("call", "mobile", "number", "Tél") just before it
    unless it is a mobile number typed without spaces (:data:`_BARE_MOBILE`); a "/" only parts an area code
    that starts with "0" from the number ("040/24058012"); anything introduced as an id ("order", "ticket",
    "ISBN") is an id.
    """
    n_digits = _count_digits(cand) if cand.isascii() else sum(c.isdigit() for c in cand)
    if (
        n_digits < 7 or "  " in cand or _DATE_FULL.match(cand) or _DATE_START.match(cand) or _NOT_PHONE.match(cand)
        or _DATE_SPACED.match(cand)
    ):
        return False
    if international:
        return True
    before = max(0, start - 30)
    if n_digits < 8 or ("." in cand and "-" in cand) or _ID_CUE.search(text, before, start):
        return False
    if "." in cand and any(len(g) == 1 for g in _GROUP.findall(cand)):
        return False
    if cand.isdigit() and not _PHONE_CUE.search(text, before, start) and not _BARE_MOBILE.fullmatch(cand):
        return False
    if len(cand) == 9 and cand[5] == "-" and _count_digits(cand) == 8 and not _PHONE_CUE.search(text, before, start):
        return False  # a Brazilian postcode ("São Paulo - SP, 05435-001"), which German numbering reads as a number
    if "/" in cand and (cand.count("/") > 1 or not cand.startswith("0")):
        return False  # "040/24058012": an area code with its trunk "0", then the number; not "2024/000123"
    return True


#: A delimiter glued to a digit on one side ("…,2024-01-01", "6620,x"): the gate of PiiRedactor._delimited_cells.
#: Written as the delimiter first and look-arounds (test_fast_paths compares it with "\d[,;|\t]|[,;|\t][+(]?\d"): a
#: pattern led by a class of four characters skips to them, one led by \d tries every position (4x slower).
_GLUED_CELL = re.compile(r"[,;|\t](?:(?<=\d[,;|\t])|(?=[+(]?\d))")
#: What a cell holding only a phone number, SSN or card number looks like.
_CELL_SHAPE = re.compile(r"(?:\+|00)?[\d(][\d ().\-/]*\d")
_LINE = re.compile(r"[^\n]+")
#: Mobile numbers as they are typed without spaces, which no id looks like: UK "07...", French "06"/"07",
#: German "015x"-"017x". A bare run of other digits needs a phone cue.
_BARE_MOBILE = re.compile(r"07\d{9}|0[67]\d{8}|01[5-7]\d{8,9}")


def _card_grouping(run: str, groups: list[tuple[int, int]]) -> bool:
    """True when separated digit groups are laid out as cards print them: 4-4-4-4(-3), 4-6-5 or 4-6-4.
    Phone numbers ("49 151 58830872") and other grouped numbers are laid out differently."""
    lengths = [end - start for start, end in groups]
    if lengths[0] != 4:
        return False
    return (all(n == 4 for n in lengths[1:-1]) and 1 <= lengths[-1] <= 4) or lengths[1:] in ([6, 5], [6, 4])


def iban_valid(iban: str) -> bool:
    """True when ``iban`` (spaces allowed) has its country's length and passes the ISO 13616 mod-97 check."""
    compact = iban.replace(" ", "").upper()
    if len(compact) < 5 or _IBAN_LENGTH.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """True when the parts follow SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000;
    and not one of the SSA's publicly voided numbers (078-05-1120, 219-09-9999)."""
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return (area, group, serial) not in (("078", "05", "1120"), ("219", "09", "9999"))


def _mask(value: str) -> str:
    """Shape of a value without the value: "j***m (15 chars)"."""
    if len(value) <= 2:
        return f"** ({len(value)} chars)"
    return f"{value[0]}***{value[-1]} ({len(value)} chars)"


class PiiRedactor:
    """Finds PII in text and replaces it with typed placeholders.

    ``types`` selects the detectors (default: all of ``config.PII_TYPES``); ``phone_regions`` are tried in
    order for numbers written without a country code (numbers with ``+`` or ``00`` need none).
    """

    def __init__(self, types: Iterable[str] = PII_TYPES, phone_regions: Sequence[str] = ("US", "GB", "DE", "FR")):
        self.types = frozenset(types)
        unknown = sorted(self.types - set(PII_TYPES))
        if unknown:
            raise ValueError(f"PiiRedactor got unknown PII types {unknown}; choose from {list(PII_TYPES)}.")
        bad = [r for r in phone_regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if bad:
            raise ValueError(f"PiiRedactor got unknown phone regions {bad}; use ISO 3166 alpha-2 codes like 'US'.")
        self.phone_regions = tuple(phone_regions)

    @classmethod
    def from_settings(cls, settings: CurationSettings) -> "PiiRedactor":
        return cls(types=settings.pii_types, phone_regions=settings.phone_regions)

    # --- detection ------------------------------------------------------------------------------------------
    def find(self, text: str) -> list[PiiMatch]:
        """All PII spans in ``text``, non-overlapping and sorted by position; placeholders are never matched."""
        return self._find(text, None)

    def _find(self, text: str, phone_memo: dict[tuple[str, str], list[tuple[int, int, str]]] | None) -> list[PiiMatch]:
        """:meth:`find`, with libphonenumber's verdicts memoised in ``phone_memo`` when one is given."""
        return self._scan(text, phone_memo)[0]

    def _scan(
        self, text: str, phone_memo: dict[tuple[str, str], list[tuple[int, int, str]]] | None
    ) -> tuple[list[PiiMatch], bool]:
        """:meth:`find`'s matches, and whether every detector's gate stayed shut ("blank" text).

        Each detector runs only when the text holds what every one of its matches needs (an "@", enough
        digits, three dots, a street suffix, a known given name or a name cue): the gates are substring
        tests, counts and one pass over the capitalised words, so the expensive patterns and validators
        only see the few texts that can hold their kind of PII. The gates only skip work, never change a
        result. Each gate can only open wider on a longer text, so whole lines of a blank text are blank
        (the digit gates of an ASCII line of a non-ASCII text agree with the parent's patterns, and the
        card and IPv4 shape gates stay open on non-ASCII text).
        """
        if not text:
            return [], True
        original = text
        if not text.isascii():
            # "4111–1111–1111–1111", "415–555–2671": word processors make the dash between digit groups an en
            # dash; every detector reads it as the "-" it stands for (one character for one: spans hold).
            text = text.translate(_DASHES)
        types = self.types
        found: list[PiiMatch] = []
        shut = True
        if "@" in text:
            if "CREDENTIALS" in types and "://" in text:
                found += self._credentials(text)
                shut = False
            if "EMAIL" in types:
                found += self._emails(text)
                shut = False
        if "EMAIL" in types and ("dot" in text or "DOT" in text or "(at)" in text or "[at]" in text) and _SPOKEN_EMAIL.search(text):
            found += self._spoken_emails(text)
            shut = False
        # Only the name, address and secret gates read the lower-cased text and the capitalised words.
        words_needed = "PERSON" in types or "ADDRESS" in types
        low = text.lower() if words_needed or "CREDENTIALS" in types else ""
        h = _needles_in(low) if low else _NO_NEEDLES  # which strings of the gates below the text holds
        # the needles of the rarer detectors, tested once (most texts hold none of them)
        rare = h if not h.isdisjoint(_RARE_NEEDLES) else _NO_NEEDLES
        if "EMAIL" in types:
            spoken = low or text.lower()  # read in any case: "TYLER UNDERSCORE B ... AT GMAIL DOT COM"
            if " dot " in spoken and " at " in spoken:
                found += self._spoken_word_emails(text)
                shut = False
        if "CREDENTIALS" in types and (
            _may_hold_secret(low, h) or not rare.isdisjoint(_FOREIGN_SECRET_NEEDLES) or not _lower_is_ignorecase(text)
        ):
            found += self._secrets(text)
            shut = False
        if "CREDENTIALS" in types:
            shaped = _password_shaped(text)
            if shaped:  # a word of its own: a line of a text where none is found holds none
                found += shaped
                shut = False
        if "CREDENTIALS" in types and not h.isdisjoint(_LOOSE_PASSWORD_NEEDLES):
            loose = _loose_passwords(text, h.intersection(_LOOSE_PASSWORD_NEEDLES))
            if loose:  # a word and its value are on one line: a text where none is found has no line with one
                found += loose
                shut = False
        if "\n" in text and ("CREDENTIALS" in types or "PHONE" in types):
            security = "CREDENTIALS" in types and not h.isdisjoint(_SECURITY_QUESTION_NEEDLES)
            codes = "CREDENTIALS" in types and not h.isdisjoint(_CODE_NEEDLES)
            phones = "PHONE" in types and ("?" in text or "？" in text) and not h.isdisjoint(_PHONE_QUESTION_NEEDLES)
            if security or codes or phones:
                answers = _answered_questions(text, low, security, codes, phones)
                if answers:  # a question and its answer are on two lines: a text where none is found has no such pair
                    found += answers
                    shut = False
        if "CREDENTIALS" in types and not h.isdisjoint(_CODE_NEEDLES):
            codes = self._numeric_codes(text, h.intersection(_CODE_NEEDLES))
            if codes:  # a code word and its digits are on one line: a text where none is found has no line with one
                found += codes
                shut = False
        caps = _CAP_TOKEN.findall(text) if words_needed else []
        shape = _digit_shape(text)
        if "CREDENTIALS" in types and (
            (b"a0A" in shape or b"A0a" in shape) if shape is not None else _MIXED_DIGIT.search(text)
        ):
            tokens = _random_tokens(text)
            if tokens:  # a word of its own: a line of a text where none is found holds none
                found += tokens
                shut = False
        upper = (_upper_runs(text, shape) if shape is not None else _UPPER_RUN.findall(text)) if words_needed else []
        n_digits = shape.count(b"0") if shape is not None else len(_DIGIT.findall(text))
        if n_digits:
            if "IBAN" in types and (_iban_shaped(shape) if shape is not None else _IBAN_GATE.search(text)):
                found += self._ibans(text)
                shut = False
            if n_digits >= 13 and "CREDIT_CARD" in types and (shape is None or _CARD_SHAPE_GATE.search(shape)):
                found += self._cards(text)
                shut = False
            if (
                n_digits >= 9
                and "US_SSN" in types
                and (_SSN_SHAPE_GATE.search(shape) if shape is not None else _SSN_GATE.search(text))
            ):
                found += self._ssns(text)
                shut = False
            if (
                n_digits >= 4
                and "IP_ADDRESS" in types
                and text.count(".") >= 3
                and (shape is None or _IPV4_SHAPE_GATE.search(shape))
            ):
                found += self._ipv4s(text)
                shut = False
        if "IP_ADDRESS" in types and ("::" in text or text.count(":") >= 5):
            found += self._ipv6s(text)
            shut = False
        if n_digits >= 7 and _GLUED_CELL.search(text) and not self._cell_types.isdisjoint(types):
            # a delimited row's cells ("7,Ana,342-18-6620,+44 7911 123456,2024-01-01"): the patterns above keep
            # away from a "," glued to digits (thousands, decimals), so each cell is read on its own
            cells = self._delimited_cells(text, phone_memo)
            if cells:
                found += cells
                shut = False
        if (
            n_digits >= 7
            and "PHONE" in types
            and (_PHONE_SHAPE_GATE.search(shape) if shape is not None else _PHONE_GATE.search(text))
        ):
            # Every type found so far outranks PHONE, and _resolve_overlaps keeps the winners among them
            # whatever comes later: a candidate inside one of those (a card number) can never be kept.
            found += self._phones(text, phone_memo, _resolve_overlaps(found))
            shut = False
        if n_digits >= 10 and "PHONE" in types:
            keyed_low = low or text.lower()
            if any(needle in keyed_low for needle in _MACHINE_PHONE_NEEDLES) and (machine := _machine_phones(text)):
                found += [m for m in machine if m.type in types]  # a line of a text where none is found holds none
                shut = False
        if ("PHONE" in types or "CREDIT_CARD" in types or "CREDENTIALS" in types or "US_SSN" in types) and (
            _may_hold_spoken_number(low, h) if low else _may_hold_spoken_number(text.lower())
        ):
            found += self._spoken_numbers(text)
            shut = False
        if ("PHONE" in types or "CREDENTIALS" in types) and len(rare.intersection(_FOREIGN_DIGIT_NEEDLES)) >= 2:
            spoken = self._foreign_spoken_numbers(text)
            if spoken:  # a run and its cue are on one line or two: a text where none is found has no line with one
                found += spoken
                shut = False
        if "PHONE" in types and not rare.isdisjoint(_ZH_PHONE_NEEDLES) and not text.isascii():
            spoken = self._chinese_spoken_numbers(text)
            if spoken:  # a run and its cue are on one line or two: a text where none is found has no line with one
                found += spoken
                shut = False
        if n_digits >= 4 and "CREDENTIALS" in types and "use " in low:
            used = _use_codes(text)
            if used:  # a code and its use are on one line: a text where none is found has no line with one
                found += used
                shut = False
        if n_digits and "ADDRESS" in types:
            patterns = _address_patterns(text, low, caps, upper, shape, h)
            if patterns:
                found += self._addresses(text, patterns)
                shut = False
            scripted = script_addresses.addresses(text)
            if scripted:  # within one line: a text where none is found has no line with one
                found += [_address_match(text, start, end) for start, end in scripted]
                shut = False
            gates = _address_cue_gates(text, low, h)
            if gates is not None:
                found += self._cued_addresses(text, low, gates, h)
                shut = False
        # HL7 segments and PNR names are read line by line: a text where they find nothing has no line that does.
        if ("PERSON" in types or "ADDRESS" in types) and "|" in text and "^" in text:
            segments = self._hl7(text)
            if segments:
                found += segments
                shut = False
        if "PERSON" in types and upper and not _CLEAR_FIRST.isdisjoint(caps):
            registered = _caps_surname_given(text)
            if registered:  # a surname and a given name are on one line: a text where none is found has no line with one
                found += registered
                shut = False
        if (
            "PERSON" in types and upper and not h.isdisjoint(_TRANSFER_WORDS)
            and (shape is None or _TRANSFER_NAME_SHAPE.search(shape))
        ):
            transfers = _transfer_names(text)
            if transfers:  # a transfer's words and its payee are on one line
                found += transfers
                shut = False
        if "PERSON" in types and "/" in text and upper:
            passengers = self._passengers(text)
            if passengers:
                found += passengers
                shut = False
        if "ADDRESS" in types and not rare.isdisjoint(_SPOKEN_STREET_CUES):
            spoken_streets = self._spoken_streets(text, rare.intersection(_SPOKEN_STREET_CUES))
            if spoken_streets:  # a cue and its street are on one line: a text where none is found has no line with one
                found += spoken_streets
                shut = False
        # A table's cells: a text where none is found stays shut (a line of it holds no more of a table).
        if may_hold_table(text):
            cells = self._tables(text)
            if cells:
                found += cells
                shut = False
        if "PERSON" in types:
            if _may_hold_greeting(low, h):
                found += self._greeted(text)
                shut = False
            if "<" in text and "@" in text:
                found += self._senders(text)
                shut = False
            if _may_hold_field_label(text, low, h):
                found += self._fielded(text)
                shut = False
            if not text.isascii() and ("：" in text or ":" in text):
                script_named = self._script_fielded(text)
                if script_named:  # a line of a text where none is found holds none
                    found += script_named
                    shut = False
            if not text.isascii() and not rare.isdisjoint(_SCRIPT_INTRO_NEEDLES):
                intros = self._script_intros(text)
                if intros:  # one line at a time: a text where none is found has no line with one
                    found += intros
                    shut = False
            if (":" in text or "：" in text) and not rare.isdisjoint(_SPEAKER_ROLE_NEEDLES):
                role_named = self._role_named_speakers(text)
                if role_named:  # one line at a time: a text where none is found has no line with one
                    found += role_named
                    shut = False
            # two labelled lines at least (a line alone finds nothing): a text where it finds nothing stays shut
            if not text.isascii() and "\n" in text and ("：" in text or ":" in text or ", [" in text):
                script_speakers = self._script_speakers(text)
                if script_speakers:
                    found += script_speakers
                    shut = False
            if _may_hold_intro(low, h):
                found += self._introduced(text)
                shut = False
            if not rare.isdisjoint(_FOREIGN_GREETING_NEEDLES):
                greeted = self._foreign_greeted(text)
                if greeted:  # one line at a time: a text where none is found has no line with one
                    found += greeted
                    shut = False
            if not rare.isdisjoint(_ASKED_FOR_NEEDLES):
                asked = self._asked_for(text)
                if asked:  # a cue and its name are on one line: a text where none is found has no line with one
                    found += asked
                    shut = False
            if not h.isdisjoint(_BOOKED_FOR_NEEDLES):
                booked = self._booked_for(text)
                if booked:  # a cue and its name are on one line: a text where none is found has no line with one
                    found += booked
                    shut = False
            if not rare.isdisjoint(_LOWER_TITLE_NEEDLES):
                titled = self._lower_titled(text, rare.intersection(_LOWER_TITLE_NEEDLES))
                if titled:  # one line at a time: a text where none is found has no line with one
                    found += titled
                    shut = False
            if not text.isascii() and sign_offs.may_hold_sign_off(text, rare):
                # a name after a closing phrase of another script, or a name line ending the text: a text where none
                # is found may have whole lines that end with one, so it never counts as shut
                found += [PiiMatch("PERSON", a, b, text[a:b], text[a:b].casefold()) for a, b in sign_offs.sign_off_names(text, rare)]
                shut = False
            if not rare.isdisjoint(script_titles.NEEDLES):
                titled = script_titles.titled_names(text, rare, NOT_NAMES)
                if titled:  # a title and its name, a reminder and its addressee are on one line
                    found += [PiiMatch("PERSON", a, b, text[a:b], text[a:b].casefold()) for a, b in titled]
                    shut = False
            if not rare.isdisjoint(spoken_names.NEEDLES):
                spoken = spoken_names.spoken_names(text, low, rare, _FIRST_LOWER, NOT_LOWER_SURNAMES)
                if spoken:  # an intro on one line, a question and its answer on two: a text where none is found has none
                    found += [PiiMatch("PERSON", a, b, text[a:b], text[a:b].casefold()) for a, b in spoken]
                    shut = False
            if "\n" in text and ("?" in text or text == low) and _may_ask_for_a_name(low, h):
                answered = self._answered_names(text)
                if answered:
                    found += answered
                    shut = False
            if " here " in text:
                here = self._here_from(text)
                if here:
                    found += here
                    shut = False
            if (
                _may_hold_mention(low, h)
                or (_may_hold_more_mention(low, h) and _MENTION_CUE_MORE.search(text))
                or (_may_hold_role_cue(low, h) and _ROLE_CUE.search(text))
            ):
                found += self._mentioned(text)
                shut = False
            # These read one line at a time (a match never spans a line break; a closing name's blank line before
            # it is in every whole lines of the text that hold the name), so a text where they find nothing counts
            # as shut to them: its lines find nothing either.
            lower_given = _lower_given_names(text)
            closing = set(_CLOSING_NAMES.intersection(caps))
            closing.update(lower_given)
            line_local = (
                (self._dash_signed(text) if "-" in text else [])
                + (self._closing_names(text, closing) if closing else [])
                + (self._keyed(text) if _may_hold_keyed_name(text, low, h) else [])
                + (self._speakers(text) if ":" in text and n_digits >= 2 and _SPEAKER_GATE.search(text) else [])
            )
            # It needs two labelled lines (a line alone finds nothing): a text where it finds nothing stays shut.
            if "\n" in text and text.count(": ") >= 2:
                line_local += self._transcript_speakers(text)
            # a sign-off and its name are on one line or two: a text where it finds nothing has no line that does
            if not h.isdisjoint(_SIGN_OFF_PHRASES):
                line_local += self._signed_off(text)
            if line_local:
                found += line_local
                shut = False
            if "VCARD" in text:
                found += self._vcard(text)
                shut = False
            if ". " in text and (_DOUBLE_INITIALS_SHAPE.search(shape) if shape is not None else _DOUBLE_INITIALS.search(text)):
                initialled = self._double_initialled(text)
                if initialled:
                    found += initialled
                    shut = False
            if not _SURNAME_FIRST_GATE.isdisjoint(caps) or (upper and not _JAPANESE_SURNAMES_UPPER.isdisjoint(upper)):
                found += self._surname_first(text)
                shut = False
            # It gates itself (a known given name in lower case among the text's words); a text where it finds
            # nothing counts as shut to it: a line of that text holds no cue or line start the text lacks.
            lower_names = self._lower_case_names(text, lower_given)
            if lower_names:
                found += lower_names
                shut = False
            if text == low and _may_hold_transcript_name(low, h):
                found += self._transcript_names(text, low)
                shut = False
            gate = _person_gate(text, low, caps, h)
            cued = _cued_starts(text) if gate is not None and gate[0] else None
            if gate is not None:
                found += self._persons(text, *gate, caps=caps, cued=cued)
                shut = False
            # A name in capitals needs a strong cue, a same-line sign-off or a known given name among the runs
            # of capitals.
            strong = gate is not None and gate[0]
            sign_off_line = gate is not None and gate[3]
            if upper and (strong or sign_off_line or not _UPPER_FIRST.keys().isdisjoint(upper)):
                found += self._caps_persons(text, strong, upper, cued, sign_off_line)
                shut = False
        matches = _resolve_overlaps(found)
        if any(m.type == "PERSON" for m in matches):
            if _GLUED_NAME_CELL.search(text):
                surnames = _row_neighbour_names(text, matches)
                if surnames:
                    matches = _resolve_overlaps(matches + surnames)
            spelt = _spelt_names(text, matches) if low == text and _SPELT_GATE.search(text) else None
            if spelt:
                matches = _resolve_overlaps(matches + spelt)
            matches = _with_recurring_names(text, matches)
            matches = _without_products(text, matches, "the " in text or "The " in text)
            if not _HONORIFIC_SUFFIXES.isdisjoint(caps):
                matches = _without_honorifics(matches)
        if (
            "ADDRESS" in types
            and n_digits
            and "\n" in text
            # a block stands on an address found in the text or on a street word of STREET_NEEDLES
            and (not h.isdisjoint(STREET_NEEDLES) or any(m.type == "ADDRESS" for m in matches))
            and may_hold_block(text)
        ):
            # an address laid out as a block of lines: one span from its first line to its postcode (a text of
            # one line holds none, so a blank text's lines stay blank)
            blocked = _with_address_blocks(text, matches)
            if blocked is not matches:
                matches = blocked
                shut = False
        if "PERSON" in types and ("\n" in text or "—" in original or "–" in original) and any(
            m.type == "ADDRESS" for m in matches
        ):
            addressed = _addressees(text, matches, original)
            if addressed:  # a name line over an address found in the text: a shut text has no address
                matches = _resolve_overlaps(matches + addressed)
                shut = False
        if text is not original and text != original:  # each value as written
            matches = [replace(m, value=original[m.start:m.end]) for m in matches]
        return matches, shut

    def _credentials(self, text: str) -> list[PiiMatch]:
        out = []
        for m in _URL_WITH_USERINFO.finditer(text):
            # read by hand, not urlsplit: a "#" in the password would end the URL there for it
            value = m.group(1)
            user, colon, password = value.partition(":")
            if not colon or not password:
                continue  # a user without a password ("ftp://anonymous@...")
            start = m.start(1)
            if not user:  # "redis://:c3VwZXJz...@10.20.30.52": a password without a user
                start, value = start + 1, password
            out.append(PiiMatch("CREDENTIALS", start, start + len(value), value, value))
        return out

    def _secrets(self, text: str) -> list[PiiMatch]:
        """Passwords, API keys and tokens pasted into a ticket (type CREDENTIALS): a value after a keyword that
        looks like a secret (:data:`_SECRET_AFTER_KEYWORD`) and keys and tokens by their shape
        (:data:`_SECRET_SHAPES`). Only the secret is redacted: "my password is <CREDENTIALS_1>"."""
        out = [
            PiiMatch("CREDENTIALS", m.start(), m.end(), m.group(), m.group())
            for needles, pattern in _SECRET_SHAPES
            if any(needle in text for needle in needles)
            for m in pattern.finditer(text)
        ]
        if "AKIA" in text or "ASIA" in text:
            # an AWS access key's secret after its id ("AKIAQ4NRF7HZ2KD9V3LM / k9Vd2+Qm7XrT1bLw8..."): 40 characters
            for key in [m for m in out if m.value.startswith(("AKIA", "ASIA"))]:
                secret = _AWS_SECRET_AFTER_ID.match(text, key.end)
                if secret is not None:
                    out.append(PiiMatch("CREDENTIALS", secret.start(1), secret.end(1), secret.group(1), secret.group(1)))
        low = text.lower()
        h = _needles_in(low)  # (the text's own, kept from the gates: no second pass)
        plain = _lower_is_ignorecase(text)
        if not plain or not h.isdisjoint(_SECRET_KEYWORDS):
            keyword_matches = list(_SECRET_AFTER_KEYWORD.finditer(text))
        else:
            keyword_matches = []
        for needles, cased, pattern in _MORE_SECRET_GATES:
            if not plain or (not h.isdisjoint(needles) and (not cased or any(word in text for word in cased))):
                keyword_matches += pattern.finditer(text)
        for m in keyword_matches:
            value = m.group(1).rstrip(".,;:)]}")
            if value[:1] == "(" and value[1:].isalpha() and value[1:].isupper():
                continue  # "one-time passcode (OTP) with anyone": the word's abbreviation, no value
            keyword = text[m.start():m.start(1)].lower()
            spaced = _SPACED_CODE.match(text, m.start(1))
            if spaced is None and value[:1].isdigit() and len(value) < 4:
                spaced = _SPACED_DIGITS.match(text, m.start(1))  # "61 74 92", "0 4 7 7", "9-1-3-0": read out in groups
                if spaced is not None and not 4 <= _count_digits(spaced.group()) <= 8:
                    spaced = None
            if spaced is not None:
                value = spaced.group()  # "482 116": a code an SMS sends in two halves
            elif text[m.start(1) - 1 : m.start(1)] == "[" and "]" in value:
                value = value[: value.index("]")]  # "인증번호 [718204]를": the code in its brackets
            elif value.endswith("=") and value[:-1].isidentifier():
                continue  # "bad_password attempted=": a log's next key; its value, quoted, is found by its own key
            elif m.re is _FOREIGN_SECRET_PATTERN:
                # a secret is typed in ASCII: up to the first letter of the text's own script ("629104，您正在..."), and a
                # code holds a digit ("Seu código de acesso iFood: 5521" is no "iFood")
                cut = _NOT_ASCII_PRINTABLE.search(value)
                if cut is not None:
                    value = value[: cut.start()].rstrip(".,;:)]}")
                if not value or (not any(c.isdigit() for c in value) and not _FOREIGN_PASSWORD_WORD.search(keyword)):
                    continue
            elif not value.isascii() and not any(c.isdigit() for c in value):
                # a word of another script after an English keyword, then the code: "รหัส OTP ของท่านคือ 324887"
                after = _SCRIPT_WORDS_THEN_CODE.match(text, m.start(1))
                if after is None:
                    continue
                m_start, value = after.start(1), after.group(1)
                if len(value) >= 4 and _looks_like_a_secret(value):
                    out.append(PiiMatch("CREDENTIALS", m_start, m_start + len(value), value, value))
                continue
            elif m.group(1)[:1].isalnum() and keyword.rstrip(" :(").endswith(("code", "code is", "code was")):
                value = _CODE_VALUE.match(value).group()  # a code's own characters: "2580#" -> "2580", "0719)?" -> "0719"
            # a card's security code has three digits ("CVV: 123"), every other secret four characters or more
            shortest = 3 if ("cvv" in keyword or "cvc" in keyword or "on the back" in keyword) and value.isdigit() else 4
            start = m.start(1)
            key, equals, rest = value.partition("=")
            if equals and rest and key.replace("_", "").isalpha() and key.islower():
                start, value = start + len(key) + 1, rest  # "prompt=enter_pin dtmf=5009": a log's next key, its value
            if len(value) >= shortest and _looks_like_a_secret(value):
                out.append(PiiMatch("CREDENTIALS", start, start + len(value), value, value))
                if "recovery" in keyword or "backup" in keyword:  # the other codes of the list
                    at = start + len(value)
                    while (code := _NEXT_CODE.match(text, at)) is not None:
                        out.append(PiiMatch("CREDENTIALS", code.start(1), code.end(1), code.group(1), code.group(1)))
                        at = code.end(1)
                out += _another_secret(text, start + len(value))
        if "?" in text and "\n" in text:
            out += _answered_secrets(text)
        for needle, pattern in _SECRET_IN_COMMAND:
            if needle in text:
                for m in pattern.finditer(text):
                    value = m.group(1).rstrip(".,;:)]}")
                    if _looks_like_a_secret(value) or ":" in value:
                        out.append(PiiMatch("CREDENTIALS", m.start(1), m.start(1) + len(value), value, value))
        if "key" in low or "token" in low or "secret" in low or "credential" in low:
            for m in _LONG_TOKEN.finditer(text):
                if _UUID.fullmatch(m.group()):
                    continue
                line_start = text.rfind("\n", 0, m.start()) + 1
                line_end = text.find("\n", m.end())
                line = text[line_start:line_end if line_end >= 0 else len(text)]
                if _LINE_OF_A_SECRET.search(line) and not _LINE_OF_A_HASH.search(line):
                    out.append(PiiMatch("CREDENTIALS", m.start(), m.end(), m.group(), m.group()))
        return out

    def _spoken_emails(self, text: str) -> list[PiiMatch]:
        """E-mail addresses spelled out (:data:`_SPOKEN_EMAIL`), each keyed by the address it spells."""
        out: list[PiiMatch] = []
        for m in _SPOKEN_EMAIL.finditer(text):
            local, domain = m.group(1), m.group(2)
            if "@" in m.group():
                continue  # a plain address: _emails' own
            bracketed = text[m.end(1):m.start(2)].strip().lower() != "at"  # "[at]", "(at)"
            if not bracketed and not any(c in local for c in "._0123456789") and " dot " not in local.lower():
                continue  # "look at the dot com bubble"
            address = _SPELLED_DOT.sub(".", f"{local}@{domain}").lower().replace(" ", "")
            out.append(PiiMatch("EMAIL", m.start(), m.end(), m.group(), address))
        return out

    def _spoken_numbers(self, text: str) -> list[PiiMatch]:
        """Numbers read out digit by digit in a transcript (:data:`_SPOKEN_NUMBER`), each keyed by its digits.

        A run with three or more number words is: a PIN or one-time code when it has 4-8 digits right after
        such a word ("my pin is four four seven one"); a card when it has 13-19 digits that pass Luhn and
        name a known issuer; a social security number when it has 9 digits after "ssn" or "social" and is a
        valid one; a phone when it has 7-15 digits and is a valid number of a configured region, a possible
        international one ("plus four four ..."), or a phone cue comes shortly before it (the agent's
        "callback number?" on the line above). Never one where an id's word ("order number", "account")
        comes right before it.
        """
        out: list[PiiMatch] = []
        types = self.types
        for m in _SPOKEN_NUMBER.finditer(text):
            if not _may_hold_spoken_number(m.group().lower()):
                continue  # what the gate asks of the text, asked of the run: "one one one four" is not read
            digits, words, plus = _spoken_digits(m.group())
            if words < 3:
                continue  # numerals alone are the other detectors' own
            start, end, n = m.start(), m.end(), len(digits)
            first = _SPOKEN_PART.match(m.group())
            if (
                not plus
                and first is not None
                and first.group().lower() in ("one", "oh", "o")
                and not (13 <= n <= 19 and luhn_valid(digits))
                and 13 <= n - 1 <= 19
                and luhn_valid(digits[1:])
            ):
                # "use my new one five three five ...": the first "one" is a word, the card the rest
                start, digits, n = start + len(first.group()) + 1, digits[1:], n - 1
            cue = _spoken_cue(text, start)
            if cue == "id":
                continue
            if 4 <= n <= 8 and cue == "secret" and "CREDENTIALS" in types:
                out.append(PiiMatch("CREDENTIALS", start, end, text[start:end], digits))
            elif 13 <= n <= 19 and "CREDIT_CARD" in types and luhn_valid(digits) and _card_issuer_known(digits):
                out.append(PiiMatch("CREDIT_CARD", start, end, text[start:end], digits))
            elif n == 9 and cue == "ssn" and "US_SSN" in types and ssn_valid(digits[:3], digits[3:5], digits[5:]):
                out.append(PiiMatch("US_SSN", start, end, text[start:end], digits))
            elif 7 <= n <= 15 and "PHONE" in types and cue != "ssn":
                if plus:
                    if _possible_number("+" + digits):
                        out.append(PiiMatch("PHONE", start, end, text[start:end], "+" + digits))
                    continue
                for region in self.phone_regions:
                    try:
                        number = phonenumbers.parse(digits, region)
                    except phonenumbers.NumberParseException:
                        continue
                    if phonenumbers.is_valid_number(number):
                        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
                        out.append(PiiMatch("PHONE", start, end, text[start:end], e164))
                        break
                else:
                    if cue == "phone":
                        out.append(PiiMatch("PHONE", start, end, text[start:end], digits))
        return out

    def _foreign_spoken_numbers(self, text: str) -> list[PiiMatch]:
        """Phone numbers (seven digits or more) and codes (four to eight digits) read out digit by digit in a
        transcript of another language ("tres uno cinco, cuatro ocho dos, siete siete cero uno", "null acht neun,
        zwei drei eins sieben", "nau aath saat zero"), where a word for a number, a phone or a code is on the run's
        line or the line above (the agent's question): the last such word before the run decides which."""
        out: list[PiiMatch] = []
        for _lang, words, pattern in _FOREIGN_SPOKEN_RUNS:
            for m in pattern.finditer(text):
                digits = "".join(words[w.lower()] for w in re.findall(r"[^\s,.-]+", m.group()) if w.lower() in words)
                line_start = text.rfind("\n", 0, m.start()) + 1
                above = text.rfind("\n", 0, max(0, line_start - 1)) + 1
                cue = None
                for cue in _FOREIGN_NUMBER_CUE.finditer(text, above, m.start()):
                    pass
                if cue is None:
                    continue
                code = cue.group().lower() in _FOREIGN_CODE_CUES
                if 7 <= len(digits) <= 15 and not code and "PHONE" in self.types:
                    out.append(PiiMatch("PHONE", m.start(), m.end(), m.group(), digits))
                elif 4 <= len(digits) <= 8 and code and "CREDENTIALS" in self.types:
                    out.append(PiiMatch("CREDENTIALS", m.start(), m.end(), m.group(), digits))
        if " " in text:
            for m in _FR_SPOKEN_RUN.finditer(text):
                digits = _french_pairs(m.group())
                # a French number: ten digits from its trunk "0", or "plus trente-trois" and nine digits
                plus = text[max(0, m.start() - 5):m.start()].lower().endswith(("plus ", "+"))
                if digits is None or "PHONE" not in self.types or not (
                    (len(digits) == 10 and digits[0] == "0" and digits[1] != "0") or (plus and len(digits) == 11 and digits[:2] == "33")
                ):
                    continue
                if _foreign_cue_before(text, m.start()) in (None, "code") or _FR_ID_CUE.search(
                    text, text.rfind("\n", 0, m.start()) + 1, m.start()
                ):
                    continue  # "commande numéro ...": an order's
                out.append(PiiMatch("PHONE", m.start(), m.end(), m.group(), digits))
        return out

    def _chinese_spoken_numbers(self, text: str) -> list[PiiMatch]:
        """Phone numbers read out in Chinese digits (:data:`_ZH_SPOKEN_RUN`: "我的手机号是一三八，零四一零，八六三零"),
        seven to fifteen of them, after a phone's word on the run's line or the line above."""
        out: list[PiiMatch] = []
        for m in _ZH_SPOKEN_RUN.finditer(text):
            digits = "".join(_ZH_DIGITS[c] for c in m.group() if c in _ZH_DIGITS)
            if not 7 <= len(digits) <= 15:
                continue
            line_start = text.rfind("\n", 0, m.start()) + 1
            above = text.rfind("\n", 0, max(0, line_start - 1)) + 1
            if _ZH_PHONE_CUE.search(text, above, m.start()) is not None:
                out.append(PiiMatch("PHONE", m.start(), m.end(), m.group(), digits))
        return out

    def _spoken_word_emails(self, text: str) -> list[PiiMatch]:
        """E-mail addresses read out word by word (:data:`_SPOKEN_EMAIL_DOMAIN`, :func:`_spoken_local_part`), each
        keyed by the address it spells ("tyler underscore b two zero one one at gmail dot com" ->
        "tyler_b2011@gmail.com")."""
        out: list[PiiMatch] = []
        for m in _SPOKEN_EMAIL_DOMAIN.finditer(text):
            start = _spoken_local_part(text, m.start())
            if start is None:
                continue
            if m.group(1).split()[0].lower() not in _MAIL_PROVIDERS and not _EMAIL_CUE.search(text, max(0, start - 120), start):
                continue
            parts = text[start:m.end()].lower().split()
            address = "".join(_SPOKEN_SYMBOLS.get(w, _SPOKEN_DIGITS.get(w, w) if w not in ("o", "oh") else w) for w in parts)
            out.append(PiiMatch("EMAIL", start, m.end(), text[start:m.end()], address))
        return out

    def _emails(self, text: str) -> list[PiiMatch]:
        out = []
        for m in _email_matches(text):
            value = m.group()
            local, _, domain = value.partition("@")
            if ".." in local or len(value) > 254 or domain.startswith("-"):
                continue
            if _RETINA_FILE.fullmatch(domain):
                continue  # "image@2x.png", "logo@3x.jpg": a file name for high-density screens
            out.append(PiiMatch("EMAIL", m.start(), m.end(), value, value.lower()))
        return out

    def _ibans(self, text: str) -> list[PiiMatch]:
        out = []
        for m in _IBAN.finditer(text):
            length = _IBAN_LENGTH.get(m.group(1).upper())
            if length is None:
                continue
            # The regex may run into following uppercase words or digits: cut at the country's length.
            seen = 0
            end = m.start()
            for i in range(m.start(), m.end()):
                if text[i] != " ":
                    seen += 1
                    if seen == length:
                        end = i + 1
                        break
            if seen < length or (end < len(text) and text[end].isalnum()):
                continue
            value = text[m.start():end]
            if iban_valid(value):
                out.append(PiiMatch("IBAN", m.start(), end, value, value.replace(" ", "").upper()))
        return out

    def _cards(self, text: str) -> list[PiiMatch]:
        """Card numbers: Luhn-valid runs of a card network's prefix and length (:func:`_card_issuer_known`),
        not one that a shipment's or an order's label names, on a line that says nothing of a card
        ("Spedizione 347170604036056", "AWB: 4539...")."""
        out = []
        for m in _DIGIT_GROUPS.finditer(text):
            run = m.group()
            if len(run) < 13:
                continue
            seps = {c for c in run if not c.isdigit()}
            if len(seps) > 1:
                continue  # "4111-1111 1111-1111" mixes separators: not how a card is written
            groups = [(g.start(), g.end()) for g in _GROUP.finditer(run)]
            best = None
            # A run may hold more than a card ("card 4111 1111 1111 1111 exp 12 26"): try windows of groups.
            for i in range(len(groups)):
                digits = ""
                for j in range(i, len(groups)):
                    digits += run[groups[j][0]:groups[j][1]]
                    if len(digits) > 19:
                        break
                    if (
                        len(digits) >= 13
                        and (i == j or _card_grouping(run, groups[i:j + 1]))
                        and luhn_valid(digits)
                        and _card_issuer_known(digits)
                    ):
                        if best is None or len(digits) > len(best[2]):
                            best = (groups[i][0], groups[j][1], digits)
            if best is not None:
                start, end = m.start() + best[0], m.start() + best[1]
                if _NOT_CARD_LABEL.search(text, max(0, start - 48), start) and not _CARD_WORD.search(
                    text, text.rfind("\n", 0, start) + 1, _line_end(text, end)
                ):
                    continue
                out.append(PiiMatch("CREDIT_CARD", start, end, text[start:end], best[2]))
        return out

    _cell_types = frozenset(("PHONE", "US_SSN", "CREDIT_CARD"))

    def _spoken_streets(self, text: str, cues: AbstractSet[str] | None = None) -> list[PiiMatch]:
        """A street address said with its number in words right after an address cue, as a call's transcript
        writes it: "my address is twenty two baker street", "i live at one oh four maple avenue". ``cues``: the
        cues the text holds (:data:`_SPOKEN_STREET_CUES`), looked for by str.find in its lower case, which ~10x
        faster than the pattern's search of every position; None searches with the pattern."""
        low = text.lower()
        if cues is None or len(low) != len(text):
            return [_address_match(text, m.start(1), m.end(1)) for m in _SPOKEN_STREET_AFTER_CUE.finditer(text)]
        out: list[PiiMatch] = []
        for cue in cues:
            i = low.find(cue)
            while i >= 0:
                m = _SPOKEN_STREET_AFTER.match(text, i + len(cue))
                if m is not None and (i == 0 or not (low[i - 1].isascii() and low[i - 1].isalnum())):
                    out.append(_address_match(text, m.start(1), m.end(1)))
                i = low.find(cue, i + 1)
        return out

    @staticmethod
    def _numeric_codes(text: str, needles: AbstractSet[str] | None = None) -> list[PiiMatch]:
        """A one-time code, a PIN or a door's code of digits after a word for a code in any of about 20 languages
        and a few words of what it is for ("Ihr Bestätigungscode für die Anmeldung lautet 917 406", "Mã OTP của quý
        khách là 830561", "Haustürcode 3307", "portkod 2471", "Kode OTP Anda adalah 718204", "code is 1 9 7 4"): four
        to eight digits, whole or read out in groups; not after a word that makes it an id ("postal code",
        "tracking code", "customer code", "order").
        """
        out: list[PiiMatch] = []
        low = text.lower()
        if len(low) != len(text):
            matches = list(_NUMERIC_CODE.finditer(text))
        else:
            # where a code word is (str.find), each tried from its word's start: ~10x faster than the pattern's
            # search, whose leading letters are tried at every position
            starts = _word_starts(low, _CODE_NEEDLES if needles is None else needles)
            matches = [m for j in starts if (m := _NUMERIC_CODE.match(text, j)) is not None]
        seen: set[int] = set()
        for m in matches:
            if m.start(2) in seen:
                continue
            seen.add(m.start(2))
            # a code the customer gave is theirs, not a customer number ("Lockbox code left by customer: 0619")
            words = _GIVEN_BY_CUSTOMER.sub("", m.group(1).lower())
            if _NOT_A_SECRET_CODE.search(words) or _NOT_A_SECRET_CODE.search(text, max(0, m.start() - 16), m.start() + 1):
                continue
            value = m.group(2)
            if value[:1].isalpha() or (value.isalnum() and not value.isdigit()):
                # capitals and digits: five characters at least, with a colon or "is" before them, after a code's
                # word that opens a compound or stands alone ("Aktivierungscode", "Noutokoodi", "code"), not an
                # error's or a model's ("Fehlercode E4021", "code A12B")
                if len(value) < 5 or _NOT_AN_ALPHANUMERIC_CODE.search(words) or text[m.end(1):m.start(2)].strip() == "":
                    continue
            elif not 4 <= _count_digits(value) <= 8:
                continue
            if _PROMO_AFTER.match(text, m.end()):
                continue  # "Use code 2024 at checkout": a promotion's
            out.append(PiiMatch("CREDENTIALS", m.start(2), m.end(2), value, value))
        return out

    def _hl7(self, text: str) -> list[PiiMatch]:
        """Names and addresses in the fields of HL7 v2 segments (:func:`records.hl7_spans`)."""
        return [
            PiiMatch(kind, a, b, text[a:b], " ".join(text[a:b].replace("^", " ").split()).casefold())
            for kind, a, b in hl7_spans(text)
            if kind in self.types
        ]

    def _passengers(self, text: str) -> list[PiiMatch]:
        """Passenger names of reservation systems, "SURNAME/GIVEN" (:func:`records.pnr_names`)."""
        return [PiiMatch("PERSON", a, b, text[a:b], text[a:b].casefold()) for a, b in pnr_names(text)]

    def _delimited_cells(
        self, text: str, memo: dict[tuple[str, str], list[tuple[int, int, str]]] | None = None
    ) -> list[PiiMatch]:
        """Phone numbers, SSNs and card numbers that are a whole cell of a delimited row (a line with two or more of
        its ",", ";", "|" or tab delimiters), each cell read as a text of its own and the match kept only when it
        is the whole cell: "1,234,567" is three short cells, "…,342-18-6620,2024-01-01" an SSN between two cells."""
        out: list[PiiMatch] = []
        types = self.types
        for line in _LINE.finditer(text):
            if not _GLUED_CELL.search(line.group()):
                continue  # the gate, line by line: a row whose digits stand apart from its commas is read as prose
            for a, b in _row_cells(line.group()):
                a, b = line.start() + a, line.start() + b
                value = text[a:b]
                if b - a < 9 or _count_digits(value) < 7 or not _CELL_SHAPE.fullmatch(value):
                    continue
                found = (
                    (self._ssns(value) if "US_SSN" in types else [])
                    + (self._cards(value) if "CREDIT_CARD" in types else [])
                    + (self._phones(value, memo) if "PHONE" in types else [])
                )
                for m in found:
                    if m.start == 0 and m.end == len(value):
                        out.append(replace(m, start=a, end=b))
                        break
        return out

    def _ssns(self, text: str) -> list[PiiMatch]:
        out = []
        for m in _SSN.finditer(text):
            if not ssn_valid(m.group(1), m.group(3), m.group(4)):
                continue
            before = max(0, m.start() - 30)
            if _ID_CUE.search(text, before, m.start()) and not _SSN_WORD.search(text, before, m.start()):
                continue  # "Account number 512-34-7781.", "confirmation code 834-22-9102": an id, as for phones
            out.append(PiiMatch("US_SSN", m.start(), m.end(), m.group(), m.group(1) + m.group(3) + m.group(4)))
        for m in _SSN_BARE.finditer(text):
            if _SSN_CUE.search(text, max(0, m.start() - 30), m.start()) and ssn_valid(*m.groups()):
                out.append(PiiMatch("US_SSN", m.start(), m.end(), m.group(), m.group()))
        return out

    def _ipv4s(self, text: str) -> list[PiiMatch]:
        out = []
        version_end = -1
        for m in _IPV4.finditer(text):
            if (
                _VERSION_CUE.search(text, max(0, m.start() - 32), m.start())
                or (version_end >= 0 and text[version_end:m.start()] in _VERSION_JOINERS)
                or _VERSION_AFTER.match(text, m.end())
            ):
                version_end = m.end()
                continue  # "version 1.2.3.4", "build 10.0.0.1", "upgraded from 3.1.0.2 to 3.1.0.4", "1.2.3.4 or later"
            try:
                addr = ipaddress.IPv4Address(m.group())
            except ValueError:
                continue
            if addr.is_loopback or addr.is_unspecified:
                continue  # 127.0.0.1 and 0.0.0.0 identify nobody
            octets = m.group().split(".")
            if octets[0] == "255" and set(octets) <= _MASK_OCTETS and octets == sorted(octets, key=int, reverse=True):
                continue  # a network mask, 255.255.255.0, or the broadcast address
            out.append(PiiMatch("IP_ADDRESS", m.start(), m.end(), m.group(), str(addr)))
        return out

    def _ipv6s(self, text: str) -> list[PiiMatch]:
        out = []
        for m in _IPV6.finditer(text):
            value = m.group()
            groups = [g for g in value.split(":") if g]
            if len(groups) < 2 or (len(groups) < 3 and not any(len(g) == 4 for g in groups)):
                continue  # "::", "aa::ff" (C++ scopes, hex pairs) are not worth a placeholder; "fe80::1" is
            try:
                addr = ipaddress.IPv6Address(value)
            except ValueError:
                continue
            if addr.is_loopback or addr.is_unspecified:
                continue
            out.append(PiiMatch("IP_ADDRESS", m.start(), m.end(), value, addr.compressed))
        return out

    def _phones(
        self,
        text: str,
        memo: dict[tuple[str, str], list[tuple[int, int, str]]] | None = None,
        taken: Sequence[PiiMatch] = (),
    ) -> list[PiiMatch]:
        """Phone numbers; candidates lying inside a span of ``taken`` are not looked at."""
        out = []
        for m in _PHONE_CANDIDATE.finditer(text):
            if any(t.start <= m.start() and m.end() <= t.end for t in taken):
                continue
            cand = m.group()
            international = cand.startswith(("+", "00"))
            if not _phone_shaped(text, m.start(), cand, international):
                continue
            regions = self.phone_regions[:1] if international else self.phone_regions
            # "0044 20 ..." is "+44 20 ..." written with the international prefix of most of the world, which
            # libphonenumber only reads for a region that dials out with 00: as " +" (same length, so the
            # positions hold), every region reads it; the span then starts at the "00" again.
            dialled = " +" + cand[2:] if cand.startswith("00") else cand
            for region in regions:
                key = (cand, region)
                spans = memo.get(key) if memo is not None else None
                if spans is None:
                    spans = _valid_phones(dialled, region)
                    if dialled is not cand:
                        spans = [(0 if s_ == 1 else s_, e_, e164) for s_, e_, e164 in spans]
                    if memo is not None:
                        memo[key] = spans
                if spans:
                    for pm_start, pm_end, e164 in spans:
                        start, end = m.start() + pm_start, m.start() + pm_end
                        out.append(PiiMatch("PHONE", start, end, text[start:end], e164))
                    break
            else:
                # A national number of a region not configured ("móvil 619107545", "call me on 0501 890 92 12",
                # "Callback: 0850451150"): one that a phone cue introduces on its line, right before it.
                shaped = None if international else _region_of_shape(cand)
                if shaped is not None and (spans := _valid_phones(cand, shaped)) and spans[0][:2] == (0, len(cand)):
                    # a mobile number in a layout only one country writes ("010-7342-8816", "(21) 99834-5172"),
                    # valid there
                    out.append(PiiMatch("PHONE", m.start(), m.end(), cand, spans[0][2]))
                elif not international and _cued_national_number(text, m.start(), cand):
                    out.append(PiiMatch("PHONE", m.start(), m.end(), cand, _DIGIT_ONLY.sub("", cand)))
                elif (
                    international
                    and (
                        _cued_national_number(text, m.start(), cand)
                        or _SENDER_AFTER.match(text, m.end())
                        or _phone_word_before(text, m.start())
                    )
                    and _possible_number(dialled)
                ):
                    # an international number no region's plan lists as assigned (a range kept for drama,
                    # "+44 7700 900334", or one newer than the metadata) where a phone cue or a chat export's
                    # sender position says it is one
                    out.append(PiiMatch("PHONE", m.start(), m.end(), cand, "+" + _DIGIT_ONLY.sub("", cand)))
        return out

    def _addresses(self, text: str, patterns: Sequence[re.Pattern[str]] | None = None) -> list[PiiMatch]:
        """Street addresses and PO boxes; ``patterns`` (default: the ones :func:`_address_patterns` lets
        through) are the address patterns to run."""
        if patterns is None:
            patterns = _address_patterns(text, text.lower(), _CAP_TOKEN.findall(text))
        out: list[PiiMatch] = []
        german: list[bool] = []  # _ring_street_out_of_context's verdict on the whole text, once needed
        city_lines: set[int] = set()  # the line breaks after a street whose next line was looked at
        for pattern in patterns:
            for m in pattern.finditer(text):
                value = m.group()
                if pattern is _ADDRESS_EN and any(w in NOT_STREET_NAMES for w in value.split(None, 3)[1:3]):
                    continue  # "2 Google Drive folders", "3 Hard Drive bays"
                if pattern is _ADDRESS_EN and value.split(None, 2)[1] in NOT_STREET_FIRST_WORDS:
                    continue  # "Step 2 Select Drive", "2 Hours Drive", "5 Star Plaza"
                if pattern is _ADDRESS_EN_UPPER and _not_a_street_in_capitals(value):
                    continue  # "2 GOOGLE DRIVE FOLDERS", "MY ORDER 55123 IS ON THE WAY"
                if pattern is _ADDRESS_EN_LOWER and m.group("state") and m.group("state").upper() not in _US_STATES:
                    continue  # "3 free drive, pick zz 12345"
                if (pattern is _ADDRESS_DE or pattern is _ADDRESS_DE_UPPER) and _ring_street_out_of_context(text, m, german):
                    continue  # "Spring 2024", "During 2023", "RECURRING 3 TIMES"
                start, end = m.start(), m.end()
                if pattern is _ADDRESS_CJK:
                    if _CJK_COMPANY_ADDRESS.search(text, max(0, start - 8), start) is not None:
                        continue  # "本社：東京都千代田区丸の内1-1-1", "본사: ...": a company's head office
                    if (lead := _CJK_ADDRESS_LEAD.match(text, start)) is not None:
                        start = lead.end()  # "地址是北京市朝阳区...": the address starts at its city
                        value = text[start:end]
                if pattern is _ADDRESS_EN and m.group("tail") is None:
                    # the localities and postcode after the street on its line ("75 Adeola Odeku Street, Victoria
                    # Island, Lagos", "58 Tahrir Street, Dokki, Giza 12611", "101 Griffith Avenue, Tralee, Co.
                    # Kerry, V92 F4W8"), and a unit before it ("Apt 31, 119 College Road")
                    tail = _LOCALITY_TAIL.match(text, end)
                    if tail is not None and not any(
                        part.strip() in NOT_NAMES or part.strip() in _NOT_GREETED for part in tail.group().split(",")[1:2]
                    ):
                        end = tail.end()
                    unit = _UNIT_BEFORE.search(text, max(0, start - 24), start)
                    if unit is not None:
                        start = unit.start()
                    value = text[start:end]
                out.append(PiiMatch("ADDRESS", start, end, value, " ".join(value.casefold().split())))
                if (pattern is _ADDRESS_EN or pattern is _ADDRESS_EN_UPPER) and m.group("tail") is None:
                    # the street's line goes on past the street: a city line under it is the same address
                    line_end = text.find("\n", m.end())
                    if line_end >= 0 and line_end not in city_lines:
                        city_lines.add(line_end)
                        city_line = _CITY_LINE_UPPER if pattern is _ADDRESS_EN_UPPER else _CITY_LINE
                        city = city_line.match(text, line_end + 1)
                        if city is not None:
                            value = city.group(1)
                            normalized = " ".join(value.casefold().split())
                            out.append(PiiMatch("ADDRESS", city.start(1), city.end(1), value, normalized))
        return out

    def _cued_addresses(
        self,
        text: str,
        low: str | None = None,
        gates: tuple[bool, bool, bool, bool] | None = None,
        h: AbstractSet[str] | None = None,
    ) -> list[PiiMatch]:
        """Addresses of any country's format after an address label or phrase (:data:`_ADDRESS_CUE`): "Ship
        to: 4-28-1 Sakae, Naka-ku, Nagoya 460-0008", "my address is 123 Teheran-ro, Gangnam-gu, Seoul", "Plot
        12, Admiralty Way, Lekki Phase 1, Lagos". The rest of the cue's line up to a sentence's end is the
        address when it opens as one (:data:`_CUED_ADDRESS_START`), holds a digit and a word and names its
        street with a capital or in parts split by commas; a label alone on its line gives the lines under it
        (one span each) up to a blank line or another label: those with a digit, and up to two lines of place
        names after them (a name's line before them is left to the name detectors). The street patterns find
        the formats they know without a cue; this finds the ones they do not. Also the address that answers a
        question for one (:func:`_answered_addresses`), keyed addresses in JSON and logs, and a vCard's address.
        ``gates`` (:func:`_address_cue_gates`) skips the parts that cannot find anything; None runs every part."""
        out: list[PiiMatch] = []
        low = text.lower() if low is None else low
        plain = _lower_is_ignorecase(text)
        cued, asked, keyed, vcard = (True, True, True, True) if gates is None else gates
        cues = (_cues_in_lower(low, h) if plain else _address_cues(text)) if cued else ()
        for cue in cues:
            start = cue.end()
            line_end = text.find("\n", start)
            if line_end < 0:
                line_end = len(text)
            if text[start:line_end].strip():
                span = _cued_address_value(text, start, line_end, labelled=cue.group().rstrip()[-1:] in ":：>（(は")
                if span is not None:
                    out.append(_address_match(text, *span))
                elif (named := _NAME_LINE.fullmatch(text, start, line_end)) is not None:
                    # a label and the addressee's name on its line, the address under it ("Ship to: Marjorie
                    # Littlechild\nRR 2 Site 5 Box 18\nMaskwacis AB T0C 1N0"): the name is a person's when an
                    # address follows
                    block = _address_block(text, line_end)
                    if block:
                        out += block
                        name = named.group(1)
                        if not any(w in NOT_NAMES or w in _NOT_GREETED for w in name.split()):
                            at = named.start(1)
                            out.append(PiiMatch("PERSON", at, at + len(name), name, name.casefold()))
            else:  # a cue that ends its line: the address is under it ("My address is:\n", "update my address to\n")
                out += _address_block(text, line_end)
        if asked:
            out += _answered_addresses(text)
        if keyed:
            quoted = _KEYED_ADDRESS.finditer(text) if not plain or _quoted_key(low) else ()
            yaml = _YAML_ADDRESS.finditer(text) if "\n" in text or low.lstrip().startswith(_YAML_ADDRESS_KEYS) else ()
            for m in [*quoted, *yaml]:
                value = m.group(2).strip()
                at = text.index(value, m.start(2))
                if _keyed_address_value(value):
                    out.append(_address_match(text, at, at + len(value)))
        if vcard:
            for m in _VCARD_ADDRESS.finditer(text):
                value = m.group(1).strip(" ;")
                if value and any(c.isdigit() for c in value) and PLACEHOLDER.search(value) is None:
                    at = text.index(value, m.start(1))
                    out.append(_address_match(text, at, at + len(value)))
        return out

    def _persons(
        self,
        text: str,
        strong: bool = True,
        plain: bool = False,
        lower_cue: bool = True,
        sign_off_line: bool = True,
        caps: list[str] | None = None,
        cued: set[int] | None = None,
    ) -> list[PiiMatch]:
        """Person names. The flags come from :func:`_person_gate` (the defaults assume nothing: every
        capitalised word that a cue may precede is looked at, every cue pattern searched); ``caps`` is
        ``_CAP_TOKEN.findall(text)`` and ``cued`` :func:`_cued_starts` of it when the caller has them."""
        out: list[PiiMatch] = []
        # Without a strong cue anywhere only given names can start a name; with one, also the words right
        # after it. Every other capitalised word is skipped by the loop below anyway.
        cued_starts = _cued_starts(text) if strong and cued is None else cued
        words = _name_candidates(text, _CAP_TOKEN.findall(text) if caps is None else caps, strong, cued_starts)
        brands: list[tuple[int, int]] = []  # the spans of EPONYM_BRANDS found: no word inside one starts a name
        if "&" in text:  # "Marks & Spencer Marble Arch": no word of the brand starts a name
            brands += [m.span() for m in _AMPERSAND_BRAND.finditer(text)]
        for start, word in words:
            if brands and any(a <= start < b for a, b in brands):
                continue  # "Daniel" of "Jack Daniel's"
            brand = _AMPERSAND_BRAND.match(text, start) if "&" in text else None
            if brand is not None or (
                word in _TITLED_BRANDS
                and _DR_BEFORE.search(text, max(0, start - 6), start)
                and _A_PRODUCT_NEXT.match(text, start + len(word))
            ):
                brands.append((start, brand.end() if brand is not None else start + len(word)))
                continue  # "Ben & Jerry's", "Dr. Martens 1460": a brand, whatever cue precedes it
            given = word in _ALL_FIRST
            if not given and word in NOT_NAMES:
                continue
            before = text[max(0, start - 40):start]
            # Each cue pattern ends the window (\Z): a test of the window's last characters rules most
            # words out before the pattern is searched.
            tail = before.rstrip(" ")
            cued = _may_end_with_strong_cue(tail, plain)
            if not given and not cued:
                continue  # only a strong cue makes a name of a word that is not a given name
            # Without a run of spaces in the window a cue is short, so the search can start near its end
            # (with a start position, \b, ^ and look-behinds still see the whole window).
            near = 0 if "  " in before else len(before)
            if before.endswith(" ") and before[:-1].endswith(_PLACE_WORDS) and _PLACE_PREFIX.search(before, max(0, near - 8)):
                continue
            after_cue = cued and _STRONG_CUE.search(before, max(0, near - 24)) is not None
            if (
                after_cue
                and not given
                and tail.endswith("\n")
                and (
                    (_LOWER_WORD_NEXT.match(text, start + len(word)) and not _SIGNATURE_GOES_ON.match(text, start + len(word)))
                    or text.startswith((" I ", " I'"), start + len(word))
                )
            ):
                continue  # a line after a sign-off that goes on as a sentence: "Best,\nShip it to", "Otherwise I cancel"
            if after_cue and tail.endswith("\n") and text.startswith(":", start + len(word)):
                continue  # a label after a sign-off: "Thanks\n\nAnswer: Hi there" (a question joined to its answer)
            if given and _a_date_not_a_name(text, word, start + len(word)):
                continue  # "refund me by June 30", "from April 1st"
            if given and not after_cue and _a_verb_not_a_name(text, word, start + len(word)):
                continue  # "hi Will the thermostat work with Alexa?"
            if after_cue:
                span = self._name_at(text, start, require_first=False)
            elif (
                given
                and _may_end_with_weak_cue(tail, plain)
                and _weak_cue_names(word, _WEAK_CUE.search(before, max(0, near - 16)))
            ):
                span = self._name_at(text, start, require_first=False)
            elif word in _CLEAR_FIRST:
                span = self._name_at(text, start, require_first=False)
            elif word in AMBIGUOUS_FIRST_NAMES and word not in BRAND_FIRST_NAMES:
                span = self._name_at(text, start, require_first=True)  # "Will Turner", not "Will you"
                if span is None and _addressed_at_sentence_end(text, before, start + len(word)):
                    span = (start, start + len(word))  # "Thanks for waiting, Sofia."
            else:
                continue  # "my Dell Latitude", "Tesla Model 3": a brand needs a cue
            if span is not None and not after_cue and _names_a_place(text, span[0], span[1]):
                continue  # "John Radcliffe Hospital", "George Washington University": named after a person
            if (
                span is not None
                and (not given or word in BRAND_FIRST_NAMES)
                and after_cue
                and _a_company_after_dear(before, text, span[1])
            ):
                continue  # "Dear Lumen support", "Dear Acme Team", "Regards,\nTesla Support": a company
            if span is not None:
                # A capitalised word right before the name, in mid-sentence, is its first part ("I love Norma
                # Jean" -> "Norma Jean", not "Norma <PERSON_1>"), unless it is a known non-name or follows
                # another capitalised word in mid-sentence ("the Amazon Locker Sarah": "Locker" stays).
                lead = _LEADING_NAME_WORD.search(text, max(0, span[0] - 40), span[0])
                if (
                    lead is not None
                    and lead.group(1) not in NOT_NAMES
                    and lead.group(1) not in _NOT_A_NAME_LEAD
                    and _CAPITALISED_BEFORE_LEAD.search(text, max(0, lead.start(1) - 40), lead.start(1)) is None
                ):
                    span = (lead.start(1), span[1])
                value = text[span[0]:span[1]]
                if not after_cue and (
                    value in EPONYM_BRANDS
                    or _ends_a_brand(text, span[0], value)
                    or " ".join(value.split(" ", 2)[:2]) in EPONYM_BRANDS  # "Ralph Lauren Oxford Shirt"
                ):
                    brands.append(span)
                    continue  # "I bank with Wells Fargo", "a Ralph Lauren shirt": a company named after a person
                out.append(PiiMatch("PERSON", span[0], span[1], value, value.casefold()))
        # "Regards,\nJ. Smith", "NAME: J.R. SMITH", "Mr. M. Dupont": initials and a surname after a strong cue.
        for start in _initial_candidates(text, cued_starts) if strong else ():
            end = self._initialled_name_end(text, start)
            if end is not None and _STRONG_CUE.search(text, max(0, start - 40), start) is not None:
                value = text[start:end]
                out.append(PiiMatch("PERSON", start, end, value, value.casefold()))
        # "Kind regards, Xochitl Ngata": a name that a sign-off opening the line introduces and that ends the line.
        for m in (_SAME_LINE_SIGN_OFF.finditer(text) if sign_off_line and "," in text else ()):
            word = _CAPITALISED.match(text, m.end())
            if word is None:
                end = self._initialled_name_end(text, m.end())  # "Kind regards, J. Smith"
                span = None if end is None else (m.end(), end)
            elif word.group() in NOT_NAMES:
                continue  # "Thanks, Support Team"
            else:
                span = self._name_at(text, m.end(), require_first=False)
            if span is None:
                continue
            line_end = text.find("\n", span[1])
            if text[span[1]:line_end if line_end >= 0 else len(text)].strip(" .!"):
                continue  # "Thanks, Apple fixed it": the line goes on
            value = text[span[0]:span[1]]
            out.append(PiiMatch("PERSON", span[0], span[1], value, value.casefold()))
        # "my name is john smith": a known given name in lower case, after a strong cue only. Up to two
        # following lower-case words are its surnames unless they are common words or verb forms ("jane
        # doe", "maria garcia lopez"; "jane and ...", "jane calling about ...", "jane here").
        for m in (_MY_NAME_IS.finditer(text) if lower_cue else ()):
            t = _LOWER_TOKEN.match(text, m.end())
            if t and (t.group() in _FIRST_LOWER or _may_be_a_lower_case_name(t.group())):
                end = _lower_name_end(text, t.end())
                value = text[t.start():end]
                out.append(PiiMatch("PERSON", t.start(), end, value, value))
        return out

    def _caps_persons(
        self,
        text: str,
        strong: bool = True,
        upper: list[str] | None = None,
        cued: set[int] | None = None,
        sign_off_line: bool = True,
    ) -> list[PiiMatch]:
        """Person names written in capitals: a form ("NAME: JOHN SMITH"), a signature ("Regards,\nMARY
        JOHNSON", "KIND REGARDS, XOCHITL NGATA") or a shouted ticket. A word in capitals starts a name after a
        strong cue (unless it is a known non-name: "DEAR CUSTOMER"), when it is a known given name after a
        weak cue ("HI MARK"), or when it is a given name that is not also a word (a hyphenated one by its
        first part: "JEAN-LUC") and either a surname follows ("JOHN SMITH") or it has four letters or more
        and its line is all capitals ("THANKS AGAIN, MARIA"; in lower-case prose a lone "ELIZA" or "ADAM" is
        a product or an acronym). A given name right after a place word is a place ("SAN FRANCISCO"). A
        known given name of two or three letters alone is left: in capitals it is as often an acronym
        ("KIM", "ANA", "JAN"). Surnames are up to two more words in capitals that are not common words or
        non-names ("CALL JAMES TO" is "JAMES"). ``strong`` False says that no strong cue can occur
        (:func:`_may_hold_strong_cue`): only given names are looked at then; ``sign_off_line`` False that no
        line opens with a sign-off and a comma; ``upper`` is :func:`_upper_runs` of ``text`` and ``cued``
        its :func:`_cued_starts` when the caller has them."""
        out: list[PiiMatch] = []
        lines: dict[int, bool] = {}  # _line_in_capitals' verdicts
        plain = _lower_is_ignorecase(text)
        last_end = -1
        for m in _caps_name_candidates(text, _upper_runs(text) if upper is None else upper, strong, cued):
            start = m.start()
            if start < last_end:
                continue  # a surname of the name just found
            word = m.group()
            first = _upper_given_name(word)
            given = first is not None
            if not given and (
                not strong or word.title() in NOT_NAMES or word.lower() in COMMON_LOWER_WORDS or word in ACRONYMS
            ):
                continue  # "DEAR CUSTOMER", "DEAR ALL", "THANKS,\nHR"
            before = text[max(0, start - 40):start]
            if before.endswith(" ") and _PLACE_PREFIX_UPPER.search(before) is not None:
                continue  # "SAN FRANCISCO", "ST. LOUIS", "LAKE LOUISE"
            tail = before.rstrip(" ")
            after_cue = _may_end_with_strong_cue(tail, plain) and _STRONG_CUE.search(before) is not None
            weak = (
                given
                and not after_cue
                and _may_end_with_weak_cue(tail, plain)
                and _weak_cue_names(first, _WEAK_CUE.search(before))
            )
            if given and _a_date_not_a_name(text, word.title(), m.end()):
                continue  # "PLEASE REFUND ME BY JUNE 30"
            if given and not after_cue and _a_verb_not_a_name(text, word.title(), m.end()):
                continue  # "HI WILL THIS WORK WITH ALEXA?"
            end = self._caps_name_end(text, m.end())
            if not after_cue and _names_a_place(text, start, end):
                continue  # "AT JOHN HOPKINS HOSPITAL", "GEORGE WASHINGTON UNIVERSITY"
            if after_cue and (not given or first in BRAND_FIRST_NAMES) and _a_company_after_dear(before, text, end):
                continue  # "DEAR LUMEN SUPPORT", "REGARDS,\nTESLA SUPPORT"
            if not (after_cue or weak):
                if first not in _CLEAR_FIRST:
                    continue
                if end == m.end() and (len(word) < 4 or not _line_in_capitals(text, start, lines)):
                    continue
                if not _line_in_capitals(text, start, lines) and not _ends_a_field(text, end):
                    continue  # in lower-case prose: "AT JOHN HOPKINS HOSPITAL", "My ELIZA BOT broke"
            last_end = end
            value = text[start:end]
            out.append(PiiMatch("PERSON", start, end, value, value.casefold()))
        # "KIND REGARDS, XOCHITL NGATA": a name that a sign-off opening the line introduces and that ends it.
        for m in (_SAME_LINE_SIGN_OFF.finditer(text) if sign_off_line and "," in text else ()):
            word = _UPPER_WORD.match(text, m.end())
            if word is None or (
                _upper_given_name(word.group()) is None
                and (
                    word.group().title() in NOT_NAMES
                    or word.group().lower() in COMMON_LOWER_WORDS
                    or word.group() in ACRONYMS
                )
            ):
                continue  # "THANKS, SUPPORT TEAM", "THANKS, HR"
            end = self._caps_name_end(text, word.end())
            line_end = text.find("\n", end)
            if text[end:line_end if line_end >= 0 else len(text)].strip(" .!"):
                continue  # "THANKS, APPLE FIXED IT": the line goes on
            value = text[m.end():end]
            out.append(PiiMatch("PERSON", m.end(), end, value, value.casefold()))
        return out

    def _greeted(self, text: str) -> list[PiiMatch]:
        """Names that a greeting opening a line addresses ("Hi Oluwaseun,", "Hello Jürgen Weiß!"), known given
        names or not: any capitalised word that is no known non-name ("Hi Team,", "Hello World!", "Hey
        Google,") when the name then ends the greeting (a comma, "!" or the end of the line): "Hi Lumen
        support team" is not one."""
        out: list[PiiMatch] = []
        things: dict[str, bool] = {}  # _a_thing_named's verdicts
        for start in _greeting_line_starts(text):
            if text.startswith(_GREETINGS, start):
                pos = start + next(len(g) for g in _GREETINGS if text.startswith(g, start))
                while text[pos:pos + 1] == " ":
                    pos += 1
                word = _CAPITALISED.match(text, pos)
                if word is not None and word.group() not in NOT_NAMES and word.group() not in _NOT_GREETED:
                    span = self._name_at(text, pos, require_first=False)
                    if span is not None and _GREETING_END.match(text, span[1]) is not None:
                        value = text[span[0]:span[1]]
                        if value in _POLITE_ADDRESS:
                            continue  # "Good afternoon Ma,": how Nigerian and Indian English address a woman
                        if not _a_thing_named(text, value, things):  # "Hi Lumen,\nmy Lumen Hub will not pair"
                            out.append(PiiMatch("PERSON", span[0], span[1], value, value.casefold()))
        return out

    def _senders(self, text: str) -> list[PiiMatch]:
        """The display names of e-mail addresses ("From: Chidi Okeke <chidi@example.com>"): two to four
        capitalised words (or one known given name) right before "<address>", none of them a team or company
        word ("Lumen Support <help@lumen.io>")."""
        out: list[PiiMatch] = []
        things: dict[str, bool] = {}  # _a_thing_named's verdicts
        for m in _SENDER.finditer(text):
            words = m.group(1).split()
            while words and (words[0] in NOT_NAMES or words[0] in _SENDER_LABELS):
                words.pop(0)  # "Contact Jane Doe <...>", "From Jane Doe <...>"
            if not words or any(w in NOT_NAMES or w in _NOT_GREETED for w in words):
                continue
            if len(words) == 1 and words[0] not in _ALL_FIRST:
                continue  # "Amazon <auto-confirm@amazon.com>": one word is mostly a company
            value = " ".join(words)
            start = m.end(1) - len(value)
            if text[start:m.end(1)] != value:  # several spaces between the words: the span as written
                start = text.rfind(words[0], m.start(1), m.end(1))
            if not _a_thing_named(text, value, things):
                out.append(PiiMatch("PERSON", start, m.end(1), text[start:m.end(1)], " ".join(text[start:m.end(1)].split()).casefold()))
        for m in _REVERSED_SENDER.finditer(text) if "," in text else ():
            words = m.group(1).replace(",", " ").split()
            if any(w in NOT_NAMES or w in _NOT_GREETED for w in words):
                continue  # "From: Support, Lumen <...>"
            value = m.group(1)
            if not _a_thing_named(text, value, things):
                out.append(PiiMatch("PERSON", m.start(1), m.end(1), value, " ".join(value.split()).casefold()))
        for m in _QUOTED_SENDER.finditer(text) if '"' in text else ():
            words = m.group(1).replace(",", " ").split()
            if (
                not words
                or len(words) > 5
                or not all(_SENDER_WORD.fullmatch(w) for w in words)
                or any(w in NOT_NAMES or w in _NOT_GREETED for w in words)
                or (len(words) == 1 and words[0] not in _ALL_FIRST)
            ):
                continue  # '"Lumen Support" <help@lumen.io>', '"Amazon.com" <...>'
            value = m.group(1).strip(" ")
            start = m.start(1) + m.group(1).index(value)
            if not _a_thing_named(text, value, things):
                out.append(PiiMatch("PERSON", start, start + len(value), value, " ".join(value.split()).casefold()))
        return out

    def _introduced(self, text: str) -> list[PiiMatch]:
        """A writer who introduces themselves by a full name, known given name or not: "I'm Abdulrahman
        Al-Farsi, ...", "this is Chidinma Okafor.", "It's Femi Adebayo again" (not "I'm Locked Out of")."""
        out: list[PiiMatch] = []
        things: dict[str, bool] = {}  # _a_thing_named's verdicts
        low = text.lower()
        h = _needles_in(low)  # (the text's own, kept from the gates: no second pass)
        for intro, intro_lower in _INTROS_LOWER if _may_hold_foreign_intro(low, h) else _INTROS_EN_LOWER:
            if intro_lower not in h:
                continue
            i = text.find(intro)
            while i >= 0:
                pos = i + len(intro)
                while text[pos:pos + 1] == " ":
                    pos += 1
                if not (i and _WORD_CHAR.match(text, i - 1)):  # not inside a word: "Tim Jones", "claim Smith"
                    word = _name_word_at(text, pos)
                    if word is not None:
                        span = self._name_at(text, pos, require_first=True)  # a full name: "I'm Abdulrahman Al-Farsi"
                        if (
                            span is None
                            and word.group() in _ALL_FIRST
                            and word.group() not in BRAND_FIRST_NAMES
                            and _INTRO_ONE_NAME_END.match(text, word.end()) is not None
                        ):
                            span = word.span()  # a given name alone, also a word, as the writer's: "hey it's Grace!"
                        if span is not None and _INTRO_END.match(text, span[1]) is not None:  # not "I'm Locked Out of"
                            value = text[span[0]:span[1]]
                            if not _a_thing_named(text, value, things):  # "It's Smart Plug again"
                                out.append(PiiMatch("PERSON", span[0], span[1], value, value.casefold()))
                    else:
                        # a known given name (none that is also a word) in lower case, with its surnames ("im
                        # rahul verma and ...", "hi this is priya sharma,") or alone where an introduction's name
                        # ends ("im david calling about ...", "this is rahul here", "i am priya.")
                        t = _LOWER_TOKEN.match(text, pos)
                        if t is not None and (
                            t.group() in _FIRST_LOWER
                            # a given name that is also a word, where a name's "from" or "here" follows ("its sofia
                            # from the salon")
                            or (t.group().title() in AMBIGUOUS_FIRST_NAMES and text.startswith((" from ", " here"), t.end()))
                        ):
                            end = _lower_name_end(text, t.end(), NOT_LOWER_SURNAMES)  # not "frederik og mit"
                            if end > t.end() or _INTRO_END.match(text, end) is not None:
                                value = text[t.start():end]
                                out.append(PiiMatch("PERSON", t.start(), end, value, value))
                i = text.find(intro, i + 1)
        return out

    def _answered_names(self, text: str) -> list[PiiMatch]:
        """The name that answers a question for one on the next turn of a conversation (:data:`_NAME_QUESTION`):
        "Agent: Can I get the name on the account?\nCaller: Ruairí Mac Giolla Phádraig - yeah", "Who is the
        policyholder?\n[18:23] user: siddharth iyer". A full name, or a known given name alone, that opens the
        turn after its speaker's label and ends at a comma, a full stop, a dash or the line's end."""
        out: list[PiiMatch] = []
        lower_case = None
        for q in _NAME_QUESTION.finditer(text):
            if not q.group().endswith(("?", "？")):
                # a question without its mark only in a transcript written in lower case
                if lower_case is None:
                    lower_case = text == text.lower()
                if not lower_case:
                    continue
            line_end = text.find("\n", q.end())
            if line_end < 0:
                continue
            end = text.find("\n", line_end + 1)
            end = len(text) if end < 0 else end
            label = _TURN_LABEL.match(text, line_end + 1, end)
            if label is None:
                continue
            pos = label.end()
            if text.startswith(("It's ", "it's ", "Its ", "its ", "I'm ", "im ", "This is ", "this is "), pos):
                pos = text.index(" ", pos) + 1
            lead = _FOREIGN_ANSWER_LEAD.match(text, pos)
            if lead is not None:
                pos = lead.end()  # "é o marcelo souza", "c'est karim", "soy carmen"
            if text[pos:pos + 1].isupper():
                span = self._name_at(text, pos, require_first=False)
                if span is not None and _name_word_at(text, pos) is None:
                    span = None
            else:  # in lower case the name ends where a common word or a spelling starts
                span = _lower_answered_name(text, pos)
                if span is not None and not (_ANSWERED_NAME_END.match(text, span[1]) or text[span[1]:span[1] + 1] == " "):
                    span = None
            if span is None or (text[pos:pos + 1].isupper() and not _ANSWERED_NAME_END.match(text, span[1])):
                continue
            value = text[span[0]:span[1]]
            if " " in value or value in _CLEAR_FIRST or value in _FIRST_LOWER:
                out.append(PiiMatch("PERSON", span[0], span[1], value, value.casefold()))
        return out

    @staticmethod
    def _transcript_names(text: str, low: str) -> list[PiiMatch]:
        """Names in a call's lower-case transcript where the words around them say so, known given name or not:
        an agent's own ("this is jade speaking", "claims deshawn speaking", "youre through to nadia", "vous
        parlez avec geneviève"), one after a title ("is that mrs okafor", "thank you miss delgado", "mister van
        der merwe"), and a nickname ("everyone calls me kimmy", "he goes by bart"). The name is no common
        word (:data:`NOT_LOWER_SURNAMES`). Only in text written all in lower case (``low`` its lower case)."""
        out: list[PiiMatch] = []
        if text != low:
            return out
        for pattern in (_AGENT_INTRO, _AGENT_SPEAKING, _LOWER_TITLED, _NICKNAME, _LOWER_DOCTOR_INTRO):
            for m in pattern.finditer(low):
                name = m.group("name")
                words = name.split()
                if name.endswith(_NOT_A_NAME_ENDINGS) or name in _NOT_AN_AGENT_NAME:
                    continue  # "you're speaking with", "currently speaking"
                if pattern is _LOWER_DOCTOR_INTRO and not _NOT_A_DOCTORS_NAME.isdisjoint(words):
                    continue  # "this is nurse practitioner jones", "it's doctor appointment time"
                if any(w in NOT_LOWER_SURNAMES or w in _SPOKEN_DIGITS for w in words if w not in _NAME_PARTICLES_LOWER):
                    continue
                if pattern is _AGENT_INTRO and m.group("end") in ("\n", "") and not _AGENT_GREETING.search(
                    low, low.rfind("\n", 0, m.start()) + 1, m.start()
                ):
                    continue  # "this is leanne" ending its line only after a greeting or a company's line
                start = m.start("name")
                out.append(PiiMatch("PERSON", start, start + len(name), text[start:start + len(name)], name))
        return out

    def _booked_for(self, text: str) -> list[PiiMatch]:
        """Whom an order, a booking or an account is for or in whose name it is (:data:`_BOOKED_FOR_CUE`), known given
        name or not: a full name that ends its clause (:data:`_BOOKED_NAME_END`), none of its words a thing's; after
        "under" one capitalised word too (a surname: "the reservation is under Kowalski."); in lower case (a call's
        transcript) two words or more, none of them a common word ("and that's for wendell kowalczyk")."""
        out: list[PiiMatch] = []
        things: dict[str, bool] = {}
        low = text.lower()
        cues: Iterable[re.Match[str]]
        if len(low) != len(text):
            cues = _BOOKED_FOR_CUE.finditer(text)
        else:  # only around " for ", " under " and "name on " (the pattern's alternatives at every position: ~60 us a text)
            found_at: dict[int, re.Match[str]] = {}
            for needle in (" for ", " under ", "name on "):
                i = low.find(needle)
                while i >= 0:
                    for m in _BOOKED_FOR_CUE.finditer(text, max(0, i - 40), i + 60):
                        found_at.setdefault(m.start(), m)
                    i = low.find(needle, i + 1)
            cues = [found_at[k] for k in sorted(found_at)]
        for m in cues:
            pos = m.end()
            # a surname alone only in whose name a booking, an order or an account is ("put it under Documents" is a folder)
            under = (m.group(2) is not None or m.group(3) is not None) and _BOOKING_WORD.search(m.group()) is not None
            if m.group(4) is not None:
                if text[pos:pos + 1] == ":" or m.group().rstrip().endswith(":"):
                    continue  # "Name on card: ...": a field, which PiiRedactor._fielded reads
                capitals = _UPPER_NAME_VALUE.match(text, pos)
                if (
                    capitals is not None
                    and _caps_words_name_no_thing(capitals.group())
                    and _FIELD_VALUE_END.match(text, capitals.end()) is not None
                ):  # "exp 02/29 name on card SEAH HUI MIN\n"
                    value = capitals.group()
                    out.append(PiiMatch("PERSON", capitals.start(), capitals.end(), value, value.casefold()))
                    continue
            if text[pos:pos + 1].isupper():
                span = self._name_at(text, pos, require_first=True)
                if span is None:
                    word = _CAPITALISED.match(text, pos)
                    if word is None:
                        continue
                    value = word.group()
                    if not (
                        value in _ALL_FIRST
                        or (under and value.lower() not in COMMON_LOWER_WORDS and value.lower() not in NOT_LOWER_SURNAMES)
                    ) or value in BRAND_FIRST_NAMES or value in _NOT_A_NAME_LEAD:
                        continue
                    span = word.span()
                value = text[span[0]:span[1]]
                words = value.split()
                if any(w in NOT_NAMES or w in _NOT_GREETED or w.rstrip(".") in _COMPANY_WORDS for w in words):
                    continue  # "that's for Lumen Hub", "booked under Acme Ltd"
                if _BOOKED_NAME_END.match(text, span[1]) is None or _a_thing_named(text, value, things):
                    continue
            else:
                span = _lower_answered_name(text, pos)
                if span is None or _BOOKED_NAME_END.match(text, span[1]) is None:
                    continue
                if any(w in _SPOKEN_DIGITS or w in COMMON_LOWER_WORDS for w in text[span[0]:span[1]].split()):
                    continue  # "that's for table five"
                value = text[span[0]:span[1]]
            out.append(PiiMatch("PERSON", span[0], span[1], value, value.casefold()))
        return out

    @staticmethod
    def _asked_for(text: str) -> list[PiiMatch]:
        """Whom to ask for, call for or speak to (:data:`_ASKED_FOR_CUE`: "ask for Roz at the front desk", "hi,
        calling for Teodoro.", "can I speak to Wiremu please"), known given name or not: one capitalised word, no
        common word, desk, department or service (:data:`_NOT_ASKED_FOR`), brand, month or place word, nor used as
        a thing in the text, that a person's word follows (:data:`_ASKED_PERSON_END`: "at the front desk", ", is
        he in?"), that ends the clause after a caller's "hi, calling for" or an "ask for" shortly after seven digits
        or more (a phone's, an address's: "alt 614.684.0521 (work, ask for Roz)"), or a "please" after "can I
        speak to".
        No word list tells a name from a product's there ("ask for Nurofen at the counter", "speak to Spectrum"),
        hence the person's words; nor from a word in lower case ("calling for teodoro", "calling for rain"): those
        are not read."""
        out: list[PiiMatch] = []
        things: dict[str, bool] = {}
        for m in _ASKED_FOR_CUE.finditer(text):
            word = m.group(3)
            if (
                word.lower() in NOT_LOWER_SURNAMES
                or word in _NOT_ASKED_FOR
                or word in NOT_NAMES
                or word in _NOT_GREETED
                or word in BRAND_FIRST_NAMES
                or word in _SERVICE_BRANDS
                or word in _NOT_A_NAME_LEAD
                or word in _COMPANY_WORDS
                or _a_thing_named(text, word, things)
            ):
                continue
            if m.group("ask") is not None:
                # after a phone number or an address, whom to ask for there ("alt 614.684.0521 (work, ask for Roz)")
                before = text[max(0, m.start() - 48):m.start()]
                reached = sum(c.isdigit() for c in before) >= 7  # not an order's number ("Order 55123 - ask for Visa.")
                end = _ASKED_CLAUSE_END if reached else None
            else:
                end = _ASKED_CLAUSE_END if m.group("call") else _ASKED_PLEASE_END
            if _ASKED_PERSON_END.match(text, m.end()) is None and (end is None or end.match(text, m.end()) is None):
                continue  # "ask for Nurofen.", "can I speak to Medicare?": no person's word after it
            out.append(PiiMatch("PERSON", m.start(3), m.end(3), word, word.casefold()))
        return out

    def _lower_titled(self, text: str, needles: AbstractSet[str] | None = None) -> list[PiiMatch]:
        """A name after a title written in lower case, as Czech, Slovak, Polish, Spanish, Portuguese, Italian, Dutch
        and Romanian write it in mid-sentence ("volala paní Nováková", "prosím pana Dvořáka", "listo señor Restrepo",
        "mevrouw Van der Meulen"; "pan" only in a text with a Czech, Slovak or Polish letter: an English "pan" is a
        kitchen's), after "your <driver, courier, cleaner>" (:data:`_SERVICE_ROLE_NAME`), and after whom to ask for or in
        whose name (:data:`_NAMED_AFTER_CUE`). ``needles``: which of :data:`_LOWER_TITLE_NEEDLES` the text holds (each
        pattern runs only where its own words are); None runs them all."""
        out: list[PiiMatch] = []
        titles = needles is None or not needles.isdisjoint(_LOWER_TITLE_WORDS)
        cues = needles is None or not needles.issubset(_LOWER_TITLE_WORDS)
        west_slavic = titles and _WEST_SLAVIC_LETTERS.search(text) is not None
        for m in _LOWER_SLAVIC_TITLE.finditer(text) if titles else ():
            if not west_slavic and m.group().split()[0] in _ASCII_SLAVIC_TITLES:
                continue  # "pan", "pani" in a text without a Czech, Slovak or Polish letter ("a non-stick pan Tefal")
            words = m.group(1).split()
            while words and (words[-1] in NOT_NAMES or words[-1] in _NOT_GREETED):
                words.pop()
            if words:
                value = " ".join(words)  # the words are one space apart
                start = m.start(1)
                out.append(PiiMatch("PERSON", start, start + len(value), value, value.casefold()))
        cue_matches: Iterable[re.Match[str]] = ()
        if cues:
            low = text.lower()
            if needles is None or len(low) != len(text):
                cue_matches = _NAMED_AFTER_CUE.finditer(text)
            else:  # where a cue is (str.find): the pattern's search tries its alternatives at every position
                starts: set[int] = set()
                for needle in needles - _LOWER_TITLE_WORDS:
                    i = low.find(needle)
                    while i >= 0:
                        starts.add(i)
                        i = low.find(needle, i + 1)
                cue_matches = [m for i in sorted(starts) if (m := _NAMED_AFTER_CUE.match(text, i)) is not None]
        if needles is None or not needles.isdisjoint(_SERVICE_ROLE_NEEDLES):
            for m in _SERVICE_ROLE_NAME.finditer(text):
                words = m.group(1).split()
                while words and (words[-1] in NOT_NAMES or words[-1] in _NOT_GREETED or words[-1] in BRAND_FIRST_NAMES):
                    words.pop()
                if not words or words[0] in _SERVICE_BRANDS:
                    continue
                if len(words) == 1 and words[0] not in _ALL_FIRST and not _SERVICE_NAME_END.match(text, m.start(1) + len(words[0])):
                    continue  # one unknown word: a name when the notification goes on as one does ("Abdi is 3 min away")
                if words:
                    value = " ".join(words)
                    out.append(PiiMatch("PERSON", m.start(1), m.start(1) + len(value), value, value.casefold()))
        for m in cue_matches:
            words = m.group(2).split()
            for i, w in enumerate(words):
                if i and len(w) > 1 and w.isupper():
                    words = words[:i]  # "ask Anna UI folks": a name's words are not in capitals
                    break
            cue = m.group(1).lower()
            if cue in _ASK_VERBS and words[0] not in _ALL_FIRST:
                continue  # "ask Faith", "ring Tomasz"; not "tell Amazon", "text Support"
            if any(w in NOT_NAMES or w in _NOT_GREETED or w.rstrip(".") in _COMPANY_WORDS for w in words):
                continue  # "in the name of God", "a.n. PT Maju Jaya", "invoice in the name of Acme Ltd"
            if cue in _ACCOUNT_PHRASES and len(words) == 1 and words[0] not in _ALL_FIRST:
                continue  # one unknown word in whose name an account is: as often a company's
            if words and words[0] not in _OTHER_TITLES and words[0] not in _TITLES:
                value = " ".join(words)
                start = m.start(2)
                out.append(PiiMatch("PERSON", start, start + len(value), value, value.casefold()))
        return out

    def _here_from(self, text: str) -> list[PiiMatch]:
        """A writer who opens with their name and where they are from (:data:`_HERE_FROM`): "Hi team, Harrison here
        from Koala Analytics", "Ngozi Eze here at Lumen". Two capitalised words, one known given name, or one word
        after a greeting's comma; at the start of a line or after a greeting's comma or a sentence."""
        out: list[PiiMatch] = []
        for m in _HERE_FROM.finditer(text):
            value = m.group(1)
            words = value.split(" ")
            if any(w in NOT_NAMES or w in _NOT_GREETED or w in _PLACE_WORDS for w in words):
                continue
            if (
                len(words) == 2
                or words[0] in _ALL_FIRST
                # one word no list knows after a greeting's comma: "Hi team, Harrison here from ..."
                or (text[:m.start(1)].rstrip(" \t").endswith(",") and value.lower() not in COMMON_LOWER_WORDS)
            ):
                out.append(PiiMatch("PERSON", m.start(1), m.end(1), value, value.casefold()))
        return out

    def _lower_case_names(self, text: str, names: set[str] | None = None) -> list[PiiMatch]:
        """Names written in lower case where a cue says they are names: after a greeting or "name"
        (:data:`_LOWER_NAME_CUES`: "hello, james nguyen here", "name james cohen") and at the start of a line
        right before an e-mail address ("hannah martin, hannah.martin@example.com"); only known given names
        that are no words start one (:data:`_FIRST_LOWER`: not "hi there", "name change"). ``names``: the
        text's :func:`_lower_given_names` when the caller has them."""
        # Only the known given names the text holds are looked at, where they stand (~2 us a text without one;
        # finding every cue first cost ~18 us a text with one).
        if names is None:
            names = _lower_given_names(text)
        if not names:
            return []  # every name this finds is a whole word of the text, a known given name in lower case
        starts: set[int] = set()
        for name in names:
            i = text.find(name)
            while i >= 0:
                starts.add(i)
                i = text.find(name, i + 1)
        low: str | None = None
        out: list[PiiMatch] = []
        for pos in sorted(starts):
            t = _LOWER_TOKEN.match(text, pos)
            if t is None or t.group() not in _FIRST_LOWER:
                continue
            before = text[pos - 1:pos]
            if before and before not in " \t\n\r,.!?;:(/":
                continue  # inside a word: "amaria"
            if low is None:
                low = text.lower()
                if len(low) != len(text):
                    low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)  # "İ": offsets must hold
            cued = _lower_cue_ends_at(low, pos)
            after_is = pos >= 3 and text[pos - 3:pos] == "is " and not (pos > 3 and _WORD_CHAR.match(text, pos - 4))
            after_comma = text[pos - 2:pos] == ", "
            line = "@" in text and not text[text.rfind("\n", 0, pos) + 1:pos].strip(" \t")
            here = text.startswith(" here", t.end())
            if not (cued or after_is or after_comma or line or here):
                continue
            if t.group() in _NATO_NAMES and (
                _NATO_WORD.search(low, max(0, pos - 30), pos) or _NATO_WORD.search(low, t.end(), t.end() + 30)
            ):
                continue  # spelling a reference: "sure, victor, kilo, oscar, then 2 8 3"
            end = _lower_name_end(text, t.end(), NOT_LOWER_SURNAMES)
            if (
                not cued
                and not (after_is and _INTRO_END.match(text, end) is not None)
                and not (after_comma and _ADDRESSED_END.match(text, end) is not None)
                and not here
                and not (line and end > t.end() and _EMAIL_NEXT.match(text, end) is not None)
            ):
                continue  # a line's start: only a full name right before an e-mail address
            if end > t.end() and _INTRO_END.match(text, end) is None and _EMAIL_NEXT.match(text, end) is None:
                end = _LOWER_SURNAME.match(text, t.end()).end()  # one surname where the name does not end there:
                # "my partner agnieszka kowalczyk placed the order" (NOT_LOWER_SURNAMES keeps "sarah wants a refund")
            value = text[t.start():end]
            out.append(PiiMatch("PERSON", t.start(), end, value, value))
        return out

    def _surname_first(self, text: str) -> list[PiiMatch]:
        """Vietnamese names, family name first (:data:`_SURNAME_FIRST_NAME`), whose words after the family name
        are no known non-names ("Nguyen Support Team" is not one), and Korean ones ("Lee Seo-yeon",
        :data:`_KOREAN_NAME`)."""
        out = [PiiMatch("PERSON", m.start(), m.end(), m.group(), m.group().casefold()) for m in _KOREAN_NAME.finditer(text)]
        out += [
            PiiMatch("PERSON", m.start(), m.end(), m.group(), m.group().casefold())
            for m in _JAPANESE_NAME.finditer(text)
            if m.group(2) in _ALL_FIRST and m.group(2) not in NOT_NAMES  # "Yamamoto Ayumi", not "Suzuki Swift"
        ]
        for m in _SURNAME_FIRST_NAME.finditer(text):
            words = m.group().split(" ")
            keep = 1
            while keep < len(words) and (words[keep] not in NOT_NAMES or words[keep] in _ALL_FIRST) and words[keep] not in _NOT_GREETED:
                keep += 1
            if keep > 1:
                value = " ".join(words[:keep])
                out.append(PiiMatch("PERSON", m.start(), m.start() + len(value), value, value.casefold()))
        return out

    def _speakers(self, text: str) -> list[PiiMatch]:
        """Speakers of a chat export or a dated note (:data:`_SPEAKER`), unless their name is a role, a system or
        a thing ("[09:14] Agent:", "[12:01] Cliente:", "26/12/2024, 3:56 PM - Lumen Support:"); after a role, the
        name alone ("[08:04] Consultant Thandiwe:")."""
        out: list[PiiMatch] = []
        for m in _SPEAKER.finditer(text):
            value = m.group(1)
            if value.islower() and (
                value.split(" ", 1)[0] not in _FIRST_LOWER or not text[m.start():m.start(1)].rstrip(" ").endswith("]")
            ):
                continue  # "[09:14] system: ...", "[10:02] note: ..."; in lower case only after a bracketed time
            words = value.split(" ")
            start = m.start(1)
            if words[0].lower() in _SPEAKER_ROLES:
                if len(words) == 1 or words[0].lower() not in _SPEAKER_NAME_ROLES:
                    continue  # "[12:01] Cliente:", a role and no one's name
                # "[08:04] Consultant Thandiwe:": the name after the role
                start += len(words[0]) + 1
                value = value[len(words[0]) + 1:]
                words = words[1:]
            if any(w in NOT_NAMES or w in _NOT_GREETED for w in words):
                continue
            out.append(PiiMatch("PERSON", start, m.end(1), value, value.casefold()))
        return out

    def _transcript_speakers(self, text: str) -> list[PiiMatch]:
        """Speakers of a chat transcript without timestamps (:data:`_LABEL_LINE`): where the text has two labelled
        lines or more and one of its labels is a role (:data:`_SPEAKER_ROLES`: "user:", "Customer:") or a known
        given name, the labels that are a name: a known given name in any case ("tom:", "Alina:"), or after a
        role ("agent Ravi:"); a capitalised word no list knows ("Chidera:") only when it is no form's label
        (:data:`_NOT_SPEAKER_LABELS`), no word of a thing and not used as a thing in the text, and only in a text
        none of whose labels is a form's or a log's ("Error: ...\nuser: ...\nKubernetes: restarted")."""
        labels = [m for m in _LABEL_LINE.finditer(text) if not _BOT_PERSONA.search(m.group())]
        if len(labels) < 2:
            return []
        evidence = False
        form = False  # a label of a form or a log among them: no unknown word is taken for a speaker
        for m in labels:
            word = m.group(2)
            low = word.lower()
            if low in _SPEAKER_ROLES or word in _CLEAR_FIRST or low in _FIRST_LOWER or m.group(1) in _CLEAR_FIRST:
                evidence = True
            elif low in _NOT_SPEAKER_LABELS:
                form = True
        if not evidence:
            return []
        out: list[PiiMatch] = []
        things: dict[str, bool] = {}
        for m in labels:
            role, word = m.group(1), m.group(2)
            if role is not None and role.lower() not in _SPEAKER_NAME_ROLES:
                # a given name and a surname ("Giorgio Moretti: I moved ..."), not "Order status:", "Next step:"
                if (
                    role in _ALL_FIRST
                    and role not in NOT_NAMES
                    and word[0].isupper()
                    and word[1:].islower()
                    and word not in NOT_NAMES
                    and word not in _NOT_GREETED
                ):
                    value = f"{role} {word}"
                    out.append(PiiMatch("PERSON", m.start(1), m.end(2), value, value.casefold()))
                continue
            low = word.lower()
            if low in _SPEAKER_ROLES or low in _NOT_SPEAKER_LABELS:
                continue
            if word.islower():
                if low not in _FIRST_LOWER:
                    continue  # "tom:" is a speaker, "note:" or "edit:" no one
            elif not (word[0].isupper() and (len(word) == 1 or word[1:].islower())):
                continue  # "ERROR:", "McAfee:" (names in capitals or with a capital inside are left to others)
            elif word in AMBIGUOUS_FIRST_NAMES:
                if word in _MONTH_NAMES or word in BRAND_FIRST_NAMES:
                    continue  # "May:", "Tesla:"
            elif word not in _CLEAR_FIRST and role is None:
                if (
                    form
                    or len(word) < 3
                    or word in NOT_NAMES
                    or word in _NOT_GREETED
                    or low in COMMON_LOWER_WORDS
                    or _a_thing_named(text, word, things)
                ):
                    continue
            elif word in NOT_NAMES and word not in _ALL_FIRST:
                continue  # (an ambiguous given name as a speaker's label is one: "Will: Hi, I'm Will")
            out.append(PiiMatch("PERSON", m.start(2), m.end(2), word, word.casefold()))
        return out

    def _vcard(self, text: str) -> list[PiiMatch]:
        """The name fields of a vCard ("FN:Yanis Rousseau", "N:Rousseau;Yanis;;;"): each part a person's, in a text
        that opens a card ("BEGIN:VCARD")."""
        out: list[PiiMatch] = []
        if "BEGIN:VCARD" not in text.upper():
            return out
        for m in _VCARD_NAME.finditer(text):
            start = m.start(2)
            for part in m.group(2).split(";")[:3] if m.group(1).upper() == "N" else [m.group(2)]:
                value = part.strip()
                if value and _KEYED_NAME_WORD.fullmatch(value.split()[0]):
                    at = text.index(value, start)
                    out.append(PiiMatch("PERSON", at, at + len(value), value, " ".join(value.split()).casefold()))
                start += len(part) + 1
        return out

    def _double_initialled(self, text: str) -> list[PiiMatch]:
        """Two initials and a surname anywhere ("K.L. Nakamura took over", "one under A.V. Menon"): no cue needed,
        a surname after two initials is a person's unless the initials are an abbreviation (:data:`_NOT_DOUBLE_INITIALS`,
        "U.S. Bank", "P.S. Thanks", "9 A.M. Tuesday") or the word after them no surname (see _initialled_name_end)."""
        out: list[PiiMatch] = []
        for m in _DOUBLE_INITIALS.finditer(text):
            if m.group().replace(" ", "") in _NOT_DOUBLE_INITIALS:
                continue
            end = self._initialled_name_end(text, m.start())
            if end is not None:
                value = text[m.start():end]
                out.append(PiiMatch("PERSON", m.start(), end, value, value.casefold()))
        return out

    def _tables(self, text: str) -> list[PiiMatch]:
        """PII in the cells of a pasted table whose header names their column (:func:`tables.typed_cells`: CSV, TSV,
        Markdown, SQL inserts), each value checked for its type: a card number by Luhn, an SSN by its ranges, a
        phone by its digits, a name by its words (no digit, no thing's word), an address by a number and a word."""
        out: list[PiiMatch] = []
        types = self.types
        for kind, start, end in typed_cells(text):
            if kind not in types:
                continue
            value = text[start:end]
            if "<" in value and PLACEHOLDER.search(value):
                continue  # a cell redacted before ("<ADDRESS_1>"): the final check re-reads redacted tables
            if kind == "PERSON":
                words = value.replace(",", " ").split()
                if not 1 <= len(words) <= 5:
                    continue
                if not all(_KEYED_NAME_WORD.fullmatch(w) for w in words):
                    if _script_name_cell(words):  # "司马浩然", "ณัฐวุฒิ วงศ์ใหญ่", "Гнатюк Мирослава"
                        out.append(PiiMatch("PERSON", start, end, value, " ".join(words).casefold()))
                    continue
                titled = [w.capitalize() if w.isupper() or w.islower() else w for w in words]
                if any((w in NOT_NAMES and w not in _ALL_FIRST) or w in _NOT_GREETED for w in titled):
                    continue
                out.append(PiiMatch("PERSON", start, end, value, " ".join(words).casefold()))
                continue
            if kind == "US_SSN" or kind == "CREDIT_CARD":
                digits = value.replace(" ", "").replace("-", "")
                if not digits.isdigit():
                    continue
                if kind == "US_SSN" and (len(digits) != 9 or not ssn_valid(digits[:3], digits[3:5], digits[5:])):
                    continue
                if kind == "CREDIT_CARD" and (not 13 <= len(digits) <= 19 or not luhn_valid(digits)):
                    continue
                # keyed by its digits, as _ssns and _cards key them: the same number in prose shares its placeholder
                out.append(PiiMatch(kind, start, end, value, digits))
                continue
            elif kind == "PHONE":
                if _TABLE_PHONE.fullmatch(value) is None or not 7 <= sum(c.isdigit() for c in value) <= 15:
                    continue
            elif kind == "ADDRESS":
                if len(value) > 200 or not any(c.isdigit() for c in value) or not any(c.isalpha() for c in value):
                    continue
            elif kind == "CREDENTIALS" and (len(value) < 4 or " " in value.strip()):
                continue
            out.append(PiiMatch(kind, start, end, value, value))
        return out

    def _dash_signed(self, text: str) -> list[PiiMatch]:
        """A name signed after a dash (:data:`_DASH_SIGNATURE`): a known given name, alone or with a surname, or
        two name words; not a bullet of a list ("- Done", "- Support Team")."""
        out: list[PiiMatch] = []
        for m in _DASH_SIGNATURE.finditer(text):
            if not _dash_opens_a_signature(text, m.start()):
                continue
            value = m.group(1)
            if value.islower():
                if value in _FIRST_LOWER and value.title() not in AMBIGUOUS_FIRST_NAMES:  # "- deb"
                    out.append(PiiMatch("PERSON", m.start(1), m.end(1), value, value.casefold()))
                continue
            words = value.split(" ")
            if any(w in NOT_NAMES and w not in _ALL_FIRST or w in _NOT_GREETED for w in words):
                continue
            if words[0] in _ALL_FIRST or len(words) == 2 or _signs_the_text(text, m):
                out.append(PiiMatch("PERSON", m.start(1), m.end(1), value, value.casefold()))
        return out

    @staticmethod
    def _closing_names(text: str, names: Iterable[str] | None = None) -> list[PiiMatch]:
        """A writer's given name closing a message without a sign-off: the last word of a line after the end of
        a sentence ("... pls help. zainab", "... my card!! kevin") or alone on its line after a blank one
        ("please call after 3\n\ngary"); only a known given name that is no word (not "Will", "Grace").
        ``names``: the words of the text that may be one (its capitalised words and :func:`_lower_given_names`),
        when the caller has them; only where those stand is looked at."""
        if names is None:
            names = _LETTER_RUN.findall(text)
        out: list[PiiMatch] = []
        for word in _CLOSING_NAMES.intersection(names):
            size = len(word)
            i = text.find(word)
            while i >= 0:
                end = i + size
                after = end
                while text[after:after + 1] in (" ", "\t"):
                    after += 1
                # a whole word that ends its line (spaces and tabs aside)
                if (not i or text[i - 1] in " \t\n") and (after == len(text) or text[after] == "\n"):
                    line_start = text.rfind("\n", 0, i) + 1
                    if _CLOSING_TAIL.search(text, max(line_start, i - 40), end) is not None or (
                        not text[line_start:i].strip(" \t")
                        and line_start >= 2
                        and not text[text.rfind("\n", 0, line_start - 1) + 1:line_start - 1].strip(" \t")
                        and text.rfind("\n", 0, line_start - 1) >= 0
                    ):
                        out.append(PiiMatch("PERSON", i, end, word, word.casefold()))
                i = text.find(word, end)
        return sorted(out, key=lambda m: m.start)

    def _keyed(self, text: str) -> list[PiiMatch]:
        """People in pasted data (:data:`_KEYED_NAME`, :data:`_YAML_NAME`): a value of one to four name words, none
        of them a thing's word; under a bare "name" key (products have names too: '"name": "Premium Plan"') only a
        value whose first word is a known given name, in any case."""
        out: list[PiiMatch] = []
        for m in [*_KEYED_NAME.finditer(text), *_YAML_NAME.finditer(text)]:
            value = m.group(2).strip()
            words = value.replace(",", " ").split()
            if not 1 <= len(words) <= 4 or not all(_KEYED_NAME_WORD.fullmatch(w) for w in words):
                continue
            titled = [w.capitalize() if w.isupper() or w.islower() else w for w in words]
            if any(w in NOT_NAMES or w in _NOT_GREETED for w in titled):
                continue
            key = m.group(1).lower()
            generic = key in _GENERIC_NAME_KEYS or (
                # "family" or "given" alone are a font's or a thing's as often ('"family": "Open Sans"'); with the
                # other key beside them they are the parts of a name
                key in ("family", "given") and ("given" if key == "family" else "family") not in text.lower()
            )
            if (
                generic
                and titled[0] not in _ALL_FIRST
                and not (len(words) >= 2 and len(words[0].rstrip(".")) == 1)  # an initial: 'name="T MATSUMOTO"'
            ):
                continue
            start = m.start(2) + m.group(2).index(value)
            out.append(PiiMatch("PERSON", start, start + len(value), value, " ".join(value.split()).casefold()))
        return out

    def _mentioned(self, text: str) -> list[PiiMatch]:
        """A person named in prose after :data:`_MENTION_CUES`, known given name or not: "Ticket submitted by
        Chukwuemeka Obi on Monday", "I spoke with Folasade Adeyemi", "Spoke to agent Chukwuemeka, no help"."""
        out: list[PiiMatch] = []
        things: dict[str, bool] = {}  # _a_thing_named's verdicts
        low = text.lower()
        h = _needles_in(low)  # (the text's own, kept from the gates: no second pass)
        groups = _MENTION_WORDS.items()
        starts: list[tuple[int, int]] = []  # (where a cue starts, where the name after it may start)
        for cue in (cue for word, cues in groups if word != "my " and word in h for cue in cues):
            i = text.find(cue)
            while i >= 0:
                starts.append((i, i + len(cue)))
                i = text.find(cue, i + 1)
        family: set[int] = set()  # where the name after a relative's word may start: one word is enough there
        if len(low) == len(text):  # the people around the writer, where the pattern finds them (not a find per form)
            for m in _MY_PEOPLE.finditer(low):
                starts.append((m.start(), m.end()))
                if m.group(1) in _FAMILY_WORDS:
                    family.add(m.end())
        else:
            for cue in _MENTION_WORDS["my "] if _MY_PEOPLE.search(low) else ():
                i = text.find(cue)
                while i >= 0:
                    starts.append((i, i + len(cue)))
                    i = text.find(cue, i + 1)
        if _may_hold_more_mention(low, h):
            starts += [(m.start(), m.end()) for m in _MENTION_CUE_MORE.finditer(text)]
        if _may_hold_role_cue(low, h):
            starts += [(m.start(), m.end()) for m in _ROLE_CUE.finditer(text)]
        for i, pos in starts:
            if not (i and _WORD_CHAR.match(text, i - 1)):  # "outspoke to" is no cue
                role = _ROLE_WORD.match(text, pos, pos + 24)
                after_role = role is not None and role.group(1).lower() in _ROLES
                if after_role:
                    pos = role.end()
                initialled = self._initialled_name_end(text, pos) if text[pos + 1:pos + 2] == "." else None
                if initialled is not None:  # "took over from M.V. Ramsey"
                    if _MENTION_END.match(text, initialled) is not None:
                        out.append(PiiMatch("PERSON", pos, initialled, text[pos:initialled], text[pos:initialled].casefold()))
                elif _name_word_at(text, pos) is not None:
                    # "my wife Bernadette may answer", "her nephew Terrell": a relative's given name alone
                    span = self._name_at(text, pos, require_first=not after_role and pos not in family)
                    if (
                        span is not None and pos in family and " " not in text[span[0]:span[1]]
                        and text[span[0]:span[1]] not in _ALL_FIRST and not _RELATIVE_NAME_END.match(text, span[1])
                    ):
                        span = None  # "my son Mac Book", "my sister Monzo app": one word no given name, before a noun
                    if span is not None and _MENTION_END.match(text, span[1]) is not None:
                        value = text[span[0]:span[1]]
                        if not _a_thing_named(text, value, things):  # "submitted by Lumen Hub"
                            out.append(PiiMatch("PERSON", span[0], span[1], value, value.casefold()))
        return out

    def _fielded(self, text: str) -> list[PiiMatch]:
        """A person named in a form, CRM or ticket field (:data:`_FIELD_LABELS`: "Customer: Thanh Huong Le",
        "| Cardholder: Kavya Nair |") when the value is a name that ends the field; one word only when it is a
        known given name ("Customer: Where is my order?" opens an utterance of a chat transcript)."""
        out: list[PiiMatch] = []
        things: dict[str, bool] = {}  # _a_thing_named's verdicts
        for m in _FIELD_COLON.finditer(text):
            pos = m.start()
            # A label is short: the field's start is looked for in the 64 characters before the colon only (on a
            # long line of colons a search back to the line's start each time took seconds).
            window = max(0, pos - 64)
            sentence = text.rfind(". ", window, pos)  # after a sentence: "Callback requested. Name: Lan McCarthy"
            field = text.rfind(": ", window, pos)  # after another field: "Payment details: Account name: ..."
            field_start = max(
                text.rfind("\n", window, pos), text.rfind("|", window, pos), text.rfind(";", window, pos), text.rfind("\t", window, pos),
                sentence + 1 if sentence >= 0 else -1, field + 1 if field >= 0 else -1,
            ) + 1
            if not field_start and window:
                continue  # no field starts within 64 characters: no label
            label = text[field_start:pos].rstrip(" \t")
            if label.endswith("."):
                label = label[:-1]
            label = label.strip(" \t").lower()
            if "_" in label:  # "cardholder_name:", "co_signer:" in a form's or a log's keys
                label = label.replace("_", " ")
            if " – " in label or " - " in label:  # "Onboarding checklist – New hire:"
                label = label.replace(" – ", " - ").rpartition(" - ")[2]
            if label.endswith(")") and "(" in label:  # "Name (as in NRIC):", "Applicant (primary):"
                label = label[:label.rindex("(")].rstrip()
            if (
                label not in _FIELD_LABEL_SET
                and _LABEL_NUMBER.sub("", label) not in _FIELD_LABEL_SET
                and not label.startswith("name on ")  # "Name on payment method:", "Name on licence:"
                and label not in _REGISTER_ONLY_LABELS
                and label not in _CAPS_NAME_LABELS
            ):
                continue
            initialled = self._initialled_name_end(text, m.end()) if _INITIALS.match(text, m.end()) else None
            if initialled is not None:  # "Agent: K. Osei", "Recipient: L. Fitzgerald, Apt 3R"
                if _FIELD_VALUE_END.match(text, initialled) is not None:
                    start = m.end()
                    if text.startswith(("M. ", "D. "), start) and text.count(" ", start, initialled) >= 2:
                        start += 3  # "Assuré : M. Olivier Lefèvre", "Asegurado: D. Javier Montes": a title, no initial
                    value = text[start:initialled]
                    out.append(PiiMatch("PERSON", start, initialled, value, value.casefold()))
                continue
            bare = _UPPER_INITIALLED_NAME.match(text, m.end()) if text[m.end() + 1:m.end() + 2] == " " else None
            if bare is not None and _bare_initialled_name(text, bare, label):
                # "Name: S DESHPANDE", "Signed: R K SHARMA", "CUSTOMER: M DELA CRUZ": initials without their full stops
                value = bare.group()
                out.append(PiiMatch("PERSON", bare.start(), bare.end(), value, value.casefold()))
                continue
            inverted = _SURNAME_COMMA_GIVEN.match(text, m.end()) if label in _REGISTER_LABELS else None
            if (
                inverted is not None
                and inverted.group(2).split()[0] in _ALL_FIRST
                and inverted.group(1) not in NOT_NAMES
                and inverted.group(1) not in _ALL_FIRST
                and _FIELD_VALUE_END.match(text, inverted.end()) is not None
            ):  # "Employee: Delgado, Ricardo A.", "Name: Oliveira, Gabriel": the surname first, as a register has it
                value = inverted.group()
                out.append(PiiMatch("PERSON", inverted.start(), inverted.end(), value, value.casefold()))
                continue
            shouted = _SURNAME_COMMA_GIVEN_UPPER.match(text, m.end()) if label in _REGISTER_LABELS else None
            if (
                shouted is not None
                and shouted.group(2).split()[0] in _UPPER_FIRST
                and shouted.group(1) not in _UPPER_FIRST
                and _FIELD_VALUE_END.match(text, shouted.end()) is not None
            ):  # "Employee Name: KOWALCZYK, BRIAN T.": the same in capitals, as a payroll export writes it
                value = shouted.group()
                out.append(PiiMatch("PERSON", shouted.start(), shouted.end(), value, value.casefold()))
                continue
            slashed = _SLASHED_NAME_UPPER.match(text, m.end())
            if (
                slashed is not None
                and _caps_words_name_no_thing(slashed.group().replace("/", " "))
                and _FIELD_VALUE_END.match(text, slashed.end()) is not None
            ):  # "RENTER: ABERNATHY/TYRELL", "Passenger: KOWALSKA/ANNA MRS": the airline's SURNAME/GIVEN
                value = slashed.group()
                out.append(PiiMatch("PERSON", slashed.start(), slashed.end(), value, value.casefold()))
                continue
            if label in _REGISTER_ONLY_LABELS:
                continue  # "Mitarbeiter: Guten Tag Frau Lorenz": a chat's speaker as often; only "Surname, Given" counts
            family = _CAPS_SURNAME_THEN_GIVEN.match(text, m.end()) if label in _REGISTER_LABELS else None
            if family is not None and _caps_surname_then_given(family) and _FIELD_VALUE_END.match(text, family.end()):
                # "Name: NGUYEN Van An", "Nom : DUPONT Marie": the family name in capitals, the given names after it
                start = family.start(1)
                value = text[start:family.end()]
                out.append(PiiMatch("PERSON", start, family.end(), value, value.casefold()))
                continue
            capitals = _UPPER_NAME_VALUE.match(text, m.end())
            if (
                capitals is not None
                and any(w in _UPPER_FIRST for w in capitals.group().split())
                and not any(w in ACRONYMS or w.title() in NOT_NAMES for w in capitals.group().split())
                and _FIELD_VALUE_END.match(text, capitals.end()) is not None
            ):  # "Applicant: BRENNAN PRUITT", "Ospite 1: PELLEGRINI TOMMASO,": a name in capitals, either order
                value = capitals.group()
                out.append(PiiMatch("PERSON", capitals.start(), capitals.end(), value, value.casefold()))
                continue
            if (
                capitals is not None
                and _LABEL_NUMBER.sub("", label) in _CAPS_NAME_LABELS
                and _caps_words_name_no_thing(capitals.group())
                and _FIELD_VALUE_END.match(text, capitals.end()) is not None
            ):  # "ADDL DRIVER: MIREYA WHITAKER", "Applicant: BRENNAN PRUITT   SSN:": under a label no speaker has
                value = capitals.group()
                out.append(PiiMatch("PERSON", capitals.start(), capitals.end(), value, value.casefold()))
                continue
            word = _CAPITALISED.match(text, m.end())
            if word is None or word.group() in NOT_NAMES or word.group() in _NOT_GREETED or word.group() in _GREETING_OPENERS:
                continue  # "Kunde: Guten Morgen", "Asiakas: Hei Minna": a speaker's greeting
            one_word = label in _ONE_WORD_NAME_LABELS  # "Preferred name: Zee": a name of one word, known or not
            span = self._name_at(text, m.end(), require_first=not one_word and word.group() not in _ALL_FIRST)
            if span is None or _FIELD_VALUE_END.match(text, span[1]) is None:
                continue  # "Customer: Where is my order?", "Customer: Acme Corp": a sentence, a company
            value = text[span[0]:span[1]]
            if label in _SPEAKER_FIELD_LABELS and _ALL_FIRST.isdisjoint(value.split()):
                continue  # "Cliente: Quiero Saber", "Cliente: Telefónica Móviles": a speaker's words, a company
            if not _a_thing_named(text, value, things):  # "Customer: Never Mind", "Customer: Lumen Hub"
                out.append(PiiMatch("PERSON", span[0], span[1], value, value.casefold()))
        if ("From:" in text or "To:" in text) and ("cc" in text or "Cc" in text or "CC" in text):
            out += self._copied(text, things)
        return out

    @staticmethod
    def _script_fielded(text: str) -> list[PiiMatch]:
        """A name written in a script other than Latin as a field's value: after a label for a name in any
        language ("姓名：王晓明", "민원인: 김민준", "שם: יעל כהן-לוי", "ФИО: ...", "Name on payment method: 月野 さくら") or
        after a person's label (:data:`_FIELD_LABELS`, :data:`_SCRIPT_PERSON_LABELS`: "Клиент: Соколов Дмитрий
        Андреевич", "Customer: Георги Иванов Петров"). The value ends the field; in a script with capitals every
        word is capitalised and one word alone needs a name's label; Chinese, Japanese and Korean names are two to
        four characters, or two words."""
        out: list[PiiMatch] = []
        for m in _SCRIPT_FIELD.finditer(text):
            if _LATIN_LETTER.match(text, m.end()) is not None:
                continue
            pos = m.start()
            window = max(0, pos - 48)
            sentence = text.rfind(". ", window, pos)  # after a sentence: "... №132. Одержувач: Ярослав Кравчук"
            field_start = max(
                text.rfind("\n", window, pos), text.rfind("|", window, pos), text.rfind(";", window, pos),
                text.rfind("\t", window, pos), text.rfind("，", window, pos), text.rfind("  ", window, pos),
                text.rfind("。", window, pos), sentence + 1 if sentence >= 0 else -1,
            ) + 1
            label = text[field_start:pos].strip(" \t\"'").lower()
            if label.endswith(")") and "(" in label:
                label = label[:label.rindex("(")].rstrip()
            if " – " in label or " - " in label:
                label = label.replace(" – ", " - ").rpartition(" - ")[2]
            names_it = label in _SCRIPT_NAME_LABELS or label.startswith("name on ") or label.endswith(_SCRIPT_NAME_LABEL_ENDS)
            if not names_it and label not in _FIELD_LABEL_SET and label not in _SCRIPT_PERSON_LABELS:
                continue
            value = _SCRIPT_NAME_VALUE.match(text, m.end())
            if value is None or _SCRIPT_VALUE_END.match(text, value.end()) is None:
                continue
            words = value.group().split()
            if len(words) > 1 and words[-1] in _SCRIPT_HONORIFICS:  # "松本 千尋 様": the name without its honorific
                value = _SCRIPT_NAME_VALUE.match(text, m.end(), value.end() - len(words[-1]) - 1)
                words = words[:-1]
            if words[0] in _GREETING_OPENERS:
                continue  # "Клієнт: Добрий день": a speaker's greeting
            first = words[0][0]
            if first.upper() != first.lower():  # a script with capitals: Cyrillic, Greek, Armenian
                if not all(w[0].isupper() and not w.isupper() for w in words) or (len(words) == 1 and not names_it):
                    continue
            elif _IDEOGRAPHIC.match(first) is not None:  # Chinese, Japanese, Korean
                if not (len(words) == 2 or (len(words) == 1 and 2 <= len(words[0]) <= 4)):
                    continue
            elif len(words) == 1 and not names_it:  # Hebrew, Arabic, Indic and other scripts without capitals
                continue
            out.append(PiiMatch("PERSON", value.start(), value.end(), value.group(), value.group().casefold()))
        return out

    @staticmethod
    def _foreign_greeted(text: str) -> list[PiiMatch]:
        """Names that a greeting of another language addresses at a line's start ("Hei Sunniva!", "Che Facu,",
        "Querida Ana,", "Привет, Дима!", "Kia ora Mere,"), a chat line's timestamp and speaker before it or not: one
        to three capitalised words that end the greeting (a comma, "!" or the line's end), no known non-name."""
        out: list[PiiMatch] = []
        for m in _FOREIGN_GREETING.finditer(text):
            value = m.group("name")
            words = value.split()
            if any(
                w in NOT_NAMES or w in _NOT_GREETED or w in _OTHER_TITLES or w.lower() in _GREETED_GROUPS or w.isupper()
                or w in _GREETING_OPENERS or w.lower() in _TIMES_OF_DAY  # "Buenas Tardes", "Hei Hei", "Selamat Pagi"
                or w.lower().endswith(_NOUN_ENDINGS)  # "Liebe Personalabteilung", "Estimada Dirección"
                for w in words
            ):  # "HOLA, TE AYUDO" is shouted prose
                continue
            out.append(PiiMatch("PERSON", m.start("name"), m.end("name"), value, value.casefold()))
        return out

    @staticmethod
    def _script_intros(text: str) -> list[PiiMatch]:
        """A writer or caller introducing themselves in a script other than Latin (:data:`_SCRIPT_INTRO`: "मेरा नाम राहुल
        शर्मा है", "मैं प्रिया बोल रही हूँ", "我是林美玲", "我叫张伟", "担当の中村でございます", "高橋 由美です", "저는 김민준입니다",
        "أنا منى", "меня зовут Ирина", "שמי נועה ברק"; not Hebrew's "אני", which opens a verb as often): the name between the phrase's parts, one to three words (two to
        four characters in Chinese and Japanese), none a word of the roles and fields these texts use."""
        out: list[PiiMatch] = []
        for pattern in _SCRIPT_INTRO:
            for m in pattern.finditer(text):
                value = m.group("name")
                if value in _SCRIPT_NOT_SPEAKERS or value.lower() in _SCRIPT_NOT_SPEAKERS:
                    continue
                out.append(PiiMatch("PERSON", m.start("name"), m.end("name"), value, value.casefold()))
        return out

    @staticmethod
    def _role_named_speakers(text: str) -> list[PiiMatch]:
        """The name after a chat speaker's role in any language, a "[Chat]" tag before it or not ("[Chat] Mitarbeiterin
        Jana:", "[Чат] Оператор Анастасия:", "[محادثة] الموظفة ريم:", "[상담 채팅] 상담원 이서연:", "[在线客服] 客服李婷：",
        "オペレーター山本：", "Atendente Thiago:"): one or two words, capitalised in a script with capitals, two to four
        characters in Chinese, Japanese and Korean."""
        out: list[PiiMatch] = []
        for m in _ROLE_NAMED_SPEAKER.finditer(text):
            value = m.group("name")
            words = value.split()
            first = words[0][0]
            if _LATIN_LETTER.match(first) is not None:
                if words[0] not in _ALL_FIRST or words[0] in NOT_NAMES:
                    continue  # "Agent Status:", "Agente Virtual:": in Latin letters a known given name only
                if len(words) == 2 and (words[1] in NOT_NAMES or not words[1][:1].isupper()):
                    words = words[:1]
                    value = words[0]
            elif first.upper() != first.lower():
                if not all(w[0].isupper() and not w.isupper() for w in words) or words[0] in NOT_NAMES:
                    continue
            elif _IDEOGRAPHIC.match(first) is not None and not (len(words) == 2 or 2 <= len(words[0]) <= 4):
                continue
            if value.lower() in _SCRIPT_NOT_SPEAKERS:
                continue
            start = m.start("name")
            out.append(PiiMatch("PERSON", start, start + len(value), value, value.casefold()))
        return out

    @staticmethod
    def _script_speakers(text: str) -> list[PiiMatch]:
        """The speakers of a chat export written in a script other than Latin: the label that opens two lines or
        more ("김서연: 오빠 나 이사했어", "佐藤 健太: 明日の荷物", "王丽娟：李明，...", "Μαρία Κωνσταντίνου: Νίκο, ...", "יעל כהן:
        היי"), after a timestamp or not, and a Telegram export's "Екатерина Смирнова, [05.03.2024 19:22]". A label is
        a name when it is one to three words of one script that are no role or field (:data:`_SCRIPT_NOT_SPEAKERS`:
        "상담원", "お客様", "地址", "Оператор"); in a script with capitals each word is capitalised; in Chinese,
        Japanese and Korean a name is two to four characters, or two words."""
        labels = [m for m in _SCRIPT_SPEAKER_LINE.finditer(text)]
        if len(labels) < 2:
            return []
        names = [m.group("name") for m in labels]
        distinct = set(names)
        # a chat has two or three speakers, and one of them speaks twice, or each line has its time; a form has
        # more fields, each once
        if len(distinct) > 3 or (len(distinct) == 3 and len(names) == 3 and not labels[0].group("time")):
            return []
        for value in distinct:
            low = value.lower()
            if (
                low in _SCRIPT_NOT_SPEAKERS or low in _SCRIPT_NAME_LABELS or low in _SCRIPT_PERSON_LABELS
                or value.endswith(_SCRIPT_LABEL_ENDINGS)
            ):
                return []  # a form's fields ("민원인: 김민준\n연락처: ..."), or a transcript whose speakers are roles
        out: list[PiiMatch] = []
        for m in labels:
            value = m.group("name")
            words = value.split()
            if words[0] in _SCRIPT_NOT_SPEAKERS or len(value) > 24:
                continue
            first = words[0][0]
            if first.upper() != first.lower():
                if not all(w[0].isupper() and not w.isupper() for w in words) or value.lower() in _SCRIPT_NOT_SPEAKERS:
                    continue
            elif _IDEOGRAPHIC.match(first) is not None:
                if not (len(words) == 2 or (len(words) == 1 and 2 <= len(words[0]) <= 4)):
                    continue
            out.append(PiiMatch("PERSON", m.start("name"), m.end("name"), value, value.casefold()))
        return out

    @staticmethod
    def _signed_off(text: str) -> list[PiiMatch]:
        """The writer's name after a sign-off of another language (:data:`_SIGN_OFF_PHRASES`: "Mit freundlichen
        Grüßen\nJörg Schäfer-Bredow", "З повагою, Олена Коваленко", "Kveðja, Sigríður Guðmundsdóttir") or an
        English one that closes a sentence mid-line ("... I'll come down. Cheers, Mitch O'Donoghue"): one to
        four words on the same line after its comma, or alone on the next line, that end their line or the text
        (or a "|", a dash or a bracket after them); in a script with capitals each word capitalised (particles
        aside) and one word alone no word of a thing (:data:`NOT_NAMES`)."""
        out: list[PiiMatch] = []
        low = text.lower()
        starts: set[int] = set()
        if len(low) == len(text):  # where a phrase is (str.find), not the pattern's search of every position
            for phrase in _needles_in(low).intersection(_SIGN_OFF_PHRASES):
                phrase = phrase.rstrip(",")
                i = low.find(phrase)
                while i >= 0:
                    starts.add(i)
                    i = low.find(phrase, i + 1)
            signs = [m for m in map(lambda i: _SIGN_OFF.match(text, i), sorted(starts)) if m is not None]
        else:
            signs = list(_SIGN_OFF.finditer(text))
        for m in signs:
            value = _SIGNED_NAME.match(text, m.end())
            if value is None or not _SIGNED_NAME_END.match(text, value.end()):
                continue
            words = value.group().split()
            cased = [w for w in words if w[0].upper() != w[0].lower()]
            if cased and not all(_title_word(w) or w in _PLACE_PARTICLES for w in cased):
                continue  # "HIReported", "LUMEN CREW", "CS": no name as a writer signs it
            if any(
                w in NOT_NAMES or w in _NOT_GREETED or w.lower() in COMMON_LOWER_WORDS
                or w.lower().rsplit("'", 1)[-1].rsplit("’", 1)[-1] in _TEAM_WORDS
                for w in words
            ):
                continue  # "Ihr Kundenservice", "L'équipe PayNova", "Equipo de Soporte": a team signs
            out.append(PiiMatch("PERSON", value.start(), value.end(), value.group(), value.group().casefold()))
        return out

    def _copied(self, text: str, things: dict[str, bool]) -> list[PiiMatch]:
        """The people on the copy line of an e-mail's header (:data:`_CC_LINE`, in a text with a "From:" or "To:"
        field): each part between semicolons or commas that is a name and nothing more ("Cc: Jonah Feldman; Sipho
        Dlamini", "Cc: Karen O'Neill <karen@x.com>")."""
        out: list[PiiMatch] = []
        for line in _CC_LINE.finditer(text):
            pos, end = line.start(1), line.end(1)
            while pos < end:
                stop = min((i for i in (text.find(";", pos, end), text.find(",", pos, end)) if i >= 0), default=end)
                start = pos + len(text[pos:stop]) - len(text[pos:stop].lstrip())
                word = _CAPITALISED.match(text, start)
                if word is not None and word.group() not in NOT_NAMES and word.group() not in _NOT_GREETED:
                    span = self._name_at(text, start, require_first=word.group() not in _ALL_FIRST)
                    if span is not None and (span[1] == stop or text[span[1]:stop].strip().startswith("<") or not text[span[1]:stop].strip()):
                        value = text[span[0]:span[1]]
                        if not _a_thing_named(text, value, things):
                            out.append(PiiMatch("PERSON", span[0], span[1], value, value.casefold()))
                pos = stop + 1
        return out

    def _initialled_name_end(self, text: str, pos: int) -> int | None:
        """Where a name of initials and a surname that starts at ``pos`` ends ("J. Smith", "J.R. Smith Jones",
        "J. SMITH", "M. DE LA CRUZ"); None when there is none there: no :data:`_INITIALS`, an abbreviation
        ("P.S. Lumen", "U.S. Customs") or no surname after them (a non-name, a common word, an acronym: "P.
        Please", "A. Team", "J. IT")."""
        m = _INITIALS.match(text, pos)
        if m is None:
            return None
        initials = m.group().replace(" ", "")
        if initials in _NOT_INITIALS:
            return None
        gap = _NAME_GAP.match(text, m.end() - 1)  # a particle first: "J. de Vries", "M. van der Berg"
        surname = _NAME_TOKEN.match(text, gap.end() if gap is not None else m.end())
        if surname is not None:
            word = surname.group()
            if word not in _ALL_FIRST and (word in NOT_NAMES or word.lower() in COMMON_LOWER_WORDS):
                return None  # "Regards,\nA. Team", "I. Need help"
            span = self._name_at(text, surname.start(), require_first=False)
            end = None if span is None else span[1]
        else:
            gap = _UPPER_NAME_GAP.match(text, m.end() - 1)  # a particle in capitals first: "M. DE LA CRUZ"
            surname = _UPPER_WORD.match(text, gap.end() if gap is not None else m.end())
            if surname is None:
                return None
            word = surname.group()
            if _upper_given_name(word) is None and (
                word.title() in NOT_NAMES or word.lower() in COMMON_LOWER_WORDS or word in ACRONYMS
            ):
                return None  # "THANKS,\nA. TEAM"
            word = word.title()
            end = self._caps_name_end(text, surname.end())
        if initials in ("N.", "S.", "E.", "W.") and word in _REGIONS:
            return None  # "N. America", "S. AFRICA"
        if end is None or (initials in ("A.", "I.") and not _ends_a_field(text, end)):
            return None  # "A. Lot of issues", "A. LOT FOR YOUR HELP"
        return end

    @staticmethod
    def _caps_name_end(text: str, pos: int) -> int:
        """Where an ALL-CAPS name whose first word ends at ``pos`` ends: after up to two surnames in capitals
        that are neither common words ("JOHN WILL CALL") nor non-names unless given names ("JAMES ANTHONY"),
        nor the verb forms and adverbs of :data:`NOT_CAPS_SURNAMES` ("MR. O'BRIEN CALLED", "MS. GARCIA TOLD").
        Any other verb form is not told from a surname ("TOM STERLING" and "ANN MANNING" keep their surnames
        redacted): a word too many is redacted rather than a surname kept."""
        end = pos
        for _ in range(2):
            gap = _UPPER_NAME_GAP.match(text, end)
            if gap is None:
                break
            nxt = _UPPER_WORD.match(text, gap.end())
            if nxt is None or nxt.start() != gap.end():
                break
            part = nxt.group()
            given = _upper_given_name(part) is not None
            if part.lower() in COMMON_LOWER_WORDS or (
                not given and (part.title() in NOT_NAMES or part in NOT_CAPS_SURNAMES)
            ):
                break
            end = nxt.end()
        return end

    @staticmethod
    def _name_at(text: str, pos: int, require_first: bool) -> tuple[int, int] | None:
        """The span of "First [I.] [particle] Surname [Surname]" starting at ``pos``; with ``require_first``
        only when at least one surname follows."""
        first = _NAME_TOKEN.match(text, pos)
        if first is None:
            return None
        end = first.end()
        parts = 1
        while parts < 4:
            gap = _NAME_GAP.match(text, end)
            if gap is None:
                break
            nxt = _NAME_TOKEN.match(text, gap.end())
            if nxt is None:
                # A surname in capitals after a capitalised given name: one that ends a form field or a
                # signature ("Name: John SMITH", "Regards,\nHans VAN DER BERG", "Jean DUPONT."), or one in
                # mixed-case prose, where a lower-case word follows ("I spoke to Jean DUPONT yesterday", "Jean
                # DUPONT a appelé"). Not an acronym, a common word, a verb form or an adverb, which is what a
                # word in capitals after a name in mid-sentence mostly is ("David SOLVED the issue", "Emily CPU
                # at 100%", "Sarah NEVER replied"); in mid-sentence also three letters or more ("Anna UI bug").
                upper_gap = _UPPER_NAME_GAP.match(text, end)
                nxt = _UPPER_WORD.match(text, upper_gap.end()) if upper_gap is not None else None
                if nxt is None or not _may_be_caps_surname(nxt.group()):
                    break
                if not _ends_a_field(text, nxt.end()) and not (
                    # in mid-sentence only after a given name that is no word ("Will AMAZON refund me?", "My
                    # Tesla MODEL", "Bill OVERDUE" are not names)
                    parts == 1
                    and text[pos:first.end()] in _CLEAR_FIRST
                    and len(nxt.group()) >= 3
                    and _LOWER_WORD_NEXT.match(text, nxt.end()) is not None
                ):
                    break
                end = nxt.end()
                parts += 1
                break
            if nxt.group() in NOT_NAMES and nxt.group() not in _ALL_FIRST:
                break
            end = nxt.end()
            parts += 1
        if require_first and parts == 1:
            return None
        return pos, end

    # --- redaction --------------------------------------------------------------------------------------------
    def redact(self, text: str, mapping: dict[tuple[str, str], str] | None = None) -> tuple[str, dict[str, int]]:
        """Replace every PII span with its placeholder; return the new text and the count per type.

        ``mapping`` ((type, normalized value) -> placeholder) is updated in place: pass the same dict for
        every field of one record so that text, response and messages share placeholders.
        """
        return _substitute(text, self.find(text), {} if mapping is None else mapping)


class _MemoFinder:
    """``PiiRedactor.find`` for one batch of records: each distinct text is searched once, and each phone
    candidate goes to libphonenumber once per region.

    A chat record's last answer is also its ``response`` and a ticket's number is quoted in its text and in
    its turns, so a batch repeats itself. The memo lives as long as the batch (no global cache: a second
    batch, or a benchmark's second run, pays the full price again) and holds at most ``max_texts`` texts.
    """

    def __init__(self, redactor: PiiRedactor, max_texts: int = 100_000) -> None:
        self.redactor = redactor
        self.max_texts = max_texts
        self.texts: dict[str, tuple[list[PiiMatch], bool]] = {}
        self.phones: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
        self.blank: set[str] = set()  # texts redact() found blank as whole lines of a blank parent
        self.mapping: dict[tuple[str, str], str] | None = None  # the record whose mapping index is kept
        self.index: _MappingIndex | None = None

    def scan(self, text: str) -> tuple[list[PiiMatch], bool]:
        """``PiiRedactor._scan`` of ``text``: its matches and whether it is blank."""
        result = self.texts.get(text)
        if result is None:
            if len(self.texts) >= self.max_texts:
                self.texts.clear()
                self.phones.clear()
                self.blank.clear()
            result = self.texts[text] = self.redactor._scan(text, self.phones)
        return result

    def prefill(self, texts: Sequence[str], results: Sequence[tuple[list[PiiMatch], bool]]) -> None:
        """Take the scans of ``texts`` made elsewhere (worker processes): ``results[i]`` is ``_scan(texts[i])``.
        The memo is emptied first when they would not fit (or when ``texts`` is empty)."""
        if not texts or len(self.texts) + len(texts) > self.max_texts:
            self.texts.clear()
            self.phones.clear()
            self.blank.clear()
        self.texts.update(zip(texts, results, strict=True))

    def matches_of(self, text: str) -> list[PiiMatch]:
        """The matches of ``text``: none when :meth:`redact` found it blank as whole lines of a blank parent,
        else its scan's (memoised)."""
        if text in self.blank:
            return []
        return self.scan(text)[0]

    def redact(
        self, text: str, mapping: dict[tuple[str, str], str], parents: Sequence[str] = ()
    ) -> tuple[str, dict[str, int]]:
        """Redact ``text``. ``parents`` are texts of the same record scanned before (a chat's text is its
        user turns joined by newlines): when ``text`` is whole lines of a blank one, it is blank too."""
        if not text:
            return text, {}
        if text not in self.texts:
            for parent in parents:
                known = self.texts.get(parent)
                if known is not None and known[1] and _whole_lines_of(text, parent):
                    self.blank.add(text)
                    return text, {}
        matches = self.scan(text)[0]
        if not matches:
            return text, {}
        return _substitute(text, matches, mapping, self.index_of(mapping))

    def index_of(self, mapping: dict[tuple[str, str], str]) -> "_MappingIndex":
        """The :class:`_MappingIndex` of the record's ``mapping``: kept while the same mapping comes back (every
        field and turn of one record), so a chat of thousands of turns reads its mapping once, not per turn."""
        if self.mapping is not mapping or self.index is None or self.index.size != len(mapping):
            self.mapping, self.index = mapping, _MappingIndex(mapping)  # a new record, or one changed elsewhere
        return self.index


def _whole_lines_of(part: str, text: str) -> bool:
    """True when ``part`` is one or more whole lines of ``text``."""
    return (
        part == text
        or text.startswith(part + "\n")
        or text.endswith("\n" + part)
        or f"\n{part}\n" in text
    )


def _substitute(
    text: str, matches: list[PiiMatch], mapping: dict[tuple[str, str], str], index: "_MappingIndex | None" = None
) -> tuple[str, dict[str, int]]:
    """``text`` with every match replaced by its placeholder from ``mapping`` (new values get the next
    number of their type: one past the highest the mapping holds, so a mapping can hold numbers back, as
    the log store does for placeholders a request already quotes), and the count per type."""
    if not matches:
        return text, {}
    counts: dict[str, int] = {}
    pieces = []
    last = 0
    # ``index`` (kept by the caller for every field of a record, when it adds to the mapping only through here)
    # or one built at the first new value: one pass over the mapping per text
    for match in matches:
        key = (match.type, match.normalized or match.value)
        placeholder = mapping.get(key)
        if placeholder is None:
            index = index or _MappingIndex(mapping)
            if match.type == "PERSON":
                placeholder = index.same_person(key[1])  # "Priya Raghunathan", then "Hi Priya": one person
            if placeholder is None:
                placeholder = f"<{match.type}_{index.next_number(match.type)}>"
            mapping[key] = placeholder
            index.add(key, placeholder)
        pieces.append(text[last:match.start])
        pieces.append(placeholder)
        last = match.end
        counts[match.type] = counts.get(match.type, 0) + 1
    pieces.append(text[last:])
    return "".join(pieces), counts


class _MappingIndex:
    """What :func:`_substitute` asks of a placeholder mapping for each new value, kept as the mapping grows: the
    highest number of each type (``<KIND_n>``: a mapping can hold numbers back, as the log store does) and the
    placeholder of the first person named under each given name, alone or with a surname. Asking the mapping
    itself took a pass over it per new value: a text of 5,000 names took 7 s."""

    def __init__(self, mapping: dict[tuple[str, str], str]) -> None:
        self.highest: dict[str, int] = {}
        self.persons: dict[tuple[str, bool], str] = {}  # (given name casefolded, named alone) -> placeholder
        self.size = 0  # how many entries of the mapping it has read
        for key, placeholder in mapping.items():
            self.add(key, placeholder)

    def add(self, key: tuple[str, str], placeholder: str) -> None:
        """Read one new entry of the mapping."""
        self.size += 1
        kind, value = key
        number = placeholder[len(kind) + 2:-1]
        if number.isdigit():
            self.highest[kind] = max(self.highest.get(kind, 0), int(number))
        if kind == "PERSON":
            words = value.casefold().split()
            if words:
                self.persons.setdefault((words[0], len(words) == 1), placeholder)

    def next_number(self, kind: str) -> int:
        """One past the highest number of a ``kind`` placeholder in the mapping."""
        return self.highest.get(kind, 0) + 1

    def same_person(self, name: str) -> str | None:
        """The placeholder of a person the record named before under a full name whose given name is ``name``
        (one word), or under the given name that begins ``name`` (a full name); None when there is none.
        Within one record a given name and the full name it begins are the same person: two placeholders
        would teach the model two people."""
        words = name.casefold().split()
        if not words:
            return None
        return self.persons.get((words[0], len(words) != 1))


def _recurs(value: str, context: str) -> bool:
    """Whether a PERSON value found once is a name wherever else it occurs as a whole word: a name of several
    words, or one word that is neither a word nor a given name that is also one, and that ``context`` (the
    text, or the record's fields) never uses as a thing (:func:`_used_as_a_thing`). A cue found "Okafor" in
    "Dear Mr. Okafor", so "Okafor" is a name throughout; "Will" or "Grace" after a cue is not elsewhere, nor
    "Lumen" after "Hi Lumen," when the text speaks of "my Lumen Hub"."""
    if " " in value or "\n" in value:
        return True
    word = value.title()
    return (
        word not in AMBIGUOUS_FIRST_NAMES
        and word not in NOT_NAMES
        and value.lower() not in COMMON_LOWER_WORDS
        and value not in ACRONYMS
        and (value in _CLEAR_FIRST or not _used_as_a_thing(context, value))
    )


#: A word that makes the capitalised word after it a thing, not a person: "my Lumen Hub", "the Zendesk ticket".
_DETERMINERS = frozenset("the my your our their its a an this that these those his her new old any every".split())


def _used_as_a_thing(context: str, word: str, alone: bool = True) -> bool:
    """Whether ``context`` uses ``word`` (capitalised, one word) as a product or a company somewhere: after a
    determiner ("my Lumen", "the Zendesk") or, when ``alone`` (a name of one word), before another capitalised
    word ("Lumen Hub"; the first word of a full name is always followed by one)."""
    i = context.find(word)
    size = len(word)
    while i >= 0:
        end = i + size
        if _whole_word_at(context, i, end):
            before = context[max(0, i - 8):i].rstrip(" ").rsplit(None, 1)
            if before and before[-1].lower() in _DETERMINERS and context[i - 1:i] == " ":
                return True
            if alone and _CAPITALISED_NEXT.match(context, end):
                return True
        i = context.find(word, end)
    return False


#: One space and a capitalised word: what follows a brand's name ("Lumen Hub").
_CAPITALISED_NEXT = re.compile(r"[ ][" + _UP + r"][" + _LO + r"]")


#: A delimiter glued to a letter on both sides, as between the cells of a row ("Jane,Doe", "Okafor;Chidinma").
_GLUED_NAME_CELL = re.compile(r"[,;|\t](?<=\w[,;|\t])(?=\w)")  # "\w[,;|\t]\w", led by the delimiter (as _GLUED_CELL)
_CELL_WORD = re.compile(r"[" + _UP + r"](?:[" + _LO + r"]+|[" + _UP + r"]+)(?:[-'’][" + _UP + r"]?[" + _LO + _UP + r"]+)?")


def _row_cells(row: str) -> list[tuple[int, int]]:
    """The (start, end) of each cell of a delimited row (its most frequent of ",", ";", "|", tab, two or more
    times), quotes and spaces around a value left out; none for a line that is no row."""
    sep = max(",;|\t", key=row.count)
    if row.count(sep) < 2:
        return []
    cells, pos = [], 0
    for cell in row.split(sep):
        a, b = pos, pos + len(cell)
        pos = b + 1
        while a < b and row[a] in " \"'":
            a += 1
        while b > a and row[b - 1] in " \"'":
            b -= 1
        cells.append((a, b))
    return cells


def _row_neighbour_names(text: str, matches: list[PiiMatch]) -> list[PiiMatch]:
    """A surname in the cell next to a given name's cell of a delimited row ("10442,Jane,Doe,jane.doe@…"):
    one capitalised word, no known non-name, on the only side that holds one; when both sides do ("Okafor;
    Chidinma;Lagos"), only one that the row's e-mail address spells."""
    whole = {(m.start, m.end) for m in matches if m.type == "PERSON" and _CELL_WORD.fullmatch(m.value)}
    taken = [(m.start, m.end) for m in matches]
    out: list[PiiMatch] = []
    for line in _LINE.finditer(text):
        if not any(line.start() <= a < line.end() for a, _ in whole):
            continue
        row = line.group()
        if not _GLUED_NAME_CELL.search(row):
            continue  # "Sure, Victor, Oscar, Kilo": a list in prose, not a row of cells
        cells = [(line.start() + a, line.start() + b) for a, b in _row_cells(row)]
        for i, cell in enumerate(cells):
            if cell not in whole:
                # a cell of a surname and the given name found ("STOP01,Gallagher Eoin,14 Griffith Avenue")
                given = next((m for m in matches if m.type == "PERSON" and m.end == cell[1] and m.start > cell[0]), None)
                if (
                    given is not None and (first := text[cell[0]:given.start]).endswith(" ") and _row_name_word(first[:-1])
                    and first[:-1] not in _OTHER_TITLE_CUES and first[:-1] not in _CELL_TITLES  # "Kak Dewi": a title
                ):
                    value = text[cell[0]:cell[1]]
                    out.append(PiiMatch("PERSON", cell[0], cell[1], value, value.casefold()))
                continue
            sides = [
                c
                for c in (cells[i - 1] if i else None, cells[i + 1] if i + 1 < len(cells) else None)
                if c is not None and c not in whole and _row_name_word(text[c[0]:c[1]])
                and not any(a < c[1] and c[0] < b for a, b in taken)
            ]
            if len(sides) == 2:
                low = row.lower()
                sides = [c for c in sides if "@" in low and text[c[0]:c[1]].lower() in low.split("@")[0]]
            for a, b in sides[:1]:
                value = text[a:b]
                taken.append((a, b))
                out.append(PiiMatch("PERSON", a, b, value, value.casefold()))
    return out


#: Values of a row's enumerated columns (status, plan, gender, flags) that are no surname beside a given name.
_ROW_VALUE_WORDS = frozenset(
    "active inactive pending approved rejected cancelled canceled paid unpaid due overdue open closed resolved "
    "new done yes no true false male female other unknown none null gold silver bronze platinum premium basic "
    "standard free pro plus enterprise trial member guest admin user staff manager customer vip high medium low "
    "urgent normal verified unverified enabled disabled blocked suspended shipped delivered returned refunded "
    "mr mrs ms miss dr".split()
)


#: Titles that may stand before a given name in a cell (Indonesian, Malay, Filipino, English).
_CELL_TITLES = frozenset("Kak Pak Bu Ibu Mas Mbak Bang Abang Kakak Adik Tuan Cik Mr Mrs Ms Miss Dr Sir".split())


def _row_name_word(value: str) -> bool:
    """One capitalised word (or one in capitals) that is no known non-name, month, day, acronym or enumerated
    value."""
    return (
        _CELL_WORD.fullmatch(value) is not None
        and value.lower() not in _ROW_VALUE_WORDS
        and value.title() not in NOT_NAMES
        and value.title() not in _NOT_GREETED
        and value not in ACRONYMS
        and value.title() not in _NOT_A_NAME_LEAD
    )


#: Honorifics written after a given name ("Rohit Bhaiya", "Elif Hanım", "Mehta Ji", "Kenji San"): no part of it.
_HONORIFIC_SUFFIXES = frozenset("Bhaiya Bhai Didi Ji Sahab Saab Hanım Bey Abi Abla San Sama Kun Chan Sensei".split())


def _without_honorifics(matches: list[PiiMatch]) -> list[PiiMatch]:
    """``matches`` with a person's name that ends in an honorific (:data:`_HONORIFIC_SUFFIXES`) cut before it."""
    out = []
    for m in matches:
        if m.type == "PERSON" and " " in m.value:
            head, _, last = m.value.rpartition(" ")
            if last in _HONORIFIC_SUFFIXES:
                head = head.rstrip()
                m = PiiMatch("PERSON", m.start, m.start + len(head), head, head.casefold())
        out.append(m)
    return out


#: What stands before a product's or a place's given name: "the ", "the \"", "The “".
_THE_BEFORE = re.compile(r"(?:^|(?<=[\s(\[]))[Tt]he[ ][\"“'‘]?$")
#: What follows a product's or a place's given name: a common noun in lower case ("the Emma mattress", "the Sophie
#: table lamp", "the “Olivia” rattan armchair") or a street word ("the Mary Street store"), its closing quote first.
_PRODUCT_AFTER = re.compile(
    r"[\"”'’]?[ ](?:([a-z]{3,})\b|(?:Street|St|Road|Rd|Avenue|Ave|Lane|Square|Quay|Quays|Mall|Centre|Center)\b)"
)
#: Lower-case words that go on a sentence about a person after the name: "the Sarah who called", "the Priya from
#: accounts", "the Ana mentioned ..."; a name before one of them stays a name.
_AFTER_A_PERSON = COMMON_LOWER_WORDS | frozenset(
    "whose whom said says told called calls wrote writes replied asked mentioned sent gave got came went left spoke "
    "helped works worked lives lived herself himself".split()
)


#: A word that makes the name before it a company's: "Shree Ganesh Traders", "Patel Motors", "Coastal Rentals Ltd".
_COMPANY_TAIL = re.compile(
    r"[ ](?:Traders|Trading|Rentals|Motors|Realty|Properties|Lettings|Estates|Pharmacy|Clinic|Dental|Airways|Airlines"
    r"|Hotel|Enterprises|Solutions|Consulting|Insurance|Agency|Tours|Academy|Holdings|Group|Ltd|Limited|Inc|LLC|LLP"
    r"|GmbH|Pty|PLC|Plc|& (?:Sons|Co)\b)\b"
)


#: A street word after a given name makes it a street's: "George Street depot", "the Mary Road branch".
_STREET_TAIL = re.compile(r"[ ](?:Street|Road|Avenue|Lane|Square|Quay|Quays|Crescent|Terrace)\b")


_SPACE_OR_QUOTE = frozenset(' "”\'’')


def _without_products(text: str, matches: list[PiiMatch], the: bool) -> list[PiiMatch]:
    """``matches`` without a person's name that is a company's, a product's or a place's: before a company word
    (:data:`_COMPANY_TAIL`: "Shree Ganesh Traders"), of one word before a street word ("George Street depot"), or of one word between "the" (``the``: whether the text holds
    it) and a common noun or a street word ("the Emma mattress", "the Sophie table lamp", "the Mary Street store").
    A furniture shop's newsletter names its sofas after people; a person is rarely "the Emma" before a noun."""
    out = []
    for m in matches:
        if m.type != "PERSON" or text[m.end:m.end + 1] not in _SPACE_OR_QUOTE:
            out.append(m)  # every word below stands one space (or a quote) after the name
            continue
        if _COMPANY_TAIL.match(text, m.end) or (" " not in m.value and _STREET_TAIL.match(text, m.end)):
            continue
        if the and " " not in m.value and "he" in text[max(0, m.start - 6):m.start] and _THE_BEFORE.search(text, max(0, m.start - 6), m.start):
            after = _PRODUCT_AFTER.match(text, m.end)
            if after is not None and (after.group(1) is None or (
                after.group(1) not in _AFTER_A_PERSON and not after.group(1).endswith("ed")
            )):
                continue
        out.append(m)
    return out


def _with_recurring_names(text: str, matches: list[PiiMatch]) -> list[PiiMatch]:
    """``matches`` plus every other whole-word occurrence in ``text`` of a name they found (as written or in
    capitals): the cue that revealed a name covers one place ("Regards,\nOluwaseun Adeyemi"), and the same
    name elsewhere in the text ("I'm Oluwaseun Adeyemi, my order is late") is the same person."""
    found = {m.value: m for m in matches if m.type == "PERSON"}  # each name once: _recurs reads the whole text
    values = {value: m for value, m in found.items() if _recurs(value, text)}
    parts = _name_parts(text, found)
    if not values and not parts:
        return matches
    taken = {(m.start, m.end) for m in matches}
    more: list[PiiMatch] = []
    for part, m in parts.items():  # a full name's given name or surname alone, where no other name or thing has it
        size = len(part)
        i = text.find(part)
        while i >= 0:
            end = i + size
            if (
                (i, end) not in taken
                and _whole_word_at(text, i, end)
                and not _AFTER_A_CAPITALISED_WORD.search(text, max(0, i - 24), i)
                and not _THING_NEXT.match(text, end)
            ):
                taken.add((i, end))
                more.append(PiiMatch("PERSON", i, end, part, m.normalized))
            i = text.find(part, end)
    forms = [(form, m) for value, m in values.items() for form in ((value, value.upper()) if not value.isupper() else (value,))]
    if len(forms) <= _FIND_EACH_NAME_UP_TO:
        # str.find, not a pattern per name: compiling one for each name of each text doubled the stage's time
        for form, m in forms:
            size = len(form)
            i = text.find(form)
            while i >= 0:
                end = i + size
                if (i, end) not in taken and _whole_word_at(text, i, end):
                    taken.add((i, end))
                    more.append(PiiMatch("PERSON", i, end, form, m.normalized))
                i = text.find(form, end)
    else:
        # Many names (a roster, a CSV pasted into a ticket): one pass over the words, each looked up by its
        # letters, instead of a search of the whole text per name (20,000 names in 500,000 characters took 7 s).
        # Names sharing a first word ("Maria Lopez", "Maria Silva", ...) are looked up by length, one slice each.
        by_word: dict[str, dict[int, dict[str, PiiMatch]]] = {}
        for form, m in forms:
            lead = _WORD_RUN.match(form)
            if lead is not None:
                by_word.setdefault(lead.group(), {}).setdefault(len(form), {})[form] = m
        for w in _WORD_RUN.finditer(text):
            by_length = by_word.get(w.group())
            if by_length is None:
                continue
            i = w.start()
            for size, named in by_length.items():
                form = text[i:i + size]
                m = named.get(form)
                if m is not None and (i, i + size) not in taken and _whole_word_at(text, i, i + size):
                    taken.add((i, i + size))
                    more.append(PiiMatch("PERSON", i, i + size, form, m.normalized))
    return _resolve_overlaps(matches + more) if more else matches


def _name_parts(text: str, found: dict[str, PiiMatch]) -> dict[str, PiiMatch]:
    """The given names and surnames of the full names ``found`` in ``text`` that stand for their person alone as
    well ("Reference for Ms. Adaora Nwachukwu ... I was Adaora's line manager"): words of three letters or more,
    only letters, capitalised, no word of their own (:data:`AMBIGUOUS_FIRST_NAMES`, :data:`NOT_NAMES`) and never
    after a determiner ("the Aziz account")."""
    parts: dict[str, PiiMatch] = {}
    if len(found) > _NAME_PARTS_UP_TO:
        return parts  # a roster: each part would be searched for in the whole text (quadratic)
    for value, m in found.items():
        if " " not in value or "\n" in value:
            continue
        words = value.split()
        for part in (words[0], words[-1]):
            if (
                len(part) >= 3
                and text.count(part) >= 2  # alone somewhere besides the full name
                and part.isalpha()
                and part[0].isupper()
                and not part.isupper()
                and part not in found
                and part not in parts
                and part.title() not in AMBIGUOUS_FIRST_NAMES
                and part.title() not in NOT_NAMES
                and not _used_as_a_thing(text, part, alone=False)
            ):
                parts[part] = m
    return parts


#: Up to this many names in a text, :func:`_name_parts` looks for their parts alone.
_NAME_PARTS_UP_TO = 16
#: A capitalised word (no title) right before a name's part: the part belongs to another name or a brand there
#: ("a Ralph Lauren shirt" after "Lauren Smith").
_AFTER_A_CAPITALISED_WORD = re.compile(
    r"(?<![\w.])(?!(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Herr|Frau|Mme|Mlle|Sr|Sra|Srta|Dra|Dona|Dom)[ ]\Z)"
    r"[" + _UP + r"][" + _LO + r"]+[ ]\Z"
)
#: What follows a name's part where it names a company or a product: "Tan & Sons", "Rossi Impianti srl".
_THING_NEXT = re.compile(r"[ ](?:&|[" + _UP + r"][" + _LO + r"])")


#: Up to this many names (and their capitals), :func:`_with_recurring_names` searches the text for each; more,
#: it indexes the text's words once (test_pii compares the two).
_FIND_EACH_NAME_UP_TO = 16
#: A run of word characters: what a name begins with, and the index key of :func:`_with_recurring_names`.
_WORD_RUN = re.compile(r"\w+")


def _whole_word_at(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a whole word (or words) as :data:`_NAME_TOKEN` delimits a name: no word
    character, hyphen or apostrophe glued before it, none after it but a possessive "'s"."""
    if start and (text[start - 1].isalnum() or text[start - 1] in "_-'’"):
        return False
    nxt = text[end:end + 1]
    if not nxt:
        return True
    if nxt.isalnum() or nxt in "_-":
        return False
    if nxt in "'’":
        return text[end + 1:end + 2] in ("s", "S") and not (text[end + 2:end + 3].isalnum() or text[end + 2:end + 3] == "_")
    return True


#: A line of only a name: two or three capitalised words (hyphens and apostrophes inside, particles between), a
#: title before them or not ("Kaylee Mbeki-Ross", "Ms. Tenzin Thiessen").
_ADDRESSEE_LINE = re.compile(
    r"[ \t]*(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?[ ])?((?:Mc|Mac|O'|O’)?[" + _UP + r"][" + _LO + r"'’]+(?:-[" + _UP + r"][" + _LO + r"'’]+)?"
    r"(?:[ ](?:(?:van|von|de|da|der|den|del|di|la|le)[ ])?(?:Mc|Mac|O'|O’)?[" + _UP + r"][" + _LO + r"'’]+"
    r"(?:-[" + _UP + r"][" + _LO + r"'’]+)?){1,2})[ \t]*"
)


#: The dash between a name and its address on one line, with the spaces around it, ending what stands before the
#: address.
_DASH_BEFORE_ADDRESS = re.compile(r"[ ]+[—–-][ ]+\Z")


def _addressees(text: str, matches: list[PiiMatch], original: str | None = None) -> list[PiiMatch]:
    """The name on the line right over an address that opens its line, as an envelope or a "post it to:" writes it
    ("Kaylee Mbeki-Ross\n7595 Westerly Ave\nDenver, CO 80218"), a "c/o" line between them or not, or opening the
    address's own line before a dash ("Håvard Østby — Kirkegata 94, 9008 Tromsø"): two or three capitalised words,
    none a known non-name, a product's or a company's word, and not already a match. ``original``: the text as
    written, where :meth:`PiiRedactor._scan` reads its dashes as "-"."""
    out: list[PiiMatch] = []
    things: dict[str, bool] = {}
    for m in matches:
        if m.type != "ADDRESS":
            continue
        line_start = text.rfind("\n", 0, m.start) + 1
        before = text[line_start:m.start]
        if before.strip(" \t"):
            # a work order's or a list's line, the name then a dash, then the address ("Håvard Østby — Kirkegata 94,
            # 9008 Tromsø")
            dash = _DASH_BEFORE_ADDRESS.search(before)
            if dash is None or "—" not in (original or text)[line_start + dash.start():m.start].replace("–", "—"):
                continue  # an em or en dash as written (the scan reads both as "-"), not a hyphen
            start, end = line_start, line_start + dash.start()
        elif not line_start:
            continue
        else:
            end = line_start - 1
            start = text.rfind("\n", 0, end) + 1
            if text[start:end].lstrip(" \t").lower().startswith("c/o ") and start:
                end = start - 1
                start = text.rfind("\n", 0, end) + 1
        line = _ADDRESSEE_LINE.fullmatch(text, start, end)
        if line is None or any(o.start < end and o.end > start for o in matches):
            continue
        value = line.group(1)
        words = value.split()
        if any(w in NOT_NAMES or w in _NOT_GREETED or w.lower() in COMMON_LOWER_WORDS for w in words) or _a_thing_named(
            text, value, things
        ):
            continue
        out.append(PiiMatch("PERSON", line.start(1), line.end(1), value, value.casefold()))
    return out


def _with_address_blocks(text: str, matches: list[PiiMatch]) -> list[PiiMatch]:
    """``matches`` with each address block of ``text`` (:func:`address_blocks.address_blocks`) as one ADDRESS
    span in place of the address and name spans inside it; ``matches`` itself when there is none. A block that
    another type's span overlaps (a phone on a line of it) is left as the line detectors found it."""
    blocks = address_blocks(text, [(m.type, m.start, m.end) for m in matches])
    if not blocks:
        return matches
    out = matches
    for start, end in blocks:
        inside = [m for m in out if m.start < end and m.end > start]
        if any(m.type not in ("ADDRESS", "PERSON") or m.start < start or m.end > end for m in inside):
            continue
        if len(inside) == 1 and inside[0].type == "ADDRESS" and (inside[0].start, inside[0].end) == (start, end):
            continue
        out = sorted([m for m in out if m not in inside] + [_address_match(text, start, end)], key=lambda m: m.start)
    return out


def _resolve_overlaps(matches: list[PiiMatch]) -> list[PiiMatch]:
    """Keep non-overlapping matches, preferring the higher-priority type, then the longer span."""
    if len(matches) <= 1:
        return matches
    # The spans kept so far never overlap, so sorted by start their ends are sorted too: a new span overlaps
    # one of them only if it overlaps its neighbours there (found by bisection; a text with thousands of
    # names took seconds when every kept span was compared).
    starts: list[int] = []
    chosen: list[PiiMatch] = []
    for m in sorted(matches, key=lambda m: (_PRIORITY[m.type], -(m.end - m.start), m.start)):
        i = bisect.bisect_right(starts, m.start)
        if (i and chosen[i - 1].end > m.start) or (i < len(chosen) and chosen[i].start < m.end):
            continue
        starts.insert(i, m.start)
        chosen.insert(i, m)
    return chosen


def scan_for_pii(
    texts: Iterable[str], redactor: PiiRedactor | None = None, types: Iterable[str] | None = None
) -> list[PiiHit]:
    """PII left in ``texts`` (for the blocking "no PII left" check on the final training set).

    Placeholders such as ``<EMAIL_1>`` are not hits. ``types`` narrows the check (e.g. only the validated
    structured types); ``redactor`` defaults to one with every detector and the default phone regions.
    """
    redactor = redactor or PiiRedactor()
    wanted = frozenset(types) if types is not None else None
    hits = []
    for i, text in enumerate(texts):
        for m in redactor.find(text):
            if wanted is None or m.type in wanted:
                hits.append(PiiHit(i, m.type, m.start, m.end, _mask(m.value)))
    return hits


def find_in_name(redactor: PiiRedactor, name: str) -> list[PiiMatch]:
    """PII in a name rather than prose: a class label, a file path, a record or example id.

    Such names join their words with underscores (``normalise_label`` writes "login +44 7911 123456" as
    "login_+44_7911_123456"; "export_jane_doe@example.com.csv"), which hides a number or an address from
    detectors that expect spaces, so the name is also read with its underscores as spaces (one character for
    one: the spans hold for the name as written); the matches of both readings, without overlaps."""
    matches = redactor.find(name)
    if "_" in name:
        spaced = [replace(m, value=name[m.start:m.end]) for m in redactor.find(name.replace("_", " "))]
        if spaced:
            matches = _resolve_overlaps(list({(m.start, m.end, m.type): m for m in matches + spaced}.values()))
            matches.sort(key=lambda m: m.start)
    return matches


def name_pii_types(name: str, redactor: PiiRedactor | None = None) -> list[str]:
    """The PII types :func:`find_in_name` sees in ``name`` (sorted, each once; none for an ordinary label)."""
    return sorted({m.type for m in find_in_name(redactor or _default_redactor(), name)}) if name else []


def redact_name(name: str, redactor: PiiRedactor | None = None) -> str:
    """``name`` (a label, a file path, an id) with the PII :func:`find_in_name` sees replaced by placeholders:
    safe to show in metadata, a warning or an error message."""
    matches = find_in_name(redactor or _default_redactor(), name)
    return _substitute(name, matches, {})[0] if matches else name


def redacted_label_counts(labels: Iterable[str]) -> dict[str, int]:
    """How many records have each label, for metadata written before the PII stage drops records whose label
    holds PII (ingest): each distinct label redacted with :func:`redact_name`, labels that redact alike counted
    together, most frequent first."""
    counts: Counter[str] = Counter()
    for label, n in Counter(labels).items():
        counts[redact_name(str(label))] += n
    return dict(counts.most_common())


def redact_then_cut(value: str, limit: int | None, redactor: PiiRedactor | None = None) -> str:
    """``value`` redacted, then cut to at most ``limit`` characters ("…" marks a cut; None: no cut), never
    inside a placeholder: for error messages and excerpts that quote input. Cutting first would leave part of
    a value ("jane.doe@example.") that no detector recognises any more."""
    text = (redactor or _default_redactor()).redact(value, {})[0]
    if limit is None or len(text) <= limit:
        return text
    cut = max(limit - 1, 0)
    opened = text.rfind("<", 0, cut)
    if opened >= 0 and text.find(">", opened) >= cut and PLACEHOLDER.match(text, opened):
        cut = opened  # the cut would split a placeholder: end before it
    return text[:cut] + "…"


@functools.cache
def _default_redactor() -> PiiRedactor:
    """One :class:`PiiRedactor` with every detector and the default phone regions, for the helpers above."""
    return PiiRedactor()


def pii_metrics(
    redactor: PiiRedactor, examples: Iterable[dict], min_overlap: float = 0.5
) -> dict[str, dict[str, float]]:
    """Precision and recall per PII type on labelled examples ``{"text", "spans": [{"type","start","end"}]}``.

    A prediction counts as correct when it has the gold span's type and their intersection-over-union is at
    least ``min_overlap`` (so "Street" vs "St." or a trailing unit does not turn a hit into two errors).
    Each gold span is matched at most once. Returns {type: {tp, fp, fn, precision, recall}} plus "ALL".
    """
    tally: dict[str, Counter[str]] = {}
    for ex in examples:
        gold = [(s["type"], s["start"], s["end"]) for s in ex["spans"]]
        used = [False] * len(gold)
        for p in redactor.find(ex["text"]):
            best, best_iou = -1, 0.0
            for gi, (gt, gs, ge) in enumerate(gold):
                if used[gi] or gt != p.type:
                    continue
                inter = min(ge, p.end) - max(gs, p.start)
                iou = inter / (max(ge, p.end) - min(gs, p.start)) if inter > 0 else 0.0
                if iou > best_iou:
                    best, best_iou = gi, iou
            if best >= 0 and best_iou >= min_overlap:
                used[best] = True
                tally.setdefault(p.type, Counter())["tp"] += 1
            else:
                tally.setdefault(p.type, Counter())["fp"] += 1
        for (gt, _, _), u in zip(gold, used):
            if not u:
                tally.setdefault(gt, Counter())["fn"] += 1
    total: Counter[str] = Counter()
    result: dict[str, dict[str, float]] = {}
    for t in sorted(tally):
        total.update(tally[t])
        result[t] = _prf(tally[t])
    result["ALL"] = _prf(total)
    return result


def _prf(c: Counter[str]) -> dict[str, float]:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
    }


def _add_counts(total: dict[str, int], more: dict[str, int]) -> None:
    """Add the per-type counts ``more`` (a change may be negative) into ``total``; a type left at 0 goes."""
    for t, n in more.items():
        total[t] = total.get(t, 0) + n
        if not total[t]:
            del total[t]


#: Types whose values are never ordinary words: a value of these that a chat's text revealed is redacted
#: wherever it recurs in the conversation (a name of one word, "Will", "May", is not spread that way).
_DISTINCTIVE_TYPES = frozenset({"EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "CREDENTIALS"})


def _spread_matches(matches: list[PiiMatch], context: str) -> list[PiiMatch]:
    """The matches whose values are PII wherever they occur in the record, not only where they were found:
    a :data:`_DISTINCTIVE_TYPES` value, one of several words, or a one-word name that is no word
    (:func:`_recurs`: "Okafor" is, "Will" or "Grace" could be a common word)."""
    verdicts: dict[str, bool] = {}  # per name: _recurs reads the whole context
    out = []
    for m in matches:
        if m.type in _DISTINCTIVE_TYPES or " " in m.value:
            out.append(m)
        elif m.type == "PERSON":
            verdict = verdicts.get(m.value)
            if verdict is None:
                verdict = verdicts[m.value] = _recurs(m.value, context)
            if verdict:
                out.append(m)
    return out


def _spread_in_record(
    finder: "_MemoFinder", raws: list[str], redacted: list[str], mapping: dict[tuple[str, str], str]
) -> dict[str, int]:
    """Redact, in place in ``redacted`` (the record's fields after each was redacted: text, response, turns;
    ``raws`` as they came), every value that any field revealed (:func:`_spread_matches`) wherever it recurs
    in another: a name only a signature or the agent's "Dear Chidi Okeke" revealed is the same person in the
    customer's "I'm Chidi Okeke". The scans come from the memo (a field skipped as whole lines of a blank text
    has no match)."""
    fields = list(dict.fromkeys(raw for raw in raws if raw))
    if len(fields) < 2:
        return {}  # one distinct field: redacted whole already (a value recurring in it is found by find)
    matches = _values_to_spread(finder, fields)
    return _propagate(redacted, matches, mapping) if matches else {}


def _values_to_spread(finder: "_MemoFinder", fields: Sequence[str]) -> list[PiiMatch]:
    """The matches of the distinct non-empty ``fields`` of one record whose values are PII wherever they recur in
    it (:func:`_spread_matches`, read against all the fields)."""
    fields = list(dict.fromkeys(field for field in fields if field))
    found = [finder.matches_of(raw) for raw in fields]
    if not any(found):
        return []
    context = "\n".join(fields)
    return [m for field_matches in found for m in _spread_matches(field_matches, context)]


def spread_in_fields(
    redactor: PiiRedactor, raws: Sequence[str], redacted: list[str], mapping: dict[tuple[str, str], str]
) -> list[PiiMatch]:
    """What :func:`redact_pii` does across the fields of one record, for callers that redact the fields of one
    unit themselves (the log store: a request's prompt, answer, turns, error; a correction and its comment).

    ``redacted`` holds those fields after each was redacted on its own with ``mapping``; ``raws`` are the texts
    as they came (the same fields, and any other text of the unit whose values count, such as a conversation's
    turns joined). Every value a raw text revealed (a number after "my ssn is", a name after "Dear") that is PII
    wherever it recurs (:func:`_spread_matches`) is replaced, in place in ``redacted``, by its placeholder
    wherever it recurs as a whole word. Returns those values' matches (every one, also when no other field
    held it), so that a caller can look for them in text that comes later (the log store keeps them only as
    HMACs)."""
    finder = _MemoFinder(redactor)
    matches = _values_to_spread(finder, raws)
    if matches:
        _propagate(redacted, matches, mapping)
    return matches



def _asks_after_reply(text: str, turns: Sequence[tuple[str, str]]) -> bool:
    """True when ``text`` is not all the user turns of ``turns`` (role, content) joined: a chat with user
    turns after its last reply, which its text leaves out, so they must be read in context apart."""
    return bool(turns) and text != "\n".join([c for r, c in turns if r == "user"])


def _redact_in_context(
    text: str,
    roles: list[str],
    raws: list[str],
    contents: list[str],
    finder: "_MemoFinder",
    mapping: dict[tuple[str, str], str],
) -> dict[str, int]:
    """Redact, in place in ``contents`` (the turns as each was redacted on its own; ``raws`` as they came),
    what the record's ``text`` revealed that a turn alone did not; the change of the count per type.

    Some detectors need context that spans turns ("my ssn is" / "123456789"; "call me on" / "02079460958"),
    so the user turns are also read joined by newlines (a chat's text is that join, less any turns after
    its last reply). Each match of the join is placed in the user turn it lies in, and a turn missing one
    is redacted again with its own matches and the join's.
    Then a value of a :data:`_DISTINCTIVE_TYPES` type, or of several words, that the text held is replaced
    wherever it recurs as a whole word in any turn (an assistant repeating the number, a text that is not
    the user turns joined).
    """
    user = [i for i, role in enumerate(roles) if role == "user"]
    joined = "\n".join([raws[i] for i in user])
    # The text leaves out user turns after the last reply (ingest.readers.chat_text_and_response): the
    # context that spans turns is all of them, so those turns are read with their neighbours too.
    in_turns = finder.scan(joined)[0] if user else []
    matches = finder.scan(text)[0] if text != joined else in_turns
    if not matches and not in_turns:
        return {}
    delta: dict[str, int] = {}
    if in_turns:
        placed: dict[int, list[PiiMatch]] = {}
        start = 0
        bounds = []
        for i in user:
            bounds.append((i, start, start + len(raws[i])))
            start += len(raws[i]) + 1
        los = [lo for _, lo, _ in bounds]
        for match in in_turns:
            k = bisect.bisect_right(los, match.start) - 1  # the turn it starts in (a chat of thousands of turns)
            if k >= 0:
                i, lo, hi = bounds[k]
                if match.end <= hi:
                    placed.setdefault(i, []).append(replace(match, start=match.start - lo, end=match.end - lo))
        for i, shifted in placed.items():
            own = finder.scan(raws[i])[0]
            spans = {(m.start, m.end) for m in own}
            if all((m.start, m.end) in spans for m in shifted):
                continue
            contents[i], counts = _substitute(raws[i], _resolve_overlaps(own + shifted), mapping, finder.index_of(mapping))
            for kind, n in counts.items():
                delta[kind] = delta.get(kind, 0) + n
            for m in own:
                delta[m.type] = delta.get(m.type, 0) - 1
    spread = matches if text == joined else matches + in_turns
    for kind, n in _propagate(contents, _spread_matches(spread, "\n".join([text, *raws])), mapping).items():
        delta[kind] = delta.get(kind, 0) + n
    return {kind: n for kind, n in delta.items() if n}


#: Up to this many (value, field) pairs, :func:`_propagate` tries each value on each field; more, it offers a
#: field only the values whose first word it holds (test_pii compares the two).
_PROPAGATE_EACH_UP_TO = 4096


def _propagate(contents: list[str], matches: list[PiiMatch], mapping: dict[tuple[str, str], str]) -> dict[str, int]:
    """Replace, in place in ``contents``, every whole-word occurrence of a value of ``matches`` (found in
    another field of the same record) with that value's placeholder from ``mapping``, longest values first;
    the count per type. A name is whole as :func:`_whole_word_at` says (not the "Okafor" of "Okafor-Smith"
    or "O'Okafor"; its possessive "'s" stays) and is matched in capitals too, as in one text."""
    more: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    ordered = []  # (forms, placeholder, type), longest values first
    for match in sorted(matches, key=lambda m: -len(m.value)):
        if (match.type, match.value) in seen:
            continue
        seen.add((match.type, match.value))
        placeholder = mapping.get((match.type, match.normalized or match.value))
        if placeholder is not None:
            forms = (match.value, match.value.upper()) if match.type == "PERSON" and not match.value.isupper() else (match.value,)
            ordered.append((forms, placeholder, match.type))
    if not ordered:
        return more
    patterns: dict[int, re.Pattern[str]] = {}

    def apply(k: int, i: int) -> None:
        forms, placeholder, kind = ordered[k]
        content = contents[i]
        if not any(form in content for form in forms):
            return
        pattern = patterns.get(k)
        if pattern is None:
            alternatives = "|".join(re.escape(form) for form in forms)
            pattern = patterns[k] = re.compile(
                rf"(?<![\w'’-])(?:{alternatives})(?![\w-]|['’](?!s\b))" if kind == "PERSON" else rf"(?<!\w)(?:{alternatives})(?!\w)"
            )
        contents[i], n = pattern.subn(placeholder, content)
        if n:
            more[kind] = more.get(kind, 0) + n

    if len(ordered) * len(contents) <= _PROPAGATE_EACH_UP_TO:
        for k in range(len(ordered)):
            for i in range(len(contents)):
                apply(k, i)
        return more
    # Many values and many fields (a chat of thousands of turns, each with a name): each field is offered only
    # the values whose first word it holds, not every value (4,000 names x 8,000 turns took seconds).
    by_word: dict[str, list[int]] = {}
    for k, (forms, _, _) in enumerate(ordered):
        for form in forms:
            lead = _WORD_RUN.search(form)
            if lead is not None:
                by_word.setdefault(lead.group(), []).append(k)
    for i, content in enumerate(contents):
        for k in sorted({k for w in set(_WORD_RUN.findall(content)) for k in by_word.get(w, ())}):
            apply(k, i)
    return more


def _turn_contents(messages: str) -> list[str]:
    """The ``content`` strings of the turns of ``messages`` (none when it is not a JSON list of turns)."""
    fast = role_content_turns(messages) if messages else None
    if fast is not None:
        return [content for _, content in fast]
    if not messages.strip():
        return []
    try:
        turns = json.loads(messages)
    except (json.JSONDecodeError, RecursionError):
        return []
    if not isinstance(turns, list):
        return []
    return [t["content"] for t in turns if isinstance(t, dict) and isinstance(t.get("content"), str)]


def _scanned_ahead(
    rows: Iterable[tuple[str, str, str, str]], finder: "_MemoFinder", workers: int, stats: Counter[str]
) -> Iterable[tuple[str, str, str, str]]:
    """``rows`` (record id, text, response, messages), each block of them yielded after ``workers`` processes
    scanned its distinct texts into ``finder``'s memo (see :mod:`pii_workers`).

    Two rounds a block, so the workers scan what the record loop would: first texts and responses, then
    the turns that are not whole lines of a text found blank (the loop skips those, see
    :meth:`_MemoFinder.redact`). A block too small for the pool, or a pool that fails, is left to the loop.
    """
    it = iter(rows)
    batch = pii_workers.new_batch()
    while True:
        block: list[tuple[str, str, str, str]] = []
        firsts: dict[str, None] = {}
        turns: list[tuple[str, str, list[str]]] = []
        n_turns = 0
        for row in it:
            block.append(row)
            _, text, response, msg = row
            for t in (text, response):
                if t and t not in finder.texts:
                    firsts[t] = None
            contents = _turn_contents(msg)
            turns.append((text, response, contents))
            n_turns += len(contents)
            if len(firsts) + n_turns >= pii_workers.BLOCK_TEXTS:
                break
        if not block:
            return
        if len(finder.texts) + len(firsts) + n_turns > finder.max_texts:
            finder.prefill((), ())  # room for the whole block: the earlier blocks' texts are done
        for round_ in (0, 1):
            if round_ == 0:
                todo = list(firsts)
            else:
                known = finder.texts
                later: dict[str, None] = {}
                for text, response, contents in turns:
                    blank = [p for p in (text, response) if (k := known.get(p)) is not None and k[1]]
                    for c in contents:
                        if c and c not in known and c not in later and not any(_whole_lines_of(c, p) for p in blank):
                            later[c] = None
                todo = list(later)
            if len(todo) < pii_workers.MIN_TEXTS:
                continue
            results = pii_workers.scan_in_workers(finder.redactor, todo, workers, batch)
            if results is None:
                stats["pool_failures"] += 1
                continue
            finder.prefill(todo, results)
            stats["texts_scanned_in_workers"] += len(todo)
        yield from block


#: Drop reason of a record whose label holds PII. A label is a class name: redacted ("<EMAIL_1>") it would be a
#: class of its own that means nothing, and raw it would reach every stage's metadata, the reviewers' Label
#: Studio config and the classify completions.
LABEL_PII_REASON = "label_holds_pii"


def _label_pii_types(redactor: PiiRedactor, label: str, memo: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The PII types :func:`find_in_name` sees in ``label`` (labels repeat: each distinct one is read once)."""
    types = memo.get(label)
    if types is None:
        types = memo[label] = tuple(name_pii_types(label, redactor))
    return types


def _hold_quoted_numbers(mapping: dict[tuple[str, str], str], fields: Iterable[str]) -> None:
    """Number the record's new placeholders after those its ``fields`` quote already: in "My old address was
    <EMAIL_1>, new one is jane@x.com" the new address must not become <EMAIL_1> too (two addresses would read
    as one). One entry per type, keyed by no value (a detected value is never empty), holds its highest
    number, as the log store's ``_DigestMapping.reserve`` does; :func:`_substitute` numbers one past it."""
    for field in fields:
        if "<" not in field:
            continue
        for kind, number in PLACEHOLDER.findall(field):
            held = mapping.get((kind, ""))
            if held is None or int(held[len(kind) + 2:-1]) < int(number):
                mapping[(kind, "")] = f"<{kind}_{int(number)}>"


@cyclic_gc_paused
def redact_pii(df: pd.DataFrame, settings: CurationSettings) -> StageResult:
    """Redact (or, with ``redact_pii=False``, only count) PII in text, response and messages.

    Adds ``pii_counts`` (JSON {type: n}); one placeholder mapping per record, whose new placeholders are
    numbered after any ``<TYPE_n>`` the record quotes already. ``messages`` is written back (as json's encoder
    writes it) only when one of its turns held PII; otherwise it is kept as it came. Drops rows whose label
    holds PII (``label_holds_pii``, in either mode: a label is a class name, see :data:`LABEL_PII_REASON`; the
    detail names the types, not the value) and rows whose ``messages`` is not valid JSON (invalid_messages),
    which the normalise stage already removes.
    """
    check_input(df, STAGE)
    finder = _MemoFinder(PiiRedactor.from_settings(settings))
    ids = df["record_id"].astype(str).tolist()
    texts = text_column(df, "text")
    responses = text_column(df, "response")
    messages = text_column(df, "messages")
    labels = text_column(df, "label")
    label_types: dict[str, tuple[str, ...]] = {}
    out_text, out_resp, out_msg, out_counts = [], [], [], []
    keep: list[bool] = []
    dropped: list[tuple[str, str, str]] = []
    totals: Counter[str] = Counter()
    with_pii = 0
    # pii_counts per distinct count: records with PII mostly hold the same few ({"PERSON": 2}, ...).
    counts_json: dict[tuple[tuple[str, int], ...], str] = {}
    rows: Iterable[tuple[str, str, str, str]] = zip(ids, texts, responses, messages)
    workers = pii_workers.resolve_workers(settings.pii_workers)
    pool_stats: Counter[str] = Counter()
    if workers > 1:
        rows = _scanned_ahead(rows, finder, workers, pool_stats)
    for (rid, text, response, msg), label in zip(rows, labels, strict=True):
        in_label = _label_pii_types(finder.redactor, label, label_types)
        if in_label:
            keep.append(False)
            dropped.append((
                rid, LABEL_PII_REASON,
                f"the label holds PII ({', '.join(in_label)}); a label is a class name: fix the label in the source "
                "row (or its label mapping) and ingest again",
            ))
            out_text.append(text)
            out_resp.append(response)
            out_msg.append(msg)
            out_counts.append("{}")
            continue
        mapping: dict[tuple[str, str], str] = {}
        _hold_quoted_numbers(mapping, (text, response, msg))
        # A field equal to one redacted before in this record (a chat's last answer is its response, a
        # one-turn chat's text its only user turn) is redacted the same way again: every value in it is
        # in the mapping by then, which only grows, so its placeholders and counts are the same.
        done = {text: finder.redact(text, mapping)}
        new_text, text_counts = done[text]
        counts = dict(text_counts)
        if response not in done:
            done[response] = finder.redact(response, mapping)
        new_resp, c = done[response]
        if c:
            _add_counts(counts, c)
        new_msg = msg
        ok = True
        spread = False  # whether the values found were spread over the whole record (messages included)
        # The usual shape (what normalise writes) takes the shared orjson fast path; anything else json's.
        fast = role_content_turns(msg) if msg else None
        if fast is not None:
            parents = (text, response)
            contents = []
            redacted = False
            for _, content in fast:
                result = done.get(content)
                if result is None:
                    result = done[content] = finder.redact(content, mapping, parents)
                new_content, c = result
                if c:
                    _add_counts(counts, c)
                    redacted = True
                contents.append(new_content)
            if text_counts or _asks_after_reply(text, fast):
                # what the text (a chat's user turns joined) revealed with context no turn alone has
                more = _redact_in_context(text, [r for r, _ in fast], [c for _, c in fast], contents, finder, mapping)
                if more:
                    _add_counts(counts, more)
                    redacted = True
            spread = bool(counts)
            if spread:
                # what any field revealed, wherever else in the record it recurs (see _spread_in_record)
                box = [new_text, new_resp, *contents]
                more = _spread_in_record(finder, [text, response, *[c for _, c in fast]], box, mapping)
                if more:
                    _add_counts(counts, more)
                    new_text, new_resp, contents = box[0], box[1], box[2:]
                    redacted = redacted or contents != [c for _, c in fast]
            # Messages without PII are kept as they came (only a redaction changes the JSON); with PII,
            # every turn is written back as json's encoder would.
            if redacted:
                new_msg = f"[{', '.join([json_turn(role, new) for (role, _), new in zip(fast, contents)])}]"
        elif msg.strip():
            try:
                turns = json.loads(msg)
            except json.JSONDecodeError as exc:
                ok = False
                dropped.append((rid, "invalid_messages", f"messages is not valid JSON ({exc.msg} at char {exc.pos})"))
            except RecursionError:
                ok = False
                dropped.append((rid, "invalid_messages", "messages is nested too deeply to parse"))
            else:
                if not isinstance(turns, list):
                    ok = False
                    dropped.append(
                        (rid, "invalid_messages", f"messages must be a JSON list of turns, got {type(turns).__name__}")
                    )
                    turns = []
                parents = (text, response)
                redacted = False
                readable, raws = [], []
                for turn in turns:
                    if isinstance(turn, dict) and isinstance(content := turn.get("content"), str):
                        result = done.get(content)
                        if result is None:
                            result = done[content] = finder.redact(content, mapping, parents)
                        raws.append(content)
                        turn["content"], c = result
                        readable.append(turn)
                        if c:
                            _add_counts(counts, c)
                            redacted = True
                roles = [str(turn.get("role")) for turn in readable]
                if text_counts or _asks_after_reply(text, list(zip(roles, raws))):  # as in the fast path above
                    contents = [turn["content"] for turn in readable]
                    more = _redact_in_context(text, roles, raws, contents, finder, mapping)
                    if more:
                        _add_counts(counts, more)
                        redacted = True
                        for turn, content in zip(readable, contents, strict=True):
                            turn["content"] = content
                spread = bool(counts)
                if spread:  # as in the fast path above
                    box = [new_text, new_resp, *[turn["content"] for turn in readable]]
                    more = _spread_in_record(finder, [text, response, *raws], box, mapping)
                    if more:
                        _add_counts(counts, more)
                        new_text, new_resp = box[0], box[1]
                        for turn, content in zip(readable, box[2:], strict=True):
                            if turn["content"] != content:
                                turn["content"] = content
                                redacted = True
                if redacted:
                    new_msg = _JSON_ENCODER.encode(turns)
        if counts and not spread:
            # A value the text revealed (with a cue the response lacks: "my ssn is" ... "noted 123456789") is
            # hidden in the response too, and one the response revealed ("Dear Chidi Okeke") in the text.
            box = [new_text, new_resp]
            more = _spread_in_record(finder, [text, response], box, mapping)
            if more:
                new_text, new_resp = box
                _add_counts(counts, more)
        if not settings.redact_pii:
            new_text, new_resp, new_msg = text, response, msg
        keep.append(ok)
        if counts:
            with_pii += 1
            totals.update(counts)
            key = tuple(sorted(counts.items()))
            encoded = counts_json.get(key)
            if encoded is None:
                encoded = counts_json[key] = json.dumps(dict(key))
            out_counts.append(encoded)
        else:
            out_counts.append("{}")
        out_text.append(new_text)
        out_resp.append(new_resp)
        out_msg.append(new_msg)
    records = df.copy()
    records["text"] = out_text
    records["response"] = out_resp
    records["messages"] = out_msg
    records["pii_counts"] = out_counts
    return finish_stage(
        STAGE,
        df,
        keep,
        records,
        dropped,
        {
            "records_with_pii": int(with_pii),
            "pii_found_by_type": {t: int(n) for t, n in sorted(totals.items())},
            "redacted": settings.redact_pii,
            "texts_scanned_in_workers": int(pool_stats["texts_scanned_in_workers"]),
            **({"pii_pool_failures": int(pool_stats["pool_failures"])} if pool_stats["pool_failures"] else {}),
        },
    )


#: Every string the Aho-Corasick pass looks for.
#: The needles of the detectors most texts never need: one test of the set opens their gates.
_SPEAKER_ROLE_NEEDLES = frozenset(_SPEAKER_ROLE_WORDS)
_RARE_NEEDLES: frozenset[str] = (
    _LOWER_TITLE_NEEDLES | _SPOKEN_STREET_CUES | frozenset(_FOREIGN_SECRET_NEEDLES) | _FOREIGN_GREETING_NEEDLES
    | _SPEAKER_ROLE_NEEDLES
    | _SCRIPT_INTRO_NEEDLES
    | _FOREIGN_DIGIT_NEEDLES
    | _ZH_PHONE_NEEDLES
    | spoken_names.NEEDLES
    | sign_offs.NEEDLES
    | script_titles.NEEDLES
    | _ASKED_FOR_NEEDLES
)
_ALL_NEEDLES: frozenset[str] = (
    _GATE_NEEDLES
    | frozenset(_FRENCH_STREET_NEEDLES)
    | frozenset(_GERMAN_STREET_NEEDLES)
    | _LOWER_STREET_NEEDLES
    | _UNIT_FIRST_NEEDLES
    | _ROLE_WORDS
    | _SECRET_GATE_NEEDLES
    | frozenset(("   ", "--", "ms.", "prof.", "herr", "frau"))  # _may_hold_strong_cue
    | frozenset(_TRANSFER_WORDS)
    | frozenset(intro for _, intro in _INTROS_LOWER)
    | frozenset(_SECRET_KEYWORDS)
    | _MORE_SECRET_NEEDLES
    | frozenset(_FIELD_LABEL_WORDS)
    | frozenset(_SIGN_OFF_PHRASES)
    | _ANCHOR_NEEDLES
    | _RELATIVE_WORDS
    | _LOWER_TITLE_NEEDLES
    | _SPOKEN_STREET_CUES
    | frozenset(_FOREIGN_SECRET_NEEDLES)
    | _FOREIGN_GREETING_NEEDLES
    | _CODE_NEEDLES
    | _SECURITY_QUESTION_NEEDLES
    | _LOOSE_PASSWORD_NEEDLES
    | STREET_NEEDLES
    | _MORE_NAME_KEYS
    | _PHONE_QUESTION_NEEDLES
    | frozenset(_PICKUP_AND_SEED_NEEDLES)
    | _SPEAKER_ROLE_NEEDLES
    | _SCRIPT_INTRO_NEEDLES
    | _FOREIGN_DIGIT_NEEDLES
    | _ZH_PHONE_NEEDLES
    | spoken_names.NEEDLES
    | sign_offs.NEEDLES
    | script_titles.NEEDLES
    | _ASKED_FOR_NEEDLES
)


def _build_automaton() -> ahocorasick_rs.AhoCorasick:
    """The Aho-Corasick automaton of :func:`_needles_in` (ahocorasick-rs, Rust's aho-corasick crate: one call returns
    every match as a list, ~2 us a text, where pyahocorasick's iterator took ~3.7 us and a pattern of these
    alternatives in ``re`` tries each at every position, slower than the separate substring tests)."""
    return ahocorasick_rs.AhoCorasick(sorted(_ALL_NEEDLES), matchkind=ahocorasick_rs.MatchKind.Standard)


_AUTOMATON = _build_automaton()
