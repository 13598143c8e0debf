"""The audio track: mono float32 samples with PyAV, log-mel spectrograms in core TF.

`clip_audio` returns the stretch of sound that plays during a sampled video
clip, so an audio model sees exactly what the video model sees.
"""

from __future__ import annotations

import dataclasses
import functools
import json
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


@dataclasses.dataclass(frozen=True)
class AudioSpec:
    """How `video_dataset` turns the sound of a clip into a log-mel spectrogram.

    The sound of each clip (`clips_audio`) is resampled to `sample_rate`,
    cut or zero-padded to `seconds`, and turned into `log_mel_spectrogram`
    with the remaining fields. `seconds=None` is resolved by `video_dataset`
    to the length of a clip without jitter.
    """

    sample_rate: int = 16_000
    seconds: float | None = None
    num_mel_bins: int = 64
    frame_length_s: float = 0.025
    frame_step_s: float = 0.010
    lower_hz: float = 20.0
    upper_hz: float | None = None

    @property
    def num_samples(self) -> int:
        """Samples per clip: `round(seconds * sample_rate)`."""
        if self.seconds is None:
            raise ValueError("AudioSpec.seconds is not set")
        return round(self.seconds * self.sample_rate)

    @property
    def shape(self) -> tuple[int, int, int]:
        """The log-mel of one clip, `(frames, num_mel_bins, 1)`: an audio model's input shape."""
        frame_length = round(self.frame_length_s * self.sample_rate)
        frame_step = round(self.frame_step_s * self.sample_rate)
        return (1 + (self.num_samples - frame_length) // frame_step, self.num_mel_bins, 1)

    def log_mel(self, samples: tf.Tensor) -> tf.Tensor:
        """float32 `(..., frames, num_mel_bins, 1)` of samples `(..., num_samples)`."""
        mel = log_mel_spectrogram(
            samples,
            self.sample_rate,
            self.num_mel_bins,
            self.frame_length_s,
            self.frame_step_s,
            self.lower_hz,
            self.upper_hz,
        )
        return mel[..., None]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @staticmethod
    @functools.lru_cache(maxsize=64)
    def from_json(text: bytes | str) -> AudioSpec:
        """The spec `to_json` wrote; parsed once per distinct text (a stage gets it per clip)."""
        return AudioSpec(**json.loads(text))


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


def clip_windows(video: Video, num_clips: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The time window of each clip of `video`: float64 starts and ends `(num_clips,)`, seconds.

    `video.frames` holds `num_clips` clips of equal length one after another;
    a clip's window runs from its earliest frame to the end of its latest
    frame (that frame's time plus one frame duration, `1 / fps`).
    """
    frame_s = 1.0 / video.fps if video.fps else 0.0
    times = np.asarray(video.timestamps, np.float64).reshape(num_clips, -1)
    return times.min(axis=1), times.max(axis=1) + frame_s


def clips_audio(
    path: str | os.PathLike,
    video: Video,
    sample_rate: int = 16_000,
    num_clips: int = 1,
    num_samples: int | None = None,
    limits: DecodeLimits = DEFAULT_LIMITS,
) -> np.ndarray:
    """The sound during each clip of a decoded `video`: float32 `(num_clips, num_samples)`.

    Each row starts at its clip's first frame (`clip_windows`) and holds the
    clip's `round(duration * sample_rate)` samples, cut to `num_samples` or
    zero-padded after the end of the clip (and where the audio track is
    shorter than the video). `num_samples=None` takes the longest clip's
    length. The audio of all clips is decoded in one pass.

    Raises:
        VideoDecodeError: the file has no audio stream, or it cannot be decoded.
    """
    starts, ends = clip_windows(video, num_clips)
    lengths = np.round((ends - starts) * sample_rate).astype(np.int64)
    num_samples = int(lengths.max()) if num_samples is None else num_samples
    audio = read_audio(path, sample_rate, float(starts.min()), float(ends.max()), limits)
    out = np.zeros((num_clips, num_samples), np.float32)
    for row, (start, length) in enumerate(
        zip(starts, np.minimum(lengths, num_samples), strict=True)
    ):
        begin = max(round((start - audio.start_s) * sample_rate), 0)
        piece = audio.samples[begin : begin + length]
        out[row, : piece.size] = piece
    return out


def clip_audio(path: str | os.PathLike, video: Video, sample_rate: int = 16_000) -> Audio:
    """The sound during a decoded clip: from its first frame to the end of its last frame.

    Returns exactly `round(duration * sample_rate)` samples, zero-padded where
    the audio track is shorter than the video.
    """
    samples = clips_audio(path, video, sample_rate)[0]
    return Audio(samples, sample_rate, float(clip_windows(video)[0][0]))


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
