"""Demo helpers: stand-in production traffic so the monitoring assets have something to read.

Until the serving issue lands a real server in the demo, traffic is simulated from the held-out tickets
(no topic shift) with a share of user feedback, written to the real log store.
"""

from __future__ import annotations

from finetune_platform.settings import Settings


def last_full_day() -> str:
    """Yesterday (UTC) as a daily partition key: the newest complete day of production traffic."""
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%d")


def simulate_production(settings: Settings, n: int = 300, seed: int = 0, days: int = 3) -> str:
    """Write ``n`` requests (held-out tickets, no shift) over the ``days`` full days before today, with
    feedback on some, into the log store."""
    from datetime import datetime, time, timedelta, timezone

    from finetune_platform.datasets.split import read_training_set
    from finetune_platform.formats.instructions import ticket_from_prompt
    from finetune_platform.monitoring.simulate import simulate_traffic
    from finetune_platform.monitoring.store import LogStore

    splits = read_training_set(settings.training_set_dir)
    held_out = [
        ticket_from_prompt(p)
        for split in ("validation", "test")
        for p in splits[split].loc[splits[split]["task"] == "classify", "prompt"]
    ]
    store = LogStore(settings.log_store_url)
    try:
        midnight = datetime.combine(datetime.now(timezone.utc).date(), time(0), tzinfo=timezone.utc)
        summary = simulate_traffic(
            store, held_out, n=n, seed=seed, negative_feedback_rate=0.1, days=days, start=midnight - timedelta(days=days)
        )
    finally:
        store.close()
    return (
        f"{summary.requests} requests ({summary.requests_by_variant}), {summary.feedback} feedback, "
        f"{summary.corrections} corrections"
    )
