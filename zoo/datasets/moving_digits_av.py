"""`moving_digits_av`: a spoken digit and a moving handwritten digit; the label needs both.

Each video is a `moving_digits` video (same drawing: a real handwritten digit
from scikit-learn sliding up, down, left or right) with a sound track: a
"voice" that says one of three digit words, "zero", "one" or "two", as
repeated syllables on its own pitch. The label is `<word>_<direction>`
(12 classes).

The picture and the sound partly disagree: the handwritten digit on screen is
drawn at random from all ten digits, independently of the spoken word, so the
picture tells the direction but not the word, and the sound tells the word
but not the direction. A video model can reach about 1/3 (the right direction,
a guess among three words), an audio model about 1/4 (the right word, a guess
among four directions); only a model that uses both solves it.

The digit images are split before any video is made (as in `moving_digits`),
so test videos show handwriting no training video shows.
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

WORDS = ("zero", "one", "two")
# The fundamental frequency of each word's voice (Hz): an octave apart.
PITCH_HZ = {"zero": 220.0, "one": 440.0, "two": 880.0}


@dataclasses.dataclass(frozen=True)
class MovingDigitsAVConfig:
    """Size and content of one build. The defaults build in a few seconds.

    `num_frames` at `fps` give the length of each video (1.6 s); the sound
    track, mono at `sample_rate`, is exactly as long. `pitch_spread` is the
    relative random change of each video's pitch, `noise` the largest
    amplitude of the background noise.
    """

    videos_per_split: tuple[int, int, int] = (240, 48, 96)
    num_frames: int = 16
    canvas: int = 32
    digit_size: int = 10
    speed: tuple[float, float] = (0.8, 1.1)
    fps: int = 10
    sample_rate: int = 16_000
    pitch_spread: float = 0.08
    noise: float = 0.05
    seed: int = 0

    @property
    def num_samples(self) -> int:
        """Samples of each sound track: the video's duration at `sample_rate`."""
        return round(self.num_frames / self.fps * self.sample_rate)


def voice(word: str, config: MovingDigitsAVConfig, rng: np.random.Generator) -> np.ndarray:
    """float32 `(config.num_samples,)` in [-1, 1]: `word` said as syllables over noise.

    Syllables of 0.15-0.3 s with gaps of 0.05-0.15 s fill the track; each is a
    fundamental at the word's pitch (times `1 +- pitch_spread`, drawn once per
    video) with its 2nd and 3rd harmonics, under a raised-cosine envelope.
    White noise of a random level lies under the whole track.
    """
    rate = config.sample_rate
    pitch = PITCH_HZ[word] * (1 + rng.uniform(-config.pitch_spread, config.pitch_spread))
    harmonics = np.array([1.0, rng.uniform(0.2, 0.6), rng.uniform(0.1, 0.3)])
    sound = np.zeros(config.num_samples)
    at = round(rng.uniform(0.0, 0.1) * rate)
    while at < sound.size:
        length = round(rng.uniform(0.15, 0.3) * rate)
        t = np.arange(min(length, sound.size - at)) / rate
        tone = sum(a * np.sin(2 * np.pi * (k + 1) * pitch * t) for k, a in enumerate(harmonics))
        envelope = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(t.size) / length)
        sound[at : at + t.size] = rng.uniform(0.3, 0.5) * envelope * tone / harmonics.sum()
        at += length + round(rng.uniform(0.05, 0.15) * rate)
    sound += rng.uniform(0.01, config.noise) * rng.standard_normal(sound.size)
    return np.clip(sound, -1, 1).astype(np.float32)


def make(
    out: str | Path,
    config: MovingDigitsAVConfig = MovingDigitsAVConfig(),
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Writes `out/<split>/<label>/<id>.mp4` (H.264 + AAC) and `out/manifest.csv`; returns its path.

    The manifest has columns `path,label,split,group,digit,word,direction`:
    `digit` is the handwritten digit on screen (unrelated to the label),
    `word` the spoken one, `group` the source digit image, so no handwriting
    sample crosses splits. Classes are balanced in every split.
    Deterministic: the same config writes the same bytes.
    """
    out = Path(out)
    rows = []
    for split, count, split_images, split_targets, rng in splits(
        config.seed, config.videos_per_split
    ):
        for i in range(count):
            pick = int(rng.integers(len(split_images)))
            direction = DIRECTIONS[i % len(DIRECTIONS)]
            word = WORDS[i // len(DIRECTIONS) % len(WORDS)]
            label = f"{word}_{direction}"
            rel = Path(split) / label / f"{split}_{i:05d}.mp4"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            frames = render(split_images[pick], direction, drawing(config), rng)
            sound = voice(word, config, rng)
            write_mp4(out / rel, frames, config.fps, sound, config.sample_rate)
            digit = int(split_targets[pick])
            rows.append(
                [rel.as_posix(), label, split, f"{split}-img{pick}", digit, word, direction]
            )
            if progress:
                progress(1)
    return write_manifest(
        out, ["path", "label", "split", "group", "digit", "word", "direction"], rows
    )
