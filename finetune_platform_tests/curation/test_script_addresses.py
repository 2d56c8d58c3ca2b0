"""Addresses in their own scripts' grammar (curation/script_addresses.py), through the redactor."""

from __future__ import annotations

import pytest

from finetune_platform.curation import PiiRedactor
from finetune_platform.curation.script_addresses import addresses

R = PiiRedactor()


@pytest.mark.parametrize(
    "text, address",
    [
        ("Адрес: 125009, г. Москва, ул. Тверская, д. 12, кв. 45", "125009, г. Москва, ул. Тверская, д. 12, кв. 45"),
        ("вул. Хрещатик, 22, кв. 7, Київ, 01001", "вул. Хрещатик, 22, кв. 7, Київ, 01001"),
        ("ул. Малышева, д. 5, Екатеринбург", "ул. Малышева, д. 5, Екатеринбург"),
        ("फ्लैट 102, गोमती नगर, लखनऊ 226010", "फ्लैट 102, गोमती नगर, लखनऊ 226010"),
        ("30/5, अशोक विहार फेज़ 2, दिल्ली 110052", "30/5, अशोक विहार फेज़ 2, दिल्ली 110052"),
        ("ঠিকানা: বাড়ি ১২, রোড ৫, ধানমন্ডি, ঢাকা ১২০৫", "বাড়ি ১২, রোড ৫, ধানমন্ডি, ঢাকা ১২০৫"),
        ("৩২/১ গড়িয়াহাট রোড, কলকাতা ৭০০০১৯", "৩২/১ গড়িয়াহাট রোড, কলকাতা ৭০০০১৯"),
        (
            "ที่อยู่: 99/12 ถนนสุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพมหานคร 10110",
            "99/12 ถนนสุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพมหานคร 10110",
        ),
        ("العنوان 92 شارع التحرير، الدقي، الجيزة", "92 شارع التحرير، الدقي، الجيزة"),
        ("רחוב הרצל 45, תל אביב. לביטול", "רחוב הרצל 45, תל אביב"),
        ("Blk 7 Lot 3, Brgy. San Isidro, Antipolo, Rizal 1870.", "Blk 7 Lot 3, Brgy. San Isidro, Antipolo, Rizal 1870"),
        # a barangay's word before a locality after the street, a street named with an "ñ" or initials
        ("Nurse: 123 Mabini St., Brgy. San Roque, Marikina City 1801. Gate", "123 Mabini St., Brgy. San Roque, Marikina City 1801"),
        ("send to 414 Osmeña Blvd, Cebu City 6000", "414 Osmeña Blvd, Cebu City 6000"),
        ("at 125 J.P. Laurel Ave, Bajada, Davao City 8000", "125 J.P. Laurel Ave, Bajada, Davao City 8000"),
    ],
)
def test_an_address_of_each_script_is_one_span(text, address):
    assert [(m.type, m.value) for m in R.find(text)] == [("ADDRESS", address)]


@pytest.mark.parametrize(
    "text",
    [
        "в 2024 году цена 5000 руб",  # no street's word
        "мы на ул. рядом",  # a street's word without a name in capitals and a number
        "मैंने 2/3 भाग 2024 में दिया 110052",  # a fraction, no street's or locality's word
        "ราคา 500 บาท ส่งภายใน 3 วัน",  # prices and days
        "Lot 5 of the auction sold for 2019",  # no block
    ],
)
def test_no_address_without_its_words_and_number(text):
    assert addresses(text) == []


def test_plain_ascii_text_costs_one_substring_test():
    assert addresses("Order 12345 shipped on 2024-05-01 to the customer") == []
