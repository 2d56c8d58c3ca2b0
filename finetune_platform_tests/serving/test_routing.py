from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from finetune_platform.monitoring.store import LogStore
from finetune_platform.serving import routing
from finetune_platform.serving.routing import (
    CHALLENGER,
    CHAMPION,
    Router,
    RolloutSettings,
    RolloutStateError,
    StagedRollout,
    VariantHealth,
    check_gates,
    load_state,
    user_bucket,
    variant_health,
)

USERS = [f"user-{i}" for i in range(4000)]
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _challenger_share(router: Router, users: list[str] = USERS) -> float:
    return sum(router.route(u).variant == CHALLENGER for u in users) / len(users)


def test_variant_names_match_the_registry_aliases():
    from finetune_platform.serving import registry

    assert (CHAMPION, CHALLENGER) == (registry.CHAMPION, registry.CHALLENGER)


def test_user_bucket_is_stable_and_uniform():
    assert user_bucket("alice") == user_bucket("alice")
    assert user_bucket("alice") != user_bucket("alice", salt="other")
    buckets = [user_bucket(u) for u in USERS]
    assert all(0.0 <= b < 1.0 for b in buckets)
    for edge in (0.1, 0.5, 0.9):
        assert abs(sum(b < edge for b in buckets) / len(buckets) - edge) < 0.03


@pytest.mark.parametrize("share", [0.0, 0.05, 0.25, 1.0])
def test_share_of_users_on_the_challenger(share):
    router = Router(share)
    assert abs(_challenger_share(router) - share) < 0.02


def test_users_are_sticky_and_raising_the_share_only_moves_users_to_the_challenger():
    router = Router(0.05)
    first = {u: router.route(u).variant for u in USERS}
    assert all(router.route(u).variant == first[u] for u in USERS[:500] for _ in range(3))
    router.set_canary_share(0.25)
    later = {u: router.route(u).variant for u in USERS}
    moved_back = [u for u in USERS if first[u] == CHALLENGER and later[u] == CHAMPION]
    assert moved_back == []
    assert sum(v == CHALLENGER for v in later.values()) > sum(v == CHALLENGER for v in first.values())
    decision = router.route("alice")
    assert decision.reason == "sticky_user" and decision.bucket == user_bucket("alice")


def test_requests_without_user_are_spread_by_share():
    router = Router(0.3, rng=random.Random(7))
    variants = [router.route(None).variant for _ in range(4000)]
    assert abs(variants.count(CHALLENGER) / 4000 - 0.3) < 0.03
    assert router.route("").reason == "random"


def test_kill_switch_sends_everyone_to_the_champion_and_release_restores():
    router = Router(1.0)
    assert _challenger_share(router) == 1.0
    state = router.engage_kill_switch("challenger answers in French")
    assert state.kill_switch and state.canary_share == 1.0 and state.reason == "challenger answers in French"
    assert _challenger_share(router) == 0.0
    assert router.route("alice").reason == "kill_switch"
    router.release_kill_switch()
    assert _challenger_share(router) == 1.0


def test_no_challenger_means_champion_only():
    router = Router(1.0, has_challenger=False)
    assert _challenger_share(router) == 0.0
    assert router.route("alice").reason == "no_challenger"


def test_share_must_be_a_fraction():
    with pytest.raises(ValueError, match="between 0 and 1"):
        Router(5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Router(0.1).set_canary_share(-0.1)


# -- the state file: the CLI's kill switch reaches a running server ----------------------------------------


def test_cli_kill_switch_reaches_a_running_router_through_the_state_file(tmp_path):
    path = tmp_path / "rollout.json"
    server_router = Router(0.5, state_path=path)
    assert load_state(path).canary_share == 0.5  # the initial share was written
    assert 0.4 < _challenger_share(server_router) < 0.6

    routing.engage_kill_switch(path, reason="bad answers")  # what the CLI does, from another process
    assert _challenger_share(server_router) == 0.0
    assert server_router.state.reason == "bad answers"

    routing.release_kill_switch(path)
    routing.set_canary_share(path, 1.0)
    assert _challenger_share(server_router) == 1.0
    assert json.loads(path.read_text())["canary_share"] == 1.0


def test_existing_state_file_wins_over_the_configured_share(tmp_path):
    path = tmp_path / "rollout.json"
    routing.set_canary_share(path, 0.25)
    assert Router(0.9, state_path=path).state.canary_share == 0.25


def test_unreadable_state_file(tmp_path):
    path = tmp_path / "rollout.json"
    router = Router(1.0, state_path=path)
    path.write_text("{not json")
    assert router.route("alice").variant == CHAMPION  # fail-safe while serving
    assert "state file unreadable" in router.state.reason
    with pytest.raises(RolloutStateError, match="cannot read rollout state"):
        Router(state_path=path)  # at start-up the error is loud
    path.write_text(json.dumps({"canary_share": 3}))
    with pytest.raises(RolloutStateError, match="between 0 and 1"):
        load_state(path)
    path.write_text(json.dumps({"canary_share": 0.1, "color": "red"}))
    with pytest.raises(RolloutStateError, match=r"unknown keys \['color'\]"):
        load_state(path)
    for share in ("0.5", True, None):  # loaded, a string failed every routed request later
        path.write_text(json.dumps({"canary_share": share}))
        with pytest.raises(RolloutStateError, match="canary_share must be a number"):
            load_state(path)
    assert router.route("alice").variant == CHAMPION  # fail-safe while serving
    path.write_text(json.dumps({"canary_share": 1}))
    assert load_state(path).canary_share == 1.0 and isinstance(load_state(path).canary_share, float)
    path.write_text(json.dumps({"canary_share": 1.0}))
    assert router.route("alice").variant == CHALLENGER  # a fixed file is picked up again


# -- gates and staged promotion -----------------------------------------------------------------------------


def test_gates():
    settings = RolloutSettings(max_error_rate=0.05, max_latency_p95_ms=500, max_negative_feedback_rate=0.3,
                               min_requests=50, min_feedback=10)
    healthy = VariantHealth(CHALLENGER, requests=100, errors=2, latency_p95_ms=120.0, feedback=20, negative_feedback=3)
    assert check_gates(healthy, settings).passed
    few = VariantHealth(CHALLENGER, requests=10, errors=0, latency_p95_ms=900.0, feedback=0, negative_feedback=0)
    result = check_gates(few, settings)
    assert not result.passed and result.breaches == []  # latency not judged on 10 requests
    assert "10 of 50 challenger requests" in " ".join(result.notes)
    early_errors = VariantHealth(CHALLENGER, requests=5, errors=3, latency_p95_ms=10.0, feedback=0, negative_feedback=0)
    assert check_gates(early_errors, settings).breaches == ["error rate 60.0% (3/5) > 5.0%"]
    slow = VariantHealth(CHALLENGER, requests=60, errors=0, latency_p95_ms=800.0, feedback=0, negative_feedback=0)
    assert check_gates(slow, settings).breaches == ["latency p95 800 ms > 500 ms"]
    disliked = VariantHealth(CHALLENGER, requests=60, errors=0, latency_p95_ms=10.0, feedback=10, negative_feedback=5)
    assert check_gates(disliked, settings).breaches == ["negative feedback 50.0% (5/10) > 30.0%"]
    sparse = VariantHealth(CHALLENGER, requests=60, errors=0, latency_p95_ms=10.0, feedback=3, negative_feedback=3)
    assert check_gates(sparse, settings).passed  # 3 ratings are too few to judge


def test_rollout_settings_validation():
    with pytest.raises(ValidationError, match="strictly increasing"):
        RolloutSettings(stages=[0.25, 0.05, 1.0])
    with pytest.raises(ValidationError, match=r"in \(0, 1\]"):
        RolloutSettings(stages=[0.0, 1.0])
    with pytest.raises(ValidationError, match="at least one"):
        RolloutSettings(stages=[])


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store() -> Iterator[LogStore]:
    log_store = LogStore("sqlite://", redactor=None)
    yield log_store
    log_store.close()


def _traffic(store: LogStore, at: datetime, n: int, *, variant: str = CHALLENGER, errors: int = 0,
             latency_ms: float = 50.0, thumbs_down: int = 0, thumbs_up: int = 0, pinned: bool = False) -> None:
    """``n`` logged requests at ``at`` (+1 s each), the first ``errors`` of them failed; ratings on the rest."""
    ids = []
    for i in range(n):
        failed = i < errors
        ids.append(
            store.log_request(
                prompt=f"q{i}", response="" if failed else "a", model_name="m", model_version="2", variant=variant,
                latency_ms=latency_ms, status_code=500 if failed else 200, error="boom" if failed else None,
                created_at=at + timedelta(seconds=i), pinned=pinned,
            )
        )
    answered = ids[errors:]
    for i, rid in enumerate(answered[: thumbs_down + thumbs_up]):
        store.log_feedback(rid, -1 if i < thumbs_down else 1, created_at=at + timedelta(seconds=n + i))


def test_variant_health_reads_the_log_store(store):
    _traffic(store, T0, 20, errors=2, latency_ms=100.0, thumbs_down=3, thumbs_up=5)
    _traffic(store, T0, 30, variant=CHAMPION, latency_ms=10.0)
    health = variant_health(store, CHALLENGER, T0, T0 + timedelta(hours=1))
    assert (health.requests, health.errors, health.feedback, health.negative_feedback) == (20, 2, 8, 3)
    assert health.error_rate == 0.1 and health.latency_p95_ms == 100.0
    assert health.negative_feedback_rate == 3 / 8
    assert variant_health(store, CHALLENGER, T0 - timedelta(hours=2), T0).requests == 0


def test_pinned_traffic_does_not_count_towards_the_gates(store, tmp_path):
    """A tester hammering ``<model>@challenger`` (errors, thumbs-down) is not the canary's users: the stage
    is judged on routed traffic only, and with too little of it, holds."""
    _traffic(store, T0, 40, errors=30, thumbs_down=10, pinned=True)
    health = variant_health(store, CHALLENGER, T0, T0 + timedelta(hours=1))
    assert (health.requests, health.errors, health.feedback) == (0, 0, 0)
    _traffic(store, T0 + timedelta(minutes=5), 20, errors=1, thumbs_up=5)
    health = variant_health(store, CHALLENGER, T0, T0 + timedelta(hours=1))
    assert (health.requests, health.errors, health.feedback, health.negative_feedback) == (20, 1, 5, 0)
    clock = Clock(T0 - timedelta(minutes=1))
    router = Router(state_path=tmp_path / "rollout.json")
    rollout = StagedRollout(router, store, RolloutSettings(stages=[0.1, 1.0], min_requests=50), clock=clock)
    rollout.start(challenger_version="2")
    clock.now = T0 + timedelta(hours=1)
    decision = rollout.step()
    assert decision.action == "held" and router.state.canary_share == 0.1  # not rolled back by the tester
    assert "20 of 50 challenger requests" in " ".join(decision.reasons)


def test_staged_rollout_advances_through_every_stage(store, tmp_path):
    clock = Clock(T0)
    router = Router(state_path=tmp_path / "rollout.json")
    rollout = StagedRollout(router, store, RolloutSettings(min_requests=20), clock=clock)
    assert rollout.step().action == "not_running"
    started = rollout.start()
    assert (started.action, started.share_after) == ("started", 0.05)
    assert router.state.canary_share == 0.05 and router.state.stage == 0

    clock.now = T0 + timedelta(minutes=10)
    _traffic(store, T0 + timedelta(minutes=1), 5)
    held = rollout.step()
    assert held.action == "held" and router.state.canary_share == 0.05
    assert "5 of 20 challenger requests" in " ".join(held.reasons)

    shares = []
    for stage in range(3):
        _traffic(store, clock.now + timedelta(minutes=1), 25)
        clock.now += timedelta(hours=1)
        decision = rollout.step()
        shares.append((decision.action, decision.share_after))
        if stage < 2:
            assert decision.health is not None and decision.health.requests == (30 if stage == 0 else 25)
    assert shares == [("advanced", 0.25), ("advanced", 1.0), ("completed", 1.0)]
    assert router.state.stage is None and router.state.canary_share == 1.0 and not router.state.kill_switch
    assert "to champion" in router.state.reason and "promote" in router.state.reason


@pytest.mark.parametrize(
    ("traffic", "breach"),
    [
        ({"errors": 10}, "error rate"),
        ({"latency_ms": 5000.0}, "latency p95"),
        ({"thumbs_down": 12, "thumbs_up": 3}, "negative feedback"),
    ],
)
def test_staged_rollout_rolls_back_when_a_threshold_is_crossed(store, traffic, breach):
    clock = Clock(T0)
    router = Router()
    rollout = StagedRollout(router, store, RolloutSettings(min_requests=20), clock=clock)
    rollout.start()
    _traffic(store, T0 + timedelta(minutes=1), 25)
    clock.now = T0 + timedelta(hours=1)
    assert rollout.step().action == "advanced"  # stage 1 (5%) was healthy

    _traffic(store, clock.now + timedelta(minutes=1), 30, **traffic)
    clock.now += timedelta(hours=1)
    decision = rollout.step()
    assert decision.action == "rolled_back" and decision.share_before == 0.25 and decision.share_after == 0.0
    assert any(breach in reason for reason in decision.reasons)
    state = router.state
    assert state.canary_share == 0.0 and state.kill_switch and state.stage is None
    assert state.reason.startswith("rolled back at 25%: ") and breach in state.reason
    assert _challenger_share(router, USERS[:200]) == 0.0
    assert rollout.step().action == "not_running"


def test_many_early_errors_roll_back_before_min_requests(store):
    clock = Clock(T0)
    router = Router()
    rollout = StagedRollout(router, store, RolloutSettings(min_requests=50, max_error_rate=0.05), clock=clock)
    rollout.start()
    _traffic(store, T0 + timedelta(minutes=1), 4, errors=3)  # 3 > 0.05 * 50: the stage cannot pass any more
    clock.now = T0 + timedelta(minutes=10)
    assert rollout.step().action == "rolled_back"
    assert router.state.kill_switch


def test_a_killed_rollout_holds_until_restarted(store):
    clock = Clock(T0)
    router = Router()
    rollout = StagedRollout(router, store, RolloutSettings(min_requests=5), clock=clock)
    rollout.start()
    router.engage_kill_switch("operator")
    _traffic(store, T0 + timedelta(minutes=1), 10)
    clock.now = T0 + timedelta(hours=1)
    decision = rollout.step()
    assert decision.action == "held" and "kill switch is engaged (operator)" in decision.reasons[0]
    assert rollout.start().share_after == 0.05 and not router.state.kill_switch


def test_rollout_state_in_a_file_is_shared_with_another_router(store, tmp_path):
    """A Dagster sensor steps the rollout in its own process; the server's router follows the file."""
    path = tmp_path / "rollout.json"
    server_router = Router(state_path=path)
    clock = Clock(T0)
    StagedRollout(Router(state_path=path), store, RolloutSettings(min_requests=5), clock=clock).start()
    assert server_router.state.canary_share == 0.05
    _traffic(store, T0 + timedelta(minutes=1), 10, errors=10)
    clock.now = T0 + timedelta(hours=1)
    StagedRollout(Router(state_path=path), store, RolloutSettings(min_requests=5), clock=clock).step()
    assert server_router.route("anyone").reason == "kill_switch"


def test_state_path_parent_is_created(tmp_path: Path):
    path = tmp_path / "nested" / "deeper" / "rollout.json"
    routing.engage_kill_switch(path)
    assert load_state(path).kill_switch


def test_a_rollout_walks_the_stages_it_was_started_with_in_every_later_process(store, tmp_path):
    """`rollout start --stages 0.1,0.5,1.0`, then the sensor steps it with default settings, in another process."""
    path = tmp_path / "rollout.json"
    clock = Clock(T0)
    StagedRollout(Router(state_path=path), store, RolloutSettings(stages=[0.1, 0.5, 1.0], min_requests=5), clock=clock).start()
    assert load_state(path).stages == [0.1, 0.5, 1.0] and load_state(path).canary_share == 0.1
    shares = []
    for _ in range(3):
        _traffic(store, clock.now + timedelta(minutes=1), 10)
        clock.now += timedelta(hours=1)
        sensor = StagedRollout(Router(state_path=path), store, RolloutSettings(min_requests=5), clock=clock)
        decision = sensor.step()
        shares.append((decision.action, decision.share_after))
    assert shares == [("advanced", 0.5), ("advanced", 1.0), ("completed", 1.0)]


def test_a_state_file_with_bad_stages_is_refused(tmp_path: Path):
    path = tmp_path / "rollout.json"
    path.write_text('{"canary_share": 0.1, "stage": 0, "stages": [0.5, 0.1]}')
    with pytest.raises(RolloutStateError, match="not valid rollout stages"):
        load_state(path)
    path.write_text('{"canary_share": 0.1, "stage": 0}')  # a file written before stages were kept
    assert load_state(path).stages is None


def test_only_the_recorded_challenger_versions_traffic_is_judged(store, tmp_path):
    clock = Clock(T0)
    router = Router(state_path=tmp_path / "rollout.json")
    rollout = StagedRollout(router, store, RolloutSettings(min_requests=20), clock=clock)
    rollout.start(challenger_version="2")
    assert load_state(tmp_path / "rollout.json").challenger_version == "2"
    _traffic(store, T0 + timedelta(minutes=2), 25)  # 25 requests answered by version "2" (what _traffic logs)
    clock.now = T0 + timedelta(hours=1)
    assert variant_health(store, CHALLENGER, T0, clock.now, model_version="2").requests == 25
    assert variant_health(store, CHALLENGER, T0, clock.now, model_version="3").requests == 0
    assert rollout.step().action == "advanced"


def test_a_version_the_rollout_did_not_judge_answering_the_canary_rolls_it_back(store, tmp_path):
    """A retrain moves the challenger alias mid-rollout and a restarted server answers with the new version:
    no gate has judged it, so it is taken off the traffic (it held for data before, serving it meanwhile)."""
    clock = Clock(T0)
    router = Router(state_path=tmp_path / "rollout.json")
    rollout = StagedRollout(router, store, RolloutSettings(min_requests=20), clock=clock)
    rollout.start(challenger_version="3")
    for i in range(5):  # version 4's requests, as the challenger variant
        store.log_request(prompt=f"q{i}", response="a", model_name="m", model_version="4", variant=CHALLENGER,
                          latency_ms=10.0, status_code=200, error=None, created_at=T0 + timedelta(minutes=1, seconds=i))
    clock.now = T0 + timedelta(hours=1)
    decision = rollout.step()
    assert decision.action == "rolled_back" and decision.share_after == 0.0
    assert "version(s) 4, not version 3 under rollout" in decision.reasons[0]
    assert router.state.kill_switch and router.state.stage is None


def test_a_pinned_request_answered_by_another_version_does_not_roll_back(store, tmp_path):
    """A tester pinning ``<model>@challenger`` on a server that already loaded a newer challenger answers
    with that version, but routes no user to it: the rollout it is not part of goes on."""
    clock = Clock(T0)
    router = Router(state_path=tmp_path / "rollout.json")
    rollout = StagedRollout(router, store, RolloutSettings(min_requests=5), clock=clock)
    rollout.start(challenger_version="2")
    _traffic(store, T0 + timedelta(minutes=1), 10)  # version 2, routed
    store.log_request(prompt="q", response="a", model_name="m", model_version="3", variant=CHALLENGER,
                      latency_ms=10.0, status_code=200, error=None, created_at=T0 + timedelta(minutes=2), pinned=True)
    clock.now = T0 + timedelta(hours=1)
    decision = rollout.step()
    assert decision.action == "advanced" and not router.state.kill_switch


def test_a_completed_rollout_promotes_the_version_it_judged():
    from finetune_platform.serving.routing import version_to_promote

    assert version_to_promote("3", "3") == ("3", "version 3 passed the rollout and is promoted")
    version, why = version_to_promote("3", "4")  # a retrain moved the alias during the rollout
    assert version == "3" and "moved to version 4" in why
    assert version_to_promote(None, "4")[0] == "4"  # a state file from before versions were recorded
    assert version_to_promote(None, None)[0] is None


class _Aliases:
    """The registry's aliases, as promote_completed_rollout reads and moves them."""

    def __init__(self, **aliases: int) -> None:
        self.aliases = dict(aliases)

    def get_by_alias(self, alias: str):
        from types import SimpleNamespace

        return SimpleNamespace(version=self.aliases[alias]) if alias in self.aliases else None

    def set_alias(self, version: int, alias: str) -> None:
        self.aliases[alias] = version


def test_a_completed_rollout_does_not_demote_a_champion_promoted_during_it(store, tmp_path):
    """The rollout of v3 started against champion v2; registered_model then promoted a better v4. The rollout
    compared v3 with v2 only, so completing it must not put v3 over v4."""
    from finetune_platform.serving.routing import promote_completed_rollout

    clock = Clock(T0)
    router = Router(state_path=tmp_path / "rollout.json")
    StagedRollout(router, store, RolloutSettings(stages=[1.0]), clock=clock).start(challenger_version="3", champion_version="2")
    assert load_state(tmp_path / "rollout.json").champion_version == "2"
    moved = _Aliases(champion=4, challenger=4)
    why = promote_completed_rollout(moved, router.state.challenger_version, router.state.champion_version)
    assert moved.aliases["champion"] == 4 and "champion is now v4" in why and "not promoted" in why
    unchanged = _Aliases(champion=2, challenger=3)
    assert "is promoted" in promote_completed_rollout(unchanged, "3", "2") and unchanged.aliases["champion"] == 3
    already = _Aliases(champion=3, challenger=3)  # registered_model promoted v3 itself meanwhile
    promote_completed_rollout(already, "3", "2")
    assert already.aliases["champion"] == 3
    older_state = _Aliases(champion=4, challenger=3)  # a state file from before the champion was recorded
    promote_completed_rollout(older_state, "3", None)
    assert older_state.aliases["champion"] == 3


def test_a_share_stays_with_the_version_it_was_given_to(store, tmp_path):
    """After a completed rollout the share (100%) belongs to the version it judged: a server restarted with a
    newer challenger (a nightly retrain moved the alias) sends that one no one until it is rolled out."""
    path = tmp_path / "rollout.json"
    clock = Clock(T0)
    rollout = StagedRollout(Router(state_path=path), store, RolloutSettings(stages=[1.0], min_requests=20), clock=clock)
    rollout.start(challenger_version="2")
    _traffic(store, T0 + timedelta(minutes=1), 25)  # answered by version 2
    clock.now = T0 + timedelta(hours=1)
    assert rollout.step().action == "completed" and load_state(path).canary_share == 1.0

    judged = Router(state_path=path, challenger_version="2")  # a server that has not restarted yet
    assert _challenger_share(judged) == 1.0
    restarted = Router(state_path=path, challenger_version="3")
    assert {restarted.route(u).reason for u in USERS[:50]} == {"not_rolled_out"}
    assert _challenger_share(restarted) == 0.0 and restarted.route(None).variant == CHAMPION

    StagedRollout(Router(state_path=path), store, RolloutSettings(min_requests=20), clock=clock).start(
        challenger_version="3"
    )
    assert 0.0 < _challenger_share(restarted) < 0.2  # its own rollout's first stage (5%)
    # a state without a version (an operator's share from an older release) applies to any challenger
    assert _challenger_share(Router(0.5, challenger_version="9"), USERS) == pytest.approx(0.5, abs=0.05)


def test_an_operators_share_ends_the_staged_rollout(store, tmp_path):
    """Pausing the canary (share 0 from the CLI or /admin/canary) must not be undone by the next step."""
    path = tmp_path / "rollout.json"
    clock = Clock(T0)
    rollout = StagedRollout(Router(state_path=path), store, RolloutSettings(min_requests=20), clock=clock)
    rollout.start(challenger_version="2")
    routing.set_canary_share(path, 0.0, "paused by the on-call")
    state = load_state(path)
    assert (state.canary_share, state.stage, state.stage_started_at) == (0.0, None, None)
    _traffic(store, T0 + timedelta(minutes=1), 25)
    clock.now = T0 + timedelta(hours=1)
    decision = rollout.step()
    assert decision.action == "not_running" and load_state(path).canary_share == 0.0
    assert routing.set_canary_share(path, 0.3, challenger_version=4).challenger_version == "4"


def test_a_rollout_of_the_champion_itself_is_refused(tmp_path):
    with pytest.raises(ValueError, match="already the champion"):
        routing.apply_deployment_action(
            tmp_path / "rollout.json", "start_rollout", challenger_version=5, champion_version=5
        )
    assert not (tmp_path / "rollout.json").exists()
    _, started = routing.apply_deployment_action(
        tmp_path / "rollout.json", "start_rollout", challenger_version=6, champion_version=5
    )
    assert started.challenger_version == "6" and started.stage == 0


def test_a_held_stage_says_when_its_version_answers_no_one(store):
    clock = Clock(T0)
    rollout = StagedRollout(Router(), store, RolloutSettings(min_requests=20), clock=clock)
    rollout.start(challenger_version="2")
    clock.now = T0 + timedelta(hours=1)
    held = rollout.step()
    assert held.action == "held" and "answered by version 2" in " ".join(held.reasons)


def test_a_version_written_as_a_number_in_the_state_file_is_the_registrys_version(tmp_path):
    path = tmp_path / "rollout.json"
    path.write_text(json.dumps({"canary_share": 1.0, "challenger_version": 3}))
    assert load_state(path).challenger_version == "3"
    assert _challenger_share(Router(state_path=path, challenger_version="3")) == 1.0


def test_a_completed_rollout_is_promoted_on_a_later_step_when_the_registry_was_down(store, tmp_path):
    from finetune_platform.serving.routing import promote_pending_rollout

    class DownRegistry(_Aliases):
        def set_alias(self, version: int, alias: str) -> None:
            raise ConnectionError("registry unreachable")

    clock = Clock(T0)
    router = Router(state_path=tmp_path / "rollout.json")
    rollout = StagedRollout(router, store, RolloutSettings(stages=[1.0], min_requests=20), clock=clock)
    rollout.start(challenger_version="2", champion_version="1")
    _traffic(store, T0 + timedelta(minutes=1), 25)
    clock.now = T0 + timedelta(hours=1)
    assert rollout.step().action == "completed" and router.state.pending_promotion
    with pytest.raises(ConnectionError):
        promote_pending_rollout(router, DownRegistry(champion=1, challenger=2))
    assert load_state(tmp_path / "rollout.json").pending_promotion  # kept for the next step
    assert rollout.step().action == "not_running"
    registry = _Aliases(champion=1, challenger=2)
    assert "is promoted" in promote_pending_rollout(router, registry)
    assert registry.aliases["champion"] == 2 and not router.state.pending_promotion
    assert promote_pending_rollout(router, registry) is None  # once
    # an operator's rollback before the promotion went through cancels it
    registry.aliases["champion"] = 1
    rollout.start(challenger_version="2", champion_version="1")  # (the traffic helper logs version 2)
    _traffic(store, clock.now + timedelta(minutes=1), 25)
    clock.now += timedelta(hours=1)
    assert rollout.step().action == "completed"
    router.rollback("changed my mind")
    assert promote_pending_rollout(router, registry) is None and registry.aliases["champion"] == 1


def test_a_write_by_another_process_right_after_ours_is_seen(tmp_path, monkeypatch):
    """The CLI engages the kill switch just after the server wrote a canary share: the server must not take
    the CLI's file for its own (it used to stat the file after writing it, so it missed the change)."""
    import os as os_module

    from finetune_platform.serving import routing
    from finetune_platform.serving.routing import RolloutState

    path = tmp_path / "rollout.json"
    router = Router(state_path=path)
    real_replace, done = os_module.replace, []

    def replace_then_another_process_writes(src, dst):
        real_replace(src, dst)
        if not done:
            done.append(True)
            routing.save_state(dst, RolloutState(canary_share=1.0, kill_switch=True, reason="CLI: emergency"))

    monkeypatch.setattr(routing.os, "replace", replace_then_another_process_writes)
    router.set_canary_share(1.0, "canary to everyone")
    monkeypatch.undo()
    assert router.state.kill_switch and router.route("alice").variant == CHAMPION


def test_read_change_write_holds_the_state_files_lock(tmp_path):
    """Two processes changing the file at once (the server's canary change, the CLI's kill switch): the
    second waits for the first's lock and re-reads, so neither change is lost."""
    import fcntl
    import threading
    import time

    from finetune_platform.serving.routing import RolloutState, save_state

    path = tmp_path / "rollout.json"
    router = Router(state_path=path)
    holder = open(path.with_name(path.name + ".lock"), "a")  # another process's lock (its own open file)
    fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
    changer = threading.Thread(target=lambda: router.set_canary_share(0.5, "server"), daemon=True)
    try:
        changer.start()
        time.sleep(0.2)
        assert changer.is_alive()  # waiting for the lock, not writing over the other process
        save_state(path, RolloutState(kill_switch=True, reason="CLI: emergency"))
    finally:
        fcntl.flock(holder.fileno(), fcntl.LOCK_UN)
        holder.close()
    changer.join(timeout=10)
    state = load_state(path)
    assert state.kill_switch and state.canary_share == 0.5
