"""A run killed with SIGKILL in the middle of an epoch resumes and loses at most that epoch."""

from __future__ import annotations

import csv
import json
import signal
import subprocess

import keras
from run_training import TINY_RUN, command

from zoo.train import train


class EpochsRun(keras.callbacks.Callback):
    """Records the epochs that `fit` actually runs."""

    def __init__(self) -> None:
        super().__init__()
        self.epochs: list[int] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epochs.append(epoch)


def _history_epochs(run) -> list[int]:
    with open(run / "history.csv", newline="") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_killed_run_resumes_from_its_last_finished_epoch(tiny_digits, tmp_path, capsys):
    run = tmp_path / "run"
    # Killed at batch 3 of 8 in epoch 2 (0-based): epochs 0 and 1 are done.
    killed = subprocess.run(
        command(tiny_digits, run, 4, "--kill-at", "2:3"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert "Epoch 3/4" in killed.stdout  # it was inside epoch 2 when killed
    assert json.loads((run / "backup" / "training_metadata.json").read_text())["epoch"] == 2
    assert _history_epochs(run) == [0, 1]
    assert (run / "model.keras").exists() and (run / "checkpoints" / "last.keras").exists()

    ran = EpochsRun()
    train("cnn_lstm", tiny_digits, run, epochs=4, callbacks=[ran], verbose=2, **TINY_RUN)
    assert "resuming" in capsys.readouterr().out
    assert ran.epochs == [2, 3]  # only the interrupted epoch is repeated
    assert _history_epochs(run) == [0, 1, 2, 3]  # same epoch count as an uninterrupted run
    assert not (run / "backup").exists()
