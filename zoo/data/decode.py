"""Decode video files with PyAV (FFmpeg), frame-accurately and without waste.

`read_video` is the one public reader. It opens a container, checks the safety
limits, and decodes only up to the last frame it was asked for, with one decoder
thread per file: many files decoding in parallel scale better than one file
decoding on many threads. PyAV releases the GIL while it decodes, so Python
threads (and tf.data's parallel map) run decoders truly in parallel.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence

import av
import numpy as np

from zoo.data.errors import DEFAULT_LIMITS, DecodeLimits, VideoDecodeError


@dataclasses.dataclass
class VideoInfo:
    """What a container says about its first video stream, before decoding."""

    path: str
    num_frames: int
    fps: float
    width: int
    height: int
    codec: str
    duration_s: float
    has_audio: bool


@dataclasses.dataclass
class Video:
    """Decoded frames, uint8 `(T, H, W, 3)` RGB, with their timestamps in seconds."""

    frames: np.ndarray
    timestamps: np.ndarray
    fps: float
    indices: np.ndarray


def _open(path: str, limits: DecodeLimits) -> av.container.InputContainer:
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
    except OSError as err:
        raise VideoDecodeError(path, f"cannot open file ({err.strerror})") from None
    if size == 0:
        raise VideoDecodeError(path, "file is empty")
    if size > limits.max_bytes:
        raise VideoDecodeError(path, f"file is {size} bytes, over the limit of {limits.max_bytes}")
    try:
        container = av.open(path, timeout=limits.timeout_s)
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise VideoDecodeError(path, f"not a readable media file ({err})") from None
    if not container.streams.video:
        container.close()
        raise VideoDecodeError(path, "has no video stream")
    stream = container.streams.video[0]
    pixels = (stream.codec_context.width or 0) * (stream.codec_context.height or 0)
    if pixels > limits.max_pixels:
        container.close()
        raise VideoDecodeError(
            path, f"frame size {stream.codec_context.width}x{stream.codec_context.height} "
            f"is over the limit of {limits.max_pixels} pixels"
        )
    return container


def _stream_fps(stream: av.video.stream.VideoStream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 0.0


def _estimate_frames(stream: av.video.stream.VideoStream, container) -> int:
    if stream.frames:
        return int(stream.frames)
    fps = _stream_fps(stream)
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    else:
        duration = 0.0
    return int(round(duration * fps))


def probe(path: str | os.PathLike, limits: DecodeLimits = DEFAULT_LIMITS) -> VideoInfo:
    """Reads the header of `path` without decoding frames."""
    path = os.fspath(path)
    container = _open(path, limits)
    with container:
        stream = container.streams.video[0]
        fps = _stream_fps(stream)
        num_frames = _estimate_frames(stream, container)
        return VideoInfo(
            path=path,
            num_frames=num_frames,
            fps=fps,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            codec=stream.codec_context.name,
            duration_s=num_frames / fps if fps else 0.0,
            has_audio=bool(container.streams.audio),
        )


def read_video(
    path: str | os.PathLike,
    indices: Sequence[int] | Callable[[int], np.ndarray] | None = None,
    limits: DecodeLimits = DEFAULT_LIMITS,
) -> Video:
    """Decodes frames of `path` as RGB uint8.

    Args:
        path: any file FFmpeg can read.
        indices: frame numbers to return, in any order, repeats allowed; or a
            function from the header's frame count to those numbers (a clip
            sampler), so the file is opened once. `None` returns every frame.
            Decoding stops after the largest index.
        limits: safety limits; exceeding one raises `VideoDecodeError`.

    Returns:
        A `Video` with `frames` of shape `(len(indices), H, W, 3)`.

    Raises:
        VideoDecodeError: the file is missing, empty, not a video, too large,
            truncated before any frame, or an index is past the last frame.
    """
    path = os.fspath(path)
    container = _open(path, limits)
    with container:
        stream = container.streams.video[0]
        if callable(indices):
            indices = indices(_estimate_frames(stream, container))
        return _decode(path, container, stream, indices, limits)


def _decode(path, container, stream, indices, limits: DecodeLimits) -> Video:
    wanted = None if indices is None else np.asarray(indices, dtype=np.int64).reshape(-1)
    if wanted is not None and wanted.size and wanted.min() < 0:
        raise VideoDecodeError(path, f"negative frame index {int(wanted.min())}")
    last = None if wanted is None else (int(wanted.max()) if wanted.size else -1)
    if last is not None and last + 1 > limits.max_frames:
        raise VideoDecodeError(path, f"asks for {last + 1} frames, over the limit of {limits.max_frames}")
    needed = None if wanted is None else set(wanted.tolist())
    frames: dict[int, np.ndarray] = {}
    times: dict[int, float] = {}
    stream.codec_context.thread_count = 1
    fps = _stream_fps(stream)
    count = 0
    try:
        for frame in container.decode(stream):
            if last is not None and count > last:
                break
            if count >= limits.max_frames:
                raise VideoDecodeError(path, f"has more than {limits.max_frames} frames")
            if needed is None or count in needed:
                frames[count] = frame.to_ndarray(format="rgb24")
                times[count] = float(frame.time) if frame.time is not None else count / (fps or 1)
            count += 1
    except av.FFmpegError as err:
        if not frames:
            raise VideoDecodeError(path, f"decoding failed ({err})") from None
        # A damaged tail: keep the frames decoded so far; the check below
        # reports a clear error if the wanted ones are missing.
    if count == 0:
        raise VideoDecodeError(path, "contains no decodable frames")
    order = np.arange(count) if wanted is None else wanted
    missing = [int(i) for i in order if int(i) not in frames]
    if missing:
        raise VideoDecodeError(path, f"has {count} frames; frame {missing[0]} does not exist")
    return Video(
        frames=np.stack([frames[int(i)] for i in order]),
        timestamps=np.array([times[int(i)] for i in order], dtype=np.float64),
        fps=fps,
        indices=order,
    )
