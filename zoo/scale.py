"""One switch for the size of every notebook: `ZOO_SCALE=smoke` (default) or `ZOO_SCALE=full`.

Smoke size runs each course notebook in about a minute on a 2-core CPU; full
size trains on more data for longer, for a GPU. A notebook states both sizes
in one place:

    from zoo.scale import pick
    epochs = pick(smoke=4, full=30)
"""

from __future__ import annotations

import os
from typing import TypeVar

ENV_VAR = "ZOO_SCALE"
SCALES = ("smoke", "full")

T = TypeVar("T")


def scale() -> str:
    """The chosen size, "smoke" or "full", read from `$ZOO_SCALE` (unset or empty: "smoke").

    Raises:
        ValueError: `$ZOO_SCALE` holds anything else.
    """
    value = os.environ.get(ENV_VAR, "").strip().lower() or "smoke"
    if value not in SCALES:
        raise ValueError(f"{ENV_VAR}={value!r} is not one of {', '.join(SCALES)}")
    return value


def pick(smoke: T, full: T) -> T:
    """`smoke` or `full`, whichever `scale()` chooses."""
    return full if scale() == "full" else smoke
