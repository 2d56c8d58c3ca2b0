"""finetune-platform: LLM fine-tuning as a continuous capability, orchestrated as Dagster assets.

The plain-Python packages (ingest, curation, formats, datasets, training, evaluation, serving,
monitoring) never import dagster; ``finetune_platform.defs`` wires them into assets.
"""

__version__ = "0.1.0"
