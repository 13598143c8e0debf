"""One short real training run per video model on a small moving_digits: the loss falls.

Budget: 48 training videos, 3 epochs (9 steps of 16 clips) per model, a few
seconds to about 30 s each on one CPU core. After so few steps batch-norm
statistics are not settled, so this run asserts learning (falling loss), not
accuracy. The accuracy bar (>= 90 % for every temporal model on the default
data set, after the full recipe) is `test_pretrained.py`, which re-measures
the shipped weights; their cards state the CPU training time.
"""

from __future__ import annotations

import pytest

from zoo.models import available, recipe

SHORT = recipe.Recipe(epochs=3)


@pytest.fixture(scope="module")
def small_digits_dir(tmp_path_factory):
    """`moving_digits` with 48 training videos (direction labels)."""
    from zoo.datasets import make

    out = tmp_path_factory.mktemp("data") / "small_digits"
    return make("moving_digits", out, show_progress=False, videos_per_split=(48, 8, 8))


@pytest.mark.parametrize("name", available(task="video"))
def test_short_training_run_lowers_the_loss(name, small_digits_dir):
    result = recipe.train(name, small_digits_dir, SHORT)
    assert result.losses[-1] < result.losses[0], result.losses
