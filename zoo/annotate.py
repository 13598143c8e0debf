"""Timelines of long videos: a model's labels over sliding windows, merged into segments.

    classifier = zoo.predict.load("pretrained:r2plus1d")      # or a run, .keras, SavedModel...
    timeline = zoo.annotate.annotate(classifier, "long.mp4", window=2.0, stride=0.5)
    timeline.segments                                          # [Segment(0.0, 8.75, "left", 0.93), ...]
    zoo.annotate.write(timeline, "annotations/")               # long.json, long.csv, long.png

The video is decoded once, front to back, at the model's resolution. Windows
of `window` seconds start every `stride` seconds; each window is classified
by one clip sampled like the model's training clips (`clip_len` frames,
`frame_step` apart, centred in the window). Only the frames of those clips
are kept (overlapping windows share them), and the decoder drops the others
where nothing refers to them: at the defaults about half of the frames. The per-window probabilities are smoothed
by a moving average over `smoothing` windows and merged into segments
(`zoo.timeline.to_segments`). A video shorter than one window is one window,
its clip padded by repeating the last frame: one segment.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from zoo.data.decode import probe, read_video
from zoo.data.errors import DEFAULT_LIMITS, DecodeLimits
from zoo.predict import Classifier
from zoo.timeline import Segment, smooth, to_segments

DEFAULT_MODEL = "pretrained:r2plus1d"  # 3D convolutions: robust to the jumps between passes
# Long videos: up to 100,000 frames (55 min at 30 fps; about half of them, 0.6 GB at 64x64,
# kept at the default window and stride).
LIMITS = dataclasses.replace(DEFAULT_LIMITS, max_frames=100_000, timeout_s=600.0)


@dataclasses.dataclass
class Timeline:
    """The annotation of one video.

    `centres` float `(W,)` are the window centres in seconds, `probabilities`
    float `(W, C)` the smoothed class probabilities of the windows.
    """

    video: str
    duration: float
    fps: float
    labels: list[str]
    centres: np.ndarray
    probabilities: np.ndarray
    segments: list[Segment]
    settings: dict[str, float | int]

    def to_json(self) -> dict:
        """A JSON-ready dict: settings, segments and the per-window probabilities."""
        return {
            "video": self.video,
            "duration": self.duration,
            "fps": self.fps,
            **self.settings,
            "labels": self.labels,
            "segments": [dataclasses.asdict(s) for s in self.segments],
            "windows": {
                "centres": [round(float(c), 3) for c in self.centres],
                "probabilities": np.round(self.probabilities, 4).tolist(),
            },
        }


def window_starts(num_frames: int, window: int, stride: int) -> np.ndarray:
    """First frames `(W,)` of windows of `window` frames every `stride` frames.

    The last window ends at the last frame (its start may be closer than
    `stride` to the one before); a video shorter than a window has one window.
    """
    if num_frames <= window:
        return np.zeros(1, np.int64)
    starts = np.arange(0, num_frames - window + 1, stride)
    if starts[-1] + window < num_frames:
        starts = np.append(starts, num_frames - window)
    return starts


def window_clips(
    num_frames: int, starts: np.ndarray, window: int, clip_len: int, frame_step: int
) -> np.ndarray:
    """Frame numbers `(W, clip_len)`: one clip per window, `frame_step` apart, centred in it.

    A clip never starts before frame 0 nor, where the video is long enough,
    ends after its last frame; in a shorter video it repeats the last frame.
    """
    span = (clip_len - 1) * frame_step + 1
    centres = starts + min(window, num_frames) / 2
    first = np.clip(np.round(centres - span / 2), 0, max(num_frames - span, 0)).astype(np.int64)
    clips = first[:, None] + np.arange(clip_len) * frame_step
    return np.minimum(clips, num_frames - 1)


def annotate(
    classifier: Classifier,
    path: str | os.PathLike,
    window: float = 2.0,
    stride: float = 0.5,
    smoothing: int = 3,
    batch_size: int = 32,
    limits: DecodeLimits = LIMITS,
) -> Timeline:
    """The timeline of one video (see the module docstring).

    Args:
        classifier: the model (`zoo.predict.load`).
        path: the video.
        window, stride: window length and distance between window starts, seconds.
        smoothing: windows in the moving average of the probabilities (1: none).
        batch_size: windows classified at once.
        limits: decoding limits; `max_frames` bounds the length of the video.

    Raises:
        zoo.data.VideoDecodeError: the file cannot be decoded.
        ValueError: `window`, `stride`, `smoothing` or `batch_size` is not positive.
    """
    if min(window, stride) <= 0 or min(smoothing, batch_size) < 1:
        raise ValueError("--window and --stride must be positive, --smoothing at least 1")
    fps = float(probe(path, limits).fps)
    width, step = max(1, round(window * fps)), max(1, round(stride * fps))
    plan: dict[str, np.ndarray | int] = {}

    def needed(num_frames: int) -> np.ndarray:
        """The frames the windows' clips use, for a video of `num_frames` (called again
        by `read_video` when the header's count was wrong: the last call is the plan)."""
        starts = window_starts(num_frames, width, step)
        clips = window_clips(num_frames, starts, width, classifier.clip_len, classifier.frame_step)
        plan.update(num_frames=num_frames, starts=starts, clips=clips)
        return np.unique(clips)

    video = read_video(path, needed, limits, shorter_side=classifier.size)
    num_frames, starts = plan["num_frames"], plan["starts"]
    clips = np.searchsorted(video.indices, plan["clips"])  # frame numbers to rows of `frames`
    probabilities = np.concatenate(
        [
            classifier.run_clips(video.frames[clips[i : i + batch_size]])
            for i in range(0, len(clips), batch_size)
        ]
    )
    probabilities = smooth(probabilities, smoothing)
    duration = num_frames / fps
    centres = (starts + min(width, num_frames) / 2) / fps
    settings = {"window": window, "stride": stride, "smoothing": smoothing}
    return Timeline(
        os.fspath(path),
        duration,
        fps,
        list(classifier.labels),
        centres,
        probabilities,
        to_segments(probabilities, centres, duration, classifier.labels),
        settings,
    )


def plot(timeline: Timeline, truth: Sequence[Segment] | None = None):
    """A matplotlib `Figure`: the window probabilities over time above the segments
    (and the true segments, if given), one colour per label."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows = 2 if truth is None else 3
    fig = Figure(figsize=(12, 1.2 + 1.0 * rows))
    axes = fig.subplots(rows, 1, sharex=True, height_ratios=[3] + [1] * (rows - 1))
    colours = {label: f"C{i}" for i, label in enumerate(timeline.labels)}
    for i, label in enumerate(timeline.labels):
        axes[0].plot(timeline.centres, timeline.probabilities[:, i], color=colours[label], lw=1)
    axes[0].set_ylabel("probability")
    axes[0].set_ylim(0, 1)
    axes[0].set_title(Path(timeline.video).name)
    lanes = [("predicted", timeline.segments)] + ([("true", truth)] if truth else [])
    for ax, (name, segments) in zip(axes[1:], lanes, strict=True):
        for s in segments:
            ax.axvspan(s.start, s.end, color=colours.get(s.label, "grey"), alpha=0.8)
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
    axes[-1].set_xlim(0, timeline.duration)
    axes[-1].set_xlabel("seconds")
    handles = [Patch(color=c, label=label) for label, c in colours.items()]
    fig.legend(handles=handles, loc="upper right", ncols=len(handles), fontsize="small")
    fig.tight_layout()
    return fig


def write(
    timeline: Timeline, out: str | os.PathLike, name: str, truth: Sequence[Segment] | None = None
) -> list[Path]:
    """Writes `out/<name>.json`, `out/<name>.csv` (`start,end,label,score`) and `out/<name>.png`.

    Each file is written atomically; returns their paths.
    """
    from zoo.atomic import atomic_output

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.{ext}" for ext in ("json", "csv", "png")]
    with atomic_output(paths[0]) as tmp:
        Path(tmp).write_text(json.dumps(timeline.to_json(), indent=2) + "\n")
    with atomic_output(paths[1]) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["start", "end", "label", "score"])
        writer.writerows([s.start, s.end, s.label, f"{s.score:.4f}"] for s in timeline.segments)
    with atomic_output(paths[2]) as tmp:
        plot(timeline, truth).savefig(tmp, format="png", dpi=80)
    return paths


def read_truth(path: str | os.PathLike) -> dict[str, list[Segment]]:
    """True segments from a CSV `video,start,end,label` (a `digit_timelines` build's
    `segments.csv`): absolute video path (relative ones are taken from the CSV's folder) -> segments."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such segments file")
    truth: dict[str, list[Segment]] = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if not {"video", "start", "end", "label"} <= set(reader.fieldnames or []):
            raise ValueError(f"{path}: expected the columns video,start,end,label")
        for row in reader:
            video = str((path.parent / row["video"]).resolve())
            segment = Segment(float(row["start"]), float(row["end"]), row["label"])
            truth.setdefault(video, []).append(segment)
    return truth
