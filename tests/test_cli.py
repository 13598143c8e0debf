"""The command line: help, the built-in data sets, and one-line errors for user mistakes."""

from __future__ import annotations

import subprocess
import sys


def _zoo(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "zoo.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_help_lists_the_commands():
    result = _zoo("--help")
    assert result.returncode == 0
    assert "quickstart" in result.stdout and "datasets" in result.stdout


def test_datasets_make_writes_videos_and_manifest(tmp_path):
    result = _zoo("datasets", "make", "moving_digits", "--out", str(tmp_path / "md"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "md" / "manifest.csv").is_file()
    assert len(list((tmp_path / "md").rglob("*.mp4"))) == 768
    assert "making moving_digits" in result.stderr  # the progress bar


def test_user_error_is_one_line_without_traceback():
    result = _zoo("datasets", "make", "no_such_set")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "zoo datasets: error: unknown data set 'no_such_set'; available: moving_digits"
    ]
