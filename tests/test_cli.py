"""The command line: help, the built-in data sets, and one-line errors for user mistakes."""

from __future__ import annotations

import subprocess
import sys

from zoo.datasets import AVAILABLE


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


def test_label_is_an_option_of_moving_digits_only():
    result = _zoo("datasets", "make", "digit_events", "--label", "digit")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "zoo datasets: error: --label is for moving_digits, not digit_events"
    )


def test_user_error_is_one_line_without_traceback():
    result = _zoo("datasets", "make", "no_such_set")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "zoo datasets: error: unknown data set 'no_such_set'; available: "
        + ", ".join(AVAILABLE)  # every built-in set, in registration order
    ]


def test_version():
    result = _zoo("--version")
    assert result.returncode == 0 and result.stdout.strip() == "zoo 0.1.0"


def test_help_of_every_command_shows_the_defaults():
    """Every option with a default says it in `--help` (checked on the parsers, no TensorFlow)."""
    import argparse
    import importlib

    from zoo.cli import COMMANDS, DefaultsShown

    for name, (module_name, _) in COMMANDS.items():
        parser = argparse.ArgumentParser(prog=f"zoo {name}", formatter_class=DefaultsShown)
        importlib.import_module(module_name).add_arguments(parser)
        formatter = parser._get_formatter()
        for action in parser._actions:
            unset = action.default is None or action.default is False
            if action.option_strings and not unset and action.default != argparse.SUPPRESS:
                flag = f"zoo {name} {action.option_strings[0]}"
                assert action.help, f"{flag} has no help"
                assert "default" in formatter._get_help_string(action), flag
