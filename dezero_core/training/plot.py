"""The training report: loss and accuracy per epoch, train and test, as a PNG (needs matplotlib)."""
from __future__ import annotations

import os
from typing import Any, Sequence

from dezero_core.serialization import atomic_write

SERIES = (("train", "#1f77b4", "-"), ("test", "#d62728", "--"))
FIGSIZE = (10, 4)
MATPLOTLIB_HINT = ("plotting the training report needs matplotlib: pip install matplotlib "
                   "(or pip install 'dezero-core[train]')")


def plot_history(history: Sequence[dict[str, Any]], path: "str | os.PathLike[str]", title: str = "") -> None:
    """Draw ``history`` (the Trainer's per-epoch records) into the PNG ``path``, written atomically.

    Two panels: loss and accuracy against the epoch, one line for train and one for test where the
    records have them. Uses matplotlib's Agg canvas directly, so no display and no pyplot state.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(MATPLOTLIB_HINT) from exc
    fig = Figure(figsize=FIGSIZE, dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    draw_history(fig, history, title)
    atomic_write(path, lambda f: fig.savefig(f, format="png"))


def draw_history(fig: Any, history: Sequence[dict[str, Any]], title: str = "") -> None:
    """Draw ``history`` into the matplotlib figure ``fig`` (of any canvas: Agg, or pyplot's on a
    display): a loss panel and an accuracy panel against the epoch, train and test."""
    if not history:
        raise ValueError("nothing to plot: the history is empty (run Trainer.fit first)")
    epochs = [r["epoch"] for r in history]
    for ax, metric in zip(fig.subplots(1, 2), ("loss", "accuracy")):
        for split, color, style in SERIES:
            values = [r.get(f"{split}_{metric}") for r in history]
            if any(v is not None for v in values):
                last = next(v for v in reversed(values) if v is not None)
                ax.plot(epochs, values, style, color=color, marker="o", markersize=3,
                        label=f"{split} (last {last:.4g})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend()
        else:
            ax.text(0.5, 0.5, f"no {metric} recorded", ha="center", va="center", transform=ax.transAxes)
        if len(epochs) < 12:
            ax.set_xticks(epochs)
    if title:
        fig.suptitle(title)
