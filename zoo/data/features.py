"""Stored embeddings: the folder `zoo embed` writes and `zoo train --features` reads.

    FEATURES/config.json     what made them: model, clip settings, data, classes, shape
    FEATURES/model.keras     the model whose layers up to "embedding" made them
    FEATURES/<split>-NNNNN-of-NNNNN.tfrecord
                             one `tf.train.Example` per video:
                               embedding  bytes: float16 `(clips, *shape)`, C order
                               label      int64
                               path       bytes: the video
    FEATURES/skipped.json    videos that could not be read, and why

A shard is written under a temporary name and renamed when complete, so the
shards present are the finished ones: a killed `zoo embed` resumes at the
first shard missing.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class FeatureDir:
    """Paths inside one features folder."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def model(self) -> Path:
        return self.root / "model.keras"

    @property
    def skipped(self) -> Path:
        return self.root / "skipped.json"

    def shard(self, split: str, index: int, count: int) -> Path:
        return self.root / f"{split}-{index:05d}-of-{count:05d}.tfrecord"

    def shards(self, split: str) -> list[Path]:
        """The finished shards of `split`, in order."""
        return sorted(self.root.glob(f"{split}-*-of-*.tfrecord"))

    def read_skipped(self) -> dict[str, dict[str, str]]:
        """`{split: {video: reason}}` of the videos left out so far."""
        return json.loads(self.skipped.read_text()) if self.skipped.is_file() else {}

    def add_skipped(self, split: str, files: dict[str, str]) -> None:
        """Adds `files` (`{video: reason}`) of `split` to skipped.json, atomically."""
        if not files:
            return
        listed = self.read_skipped()
        listed[split] = {**listed.get(split, {}), **files}
        tmp = self.skipped.with_name(f".{self.skipped.name}.tmp")
        tmp.write_text(json.dumps(listed, indent=2) + "\n")
        os.replace(tmp, self.skipped)

    def read_config(self) -> dict[str, Any]:
        if not self.config.is_file():
            raise FileNotFoundError(
                f"{self.root}: not a features folder (no config.json); make one with `zoo embed`"
            )
        return json.loads(self.config.read_text())


def serialize(embedding: np.ndarray, label: int, path: str) -> bytes:
    """One video's record: `embedding` `(clips, *shape)` is stored as float16."""
    feature = {
        "embedding": _bytes(np.ascontiguousarray(embedding, np.float16).tobytes()),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
        "path": _bytes(os.fsencode(path)),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _bytes(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def write_shard(path: Path, records: Iterable[bytes]) -> None:
    """Writes `records` to `path` through a temporary file in the same folder."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tf.io.TFRecordWriter(str(tmp)) as writer:
        for record in records:
            writer.write(record)
    os.replace(tmp, path)


def features_dataset(folder: str | os.PathLike, split: str) -> tf.data.Dataset:
    """The stored embeddings of `split`: `(float32 (clips, *shape), int32 label)` per video.

    The dataset has attributes `class_names` and `num_videos`.
    """
    features = FeatureDir(Path(folder))
    config = features.read_config()
    shards = features.shards(split)
    if not shards:
        raise FileNotFoundError(f"{folder}: no {split!r} embeddings (no {split}-*.tfrecord)")
    shape = [config["clips"], *config["embedding_shape"]]
    spec = {
        "embedding": tf.io.FixedLenFeature([], tf.string),
        "label": tf.io.FixedLenFeature([], tf.int64),
    }

    def parse(record: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        example = tf.io.parse_single_example(record, spec)
        embedding = tf.reshape(tf.io.decode_raw(example["embedding"], tf.float16), shape)
        return tf.cast(embedding, tf.float32), tf.cast(example["label"], tf.int32)

    ds = tf.data.TFRecordDataset([str(s) for s in shards]).map(
        parse, num_parallel_calls=tf.data.AUTOTUNE
    )
    ds.class_names = list(config["class_names"])
    ds.num_videos = config["videos"][split] - len(features.read_skipped().get(split, {}))
    return ds
