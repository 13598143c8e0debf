"""LiteRT (TFLite) export: float32, or int8 post-training quantised.

The `.tflite` model is the bare network: input `frames` float32
`(batch, T, size, size, 3)`, pixels in [0, 255] (preprocess with
`zoo.data.transforms.preprocess_clip`), output `probabilities`, with an open
batch (`Interpreter.resize_tensor_input`).

Its clip settings and class names are in a sidecar JSON file beside it,
`model.tflite.json`: `{"clip": {"clip_len": ..., "size": ..., "frame_step": ...,
"num_clips": ...}, "labels": [...]}` (`labels` only when given). A plain file
is simpler to read from any app than TFLite metadata, which needs the
flatbuffer schema. The sidecar is written atomically just before the model
is renamed into place, so a finished export always has the sidecar it was
written with.

Recurrent layers are unrolled over the clip's T frames (T is fixed by the
model) while converting. Left as a loop, an LSTM converts only with a fixed
batch of 1 (the converter cannot lower its tensor lists with an open batch),
and int8 calibration of the loop crashes the TF 2.21 calibrator.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from zoo.atomic import atomic_output
from zoo.data.pipeline import video_dataset
from zoo.export.clip import ClipSettings, litert_sidecar
from zoo.export.signature import check_clip, check_labels, model_clip_shape, model_function

QUANTIZATIONS = ("none", "int8")


@contextlib.contextmanager
def unrolled(model: keras.Model) -> Iterator[None]:
    """Within the block, every recurrent layer of `model` (nested ones too) unrolls when traced."""
    loops = [
        layer
        for layer in model._flatten_layers()
        if isinstance(layer, keras.layers.RNN) and not layer.unroll
    ]
    for layer in loops:
        layer.unroll = True
    try:
        yield
    finally:
        for layer in loops:
            layer.unroll = False


def convert(
    model: keras.Model,
    quantize: str = "none",
    representative_clips: Iterable[np.ndarray] | None = None,
) -> bytes:
    """The LiteRT flatbuffer of `model`.

    Args:
        model: a zoo model, input `(batch, T, size, size, 3)`.
        quantize: "none" (float32) or "int8" (post-training quantisation of
            weights and activations; input and output stay float32).
        representative_clips: clips `(T, size, size, 3)`, pixels in [0, 255], to
            calibrate the int8 ranges; a few dozen from the training data.
    """
    if quantize not in QUANTIZATIONS:
        raise ValueError(f"quantize must be one of {QUANTIZATIONS}, not {quantize!r}")
    if quantize == "int8" and representative_clips is None:
        raise ValueError("int8 quantisation needs representative_clips (clips of training data)")
    with tempfile.TemporaryDirectory() as saved, unrolled(model):
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint("serving_default", model_function(model))
        archive.write_out(saved, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved)
        if quantize == "int8":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda: _calibration_batches(representative_clips)
        return converter.convert()


def calibration_clips(
    model: keras.Model,
    source: str | os.PathLike,
    frame_step: int = 2,
    count: int = 64,
    split: str | None = "train",
    seed: int = 0,
) -> list[np.ndarray]:
    """`count` random clips of `source`, uint8 `(T, size, size, 3)`, shaped for `model`.

    The clips come through the evaluation path of `zoo.data.video_dataset`
    (centre clip, no augmentation), as the model will see them when serving.
    """
    clip_len, size = model_clip_shape(model)
    ds = video_dataset(
        source,
        clip_len=clip_len,
        frame_step=frame_step,
        size=size,
        split=split,
        batch_size=1,
        shuffle=True,
        seed=seed,
    )
    return [clips[0] for clips, _ in ds.take(count).as_numpy_iterator()]


def _calibration_batches(clips: Iterable[np.ndarray]) -> Iterator[list[np.ndarray]]:
    for clip in clips:
        yield [np.asarray(clip, np.float32)[None]]


def litert(
    model: keras.Model,
    path: str | os.PathLike,
    quantize: str = "none",
    representative_clips: Iterable[np.ndarray] | None = None,
    *,
    labels: Sequence[str] | None = None,
    clip: ClipSettings | None = None,
) -> Path:
    """Writes `model` as a `.tflite` file at `path` and its sidecar JSON, atomically.

    See `convert` for `quantize` and `representative_clips`. `labels` (the
    class names) and `clip` (default: the model's `T` and `size`, every 2nd
    frame, one clip) go to the sidecar, `litert_sidecar(path)`.
    """
    record = {"clip": check_clip(model, clip).to_record()}
    if labels is not None:
        record["labels"] = check_labels(model, labels)
    flatbuffer = convert(model, quantize, representative_clips)
    path = Path(path)
    with atomic_output(path) as tmp:
        tmp.write_bytes(flatbuffer)
        with atomic_output(litert_sidecar(path)) as sidecar:
            sidecar.write_text(json.dumps(record, indent=2) + "\n")
    return path
