"""Typed errors and safety limits for reading untrusted video files."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import sys
import threading

log = logging.getLogger("zoo.data")

# How a `VideoDecodeError` raised in a Python stage (`zoo.data.stages`) shows in TF's message.
_IN_TF_MESSAGE = re.compile(r"VideoDecodeError: (.+?): (.+)")


class VideoDecodeError(ValueError):
    """A video could not be decoded. The message names the file and the reason."""

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):
        """Pickles as `(path, reason)`, so the error crosses process boundaries
        (multiprocessing pools, Beam workers) intact."""
        return type(self), (self.path, self.reason)

    @classmethod
    def from_tf_error(cls, err: BaseException) -> VideoDecodeError | None:
        """The `VideoDecodeError` a tf.data pipeline stopped on, or None if `err` is another error.

        Python exceptions do not cross a Python stage's op: TensorFlow re-raises
        them as `tf.errors.InvalidArgumentError` whose message holds
        `"VideoDecodeError: <path>: <reason>"`. The path ends at its first ": "
        (a path that itself contains ": " is split there).
        """
        match = _IN_TF_MESSAGE.search(getattr(err, "message", None) or str(err))
        return None if match is None else cls(match.group(1), match.group(2))


@dataclasses.dataclass(frozen=True)
class DecodeLimits:
    """Upper bounds that protect a pipeline against hostile or broken files.

    Frame limits bound the work of one call, not the length of the file: a read
    of two frames near the end of a long mp4 seeks there and decodes a few
    hundred frames at most.

    Attributes:
        max_pixels: largest allowed width * height of one frame.
        max_frames: most frames one `read_video` call decodes (counted after
            its seeks) or returns. Raise it to read every frame of a long file.
        max_counted_frames: most frames `frame_times` (and so `zoo scan`)
            decodes in one file. Counting converts and keeps no frame, so this
            can be far larger; `timeout_s` bounds it too.
        max_bytes: largest file size accepted (regular files; a pipe has no size).
        timeout_s: wall-clock seconds one read may take, opening included,
            before it is cut off.
    """

    max_pixels: int = 4096 * 2160
    max_frames: int = 10_000
    max_counted_frames: int = 1_000_000
    max_bytes: int = 4 * 1024**3
    timeout_s: float = 60.0


DEFAULT_LIMITS = DecodeLimits()


@dataclasses.dataclass
class SkipReport:
    """What a pipeline skipped under `on_error="skip"`: how many, which, and why.

    `skipped` maps a file path (or `"<shard> record <i>"` for a TFRecord clip)
    to the reason. Decoding threads add to it concurrently.
    """

    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    def add(self, path: str, reason: str) -> None:
        """Records a skip; the first skip of each file is logged (a file repeats every epoch)."""
        with self._lock:
            new = path not in self.skipped
            self.skipped[path] = reason
        if new:
            log.warning("skipped %s: %s", path, reason)

    def merge(self, other: SkipReport) -> None:
        """Takes in every skip of `other` (not logged again)."""
        with self._lock:
            self.skipped.update(other.skipped)

    def __len__(self) -> int:
        return len(self.skipped)


def skip_or_raise(err: VideoDecodeError, skips: SkipReport | None) -> None:
    """Records `err` in `skips`, or raises it when there is no report (`on_error="raise"`)."""
    if skips is None:
        raise err
    skips.add(err.path, err.reason)


def say_skipped(count: int, listing: str | os.PathLike) -> None:
    """Says on stderr how many broken files a command skipped, and where they are listed."""
    files = "file" if count == 1 else "files"
    print(f"skipped {count} broken {files} (listed in {listing})", file=sys.stderr, flush=True)
