"""Synthetic support tickets for the curation tests and the curate() benchmark (deterministic).

Most tickets are clean English request/response pairs; a known share carries PII, mojibake, duplicates,
near-duplicates, foreign languages, courtesy-only replies, truncation or missing responses, so that the
tests can check each stage's counts.
"""

from __future__ import annotations

import json
import random

import pandas as pd

from finetune_platform.schemas import RECORD_COLUMNS

_REQUESTS = {
    "billing": [
        "I was charged twice for my subscription this month, can you refund the extra payment?",
        "Why did my invoice go up from $19.99 to $24.99 without any notice?",
        "Please cancel my plan and confirm that no further payments will be taken.",
        "My payment keeps failing at checkout even though the card works elsewhere.",
    ],
    "shipping": [
        "My order ORD-{n6} has not arrived yet, it was supposed to come on {date}.",
        "The parcel tracking has not updated for five days, where is my package?",
        "I received the wrong size, how do I exchange the shoes for a larger pair?",
        "The box arrived damaged and the lamp inside is broken, what should I do?",
    ],
    "account": [
        "I cannot log in to my account, the password reset email never arrives.",
        "How do I change the email address on my account to a new one?",
        "Please delete my account and all the data you hold about me.",
        "My two-factor codes are rejected every time I try to sign in.",
    ],
    "technical": [
        "The app crashes when I open the settings page on version {ver}.",
        "Sync between my phone and laptop stopped working after the last update.",
        "Exports to CSV are empty even though the report shows data on screen.",
        "The dashboard takes more than a minute to load since {date}.",
    ],
}
_RESPONSES = {
    "billing": [
        "Sorry about the double charge. I have refunded the extra payment; it will reach your account in 3-5 days.",
        "The price of your plan changed at renewal. I have applied a one-off discount to this invoice for you.",
        "Your plan is cancelled and no further payments will be taken. Thank you for being with us.",
        "Please check that the billing address matches the card; payments fail when they differ.",
    ],
    "shipping": [
        "I checked your order and the courier has it; delivery is now expected tomorrow. Sorry for the delay.",
        "The tracking stalled at the depot. I have opened an investigation with the courier and will update you.",
        "You can exchange the shoes from your orders page; the return label is free of charge.",
        "Sorry the lamp arrived broken. A replacement is on its way and you do not need to return the damaged one.",
    ],
    "account": [
        "I have sent a new password reset link; please check the spam folder if it does not show up in a minute.",
        "Go to Settings, then Account, then Email to change the address; we will send a confirmation link.",
        "Your account and data will be deleted within 30 days; you will get an email when it is done.",
        "Please check that the clock on your phone is set automatically; two-factor codes depend on the time.",
    ],
    "technical": [
        "Thanks for the report. The settings crash is fixed in the next release; clearing the app cache helps until then.",
        "Please sign out and back in on both devices to restart sync; that fixes it in most cases.",
        "Exports are empty when a filter hides all rows; please reset the filters and export again.",
        "We found a slow query behind the dashboard and deployed a fix today; it should load in seconds now.",
    ],
}
_OPENERS = [
    "Hi,", "Hello there,", "Good morning,", "Hi support team,", "Hey,", "Dear support,", "Hello,",
    "Quick question:", "I need help urgently.", "Not happy here.", "Hope you can help.", "Hi again,",
]
_GREETINGS = [
    "Hi, thanks for getting in touch.", "Hello, and thank you for your patience.", "Thanks for reaching out.",
    "Hi there, happy to help.", "Thank you for contacting us.", "Hello, sorry to hear about this.",
    "Hi, I looked into this for you.", "Good morning, thanks for the details.",
]
_CLOSINGS = [
    "Let us know if there is anything else.", "Have a great day.", "Feel free to reply if it happens again.",
    "We are here if you need anything else.", "Thanks for your patience.", "I hope this helps.",
    "Please reply to this email if the problem persists.", "Kind regards from the support team.",
]
_NAMES = ["Sarah Johnson", "Michael Chen", "Emily Clarke", "David Okafor", "Priya Patel", "Lukas Weber"]
_FOREIGN = [
    "Meine Bestellung ist nicht angekommen, bitte helfen Sie mir schnell.",
    "Ma commande n'est pas arrivée, pouvez-vous m'aider s'il vous plaît ?",
    "Mi pedido no ha llegado y necesito ayuda con el reembolso.",
]


def make_tickets(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` tickets with RECORD_COLUMNS; about 10% exact duplicates, 5% near-duplicates, 15% with PII,
    and a few percent each of mojibake, foreign language, courtesy-only, truncated and empty responses."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = rng.choice(sorted(_REQUESTS))
        k = rng.randrange(4)
        text = _REQUESTS[label][k].format(
            n6=rng.randint(100000, 999999), date=f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            ver=f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
        )
        response = f"{rng.choice(_GREETINGS)} {_RESPONSES[label][k]} {rng.choice(_CLOSINGS)}"
        text = f"{rng.choice(_OPENERS)} {text}"
        # Make most tickets distinct, as real ones are: a personal detail in the text.
        text += rng.choice([
            f" I have been a customer for {rng.randint(2, 12)} years.",
            f" This is the {rng.choice(['second', 'third', 'fourth'])} time I write about it.",
            f" I need this sorted before {rng.choice(['Friday', 'Monday', 'the weekend'])}, ticket #{rng.randint(10000, 99999)}.",
            f" It started {rng.randint(2, 30)} days ago after the {rng.choice(['update', 'move', 'renewal'])} {rng.randint(100, 999)}.",
        ])
        roll = rng.random()
        if roll < 0.05:
            name = rng.choice(_NAMES)
            text += f" My name is {name}, call me on +44 20 7946 0{rng.randint(100, 999)} or email {name.split()[0].lower()}@example.com."
            response = response + f"\n\nBest regards,\n{rng.choice(_NAMES)}"
        elif roll < 0.08:
            text += f" The card was {rng.choice(['4111 1111 1111 1111', '5500-0000-0000-0004', '378282246310005'])}."
        elif roll < 0.10:
            text += f" Ship to {rng.randint(1, 999)} Main Street, Apt {rng.randint(1, 30)}, Springfield, IL 62704."
        elif roll < 0.13:
            text += " Thanks for the Romántica playlist, it's great."
            text = text.replace("Romántica", "RomÃ¡ntica")
        elif roll < 0.15:
            text = rng.choice(_FOREIGN)
        elif roll < 0.17:
            response = rng.choice(["ok", "Thanks!", "thank you"])
        elif roll < 0.19:
            response = response[: len(response) // 2].rstrip() + "..."
        elif roll < 0.21:
            response = ""
        messages = ""
        if i % 5 == 0:
            messages = json.dumps([{"role": "user", "content": text}, {"role": "assistant", "content": response}])
        rows.append({
            "record_id": f"synthetic/tickets.jsonl#{i + 1}",
            "source": "synthetic",
            "source_file": "tickets.jsonl",
            "source_row": i + 1,
            "doc_type": "chat",
            "text": text,
            "response": response,
            "label": label,
            "messages": messages,
        })
    # Duplicates: copy earlier rows (exact, with different whitespace/case) or nearly (one word changed).
    for i in range(0, n, 10):
        src = rows[rng.randrange(len(rows))]
        if i < len(rows) and rows[i] is not src:
            rows[i] = {**rows[i], "text": "  " + src["text"].upper() + " ", "response": src["response"], "label": src["label"], "messages": ""}
    for i in range(5, n, 20):
        src = rows[rng.randrange(len(rows))]
        if rows[i] is not src:
            words = src["text"].split()
            words[-1] = "today."
            rows[i] = {**rows[i], "text": " ".join(words), "response": src["response"], "label": src["label"], "messages": ""}
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)


def records(*rows: dict) -> pd.DataFrame:
    """A RECORD_COLUMNS frame from partial rows (missing fields get defaults, record ids r1, r2, ...)."""
    full = []
    for i, row in enumerate(rows, start=1):
        full.append({
            "record_id": f"r{i}",
            "source": "test",
            "source_file": "t.jsonl",
            "source_row": i,
            "doc_type": "chat",
            "text": "",
            "response": "",
            "label": "",
            "messages": "",
            **row,
        })
    return pd.DataFrame(full, columns=RECORD_COLUMNS)
