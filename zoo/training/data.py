"""Data for a run: resolving `--data`, the training/validation sets, the multi-view test set."""

from __future__ import annotations

import os
from pathlib import Path

import tensorflow as tf

from zoo import datasets
from zoo.data import video_dataset
from zoo.training.run import TrainConfig


def resolve_source(data: str | os.PathLike) -> Path:
    """A folder tree or manifest path; a built-in data set name builds it (once, in the cache)."""
    path = Path(data)
    if not path.exists() and str(data) in datasets.AVAILABLE:
        return datasets.make(str(data))
    if not path.exists():
        raise FileNotFoundError(
            f"{data}: no such folder or manifest (built-in data sets: {', '.join(datasets.AVAILABLE)})"
        )
    return path


def _shard_by_data(ds: tf.data.Dataset) -> tf.data.Dataset:
    """Multi-worker runs split batches between workers (the files cannot be split by name)."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def one_hot(ds: tf.data.Dataset, num_classes: int) -> tf.data.Dataset:
    """`(frames, int label (B,))` to `(frames, float32 one-hot (B, num_classes))`.

    One-hot targets let `CategoricalCrossentropy(label_smoothing=...)` smooth them.
    """
    return ds.map(lambda x, y: (x, tf.one_hot(y, num_classes)), num_parallel_calls=tf.data.AUTOTUNE)


def fit_datasets(
    source: Path, config: TrainConfig
) -> tuple[tf.data.Dataset, tf.data.Dataset, list[str], int]:
    """Training and validation sets of one run, with one-hot labels.

    The training set repeats (shuffled and augmented anew each epoch), so every
    epoch has exactly `steps_per_epoch` full batches on every worker.
    The validation set is decoded again each epoch: an in-memory `cache()` of
    it made `fit` hang at the first validation under op determinism (TF 2.21).

    Returns:
        `(train, val, class_names, steps_per_epoch)`; batches are
        `(float32 (B, T, size, size, 3), float32 (B, classes))`.
    """
    clip = dict(clip_len=config.clip_len, frame_step=config.frame_step, size=config.size)
    train = video_dataset(
        source,
        split="train",
        batch_size=config.batch_size,
        augment=config.augment,
        shuffle=True,
        repeat=True,
        seed=config.seed,
        **clip,
    )
    val = video_dataset(source, split="val", batch_size=config.batch_size, seed=config.seed, **clip)
    if list(val.class_names) != list(train.class_names):
        raise ValueError(f"{source}: train and val splits have different classes")
    classes = len(train.class_names)
    steps = max(train.num_videos // config.batch_size, 1)
    train_ds = _shard_by_data(one_hot(train, classes))
    val_ds = _shard_by_data(one_hot(val, classes))
    return train_ds, val_ds, list(train.class_names), steps


def crops(clips: tf.Tensor, size: int, num_crops: int) -> tf.Tensor:
    """Spatial views: `(..., T, S, S', 3)` to `(num_crops, ..., T, size, size, 3)`.

    The `num_crops` windows are evenly spaced along the longer side (for square
    frames, the width) and centred on the other, as in the 3-crop protocol.
    """
    height, width = tf.shape(clips)[-3], tf.shape(clips)[-2]
    along_width = width >= height
    views = []
    for i in range(num_crops):
        fraction = 0.5 if num_crops == 1 else i / (num_crops - 1)
        top = tf.where(
            along_width,
            (height - size) // 2,
            tf.cast(fraction * tf.cast(height - size, tf.float32), tf.int32),
        )
        left = tf.where(
            along_width,
            tf.cast(fraction * tf.cast(width - size, tf.float32), tf.int32),
            (width - size) // 2,
        )
        views.append(clips[..., top : top + size, left : left + size, :])
    return tf.stack(views)


def multi_view_dataset(
    source: Path, config: TrainConfig, split: str, num_clips: int, num_crops: int, batch_size: int
) -> tf.data.Dataset:
    """The test protocol: `num_clips` clips x `num_crops` crops of every video.

    Clips are evenly spaced in time (`sampler="multi"`). For several crops the
    frames are first resized to 8/7 of the model size (shorter side), so that
    the crops differ even when the video is already at model size.

    Returns:
        A dataset of `(float32 (B, V, T, size, size, 3), int32 (B,))` with
        `V = num_clips * num_crops`, and the attributes of `video_dataset`.
    """
    resized = config.size if num_crops == 1 else round(config.size * 8 / 7)
    ds = video_dataset(
        source,
        clip_len=config.clip_len,
        frame_step=config.frame_step,
        size=resized,
        sampler="multi",
        num_clips=num_clips,
        split=split,
        batch_size=batch_size,
        seed=config.seed,
    )

    def views(clips: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        out = crops(clips, config.size, num_crops)  # (crops, B, clips, T, S, S, 3)
        out = tf.transpose(out, [1, 2, 0, 3, 4, 5, 6])  # (B, clips, crops, T, S, S, 3)
        shape = tf.shape(out)
        out = tf.reshape(out, [shape[0], num_clips * num_crops, *[shape[i] for i in range(3, 7)]])
        return tf.ensure_shape(
            out, [None, num_clips * num_crops, config.clip_len, config.size, config.size, 3]
        ), labels

    viewed = ds.map(views, num_parallel_calls=tf.data.AUTOTUNE)
    viewed.class_names, viewed.skipped, viewed.num_videos = (
        ds.class_names,
        ds.skipped,
        ds.num_videos,
    )
    return viewed
