"""Broken and hostile files: each gives `VideoDecodeError` naming the file and the reason."""

from __future__ import annotations

import shutil

import av
import keras
import numpy as np
import pytest
import tensorflow as tf
from videogen import pattern, write_video

from zoo.data import (
    DecodeLimits,
    VideoDecodeError,
    probe,
    raise_decode_errors,
    read_video,
    video_dataset,
)
from zoo.data.samplers import center_clip


def _fails(path, reason: str, **kwargs) -> VideoDecodeError:
    with pytest.raises(VideoDecodeError, match=reason) as info:
        read_video(path, **kwargs)
    assert info.value.path == str(path) and str(path) in str(info.value)
    return info.value


@pytest.fixture(scope="module")
def faststart(tmp_path_factory):
    """A 10-frame mp4 with its header (moov) before the frames, so a cut file keeps the header."""
    path = tmp_path_factory.mktemp("fs") / "whole.mp4"
    return write_video(
        path, pattern(), options={"crf": "10"}, container_options={"movflags": "faststart"}
    )


def test_missing_and_empty_files(tmp_path):
    _fails(tmp_path / "nope.mp4", "cannot open file")
    (tmp_path / "empty.mp4").write_bytes(b"")
    _fails(tmp_path / "empty.mp4", "file is empty")


def test_random_bytes_and_text_named_mp4(tmp_path):
    (tmp_path / "noise.mkv").write_bytes(np.random.default_rng(0).bytes(4096))
    _fails(tmp_path / "noise.mkv", "not a readable media file|no video stream|no decodable")
    (tmp_path / "notes.mp4").write_text("this is not a video\n" * 20)
    _fails(tmp_path / "notes.mp4", "not a readable media file")


def test_wrong_extension_still_decodes(media, tmp_path):
    renamed = shutil.copy(media["h264"], tmp_path / "really_mp4.avi")
    np.testing.assert_array_equal(read_video(renamed).frames, read_video(media["h264"]).frames)


def test_audio_only_file(tmp_path):
    path = tmp_path / "tone.m4a"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), np.float32), format="flt", layout="mono"
        )
        frame.sample_rate, frame.pts = 16000, 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode())
    _fails(path, "has no video stream")


def test_one_frame_video_pads_by_repeating(tmp_path):
    path = write_video(tmp_path / "one.mp4", pattern(1), options={"crf": "10"})
    video = read_video(path, lambda n: center_clip(n, 8, 2)[0])
    assert video.frames.shape == (8, 48, 64, 3) and list(video.indices) == [0] * 8


def test_truncated_file_keeps_the_frames_that_exist(faststart, tmp_path):
    """Header says 10 frames; the last packets are gone. Chosen rule: a sampler is re-run on
    the frames that exist; an explicit missing frame is an error."""
    data = faststart.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 85 // 100])
    assert probe(cut).num_frames == 10  # the header lies
    real = len(read_video(cut).frames)
    assert 0 < real < 10
    seen = []
    video = read_video(cut, lambda n: seen.append(n) or center_clip(n, 4, 3)[0])
    assert seen == [10, real] and video.indices.max() < real
    _fails(cut, f"has {real} frames; frame 9 does not exist", indices=[0, 9])


def test_file_cut_inside_the_header(faststart, tmp_path):
    cut = tmp_path / "stub.mp4"
    cut.write_bytes(faststart.read_bytes()[:200])
    _fails(cut, "has no video stream")


def test_huge_resolution_is_refused_before_decoding(tmp_path):
    """4400x2200 is over the default limit (4096x2160 pixels); the header check refuses it."""
    path = write_video(
        tmp_path / "huge.mkv", np.zeros((1, 2200, 4400, 3), np.uint8), "mjpeg", "yuvj420p"
    )
    _fails(path, "frame size 4400x2200 is over the limit of 8847360 pixels")


def test_limits_give_clear_errors(media):
    _fails(
        media["h264"],
        "frame size 64x48 is over the limit of 1000 pixels",
        limits=DecodeLimits(max_pixels=1000),
    )
    five = DecodeLimits(max_frames=5)
    _fails(media["h264"], "needs more than 5 decoded frames, over the limit", limits=five)
    _fails(media["h264"], "asks for 6 frames, over the limit of 5", indices=[0] * 6, limits=five)
    # mkv indexes key frames only: frame 9 is decoded from the start, 10 frames of work
    _fails(media["h265"], "needs more than 5 decoded frames", indices=[9], limits=five)
    # a key frame every 8: frames 38 and 35 take at most 7 decoded frames after a seek to 32
    seeking = read_video(media["long"], [38, 35], limits=DecodeLimits(max_frames=7))
    assert list(seeking.indices) == [38, 35]
    _fails(media["h264"], "over the limit of 100", limits=DecodeLimits(max_bytes=100))


def test_slow_decode_is_cut_off(media):
    _fails(media["long"], "decoding took longer than 0.0 s", limits=DecodeLimits(timeout_s=0.0))


def test_skip_goes_on_and_reports(class_tree, tmp_path):
    root = tmp_path / "tree"
    shutil.copytree(class_tree, root)
    (root / "red" / "broken.mp4").write_bytes(b"garbage" * 100)
    (root / "blue" / "empty.mp4").write_bytes(b"")
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="VideoDecodeError: .*empty.mp4: file is empty"
    ):
        list(video_dataset(root, clip_len=4, size=16, batch_size=4))
    ds = video_dataset(root, clip_len=4, size=16, batch_size=4, on_error="skip")
    labels = np.concatenate([y for _, y in ds.as_numpy_iterator()])
    assert len(labels) == 12 and ds.num_videos == 14
    assert len(ds.skipped) == 2
    assert ds.skipped.skipped[str(root / "blue" / "empty.mp4")] == "file is empty"
    assert "not a readable media file" in ds.skipped.skipped[str(root / "red" / "broken.mp4")]


def test_raise_decode_errors_gives_the_typed_error_in_loops_and_fit(class_tree, tmp_path):
    """TF re-raises the error as InvalidArgumentError; the context manager rebuilds it exactly."""
    root = tmp_path / "tree"
    shutil.copytree(class_tree, root)
    broken = root / "red" / "broken.mp4"
    broken.write_bytes(b"garbage" * 100)
    ds = video_dataset(root, clip_len=4, size=16, batch_size=4)
    expected = _fails(broken, "not a readable media file")
    assert ": " in expected.reason  # the path still ends at the first ": "
    with pytest.raises(VideoDecodeError) as loop, raise_decode_errors():
        for _ in ds:
            pass
    model = keras.Sequential(
        [keras.Input((4, 16, 16, 3)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(VideoDecodeError) as fit, raise_decode_errors():
        model.fit(ds, shuffle=False, verbose=0)
    for caught in (loop.value, fit.value):
        assert (caught.path, caught.reason) == (expected.path, expected.reason)
        assert isinstance(caught.__cause__, tf.errors.InvalidArgumentError)
    other = tf.errors.InvalidArgumentError(None, None, "shapes do not match")
    assert VideoDecodeError.from_tf_error(other) is None
    with pytest.raises(tf.errors.InvalidArgumentError, match="shapes"), raise_decode_errors():
        raise other
