"""The sound of each clip beside its frames, for `video_dataset(modalities=(..., "audio"))`.

Three steps slot into the pipeline of `zoo.data.pipeline`:

    decode      `decode_av_stage` (a registered Python stage, so tf.data
                service workers know it): the sampled frames and, in the same
                call, the audio of each clip's time window (`clips_audio`),
                float32 `(num_clips, num_samples)` at a fixed rate
    log_mel     after the video transform, in TF: `AudioSpec.log_mel`
    select      after batching: `({"frames": ..., "audio": ...}, label)`, or
                one modality alone, as zoo's models take them

The window of a clip is computed from the timestamps of the frames that were
really decoded, so temporal jitter and multi-clip sampling move the sound with
the picture. A file without an audio track raises `VideoDecodeError` naming
it (or is skipped and counted with `on_error="skip"`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from functools import partial

import numpy as np
import tensorflow as tf

from zoo.data import stages
from zoo.data.audio import AudioSpec, clips_audio
from zoo.data.decode import probe, read_video
from zoo.data.errors import (
    DEFAULT_LIMITS,
    DecodeLimits,
    SkipReport,
    VideoDecodeError,
    skip_or_raise,
)
from zoo.data.samplers import ClipSpec
from zoo.data.stages import DecodeSettings

MODALITIES = ("video", "audio")
# The key of each modality in the elements, the input names of zoo's models.
KEYS = {"video": "frames", "audio": "audio"}


def check_modalities(modalities: Sequence[str]) -> tuple[str, ...]:
    """`modalities` as a tuple in canonical order; raises ValueError for unknown or none."""
    unknown = sorted(set(modalities) - set(MODALITIES))
    if unknown or not modalities:
        raise ValueError(f"modalities must be a non-empty subset of {MODALITIES}, not {modalities}")
    return tuple(m for m in MODALITIES if m in modalities)


def resolve(
    audio: AudioSpec | None, spec: ClipSpec, videos: Sequence[str], limits: DecodeLimits
) -> AudioSpec:
    """`audio` (default `AudioSpec()`) with `seconds` set, when None, to one clip's length.

    A clip of the "random" or "multi" sampler spans `(clip_len - 1) * frame_step + 1`
    frames, timed at the frame rate of the first of `videos` that can be read
    (a broken file is left to the decode stage, which raises or skips it). The
    "uniform" sampler spreads its frames over each whole video, so it needs
    `seconds` given.

    Raises:
        VideoDecodeError: no video of `videos` gives a frame rate (the first one's error).
    """
    audio = audio or AudioSpec()
    if audio.seconds is not None:
        return audio
    if spec.sampler == "uniform":
        raise ValueError("sampler='uniform' with audio: give AudioSpec(seconds=...)")
    first_error = None
    for video in videos:
        try:
            fps = probe(video, limits).fps
        except VideoDecodeError as err:
            first_error = first_error or err
            continue
        if fps:
            frames = (spec.clip_len - 1) * spec.frame_step + 1
            return dataclasses.replace(audio, seconds=frames / fps)
        first_error = first_error or VideoDecodeError(
            video, "has no frame rate to time the audio window by"
        )
    raise first_error


def decode_av_clip(
    path: bytes | str,
    window: np.ndarray,
    seed: np.int64,
    settings: DecodeSettings,
    audio: AudioSpec,
) -> tuple[np.ndarray, np.ndarray]:
    """Frames uint8 `(num_clips, T, H, W, 3)` and their sound float32 `(num_clips, num_samples)`.

    Empty arrays (`num_clips` = 0) when the file is broken, has no audio
    track, and `settings` skip broken files.
    """
    name = path.decode() if isinstance(path, bytes) else str(path)
    spec = settings.spec
    start, end = (None if np.isnan(t) else float(t) for t in window)
    sample = partial(spec.indices, seed=int(seed), training=settings.training)
    num_clips = spec.clips_per_video
    try:
        video = read_video(
            name, sample, settings.limits, start=start, end=end, shorter_side=settings.shorter_side
        )
        sound = clips_audio(
            name, video, audio.sample_rate, num_clips, audio.num_samples, settings.limits
        )
    except VideoDecodeError as err:
        skip_or_raise(err, settings.skips())
        empty = np.zeros((0, spec.clip_len, 1, 1, 3), np.uint8)
        return empty, np.zeros((0, audio.num_samples), np.float32)
    height, width = video.frames.shape[1:3]
    return video.frames.reshape(num_clips, spec.clip_len, height, width, 3), sound


@stages.register
def decode_av_stage(
    path: bytes, window: np.ndarray, seed: np.int64, settings: bytes, audio: bytes
) -> tuple[np.ndarray, np.ndarray]:
    """`decode_av_clip` with its settings as JSON (`DecodeSettings`, `AudioSpec`)."""
    return decode_av_clip(
        path, window, seed, DecodeSettings.from_json(settings), AudioSpec.from_json(audio)
    )


def decode(
    ds: tf.data.Dataset,
    spec: ClipSpec,
    training: bool,
    audio: AudioSpec,
    limits: DecodeLimits = DEFAULT_LIMITS,
    skips: SkipReport | None = None,
    deterministic: bool = True,
    shorter_side: int | None = None,
) -> tf.data.Dataset:
    """`(path, window, label, seed)` to `(frames uint8 (N, T, H, W, 3), label, seed, sound (N, S))`.

    The audio twin of `pipeline.decode`: one Python call per video decodes both.
    """
    settings = DecodeSettings(spec, training, limits, shorter_side, stages.report_key(skips))
    texts = [settings.to_json(), audio.to_json()]

    def decode_one(path, window, label, seed):
        frames, sound = stages.call(
            decode_av_stage, [path, window, seed, *texts], [tf.uint8, tf.float32]
        )
        frames = tf.ensure_shape(frames, [None, spec.clip_len, None, None, 3])
        sound = tf.ensure_shape(sound, [None, audio.num_samples])
        return frames, label, seed, sound

    workers = os.cpu_count() or tf.data.AUTOTUNE  # one decoder per core, as pipeline.decode
    ds = ds.map(decode_one, num_parallel_calls=workers, deterministic=deterministic)
    if skips is not None:
        ds = ds.filter(lambda frames, label, seed, sound: tf.shape(frames)[0] > 0)
    return ds


def log_mel(
    ds: tf.data.Dataset, audio: AudioSpec, multi_clip: bool, deterministic: bool = True
) -> tf.data.Dataset:
    """`(clip, label, sound)` to `(clip, label, log-mel)`: `(F, M, 1)`, or `(N, F, M, 1)`
    when `multi_clip` (shapes of `AudioSpec.shape`)."""

    def one(clip, label, sound):
        return clip, label, audio.log_mel(sound if multi_clip else sound[0])

    return ds.map(one, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)


def select(ds: tf.data.Dataset, modalities: tuple[str, ...]) -> tf.data.Dataset:
    """Batches `(clips, labels, log-mels)` to what the models of `modalities` take.

    Both: `({"frames": clips, "audio": log_mels}, labels)`, which Keras feeds
    to the inputs of those names (`av_fusion`); one alone: `(it, labels)`.
    """

    def pick(clips, labels, mels):
        given = {"video": clips, "audio": mels}
        if len(modalities) == 1:
            return given[modalities[0]], labels
        return {KEYS[m]: given[m] for m in modalities}, labels

    return ds.map(pick)
