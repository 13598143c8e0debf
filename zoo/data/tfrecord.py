"""TFRecord shards of JPEG frames, in the format of TF Model Garden and DMVR.

One record is one clip, a `tf.train.SequenceExample`:

    context  clip/media_id      bytes   where the clip came from
             clip/label/index   int64   class number
             clip/label/text    bytes   class name
    sequence image/encoded      bytes   one JPEG per frame, in order

These are the keys DMVR's `add_image` / `add_label` readers and the Model
Garden's video input parse, so records written by those tools load here and
ours load there. A shard folder may hold `labels.txt` (one class name per line,
in index order); without it the class names are read from the records.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from zoo.data.decode import read_video
from zoo.data.errors import DEFAULT_LIMITS, DecodeLimits, VideoDecodeError
from zoo.data.sources import ClipList

IMAGE_KEY = "image/encoded"
LABEL_INDEX_KEY = "clip/label/index"
LABEL_TEXT_KEY = "clip/label/text"
MEDIA_ID_KEY = "clip/media_id"
LABELS_FILE = "labels.txt"
SHARD_PATTERN = "*.tfrecord*"

CONTEXT_FEATURES = {
    LABEL_INDEX_KEY: tf.io.FixedLenFeature([], tf.int64, default_value=-1),
    LABEL_TEXT_KEY: tf.io.FixedLenFeature([], tf.string, default_value=""),
    MEDIA_ID_KEY: tf.io.FixedLenFeature([], tf.string, default_value=""),
}
SEQUENCE_FEATURES = {IMAGE_KEY: tf.io.FixedLenSequenceFeature([], tf.string)}


def make_example(
    jpegs: Sequence[bytes], label: int, text: str, media_id: str
) -> tf.train.SequenceExample:
    """One clip's record: its JPEG frames and its label, under the DMVR keys."""
    example = tf.train.SequenceExample()
    context = example.context.feature
    context[LABEL_INDEX_KEY].int64_list.value.append(label)
    context[LABEL_TEXT_KEY].bytes_list.value.append(text.encode())
    context[MEDIA_ID_KEY].bytes_list.value.append(media_id.encode())
    frames = example.feature_lists.feature_list[IMAGE_KEY]
    for jpeg in jpegs:
        frames.feature.add().bytes_list.value.append(jpeg)
    return example


def encode_clip(
    path: str,
    start: float,
    end: float,
    quality: int,
    limits: DecodeLimits,
    shorter_side: int | None = None,
) -> list[bytes]:
    """Every frame of `path` (within `[start, end)` seconds unless NaN) as JPEG bytes,
    scaled down to `shorter_side` if given."""
    video = read_video(
        path,
        limits=limits,
        start=None if np.isnan(start) else start,
        end=None if np.isnan(end) else end,
        shorter_side=shorter_side,
    )
    return [tf.io.encode_jpeg(frame, quality=quality).numpy() for frame in video.frames]


def shard_order(labels: Sequence[int], num_shards: int, seed: int = 0) -> list[list[int]]:
    """Clip numbers per shard: shards differ in size by at most one and mix classes evenly.

    Clips are dealt round-robin in label order, so every shard gets its share of
    every class; each shard is then shuffled, so classes interleave within it.
    """
    rng = np.random.default_rng(seed)
    order = np.argsort(np.asarray(labels), kind="stable")
    shards = [order[i::num_shards].tolist() for i in range(num_shards)]
    for shard in shards:
        rng.shuffle(shard)
    return shards


def write_shards(
    clips: ClipList,
    out: str | os.PathLike,
    num_shards: int = 4,
    prefix: str = "clips",
    quality: int = 90,
    shorter_side: int | None = None,
    limits: DecodeLimits = DEFAULT_LIMITS,
    on_error: str = "raise",
    show_progress: bool = True,
    seed: int = 0,
) -> tuple[list[Path], dict[str, str]]:
    """Writes `clips` as `OUT/PREFIX-00000-of-0000N.tfrecord` shards, plus `OUT/labels.txt`.

    `shorter_side` stores frames scaled down to that length (e.g. the model's
    input size, or a little more for random crops): smaller records, faster reads.

    Returns:
        The shard paths, and the files skipped (path -> reason) under `on_error="skip"`.

    Raises:
        VideoDecodeError: a clip cannot be decoded and `on_error` is "raise".
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    num_shards = max(1, min(num_shards, len(clips)))
    write_labels(out, clips.class_names)
    skipped: dict[str, str] = {}
    paths = []
    with tqdm(
        total=len(clips), desc=f"writing {out}", unit="clip", disable=not show_progress
    ) as bar:
        for number, members in enumerate(shard_order(clips.labels, num_shards, seed)):
            path = out / f"{prefix}-{number:05d}-of-{num_shards:05d}.tfrecord"
            with tf.io.TFRecordWriter(str(path)) as writer:
                for i in members:
                    try:
                        jpegs = encode_clip(
                            clips.paths[i],
                            clips.start[i],
                            clips.end[i],
                            quality,
                            limits,
                            shorter_side,
                        )
                    except VideoDecodeError as err:
                        if on_error != "skip":
                            raise
                        skipped[clips.paths[i]] = err.reason
                    else:
                        label = clips.labels[i]
                        example = make_example(
                            jpegs, label, clips.class_names[label], clips.paths[i]
                        )
                        writer.write(example.SerializeToString())
                    bar.update()
            paths.append(path)
    return paths, skipped


def write_labels(folder: Path, class_names: Sequence[str]) -> None:
    (folder / LABELS_FILE).write_text("".join(f"{name}\n" for name in class_names))


def list_shards(source, split: str | None = None) -> list[str]:
    """The TFRecord files `source` names, or `[]` when it is not a TFRecord source.

    `source` may be a `.tfrecord` file, a glob pattern, a list of files, or a
    folder of shards (with `split`, the shards in `FOLDER/<split>/`).
    """
    if isinstance(source, (list, tuple)):
        files = [os.fspath(f) for f in source]
        return files if files and all(_is_shard(f) for f in files) else []
    text = os.fspath(source)
    if any(c in text for c in "*?["):
        return sorted(glob.glob(text))
    path = Path(text)
    if path.is_dir():
        folder = path / split if split is not None and (path / split).is_dir() else path
        return sorted(str(f) for f in folder.glob(SHARD_PATTERN) if f.is_file())
    return [text] if _is_shard(text) else []


def _is_shard(name: str) -> bool:
    return ".tfrecord" in Path(name).name


def parse_example(serialized: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """A serialized record to `(JPEG bytes (N,), int32 label)`."""
    context, sequence = tf.io.parse_single_sequence_example(
        serialized, CONTEXT_FEATURES, SEQUENCE_FEATURES
    )
    return sequence[IMAGE_KEY], tf.cast(context[LABEL_INDEX_KEY], tf.int32)


def describe(files: Sequence[str]) -> tuple[int, list[str]]:
    """`(number of records, class names)`: names from `labels.txt` beside the shards,
    otherwise from the records' `clip/label/text`, ordered by `clip/label/index`."""
    ds = tf.data.TFRecordDataset(list(files)).map(
        lambda s: tf.io.parse_single_sequence_example(s, CONTEXT_FEATURES)[0],
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    names: dict[int, str] = {}
    count = 0
    for context in ds.as_numpy_iterator():
        count += 1
        names.setdefault(int(context[LABEL_INDEX_KEY]), context[LABEL_TEXT_KEY].decode())
    parents = [Path(f).parent for f in files]
    for labels in dict.fromkeys([p / LABELS_FILE for p in parents + [p.parent for p in parents]]):
        if labels.is_file():
            return count, labels.read_text().splitlines()
    size = max(names, default=-1) + 1
    return count, [names.get(i) or str(i) for i in range(size)]


def read_tfrecords(
    files: Sequence[str], seed: int = 0, shuffle: bool = False, deterministic: bool = True
) -> tf.data.Dataset:
    """Stage 1 for shards: `(JPEG bytes (N,), int32 label, int64 seed)`, one element per clip."""
    names = tf.data.Dataset.from_tensor_slices(list(files))
    if shuffle:
        names = names.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    records = names.interleave(
        tf.data.TFRecordDataset,
        cycle_length=min(len(files), 4),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=deterministic,
    )
    if shuffle:
        records = records.shuffle(256, seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return tf.data.Dataset.zip(records, seeds).map(
        lambda record, s: (*parse_example(record), s),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=deterministic,
    )


def sample(
    ds: tf.data.Dataset, indices: Callable[[int, int], np.ndarray], deterministic: bool = True
) -> tf.data.Dataset:
    """Stage 2 for shards: keeps the sampled JPEGs only, `(JPEG bytes (N, T), label, seed)`.

    `indices(num_frames, seed)` is a clip sampler returning `(N, T)` frame numbers.
    """

    def pick(jpegs, label, seed):
        count = tf.cast(tf.shape(jpegs)[0], tf.int64)
        chosen = tf.numpy_function(
            lambda n, s: indices(int(n), int(s)).astype(np.int64), [count, seed], tf.int64
        )
        return tf.gather(jpegs, tf.ensure_shape(chosen, [None, None])), label, seed

    return ds.map(pick, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)


def decode_jpegs(ds: tf.data.Dataset, deterministic: bool = True) -> tf.data.Dataset:
    """Stage 3 for shards: JPEG bytes `(N, T)` to uint8 frames `(N, T, H, W, 3)`."""

    def decode_one(jpegs, label, seed):
        flat = tf.reshape(jpegs, [-1])
        frames = tf.map_fn(
            lambda jpeg: tf.io.decode_jpeg(jpeg, channels=3),
            flat,
            fn_output_signature=tf.TensorSpec([None, None, 3], tf.uint8),
        )
        shape = tf.concat([tf.shape(jpegs), tf.shape(frames)[1:]], axis=0)
        return tf.reshape(frames, shape), label, seed

    return ds.map(decode_one, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
