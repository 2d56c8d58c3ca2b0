"""Trainer callbacks that hand training progress to whoever is listening.

The training code must not import Dagster or MLflow; the caller passes a plain function instead, and
this callback calls it from inside the HF Trainer loop.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from transformers import TrainerCallback

#: ``on_log(step, metrics)``: the global optimizer step and the numeric metrics logged at that step.
OnLog = Callable[[int, dict[str, float]], None]


class MetricsCallback(TrainerCallback):
    """Records the training-loss history and forwards every log event to ``on_log``.

    ``loss_history`` holds ``(global_step, loss)`` for each logged training loss (evaluation logs carry
    ``eval_loss`` instead and are forwarded but not recorded there). Training logs also get
    ``tokens_per_second``: input tokens the Trainer counted (``include_num_input_tokens_seen``) since the
    previous log, over the wall time since then.
    """

    def __init__(self, on_log: OnLog | None = None) -> None:
        self._forward = on_log  # not `self.on_log`: that name is the Trainer hook below
        self.loss_history: list[tuple[int, float]] = []
        self._last: tuple[float, int] | None = None  # (time, tokens seen) at the previous log

    def on_train_begin(self, args, state, control, **kwargs):  # noqa: D102 (TrainerCallback hook)
        self._last = (time.perf_counter(), int(state.num_input_tokens_seen or 0))

    def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: D102 (TrainerCallback hook)
        metrics = {
            key: float(value)
            for key, value in (logs or {}).items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)
        }
        if "loss" in metrics:
            if not math.isfinite(metrics["loss"]):
                raise FloatingPointError(
                    f"training loss became {metrics['loss']} at step {state.global_step}; lower the learning "
                    f"rate (now {args.learning_rate}) or check the data"
                )
            self.loss_history.append((state.global_step, metrics["loss"]))
            now, tokens = time.perf_counter(), int(state.num_input_tokens_seen or 0)
            if self._last is not None and now > self._last[0] and tokens > self._last[1]:
                metrics["tokens_per_second"] = (tokens - self._last[1]) / (now - self._last[0])
            self._last = (now, tokens)
        if self._forward is not None and metrics:
            self._forward(state.global_step, metrics)
