"""Audit a bad answer: which training examples may have taught it, with their raw file, row and data version.

Given logged responses (``response_id``, ``prompt``, ``response``), ``audit_responses`` ranks the
training examples most similar to each response's ticket (``matched_on="prompt"``: examples the model saw
for a ticket like this one) and to its answer (``matched_on="output"``: examples whose completion the
answer resembles), and joins each example's lineage from the training set's manifest (split, curated
record, source, raw file and row) and the DVC version of the training set. A team can then open the raw
rows and fix or remove the data.

Similarity is the cosine of scikit-learn TF-IDF vectors over word 1-2-grams (English stop words left
out, so "my", "where", "is" do not make tickets alike) and character 3-5-grams within word boundaries,
together: words catch shared vocabulary, character n-grams catch spelling variants, inflections and
redacted placeholders. It needs no model, so an audit runs anywhere; it finds
lexical neighbours, not paraphrases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import normalize

from finetune_platform.formats.instructions import ticket_from_prompt

MatchedOn = Literal["prompt", "output"]

#: Columns of ``audit_responses``: per response and side, the ``k`` nearest training examples, nearest first.
AUDIT_COLUMNS: list[str] = [
    "response_id",
    "rank",
    "similarity",
    "matched_on",
    "example_id",
    "split",
    "record_id",
    "source",
    "source_file",
    "source_row",
    "dvc_md5",
    "example_prompt",
    "example_completion",
]

_RESPONSE_COLUMNS = ("response_id", "prompt", "response")
_EXAMPLE_COLUMNS = ("example_id", "record_id", "task", "prompt", "completion")
_LINEAGE_FIELDS = ("split", "record_id", "source", "source_file", "source_row")
_TASK = re.compile(r"^### Task: (\w+)", re.MULTILINE)
#: Queries compared per block: bounds the dense (queries x examples) similarity matrix in memory.
_QUERY_BLOCK = 256


class UnknownResponseError(LookupError):
    """Response ids asked for that are not among the responses passed in."""

    def __str__(self) -> str:  # LookupError would print the message with quotes around it
        return str(self.args[0])


def audit_responses(
    responses: pd.DataFrame,
    training_examples: pd.DataFrame,
    manifest_entries: pd.DataFrame | Mapping[str, Any],
    dvc_md5: str,
    k: int = 5,
    response_ids: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The ``k`` training examples nearest to each response's prompt and to its output (``AUDIT_COLUMNS``).

    Args:
        responses: logged requests with ``response_id``, ``prompt`` and ``response`` (``LogStore``).
        training_examples: the examples the model was trained on (``schemas.EXAMPLE_COLUMNS``), usually the
            ``train`` split of the training set version in ``dvc_md5``.
        manifest_entries: ``example_id`` -> lineage (``split``, ``record_id``, ``source``, ``source_file``,
            ``source_row``): ``read_manifest(folder).entries``, a dict of such dicts, or a DataFrame with an
            ``example_id`` column or index. Every training example must have an entry.
        dvc_md5: the DVC hash of the training set version the examples come from (its ``.dvc`` file).
        k: examples kept per response and side.
        response_ids: audit only these responses (in this order); unknown ids raise
            ``UnknownResponseError``. ``None`` audits every response, in input order.

    Prompts are compared by ticket text (``ticket_from_prompt``) so the shared task template does not
    count as similarity; outputs are compared with example completions. Ties go to examples of the same
    task as the response's prompt, then to the smaller ``example_id``. Examples with similarity 0 share
    nothing with the response and are left out, so a side can have fewer than ``k`` rows.
    """
    if k < 1:
        raise ValueError(f"k={k}: ask for at least one example per response")
    if not isinstance(dvc_md5, str) or not dvc_md5.strip():
        raise ValueError(
            "dvc_md5 is empty; pass the hash of the training set version the examples come from (the md5 in "
            "data/training_set.dvc, or the model's dataset.dvc_md5 tag)."
        )
    _require(responses, _RESPONSE_COLUMNS, "responses", "pass logged requests (LogStore.requests_between)")
    _require(training_examples, _EXAMPLE_COLUMNS, "training_examples", "pass a split of the training set")
    if responses["response_id"].duplicated().any():
        repeated = sorted(set(responses.loc[responses["response_id"].duplicated(), "response_id"].astype(str)))
        raise ValueError(f"responses repeat response_id values {repeated[:5]}; each response must appear once.")
    if training_examples.empty:
        raise ValueError("training_examples is empty; there is nothing to audit against.")

    chosen = _select(responses, response_ids)
    examples = training_examples.sort_values("example_id", kind="stable").reset_index(drop=True)
    lineage = _lineage(manifest_entries, examples)

    example_tasks = examples["task"].astype(str).to_numpy()
    example_tickets = [ticket_from_prompt(str(p)) for p in examples["prompt"]]
    query_tasks = [_task_of(str(p)) for p in chosen["prompt"]]
    sides: list[tuple[MatchedOn, list[str], list[str]]] = [
        ("prompt", example_tickets, [ticket_from_prompt(_text(p)) for p in chosen["prompt"]]),
        ("output", [_text(c) for c in examples["completion"]], [_text(r) for r in chosen["response"]]),
    ]
    found: dict[tuple[int, str], list[tuple[int, float]]] = {}
    for matched_on, corpus, queries in sides:
        for q, neighbours in enumerate(_nearest(corpus, queries, query_tasks, example_tasks, k, matched_on)):
            found[(q, matched_on)] = neighbours

    rows = []
    for q, response_id in enumerate(chosen["response_id"]):
        for matched_on in ("prompt", "output"):
            for rank, (e, similarity) in enumerate(found[(q, matched_on)], start=1):
                example = examples.iloc[e]
                entry = lineage.loc[example["example_id"]]
                rows.append(
                    {
                        "response_id": str(response_id),
                        "rank": rank,
                        "similarity": round(similarity, 6),
                        "matched_on": matched_on,
                        "example_id": str(example["example_id"]),
                        "split": str(entry["split"]),
                        "record_id": str(entry["record_id"]),
                        "source": str(entry["source"]),
                        "source_file": str(entry["source_file"]),
                        "source_row": int(entry["source_row"]),
                        "dvc_md5": dvc_md5,
                        "example_prompt": str(example["prompt"]),
                        "example_completion": str(example["completion"]),
                    }
                )
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS).astype({"rank": "int64", "source_row": "int64"})


def audit_markdown(audit: pd.DataFrame, excerpt_chars: int = 80) -> str:
    """A Markdown report of ``audit_responses``: per response, one table per side, nearest example first.

    Each row names the raw file and row to open; text cells are cut to ``excerpt_chars`` and made safe for
    a table cell (no newlines, escaped ``|``).
    """
    missing = [c for c in AUDIT_COLUMNS if c not in audit.columns]
    if missing:
        raise ValueError(f"audit is missing columns {missing}; pass the DataFrame from audit_responses.")
    if audit.empty:
        return "No similar training examples found (no responses audited, or none shares any text with the data).\n"
    parts: list[str] = []
    for response_id, group in audit.groupby("response_id", sort=False):
        versions = sorted(set(group["dvc_md5"]))
        parts.append(f"### Response `{response_id}`\n\nTraining data version (DVC md5): `{', '.join(versions)}`\n")
        for matched_on, heading in (("prompt", "similar prompts"), ("output", "similar outputs")):
            side = group[group["matched_on"] == matched_on].sort_values("rank")
            if side.empty:
                parts.append(f"**Training examples with {heading}:** none share any text.\n")
                continue
            table = pd.DataFrame(
                {
                    "rank": side["rank"].to_numpy(),
                    "similarity": side["similarity"].map(lambda s: f"{s:.3f}").to_numpy(),
                    "example": side["example_id"].map(_cell).to_numpy(),
                    "raw row": [f"{_cell(f)}#{r}" for f, r in zip(side["source_file"], side["source_row"], strict=True)],
                    "split": side["split"].to_numpy(),
                    "ticket": side["example_prompt"].map(lambda p: _cell(ticket_from_prompt(str(p)), excerpt_chars)).to_numpy(),
                    "completion": side["example_completion"].map(lambda c: _cell(c, excerpt_chars)).to_numpy(),
                }
            )
            parts.append(f"**Training examples with {heading}:**\n\n{table.to_markdown(index=False)}\n")
    return "\n".join(parts)


# -- helpers ----------------------------------------------------------------------------------------------


def _require(frame: pd.DataFrame, columns: Iterable[str], name: str, hint: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing columns {missing}; {hint}.")


def _select(responses: pd.DataFrame, response_ids: Iterable[str] | None) -> pd.DataFrame:
    """The responses to audit: all of them, or the ids asked for in that order (unknown ids raise)."""
    frame = responses.reset_index(drop=True)
    if response_ids is None:
        return frame
    if isinstance(response_ids, str):  # a single id, not its characters
        response_ids = [response_ids]
    wanted = [str(r) for r in response_ids]
    known = frame["response_id"].astype(str)
    unknown = [r for r in dict.fromkeys(wanted) if r not in set(known)]
    if unknown:
        sample = ", ".join(known.head(3))
        raise UnknownResponseError(
            f"response ids {unknown[:10]} are not among the {len(frame)} responses passed in"
            f"{f' (e.g. {sample})' if sample else ''}; check the id, and that the log window covers the request."
        )
    position = {r: i for i, r in enumerate(known)}
    return frame.iloc[[position[r] for r in dict.fromkeys(wanted)]].reset_index(drop=True)


def _lineage(manifest_entries: pd.DataFrame | Mapping[str, Any], examples: pd.DataFrame) -> pd.DataFrame:
    """The manifest as a frame indexed by ``example_id``, checked against the examples it must describe."""
    if isinstance(manifest_entries, pd.DataFrame):
        frame = manifest_entries
        if "example_id" in frame.columns:
            frame = frame.set_index("example_id")
    elif isinstance(manifest_entries, Mapping):
        rows = {
            str(example_id): asdict(entry) if is_dataclass(entry) and not isinstance(entry, type) else dict(entry)
            for example_id, entry in manifest_entries.items()
        }
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(_LINEAGE_FIELDS))
    else:
        raise TypeError(
            f"manifest_entries is a {type(manifest_entries).__name__}; pass read_manifest(folder).entries, a dict "
            "example_id -> lineage, or a DataFrame with an example_id column."
        )
    _require(frame, _LINEAGE_FIELDS, "manifest_entries", "pass read_manifest(folder).entries of the training set")
    frame.index = frame.index.astype(str)
    ids = examples["example_id"].astype(str)
    absent = ids[~ids.isin(frame.index)]
    if len(absent):
        raise ValueError(
            f"{len(absent)} training examples have no manifest entry (e.g. {absent.head(3).tolist()}); pass the "
            "manifest of the same training set version as the examples."
        )
    recorded = frame.loc[ids, "record_id"].astype(str).to_numpy()
    differs = recorded != examples["record_id"].astype(str).to_numpy()
    if differs.any():
        first = int(np.flatnonzero(differs)[0])
        raise ValueError(
            f"{int(differs.sum())} training examples name another record than their manifest entry (e.g. "
            f"{ids.iloc[first]!r}: {examples['record_id'].iloc[first]!r} vs {recorded[first]!r}); the examples "
            "and the manifest come from different training set versions."
        )
    return frame


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _task_of(prompt: str) -> str | None:
    match = _TASK.search(prompt)
    return match.group(1) if match else None


def _vectorizer() -> FeatureUnion:
    common: dict[str, Any] = {"lowercase": True, "strip_accents": "unicode", "sublinear_tf": True, "dtype": np.float32}
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), stop_words="english", **common)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common)),
        ]
    )


def _nearest(
    corpus: list[str],
    queries: list[str],
    query_tasks: list[str | None],
    example_tasks: np.ndarray,
    k: int,
    side: str,
) -> list[list[tuple[int, float]]]:
    """Per query, up to ``k`` (example position, cosine similarity) pairs with similarity > 0, nearest first.

    The vectorizer is fitted on the corpus (the training examples): IDF weights say what is rare in the
    training data, and n-grams only the queries have cannot match anything anyway.
    """
    if not queries:
        return []
    vectorizer = _vectorizer()
    try:
        matrix = normalize(vectorizer.fit_transform(corpus))
    except ValueError as error:  # scikit-learn's "empty vocabulary": every text blank or punctuation only
        what = "ticket texts" if side == "prompt" else "completions"
        raise ValueError(
            f"the training examples' {what} hold no words to compare with ({error}); are they all blank?"
        ) from error
    matrix_t = sparse.csr_matrix(matrix.T)
    positions = np.arange(len(corpus))
    results: list[list[tuple[int, float]]] = []
    for start in range(0, len(queries), _QUERY_BLOCK):
        block = normalize(vectorizer.transform(queries[start : start + _QUERY_BLOCK]))
        similarity = (block @ matrix_t).toarray()
        for offset, scores in enumerate(similarity):
            task = query_tasks[start + offset]
            other_task = (example_tasks != task) if task is not None else np.zeros(len(corpus), dtype=bool)
            order = np.lexsort((positions, other_task, -scores))[:k]
            results.append([(int(e), float(scores[e])) for e in order if scores[e] > 1e-9])
    return results


def _cell(value: Any, limit: int | None = None) -> str:
    """Text safe for one Markdown table cell, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(str(value).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text.replace("|", "\\|")
