"""Classify video files with a trained model: a `.keras` file, a run folder, or a SavedModel.

    classifier = zoo.predict.load("runs/digits")            # or model.keras, or an export
    probabilities = classifier.classify_video("clip.mp4", num_clips=3)
    classifier.top_k(probabilities, k=3)                     # [("right", 0.97), ...]

Every kind of model goes through the same serving function
(`zoo.export.signature.serving_function`): a `.keras` model is wrapped in it
here, a SavedModel carries it as its `serving_default` signature. So a model
and its export answer alike, and both preprocess like training evaluation.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from zoo.data.decode import read_video
from zoo.data.errors import DEFAULT_LIMITS, DecodeLimits
from zoo.data.samplers import multi_clip
from zoo.export.signature import INPUT_NAME, serving_function
from zoo.export.to_saved_model import LABELS_FILE
from zoo.training.run import RunDir

DEFAULT_FRAME_STEP = 2  # the training default (`TrainConfig.frame_step`)


@dataclasses.dataclass
class Classifier:
    """A loaded model: uint8 clips `(N, T, H, W, 3)`, any H and W, to probabilities `(N, classes)`."""

    run_clips: Callable[[np.ndarray], np.ndarray]
    labels: list[str]
    clip_len: int
    frame_step: int = DEFAULT_FRAME_STEP

    def classify_video(
        self, path: str | os.PathLike, num_clips: int = 1, limits: DecodeLimits = DEFAULT_LIMITS
    ) -> np.ndarray:
        """Class probabilities `(classes,)` of one video: the mean over `num_clips` evenly spaced clips.

        Raises:
            zoo.data.VideoDecodeError: the file cannot be decoded.
        """
        sample = partial(
            multi_clip, clip_len=self.clip_len, frame_step=self.frame_step, num_clips=num_clips
        )
        frames = read_video(path, sample, limits).frames
        clips = frames.reshape(num_clips, self.clip_len, *frames.shape[1:])
        return self.run_clips(clips).mean(axis=0)

    def top_k(self, probabilities: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
        """The `k` most probable `(label, probability)` pairs of `(classes,)` probabilities."""
        order = np.argsort(-probabilities, kind="stable")[:k]
        return [(self.labels[i], float(probabilities[i])) for i in order]


def read_labels(path: str | os.PathLike) -> list[str]:
    """Class names from a text file, one per line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: labels file not found")
    return [line for line in path.read_text().splitlines() if line.strip()]


def load_keras(
    path: str | os.PathLike, labels: str | os.PathLike | None = None
) -> tuple[keras.Model, list[str], int]:
    """A Keras model with its class names and frame step, from a run folder or a `.keras` file.

    A run folder gives `model.keras`, `labels.txt` and the frame step of its
    `config.json`. For a bare `.keras` file the labels come from `labels` (a
    text file), else from a `labels.txt` beside it, else they are "class_0",
    "class_1", ...; the frame step is the training default. An explicit
    `labels` file always wins. Models load with Keras `safe_mode` on.

    Returns:
        `(model, labels, frame_step)`.
    """
    import zoo.models  # noqa: F401  (registers the zoo's custom layers for loading)

    path = Path(path)
    frame_step = DEFAULT_FRAME_STEP
    if path.is_dir():
        run = RunDir(path)
        if not run.model.is_file():
            raise FileNotFoundError(f"{path}: not a run folder (no model.keras)")
        model_file, labels = run.model, labels or run.labels
        if run.config.is_file():
            frame_step = run.read_config().frame_step
    elif path.suffix == ".keras" and path.is_file():
        model_file, beside = path, path.with_name("labels.txt")
        labels = labels or (beside if beside.is_file() else None)
    else:
        raise FileNotFoundError(f"{path}: expected a run folder or a .keras file")
    model = keras.models.load_model(model_file, compile=False, safe_mode=True)
    if labels is None:
        names = [f"class_{i}" for i in range(int(model.output_shape[-1]))]
        print(f"note: {path} has no labels file; naming classes class_0 ...", file=sys.stderr)
    else:
        names = read_labels(labels)
    return model, names, frame_step


def is_saved_model(path: str | os.PathLike) -> bool:
    """Whether `path` is a SavedModel directory."""
    return (Path(path) / "saved_model.pb").is_file()


def _load_saved_model(path: Path, labels: str | os.PathLike | None) -> Classifier:
    serve = tf.saved_model.load(os.fspath(path)).signatures["serving_default"]
    clip_len = int(serve.structured_input_signature[1][INPUT_NAME].shape[1])
    names = read_labels(labels or path / LABELS_FILE)
    classes = int(serve.structured_outputs["probabilities"].shape[-1])
    if len(names) != classes:
        raise ValueError(f"{path}: the model has {classes} classes but {len(names)} labels")

    def run_clips(clips: np.ndarray) -> np.ndarray:
        return serve(**{INPUT_NAME: tf.constant(clips, tf.uint8)})["probabilities"].numpy()

    return Classifier(run_clips, names, clip_len)


def load(
    path: str | os.PathLike,
    labels: str | os.PathLike | None = None,
    frame_step: int | None = None,
) -> Classifier:
    """A `Classifier` from a SavedModel export, a run folder or a `.keras` file.

    Args:
        path: the model.
        labels: a text file of class names, one per line, to use instead of
            the model's own (see `load_keras`; a SavedModel keeps them in
            `assets.extra/labels.txt`).
        frame_step: distance between sampled frames; default: the run's
            `config.json`, else 2.
    """
    path = Path(path)
    if is_saved_model(path):
        classifier = _load_saved_model(path, labels)
    else:
        model, names, run_step = load_keras(path, labels)
        serve = serving_function(model, names, top_k=1)

        def run_clips(clips: np.ndarray) -> np.ndarray:
            return serve(tf.constant(clips, tf.uint8))["probabilities"].numpy()

        classifier = Classifier(run_clips, names, int(model.input_shape[1]), run_step)
    if frame_step is not None:
        classifier.frame_step = frame_step
    return classifier
