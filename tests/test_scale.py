"""`zoo.scale`: the one switch between smoke and full size."""

from __future__ import annotations

import pytest

from zoo.scale import pick, scale


def test_smoke_is_the_default(monkeypatch):
    monkeypatch.delenv("ZOO_SCALE", raising=False)
    assert scale() == "smoke"
    assert pick(smoke=1, full=2) == 1


def test_full_is_chosen_by_the_environment(monkeypatch):
    monkeypatch.setenv("ZOO_SCALE", " Full ")
    assert scale() == "full"
    assert pick(smoke=(160, 32, 64), full=(480, 96, 192)) == (480, 96, 192)


def test_an_unknown_scale_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("ZOO_SCALE", "huge")
    with pytest.raises(ValueError, match="ZOO_SCALE='huge' is not one of smoke, full"):
        scale()
