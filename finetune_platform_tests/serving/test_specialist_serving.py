"""Specialists behind the router with a generalist fallback, in the model server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from finetune_platform.serving.routing import CHALLENGER, CHAMPION
from finetune_platform.serving.server import FakeBackend, ServerSettings, create_app, load_backends
from finetune_platform.specialists.router import DomainRouter, publish_router
from finetune_platform_tests.specialists.test_router import LABELS, SPEC, TEXT_LIST


@pytest.fixture(scope="module")
def router_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("router")
    publish_router(DomainRouter.fit(TEXT_LIST, LABELS, SPEC), root)
    return root


@pytest.fixture
def make_client(router_root: Path):
    clients: list[TestClient] = []

    def make(backends: dict[str, FakeBackend], **settings: Any) -> TestClient:
        settings = {"router_path": str(router_root), "cache_enabled": False, **settings}
        client = TestClient(create_app(ServerSettings(**settings), backends))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def backends(*specialists: str) -> dict[str, FakeBackend]:
    out = {CHAMPION: FakeBackend("generalist", "1")}
    out.update({f"specialist-{name}": FakeBackend(name, "7") for name in specialists})
    return out


def chat(client: TestClient, text: str, model: str = "generalist", **extra: Any):
    return client.post("/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": text}], **extra})


def test_a_confident_domain_goes_to_its_specialist_and_the_rest_to_the_generalist(make_client):
    client = make_client(backends("billing", "tech"))
    billed = chat(client, "there is a double charge on my invoice")
    assert billed.status_code == 200
    assert billed.json()["routing"] == {**billed.json()["routing"], "domain": "billing", "variant": "specialist-billing", "fallback": None}
    assert billed.headers["x-model-variant"] == "specialist-billing" and billed.headers["x-route-domain"] == "billing"
    assert billed.json()["choices"][0]["message"]["content"].startswith("billing v7 says:")
    shipped = chat(client, "where is my parcel, delivery is late")
    assert shipped.json()["routing"]["fallback"] == "generalist_domain"
    assert shipped.headers["x-model-variant"] == CHAMPION
    unsure = chat(client, "hello")
    assert unsure.json()["routing"]["fallback"] == "low_confidence" and unsure.headers["x-model-variant"] == CHAMPION
    metrics = client.get("/metrics").text
    assert 'llm_domain_routes_total{domain="billing",outcome="specialist"} 1.0' in metrics
    assert 'outcome="generalist_domain"' in metrics and 'outcome="low_confidence"' in metrics
    health = client.get("/healthz").json()["router"]
    assert health["specialists"] == {"billing": True, "tech": True} and health["min_confidence"] == 0.5


def test_an_undeployed_specialist_and_the_kill_switch_fall_back_to_the_generalist(make_client):
    client = make_client(backends("billing"))  # tech is routed to but not deployed
    crashed = chat(client, "the app crashes after the update")
    assert crashed.json()["routing"]["domain"] == "tech" and crashed.json()["routing"]["fallback"] == "not_deployed"
    assert crashed.headers["x-model-variant"] == CHAMPION
    assert client.get("/healthz").json()["router"]["specialists"] == {"billing": True, "tech": False}
    assert client.post("/admin/kill-switch", json={"engaged": True}).status_code == 200
    billed = chat(client, "there is a double charge on my invoice")
    assert billed.json()["routing"]["fallback"] == "kill_switch" and billed.headers["x-model-variant"] == CHAMPION
    pinned = chat(client, "anything", model="generalist@specialist-billing")
    assert pinned.headers["x-model-variant"] == CHAMPION  # the kill switch overrides pins to any non-champion


def test_pinned_specialists_are_listed_and_answer_without_routing(make_client):
    client = make_client({**backends("billing"), CHALLENGER: FakeBackend("generalist", "2")})
    ids = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert ids == ["generalist", "generalist@champion", "generalist@challenger", "generalist@specialist-billing"]
    pinned = chat(client, "where is my parcel", model="generalist@specialist-billing")
    assert pinned.headers["x-model-variant"] == "specialist-billing" and "routing" not in pinned.json()
    plain = client.post("/v1/completions", json={"model": "generalist", "prompt": "double charge on my invoice"})
    assert plain.status_code == 200 and plain.headers["x-model-variant"] == CHAMPION  # completions are not routed


def test_without_a_router_nothing_is_routed_and_bad_backend_names_are_refused(make_client, router_root):
    plain = TestClient(create_app(ServerSettings(), backends("billing")))
    with plain:
        response = chat(plain, "there is a double charge on my invoice")
        assert "routing" not in response.json() and response.headers["x-model-variant"] == CHAMPION
        assert plain.get("/healthz").json()["router"] is None
    with pytest.raises(ValueError, match="unknown variants \\['billing'\\]"):
        create_app(ServerSettings(), {CHAMPION: FakeBackend(), "billing": FakeBackend()})


class StubRegistry:
    def __init__(self, aliases: set[str]) -> None:
        self.aliases = aliases
        self.model_name = "stub"

    def get_by_alias(self, alias: str):
        return type("Info", (), {"version": 1})() if alias in self.aliases else None


def test_load_backends_loads_only_deployed_specialists(monkeypatch):
    import finetune_platform.serving.server as server_module

    loaded: list[str] = []
    monkeypatch.setattr(
        server_module.RegistryBackend, "from_registry",
        classmethod(lambda cls, registry, alias, quantize=False: loaded.append(alias) or FakeBackend(alias)),
    )
    got = load_backends(StubRegistry({"champion", "specialist-billing"}), specialists=["billing", "tech"])
    assert sorted(got) == ["champion", "specialist-billing"] and loaded == ["champion", "specialist-billing"]


def test_a_specialist_that_fails_is_answered_by_the_generalist(make_client):
    """A crashed specialist must not take its whole domain down: its failure is logged against it and the
    generalist answers, saying so."""
    failing = backends("billing")
    failing["specialist-billing"] = FakeBackend("billing", "7", fail_marker="invoice")  # fails on every billing ask
    client = make_client(failing)
    answer = chat(client, "there is a double charge on my invoice")
    assert answer.status_code == 200, answer.text
    assert answer.json()["routing"]["fallback"] == "specialist_error" and answer.json()["routing"]["domain"] == "billing"
    assert answer.headers["x-model-variant"] == CHAMPION
    assert answer.json()["choices"][0]["message"]["content"].startswith("generalist v1 says:")
    metrics = client.get("/metrics").text
    assert 'error_type="generation_failed",variant="specialist-billing"} 1.0' in metrics
    pinned = chat(client, "my invoice is wrong", model="generalist@specialist-billing")
    assert pinned.status_code == 500  # a client that pinned the specialist gets its error, no silent substitute


def test_a_failed_specialist_is_logged_without_the_prompt_its_error_quotes(make_client, caplog):
    """The fallback's warning quotes the specialist's error redacted: its message may quote the prompt."""
    class Quoting(FakeBackend):
        def generate(self, prompts, max_new_tokens, temperature):
            if any("invoice" in p for p in prompts):
                raise RuntimeError(f"cannot read {prompts[0][-70:]!r}")
            return super().generate(prompts, max_new_tokens, temperature)

    failing = backends("billing")
    failing["specialist-billing"] = Quoting("billing", "7")
    client = make_client(failing)
    with caplog.at_level("WARNING"):
        answer = chat(client, "there is a double charge on my invoice, mail me at jane.doe@example.com")
    assert answer.status_code == 200 and answer.json()["routing"]["fallback"] == "specialist_error"
    assert "specialist specialist-billing failed" in caplog.text and "<EMAIL_1>" in caplog.text
    assert "jane.doe" not in caplog.text
