"""Evaluation: loading fine-tuned models, batched generation and task metrics (plain Python, no Dagster)."""
