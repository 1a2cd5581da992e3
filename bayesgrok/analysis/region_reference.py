"""The reference complexity of the LELC region: which runs keep their complexity term, and
the reference level and scale of each run (see :mod:`bayesgrok.analysis.regions`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from bayesgrok.analysis.region_spec import RegionSpec


def as_study(ds: xr.Dataset) -> xr.Dataset:
    """A single trajectory as a study of one run (its attributes as per-run variables).

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> as_study(example()).sizes["run"]
    1
    """
    if "run" in ds.dims:
        return ds
    from bayesgrok.trajectory import combine

    return combine({str(ds.attrs.get("run_id", "run")): ds},
                   attrs={"threshold": ds.attrs.get("threshold", 0.95)})


def keeps_complexity(ds: xr.Dataset) -> xr.DataArray:
    """Whether each run keeps its complexity term in its search, from its configuration.

    True when the model's ``complexity_weight`` is non-zero, or the optimizer has a
    non-zero ``weight_decay`` (the PyTorch families, whose squared weight norm is their
    complexity, decay it in the optimizer; AdamW without a ``weight_decay`` uses its
    non-zero default), or the run sampled a posterior (NUTS always
    keeps the prior).

    Parameters
    ----------
    ds
        A study dataset (per-run ``config`` JSON) or a single trajectory.

    Returns
    -------
    xarray.DataArray
        Boolean over ``run`` (a scalar for a single trajectory).

    Examples
    --------
    >>> from bayesgrok.trajectory import combine, example
    >>> keeps_complexity(combine({"a": example()})).values.tolist()
    [True]
    """

    def one(text: str) -> bool:
        config = json.loads(text) if text else {}
        model = config.get("model", {}) or {}
        search = config.get("search", {}) or {}
        if search.get("method") == "nuts":
            return True
        optimizer = str(search.get("optimizer", "")).lower()
        default = 0.01 if optimizer == "adamw" else 0.0  # AdamW decays unless told not to
        decay = (search.get("optimizer_args") or {}).get("weight_decay", default)
        weight = model.get("complexity_weight", 1.0)
        return bool(float(weight or 0.0) != 0.0 or float(decay or 0.0) != 0.0)

    if "run" not in ds.dims:
        return xr.DataArray(one(ds.attrs.get("config", "{}")))
    configs = ds["config"].values if "config" in ds else ["{}"] * ds.sizes["run"]
    return xr.DataArray([one(str(c)) for c in configs], dims="run",
                        coords={"run": ds["run"].values}, name="keeps_complexity")


def final_value(da: xr.DataArray) -> xr.DataArray:
    """The last finite value of each curve along ``step`` (NaN where none).

    Examples
    --------
    >>> da = xr.DataArray([[1.0, 2.0, np.nan]], dims=("seed", "step"))
    >>> final_value(da).values.tolist()
    [2.0]
    """

    def last(values: np.ndarray) -> float:
        finite = values[np.isfinite(values)]
        return float(finite[-1]) if finite.size else np.nan

    return xr.apply_ufunc(last, da.astype(float), input_core_dims=[["step"]], vectorize=True)


def reference_levels(ds: xr.Dataset, spec: RegionSpec, keeps: xr.DataArray,
                groups: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray, list[str]]:
    """The reference complexity and the complexity scale of every run, and notes.

    Examples
    --------
    >>> from bayesgrok.analysis.regions import passage_example
    >>> ds = passage_example()
    >>> ref, scale, notes = reference_levels(ds, RegionSpec(), keeps_complexity(ds),
    ...                                       ds["run"].copy(data=["f", "f"]))
    >>> ref.values.tolist(), scale.values.tolist(), notes
    ([1.0, 1.0], ['log', 'log'], [])
    """
    ok = ds["status"] == "ok"
    final = final_value(ds["complexity"]).where(ok)
    per_run = final.median("seed", skipna=True) if final.sizes["seed"] else final
    runs = ds["run"].values
    reference = np.full(runs.size, np.nan)
    scale = np.full(runs.size, "log", dtype=object)
    notes: list[str] = []
    for g in dict.fromkeys(groups.values.tolist()):
        members = groups.values == g
        values = ds["complexity"].isel(run=np.flatnonzero(members)).values
        finite = values[np.isfinite(values)]
        if not finite.size or not np.any(finite != 0):
            notes.append(f"{g}: no complexity term (the complexity is never non-zero), so "
                         "it has no regions")
            continue
        if np.any(finite <= 0):
            scale[members] = "linear"
        ref = spec.reference
        if isinstance(ref, str):
            candidates = per_run.values[members & keeps.values]
            candidates = candidates[np.isfinite(candidates)]
            if candidates.size:
                reference[members] = candidates.min()
            else:
                notes.append(f"{g}: no run keeps its complexity term, so there is no "
                             "reference complexity and no region (analyse it beside its "
                             "full study)")
        elif isinstance(ref, Mapping):
            chosen = np.ones(runs.size, dtype=bool)
            for key, value in ref.items():
                if key not in ds.coords:
                    raise ValueError(f"reference names {key!r}, which is not a swept "
                                     f"coordinate (coordinates: {sorted(map(str, ds.coords))})")
                chosen &= np.asarray([_same(v, value) for v in ds[key].values])
            inside = chosen & members
            vals = per_run.values[inside]
            vals = vals[np.isfinite(vals)]
            if not chosen.any():
                raise ValueError(f"reference: no run is the sweep point {dict(ref)}")
            if vals.size:
                reference[members] = float(np.median(vals))
            else:
                notes.append(f"{g}: the sweep point {dict(ref)} is not in this group")
        else:
            reference[members] = float(ref)
    bad = (scale == "log") & np.isfinite(reference) & (reference <= 0)
    if bad.any():
        raise ValueError(f"a reference complexity of {reference[bad][0]:g} cannot be used on "
                         "a log scale: give a positive reference")
    return (xr.DataArray(reference, dims="run", coords={"run": runs}),
            xr.DataArray(scale.astype(str), dims="run", coords={"run": runs}), notes)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float | np.number) and isinstance(b, int | float):
        return bool(np.isclose(float(a), float(b)))
    return str(a) == str(b)


def pooled_references(datasets: Sequence[xr.Dataset],
                      spec: RegionSpec | None = None) -> dict[str, float]:
    """Reference complexities by group, computed over several studies together.

    An ablation study has no run that keeps its complexity term; analysed beside its full
    study, it gets the full study's reference. With a numeric reference every group gets
    that number; with a sweep point, the groups that contain it.

    Examples
    --------
    >>> from bayesgrok.analysis.regions import passage_example
    >>> full_and_ablation = passage_example()
    >>> ablation = full_and_ablation.sel(run=["ablation"])
    >>> pooled_references([full_and_ablation.sel(run=["full"]), ablation])
    {'example': 1.0}
    """
    spec = spec or RegionSpec()
    found: dict[str, list[float]] = {}
    for ds in datasets:
        ds = as_study(ds)
        groups = ds[spec.reference_group] if spec.reference_group in ds else xr.full_like(
            ds["run"], "all", dtype=object)
        groups = xr.DataArray(np.asarray([str(g) for g in groups.values]), dims="run",
                              coords={"run": ds["run"].values})
        try:
            reference, _, _ = reference_levels(ds, spec, keeps_complexity(ds), groups)
        except ValueError:
            if isinstance(spec.reference, Mapping):  # the point lives in another study
                continue
            raise
        for g, value in zip(groups.values, reference.values, strict=True):
            if np.isfinite(value):
                found.setdefault(str(g), []).append(float(value))
    return {g: min(values) for g, values in found.items()}  # lowest_final: the lowest
