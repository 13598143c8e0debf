"""Data for a run: resolving `--data`, the training/validation sets, the multi-view test set."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

from zoo import datasets
from zoo.data import tfrecord, video_dataset
from zoo.data.errors import SkipReport
from zoo.data.features import features_dataset
from zoo.data.formats import DatasetClips
from zoo.data.sources import ClipList, list_clips, splits_of
from zoo.data.splits import split_clips
from zoo.training.run import ClipSource, TrainConfig


def resolve_source(data: str | os.PathLike) -> Path:
    """The absolute path of a folder tree, manifest or shards; a built-in data set name builds
    it (once, in the cache); a multi-label one (`datasets.MULTI_LABEL`) gives its manifest.
    Absolute, so that a run folder works from any working directory.
    """
    path = Path(data).absolute()
    if not path.exists() and str(data) in datasets.AVAILABLE:
        built = datasets.make(str(data)).absolute()
        return built / "manifest.csv" if str(data) in datasets.MULTI_LABEL else built
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


@dataclasses.dataclass
class FitData:
    """The datasets of one run.

    `train` repeats (shuffled and augmented anew each epoch), so every epoch
    has exactly `steps` full batches on every worker; batches are
    `(float32 (B, T, size, size, 3), float32 one-hot (B, classes))`.
    `held_out` holds the validation clips when they were held out of a source
    without a val split (None otherwise). `skipped` reports the broken files
    each set skipped under `on_error="skip"`.
    """

    train: tf.data.Dataset
    val: tf.data.Dataset
    class_names: list[str]
    steps: int
    held_out: ClipList | None
    skipped: dict[str, SkipReport]
    class_weight: dict[int, float] | None = None


def training_clips(
    source: Path,
    val_fraction: float,
    seed: int,
    config: ClipSource | None = None,
    on_error: str = "raise",
) -> tuple[ClipList, ClipList, bool] | None:
    """The train and val `ClipList`s of a folder tree or manifest, and whether val was held out.

    A source with train and val splits gives them as they are. A source with a
    train split only, or with no splits at all (`ROOT/<label>/<video>`), gives
    up a stratified, seeded `val_fraction` of its (train) videos for
    validation; clips of one group stay on one side. None for TFRecord shards,
    which keep their own splits. `config` gives the data-set format and fold;
    videos a data set lists but that are missing on disk are left out under
    `on_error="skip"` (and listed in the `missing` report of the lists, which
    `video_dataset` adds to its `skipped`).
    """
    if tfrecord.list_shards(source):
        return None
    layout = dict(format=config.format, fold=config.fold) if config is not None else {}
    splits = splits_of(source, **layout)

    multi_label = config is not None and getattr(config, "multi_label", False)

    def read(split: str | None) -> ClipList:
        return list_clips(source, split, on_error=on_error, multi_label=multi_label, **layout)

    if "val" in splits and "train" in splits:
        return read("train"), read("val"), False
    clips = read("train" if "train" in splits else None)
    if not 0 < val_fraction < 1:
        raise ValueError(
            f"{source}: has no val split; --val-fraction must be between 0 and 1 to hold "
            f"one out, not {val_fraction}"
        )
    # The split is made of whole folds, up to one per video of the largest class:
    # a small data set gets at least one fold for validation.
    largest_class = max(np.bincount(np.asarray(clips.labels, np.int64)), default=1)
    fraction = min(max(val_fraction, 1 / largest_class), 0.5)
    parts = split_clips(clips, (1 - fraction, fraction), seed, names=("train", "val"))
    if not len(parts["val"]) or not len(parts["train"]):
        raise ValueError(
            f"{source}: {len(clips)} videos are too few to hold out a validation split"
        )
    # The listed videos missing on disk stay reported, with the training part.
    train = DatasetClips(**vars(parts["train"]), missing=getattr(clips, "missing", SkipReport()))
    return train, parts["val"], True


def fit_datasets(
    source: Path, config: TrainConfig, on_error: str = "raise", service: str | None = None
) -> FitData:
    """Training and validation sets of one run, with one-hot labels (see `FitData`), or
    multi-hot `(B, classes)` ones for `config.multi_label`.

    The validation set is decoded again each epoch: an in-memory `cache()` of
    it made `fit` hang at the first validation under op determinism (TF 2.21).

    With `service` (a tf.data service dispatcher's "host:port"), the training
    clips are read, decoded and augmented on its workers, as one endless job
    that goes on when a worker dies. The validation clips are decoded here:
    each validation would be a finite job, and in TF 2.21 a finite job waits
    forever for a worker that died (see `video_dataset`).
    """
    clip = dict(clip_len=config.clip_len, frame_step=config.frame_step, size=config.size)
    common = dict(batch_size=config.batch_size, seed=config.seed, on_error=on_error, **clip)
    common["multi_label"] = config.multi_label
    lists = training_clips(source, config.val_fraction, config.seed, config, on_error)
    train_source, val_source = (source, source) if lists is None else lists[:2]
    train = video_dataset(
        train_source,
        split="train" if lists is None else None,
        augment=config.augment,
        shuffle=True,
        repeat=True,
        service=service,
        **common,
    )
    val = video_dataset(val_source, split="val" if lists is None else None, **common)
    if list(val.class_names) != list(train.class_names):
        raise ValueError(f"{source}: train and val splits have different classes")
    if config.batch_size > train.num_videos:
        print(
            f"warning: --batch-size {config.batch_size} is larger than the {train.num_videos} "
            "training videos: every epoch is one batch that repeats videos",
            file=sys.stderr,
            flush=True,
        )
    classes = len(train.class_names)
    weights = None
    if config.class_weight == "balanced":
        if lists is None:
            raise ValueError(f"{source}: --class-weight balanced needs videos, not TFRecord shards")
        weights = balanced_weights(lists[0].labels, classes)
    # Multi-hot targets (`multi_label`) come from the pipeline as they are.
    targets = (lambda ds: ds) if config.multi_label else (lambda ds: one_hot(ds, classes))
    return FitData(
        train=_shard_by_data(targets(train)),
        val=_shard_by_data(targets(val)),
        class_names=list(train.class_names),
        steps=max(train.num_videos // config.batch_size, 1),
        held_out=lists[1] if lists is not None and lists[2] else None,
        skipped={"train": train.skipped, "val": val.skipped},
        class_weight=weights,
    )


def feature_fit_datasets(folder: Path, config: TrainConfig) -> FitData:
    """Training and validation sets of stored embeddings (see `zoo.data.features`).

    Each clip's embedding is one example: batches are `(float32 (B, *shape),
    float32 one-hot (B, classes))`; `train` is shuffled anew each epoch and repeats.
    """
    train, val = features_dataset(folder, "train"), features_dataset(folder, "val")
    clips = int(train.element_spec[0].shape[0])

    def per_clip(ds: tf.data.Dataset) -> tf.data.Dataset:
        return ds.map(lambda e, y: (e, tf.repeat(y, clips))).unbatch()

    examples = train.num_videos * clips
    classes = len(train.class_names)
    batches = (
        per_clip(train)
        .shuffle(examples, seed=config.seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(config.batch_size, drop_remainder=True)
    )
    return FitData(
        train=one_hot(batches.prefetch(tf.data.AUTOTUNE), classes),
        val=one_hot(per_clip(val).batch(config.batch_size), classes),
        class_names=train.class_names,
        steps=max(examples // config.batch_size, 1),
        held_out=None,
        skipped={},
    )


def balanced_weights(labels: list[int], num_classes: int) -> dict[int, float]:
    """Class weights `n / (classes * count)`, as scikit-learn's "balanced": each class weighs
    the same in the loss, whatever its number of videos (an absent class gets 0)."""
    counts = np.bincount(np.asarray(labels, np.int64), minlength=num_classes)
    total = counts.sum()
    return {c: float(total / (num_classes * n)) if n else 0.0 for c, n in enumerate(counts)}


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
    source: Path | ClipList,
    config: TrainConfig,
    split: str | None,
    num_clips: int,
    num_crops: int,
    batch_size: int,
    on_error: str = "raise",
) -> tf.data.Dataset:
    """The test protocol: `num_clips` clips x `num_crops` crops of every video.

    Clips are evenly spaced in time (`sampler="multi"`). For several crops the
    frames are first resized to 8/7 of the model size (shorter side), so that
    the crops differ even when the video is already at model size.

    Returns:
        A dataset of `(uint8 (B, V, T, size, size, 3), int32 (B,))` (multi-hot
        float32 `(B, classes)` labels for `config.multi_label`) with
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
        on_error=on_error,
        multi_label=config.multi_label,
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
