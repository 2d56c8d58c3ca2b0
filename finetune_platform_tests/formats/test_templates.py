import json

import pandas as pd
import pytest

from finetune_platform.formats.conversations import ConversationSettings, build_conversation_examples
from finetune_platform.formats.instructions import build_instruction_examples
from finetune_platform.formats.templates import check_chat_template, check_instruction_lengths
from finetune_platform.schemas import RECORD_COLUMNS
from finetune_platform.training.tiny_model import train_tokenizer

#: Llama-2 style: refuses conversations whose roles do not alternate, and ignores system messages.
STRICT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages if message['role'] != 'system' %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}[INST] {{ message['content'] | trim }} [/INST]"
    "{% else %} {{ message['content'] | trim }}{{ eos_token }}{% endif %}{% endfor %}"
)

#: The tiny template with the assistant replies marked for assistant_only_loss.
GENERATION_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}### {{ message['role'] | capitalize }}:\n"
    "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] }}\n{% endgeneration %}"
    "{% else %}{{ message['content'] }}\n{% endif %}{% endfor %}"
)

CORPUS = [
    "My card was charged twice, please refund the billing error.",
    "Billing question: the invoice shows a wrong billing address.",
    "The parcel is late and the tracking number does not work.",
    "I cannot log in to my account after the password reset.",
] * 20


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(CORPUS, vocab_size=400)


def _conversations(*conversations: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {"example_id": [f"c{i}" for i in range(len(conversations))], "messages": [json.dumps(c) for c in conversations]}
    )


def _chat(user: str, assistant: str) -> list[dict]:
    return [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


def test_token_counts_match_the_rendered_conversation(tokenizer) -> None:
    convs = [_chat("My card was charged twice.", "I refunded it."), _chat("Parcel late " * 5, "It ships today.")]
    report = check_chat_template(_conversations(*convs), tokenizer, max_length=512)
    expected = [
        len(tokenizer(tokenizer.apply_chat_template(c, tokenize=False), add_special_tokens=False)["input_ids"])
        for c in convs
    ]
    assert report.passed and report.problems() == []
    assert (report.kind, report.examples, report.rendered) == ("chat_template", 2, 2)
    assert report.max_tokens == max(expected) and report.p95_tokens == max(expected)
    assert report.mean_tokens == round(sum(expected) / 2, 1)
    assert tokenizer.apply_chat_template(convs[0], tokenize=False).startswith("<s>### User:\n")


def test_too_long_examples_are_listed_longest_first(tokenizer) -> None:
    convs = [_chat("short", "ok"), _chat("refund " * 30, "done"), _chat("refund " * 60, "done")]
    report = check_chat_template(_conversations(*convs), tokenizer, max_length=40)
    assert not report.passed
    assert [row["example_id"] for row in report.too_long] == ["c2", "c1"]
    assert report.too_long[0]["tokens"] == report.max_tokens > report.too_long[1]["tokens"] > 40
    assert report.problems() == [
        f"2 of 3 examples exceed max_length=40 tokens (longest: c2 with {report.max_tokens}); raise max_length or "
        "shorten them in formatting (max_ticket_chars, max_reply_chars, max_turns)"
    ]


def test_a_strict_template_refuses_raw_turns_but_accepts_cleaned_conversations() -> None:
    tokenizer = train_tokenizer(CORPUS, vocab_size=400)
    tokenizer.chat_template = STRICT_TEMPLATE
    turns = [
        {"role": "assistant", "content": "Welcome!"},
        {"role": "user", "content": "My parcel"},
        {"role": "user", "content": "is late"},
        {"role": "assistant", "content": "It ships today."},
    ]
    record = {
        "record_id": "chat/c.jsonl#1",
        "source": "chat",
        "source_file": "c.jsonl",
        "source_row": 1,
        "doc_type": "chat",
        "text": "My parcel\nis late",
        "response": "It ships today.",
        "label": "",
        "messages": json.dumps(turns),
    }
    records = pd.DataFrame([record], columns=RECORD_COLUMNS)
    raw = build_conversation_examples(
        records, ConversationSettings(drop_leading_assistant_turns=False, merge_consecutive_turns=False)
    )
    report = check_chat_template(raw, tokenizer, max_length=512)
    assert report.failures == [
        {
            "example_id": "chat/c.jsonl#1::chat",
            "error": "TemplateError: Conversation roles must alternate user/assistant/user/assistant/...",
        }
    ]
    assert check_chat_template(build_conversation_examples(records), tokenizer, max_length=512).passed


def test_a_message_the_template_leaves_out_is_a_failure() -> None:
    tokenizer = train_tokenizer(CORPUS, vocab_size=400)
    tokenizer.chat_template = STRICT_TEMPLATE  # drops system messages without a word
    conv = [{"role": "system", "content": "Answer in French."}, *_chat("Hello", "Bonjour")]
    report = check_chat_template(_conversations(conv), tokenizer, max_length=512)
    assert report.rendered == 0
    assert report.failures[0]["error"].startswith("ValueError: the chat template left out messages[0] (system)")


def test_special_tokens_as_text_and_broken_json_are_failures(tokenizer) -> None:
    frame = _conversations(_chat("Thanks </s> bye", "ok"), _chat("fine", "ok"))
    frame.loc[len(frame)] = ["c2", "[{broken"]
    report = check_chat_template(frame, tokenizer, max_length=512)
    assert [f["example_id"] for f in report.failures] == ["c0", "c2"]
    assert "special token '</s>' as text" in report.failures[0]["error"]
    assert "not valid JSON" in report.failures[1]["error"]
    assert report.rendered == 1 and report.as_metadata(limit=1)["failure_examples"] == report.failures[:1]


def test_added_tokens_marked_special_count_as_special_tokens(tmp_path) -> None:
    """Llama 3 registers ``<|eot_id|>`` and its header markers as added tokens marked special, outside the
    special-tokens map: text holding one still becomes the control token, so both checks refuse it."""
    from tokenizers import AddedToken
    from transformers import AutoTokenizer

    tok = train_tokenizer(["my card was charged twice please refund"] * 20, vocab_size=300)
    tok.add_tokens([AddedToken("<|eot_id|>", special=True), AddedToken("<|start_header_id|>", special=True)])
    tok.save_pretrained(tmp_path)
    tok = AutoTokenizer.from_pretrained(tmp_path)
    assert "<|eot_id|>" not in tok.all_special_tokens  # not in the map: only the added tokens say so
    pairs = pd.DataFrame([{"example_id": "e1", "prompt": "### Ticket:\nmy card\n### Reply:\n",
                           "completion": "Refund done.<|eot_id|>"}])
    report = check_instruction_lengths(pairs, tok, 256)
    assert [f["example_id"] for f in report.failures] == ["e1"] and "'<|eot_id|>'" in report.failures[0]["error"]


def test_setup_mistakes_raise(tokenizer) -> None:
    frame = _conversations(_chat("a", "b"))
    with pytest.raises(ValueError, match="this template has no such markers"):
        check_chat_template(frame, tokenizer, max_length=512, assistant_only_loss=True)
    bare = train_tokenizer(CORPUS, vocab_size=400)
    bare.chat_template = None
    with pytest.raises(ValueError, match="has no chat template"):
        check_chat_template(frame, bare, max_length=512)
    with pytest.raises(ValueError, match="max_length must be a positive"):
        check_chat_template(frame, tokenizer, max_length=0)
    with pytest.raises(ValueError, match=r"missing columns \['messages'\]"):
        check_chat_template(frame.drop(columns=["messages"]), tokenizer, max_length=10)


def test_assistant_only_loss_needs_marked_assistant_tokens() -> None:
    tokenizer = train_tokenizer(CORPUS, vocab_size=400)
    tokenizer.chat_template = GENERATION_TEMPLATE
    frame = _conversations(_chat("refund please", "done"), [{"role": "user", "content": "anyone?"}])
    report = check_chat_template(frame, tokenizer, max_length=512, assistant_only_loss=True)
    assert report.rendered == 1
    assert report.failures == [
        {
            "example_id": "c1",
            "error": "ValueError: no assistant token is inside the template's {% generation %} markers",
        }
    ]


def _examples() -> pd.DataFrame:
    records = pd.DataFrame(
        [
            {
                "record_id": f"t/t.jsonl#{i}",
                "source": "t",
                "source_file": "t.jsonl",
                "source_row": i,
                "doc_type": "ticket",
                "text": text,
                "response": reply,
                "label": label,
                "messages": "",
            }
            for i, (text, reply, label) in enumerate(
                [
                    ("My card was charged twice.", "I refunded the billing error.", "billing"),
                    ("The parcel is late " * 20, "It ships today.", "shipping"),
                ],
                start=1,
            )
        ],
        columns=RECORD_COLUMNS,
    )
    return build_instruction_examples(records)


def test_instruction_lengths_count_bos_prompt_completion_and_eos(tokenizer) -> None:
    examples = _examples()
    report = check_instruction_lengths(examples, tokenizer, max_length=1024)
    first = examples.iloc[0]
    full = tokenizer(first["prompt"] + first["completion"] + "</s>")["input_ids"]
    assert full[0] == tokenizer.bos_token_id and full[-1] == tokenizer.eos_token_id
    assert report.passed and (report.kind, report.examples, report.rendered) == ("prompt_completion", 4, 4)
    lengths = [
        len(tokenizer(p + c + "</s>")["input_ids"])
        for p, c in zip(examples["prompt"], examples["completion"], strict=True)
    ]
    assert report.max_tokens == max(lengths) and report.mean_tokens == round(sum(lengths) / 4, 1)
    assert report.max_prompt_tokens == max(len(tokenizer(p)["input_ids"]) for p in examples["prompt"])
    assert report.prompt_boundary_mismatches == []

    short = check_instruction_lengths(examples, tokenizer, max_length=60)
    assert {row["example_id"] for row in short.too_long} == {"t/t.jsonl#2::classify", "t/t.jsonl#2::reply"}


def test_a_share_of_examples_longer_than_max_length_can_be_allowed(tokenizer) -> None:
    """A few over-long examples (cut by SFT) pass when max_too_long_share allows them; they stay listed."""
    examples = _examples()  # 4 examples, ticket 2's two are over 60 tokens
    strict = check_instruction_lengths(examples, tokenizer, max_length=60, max_too_long_share=0.25)
    assert strict.allowed_too_long == 1 and len(strict.too_long) == 2 and not strict.passed
    assert "more than the 1 allowed (max_too_long_share=0.25)" in strict.problems()[0]
    tolerant = check_instruction_lengths(examples, tokenizer, max_length=60, max_too_long_share=0.5)
    assert tolerant.passed and tolerant.problems() == []
    metadata = tolerant.as_metadata()
    assert (metadata["too_long"], metadata["allowed_too_long"], metadata["max_too_long_share"]) == (2, 2, 0.5)
    assert {row["example_id"] for row in metadata["too_long_examples"]} == {"t/t.jsonl#2::classify", "t/t.jsonl#2::reply"}
    assert all(row["tokens"] > 60 for row in metadata["too_long_examples"])


def test_examples_that_training_feeds_past_the_context_always_fail(tokenizer) -> None:
    """max_length None (no cut) or above the model's context: an example longer than the context cannot be
    trained at all, whatever share of over-long examples is allowed; one cut to a max_length within the
    context is only too long."""
    examples = _examples()
    for max_length in (None, 1024):
        report = check_instruction_lengths(
            examples, tokenizer, max_length, context_length=60, max_too_long_share=1.0
        )
        assert not report.passed
        assert report.too_long == []  # nothing is cut (no max_length, or none reaches it): all must fit the context
        assert {row["example_id"] for row in report.over_context} == {"t/t.jsonl#2::classify", "t/t.jsonl#2::reply"}
        assert report.problems()[0].startswith("2 of 4 examples are longer than the model's context of 60 tokens")
        assert "set max_length to 60 or less" in report.problems()[0]
    cut = check_instruction_lengths(examples, tokenizer, 55, context_length=60, max_too_long_share=0.5)
    assert cut.over_context == [] and len(cut.too_long) == 2 and cut.passed
    with pytest.raises(ValueError, match="max_length=None .* needs the model's context_length"):
        check_instruction_lengths(examples, tokenizer, None)
    with pytest.raises(ValueError, match="max_too_long_share must be a fraction between 0 and 1, got 1.5"):
        check_instruction_lengths(examples, tokenizer, 60, max_too_long_share=1.5)
    with pytest.raises(ValueError, match="context_length must be a positive number of tokens, got 0"):
        check_instruction_lengths(examples, tokenizer, 60, context_length=0)


def test_instruction_problems_are_failures(tokenizer) -> None:
    examples = _examples().head(2).copy()
    examples.loc[0, "completion"] = ""
    examples.loc[1, "prompt"] = examples.loc[1, "prompt"].replace("charged", "<pad> charged")
    report = check_instruction_lengths(examples, tokenizer, max_length=1024)
    assert [f["error"] for f in report.failures] == [
        "completion is empty or not a string",
        "prompt/completion contain the special token '<pad>' as text, which the tokenizer reads as the control "
        "token; remove or escape it during curation",
    ]
    assert not report.passed and report.rendered == 0
    empty = check_instruction_lengths(examples.head(0), tokenizer, max_length=10)
    assert not empty.passed and empty.problems() == ["there are no examples to check"]


def test_a_token_merging_across_the_prompt_boundary_is_reported(tokenizer) -> None:
    assert len(tokenizer(" billing", add_special_tokens=False)["input_ids"]) == 1  # learnt as one token
    examples = pd.DataFrame(
        {
            "example_id": ["split", "clean"],
            "prompt": ["A question about bil", "A question about\n"],
            "completion": ["ling", "billing"],
        }
    )
    report = check_instruction_lengths(examples, tokenizer, max_length=1024)
    assert report.prompt_boundary_mismatches == ["split"]
    assert report.as_metadata()["prompt_boundary_mismatches"] == 1


# --- render_chat_prompt: one BOS, whoever writes it ----------------------------------------------------------
class _StubTokenizer:
    """A chat template that writes "<s>" first, and a tokenizer that adds BOS (id 1) itself or not."""

    bos_token, bos_token_id = "<s>", 1

    def __init__(self, adds_bos: bool, template_bos: bool = True) -> None:
        self.adds_bos, self.template_bos = adds_bos, template_bos

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=False):
        body = "".join(f"<{m['role']}>{m['content']}" for m in messages) + ("<assistant>" if add_generation_prompt else "")
        return ("<s>" if self.template_bos else "") + body

    def __call__(self, text):
        return {"input_ids": ([1] if self.adds_bos else []) + [ord(c) for c in text]}


def test_render_chat_prompt_leaves_the_bos_to_a_tokenizer_that_adds_it() -> None:
    from finetune_platform.formats.templates import render_chat_prompt

    messages = [{"role": "user", "content": "hi"}]
    assert render_chat_prompt(_StubTokenizer(adds_bos=True), messages) == "<user>hi<assistant>"
    assert render_chat_prompt(_StubTokenizer(adds_bos=False), messages) == "<s><user>hi<assistant>"
    assert render_chat_prompt(_StubTokenizer(adds_bos=True, template_bos=False), messages) == "<user>hi<assistant>"


def test_whether_a_tokenizer_adds_bos_is_asked_once_and_again_when_its_bos_settings_change() -> None:
    """The server renders every chat request: tokenising a probe each time cost ~0.1 ms a request."""
    from finetune_platform.formats.templates import render_chat_prompt

    class Counting(_StubTokenizer):
        add_bos_token = True
        calls = 0

        def __call__(self, text):
            Counting.calls += 1
            return {"input_ids": ([1] if self.add_bos_token else []) + [ord(c) for c in text]}

    tokenizer, messages = Counting(adds_bos=True), [{"role": "user", "content": "hi"}]
    for _ in range(3):
        assert render_chat_prompt(tokenizer, messages) == "<user>hi<assistant>"
    assert Counting.calls == 1
    tokenizer.add_bos_token = False  # as transformers' tokenizers let a user switch it
    assert render_chat_prompt(tokenizer, messages) == "<s><user>hi<assistant>" and Counting.calls == 2


def test_a_real_tokenizer_whose_post_processor_changes_is_asked_again(tmp_path) -> None:
    """The platform's tiny tokenizer adds BOS through its post-processor (add_bos_token stays False):
    switching on add_eos_token rebuilds that post-processor without BOS, and the answer follows it."""
    from transformers import AutoTokenizer

    from finetune_platform.formats.templates import _adds_bos
    from finetune_platform.training.tiny_model import train_tokenizer

    tokenizer = train_tokenizer(["my router keeps dropping wifi", "reset it please"] * 20, 300)
    tokenizer.save_pretrained(tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    assert _adds_bos(tokenizer) is (tokenizer("a")["input_ids"][0] == tokenizer.bos_token_id) is True
    tokenizer.add_eos_token = True
    assert _adds_bos(tokenizer) is (tokenizer("a")["input_ids"][0] == tokenizer.bos_token_id)
