"""Names after a title written in a script other than Latin ("د. ليلى حداد", "ד"ר יעל פרידמן", "डॉ. अमित त्रिपाठी",
"κα Μαρία Κωνσταντίνου", "นพ.สมชาย รักษ์ดี", "คุณวิชัย ทองดี"), and the addressee that opens a reminder ("Напоминание:
Иванова Ольга Петровна, ...", "Υπενθύμιση: κα ...", "Påmindelse: Lars Østergaard, ...").

:mod:`pii` reads Latin titles ("Dr.", "Frau", "Sra.") with its own patterns, and scripts' field labels and
greetings; a doctor's or a courtesy title of these scripts before a name in running text it did not read.
Hand-written, as the rest of the detectors: an NER model for these scripts needs a model downloaded at run time,
which the platform must not do. Plain Python, no dagster.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

#: Titles before a name, as written (Arabic, Hebrew, Hindi, Greek, Russian and Ukrainian): the name follows after a
#: space. Lower-cased where the script has case (the gate's needles are the lower-cased text's).
TITLES = (
    "د.", "دكتور", "الدكتور", "الدكتورة", "السيد", "السيدة", "عزيزي", "عزيزتي", "ד\"ר", "ד״ר", "מר", "גב'", "גברת",
    "डॉ.", "डॉ", "श्री", "श्रीमती", "सुश्री", "κα", "κ.", "κος", "κυρία", "κύριε", "κύριος", "ιατρό", "ιατρός", "γιατρό",
    "δρ.", "доктор", "доктора", "врача", "врач", "г-н", "г-жа", "пан", "пані", "лікаря", "терапевта",
    # Hebrew's "to / and / from Dr." glue their letter to the title ("תור לד\"ר ..."); Bengali's doctor ("ডা.")
    "לד\"ר", "לד״ר", "וד\"ר", "וד״ר", "מד\"ר", "מד״ר", "ডা.", "ডাঃ", "ডাক্তার",
    # roles before a name in a note, in the scripts that capitalise names (a name after them is capitalised; a
    # sentence's next word is not): "клиентка Анна Волкова", "Водій Андрій", "ο δωρητής Αντώνης Γεωργίου"
    "клиент", "клиентка", "клієнт", "клієнтка", "водитель", "водій", "абитуриент", "абитуриентка", "студент",
    "студентка", "пациент", "пациентка", "сотрудник", "сотрудница", "курьер", "кур'єр", "абонент", "заявитель",
    "δωρητής", "δωρήτρια", "πελάτης", "πελάτισσα", "ασθενής", "οδηγός", "υπάλληλος",
)
#: The roles above: a name after one must be capitalised (the words of a script without case are never taken).
_CASED_ROLES = frozenset(TITLES[TITLES.index("клиент"):])
#: Thai titles glued to the name ("คุณวิชัย", "นพ.สมชาย").
THAI_TITLES = ("คุณ", "นพ.", "พญ.", "ทพ.", "ทญ.", "ดร.")
#: Words that open a reminder or a notice, its addressee after them ("Reminder: ...").
REMINDERS = (
    "напоминание", "нагадування", "υπενθύμιση", "תזכורת", "تذكير", "påmindelse", "påminnelse", "påminnelse",
    "muistutus", "kumbusho", "pengingat", "peringatan", "nhắc lịch", "przypomnienie", "připomínka", "emlékeztető",
    "hatırlatma", "herinnering", "rappel", "recordatorio", "lembrete", "promemoria", "erinnerung", "terminerinnerung",
    "reminder", "अनुस्मारक", "रिमाइंडर", "แจ้งเตือน",
)
#: Greetings that open a message in scripts without case and in Greek, the name after them ("היי עומר!", "مرحبا يوسف،",
#: "नमस्ते राजेश जी!", "Γεια σας Δημήτρης!"); and the Chinese "您好" after a name ("欧阳您好", "王先生您好").
GREETINGS = (
    "היי", "הי", "שלום", "مرحبا", "مرحباً", "أهلا", "أهلاً", "اهلا", "नमस्ते", "नमस्कार", "হ্যালো", "নমস্কার", "γεια σας",
    "γειά σας",
    # a letter's "Dear" ("প্রিয় রাবেয়া খাতুন,", "प्रिय सुनीता जी,", "عزيزي أحمد،", "Дорогая Мария,")
    "প্রিয়", "প্রিয়", "प्रिय", "عزيزي", "عزيزتي", "дорогой", "дорогая", "дорогий", "дорога", "αγαπητέ", "αγαπητή",
)
CJK_GREETINGS = ("您好", "你好", "尊敬的")
#: A Chinese doctor's, nurse's or teacher's title after the name ("李建国主任医师", "张伟医生").
CJK_TITLES_AFTER = ("主任医师", "副主任医师", "医师", "医生", "大夫", "护士", "教授")
NEEDLES = (
    frozenset(TITLES) | frozenset(THAI_TITLES) | frozenset(REMINDERS) | frozenset(GREETINGS) | frozenset(CJK_GREETINGS)
    | frozenset(CJK_TITLES_AFTER)
)

#: A word of letters of one of these scripts (its marks too, not its digits or punctuation).
_W = (
    r"[\u0370-\u03ff\u1f00-\u1fff\u0400-\u04ff\u05b0-\u05f2\u0620-\u065f\u066e-\u06d3\u0900-\u0963\u0971-\u097f"
    r"\u0981-\u09e3\u0e01-\u0e3a\u0e40-\u0e4e]+"
)
#: A capitalised Cyrillic or Greek word, or a word of a script without case.
_CASED_WORD = r"[А-ЯЁІЇЄҐΑ-ΩΆ-Ώ]" + _W
_UNCASED_WORD = (
    r"(?:[\u05d0-\u05ea]+-[\u05d0-\u05ea]+"  # a Hebrew name of two joined words ("בן-דוד", "כהן-מזרחי")
    r"|[\u05d0-\u05ea\u0620-\u064a\u0900-\u0963\u0985-\u09b9\u0e01-\u0e4e](?:" + _W + r")?)"
)
#: A name after a title: up to three words (capitalised, in a cased script); the function words of a script without
#: case that follow a name are left out after (:data:`_FUNCTION_WORDS`: "د. ليلى حداد يوم الأحد").
_TITLED_NAME = r"(?:" + _CASED_WORD + r"(?:[ ]" + _CASED_WORD + r"){0,2}|" + _UNCASED_WORD + r"(?:[ ]" + _UNCASED_WORD + r"){0,2})"
_NAME_WORD = r"(?:" + _CASED_WORD + r"|" + _UNCASED_WORD + r")"
_TITLE = re.compile(
    r"(?<![^\s(\[\"'«:،,])(?i:" + "|".join(re.escape(t) for t in sorted(TITLES, key=len, reverse=True)) + r")[ ]"
    r"(" + _TITLED_NAME + r")"
)
_THAI_TITLE = re.compile(  # not the "คุณ" of "ขอบคุณ" (thank you)
    r"(?<!ขอบ)(?:" + "|".join(re.escape(t) for t in THAI_TITLES) + r")([\u0e01-\u0e2e][\u0e01-\u0e3a\u0e40-\u0e4e]{1,14})"
    r"(?:[ ]([\u0e01-\u0e2e][\u0e01-\u0e3a\u0e40-\u0e4e]{1,14})(?![\u0e01-\u0e4e]))?"  # a whole word, or none
)
#: A reminder's addressee: one to four capitalised words (Latin too) or words of a script without case, then ",".
_ADDRESSEE = re.compile(
    r"(?i:" + "|".join(re.escape(r) for r in sorted(REMINDERS, key=len, reverse=True)) + r")[ ]?:[ ]*"
    r"(?i:(?:bonjour|hello|hi|dear|hola|hallo|ciao|olá|ola|cher|chère|liebe|lieber|estimado|estimada|querido|querida"
    r"|hej|hei|halo|здравствуйте|уважаемый|уважаемая|αγαπητέ|αγαπητή)[ ,]+)?"
    r"(?:(?i:" + "|".join(re.escape(t) for t in sorted(TITLES, key=len, reverse=True)) + r")[ ])?"
    r"((?:[A-ZÀ-ÞА-ЯЁІЇЄҐΑ-ΩΆ-Ώ][^\W\d_]+|" + _NAME_WORD + r")(?:[ ](?:[A-ZÀ-ÞА-ЯЁІЇЄҐΑ-ΩΆ-Ώ][^\W\d_]+|"
    + _NAME_WORD + r")){1,3}),"
)
#: A greeting of :data:`GREETINGS` that opens a line, and one or two words of a name that end the greeting ("!", ",",
#: the line's end; Hindi's "जी" after the name).
_SCRIPT_GREETING = re.compile(
    r"(?m)^[ \t]*(?i:" + "|".join(re.escape(g) for g in sorted(GREETINGS, key=len, reverse=True)) + r")[ ]*,?[ ]+"
    r"(" + _NAME_WORD + r"(?:[ ]" + _NAME_WORD + r"){0,2})(?:[ ]जी)?(?=[ ]*(?:[,!،.]|\r?\n|\Z))"
)
#: "尊敬的" (respected) and a Chinese name of two or three characters, or a surname and its title, before a comma:
#: how a notice of a hospital, a bank or a carrier addresses its customer ("尊敬的王秀梅，您已成功预约").
_CJK_RESPECTED = re.compile(
    r"尊敬的(?:([\u4e00-\u9fff]{1,4}?)(?:先生|女士|小姐|老师)|([\u4e00-\u9fff]{2,3}?))[，,：:]"
)
#: A Chinese name (or a surname and its title) before "您好" at a line's or a sentence's start.
_CJK_GREETING = re.compile(r"(?m)(?:^|(?<=[。！？!?]))[ \t]*([\u4e00-\u9fff]{1,3}?)(先生|女士|小姐|老师)?(?:您好|你好)")
#: A Chinese name of two or three characters before its title, after a space, a punctuation mark or a line's start.
_CJK_TITLED_AFTER = re.compile(
    r"(?:^|(?<=[\s，。：:、（(【】]))([\u4e00-\u9fff]{2,3}?)(?:" + "|".join(sorted(CJK_TITLES_AFTER, key=len, reverse=True)) + r")",
    re.MULTILINE,
)
#: Who a greeting addresses that is no one's name ("שלום לכולם", "مرحبا بكم", "大家好", "各位您好").
_NOT_GREETED = frozenset(
    "לכולם לך לכם רב וברכה בכם بكم بك بكِ الجميع جميعا سيدي سيدتي أستاذ सभी सबको आप सर मैडम साहब दोस्तों আপনাকে সবাইকে স্যার "
    "各位 大家 亲 亲爱的 客户 顾客 用户 同学 朋友 家长 会员 旅客 乘客 业主 患者 家属 老师 学员 车主 先生 女士".split()
)
_TITLE_SET = frozenset(t.lower() for t in TITLES)
_GREETINGS = frozenset("bonjour hello hi dear hola hallo ciao olá ola cher chère liebe lieber hej hei halo".split())
#: Function words of the scripts without case that follow a name ("के", "जी", "يوم", "في", "ביום", "של").
_FUNCTION_WORDS = frozenset(
    "के की का से को जी ने में पर يوم في من على مع ביום של עם את ב"
    # and the roles a title addresses without a name ("عزيزي العميل", "לקוח יקר", "प्रिय ग्राहक")
    " العميل العميلة عميلنا عميلتنا المستخدم المشترك الموظف الزبون לקוח לקוחה הלקוח הלקוחה ग्राहक उपभोक्ता".split()
)
#: Words after which a script's word is no name: the thai "ค่ะ"/"ครับ" and the like end a sentence.
_NOT_NAMES = frozenset("ค่ะ ครับ คะ นะ บ้านเลขที่ โทร ที่ จาก และ".split())


def may_hold_title(hits: AbstractSet[str]) -> bool:
    """Whether a text whose Aho-Corasick hits are ``hits`` may hold a name these read."""
    return not hits.isdisjoint(NEEDLES)


def titled_names(text: str, hits: AbstractSet[str], not_names: AbstractSet[str]) -> list[tuple[int, int]]:
    """The (start, end) of each name after a script's title or opening a reminder in ``text`` (``hits``: which of
    :data:`NEEDLES` its lower case holds; ``not_names``: capitalised words that are no name, "Please", "Team")."""
    out: list[tuple[int, int]] = []
    if not hits.isdisjoint(TITLES):
        for m in _TITLE.finditer(text):
            start, end = m.span(1)
            words = m.group(1).split()
            if text[m.start():start - 1].lower() in _CASED_ROLES and not words[0][:1].isupper():
                continue  # "клиент хочет ...": a role, then the sentence
            while words and words[-1] in _FUNCTION_WORDS:  # "अमित त्रिपाठी के": the name without "of"
                end -= len(words.pop()) + 1
            while len(words) > 1 and words[0].lower() in _TITLE_SET:  # "عزيزي السيد خالد": a second title
                start += len(words.pop(0)) + 1
            if words and words[0] not in _FUNCTION_WORDS:
                out.append((start, end))
    if not hits.isdisjoint(THAI_TITLES):
        for m in _THAI_TITLE.finditer(text):
            if m.group(1) in _NOT_NAMES:
                continue
            surname = m.group(2)  # a family name after a space, unless it is the sentence's next word
            out.append((m.start(1), m.end(2) if surname and surname not in _NOT_NAMES else m.end(1)))
    if not hits.isdisjoint(GREETINGS):
        for m in _SCRIPT_GREETING.finditer(text):
            start, end = m.span(1)
            words = m.group(1).split()
            if len(words) > 1 and words[-1] == "जी":  # "नमस्ते राजेश जी!": the name without its honorific
                end -= len(words.pop()) + 1
            if any(w in _NOT_GREETED or w in _FUNCTION_WORDS or w in not_names for w in words):
                continue
            if len(words) > 1 and words[0].lower() in _TITLE_SET:
                start += len(words[0]) + 1  # "عزيزي السيد خالد الحمادي،": the name without its title
            out.append((start, end))
    if not hits.isdisjoint(CJK_TITLES_AFTER):
        for m in _CJK_TITLED_AFTER.finditer(text):
            if m.group(1) not in _NOT_GREETED and not m.group(1).endswith(("科", "院", "的", "位", "名")):
                out.append(m.span(1))
    if "尊敬的" in hits:
        for m in _CJK_RESPECTED.finditer(text):
            group = 1 if m.group(1) else 2
            name = m.group(group)
            if name not in _NOT_GREETED and not name.endswith(("客户", "用户", "会员", "旅客", "乘客")):
                out.append(m.span(group))
    if not hits.isdisjoint(CJK_GREETINGS):
        for m in _CJK_GREETING.finditer(text):
            name, title = m.group(1), m.group(2)
            if name in _NOT_GREETED or (len(name) < 2 and title is None):
                continue
            out.append(m.span(1))
    if not hits.isdisjoint(REMINDERS):
        for m in _ADDRESSEE.finditer(text):
            words = m.group(1).split()
            if any(w in not_names or w.lower() in _GREETINGS for w in words):
                continue  # "Reminder: Please Note, ...", "Rappel : Bonjour Inès, ..." (the name alone is the greeting's)
            start = m.start(1)
            if words[0].lower() in _TITLE_SET and len(words) > 2:
                start += len(words[0]) + 1  # "تذكير: السيد خالد الحمادي،": the name without its title
            out.append((start, m.end(1)))
    return out
