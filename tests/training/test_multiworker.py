"""Two `MultiWorkerMirroredStrategy` workers on localhost train one model to identical weights."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import socket
import subprocess

import keras
import numpy as np
from run_training import command

from zoo.training import multiworker


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_end_with_the_same_weights(tiny_digits, tmp_path):
    run = tmp_path / "run"
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    procs = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(tf_config)}
        procs.append(
            subprocess.Popen(
                command(tiny_digits, run, 2),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]

    chief, other = run, run / "workers" / "worker-1"  # only the chief writes the run folder
    for folder in (chief, other):
        config = json.loads((folder / "config.json").read_text())
        # TensorFlow's class behind `tf.distribute.MultiWorkerMirroredStrategy`:
        assert config["strategy"] == "CollectiveAllReduceStrategy" and config["replicas"] == 2
        assert len((folder / "history.csv").read_text().splitlines()) == 3
    one, two = (keras.saving.load_model(f / "checkpoints" / "last.keras") for f in (chief, other))
    # Trainable weights through all-reduced gradients, batch-norm statistics by averaging.
    assert len(one.trainable_weights) > 0 and len(one.non_trainable_weights) > 0
    for a, b in zip(one.weights, two.weights, strict=True):
        assert np.array_equal(a.numpy(), b.numpy()), a.path


def test_the_patched_keras_functions_are_unchanged():
    """`patch_keras` replaces two private Keras functions (keras-team/keras#20585). When a
    Keras release changes either, this fails: check whether the issue is fixed upstream,
    then drop the patch or update it and the hashes in `multiworker.REPLACED`."""
    for function, expected in multiworker.REPLACED.items():
        digest = hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]
        assert digest == expected, (
            f"Keras {keras.__version__} changed {function.__qualname__}, which "
            "zoo.training.multiworker replaces: see keras-team/keras#20585"
        )
