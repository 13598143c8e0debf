"""TensorBoard logs: a killed and resumed run logs each epoch once, as in history.csv; tune logs trials."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import numpy as np
from run_training import TINY_RUN, command
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util import tensor_util

from zoo.train import train
from zoo.training.run import RunDir
from zoo.tune import trial_logs, tune


def _accumulator(log_dir: Path) -> EventAccumulator:
    """Every event of every event file in `log_dir`, as TensorBoard reads them."""
    assert list(log_dir.glob("events.out.tfevents.*")), f"no event file in {log_dir}"
    return EventAccumulator(str(log_dir), size_guidance={"tensors": 0}).Reload()


def _scalars(log_dir: Path, tag: str) -> dict[int, float]:
    """Step -> value of scalar `tag` in `log_dir`; a step logged twice fails."""
    events = _accumulator(log_dir).Tensors(tag)
    steps = [e.step for e in events]
    assert len(steps) == len(set(steps)), f"{tag} logged twice at a step: {steps}"
    return {e.step: float(tensor_util.make_ndarray(e.tensor_proto)) for e in events}


def test_killed_and_resumed_run_logs_every_epoch_once_as_in_history(tiny_digits, tmp_path):
    run = tmp_path / "run"
    # SIGKILL at batch 1 of epoch 1 (0-based): the writers are never closed.
    killed = subprocess.run(
        command(tiny_digits, run, 2, "--kill-at", "1:1"), capture_output=True, timeout=300
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    train("cnn_lstm", tiny_digits, run, epochs=2, verbose=2, **TINY_RUN)

    history = RunDir(run).read_history()
    assert [row["epoch"] for row in history] == [0, 1]
    for split, prefix in (("train", ""), ("validation", "val_")):
        for metric in ("loss", "accuracy"):
            logged = _scalars(run / "logs" / split, f"epoch_{metric}")
            expected = {int(row["epoch"]): row[prefix + metric] for row in history}
            assert logged.keys() == expected.keys()
            for epoch, value in expected.items():
                assert np.float32(logged[epoch]) == np.float32(value), (split, metric, epoch)
    rates = _scalars(run / "logs" / "train", "epoch_learning_rate")
    assert [np.float32(r) for r in rates.values()] == [
        np.float32(row["learning_rate"]) for row in history
    ]


def test_tune_logs_each_trial_with_its_hyperparameters(tiny_digits, tmp_path):
    space = {"units": [8, 16], "learning_rate": (1e-3, 3e-3, "log")}
    run = tune(
        "cnn_lstm",
        tiny_digits,
        tmp_path / "run",
        algorithm="random",
        max_trials=1,
        final_epochs=1,
        space=space,
        epochs=1,
        verbose=2,
        **TINY_RUN,
    )
    (trial,) = json.loads((run / "tuning.json").read_text())["trials"]
    logs = trial_logs(run) / trial["trial"] / "execution0"
    assert _scalars(logs / "validation", "epoch_loss") == {0: trial["val_loss"]}
    assert list(_scalars(logs / "train", "epoch_loss")) == [0]
    hparams = _accumulator(logs).PluginTagToContent("hparams")
    session = next(
        data.session_start_info
        for data in map(plugin_data_pb2.HParamsPluginData.FromString, hparams.values())
        if data.HasField("session_start_info")
    )
    assert session.hparams["units"].number_value == trial["values"]["units"]
    assert session.hparams["learning_rate"].number_value == trial["values"]["learning_rate"]
