"""The knowledge index of the hybrid pattern: BM25 over passages cut from curated records.

Why lexical (BM25, the ``bm25s`` library) and not embeddings: it needs no model download, builds in
milliseconds for tens of thousands of passages on a CPU, and support questions share their vocabulary
(product names, error messages) with the tickets that answered them. The passages come from
``curated_records``, so they are PII-redacted, deduplicated and reviewed like the training data; the
fine-tuned model brings the tone and the domain judgment, the index the facts it was not trained on
(what a newer ticket resolved).

- :func:`passages_from_records`: one passage per record ("Question: ... / Answer: ..." when the record has
  a response), long ones cut at paragraph and sentence boundaries into ``max_passage_chars`` pieces;
- :class:`KnowledgeIndex`: build, :meth:`~KnowledgeIndex.search` (top k with a positive score, records
  left out on request), save/load as plain files (numpy arrays and JSON, never pickles), a fingerprint;
- :func:`publish_index` / :func:`current_index_path`: versioned folders under one directory and a
  ``CURRENT`` pointer that is swapped atomically, so a running server never reads a half-written index;
- :func:`evaluate_label_retrieval`: how often the top k passages for a held-out question come from a
  ticket of the same category, against what random passages would give (the chance rate);
- :func:`augment_messages`: the chat request with the retrieved passages in its system message (or its last user turn);
  :func:`context_block` and :func:`insert_context`, its two halves (the log store keeps the block).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from finetune_platform.versioned import (
    CURRENT_FILE,
    VersionFollower,
    VersionPointerError,
    current_version,
    publish_version,
)


#: Bumped when the files of a saved index change meaning; an index of another version is refused.
FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
PASSAGES_FILE = "passages.jsonl"
BM25_DIR = "bm25"

#: Words of two or more letters or digits (bm25s's default token pattern).
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
#: Redaction placeholders (``<EMAIL_1>``): not words a question shares with an answer.
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*?_\d+>")
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class KnowledgeIndexError(RuntimeError):
    """A knowledge index cannot be built, saved or loaded; the message says what and where."""


class KnowledgeSettings(BaseModel):
    """Which curated records become passages, and how BM25 scores them."""

    doc_types: list[str] | None = Field(
        None, description="Only records of these doc types (e.g. ['note', 'document']); None: every record."
    )
    sources: list[str] | None = Field(None, description="Only records of these sources; None: every source.")
    max_passage_chars: int = Field(
        1200, ge=100, le=20_000, description="Longer records are cut at paragraph/sentence ends into passages this long."
    )
    min_passage_chars: int = Field(20, ge=1, description="Shorter passages are left out (too little to retrieve on).")
    k1: float = Field(1.5, gt=0.0, le=5.0, description="BM25 term-frequency saturation.")
    b: float = Field(0.75, ge=0.0, le=1.0, description="BM25 length normalisation.")


@dataclass(frozen=True)
class Passage:
    """One retrievable piece of a curated record; ``passage_id`` is ``<record_id>#<n>``."""

    passage_id: str
    record_id: str
    source: str
    doc_type: str
    label: str
    text: str
    source_file: str = ""
    source_row: int | None = None


@dataclass(frozen=True)
class Hit:
    """A passage returned by :meth:`KnowledgeIndex.search`, with its BM25 score and 1-based rank."""

    passage: Passage
    score: float
    rank: int

    def summary(self) -> dict[str, Any]:
        """What a response or a log shows of a hit: ids and score, not the text."""
        return {
            "passage_id": self.passage.passage_id,
            "record_id": self.passage.record_id,
            "source": self.passage.source,
            "score": round(self.score, 4),
        }


# ------------------------------------------------------------------------------------------- passages


def _chunks(text: str, max_chars: int) -> list[str]:
    """``text`` cut into pieces of at most ``max_chars``: whole paragraphs where they fit, else whole
    sentences, else (a sentence longer than the limit) at the last space before it."""
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        units = [paragraph] if len(paragraph) <= max_chars else _SENTENCE_END.split(paragraph)
        for unit in units:
            while len(unit) > max_chars:
                cut = unit.rfind(" ", 0, max_chars)
                cut = cut if cut > max_chars // 2 else max_chars
                pieces.append(unit[:cut].strip())
                unit = unit[cut:].strip()
            if unit:
                pieces.append(unit)
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 2 + len(piece) <= max_chars:
            chunks[-1] = f"{chunks[-1]}\n\n{piece}"
        else:
            chunks.append(piece)
    return chunks


def passage_text(text: str, response: str) -> str:
    """What a record contributes: its question and answer, or its text alone (a document, a note).

    A blank line separates them: a question that ends with a sign-off ("Thanks") right above "Answer:"
    would read as a signature and its name, which the PII gate (rightly) flags.
    """
    text, response = text.strip(), response.strip()
    return f"Question: {text}\n\nAnswer: {response}" if text and response else text or response


def passages_from_records(records: pd.DataFrame, settings: KnowledgeSettings | None = None) -> list[Passage]:
    """The passages of curated records (``schemas.RECORD_COLUMNS``) that ``settings`` selects.

    Raises :class:`KnowledgeIndexError` naming the missing columns when ``records`` lacks any.
    """
    settings = settings or KnowledgeSettings()
    needed = ["record_id", "source", "doc_type", "text", "response", "label"]
    missing = [c for c in needed if c not in records.columns]
    if missing:
        raise KnowledgeIndexError(
            f"records lack the columns {missing} a knowledge index needs; pass curated_records (schemas.RECORD_COLUMNS)"
        )
    frame = records
    if settings.doc_types is not None:
        frame = frame[frame["doc_type"].isin(settings.doc_types)]
    if settings.sources is not None:
        frame = frame[frame["source"].isin(settings.sources)]
    out: list[Passage] = []
    for row in frame.itertuples(index=False):
        body = passage_text(_str(row.text), _str(row.response))
        row_number = getattr(row, "source_row", None)
        for n, chunk in enumerate(_chunks(body, settings.max_passage_chars)):
            if len(chunk) < settings.min_passage_chars:
                continue
            out.append(
                Passage(
                    passage_id=f"{row.record_id}#{n}",
                    record_id=str(row.record_id),
                    source=_str(row.source),
                    doc_type=_str(row.doc_type),
                    label=_str(row.label),
                    text=chunk,
                    source_file=_str(getattr(row, "source_file", "")),
                    source_row=None if row_number is None or pd.isna(row_number) else int(row_number),
                )
            )
    return out


def _str(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


# ----------------------------------------------------------------------------------------- tokenising


class _Tokenizer:
    """Lower-cased words without stop words and placeholders, Porter-stemmed ("refunds" meets "refund").

    NLTK's Porter stemmer (pure Python, no data download) with a memo per tokenizer: a corpus repeats
    its words, and stemming is the costly part.
    """

    def __init__(self) -> None:
        from bm25s.stopwords import STOPWORDS_EN
        from nltk.stem.porter import PorterStemmer

        self._stop = frozenset(STOPWORDS_EN)
        self._stemmer = PorterStemmer()
        self._memo: dict[str, str] = {}

    def __call__(self, text: str) -> list[str]:
        if "<" in text:
            text = _PLACEHOLDER.sub(" ", text)
        out = []
        for word in _TOKEN.findall(text.lower()):
            if word in self._stop:
                continue
            stem = self._memo.get(word)
            if stem is None:
                stem = self._memo[word] = self._stemmer.stem(word)
            out.append(stem)
        return out


# --------------------------------------------------------------------------------------------- index


class KnowledgeIndex:
    """BM25 over passages. Build with :meth:`build`, read a saved one with :meth:`load`."""

    def __init__(self, passages: list[Passage], retriever: Any, manifest: dict[str, Any]) -> None:
        self.passages = passages
        self.retriever = retriever
        self.manifest = manifest
        self._tokenize = _Tokenizer()
        self._rows_of: dict[str, list[int]] = {}
        for i, p in enumerate(passages):
            self._rows_of.setdefault(p.record_id, []).append(i)

    def __len__(self) -> int:
        return len(self.passages)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the settings and every passage (id and text): equal indexes, equal fingerprints."""
        return str(self.manifest["fingerprint"])

    @classmethod
    def build(cls, passages: Sequence[Passage], settings: KnowledgeSettings | None = None) -> "KnowledgeIndex":
        """Index ``passages``. Raises :class:`KnowledgeIndexError` when there is nothing to index."""
        import bm25s

        settings = settings or KnowledgeSettings()
        passages = list(passages)
        if not passages:
            raise KnowledgeIndexError(
                "no passages to index: the records selected by doc_types/sources are empty or all shorter than "
                f"min_passage_chars ({settings.min_passage_chars}); check KnowledgeSettings against curated_records"
            )
        ids = [p.passage_id for p in passages]
        if len(set(ids)) != len(ids):
            dupes = sorted(k for k, n in Counter(ids).items() if n > 1)[:5]
            raise KnowledgeIndexError(f"passage ids must be unique; repeated: {dupes}")
        tokenize = _Tokenizer()
        # bm25s cannot index an empty token list; a passage of stop words only gets a token no query has.
        corpus = [tokenize(p.text) or ["\x00empty"] for p in passages]
        retriever = bm25s.BM25(k1=settings.k1, b=settings.b)
        retriever.index(corpus, show_progress=False)
        digest = hashlib.sha256(settings.model_dump_json().encode())
        for p in passages:
            digest.update(f"\x1e{p.passage_id}\x1f{p.text}".encode())
        manifest = {
            "format_version": FORMAT_VERSION,
            "fingerprint": digest.hexdigest(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "passages": len(passages),
            "records": len({p.record_id for p in passages}),
            "vocabulary": len(retriever.vocab_dict),
            "settings": settings.model_dump(),
            "by_source": dict(sorted(Counter(p.source for p in passages).items())),
            "by_doc_type": dict(sorted(Counter(p.doc_type for p in passages).items())),
        }
        return cls(passages, retriever, manifest)

    def search(self, query: str, k: int = 3, exclude_records: Collection[str] = ()) -> list[Hit]:
        """The ``k`` passages scoring highest for ``query`` (only positive scores: a passage sharing no
        word with the query is never returned), best first; ``exclude_records`` are left out."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        tokens = self._tokenize(query)
        if not tokens:
            return []
        scores = np.asarray(self.retriever.get_scores(tokens), dtype=np.float64)
        for record_id in exclude_records:
            rows = self._rows_of.get(record_id)
            if rows:
                scores[rows] = 0.0
        positive = np.flatnonzero(scores > 0.0)
        if positive.size == 0:
            return []
        if positive.size > k:
            positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
        # best first; equal scores in passage order, so results do not depend on argpartition's order
        order = sorted(positive.tolist(), key=lambda i: (-scores[i], i))
        return [Hit(self.passages[i], float(scores[i]), rank) for rank, i in enumerate(order, start=1)]

    # -- files ---------------------------------------------------------------------------------------

    def save(self, path: Path | str) -> Path:
        """Write the index to the folder ``path`` (created; must not exist or be empty), all at once:
        it is written next to it first and renamed into place."""
        path = Path(path)
        if path.exists() and any(path.iterdir()):
            raise KnowledgeIndexError(f"{path} already holds files; save a knowledge index into a new folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
        try:
            self._write(staging)
            if path.exists():
                path.rmdir()
            os.replace(staging, path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return path

    def _write(self, folder: Path) -> None:
        """The index's files into the existing, empty ``folder``."""
        self.retriever.save(str(folder / BM25_DIR), show_progress=False)
        with (folder / PASSAGES_FILE).open("w", encoding="utf-8") as fh:
            for p in self.passages:
                fh.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
        (folder / MANIFEST_FILE).write_text(json.dumps(self.manifest, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str) -> "KnowledgeIndex":
        """Read an index written by :meth:`save` (or an index root holding a ``CURRENT`` pointer).

        Raises :class:`KnowledgeIndexError` saying what is missing or inconsistent.
        """
        import bm25s

        path = Path(path)
        if (path / CURRENT_FILE).is_file():
            resolved = current_index_path(path)
            assert resolved is not None
            path = resolved
        manifest_path = path / MANIFEST_FILE
        if not manifest_path.is_file():
            raise KnowledgeIndexError(
                f"no knowledge index at {path}: {MANIFEST_FILE} is missing (materialize the knowledge_index asset, "
                "or point at the folder it reports)"
            )
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise KnowledgeIndexError(f"{manifest_path} is not readable JSON ({exc}); rebuild the index") from exc
        if manifest.get("format_version") != FORMAT_VERSION:
            raise KnowledgeIndexError(
                f"{path} holds a knowledge index of format {manifest.get('format_version')!r}; this version reads "
                f"format {FORMAT_VERSION}: rebuild it (materialize knowledge_index)"
            )
        passages: list[Passage] = []
        try:
            with (path / PASSAGES_FILE).open(encoding="utf-8") as fh:
                for n, line in enumerate(fh, start=1):
                    if line.strip():
                        passages.append(Passage(**json.loads(line)))
        except FileNotFoundError as exc:
            raise KnowledgeIndexError(f"{path / PASSAGES_FILE} is missing; rebuild the index") from exc
        except (json.JSONDecodeError, TypeError) as exc:
            raise KnowledgeIndexError(f"{path / PASSAGES_FILE} line {n} is not a passage ({exc}); rebuild the index") from exc
        if len(passages) != manifest.get("passages"):
            raise KnowledgeIndexError(
                f"{path} is inconsistent: the manifest counts {manifest.get('passages')} passages, "
                f"{PASSAGES_FILE} holds {len(passages)}; rebuild the index"
            )
        if not (path / BM25_DIR).is_dir():
            raise KnowledgeIndexError(f"{path / BM25_DIR} is missing; rebuild the index")
        try:
            retriever = bm25s.BM25.load(str(path / BM25_DIR), show_progress=False, allow_pickle=False)
        except Exception as exc:  # noqa: BLE001 - bm25s raises whatever numpy/json raise; say where
            raise KnowledgeIndexError(f"cannot read the BM25 arrays in {path / BM25_DIR} ({exc}); rebuild the index") from exc
        if int(retriever.scores["num_docs"]) != len(passages):
            raise KnowledgeIndexError(
                f"{path} is inconsistent: the BM25 arrays index {retriever.scores['num_docs']} passages, "
                f"{PASSAGES_FILE} holds {len(passages)}; rebuild the index"
            )
        return cls(passages, retriever, manifest)


def publish_index(index: KnowledgeIndex, root: Path | str, point: bool = True) -> Path:
    """Save ``index`` under ``root/<fingerprint[:16]>`` (kept if already there) and point ``root/CURRENT``
    at it; the pointer is replaced atomically, so readers see the old index or the new one, never half.
    ``point=False`` only saves it (an index that failed its gates is kept but not served)."""
    return publish_version(root, index.fingerprint[:16], index._write, MANIFEST_FILE, point=point)


def retrieval_passes(report: dict[str, Any] | None, min_hit_rate: float) -> bool | None:
    """The retrieval gate on a :meth:`RetrievalReport.to_dict`: hit rate at least ``min_hit_rate`` and above
    chance; None when retrieval could not be evaluated (no labels to judge relevance by)."""
    if report is None:
        return None
    return report["hit_rate"] >= min_hit_rate and report["hit_rate"] > report["chance_hit_rate"]


def release_problems(report: dict[str, Any] | None, min_hit_rate: float, pii_hits: int) -> list[str]:
    """Why an index must not be served (empty: it may be): retrieval under its floor, or PII in a passage.
    Unevaluated retrieval (no labels) does not hold an index back; its check warns."""
    problems = []
    if retrieval_passes(report, min_hit_rate) is False:
        problems.append(
            f"retrieval hit rate {report['hit_rate']:.3f} is under the floor {min_hit_rate:.3f} or not above "  # type: ignore[index]
            f"chance {report['chance_hit_rate']:.3f}"  # type: ignore[index]
        )
    if pii_hits:
        problems.append(f"{pii_hits} PII hit(s) in its passages")
    return problems


def current_index_path(root: Path | str) -> Path | None:
    """The folder ``root/CURRENT`` names; None when there is no pointer. Raises when it names nothing."""
    try:
        return current_version(root, MANIFEST_FILE)
    except VersionPointerError as error:
        raise KnowledgeIndexError(f"{error}: not a knowledge index folder") from error


# ---------------------------------------------------------------------------------------- evaluation


@dataclass
class RetrievalReport:
    """How well the index finds passages of the question's own category (see :func:`evaluate_label_retrieval`)."""

    queries: int
    k: int
    hit_rate: float
    precision: float
    mrr: float
    chance_hit_rate: float
    no_result_rate: float
    per_label: dict[str, dict[str, float]] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def lift(self) -> float:
        """hit_rate over the chance rate (inf when chance is 0)."""
        return self.hit_rate / self.chance_hit_rate if self.chance_hit_rate > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "lift": round(self.lift, 3) if self.lift != float("inf") else None}


def evaluate_label_retrieval(
    index: KnowledgeIndex,
    queries: Iterable[tuple[str, str, str]],
    k: int = 3,
    max_queries: int | None = 500,
    seed: int = 0,
) -> RetrievalReport:
    """Retrieval quality on labelled questions ``(record_id, text, label)``, never finding themselves.

    For each question the index is searched with the question's own record left out, and every record of
    the same ticket (the same normalised text: another source's copy, other case or placeholders). A passage is
    relevant when it comes from a record with the question's label (category), the offline judgment at
    hand: a ticket resolved in the same category. Reported: hit rate (any relevant passage in the top
    k), precision@k (relevant / k), MRR of the first relevant passage, the share of questions with no
    result, and the chance hit rate: what k passages drawn at random would give, 1 - (1 - share of the
    label among passages)^k, averaged. Questions without a label are skipped; at most ``max_queries``
    are drawn (seeded).
    """
    from finetune_platform.datasets.split import normalize_prompt

    queries = list(queries)
    # A question must not find its own ticket under another record id either (the same ticket in two
    # sources, or in other case and placeholders: the training set's same-ticket rule).
    same_ticket: dict[str, set[str]] = {}
    for rid, text, _ in queries:
        same_ticket.setdefault(normalize_prompt(text), set()).add(rid)
    labelled = [(rid, text, label) for rid, text, label in queries if label and text.strip()]
    if not labelled:
        raise ValueError("no labelled questions to evaluate the knowledge index on (every label is empty)")
    if max_queries is not None and len(labelled) > max_queries:
        labelled = random.Random(seed).sample(labelled, max_queries)
    share = Counter(p.label for p in index.passages)
    total = len(index.passages)
    hits = precision = rr = chance = empty = 0.0
    per_label: dict[str, list[float]] = {}
    examples: list[dict[str, Any]] = []
    for rid, text, label in labelled:
        mine = same_ticket.get(normalize_prompt(text), set()) | {rid}
        found = index.search(text, k, exclude_records=mine)
        relevant = [h.passage.label == label for h in found]
        first = next((h.rank for h, ok in zip(found, relevant) if ok), None)
        hit = 1.0 if first is not None else 0.0
        hits += hit
        precision += sum(relevant) / k
        rr += 1.0 / first if first is not None else 0.0
        empty += not found
        own = sum(len(index._rows_of.get(r, ())) for r in mine)
        p = (share.get(label, 0) - own) / max(1, total - own)
        chance += 1.0 - (1.0 - p) ** k
        per_label.setdefault(label, []).append(hit)
        if len(examples) < 5:
            examples.append(
                {"question": text[:160], "label": label, "retrieved": [(h.passage.label, h.passage.text[:120]) for h in found]}
            )
    n = len(labelled)
    return RetrievalReport(
        queries=n,
        k=k,
        hit_rate=round(hits / n, 4),
        precision=round(precision / n, 4),
        mrr=round(rr / n, 4),
        chance_hit_rate=round(chance / n, 4),
        no_result_rate=round(empty / n, 4),
        per_label={lab: {"queries": len(v), "hit_rate": round(sum(v) / len(v), 4)} for lab, v in sorted(per_label.items())},
        examples=examples,
    )


# --------------------------------------------------------------------------------------------- prompt

#: The system message that carries retrieved passages (``{passages}``: numbered passages).
CONTEXT_TEMPLATE = (
    "Relevant excerpts from resolved tickets and documents. Use them when they answer the question; "
    "ignore them otherwise.\n{passages}"
)


def augment_messages(
    messages: Sequence[dict[str, str]],
    hits: Sequence[Hit],
    max_context_chars: int = 1500,
    placement: Literal["system", "user"] = "system",
) -> list[dict[str, str]]:
    """``messages`` with the passages of ``hits`` added (:func:`context_block` put in place by
    :func:`insert_context`). No hits: the messages unchanged (a new list).

    ``placement="system"``: in the system message. A conversation that opens with system messages gets
    the passages appended to the last of them (the operator's instructions stay first, and templates that
    allow one system message, like Llama-2's, still render it); otherwise a system message is put first.
    ``placement="user"``: before the text of the last user turn, for chat templates that have no system
    role (Gemma's refuses one)."""
    if not hits:
        return [dict(m) for m in messages]
    return insert_context(messages, context_block(hits, max_context_chars), placement)


def context_block(hits: Sequence[Hit], max_context_chars: int = 1500) -> str:
    """The text that carries the passages of ``hits`` (:data:`CONTEXT_TEMPLATE`, the passages numbered):
    added best first while they fit in ``max_context_chars``; the first one is cut to fit if it alone is
    too long. The log store keeps it with the request, so training can restore what the model was given."""
    numbered: list[str] = []
    used = 0
    for n, hit in enumerate(hits, start=1):
        entry = f"[{n}] {hit.passage.text}"
        if used + len(entry) > max_context_chars:
            if numbered:
                break
            entry = entry[: max(0, max_context_chars)]
        numbered.append(entry)
        used += len(entry) + 1
    return CONTEXT_TEMPLATE.format(passages="\n".join(numbered))


def insert_context(
    messages: Sequence[dict[str, str]], context: str, placement: Literal["system", "user"] = "system"
) -> list[dict[str, str]]:
    """A copy of ``messages`` with ``context`` (a :func:`context_block`) where :func:`augment_messages`'
    ``placement`` puts it."""
    out = [dict(m) for m in messages]
    if placement == "user":
        last_user = max((i for i, m in enumerate(out) if m.get("role") == "user"), default=None)
        if last_user is None:
            raise ValueError("placement='user' needs a user turn to put the passages before")
        out[last_user]["content"] = f"{context}\n\n{out[last_user]['content']}"
        return out
    if placement != "system":
        raise ValueError(f"placement must be 'system' or 'user', not {placement!r}")
    leading = 0
    while leading < len(out) and out[leading].get("role") == "system":
        leading += 1
    if leading:
        out[leading - 1]["content"] = f"{out[leading - 1]['content']}\n\n{context}"
    else:
        out.insert(0, {"role": "system", "content": context})
    return out


class IndexFollower(VersionFollower[KnowledgeIndex]):
    """The knowledge index at ``path`` (an index folder, or the root whose ``CURRENT`` the
    ``knowledge_index`` asset moves) for the model server: see :class:`~finetune_platform.versioned.VersionFollower`.
    The first load raises :class:`KnowledgeIndexError`."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, KnowledgeIndex.load, (KnowledgeIndexError,))
