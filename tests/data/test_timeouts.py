"""A read that hangs inside FFmpeg (here: opening a pipe nobody writes to) is cut off.

Every test has a pytest-timeout mark, so a regression fails instead of hanging CI.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from zoo.data import ClipList, DecodeLimits, VideoDecodeError, probe, read_video, video_dataset

QUICK = DecodeLimits(timeout_s=0.5)


@pytest.fixture
def fifo(tmp_path):
    """A named pipe called like a video; at teardown a writer comes and goes, so that
    readers abandoned on it get end-of-file and their threads end."""
    path = tmp_path / "stalled.mp4"
    os.mkfifo(path)
    yield path
    with contextlib.suppress(OSError):  # ENXIO: no reader is left
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def _open_files() -> set[str]:
    """What this process's file descriptors point at."""
    names = set()
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            names.add(os.readlink(fd))
    return names


@pytest.mark.timeout(30)
def test_hanging_open_raises_within_the_limit(fifo):
    with pytest.raises(VideoDecodeError, match="decoding took longer than 0.5 s") as info:
        read_video(fifo, limits=QUICK)
    assert info.value.path == str(fifo)
    with pytest.raises(VideoDecodeError, match="decoding took longer than 0.5 s"):
        probe(fifo, limits=QUICK)


@pytest.mark.timeout(30)
def test_abandoned_read_finishes_and_closes_its_file(media, fifo):
    """When the stalled pipe finally delivers a video, the abandoned reader finishes
    and closes what it opened; nothing stays open."""
    with pytest.raises(VideoDecodeError, match="took longer"):
        read_video(fifo, limits=QUICK)
    (worker,) = _reading(fifo)
    assert worker.daemon
    _feed(fifo, media["vp9"].read_bytes())  # webm needs no seeking
    while _reading(fifo):  # the test's timeout mark stops a read that never ends
        time.sleep(0.05)
    assert str(fifo) not in _open_files()


def _reading(path) -> list[threading.Thread]:
    """The reader threads busy with `path` (a reader is named after the file it reads)."""
    return [t for t in threading.enumerate() if t.name == f"read {path}"]


def _feed(fifo, data: bytes) -> None:
    """Writes `data` into `fifo` if a reader still holds it; the reader may also have
    given up on its own (av.open's I/O timeout) and closed it, before or while we write."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # ENXIO: nobody reads the pipe any more
        return
    os.set_blocking(fd, True)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BrokenPipeError:
        pass
    finally:
        os.close(fd)


@pytest.mark.timeout(60)
def test_skip_goes_on_past_a_hanging_file(media, fifo):
    good = str(media["h264"])
    clips = ClipList([good, str(fifo), good], [0, 0, 1], ["a", "b"])
    ds = video_dataset(clips, clip_len=4, size=16, batch_size=4, on_error="skip", limits=QUICK)
    (frames, labels), *rest = ds.as_numpy_iterator()
    assert not rest and frames.shape == (2, 4, 16, 16, 3) and list(labels) == [0, 1]
    assert ds.skipped.skipped == {str(fifo): "decoding took longer than 0.5 s"}


@pytest.mark.timeout(60)
def test_a_hung_reader_does_not_block_interpreter_exit(fifo):
    script = (
        "import sys\n"
        "from zoo.data import DecodeLimits, VideoDecodeError, read_video\n"
        "try:\n"
        "    read_video(sys.argv[1], limits=DecodeLimits(timeout_s=0.5))\n"
        "except VideoDecodeError as err:\n"
        "    print(err.reason)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(fifo)], capture_output=True, text=True, timeout=50
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "decoding took longer than 0.5 s"
