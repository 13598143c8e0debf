"""Trains a tiny run in its own process: `run_training.py DATA OUT EPOCHS [--kill-at E:B]`.

Used by the resume test (`--kill-at` sends this process SIGKILL at batch B
of epoch E, both 0-based) and by the multi-worker test (one process per
worker, configured by `TF_CONFIG`). The tests import `TINY_RUN`, `command` and
`KillAt` (the data-service test kills a worker with it) from here: unlike
`conftest`, no other test folder has a module of this name.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

import keras

from zoo.train import train

# Clips of 4 frames at 32x32 into a cnn_lstm of width 8: seconds per epoch on one core.
TINY_RUN = dict(batch_size=4, clip_len=4, size=32, model_options={"width": 8})


def tiny_flags() -> list[str]:
    """`TINY_RUN` as `zoo train` flags."""
    return [
        "--batch-size",
        str(TINY_RUN["batch_size"]),
        "--clip-len",
        str(TINY_RUN["clip_len"]),
        "--size",
        str(TINY_RUN["size"]),
        "--model-options",
        json.dumps(TINY_RUN["model_options"]),
    ]


def command(data: Path, out: Path, epochs: int, *extra: str) -> list[str]:
    """The command line that runs this script: a tiny run in a fresh Python process."""
    return [sys.executable, __file__, str(data), str(out), str(epochs), *extra]


class KillAt(keras.callbacks.Callback):
    """SIGKILLs process `pid` (default: this one) at the start of batch `batch` of epoch
    `epoch`: no clean-up runs."""

    def __init__(self, epoch: int, batch: int, pid: int | None = None) -> None:
        super().__init__()
        self.target, self.epoch = (epoch, batch), -1
        self.pid = os.getpid() if pid is None else pid

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if (self.epoch, batch) == self.target:
            os.kill(self.pid, signal.SIGKILL)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("out")
    parser.add_argument("epochs", type=int)
    parser.add_argument("--kill-at", help="EPOCH:BATCH")
    args = parser.parse_args()
    killers = [KillAt(*map(int, args.kill_at.split(":")))] if args.kill_at else []
    train(
        "cnn_lstm",
        args.data,
        args.out,
        epochs=args.epochs,
        callbacks=killers,
        verbose=2,
        **TINY_RUN,
    )
