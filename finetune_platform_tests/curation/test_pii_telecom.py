"""A telecom's and a utility's tickets: SIM and router secrets, PINs asked for in a call, localised exports,
firmware versions and masks that are no addresses, case handlers and carriers that are no one's name."""

from __future__ import annotations

import pytest

from finetune_platform.curation import PiiRedactor

R = PiiRedactor()


def _found(text: str) -> list[tuple[str, str]]:
    return [(m.type, text[m.start:m.end]) for m in R.find(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # SIM codes as a provisioning log's keys
        ('"sim":{"iccid":"89442370355878214475","pin1":"1626","puk1":"69861019","puk2":"58766043"}',
         [("CREDENTIALS", "1626"), ("CREDENTIALS", "69861019"), ("CREDENTIALS", "58766043")]),
        # a Wi-Fi key after its French and Japanese labels
        ("Box installée. Clé Wi-Fi: UGZJGJaRkEGLjYK9", [("CREDENTIALS", "UGZJGJaRkEGLjYK9")]),
        ("Wi-Fi暗号化キー：Falcon2643#wKW", [("CREDENTIALS", "Falcon2643#wKW")]),
        # a PIN asked for, answered in the next turn: an account's PIN is a secret, not an account's id
        ("Agent: For security can I have the 4-digit account PIN?\nCustomer: 1379\nAgent: Thanks",
         [("CREDENTIALS", "1379")]),
        # Japanese turns labelled with a full-width colon, and a code's word ending in コード
        ("オペレーター：ネットワーク暗証番号（4桁）をお願いします。\nお客様：4415\n"
         "オペレーター：確認できました。PINロック解除コードは33770337です。",
         [("CREDENTIALS", "4415"), ("CREDENTIALS", "33770337")]),
        # exports whose header names its columns in the customer's language, and names in other scripts
        ('cislo_zak;jméno_a_příjmení;telefon;adresa\n4855492;Jaromír Kratochvíl;782 203 993;"Vinohradská 12, Praha"',
         [("PERSON", "Jaromír Kratochvíl"), ("PHONE", "782 203 993"), ("ADDRESS", "Vinohradská 12, Praha")]),
        ('客户编号,姓名,手机,地址\n5888218,司马浩然,021-07405531,"台北市大安區忠孝東路四段38號4樓"',
         [("PERSON", "司马浩然"), ("PHONE", "021-07405531"), ("ADDRESS", "台北市大安區忠孝東路四段38號4樓")]),
        ('รหัสลูกค้า;ชื่อ-นามสกุล;โทรศัพท์;ที่อยู่\n2150119;ณัฐวุฒิ วงศ์ใหญ่;02-006-0076;"253 หมู่ 1"',
         [("PERSON", "ณัฐวุฒิ วงศ์ใหญ่"), ("PHONE", "02-006-0076"), ("ADDRESS", "253 หมู่ 1")]),
        ("id_pelanggan;nama_lengkap;no_hp\n7852143;Febriani Setiawan;62 878 5585 7355",
         [("PERSON", "Febriani Setiawan"), ("PHONE", "62 878 5585 7355")]),
        # national numbers of regions not configured, after a cue with a full stop and in Polish and Norwegian
        ("Masarykova 2317/65, 301 00 Plzeň\nTel.: 664 776 343",
         [("ADDRESS", "Masarykova 2317/65, 301 00 Plzeň"), ("PHONE", "664 776 343")]),
        ("Proszę o kontakt pod numerem 564 291 458 lub mailowo", [("PHONE", "564 291 458")]),
        ("Vi sender SMS til 990 73 141 når den er retta", [("PHONE", "990 73 141")]),
        # numbers in international form without their "+", as switches and gateways log them
        ('{"msisdn":"819000177813","iccid":"89441965216383513921","imsi":"234315312678900"}',
         [("PHONE", "819000177813")]),
        ("call_id=c1bed39ccc90 ani=2349051744719 dnis=3049712", [("PHONE", "2349051744719")]),
        ('SMSGW OUT to=639056214932 sender=Smart body="x"', [("PHONE", "639056214932")]),
        ('callerid="Obiageli Akinwande" <2348073141384>',
         [("PERSON", "Obiageli Akinwande"), ("PHONE", "2348073141384")]),
        ("From 254745092759: hi this is about my token", [("PHONE", "254745092759")]),
        # a number read out after the agent asks for "the phone number on the account": no account's id
        ("[00:00:15] AGENT: can you confirm the phone number on the account\n"
         "[00:00:21] CALLER: oh eight one, five oh seven, one four nine four nine",
         [("PHONE", "oh eight one, five oh seven, one four nine four nine")]),
        # an address after a label that names what it is for, in several languages
        ("Adresa locului de consum: Str. Memorandumului nr. 49, Iași 700259\nIBAN: RO1",
         [("ADDRESS", "Str. Memorandumului nr. 49, Iași 700259")]),
        ("Asennusosoite: Aleksis Kiven katu 62 B 22, 20100 Turku\nPuhelin: 040",
         [("ADDRESS", "Aleksis Kiven katu 62 B 22, 20100 Turku")]),
        ("Indirizzo di fornitura: Corso Vittorio Emanuele II 15, int. 19, 80134 Napoli (NA)",
         [("ADDRESS", "Corso Vittorio Emanuele II 15, int. 19, 80134 Napoli")]),
        ("Anschlussadresse: Schanzenstraße 183 / Hinterhaus, 10439 Berlin",
         [("ADDRESS", "Schanzenstraße 183 / Hinterhaus, 10439 Berlin")]),
        ("Alamat pemasangan: Perum Griya Asri Blok B3 No. 11, Kel. Sukajadi, Bandung 40162",
         [("ADDRESS", "Perum Griya Asri Blok B3 No. 11, Kel. Sukajadi, Bandung 40162")]),
        ("Address as per UIDAI: H.No. 7-8-380/90, Kothrud, Pune 411038",
         [("ADDRESS", "H.No. 7-8-380/90, Kothrud, Pune 411038")]),
        # in a text whose lower case is no case-blind match (Turkish "ı"), through the case-blind patterns
        ("Tesisat adresi: Atatürk Bulvarı No:201 D:6, 07100 Muratpaşa/Antalya",
         [("ADDRESS", "Atatürk Bulvarı No:201 D:6, 07100 Muratpaşa/Antalya")]),
        # a work order's line: the customer's name, a dash, the address
        ("WO-994526 08/03/2024 | 12:26\nHåvard Østby — Kirkegata 94, H0301, 9008 Tromsø",
         [("PERSON", "Håvard Østby"), ("ADDRESS", "Kirkegata 94, H0301, 9008 Tromsø")]),
    ],
)
def test_telecom_secrets_and_localised_exports_are_found(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # four-part firmware versions, after their word (with a colon, in Japanese) and in release notes
        "  model: FAST5670\n  firmware: 1.8.34.147\n",
        "ファームウェア 9.6.19.84 を適用します。",
        "- Fixed DHCP lease renewal bug introduced in 2.20.23.184",
        "Devices may reboot after the 5.15.10.45 update",
        # a network mask and the broadcast address identify nobody
        "netmask 255.255.255.0 on vlan 20",
        # a name column that holds no name, a product's code in Japanese
        "id,name,status\n1,不明,open",
        "商品コードは4901234567894です",
        # a case handler's role and a carrier answering a chat are no one's name
        "Kunde: hei, strømmen er borte\nKundebehandler 2173: Hei! Hvilken adresse gjelder det?",
        "Kund: hej, fick en faktura\nHandläggare 6183: Hej! Kan du uppge ditt kundnummer?",
        "[14:54] Cliente: me habeis cobrado dos veces\n[14:55] Movistar: Hola! Sentimos las molestias",
        # ids and timestamps after the keys of a gateway's log, a switch's line with no person's name, an account's
        # number read out
        "order_id=1234567890123 to=20240101123456",
        'callerid="Main Office" <0800123>',
        "AGENT: and what's the account number\nCALLER: four five one two three three eight seven",
    ],
)
def test_telecom_lookalikes_are_left_alone(text):
    assert _found(text) == []


def test_an_address_keeps_its_mask_out_but_not_itself():
    assert _found("permit=137.118.17.162/255.255.255.255") == [("IP_ADDRESS", "137.118.17.162")]
    assert _found("server 255.1.2.3 is down") == [("IP_ADDRESS", "255.1.2.3")]


@pytest.mark.parametrize(
    "label, opens",
    [("Adresa locului de consum: ", True), ("Tesisat adresi: ", True), ("Asennusosoite: ", True),
     ("E-mail address: ", False), ("IP adresa serveru: ", False), ("Wallet address: ", False),
     ("Adresse e-mail : ", False), ("Sähköpostiosoite: ", False)],
)
def test_a_compound_label_opens_an_address_unless_it_names_another_kind(label, opens):
    from finetune_platform.curation.pii import _cues_in_lower

    cues = _cues_in_lower((label + "Bryn Awel, Ffordd Penrhos").lower())
    assert bool(cues and cues[0].end() == len(label)) is opens


def test_a_dash_before_an_address_takes_only_a_name_and_only_a_real_dash():
    assert _found("Head Office — 12 Main Street, Springfield, IL 62704") == [
        ("ADDRESS", "12 Main Street, Springfield, IL 62704")
    ]
    assert ("PERSON", "Gaëtan Chevallier") not in _found("Gaëtan Chevallier - 12 Main Street, Springfield, IL 62704")
