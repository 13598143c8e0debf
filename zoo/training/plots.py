"""Pictures of a run, saved as PNG files.

Drawn on `matplotlib.figure.Figure` objects, not through `pyplot`: no display is
needed, and the global backend is left as it is, so a notebook that imports
zoo still shows its own figures inline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def plot_curves(history: list[dict[str, float]], path: Path) -> None:
    """Loss, accuracy and learning rate per epoch (rows of history.csv) into one PNG."""
    epochs = [int(row["epoch"]) + 1 for row in history]
    panels = [
        ("loss", ["loss", "val_loss"]),
        ("accuracy", ["accuracy", "val_accuracy", "pr_auc", "val_pr_auc"]),
        ("learning rate", ["learning_rate"]),
    ]
    fig = Figure(figsize=(4 * len(panels), 3.2))
    axes = fig.subplots(1, len(panels))
    for ax, (title, keys) in zip(axes, panels, strict=True):
        for key in keys:
            if history and key in history[0]:
                ax.plot(epochs, [row[key] for row in history], marker="o", label=key)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def plot_confusion(matrix: list[list[int]], class_names: list[str], path: Path) -> None:
    """The confusion matrix (rows: true, columns: predicted) with counts in the cells."""
    matrix = np.asarray(matrix)
    side = 1.5 + 0.5 * len(class_names)
    fig = Figure(figsize=(side + 1, side))
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=45, ha="right")
    ax.set_yticks(ticks, class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(
            j,
            i,
            str(count),
            ha="center",
            va="center",
            color="white" if count > matrix.max() / 2 else "black",
        )
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def plot_mistakes(frames: np.ndarray, titles: list[str], path: Path, frames_shown: int = 4) -> None:
    """A gallery: one row per misclassified clip, `frames_shown` frames across it.

    Args:
        frames: uint8 `(N, T, H, W, 3)`, the clips to show as the model took them (N may be 0).
        titles: one caption per clip, such as "true left, predicted right (0.93)".
        path: where the PNG goes.
    """
    rows = max(len(frames), 1)
    fig = Figure(figsize=(1.6 * frames_shown, 1.7 * rows))
    axes = fig.subplots(rows, frames_shown, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    if not len(frames):
        axes[0, 0].set_title("no mistakes", loc="left")
    for row, (clip, title) in enumerate(zip(frames, titles, strict=True)):
        picks = np.linspace(0, len(clip) - 1, frames_shown).round().astype(int)
        for col, t in enumerate(picks):
            axes[row, col].imshow(clip[t])
            caption = f"{title}\nframe {t}" if col == 0 else f"frame {t}"
            axes[row, col].set_title(caption, fontsize=7, loc="left" if col == 0 else "center")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
