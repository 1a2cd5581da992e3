"""The NUTS engine against the exact posterior of a conjugate model, its InferenceData
and its diagnostics, and a NUTS study end to end through the command line."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from bayesgrok.cli import app
from bayesgrok.families import make_family
from bayesgrok.search.nuts_engine import NUTSConfig, run
from bayesgrok.study.store import write_datatree
from bayesgrok.tasks import make_task

NOISE, PRIOR = 0.0316, 0.5


@pytest.fixture(scope="module")
def sampled():
    fam = make_family("bayes_linear", likelihood="gaussian", bias=False, noise_scale=NOISE,
                      prior_scale=PRIOR)
    splits = [make_task("linear_sign", seed=s) for s in (0, 1)]
    cfg = NUTSConfig(num_warmup=300, num_samples=400, num_chains=2, dense_mass=True,
                     log={"at": [1, 10, 100]})
    return splits, *run(fam, splits, cfg)


def _exact_posterior(split):
    x, y = np.asarray(split.x_train, np.float64), np.asarray(split.y_train, np.float64)
    precision = x.T @ x / NOISE**2 + np.eye(x.shape[1]) / PRIOR**2
    cov = np.linalg.inv(precision)
    return cov @ x.T @ y / NOISE**2, cov


def test_draws_match_the_exact_gaussian_posterior(sampled):
    splits, ds, idata = sampled
    for split in splits:
        mean, cov = _exact_posterior(split)
        w = idata[f"idata_seed{split.seed}"]["posterior"]["w0"]
        draws = w.stack(sample=("chain", "draw")).transpose("sample", ...).values
        sd = np.sqrt(np.diag(cov))
        # 800 draws with ESS in the hundreds: the mean is within a few standard errors
        np.testing.assert_allclose(draws.mean(0), mean, atol=float(4 * sd.max() / np.sqrt(200)))
        np.testing.assert_allclose(draws.std(0), sd, rtol=0.2)
        # the posterior-averaged prediction at the end is the exact predictive mean
        pred = float(np.mean(np.sign(np.asarray(split.x_val) @ mean) == np.sign(split.y_val)))
        assert abs(float(ds["val_accuracy"].sel(seed=split.seed).isel(step=-1)) - pred) <= 0.05


def test_trajectory_and_diagnostics(sampled):
    _, ds, _ = sampled
    assert ds["step"].values.tolist() == [1, 10, 100, 400]
    assert ds.attrs["engine"] == "nuts"
    assert (ds["status"] == "ok").all()
    assert float(ds["rhat_max"].max()) < 1.05
    assert float(ds["ess_bulk_min"].min()) > 50
    assert int(ds["divergences"].sum()) == 0
    np.testing.assert_allclose(ds["objective"], ds["error"] + ds["complexity"], rtol=1e-6)


def test_inference_data_groups_survive_netcdf(sampled, tmp_path):
    _, _, idata = sampled
    tree = idata["idata_seed0"]
    assert {"posterior", "posterior_predictive", "log_likelihood", "sample_stats"} <= set(
        tree.children)
    assert dict(tree["posterior"]["w0"].sizes)["chain"] == 2
    path = write_datatree(tree, tmp_path / "idata.nc")
    back = xr.open_datatree(path, engine="h5netcdf").load()
    xr.testing.assert_allclose(back["posterior"].to_dataset(), tree["posterior"].to_dataset())
    xr.testing.assert_equal(back["sample_stats"]["diverging"], tree["sample_stats"]["diverging"])


def test_a_nuts_study_runs_and_show_reports_its_diagnostics(write_study, tmp_path):
    path = write_study("""
name = "tiny_nuts"
[task]
name = "linear_sign"
[model]
card = "bayes_linear"
[search]
method = "nuts"
num_warmup = 100
num_samples = 100
num_chains = 2
log = { every = 50 }
[sweep]
seeds = [0]
""")
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (out / "runs").iterdir())
    assert len(names) == 2 and names[0].endswith(".idata_seed0.nc")
    figures = {p.name.rsplit("_", 1)[-1] for p in (out / "figures").iterdir()}
    assert {"trace.png", "rank.png", "accuracy.png"} <= figures
    shown = runner.invoke(app, ["show", str(out)])
    assert "R-hat (max)" in shown.output and "divergences" in shown.output
