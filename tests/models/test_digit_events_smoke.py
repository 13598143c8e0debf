"""`digit_events` at smoke size, as the course and the tests use it: a short training learns.

Five epochs of `r2plus1d` (the recipe of `recipe.RECIPES["digit_events"]` otherwise) take
one to two minutes on 2 CPU cores (four under load) and reach at least 0.30 on the test
split, more than three times chance (1/12); the full 30 epochs are in the model card.
"""

from __future__ import annotations

import dataclasses

from zoo.models import recipe

SMOKE = dataclasses.replace(recipe.RECIPES["digit_events"], epochs=5)


def test_five_epochs_of_r2plus1d_learn_the_events_well_above_chance(digit_events_dir):
    result = recipe.train("r2plus1d", digit_events_dir, SMOKE)
    accuracy = recipe.accuracy(result.model, *recipe.clips(digit_events_dir, "test", SMOKE))
    assert accuracy >= 0.30, accuracy
