"""Check a folder of videos before training: which files are fine, and what is wrong with the rest.

Every file is probed and fully decoded (without colour conversion), so the
report reflects what the loader will really see. Statuses:

    ok          decodes, long enough, nothing unusual
    unreadable  `read_video` would raise `VideoDecodeError` (the reason is its message)
    too short   fewer decodable frames than `min_frames`
    odd         decodes, but something deserves a look: the header's frame
                count is wrong, the frame rate varies, or the container gives
                no frame rate

A `note` says what needs no action: rotation metadata, which `read_video`
applies. Frame times are those `read_video` reports: counted at the frame
rate where the file's timestamps are missing or out of order (AVI B-frames),
so such files are ok.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from zoo.data.decode import frame_times, probe
from zoo.data.errors import DEFAULT_LIMITS, DecodeLimits, VideoDecodeError
from zoo.data.sources import has_video_extension

STATUSES = ("ok", "unreadable", "too short", "odd")


@dataclasses.dataclass
class ScanResult:
    """One file's verdict; `frames` counts the frames that really decode; `note` is for information."""

    path: str
    status: str
    reason: str = ""
    frames: int = 0
    width: int = 0
    height: int = 0
    fps: float = 0.0
    codec: str = ""
    note: str = ""


def scan_file(
    path: str | os.PathLike, min_frames: int = 8, limits: DecodeLimits = DEFAULT_LIMITS
) -> ScanResult:
    """Probes and decodes `path` and says whether it is ok, and if not, why."""
    path = os.fspath(path)
    try:
        info = probe(path, limits)
        times = frame_times(path, limits)
    except VideoDecodeError as err:
        return ScanResult(path, "unreadable", err.reason)
    result = ScanResult(path, "ok", "", len(times), info.width, info.height, info.fps, info.codec)
    if info.rotation:
        result.note = f"rotated {info.rotation} degrees by metadata, upright when read"
    if len(times) < min_frames:
        result.status, result.reason = "too short", f"{len(times)} frames, fewer than {min_frames}"
        return result
    oddities = []
    if info.num_frames and abs(info.num_frames - len(times)) > 1:
        oddities.append(f"header says {info.num_frames} frames, {len(times)} decode")
    steps = np.diff(times)
    if steps.size > 1 and steps.max() - steps.min() > 0.1 * np.median(steps):
        oddities.append(
            f"variable frame rate ({steps.min():.3f}-{steps.max():.3f} s between frames)"
        )
    if not info.fps:
        oddities.append("no frame rate in the container")
    if oddities:
        result.status, result.reason = "odd", "; ".join(oddities)
    return result


def find_files(root: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """The files under `root`, sorted: those with a video extension, and the others.

    `root` may be one file, which is taken whatever its extension.
    """
    root = Path(root)
    if root.is_file():
        return [root], []
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such file or folder")
    videos, others = [], []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        (videos if has_video_extension(path) else others).append(path)
    return videos, others


def find_videos(root: str | os.PathLike) -> list[Path]:
    """Every file under `root` with a video extension, sorted; `root` may be one file."""
    return find_files(root)[0]


def scan(
    paths: list[Path],
    min_frames: int = 8,
    limits: DecodeLimits = DEFAULT_LIMITS,
    workers: int | None = None,
    progress: Callable[[], object] | None = None,
) -> Iterator[ScanResult]:
    """`scan_file` over `paths` on a thread pool (PyAV releases the GIL), results in order."""
    with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        for result in pool.map(lambda p: scan_file(p, min_frames, limits), paths):
            if progress is not None:
                progress()
            yield result


def summary(results: list[ScanResult]) -> dict[str, int]:
    """How many files had each status, plus the total."""
    counts = {status: sum(r.status == status for r in results) for status in STATUSES}
    return {"files": len(results), **counts}
