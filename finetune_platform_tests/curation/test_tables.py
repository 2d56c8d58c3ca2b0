"""Reading pasted tables: cell spans, header typing, SQL inserts (the PII checks of each cell are in test_pii)."""

from __future__ import annotations

import pytest

from finetune_platform.curation.tables import may_hold_table, normalise_header, split_cells, typed_cells


def _values(text: str) -> list[tuple[str, str]]:
    return [(kind, text[start:end]) for kind, start, end in typed_cells(text)]


def test_split_cells_strips_spaces_and_quotes_and_keeps_a_quoted_delimiter():
    line = ' a , "MacLeod, Eoin",,"say ""hi"""'
    assert [line[a:b] for a, b in split_cells(line, ",", 0)] == ["a", "MacLeod, Eoin", "", 'say ""hi""']
    assert split_cells("x;y", ";", 10) == [(10, 11), (12, 13)]


@pytest.mark.parametrize(
    "cell, key", [("Customer Name", "customer_name"), ('"E-mail"', "e_mail"), (" `card_number` ", "card_number"), ("[SSN]", "ssn")]
)
def test_normalise_header(cell, key):
    assert normalise_header(cell) == key


def test_columns_are_typed_by_their_header_and_an_address_runs_over_its_city_and_postcode():
    text = "id,name,street,city,postcode,country,phone\n7,Ann Lee,1 High St,Leeds,LS1 1AA,GB,0113 496 0000"
    assert _values(text) == [("PERSON", "Ann Lee"), ("ADDRESS", "1 High St,Leeds,LS1 1AA"), ("PHONE", "0113 496 0000")]


def test_rows_end_at_a_blank_line_and_rows_of_another_width_are_skipped():
    text = "name,phone\nAnn Lee,0113 496 0000\nBo Chen\n\nSome prose, with a comma"
    assert _values(text) == [("PERSON", "Ann Lee"), ("PHONE", "0113 496 0000")]


def test_markdown_table():
    text = "| Name | Phone |\n|---|:---:|\n| Xu Junjie | +86-134-6939-4811 |\n|  Ann Lee | 1 |"
    assert _values(text) == [("PERSON", "Xu Junjie"), ("PHONE", "+86-134-6939-4811"), ("PERSON", "Ann Lee"), ("PHONE", "1")]


def test_sql_insert_with_a_column_list():
    text = "INSERT INTO `t` (id, full_name, ssn) VALUES\n  (1, 'Ann O''Neil', '078-05-1120'),\n  (2, NULL, 'x');"
    assert _values(text) == [("PERSON", "Ann O''Neil"), ("US_SSN", "078-05-1120"), ("US_SSN", "x")]


@pytest.mark.parametrize(
    "text",
    [
        "Hi Sarah, thanks.\nName, date and time are below.",  # prose lines are no header
        "product,price\nwidget,2",  # no typed column
        "INSERT INTO t VALUES ('Ann Lee', '078-05-1120')",  # no column list: nothing says what a value is
        "name,phone",  # a header and no row
        "",
    ],
)
def test_no_typed_cells(text):
    assert typed_cells(text) == []


def test_gate():
    assert may_hold_table("a,b\nc,d") and may_hold_table("insert into t (a) VALUES (1)")
    assert not may_hold_table("one line, no table") and not may_hold_table("two\nlines")
