"""Addresses laid out as a block of lines (curation.address_blocks, through PiiRedactor.find)."""

from __future__ import annotations

import pytest

from finetune_platform.curation import PiiRedactor
from finetune_platform.curation.address_blocks import address_blocks, may_hold_block

R = PiiRedactor()


def _found(text: str) -> list[tuple[str, str]]:
    return [(m.type, m.value) for m in R.find(text)]


@pytest.mark.parametrize(
    "text, address",
    [
        # UK: a flat's line over the street, the town and the postcode on lines of their own
        ("Please send the replacement to:\nFlat 4\n27 Harcourt Road\nSheffield\nS10 1DH",
         "Flat 4\n27 Harcourt Road\nSheffield\nS10 1DH"),
        # no house number: a house's name and a street word, up to the county and postcode
        ("Regards,\nTom Hartley\nThe Old Rectory\nChurch Lane\nLittle Snoring\nNorfolk NR21 0HX",
         "The Old Rectory\nChurch Lane\nLittle Snoring\nNorfolk NR21 0HX"),
        # a unit with its building, an estate, the town, the postcode and the country
        ("Delivery address:\nUnit 3, Baird Court\nEastfield Industrial Estate\nGlenrothes\nKY7 4NW\nUnited Kingdom",
         "Unit 3, Baird Court\nEastfield Industrial Estate\nGlenrothes\nKY7 4NW\nUnited Kingdom"),
        # US: the flat on the line between the street and the city
        ("John Miller\n1427 W Belmont Ave\nApt 3F\nChicago, IL 60657\n", "1427 W Belmont Ave\nApt 3F\nChicago, IL 60657"),
        # continental layouts: postcode before the town, the country under it
        ("Ship to:\nHans Becker\nLindenstraße 12\n10115 Berlin\nGermany", "Lindenstraße 12\n10115 Berlin\nGermany"),
        ("Keizersgracht 123\n1015 CJ Amsterdam\nNederland", "Keizersgracht 123\n1015 CJ Amsterdam\nNederland"),
        ("Storgatan 5B\n114 55 Stockholm\nSverige", "Storgatan 5B\n114 55 Stockholm\nSverige"),
        ("ul. Marszałkowska 84/92 m. 15\n00-514 Warszawa\nPolska", "ul. Marszałkowska 84/92 m. 15\n00-514 Warszawa\nPolska"),
        ("Travessa do Carmo 9, 2.º Dto\n1200-095 Lisboa", "Travessa do Carmo 9, 2.º Dto\n1200-095 Lisboa"),
        ("Via Roma 12\n00184 Roma RM\nItalia", "Via Roma 12\n00184 Roma RM\nItalia"),
        # the town before its code: Nigerian, Irish (a Dublin district and an Eircode)
        ("UNIT 4, 27 IKORODU ROAD\nJIBOWU, YABA\nLAGOS 101245\nNIGERIA", "UNIT 4, 27 IKORODU ROAD\nJIBOWU, YABA\nLAGOS 101245\nNIGERIA"),
        ("Kind regards\n\nSarah O'Neill\nFlat 2, 18 Albert Road\nBallsbridge\nDublin 4\nD04 X2P1",
         "Flat 2, 18 Albert Road\nBallsbridge\nDublin 4\nD04 X2P1"),
        # military mail
        ("Ship to SGT Kevin Ramos\nUnit 3050 Box 4120\nAPO AE 09021\nNote: x", "Unit 3050 Box 4120\nAPO AE 09021"),
    ],
)
def test_an_address_block_is_one_span(text, address):
    assert [v for t, v in _found(text) if t == "ADDRESS"] == [address]


def test_the_block_keeps_the_name_over_it_apart_and_stops_at_its_label():
    found = _found("Ship to:\nHans Becker\nLindenstraße 12\n10115 Berlin\nGermany")
    assert found == [("PERSON", "Hans Becker"), ("ADDRESS", "Lindenstraße 12\n10115 Berlin\nGermany")]
    # the label's line: the address starts after the label
    assert _found("Deliver to 123 Main St\nSpringfield, IL 62704") == [("ADDRESS", "123 Main St\nSpringfield, IL 62704")]
    # one placeholder for the whole block
    redacted, counts = R.redact("Address:\nFlat 4\n27 Harcourt Road\nSheffield\nS10 1DH\n\nThanks")
    assert (redacted, counts) == ("Address:\n<ADDRESS_1>\n\nThanks", {"ADDRESS": 1})


@pytest.mark.parametrize(
    "text, expected",
    [
        # two addresses, one per line: two spans
        ("12 Oak Street, Leeds LS1 1AA\n14 Elm Road, York YO1 7HH", ["12 Oak Street, Leeds LS1 1AA", "14 Elm Road, York YO1 7HH"]),
        # a second city line is not the first address's
        ("12 Main St\nSpringfield, IL 62704\nBoston, MA 02110", ["12 Main St\nSpringfield, IL 62704"]),
        # a company over the street stays out of the block
        ("Jane Smith\nAcme Ltd\n12 High Street\nLeeds LS1 4AP\nTel: 0113 496 0000", ["12 High Street\nLeeds LS1 4AP"]),
    ],
)
def test_where_a_block_ends(text, expected):
    assert [v for t, v in _found(text) if t == "ADDRESS"] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Q3 Results\n2024 Budget",  # a heading over a number: no street
        "Branch list\nLeeds\nLS1 4AP",  # a town and a postcode: no street
        "We moved the stock to the depot.\nBay 12\n2024 Shipment",
        "Release notes\nVersion 2 Lane\nBuild 2024",  # a year is no postcode
        "Ticket closed.\nCustomer Services\nHigh Street branch\nLeeds LS1 4AP",  # a team's line
        "Windows 2019\nServer 2022",
    ],
)
def test_lines_that_are_no_address_block(text):
    assert [v for t, v in _found(text) if t == "ADDRESS"] == []


def test_the_block_reader_on_its_own():
    text = "Tom\nThe Old Rectory\nChurch Lane\nLittle Snoring\nNorfolk NR21 0HX"
    assert may_hold_block(text)
    # the name's span ends the block
    assert address_blocks(text, [("PERSON", 0, 3)]) == [(4, len(text))]
    # a weak postcode line needs an address found over it, or a street word with a number
    assert address_blocks("Kerkpad\n2514 Den Haag", []) == []
    assert address_blocks("Kerkstraat 56\n2514 Den Haag", []) == [(0, 27)]
    assert not may_hold_block("one line 10115 Berlin")
    # a line of something else (a phone) between the street and the postcode ends the block there
    text = "12 High Street\n0113 496 0000\nLeeds LS1 4AP"
    assert _found(text) == [("ADDRESS", "12 High Street"), ("PHONE", "0113 496 0000")]
    # a span of another type inside a block leaves the lines as the line detectors found them
    from finetune_platform.curation.pii import PiiMatch, _with_address_blocks

    text = "Flat 4\n27 Harcourt Road\nSheffield\nS10 1DH"
    inside = [PiiMatch("ADDRESS", 7, 23, text[7:23]), PiiMatch("PHONE", 24, 33, text[24:33])]
    assert _with_address_blocks(text, inside) is inside


@pytest.mark.parametrize(
    "text, address",
    [
        # Nordic, Finnish, Hungarian, Czech and Greek streets on one line with their postcodes
        ("Ida Poulsen melder indbrud på Vestergade 21, 5000 Odense C i går", "Vestergade 21, 5000 Odense C"),
        ("biztosított Szabó Gábor, Kossuth Lajos utca 7., 6720 Szeged", "Kossuth Lajos utca 7., 6720 Szeged"),
        ("pojištěný Lukáš Procházka, Masarykova 42, 602 00 Brno", "Masarykova 42, 602 00 Brno"),
        ("osoitteessa Hämeenkatu 12 B 18, 33100 Tampere.", "Hämeenkatu 12 B 18, 33100 Tampere"),
        ("Servicenotat: Montør besøkte Kongens gate 9, 7011 Trondheim", "Kongens gate 9, 7011 Trondheim"),
        ("Kund: Vasagatan 7, lgh 1102, 753 20 Uppsala", "Vasagatan 7, lgh 1102, 753 20 Uppsala"),
        ("ασφαλισμένη Ελένη Γεωργίου, Τσιμισκή 45, 546 23 Θεσσαλονίκη", "Τσιμισκή 45, 546 23 Θεσσαλονίκη"),
    ],
)
def test_continental_one_line_addresses(text, address):
    assert ("ADDRESS", address) in _found(text)


@pytest.mark.parametrize(
    "text", ["We shipped 1500 Units in 2024, 3000 Units total.", "Release 12, 2024 Edition", "Build 3, 1200 Users"]
)
def test_four_digits_and_a_word_are_no_postcode_without_a_street(text):
    assert [v for t, v in _found(text) if t == "ADDRESS"] == []


@pytest.mark.parametrize(
    "text, address",
    [
        # a postcode alone under its town
        ("Deliver to:\nNomvula Khumalo\nUnit 12, Jacaranda Court\n45 Rustenburg Road\nNorthcliff\nJohannesburg\n2195",
         "Unit 12, Jacaranda Court\n45 Rustenburg Road\nNorthcliff\nJohannesburg\n2195"),
        # a street named after a person is still the street
        ("Miss Chantelle Ashworth\nFlat 14\nMarlborough Court\nAlbert Road\nSouthport\nPR9 0LE",
         "Flat 14\nMarlborough Court\nAlbert Road\nSouthport\nPR9 0LE"),
    ],
)
def test_more_block_layouts(text, address):
    assert ("ADDRESS", address) in _found(text)


@pytest.mark.parametrize("text", ["Invoice lines\n12 Main Street\nQty 2\n2195", "Prices\n45 Market Road\n2195"])
def test_a_number_alone_needs_its_town_above_it(text):
    assert "2195" not in " ".join(v for t, v in _found(text) if t == "ADDRESS")


def test_the_flat_after_a_label_opens_the_block():
    text = "Name: Tobias Wren\nAddress: Flat C, 91 Highbury Hill\nLondon N5 1SX\nNext of kin: Alice Wren"
    assert ("ADDRESS", "Flat C, 91 Highbury Hill\nLondon N5 1SX") in _found(text)


@pytest.mark.parametrize(
    "text, address",
    [
        ("Adres is Oudegracht 231-bis, 3511 NK Utrecht", "Oudegracht 231-bis, 3511 NK Utrecht"),
        ("Leveringsadres: Grote Markt 15 bus 2, 2800 Mechelen", "Grote Markt 15 bus 2, 2800 Mechelen"),
        ("a fost livrat la Str. Memorandumului 21, ap. 4, 400114 Cluj-Napoca", "Str. Memorandumului 21, ap. 4, 400114 Cluj-Napoca"),
        ("Předmět nájmu: byt 2+kk, Lidická 42, 602 00 Brno", "Lidická 42, 602 00 Brno"),
        ("za lokal ul. Marszałkowska 84/92 m. 117, 00-514 Warszawa", "ul. Marszałkowska 84/92 m. 117, 00-514 Warszawa"),
    ],
)
def test_dutch_belgian_romanian_czech_and_polish_lines(text, address):
    assert ("ADDRESS", address) in _found(text)


@pytest.mark.parametrize(
    "text, address",
    [
        ("votre colis sera livré demain au 4520, rue Saint-Denis, app. 3, Montréal (Québec) H2J 2L3 entre 9h et 17h.",
         "4520, rue Saint-Denis, app. 3, Montréal (Québec) H2J 2L3"),
        ("Logement : 15 rue de la République, Bât. B, 3e étage, 69002 Lyon", "15 rue de la République, Bât. B, 3e étage, 69002 Lyon"),
        ("Penjemputan di alamat Kakak, Jl. Pantai Berawa No. 17, Canggu, Badung, Bali 80361 jam 9",
         "Jl. Pantai Berawa No. 17, Canggu, Badung, Bali 80361"),
        ("Người nhận: Trần Thị Thu Hà – 0987 112 365 – Số 25 ngõ 94 Chùa Bộc, Đống Đa, Hà Nội",
         "Số 25 ngõ 94 Chùa Bộc, Đống Đa, Hà Nội"),
        ("despachada a la dirección Carrera 43A # 18 Sur-135, Apto 902, Medellín", "Carrera 43A # 18 Sur-135, Apto 902, Medellín"),
    ],
)
def test_french_quebec_indonesian_vietnamese_and_colombian_lines(text, address):
    assert ("ADDRESS", address) in _found(text)


@pytest.mark.parametrize("text", ["số 3 trong danh sách", "Jl. Sudirman No. 5 ya"])
def test_a_number_after_a_street_word_alone_is_no_address(text):
    assert [v for t, v in _found(text) if t == "ADDRESS"] == []


def test_a_colombian_address_with_its_building():
    text = "Estoy afuera de la Carrera 43A # 18 Sur-135, edificio Torre Lleras apto 802, Medellín. Me abre"
    assert ("ADDRESS", "Carrera 43A # 18 Sur-135, edificio Torre Lleras apto 802, Medellín") in _found(text)
