"""Names in call transcripts of other languages: an agent's own, and a caller's given when asked."""

from __future__ import annotations

import pytest

from finetune_platform.curation import PiiRedactor

R = PiiRedactor()


def _persons(text: str) -> list[str]:
    return [m.value for m in R.find(text) if m.type == "PERSON"]


@pytest.mark.parametrize(
    "text, names",
    [
        # an agent's own name after the phrase a call opens with, the caller's after the question for it
        ("handläggare: du pratar med linnea\nuppringare: ja hej\nhandläggare: vad heter du\nuppringare: oskar nilsson",
         ["linnea", "oskar nilsson"]),
        ("оператор: добрый день меня зовут анна\nабонент: да здравствуйте\n"
         "оператор: назовите пожалуйста фамилию имя отчество\nабонент: петров игорь васильевич\nоператор: и номер",
         ["анна", "петров игорь васильевич"]),
        ("agent: guten tag sie sprechen mit frau schulte\nanrufer: ja hallo\nagent: wie ist ihr name\n"
         "anrufer: kevin pohl\nagent: und die neue adresse", ["schulte", "kevin pohl"]),
        ("operator: bună ziua sunteți în legătură cu roxana\napelant: da\noperator: numele dumneavoastră\n"
         "apelant: gheorghe dumitru", ["roxana", "gheorghe dumitru"]),
        ("υπάλληλος: καλημέρα λέγομαι κατερίνα πώς μπορώ να βοηθήσω\nυπάλληλος: το ονοματεπώνυμό σας\n"
         "πελάτης: νίκος αλεξίου", ["κατερίνα", "νίκος αλεξίου"]),
        ("wakala: habari za asubuhi naitwa neema nikusaidie nini", ["neema"]),
        ("נציג: שלום מדבר אבי במה אפשר לעזור\nנציג: מה השם בבקשה\nפונה: רחל בן דוד", ["אבי", "רחל בן דוד"]),
        # a weak phrase before a known given name; particles inside a name; an answer's lead words
        ("operador: buenas tardes habla micaela en qué lo puedo ayudar", ["micaela"]),
        ("agente: me dice su nombre completo por favor\ncliente: josé manuel garcía de la fuente\nagente: y un teléfono",
         ["josé manuel garcía de la fuente"]),
        ("atendente: qual o seu nome\ncliente: bom dia é sebastião ferreira dos santos", ["sebastião ferreira dos santos"]),
    ],
)
def test_names_an_agent_and_a_caller_give(text, names):
    assert _persons(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "cliente: hola, habla español?",  # a weak phrase before a word that is no known given name
        "operatore: sono stanco oggi",
        "agent: wie ist ihr name\nanrufer: das weiß ich nicht mehr genau, warum fragen sie",  # an answer that is a sentence
        "agent: vad heter du\nuppringare: ja",  # only a lead word
        "agent: votre nom\n\nclient: merci",  # no turn right after the question
    ],
)
def test_no_name_where_the_phrase_gives_none(text):
    assert _persons(text) == []
