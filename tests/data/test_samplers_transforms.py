"""Samplers (indices, padding of short videos) and clip-consistent TF transforms."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from zoo.data import samplers
from zoo.data.pipeline import ClipSpec
from zoo.data.transforms import (
    augment_clip,
    center_crop,
    flip_draw,
    normalize,
    preprocess_clip,
    random_resized_crop,
    resize_shorter_side,
)


def test_random_clip_spacing_and_range():
    rng = np.random.default_rng(0)
    for _ in range(50):
        clip = samplers.random_clip(100, 8, 3, rng)
        assert clip.shape == (1, 8) and clip.min() >= 0 and clip.max() <= 99
        assert set(np.diff(clip[0])) == {3}


def test_center_clip_is_centred():
    np.testing.assert_array_equal(samplers.center_clip(20, 4, 2), [[6, 8, 10, 12]])


def test_uniform_segments_one_frame_per_segment():
    rng = np.random.default_rng(0)
    clip = samplers.uniform_segments(80, 8, rng)[0]
    assert all(10 * i <= f < 10 * (i + 1) for i, f in enumerate(clip))
    np.testing.assert_array_equal(samplers.uniform_segments(80, 8)[0], np.arange(8) * 10 + 5)


def test_multi_clip_covers_the_video():
    clips = samplers.multi_clip(100, 4, 2, 3)
    assert clips.shape == (3, 4) and clips[0, 0] == 0 and clips[-1, -1] == 99


@pytest.mark.parametrize("num_frames", [0, 1, 3])
@pytest.mark.parametrize("sampler", ["random", "uniform", "multi"])
def test_short_video_is_padded_with_its_last_frame(num_frames, sampler):
    spec = ClipSpec(clip_len=8, frame_step=2, sampler=sampler, num_clips=2)
    for training in (True, False):
        clip = spec.indices(num_frames, seed=1, training=training)
        assert clip.shape == (spec.clips_per_video, 8)
        assert clip.min() >= 0 and clip.max() == max(num_frames - 1, 0)


def test_temporal_jitter_keeps_order_and_range():
    rng = np.random.default_rng(0)
    base = samplers.center_clip(50, 8, 4)
    jittered = samplers.temporal_jitter(base, 2, 50, rng)
    assert np.all(np.abs(jittered - base) <= 2) and np.all(np.diff(jittered) >= 0)
    assert not np.array_equal(jittered, base)
    eval_spec = ClipSpec(8, 4, jitter=2)
    np.testing.assert_array_equal(eval_spec.indices(50, 0, training=False), base)


def test_resize_shorter_side_and_center_crop():
    frames = tf.zeros([2, 30, 60, 3])
    resized = resize_shorter_side(frames, 15)
    assert resized.shape == (2, 15, 30, 3)
    assert center_crop(resized, 15).shape == (2, 15, 15, 3)


def test_eval_path_is_deterministic_uint8_and_float32_one_argument_away():
    clip = tf.constant(np.random.default_rng(0).integers(0, 256, (4, 40, 50, 3)), tf.uint8)
    out = preprocess_clip(clip, 32)
    assert out.shape == (4, 32, 32, 3) and out.dtype == tf.uint8
    np.testing.assert_array_equal(out, preprocess_clip(clip, 32))
    floats = preprocess_clip(clip, 32, dtype="float32")
    assert floats.dtype == tf.float32
    assert 0.0 <= float(tf.reduce_min(floats)) and float(tf.reduce_max(floats)) <= 1.0
    assert np.abs(out.numpy() - floats.numpy() * 255).max() <= 0.5 + 1e-3  # rounding only


def test_augment_rounds_the_float_path_to_uint8():
    """The training path in uint8 is the float32 path's pixels x 255, rounded and clamped."""
    clip = tf.constant(np.random.default_rng(3).integers(0, 256, (3, 40, 50, 3)), tf.uint8)
    for s in range(6):
        seed = tf.constant([s, 0], tf.int32)
        floats = augment_clip(clip, 24, seed, flip=True, dtype="float32").numpy()
        assert floats.min() >= 0.0 and floats.max() <= 1.0
        out = augment_clip(clip, 24, seed, flip=True).numpy()
        assert out.dtype == np.uint8
        assert np.abs(out - floats * 255).max() <= 0.5 + 1e-3


def test_one_crop_and_flip_for_all_frames_of_a_clip():
    """Identical input frames stay identical after augmentation: one draw per clip."""
    image = np.random.default_rng(1).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    clip = tf.constant(np.repeat(image[None], 6, axis=0))
    flips = set()
    for s in range(8):
        seed = tf.constant([s, 0], tf.int32)
        out = augment_clip(clip, 24, seed, flip=True).numpy()
        assert np.all(out == out[:1]), f"seed {s}: frames differ"
        crop = random_resized_crop(tf.cast(clip, tf.float32), 24, seed).numpy()
        assert np.all(crop == crop[:1])
        flips.add(bool(flip_draw(seed)))
    assert flips == {True, False}


def test_flip_mirrors_exactly_when_drawn():
    image = np.random.default_rng(2).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    for s in range(6):
        seed = tf.constant([s, 0], tf.int32)
        plain = augment_clip(image, 32, seed, flip=False, color=False).numpy()
        flipped = augment_clip(image, 32, seed, flip=True, color=False).numpy()
        expected = plain[:, :, ::-1] if flip_draw(seed) else plain
        np.testing.assert_allclose(flipped, expected, atol=1e-6)


def test_normalize_per_channel():
    frames = tf.fill([1, 2, 2, 3], 0.5)
    out = normalize(frames, (0.5, 0.25, 0.0), (1.0, 0.5, 0.25)).numpy()
    np.testing.assert_allclose(out[0, 0, 0], [0.0, 0.5, 2.0])
