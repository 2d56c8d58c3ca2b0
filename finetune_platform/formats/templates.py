"""Does every training example render through the model's tokenizer and fit the maximum length?

Two checks meant for blocking asset checks before training, each returning a :class:`TemplateReport`:

- :func:`check_chat_template`: conversations (``messages``) through ``tokenizer.apply_chat_template``,
  the way TRL's SFT trainer renders them. A template may refuse a conversation (roles that do not
  alternate, a system message it does not support), silently leave a message out, or, for
  ``assistant_only_loss``, mark no assistant token at all; each is a failure of that example.
- :func:`check_instruction_lengths`: prompt/completion pairs tokenised as TRL does for completion-only
  loss: ``tokenizer(prompt)`` and ``tokenizer(prompt + completion + eos)``, special tokens included.

Both count an example too long when its tokens exceed ``max_length``, the length training cuts at
(SFT's ``max_length``, not the model's context): TRL would cut it from the end, which removes the very
completion or assistant reply the example exists to teach. A report passes with at most
``max_too_long_share`` of its examples too long (default 0: none), since a few over-long examples in a
large set are common and cost little. Given the model's ``context_length``, an example training would
feed past it (``max_length`` above the context, or None: SFT does not cut) is ``over_context`` and always
fails: the model cannot take it at all. Both also fail an example whose text contains a special token of the
tokenizer (``</s>``, ``<|im_end|>``) written out as text: the tokenizer reads it as the control token, so
the model would learn to end or switch turns there.
"""

from __future__ import annotations

import json
import math
import re
import weakref
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from jinja2.exceptions import TemplateError

#: Errors a chat template raises on a conversation it does not accept: ``raise_exception(...)`` in the
#: template is a TemplateError; a template indexing or concatenating what the conversation lacks raises the
#: others. Each is reported against the example; anything else is a bug and propagates.
_TEMPLATE_ERRORS = (TemplateError, TypeError, ValueError, KeyError, IndexError)

_GENERATION_TAG = re.compile(r"{%-?\s*generation\s*-?%}")


@dataclass
class TemplateReport:
    """What rendering and tokenising a dataset found.

    failures: ``{"example_id", "error"}`` per example that could not be rendered or is unusable;
    too_long: ``{"example_id", "tokens"}`` per example over ``max_length`` (cut in training), longest first;
    at most ``allowed_too_long`` (``max_too_long_share`` of the examples, rounded down) pass.
    over_context: the same per example that training would feed past ``context_length`` (the model's
    positions), which never passes: only when ``max_length`` is None or above the context. Token statistics
    cover the examples that rendered. For prompt/completion pairs, ``max_prompt_tokens`` and
    ``prompt_boundary_mismatches`` (examples whose tokenised prompt is not a prefix of the tokenised prompt +
    completion: a token merges across the boundary, so the loss mask starts at a shifted place) are set too.
    """

    kind: Literal["chat_template", "prompt_completion"]
    max_length: int | None
    examples: int
    rendered: int
    failures: list[dict[str, str]] = field(default_factory=list)
    too_long: list[dict[str, Any]] = field(default_factory=list)
    max_tokens: int = 0
    mean_tokens: float = 0.0
    p95_tokens: int = 0
    max_prompt_tokens: int = 0
    prompt_boundary_mismatches: list[str] = field(default_factory=list)
    context_length: int | None = None
    over_context: list[dict[str, Any]] = field(default_factory=list)
    max_too_long_share: float = 0.0

    @property
    def allowed_too_long(self) -> int:
        """How many examples may be longer than ``max_length``: ``max_too_long_share`` of them, rounded down."""
        return math.floor(self.max_too_long_share * self.examples + 1e-9)

    @property
    def passed(self) -> bool:
        """True when there were examples, all rendered, none goes past the context and at most
        ``allowed_too_long`` are longer than ``max_length`` (an empty dataset fails)."""
        return (
            self.examples > 0
            and not self.failures
            and not self.over_context
            and len(self.too_long) <= self.allowed_too_long
        )

    def problems(self) -> list[str]:
        """Each reason the report does not pass, as a sentence naming examples and what to do."""
        problems = []
        if self.examples == 0:
            problems.append("there are no examples to check")
        if self.failures:
            first = self.failures[0]
            problems.append(
                f"{len(self.failures)} of {self.examples} examples failed to render, e.g. {first['example_id']}: "
                f"{first['error']}"
            )
        if self.over_context:
            first = self.over_context[0]
            problems.append(
                f"{len(self.over_context)} of {self.examples} examples are longer than the model's context of "
                f"{self.context_length} tokens (longest: {first['example_id']} with {first['tokens']}), and "
                f"training does not cut them to fit it (max_length={self.max_length}); set max_length to "
                f"{self.context_length} or less, or shorten them in formatting (max_ticket_chars, max_reply_chars, "
                "max_turns)"
            )
        if len(self.too_long) > self.allowed_too_long:
            first = self.too_long[0]
            allowed = (
                f", more than the {self.allowed_too_long} allowed (max_too_long_share={self.max_too_long_share})"
                if self.max_too_long_share
                else ""
            )
            problems.append(
                f"{len(self.too_long)} of {self.examples} examples exceed max_length={self.max_length} tokens "
                f"(longest: {first['example_id']} with {first['tokens']}){allowed}; raise max_length or shorten "
                "them in formatting (max_ticket_chars, max_reply_chars, max_turns)"
            )
        return problems

    def as_metadata(self, limit: int = 20) -> dict[str, Any]:
        """JSON-serialisable summary for asset-check metadata, listing at most ``limit`` examples per list."""
        return {
            "kind": self.kind,
            "passed": self.passed,
            "examples": self.examples,
            "rendered": self.rendered,
            "failures": len(self.failures),
            "too_long": len(self.too_long),
            "max_length": self.max_length,
            "context_length": self.context_length,
            "max_too_long_share": self.max_too_long_share,
            "allowed_too_long": self.allowed_too_long,
            "over_context": len(self.over_context),
            "max_tokens": self.max_tokens,
            "mean_tokens": self.mean_tokens,
            "p95_tokens": self.p95_tokens,
            "max_prompt_tokens": self.max_prompt_tokens,
            "prompt_boundary_mismatches": len(self.prompt_boundary_mismatches),
            "failure_examples": self.failures[:limit],
            "too_long_examples": self.too_long[:limit],
            "over_context_examples": self.over_context[:limit],
        }


def default_chat_prompt(messages: list[dict[str, str]]) -> str:
    """The platform's chat rendering (same "### Role:" markers as the tiny model's chat template), for
    models whose tokenizer has no chat template: what the server sends such a model for a chat request."""
    turns = "".join(f"### {m['role'].capitalize()}:\n{m['content']}\n" for m in messages)
    return f"{turns}### Assistant:\n"


def render_chat_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """``messages`` rendered through the tokenizer's chat template with the generation prompt, as text to be
    tokenised with the tokenizer's defaults (special tokens added): what the server sends a model for a chat
    request and what SFT on conversations trains on.

    Templates write the BOS token themselves (``{{ bos_token }}``) and most tokenizers add it again when
    they tokenise, so the model would see two (``<s><s>``, ``<|begin_of_text|><|begin_of_text|>``), which
    it never saw in pretraining. When the tokenizer adds BOS by itself, the template's leading BOS text is
    dropped here: the tokens are then exactly one BOS and the rest, as TRL's own chat path tokenises them.
    Raises what the template raises for a conversation it refuses.
    """
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    bos = getattr(tokenizer, "bos_token", None)
    if bos and prompt.startswith(bos) and _adds_bos(tokenizer):
        return prompt[len(bos):]
    return prompt


def _adds_bos(tokenizer: Any) -> bool:
    """True when tokenising text with the defaults starts it with the BOS token.

    Remembered per tokenizer (tokenising costs ~0.1 ms, and the server renders every chat request), with what
    the answer depends on: the BOS id, ``add_bos_token`` and, for a fast tokenizer, its post-processor's
    serialised state (which adds the special tokens: ``add_eos_token`` or a new post-processor change it
    without touching ``add_bos_token``); a tokenizer that cannot be weakly referenced is asked every time."""
    bos_id = getattr(tokenizer, "bos_token_id", None)
    if bos_id is None:
        return False
    state = (bos_id, getattr(tokenizer, "add_bos_token", None), _post_processor_state(tokenizer))
    try:
        known = _ADDS_BOS.get(tokenizer)
    except TypeError:
        known = None
    if known is not None and known[0] == state:
        return known[1]
    ids = tokenizer("a")["input_ids"]
    adds = bool(ids) and ids[0] == bos_id
    try:
        _ADDS_BOS[tokenizer] = (state, adds)
    except TypeError:  # not weakly referenceable
        pass
    return adds


_ADDS_BOS: "weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], bool]]" = weakref.WeakKeyDictionary()


def _post_processor_state(tokenizer: Any) -> bytes | None:
    """The serialised post-processor of a fast tokenizer's backend (~1 us), None for others."""
    processor = getattr(getattr(tokenizer, "backend_tokenizer", None), "post_processor", None)
    try:
        return processor.__getstate__() if processor is not None else None
    except Exception:  # noqa: BLE001 - a processor that cannot be serialised: the other settings decide
        return None


def check_chat_template(
    conversations: pd.DataFrame,
    tokenizer: Any,
    max_length: int | None,
    *,
    assistant_only_loss: bool = False,
    context_length: int | None = None,
    max_too_long_share: float = 0.0,
) -> TemplateReport:
    """Render every conversation (``example_id``, ``messages`` JSON) with the tokenizer's chat template.

    Each conversation goes through ``tokenizer.apply_chat_template(messages, tokenize=False)`` (to see that
    every message's content is in the text) and ``tokenize=True`` (the token count), without a generation
    prompt, as TRL renders training conversations. With ``assistant_only_loss`` the assistant-token mask is
    requested too and a conversation with no assistant token marked fails. ``max_length`` is the length
    training cuts at (None: no cut, ``context_length`` required); ``context_length`` and
    ``max_too_long_share`` are as in the module docstring.

    Raises ValueError when the tokenizer has no chat template, or ``assistant_only_loss`` is asked of a
    template without ``{% generation %}`` markers: every example would fail, so it is a setup mistake.
    """
    _require(conversations, ["example_id", "messages"], "conversations")
    _check_limits(max_length, context_length, max_too_long_share)
    template = getattr(tokenizer, "chat_template", None)
    if not template:
        raise ValueError(
            f"{type(tokenizer).__name__} has no chat template; set tokenizer.chat_template (or save one as "
            "chat_template.jinja beside the tokenizer) before training on conversations"
        )
    if assistant_only_loss and not _GENERATION_TAG.search(str(template)):
        raise ValueError(
            "assistant_only_loss needs a chat template that wraps assistant replies in {% generation %} ... "
            "{% endgeneration %}; this template has no such markers, so no token would be trained on"
        )
    specials = _special_tokens(tokenizer)
    failures: list[dict[str, str]] = []
    counts: list[tuple[str, int]] = []
    for example_id, raw in zip(conversations["example_id"].astype(str), conversations["messages"], strict=True):
        try:
            messages = _messages(raw)
            _check_specials([m["content"] for m in messages], specials, "messages")
            rendered = tokenizer.apply_chat_template(messages, tokenize=False)
            _check_contents(messages, rendered)
            encoded = tokenizer.apply_chat_template(
                messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=assistant_only_loss
            )
            if assistant_only_loss and 1 not in encoded["assistant_masks"]:
                raise ValueError("no assistant token is inside the template's {% generation %} markers")
        except _TEMPLATE_ERRORS as error:
            failures.append({"example_id": example_id, "error": f"{type(error).__name__}: {error}"})
            continue
        counts.append((example_id, len(encoded["input_ids"])))
    return _report(
        "chat_template", max_length, len(conversations), failures, counts, context_length, max_too_long_share
    )


def check_instruction_lengths(
    examples: pd.DataFrame,
    tokenizer: Any,
    max_length: int | None,
    *,
    context_length: int | None = None,
    max_too_long_share: float = 0.0,
) -> TemplateReport:
    """Token lengths of prompt/completion pairs (``example_id``, ``prompt``, ``completion``) as TRL sees them.

    TRL appends the EOS token to a completion that does not end with it and tokenises ``prompt`` and
    ``prompt + completion`` with the tokenizer's special tokens (a BOS where the tokenizer adds one); the
    length that must fit ``max_length`` (the length SFT cuts at; None: no cut, ``context_length`` required)
    is that of ``prompt + completion + eos``. ``context_length`` and ``max_too_long_share``: see the module
    docstring.
    """
    _require(examples, ["example_id", "prompt", "completion"], "instruction examples")
    _check_limits(max_length, context_length, max_too_long_share)
    eos = getattr(tokenizer, "eos_token", None)
    if not eos:
        raise ValueError(f"{type(tokenizer).__name__} has no eos_token; TRL appends one to every completion")
    specials = _special_tokens(tokenizer)
    failures: list[dict[str, str]] = []
    ids: list[str] = []
    prompts: list[str] = []
    fulls: list[str] = []
    for example_id, prompt, completion in zip(
        examples["example_id"].astype(str), examples["prompt"], examples["completion"], strict=True
    ):
        problem = None
        if not isinstance(prompt, str) or not prompt.strip():
            problem = "prompt is empty or not a string"
        elif not isinstance(completion, str) or not completion.strip():
            problem = "completion is empty or not a string"
        else:
            try:
                _check_specials([prompt, completion.removesuffix(eos)], specials, "prompt/completion")
            except ValueError as error:
                problem = str(error)
        if problem:
            failures.append({"example_id": example_id, "error": problem})
            continue
        ids.append(example_id)
        prompts.append(prompt)
        fulls.append(prompt + completion + ("" if completion.endswith(eos) else eos))
    prompt_ids = tokenizer(prompts)["input_ids"] if prompts else []
    full_ids = tokenizer(fulls)["input_ids"] if fulls else []
    counts = [(example_id, len(full)) for example_id, full in zip(ids, full_ids, strict=True)]
    report = _report(
        "prompt_completion", max_length, len(examples), failures, counts, context_length, max_too_long_share
    )
    report.max_prompt_tokens = max((len(p) for p in prompt_ids), default=0)
    report.prompt_boundary_mismatches = [
        example_id for example_id, p, full in zip(ids, prompt_ids, full_ids, strict=True) if full[: len(p)] != p
    ]
    return report


def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} are missing columns {missing}; expected at least {columns}")


def _check_limits(max_length: int | None, context_length: int | None, max_too_long_share: float) -> None:
    for name, value in (("max_length", max_length), ("context_length", context_length)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a positive number of tokens, got {value!r}")
    if max_length is None and context_length is None:
        raise ValueError("max_length=None (training does not cut) needs the model's context_length to check against")
    if not isinstance(max_too_long_share, (int, float)) or not 0.0 <= max_too_long_share <= 1.0:
        raise ValueError(f"max_too_long_share must be a fraction between 0 and 1, got {max_too_long_share!r}")


def _special_tokens(tokenizer: Any) -> list[str]:
    """The tokenizer's special tokens as text (BOS, EOS, PAD, chat markers), longest first: those of its
    special-tokens map, and the added tokens marked special (Llama 3 registers ``<|eot_id|>`` and its
    header markers only there), which text containing them would turn into control tokens too."""
    found = {t for t in getattr(tokenizer, "all_special_tokens", []) if t}
    decoder = getattr(tokenizer, "added_tokens_decoder", None) or {}
    found |= {str(token) for token in decoder.values() if getattr(token, "special", False) and str(token)}
    return sorted(found, key=len, reverse=True)


def _check_specials(texts: list[str], specials: list[str], where: str) -> None:
    for text in texts:
        for token in specials:
            if token in text:
                raise ValueError(
                    f"{where} contain the special token {token!r} as text, which the tokenizer reads as the control "
                    "token; remove or escape it during curation"
                )


def _messages(raw: Any) -> list[dict[str, str]]:
    try:
        messages = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as error:
        raise ValueError(f"messages is not valid JSON ({error.msg} at char {error.pos})") from error
    if not isinstance(messages, list) or not messages:
        raise ValueError(f"messages must be a non-empty list of {{role, content}}, found {type(messages).__name__}")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise ValueError(f"messages[{i}] must be an object with string 'role' and 'content'")
    return messages


def _check_contents(messages: list[dict[str, str]], rendered: str) -> None:
    """Every message's content (stripped: templates often trim) must appear in the rendered text."""
    for i, m in enumerate(messages):
        content = m["content"].strip()
        if content and content not in rendered:
            raise ValueError(
                f"the chat template left out messages[{i}] ({m['role']}): its content is not in the rendered text; "
                "the template does not support this role or position"
            )


def _report(
    kind: Literal["chat_template", "prompt_completion"],
    max_length: int | None,
    examples: int,
    failures: list[dict[str, str]],
    counts: list[tuple[str, int]],
    context_length: int | None = None,
    max_too_long_share: float = 0.0,
) -> TemplateReport:
    """The report from per-example failures and (example_id, tokens) of the examples that rendered."""
    lengths = sorted(n for _, n in counts)

    def longest_first(rows: Any) -> list[dict[str, Any]]:
        return sorted(rows, key=lambda row: (-row["tokens"], row["example_id"]))

    # max_length None: training cuts nothing, so nothing is cut (too_long) but all of it must fit the context
    cut_at = max_length if max_length is not None else math.inf
    too_long = longest_first({"example_id": example_id, "tokens": n} for example_id, n in counts if n > cut_at)
    # what training feeds the model is cut at max_length: past the context only when max_length is above it
    over_context = (
        longest_first(
            {"example_id": example_id, "tokens": n} for example_id, n in counts if min(n, cut_at) > context_length
        )
        if context_length is not None
        else []
    )
    return TemplateReport(
        kind=kind,
        max_length=max_length,
        examples=examples,
        rendered=len(counts),
        failures=failures,
        too_long=too_long,
        max_tokens=lengths[-1] if lengths else 0,
        mean_tokens=round(sum(lengths) / len(lengths), 1) if lengths else 0.0,
        p95_tokens=lengths[max(0, math.ceil(0.95 * len(lengths)) - 1)] if lengths else 0,
        context_length=context_length,
        over_context=over_context,
        max_too_long_share=float(max_too_long_share),
    )
