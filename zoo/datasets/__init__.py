"""Built-in data sets, generated offline and deterministically as real video files."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from tqdm import tqdm

from zoo.datasets import (
    digit_events,
    digit_timelines,
    moving_digits,
    moving_digits_av,
    moving_digits_tags,
)

AVAILABLE = {
    "moving_digits": "handwritten digits (scikit-learn) moving up/down/left/right; H.264 mp4",
    "digit_events": "12 events of a digit over photographs, told apart only by frame order",
    "moving_digits_av": "a spoken digit word (sound) x a moving digit's direction (picture); "
    "H.264 + AAC mp4",
    "digit_timelines": "minute-long videos of a digit changing direction, with true segments "
    "(segments.csv), for zoo annotate",
    "moving_digits_tags": "1-3 of the digits 0-4 moving at once; multi-label (`a|b`) tagging",
}
# Sets whose clips have several labels (`a|b` in the manifest): read through their manifest.
MULTI_LABEL = ("moving_digits_tags",)
# name -> (its config class, the function that writes it)
_BUILDERS = {
    "moving_digits": (moving_digits.MovingDigitsConfig, moving_digits.make),
    "digit_events": (digit_events.DigitEventsConfig, digit_events.make),
    "moving_digits_av": (moving_digits_av.MovingDigitsAVConfig, moving_digits_av.make),
    "digit_timelines": (digit_timelines.DigitTimelinesConfig, digit_timelines.make),
    "moving_digits_tags": (moving_digits_tags.MovingDigitsTagsConfig, moving_digits_tags.make),
}


def cache_dir() -> Path:
    """Where built-in data sets are kept: `$ZOO_CACHE` or `~/.cache/zoo`."""
    return Path(os.environ.get("ZOO_CACHE", Path.home() / ".cache" / "zoo"))


def config(name: str, **options):
    """The config of built-in data set `name` with `options` set (its defaults otherwise)."""
    if name not in AVAILABLE:
        raise KeyError(f"unknown data set {name!r}; available: {', '.join(AVAILABLE)}")
    return _BUILDERS[name][0](**options)


def make(name: str, out: str | Path | None = None, show_progress: bool = True, **options) -> Path:
    """Builds data set `name` into `out` (default: the cache) and returns its folder.

    The build goes to a temporary folder that is renamed into place at the end,
    so an interrupted build never leaves a half-written data set. An existing
    complete build with the same options is reused. `options` are fields of
    the data set's config (`MovingDigitsConfig`, `DigitEventsConfig`,
    `MovingDigitsAVConfig`, `DigitTimelinesConfig`).
    """
    settings = config(name, **options)
    if out is None:
        digest = hashlib.sha1(repr(dataclasses.astuple(settings)).encode()).hexdigest()[:10]
        out = cache_dir() / f"{name}-{digest}"
    out = Path(out)
    if (out / "manifest.csv").exists():
        return out
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out}: exists and is not a built data set; choose an empty folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        with tqdm(
            total=sum(settings.videos_per_split),
            desc=f"making {name}",
            unit="video",
            disable=not show_progress,
        ) as bar:
            _BUILDERS[name][1](tmp, settings, progress=bar.update)
        try:
            tmp.rename(out)  # atomic; replaces an empty folder, fails on a full one
        except OSError:
            if not (out / "manifest.csv").exists():
                raise
            # another process finished the same build first: use it
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out
