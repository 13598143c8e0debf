"""`moving_digits`: real handwritten digits sliding across a canvas, as H.264 videos.

In the spirit of Moving MNIST (Srivastava et al. 2015), built offline from the
1,797 real 8x8 digits that ship inside scikit-learn (`load_digits`). Each video
shows one digit, upscaled, moving at constant speed up, down, left or right.

The start point is drawn so the whole path stays on the canvas, which makes the
set of positions the same for "left" and "right" (and for "up" and "down"). A
model that sees the frames as an unordered bag can therefore find the axis of
motion but not its sign: that is the lesson this data set exists for.

The digit images are split before any video is made, so the test videos show
handwriting that no training video shows (a leak-free split).
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import av
import numpy as np

DIRECTIONS = ("down", "left", "right", "up")
SPLITS = ("train", "val", "test")
_VELOCITY = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
LABELS = ("direction", "digit", "both")


@dataclasses.dataclass(frozen=True)
class MovingDigitsConfig:
    """Size and content of one build. The defaults build in seconds on a laptop."""

    label: str = "direction"
    videos_per_split: tuple[int, int, int] = (480, 96, 192)
    num_frames: int = 20
    canvas: int = 64
    digit_size: int = 20
    speed: tuple[float, float] = (1.6, 2.2)
    fps: int = 10
    seed: int = 0


# The fields of `MovingDigitsConfig` that decide how `render` draws a digit.
DRAWING_FIELDS = ("num_frames", "canvas", "digit_size", "speed", "fps", "seed")


def drawing(config: object, **changes: object) -> MovingDigitsConfig:
    """The `MovingDigitsConfig` that `render` draws with, for another data set's `config`.

    Takes the `DRAWING_FIELDS` that `config` has, then `changes` on top
    (`drawing(config, num_frames=30)`), so the built-in sets made of moving
    digits draw them exactly as `moving_digits` does.
    """
    fields = {name: getattr(config, name) for name in DRAWING_FIELDS if hasattr(config, name)}
    return MovingDigitsConfig(**{**fields, **changes})


def digit_images(seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The scikit-learn digits, upscaled later, split 60/15/25 by image before any video exists."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.images))
    cut1, cut2 = int(0.6 * len(order)), int(0.75 * len(order))
    parts = {"train": order[:cut1], "val": order[cut1:cut2], "test": order[cut2:]}
    return {name: (digits.images[idx], digits.target[idx]) for name, idx in parts.items()}


def _upscale(image: np.ndarray, size: int) -> np.ndarray:
    """An 8x8 digit (values 0-16) to a smooth `size x size` uint8 image, bilinear."""
    src = np.linspace(0, image.shape[0] - 1, size)
    i0 = np.floor(src).astype(int)
    i1 = np.minimum(i0 + 1, image.shape[0] - 1)
    w = src - i0
    rows = image[i0] * (1 - w)[:, None] + image[i1] * w[:, None]
    big = rows[:, i0] * (1 - w)[None] + rows[:, i1] * w[None]
    return np.clip(big * (255.0 / 16.0), 0, 255).astype(np.uint8)


def render(
    digit: np.ndarray, direction: str, config: MovingDigitsConfig, rng: np.random.Generator
) -> np.ndarray:
    """One video as uint8 `(num_frames, canvas, canvas, 3)`: a white digit on black."""
    sprite = _upscale(digit, config.digit_size)
    speed = rng.uniform(*config.speed)
    travel = speed * (config.num_frames - 1)
    room = config.canvas - config.digit_size
    if travel > room:
        raise ValueError(f"speed {speed:.2f} over {config.num_frames} frames leaves the canvas")
    dy, dx = _VELOCITY[direction]
    along = rng.uniform(0, room - travel)
    across = rng.uniform(0, room)
    frames = np.zeros((config.num_frames, config.canvas, config.canvas), np.uint8)
    for t in range(config.num_frames):
        pos = along + speed * t
        y = across if dy == 0 else (pos if dy > 0 else room - pos)
        x = across if dx == 0 else (pos if dx > 0 else room - pos)
        y, x = int(round(y)), int(round(x))
        frames[t, y : y + config.digit_size, x : x + config.digit_size] = sprite
    return np.repeat(frames[..., None], 3, axis=-1)


def write_mp4(
    path: Path,
    frames: np.ndarray,
    fps: int,
    sound: np.ndarray | None = None,
    sample_rate: int = 16_000,
) -> None:
    """Writes uint8 `(T, H, W, 3)` as H.264 (yuv420p, near-lossless) in an mp4.

    With `sound` (float32 `(N,)` in [-1, 1], mono at `sample_rate`), the file
    also gets an AAC audio track (FFmpeg's own encoder, 64 kbit/s) that starts
    with the first frame.
    """
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "12", "preset": "veryfast", "tune": "zerolatency"}
        stream.codec_context.thread_count = 1
        if sound is not None:  # every stream is added before the first packet is written
            audio = container.add_stream("aac", rate=sample_rate, layout="mono")
            audio.bit_rate = 64_000
        for image in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
        if sound is not None:
            _write_sound(container, audio, sound, sample_rate)


def _write_sound(
    container: av.container.OutputContainer,
    stream: av.audio.stream.AudioStream,
    sound: np.ndarray,
    rate: int,
) -> None:
    """Encodes mono float32 samples `(N,)` into the AAC `stream` of `container`."""
    chunk = 1024  # AAC's frame size
    for begin in range(0, sound.size, chunk):
        samples = np.ascontiguousarray(sound[begin : begin + chunk], np.float32)[None]
        frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
        frame.sample_rate, frame.pts = rate, begin
        container.mux(stream.encode(frame))
    container.mux(stream.encode())


def splits(
    seed: int, videos_per_split: Sequence[int], salt: Sequence[int] = ()
) -> Iterator[tuple[str, int, np.ndarray, np.ndarray, np.random.Generator]]:
    """`(split, count, images, targets, rng)` for train, val and test, in that order.

    `images` and `targets` are the split's own handwriting (`digit_images(seed)`),
    and `rng` a generator of its own, seeded `[seed, split index, *salt]`, so a
    data set built of moving digits draws every split independently.
    """
    images = digit_images(seed)
    for index, (split, count) in enumerate(zip(SPLITS, videos_per_split, strict=True)):
        split_images, split_targets = images[split]
        yield split, count, split_images, split_targets, np.random.default_rng([seed, index, *salt])


def write_manifest(out: Path, header: list[str], rows: list[list[object]]) -> Path:
    """Writes `out/manifest.csv` with `header` and `rows`; returns its path."""
    manifest = out / "manifest.csv"
    with open(manifest, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return manifest


def make(
    out: str | Path,
    config: MovingDigitsConfig = MovingDigitsConfig(),
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Writes `out/<split>/<label>/<id>.mp4` and `out/manifest.csv`; returns the manifest path.

    The manifest has columns `path,label,split,group,digit,direction`; `group`
    is the source digit image, so no handwriting sample crosses splits.
    Deterministic: the same config writes the same files.
    """
    if config.label not in LABELS:
        raise ValueError(f"label must be one of {LABELS}, not {config.label!r}")
    out = Path(out)
    rows = []
    for split, count, split_images, split_targets, rng in splits(
        config.seed, config.videos_per_split
    ):
        for i in range(count):
            pick = int(rng.integers(len(split_images)))
            direction = DIRECTIONS[i % len(DIRECTIONS)]
            digit = int(split_targets[pick])
            label = {"direction": direction, "digit": str(digit), "both": f"{digit}_{direction}"}[
                config.label
            ]
            rel = Path(split) / label / f"{split}_{i:05d}.mp4"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            write_mp4(out / rel, render(split_images[pick], direction, config, rng), config.fps)
            rows.append([rel.as_posix(), label, split, f"{split}-img{pick}", digit, direction])
            if progress:
                progress(1)
    return write_manifest(out, ["path", "label", "split", "group", "digit", "direction"], rows)
