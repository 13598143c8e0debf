"""Frame limits bound the work of a call, not the length of the file.

One 12,500-frame H.264 mp4 (32x32, each frame shows its own number), made once.
"""

from __future__ import annotations

import json
from functools import partial

import av
import numpy as np
import pytest
from videogen import counter, read_counter, write_video

from zoo.cli import main
from zoo.data import DecodeLimits, VideoDecodeError, read_video, scan_file
from zoo.data.samplers import multi_clip

FRAMES = 12_500


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("long") / "long.mp4"
    return write_video(path, counter(FRAMES), options={"preset": "fast", "crf": "18"}, rate=25)


def _reference(path, indices) -> np.ndarray:
    """Frames `indices` of a sequential decode with PyAV (only those are converted to RGB)."""
    wanted = set(indices)
    with av.open(str(path)) as container:
        frames = {
            i: f.to_ndarray(format="rgb24")
            for i, f in enumerate(container.decode(video=0))
            if i in wanted
        }
    return np.stack([frames[i] for i in indices])


def test_scan_says_ok(long_video, capsys):
    result = scan_file(long_video)
    assert (result.status, result.frames) == ("ok", FRAMES)
    assert main(["scan", str(long_video), "--json", "--no-progress"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files"][0]["status"] == "ok" and report["files"][0]["frames"] == FRAMES


def test_scan_max_frames_sets_the_counting_limit(long_video, capsys):
    assert main(["scan", str(long_video), "--max-frames", "5000", "--no-progress"]) == 1
    assert "needs more than 5000 decoded frames" in capsys.readouterr().out


def test_frames_near_the_end(long_video):
    """Reached by seeking: a few hundred decoded frames at most, well under the limit."""
    video = read_video(long_video, [11000, 11001], limits=DecodeLimits(max_frames=300))
    assert list(read_counter(video.frames)) == [11000, 11001]
    np.testing.assert_array_equal(video.frames, _reference(long_video, [11000, 11001]))
    np.testing.assert_allclose(video.timestamps, [440.0, 440.04])


def test_multi_clip_sampler_over_the_whole_file(long_video):
    """Five clips spread over 12,500 frames: one seek per clip."""
    sampler = partial(multi_clip, clip_len=8, frame_step=2, num_clips=5)
    video = read_video(long_video, sampler)
    expected = sampler(FRAMES).reshape(-1)
    assert list(read_counter(video.frames)) == list(video.indices) == list(expected)
    np.testing.assert_array_equal(video.frames, _reference(long_video, list(expected)))


def test_reading_every_frame_is_bounded_by_max_frames(long_video):
    with pytest.raises(VideoDecodeError, match="needs more than 10000 decoded frames"):
        read_video(long_video)
    video = read_video(long_video, limits=DecodeLimits(max_frames=FRAMES))
    np.testing.assert_array_equal(read_counter(video.frames), np.arange(FRAMES))


def test_frames_past_the_end(long_video):
    with pytest.raises(VideoDecodeError, match=f"has {FRAMES} frames; frame 20001 does not exist"):
        read_video(long_video, [20000, 20001])


def test_predict_five_clips_of_the_long_file(long_video, tmp_path):
    """`zoo predict --clips 5` decodes 5 clips spread over all 12,500 frames, not the file."""
    import keras

    import zoo.models

    keras.utils.set_random_seed(0)
    model = zoo.models.build("frame_cnn", 2, input_shape=(8, 32, 32, 3), width=4)
    model.save(tmp_path / "model.keras")
    (tmp_path / "labels.txt").write_text("early\nlate\n")
    out = tmp_path / "predictions.json"
    argv = ["predict", str(tmp_path / "model.keras"), str(long_video), "--clips", "5"]
    assert main([*argv, "--out", str(out), "--no-progress"]) == 0
    [row] = json.loads(out.read_text())
    assert row["video"] == str(long_video) and "error" not in row
    assert sorted(top["label"] for top in row["top_k"]) == ["early", "late"]
    assert abs(sum(top["score"] for top in row["top_k"]) - 1) < 1e-5
