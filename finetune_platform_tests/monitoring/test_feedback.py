from __future__ import annotations

import json

import pandas as pd
import pytest

from finetune_platform.monitoring.feedback import (
    PREFERENCE_COLUMNS,
    decontaminate_preference_pairs,
    feedback_to_preference_pairs,
    feedback_to_records,
)
from finetune_platform.schemas import RECORD_COLUMNS


def _feedback() -> pd.DataFrame:
    rows = [
        # feedback_id, response_id, rating, correction, prompt, response
        (11, "r1", -1, "Restart the router, then reset it.", "Router down", "Thanks for your message."),
        (12, "r2", -1, None, "Invoice wrong", "We will check."),
        (13, "r3", -1, "   ", "Laptop slow", "Buy a new one."),
        (14, "r4", 1, None, "Password reset", "Use the link."),
        (15, "r5", 0, "Use the link.", "Password again", "Use the link."),  # correction == response
        (16, "r6", -1, "Try again later.", "Timeout", ""),  # failed request: nothing to reject
        (17, "r1", -1, "Restart the router, then reset it.", "Router down", "Thanks for your message."),  # sent again
        (18, "r7", 1, "Great answer, thanks!", "Reset password?", "Click reset."),  # a thumbs-up is no correction
    ]
    frame = pd.DataFrame(rows, columns=["feedback_id", "response_id", "rating", "correction", "prompt", "response"])
    frame["comment"] = None
    return frame


def test_records_come_only_from_corrections_with_lineage() -> None:
    records = feedback_to_records(_feedback())
    assert list(records.columns) == RECORD_COLUMNS
    # 11 was sent again as 17 (one verdict per answer: the latest), 18 came with a thumbs-up
    assert records["source_row"].tolist() == [15, 16, 17]
    first = records.iloc[-1]
    assert first["record_id"] == "feedback/feedback-store#17"
    assert (first["source"], first["source_file"], first["doc_type"]) == ("feedback", "feedback-store", "feedback")
    assert (first["text"], first["response"]) == ("Router down", "Restart the router, then reset it.")
    assert (first["label"], first["messages"]) == ("", "")
    assert records["record_id"].is_unique


def test_a_corrected_classification_becomes_a_classify_example(tmp_path) -> None:
    """A correction of a classify prompt is the ticket's label: through the batch file, ingest, curation and
    the format stage it is a classify example, not a one-word reply that curation drops."""
    from finetune_platform.curation import CurationSettings, curate
    from finetune_platform.formats.instructions import PROMPT_TEMPLATES, build_instruction_examples
    from finetune_platform.ingest import ingest_source
    from finetune_platform.monitoring.feedback_source import FEEDBACK_SOURCE, write_feedback_source

    ticket = "I was charged twice for my order, please give my money back."
    frame = pd.DataFrame([(1, "r1", -1, "Refund", PROMPT_TEMPLATES["classify"].format(text=ticket), "billing")],
                         columns=["feedback_id", "response_id", "rating", "correction", "prompt", "response"])
    frame["comment"] = None
    records = feedback_to_records(frame)
    assert records[["response", "label"]].values.tolist() == [["", "refund"]]
    write_feedback_source(records, tmp_path, "2026-11-05", frame)
    raw = ingest_source(FEEDBACK_SOURCE, tmp_path).records
    assert raw[["text", "label"]].values.tolist() == [[ticket, "refund"]]
    curated = curate(raw, CurationSettings()).records
    examples = build_instruction_examples(curated)
    assert examples[["task", "completion"]].values.tolist() == [["classify", "refund"]]


def test_preference_pairs_content_and_stats_account_for_every_row() -> None:
    pairs, stats = feedback_to_preference_pairs(_feedback())
    assert list(pairs.columns) == PREFERENCE_COLUMNS
    assert pairs.to_dict("records") == [
        {
            "prompt": "Router down",
            "chosen": "Restart the router, then reset it.",
            "rejected": "Thanks for your message.",
            "response_id": "r1",
            "feedback_id": 17,
            "messages": "",
            "rag_context": "",
        }
    ]
    assert stats.to_dict() == {
        "feedback_rows": 8,
        "pairs": 1,
        "negative_without_correction": 2,  # ids 12 and 13 (blank correction)
        "correction_same_as_response": 1,
        "empty_response": 1,
        "duplicates_dropped": 0,
        "superseded": 1,  # 11, sent again as 17
        "positive_with_correction": 1,  # 18
    }
    assert "2 thumbs-down without a correction" in stats.summary()


def test_empty_feedback_gives_empty_outputs() -> None:
    empty = _feedback().iloc[0:0]
    assert feedback_to_records(empty).empty
    pairs, stats = feedback_to_preference_pairs(empty)
    assert pairs.empty and list(pairs.columns) == PREFERENCE_COLUMNS and stats.feedback_rows == 0


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match=r"feedback_to_records: feedback is missing columns \['correction'\]"):
        feedback_to_records(_feedback().drop(columns=["correction"]))


def test_preference_pairs_on_held_out_tickets_or_repeated_are_dropped() -> None:
    from finetune_platform.formats.instructions import PROMPT_TEMPLATES
    from finetune_platform.monitoring.feedback import decontaminate_preference_pairs

    held_out = [PROMPT_TEMPLATES["classify"].format(text="My parcel from the Berlin warehouse never arrived at all")]
    pairs = pd.DataFrame(
        [
            # the held-out ticket, sent as a chat (no template) and in other case and spacing
            {"prompt": "my parcel from the  Berlin warehouse never arrived at all", "chosen": "a", "rejected": "b"},
            # a near-duplicate of it (one word more)
            {"prompt": "My parcel from the Berlin warehouse never arrived at all today", "chosen": "a", "rejected": "b"},
            {"prompt": "How do I reset my password?", "chosen": "Use the link.", "rejected": "No."},
            {"prompt": "How do I reset my password?", "chosen": "Use the link.", "rejected": "No."},  # another day's file
            {"prompt": "How do I reset my password?", "chosen": "Use the reset link.", "rejected": "No."},
        ]
    )
    kept, stats = decontaminate_preference_pairs(pairs, held_out)
    assert kept["chosen"].tolist() == ["Use the link.", "Use the reset link."]
    assert stats == {"read": 5, "duplicates": 1, "held_out_exact": 1, "held_out_near": 1, "kept": 2}
    exact_only, stats = decontaminate_preference_pairs(pairs, held_out, near_duplicate_threshold=1.0)
    assert stats["held_out_near"] == 0 and len(exact_only) == 3
    with pytest.raises(ValueError, match=r"missing columns \['rejected'\]"):
        decontaminate_preference_pairs(pairs.drop(columns=["rejected"]), held_out)

    # production repeats its questions: near-duplicates of a held-out ticket among many copies of one
    # prompt are found once per text (the join sees each distinct prompt once)
    many = pd.DataFrame({"prompt": ["My parcel from the Berlin warehouse never arrived at all today"] * 3000
                         + ["How do I reset my password?"] * 3000,
                         "chosen": [f"a{i}" for i in range(6000)], "rejected": "b"})
    kept, stats = decontaminate_preference_pairs(many, held_out)
    assert stats["held_out_near"] == 3000 and len(kept) == 3000


def test_a_long_held_out_ticket_sent_whole_is_caught() -> None:
    """The training set holds a long ticket cut to max_ticket_chars; production sends it whole: the cut
    ticket begins the pair's prompt (exact), or a near-duplicate of its beginning does (near)."""
    from finetune_platform.formats.instructions import FormatSettings, build_instruction_examples
    from finetune_platform.monitoring.feedback import decontaminate_preference_pairs

    words = [f"w{i}" for i in range(400)]
    ticket = " ".join(f"the {w} part of my order never arrived" for w in words[:40])  # ~1,400 characters
    records = pd.DataFrame([{"record_id": "t/f#1", "source": "t", "source_file": "f", "source_row": 1,
                             "doc_type": "chat", "text": ticket, "response": "", "label": "shipping", "messages": ""}],
                           columns=RECORD_COLUMNS)
    held_out = build_instruction_examples(records, FormatSettings(max_ticket_chars=600))["prompt"].tolist()
    assert len(held_out[0]) < len(ticket)
    pairs = pd.DataFrame([
        {"prompt": ticket, "chosen": "a", "rejected": "b"},
        {"prompt": "Hello, " + ticket.replace("w3 ", "w3x "), "chosen": "a", "rejected": "b"},
        {"prompt": "where is my parcel", "chosen": "a", "rejected": "b"},
    ])
    kept, stats = decontaminate_preference_pairs(pairs, held_out)
    assert kept["prompt"].tolist() == ["where is my parcel"]
    assert (stats["held_out_exact"], stats["held_out_near"]) == (1, 1)


def test_a_pair_whose_answer_was_rated_again_is_dropped() -> None:
    from finetune_platform.monitoring.feedback import drop_superseded_pairs

    pairs = pd.DataFrame({
        "prompt": ["a", "b", "c", "d"], "chosen": "x", "rejected": "y",
        "response_id": ["r1", "r2", "", "r4"], "feedback_id": [1, 2, None, 4],
    })
    latest = {"r1": 1, "r2": 9}  # r2 rated again later; r4 no longer in the store
    kept, dropped = drop_superseded_pairs(pairs, lambda ids: {k: v for k, v in latest.items() if k in ids})
    assert kept["prompt"].tolist() == ["a", "c", "d"] and dropped == 1
    # pairs written without ids (older files) are all kept
    assert drop_superseded_pairs(pairs[["prompt", "chosen", "rejected"]], lambda ids: {})[1] == 0


def test_pair_prompts_are_what_the_model_was_shown():
    """A chat request is logged as the user's text; DPO trains on it as the server rendered it. A completions
    prompt in the instruction template is kept as sent."""
    from finetune_platform.formats.instructions import PROMPT_TEMPLATES
    from finetune_platform.monitoring.feedback import prompts_as_served
    from finetune_platform.training.tiny_model import train_tokenizer

    tokenizer = train_tokenizer(["my router keeps dropping wifi", "reset it please"] * 20, 300)
    templated = PROMPT_TEMPLATES["reply"].format(text="my router keeps dropping wifi")
    pairs = pd.DataFrame({"prompt": ["my router keeps dropping wifi", templated], "chosen": ["a", "b"],
                          "rejected": ["c", "d"]})
    served, counts = prompts_as_served(pairs, tokenizer)
    assert served["prompt"].tolist() == ["### User:\nmy router keeps dropping wifi\n### Assistant:\n", templated]
    assert served[["chosen", "rejected"]].equals(pairs[["chosen", "rejected"]])
    assert counts == {"conversation_rendered": 0, "with_earlier_turns": 0, "with_retrieved_passages": 0,
                      "instruction_template": 1, "user_text_rendered": 1, "refused_by_chat_template": 0}
    # a model without a chat template is sent the platform's own chat format by the server: so is DPO
    tokenizer.chat_template = None
    bare, counts = prompts_as_served(pairs, tokenizer)
    assert bare["prompt"].tolist() == ["### User:\nmy router keeps dropping wifi\n### Assistant:\n", templated]
    assert counts["user_text_rendered"] == 1


def test_pair_prompts_keep_the_logged_conversation():
    """A chat logged with its conversation (system message, earlier turns) is rendered whole; an empty one
    falls back to the user text; a malformed one is an error naming the pair."""
    from finetune_platform.monitoring.feedback import prompts_as_served
    from finetune_platform.training.tiny_model import train_tokenizer

    tokenizer = train_tokenizer(["my router keeps dropping wifi", "reset it please"] * 20, 300)
    conversation = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "my router drops wifi"},
                    {"role": "assistant", "content": "Restart it."}, {"role": "user", "content": "did not help"}]
    pairs = pd.DataFrame({"prompt": ["my router drops wifi\ndid not help", "hello"], "chosen": ["a", "b"],
                          "rejected": ["c", "d"], "messages": [json.dumps(conversation), ""]})
    served, counts = prompts_as_served(pairs, tokenizer)
    assert served["prompt"].tolist() == [
        "### System:\nBe brief.\n### User:\nmy router drops wifi\n### Assistant:\nRestart it.\n"
        "### User:\ndid not help\n### Assistant:\n",
        "### User:\nhello\n### Assistant:\n",
    ]
    assert (counts["conversation_rendered"], counts["with_earlier_turns"], counts["user_text_rendered"]) == (1, 1, 1)
    with pytest.raises(ValueError, match="preference pair 1: messages is not valid JSON"):
        prompts_as_served(pairs.assign(messages=["", "[{"]), tokenizer)
    with pytest.raises(ValueError, match="preference pair 0: messages must be a JSON list"):
        prompts_as_served(pairs.assign(messages=['{"role": "user"}', ""]), tokenizer)


def test_pair_prompts_get_back_the_retrieved_passages_where_the_server_put_them():
    """A RAG-answered chat: the passages logged with it go back into the system message (or, where the
    server put them there, before the last user turn), so DPO trains given what the model was given."""
    from finetune_platform.monitoring.feedback import prompts_as_served
    from finetune_platform.rag.index import CONTEXT_TEMPLATE
    from finetune_platform.training.tiny_model import train_tokenizer

    tokenizer = train_tokenizer(["my router keeps dropping wifi", "reset it please"] * 20, 300)
    context = CONTEXT_TEMPLATE.format(passages="[1] Restart the router, then reset it.")
    conversation = json.dumps([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "wifi drops"}])
    in_system = json.dumps({"placement": "system", "context": context})
    in_user = json.dumps({"placement": "user", "context": context})
    pairs = pd.DataFrame({"prompt": ["wifi drops"] * 4, "chosen": ["a"] * 4, "rejected": ["b"] * 4,
                          "messages": [conversation, conversation, "", conversation],
                          "rag_context": [in_system, in_user, in_system, ""]})
    served, counts = prompts_as_served(pairs, tokenizer)
    assert served["prompt"].tolist() == [
        f"### System:\nBe brief.\n\n{context}\n### User:\nwifi drops\n### Assistant:\n",
        f"### System:\nBe brief.\n### User:\n{context}\n\nwifi drops\n### Assistant:\n",
        f"### System:\n{context}\n### User:\nwifi drops\n### Assistant:\n",  # logged before conversations were
        "### System:\nBe brief.\n### User:\nwifi drops\n### Assistant:\n",
    ]
    assert (counts["with_retrieved_passages"], counts["conversation_rendered"], counts["user_text_rendered"]) == (3, 3, 1)
    # a template without a system role (the SFT model's may differ from the served one): the user turn
    tokenizer.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system role') }}{% endif %}"
        "<{{ m['role'] }}>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"
    )
    no_system, counts = prompts_as_served(pairs.iloc[2:3], tokenizer)
    assert no_system["prompt"].tolist() == [f"<user>{context}\n\nwifi drops<assistant>"]
    assert counts["with_retrieved_passages"] == 1 and counts["refused_by_chat_template"] == 0
    with pytest.raises(ValueError, match="preference pair 0: rag_context must be a JSON object"):
        prompts_as_served(pairs.assign(rag_context=['{"placement": "footer", "context": "x"}', "", "", ""]), tokenizer)
    with pytest.raises(ValueError, match="preference pair 2: rag_context is not valid JSON"):
        prompts_as_served(pairs.assign(rag_context=["", "", "{", ""]), tokenizer)


def test_pairs_carry_the_retrieved_passages_and_differ_by_them():
    frame = _feedback().head(1)
    first = json.dumps({"placement": "system", "context": "[1] Restart it."})
    second = json.dumps({"placement": "system", "context": "[1] Replace the cable."})
    two = pd.concat([frame.assign(rag_context=first), frame.assign(rag_context=second, feedback_id=12, response_id="r9")],
                    ignore_index=True)
    pairs, stats = feedback_to_preference_pairs(two)
    assert pairs["rag_context"].tolist() == [first, second] and stats.duplicates_dropped == 0
    kept, cleaned = decontaminate_preference_pairs(pd.concat([pairs, pairs.drop(columns=["rag_context"])]), [])
    # a line without passages (a file written before they were logged) is another pair; two such are one
    assert cleaned["duplicates"] == 1 and len(kept) == 3
    assert kept["rag_context"].tolist() == [first, second, ""]


def test_pairs_carry_the_conversation_and_differ_by_it():
    """The same answers to the same last question after different earlier turns are two preferences."""
    frame = _feedback().head(1)
    first = json.dumps([{"role": "user", "content": "Router down"}])
    second = json.dumps([{"role": "user", "content": "Modem fine"}, {"role": "assistant", "content": "OK."},
                         {"role": "user", "content": "Router down"}])
    two = pd.concat([frame.assign(messages=first), frame.assign(messages=second, feedback_id=12, response_id="r9")],
                    ignore_index=True)
    pairs, stats = feedback_to_preference_pairs(two)
    assert pairs["messages"].tolist() == [first, second] and stats.duplicates_dropped == 0
    pairs, _ = feedback_to_preference_pairs(two.assign(messages=None))
    assert pairs["messages"].tolist() == [""]


def test_a_correction_becomes_a_conversation_record_only_when_it_answers_the_users_last_turn():
    """Logged turns ending in the user's turn: a conversation record (turns + the correction). No user turn,
    or a trailing assistant turn the client pre-filled: a plain record (text and answer), as before."""
    frame = pd.concat([_feedback().head(1)] * 4, ignore_index=True).assign(
        feedback_id=[1, 2, 3, 4], response_id=["r1", "r2", "r3", "r4"]
    )
    ends_with_user = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Router down"}]
    prefilled = [*ends_with_user, {"role": "assistant", "content": "Sure, here is"}]
    system_only = [{"role": "system", "content": "Be brief."}]
    frame["messages"] = [json.dumps(ends_with_user), json.dumps(prefilled), json.dumps(system_only), None]
    records = feedback_to_records(frame)
    correction = "Restart the router, then reset it."
    assert json.loads(records.loc[0, "messages"]) == [*ends_with_user, {"role": "assistant", "content": correction}]
    assert records.loc[1:, "messages"].tolist() == ["", "", ""]
    assert records["response"].tolist() == [correction] * 4


def test_feedback_conversations_train_on_the_corrected_reply_only():
    """Earlier assistant turns of a corrected chat are the served model's own answers: even with
    conversations=all_turns only the last reply (the correction) is a training target."""
    from finetune_platform.formats.conversations import LAST_TURN_ONLY_SOURCES, conversation_sft_pairs
    from finetune_platform.monitoring.feedback_source import FEEDBACK_CHATS_SOURCE
    from finetune_platform.training.tiny_model import train_tokenizer

    assert FEEDBACK_CHATS_SOURCE.name in LAST_TURN_ONLY_SOURCES
    tokenizer = train_tokenizer(["my router drops wifi", "restart it"] * 20, 300)
    turns = json.dumps([{"role": "user", "content": "router down"}, {"role": "assistant", "content": "WRONG answer"},
                        {"role": "user", "content": "still down"}, {"role": "assistant", "content": "Reset it."}])
    conversations = pd.DataFrame({"example_id": ["a", "b"], "record_id": ["r1", "r2"],
                                  "source": ["feedback_chats", "chats"], "label": ["", ""], "messages": [turns, turns]})
    pairs, _ = conversation_sft_pairs(conversations, tokenizer, turns="all")
    assert pairs.loc[pairs["record_id"] == "r1", "completion"].tolist() == ["Reset it."]
    assert pairs.loc[pairs["record_id"] == "r2", "completion"].tolist() == ["WRONG answer", "Reset it."]


def test_a_later_days_rating_replaces_this_days_correction() -> None:
    """``latest`` (LogStore.latest_feedback_ids, over all days): a thumbs-up the next day withdraws the
    correction, and a newer correction the next day is that day's example, not this one's too."""
    day = _feedback().head(1)  # feedback 11: r1 thumbs-down with a correction
    assert len(feedback_to_records(day, latest={"r1": 11})) == 1
    assert feedback_to_records(day, latest={"r1": 40}).empty  # a later row (40) stands for r1
    pairs, stats = feedback_to_preference_pairs(day, latest={"r1": 40})
    assert pairs.empty and stats.superseded == 1
