"""The course notebooks are committed clean: no outputs, no execution counts.

Outputs belong to a run, not to the source: they bloat diffs, go stale, and
can hide that a notebook no longer runs. `pytest --nbval-lax` executes the
notebooks themselves; this test only checks how they are stored.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_course_notebooks_exist():
    names = {path.stem for path in NOTEBOOKS}
    assert {"00_quickstart", "01_video_as_data", "02_math_foundations", "04_cnn"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} hold outputs or execution counts; clear them "
        f"(jupyter nbconvert --clear-output --inplace {path.name})"
    )
