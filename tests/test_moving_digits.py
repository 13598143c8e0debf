"""The built-in data set: layout, determinism, leak-free splits, and what the videos show."""

from __future__ import annotations

import numpy as np
import pytest
from built_sets import file_digests, manifest_rows

from zoo.data import read_video
from zoo.datasets import make
from zoo.datasets.moving_digits import MovingDigitsConfig, digit_images, render

SMALL = {"videos_per_split": (8, 4, 4)}


def test_layout_and_manifest(moving_digits_dir):
    rows = manifest_rows(moving_digits_dir)
    assert len(rows) == sum(MovingDigitsConfig().videos_per_split)
    for row in rows:
        path = moving_digits_dir / row["path"]
        assert path.parts[-3:-1] == (row["split"], row["label"]) and path.suffix == ".mp4"
        assert path.is_file()
    for split in ("train", "val", "test"):
        labels = [r["label"] for r in rows if r["split"] == split]
        assert sorted(set(labels)) == ["down", "left", "right", "up"]
        assert (
            max(labels.count(x) for x in set(labels)) - min(labels.count(x) for x in set(labels))
            <= 1
        )


def test_splits_share_no_handwriting(moving_digits_dir):
    rows = manifest_rows(moving_digits_dir)
    groups = {
        s: {r["group"].split("-img")[1] for r in rows if r["split"] == s}
        for s in ("train", "val", "test")
    }
    # group ids index each split's own digit images; check the underlying images are disjoint
    images = digit_images(0)
    seen = {s: {images[s][0][int(i)].tobytes() for i in groups[s]} for s in groups}
    assert not seen["train"] & seen["test"] and not seen["train"] & seen["val"]


def test_same_seed_same_bytes_other_seed_other_videos(tmp_path):
    first = file_digests(make("moving_digits", tmp_path / "a", show_progress=False, **SMALL))
    second = file_digests(make("moving_digits", tmp_path / "b", show_progress=False, **SMALL))
    other = file_digests(
        make("moving_digits", tmp_path / "c", show_progress=False, seed=1, **SMALL)
    )
    assert first == second
    assert first != other


@pytest.mark.parametrize("label,expected", [("digit", 10), ("both", 40)])
def test_label_options(tmp_path, label, expected):
    root = make(
        "moving_digits",
        tmp_path / label,
        show_progress=False,
        label=label,
        videos_per_split=(80, 4, 4),
    )
    rows = manifest_rows(root)
    train_labels = {r["label"] for r in rows if r["split"] == "train"}
    assert len(train_labels) <= expected and len(train_labels) >= expected // 2
    for r in rows:
        want = {"digit": r["digit"], "both": f"{r['digit']}_{r['direction']}"}[label]
        assert r["label"] == want


def test_videos_show_the_digit_moving_the_stated_way(moving_digits_dir):
    for row in manifest_rows(moving_digits_dir)[:12]:
        frames = read_video(moving_digits_dir / row["path"]).frames.astype(np.float64)
        assert frames.shape == (20, 64, 64, 3)
        mass = frames[..., 0]
        ys, xs = np.indices(mass.shape[1:])
        cy = (mass * ys).sum((1, 2)) / mass.sum((1, 2))
        cx = (mass * xs).sum((1, 2)) / mass.sum((1, 2))
        dy, dx = cy[-1] - cy[0], cx[-1] - cx[0]
        moved = {"down": dy, "up": -dy, "right": dx, "left": -dx}[row["direction"]]
        assert moved > 20, (row, dy, dx)


def test_decoded_frames_match_the_rendered_frames(tmp_path):
    config = MovingDigitsConfig(videos_per_split=(1, 0, 0))
    root = make("moving_digits", tmp_path / "one", show_progress=False, videos_per_split=(1, 0, 0))

    images, _ = digit_images(0)["train"]
    rng = np.random.default_rng([0, 0])
    pick = int(rng.integers(len(images)))
    expected = render(images[pick], "down", config, rng).astype(np.float64)
    decoded = read_video(root / manifest_rows(root)[0]["path"]).frames.astype(np.float64)
    mse = np.mean((decoded - expected) ** 2)
    psnr = 10 * np.log10(255.0**2 / mse)
    assert psnr >= 40, psnr


def test_concurrent_builds_of_one_folder_both_succeed(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    out = tmp_path / "shared"
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda _: make("moving_digits", out, show_progress=False, **SMALL), range(2))
        )
    assert results == [out, out]
    assert len(manifest_rows(out)) == sum(SMALL["videos_per_split"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left
