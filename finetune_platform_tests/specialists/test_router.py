"""The domain router: trains on labelled requests, routes with a confidence bar, saves without pickles,
reloads identically, and is evaluated on what matters (precision of specialist routes, coverage)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from finetune_platform.specialists.router import (
    DomainRouter,
    RouterError,
    RouterFollower,
    evaluate_router,
    publish_router,
    split_held_out,
)
from finetune_platform.specialists.spec import SpecialistsSpec
from finetune_platform.versioned import CURRENT_FILE

SPEC = SpecialistsSpec.model_validate(
    {"min_confidence": 0.5, "specialists": {"billing": {"labels": ["billing", "refund"]}, "tech": {"labels": ["bug"]}}}
)
TEXTS = {
    "billing": ["I was charged twice on my invoice", "my invoice shows a double charge", "the charge on my card is wrong",
                "why is my invoice higher this month", "payment failed on my card"],
    "refund": ["I want a refund for my order", "when will my refund arrive", "refund the duplicate payment please"],
    "bug": ["the app crashes when I open it", "camera freezes on live view", "login button does nothing, app crash",
            "error 500 when saving settings", "the app freezes after the update"],
    "shipping": ["where is my parcel", "my parcel has not arrived", "tracking shows the parcel stuck",
                 "delivery is late again", "parcel delivered to the wrong address"],
}
TEXT_LIST = [t for label, texts in TEXTS.items() for t in texts]
LABELS = [label for label, texts in TEXTS.items() for _ in texts]


@pytest.fixture(scope="module")
def router() -> DomainRouter:
    return DomainRouter.fit(TEXT_LIST, LABELS, SPEC)


def test_labels_map_to_domains_and_uncovered_labels_are_general(router: DomainRouter):
    assert router.classes == ["billing", "general", "tech"] and router.specialists == ["billing", "tech"]
    assert router.manifest["training_domains"] == {"billing": 8, "general": 5, "tech": 5}


def test_route_picks_the_domain_and_falls_back_below_the_bar(router: DomainRouter):
    billing = router.route("there is a double charge on my invoice")
    assert billing.domain == "billing" and billing.confident and billing.specialist == "billing"
    assert router.route("the app crashes after the update").specialist == "tech"
    assert router.route("where is my parcel, delivery is late").specialist is None  # general: the generalist
    unsure = router.route("hello")
    assert unsure.confidence < 0.5 and not unsure.confident and unsure.specialist is None
    assert router.route("<EMAIL_1> <PHONE_2>").confidence == unsure.confidence  # placeholders carry nothing


def test_probabilities_match_scikit_learn(router: DomainRouter):
    from sklearn.linear_model import LogisticRegression

    reference = LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced")
    domains = [SPEC.domain_of().get(label, "general") for label in LABELS]
    reference.fit(router.vectorizer.transform(TEXT_LIST), domains)
    queries = ["refund please", "app error", "parcel", "nothing in common"]
    np.testing.assert_allclose(router.probabilities(queries), reference.predict_proba(router.vectorizer.transform(queries)), atol=1e-6)


def test_two_domains_use_the_binary_form():
    spec = SpecialistsSpec.model_validate({"min_confidence": 0.5, "specialists": {"tech": {"labels": ["bug"]}}})
    binary = DomainRouter.fit(TEXT_LIST, LABELS, spec)
    assert binary.classes == ["general", "tech"] and binary.coef.shape[0] == 1
    assert binary.route("the app crashes").specialist == "tech"
    assert binary.probabilities(["x"]).sum() == pytest.approx(1.0)


def test_fit_refuses_a_single_domain_and_mismatched_inputs():
    with pytest.raises(RouterError, match="at least two domains"):
        DomainRouter.fit(TEXTS["shipping"], ["shipping"] * 5, SPEC)
    with pytest.raises(RouterError, match="3 texts but 2 labels"):
        DomainRouter.fit(["a", "b", "c"], ["x", "y"], SPEC)


def test_save_load_roundtrip_and_errors(router: DomainRouter, tmp_path: Path):
    folder = publish_router(router, tmp_path / "router")
    assert sorted(p.name for p in folder.iterdir()) == ["router.json", "vocabulary.json", "weights.npz"]
    loaded = DomainRouter.load(tmp_path / "router")  # a root: follows CURRENT
    queries = ["double charge", "app crash", "parcel late", "hello"]
    np.testing.assert_allclose(loaded.probabilities(queries), router.probabilities(queries), atol=1e-12)
    assert loaded.fingerprint == router.fingerprint and loaded.min_confidence == 0.5
    with pytest.raises(RouterError, match="router.json is missing"):
        DomainRouter.load(tmp_path / "nothing")
    manifest = json.loads((folder / "router.json").read_text())
    (folder / "router.json").write_text(json.dumps({**manifest, "format_version": 7}))
    with pytest.raises(RouterError, match="format 7"):
        DomainRouter.load(folder)
    (folder / "router.json").write_text(json.dumps(manifest))
    (folder / "vocabulary.json").write_text(json.dumps({"only": 0}))
    with pytest.raises(RouterError, match="inconsistent"):
        DomainRouter.load(folder)
    (folder / "weights.npz").write_bytes(b"not numpy")
    with pytest.raises(RouterError, match="cannot read the router"):
        DomainRouter.load(folder)


def test_follower_picks_up_a_new_router(router: DomainRouter, tmp_path: Path):
    publish_router(router, tmp_path)
    follower = RouterFollower(tmp_path)
    assert follower.current().fingerprint == router.fingerprint
    stricter = SpecialistsSpec.model_validate({**SPEC.model_dump(), "min_confidence": 0.9})
    newer = DomainRouter.fit(TEXT_LIST, LABELS, stricter)
    publish_router(newer, tmp_path)
    os.utime(tmp_path / CURRENT_FILE, ns=(3, 3))
    assert follower.current().fingerprint == newer.fingerprint and follower.current().min_confidence == 0.9
    (tmp_path / CURRENT_FILE).write_text("gone\n")
    assert follower.current().fingerprint == newer.fingerprint  # kept, logged


def test_evaluation_counts_precision_coverage_and_fallback(router: DomainRouter):
    texts = ["double charge on my invoice", "the app crashes", "parcel is late", "hello"]
    labels = ["billing", "bug", "shipping", "refund"]
    report = evaluate_router(router, texts, labels, SPEC)
    # routes: billing, tech, general (right: no specialist), "hello" falls back but its domain is billing
    assert report.requests == 4 and report.accuracy == 0.75
    assert report.specialist_precision == 1.0 and report.coverage == pytest.approx(2 / 3, abs=1e-4)
    assert report.fallback_rate == 0.5
    assert report.confusion["billing"] == {"billing": 1, "general": 1}
    assert report.per_domain["billing"] == {"requests": 2, "routed": 1, "precision": 1.0, "recall": 0.5}
    wrong = evaluate_router(router, ["the app crashes"], ["billing"], SPEC)
    assert wrong.specialist_precision == 0.0 and wrong.accuracy == 0.0
    with pytest.raises(ValueError, match="no held-out requests"):
        evaluate_router(router, [], [], SPEC)


def test_split_holds_out_a_share_of_every_label():
    labels = ["a"] * 10 + ["b"] * 5 + ["c"]
    train, held = split_held_out(len(labels), labels, 0.2, seed=1)
    assert sorted(train + held) == list(range(16)) and not set(train) & set(held)
    assert [labels[i] for i in held].count("a") == 2 and [labels[i] for i in held].count("b") == 1
    assert "c" not in [labels[i] for i in held]  # a single row stays in training
    assert split_held_out(len(labels), labels, 0.2, seed=1) == (train, held)
