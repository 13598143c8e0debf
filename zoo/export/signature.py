"""The functions that exports are made of.

`serving_function`: raw uint8 clips in, probabilities and top-k labels out. It
is the `serving_default` signature of every exported SavedModel, and
`zoo predict` calls the same function on Keras models, so a `.keras` file and
its export give the same answers. Preprocessing is the training evaluation
path, `zoo.data.transforms.preprocess_clip`, traced into the graph.

`video_serving_function`: all decoded frames of one video in, averaged
probabilities and top-k labels out. It samples the clips itself, exactly as
`zoo.data.samplers.multi_clip` does, so a server needs no zoo to sample like
the run did. It is the `serving_video` signature of every exported SavedModel.

`model_function`: the bare model, float32 clips of pixels in [0, 255] to probabilities,
for LiteRT and ONNX, whose runtimes lack the resizing ops.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from zoo.data.transforms import preprocess_clip
from zoo.export.clip import ClipSettings

INPUT_NAME = "frames"
OUTPUT_NAMES = ("probabilities", "top_k_scores", "top_k_labels")
# Also returned by a multi-label model's signatures (exported with thresholds).
TAG_OUTPUT_NAMES = ("over_threshold", "labels_over_threshold")


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


def check_clip(model: keras.Model, clip: ClipSettings | None = None) -> ClipSettings:
    """`clip`, checked against the model's input shape; `None` gives the model's `T` and `size`
    with the default sampling (every 2nd frame, one clip).
    """
    clip_len, size = model_clip_shape(model)
    if clip is None:
        return ClipSettings(clip_len, size)
    if (clip.clip_len, clip.size) != (clip_len, size):
        raise ValueError(
            f"model {model.name!r} takes clips of {clip_len} frames at {size}x{size}, "
            f"not {clip.clip_len} at {clip.size}x{clip.size}"
        )
    return clip


def preprocess_clips(frames: tf.Tensor, clip_len: int, size: int) -> tf.Tensor:
    """uint8 clips `(batch, clip_len, H, W, 3)` to uint8 `(batch, clip_len, size, size, 3)`.

    Every frame is resized (shorter side) and center-cropped to `size` by
    `preprocess_clip`, as training evaluation does.
    """
    images = tf.reshape(frames, tf.concat([[-1], tf.shape(frames)[2:]], axis=0))
    return tf.reshape(preprocess_clip(images, size), (-1, clip_len, size, size, 3))


def _round_half_even(numerator: tf.Tensor, denominator: int) -> tf.Tensor:
    """`numerator / denominator` rounded to the nearest integer, halves to even, like `np.round`.

    Integer arithmetic: Grappler rewrites float division by a constant into a
    multiplication by its reciprocal, which moves exact halves.
    """
    nearest = (2 * numerator + denominator) // (2 * denominator)  # halves round up
    half = (2 * numerator) % (2 * denominator) == denominator
    return tf.where(half & (nearest % 2 == 1), nearest - 1, nearest)


def multi_clip_indices(
    num_frames: tf.Tensor, clip_len: int, frame_step: int, num_clips: int
) -> tf.Tensor:
    """`zoo.data.samplers.multi_clip` in TensorFlow: int32 frame numbers `(num_clips, clip_len)`.

    Clip `i` starts at `round(i * last / (num_clips - 1))`, `last` being the
    latest start that fits the clip (0 for a short video), halves rounded to
    even; frames are `frame_step` apart, and frame numbers past the end repeat
    the last frame. One clip starts at frame 0. The same integer rule as
    `multi_clip`, so both pick the same frames.
    """
    span = (clip_len - 1) * frame_step + 1
    last = tf.cast(tf.maximum(num_frames - span, 0), tf.int64)
    if num_clips == 1:
        starts = tf.zeros([1], tf.int64)
    else:
        starts = _round_half_even(tf.range(num_clips, dtype=tf.int64) * last, num_clips - 1)
    indices = tf.cast(starts, tf.int32)[:, None] + frame_step * tf.range(clip_len)[None, :]
    return tf.minimum(indices, tf.maximum(num_frames - 1, 0))


def _classify(model: keras.Model, frames: tf.Tensor, clip_len: int, size: int) -> tf.Tensor:
    """float32 probabilities `(batch, classes)` of uint8 clips `(batch, clip_len, H, W, 3)`."""
    clips = preprocess_clips(frames, clip_len, size)
    return tf.cast(model(clips, training=False), tf.float32)


def _answer(
    probabilities: tf.Tensor, label_table: tf.Tensor, k: int, thresholds: tf.Tensor | None = None
) -> dict[str, tf.Tensor]:
    """The outputs of both serving signatures, from probabilities `(..., classes)`.

    With `thresholds` float32 `(classes,)` (a multi-label model, whose
    "probabilities" are per-label scores), also `over_threshold` bool
    `(..., classes)`, whether each score reaches its label's threshold, and
    `labels_over_threshold` string `(..., classes)`: the label name where it
    does, "" where not.
    """
    scores, indices = tf.math.top_k(probabilities, k=k)
    answer = {
        "probabilities": probabilities,
        "top_k_scores": scores,
        "top_k_labels": tf.gather(label_table, indices),
    }
    if thresholds is not None:
        over = probabilities >= thresholds
        names = tf.broadcast_to(label_table, tf.shape(probabilities))
        answer["over_threshold"] = over
        answer["labels_over_threshold"] = tf.where(over, names, tf.zeros_like(names))
    return answer


def _threshold_table(model: keras.Model, thresholds: Sequence[float] | None) -> tf.Tensor | None:
    """`thresholds` as float32 `(classes,)`, checked against the model's classes; None stays."""
    if thresholds is None:
        return None
    classes = int(model.output_shape[-1])
    if len(thresholds) != classes:
        raise ValueError(
            f"model {model.name!r} has {classes} labels but {len(thresholds)} thresholds were given"
        )
    return tf.constant([float(t) for t in thresholds], tf.float32)


def _label_table(model: keras.Model, labels: Sequence[str], top_k: int) -> tuple[tf.Tensor, int]:
    """The class names as a string tensor, and `k = min(top_k, classes)`."""
    labels = check_labels(model, labels)
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, not {top_k}")
    return tf.constant(labels, tf.string), min(int(top_k), len(labels))


def serving_function(
    model: keras.Model,
    labels: Sequence[str],
    top_k: int = 5,
    thresholds: Sequence[float] | None = None,
) -> tf.types.experimental.PolymorphicFunction:
    """A `tf.function` from uint8 `frames` `(batch, T, H, W, 3)`, any H and W, to a dict of

    - `probabilities` float32 `(batch, classes)`,
    - `top_k_scores` float32 `(batch, k)`, highest first,
    - `top_k_labels` string `(batch, k)`,
    - with `thresholds` (one per label, a multi-label model): `over_threshold`
      bool `(batch, classes)` and `labels_over_threshold` string `(batch, classes)`
      (see `_answer`),

    with `k = min(top_k, classes)`. Frames are preprocessed by `preprocess_clips`.
    """
    clip_len, size = model_clip_shape(model)
    label_table, k = _label_table(model, labels, top_k)
    threshold_table = _threshold_table(model, thresholds)
    spec = tf.TensorSpec((None, clip_len, None, None, 3), tf.uint8, name=INPUT_NAME)

    @tf.function(input_signature=[spec])
    def serve(frames: tf.Tensor) -> dict[str, tf.Tensor]:
        return _answer(_classify(model, frames, clip_len, size), label_table, k, threshold_table)

    return serve


def video_serving_function(
    model: keras.Model,
    labels: Sequence[str],
    clip: ClipSettings | None = None,
    top_k: int = 5,
    thresholds: Sequence[float] | None = None,
) -> tf.types.experimental.PolymorphicFunction:
    """A `tf.function` from all decoded frames of one video, uint8 `frames` `(num_frames, H, W, 3)`,
    to a dict of `probabilities` float32 `(classes,)`, `top_k_scores` float32 `(k,)` and
    `top_k_labels` string `(k,)`: the mean over `clip.num_clips` clips sampled by
    `multi_clip_indices` with `clip.frame_step`, each preprocessed as in `serving_function`.
    `clip` is checked by `check_clip` (`None`: the default sampling). With
    `thresholds`, also `over_threshold` bool `(classes,)` and
    `labels_over_threshold` string `(classes,)` of the mean scores.
    """
    clip = check_clip(model, clip)
    label_table, k = _label_table(model, labels, top_k)
    threshold_table = _threshold_table(model, thresholds)
    spec = tf.TensorSpec((None, None, None, 3), tf.uint8, name=INPUT_NAME)

    @tf.function(input_signature=[spec])
    def serve_video(frames: tf.Tensor) -> dict[str, tf.Tensor]:
        num_frames = tf.shape(frames)[0]
        tf.debugging.assert_positive(num_frames, message="the video has no frames")
        indices = multi_clip_indices(num_frames, clip.clip_len, clip.frame_step, clip.num_clips)
        probabilities = _classify(model, tf.gather(frames, indices), clip.clip_len, clip.size)
        return _answer(tf.reduce_mean(probabilities, axis=0), label_table, k, threshold_table)

    return serve_video


def model_function(
    model: keras.Model, batch_size: int | None = None
) -> tf.types.experimental.PolymorphicFunction:
    """A `tf.function` from float32 `frames` `(batch, T, size, size, 3)`, pixels in [0, 255],
    to a dict `{"probabilities": float32 (batch, classes)}`; `batch_size=None` leaves the
    batch open.
    """
    clip_len, size = model_clip_shape(model)
    spec = tf.TensorSpec((batch_size, clip_len, size, size, 3), tf.float32, name=INPUT_NAME)

    @tf.function(input_signature=[spec])
    def predict(frames: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"probabilities": tf.cast(model(frames, training=False), tf.float32)}

    return predict
