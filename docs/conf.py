"""Sphinx configuration of the bayesgrok documentation (``make docs``).

The site is the user guide, a tutorial, an API reference generated from the docstrings
(autosummary + numpydoc), a gallery of small examples run at build time (sphinx-gallery)
and the page of reproduced figures. ``make docs GALLERY=0`` (as CI does) builds everything
without running the gallery's examples.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version as _version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "sphinxext"))
os.environ.setdefault("MPLBACKEND", "Agg")

project = "bayesgrok"
author = "the bayesgrok authors"
copyright = "2026, the bayesgrok authors"
release = _version("bayesgrok")
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "examples/README.rst", "**.ipynb_checkpoints", "auto_examples/*.md5"]
html_static_path = ["_static"]

# the API reference: one page per module, generated on every build
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # numpydoc shows the types from the docstrings
autodoc_default_options = {"member-order": "bysource"}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# the user guide is Markdown (docs/guide.md, also read on GitHub)
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.xref_missing", "myst.header"]

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    # every example runs a tiny study in seconds; `make docs GALLERY=0` skips running them
    "plot_gallery": os.environ.get("BAYESGROK_DOCS_GALLERY", "1") != "0",
    # bayesgrok's figures are matplotlib Figures made without pyplot: collect those too
    "image_scrapers": ("matplotlib", "gallery_figures.figure_scraper"),
    "reset_modules": ("matplotlib", "gallery_figures.forget_figures"),
}

html_theme = "pydata_sphinx_theme"
html_title = f"bayesgrok {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False


def _skip_type_aliases(app, what, name, obj, skip, options):
    """Leave out module-level aliases such as ``Probes = dict[...]``.

    Python reports ``dict[...]`` as a class, so autodoc would try (and fail) to give it a
    signature; the alias is described where it is used.
    """
    import types

    if isinstance(obj, types.GenericAlias):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_type_aliases)
