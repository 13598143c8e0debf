"""Built-in data sets, generated offline and deterministically as real video files."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from tqdm import tqdm

from zoo.datasets import moving_digits

AVAILABLE = {
    "moving_digits": "handwritten digits (scikit-learn) moving up/down/left/right; H.264 mp4",
}


def cache_dir() -> Path:
    """Where built-in data sets are kept: `$ZOO_CACHE` or `~/.cache/zoo`."""
    return Path(os.environ.get("ZOO_CACHE", Path.home() / ".cache" / "zoo"))


def make(name: str, out: str | Path | None = None, show_progress: bool = True, **options) -> Path:
    """Builds data set `name` into `out` (default: the cache) and returns its folder.

    The build goes to a temporary folder that is renamed into place at the end,
    so an interrupted build never leaves a half-written data set. An existing
    complete build with the same options is reused.
    """
    if name not in AVAILABLE:
        raise KeyError(f"unknown data set {name!r}; available: {', '.join(AVAILABLE)}")
    config = moving_digits.MovingDigitsConfig(**options)
    if out is None:
        digest = hashlib.sha1(repr(dataclasses.astuple(config)).encode()).hexdigest()[:10]
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
            total=sum(config.videos_per_split),
            desc=f"making {name}",
            unit="video",
            disable=not show_progress,
        ) as bar:
            moving_digits.make(tmp, config, progress=bar.update)
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
