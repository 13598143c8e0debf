"""Reading a built data set folder in tests: its manifest rows and a digest of every file."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path


def manifest_rows(root: Path) -> list[dict[str, str]]:
    with open(root / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def file_digests(root: Path) -> dict[str, str]:
    """Relative path -> SHA-1 of every file under `root`: equal dicts mean equal bytes."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
