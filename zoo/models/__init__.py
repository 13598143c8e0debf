"""The model zoo: `build(name, num_classes, ...)` and `available()`.

Importing this package imports every builder module, which registers itself.
"""

from zoo.models import cnn_lstm, frame_cnn  # noqa: F401  (registers the builders)
from zoo.models.registry import available, build, entry, register

__all__ = ["available", "build", "entry", "register"]
