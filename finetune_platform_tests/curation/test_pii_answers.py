"""Credentials given as answers and after foreign password words, and names after roles and foreign introductions."""

from __future__ import annotations

import pytest

from finetune_platform.curation import PiiRedactor

R = PiiRedactor()


def _found(text: str) -> list[tuple[str, str]]:
    return [(m.type, m.value) for m in R.find(text)]


@pytest.mark.parametrize(
    "text, secret",
    [
        # a security question's answer: the next turn, without its filler words
        ("rep: perfect and what was your first pet's name\ncust: pickles\nrep: thanks", "pickles"),
        ("agent: your security question, the name of your first school\ncustomer: st bernadette's primary", "st bernadette's primary"),
        ("AGENT: and your memorable word\nCALLER: it's er buttercup", "buttercup"),
        # a code given in the turn after a line that asks for or sends one
        ("[채팅] 상담원: 휴대폰으로 전송된 인증번호를 입력해 주세요.\n[채팅] 고객: 402913", "402913"),
        ("[11:41] Assistenza: Le ho inviato un codice via SMS.\n[11:42] Cliente: il codice è 619 054", "619 054"),
        ("[11:06] Support: I've sent a fresh code now.\n[11:07] Customer: got it, 552 019. thanks!", "552 019"),
        ("[15:04] Conseiller : Je vous envoie un code de vérification par SMS.\n[15:05] Client : c'est 482 117", "482 117"),
        # a password after its word in other languages, a few words between
        ("Startkennwort wie besprochen Sommer2024!Vogt – muss beim ersten Login geändert werden", "Sommer2024!Vogt"),
        ("Nadano hasło tymczasowe Wisla!2024#tmp. Połączenie z adresu", "Wisla!2024#tmp"),
        ("Parola Wi-Fi nouă: Stan.Casa.2024. Contact fiica", "Stan.Casa.2024"),
        ("Tillfälligt lösenord satt till Midsommar#24kx, ska bytas", "Midsommar#24kx"),
        ("Ideiglenes jelszó: Balaton!2024x. Bejelentkezési IP:", "Balaton!2024x"),
        ("Geçici şifre Bogazici#2024 verildi.", "Bogazici#2024"),
        ("Ny router installeret, Wi-Fi-kode Aarhus-Hjem-4471 givet til kunden", "Aarhus-Hjem-4471"),
        ("The SFTP password you gave me (Arsenal2017#) expired.", "Arsenal2017#"),
        # a one-time code as a log's key
        ('INFO svc=auth-gw msg="otp sent" otp=604913 channel=sms', "604913"),
        ("usuario=pablo ip=83.44.172.18 resultado=OK mfa=903441", "903441"),
    ],
)
def test_answers_and_foreign_passwords_are_credentials(text, secret):
    assert ("CREDENTIALS", secret) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Agent: what's your order code?\nCustomer: 2024",  # an id's code
        "Agent: Please confirm the postcode.\nCustomer: it's 90210",
        "Agent: what's your favourite colour for the case?\nCustomer: blue please",  # no security question
        "The wifi on floor 3 keeps dropping since 14:05.",
        "Password reset link sent to user 4411.",
        "the password policy v2 requires 12 chars",
        "Clave del producto: ABCD-1234",  # a product's code
    ],
)
def test_no_credential_where_no_secret_is_given(text):
    assert [v for t, v in _found(text) if t == "CREDENTIALS"] == []


@pytest.mark.parametrize(
    "text, name",
    [
        ("Service note (Athens office): user Kostas Alexiou reset his password", "Kostas Alexiou"),
        ("BT kaydı: kullanıcı Okan Çelik VPN'e bağlanamıyor", "Okan Çelik"),
        ("[chat] Kunde: hej, jeg er frederik og mit kort er blevet misbrugt", "frederik"),
        ("[chat] Client: salut, sunt mihai ionescu, nu mi-a venit coletul", "mihai ionescu"),
        ("[13:22] Kund: hej det är johanna, mitt bredband är nere igen", "johanna"),
        ("[14:11] Cliente: ola sou a joana, a minha encomenda", "joana"),
        ("[16:41] Müşteri: merhaba ben ayşe demir, kartımdan", "ayşe demir"),
    ],
)
def test_names_after_roles_and_foreign_introductions(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "To,\nThe Nodal Officer,\nConsumer Grievance Cell\n\nSub: refund",
        "User Acceptance Testing starts Monday.",  # a role capitalised: a programme's name as often
        "Our Employee Assistance Programme is free.",
        "Please contact Client Services Team for help.",
    ],
)
def test_capitalised_roles_open_no_name(text):
    assert [v for t, v in _found(text) if t == "PERSON"] == []


@pytest.mark.parametrize(
    "text",
    [
        "[11:41] Assistenza: Le ho inviato un codice via SMS.\n[11:42] Cliente: grazie\n[11:43] Assistenza: prego",
        "[13:22] Kund: hej\n[13:23] Kundtjänst: Tråkigt att höra.\n[13:24] Kund: ok",
        "[12:04] Klient: hej\n[12:04] Obsługa Klienta: Proszę podać adres.",
        "[14:11] Cliente: ola\n[14:12] Apoio: Em que posso ajudar?",
    ],
)
def test_a_support_team_speaking_in_other_languages_is_no_name(text):
    assert [v for t, v in _found(text) if t == "PERSON"] == []


@pytest.mark.parametrize(
    "text, secrets",
    [
        ("my online banking password is locked, i tried Fluffy2019 and Fluffy2020! and neither work",
         ["Fluffy2019", "Fluffy2020!"]),
        ("pasted her AWS key: AKIAQ4NRF7HZ2KD9V3LM / k9Vd2+Qm7XrT1bLw8ZpN4cYs0HjE6uGf3aRnWq5S. Key disabled",
         ["AKIAQ4NRF7HZ2KD9V3LM", "k9Vd2+Qm7XrT1bLw8ZpN4cYs0HjE6uGf3aRnWq5S"]),
        ("MFA reset for user Ethan Park. TOTP seed regenerated: JBSWY3DPEHPK3PXPQ7ZL2M4N. Ticket closed.",
         ["JBSWY3DPEHPK3PXPQ7ZL2M4N"]),
        ("Het pakket ligt bij het afhaalpunt. Je hebt de ophaalcode K7F2-99 nodig.", ["K7F2-99"]),
        ("Pane Nováku, zásilka je uložena, kód pro vyzvednutí XK-4471.", ["XK-4471"]),
    ],
)
def test_tried_passwords_aws_secrets_seeds_and_pickup_codes(text, secrets):
    assert [v for t, v in _found(text) if t == "CREDENTIALS"] == secrets


@pytest.mark.parametrize("text", ["the TOTP seed was rotated yesterday", "See the MFA secret rotation policy: https://x.y/z"])
def test_a_seed_named_without_its_value(text):
    assert [v for t, v in _found(text) if t == "CREDENTIALS"] == []


@pytest.mark.parametrize(
    "text, name",
    [
        ("[12:04] Obsługa Klienta: Panie Pawle, proszę podać adres.", "Pawle"),
        ("[chat] Suport: Domnule Ionescu, curierul a încercat livrarea.", "Ionescu"),
        ("[chat] Podpora: Pane Nováku, zásilka je uložena.", "Nováku"),
    ],
)
def test_a_name_after_a_vocative_title(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize(
    "text, name",
    [
        ("Δήλωση ζημιάς: ασφαλισμένη Ελένη Γεωργίου, Τσιμισκή 45", "Ελένη Γεωργίου"),
        ("[chat] Εξυπηρέτηση: Κύριε Καραγιάννη, μου δίνετε έναν αριθμό;", "Καραγιάννη"),
        ("शिकायत: ग्राहक अनीता देवी का कहना है कि उनके खाते से पैसे निकाले गए।", "अनीता देवी"),
        ("IT 티켓: 사용자 최유나 VPN 접속 불가.", "최유나"),
        ("维修记录：工程师上门，客户张丽（北京市朝阳区）", "张丽"),
    ],
)
def test_names_after_roles_in_other_scripts(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize(
    "text", ["客户服务中心的电话已更新", "고객 센터 운영 시간 안내", "पिछले महीने ग्राहक सेवा का नंबर बदल गया।"]
)
def test_customer_service_in_other_scripts_is_no_name(text):
    assert [v for t, v in _found(text) if t == "PERSON"] == []


@pytest.mark.parametrize(
    "text, found",
    [
        ("[10:03] Support: Can you confirm your registered mobile number?\n[10:04] Customer: 9820012345", [("PHONE", "9820012345")]),
        ("[14:11] Apoio: Qual é o seu contacto telefónico?\n[14:12] Cliente: 936 555 120", [("PHONE", "936 555 120")]),
        ("Agent: What's your order number?\nCustomer: 55812345", []),
        ("Agent: what's the number on the back of the meter?\nCustomer: 12345678", []),
        # a password question in German; codes given by the customer; alphanumeric check and recovery codes
        ("[09:15] Service: wie lautet Ihr Kundenkennwort?\n[09:16] Kundin: Rotkehlchen77", [("CREDENTIALS", "Rotkehlchen77")]),
        ("Sent to sales.\nLockbox code left by customer: 0619", [("CREDENTIALS", "0619")]),
        ("Az ellenőrző kód: HB-8812.", [("CREDENTIALS", "HB-8812")]),
        ("Código de recuperação fornecido por ela no chamado: R4K9-M2PX-77QA (invalidado).", [("CREDENTIALS", "R4K9-M2PX-77QA")]),
        ("The customer code left by customer: 88123", []),
        # Italian, Dutch and German titles
        ("Confermiamo l'appuntamento presso lo studio del dott. Ricci venerdì.", [("PERSON", "Ricci")]),
        ("Geachte heer Peeters,\n\nWij ontvingen uw bericht.", [("PERSON", "Peeters")]),
    ],
)
def test_answers_given_codes_and_more_titles(text, found):
    assert _found(text) == found


@pytest.mark.parametrize(
    "text, name",
    [
        ("[2:13 PM] Support: Hi! Who am I chatting with today?\n[2:14 PM] Guest: arjun\n[2:15 PM] Support: thanks", "arjun"),
        ("[15:01] Conseillère : Bonjour, à qui ai-je l'honneur ?\n[15:02] Client : karim benali", "karim benali"),
        ("atendente: bom dia com quem eu falo\ncliente: é o marcelo souza", "marcelo souza"),
    ],
)
def test_the_answer_to_whom_am_i_speaking_with(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize(
    "text, secret",
    [
        ("rx=6640821 dob_match=true pin_entered=4821 status=ok", "4821"),
        ('  window: "10:00-12:00"\n  gate_code: "1934"', "1934"),
        ('cust_phone="+91 98450 33121" delivery_otp=5813', "5813"),
        ("entry_permission=yes lockbox=7781 notes=x", "7781"),
        ("Öğrenci bilgi sistemine giriş için geçici şifreniz: Obs-5521aK", "Obs-5521aK"),
        ("Parola ta temporară pentru contul online este Tz8#qp41", "Tz8#qp41"),
        ("नमस्ते रोहित, आपका अस्थायी पासवर्ड Temp@4471rk है", "Temp@4471rk"),
        ("Mikko Korhonen, 040 718 2293. Noutokoodi: 5K8Q2", "5K8Q2"),
        ("olá Diogo, o teu código de verificação para a VPN é 550 183", "550 183"),
        ("Randevunuz onaylandı. Doğrulama kodunuz: 418 302", "418 302"),
        ("Code d'accès au parking du cabinet : 4590", "4590"),
        ("Hej Oskar! Din nya PIN-kod till SIM-kortet är 4091", "4091"),
        ("my password is wrong but i'm typing Bella2019! every time", "Bella2019!"),
    ],
)
def test_log_keys_foreign_codes_and_passwords(text, secret):
    assert ("CREDENTIALS", secret) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Fehlercode: E4021 beim Start", "Ihr Rabattcode lautet SOMMER24", "Your order code is AB-12345",
        "Model code: XR-2000", "Use code SAVE20 at checkout", "Kod błędu płatności: BLIK-102 (transakcja ponowiona).",
        "INFO password reset link sent to l.rossi@libero.it (ip=151.38.90.12)",
    ],
)
def test_codes_of_errors_discounts_orders_and_models_are_no_secret(text):
    assert [v for t, v in _found(text) if t == "CREDENTIALS"] == []


@pytest.mark.parametrize(
    "text, name",
    [
        ('event=pin_entry unit=312 resident="Okafor" pin=**** result=ok', "Okafor"),
        ('order_id=SWG-88123091 rider="Mohd Irfan" rider_phone=x', "Mohd Irfan"),
        ('WO-22187 unit=4C tenant="Kowalczyk, Ewa" issue="dishwasher"', "Kowalczyk, Ewa"),
        ("Trip for Year 9\nPupil: Harvey Doyle\nPaid by: card", "Harvey Doyle"),
        ("Date of loss: 01/17/2025\nOther driver: Tamika Ross, (901) 555-0101", "Tamika Ross"),
        ("Ekstra sjåfør: Håkon Berge.", "Håkon Berge"),
        ("鈴木 一郎様\n\n賃貸契約の更新について", "鈴木 一郎"),
        ("김지훈님 계정에서 VPN 로그인 시도가 있었습니다.", "김지훈"),
        ("שלום יוסי אברהם, התביעה שלך התקבלה.", "יוסי אברהם"),
        ("عزيزي السيد خالد الحمادي،\nنشكركم على", "خالد الحمادي"),
        ("नमस्ते सुनीता जी,\nआपकी टिकट", "सुनीता"),
        ("เรียน คุณสมศรี วงศ์สวัสดิ์\nการจองรถเช่า", "สมศรี วงศ์สวัสดิ์"),
        ("客戶林志明來電，要求將帳單", "林志明"),
        ("备注：与同事陈建国同行。\n客服：刘婷", "刘婷"),
    ],
)
def test_names_as_log_keys_labels_and_greetings_of_other_scripts(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize(
    "text",
    ["お客様各位", "担当者様", "שלום רב, קיבלנו את פנייתך.", "عزيزي العميل، نشكركم", "नमस्ते सर, आपका",
     "我们的同事们都很好", '{"guest":"premium","driver":"v2.1","patient":"N/A"}'],
)
def test_greetings_of_other_scripts_to_no_one_by_name(text):
    assert [v for t, v in _found(text) if t == "PERSON"] == []


@pytest.mark.parametrize("text", ["Driver: Uber Eats", "Rider: Deliveroo\nStatus: en route"])
def test_a_platform_after_a_driver_label_is_no_name(text):
    assert [v for t, v in _found(text) if t == "PERSON"] == []


@pytest.mark.parametrize(
    "text, secret",
    [
        ("Temporary password read out to member by phone: Kq7!vW2pLm", "Kq7!vW2pLm"),
        ('I\'ve pre-configured the password you asked for ("Doolin2019!") on the router.', "Doolin2019!"),
        ("interface Vlan40\n ip address 172.16.40.1/24\nenable secret Br4nch!Rtr#09", "Br4nch!Rtr#09"),
        ("Temporary access pass TAP-8Kq2-Wm7x issued, MFA registration required.", "TAP-8Kq2-Wm7x"),
        ("배송기사입니다. 공동현관 비밀번호 알려주시면 됩니다.\n고객: 비밀번호는 1357 이에요", "1357"),
        ("Conseiller : Question de sécurité (nom de votre premier animal)?\nClient : Caramel", "Caramel"),
    ],
)
def test_more_secret_phrasings(text, secret):
    assert ("CREDENTIALS", secret) in _found(text)


def test_a_row_cell_of_a_surname_and_a_known_given_name_is_one_name():
    text = "STOP01,Gallagher Eoin,14 Griffith Avenue,Dublin 9\nSTOP02,Byrne Aoife,Apt 6 Clarion Quay,Dublin 1"
    assert [v for t, v in _found(text) if t == "PERSON"] == ["Gallagher Eoin", "Byrne Aoife"]
    assert [v for t, v in _found("item,Red Emma,3") if t == "PERSON"] == ["Emma"]


@pytest.mark.parametrize(
    "text, secret",
    [
        # a password by its shape alone: upper and lower case, a digit and a symbol, a word of its own
        ("[09:15] Tomasz: it's Vx7!pR2m#Lq9 since friday, don't paste it", "Vx7!pR2m#Lq9"),
        ("Please also reset my SAP password, current one Deepika@1234 is expired.", "Deepika@1234"),
        ("Ancien MDP Soleil2023!, nouveau Printemps#2024 (fournis par l'utilisatrice)", "Soleil2023!"),
        ("Ancien MDP Soleil2023!, nouveau Printemps#2024 (fournis par l'utilisatrice)", "Printemps#2024"),
        ("  script:\n    - sshpass -p 'Hv7$kP2qW!9z' ssh deploy@172.31.44.206", "Hv7$kP2qW!9z"),
        ("mysql -u app -pAussie$unset99 -h db.internal", "Aussie$unset99"),
        ("is it still Xq9#vL2!tM7w?", "Xq9#vL2!tM7w"),
    ],
)
def test_a_password_by_its_shape(text, secret):
    assert ("CREDENTIALS", secret) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Are you there?? Yes!! Order A12b#4 is late, see Q&A",  # short, and sentence punctuation
        "upgrade to Node.js@18.2 and mail Bob@Example2.com",  # a package's version, an e-mail address
        "see #Issue42a and https://x.com/Ab?c=1&D=2x and C:\\Users\\Ab#1x2y3z",  # a hashtag, a link, a path
        "Call me back on (646) 201-7734!!! or 415.837.3508?",  # phone numbers before a sentence's end
        "ORDER#A1B2C3D4 shipped; ticket=Ab12#xyz9 noted",  # capitals only; a log's key=value
    ],
)
def test_no_password_shape_in_ids_links_and_punctuation(text):
    assert [v for t, v in _found(text) if t == "CREDENTIALS"] == []


@pytest.mark.parametrize(
    "text, name",
    [
        # the fields of claims, clinics, courts and HR forms
        ("Claim CLM-2024-0331877 | Auto | Adjuster: Renée Castillo", "Renée Castillo"),
        ("Attending: Rebecca Lindholm, MD", "Rebecca Lindholm"),
        ("Member: Yevgenia Platonova, DOB 1979-08-14\nPrescriber: Hamish Drummond, MD", "Hamish Drummond"),
        ("Demandado: Julio César Quispe (ex cónyuge)", "Julio César Quispe"),
        ("Expert mandaté : Patrice Guillot, joignable au 07 55 18 32 10", "Patrice Guillot"),
        ("Assuré : M. Olivier Lefèvre\nAdresse du risque : 8 allée des Tilleuls", "Olivier Lefèvre"),
        ("Tenant: DeShawn Carter  Phone: 404-555-0161", "DeShawn Carter"),
        ("Legal name: Dwayne Porter (goes by DJ)\nPreferred name: Zee", "Zee"),
        # a register's "Surname, Given", in capitals too
        ("Employee Name: KOWALCZYK, BRIAN T.\nSSN: 318-40-2267", "KOWALCZYK, BRIAN T."),
        ("Mitarbeiter: Schmidt-Kowalski, Anja (Personalnr. 004471)", "Schmidt-Kowalski, Anja"),
        # an account's holder, and a relative's given name alone
        ("IBAN IT09 K 03069 09606 100000012345, intestato a Salvatore Russo.", "Salvatore Russo"),
        ("Direct debit mandate: account holder Heinrich Albers, DE34 2005", "Heinrich Albers"),
        ("Please ring me on 01 555 4412. My wife Bernadette may answer.", "Bernadette"),
    ],
)
def test_names_in_more_fields_and_after_relatives(text, name):
    assert ("PERSON", name) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Last name: Unknown",
        "Customer: ACME, INC",
        "Kundin: Ja, hallo\nMitarbeiter: Guten Tag, wie lautet Ihre Zählernummer?",  # a chat's speaker, no field
        "my partner Monzo app keeps crashing",
        "Member: Gold Tier\nPrescriber: see attached",
    ],
)
def test_no_name_in_such_fields_without_one(text):
    assert [v for t, v in _found(text) if t == "PERSON"] == []


@pytest.mark.parametrize(
    "text, secret",
    [
        # an API key, a token or a password hash by its shape, in a language with no keyword for it, or bare
        ("Здравствуйте! При вызове API получаем 401. Ключ: api_5Rk9Zq2Wm7Tx4Lp1, IP сервера", "api_5Rk9Zq2Wm7Tx4Lp1"),
        ("API anahtarımız: sandbox-Qm7Zt2Vx9Lr4Kp1N", "sandbox-Qm7Zt2Vx9Lr4Kp1N"),
        ("שלום, מקבלים 401 עם המפתח live_3kQ9mZ7tR2xV8pL4. השרת שלנו", "live_3kQ9mZ7tR2xV8pL4"),
        ("userPassword: {SSHA}k9Zr2Qx7Lm4Vt1Nb8Pw3Yc6Hd0Jf5Gs", "{SSHA}k9Zr2Qx7Lm4Vt1Nb8Pw3Yc6Hd0Jf5Gs"),
        ("my bot token leaked: MTEyMzQ1Njc4OTAxMjM0NTY3OA.GhT9xQ.p4Lw0sZ2vK8mN3bR7cY1eU6iO5aD9fJ2hG4kS0",
         "MTEyMzQ1Njc4OTAxMjM0NTY3OA.GhT9xQ.p4Lw0sZ2vK8mN3bR7cY1eU6iO5aD9fJ2hG4kS0"),
        # a key's name ending in "_key" in YAML and .env files, and key words of other languages
        ("alerts:\n  pagerduty_key: e93facc04764012d7bfb002500d5d1a6", "e93facc04764012d7bfb002500d5d1a6"),
        ("MAILCHIMP_KEY:       5f2e8d1c9b3a7e6f4d2c8b1a9e7f3d5c-us21", "5f2e8d1c9b3a7e6f4d2c8b1a9e7f3d5c-us21"),
        ("您好，我们调用贵司开放平台时出现 403，AppSecret 为 a9f3c71e2b8d46f0，服务器出口 IP", "a9f3c71e2b8d46f0"),
        ("WLAN-Schlüssel laut Router-Etikett: K7mP-4qR2-xZ9w.", "K7mP-4qR2-xZ9w"),
        ("Cust read out her wifi key (not needed): Hammond-Fam-2019. Told her", "Hammond-Fam-2019"),
    ],
)
def test_keys_and_tokens_by_shape_and_by_more_key_words(text, secret):
    assert ("CREDENTIALS", secret) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"event":"charge.dispute.created","id":"dp_1OqP3sK2eZvKYlo2"}',  # a payment object's id
        "Payment pi_3MtwBwLkdIwHu7ix28a3tqPa captured for cus_NffrFeUfNV2Hib",
        "Accepted publickey for deploy from 86.12.201.44 port 55102 ssh2: ED25519 SHA256:q1Xf4Hk2vP9s8mB0rLzT5wNcY3uJ7eG6",
        "The iPhone15ProMax256GB and Win11Pro2024Update bundles",  # words and numbers run together
        "object_key: reports/2024/q3final.csv",
        "idempotency_key: 3f2a9c1e-7b4d-4e2a-9f1c-2d3e4f5a6b7c",
        "Schlüssel bei der Nachbarin, Hausnummer 12a",
    ],
)
def test_ids_hashes_and_names_are_no_key(text):
    assert [v for t, v in _found(text) if t == "CREDENTIALS"] == []


@pytest.mark.parametrize(
    "text, address",
    [
        # British street words, and the four-digit postcodes of Austria, Switzerland and Belgium
        ("SMETS2 install done at 5 Kestrel Rise, Bicester OX26 6WL. IHD paired.", "5 Kestrel Rise, Bicester OX26 6WL"),
        ("Flat 3, 7 Marine Parade, Brighton BN2 1TL (2018–2021)", "7 Marine Parade, Brighton BN2 1TL"),
        ("Kunde nicht angetroffen, Hauptstraße 112, 6020 Innsbruck. Nachbarin", "Hauptstraße 112, 6020 Innsbruck"),
        ("staying with sister at Avenue de la Gare 22, 1003 Lausanne.", "Avenue de la Gare 22, 1003 Lausanne"),
        ("je suis locataire au Rue Haute 214, boîte 3, 1000 Bruxelles. Le chauffage", "Rue Haute 214, boîte 3, 1000 Bruxelles"),
        ("Marital home: 3 Chemin des Vignes, 1260 Nyon, Switzerland.", "3 Chemin des Vignes, 1260 Nyon"),
        ("als huurder van Kanaalstraat 211 bis, 3531 CJ Utrecht meld ik", "Kanaalstraat 211 bis, 3531 CJ Utrecht"),
    ],
)
def test_more_street_words_and_postcodes(text, address):
    assert ("ADDRESS", address) in _found(text)
