"""`digit_events`: determinism, leak-free splits, and frames that say nothing without their order."""

from __future__ import annotations

import numpy as np
import pytest
from built_sets import file_digests, manifest_rows

from zoo.data import read_video
from zoo.datasets import digit_events, make
from zoo.datasets.digit_events import CLASSES, EVENTS, PROPERTIES, DigitEventsConfig, tracks
from zoo.datasets.moving_digits import digit_images

SMALL = {"videos_per_split": (24, 12, 12)}  # two videos of each class in train


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    return make("digit_events", tmp_path_factory.mktemp("de") / "a", show_progress=False, **SMALL)


def test_twelve_balanced_classes_in_every_split(small_build):
    rows = manifest_rows(small_build)
    assert len(CLASSES) == 12
    for split, count in zip(("train", "val", "test"), SMALL["videos_per_split"], strict=True):
        labels = [r["label"] for r in rows if r["split"] == split]
        assert len(labels) == count
        assert {labels.count(c) for c in CLASSES} == {count // 12}
    for row in rows:
        path = small_build / row["path"]
        assert path.parts[-3:-1] == (row["split"], row["label"]) and path.is_file()
        assert (row["property"], int(row["sign"])) == EVENTS[row["label"]]


def test_same_seed_same_bytes_other_seed_other_videos(small_build, tmp_path):
    again = make("digit_events", tmp_path / "b", show_progress=False, **SMALL)
    other = make("digit_events", tmp_path / "c", show_progress=False, seed=1, **SMALL)
    assert file_digests(small_build) == file_digests(again)
    assert file_digests(small_build) != file_digests(other)


def test_splits_share_no_handwriting(small_build):
    images = digit_images(0)
    seen = {
        split: {
            images[split][0][int(r["group"].split("-img")[1])].tobytes()
            for r in manifest_rows(small_build)
            if r["split"] == split
        }
        for split in ("train", "val", "test")
    }
    assert not seen["train"] & seen["test"] and not seen["train"] & seen["val"]
    assert not seen["val"] & seen["test"]


def test_every_class_draws_the_same_values_only_the_order_differs():
    """With the same random state, every label gives each property the same set of values:
    one property in order (growing or shrinking, as the label says), the others shuffled."""
    config = DigitEventsConfig()
    by_label = {label: tracks(label, config, np.random.default_rng(7)) for label in CLASSES}
    for prop in PROPERTIES:
        values = {tuple(np.sort(t[prop])) for t in by_label.values()}
        assert len(values) == 1, prop  # the same multiset of frames for all 12 classes
    for label, track in by_label.items():
        prop, sign = EVENTS[label]
        steps = np.diff(track[prop])
        assert np.all(sign * steps > 0), label
        for other in set(PROPERTIES) - {prop}:
            assert not np.all(np.diff(track[other]) > 0) and not np.all(np.diff(track[other]) < 0)


def test_appear_and_disappear_are_each_other_played_backwards():
    """The time reverse of an "appear" video is a "disappear" video's frames: no frame tells them apart."""
    config = DigitEventsConfig(num_frames=12)
    appear = tracks("appear", config, np.random.default_rng(3))
    disappear = tracks("disappear", config, np.random.default_rng(3))
    np.testing.assert_allclose(appear["opacity"], disappear["opacity"][::-1])


def test_decoded_frames_match_the_rendered_frames(tmp_path):
    """Decoded pixels of the first video against a fresh render; the scene is a photograph."""
    root = make("digit_events", tmp_path / "one", show_progress=False, videos_per_split=(1, 0, 0))
    row = manifest_rows(root)[0]
    assert row["label"] == CLASSES[0] == "appear"
    frames = read_video(root / row["path"]).frames.astype(np.float64)
    assert frames.shape == (20, 64, 64, 3)
    assert frames[0].std() > 10  # a textured background, not a flat canvas
    config = DigitEventsConfig(videos_per_split=(1, 0, 0))
    images, _ = digit_images(0)["train"]
    rng = np.random.default_rng([0, 1, 0])
    pick, other = rng.integers(len(images), size=2)
    photos = digit_events._photos()
    photo = photos[int(rng.integers(len(photos)))]
    expected = digit_events.render(images[pick], images[other], photo, "appear", config, rng)
    psnr = 10 * np.log10(255.0**2 / np.mean((frames - expected) ** 2))
    assert psnr >= 30, psnr
