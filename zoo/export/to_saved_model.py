"""SavedModel export: the serving signatures of `zoo.export.signature`, written atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import keras

from zoo.atomic import atomic_output
from zoo.export.clip import CLIP_FILE, ClipSettings
from zoo.export.signature import (
    check_clip,
    check_labels,
    serving_function,
    video_serving_function,
)
from zoo.training.tagging import write_thresholds

LABELS_FILE = "assets.extra/labels.txt"
THRESHOLDS_FILE = "assets.extra/thresholds.json"


def saved_model(
    model: keras.Model,
    path: str | os.PathLike,
    labels: Sequence[str],
    top_k: int = 5,
    clip: ClipSettings | None = None,
    thresholds: Sequence[float] | None = None,
) -> Path:
    """Writes `model` as a SavedModel for TF Serving, `tf.saved_model.load` and `saved_model_cli`.

    Two signatures, both returning `probabilities` (float32), `top_k_scores`
    (float32, highest first) and `top_k_labels` (string):

    - `serving_default` takes clips, `frames` uint8 `(batch, T, H, W, 3)` at
      any H and W, and answers per clip: `(batch, classes)`, `(batch, k)`.
    - `serving_video` takes every decoded frame of one video, `frames` uint8
      `(num_frames, H, W, 3)`, samples `clip.num_clips` clips `clip.frame_step`
      frames apart as `zoo.data.samplers.multi_clip` does, and answers with
      their mean: `(classes,)`, `(k,)`.

    A multi-label model (sigmoid scores) is exported with `thresholds`, one
    per label (RUN/thresholds.json): both signatures then also return
    `over_threshold` (bool, per label) and `labels_over_threshold` (string,
    per label: its name where the score reaches its threshold, else ""), and
    the thresholds go to `assets.extra/thresholds.json`.

    The class names are also written to `assets.extra/labels.txt`, and the
    clip settings to `assets.extra/clip.json` (see `zoo.export.clip`).

    The directory is built beside `path` and renamed into place, so `path`
    never holds a half-written model; an existing export there is replaced.

    Args:
        model: a zoo model, input `(batch, T, size, size, 3)`.
        path: the SavedModel folder to write.
        labels: the class names, in label-index order.
        top_k: labels returned per answer (at most the number of classes).
        clip: how the run samples videos; default: the model's `T` and `size`,
            every 2nd frame, one clip.
        thresholds: per-label score thresholds, in label order (multi-label
            models only); None: a single-label export.

    Returns:
        `path`, as a `Path`.
    """
    labels = check_labels(model, labels)
    clip = check_clip(model, clip)
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", serving_function(model, labels, top_k, thresholds))
    archive.add_endpoint(
        "serving_video", video_serving_function(model, labels, clip, top_k, thresholds)
    )
    path = Path(path)
    with atomic_output(path) as tmp:
        archive.write_out(os.fspath(tmp), verbose=False)
        (tmp / LABELS_FILE).parent.mkdir(parents=True, exist_ok=True)
        (tmp / LABELS_FILE).write_text("".join(f"{label}\n" for label in labels))
        (tmp / CLIP_FILE).write_text(clip.to_json() + "\n")
        if thresholds is not None:
            write_thresholds(tmp / THRESHOLDS_FILE, labels, thresholds)
    return path
