"""`digit_events`: determinism, leak-free splits, and frames that say nothing without their order."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from built_sets import file_digests, manifest_rows
from scipy import stats

from zoo.data import read_video
from zoo.datasets import digit_events, make
from zoo.datasets.digit_events import CLASSES, EVENTS, PROPERTIES, DigitEventsConfig, tracks
from zoo.datasets.moving_digits import digit_images

SMALL = {"videos_per_split": (24, 12, 12)}  # two videos of each class in train
EVENTS_OF = {prop: label for label, (prop, sign) in EVENTS.items() if sign > 0}


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
    """With the same random state, every label gives each property the same values: its own
    property in order (growing or shrinking, as the label says), two others shuffled, and the
    rest held at one of those values."""
    config = DigitEventsConfig()
    by_label = {label: tracks(label, config, np.random.default_rng(7)) for label in CLASSES}
    for label, track in by_label.items():
        prop, sign = EVENTS[label]
        assert np.all(sign * np.diff(track[prop]) > 0), label
        shuffled = held = 0
        for other in set(PROPERTIES) - {prop}:
            values = track[other]
            sweep = np.sort(by_label[EVENTS_OF[other]][other])  # where `other` is in order
            if np.ptp(values) == 0:
                held += 1
                assert np.isclose(sweep, values[0]).any(), (label, other)
            else:
                shuffled += 1
                np.testing.assert_allclose(np.sort(values), sweep)
                assert not np.all(np.diff(values) > 0) and not np.all(np.diff(values) < 0)
        assert (shuffled, held) == (config.decoys, len(PROPERTIES) - 1 - config.decoys), label


def test_which_properties_change_leaves_six_labels_equally_likely():
    """A bag of frames can at best see which three properties change. Over many videos, each
    such set comes with every label it allows about equally often, and with no other label:
    so a bag of frames scores at most 1/6."""
    config = DigitEventsConfig(num_frames=4)
    rng = np.random.default_rng(0)
    counts: dict[frozenset, Counter] = {}
    for _ in range(1000):
        for label in CLASSES:
            track = tracks(label, config, rng)
            changing = frozenset(name for name, values in track.items() if np.ptp(values) > 0)
            counts.setdefault(changing, Counter())[label] += 1
    assert len(counts) == 20  # every set of three properties out of six
    statistic = 0.0
    for changing, labels in counts.items():
        assert {EVENTS[label][0] for label in labels} == changing and len(labels) == 6
        statistic += stats.chisquare(list(labels.values())).statistic
    # uniform within every set: a chi-square test over the 20 sets' 5 degrees of freedom each
    assert stats.chi2.sf(statistic, 20 * 5) > 0.01


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
