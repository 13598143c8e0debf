"""Clip transforms in TensorFlow, identical across the frames of one clip.

Every function takes a clip `(T, H, W, C)` and draws its random parameters once
per clip, so a crop, flip or colour change never flickers from frame to frame.
`preprocess_clip` is the evaluation (and serving) path; `augment_clip` adds the
training-time randomness on top of it.
"""

from __future__ import annotations

import tensorflow as tf


def to_float(frames: tf.Tensor) -> tf.Tensor:
    """uint8 `[0, 255]` to float32 `[0, 1]`: the input range of every zoo model."""
    return tf.cast(frames, tf.float32) / 255.0


def resize_shorter_side(frames: tf.Tensor, size: int) -> tf.Tensor:
    """Scales the clip so that its shorter side is `size`, keeping the aspect ratio."""
    shape = tf.shape(frames)
    height, width = tf.cast(shape[-3], tf.float32), tf.cast(shape[-2], tf.float32)
    scale = tf.cast(size, tf.float32) / tf.minimum(height, width)
    new_h = tf.cast(tf.round(height * scale), tf.int32)
    new_w = tf.cast(tf.round(width * scale), tf.int32)
    return tf.image.resize(frames, tf.stack([new_h, new_w]), antialias=True)


def center_crop(frames: tf.Tensor, size: int) -> tf.Tensor:
    """The central `size x size` window of every frame."""
    shape = tf.shape(frames)
    top = (shape[-3] - size) // 2
    left = (shape[-2] - size) // 2
    return frames[..., top : top + size, left : left + size, :]


def preprocess_clip(frames: tf.Tensor, size: int) -> tf.Tensor:
    """Evaluation path: uint8 or float `(..., H, W, 3)` to float32 `(..., size, size, 3)` in [0, 1].

    Resizing is skipped when the frames already have the target size, so that
    clips made at model resolution pass through untouched.
    """
    frames = tf.cast(frames, tf.float32)
    shape = tf.shape(frames)
    same = tf.logical_and(tf.equal(shape[-3], size), tf.equal(shape[-2], size))
    frames = tf.cond(
        same, lambda: frames, lambda: center_crop(resize_shorter_side(frames, size), size)
    )
    frames = tf.ensure_shape(frames, [*frames.shape[:-3], size, size, 3])
    return frames / 255.0


def random_resized_crop(
    frames: tf.Tensor,
    size: int,
    seed: tf.Tensor,
    scale: tuple[float, float] = (0.6, 1.0),
) -> tf.Tensor:
    """Crops one random window (area fraction in `scale`) from every frame, resized to `size`."""
    shape = tf.shape(frames)
    height, width = shape[-3], shape[-2]
    area = tf.random.stateless_uniform([], seed, scale[0], scale[1])
    side = tf.cast(tf.sqrt(area) * tf.cast(tf.minimum(height, width), tf.float32), tf.int32)
    offsets = tf.random.stateless_uniform([2], seed + 1, 0.0, 1.0)
    top = tf.cast(offsets[0] * tf.cast(height - side + 1, tf.float32), tf.int32)
    left = tf.cast(offsets[1] * tf.cast(width - side + 1, tf.float32), tf.int32)
    window = frames[..., top : top + side, left : left + side, :]
    return tf.image.resize(window, [size, size], antialias=True)


def augment_clip(
    frames: tf.Tensor,
    size: int,
    seed: tf.Tensor,
    flip: bool = False,
    color: bool = True,
) -> tf.Tensor:
    """Training path: random resized crop, optional horizontal flip, brightness and contrast.

    Args:
        frames: uint8 `(T, H, W, 3)`.
        size: output side.
        seed: int32 `(2,)` stateless seed; one seed gives one clip's randomness.
        flip: mirror left-right with probability 0.5. Keep it off for tasks
            whose label depends on left/right (motion direction).
        color: random brightness (+-0.1) and contrast (0.8-1.2), one draw per clip.

    Returns:
        float32 `(T, size, size, 3)` in [0, 1].
    """
    frames = random_resized_crop(tf.cast(frames, tf.float32), size, seed) / 255.0
    if flip:
        do_flip = tf.random.stateless_uniform([], seed + 2) < 0.5
        frames = tf.cond(do_flip, lambda: tf.reverse(frames, axis=[-2]), lambda: frames)
    if color:
        delta = tf.random.stateless_uniform([], seed + 3, -0.1, 0.1)
        factor = tf.random.stateless_uniform([], seed + 4, 0.8, 1.2)
        mean = tf.reduce_mean(frames, axis=[-3, -2, -1], keepdims=True)
        frames = (frames - mean) * factor + mean + delta
    return tf.clip_by_value(frames, 0.0, 1.0)
