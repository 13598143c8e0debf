"""`moving_digits_tags`: a multi-label set, one to three digits moving at once in every video.

Each video shows `1..max_digits` different digits of the tag classes (by
default 0-4, named "zero" .. "four"), each sliding in its own direction as in
`moving_digits` (its `render`, one layer per digit, merged by the brighter
pixel). The label is the set of digits shown, written `a|b` in the manifest's
`label` column: a tagging task, where several labels are right at once and a
model answers one yes/no score per label (sigmoid heads, binary
cross-entropy, mAP).

As in `moving_digits`, handwriting is split by image before any video is made,
so no test video shows a digit image that a training video shows.
"""

from __future__ import annotations

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

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SEPARATOR = "|"  # between the labels of one clip in the manifest


@dataclasses.dataclass(frozen=True)
class MovingDigitsTagsConfig:
    """Size and content of one build; the defaults build in under a minute."""

    videos_per_split: tuple[int, int, int] = (480, 96, 192)
    num_tags: int = 5  # the tag classes are the digits 0 .. num_tags - 1
    max_digits: int = 3
    num_frames: int = 20
    canvas: int = 64
    digit_size: int = 20
    speed: tuple[float, float] = (1.6, 2.2)
    fps: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if not 2 <= self.num_tags <= 10:
            raise ValueError(f"num_tags must be from 2 to 10, not {self.num_tags}")
        if not 1 <= self.max_digits <= self.num_tags:
            raise ValueError(f"max_digits must be from 1 to num_tags, not {self.max_digits}")

    @property
    def tags(self) -> tuple[str, ...]:
        """The tag names, in digit order."""
        return DIGIT_NAMES[: self.num_tags]


def join_labels(names: list[str]) -> str:
    """Labels of one clip as the manifest writes them: sorted, joined by `SEPARATOR`."""
    return SEPARATOR.join(sorted(names))


def make(
    out: str | Path,
    config: MovingDigitsTagsConfig = MovingDigitsTagsConfig(),
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Writes `out/<split>/<id>.mp4` and `out/manifest.csv`; returns the manifest path.

    The manifest has columns `path,label,split,group,digits,directions`:
    `label` is the clip's tags (`one|three`), `digits` and `directions` list
    each shown digit and its direction (`;`-separated), `group` the clip
    itself (its digit images are of its own split). Deterministic: the same
    config writes the same files. Every tag appears in about
    `(1 + max_digits) / 2 / num_tags` of the clips.
    """
    out = Path(out)
    moving = drawing(config)
    rows = []
    for split, count, split_images, split_targets, rng in splits(
        config.seed, config.videos_per_split, salt=(7,)
    ):
        by_digit = [np.flatnonzero(split_targets == d) for d in range(config.num_tags)]
        for i in range(count):
            shown = int(rng.integers(1, config.max_digits + 1))
            digits = sorted(int(d) for d in rng.choice(config.num_tags, shown, replace=False))
            directions = [DIRECTIONS[int(rng.integers(len(DIRECTIONS)))] for _ in digits]
            picks = [int(rng.choice(by_digit[d])) for d in digits]
            layers = [
                render(split_images[p], direction, moving, rng)
                for p, direction in zip(picks, directions, strict=True)
            ]
            frames = np.max(layers, axis=0)  # (num_frames, canvas, canvas, 3)
            rel = Path(split) / f"{split}_{i:05d}.mp4"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            write_mp4(out / rel, frames, config.fps)
            label = join_labels([config.tags[d] for d in digits])
            rows.append(
                [
                    rel.as_posix(),
                    label,
                    split,
                    f"{split}-{i:05d}",
                    ";".join(map(str, digits)),
                    ";".join(directions),
                ]
            )
            if progress:
                progress(1)
    header = ["path", "label", "split", "group", "digits", "directions"]
    return write_manifest(out, header, rows)
