"""Sphinx configuration of the winkerberos documentation.

Build with ``scripts/docs.sh`` (``sphinx-build -W --keep-going -n``): any warning fails.
The API reference is autodoc of the *installed* module, so it shows exactly the docstrings
help() shows; the guides include example files that tests/test_guides.py runs.
"""

from __future__ import annotations

import winkerberos

project = "winkerberos"
author = "the winkerberos authors"
release = winkerberos.__version__
version = ".".join(release.split(".")[:2])

extensions = ["sphinx.ext.autodoc", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
# Markdown headings become link targets, so pages can link to each other's sections.
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False}
html_theme = "alabaster"
html_title = f"winkerberos {release}"
html_static_path: list[str] = []
