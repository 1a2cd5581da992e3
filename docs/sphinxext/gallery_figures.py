"""Gallery figures made without pyplot: sphinx-gallery's scraper for bayesgrok's plots.

bayesgrok's plot functions return :class:`matplotlib.figure.Figure` objects that pyplot
does not know, so sphinx-gallery's own matplotlib scraper would not see them.
"""

from __future__ import annotations

_SCRAPED: set[int] = set()


def forget_figures(gallery_conf, fname):
    """Start every example with no figure counted as shown."""
    _SCRAPED.clear()


def figure_scraper(block, block_vars, gallery_conf):
    """Save the :class:`~matplotlib.figure.Figure` objects a code block left in its
    variables (bayesgrok's plot functions return figures that pyplot does not know)."""
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    figures = [v for v in block_vars["example_globals"].values()
               if isinstance(v, Figure) and id(v) not in _SCRAPED
               and v.canvas.manager is None]  # pyplot's own are the matplotlib scraper's
    paths = []
    for fig, path in zip(figures, block_vars["image_path_iterator"], strict=False):
        fig.savefig(path, dpi=90)
        _SCRAPED.add(id(fig))
        paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])
