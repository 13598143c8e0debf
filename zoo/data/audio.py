"""The audio track: mono float32 samples with PyAV, log-mel spectrograms in core TF.

`clip_audio` returns the stretch of sound that plays during a sampled video
clip, so an audio model sees exactly what the video model sees.
"""

from __future__ import annotations

import dataclasses
import os

import av
import numpy as np
import tensorflow as tf

from zoo.data.decode import Video, open_container, within_time_limit
from zoo.data.errors import DEFAULT_LIMITS, DecodeLimits, VideoDecodeError


@dataclasses.dataclass
class Audio:
    """Mono float32 samples `(N,)` in [-1, 1]; `start_s` is the time of `samples[0]`."""

    samples: np.ndarray
    sample_rate: int
    start_s: float


def read_audio(
    path: str | os.PathLike,
    sample_rate: int = 16_000,
    start: float | None = None,
    end: float | None = None,
    limits: DecodeLimits = DEFAULT_LIMITS,
) -> Audio:
    """Decodes the first audio stream of `path`, mixed to mono and resampled to `sample_rate`.

    With `start`/`end` (seconds) only that window is returned, reached by seeking.

    Raises:
        VideoDecodeError: the file is unreadable, has no audio stream, or
            takes longer than `limits.timeout_s`.
    """
    path = os.fspath(path)
    return within_time_limit(
        path, limits, lambda: _read_audio(path, sample_rate, start, end, limits)
    )


def _read_audio(
    path: str, sample_rate: int, start: float | None, end: float | None, limits: DecodeLimits
) -> Audio:
    with open_container(path, limits, need_video=False) as container:
        if not container.streams.audio:
            raise VideoDecodeError(path, "has no audio stream")
        stream = container.streams.audio[0]
        if start is not None and start > 0:
            container.seek(int(start / stream.time_base), stream=stream, backward=True)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks, first_time = [], None
        try:
            for frame in container.decode(stream):
                if first_time is None:
                    first_time = float(frame.time or 0.0)
                chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
                if end is not None and first_time + sum(map(len, chunks)) / sample_rate >= end:
                    break
        except av.FFmpegError as err:
            if not chunks:
                raise VideoDecodeError(path, f"audio decoding failed ({err})") from None
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    first_time = first_time or 0.0
    begin = 0 if start is None else max(round((start - first_time) * sample_rate), 0)
    stop = None if end is None else max(round((end - first_time) * sample_rate), begin)
    return Audio(samples[begin:stop], sample_rate, first_time + begin / sample_rate)


def clip_audio(path: str | os.PathLike, video: Video, sample_rate: int = 16_000) -> Audio:
    """The sound during a decoded clip: from its first frame to the end of its last frame.

    Returns exactly `round(duration * sample_rate)` samples, zero-padded where
    the audio track is shorter than the video.
    """
    frame_s = 1.0 / video.fps if video.fps else 0.0
    start = float(video.timestamps.min())
    end = float(video.timestamps.max()) + frame_s
    audio = read_audio(path, sample_rate, start, end)
    length = round((end - start) * sample_rate)
    samples = np.zeros(length, np.float32)
    samples[: min(length, audio.samples.size)] = audio.samples[:length]
    return Audio(samples, sample_rate, start)


def log_mel_spectrogram(
    samples: tf.Tensor | np.ndarray,
    sample_rate: int = 16_000,
    num_mel_bins: int = 64,
    frame_length_s: float = 0.025,
    frame_step_s: float = 0.010,
    lower_hz: float = 20.0,
    upper_hz: float | None = None,
) -> tf.Tensor:
    """float32 `(..., frames, num_mel_bins)`: log(mel power + 1e-6) of samples `(..., N)`.

    Short-time Fourier transform with a Hann window (`tf.signal.stft`), power
    spectrum, HTK mel filter bank (`tf.signal.linear_to_mel_weight_matrix`).
    """
    frame_length = round(frame_length_s * sample_rate)
    fft_length = 1 << (frame_length - 1).bit_length()
    stft = tf.signal.stft(
        tf.convert_to_tensor(samples, tf.float32),
        frame_length=frame_length,
        frame_step=round(frame_step_s * sample_rate),
        fft_length=fft_length,
    )
    power = tf.square(tf.abs(stft))
    mel_matrix = tf.signal.linear_to_mel_weight_matrix(
        num_mel_bins, fft_length // 2 + 1, sample_rate, lower_hz, upper_hz or sample_rate / 2
    )
    return tf.math.log(tf.tensordot(power, mel_matrix, 1) + 1e-6)
