"""SavedModel export: the serving signature of `zoo.export.signature`, written atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import keras

from zoo.export.atomic import atomic_output
from zoo.export.signature import check_labels, serving_function

LABELS_FILE = "assets.extra/labels.txt"


def saved_model(
    model: keras.Model, path: str | os.PathLike, labels: Sequence[str], top_k: int = 5
) -> Path:
    """Writes `model` as a SavedModel for TF Serving, `tf.saved_model.load` and `saved_model_cli`.

    The `serving_default` signature takes `frames`, uint8 `(batch, T, H, W, 3)`
    at any H and W, and returns `probabilities` float32 `(batch, classes)`,
    `top_k_scores` float32 `(batch, k)` and `top_k_labels` string `(batch, k)`.
    The class names are also written to `assets.extra/labels.txt`.

    The directory is built beside `path` and renamed into place, so `path`
    never holds a half-written model; an existing export there is replaced.

    Returns:
        `path`, as a `Path`.
    """
    labels = check_labels(model, labels)
    serve = serving_function(model, labels, top_k)
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", serve)
    path = Path(path)
    with atomic_output(path) as tmp:
        archive.write_out(os.fspath(tmp), verbose=False)
        labels_file = tmp / LABELS_FILE
        labels_file.parent.mkdir(parents=True, exist_ok=True)
        labels_file.write_text("".join(f"{label}\n" for label in labels))
    return path
