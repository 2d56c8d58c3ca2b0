"""PII in fixed record formats and delimited rows: HL7 v2 segments, PNR passenger names, headerless CSV rows;
lower-case Czech/Polish titles and street addresses said or written in lower case after a cue."""

from __future__ import annotations

import pytest

from finetune_platform.curation import PiiRedactor
from finetune_platform.curation.records import hl7_spans, pnr_names

R = PiiRedactor()


def _found(text: str) -> list[tuple[str, str]]:
    return [(m.type, m.value) for m in R.find(text)]


HL7 = (
    "MSH|^~\\&|REGSYS|STMARY|LABSYS|STMARY|20240418093011||ADT^A04|MSG00412|P|2.5\r"
    "PID|1||MRN4471203^^^STMARY^MR||KOWALSKI^ANNA^M||19780512|F|||1209 W WRIGHTWOOD AVE^^CHICAGO^IL^60614||"
    "(773)555-0155|||S||ACC88213|342-18-6620\r"
    "NK1|1|KOWALSKI^PAWEL|SPO|||(773)555-0179\r"
    "PV1|1|I|W^389^1^UABH||||12345^MORGAN^REX^J^^^MD|67890^GRAINGER^LUCY^X^^^MD"
)


def test_hl7_names_and_addresses_are_read_by_field_position():
    found = _found(HL7)
    assert ("PERSON", "KOWALSKI^ANNA^M") in found  # PID-5
    assert ("ADDRESS", "1209 W WRIGHTWOOD AVE^^CHICAGO^IL^60614") in found  # PID-11, whole, not only its street
    assert ("PERSON", "KOWALSKI^PAWEL") in found  # NK1-2
    assert ("PERSON", "MORGAN^REX^J") in found and ("PERSON", "GRAINGER^LUCY^X") in found  # PV1-7/8: the id left out
    assert ("US_SSN", "342-18-6620") in found and ("PHONE", "(773)555-0179") in found
    # the facility, message type, the relationship code and the MRN are no one's name
    values = [v for _, v in found]
    assert not any(v in values for v in ("STMARY", "REGSYS", "SPO", "ADT^A04", "MRN4471203^^^STMARY^MR"))


def test_hl7_fields_that_hold_no_name_or_address_are_left():
    # a local extension with digits in the name field, an address field without a house number, another segment
    text = "PID|1||123||12345^^^X||19800101|M|||^^Springfield^IL\nOBX|1|ST|GLU^Glucose||5.4|mmol/L"
    assert hl7_spans(text) == []
    assert hl7_spans("ZPD|1|DOE^JOHN") == []  # a Z-segment is site-defined: its fields say nothing


def test_hl7_repetitions_each_their_own_span():
    text = "PID|1||9^^^H||SMITH^JANE~JONES^JANE^Q||19800101"
    assert [text[a:b] for _, a, b in hl7_spans(text)] == ["SMITH^JANE", "JONES^JANE^Q"]


@pytest.mark.parametrize(
    "text, names",
    [
        ("PNR X7K2LM  1.KOWALSKA/ANNA MRS  2.KOWALSKI/PIOTR MR", ["KOWALSKA/ANNA", "KOWALSKI/PIOTR"]),
        ("Passengers: TAN/WEI MING MR\nBag tag: 1234", ["TAN/WEI MING"]),
        ("NAME: OKONKWO/CHIDINMA MRS (ADT) seat 14C", ["OKONKWO/CHIDINMA"]),
        ("1.1SMITH/JOHNMR", ["SMITH/JOHNMR"]),  # a passenger number decides without a title
    ],
)
def test_pnr_passenger_names(text, names):
    assert [text[a:b] for a, b in pnr_names(text)] == names
    assert [v for t, v in _found(text) if t == "PERSON"] == names


@pytest.mark.parametrize("text", ["AND/OR", "TCP/IP over LHR/JFK", "EUR/USD MR BEAN", "IN/OUT MRS SMITH"])
def test_slashed_capitals_without_a_passenger_shape_are_no_names(text):
    assert pnr_names(text) == []


def test_headerless_csv_rows_give_their_phones_ssns_cards_and_surnames():
    text = (
        "10442,Jane,Doe,jane.doe@gmail.com,+44 7911 123456,2024-03-01\n"
        "10443,Kwabena,Mensah,kmensah@yahoo.com,+233 24 412 3456,2024-03-02\n"
        "7,Ana,342-18-6620,4111 1111 1111 1111,2024-01-01"
    )
    found = _found(text)
    for expected in [
        ("PERSON", "Jane"), ("PERSON", "Doe"), ("PHONE", "+44 7911 123456"), ("PERSON", "Kwabena"),
        ("PERSON", "Mensah"), ("PHONE", "+233 24 412 3456"), ("US_SSN", "342-18-6620"),
        ("CREDIT_CARD", "4111 1111 1111 1111"),
    ]:
        assert expected in found, expected


@pytest.mark.parametrize(
    "text",
    [
        "total 1,234,567,890 and 3,14159,26535",  # thousands and decimals: short cells
        "id;4155552671;x",  # a bare digit run needs a phone cue, in a cell as anywhere
        "ref,2024-03-01,1234567,8",  # a date and an amount
    ],
)
def test_cells_that_are_no_number_of_a_person(text):
    assert _found(text) == []


@pytest.mark.parametrize(
    "text, not_a_name",
    [
        ("a,b,Maria,Active,2024", "Active"),  # an enumerated value beside a given name
        ("C-1182;Okafor;Chidinma;Lagos;0803 555 1234", "Lagos"),  # a word on each side, no e-mail to say which
        ("C-1182;Okafor;Chidinma;Lagos;0803 555 1234", "Okafor"),
        ("Sure, Victor, Oscar, Kilo", "Kilo"),  # a list in prose, not a row
    ],
)
def test_row_neighbours_that_are_not_taken_for_surnames(text, not_a_name):
    assert ("PERSON", not_a_name) not in _found(text)


def test_a_row_surname_on_the_side_the_email_spells():
    assert ("PERSON", "Okafor") in _found("C-1182;Okafor;Chidinma;Lagos;c.okafor@gmail.com")


def test_the_same_ssn_in_a_table_and_in_prose_shares_its_placeholder():
    text = "id,name,ssn\n7,Imani Okoro,536-22-8175\n\nPlease check SSN 536228175 again"
    redacted, _ = R.redact(text)
    assert redacted.count("<US_SSN_1>") == 2 and "<US_SSN_2>" not in redacted


@pytest.mark.parametrize(
    "text, name",
    [
        ("dobrý den, paní Nováková volala kvůli faktuře", "Nováková"),
        ("prosím pana Dvořáka o zavolání", "Dvořáka"),
        ("Dzień dobry, pan Jan Kowalski prosi o kontakt. Dziękuję", "Jan Kowalski"),
        ("rozmawiałam z panią Kowalską wczoraj", "Kowalską"),
    ],
)
def test_lower_case_west_slavic_titles(text, name):
    assert ("PERSON", name) in _found(text)


def test_an_english_pan_is_no_title():
    assert _found("a non-stick pan Tefal, I paid 20€") == []
    assert _found("a frying pan Le Creuset is great") == []


@pytest.mark.parametrize(
    "text, address",
    [
        ("address: 14 oak lane", "14 oak lane"),
        ("i live at 14 oak lane in leeds", "14 oak lane"),
        ("ship to 221b baker st please", "221b baker st"),
        ("yeah so the address is twenty two baker street, london", "twenty two baker street"),
        ("um my address is uh one oh four maple avenue", "one oh four maple avenue"),
        ("THE ADDRESS IS TWENTY TWO BAKER STREET", "TWENTY TWO BAKER STREET"),
    ],
)
def test_streets_in_lower_case_or_said_after_a_cue(text, address):
    assert ("ADDRESS", address) in _found(text)


@pytest.mark.parametrize(
    "text", ["moved to 12 hours drive away", "i live at 3 different places", "i live at one of those places on the road",
             "it's a one way street"]
)
def test_lower_case_phrases_that_are_no_street(text):
    assert [m for m in _found(text) if m[0] == "ADDRESS"] == []
