"""Multi-worker training: two Keras 3 fixes, and workers that agree on batch-norm statistics.

Keras 3 (up to at least 3.15) fails under a multi-worker strategy
(keras-team/keras#20585): it reduces a whole batch structure in one
`strategy.reduce` call, and it reduces scalar metrics along `axis=0`. Both
calls work under one-machine strategies, so the fixes below change nothing
else: they route the metrics through per-tensor, axis-free reductions, and
build the model from one replica's part of the first batch. Applied only
when a multi-worker strategy is created, by `patch_keras`, the one place
that touches Keras's private trainer.
`REPLACED` records the source of the Keras functions the fixes were written
against; tests/training/test_multiworker.py fails when a Keras release changes
them, which is the moment to check whether #20585 is fixed and these can go.

Gradients are all-reduced, so trainable weights stay identical on every
worker; batch-norm moving statistics are not trained and would drift apart
(each worker sees its own part of the batch): `AverageStatistics` averages
them over the workers after every epoch.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import tree
from keras.src.backend.tensorflow import trainer

_original_reduce_per_replica = trainer.reduce_per_replica
_original_maybe_symbolic_build = trainer.TensorFlowTrainer._maybe_symbolic_build

# The Keras functions `patch_keras` replaces, and the SHA-256 of their source in Keras 3.15.1.
REPLACED = {
    _original_reduce_per_replica: "2e7d54b1e6edc29a",
    _original_maybe_symbolic_build: "92a504f5eba9b29f",
}


def _mean(value, strategy: tf.distribute.Strategy):
    """The mean of a per-replica value over all replicas of all workers."""
    if isinstance(value, tf.distribute.DistributedValues):
        return strategy.reduce("MEAN", value, axis=None)
    return value


def _one_replica(value, strategy: tf.distribute.Strategy):
    """This worker's first replica's part of a per-replica value: what building the model
    needs (its shape and dtype, no collective, which uint8 clips could not take part in)."""
    if isinstance(value, tf.distribute.DistributedValues):
        return strategy.experimental_local_results(value)[0]
    return value


def _reduce_per_replica(values, strategy: tf.distribute.Strategy, reduction: str):
    if reduction in ("auto", "mean"):
        return tree.map_structure(lambda v: _mean(v, strategy), values)
    return _original_reduce_per_replica(values, strategy, reduction)


def _maybe_symbolic_build(self, iterator=None, data_batch=None):
    if self._distribute_strategy is None:
        return
    if iterator is not None:
        for _, _, it in iterator:
            data_batch = tree.map_structure(
                lambda v: _one_replica(v, self.distribute_strategy), next(it)
            )
            break
    with self.distribute_strategy.scope():
        self._symbolic_build(data_batch=data_batch)


def patch_keras() -> None:
    """Installs both fixes into Keras's TensorFlow trainer (idempotent)."""
    trainer.reduce_per_replica = _reduce_per_replica
    trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build


class AverageStatistics(keras.callbacks.Callback):
    """Sets every non-trainable variable (batch-norm moving mean and variance) to its mean
    over all workers at the end of each epoch. Put it first, before any checkpoint."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        strategy = self.model.distribute_strategy
        for variable in self.model.non_trainable_variables:
            local = strategy.run(lambda v=variable: tf.identity(v.value))
            variable.assign(strategy.reduce("MEAN", local, axis=None))
