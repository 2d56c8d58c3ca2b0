"""Street addresses written in their own scripts' grammar, and the Philippines' block-and-lot addresses.

::

    125009, г. Москва, ул. Тверская, д. 12, кв. 45          вул. Хрещатик, 22, кв. 7, Київ, 01001
    मकान नं. 58, गली नं. 8, शास्त्री नगर, जयपुर 302016         ফ্ল্যাট ৪বি, বাড়ি ৭৮, রোড ১১, বনানী, ঢাকা ১২১৩
    99/12 ถนนสุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพมหานคร 10110   92 شارع التحرير، الدقي، الجيزة
    רחוב הרצל 45, תל אביב                                   Blk 7 Lot 3, Brgy. San Isidro, Antipolo, Rizal 1870

Each pattern needs a word only an address holds in its script (a street's, a house's or a district's word:
"ул.", "मकान", "ถนน", "شارع", "רחוב", "Blk ... Lot") and a house number, and runs only on text that holds
that word, so other text pays one substring test a script. The PII detector (``pii.PiiRedactor``) calls
:func:`addresses` for its ADDRESS type.

Hand-written, as the other detectors: a model that parses addresses of every country (libpostal) needs
about 2 GB of data downloaded at run time, which the platform must not do. Plain Python, no dagster.
"""

from __future__ import annotations

import re

_CYR_UP = "А-ЯЁІЇЄҐ"
_CYR = "А-ЯЁІЇЄҐа-яёіїєґʼ'’"
#: Russian and Ukrainian: an optional postcode and city first, the street's word and name, the house ("д. 12",
#: "22", "буд. 5"), flats and buildings, then the city and the postcode ("ул. Малышева, д. 5, Екатеринбург").
_CYRILLIC = re.compile(
    r"(?<![\w])(?:\d{5,6},[ ]?)?(?:(?:г\.|м\.|город|місто)[ ]?[" + _CYR_UP + r"][" + _CYR + r"-]+,[ ]?)?"
    r"(?:ул\.|вул\.|улица|вулиця|просп\.|пр-т|проспект|пер\.|пров\.|провулок|переулок|бул\.|бульвар|ш\.|шоссе|наб\.|пл\.)"
    r"[ ]?[" + _CYR_UP + r"0-9][" + _CYR + r"0-9-]*(?:[ ][" + _CYR + r"][" + _CYR + r"-]*){0,2},?[ ]?"
    r"(?:д\.|дом|буд\.|будинок)?[ ]?\d{1,4}[" + _CYR + r"]?(?:/\d{1,4})?"
    r"(?:,?[ ]?(?:кв\.|к\.|корп\.|стр\.|оф\.|квартира|под\.)[ ]?\d{1,4}[" + _CYR + r"]?)*"
    r"(?:,[ ]?(?:г\.[ ]?|м\.[ ]?)?[" + _CYR_UP + r"][" + _CYR + r"-]+(?:[ ][" + _CYR_UP + r"][" + _CYR + r"-]+)?)?"
    r"(?:,[ ]?\d{5,6}(?!\d))?"
)
_CYRILLIC_NEEDLES = ("ул.", "вул.", "улица", "вулиця", "просп.", "пр-т", "проспект", "пер.", "пров.", "провулок",
                     "переулок", "бул.", "бульвар", "шоссе", "наб.")

_DEV_DIGIT = r"0-9०-९০-৯"
#: Hindi and Bengali: a house's, a flat's or a plot's word and number (or "30/5"), a few parts, then a PIN of six
#: digits (India) or a postcode of four (Bangladesh), in either script's digits.
_INDIC = re.compile(
    r"(?:(?:मकान|फ्लैट|फ़्लैट|प्लॉट|हाउस|घर|ফ্ল্যাট|বাড়ি|বাসা|হোল্ডিং)[ ]?(?:नं\.?|नंबर|संख्या|নং|নম্বর)?[ ]?"
    r"[" + _DEV_DIGIT + r"]+[^\s,।|]{0,3}|(?<![\w/])[" + _DEV_DIGIT + r"]{1,4}/[" + _DEV_DIGIT + r"]{1,4})"
    r"(?:,?[ ][^\n,।|:]{1,30}?){1,7}?[ ,–-]+(?:[1-9१-९১-৯][" + _DEV_DIGIT + r"]{2}[ ]?[" + _DEV_DIGIT + r"]{3}|[১-৯][০-৯]{3})"
    r"(?![" + _DEV_DIGIT + r"])"
)
_INDIC_PLACE_WORDS = ("रोड", "मार्ग", "नगर", "गली", "सेक्टर", "विहार", "कॉलोनी", "फेज़", "फेज", "ब्लॉक", "एन्क्लेव",
                      "রোড", "সড়ক", "লেন", "নগর", "গলি", "ব্লক", "সেক্টর")
_INDIC_NEEDLES = ("मकान", "फ्लैट", "फ़्लैट", "प्लॉट", "हाउस", "घर", "ফ্ল্যাট", "বাড়ি", "বাসা", "হোল্ডিং", "/")

#: Thai: the house number ("99/12"), then a village's, a road's, a lane's, a sub-district's and a district's words
#: and the province, then the five-digit postcode.
_THAI = re.compile(
    r"(?<![\d/])\d{1,4}(?:/\d{1,4})?[ ]"
    r"(?:(?:หมู่บ้าน|หมู่|ม\.|ถนน|ถ\.|ซอย|ซ\.|แขวง|เขต|ตำบล|ต\.|อำเภอ|อ\.|จังหวัด|จ\.)?[ ]?[\u0e01-\u0e4e]+[ ]?\d{0,3}[ ]?){2,8}?"
    r"[ ]?\d{5}(?!\d)"
)
_THAI_NEEDLES = ("ถนน", "ถ.", "ซอย", "แขวง", "เขต", "ตำบล", "อำเภอ", "หมู่บ้าน")

#: Arabic: the number, the street's word and name, then up to three districts and the city ("92 شارع التحرير،
#: الدقي، الجيزة").
_ARABIC = re.compile(
    r"(?<![\d])\d{1,5}[ ](?:شارع|ش\.|طريق)[ ][\u0621-\u064a][\u0621-\u064a ]{1,30}?"
    r"(?:[،,][ ]?[\u0621-\u064a][\u0621-\u064a ]{1,25}?){0,3}(?=[ ]*(?:[.،,؛\n]|$|[^\u0621-\u064a ]))"
)
#: Hebrew: the street's word and name, the number, then the city ("רחוב הרצל 45, תל אביב").
_HEBREW = re.compile(
    r"(?:רחוב|רח'|רח׳|שדרות|שד'|שד׳|דרך)[ ][\u05d0-\u05ea][\u05d0-\u05ea'\"׳ -]{1,25}?[ ]\d{1,4}[\u05d0-\u05ea]?"
    r"(?:/\d{1,3})?(?:,[ ]?[\u05d0-\u05ea][\u05d0-\u05ea'\" -]{1,20}[\u05d0-\u05ea])?"
)

#: The Philippines: a subdivision's block and lot, up to five parts (the subdivision, the barangay, the city, the
#: province), then the four-digit postcode ("Blk 33 Lot 27, BF Resort Village, Brgy. Talon Dos, Las Piñas City 1747").
_PHILIPPINES = re.compile(
    r"(?<![\w-])(?:Blk|Block|BLK)\.?[ ]?\d{1,4}[A-Z]?,?[ ]+(?:Lot|LOT|L)\.?[ ]?\d{1,4}[A-Z]?"
    r"(?:,[ ][^,\n]{2,40}?){1,5},?[ ]\d{4}(?!\d)"
)


def addresses(text: str) -> list[tuple[int, int]]:
    """(start, end) of every address of the patterns above in ``text``."""
    out: list[tuple[int, int]] = []
    if text.isascii():
        if "Lot" in text or "LOT" in text:
            out += [m.span() for m in _PHILIPPINES.finditer(text)]
        return out
    if "Lot" in text or "LOT" in text:
        out += [m.span() for m in _PHILIPPINES.finditer(text)]
    if any(n in text for n in _CYRILLIC_NEEDLES):
        out += [m.span() for m in _CYRILLIC.finditer(text)]
    if any(n in text for n in _INDIC_NEEDLES) and re.search(r"[\u0900-\u09ff]", text):
        for m in _INDIC.finditer(text):
            # "30/5, अशोक विहार ..." opens with its number alone: then a street's or a locality's word says it is
            # an address ("मैंने 2/3 भाग 2024 में दिया 110052" is a fraction)
            if m.group()[:1].isdigit() and not any(w in m.group() for w in _INDIC_PLACE_WORDS):
                continue
            out.append(m.span())
    if any(n in text for n in _THAI_NEEDLES):
        out += [m.span() for m in _THAI.finditer(text)]
    if "شارع" in text or "ش." in text or "طريق" in text:
        out += [(m.start(), len(text[: m.end()].rstrip(" "))) for m in _ARABIC.finditer(text)]
    if "רח" in text or "שד" in text or "דרך" in text:
        out += [m.span() for m in _HEBREW.finditer(text)]
    return out
