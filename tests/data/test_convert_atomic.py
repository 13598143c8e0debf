"""`zoo convert` is all or nothing: no partial, temporary or empty shards, true counts."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from zoo.cli import main
from zoo.data import tfrecord, video_dataset


def _add_broken_files(root: Path) -> list[str]:
    """An empty `.mp4` and a text file named `.mp4`, in two class folders."""
    empty, text = root / "red" / "empty.mp4", root / "green" / "notes.mp4"
    empty.write_bytes(b"")
    text.write_text("not a video\n")
    return sorted([str(empty), str(text)])


@pytest.fixture
def broken_tree(class_tree, tmp_path) -> tuple[Path, list[str]]:
    """The 12 videos of `class_tree` (3 classes) plus 2 broken files."""
    root = shutil.copytree(class_tree, tmp_path / "src")
    return root, _add_broken_files(root)


def _convert(src: Path, out: Path, *options: str) -> int:
    return main(["convert", str(src), str(out), "--no-progress", *options])


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) -> a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _records_per_shard(out: Path) -> dict[str, int]:
    files = tfrecord.list_shards(out)
    return dict(zip([Path(f).name for f in files], tfrecord.describe(files).counts, strict=True))


def test_skip_is_the_default_counts_are_true_and_the_shards_load(broken_tree, tmp_path, capsys):
    src, broken = broken_tree
    out = tmp_path / "out"
    assert _convert(src, out, "--shards", "4") == 0
    captured = capsys.readouterr()
    assert f"{out}: 12 clips in 4 shards" in captured.out
    assert "skipped 2 broken clips" in captured.err
    assert all(path in captured.err for path in broken)
    assert sorted(json.loads((out / "skipped.json").read_text())) == broken
    counts = _records_per_shard(out)
    assert sorted(counts) == [f"clips-{i:05d}-of-00004.tfrecord" for i in range(4)]
    assert min(counts.values()) > 0 and sum(counts.values()) == 12
    ds = video_dataset(out, clip_len=4, size=32, batch_size=12)
    labels = np.concatenate([y for _, y in ds.as_numpy_iterator()])
    assert ds.num_videos == 12 and np.bincount(labels).tolist() == [4, 4, 4]
    assert sorted(p.name for p in out.iterdir()) == [
        *sorted(counts),
        "labels.txt",
        "skipped.json",
    ]


def test_raise_fails_on_one_line_and_keeps_the_earlier_conversion(broken_tree, tmp_path, capsys):
    src, broken = broken_tree
    out = tmp_path / "out"
    assert _convert(src, out, "--shards", "3") == 0
    before = _snapshot(out)
    capsys.readouterr()
    assert _convert(src, out, "--shards", "2", "--on-error", "raise") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("zoo convert: error: ")
    assert any(path in err[0] for path in broken)
    assert _snapshot(out) == before  # no temp, no partial shard, nothing replaced


def test_a_failed_first_conversion_leaves_nothing(broken_tree, tmp_path):
    src, _ = broken_tree
    out = tmp_path / "new" / "out"
    assert _convert(src, out, "--on-error", "raise") == 2
    assert not out.exists()


def test_an_interruption_keeps_the_earlier_conversion(broken_tree, tmp_path, monkeypatch):
    src, _ = broken_tree
    out = tmp_path / "out"
    assert _convert(src, out) == 0
    before = _snapshot(out)
    encode, calls = tfrecord.encode_clip, []

    def interrupted_after_five(*args, **kwargs):
        calls.append(1)
        if len(calls) > 5:
            raise KeyboardInterrupt
        return encode(*args, **kwargs)

    monkeypatch.setattr(tfrecord, "encode_clip", interrupted_after_five)
    assert _convert(src, out, "--shards", "2") == 130
    assert _snapshot(out) == before


def test_more_shards_than_clips_gives_no_empty_shard(class_tree, tmp_path, capsys):
    src = tmp_path / "src"
    for name in ("blue", "green", "red"):
        (src / name).mkdir(parents=True)
    shutil.copy(class_tree / "blue" / "blue0.mp4", src / "blue")
    shutil.copy(class_tree / "red" / "red0.mp4", src / "red")
    _add_broken_files(src)
    out = tmp_path / "out"
    assert _convert(src, out, "--shards", "8") == 0  # 4 clips: 4 shards of one, 2 of them broken
    assert f"{out}: 2 clips in 2 shards" in capsys.readouterr().out
    assert _records_per_shard(out) == {
        "clips-00000-of-00002.tfrecord": 1,
        "clips-00001-of-00002.tfrecord": 1,
    }


def test_a_rerun_with_fewer_shards_removes_the_old_ones(class_tree, tmp_path):
    out = tmp_path / "out"
    assert _convert(class_tree, out, "--shards", "4") == 0
    assert _convert(class_tree, out, "--shards", "3") == 0
    assert _records_per_shard(out) == {f"clips-{i:05d}-of-00003.tfrecord": 4 for i in range(3)}
    assert json.loads((out / "skipped.json").read_text()) == {}


def test_every_broken_file_is_an_error(tmp_path, capsys):
    src = tmp_path / "src"
    (src / "red").mkdir(parents=True)
    (src / "green").mkdir()
    _add_broken_files(src)
    assert _convert(src, tmp_path / "out") == 2
    assert "none of its 2 clips could be read" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
