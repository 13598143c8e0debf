"""`video_dataset`: a parallel tf.data pipeline from video files or TFRecords to batched clips.

The pipeline is a chain of plain named stages that can be recombined, in the
style of DMVR:

    read        ClipList -> (path, window, label, seed), one element per video
    decode      sample frame numbers and decode them with PyAV, in parallel
                (sampling happens inside, so each file is opened once)
    transform   resize / crop / augment / normalise in TF, one draw per clip
    distribute  optionally, run the stages above on a tf.data service
    batch       batch and prefetch

TFRecord shards take `tfrecord.read_tfrecords` and `tfrecord.decode_records`
in place of `read` and `decode`; every stage after that is shared, so both
sources give the same elements.

Decoding runs in a Python stage (`zoo.data.stages`) under a parallel `map`:
PyAV releases the GIL, so several files decode at once on several cores. A
`VideoDecodeError` raised there reaches the caller as
`tf.errors.InvalidArgumentError`; `raise_decode_errors` turns it back.

With `service=`, the stages up to `transform` (and the repetition of epochs)
run on the workers of a tf.data service (`zoo data-service`), which import
this module and so know its Python stages; this process only batches.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial

import numpy as np
import tensorflow as tf

from zoo.data import audio_pipeline, stages, tfrecord
from zoo.data.audio import AudioSpec
from zoo.data.decode import read_video
from zoo.data.errors import (
    DEFAULT_LIMITS,
    DecodeLimits,
    SkipReport,
    VideoDecodeError,
    skip_or_raise,
)
from zoo.data.formats import DatasetClips
from zoo.data.samplers import ClipSpec
from zoo.data.sources import ClipList, list_clips
from zoo.data.stages import DecodeSettings
from zoo.data.transforms import (
    CROP_SCALE,
    augment_clip,
    flip_draw,
    normalize,
    preprocess_clip,
    to_float,
)


@contextlib.contextmanager
def raise_decode_errors(*models: object) -> Iterator[None]:
    """Inside it, a pipeline stopped by a broken video raises `VideoDecodeError`, not TF's error.

        with raise_decode_errors(model):
            model.fit(video_dataset(...))

    Whatever stops the block, the tf.data iterators it was reading are deleted
    before the error leaves it, while decoding threads can still finish their
    clip. Left to the error's traceback, an iterator would be deleted only when
    the interpreter exits; by then CPython no longer lets other threads take
    the GIL, so the clips being decoded in the Python stage never return,
    and the iterator's destructor waits for them forever (a run that prints its
    error and then hangs).

    Args:
        *models: Keras models trained or evaluated in the block; Keras keeps
            the validation iterator of an interrupted `fit` on the model
            (`_eval_epoch_iterator`), so it is dropped too.

    Raises:
        VideoDecodeError: rebuilt from the `tf.errors.InvalidArgumentError`
            (`VideoDecodeError.from_tf_error`), which becomes its `__cause__`.
            Every other error is raised unchanged.
    """
    try:
        yield
    except BaseException as err:
        release_iterators(err, models)
        decode_error = (
            VideoDecodeError.from_tf_error(err) if isinstance(err, tf.errors.OpError) else None
        )
        if decode_error is None:
            raise
        raise decode_error from err


def release_iterators(err: BaseException, models: Sequence[object] = ()) -> None:
    """Deletes the tf.data iterators held by the frames `err` passed through, and by `models`.

    The local variables of every frame that `err`, its causes and contexts can
    reach are cleared (frames still running are left alone), then the garbage
    collector runs, so that iterators caught in reference cycles are deleted
    now as well. That includes the callers of the traceback's frames
    (`f_back`): TensorFlow shortens the tracebacks it raises, and a frame it
    cut out still holds the iterator and is reachable from the frame below it.
    """
    for frame in _reachable_frames(err):
        with contextlib.suppress(RuntimeError):  # a running frame cannot be cleared
            frame.clear()
    for model in models:
        if getattr(model, "_eval_epoch_iterator", None) is not None:
            model._eval_epoch_iterator = None
    gc.collect()


def _reachable_frames(err: BaseException) -> Iterator[types.FrameType]:
    """Every frame of the tracebacks of `err` and its chain, with the frames that called them."""
    errors, seen = [err], set()
    while errors:
        error = errors.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        errors += [error.__cause__, error.__context__]
        tb = error.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            while frame is not None and id(frame) not in seen:
                seen.add(id(frame))
                yield frame
                frame = frame.f_back
            tb = tb.tb_next


def read(clips: ClipList, seed: int = 0) -> tf.data.Dataset:
    """Stage 1: `(path, window, label, seed)`, one element per video.

    `window` is float32 `(2,)`: the clip's start and end in seconds, NaN for
    the file's own start or end. `label` is int32 `()`, or for a multi-label
    list (one with `tags`) float32 multi-hot `(classes,)`.
    """
    windows = np.stack([clips.start, clips.end], axis=-1).astype(np.float32).reshape(-1, 2)
    labels = (
        tf.constant(clips.labels, tf.int32)
        if clips.tags is None
        else tf.constant(clips.multi_hot().reshape(len(clips), -1))
    )
    rows = tf.data.Dataset.from_tensor_slices(
        (tf.constant(clips.paths, tf.string), windows, labels)
    )
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return tf.data.Dataset.zip(rows, seeds).map(lambda row, s: (*row, s))


def decode_clip(
    path: bytes,
    window: np.ndarray,
    seed: np.int64,
    spec: ClipSpec,
    training: bool,
    limits: DecodeLimits = DEFAULT_LIMITS,
    skips: SkipReport | None = None,
    shorter_side: int | None = None,
) -> np.ndarray:
    """Stage 2 in plain Python: uint8 `(num_clips, T, H, W, 3)`, or an empty array if skipped.

    `shorter_side` scales frames down while they are converted to RGB (free),
    which spares the transform stage most of its resizing.
    """
    name = path.decode() if isinstance(path, bytes) else str(path)
    sample = partial(spec.indices, seed=int(seed), training=training)
    start, end = (None if np.isnan(t) else float(t) for t in window)
    try:
        video = read_video(name, sample, limits, start=start, end=end, shorter_side=shorter_side)
    except VideoDecodeError as err:
        skip_or_raise(err, skips)
        return np.zeros((0, spec.clip_len, 1, 1, 3), np.uint8)
    height, width = video.frames.shape[1:3]
    return video.frames.reshape(spec.clips_per_video, spec.clip_len, height, width, 3)


@stages.register
def decode_stage(path: bytes, window: np.ndarray, seed: np.int64, settings: bytes) -> np.ndarray:
    """`decode_clip` with its settings as `DecodeSettings` JSON: what `decode` runs per clip."""
    given = DecodeSettings.from_json(settings)
    return decode_clip(
        path,
        window,
        seed,
        given.spec,
        given.training,
        given.limits,
        given.skips(),
        given.shorter_side,
    )


def decode(
    ds: tf.data.Dataset,
    spec: ClipSpec,
    training: bool,
    limits: DecodeLimits = DEFAULT_LIMITS,
    skips: SkipReport | None = None,
    deterministic: bool = True,
    shorter_side: int | None = None,
) -> tf.data.Dataset:
    """Stage 2: `(path, window, label, seed)` to `(uint8 frames (N, T, H, W, 3), label, seed)`."""
    settings = DecodeSettings(spec, training, limits, shorter_side, stages.report_key(skips))
    text = settings.to_json()

    def decode_one(path, window, label, seed):
        (frames,) = stages.call(decode_stage, [path, window, seed, text], [tf.uint8])
        frames = tf.ensure_shape(frames, [None, spec.clip_len, None, None, 3])
        return frames, label, seed

    # One decoder per core: autotune tends to start more, and they then compete for the cores.
    workers = os.cpu_count() or tf.data.AUTOTUNE
    ds = ds.map(decode_one, num_parallel_calls=workers, deterministic=deterministic)
    if skips is not None:
        ds = ds.filter(lambda frames, label, seed: tf.shape(frames)[0] > 0)
    return ds


def label_swap(class_names: Sequence[str], flip_label_map: Mapping[str, str]) -> tf.Tensor:
    """int32 `(classes,)`: the label a flipped clip of each class gets ("left" -> "right")."""
    unknown = set(flip_label_map) | set(flip_label_map.values())
    unknown -= set(class_names)
    if unknown:
        raise ValueError(
            f"flip_label_map names unknown classes {sorted(unknown)}; classes: {list(class_names)}"
        )
    lookup = {name: i for i, name in enumerate(class_names)}
    return tf.constant([lookup[flip_label_map.get(n, n)] for n in class_names], tf.int32)


def transform(
    ds: tf.data.Dataset,
    size: int,
    augment: bool,
    flip: bool = False,
    multi_clip: bool = False,
    deterministic: bool = True,
    swap: tf.Tensor | None = None,
    mean_std: tuple[Sequence[float], Sequence[float]] | None = None,
    dtype: str = "uint8",
) -> tf.data.Dataset:
    """Stage 3: decoded frames to uint8 clips `(T, size, size, 3)`, or `(N, T, ...)` when
    `multi_clip`; float32 in [0, 1] with `dtype="float32"` (see `zoo.data.transforms`).

    With `augment`, each clip gets one random crop, colour change and (with
    `flip`) mirror; `swap` (see `label_swap`) then relabels the mirrored clips.
    `mean_std` standardises the float32 output per channel. Elements may
    carry more after `seed` (the sound of the clip): it passes unchanged.
    """

    def one(frames, label, seed, *extra):
        if multi_clip or not augment:
            clip = preprocess_clip(frames if multi_clip else frames[0], size, dtype)
        else:
            stateless_seed = tf.cast(tf.stack([seed % (2**31 - 1), seed // (2**31 - 1)]), tf.int32)
            clip = augment_clip(frames[0], size, stateless_seed, flip=flip, dtype=dtype)
            if flip and swap is not None:
                label = tf.where(flip_draw(stateless_seed), tf.gather(swap, label), label)
        if mean_std is not None:
            clip = normalize(clip, *mean_std)
        return clip, label, *extra

    return ds.map(one, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)


SERVICE_MODES = ("distributed_epoch", "parallel_epochs")


def distribute(
    ds: tf.data.Dataset, service: str, processing_mode: str = "distributed_epoch"
) -> tf.data.Dataset:
    """Stage 3b: the stages so far run on the workers of the tf.data service at `service`.

    `service` is the dispatcher's "host:port" (or "grpc://host:port").
    "distributed_epoch" splits each pass over the source between the workers,
    so every video is seen once per pass; "parallel_epochs" has every worker
    make whole passes of its own. Elements come in the order the workers
    deliver them: not deterministic with several workers.
    """
    if processing_mode not in SERVICE_MODES:
        raise ValueError(f"processing_mode must be one of {SERVICE_MODES}, not {processing_mode!r}")
    return ds.apply(tf.data.experimental.service.distribute(processing_mode, service))


def batch(
    ds: tf.data.Dataset,
    batch_size: int,
    finish: Callable[[tf.Tensor, tf.Tensor], tuple[tf.Tensor, tf.Tensor]] | None = None,
) -> tf.data.Dataset:
    """Stage 4: batches, `finish(clips, labels)` applied to each batch if given, prefetching."""
    ds = ds.batch(batch_size)
    if finish is not None:
        ds = ds.map(finish, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def _float_batch(
    clips: tf.Tensor,
    labels: tf.Tensor,
    *extra: tf.Tensor,
    mean_std: tuple[Sequence[float], Sequence[float]] | None,
) -> tuple[tf.Tensor, ...]:
    """A batch of uint8 clips as float32 in [0, 1], standardised with `mean_std` if given."""
    clips = to_float(clips)
    return (clips if mean_std is None else normalize(clips, *mean_std)), labels, *extra


def video_dataset(
    source: str | os.PathLike | Sequence[str] | ClipList,
    clip_len: int = 8,
    frame_step: int = 2,
    size: int = 64,
    sampler: str = "random",
    num_clips: int = 1,
    batch_size: int = 8,
    split: str | None = None,
    format: str | None = None,
    fold: int = 1,
    augment: bool = False,
    flip: bool = False,
    shuffle: bool = False,
    cache: bool | str = False,
    repeat: bool = False,
    on_error: str = "raise",
    seed: int = 0,
    deterministic: bool = True,
    limits: DecodeLimits = DEFAULT_LIMITS,
    flip_label_map: Mapping[str, str] | None = None,
    temporal_jitter: int = 0,
    mean_std: tuple[Sequence[float], Sequence[float]] | None = None,
    service: str | None = None,
    processing_mode: str = "distributed_epoch",
    dtype: str = "uint8",
    modalities: Sequence[str] = ("video",),
    audio: AudioSpec | None = None,
    multi_label: bool = False,
) -> tf.data.Dataset:
    """Batches of clips `(uint8 (B, T, size, size, 3), int32 label (B,))`, pixels in [0, 255]
    as every zoo model takes them (float32 in [0, 1] with `dtype="float32"`), or with
    `multi_label` float32 multi-hot labels `(B, classes)`.

    Args:
        source: a folder per class, a CSV manifest, a `ClipList`, or TFRecord
            shards (a `.tfrecord` file, a glob, a list of files, or a folder
            of shards; see `zoo.data.tfrecord`).
        clip_len: frames per clip (`T`), or segments for `sampler="uniform"`.
        frame_step: distance between sampled frames.
        size: output height and width.
        sampler: "random" (random start when training, centre otherwise),
            "uniform" (TSN segments) or "multi" (`num_clips` evenly spaced
            clips; elements then have shape `(B, num_clips, T, size, size, 3)`).
        split: "train", "val" or "test" for trees, manifests and shard folders
            that have them.
        format: the layout of a public data set's annotation files (one of
            `zoo.data.formats.FORMATS`); None detects it (see `list_clips`).
        fold: the official split of data sets that have several (UCF101, HMDB51).
        augment: random crop and colour jitter (training); off gives the
            deterministic evaluation path.
        flip: random horizontal flips when `augment` is on. Leave it off
            for direction labels, or give `flip_label_map`.
        shuffle: shuffle the videos every epoch.
        cache: keep decoded clips in memory (`True`) or in a file (a path).
            Caching freezes the sampled frames, so it suits evaluation.
        repeat: repeat forever.
        on_error: "raise" stops at a broken file or record with
            `VideoDecodeError` (inside TF's error while iterating; see
            `raise_decode_errors`); "skip" drops it, records it in
            `dataset.skipped` and goes on. It also decides what happens to
            videos a data set lists that are not on disk: "raise" refuses
            them in one error, "skip" leaves them out and lists them in
            `dataset.skipped`.
        seed: seeds shuffling, sampling and augmentation.
        deterministic: keep element order fixed despite parallel decoding.
        limits: decoding safety limits.
        flip_label_map: class names a flip swaps, e.g. `{"left": "right",
            "right": "left"}`; a flipped clip takes the mapped label. Turns
            flipping on (with `augment`).
        temporal_jitter: with `augment`, move each frame number by up to this
            many frames.
        mean_std: per-channel `(mean, std)` in [0, 1] units to standardise the
            float32 clips with (with `dtype="float32"` only).
        service: the address of a tf.data service dispatcher ("host:port";
            see `zoo data-service`). Reading, decoding, transforming and
            repeating then run on its workers, which must see the videos at
            the same paths; this process only batches (the clips travel as
            uint8 and become `dtype` here, a batch at a time). Element order is then
            not deterministic, broken files skipped on a worker are logged
            there (not in `dataset.skipped`), and `cache` is refused. In TF
            2.21 a finite pass (`repeat=False`) waits for every worker that
            was registered when it began, a dead one too: with workers that
            may die, read endlessly (`repeat=True`), as `zoo train` does.
        processing_mode: with `service`: "distributed_epoch" (each pass is
            split between the workers: every video once per pass) or
            "parallel_epochs" (each worker makes whole passes).
        dtype: "uint8" (pixels in [0, 255], what zoo's models take: they
            scale them inside, on the accelerator; a quarter of the bytes of
            float32 to batch, prefetch and send), or "float32": the same
            pixels in [0, 1], unrounded, for a model that takes those.
        modalities: ("video",) gives clips; ("audio",) the log-mel of each
            clip's sound, float32 `(B, frames, mel_bins, 1)` (`(B, num_clips,
            ...)` for "multi"); ("video", "audio") both, as `({"frames": clips,
            "audio": log_mel}, label)`, the input names of `av_fusion`. The
            sound is that of the sampled clip's time window, from its first
            frame to the end of its last (`zoo.data.audio_pipeline`), so it
            follows temporal jitter and multi-clip sampling. Video files only:
            TFRecord shards hold no audio. With audio, a file without an
            audio track is a broken file for `on_error`.
        audio: how the sound becomes a log-mel spectrogram (rate, length,
            mel bins); None: `AudioSpec()` at 16 kHz with the length of one
            clip (see `audio_pipeline.resolve`).
        multi_label: labels are sets: a manifest's `label` cells may hold
            several names (`a|b`), and each element's label is float32
            multi-hot `(classes,)` (any other video source: one label per
            clip). Not with TFRecord shards or `flip_label_map`.

    Returns:
        A `tf.data.Dataset` with attributes `class_names`, `skipped` (a
        `SkipReport`), `num_videos` and `audio_spec` (the resolved `AudioSpec`
        whose `shape` is the log-mel's, or None without audio).

    Raises:
        VideoDecodeError: with `on_error="raise"`, a TFRecord shard that is
            cut or corrupt (found when the shards are counted).
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
    if dtype == "uint8" and mean_std is not None:
        raise ValueError(
            "mean_std standardises float32 clips: pass dtype='float32' with it "
            "(zoo models take uint8 clips and scale them inside)"
        )
    if service is not None and cache:
        raise ValueError(
            "cache with service: the clips would be cached on each worker, for its own share "
            "of the videos only; leave cache off"
        )
    spec = ClipSpec(clip_len, frame_step, sampler, num_clips, temporal_jitter)
    modalities = audio_pipeline.check_modalities(modalities)
    wants_audio = "audio" in modalities
    training = augment or shuffle
    skips = SkipReport()
    on_skip = skips if on_error == "skip" else None
    files = [] if isinstance(source, ClipList) else tfrecord.list_shards(source, split)
    if files and wants_audio:
        raise ValueError(f"{source}: TFRecord shards hold no audio; read the video files")
    if files and multi_label:
        raise ValueError(f"{source}: TFRecord shards hold one label per clip; read the videos")
    if multi_label and flip_label_map:
        raise ValueError("flip_label_map relabels one class per clip: not with multi_label")
    if files:
        shards = tfrecord.describe(files)
        for name, reason in shards.damaged.items():
            skip_or_raise(VideoDecodeError(name, reason), on_skip)
        num_videos, class_names = sum(shards.counts), shards.class_names
        ds = tfrecord.read_tfrecords(shards, seed, shuffle, deterministic)
        settings = DecodeSettings(spec, training, report=stages.report_key(on_skip))
        ds = tfrecord.decode_records(ds, settings, deterministic)
    else:
        clips = list_clips(source, split, format, fold, on_error, multi_label=multi_label)
        if isinstance(clips, DatasetClips):
            skips.merge(clips.missing)
        if not len(clips):
            raise FileNotFoundError(
                f"{source}: no videos found" + (f" in split {split!r}" if split else "")
            )
        num_videos, class_names = len(clips), clips.class_names
        ds = read(clips, seed)
        if shuffle:
            ds = ds.shuffle(len(clips), seed=seed, reshuffle_each_iteration=True)
        # When augmenting, let the decoder scale frames down to what the smallest
        # random crop needs (cheap). The evaluation path resizes in TF instead,
        # exactly as the exported serving signature does, so that a model sees
        # the same pixels in evaluation and in serving.
        side = math.ceil(size / math.sqrt(CROP_SCALE[0])) if augment else None
        if wants_audio:
            audio = audio_pipeline.resolve(audio, spec, clips.paths, limits)
            args = (spec, training, audio, limits, on_skip, deterministic, side)
            ds = audio_pipeline.decode(ds, *args)
        else:
            ds = decode(ds, spec, training, limits, on_skip, deterministic, side)
    if cache:
        ds = ds.cache(cache if isinstance(cache, str) else "")
    swap = label_swap(class_names, flip_label_map) if flip_label_map else None
    flip = flip or swap is not None
    multi_clip = spec.sampler == "multi"
    # Clips travel from a tf.data service's workers as uint8, a quarter of the bytes, and
    # become float here, a batch at a time.
    sent = "uint8" if service is not None else dtype
    here = mean_std if sent == dtype else None  # else standardised after the service
    ds = transform(ds, size, augment, flip, multi_clip, deterministic, swap, here, sent)
    if wants_audio:
        ds = audio_pipeline.log_mel(ds, audio, multi_clip, deterministic)
    if repeat:
        # Before `distribute`: one service job then serves every pass, and each pass draws
        # new seeds (a new job would start the seed sequence again).
        ds = ds.repeat()
    if service is not None:
        ds = distribute(ds, service, processing_mode)
    finish = None if sent == dtype else partial(_float_batch, mean_std=mean_std)
    ds = batch(ds, batch_size, finish)
    if wants_audio:
        ds = audio_pipeline.select(ds, modalities)
    ds.class_names = class_names
    ds.skipped = skips
    ds.num_videos = num_videos
    ds.audio_spec = audio if wants_audio else None
    return ds
