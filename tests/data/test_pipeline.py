"""`video_dataset` from folders, manifests and TFRecord shards (ours and DMVR-written)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import tensorflow as tf
from videogen import pattern, write_video

from zoo.data import list_clips, read_video, tfrecord, video_dataset
from zoo.data.pipeline import ClipSpec, decode, read, transform

CLIP = dict(clip_len=4, frame_step=2, size=32)


def _all(ds) -> tuple[np.ndarray, np.ndarray]:
    frames, labels = zip(*ds.as_numpy_iterator(), strict=True)
    return np.concatenate(frames), np.concatenate(labels)


def _colour_labels(frames: np.ndarray) -> np.ndarray:
    """The class of each clip of `class_tree` from its dominant colour channel (blue, green, red)."""
    means = frames[:, :, :, -8:].mean(axis=(1, 2, 3))  # right edge: the class colour
    return np.array([{2: 0, 1: 1, 0: 2}[int(np.argmax(m))] for m in means])


def test_folder_source_labels_match_content(class_tree):
    ds = video_dataset(class_tree, batch_size=5, **CLIP)
    assert ds.class_names == ["blue", "green", "red"] and ds.num_videos == 12
    frames, labels = _all(ds)
    assert frames.shape == (12, 4, 32, 32, 3) and frames.dtype == np.uint8
    np.testing.assert_array_equal(labels, _colour_labels(frames))


def test_deterministic_shuffle_and_epochs(class_tree):
    ds = video_dataset(class_tree, batch_size=4, shuffle=True, seed=3, **CLIP)
    first, second = _all(ds)[1], _all(ds)[1]
    again = _all(video_dataset(class_tree, batch_size=4, shuffle=True, seed=3, **CLIP))[1]
    np.testing.assert_array_equal(first, again)
    assert sorted(first) == sorted(second) and not np.array_equal(first, second)


def test_csv_manifest_with_time_windows_and_groups(tmp_path):
    frames = pattern(40)
    write_video(tmp_path / "a.mp4", frames, options={"crf": "10"})
    rows = [
        {"path": "a.mp4", "label": "early", "start": "0", "end": "1", "group": "a"},
        {"path": "a.mp4", "label": "late", "start": "3", "end": "", "group": "a"},
    ]
    with open(tmp_path / "clips.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, ["path", "label", "start", "end", "group"])
        writer.writeheader()
        writer.writerows(rows)
    clips = list_clips(tmp_path / "clips.csv")
    assert clips.group == ["a", "a"] and clips.class_names == ["early", "late"]
    spec = ClipSpec(clip_len=10, frame_step=1)
    ds = decode(read(clips), spec, training=False)
    decoded = [f[0] for f, _, _ in ds.as_numpy_iterator()]
    full = read_video(tmp_path / "a.mp4").frames
    np.testing.assert_array_equal(decoded[0], full[0:10])
    np.testing.assert_array_equal(decoded[1], full[30:40])


def test_flip_label_map_swaps_exactly_the_flipped_clips(tmp_path):
    """A bright left half is class "left"; after a flip it is on the right."""
    for name, side in [("left", slice(0, 32)), ("right", slice(32, 64))]:
        (tmp_path / name).mkdir()
        frames = np.zeros((6, 48, 64, 3), np.uint8)
        frames[:, :, side] = 255
        write_video(tmp_path / name / "v.mp4", frames)
    ds = video_dataset(
        tmp_path,
        augment=True,
        flip_label_map={"left": "right", "right": "left"},
        batch_size=1,
        repeat=True,
        seed=0,
        clip_len=2,
        frame_step=1,
        size=32,
    )
    flipped = []
    for i, (frames, label) in enumerate(ds.take(16).as_numpy_iterator()):
        left_brighter = frames[0, 0, :, :2].mean() > frames[0, 0, :, -2:].mean()
        assert ds.class_names[label[0]] == ("left" if left_brighter else "right")
        flipped.append(label[0] != i % 2)  # unshuffled: videos alternate left, right
    assert any(flipped) and not all(flipped)
    with pytest.raises(ValueError, match="unknown classes"):
        video_dataset(tmp_path, flip_label_map={"up": "down"})


def test_multi_clip_and_uniform_shapes(class_tree):
    multi = video_dataset(class_tree, sampler="multi", num_clips=3, batch_size=2, **CLIP)
    assert next(iter(multi))[0].shape == (2, 3, 4, 32, 32, 3)
    uniform = video_dataset(class_tree, sampler="uniform", batch_size=2, **CLIP)
    assert next(iter(uniform))[0].shape == (2, 4, 32, 32, 3)


def test_cache_and_normalisation(class_tree):
    plain = _all(video_dataset(class_tree, batch_size=6, dtype="float32", **CLIP))[0]
    stats = ((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    normed = video_dataset(
        class_tree, batch_size=6, cache=True, mean_std=stats, dtype="float32", **CLIP
    )
    normed = _all(normed)[0]
    np.testing.assert_allclose(normed, (plain - 0.5) / 0.25, atol=1e-5)


def test_transform_stage_alone():
    frames = tf.data.Dataset.from_tensors(
        (tf.zeros([1, 3, 40, 50, 3], tf.uint8), 1, tf.constant(5, tf.int64))
    )
    clip, label = next(iter(transform(frames, 16, augment=True, flip=True)))
    assert clip.shape == (3, 16, 16, 3) and int(label) == 1


# --- TFRecord shards -------------------------------------------------------------------


@pytest.fixture(scope="module")
def shards(class_tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("shards")
    paths, skipped = tfrecord.write_shards(
        list_clips(class_tree), out, num_shards=3, show_progress=False
    )
    assert len(paths) == 3 and not skipped
    return out


def test_shards_are_balanced(shards):
    for path in sorted(shards.glob("*.tfrecord")):
        records = tf.data.TFRecordDataset(str(path)).as_numpy_iterator()
        labels = [tfrecord.read_example(r).label for r in records]
        assert len(labels) == 4 and set(labels) == {0, 1, 2}
    assert (shards / "labels.txt").read_text().split() == ["blue", "green", "red"]


@pytest.mark.parametrize("form", ["folder", "glob", "list"])
def test_tfrecords_give_the_same_elements_as_videos(class_tree, shards, form):
    source = {
        "folder": shards,
        "glob": str(shards / "*.tfrecord"),
        "list": sorted(str(p) for p in shards.glob("*.tfrecord")),
    }[form]
    ds = video_dataset(source, batch_size=5, **CLIP)
    assert ds.class_names == ["blue", "green", "red"] and ds.num_videos == 12
    frames, labels = _all(ds)
    assert frames.shape == (12, 4, 32, 32, 3)
    np.testing.assert_array_equal(labels, _colour_labels(frames))


def test_tfrecord_pixels_match_video_pixels(class_tree, shards):
    """Sorted by content, the TFRecord clips equal the video clips up to JPEG error."""

    def by_content(ds):
        frames, labels = _all(ds)
        order = np.lexsort((frames.mean(axis=(1, 2, 3, 4)), labels))
        return frames[order]

    from_videos = by_content(video_dataset(class_tree, batch_size=12, **CLIP))
    from_shards = by_content(video_dataset(shards, batch_size=12, **CLIP))
    assert np.abs(from_videos.astype(np.float32) - from_shards).mean() < 0.02 * 255


def test_dmvr_written_record_loads(tmp_path):
    """A record built the way DMVR's generator builds it, with no labels file."""
    frames = pattern(6, 32, 32)
    example = tf.train.SequenceExample()
    example.context.feature["clip/label/index"].int64_list.value[:] = [1]
    example.context.feature["clip/label/text"].bytes_list.value[:] = [b"jump"]
    example.context.feature["clip/media_id"].bytes_list.value[:] = [b"vid_001"]
    feature_list = example.feature_lists.feature_list.get_or_create("image/encoded")
    for frame in frames:
        feature_list.feature.add().bytes_list.value[:] = [
            tf.io.encode_jpeg(frame, quality=95).numpy()
        ]
    with tf.io.TFRecordWriter(str(tmp_path / "dmvr.tfrecord")) as writer:
        writer.write(example.SerializeToString())
    ds = video_dataset(tmp_path / "dmvr.tfrecord", clip_len=6, frame_step=1, size=32, batch_size=1)
    assert ds.class_names == ["0", "jump"]
    clip, label = next(iter(ds))
    assert int(label[0]) == 1
    np.testing.assert_allclose(clip[0].numpy(), frames, atol=0.06 * 255)


def test_our_record_parses_with_a_dmvr_feature_spec(shards):
    """Parse our shard with the spec DMVR's `add_image` and `add_label` build."""
    context_spec = {
        "clip/label/index": tf.io.FixedLenFeature((), tf.int64),
        "clip/label/text": tf.io.FixedLenFeature((), tf.string),
        "clip/media_id": tf.io.FixedLenFeature((), tf.string),
    }
    sequence_spec = {"image/encoded": tf.io.FixedLenSequenceFeature((), tf.string)}
    record = next(iter(tf.data.TFRecordDataset(sorted(str(p) for p in shards.glob("*.tfrecord")))))
    context, sequence = tf.io.parse_single_sequence_example(record, context_spec, sequence_spec)
    name = context["clip/label/text"].numpy().decode()
    assert ["blue", "green", "red"][int(context["clip/label/index"])] == name
    assert context["clip/media_id"].numpy().decode().endswith(".mp4")
    images = tf.map_fn(tf.io.decode_jpeg, sequence["image/encoded"], fn_output_signature=tf.uint8)
    assert images.shape == (12, 48, 64, 3)


@pytest.mark.parametrize("augment", [False, True])
def test_uint8_clips_are_the_float_clips_times_255(class_tree, augment):
    """uint8 clips (the default) hold a quarter of the bytes of `dtype="float32"`: the same
    pixels in [0, 255], rounded."""
    common = dict(batch_size=4, shuffle=True, augment=augment, seed=5, **CLIP)
    floats, float_labels = _all(video_dataset(class_tree, dtype="float32", **common))
    bytes_, byte_labels = _all(video_dataset(class_tree, **common))
    assert bytes_.dtype == np.uint8 and bytes_.shape == floats.shape
    np.testing.assert_array_equal(byte_labels, float_labels)
    difference = np.abs(bytes_.astype(np.float32) - floats * 255)
    assert difference.max() <= 0.5 + 1e-3  # rounding only
    assert bytes_.std() > 20  # real pictures, not a constant
    with pytest.raises(ValueError, match="mean_std"):
        video_dataset(class_tree, mean_std=((0.5,) * 3, (0.2,) * 3), **CLIP)
