"""Python stages run by a fixed name: the token a tf.data service worker looks up."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from zoo.data import stages


@stages.register
def double(values: np.ndarray) -> np.ndarray:
    return values * 2


def test_a_registered_stage_runs_by_its_name_in_a_dataset():
    ds = tf.data.Dataset.range(3).map(lambda x: stages.call(double, [x], [tf.int64])[0])
    assert [int(v) for v in ds] == [0, 2, 4]
    # The op names the function by module and name, the same in every process; this
    # fails loudly when TensorFlow changes the private registry `stages` writes into.
    assert stages._tf_registry()[f"{__name__}.double"] is double


def test_a_function_that_was_not_registered_is_refused():
    def local(values):
        return values

    with pytest.raises(ValueError, match="not a registered stage"):
        stages.call(local, [tf.constant(1)], [tf.int32])
    with pytest.raises(ValueError, match="module-level"):
        stages.register(local)
