"""Threshold crossings, onsets and the grokking gap.

The grokking gap is the first step at which validation accuracy exceeds a threshold (0.95
by default) minus the first step at which training accuracy exceeds it. A metric that never
crosses counts as the total number of steps, i.e. the last logged step value. "Exceeds" is
strict: a value exactly at the threshold does not count, and NaN never counts.

Every function here works along a named dimension (``step`` by default) and keeps every
other dimension (``run``, ``seed``, ...) of its input.
"""

from __future__ import annotations

from typing import Literal

import xarray as xr

Direction = Literal["up", "down"]

__all__ = ["crossed", "final_values", "grokking_gap", "onset"]


def _crossing(da: xr.DataArray, threshold: float, direction: str, dim: str) -> xr.DataArray:
    """Boolean mask: where ``da`` is strictly past ``threshold`` (NaN gives False)."""
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
    if dim not in da.dims:
        raise ValueError(f"{da.name or 'array'!s} has no dimension {dim!r} (dims: {da.dims})")
    # Comparisons with NaN are False, so NaN never counts as a crossing.
    return da > threshold if direction == "up" else da < threshold


def crossed(
    da: xr.DataArray, threshold: float, direction: Direction = "up", dim: str = "step"
) -> xr.DataArray:
    """Whether ``da`` ever goes strictly past ``threshold`` along ``dim``.

    Parameters
    ----------
    da
        The measurement, for example ``val_accuracy``.
    threshold
        The level to cross. Reaching it exactly does not count.
    direction
        ``"up"``: strictly above; ``"down"``: strictly below.
    dim
        The dimension to search along.

    Returns
    -------
    xarray.DataArray
        Boolean, with every dimension of ``da`` except ``dim``.

    Raises
    ------
    ValueError
        If ``direction`` is not ``"up"`` or ``"down"``, or ``da`` has no dimension ``dim``.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> crossed(example()["val_accuracy"], 0.95).values.tolist()
    [True, True]
    >>> crossed(example()["val_accuracy"], 1.0).values.tolist()
    [False, False]
    """
    out = _crossing(da, threshold, direction, dim).any(dim)
    return out.rename(f"{da.name}_crossed" if da.name is not None else "crossed")


def onset(
    da: xr.DataArray,
    threshold: float,
    direction: Direction = "up",
    dim: str = "step",
    *,
    total: xr.DataArray | int | None = None,
) -> xr.DataArray:
    """The coordinate value of ``dim`` at which ``da`` first goes strictly past ``threshold``.

    Parameters
    ----------
    da
        The measurement, for example ``train_accuracy``.
    threshold
        The level to cross. Reaching it exactly does not count; NaN never counts.
    direction
        ``"up"``: first value strictly above; ``"down"``: first value strictly below.
    dim
        The dimension to search along; its coordinate values (steps) are returned.
    total
        What a never-crossing metric counts as (per run, say); default the last
        coordinate value of ``dim``.

    Returns
    -------
    xarray.DataArray
        With every dimension of ``da`` except ``dim``, in the dtype of the ``dim``
        coordinate (int64 for ``step``). Where ``da`` never crosses, the last coordinate
        value of ``dim`` (the total number of steps). In a study dataset whose runs were
        logged at different steps, that is the last step of the combined ``step`` axis.

    Raises
    ------
    ValueError
        If ``direction`` is not ``"up"`` or ``"down"``, ``da`` has no dimension ``dim``,
        or ``dim`` is empty.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> ds = example()
    >>> onset(ds["train_accuracy"], 0.95).values.tolist()
    [10, 10]
    >>> onset(ds["val_accuracy"], 1.0).values.tolist()  # never strictly above 1: last step
    [100, 100]
    """
    mask = _crossing(da, threshold, direction, dim)
    if da.sizes[dim] == 0:
        raise ValueError(f"dimension {dim!r} is empty")
    coord = da[dim]
    first = mask.idxmax(dim)  # the first True; the first coordinate value when none is True
    last = coord.isel({dim: -1}, drop=True) if total is None else total
    out = xr.where(mask.any(dim), first, last).astype(coord.dtype)
    out = out.drop_vars(dim, errors="ignore")
    return out.rename(f"{da.name}_onset" if da.name is not None else "onset")


def grokking_gap(
    ds: xr.Dataset, threshold: float = 0.95, *, mse_threshold: float | None = None
) -> xr.Dataset:
    """Training and validation onsets and the grokking gap between them.

    Accuracy is used (upward crossing of ``threshold``) when the dataset has
    ``train_accuracy`` and ``val_accuracy``. Otherwise, for a regression trajectory, mean
    squared error is used (downward crossing of ``mse_threshold``, which is then required).
    Passing ``mse_threshold`` explicitly asks for the MSE gap even when accuracy is present
    (regression trajectories may also record sign accuracy).

    Parameters
    ----------
    ds
        A trajectory or study dataset (dims ``seed``, ``step`` and possibly ``run``).
    threshold
        Accuracy threshold; an onset is the first step strictly above it.
    mse_threshold
        MSE threshold; an onset is the first step strictly below it.

    Returns
    -------
    xarray.Dataset
        Variables ``train_onset``, ``val_onset`` (steps; the last step where never
        crossed), ``gap`` (``val_onset - train_onset``), ``train_crossed`` and
        ``val_crossed`` (bool), with every dimension of ``ds`` except ``step``. Attributes
        ``metric`` (``"accuracy"`` or ``"mse"``), ``threshold`` (the level used),
        ``direction`` and ``total_steps`` (the last logged step).

    Raises
    ------
    ValueError
        If the dataset has neither accuracy nor MSE variables, if MSE is to be used and
        ``mse_threshold`` is missing, or if ``mse_threshold`` is given and the dataset has
        no MSE variables.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> gap = grokking_gap(example())
    >>> gap["train_onset"].values.tolist(), gap["val_onset"].values.tolist()
    ([10, 10], [100, 100])
    >>> gap["gap"].values.tolist()
    [90, 90]
    """
    has_acc = "train_accuracy" in ds.data_vars and "val_accuracy" in ds.data_vars
    has_mse = "train_mse" in ds.data_vars and "val_mse" in ds.data_vars
    if mse_threshold is not None:
        if not has_mse:
            raise ValueError(
                "mse_threshold was given but the dataset has no 'train_mse' and 'val_mse'"
            )
        metric, level, direction = "mse", float(mse_threshold), "down"
    elif has_acc:
        metric, level, direction = "accuracy", float(threshold), "up"
    elif has_mse:
        raise ValueError(
            "this dataset has no 'train_accuracy'/'val_accuracy'; the grokking gap on "
            "'train_mse'/'val_mse' needs mse_threshold (the MSE an onset must go below)"
        )
    else:
        raise ValueError(
            "the grokking gap needs 'train_accuracy' and 'val_accuracy' "
            "(or 'train_mse' and 'val_mse' with mse_threshold)"
        )
    train, val = ds[f"train_{metric}"], ds[f"val_{metric}"]
    total = total_steps(ds)
    train_onset = onset(train, level, direction, total=total)
    val_onset = onset(val, level, direction, total=total)
    out = xr.Dataset(
        {
            "train_onset": train_onset,
            "val_onset": val_onset,
            "gap": val_onset - train_onset,
            "train_crossed": crossed(train, level, direction),
            "val_crossed": crossed(val, level, direction),
        }
    )
    word = "above" if direction == "up" else "below"
    never = "the last step if never"
    out["train_onset"].attrs = {
        "units": "steps",
        "description": f"first step train_{metric} is strictly {word} {level}; {never}",
    }
    out["val_onset"].attrs = {
        "units": "steps",
        "description": f"first step val_{metric} is strictly {word} {level}; {never}",
    }
    out["gap"].attrs = {"units": "steps", "description": "val_onset - train_onset"}
    out.attrs = {
        "metric": metric,
        "threshold": level,
        "direction": direction,
        "total_steps": int(total.max()) if isinstance(total, xr.DataArray) else int(total),
    }
    return out


def total_steps(ds: xr.Dataset) -> xr.DataArray | int:
    """The length of each run in steps: ``total_steps`` per run in a study dataset, the
    attribute of a single trajectory, or else the last logged step.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> total_steps(example())
    100
    """
    if "total_steps" in ds.data_vars:
        return ds["total_steps"]
    if "total_steps" in ds.attrs:
        return int(ds.attrs["total_steps"])
    return int(ds["step"].values[-1])


def final_values(ds: xr.Dataset) -> xr.Dataset:
    """The value of every variable with a ``step`` dimension at the last logged step.

    No value is filled in: a seed that diverged (NaN at the end) gives NaN.

    Parameters
    ----------
    ds
        A trajectory or study dataset.

    Returns
    -------
    xarray.Dataset
        One variable ``final_<name>`` per variable ``<name>`` of ``ds`` that has a ``step``
        dimension, with its other dimensions kept. Variables without ``step`` are left out.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> fin = final_values(example())
    >>> fin["final_val_accuracy"].values.tolist()
    [1.0, 1.0]
    >>> "final_status" in fin
    False
    """
    names = [name for name in ds.data_vars if "step" in ds[name].dims]
    total = total_steps(ds)
    if isinstance(total, xr.DataArray):  # runs of different lengths: each run's own end
        last = ds[names].sel(step=total)
    else:
        last = ds[names].isel(step=-1)
    # Drop coordinates that lived on step (step itself, epoch, ...): they are now scalars
    # that would only describe the last step.
    step_coords = [name for name in ds.coords if "step" in ds[name].dims]
    last = last.drop_vars(step_coords, errors="ignore")
    last = last.rename({name: f"final_{name}" for name in names})
    last.attrs = {"step": int(ds["step"].values[-1])} if ds.sizes["step"] else {}
    return last
