"""bayesgrok: grokking across model families.

Importing bayesgrok registers the ``sweep`` accessor on :class:`xarray.Dataset`
(``ds.sweep.sel(complexity_weight=1.0, start="B")``, see :mod:`bayesgrok.sweep_selection`).
"""

from bayesgrok import sweep_selection as _sweep_selection  # noqa: F401  (registers ds.sweep)
