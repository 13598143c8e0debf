"""Hardware set-up for a run: distribution strategy, mixed precision, XLA and seeds.

Everything here is decided from the machine, so one command runs unchanged
on a laptop CPU, a multi-GPU box or a cluster of workers.
"""

from __future__ import annotations

import json
import os

import keras
import tensorflow as tf


def has_gpu() -> bool:
    """Whether TensorFlow sees at least one GPU."""
    return bool(tf.config.list_physical_devices("GPU"))


def choose_strategy() -> tf.distribute.Strategy:
    """The strategy the hardware calls for.

    `MultiWorkerMirroredStrategy` when `TF_CONFIG` names a cluster (one process
    per machine), `MirroredStrategy` for several local GPUs, else the default
    one-device strategy. Call it before any other TensorFlow work: a
    multi-worker strategy must be created before the runtime starts.
    """
    if "TF_CONFIG" in os.environ:
        from zoo.training import multiworker

        multiworker.patch_keras()
        return tf.distribute.MultiWorkerMirroredStrategy()
    if len(tf.config.list_physical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def non_chief_name() -> str | None:
    """`"worker-1"` and the like for a non-chief process of a `TF_CONFIG` cluster, else None.

    The chief is the task of type "chief", or worker 0 when the cluster has no chief.
    Only the chief writes the run folder; the others write under `workers/<name>/`.
    """
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    task = config.get("task", {})
    kind, index = task.get("type", "chief"), int(task.get("index", 0))
    if kind == "chief" or (
        kind == "worker" and index == 0 and "chief" not in config.get("cluster", {})
    ):
        return None
    return f"{kind}-{index}"


def accelerate(gpu: bool | None = None, deterministic: bool = False) -> bool:
    """Sets the global dtype policy; returns whether to XLA-compile (`jit_compile`).

    With a GPU (`gpu=None`: whether TensorFlow sees one) the policy becomes
    `mixed_float16` (float16 compute, float32 weights; Keras then scales the
    loss) and the answer is True, unless the run is `deterministic`: Keras
    allows no XLA under op determinism (it would turn it off with a warning).
    Both only pay off on an accelerator: on a CPU float16 is slower and XLA
    compilation costs more than it saves, so the CPU keeps float32 and no XLA.
    `gpu=True` forces the GPU set-up anywhere (the tests run it on a CPU).
    """
    if gpu is None:
        gpu = has_gpu()
    keras.mixed_precision.set_global_policy("mixed_float16" if gpu else "float32")
    return gpu and not deterministic


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seeds Python, NumPy and TensorFlow; `deterministic` also makes TF ops deterministic.

    With op determinism on, two runs with the same seed on the same machine
    give bit-identical weights (on a GPU some ops become slower or refuse).
    """
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
