"""Timelines of labelled segments: built from per-window scores, and scored against the truth.

    segments = to_segments(probabilities, centres, duration, labels)   # one video
    frame_f1(truth, predicted)            # frame-level F1, macro over labels
    segment_map(truth, predicted, 0.5)    # mean average precision at temporal IoU 0.5

`truth` and `predicted` map a video's name to its list of `Segment`s.
Pure numpy; no TensorFlow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

Timelines = Mapping[str, Sequence["Segment"]]


@dataclasses.dataclass(frozen=True)
class Segment:
    """A labelled stretch `[start, end)` of a video, in seconds, with a confidence `score`."""

    start: float
    end: float
    label: str
    score: float = 1.0


def smooth(probabilities: np.ndarray, width: int) -> np.ndarray:
    """Moving average over `width` neighbouring windows (edges repeat): `(W, C)` to `(W, C)`."""
    if width <= 1 or len(probabilities) < 2:
        return probabilities
    before, after = (width - 1) // 2, width // 2
    padded = np.pad(probabilities, ((before, after), (0, 0)), mode="edge")
    sums = np.cumsum(np.pad(padded, ((1, 0), (0, 0))), axis=0)
    return (sums[width:] - sums[:-width]) / width


def to_segments(
    probabilities: np.ndarray, centres: np.ndarray, duration: float, labels: Sequence[str]
) -> list[Segment]:
    """Consecutive windows with the same top label merged into segments covering `[0, duration)`.

    Args:
        probabilities: float `(W, C)`, one row per window, in time order.
        centres: float `(W,)`, the centre of each window in seconds.
        duration: the video's length in seconds.
        labels: the `C` class names.

    A boundary between two windows lies halfway between their centres; the
    first segment starts at 0 and the last ends at `duration`. A segment's
    score is the mean probability of its label over its windows.
    """
    top = np.argmax(probabilities, axis=1)
    cuts = [0, *(np.flatnonzero(top[1:] != top[:-1]) + 1), len(top)]
    segments = []
    for first, stop in zip(cuts[:-1], cuts[1:], strict=True):
        start = 0.0 if first == 0 else (centres[first - 1] + centres[first]) / 2
        end = duration if stop == len(top) else (centres[stop - 1] + centres[stop]) / 2
        score = float(probabilities[first:stop, top[first]].mean())
        segments.append(
            Segment(round(float(start), 3), round(float(end), 3), labels[top[first]], score)
        )
    return segments


def _frame_labels(segments: Sequence[Segment], times: np.ndarray) -> np.ndarray:
    """The label of each time `(N,)` (the first segment containing it), "" where none does."""
    out = np.full(times.shape, "", dtype=object)
    for segment in reversed(segments):
        out[(times >= segment.start) & (times < segment.end)] = segment.label
    return out


def frame_f1(truth: Timelines, predicted: Timelines, rate: float = 10.0) -> float:
    """Frame-level F1, the mean over labels of `2 TP / (2 TP + FP + FN)`.

    Each video is cut into frames of `1 / rate` seconds up to the latest end of
    its segments, and a frame takes the label of the segment over its middle.
    Frames of all videos are pooled; labels that occur in neither are left out.
    A video missing from `predicted` counts as predicting nothing.
    """
    true_frames, predicted_frames = [], []
    for video, segments in truth.items():
        guesses = predicted.get(video, [])
        end = max(s.end for s in [*segments, *guesses])
        times = (np.arange(int(np.ceil(end * rate))) + 0.5) / rate
        true_frames.append(_frame_labels(segments, times))
        predicted_frames.append(_frame_labels(guesses, times))
    t, p = np.concatenate(true_frames), np.concatenate(predicted_frames)
    labels = sorted((set(t) | set(p)) - {""})
    scores = []
    for label in labels:
        tp = np.sum((t == label) & (p == label))
        wrong = np.sum((t == label) != (p == label))  # false positives plus false negatives
        scores.append(2 * tp / (2 * tp + wrong))
    return float(np.mean(scores)) if scores else 0.0


def temporal_iou(a: Segment, b: Segment) -> float:
    """Intersection over union of two time intervals."""
    overlap = max(0.0, min(a.end, b.end) - max(a.start, b.start))
    union = max(a.end, b.end) - min(a.start, b.start)
    return overlap / union if union > 0 else 0.0


def average_precision(hits: np.ndarray, num_true: int) -> float:
    """Area under the interpolated precision-recall curve (ActivityNet's rule).

    Args:
        hits: bool `(P,)`, whether each prediction, in order of falling score,
            matched a true segment.
        num_true: how many true segments there are.
    """
    if num_true == 0:
        return 0.0
    tp = np.cumsum(hits)
    precision = np.concatenate([[0.0], tp / np.arange(1, len(hits) + 1), [0.0]])
    recall = np.concatenate([[0.0], tp / num_true, [1.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.flatnonzero(recall[1:] != recall[:-1]) + 1
    return float(np.sum((recall[steps] - recall[steps - 1]) * precision[steps]))


def segment_map(truth: Timelines, predicted: Timelines, iou: float = 0.5) -> float:
    """Mean over true labels of the average precision of predicted segments at temporal `iou`.

    Per label, predictions (of all videos) are taken in order of falling
    score; each matches the unmatched true segment of its video and label
    with the highest IoU, if that IoU is at least `iou`, else it is a false
    positive.
    """
    labels = sorted({s.label for segments in truth.values() for s in segments})
    aps = []
    for label in labels:
        candidates = [
            (s.score, video, s)
            for video, segments in predicted.items()
            for s in segments
            if s.label == label
        ]
        candidates.sort(key=lambda c: -c[0])
        unmatched = {
            video: [s for s in segments if s.label == label] for video, segments in truth.items()
        }
        num_true = sum(len(v) for v in unmatched.values())
        hits = np.zeros(len(candidates), bool)
        for i, (_, video, guess) in enumerate(candidates):
            pool = unmatched.get(video, [])
            overlaps = [temporal_iou(guess, s) for s in pool]
            if overlaps and max(overlaps) >= iou:
                pool.pop(int(np.argmax(overlaps)))
                hits[i] = True
        aps.append(average_precision(hits, num_true))
    return float(np.mean(aps)) if aps else 0.0
