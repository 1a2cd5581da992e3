"""Per-seed summaries of a trajectory or study: onsets, gap, final accuracies, status."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from bayesgrok.analysis.onsets import final_values, grokking_gap

__all__ = ["summarize", "summary_table", "swept_parameters"]

_METRICS = ("train_accuracy", "val_accuracy", "train_mse", "val_mse")
_GAP_COLUMNS = ("train_onset", "val_onset", "gap", "train_crossed", "val_crossed")


def swept_parameters(ds: xr.Dataset) -> list[str]:
    """The swept parameters of a study dataset: every non-index coordinate on ``run`` alone.

    Parameters
    ----------
    ds
        A study dataset (or any dataset; without ``run`` the list is empty).

    Returns
    -------
    list of str
        Coordinate names, in the dataset's order.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> swept_parameters(combine({"a": example(), "b": example()}, {"lr": [0.1, 0.2]}))
    ['lr']
    >>> swept_parameters(example())
    []
    """
    from bayesgrok.sweep_selection import swept_coordinates

    return swept_coordinates(ds)


def per_seed_variables(ds: xr.Dataset) -> list[str]:
    """Numeric variables recorded once per seed (and run), such as sampler diagnostics.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"rhat_max": ("seed", [1.0]), "status": ("seed", ["ok"]),
    ...                  "error": (("seed", "step"), np.zeros((1, 2)))})
    >>> per_seed_variables(ds)
    ['rhat_max']
    """
    return [
        str(name)
        for name, var in ds.data_vars.items()
        if set(var.dims) in ({"seed"}, {"run", "seed"})
        and np.issubdtype(var.dtype, np.number)
    ]


def summarize(
    ds: xr.Dataset, threshold: float = 0.95, *, mse_threshold: float | None = None
) -> xr.Dataset:
    """Onsets, gap, final accuracies (or MSEs) and status for every seed (and run).

    Parameters
    ----------
    ds
        A trajectory or study dataset.
    threshold
        Accuracy threshold for the onsets (see :func:`bayesgrok.analysis.grokking_gap`).
    mse_threshold
        MSE threshold, needed for regression trajectories without accuracy.

    Returns
    -------
    xarray.Dataset
        The variables of :func:`~bayesgrok.analysis.grokking_gap` plus ``final_<name>`` for
        each of ``train_accuracy``, ``val_accuracy``, ``train_mse``, ``val_mse`` that
        ``ds`` has, and ``status``; every dimension of ``ds`` except ``step`` is kept, and
        so are the swept coordinates on ``run``. Attributes are those of the gap.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> s = summarize(example())
    >>> sorted(s.data_vars)  # doctest: +NORMALIZE_WHITESPACE
    ['final_train_accuracy', 'final_val_accuracy', 'gap', 'status', 'train_crossed',
     'train_onset', 'val_crossed', 'val_onset']
    """
    gap = grokking_gap(ds, threshold, mse_threshold=mse_threshold)
    metrics = [name for name in _METRICS if name in ds.data_vars]
    lengths = ["total_steps"] if "total_steps" in ds.data_vars else []  # runs' own ends
    finals = final_values(ds[metrics + lengths])
    per_seed = per_seed_variables(ds)
    out = xr.merge([gap, finals, ds[["status", *per_seed]]], combine_attrs="drop_conflicts")
    out.attrs = dict(gap.attrs)
    return out


def summary_table(
    ds: xr.Dataset, threshold: float = 0.95, *, mse_threshold: float | None = None
) -> pd.DataFrame:
    """The summary as a table: one row per (run, seed), or per seed for a single run.

    Parameters
    ----------
    ds
        A trajectory or study dataset.
    threshold
        Accuracy threshold for the onsets.
    mse_threshold
        MSE threshold, needed for regression trajectories without accuracy.

    Returns
    -------
    pandas.DataFrame
        Columns, in order: ``run`` (if present), each swept parameter (see
        :func:`swept_parameters`), ``seed``, ``status``, ``train_onset``, ``val_onset``,
        ``gap``, ``train_crossed``, ``val_crossed``, then ``final_train_accuracy``,
        ``final_val_accuracy``, ``final_train_mse``, ``final_val_mse`` (those present). The
        threshold and metric are in ``DataFrame.attrs``.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> study = combine({"a": example(), "b": example()}, {"lr": [0.1, 0.2]})
    >>> table = summary_table(study)
    >>> print(table[["run", "lr", "seed", "status", "gap"]].to_string(index=False))
    run  lr  seed status  gap
      a 0.1     0     ok   90
      a 0.1     1     ok   90
      b 0.2     0     ok   90
      b 0.2     1     ok   90
    """
    summary = summarize(ds, threshold, mse_threshold=mse_threshold)
    swept = swept_parameters(summary)
    index = [dim for dim in ("run", "seed") if dim in summary.dims]
    extra = [dim for dim in summary.dims if dim not in index]
    keep = [
        "status",
        *_GAP_COLUMNS,
        *(f"final_{name}" for name in _METRICS if f"final_{name}" in summary),
    ]
    keep += [name for name in per_seed_variables(summary) if name not in keep]
    frame = summary[keep].to_dataframe(dim_order=[*index, *extra]).reset_index()
    for name in swept:
        if name not in frame.columns:  # to_dataframe keeps non-index coords; be sure
            frame[name] = summary[name].to_series().reindex(frame["run"]).to_numpy()
    leading = ["run"] if "run" in summary.dims else []
    columns = [*leading, *swept, "seed", *extra, *keep]
    frame = frame[columns]
    frame["status"] = frame["status"].astype(str)
    frame.attrs = dict(summary.attrs)
    return frame
