"""`zoo convert --runner` and `zoo embed --runner`: the Beam pipelines (DirectRunner, 2 worker
processes) write what the in-process paths write, count and list broken videos the same way,
and a failed pipeline leaves the output folder as it was."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
import tensorflow as tf

from zoo.cli import main
from zoo.data import features, tfrecord

beam = pytest.importorskip("apache_beam", reason='needs the Beam extra: pip install "zoo[beam]"')

# As in tests/training: a videoprism small enough to embed a few 32x32 clips in seconds.
TINY_VIDEOPRISM = {"image_size": 32, "hidden_dim": 32, "intermediate_dim": 64}
IN_MEMORY = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


@pytest.fixture(scope="module")
def src(class_tree, tmp_path_factory) -> Path:
    """train/: the 12 videos of `class_tree` and 2 broken files; val/: one video a class."""
    root = tmp_path_factory.mktemp("beam") / "src"
    shutil.copytree(class_tree, root / "train")
    for label in ("blue", "green", "red"):
        (root / "val" / label).mkdir(parents=True)
        shutil.copy(class_tree / label / f"{label}1.mp4", root / "val" / label / "v.mp4")
    (root / "train" / "red" / "empty.mp4").write_bytes(b"")
    (root / "train" / "green" / "notes.mp4").write_text("not a video\n")
    return root


def _convert(src: Path, out: Path, *options: str) -> int:
    return main(["convert", str(src), str(out), "--no-progress", *options])


def _records(folder: Path) -> list[bytes]:
    """Every record of the shards in `folder`, sorted, serialized again with the context's
    features in key order (protobuf writes a map in an order that varies between processes)."""
    files = [str(f) for f in sorted(folder.glob("*.tfrecord"))]
    return sorted(
        tf.train.SequenceExample.FromString(record).SerializeToString(deterministic=True)
        for record in tf.data.TFRecordDataset(files).as_numpy_iterator()
    )


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@contextlib.contextmanager
def _pyav_logging_as_in_zoo() -> Iterator[None]:
    """PyAV's logging as a `zoo` process (and a Beam worker) has it: videogen's PANIC level
    makes PyAV add FFmpeg's last log line to its errors, so to the skip reasons."""
    level = av.logging.get_level()
    av.logging.set_level(None)
    try:
        yield
    finally:
        av.logging.set_level(level)


@pytest.fixture(scope="module")
def converted(src, tmp_path_factory) -> dict[str, Path]:
    """`zoo convert` of `src` in this process, and through the DirectRunner's 2 workers."""
    root = tmp_path_factory.mktemp("converted")
    with _pyav_logging_as_in_zoo():
        assert _convert(src, root / "local") == 0
    assert _convert(src, root / "beam", "--runner", "direct", "--direct-workers", "2") == 0
    return {"local": root / "local", "beam": root / "beam"}


def test_beam_shards_hold_the_records_of_the_in_process_conversion(converted):
    local, beamed = converted["local"], converted["beam"]
    for split in ("train", "val"):
        assert _records(beamed / split) == _records(local / split)
        assert len(_records(beamed / split)) == {"train": 12, "val": 3}[split]
        names = sorted(p.name for p in (beamed / split).glob("*.tfrecord"))
        assert names == [tfrecord.shard_name(split, i, len(names)) for i in range(len(names))]
        assert len(names) <= {"train": 4, "val": 3}[split]
        assert all(p.stat().st_size for p in (beamed / split).glob("*.tfrecord"))
    for name in ("labels.txt", "train/labels.txt", "skipped.json"):
        assert (beamed / name).read_text() == (local / name).read_text()
    kinds = {p.relative_to(beamed).parent for p in beamed.rglob("*")}
    assert sorted(map(str, kinds)) == [".", "train", "val"]  # no staging or Beam temp folder


def test_broken_videos_are_listed_as_in_process(converted, src):
    listed = json.loads((converted["beam"] / "skipped.json").read_text())
    assert sorted(listed) == [str(src / "train/green/notes.mp4"), str(src / "train/red/empty.mp4")]
    assert listed == json.loads((converted["local"] / "skipped.json").read_text())


def test_broken_videos_are_counted_by_a_beam_metric(src, tmp_path):
    from zoo import beam as zoo_beam
    from zoo.data.sources import list_clips

    clips = list_clips(src, "train")
    [(shards, skipped)], broken = zoo_beam.write_shards(
        [(clips, tmp_path, "train")], on_error="skip", flags=IN_MEMORY
    )
    assert broken == len(skipped) == 2
    assert sum(tfrecord.describe([str(s) for s in shards]).counts) == 12


def test_raise_stops_on_one_line_and_leaves_the_output_as_it_was(converted, src, capsys):
    out = converted["beam"]
    before = _snapshot(out)
    capsys.readouterr()
    assert _convert(src, out, "--runner", "direct", "--on-error", "raise") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("zoo convert: error: ")
    assert err[-1] in {
        f"zoo convert: error: {src}/train/red/empty.mp4: file is empty",
        f"zoo convert: error: {src}/train/green/notes.mp4: not a readable media file "
        f"([Errno 1094995529] Invalid data found when processing input: "
        f"'{src}/train/green/notes.mp4')",
    }
    assert _snapshot(out) == before  # nothing staged is left, nothing replaced


class _FailsOnce(beam.DoFn):
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def process(self, element):
        if not self.marker.exists():
            self.marker.touch()
            raise RuntimeError("the first attempt fails")
        yield element


def test_the_direct_runner_does_not_retry_a_failed_bundle(tmp_path):
    """What zoo.beam's docstring says: a failed bundle fails a DirectRunner pipeline (Flink,
    Spark and Dataflow retry it). If Beam starts retrying, this fails: update the docs."""
    from zoo import beam as zoo_beam

    pipeline = beam.Pipeline(options=zoo_beam.pipeline_options("direct", IN_MEMORY))
    _ = pipeline | beam.Create([1, 2, 3]) | beam.ParDo(_FailsOnce(tmp_path / "failed"))
    with pytest.raises(RuntimeError, match="the first attempt fails"):
        zoo_beam.run_pipeline(pipeline)


def test_a_missing_beam_extra_is_one_line(src, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "apache_beam", None)
    monkeypatch.delitem(sys.modules, "zoo.beam", raising=False)
    assert _convert(src, tmp_path / "out", "--runner", "direct") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith('pip install "zoo[beam]"')
    assert not (tmp_path / "out").exists()


def _embedded(folder: Path, split: str) -> dict[str, tuple[np.ndarray, int]]:
    """path -> (embedding, label) of the records of `split`."""
    spec = {
        "embedding": tf.io.FixedLenFeature([], tf.string),
        "label": tf.io.FixedLenFeature([], tf.int64),
        "path": tf.io.FixedLenFeature([], tf.string),
    }
    records = {}
    for shard in features.FeatureDir(folder).shards(split):
        for serialized in tf.data.TFRecordDataset(str(shard)).as_numpy_iterator():
            example = tf.io.parse_single_example(serialized, spec)
            embedding = np.frombuffer(example["embedding"].numpy(), np.float16)
            records[example["path"].numpy().decode()] = (embedding, int(example["label"]))
    return records


def test_beam_embed_gives_the_in_process_embeddings(src, tmp_path, capsys):
    from zoo.embed import embed

    options = dict(clip_len=4, size=32, shard_size=4, on_error="skip", show_progress=False)
    with _pyav_logging_as_in_zoo():
        local = embed(
            "videoprism", src, tmp_path / "local", model_options=TINY_VIDEOPRISM, **options
        )
    model = str(features.FeatureDir(local).model)  # the same weights for both
    flags = ["--model", model, "--data", str(src), "--clip-len", "4", "--size", "32",
             "--shard-size", "4", "--no-progress", "--runner", "direct"]  # fmt: skip
    assert main(["embed", "--out", str(tmp_path / "beam"), *flags]) == 0
    beamed = tmp_path / "beam"
    for split, videos in (("train", 12), ("val", 3)):
        ours, theirs = _embedded(beamed, split), _embedded(local, split)
        assert sorted(ours) == sorted(theirs) and len(ours) == videos
        for path, (embedding, label) in ours.items():
            assert label == theirs[path][1]
            np.testing.assert_allclose(embedding, theirs[path][0], atol=2e-2, rtol=1e-2)
    assert len(features.FeatureDir(beamed).shards("train")) == 4  # 14 listed videos, 4 a shard
    assert features.FeatureDir(beamed).read_skipped() == features.FeatureDir(local).read_skipped()
    assert sorted(p.name for p in beamed.iterdir() if p.name.startswith(".")) == []
    capsys.readouterr()
    assert main(["embed", "--out", str(beamed), *flags]) == 2  # it holds shards: no resume
    assert "holds 5 shards already; a Beam run (--runner) embeds every video" in (
        capsys.readouterr().err
    )


def test_a_runner_that_retries_loses_nothing_when_a_worker_fails(
    src, converted, tmp_path, monkeypatch
):
    """Beam's BundleBasedDirectRunner reruns a failed bundle, as Flink, Spark and Dataflow
    do: the first clip's worker fails once, and the shards still hold every record, once."""
    from zoo import beam as zoo_beam
    from zoo.data.sources import list_clips

    original, calls = tfrecord.clip_record, []

    def fails_once(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 1:
            raise RuntimeError("the worker died")
        return original(*args, **kwargs)

    monkeypatch.setattr(tfrecord, "clip_record", fails_once)  # runs in this process
    clips = list_clips(src / "val")
    [(shards, skipped)], broken = zoo_beam.write_shards(
        [(clips, tmp_path, "val")], num_shards=2, runner="BundleBasedDirectRunner"
    )
    assert len(calls) > len(clips) and not skipped and broken == 0  # retried, then complete
    assert _records(tmp_path) == _records(converted["local"] / "val")
