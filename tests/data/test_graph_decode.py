"""TFRecord frames decode in the graph only when `zoo` wrote them (their fingerprints
match); any other record is decoded in Python, which names what is broken."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from zoo.data import VideoDecodeError, raise_decode_errors, tfrecord, video_dataset

SIZE, FRAMES = 16, 6
CLIP = dict(clip_len=3, frame_step=2, size=SIZE, batch_size=4, shuffle=True, seed=3)


def _example(label: int) -> tf.train.SequenceExample:
    """`FRAMES` frames of noise, different in every frame and clip."""
    rng = np.random.default_rng(label)
    frames = rng.integers(0, 256, (FRAMES, SIZE, SIZE, 3), np.uint8)
    jpegs = [tf.io.encode_jpeg(frame).numpy() for frame in frames]
    return tfrecord.make_example(jpegs, label, f"class{label}", f"clip{label}.mp4")


def _write(path, examples) -> str:
    with tf.io.TFRecordWriter(str(path)) as writer:
        for example in examples:
            writer.write(example.SerializeToString())
    return str(path)


class CountPython:
    """Counts the records `decode_record` (the Python path) decodes."""

    def __init__(self, monkeypatch) -> None:
        self.calls = 0
        original = tfrecord.decode_record

        def counted(*args, **kwargs):
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(tfrecord, "decode_record", counted)


def _clips(source) -> tuple[np.ndarray, np.ndarray]:
    frames, labels = zip(*video_dataset(source, **CLIP).as_numpy_iterator(), strict=True)
    return np.concatenate(frames), np.concatenate(labels)


def test_zoo_records_decode_in_the_graph_to_the_same_pixels(tmp_path, monkeypatch):
    examples = [_example(label) for label in range(4)]
    ours = _write(tmp_path / "ours.tfrecord", examples)
    for example in examples:  # as DMVR or another tool writes them: no fingerprints
        del example.context.feature[tfrecord.FINGERPRINT_KEY]
    theirs = _write(tmp_path / "theirs.tfrecord", examples)

    python = CountPython(monkeypatch)
    in_graph = _clips(ours)
    assert python.calls == 0
    in_python = _clips(theirs)
    assert python.calls == 4
    np.testing.assert_array_equal(in_graph[1], in_python[1])
    np.testing.assert_array_equal(in_graph[0], in_python[0])  # same frames, same pixels
    assert in_graph[0].std() > 0.2  # noise, not a constant


def test_a_frame_changed_after_writing_is_decoded_in_python_and_named(tmp_path, monkeypatch):
    examples = [_example(label) for label in range(3)]
    frames = examples[1].feature_lists.feature_list[tfrecord.IMAGE_KEY].feature
    for frame in frames:  # its fingerprints stay: they no longer match
        frame.bytes_list.value[0] = b"\xff\xd8 not JPEG data any more" * 4
    path = _write(tmp_path / "changed.tfrecord", examples)

    with pytest.raises(VideoDecodeError) as info, raise_decode_errors():
        _clips(path)
    assert info.value.path == f"{path} record 1"
    assert info.value.reason.startswith("frames of clip1.mp4 do not decode (")

    python = CountPython(monkeypatch)
    ds = video_dataset(path, on_error="skip", **CLIP)
    labels = np.concatenate([label for _, label in ds.as_numpy_iterator()])
    assert sorted(labels) == [0, 2] and python.calls == 1
    assert list(ds.skipped.skipped) == [f"{path} record 1"]


def test_a_record_whose_frames_do_not_decode_gets_no_fingerprints():
    example = tfrecord.make_example([b"not a JPEG"], 0, "class0", "clip0.mp4")
    assert tfrecord.FINGERPRINT_KEY not in example.context.feature
    assert (
        len(_example(0).context.feature[tfrecord.FINGERPRINT_KEY].bytes_list.value[0]) == 8 * FRAMES
    )
