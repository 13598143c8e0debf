"""`zoo scan`, `zoo convert` and the split helpers."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from videogen import pattern, write_video

from zoo.cli import main
from zoo.data import (
    ClipList,
    grouped_split,
    scan_file,
    split_clips,
    stratified_split,
    video_dataset,
)


@pytest.fixture(scope="module")
def messy(tmp_path_factory, class_tree):
    """One ok file of each kind of trouble."""
    root = tmp_path_factory.mktemp("messy")
    shutil.copy(class_tree / "red" / "red0.mp4", root / "good.mp4")
    (root / "empty.mp4").write_bytes(b"")
    (root / "text.mp4").write_text("not a video")
    write_video(root / "short.mp4", pattern(3))
    write_video(root / "vfr.mkv", pattern(), times=[0, 0.1, 0.2, 0.3, 0.4, 1.0, 1.1, 1.2, 1.3, 1.4])
    write_video(root / "rotated.mp4", pattern(), rotation=90)
    (root / "notes.txt").write_text("ignored: not a video extension")
    return root


EXPECTED = {
    "good.mp4": ("ok", ""),
    "empty.mp4": ("unreadable", "file is empty"),
    "text.mp4": ("unreadable", "not a readable media file"),
    "short.mp4": ("too short", "3 frames, fewer than 8"),
    "vfr.mkv": ("odd", "variable frame rate"),
    "rotated.mp4": ("ok", ""),
}


def test_scan_file_statuses(messy):
    for name, (status, reason) in EXPECTED.items():
        result = scan_file(messy / name)
        assert result.status == status and reason in result.reason, (name, result)
    assert scan_file(messy / "good.mp4").frames == 12


def test_rotated_video_is_ok_with_a_note(messy, capsys):
    """`read_video` turns it upright, so nothing needs doing; the note says so."""
    result = scan_file(messy / "rotated.mp4")
    assert (result.status, result.note) == (
        "ok",
        "rotated 90 degrees by metadata, upright when read",
    )
    assert main(["scan", str(messy / "rotated.mp4"), "--no-progress"]) == 0
    assert "ok          " in capsys.readouterr().out.splitlines()[0]


def test_scan_command_json_and_exit_code(messy, capsys):
    assert main(["scan", str(messy), "--json", "--no-progress", "--workers", "1"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["summary"] == {"files": 6, "ok": 2, "unreadable": 2, "too short": 1, "odd": 1}
    statuses = {f["path"].rsplit("/", 1)[-1]: f["status"] for f in report["files"]}
    assert statuses == {name: status for name, (status, _) in EXPECTED.items()}
    assert report["ignored"] == [str(messy / "notes.txt")]


def test_scan_command_quiet_lists_only_trouble(messy, capsys):
    assert main(["scan", str(messy), "--quiet", "--no-progress", "--workers", "1"]) == 1
    *listed, ignored, last = capsys.readouterr().out.splitlines()
    troubled = sorted(name for name, (status, _) in EXPECTED.items() if status != "ok")
    shown = sorted(line.split(" (")[0].split()[-1].rsplit("/", 1)[-1] for line in listed)
    assert shown == troubled
    assert ignored == "ignored 1 file that is not a video by extension: notes.txt"
    assert last == "6 files, 2 ok, 2 unreadable, 1 too short, 1 odd"


def test_scan_command_text_and_clean_folder(class_tree, capsys):
    assert main(["scan", str(class_tree / "red"), "--no-progress"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok") and "64x48, 12 frames, 10 fps, h264" in out[0]
    assert out[-1] == "4 files, 4 ok, 0 unreadable, 0 too short, 0 odd"


def test_scan_command_user_errors(tmp_path, capsys):
    assert main(["scan", str(tmp_path / "missing")]) == 2
    assert main(["scan", str(tmp_path)]) == 2
    assert "no video files found" in capsys.readouterr().err


def test_scan_command_names_the_files_it_ignored(tmp_path, capsys):
    for name in ["a.txt", "b.json", "c.md", "d.csv", "e.png", "f.ogg", "sub/g.wav"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("not a video")
    assert main(["scan", str(tmp_path)]) == 2
    assert (
        "no video files found; ignored 7 files that are not videos by extension: "
        "a.txt, b.json, c.md, d.csv, e.png, and 2 more"
    ) in capsys.readouterr().err


def test_convert_command_splits_and_loads(moving_digits_dir, tmp_path, capsys):
    out = tmp_path / "shards"
    assert (
        main(
            [
                "convert",
                str(moving_digits_dir / "manifest.csv"),
                str(out),
                "--shards",
                "2",
                "--split",
                "val",
                "--no-progress",
            ]
        )
        == 0
    )
    assert "96 clips in 2 shards" in capsys.readouterr().out
    assert (out / "labels.txt").read_text().split() == ["down", "left", "right", "up"]
    ds = video_dataset(out, split="val", clip_len=4, size=32, batch_size=32)
    video = video_dataset(
        moving_digits_dir / "manifest.csv", split="val", clip_len=4, size=32, batch_size=32
    )
    assert ds.num_videos == video.num_videos == 96
    counts = np.bincount(np.concatenate([y for _, y in ds.as_numpy_iterator()]), minlength=4)
    expected = np.bincount(np.concatenate([y for _, y in video.as_numpy_iterator()]), minlength=4)
    np.testing.assert_array_equal(counts, expected)


def test_grouped_split_never_splits_a_group():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(60), 4)  # 60 source videos, 4 clips each
    labels = np.repeat(rng.integers(0, 3, 60), 4)
    split = grouped_split(labels, groups, (0.7, 0.15, 0.15), seed=1)
    for g in range(60):
        assert len(set(split[groups == g])) == 1
    share = {name: np.mean(split == name) for name in ("train", "val", "test")}
    assert share["train"] == pytest.approx(0.7, abs=0.08) and share["test"] == pytest.approx(
        0.15, abs=0.08
    )
    for name in ("train", "val", "test"):
        assert set(labels[split == name]) == {0, 1, 2}


def test_stratified_split_keeps_class_shares():
    labels = np.array([0] * 100 + [1] * 50 + [2] * 10)
    split = stratified_split(labels, (0.8, 0.1, 0.1), seed=0)
    for c, n in [(0, 100), (1, 50), (2, 10)]:
        assert np.sum((split == "train") & (labels == c)) == pytest.approx(0.8 * n, abs=1)
    np.testing.assert_array_equal(split, stratified_split(labels, (0.8, 0.1, 0.1), seed=0))
    with pytest.raises(ValueError, match="sum to 1"):
        stratified_split(labels, (0.5, 0.1, 0.1))


def test_split_clips_by_group():
    clips = ClipList(
        paths=[f"v{i}.mp4" for i in range(40)],
        labels=[i % 2 for i in range(40)],
        class_names=["a", "b"],
        group=[f"source{i // 2}" for i in range(40)],
    )
    parts = split_clips(clips, (0.5, 0.25, 0.25))
    assert sum(len(p) for p in parts.values()) == 40
    seen = [set(p.group) for p in parts.values()]
    assert not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2])
