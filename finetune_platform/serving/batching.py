"""Dynamic batching: concurrent requests to one model share a single batched generate call.

A language model answers a batch of prompts in little more time than one prompt (the weights are read
once per decoding step for the whole batch), so a server under concurrent load answers more requests per
second when it groups them. :class:`DynamicBatcher` keeps a queue and one worker thread: the worker takes
the first waiting request and collects more while they keep coming: the batch closes when it holds
``max_batch_size`` requests, when none has arrived for ``idle_ms``, or ``window_ms`` after its first
request, whichever comes first. It then calls the batch function once per group of requests with the same
generation parameters. Each caller gets a ``concurrent.futures.Future`` that the worker resolves with its
own answer.

Why an idle gap as well as a window: requests from concurrent clients rarely arrive at once. They trickle
in a millisecond or two apart (each passes through HTTP parsing and validation on one event loop), so a
fixed window either cuts a burst in two (too short: the model then runs two small batches, costing nearly
twice one full batch) or makes a lone request wait for company that never comes (too long). Waiting for
the next arrival, up to a short gap, follows the burst while it lasts and gives up quickly when nothing
follows; ``window_ms`` bounds what the first request of a batch can wait in any case.

Hand-written because the libraries that do this (Ray Serve's ``@serve.batch``, Triton, vLLM's scheduler)
bring a whole serving runtime; this needs a queue, a thread and futures, about a hundred lines. One worker
per model also serialises access to the model, which PyTorch modules need anyway.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerationParams:
    """Parameters that must be equal for requests to share a batch call."""

    max_new_tokens: int
    temperature: float


#: ``(prompts, params) -> one text per prompt, in order``.
BatchFunction = Callable[[list[str], GenerationParams], list[str]]


@dataclass
class _Request:
    prompt: str
    params: GenerationParams
    future: Future[str] = field(default_factory=Future)


class BatcherClosedError(RuntimeError):
    """A request was submitted to, or still waiting in, a batcher that has been closed."""


class DynamicBatcher:
    """Groups requests that arrive close together into batches of at most ``max_batch_size``.

    Args:
        generate_batch: called from the worker thread with the prompts of one group and their shared
            :class:`GenerationParams`; must return one text per prompt. An exception fails every request
            of that group (and only that group); the worker keeps running.
        max_batch_size: most prompts per call (1 turns batching off).
        window_ms: the longest the worker waits, after the first request of a batch, for more to arrive.
            0 still batches whatever is already queued, without waiting.
        idle_ms: the batch also closes once no request has arrived for this long (None, or anything above
            ``window_ms``: only the window bounds the wait).
        on_batch: called with each call's batch size after it returns (metrics).
        name: names the worker thread (e.g. the variant).
    """

    def __init__(
        self,
        generate_batch: BatchFunction,
        max_batch_size: int = 8,
        window_ms: float = 50.0,
        idle_ms: float | None = 10.0,
        on_batch: Callable[[int], None] | None = None,
        name: str = "model",
    ) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
        if window_ms < 0:
            raise ValueError(f"window_ms must be >= 0, got {window_ms}")
        if idle_ms is not None and idle_ms < 0:
            raise ValueError(f"idle_ms must be >= 0, got {idle_ms}")
        self._generate_batch = generate_batch
        self.max_batch_size = max_batch_size
        self.window_s = window_ms / 1000.0
        self.idle_s = self.window_s if idle_ms is None else min(idle_ms, window_ms) / 1000.0
        self._on_batch = on_batch
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._closed = threading.Event()
        self._submit_lock = threading.Lock()
        #: Size of every batch call so far, in order (for tests and benchmarks; bounded by ``history``).
        self.batch_sizes: list[int] = []
        self.history = 10_000
        self._worker = threading.Thread(target=self._run, name=f"batcher-{name}", daemon=True)
        self._worker.start()

    def submit(self, prompt: str, params: GenerationParams) -> Future[str]:
        """Queue one prompt; the future resolves to its text (or the batch function's exception)."""
        request = _Request(prompt, params)
        with self._submit_lock:  # no request may slip in behind close()'s sentinel
            if self._closed.is_set():
                raise BatcherClosedError("the batcher is closed (the server is shutting down); retry on a new server")
            self._queue.put(request)
        return request.future

    def generate(self, prompts: list[str], params: GenerationParams, timeout: float | None = None) -> list[str]:
        """Submit several prompts and wait for all of them (a blocking convenience for callers in threads)."""
        futures = [self.submit(p, params) for p in prompts]
        return [f.result(timeout=timeout) for f in futures]

    def close(self, timeout: float = 30.0) -> None:
        """Stop accepting requests, finish the batch in progress, fail anything still queued."""
        with self._submit_lock:
            if self._closed.is_set():
                return
            self._closed.set()
            self._queue.put(None)
        self._worker.join(timeout)
        while True:
            try:
                request = self._queue.get_nowait()
            except queue.Empty:
                break
            if request is not None and not request.future.done():
                request.future.set_exception(BatcherClosedError("the batcher closed before this request ran"))

    # -- worker ------------------------------------------------------------------------------------

    def _collect(self, first: _Request) -> tuple[list[_Request], bool]:
        """``first`` plus what arrives while requests keep coming (each within ``idle_s`` of the one
        before, all within ``window_s`` of ``first``), up to ``max_batch_size``; and whether the close
        sentinel was seen. Requests already queued are always taken, without waiting."""
        batch = [first]
        now = time.monotonic()
        window_end = now + self.window_s
        idle_end = now + self.idle_s
        while len(batch) < self.max_batch_size:
            remaining = min(window_end, idle_end) - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
            idle_end = time.monotonic() + self.idle_s
        return batch, False

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            if self._closed.is_set():  # closing: what is still queued is failed by close(), not run
                if not first.future.done():
                    first.future.set_exception(BatcherClosedError("the batcher closed before this request ran"))
                return
            batch, stop = self._collect(first)
            groups: dict[GenerationParams, list[_Request]] = {}
            for request in batch:
                groups.setdefault(request.params, []).append(request)
            for params, requests in groups.items():
                self._call(params, requests)

    def _call(self, params: GenerationParams, requests: list[_Request]) -> None:
        # A future can be cancelled while queued (its caller gave up); such a request is not generated.
        live = [r for r in requests if r.future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            texts = self._generate_batch([r.prompt for r in live], params)
            if len(texts) != len(live):
                raise RuntimeError(
                    f"the batch generate function returned {len(texts)} texts for {len(live)} prompts; it must "
                    "return exactly one text per prompt, in order"
                )
        except BaseException as error:  # noqa: BLE001 - handed to the callers, not swallowed
            # The callers get the exception (with its traceback) and decide how to report it; its message is
            # not logged here: a backend's message may quote a prompt (the server logs it redacted).
            logger.warning("batch generate failed for %d prompts: %s", len(live), type(error).__name__)
            if not isinstance(error, Exception):
                for request in live:
                    request.future.set_exception(error)
                raise
            if len(live) == 1:
                live[0].future.set_exception(error)
                return
            # One bad prompt must not fail the others batched with it by chance: each is generated on its own,
            # and only those that fail alone get an error.
            for request in live:
                self._call_one(params, request)
            return
        self._record(len(live))
        for request, text in zip(live, texts, strict=True):
            request.future.set_result(text)

    def _call_one(self, params: GenerationParams, request: _Request) -> None:
        """Generate one request of a failed batch on its own (its future is running already)."""
        try:
            texts = self._generate_batch([request.prompt], params)
            if len(texts) != 1:
                raise RuntimeError(
                    f"the batch generate function returned {len(texts)} texts for 1 prompt; it must return exactly "
                    "one text per prompt, in order"
                )
        except Exception as error:  # noqa: BLE001 - this caller's own error
            request.future.set_exception(error)
            return
        self._record(1)
        request.future.set_result(texts[0])

    def _record(self, size: int) -> None:
        """Keep a generated batch's size (``batch_sizes``, the ``on_batch`` hook)."""
        self.batch_sizes.append(size)
        if len(self.batch_sizes) > self.history:
            del self.batch_sizes[: -self.history]
        if self._on_batch is not None:
            try:
                self._on_batch(size)
            except Exception:  # a broken metrics hook must not strand the callers: logged, answers still go out
                logger.exception("on_batch callback failed for a batch of %d", size)
