"""The production log store: every served request and every piece of user feedback.

The serving layer writes here (one ``log_request`` per completion, ``log_feedback`` when a user rates or
corrects an answer); the monitoring assets read day-sized windows back as DataFrames. SQLAlchemy 2 keeps
one code path for the embedded default (a SQLite file) and the scale-out path (Postgres by URL).

Privacy: free text is redacted *on write* (prompt, response, correction, comment), so raw PII never
reaches the database, its backups, or the training data built from feedback. The fields of one request (and
the feedback on it) are redacted as curation redacts the fields of one record: a value one field reveals
("my ssn is 123456789") is replaced wherever another repeats it (the model's answer, the user's correction).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    and_,
    create_engine,
    event,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, aliased, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from finetune_platform.settings import Settings, pii_hmac_key

logger = logging.getLogger(__name__)

#: A redactor takes free text and a placeholder mapping and returns the text with PII replaced. The
#: mapping is shared by the fields of one request (prompt and response) so that a redactor can give the
#: same value the same placeholder in both, as curation does for a record; simple redactors ignore it.
Redactor = Callable[[str, dict[Any, str]], str]

#: Ratings the store accepts: thumbs down, neutral, thumbs up.
RATING_VALUES: tuple[int, ...] = (-1, 0, 1)

#: Columns of ``LogStore.requests_between`` (fixed, also when no row matches).
REQUEST_COLUMNS: list[str] = [
    "response_id",
    "created_at",
    "variant",
    "model_name",
    "model_version",
    "user_id",
    "prompt",
    "response",
    "latency_ms",
    "prompt_tokens",
    "completion_tokens",
    "status_code",
    "error",
    "messages",
    "rag_context",
    "pinned",
]

#: Columns of ``LogStore.feedback_between``: the feedback row joined with the request it rates.
FEEDBACK_COLUMNS: list[str] = [
    "feedback_id",
    "response_id",
    "created_at",
    "rating",
    "correction",
    "comment",
    "prompt",
    "response",
    "variant",
    "model_name",
    "model_version",
    "request_created_at",
    "messages",
    "rag_context",
    "pinned",
]


#: The longest stored error message (cut after redaction).
MAX_ERROR_CHARS = 2000


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, before a placeholder the cut would split ("<EMAIL")."""
    cut = text[:limit]
    for match in _PLACEHOLDER.finditer(text, max(0, limit - 40), limit + 40):
        if match.start() < limit < match.end():
            return text[: match.start()]
    return cut

class UTCDateTime(TypeDecorator[datetime]):
    """A datetime that always goes in and comes out as timezone-aware UTC.

    SQLite has no time zones (it would hand back naive datetimes) while Postgres converts to the session
    zone; normalising here keeps both backends and all callers on UTC. Naive input is taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = _as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return _as_utc(value)


def _as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive input is taken to be UTC already)."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Base(DeclarativeBase):
    pass


class RequestRow(_Base):
    """One served completion (table ``requests``)."""

    __tablename__ = "requests"

    response_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    variant: Mapped[str] = mapped_column(String(64), index=True)
    model_name: Mapped[str] = mapped_column(String(256))
    model_version: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    prompt: Mapped[str] = mapped_column(Text)
    response: Mapped[str] = mapped_column(Text)
    latency_ms: Mapped[float] = mapped_column()
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: A chat request's conversation as the client sent it (JSON ``[{"role", "content"}]``, every content
    #: redacted like the prompt), so training data made from the answer keeps the earlier turns; None for
    #: a completions request, whose prompt is the whole input.
    messages: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The retrieved passages a hybrid-RAG server added to a chat request (JSON ``{"placement": "system" |
    #: "user", "context": <the passages' block, redacted>}``: ``rag.index.insert_context`` puts it back into
    #: ``messages`` where the server put it); None when nothing was retrieved.
    rag_context: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: True when the client named the variant (``<model>@challenger``) instead of being routed: such traffic
    #: (a tester, a pinned integration) is not a random share of users, so the rollout gates and the A/B
    #: analysis leave it out. None in rows written before the column existed (read as routed).
    pinned: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


#: Columns added to ``requests`` after its first release: (name, SQL type). ``LogStore`` adds the missing
#: ones to an existing table when it opens it (``create_all`` only creates tables that do not exist).
_ADDED_REQUEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("messages", "TEXT"), ("rag_context", "TEXT"), ("pinned", "BOOLEAN")
)


class FeedbackRow(_Base):
    """One rating (and optional correction) of a served completion (table ``feedback``)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    response_id: Mapped[str] = mapped_column(ForeignKey("requests.response_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    correction: Mapped[str | None] = mapped_column(Text, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)


class PiiMappingRow(_Base):
    """The placeholders a request's redaction used, keyed by an HMAC of each value, never the value (table
    ``pii_mappings``): a later correction of that answer is redacted with the same placeholders."""

    __tablename__ = "pii_mappings"

    response_id: Mapped[str] = mapped_column(ForeignKey("requests.response_id"), primary_key=True)
    mapping: Mapped[str] = mapped_column(Text)  # JSON {"<type>:<hmac>": "<TYPE_n>"}


class StoreKeyRow(_Base):
    """Secrets of the store (table ``store_keys``): the HMAC key of ``pii_mappings`` when the environment
    gives none (``FINETUNE_PLATFORM_PII_HMAC_KEY``)."""

    __tablename__ = "store_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class _DigestMapping(dict):  # type: ignore[type-arg]
    """A redactor's placeholder mapping (``(type, value) -> placeholder``) that keeps ``(type, HMAC(value))``
    as its keys: a redactor reads and writes it as it would a plain dict (``get``, ``[]``, ``in``, and
    iterating ``(type, _)`` pairs to number a new placeholder), and what is stored holds no raw value."""

    def __init__(self, key: bytes, stored: dict[str, str] | None = None) -> None:
        super().__init__()
        self._key = key
        #: values to look for in later text of the request (:meth:`remember`): (length, HMAC of the value as
        #: written) -> placeholder
        self._spread: dict[tuple[int, str], str] = {}
        self._surface: Any = None
        for name, placeholder in (stored or {}).items():
            if name.startswith(_SPREAD_PREFIX):
                length, _, digest = name[len(_SPREAD_PREFIX):].partition(":")
                self._spread[(int(length), digest)] = placeholder
                continue
            kind, _, digest = name.partition(":")
            super().__setitem__((kind, digest), placeholder)

    def _digest(self, key: Any) -> tuple[str, str]:
        kind, value = key if isinstance(key, tuple) and len(key) == 2 else ("", key)
        return str(kind), hmac.new(self._key, repr(value).encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(self._digest(key), default)

    def __getitem__(self, key: Any) -> str:
        return super().__getitem__(self._digest(key))

    def __setitem__(self, key: Any, value: str) -> None:
        super().__setitem__(self._digest(key), value)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._digest(key))

    def reserve(self, texts: Iterable[str]) -> None:
        """Number this request's new placeholders after those its ``texts`` quote already: retrieved
        passages are curated text with their own ``<EMAIL_1>``, and a model trained on redacted data
        answers with them. One entry per type, keyed by no value, holds its highest number (redactors that
        number one past the highest a mapping holds, as the curation redactor does, then go on from it)."""
        taken: dict[str, int] = {}
        for text in texts:
            for placeholder in _PLACEHOLDER.findall(text) if "<" in text else ():
                kind, _, number = placeholder[1:-1].rpartition("_")
                if kind and number.isdigit():
                    taken[kind] = max(taken.get(kind, 0), int(number))
        for kind, highest in taken.items():
            super().__setitem__((kind, "quoted"), f"<{kind}_{highest}>")

    def remember(self, matches: Iterable[Any]) -> None:
        """Keep the values of ``matches`` (``PiiMatch``es the request's redaction replaced, whose values are PII
        wherever they recur: ``curation.pii.spread_in_fields``) as text to look for in a later correction or
        comment of this request (:meth:`spread_into`): a number the prompt revealed after "my ssn is" is not
        found by a detector in a correction that only repeats it. Kept as (length, HMAC of the value as written),
        names in capitals too, never the value."""
        for match in matches:
            placeholder = self.get((match.type, match.normalized or match.value))
            if placeholder is None or not match.value:
                continue
            forms = {match.value, match.value.upper()} if match.type == "PERSON" else {match.value}
            for form in forms:
                self._spread[(len(form), self._surface_digest(form))] = placeholder

    def spread_into(self, text: str) -> str:
        """``text`` with every whole-word occurrence (no word character right before or after it) of a value
        :meth:`remember` kept replaced by that value's placeholder, longer values first."""
        if not self._spread or not text:
            return text
        lengths = sorted({length for length, _ in self._spread}, reverse=True)
        word = [bool(_WORD_CHAR.match(c)) for c in text]
        size = len(text)
        found: list[tuple[int, int, str]] = []  # (start, end, placeholder)
        taken = [False] * size
        starts = [i for i in range(size) if not i or not word[i - 1]]  # no word character right before
        for length in lengths:  # longest first: "Chidi Okeke" before "Chidi"
            for start in starts:
                end = start + length
                if end > size or (end < size and word[end]) or any(taken[start:end]):
                    continue
                placeholder = self._spread.get((length, self._surface_digest(text[start:end])))
                if placeholder is not None:
                    found.append((start, end, placeholder))
                    taken[start:end] = [True] * length
        if not found:
            return text
        pieces, last = [], 0
        for start, end, placeholder in sorted(found):
            pieces += [text[last:start], placeholder]
            last = end
        return "".join(pieces) + text[last:]

    def _surface_digest(self, value: str) -> str:
        if self._surface is None:  # the keyed state once, copied per value (a correction tries hundreds)
            self._surface = hmac.new(self._key, b"as written\x00", hashlib.sha256)
        digest = self._surface.copy()
        digest.update(value.encode("utf-8"))
        return digest.hexdigest()[:32]

    def stored(self) -> dict[str, str]:
        """The mapping as stored: ``{"<type>:<hmac>": placeholder}``, and ``{"spread:<length>:<hmac>":
        placeholder}`` for each value :meth:`remember` kept."""
        stored = {f"{kind}:{digest}": placeholder for (kind, digest), placeholder in dict.items(self)}
        stored.update({f"{_SPREAD_PREFIX}{length}:{digest}": p for (length, digest), p in self._spread.items()})
        return stored


#: Key prefix of the values a request's mapping keeps to look for in later text (``_DigestMapping.remember``).
_SPREAD_PREFIX = "spread:"
#: A word character, as the curation redactor's whole-word rule reads one (``re``'s ``\w``).
_WORD_CHAR = re.compile(r"\w")


def default_store_url(settings: Settings) -> str:
    """The embedded default: a SQLite file under the platform's production data folder."""
    return f"sqlite:///{settings.production_dir / 'logs.db'}"


def default_redactor() -> Redactor:
    """The curation stage's ``PiiRedactor`` as a ``Redactor`` function.

    Imported lazily so the store stays importable on its own; failing loudly (rather than storing raw
    text) is deliberate: a log store without redaction must be asked for explicitly.
    """
    try:
        from finetune_platform.curation.pii import PiiRedactor
    except ImportError as exc:
        raise ImportError(
            "LogStore redacts prompts on write with finetune_platform.curation.pii.PiiRedactor, which could "
            f"not be imported ({exc}). Pass redactor=... to LogStore (or redactor=None to store text as is)."
        ) from exc
    return _CurationRedactor(PiiRedactor())


class _CurationRedactor:
    """The curation stage's ``PiiRedactor`` as a ``Redactor``, with curation's record-level step
    (:meth:`spread`), which a plain ``Redactor`` function does not have."""

    def __init__(self, redactor: Any) -> None:
        self._redactor = redactor

    def __call__(self, text: str, mapping: dict[Any, str]) -> str:
        redacted, _counts = self._redactor.redact(text, mapping)
        return redacted

    def spread(self, raws: list[str], redacted: list[str], mapping: dict[Any, str]) -> list[Any]:
        """``curation.pii.spread_in_fields``: in place in ``redacted`` (the fields of one request, each redacted
        on its own), every value one of ``raws`` revealed, wherever another field repeats it; returns those
        values' matches."""
        from finetune_platform.curation.pii import spread_in_fields

        return spread_in_fields(self._redactor, raws, redacted, mapping)


def redact_message(message: str, context: Sequence[str] = (), redactor: Redactor | None = None) -> str:
    """``message`` (an exception's text, for a log line) redacted as the store redacts a request's ``error``:
    with the request's ``context`` (its prompts) redacted first with the same mapping, and every value they
    revealed replaced where the message repeats it, so that a backend quoting the prompt ("cannot encode input
    'my ssn is 123456789'") leaks no more than the stored row. ``redactor`` defaults to
    :func:`default_redactor`'s. Nothing is stored: the mapping lives only as long as the call."""
    redact = redactor if redactor is not None else _shared_default_redactor()
    if not message:
        return message
    mapping: dict[Any, str] = {}
    raws = [*(text for text in context if text), message]
    fields = [redact(text, mapping) for text in raws]
    spread = getattr(redact, "spread", None)
    if spread is not None:
        spread(raws, fields, mapping)
    return fields[-1]


_SHARED: list[Redactor] = []


def _shared_default_redactor() -> Redactor:
    """One :func:`default_redactor` for :func:`redact_message` calls without a store (it keeps no state)."""
    if not _SHARED:
        _SHARED.append(default_redactor())
    return _SHARED[0]


_DEFAULT = object()


class LogStore:
    """Requests and feedback in a SQL database, safe to share across a server's threads.

    One engine (a connection pool) per store; every call opens a short session and commits before it
    returns, so threads never share a session. SQLite runs in WAL mode so readers (the monitoring
    assets) do not block the writer (the server).

    Args:
        url: a SQLAlchemy URL: ``sqlite:///path/logs.db`` (default embedded store; the folder is
            created), ``sqlite://`` (in memory, one shared connection), or ``postgresql+psycopg://...``.
        redactor: applied to prompt, response, correction and comment before they are written (see
            ``Redactor``). Defaults to the curation stage's ``PiiRedactor``; ``None`` stores text
            unchanged (only for data known to be clean, e.g. synthetic traffic in tests).
    """

    def __init__(self, url: str, redactor: Redactor | None | object = _DEFAULT) -> None:
        self.url = url
        chosen = default_redactor() if redactor is _DEFAULT else redactor
        self._redact: Redactor | None = chosen  # type: ignore[assignment]
        self.engine = _make_engine(url)
        _create_tables(self.engine)
        _add_missing_columns(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._key: bytes | None = None

    def __repr__(self) -> str:
        return f"LogStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        """Release the connection pool (the store must not be used afterwards)."""
        self.engine.dispose()

    def redact_message(self, message: str, context: Sequence[str] = ()) -> str:
        """:func:`redact_message` with this store's redactor (a store made with ``redactor=None`` keeps text as
        is, so this returns ``message`` unchanged)."""
        if self._redact is None:
            return message
        return redact_message(message, context, self._redact)

    # ------------------------------------------------------------------ writes

    def log_request(
        self,
        *,
        prompt: str,
        response: str,
        model_name: str,
        model_version: str,
        variant: str = "champion",
        user_id: str | None = None,
        latency_ms: float = 0.0,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        status_code: int = 200,
        error: str | None = None,
        response_id: str | None = None,
        created_at: datetime | None = None,
        messages: list[dict[str, str]] | None = None,
        rag_context: dict[str, str] | None = None,
        pinned: bool = False,
    ) -> str:
        """Record one served completion and return its ``response_id``.

        ``response_id`` defaults to a new ``resp-<uuid>``; a server passes its own (the id it returned
        to the client, which the client later sends with feedback). ``created_at`` defaults to now (UTC);
        naive datetimes are taken as UTC. Prompt and response are redacted before they are written.
        ``messages``: a chat request's conversation as the client sent it (``[{"role", "content"}]``, the
        system and earlier assistant turns included), redacted with the same placeholders as the prompt;
        DPO pairs made from feedback on this answer render it whole (``feedback.prompts_as_served``).
        ``rag_context``: the passages a knowledge index added to the conversation, as the server reports
        them (``{"placement": "system" | "user", "context": str}``), redacted; DPO puts them back.
        ``pinned``: the client named the variant (``<model>@challenger``) rather than being routed.
        """
        if not isinstance(prompt, str) or not isinstance(response, str):
            raise TypeError(
                f"log_request: prompt and response must be str, got {type(prompt).__name__} and "
                f"{type(response).__name__}"
            )
        if not variant or not isinstance(variant, str):
            raise ValueError(f"log_request: variant must be a non-empty string such as 'champion', got {variant!r}")
        for name, value in (
            ("latency_ms", latency_ms),
            ("prompt_tokens", prompt_tokens),
            ("completion_tokens", completion_tokens),
        ):
            if value < 0:
                raise ValueError(f"log_request: {name} must be >= 0, got {value!r}")
        context = _checked_rag_context(rag_context)
        mapping = _DigestMapping(self._hmac_key())
        # the user's values must not take the placeholders the passages or the model's answer quote
        mapping.reserve([
            prompt, response, error or "", context[1] if context is not None else "",
            *(t.get("content") for t in messages or () if isinstance(t, dict) and isinstance(t.get("content"), str)),
        ])
        row = RequestRow(
            response_id=response_id or f"resp-{uuid.uuid4().hex}",
            created_at=_as_utc(created_at) if created_at is not None else datetime.now(UTC),
            variant=variant,
            model_name=model_name,
            model_version=str(model_version),
            user_id=self._pseudonymous(user_id),
            prompt=self._redacted(prompt, mapping),
            response=self._redacted(response, mapping),
            latency_ms=float(latency_ms),
            prompt_tokens=int(prompt_tokens),
            completion_tokens=int(completion_tokens),
            status_code=int(status_code),
            error=self._redacted(error, mapping) if error else error,  # a backend's message may quote the prompt
            pinned=bool(pinned),
        )
        turns = None
        if messages is not None:  # after the prompt, so the prompt's placeholders are numbered first
            redact = (lambda text: self._redact(text, mapping)) if self._redact is not None else None  # noqa: E731
            turns = _redacted_turns(messages, redact, prompt, row.prompt)
        block = self._redacted(context[1], mapping) if context is not None else None
        spread = getattr(self._redact, "spread", None)
        if spread is not None:
            # What one field revealed, wherever another repeats it (the answer quoting the number the prompt
            # gave after "my ssn is"), as curation does for a record; kept (as HMACs) for the feedback on it.
            raw_turns = [t["content"] for t in messages] if turns is not None else []  # type: ignore[union-attr]
            raws = [prompt, response, error or "", *raw_turns, context[1] if context is not None else ""]
            if raw_turns:  # the context that spans turns, as the turns were redacted
                raws += ["\n".join(c for t, c in zip(messages, raw_turns) if t["role"] == "user"),  # type: ignore[union-attr]
                         "\n".join(raw_turns)]
            fields = [row.prompt, row.response, row.error or "", *(t["content"] for t in turns or ()), block or ""]
            mapping.remember(spread(raws, fields, mapping))
            row.prompt, row.response = fields[0], fields[1]
            row.error = fields[2] if row.error else row.error
            for turn, content in zip(turns or (), fields[3:-1], strict=True):
                turn["content"] = content
            block = fields[-1] if block is not None else None
        if row.error and len(row.error) > MAX_ERROR_CHARS:
            # cut after redaction, never before: a cut inside a value would leave a piece no detector finds
            row.error = _cut(row.error, MAX_ERROR_CHARS)
        if turns is not None:
            row.messages = json.dumps(turns, ensure_ascii=False)
        if context is not None:
            row.rag_context = json.dumps({"placement": context[0], "context": block}, ensure_ascii=False)
        try:
            with self._sessions.begin() as session:
                session.add(row)
                if len(mapping):
                    session.flush()  # the request row first: the mapping's foreign key points at it
                    session.add(PiiMappingRow(response_id=row.response_id, mapping=json.dumps(mapping.stored())))
        except IntegrityError as exc:
            raise ValueError(
                f"log_request: response_id {row.response_id!r} is already logged; every completion needs a "
                "unique id (omit response_id to get a generated one)."
            ) from exc
        return row.response_id

    def log_feedback(
        self,
        response_id: str,
        rating: int,
        correction: str | None = None,
        comment: str | None = None,
        *,
        created_at: datetime | None = None,
    ) -> int:
        """Record a user's rating of a logged completion; returns the feedback id.

        ``rating`` is -1 (thumbs down), 0 (neutral) or 1 (thumbs up). ``correction`` is the answer the
        user says the model should have given (it becomes training data); empty or blank text is stored
        as no correction. Raises ValueError for an unknown ``response_id`` or a rating outside -1/0/1.
        """
        if isinstance(rating, bool) or not isinstance(rating, int) or rating not in RATING_VALUES:
            raise ValueError(
                f"log_feedback: rating must be -1 (thumbs down), 0 (neutral) or 1 (thumbs up), got {rating!r}. "
                "Map other scales (e.g. 1-5 stars) onto these three values before logging."
            )
        unknown = (
            f"log_feedback: unknown response_id {response_id!r}: no logged request has this id. "
            "Send feedback with the id returned by the completion it rates."
        )
        # The request's own placeholders: a correction that names the same address says <EMAIL_1> like the
        # prompt it corrects, and a new value gets the next number.
        with self._sessions() as session:
            request = session.get(RequestRow, response_id)
            if request is None:
                raise ValueError(unknown)
            logged = _request_texts(request)
            known = session.get(PiiMappingRow, response_id)
            stored = json.loads(known.mapping) if known is not None else {}
        mapping = _DigestMapping(self._hmac_key(), stored)
        texts = [self._redacted_optional(correction, mapping), self._redacted_optional(comment, mapping)]
        spread = getattr(self._redact, "spread", None)
        raws = [correction or "", comment or ""]
        redacted_logged = logged
        if spread is not None and any(texts):
            # as for the fields of a request: what the correction or the comment revealed, in the other, and
            # where the logged request held it unnoticed ("please update 123456789", then "your ssn is ...")
            together = [*(text or "" for text in texts), *logged]  # changed in place
            found = spread(raws, together, mapping)
            # what the request revealed ("my ssn is 123456789"), where the feedback repeats it ("for 123456789")
            texts = [mapping.spread_into(field) if text else text for field, text in zip(together[:2], texts, strict=True)]
            mapping.remember(found)
            redacted_logged = together[2:]
        row = FeedbackRow(
            response_id=response_id,
            created_at=_as_utc(created_at) if created_at is not None else datetime.now(UTC),
            rating=rating,
            correction=texts[0],
            comment=texts[1],
        )
        with self._sessions.begin() as session:
            request = session.get(RequestRow, response_id)
            if request is None:
                raise ValueError(unknown)
            if spread is not None and any(texts):
                current = _request_texts(request)
                if current != logged:  # another feedback changed the request meanwhile: from what it is now
                    spread(raws, current, mapping)
                    redacted_logged = current
                _set_request_texts(request, redacted_logged)
            session.add(row)
            if mapping.stored() != stored:  # a new value: a later feedback numbers after it, and finds it
                session.merge(PiiMappingRow(response_id=response_id, mapping=json.dumps(mapping.stored())))
            session.flush()
            return row.id

    # ------------------------------------------------------------------ reads

    def has_response(self, response_id: str) -> bool:
        """True when a request with this ``response_id`` was logged."""
        with self._sessions() as session:
            return session.get(RequestRow, response_id) is not None

    def requests_between(self, start: datetime, end: datetime) -> pd.DataFrame:
        """Requests with ``start <= created_at < end`` (UTC), oldest first, columns ``REQUEST_COLUMNS``."""
        start, end = _window(start, end)
        query = (
            select(*(getattr(RequestRow, c) for c in REQUEST_COLUMNS))
            .where(RequestRow.created_at >= start, RequestRow.created_at < end)
            .order_by(RequestRow.created_at, RequestRow.response_id)
        )
        with self._sessions() as session:
            rows = session.execute(query).all()
        return _frame(rows, REQUEST_COLUMNS)

    def requests_by_id(self, response_ids: Iterable[str]) -> pd.DataFrame:
        """The logged requests with these ``response_id`` values (any day), oldest first, columns
        ``REQUEST_COLUMNS``; ids that were never logged are left out."""
        ids = sorted({str(i) for i in response_ids})
        rows: list[Any] = []
        with self._sessions() as session:
            for start in range(0, len(ids), 500):  # SQLite bounds the parameters of one statement
                query = select(*(getattr(RequestRow, c) for c in REQUEST_COLUMNS)).where(
                    RequestRow.response_id.in_(ids[start:start + 500])
                )
                rows += session.execute(query).all()
        frame = _frame(rows, REQUEST_COLUMNS)
        return frame.sort_values(["created_at", "response_id"], kind="stable").reset_index(drop=True)

    def latest_feedback_ids(self, response_ids: Iterable[str]) -> dict[str, int]:
        """For each of ``response_ids`` that has feedback, the id of its latest feedback row (by
        ``created_at``, then id), over all days: a user who rates an answer again changes their verdict."""
        ids = sorted({str(i) for i in response_ids})
        latest: dict[str, tuple[datetime, int]] = {}
        with self._sessions() as session:
            for start in range(0, len(ids), 500):
                query = select(FeedbackRow.response_id, FeedbackRow.created_at, FeedbackRow.id).where(
                    FeedbackRow.response_id.in_(ids[start:start + 500])
                )
                for response_id, created_at, feedback_id in session.execute(query).all():
                    key = (_as_utc(created_at), int(feedback_id))
                    if response_id not in latest or key > latest[response_id]:
                        latest[response_id] = key
        return {rid: fid for rid, (_, fid) in latest.items()}

    def feedback_between(self, start: datetime, end: datetime) -> pd.DataFrame:
        """Feedback with ``start <= created_at < end`` joined with the rated request's prompt, response
        and variant; oldest first, columns ``FEEDBACK_COLUMNS``."""
        start, end = _window(start, end)
        query = (
            select(
                FeedbackRow.id.label("feedback_id"),
                FeedbackRow.response_id,
                FeedbackRow.created_at,
                FeedbackRow.rating,
                FeedbackRow.correction,
                FeedbackRow.comment,
                RequestRow.prompt,
                RequestRow.response,
                RequestRow.variant,
                RequestRow.model_name,
                RequestRow.model_version,
                RequestRow.created_at.label("request_created_at"),
                RequestRow.messages,
                RequestRow.rag_context,
                RequestRow.pinned,
            )
            .join(RequestRow, FeedbackRow.response_id == RequestRow.response_id)
            .where(FeedbackRow.created_at >= start, FeedbackRow.created_at < end)
            .order_by(FeedbackRow.created_at, FeedbackRow.id)
        )
        with self._sessions() as session:
            rows = session.execute(query).all()
        return _frame(rows, FEEDBACK_COLUMNS)

    def count_feedback_examples(self, since: datetime | None = None) -> int:
        """How many answers have feedback that becomes training examples: a correction on a rating that is
        not a thumbs-up, in the answer's latest feedback row (a user who rates again, or resends a
        correction, counts once, with their last verdict; see ``monitoring.feedback.trainable_feedback``).

        This is what the retraining sensor watches; ``since`` limits the count to newer feedback.
        """
        later = aliased(FeedbackRow)
        superseded = (
            select(later.id)
            .where(
                later.response_id == FeedbackRow.response_id,
                or_(
                    later.created_at > FeedbackRow.created_at,
                    and_(later.created_at == FeedbackRow.created_at, later.id > FeedbackRow.id),
                ),
            )
            .exists()
        )
        query = select(func.count(FeedbackRow.id)).where(
            FeedbackRow.correction.is_not(None), FeedbackRow.rating <= 0, ~superseded
        )
        if since is not None:
            query = query.where(FeedbackRow.created_at >= _as_utc(since))
        with self._sessions() as session:
            return int(session.execute(query).scalar_one())

    # ------------------------------------------------------------------ helpers

    def _hmac_key(self) -> bytes:
        """The key of the ``pii_mappings`` HMACs: ``FINETUNE_PLATFORM_PII_HMAC_KEY``, else a random key kept
        in the store (created once). Keep the variable set in production: a key stored beside the digests
        does not stop someone holding the database from testing guessed values."""
        if self._key is None:
            configured = pii_hmac_key()
            if configured:
                self._key = configured.encode("utf-8")
            else:
                try:
                    with self._sessions.begin() as session:
                        row = session.get(StoreKeyRow, "pii_hmac")
                        if row is None:
                            row = StoreKeyRow(name="pii_hmac", value=secrets.token_hex(32))
                            session.add(row)
                        value = row.value
                except IntegrityError:  # another thread or process created it first: use theirs
                    with self._sessions() as session:
                        value = session.get(StoreKeyRow, "pii_hmac").value  # type: ignore[union-attr]
                self._key = value.encode("utf-8")
        return self._key

    def _pseudonymous(self, user_id: str | None) -> str | None:
        """``user_id`` as given, or, when it holds PII (clients often send an e-mail address as OpenAI's
        ``user``), a stable pseudonym ``user-<HMAC prefix>`` under the store's PII key (as the request
        mappings): still one id per user for per-user analysis, without the address in the database, and
        not testable against guessed addresses without the key (a bare SHA-256 was). Routing hashes the raw
        id itself and needs none."""
        if not user_id or self._redact is None or self._redact(user_id, {}) == user_id:
            return user_id
        return "user-" + hmac.new(self._hmac_key(), user_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def _redacted(self, text: str, mapping: dict[Any, str]) -> str:
        return self._redact(text, mapping) if self._redact is not None and text else text

    def _redacted_optional(self, text: str | None, mapping: dict[Any, str]) -> str | None:
        if text is None or not text.strip():
            return None
        return self._redacted(text, mapping)


def _request_texts(request: RequestRow) -> list[str]:
    """The stored texts of ``request`` a later redaction may change: prompt, response, error, each turn of the
    conversation and the retrieved passages ("" where there is none); :func:`_set_request_texts` writes them
    back."""
    turns = json.loads(request.messages) if request.messages else []
    context = json.loads(request.rag_context) if request.rag_context else None
    return [request.prompt, request.response, request.error or "", *(t["content"] for t in turns),
            context["context"] if context is not None else ""]


def _set_request_texts(request: RequestRow, texts: list[str]) -> None:
    """Write ``texts`` (:func:`_request_texts`, changed) back into ``request``: only the columns that changed."""
    if texts == _request_texts(request):
        return
    request.prompt, request.response = texts[0], texts[1]
    if request.error:
        request.error = texts[2]
    if request.messages:
        turns = json.loads(request.messages)
        if [t["content"] for t in turns] != texts[3:-1]:
            for turn, content in zip(turns, texts[3:-1], strict=True):
                turn["content"] = content
            request.messages = json.dumps(turns, ensure_ascii=False)
    if request.rag_context:
        context = json.loads(request.rag_context)
        if context["context"] != texts[-1]:
            request.rag_context = json.dumps({**context, "context": texts[-1]}, ensure_ascii=False)


def _make_engine(url: str) -> Engine:
    """One engine per store; SQLite gets cross-thread connections, WAL and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database
    in_memory = not database or database == ":memory:"
    if in_memory:
        # Every pooled connection to ":memory:" would be a different empty database: share one.
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _create_tables(engine: Engine, attempts: int = 5) -> None:
    """The store's tables and indexes, created where missing. ``create_all`` checks, then creates: two
    processes opening a new store at once (a second server, the daemon) race between the two, and the loser
    gets "table already exists"; it checks again, when the other's tables are there."""
    for attempt in range(attempts):
        try:
            _Base.metadata.create_all(engine)
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _add_missing_columns(engine: Engine) -> None:
    """Bring a ``requests`` table written by an earlier release up to date (:data:`_ADDED_REQUEST_COLUMNS`):
    each added column is nullable, so old rows read as None (no conversation logged)."""
    table = RequestRow.__tablename__
    for name, sql_type in _ADDED_REQUEST_COLUMNS:
        if name in {column["name"] for column in inspect(engine).get_columns(table)}:
            continue
        try:
            with engine.begin() as connection:
                connection.execute(sql_text(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}"))
        except DBAPIError:
            # another process (a second server, the daemon) opening the same store added it first
            if name not in {column["name"] for column in inspect(engine).get_columns(table)}:
                raise


def _checked_rag_context(value: Any) -> tuple[str, str] | None:
    """``log_request``'s ``rag_context`` as (placement, context), None for none; a ValueError that says what
    is wrong with it (without quoting the passages)."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"placement", "context"}:
        keys = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise ValueError(
            f"log_request: rag_context must be {{'placement': 'system' | 'user', 'context': <str>}}, got {keys}"
        )
    placement, context = value["placement"], value["context"]
    if placement not in ("system", "user") or not isinstance(context, str) or not context:
        raise ValueError(
            "log_request: rag_context needs placement 'system' or 'user' and a non-empty context string, got "
            f"placement {placement!r} and a context of type {type(context).__name__}"
        )
    return placement, context


def _redacted_turns(
    messages: Any, redact: Callable[[str], str] | None, prompt: str | None = None, redacted_prompt: str | None = None
) -> list[dict[str, str]] | None:
    """``messages`` (a list of ``{"role", "content"}`` turns) as the turns the store keeps (as JSON), or None
    for an empty list or a conversation that cannot be stored as redacted as its prompt; a clear ValueError
    naming the turn (not quoting it: it may hold PII) when one is malformed.

    Turns are not redacted one by one: a detector that needs context ("my SSN is" in one turn, the number
    in the next) would miss what it finds in the prompt, the user turns joined. The user turns are redacted
    together first (the prompt's context), then every turn together (an assistant's question can be the
    context of a user's answer), each time joined by a separator no content holds and split again. When
    ``prompt`` is the user turns joined by newlines (what the server logs), every placeholder of
    ``redacted_prompt`` must then be in the redacted user turns as often: otherwise, or should a redaction
    swallow a separator, the conversation is not stored (None) rather than stored with a value the prompt hid
    (see :func:`_redacted_as_the_prompt`).
    """
    if isinstance(messages, (str, bytes)) or not isinstance(messages, (list, tuple)):
        raise ValueError(
            f"log_request: messages must be a list of {{'role': str, 'content': str}} turns, got "
            f"{type(messages).__name__}"
        )
    roles, contents = [], []
    for i, turn in enumerate(messages):
        role = turn.get("role") if isinstance(turn, dict) else None
        content = turn.get("content") if isinstance(turn, dict) else None
        if not isinstance(role, str) or not role or not isinstance(content, str):
            shape = (
                {k: type(v).__name__ for k, v in turn.items()} if isinstance(turn, dict) else type(turn).__name__
            )
            raise ValueError(
                f"log_request: messages[{i}] must be {{'role': <non-empty str>, 'content': <str>}}, got {shape}"
            )
        roles.append(role)
        contents.append(content)
    if not roles:
        return None
    if redact is not None:
        user = [i for i, role in enumerate(roles) if role == "user"]
        raw_user_text = "\n".join(contents[i] for i in user)
        redacted = _redact_together(contents, redact, user)
        redacted = _redact_together(redacted, redact, range(len(contents))) if redacted is not None else None
        if redacted is None or (
            prompt == raw_user_text
            and redacted_prompt is not None
            and not _redacted_as_the_prompt(prompt, redacted_prompt, [redacted[i] for i in user])
        ):
            logger.warning(
                "log_request: the conversation of a request is not stored: its turns could not be redacted as "
                "its prompt was (the prompt and the answer are stored)"
            )
            return None
        contents = redacted
    return [{"role": r, "content": c} for r, c in zip(roles, contents, strict=True)]


def _redact_together(contents: list[str], redact: Callable[[str], str], indices: Any) -> list[str] | None:
    """``contents`` with those at ``indices`` redacted as one text, joined by a separator none of them holds
    (NUL is neither a word character nor white space to the detectors, so no match runs across it); None
    when the redaction swallowed a separator."""
    chosen = list(indices)
    if not chosen:
        return list(contents)
    parts = [contents[i] for i in chosen]
    separator = "\n\x00\n"
    # splitting the joined text must give the contents back: no content holds the separator, and joining
    # makes none (a content ending in "\n\x00" right before it)
    while separator.join(parts).split(separator) != parts:
        separator = separator[:-1] + "\x00\n"
    parts = redact(separator.join(parts)).split(separator)
    if len(parts) != len(chosen):
        return None
    out = list(contents)
    for i, part in zip(chosen, parts, strict=True):
        out[i] = part
    return out


#: A placeholder as redactors write them: ``<EMAIL_1>``, ``<US_SSN_2>`` (or a bare ``<EMAIL>``).
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*?(?:_\d+)?>")


def _redacted_as_the_prompt(prompt: str, redacted_prompt: str, redacted_turns: list[str]) -> bool:
    """Whether the redacted user turns hide everything the redacted prompt (those turns joined by newlines)
    hides: they are the redacted prompt again, joined; or, when the redaction wrote placeholders of the
    ``<TYPE_n>`` form (not ones the prompt quoted already), each of the prompt's is in the turns as often (a
    detector may see other context across the turns' separator). A redactor writing another form whose
    turns differ from its prompt cannot be checked that way: only when it hid nothing in the prompt."""
    if "\n".join(redacted_turns) == redacted_prompt:
        return True
    if Counter(_PLACEHOLDER.findall(redacted_prompt)) - Counter(_PLACEHOLDER.findall(prompt)):
        # the redaction wrote <TYPE_n> placeholders (the prompt may quote some, or text that looks like one)
        return not _placeholders_missing(redacted_prompt, redacted_turns)
    return redacted_prompt == prompt


def _placeholders_missing(redacted_prompt: str, redacted_turns: list[str]) -> bool:
    """Whether some placeholder of ``redacted_prompt`` occurs fewer times in ``redacted_turns``: a value the
    prompt's redaction removed is then still in a turn."""
    wanted = Counter(_PLACEHOLDER.findall(redacted_prompt))
    found = Counter(p for turn in redacted_turns for p in _PLACEHOLDER.findall(turn))
    return any(found[p] < n for p, n in wanted.items())


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = _as_utc(start), _as_utc(end)
    if end < start:
        raise ValueError(f"time window is reversed: start {start.isoformat()} is after end {end.isoformat()}")
    return start, end


def _frame(rows: list[Any], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    for column in ("created_at", "request_created_at"):
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column], utc=True)
    if "pinned" in frame.columns:  # None in rows written before the column existed: they were routed
        frame["pinned"] = pd.Series([bool(v) for v in frame["pinned"]], index=frame.index, dtype=bool)
    return frame
