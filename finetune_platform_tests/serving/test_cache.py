from __future__ import annotations

import threading

import pytest

from finetune_platform.serving.cache import ResponseCache


def _key(cache: ResponseCache, prompt: str = "hello", **overrides):
    args = dict(variant="champion", model_name="m", model_version="1", prompt=prompt, max_new_tokens=16, temperature=0.0)
    args.update(overrides)
    return cache.key(**args)


def test_greedy_requests_hit_after_first_answer():
    cache = ResponseCache(max_entries=4)
    key = _key(cache)
    assert cache.get(key) is None
    cache.put(key, "answer")
    assert cache.get(_key(cache)) == "answer"  # an equal key built anew
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.size) == (1, 1, 1)
    assert stats.hit_rate == 0.5


def test_sampled_requests_and_disabled_cache_have_no_key():
    assert _key(ResponseCache(4), temperature=0.7) is None
    assert _key(ResponseCache(0)) is None
    off = ResponseCache(4, enabled=False)
    assert _key(off) is None
    off.put(None, "ignored")
    assert off.get(None) is None
    assert off.stats().misses == 0  # a request that cannot be cached is not a miss


@pytest.mark.parametrize(
    "change",
    [
        {"variant": "challenger"},
        {"model_version": "2"},
        {"model_name": "other"},
        {"prompt": "hello!"},
        {"max_new_tokens": 17},
    ],
)
def test_every_part_of_the_key_matters(change):
    cache = ResponseCache(4)
    cache.put(_key(cache), "answer")
    assert cache.get(_key(cache, **change)) is None


def test_least_recently_used_entry_is_evicted():
    cache = ResponseCache(max_entries=2)
    a, b, c = (_key(cache, p) for p in ("a", "b", "c"))
    cache.put(a, "A")
    cache.put(b, "B")
    assert cache.get(a) == "A"  # a is now more recent than b
    cache.put(c, "C")
    assert cache.get(b) is None
    assert (cache.get(a), cache.get(c)) == ("A", "C")
    assert cache.stats().size == 2


def test_key_holds_a_digest_not_the_prompt():
    cache = ResponseCache(4)
    key = _key(cache, "my email is jane@example.com")
    assert "jane" not in repr(key) and len(key.prompt_sha256) == 64


def test_clear_and_bad_size():
    cache = ResponseCache(2)
    cache.put(_key(cache), "x")
    cache.clear()
    assert cache.get(_key(cache)) is None
    with pytest.raises(ValueError, match="max_entries must be >= 0"):
        ResponseCache(-1)


def test_concurrent_use_keeps_counts_exact():
    cache = ResponseCache(max_entries=1000)
    keys = [_key(cache, str(i)) for i in range(50)]
    for key in keys:
        cache.put(key, "v")

    def reader() -> None:
        for key in keys * 20:
            assert cache.get(key) == "v"

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.stats().hits == 4 * 50 * 20
