"""Champion / challenger routing: canary share, sticky users, kill switch, staged promotion.

- :func:`user_bucket` hashes a user id to a number in [0, 1); a user goes to the challenger when the bucket
  is below the canary share. The same user therefore always sees the same variant, and raising the share
  (5% -> 25% -> 100%) only moves users from champion to challenger, never back and forth.
- :class:`Router` holds the live :class:`RolloutState` (share, kill switch). With a ``state_path`` the state
  is a small JSON file, re-read whenever it changes on disk: the CLI, a Dagster sensor or another server
  process can flip the kill switch or change the share, and the running server follows from its next
  request on, without a restart.
- :class:`StagedRollout` walks the share through stages, each gated by thresholds computed from the log
  store (error rate, latency p95, negative-feedback rate), and rolls back (share 0 + kill switch) as soon as
  a threshold is crossed.

Nothing here needs HTTP; the server only calls :meth:`Router.route`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import random
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, model_validator

if TYPE_CHECKING:
    from finetune_platform.monitoring.store import LogStore

logger = logging.getLogger(__name__)

#: Variant names; equal to the registry aliases (``serving.registry.CHAMPION`` / ``CHALLENGER``), kept
#: here so that routing imports neither MLflow nor torch.
CHAMPION = "champion"
CHALLENGER = "challenger"
VARIANTS: tuple[str, ...] = (CHAMPION, CHALLENGER)

#: Default salt of the user hash. Changing it reshuffles which users are in the canary.
DEFAULT_SALT = "canary-v1"


class RolloutStateError(ValueError):
    """The rollout state file cannot be read or holds invalid values."""


def user_bucket(user: str, salt: str = DEFAULT_SALT) -> float:
    """A stable number in [0, 1) for ``user``: the first 8 bytes of SHA-256(salt:user) over 2**64.

    SHA-256 rather than Python's ``hash()``: that one is salted per process, so a user would switch
    variants whenever the server restarts.
    """
    digest = hashlib.sha256(f"{salt}:{user}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _check_share(share: float) -> float:
    share = float(share)
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"canary share must be between 0 and 1 (0.05 = 5% of users), got {share}")
    return share


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RolloutState:
    """Where the rollout stands. Serialised as JSON in the state file.

    ``stage`` is the index into the staged rollout's shares while one is in progress, else None;
    ``stage_started_at`` is when that stage began (ISO 8601, UTC): its gates look at traffic since then;
    ``stages`` are the shares the rollout was started with, so every later step (the sensor's, the CLI's)
    walks the same ones (None in a state file written before they were kept: the default stages);
    ``challenger_version`` is the registry version under rollout.
    """

    canary_share: float = 0.0
    kill_switch: bool = False
    reason: str = ""
    stage: int | None = None
    stage_started_at: str | None = None
    updated_at: str = field(default_factory=lambda: _now().isoformat())
    stages: list[float] | None = None
    #: The registry version the rollout judges (the challenger when it started): only its traffic counts,
    #: and it is the version a completed rollout promotes, even if a retrain moved the alias meanwhile.
    challenger_version: str | None = None
    #: The champion when the rollout started: the version the challenger's traffic was compared with. A
    #: completed rollout promotes only while it is still the champion (None in older state files).
    champion_version: str | None = None
    #: A rollout completed and its version is not promoted yet: each later step (the sensor's, the CLI's)
    #: tries again until the registry takes it (:func:`promote_pending_rollout`). An operator's share,
    #: rollback, kill switch or new rollout cancels it.
    pending_promotion: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "rollout state") -> "RolloutState":
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RolloutStateError(f"{source}: unknown keys {unknown}; expected some of {sorted(known)}")
        for key in ("challenger_version", "champion_version"):
            if data.get(key) is not None:  # a hand-written 3 is the registry's "3"
                data = {**data, key: str(data[key])}
        share = data.get("canary_share", 0.0)
        if isinstance(share, bool) or not isinstance(share, (int, float)):
            # a string "0.5" would load and then fail every routed request: refused here, so the server
            # falls back to champion-only as for any unreadable state file
            raise RolloutStateError(f"{source}: canary_share must be a number between 0 and 1, got {share!r}")
        try:
            state = cls(**{**data, "canary_share": _check_share(share)})
        except (TypeError, ValueError) as error:
            raise RolloutStateError(f"{source}: {error}") from error
        if not isinstance(state.kill_switch, bool):
            raise RolloutStateError(f"{source}: kill_switch must be true or false, got {state.kill_switch!r}")
        if state.stages is not None:
            try:
                RolloutSettings(stages=state.stages)
            except ValueError as error:  # pydantic's ValidationError is a ValueError
                raise RolloutStateError(f"{source}: stages {state.stages!r} are not valid rollout stages: {error}") from error
        return state


def load_state(path: Path | str) -> RolloutState:
    """The state in ``path`` (a missing file is the default state: share 0, no kill switch)."""
    path = Path(path)
    if not path.exists():
        return RolloutState()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise RolloutStateError(
            f"cannot read rollout state {path}: {error}; fix or delete the file (deleting it resets to share 0)"
        ) from error
    if not isinstance(data, dict):
        raise RolloutStateError(f"rollout state {path} must hold a JSON object, got {type(data).__name__}")
    return RolloutState.from_dict(data, source=str(path))


def save_state(path: Path | str, state: RolloutState) -> tuple[int, int, int]:
    """Write ``state`` atomically (temporary file + rename): a reader never sees half a file. Returns the
    written file's signature (inode, mtime, size) as :meth:`Router._signature` reads it, taken before the
    rename: a file another process puts there right after has another one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".rollout-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state.to_dict(), handle, indent=2)
            handle.flush()
            written = os.fstat(handle.fileno())
        os.replace(tmp, path)
        return written.st_ino, written.st_mtime_ns, written.st_size
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class RouteDecision:
    """Which variant answers a request, and why (for logs and tests)."""

    variant: str
    reason: Literal["kill_switch", "no_challenger", "not_rolled_out", "sticky_user", "random"]
    bucket: float | None = None


class Router:
    """Chooses champion or challenger per request from the live :class:`RolloutState`.

    Args:
        canary_share: the initial share when there is no state file yet (or no ``state_path``).
        has_challenger: False when no challenger is loaded: everything goes to the champion.
        challenger_version: the registry version of the loaded challenger (a server knows it). When the state
            names another version (``RolloutState.challenger_version``: the one a rollout or an operator's
            share was given to), the share is not this challenger's, and everything goes to the champion: a
            challenger the registry moved to later (a nightly retrain) gets users only through a rollout or
            share of its own, never by inheriting one. None: the share applies to whatever challenger is loaded.
        state_path: a JSON file shared with other processes (CLI, Dagster). When it exists it wins over
            ``canary_share``; every change made through this router is written to it.
        salt: salt of :func:`user_bucket`.
        rng: source of randomness for requests without a user id (spread by share, not sticky).
    """

    def __init__(
        self,
        canary_share: float = 0.0,
        *,
        has_challenger: bool = True,
        challenger_version: str | None = None,
        state_path: Path | str | None = None,
        salt: str = DEFAULT_SALT,
        rng: random.Random | None = None,
    ) -> None:
        self.has_challenger = has_challenger
        self.challenger_version = None if challenger_version is None else str(challenger_version)
        self.state_path = Path(state_path) if state_path is not None else None
        self.salt = salt
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._state = RolloutState(canary_share=_check_share(canary_share))
        if self.state_path is not None:
            if self.state_path.exists():
                seen = self._signature()  # before reading: a write in between is seen as a change later
                self._state = load_state(self.state_path)  # a broken file at start-up is an error, loudly
                self._seen = seen
            else:
                with self._file_lock():
                    self._write(self._state)

    # -- state ---------------------------------------------------------------------------------------

    def _signature(self) -> tuple[int, int, int] | None:
        """Identifies one version of the state file: writes replace the file, so the inode changes even
        when two writes fall into the same mtime tick."""
        assert self.state_path is not None
        try:
            stat = self.state_path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def _write(self, state: RolloutState) -> None:
        self._state = state
        if self.state_path is not None:
            self._seen = save_state(self.state_path, state)

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Hold the state file's lock (``<state file>.lock``, ``flock``) across processes: a server's canary
        change and the CLI's kill switch each read, change and write the file, and without it one of the
        two writes is lost."""
        if self.state_path is None:
            yield
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.state_path.with_name(self.state_path.name + ".lock"), "a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    @property
    def state(self) -> RolloutState:
        """The current state, re-read from the state file when it changed on disk.

        An unreadable file while serving engages the kill switch in memory (champion only) and logs the
        error: the champion is the known-good model, so that is the safe side; the file is re-read as soon
        as it changes again.
        """
        with self._lock:
            return self._refreshed()

    def _refreshed(self) -> RolloutState:
        """The state after re-reading a changed file; the caller holds ``self._lock``."""
        if self.state_path is None:
            return self._state
        signature = self._signature()
        if signature != self._seen:
            self._seen = signature
            try:
                self._state = load_state(self.state_path)
            except RolloutStateError as error:
                logger.error("%s; serving the champion only until the file is fixed", error)
                self._state = replace(self._state, kill_switch=True, reason=f"state file unreadable: {error}")
        return self._state

    def update(self, **changes: Any) -> RolloutState:
        """Apply ``changes`` to the state (and write the state file); returns the new state."""
        if "canary_share" in changes:
            changes["canary_share"] = _check_share(changes["canary_share"])
        with self._lock, self._file_lock():  # re-read under the lock: another process's write is kept
            new = replace(self._refreshed(), **changes, updated_at=_now().isoformat())
            self._write(new)
        logger.info(
            "rollout state: canary_share=%.3f kill_switch=%s stage=%s reason=%r",
            new.canary_share, new.kill_switch, new.stage, new.reason,
        )
        return new

    def set_canary_share(self, share: float, reason: str = "", challenger_version: str | None = None) -> RolloutState:
        """An operator's share: it ends a staged rollout in progress (a later step must not undo it) and is
        given to ``challenger_version`` (None: whatever challenger is loaded)."""
        return self.update(
            canary_share=share, stage=None, stage_started_at=None, pending_promotion=False,
            challenger_version=None if challenger_version is None else str(challenger_version),
            reason=reason or f"canary share set to {share:g}",
        )  # fmt: skip

    def engage_kill_switch(self, reason: str = "kill switch engaged") -> RolloutState:
        """All traffic to the champion from the next request on; the share is kept for a later release."""
        return self.update(kill_switch=True, pending_promotion=False, reason=reason)

    def release_kill_switch(self, reason: str = "kill switch released") -> RolloutState:
        return self.update(kill_switch=False, reason=reason)

    def rollback(self, reason: str) -> RolloutState:
        """Share 0 and kill switch on, staged rollout ended: what a crossed threshold does."""
        return self.update(
            canary_share=0.0, kill_switch=True, stage=None, stage_started_at=None, pending_promotion=False, reason=reason
        )

    # -- routing -------------------------------------------------------------------------------------

    def route(self, user: str | None) -> RouteDecision:
        """The variant for one request from ``user`` (the OpenAI ``user`` field; None or "" if absent)."""
        state = self.state
        if state.kill_switch:
            return RouteDecision(CHAMPION, "kill_switch")
        if not self.has_challenger:
            return RouteDecision(CHAMPION, "no_challenger")
        if (
            state.challenger_version is not None
            and self.challenger_version is not None
            and state.challenger_version != self.challenger_version
        ):
            return RouteDecision(CHAMPION, "not_rolled_out")
        if user:
            bucket = user_bucket(user, self.salt)
            return RouteDecision(CHALLENGER if bucket < state.canary_share else CHAMPION, "sticky_user", bucket)
        with self._lock:
            draw = self._rng.random()
        return RouteDecision(CHALLENGER if draw < state.canary_share else CHAMPION, "random", draw)


# -- functions for the CLI (another process than the server) ----------------------------------------------


def engage_kill_switch(state_path: Path | str, reason: str = "kill switch engaged from the CLI") -> RolloutState:
    """Engage the kill switch in the state file that a running server watches (``ServerSettings.
    rollout_state_path``): every request after this one goes to the champion; no restart needed."""
    return Router(state_path=state_path).engage_kill_switch(reason)


def release_kill_switch(state_path: Path | str, reason: str = "kill switch released from the CLI") -> RolloutState:
    return Router(state_path=state_path).release_kill_switch(reason)


def set_canary_share(
    state_path: Path | str, share: float, reason: str = "", challenger_version: str | None = None
) -> RolloutState:
    """Set the share a running server follows (ending any staged rollout), for ``challenger_version``."""
    return Router(state_path=state_path).set_canary_share(share, reason, challenger_version)


#: What the ``deployment`` asset can do to the rollout state (``record`` changes nothing).
DEPLOYMENT_ACTIONS: tuple[str, ...] = ("record", "start_rollout", "set_canary", "kill_switch_on", "kill_switch_off", "rollback")


def apply_deployment_action(
    state_path: Path | str,
    action: str,
    *,
    canary_share: float | None = None,
    reason: str = "",
    has_challenger: bool = True,
    rollout_settings: "RolloutSettings | None" = None,
    challenger_version: str | None = None,
    champion_version: str | None = None,
) -> tuple[RolloutState, RolloutState]:
    """Apply one operator action to the rollout state file a running server follows; (before, after).

    ``set_canary`` needs ``canary_share`` (and a challenger when it is above 0); no other action takes
    one. ``start_rollout`` begins a staged rollout at its first share (``canary_rollout_sensor`` then
    moves it stage by stage); ``rollback`` is share 0 with the kill switch on. Raises ValueError saying
    what is wrong, before anything changes.
    """
    if action not in DEPLOYMENT_ACTIONS:
        raise ValueError(f"unknown deployment action {action!r}; choose one of {list(DEPLOYMENT_ACTIONS)}")
    if (action == "set_canary") != (canary_share is not None):
        raise ValueError(
            "set_canary needs canary_share (0..1)" if action == "set_canary"
            else f"canary_share is only for set_canary, not {action!r}; leave it out"
        )
    if not has_challenger and (action == "start_rollout" or (action == "set_canary" and (canary_share or 0) > 0)):
        raise ValueError(f"{action}: no challenger is registered, so no traffic can go to one; register a model first")
    if action == "start_rollout":
        check_rollout_candidate(challenger_version, champion_version)
    if action == "record":  # read only: a missing file stays missing (it reads as the default state)
        state = load_state(state_path)
        return state, state
    router = Router(state_path=state_path)
    before = router.state
    why = reason or f"{action.replace('_', ' ')} (deployment asset)"
    if action == "start_rollout":
        stages = list((rollout_settings or RolloutSettings()).stages)
        after = router.update(
            canary_share=stages[0], kill_switch=False, stage=0, stage_started_at=_now().isoformat(), stages=stages,
            challenger_version=None if challenger_version is None else str(challenger_version),
            champion_version=None if champion_version is None else str(champion_version),
            pending_promotion=False,
            reason=reason or f"staged rollout started at {stages[0]:.0%} (deployment asset)",
        )
    elif action == "set_canary":
        assert canary_share is not None
        after = router.set_canary_share(canary_share, why, challenger_version)
    elif action == "kill_switch_on":
        after = router.engage_kill_switch(why)
    elif action == "kill_switch_off":
        after = router.release_kill_switch(why)
    else:
        after = router.rollback(why)
    return before, after


def check_rollout_candidate(challenger_version: str | None, champion_version: str | None) -> None:
    """Raise ValueError when a rollout of ``challenger_version`` cannot send anyone to a new model: the
    challenger alias points at the champion's own version (the last rollout promoted it), so servers load
    no challenger and every stage would wait for traffic that never comes."""
    if challenger_version is not None and champion_version is not None and str(challenger_version) == str(champion_version):
        raise ValueError(
            f"the challenger alias points at version {challenger_version}, which is already the champion; there is "
            "nothing to roll out until a new model is registered as challenger (the registered_model asset does this)"
        )


def request_kill_switch(
    base_url: str,
    api_key: str | None = None,
    *,
    engaged: bool = True,
    reason: str = "kill switch engaged from the CLI",
    timeout_s: float = 10.0,
) -> dict[str, Any]:
    """Flip the kill switch of a running server through its admin endpoint (``POST /admin/kill-switch``);
    returns the server's new rollout state. For servers started without a shared state file."""
    import httpx

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    response = httpx.post(
        f"{base_url.rstrip('/')}/admin/kill-switch",
        json={"engaged": engaged, "reason": reason},
        headers=headers,
        timeout=timeout_s,
    )
    if response.status_code != 200:
        raise RuntimeError(
            f"the server at {base_url} refused the kill switch request: HTTP {response.status_code} {response.text[:300]}"
        )
    return response.json()


# -- staged promotion ---------------------------------------------------------------------------------------


class RolloutSettings(BaseModel):
    """Stages and gates of a staged challenger rollout."""

    stages: list[float] = Field(
        default_factory=lambda: [0.05, 0.25, 1.0],
        description="Canary shares, one per stage, strictly increasing, each in (0, 1].",
    )
    max_error_rate: float = Field(
        0.05, ge=0.0, le=1.0, description="Highest share of challenger requests that may fail (HTTP 5xx)."
    )
    max_latency_p95_ms: float = Field(
        2000.0, gt=0.0, description="Highest 95th-percentile challenger latency, in milliseconds."
    )
    max_negative_feedback_rate: float = Field(
        0.3, ge=0.0, le=1.0, description="Highest share of thumbs-down among the challenger's rated answers."
    )
    min_requests: int = Field(
        50, ge=1, description="Challenger requests a stage needs before its gates are judged and it can advance."
    )
    min_feedback: int = Field(
        10, ge=1, description="Ratings needed before the negative-feedback gate is judged (below it, it is skipped)."
    )

    @model_validator(mode="after")
    def _stages_increase(self) -> "RolloutSettings":
        if not self.stages:
            raise ValueError("stages is empty; give at least one canary share, e.g. [0.05, 0.25, 1.0]")
        if any(not 0.0 < s <= 1.0 for s in self.stages):
            raise ValueError(f"every stage share must be in (0, 1]; got {self.stages}")
        if any(b <= a for a, b in zip(self.stages, self.stages[1:])):
            raise ValueError(f"stages must be strictly increasing; got {self.stages}")
        return self


@dataclass(frozen=True)
class VariantHealth:
    """One variant's traffic in a time window, from the log store."""

    variant: str
    requests: int
    errors: int
    latency_p95_ms: float | None
    feedback: int
    negative_feedback: int

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None

    @property
    def negative_feedback_rate(self) -> float | None:
        return self.negative_feedback / self.feedback if self.feedback else None

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "error_rate": self.error_rate,
            "negative_feedback_rate": self.negative_feedback_rate,
        }


def version_to_promote(recorded: str | None, current_challenger: str | None) -> tuple[str | None, str]:
    """Which registry version a completed rollout makes champion, and a sentence saying why: the version
    the rollout recorded when it started (its traffic was judged), even when a retrain has moved the
    challenger alias since; for a rollout that recorded none (a state file from before versions were
    kept), the current challenger."""
    if recorded is not None:
        if current_challenger is not None and str(current_challenger) != str(recorded):
            return str(recorded), (
                f"version {recorded} passed the rollout and is promoted; the challenger alias moved to version "
                f"{current_challenger} during it, which has not been rolled out"
            )
        return str(recorded), f"version {recorded} passed the rollout and is promoted"
    if current_challenger is None:
        return None, "the rollout recorded no version and no challenger is registered: nothing to promote"
    return str(current_challenger), (
        f"the rollout recorded no version (an older state file); promoting the current challenger, version "
        f"{current_challenger}"
    )


def promote_completed_rollout(
    registry: Any, recorded_version: str | None, recorded_champion: str | None = None
) -> str:
    """Make the version a completed rollout judged the registry's champion (:func:`version_to_promote`);
    returns the sentence saying what was promoted. ``registry`` is a ``serving.registry.ModelRegistry``
    (or anything with its ``get_by_alias`` / ``set_alias``). Shared by ``canary_rollout_sensor`` and
    ``finetune-platform rollout step``: whichever step completes the rollout promotes, since the next step
    finds no rollout running.

    ``recorded_champion`` is the champion when the rollout started, what the challenger was compared with:
    when the champion alias has moved to another version since (``registered_model`` promoted a better
    model), the rollout judged nothing against that one, and nothing is promoted."""
    challenger = registry.get_by_alias(CHALLENGER)
    version, why = version_to_promote(recorded_version, challenger.version if challenger is not None else None)
    if version is None:
        return why
    champion = registry.get_by_alias(CHAMPION)
    now = None if champion is None else str(champion.version)
    if recorded_champion is not None and now not in (str(recorded_champion), str(version)):
        return (
            f"version {version} passed the rollout against champion v{recorded_champion}, but the champion is "
            f"now v{now}, which the rollout did not compare it with: not promoted; start a rollout against v{now}"
        )
    registry.set_alias(int(version), CHAMPION)
    return why


def promote_pending_rollout(router: "Router", registry: Any) -> str | None:
    """Promote the rollout that completed and waits for it (``pending_promotion``); the sentence saying what
    happened, or None when none waits. The flag is cleared only after the registry took the change, so a
    registry that is down fails this step and the next one tries again."""
    state = router.state
    if not state.pending_promotion:
        return None
    why = promote_completed_rollout(registry, state.challenger_version, state.champion_version)
    router.update(pending_promotion=False)
    return why


def other_versions_served(
    store: "LogStore", variant: str, start: datetime, end: datetime, model_version: str
) -> list[str]:
    """The model versions other than ``model_version`` that answered ``variant``'s routed requests in
    [start, end). A pinned request (``<model>@challenger``: a tester trying a version the server loaded
    before the rollout names it) is left out, as :func:`variant_health` leaves it out: it says nothing
    about what the rollout served its users."""
    requests = store.requests_between(start, end)
    routed = (requests["variant"] == variant) & ~requests["pinned"].astype(bool)
    served = requests.loc[routed, "model_version"].astype(str)
    return sorted(set(served) - {str(model_version)})


def variant_health(
    store: "LogStore", variant: str, start: datetime, end: datetime, model_version: str | None = None
) -> VariantHealth:
    """Requests (errors = HTTP status >= 500), latency p95 and ratings of ``variant`` in [start, end); with
    ``model_version``, only the requests that version answered (and their ratings).

    Only routed traffic counts: a request whose client pinned the variant (``<model>@challenger``: a tester,
    an integration trying the new model) is not a random share of the users, and neither its errors nor its
    ratings say how the variant serves them."""
    requests = store.requests_between(start, end)
    requests = requests[(requests["variant"] == variant) & ~requests["pinned"]]
    feedback = store.feedback_between(start, end)
    feedback = feedback[(feedback["variant"] == variant) & ~feedback["pinned"]]
    if model_version is not None:
        requests = requests[requests["model_version"].astype(str) == str(model_version)]
        feedback = feedback[feedback["model_version"].astype(str) == str(model_version)]
    p95 = float(requests["latency_ms"].quantile(0.95)) if len(requests) else None
    return VariantHealth(
        variant=variant,
        requests=len(requests),
        errors=int((requests["status_code"] >= 500).sum()),
        latency_p95_ms=p95,
        feedback=len(feedback),
        negative_feedback=int((feedback["rating"] < 0).sum()),
    )


@dataclass(frozen=True)
class GateResult:
    """The gates of one stage: crossed thresholds (``breaches``), and whether there was enough traffic."""

    breaches: list[str]
    enough_data: bool
    notes: list[str]

    @property
    def passed(self) -> bool:
        return self.enough_data and not self.breaches


def check_gates(health: VariantHealth, settings: RolloutSettings) -> GateResult:
    """Compare ``health`` with the thresholds.

    Latency is judged once ``min_requests`` requests are in. The error gate is judged then too, and
    earlier when the errors already exceed ``max_error_rate * min_requests``: the stage would fail its
    gate whatever the remaining requests do, so there is no reason to keep sending users to it. The
    feedback gate needs ``min_feedback`` ratings; with fewer it is skipped (ratings are sparse) and noted.
    """
    breaches: list[str] = []
    notes: list[str] = []
    enough = health.requests >= settings.min_requests
    error_budget = settings.max_error_rate * settings.min_requests
    if (enough or health.errors > error_budget) and health.error_rate is not None:
        if health.error_rate > settings.max_error_rate:
            breaches.append(
                f"error rate {health.error_rate:.1%} ({health.errors}/{health.requests}) > {settings.max_error_rate:.1%}"
            )
    if enough and health.latency_p95_ms is not None and health.latency_p95_ms > settings.max_latency_p95_ms:
        breaches.append(f"latency p95 {health.latency_p95_ms:.0f} ms > {settings.max_latency_p95_ms:.0f} ms")
    if health.feedback >= settings.min_feedback:
        rate = health.negative_feedback_rate or 0.0
        if rate > settings.max_negative_feedback_rate:
            breaches.append(
                f"negative feedback {rate:.1%} ({health.negative_feedback}/{health.feedback}) > "
                f"{settings.max_negative_feedback_rate:.1%}"
            )
    else:
        notes.append(f"negative-feedback gate skipped: {health.feedback} of {settings.min_feedback} ratings needed")
    if not enough:
        notes.append(f"{health.requests} of {settings.min_requests} challenger requests needed to judge this stage")
    return GateResult(breaches, enough, notes)


RolloutAction = Literal["started", "advanced", "held", "rolled_back", "completed", "not_running"]


@dataclass(frozen=True)
class RolloutDecision:
    """What one :meth:`StagedRollout.step` (or ``start``) did, and the numbers it decided on."""

    action: RolloutAction
    share_before: float
    share_after: float
    stage_before: int | None
    stage_after: int | None
    reasons: list[str]
    health: VariantHealth | None = None

    def summary(self) -> str:
        return (
            f"{self.action}: canary share {self.share_before:g} -> {self.share_after:g}"
            + (f" ({'; '.join(self.reasons)})" if self.reasons else "")
        )


class StagedRollout:
    """Moves the challenger through ``settings.stages``, one gated stage per :meth:`step`.

    Call :meth:`start` once, then :meth:`step` periodically (a Dagster schedule or sensor, or the CLI).
    Each step judges the challenger's traffic since the current stage began: a crossed threshold rolls
    back at once; too little traffic holds; passing gates advance to the next share, and passing the last
    stage completes (the challenger then serves all users; promoting it to champion in the registry is
    the caller's decision). The state keeps the version it judged, so the last share stays with that
    version: a server restarted with a newer challenger sends that one no one (:meth:`Router.route`). The
    state lives in the router (and its state file), so steps may run in a different process from the server.
    """

    def __init__(
        self,
        router: Router,
        store: "LogStore",
        settings: RolloutSettings | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.router = router
        self.store = store
        self.settings = settings or RolloutSettings()
        self.clock = clock

    def start(self, challenger_version: str | None = None, champion_version: str | None = None) -> RolloutDecision:
        """Begin at the first stage: share ``stages[0]``, kill switch released. ``challenger_version`` (the
        registry version behind the challenger alias now) is recorded: only its traffic is judged, and it
        is the version a completed rollout promotes, while ``champion_version`` (the champion now) still is
        the champion."""
        before = self.router.state
        first = self.settings.stages[0]
        after = self.router.update(
            canary_share=first,
            kill_switch=False,
            stage=0,
            stage_started_at=self.clock().isoformat(),
            stages=list(self.settings.stages),
            challenger_version=None if challenger_version is None else str(challenger_version),
            champion_version=None if champion_version is None else str(champion_version),
            pending_promotion=False,
            reason=f"staged rollout started at {first:.0%} (stages {', '.join(f'{s:.0%}' for s in self.settings.stages)})",
        )
        return RolloutDecision("started", before.canary_share, after.canary_share, before.stage, 0, [after.reason])

    def step(self) -> RolloutDecision:
        """Judge the current stage and advance, hold, roll back or complete."""
        state = self.router.state
        if state.stage is None or state.stage_started_at is None:
            reason = "no staged rollout in progress; call start() first" + (
                f" (last state change: {state.reason})" if state.reason else ""
            )
            return RolloutDecision("not_running", state.canary_share, state.canary_share, None, None, [reason])
        if state.kill_switch:
            reason = f"kill switch is engaged ({state.reason}); release it or start a new rollout"
            return RolloutDecision("held", state.canary_share, state.canary_share, state.stage, state.stage, [reason])
        # The shares the rollout started with (the state keeps them); the settings' only for an older state file.
        stages = state.stages if state.stages is not None else self.settings.stages
        if not 0 <= state.stage < len(stages):
            raise RolloutStateError(
                f"rollout stage {state.stage} does not exist in stages {stages}; start the rollout again"
            )
        now = self.clock()
        share = state.canary_share
        since = datetime.fromisoformat(state.stage_started_at)
        if state.challenger_version is not None:
            others = other_versions_served(self.store, CHALLENGER, since, now, state.challenger_version)
            if others:
                # The challenger alias moved and the servers answer with a version no gate has judged, at
                # this stage's share: take it off the traffic rather than wait for data that never comes.
                reason = (
                    f"rolled back at {share:.0%}: the challenger traffic is answered by version(s) "
                    f"{', '.join(others)}, not version {state.challenger_version} under rollout (the challenger "
                    "alias moved); start a new rollout for the new version"
                )
                self.router.rollback(reason)
                return RolloutDecision("rolled_back", share, 0.0, state.stage, None, [reason])
        health = variant_health(self.store, CHALLENGER, since, now, state.challenger_version)
        gates = check_gates(health, self.settings)
        if gates.breaches:
            reason = f"rolled back at {share:.0%}: " + "; ".join(gates.breaches)
            self.router.rollback(reason)
            return RolloutDecision("rolled_back", share, 0.0, state.stage, None, gates.breaches, health)
        if not gates.enough_data:
            notes = list(gates.notes)
            if health.requests == 0 and state.challenger_version is not None:
                notes.append(
                    f"no challenger request was answered by version {state.challenger_version} yet: a server "
                    "loaded with another challenger (the alias moved and it restarted) sends no one to it; start a "
                    "new rollout for the challenger it serves"
                )
            return RolloutDecision("held", share, share, state.stage, state.stage, notes, health)
        last = len(stages) - 1
        if state.stage == last:
            target = f"version {state.challenger_version}" if state.challenger_version else "the challenger"
            reason = f"all stages passed at {share:.0%}; promote {target} to champion"
            self.router.update(stage=None, stage_started_at=None, pending_promotion=True, reason=reason)
            return RolloutDecision("completed", share, share, state.stage, None, [reason, *gates.notes], health)
        nxt = stages[state.stage + 1]
        reason = f"stage {state.stage + 1} passed at {share:.0%}; advancing to {nxt:.0%}"
        self.router.update(canary_share=nxt, stage=state.stage + 1, stage_started_at=now.isoformat(), reason=reason)
        return RolloutDecision("advanced", share, nxt, state.stage, state.stage + 1, [reason, *gates.notes], health)
