"""The docs site builds with `mkdocs build --strict`: no broken link, no missing page or picture."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).parents[1]


def _nav_pages(nav: list) -> list[str]:
    """Every page file named in mkdocs.yml's `nav`, in order."""
    pages = []
    for entry in nav:
        for value in entry.values() if isinstance(entry, dict) else [entry]:
            pages += _nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_site_builds_strict_with_every_page_and_notebook(tmp_path):
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    config = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    pages = _nav_pages(config["nav"])
    notebooks = sorted(f"notebooks/{p.name}" for p in (REPO / "notebooks").glob("*.ipynb"))
    assert [p for p in pages if p.startswith("notebooks/")] == notebooks  # the whole course
    for page in pages:
        built = site / (page.rsplit(".", 1)[0].removesuffix("index")) / "index.html"
        assert built.is_file(), page
    assert (site / "datasets" / "digit_events.png").stat().st_size > 10_000
    # the API reference is rendered from the docstrings
    assert "video_dataset" in (site / "api" / "data" / "index.html").read_text()
