"""User feedback -> training data: corrections become SFT records and DPO preference pairs.

Input is ``LogStore.feedback_between`` (``store.FEEDBACK_COLUMNS``): each feedback row joined with the
prompt and response it rates. Both were redacted when they were logged, so the output is PII-free to the
same standard as curated records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from finetune_platform.formats.instructions import normalise_label
from finetune_platform.schemas import RECORD_COLUMNS

#: Source name, file and doc type of records made from feedback (lineage: record_id ends in the feedback id).
FEEDBACK_SOURCE = "feedback"
FEEDBACK_SOURCE_FILE = "feedback-store"
FEEDBACK_DOC_TYPE = "feedback"

#: Columns of ``feedback_to_preference_pairs``: what DPO needs, where each pair came from, and a chat
#: request's conversation as the client sent it (``messages``: JSON, "" for a completions request or a
#: request logged before conversations were), which ``prompts_as_served`` renders whole, with the passages
#: a knowledge index added to it (``rag_context``: the log store's JSON, "" when none were).
PREFERENCE_COLUMNS: list[str] = [
    "prompt", "chosen", "rejected", "response_id", "feedback_id", "messages", "rag_context",
]

_REQUIRED = ("feedback_id", "response_id", "rating", "correction", "prompt", "response")


@dataclass(frozen=True)
class PreferenceStats:
    """What happened to every feedback row offered to ``feedback_to_preference_pairs``."""

    feedback_rows: int
    pairs: int
    #: thumbs-down without a correction: a signal that the answer was bad, but no better answer to learn.
    negative_without_correction: int
    #: a correction identical to the model's response (after trimming): no preference to learn.
    correction_same_as_response: int
    #: the request had no response (an error): nothing to reject.
    empty_response: int
    #: the same (prompt, chosen, rejected) from several feedback rows, kept once.
    duplicates_dropped: int
    #: rows a later rating of the same answer replaced (a user who rates again changes their verdict).
    superseded: int = 0
    #: corrections sent with a thumbs-up: the user liked the answer, so it is not the one to reject.
    positive_with_correction: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        """One sentence for asset metadata and logs."""
        return (
            f"{self.pairs} preference pairs from {self.feedback_rows} feedback rows; "
            f"{self.negative_without_correction} thumbs-down without a correction (no chosen answer), "
            f"{self.correction_same_as_response} corrections equal to the response, "
            f"{self.empty_response} with an empty response, {self.duplicates_dropped} duplicates dropped, "
            f"{self.superseded} replaced by a later rating of the same answer, {self.positive_with_correction} "
            "corrections sent with a thumbs-up left out."
        )


@dataclass(frozen=True)
class FeedbackSelection:
    """The feedback rows that may become training data, and how many were left out and why."""

    rows: pd.DataFrame
    #: rows a later rating of the same answer replaced (in the frame, or in the store: ``latest``)
    superseded: int
    #: corrections sent with a thumbs-up
    positive_with_correction: int


def trainable_feedback(feedback: pd.DataFrame, latest: Mapping[str, int] | None = None) -> FeedbackSelection:
    """The rows of ``feedback`` whose verdict stands: each answer's latest feedback row only (by
    ``created_at``, then ``feedback_id``; with ``latest``, ``LogStore.latest_feedback_ids`` over all days,
    a row a later day's rating replaced is left out too), and no correction sent with a thumbs-up (the
    user liked the answer: it must not become the rejected side of a pair, nor its "correction" a reply).
    A user who sends the same correction twice, or changes their mind, yields one example, not several: when
    the batch holding the first was written already (batch files never change), ``feedback_set`` lists that
    line on its source's withdrawal list (``feedback_source.withdraw_superseded_feedback``)."""
    order = ["created_at", "feedback_id"] if "created_at" in feedback.columns else ["feedback_id"]
    ordered = feedback.sort_values(order, kind="stable")
    current = ordered.drop_duplicates("response_id", keep="last")
    if latest is not None:
        stands = [latest.get(str(r), int(f)) == int(f) for r, f in zip(current["response_id"], current["feedback_id"])]
        current = current.loc[pd.Series(stands, index=current.index, dtype=bool)]  # a bare [] would pick columns
    positive = (current["rating"] > 0) & _has_text(current["correction"])
    rows = current[~positive].sort_index()
    return FeedbackSelection(rows, len(feedback) - len(current), int(positive.sum()))


def feedback_to_records(feedback: pd.DataFrame, latest: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Records (``schemas.RECORD_COLUMNS``) from feedback rows with a non-empty correction, among the rows
    whose verdict stands (:func:`trainable_feedback`, with ``latest``).

    ``text`` is the prompt and ``response`` the correction: the answer a user says the model should have
    given. A chat request logged with its conversation (``messages``) that ends with the user's turn becomes
    a conversation record: its ``messages`` are the logged turns followed by the correction as the
    assistant's reply, so the earlier turns the answer depended on stay with it (SFT trains on that last
    reply only: ``formats.conversations.LAST_TURN_ONLY_SOURCES``). ``record_id`` is
    ``feedback/feedback-store#<feedback id>`` so a trained example traces back to the feedback row. Rows
    without a correction carry no answer to train on and are not records.
    """
    _check_columns(feedback, "feedback_to_records")
    feedback = trainable_feedback(feedback, latest).rows
    with_correction = feedback[_has_text(feedback["correction"])]
    corrections = with_correction["correction"].astype(str).str.strip()
    logged = with_correction["messages"] if "messages" in with_correction.columns else [None] * len(with_correction)
    conversations = [
        json.dumps([*turns, {"role": "assistant", "content": correction}], ensure_ascii=False)
        if _answers_a_user(turns)
        else ""
        for turns, correction in zip(
            (_logged_conversation(value, int(i)) for value, i in zip(logged, with_correction["feedback_id"])),
            corrections,
            strict=True,
        )
    ]
    # A correction of a classification (a prompt in the classify template) is the ticket's right label, not a
    # reply: the record carries it as its label, so the format stage makes it a classify example.
    classified = [_asks_for_a_category(str(p)) for p in with_correction["prompt"]]
    records = pd.DataFrame(
        {
            "record_id": [f"{FEEDBACK_SOURCE}/{FEEDBACK_SOURCE_FILE}#{int(i)}" for i in with_correction["feedback_id"]],
            "source": FEEDBACK_SOURCE,
            "source_file": FEEDBACK_SOURCE_FILE,
            "source_row": with_correction["feedback_id"].astype(int).to_numpy(),
            "doc_type": FEEDBACK_DOC_TYPE,
            "text": with_correction["prompt"].astype(str).to_numpy(),
            "response": ["" if c else r for c, r in zip(classified, corrections, strict=True)],
            "label": [normalise_label(r) if c else "" for c, r in zip(classified, corrections, strict=True)],
            "messages": conversations,
        },
        columns=RECORD_COLUMNS,
    )
    return records.reset_index(drop=True)


#: The classify template's task line, in any case and spacing (as ``formats.instructions`` reads markers).
_CLASSIFY_TASK = re.compile(r"^\s*###[ \t]*task:[ \t]*classify[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)


def _asks_for_a_category(prompt: str) -> bool:
    """Whether ``prompt`` is the platform's classify prompt (its answer is a category, not a reply)."""
    return _CLASSIFY_TASK.search(prompt) is not None


def feedback_to_preference_pairs(
    feedback: pd.DataFrame, latest: Mapping[str, int] | None = None
) -> tuple[pd.DataFrame, PreferenceStats]:
    """DPO pairs (``PREFERENCE_COLUMNS``): chosen = the user's correction, rejected = the model's response,
    from the rows whose verdict stands (:func:`trainable_feedback`, with ``latest``).

    Returns the pairs and ``PreferenceStats``, which accounts for every row that did not become a pair
    (notably thumbs-down without a correction), so nothing is dropped silently.
    """
    _check_columns(feedback, "feedback_to_preference_pairs")
    offered = len(feedback)
    selection = trainable_feedback(feedback, latest)
    feedback = selection.rows
    has_correction = _has_text(feedback["correction"])
    has_response = _has_text(feedback["response"])
    negative_without_correction = int(((feedback["rating"] < 0) & ~has_correction).sum())

    candidates = feedback[has_correction]
    empty_response = int((~has_response[has_correction]).sum())
    candidates = candidates[has_response[has_correction]]
    chosen = candidates["correction"].astype(str).str.strip()
    rejected = candidates["response"].astype(str).str.strip()
    # a corrected classification: the label as SFT trains the model to write it ("Refund" is "refund")
    classify = candidates["prompt"].astype(str).map(_asks_for_a_category).astype(bool)
    chosen = chosen.where(~classify, chosen.map(normalise_label))
    same = chosen == rejected
    candidates, chosen, rejected = candidates[~same], chosen[~same], rejected[~same]

    conversations = pd.Series(
        [
            value if _logged_conversation(value, int(i)) else ""  # None, NaN and "[]" are no conversation
            for value, i in zip(candidates["messages"], candidates["feedback_id"], strict=True)
        ]
        if "messages" in candidates.columns
        else "",
        index=candidates.index,
        dtype=object,
    )
    contexts = pd.Series(
        [
            value if _logged_rag_context(value, int(i)) else ""
            for value, i in zip(candidates["rag_context"], candidates["feedback_id"], strict=True)
        ]
        if "rag_context" in candidates.columns
        else "",
        index=candidates.index,
        dtype=object,
    )
    pairs = pd.DataFrame(
        {
            "prompt": candidates["prompt"].astype(str),
            "chosen": chosen,
            "rejected": rejected,
            "response_id": candidates["response_id"].astype(str),
            "feedback_id": candidates["feedback_id"].astype(int),
            "messages": conversations,
            "rag_context": contexts,
        },
        columns=PREFERENCE_COLUMNS,
    )
    before = len(pairs)
    # the same answers to the same last question after different earlier turns are different preferences
    pairs = pairs.drop_duplicates(subset=_PAIR_KEY).reset_index(drop=True)
    stats = PreferenceStats(
        feedback_rows=offered,
        pairs=len(pairs),
        negative_without_correction=negative_without_correction,
        correction_same_as_response=int(same.sum()),
        empty_response=empty_response,
        duplicates_dropped=before - len(pairs),
        superseded=selection.superseded,
        positive_with_correction=selection.positive_with_correction,
    )
    return pairs, stats


#: What makes two preference pairs the same pair (the same answers after other earlier turns, or other
#: retrieved passages, are another preference).
_PAIR_KEY = ["prompt", "chosen", "rejected", "messages", "rag_context"]

#: Pair columns that pairs files written by earlier versions lack (read as "", like a pair without them).
_OPTIONAL_PAIR_COLUMNS = ("messages", "rag_context")


def _pair_key(pairs: pd.DataFrame) -> list[str]:
    """:data:`_PAIR_KEY` for ``pairs``, without the optional columns a pairs file written before they were
    logged lacks."""
    return [c for c in _PAIR_KEY if c in pairs.columns or c not in _OPTIONAL_PAIR_COLUMNS]


def _has_text(column: pd.Series) -> pd.Series:
    """True where the value is a string with something other than whitespace (None/NaN count as empty)."""
    return column.map(lambda v: isinstance(v, str) and bool(v.strip())).astype(bool)


def _check_columns(feedback: pd.DataFrame, where: str) -> None:
    missing = [c for c in _REQUIRED if c not in feedback.columns]
    if missing:
        raise ValueError(
            f"{where}: feedback is missing columns {missing}; pass the DataFrame from LogStore.feedback_between "
            f"(columns {list(_REQUIRED)} at least)."
        )


def drop_superseded_pairs(
    pairs: pd.DataFrame, latest_of: Callable[[list[str]], Mapping[str, int]]
) -> tuple[pd.DataFrame, int]:
    """``pairs`` without those whose feedback a later rating of the same answer replaced, and how many those
    were. A day's pair file is written when that day is processed; a user who rates the answer again later
    (a thumbs-up, another correction) changes their verdict, and the old pair must not be trained on.
    ``latest_of`` maps response ids to their latest feedback id (``LogStore.latest_feedback_ids``); pairs
    without a response or feedback id, or whose response the store no longer holds, are kept."""
    if pairs.empty or "response_id" not in pairs.columns or "feedback_id" not in pairs.columns:
        return pairs, 0

    def ids(response: Any, feedback: Any) -> tuple[str, int] | None:
        if not isinstance(response, str) or not response or feedback is None or pd.isna(feedback):
            return None
        try:
            return response, int(feedback)
        except (TypeError, ValueError):
            return None

    keys = [ids(r, f) for r, f in zip(pairs["response_id"], pairs["feedback_id"], strict=True)]
    latest = latest_of(sorted({k[0] for k in keys if k is not None}))
    stands = [k is None or latest.get(k[0], k[1]) == k[1] for k in keys]
    kept = pairs.loc[pd.Series(stands, index=pairs.index, dtype=bool)].reset_index(drop=True)
    return kept, int(len(pairs) - len(kept))


#: A held-out ticket at least this long (normalised) that begins a pair's prompt is taken for that ticket,
#: cut by the format stage; a shorter one could begin an unrelated prompt.
_CUT_TICKET_MIN_CHARS = 200


def _cut_at_word(text: str, limit: int) -> str:
    """``text`` up to ``limit`` characters, ending at a word boundary."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    return head[: head.rfind(" ")] if " " in head else head


def decontaminate_preference_pairs(
    pairs: pd.DataFrame, held_out_prompts: list[str], near_duplicate_threshold: float = 0.8
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The preference pairs DPO may train on, and what was dropped.

    Pairs come from production traffic, and production traffic can be a held-out ticket (the validation and
    test tickets the candidate is evaluated on): DPO on it would inflate the very evaluation that gates
    promotion. Dropped, counted by reason:

    - ``duplicates``: the same (prompt, chosen, rejected) again, e.g. on another day's file (the first kept);
    - ``held_out_exact``: the prompt's ticket text (``ticket_from_prompt``, normalised as the training set's
      leakage check does) is a held-out ticket's;
    - ``held_out_near``: it is a near-duplicate of one (word 3-gram Jaccard >= ``near_duplicate_threshold``,
      the training set's own near-duplicate rule; 1.0 turns this off).
    """
    from finetune_platform.curation.dedup import near_duplicate_pairs
    from finetune_platform.datasets.split import NEAR_DUPLICATE_SHINGLE_WORDS, normalize_prompt
    from finetune_platform.formats.instructions import ticket_from_prompt

    missing = [c for c in ("prompt", "chosen", "rejected") if c not in pairs.columns]
    if missing:
        raise ValueError(f"preference pairs are missing columns {missing}; expected prompt, chosen, rejected")
    stats = {"read": int(len(pairs)), "duplicates": 0, "held_out_exact": 0, "held_out_near": 0}
    for column in _OPTIONAL_PAIR_COLUMNS:  # NaN where a file's line had none: "" like a pair built without one
        if column in pairs.columns:
            pairs = pairs.assign(**{column: pairs[column].map(lambda v: v if isinstance(v, str) else "")})
    unique = pairs.drop_duplicates(_pair_key(pairs)).reset_index(drop=True)
    stats["duplicates"] = int(len(pairs) - len(unique))
    keys = [normalize_prompt(ticket_from_prompt(str(p))) for p in unique["prompt"]]
    held = {normalize_prompt(ticket_from_prompt(str(p))) for p in held_out_prompts}
    # A held-out prompt holds its ticket cut to the format stage's max_ticket_chars; production sends the
    # whole ticket. A long held-out ticket that begins a pair's prompt is that ticket.
    by_length: dict[int, set[str]] = {}
    for key in held:
        if len(key) >= _CUT_TICKET_MIN_CHARS:
            by_length.setdefault(len(key), set()).add(key)
    exact = [key in held or any(key[:n] in cut for n, cut in by_length.items()) for key in keys]
    stats["held_out_exact"] = int(sum(exact))
    near = [False] * len(keys)
    if near_duplicate_threshold < 1.0 and held:
        held_list = sorted(held)
        # each distinct prompt once: production repeats its questions, and n copies of one text would be
        # n²/2 pairs of it with itself in the join; compared as far as a held-out ticket goes (they were cut)
        longest = max(len(k) for k in held_list)
        candidates = sorted({keys[i] for i, is_exact in enumerate(exact) if not is_exact})
        texts = held_list + [_cut_at_word(k, longest) for k in candidates]
        leaked: set[str] = set()
        for a, b, _ in near_duplicate_pairs(texts, NEAR_DUPLICATE_SHINGLE_WORDS, near_duplicate_threshold, method="exact"):
            if a < len(held_list) <= b:  # one held-out ticket, one pair prompt (a < b always)
                leaked.add(candidates[b - len(held_list)])
        near = [not e and key in leaked for key, e in zip(keys, exact, strict=True)]
    stats["held_out_near"] = int(sum(near))
    keep = [not (e or n) for e, n in zip(exact, near, strict=True)]
    kept = unique.loc[keep].reset_index(drop=True)
    stats["kept"] = int(len(kept))
    return kept, stats


def prompts_as_served(pairs: pd.DataFrame, tokenizer: Any) -> tuple[pd.DataFrame, dict[str, int]]:
    """The pairs with each prompt as the model saw it when it answered, and how many of each kind.

    DPO must raise the chosen answer's likelihood given what the model is given when serving, not given
    text it never sees. The log store keeps a chat request's user turns as its ``prompt`` and, since
    conversations are logged, the whole conversation the client sent (``messages``); a completions
    request's prompt is kept as sent. Each prompt becomes:

    - ``conversation_rendered``: a logged conversation (system message and earlier turns included),
      rendered through ``tokenizer``'s chat template with the generation prompt as the server renders a
      chat request (``formats.templates.default_chat_prompt`` for a tokenizer without a template, as the
      server does); ``with_earlier_turns`` counts those holding more than one user turn;
    - ``instruction_template``: without a conversation, a prompt in one of the platform's instruction
      templates (``### Task: ...``, a completions request) is kept;
    - ``user_text_rendered``: any other prompt is a chat request logged before conversations were: its
      user text, rendered as one user turn (earlier assistant turns were not logged then);
    - ``refused_by_chat_template``: kept as logged when the template refuses the conversation (the server
      answered it, so this means the tokenizer changed since).

    ``with_retrieved_passages`` counts the rendered prompts that get back the passages a knowledge index
    added to the request (``rag_context``, logged with it), where the server put them (the system message,
    or the last user turn for a template without one, also when the SFT model's template refuses the
    system message the served model took): the model answered given them, so DPO trains given them. (The
    conversation records made from the same feedback, for SFT, stay without them, like every other
    conversation SFT trains on.)
    """
    from jinja2.exceptions import TemplateError

    from finetune_platform.formats.instructions import PROMPT_TEMPLATES
    from finetune_platform.formats.templates import default_chat_prompt, render_chat_prompt
    from finetune_platform.rag.index import insert_context

    template_starts = tuple(template.split("{text}")[0] for template in PROMPT_TEMPLATES.values())
    counts = {"conversation_rendered": 0, "with_earlier_turns": 0, "with_retrieved_passages": 0,
              "instruction_template": 0, "user_text_rendered": 0, "refused_by_chat_template": 0}
    has_template = bool(getattr(tokenizer, "chat_template", None))

    def render(turns: list[dict[str, str]]) -> str:
        return render_chat_prompt(tokenizer, turns) if has_template else default_chat_prompt(turns)

    conversations = pairs["messages"] if "messages" in pairs.columns else [None] * len(pairs)
    contexts = pairs["rag_context"] if "rag_context" in pairs.columns else [None] * len(pairs)
    prompts = []
    for i, (prompt, logged, retrieved) in enumerate(
        zip(pairs["prompt"].astype(str), conversations, contexts, strict=True)
    ):
        turns = _logged_conversation(logged, i, "preference pair")
        context = _logged_rag_context(retrieved, i, "preference pair")
        try:
            earlier = sum(t["role"] == "user" for t in turns) > 1
            if turns:
                kind = "conversation_rendered"
            elif prompt.startswith(template_starts):
                counts["instruction_template"] += 1
                prompts.append(prompt)
                continue
            else:
                kind = "user_text_rendered"
                turns = [{"role": "user", "content": prompt}]
            if context is None:
                prompt = render(turns)
            else:
                placement, block = context
                try:
                    prompt = render(insert_context(turns, block, placement))  # type: ignore[arg-type]
                except (TemplateError, ValueError, TypeError, IndexError):
                    if placement != "system":
                        raise
                    # as the server does when a template takes no system message (the SFT model's may not)
                    prompt = render(insert_context(turns, block, "user"))
            counts[kind] += 1
            counts["with_earlier_turns"] += earlier
            counts["with_retrieved_passages"] += context is not None
        except (TemplateError, ValueError, TypeError, IndexError):
            counts["refused_by_chat_template"] += 1
        prompts.append(prompt)
    return pairs.assign(prompt=prompts), counts


def _answers_a_user(turns: list[dict[str, str]]) -> bool:
    """Whether a correction appended to ``turns`` answers a user: the conversation ends with a user turn that
    says something. Otherwise (no user turn, or a trailing assistant turn the client pre-filled, which a
    conversation record would merge with the correction) the record stays plain text and answer."""
    return bool(turns) and turns[-1]["role"] == "user" and bool(turns[-1]["content"].strip())


def _logged_rag_context(value: Any, row: int, what: str = "feedback row") -> tuple[str, str] | None:
    """A logged ``rag_context`` value (the log store's JSON) as (placement, context); None for none. A value
    that is not one raises a ValueError naming ``what`` and ``row``: the store only writes well-formed ones."""
    from finetune_platform.monitoring.store import _checked_rag_context

    if not isinstance(value, str) or not value.strip():
        return None
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what} {row}: rag_context is not valid JSON ({exc.msg} at char {exc.pos})") from exc
    try:
        return _checked_rag_context(data)  # what the store checked before writing it
    except ValueError as exc:
        raise ValueError(f"{what} {row}: rag_context must be a JSON object with placement 'system' or 'user' and "
                         "a context string") from exc


def _logged_conversation(value: Any, row: int, what: str = "feedback row") -> list[dict[str, str]]:
    """A logged ``messages`` value (the JSON the log store keeps) as turns; [] for none. A value that is not a
    conversation raises a ValueError naming ``what`` and ``row``: the store only writes well-formed ones."""
    if not isinstance(value, str) or not value.strip():
        return []
    try:
        turns = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what} {row}: messages is not valid JSON ({exc.msg} at char {exc.pos})") from exc
    if not isinstance(turns, list) or not all(
        isinstance(t, dict) and isinstance(t.get("role"), str) and isinstance(t.get("content"), str) for t in turns
    ):
        raise ValueError(f"{what} {row}: messages must be a JSON list of {{role, content}} turns")
    return [{"role": t["role"], "content": t["content"]} for t in turns]


#: Columns ``feedback_source.read_preference_pairs`` adds to say where each pair was read: the file's name and
#: the line in it (1-based).
PAIR_LOCATION_COLUMNS: tuple[str, str] = ("pairs_file", "pairs_line")


class PreferencePairsPiiError(ValueError):
    """Preference pairs hold detectable PII: DPO must not train on them (see :func:`refuse_pairs_with_pii`)."""


def refuse_pairs_with_pii(pairs: pd.DataFrame, show: int = 10) -> int:
    """The PII gate before DPO: raise :class:`PreferencePairsPiiError` when any text of ``pairs`` that DPO trains
    on (``prompt``, ``chosen``, ``rejected``, each turn of the logged conversation ``messages``, the retrieved
    passages of ``rag_context``) holds PII that ``curation.pii.scan_for_pii`` (the SFT data's gates) detects;
    returns how many texts it scanned.

    The pairs come from the log store, which redacts on write, so a hit means a pairs file written by hand or
    by an older version, or a value the store's redaction missed: the error names the first ``show`` hits by
    file, line (``PAIR_LOCATION_COLUMNS``, else the row), field, type and the value's shape (never the value),
    so that the pair can be fixed or removed before training again. Nothing is dropped quietly: training on
    the rest would hide that the store let PII through.
    """
    from finetune_platform.curation.pii import scan_for_pii

    texts: list[str] = []
    where: list[tuple[int, str]] = []  # (row, field) of each text
    for row, pair in enumerate(pairs.to_dict("records")):
        for field in ("prompt", "chosen", "rejected"):
            if isinstance(pair.get(field), str):
                texts.append(pair[field])
                where.append((row, field))
        for i, turn in enumerate(_logged_conversation(pair.get("messages"), row, "preference pair")):
            texts.append(turn["content"])
            where.append((row, f"messages[{i}].content"))
        context = _logged_rag_context(pair.get("rag_context"), row, "preference pair")
        if context is not None:
            texts.append(context[1])
            where.append((row, "rag_context.context"))
    hits = scan_for_pii(texts)
    if not hits:
        return len(texts)
    files, lines = (pairs[c].tolist() if c in pairs.columns else None for c in PAIR_LOCATION_COLUMNS)

    def locate(row: int) -> str:
        if files is not None and lines is not None:
            return f"{files[row]} line {int(lines[row])}"
        return f"row {row}"

    listed = [f"{locate(where[h.index][0])}, field '{where[h.index][1]}': {h.type} {h.masked}" for h in hits[:show]]
    more = f"\n  ... and {len(hits) - show} more" if len(hits) > show else ""
    rows = len({where[h.index][0] for h in hits})
    raise PreferencePairsPiiError(
        f"{len(hits)} PII values in {rows} of {len(pairs)} preference pairs; DPO does not train on PII:\n  "
        + "\n  ".join(listed) + more
        + "\nRedact or remove those pairs (the log store redacts feedback on write: these came from elsewhere or "
        "slipped past its redaction), then run the stage again."
    )
