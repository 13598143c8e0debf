"""`digit_events`: 12 events of a handwritten digit over a photograph, told apart only by order.

Every video shows one handwritten digit (scikit-learn's `load_digits`) over a
crop of one of scikit-learn's two sample photographs (`load_sample_images`),
with a smaller distractor digit wandering at random and a shaking camera.
Six properties of the scene can change from frame to frame:

    x, y      where the digit is            size      how large it is
    opacity   how visible the digit is      light     how bright the scene is
    pan       where the camera looks over the photograph

In each video one property changes smoothly in one direction, and the label
is that property and direction: "right" (x grows), "left", "down", "up",
"approach" (size grows), "recede", "appear" (opacity grows), "disappear",
"lights_on" (light grows), "lights_off", "pan_right", "pan_left". Two other
properties, drawn at random, take values drawn the same way in a random order
(they jump about); the remaining three hold one such value for the whole video.

So a single frame says nothing about the label, and an unordered bag of frames
can at best tell which three properties change: each of the six labels they
allow is then equally likely, so a model that averages over frames scores at
most 1/6 (chance is 1/12). Only the order tells "appear" from "disappear",
"approach" from "recede", and a smooth change from a jumpy one. The digit
images are split before any video is made, so each split shows handwriting
the others never show.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import ndimage

from zoo.datasets.moving_digits import digit_images, write_manifest, write_mp4

PROPERTIES = ("x", "y", "size", "opacity", "light", "pan")
EVENTS = {  # label -> (property, +1 if it grows over the video, -1 if it shrinks)
    "right": ("x", 1),
    "left": ("x", -1),
    "down": ("y", 1),
    "up": ("y", -1),
    "approach": ("size", 1),
    "recede": ("size", -1),
    "lights_on": ("light", 1),
    "lights_off": ("light", -1),
    "appear": ("opacity", 1),
    "disappear": ("opacity", -1),
    "pan_right": ("pan", 1),
    "pan_left": ("pan", -1),
}
CLASSES = tuple(sorted(EVENTS))


@dataclasses.dataclass(frozen=True)
class DigitEventsConfig:
    """Size and content of one build. The defaults build in about 40 s on 2 cores."""

    videos_per_split: tuple[int, int, int] = (2880, 192, 384)
    num_frames: int = 20
    canvas: int = 64
    fps: int = 10
    shake: int = 1  # camera shake: up to this many pixels each way, every frame
    decoys: int = 2  # other properties that change, in a random order; the rest hold still
    seed: int = 0


def _ranges(config: DigitEventsConfig, rng: np.random.Generator) -> dict[str, tuple[float, float]]:
    """The `(start, end)` each property sweeps in one video, all drawn the same way for all classes.

    Extents vary from video to video: that is the varied speed. Positions keep
    the digit (at most 26 pixels across) inside the canvas.
    """
    c = config.canvas

    def sweep(low: float, high: float, extent: tuple[float, float]) -> tuple[float, float]:
        length = rng.uniform(*extent)
        start = rng.uniform(low, high - length)
        return start, start + length

    return {
        "x": sweep(13, c - 13, (0.35 * c, 0.55 * c)),
        "y": sweep(13, c - 13, (0.35 * c, 0.55 * c)),
        "size": sweep(14, 38, (14, 20)),
        "opacity": (rng.uniform(0.2, 0.35), rng.uniform(0.9, 1.0)),
        "light": (rng.uniform(0.2, 0.3), rng.uniform(0.8, 0.9)),
        "pan": sweep(0, 0.6 * c, (0.35 * c, 0.55 * c)),
    }


def tracks(
    label: str, config: DigitEventsConfig, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Each property's value in each frame: `label`'s in order, `config.decoys` others (drawn
    at random) shuffled, the rest held at one of their values.

    Every property draws its values the same way whatever the label; which
    properties change is uniform given the label's, so knowing the set of
    changing properties leaves each of them, in either direction, equally likely.
    """
    prop, sign = EVENTS[label]
    others = [name for name in PROPERTIES if name != prop]
    decoys = set(rng.choice(others, config.decoys, replace=False))
    out = {}
    for name, (start, end) in _ranges(config, rng).items():
        values = np.linspace(start, end, config.num_frames)
        if name in decoys:
            values = rng.permutation(values)
        elif name != prop:
            values = np.full_like(values, rng.choice(values))
        elif sign < 0:
            values = values[::-1]
        out[name] = values
    return out


def _stamp(digit: np.ndarray, canvas: int, y: float, x: float, size: float, angle: float):
    """The digit's coverage in [0, 1] on a `canvas x canvas` grid: centred at (y, x), `size`
    pixels across, turned `angle` degrees clockwise; bilinear from the 8x8 image."""
    grid_y, grid_x = np.mgrid[0:canvas, 0:canvas].astype(np.float32)
    theta = np.deg2rad(angle)
    dy, dx = grid_y - y, grid_x - x
    scale = 8.0 / size  # canvas pixels to digit pixels
    src_y = (np.cos(theta) * dy - np.sin(theta) * dx) * scale + 3.5
    src_x = (np.sin(theta) * dy + np.cos(theta) * dx) * scale + 3.5
    ink = ndimage.map_coordinates(digit / 16.0, [src_y, src_x], order=1, cval=0.0)
    return np.clip(ink, 0.0, 1.0)


def _background(photo: np.ndarray, config: DigitEventsConfig, rng: np.random.Generator):
    """The photograph shrunk so the canvas sees a region of it, and the crop's top-left
    corner before panning. The light of each frame dims it."""
    c = config.canvas
    height = int(rng.integers(2 * c, 3 * c))
    zoom = height / photo.shape[0]
    small = ndimage.zoom(photo.astype(np.float32), (zoom, zoom, 1), order=1)
    top = int(rng.integers(config.shake, small.shape[0] - c - config.shake))
    left = int(rng.integers(config.shake, small.shape[1] - int(1.6 * c) - config.shake))
    return small, top, left


def render(
    digit: np.ndarray,
    distractor: np.ndarray,
    photo: np.ndarray,
    label: str,
    config: DigitEventsConfig,
    rng: np.random.Generator,
) -> np.ndarray:
    """One video as uint8 `(num_frames, canvas, canvas, 3)`."""
    c, steps = config.canvas, config.num_frames
    track = tracks(label, config, rng)
    background, top, left = _background(photo, config, rng)
    # the distractor: two thirds the size, half visible, a random walk from a random place
    walk = np.cumsum(rng.normal(0.0, 2.5, (steps, 2)), axis=0) + rng.uniform(12, c - 12, 2)
    walk = np.clip(walk, 8, c - 8)
    other_size, other_angle = rng.uniform(9, 14), rng.uniform(-45, 45)
    angle = rng.uniform(-30, 30)  # the main digit's tilt, the same in every frame
    frames = np.empty((steps, c, c, 3), np.uint8)
    for t in range(steps):
        sy, sx = rng.integers(-config.shake, config.shake + 1, 2)
        x0 = left + int(round(track["pan"][t])) + sx
        image = track["light"][t] * background[top + sy : top + sy + c, x0 : x0 + c]
        for ink in (
            0.5 * _stamp(distractor, c, walk[t, 0] + sy, walk[t, 1] + sx, other_size, other_angle),
            track["opacity"][t]
            * _stamp(
                digit,
                c,
                track["y"][t] + sy,
                track["x"][t] + sx,
                track["size"][t],
                angle,
            ),
        ):
            image = image * (1 - ink[..., None]) + 255.0 * ink[..., None]
        frames[t] = np.clip(np.round(image), 0, 255).astype(np.uint8)
    return frames


def _photos() -> list[np.ndarray]:
    from sklearn.datasets import load_sample_images

    return list(load_sample_images().images)


def make(
    out: str | Path,
    config: DigitEventsConfig = DigitEventsConfig(),
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Writes `out/<split>/<label>/<id>.mp4` and `out/manifest.csv`; returns the manifest path.

    The manifest has columns `path,label,split,group,digit,property,sign`;
    `group` is the main digit's source image, so no handwriting sample crosses
    splits (distractors come from the same split). Classes are balanced in
    every split. Deterministic: the same config writes the same files.
    """
    out = Path(out)
    images = digit_images(config.seed)
    photos = _photos()
    rows = []
    for split_index, (split, count) in enumerate(
        zip(("train", "val", "test"), config.videos_per_split, strict=True)
    ):
        split_images, split_targets = images[split]
        rng = np.random.default_rng([config.seed, 1, split_index])
        for i in range(count):
            label = CLASSES[i % len(CLASSES)]
            pick, other = rng.integers(len(split_images), size=2)
            photo = photos[int(rng.integers(len(photos)))]
            frames = render(split_images[pick], split_images[other], photo, label, config, rng)
            rel = Path(split) / label / f"{split}_{i:05d}.mp4"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            write_mp4(out / rel, frames, config.fps)
            prop, sign = EVENTS[label]
            digit = int(split_targets[pick])
            rows.append([rel.as_posix(), label, split, f"{split}-img{pick}", digit, prop, sign])
            if progress:
                progress(1)
    return write_manifest(
        out, ["path", "label", "split", "group", "digit", "property", "sign"], rows
    )
