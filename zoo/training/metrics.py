"""Classification metrics as a pure function of true labels and predicted probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import metrics as skm


def classification_metrics(
    y_true: np.ndarray, probs: np.ndarray, class_names: list[str]
) -> dict[str, Any]:
    """Top-1/top-5 accuracy, mean class accuracy, per-class precision/recall/F1, confusion matrix.

    Args:
        y_true: int `(N,)` true class indices.
        probs: float `(N, C)` class probabilities (or any scores; only their order counts).
        class_names: `C` names, in index order.

    Returns:
        A JSON-ready dict: `top1`, `top5` (top-`min(5, C)`), `mean_class_accuracy`
        (the mean over classes of per-class recall, classes without examples
        left out), `per_class` (name -> precision, recall, f1, support) and
        `confusion_matrix` (rows: true class, columns: predicted class).
    """
    y_true = np.asarray(y_true)
    probs = np.asarray(probs)
    labels = np.arange(len(class_names))
    y_pred = probs.argmax(axis=1)
    k = min(5, len(class_names))
    top_k = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "num_examples": int(len(y_true)),
        "top1": float(np.mean(y_pred == y_true)),
        "top5": float(np.mean((top_k == y_true[:, None]).any(axis=1))),
        "top5_k": k,
        "mean_class_accuracy": float(np.mean(recall[support > 0])),
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for name, p, r, f, s in zip(class_names, precision, recall, f1, support, strict=True)
        },
        "confusion_matrix": skm.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def format_report(metrics: dict[str, Any], title: str) -> str:
    """A plain-text report of `classification_metrics` output, headed by `title`."""
    lines = [
        title,
        f"top-1 accuracy       {metrics['top1']:.2%}",
        f"top-{metrics['top5_k']} accuracy       {metrics['top5']:.2%}",
        f"mean class accuracy  {metrics['mean_class_accuracy']:.2%}",
        "",
        f"{'class':20s} {'precision':>9s} {'recall':>9s} {'f1':>9s} {'support':>8s}",
    ]
    for name, m in metrics["per_class"].items():
        lines.append(
            f"{name:20s} {m['precision']:9.3f} {m['recall']:9.3f} {m['f1']:9.3f} {m['support']:8d}"
        )
    return "\n".join(lines) + "\n"
