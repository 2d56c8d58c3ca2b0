"""Stage 4 of curation: exact and near-duplicate removal.

Exact duplicates share text+response after casefolding, whitespace collapsing and placeholder unification
(``<EMAIL_1>`` and ``<EMAIL_2>`` both become ``<EMAIL>``: two tickets that differ only in a redacted
address are the same ticket). Near-duplicates are found with datasketch's MinHash LSH over word shingles
and confirmed with the MinHash Jaccard estimate; clusters are the connected components of confirmed pairs.
Each group keeps its best member (highest ``quality_score``, ties: lowest ``record_id``), and every dropped
row names the record it duplicates.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from datasketch import MinHash, MinHashLSH

from finetune_platform.curation.config import CurationSettings, StageResult, check_input, finish_stage, text_column

STAGE = "dedup"
_PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*?)_\d+>")
_EXCERPT_CHARS = 100


def dedup_key(text: str, response: str) -> str:
    """The text+response that exact deduplication compares: casefolded, whitespace collapsed, placeholders
    unified. The two fields are joined with a separator no text contains, so ("a b", "") != ("a", "b")."""
    def norm(s: str) -> str:
        return " ".join(_PLACEHOLDER.sub(r"<\1>", s).casefold().split())

    return f"{norm(text)}\x1f{norm(response)}"


def shingles(key: str, k: int) -> list[bytes]:
    """Distinct word k-grams of a dedup key (the whole key when it has fewer than k words)."""
    words = key.replace("\x1f", " \x1f ").split()
    if not words:
        return []
    if len(words) < k:
        return [" ".join(words).encode()]
    return list({" ".join(words[i:i + k]).encode() for i in range(len(words) - k + 1)})


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def deduplicate(df: pd.DataFrame, settings: CurationSettings) -> StageResult:
    """Drop exact duplicates (exact_duplicate) and MinHash near-duplicates (near_duplicate), keeping the
    best-scored member of each group; ``detail`` names the kept record.

    Needs ``quality_score`` (run :func:`finetune_platform.curation.quality.score_quality` first). stats:
    exact_duplicates, near_duplicates, near_clusters, duplicate_rate and ``cluster_examples``.
    """
    check_input(df, STAGE, needs=["quality_score"])
    ids = df["record_id"].astype(str).tolist()
    texts = text_column(df, "text")
    keys = [dedup_key(t, r) for t, r in zip(texts, text_column(df, "response"))]
    scores = pd.to_numeric(df["quality_score"], errors="raise").fillna(0.0).tolist()
    # rank 0 is the best record: highest quality_score, then lowest record_id.
    order = sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))
    rank = [0] * len(ids)
    for r, i in enumerate(order):
        rank[i] = r

    keep = [True] * len(ids)
    dropped: list[tuple[str, str, str]] = []
    clusters: list[dict[str, Any]] = []

    exact = 0
    if settings.exact_dedup:
        groups: dict[str, list[int]] = {}
        for i in order:  # best first, so groups[key][0] is the keeper
            groups.setdefault(keys[i], []).append(i)
        for members in groups.values():
            if len(members) > 1:
                keeper = members[0]
                for i in members[1:]:
                    keep[i] = False
                    dropped.append((ids[i], "exact_duplicate", f"exact duplicate of {ids[keeper]}"))
                exact += len(members) - 1
                clusters.append(_example("exact", keeper, members, ids, texts))

    near = 0
    n_near_clusters = 0
    if settings.near_dedup:
        alive = [i for i in order if keep[i] and keys[i] != "\x1f"]
        sketches = MinHash.bulk(
            [shingles(keys[i], settings.shingle_words) for i in alive],
            num_perm=settings.num_perm,
            seed=settings.minhash_seed,
        )
        lsh = MinHashLSH(threshold=settings.near_dup_threshold, num_perm=settings.num_perm)
        for pos, sketch in enumerate(sketches):
            lsh.insert(pos, sketch, check_duplication=False)
        uf = _UnionFind(len(alive))
        for pos, sketch in enumerate(sketches):
            for other in lsh.query(sketch):
                if other > pos and sketch.jaccard(sketches[other]) >= settings.near_dup_threshold:
                    uf.union(pos, other)
        components: dict[int, list[int]] = {}
        for pos in range(len(alive)):
            components.setdefault(uf.find(pos), []).append(pos)
        for members in components.values():
            if len(members) < 2:
                continue
            n_near_clusters += 1
            members.sort()  # alive is in rank order, so the smallest position is the best record
            keeper_pos = members[0]
            keeper = alive[keeper_pos]
            for pos in members[1:]:
                i = alive[pos]
                keep[i] = False
                similarity = sketches[pos].jaccard(sketches[keeper_pos])
                dropped.append(
                    (ids[i], "near_duplicate", f"near-duplicate of {ids[keeper]} (estimated Jaccard {similarity:.2f})")
                )
            near += len(members) - 1
            clusters.append(_example("near", keeper, [alive[p] for p in members], ids, texts))

    clusters.sort(key=lambda c: (-c["size"], c["kept"]))
    stats: dict[str, Any] = {
        "exact_duplicates": exact,
        "near_duplicates": near,
        "near_clusters": n_near_clusters,
        "duplicate_rate": round((exact + near) / len(ids), 4) if ids else 0.0,
        "cluster_examples": clusters[: settings.cluster_examples],
    }
    position = {rid: i for i, rid in enumerate(ids)}
    dropped.sort(key=lambda row: position[row[0]])  # input order, whatever order the groups were found in
    return finish_stage(STAGE, df, keep, df, dropped, stats)


def _example(kind: str, keeper: int, members: list[int], ids: list[str], texts: list[str]) -> dict[str, Any]:
    """A cluster for the stats: the kept id, an excerpt of its (already redacted) text, the dropped ids."""
    return {
        "kind": kind,
        "size": len(members),
        "kept": ids[keeper],
        "kept_excerpt": texts[keeper][:_EXCERPT_CHARS],
        "dropped": [ids[i] for i in members if i != keeper][:10],
    }
