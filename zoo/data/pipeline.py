"""`video_dataset`: a parallel tf.data pipeline from video files to batched clips.

The pipeline is a chain of plain named stages that can be recombined:

    read       ClipList -> Dataset of (path, label, seed)
    decode     sample frame numbers and decode them with PyAV, in parallel
    transform  resize / crop / augment in TF, one draw per clip
    batch      batch and prefetch

Decoding runs inside `tf.numpy_function` under a parallel `map`: PyAV releases
the GIL, so several files decode at once on several cores.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from functools import partial

import numpy as np
import tensorflow as tf

from zoo.data import samplers
from zoo.data.decode import read_video
from zoo.data.errors import DEFAULT_LIMITS, DecodeLimits, VideoDecodeError
from zoo.data.sources import ClipList, list_clips
from zoo.data.transforms import augment_clip, preprocess_clip

log = logging.getLogger(__name__)


@dataclasses.dataclass
class SkipReport:
    """Files skipped under `on_error="skip"`: how many, which, and why."""

    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    def add(self, path: str, reason: str) -> None:
        with self._lock:
            self.skipped[path] = reason
        log.warning("skipped %s: %s", path, reason)

    def __len__(self) -> int:
        return len(self.skipped)


@dataclasses.dataclass(frozen=True)
class ClipSpec:
    """Which frames make a clip. `sampler` is "random", "uniform" or "multi"."""

    clip_len: int = 8
    frame_step: int = 2
    sampler: str = "random"
    num_clips: int = 1

    def indices(self, num_frames: int, seed: int, training: bool) -> np.ndarray:
        """Frame numbers `(num_clips, clip_len)` for a video of `num_frames`."""
        rng = np.random.default_rng(seed)
        if self.sampler == "random":
            if training:
                return samplers.random_clip(num_frames, self.clip_len, self.frame_step, rng)
            return samplers.center_clip(num_frames, self.clip_len, self.frame_step)
        if self.sampler == "uniform":
            return samplers.uniform_segments(num_frames, self.clip_len, rng if training else None)
        if self.sampler == "multi":
            return samplers.multi_clip(num_frames, self.clip_len, self.frame_step, self.num_clips)
        raise ValueError(f"unknown sampler {self.sampler!r}; choose from {samplers.SAMPLERS}")

    @property
    def clips_per_video(self) -> int:
        return self.num_clips if self.sampler == "multi" else 1


def read(clips: ClipList, seed: int = 0) -> tf.data.Dataset:
    """Stage 1: a dataset of `(path, label, seed)`, one element per video."""
    paths = tf.data.Dataset.from_tensor_slices(
        (tf.constant(clips.paths, tf.string), tf.constant(clips.labels, tf.int32))
    )
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return tf.data.Dataset.zip(paths, seeds).map(lambda pl, s: (pl[0], pl[1], s))


def decode_clip(
    path: bytes,
    seed: np.int64,
    spec: ClipSpec,
    training: bool,
    limits: DecodeLimits = DEFAULT_LIMITS,
    skips: SkipReport | None = None,
) -> np.ndarray:
    """Stage 2 in plain Python: uint8 `(num_clips, T, H, W, 3)`, or an empty array if skipped."""
    name = path.decode() if isinstance(path, bytes) else str(path)
    sample = partial(spec.indices, seed=int(seed), training=training)
    try:
        video = read_video(name, sample, limits)
    except VideoDecodeError as err:
        if skips is None:
            raise
        skips.add(name, err.reason)
        return np.zeros((0, spec.clip_len, 1, 1, 3), np.uint8)
    height, width = video.frames.shape[1:3]
    return video.frames.reshape(spec.clips_per_video, spec.clip_len, height, width, 3)


def decode(
    ds: tf.data.Dataset,
    spec: ClipSpec,
    training: bool,
    limits: DecodeLimits = DEFAULT_LIMITS,
    skips: SkipReport | None = None,
    deterministic: bool = True,
) -> tf.data.Dataset:
    """Stage 2: `(path, label, seed)` to `(uint8 frames (N, T, H, W, 3), label, seed)`, in parallel."""
    fn = partial(decode_clip, spec=spec, training=training, limits=limits, skips=skips)

    def decode_one(path, label, seed):
        frames = tf.numpy_function(fn, [path, seed], tf.uint8, stateful=False)
        frames = tf.ensure_shape(frames, [None, spec.clip_len, None, None, 3])
        return frames, label, seed

    ds = ds.map(decode_one, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
    if skips is not None:
        ds = ds.filter(lambda frames, label, seed: tf.shape(frames)[0] > 0)
    return ds


def transform(
    ds: tf.data.Dataset,
    size: int,
    augment: bool,
    flip: bool = False,
    multi_clip: bool = False,
    deterministic: bool = True,
) -> tf.data.Dataset:
    """Stage 3: uint8 clips to float32 `(T, size, size, 3)`, or `(N, T, ...)` when `multi_clip`."""

    def one(frames, label, seed):
        if multi_clip:
            return preprocess_clip(frames, size), label
        if augment:
            stateless_seed = tf.cast(tf.stack([seed % (2**31 - 1), seed // (2**31 - 1)]), tf.int32)
            return augment_clip(frames[0], size, stateless_seed, flip=flip), label
        return preprocess_clip(frames[0], size), label

    return ds.map(one, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)


def video_dataset(
    source: str | os.PathLike | ClipList,
    clip_len: int = 8,
    frame_step: int = 2,
    size: int = 64,
    sampler: str = "random",
    num_clips: int = 1,
    batch_size: int = 8,
    split: str | None = None,
    augment: bool = False,
    flip: bool = False,
    shuffle: bool = False,
    cache: bool | str = False,
    repeat: bool = False,
    on_error: str = "raise",
    seed: int = 0,
    deterministic: bool = True,
    limits: DecodeLimits = DEFAULT_LIMITS,
) -> tf.data.Dataset:
    """Batches of clips `(float32 (B, T, size, size, 3) in [0, 1], int32 label (B,))`.

    Args:
        source: a folder per class, a CSV manifest, or a `ClipList`.
        clip_len: frames per clip (`T`), or segments for `sampler="uniform"`.
        frame_step: distance between sampled frames.
        size: output height and width.
        sampler: "random" (random start when training, centre otherwise),
            "uniform" (TSN segments) or "multi" (`num_clips` evenly spaced
            clips; elements then have shape `(B, num_clips, T, size, size, 3)`).
        split: "train", "val" or "test" for trees and manifests that have them.
        augment: random crop and colour jitter (training); off gives the
            deterministic evaluation path.
        flip: random horizontal flips when `augment` is on. Leave it off
            for direction labels.
        shuffle: shuffle the videos every epoch.
        cache: keep decoded clips in memory (`True`) or in a file (a path).
            Caching freezes the sampled frames, so it suits evaluation.
        repeat: repeat forever.
        on_error: "raise" stops at a broken file with `VideoDecodeError`;
            "skip" drops it and records it in `dataset.skipped`.
        seed: seeds shuffling, sampling and augmentation.
        deterministic: keep element order fixed despite parallel decoding.
        limits: decoding safety limits.

    Returns:
        A `tf.data.Dataset` with attributes `class_names` and `skipped` (a `SkipReport`).
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
    clips = list_clips(source, split)
    if not len(clips):
        raise FileNotFoundError(f"{source}: no videos found" + (f" in split {split!r}" if split else ""))
    spec = ClipSpec(clip_len, frame_step, sampler, num_clips)
    skips = SkipReport() if on_error == "skip" else None

    ds = read(clips, seed)
    if shuffle:
        ds = ds.shuffle(len(clips), seed=seed, reshuffle_each_iteration=True)
    ds = decode(ds, spec, augment or shuffle, limits, skips, deterministic)
    if cache:
        ds = ds.cache(cache if isinstance(cache, str) else "")
    ds = transform(ds, size, augment, flip, spec.clips_per_video > 1, deterministic)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    ds.class_names = clips.class_names
    ds.skipped = skips if skips is not None else SkipReport()
    ds.num_videos = len(clips)
    return ds
