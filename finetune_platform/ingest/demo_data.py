"""A deterministic, realistic customer-support corpus for demos and tests.

The fictional company Lumen sells smart-home devices and cloud subscriptions. Its support data arrives
the way enterprise data does: chat transcripts (JSONL with an OpenAI-style ``messages`` list), e-mails
(CSV with multi-line quoted bodies and signatures) and agents' resolution notes (Parquet). Tickets fall
into seven categories; each category has several scenarios with several phrasings, so a classifier has
to learn the category from the wording rather than from one keyword, and the agent's reply answers the
scenario the customer described.

What real data contains is injected on purpose and counted in the summary, so the curation stage can be
tested against known truth: personal data (e-mail addresses, phone numbers in national and international
formats, Luhn-valid payment card numbers, person names, street addresses), exact duplicate rows, low
quality rows (empty text, truncated text, one-word agent replies) and malformed rows (truncated JSON
lines, CSV rows with the wrong number of columns or a broken quote).

Everything comes from one seeded ``random.Random``: the same seed writes byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
import random
import string
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from finetune_platform.ingest.sources import SourceSettings

CATEGORIES: tuple[str, ...] = (
    "billing",
    "technical_issue",
    "account_access",
    "shipping_delivery",
    "refund",
    "cancellation",
    "product_question",
)
#: Real queues are unbalanced: technical problems and deliveries dominate.
_CATEGORY_WEIGHTS = (16, 22, 13, 18, 12, 8, 11)

CHATS_FILE = "chats/chats.jsonl"
EMAILS_FILE = "emails/emails.csv"
NOTES_FILE = "notes/resolution_notes.parquet"
EMAIL_COLUMNS = ["ticket_id", "received_at", "subject", "body", "agent_reply", "category"]
#: Share of tickets per source (chats, e-mails, notes).
_SOURCE_SHARES = (0.5, 0.3, 0.2)
MIN_TICKETS = 60

#: Malformed rows written per source (what ingest quarantines as malformed_json / malformed_csv).
_MALFORMED_KINDS = {"chats": ("truncated_json_line",), "emails": ("wrong_column_count", "broken_quote"), "notes": ()}
LOW_QUALITY_KINDS: tuple[str, ...] = ("empty_text", "truncated_text", "one_word_reply")

PII_TYPES: tuple[str, ...] = ("email", "phone", "card", "name", "address")
_PII_SLOTS = {
    "email": "email",
    "phone": "phone",
    "card": "card",
    "full_name": "name",
    "first_name": "name",
    "address": "address",
}


def demo_sources() -> list[SourceSettings]:
    """The source definitions that read what ``generate_demo_corpus`` writes (also in data/sources.yaml)."""
    return [
        SourceSettings(
            name="chats",
            path="chats/*.jsonl",
            format="jsonl",
            doc_type="chat",
            messages_field="messages",
            label_field="category",
            description="Web chat transcripts (demo corpus).",
        ),
        SourceSettings(
            name="emails",
            path="emails/*.csv",
            format="csv",
            doc_type="email",
            title_field="subject",
            text_field="body",
            response_field="agent_reply",
            label_field="category",
            description="Support e-mails with the agent's first reply (demo corpus).",
        ),
        SourceSettings(
            name="notes",
            path="notes/*.parquet",
            format="parquet",
            doc_type="note",
            text_field="ticket_text",
            response_field="resolution",
            label_field="category",
            description="Agents' resolution notes (demo corpus).",
        ),
    ]


@dataclass
class DemoCorpusSummary:
    """What the generator wrote, with the injected problems counted (ground truth for later stages).

    ``tickets`` and ``categories`` count distinct tickets; ``rows`` the data rows written (tickets plus
    exact duplicates). ``low_quality`` and ``malformed`` count rows per source and kind. PII counts cover
    the fields ingest reads (chat messages, e-mail subject/body/reply, note text/resolution), duplicated
    rows included; ``pii_values`` lists every instance. Low-quality and malformed rows carry no personal
    data, so these counts are exact ground truth for the PII stage.
    """

    raw_dir: Path
    files: list[str]
    tickets: dict[str, int]
    rows: dict[str, int]
    duplicates: dict[str, int]
    low_quality: dict[str, dict[str, int]]
    malformed: dict[str, dict[str, int]]
    categories: dict[str, int]
    pii: dict[str, int]
    pii_values: dict[str, list[str]] = field(repr=False)

    def expected_quarantine(self) -> dict[str, dict[str, int]]:
        """Rows ingest must quarantine per source and reason code (empty text and malformed rows)."""
        malformed_code = {"chats": "malformed_json", "emails": "malformed_csv", "notes": "unreadable_file"}
        expected: dict[str, dict[str, int]] = {}
        for source in self.rows:
            counts = {}
            if self.low_quality[source]["empty_text"]:
                counts["empty_text"] = self.low_quality[source]["empty_text"]
            broken = sum(self.malformed[source].values())
            if broken:
                counts[malformed_code[source]] = broken
            expected[source] = counts
        return expected

    def __str__(self) -> str:
        total = sum(self.rows.values())
        per_source = ", ".join(f"{s} {n}" for s, n in self.rows.items())
        low = sum(sum(v.values()) for v in self.low_quality.values())
        bad = sum(sum(v.values()) for v in self.malformed.values())
        pii = ", ".join(f"{k} {v}" for k, v in self.pii.items())
        return (
            f"{total} rows ({per_source}); {sum(self.duplicates.values())} exact duplicates, {low} low-quality, "
            f"{bad} malformed; PII instances: {pii}"
        )


def generate_demo_corpus(raw_dir: Path, n_tickets: int = 3000, seed: int = 0) -> DemoCorpusSummary:
    """Write the demo corpus under ``raw_dir`` (chats/, emails/, notes/) and say what it contains.

    ``n_tickets`` distinct tickets are split 50/30/20 over chats, e-mails and notes; about 4% more rows are
    exact duplicates. Existing files with the same names are overwritten.
    """
    if n_tickets < MIN_TICKETS:
        raise ValueError(
            f"n_tickets={n_tickets} is too small: each source needs room for its injected duplicates, low-quality "
            f"and malformed rows; use at least {MIN_TICKETS}."
        )
    raw_dir = Path(raw_dir)
    rng = random.Random(seed)
    n_chats = round(n_tickets * _SOURCE_SHARES[0])
    n_emails = round(n_tickets * _SOURCE_SHARES[1])
    counts = {"chats": n_chats, "emails": n_emails, "notes": n_tickets - n_chats - n_emails}
    pii_values: dict[str, list[str]] = {t: [] for t in PII_TYPES}
    categories: dict[str, int] = {c: 0 for c in CATEGORIES}
    summary = DemoCorpusSummary(
        raw_dir=raw_dir,
        files=[CHATS_FILE, EMAILS_FILE, NOTES_FILE],
        tickets=dict(counts),
        rows={},
        duplicates={},
        low_quality={},
        malformed={},
        categories=categories,
        pii={},
        pii_values=pii_values,
    )
    start = datetime(2026, 1, 5, 8, 0)
    renderers = {"chats": _render_chat, "emails": _render_email, "notes": _render_note}
    rendered: dict[str, list[_Row]] = {}
    for source, n in counts.items():
        plan = _plan_quality(rng, n, source)
        rows = []
        for i in range(n):
            ticket = _Ticket.draw(rng, start + timedelta(minutes=round(i * 129_600 / n) + rng.randint(0, 40)))
            categories[ticket.category] += 1
            rows.append(renderers[source](rng, ticket, f"{i + 1:06d}", plan.get(i)))
        rendered[source] = _with_duplicates(rng, rows, summary, source)
        summary.low_quality[source] = {kind: sum(1 for q in plan.values() if q == kind) for kind in LOW_QUALITY_KINDS}
        summary.malformed[source] = {
            kind: sum(1 for q in plan.values() if q == kind) for kind in _MALFORMED_KINDS[source]
        }
        summary.rows[source] = len(rendered[source])
        for row in rendered[source]:
            for kind, value in row.pii:
                pii_values[kind].append(value)
    summary.pii = {kind: len(values) for kind, values in pii_values.items()}

    _write_chats(raw_dir / CHATS_FILE, rendered["chats"])
    _write_emails(raw_dir / EMAILS_FILE, rendered["emails"])
    _write_notes(raw_dir / NOTES_FILE, rendered["notes"])
    return summary


# --------------------------------------------------------------------------------------------------
# The text bank. Slots in braces are filled per ticket; {email} {phone} {card} {full_name} {first_name}
# {address} are personal data and are counted whenever they are used.


@dataclass(frozen=True)
class _Scenario:
    """One kind of ticket: the customer's phrasings and the agent's matching answers and notes."""

    key: str
    problems: tuple[str, ...]  # what the customer says (a sentence or two)
    subjects: tuple[str, ...]  # e-mail subject lines
    replies: tuple[str, ...]  # the agent's answer; each fits every phrasing above
    notes: tuple[str, ...]  # the agent's internal resolution note
    devices: tuple[str, ...]  # the products this can happen with


_DEVICES = (
    "Lumen Hub",
    "Lumen Cam 2",
    "Lumen Doorbell Pro",
    "Lumen Smart Thermostat",
    "Lumen Mesh Router",
    "Lumen Smart Plug",
    "Lumen Air Purifier",
    "Lumen Motion Sensor",
    "Lumen Smart Lock",
    "Lumen Outdoor Cam",
)
_CAMERAS = ("Lumen Cam 2", "Lumen Doorbell Pro", "Lumen Outdoor Cam")
_BATTERY = ("Lumen Doorbell Pro", "Lumen Motion Sensor", "Lumen Smart Lock", "Lumen Outdoor Cam")
_OUTDOOR = ("Lumen Outdoor Cam", "Lumen Doorbell Pro", "Lumen Smart Lock")
_SCHEDULABLE = ("Lumen Smart Plug", "Lumen Air Purifier", "Lumen Smart Thermostat")
_PAIRED = (
    "Lumen Cam 2",
    "Lumen Doorbell Pro",
    "Lumen Smart Plug",
    "Lumen Motion Sensor",
    "Lumen Smart Lock",
    "Lumen Smart Thermostat",
)
_ALERTING = _CAMERAS + ("Lumen Motion Sensor",)


def _s(
    key: str,
    problems: list[str],
    subjects: list[str],
    replies: list[str],
    notes: list[str],
    devices: tuple[str, ...] = _DEVICES,
) -> _Scenario:
    return _Scenario(key, tuple(problems), tuple(subjects), tuple(replies), tuple(notes), devices)


_SCENARIOS: dict[str, tuple[_Scenario, ...]] = {
    "billing": (
        _s(
            "double_charge",
            [
                "I was charged twice for my {plan} subscription this month. Two payments of {price} went out on {date}.",
                "there are 2 identical charges of {price} on my card statement from {date}, I only have one account",
                "Why did you bill me twice?? I see {price} taken two times for {plan}.",
                "My bank shows a duplicate payment to Lumen on {date}. Please refund one of them.",
            ],
            ["Charged twice", "Duplicate charge on my account", "double payment for {plan}", "Billed 2x this month"],
            [
                "I'm sorry about that. I checked your billing history and you're right: the {plan} renewal on {date} was processed twice. I've refunded the duplicate payment of {price}; it should be back on your card within 5-7 business days. Your subscription itself is not affected.",
                "Thanks for flagging this. Our payment provider retried the {date} renewal after a timeout, which created a second charge of {price}. I have voided the duplicate, so it will disappear from your statement within a few business days.",
            ],
            [
                "Confirmed duplicate renewal charge ({price}) caused by a payment gateway retry. Refunded the second charge, told the customer 5-7 business days.",
                "Two captures for the same invoice {invoice}. Reversed one and added a note to the billing account.",
            ],
        ),
        _s(
            "wrong_amount",
            [
                "My invoice {invoice} says {amount} but the {plan} plan is listed at {price} on your website.",
                "why is my bill higher this month? I was charged {amount} instead of the usual {price}",
                "The price of my subscription went up without any notice. I'm on {plan} and now paying {amount}.",
                "I think there's a mistake on my latest invoice, it includes a fee I don't recognise ({amount}).",
            ],
            [
                "Wrong amount on invoice {invoice}",
                "Why is my bill higher?",
                "Unexpected fee",
                "Price increase on {plan}?",
            ],
            [
                "Thanks for reaching out. The difference comes from local sales tax, which is now added on top of the {price} list price. I've sent you a breakdown of invoice {invoice}; if your organisation is tax exempt, reply with the certificate and I'll re-issue the invoice.",
                "The {plan} plan is {price} a month. The extra amount was a prorated charge for moving up from a lower plan mid-cycle. I've sent you an itemised invoice so you can see each line, and from next month you'll be billed {price} only.",
            ],
            [
                "Explained proration after a mid-cycle plan upgrade; sent itemised invoice {invoice}. No refund due.",
                "Fee applied in error by a legacy tax rule. Credited {amount} back and corrected invoice {invoice}.",
            ],
        ),
        _s(
            "invoice_copy",
            [
                "Could you send me an invoice for order {order}? I need it for my expense report.",
                "I can't find the receipt for my {plan} payment from {date} anywhere in my account.",
                "where can i download my invoices? need them for accounting",
            ],
            ["Invoice request", "Need a receipt for {order}", "Where are my invoices?"],
            [
                "Of course. I've emailed you a PDF copy of the invoice. You can also download every invoice yourself under Account > Billing > Invoices in the app or on the web dashboard.",
                "All your receipts are under Account > Billing > Invoices on the web dashboard, where you can download them as PDF. I've also sent the one you asked for to your email just now.",
            ],
            [
                "Sent the invoice PDF and pointed the customer to Account > Billing > Invoices.",
                "Customer could not find receipts in the app; showed the web dashboard invoice list.",
            ],
        ),
        _s(
            "invoice_reissue",
            [
                "we need invoices with our company VAT number for the last 3 months, can you add it?",
                "Please re-issue invoice {invoice} with our company name and billing address, accounting rejected it.",
            ],
            ["VAT invoice", "Re-issue invoice {invoice}", "Company details on invoices"],
            [
                "I've re-issued the invoices with the company details you provided and sent them to the billing contact on file. Future invoices will include your VAT number automatically.",
                "Done: I added your company name and VAT number to the billing profile and regenerated invoice {invoice}. You can add or change these details yourself under Account > Billing > Company details.",
            ],
            [
                "Added the VAT ID to the billing profile and regenerated invoice {invoice}.",
            ],
        ),
        _s(
            "payment_failed",
            [
                "My card keeps getting declined when I try to renew {plan}, but it works everywhere else.",
                "payment failed error when updating billing, tried 3 times",
                "I got an email saying my payment for {plan} didn't go through. The card is valid until 2028!",
                "Your checkout says 'payment could not be processed' for order {order}.",
            ],
            ["Payment declined", "Payment failed for {plan}", "Card not accepted", "Can't complete payment"],
            [
                "Sorry for the trouble. The decline came back from your bank with a 'do not honor' code, which usually means they blocked an online charge as a precaution. Please approve the payment with your bank or try another card; I've extended your grace period by 7 days so nothing is interrupted meanwhile.",
                "I checked the payment log: the payment failed because the billing ZIP code didn't match the one your bank has on file. If you update the billing address under Account > Billing and try again, it should go through.",
            ],
            [
                "Decline code 05 from the issuing bank. Advised the customer to contact the bank; extended the grace period by 7 days.",
                "AVS mismatch on the billing ZIP. Customer updated the address, retry succeeded.",
            ],
        ),
        _s(
            "update_card",
            [
                "How do I change the card on file? My old one expired.",
                "I want to switch billing to my company card, where do I do that?",
            ],
            ["Update payment method", "Change card on file"],
            [
                "You can update it under Account > Billing > Payment method in the app or on the web dashboard: choose 'Replace card', enter the new details and save. The next renewal will use the new card automatically.",
            ],
            [
                "Walked the customer through replacing the card in Account > Billing.",
            ],
        ),
        _s(
            "bank_transfer",
            [
                "can I pay by bank transfer instead of credit card for the {plan} plan?",
                "Our finance team wants to pay {plan} by invoice rather than by card. Is that possible?",
            ],
            ["Pay by bank transfer?", "Paying by invoice"],
            [
                "Yes, {plan} customers on annual billing can pay by bank transfer. I've switched your account to invoice billing; the next invoice will include our bank details and 30-day payment terms.",
            ],
            [
                "Switched the account to invoice billing (annual, net 30).",
            ],
        ),
    ),
    "technical_issue": (
        _s(
            "device_offline",
            [
                "My {device} keeps going offline. The app says 'Device unreachable' several times a day.",
                "the {device} shows as disconnected in the app since {date}, even though the wifi is working fine",
                "{device} dropped off the network again after the router restarted and won't reconnect.",
                "Every night around 2am my {device} loses connection and I have to unplug it to get it back.",
            ],
            [
                "{device} keeps going offline",
                "Device unreachable",
                "{device} disconnected",
                "Connection keeps dropping",
            ],
            [
                "Thanks for the details. Most disconnects like this come from the device joining the 5 GHz band. Please make sure your router broadcasts a 2.4 GHz network, then open Settings > Devices > {device} > Wi-Fi in the app and reconnect it to that network. If it still drops, tell me the time of the last disconnect and I'll pull the device logs.",
                "I can see in our logs that your {device} loses its connection when your router renews its IP address. Please update the {device} to the latest firmware (Settings > Firmware) and give it a fixed IP in your router; that resolves these drops in almost every case.",
            ],
            [
                "Device was on a 5 GHz-only network. Guided the customer to the 2.4 GHz network; stable after reconnecting.",
                "DHCP lease renewal caused the drops. Firmware updated, static IP configured. Monitoring for 48h.",
            ],
        ),
        _s(
            "app_crash",
            [
                "The app crashes every time I open the {feature} tab. I'm on {os}.",
                "Lumen app freezes on the loading screen since the latest update ({os})",
                "when i tap on {feature} the app just closes, reinstalled twice already",
            ],
            ["App crashes on {feature}", "App keeps crashing", "App frozen after update"],
            [
                "Sorry about that. This is a known issue in app version 6.2 on {os} and it's fixed in 6.2.1, which is rolling out today. Please update the app from the store; if it still misbehaves, sign out and back in to clear the cached {feature} data.",
                "Thanks for reporting it. Our engineers found the cause of this crash and the fix is in app version 6.2.1, available in the store now. Your devices and automations are stored in your account, so updating won't lose anything.",
            ],
            [
                "Known crash in 6.2 on {os}; customer updated to 6.2.1, resolved.",
            ],
        ),
        _s(
            "app_error",
            [
                "The app shows a blank screen and error {error} whenever I try to open {feature}.",
                "I keep getting error {error} in the app, what does it mean?",
            ],
            ["Error {error} in the app", "What is error {error}?"],
            [
                "Thanks for reporting it. Error {error} means the app couldn't load its cached data after the update. Please clear the Lumen app cache in your phone's settings (your devices and automations are stored in your account, so nothing is lost) and sign in again.",
            ],
            [
                "Corrupt local cache (error {error}). Clearing the cache and signing in again fixed it.",
            ],
        ),
        _s(
            "firmware_stuck",
            [
                "The firmware update on my {device} has been stuck at {percent}% for over an hour.",
                "after last night's firmware update the {device} won't turn on at all, just a red light",
            ],
            ["Firmware update stuck", "{device} dead after update"],
            [
                "I'm sorry, that shouldn't happen. Please unplug the {device} for 30 seconds and plug it back in; it will fall back to the previous firmware and retry the update automatically. If the light stays red after 10 minutes, I'll send you a replacement under warranty.",
            ],
            [
                "Update interrupted at {percent}%. A power cycle triggered the rollback; the update succeeded on retry.",
                "Device bricked by a failed update. Warranty replacement approved.",
            ],
        ),
        _s(
            "firmware_error",
            [
                "Update failed with error {error} and now the {device} keeps rebooting.",
                "The {device} firmware update fails every time with {error}.",
            ],
            ["Update failed ({error})", "Firmware error {error}"],
            [
                "Error {error} means the download was interrupted. Hold the reset button for 10 seconds until the light blinks blue, then run the update again from Settings > Firmware while the {device} is close to the router.",
            ],
            [
                "Interrupted firmware download (error {error}); reset and re-ran the update near the router.",
            ],
        ),
        _s(
            "pairing",
            [
                "I can't pair my new {device} with the hub, the light just blinks orange.",
                "the app can't find my {device} during setup, bluetooth and location are on",
                "How do I connect the {device} to my hub? It says 'pairing timed out' every time.",
            ],
            ["Can't pair {device}", "Pairing timed out", "{device} not found during setup"],
            [
                "This usually means the {device} can't reach the hub during setup. Please place it within 3 meters of the hub, make sure the hub is on the latest firmware, and start pairing again from Add device. You can move it to its final spot afterwards.",
            ],
            [
                "Range issue during pairing; paired successfully next to the hub.",
            ],
            _PAIRED,
        ),
        _s(
            "setup_error",
            [
                "Setup fails at step {step} with error {error}, tried resetting twice",
                "I'm stuck at step {step} of the {device} setup, it shows {error}.",
            ],
            ["Setup fails at step {step}", "Setup error {error}"],
            [
                "Error {error} at step {step} is usually caused by the phone being on a different Wi-Fi network than the hub. Connect your phone to the same 2.4 GHz network, keep location permission on for the app, and retry the setup.",
            ],
            [
                "Phone was on the guest network. Switched networks, setup completed.",
            ],
            _PAIRED,
        ),
        _s(
            "laggy_video",
            [
                "The live video from my {device} is really laggy and keeps buffering.",
                "live view on the {device} freezes every few seconds",
            ],
            ["Laggy live video", "Live view keeps freezing"],
            [
                "Thanks for the report. Lag in live view almost always comes from upload bandwidth: the {device} needs about 2 Mbps up. Under Settings > Video quality you can switch to 720p, which halves that, and I've reset the stream server for your device on our side.",
            ],
            [
                "Upload bandwidth too low for 1080p. Switched the stream to 720p.",
            ],
            _CAMERAS,
        ),
        _s(
            "battery_drain",
            [
                "battery on the {device} drains in 2 days, it's supposed to last months",
                "I have to recharge my {device} every week. Is that normal?",
            ],
            ["Battery draining fast", "Battery life"],
            [
                "Battery drain like that usually means motion detection triggers constantly. Lower the sensitivity under Settings > Motion and exclude the street from the activity zone; the battery should last several months again.",
            ],
            [
                "Motion sensitivity was at maximum; reduced it and set activity zones.",
            ],
            _BATTERY,
        ),
        _s(
            "late_alerts",
            [
                "Notifications from the {device} arrive 5 minutes late, which makes them useless.",
                "I don't get motion alerts from the {device} until much later",
            ],
            ["Delayed notifications", "Alerts arrive late"],
            [
                "Late notifications are usually caused by the phone's battery saver putting the app to sleep. Please exclude the Lumen app from battery optimisation on {os} and allow background data.",
            ],
            [
                "Battery optimisation was killing the app; excluded it.",
            ],
            _ALERTING,
        ),
    ),
    "account_access": (
        _s(
            "reset_email",
            [
                "I'm trying to reset my password but the reset email never arrives. Checked spam too.",
                "I can't log in to my account and the 'forgot password' link doesn't send anything",
            ],
            ["Password reset email not arriving", "Can't log in"],
            [
                "Sorry about that. Our reset emails were being blocked by your mail provider's filter, so I've sent a new link from a different address, valid for 1 hour. If it doesn't arrive within a few minutes, let me know and I can verify your identity and reset the password here.",
            ],
            [
                "Reset email filtered by the mail provider. Sent a manual reset link; customer signed in.",
            ],
        ),
        _s(
            "reset_expired",
            [
                "forgot my password and the reset link says it expired, even when I click it right away",
                "The password reset link says 'invalid or expired token' every time.",
            ],
            ["Reset link expired", "Password reset not working"],
            [
                "Reset links expire when the email app opens them in a preview first. Please request a new link and copy it into your browser instead of tapping it; that lets you set a new password.",
            ],
            [
                "Link pre-fetched by a mail scanner. Advised copying the link into the browser; resolved.",
            ],
        ),
        _s(
            "locked",
            [
                "My account is locked after too many login attempts. How long do I have to wait?",
                "It says 'account temporarily locked' and I can't access my cameras",
                "i typed the wrong password a few times and now I'm locked out",
            ],
            ["Account locked", "Locked out of my account", "Temporarily locked?"],
            [
                "Accounts unlock automatically after 30 minutes, but I've verified your details and unlocked it now. You can sign in straight away; if you're not sure of the password, use 'Forgot password' to set a new one.",
                "For your security the account was locked after 5 failed attempts. I've unlocked it. I'd also recommend turning on two-factor authentication under Account > Security.",
            ],
            [
                "Account locked after 5 failed logins. Identity verified, unlocked.",
                "Unlocked after verification; suggested enabling 2FA.",
            ],
        ),
        _s(
            "two_factor",
            [
                "I got a new phone and can't get the two-factor code anymore.",
                "Lost my authenticator app, now I can't sign in. The verification code never matches.",
            ],
            ["Can't get 2FA code", "Lost authenticator"],
            [
                "No problem. Once I've verified your identity I can turn off two-factor authentication so you can sign in, and then you can set it up again on the new phone under Account > Security. Please confirm the email address on the account and the last 4 digits of the card you pay with.",
                "I've verified your account and removed the old authenticator. Sign in with your password and you'll be asked to set up two-factor authentication again; keep the backup codes it shows you somewhere safe.",
            ],
            [
                "Identity verified via billing details; 2FA reset.",
            ],
        ),
        _s(
            "sms_code",
            [
                "The SMS verification code doesn't arrive on my phone, so I'm stuck on the login screen.",
                "i never get the text message with the login code",
            ],
            ["Verification code not arriving", "No SMS code"],
            [
                "SMS codes are sometimes delayed by mobile carriers. I've verified your account and switched your two-factor method to email codes for now; you can set up an authenticator app later under Account > Security.",
            ],
            [
                "SMS delivery problem with the mobile carrier; moved the customer to email codes.",
            ],
        ),
        _s(
            "email_change",
            [
                "I need to change the email on my account, I don't have access to the old address anymore.",
                "How do I update my login email? My work address is being shut down.",
            ],
            ["Change login email", "Update account email"],
            [
                "I can help with that. For security I've sent a verification code to the phone number on the account; once you reply with it I'll change the login email, and you'll get a confirmation at both addresses.",
                "You can change it yourself under Account > Profile > Email while you're still signed in. If you're already signed out, reply with the serial number of one of your devices and I'll update it for you after verification.",
            ],
            [
                "Verified via SMS code and updated the login email.",
            ],
        ),
        _s(
            "compromised",
            [
                "I got an alert that someone logged into my account from another country. That wasn't me!",
                "I think my account was hacked, my password doesn't work and there are devices I don't recognise",
            ],
            ["Suspicious login", "Account hacked?", "Unrecognised devices on my account"],
            [
                "Thank you for telling us straight away. I've signed out every session, blocked the unknown device and sent you a link to set a new password. Please also enable two-factor authentication; I don't see any changes to your devices or billing from the other session.",
                "I've secured the account: all sessions are signed out, the password is reset and the unrecognised devices were removed. Use the link I've emailed you to choose a new password that you don't use anywhere else.",
            ],
            [
                "Suspicious login from a foreign IP. Sessions revoked, password reset forced, 2FA recommended.",
                "Account takeover; secured the account and flagged it to trust & safety.",
            ],
        ),
    ),
    "shipping_delivery": (
        _s(
            "in_transit",
            [
                "Where is my order {order}? It's been {days} days and it still hasn't arrived.",
                "tracking for {order} hasn't updated since {date}, is it lost?",
                "My package with the {device} is still 'in transit' after {days} days. Any news?",
            ],
            ["Where is my order {order}?", "Order not arrived", "Tracking not updating"],
            [
                "Sorry for the wait. Order {order} left our warehouse on {date} with {carrier}, tracking number {tracking}. The carrier had a delay at their regional hub; it's moving again and should arrive within 2 business days.",
                "I checked with {carrier}: your parcel ({tracking}) was held at their sorting centre because of high volumes. It's back on its way and should be with you by the end of the week.",
            ],
            [
                "Carrier delay at the hub; tracking {tracking} is moving again. Customer informed.",
            ],
        ),
        _s(
            "not_shipped",
            [
                "I ordered a {device} on {date} and haven't received any shipping confirmation yet.",
                "order {order} still says 'processing' after {days} days",
            ],
            ["No shipping confirmation", "Order still processing"],
            [
                "I checked order {order}: it was held because of an address validation issue. I've fixed it and the order ships today with {carrier}; you'll get the tracking number by email tonight.",
                "Sorry for the delay: the {device} was briefly out of stock. Your order {order} was packed this morning and ships today with {carrier}.",
            ],
            [
                "Order held on address validation; corrected and released to {carrier}.",
            ],
        ),
        _s(
            "delivered_not_received",
            [
                "Tracking says my order {order} was delivered on {date} but nothing is here.",
                "the package shows delivered but I never got it, checked with the neighbours too",
                "{carrier} marked my parcel as delivered to a mailroom we don't have.",
            ],
            ["Marked delivered but not received", "Package missing", "Order {order} never arrived"],
            [
                "I'm sorry your package didn't turn up. I've opened an investigation with {carrier} for order {order}. Parcels are sometimes left with a neighbour or at a pickup point, so please check over the next 48 hours; if it hasn't appeared by then, we'll ship a replacement at no cost.",
                "Since the delivery photo shows a different door, I've filed a claim with {carrier} and sent a replacement for order {order} with express shipping.",
            ],
            [
                "Carrier investigation opened; replacement promised after 48h.",
                "Misdelivery confirmed by the delivery photo; replacement sent express.",
            ],
        ),
        _s(
            "damaged",
            [
                "My {device} arrived with a cracked case and the box was crushed.",
                "the package for order {order} came damaged, the {device} is broken",
            ],
            ["Item arrived damaged", "Broken on arrival", "Damaged package"],
            [
                "I'm really sorry it arrived like that. No need to send photos: I've arranged a replacement {device} that ships today, and {carrier} will collect the damaged one when they deliver it.",
                "Sorry about that. I've created a replacement order for the {device} and emailed you a prepaid return label for the damaged unit. You'll receive tracking for the replacement within 24 hours.",
            ],
            [
                "Damaged in transit; replacement shipped, carrier collects the damaged unit.",
                "Replacement order created; prepaid return label sent.",
            ],
        ),
        _s(
            "change_address",
            [
                "Can I change the delivery address for order {order}? I'm moving next week.",
                "I put the wrong address on my order, can you send it to my office instead?",
            ],
            ["Change delivery address", "Wrong shipping address on {order}"],
            [
                "Your order {order} hasn't shipped yet, so I've updated the delivery address to the one you sent. You'll receive a new confirmation email shortly.",
                "The parcel is already with {carrier}, so I can't change it on our side, but you can redirect it for free with tracking number {tracking} on the carrier's website.",
            ],
            [
                "Address updated before dispatch.",
                "Already shipped; customer redirected the parcel with {carrier}.",
            ],
        ),
    ),
    "refund": (
        _s(
            "return_status",
            [
                "I returned the {device} on {date}. When will I get my refund?",
                "You received my return {days} days ago according to tracking, but I still haven't been refunded.",
                "what's the status of the refund for order {order}? the return was dropped off on {date}",
            ],
            ["Refund status for {order}", "Still waiting for my refund", "Return received, no refund"],
            [
                "Thanks for your patience. Your return for order {order} was checked in on {date} and the refund of {amount} was issued today to your original payment method. Banks usually take 5-10 business days to show it.",
                "I can see the returned {device} arrived at our warehouse. The refund was stuck in inspection; I've approved it manually and {amount} is on its way back to your card.",
            ],
            [
                "Return received; refund of {amount} issued to the original payment method.",
                "Refund stuck in the inspection queue; approved manually.",
            ],
        ),
        _s(
            "want_refund",
            [
                "The {device} doesn't work with my setup at all. I'd like to return it and get my money back.",
                "I'm not happy with the {device}, it's nothing like the description. Can I get a refund?",
                "bought the {device} {days} days ago and want to send it back for a full refund",
            ],
            ["Return and refund", "I want my money back", "Refund request for {order}"],
            [
                "I'm sorry the {device} didn't work out. It's within our 30-day return window, so I've emailed you a prepaid return label for order {order}. As soon as the carrier scans the parcel we'll refund {amount} to your original payment method.",
                "No problem, you're within the return period. I've started a return for order {order}: pack the {device} with its accessories, attach the label I've emailed and drop it at any {carrier} location. Your refund is issued when it's scanned.",
            ],
            [
                "Within the 30-day window. Return label sent; refund on carrier scan.",
                "RMA created for {order}.",
            ],
        ),
        _s(
            "refund_not_received",
            [
                "You told me a refund was issued {days} days ago but there's nothing on my card statement.",
                "Still no refund for the cancelled order {order}. Where is my money?",
            ],
            ["Refund not received", "Where is my refund?"],
            [
                "I checked and the refund of {amount} left us on {date}; the reference number for your bank is RF-{ref}. Some banks take up to 10 business days to post it. If it isn't there by then, share this reference with your bank and they can trace it.",
                "I'm sorry for the delay. The refund for order {order} failed because the original card has expired, so I've re-issued {amount} as a bank transfer; please reply with the account holder name so we can complete it.",
            ],
            [
                "Refund issued {date}; gave the customer bank reference RF-{ref}.",
                "Refund to an expired card bounced; re-issued via bank transfer.",
            ],
        ),
        _s(
            "price_drop",
            [
                "I bought the {device} last week and now it's {amount} cheaper. Can you refund the difference?",
                "The {device} went on sale two days after I ordered it. Do you do price matching?",
            ],
            ["Price drop refund", "Price adjustment for {order}"],
            [
                "Good news: purchases within 14 days of a price drop qualify for a price adjustment, so I've refunded the difference of {amount} to your card for order {order}.",
            ],
            [
                "Price adjustment of {amount} (within 14 days).",
            ],
        ),
        _s(
            "promised_credit",
            [
                "Your agent promised me a partial refund for the outage but I haven't seen it.",
                "I was told I'd get money back for the two weeks the cloud recording was down. Nothing so far.",
            ],
            ["Partial refund promised", "Outage refund missing"],
            [
                "You're right, a credit was promised and it wasn't applied. I've refunded {amount} to your payment method today; sorry for the extra trouble.",
            ],
            [
                "Applied the promised outage credit of {amount}.",
            ],
        ),
    ),
    "cancellation": (
        _s(
            "cancel_subscription",
            [
                "Please cancel my {plan} subscription, I don't need it anymore.",
                "How do I stop the automatic renewal of {plan}? I don't want to be charged again on {date}.",
                "i want to cancel my subscription, cant find the button anywhere in the app",
                "We're moving to another provider, so please end our {plan} plan at the end of this billing period.",
            ],
            ["Cancel subscription", "Stop auto-renewal", "Cancel {plan}", "Ending our plan"],
            [
                "I've cancelled your {plan} subscription. You keep access until the end of the current billing period on {date} and won't be charged again. Your devices keep working on the free plan, just without cloud recording.",
                "Done: auto-renewal for {plan} is switched off. For the future, you can manage this under Account > Subscription > Cancel plan. If you change your mind before {date}, you can turn renewal back on without losing your history.",
            ],
            [
                "Subscription cancelled at period end ({date}); no further charges.",
                "Turned off auto-renewal and showed the customer where to manage it.",
            ],
        ),
        _s(
            "cancel_order",
            [
                "I'd like to cancel order {order} before it ships, I ordered the wrong {device}.",
                "please cancel my order {order} and refund me, I found it cheaper elsewhere",
                "Can I still cancel the order I placed this morning? It's {order}.",
            ],
            ["Cancel order {order}", "Please cancel my order", "Ordered by mistake"],
            [
                "I caught it in time: order {order} is cancelled and hasn't shipped. The payment authorisation of {amount} will be released by your bank within a few days.",
                "Order {order} had already left our warehouse, so I couldn't cancel it, but I've marked it for a free return: refuse the delivery or send it back with the label I've emailed and you'll get a full refund.",
            ],
            [
                "Cancelled before dispatch; payment authorisation released.",
                "Already shipped; set up a free return instead of a cancellation.",
            ],
        ),
        _s(
            "close_account",
            [
                "Please delete my account and all the data you have about me.",
                "I want to close my Lumen account permanently, including the recordings.",
                "how do I delete my account? I'm getting rid of all my devices",
            ],
            ["Delete my account", "Close account and delete data", "Account deletion request"],
            [
                "I've started the deletion of your account. All recordings, device data and personal details are removed within 30 days, as described in our privacy policy, and you'll get an email once it's done. The devices will stop working with the app, so you may want to factory-reset them.",
                "Sorry to see you go. Before I delete the account: your {plan} subscription is paid until {date} and would end without a refund for the remaining days. Reply 'confirm' and I'll close the account and erase your data.",
            ],
            [
                "Deletion request logged; account scheduled for erasure within 30 days.",
                "Asked the customer to confirm the deletion; explained the remaining subscription days.",
            ],
        ),
        _s(
            "too_expensive",
            [
                "Thinking of cancelling, {plan} is too expensive for what I use. Is there a cheaper option?",
                "I'll cancel unless you can do something about the price of {plan}.",
            ],
            ["Thinking of cancelling", "Cancel or cheaper plan?"],
            [
                "Before you cancel: the Basic plan keeps 7 days of video history for $4.99 a month. I can switch you now and the change takes effect at your next renewal on {date}.",
                "I understand. I can offer you 3 months of {plan} at half price, or cancel at the end of the billing period on {date}; just tell me which you prefer.",
            ],
            [
                "Retention: moved the customer from {plan} to Basic at next renewal instead of cancelling.",
                "Offered 3 months at 50%; customer accepted.",
            ],
        ),
    ),
    "product_question": (
        _s(
            "voice_assistants",
            [
                "Does the {device} work with Google Home and Alexa?",
                "can I control the {device} with alexa?",
            ],
            ["Works with Alexa?", "Google Home support"],
            [
                "Yes, the {device} works with Google Home and Amazon Alexa. Enable the Lumen skill or action, sign in with your Lumen account, and the device shows up automatically.",
            ],
            [
                "Explained the Alexa and Google Home integration.",
            ],
        ),
        _s(
            "matter",
            [
                "is the {device} compatible with Apple HomeKit or Matter?",
                "Will the {device} work with my old first-generation Lumen Hub?",
            ],
            ["Works with HomeKit?", "{device} with the old hub"],
            [
                "The {device} supports Matter, so it works with Apple Home through any Matter controller. The first-generation hub doesn't support it, though; you'd need the current Lumen Hub for local automations.",
            ],
            [
                "Confirmed Matter support; the first-generation hub is not supported.",
            ],
            _PAIRED,
        ),
        _s(
            "router_range",
            [
                "What's the range of the Lumen Mesh Router? My house is about {area} square meters.",
                "how many mesh routers do I need for a {area} m2 house with two floors?",
            ],
            ["Mesh Router coverage", "How many routers do I need?"],
            [
                "Good question! One Mesh Router covers about 150 square meters, so for a home your size I'd recommend the 2-pack; the second unit extends coverage under the same network name.",
            ],
            [
                "Recommended the 2-pack for coverage.",
            ],
            ("Lumen Mesh Router",),
        ),
        _s(
            "outdoor",
            [
                "is the {device} waterproof? I want to mount it outside",
                "Can the {device} handle freezing temperatures? We get -15C in winter.",
            ],
            ["Outdoor use?", "Is the {device} weatherproof?"],
            [
                "The {device} is rated IP65 and works from -20 to 50 °C, so it's fine outdoors in rain, snow and frost as long as it isn't submerged. Use the included weatherproof cover for the cable connector.",
            ],
            [
                "Confirmed the IP65 rating and temperature range for outdoor use.",
            ],
            _OUTDOOR,
        ),
        _s(
            "video_history",
            [
                "Does the {device} record in 4K, and how long is the video history kept?",
                "how many days of recordings do I get with {plan}?",
            ],
            ["Video quality and history", "Recording history on {plan}"],
            [
                "The {device} records in 2K, not 4K. With {plan} your video history is kept for 30 days; the Basic plan keeps 7 days.",
            ],
            [
                "Explained resolution and history retention per plan.",
            ],
            _CAMERAS,
        ),
        _s(
            "schedules",
            [
                "How do I set up a schedule so the {device} turns off at night?",
                "can the {device} switch on automatically in the morning?",
            ],
            ["How to set up schedules", "Automatic on/off"],
            [
                "Yes: open the {device} in the app, tap Automations > New schedule, pick the days and times and save. The schedule runs on the hub, so it works even when your internet is down.",
            ],
            [
                "Explained schedules via Automations.",
            ],
            _SCHEDULABLE,
        ),
        _s(
            "family_sharing",
            [
                "can I share access to my cameras with my family without giving them my password?",
                "How do I give my partner access to the app?",
            ],
            ["Sharing access with family", "Second user"],
            [
                "You can! Go to Settings > Family sharing and invite them by email. They get their own login and you decide which devices each person can see.",
            ],
            [
                "Showed the family sharing invite.",
            ],
        ),
        _s(
            "warranty",
            [
                "How long is the warranty on the {device}? Mine is {months} months old.",
                "Is my {device} still under warranty? I bought it {months} months ago.",
            ],
            ["Warranty question", "Is it still under warranty?"],
            [
                "All Lumen devices have a 2-year limited warranty from the delivery date. If something goes wrong within that time, contact us with the serial number and we'll replace the {device}.",
            ],
            [
                "Explained the 2-year warranty.",
            ],
        ),
        _s(
            "protect_plan",
            [
                "does the extended warranty cover accidental damage?",
                "What happens if I drop the {device}? Is that covered?",
            ],
            ["Extended warranty coverage", "Accidental damage"],
            [
                "The extended warranty covers hardware faults for 3 years but not accidental damage; for that we offer Lumen Protect, which covers drops and spills for $2.99 a month.",
            ],
            [
                "Clarified extended warranty versus Lumen Protect.",
            ],
        ),
    ),
}

#: In longer chats the agent asks for details first; each question comes with the answers customers
#: give (some hold personal data; at least one per question holds none).
_EXCHANGES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "billing": (
        (
            "I'm sorry to hear that. Could you tell me the email address on the account so I can look up your billing history?",
            ("sure, it's {email}", "it's {email}", "the one I'm chatting from I think"),
        ),
        (
            "Thanks for reaching out! Can you share the invoice number or the date of the charge?",
            ("invoice {invoice}", "it was on {date}", "invoice {invoice}, and my email is {email}"),
        ),
        (
            "I can look into that. Which card is it? The last 4 digits are enough.",
            ("the card ending in {last4}", "it's {card}", "ending {last4}"),
        ),
    ),
    "technical_issue": (
        (
            "Sorry about that! Which device is it, and which app version are you on?",
            ("it's the {device}, app version 6.2 on {os}", "{device}, latest app on {os}"),
        ),
        (
            "Thanks. Have you already tried restarting the device and the router?",
            ("yes I restarted both, still the same", "yes twice. you can call me at {phone} if that's easier"),
        ),
        (
            "I'd like to check the logs. Roughly when did it last happen?",
            ("last time was {date} around 9pm", "about an hour ago", "this morning. my account is {email}"),
        ),
    ),
    "account_access": (
        (
            "I can help with that. What's the email address you use to sign in?",
            (
                "{email}",
                "it's {email}, you can also text me at {phone}",
                "not sure which one I used, maybe my work address",
            ),
        ),
        (
            "Sorry for the trouble. To verify the account, can you confirm your full name and the email on the account?",
            (
                "my name is {full_name} and the email is {email}",
                "{full_name}, {email}",
                "can I verify another way? I can't get into that email",
            ),
        ),
    ),
    "shipping_delivery": (
        (
            "Let me check that for you. What's your order number?",
            ("{order}", "it's {order}", "sure: {order}. my number is {phone} in case the courier needs it"),
        ),
        (
            "Sorry for the trouble! Could you share the order number and the delivery address?",
            ("order {order}, the address is {address}", "{order}, same address as always"),
        ),
    ),
    "refund": (
        ("I'll look into it. Could you share the order number?", ("{order}", "order {order}")),
        (
            "Sorry about that. Which order is it, and which card did you pay with?",
            ("{order}, paid with {card}", "it's order {order}, the card ending in {last4}"),
        ),
    ),
    "cancellation": (
        (
            "I can take care of that. Can you confirm the email address on the account?",
            ("{email}", "the account email is {email}, name {full_name}", "same as the one I'm writing from"),
        ),
        ("Sure. Could you give me the order number or the email on the account?", ("it's {order}", "{email}")),
    ),
    "product_question": (
        (
            "Happy to help! Which model do you have, or are you thinking of buying one?",
            ("I have the {device}", "thinking of buying the {device}"),
        ),
        (
            "Good question. Is this for a new setup or an existing one?",
            ("new setup, haven't bought anything yet", "existing, I have the hub and a {device}"),
        ),
    ),
}
#: A second question in longer chats, and the agent's answer (fits every scenario of the category).
_FOLLOW_UPS: dict[str, tuple[tuple[str, str], ...]] = {
    "billing": (
        (
            "will I get a confirmation by email?",
            "Yes, you'll get an email confirmation within the hour, and everything is visible under Account > Billing.",
        ),
        (
            "is there anything else I need to do?",
            "No, nothing else is needed on your side. If anything looks wrong on your next statement, just reply to this chat.",
        ),
    ),
    "technical_issue": (
        (
            "and if that doesn't work?",
            "Then reply here and I'll escalate it to our engineers with your device logs; if the hardware is at fault we'll replace it under warranty.",
        ),
        (
            "do I lose my settings?",
            "No, your settings and automations are stored in your account and come back automatically.",
        ),
    ),
    "account_access": (
        (
            "will my devices keep working meanwhile?",
            "Yes, your devices keep running and recording; only the app access was affected.",
        ),
        (
            "how do I stop this from happening again?",
            "Turn on two-factor authentication under Account > Security and use a password you don't use anywhere else.",
        ),
    ),
    "shipping_delivery": (
        (
            "can you send me the tracking link?",
            "Of course, I've just emailed you the tracking link; it updates every few hours.",
        ),
        (
            "what if it doesn't come this week?",
            "Then let me know and we'll send a replacement with express shipping at no cost.",
        ),
    ),
    "refund": (
        (
            "how will I know when it's done?",
            "You'll get an email as soon as the refund is issued, and it also shows under Account > Orders.",
        ),
        (
            "can I get store credit instead?",
            "Yes, if you prefer store credit just reply here and I'll switch it; store credit is available immediately.",
        ),
    ),
    "cancellation": (
        ("will I get a confirmation?", "Yes, a confirmation email is on its way to the address on your account."),
        (
            "can I come back later?",
            "Of course, you can reactivate at any time from the app and your devices will reconnect.",
        ),
    ),
    "product_question": (
        (
            "is it on sale right now?",
            "It's 15% off in our store until Sunday, and the discount applies automatically at checkout.",
        ),
        (
            "does it need a subscription?",
            "No, the basic features work without one; a plan adds cloud video history and smart alerts.",
        ),
    ),
}

_GREETINGS = (
    "Hi",
    "Hello",
    "Hey",
    "Hi there",
    "Good morning",
    "Good afternoon",
    "Dear Lumen support",
    "Hello team",
    "To whom it may concern",
    "Hiya",
)
_CHAT_OPENERS = ("hi", "hello", "hey", "Hi,", "Hello!", "hi there", "", "", "")
_CONTEXT = (
    "I've been a customer for {years} years and never had this problem.",
    "This is the second time I'm writing about this.",
    "I need this sorted out before the weekend.",
    "I already tried the help center articles.",
    "Not sure if this is the right place to ask.",
    "We use Lumen in our office, so this is urgent for us.",
    "My partner set up the account originally.",
)
_EMOTION = (
    "This is really frustrating.",
    "Please help asap!",
    "Thanks in advance.",
    "honestly very disappointed",
    "Would appreciate a quick answer.",
    "this is ridiculous",
)
_CLOSINGS = ("Thanks", "Thank you", "thx", "Many thanks", "Cheers", "Best", "Kind regards", "Regards")
_NAME_FREE_SIGNOFFS = ("Sent from my iPhone", "Sent from my Android phone", "")
_CONTACT: dict[str, tuple[str, ...]] = {
    "phone": (
        "You can reach me at {phone}.",
        "Call me on {phone} if you need more details.",
        "My phone number is {phone}.",
    ),
    "email": ("My account email is {email}.", "The account is under {email}.", "I log in with {email}."),
    "card": ("The card I used is {card}.", "It was on my card {card}."),
    "address": ("My address is {address}.", "Shipping address: {address}."),
}
_CONTACT_BY_CATEGORY = {
    "billing": ("email", "phone", "card"),
    "technical_issue": ("phone", "email"),
    "account_access": ("email", "phone"),
    "shipping_delivery": ("address", "phone", "email"),
    "refund": ("card", "address", "email"),
    "cancellation": ("email", "phone"),
    "product_question": ("email",),
}
_AGENT_CHAT_GREETINGS = (
    "Hi {first_name}!",
    "Thanks {first_name}!",
    "Thanks for waiting, {first_name}.",
    "Hi there!",
    "Thanks!",
)
_AGENT_EMAIL_GREETINGS = ("Hi {first_name},", "Hello {first_name},", "Dear {full_name},", "Hi there,", "Hello,")
_AGENT_SIGNOFFS = ("\n\nBest regards,\nLumen Support", "\n\nKind regards,\nThe Lumen team", "\n\nLumen Customer Care")
_ONE_WORD_REPLIES = ("ok", "Done.", "k", "noted", "Fixed.", "ok thx", "Resolved")

_PLANS = (("Lumen Basic", "$4.99"), ("Lumen Plus", "$9.99"), ("Lumen Premium", "$14.99"), ("Lumen Business", "$39.00"))
_FEATURES = ("Live View", "History", "Automations", "Energy", "Settings", "Family sharing")
_OSES = ("iOS 18", "iOS 17.5", "Android 15", "Android 14", "an iPad", "a Pixel 8")
_ERRORS = ("E-1042", "E-2203", "ERR_PAIRING_TIMEOUT", "0x80070005", "E-17", "NET-503")
_CARRIERS = ("UPS", "FedEx", "DHL", "USPS", "Royal Mail", "DPD")
_MONTHS = ("Jan", "January", "Feb", "February", "March", "Mar", "April")
_RELATIVE_DATES = ("yesterday", "last Monday", "last week", "the 3rd", "Tuesday")

_FIRST_NAMES = (
    "Maria",
    "James",
    "Priya",
    "Chen",
    "Fatima",
    "Lukas",
    "Sofia",
    "Daniel",
    "Aisha",
    "Mateo",
    "Emily",
    "Hiroshi",
    "Olga",
    "Kwame",
    "Isabella",
    "Ahmed",
    "Hannah",
    "Diego",
    "Ingrid",
    "Rahul",
    "Chloe",
    "Mohammed",
    "Zoë",
    "Jürgen",
    "Amara",
    "Connor",
    "Yuki",
    "Elena",
    "Samuel",
    "Leila",
    "Thomas",
    "Ana",
    "Nikolai",
    "Grace",
    "Oliver",
    "Mei",
    "Carlos",
    "Siobhan",
    "Arjun",
    "Laura",
)
_LAST_NAMES = (
    "Gonzalez",
    "Smith",
    "Patel",
    "Wang",
    "Khan",
    "Müller",
    "Rossi",
    "Johnson",
    "Okafor",
    "Fernández",
    "Brown",
    "Tanaka",
    "Ivanova",
    "Mensah",
    "Garcia",
    "Hassan",
    "Schmidt",
    "Lopez",
    "Larsen",
    "Sharma",
    "Martin",
    "Ali",
    "Dubois",
    "Nguyen",
    "O'Brien",
    "Kowalski",
    "Silva",
    "Andersson",
    "Cohen",
    "Murphy",
    "Kim",
    "Rahman",
    "Moreau",
    "Novak",
    "Williams",
    "Reyes",
)
_MAIL_DOMAINS = (
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "hotmail.co.uk",
    "gmx.de",
    "proton.me",
    "acme-corp.com",
    "web.de",
)
_STREETS = ("Maple", "Oak", "Cedar", "Elm", "Lake", "Hill", "Park", "Washington", "Station", "Church", "Mill", "River")
_US_CITIES = (
    ("Springfield", "IL", "627"),
    ("Austin", "TX", "787"),
    ("Portland", "OR", "972"),
    ("Denver", "CO", "802"),
    ("Columbus", "OH", "432"),
    ("Raleigh", "NC", "276"),
)
_UK_CITIES = (("Manchester", "M"), ("Leeds", "LS"), ("Bristol", "BS"), ("London", "SW"))
_DE_CITIES = ("Berlin", "Hamburg", "München", "Köln")
_US_AREA_CODES = ("212", "312", "415", "617", "206", "512", "303", "646", "718", "404")


def _luhn_complete(prefix_and_body: str) -> str:
    """Append the Luhn check digit (ISO/IEC 7812) to a card number without one."""
    total = 0
    for i, ch in enumerate(reversed(prefix_and_body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return prefix_and_body + str((10 - total % 10) % 10)


def _card(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.15:  # American Express: 15 digits, grouped 4-6-5
        digits = _luhn_complete(rng.choice(("34", "37")) + "".join(rng.choices(string.digits, k=12)))
        groups = [digits[:4], digits[4:10], digits[10:]]
    else:  # Visa / Mastercard: 16 digits, grouped 4-4-4-4
        prefix = "4" if kind < 0.6 else str(rng.randint(51, 55))
        digits = _luhn_complete(prefix + "".join(rng.choices(string.digits, k=15 - len(prefix))))
        groups = [digits[i : i + 4] for i in range(0, 16, 4)]
    return rng.choice((" ", "-", "", " ")).join(groups)


def _phone(rng: random.Random) -> str:
    """A phone number that libphonenumber accepts as valid, in one of the formats customers type."""
    kind = rng.random()
    d = lambda k: "".join(rng.choices(string.digits, k=k))  # noqa: E731
    if kind < 0.55:
        area, exchange, line = rng.choice(_US_AREA_CODES), str(rng.randint(201, 989)), d(4)
        if exchange.endswith("11") or exchange == "555":
            exchange = "734"
        return rng.choice(
            (
                f"({area}) {exchange}-{line}",
                f"{area}-{exchange}-{line}",
                f"{area}.{exchange}.{line}",
                f"+1 {area} {exchange} {line}",
                f"+1-{area}-{exchange}-{line}",
            )
        )
    if kind < 0.7:
        mobile = rng.choice((rng.randint(400, 599), rng.randint(700, 899)))  # 76xx are pagers
        return rng.choice((f"+44 7{mobile} {d(6)}", f"+44 20 7{d(3)} {d(4)}"))
    if kind < 0.82:
        return rng.choice((f"+49 30 {rng.randint(2, 9)}{d(7)}", f"+49 15{rng.randint(1, 2)} {rng.randint(2, 9)}{d(7)}"))
    if kind < 0.92:
        return f"+33 6 {rng.choice('0124578')}{d(1)} {d(2)} {d(2)} {d(2)}"
    return f"+91 9{d(4)} {d(5)}"


def _address(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.6:
        city, state, zip3 = rng.choice(_US_CITIES)
        suffix = rng.choice(("Street", "Avenue", "Road", "Drive", "Lane"))
        apt = rng.choice(("", "", f", Apt {rng.randint(1, 40)}"))
        return (
            f"{rng.randint(10, 9899)} {rng.choice(_STREETS)} {suffix}{apt}, {city}, {state} {zip3}{rng.randint(10, 99)}"
        )
    if kind < 0.8:
        city, area = rng.choice(_UK_CITIES)
        return f"{rng.randint(1, 220)} {rng.choice(_STREETS)} Road, {city} {area}{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTUW')}"
    street = rng.choice(("Haupt", "Linden", "Garten", "Schiller", "Bahnhof"))
    return f"{street}straße {rng.randint(1, 140)}, {rng.randint(10115, 81929)} {rng.choice(_DE_CITIES)}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace("'", "").lower()


@dataclass
class _Ticket:
    """One support case: who, what, and the values that fill the templates."""

    category: str
    scenario: _Scenario
    slots: dict[str, str]
    created_at: str

    @classmethod
    def draw(cls, rng: random.Random, created: datetime) -> _Ticket:
        category = rng.choices(CATEGORIES, weights=_CATEGORY_WEIGHTS)[0]
        scenario = rng.choice(_SCENARIOS[category])
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        plan, price = rng.choice(_PLANS)
        local = rng.choice(
            (
                f"{_ascii(first)}.{_ascii(last)}",
                f"{_ascii(first)[0]}{_ascii(last)}",
                f"{_ascii(first)}{rng.randint(1, 99)}",
                f"{_ascii(last)}.{_ascii(first)}{rng.randint(70, 99)}",
            )
        )
        currency = rng.choice(("$", "$", "$", "€", "£"))
        slots = {
            "first_name": first,
            "full_name": f"{first} {last}",
            "email": f"{local}@{rng.choice(_MAIL_DOMAINS)}",
            "phone": _phone(rng),
            "card": _card(rng),
            "address": _address(rng),
            "plan": plan,
            "price": price,
            "device": rng.choice(scenario.devices),
            "order": f"ORD-{rng.randint(100000, 999999)}",
            "invoice": f"INV-2026-{rng.randint(1, 99999):05d}",
            "amount": f"{currency}{rng.randint(5, 399)}.{rng.choice(('00', '99', '50', '49', '95'))}",
            "date": rng.choice(
                (
                    f"{rng.choice(_MONTHS)} {rng.randint(1, 28)}",
                    f"{rng.randint(1, 4)}/{rng.randint(1, 28)}",
                    rng.choice(_RELATIVE_DATES),
                )
            ),
            "days": str(rng.randint(3, 21)),
            "error": rng.choice(_ERRORS),
            "feature": rng.choice(_FEATURES),
            "os": rng.choice(_OSES),
            "carrier": rng.choice(_CARRIERS),
            "tracking": rng.choice(
                (
                    f"1Z{rng.randint(100, 999)}{rng.choice(('AA', 'XF', 'E2'))}{rng.randint(10**9, 10**10 - 1)}",
                    f"TBA{rng.randint(10**8, 10**9 - 1)}",
                    f"LM{rng.randint(10**8, 10**9 - 1)}GB",
                )
            ),
            "percent": str(rng.randint(12, 97)),
            "step": str(rng.randint(2, 6)),
            "last4": f"{rng.randint(0, 9999):04d}",
            "ref": str(rng.randint(100000, 999999)),
            "area": str(rng.randrange(120, 400, 10)),
            "months": str(rng.randint(2, 30)),
            "years": str(rng.randint(2, 9)),
        }
        return cls(category, scenario, slots, created.strftime("%Y-%m-%dT%H:%M:00Z"))


class _Filler:
    """Fills templates from a ticket's slots and logs every personal value used (unless PII is off)."""

    def __init__(self, ticket: _Ticket, pii_allowed: bool) -> None:
        self.ticket = ticket
        self.pii_allowed = pii_allowed
        self.used: list[tuple[str, str]] = []

    def __call__(self, template: str) -> str:
        return template.format_map(_LoggingSlots(self))

    def allows(self, template: str) -> bool:
        """Whether a template may be used: one with personal data only when PII is allowed."""
        return self.pii_allowed or not any("{" + slot + "}" in template for slot in _PII_SLOTS)

    def choose(self, rng: random.Random, templates: tuple[str, ...]) -> str:
        return rng.choice([t for t in templates if self.allows(t)])


class _LoggingSlots(dict):
    def __init__(self, filler: _Filler) -> None:
        super().__init__()
        self.filler = filler

    def __missing__(self, key: str) -> str:
        value = self.filler.ticket.slots[key]
        if key in _PII_SLOTS:
            if not self.filler.pii_allowed:
                raise RuntimeError(f"template uses {{{key}}} on a row that must carry no personal data")
            self.filler.used.append((_PII_SLOTS[key], value))
        return value


# --------------------------------------------------------------------------------------------------
# Rendering a ticket per source


@dataclass
class _Row:
    """A rendered data row: fields for a well-formed row, or ``raw`` text for a malformed one."""

    fields: dict[str, Any]
    pii: list[tuple[str, str]]
    quality: str | None = None
    raw: str | None = None


def _add_typos(rng: random.Random, text: str, rate: float) -> str:
    """Swap, drop or double a letter in a few lowercase words (never in names, numbers, e-mails or ids)."""
    words = text.split(" ")
    for i, word in enumerate(words):
        core = word.rstrip(",.!?")
        if len(core) >= 4 and core.isalpha() and core.islower() and core.isascii() and rng.random() < rate:
            j = rng.randrange(1, len(core) - 1)
            op = rng.random()
            if op < 0.4:
                core = core[:j] + core[j + 1] + core[j] + core[j + 2 :]
            elif op < 0.75:
                core = core[:j] + core[j + 1 :]
            else:
                core = core[:j] + core[j] + core[j:]
            words[i] = core + word[len(word.rstrip(",.!?")) :]
    return " ".join(words)


def _customer_style(rng: random.Random, text: str, casual: bool) -> str:
    """Typos and casing the way customers write; chats are more casual than e-mails."""
    if rng.random() < (0.45 if casual else 0.2):
        text = _add_typos(rng, text, 0.06 if casual else 0.02)
    if casual and rng.random() < 0.3:
        text = text.lower()
    return text


def _sentence(text: str) -> str:
    """Capitalised and ending in punctuation, so that another sentence can follow."""
    text = text.strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _problem(rng: random.Random, fill: _Filler) -> str:
    return fill(rng.choice(fill.ticket.scenario.problems))


def _contact_sentence(rng: random.Random, fill: _Filler, chance: float) -> str:
    if not fill.pii_allowed or rng.random() >= chance:
        return ""
    kind = rng.choice(_CONTACT_BY_CATEGORY[fill.ticket.category])
    return fill(rng.choice(_CONTACT[kind]))


def _truncate(rng: random.Random, text: str) -> str:
    """Cut mid-word at 25-60% of the length, as an interrupted export or a bad copy-paste does."""
    return text[: max(8, int(len(text) * rng.uniform(0.25, 0.6)))].rstrip()


def _render_chat(rng: random.Random, ticket: _Ticket, number: str, quality: str | None) -> _Row:
    fill = _Filler(ticket, pii_allowed=quality is None)
    opener = rng.choice(_CHAT_OPENERS)
    if fill.pii_allowed and rng.random() < 0.12:
        opener = fill(rng.choice(("hi, this is {first_name}.", "Hello, {full_name} here.", "hey it's {first_name}!")))
    joiner = " " if not opener or opener.endswith((",", ".", "!")) else rng.choice((", ", " ", "! "))
    first = _customer_style(rng, f"{opener}{joiner}{_problem(rng, fill)}".strip(), casual=True)
    extra = _contact_sentence(rng, fill, 0.12)
    first = f"{_sentence(first)} {extra}" if extra else first
    messages = [{"role": "user", "content": first}]
    turns = rng.choices((1, 2, 3), weights=(35, 45, 20))[0]
    if turns >= 2:
        ask, answers = rng.choice(_EXCHANGES[ticket.category])
        messages.append({"role": "assistant", "content": ask})
        messages.append({"role": "user", "content": _customer_style(rng, fill(fill.choose(rng, answers)), casual=True)})
    reply = fill(rng.choice(ticket.scenario.replies))
    if rng.random() < 0.5:
        reply = f"{fill(fill.choose(rng, _AGENT_CHAT_GREETINGS))} {reply}"
    messages.append({"role": "assistant", "content": reply})
    if turns == 3:
        question, answer = rng.choice(_FOLLOW_UPS[ticket.category])
        messages.append({"role": "user", "content": _customer_style(rng, question, casual=True)})
        messages.append({"role": "assistant", "content": answer})
    if quality == "empty_text":
        for message in messages:
            if message["role"] == "user":
                message["content"] = rng.choice(("", " ", "\n"))
    elif quality == "truncated_text":
        messages = [messages[0], messages[-1]]
        messages[0]["content"] = _truncate(rng, messages[0]["content"])
    elif quality == "one_word_reply":
        messages[-1]["content"] = rng.choice(_ONE_WORD_REPLIES)
    fields = {
        "conversation_id": f"CHAT-{number}",
        "started_at": ticket.created_at,
        "channel": rng.choice(("web_chat", "web_chat", "in_app", "whatsapp")),
        "messages": messages,
        "category": ticket.category,
    }
    row = _Row(fields, fill.used, quality)
    if quality == "truncated_json_line":  # an export cut off mid-line
        line = json.dumps(fields, ensure_ascii=False)
        row.raw = line[: int(len(line) * rng.uniform(0.3, 0.8))]
    return row


def _email_body(rng: random.Random, fill: _Filler) -> str:
    paragraphs = [f"{rng.choice(_GREETINGS)}{rng.choice((',', ',', '!', ''))}"]
    intro = fill("My name is {full_name}. ") if fill.pii_allowed and rng.random() < 0.2 else ""
    problem = intro + _sentence(_customer_style(rng, _problem(rng, fill), casual=False))
    if rng.random() < 0.5:
        problem += " " + fill(rng.choice(_CONTEXT))
    paragraphs.append(problem)
    emotion = rng.choice(_EMOTION) if rng.random() < 0.4 else ""
    if emotion and rng.random() < 0.15:
        emotion = emotion.upper()
    tail = " ".join(s for s in (_contact_sentence(rng, fill, 0.35), emotion) if s)
    if tail:
        paragraphs.append(tail)
    closing = rng.choice(_CLOSINGS)
    if fill.pii_allowed and rng.random() < 0.75:
        paragraphs.append(f"{closing},\n" + fill(rng.choice(("{full_name}", "{first_name}", "{full_name}\n{phone}"))))
    else:
        signoff = rng.choice(_NAME_FREE_SIGNOFFS)
        paragraphs.append(f"{closing}\n\n{signoff}" if signoff else closing)
    return rng.choice(("\n\n", "\n")).join(paragraphs)


def _render_email(rng: random.Random, ticket: _Ticket, number: str, quality: str | None) -> _Row:
    fill = _Filler(ticket, pii_allowed=quality is None)
    subject = fill(rng.choice(ticket.scenario.subjects))
    subject = rng.choice(("", "", "", "Re: ", "RE: ", "Fwd: ")) + (subject.lower() if rng.random() < 0.2 else subject)
    body = _email_body(rng, fill)
    greeting = fill(fill.choose(rng, _AGENT_EMAIL_GREETINGS))
    reply = f"{greeting}\n\n{fill(rng.choice(ticket.scenario.replies))}{rng.choice(_AGENT_SIGNOFFS)}"
    if quality == "empty_text":
        body = rng.choice(("", " "))  # unquoted in the CSV, as most exporters write it
    elif quality == "truncated_text":
        body = _truncate(rng, body)
    elif quality == "one_word_reply":
        reply = rng.choice(_ONE_WORD_REPLIES)
    fields = {
        "ticket_id": f"EM-{number}",
        "received_at": ticket.created_at,
        "subject": subject,
        "body": body,
        "agent_reply": reply,
        "category": ticket.category,
    }
    row = _Row(fields, fill.used, quality)
    flat = {k: " ".join(str(v).replace('"', "").split()) for k, v in fields.items()}
    if quality == "wrong_column_count":  # an unquoted comma in the subject, as a naive export writes it
        flat["subject"] = f"{flat['subject']}, urgent"
        row.raw = ",".join(flat[c] for c in EMAIL_COLUMNS)
    elif quality == "broken_quote":  # an opening quote that is never closed
        flat["subject"] = '"' + flat["subject"]
        row.raw = ",".join(flat[c] for c in EMAIL_COLUMNS)
    return row


def _render_note(rng: random.Random, ticket: _Ticket, number: str, quality: str | None) -> _Row:
    fill = _Filler(ticket, pii_allowed=quality is None)
    text = _customer_style(rng, _problem(rng, fill), casual=False)
    if rng.random() < 0.3:
        text = _sentence(text) + " " + fill(rng.choice(_CONTEXT))
    contact = _contact_sentence(rng, fill, 0.25)
    if contact:
        text = _sentence(text) + " " + contact
    resolution = fill(rng.choice(ticket.scenario.notes))
    if fill.pii_allowed and rng.random() < 0.15:
        resolution = (
            fill(rng.choice(("Spoke with {first_name} on the phone. ", "Called {full_name} back. "))) + resolution
        )
    if quality == "empty_text":
        text = rng.choice(("", " "))
    elif quality == "truncated_text":
        text = _truncate(rng, text)
    elif quality == "one_word_reply":
        resolution = rng.choice(_ONE_WORD_REPLIES)
    fields = {
        "ticket_id": f"TCK-{number}",
        "created_at": ticket.created_at,
        "product": ticket.slots["plan"] if ticket.category in ("billing", "cancellation") else ticket.slots["device"],
        "priority": rng.choices(("low", "normal", "high", "urgent"), weights=(20, 55, 20, 5))[0],
        "ticket_text": text,
        "resolution": resolution,
        "category": ticket.category,
    }
    return _Row(fields, fill.used, quality)


# --------------------------------------------------------------------------------------------------
# Injection plan, duplicates and writers


def _plan_quality(rng: random.Random, n: int, source: str) -> dict[int, str]:
    """Which ticket indices become low-quality or malformed rows (disjoint sets)."""
    kinds = {
        "empty_text": max(1, round(n * 0.01)),
        "truncated_text": max(1, round(n * 0.02)),
        "one_word_reply": max(1, round(n * 0.02)),
    }
    for kind in _MALFORMED_KINDS[source]:
        kinds[kind] = 1 if kind == "broken_quote" else max(1, n // 300)
    indices = rng.sample(range(n), sum(kinds.values()))
    plan, start = {}, 0
    for kind, count in kinds.items():
        for i in indices[start : start + count]:
            plan[i] = kind
        start += count
    return plan


def _with_duplicates(rng: random.Random, rows: list[_Row], summary: DemoCorpusSummary, source: str) -> list[_Row]:
    """Insert exact copies of ~4% of the clean rows somewhere after their originals."""
    clean = [i for i, row in enumerate(rows) if row.quality is None]
    originals = rng.sample(clean, round(len(rows) * 0.04))
    keyed = [((i, 0), row) for i, row in enumerate(rows)]
    keyed += [((rng.randint(i, len(rows) - 1), 1), _Row(dict(rows[i].fields), list(rows[i].pii))) for i in originals]
    summary.duplicates[source] = len(originals)
    return [row for _, row in sorted(keyed, key=lambda kv: kv[0])]


def _write_chats(path: Path, rows: list[_Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [row.raw if row.raw is not None else json.dumps(row.fields, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_emails(path: Path, rows: list[_Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EMAIL_COLUMNS)
    for row in rows:
        if row.raw is not None:
            buffer.write(row.raw + "\n")
        else:
            writer.writerow([row.fields[c] for c in EMAIL_COLUMNS])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _write_notes(path: Path, rows: list[_Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0].fields)
    table = pa.table({c: pa.array([row.fields[c] for row in rows], type=pa.string()) for c in columns})
    pq.write_table(table, path, compression="snappy")
