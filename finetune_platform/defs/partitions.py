"""Partitions: one per configured source, so a changed source is re-ingested and re-curated alone."""

import dagster as dg

#: Partition keys are the source names in data/sources.yaml. They are added when a source appears (the
#: raw_files_sensor, the demo and `finetune-platform materialize` keep them in step with the file).
SOURCE_PARTITIONS = dg.DynamicPartitionsDefinition(name="source")

#: Production monitoring runs per day (UTC): the logs, drift report and feedback set of that day. Today is
#: a partition too (end_offset=1), so an up-to-the-minute check can run before the day is over; the
#: nightly schedule reports on yesterday.
MONITOR_DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC", end_offset=1)

#: One partition per trial of the hyperparameter sweep in data/sweep.yaml (kept in step with the file by
#: the sweep_file_sensor and `finetune-platform sweep`).
SWEEP_TRIALS = dg.DynamicPartitionsDefinition(name="sweep_trial")

#: One partition per specialist of data/specialists.yaml (kept in step with the file by the
#: specialists_file_sensor and `finetune-platform specialists`).
SPECIALIST_PARTITIONS = dg.DynamicPartitionsDefinition(name="specialist")
