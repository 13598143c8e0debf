"""Keeps TensorFlow's own log lines off the command line's stderr, unless asked for.

On a machine without a GPU, `import tensorflow` prints lines like these before
a command says anything, and the first op adds one more:

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:... port.cc:153] oneDNN custom operations are on. ...
    I0000 00:00:... cudart_stub.cc:31] Could not find cuda drivers on your machine, ...
    E0000 00:00:... cuda_platform.cc:52] failed call to cuInit: ...

`TF_CPP_MIN_LOG_LEVEL` does not hide the first three: absl writes them
before it applies that level. So `quiet_tensorflow()`:

- sets `TF_CPP_MIN_LOG_LEVEL=2` (unless it is set): C++ INFO and WARNING lines
  printed later (`local_rendezvous.cc`, ...) are hidden, ERROR lines show;
- makes the first `import tensorflow`, wherever it happens, run with file
  descriptor 2 sent to a temporary file, and find its devices there too (that
  is where `cuInit` fails). The file is dropped, or replayed on stderr when the
  import raises. Commands that never import TensorFlow (`zoo scan`) do not
  pay for it;
- sets the Python `tensorflow` logger to ERROR, and ignores the Python
  warnings in `NOISY_WARNINGS`.

Numerics do not change: oneDNN stays on (`TF_ENABLE_ONEDNN_OPTS` is left
alone), only its notice is hidden. `zoo --verbose ...` (before or after the
command name) or `ZOO_VERBOSE=1` lets TensorFlow speak: it sets
`TF_CPP_MIN_LOG_LEVEL=0` and changes nothing else.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from types import ModuleType

VERBOSE_FLAG = "--verbose"
VERBOSE_ENV = "ZOO_VERBOSE"
QUIET_LEVEL = "2"  # TF_CPP_MIN_LOG_LEVEL: 1 hides INFO, 2 also WARNING, 3 also ERROR
# Starts of Python warnings that say nothing to a `zoo` user.
NOISY_WARNINGS = (
    # Keras, at the end of an epoch of a finite tf.data set (zoo train's are finite).
    "Your input ran out of data",
)


def take_verbose_flag(argv: Sequence[str]) -> tuple[list[str], bool]:
    """`argv` without `--verbose` (wherever it is, up to a `--`), and whether to be verbose.

    Verbose when the flag was there or `ZOO_VERBOSE` is set to anything but "" or "0".
    """
    argv = list(argv)
    end = argv.index("--") if "--" in argv else len(argv)
    rest = [arg for arg in argv[:end] if arg != VERBOSE_FLAG] + argv[end:]
    verbose = len(rest) < len(argv) or os.environ.get(VERBOSE_ENV, "") not in ("", "0")
    return rest, verbose


def quiet_tensorflow(verbose: bool = False) -> None:
    """Hides TensorFlow's log lines from here on, or with `verbose` lets them all through.

    Call it before TensorFlow is imported: the lines of an import already done
    have been printed.
    """
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _QuietImport)]
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", QUIET_LEVEL)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    for message in NOISY_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=UserWarning)
    waiting = any(isinstance(f, _QuietImport) for f in sys.meta_path)
    if "tensorflow" not in sys.modules and not waiting:
        sys.meta_path.insert(0, _QuietImport())


@contextlib.contextmanager
def stderr_held_back() -> Iterator[None]:
    """Keeps what Python, C and C++ write to stderr in the block in a temporary file.

    The file is dropped when the block succeeds, and written to stderr when it
    raises, so that the reason for the error stays visible.
    """
    with tempfile.TemporaryFile() as held:
        try:
            with _stderr_to(held.fileno()):
                yield
        except BaseException:
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise


@contextlib.contextmanager
def _stderr_to(fd: int) -> Iterator[None]:
    """Points file descriptor 2 at `fd` for the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(fd, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` where Python's path finder does, with a loader that keeps stderr
    held back. It leaves `sys.meta_path` when TensorFlow is loaded."""

    def find_spec(self, name, path, target=None):
        if name != "tensorflow":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader, self)
        return spec


class _QuietLoader(importlib.abc.Loader):
    """Runs TensorFlow's loader with stderr held back, then has TensorFlow find its devices."""

    def __init__(self, loader: importlib.abc.Loader, finder: _QuietImport) -> None:
        self.loader = loader
        self.finder = finder

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        module.__loader__ = module.__spec__.loader = self.loader  # the real one, from now on
        with stderr_held_back():
            self.loader.exec_module(module)
            module.config.list_physical_devices()
