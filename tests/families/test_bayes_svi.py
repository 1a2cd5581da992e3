"""The variational Bayesian families (REFERENCE A6): their terms against NumPyro, the
minibatch estimate, the contract with the engine, and grokking on a small BNN run."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest
from numpyro import handlers
from numpyro.infer import Trace_ELBO
from numpyro.infer.util import log_density

from bayesgrok.analysis import grokking_gap
from bayesgrok.families import FamilyParameterError, make_family
from bayesgrok.families.bayes_linear_svi import BayesLinearSVI
from bayesgrok.families.bayes_models import bayesian_mlp, mlp_logits
from bayesgrok.families.bayes_svi import BayesMLPSVI
from bayesgrok.families.transforms import inverse_softplus
from bayesgrok.search import jax_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.contract import Batch
from bayesgrok.tasks import make_task

N_TRAIN = 192


def _split(seed: int = 0, n_spurious: int = 7):
    return make_task("parity", seed=seed, n_bits=3, n_points=N_TRAIN + 64, n_train=N_TRAIN,
                     n_spurious=n_spurious)


def _batch(x, y) -> Batch:
    return Batch(jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.int32))


def _spread_params(fam, split, seed: int = 0):
    """Parameters away from the initial ones: means ~ N(0, 0.5^2), stds in [0.05, 0.5]."""
    p = fam.init(jax.random.PRNGKey(seed), split)
    keys = iter(jax.random.split(jax.random.PRNGKey(100 + seed), 2 * len(p["loc"])))
    loc = {k: 0.5 * jax.random.normal(next(keys), v.shape) for k, v in p["loc"].items()}
    std = {k: jax.random.uniform(next(keys), v.shape, minval=0.05, maxval=0.5)
           for k, v in p["rho"].items()}
    return {"loc": loc, "rho": {k: jnp.log(jnp.expm1(s)) for k, s in std.items()}}


@pytest.fixture(scope="module")
def setting():
    split = _split()
    fam = BayesMLPSVI(widths=(16,), n_samples_eval=4000)
    params = _spread_params(fam, split)
    return fam, params, _batch(split.x_train, split.y_train)


def test_init_follows_a6():
    split = _split()
    fam = BayesMLPSVI(widths=(16,), sigma_init=0.3, init_std=0.01)
    p = fam.init(jax.random.PRNGKey(0), split)
    assert {k: v.shape for k, v in p["loc"].items()} == {
        "w0": (10, 16), "b0": (16,), "w1": (16, 2), "b1": (2,)}
    std = fam.std(p)
    for k in p["loc"]:
        np.testing.assert_allclose(std[k], 0.01, rtol=1e-5)
        assert p["loc"][k].dtype == jnp.float32 and p["rho"][k].dtype == jnp.float32
    means = np.concatenate([np.ravel(v) for v in p["loc"].values()])
    assert np.std(means) == pytest.approx(0.3, rel=0.15)
    other = fam.init(jax.random.PRNGKey(1), split)
    assert not np.allclose(p["loc"]["w0"], other["loc"]["w0"])


def test_closed_form_kl_matches_monte_carlo(setting):
    fam, params, train = setting
    n_draws = 10_000
    keys = jax.random.split(jax.random.PRNGKey(7), n_draws)
    draws = jax.jit(jax.vmap(lambda k: fam.draw(params, k)))(keys)
    std = fam.std(params)
    log_ratio = 0.0
    for k, w in draws.items():
        log_q = dist.Normal(params["loc"][k], std[k]).log_prob(w)
        log_p = dist.Normal(0.0, fam.prior_scale).log_prob(w)
        log_ratio = log_ratio + jnp.sum(log_q - log_p, axis=tuple(range(1, w.ndim)))
    log_ratio = np.asarray(log_ratio, np.float64)
    mc, se = log_ratio.mean(), log_ratio.std() / math.sqrt(n_draws)
    closed = float(fam.complexity(params, train)) * N_TRAIN
    print(f'KL closed {closed:.3f}, MC {mc:.3f} +- {se:.3f}')
    assert abs(closed - mc) < 5 * se + 1e-4 * abs(closed)


def _per_particle_neg_elbo(fam, params, train, n):
    """Single-draw ``-ELBO / N`` values by NumPyro's own densities, for the MC error."""
    guide = handlers.substitute(fam.guide_for(params), data=fam.param_map(params))

    def one(key):
        tr = handlers.trace(handlers.seed(guide, key)).get_trace()
        w = {k: tr[k]["value"] for k in params["loc"]}
        log_q = sum(tr[k]["fn"].log_prob(w[k]) for k in w)
        log_joint = log_density(fam.numpyro_model, (train.x, train.y), {}, w)[0]
        return (log_q - log_joint) / train.x.shape[0]

    keys = jax.random.split(jax.random.PRNGKey(3), n)
    return np.asarray(jax.jit(jax.vmap(one))(keys), np.float64)


def test_error_plus_complexity_is_numpyro_negative_elbo(setting):
    fam, params, train = setting
    n = fam.n_samples_eval
    ours = float(jax.jit(fam.objective)(params, train, train))  # no key: n fixed draws
    elbo = Trace_ELBO(num_particles=n)
    loss = jax.jit(lambda pm: elbo.loss(jax.random.PRNGKey(11), pm, fam.numpyro_model,
                                        fam.guide_for(params), train.x, train.y))
    theirs = float(loss(fam.param_map(params))) / N_TRAIN
    # NumPyro's estimate samples the KL too: its spread bounds both estimates' MC error.
    se = _per_particle_neg_elbo(fam, params, train, 2000).std() / math.sqrt(n)
    print(f'-ELBO/N ours {ours:.5f}, numpyro {theirs:.5f}, se {se:.5f}')
    assert abs(ours - theirs) < 5 * math.sqrt(2) * se, (ours, theirs, se)


def test_minibatch_estimate_is_unbiased(setting):
    _, params, train = setting
    fam = BayesMLPSVI(widths=(16,), n_samples_eval=32)
    error = jax.jit(fam.error)
    key = jax.random.PRNGKey(5)
    size = 32  # 192 = 6 batches of 32
    perm = np.random.default_rng(0).permutation(N_TRAIN)
    parts = [perm[i:i + size] for i in range(0, N_TRAIN, size)]
    for k in (key, None):  # a training draw, and the fixed measuring draws
        full = float(error(params, train, train, key=k))
        per_batch = [float(error(params, Batch(train.x[i], train.y[i]), train, key=k))
                     for i in parts]
        assert np.mean(per_batch) == pytest.approx(full, rel=1e-5)
        assert np.ptp(per_batch) > 0  # the batches do differ


def test_minibatch_model_scales_likelihood_to_the_training_set(setting):
    fam, params, train = setting
    w = fam.draw(params, jax.random.PRNGKey(0))
    bx, by = train.x[:32], train.y[:32]
    plain = log_density(bayesian_mlp, (bx, by), {"widths": (16,)}, w)[0]
    scaled = log_density(bayesian_mlp, (bx, by), {"widths": (16,), "n_total": N_TRAIN}, w)[0]
    ll = float(jnp.sum(fam.log_likelihood(w, Batch(bx, by))))
    # log p(w) + (N / n) sum log p(y_i | w), against log p(w) + sum log p(y_i | w)
    assert float(scaled - plain) == pytest.approx(ll * (N_TRAIN / 32 - 1), rel=1e-4)


def test_error_uses_the_key_only_in_training(setting):
    _, params, train = setting
    small = BayesMLPSVI(widths=(16,), n_samples_eval=8)
    error = jax.jit(small.error)
    a = error(params, train, train)
    assert float(a) == float(error(params, train, train))  # no key: deterministic
    k1, k2 = jax.random.split(jax.random.PRNGKey(0))
    assert float(error(params, train, train, key=k1)) != float(error(params, train, train, key=k2))
    # gradients flow through the reparameterised draw into means and stds
    grads = jax.jit(jax.grad(lambda p: small.objective(p, train, train, key=k1)))(params)
    assert all(float(jnp.abs(g).sum()) > 0 for g in jax.tree_util.tree_leaves(grads))


def test_predict_is_the_posterior_predictive_average(setting):
    fam, params, train = setting
    small = BayesMLPSVI(widths=(16,), n_samples_eval=5, eval_seed=3)
    probs = jax.jit(small.predict)(params, train.x, train)
    assert probs.shape == (N_TRAIN, 2)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    keys = jax.random.split(jax.random.PRNGKey(3), 5)
    by_hand = np.mean([jax.nn.softmax(mlp_logits(small.draw(params, k), train.x), -1)
                       for k in keys], axis=0)
    np.testing.assert_allclose(probs, by_hand, rtol=1e-5, atol=1e-6)
    # a key gives the same draw inside and outside jit (dict order does not matter)
    np.testing.assert_allclose(jax.jit(small.draw)(params, keys[0])["w0"],
                               small.draw(params, keys[0])["w0"], rtol=1e-5, atol=1e-6)


def test_probes(setting):
    fam, params, train = setting
    probes = fam.probes(params, train)
    assert set(probes) == {"mean_norm", "mean_std"}
    locs = np.concatenate([np.ravel(v) for v in params["loc"].values()])
    assert float(probes["mean_norm"][1]) == pytest.approx(np.linalg.norm(locs), rel=1e-5)
    assert probes["mean_std"][0] == ()
    assert 0.05 < float(probes["mean_std"][1]) < 0.5


def test_linear_gaussian_terms_and_prediction():
    split = make_task("linear_sign", seed=0)
    fam = BayesLinearSVI(bias=False, noise_scale=0.0316, prior_scale=0.5,
                         initial_means=[5e-4, 0.9, 0.9, 0.9], init_std=0.01)
    p = fam.init(jax.random.PRNGKey(0), split)
    train = Batch(jnp.asarray(split.x_train, jnp.float32), jnp.asarray(split.y_train))
    m, s = np.asarray(p["loc"]["w0"], np.float64), 0.01
    x, y = np.asarray(split.x_train, np.float64), np.asarray(split.y_train, np.float64)
    # closed form of -E_q[log N(y | x w, sigma^2)] per point
    expected = np.mean(0.5 * np.log(2 * np.pi * 0.0316**2)
                       + ((x @ m - y) ** 2 + s**2 * (x**2).sum(1)) / (2 * 0.0316**2))
    fam_many = BayesLinearSVI(bias=False, noise_scale=0.0316, prior_scale=0.5,
                              n_samples_eval=4000)
    assert float(fam_many.error(p, train, train)) == pytest.approx(expected, rel=2e-3)
    kl = np.sum(np.log(0.5 / s) + (s**2 + m**2) / (2 * 0.25) - 0.5) / 2
    assert float(fam.complexity(p, train)) == pytest.approx(kl, rel=1e-5)
    np.testing.assert_allclose(fam.predict(p, train.x, train), x @ m, rtol=1e-5)


@pytest.mark.parametrize("likelihood, n_classes", [("bernoulli", None), ("categorical", 2)])
def test_linear_classification_runs_through_the_engine(likelihood, n_classes):
    splits = [_split(s) for s in (0, 1)]
    fam = BayesLinearSVI(likelihood=likelihood, n_classes=n_classes, n_samples_eval=4)
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 0.1}, steps=16,
                       batch_size=32, log={"every": 8})
    ds = jax_engine.run(fam, splits, cfg)
    assert dict(ds.sizes) == {"seed": 2, "step": 3}
    assert np.isfinite(ds["objective"]).all() and (ds["status"] == "ok").all()
    np.testing.assert_allclose(ds["objective"], ds["error"] + ds["complexity"], rtol=1e-5)


def test_snapshots_draw_the_guide_at_chosen_steps_as_inference_data(tmp_path):
    import arviz_stats as azs
    import xarray as xr

    splits = [make_task("linear_sign", seed=s) for s in (0, 1, 2)]
    fam = BayesLinearSVI(bias=False, noise_scale=0.0316, prior_scale=0.5,
                         initial_means=[5e-4, 0.9, 0.9, 0.9], init_std=0.01)
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-5}, steps=300,
                       log={"every": 100}, snapshots=[0, 300, 150], snapshot_draws=2000)
    ds, artifacts = jax_engine.run_with_artifacts(fam, splits, cfg)
    assert sorted(artifacts) == ["parameters", "posterior_step0", "posterior_step150",
                                 "posterior_step300"]
    assert ds["step"].values.tolist() == [0, 100, 200, 300]  # snapshots are not logged steps
    start = artifacts["posterior_step0"]["posterior"]["w0"]
    assert dict(start.sizes) == {"chain": 3, "draw": 2000, "w0_dim_0": 4}
    assert start["chain"].values.tolist() == [0, 1, 2]
    # at step 0 the guide is N(initial means, 0.01^2) for every seed
    np.testing.assert_allclose(start.mean(("chain", "draw")), [5e-4, 0.9, 0.9, 0.9], atol=1e-3)
    np.testing.assert_allclose(start.std("draw"), 0.01, rtol=0.1)
    # the guide moves away from its start by the last step
    end = artifacts["posterior_step300"]["posterior"]["w0"]
    assert float(abs(end.mean("draw") - start.mean("draw")).max()) > 0.05
    # ArviZ's summaries work on it, and it survives a netCDF round trip
    assert "mean" in azs.summary(artifacts["posterior_step300"]).columns
    path = tmp_path / "snap.nc"
    artifacts["posterior_step300"].to_netcdf(path, engine="h5netcdf")
    back = xr.open_datatree(path, engine="h5netcdf").load()
    xr.testing.assert_allclose(back["posterior"]["w0"], end)


def test_numpyro_model_serves_nuts_conventions():
    fam = BayesMLPSVI(widths=(4,))
    tr = handlers.trace(handlers.seed(fam.numpyro_model, 0)).get_trace(jnp.ones((3, 5)))
    assert tr["y"]["value"].shape == (3,) and tr["prediction"]["value"].shape == (3, 2)
    assert [k for k, v in tr.items() if v["type"] == "sample"] == ["w0", "b0", "w1", "b1", "y"]
    y = jnp.array([0, 1, 1])
    observed = handlers.trace(handlers.seed(fam.numpyro_model, 0)).get_trace(jnp.ones((3, 5)), y)
    assert observed["y"]["is_observed"] and (observed["y"]["value"] == y).all()


@pytest.mark.parametrize(
    "family, params, name",
    [
        ("bayes_mlp", {"prior_scale": 0.0}, "prior_scale"),
        ("bayes_mlp", {"init_std": -0.01}, "init_std"),
        ("bayes_mlp", {"sigma_init": -1.0}, "sigma_init"),
        ("bayes_mlp", {"n_samples_eval": 0}, "n_samples_eval"),
        ("bayes_mlp", {"widths": [16, 0]}, "widths"),
        ("bayes_mlp", {"n_classes": 1}, "n_classes"),
        ("bayes_mlp", {"complexity_weight": -1.0}, "complexity_weight"),
        ("bayes_linear", {"likelihood": "poisson"}, "likelihood"),
        ("bayes_linear", {"likelihood": "categorical"}, "n_classes"),
        ("bayes_linear", {"noise_scale": 0.0}, "noise_scale"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(family, params, name):
    with pytest.raises(FamilyParameterError, match=name) as info:
        make_family(family, **params)
    assert isinstance(info.value, ValueError)
    if name in params:
        assert info.value.key == name


def test_families_refuse_tasks_they_do_not_fit():
    with pytest.raises(ValueError, match="n_classes"):
        BayesMLPSVI(n_classes=3).init(jax.random.PRNGKey(0), _split())
    with pytest.raises(ValueError, match="gaussian"):
        BayesLinearSVI().init(jax.random.PRNGKey(0), _split())
    with pytest.raises(ValueError, match="initial_means"):
        BayesLinearSVI(initial_means=[1.0]).init(None, make_task("linear_sign", seed=0))


def test_inverse_softplus():
    assert float(jax.nn.softplus(inverse_softplus(0.3))) == pytest.approx(0.3, rel=1e-6)


# A small BNN groks: hidden parity of 3 bits among 8 spurious ones, 200 training points,
# width 32, guide means from N(0, 0.7^2), SGD lr 0.1, batch 32. Measured onsets (steps):
# train 940, 450, 460 and validation 1810, 830, 840 for seeds 0, 1, 2.
def test_small_bnn_fits_training_data_before_it_generalises():
    splits = [make_task("parity", seed=s, n_bits=3, n_points=400, n_train=200, n_spurious=8)
              for s in (0, 1, 2)]
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 0.1}, steps=2000,
                       batch_size=32, log={"every": 10})
    ds = jax_engine.run(BayesMLPSVI(widths=(32,), sigma_init=0.7), splits, cfg)
    gap = grokking_gap(ds)
    assert bool(gap["train_crossed"].all()) and bool(gap["val_crossed"].all())
    assert (gap["train_onset"] < gap["val_onset"]).all(), gap
    assert int(gap["gap"].min()) >= 200
    assert set(ds.data_vars) >= {"mean_norm", "mean_std", "error", "complexity"}
    assert ds.attrs["objective_formula"] == "error + complexity"


# -- A6 as published: local reparameterisation, log-std, torch means, batch accuracy --------


def _tiny_published(**kw):
    from bayesgrok.families.bayes_svi import BayesMLPSVI

    return BayesMLPSVI(widths=(), local_reparameterization=True, std_parametrization="log",
                       **kw)


def test_local_reparameterisation_has_the_analytic_per_example_variance():
    import jax
    import jax.numpy as jnp
    import numpy as np

    from bayesgrok.tasks import make_task

    fam = _tiny_published(sigma_init=0.5, init_std=0.3)
    split = make_task("parity", 0, n_points=20, n_train=10, n_spurious=2)
    p = fam.init(jax.random.PRNGKey(0), split)
    x = jnp.asarray([[1.0, 0.0, 2.0, 1.0, 0.5], [1.0, 0.0, 2.0, 1.0, 0.5],
                     [0.0, 1.0, 0.0, 0.0, 0.0]])
    keys = jax.random.split(jax.random.PRNGKey(1), 20000)
    z = np.asarray(jax.vmap(lambda k: fam.local_logits(p, x, k))(keys))  # (draws, 3, 2)
    std = fam.std(p)
    mean = np.asarray(x @ p["loc"]["w0"] + p["loc"]["b0"])
    var = np.asarray((x * x) @ std["w0"] ** 2 + std["b0"] ** 2)
    np.testing.assert_allclose(z.mean(0), mean, atol=0.02)
    np.testing.assert_allclose(z.var(0), var, rtol=0.05)
    # independent per example: two identical inputs get uncorrelated draws
    assert abs(np.corrcoef(z[:, 0, 0], z[:, 1, 0])[0, 1]) < 0.05
    shared = _tiny_published(sigma_init=0.5, init_std=0.3)
    shared.local_reparameterization = False
    w = np.asarray(jax.vmap(lambda k: shared.logits(p, x, k))(keys[:50]))
    np.testing.assert_allclose(w[:, 0], w[:, 1])  # one weight draw shared by the batch


def test_log_std_parametrisation_and_torch_means_are_the_published_ones():
    import jax
    import numpy as np
    import torch

    from bayesgrok.families.bayes_svi import BayesMLPSVI
    from bayesgrok.tasks import make_task

    split = make_task("parity", 2, n_points=1200, n_train=1000, n_spurious=27,
                      seeding="published")
    fam = BayesMLPSVI(sigma_init=0.3, init_std=0.01, std_parametrization="log",
                      init_means="torch", local_reparameterization=True)
    p = fam.init(jax.random.PRNGKey(0), split)
    # tiny-gen's TinyBayes: torch.manual_seed(seed), then GaussianLinear([31, 200]) and
    # GaussianLinear([201, 2]), each q_mean = torch.Tensor(S).normal_(0.0, q_mean_std)
    torch.manual_seed(2)
    fc1 = torch.Tensor(31, 200).normal_(0.0, 0.3)
    fc2 = torch.Tensor(201, 2).normal_(0.0, 0.3)
    np.testing.assert_array_equal(p["loc"]["w0"], fc1[:-1].numpy())
    np.testing.assert_array_equal(p["loc"]["b0"], fc1[-1].numpy())
    np.testing.assert_array_equal(p["loc"]["w1"], fc2[:-1].numpy())
    np.testing.assert_array_equal(p["loc"]["b1"], fc2[-1].numpy())
    np.testing.assert_allclose(p["rho"]["w0"], np.log(0.01))  # q_log_std = log(0.01)
    np.testing.assert_allclose(fam.std(p)["w1"], 0.01, rtol=1e-6)


def test_a_minibatch_run_records_the_published_batch_accuracies():
    import numpy as np

    from bayesgrok.families.bayes_svi import BayesMLPSVI
    from bayesgrok.search import jax_engine
    from bayesgrok.search.config import SearchConfig
    from bayesgrok.tasks import make_task

    splits = [make_task("parity", s, n_points=120, n_train=100, n_spurious=3,
                        seeding="published") for s in (0, 1)]
    fam = BayesMLPSVI(widths=(16,), local_reparameterization=True, std_parametrization="log",
                      init_means="torch", n_samples_eval=4)
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 0.1}, batch_size=10,
                       epochs=6, log={"every": 10})
    ds = jax_engine.run(fam, splits, cfg)
    train = ds["train_batch_accuracy"]
    assert np.isnan(train.isel(step=0)).all()  # no minibatch seen yet at step 0
    later = train.isel(step=slice(1, None)).values
    assert np.isfinite(later).all() and ((later >= 0) & (later <= 1)).all()
    # a mean of per-batch accuracies of batches of 10: multiples of 0.01
    np.testing.assert_allclose(later * 100, np.round(later * 100), atol=1e-4)
    assert np.isfinite(ds["val_batch_accuracy"]).all()
    assert ds["train_accuracy"].shape == train.shape


@pytest.mark.parametrize("widths", [(8,), (6, 5)])
def test_measuring_logits_draw_by_draw_equal_the_vmapped_draws_bit_for_bit(widths):
    """The engine's measurements run the fixed draws one at a time (``lax.map``, for the
    cache); the values must be those of vmapping :meth:`local_logits` over them."""
    split = make_task("parity", 0, n_points=60, n_train=40, n_spurious=5)
    family = BayesMLPSVI(widths=widths, local_reparameterization=True, n_samples_eval=4)
    params = family.init(jax.random.PRNGKey(0), split)
    x = jnp.asarray(split.x_train, jnp.float32)
    draws = family.fixed_draws(40, "float32")
    one_by_one = jax.jit(family._local_logits_draw_by_draw)(params, x, draws)
    vmapped = jax.jit(lambda p, d: jax.vmap(
        lambda e: family.local_logits(p, x, jax.random.PRNGKey(0), e))(d))(params, draws)
    assert one_by_one.shape == (4, 40, 2)
    assert np.array_equal(one_by_one, vmapped)
