from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from finetune_platform.monitoring.store import FEEDBACK_COLUMNS, REQUEST_COLUMNS, LogStore, default_store_url
from finetune_platform.settings import Settings

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _log(store: LogStore, prompt: str = "My router is broken", **kwargs: object) -> str:
    defaults = dict(response="Please restart it.", model_name="support-assistant", model_version="3", created_at=T0)
    return store.log_request(prompt=prompt, **{**defaults, **kwargs})


def _raw_dump(db: Path) -> str:
    """Every value in every table, read with plain sqlite3 (what a backup would contain)."""
    connection = sqlite3.connect(db)
    try:
        rows = (
            connection.execute("SELECT * FROM requests").fetchall()
            + connection.execute("SELECT * FROM feedback").fetchall()
        )
    finally:
        connection.close()
    return repr(rows)


def test_request_round_trip_keeps_every_field(store: LogStore) -> None:
    response_id = store.log_request(
        prompt="Printer jams",
        response="Open tray 2.",
        model_name="support-assistant",
        model_version="7",
        variant="challenger",
        user_id="u-1",
        latency_ms=123.5,
        prompt_tokens=3,
        completion_tokens=4,
        status_code=200,
        created_at=T0,
    )
    frame = store.requests_between(T0, T0 + timedelta(seconds=1))
    assert list(frame.columns) == REQUEST_COLUMNS
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["response_id"] == response_id and response_id.startswith("resp-")
    assert (row["prompt"], row["response"], row["variant"], row["model_version"]) == (
        "Printer jams",
        "Open tray 2.",
        "challenger",
        "7",
    )
    assert (row["latency_ms"], row["prompt_tokens"], row["completion_tokens"], row["user_id"]) == (123.5, 3, 4, "u-1")
    assert row["created_at"] == T0  # comes back tz-aware UTC


def test_prompt_response_and_feedback_text_are_redacted_before_they_reach_the_database(
    store: LogStore, tmp_path: Path
) -> None:
    response_id = _log(store, prompt="Mail me at jane.doe@example.com please", response="Sure, jane.doe@example.com")
    store.log_feedback(
        response_id, -1, correction="Reply to jane.doe@example.com within a day", comment="I am jane.doe@example.com"
    )
    dump = _raw_dump(tmp_path / "logs.db")
    assert "jane.doe@example.com" not in dump
    assert dump.count("<EMAIL>") == 4
    assert store.requests_between(T0, T0 + timedelta(1)).iloc[0]["prompt"] == "Mail me at <EMAIL> please"


def test_default_redactor_is_the_curation_pii_redactor_with_shared_placeholders(tmp_path: Path) -> None:
    store = LogStore(f"sqlite:///{tmp_path / 'default.db'}")
    try:
        _log(
            store,
            prompt="Contact me: jane.doe@example.com or bob@example.org",
            response="We will write to jane.doe@example.com today.",
        )
        row = store.requests_between(T0, T0 + timedelta(1)).iloc[0]
    finally:
        store.close()
    dump = _raw_dump(tmp_path / "default.db")
    assert "jane.doe@example.com" not in dump and "bob@example.org" not in dump
    # prompt and response share one mapping: the same address gets the same placeholder in both
    assert row["prompt"] == "Contact me: <EMAIL_1> or <EMAIL_2>"
    assert row["response"] == "We will write to <EMAIL_1> today."


def test_times_are_utc_and_the_window_is_half_open(store: LogStore) -> None:
    _log(store, response_id="a", created_at=T0)
    _log(store, response_id="b", created_at=T0 + timedelta(hours=1))
    # 14:30 in UTC+2 is 12:30 UTC: only "a" is before it
    plus_two = timezone(timedelta(hours=2))
    assert store.requests_between(T0 - timedelta(1), datetime(2026, 11, 1, 14, 30, tzinfo=plus_two))[
        "response_id"
    ].tolist() == ["a"]
    assert store.requests_between(T0, T0 + timedelta(hours=1))["response_id"].tolist() == ["a"]  # end excluded
    naive = datetime(2026, 11, 1, 12, 0)  # naive = UTC
    assert store.requests_between(naive, naive + timedelta(hours=2))["response_id"].tolist() == ["a", "b"]
    with pytest.raises(ValueError, match="reversed"):
        store.requests_between(T0, T0 - timedelta(1))


def test_empty_window_gives_typed_empty_frames(store: LogStore) -> None:
    requests = store.requests_between(T0, T0 + timedelta(1))
    feedback = store.feedback_between(T0, T0 + timedelta(1))
    assert requests.empty and list(requests.columns) == REQUEST_COLUMNS
    assert feedback.empty and list(feedback.columns) == FEEDBACK_COLUMNS
    assert str(requests["created_at"].dtype) == "datetime64[ns, UTC]"


def test_feedback_is_joined_with_its_request(store: LogStore) -> None:
    first = _log(store, prompt="Invoice wrong", response="We will check.", variant="champion")
    second = _log(
        store,
        prompt="Laptop slow",
        response="Buy a new one.",
        variant="challenger",
        created_at=T0 + timedelta(minutes=5),
    )
    id_1 = store.log_feedback(first, 1, created_at=T0 + timedelta(minutes=1))
    id_2 = store.log_feedback(
        second, -1, correction="Close background apps.", comment="rude", created_at=T0 + timedelta(minutes=6)
    )
    frame = store.feedback_between(T0, T0 + timedelta(hours=1))
    assert list(frame.columns) == FEEDBACK_COLUMNS
    assert frame["feedback_id"].tolist() == [id_1, id_2]
    bad = frame.iloc[1]
    assert (bad["response_id"], bad["rating"], bad["prompt"], bad["response"], bad["variant"]) == (
        second,
        -1,
        "Laptop slow",
        "Buy a new one.",
        "challenger",
    )
    assert (bad["correction"], bad["comment"]) == ("Close background apps.", "rude")
    assert frame.iloc[0]["correction"] is None
    assert bad["request_created_at"] == T0 + timedelta(minutes=5)


def test_unknown_response_id_is_a_clear_error(store: LogStore) -> None:
    with pytest.raises(ValueError, match=r"unknown response_id 'nope'.*id returned by the completion"):
        store.log_feedback("nope", 1)


@pytest.mark.parametrize("rating", [2, 5, -2, True, 0.5])
def test_rating_outside_thumbs_scale_is_rejected(store: LogStore, rating: object) -> None:
    response_id = _log(store)
    with pytest.raises(ValueError, match=r"rating must be -1 \(thumbs down\), 0 \(neutral\) or 1"):
        store.log_feedback(response_id, rating)  # type: ignore[arg-type]


def test_duplicate_response_id_is_rejected(store: LogStore) -> None:
    _log(store, response_id="chatcmpl-1")
    with pytest.raises(ValueError, match="'chatcmpl-1' is already logged"):
        _log(store, response_id="chatcmpl-1")


def test_count_feedback_examples_counts_each_answers_standing_correction(store: LogStore) -> None:
    """One answer rated several times counts once, with the user's last verdict: a resent correction or a
    change of mind never adds examples towards the retrain threshold, and a thumbs-up is no correction."""
    first, second, liked = _log(store, response_id="a1"), _log(store, response_id="a2"), _log(store, response_id="a3")
    store.log_feedback(first, -1, correction="Better answer", created_at=T0)
    store.log_feedback(first, -1, correction="Better answer", created_at=T0 + timedelta(minutes=1))  # sent again
    store.log_feedback(second, -1, correction="   ", created_at=T0)  # blank: no correction
    store.log_feedback(liked, 1, correction="Great, thanks!", created_at=T0)  # a thumbs-up: not training data
    assert store.count_feedback_examples() == 1
    store.log_feedback(second, -1, correction="Later answer", created_at=T0 + timedelta(days=2))
    assert store.count_feedback_examples() == 2
    assert store.count_feedback_examples(since=T0 + timedelta(days=1)) == 1
    store.log_feedback(first, 1, created_at=T0 + timedelta(days=3))  # the user changed their mind
    assert store.count_feedback_examples() == 1
    assert store.latest_feedback_ids(["a1", "a2", "a3", "never"]).keys() == {"a1", "a2", "a3"}
    assert store.requests_by_id(["a2", "never"])["response_id"].tolist() == ["a2"]


def test_concurrent_writers_from_many_threads(store: LogStore) -> None:
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(25):
                rid = _log(store, prompt=f"thread {k} request {i}", response_id=f"t{k}-{i}")
                store.log_feedback(rid, 1)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.requests_between(T0, T0 + timedelta(1))) == 200
    assert len(store.feedback_between(T0 - timedelta(1), datetime.now(UTC) + timedelta(1))) == 200


def test_sqlite_file_store_uses_wal_and_creates_its_folder(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "dir" / "logs.db"
    store = LogStore(f"sqlite:///{db}", redactor=None)
    try:
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        store.close()
    assert db.exists()


def test_in_memory_store_shares_one_database_across_threads() -> None:
    store = LogStore("sqlite://", redactor=None)
    thread = threading.Thread(target=lambda: _log(store, response_id="from-thread"))
    thread.start()
    thread.join()
    assert store.requests_between(T0, T0 + timedelta(1))["response_id"].tolist() == ["from-thread"]


def test_default_store_url_lives_under_production_dir(tmp_path: Path) -> None:
    assert (
        default_store_url(Settings.for_root(tmp_path))
        == f"sqlite:///{tmp_path.resolve() / 'data' / 'production' / 'logs.db'}"
    )


def test_a_user_id_holding_pii_is_pseudonymised_and_an_error_message_redacted(tmp_path: Path) -> None:
    store = LogStore(f"sqlite:///{tmp_path / 'pseudo.db'}")
    try:
        _log(store, user_id="jane.doe@example.com", error="backend failed on 'mail jane.doe@example.com'", status_code=500)
        _log(store, user_id="jane.doe@example.com", created_at=T0 + timedelta(minutes=1))
        _log(store, user_id="user-042", created_at=T0 + timedelta(minutes=2))
        rows = store.requests_between(T0, T0 + timedelta(1))
    finally:
        store.close()
    assert "jane.doe@example.com" not in _raw_dump(tmp_path / "pseudo.db")
    pseudonyms = rows["user_id"].tolist()
    assert pseudonyms[0] == pseudonyms[1] and pseudonyms[0].startswith("user-")  # one stable id per user
    assert pseudonyms[2] == "user-042"  # an id without PII is kept as it is
    # keyed: the database alone does not confirm a guessed address (a bare hash of it would)
    guessed = hashlib.sha256(b"jane.doe@example.com").hexdigest()
    assert pseudonyms[0].removeprefix("user-") not in guessed
    assert rows.iloc[0]["error"] == "backend failed on 'mail <EMAIL_1>'"


def test_a_user_pseudonym_is_keyed_by_the_configured_pii_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINETUNE_PLATFORM_PII_HMAC_KEY", "a-production-secret")
    store = LogStore(f"sqlite:///{tmp_path / 'keyed.db'}")
    try:
        _log(store, user_id="jane.doe@example.com")
        [stored] = store.requests_between(T0, T0 + timedelta(1))["user_id"].tolist()
    finally:
        store.close()
    keyed = hmac.new(b"a-production-secret", b"jane.doe@example.com", hashlib.sha256).hexdigest()[:16]
    assert stored == f"user-{keyed}"


def test_a_correction_is_redacted_with_the_placeholders_of_the_answer_it_corrects(tmp_path: Path) -> None:
    store = LogStore(f"sqlite:///{tmp_path / 'mapping.db'}")
    try:
        response_id = _log(
            store,
            prompt="Please email alice@example.com, not bob@example.org, about the invoice",
            response="I will write to alice@example.com today.",
        )
        store.log_feedback(response_id, -1, correction="Send the invoice to bob@example.org, and cc carol@example.net.")
        window = (T0, T0 + timedelta(1))
        request = store.requests_between(*window).iloc[0]
        [feedback] = store.feedback_between(T0 - timedelta(1), datetime.now(UTC) + timedelta(1)).to_dict("records")
    finally:
        store.close()
    assert request["prompt"] == "Please email <EMAIL_1>, not <EMAIL_2>, about the invoice"
    # bob is <EMAIL_2> in the prompt, so he is in the correction too; carol is new: <EMAIL_3>
    assert feedback["correction"] == "Send the invoice to <EMAIL_2>, and cc <EMAIL_3>."
    dump = _raw_dump(tmp_path / "mapping.db")
    assert "alice@example.com" not in dump and "bob@example.org" not in dump and "carol" not in dump
    connection = sqlite3.connect(tmp_path / "mapping.db")
    try:
        stored = connection.execute("SELECT mapping FROM pii_mappings").fetchone()[0]
    finally:
        connection.close()
    # one entry per value's normalized form and one per value as written (to find it in later feedback), each an
    # HMAC; carol's too, since the correction: a later correction naming her says <EMAIL_3> again
    entries = json.loads(stored)
    assert "example" not in stored and sorted(entries.values()) == ["<EMAIL_1>", "<EMAIL_1>", "<EMAIL_2>",
                                                                    "<EMAIL_2>", "<EMAIL_3>", "<EMAIL_3>"]
    assert sum(key.startswith("spread:") for key in entries) == 3


def test_a_value_the_prompt_reveals_is_redacted_wherever_the_request_and_its_feedback_repeat_it(tmp_path: Path) -> None:
    """A detector finds "123456789" only after "my ssn is": the answer, the error, an assistant turn, the
    correction and the comment that repeat it get the prompt's placeholder (as curation does for a record), so
    neither the store nor the training data made from the feedback keep it raw (audit_leaks finding 1)."""
    from finetune_platform.curation.config import CurationSettings
    from finetune_platform.curation.pii import redact_pii, scan_for_pii
    from finetune_platform.monitoring.feedback import feedback_to_preference_pairs, feedback_to_records

    store = LogStore(f"sqlite:///{tmp_path / 'spread.db'}")
    turns = [{"role": "user", "content": "my ssn is 123456789, please update my tax form"},
             {"role": "assistant", "content": "Is 123456789 right?"}, {"role": "user", "content": "yes"}]
    try:
        response_id = _log(store, prompt="my ssn is 123456789, please update my tax form\nyes", messages=turns,
                           response="Noted 123456789 on the tax form.", error="slow backend for 123456789")
        store.log_feedback(response_id, -1, correction="I have updated the tax form for 123456789 and mailed it.",
                           comment="123456789 is mine; my new ssn is 234567891")
        # a later feedback on the same answer: the value the first comment revealed is known too
        store.log_feedback(response_id, -1, correction="Updated 123456789 to 234567891 and mailed it.")
        request = store.requests_between(T0, T0 + timedelta(1)).iloc[0]
        feedback = store.feedback_between(T0, datetime.now(UTC) + timedelta(1))
    finally:
        store.close()
    assert "123456789" not in _raw_dump(tmp_path / "spread.db") and "234567891" not in _raw_dump(tmp_path / "spread.db")
    assert request["response"] == "Noted <US_SSN_1> on the tax form."
    assert request["error"] == "slow backend for <US_SSN_1>"
    assert json.loads(request["messages"])[1]["content"] == "Is <US_SSN_1> right?"
    first, second = feedback.to_dict("records")
    assert first["correction"] == "I have updated the tax form for <US_SSN_1> and mailed it."
    assert first["comment"] == "<US_SSN_1> is mine; my new ssn is <US_SSN_2>"
    assert second["correction"] == "Updated <US_SSN_1> to <US_SSN_2> and mailed it."
    # the training data made from it: the DPO pair, and the SFT record after curation's redaction again
    pairs, _ = feedback_to_preference_pairs(feedback.iloc[:1])
    assert (pairs.iloc[0]["chosen"], pairs.iloc[0]["rejected"]) == (
        "I have updated the tax form for <US_SSN_1> and mailed it.", "Noted <US_SSN_1> on the tax form.")
    records = redact_pii(feedback_to_records(feedback.iloc[:1]), CurationSettings()).records
    assert "123456789" not in records.to_string() and "123456789" not in records.iloc[0]["messages"]
    assert records.iloc[0]["response"] == "I have updated the tax form for <US_SSN_1> and mailed it."
    assert scan_for_pii([records.iloc[0]["text"], records.iloc[0]["response"]]) == []


def test_a_value_is_replaced_only_as_a_whole_word_of_the_same_spelling(tmp_path: Path) -> None:
    """The feedback is searched for the request's values as written, as whole words: a longer number holding
    the digits is not touched, and a name the prompt gave is found in capitals too."""
    store = LogStore(f"sqlite:///{tmp_path / 'words.db'}")
    try:
        response_id = _log(store, prompt="my ssn is 123456789. Regards, Chidi Okeke", response="Thanks.")
        store.log_feedback(response_id, -1, correction="Ticket 91234567890 for CHIDI OKEKE; 123456789's form is done.")
        [feedback] = store.feedback_between(T0, datetime.now(UTC) + timedelta(1)).to_dict("records")
    finally:
        store.close()
    assert feedback["correction"] == "Ticket 91234567890 for <PERSON_1>; <US_SSN_1>'s form is done."


def test_a_value_the_feedback_reveals_is_redacted_where_the_logged_request_holds_it(tmp_path: Path) -> None:
    """The other way round: the correction gives the cue ("your ssn is"), the prompt and the answer only held
    the number; the stored request gets the correction's placeholder, so no field keeps it raw."""
    store = LogStore(f"sqlite:///{tmp_path / 'back.db'}")
    turns = [{"role": "user", "content": "please update 123456789 on my tax form"}]
    try:
        response_id = _log(store, prompt="please update 123456789 on my tax form", messages=turns,
                           response="Which form holds 123456789?")
        store.log_feedback(response_id, -1, correction="your ssn is 123456789, I updated the form.")
        request = store.requests_between(T0, T0 + timedelta(1)).iloc[0]
        [feedback] = store.feedback_between(T0, datetime.now(UTC) + timedelta(1)).to_dict("records")
    finally:
        store.close()
    assert "123456789" not in _raw_dump(tmp_path / "back.db")
    assert feedback["correction"] == "your ssn is <US_SSN_1>, I updated the form."
    assert (request["prompt"], request["response"]) == ("please update <US_SSN_1> on my tax form",
                                                        "Which form holds <US_SSN_1>?")
    assert json.loads(request["messages"]) == [{"role": "user", "content": "please update <US_SSN_1> on my tax form"}]


def test_a_chat_conversation_is_logged_redacted_with_the_prompts_placeholders(tmp_path: Path) -> None:
    """The conversation the client sent (system message, earlier turns) is kept beside the prompt, every turn
    redacted with the request's own placeholders, and comes back with the request and with its feedback."""
    store = LogStore(f"sqlite:///{tmp_path / 'chat.db'}")
    conversation = [
        {"role": "system", "content": "You answer for ACME support."},
        {"role": "user", "content": "I am jane.doe@example.com"},
        {"role": "assistant", "content": "Hello, how can I help?"},
        {"role": "user", "content": "Reset bob@example.org please"},
    ]
    try:
        response_id = _log(
            store, prompt="I am jane.doe@example.com\nReset bob@example.org please", messages=conversation
        )
        completions = _log(store, prompt="### Task: reply\nHi", response_id="plain")
        store.log_feedback(response_id, -1, correction="Done for jane.doe@example.com")
        requests = store.requests_between(T0, T0 + timedelta(1)).set_index("response_id")
        feedback = store.feedback_between(T0, datetime.now(UTC) + timedelta(1))
    finally:
        store.close()
    assert "jane.doe@example.com" not in _raw_dump(tmp_path / "chat.db")
    assert requests.loc[response_id, "prompt"] == "I am <EMAIL_1>\nReset <EMAIL_2> please"
    assert json.loads(requests.loc[response_id, "messages"]) == [
        {"role": "system", "content": "You answer for ACME support."},
        {"role": "user", "content": "I am <EMAIL_1>"},
        {"role": "assistant", "content": "Hello, how can I help?"},
        {"role": "user", "content": "Reset <EMAIL_2> please"},
    ]
    assert requests.loc[completions, "messages"] is None  # a completions request has no conversation
    assert json.loads(feedback.iloc[0]["messages"])[1]["content"] == "I am <EMAIL_1>"


@pytest.mark.parametrize(
    "messages, where",
    [("hi", "got str"), ([{"role": "user"}], r"messages\[0\]"), ([{"role": "", "content": "x"}], r"messages\[0\]"),
     ([{"role": "user", "content": "x"}, ["user", "y"]], r"messages\[1\]")],
)
def test_a_malformed_conversation_is_a_clear_error_and_nothing_is_written(
    store: LogStore, messages: object, where: str
) -> None:
    with pytest.raises(ValueError, match=where):
        _log(store, messages=messages)
    assert store.requests_between(T0, T0 + timedelta(1)).empty


def test_a_store_from_before_conversations_gains_the_column_and_keeps_its_rows(tmp_path: Path) -> None:
    """A ``requests`` table written by an earlier release (no ``messages`` column) is brought up to date
    when the store opens it: old rows read back with no conversation, new ones keep theirs."""
    db = tmp_path / "old.db"
    store = LogStore(f"sqlite:///{db}", redactor=None)
    _log(store, response_id="old")
    store.close()
    connection = sqlite3.connect(db)
    connection.execute("ALTER TABLE requests DROP COLUMN messages")
    connection.execute("ALTER TABLE requests DROP COLUMN rag_context")
    connection.execute("ALTER TABLE requests DROP COLUMN pinned")
    connection.commit()
    assert {"messages", "rag_context", "pinned"}.isdisjoint(
        row[1] for row in connection.execute("PRAGMA table_info(requests)")
    )
    connection.close()
    reopened = LogStore(f"sqlite:///{db}", redactor=None)
    context = {"placement": "system", "context": "[1] Restart it."}
    try:
        _log(reopened, response_id="new", messages=[{"role": "user", "content": "hi"}], rag_context=context)
        _log(reopened, response_id="pinned", pinned=True)
        frame = reopened.requests_between(T0, T0 + timedelta(1)).set_index("response_id")
        reopened.log_feedback("old", -1, created_at=T0 + timedelta(hours=1))
        reopened.log_feedback("pinned", 1, created_at=T0 + timedelta(hours=1))
        feedback = reopened.feedback_between(T0, T0 + timedelta(1)).set_index("response_id")
    finally:
        reopened.close()
    assert frame.loc["old", "messages"] is None and frame.loc["old", "rag_context"] is None
    # an old row was routed (pinning was not recorded then); the flag reads as a plain bool column
    assert frame["pinned"].dtype == bool and frame["pinned"].to_dict() == {"old": False, "new": False, "pinned": True}
    assert feedback["pinned"].to_dict() == {"old": False, "pinned": True}
    assert json.loads(frame.loc["new", "messages"]) == [{"role": "user", "content": "hi"}]
    assert json.loads(frame.loc["new", "rag_context"]) == context
    LogStore(f"sqlite:///{db}", redactor=None).close()  # opening an up-to-date store again changes nothing


def test_a_value_found_only_with_context_from_another_turn_is_redacted_in_the_turns_too(tmp_path: Path) -> None:
    """A bare number is an SSN only right after "my ssn is": the prompt (the user turns joined) holds both, a
    turn on its own only the number. The turns are redacted together, so the number stays out of the store."""
    store = LogStore(f"sqlite:///{tmp_path / 'ctx.db'}")
    turns = [{"role": "user", "content": "Please update my record, my ssn is"},
             {"role": "assistant", "content": "Go ahead."}, {"role": "user", "content": "123456789"}]
    try:
        _log(store, prompt="Please update my record, my ssn is\n123456789", messages=turns)
        row = store.requests_between(T0, T0 + timedelta(1)).iloc[0]
    finally:
        store.close()
    assert "123456789" not in _raw_dump(tmp_path / "ctx.db")
    assert row["prompt"].endswith("my ssn is\n<US_SSN_1>")
    assert json.loads(row["messages"])[2] == {"role": "user", "content": "<US_SSN_1>"}


def test_a_conversation_that_cannot_be_redacted_as_its_prompt_is_not_stored(tmp_path: Path, caplog) -> None:
    """Should the turns' redaction miss a value the prompt's found (here a redactor that needs a newline
    right before it), or swallow the separator between turns, the conversation is left out: the prompt and
    the answer are still stored, and a warning says so without quoting anything."""
    import re as regex

    def needs_a_newline_before(text: str, mapping: dict) -> str:
        return regex.sub(r"(?<=[a-z]\n)SECRET", "<TOKEN_1>", text)

    def swallows_separators(text: str, mapping: dict) -> str:
        return text.replace("\n\x00\n", " ")

    turns = [{"role": "user", "content": "hello"}, {"role": "user", "content": "SECRET"}]
    for n, redactor in enumerate((needs_a_newline_before, swallows_separators)):
        store = LogStore(f"sqlite:///{tmp_path / f'{n}.db'}", redactor=redactor)
        try:
            with caplog.at_level("WARNING"):
                _log(store, prompt="hello\nSECRET", messages=turns)
            row = store.requests_between(T0, T0 + timedelta(1)).iloc[0]
        finally:
            store.close()
        assert row["messages"] is None and row["response"] == "Please restart it."
        assert "SECRET" not in _raw_dump(tmp_path / f"{n}.db") or n == 1  # the second redactor redacts nothing
        assert "conversation of a request is not stored" in caplog.text and "SECRET" not in caplog.text
    # a redactor writing its own form ("[REDACTED]"), checked by the text instead of by placeholders
    def own_form_needs_a_newline_before(text: str, mapping: dict) -> str:
        return regex.sub(r"(?<=[a-z]\n)SECRET", "[REDACTED]", text)

    def own_form(text: str, mapping: dict) -> str:
        return text.replace("SECRET", "[REDACTED]")

    for name, redactor, stored in (("missed", own_form_needs_a_newline_before, False), ("same", own_form, True)):
        store = LogStore(f"sqlite:///{tmp_path / f'{name}.db'}", redactor=redactor)
        try:
            _log(store, prompt="hello\nSECRET", messages=turns)
            row = store.requests_between(T0, T0 + timedelta(1)).iloc[0]
        finally:
            store.close()
        assert row["prompt"] == "hello\n[REDACTED]"
        assert "SECRET" not in _raw_dump(tmp_path / f"{name}.db")
        if stored:
            assert json.loads(row["messages"])[1] == {"role": "user", "content": "[REDACTED]"}
        else:
            assert row["messages"] is None
    empty = LogStore("sqlite://", redactor=None)
    try:
        _log(empty, messages=[])
        assert empty.requests_between(T0, T0 + timedelta(1)).iloc[0]["messages"] is None  # [] is no conversation
    finally:
        empty.close()


def test_turns_holding_nul_characters_are_split_back_as_they_came() -> None:
    """The separator the turns are joined by is one that no content holds and joining does not make."""
    from finetune_platform.monitoring.store import _redact_together

    for contents in (["a\n\x00", "b"], ["x", "\x00\nb"], ["a\n\x00\n", "b", "c\n\x00\n\x00\n"]):
        assert _redact_together(contents, lambda text: text, range(len(contents))) == contents


def test_retrieved_passages_are_logged_redacted_and_come_back_with_the_feedback(tmp_path: Path) -> None:
    """What a hybrid-RAG server added to a chat request is kept with it (redacted like the prompt), so DPO can
    put it back; a malformed one is a clear error that does not quote the passages, and nothing is written."""
    store = LogStore(f"sqlite:///{tmp_path / 'rag.db'}")
    # passages are curated text with placeholders of their own: the request's values are numbered after them
    context = "Relevant excerpts:\n[1] Write to jane.doe@example.com for refunds.\n[2] <EMAIL_1> called <PHONE_2>."
    prompt = "refund to bob@example.org please"
    try:
        response_id = _log(store, prompt=prompt, messages=[{"role": "user", "content": prompt}],
                           rag_context={"placement": "user", "context": context})
        store.log_feedback(response_id, -1, correction="Refunded, bob@example.org, via 555-0100? no: billing.")
        for bad, message in (
            ({"placement": "footer", "context": context}, "placement 'footer'"),
            ({"placement": "system", "context": ""}, "non-empty context"),
            ({"placement": "system"}, r"got \['placement'\]"),
            ("passages", "got str"),
        ):
            with pytest.raises(ValueError, match=message) as error:
                _log(store, response_id=f"bad-{message}", rag_context=bad)
            assert "jane.doe" not in str(error.value)
        requests = store.requests_between(T0, T0 + timedelta(1))
        feedback = store.feedback_between(T0, datetime.now(UTC) + timedelta(1))
    finally:
        store.close()
    assert "jane.doe@example.com" not in _raw_dump(tmp_path / "rag.db")
    assert requests["response_id"].tolist() == [response_id]
    assert requests.iloc[0]["prompt"] == "refund to <EMAIL_2> please"  # not <EMAIL_1>: a passage's customer
    assert json.loads(requests.iloc[0]["messages"]) == [{"role": "user", "content": "refund to <EMAIL_2> please"}]
    logged = {"placement": "user",
              "context": "Relevant excerpts:\n[1] Write to <EMAIL_3> for refunds.\n[2] <EMAIL_1> called <PHONE_2>."}
    assert json.loads(requests.iloc[0]["rag_context"]) == logged
    assert json.loads(feedback.iloc[0]["rag_context"]) == logged
    assert feedback.iloc[0]["correction"].startswith("Refunded, <EMAIL_2>,")  # the answer's own mapping, reloaded


def test_a_request_numbers_its_placeholders_after_those_it_quotes(tmp_path: Path) -> None:
    """A model trained on redacted data answers with <EMAIL_1>: the user's own address must not become
    <EMAIL_1> too, and a correction of that answer keeps the numbering; a huge quoted number costs one entry."""
    store = LogStore(f"sqlite:///{tmp_path / 'quoted.db'}")
    turns = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Write to <EMAIL_1>."},
             {"role": "user", "content": "I wrote from bob@example.org"}]
    try:
        response_id = _log(store, prompt="hi\nI wrote from bob@example.org", messages=turns,
                           response="Then <EMAIL_1> will answer.",
                           rag_context={"placement": "system", "context": "[1] Order <ORDER_2000000> shipped."})
        store.log_feedback(response_id, -1, correction="We replied to bob@example.org.")
        requests = store.requests_between(T0, T0 + timedelta(1))
        feedback = store.feedback_between(T0, datetime.now(UTC) + timedelta(1))
    finally:
        store.close()
    assert requests.iloc[0]["prompt"] == "hi\nI wrote from <EMAIL_2>"
    assert json.loads(requests.iloc[0]["messages"])[2]["content"] == "I wrote from <EMAIL_2>"
    assert feedback.iloc[0]["correction"] == "We replied to <EMAIL_2>."
    connection = sqlite3.connect(tmp_path / "quoted.db")
    try:
        [(mapping,)] = connection.execute("SELECT mapping FROM pii_mappings").fetchall()
    finally:
        connection.close()
    # bob (normalized, and as written for later feedback), and one entry per quoted type (EMAIL, ORDER), not 2,000,000
    assert len(json.loads(mapping)) == 4


def test_a_prompt_quoting_something_like_a_placeholder_does_not_hide_a_missed_value(tmp_path: Path) -> None:
    """A redactor of its own form ("[SSN]") that finds the number in the prompt but not in the turns: the
    conversation is not stored, even when the prompt holds text that looks like a placeholder ("<BR>")."""
    import re as regex

    def ssn_after_cue(text: str, mapping: dict) -> str:
        return regex.sub(r"(ssn is)\s+\d{9}", r"\1 [SSN]", text)

    store = LogStore(f"sqlite:///{tmp_path / 'br.db'}", redactor=ssn_after_cue)
    turns = [{"role": "user", "content": "my ssn is"}, {"role": "user", "content": "123456789 <BR> thanks"}]
    try:
        _log(store, prompt="my ssn is\n123456789 <BR> thanks", messages=turns)
        row = store.requests_between(T0, T0 + timedelta(1)).iloc[0]
    finally:
        store.close()
    assert row["prompt"] == "my ssn is [SSN] <BR> thanks" and row["messages"] is None
    assert "123456789" not in _raw_dump(tmp_path / "br.db")


def _open_and_log(url: str, barrier: object, results: object) -> None:
    barrier.wait()
    try:
        LogStore(url, redactor=None).log_request(prompt="p", response="r", model_name="m", model_version="1")
        results.put("ok")
    except Exception as error:  # noqa: BLE001 - reported to the test
        results.put(f"{type(error).__name__}: {error}")


def test_processes_opening_a_new_store_at_once_all_get_it(tmp_path: Path) -> None:
    """A second server and the daemon starting together: create_all checks then creates, so one of them used
    to fail with "table requests already exists"."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    for trial in range(4):
        url = f"sqlite:///{tmp_path / f'logs-{trial}.db'}"
        barrier, results = context.Barrier(3), context.Queue()
        processes = [context.Process(target=_open_and_log, args=(url, barrier, results)) for _ in range(3)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=60)
        assert sorted(results.get(timeout=5) for _ in processes) == ["ok"] * 3


def test_a_long_error_message_is_cut_after_it_is_redacted_never_inside_a_value(tmp_path: Path) -> None:
    """A backend error quoting a long prompt is stored at most MAX_ERROR_CHARS long, cut after redaction: an
    address across the cut is a placeholder, not the piece a cut first would leave ("jane.doe@exam")."""
    from finetune_platform.monitoring.store import MAX_ERROR_CHARS

    padding = "x " * ((MAX_ERROR_CHARS - 20) // 2)
    message = f"cannot encode {padding}jane.doe@example.com and more " + "y " * 200
    assert message.index("jane.doe") < MAX_ERROR_CHARS < message.index("example.com")  # the cut falls inside it
    store = LogStore(f"sqlite:///{tmp_path / 'long.db'}")
    try:
        _log(store, error=message, status_code=500)
        error = store.requests_between(T0, T0 + timedelta(1)).iloc[0]["error"]
    finally:
        store.close()
    assert len(error) <= MAX_ERROR_CHARS and error.endswith("x ") and "<EMAIL" not in error
    assert "jane" not in _raw_dump(tmp_path / "long.db")
