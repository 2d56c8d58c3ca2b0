"""The PII stage's detection spread over worker processes (``CurationSettings.pii_workers``).

Detection (``PiiRedactor._scan``) is most of curation's time, a pure function of one text, and CPU-bound
Python that one process runs on one core. With ``pii_workers > 1`` the PII stage hands each block of
records' distinct texts to a pool of processes first, in chunks, and fills its memo with their matches;
the record loop then only substitutes placeholders and relates the fields of a record, as it does
serially. The output is the same as with one process (the tests compare them): every verdict a worker
returns is the one ``_scan`` returns here.

The pool is made once per process and settings, from a ``forkserver`` context whose server imports this
package once: each worker then starts in milliseconds, without re-importing pandas and the name lists
(~1.5 s), and without ``fork``ing a process that may run threads (Dagster, torch). A block with fewer
texts than ``MIN_TEXTS`` is scanned here, where a pool would cost more than it saves. When the pool
cannot start or a worker dies, the texts are scanned here instead, with a warning, and nothing is lost.

Hand-written rather than a library (joblib, ray): the standard library's ``ProcessPoolExecutor`` does
the work; what is ours is only which texts to send and how to keep the pool warm.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pii imports this module; the worker side imports pii lazily
    from finetune_platform.curation.pii import PiiMatch, PiiRedactor

log = logging.getLogger(__name__)

#: Fewest texts of a block worth sending to the pool (a round trip of a chunk costs ~1 ms; a text ~0.2 ms).
MIN_TEXTS = 1_000
#: Texts per task: large enough that pickling and queueing are small next to scanning, small enough that
#: the last tasks of a block keep every worker busy.
CHUNK = 128
#: Distinct texts scanned together before their records' loop runs (bounds memory; below the memo's size).
BLOCK_TEXTS = 50_000

_Key = tuple[tuple[str, ...], tuple[str, ...]]
_lock = threading.Lock()
_batches = itertools.count()
_pools: dict[int, ProcessPoolExecutor] = {}


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. a container's limit), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def resolve_workers(workers: int) -> int:
    """``workers`` as a count: 0 means one per available core."""
    return available_cores() if workers == 0 else workers


# --- worker side -----------------------------------------------------------------------------------------
_redactors: dict[_Key, "PiiRedactor"] = {}
_phones: dict = {}  # libphonenumber's verdicts, for one batch (stage call) at a time, as the caller's memo
_batch: list[int] = [-1]


def _scan_chunk(key: _Key, batch: int, texts: list[str]) -> list[tuple[list["PiiMatch"], bool]]:
    """In a worker: ``_scan`` of each text. The redactor of each settings lives as long as the pool; the phone
    memo only as long as one stage call's ``batch``, like the caller's, so a second call pays in full too."""
    redactor = _redactors.get(key)
    if redactor is None:
        from finetune_platform.curation.pii import PiiRedactor

        redactor = _redactors[key] = PiiRedactor(types=list(key[0]), phone_regions=list(key[1]))
    if batch != _batch[0] or len(_phones) > 200_000:
        _phones.clear()
        _batch[0] = batch
    return [redactor._scan(text, _phones) for text in texts]


# --- caller side -----------------------------------------------------------------------------------------
def _pool(workers: int) -> ProcessPoolExecutor:
    with _lock:
        pool = _pools.get(workers)
        if pool is None:
            ctx = multiprocessing.get_context("forkserver")
            # The server imports the detectors once; every worker forks from it with them loaded.
            ctx.set_forkserver_preload(["finetune_platform.curation.pii"])
            pool = _pools[workers] = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        return pool


def _discard(workers: int) -> None:
    with _lock:
        pool = _pools.pop(workers, None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def shutdown_pools() -> None:
    """Stop every pool this process started (also run at exit)."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


def new_batch() -> int:
    """A number for one stage call's texts: the workers' phone memo lasts while it is the same."""
    return next(_batches)


def scan_in_workers(
    redactor: "PiiRedactor", texts: list[str], workers: int, batch: int | None = None
) -> list[tuple[list["PiiMatch"], bool]] | None:
    """``redactor._scan`` of every text, computed by ``workers`` processes, in order; None (after a warning)
    when the pool cannot be used, so the caller scans them itself. Calls with the same ``batch``
    (:func:`new_batch`) share the workers' phone memo; without one, each call is a batch of its own."""
    key: _Key = (tuple(sorted(redactor.types)), tuple(redactor.phone_regions))
    batch = new_batch() if batch is None else batch
    chunks = [texts[i : i + CHUNK] for i in range(0, len(texts), CHUNK)]
    try:
        pool = _pool(workers)
        out: list[tuple[list[PiiMatch], bool]] = []
        for part in pool.map(_scan_chunk, [key] * len(chunks), [batch] * len(chunks), chunks):
            out += part
        return out
    except (BrokenProcessPool, OSError) as exc:
        _discard(workers)
        log.warning(
            "PII stage: the pool of %d worker processes failed (%s: %s); scanning %d texts in this process instead.",
            workers, type(exc).__name__, exc, len(texts),
        )
        return None

