"""zoo: Keras 3 video models, fast tf.data video loaders, and a course on video deep learning.

Sub-packages are imported on use: `zoo.data`, `zoo.datasets`, `zoo.models`, `zoo.export`.
"""

__version__ = "0.1.0"
