"""Names in call transcripts of other languages: the agent's own name in the opening line, and the caller's name
that answers the agent's question for it on the next turn.

::

    handläggare: du pratar med linnea                 operator: bună ziua sunteți în legătură cu roxana
    handläggare: vad heter du                          operator: numele dumneavoastră
    uppringare: oskar nilsson                          apelant: gheorghe dumitru

    оператор: добрый день меня зовут анна              υπάλληλος: το ονοματεπώνυμό σας
    оператор: назовите пожалуйста фамилию имя отчество πελάτης: νίκος αλεξίου
    абонент: петров игорь васильевич

Speech-to-text writes these in lower case, without the capitals the other name detectors of :mod:`pii` read,
and in languages whose common words no list of this platform holds. What makes them names here is the
conversation's own shape: a phrase an agent opens a call with ("du pratar med", "меня зовут", "naitwa"), or a
question for a name and the turn that answers it. The English phrases are :mod:`pii`'s own (``_AGENT_INTRO``,
``_NAME_QUESTION``); these are the ones of about twenty other languages.

Hand-written, as the rest of the detectors: an NER model that reads these needs a model downloaded at run time,
which the platform must not do. Plain Python, no dagster.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

#: Phrases an agent gives their own name after, any word after them a name ("du pratar med linnea", "меня зовут
#: анна", "λέγομαι κατερίνα", "naitwa neema", "sunteți în legătură cu roxana"), lower-cased.
STRONG_INTROS = (
    "sie sprechen mit", "mein name ist", "hier spricht", "du pratar med", "du talar med", "jag heter", "mitt namn är",
    "du snakker med", "jeg heter", "mitt navn er", "du taler med", "jeg hedder", "mit navn er", "u spreekt met",
    "je spreekt met", "mijn naam is", "je m'appelle", "je m’appelle", "mon nom est", "vous parlez à", "me llamo",
    "mi nombre es", "le atiende", "le habla", "meu nome é", "o meu nome é", "mi chiamo", "il mio nome è",
    "nazywam się", "u telefonu", "jmenuji se", "sunteți în legătură cu", "sunteti in legatura cu", "mă numesc",
    "ma numesc", "numele meu este", "benim adım", "nama saya", "em là", "tôi là", "em tên là", "tên em là",
    "naitwa", "jina langu ni", "mera naam", "меня зовут", "с вами говорит", "мене звати", "з вами розмовляє",
    "λέγομαι", "με λένε", "nimeni on", "a nevem", "מדבר", "מדברת", "שמי", "معاك", "معك", "اسمي",
)
#: Phrases that are an introduction only before a known given name ("habla micaela", "sono federica", "ben gizem",
#: "dengan rina"): the words are common otherwise ("habla español", "sono stanco").
WEAK_INTROS = (
    "habla", "soy", "sono", "fala", "aqui é", "aqui fala", "ben", "dengan", "saya", "c'est", "ici", "hier ist",
    "parla", "le parla", "mówi", "olen", "ik ben", "é o", "é a", "mimi ni",
)
#: Titles between an intro and a surname ("sie sprechen mit frau schulte").
_TITLES = frozenset(
    "frau herr herrn pan pani bapak ibu pak bu mr mrs ms señor señora senhor senhora signor signora madame monsieur"
    " mevrouw meneer".split()
)
#: Questions for a caller's name, lower-cased; the next turn answers with it ("wie ist ihr name\nanrufer: kevin
#: pohl", "numele dumneavoastră\napelant: gheorghe dumitru", "מה השם בבקשה\nפונה: רחל בן דוד").
NAME_QUESTIONS = (
    "wie ist ihr name", "wie ist ihr nachname", "wie heißen sie", "ihr name bitte", "ihren namen", "ihr vollständiger name",
    "vad heter du", "ditt namn", "ditt fullständiga namn", "hva er navnet ditt", "hva heter du", "navnet ditt",
    "hvad hedder du", "hvad er dit navn", "dit navn", "mag ik uw naam", "uw naam", "hoe heet u", "wat is uw naam",
    "votre nom", "nom complet", "vous vous appelez comment", "comment vous appelez-vous", "à quel nom", "su nombre",
    "nombre completo", "cómo se llama", "como se llama", "a nombre de quién", "seu nome", "nome completo",
    "qual o seu nome", "qual é o seu nome", "como se chama", "nome e cognome", "il suo nome", "come si chiama",
    "il nominativo", "imię i nazwisko", "jak się pan nazywa", "jak się pani nazywa", "pana nazwisko", "pani nazwisko",
    "vaše jméno", "jak se jmenujete", "jméno a příjmení", "vaše meno", "meno a priezvisko", "numele dumneavoastră",
    "numele dumneavoastra", "numele complet", "cum vă numiți", "cum va numiti", "adınız", "adınızı", "isminiz",
    "ad soyad", "dengan bapak siapa", "dengan ibu siapa", "nama bapak", "nama ibu", "nama lengkap", "boleh tahu nama",
    "atas nama siapa", "họ tên", "tên của", "tên là gì", "jina lako", "majina yako", "jina kamili", "aapka naam",
    "naam bataiye", "naam kya hai", "apna naam", "фамилию имя отчество", "фамилия имя отчество", "ваше имя",
    "как вас зовут", "как к вам обращаться", "фио", "ваша фамилия", "ваше ім'я", "ваше ім’я", "як вас звати",
    "ваше прізвище", "ονοματεπώνυμό σας", "ονοματεπώνυμο", "το όνομά σας", "πώς σας λένε", "מה השם", "מה שמך",
    "השם המלא", "اسم حضرتك", "ما اسمك", "الاسم الكامل", "mikä nimesi on", "koko nimi", "a neve", "a nevét",
    "hogy hívják",
)
#: Every phrase above: the gate's needles (the caller asks :func:`may_hold_spoken_name` of its Aho-Corasick hits).
NEEDLES = frozenset(STRONG_INTROS + WEAK_INTROS + NAME_QUESTIONS)
_INTRO_NEEDLES = frozenset(STRONG_INTROS + WEAK_INTROS)
_QUESTION_NEEDLES = frozenset(NAME_QUESTIONS)
_STRONG = frozenset(STRONG_INTROS)


def _alternation(phrases: tuple[str, ...]) -> str:
    return "|".join(re.escape(p).replace(r"\ ", "[ ]") for p in sorted(phrases, key=len, reverse=True))


#: An intro, where a word may start before it (a line's start, a space, a label's colon), and the name after it.
_INTRO = re.compile(
    r"(?<![^\W_])(?P<intro>" + _alternation(STRONG_INTROS + WEAK_INTROS) + r")[ ]+"
    r"(?P<name>[^\W\d_]+(?:['’-][^\W\d_]+)?)(?![\w'’-])"
)
_QUESTION = re.compile(r"(?<![^\W_])(?:" + _alternation(NAME_QUESTIONS) + r")(?![^\W_])[^\n]*\n")
#: A turn's label: a time or a bracket, then a speaker's word or two and a colon ("apelant: ", "[10:03] Klient: ").
_TURN_LABEL = re.compile(
    r"[ \t]*(?:\[[^\]\n]{1,30}\][ ]*|[(]?\d{1,2}:\d{2}(?::\d{2})?[)]?[ ]+)?[^\W\d_][^:：\n]{0,40}?[ ]?[:：][ ]*"
)
#: What an answer opens with before the name, in the languages above ("ja hallo", "bom dia é", "mimi ni", "yeah").
_LEADS = frozenset(
    "ja jo joo hallo hej hei eh äh ähm öh eeh ehh um uh er yeah yes yep oui euh sí si sim tak ano áno da evet ya iya"
    " vâng dạ ndiyo haan да ну э ναι כן نعم igen bom dia boa tarde buenos buenas días tardes é c'est soy sono ik ben"
    " jag heter jeg jmenuji se nazywam się меня зовут я benim adım saya nama tôi là em mimi ni naitwa habari"
    " za asubuhi mera naam hai it's its".split()
)
#: Words that end a caller's name in an answer ("nguyen van an and my wife ...", "joseph kamau nina tatizo").
_STOPS = frozenset(
    "and but und aber och men og eller en et mais y pero e ma en i a oraz ve ama na nina dan tapi và nhưng и но а і"
    " але και αλλά ו و از है hai".split()
)
#: The particles of a name ("josé manuel garcía de la fuente", "els de smet", "vincenzo la rosa"): in it, not
#: counted among its words.
_PARTICLES = frozenset("de da das do dos del della di la le van von der den ter ten bin binti binte al el ben".split())
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")


def may_hold_spoken_name(hits: AbstractSet[str]) -> bool:
    """Whether a text whose Aho-Corasick hits are ``hits`` may hold a name these phrases give."""
    return not hits.isdisjoint(NEEDLES)


def spoken_names(
    text: str, low: str, hits: AbstractSet[str], known_first: AbstractSet[str], not_names: AbstractSet[str]
) -> list[tuple[int, int]]:
    """The (start, end) of each name an agent gives as theirs or a caller gives when asked, in ``text`` (``low``
    its lower case, of the same length; ``hits`` which of :data:`NEEDLES` it holds). ``known_first``: given names
    in lower case that are no word; ``not_names``: lower-case words that are no surname."""
    if len(low) != len(text):
        return []  # a letter whose lower case is longer ("İ"): positions differ
    out: list[tuple[int, int]] = []
    if not hits.isdisjoint(_INTRO_NEEDLES):
        for m in _INTRO.finditer(low):
            start, end = m.span("name")
            name = m.group("name")
            if name in _TITLES:  # "sie sprechen mit frau schulte": the surname after the title
                nxt = _WORD.match(low, end + 1) if low[end:end + 1] == " " else None
                if nxt is None:
                    continue
                start, end, name = nxt.start(), nxt.end(), nxt.group()
                if name in not_names or name in _STOPS or len(name) < 2:
                    continue
            elif not _is_given_name(name, m.group("intro") in _STRONG, known_first, not_names):
                continue
            out.append((start, end))
    if "\n" in text and not hits.isdisjoint(_QUESTION_NEEDLES):
        for q in _QUESTION.finditer(low):
            span = _answer(low, q.end(), known_first, not_names)
            if span is not None:
                out.append(span)
    return out


def _is_given_name(word: str, strong: bool, known_first: AbstractSet[str], not_names: AbstractSet[str]) -> bool:
    """Whether ``word`` (lower case) after an intro is a name: a known given name, or, after a strong intro, a word
    of two letters or more that is no common word (in a script without a list of them, any such word)."""
    if word in known_first:
        return True
    return strong and len(word) >= 2 and word not in not_names and word not in _STOPS and word not in _LEADS


def _answer(
    low: str, pos: int, known_first: AbstractSet[str], not_names: AbstractSet[str]
) -> tuple[int, int] | None:
    """The name that opens the turn starting at ``pos`` (after its label and the words it opens with): one to four
    words up to a common word, punctuation or the line's end; a known given name first, or two words or more."""
    line_end = low.find("\n", pos)
    line_end = len(low) if line_end < 0 else line_end
    label = _TURN_LABEL.match(low, pos, line_end)
    if label is None:
        return None
    at = label.end()
    words: list[re.Match[str]] = []
    named = 0  # the words of the name that are no particle
    while (w := _WORD.match(low, at, line_end)) is not None:
        word = w.group()
        if not words and word in _LEADS:
            at = w.end() + (low[w.end():w.end() + 1] in " ,")
            while low[at:at + 1] == " ":
                at += 1
            continue
        if word not in _PARTICLES and (word in _STOPS or (_LATIN.match(word) and word in not_names) or named == 4):
            break
        named += word not in _PARTICLES
        words.append(w)
        if low[w.end():w.end() + 1] != " ":
            break
        at = w.end() + 1
    while words and words[-1].group() in _PARTICLES:
        words.pop()  # "... de" before a common word: the particle belongs to no name
    if not words:
        return None
    end = words[-1].end()
    rest = low[end:line_end].lstrip(" ")
    ends_here = not rest or rest[0] in ".,;!?-–"
    first = words[0].group()
    if len(words) == 1:
        ok = first in known_first and (ends_here or rest.split(None, 1)[0] in _STOPS)
    else:
        ok = ends_here or rest.split(None, 1)[0] in _STOPS or first in known_first
    return (words[0].start(), end) if ok else None
