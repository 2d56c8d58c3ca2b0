"""Hybrid RAG in the model server: retrieved passages reach the prompt, the response says which, and
the server follows the index the knowledge_index asset publishes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from finetune_platform.rag.index import CURRENT_FILE, KnowledgeIndex, passages_from_records, publish_index
from finetune_platform.rag.index import KnowledgeIndexError
from finetune_platform.serving.routing import CHAMPION
from jinja2.exceptions import TemplateError

from finetune_platform.serving.server import FakeBackend, ServerSettings, create_app
from finetune_platform_tests.rag.test_index import ROWS, records


@pytest.fixture
def index_root(tmp_path: Path) -> Path:
    publish_index(KnowledgeIndex.build(passages_from_records(records())), tmp_path / "knowledge")
    return tmp_path / "knowledge"


@pytest.fixture
def client_for():
    clients: list[TestClient] = []

    def make(backend: FakeBackend, **settings: Any) -> TestClient:
        client = TestClient(create_app(ServerSettings(**settings), {CHAMPION: backend}))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "support", "messages": [{"role": "user", "content": text}], **extra}


def test_retrieved_passages_reach_the_prompt_and_the_response_names_them(client_for, index_root: Path):
    backend = FakeBackend("support")
    client = client_for(backend, knowledge_index_path=str(index_root), rag_top_k=2, cache_enabled=False)
    response = client.post("/v1/chat/completions", json=_chat("I was charged twice this month"))
    assert response.status_code == 200, response.text
    body = response.json()
    passages = body["retrieval"]["passages"]
    assert [p["record_id"] for p in passages][:1] == ["r1"] and len(passages) == 2
    assert response.headers["x-rag-passages"] == "2"
    assert response.headers["x-knowledge-index"] == body["retrieval"]["index"]
    prompt = backend.calls[-1][0]
    assert prompt.startswith("### System:\nRelevant excerpts") and "[1] Question: I was charged twice" in prompt
    assert prompt.rstrip().endswith("### User:\nI was charged twice this month\n### Assistant:")
    health = client.get("/healthz").json()["knowledge_index"]
    assert health["passages"] == len(ROWS) and health["follows_current"] is True
    metrics = client.get("/metrics").text
    assert 'llm_retrievals_total{outcome="passages"} 1.0' in metrics
    assert "llm_retrieval_latency_seconds_count 1.0" in metrics


def test_a_request_can_opt_out_and_a_question_without_matches_gets_no_context(client_for, index_root: Path):
    backend = FakeBackend("support")
    client = client_for(backend, knowledge_index_path=str(index_root), cache_enabled=False)
    off = client.post("/v1/chat/completions", json=_chat("I was charged twice", rag=False))
    assert off.status_code == 200 and "retrieval" not in off.json()
    assert off.headers["x-rag-passages"] == "0"
    assert "Relevant excerpts" not in backend.calls[-1][0]
    nothing = client.post("/v1/chat/completions", json=_chat("zebra quantum"))
    assert nothing.status_code == 200 and nothing.json()["retrieval"]["passages"] == []
    assert backend.calls[-1][0] == "### User:\nzebra quantum\n### Assistant:\n"
    assert 'llm_retrievals_total{outcome="no_passages"} 1.0' in client.get("/metrics").text


def test_rag_true_without_an_index_is_a_clear_400_and_plain_servers_are_unchanged(client_for):
    backend = FakeBackend("support")
    client = client_for(backend)
    plain = client.post("/v1/chat/completions", json=_chat("I was charged twice"))
    assert plain.status_code == 200 and "retrieval" not in plain.json() and "x-rag-passages" not in plain.headers
    assert client.get("/healthz").json()["knowledge_index"] is None
    asked = client.post("/v1/chat/completions", json=_chat("I was charged twice", rag=True))
    assert asked.status_code == 400
    error = asked.json()["error"]
    assert error["code"] == "rag_unavailable" and error["param"] == "rag" and "--rag" in error["message"]
    wrong = client.post("/v1/chat/completions", json=_chat("x", rag="yes please"))
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "rag"


def test_the_server_follows_a_newly_published_index_without_a_restart(client_for, index_root: Path):
    backend = FakeBackend("support")
    client = client_for(backend, knowledge_index_path=str(index_root), cache_enabled=False)
    before = client.post("/v1/chat/completions", json=_chat("firmware for the garden sprinkler"))
    assert before.json()["retrieval"]["passages"][0]["record_id"] in {"r3", "r4"}  # "firmware" only
    extra = ROWS + [("r7", "notes", "note", "technical", "Garden sprinkler will not start", "Reset the sprinkler valve.")]
    newer = KnowledgeIndex.build(passages_from_records(records(extra)))
    publish_index(newer, index_root)
    os.utime(index_root / CURRENT_FILE, ns=(2, 2))
    after = client.post("/v1/chat/completions", json=_chat("firmware for the garden sprinkler"))
    assert after.json()["retrieval"]["index"] == newer.fingerprint[:16]
    assert after.json()["retrieval"]["passages"][0]["record_id"] == "r7"


def test_a_server_told_to_use_a_missing_index_does_not_start(tmp_path: Path):
    with pytest.raises(KnowledgeIndexError, match="manifest.json is missing"):
        create_app(ServerSettings(knowledge_index_path=str(tmp_path / "none")), {CHAMPION: FakeBackend()})


def test_serve_rag_without_an_index_says_what_to_materialize(tmp_path: Path, monkeypatch, capsys):
    from finetune_platform.cli import main

    monkeypatch.setenv("FINETUNE_PLATFORM_HOME", str(tmp_path))
    assert main(["serve", "--rag"]) == 2
    err = capsys.readouterr().err
    assert "no knowledge index in" in err and "materialize the knowledge_index asset" in err


def test_serve_rag_passes_the_published_index_to_the_server(tmp_path: Path, monkeypatch):
    import finetune_platform.serving.server as server_module
    from finetune_platform.cli import main
    from finetune_platform.settings import Settings

    monkeypatch.setenv("FINETUNE_PLATFORM_HOME", str(tmp_path))
    root = Settings.for_root(tmp_path).knowledge_index_dir
    publish_index(KnowledgeIndex.build(passages_from_records(records())), root)
    (tmp_path / "mlflow.db").touch()  # a registry to serve from (serve refuses a home without one)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(server_module, "serve", lambda settings, registry, store, **kw: seen.update(settings=settings))
    assert main(["serve", "--rag", "--rag-top-k", "5"]) == 0
    assert seen["settings"].knowledge_index_path == str(root) and seen["settings"].rag_top_k == 5


class _OneSystemTemplate(FakeBackend):
    """A Llama-2-style template: at most one system message, first."""

    def chat_prompt(self, messages):
        roles = [m["role"] for m in messages]
        if roles.count("system") > 1 or ("system" in roles and roles[0] != "system"):
            raise TemplateError("Conversation roles must alternate user/assistant/user/assistant/...")
        return super().chat_prompt(messages)


class _NoSystemTemplate(FakeBackend):
    """A Gemma-style template: no system role at all."""

    def chat_prompt(self, messages):
        if any(m["role"] == "system" for m in messages):
            raise TemplateError("System role not supported")
        return super().chat_prompt(messages)


def test_retrieved_passages_fit_the_models_chat_template(client_for, index_root: Path):
    """The client's own system message plus the passages is still one system message; a template without a
    system role gets them in the user turn; only the client's own refused conversation is a 400."""
    one = _OneSystemTemplate("support")
    client = client_for(one, knowledge_index_path=str(index_root), cache_enabled=False)
    with_system = {"model": "support", "messages": [
        {"role": "system", "content": "You are a support agent."}, {"role": "user", "content": "I was charged twice"}]}
    response = client.post("/v1/chat/completions", json=with_system)
    assert response.status_code == 200, response.text
    assert one.calls[-1][0].startswith("### System:\nYou are a support agent.\n\nRelevant excerpts")

    none = _NoSystemTemplate("support")
    client = client_for(none, knowledge_index_path=str(index_root), cache_enabled=False)
    response = client.post("/v1/chat/completions", json=_chat("I was charged twice this month"))
    assert response.status_code == 200, response.text
    assert response.json()["retrieval"]["passages"]
    prompt = none.calls[-1][0]
    assert prompt.startswith("### User:\nRelevant excerpts") and "[1] Question: I was charged twice" in prompt
    refused = client.post("/v1/chat/completions", json=with_system)  # the client's own system message
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "unsupported_conversation"


def test_a_template_that_takes_the_conversation_but_not_the_passages_is_a_server_error(client_for, index_root: Path):
    class NoContext(FakeBackend):
        def chat_prompt(self, messages):
            if "Relevant excerpts" in " ".join(m["content"] for m in messages):
                raise TemplateError("too long for this template")
            return super().chat_prompt(messages)

    client = client_for(NoContext("support"), knowledge_index_path=str(index_root), cache_enabled=False)
    response = client.post("/v1/chat/completions", json=_chat("I was charged twice this month"))
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "rag_context_unsupported" and "rag: false" in error["message"]
    assert client.post("/v1/chat/completions", json=_chat("I was charged twice", rag=False)).status_code == 200


@pytest.mark.parametrize("backend_class", [FakeBackend, _NoSystemTemplate], ids=["system", "user_turn"])
def test_the_log_keeps_the_passages_apart_and_dpo_gets_back_the_prompt_the_model_was_given(
    index_root: Path, backend_class: type[FakeBackend]
):
    """The logged conversation is the client's own (passages are the index's text, not what the user sent);
    the passages are logged beside it with where the server put them, so the DPO prompt of a correction
    of this answer is exactly the prompt the model answered, in the system message or the user turn."""
    import json
    from datetime import UTC, datetime, timedelta

    from finetune_platform.monitoring.feedback import feedback_to_preference_pairs, prompts_as_served
    from finetune_platform.monitoring.store import LogStore

    store = LogStore("sqlite://", redactor=None)
    backend = backend_class("support")
    app = create_app(
        ServerSettings(knowledge_index_path=str(index_root), rag_top_k=2, cache_enabled=False), {CHAMPION: backend}, store
    )
    try:
        with TestClient(app) as client:
            response = client.post("/v1/chat/completions", json=_chat("I was charged twice this month"))
            assert response.status_code == 200 and "Relevant excerpts" in backend.calls[-1][0]
            plain = client.post("/v1/chat/completions", json=_chat("I was charged twice", rag=False))
            assert plain.status_code == 200
        now = datetime.now(UTC)
        rows = store.requests_between(now - timedelta(hours=1), now + timedelta(hours=1)).set_index("response_id")
        store.log_feedback(response.json()["id"], -1, correction="Refunded the second charge.")
        feedback = store.feedback_between(now - timedelta(hours=1), now + timedelta(hours=1))
    finally:
        store.close()
    row = rows.loc[response.json()["id"]]
    assert json.loads(row["messages"]) == [{"role": "user", "content": "I was charged twice this month"}]
    logged = json.loads(row["rag_context"])
    assert logged["placement"] == ("system" if backend_class is FakeBackend else "user")
    assert logged["context"].startswith("Relevant excerpts") and "[1] Question: I was charged twice" in logged["context"]
    assert rows.loc[plain.json()["id"], "rag_context"] is None  # nothing retrieved, nothing logged

    pairs, _ = feedback_to_preference_pairs(feedback)

    class ServerTemplate:  # the platform's own chat format, which FakeBackend renders (no chat template)
        chat_template = None

    served, counts = prompts_as_served(pairs, ServerTemplate())
    assert counts["with_retrieved_passages"] == 1
    assert served["prompt"].tolist() == [backend.calls[0][0]]  # what the model answered, to the character


def test_a_conversation_too_long_to_answer_is_refused_before_retrieval(client_for, index_root: Path):
    backend = FakeBackend("support")
    client = client_for(backend, knowledge_index_path=str(index_root), max_prompt_chars=400, cache_enabled=False)
    response = client.post("/v1/chat/completions", json=_chat("charged twice " * 40))
    assert response.status_code == 400 and response.json()["error"]["code"] == "prompt_too_long"
    assert response.json()["error"]["param"] == "messages"
    assert "llm_retrievals_total{" not in client.get("/metrics").text and not backend.calls


def test_retrieved_passages_do_not_count_against_the_clients_prompt_limit(client_for, index_root: Path):
    """A question that fits max_prompt_chars is answered whatever the passages the server adds weigh."""
    backend = FakeBackend("support")
    client = client_for(backend, knowledge_index_path=str(index_root), max_prompt_chars=200, cache_enabled=False)
    question = "I was charged twice this month, " + "please check my account " * 5
    assert len(question) < 200
    response = client.post("/v1/chat/completions", json=_chat(question))
    assert response.status_code == 200, response.text
    assert int(response.headers["x-rag-passages"]) > 0 and len(backend.calls[-1][0]) > 200  # passages added
