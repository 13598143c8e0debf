"""`zoo` commands keep TensorFlow's log lines off stderr unless `--verbose` or ZOO_VERBOSE=1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from zoo import quiet

# Lines TensorFlow, absl and CUDA print, never a zoo command.
TF_LINE = re.compile(r"^[IWEF]\d{4} |absl::InitializeLog|cuda|oneDNN|tensorflow/", re.IGNORECASE)


def _zoo(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """Runs `zoo ARGS` in a fresh process whose environment holds no TF_* setting."""
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), **env}
    command = [sys.executable, "-m", "zoo.cli", *args]
    return subprocess.run(command, cwd=cwd, env=clean, capture_output=True, text=True, timeout=300)


def _tf_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if TF_LINE.search(line)]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """An untrained 4-class frame_cnn as `.keras`, with `labels.txt` beside it."""
    from zoo.models import build

    folder = tmp_path_factory.mktemp("tiny")
    build("frame_cnn", 4, input_shape=(8, 32, 32, 3)).save(folder / "model.keras")
    (folder / "labels.txt").write_text("down\nleft\nright\nup\n")
    return folder / "model.keras"


@pytest.mark.parametrize("verbose", [{}, {"ZOO_VERBOSE": "1"}], ids=["quiet", "ZOO_VERBOSE"])
def test_predict_stderr(tiny_model, moving_digits_dir, tmp_path, verbose):
    video = next((moving_digits_dir / "test" / "up").glob("*.mp4"))
    done = _zoo(["predict", str(tiny_model), str(video), "--top-k", "2"], tmp_path, **verbose)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{video}: ")
    assert bool(_tf_lines(done.stderr)) == bool(verbose), done.stderr
    if not verbose:
        assert done.stderr == ""


def test_predict_litert_stderr(tiny_model, moving_digits_dir, tmp_path):
    """LiteRT's "Created TensorFlow Lite XNNPACK delegate" notice stays off stderr too."""
    import keras

    import zoo.export

    model = keras.saving.load_model(tiny_model)
    labels = ["down", "left", "right", "up"]
    tflite = zoo.export.litert(model, tmp_path / "model.tflite", labels=labels)
    video = next((moving_digits_dir / "test" / "up").glob("*.mp4"))
    done = _zoo(["predict", str(tflite), str(video)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{video}: ")
    assert done.stderr == ""


@pytest.mark.parametrize("flag", [[], ["--verbose"]], ids=["quiet", "verbose"])
def test_models_stderr(tmp_path, flag):
    done = _zoo(["models", "frame_cnn", "--no-latency", *flag], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["model", "task"]
    assert bool(_tf_lines(done.stderr)) == bool(flag), done.stderr
    if not flag:
        assert done.stderr == ""


def test_an_error_stays_visible_and_quiet(tmp_path):
    done = _zoo(["predict", str(tmp_path / "missing.keras"), "video.mp4"], tmp_path)
    assert done.returncode != 0
    assert done.stderr.splitlines()[-1].startswith("zoo predict: error: ")
    assert not _tf_lines(done.stderr), done.stderr


@pytest.mark.parametrize(
    "argv, rest, verbose",
    [
        (["--verbose", "train", "-x"], ["train", "-x"], True),
        (["train", "-x", "--verbose"], ["train", "-x"], True),
        (["predict", "m", "--", "--verbose"], ["predict", "m", "--", "--verbose"], False),
        (["models"], ["models"], False),
    ],
)
def test_take_verbose_flag(monkeypatch, argv, rest, verbose):
    monkeypatch.delenv(quiet.VERBOSE_ENV, raising=False)
    assert quiet.take_verbose_flag(argv) == (rest, verbose)


@pytest.mark.parametrize("value, verbose", [("1", True), ("0", False), ("", False)])
def test_zoo_verbose_env(monkeypatch, value, verbose):
    monkeypatch.setenv(quiet.VERBOSE_ENV, value)
    assert quiet.take_verbose_flag(["models"]) == (["models"], verbose)


def test_stderr_held_back_drops_c_level_output_and_replays_it_on_error(capfd):
    with quiet.stderr_held_back():
        os.write(2, b"noise from C\n")
    assert capfd.readouterr().err == ""
    with pytest.raises(ImportError, match="no such library"):
        with quiet.stderr_held_back():
            os.write(2, b"why it failed\n")
            raise ImportError("no such library")
    assert capfd.readouterr().err == "why it failed\n"
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"
