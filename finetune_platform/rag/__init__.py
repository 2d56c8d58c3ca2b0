"""Hybrid RAG + fine-tuned: a lexical knowledge index over curated records, its evaluation, and the
context it adds to a chat request. Plain Python: no Dagster, no HTTP, no torch."""

from finetune_platform.rag.index import (
    Hit,
    IndexFollower,
    KnowledgeIndex,
    KnowledgeIndexError,
    KnowledgeSettings,
    Passage,
    RetrievalReport,
    augment_messages,
    context_block,
    current_index_path,
    evaluate_label_retrieval,
    insert_context,
    passages_from_records,
    publish_index,
)

__all__ = [
    "Hit",
    "IndexFollower",
    "KnowledgeIndex",
    "KnowledgeIndexError",
    "KnowledgeSettings",
    "Passage",
    "RetrievalReport",
    "augment_messages",
    "context_block",
    "current_index_path",
    "evaluate_label_retrieval",
    "insert_context",
    "passages_from_records",
    "publish_index",
]
