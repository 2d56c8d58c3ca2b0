"""PII in two fixed record formats that support and operations text quotes: HL7 v2 segments and airline PNR names.

Both spell a name in a way no prose cue finds ("KOWALSKI^ANNA^M", "OKONKWO/CHIDINMA MRS"), and both say by
their structure which fields hold a person, so they are read by position, not guessed at:

- :func:`hl7_spans`: in the lines of an HL7 v2 message that start with a segment id (``PID|``, ``NK1|``, ...),
  the fields the standard defines as a person's name (XPN: family^given^middle; XCN: id^family^given^middle)
  or a postal address (XAD: street^other^city^state^zip^country), each repetition (``~``) on its own. A
  field's components are checked (a name's are letters; an address needs a digit and a letter) so a
  segment with local extensions in those positions finds nothing wrong-typed. Phones and SSNs in the same
  segments are left to the validated detectors, which find them anywhere.
- :func:`pnr_names`: "SURNAME/GIVEN NAMES TITLE" as reservation systems print a passenger (``1.KOWALSKA/ANNA MRS``,
  ``TAN/WEI MING MR``): the name needs its title, or the passenger number before it, so "AND/OR", "TCP/IP"
  and "LHR/JFK" are never names.

Hand-written: the HL7 parsers on PyPI (``hl7``, ``python-hl7``) parse whole messages and refuse a fragment
pasted into a ticket, which is what these texts hold; the field positions are all that is needed here.
Plain Python, no dagster.
"""

from __future__ import annotations

import re

#: Name fields of HL7 v2 segments (1-based field numbers after the segment id), by the data type of the field.
_HL7_XPN_FIELDS: dict[str, tuple[int, ...]] = {
    "PID": (5, 6, 9),  # patient name, mother's maiden name, alias
    "NK1": (2,),  # next of kin / associated party
    "GT1": (3, 4),  # guarantor name, guarantor spouse name
    "IN1": (16,),  # name of insured
    "MRG": (7,),  # prior patient name
}
_HL7_XCN_FIELDS: dict[str, tuple[int, ...]] = {
    "PV1": (7, 8, 9, 17),  # attending, referring, consulting, admitting doctor
    "PD1": (4,),  # patient primary care provider
    "ORC": (10, 11, 12),  # entered by, verified by, ordering provider
    "OBR": (16, 28),  # ordering provider, result copies to
    "RXE": (13,),  # ordering provider's DEA (XCN)
    "TXA": (5, 9, 10, 22),  # primary activity provider, originator, assigned document authenticator, authenticator
    "ROL": (4,),  # role person
}
_HL7_XAD_FIELDS: dict[str, tuple[int, ...]] = {
    "PID": (11,),  # patient address
    "NK1": (4,),
    "GT1": (5,),
    "IN1": (19,),  # insured's address
}
_HL7_SEGMENT = re.compile(r"(?m)(?:^|(?<=\r))[ \t]*(PID|NK1|GT1|IN1|MRG|PV1|PD1|ORC|OBR|RXE|TXA|ROL)\|")
#: A component of a name: letters with the marks names carry (O'Neil, Smith-Jones, van der Berg).
_NAME_COMPONENT = re.compile(r"[^\W\d_](?:[^\W\d_]|['’ .-](?=[^\W\d_]))*\.?")


def hl7_spans(text: str) -> list[tuple[str, int, int]]:
    """``(type, start, end)`` of the names (PERSON) and addresses (ADDRESS) in the HL7 v2 segments of ``text``."""
    out: list[tuple[str, int, int]] = []
    for seg in _HL7_SEGMENT.finditer(text):
        name = seg.group(1)
        line_end = text.find("\n", seg.end())
        line_end = len(text) if line_end < 0 else line_end
        cr = text.find("\r", seg.end(), line_end)  # segments end at a carriage return in a raw message
        line_end = cr if cr >= 0 else line_end
        # field k (1-based) starts after the k-th "|" of the segment
        pos, k, fields = seg.end(), 1, {}
        while pos <= line_end:
            bar = text.find("|", pos, line_end)
            end = line_end if bar < 0 else bar
            fields[k] = (pos, end)
            if bar < 0:
                break
            pos, k = bar + 1, k + 1
        for kind, table in (("PERSON", _HL7_XPN_FIELDS), ("PERSON", _HL7_XCN_FIELDS), ("ADDRESS", _HL7_XAD_FIELDS)):
            for number in table.get(name, ()):
                if number not in fields:
                    continue
                start, end = fields[number]
                xcn = table is _HL7_XCN_FIELDS
                for rep_start, rep_end in _parts(text, start, end, "~"):
                    span = (
                        _address_span(text, rep_start, rep_end)
                        if kind == "ADDRESS"
                        else _name_span(text, rep_start, rep_end, skip=1 if xcn else 0)
                    )
                    if span is not None:
                        out.append((kind, *span))
    return out


def _parts(text: str, start: int, end: int, sep: str) -> list[tuple[int, int]]:
    """The (start, end) of each part of ``text[start:end]`` between ``sep`` characters: a field's repetitions
    ("~") or a repetition's components ("^")."""
    out, pos = [], start
    while True:
        cut = text.find(sep, pos, end)
        if cut < 0:
            out.append((pos, end))
            return out
        out.append((pos, cut))
        pos = cut + 1


def _name_span(text: str, start: int, end: int, skip: int) -> tuple[int, int] | None:
    """Family^given^middle of an XPN (``skip`` 0) or XCN (``skip`` 1: the id first): from the family name to the
    last non-empty of the three, each one letters only; None when the family name is empty or not a name."""
    parts = _parts(text, start, end, "^")[skip : skip + 3]
    if not parts or parts[0][0] == parts[0][1]:
        return None
    last = None
    for i, (a, b) in enumerate(parts):
        if a == b:
            continue
        if not _NAME_COMPONENT.fullmatch(text, a, b):
            if i == 0:
                return None
            break
        last = b
    return (parts[0][0], last) if last is not None else None


def _address_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Street^other^city^state^zip^country of an XAD: from the street to the last non-empty of the six, when the
    street holds a digit and a letter (a house number and a street name)."""
    parts = _parts(text, start, end, "^")[:6]
    a, b = parts[0]
    street = text[a:b]
    if "<" in street or not (any(c.isdigit() for c in street) and any(c.isalpha() for c in street)):
        return None  # no house number and street, or redacted already ("<ADDRESS_1>")
    last = max((b for a, b in parts if a < b), default=None)
    return (parts[0][0], last) if last is not None else None


#: "SURNAME/GIVEN NAMES" in capitals, then a title or nothing; the caller decides when nothing is enough.
_PNR_NAME = re.compile(
    r"(?<![\w/])(?P<pax>\d{1,2}\.\d?)?"
    r"(?P<name>[A-Z][A-Z'-]+(?: [A-Z][A-Z'-]+)?/[A-Z][A-Z'-]*(?: (?!(?:MRS|MR|MS|MISS|MSTR|DR|PROF|CHD|INF)\b)[A-Z][A-Z'-]+)*)"
    r"(?P<title> ?(?:MRS|MR|MS|MISS|MSTR|DR|PROF|CHD|INF)\b)?(?![\w/])"
    # a railway chart's sex and age after the name ("SHARMA/RAVIKANT   M 52  CNF B3 41")
    r"(?P<sexage>(?(title)|[ ]{1,8}[MF][ ]{1,3}\d{1,3}\b))?"
)

#: A title written onto the given name, as reservation systems print it ("SMITH/JOHNMR"); not "DR", which ends
#: given names ("ALEXANDR").
_GLUED_TITLE = re.compile(r"(?:MRS|MSTR|MISS|MR|MS)\Z")
#: What opens a chart's row before its passenger: spaces and a row number or nothing.
_ROW_NUMBER = re.compile(r"[ \t]*(?:\d{1,3}[ \t]+)?")
_AFTER_TITLE = re.compile(r"[ \t]*(?:$|[\r\n\d(),;:*|]|[ \t]{2}|[ \t]*-)|[ \t]+(?:\d|[A-Z]{2}\d)", re.M)


def pnr_names(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each passenger name "SURNAME/GIVEN" (its title left out) that has a title after it or
    a passenger number before it ("1.KOWALSKA/ANNA", "1.1SMITH/JOHN")."""
    out = []
    for m in _PNR_NAME.finditer(text):
        # a title ends the passenger element: the line, a field or the next passenger follows ("EUR/USD MR BEAN"
        # is a currency pair and a man)
        line_start = text.rfind("\n", 0, m.start()) + 1
        chart_row = m.group("sexage") and _ROW_NUMBER.fullmatch(text, line_start, m.start()) is not None
        if (m.group("title") and _AFTER_TITLE.match(text, m.end())) or m.group("pax") or chart_row:
            surname, _, given = m.group("name").partition("/")
            end = m.end("name")
            glued = _GLUED_TITLE.search(given) if not m.group("title") else None
            if glued is not None and glued.start() >= 2:
                end -= len(glued.group())  # "1.1SMITH/JOHNMR": the title written onto the name
                given = given[: glued.start()]
            if len(given) >= 2 and len(surname) >= 2:
                out.append((m.start("name"), end))
    return out
