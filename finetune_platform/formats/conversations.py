"""Curated records -> chat conversations (OpenAI ``messages``) for chat-template SFT.

The instruction pairs of :mod:`finetune_platform.formats.instructions` train any causal LM with plain
text markers; a real chat model is better fine-tuned on whole conversations rendered through its own chat
template (TRL's ``messages`` column). This module builds those conversations:

- a chat record keeps its turns (``messages``); any other record becomes one exchange, user = ``text``,
  assistant = ``response``;
- an optional system prompt from the settings comes first;
- turns are cleaned so that common chat templates accept them: consecutive messages of one role are
  merged (many templates insist on user/assistant alternation), ``developer`` counts as ``system``,
  ``tool`` messages and empty messages are dropped, and an agent greeting before the customer's first
  message or a customer message left unanswered at the end can be dropped.

A record that ends up without a user or an assistant turn cannot train anything; it is skipped with a
named reason in ``ConversationResult.skipped`` (``schemas.DROPPED_COLUMNS``), never silently.

:func:`conversation_sft_pairs` turns conversations into prompt/completion SFT pairs (task ``"chat"``): one
per assistant reply, the prompt being the conversation so far rendered through the model's chat template
with the generation prompt, as the server renders a chat request.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field, model_validator

from finetune_platform.formats.instructions import normalise_label
from finetune_platform.ingest.readers import json_type, kept_message, untrained
from finetune_platform.formats.templates import (
    _TEMPLATE_ERRORS,
    _check_contents,
    _check_specials,
    _special_tokens,
    render_chat_prompt,
)
from finetune_platform.schemas import DROPPED_COLUMNS, EXAMPLE_COLUMNS, RECORD_COLUMNS

#: ``conversation_examples``: one row per record that yields a conversation.
#: - example_id: ``"{record_id}::chat"``; label: the record's category, normalised like instruction labels.
#: - messages: JSON list of ``{"role", "content"}`` (roles system / user / assistant), ready for TRL.
CONVERSATION_COLUMNS: list[str] = ["example_id", "record_id", "source", "label", "messages"]

#: Sources whose conversations train on their last assistant reply only, whatever ``turns`` says: corrections
#: of served chat answers (``monitoring.feedback_source.FEEDBACK_CHATS_SOURCE``), where only the last reply
#: (the user's correction) was written by a person; the earlier ones are the served model's own answers.
LAST_TURN_ONLY_SOURCES: frozenset[str] = frozenset({"feedback_chats"})

#: ``stage`` value of the rows in ``ConversationResult.skipped``.
STAGE = "format_conversations"

Message = dict[str, Any]  # role, content and, on a reply not to be trained on, "weight": 0


class ConversationSettings(BaseModel):
    """How records become conversations. Flat, for subclassing as a Dagster config."""

    system_message: Literal["source", "settings", "none"] = Field(
        "source",
        description="Where the system message comes from: 'source' keeps the system (and developer) messages of "
        "chat records, merged into one leading message (a system message that comes after the dialogue has "
        "begun moves there too, and the replies before it, given without it, become context that is not "
        "trained on: counted in moved_system_messages / untrained_before_moved_system); 'settings' puts "
        "system_prompt first in every conversation instead; 'none' drops all system messages.",
    )
    system_prompt: str = Field(
        "",
        max_length=20_000,
        description="The system prompt used when system_message='settings' (required then, not allowed otherwise); "
        "it must hold nothing the PII detectors flag, since every conversation trains on it.",
    )
    max_turns: int | None = Field(
        None,
        ge=1,
        le=1_000,
        description="Keep at most this many user/assistant turns (the first ones; a turn is one message after "
        "merging) per conversation; None keeps all.",
    )
    drop_trailing_user_turn: bool = Field(
        True,
        description="Drop user messages after the last assistant message: they have no answer to learn from.",
    )
    drop_leading_assistant_turns: bool = Field(
        True,
        description="Drop assistant messages before the first user message (agent greetings): many chat "
        "templates require the conversation to start with the user.",
    )
    merge_consecutive_turns: bool = Field(
        True,
        description="Join consecutive messages of the same role with a blank line: many chat templates reject "
        "conversations whose roles do not alternate.",
    )

    @model_validator(mode="after")
    def _system_prompt_matches_mode(self) -> ConversationSettings:
        if self.system_message == "settings" and not self.system_prompt.strip():
            raise ValueError("system_message='settings' needs a non-empty system_prompt; set one or choose 'source'")
        if self.system_message != "settings" and self.system_prompt.strip():
            raise ValueError(
                f"system_prompt is set but system_message is '{self.system_message}', so it would be ignored; "
                "set system_message='settings' to use it, or clear system_prompt"
            )
        if self.system_message == "settings":
            _refuse_pii_in_system_prompt(self.system_prompt)
        return self


def _refuse_pii_in_system_prompt(prompt: str) -> None:
    """Raise when the PII detectors find anything in the configured system prompt: it opens every conversation
    of the training set, so it would be trained into all of them, past curation's redaction (it is no record)."""
    from finetune_platform.curation.pii import scan_for_pii

    hits = scan_for_pii([prompt])
    if hits:
        found = ", ".join(f"{hit.type} at characters {hit.start}-{hit.end} ({hit.masked})" for hit in hits)
        raise ValueError(
            f"system_prompt holds what the PII detectors flag: {found}. It opens every training conversation, so "
            "the model would learn it (and training_set__no_pii fails on it): write it without names, addresses, "
            "numbers or other personal data"
        )


@dataclass
class ConversationResult:
    """What :func:`build_conversations` made.

    examples: ``CONVERSATION_COLUMNS``; skipped: one ``schemas.DROPPED_COLUMNS`` row per record that gave no
    conversation; stats: JSON-serialisable numbers for asset metadata (``records == examples + skipped``).
    """

    examples: pd.DataFrame
    skipped: pd.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)


class InvalidMessagesError(ValueError):
    """A ``messages`` value that is not a JSON list of ``{"role", "content"}`` objects."""


def parse_messages(value: str) -> list[Message]:
    """The turns of a record's ``messages`` JSON string; "" (not a chat record) gives ``[]``.

    Raises :class:`InvalidMessagesError` naming the problem when the JSON or a message is malformed.
    Extra keys of a message (``name``, ``tool_calls``) are dropped: the platform keeps role and content,
    and ``"weight": 0`` on a reply that must not be trained on (``ingest.readers.WEIGHT_KEY``).
    """
    if not str(value).strip():
        return []
    try:
        turns = json.loads(value)
    except json.JSONDecodeError as error:
        raise InvalidMessagesError(f"messages is not valid JSON ({error.msg} at char {error.pos})") from error
    except (ValueError, RecursionError) as error:  # an over-long integer; nesting past the parser's depth
        raise InvalidMessagesError(f"messages is not readable JSON ({type(error).__name__}: {error})") from error
    if not isinstance(turns, list):
        raise InvalidMessagesError(f"messages is {json_type(turns)}, expected an array of messages")
    messages: list[Message] = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict):
            raise InvalidMessagesError(f"messages[{i}] is {json_type(turn)}, expected an object")
        role, content = turn.get("role"), turn.get("content")
        if not isinstance(role, str) or not isinstance(content, str):
            raise InvalidMessagesError(
                f"messages[{i}] needs string 'role' and 'content', found {json_type(role)} and "
                f"{json_type(content)}"
            )
        messages.append(kept_message(role, content, turn))
    return messages


@dataclass
class _Counts:
    """Per-conversation edits, summed into the stats."""

    merged_messages: int = 0
    dropped_tool_messages: int = 0
    dropped_empty_messages: int = 0
    dropped_leading_assistant: int = 0
    dropped_trailing_user: int = 0
    truncated: int = 0
    #: system (or developer) messages after a user or assistant message, moved to the front
    moved_system_messages: int = 0
    #: replies before such a message, kept as context only (``"weight": 0``): they were given without it
    untrained_before_moved_system: int = 0

    def add(self, other: _Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _turns_of(record: Any) -> tuple[list[Message], bool]:
    """The raw turns of a record and whether they came from its ``messages`` (else from text/response)."""
    messages = parse_messages(str(record.messages))
    if messages:
        return messages, True
    turns = [{"role": "user", "content": str(record.text)}]
    if str(record.response).strip():
        turns.append({"role": "assistant", "content": str(record.response)})
    return turns, False


def _clean(turns: list[Message], settings: ConversationSettings, counts: _Counts) -> list[Message]:
    """The conversation after the settings' edits (system handling, drops, merging, truncation)."""
    system_parts: list[str] = []
    dialogue: list[Message] = []
    for turn in turns:
        role, content = turn["role"], turn["content"]
        if role == "tool":
            counts.dropped_tool_messages += 1
            continue
        if not content.strip():
            counts.dropped_empty_messages += 1
            continue
        if role in ("system", "developer"):
            system_parts.append(content.strip())
            if dialogue and settings.system_message == "source":
                # A system message in the middle ("From now on answer in French") must come first for chat
                # templates; moved there, it would claim to govern the replies given before it, so those are
                # kept as context, not trained on (a model would otherwise learn to ignore its system prompt).
                counts.moved_system_messages += 1
                for k, earlier in enumerate(dialogue):
                    if earlier["role"] == "assistant" and not untrained(earlier):
                        dialogue[k] = kept_message("assistant", earlier["content"], {"weight": 0})
                        counts.untrained_before_moved_system += 1
        elif role in ("user", "assistant"):
            dialogue.append(kept_message(role, content, turn))
        else:
            raise InvalidMessagesError(f"role {role!r} is not one of system, developer, user, assistant, tool")

    if settings.drop_leading_assistant_turns:
        while dialogue and dialogue[0]["role"] == "assistant":
            dialogue.pop(0)
            counts.dropped_leading_assistant += 1

    if settings.merge_consecutive_turns:
        merged: list[Message] = []
        for turn in dialogue:
            # A reply with weight 0 and one to train on stay two turns: merged, the first would be trained on
            # as part of the second (a template that needs alternating roles then refuses the conversation).
            if merged and merged[-1]["role"] == turn["role"] and untrained(merged[-1]) == untrained(turn):
                merged[-1] = kept_message(turn["role"], f"{merged[-1]['content']}\n\n{turn['content']}", turn)
                counts.merged_messages += 1
            else:
                merged.append(dict(turn))
        dialogue = merged

    if settings.max_turns is not None and len(dialogue) > settings.max_turns:
        dialogue = dialogue[: settings.max_turns]
        counts.truncated += 1

    if settings.drop_trailing_user_turn:
        while dialogue and dialogue[-1]["role"] == "user":
            dialogue.pop()
            counts.dropped_trailing_user += 1

    if settings.system_message == "settings":
        system = settings.system_prompt.strip()
    elif settings.system_message == "source":
        system = "\n\n".join(system_parts)
    else:
        system = ""
    return ([{"role": "system", "content": system}] if system else []) + dialogue


def build_conversations(records: pd.DataFrame, settings: ConversationSettings | None = None) -> ConversationResult:
    """One conversation per record that has at least one user and one assistant turn after cleaning.

    Records are read in order; ``example_id`` is ``"{record_id}::chat"``. Skipped records get a row in
    ``skipped`` with reason ``invalid_messages``, ``no_user_turn`` or ``no_assistant_turn``.
    """
    settings = settings or ConversationSettings()
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"records are missing columns {missing}; expected {RECORD_COLUMNS}")
    rows: list[dict[str, str]] = []
    skipped: list[dict[str, str]] = []
    counts = _Counts()
    from_messages = 0
    with_system = 0
    turn_counts: list[int] = []
    for rec in records.itertuples(index=False):
        record_counts = _Counts()
        try:
            turns, is_chat = _turns_of(rec)
            conversation = _clean(turns, settings, record_counts)
        except InvalidMessagesError as error:
            skipped.append(
                {"record_id": rec.record_id, "stage": STAGE, "reason": "invalid_messages", "detail": str(error)}
            )
            continue
        roles = {m["role"] for m in conversation}
        if "user" not in roles or "assistant" not in roles:
            # Name the cause in the source, not what cleaning left: an unanswered ticket has no assistant turn.
            has_user = any(t["role"] == "user" and t["content"].strip() for t in turns)
            reason = "no_assistant_turn" if has_user else "no_user_turn"
            if is_chat:
                kept = ", ".join(m["role"] for m in conversation) or "nothing"
                source_roles = ", ".join(t["role"] for t in turns)
                detail = f"after cleaning the conversation holds {kept} (source roles: {source_roles})"
            else:
                detail = "the record has no response" if has_user else "the record's text is empty"
            skipped.append({"record_id": rec.record_id, "stage": STAGE, "reason": reason, "detail": detail})
            continue
        counts.add(record_counts)
        from_messages += is_chat
        with_system += conversation[0]["role"] == "system"
        turn_counts.append(sum(m["role"] != "system" for m in conversation))
        rows.append(
            {
                "example_id": f"{rec.record_id}::chat",
                "record_id": rec.record_id,
                "source": rec.source,
                "label": normalise_label(rec.label) if str(rec.label).strip() else "",
                "messages": json.dumps(conversation, ensure_ascii=False),
            }
        )
    examples = pd.DataFrame(rows, columns=CONVERSATION_COLUMNS)
    skipped_df = pd.DataFrame(skipped, columns=DROPPED_COLUMNS)
    stats: dict[str, Any] = {
        "records": int(len(records)),
        "examples": int(len(examples)),
        "skipped": int(len(skipped_df)),
        "skipped_by_reason": {k: int(v) for k, v in sorted(Counter(s["reason"] for s in skipped).items())},
        "from_messages": int(from_messages),
        "from_text_response": int(len(examples) - from_messages),
        "with_system_message": int(with_system),
        "turns_mean": round(sum(turn_counts) / len(turn_counts), 2) if turn_counts else 0.0,
        "turns_max": max(turn_counts, default=0),
        **{name: int(getattr(counts, name)) for name in counts.__dataclass_fields__},
    }
    return ConversationResult(examples=examples, skipped=skipped_df, stats=stats)


def build_conversation_examples(records: pd.DataFrame, settings: ConversationSettings | None = None) -> pd.DataFrame:
    """The conversations of :func:`build_conversations` alone (``CONVERSATION_COLUMNS``)."""
    return build_conversations(records, settings).examples


# --- conversations -> prompt/completion SFT pairs ---------------------------------------------------------

#: ``task`` of the SFT pairs :func:`conversation_sft_pairs` builds (beside "classify" and "reply").
CHAT_TASK = "chat"

#: ``stage`` value of the conversations :func:`conversation_sft_pairs` skips.
PAIRS_STAGE = "conversation_sft_pairs"

ChatTurns = Literal["all", "last"]


def conversation_sft_pairs(
    conversations: pd.DataFrame, tokenizer: Any, turns: ChatTurns = "all"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Prompt/completion SFT pairs from conversations, the prompt rendered through the model's chat template.

    For each conversation (``CONVERSATION_COLUMNS``) and each assistant message at position ``k`` that
    answers a user message (every one for ``turns="all"``, only the final one for ``"last"`` and for a
    conversation of one of :data:`LAST_TURN_ONLY_SOURCES`):
    ``prompt = templates.render_chat_prompt(tokenizer, messages[:k])`` (the chat template with the generation
    prompt, without a BOS the tokenizer adds anyway), exactly what the server renders for a chat request with
    that history, and ``completion`` = the assistant message's content (TRL appends the EOS token, so the
    model learns to stop there). The pairs keep the prompt/completion shape of the instruction examples, so
    completion-only loss, truncation, packing and fingerprinting treat them alike. (The conversations'
    lengths are checked by ``templates.check_chat_template``; a template that writes other special tokens
    than a leading BOS, e.g. ``<|im_start|>``, leaves them in the prompt as text, which the tokenizer reads
    as those tokens, as the server's prompt does.)

    Returns ``(examples, skipped)``: ``examples`` has ``schemas.EXAMPLE_COLUMNS`` with task ``"chat"`` and
    ``example_id`` ``"{conversation example_id}::turn{n}"`` (``n``: 1-based number of the assistant reply in
    the conversation, the same in both modes); ``skipped`` (``schemas.DROPPED_COLUMNS``, stage
    ``PAIRS_STAGE``) has one row per conversation that gave no pair, with reason ``invalid_messages``,
    ``no_assistant_reply``, ``special_token_as_text``, ``template_refused`` or ``template_left_out_message``.
    A conversation one of whose turns the template refuses is skipped whole.

    Raises ValueError when the tokenizer has no chat template (every conversation would fail), when a
    column is missing, or when two conversations share an example_id.
    """
    if turns not in ("all", "last"):
        raise ValueError(f"turns must be 'all' or 'last', got {turns!r}")
    missing = [c for c in CONVERSATION_COLUMNS if c not in conversations.columns]
    if missing:
        raise ValueError(f"conversations are missing columns {missing}; expected {CONVERSATION_COLUMNS}")
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(
            f"{type(tokenizer).__name__} has no chat template, so conversations cannot be rendered the way the "
            "server renders chat requests; give the model's tokenizer one (tokenizer.chat_template, or "
            "chat_template.jinja beside the tokenizer files) or train without conversations"
        )
    ids = [_conversation_id(row) for row in conversations.itertuples(index=False)]
    duplicated = sorted(i for i, n in Counter(ids).items() if n > 1)
    if duplicated:
        raise ValueError(f"{len(duplicated)} conversation example_ids occur more than once, e.g. {duplicated[:3]}")

    specials = _special_tokens(tokenizer)
    rows: list[dict[str, str]] = []
    skipped: list[dict[str, str]] = []
    for conversation_id, row in zip(ids, conversations.itertuples(index=False), strict=True):
        record_id = str(row.record_id)

        def skip(reason: str, detail: str, record_id: str = record_id) -> None:
            skipped.append({"record_id": record_id, "stage": PAIRS_STAGE, "reason": reason, "detail": detail})

        try:
            messages = _row_messages(row)
        except (InvalidMessagesError, TypeError) as error:  # TypeError: a value json cannot even write
            skip("invalid_messages", str(error))
            continue
        numbers = _reply_numbers(messages, _text(row.source), turns)
        if not numbers:
            roles = ", ".join(m["role"] for m in messages) or "no messages"
            weighted = sum(1 for m in messages if untrained(m))
            why = f"; {weighted} with weight 0, not to be trained on" if weighted else ""
            skip("no_assistant_reply", f"no assistant message answers a user message (roles: {roles}{why})")
            continue
        targets = list(numbers)
        try:
            _check_specials([m["content"] for m in messages[: targets[-1] + 1]], specials, "messages")
        except ValueError as error:
            skip("special_token_as_text", str(error))
            continue
        pairs: list[dict[str, str]] = []
        for k in targets:
            history = [{"role": m["role"], "content": m["content"]} for m in messages[:k]]  # no weights
            try:
                prompt = render_chat_prompt(tokenizer, history)
            except _TEMPLATE_ERRORS as error:
                skip("template_refused", f"reply {numbers[k]} (history messages[:{k}]): {type(error).__name__}: {error}")
                break
            try:
                _check_contents(history, prompt)
            except ValueError as error:
                skip("template_left_out_message", f"reply {numbers[k]}: {error}")
                break
            pairs.append(
                {
                    "example_id": f"{conversation_id}::turn{numbers[k]}",
                    "record_id": record_id,
                    "task": CHAT_TASK,
                    "prompt": prompt,
                    "completion": messages[k]["content"],
                    "label": _text(row.label),
                    "source": _text(row.source),
                }
            )
        else:
            rows.extend(pairs)
    return pd.DataFrame(rows, columns=EXAMPLE_COLUMNS), pd.DataFrame(skipped, columns=DROPPED_COLUMNS)


#: Skipped conversations listed by :func:`with_conversation_pairs` (all are counted).
_SKIPPED_EXAMPLES = 5


def with_conversation_pairs(
    examples: dict[str, pd.DataFrame],
    conversations: dict[str, pd.DataFrame] | None,
    tokenizer: Any,
    turns: ChatTurns | Literal["off"],
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Each split's SFT examples with the :func:`conversation_sft_pairs` of the same split's conversations
    appended (``turns="off"``: the examples as they are), and a summary for metadata and MLflow.

    Pairs of a split come from that split's conversations only (the training set versions each conversation
    in its ticket's split), so nothing of a held-out ticket is trained on. Raises ValueError when
    conversations are asked for but the train split yields none.
    """
    out = dict(examples)
    summary: dict[str, Any] = {"conversations": turns}
    if turns != "off":
        if conversations is None:
            raise ValueError("conversations were asked for, but none were given")
        chat: dict[str, int] = {}
        skipped = []
        for name in examples:
            pairs, dropped = conversation_sft_pairs(conversations.get(name, _EMPTY_CONVERSATIONS), tokenizer, turns)
            if len(pairs):
                out[name] = pd.concat([examples[name], pairs], ignore_index=True)
            chat[name] = int(len(pairs))
            skipped.append(dropped.assign(split=name))
        skipped_df = pd.concat(skipped, ignore_index=True)
        if chat.get("train", 0) == 0:
            reasons = skipped_df["reason"].value_counts().to_dict()
            n_train = len(conversations.get("train", _EMPTY_CONVERSATIONS))
            raise ValueError(
                f"conversations={turns!r}, but the {n_train} training conversations gave no chat example "
                f"(skipped by reason: {reasons}); look at conversation_examples and the "
                "base_model__renders_training_data check, or set conversations='off'"
            )
        summary["chat_examples"] = chat
        summary["skipped_conversations"] = {
            "count": int(len(skipped_df)),
            "by_reason": {str(k): int(v) for k, v in sorted(skipped_df["reason"].value_counts().items())},
            "examples": skipped_df[["split", "record_id", "reason", "detail"]].head(_SKIPPED_EXAMPLES).to_dict("records"),
        }
    summary["examples_per_task"] = {
        name: {str(k): int(v) for k, v in sorted(df["task"].value_counts().items())} for name, df in out.items()
    }
    return out, summary


_EMPTY_CONVERSATIONS = pd.DataFrame(columns=CONVERSATION_COLUMNS)


def _text(value: Any) -> str:
    """A cell as text; missing (None/NaN) -> ""."""
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _row_messages(row: Any) -> list[Message]:
    """A conversation row's ``messages`` parsed (InvalidMessagesError, or TypeError for a value json cannot
    write, when they are not a conversation)."""
    value = row.messages
    raw = value if isinstance(value, str) else "" if _text(value) == "" else json.dumps(value)
    return parse_messages(raw)


def _reply_numbers(messages: list[Message], source: str, turns: ChatTurns) -> dict[int, int]:
    """The assistant messages :func:`conversation_sft_pairs` trains on, position -> number of the reply in
    the conversation (1-based, counting every assistant message with content that answers a user message):
    all of them, or only the last for ``turns="last"`` and a conversation of :data:`LAST_TURN_ONLY_SOURCES`;
    never a reply with ``"weight": 0`` (OpenAI's mark for a reply that is context only), whose number is
    still counted."""
    replies = [
        k
        for k, m in enumerate(messages)
        if m["role"] == "assistant" and m["content"].strip() and any(p["role"] == "user" for p in messages[:k])
    ]
    # A reply with "weight": 0 keeps its number (ids stay the same whatever is trained) but is no target.
    numbers = {k: n for n, k in enumerate(replies, start=1) if not untrained(messages[k])}
    if numbers and (turns == "last" or source in LAST_TURN_ONLY_SOURCES):
        last = max(numbers)
        return {last: numbers[last]}
    return numbers


def reply_ids(conversations: pd.DataFrame, turns: ChatTurns = "all") -> list[str]:
    """The example_ids :func:`conversation_sft_pairs` gives ``conversations`` when a chat template renders
    every one of them, sorted: what two models' sets of pairs are drawn from (a template refuses some
    conversations, another template others). Unreadable conversations give none."""
    ids = []
    for row in conversations.itertuples(index=False):
        try:
            messages = _row_messages(row)
        except (InvalidMessagesError, TypeError):
            continue
        conversation_id = _conversation_id(row)
        ids.extend(f"{conversation_id}::turn{n}" for n in _reply_numbers(messages, _text(row.source), turns).values())
    return sorted(ids)


def _conversation_id(row: Any) -> str:
    """A conversation's example_id, or ``"{record_id}::chat"`` when it has none."""
    return _text(row.example_id).strip() or f"{row.record_id}::chat"
