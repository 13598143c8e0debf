"""Atomic writes: an export appears at its path complete, or not at all.

    with atomic_output(path) as tmp:
        write_everything_to(tmp)      # a file or a directory

`tmp` lies beside `path` (same file system, so the final step is a rename).
If the block raises, `tmp` is removed and whatever was at `path` before is
left untouched.

A folder that gains many files at once (the shards of `zoo convert`, the
embeddings of a Beam `zoo embed`) takes them from a `staging_folder` inside
it, by `move_files`: renames, once everything is written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a fresh path beside `path` (nothing there yet); moves it to `path` on success.

    An existing `path` is replaced: a file by one rename; a directory is first
    renamed aside and deleted only once the new one is in place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    tmp = staging / path.name
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written for {path}")
        if path.is_dir() and not path.is_symlink():
            old = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
            path.rename(old)
            try:
                tmp.rename(path)
            except OSError:
                old.rename(path)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        _remove(staging)


@contextlib.contextmanager
def staging_folder(out: Path, prefix: str = ".convert-") -> Iterator[Path]:
    """A new temporary folder inside `out`, removed on exit with whatever is left in it.

    `out` is made if missing, and removed again if it is still empty then.
    """
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=out))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if made and not any(out.iterdir()):
            out.rmdir()


def move_files(staging: Path, out: Path) -> None:
    """Moves every file of `staging` to the same place under `out` (renames, no copies)."""
    for file in sorted(p for p in staging.rglob("*") if p.is_file()):
        target = out / file.relative_to(staging)
        target.parent.mkdir(exist_ok=True)
        os.replace(file, target)
