"""PNG plots for the evaluation report and asset metadata: a confusion matrix and a loss curve.

Figures are built with matplotlib's object API on the Agg canvas (``matplotlib.figure.Figure``), not
``pyplot``: no global figure state, no GUI backend, safe in Dagster's worker threads and processes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"plots are written as PNG; give a path ending in .png, got {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", bbox_inches="tight")
    return path


def plot_confusion_matrix(
    confusion: pd.DataFrame, path: str | Path, *, title: str = "Confusion matrix", normalize: bool = True
) -> Path:
    """Write the confusion matrix (``ClassificationMetrics.confusion``) as a heat map; returns the path.

    With ``normalize`` the colours are row shares (each true label's recall spread over the predictions),
    so rare labels are as visible as frequent ones; the cells are annotated with the raw counts either way.
    """
    if confusion.empty or confusion.shape[0] == 0 or confusion.shape[1] == 0:
        raise ValueError("plot_confusion_matrix: the confusion matrix is empty; nothing to plot")
    counts = confusion.to_numpy(dtype=float)
    if (counts < 0).any():
        raise ValueError("plot_confusion_matrix: counts must be >= 0")
    rows = counts.sum(axis=1, keepdims=True)
    shades = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0) if normalize else counts
    n_rows, n_cols = counts.shape
    fig = _figure(max(4.0, 0.6 * n_cols + 2.5), max(3.5, 0.5 * n_rows + 2.0))
    ax = fig.add_subplot()
    image = ax.imshow(shades, cmap="Blues", vmin=0.0, vmax=1.0 if normalize else max(1.0, float(shades.max())))
    fig.colorbar(image, ax=ax, label="share of the true label" if normalize else "examples")
    ax.set_xticks(range(n_cols), [str(c) for c in confusion.columns], rotation=45, ha="right")
    ax.set_yticks(range(n_rows), [str(i) for i in confusion.index])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    threshold = 0.5 * (1.0 if normalize else float(shades.max() or 1.0))
    if n_rows * n_cols <= 900:  # beyond 30 x 30 the numbers would be unreadable
        for i in range(n_rows):
            for j in range(n_cols):
                ax.text(j, i, str(int(counts[i, j])), ha="center", va="center", fontsize=8,
                        color="white" if shades[i, j] > threshold else "black")
    return _save(fig, path)


def _points(series: Sequence[tuple[int, float]] | Sequence[Mapping[str, float]], key: str) -> list[tuple[float, float]]:
    """(step, value) pairs from ``(step, value)`` tuples or HF ``log_history`` dicts holding ``key``."""
    points = []
    for item in series:
        if isinstance(item, Mapping):
            if key in item:
                points.append((float(item.get("step", len(points))), float(item[key])))
        else:
            step, value = item
            points.append((float(step), float(value)))
    return points


def plot_loss_curve(
    train: Sequence[tuple[int, float]] | Sequence[Mapping[str, float]],
    path: str | Path,
    *,
    eval_loss: Sequence[tuple[int, float]] | Sequence[Mapping[str, float]] | float | None = None,
    title: str = "Training loss",
) -> Path:
    """Write the training-loss curve (and evaluation loss, if given) as a PNG; returns the path.

    ``train`` is ``SFTResult.loss_history`` (``(step, loss)`` pairs) or a Hugging Face ``log_history``
    (dicts with ``step`` and ``loss``). ``eval_loss`` is a list in either form (``eval_loss`` key) or one
    number, drawn as a marker at the last training step. The y axis turns logarithmic when the losses span
    more than two orders of magnitude (a tiny model's loss falls from ~8 to ~0.01).
    """
    points = _points(train, "loss")
    if not points:
        raise ValueError("plot_loss_curve: no training-loss points (is loss_history empty? was logging_steps > steps?)")
    bad = [(s, v) for s, v in points if not math.isfinite(v)]
    if bad:
        raise ValueError(f"plot_loss_curve: non-finite training loss {bad[0][1]} at step {int(bad[0][0])}")
    if isinstance(eval_loss, (int, float)):
        eval_points = [(points[-1][0], float(eval_loss))]
    else:
        eval_points = _points(eval_loss, "eval_loss") if eval_loss is not None else []
    fig = _figure(7.0, 4.0)
    ax = fig.add_subplot()
    steps, losses = zip(*points, strict=True)
    ax.plot(steps, losses, label="train loss", color="tab:blue", marker="." if len(points) < 50 else None)
    if eval_points:
        eval_steps, eval_values = zip(*eval_points, strict=True)
        ax.plot(eval_steps, eval_values, label="eval loss", color="tab:orange", marker="o",
                linestyle="-" if len(eval_points) > 1 else "none")
    values = [v for _, v in points + eval_points]
    if min(values) > 0 and max(values) / min(values) > 100:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def plot_bars(values: Mapping[str, float], path: str | Path, title: str = "", ylabel: str = "") -> Path:
    """A bar per name (e.g. a sweep's trials by accuracy), in the given order; NaN values show as gaps."""
    if not values:
        raise ValueError("plot_bars needs at least one value")
    names = [str(n) for n in values]
    heights = [float(v) if v is not None and math.isfinite(float(v)) else 0.0 for v in values.values()]
    fig = _figure(max(4.0, 0.6 * len(names) + 2), 3.5)
    ax = fig.add_subplot(1, 1, 1)
    bars = ax.bar(range(len(names)), heights, color="#4c72b0")
    for bar, value in zip(bars, values.values(), strict=True):
        label = f"{float(value):.3f}" if value is not None and math.isfinite(float(value)) else "n/a"
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return _save(fig, path)
