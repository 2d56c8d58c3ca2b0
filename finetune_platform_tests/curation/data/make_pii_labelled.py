"""Generate ``pii_labelled.jsonl``: support-ticket sentences with every PII span labelled.

Deterministic (fixed seed): run ``python finetune_platform_tests/curation/data/make_pii_labelled.py`` to
rebuild the file; the test suite reads the committed file. Each line is
``{"id", "subset", "text", "spans": [{"type", "start", "end", "value"}]}``; subset is "template"
(generated), "hard" (hand-written edge cases) or "held_out" (hand-written tickets in other phrasings, added
after the detectors were written and not used to tune them).

What it holds: e-mails in several shapes; phones in US, UK, German and French national formats and in
international formats of a dozen countries; Luhn-valid cards of six networks written plain, with spaces
and with dashes; IBANs of nine countries, compact and grouped; US SSNs with dashes, spaces and bare after a
cue; IPv4 and IPv6 addresses; URLs with credentials; person names after cues and as "First Surname",
including given names that are not in the detector's list; US, UK, German and French street addresses.
Negatives that must stay: order and ticket ids, dates, times, prices, versions, tracking numbers,
Luhn-invalid cards, IBANs with a wrong checksum, SSNs with an invalid area, "Dear Customer", "Will you".

Caveat for whoever reads the numbers: the generator and the detectors were written by the same person, so
the set measures the formats listed here, not the open world; the hard-coded HARD_CASES at the end are
the ones known to be missed.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
from pathlib import Path

import phonenumbers

SEED = 20261128
OUT = Path(__file__).with_name("pii_labelled.jsonl")

FIRST = ["Sarah", "Michael", "Emily", "David", "Priya", "Lukas", "Camille", "Giulia", "Mohammed", "Sophie",
         "Daniel", "Hannah", "Carlos", "Fatima", "Oliver", "Chen", "Anna", "James", "Isabella", "Rahul"]
#: Given names the detector's list does not hold: found only after strong cues.
RARE_FIRST = ["Xiomara", "Thandiwe", "Oluwaseun", "Siddharth", "Anneliese", "Bartholomew", "Zdenka", "Kwame"]
LAST = ["Johnson", "Smith", "Garcia", "Müller", "O'Brien", "McDonald", "Nguyen", "Kowalski", "Rossi",
        "Dubois", "Patel", "Schneider", "Okafor", "Andersson", "Fernández", "Whitaker", "Lindqvist", "Moreau"]
STREET_NAMES = ["Main", "Oak", "Maple", "Elm", "Washington", "Lake", "Hill", "Park", "Cedar", "Sunset",
                "Baker", "Church", "Victoria", "Mill", "Highland"]
SUFFIXES = ["St", "Street", "Ave", "Avenue", "Road", "Rd", "Blvd", "Lane", "Drive", "Court", "Way", "Place"]
CITIES = [("Springfield", "IL"), ("Portland", "OR"), ("Austin", "TX"), ("Denver", "CO"), ("Boston", "MA")]
DOMAINS = ["example.com", "mail.example.org", "corp.example.co.uk", "example.de", "post.example.fr"]


def luhn_digit(partial: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def iban_check(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    num = int("".join(str(int(c, 36)) for c in rearranged))
    return f"{98 - num % 97:02d}"


class Gen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)

    def pick(self, seq):
        return self.r.choice(seq)

    def digits(self, n: int) -> str:
        return "".join(str(self.r.randint(0, 9)) for _ in range(n))

    # --- positives -------------------------------------------------------------------------------------------
    def email(self) -> str:
        f, l = self.pick(FIRST).lower(), self.pick(["smith", "nguyen", "patel", "rossi", "obrien", "lee"])
        local = self.pick([f"{f}.{l}", f"{f}_{l}", f"{f[0]}{l}{self.r.randint(1, 99)}", f"{f}+support", f"{f}.{l}.work"])
        value = f"{local}@{self.pick(DOMAINS)}"
        return value.upper() if self.r.random() < 0.05 else value

    def phone(self) -> str:
        while True:
            kind = self.r.randint(0, 13)
            area = self.pick(["212", "415", "312", "617", "206", "303", "512"])
            ex, line = f"{self.r.randint(2, 9)}{self.digits(2)}", self.digits(4)
            value = [
                f"({area}) {ex}-{line}", f"{area}-{ex}-{line}", f"{area}.{ex}.{line}", f"+1 {area} {ex} {line}",
                f"+1-{area}-{ex}-{line}",
                f"020 7946 0{self.digits(3)}", f"+44 20 7946 0{self.digits(3)}", f"+44 7911 {self.digits(6)}",
                f"030 {self.r.randint(2, 9)}{self.digits(6)}", f"+49 151 {self.r.randint(2, 9)}{self.digits(7)}",
                f"0{self.r.randint(1, 5)} {self.digits(2)} {self.digits(2)} {self.digits(2)} {self.digits(2)}",
                f"+33 6 {self.digits(2)} {self.digits(2)} {self.digits(2)} {self.digits(2)}",
                self.pick([f"+34 6{self.digits(2)} {self.digits(3)} {self.digits(3)}", f"+39 06 {self.digits(4)} {self.digits(4)}",
                           f"+31 20 {self.digits(3)} {self.digits(4)}", f"+61 2 9{self.digits(3)} {self.digits(4)}",
                           f"+81 3-{self.digits(4)}-{self.digits(4)}", f"+91 9{self.digits(4)} {self.digits(5)}",
                           f"+55 11 9{self.digits(4)}-{self.digits(4)}"]),
                f"0044 20 7946 0{self.digits(3)}",
            ][kind]
            region = {5: "GB", 8: "DE", 10: "FR"}.get(kind, "US")
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(value, region)):
                    return value
            except phonenumbers.NumberParseException:
                pass

    def card(self, valid: bool = True) -> str:
        prefix, length = self.pick([("4", 16), ("4", 16), ("5" + str(self.r.randint(1, 5)), 16),
                                    (str(self.r.randint(2221, 2720)), 16), (self.pick(["34", "37"]), 15),
                                    ("6011", 16), ("35" + str(self.r.randint(28, 89)), 16), ("36", 14)])
        body = prefix + self.digits(length - len(prefix) - 1)
        check = luhn_digit(body)
        if not valid:
            check = str((int(check) + self.r.randint(1, 9)) % 10)
        digits = body + check
        style = self.r.randint(0, 2)
        if length == 15:
            groups = [digits[:4], digits[4:10], digits[10:]]
        else:
            groups = [digits[i:i + 4] for i in range(0, length, 4)]
        return digits if style == 0 else (" " if style == 1 else "-").join(groups)

    def iban(self, valid: bool = True) -> str:
        country, bban = self.pick([
            ("DE", self.digits(18)), ("GB", self.pick(["NWBK", "BARC", "LOYD", "MIDL"]) + self.digits(14)),
            ("FR", self.digits(10) + "0" + self.digits(10) + self.digits(2)), ("NL", self.pick(["ABNA", "INGB", "RABO"]) + self.digits(10)),
            ("ES", self.digits(20)), ("IT", "X" + self.digits(22)), ("CH", self.digits(17)), ("AT", self.digits(16)),
            ("BE", self.digits(12)),
        ])
        check = iban_check(country, bban)
        if not valid:
            check = f"{(int(check) + self.r.randint(1, 50)) % 97 + 2:02d}"
        compact = country + check + bban
        if self.r.random() < 0.5:
            return compact
        return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))

    def ssn(self) -> str:
        area = self.r.choice([a for a in range(1, 900) if a != 666])
        group, serial = self.r.randint(1, 99), self.r.randint(1, 9999)
        sep = self.pick(["-", "-", " "])
        return f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"

    def ipv4(self) -> str:
        return self.pick([f"192.168.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}", f"10.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}",
                          f"{self.r.randint(11, 223)}.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"])

    def ipv6(self) -> str:
        addr = ipaddress.IPv6Address(self.r.getrandbits(128) & ~((1 << 64) - 1) | self.r.getrandbits(16))
        return addr.compressed if self.r.random() < 0.7 else addr.exploded

    def credentials(self) -> tuple[str, str, str]:
        user = self.pick(["admin", "deploy", "svc_backup", "jdoe", "app"])
        pwd = self.pick(["hunter2", "S3cr3t!", "p4ssw0rd", "Tr0ub4dor", "letmein2024"])
        scheme, host = self.pick([("https", "db.example.com/path"), ("ftp", "ftp.example.org/pub"),
                                  ("postgres", "db.internal:5432/prod"), ("redis", "cache.example.net:6379")])
        return f"{scheme}://", f"{user}:{pwd}", f"@{host}"

    def full_name(self) -> str:
        return f"{self.pick(FIRST)} {self.pick(LAST)}"

    def us_address(self) -> str:
        num = self.r.randint(1, 9999)
        street = self.pick(STREET_NAMES)
        if self.r.random() < 0.2:
            street = f"{self.pick(['N', 'S', 'E', 'W', 'North', 'West'])} {street}"
        addr = f"{num} {street} {self.pick(SUFFIXES)}"
        if self.r.random() < 0.3:
            addr += f", {self.pick(['Apt', 'Suite', 'Unit'])} {self.r.randint(1, 40)}{self.pick(['', 'B', 'C'])}"
        if self.r.random() < 0.5:
            city, state = self.pick(CITIES)
            addr += f", {city}, {state} {self.digits(5)}"
        return addr

    def other_address(self) -> str:
        return self.pick([
            f"{self.r.randint(1, 200)} {self.pick(['Downing', 'Baker', 'Abbey', 'Church'])} Street, London SW1A {self.r.randint(1, 9)}AA",
            f"{self.pick(['Haupt', 'Bahnhof', 'Linden', 'Goethe', 'Schiller'])}straße {self.r.randint(1, 120)}, {self.digits(5)} Berlin",
            f"{self.pick(['Berliner', 'Münchner'])} Straße {self.r.randint(1, 99)}",
            f"{self.r.randint(1, 150)} rue de la {self.pick(['Paix', 'République', 'Gare'])}, 750{self.r.randint(10, 20)} Paris",
            f"{self.r.randint(1, 99)} avenue {self.pick(['Victor Hugo', 'Foch', 'Jean Jaurès'])}",
        ])

    # --- negatives ---------------------------------------------------------------------------------------------
    def negative(self) -> str:
        return self.pick([
            f"order ORD-{self.digits(6)}", f"ticket #{self.r.randint(1000000, 9999999)}", f"case INC-2024{self.digits(4)}",
            f"on 2024-{self.r.randint(1, 12):02d}-{self.r.randint(1, 28):02d}", f"on {self.r.randint(1, 12):02d}/{self.r.randint(1, 28):02d}/2024",
            f"at {self.r.randint(0, 23)}:{self.r.randint(0, 59):02d}", f"at {self.r.randint(0, 23):02d}:{self.r.randint(0, 59):02d}:{self.r.randint(0, 59):02d}",
            f"for ${self.r.randint(1, 9)},{self.digits(3)}.{self.digits(2)}", f"for €{self.r.randint(5, 999)}.{self.digits(2)}",
            f"with version {self.r.randint(1, 12)}.{self.r.randint(0, 9)}.{self.r.randint(0, 30)}", f"on build 10.0.{self.r.randint(10000, 22999)}.{self.r.randint(100, 3999)}",
            f"tracking 1Z{self.digits(3)}AA1{self.digits(10)}", f"invoice INV/2024/{self.digits(5)}", f"SKU {self.digits(8)}",
            f"card ending in {self.digits(4)}", f"card {self.card(valid=False)}", f"IBAN {self.iban(valid=False)}",
            f"ref 666-{self.digits(2)}-{self.digits(4)}", f"code 000-{self.r.randint(10, 99)}-{self.digits(4)}",
            f"ISBN 978-3-16-{self.digits(6)}-0", f"error 0x8007{self.digits(4)}", f"port {self.r.randint(1024, 65000)}",
            f"{self.r.randint(2, 12)} items", f"{self.r.randint(5, 90)}% off", f"model XPS-{self.r.randint(10, 17)} {self.digits(4)}",
            f"order number {self.digits(10)}", f"account {self.digits(8)}", "version 1.2.3.4",
        ])


#: (template, {slot: type}); slots are filled by Gen methods named like the slot.
TEMPLATES = [
    "Hi, my name is {full_name} and my email is {email}.",
    "Please call me back on {phone} about {neg}.",
    "You can reach me at {email} or {phone}.",
    "I was charged twice on card {card} for {neg}.",
    "Please refund to IBAN {iban}, reference {neg}.",
    "My SSN is {ssn} and the form asks for it again.",
    "Our server at {ipv4} cannot reach the API since {neg}.",
    "The IPv6 address {ipv6} is blocked by your firewall.",
    "The connection string {credentials} stopped working {neg}.",
    "Dear {full_name},\nthanks for your message about {neg}.",
    "This is {first} from billing, I looked at {neg}.",
    "Ship the replacement to {us_address} please.",
    "New address: {us_address}. Phone {phone}.",
    "Please send it to {other_address}.",
    "I spoke with {full_name} yesterday about {neg} but nothing happened.",
    "Thanks for the quick help!\n\nBest regards,\n{full_name}",
    "Thanks,\n{first}",
    "Hi {first}, the payment with {card} failed {neg}.",
    "{full_name} called about {neg}, call back on {phone}.",
    "My name is {rare_full_name}, customer since 2019, email {email}.",
    "Dear Mr. {last}, your refund for {neg} is on the way.",
    "Kind regards,\n{rare_full_name}",
    "Login from {ipv4} and {ipv6} were flagged for {neg}.",
    "Bank details: {iban}. Card: {card}. Contact {email}.",
    "Social security number: {ssn}. Phone: {phone}.",
    "Contact: {full_name} <{email}>",
    "Card: {card} (Visa), billing address {us_address}.",
    "The VPN gateway {ipv4}:443 rejected me {neg}.",
    "Dear {mid_name},\nyour ticket about {neg} is closed.",
    "{hyphen_name} will pick it up {neg}.",
    "Please update my phone to {phone} and my email to {email}, thanks!",
    "Hello Support, {full_name} here. My card {card} expired.",
    "Cheers,\n{first}\n{phone}",
]


def fill(gen: Gen, template: str) -> dict:
    text, spans = "", []
    for part in re.split(r"(\{[a-z0-9_]+\})", template):
        if not (part.startswith("{") and part.endswith("}")):
            text += part
            continue
        slot = part[1:-1]
        if slot == "neg":
            text += gen.negative()
            continue
        if slot == "credentials":
            before, value, after = gen.credentials()
            text += before
            spans.append({"type": "CREDENTIALS", "start": len(text), "end": len(text) + len(value), "value": value})
            text += value + after
            continue
        value, kind = {
            "full_name": lambda: (gen.full_name(), "PERSON"),
            "rare_full_name": lambda: (f"{gen.pick(RARE_FIRST)} {gen.pick(LAST)}", "PERSON"),
            "first": lambda: (gen.pick(FIRST), "PERSON"),
            "mid_name": lambda: (f"{gen.pick(FIRST)} {gen.pick('ABCDJKMRT')}. {gen.pick(LAST)}", "PERSON"),
            "hyphen_name": lambda: (f"{gen.pick(['Mary', 'Anna', 'Jean', 'Hans'])}-{gen.pick(['Jane', 'Lena', 'Luc', 'Peter'])} {gen.pick(LAST)}", "PERSON"),
            "last": lambda: (gen.pick(LAST), "PERSON"),
            "email": lambda: (gen.email(), "EMAIL"),
            "phone": lambda: (gen.phone(), "PHONE"),
            "card": lambda: (gen.card(), "CREDIT_CARD"),
            "iban": lambda: (gen.iban(), "IBAN"),
            "ssn": lambda: (gen.ssn(), "US_SSN"),
            "ipv4": lambda: (gen.ipv4(), "IP_ADDRESS"),
            "ipv6": lambda: (gen.ipv6(), "IP_ADDRESS"),
            "us_address": lambda: (gen.us_address(), "ADDRESS"),
            "other_address": lambda: (gen.other_address(), "ADDRESS"),
        }[slot]()
        spans.append({"type": kind, "start": len(text), "end": len(text) + len(value), "value": value})
        text += value
    return {"text": text, "spans": spans}


NEGATIVE_TEMPLATES = [
    "Order {neg} placed {neg} has not arrived.",
    "I paid {neg} {neg} and got an error.",
    "The app crashes {neg} {neg}.",
    "Dear Customer, we received your request about {neg}.",
    "Regards,\nThe Support Team",
    "Will you check {neg} please? May I also ask about {neg}?",
    "Mark {neg} as resolved.",
    "Chase Bank declined {neg}.",
    "Our Paris office says {neg} is fine.",
    "Thanks, I will try again {neg}.",
    "Apple Pay and Amazon Prime both failed {neg}.",
    "Microsoft Teams crashes in Google Chrome {neg}.",
    "Dear Valued Customer, the Summer sale ends {neg}.",
    "Hi Team, the Grace period ended {neg}.",
    "Hello Support, I paid {neg} and then {neg}.",
    "Best regards,\nThe ACME Billing Team",
    "May I get a refund for {neg}?",
    "New York and San Francisco stores close at {neg}.",
]

#: Hand-written cases (text, spans as (type, value)); the last ones are known misses, kept for honesty.
HARD_CASES = [
    ("Email me: JOHN.DOE@EXAMPLE.COM (work) or john.doe+tickets@example.co.uk.", [("EMAIL", "JOHN.DOE@EXAMPLE.COM"), ("EMAIL", "john.doe+tickets@example.co.uk")]),
    ("Card 4111111111111111 exp 12/26, CVV on file.", [("CREDIT_CARD", "4111111111111111")]),
    ("Call +49 (0)89 1234567 or 0176 12345678.", [("PHONE", "+49 (0)89 1234567"), ("PHONE", "0176 12345678")]),
    ("ssn 123456789 please update", [("US_SSN", "123456789")]),
    ("Server fe80::1ff:fe23:4567:890a is down", [("IP_ADDRESS", "fe80::1ff:fe23:4567:890a")]),
    ("Meet me at 221B Baker Street, London NW1 6XE.", [("ADDRESS", "221B Baker Street, London NW1 6XE")]),
    ("Bill Turner asked about it.", [("PERSON", "Bill Turner")]),
    ("Dear Dr. Okafor,", [("PERSON", "Okafor")]),
    ("my name is maria lopez", [("PERSON", "maria lopez")]),  # lower-case surname not caught: IoU 0.45, a miss
    ("I talked to Thandiwe on the phone.", [("PERSON", "Thandiwe")]),  # missed until the name lists had it (2026-12-06)
    ("Deliver to PO Box 1234, Springfield.", [("ADDRESS", "PO Box 1234, Springfield")]),  # the box and its town
    ("Room 101 on floor 3, desk 12-B.", []),
    ("Thanks for sorting it out.\nKind regards, Xochitl Ngata", [("PERSON", "Xochitl Ngata")]),
    ("Thanks, Apple fixed it overnight.", []),
    # names and addresses in capitals (forms, signatures, shouted tickets), apostrophes in street names
    ("NAME: JOHN SMITH\nADDRESS: 12 MAIN STREET\nPHONE: 415-555-2671", [("PERSON", "JOHN SMITH"), ("ADDRESS", "12 MAIN STREET"), ("PHONE", "415-555-2671")]),
    ("THANKS FOR NOTHING.\nREGARDS,\nMARGARET O'NEILL", [("PERSON", "MARGARET O'NEILL")]),
    ("I HAVE BEEN WAITING FOR DANIEL TO CALL ME BACK FOR 3 DAYS", [("PERSON", "DANIEL")]),
    ("HI MARK, THE PDF EXPORT FAILS ON ORD-554120", [("PERSON", "MARK")]),
    ("DEAR ALL, THE SITE IS DOWN AGAIN. WILL YOU FIX IT?", []),
    ("SEND IT TO 88 HARBOR RD, APT 2, PORTLAND, OR 97201", [("ADDRESS", "88 HARBOR RD, APT 2, PORTLAND, OR 97201")]),
    ("Deliver to 7 O'Connell Street, Limerick.", [("ADDRESS", "7 O'Connell Street")]),
    ("We moved to 40 St. Mary's Road last month.", [("ADDRESS", "40 St. Mary's Road")]),
    # address blocks over several lines, Canadian and Australian postcodes, lower-case street words, "Jr"
    ("Please ship it to:\n1234 Martin Luther King Jr Blvd, Apt 3\nAtlanta, GA 30310\nThanks!", [("ADDRESS", "1234 Martin Luther King Jr Blvd, Apt 3\nAtlanta, GA 30310")]),
    ("Return address: 10 Downing Street\nLondon SW1A 2AA", [("ADDRESS", "10 Downing Street\nLondon SW1A 2AA")]),
    ("Our store is at 220 Yonge St, Toronto, ON M5B 2H1.", [("ADDRESS", "220 Yonge St, Toronto, ON M5B 2H1")]),
    ("Send the spare to 5 George St, Sydney NSW 2000 please.", [("ADDRESS", "5 George St, Sydney NSW 2000")]),
    ("I now live at 12 Main street.", [("ADDRESS", "12 Main street")]),
    ("Step 2 Select Drive. It is a 2 Hours Drive to the 5 Star Plaza hotel.", []),
    ("Rose Cottage is lovely in spring.", []),
    # greetings, display names, ticket fields, a name a cue revealed once, possessives
    ("Hi Oluwaseun,\nthe parcel is late again.", [("PERSON", "Oluwaseun")]),
    ("Hey Google, my order never came.", []),
    ("From: Chidi Okeke <chidi.okeke@example.com>", [("PERSON", "Chidi Okeke"), ("EMAIL", "chidi.okeke@example.com")]),
    ("Customer: Thanh Huong Le\nIssue: login fails", [("PERSON", "Thanh Huong Le")]),
    ("Customer: Where is my order?\nAgent: Let me check.", []),
    ("I'm Oyelaran Adebayo, order 5512 is late.\nRegards,\nOyelaran Adebayo", [("PERSON", "Oyelaran Adebayo"), ("PERSON", "Oyelaran Adebayo")]),
    ("Mr. Okafor's parcel is late.", [("PERSON", "Okafor")]),
    # letters beyond Latin-1 (Latin Extended-A/B and Additional)
    ("Hi Łukasz,\nthe replacement ships today.", [("PERSON", "Łukasz")]),
    ("Dear Nguyễn Thị Hương, your refund of 40 EUR is done.", [("PERSON", "Nguyễn Thị Hương")]),
    ("I'm Tomáš Dvořák, call me on +420 601 123 456.", [("PERSON", "Tomáš Dvořák"), ("PHONE", "+420 601 123 456")]),
    ("Thanks,\nAyşe Yılmaz\nayse.yilmaz@example.com.tr", [("PERSON", "Ayşe Yılmaz"), ("EMAIL", "ayse.yilmaz@example.com.tr")]),
    ("Account holder: Ștefan Popescu", [("PERSON", "Ștefan Popescu")]),
    ("Our warehouse in Łódź ships on Mondays, order 55120.", []),
    # secrets pasted into tickets, names in lower case, after mentions, in data and chat exports (2026-12-06)
    ("my password is Summer2024! if u need it", [("CREDENTIALS", "Summer2024!")]),
    ("api_key=sk_live_51HxQ2mK8vLp3nR7tY9wZ0aBcD", [("CREDENTIALS", "sk_live_51HxQ2mK8vLp3nR7tY9wZ0aBcD")]),
    ("the token expired yesterday, my password is wrong", []),
    ("hello, james nguyen here. my account is locked", [("PERSON", "james nguyen")]),
    ("im rahul verma and my order is late", [("PERSON", "rahul verma")]),
    ("Ticket submitted by Chukwuemeka Obi on Monday.", [("PERSON", "Chukwuemeka Obi")]),
    ("I spoke to Virgin Media, useless.", []),
    ('{"card": "4588847975933843", "holder": "MICHAEL BRENNAN"}', [("CREDIT_CARD", "4588847975933843"), ("PERSON", "MICHAEL BRENNAN")]),
    ('{"name": "Premium Plan", "price": 9}', []),
    ("26/12/2024, 3:56 PM - Aino Virtanen: Hi is the store open", [("PERSON", "Aino Virtanen")]),
    ("the address is 4001 park road, springfield, il 62732", [("ADDRESS", "4001 park road, springfield, il 62732")]),
    ("payment failed 3 times in a row, case id 48213.", []),
    ("Trần Văn Minh said the QR code does not scan", [("PERSON", "Trần Văn Minh")]),
    ("I bank with Wells Fargo and they blocked my card.", []),
    ("yeah its 07567838980", [("PHONE", "07567838980")]),
    ("VALUES ('Katrin', 'kschafer@icloud.com', 3)", [("EMAIL", "kschafer@icloud.com")]),
    ("Please use image@2x.png for retina screens.", []),
]


#: Hand-written tickets in other phrasings, written after the detectors and not used to tune them.
HELD_OUT = [
    ("Hey, it's Jennifer Walsh again. My new number is 617-555-0143, old one was 617 555 0199.", [("PERSON", "Jennifer Walsh"), ("PHONE", "617-555-0143"), ("PHONE", "617 555 0199")]),
    ("Please charge the Mastercard 5425 2334 3010 9903 instead of the Visa.", [("CREDIT_CARD", "5425 2334 3010 9903")]),
    ("My wife Olga Petrova will collect the parcel from 45 Queen Street, Apt 12.", [("PERSON", "Olga Petrova"), ("ADDRESS", "45 Queen Street, Apt 12")]),
    ("Wire it to NL91ABNA0417164300 please, account holder J. de Vries.", [("IBAN", "NL91ABNA0417164300"), ("PERSON", "J. de Vries")]),
    ("Our office router is 172.16.254.1 and the NAS is at 172.16.254.20.", [("IP_ADDRESS", "172.16.254.1"), ("IP_ADDRESS", "172.16.254.20")]),
    ("ping 2001:0db8:85a3:0000:0000:8a2e:0370:7334 fails", [("IP_ADDRESS", "2001:0db8:85a3:0000:0000:8a2e:0370:7334")]),
    ("Use ftp://backup:Winter2024@files.example.com to fetch it", [("CREDENTIALS", "backup:Winter2024")]),
    ("Kontakt: +49 40 123456-78, Frau Schneider", [("PHONE", "+49 40 123456-78"), ("PERSON", "Schneider")]),
    ("Appelez-moi au 06 12 34 56 78 svp.", [("PHONE", "06 12 34 56 78")]),
    ("Ticket TKT-2024-00123 was opened on 5 March 2024 at 14:05 by agent Kevin.", [("PERSON", "Kevin")]),
    ("The refund of $1,249.00 for order #A-99812 was approved.", []),
    ("Please send the invoice to accounts.payable@acme-corp.com, attn: Rebecca Stone.", [("EMAIL", "accounts.payable@acme-corp.com"), ("PERSON", "Rebecca Stone")]),
    ("Dr. Ahmed Hassan will review the claim.", [("PERSON", "Ahmed Hassan")]),
    # the card's security code is sensitive authentication data (PCI DSS) as well: labelled CREDENTIALS since
    # 2026-12-07, when the detector learned one-time and security codes
    ("My card number is 4012 8888 8888 1881 and CVV is 123.", [("CREDIT_CARD", "4012 8888 8888 1881"), ("CREDENTIALS", "123")]),
    ("Ship to: 1600 Pennsylvania Avenue NW, Washington, DC 20500", [("ADDRESS", "1600 Pennsylvania Avenue NW, Washington, DC 20500")]),
    ("I live at 742 Evergreen Terrace, Springfield.", [("ADDRESS", "742 Evergreen Terrace")]),
    ("Call the store at 1-800-275-2273 between 9 and 5.", [("PHONE", "1-800-275-2273")]),
    ("The meeting is at 10:30 on 2024-05-06 in room 4B.", []),
    ("Reference number 20240501-7781 and PO 4500012345.", []),
    ("Contact Sam on sam@shop.example", [("PERSON", "Sam"), ("EMAIL", "sam@shop.example")]),
    ("Kind regards,\nDr. Maria Gonzalez\nHead of Support", [("PERSON", "Maria Gonzalez")]),
    ("My IBAN is GB33 BUKB 2020 1555 5555 55", [("IBAN", "GB33 BUKB 2020 1555 5555 55")]),
    ("I’m Laura, the account owner.", [("PERSON", "Laura")]),
    ("Thanks Will, that fixed it.", [("PERSON", "Will")]),
    ("Will it ship by Friday?", []),
    ("The package went to 221 W 42nd St, New York, NY 10036.", [("ADDRESS", "221 W 42nd St, New York, NY 10036")]),
    ("Email from: noreply@notifications.example.com", [("EMAIL", "noreply@notifications.example.com")]),
    ("Version 3.10.12 broke the login at 192.168.0.1:8443/admin", [("IP_ADDRESS", "192.168.0.1")]),
    ("Call me: (020) 7946 0321", [("PHONE", "(020) 7946 0321")]),
    ("My Amex is 3714 496353 98431.", [("CREDIT_CARD", "3714 496353 98431")]),
    ("Price went from 1299 to 1499 dollars.", []),
    ("Contact number: 0151 23456789", [("PHONE", "0151 23456789")]),
    ("Meine Adresse: Lindenstraße 12, 80331 München", [("ADDRESS", "Lindenstraße 12, 80331 München")]),
    ("Dear Customer Service,", []),
    ("From: Thomas Becker <thomas.becker@example.de>", [("PERSON", "Thomas Becker"), ("EMAIL", "thomas.becker@example.de")]),
    ("SSN on the W-2 is 536-90-4399, please fix the typo in my name (Jon, not John).", [("US_SSN", "536-90-4399"), ("PERSON", "Jon"), ("PERSON", "John")]),
    ("Our API key rotation failed on 2024-02-29 for build 5.4.1.", []),
    ("The courier left it at 18 Rue Lepic, 75018 Paris.", [("ADDRESS", "18 Rue Lepic, 75018 Paris")]),
    ("Transfer to ES91 2100 0418 4502 0005 1332 failed.", [("IBAN", "ES91 2100 0418 4502 0005 1332")]),
    ("Hi, Nicole here, order 88123 never came.", [("PERSON", "Nicole")]),
    ("The charger is dead.\nRegards,\nJ. Smith", [("PERSON", "J. Smith")]),
    ("Kind regards, M. Dupont\nAcme GmbH", [("PERSON", "M. Dupont")]),
    ("NAME: A. KOWALSKA\nORDER 55123 MISSING", [("PERSON", "A. KOWALSKA")]),
    ("I spoke to Lucia FERRARI yesterday about the refund.", [("PERSON", "Lucia FERRARI")]),
    ("MS. GARCIA TOLD ME THE PARCEL WAS LATE", [("PERSON", "GARCIA")]),
    ("LIEFERADRESSE: BAHNHOFSTR. 12, 80335 MÜNCHEN", [("ADDRESS", "BAHNHOFSTR. 12, 80335 MÜNCHEN")]),
    ("Spring 2024 sale: bring 2 receipts. During 2023 the Keyring 3 pack was cheaper.", []),
    ("Thanks,\nP.S. Lumen 3 pack arrived broken", []),
]


#: Hand-written after blind red-team sets (2026-12-07) showed these formats leaking: transcripts without
#: timestamps, pasted tables, command lines, continental and Indian addresses, numbers of other regions after a
#: cue. Written in the red team's style, not copied from its sets.
RED_TEAM_CASES = [
    ("user: my card was charged twice\nPriyanka: Sorry about that, checking now.", [("PERSON", "Priyanka")]),
    ("tom: what's the order number?\ncustomer: 55120", [("PERSON", "tom")]),
    ("agent Bongani: can you confirm the email?\ncustomer: sure", [("PERSON", "Bongani")]),
    ("Error: timeout\nuser: still broken\nNginx: restarted", []),
    ("id,full_name,ssn\n7,Imani Okoro,536-22-8175\n8,Jonas Weber,612447810", [("PERSON", "Imani Okoro"), ("US_SSN", "536-22-8175"), ("PERSON", "Jonas Weber"), ("US_SSN", "612447810")]),
    ("txn,cardholder,card_number\nA1,LUCIA ROMANO,5555555555554444", [("PERSON", "LUCIA ROMANO"), ("CREDIT_CARD", "5555555555554444")]),
    ("| Name | Mobile |\n|---|---|\n| Farhan Siddiqui | 0300 1234567 |", [("PERSON", "Farhan Siddiqui"), ("PHONE", "0300 1234567")]),
    ("INSERT INTO users (id, first_name, last_name) VALUES (3, 'Zanele', 'Dlamini');", [("PERSON", "Zanele"), ("PERSON", "Dlamini")]),
    ("sku,product,price\nRL-1,Ralph Lauren Polo Shirt,79.00", []),
    ("curl -u svc_export:Qm8#vLt2pW https://api.example.com/v1/export", [("CREDENTIALS", "svc_export:Qm8#vLt2pW")]),
    ("mysql -h db -u admin -p'tangerine.42.kite' shop", [("CREDENTIALS", "tangerine.42.kite")]),
    ("  password: ${DB_PASSWORD}\n  api_key: \"<your-key>\"", []),
    ("webhook secret: whsec_Xk29PqLm7vN4tR8wZ1bC5dF3", [("CREDENTIALS", "whsec_Xk29PqLm7vN4tR8wZ1bC5dF3")]),
    ("the key we use is 4f9c2a7e1b8d3f6a0c5e9b2d7a1f4c8e", [("CREDENTIALS", "4f9c2a7e1b8d3f6a0c5e9b2d7a1f4c8e")]),
    ("commit 4f9c2a7e1b8d3f6a0c5e9b2d7a1f4c8e0a1b2c3d fixed the key lookup", []),
    ("Nieuw adres: Lindengracht 41-II, 1015 KD Amsterdam", [("ADDRESS", "Lindengracht 41-II, 1015 KD Amsterdam")]),
    ("spedire a Via dei Mille 8, 80121 Napoli (NA) grazie", [("ADDRESS", "Via dei Mille 8, 80121 Napoli (NA)")]),
    ("mi dirección: Calle de Alcalá 120, 4º izq., 28009 Madrid", [("ADDRESS", "Calle de Alcalá 120, 4º izq., 28009 Madrid")]),
    ("Ship to Flat No. 12, MG Road, Pune - 411001 please", [("ADDRESS", "Flat No. 12, MG Road, Pune - 411001")]),
    ("llámame a mi móvil 612345678 por la tarde", [("PHONE", "612345678")]),
    ("Callback: 0871234567 after 5pm", [("PHONE", "0871234567")]),
    ("the number 612345678 is the order id", []),
    ("Customer Thabo Mokoena reports the router resets hourly.", [("PERSON", "Thabo Mokoena")]),
    ("08:00 shift: K.L. Nakamura took over from R. Osei.", [("PERSON", "K.L. Nakamura"), ("PERSON", "R. Osei")]),
    ("From: Achterberg, Femke <femke.a@example.nl>", [("PERSON", "Achterberg, Femke"), ("EMAIL", "femke.a@example.nl")]),
    ('ts=2024-05-01 status=declined name="J OKONKWO" amount=12.00', [("PERSON", "J OKONKWO")]),
    ("Customer: spell it please\nAgent: sure, victor, oscar, kilo, 4 4 1", []),
    # 2026-12-07: addresses of any format after a label, an answer or a key; roles; labels; closing names; secrets
    ("Delivery address: 2-11-5 Nishiki, Naka-ku, Nagoya 460-0003", [("ADDRESS", "2-11-5 Nishiki, Naka-ku, Nagoya 460-0003")]),
    ("Agent: can you confirm the postcode?\nCaller: H91 E2K6\nAgent: thanks", [("ADDRESS", "H91 E2K6")]),
    ("Agent: what is the new address?\nKhanh: 88 Le Loi, Ben Thanh Ward, District 1, HCMC", [("PERSON", "Khanh"), ("ADDRESS", "88 Le Loi, Ben Thanh Ward, District 1, HCMC")]),
    ("Please send the invoice to:\n\nUnit 5, Harbour Court\n14 Quay Street\nGalway H91 X2Y3\n\nThanks", [("ADDRESS", "Unit 5, Harbour Court\n14 Quay Street\nGalway H91 X2Y3")]),
    ('{"line1": "Avenida Paulista 1578, conj. 42", "city_postcode": "01310-200 Sao Paulo"}', [("ADDRESS", "Avenida Paulista 1578, conj. 42"), ("ADDRESS", "01310-200 Sao Paulo")]),
    ("Alamat: Jl. Sudirman No. 45, Menteng, Jakarta Pusat 10310\nKeluhan: telat", [("ADDRESS", "Jl. Sudirman No. 45, Menteng, Jakarta Pusat 10310")]),
    ("Ship to: Oluwadamilare Bankole\nPlot 22 Admiralty Road\nLekki Phase 1, Lagos", [("PERSON", "Oluwadamilare Bankole"), ("ADDRESS", "Plot 22 Admiralty Road"), ("ADDRESS", "Lekki Phase 1, Lagos")]),
    ("please deliver to 3 separate branches next week", []),
    ("Shipping to Ohio, Texas and Utah takes 4-6 days", []),
    ("[09:12] Cliente: hola\n[09:13] Agente Itziar: Hola, te ayudo", [("PERSON", "Itziar")]),
    ("Applicant 2: Saoirse Brennan\nIncome: 52,000", [("PERSON", "Saoirse Brennan")]),
    ("From: Nandi Khumalo\nTo: Billing\nCc: Thabiso Ndlovu; Lerato Mokoena", [("PERSON", "Nandi Khumalo"), ("PERSON", "Thabiso Ndlovu"), ("PERSON", "Lerato Mokoena")]),
    ("the app keeps logging me out. please fix. priyanka", [("PERSON", "priyanka")]),
    ("Can you reset it? - Tamsin, Facilities", [("PERSON", "Tamsin")]),
    ("Morning all, Aoife here from the Cork office.", [("PERSON", "Aoife")]),
    ("router sticker says wpa_psk=lantern-Orchard-51", [("CREDENTIALS", "lantern-Orchard-51")]),
    ("voicemail PIN was reset to 804417 today", [("CREDENTIALS", "804417")]),
    ("the password reset link is https://example.org/r?x=42", []),
    ("연락처는 010-5512-3380 입니다", [("PHONE", "010-5512-3380")]),
    ("注文番号 730-5521987 の件です", []),
    ("Lunch at Marks & Spencer Marble Arch on Friday", []),
    # numbers read out in a call's transcript
    ("agent: best number to reach you\ncaller: its oh seven nine four six double one two eight eight three",
     [("PHONE", "oh seven nine four six double one two eight eight three")]),
    ("caller: card is five four two five, two three three oh, nine nine oh three, two nine four one",
     [("CREDIT_CARD", "five four two five, two three three oh, nine nine oh three, two nine four one")]),
    ("ok my pin is two nine one six", [("CREDENTIALS", "two nine one six")]),
    ("the reference number is four four one two nine eight seven six", []),
    # one-time, verification and backup codes; an answered password
    ("Your verification code is: X7K-29Q. It expires in 15 minutes.", [("CREDENTIALS", "X7K-29Q")]),
    ("backup codes I saved, here: 8841-2209 5530-7712 1096-4438", [("CREDENTIALS", "8841-2209"), ("CREDENTIALS", "5530-7712"), ("CREDENTIALS", "1096-4438")]),
    ("Agent: Can you confirm the password?\nCaller: Bluebird2024 i think", [("CREDENTIALS", "Bluebird2024")]),
    ("promo code SAVE20 applied; the verification code never arrived", []),
    # sign-offs of other languages, prose addresses, names in other scripts, lower-case call transcripts
    ("Ich bin tagsüber erreichbar.\n\nMit freundlichen Grüßen\nJörg Schäfer-Bredow", [("PERSON", "Jörg Schäfer-Bredow")]),
    ("Телефон +380 67 412 8830. З повагою, Олена Коваленко", [("PHONE", "+380 67 412 8830"), ("PERSON", "Олена Коваленко")]),
    ("Min adress är Götgatan 54, 1 tr, 116 21 Stockholm", [("ADDRESS", "Götgatan 54, 1 tr, 116 21 Stockholm")]),
    ("no me llegó nada. Vivo en Calle Durango 214, int. 6, Col. Roma Nte., 06700 CDMX",
     [("ADDRESS", "Calle Durango 214, int. 6, Col. Roma Nte., 06700 CDMX")]),
    ("家庭住址：上海市浦东新区世纪大道100号 3号楼 1502室", [("ADDRESS", "上海市浦东新区世纪大道100号 3号楼 1502室")]),
    ("姓名：王晓明\n联系电话：138 1234 5678", [("PERSON", "王晓明"), ("PHONE", "138 1234 5678")]),
    ("agent: youre through to card services this is jade speaking\ncustomer: hi", [("PERSON", "jade")]),
    ("agent: may i have your name please\ncaller: yes ma'am harold j pettigrew", [("PERSON", "harold j pettigrew")]),
    ("caller: no its tyler underscore b two zero one one at gmail dot com", [("EMAIL", "tyler underscore b two zero one one at gmail dot com")]),
    ("agent: and your social security number\ncaller: four six one two two eight eight three one",
     [("US_SSN", "four six one two two eight eight three one")]),
    ("Mit freundlichen Grüßen\nIhr Kundenservice", []),
    ("we need to move to 5 different places", []),
    # 2026-12-07: record formats, headerless rows, other scripts' chats and addresses, codes in other languages
    ("PID|1||MRN4471203^^^STMARY^MR||KOWALSKI^ANNA^M||19780512|F|||1209 W WRIGHTWOOD AVE^^CHICAGO^IL^60614\r"
     "NK1|1|KOWALSKI^PAWEL|SPO",
     [("PERSON", "KOWALSKI^ANNA^M"), ("ADDRESS", "1209 W WRIGHTWOOD AVE^^CHICAGO^IL^60614"), ("PERSON", "KOWALSKI^PAWEL")]),
    ("PV1|1|I|W^389^1^UABH||||12345^MORGAN^REX^J^^^MD", [("PERSON", "MORGAN^REX^J")]),
    ("PNR X7K2LM  1.KOWALSKA/ANNA MRS  2.KOWALSKI/PIOTR MR", [("PERSON", "KOWALSKA/ANNA"), ("PERSON", "KOWALSKI/PIOTR")]),
    ("1.1GARCIAMARQUEZ/ISABELMRS 2.1GARCIAMARQUEZ/TOMAS MSTR",
     [("PERSON", "GARCIAMARQUEZ/ISABEL"), ("PERSON", "GARCIAMARQUEZ/TOMAS")]),
    ("Rates quoted in EUR/USD and TCP/IP over LHR/JFK", []),
    ("10442,Jane,Doe,jane.doe@gmail.com,+44 7911 123456,2024-03-01",
     [("PERSON", "Jane"), ("PERSON", "Doe"), ("EMAIL", "jane.doe@gmail.com"), ("PHONE", "+44 7911 123456")]),
    ("7,Ana,342-18-6620,4111 1111 1111 1111,2024-01-01",
     [("PERSON", "Ana"), ("US_SSN", "342-18-6620"), ("CREDIT_CARD", "4111 1111 1111 1111")]),
    ("total 1,234,567,890 and 3,14159,26535; id;4155552671;x", []),
    ("dobrý den, paní Nováková volala kvůli faktuře", [("PERSON", "Nováková")]),
    ("a non-stick pan Tefal, I paid 20€", []),
    ("yeah so the address is twenty two baker street, london", [("ADDRESS", "twenty two baker street")]),
    ("i live at 14 oak lane in leeds", [("ADDRESS", "14 oak lane")]),
    ("moved to 12 hours drive away", []),
    ("[쿠팡] 인증번호 [718204]를 입력해주세요.", [("CREDENTIALS", "718204")]),
    ('Сообщение: "за квартиру". Код подтверждения: 7730', [("CREDENTIALS", "7730")]),
    ("קוד האימות שלך לכניסה לאזור האישי הוא 581204. אין למסור", [("CREDENTIALS", "581204")]),
    ("Petr mi psal, že heslo k wifi v kanceláři je teď Kancl2024!Praha. Jinak", [("PERSON", "Petr"), ("CREDENTIALS", "Kancl2024!Praha")]),
    ("tu clave de operaciones es 61 74 92. Si no", [("CREDENTIALS", "61 74 92")]),
    ("el código postal es 28015", []),
    ("Jinak jeho mobil 777 318 452, kdyby něco.", [("PHONE", "777 318 452")]),
    ("Tel: 9183 4472.", [("PHONE", "9183 4472")]),
    ("못 찾으면 010-7342-8816 으로 전화해", [("PHONE", "010-7342-8816")]),
    ("a chave é o celular dele (21) 99834-5172", [("PHONE", "(21) 99834-5172")]),
    ("order 98201 47365 shipped", []),
    ("Διεύθυνση: Ερμού 45, 3ος όροφος, 105 63 Αθήνα. Τηλ. 694 512 3387.",
     [("ADDRESS", "Ερμού 45, 3ος όροφος, 105 63 Αθήνα"), ("PHONE", "694 512 3387")]),
    ("also Friedrichstraße 68, 3. OG, 10117 Berlin. Leider", [("ADDRESS", "Friedrichstraße 68, 3. OG, 10117 Berlin")]),
    ("pls deliver to Blk 123 Ang Mo Kio Ave 6, #08-214, Singapore 560123. im",
     [("ADDRESS", "Blk 123 Ang Mo Kio Ave 6, #08-214, Singapore 560123")]),
    ("La nueva es Cra. 7 # 72-41, Apto 301, Bogotá", [("ADDRESS", "Cra. 7 # 72-41, Apto 301, Bogotá")]),
    ("see issue #12-3 and PR #45-1", []),
    ("快递寄到我家吧，地址是北京市朝阳区望京西园三区312号楼2单元1501，谢谢", [("ADDRESS", "北京市朝阳区望京西园三区312号楼2单元1501")]),
    ("ご使用場所：千葉県船橋市本町4丁目41-19 グランシャリオ船橋305", [("ADDRESS", "千葉県船橋市本町4丁目41-19 グランシャリオ船橋305")]),
    ("주소 서울특별시 마포구 성미산로 17길 42, 302호", [("ADDRESS", "서울특별시 마포구 성미산로 17길 42, 302호")]),
    ("本市今年第3号台风登陆", []),
    ("김서연: 오빠 나 이사했어\n박준호: 오 축하해!\n김서연: 토요일.", [("PERSON", "김서연"), ("PERSON", "박준호"), ("PERSON", "김서연")]),
    ("地址：北京市朝阳区\n电话：010-0000\n备注：放门口", []),
    ("Hei Sunniva! Faktura for dugnaden", [("PERSON", "Sunniva")]),
    ("Hola Equipo,\ngracias por todo", []),
    ("asesor: listo señor Restrepo, ya quedó", [("PERSON", "Restrepo")]),
    ("Ate Joy, padala na po ni Kuya Mark yung pera", [("PERSON", "Joy"), ("PERSON", "Mark")]),
    ("[14/02/24, 8:03:11 PM] Rohit Bhaiya: Beta, Amit ka number save kar lo 98201 47365",
     [("PERSON", "Rohit"), ("PERSON", "Amit"), ("PHONE", "98201 47365")]),
    ("Employee: Delgado, Ricardo A.        Emp #: 0042", [("PERSON", "Delgado, Ricardo A.")]),
    ("Nájemce: Kristýna Horáková, tel. 731 400 222", [("PERSON", "Kristýna Horáková"), ("PHONE", "731 400 222")]),
    ("ご契約者：松本 千尋 様", [("PERSON", "松本 千尋")]),
    ("[Чат] Оператор Анастасия: Добрый день", [("PERSON", "Анастасия")]),
    ("[在线客服] 客服李婷：您好", [("PERSON", "李婷")]),
    ("Agent Status: online\nAgent Response: we refunded", []),
    ("नमस्ते, मेरा नाम राहुल शर्मा है। मेरा ऑर्डर", [("PERSON", "राहुल शर्मा")]),
    ("您好，我是林美玲，想更改收件地址", [("PERSON", "林美玲")]),
    ("はい、大丈夫です。", []),
    ("Your driver Abdi is 3 min away", [("PERSON", "Abdi")]),
    ("Your driver Uber is late", []),
    ("asesor: me confirma su celular por favor\ncliente: tres uno cinco, cuatro ocho dos, siete siete cero uno",
     [("PHONE", "tres uno cinco, cuatro ocho dos, siete siete cero uno")]),
    ("uno dos tres cuatro, así se cuenta", []),
    ("Ihr Bestätigungscode für die Anmeldung lautet 917 406. Geben Sie", [("CREDENTIALS", "917 406")]),
    ("Mastercard reason code 4837 – No Cardholder Authorization", []),
    # addresses laid out as blocks of lines: one span from the first line to the postcode (and the country)
    ("Please post the form to:\nFlat 9\n41 Rutland Road\nNottingham\nNG2 5DG\n\nThanks, Rob",
     [("ADDRESS", "Flat 9\n41 Rutland Road\nNottingham\nNG2 5DG"), ("PERSON", "Rob")]),
    ("Regards,\nGwen Morris\nRose Cottage\nMill Lane\nLlanfair\nGwynedd LL46 2SA",
     [("PERSON", "Gwen Morris"), ("ADDRESS", "Rose Cottage\nMill Lane\nLlanfair\nGwynedd LL46 2SA")]),
    ("Lieferanschrift:\nTobias Brandt\nBergstraße 27\n69120 Heidelberg\nDeutschland",
     [("PERSON", "Tobias Brandt"), ("ADDRESS", "Bergstraße 27\n69120 Heidelberg\nDeutschland")]),
    ("Ship to:\n880 Pine Ridge Dr\nSuite 210\nBoulder, CO 80302", [("ADDRESS", "880 Pine Ridge Dr\nSuite 210\nBoulder, CO 80302")]),
    ("Bezorgadres:\nPrinsengracht 401\n1016 HM Amsterdam", [("ADDRESS", "Prinsengracht 401\n1016 HM Amsterdam")]),
    ("Q4 Targets\n2025 Roadmap\nOwner: Sales", []),
    ("Branches:\nLeeds\nLS1 4AP\nYork\nYO1 7HH", []),
    # one-line addresses of Nordic, Finnish, Hungarian and Czech layouts
    ("Asiakas asuu osoitteessa Mannerheimintie 14 A 3, 00100 Helsinki.", [("ADDRESS", "Mannerheimintie 14 A 3, 00100 Helsinki")]),
    ("Levering til Nørregade 8, 1165 København K i morgen.", [("ADDRESS", "Nørregade 8, 1165 København K")]),
    ("Szállítási cím: Andrássy út 12., 1061 Budapest", [("ADDRESS", "Andrássy út 12., 1061 Budapest")]),
    # answers to a security question and codes given in the next turn
    ("agent: and your mother's maiden name please\ncaller: it's Fairbairn", [("CREDENTIALS", "Fairbairn")]),
    ("[09:12] Agent: I've just texted you a verification code.\n[09:13] Customer: ok it's 730 418", [("CREDENTIALS", "730 418")]),
    ("Agent: What's your order code?\nCustomer: 55812", []),
    # passwords after their word in other languages, a few words between, and one-time codes in logs
    ("Neues Startpasswort für Herrn Kaiser: Lindau#2025x", [("PERSON", "Kaiser"), ("CREDENTIALS", "Lindau#2025x")]),
    ("Hasło tymczasowe do poczty: Gdynia!77kx, zmienić przy logowaniu.", [("CREDENTIALS", "Gdynia!77kx")]),
    ("auth event=login_challenge otp=318845 result=sent", [("CREDENTIALS", "318845")]),
    ("The wifi in meeting room 4 drops every 20 minutes.", []),
    # names after a role and in lower-case introductions in other languages
    ("Zgłoszenie: użytkownik Grzegorz Wiśniewski nie może się zalogować.", [("PERSON", "Grzegorz Wiśniewski")]),
    ("[chat] Kund: hej det är linnea, min faktura är fel", [("PERSON", "linnea")]),
    ("Employee Assistance Programme: call anytime.", []),
    # pickup codes, an AWS secret after its id, an authenticator seed
    ("Ihr Paket liegt in der Packstation. Abholcode: P7X-2291", [("CREDENTIALS", "P7X-2291")]),
    ("leaked: AKIAZ7QW3ERT5YUI8OPL / Hq2Lm9Zx4Cv7Bn1Qw8Er5Ty3Ui6Op0As2Df4Gh7J", [("CREDENTIALS", "AKIAZ7QW3ERT5YUI8OPL"),
     ("CREDENTIALS", "Hq2Lm9Zx4Cv7Bn1Qw8Er5Ty3Ui6Op0As2Df4Gh7J")]),
]


def _spans_for(text: str, pairs: list[tuple[str, str]]) -> list[dict]:
    spans, cursor = [], 0
    for kind, value in pairs:
        start = text.index(value, cursor)
        spans.append({"type": kind, "start": start, "end": start + len(value), "value": value})
        cursor = start + len(value)
    return spans


def main() -> None:
    gen = Gen(SEED)
    rows = []
    for i in range(396):
        rows.append({"subset": "template", **fill(gen, TEMPLATES[i % len(TEMPLATES)])})
    for i in range(144):
        rows.append({"subset": "template", **fill(gen, NEGATIVE_TEMPLATES[i % len(NEGATIVE_TEMPLATES)])})
    for text, pairs in HARD_CASES:
        rows.append({"subset": "hard", "text": text, "spans": _spans_for(text, pairs)})
    for text, pairs in HELD_OUT:
        rows.append({"subset": "held_out", "text": text, "spans": _spans_for(text, pairs)})
    for text, pairs in RED_TEAM_CASES:
        rows.append({"subset": "hard", "text": text, "spans": _spans_for(text, pairs)})
    with OUT.open("w", encoding="utf-8") as fh:
        for i, row in enumerate(rows):
            for s in row["spans"]:
                assert row["text"][s["start"]:s["end"]] == s["value"], (row, s)
            fh.write(json.dumps({"id": i, **row}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} examples to {OUT}")


if __name__ == "__main__":
    main()
