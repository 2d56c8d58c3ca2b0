"""Normalisation: unicode repair, control characters, whitespace, messages, length and language filters."""

from __future__ import annotations

import json

import pytest

from finetune_platform.curation import CurationSettings, guess_language, normalize_messages, normalize_records, normalize_text

from .tickets import records


def test_mojibake_is_repaired():
    assert normalize_text("La canción RomÃ¡ntica estÃ¡ aquÃ­") == "La canción Romántica está aquí"


def test_mojibake_repair_can_be_switched_off():
    assert normalize_text("RomÃ¡ntica", fix_unicode=False) == "RomÃ¡ntica"


def test_nfc_composes_decomposed_accents():
    decomposed = "Cafe\u0301"
    assert normalize_text(decomposed) == "Café"
    assert normalize_text(decomposed, fix_unicode=False) == "Café"


def test_control_characters_go_and_newlines_stay():
    raw = "Hello\x00 wor\u200bld\x07\r\nsecond\tline\ufeff"
    assert normalize_text(raw) == "Hello world\nsecond line"


def test_whitespace_is_collapsed_and_paragraphs_kept():
    assert normalize_text("  a   b \u00a0 c \n\n\n\n d  ") == "a b c\n\nd"
    assert normalize_text("Thanks \n Jane") == "Thanks\nJane"  # a single stray space is no indentation


def test_indentation_is_kept_so_code_and_nested_lists_survive():
    code = "for i in range(10):\n    if i % 2:\n        print(i)"
    assert normalize_text(code) == code
    assert normalize_text("steps:\n  - run: make\n\t\u00a0x = 1   \n") == "steps:\n  - run: make\n\t x = 1"


def test_html_entities_are_unescaped():
    assert normalize_text("Fish &amp; chips") == "Fish & chips"


def test_html_entities_are_unescaped_once_so_a_text_about_html_keeps_its_meaning():
    assert normalize_text("In HTML, write &amp;lt; to show a less-than sign") == (
        "In HTML, write &lt; to show a less-than sign"
    )
    assert normalize_text("Use &amp;amp; instead of &amp;") == "Use &amp; instead of &"
    assert normalize_text("caf&eacute; &amp; bar") == "café & bar"


def test_messages_contents_are_normalised_and_other_keys_kept():
    raw = json.dumps([{"role": " user ", "content": "RomÃ¡ntica  please", "name": "x"}])
    assert json.loads(normalize_messages(raw)) == [{"role": "user", "content": "Romántica please", "name": "x"}]
    assert normalize_messages("") == ""


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[{", "messages is not valid JSON"),
        ('{"role": "user"}', "must be a JSON list of turns, got dict"),
        ('[{"role": "user", "content": 3}]', "turn 0 is not an object with string 'role' and 'content'"),
    ],
)
def test_bad_messages_say_what_is_wrong(raw, message):
    with pytest.raises(ValueError, match=message):
        normalize_messages(raw)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hi, my order has not arrived yet, can you help me with it?", "en"),
        ("Meine Bestellung ist nicht angekommen, bitte helfen Sie mir", "de"),
        ("Ma commande n'est pas arrivée, pouvez-vous m'aider s'il vous plaît", "fr"),
        ("Mi pedido no ha llegado y necesito ayuda con el reembolso", "es"),
        ("我的订单没有到，请帮我查一下谢谢你们的帮助", "non_latin"),
        ("Мой заказ не пришёл, помогите пожалуйста", "non_latin"),
        ("Password reset link broken", "unknown"),
    ],
)
def test_guess_language(text, lang):
    assert guess_language(text)[0] == lang


def test_normalize_records_drops_with_named_reasons_and_keeps_the_rest(settings):
    df = records(
        {"text": "  My order  RomÃ¡ntica has not arrived yet.  ", "response": "Sorry, it ships   today."},
        {"text": "\x00\u200b  "},
        {"text": "hi"},
        {"text": "x" * 30, "response": "ok"},
        {"text": "Meine Bestellung ist nicht angekommen, bitte helfen Sie mir", "response": "Sorry, we will check it."},
        {"text": "Where is my refund for the order from last week?", "response": "Wir prüfen das und melden uns bei Ihnen, danke für die Geduld."},
        {"text": "Refund please", "messages": "[not json"},
        {"text": "Password reset link broken", "response": "Fixed now."},
    )
    result = normalize_records(df, settings)
    reasons = dict(zip(result.dropped["record_id"], result.dropped["reason"]))
    assert reasons == {
        "r2": "empty_text",
        "r3": "text_too_short",
        "r5": "not_english",
        "r6": "not_english",
        "r7": "invalid_messages",
    }
    assert result.records["record_id"].tolist() == ["r1", "r4", "r8"]
    assert result.records.loc[0, "text"] == "My order Romántica has not arrived yet."
    assert result.records.loc[0, "response"] == "Sorry, it ships today."
    details = dict(zip(result.dropped["record_id"], result.dropped["detail"]))
    assert details["r5"].startswith("text looks like 'de'")
    assert details["r6"].startswith("response looks like 'de'")
    assert result.stats["dropped_by_reason"] == {"empty_text": 1, "invalid_messages": 1, "not_english": 2, "text_too_short": 1}
    assert result.stats["rows_in"] == 8 and result.stats["rows_out"] == 3
    assert set(result.dropped["stage"]) == {"normalize"}


def test_length_bounds_name_the_limit():
    df = records({"text": "x" * 30, "response": "fine"}, {"text": "short text here", "response": "y" * 40})
    result = normalize_records(df, CurationSettings(max_text_chars=20, max_response_chars=30, language_filter=False))
    assert result.dropped["reason"].tolist() == ["text_too_long", "response_too_long"]
    assert result.dropped["detail"].tolist() == [
        "30 chars > max_text_chars 20",
        "40 chars > max_response_chars 30",
    ]


def test_language_filter_can_be_disabled():
    df = records({"text": "Meine Bestellung ist nicht angekommen, bitte helfen Sie mir", "response": "Ja"})
    assert len(normalize_records(df, CurationSettings(language_filter=False)).records) == 1
    assert len(normalize_records(df, CurationSettings()).records) == 0


def test_missing_values_read_as_empty(settings):
    df = records({"text": "Is my parcel on the way?", "response": None, "label": float("nan")})
    result = normalize_records(df, settings)
    assert result.records.loc[0, "response"] == "" and result.records.loc[0, "label"] == ""


# --- the fast paths give the same result as the plain algorithm ---------------------------------------------
def _reference_normalize(text: str, fix_unicode: bool = True) -> str:
    """normalize_text without its shortcuts: ftfy on every non-ASCII text (and ASCII with "&" or an
    escape), then every clean-up pass."""
    import unicodedata

    import ftfy

    from finetune_platform.curation import normalize as n

    if not text:
        return ""
    if fix_unicode and (not text.isascii() or "&" in text or "\x1b" in text):
        text = n.repair_unicode(text)
    elif not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return n.tidy_whitespace(text)


TRICKY = [
    "plain ascii", "Zoë Martin", "€49.90 and £12", "Bahnhofstraße 93", "it’s “quoted”", "ﬁle ﬂow", "ＬＯＵＤ",
    "RomÃ¡ntica", "Ã la carte", "line\nÃ start", "café\u0301", "e\u0301", "œuvre", "cœur!", "\u00a0nbsp\u00a0",
    "tab\there", "a\u2028b", "x\x85y", "bom\ufeff", "zero\u200bwidth", "ctl\x07", "c1\x9d", "esc \x1b[31mred\x1b[0m",
    "Fish &amp; chips", "AT&T", "emoji 👍", "❤️ love", "ĳ", "١٢٣ digits", "Ｆｕｌｌ", "—dash—", "…", "°C", "×²",
    "   ", "\n\n\n", " a  b \n\n\n\n c ", "Â ", "mixed Ã© and é", "Cyrillic вЂ", "Привет", "日本語テキスト",
]


@pytest.mark.parametrize("text", TRICKY)
def test_shortcuts_change_nothing_on_tricky_text(text):
    for fix in (True, False):
        assert normalize_text(text, fix) == _reference_normalize(text, fix), (text, fix)


def test_shortcuts_change_nothing_on_random_text():
    import random

    rng = random.Random(7)
    pieces = TRICKY + list("aZ 9.,'\n\t") + ["Ã", "Â", "©", "é", "ü", "’", "\u0301", "&", "\x1b", "  "]
    for _ in range(1500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        assert normalize_text(text) == _reference_normalize(text), text


def test_every_whitespace_but_space_and_newline_counts_as_untidy():
    import sys

    from finetune_platform.curation.normalize import _UNTIDY_CHAR

    missing = [hex(c) for c in range(sys.maxunicode + 1) if chr(c).isspace() and chr(c) not in " \n" and not _UNTIDY_CHAR.match(chr(c))]
    assert missing == []


def test_language_shortcut_agrees_with_counting_every_language():
    import random

    from finetune_platform.curation import normalize as n

    def reference(text: str) -> tuple[str, float]:
        words = n._WORD.findall(text.lower())
        if len(words) < 4:
            return "unknown", 1.0
        hits = {lang: sum(w in stop for w in words) for lang, stop in n._STOPWORDS.items()}
        best = max(hits, key=lambda lang: (hits[lang], lang == "en"))
        return ("unknown", 0.0) if hits[best] == 0 else (best, hits["en"] / len(words))

    rng = random.Random(3)
    vocab = sorted({w for stop in n._STOPWORDS.values() for w in stop}) + ["order", "parcel", "zzz", "l'été"]
    for _ in range(2000):
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 12)))
        assert guess_language(text) == reference(text), text


def test_ascii_words_match_the_word_pattern():
    import random

    from finetune_platform.curation.normalize import _ASCII_WORD, _ascii_words

    rng = random.Random(5)
    for _ in range(5000):
        text = "".join(rng.choice("ab' 9_-.\nz") for _ in range(rng.randint(0, 14)))
        assert _ascii_words(text) == _ASCII_WORD.findall(text), text


def test_messages_nested_too_deeply_are_dropped_with_a_reason_not_a_crash():
    import pandas as pd

    from finetune_platform.curation.config import CurationSettings
    from finetune_platform.curation.normalize import normalize_records
    from finetune_platform.curation.pii import redact_pii
    from finetune_platform.schemas import RECORD_COLUMNS

    deep = "[" * 5000 + "]" * 5000
    frame = pd.DataFrame(
        [{"record_id": "deep", "source": "s", "source_file": "f", "source_row": 1, "doc_type": "chat",
          "text": "Where is my parcel?", "response": "It ships today.", "label": "", "messages": deep},
         {"record_id": "scalar", "source": "s", "source_file": "f", "source_row": 2, "doc_type": "chat",
          "text": "Where is my parcel?", "response": "It ships today.", "label": "", "messages": "3"}]
    )[RECORD_COLUMNS]
    result = normalize_records(frame, CurationSettings())
    reasons = dict(zip(result.dropped["record_id"], result.dropped["detail"]))
    assert reasons == {"deep": "messages is nested too deeply to parse", "scalar": "messages must be a JSON list of turns, got int"}
    pii = redact_pii(frame, CurationSettings())  # the PII stage alone meets the same input without crashing
    assert dict(zip(pii.dropped["record_id"], pii.dropped["detail"])) == reasons


def test_a_language_identifier_keeps_short_english_that_the_heuristic_doubts():
    """Few function words (queries, terse tickets) read as "not English" to the stop-word heuristic; the
    trained identifier it asks then keeps them, and still drops Polish, Indonesian and Turkish text whose
    one English-looking word ("a") fooled the heuristic. Without the second opinion the old verdicts hold."""
    english = [
        "add paul wright album to 90s Smash Hits playlist",
        "put any Andrew Hurley album onto timeless love songs",
        "The feel good indie rock playlist needs another song",
        "add Partners in Crime to joann's Lo Que Suena Los Angeles",
    ]
    foreign = [
        "Dzień dobry, mam problem z zamówieniem a kurier nie przyjechał wczoraj ani dzisiaj rano",
        "Saya tidak bisa login ke akun saya sejak kemarin, tolong bantu a segera",
        "Siparişim hala gelmedi, lütfen yardım edin a kargo nerede",
    ]
    df = records(*({"text": t} for t in english + foreign))
    assert all(guess_language(t)[0] != "en" or guess_language(t)[1] < 0.12 for t in english + foreign)
    result = normalize_records(df, CurationSettings())
    assert result.records["text"].tolist() == english
    details = dict(zip(result.dropped["record_id"], result.dropped["detail"]))
    assert [details[f"r{i}"].rsplit("; ", 1)[1] for i in (5, 6, 7)] == [
        "language identifier: 'pl'", "language identifier: 'id'", "language identifier: 'tr'",
    ]
    assert set(result.dropped["reason"]) == {"not_english"}
    without = normalize_records(df, CurationSettings(language_second_opinion=False))
    assert len(without.records) == 0 and len(without.dropped) == 7


def test_english_that_quotes_another_language_is_english():
    """The words outside quoted passages decide: an English ticket quoting a French message or forwarding a
    German e-mail stays; French text with an English word in quotes still goes."""
    english = [
        'The customer wrote: "Je ne suis pas content, le colis est arrivé cassé et je veux être remboursé". '
        "Can you refund the order for them?",
        "Please advise:\n> Sehr geehrte Damen und Herren, die Lieferung wird sich um eine Woche verzögern, weil der "
        "Hersteller nicht liefern kann und wir auf die Teile warten, die noch nicht bei uns sind.\nWhat now?",
        "My client says «No he recibido el pedido y nadie me contesta los correos desde hace una semana, es muy "
        "frustrante para mi empresa» so what now?",
    ]
    foreign = [
        'Bonjour, je voudrais annuler ma commande "premium" et être remboursé de la totalité du montant.',
        # an inch mark and a breadcrumb are no quotes: what lies between them is the text's own language
        'Mein 27" Monitor ist kaputt, ich habe ihn bei Ihnen gekauft und er geht nicht mehr an. Der Support sagte '
        '"we will send you a new one" und dann kam nichts mehr.',
        "Bonjour, dans Paramètres » Compte je ne vois pas ma commande et je ne peux pas payer. Le message « Your "
        "payment could not be processed, please try again » est affiché.",
        "der „" * 4000,  # 4,000 quotes that never close: a bounded scan each
    ]
    df = records(*({"text": t} for t in english + foreign))
    assert all(guess_language(t)[0] != "en" for t in english + foreign)  # what the quotes used to decide
    for second_opinion in (True, False):
        result = normalize_records(df, CurationSettings(language_second_opinion=second_opinion))
        assert result.records["text"].tolist() == english
        assert result.dropped["reason"].tolist() == ["not_english"] * 4


def test_messages_with_nothing_to_normalise_are_kept_as_they_came():
    from finetune_platform.curation.normalize import normalize_messages

    compact = '[{"role":"user","content":"Where is my parcel?"},{"role":"assistant","content":"On its way."}]'
    assert normalize_messages(compact) == compact  # byte for byte, not re-encoded
    messy = '[{"role":" user ","content":"Where  is my parcel?"}]'
    assert normalize_messages(messy) == '[{"role": "user", "content": "Where is my parcel?"}]'
    extra = '[{"role":"user","content":"hi there","name":"x"}]'  # json's path (an extra key): the same rule
    assert normalize_messages(extra) == extra


# Support tickets in languages none of whose function words the heuristic lists, or that share one with
# English (Hungarian "a"): the language identifier judges them, and they go.
NO_FUNCTION_WORD_TICKETS = {
    "tr": "Siparişimi almadım, lütfen bana yardım edin.",
    "id": "Saya belum menerima pesanan saya, tolong bantu saya.",
    "sw": "Sijapokea agizo langu, tafadhali nisaidie haraka sana.",
    "vi": "Tôi chưa nhận được đơn hàng của mình, vui lòng giúp tôi.",
    "tl": "Hindi ko pa natatanggap ang order ko, pakitulungan po ako.",
    "sv": "Jag har inte fått min beställning, snälla hjälp mig snabbt.",
    "da": "Jeg har ikke modtaget min ordre, hjælp mig venligst hurtigt.",
    "hu": "Nem kaptam meg a rendelésemet, kérem segítsenek nekem.",
    "hr": "Bok, moja narudžba još nije stigla, molim vas provjerite.",
    "zh": "我的订单还没有到",
}


def test_tickets_in_languages_without_listed_function_words_are_dropped():
    texts = list(NO_FUNCTION_WORD_TICKETS.values())
    assert [guess_language(t)[0] for t in texts] == ["unknown"] * 7 + ["en", "unknown", "non_latin"]
    df = records(*({"text": t, "response": "We are sorry, the parcel ships today."} for t in texts))
    result = normalize_records(df, CurationSettings())
    assert len(result.records) == 0
    assert set(result.dropped["reason"]) == {"not_english"}
    details = result.dropped["detail"].tolist()
    assert details[0] == "text no function word of a known language; language identifier: 'tr' (97% sure)"
    assert details[7].startswith("text English on thin evidence (English function words 12%); language identifier: 'hu'")
    assert details[9] == "text most letters are outside the Latin alphabet"
    # the second opinion off: only the heuristic judges, as before
    assert len(normalize_records(df, CurationSettings(language_second_opinion=False)).records) == 9


def test_a_text_without_function_words_stays_unless_the_identifier_is_sure():
    english = [
        "Password reset link broken",
        "Refund issued Tuesday; gave customer bank reference RF-474055.",
        "Play Elitsa Todorova music",
        "Price adjustment of $70.49 (within 14 days).",
        "ad Czarna dziewczyna to instrumental madness playlist",  # SNIPS: pl at 0.86, under 0.9
    ]
    df = records(*({"text": t} for t in english))
    assert normalize_records(df, CurationSettings()).records["text"].tolist() == english


def test_function_words_in_titles_do_not_make_an_english_request_foreign():
    english = [
        "Add La Casa de Papel, El Laberinto del Fauno and Los Olvidados to my watch list",
        "Le Creuset la cocotte de la cuisine was damaged on arrival",
        "add track to my Las Canciones Más Lindas Del Mundo playlist",
        "add Michael Hayvoronsky to Lo Que Suena Los Angeles",
        "Put petar georgiev kalica onto the Old School Hip Hop playlist.",
    ]
    assert guess_language(english[0]) == ("en", 0.5)  # "and", "to", "my" among the words outside the titles
    foreign = [
        "Die Rechnung der Bestellung des Kunden ist falsch und ich möchte eine Erstattung",
        "La Factura de Mi Cuenta está mal, por favor revisen el cargo de este mes",
        "Le colis est arrivé cassé, je veux être remboursé",
    ]
    df = records(*({"text": t} for t in english + foreign))
    result = normalize_records(df, CurationSettings())
    assert result.records["text"].tolist() == english
    assert result.dropped["reason"].tolist() == ["not_english"] * 3


def test_title_spans_are_runs_of_capitalised_words():
    from finetune_platform.curation.normalize import outside_titles, title_spans

    text = "Add La Casa de Papel, El Laberinto del Fauno to my list"
    assert [text[a:b] for a, b in title_spans(text)] == ["Add La Casa de Papel", "El Laberinto del Fauno"]
    assert outside_titles(text) == " ,   to my list"
    assert title_spans("Meine Bestellung ist nicht angekommen") == [(0, 16)]
    assert title_spans("I NEED HELP WITH MY ORDER") == []  # capitals are shouting, not a title
    assert outside_titles("no capitals here") == "no capitals here"


@pytest.mark.parametrize("brk", ["\r\x0b", "\r\x1c", "\r\x1d", "\r\x1e", "\r\n", "\x0b\r", "\r\r\x0b", "\r\x0b\n"])
def test_a_line_break_reads_the_same_whether_ftfy_runs_or_not(brk):
    """"&amp;" (ASCII) or mojibake (non-ASCII) elsewhere in the text makes ftfy run; the same break must
    give the same newlines either way (CR+VT was two newlines without ftfy, one with it)."""
    plain = normalize_text(f"line one{brk}line two")
    assert normalize_text(f"line one{brk}line two &amp; more") == plain + " & more"
    assert normalize_text(f"line one{brk}line two cafÃ©") == plain + " café"
    assert normalize_text(f"line one{brk}line two café", fix_unicode=False) == plain + " café"
    assert plain == _reference_normalize(f"line one{brk}line two")


def _chat(middle: str, **extra) -> dict:
    turns = [
        {"role": "user", "content": "My order has not arrived, can you check the tracking for me please?"},
        {"role": "assistant", "content": middle, **extra},
        {"role": "user", "content": "It is the order from last week for the blue lamp, please check the tracking."},
        {"role": "assistant", "content": "Sorry about the delay! The tracking shows the blue lamp order reaches you tomorrow."},
    ]
    return {"text": "\n".join(t["content"] for t in turns if t["role"] == "user"), "response": turns[-1]["content"],
            "messages": json.dumps(turns)}


def test_every_assistant_turn_is_held_to_the_length_bound_and_the_language_filter():
    """SFT with conversations: all_turns trains on every assistant turn, not only on the response."""
    german = "Ich kann Ihnen leider nicht helfen, bitte rufen Sie uns morgen an."
    df = records(
        _chat("Ich kann Ihnen leider nicht helfen. " + "bla " * 60000),
        _chat(german),
        _chat("Let me check the tracking for that order, one moment please."),
        _chat(german, weight=0),  # context, not trained on: only the length bound holds
        _chat("x " * 30000, weight=0),
    )
    result = normalize_records(df, CurationSettings())
    assert result.records["record_id"].tolist() == ["r3", "r4"]
    assert dict(zip(result.dropped["record_id"], result.dropped["reason"])) == {
        "r1": "turn_too_long", "r2": "turn_not_english", "r5": "turn_too_long"
    }
    details = dict(zip(result.dropped["record_id"], result.dropped["detail"]))
    assert details["r1"] == "messages[1] (assistant) 240035 chars > max_response_chars 20000"
    assert details["r2"].startswith("messages[1] (assistant) looks like 'de'")
    assert result.stats["not_english_by_language"] == {"de": 1}
