"""Response cache: repeated greedy requests are answered without running the model again.

Only deterministic requests are cached: greedy decoding (temperature 0) gives the same text for the same
model, prompt and parameters, while a sampled answer must differ between calls. The key names the model
*version* as well as the variant, so a newly loaded model never serves its predecessor's answers.

The LRU bookkeeping is ``cachetools.LRUCache`` (already installed with MLflow); it is not thread-safe, so
every access holds one lock (the server calls the cache from the event loop and from worker threads).
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any
from dataclasses import dataclass

from cachetools import LRUCache


@dataclass(frozen=True)
class CacheKey:
    """What makes two requests answerable by the same text.

    The prompt is kept as its SHA-256 digest: a key is then small and fixed-size however long the prompt,
    and the cache holds no prompt text (which may contain personal data) beyond the answer itself.
    """

    variant: str
    model_name: str
    model_version: str
    prompt_sha256: str
    max_new_tokens: int


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    size: int
    max_entries: int

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class ResponseCache:
    """A thread-safe LRU map from :class:`CacheKey` to generated text.

    ``max_entries=0`` or ``enabled=False`` turns caching off: :meth:`key` then returns None for every
    request, so callers need no special case.
    """

    def __init__(self, max_entries: int, enabled: bool = True) -> None:
        if max_entries < 0:
            raise ValueError(f"max_entries must be >= 0 (0 turns the cache off), got {max_entries}")
        self.max_entries = max_entries
        self.enabled = enabled and max_entries > 0
        self._entries: LRUCache[CacheKey, Any] = LRUCache(maxsize=max(max_entries, 1))
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def key(
        self,
        *,
        variant: str,
        model_name: str,
        model_version: str,
        prompt: str,
        max_new_tokens: int,
        temperature: float,
    ) -> CacheKey | None:
        """The key of a request, or None when it must not be cached (sampling, or the cache is off)."""
        if not self.enabled or temperature != 0:
            return None
        digest = hashlib.sha256(prompt.encode("utf-8")).hexdigest()
        return CacheKey(variant, model_name, str(model_version), digest, int(max_new_tokens))

    def get(self, key: CacheKey | None) -> Any:
        """The cached text (and a hit is counted), or None (a miss is counted for a real key)."""
        if key is None:
            return None
        with self._lock:
            text = self._entries.get(key)
            if text is None:
                self._misses += 1
            else:
                self._hits += 1
            return text

    def put(self, key: CacheKey | None, text: Any) -> None:
        """Store ``text`` under ``key`` (no-op for None), evicting the least recently used entry if full."""
        if key is None:
            return
        with self._lock:
            self._entries[key] = text

    def clear(self) -> None:
        """Forget every entry (e.g. after a model reload); the hit/miss counts are kept."""
        with self._lock:
            self._entries.clear()

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._entries), self.max_entries)
