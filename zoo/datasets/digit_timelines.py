"""`digit_timelines`: minute-long videos of one handwritten digit changing direction, for timelines.

Each video shows one real handwritten digit (scikit-learn's, drawn by
`moving_digits.render`) that moves in one direction (down, left, right, up)
for a segment of 2-15 s, then in another direction, and so on for 60-75 s.
The labels are the `moving_digits` directions, so a model trained on
`moving_digits` clips annotates these videos unchanged (`zoo annotate`).

Within a segment the digit crosses the canvas in passes of `pass_frames`
frames (2 s at 10 fps): a pass ends before the digit would leave the canvas,
and the next starts at a fresh random position, still moving the same way.

The digits come from the test part of `moving_digits.digit_images`, so the
shipped `moving_digits` weights never saw this handwriting. Besides
`manifest.csv` (`path,split,group,digit,duration`) the build writes
`segments.csv` (`video,start,end,label`, seconds; `video` as in the manifest's
`path`): the true timeline of every video (`zoo.annotate.read_truth` reads it).
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from zoo.datasets.moving_digits import (
    DIRECTIONS,
    drawing,
    render,
    splits,
    write_manifest,
    write_mp4,
)

SEGMENTS_FILE = "segments.csv"


@dataclasses.dataclass(frozen=True)
class DigitTimelinesConfig:
    """Size and content of one build; the defaults (5 videos of 60-75 s) build in seconds.

    `min_duration` is the least length of a video in seconds: segments are
    added until it is reached, so a video lasts at most `min_duration` plus one
    segment. `segment` bounds the length of a segment, in seconds.
    """

    videos_per_split: tuple[int, int, int] = (0, 0, 5)
    min_duration: float = 60.0
    segment: tuple[float, float] = (2.0, 15.0)
    fps: int = 10
    canvas: int = 64
    digit_size: int = 20
    speed: tuple[float, float] = (1.6, 2.2)
    pass_frames: int = 20
    seed: int = 0


def timeline(config: DigitTimelinesConfig, rng: np.random.Generator) -> list[tuple[str, int]]:
    """The segments of one video as `(direction, num_frames)`; neighbours differ in direction."""
    low, high = (round(s * config.fps) for s in config.segment)
    segments: list[tuple[str, int]] = []
    total = 0
    while total < config.min_duration * config.fps:
        choices = [d for d in DIRECTIONS if not segments or d != segments[-1][0]]
        length = int(rng.integers(low, high + 1))
        segments.append((choices[int(rng.integers(len(choices)))], length))
        total += length
    return segments


def render_timeline(
    digit: np.ndarray,
    segments: list[tuple[str, int]],
    config: DigitTimelinesConfig,
    rng: np.random.Generator,
) -> np.ndarray:
    """uint8 `(sum of lengths, canvas, canvas, 3)`: each segment drawn as passes of `render`."""
    parts = []
    for direction, length in segments:
        for begin in range(0, length, config.pass_frames):
            count = min(config.pass_frames, length - begin)
            parts.append(render(digit, direction, drawing(config, num_frames=count), rng))
    return np.concatenate(parts)


def make(
    out: str | Path,
    config: DigitTimelinesConfig = DigitTimelinesConfig(),
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Writes `out/<split>/timeline_<i>.mp4`, `out/segments.csv` and `out/manifest.csv`.

    Returns the manifest path. Deterministic: the same config writes the same files.
    """
    out = Path(out)
    rows, segment_rows = [], []
    for split, count, split_images, split_targets, rng in splits(
        config.seed, config.videos_per_split, salt=(1,)
    ):
        for i in range(count):
            pick = int(rng.integers(len(split_images)))
            segments = timeline(config, rng)
            frames = render_timeline(split_images[pick], segments, config, rng)
            rel = Path(split) / f"timeline_{i:05d}.mp4"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            write_mp4(out / rel, frames, config.fps)
            start = 0
            for direction, length in segments:
                begin, start = start, start + length
                segment_rows.append(
                    [
                        rel.as_posix(),
                        round(begin / config.fps, 3),
                        round(start / config.fps, 3),
                        direction,
                    ]
                )
            duration = len(frames) / config.fps
            rows.append(
                [rel.as_posix(), split, f"{split}-img{pick}", int(split_targets[pick]), duration]
            )
            if progress:
                progress(1)
    with open(out / SEGMENTS_FILE, "w", newline="") as f:
        csv.writer(f).writerows([["video", "start", "end", "label"], *segment_rows])
    return write_manifest(out, ["path", "split", "group", "digit", "duration"], rows)
