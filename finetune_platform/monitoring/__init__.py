"""Monitoring: the production log store, drift detection, and feedback turned into training data.

Plain Python (no dagster): ``finetune_platform.defs`` wires these into the ``production_logs``,
``drift_report`` and ``feedback_set`` assets and the retraining sensor; the serving layer writes into
``LogStore``.
"""

from finetune_platform.monitoring.drift import DriftReport, DriftSettings, FeatureResult, compute_drift, plot_drift
from finetune_platform.monitoring.feedback import (
    PREFERENCE_COLUMNS,
    PreferenceStats,
    feedback_to_preference_pairs,
    feedback_to_records,
)
from finetune_platform.monitoring.simulate import SimulationSummary, simulate_traffic, synthetic_tickets
from finetune_platform.monitoring.store import FEEDBACK_COLUMNS, REQUEST_COLUMNS, LogStore, default_store_url

__all__ = [
    "FEEDBACK_COLUMNS",
    "PREFERENCE_COLUMNS",
    "REQUEST_COLUMNS",
    "DriftReport",
    "DriftSettings",
    "FeatureResult",
    "LogStore",
    "PreferenceStats",
    "SimulationSummary",
    "compute_drift",
    "default_store_url",
    "feedback_to_preference_pairs",
    "feedback_to_records",
    "plot_drift",
    "simulate_traffic",
    "synthetic_tickets",
]
