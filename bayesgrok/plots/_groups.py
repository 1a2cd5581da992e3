"""Helpers for figures drawn one panel per group of runs (private).

A *group* is the value of a per-run variable or coordinate (the family by default): runs
of different groups are never drawn on the same pair of axes, because their errors and
complexities are not on a common scale.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayesgrok.plots._common import run_title

#: Colours for runs within one panel: saturated, and orange and green (the LEHC and LELC
#: shades of the region figures) last.
RUN_COLORS = ("C0", "C3", "C4", "C5", "C6", "C9", "C8", "C7", "C1", "C2")


def run_groups(ds: xr.Dataset, group: str) -> dict[str, list[object]]:
    """The runs of ``ds`` by the value of the per-run ``group`` variable, in first-seen order.

    A dataset without ``run`` is one group of one run (``None``), named by its attribute
    ``group`` when it has one; a study without the variable is one group ``"all"``.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> study = combine({"a": example(), "b": example()}, {"lr": [0.1, 0.2]})
    >>> run_groups(study, "family")
    {'example': ['a', 'b']}
    >>> run_groups(example(), "family")
    {'example': [None]}
    """
    if "run" not in ds.dims:
        return {str(ds.attrs.get(group, "all")): [None]}
    runs = list(ds["run"].values)
    if group not in ds.variables or ds[group].dims != ("run",):
        return {"all": runs}
    out: dict[str, list[object]] = {}
    for run, value in zip(runs, ds[group].values, strict=True):
        out.setdefault(str(value), []).append(run)
    return out


def run_label(ds: xr.Dataset, run: object, group: str) -> str:
    """The run's title (:func:`~bayesgrok.plots._common.run_title`) without the group's value,
    which its panel already names; the full title when nothing else would be left.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> study = combine({"a": example(), "b": example()}, {"lr": [0.1, 0.2]})
    >>> study = study.assign_coords(family=("run", ["x", "y"]))
    >>> run_label(study, "a", "family"), run_title(study, "a")
    ('lr=0.1', 'family=x, lr=0.1')
    """
    if run is None:
        return str(ds.attrs.get("run_id", "run"))
    if group in ds.coords and ds[group].dims == ("run",):
        label = run_title(ds.drop_vars(group), run)
        if label:
            return label
    return run_title(ds, run) or str(run)


def run_color(index: int) -> str:
    """The colour of the ``index``-th run of a panel (cycling after ten).

    Examples
    --------
    >>> run_color(0), run_color(10)
    ('C0', 'C0')
    """
    return RUN_COLORS[index % len(RUN_COLORS)]


def symlog_threshold(values: object, fallback: float = 1e-3) -> float:
    """The linear range of a symlog axis: half the smallest positive finite value, rounded
    down to a power of ten, so that zero shows, every non-zero value lies on the
    logarithmic part and the ticks fall on decades.

    Examples
    --------
    >>> symlog_threshold([0.0, 0.02, 0.5, float("nan")]), symlog_threshold([0.0])
    (0.01, 0.001)
    >>> symlog_threshold([0.005, 1.0])
    0.001
    """
    finite = np.asarray(values, dtype=float).ravel()
    positive = finite[np.isfinite(finite) & (finite > 0)]
    if not positive.size:
        return fallback
    return float(10.0 ** np.floor(np.log10(positive.min() / 2) + 1e-9))
