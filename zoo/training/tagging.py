"""Multi-label tagging: per-label thresholds tuned on validation, mAP and per-label F1.

A multi-label run (`zoo train --multi-label`) ends in one sigmoid score per
label. After training, `tune_thresholds` picks for each label the score
threshold with the highest F1 on the validation clips, and the run keeps them
in RUN/thresholds.json (`write_thresholds`); exports carry them, so a served
model answers with the labels over threshold. `tagging_metrics` measures a
set of scores: mean average precision (scikit-learn's, threshold-free) and
precision, recall and F1 per label at the stored thresholds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

DEFAULT_THRESHOLD = 0.5  # for a label without positive validation clips


def collect(model: keras.Model, ds: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Scores and targets of every clip of `ds`, batches of `(clips, multi-hot (B, C))`.

    Returns:
        `(scores float32 (N, C), targets float32 (N, C))`.
    """
    scores, targets = [], []
    for clips, labels in ds.as_numpy_iterator():
        scores.append(np.asarray(model.predict_on_batch(clips), np.float32))
        targets.append(np.asarray(labels, np.float32))
    return np.concatenate(scores), np.concatenate(targets)


def _f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    """F1 of boolean predictions `(N,)` against boolean truth `(N,)`; 0 when both are empty."""
    tp = float(np.sum(predicted & truth))
    denominator = float(np.sum(predicted) + np.sum(truth))
    return 2 * tp / denominator if denominator else 0.0


def tune_thresholds(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """float32 `(C,)`: for each label, the threshold on scores `(N, C)` with the best F1.

    A clip has a label when its score is at least the threshold. Candidates
    lie halfway between consecutive distinct scores (and below the lowest),
    so the threshold sits in the gap it was chosen for; of equal F1s, the
    highest threshold wins. A label without positives gets `DEFAULT_THRESHOLD`.
    """
    thresholds = np.full(scores.shape[1], DEFAULT_THRESHOLD, np.float32)
    for label in range(scores.shape[1]):
        truth = targets[:, label] > 0.5
        if not truth.any():
            continue
        values = np.unique(scores[:, label])  # ascending
        candidates = np.concatenate([[values[0] / 2], (values[:-1] + values[1:]) / 2])
        f1 = [_f1(scores[:, label] >= t, truth) for t in candidates]
        best = len(f1) - 1 - int(np.argmax(f1[::-1]))  # the highest of the best
        thresholds[label] = candidates[best]
    return thresholds


def tagging_metrics(
    scores: np.ndarray, targets: np.ndarray, thresholds: np.ndarray, class_names: Sequence[str]
) -> dict:
    """Tagging metrics of scores `(N, C)` against multi-hot targets `(N, C)`.

    `map`: the mean over labels with a positive clip of scikit-learn's
    `average_precision_score`; `macro_f1` and `micro_f1` at `thresholds`
    `(C,)`; `exact_match`: the share of clips whose labels over threshold are
    exactly theirs; `per_label`: AP, precision, recall, F1, threshold and
    positives for each label.
    """
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support

    truth = targets > 0.5
    predicted = scores >= np.asarray(thresholds)[None]
    present = truth.any(axis=0)
    ap = np.full(len(class_names), np.nan)
    if present.any():
        ap[present] = average_precision_score(truth[:, present], scores[:, present], average=None)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, average=None, zero_division=0
    )
    micro = precision_recall_fscore_support(truth, predicted, average="micro", zero_division=0)
    per_label = {
        name: {
            "ap": None if np.isnan(ap[i]) else float(ap[i]),
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "threshold": float(thresholds[i]),
            "positives": int(support[i]),
        }
        for i, name in enumerate(class_names)
    }
    return {
        "map": float(np.nanmean(ap)) if present.any() else None,
        "macro_f1": float(np.mean(f1)),
        "micro_f1": float(micro[2]),
        "exact_match": float(np.mean((predicted == truth).all(axis=1))),
        "clips": int(len(scores)),
        "per_label": per_label,
    }


def write_thresholds(
    path: str | os.PathLike, class_names: Sequence[str], thresholds: np.ndarray
) -> None:
    """Writes `{"label": threshold, ...}` in label order as JSON to `path`."""
    record = {name: round(float(t), 6) for name, t in zip(class_names, thresholds, strict=True)}
    Path(path).write_text(json.dumps(record, indent=2) + "\n")


def read_thresholds(path: str | os.PathLike, class_names: Sequence[str]) -> np.ndarray:
    """float32 `(C,)` from a `write_thresholds` file, in the order of `class_names`.

    Raises:
        ValueError: the file does not name exactly `class_names`.
    """
    record = json.loads(Path(path).read_text())
    if not isinstance(record, dict) or sorted(record) != sorted(class_names):
        raise ValueError(
            f"{path}: thresholds must be given for exactly the labels {list(class_names)}"
        )
    return np.array([float(record[name]) for name in class_names], np.float32)


def format_report(metrics: dict, title: str) -> str:
    """`tagging_metrics` as text: the summary line, then one row per label."""
    lines = [
        title,
        f"mAP {metrics['map']:.3f}  macro F1 {metrics['macro_f1']:.3f}  "
        f"micro F1 {metrics['micro_f1']:.3f}  exact match {metrics['exact_match']:.3f}",
        f"{'label':16s} {'AP':>6s} {'prec':>6s} {'recall':>6s} {'F1':>6s} {'thresh':>6s} {'pos':>5s}",
    ]
    for name, row in metrics["per_label"].items():
        ap = "-" if row["ap"] is None else f"{row['ap']:.3f}"
        lines.append(
            f"{name:16s} {ap:>6s} {row['precision']:6.3f} {row['recall']:6.3f} "
            f"{row['f1']:6.3f} {row['threshold']:6.3f} {row['positives']:5d}"
        )
    return "\n".join(lines) + "\n"
