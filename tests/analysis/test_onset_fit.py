"""The erf-fitted onset recovers t* and s on synthetic curves, and refuses flat ones."""

import numpy as np
import pytest
import xarray as xr

from bayesgrok.analysis.onset_fit import erf_curve, fit_curve, fitted_onset

STEPS = np.unique(np.logspace(0, 5, 120).astype(int))


@pytest.mark.parametrize(("onset", "sharpness"), [(30.0, 2.0), (800.0, 6.0), (20000.0, 1.5)])
def test_recovers_onset_and_sharpness(onset, sharpness):
    rng = np.random.default_rng(1)
    acc = erf_curve(np.log10(STEPS), 0.25, sharpness, np.log10(onset), 0.75)
    acc = acc + rng.normal(0, 0.005, acc.size)
    fitted, s, a, b = fit_curve(STEPS, acc)
    assert fitted == pytest.approx(onset, rel=0.05)
    assert s == pytest.approx(sharpness, rel=0.1)
    assert a == pytest.approx(0.25, abs=0.01) and b == pytest.approx(0.75, abs=0.01)


def test_step_zero_and_nan_are_left_out():
    steps = np.concatenate([[0], STEPS])
    acc = np.concatenate([[0.5], erf_curve(np.log10(STEPS), 0.25, 3.0, 2.0, 0.75)])
    acc[5] = np.nan
    assert fit_curve(steps, acc)[0] == pytest.approx(100.0, rel=0.02)


def test_flat_and_unfinished_curves_have_no_onset():
    assert np.isnan(fit_curve(STEPS, np.full(STEPS.size, 0.5))[0])
    # the centre lies beyond the logged steps: an extrapolation, not an onset
    late = erf_curve(np.log10(STEPS), 0.25, 2.0, 7.0, 0.75)
    assert np.isnan(fit_curve(STEPS, late)[0])


def test_fitted_onset_keeps_other_dims():
    curves = np.stack([erf_curve(np.log10(STEPS), 0.25, 3.0, t, 0.75) for t in (1.5, 3.0)])
    da = xr.DataArray(curves[None], dims=("run", "seed", "step"), coords={"step": STEPS})
    out = fitted_onset(da)
    assert out["onset"].dims == ("run", "seed")
    assert out["onset"].values[0] == pytest.approx([10**1.5, 1000.0], rel=0.02)
    with pytest.raises(ValueError, match="no dimension"):
        fitted_onset(da, dim="epoch")
