"""`digit_timelines`, the timeline metrics, `zoo.annotate` and `zoo annotate`.

Stated thresholds: on two `digit_timelines` videos (20 s or more each), the
shipped `pretrained:r2plus1d` weights with the default window (2 s), stride
(0.5 s) and smoothing (3) reach frame-level F1 >= 0.9 and mAP@0.5 >= 0.8
(measured on the default 5-video build: 0.984 and 1.000, docs/annotate.md).
"""

from __future__ import annotations

import csv
import itertools
import json

import numpy as np
import pytest
from built_sets import file_digests

from zoo.timeline import Segment, average_precision, frame_f1, segment_map, smooth, to_segments

SMALL = {"videos_per_split": (0, 0, 2), "min_duration": 20.0}


@pytest.fixture(scope="module")
def timelines_dir(tmp_path_factory):
    from zoo.datasets import make

    return make("digit_timelines", tmp_path_factory.mktemp("data") / "tl", False, **SMALL)


@pytest.fixture(scope="module")
def classifier():
    from zoo.annotate import DEFAULT_MODEL
    from zoo.predict import load

    return load(DEFAULT_MODEL)


def test_metrics_on_hand_made_segments():
    truth = {"a": [Segment(0, 4, "up"), Segment(4, 10, "down")]}
    assert frame_f1(truth, truth) == 1.0
    assert segment_map(truth, truth) == 1.0
    # "down" starts 1 s early: 10 frames of "up" are called "down".
    shifted = {"a": [Segment(0, 3, "up", 0.9), Segment(3, 10, "down", 0.8)]}
    up, down = 2 * 30 / (2 * 30 + 10), 2 * 60 / (2 * 60 + 10)
    assert frame_f1(truth, shifted) == pytest.approx((up + down) / 2)
    assert segment_map(truth, shifted) == 1.0  # IoU 0.75 and 0.857, both above 0.5
    assert segment_map(truth, shifted, iou=0.8) == 0.5  # only "down" still matches
    # A wrong guess scored above the right one halves the precision at full recall.
    doubled = {"a": [*truth["a"], Segment(5, 9, "up", 2.0)]}
    assert segment_map(truth, doubled) == pytest.approx((0.5 + 1.0) / 2)
    assert frame_f1(truth, {}) == 0.0


def test_average_precision():
    assert average_precision(np.array([True, False, True]), 2) == pytest.approx(1 / 2 + 2 / 3 / 2)
    assert average_precision(np.array([], bool), 3) == 0.0


def test_smooth_and_merge():
    probabilities = np.array([[1, 0], [1, 0], [0, 1], [1, 0], [0, 1], [0, 1]], float)
    assert np.allclose(smooth(probabilities, 3).sum(1), 1)
    assert smooth(probabilities, 1) is probabilities
    centres = np.arange(6) + 0.5
    segments = to_segments(smooth(probabilities, 3), centres, 6.0, ["a", "b"])
    assert [(s.start, s.end, s.label) for s in segments] == [(0.0, 3.0, "a"), (3.0, 6.0, "b")]
    assert to_segments(probabilities, centres, 6.0, ["a", "b"])[1] == Segment(2.0, 3.0, "b", 1.0)


def test_windows():
    from zoo.annotate import window_clips, window_starts

    assert window_starts(50, 20, 5).tolist() == [0, 5, 10, 15, 20, 25, 30]
    assert window_starts(52, 20, 5).tolist() == [0, 5, 10, 15, 20, 25, 30, 32]  # ends at the end
    assert window_starts(7, 20, 5).tolist() == [0]
    clips = window_clips(50, window_starts(50, 20, 5), 20, 8, 2)
    assert clips[0].tolist() == list(range(2, 18, 2))  # centred: frames 2..16 of 0..19
    assert clips.max() <= 49 and clips.shape == (7, 8)
    assert window_clips(5, np.zeros(1, int), 20, 8, 2).tolist() == [[0, 2, 4, 4, 4, 4, 4, 4]]


def test_dataset_is_deterministic_with_true_segments(timelines_dir, tmp_path):
    from zoo.annotate import read_truth
    from zoo.data import probe
    from zoo.datasets import make

    again = make("digit_timelines", tmp_path / "again", False, **SMALL)
    assert file_digests(again) == file_digests(timelines_dir)
    truth = read_truth(timelines_dir / "segments.csv")
    assert len(truth) == 2
    for video, segments in truth.items():
        info = probe(video)
        assert segments[0].start == 0 and segments[-1].end == pytest.approx(
            info.duration_s, abs=0.2
        )
        assert info.duration_s >= 20 and (info.width, info.height) == (64, 64)
        for a, b in itertools.pairwise(segments):
            assert a.end == b.start and a.label != b.label
        assert all(2.0 <= s.end - s.start <= 15.0 + 1e-6 for s in segments)


def test_timeline_clears_thresholds(timelines_dir, classifier, tmp_path):
    from zoo.annotate import annotate, read_truth, write

    truth = read_truth(timelines_dir / "segments.csv")
    predicted = {}
    for video in truth:
        timeline = annotate(classifier, video)
        predicted[video] = timeline.segments
    f1, mean_ap = frame_f1(truth, predicted), segment_map(truth, predicted, 0.5)
    assert f1 >= 0.9 and mean_ap >= 0.8, (f1, mean_ap)
    paths = write(timeline, tmp_path, "last", truth[video])
    assert [p.suffix for p in paths] == [".json", ".csv", ".png"]
    data = json.loads(paths[0].read_text())
    assert len(data["windows"]["centres"]) == len(data["windows"]["probabilities"])
    with open(paths[1], newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(timeline.segments) and float(rows[-1]["end"]) == timeline.duration
    assert paths[2].read_bytes()[:4] == b"\x89PNG"


def test_only_the_frames_of_the_clips_are_kept(timelines_dir, classifier, monkeypatch):
    """The same probabilities as from every frame of the video, from about half of them."""
    import zoo.annotate as annotate_module
    from zoo.data import read_video

    kept = []

    def counting(*args, **kwargs):
        video = read_video(*args, **kwargs)
        kept.append(len(video.frames))
        return video

    monkeypatch.setattr(annotate_module, "read_video", counting)
    path = sorted(timelines_dir.rglob("*.mp4"))[0]
    timeline = annotate_module.annotate(classifier, path)
    every = read_video(path, None, annotate_module.LIMITS, shorter_side=classifier.size)
    frames, fps = every.frames, every.fps
    width, step = round(2.0 * fps), round(0.5 * fps)  # the default window and stride
    starts = annotate_module.window_starts(len(frames), width, step)
    clips = annotate_module.window_clips(
        len(frames), starts, width, classifier.clip_len, classifier.frame_step
    )
    expected = smooth(classifier.run_clips(frames[clips]), 3)
    np.testing.assert_allclose(timeline.probabilities, expected, atol=1e-5)
    assert timeline.duration == len(frames) / fps
    assert kept == [len(np.unique(clips))] and kept[0] <= 0.6 * len(frames)


def test_video_shorter_than_a_window_gets_one_segment(classifier, tmp_path):
    from zoo.annotate import annotate
    from zoo.datasets.moving_digits import MovingDigitsConfig, digit_images, render, write_mp4

    digit = digit_images(0)["test"][0][0]
    frames = render(digit, "right", MovingDigitsConfig(num_frames=6), np.random.default_rng(0))
    write_mp4(tmp_path / "short.mp4", frames, 10)
    timeline = annotate(classifier, tmp_path / "short.mp4", window=2.0)
    assert len(timeline.segments) == 1
    assert (timeline.segments[0].start, timeline.segments[0].end) == (0.0, 0.6)


def test_cli_skips_a_broken_video_with_one_line(timelines_dir, tmp_path, capsys):
    from zoo.cli import main

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    video = timelines_dir / "test" / "timeline_00000.mp4"
    out = tmp_path / "out"
    args = [str(broken), str(video), "--out", str(out), "--truth"]
    code = main(["annotate", "pretrained:r2plus1d", *args, str(timelines_dir / "segments.csv")])
    captured = capsys.readouterr()
    assert code == 1
    assert f"zoo annotate: error: {broken}: " in captured.err
    assert "frame F1" in captured.out and (out / "timeline_00000.png").is_file()
    assert main(["annotate", "pretrained:r2plus1d", str(video), "--window", "0"]) == 2
    assert "--window" in capsys.readouterr().err
