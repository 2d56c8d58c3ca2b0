"""Stage 4 of curation: exact and near-duplicate removal.

Exact duplicates share text+response after casefolding, whitespace collapsing, placeholder unification
(``<EMAIL_1>`` and ``<EMAIL_2>`` both become ``<EMAIL>``: two tickets that differ only in a redacted
address are the same ticket), NFKC and dropping punctuation (:func:`exact_key`, as the training set's
split compares tickets). Near-duplicates are pairs whose sets of word shingles (``shingle_words``-grams
of the text, the text/response boundary and the response) have a Jaccard similarity of at least
``near_dup_threshold``. Each group keeps its best member (highest ``quality_score``, ties: lowest
``record_id`` in natural order, "#9" before "#10"), and every dropped row names the record it duplicates. Near-duplicate clusters are stars,
not connected components: going through the records best first, a record is dropped only when it is a
near-duplicate (at or above the threshold) of a record already kept, and joins the best such record's
cluster; otherwise it is kept. Single linkage chained records one word apart into one component and
dropped members with a Jaccard of 0.10 to the record kept. A record without a response (a ticket to classify)
is never a near-duplicate of one with a response (a reply to learn): two tasks, as their exact keys say too.

Two ways to find the near-duplicate pairs (``near_dup_method``), both returning the same exact Jaccard:
``exact``, an exact similarity join (prefix filtering with a positional filter, the AllPairs/PPJoin
algorithms of Bayardo et al. 2007 and Xiao et al. 2008, vectorised with numpy; hand-written because no
maintained package does this join fast), which finds every pair; and ``minhash_lsh`` (the default),
MinHash LSH tuned for ``lsh_candidate_threshold`` (below ``near_dup_threshold``) to propose candidates,
each verified on its exact shingle sets. MinHash LSH tuned at the threshold itself (128 permutations, 0.8)
missed 39% of the demo corpus's pairs; tuned at 0.6 it found all 280 of 280 (3,000 tickets, 2,822 records
after exact dedup). The MinHashes and LSH buckets are datasketch's (its affine32 permutations, its
optimal bands and rows for the threshold), computed with numpy over the whole batch instead of one
datasketch object and dictionary insert per record: the same candidates at about a tenth of the time
(on the benchmark's 2,500 records ~0.03 s instead of ~0.35 s; tests compare both).
Shingles are compared through 64-bit hashes of their bytes (a collision between two shingles, about one
in 2^64 a pair, is the only way the exact sets can err).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, Iterator, Literal

import numpy as np
import pandas as pd
from datasketch import MinHash, MinHashLSH

from finetune_platform.curation.config import (
    CurationSettings,
    StageResult,
    check_input,
    cyclic_gc_paused,
    finish_stage,
    text_column,
)

STAGE = "dedup"
_PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*?)_\d+>")
_EXCERPT_CHARS = 100
#: Candidate pairs generated at a time (bounds memory when a large cluster shares its rare shingles).
_PAIR_CHUNK = 1_000_000
#: Tolerance of the float comparisons against the threshold (t * n is not exact in binary).
_EPS = 1e-9
#: Shingles MinHashed at a time (a block of num_perm x this many uint32 values).
_MINHASH_CHUNK = 4096


def dedup_key(text: str, response: str) -> str:
    """The text+response that exact deduplication compares: casefolded, whitespace collapsed, placeholders
    unified. The two fields are joined with a separator no text contains, so ("a b", "") != ("a", "b")."""
    return f"{_dedup_norm(text)}\x1f{_dedup_norm(response)}"


#: Punctuation that makes no difference to "the same ticket" ("refund please!" is "refund please"): each mark
#: becomes a space, so a mark inside a number or a word still separates ("$5.00" is not "$500"). "<" and ">"
#: stay, they delimit placeholders. The training set's split and leakage checks compare prompts with it too.
PUNCTUATION = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;=?@[\\]^_`{|}~¡¿«»‘’‚“”„…–—·•"})


def exact_key(key: str) -> str:
    """What exact deduplication groups by: a :func:`dedup_key` in Unicode NFKC with its punctuation dropped
    (:data:`PUNCTUATION`), each of text and response on its own. A one-mark difference changes up to three
    word shingles, so a short record (under ~29 words at the default 0.8) that differs from another only in
    its punctuation is no near-duplicate either; the split's leakage checks call the two one ticket."""
    if not key.isascii():
        key = unicodedata.normalize("NFKC", key)
    return "\x1f".join(" ".join(part.translate(PUNCTUATION).split()) for part in key.split("\x1f"))


def _dedup_norm(s: str) -> str:
    """Placeholders unified, casefolded, whitespace runs collapsed to one space and the ends stripped."""
    if "<" in s:
        s = _PLACEHOLDER.sub(_unified_placeholder, s)
    s = s.casefold()
    # Fast path: " ".join(s.split()) is s with its line and paragraph breaks made single spaces when that
    # has no whitespace but single inner spaces (isprintable() is False for every whitespace character
    # except " ", see test_fast_paths): a few C-level tests instead of a list of every word, ~3x faster.
    spaced = s.replace("\n\n", "\n").replace("\n", " ") if "\n" in s else s  # paragraph breaks too
    if spaced.isprintable() and "  " not in spaced and spaced[:1] != " " and spaced[-1:] != " ":
        return spaced
    return " ".join(s.split())


def _unified_placeholder(m: re.Match[str]) -> str:
    """``<EMAIL_2>`` -> ``<EMAIL>``: what the template ``r"<\\1>"`` gives, ~4x faster (Python 3.11 expands a
    template through Python code on every match; a function returning an f-string does not)."""
    return f"<{m.group(1)}>"


def shingles(key: str, k: int) -> list[str]:
    """Distinct word k-grams of a dedup key, the text/response boundary counting as a word (the whole key
    when it has fewer than k words). The reference definition: :func:`shingle_hashes` hashes these."""
    words = key.replace("\x1f", " \x1f ").split(" ")
    words = [w for w in words if w]
    if not words:
        return []
    if len(words) < k:
        return [" ".join(words)]
    return list(dict.fromkeys(" ".join(words[i:i + k]) for i in range(len(words) - k + 1)))


# --- shingle hashing -----------------------------------------------------------------------------------
_BASE = np.uint64(0x100000001B3)  # odd, so invertible modulo 2^64
_BASE_INV = np.uint64(pow(0x100000001B3, -1, 2**64))
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the polynomial hash over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


_POWER_TABLES: dict[int, np.ndarray] = {}
#: Bytes hashed at a time: bounds the power tables (two of uint64 per byte) whatever the batch size.
_HASH_CHUNK_BYTES = 1 << 20


def _powers(base: np.uint64, n: int) -> np.ndarray:
    """base**0 .. base**(n-1) modulo 2^64. A constant table, kept and grown as needed."""
    table = _POWER_TABLES.get(int(base))
    if table is None or len(table) < n:
        size = max(n, 1 << 16, 2 * len(table) if table is not None else 0)
        table = np.full(size, base, dtype=np.uint64)
        table[0] = 1
        table = _POWER_TABLES[int(base)] = np.cumprod(table, dtype=np.uint64)  # wraps modulo 2^64
    return table[:n]


def shingle_hashes(keys: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """(record index, 64-bit hash) of every shingle of every key (see :func:`shingles`; keys as
    :func:`dedup_key` makes them), in no particular order and with a shingle that a key repeats listed
    again; a key without words has none.

    The hash of a shingle is a polynomial hash of its UTF-8 bytes, read off prefix sums of the whole batch
    at once, so no Python code runs per word or per shingle.
    """
    recs, hashes, first, size = [], [], 0, 0
    for i, key in enumerate(keys):  # hash about _HASH_CHUNK_BYTES at a time (whole keys; chars ~ bytes)
        size += len(key) + 8
        if size >= _HASH_CHUNK_BYTES:
            r, h = _chunk_hashes(keys[first:i + 1], k)
            recs.append(r + first)
            hashes.append(h)
            first, size = i + 1, 0
    r, h = _chunk_hashes(keys[first:], k)
    return np.concatenate(recs + [r + first]), np.concatenate(hashes + [h])


def _chunk_hashes(keys: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`shingle_hashes` of a few keys at once (record index relative to ``keys``)."""
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    blob = "\n".join(key.replace("\x1f", " \x1f ") for key in keys).encode("utf-8")
    b = np.frombuffer(blob, dtype=np.uint8)
    newlines = np.flatnonzero(b == 10)
    if len(newlines) != len(keys) - 1:
        raise ValueError(
            "shingle_hashes got keys with a newline; pass keys made by dedup_key (whitespace collapsed)."
        )
    in_word = (b != 32) & (b != 10)
    edge = np.diff(in_word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edge == 1)
    ends = np.flatnonzero(edge == -1)
    word_rec = np.searchsorted(newlines, starts)
    with np.errstate(over="ignore"):
        prefix = np.empty(len(b) + 1, dtype=np.uint64)
        prefix[0] = 0
        np.cumsum(b * _powers(_BASE, len(b)), dtype=np.uint64, out=prefix[1:])
        inv_pow = _powers(_BASE_INV, len(b) + 1)
        n_words = np.bincount(word_rec, minlength=len(keys))
        first_word = np.concatenate(([0], np.cumsum(n_words)[:-1]))
        # Full k-grams: word i starts one when word i + k - 1 belongs to the same record.
        i = np.arange(max(0, len(starts) - k + 1))
        i = i[word_rec[i] == word_rec[i + k - 1]]
        span_start, span_end, rec = starts[i], ends[i + k - 1], word_rec[i]
        # Keys with 1 .. k-1 words are one shingle: all of their words.
        short = np.flatnonzero((n_words > 0) & (n_words < k))
        span_start = np.concatenate((span_start, starts[first_word[short]]))
        span_end = np.concatenate((span_end, ends[first_word[short] + n_words[short] - 1]))
        rec = np.concatenate((rec, short))
        raw = (prefix[span_end] - prefix[span_start]) * inv_pow[span_start]
        hashes = _mix(raw + (span_end - span_start).astype(np.uint64) * _GOLDEN)
    return rec.astype(np.int64), hashes


# --- the similarity join -------------------------------------------------------------------------------
def near_duplicate_pairs(
    keys: list[str],
    k: int,
    threshold: float,
    method: Literal["minhash_lsh", "exact"] = "exact",
    *,
    candidate_threshold: float = 0.6,
    num_perm: int = 128,
    seed: int = 1,
) -> list[tuple[int, int, float]]:
    """Pairs (i, j, Jaccard) with i < j whose shingle sets have a Jaccard similarity >= ``threshold``.

    ``exact`` returns every such pair; ``minhash_lsh`` returns those among MinHash LSH's candidates (see
    :meth:`_SimilarityJoin.minhash_pairs`), with the same exact similarities.
    """
    join = _SimilarityJoin(keys, k)
    if method == "exact":
        return join.pairs(threshold)
    return join.minhash_pairs(threshold, candidate_threshold, num_perm, seed)


class _SimilarityJoin:
    """The shingle sets of a batch of dedup keys, and the exact Jaccard similarity join over them.

    Prefix filtering: order each set's shingles from rarest to most common; two sets with Jaccard >= t
    share a shingle among the first ``n - ceil(t * n) + 1`` of either. Candidates are pairs sharing such a
    shingle, of compatible sizes (t * |x| <= |y| <= |x| / t), whose first shared shingle leaves room for
    the overlap they need (the positional filter); the survivors are verified on their full sets.
    """

    def __init__(self, keys: list[str], k: int) -> None:
        rec, hashes = shingle_hashes(keys, k)
        self.n = n = len(keys)
        # The distinct hashes and every entry's index among them, by pandas' hash-table factorize (no argsort
        # of every hash, as np.unique with an inverse would do; uniques in order of first appearance).
        token, uniq = pd.factorize(hashes)
        v = max(1, len(uniq))
        # Global order of the shingles: rarest first, ties by hash value. Any order shared by all records
        # keeps the join exact; rare-first keeps the candidate lists short. Written as an argsort of the
        # distinct hashes and a stable argsort of their counts in that order: the order of
        # np.lexsort((uniq, counts)) (the hashes are distinct, so the first argsort needs no stability),
        # ~2x faster (test_fast_paths compares with np.unique and np.lexsort).
        by_hash = np.argsort(uniq)
        rank = np.empty(len(uniq), dtype=np.int64)
        rank[by_hash[np.argsort(np.bincount(token, minlength=len(uniq))[by_hash], kind="stable")]] = np.arange(len(uniq))
        # One sort puts every record's shingles in that order and shows the repeats. (np.sort, not
        # np.unique: numpy 2's unique without an inverse hashes, and is ten times slower here. kind="stable"
        # sorts the same integers into the same array, ~2.5x faster: shingle_hashes lists each record's
        # shingles together and records mostly in order, runs that timsort merges instead of re-sorting.)
        by_rank = np.sort(rec * v + rank[token], kind="stable")
        by_rank = by_rank[np.diff(by_rank, prepend=-1) != 0]
        self.codes = by_rank  # record * v + rank, sorted: every (record, shingle) once
        self.v = v
        self.rec, self.rank = by_rank // v, by_rank % v
        self.size = np.bincount(self.rec, minlength=n)
        self.first = np.concatenate(([0], np.cumsum(self.size)[:-1]))
        self._sets: dict[int, set[int]] = {}

    def shingle_set(self, i: int) -> set[int]:
        """The shingles of record ``i`` (as global ranks)."""
        s = self._sets.get(i)
        if s is None:
            start = int(self.first[i])
            s = self._sets[i] = set(self.rank[start:start + int(self.size[i])].tolist())
        return s

    def minhash_signatures(self, num_perm: int, seed: int) -> np.ndarray:
        """The MinHash of every record's shingle set, one row of ``num_perm`` uint32 values per record.

        Bit for bit what datasketch's ``MinHash(num_perm, seed, scheme="affine32", hashfunc=identity)``
        holds after ``update_batch`` with the record's shingle ranks (an empty record keeps datasketch's
        initial all-ones row): each rank is pre-mixed with MurmurHash3's 32-bit finaliser, then every
        permutation ``a * h + b`` (mod 2^32, datasketch's own ``a`` and ``b``) is applied and the minimum
        per record taken. Hand-written with numpy over the whole batch because building one datasketch
        object per record costs about 50 us each in Python overhead, more than the hashing itself.
        """
        a, b = _permutations(num_perm, seed)
        n = self.n
        sig = np.full((n, num_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
        rows = np.flatnonzero(self.size)
        if len(rows) == 0:
            return sig
        hv = _fmix32(self.rank.astype(np.uint32))
        a_col, b_col = a[:, None], b[:, None]
        starts = self.first[rows]
        ends = starts + self.size[rows]
        lo_row = 0
        while lo_row < len(rows):
            # A few thousand shingles at a time: the (num_perm, shingles) block stays in the CPU cache.
            hi_row = int(np.searchsorted(starts, starts[lo_row] + _MINHASH_CHUNK, side="right"))
            hi_row = max(hi_row, lo_row + 1)
            lo, hi = int(starts[lo_row]), int(ends[hi_row - 1])
            with np.errstate(over="ignore"):
                block = a_col * hv[None, lo:hi]  # uint32 arithmetic wraps: modulo 2^32, as datasketch's
                block += b_col
            sig[rows[lo_row:hi_row]] = np.minimum.reduceat(block, starts[lo_row:hi_row] - lo, axis=1).T
            lo_row = hi_row
        return sig

    def minhash_candidates(self, candidate_threshold: float, num_perm: int, seed: int) -> np.ndarray:
        """Candidate pairs of MinHash LSH tuned for ``candidate_threshold``, as codes ``i * n + j`` (i < j),
        sorted and distinct.

        The same pairs as datasketch's ``MinHashLSH(threshold=candidate_threshold, num_perm=num_perm)``
        with every non-empty record inserted and then queried: its banding (``b`` bands of ``r`` rows,
        read from datasketch) puts two records in one bucket when their signatures agree on every row of a
        band, and a query returns every key sharing a bucket with it. Here each band's rows are sorted
        once and every pair inside a run of equal rows is a candidate: no per-record dictionaries, bytes
        keys or Python calls (datasketch's insert and query cost about 130 us a record).
        """
        n = self.n
        bands, r = _lsh_bands(candidate_threshold, num_perm)
        rows = np.flatnonzero(self.size)
        if len(rows) < 2:
            return np.zeros(0, dtype=np.int64)
        blocks = self.minhash_signatures(num_perm, seed)[rows, : bands * r].reshape(len(rows), bands, r)
        # Fast path: one 64-bit hash per (record, band) and one sort of them all, instead of one
        # lexicographic sort of r columns per band (about 5x slower). Hashes can collide, so the runs of
        # equal hashes are checked on the band values themselves; if any run mixes two bands or two values,
        # the exact per-band sort below decides instead (both give the same buckets when no run is mixed).
        key = _band_hashes(blocks).T.ravel()  # band-major: entry e is record e % m in band e // m
        # Only entries whose hash occurs more than once can share a bucket: a hash-table factorize finds
        # them, and only they are sorted (stable, so each run keeps entry order): the same runs of two or
        # more as sorting every entry, ~2x faster (most (record, band) hashes are unique).
        codes_of_key, _ = pd.factorize(key)
        order = np.flatnonzero(np.bincount(codes_of_key)[codes_of_key] > 1)
        order = order[np.argsort(key[order], kind="stable")]
        key = key[order]
        new = np.ones(len(order), dtype=bool)
        new[1:] = key[1:] != key[:-1]
        same = np.flatnonzero(~new)
        m = len(rows)
        if len(same):
            cur, prev = order[same], order[same - 1]
            mixed = (cur // m != prev // m) | (blocks[cur % m, cur // m] != blocks[prev % m, prev // m]).any(axis=1)
            if mixed.any():
                return self._banded_pairs_by_sorting(blocks, rows)
        group_start = np.flatnonzero(new)
        group_size = np.diff(np.append(group_start, len(order)))
        record = rows[order % m]
        codes: list[np.ndarray] = []
        for left, right in _pairs_in_groups(group_start, group_size):
            first, second = record[left], record[right]  # first < second: a stable sort keeps record order
            codes.append(first * n + second)
            if len(codes) > 64:  # keep memory bounded when big clusters fill many bands
                codes = [np.unique(np.concatenate(codes))]
        if not codes:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(codes))

    def _banded_pairs_by_sorting(self, blocks: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """:meth:`minhash_candidates` from ``blocks`` (records x bands x rows per band) with one
        lexicographic sort of the band's values per band: the reference that the hashed path falls back on."""
        n = self.n
        codes: list[np.ndarray] = []
        for band in range(blocks.shape[1]):
            block = blocks[:, band]
            order = np.lexsort(block.T[::-1])  # stable: equal rows stay in record order
            ordered = block[order]
            new = np.ones(len(order), dtype=bool)
            new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
            group_start = np.flatnonzero(new)
            group_size = np.diff(np.append(group_start, len(order)))
            for left, right in _pairs_in_groups(group_start, group_size):
                codes.append(rows[order[left]] * n + rows[order[right]])
            if len(codes) > 64:
                codes = [np.unique(np.concatenate(codes))]
        if not codes:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(codes))

    def minhash_pairs(
        self, threshold: float, candidate_threshold: float, num_perm: int, seed: int
    ) -> list[tuple[int, int, float]]:
        """The pairs (i, j, Jaccard) with i < j and Jaccard >= ``threshold`` among the candidates of MinHash
        LSH tuned for ``candidate_threshold`` (:meth:`minhash_candidates`), sorted; the same format as
        :meth:`pairs`.

        LSH is tuned below ``threshold`` so that pairs just above it are rarely missed (its banding misses a
        pair at similarity s with probability (1 - s^r)^b), and every candidate is then verified on its
        exact shingle sets, so no pair below ``threshold`` is returned. The MinHashes are fed the shingles'
        global ranks (distinct integers per distinct shingle, already computed for the exact sets), so no
        shingle is hashed twice.
        """
        n, size = self.n, self.size
        codes = self.minhash_candidates(candidate_threshold, num_perm, seed)
        a, b = codes // max(1, n), codes % max(1, n)
        na, nb = size[a], size[b]
        fits = np.minimum(na, nb) >= threshold * np.maximum(na, nb) - _EPS  # the size filter
        return self._verified(a[fits], b[fits], threshold)  # codes are sorted, so (i, j) are too

    def intersection_sizes(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``len(shingle_set(a[p]) & shingle_set(b[p]))`` for every pair ``p``.

        Vectorised (one Python set per record and one intersection per pair cost about 10 us a pair): each
        shingle of the smaller set of a pair is looked up among the sorted (record, shingle) codes of the
        other record with one ``searchsorted`` for all pairs at once, about ``_PAIR_CHUNK`` shingles at a time.
        """
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        out = np.zeros(len(a), dtype=np.int64)
        if len(a) == 0 or len(self.codes) == 0:
            return out
        swap = self.size[a] > self.size[b]
        query, target = np.where(swap, b, a), np.where(swap, a, b)
        lengths = self.size[query]
        ends = np.cumsum(lengths)
        lo = 0
        while lo < len(a):
            # pairs lo..hi-1 hold about _PAIR_CHUNK shingles between them (at least one pair)
            hi = int(np.searchsorted(ends, (ends[lo - 1] if lo else 0) + _PAIR_CHUNK, side="right"))
            hi = max(hi, lo + 1)
            q_len = lengths[lo:hi]
            pair = np.repeat(np.arange(lo, hi), q_len)
            entry = np.repeat(self.first[query[lo:hi]], q_len) + (
                np.arange(int(q_len.sum())) - np.repeat(np.cumsum(q_len) - q_len, q_len)
            )
            wanted = target[pair] * self.v + self.rank[entry]
            pos = np.minimum(np.searchsorted(self.codes, wanted), len(self.codes) - 1)
            out[lo:hi] = np.bincount(pair - lo, weights=self.codes[pos] == wanted, minlength=hi - lo).astype(np.int64)
            lo = hi
        return out

    def _verified(self, a: np.ndarray, b: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
        """The candidate pairs (a[p], b[p]) whose exact Jaccard is at least ``threshold``, with it, in the
        candidates' order."""
        inter = self.intersection_sizes(a, b)
        # int64 -> float64 is exact below 2^53 and IEEE division is correctly rounded: the same float as
        # Python's inter / (ni + nj - inter).
        similarity = inter / (self.size[a] + self.size[b] - inter)
        ok = similarity >= threshold - _EPS
        return list(zip(a[ok].tolist(), b[ok].tolist(), similarity[ok].tolist()))

    def pairs(self, threshold: float) -> list[tuple[int, int, float]]:
        """Every pair (i, j, Jaccard) with i < j and Jaccard >= ``threshold``, sorted."""
        n, size, first, rec_r, rank_r = self.n, self.size, self.first, self.rec, self.rank
        if len(rec_r) == 0:
            return []
        pos = np.arange(len(rec_r)) - first[rec_r]
        prefix_len = size - np.ceil(threshold * size - _EPS).astype(np.int64) + 1
        keep = pos < prefix_len[rec_r]
        p_rec, p_rank, p_pos = rec_r[keep], rank_r[keep], pos[keep]
        # Group the prefix entries by shingle; every two entries of a group make a candidate pair.
        order = np.lexsort((p_rec, p_rank))
        p_rec, p_rank, p_pos = p_rec[order], p_rank[order], p_pos[order]
        group_start = np.flatnonzero(np.diff(p_rank, prepend=-1) != 0)
        group_size = np.diff(np.append(group_start, len(p_rank)))
        chunks = []
        for left, right in _pairs_in_groups(group_start, group_size):
            a, b = p_rec[left], p_rec[right]  # a < b: entries are sorted by record within a group
            na, nb = size[a], size[b]
            fits = np.minimum(na, nb) >= threshold * np.maximum(na, nb) - _EPS  # the size filter
            chunks.append(
                _first_shared(a[fits] * n + b[fits], p_rank[left][fits], p_pos[left][fits], p_pos[right][fits])
            )
        if not chunks:
            return []
        pair, _, pos_a, pos_b = _first_shared(*(np.concatenate(parts) for parts in zip(*chunks)))
        a, b = pair // n, pair % n
        na, nb = size[a], size[b]
        # Positional filter: shingles shared by a and b all lie at or after their first shared one.
        room = np.minimum(na - pos_a, nb - pos_b)
        hopeful = room >= threshold / (1 + threshold) * (na + nb) - _EPS
        out = self._verified(a[hopeful], b[hopeful], threshold)
        out.sort()
        return out


_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (what datasketch's affine32 scheme pre-mixes every input with)."""
    shift1, mul1, shift2, mul2 = _FMIX32
    with np.errstate(over="ignore"):
        h = h ^ (h >> shift1)
        h = h * mul1
        h = h ^ (h >> shift2)
        h = h * mul2
        return h ^ (h >> shift1)


def _band_hashes(blocks: np.ndarray) -> np.ndarray:
    """A 64-bit hash of every (record, band) of ``blocks`` (records x bands x rows per band, uint32) that
    also mixes in the band number, so equal values in two bands hash apart (collisions are checked by the
    caller)."""
    records, bands, r = blocks.shape
    with np.errstate(over="ignore"):
        h = np.broadcast_to(np.arange(bands, dtype=np.uint64) * _GOLDEN, (records, bands)).copy()
        for row in range(r):
            h = _mix(h ^ blocks[:, :, row].astype(np.uint64))
    return h


@functools.lru_cache(maxsize=16)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters ``(a, b)`` for ``num_perm`` and ``seed`` (read-only)."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    a, b = a.astype(np.uint32), b.astype(np.uint32)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


@functools.lru_cache(maxsize=16)
def _lsh_bands(candidate_threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's MinHashLSH picks for ``candidate_threshold`` and ``num_perm``
    (its default weights); computed once (its optimisation integrates ~1,300 times, about 20 ms)."""
    lsh = MinHashLSH(threshold=candidate_threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def _first_shared(
    pair: np.ndarray, rank: np.ndarray, pos_a: np.ndarray, pos_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct ``pair``, the entry of its lowest ``rank`` (the pair's first shared shingle)."""
    order = np.lexsort((rank, pair))
    pair, rank, pos_a, pos_b = pair[order], rank[order], pos_a[order], pos_b[order]
    head = np.diff(pair, prepend=-1) != 0
    return pair[head], rank[head], pos_a[head], pos_b[head]


def _pairs_in_groups(group_start: np.ndarray, group_size: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(left, right) entry indices of every pair inside every group, ``left < right``, in chunks of about
    ``_PAIR_CHUNK`` pairs."""
    multi = group_size > 1
    starts, sizes = group_start[multi], group_size[multi]
    if len(starts) == 0:
        return
    per_entry_start = np.repeat(starts, sizes)
    per_entry_end = per_entry_start + np.repeat(sizes, sizes)
    entry = per_entry_start + (np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes))
    partners = per_entry_end - entry - 1  # entries after this one in its group
    cum = np.cumsum(partners)
    lo = 0
    while lo < len(entry):
        hi = int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + _PAIR_CHUNK, side="right"))
        hi = max(hi, lo + 1)
        e, m = entry[lo:hi], partners[lo:hi]
        left = np.repeat(e, m)
        right = left + 1 + (np.arange(m.sum()) - np.repeat(np.cumsum(m) - m, m))
        yield left, right
        lo = hi


def jaccard(a: set[Any], b: set[Any]) -> float:
    """|a & b| / |a | b| (1.0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def star_clusters(n: int, pairs: list[tuple[int, int, float]]) -> tuple[dict[int, list[tuple[int, float]]], list[int]]:
    """Greedy star clustering of ``n`` items ranked best first (item 0 is the best) linked by ``pairs``
    (i, j, similarity) at or above a threshold.

    Going through the items in rank order, an item with a link to an item already kept is dropped into the
    cluster of the best-ranked such item (its centre); any other item is kept. Returns the clusters (centre
    -> [(member, its similarity to the centre)], in rank order; only centres with members) and the kept
    items that had links only to dropped items (a chain that single linkage would have dropped whole).
    """
    neighbours: dict[int, list[tuple[int, float]]] = {}
    for a, b, similarity in pairs:
        neighbours.setdefault(a, []).append((b, similarity))
        neighbours.setdefault(b, []).append((a, similarity))
    kept: set[int] = set()
    clusters: dict[int, list[tuple[int, float]]] = {}
    linked_kept: list[int] = []
    for item in sorted(neighbours):
        centres = [(other, similarity) for other, similarity in neighbours[item] if other in kept]
        if centres:
            centre, similarity = min(centres)
            clusters.setdefault(centre, []).append((item, similarity))
        else:
            kept.add(item)
            linked_kept.append(item)
    chained = [item for item in linked_kept if item not in clusters]
    return dict(sorted(clusters.items())), chained


@cyclic_gc_paused
def deduplicate(df: pd.DataFrame, settings: CurationSettings) -> StageResult:
    """Drop exact duplicates (exact_duplicate) and near-duplicates (near_duplicate), keeping the best-scored
    member of each group; ``detail`` names the kept record (and, for near-duplicates, their Jaccard
    similarity, always at or above ``near_dup_threshold``: see :func:`star_clusters`).

    An exact copy of a record that near-dedup drops says so in its detail, and belongs to that record's near
    cluster in the examples (whose ``kept`` is always a record kept).

    Needs ``quality_score`` (run :func:`finetune_platform.curation.quality.score_quality` first). stats:
    exact_duplicates, near_duplicates, near_clusters, near_chained_kept (records kept that are near-duplicates
    of dropped records only), duplicate_rate and ``cluster_examples``.
    """
    check_input(df, STAGE, needs=["quality_score"])
    ids = df["record_id"].astype(str).tolist()
    texts = text_column(df, "text")
    keys = [dedup_key(t, r) for t, r in zip(texts, text_column(df, "response"))]
    numeric = pd.to_numeric(df["quality_score"], errors="coerce")
    if numeric.isna().any():
        bad = np.flatnonzero(numeric.isna().to_numpy())
        raise ValueError(
            f"curation stage '{STAGE}': quality_score is not a number for {len(bad)} record(s), e.g. "
            + ", ".join(f"{ids[i]} ({df['quality_score'].iloc[i]!r})" for i in bad[:5])
            + "; the best-scored duplicate cannot be chosen without it. Run score_quality on these records first."
        )
    scores = numeric.tolist()
    # Best record first: highest quality_score, then lowest record_id in natural order ("f#9" before "f#10":
    # the earlier row of a file, not the earlier string).
    order = sorted(range(len(ids)), key=lambda i: (-scores[i], natural_key(ids[i]), ids[i]))

    keep = [True] * len(ids)
    dropped: list[tuple[str, str, str]] = []
    clusters: list[dict[str, Any]] = []
    labels = [str(v).strip() for v in df["label"].fillna("").tolist()] if "label" in df.columns else [""] * len(ids)
    conflicts: list[dict[str, str]] = []

    def label_note(i: int, keeper: int) -> str:
        """A duplicate whose label differs from the kept record's, or that has a label the kept record lacks:
        said in its drop detail and counted, so a label disagreement is settled, and a label lost, in plain
        sight (the kept record's label stands)."""
        if labels[i] and labels[i] != labels[keeper]:
            conflicts.append({"dropped": ids[i], "label": labels[i], "kept": ids[keeper], "kept_label": labels[keeper]})
            if not labels[keeper]:
                return f"; its label {labels[i]!r} is lost: the kept record has none"
            return f"; its label {labels[i]!r} differs from the kept record's {labels[keeper]!r}"
        return ""

    exact = 0
    # keeper -> [(exact copy, its label note)]; the copies' rows are written once near-dedup has judged the keeper
    copies: dict[int, list[tuple[int, str]]] = {}
    # a record dropped as a near-duplicate -> the record kept for it
    near_keeper: dict[int, int] = {}
    if settings.exact_dedup:
        groups: dict[str, list[int]] = {}
        for i in order:  # best first, so groups[key][0] is the keeper
            groups.setdefault(exact_key(keys[i]), []).append(i)
        for members in groups.values():
            if len(members) > 1:
                keeper = members[0]
                for i in members[1:]:
                    keep[i] = False
                    copies.setdefault(keeper, []).append((i, label_note(i, keeper)))
                exact += len(members) - 1

    near = 0
    n_near_clusters = 0
    near_chained_kept = 0
    if settings.near_dedup:
        alive = [i for i in order if keep[i] and keys[i] != "\x1f"]
        join = _SimilarityJoin([keys[i] for i in alive], settings.shingle_words)
        if settings.near_dup_method == "exact":
            pairs = join.pairs(settings.near_dup_threshold)
        else:
            pairs = join.minhash_pairs(
                settings.near_dup_threshold, settings.lsh_candidate_threshold, settings.num_perm, settings.minhash_seed
            )
        # A record without a response (a ticket to classify) and one with a response (a reply to learn) are
        # two tasks, as their exact keys say: never near-duplicates, however much of the text they share.
        answered = [bool(keys[i].partition("\x1f")[2]) for i in alive]
        pairs = [(a, b, similarity) for a, b, similarity in pairs if answered[a] == answered[b]]
        # alive is in rank order, so position 0 is the best record
        stars, chained = star_clusters(len(alive), pairs)
        near_chained_kept = len(chained)
        for keeper_pos, members in stars.items():
            n_near_clusters += 1
            keeper = alive[keeper_pos]
            for pos, similarity in members:
                i = alive[pos]
                keep[i] = False
                near_keeper[i] = keeper
                dropped.append((
                    ids[i], "near_duplicate",
                    f"near-duplicate of {ids[keeper]} (Jaccard {similarity:.2f}){label_note(i, keeper)}",
                ))
            near += len(members)
            # the exact copies of each member go with it: the record kept for them is this cluster's
            dropped_members = [m for p, _ in members for m in [alive[p], *(c for c, _ in copies.get(alive[p], []))]]
            clusters.append(_example("near", keeper, [keeper, *dropped_members], ids, texts))

    for keeper, members in copies.items():
        went = near_keeper.get(keeper)
        after = f", itself dropped as a near-duplicate of {ids[went]}" if went is not None else ""
        for i, note in members:
            dropped.append((ids[i], "exact_duplicate", f"exact duplicate of {ids[keeper]}{after}{note}"))
        if went is None:
            clusters.append(_example("exact", keeper, [keeper, *(c for c, _ in members)], ids, texts))

    clusters.sort(key=lambda c: (-c["size"], c["kept"]))
    stats: dict[str, Any] = {
        "exact_duplicates": exact,
        "near_duplicates": near,
        "near_clusters": n_near_clusters,
        # kept although a near-duplicate of a dropped record (of none kept): one link of a chain
        "near_chained_kept": near_chained_kept,
        "duplicate_rate": round((exact + near) / len(ids), 4) if ids else 0.0,
        "cluster_examples": clusters[: settings.cluster_examples],
        # duplicates labelled otherwise than the record kept, or labelled where it is not (the label is lost):
        # the kept label stands, each is named here
        "label_conflicts": len(conflicts),
        "label_conflict_examples": conflicts[: settings.cluster_examples],
    }
    position = {rid: i for i, rid in enumerate(ids)}
    dropped.sort(key=lambda row: position[row[0]])  # input order, whatever order the groups were found in
    return finish_stage(STAGE, df, keep, df, dropped, stats)


_DIGIT_RUNS = re.compile(r"(\d+)")


def natural_key(record_id: str) -> tuple[Any, ...]:
    """``record_id`` ordered as people count: its runs of digits as numbers ("emails/a.csv#9" < "emails/a.csv#10").
    Text and numbers alternate in the same places in every key, so any two compare."""
    parts = _DIGIT_RUNS.split(record_id)
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def _example(kind: str, keeper: int, members: list[int], ids: list[str], texts: list[str]) -> dict[str, Any]:
    """A cluster for the stats: the kept id, an excerpt of its (already redacted) text, the dropped ids."""
    return {
        "kind": kind,
        "size": len(members),
        "kept": ids[keeper],
        "kept_excerpt": texts[keeper][:_EXCERPT_CHARS],
        "dropped": [ids[i] for i in members if i != keeper][:10],
    }
