"""`digit_events` at smoke size, as the course and the tests use it: a short training learns.

Five epochs of `c3d` (the recipe of `recipe.RECIPES["digit_events"]` otherwise: the
learning rate decays to 0 over the five) take under a minute on 2 CPU cores (48 s
measured on 2026-12-06) and reached 0.75 on the test split; the test asks 0.60, more
than seven times chance (1/12). The full 15 epochs are in the model card (0.867).
"""

from __future__ import annotations

import dataclasses

from zoo.models import recipe

SMOKE = dataclasses.replace(recipe.RECIPES["digit_events"], epochs=5)


def test_five_epochs_of_c3d_learn_the_events_well_above_chance(digit_events_dir):
    result = recipe.train("c3d", digit_events_dir, SMOKE)
    accuracy = recipe.accuracy(result.model, *recipe.clips(digit_events_dir, "test", SMOKE))
    assert accuracy >= 0.60, accuracy
