"""Damaged TFRecord shards: a JPEG that does not decode, a record that is not a
SequenceExample, a shard cut mid-record.

With `on_error="skip"` both are dropped and reported (shard, record number,
reason) and the epoch goes on; with `on_error="raise"` each is a
`VideoDecodeError` naming the record.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from zoo.data import VideoDecodeError, raise_decode_errors, tfrecord, video_dataset

SIZE, FRAMES = 16, 4
CLIP = dict(clip_len=FRAMES, frame_step=1, size=SIZE, batch_size=8)


def _record(label: int, broken_frame: int | None = None) -> bytes:
    """A clip of `FRAMES` grey frames of brightness `30 * (label + 1)`, labelled `label`."""
    frame = np.full((SIZE, SIZE, 3), 30 * (label + 1), np.uint8)
    jpegs = [tf.io.encode_jpeg(frame).numpy() for _ in range(FRAMES)]
    if broken_frame is not None:
        jpegs[broken_frame] = b"\xff\xd8 this is not JPEG data" * 4
    example = tfrecord.make_example(jpegs, label, f"class{label}", f"clip{label}.mp4")
    return example.SerializeToString()


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    """`a`: labels 0-3, record 2 has a garbage frame, record 4 is garbage;
    `b`: labels 4-6, record 2 cut short."""
    root = tmp_path_factory.mktemp("damaged")
    with tf.io.TFRecordWriter(str(root / "a.tfrecord")) as writer:
        for label in range(4):
            writer.write(_record(label, broken_frame=1 if label == 2 else None))
        writer.write(b"\xff\xff\xff\x07 not a protocol buffer")
    whole = root / "b-whole.tfrecord"
    with tf.io.TFRecordWriter(str(whole)) as writer:
        for label in range(4, 7):
            writer.write(_record(label))
    data = whole.read_bytes()
    (root / "b.tfrecord").write_bytes(data[: len(data) - 100])
    whole.unlink()
    return root


def test_skip_drops_both_damaged_records_and_reports_them(damaged):
    ds = video_dataset(damaged, on_error="skip", **CLIP)
    frames, labels = _all(ds)
    assert sorted(labels) == [0, 1, 3, 4, 5]
    brightness = frames.mean(axis=(1, 2, 3, 4))
    np.testing.assert_allclose(brightness, 30 * (labels + 1), atol=2)
    a, b = str(damaged / "a.tfrecord"), str(damaged / "b.tfrecord")
    reasons = ds.skipped.skipped
    assert sorted(reasons) == [f"{a} record 2", f"{a} record 4", f"{b} record 2"]
    assert reasons[f"{a} record 2"] == (
        "frames of clip2.mp4 do not decode (Unknown image file format. "
        "One of JPEG, JPEG XL, PNG, GIF, BMP, WebP required.)"
    )
    assert reasons[f"{a} record 4"].startswith("not a tf.train.SequenceExample (")
    assert reasons[f"{b} record 2"].startswith("unreadable record (truncated record at ")
    assert reasons[f"{b} record 2"].endswith("; the rest of the shard is lost")
    assert ds.num_videos == 7  # the readable records
    assert sorted(_all(ds)[1]) == [0, 1, 3, 4, 5]  # a second epoch skips them again
    assert len(ds.skipped) == 3


def _all(ds) -> tuple[np.ndarray, np.ndarray]:
    frames, labels = zip(*ds.as_numpy_iterator(), strict=True)
    return np.concatenate(frames), np.concatenate(labels)


def test_raise_names_the_record(damaged):
    with pytest.raises(VideoDecodeError, match="b.tfrecord record 2: unreadable record"):
        video_dataset(damaged / "b.tfrecord", **CLIP)
    with pytest.raises(VideoDecodeError) as info, raise_decode_errors():
        list(video_dataset(damaged / "a.tfrecord", **CLIP))
    assert info.value.path == f"{damaged / 'a.tfrecord'} record 2"
    assert info.value.reason.startswith("frames of clip2.mp4 do not decode (")
    assert isinstance(info.value.__cause__, tf.errors.InvalidArgumentError)


def test_frame_without_bytes_is_a_broken_frame_not_a_missing_one():
    """A frame entry with no JPEG bytes keeps its place: the record fails to decode,
    naming it, instead of silently shifting the later frames one place forward."""
    example = tf.train.SequenceExample.FromString(_record(0))
    example.feature_lists.feature_list[tfrecord.IMAGE_KEY].feature[1].ClearField("bytes_list")
    every_frame = lambda num_frames, seed: np.arange(num_frames)[None]  # noqa: E731
    with pytest.raises(VideoDecodeError) as info:
        tfrecord.decode_record(example.SerializeToString(), b"s.tfrecord", 0, 0, every_frame)
    assert info.value.path == "s.tfrecord record 0"
    assert info.value.reason.startswith("frames of clip0.mp4 do not decode (")
