"""Training: the tiny base model, base-model resolution and supervised fine-tuning (plain Python, no Dagster)."""
