"""TFRecord shards of JPEG frames, in the format of TF Model Garden and DMVR.

One record is one clip, a `tf.train.SequenceExample`:

    context  clip/media_id      bytes   where the clip came from
             clip/label/index   int64   class number
             clip/label/text    bytes   class name
             image/fingerprint  bytes   zoo's records: 8 bytes per frame (below)
    sequence image/encoded      bytes   one JPEG per frame, in order

These are the keys DMVR's `add_image` / `add_label` readers and the Model
Garden's video input parse, so records written by those tools load here and
ours load there. A shard folder may hold `labels.txt` (one class name per line,
in index order); without it the class names are read from the records.

Damage is found per record: `describe` counts the readable records of each
shard (a cut or corrupt record ends its shard: TFRecord cannot resync), and
`decode_record` names the shard, record number and clip of a record that
does not parse or whose JPEGs do not decode.

Decoding the JPEGs is most of the work of reading a record, and it is fastest
in the graph, on TF's own threads; but an op that fails there stops the whole
pipeline with a message that names no record. So `make_example` stores a
fingerprint of every frame it writes (`tf.fingerprint`, farmhash64) under
`image/fingerprint`, and `decode_records` decodes a clip's frames in the graph
only when their bytes still have the fingerprints of frames `zoo` encoded
itself. Any other record (written by another tool, or changed since) is
re-read by `decode_record` in Python, which names and counts what is broken.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import re
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import tensorflow as tf
from google.protobuf.message import DecodeError
from tqdm import tqdm

from zoo.data import stages
from zoo.data.decode import read_video
from zoo.data.errors import (
    DEFAULT_LIMITS,
    DecodeLimits,
    SkipReport,
    VideoDecodeError,
    skip_or_raise,
)
from zoo.data.sources import ClipList
from zoo.data.stages import DecodeSettings

IMAGE_KEY = "image/encoded"
LABEL_INDEX_KEY = "clip/label/index"
LABEL_TEXT_KEY = "clip/label/text"
MEDIA_ID_KEY = "clip/media_id"
FINGERPRINT_KEY = "image/fingerprint"
FINGERPRINT_BYTES = 8  # one `tf.fingerprint` per frame
LABELS_FILE = "labels.txt"
SHARD_PATTERN = "*.tfrecord*"
_TF_TAGS = re.compile(r"\{\{.*?\}\}|\[\[.*?\]\]|\[Op:.*")  # node names and op tags in TF errors


class _JpegList(Sequence[bytes]):
    """The JPEG bytes of a record's frames, taken from the parsed message only when asked for.

    A record holds every frame of its clip, and a clip samples a few: copying
    all of them out cost 0.9 ms a record of 150 frames, against 0.1 ms for
    the parse itself. A frame without bytes reads as `b""`, which then fails
    to decode like any other broken frame.
    """

    def __init__(self, features) -> None:
        self._features = features

    def __len__(self) -> int:
        return len(self._features)

    def __getitem__(self, index: int) -> bytes:
        values = self._features[index].bytes_list.value
        return values[0] if values else b""


@dataclasses.dataclass
class Record:
    """One parsed record: its JPEG frames and the context features (-1 / "" where absent)."""

    jpegs: Sequence[bytes]
    label: int
    text: str
    media_id: str
    fingerprints: bytes = b""  # FINGERPRINT_BYTES per frame, or b"" when not stored


@dataclasses.dataclass
class Shards:
    """TFRecord shards as `describe` found them.

    `counts[i]` is the number of readable records of `files[i]`; `damaged`
    maps `"<shard> record <n>"` to why that record and the rest of its shard
    cannot be read.
    """

    files: list[str]
    counts: list[int]
    class_names: list[str]
    damaged: dict[str, str]


def make_example(
    jpegs: Sequence[bytes], label: int, text: str, media_id: str
) -> tf.train.SequenceExample:
    """One clip's record: its JPEG frames and its label under the DMVR keys.

    Every frame is decoded once here; when all of them decode, their
    fingerprints are stored too (`image/fingerprint`), which lets readers
    decode them in the graph (see the module's docstring).
    """
    example = tf.train.SequenceExample()
    context = example.context.feature
    context[LABEL_INDEX_KEY].int64_list.value.append(label)
    context[LABEL_TEXT_KEY].bytes_list.value.append(text.encode())
    context[MEDIA_ID_KEY].bytes_list.value.append(media_id.encode())
    if jpegs and _all_decode(jpegs):
        fingerprints = tf.fingerprint(tf.constant(list(jpegs), tf.string)).numpy().tobytes()
        context[FINGERPRINT_KEY].bytes_list.value.append(fingerprints)
    frames = example.feature_lists.feature_list[IMAGE_KEY]
    for jpeg in jpegs:
        frames.feature.add().bytes_list.value.append(jpeg)
    return example


def _all_decode(jpegs: Sequence[bytes]) -> bool:
    try:
        decode_jpegs(jpegs)  # frames of different sizes fail in np.stack: ValueError
    except (tf.errors.InvalidArgumentError, ValueError):
        return False
    return True


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


def shard_name(prefix: str, number: int, total: int) -> str:
    """The file name of shard `number` of `total`: `PREFIX-00000-of-00004.tfrecord`."""
    return f"{prefix}-{number:05d}-of-{total:05d}.tfrecord"


def clip_name(path: str, start: float, end: float) -> str:
    """How skip lists name a clip: its path, and its window when it is only part of the file."""
    if np.isnan(start) and np.isnan(end):
        return path
    return f"{path} [{start:g}-{end:g} s]"


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

    Clips are dealt into `num_shards` shards (fewer if there are fewer clips).
    Each shard is written under a temporary name (`OUT/.PREFIX-00000.tmp`,
    which readers ignore) and all are renamed once every clip is done. The
    names are given then: a shard whose clips were all skipped is not written,
    and `-of-0000N` is the number of shards really written. A call that raises
    or is interrupted leaves none of its temporary files.

    `shorter_side` stores frames scaled down to that length (e.g. the model's
    input size, or a little more for random crops): smaller records, faster reads.

    Returns:
        The shard paths, and the clips skipped under `on_error="skip"`
        (`clip_name` -> reason).

    Raises:
        VideoDecodeError: a clip cannot be decoded and `on_error` is "raise".
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    order = shard_order(clips.labels, max(1, min(num_shards, len(clips))), seed)
    temps = [out / f".{prefix}-{number:05d}.tmp" for number in range(len(order))]
    encode = partial(encode_clip, quality=quality, limits=limits, shorter_side=shorter_side)
    skipped: dict[str, str] = {}
    filled = []
    try:
        with tqdm(
            total=len(clips), desc=f"writing {prefix}", unit="clip", disable=not show_progress
        ) as bar:
            for temp, members in zip(temps, order, strict=True):
                if _write_shard(temp, clips, members, encode, on_error, skipped, bar.update):
                    filled.append(temp)
        paths = [out / shard_name(prefix, i, len(filled)) for i in range(len(filled))]
        for temp, path in zip(filled, paths, strict=True):
            os.replace(temp, path)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    write_labels(out, clips.class_names)
    return paths, skipped


def _write_shard(
    path: Path,
    clips: ClipList,
    members: Sequence[int],
    encode: Callable[[str, float, float], list[bytes]],
    on_error: str,
    skipped: dict[str, str],
    progress: Callable[[], object],
) -> int:
    """Writes clips `members` to the shard `path`; returns how many records it holds.

    A clip that does not decode is raised, or with `on_error="skip"` added to `skipped`.
    """
    count = 0
    with tf.io.TFRecordWriter(str(path)) as writer:
        for i in members:
            clip = (clips.paths[i], clips.start[i], clips.end[i], clips.labels[i])
            try:
                record = clip_record(*clip, clips.class_names, encode)
            except VideoDecodeError as err:
                if on_error != "skip":
                    raise
                skipped[clip_name(*clip[:3])] = err.reason
            else:
                writer.write(record)
                count += 1
            progress()
    return count


def clip_record(
    path: str,
    start: float,
    end: float,
    label: int,
    class_names: Sequence[str],
    encode: Callable[[str, float, float], list[bytes]],
) -> bytes:
    """One clip as a serialized record: its frames by `encode(path, start, end)` (e.g.
    `encode_clip` with its settings bound), its label and class name, `path` as media id.

    What `write_shards` writes per clip, and the Beam conversion (`zoo.beam`) too.

    Raises:
        VideoDecodeError: the clip cannot be decoded.
    """
    jpegs = encode(path, start, end)
    return make_example(jpegs, label, class_names[label], path).SerializeToString()


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


def record_name(shard: str, index: int) -> str:
    """How errors and skip reports name one record: `"<shard> record <index>"`."""
    return f"{shard} record {index}"


def read_example(serialized: bytes) -> Record:
    """A serialized `tf.train.SequenceExample` to a `Record`.

    Raises:
        ValueError: the bytes are not a `SequenceExample`.
    """
    try:
        example = tf.train.SequenceExample.FromString(serialized)
    except DecodeError as err:
        raise ValueError(f"not a tf.train.SequenceExample ({err})") from None
    context = example.context.feature
    labels = context[LABEL_INDEX_KEY].int64_list.value if LABEL_INDEX_KEY in context else []
    texts = context[LABEL_TEXT_KEY].bytes_list.value if LABEL_TEXT_KEY in context else []
    ids = context[MEDIA_ID_KEY].bytes_list.value if MEDIA_ID_KEY in context else []
    prints = context[FINGERPRINT_KEY].bytes_list.value if FINGERPRINT_KEY in context else []
    return Record(
        jpegs=_JpegList(example.feature_lists.feature_list[IMAGE_KEY].feature),
        label=int(labels[0]) if labels else -1,
        text=texts[0].decode(errors="replace") if texts else "",
        media_id=ids[0].decode(errors="replace") if ids else "",
        fingerprints=prints[0] if prints else b"",
    )


def tf_reason(err: tf.errors.OpError) -> str:
    """The cause in a TensorFlow error message: its last line, without node names and op tags."""
    lines = (_TF_TAGS.sub("", line).strip() for line in err.message.splitlines())
    return next((line for line in reversed(list(lines)) if line), err.message)


def describe(files: Sequence[str]) -> Shards:
    """Reads every record once: readable records per shard, damage, and class names.

    Class names come from `labels.txt` beside (or one level above) the shards,
    otherwise from the records' `clip/label/text`, ordered by `clip/label/index`.
    """
    labels_file = next((p for p in _labels_candidates(files) if p.is_file()), None)
    names: dict[int, str] = {}
    counts, damaged = [], {}
    for file in files:
        count = 0
        try:
            for serialized in tf.data.TFRecordDataset(file).as_numpy_iterator():
                count += 1
                if labels_file is None:
                    _collect_name(serialized, names)
        except tf.errors.DataLossError as err:
            damaged[record_name(file, count)] = (
                f"unreadable record ({tf_reason(err)}); the rest of the shard is lost"
            )
        counts.append(count)
    if labels_file is not None:
        class_names = labels_file.read_text().splitlines()
    else:
        class_names = [names.get(i) or str(i) for i in range(max(names, default=-1) + 1)]
    return Shards(list(files), counts, class_names, damaged)


def _labels_candidates(files: Sequence[str]) -> list[Path]:
    parents = [Path(f).parent for f in files]
    return list(dict.fromkeys(p / LABELS_FILE for p in parents + [p.parent for p in parents]))


def _collect_name(serialized: bytes, names: dict[int, str]) -> None:
    """Notes a record's class name under its index; records that do not parse are left
    to `decode_record`, which reports them."""
    try:
        record = read_example(serialized)
    except ValueError:
        return
    names.setdefault(record.label, record.text)


def read_tfrecords(
    shards: Shards, seed: int = 0, shuffle: bool = False, deterministic: bool = True
) -> tf.data.Dataset:
    """Stage 1 for shards: `(serialized record, shard path, int64 record number, int64 seed)`.

    Only the readable records of each shard are read (`Shards.counts`), so a
    cut or corrupt tail never stops an epoch.
    """
    files = tf.data.Dataset.from_tensor_slices(
        (tf.constant(shards.files, tf.string), tf.constant(shards.counts, tf.int64))
    )
    if shuffle:
        files = files.shuffle(len(shards.files), seed=seed, reshuffle_each_iteration=True)

    def records(file: tf.Tensor, count: tf.Tensor) -> tf.data.Dataset:
        numbered = tf.data.TFRecordDataset(file).take(count).enumerate()
        return numbered.map(lambda index, record: (record, file, index))

    ds = files.interleave(
        records,
        cycle_length=min(len(shards.files), 4),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=deterministic,
    )
    if shuffle:
        ds = ds.shuffle(256, seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return tf.data.Dataset.zip(ds, seeds).map(lambda record, s: (*record, s))


def decode_jpegs(jpegs: Sequence[bytes]) -> np.ndarray:
    """JPEG bytes to uint8 frames `(N, H, W, 3)`, one TF op per frame.

    Plain eager calls: TF's decoder releases the GIL, and a loop of eager ops
    cost less than one call of a `tf.function` with a `map_fn` inside (4.0 vs
    5.4 ms for ten 299x224 frames on this project's CPU).
    """
    return np.stack([tf.io.decode_jpeg(jpeg, channels=3).numpy() for jpeg in jpegs])


def decode_record(
    serialized: bytes,
    shard: bytes,
    index: np.int64,
    seed: np.int64,
    indices: Callable[[int, int], np.ndarray],
    skips: SkipReport | None = None,
) -> tuple[np.ndarray, np.int32]:
    """Stage 2 for shards in plain Python: `(uint8 frames (N, T, H, W, 3), int32 label)`.

    `indices(num_frames, seed)` is a clip sampler returning `(N, T)` frame
    numbers; only those JPEGs are decoded. A broken record raises
    `VideoDecodeError` naming `"<shard> record <index>"`, or with `skips` is
    recorded there and gives empty frames.
    """
    name = record_name(shard.decode(), int(index))
    try:
        return _decode_record(name, serialized, indices, int(seed))
    except VideoDecodeError as err:
        skip_or_raise(err, skips)
        return np.zeros((0, 0, 1, 1, 3), np.uint8), np.int32(-1)


def _parse_and_sample(
    name: str, serialized: bytes, indices: Callable[[int, int], np.ndarray], seed: int
) -> tuple[Record, np.ndarray, np.ndarray, np.ndarray]:
    """The record, the frame numbers `(N, T)` its clip samples, the distinct ones among
    them, and where each sampled frame is among those (`np.unique`'s inverse)."""
    try:
        record = read_example(serialized)
    except ValueError as err:
        raise VideoDecodeError(name, str(err)) from None
    if not record.jpegs:
        raise VideoDecodeError(name, f"{record.media_id or 'the clip'} has no {IMAGE_KEY} frames")
    chosen = np.asarray(indices(len(record.jpegs), seed), np.int64)
    wanted, position = np.unique(chosen.reshape(-1), return_inverse=True)
    return record, chosen, wanted, position


def select_frames(
    serialized: bytes, name: str, seed: int, indices: Callable, skips: SkipReport | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.int32]:
    """What the graph needs to decode the clip of record `name` itself, in plain Python.

    `indices` and `skips` are those of `decode_record`.

    Returns:
        The JPEG bytes of the distinct sampled frames `(U,)`, their stored
        fingerprints `uint8 (U, 8)` (zeros when the record has none), the
        position of each sampled frame among them `(N * T,)`, the clip shape
        `[N, T]`, and the label. A record that does not parse raises
        `VideoDecodeError`, or with `skips` is recorded there and gives `U = 0`.
    """
    try:
        record, chosen, wanted, position = _parse_and_sample(name, serialized, indices, seed)
    except VideoDecodeError as err:
        skip_or_raise(err, skips)
        empty = np.zeros(0, np.int64)
        none = np.array([], object), np.zeros((0, FINGERPRINT_BYTES), np.uint8)
        return *none, empty, np.zeros(2, np.int64), np.int32(-1)
    stored = np.frombuffer(record.fingerprints, np.uint8)
    if stored.size == len(record.jpegs) * FINGERPRINT_BYTES:
        prints = stored.reshape(-1, FINGERPRINT_BYTES)[wanted]
    else:
        prints = np.zeros((len(wanted), FINGERPRINT_BYTES), np.uint8)  # never matches a frame
    jpegs = np.array([record.jpegs[i] for i in wanted], object)
    return jpegs, prints, position, np.array(chosen.shape, np.int64), np.int32(record.label)


def _decode_record(
    name: str, serialized: bytes, indices: Callable[[int, int], np.ndarray], seed: int
) -> tuple[np.ndarray, np.int32]:
    record, chosen, wanted, position = _parse_and_sample(name, serialized, indices, seed)
    clip = record.media_id or "the clip"
    try:
        frames = decode_jpegs([record.jpegs[i] for i in wanted])
    except tf.errors.InvalidArgumentError as err:
        raise VideoDecodeError(name, f"frames of {clip} do not decode ({tf_reason(err)})") from None
    return frames[position].reshape(*chosen.shape, *frames.shape[1:]), np.int32(record.label)


@stages.register
def decode_record_stage(
    serialized: bytes, shard: bytes, index: np.int64, seed: np.int64, settings: bytes
) -> tuple[np.ndarray, np.int32]:
    """`decode_record` with its settings as `DecodeSettings` JSON: what `decode_records` runs."""
    given = DecodeSettings.from_json(settings)
    return decode_record(serialized, shard, index, seed, given.indices, given.skips())


@stages.register
def select_frames_stage(
    serialized: bytes, shard: bytes, index: np.int64, seed: np.int64, settings: bytes
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.int32]:
    """`select_frames` with its settings as `DecodeSettings` JSON."""
    given = DecodeSettings.from_json(settings)
    name = record_name(shard.decode(), int(index))
    return select_frames(serialized, name, int(seed), given.indices, given.skips())


def _decode_in_graph(jpegs: tf.Tensor, position: tf.Tensor, shape: tf.Tensor) -> tf.Tensor:
    """JPEG bytes `(U,)` of verified frames to uint8 `(N, T, H, W, 3)` (see `select_frames`)."""
    frames = tf.map_fn(
        lambda jpeg: tf.io.decode_jpeg(jpeg, channels=3),
        jpegs,
        fn_output_signature=tf.TensorSpec([None, None, 3], tf.uint8),
    )
    frames = tf.gather(frames, position)
    return tf.reshape(frames, tf.concat([shape, tf.shape(frames, tf.int64)[1:]], 0))


def decode_records(
    ds: tf.data.Dataset, settings: DecodeSettings, deterministic: bool = True
) -> tf.data.Dataset:
    """Stage 2 for shards: records to `(uint8 frames (N, T, H, W, 3), int32 label, seed)`.

    Frames are sampled by `settings.spec`; with a skip report in `settings`,
    broken records are dropped and recorded there. Frames whose fingerprints
    match decode in the graph; a record without them, or with others, is
    decoded by `decode_record` in Python (see the module's docstring).
    """
    text = settings.to_json()

    def in_python(serialized, shard, index, seed):
        return stages.call(
            decode_record_stage, [serialized, shard, index, seed, text], [tf.uint8, tf.int32]
        )[0]

    def decode_one(serialized, shard, index, seed):
        jpegs, stored, position, shape, label = stages.call(
            select_frames_stage,
            [serialized, shard, index, seed, text],
            [tf.string, tf.uint8, tf.int64, tf.int64, tf.int32],
        )
        verified = tf.reduce_all(
            tf.equal(tf.fingerprint(jpegs), tf.reshape(stored, [-1, FINGERPRINT_BYTES]))
        )
        frames = tf.cond(
            tf.equal(tf.size(jpegs), 0),  # skipped: frames with no clips, filtered out below
            lambda: tf.zeros([0, 0, 1, 1, 3], tf.uint8),
            lambda: tf.cond(
                verified,
                lambda: _decode_in_graph(jpegs, position, shape),
                lambda: in_python(serialized, shard, index, seed),
            ),
        )
        return (
            tf.ensure_shape(frames, [None, None, None, None, 3]),
            tf.ensure_shape(label, []),
            seed,
        )

    ds = ds.map(decode_one, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
    if settings.report is not None:
        ds = ds.filter(lambda frames, label, seed: tf.shape(frames)[0] > 0)
    return ds
