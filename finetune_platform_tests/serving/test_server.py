from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from jinja2.exceptions import TemplateError
from pydantic import ValidationError

from finetune_platform.evaluation.generation import Answer
from finetune_platform.formats.templates import default_chat_prompt
from finetune_platform.monitoring.store import LogStore
from finetune_platform.serving.routing import CHALLENGER, CHAMPION, user_bucket
from finetune_platform.serving.server import (
    BackgroundServer,
    FakeBackend,
    ServerSettings,
    _stream_pieces,
    create_app,
)

API_KEY = "test-key-0123456789"
ADMIN_KEY = "admin-key-0123456789"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def email_redactor(text: str, mapping: dict[Any, str]) -> str:
    return _EMAIL.sub("<EMAIL>", text)


@pytest.fixture
def store() -> Iterator[LogStore]:
    log_store = LogStore("sqlite://", redactor=email_redactor)
    yield log_store
    log_store.close()


def _rows(store: LogStore) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return store.requests_between(now - timedelta(hours=1), now + timedelta(hours=1)).to_dict("records")


def _backends(**kwargs: Any) -> dict[str, FakeBackend]:
    return {CHAMPION: FakeBackend("support", "1", **kwargs), CHALLENGER: FakeBackend("support", "2", **kwargs)}


@pytest.fixture
def make_client(store):
    """``make_client(backends=None, **settings)``: a TestClient (lifespan running) of a fresh app."""
    clients: list[TestClient] = []

    def make(backends: dict[str, Any] | None = None, use_store: bool = True, **settings: Any) -> TestClient:
        app = create_app(ServerSettings(**settings), backends or _backends(), store if use_store else None)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _chat(text: str = "my router is broken", **extra: Any) -> dict[str, Any]:
    return {"model": "support", "messages": [{"role": "user", "content": text}], **extra}


# -- settings -----------------------------------------------------------------------------------------------


def test_settings_defaults_and_rules():
    settings = ServerSettings(api_key=API_KEY)
    assert settings.host == "127.0.0.1" and settings.quantize is False
    assert API_KEY not in repr(settings) and API_KEY not in str(settings)
    with pytest.raises(ValidationError, match="no api_key is set"):
        ServerSettings(host="0.0.0.0")
    assert ServerSettings(host="0.0.0.0", api_key=API_KEY).host == "0.0.0.0"
    with pytest.raises(ValidationError, match="exceeds max_tokens_limit"):
        ServerSettings(default_max_tokens=100, max_tokens_limit=50)
    with pytest.raises(ValidationError):
        ServerSettings(canary_share=1.5)


def test_batch_wait_settings_reach_the_batchers():
    defaults = create_app(ServerSettings(), {CHAMPION: FakeBackend()})
    custom = create_app(ServerSettings(batch_window_ms=30, batch_idle_ms=None), {CHAMPION: FakeBackend()})
    try:
        assert (defaults.state.server.batchers[CHAMPION].window_s, defaults.state.server.batchers[CHAMPION].idle_s) \
            == (0.05, 0.01)
        assert custom.state.server.batchers[CHAMPION].idle_s == 0.03  # None: the window alone bounds the wait
    finally:
        defaults.state.server.close()
        custom.state.server.close()
    with pytest.raises(ValidationError):
        ServerSettings(batch_idle_ms=-1)


def test_backends_must_include_the_champion():
    with pytest.raises(ValueError, match="the champion is required"):
        create_app(ServerSettings(), {CHALLENGER: FakeBackend()})
    with pytest.raises(ValueError, match=r"unknown variants \['shadow'\]"):
        create_app(ServerSettings(), {CHAMPION: FakeBackend(), "shadow": FakeBackend()})
    with pytest.raises(TypeError, match="lacks the Backend protocol"):
        create_app(ServerSettings(), {CHAMPION: object()})


# -- completions -----------------------------------------------------------------------------------------


def test_chat_completion_is_answered_logged_and_counted(make_client, store):
    client = make_client()
    response = client.post("/v1/chat/completions", json=_chat("write to jane@example.com please", user="u1"))
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == "support" and body["system_fingerprint"] == "champion-v1"
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant"
    # FakeBackend reverses the last words of the rendered chat prompt ("### User:\n...### Assistant:\n").
    assert message["content"] == "support v1 says: Assistant: ### please jane@example.com to write"
    assert body["choices"][0]["finish_reason"] in {"stop", "length"}
    assert response.headers["x-model-variant"] == CHAMPION and response.headers["x-model-version"] == "1"
    prompt_tokens = len("### User:\nwrite to jane@example.com please\n### Assistant:\n".split())
    assert body["usage"] == {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": len(message["content"].split()),
        "total_tokens": prompt_tokens + len(message["content"].split()),
    }

    [row] = _rows(store)
    assert row["response_id"] == body["id"] and row["variant"] == CHAMPION and row["model_version"] == "1"
    assert row["model_name"] == "support" and row["user_id"] == "u1" and row["status_code"] == 200
    assert row["prompt_tokens"] == prompt_tokens and row["completion_tokens"] == body["usage"]["completion_tokens"]
    assert row["latency_ms"] > 0
    assert "jane@example.com" not in row["prompt"] and "<EMAIL>" in row["prompt"]  # the store redacts

    metrics = client.get("/metrics").text
    assert 'llm_requests_total{endpoint="chat.completions",status="200",variant="champion"} 1.0' in metrics
    assert 'llm_batch_size_count{variant="champion"} 1.0' in metrics
    assert f'llm_tokens_total{{kind="prompt",variant="champion"}} {float(prompt_tokens)}' in metrics


def test_completions_with_a_list_of_prompts_and_stop(make_client, store):
    client = make_client(max_batch_size=8, batch_window_ms=50)
    body = client.post(
        "/v1/completions", json={"model": "support", "prompt": ["alpha beta", "gamma delta"], "max_tokens": 20}
    ).json()
    assert body["object"] == "text_completion"
    assert [c["text"] for c in body["choices"]] == ["support v1 says: beta alpha", "support v1 says: delta gamma"]
    assert [c["index"] for c in body["choices"]] == [0, 1]
    assert [r["response_id"] for r in _rows(store)] == [f"{body['id']}:0", f"{body['id']}:1"]

    stopped = client.post("/v1/completions", json={"model": "support", "prompt": "alpha beta", "stop": [" says"]}).json()
    assert stopped["choices"][0] == {"index": 0, "text": "support v1", "finish_reason": "stop", "logprobs": None}
    truncated = client.post("/v1/completions", json={"model": "support", "prompt": "a b c d", "max_tokens": 3}).json()
    assert truncated["choices"][0]["text"] == "support v1 says:" and truncated["choices"][0]["finish_reason"] == "length"


def _events(response: httpx.Response) -> list[Any]:
    assert response.headers["content-type"].startswith("text/event-stream")
    events = []
    for block in response.text.strip().split("\n\n"):
        assert block.startswith("data: ")
        payload = block[len("data: "):]
        events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


def test_streaming_chat_sends_openai_chunks_that_add_up_to_the_answer(make_client):
    client = make_client()
    plain = client.post("/v1/chat/completions", json=_chat("one two three")).json()
    streamed = client.post(
        "/v1/chat/completions", json=_chat("one two three", stream=True, stream_options={"include_usage": True})
    )
    events = _events(streamed)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == plain["choices"][0]["message"]["content"]
    assert chunks[-2]["choices"][0]["finish_reason"] == plain["choices"][0]["finish_reason"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == plain["usage"]


def test_streaming_completions(make_client):
    client = make_client()
    events = _events(client.post("/v1/completions", json={"model": "support", "prompt": "x y", "stream": True}))
    assert events[-1] == "[DONE]"
    assert "".join(e["choices"][0]["text"] for e in events[:-1]) == "support v1 says: y x"
    assert events[-2]["choices"][0]["finish_reason"] == "stop"


def test_stream_pieces_add_up():
    for text in ["", "one", " lead and  double\nnewline ", "tail   "]:
        assert "".join(_stream_pieces(text)) == text
    assert _stream_pieces("a b") == ["a ", "b"]


def test_models_endpoint(make_client):
    client = make_client()
    ids = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert ids == ["support", "support@champion", "support@challenger"]
    assert client.get("/v1/models/support@challenger").json()["id"] == "support@challenger"
    assert client.get("/v1/models/other").status_code == 404
    solo = make_client(backends={CHAMPION: FakeBackend("solo", "7")}, model_name="assistant")
    assert [m["id"] for m in solo.get("/v1/models").json()["data"]] == ["assistant", "assistant@champion"]


# -- bad requests: 4xx with an OpenAI error body, and the server stays up ------------------------------------


@pytest.mark.parametrize(
    ("path", "payload", "status", "message"),
    [
        ("/v1/chat/completions", b"{not json", 400, "not valid JSON"),
        ("/v1/chat/completions", b"", 400, "request body is missing"),
        ("/v1/chat/completions", _chat(model="gpt-4"), 404, "the model 'gpt-4' does not exist"),
        ("/v1/chat/completions", _chat("x" * 501), 400, "the prompt is 5"),
        ("/v1/chat/completions", _chat(max_tokens=-5), 400, "max_tokens: Input should be greater than or equal to 1 (got -5)"),
        ("/v1/chat/completions", _chat(temperature=2.5), 400, "temperature: Input should be less than or equal to 2 (got 2.5)"),
        ("/v1/chat/completions", _chat(max_tokens=10_000), 400, "max_tokens is 10000; this server allows at most 100"),
        ("/v1/chat/completions", _chat(n=3), 400, "n=3: this server returns one choice"),
        ("/v1/chat/completions", _chat(tools=[{"type": "function"}]), 400, "unsupported or unknown parameter 'tools'"),
        ("/v1/chat/completions", {"model": "support", "messages": []}, 400, "messages: List should have at least 1 item"),
        ("/v1/chat/completions", {"model": "support"}, 400, "'messages' is required"),
        ("/v1/chat/completions", {"model": "support", "messages": [{"role": "robot", "content": "hi"}]}, 400, "messages.0.role"),
        (
            "/v1/chat/completions",
            {"model": "support", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
            400,
            "content parts of type ['image_url'] are not supported",
        ),
        ("/v1/completions", {"model": "support", "prompt": [[1, 2, 3]]}, 400, "prompt"),
        ("/v1/completions", {"model": "support", "prompt": []}, 400, "prompt is an empty list"),
        ("/v1/completions", {"model": "support", "prompt": ["q"] * 129}, 400, "holds 129 prompts; send at most 128"),
        ("/v1/completions", {"model": "support", "prompt": "hi", "stop": ["a", "b", "c", "d", "e"]}, 400, "up to 4"),
        ("/v1/feedback", {"response_id": "x", "rating": 5}, 400, "rating"),
        ("/v1/nowhere", {}, 404, "no endpoint /v1/nowhere"),
    ],
)
def test_bad_requests_get_openai_style_errors(make_client, path, payload, status, message):
    client = make_client(max_prompt_chars=500, max_tokens_limit=100, default_max_tokens=16)
    if isinstance(payload, bytes):
        response = client.post(path, content=payload, headers={"content-type": "application/json"})
    else:
        response = client.post(path, json=payload)
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert message in error["message"]
    assert client.post("/v1/chat/completions", json=_chat()).status_code == 200  # still up


def test_generation_failure_is_a_logged_500_and_the_server_keeps_serving(make_client, store):
    client = make_client()
    response = client.post("/v1/completions", json={"model": "support@challenger", "prompt": "FAIL-NOW please"})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "server_error" and "fake model failure" in error["message"]
    [row] = _rows(store)
    assert (row["status_code"], row["variant"], row["model_version"]) == (500, CHALLENGER, "2")
    assert "fake model failure" in row["error"]
    assert client.post("/v1/completions", json={"model": "support@challenger", "prompt": "fine"}).status_code == 200
    assert 'error_type="generation_failed",variant="challenger"} 1.0' in client.get("/metrics").text


class _QuotingBackend(FakeBackend):
    """A backend whose error quotes the prompt (as a tokenizer's does), raised from another that quotes it too."""

    def generate(self, prompts: list[str], max_new_tokens: int, temperature: float) -> list[str]:
        try:
            raise KeyError(f"no token for {prompts[0]!r}")
        except KeyError as error:
            raise ValueError(f"cannot encode input {prompts[0][:80]!r}") from error


@pytest.mark.parametrize("use_store", [True, False])
def test_a_backend_error_quoting_the_prompt_is_logged_redacted_with_a_traceback_of_code_only(caplog, use_store):
    """The server's own log redacts a failed generation's messages as the log store does (audit_leaks finding
    9): the exception types, the code lines of the traceback, no PII; also without a log store."""
    store = LogStore("sqlite://") if use_store else None  # the curation redactor
    prompt = "my ssn is 123456789. My card is 4111 1111 1111 1111, mail jane.doe@example.com"
    app = create_app(ServerSettings(model_name="support"), {CHAMPION: _QuotingBackend("support")}, store)
    try:
        with caplog.at_level(logging.DEBUG), TestClient(app) as client:
            response = client.post("/v1/completions", json={"model": "support", "prompt": prompt, "max_tokens": 5})
    finally:
        if store is not None:
            store.close()
    assert response.status_code == 500
    logged = caplog.text
    for value in ("123456789", "4111", "jane.doe"):
        assert value not in logged
    assert "generation failed (completions, champion)" in logged
    assert "ValueError: cannot encode input 'my ssn is <US_SSN_1>. My card is <CREDIT_CARD_1>, mail <EMAIL_1>'" in logged
    assert "KeyError: " in logged and "The above exception led to the following" in logged
    assert 'in generate\n    raise ValueError(f"cannot encode input' in logged  # where it failed: code, not data


class BrokenStore:
    """A log store that is down."""

    def log_request(self, **row: Any) -> str:
        raise OSError("disk full")


def test_a_broken_log_store_is_counted_but_does_not_fail_answers(caplog):
    app = create_app(ServerSettings(), {CHAMPION: FakeBackend("support")}, BrokenStore())  # type: ignore[arg-type]
    with TestClient(app) as client:
        response = client.post("/v1/completions", json={"model": "support", "prompt": "hi"})
        assert response.status_code == 200
        metrics = client.get("/metrics").text
    assert 'llm_request_errors_total{endpoint="log_store",error_type="log_store_error",variant="champion"} 1.0' in metrics
    assert "could not write 1 request rows to the log store" in caplog.text and "disk full" in caplog.text


def test_slow_model_times_out_with_504(make_client, store):
    client = make_client(backends={CHAMPION: FakeBackend("support", "1", delay_s=0.5)}, request_timeout_s=0.05)
    response = client.post("/v1/completions", json={"model": "support", "prompt": "hi"})
    assert response.status_code == 504 and "did not answer within 0.05 s" in response.json()["error"]["message"]
    assert _rows(store)[0]["status_code"] == 504


# -- API key -----------------------------------------------------------------------------------------------


def test_api_key_is_required_when_configured_and_never_echoed(make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(api_key=API_KEY, admin_api_key="admin-key-987654")
    missing = client.post("/v1/chat/completions", json=_chat())
    assert missing.status_code == 401 and "missing API key" in missing.json()["error"]["message"]
    assert missing.json()["error"]["code"] == "invalid_api_key"
    wrong = client.post("/v1/chat/completions", json=_chat(), headers={"Authorization": "Bearer wrong-key-123"})
    assert wrong.status_code == 401 and "incorrect API key" in wrong.json()["error"]["message"]
    assert "wrong-key-123" not in wrong.text
    ok = client.post("/v1/chat/completions", json=_chat(), headers={"Authorization": f"Bearer {API_KEY}"})
    assert ok.status_code == 200
    assert client.get("/v1/models").status_code == 401
    assert client.get("/healthz").status_code == 200 and client.get("/metrics").status_code == 200
    # admin endpoints need the admin key, not the API key
    assert client.get("/admin/rollout", headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 401
    assert client.get("/admin/rollout", headers={"Authorization": "Bearer admin-key-987654"}).status_code == 200
    assert API_KEY not in caplog.text and "admin-key-987654" not in caplog.text


def test_admin_endpoints_are_off_when_only_a_client_key_is_set(make_client):
    """A client's key must not move production traffic: without an admin key the /admin endpoints refuse."""
    client = make_client(api_key=API_KEY)
    auth = {"Authorization": f"Bearer {API_KEY}"}
    refused = client.post("/admin/kill-switch", json={"engaged": True}, headers=auth)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "admin_disabled"
    assert "FINETUNE_PLATFORM_ADMIN_API_KEY" in refused.json()["error"]["message"]
    assert client.post("/admin/canary", json={"share": 1.0}, headers=auth).status_code == 403
    assert client.get("/admin/rollout").status_code == 403
    assert client.get("/healthz").json()["kill_switch"] is False


# -- routing, kill switch --------------------------------------------------------------------------------------


def _variant(client: TestClient, user: str | None, model: str = "support") -> str:
    response = client.post("/v1/completions", json={"model": model, "prompt": "hi", "user": user})
    assert response.status_code == 200, response.text
    return response.headers["x-model-variant"]


def test_canary_routing_is_sticky_per_user_and_follows_the_share(make_client):
    client = make_client(canary_share=0.3, cache_enabled=False, batch_window_ms=0)  # sequential: no window
    users = [f"user-{i}" for i in range(200)]
    first = {u: _variant(client, u) for u in users}
    assert first == {u: (CHALLENGER if user_bucket(u) < 0.3 else CHAMPION) for u in users}
    assert 0.2 < sum(v == CHALLENGER for v in first.values()) / len(users) < 0.4
    assert all(_variant(client, u) == first[u] for u in users[:30])  # sticky
    assert _variant(client, "anyone", model="support@challenger") == CHALLENGER  # pinned


def test_the_log_store_records_which_requests_named_their_variant(make_client, store):
    """Only a request that named ``<model>@<variant>`` is pinned; the rollout gates leave it out."""
    client = make_client(canary_share=1.0, cache_enabled=False)
    assert _variant(client, "u1") == CHALLENGER
    assert _variant(client, "u2", model="support@challenger") == CHALLENGER
    failed = client.post("/v1/completions", json={"model": "support@challenger", "prompt": "FAIL-NOW please"})
    assert failed.status_code == 500
    rows = _rows(store)
    assert [(r["variant"], r["status_code"], r["pinned"]) for r in rows] == [
        (CHALLENGER, 200, False), (CHALLENGER, 200, True), (CHALLENGER, 500, True)
    ]


def test_kill_switch_endpoint_sends_all_traffic_to_the_champion_at_once(make_client):
    client = make_client(canary_share=1.0)
    assert _variant(client, "u1") == CHALLENGER
    state = client.post("/admin/kill-switch", json={"reason": "wrong answers"}).json()
    assert state["kill_switch"] is True and state["reason"] == "wrong answers"
    assert {_variant(client, f"u{i}") for i in range(20)} == {CHAMPION}
    assert _variant(client, "u1", model="support@challenger") == CHAMPION  # overrides pins too
    assert "llm_kill_switch_engaged 1.0" in client.get("/metrics").text
    assert client.get("/healthz").json()["kill_switch"] is True
    client.post("/admin/kill-switch", json={"engaged": False})
    assert _variant(client, "u1") == CHALLENGER
    client.post("/admin/canary", json={"share": 0.0})
    assert _variant(client, "u1") == CHAMPION
    assert client.get("/admin/rollout").json()["canary_share"] == 0.0


def test_cli_kill_switch_through_the_state_file(make_client, tmp_path):
    from finetune_platform.serving.routing import engage_kill_switch

    path = tmp_path / "rollout.json"
    client = make_client(canary_share=1.0, rollout_state_path=str(path))
    assert _variant(client, "u1") == CHALLENGER
    engage_kill_switch(path, "from the CLI")
    assert _variant(client, "u1") == CHAMPION
    assert client.get("/admin/rollout").json()["reason"] == "from the CLI"


def test_a_share_given_to_another_version_sends_this_challenger_no_one(make_client, tmp_path):
    """A server restarted with a newer challenger than the one a rollout judged keeps it off the traffic;
    a share set through /admin/canary is given to the challenger this server loaded."""
    from finetune_platform.serving.routing import RolloutState, load_state, save_state

    path = tmp_path / "rollout.json"
    save_state(path, RolloutState(canary_share=1.0, challenger_version="1"))  # a rollout of v1 completed
    client = make_client(
        backends={CHAMPION: FakeBackend("support", "1"), CHALLENGER: FakeBackend("support", "2")},
        rollout_state_path=str(path),
    )
    assert {_variant(client, f"u{i}") for i in range(20)} == {CHAMPION}
    rollout = client.get("/admin/rollout").json()
    assert (rollout["challenger_version"], rollout["loaded_challenger_version"]) == ("1", "2")
    state = client.post("/admin/canary", json={"share": 1.0, "reason": "manual"}).json()
    assert state["challenger_version"] == "2" and load_state(path).challenger_version == "2"
    assert {_variant(client, f"u{i}") for i in range(20)} == {CHALLENGER}


def test_canary_share_needs_a_challenger(make_client):
    client = make_client(backends={CHAMPION: FakeBackend("support")})
    response = client.post("/admin/canary", json={"share": 0.1})
    assert response.status_code == 409 and "no challenger is loaded" in response.json()["error"]["message"]
    bad = client.post("/admin/canary", json={"share": 2})
    assert bad.status_code == 400


# -- cache -------------------------------------------------------------------------------------------------


def test_repeated_greedy_requests_come_from_the_cache(make_client):
    backends = _backends()
    client = make_client(backends=backends)
    payload = {"model": "support@champion", "prompt": "same question", "temperature": 0}
    responses = [client.post("/v1/completions", json=payload) for _ in range(2)]
    assert [r.headers["x-cache"] for r in responses] == ["miss", "hit"]
    first, second = (r.json() for r in responses)
    assert first["choices"][0]["text"] == second["choices"][0]["text"]
    assert first["id"] != second["id"]  # every answer has its own id (feedback targets it)
    assert backends[CHAMPION].calls == [["same question"]]
    client.post("/v1/completions", json={**payload, "max_tokens": 5})  # other params: a miss
    client.post("/v1/completions", json={**payload, "model": "support@challenger"})  # other variant: a miss
    assert len(backends[CHAMPION].calls) == 2 and len(backends[CHALLENGER].calls) == 1
    metrics = client.get("/metrics").text
    assert 'llm_cache_hits_total{variant="champion"} 1.0' in metrics
    assert 'llm_cache_misses_total{variant="champion"} 2.0' in metrics

    sampled = {**payload, "temperature": 0.8}
    texts = {client.post("/v1/completions", json=sampled).json()["choices"][0]["text"] for _ in range(3)}
    assert len(backends[CHAMPION].calls) == 5 and len(texts) == 3  # sampling is never cached


def test_cache_off_switch(make_client):
    backends = _backends()
    client = make_client(backends=backends, cache_enabled=False)
    for _ in range(2):
        client.post("/v1/completions", json={"model": "support@champion", "prompt": "q"})
    assert len(backends[CHAMPION].calls) == 2
    assert "llm_cache_hits_total" not in client.get("/metrics").text.replace("# HELP llm_cache_hits_total", "").replace(
        "# TYPE llm_cache_hits_total", ""
    )


# -- batching through the HTTP layer ----------------------------------------------------------------------------


def test_concurrent_http_requests_share_model_calls(store):
    backends = {CHAMPION: FakeBackend("support", "1", delay_s=0.05)}
    app = create_app(ServerSettings(max_batch_size=8, batch_window_ms=100, cache_enabled=False), backends, store)

    async def fire() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://server") as client:
            return await asyncio.gather(
                *(client.post("/v1/completions", json={"model": "support", "prompt": f"q{i}"}) for i in range(8))
            )

    try:
        responses = asyncio.run(fire())
    finally:
        app.state.server.close()
    assert [r.json()["choices"][0]["text"] for r in responses] == [f"support v1 says: q{i}" for i in range(8)]
    assert len(backends[CHAMPION].calls) < 8 and max(len(c) for c in backends[CHAMPION].calls) > 1
    assert sum(len(c) for c in backends[CHAMPION].calls) == 8
    assert len(_rows(store)) == 8


# -- feedback ------------------------------------------------------------------------------------------------


def test_feedback_is_tied_to_the_response_id(make_client, store):
    client = make_client()
    answer = client.post("/v1/chat/completions", json=_chat("reset my password")).json()
    response = client.post(
        "/v1/feedback",
        json={"response_id": answer["id"], "rating": -1, "correction": "Use the reset link.", "comment": "wrong"},
    )
    assert response.status_code == 200
    assert response.json()["response_id"] == answer["id"] and response.json()["rating"] == -1
    now = datetime.now(UTC)
    [row] = store.feedback_between(now - timedelta(hours=1), now + timedelta(hours=1)).to_dict("records")
    assert (row["response_id"], row["rating"], row["correction"], row["comment"]) == (
        answer["id"], -1, "Use the reset link.", "wrong",
    )
    assert row["variant"] == CHAMPION
    unknown = client.post("/v1/feedback", json={"response_id": "chatcmpl-nope", "rating": 1})
    assert unknown.status_code == 404 and "no answer with id 'chatcmpl-nope'" in unknown.json()["error"]["message"]


def test_each_choice_of_a_multi_prompt_completion_can_be_rated(make_client, store):
    client = make_client()
    answer = client.post("/v1/completions", json={"model": "support", "prompt": ["first ticket", "second ticket"]}).json()
    assert [c["index"] for c in answer["choices"]] == [0, 1]
    missing = client.post("/v1/feedback", json={"response_id": answer["id"], "rating": -1})
    assert missing.status_code == 404 and "add 'choice_index'" in missing.json()["error"]["message"]
    rated = client.post("/v1/feedback", json={"response_id": answer["id"], "choice_index": 1, "rating": -1,
                                              "correction": "The second answer."})
    assert rated.status_code == 200 and rated.json()["response_id"] == f"{answer['id']}:1"
    now = datetime.now(UTC)
    [row] = store.feedback_between(now - timedelta(hours=1), now + timedelta(hours=1)).to_dict("records")
    assert row["prompt"] == "second ticket" and row["correction"] == "The second answer."
    single = client.post("/v1/completions", json={"model": "support", "prompt": "one ticket"}).json()
    as_choice = client.post("/v1/feedback", json={"response_id": single["id"], "choice_index": 0, "rating": 1})
    assert as_choice.status_code == 200 and as_choice.json()["response_id"] == single["id"]
    beyond = client.post("/v1/feedback", json={"response_id": answer["id"], "choice_index": 5, "rating": 1})
    assert beyond.status_code == 404 and "and choice 5" in beyond.json()["error"]["message"]


def test_feedback_without_a_store(make_client):
    client = make_client(use_store=False)
    response = client.post("/v1/feedback", json={"response_id": "x", "rating": 1})
    assert response.status_code == 503 and "without a log store" in response.json()["error"]["message"]


def test_healthz(make_client):
    health = make_client(canary_share=0.1).get("/healthz").json()
    assert health == {
        "status": "ok",
        "model": "support",
        "variants": {CHAMPION: {"version": "1"}, CHALLENGER: {"version": "2"}},
        "canary_share": 0.1,
        "kill_switch": False,
        "knowledge_index": None,  # no hybrid RAG (test_rag_serving covers a server with an index)
        "router": None,  # no specialists (test_specialist_serving covers a server with a router)
    }


# -- loading from the registry and serving (stub registry: no MLflow, no torch) ---------------------------------


class StubRegistry:
    """What ``load_backends`` / ``serve`` use of ``ModelRegistry``: aliases, resolve, load."""

    model_name = "stub-model"

    def __init__(self, aliases: dict[str, int]) -> None:
        self._aliases = aliases
        self.loaded: list[int] = []

    def get_by_alias(self, alias: str):
        from types import SimpleNamespace

        version = self._aliases.get(alias)
        return None if version is None else SimpleNamespace(version=version)

    def resolve(self, alias: str):
        return self.get_by_alias(alias)

    def load(self, version: int):
        from types import SimpleNamespace

        self.loaded.append(version)
        inner = SimpleNamespace(model=f"model-{version}", tokenizer=f"tokenizer-{version}")
        return SimpleNamespace(unwrap_python_model=lambda: inner)


def test_load_backends_needs_a_champion_and_skips_a_challenger_equal_to_it():
    from finetune_platform.serving.server import load_backends

    with pytest.raises(RuntimeError, match="no version with the alias 'champion'"):
        load_backends(StubRegistry({}))
    same = StubRegistry({CHAMPION: 3, CHALLENGER: 3})
    assert list(load_backends(same)) == [CHAMPION] and same.loaded == [3]
    both = StubRegistry({CHAMPION: 3, CHALLENGER: 4})
    backends = load_backends(both)
    assert {v: (b.name, b.version, b.model) for v, b in backends.items()} == {
        CHAMPION: ("stub-model", "3", "model-3"),
        CHALLENGER: ("stub-model", "4", "model-4"),
    }


def test_serve_binds_localhost_by_default(monkeypatch, store):
    import uvicorn

    from finetune_platform.serving import server as server_module

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    server_module.serve(ServerSettings(port=8123), StubRegistry({CHAMPION: 1, CHALLENGER: 2}), store)
    [call] = calls
    assert (call["host"], call["port"]) == ("127.0.0.1", 8123)
    served = call["app"].state.server
    assert served.model_name == "stub-model" and set(served.backends) == {CHAMPION, CHALLENGER}
    served.close()


# -- the official openai client against a real uvicorn server ----------------------------------------------------


@pytest.mark.slow  # starts a uvicorn server (about a second)
def test_openai_client_works_unchanged(store):
    import openai

    from finetune_platform.serving.routing import request_kill_switch

    app = create_app(ServerSettings(api_key=API_KEY, admin_api_key=ADMIN_KEY, canary_share=1.0), _backends(), store)
    with BackgroundServer(app) as server:
        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=API_KEY, max_retries=0)
        chat = client.chat.completions.create(
            model="support", messages=[{"role": "user", "content": "hello there"}], max_tokens=20, user="u1"
        )
        assert chat.choices[0].message.content.startswith("support v2 says:")  # share 1.0: the challenger
        assert chat.usage.total_tokens == chat.usage.prompt_tokens + chat.usage.completion_tokens
        assert chat.system_fingerprint == "challenger-v2"

        stream = client.chat.completions.create(
            model="support", messages=[{"role": "user", "content": "hello there"}], max_tokens=20, user="u1",
            stream=True,
        )
        streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        assert streamed == chat.choices[0].message.content

        completion = client.completions.create(model="support@champion", prompt="where is my parcel", max_tokens=20)
        assert completion.choices[0].text == "support v1 says: parcel my is where"

        assert [m.id for m in client.models.list()] == ["support", "support@champion", "support@challenger"]

        with pytest.raises(openai.NotFoundError, match="does not exist"):
            client.completions.create(model="gpt-4o", prompt="x")
        with pytest.raises(openai.BadRequestError, match="temperature"):
            client.completions.create(model="support", prompt="x", temperature=3)
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=f"{server.url}/v1", api_key="not-the-key", max_retries=0).models.list()

        state = request_kill_switch(server.url, ADMIN_KEY, reason="smoke test")
        assert state["kill_switch"] is True
        after = client.chat.completions.create(model="support", messages=[{"role": "user", "content": "hi"}], user="u1")
        assert after.system_fingerprint == "champion-v1"
        with pytest.raises(RuntimeError, match="HTTP 401"):
            request_kill_switch(server.url, "wrong-key-000")
    assert len(_rows(store)) == 4


# -- a real tiny model from the MLflow registry ----------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_registry(tmp_path_factory, tiny_base: Path, tiny_adapter: Path):
    """A registry whose champion is the tiny base model and whose challenger is base + LoRA adapter."""
    from finetune_platform.serving.registry import ModelRegistry
    from finetune_platform.training.tracking import MlflowTracker

    root = tmp_path_factory.mktemp("server-registry")
    tracker = MlflowTracker(f"sqlite:///{root / 'mlflow.db'}", "server-tests", root / "artifacts")
    with tracker.start_run("sft") as run:
        run.log_metric("eval/accuracy", 0.5)
    registry = ModelRegistry(f"sqlite:///{root / 'mlflow.db'}", "tiny-support")
    base = registry.register(run.run_id, tiny_base, None, metrics={"accuracy": 0.4})
    tuned = registry.register(run.run_id, tiny_base, tiny_adapter, metrics={"accuracy": 0.5})
    registry.set_alias(base.version, CHAMPION)
    registry.set_alias(tuned.version, CHALLENGER)
    return registry


@pytest.mark.slow  # loads two tiny Llamas through MLflow (several seconds on a shared CPU)
def test_registry_backends_serve_what_evaluation_measured(tiny_registry, tiny_base, tiny_adapter, store):
    from finetune_platform.evaluation.generation import generate, load_causal_lm
    from finetune_platform.serving.server import RegistryBackend, load_backends

    backends = load_backends(tiny_registry)
    assert {v: b.version for v, b in backends.items()} == {CHAMPION: "1", CHALLENGER: "2"}
    prompts = ["### Task: classify\n### Ticket:\nmy card was charged twice\n### Category:\n", "where is my parcel"]
    app = create_app(ServerSettings(max_batch_size=4, batch_window_ms=50), backends, store)
    with TestClient(app) as client:
        answers = {}
        for variant in (CHAMPION, CHALLENGER):
            body = client.post(
                "/v1/completions", json={"model": f"tiny-support@{variant}", "prompt": prompts, "max_tokens": 8}
            ).json()
            answers[variant] = [c["text"] for c in body["choices"]]
        chat = client.post(
            "/v1/chat/completions",
            json={"model": "tiny-support", "messages": [{"role": "user", "content": "where is my parcel"}], "max_tokens": 5},
        )
        assert chat.status_code == 200
        sampled = client.post(
            "/v1/completions", json={"model": "tiny-support", "prompt": prompts, "max_tokens": 4, "temperature": 1.0}
        )
        assert sampled.status_code == 200 and len(sampled.json()["choices"]) == 2
        # an empty prompt (the tiny tokenizer adds no BOS: no tokens at all) starts from a document boundary
        for temperature in (0.0, 1.0):
            empty = client.post("/v1/completions", json={"model": "tiny-support", "prompt": "", "max_tokens": 3,
                                                         "temperature": temperature})
            assert empty.status_code == 200, empty.text
    base_lm, base_tok = load_causal_lm(tiny_base)
    tuned_lm, tuned_tok = load_causal_lm(tiny_base, adapter_path=tiny_adapter)
    assert answers[CHAMPION] == generate(base_lm, base_tok, prompts, max_new_tokens=8)
    assert answers[CHALLENGER] == generate(tuned_lm, tuned_tok, prompts, max_new_tokens=8)
    assert answers[CHAMPION] != answers[CHALLENGER]
    rows = _rows(store)
    assert {r["model_version"] for r in rows if r["variant"] == CHALLENGER} == {"2"}
    assert all(r["prompt_tokens"] > 0 for r in rows if r["prompt"])

    quantized = RegistryBackend.from_registry(tiny_registry, CHALLENGER, quantize=True)
    kinds = {f"{type(m).__module__}.{type(m).__name__}" for m in quantized.model.modules()}
    assert quantized.quantized and "torch.ao.nn.quantized.dynamic.modules.linear.Linear" in kinds
    assert "torch.nn.modules.linear.Linear" not in kinds  # every Linear (lm_head too) is int8 now
    out = quantized.generate(prompts, max_new_tokens=8, temperature=0.0)
    assert len(out) == 2 and all(isinstance(t, Answer) and t.tokens == 8 or t.ended for t in out)


def test_a_conversation_the_chat_template_refuses_is_a_400_not_a_500(make_client):
    class StrictTemplate(FakeBackend):
        def chat_prompt(self, messages):
            if messages[0]["role"] != "user":
                raise TemplateError("Conversation roles must alternate user/assistant/user/assistant/...")
            return super().chat_prompt(messages)

    client = make_client(backends={CHAMPION: StrictTemplate("support", "1")})
    bad = client.post("/v1/chat/completions", json={"model": "support", "messages": [
        {"role": "assistant", "content": "Hi!"}, {"role": "user", "content": "my router is broken"}]})
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["code"] == "unsupported_conversation" and error["param"] == "messages"
    assert "roles must alternate" in error["message"]
    assert client.post("/v1/chat/completions", json=_chat()).status_code == 200


def test_a_lone_surrogate_in_the_text_is_a_400_not_a_500(make_client, store):
    """"\\ud83d" is valid JSON but not text: the tokenizer, the cache key and the log store cannot take it."""
    client = make_client()
    for body, param in (
        (_chat("broken \ud83d router"), "messages.0.content"),
        ({"model": "support", "messages": [{"role": "user", "content": [{"type": "text", "text": "x\ud83d"}]}]},
         "messages.0.content"),
        ({"model": "support", "prompt": ["fine", "bad \udc00"]}, "prompt"),
        ({**_chat(), "stop": ["\ud83d"]}, "stop"),
    ):
        path = "/v1/completions" if "prompt" in body else "/v1/chat/completions"
        response = client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (body, response.text)
        assert "lone UTF-16 surrogate" in response.json()["error"]["message"]
        assert response.json()["error"]["message"].startswith(param)
    assert client.post("/v1/chat/completions", json=_chat("a real emoji 🙂")).status_code == 200


def test_request_latency_counts_from_receiving_the_request(make_client, store, monkeypatch):
    """Routing and retrieval run before generation; the latency histogram and the logged latency include
    them (a fake clock)."""
    import time as real_time
    from types import SimpleNamespace

    from finetune_platform.serving import server as server_module

    clock = {"now": 1000.0}

    def perf_counter() -> float:
        clock["now"] += 0.001  # every reading moves the clock 1 ms
        return clock["now"]

    monkeypatch.setattr(server_module, "time", SimpleNamespace(
        perf_counter=perf_counter, time=real_time.time, monotonic=real_time.monotonic, sleep=real_time.sleep))
    original = server_module.ModelServer.route_request

    def slow_routing(self, *args, **kwargs):
        clock["now"] += 5.0  # routing (and retrieval) before generation: 5 s on the fake clock
        return original(self, *args, **kwargs)

    monkeypatch.setattr(server_module.ModelServer, "route_request", slow_routing)
    client = make_client()
    assert client.post("/v1/chat/completions", json=_chat()).status_code == 200
    metrics = client.get("/metrics").text
    total = next(float(line.split()[-1]) for line in metrics.splitlines()
                 if line.startswith('llm_request_latency_seconds_sum{endpoint="chat.completions"'))
    assert total >= 5.0  # the routing time is in it; generation alone took a few fake ms
    # the log store (what the rollout and A/B latency gates read) counts the same way
    assert client.post("/v1/chat/completions", json=_chat("second question")).status_code == 200
    assert all(row["latency_ms"] >= 5000.0 for row in _rows(store)[-2:])


def test_a_chat_request_logs_its_whole_conversation(make_client, store):
    """The user's text stays the logged prompt; the conversation as sent (system message, earlier turns) is
    logged beside it, also for a failed request, so training data made from the answer keeps the history.
    A completions request has no conversation."""
    client = make_client()
    conversation = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "my printer jams"},
        {"role": "assistant", "content": "Open tray 2."},
        {"role": "user", "content": "still jams, mail me at ann@example.com"},
    ]
    chat = client.post("/v1/chat/completions", json={"model": "support", "messages": conversation})
    failed = client.post(
        "/v1/chat/completions",
        json={"model": "support@challenger", "messages": [*conversation[:3], {"role": "user", "content": "FAIL-NOW"}]},
    )
    plain = client.post("/v1/completions", json={"model": "support", "prompt": "my printer jams"})
    assert (chat.status_code, failed.status_code, plain.status_code) == (200, 500, 200)
    rows = {row["response_id"]: row for row in _rows(store)}
    logged = rows[chat.json()["id"]]
    assert logged["prompt"] == "my printer jams\nstill jams, mail me at <EMAIL>"
    assert json.loads(logged["messages"]) == [*conversation[:3], {"role": "user", "content": "still jams, mail me at <EMAIL>"}]
    [failure] = [row for row in rows.values() if row["status_code"] == 500]
    assert json.loads(failure["messages"])[-1] == {"role": "user", "content": "FAIL-NOW"}
    assert rows[plain.json()["id"]]["messages"] is None


def test_token_counts_are_remembered_for_repeated_texts_and_the_memo_stays_bounded(monkeypatch) -> None:
    """A cache hit counts the same prompt and answer again on every repeat: the counts are remembered, for
    texts up to a length, and the memo is emptied when full."""
    import finetune_platform.serving.server as server_module
    from finetune_platform.serving.server import RegistryBackend

    class Tokenizer:
        calls = 0

        def __call__(self, text, add_special_tokens=True):
            Tokenizer.calls += 1
            return {"input_ids": text.split()}

    backend = RegistryBackend(model=None, tokenizer=Tokenizer(), name="m", version="1")
    monkeypatch.setattr(server_module, "_COUNT_MEMO_SIZE", 2)
    monkeypatch.setattr(server_module, "_COUNT_MEMO_CHARS", 10)
    assert [backend.count_tokens("a b c") for _ in range(3)] == [3, 3, 3] and Tokenizer.calls == 1
    assert backend.count_tokens("one two three four") == 4 and backend.count_tokens("one two three four") == 4
    assert Tokenizer.calls == 3  # longer than the memo keeps: counted each time
    backend.count_tokens("d e")
    backend.count_tokens("f")  # a third short text: the memo (2) is emptied first
    assert len(backend._token_counts) == 1 and backend.count_tokens("a b c") == 3 and Tokenizer.calls == 6


def test_the_developer_role_reaches_the_model_as_its_system_prompt(make_client):
    """Training reads OpenAI's "developer" turns as the system prompt; serving must render them the same."""
    backends = _backends()
    client = make_client(backends=backends)
    turns = [{"role": "developer", "content": "Answer briefly."}, {"role": "user", "content": "where is my parcel"}]
    assert client.post("/v1/chat/completions", json={"model": "support", "messages": turns}).status_code == 200
    as_system = [{"role": "system", "content": "Answer briefly."}, turns[1]]
    assert backends[CHAMPION].calls == [[default_chat_prompt(as_system)]]
    assert "Developer" not in backends[CHAMPION].calls[0][0]


@pytest.mark.parametrize(
    "extra",
    [
        {"top_p": 1}, {"top_p": 1.0}, {"presence_penalty": 0}, {"frequency_penalty": 0.0}, {"logit_bias": {}},
        {"logprobs": False}, {"top_logprobs": 0}, {"response_format": {"type": "text"}}, {"seed": 7},
        {"top_p": 1, "presence_penalty": 0, "frequency_penalty": 0, "logprobs": False, "seed": 1},
    ],
)
def test_parameters_sent_with_their_default_values_are_taken(make_client, extra):
    """What OpenAI clients send by default (langchain-openai sends logprobs=false) changes nothing here."""
    client = make_client()
    plain = client.post("/v1/chat/completions", json=_chat())
    response = client.post("/v1/chat/completions", json=_chat(**extra))
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"] == plain.json()["choices"][0]["message"]


@pytest.mark.parametrize(
    ("endpoint", "extra", "param", "words"),
    [
        ("chat", {"top_p": 0.9}, "top_p", "nucleus sampling is not supported"),
        ("chat", {"presence_penalty": 0.5}, "presence_penalty", "repetition penalties"),
        ("chat", {"logit_bias": {"42": 5}}, "logit_bias", "not supported"),
        ("chat", {"logprobs": True}, "logprobs", "no log probabilities"),
        ("chat", {"top_logprobs": 3}, "top_logprobs", "no log probabilities"),
        ("chat", {"response_format": {"type": "json_object"}}, "response_format", "plain text"),
        ("chat", {"seed": 3, "temperature": 0.8}, "seed", "cannot be made reproducible"),
        ("chat", {"stream_options": {"include_usage": True}}, None, "only allowed when stream is true"),
        ("completions", {"logprobs": 0}, "logprobs", "no log probabilities"),
        ("completions", {"echo": True}, "echo", "never repeats the prompt"),
        ("completions", {"best_of": 2}, "best_of", "one answer per prompt"),
    ],
)
def test_parameters_that_would_change_the_answer_are_refused(make_client, endpoint, extra, param, words):
    client = make_client()
    if endpoint == "chat":
        response = client.post("/v1/chat/completions", json=_chat(**extra))
    else:
        response = client.post("/v1/completions", json={"model": "support", "prompt": "where is my parcel", **extra})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert words in error["message"] and error["param"] == param
    ok = client.post("/v1/completions", json={"model": "support", "prompt": "x", "echo": False, "best_of": 1})
    assert ok.status_code == 200


class _AnsweringBackend(FakeBackend):
    """Answers with :class:`Answer` objects whose token counts differ from a word count of the text."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        super().__init__("support", "1")
        self.answers = answers

    def generate(self, prompts, max_new_tokens, temperature):
        self.calls.append(list(prompts))
        return [self.answers[p] for p in prompts]


def test_finish_reason_and_usage_come_from_the_tokens_the_model_generated(make_client):
    answers = {
        "ended": Answer("a b c d e f", 2, True),  # 2 tokens and end-of-sequence: "stop", whatever the words
        "cut": Answer("a b", 8, False),  # 8 tokens and no end: cut off at max_tokens 8
        "stopped": Answer("first line\nsecond line", 8, False),  # a stop sequence ends it: counted as sent
    }
    client = make_client(backends={CHAMPION: _AnsweringBackend(answers)})

    def complete(prompt: str, **extra: Any) -> dict[str, Any]:
        body = {"model": "support", "prompt": prompt, "max_tokens": 8, **extra}
        return client.post("/v1/completions", json=body).json()

    ended, cut, stopped = complete("ended"), complete("cut"), complete("stopped", stop=["\n"])
    assert (ended["choices"][0]["finish_reason"], ended["usage"]["completion_tokens"]) == ("stop", 2)
    assert (cut["choices"][0]["finish_reason"], cut["usage"]["completion_tokens"]) == ("length", 8)
    assert stopped["choices"][0]["text"] == "first line"
    assert (stopped["choices"][0]["finish_reason"], stopped["usage"]["completion_tokens"]) == ("stop", 2)
    again = complete("cut")  # from the cache: the same counts
    assert again["choices"][0]["finish_reason"] == "length" and again["usage"]["completion_tokens"] == 8


def test_answers_of_ends_each_row_at_its_end_of_sequence_token():
    from finetune_platform.evaluation.generation import answers_of

    class Tokenizer:
        eos_token_id = 2

        def batch_decode(self, rows, skip_special_tokens=True):
            return [" ".join(map(str, row)) for row in rows]

    assert answers_of(Tokenizer(), [[5, 6, 2, 0, 0], [5, 6, 7], [2, 0]]) == [
        Answer("5 6", 2, True), Answer("5 6 7", 3, False), Answer("", 0, True)
    ]


def test_a_real_models_usage_counts_the_tokens_it_generated(tiny_base):
    """Decoding and tokenising again may not give back the generated tokens (a random model's byte pieces
    do not): usage and finish_reason must still match what the model did."""
    from finetune_platform.evaluation.generation import load_causal_lm
    from finetune_platform.serving.server import RegistryBackend

    model, tokenizer = load_causal_lm(tiny_base)
    app = create_app(ServerSettings(cache_enabled=False), {CHAMPION: RegistryBackend(model, tokenizer, "tiny", "1")})
    with TestClient(app) as client:
        for prompt in ("my card was charged twice", "where is my parcel"):
            for max_tokens in (4, 8):
                body = client.post("/v1/completions", json={"model": "tiny", "prompt": prompt, "max_tokens": max_tokens}).json()
                ids = tokenizer([prompt], return_tensors="pt")
                new = model.generate(**ids, max_new_tokens=max_tokens, do_sample=False,
                                     pad_token_id=tokenizer.pad_token_id)[0, ids["input_ids"].shape[1]:].tolist()
                ended = tokenizer.eos_token_id in new
                generated = new.index(tokenizer.eos_token_id) if ended else len(new)
                assert body["usage"]["completion_tokens"] == generated
                assert body["choices"][0]["finish_reason"] == ("stop" if ended else "length")


def test_clients_cannot_add_metric_label_values_with_paths_they_make_up(make_client):
    """Every /v1/models/<id> a client asks for (even without a key) is one series, labelled by the route."""
    client = make_client(api_key=API_KEY)
    for i in range(5):
        assert client.get(f"/v1/models/made-up-{i}").status_code == 401
        assert client.get(f"/v1/nothing-{i}").status_code in (401, 404)
    metrics = client.get("/metrics").text
    assert "made-up" not in metrics and "nothing-" not in metrics
    assert 'endpoint="/v1/models/{model_id}"' in metrics
