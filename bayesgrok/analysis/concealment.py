"""Concealment: how the grokking gap grows with the number of random bits (REFERENCE A4).

Miller et al. append ``l`` random ``{0, 1}`` bits to the inputs of modular-arithmetic tasks
and fit the grokking gap (in epochs) as ``gap = b exp(a l)``: over all ``(l, gap)`` points,
``y = ln(gap)`` where ``gap > 0`` and ``y = 0`` otherwise, and the least-squares line
``y = ln b + a l``, with the Pearson ``r`` (and its p-value) of ``(l, y)``, pooled over the
tasks and per task.

:func:`fit_exponential_gap` is that fit; :func:`concealment_table` measures the gap of
every run and seed of a study dataset in epochs and :func:`concealment_fit` fits it pooled
and per group (task).

Runs that never generalise
--------------------------
A seed whose validation accuracy never goes above the threshold within the run has no
finite gap. By default (``censored="include"``) it enters the fit with its *censored*
gap, the run's last epoch minus its training onset, the same value the onset functions of
:mod:`bayesgrok.analysis.onsets` give a metric that never crosses. That value is a lower
bound of the true gap, so the fitted growth rate ``a`` is, if anything, underestimated;
dropping such seeds instead (``censored="drop"``) would remove exactly the largest gaps
(the longest-concealed runs at large ``l``) and bias ``a`` down more, and leave some ``l``
with no point at all. Either way the tables say how many seeds were censored
(``n_censored``) or left out (``n_excluded``). Seeds that diverged (status other than
``ok``) are always left out.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from bayesgrok.analysis.onsets import grokking_gap
from bayesgrok.analysis.summary import swept_parameters

__all__ = ["concealment_fit", "concealment_table", "fit_exponential_gap", "log_gap"]

Censored = Literal["include", "drop"]
POOLED = "pooled"
"""The ``group`` label of the fit over all groups together."""


def log_gap(gap: Sequence[float] | np.ndarray) -> np.ndarray:
    """A4's response: ``ln(gap)`` where ``gap > 0``, ``0`` where ``gap <= 0``, NaN stays NaN.

    Examples
    --------
    >>> log_gap([np.e, 1.0, 0.0, -3.0, np.nan]).tolist()
    [1.0, 0.0, 0.0, 0.0, nan]
    """
    gap = np.asarray(gap, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(gap > 0, np.log(np.where(gap > 0, gap, 1.0)), 0.0)
    return np.where(np.isnan(gap), np.nan, y)


def fit_exponential_gap(
    l: Sequence[float] | np.ndarray,  # noqa: E741 - the paper's name for the number of bits
    gap: Sequence[float] | np.ndarray,
) -> dict[str, Any]:
    """Fit ``gap = b exp(a l)`` as in REFERENCE A4.

    ``y = ln(gap)`` if ``gap > 0`` else ``0`` (:func:`log_gap`); ``a`` and ``ln b`` are the
    slope and intercept of the least-squares line ``y = ln b + a l``
    (:func:`scipy.stats.linregress`), ``r`` and ``p`` the Pearson correlation of
    ``(l, y)`` and its two-sided p-value (:func:`scipy.stats.pearsonr`). Pairs with a NaN
    are left out.

    Parameters
    ----------
    l
        The number of extra bits of each point.
    gap
        The grokking gap of each point (epochs in A4).

    Returns
    -------
    dict
        ``a``, ``b``, ``r``, ``p`` (floats) and ``n`` (the number of points used). With
        fewer than two points or a single value of ``l`` every float is NaN; when every
        ``y`` is the same, ``a`` and ``b`` are fitted and ``r``, ``p`` are NaN (undefined).

    Raises
    ------
    ValueError
        If ``l`` and ``gap`` differ in length.

    Examples
    --------
    >>> l = np.array([0, 10, 20, 30, 40])
    >>> fit = fit_exponential_gap(l, 5.0 * np.exp(0.1 * l))
    >>> round(fit["a"], 6), round(fit["b"], 6), round(fit["r"], 6), fit["n"]
    (0.1, 5.0, 1.0, 5)
    >>> fit_exponential_gap([0, 10, 20], [-2.0, 0.0, 1.0])["a"]  # every y is 0: a flat line
    0.0
    """
    l_arr = np.asarray(l, dtype=np.float64).ravel()
    gap_arr = np.asarray(gap, dtype=np.float64).ravel()
    if l_arr.shape != gap_arr.shape:
        raise ValueError(f"l and gap differ in length ({l_arr.size} and {gap_arr.size})")
    keep = np.isfinite(l_arr) & ~np.isnan(gap_arr)
    x, y = l_arr[keep], log_gap(gap_arr[keep])
    out: dict[str, Any] = {"a": np.nan, "b": np.nan, "r": np.nan, "p": np.nan, "n": int(x.size)}
    if x.size < 2 or np.ptp(x) == 0:
        return out
    from scipy import stats  # imported when used: scipy.stats costs 0.4 s to import

    line = stats.linregress(x, y)
    out["a"], out["b"] = float(line.slope), float(np.exp(line.intercept))
    if np.ptp(y) > 0:
        r, p = stats.pearsonr(x, y)
        out["r"], out["p"] = float(r), float(p)
    return out


def _epochs(ds: xr.Dataset, steps: xr.DataArray) -> tuple[xr.DataArray, str]:
    """Steps (run, seed) -> epochs through the ``epoch`` coordinate, per run."""
    if "epoch" not in ds.coords:
        return steps.astype(np.float64), "steps"
    epoch = ds["epoch"]
    out = steps.astype(np.float64).copy()
    for i, run in enumerate(ds["run"].values):
        row = epoch.sel(run=run) if "run" in epoch.dims else epoch
        known = np.isfinite(row.values)
        out[{"run": i}] = np.interp(steps.isel(run=i).values, ds["step"].values[known],
                                    row.values[known])
    return out, "epochs"


def concealment_table(
    ds: xr.Dataset,
    length: str = "n_extra_bits",
    group: str | None = "operation",
    threshold: float = 0.95,
    *,
    censored: Censored = "include",
) -> pd.DataFrame:
    """The grokking gap of every run and seed of a study, in epochs, ready for the A4 fit.

    Onsets are those of :func:`~bayesgrok.analysis.grokking_gap` (first logged step with
    accuracy strictly above ``threshold``), turned into epochs through the trajectory's
    ``epoch`` coordinate (steps are kept, and ``unit`` says so, for a dataset without
    one). See the module docstring for how seeds that never generalise enter the fit.

    Parameters
    ----------
    ds
        A study dataset (dims ``run``, ``seed``, ``step``) with the swept values as
        coordinates on ``run``.
    length
        The coordinate on ``run`` holding the number of extra bits ``l``.
    group
        The coordinate on ``run`` naming the task of each run, or None for none.
    threshold
        Accuracy threshold of the onsets.
    censored
        ``"include"`` (default): a seed whose validation accuracy never crosses enters the
        fit with its censored gap (last epoch minus training onset, a lower bound);
        ``"drop"``: it is left out of the fit.

    Returns
    -------
    pandas.DataFrame
        One row per run and seed: ``run``, the ``group`` and ``length`` values, ``seed``,
        ``status``, ``train_onset`` and ``val_onset`` (epochs), ``gap`` (``val_onset -
        train_onset``), ``train_crossed``, ``val_crossed``, ``censored`` (validation
        never crossed: ``gap`` is a lower bound), ``y`` (``ln gap`` or ``0``, NaN when left
        out), ``in_fit`` and ``unit``. ``attrs`` record ``length``, ``group``,
        ``threshold`` and ``censored``.

    Raises
    ------
    ValueError
        If ``ds`` has no ``run`` dimension, ``length`` or ``group`` is not a coordinate on
        ``run``, or ``censored`` is unknown.

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> ds = combine({"a": example(), "b": example()}, {"n_extra_bits": [0, 10]})
    >>> ds = ds.assign_coords(epoch=("step", ds["step"].values / 10))
    >>> table = concealment_table(ds, "n_extra_bits", group=None)
    >>> cols = ["run", "n_extra_bits", "seed", "train_onset", "gap", "in_fit"]
    >>> print(table[cols].to_string(index=False))  # doctest: +NORMALIZE_WHITESPACE
    run  n_extra_bits  seed  train_onset  gap  in_fit
      a             0     0          1.0  9.0    True
      a             0     1          1.0  9.0    True
      b            10     0          1.0  9.0    True
      b            10     1          1.0  9.0    True
    """
    if censored not in ("include", "drop"):
        raise ValueError(f"censored must be 'include' or 'drop', not {censored!r}")
    if "run" not in ds.dims:
        raise ValueError("concealment_table needs a study dataset (with a 'run' dimension)")
    for what, name in (("length", length), ("group", group)):
        if name is not None and (name not in ds.coords or ds[name].dims != ("run",)):
            swept = swept_parameters(ds)
            raise ValueError(f"{what} {name!r} is not a coordinate on 'run' "
                             f"(swept: {', '.join(swept) or 'none'})")
    gap = grokking_gap(ds, threshold)
    train, unit = _epochs(ds, gap["train_onset"])
    val, _ = _epochs(ds, gap["val_onset"])
    frame = xr.Dataset({
        "train_onset": train, "val_onset": val, "gap": val - train,
        "train_crossed": gap["train_crossed"], "val_crossed": gap["val_crossed"],
        "status": ds["status"].astype(str),
    }).drop_vars([c for c in ds.coords if ds[c].dims == ("run",) and c != "run"],
                 errors="ignore").to_dataframe(dim_order=["run", "seed"]).reset_index()
    index = frame["run"].map({r: i for i, r in enumerate(ds["run"].values)}).to_numpy()
    keys = [n for n in (group, length) if n is not None]
    for name in keys:
        frame[name] = ds[name].values[index]
    frame = frame[["run", *keys, *[c for c in frame.columns if c not in ("run", *keys)]]]
    frame["censored"] = ~frame["val_crossed"].astype(bool)
    frame["in_fit"] = frame["status"] == "ok"
    if censored == "drop":
        frame["in_fit"] &= ~frame["censored"]
    frame["y"] = np.where(frame["in_fit"], log_gap(frame["gap"].to_numpy()), np.nan)
    frame["unit"] = unit
    frame.attrs = {"length": length, "group": group, "threshold": float(threshold),
                   "censored": censored}
    return frame


def concealment_fit(
    table: pd.DataFrame, length: str | None = None, group: str | None = None
) -> pd.DataFrame:
    """The A4 fit of a :func:`concealment_table`, over all points and per group.

    Parameters
    ----------
    table
        A table from :func:`concealment_table` (or its CSV read back).
    length, group
        The columns holding ``l`` and the group; default those recorded in
        ``table.attrs`` (a CSV read back has none: then name them).

    Returns
    -------
    pandas.DataFrame
        One row for the pooled fit (``group == "pooled"``) and one per group, with ``a``,
        ``b``, ``r``, ``p``, ``n`` (the seeds in the fit), ``n_censored`` (of those, how
        many entered with a censored gap) and ``n_excluded`` (seeds left out: diverged, or
        censored under ``censored="drop"``).

    Raises
    ------
    ValueError
        If ``length`` is neither given nor recorded in ``table.attrs``.

    Examples
    --------
    >>> table = pd.DataFrame({"op": ["x"] * 3 + ["y"] * 3, "l": [0, 10, 20] * 2,
    ...                       "gap": [2.0, 4.0, 8.0, 1.0, 3.0, 9.0], "censored": False,
    ...                       "in_fit": True})
    >>> fit = concealment_fit(table, "l", "op")
    >>> fit["group"].tolist(), fit["n"].tolist()
    (['pooled', 'x', 'y'], [6, 3, 3])
    >>> round(float(fit.loc[1, "a"]), 4), round(float(fit.loc[1, "b"]), 4)
    (0.0693, 2.0)
    """
    length = length or table.attrs.get("length")
    group = group if group is not None else table.attrs.get("group")
    if length is None:
        raise ValueError("concealment_fit: name the column holding l (length=...)")
    in_fit = table["in_fit"].astype(bool)
    censored = table["censored"].astype(bool)
    parts: list[tuple[str, pd.Series]] = [(POOLED, pd.Series(True, index=table.index))]
    if group is not None:
        parts += [(str(g), table[group] == g) for g in pd.unique(table[group])]
    rows = []
    for name, mask in parts:
        used = mask & in_fit
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fit = fit_exponential_gap(table.loc[used, length], table.loc[used, "gap"])
        rows.append({"group": name, **fit, "n_censored": int((used & censored).sum()),
                     "n_excluded": int((mask & ~in_fit).sum())})
    return pd.DataFrame(rows, columns=["group", "a", "b", "r", "p", "n", "n_censored",
                                       "n_excluded"])
