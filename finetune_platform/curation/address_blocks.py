"""Postal addresses written as a block of lines, as letters, signatures and shipping labels lay them out.

::

    Flat 4                        The Old Rectory            1427 W Belmont Ave      Lindenstraße 12
    27 Harcourt Road              Church Lane                Apt 3F                  10115 Berlin
    Sheffield                     Little Snoring             Chicago, IL 60657       Germany
    S10 1DH                       Norfolk NR21 0HX

Each is one address. The line detectors of :mod:`pii` find the street line, and some find the town line or
the postcode line, but as separate spans ("Flat 4" / "27 Harcourt Road ... S10 1DH"), or nothing at all when
no line has a house number ("Church Lane"). A redaction that leaves the town and postcode of a street it hid
leaks the address, and three placeholders for one address break the consistency of placeholders.

:func:`address_blocks` reads the block from its postcode line: a line that is only a postcode, with its town
before it or after it (UK, US, Canadian, Australian, Irish, and the continental "10115 Berlin", "1012 AB
Amsterdam", "114 55 Stockholm", "00-950 Warszawa", "1200-095 Lisboa" and "Lagos 101245" layouts, or a postcode
alone under its town's line, "Johannesburg\n2195"). Above it,
it takes the lines an address block holds, nearest first: towns and districts (a few capitalised words), the
street (a house number, or a street word: "Church Lane", "Keizersgracht 123"), a flat or unit ("Flat 4",
"Apt 3F", "Unit 3, Baird Court") and a house's name ("The Old Rectory", "Rose Cottage"). It stops at a blank
line, a label ("Ship to:"), a person's name, a company, a sentence, or anything else. Below it, a country's
name on a line of its own is part of the block. A block needs a street: a line with a street word or a house
number the line detectors took for an address, so a list of towns and postcodes ("Leeds\nLS1 4AP") or a
heading over a number ("Q3 Results\n2024 Budget") is no address.

Hand-written, as the rest of the detectors: libpostal (the address parser that reads such blocks) needs a
2 GB model downloaded at run time, which the platform must not do; the line shapes are all that is needed.
Plain Python, no dagster.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: Letters of any script, in the words of towns ("München", "Ålesund", "Αθήνα").
_W = r"[^\W\d_]"
_TOWN = _W + r"(?:[^\W\d]|['’.-])*(?:[ ]" + _W + r"(?:[^\W\d]|['’.-])*){0,3}"
_CAP_TOWN = r"(?:[A-Z][a-z'’-]+|[A-Z]{2,})(?:[ -](?:[A-Z][a-z'’-]+|[A-Z]{2,}|upon|on|in|by|le|de|la|sur|am|an))*"
_UK_CODE = r"[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}"
_US_STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AA AE AP"
).split()
#: A line that is a postcode with its town (and maybe county or state): the anchor of a block. ``strong``
#: layouts (UK, US, Canadian, Australian, Irish) carry letters no heading has; ``weak`` ones ("10115 Berlin",
#: "Lagos 101245") need an address the line detectors found right above them.
_STRONG_POSTCODE_LINE = re.compile(
    r"(?:(?:" + _CAP_TOWN + r"),?[ ]+)?(?:" + _UK_CODE + r")"  # UK: "Norfolk NR21 0HX", "KY7 4NW"
    r"|" + _CAP_TOWN + r",?[ ]+(?:" + "|".join(_US_STATES) + r")[ ]+\d{5}(?:-\d{4})?"  # "Chicago, IL 60657"
    r"|" + _CAP_TOWN + r",?[ ]+(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT)[ ]+[A-Z]\d[A-Z][ ]?\d[A-Z]\d"
    r"|" + _CAP_TOWN + r",?[ ]+(?:NSW|VIC|QLD|SA|WA|TAS|NT|ACT)[ ]+\d{4}"
    r"|(?:" + _CAP_TOWN + r",?[ ]+)?(?:Co\.[ ]" + _CAP_TOWN + r",?[ ]+)?[AC-FHKNPRTV-Y]\d[0-9W][ ]?[0-9AC-FHKNPRTV-Y]{4}"
)
_WEAK_POSTCODE_LINE = re.compile(
    # "10115 Berlin", "D-10115 Berlin", "1012 AB Amsterdam", "114 55 Stockholm", "00-950 Warszawa", "1200-095
    # Lisboa", "Praha 1" after its code
    r"(?:[A-Z]{1,2}-)?(?:\d{4,5}|\d{3}[ ]\d{2}|\d{2}-\d{3}|\d{4}-\d{3}|\d{4}[ ]?[A-Z]{2})[ ]+" + _TOWN + r"(?:[ ]\d{1,2})?"
    # "Lagos 101245", "Chennai - 600017", "Αθήνα 10558", "Claremont 7708", "Nagoya 460-0008"
    + r"|" + _TOWN + r"(?:[ ]*[-–,][ ]*|[ ])(?P<reversed>\d{4,6}|\d{3}-\d{4})"
    # a postcode alone under its town ("Johannesburg\n2195")
    + r"|(?P<alone>\d{4,6})"
)
#: Countries as a block's last line names them.
_COUNTRIES = frozenset(
    (
        "united kingdom|uk|u.k.|great britain|england|scotland|wales|northern ireland|ireland|éire|united states"
        "|usa|u.s.a.|united states of america|us|canada|australia|new zealand|germany|deutschland|france|spain"
        "|españa|italy|italia|netherlands|the netherlands|nederland|belgium|belgique|belgië|luxembourg|switzerland"
        "|schweiz|suisse|austria|österreich|portugal|brazil|brasil|sweden|sverige|norway|norge|denmark|danmark"
        "|finland|suomi|iceland|poland|polska|czech republic|czechia|česko|česká republika|slovakia|hungary"
        "|magyarország|romania|românia|bulgaria|greece|ελλάδα|turkey|türkiye|cyprus|malta|croatia|slovenia"
        "|serbia|estonia|latvia|lithuania|ukraine|india|pakistan|bangladesh|sri lanka|nigeria|ghana|kenya"
        "|south africa|egypt|morocco|uae|united arab emirates|saudi arabia|qatar|israel|singapore|malaysia"
        "|indonesia|philippines|thailand|vietnam|japan|china|hong kong|south korea|korea|taiwan|mexico|méxico"
        "|argentina|chile|colombia|peru|perú"
    ).split("|")
)
#: A flat, unit or floor on a line of its own, maybe with a building after it ("Flat 4", "Apt 3F", "Unit 3,
#: Baird Court", "Wohnung 5", "2e étage").
_UNIT_LINE = re.compile(
    r"(?:Flat|Apt\.?|Apartment|Unit|Suite|Ste\.?|Floor|Level|Room|Rm\.?|Building|Bldg\.?|Block|Blk\.?|Wohnung|Whg\.?"
    r"|Appartement|Bâtiment|Bât\.?|Escalier|Piso|Planta|Puerta|Interno|Scala|Lgh|Leilighet|Lejlighed)[ ]?#?[\w-]{1,6}"
    r"(?:,[ ]" + _W + r"[\w'’ .-]{0,40})?"
    r"|\d{1,2}(?:st|nd|rd|th|e|er|ème|\.)[ ](?:Floor|étage|Etage|OG|Stock|piso|piano)"
    r"|(?:c/o|C/O)[ ].{1,40}",
    re.IGNORECASE,
)
#: Street words: English ones as a word, continental ones as a word or a word's end ("Lindenstraße",
#: "Keizersgracht", "Storgatan", "Vesterbrogade").
_STREET_WORDS = frozenset(
    "street st road rd avenue ave lane ln drive dr close crescent cres grove gardens terrace place way court "
    "square mews row hill walk parade boulevard blvd highway hwy parkway circle view rise green wharf quay "
    "rue avenue chemin allée impasse quai calle avenida paseo camino carrer plaza via viale piazza corso vicolo "
    "rua travessa largo praça ulica ul. aleja al. utca út tér sokak sokağı cadde caddesi odos strada "
    "bulevardul calea".split()
)
_STREET_ENDINGS = (
    "straße", "strasse", "str.", "weg", "gasse", "platz", "allee", "damm", "ring", "gracht", "straat", "laan",
    "plein", "kade", "dijk", "singel", "gatan", "vägen", "gränd", "gade", "vej", "gata", "veien", "vei", "katu",
    "tie", "polku", "väylä", "náměstí", "ulice", "třída",
)
#: A house's name on the line above its street ("The Old Rectory", "Rose Cottage", "Baird House").
_HOUSE_LINE = re.compile(
    r"(?:The[ ])?(?:[A-Z][a-z'’-]+[ ]){0,3}"
    r"(?:House|Cottage|Farm|Farmhouse|Lodge|Rectory|Vicarage|Manse|Mill|Barn|Barns|Villa|Manor|Grange|Hall|Mansions"
    r"|Apartments|Court|Tower|Towers|Building|Chambers|Works|Heights|Point|Wharf|Studios|Bungalow|Croft|Cottages)"
    r"|The[ ][A-Z][a-z'’-]+(?:[ ][A-Z][a-z'’-]+){0,2}"
)
#: A company's or team's line ends a block: a block names the place, not who is there.
_NOT_PLACE_WORDS = frozenset(
    "ltd ltd. limited plc llc inc inc. corp corp. gmbh ag b.v. bv s.a. sa sarl s.r.l. srl spa s.p.a. oy ab as a/s "
    "team department dept dept. support services service customer customers office manager director regards "
    "thanks dear hello hi".split()
)
#: A unit before a street's number on its line ("UNIT 4, 27 IKORODU ROAD", "Flat 2, 18 Albert Road").
_UNIT_PREFIX = re.compile(
    r"[ \t]*(?:Flat|Apt\.?|Apartment|Unit|Suite|Ste\.?|Floor|Level|Room|Rm\.?|Block|Blk\.?)[ ]?#?[\w-]{1,6},?[ ]*",
    re.IGNORECASE,
)
#: A flat or unit right before a street's number, after a label on its line ("Address: Flat C, 91 ...").
_UNIT_AFTER_LABEL = re.compile(
    r"(?<![\w-])(?:Flat|Apt\.?|Apartment|Unit|Suite|Ste\.?)[ ]#?[\w-]{1,6},?[ ]*\Z", re.IGNORECASE
)
_HOUSE_NUMBER = re.compile(r"(?<![\w-])\d{1,5}[A-Za-z]?(?![\w-])")
#: The gates, two patterns led by a line break (a literal, which the regex engine skips to, where a pattern led by
#: a class tries every position): the end of a line that ends as a strong postcode line or a town's code does
#: (UK "1DH", Canadian "2H1", Irish "X2P1", four digits), read on the reversed text; and the start of a line that
#: starts as a continental postcode line does ("10115 ...", "D-10115 ...", "00-514 ...").
_REVERSED_LINE_END = re.compile(r"\n\r?[ \t,]*(?:[A-Z]{2}\d|\d[A-Z]\d|[0-9A-Z]{4})")
_LINE_START = re.compile(r"\n[ \t]*(?:[A-Z]{1,2}-)?\d{2}")


def _candidate_lines(text: str) -> list[int]:
    """The starts of the lines of ``text`` that the gates let through, in order."""
    n = len(text)
    starts = {m.start() for m in _LINE_START.finditer("\n" + text)}  # "\n" + text: the first line too
    for m in _REVERSED_LINE_END.finditer("\n" + text[::-1]):
        end = n - m.start()  # the line's end in ``text``: the reversed "\n" at m.start() - 1 stands for n - m.start()
        starts.add(text.rfind("\n", 0, end) + 1)
    return sorted(starts)


def may_hold_block(text: str) -> bool:
    """Whether ``text`` may hold an address block: two lines, and one ends as a postcode line ends or starts as
    a continental one starts."""
    return (
        "\n" in text
        and (_REVERSED_LINE_END.search("\n" + text[::-1]) is not None or _LINE_START.search("\n" + text) is not None)
    )


#: The street words a block may stand on when the line detectors found no address in the text: those of
#: :data:`_STREET_WORDS` and :data:`_STREET_ENDINGS` that are no everyday word or abbreviation ("way", "place",
#: "view", "st", "rd" are left out). Substrings of the lower-cased text, they are the gate of a text with no address
#: found (:data:`STREET_NEEDLES`, in PiiRedactor's Aho-Corasick pass).
_DISTINCT_STREET_WORDS = frozenset(
    "street road lane avenue drive close crescent grove gardens terrace court square mews hill walk parade boulevard "
    "highway parkway wharf quay rue chemin allée impasse quai calle avenida paseo camino carrer plaza via viale piazza "
    "corso vicolo rua travessa largo praça ul. ulica utca út tér sokak sokağı cadde caddesi odos strada bulevardul "
    "calea".split()
)
STREET_NEEDLES = _DISTINCT_STREET_WORDS | frozenset(_STREET_ENDINGS)


def _has_street_word(line: str, distinct: bool = False) -> bool:
    """Whether ``line`` holds a street word (:data:`_STREET_WORDS`, or a word ending as :data:`_STREET_ENDINGS`);
    ``distinct``: only one of :data:`_DISTINCT_STREET_WORDS`."""
    words = line.lower().replace(",", " ").split()
    known = _DISTINCT_STREET_WORDS if distinct else _STREET_WORDS
    return any(w in known or (len(w) > 5 and w.endswith(_STREET_ENDINGS)) for w in words)


#: Words a number follows that are no town's district ("Qty 2", "Bay 12", "Step 3").
_NUMBERED_THINGS = frozenset(
    "qty quantity no nr box room line item page step floor level bay gate door unit suite apt table row seat lane "
    "phase part version build week day year ticket order case".split()
)


def _town_line(line: str) -> bool:
    """A town's or district's line: one to four capitalised words, no digits, no sentence ("Little Snoring",
    "Eastfield Industrial Estate", "JIBOWU, YABA")."""
    words = line.replace(",", " ").split()
    if len(words) > 1 and words[-1].isdigit() and len(words[-1]) <= 2:
        if words[0].lower().rstrip(".") in _NUMBERED_THINGS:
            return False  # "Qty 2", "Bay 12": a count or a place's number
        words.pop()  # a city's district: "Dublin 4", "Praha 1"
        line = line[: line.rindex(" ")]
    return (
        0 < len(words) <= 4
        and len(line) <= 40
        and not any(c.isdigit() for c in line)
        and all(w[:1].isupper() or w in ("upon", "on", "in", "by", "de", "la", "le", "am") for w in words)
        and not line.endswith((".", "!", "?", ":"))
    )


def _postcode_line(line: str) -> str | None:
    """"strong" or "weak" when ``line`` is a postcode line of that kind (:data:`_STRONG_POSTCODE_LINE`,
    :data:`_WEAK_POSTCODE_LINE`), else None. A weak one names no street ("1427 W Belmont Ave" is a street, not
    "1427 Belmont") and no year ("Build 2024")."""
    if _STRONG_POSTCODE_LINE.fullmatch(line) is not None:
        return "strong"
    weak = _WEAK_POSTCODE_LINE.fullmatch(line)
    if weak is None or _has_street_word(line):
        return None
    code = weak.group("reversed") or weak.group("alone")
    if code is not None and len(code) == 4 and code[:2] in ("19", "20"):
        return None
    return "alone" if weak.group("alone") else "weak"


def _not_place(line: str) -> bool:
    """A label, an e-mail, a sentence's end, or a company's or team's word: no line of an address block."""
    if ":" in line or "@" in line or line.endswith(("!", "?")):
        return True
    return any(w in _NOT_PLACE_WORDS for w in line.lower().replace(",", " ").split())


def address_blocks(text: str, spans: Sequence[tuple[str, int, int]]) -> list[tuple[int, int]]:
    """The address blocks of ``text`` (start, end), given the spans the line detectors found there (type,
    start, end): a block's postcode line and the address lines above it, and a country line below it. Each
    block holds at least two lines and a street; a person's span ends a block."""
    addresses = [(s, e) for t, s, e in spans if t == "ADDRESS"]
    persons = [(s, e) for t, s, e in spans if t == "PERSON"]
    out: list[tuple[int, int]] = []
    n = len(text)
    for line_start in _candidate_lines(text):
        line_end = text.find("\n", line_start)
        line_end = n if line_end < 0 else line_end
        if out and out[-1][1] >= line_start:
            continue  # inside the block before
        raw = text[line_start:line_end]
        line = raw.strip().rstrip(",").rstrip()
        kind = _postcode_line(line)
        if kind is None:
            continue
        strong = kind == "strong"
        block = _block_above(text, line_start, addresses, persons, strong, alone=kind == "alone")
        if block is None:
            continue
        end = line_start + (len(raw) - len(raw.lstrip())) + len(line)
        # a country on the line below ("Germany", "UNITED KINGDOM")
        if line_end < n:
            next_end = text.find("\n", line_end + 1)
            next_end = n if next_end < 0 else next_end
            below_raw = text[line_end + 1:next_end]
            below = below_raw.strip().rstrip(".,")
            if below and below.lower() in _COUNTRIES:
                end = line_end + 1 + (len(below_raw) - len(below_raw.lstrip())) + len(below)
        out.append((block, end))
    return out


def _block_above(
    text: str,
    anchor_start: int,
    addresses: list[tuple[int, int]],
    persons: list[tuple[int, int]],
    strong: bool,
    alone: bool = False,
) -> int | None:
    """Where the block whose postcode line starts at ``anchor_start`` starts, or None when the lines above it
    are no address (no street among them, or no line at all). A postcode ``alone`` on its line needs its town's
    line right above it ("Johannesburg\n2195")."""
    start = anchor_start
    seen_street = False
    seen_found = False  # an address the line detectors found, or a street word with a house number
    lines = 0
    cursor = anchor_start - 1  # the line break before the anchor's line
    while cursor > 0 and lines < 6:
        line_start = text.rfind("\n", 0, cursor) + 1
        raw = text[line_start:cursor]
        line = raw.strip()
        if not line or len(line) > 60:
            break
        lead = line_start + (len(raw) - len(raw.lstrip()))
        tail = lead + len(line)
        if any(s < tail and e > lead for s, e in persons) and not (
            _has_street_word(line, distinct=True) and line[:1].isupper() and len(line.split()) <= 4
        ):
            break  # "John Miller" over his address (but not "Albert Road", a street named after one)
        if alone and not lines and not _town_line(line):
            return None
        if _postcode_line(line.rstrip(",").rstrip()) is not None:
            break  # the postcode line of the address before: "12 Main St\nSpringfield, IL 62704\nBoston, MA 02110"
        found = [(s, e) for s, e in addresses if s < tail and e > lead]
        if found:
            first = min(s for s, _ in found)
            seen_found = seen_street = True
            lines += 1
            if first > lead and _UNIT_PREFIX.fullmatch(text, lead, first) is None:
                # "Ship to: 12 Oak Street": the address starts after its label, or at the flat before its street
                # ("Address: Flat C, 91 Highbury Hill")
                unit = _UNIT_AFTER_LABEL.search(text, lead, first)
                start = unit.start() if unit is not None else first
                break
            start = lead
            cursor = line_start - 1
            continue
        if _not_place(line):
            break
        if _UNIT_LINE.fullmatch(line):
            if line[:3].lower() == "c/o":
                break  # care of a person
            start, lines, cursor = lead, lines + 1, line_start - 1
            continue
        street = _has_street_word(line, distinct=not addresses) and len(line.split()) <= 7
        numbered = _HOUSE_NUMBER.search(line) is not None
        if street and (numbered or all(w[:1].isupper() or not w[:1].isalpha() for w in line.split()[-1:])):
            seen_street = True
            seen_found = seen_found or numbered  # "Keizersgracht 123": a street word and a number
            start, lines, cursor = lead, lines + 1, line_start - 1
            continue
        if not seen_street and _town_line(line):
            start, lines, cursor = lead, lines + 1, line_start - 1
            continue
        if seen_street and _HOUSE_LINE.fullmatch(line):
            start, lines, cursor = lead, lines + 1, line_start - 1
            break  # a house's name heads its block
        break
    if not lines or not seen_street or (not strong and not seen_found):
        return None
    return start
