"""The fitted onset: an error-function step fitted to an accuracy curve on log steps.

Miller, Gleeson et al., "Measuring Sharpness in Grokking" (2024) describe a grokking
curve by fitting

    A(t) = a erf(s (t - t*)) + b

to accuracy against the logarithm of the step. Here ``t = log10(step)`` (step 0, whose
logarithm does not exist, is left out of the fit), so ``t*`` is the decade at which the
curve is half way through its rise and ``s`` its sharpness per decade. The onset reported
is ``10 ** t*`` in steps.

The fit is made with :func:`scipy.optimize.curve_fit`, bounded to ``a >= 0`` (a rise),
``s > 0`` and ``t*`` within the logged range widened by one decade either side. No onset
is reported (NaN) where the curve has fewer than four finite points, where it rises by
less than ``min_rise`` over the run (nothing to fit), where the fit fails, or where the
fitted centre lies outside the logged steps (an extrapolated onset is not an onset).
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.special import erf

__all__ = ["erf_curve", "fit_curve", "fitted_onset"]


def erf_curve(t: np.ndarray, a: float, s: float, t_star: float, b: float) -> np.ndarray:
    """``a * erf(s * (t - t_star)) + b``, the curve of the fitted onset.

    Examples
    --------
    >>> float(erf_curve(np.array([2.0]), 0.5, 3.0, 2.0, 0.5)[0])
    0.5
    """
    return a * erf(s * (t - t_star)) + b


def fit_curve(
    steps: np.ndarray, values: np.ndarray, *, min_rise: float = 0.05
) -> tuple[float, float, float, float]:
    """Fit :func:`erf_curve` to one accuracy curve against ``log10(step)``.

    Parameters
    ----------
    steps
        Logged steps (step 0 is left out of the fit).
    values
        The accuracy at those steps; NaN values are left out.
    min_rise
        Least difference between the curve's largest and smallest value for a fit.

    Returns
    -------
    tuple of float
        ``(onset, sharpness, a, b)``: the onset ``10 ** t*`` in steps, ``s`` per decade,
        and the curve's half-height ``a`` and midpoint ``b``; all NaN when there is no
        onset (see the module's docstring).

    Examples
    --------
    >>> steps = np.unique(np.logspace(0, 4, 80).astype(int))
    >>> acc = erf_curve(np.log10(steps), 0.25, 4.0, np.log10(300.0), 0.75)
    >>> onset, sharpness, a, b = fit_curve(steps, acc)
    >>> round(onset), round(sharpness, 2)
    (300, 4.0)
    """
    steps = np.asarray(steps, dtype=float)
    values = np.asarray(values, dtype=float)
    keep = np.isfinite(values) & (steps > 0)
    t, y = np.log10(steps[keep]), values[keep]
    nothing = (np.nan,) * 4
    if t.size < 4 or float(np.ptp(y)) < min_rise:
        return nothing
    low, high = float(y.min()), float(y.max())
    middle = (low + high) / 2.0
    above = np.flatnonzero(y >= middle)
    t0 = float(t[above[0]]) if above.size else float(np.median(t))
    span = max(float(np.ptp(t)), 1e-6)
    guess = [(high - low) / 2.0, 4.0 / span, t0, middle]
    bounds = ([0.0, 1e-6, t.min() - 1.0, -np.inf], [np.inf, np.inf, t.max() + 1.0, np.inf])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            params, _ = curve_fit(erf_curve, t, y, p0=guess, bounds=bounds, maxfev=20000)
    except (RuntimeError, ValueError):
        return nothing
    a, s, t_star, b = (float(p) for p in params)
    if not (t.min() <= t_star <= t.max()) or not np.all(np.isfinite(params)):
        return nothing
    return 10.0**t_star, s, a, b


def fitted_onset(da: xr.DataArray, dim: str = "step", *, min_rise: float = 0.05) -> xr.Dataset:
    """The fitted onset and sharpness of every curve of ``da`` along ``dim``.

    Parameters
    ----------
    da
        An accuracy curve, for example ``val_accuracy``, with dims ``step`` and any others
        (``run``, ``seed``); each curve is fitted on its own finite values.
    dim
        The step dimension; its coordinate values are the steps.
    min_rise
        See :func:`fit_curve`.

    Returns
    -------
    xarray.Dataset
        ``onset`` (steps, float; NaN where there is no onset), ``sharpness`` (per decade of
        steps), ``amplitude`` (``a``) and ``midpoint`` (``b``), with every dimension of
        ``da`` except ``dim``.

    Examples
    --------
    >>> steps = np.unique(np.logspace(0, 4, 60).astype(int))
    >>> curves = [erf_curve(np.log10(steps), 0.25, 3.0, np.log10(t), 0.75) for t in (50, 2000)]
    >>> da = xr.DataArray(np.stack(curves), dims=("seed", "step"), coords={"step": steps})
    >>> [round(v) for v in fitted_onset(da)["onset"].values]
    [50, 2000]
    """
    if dim not in da.dims:
        raise ValueError(f"{da.name or 'array'} has no dimension {dim!r} (dims: {da.dims})")
    steps = da[dim].values

    def one(values: np.ndarray) -> np.ndarray:
        return np.asarray(fit_curve(steps, values, min_rise=min_rise))

    fitted = xr.apply_ufunc(
        one, da.astype(float), input_core_dims=[[dim]], output_core_dims=[["parameter"]],
        vectorize=True, dask_gufunc_kwargs={"output_sizes": {"parameter": 4}},
    )
    names = ("onset", "sharpness", "amplitude", "midpoint")
    out = xr.Dataset({name: fitted.isel(parameter=i, drop=True) for i, name in enumerate(names)})
    out["onset"].attrs = {"units": "steps",
                          "description": "10 ** t* of a erf(s (log10 step - t*)) + b"}
    out["sharpness"].attrs = {"units": "1 / decade of steps", "description": "s"}
    return out
