"""Classify video files with a trained model or any of its exports.

    classifier = zoo.predict.load("runs/digits")             # or model.keras, an export folder,
    probabilities = classifier.classify_video("clip.mp4")     # model.tflite or model.onnx
    classifier.top_k(probabilities, k=3)                      # [("right", 0.97), ...]

Every kind of model samples a video the way its run did: `clip_len`,
`frame_step` and the number of clips come from the run's `config.json` or from
the clip settings an export carries (`zoo.export.clip`). Every kind also
preprocesses alike: a `.keras` model is wrapped in the SavedModel's own serving
function (`zoo.export.signature.serving_function`), and LiteRT and ONNX get
the same `preprocess_clips` in TensorFlow before their bare network. So a run
and its exports answer alike, and all preprocess like training evaluation.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from zoo.data.decode import read_video
from zoo.data.errors import DEFAULT_LIMITS, DecodeLimits
from zoo.data.samplers import multi_clip
from zoo.export.clip import CLIP_FILE, DEFAULT_FRAME_STEP, ClipSettings
from zoo.export.runtimes import LiteRTModel, OnnxModel
from zoo.export.signature import INPUT_NAME, preprocess_clips, serving_function
from zoo.export.to_saved_model import LABELS_FILE, THRESHOLDS_FILE
from zoo.training.run import RunDir
from zoo.training.tagging import read_thresholds

KINDS = "a run folder, a .keras file, a SavedModel folder, a .tflite file, an .onnx file or pretrained:NAME"


@dataclasses.dataclass
class Classifier:
    """A loaded model: uint8 clips `(N, T, H, W, 3)`, any H and W, to probabilities `(N, classes)`.

    `frame_step` and `num_clips` are how `classify_video` samples a video;
    `size` is the side the model resizes frames to, when known (None: a SavedModel).
    `thresholds` `(classes,)`: a multi-label model's score threshold for each
    label (its run's `thresholds.json`), None for a single-label model.
    """

    run_clips: Callable[[np.ndarray], np.ndarray]
    labels: list[str]
    clip_len: int
    frame_step: int = DEFAULT_FRAME_STEP
    num_clips: int = 1
    size: int | None = None
    thresholds: np.ndarray | None = None

    def sampler(self, num_clips: int | None = None) -> Callable[[int], np.ndarray]:
        """The frame numbers to decode of a video of `num_frames`: `multi_clip` with these settings."""
        return partial(
            multi_clip,
            clip_len=self.clip_len,
            frame_step=self.frame_step,
            num_clips=self.num_clips if num_clips is None else num_clips,
        )

    def classify_video(
        self,
        path: str | os.PathLike,
        num_clips: int | None = None,
        limits: DecodeLimits = DEFAULT_LIMITS,
    ) -> np.ndarray:
        """Class probabilities `(classes,)` of one video: the mean over evenly spaced clips.

        Only the sampled frames are decoded. `num_clips` defaults to the
        model's own setting (1 for a run; an export's `--clips`).

        Raises:
            zoo.data.VideoDecodeError: the file cannot be decoded.
        """
        num_clips = self.num_clips if num_clips is None else num_clips
        frames = read_video(path, self.sampler(num_clips), limits).frames
        clips = frames.reshape(num_clips, self.clip_len, *frames.shape[1:])
        return self.run_clips(clips).mean(axis=0)

    def top_k(self, probabilities: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
        """The `k` most probable `(label, probability)` pairs of `(classes,)` probabilities."""
        order = np.argsort(-probabilities, kind="stable")[:k]
        return [(self.labels[i], float(probabilities[i])) for i in order]

    def over_threshold(self, scores: np.ndarray) -> list[tuple[str, float]]:
        """A multi-label model's answer: the `(label, score)` pairs whose score reaches the
        label's threshold, highest first (possibly none)."""
        if self.thresholds is None:
            raise ValueError("over_threshold is for multi-label models, which have thresholds")
        over = [i for i in np.argsort(-scores, kind="stable") if scores[i] >= self.thresholds[i]]
        return [(self.labels[i], float(scores[i])) for i in over]


def read_labels(path: str | os.PathLike) -> list[str]:
    """Class names from a text file, one per line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: labels file not found")
    return [line for line in path.read_text().splitlines() if line.strip()]


def class_names(
    path: Path,
    classes: int,
    labels: str | os.PathLike | None = None,
    stored: Sequence[str] | None = None,
) -> list[str]:
    """The class names of the model at `path`: the `labels` file if given, else the model's
    own `stored` names, else "class_0", "class_1", ... (with a note on stderr).

    Raises:
        ValueError: the number of names is not `classes`.
    """
    if labels is None and stored is None:
        print(f"note: {path} has no labels file; naming classes class_0 ...", file=sys.stderr)
        return [f"class_{i}" for i in range(classes)]
    names = read_labels(labels) if labels is not None else list(stored)
    if len(names) != classes:
        raise ValueError(f"{path}: the model has {classes} classes but {len(names)} labels")
    return names


def load_keras(
    path: str | os.PathLike, labels: str | os.PathLike | None = None
) -> tuple[keras.Model, list[str], int]:
    """A Keras model with its class names and frame step, from a run folder, a `.keras` file
    or `pretrained:NAME` (weights shipped with zoo, named and sampled as their model card says).

    A run folder gives `model.keras`, `labels.txt` and the frame step of its
    `config.json`. For a bare `.keras` file the labels come from `labels` (a
    text file), else from a `labels.txt` beside it, else they are "class_0",
    "class_1", ...; the frame step is the training default. An explicit
    `labels` file always wins. Models load with Keras `safe_mode` on.

    Returns:
        `(model, labels, frame_step)`.
    """
    from zoo import models
    from zoo.models.pretrained import card, pretrained, shipped_name

    name = shipped_name(path)
    if name is not None:
        model, model_card = pretrained(name), card(name)
        stored = model_card["class_names"]
        names = class_names(Path(path), int(model.output_shape[-1]), labels, stored)
        return model, names, int(model_card["recipe"]["frame_step"])
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
    model = models.load(model_file)
    return model, class_names(path, int(model.output_shape[-1]), labels), frame_step


def is_saved_model(path: str | os.PathLike) -> bool:
    """Whether `path` is a SavedModel directory."""
    return (Path(path) / "saved_model.pb").is_file()


def recorded_sampling(path: Path, clip: ClipSettings | None) -> tuple[int, int]:
    """`(frame_step, num_clips)` an export records; the defaults, with a note, if it has none."""
    if clip is None:
        print(
            f"note: {path} records no clip settings (an older export); "
            f"sampling with frame step {DEFAULT_FRAME_STEP}, 1 clip",
            file=sys.stderr,
        )
        return DEFAULT_FRAME_STEP, 1
    return clip.frame_step, clip.num_clips


def _load_keras(path: str | os.PathLike, labels: str | os.PathLike | None) -> Classifier:
    classifier = keras_classifier(*load_keras(path, labels))
    if Path(path).is_dir():  # a run folder: a multi-label run keeps its thresholds there
        classifier.thresholds = read_thresholds_if_any(RunDir(path).thresholds, classifier.labels)
    return classifier


def read_thresholds_if_any(path: Path, names: Sequence[str]) -> np.ndarray | None:
    """The per-label thresholds in `path` (a multi-label model's), or None if there is no file."""
    return read_thresholds(path, names) if path.is_file() else None


def keras_classifier(model: keras.Model, names: list[str], frame_step: int) -> Classifier:
    """A `Classifier` around a Keras model, preprocessing by the SavedModel's serving function."""
    serve = serving_function(model, names, top_k=1)

    def run_clips(clips: np.ndarray) -> np.ndarray:
        return serve(tf.constant(clips, tf.uint8))["probabilities"].numpy()

    size = model.input_shape[2]
    return Classifier(
        run_clips, names, int(model.input_shape[1]), frame_step, size=int(size) if size else None
    )


def _load_saved_model(path: Path, labels: str | os.PathLike | None) -> Classifier:
    serve = tf.saved_model.load(os.fspath(path)).signatures["serving_default"]
    clip_len = int(serve.structured_input_signature[1][INPUT_NAME].shape[1])
    classes = int(serve.structured_outputs["probabilities"].shape[-1])
    stored = read_labels(path / LABELS_FILE) if (path / LABELS_FILE).is_file() else None
    clip_file = path / CLIP_FILE
    clip = ClipSettings.from_json(clip_file.read_text()) if clip_file.is_file() else None

    def run_clips(clips: np.ndarray) -> np.ndarray:
        return serve(**{INPUT_NAME: tf.constant(clips, tf.uint8)})["probabilities"].numpy()

    names = class_names(path, classes, labels, stored)
    classifier = Classifier(run_clips, names, clip_len, *recorded_sampling(path, clip))
    classifier.thresholds = read_thresholds_if_any(path / THRESHOLDS_FILE, names)
    return classifier


def _load_runtime(
    runtime: LiteRTModel | OnnxModel, path: Path, labels: str | os.PathLike | None
) -> Classifier:
    """A LiteRT or ONNX export, fed clips preprocessed in TensorFlow as the SavedModel does."""
    clip_len, size = runtime.clip_shape
    spec = tf.TensorSpec((None, clip_len, None, None, 3), tf.uint8)
    preprocess = tf.function(
        partial(preprocess_clips, clip_len=clip_len, size=size), input_signature=[spec]
    )

    def run_clips(clips: np.ndarray) -> np.ndarray:
        return runtime(preprocess(tf.constant(clips, tf.uint8)).numpy())

    names = class_names(path, runtime.num_classes, labels, runtime.labels)
    return Classifier(run_clips, names, clip_len, *recorded_sampling(path, runtime.clip), size=size)


def _load_file(path: Path, labels: str | os.PathLike | None) -> Classifier:
    """A `Classifier` from a model on disk, by its kind (see `KINDS`)."""
    if is_saved_model(path):
        return _load_saved_model(path, labels)
    if path.suffix == ".tflite" and path.is_file():
        return _load_runtime(LiteRTModel(path), path, labels)
    if path.suffix == ".onnx" and path.is_file():
        return _load_runtime(OnnxModel(path), path, labels)
    if path.is_dir() or (path.suffix == ".keras" and path.is_file()):
        return _load_keras(path, labels)
    raise FileNotFoundError(f"{path}: expected {KINDS}")


def load(
    path: str | os.PathLike,
    labels: str | os.PathLike | None = None,
    frame_step: int | None = None,
) -> Classifier:
    """A `Classifier` from a run folder, a `.keras` file, a SavedModel, a `.tflite` or an `.onnx`
    file, or `pretrained:NAME` (weights shipped with zoo).

    Args:
        path: the model.
        labels: a text file of class names, one per line, to use instead of
            the model's own (a run's `labels.txt`, a SavedModel's
            `assets.extra/labels.txt`, a `.tflite` file's sidecar, an `.onnx`
            file's metadata; see `load_keras` for a bare `.keras` file).
        frame_step: distance between sampled frames; default: the run's
            `config.json` or the export's clip settings, else 2.
    """
    from zoo.models.pretrained import shipped_name

    if shipped_name(path) is not None:
        classifier = _load_keras(path, labels)
    else:
        classifier = _load_file(Path(path), labels)
    if frame_step is not None:
        classifier.frame_step = frame_step
    return classifier
