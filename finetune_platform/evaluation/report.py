"""The evaluation report: several models on the same held-out examples, and the promotion gate.

Models are compared on identical examples (the test split's ``classify`` rows for accuracy, a sample of
all tasks for perplexity) so that base, candidate and champion numbers are directly comparable.
"""

from __future__ import annotations

import hashlib

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field


class EvalSettings(BaseModel):
    """How much held-out data to score, and the bar the candidate must clear."""

    max_classify_examples: int = Field(
        400, ge=10, le=1_000_000, description="Held-out classify examples scored by generation (first N, stable order)."
    )
    max_perplexity_examples: int = Field(
        200, ge=10, le=1_000_000, description="Held-out examples (all tasks) used for perplexity."
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Prompts per generation / scoring batch.")
    min_accuracy_gain: float = Field(
        0.10,
        ge=0.0,
        le=1.0,
        description="The candidate must beat the base model's accuracy by at least this much (absolute).",
    )
    min_examples: int = Field(
        20, ge=1, description="Fewer scored examples than this fails the gate: too little evidence to promote."
    )
    evaluate_champion: bool = Field(
        True, description="Also score the registry's current champion on the same examples (when there is one)."
    )
    champion_margin: float = Field(
        0.0,
        ge=-1.0,
        le=1.0,
        description="The candidate's accuracy must be at least the champion's plus this (0: no worse than the "
        "champion; negative: a tolerated loss, e.g. for a smaller model).",
    )
    max_reply_examples: int = Field(
        60, ge=0, le=100_000, description="Held-out reply examples scored with ROUGE-L / token F1 (0: skip)."
    )
    reply_max_new_tokens: int = Field(64, ge=1, le=2048, description="Generation budget for reply examples.")
    max_chat_examples: int = Field(
        100,
        ge=0,
        le=100_000,
        description="Held-out chat replies (every assistant reply of the test split's conversations, the history "
        "rendered through each model's chat template as the server does) scored for chat perplexity "
        "(first N by id; 0: skip).",
    )
    min_slice_n: int = Field(20, ge=1, description="Slices with fewer examples are flagged as too small to judge.")


@dataclass
class ModelScores:
    """One model's numbers on the shared examples."""

    name: str
    accuracy: float
    perplexity: float
    n_classify: int
    n_perplexity: int
    seconds: float
    errors: list[dict[str, str]] = field(default_factory=list)  #: a few wrong predictions, for the report
    macro_f1: float = float("nan")
    invalid_rate: float = float("nan")
    reply: dict[str, float] = field(default_factory=dict)  #: exact_match / token_f1 / rouge_l on reply examples
    #: perplexity of the assistant replies of held-out conversations (NaN: no conversations, or no chat template);
    #: after :func:`align_chat_perplexity`, on the replies every model with a chat template scored
    chat_perplexity: float = float("nan")
    n_chat: int = 0
    #: (NLL, tokens) per scored chat reply, by its example_id: what :func:`align_chat_perplexity` compares on
    chat_nll: dict[str, tuple[float, int]] = field(default_factory=dict, repr=False)
    #: per-example predictions (example_id, label, prediction, correct), kept out of the JSON report
    predictions: Any = field(default=None, repr=False)
    confusion: Any = field(default=None, repr=False)


@dataclass
class GateDecision:
    passed: bool
    reason: str
    accuracy_gain: float
    required_gain: float


def select_examples(
    test: pd.DataFrame, settings: EvalSettings
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The classify, perplexity and reply rows every model is scored on: all of them up to each cap, else a
    sample drawn by a hash of each example id (deterministic, and every source and label in proportion:
    the ids begin with the source's name, so their first rows in order would be one source's)."""
    classify = sample_examples(test.loc[test["task"] == "classify"], settings.max_classify_examples)
    ppl = sample_examples(test, settings.max_perplexity_examples)
    replies = sample_examples(test.loc[test["task"] == "reply"], settings.max_reply_examples)
    if classify.empty:
        raise ValueError(
            "the test split has no 'classify' examples, so task accuracy cannot be measured; "
            f"tasks present: {sorted(test['task'].unique())}"
        )
    return classify, ppl, replies


def sample_examples(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """Up to ``n`` rows of ``df``, those whose example id hashes lowest (a stable uniform sample: adding
    examples never swaps out one already drawn unless a new one hashes lower), in example id order."""
    if len(df) > n:
        rank = df["example_id"].astype(str).map(lambda i: hashlib.sha256(i.encode()).hexdigest())
        df = df.loc[rank.sort_values(kind="stable").index[:n]]
    return df.sort_values("example_id")


def score_model(
    name: str,
    model: Any,
    tokenizer: Any,
    classify: pd.DataFrame,
    ppl: pd.DataFrame,
    batch_size: int,
    replies: pd.DataFrame | None = None,
    known_labels: list[str] | None = None,
    reply_max_new_tokens: int = 64,
    conversations: pd.DataFrame | None = None,
    max_chat_examples: int = 100,
) -> ModelScores:
    """Accuracy and macro-F1 from real greedy generation, completion perplexity and, for reply examples,
    ROUGE-L / token F1 / exact match, for one model; with held-out ``conversations``, the perplexity of
    their assistant replies (:func:`chat_perplexity`)."""
    from finetune_platform.evaluation.classification import metrics_from_predictions
    from finetune_platform.evaluation.metrics import evaluate_classification, perplexity
    from finetune_platform.evaluation.text_metrics import evaluate_replies

    started = time.perf_counter()
    accuracy, predictions = evaluate_classification(
        model, tokenizer, classify, batch_size=batch_size, known_labels=known_labels
    )
    metrics = metrics_from_predictions(predictions, known_labels=known_labels)
    ppl_value = perplexity(model, tokenizer, ppl["prompt"].tolist(), ppl["completion"].tolist(), batch_size=batch_size)
    reply = (
        evaluate_replies(model, tokenizer, replies, max_new_tokens=reply_max_new_tokens, batch_size=batch_size).summary()
        if replies is not None and len(replies)
        else {}
    )
    chat_nll = (
        chat_reply_nll(model, tokenizer, conversations, max_chat_examples, batch_size)
        if conversations is not None and max_chat_examples
        else {}
    )
    chat_ppl, n_chat = _chat_summary(chat_nll)
    wrong = predictions.loc[~predictions["correct"]].head(5)
    return ModelScores(
        name=name,
        accuracy=float(accuracy),
        perplexity=float(ppl_value),
        n_classify=len(classify),
        n_perplexity=len(ppl),
        seconds=time.perf_counter() - started,
        errors=[
            {"example_id": str(r.example_id), "label": str(r.label), "prediction": str(r.prediction)}
            for r in wrong.itertuples(index=False)
        ],
        macro_f1=float(metrics.macro_f1),
        invalid_rate=float(metrics.invalid_rate),
        reply={k: float(v) for k, v in reply.items()},
        predictions=predictions,
        confusion=metrics.confusion,
        chat_perplexity=chat_ppl,
        n_chat=n_chat,
        chat_nll=chat_nll,
    )


def chat_perplexity(
    model: Any, tokenizer: Any, conversations: pd.DataFrame, max_examples: int, batch_size: int = 32
) -> tuple[float, int]:
    """Perplexity of the assistant replies of held-out ``conversations`` (``CONVERSATION_COLUMNS``), each
    given the conversation before it rendered through the model's own chat template with the generation
    prompt (``formats.conversations.conversation_sft_pairs``: what SFT with conversations trains on and the
    server sends), on the first ``max_examples`` replies by id; and how many were scored.

    (NaN, 0) when the tokenizer has no chat template or no conversation gives a reply: the number is then
    not defined, rather than measured on something else.
    """
    return _chat_summary(chat_reply_nll(model, tokenizer, conversations, max_examples, batch_size))


def chat_reply_nll(
    model: Any, tokenizer: Any, conversations: pd.DataFrame, max_examples: int, batch_size: int = 32
) -> dict[str, tuple[float, int]]:
    """:func:`chat_perplexity`'s replies, each as (summed NLL, tokens) by the reply's example_id
    (``"{conversation}::turn{n}"``); empty when the tokenizer has no chat template or there is no reply.

    The replies are the first ``max_examples`` by id of all the conversations hold (whatever the template),
    and a template that refuses a conversation leaves its replies out: so two models' sets differ only by
    what one of them refused, and :func:`align_chat_perplexity` compares them on the rest."""
    from finetune_platform.evaluation.metrics import completion_nll
    from finetune_platform.formats.conversations import conversation_sft_pairs, reply_ids

    if not getattr(tokenizer, "chat_template", None) or len(conversations) == 0:
        return {}
    chosen = set(reply_ids(conversations, turns="all")[:max_examples])
    pairs, _ = conversation_sft_pairs(conversations, tokenizer, turns="all")
    pairs = pairs[pairs["example_id"].isin(chosen)].sort_values("example_id")
    if pairs.empty:
        return {}
    nll = completion_nll(model, tokenizer, pairs["prompt"].tolist(), pairs["completion"].tolist(), batch_size)
    return dict(zip(pairs["example_id"].astype(str), nll, strict=True))


def _chat_summary(nll: dict[str, tuple[float, int]]) -> tuple[float, int]:
    """(perplexity, replies) of per-reply NLLs; (NaN, 0) for none, or when no reply has a token."""
    from finetune_platform.evaluation.metrics import perplexity_of

    if not nll or not sum(n for _, n in nll.values()):
        return float("nan"), 0
    return perplexity_of(list(nll.values())), len(nll)


def align_chat_perplexity(scores: dict[str, ModelScores]) -> dict[str, Any]:
    """Put every model's chat perplexity on the same replies: those that every model with a chat template
    scored (each scores those of the first N replies that its own template renders, and templates refuse
    different conversations: :func:`chat_reply_nll`). Updates ``chat_perplexity`` / ``n_chat`` in place; a
    model without a chat template stays NaN and does not narrow the others. Returns what was compared: the
    number of shared replies and, per model, how many it scored on its own."""
    measured = {name: s for name, s in scores.items() if s.chat_nll}
    scored = {name: len(s.chat_nll) for name, s in measured.items()}
    if not measured:
        return {"shared_replies": 0, "scored_per_model": scored}
    shared = set.intersection(*(set(s.chat_nll) for s in measured.values()))
    for s in measured.values():
        s.chat_perplexity, s.n_chat = _chat_summary({k: v for k, v in s.chat_nll.items() if k in shared})
    return {"shared_replies": len(shared), "scored_per_model": scored}


#: Accuracies are ratios of counts, and their difference is not exact in floating point (0.6 - 0.5 is
#: 0.09999999999999998): a gain within this of a margin equals it.
_TOLERANCE = 1e-9


def gate(base: ModelScores, candidate: ModelScores, settings: EvalSettings) -> GateDecision:
    """Does the candidate beat the base model by the configured margin, on enough examples?"""
    gain = candidate.accuracy - base.accuracy
    if candidate.n_classify < settings.min_examples:
        return GateDecision(
            False,
            f"only {candidate.n_classify} examples scored; the gate needs at least {settings.min_examples}",
            gain,
            settings.min_accuracy_gain,
        )
    if gain < settings.min_accuracy_gain - _TOLERANCE:  # a gain equal to the margin passes
        return GateDecision(
            False,
            f"accuracy {candidate.accuracy:.3f} beats the base ({base.accuracy:.3f}) by {gain:+.3f}, "
            f"short of the required {settings.min_accuracy_gain:+.3f} by {settings.min_accuracy_gain - gain:.3f}",
            gain,
            settings.min_accuracy_gain,
        )
    return GateDecision(
        True,
        f"accuracy {candidate.accuracy:.3f} beats the base ({base.accuracy:.3f}) by {gain:+.3f} "
        f"(required {settings.min_accuracy_gain:+.3f})",
        gain,
        settings.min_accuracy_gain,
    )


def build_report(scores: dict[str, ModelScores], decision: GateDecision) -> dict[str, Any]:
    """JSON-friendly report: per-model numbers and the gate."""
    def public(s: ModelScores) -> dict[str, Any]:
        data = asdict(s)
        data.pop("predictions", None)
        data.pop("confusion", None)
        data.pop("chat_nll", None)
        return data

    return {
        "models": {name: public(s) for name, s in scores.items()},
        "gate": asdict(decision),
    }


def report_markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table plus the gate's verdict."""
    rows = [
        {
            "model": name,
            "accuracy": f"{m['accuracy']:.3f}",
            "macro-F1": f"{m.get('macro_f1', float('nan')):.3f}",
            "perplexity": f"{m['perplexity']:.2f}",
            "chat perplexity": f"{m['chat_perplexity']:.2f}" if m.get("n_chat") else "-",
            "reply ROUGE-L": f"{m['reply']['rouge_l']:.3f}" if m.get("reply") else "-",
            "reply token F1": f"{m['reply']['token_f1']:.3f}" if m.get("reply") else "-",
            "classify examples": m["n_classify"],
            "seconds": f"{m['seconds']:.1f}",
        }
        for name, m in report["models"].items()
    ]
    gate_ = report["gate"]
    verdict = "PASSED" if gate_["passed"] else "FAILED"
    chat = report.get("chat_perplexity_compared") or {}
    note = ""
    if chat.get("scored_per_model"):
        scored = ", ".join(f"{name} {n}" for name, n in chat["scored_per_model"].items())
        note = (
            f"\n\nChat perplexity is on the {chat['shared_replies']} held-out chat replies that every model with a "
            f"chat template rendered (replies each scored: {scored})."
        )
    return pd.DataFrame(rows).to_markdown(index=False) + f"{note}\n\n**Gate {verdict}**: {gate_['reason']}\n"


def champion_gate(
    candidate: ModelScores, champion: ModelScores | None, settings: EvalSettings, champion_version: int | None = None
) -> GateDecision:
    """Does the candidate beat the current champion, on the same examples, by the configured margin?

    With no champion (the first model) the gate passes; with too few examples it fails. A champion that
    exists but was not scored (``champion`` None with a ``champion_version``: ``evaluate_champion`` off)
    passes too, saying so: the candidate is then only registered as challenger (never promoted on this
    report, see :func:`promotion_decision`), and a canary rollout judges it on live traffic.
    """
    if champion is None and champion_version is not None:
        return GateDecision(
            True,
            f"champion v{champion_version} was not scored (evaluate_champion off): not compared offline; the "
            "candidate becomes challenger only, and a canary rollout judges it against the champion on live traffic",
            float("nan"),
            settings.champion_margin,
        )
    if champion is None:
        return GateDecision(True, "no champion yet: nothing to beat", float("nan"), settings.champion_margin)
    gain = candidate.accuracy - champion.accuracy
    name = f"champion v{champion_version}" if champion_version is not None else "champion"
    if candidate.n_classify < settings.min_examples:
        return GateDecision(
            False,
            f"only {candidate.n_classify} examples scored; the gate needs at least {settings.min_examples}",
            gain,
            settings.champion_margin,
        )
    if gain < settings.champion_margin - _TOLERANCE:
        return GateDecision(
            False,
            f"accuracy {candidate.accuracy:.3f} vs {name} {champion.accuracy:.3f} ({gain:+.3f}): misses the "
            f"required {settings.champion_margin:+.3f} by {settings.champion_margin - gain:.3f}",
            gain,
            settings.champion_margin,
        )
    return GateDecision(
        True,
        f"accuracy {candidate.accuracy:.3f} vs {name} {champion.accuracy:.3f} ({gain:+.3f}; required "
        f"{settings.champion_margin:+.3f})",
        gain,
        settings.champion_margin,
    )


def registration_problems(report: dict[str, Any], model_path: str) -> list[str]:
    """Why the candidate at ``model_path`` must not be registered on ``report`` (an ``eval_report`` value);
    empty when it may. The report's blocking checks stop registration in the run that made the report;
    this holds in any other run too (a step re-executed, an asset materialized on its own)."""
    problems = []
    scored = report.get("candidate_model_path")
    if scored is None:
        problems.append("the eval report does not say which candidate it scored (made by an older version); "
                        "materialize eval_report again")
    elif str(scored) != str(model_path):
        problems.append(f"the eval report scored {scored}, not this candidate ({model_path}); materialize "
                        "eval_report for it first")
    gate_ = report.get("gate") or {}
    if not gate_.get("passed"):
        problems.append(f"the gate against the base model failed: {gate_.get('reason', 'no gate result')}")
    champion = report.get("champion_gate") or {}
    if champion and not champion.get("passed"):
        problems.append(f"the gate against the champion failed: {champion.get('reason')}")
    return problems


def promotion_decision(
    report: dict[str, Any], live_champion_version: int | None, margin: float
) -> tuple[bool, str]:
    """Whether the candidate of ``report`` becomes champion, and why: with no champion, yes; else only when
    the champion the report scored is still the champion (a retrain or an operator may have moved the
    alias since) and the candidate's accuracy exceeds it by more than ``margin``."""
    candidate = report["models"]["candidate"]
    scored = report.get("champion_version")
    champion = next((m for name, m in report["models"].items() if name.startswith("champion")), None)
    if live_champion_version is None:
        return True, "no champion yet: the first model that passes the eval gates becomes champion"
    if champion is None or scored is None:
        return False, "a champion exists but was not scored on these examples (evaluate_champion off)"
    if int(scored) != int(live_champion_version):
        return False, (
            f"the report scored champion v{scored}, but the champion is now v{live_champion_version}; "
            "evaluate again against it before promoting"
        )
    gain = candidate["accuracy"] - champion["accuracy"]
    return gain > margin + _TOLERANCE, (
        f"candidate accuracy {candidate['accuracy']:.3f} vs champion v{scored} {champion['accuracy']:.3f} "
        f"({gain:+.3f}; must exceed {margin:+.3f})"
    )
