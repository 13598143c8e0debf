"""Failure modes of a first day: a broken file stops a command in seconds with one line,
or is skipped and listed; user mistakes are refused before anything is written.

The stopping tests run the real command line in a fresh process under a time
limit: a pipeline stopped by a broken video used to print its error and then
hang at interpreter exit, forever.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from run_training import TINY_RUN, tiny_flags

from zoo.cli import main

TINY_FLAGS = ["--model", "cnn_lstm", "--epochs", "1", *tiny_flags()]


def _zoo(*args: str) -> subprocess.CompletedProcess:
    """`zoo ARGS` in a fresh process; a hang fails the test after 150 s."""
    return subprocess.run(
        [sys.executable, "-m", "zoo.cli", *args], capture_output=True, text=True, timeout=150
    )


def _own_lines(stderr: str, command: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"zoo {command}")]


def _tree_with_broken_file(digits: Path, root: Path, where: str, content: bytes = b"") -> Path:
    """A copy of `digits` with one broken `.mp4` in `where` (a split/label folder)."""
    shutil.copytree(digits, root)
    (root / "manifest.csv").unlink()  # the folder tree is the source here
    broken = root / where / "broken.mp4"
    broken.write_bytes(content)
    return broken


@pytest.mark.parametrize("where", ["train/up", "val/left"])
def test_a_broken_training_or_validation_video_stops_train_in_seconds(tiny_digits, tmp_path, where):
    broken = _tree_with_broken_file(tiny_digits, tmp_path / "data", where)
    run = tmp_path / "run"
    result = _zoo(
        "train",
        *TINY_FLAGS,
        "--data",
        str(tmp_path / "data"),
        "--out",
        str(run),
        "--on-error",
        "raise",
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert _own_lines(result.stderr, "train") == [f"zoo train: error: {broken}: file is empty"]
    assert "Traceback" not in result.stderr

    if where.startswith("train"):  # the run folder stays resumable: fix the data, run again
        from zoo.train import train

        broken.unlink()
        train("cnn_lstm", tmp_path / "data", run, epochs=1, verbose=0, **TINY_RUN)
        assert (run / "model.keras").is_file()


def test_a_broken_test_video_stops_evaluate_or_is_skipped_and_listed(
    tiny_digits, tiny_run, tmp_path
):
    broken = _tree_with_broken_file(tiny_digits, tmp_path / "data", "test/down", b"not a video\n")
    args = [
        "evaluate",
        str(tiny_run),
        "--data",
        str(tmp_path / "data"),
        "--clips",
        "1",
        "--crops",
        "1",
    ]
    stopped = _zoo(*args, "--on-error", "raise")
    assert stopped.returncode == 2, stopped.stderr[-2000:]
    [line] = _own_lines(stopped.stderr, "evaluate")
    assert line.startswith(f"zoo evaluate: error: {broken}: not a readable media file")

    assert main(args) == 0  # skip is the default
    skipped = json.loads((tiny_run / "eval" / "skipped.json").read_text())
    assert list(skipped) == [str(broken)]
    metrics = json.loads((tiny_run / "eval" / "metrics.json").read_text())
    assert metrics["skipped"] == 1 and metrics["num_examples"] == 16


def test_skip_trains_on_and_lists_the_broken_file_in_the_run(tiny_digits, tmp_path, capsys):
    from zoo.train import train

    broken = _tree_with_broken_file(tiny_digits, tmp_path / "data", "train/right")
    run = train(
        "cnn_lstm",
        tmp_path / "data",
        tmp_path / "run",
        epochs=1,
        verbose=0,
        on_error="skip",
        **TINY_RUN,
    )
    assert json.loads((run / "skipped.json").read_text()) == {
        "train": {str(broken): "file is empty"}
    }
    assert f"skipped 1 broken file (listed in {run / 'skipped.json'})" in capsys.readouterr().err


def test_a_run_trained_on_a_relative_path_travels(tiny_digits, tmp_path, monkeypatch, capsys):
    """Trained with `--data digits` from the data's parent folder, the run evaluates from
    another folder after being moved. (Its batch is larger than the data set: a warning.)"""
    from zoo.evaluate import evaluate
    from zoo.train import train

    monkeypatch.chdir(tiny_digits.parent)
    options = {**TINY_RUN, "batch_size": 40}
    run = train("cnn_lstm", tiny_digits.name, tmp_path / "run", epochs=1, verbose=0, **options)
    assert "--batch-size 40 is larger than the 32 training videos" in capsys.readouterr().err
    assert json.loads((run / "config.json").read_text())["data"] == str(tiny_digits)

    moved = shutil.move(run, tmp_path / "moved")
    monkeypatch.chdir(tmp_path)
    metrics = evaluate(moved, num_clips=1, num_crops=1, verbose=0)
    assert metrics["num_examples"] == 16


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--model-options", '{"widht": 4}'], "model 'cnn_lstm' has no option 'widht'; options: "),
        (["--epochs", "0"], "--epochs must be at least 1, not 0"),
        (
            ["--model", "audio_cnn"],
            "model 'audio_cnn' takes audio input, but training data here is video",
        ),
    ],
)
def test_mistakes_are_one_line_and_leave_no_run_folder(
    tiny_digits, tmp_path, capsys, flags, message
):
    run = tmp_path / "run"
    assert main(["train", *TINY_FLAGS, *flags, "--data", str(tiny_digits), "--out", str(run)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("zoo train: error: ") and message in line
    assert not run.exists()


def test_model_options_must_be_a_json_object(capsys):
    with pytest.raises(SystemExit):
        main(
            [
                "train",
                "--model",
                "cnn_lstm",
                "--data",
                "x",
                "--out",
                "y",
                "--model-options",
                "{width: 4}",
            ]
        )
    assert "not valid JSON" in capsys.readouterr().err
