"""GP regression (A5): the error/complexity split against GPJax, probes, a short run."""

import gpjax as gpx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bayesgrok.analysis import grokking_gap
from bayesgrok.families import FamilyParameterError, make_family
from bayesgrok.families.gp_regression import GPRegression
from bayesgrok.search import jax_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.contract import Batch
from bayesgrok.tasks import make_task

STARTS = [(-6.0, -4.0, -0.37, 0.0), (-6.0, 4.0, -1.0, 0.3), (0.0, 2.0, -4.0, -0.2),
          (1.5, -1.0, 0.5, 0.1)]


@pytest.mark.parametrize("ll, lo, ln, mean", STARTS)
def test_split_adds_up_to_gpjax_negative_log_marginal_likelihood(ll, lo, ln, mean):
    split = make_task("noisy_sine", seed=42)
    fam = GPRegression(initial_log_lengthscale=ll, initial_log_outputscale=lo,
                       initial_log_noise=ln, initial_mean=mean)
    with jax.enable_x64(True):
        params = fam.init(None, split)
        train = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
        n = split.n_train
        total = fam.error(params, train, train) + fam.complexity(params, train)
        data = gpx.Dataset(X=train.x, y=train.y[:, None])
        nmll = -gpx.objectives.conjugate_mll(fam._posterior(params), data) / n
        assert float(total + 0.5 * jnp.log(2 * jnp.pi)) == pytest.approx(float(nmll), rel=1e-10)
        # and the terms are what their formulas say, from a plain Cholesky
        x, y = np.asarray(train.x), np.asarray(train.y)
        sq = (x - x.T) ** 2
        k = np.exp(lo) * np.exp(-0.5 * sq / np.exp(ll) ** 2) + (np.exp(ln) + 1e-6) * np.eye(n)
        r = y - mean
        assert float(fam.error(params, train, train)) == pytest.approx(
            0.5 * r @ np.linalg.solve(k, r) / n, rel=1e-6)
        assert float(fam.complexity(params, train)) == pytest.approx(
            0.5 * np.linalg.slogdet(k)[1] / n, rel=1e-6, abs=1e-9)


def test_probes_and_prediction():
    split = make_task("noisy_sine", seed=42)
    fam = GPRegression(initial_log_lengthscale=np.log(0.5))
    with jax.enable_x64(True):
        params = fam.init(None, split)
        train = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
        probes = fam.probes(params, train)
        mean = np.asarray(fam.predict(params, jnp.asarray(split.x_val), train))
    assert probes["lengthscale"][0] == ("input_dim",)
    np.testing.assert_allclose(probes["inverse_lengthscale"][1], 2.0)
    assert probes["log_outputscale"][0] == ()
    assert mean.shape == (split.n_val,)
    assert float(np.mean((mean - split.y_val) ** 2)) < 0.1  # a sensible GP fits sin 2x


def test_bad_parameters_are_refused():
    with pytest.raises(FamilyParameterError, match="jitter"):
        make_family("gp_regression", jitter=-1.0)


def _run(ll: float, lo: float, steps: int = 300, **kw):
    split = make_task("noisy_sine", seed=42)
    fam = GPRegression(initial_log_lengthscale=ll, initial_log_outputscale=lo, **kw)
    cfg = SearchConfig(optimizer="adam", optimizer_args={"learning_rate": 0.04}, steps=steps,
                       log={"every": 5})
    return jax_engine.run(fam, [split], cfg)


def test_runs_in_float64_and_records_the_coordinates():
    ds = _run(0.0, 2.0, steps=20)
    assert ds.attrs["precision"] == "float64"
    assert ds["log_lengthscale"].dims == ("seed", "step")
    assert ds["log_lengthscale"].isel(step=0).item() == 0.0
    assert jnp.zeros(1).dtype == jnp.float32  # other families keep float32


def test_start_b_fits_training_data_first_and_generalises_later():
    # A5's start B (tiny lengthscale, large outputscale) interpolates the training points
    # at once (low error, high complexity); validation MSE falls only once the
    # lengthscale has grown: measured train onset 0, validation onset 60 steps.
    gap = grokking_gap(_run(-6.0, 4.0), mse_threshold=0.05)
    assert gap["train_onset"].item() == 0
    assert gap["val_onset"].item() >= 30
    assert bool(gap["val_crossed"].all())


def test_ablation_inflates_the_noise_and_loses_the_fit():
    # Without 1/2 log|K| the data fit alone is minimised by ever larger noise: the
    # predictive mean flattens. Measured over 3000 steps: log noise -0.37 -> 14.5,
    # validation MSE 0.43 -> 0.015 (step 100) -> 0.52.
    ds = _run(-6.0, 4.0, steps=1000, complexity_weight=0.0)
    final = ds.isel(step=-1)
    assert final["log_noise"].item() > 5.0
    assert final["val_mse"].item() > 0.3
    assert ds["val_mse"].min().item() < 0.05  # it passed through a good fit on the way


def test_softplus_noise_has_gpytorchs_floor_and_start():
    # GPyTorch's GaussianLikelihood: noise = softplus(raw) + 1e-4, raw starting at 0.
    start = float(np.log(np.log(2.0) + 1e-4))
    fam = GPRegression(noise_parametrization="softplus", noise_floor=1e-4,
                       initial_log_noise=start)
    with jax.enable_x64(True):
        p = fam.init(None, None)
        assert "log_noise" not in p and float(p["raw_noise"]) == 0.0
        assert float(fam.noise(p)) == pytest.approx(np.log(2.0) + 1e-4, rel=1e-12)
        low = {**p, "raw_noise": jnp.asarray(-60.0)}
        assert float(fam.noise(low)) == pytest.approx(1e-4, rel=1e-12)  # never below the floor
        assert float(fam.probes(low, Batch(jnp.zeros((2, 1)), jnp.zeros(2)))["log_noise"][1]) \
            == pytest.approx(np.log(1e-4))
    with pytest.raises(ValueError, match="noise_floor"):
        GPRegression(noise_floor=1.0)


def test_ablation_with_softplus_noise_stays_above_the_floor_and_records_log_noise():
    ds = _run(-6.0, 4.0, steps=200, complexity_weight=0.0, noise_parametrization="softplus",
              noise_floor=1e-4)
    assert ds["log_noise"].dims == ("seed", "step")
    assert float(ds["log_noise"].min()) >= np.log(1e-4)
    assert "raw_noise" not in ds
