"""`zoo embed` and `zoo train --features`: stored embeddings, resume, skips, and a probe run
that evaluates, exports and predicts like any other."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from embed_until_killed import TINY_CLIP, TINY_VIDEOPRISM

from zoo.data import features
from zoo.data.sources import list_clips
from zoo.embed import embed
from zoo.models import load
from zoo.models.videoprism import embedding_model, head_model
from zoo.train import train_probe

SHARD_SIZE = 16  # 32 train videos: 2 shards; val and test: 1 each


def _zoo(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "zoo.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=cwd)


def _records(folder: Path, split: str) -> list[tuple[np.ndarray, int]]:
    return [(e.numpy(), int(y)) for e, y in features.features_dataset(folder, split)]


@pytest.fixture(scope="module")
def embedded(tiny_digits, tmp_path_factory) -> Path:
    """Embeddings of `tiny_digits` by a small random frozen videoprism (attentive head)."""
    out = tmp_path_factory.mktemp("features") / "tiny"
    return embed(
        "videoprism",
        tiny_digits,
        out,
        shard_size=SHARD_SIZE,
        model_options=TINY_VIDEOPRISM,
        show_progress=False,
        **TINY_CLIP,
    )


@pytest.fixture(scope="module")
def probe_run(embedded, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "probe"
    return train_probe(embedded, out, epochs=2, batch_size=8, verbose=0)


def test_one_float16_embedding_per_video_in_shards(embedded, tiny_digits):
    config = features.FeatureDir(embedded).read_config()
    assert config["videos"] == {"train": 32, "val": 8, "test": 16}
    assert [p.name for p in features.FeatureDir(embedded).shards("train")] == [
        "train-00000-of-00002.tfrecord",
        "train-00001-of-00002.tfrecord",
    ]
    # 4 frames x (32 / 8)**2 patches, width 32: the tokens the attentive head pools.
    assert config["embedding_shape"] == [64, 32]
    test = _records(embedded, "test")
    assert [e.shape for e, _ in test] == [(1, 64, 32)] * 16
    assert [y for _, y in test] == list_clips(tiny_digits, "test").labels


def test_a_stored_embedding_is_what_the_model_computes(embedded, tiny_digits):
    from zoo.data import video_dataset

    model = load(features.FeatureDir(embedded).model)
    clips, _ = next(iter(video_dataset(tiny_digits, 4, 2, 32, batch_size=16, split="test")))
    stored = np.stack([e[0] for e, _ in _records(embedded, "test")])
    np.testing.assert_allclose(
        stored, embedding_model(model).predict_on_batch(clips.numpy()), atol=2e-2, rtol=1e-2
    )


def test_probe_run_holds_the_whole_model_with_the_trained_head(probe_run, embedded, tiny_digits):
    from zoo.data import video_dataset

    config = json.loads((probe_run / "config.json").read_text())
    assert config["features"] == str(embedded) and config["input_shape"] == [4, 32, 32, 3]
    whole = load(probe_run / "model.keras")
    before = load(features.FeatureDir(embedded).model)
    head_weights = [w.path for w in head_model(whole).weights]
    changed = [
        a.path
        for a, b in zip(whole.weights, before.weights, strict=True)
        if not np.array_equal(a.numpy(), b.numpy())
    ]
    assert changed and set(changed) <= set(head_weights)  # the backbone stayed as embedded
    clips, _ = next(iter(video_dataset(tiny_digits, 4, 2, 32, batch_size=16, split="test")))
    stored = np.stack([e[0] for e, _ in _records(embedded, "test")])
    np.testing.assert_allclose(
        whole.predict_on_batch(clips.numpy()),
        head_model(whole).predict_on_batch(stored),
        atol=1e-2,  # float16 embeddings
    )


def test_evaluate_export_and_predict_take_the_probe_run(probe_run, tiny_digits, tmp_path):
    done = _zoo("evaluate", str(probe_run), "--clips", "1", "--crops", "1")
    assert done.returncode == 0, done.stderr
    metrics = json.loads((probe_run / "eval" / "metrics.json").read_text())
    assert metrics["num_examples"] == 16
    done = _zoo("export", str(probe_run), "--format", "saved_model", "--out", str(tmp_path / "sm"))
    assert done.returncode == 0, done.stderr
    video = sorted((tiny_digits / "test" / "up").glob("*.mp4"))[0]
    lines = [
        _zoo("predict", source, str(video)).stdout
        for source in (str(probe_run), str(tmp_path / "sm"))
    ]
    assert lines[0] and lines[0] == lines[1]


def test_a_killed_embed_resumes_at_the_missing_shards(tiny_digits, tmp_path):
    out = tmp_path / "features"
    script = Path(__file__).with_name("embed_until_killed.py")
    # Shards of 4 videos: 8 train, 2 val, 4 test; killed while writing the 4th.
    killed = subprocess.run(
        [sys.executable, str(script), "3", str(tiny_digits), str(out), "4"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    written = {p.name: p.read_bytes() for p in out.glob("*.tfrecord")}
    assert len(written) == 3 and list(out.glob(".*.tmp"))  # a half-written shard, unnamed
    done = _zoo(
        "embed", "--model", "videoprism", "--data", str(tiny_digits), "--out", str(out),
        "--shard-size", "4", "--clip-len", "4", "--size", "32", "--no-progress",
        "--model-options", json.dumps(TINY_VIDEOPRISM),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"resuming {out}: 3 of 14 shards done" in done.stderr
    assert {p.name: p.read_bytes() for p in out.glob("*.tfrecord") if p.name in written} == written
    assert len(list(out.glob("*.tfrecord"))) == 14 and not list(out.glob(".*.tmp"))
    assert [len(_records(out, s)) for s in ("train", "val", "test")] == [32, 8, 16]


def test_a_broken_video_is_skipped_and_listed_or_stops_embed(tiny_digits, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(tiny_digits, data)
    (data / "train" / "up" / "empty.mp4").write_bytes(b"")
    flags = ["--data", str(data), "--clip-len", "4", "--size", "32", "--no-progress",
             "--model-options", json.dumps(TINY_VIDEOPRISM)]  # fmt: skip
    done = _zoo("embed", "--model", "videoprism", "--out", str(tmp_path / "f"), *flags)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1].startswith("skipped 1 broken file (listed in ")
    listed = json.loads((tmp_path / "f" / "skipped.json").read_text())
    assert list(listed["train"]) == [str(data / "train" / "up" / "empty.mp4")]
    assert len(_records(tmp_path / "f", "train")) == 32
    done = _zoo("embed", "--model", "videoprism", "--out", str(tmp_path / "r"), "--on-error",
                "raise", *flags)  # fmt: skip
    assert done.returncode == 2
    assert (
        done.stderr.splitlines()[-1]
        == f"zoo embed: error: {data}/train/up/empty.mp4: file is empty"
    )


def test_one_line_errors(embedded, tiny_digits, tmp_path):
    done = _zoo(
        "embed", "--model", "frame_cnn", "--data", str(tiny_digits), "--out", str(tmp_path / "f")
    )
    assert done.stderr.splitlines()[-1] == (
        "zoo embed: error: frame_cnn: has no 'embedding' layer to embed with; zoo embed takes "
        "the models built on a backbone (videoprism)"
    )
    done = _zoo(
        "train", "--features", str(embedded), "--out", str(tmp_path / "r"), "--model", "c3d"
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "zoo train: error: --features takes the model and data of the embeddings, not --model"
    )
    done = _zoo("train", "--out", str(tmp_path / "r"))
    assert (
        done.stderr.splitlines()[-1]
        == "zoo train: error: give --model and --data (or --features DIR)"
    )


def test_several_clips_per_video_are_each_an_example(tiny_digits, tmp_path):
    from zoo.training.data import feature_fit_datasets
    from zoo.training.run import TrainConfig

    out = embed(
        "videoprism",
        tiny_digits,
        tmp_path / "f",
        clips=3,
        model_options=TINY_VIDEOPRISM,
        show_progress=False,
        **TINY_CLIP,
    )
    train = _records(out, "train")
    assert [e.shape for e, _ in train] == [(3, 64, 32)] * 32
    assert not np.allclose(train[0][0][0], train[0][0][2])  # clips from different times
    config = TrainConfig(model="videoprism", data=str(tiny_digits), batch_size=8)
    assert feature_fit_datasets(out, config).steps == 32 * 3 // 8
