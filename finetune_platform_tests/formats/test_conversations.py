import json

import pandas as pd
import pytest
from pydantic import ValidationError

from finetune_platform.formats.conversations import (
    CONVERSATION_COLUMNS,
    ConversationSettings,
    InvalidMessagesError,
    build_conversation_examples,
    build_conversations,
    conversation_sft_pairs,
    parse_messages,
    with_conversation_pairs,
)
from finetune_platform.schemas import DROPPED_COLUMNS, EXAMPLE_COLUMNS, RECORD_COLUMNS

from .test_templates import STRICT_TEMPLATE  # Llama-2 style: roles must alternate; system messages left out


def _record(row: int, text: str = "", response: str = "", label: str = "", messages: list | str = "") -> dict:
    return {
        "record_id": f"chats/chats.jsonl#{row}",
        "source": "chats",
        "source_file": "chats.jsonl",
        "source_row": row,
        "doc_type": "chat" if messages else "ticket",
        "text": text,
        "response": response,
        "label": label,
        "messages": messages if isinstance(messages, str) else json.dumps(messages),
    }


def _frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=RECORD_COLUMNS)


def _messages(examples: pd.DataFrame, i: int = 0) -> list[dict]:
    return json.loads(examples.iloc[i]["messages"])


U = lambda c: {"role": "user", "content": c}  # noqa: E731
A = lambda c: {"role": "assistant", "content": c}  # noqa: E731
S = lambda c: {"role": "system", "content": c}  # noqa: E731


def test_ticket_becomes_one_exchange_and_chat_keeps_its_turns() -> None:
    records = _frame(
        _record(1, "Card charged twice.", "Refunded the duplicate.", "Billing"),
        _record(2, messages=[U("Hi, parcel late"), A("Sorry! Which order?"), U("ORD-7"), A("It ships today.")]),
    )
    examples = build_conversation_examples(records)
    assert list(examples.columns) == CONVERSATION_COLUMNS
    assert examples["example_id"].tolist() == ["chats/chats.jsonl#1::chat", "chats/chats.jsonl#2::chat"]
    assert _messages(examples, 0) == [U("Card charged twice."), A("Refunded the duplicate.")]
    assert examples.iloc[0]["label"] == "billing"
    assert [m["content"] for m in _messages(examples, 1)] == [
        "Hi, parcel late",
        "Sorry! Which order?",
        "ORD-7",
        "It ships today.",
    ]


def test_records_without_an_assistant_turn_are_skipped_with_a_reason() -> None:
    records = _frame(
        _record(1, "No reply yet.", ""),
        _record(2, messages=[U("Anyone there?")]),
        _record(3, messages=[A("Hello, how can I help?")]),
        _record(4, messages="[not json"),
        _record(5, "Fine", "Good."),
    )
    result = build_conversations(records)
    assert result.examples["record_id"].tolist() == ["chats/chats.jsonl#5"]
    assert list(result.skipped.columns) == DROPPED_COLUMNS
    assert result.skipped["reason"].tolist() == [
        "no_assistant_turn",
        "no_assistant_turn",
        "no_user_turn",
        "invalid_messages",
    ]
    details = result.skipped["detail"].tolist()
    assert details[0] == "the record has no response"
    assert details[1] == "after cleaning the conversation holds nothing (source roles: user)"
    assert "not valid JSON" in details[3]
    assert result.stats["records"] == result.stats["examples"] + result.stats["skipped"] == 5
    assert result.stats["skipped_by_reason"] == {"invalid_messages": 1, "no_assistant_turn": 2, "no_user_turn": 1}


def test_system_prompt_from_settings_replaces_the_sources() -> None:
    records = _frame(_record(1, messages=[S("internal agent notes"), U("Hi"), A("Hello")]), _record(2, "Q", "A."))
    settings = ConversationSettings(system_message="settings", system_prompt="You are a support agent.")
    examples = build_conversation_examples(records, settings)
    assert _messages(examples, 0) == [S("You are a support agent."), U("Hi"), A("Hello")]
    assert _messages(examples, 1)[0] == S("You are a support agent.")


def test_source_system_messages_are_merged_first_or_dropped() -> None:
    records = _frame(
        _record(1, messages=[S("Be brief."), U("Hi"), {"role": "developer", "content": "Use English."}, A("Hello")])
    )
    kept = _messages(build_conversation_examples(records))
    assert kept == [S("Be brief.\n\nUse English."), U("Hi"), A("Hello")]
    dropped = _messages(build_conversation_examples(records, ConversationSettings(system_message="none")))
    assert dropped == [U("Hi"), A("Hello")]


def test_turns_are_cleaned_for_strict_chat_templates() -> None:
    records = _frame(
        _record(
            1,
            messages=[
                A("Welcome to support!"),
                U("My order"),
                U("is late"),
                {"role": "tool", "content": '{"status": "late"}'},
                A(""),
                A("It ships today."),
                U("thanks, bye"),
            ],
        )
    )
    result = build_conversations(records)
    assert _messages(result.examples) == [U("My order\n\nis late"), A("It ships today.")]
    stats = result.stats
    assert (stats["dropped_leading_assistant"], stats["merged_messages"], stats["dropped_tool_messages"]) == (1, 1, 1)
    assert (stats["dropped_empty_messages"], stats["dropped_trailing_user"]) == (1, 1)

    raw = ConversationSettings(
        drop_leading_assistant_turns=False, merge_consecutive_turns=False, drop_trailing_user_turn=False
    )
    roles = [m["role"] for m in _messages(build_conversation_examples(records, raw))]
    assert roles == ["assistant", "user", "user", "assistant", "user"]


def test_max_turns_keeps_the_first_turns_and_ends_on_the_assistant() -> None:
    turns = [U("q1"), A("a1"), U("q2"), A("a2"), U("q3"), A("a3")]
    records = _frame(_record(1, messages=turns))
    result = build_conversations(records, ConversationSettings(max_turns=3))
    # the third turn (q2) is a user turn without its answer, so it is dropped too
    assert _messages(result.examples) == [U("q1"), A("a1")]
    assert result.stats["truncated"] == 1
    assert _messages(build_conversation_examples(records, ConversationSettings(max_turns=4)))[-1] == A("a2")


def test_unknown_role_skips_the_record() -> None:
    result = build_conversations(_frame(_record(1, messages=[{"role": "customer", "content": "Hi"}, A("Hello")])))
    assert len(result.examples) == 0
    assert result.skipped.iloc[0]["reason"] == "invalid_messages"
    assert "'customer'" in result.skipped.iloc[0]["detail"]


def test_parse_messages_names_the_bad_message() -> None:
    assert parse_messages("") == []
    assert parse_messages(json.dumps([U("x")])) == [U("x")]
    with pytest.raises(InvalidMessagesError, match=r"messages\[1\] needs string 'role' and 'content'"):
        parse_messages(json.dumps([U("x"), {"role": "assistant", "content": None}]))
    with pytest.raises(InvalidMessagesError, match="is an object, expected an array of messages"):
        parse_messages('{"role": "user"}')


def test_settings_reject_a_system_prompt_that_would_be_ignored_or_missing() -> None:
    with pytest.raises(ValidationError, match="would be ignored"):
        ConversationSettings(system_prompt="Be nice.")
    with pytest.raises(ValidationError, match="needs a non-empty system_prompt"):
        ConversationSettings(system_message="settings")
    with pytest.raises(ValidationError):
        ConversationSettings(max_turns=0)


def test_settings_refuse_a_system_prompt_with_pii() -> None:
    """The configured system prompt opens every training conversation and is no record, so curation never
    redacts it: what the detectors flag in it is refused up front, by type and where, without the value."""
    prompt = "You are the assistant. Customer on file: jane.doe@example.com, card 4111 1111 1111 1111."
    with pytest.raises(ValidationError, match=r"system_prompt holds what the PII detectors flag: .*EMAIL at characters") as error:
        ConversationSettings(system_message="settings", system_prompt=prompt)
    message = error.value.errors()[0]["msg"]  # ours; pydantic's rendering adds the input, the operator's config
    assert "CREDIT_CARD" in message and "jane.doe@example.com" not in message and "4111 1111 1111 1111" not in message
    assert ConversationSettings(system_message="settings", system_prompt="You are a support agent.").system_prompt


def test_missing_record_columns_are_named() -> None:
    with pytest.raises(ValueError, match=r"missing columns \['messages'\]"):
        build_conversations(_frame(_record(1, "a", "b")).drop(columns=["messages"]))


def test_empty_records_give_empty_typed_frames() -> None:
    result = build_conversations(pd.DataFrame(columns=RECORD_COLUMNS))
    assert list(result.examples.columns) == CONVERSATION_COLUMNS and len(result.examples) == 0
    assert result.stats["examples"] == 0 and result.stats["turns_max"] == 0


# --- conversation_sft_pairs: conversations -> prompt/completion pairs through the chat template ------------

CHAT_CORPUS = [
    "Hi, my parcel is late. Sorry to hear that! Which order is it? It ships today.",
    "My card was charged twice. I refunded the duplicate charge. Thanks, bye.",
] * 20



@pytest.fixture(scope="module")
def tokenizer():
    """The tiny model's tokenizer recipe, with its chat template (``tiny_model.CHAT_TEMPLATE``)."""
    from finetune_platform.training.tiny_model import train_tokenizer

    return train_tokenizer(CHAT_CORPUS, vocab_size=320)


def _conversation(row: int, messages: list | str, label: str = "shipping") -> dict:
    return {
        "example_id": f"chats/chats.jsonl#{row}::chat",
        "record_id": f"chats/chats.jsonl#{row}",
        "source": "chats",
        "label": label,
        "messages": messages if isinstance(messages, str) else json.dumps(messages),
    }


def _conversations(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=CONVERSATION_COLUMNS)


MULTI_TURN = [
    S("You are a support agent."),
    U("Hi, my parcel is late."),
    A("Sorry to hear that! Which order is it?"),
    U("Order 123."),
    A("It ships today."),
]


def test_each_assistant_reply_becomes_a_pair_with_the_whole_history_as_prompt(tokenizer) -> None:
    examples, skipped = conversation_sft_pairs(_conversations(_conversation(1, MULTI_TURN)), tokenizer)
    assert list(examples.columns) == EXAMPLE_COLUMNS and len(skipped) == 0
    assert examples["example_id"].tolist() == ["chats/chats.jsonl#1::chat::turn1", "chats/chats.jsonl#1::chat::turn2"]
    assert examples["completion"].tolist() == ["Sorry to hear that! Which order is it?", "It ships today."]
    assert set(examples["task"]) == {"chat"}
    assert set(examples["record_id"]) == {"chats/chats.jsonl#1"}
    assert set(examples["label"]) == {"shipping"} and set(examples["source"]) == {"chats"}
    # The template writes <s> and the tokenizer adds it too: the prompt leaves it to the tokenizer (one BOS).
    assert examples["prompt"].tolist() == [
        "### System:\nYou are a support agent.\n### User:\nHi, my parcel is late.\n### Assistant:\n",
        "### System:\nYou are a support agent.\n### User:\nHi, my parcel is late.\n### Assistant:\n"
        "Sorry to hear that! Which order is it?\n### User:\nOrder 123.\n### Assistant:\n",
    ]
    for prompt in examples["prompt"]:
        ids = tokenizer(prompt)["input_ids"]
        assert ids[0] == tokenizer.bos_token_id and ids[1] != tokenizer.bos_token_id


def test_last_turn_keeps_only_the_final_reply_under_the_same_id(tokenizer) -> None:
    conversations = _conversations(
        _conversation(1, MULTI_TURN), _conversation(2, [U("Card charged twice"), A("Refunded.")])
    )
    every, _ = conversation_sft_pairs(conversations, tokenizer, turns="all")
    last, skipped = conversation_sft_pairs(conversations, tokenizer, turns="last")
    assert len(skipped) == 0
    assert last["example_id"].tolist() == ["chats/chats.jsonl#1::chat::turn2", "chats/chats.jsonl#2::chat::turn1"]
    assert last["completion"].tolist() == ["It ships today.", "Refunded."]
    assert last["prompt"].iloc[0].startswith("### System:\nYou are a support agent.\n")  # system kept
    merged = every.set_index("example_id").loc[last["example_id"]]
    assert merged["prompt"].tolist() == last["prompt"].tolist()
    with pytest.raises(ValueError, match="turns must be 'all' or 'last'"):
        conversation_sft_pairs(conversations, tokenizer, turns="first")  # type: ignore[arg-type]


def test_prompts_are_what_the_server_renders_for_a_chat_request(tokenizer) -> None:
    from finetune_platform.serving.server import RegistryBackend

    server = RegistryBackend(model=None, tokenizer=tokenizer, name="support-assistant", version="1")
    examples, _ = conversation_sft_pairs(_conversations(_conversation(1, MULTI_TURN)), tokenizer)
    histories = [MULTI_TURN[:2], MULTI_TURN[:4]]  # what a client sends before each reply
    assert examples["prompt"].tolist() == [server.chat_prompt(history) for history in histories]
    # the completion-only loss starts exactly at the reply: the prompt's tokens are a prefix of the pair's
    for prompt, completion in zip(examples["prompt"], examples["completion"], strict=True):
        prompt_ids = tokenizer(prompt)["input_ids"]
        full_ids = tokenizer(prompt + completion + tokenizer.eos_token)["input_ids"]
        assert full_ids[: len(prompt_ids)] == prompt_ids and len(full_ids) > len(prompt_ids) + 1


def test_unusable_conversations_are_skipped_with_a_named_reason(tokenizer) -> None:
    conversations = _conversations(
        _conversation(1, "[{broken"),
        _conversation(2, [S("Be brief."), U("Parcel late")]),
        _conversation(3, [A("Welcome! How can I help?"), U("Parcel late")]),  # a greeting answers nobody
        _conversation(4, [U("Thanks </s> bye"), A("Bye.")]),
        _conversation(5, [U("Card charged twice"), A("Refunded.")]),
    )
    examples, skipped = conversation_sft_pairs(conversations, tokenizer)
    assert examples["record_id"].tolist() == ["chats/chats.jsonl#5"]
    assert list(skipped.columns) == DROPPED_COLUMNS
    assert set(skipped["stage"]) == {"conversation_sft_pairs"}
    assert skipped[["record_id", "reason"]].values.tolist() == [
        ["chats/chats.jsonl#1", "invalid_messages"],
        ["chats/chats.jsonl#2", "no_assistant_reply"],
        ["chats/chats.jsonl#3", "no_assistant_reply"],
        ["chats/chats.jsonl#4", "special_token_as_text"],
    ]
    assert "not valid JSON" in skipped.iloc[0]["detail"]
    assert "roles: system, user" in skipped.iloc[1]["detail"]
    assert "'</s>'" in skipped.iloc[3]["detail"]


def test_a_conversation_the_template_refuses_or_truncates_is_skipped_whole() -> None:
    from finetune_platform.training.tiny_model import train_tokenizer

    strict = train_tokenizer(CHAT_CORPUS, vocab_size=320)
    strict.chat_template = STRICT_TEMPLATE
    conversations = _conversations(
        # the first reply renders; the second's history has two user turns in a row: the template refuses it
        _conversation(1, [U("Hi"), A("Hello!"), U("Parcel"), U("is late"), A("It ships today.")]),
        _conversation(2, [S("Answer in French."), U("Hello"), A("Bonjour")]),  # the template drops the system turn
        _conversation(3, [U("Hello"), A("Hi! How can I help?")]),
    )
    examples, skipped = conversation_sft_pairs(conversations, strict)
    assert examples["example_id"].tolist() == ["chats/chats.jsonl#3::chat::turn1"]
    assert examples["prompt"].iloc[0] == "[INST] Hello [/INST]"  # the template's <s>: the tokenizer adds it
    assert skipped["reason"].tolist() == ["template_refused", "template_left_out_message"]
    assert skipped.iloc[0]["detail"] == (
        "reply 2 (history messages[:4]): TemplateError: Conversation roles must alternate "
        "user/assistant/user/assistant/..."
    )
    assert skipped.iloc[1]["detail"].startswith("reply 1: the chat template left out messages[0] (system)")


def test_a_tokenizer_without_a_chat_template_is_refused(tokenizer) -> None:
    from finetune_platform.training.tiny_model import train_tokenizer

    plain = train_tokenizer(CHAT_CORPUS, vocab_size=320)
    plain.chat_template = None
    with pytest.raises(ValueError, match="has no chat template, so conversations cannot be rendered"):
        conversation_sft_pairs(_conversations(_conversation(1, MULTI_TURN)), plain)


def test_pair_builder_input_problems(tokenizer) -> None:
    examples, skipped = conversation_sft_pairs(_conversations(), tokenizer)
    assert list(examples.columns) == EXAMPLE_COLUMNS and list(skipped.columns) == DROPPED_COLUMNS
    assert len(examples) == len(skipped) == 0
    with pytest.raises(ValueError, match=r"missing columns \['messages'\]"):
        conversation_sft_pairs(_conversations().drop(columns=["messages"]), tokenizer)
    twice = _conversations(_conversation(1, MULTI_TURN), _conversation(1, MULTI_TURN))
    with pytest.raises(ValueError, match="occur more than once"):
        conversation_sft_pairs(twice, tokenizer)


def _instruction(record_id: str) -> dict:
    return {"example_id": f"{record_id}::classify", "record_id": record_id, "task": "classify", "prompt": "p",
            "completion": "shipping", "label": "shipping", "source": "chats"}


def test_each_split_gets_the_pairs_of_its_own_conversations(tokenizer) -> None:
    examples = {
        "train": pd.DataFrame([_instruction("chats/chats.jsonl#1")], columns=EXAMPLE_COLUMNS),
        "validation": pd.DataFrame([_instruction("chats/chats.jsonl#2")], columns=EXAMPLE_COLUMNS),
    }
    conversations = {
        "train": _conversations(_conversation(1, MULTI_TURN), _conversation(3, [A("Hello?")])),
        "validation": _conversations(_conversation(2, [U("Card charged twice"), A("Refunded.")])),
        "test": _conversations(_conversation(4, [U("Where is it?"), A("Here.")])),  # never trained on
    }
    out, summary = with_conversation_pairs(examples, conversations, tokenizer, "all")
    assert out["train"]["task"].tolist() == ["classify", "chat", "chat"]
    assert set(out["train"]["record_id"]) == {"chats/chats.jsonl#1"}
    assert out["validation"]["task"].tolist() == ["classify", "chat"]
    assert set(out["validation"]["record_id"]) == {"chats/chats.jsonl#2"}
    assert set(out) == {"train", "validation"}
    assert summary["chat_examples"] == {"train": 2, "validation": 1}
    assert summary["skipped_conversations"]["by_reason"] == {"no_assistant_reply": 1}
    assert summary["skipped_conversations"]["examples"][0]["record_id"] == "chats/chats.jsonl#3"
    assert summary["examples_per_task"] == {"train": {"chat": 2, "classify": 1}, "validation": {"chat": 1, "classify": 1}}
    # off: the examples as they were
    same, off = with_conversation_pairs(examples, None, None, "off")
    assert same["train"].equals(examples["train"]) and "chat_examples" not in off


def test_conversations_that_give_no_training_pair_are_an_error(tokenizer) -> None:
    examples = {"train": pd.DataFrame([_instruction("chats/chats.jsonl#1")], columns=EXAMPLE_COLUMNS)}
    with pytest.raises(ValueError, match=r"training conversations gave no chat example .*no_assistant_reply"):
        with_conversation_pairs(examples, {"train": _conversations(_conversation(3, [A("Hello?")]))}, tokenizer, "last")


def test_a_reply_with_weight_0_is_context_and_never_a_training_target(tokenizer) -> None:
    """OpenAI's per-message weight: a reply marked 0 stays in the history of later replies and keeps its
    number, but no pair trains on it; with only such replies there is nothing to train on."""
    bad = {**A("Sorry to hear that! Which order is it?"), "weight": 0}
    weighted = [S("You are a support agent."), U("Hi, my parcel is late."), bad, U("Order 123."), A("It ships today.")]
    last_untrained = [U("Order 123?"), A("It ships today."), U("Thanks"), {**A("No idea, sorry."), "weight": 0}]
    only_untrained = [U("Hi"), {**A("Go away."), "weight": 0}]
    frame = _conversations(_conversation(1, weighted), _conversation(2, last_untrained), _conversation(3, only_untrained))
    examples, skipped = conversation_sft_pairs(frame, tokenizer)
    assert examples["example_id"].tolist() == ["chats/chats.jsonl#1::chat::turn2", "chats/chats.jsonl#2::chat::turn1"]
    assert examples["completion"].tolist() == ["It ships today.", "It ships today."]
    assert "Sorry to hear that! Which order is it?" in examples.iloc[0]["prompt"]  # still the history
    assert skipped["reason"].tolist() == ["no_assistant_reply"] and "1 with weight 0" in skipped.iloc[0]["detail"]
    last, _ = conversation_sft_pairs(frame, tokenizer, turns="last")
    assert last["example_id"].tolist() == ["chats/chats.jsonl#1::chat::turn2", "chats/chats.jsonl#2::chat::turn1"]


def test_conversations_keep_weight_0_and_never_merge_it_into_a_reply_to_train_on() -> None:
    records = _frame(
        _record(1, messages=[U("a"), {**A("b"), "weight": 0}, U("c"), A("d")]),
        _record(2, messages=[U("a"), {**A("b"), "weight": 0}, A("c")]),
        _record(3, messages=[U("a"), {**A("b"), "weight": 0}, {**A("c"), "weight": 0}]),
    )
    examples = build_conversation_examples(records)
    assert _messages(examples, 0) == [U("a"), {**A("b"), "weight": 0}, U("c"), A("d")]
    assert _messages(examples, 1) == [U("a"), {**A("b"), "weight": 0}, A("c")]
    assert _messages(examples, 2) == [U("a"), {**A("b\n\nc"), "weight": 0}]
    assert parse_messages(json.dumps([U("a"), {**A("b"), "weight": 1, "name": "x"}])) == [U("a"), A("b")]


def test_a_system_message_in_the_middle_moves_first_and_the_replies_before_it_are_not_trained() -> None:
    """Chat templates need the system message first; moved there, "From now on answer in French" would claim
    to govern the English reply given before it, so that reply stays as context (weight 0) and the move is
    counted. With system_message='none' or 'settings' source system messages are not kept, so nothing moves."""
    turns = [
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
        {"role": "system", "content": "From now on answer in French."},
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": "r2 en français"},
    ]
    records = pd.DataFrame([{
        "record_id": "s/c.jsonl#1", "source": "s", "source_file": "c.jsonl", "source_row": 1, "doc_type": "chat",
        "text": "q1\nq2", "response": "r2 en français", "label": "", "messages": json.dumps(turns),
    }], columns=RECORD_COLUMNS)
    result = build_conversations(records)
    assert json.loads(result.examples.iloc[0]["messages"]) == [
        {"role": "system", "content": "From now on answer in French."},
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1", "weight": 0},
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": "r2 en français"},
    ]
    assert result.stats["moved_system_messages"] == 1 and result.stats["untrained_before_moved_system"] == 1
    plain = build_conversations(records, ConversationSettings(system_message="none"))
    assert "weight" not in plain.examples.iloc[0]["messages"] and plain.stats["moved_system_messages"] == 0
