"""MkDocs hooks: the course notebooks become pages of the site (`mkdocs build`, see mkdocs.yml).

The notebooks live in `notebooks/`, beside `docs/`, and the Markdown pages link
to them as `../notebooks/NAME.ipynb`, so that the links work when the files are
read in the repository. The site serves them as `notebooks/NAME/`, rendered by
mkdocs-jupyter without running them.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

REPO = Path(__file__).parents[1]


@event_priority(100)  # before mkdocs-jupyter turns notebooks into pages
def on_files(files: Files, config) -> Files:
    """Adds every notebook as `notebooks/NAME.ipynb`."""
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        files.append(
            File(
                f"notebooks/{notebook.name}",
                src_dir=str(REPO),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files


def on_page_markdown(markdown: str, page, config, files: Files) -> str:
    """Points `../notebooks/NAME.ipynb` links (relative to the repository) at the site's copy."""
    up = "../" * page.file.src_uri.count("/")
    return markdown.replace(f"]({up}../notebooks/", f"]({up}notebooks/")
