"""Asset group names: one per stage of the loop."""

INGEST = "ingest"
CURATE = "curate"
FORMAT = "format"
VERSION = "version"
TRAIN = "train"
EVALUATE = "evaluate"
DEPLOY = "deploy"
MONITOR = "monitor"

RETRAIN_GROUPS: tuple[str, ...] = (INGEST, CURATE, FORMAT, VERSION, TRAIN, EVALUATE, DEPLOY)
MONITOR_GROUPS: tuple[str, ...] = (MONITOR,)
SWEEP = "sweep"
SPECIALISTS = "specialists"
