"""Clip samplers: which frame numbers to decode from a video of `num_frames`.

Each sampler returns int64 indices of shape `(num_clips, clip_len)`. A video
shorter than a clip never fails: indices past the end are clamped to the last
frame (the clip holds its final frame, "pad by repeating the last frame"). A
video with no frames at all gets index 0, which the decoder reports as an error.

`temporal_jitter` is the time-axis augmentation. It moves frame numbers, not
decoded frames, so it lives here, where it costs nothing, instead of among the
TF transforms, where it would need frames that were never decoded.

`ClipSpec` holds one choice of sampler and its settings: it is what the
decode stages of the pipeline take.
"""

from __future__ import annotations

import dataclasses

import numpy as np

SAMPLERS = ("random", "uniform", "multi")


def _clip_at(start: int, clip_len: int, frame_step: int, num_frames: int) -> np.ndarray:
    indices = start + frame_step * np.arange(clip_len, dtype=np.int64)
    return np.minimum(indices, max(num_frames - 1, 0))


def random_clip(
    num_frames: int, clip_len: int, frame_step: int, rng: np.random.Generator
) -> np.ndarray:
    """One clip of `clip_len` frames, `frame_step` apart, at a random start."""
    span = (clip_len - 1) * frame_step + 1
    start = int(rng.integers(0, max(num_frames - span, 0) + 1))
    return _clip_at(start, clip_len, frame_step, num_frames)[None]


def center_clip(num_frames: int, clip_len: int, frame_step: int) -> np.ndarray:
    """One clip in the middle of the video: the deterministic twin of `random_clip`."""
    span = (clip_len - 1) * frame_step + 1
    start = max(num_frames - span, 0) // 2
    return _clip_at(start, clip_len, frame_step, num_frames)[None]


def uniform_segments(
    num_frames: int, num_segments: int, rng: np.random.Generator | None = None
) -> np.ndarray:
    """TSN-style: split the video into equal segments, one frame from each.

    With `rng` the frame is random within its segment (training); without, it is
    the segment's middle frame (evaluation).
    """
    edges = np.linspace(0, num_frames, num_segments + 1)
    if rng is None:
        points = (edges[:-1] + edges[1:]) / 2
    else:
        points = edges[:-1] + rng.random(num_segments) * (edges[1:] - edges[:-1])
    indices = np.floor(points).astype(np.int64)
    return np.clip(indices, 0, max(num_frames - 1, 0))[None]


def multi_clip(num_frames: int, clip_len: int, frame_step: int, num_clips: int) -> np.ndarray:
    """`num_clips` clips with evenly spaced starts covering the video, for testing.

    Clip `i` starts at `i * last / (num_clips - 1)` rounded to the nearest frame,
    halves to even, `last` being the latest start that fits (0 for a short
    video); one clip starts at 0. Integer arithmetic, so that the exported
    serving graph (`zoo.export.signature.multi_clip_indices`) picks the same
    frames for every clip count.
    """
    span = (clip_len - 1) * frame_step + 1
    last = max(num_frames - span, 0)
    steps = np.arange(num_clips, dtype=np.int64) * last
    divisor = max(num_clips - 1, 1)
    nearest = (2 * steps + divisor) // (2 * divisor)  # halves round up
    half = (2 * steps) % (2 * divisor) == divisor
    starts = np.where(half & (nearest % 2 == 1), nearest - 1, nearest)
    return np.stack([_clip_at(int(s), clip_len, frame_step, num_frames) for s in starts])


def temporal_jitter(
    indices: np.ndarray, max_shift: int, num_frames: int, rng: np.random.Generator
) -> np.ndarray:
    """Moves each frame number by a random `-max_shift..max_shift`, keeping each clip in order.

    Training-time augmentation of the frame rate's regularity; indices stay in
    `[0, num_frames)` and sorted within a clip, so motion never runs backwards.
    """
    shifted = indices + rng.integers(-max_shift, max_shift + 1, size=indices.shape)
    return np.sort(np.clip(shifted, 0, max(num_frames - 1, 0)), axis=-1)


@dataclasses.dataclass(frozen=True)
class ClipSpec:
    """Which frames make a clip.

    `sampler` is "random", "uniform" or "multi"; `jitter` moves each training
    frame number by up to that many frames (`temporal_jitter`).
    """

    clip_len: int = 8
    frame_step: int = 2
    sampler: str = "random"
    num_clips: int = 1
    jitter: int = 0

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; choose from {SAMPLERS}")

    def indices(self, num_frames: int, seed: int, training: bool) -> np.ndarray:
        """Frame numbers `(num_clips, clip_len)` for a video of `num_frames`."""
        rng = np.random.default_rng(seed)
        chosen = self._sample(num_frames, rng, training)
        if training and self.jitter:
            chosen = temporal_jitter(chosen, self.jitter, num_frames, rng)
        return chosen

    def _sample(self, num_frames: int, rng: np.random.Generator, training: bool) -> np.ndarray:
        if self.sampler == "random":
            if training:
                return random_clip(num_frames, self.clip_len, self.frame_step, rng)
            return center_clip(num_frames, self.clip_len, self.frame_step)
        if self.sampler == "uniform":
            return uniform_segments(num_frames, self.clip_len, rng if training else None)
        return multi_clip(num_frames, self.clip_len, self.frame_step, self.num_clips)

    @property
    def clips_per_video(self) -> int:
        return self.num_clips if self.sampler == "multi" else 1
