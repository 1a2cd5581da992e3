"""The building blocks of :func:`~bayesgrok.analysis.regions.regions`, step by step: the
low-error test of every logged step, the region code from the low-error and
low-complexity tests, and the passage through LEHC of one seed's codes (the definitions
are in :mod:`bayesgrok.analysis.regions`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayesgrok.analysis.region_spec import LEHC, LELC, NO_REGION, REGION_CODES, RegionSpec

__all__ = ["lehc_passage", "low_error", "region_codes"]


def low_error(ds: xr.Dataset, spec: RegionSpec) -> tuple[xr.DataArray, xr.DataArray, float]:
    """The low-error test of every logged step: (its mask, the training fit quantity,
    the quantity's low-error level).

    The quantity is ``1 - train_accuracy`` (low at or below ``1 - threshold``), or
    ``train_mse`` when ``spec.mse_threshold`` is given (low at or below it);
    ``spec.fit_threshold`` replaces the level when given.

    Raises
    ------
    ValueError
        If the dataset has no such training quantity.

    Examples
    --------
    >>> from bayesgrok.trajectory import example
    >>> mask, error, level = low_error(example(), RegionSpec())
    >>> mask.sel(seed=0).values.tolist(), round(level, 2)
    ([False, False, True, True], 0.05)
    """
    if spec.mse_threshold is not None:
        if "train_mse" not in ds:
            raise ValueError("mse_threshold was given but the dataset has no 'train_mse'")
        level = float(spec.mse_threshold if spec.fit_threshold is None else spec.fit_threshold)
        mse = ds["train_mse"]
        return mse <= level, mse, level
    if "train_accuracy" in ds:
        level = float(spec.threshold if spec.fit_threshold is None else spec.fit_threshold)
        acc = ds["train_accuracy"]
        return acc >= level, 1.0 - acc, 1.0 - level
    raise ValueError("regions need 'train_accuracy' (or 'train_mse' with mse_threshold)")


def region_codes(low_error: xr.DataArray, low_complexity: xr.DataArray,
                 measured: xr.DataArray) -> xr.DataArray:
    """Integer region codes from the two tests (``-1`` where nothing was measured).

    Examples
    --------
    >>> e = xr.DataArray([True, True, False, False])
    >>> c = xr.DataArray([False, True, False, True])
    >>> region_codes(e, c, xr.DataArray([True, True, True, False])).values.tolist()
    [2, 3, 0, -1]
    """
    code = 2 * low_error.astype(np.int8) + low_complexity.astype(np.int8)
    code = code.where(measured, NO_REGION).astype(np.int8)
    code.attrs = {
        "flag_values": np.asarray(list(REGION_CODES.values()), dtype=np.int8),
        "flag_meanings": " ".join(REGION_CODES),
        "long_name": "region of the error-complexity plane",
        "description": "HEHC/HELC/LEHC/LELC from the training fit criterion and the "
                       "complexity against the reference; -1: no measurement or no reference",
    }
    return code.rename("region")


def lehc_passage(steps: np.ndarray, codes: np.ndarray, objective: np.ndarray,
                 total: float) -> dict[str, float]:
    """The LEHC quantities of one seed from its region codes (see
    :mod:`bayesgrok.analysis.regions`): ``lehc_entry``, ``lehc_exit``, ``lehc_dwell``,
    ``lehc_fraction`` (the dwell over ``total`` steps), ``reentries``, ``reached_lelc``,
    ``passed_lehc`` and ``loss_rise``, with ``lag`` left NaN for the caller. Steps coded
    -1 are left out.

    Examples
    --------
    >>> out = lehc_passage(np.array([0, 10, 20, 30]), np.array([0, 2, 2, 3]),
    ...                    np.array([1.0, 0.5, 0.6, 0.2]), 40.0)
    >>> [float(out[k]) for k in ("lehc_entry", "lehc_exit", "lehc_dwell")], out["passed_lehc"]
    ([10.0, 30.0, 20.0], True)
    >>> round(out["loss_rise"], 3)  # up 0.1 from 0.5, over a range of 0.8
    0.125
    """
    out = {name: np.nan for name in ("lehc_entry", "lehc_exit", "lag", "loss_rise")}
    keep = codes >= 0
    s, c, obj = steps[keep].astype(float), codes[keep], objective[keep]
    widths = np.diff(np.append(s, max(total, s[-1]) if s.size else total))
    in_lehc = c == LEHC
    out["lehc_dwell"] = float(widths[in_lehc].sum()) if s.size else np.nan
    out["lehc_fraction"] = out["lehc_dwell"] / total if total > 0 else np.nan
    starts = np.flatnonzero(in_lehc & ~np.concatenate([[False], in_lehc[:-1]]))
    out["reentries"] = float(max(starts.size - 1, 0)) if s.size else np.nan
    lelc = np.flatnonzero(c == LELC)
    out["reached_lelc"] = bool(lelc.size)
    out["passed_lehc"] = False
    if starts.size:
        entry = starts[0]
        out["lehc_entry"] = s[entry]
        after = lelc[lelc > entry]
        if after.size:
            exit_ = after[0]
            out["lehc_exit"] = s[exit_]
            out["passed_lehc"] = bool(lelc[0] > entry)
            path = obj[entry:exit_ + 1]
            path = path[np.isfinite(path)]
            finite = obj[np.isfinite(obj)]
            span = float(finite.max() - finite.min()) if finite.size else np.nan
            if path.size and span > 0:
                out["loss_rise"] = float(np.max(path - np.minimum.accumulate(path)) / span)
            elif path.size:
                out["loss_rise"] = 0.0
    return out
