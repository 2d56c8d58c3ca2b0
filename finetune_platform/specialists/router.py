"""The domain router: which specialist (or the generalist) answers a request.

A TF-IDF (word 1-2 grams) + multinomial logistic regression classifier (scikit-learn) over the curated
records' texts, whose classes are the specialists' names plus ``general`` (every label no specialist
covers). Chosen over an LLM call or embeddings: it trains in a second on a CPU, answers in well under a
millisecond, needs no download, and its probability is a usable confidence for the fallback rule:

    the specialist answers only when the router's top class is that specialist with probability at least
    ``min_confidence``; otherwise (unsure, outside every domain) the generalist does.

A router is saved as plain files (the vocabulary and weights as JSON and numpy arrays, never a pickle),
in a version folder with a ``CURRENT`` pointer (:mod:`finetune_platform.versioned`) that the server
follows. :func:`evaluate_router` measures it on held-out labelled requests: what matters is precision of
the specialist routes (a wrong route sends a ticket to a model that never saw its kind) and coverage (the
share of a domain's requests that reach its specialist); falling back is always safe.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from finetune_platform.specialists.spec import GENERAL, SpecialistsSpec
from finetune_platform.versioned import CURRENT_FILE, VersionFollower, current_version, publish_version


FORMAT_VERSION = 1
MANIFEST_FILE = "router.json"
WEIGHTS_FILE = "weights.npz"
#: Redaction placeholders say nothing about the domain ("<EMAIL_1>").
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*?_\d+>")
#: TfidfVectorizer's settings (saved with the router; a loaded router rebuilds the same one).
VECTORIZER_PARAMS: dict[str, Any] = {"ngram_range": (1, 2), "sublinear_tf": True, "lowercase": True, "min_df": 1}


class RouterError(RuntimeError):
    """A router cannot be trained, saved or loaded; the message says what and where."""


@dataclass(frozen=True)
class RouteDecision:
    """Where a request goes: ``domain`` is a specialist name or ``general``; ``confident`` says whether the
    router's probability reached the bar (a specialist answers only then)."""

    domain: str
    confidence: float
    confident: bool

    @property
    def specialist(self) -> str | None:
        """The specialist that should answer, or None for the generalist."""
        return self.domain if self.confident and self.domain != GENERAL else None


def _clean(text: str) -> str:
    return _PLACEHOLDER.sub(" ", text) if "<" in text else text


class DomainRouter:
    """A fitted router. Train with :meth:`fit`, read a saved one with :meth:`load`."""

    def __init__(
        self, vectorizer: Any, coef: np.ndarray, intercept: np.ndarray, classes: list[str], manifest: dict[str, Any]
    ) -> None:
        self.vectorizer = vectorizer
        self.coef = coef
        self.intercept = intercept
        self.classes = classes
        self.manifest = manifest

    @property
    def min_confidence(self) -> float:
        return float(self.manifest["min_confidence"])

    @property
    def fingerprint(self) -> str:
        return str(self.manifest["fingerprint"])

    @property
    def specialists(self) -> list[str]:
        """The specialist names the router can route to."""
        return [c for c in self.classes if c != GENERAL]

    @classmethod
    def fit(
        cls, texts: Sequence[str], labels: Sequence[str], spec: SpecialistsSpec, c: float = 4.0
    ) -> "DomainRouter":
        """Train on labelled texts; each label maps to its specialist's domain or to ``general``.

        Raises :class:`RouterError` when there are no texts, or fewer than two domains to tell apart.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        if len(texts) != len(labels):
            raise RouterError(f"got {len(texts)} texts but {len(labels)} labels")
        domain_of = spec.domain_of()
        domains = [domain_of.get(label, GENERAL) for label in labels]
        counts = Counter(domains)
        if len(counts) < 2:
            raise RouterError(
                f"the router needs requests of at least two domains to tell apart; every one of the {len(texts)} "
                f"labelled texts is {next(iter(counts), 'absent')!r}: check the labels in data/specialists.yaml "
                f"against the curated labels ({sorted(set(labels))[:10]})"
            )
        vectorizer = TfidfVectorizer(**VECTORIZER_PARAMS)
        matrix = vectorizer.fit_transform([_clean(t) for t in texts])
        model = LogisticRegression(max_iter=2000, C=c, class_weight="balanced").fit(matrix, domains)
        digest = hashlib.sha256(spec.model_dump_json().encode() + repr(c).encode())
        for text, label in zip(texts, labels):
            digest.update(f"\x1e{label}\x1f{text}".encode())
        manifest = {
            "format_version": FORMAT_VERSION,
            "fingerprint": digest.hexdigest(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "classes": [str(k) for k in model.classes_],
            "min_confidence": spec.min_confidence,
            "domains": {name: sorted(s.labels) for name, s in spec.specialists.items()},
            "training_texts": len(texts),
            "training_domains": dict(sorted(counts.items())),
            "vocabulary": len(vectorizer.vocabulary_),
            "c": c,
        }
        router = cls(vectorizer, model.coef_.copy(), model.intercept_.copy(), manifest["classes"], manifest)
        check = router._proba(matrix[: min(32, matrix.shape[0])])
        if not np.allclose(check, model.predict_proba(matrix[: min(32, matrix.shape[0])]), atol=1e-9):
            raise RouterError("the router's probabilities differ from scikit-learn's; this is a bug")
        return router

    @classmethod
    def generalist_only(cls, spec: SpecialistsSpec) -> "DomainRouter":
        """The router of a configuration without specialists: every request to the generalist. Published
        like any router, it replaces the one a server follows when the last specialist is removed (a
        server left following the old one would go on routing to the removed specialists)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(**VECTORIZER_PARAMS).fit([GENERAL])
        n = len(vectorizer.vocabulary_)
        digest = hashlib.sha256(b"generalist-only\x1e" + spec.model_dump_json().encode())
        manifest = {
            "format_version": FORMAT_VERSION,
            "fingerprint": digest.hexdigest(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "classes": [GENERAL],
            "min_confidence": spec.min_confidence,
            "domains": {},
            "training_texts": 0,
            "training_domains": {},
            "vocabulary": n,
            "c": None,
        }
        return cls(vectorizer, np.zeros((1, n)), np.zeros(1), [GENERAL], manifest)

    def _proba(self, matrix: Any) -> np.ndarray:
        """Class probabilities from the linear scores: softmax (multinomial), or the sigmoid for two
        classes; what ``LogisticRegression.predict_proba`` computes (checked at fit time)."""
        scores = np.asarray(matrix @ self.coef.T) + self.intercept
        if len(self.classes) == 2:
            p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - p, p])
        scores = scores - scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """One row of class probabilities (in :attr:`classes` order) per text."""
        return self._proba(self.vectorizer.transform([_clean(t) for t in texts]))

    def route(self, text: str) -> RouteDecision:
        """The domain of ``text``, its probability, and whether that reaches ``min_confidence``."""
        probs = self.probabilities([text])[0]
        best = int(np.argmax(probs))
        confidence = float(probs[best])
        return RouteDecision(self.classes[best], round(confidence, 4), confidence >= self.min_confidence)

    # -- files ---------------------------------------------------------------------------------------

    def _write(self, folder: Path) -> None:
        vocabulary = {term: int(i) for term, i in self.vectorizer.vocabulary_.items()}
        np.savez(folder / WEIGHTS_FILE, idf=self.vectorizer.idf_, coef=self.coef, intercept=self.intercept)
        (folder / "vocabulary.json").write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
        (folder / MANIFEST_FILE).write_text(json.dumps(self.manifest, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str) -> "DomainRouter":
        """Read a router folder (or a root whose ``CURRENT`` names one). Raises :class:`RouterError`."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        path = Path(path)
        if (path / CURRENT_FILE).is_file():
            try:
                path = current_version(path, MANIFEST_FILE) or path
            except Exception as error:  # noqa: BLE001 - say where
                raise RouterError(str(error)) from error
        manifest_path = path / MANIFEST_FILE
        if not manifest_path.is_file():
            raise RouterError(f"no router at {path}: {MANIFEST_FILE} is missing (materialize the router asset)")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            vocabulary = json.loads((path / "vocabulary.json").read_text(encoding="utf-8"))
            with np.load(path / WEIGHTS_FILE, allow_pickle=False) as arrays:
                idf, coef, intercept = arrays["idf"], arrays["coef"], arrays["intercept"]
        except (OSError, KeyError, ValueError) as error:
            raise RouterError(f"cannot read the router in {path} ({error}); rebuild it (materialize router)") from error
        if manifest.get("format_version") != FORMAT_VERSION:
            raise RouterError(f"{path} holds a router of format {manifest.get('format_version')!r}; this version reads {FORMAT_VERSION}")
        classes = manifest["classes"]
        if len(vocabulary) != len(idf) or coef.shape != ((1 if len(classes) == 2 else len(classes)), len(idf)):
            raise RouterError(f"{path} is inconsistent: vocabulary {len(vocabulary)}, idf {len(idf)}, weights {coef.shape}")
        params = {**VECTORIZER_PARAMS, "ngram_range": tuple(VECTORIZER_PARAMS["ngram_range"])}
        vectorizer = TfidfVectorizer(**params, vocabulary=vocabulary)
        vectorizer.idf_ = idf
        return cls(vectorizer, coef, intercept, classes, manifest)


def publish_router(router: DomainRouter, root: Path | str, point: bool = True) -> Path:
    """Save ``router`` as ``root/<fingerprint[:16]>`` and point ``root/CURRENT`` at it (atomically);
    ``point=False`` only saves it (a router that failed its gate is kept but not served)."""
    return publish_version(root, router.fingerprint[:16], router._write, MANIFEST_FILE, point=point)


def router_gate_problem(report: dict[str, Any] | None, min_precision: float) -> str | None:
    """Why a router (its :class:`RouterReport` as a dict) must not be served, or None when it may: it sends
    no held-out request to a specialist, or those it sends are under ``min_precision`` in their domain.
    Falling back to the generalist is always safe; a wrong route is not."""
    if report is None:
        return None  # no specialists: nothing to route
    precision = report["specialist_precision"]
    if precision is None:
        return (
            f"the router sent none of {report['requests']} held-out requests to a specialist (min_confidence too "
            "high, or domains it cannot tell apart): the specialists would never serve"
        )
    if precision < min_precision:
        return f"specialist precision {precision:.3f} is under the floor {min_precision:.3f}"
    return None


class RouterFollower(VersionFollower[DomainRouter]):
    """The router at ``path`` (a router folder, or the root whose ``CURRENT`` the ``router`` asset moves)
    for the model server: see :class:`~finetune_platform.versioned.VersionFollower`. The first load raises
    :class:`RouterError`."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, DomainRouter.load, (RouterError,))


# ---------------------------------------------------------------------------------------- evaluation


@dataclass
class RouterReport:
    """Routing quality on held-out labelled requests (see :func:`evaluate_router`)."""

    requests: int
    accuracy: float
    specialist_precision: float | None
    coverage: float | None
    fallback_rate: float
    per_domain: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_router(router: DomainRouter, texts: Sequence[str], labels: Sequence[str], spec: SpecialistsSpec) -> RouterReport:
    """Route every text as the server would (specialist only when confident) and compare with its true domain.

    - accuracy: the route is the true domain (a request outside every domain is right when it falls back);
    - specialist_precision: of the requests sent to a specialist, the share that belong to it (None when
      none was sent);
    - coverage: of the requests whose domain has a specialist, the share that reach it (None without any);
    - fallback_rate: the share answered by the generalist;
    - per_domain: precision and recall of each route, confusion: true domain -> route -> count.
    """
    if not texts:
        raise ValueError("no held-out requests to evaluate the router on")
    domain_of = spec.domain_of()
    truth = [domain_of.get(label, GENERAL) for label in labels]
    probs = router.probabilities(texts)
    routes = []
    for row in probs:
        best = int(np.argmax(row))
        domain = router.classes[best]
        routes.append(domain if (row[best] >= router.min_confidence and domain != GENERAL) else GENERAL)
    n = len(texts)
    correct = sum(r == t for r, t in zip(routes, truth))
    to_specialist = [(r, t) for r, t in zip(routes, truth) if r != GENERAL]
    in_domain = [(r, t) for r, t in zip(routes, truth) if t != GENERAL]
    confusion: dict[str, dict[str, int]] = {}
    for r, t in zip(routes, truth):
        confusion.setdefault(t, {}).setdefault(r, 0)
        confusion[t][r] += 1
    per_domain = {}
    for domain in sorted(set(truth) | set(routes)):
        routed = [t for r, t in zip(routes, truth) if r == domain]
        actual = [r for r, t in zip(routes, truth) if t == domain]
        per_domain[domain] = {
            "requests": len(actual),
            "routed": len(routed),
            "precision": round(sum(t == domain for t in routed) / len(routed), 4) if routed else None,
            "recall": round(sum(r == domain for r in actual) / len(actual), 4) if actual else None,
        }
    return RouterReport(
        requests=n,
        accuracy=round(correct / n, 4),
        specialist_precision=round(sum(r == t for r, t in to_specialist) / len(to_specialist), 4) if to_specialist else None,
        coverage=round(sum(r == t for r, t in in_domain) / len(in_domain), 4) if in_domain else None,
        fallback_rate=round(sum(r == GENERAL for r in routes) / n, 4),
        per_domain=per_domain,
        confusion=confusion,
    )


def split_held_out(n: int, labels: Sequence[str], fraction: float = 0.2, seed: int = 0) -> tuple[list[int], list[int]]:
    """Row indices (train, held out), stratified by label: ``fraction`` of each label (at least one when a
    label has two or more rows) is held out; seeded."""
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels[:n]):
        by_label.setdefault(label, []).append(i)
    rng = random.Random(seed)
    train, held = [], []
    for label in sorted(by_label):
        rows = by_label[label]
        rng.shuffle(rows)
        k = max(1, round(len(rows) * fraction)) if len(rows) >= 2 else 0
        held += rows[:k]
        train += rows[k:]
    return sorted(train), sorted(held)
