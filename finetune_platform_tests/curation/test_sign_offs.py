"""Names that sign a message in scripts other than Latin."""

from __future__ import annotations

import pytest

from finetune_platform.curation import PiiRedactor

R = PiiRedactor()


def _persons(text: str) -> list[str]:
    return [m.value for m in R.find(text) if m.type == "PERSON"]


@pytest.mark.parametrize(
    "text, names",
    [
        ("Ключ не работает.\nС уважением, Дмитрий Соколов, тел. +7 916 555-41-28", ["Дмитрий Соколов"]),
        ("השרת שלנו לא עונה.\nבברכה, אורי כהן, 052-555-8812", ["אורי כהן"]),
        ("חשבון בנק למשכורת מעודכן. תודה רבה, דניאל לוי", ["דניאל לוי"]),
        ("पता अपडेट करें। धन्यवाद, प्रिया शर्मा", ["प्रिया शर्मा"]),
        ("ขอเปลี่ยนที่อยู่ ขอบคุณค่ะ สมหญิง ใจดี", ["สมหญิง ใจดี"]),
        ("我的工资卡已更换。谢谢！陈晓燕", ["陈晓燕"]),
        ("주소 변경 부탁드립니다. 감사합니다. 이준호 드림", ["이준호"]),
        ("Адрес регистрации изменился. Екатерина Волкова", ["Екатерина Волкова"]),
        ("Νέα διεύθυνση από τον Μάιο. Ελένη Νικολάου", ["Ελένη Νικολάου"]),
        ("Спасибо!\nОльга", ["Ольга"]),
    ],
)
def test_names_that_sign_in_other_scripts(text, names):
    assert _persons(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "Спасибо за помощь. Жду ответа",  # thanks in a sentence, words in lower case
        "תודה על העזרה שלכם בנושא",
        "С уважением, служба поддержки",  # the team signs
        "Спасибо, за всё",
        "Обновление. Служба Поддержки",
    ],
)
def test_no_name_where_a_closing_signs_none(text):
    assert _persons(text) == []


@pytest.mark.parametrize(
    "text, names",
    [
        # a doctor's or a courtesy title of another script before the name, and a reminder's addressee
        ("تذكير: عزيزي أحمد المنصوري، موعدك مع د. ليلى حداد يوم الأحد", ["أحمد المنصوري", "ليلى حداد"]),
        ("आपका डॉ. अमित त्रिपाठी के साथ अपॉइंटमेंट", ["अमित त्रिपाठी"]),
        ("Υπενθύμιση: κα Μαρία Κωνσταντίνου, το ραντεβού σας με τον ιατρό Αντώνη Γεωργίου είναι",
         ["Μαρία Κωνσταντίνου", "Αντώνη Γεωργίου"]),
        ("แจ้งเตือนนัดหมาย: คุณวิชัย ทองดี นัดพบ นพ.สมชาย รักษ์ดี วันที่ 20", ["วิชัย ทองดี", "สมชาย รักษ์ดี"]),
        ("Напоминание: Иванова Ольга Петровна, приём у врача 14.03", ["Иванова Ольга Петровна"]),
        ("Påmindelse: Lars Østergaard, din tid er torsdag", ["Lars Østergaard"]),
        # a role before a capitalised name in a note, in Cyrillic and Greek
        ("Нотатка: клієнт Тарас Шевчук залишив рюкзак у таксі. Водій Андрій передасть", ["Тарас Шевчук", "Андрій"]),
        ("Σημείωμα: ο δωρητής Αντώνης Γεωργίου ζήτησε απόδειξη", ["Αντώνης Γεωργίου"]),
    ],
)
def test_names_after_titles_of_other_scripts_and_in_reminders(text, names):
    assert _persons(text) == names


@pytest.mark.parametrize(
    "text",
    ["Reminder: Please Note, the office is closed", "Напоминание: оплата до 15.03, спасибо", "ขอบคุณค่ะ",
     "клиент хочет вернуть деньги"],
)
def test_no_name_after_a_reminder_or_a_title_without_one(text):
    assert _persons(text) == []
