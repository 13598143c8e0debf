"""Typed errors and safety limits for reading untrusted video files."""

from __future__ import annotations

import dataclasses


class VideoDecodeError(ValueError):
    """A video could not be decoded. The message names the file and the reason."""

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclasses.dataclass(frozen=True)
class DecodeLimits:
    """Upper bounds that protect a pipeline against hostile or broken files.

    Attributes:
        max_pixels: largest allowed width * height of one frame.
        max_frames: most frames decoded from one file for one request.
        max_bytes: largest file size accepted.
        timeout_s: wall-clock seconds one decode may take before it is cut off.
    """

    max_pixels: int = 4096 * 2160
    max_frames: int = 10_000
    max_bytes: int = 4 * 1024**3
    timeout_s: float = 60.0


DEFAULT_LIMITS = DecodeLimits()
