"""The functions that exports are made of.

`serving_function`: raw uint8 clips in, probabilities and top-k labels out. It
is the `serving_default` signature of every exported SavedModel, and
`zoo predict` calls the same function on Keras models, so a `.keras` file and
its export give the same answers. Preprocessing is the training evaluation
path, `zoo.data.transforms.preprocess_clip`, traced into the graph.

`model_function`: the bare model, float32 clips in [0, 1] to probabilities,
for LiteRT and ONNX, whose runtimes lack the resizing ops.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from zoo.data.transforms import preprocess_clip

INPUT_NAME = "frames"
OUTPUT_NAMES = ("probabilities", "top_k_scores", "top_k_labels")


def model_clip_shape(model: keras.Model) -> tuple[int, int]:
    """`(T, size)` of a zoo model whose input is `(batch, T, size, size, 3)`."""
    shape = tuple(model.input_shape)
    if len(shape) != 5 or shape[-1] != 3 or None in shape[1:] or shape[2] != shape[3]:
        raise ValueError(
            f"model {model.name!r} has input shape {shape}; export needs (batch, T, size, size, 3) "
            "with T and size fixed"
        )
    return int(shape[1]), int(shape[2])


def check_labels(model: keras.Model, labels: Sequence[str]) -> list[str]:
    """`labels` as a list, checked against the model's number of classes."""
    labels = [str(label) for label in labels]
    classes = int(model.output_shape[-1])
    if len(labels) != classes:
        raise ValueError(
            f"model {model.name!r} has {classes} classes but {len(labels)} labels were given"
        )
    return labels


def serving_function(
    model: keras.Model, labels: Sequence[str], top_k: int = 5
) -> tf.types.experimental.PolymorphicFunction:
    """A `tf.function` from uint8 `frames` `(batch, T, H, W, 3)`, any H and W, to a dict of

    - `probabilities` float32 `(batch, classes)`,
    - `top_k_scores` float32 `(batch, k)`, highest first,
    - `top_k_labels` string `(batch, k)`,

    with `k = min(top_k, classes)`. Every frame is resized (shorter side) and
    center-cropped to the model's size and scaled to [0, 1] by `preprocess_clip`.
    """
    clip_len, size = model_clip_shape(model)
    label_table = tf.constant(check_labels(model, labels), tf.string)
    k = min(int(top_k), len(labels))
    if k < 1:
        raise ValueError(f"top_k must be at least 1, not {top_k}")
    spec = tf.TensorSpec((None, clip_len, None, None, 3), tf.uint8, name=INPUT_NAME)

    @tf.function(input_signature=[spec])
    def serve(frames: tf.Tensor) -> dict[str, tf.Tensor]:
        image_shape = tf.shape(frames)[2:]
        images = tf.reshape(frames, tf.concat([[-1], image_shape], axis=0))
        clips = tf.reshape(preprocess_clip(images, size), (-1, clip_len, size, size, 3))
        probabilities = tf.cast(model(clips, training=False), tf.float32)
        scores, indices = tf.math.top_k(probabilities, k=k)
        return {
            "probabilities": probabilities,
            "top_k_scores": scores,
            "top_k_labels": tf.gather(label_table, indices),
        }

    return serve


def model_function(
    model: keras.Model, batch_size: int | None = None
) -> tf.types.experimental.PolymorphicFunction:
    """A `tf.function` from float32 `frames` `(batch, T, size, size, 3)` in [0, 1] to a dict
    `{"probabilities": float32 (batch, classes)}`; `batch_size=None` leaves the batch open.
    """
    clip_len, size = model_clip_shape(model)
    spec = tf.TensorSpec((batch_size, clip_len, size, size, 3), tf.float32, name=INPUT_NAME)

    @tf.function(input_signature=[spec])
    def predict(frames: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"probabilities": tf.cast(model(frames, training=False), tf.float32)}

    return predict
