"""LEHC and LELC: where each logged step of a search lies in the error-complexity plane.

The general grokking hypothesis (REFERENCE A7) says a search first reaches a low-error,
high-complexity (LEHC) region, and its complexity term then carries it into the low-error,
low-complexity (LELC) region, where it generalises. This module measures that from the
trajectory alone, with **training-side quantities only**, so that comparing the passage
with the validation onset is a test and not a tautology.

Definitions
-----------
*Low error* at a logged step: the training fit criterion holds. For classification,
training accuracy at or above ``threshold`` (``>=``, so that a training set fitted to
exactly the threshold counts); for regression (when ``mse_threshold`` is given, as for the
grokking gap), training MSE at or below ``mse_threshold``.

*Low complexity*: the complexity is at most ``tolerance`` above a **reference level**
``c_ref`` on a log scale, ``ln c <= ln c_ref + tolerance`` (the default tolerance, ln 2,
is a factor of two). A complexity that takes negative values somewhere in its group (a
GP's ``1/2 log|K| / N`` is itself a logarithm) is compared on its own scale,
``c <= c_ref + tolerance``, in the same units (nats per data point). Anything below the
reference is low.

The reference is one of

* a number (``reference = 0.1``);
* the final complexity of a named sweep point (``reference = {"start": "C"}``: the median
  over its seeds of their last finite complexity);
* ``"lowest_final"`` (the default): per reference group (the family by default), the
  lowest, over the runs of that group **that keep their complexity term** (a non-zero
  ``complexity_weight`` or a weight decay in the optimizer), of the median over each
  run's seeds of their final complexity. No validation quantity enters it. A group in
  which no run keeps its complexity term (an ablation study on its own) has no reference:
  its steps get no region (code -1) and the note says so; analyse it beside its full
  study (:func:`regions` on both combined, or ``bayesgrok hypothesis A B``).

A run-relative threshold (each run defining its own "low") is never used: a run that never
left LEHC would call its own end LELC.

Per run and seed
----------------
``lehc_entry`` is the first logged step in LEHC; ``lehc_exit`` the first step in LELC
after the entry; ``lehc_dwell`` the steps spent in LEHC, where each logged step stands
for the interval up to the next logged step of that seed; ``lehc_fraction`` the dwell
over the run's total steps; ``reentries`` the number of times the seed came back into
LEHC after leaving it; ``passed_lehc`` is true when the seed reached LELC after LEHC and
not before it; ``reached_lelc`` whether it was ever in LELC; ``lag`` is
``val_onset - lehc_exit`` and ``lag_over_gap`` that over the gap; ``loss_rise`` is the
largest rise of the objective above its running minimum between the entry and the exit,
as a fraction of the objective's range over the run (about 0 on the path the hypothesis
describes). ``grokked`` is true when training and validation both crossed and validation
crossed strictly later. Every step quantity is NaN where it does not exist (never 0).
Steps with no measurement (NaN, a diverged seed's tail, steps another run logged) are
left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayesgrok.analysis.onset_fit import fitted_onset
from bayesgrok.analysis.onsets import grokking_gap, total_steps
from bayesgrok.analysis.region_passage import lehc_passage, low_error, region_codes
from bayesgrok.analysis.region_reference import (
    as_study,
    keeps_complexity,
    pooled_references,
    reference_levels,
)
from bayesgrok.analysis.region_spec import REGION_CODES, RegionSpec, sensitivity_grid
from bayesgrok.analysis.summary import swept_parameters

__all__ = [
    "REGION_CODES",
    "RegionSpec",
    "keeps_complexity",
    "passage_example",
    "pooled_references",
    "region_codes",
    "regions",
    "regions_table",
    "sensitivity_grid",
]

PER_SEED = ("train_onset", "val_onset", "gap", "lehc_entry", "lehc_exit", "lehc_dwell",
            "lehc_fraction", "reentries", "passed_lehc", "reached_lelc", "grokked", "lag",
            "lag_over_gap", "loss_rise")


def passage_example() -> xr.Dataset:
    """A small study of two runs, for documentation and tests: ``full`` passes LEHC into
    LELC and groks; ``ablation`` (complexity weight 0) fits and stays in LEHC.

    Steps 0, 1, 10, 100; training accuracy 1 from step 10 on; the full run's complexity
    falls from 4 to 1 at step 100, when its validation accuracy reaches 1.

    Examples
    --------
    >>> passage_example()["complexity"].sel(run="full", seed=0).values.tolist()
    [4.0, 4.0, 4.0, 1.0]
    """
    from bayesgrok.trajectory import combine, example

    runs = {}
    for name, weight, final in (("full", 1.0, 1.0), ("ablation", 0.0, 4.0)):
        ds = example()
        ds["complexity"] = ds["complexity"].copy(data=np.broadcast_to(
            [4.0, 4.0, 4.0, final], ds["complexity"].shape).copy())
        if weight == 0.0:
            ds["val_accuracy"] = ds["val_accuracy"] * 0 + 0.5
        ds.attrs["config"] = json.dumps({"model": {"complexity_weight": weight}})
        runs[name] = ds
    return combine(runs, {"complexity_weight": [1.0, 0.0]})


def regions(ds: xr.Dataset, spec: RegionSpec | None = None, *,
            references: Mapping[str, float] | None = None,
            fit_onsets: bool = True) -> xr.Dataset:
    """Regions of every logged step, and the LEHC passage of every run and seed.

    Parameters
    ----------
    ds
        A study dataset (dims ``run``, ``seed``, ``step``) or a single trajectory.
    spec
        The definitions (default :class:`RegionSpec`); see the module's docstring.
    references
        Reference complexities by group, replacing the spec's rule for those groups
        (:func:`pooled_references` computes them over several studies at once).
    fit_onsets
        Whether to fit the erf onsets (``train_onset_fit``, ...) when the gap does not
        need them; a sensitivity grid skips them.

    Returns
    -------
    xarray.Dataset
        ``region`` (int8 codes on ``run``, ``seed``, ``step`` with CF ``flag_values`` and
        ``flag_meanings``: 0 HEHC, 1 HELC, 2 LEHC, 3 LELC, -1 none), ``fit_error`` (the
        training quantity of the low-error test: ``1 - train_accuracy`` or ``train_mse``)
        and ``complexity`` on the same dims; per run ``group``, ``reference``,
        ``fit_metric`` (``"accuracy"`` or ``"mse"``),
        ``low_error_level`` (``fit_error`` at or below it is low), ``low_complexity_level``
        (complexity at or below it is low), ``complexity_scale`` and ``keeps_complexity``;
        per run and seed the quantities of the module's docstring, ``status``, and the
        fitted onsets ``train_onset_fit``, ``val_onset_fit`` and ``val_sharpness``. The
        swept coordinates of ``ds`` are kept. Attributes record the definitions used.

    Raises
    ------
    ValueError
        If the dataset has no training fit quantity, or the reference names no run.

    Examples
    --------
    >>> reg = regions(passage_example())
    >>> reg["region"].sel(run="full", seed=0).values.tolist()  # steps 0, 1, 10, 100
    [0, 0, 2, 3]
    >>> reg["region"].sel(run="ablation", seed=0).values.tolist()
    [0, 0, 2, 2]
    >>> reg["lehc_entry"].sel(seed=0).values.tolist(), reg["lehc_exit"].sel(seed=0).values.tolist()
    ([10.0, 10.0], [100.0, nan])
    >>> reg["passed_lehc"].sel(seed=0).values.tolist(), reg["lag"].sel(seed=0).values.tolist()
    ([True, False], [0.0, nan])
    """
    spec = spec or RegionSpec()
    ds = as_study(ds)
    groups = ds[spec.reference_group] if spec.reference_group in ds else xr.full_like(
        ds["run"], "all", dtype=object)
    groups = xr.DataArray(np.asarray([str(g) for g in groups.values]), dims="run",
                          coords={"run": ds["run"].values})
    keeps = keeps_complexity(ds)
    is_low_error, fit_error, error_level = low_error(ds, spec)
    reference, scale, notes = reference_levels(ds, spec, keeps, groups)
    for g, value in (references or {}).items():
        reference = xr.where(groups == g, float(value), reference)
    if references:
        notes = [n for n in notes if n.split(":")[0] not in references]
    complexity = ds["complexity"]
    linear = scale == "linear"
    bound = xr.where(linear, reference + spec.tolerance, reference * np.exp(spec.tolerance))
    low_complexity = complexity <= bound
    measured = (complexity.notnull() & fit_error.notnull() & reference.notnull()
                & ds["objective"].notnull())
    code = region_codes(is_low_error, low_complexity, measured)
    code = code.transpose("run", "seed", "step")

    gap = grokking_gap(ds, spec.threshold, mse_threshold=spec.mse_threshold)
    metric = gap.attrs["metric"]
    fitting = metric == "accuracy" and (fit_onsets or spec.onset == "fit")
    fit_train = fitted_onset(ds[f"train_{metric}"]) if fitting else None
    fit_val = fitted_onset(ds[f"val_{metric}"]) if fitting else None
    if spec.onset == "fit":
        if fit_train is None or fit_val is None:
            raise ValueError("the fitted onset needs accuracy curves (not MSE)")
        train_onset, val_onset = fit_train["onset"], fit_val["onset"]
    else:
        train_onset = gap["train_onset"].where(gap["train_crossed"]).astype(float)
        val_onset = gap["val_onset"].where(gap["val_crossed"]).astype(float)
    train_onset = train_onset.transpose("run", "seed")
    val_onset = val_onset.transpose("run", "seed")

    totals = total_steps(ds)
    total = (totals.values.astype(float) if isinstance(totals, xr.DataArray)
             else np.full(ds.sizes["run"], float(totals)))
    status = ds["status"].transpose("run", "seed").values.astype(str)
    steps = ds["step"].values
    objective = ds["objective"].transpose("run", "seed", "step").values
    codes = code.values
    shape = (ds.sizes["run"], ds.sizes["seed"])
    per = {name: np.full(shape, np.nan) for name in PER_SEED}
    for name in ("passed_lehc", "reached_lelc", "grokked"):
        per[name] = np.zeros(shape, dtype=bool)
    per["train_onset"], per["val_onset"] = train_onset.values, val_onset.values
    per["gap"] = per["val_onset"] - per["train_onset"]
    for r in range(shape[0]):
        for k in range(shape[1]):
            t_on, v_on = per["train_onset"][r, k], per["val_onset"][r, k]
            per["grokked"][r, k] = bool(np.isfinite(t_on) and np.isfinite(v_on) and v_on > t_on)
            if status[r, k] == "failed" or not (codes[r, k] >= 0).any():
                continue
            found = lehc_passage(steps, codes[r, k], objective[r, k], total[r])
            for name, value in found.items():
                per[name][r, k] = value
            exit_ = per["lehc_exit"][r, k]
            per["lag"][r, k] = v_on - exit_ if np.isfinite(exit_) else np.nan
            g = per["gap"][r, k]
            if np.isfinite(g) and g > 0:
                per["lag_over_gap"][r, k] = per["lag"][r, k] / g

    coords = {"run": ds["run"].values, "seed": ds["seed"].values}
    out = xr.Dataset(
        {name: (("run", "seed"), values) for name, values in per.items()}, coords=coords)
    out["region"] = code
    out["fit_error"] = fit_error.transpose("run", "seed", "step")
    out["complexity"] = complexity.transpose("run", "seed", "step")
    out["status"] = (("run", "seed"), status)
    out["group"] = groups
    out["reference"] = reference
    out["low_error_level"] = ("run", np.full(shape[0], error_level))
    out["fit_metric"] = ("run", np.asarray([metric] * shape[0]))
    out["low_complexity_level"] = bound
    out["complexity_scale"] = scale
    out["keeps_complexity"] = keeps
    if fit_train is not None and fit_val is not None:
        out["train_onset_fit"] = fit_train["onset"].transpose("run", "seed")
        out["val_onset_fit"] = fit_val["onset"].transpose("run", "seed")
        out["val_sharpness"] = fit_val["sharpness"].transpose("run", "seed")
    swept = {name: ds[name] for name in swept_parameters(ds)}
    out = out.assign_coords(swept)
    if "step" in ds.coords:
        out = out.assign_coords(step=ds["step"].values)
    for name in ("train_onset", "val_onset", "gap", "lehc_entry", "lehc_exit", "lehc_dwell",
                 "lag"):
        out[name].attrs["units"] = "steps"
    out.attrs = {
        "tolerance": float(spec.tolerance),
        "reference_rule": spec.describe(),
        "reference_group": spec.reference_group,
        "fit_metric": metric,
        "fit_threshold": error_level if metric == "mse" else 1.0 - error_level,
        "val_threshold": float(gap.attrs["threshold"]),
        "onset": spec.onset,
        "notes": json.dumps(notes),
    }
    if "sweep_shown" in ds.attrs:
        out.attrs["sweep_shown"] = ds.attrs["sweep_shown"]
    return out


def regions_table(reg: xr.Dataset) -> pd.DataFrame:
    """The per-seed quantities of :func:`regions` as a table (the ``regions.csv`` columns).

    Parameters
    ----------
    reg
        The output of :func:`regions`.

    Returns
    -------
    pandas.DataFrame
        One row per run and seed: ``run``, ``seed``, the swept values, ``train_onset``,
        ``val_onset``, ``gap``, ``lehc_entry``, ``lehc_exit``, ``lehc_dwell``,
        ``lehc_fraction``, ``reentries``, ``passed_lehc``, ``lag``, ``lag_over_gap``,
        ``loss_rise``, ``status``, then ``group``, ``grokked``, ``reached_lelc``,
        ``keeps_complexity``, ``reference``, ``has_regions`` (false where the group has no
        reference, so no regions), ``tolerance``, ``complexity_scale`` and the fitted
        onsets where measured. Missing values are NaN (empty in a CSV).

    Examples
    --------
    >>> table = regions_table(regions(passage_example()))
    >>> print(table[["run", "seed", "lehc_exit", "lehc_dwell", "passed_lehc"]].to_string())
            run  seed  lehc_exit  lehc_dwell  passed_lehc
    0      full     0      100.0        90.0         True
    1      full     1      100.0        90.0         True
    2  ablation     0        NaN        90.0        False
    3  ablation     1        NaN        90.0        False
    """
    swept = swept_parameters(reg)
    if "sweep_shown" in reg.attrs:  # labels stand for the whole tables they replace
        swept = [n for n in json.loads(reg.attrs["sweep_shown"]) if n in swept]
    rows = []
    for r, run in enumerate(reg["run"].values):
        for k, seed in enumerate(reg["seed"].values):
            row: dict[str, Any] = {"run": str(run), "seed": int(seed)}
            for name in swept:
                row[name] = reg[name].values[r]
            for name in ("train_onset", "val_onset", "gap", "lehc_entry", "lehc_exit",
                         "lehc_dwell", "lehc_fraction", "reentries", "passed_lehc", "lag",
                         "lag_over_gap", "loss_rise"):
                row[name] = reg[name].values[r, k]
            row["status"] = str(reg["status"].values[r, k])
            row["group"] = str(reg["group"].values[r])
            row["grokked"] = bool(reg["grokked"].values[r, k])
            row["reached_lelc"] = bool(reg["reached_lelc"].values[r, k])
            row["keeps_complexity"] = bool(reg["keeps_complexity"].values[r])
            row["reference"] = float(reg["reference"].values[r])
            row["has_regions"] = bool(np.isfinite(row["reference"]))
            row["tolerance"] = float(reg.attrs["tolerance"])
            row["complexity_scale"] = str(reg["complexity_scale"].values[r])
            for name in ("train_onset_fit", "val_onset_fit", "val_sharpness"):
                if name in reg:
                    row[name] = reg[name].values[r, k]
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame.attrs = dict(reg.attrs)
    return frame
