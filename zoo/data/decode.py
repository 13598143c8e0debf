"""Decode video files with PyAV (FFmpeg), frame-accurately and without waste.

`read_video` is the one public reader. It opens a container, checks the safety
limits, seeks where the file allows it, and decodes only up to the last frame
it was asked for, with one decoder thread per file: many files decoding in
parallel scale better than one file decoding on many threads. PyAV releases
the GIL while it decodes, so Python threads (and tf.data's parallel map) run
decoders truly in parallel.

Frame numbers are positions in presentation order. Timestamps come from the
frames themselves, so a variable frame rate is reported as it is. Every pixel
format FFmpeg knows (grayscale, 10-bit, 4:4:4, full-range JPEG YUV) is
converted to RGB uint8, and rotation metadata (the display matrix) is applied.

Every public reader runs on a reader thread and gives up after
`DecodeLimits.timeout_s` (`within_time_limit`), so a file that hangs FFmpeg,
even inside one open or one frame, cannot hang its caller.
"""

from __future__ import annotations

import dataclasses
import math
import os
import queue
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TypeVar

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from zoo.data.errors import DEFAULT_LIMITS, DecodeLimits, VideoDecodeError

Indices = Sequence[int] | np.ndarray | Callable[[int], np.ndarray] | None
T = TypeVar("T")


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
    rotation: int = 0  # display rotation, degrees counter-clockwise: 0, 90, 180 or 270


@dataclasses.dataclass
class Video:
    """Decoded frames, uint8 `(T, H, W, 3)` RGB, with their timestamps in seconds.

    `indices` are the frame numbers of `frames`, counted from the first frame
    of the window that was read (the whole file unless `start` was given).
    """

    frames: np.ndarray
    timestamps: np.ndarray
    fps: float
    indices: np.ndarray


class _EndOfStream(Exception):
    """The stream ended before a wanted frame: it has `count` frames (internal)."""

    def __init__(self, count: int):
        self.count = count


def too_slow(path: str, limits: DecodeLimits) -> VideoDecodeError:
    """The error for a read that ran past `limits.timeout_s`, whichever clock caught it."""
    return VideoDecodeError(path, f"decoding took longer than {limits.timeout_s} s")


class _Readers:
    """Daemon threads that run reads, reused from read to read.

    Starting a thread for every read cost about 0.4 ms of CPU, a fifth of
    decoding a small clip. A read takes an idle thread, or starts one when all
    are busy; a thread whose read overran its caller's time limit is simply
    left busy, and rejoins the idle ones if its read ever returns. While it
    runs a read, a thread is named `"read <path>"`.
    """

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0

    def submit(self, path: str, task: Callable[[], None]) -> None:
        """Runs `task()` on a reader thread; returns at once."""
        with self._lock:
            if self._idle:
                self._idle -= 1  # that thread is now promised to this task
            else:
                threading.Thread(target=self._serve, name="reader", daemon=True).start()
        self._tasks.put(partial(self._named, path, task))

    @staticmethod
    def _named(path: str, task: Callable[[], None]) -> None:
        thread = threading.current_thread()
        thread.name = f"read {path}"
        try:
            task()
        finally:
            thread.name = "reader"

    def _serve(self) -> None:
        while True:
            self._tasks.get()()
            with self._lock:
                self._idle += 1


_READERS = _Readers()


def within_time_limit(path: str, limits: DecodeLimits, read: Callable[[], T]) -> T:
    """`read()`, run on a reader thread; gives up on it after `limits.timeout_s` seconds.

    A read that overruns is abandoned, not stopped (FFmpeg cannot be
    interrupted from outside): its thread finishes on its own, or stops at
    the next frame on `_frames`' own clock, and closes its container on the
    way out; the result is dropped. A read blocked forever (a pipe nobody
    writes to) keeps its thread, which never blocks interpreter exit.

    Raises:
        VideoDecodeError: `read` took longer than `limits.timeout_s` (here, or
            by FFmpeg's I/O timeout: `av.ExitError`); or whatever `read` raised.
    """
    outcome: dict[str, object] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = read()
        except BaseException as err:  # handed to the waiting caller below
            outcome["error"] = err
        finally:
            done.set()

    _READERS.submit(path, run)
    if not done.wait(limits.timeout_s) or isinstance(outcome.get("error"), av.ExitError):
        raise too_slow(path, limits)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def open_container(
    path: str | os.PathLike, limits: DecodeLimits = DEFAULT_LIMITS, need_video: bool = True
) -> av.container.InputContainer:
    """Opens `path` after the byte limit check; with `need_video`, checks the video stream too.

    Pipes and devices have no size, so only regular files get the byte checks.
    FFmpeg's own I/O timeout (`limits.timeout_s`) applies; the readers of this
    module also run inside `within_time_limit`, which covers everything else.

    Raises:
        VideoDecodeError: missing, empty, over a limit, not media, or no video stream.
    """
    path = os.fspath(path)
    try:
        info = os.stat(path)
    except OSError as err:
        raise VideoDecodeError(path, f"cannot open file ({err.strerror})") from None
    if stat.S_ISREG(info.st_mode) and info.st_size == 0:
        raise VideoDecodeError(path, "file is empty")
    if stat.S_ISREG(info.st_mode) and info.st_size > limits.max_bytes:
        raise VideoDecodeError(
            path, f"file is {info.st_size} bytes, over the limit of {limits.max_bytes}"
        )
    try:
        container = av.open(path, timeout=limits.timeout_s)
    except av.ExitError:
        raise too_slow(path, limits) from None
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise VideoDecodeError(path, f"not a readable media file ({err})") from None
    if not need_video:
        return container
    if not container.streams.video:
        container.close()
        raise VideoDecodeError(path, "has no video stream")
    context = container.streams.video[0].codec_context
    width, height = context.width or 0, context.height or 0
    if width * height > limits.max_pixels:
        container.close()
        raise VideoDecodeError(
            path, f"frame size {width}x{height} is over the limit of {limits.max_pixels} pixels"
        )
    return container


def _stream_fps(stream: av.video.stream.VideoStream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 0.0


def _estimate_frames(stream: av.video.stream.VideoStream, container) -> int:
    if stream.frames:
        return int(stream.frames)
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    else:
        duration = 0.0
    return int(round(duration * _stream_fps(stream)))


def _frame_grid(stream: av.video.stream.VideoStream) -> tuple[int, int] | None:
    """`(first_pts, pts_per_frame)` when the index lists every frame at a constant rate.

    Only then does a frame number map to a timestamp exactly, so only then is
    seeking to a frame number safe (mp4, mov and avi usually qualify; mkv and
    webm index key frames only, and variable-rate files never qualify).
    """
    entries = stream.index_entries
    if stream.frames < 2 or len(entries) != stream.frames:
        return None
    stamps = np.sort(np.fromiter((e.timestamp for e in entries), np.int64, len(entries)))
    steps = np.diff(stamps)
    if steps[0] <= 0 or np.any(steps != steps[0]):
        return None
    return int(stream.start_time or 0), int(steps[0])


def probe(path: str | os.PathLike, limits: DecodeLimits = DEFAULT_LIMITS) -> VideoInfo:
    """Reads the header of `path` (and its first frame, for rotation) without decoding the rest."""
    path = os.fspath(path)
    return within_time_limit(path, limits, lambda: _probe(path, limits))


def _probe(path: str, limits: DecodeLimits) -> VideoInfo:
    with open_container(path, limits) as container:
        stream = container.streams.video[0]
        fps = _stream_fps(stream)
        num_frames = _estimate_frames(stream, container)
        try:
            rotation = next(container.decode(stream)).rotation
        except (av.FFmpegError, StopIteration):
            rotation = 0
        return VideoInfo(
            path=path,
            num_frames=num_frames,
            fps=fps,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            codec=stream.codec_context.name,
            duration_s=num_frames / fps if fps else 0.0,
            has_audio=bool(container.streams.audio),
            rotation=round(rotation / 90) % 4 * 90,
        )


def frame_times(path: str | os.PathLike, limits: DecodeLimits = DEFAULT_LIMITS) -> np.ndarray:
    """The timestamps (seconds) of every decodable frame: a full decode, without RGB conversion."""
    path = os.fspath(path)
    return within_time_limit(path, limits, lambda: _frame_times(path, limits))


def _frame_times(path: str, limits: DecodeLimits) -> np.ndarray:
    with open_container(path, limits) as container:
        stream = container.streams.video[0]
        return np.array(
            [float(f.time) for _, f in _frames(path, container, stream, limits, None, None, None)]
        )


def read_video(
    path: str | os.PathLike,
    indices: Indices = None,
    limits: DecodeLimits = DEFAULT_LIMITS,
    start: float | None = None,
    end: float | None = None,
    shorter_side: int | None = None,
) -> Video:
    """Decodes frames of `path` as RGB uint8, upright.

    Args:
        path: any file FFmpeg can read; the extension does not matter.
        indices: frame numbers to return, in any order, repeats allowed; or a
            function from the frame count to those numbers (a clip sampler),
            so the file is opened once. `None` returns every frame. Decoding
            stops after the largest index, and starts with a seek when the
            file's index allows it.
        limits: safety limits; exceeding one raises `VideoDecodeError`.
        start, end: read only the window `start <= t < end` (seconds, either
            may be None); frame numbers then count from the window's first
            frame. The window is reached by seeking, not by decoding.
        shorter_side: scale frames down (never up) so that their shorter
            side has this length, keeping the aspect ratio. swscale does it in
            the same pass as the colour conversion (area filter), far cheaper
            than resizing the RGB frames afterwards.

    Returns:
        A `Video` with `frames` of shape `(len(indices), H, W, 3)`; `H, W` are
        the display size (after rotation).

    Raises:
        VideoDecodeError: the file is missing, empty, not a video, over a
            limit, too slow to decode, truncated before any wanted frame, or an
            explicit index is past the last frame. When the header overstates
            the frame count, a sampler function is run again with the number
            of frames that really exist (one extra decode), never a crash.
    """
    path = os.fspath(path)
    if start is not None and end is not None and end <= start:
        raise VideoDecodeError(path, f"empty time window [{start}, {end})")
    return within_time_limit(
        path, limits, lambda: _read_video(path, indices, limits, start, end, shorter_side)
    )


def _read_video(
    path: str,
    indices: Indices,
    limits: DecodeLimits,
    start: float | None,
    end: float | None,
    shorter_side: int | None,
) -> Video:
    with open_container(path, limits) as container:
        stream = container.streams.video[0]
        wanted = indices
        if callable(indices):
            wanted = indices(_window_frames(stream, container, start, end))
        try:
            return _decode(path, container, stream, wanted, limits, start, end, shorter_side)
        except _EndOfStream as short:
            if short.count == 0:
                raise VideoDecodeError(path, "contains no decodable frames") from None
            if not callable(indices):
                reason = f"has {short.count} frames; frame {int(np.max(wanted))} does not exist"
                raise VideoDecodeError(path, reason) from None
            wanted = indices(short.count)
    with open_container(path, limits) as container:
        return _decode(
            path, container, container.streams.video[0], wanted, limits, start, end, shorter_side
        )


def _window_frames(stream, container, start: float | None, end: float | None) -> int:
    """The frame count a sampler is given: the header's, cut to the time window."""
    total = _estimate_frames(stream, container)
    fps = _stream_fps(stream)
    if not fps or (start is None and end is None):
        return total
    first = math.ceil((start or 0.0) * fps)
    last = total if end is None else min(total, math.ceil(end * fps))
    return max(last - first, 0)


def _decode(path, container, stream, indices, limits, start, end, shorter_side) -> Video:
    wanted = None if indices is None else np.asarray(indices, dtype=np.int64).reshape(-1)
    if wanted is not None and not wanted.size:
        raise VideoDecodeError(path, "no frame indices were requested")
    if wanted is not None and wanted.min() < 0:
        raise VideoDecodeError(path, f"negative frame index {int(wanted.min())}")
    last = None if wanted is None else int(wanted.max())
    if last is not None and last + 1 > limits.max_frames:
        raise VideoDecodeError(
            path, f"asks for {last + 1} frames, over the limit of {limits.max_frames}"
        )
    needed = None if wanted is None else set(wanted.tolist())
    frames: dict[int, np.ndarray] = {}
    times: dict[int, float] = {}
    count = 0
    for index, frame in _frames(path, container, stream, limits, start, end, needed):
        count = index + 1
        if last is not None and index > last:
            break
        if needed is None or index in needed:
            frames[index] = _to_rgb(frame, shorter_side)
            times[index] = float(frame.time)
            if needed is not None and len(frames) == len(needed):
                break
    order = np.arange(count) if wanted is None else wanted
    if count == 0:
        raise _EndOfStream(0)
    if any(int(i) not in frames for i in order):
        raise _EndOfStream(count)
    return Video(
        frames=np.stack([frames[int(i)] for i in order]),
        timestamps=np.array([times[int(i)] for i in order], dtype=np.float64),
        fps=_stream_fps(stream),
        indices=order,
    )


_converters = threading.local()


def _converter() -> VideoReformatter:
    """This thread's pixel format converter; its swscale context is reused from frame to frame."""
    if not hasattr(_converters, "reformatter"):
        _converters.reformatter = VideoReformatter()
    return _converters.reformatter


def _to_rgb(frame: av.VideoFrame, shorter_side: int | None = None) -> np.ndarray:
    """RGB uint8 `(H, W, 3)` from any pixel format, scaled down to `shorter_side`
    if given, and turned upright by its display matrix.

    swscale runs on this thread only (`threads=1`): its default, a pool of
    threads per conversion, cost about 0.4 ms a frame to start and stop, six
    times the conversion itself for a 64x64 frame, and the decoders already
    use every core.
    """
    scale = 1.0 if shorter_side is None else shorter_side / min(frame.width, frame.height)
    width, height, interpolation = None, None, None
    if scale < 1.0:
        width, height = round(frame.width * scale), round(frame.height * scale)
        interpolation = "AREA"
    rgb = (
        _converter()
        .reformat(frame, width, height, "rgb24", interpolation=interpolation, threads=1)
        .to_ndarray()
    )
    quarter_turns = round(frame.rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, quarter_turns)) if quarter_turns else rgb


def _frames(
    path: str, container, stream, limits: DecodeLimits, start, end, needed: set[int] | None
) -> Iterator[tuple[int, av.VideoFrame]]:
    """Yields `(frame number, frame)` in presentation order, within `[start, end)` seconds.

    When the file's index maps frame numbers to timestamps exactly, it seeks to
    the first `needed` frame and skips non-reference frames that are not
    needed (nothing else depends on them, so the needed frames come out
    bit-identical). A `start` is reached by seeking too. Enforces the frame
    limit, and the time limit after every frame: that stops a read that
    `within_time_limit` has abandoned from decoding on for nothing.
    """
    stream.codec_context.thread_count = 1
    fps = _stream_fps(stream) or 1.0
    grid = None if start is not None else _frame_grid(stream)
    wanted = None
    if start is not None and start > 0:
        container.seek(int(start / stream.time_base), stream=stream, backward=True)
    elif grid is not None and needed:
        container.seek(grid[0] + min(needed) * grid[1], stream=stream, backward=True)
        wanted = lambda pts: round((pts - grid[0]) / grid[1]) in needed  # noqa: E731
    deadline = time.monotonic() + limits.timeout_s
    count = 0
    for frame in _decoded(path, container, stream, wanted):
        if time.monotonic() > deadline:
            raise too_slow(path, limits)
        if frame.pts is None:
            frame.pts = round(count / fps / stream.time_base)
        if start is not None and frame.time < start - 1e-6:
            continue
        if end is not None and frame.time >= end - 1e-6:
            return
        index = count if grid is None else round((frame.pts - grid[0]) / grid[1])
        if index >= limits.max_frames:
            raise VideoDecodeError(path, f"has more than {limits.max_frames} frames")
        yield index, frame
        count = index + 1


def _decoded(
    path: str, container, stream, wanted: Callable[[int], bool] | None = None
) -> Iterator[av.VideoFrame]:
    """Decodes packet by packet, stepping over damaged packets (a cut or corrupt file).

    `wanted(packet_pts)` False lets the decoder drop the packet's frame if no
    other frame refers to it (FFmpeg's `skip_frame = NONREF`).
    Raises `VideoDecodeError` only when no packet at all decodes.
    """
    errors: list[av.FFmpegError] = []
    produced = False
    context = stream.codec_context
    for packet in container.demux(stream):
        if wanted is not None and packet.pts is not None:
            context.skip_frame = "DEFAULT" if wanted(packet.pts) else "NONREF"
        try:
            frames = packet.decode()
        except av.FFmpegError as err:
            errors.append(err)
            continue
        for frame in frames:
            produced = True
            yield frame
    if errors and not produced:
        raise VideoDecodeError(
            path, f"decoding failed ({len(errors)} damaged packets; first: {errors[0]})"
        )
