"""Serving side of the platform: the MLflow model registry (versions, aliases, promotion)."""
