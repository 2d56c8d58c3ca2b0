"""PII in fixed record formats and delimited rows: HL7 v2 segments, PNR passenger names, headerless CSV rows;
lower-case Czech/Polish titles and street addresses said or written in lower case after a cue."""

from __future__ import annotations

import pytest

from finetune_platform.curation import PiiRedactor
from finetune_platform.curation.records import hl7_spans, pnr_names

R = PiiRedactor()


def _found(text: str) -> list[tuple[str, str]]:
    return [(m.type, m.value) for m in R.find(text)]


HL7 = (
    "MSH|^~\\&|REGSYS|STMARY|LABSYS|STMARY|20240418093011||ADT^A04|MSG00412|P|2.5\r"
    "PID|1||MRN4471203^^^STMARY^MR||KOWALSKI^ANNA^M||19780512|F|||1209 W WRIGHTWOOD AVE^^CHICAGO^IL^60614||"
    "(773)555-0155|||S||ACC88213|342-18-6620\r"
    "NK1|1|KOWALSKI^PAWEL|SPO|||(773)555-0179\r"
    "PV1|1|I|W^389^1^UABH||||12345^MORGAN^REX^J^^^MD|67890^GRAINGER^LUCY^X^^^MD"
)


def test_hl7_names_and_addresses_are_read_by_field_position():
    found = _found(HL7)
    assert ("PERSON", "KOWALSKI^ANNA^M") in found  # PID-5
    assert ("ADDRESS", "1209 W WRIGHTWOOD AVE^^CHICAGO^IL^60614") in found  # PID-11, whole, not only its street
    assert ("PERSON", "KOWALSKI^PAWEL") in found  # NK1-2
    assert ("PERSON", "MORGAN^REX^J") in found and ("PERSON", "GRAINGER^LUCY^X") in found  # PV1-7/8: the id left out
    assert ("US_SSN", "342-18-6620") in found and ("PHONE", "(773)555-0179") in found
    # the facility, message type, the relationship code and the MRN are no one's name
    values = [v for _, v in found]
    assert not any(v in values for v in ("STMARY", "REGSYS", "SPO", "ADT^A04", "MRN4471203^^^STMARY^MR"))


def test_hl7_fields_that_hold_no_name_or_address_are_left():
    # a local extension with digits in the name field, an address field without a house number, another segment
    text = "PID|1||123||12345^^^X||19800101|M|||^^Springfield^IL\nOBX|1|ST|GLU^Glucose||5.4|mmol/L"
    assert hl7_spans(text) == []
    assert hl7_spans("ZPD|1|DOE^JOHN") == []  # a Z-segment is site-defined: its fields say nothing


def test_hl7_repetitions_each_their_own_span():
    text = "PID|1||9^^^H||SMITH^JANE~JONES^JANE^Q||19800101"
    assert [text[a:b] for _, a, b in hl7_spans(text)] == ["SMITH^JANE", "JONES^JANE^Q"]


@pytest.mark.parametrize(
    "text, names",
    [
        ("PNR X7K2LM  1.KOWALSKA/ANNA MRS  2.KOWALSKI/PIOTR MR", ["KOWALSKA/ANNA", "KOWALSKI/PIOTR"]),
        ("Passengers: TAN/WEI MING MR\nBag tag: 1234", ["TAN/WEI MING"]),
        ("NAME: OKONKWO/CHIDINMA MRS (ADT) seat 14C", ["OKONKWO/CHIDINMA"]),
        ("1.1SMITH/JOHNMR", ["SMITH/JOHN"]),  # a passenger number decides without a title; a glued one is left out
        ("1.1GARCIAMARQUEZ/ISABELMRS 2.1PETROV/ALEXANDR", ["GARCIAMARQUEZ/ISABEL", "PETROV/ALEXANDR"]),
    ],
)
def test_pnr_passenger_names(text, names):
    assert [text[a:b] for a, b in pnr_names(text)] == names
    assert [v for t, v in _found(text) if t == "PERSON"] == names


@pytest.mark.parametrize("text", ["AND/OR", "TCP/IP over LHR/JFK", "EUR/USD MR BEAN", "IN/OUT MRS SMITH"])
def test_slashed_capitals_without_a_passenger_shape_are_no_names(text):
    assert pnr_names(text) == []


def test_headerless_csv_rows_give_their_phones_ssns_cards_and_surnames():
    text = (
        "10442,Jane,Doe,jane.doe@gmail.com,+44 7911 123456,2024-03-01\n"
        "10443,Kwabena,Mensah,kmensah@yahoo.com,+233 24 412 3456,2024-03-02\n"
        "7,Ana,342-18-6620,4111 1111 1111 1111,2024-01-01"
    )
    found = _found(text)
    for expected in [
        ("PERSON", "Jane"), ("PERSON", "Doe"), ("PHONE", "+44 7911 123456"), ("PERSON", "Kwabena"),
        ("PERSON", "Mensah"), ("PHONE", "+233 24 412 3456"), ("US_SSN", "342-18-6620"),
        ("CREDIT_CARD", "4111 1111 1111 1111"),
    ]:
        assert expected in found, expected


@pytest.mark.parametrize(
    "text",
    [
        "total 1,234,567,890 and 3,14159,26535",  # thousands and decimals: short cells
        "id;4155552671;x",  # a bare digit run needs a phone cue, in a cell as anywhere
        "ref,2024-03-01,1234567,8",  # a date and an amount
    ],
)
def test_cells_that_are_no_number_of_a_person(text):
    assert _found(text) == []


@pytest.mark.parametrize(
    "text, not_a_name",
    [
        ("a,b,Maria,Active,2024", "Active"),  # an enumerated value beside a given name
        ("C-1182;Okafor;Chidinma;Lagos;0803 555 1234", "Lagos"),  # a word on each side, no e-mail to say which
        ("C-1182;Okafor;Chidinma;Lagos;0803 555 1234", "Okafor"),
        ("Sure, Victor, Oscar, Kilo", "Kilo"),  # a list in prose, not a row
    ],
)
def test_row_neighbours_that_are_not_taken_for_surnames(text, not_a_name):
    assert ("PERSON", not_a_name) not in _found(text)


def test_a_row_surname_on_the_side_the_email_spells():
    assert ("PERSON", "Okafor") in _found("C-1182;Okafor;Chidinma;Lagos;c.okafor@gmail.com")


def test_the_same_ssn_in_a_table_and_in_prose_shares_its_placeholder():
    text = "id,name,ssn\n7,Imani Okoro,536-22-8175\n\nPlease check SSN 536228175 again"
    redacted, _ = R.redact(text)
    assert redacted.count("<US_SSN_1>") == 2 and "<US_SSN_2>" not in redacted


@pytest.mark.parametrize(
    "text, name",
    [
        ("dobrý den, paní Nováková volala kvůli faktuře", "Nováková"),
        ("prosím pana Dvořáka o zavolání", "Dvořáka"),
        ("Dzień dobry, pan Jan Kowalski prosi o kontakt. Dziękuję", "Jan Kowalski"),
        ("rozmawiałam z panią Kowalską wczoraj", "Kowalską"),
    ],
)
def test_lower_case_west_slavic_titles(text, name):
    assert ("PERSON", name) in _found(text)


def test_an_english_pan_is_no_title():
    assert _found("a non-stick pan Tefal, I paid 20€") == []
    assert _found("a frying pan Le Creuset is great") == []


@pytest.mark.parametrize(
    "text, address",
    [
        ("address: 14 oak lane", "14 oak lane"),
        ("i live at 14 oak lane in leeds", "14 oak lane"),
        ("ship to 221b baker st please", "221b baker st"),
        ("yeah so the address is twenty two baker street, london", "twenty two baker street"),
        ("um my address is uh one oh four maple avenue", "one oh four maple avenue"),
        ("THE ADDRESS IS TWENTY TWO BAKER STREET", "TWENTY TWO BAKER STREET"),
    ],
)
def test_streets_in_lower_case_or_said_after_a_cue(text, address):
    assert ("ADDRESS", address) in _found(text)


@pytest.mark.parametrize(
    "text", ["moved to 12 hours drive away", "i live at 3 different places", "i live at one of those places on the road",
             "it's a one way street"]
)
def test_lower_case_phrases_that_are_no_street(text):
    assert [m for m in _found(text) if m[0] == "ADDRESS"] == []


@pytest.mark.parametrize(
    "text, value",
    [
        ("[쿠팡] 인증번호 [718204]를 입력해주세요.", "718204"),
        ('Сообщение: "за квартиру". Код подтверждения: 7730', "7730"),
        ("קוד האימות שלך לכניסה לאזור האישי הוא 581204. אין למסור", "581204"),
        ("رمز التحقق الخاص بك هو 4729. لا تشاركه مع أحد", "4729"),
        ("Ο κωδικός ενεργοποίησης που ζητήσατε είναι: 7Z4K-91QX.", "7Z4K-91QX"),
        ("Petr mi psal, že heslo k wifi v kanceláři je teď Kancl2024!Praha. Jinak", "Kancl2024!Praha"),
        ("Portkoden har ändrats till 4471 förresten.", "4471"),
        ("Can abi, kapı şifresi 4817, anahtar paspasın altında", "4817"),
        ("Se acuerda cambiar el código del portal a 7742.", "7742"),
        ("备注：放门口，单元门密码 8826", "8826"),
        ("Lyon | digicode 4B72A", "4B72A"),
        ("Le code du cadenas à clé c'est 0617. Mon cell", "0617"),
        ("tu clave de operaciones es 61 74 92. Si no", "61 74 92"),
        ("koden till hänglåset är 9-1-3-0.\nKram", "9-1-3-0"),
        ("Tu contraseña temporal es: Q7m!zR4p", "Q7m!zR4p"),
        ("the locksmith left the new key safe code as 0 4 7 7 and said", "0 4 7 7"),
        ("Also the alarm code is changing to 6 0 9 1 from Monday", "6 0 9 1"),
    ],
)
def test_codes_and_passwords_in_other_languages_and_read_out_in_groups(text, value):
    assert ("CREDENTIALS", value) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "el código postal es 28015",
        'db_password = os.environ["DB_PASSWORD"]  # read at start-up',
        'ip=126.12.208.77 reason=bad_password attempted="x"',  # "attempted=" is a log's key, no value
        "door code: 12",
    ],
)
def test_no_secret_where_a_keyword_has_none(text):
    assert [m for m in _found(text) if m[0] == "CREDENTIALS"] == []


@pytest.mark.parametrize(
    "text, phone",
    [
        ("Jinak jeho mobil 777 318 452, kdyby něco.", "777 318 452"),
        ("Tel: 9183 4472.", "9183 4472"),  # eight digits in groups after a cue
        ("His mobile is 9982 4417.", "9982 4417"),
        ("Telefon do niego: 601 284 937", "601 284 937"),
        ("Mobil: 928 44 170 | x", "928 44 170"),
        ("رقم موبايلي 010 2847 6193. برجاء", "010 2847 6193"),
        # layouts only one country writes, valid there (no region configured for them)
        ("못 찾으면 010-7342-8816 으로 전화해", "010-7342-8816"),
        ("a chave é o celular dele (21) 99834-5172", "(21) 99834-5172"),
        ("Amit ka number save kar lo 98201 47365", "98201 47365"),
    ],
)
def test_national_numbers_of_regions_not_configured(text, phone):
    assert ("PHONE", phone) in _found(text)


@pytest.mark.parametrize("text", ["order 98201 47365", "total amount 1234 5678", "order number 1234 5678"])
def test_grouped_digits_without_a_phone_cue_are_no_phone(text):
    assert [m for m in _found(text) if m[0] == "PHONE"] == []


@pytest.mark.parametrize(
    "text, address",
    [
        ("Διεύθυνση: Ερμού 45, 3ος όροφος, 105 63 Αθήνα. Τηλ. 694 512 3387.", "Ερμού 45, 3ος όροφος, 105 63 Αθήνα"),
        ("Адреса: вул. Хрещатик 22, кв. 5, Київ, 01001. Телефон +380 67 412 8830.", "вул. Хрещатик 22, кв. 5, Київ, 01001"),
        ("Адрес подключения: г. Санкт-Петербург, Невский пр., д. 88, кв. 41", "г. Санкт-Петербург, Невский пр., д. 88, кв. 41"),
        ("also Friedrichstraße 68, 3. OG, 10117 Berlin. Leider", "Friedrichstraße 68, 3. OG, 10117 Berlin"),
        ("pls deliver to Blk 123 Ang Mo Kio Ave 6, #08-214, Singapore 560123. im", "Blk 123 Ang Mo Kio Ave 6, #08-214, Singapore 560123"),
        ("estoy en Av. Corrientes 1234, piso 5 depto B, C1043AAZ CABA, me", "Av. Corrientes 1234, piso 5 depto B, C1043AAZ CABA"),
        ("La nueva es Cra. 7 # 72-41, Apto 301, Bogotá", "Cra. 7 # 72-41, Apto 301, Bogotá"),
        ("visitará su domicilio en Av. Providencia 1650, depto 804, Providencia, Santiago el martes.",
         "Av. Providencia 1650, depto 804, Providencia, Santiago"),
    ],
)
def test_addresses_of_more_countries(text, address):
    assert ("ADDRESS", address) in _found(text)


def test_an_issue_number_with_a_dash_is_no_colombian_address():
    assert _found("see issue #12-3 and PR #45-1") == []


@pytest.mark.parametrize(
    "text, names",
    [
        ("김서연: 오빠 나 이사했어\n박준호: 오 축하해!\n김서연: 토요일.", ["김서연", "박준호", "김서연"]),
        ("佐藤 健太: 明日の荷物、受け取りお願い\n山口 さくら: 了解！", ["佐藤 健太", "山口 さくら"]),
        ("Екатерина Смирнова, [05.03.2024 19:22]\nДима, вот данные\nДмитрий Орлов, [05.03.2024 19:25]\nСпасибо",
         ["Екатерина Смирнова", "Дмитрий Орлов"]),
    ],
)
def test_chat_speakers_in_other_scripts(text, names):
    assert [v for t, v in _found(text) if t == "PERSON"] == names


@pytest.mark.parametrize(
    "text",
    [
        "地址：北京市朝阳区\n电话：13800000000\n备注：放门口",  # a form's fields
        "お客様名：山田 太郎\nご住所：東京都\n電話番号：090-1234-5678\n検針日：3月5日",
        "Оператор: Здравствуйте\nКлиент: Добрый день",  # roles
        "민원인: 김민준\n연락처: 010-1234-5678",
    ],
)
def test_form_labels_and_roles_in_other_scripts_are_no_speakers(text):
    labels = [line.split("：")[0].split(":")[0] for line in text.split("\n")]
    assert not [v for t, v in _found(text) if t == "PERSON" and v in labels]


@pytest.mark.parametrize(
    "text, name",
    [
        ("Hei Sunniva! Faktura for dugnaden", "Sunniva"),
        ("Che Facu, cuando puedas", "Facu"),
        ("[3/7/24 10:12] Lupita: Oye Beto, ¿me pasas", "Beto"),
        ("Querida Ana,\nte escribo", "Ana"),
        ("Привет, Дима!", "Дима"),
        ("asesor: listo señor Restrepo, ya quedó", "Restrepo"),
        ("Buenas doña Marleny, le escribe", "Marleny"),
        ("Ate Joy, padala na po ni Kuya Mark yung pera", "Mark"),
        ("If not home leave with Auntie Liu downstairs.", "Liu"),
        ("Shri Rajendra Prasad Agarwal", "Rajendra Prasad Agarwal"),
        ("Exmo. Sr. Joaquim Fernandes Tavares", "Joaquim Fernandes Tavares"),
        ("Coletul pentru dl. Popescu nu a putut", "Popescu"),
        ("Beste mevrouw Van der Meulen-de Jong,", "Van der Meulen-de Jong"),
        ("[14/02/24, 8:03:11 PM] Rohit Bhaiya: Beta, Amit ka number", "Rohit"),  # the honorific left out
        ("Sürücü notu: Yolcu Elif Hanım, Teşvikiye", "Elif"),
    ],
)
def test_greetings_titles_and_honorifics_of_more_languages(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize(
    "text", ["Hola Equipo,\ngracias", "Ciao Roma!", "Liebe Personalabteilung,\nich", "[09:13] AGENTE: HOLA, TE AYUDO",
             "Same with the Uncle Ben's rice, ordered 6 got 2."]
)
def test_greetings_of_groups_teams_and_shouting_are_no_names(text):
    assert [m for m in _found(text) if m[0] == "PERSON"] == []


@pytest.mark.parametrize(
    "text, address",
    [
        ("快递寄到我家吧，地址是北京市朝阳区望京西园三区312号楼2单元1501，谢谢", "北京市朝阳区望京西园三区312号楼2单元1501"),
        ("现住址 江苏省南京市鼓楼区汉中门大街301号3幢1402室。", "江苏省南京市鼓楼区汉中门大街301号3幢1402室"),
        ("收件人：林怡君 0928-517-364 台北市大安區復興南路一段390號8樓", "台北市大安區復興南路一段390號8樓"),
        ("の住所「神奈川県横浜市港北区日吉本町1-22-8」", "神奈川県横浜市港北区日吉本町1-22-8"),
        ("ご使用場所：千葉県船橋市本町4丁目41-19 グランシャリオ船橋305", "千葉県船橋市本町4丁目41-19 グランシャリオ船橋305"),
        ("주소 서울특별시 마포구 성미산로 17길 42, 302호", "서울특별시 마포구 성미산로 17길 42, 302호"),
        ("저희 집 송파구 올림픽로 135, 리센츠아파트 210동 앞으로", "송파구 올림픽로 135, 리센츠아파트 210동"),
        ("Herrn\nYusuf Demir\nWittener Str. 211\n44803 Bochum", "Wittener Str. 211\n44803 Bochum"),
        ("Adres: Moda Cad. Şair Nefi Sok. No:9 D:6 Kadıköy/İstanbul", "Moda Cad. Şair Nefi Sok. No:9 D:6 Kadıköy/İstanbul"),
        ("Ing. Tomáš Procházka, bytem Vinohradská 1583/112, 130 00 Praha 3", "Vinohradská 1583/112, 130 00 Praha 3"),
        ("Małgorzata Wójcik, zam. ul. Marszałkowska 84/92 m. 117, 00-514 Warszawa",
         "ul. Marszałkowska 84/92 m. 117, 00-514 Warszawa"),
        ("Anil Bansal, resident of 22, Model Town Extension, Ludhiana", "22, Model Town Extension, Ludhiana"),
        ("Ông Đỗ Văn Thắng, cư trú tại 27/3 Lê Văn Sỹ, Phường 13, Quận 3, TP.HCM", "27/3 Lê Văn Sỹ, Phường 13, Quận 3, TP.HCM"),
    ],
)
def test_addresses_in_cjk_grammar_and_after_residence_words(text, address):
    assert ("ADDRESS", address) in _found(text)


@pytest.mark.parametrize("text", ["本市今年第3号台风登陆", "第12号选手得分", "서울 강남구 맛집 추천 3곳"])
def test_cjk_numbers_that_are_no_address(text):
    assert [m for m in _found(text) if m[0] == "ADDRESS"] == []


@pytest.mark.parametrize(
    "text, name",
    [
        ("Nájemce: Kristýna Horáková, tel. 731 400 222", "Kristýna Horáková"),
        ("Inquilino: Martín Ezequiel Gorosito – Domicilio", "Martín Ezequiel Gorosito"),
        ("Controparte: Lucia Bianchi, cell.", "Lucia Bianchi"),
        ("ご契約者：松本 千尋 様\nご使用場所：千葉県", "松本 千尋"),  # the honorific left out
        ("收件人：林怡君 0928-517-364", "林怡君"),
        ("Όνομα επισκέπτη: Δημήτρης Παπαναστασίου\nΤηλέφωνο: +30 210 000 0000", "Δημήτρης Παπαναστασίου"),
        ("Employee: Delgado, Ricardo A.        Emp #: 0042", "Delgado, Ricardo A."),
        ("Companion: Oliveira, Larissa\nCard guarantee: JCB", "Oliveira, Larissa"),
        ("1  SHARMA/RAVIKANT   M 52  CNF B3 41\n2  SHARMA/ANURADHA   F 48  CNF B3 42", "SHARMA/ANURADHA"),
        ("Sæl Guðrún, leigan fyrir mars", "Guðrún"),
        ("Tisztelt Fekete Gábor! Értesítjük", "Fekete Gábor"),
        ("Уважаемая Ольга Викторовна!\nНапоминаем", "Ольга Викторовна"),
        ("Lic. Hernández, le paso lo", "Hernández"),
    ],
)
def test_more_labels_registers_charts_and_greetings(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize(
    "text",
    ["Firma: Acme SL", "Customer: Acme, Inc", "Agent: Thanks, Tuan", "use AND/OR   M 5 times"],
)
def test_no_register_name_where_there_is_none(text):
    found = _found(text)
    assert ("PERSON", "Acme SL") not in found and ("PERSON", "Acme, Inc") not in found
    assert ("PERSON", "Thanks, Tuan") not in found and ("PERSON", "AND/OR") not in found


@pytest.mark.parametrize(
    "text, name",
    [
        ("Transfer ke BCA a.n. Rina Kartika Sari, lalu konfirmasi", "Rina Kartika Sari"),
        ("maison jaune après la grange. Demandez Réjean, 450 771-2301", "Réjean"),
        ("Pregunte por Chuy. Código de la pluma 2580.", "Chuy"),
        ("If Mark can't cover lunch, ask Faith. Bill has the key", "Faith"),
        ("or leave it with Priya.", "Priya"),
        ("booked in the name of Sarah Connor", "Sarah Connor"),
    ],
)
def test_names_after_whom_to_ask_for_and_in_whose_name(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize(
    "text",
    ["in the name of God", "invoice in the name of Acme Ltd please", "a.n. PT Maju Jaya", "tell Amazon to refund",
     "text Support"],
)
def test_whose_name_cues_before_no_person(text):
    assert [m for m in _found(text) if m[0] == "PERSON"] == []


@pytest.mark.parametrize(
    "text",
    [
        "Fecha estimada de entrega: 14/03/2024. Código de seguimiento: ES2024031188412.",  # tracking codes
        "Código de rastreio: QB123456789BR.",
        "オペレーター山本：小林様、パスワード再設定用のリンクをお送りしました。",  # a sentence about a password
        "温馨提示：客服人员不会向您索取密码或短信验证码。",
        "הבנק לעולם לא יבקש את הסיסמה או קוד האימות שלכם בטלפון. מוקד שירות: 03-9404848.",
        "Seu código de acesso iFood: confira no app",
    ],
)
def test_foreign_code_words_without_a_secret_after_them(text):
    assert [m for m in _found(text) if m[0] == "CREDENTIALS"] == []


@pytest.mark.parametrize(
    "text, value",
    [
        ("【验证码】629104，您正在登录账户，5分钟内有效。", "629104"),  # up to the text's own script
        ("المشكلة: لا يمكن الدخول إلى البريد. كلمة المرور المؤقتة: Amman@2024x", "Amman@2024x"),
    ],
)
def test_foreign_secrets_end_where_the_script_changes(text, value):
    assert ("CREDENTIALS", value) in _found(text)


@pytest.mark.parametrize("text", ["本社：東京都千代田区丸の内1-1-1。", "본사: 서울특별시 중구 세종대로 110."])
def test_a_company_head_office_in_cjk_is_no_address(text):
    assert [m for m in _found(text) if m[0] == "ADDRESS"] == []


@pytest.mark.parametrize(
    "text, value",
    [
        ("Ihr Bestätigungscode für die Anmeldung lautet 917 406. Geben Sie", "917 406"),
        ("Mã OTP của quý khách là 830561. Tuyệt đối", "830561"),
        ("Schlüssel beim Nachbarn. Haustürcode 3307.", "3307"),
        ("Vasagatan 14, 411 24 Göteborg, portkod 2471. Tekniker", "2471"),
        ("Kode OTP Anda adalah 718204. JANGAN", "718204"),
        ("Side gate is locked, code is 1 9 7 4.", "1 9 7 4"),
        ("Twój kod BLIK do potwierdzenia płatności: 481 920. Nie", "481 920"),
        ("Ваш код для входа: 5829. Никому", "5829"),
    ],
)
def test_numeric_codes_after_a_code_word_in_many_languages(text, value):
    assert ("CREDENTIALS", value) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Your postal code is 90210", "order code 12345678", "error code 4004", "version code 20240301",
        "Use code 2024 at checkout", "scan the barcode 12345678", "visited the branch, branch code 0447.",
        "Batch code L3221CD, bottled 2019", "Mastercard reason code 4837 – No Cardholder Authorization",
        "Add d flame to the Dcode2016 playlist.", "the code is 123 456 789 for the product",
    ],
)
def test_codes_that_are_ids_or_promotions_are_no_secret(text):
    assert [m for m in _found(text) if m[0] == "CREDENTIALS"] == []


@pytest.mark.parametrize(
    "text, name",
    [
        ("[Chat] Mitarbeiterin Jana: Hallo! Wie kann ich helfen?", "Jana"),
        ("[Чат] Оператор Анастасия: Добрый день", "Анастасия"),
        ("[محادثة] الموظفة ريم: أهلاً بك", "ريم"),
        ("[상담 채팅] 상담원 이서연: 안녕하세요 고객님", "이서연"),
        ("[在线客服] 客服李婷：您好", "李婷"),
        ("[チャット] オペレーター山本：ご不便をおかけして", "山本"),
        ("Atendente Thiago: Pronto, Marcos!", "Thiago"),
        ("[Chat] Conseillère Nadia : Merci", "Nadia"),
    ],
)
def test_a_chat_speakers_name_after_their_role_in_any_language(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize(
    "text",
    ["Agent Status: online", "Agent Response: we refunded", "Rep Notes: customer happy", "Operator Message: hi",
     "Agente Virtual: Hola", "Operator Error: timeout"],
)
def test_a_roles_field_is_no_speaker(text):
    assert [m for m in _found(text) if m[0] == "PERSON"] == []


@pytest.mark.parametrize(
    "text, name",
    [
        ("Your driver Abdi is 3 min away", "Abdi"),
        ("Your delivery partner Manjunath (+91 6361 000 000) is on the way", "Manjunath"),
        ("Seu motorista Edson está chegando", "Edson"),
        ("Il tuo ordine è in arrivo con il rider Samuele.", "Samuele"),
        ("Técnico: Wellington Souza", "Wellington Souza"),
        ("Benutzer: Florian Weber (florian.weber@example.de)", "Florian Weber"),
        ("المستخدم: يوسف حداد", "يوسف حداد"),
    ],
)
def test_service_roles_and_user_labels_before_a_name(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize("text", ["Your driver Uber is late", "your host Airbnb sent a message", "the engineer Team"])
def test_a_platform_after_a_service_role_is_no_name(text):
    assert [m for m in _found(text) if m[0] == "PERSON"] == []


@pytest.mark.parametrize(
    "text, name",
    [
        ("नमस्ते, मेरा नाम राहुल शर्मा है। मेरा ऑर्डर", "राहुल शर्मा"),
        ("एजेंट: नमस्ते, मैं प्रिया बोल रही हूँ", "प्रिया"),
        ("您好，我是林美玲，想更改收件地址", "林美玲"),
        ("オペレーター：お電話ありがとうございます。担当の中村でございます。", "中村"),
        ("お客様：あ、えっと、高橋 由美です。", "高橋 由美"),
        ("저는 김민준입니다", "김민준"),
        ("أستاذ كريم، أنا منى من مكتب المحاماة", "منى"),
        ("Здравствуйте, меня зовут Ирина Смирнова.", "Ирина Смирнова"),
        ("שמי נועה ברק, אני מחכה", "נועה ברק"),
    ],
)
def test_introductions_in_other_scripts(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize("text", ["はい、大丈夫です。", "סבבה, אני מגיע בשמונה.", "ありがとうございます。です"])
def test_phrases_of_other_scripts_that_introduce_no_one(text):
    assert [m for m in _found(text) if m[0] == "PERSON"] == []


@pytest.mark.parametrize(
    "text, kind, value",
    [
        ("asesor: me confirma su celular por favor\ncliente: tres uno cinco, cuatro ocho dos, siete siete cero uno",
         "PHONE", "tres uno cinco, cuatro ocho dos, siete siete cero uno"),
        ("Mitarbeiter: Und eine Rückrufnummer?\nKundin: null drei vier eins, zwei vier sieben, acht acht null eins.",
         "PHONE", "null drei vier eins, zwei vier sieben, acht acht null eins"),
        ("Agent: registered mobile number bata dijiye.\nCustomer: nau aath saat zero, teen do ek, chaar paanch chhe",
         "PHONE", "nau aath saat zero, teen do ek, chaar paanch chhe"),
        ("Số điện thoại không chín không ba, một hai tám, bốn năm sáu.", "PHONE", "không chín không ba, một hai tám, bốn năm sáu"),
        ("agente: su pin por favor\ncliente: cuatro cuatro siete uno", "CREDENTIALS", "cuatro cuatro siete uno"),
    ],
)
def test_numbers_read_out_digit_by_digit_in_other_languages(text, kind, value):
    assert (kind, value) in _found(text)


@pytest.mark.parametrize("text", ["uno dos tres cuatro, así se cuenta", "eins zwei drei vier, los geht's"])
def test_counting_in_other_languages_is_no_number(text):
    assert _found(text) == []


@pytest.mark.parametrize(
    "text, address",
    [
        ("The engineer can access the property at Apartment 12, Clarion Quay, Dublin 1, D01 K7W2 on Tuesday",
         "Apartment 12, Clarion Quay, Dublin 1, D01 K7W2"),
        ("Kindly send him to Apartment B4, Kileleshwa Court, Othaya Road, Nairobi. Reach me",
         "Apartment B4, Kileleshwa Court, Othaya Road, Nairobi"),
        ("Recipient: Amina Hassan, House 22, Nyali Links Road, Mombasa. Confirmation", "House 22, Nyali Links Road, Mombasa"),
        ("The cleaner can come to Villa 23, Street 14, Al Barsha 2, Dubai on Monday", "Villa 23, Street 14, Al Barsha 2, Dubai"),
    ],
)
def test_addresses_that_open_with_their_flat_or_house(text, address):
    assert ("ADDRESS", address) in _found(text)


def test_a_unit_in_stock_talk_is_no_address():
    assert [m for m in _found("Unit 4 is out of stock, Main Road store") if m[0] == "ADDRESS"] == []
