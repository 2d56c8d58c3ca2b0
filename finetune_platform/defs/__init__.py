"""Dagster wiring only: assets, checks, jobs, schedules and sensors, one module per stage."""
