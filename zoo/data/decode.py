"""Decode video files with PyAV (FFmpeg), frame-accurately and without waste.

`read_video` is the one public reader. It opens a container, checks the safety
limits, seeks where the file allows it, and decodes only up to the last frame
it was asked for, with one decoder thread per file: many files decoding in
parallel scale better than one file decoding on many threads. PyAV releases
the GIL while it decodes, so Python threads (and tf.data's parallel map) run
decoders truly in parallel.

Frame k is the k-th frame the decoder puts out, which is presentation order,
whatever the timestamps say: `ffmpeg -i FILE -f rawvideo -` writes the same
frames in the same order. Timestamps come from the frames themselves, so a
variable frame rate is reported as it is, unless they are missing or out of
order (AVI stores none, and FFmpeg's guesses for B-frames there come out as
1, 2, 4, 3, ...); then they are counted from the frame numbers. Every pixel
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
from itertools import pairwise
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


class _Unordered(Exception):
    """A seeking decode met a timestamp that does not fit the frame grid (internal).

    The frames cannot be numbered by their timestamps, so the read starts again
    without seeking and numbers them by the decoder's output order.
    """


@dataclasses.dataclass(frozen=True)
class _Request:
    """What one read decodes: its file, limits, time window and output scale (internal).

    `max_decoded` is the most frames it may decode: `max_frames` for
    `read_video`, `max_counted_frames` for `frame_times`.
    """

    path: str
    limits: DecodeLimits
    max_decoded: int
    start: float | None = None
    end: float | None = None
    shorter_side: int | None = None


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
        self._reset()
        # A child forked from this process has none of its threads: without a reset, it would
        # count this process's idle readers as its own, queue its reads for them, and wait out
        # every read's time limit.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        """No reader threads, no queued reads."""
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
            by FFmpeg's I/O timeout: `av.ExitError`); `read` raised it; or
            `read` raised any other exception (from PyAV or numpy, on a file
            no check foresaw), which becomes its `__cause__`.
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
    error = outcome.get("error")
    if isinstance(error, Exception) and not isinstance(error, VideoDecodeError):
        reason = f"decoding failed ({type(error).__name__}: {error})"
        raise VideoDecodeError(path, reason) from error
    if error is not None:
        raise error
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


@dataclasses.dataclass(frozen=True)
class _Grid:
    """Frame k has the timestamp `first + k * step`; no run between key frames is longer than `gop`."""

    first: int
    step: int
    gop: int

    def pts(self, index: int) -> int:
        """The timestamp of frame `index`."""
        return self.first + index * self.step

    def index(self, pts: int | None) -> int | None:
        """The frame number of timestamp `pts`, or None when it is missing or off the grid."""
        if pts is None or (pts - self.first) % self.step:
            return None
        return (pts - self.first) // self.step


def _seek_grid(container, stream: av.video.stream.VideoStream) -> _Grid | None:
    """The frame grid when seeking to a frame number is safe; None when frames must be counted.

    Two things must hold. The index lists every frame at a constant rate (mp4,
    mov and avi usually do; mkv and webm index key frames only, variable-rate
    files never qualify). And the timestamps are in the decoder's output order:
    the container stores presentation times and seeks by them (mp4, mov), or
    the stream reorders no frames (no B-frames), so that output order is
    decode order, which the index follows. AVI fails the second test with
    B-frames: it stores no presentation times, and FFmpeg's guesses (for
    packed DivX/Xvid B-frames, or H.264) come out of the decoder out of order.
    MPEG-4 Part 2 B-frames fail it in any container: DivX and Xvid packed them
    two to a packet, which hides the reordering from every container they are
    copied into. `_Run` still checks every frame it numbers.
    """
    context = stream.codec_context
    seeks_by_pts = container.format.flags & av.format.Flags.seek_to_pts.value
    if context.has_b_frames and (context.name == "mpeg4" or not seeks_by_pts):
        return None
    entries = stream.index_entries
    if stream.frames < 2 or len(entries) != stream.frames:
        return None
    stamps = np.sort(np.fromiter((e.timestamp for e in entries), np.int64, len(entries)))
    steps = np.diff(stamps)
    if steps[0] <= 0 or np.any(steps != steps[0]):
        return None
    keys = [i for i, e in enumerate(entries) if e.is_keyframe] + [len(entries)]
    gop = int(np.diff(keys, prepend=0).max())
    return _Grid(int(stream.start_time or 0), int(steps[0]), gop)


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
    """The timestamps (seconds) of every decodable frame, as `read_video` reports them.

    A full decode without RGB conversion, of up to `limits.max_counted_frames`.
    """
    path = os.fspath(path)
    return within_time_limit(path, limits, lambda: _frame_times(path, limits))


def _frame_times(path: str, limits: DecodeLimits) -> np.ndarray:
    request = _Request(path, limits, limits.max_counted_frames)
    with open_container(path, limits) as container:
        stream = container.streams.video[0]
        stamps = {i: f.time for i, f in _frames(request, container, stream, None, seek=False)}
        times = _timestamps(stamps, _stream_fps(stream))
        return np.array([times[i] for i in sorted(times)], dtype=np.float64)


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
            file's index allows it (and seeks again before each group of
            frames more than a key-frame interval from the one before).
        limits: safety limits; exceeding one raises `VideoDecodeError`.
            `max_frames` bounds the frames this call decodes and returns, not
            the length of the file.
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
            of frames that really exist (one extra decode), never a crash;
            when the header gives no count (a raw stream), frames are counted
            first. No other exception escapes: anything PyAV or numpy raises
            becomes a `VideoDecodeError` naming the file.
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
    """Runs a sampler on the header's frame count, and again on the real count if the
    stream ends sooner; counts the frames first when the header gives no count."""
    request = _Request(path, limits, limits.max_frames, start, end, shorter_side)
    frame_count = None
    while True:
        with open_container(path, limits) as container:
            stream = container.streams.video[0]
            if callable(indices) and frame_count is None:
                frame_count = _window_frames(stream, container, start, end) or _count(request)
            wanted = _wanted(request, indices(frame_count) if callable(indices) else indices)
            try:
                return _decode_seeking_if_safe(request, container, stream, wanted)
            except _EndOfStream as short:
                if short.count == 0:
                    raise VideoDecodeError(path, "contains no decodable frames") from None
                if not callable(indices) or frame_count == short.count:
                    reason = f"has {short.count} frames; frame {int(wanted.max())} does not exist"
                    raise VideoDecodeError(path, reason) from None
                frame_count = short.count


def _count(request: _Request) -> int:
    """The frames of the request's window, counted by decoding them (no RGB conversion)."""
    with open_container(request.path, request.limits) as container:
        return sum(1 for _ in _frames(request, container, container.streams.video[0], None, False))


def _decode_seeking_if_safe(request: _Request, container, stream, wanted) -> Video:
    """`_decode`, seeking where `_seek_grid` allows it; after `_Unordered`, again from the
    start of a freshly opened file, numbering frames by output order."""
    try:
        return _decode(request, container, stream, wanted, seek=True)
    except _Unordered:
        pass
    with open_container(request.path, request.limits) as fresh:
        return _decode(request, fresh, fresh.streams.video[0], wanted, seek=False)


def _window_frames(stream, container, start: float | None, end: float | None) -> int:
    """The frame count a sampler is given: the header's, cut to the time window."""
    total = _estimate_frames(stream, container)
    fps = _stream_fps(stream)
    if not fps or (start is None and end is None):
        return total
    first = math.ceil((start or 0.0) * fps)
    last = total if end is None else min(total, math.ceil(end * fps))
    return max(last - first, 0)


def _wanted(request: _Request, indices: Sequence[int] | np.ndarray | None) -> np.ndarray | None:
    """`indices` as int64 frame numbers, checked against the request's limits (None: all)."""
    if indices is None:
        return None
    wanted = np.asarray(indices, dtype=np.int64).reshape(-1)
    if not wanted.size:
        raise VideoDecodeError(request.path, "no frame indices were requested")
    if wanted.min() < 0:
        raise VideoDecodeError(request.path, f"negative frame index {int(wanted.min())}")
    if wanted.size > request.limits.max_frames:
        reason = f"asks for {wanted.size} frames, over the limit of {request.limits.max_frames}"
        raise VideoDecodeError(request.path, reason)
    return wanted


def _decode(request: _Request, container, stream, wanted: np.ndarray | None, seek: bool) -> Video:
    """The frames `wanted` (all when None), converted to RGB; raises `_EndOfStream` when
    the stream ends before one of them, and `_Unordered` from a seeking decode."""
    needed = None if wanted is None else set(wanted.tolist())
    last = None if wanted is None else int(wanted.max())
    frames: dict[int, np.ndarray] = {}
    stamps: dict[int, float | None] = {}
    for index, frame in _frames(request, container, stream, needed, seek):
        if last is not None and index > last:
            break
        stamps[index] = frame.time
        if needed is None or index in needed:
            frames[index] = _to_rgb(frame, request.shorter_side)
            if needed is not None and len(frames) == len(needed):
                break
    count = max(stamps) + 1 if stamps else 0
    order = np.arange(count) if wanted is None else wanted
    if count == 0 or any(int(i) not in frames for i in order):
        raise _EndOfStream(count)
    times = _timestamps(stamps, _stream_fps(stream))
    return Video(
        frames=np.stack([frames[int(i)] for i in order]),
        timestamps=np.array([times[int(i)] for i in order], dtype=np.float64),
        fps=_stream_fps(stream),
        indices=order,
    )


def _timestamps(stamps: dict[int, float | None], fps: float) -> dict[int, float]:
    """Each frame's time: its own, when all of `stamps` exist and rise with the frame number;
    otherwise counted from the first frame at `fps` (missing or out-of-order timestamps)."""
    order = sorted(stamps)
    own = [stamps[i] for i in order]
    if None not in own and all(a < b for a, b in pairwise(own)):
        return stamps
    origin = own[0] if own and own[0] is not None else 0.0
    return {i: origin + (i - order[0]) / (fps or 1.0) for i in order}


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


class _Budget:
    """A read's clock and frame count: `spend()` once per decoded frame, which stops a read
    that overran `limits.timeout_s` (one `within_time_limit` abandoned) or `max_decoded`."""

    def __init__(self, request: _Request):
        self.request = request
        self.deadline = time.monotonic() + request.limits.timeout_s
        self.decoded = 0

    def spend(self) -> None:
        """Counts one decoded frame; raises `VideoDecodeError` past either limit."""
        if time.monotonic() > self.deadline:
            raise too_slow(self.request.path, self.request.limits)
        self.decoded += 1
        if self.decoded > self.request.max_decoded:
            reason = f"needs more than {self.request.max_decoded} decoded frames, over the limit"
            raise VideoDecodeError(self.request.path, reason)


def _frames(
    request: _Request, container, stream, needed: set[int] | None, seek: bool
) -> Iterator[tuple[int, av.VideoFrame]]:
    """Yields `(frame number, frame)` in output order, within the request's time window.

    With `seek`, `needed` frames and a safe frame grid (`_seek_grid`), frames
    are reached by seeking (`_by_timestamp`); otherwise they are decoded from
    the start, or from the window's start, and counted (`_in_output_order`).
    """
    stream.codec_context.thread_count = 1
    budget = _Budget(request)
    grid = _seek_grid(container, stream) if seek and needed and request.start is None else None
    if grid is None:
        return _in_output_order(request, container, stream, budget)
    return _by_timestamp(request.path, container, stream, grid, needed, budget)


def _in_output_order(
    request: _Request, container, stream, budget: _Budget
) -> Iterator[tuple[int, av.VideoFrame]]:
    """Frames numbered by the decoder's output order, counted from the window's first frame.

    A `start` is reached by seeking. A frame without a timestamp is placed in
    the window by its position at the stream's frame rate.
    """
    start, end = request.start, request.end
    if start is not None and start > 0:
        container.seek(int(start / stream.time_base), stream=stream, backward=True)
    fps = _stream_fps(stream) or 1.0
    index = 0
    for position, frame in enumerate(_decoded(request.path, container, stream)):
        budget.spend()
        seconds = position / fps if frame.time is None else frame.time
        if start is not None and seconds < start - 1e-6:
            continue
        if end is not None and seconds >= end - 1e-6:
            return
        yield index, frame
        index += 1


def _by_timestamp(
    path: str, container, stream, grid: _Grid, needed: set[int], budget: _Budget
) -> Iterator[tuple[int, av.VideoFrame]]:
    """Frames numbered by their timestamps on `grid`, reached by seeking.

    The needed frames are taken in runs whose neighbours are at most a
    key-frame interval apart, with one seek to the key frame before each run,
    so the work follows the frames asked for, not their frame numbers.
    `_Run` checks every frame's number, and lets the decoder drop the
    non-reference frames that are not needed.
    """
    for first, last in _runs(sorted(needed), grid.gop):
        container.seek(grid.pts(first), stream=stream, backward=True)
        run = _Run(grid, needed)
        for frame in _decoded(path, container, stream, run.droppable):
            budget.spend()
            index = run.number(frame)
            yield index, frame
            if index >= last:
                break


class _Run:
    """The frames decoded after one seek, numbered by timestamp only while that is safe.

    A frame's number is trusted when its timestamp is on the grid, after the
    previous frame's, and every packet decoded in full with an earlier
    timestamp has already put out its frame: a decoder puts frames out in
    presentation order, so anything else means the container's timestamps are
    not the presentation times (an mp4 without composition offsets), and
    `number` raises `_Unordered`. Frames may be dropped (`skip_frame = NONREF`,
    for non-reference frames that are not needed: nothing refers to them, so
    the needed frames come out bit-identical) only once the container's own
    timestamps have shown the reordering of B-frames, a packet earlier than
    one before it; until then every packet is decoded, so the check sees all.
    """

    def __init__(self, grid: _Grid, needed: set[int]):
        self.grid, self.needed = grid, needed
        self.latest: int | None = None  # the latest packet timestamp so far
        self.reordered = False  # a packet came with a timestamp before `latest`
        self.pending: set[int] = set()  # timestamps of packets decoded in full, frame not out yet
        self.previous = -1  # the number of the previous frame

    def droppable(self, packet: av.Packet) -> bool:
        """Whether the decoder may drop the frame of `packet` if no other frame refers to it."""
        if packet.pts is None:
            return False
        self.reordered |= self.latest is not None and packet.pts < self.latest
        self.latest = packet.pts if self.latest is None else max(self.latest, packet.pts)
        drop = self.reordered and self.grid.index(packet.pts) not in self.needed
        if not drop and not packet.is_discard:  # an edit list hides a discarded packet's frame
            self.pending.add(packet.pts)
        return drop

    def number(self, frame: av.VideoFrame) -> int:
        """The frame number of `frame`; raises `_Unordered` when its timestamp cannot be trusted."""
        index = self.grid.index(frame.pts)
        self.pending.discard(frame.pts)
        if index is None or index <= self.previous or any(p < frame.pts for p in self.pending):
            raise _Unordered
        self.previous = index
        return index


def _runs(targets: list[int], gap: int) -> list[tuple[int, int]]:
    """`(first, last)` of each run of sorted `targets` whose neighbours are at most `gap` apart."""
    runs = [[targets[0], targets[0]]]
    for target in targets[1:]:
        if target - runs[-1][1] > gap:
            runs.append([target, target])
        else:
            runs[-1][1] = target
    return [(first, last) for first, last in runs]


def _decoded(
    path: str, container, stream, droppable: Callable[[av.Packet], bool] | None = None
) -> Iterator[av.VideoFrame]:
    """Decodes packet by packet, stepping over damaged packets (a cut or corrupt file).

    `droppable(packet)` True lets the decoder drop the packet's frame if no
    other frame refers to it (FFmpeg's `skip_frame = NONREF`).
    Raises `VideoDecodeError` only when no packet at all decodes.
    """
    errors: list[av.FFmpegError] = []
    produced = False
    context = stream.codec_context
    for packet in container.demux(stream):
        if droppable is not None:
            context.skip_frame = "NONREF" if droppable(packet) else "DEFAULT"
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
