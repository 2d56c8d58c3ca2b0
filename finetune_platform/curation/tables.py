"""Tables pasted into tickets: CSV, TSV, semicolon and Markdown tables, and SQL ``INSERT ... VALUES`` dumps.

A support ticket often carries a table a customer or an agent pasted: an export of accounts, a list of failed
card payments, rows of a database. Its cells hold PII with no cue around them ("89670,Can Çelik,...", "...,
'343566951741244', NULL)"), but its header says what each column holds. :func:`typed_cells` reads the header,
types each column by its name (:data:`COLUMN_TYPES`) and returns the span of every typed cell of every row
below it; the PII detector (``pii.PiiRedactor._tables``) then checks each cell's value for its type (a card
number by Luhn, an SSN by its ranges, a name by its words), so a header alone never redacts anything.

Hand-written rather than ``csv``: the detector needs each cell's offsets in the text, which the ``csv`` module
does not give, and a pasted table is one text among prose, not a file.
"""

from __future__ import annotations

import re
from typing import Iterator

#: A column's header, normalised (lower case, spaces and hyphens as "_", quotes and backticks stripped) -> the
#: PII type of its cells. Only headers that name one kind of value: "name" alone is a person in most exports
#: (a product's name is "product_name", "item"); "city", "country" and "zip" alone are no PII (see ADDRESS_PARTS).
COLUMN_TYPES: dict[str, str] = {
    **dict.fromkeys(
        """name full_name fullname customer customer_name customername first_name firstname last_name lastname
        surname given_name family_name middle_name cardholder card_holder cardholder_name holder holder_name
        account_holder account_name name_on_card contact contact_name contact_person employee employee_name client
        client_name recipient recipient_name beneficiary payee display_name person patient patient_name passenger
        guest_name member_name sender_name caller caller_name naam klant nombre nom prenom prénom vorname nachname
        cognome agent agent_name assignee assigned_to owner rep author reporter requester requestor handled_by
        created_by submitted_by consignee consignee_name shipper_name addressee deliver_to ship_to_name bill_to_name
        tenant tenant_name renter renter_name lessee landlord landlord_name resident resident_name occupant
        applicant applicant_name insured insured_name policyholder policy_holder policyholder_name account_owner
        student student_name pupil parent parent_name guardian guardian_name next_of_kin nok emergency_contact
        traveler traveller traveler_name traveller_name guest attendee attendee_name participant visitor
        driver_name rider rider_name buyer_name seller_name borrower borrower_name co_borrower debtor debtor_name
        claimant claimant_name subscriber subscriber_name user_full_name customer_full_name ordered_by
        nombre_completo apellido apellidos titular destinatario destinataire nome nome_completo sobrenome
        cliente kunde empfänger empfaenger mieter mieterin locataire inquilino imię imie nazwisko naam_klant
        achternaam voornaam förnamn efternamn fornavn etternavn etunimi sukunimi jméno příjmení jméno_a_příjmení
        jmeno prijmeni nama nama_lengkap nama_pelanggan ho_ten họ_tên họ_và_tên isim ad_soyad adı_soyadı név
        teljes_név имя фио ф.и.о. клиент ім'я піб όνομα ονοματεπώνυμο שם שם_מלא الاسم اسم नाम ชื่อ ชื่อ_นามสกุล
        姓名 名前 氏名 お名前 客户姓名 联系人 이름 성명 고객명""".split(),
        "PERSON",
    ),
    **dict.fromkeys("ssn social_security social_security_number ssn_number us_ssn".split(), "US_SSN"),
    **dict.fromkeys(
        "card card_number cardnumber card_no cc cc_number credit_card credit_card_number pan card_num".split(), "CREDIT_CARD"
    ),
    **dict.fromkeys(
        """phone phone_number phonenumber mobile mobile_number mobile_phone cell cell_phone tel telephone telefoon
        telefono teléfono telefon contact_number callback callback_number msisdn whatsapp landline caller_number
        caller_id ani from_number to_number customer_phone contact_phone phone_no mobile_no tel_no cell_number
        contact_no phone1 phone_1 phone2 phone_2 alt_phone home_phone work_phone emergency_phone whatsapp_number
        telefone celular móvil movil handy handynummer telefonnummer téléphone portable numero_telefono
        nr_telefonu puhelin mobil no_hp nomor_hp hp telepon số_điện_thoại sdt telefonszám телефон τηλέφωνο טלפון
        هاتف फ़ोन फोन โทรศัพท์ 手机 手机号 电话 電話 電話番号 携帯 전화번호 휴대폰""".split(),
        "PHONE",
    ),
    **dict.fromkeys(
        """address street street_address address_line1 address_line_1 address1 addr line1 address_line2
        address_line_2 address2 line2 adres direccion dirección indirizzo adresse anschrift shipping_address
        billing_address home_address mailing_address delivery_address pickup_address dropoff_address
        service_address property_address residential_address permanent_address correspondence_address
        postal_address street1 street_1 address_1 addr1 addr_line1 endereço endereco morada straße strasse
        adresa osoite alamat địa_chỉ cím adres адрес адреса διεύθυνση כתובת العنوان पता ที่อยู่ 地址 住所 ご住所 주소""".split(),
        "ADDRESS",
    ),
    **dict.fromkeys(
        "password passwd pwd pass secret api_key apikey token access_token secret_key client_secret".split(), "CREDENTIALS"
    ),
}
#: Columns that go on an address when they stand right after its street column ("street,city,postcode"): the
#: span then runs to the end of the last of them.
ADDRESS_PARTS = frozenset(
    "city town postcode post_code postal_code zip zip_code zipcode state county province region plaats ciudad "
    "città ville stadt plz cap".split()
)
#: Values that stand for no value in an export or a dump.
EMPTY_VALUES = frozenset(("", "null", "none", "n/a", "na", "-", "--", "nan", "nil", "unknown", "redacted", "***"))

_DELIMITERS = (",", "\t", ";", "|")
#: A header cell: a short identifier or a few words, maybe quoted.
_HEADER_CELL = re.compile(r"[ ]*[\"'`]?[^\W\d_][\w\u0300-\u036f\u0900-\u0dff\u0e00-\u0e7f .#/()'-]{0,40}?[\"'`]?[ ]*")
#: A Markdown table's rule line ("|---|:--:|").
_RULE_LINE = re.compile(r"[ ]*\|?[ ]*:?-{2,}:?[ ]*(?:\|[ ]*:?-{2,}:?[ ]*)+\|?[ ]*")
#: An SQL insert with its column list; its VALUES tuples are read by _sql_rows.
_SQL_INSERT = re.compile(
    r"(?i:insert[ ]+into)[ ]+[`\"\[]?[\w.]+[`\"\]]?[ ]*\(([^()]{1,2000})\)[ ]*(?i:values)[ ]*", re.MULTILINE
)
_SQL_VALUE = re.compile(r"[ \t\r\n]*('(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"|[^,()\s]+)[ \t\r\n]*")


def normalise_header(cell: str) -> str:
    """A header cell as :data:`COLUMN_TYPES` spells it: "Customer Name" -> "customer_name", '"E-mail"' -> "e_mail"."""
    return re.sub(r"[ \-]+", "_", cell.strip().strip("\"'`[]").strip().lower())


def may_hold_table(text: str) -> bool:
    """False only when ``text`` holds no table :func:`typed_cells` reads: two lines and a delimiter, or an insert."""
    return "\n" in text and ("," in text or "\t" in text or ";" in text or "|" in text) or (
        "(" in text and ("VALUES" in text or "values" in text)
    )


def split_cells(line: str, delimiter: str, offset: int) -> list[tuple[int, int]]:
    """The spans (in the whole text: ``offset`` is where ``line`` starts) of the cells of one delimited line, each
    without the spaces and double quotes around it; a quoted cell may hold the delimiter ('"MacLeod, Eoin"')."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(line)
    while True:
        start = i
        while start < n and line[start] == " ":
            start += 1
        if start < n and line[start] == '"':
            close = start + 1
            while True:
                close = line.find('"', close)
                if close < 0 or line[close + 1:close + 2] != '"':
                    break
                close += 2  # a doubled quote inside the cell
            if close < 0:
                close = n
            spans.append((offset + start + 1, offset + close))
            end = line.find(delimiter, close + 1)
        else:
            end = line.find(delimiter, start)
            stop = n if end < 0 else end
            cell_end = stop
            while cell_end > start and line[cell_end - 1] in " \r":
                cell_end -= 1
            spans.append((offset + start, offset + cell_end))
        if end < 0:
            return spans
        i = end + 1


def _header_types(cells: list[str]) -> list[str | None] | None:
    """Each header cell's PII type (or "+" for a part of an address after its street), None for a cell of no type;
    None for the whole line when it is no header (a cell that is no identifier, or no typed column)."""
    types: list[str | None] = []
    typed = False
    for cell in cells:
        if not _HEADER_CELL.fullmatch(cell):
            return None
        key = normalise_header(cell)
        kind = COLUMN_TYPES.get(key)
        if kind is None and key in ADDRESS_PARTS and types and types[-1] in ("ADDRESS", "+"):
            kind = "+"
        types.append(kind)
        typed = typed or (kind is not None and kind != "+")
    return types if typed else None


def _lines(text: str) -> list[tuple[int, str]]:
    """Each line of ``text`` with the offset it starts at."""
    out: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out


def _delimited_cells(text: str) -> Iterator[tuple[str, int, int]]:
    lines = _lines(text)
    i = 0
    while i < len(lines) - 1:
        offset, line = lines[i]
        header = None
        # a header is short and no sentence: most lines of prose are ruled out before any split
        if len(line) > 1000 or line.rstrip(" \r").endswith((".", "?", "!", ",", ":")) or ". " in line or "? " in line:
            i += 1
            continue
        for delimiter in _DELIMITERS:
            if line.count(delimiter) < (2 if delimiter == "|" else 1):
                continue
            markdown = delimiter == "|"
            body = line.strip()
            if markdown:
                body = body.strip("|")
            cells = body.split(delimiter)
            if len(cells) < 2:
                continue
            types = _header_types(cells)
            if types is not None:
                header = (delimiter, types, markdown)
                break
        if header is None:
            i += 1
            continue
        delimiter, types, markdown = header
        j = i + 1
        if markdown and j < len(lines) and _RULE_LINE.fullmatch(lines[j][1]):
            j += 1
        while j < len(lines):
            row_offset, row = lines[j]
            if not row.strip() or delimiter not in row:
                break
            if markdown:
                lead = len(row) - len(row.lstrip(" "))
                if row.startswith("|", lead):
                    lead += 1
                body = row[lead:].rstrip(" \r")
                if body.endswith("|"):
                    body = body[:-1]
                spans = split_cells(body, delimiter, row_offset + lead)
            else:
                spans = split_cells(row, delimiter, row_offset)
            if len(spans) == len(types):
                yield from _typed(text, spans, types)
            j += 1
        i = j


def _typed(text: str, spans: list[tuple[int, int]], types: list[str | None]) -> Iterator[tuple[str, int, int]]:
    k = 0
    while k < len(spans):
        kind = types[k]
        start, end = spans[k]
        if kind is not None and kind != "+" and text[start:end].strip().lower() not in EMPTY_VALUES:
            if kind == "ADDRESS":  # on over its city and postcode cells
                while k + 1 < len(spans) and types[k + 1] == "+":
                    k += 1
                    if text[spans[k][0]:spans[k][1]].strip().lower() not in EMPTY_VALUES:
                        end = spans[k][1]
            yield kind, start, end
        k += 1


def _sql_rows(text: str) -> Iterator[tuple[str, int, int]]:
    for insert in _SQL_INSERT.finditer(text):
        types = _header_types(insert.group(1).split(","))
        if types is None:
            continue
        pos = insert.end()
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        while pos < len(text) and text[pos] == "(":
            spans: list[tuple[int, int]] = []
            pos += 1
            while True:
                value = _SQL_VALUE.match(text, pos)
                if value is None:
                    break
                a, b = value.span(1)
                if text[a] in "'\"":
                    a, b = a + 1, b - 1
                spans.append((a, b))
                pos = value.end()
                if pos < len(text) and text[pos] == ",":
                    pos += 1
                    continue
                break
            if pos >= len(text) or text[pos] != ")":
                break  # not a tuple of plain values: stop reading this insert
            pos += 1
            if len(spans) == len(types):
                yield from _typed(text, spans, types)
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1


def typed_cells(text: str) -> list[tuple[str, int, int]]:
    """(type, start, end) for every cell of a typed column of every table in ``text``; an address's span runs on over
    the city and postcode cells right after it."""
    out: list[tuple[str, int, int]] = []
    if "\n" in text:
        out += _delimited_cells(text)
    if "(" in text and ("VALUES" in text or "values" in text):
        out += _sql_rows(text)
    return out
