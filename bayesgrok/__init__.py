"""bayesgrok: grokking across model families.

``bayesgrok.open_study(folder)`` reads a study's results with its swept values indexed
(``ds.sel(complexity_weight=1.0, start="B")``). Importing bayesgrok registers the ``sweep``
accessor on :class:`xarray.Dataset`, for datasets opened with plain xarray
(``ds.sweep.sel(complexity_weight=1.0, start="B")``, see :mod:`bayesgrok.sweep_selection`).
"""

from bayesgrok import sweep_selection as _sweep_selection  # noqa: F401  (registers ds.sweep)
from bayesgrok.trajectory import open_study

__all__ = ["open_study"]
