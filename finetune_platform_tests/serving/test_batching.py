from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from finetune_platform.serving.batching import BatcherClosedError, DynamicBatcher, GenerationParams

GREEDY = GenerationParams(max_new_tokens=8, temperature=0.0)


class Recorder:
    """A batch function that records its calls and answers ``<prompt>!``; optionally slow or failing."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.calls: list[tuple[list[str], GenerationParams]] = []
        self.delay_s = delay_s
        self.lock = threading.Lock()

    def __call__(self, prompts: list[str], params: GenerationParams) -> list[str]:
        with self.lock:
            self.calls.append((list(prompts), params))
        time.sleep(self.delay_s)
        if any("boom" in p for p in prompts):
            raise RuntimeError("model exploded")
        return [f"{p}!" for p in prompts]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def test_concurrent_requests_share_one_call(recorder):
    sizes: list[int] = []
    batcher = DynamicBatcher(recorder, max_batch_size=8, window_ms=200, on_batch=sizes.append)
    try:
        futures = [batcher.submit(f"p{i}", GREEDY) for i in range(5)]
        assert [f.result(timeout=5) for f in futures] == [f"p{i}!" for i in range(5)]
    finally:
        batcher.close()
    assert len(recorder.calls) == 1
    assert recorder.calls[0][0] == [f"p{i}" for i in range(5)]  # arrival order kept
    assert sizes == [5] and batcher.batch_sizes == [5]


def test_requests_from_many_threads_are_batched_up_to_the_limit():
    recorder = Recorder(delay_s=0.05)
    batcher = DynamicBatcher(recorder, max_batch_size=4, window_ms=50)
    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(lambda i: batcher.submit(f"q{i}", GREEDY).result(timeout=10), range(12)))
    finally:
        batcher.close()
    assert answers == [f"q{i}!" for i in range(12)]
    sizes = [len(prompts) for prompts, _ in recorder.calls]
    assert sum(sizes) == 12 and max(sizes) <= 4
    assert len(sizes) < 12  # at least some requests shared a call


def test_different_parameters_go_to_separate_calls(recorder):
    sampled = GenerationParams(max_new_tokens=8, temperature=0.7)
    batcher = DynamicBatcher(recorder, max_batch_size=8, window_ms=200)
    try:
        futures = [batcher.submit("a", GREEDY), batcher.submit("b", sampled), batcher.submit("c", GREEDY)]
        assert [f.result(timeout=5) for f in futures] == ["a!", "b!", "c!"]
    finally:
        batcher.close()
    assert sorted((tuple(p), params.temperature) for p, params in recorder.calls) == [
        (("a", "c"), 0.0),
        (("b",), 0.7),
    ]


def test_zero_window_does_not_wait_for_company(recorder):
    batcher = DynamicBatcher(recorder, max_batch_size=8, window_ms=0)
    try:
        started = time.perf_counter()
        assert batcher.submit("solo", GREEDY).result(timeout=5) == "solo!"
        assert time.perf_counter() - started < 0.5
    finally:
        batcher.close()


def test_a_failing_request_fails_alone_not_the_requests_batched_with_it(recorder):
    sizes: list[int] = []
    batcher = DynamicBatcher(recorder, max_batch_size=8, window_ms=100, on_batch=sizes.append)
    try:
        futures = [batcher.submit("boom", GREEDY), batcher.submit("fine", GREEDY), batcher.submit("also", GREEDY)]
        with pytest.raises(RuntimeError, match="model exploded"):
            futures[0].result(timeout=5)
        assert [f.result(timeout=5) for f in futures[1:]] == ["fine!", "also!"]
        assert batcher.submit("later", GREEDY).result(timeout=5) == "later!"  # the worker survived
    finally:
        batcher.close()
    # the batch failed, then each request ran on its own: only the bad one failed again
    assert [prompts for prompts, _ in recorder.calls][:4] == [["boom", "fine", "also"], ["boom"], ["fine"], ["also"]]
    assert sizes == [1, 1, 1]


def test_a_failed_batch_is_logged_by_its_exception_type_without_its_message(caplog):
    """A backend's message may quote a prompt: the batcher logs the type only (the server logs it redacted)."""
    def quoting(prompts: list[str], params: GenerationParams) -> list[str]:
        raise ValueError(f"cannot encode input {prompts[0]!r}")

    batcher = DynamicBatcher(quoting, max_batch_size=8, window_ms=10)
    try:
        with caplog.at_level("WARNING", logger="finetune_platform.serving.batching"):
            with pytest.raises(ValueError, match="jane.doe@example.com"):  # the caller still gets the whole error
                batcher.submit("mail jane.doe@example.com", GREEDY).result(timeout=5)
    finally:
        batcher.close()
    assert "batch generate failed for 1 prompts: ValueError" in caplog.text and "jane.doe" not in caplog.text


def test_wrong_number_of_answers_is_an_error():
    batcher = DynamicBatcher(lambda prompts, params: [], max_batch_size=8, window_ms=100)
    try:
        futures = [batcher.submit("a", GREEDY), batcher.submit("b", GREEDY)]
        for future in futures:
            with pytest.raises(RuntimeError, match="returned 0 texts for 1 prompt"):
                future.result(timeout=5)
    finally:
        batcher.close()


def test_close_fails_queued_requests_and_rejects_new_ones():
    release, entered = threading.Event(), threading.Event()

    def blocked(prompts, params):
        entered.set()
        release.wait(5)
        return prompts

    batcher = DynamicBatcher(blocked, max_batch_size=1, window_ms=0)
    running = batcher.submit("first", GREEDY)
    assert entered.wait(5)  # the worker is now inside the first call
    queued = batcher.submit("second", GREEDY)
    closer = threading.Thread(target=batcher.close)
    closer.start()
    time.sleep(0.05)
    release.set()
    closer.join(5)
    assert running.result(timeout=5) == "first"  # the batch in progress finishes
    with pytest.raises(BatcherClosedError):
        queued.result(timeout=5)
    with pytest.raises(BatcherClosedError, match="closed"):
        batcher.submit("third", GREEDY)


def test_cancelled_requests_are_not_generated(recorder):
    release, entered = threading.Event(), threading.Event()

    def slow_then_record(prompts, params):
        entered.set()
        release.wait(5)
        return recorder(prompts, params)

    batcher = DynamicBatcher(slow_then_record, max_batch_size=1, window_ms=0)
    try:
        first = batcher.submit("first", GREEDY)
        assert entered.wait(5)
        cancelled = batcher.submit("cancelled", GREEDY)
        assert cancelled.cancel()
        release.set()
        assert first.result(timeout=5) == "first!"
        assert batcher.submit("after", GREEDY).result(timeout=5) == "after!"
    finally:
        batcher.close()
    assert [p for p, _ in recorder.calls] == [["first"], ["after"]]


def test_blocking_generate_helper(recorder):
    batcher = DynamicBatcher(recorder, max_batch_size=3, window_ms=50)
    try:
        assert batcher.generate(["a", "b", "c", "d"], GREEDY, timeout=5) == ["a!", "b!", "c!", "d!"]
    finally:
        batcher.close()
    assert [len(p) for p, _ in recorder.calls] == [3, 1]


def test_a_trickle_of_requests_fills_one_batch_beyond_the_idle_gap():
    """Requests 50 ms apart for half a second, idle gap 300 ms: each arrival extends the wait, so all ten
    share one call although they span more than one idle gap (a fixed 300 ms wait would have cut them)."""
    recorder = Recorder()
    batcher = DynamicBatcher(recorder, max_batch_size=16, window_ms=5000, idle_ms=300)
    try:
        futures = []
        for i in range(10):
            futures.append(batcher.submit(f"t{i}", GREEDY))
            time.sleep(0.05)  # ten arrivals over at least 0.5 s, more than one idle gap
        assert [f.result(timeout=10) for f in futures] == [f"t{i}!" for i in range(10)]
    finally:
        batcher.close()
    assert [p for p, _ in recorder.calls] == [[f"t{i}" for i in range(10)]]


def test_the_idle_gap_closes_a_batch_long_before_the_window():
    """A lone request does not wait out a long window: after the idle gap its batch goes alone, and a
    request that comes later forms a batch of its own."""
    recorder = Recorder()
    batcher = DynamicBatcher(recorder, max_batch_size=16, window_ms=10_000, idle_ms=20)
    try:
        assert batcher.submit("alone", GREEDY).result(timeout=5) == "alone!"  # well inside the 10 s window
        assert batcher.submit("later", GREEDY).result(timeout=5) == "later!"
    finally:
        batcher.close()
    assert [p for p, _ in recorder.calls] == [["alone"], ["later"]]


def test_a_full_batch_goes_without_waiting_for_the_window():
    recorder = Recorder()
    batcher = DynamicBatcher(recorder, max_batch_size=3, window_ms=10_000, idle_ms=10_000)
    try:
        futures = [batcher.submit(f"f{i}", GREEDY) for i in range(3)]
        assert [f.result(timeout=5) for f in futures] == ["f0!", "f1!", "f2!"]  # full: no 10 s wait
    finally:
        batcher.close()
    assert [len(p) for p, _ in recorder.calls] == [3]


def test_idle_gap_defaults_and_cap():
    batcher = DynamicBatcher(lambda p, q: p, window_ms=50, idle_ms=None)
    capped = DynamicBatcher(lambda p, q: p, window_ms=5, idle_ms=20)
    default = DynamicBatcher(lambda p, q: p)
    try:
        assert batcher.idle_s == batcher.window_s == 0.05  # None: the window alone bounds the wait
        assert capped.idle_s == capped.window_s == 0.005  # the window bounds the whole wait
        assert (default.window_s, default.idle_s) == (0.05, 0.01)
    finally:
        for b in (batcher, capped, default):
            b.close()


def test_invalid_settings():
    with pytest.raises(ValueError, match="max_batch_size must be at least 1"):
        DynamicBatcher(lambda p, q: p, max_batch_size=0)
    with pytest.raises(ValueError, match="window_ms must be >= 0"):
        DynamicBatcher(lambda p, q: p, window_ms=-1)
    with pytest.raises(ValueError, match="idle_ms must be >= 0, got -1"):
        DynamicBatcher(lambda p, q: p, idle_ms=-1)
