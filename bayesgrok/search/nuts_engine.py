"""The NUTS engine: NumPyro's NUTS on a family's NumPyro model, several chains per seed.

A NUTS "search" does not move one point: it draws from the posterior. Its trajectory is
indexed by ``step`` = the number of post-warmup draws per chain used so far, and records
at each logged count the posterior averages over all chains' draws up to it:

* ``error``: ``E_post[-log p(y | w)] / N`` on the training set (``val_error``: validation),
* ``complexity``: ``E_post[-log p(w)] / N_train`` (the negative log prior density),
* accuracy (or MSE) of the posterior predictive: class probabilities (or means) averaged
  over the draws, then judged as usual.

Per seed it also records ArviZ's diagnostics (largest R-hat, smallest bulk and tail ESS)
and the number of divergent transitions, and returns the full InferenceData (posterior,
posterior predictive, log likelihood, sample stats) as an :class:`xarray.DataTree`, which
the study runner saves beside the run.

A family runs under NUTS when it provides ``numpyro_model(x, y=None)``: a NumPyro model
whose observed site is ``"y"`` and which records ``numpyro.deterministic("prediction",
...)``: class probabilities ``(n, C)`` or the regression mean ``(n,)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from bayesgrok.search import record
from bayesgrok.search.jax_cache import enable_compilation_cache
from bayesgrok.search.nuts_config import NUTSConfig
from bayesgrok.tasks.split import Split
from bayesgrok.trajectory import validate

Progress = Callable[[int], None]


def _sample(family: Any, split: Split, cfg: NUTSConfig, seed: int) -> Any:
    from numpyro.infer import MCMC, NUTS

    kernel = NUTS(family.numpyro_model, target_accept_prob=cfg.target_accept_prob,
                  max_tree_depth=cfg.max_tree_depth, dense_mass=cfg.dense_mass)
    chain_method = "parallel" if jax.local_device_count() >= cfg.num_chains else "sequential"
    mcmc = MCMC(kernel, num_warmup=cfg.num_warmup, num_samples=cfg.num_samples,
                num_chains=cfg.num_chains, chain_method=chain_method, progress_bar=False)
    y = jnp.asarray(split.y_train)
    mcmc.run(jax.random.PRNGKey(seed), jnp.asarray(split.x_train), y,
             extra_fields=("diverging",))
    return mcmc


def _per_draw(family: Any, samples: dict[str, Any], split: Split) -> dict[str, np.ndarray]:
    """Per draw (chain, draw): train/val log likelihood per point, log prior, predictions."""
    from numpyro.infer import Predictive
    from numpyro.infer.util import log_density, log_likelihood

    flat = {k: v.reshape((-1,) + v.shape[2:]) for k, v in samples.items()}
    shape = next(iter(samples.values())).shape[:2]
    x_tr, y_tr = jnp.asarray(split.x_train), jnp.asarray(split.y_train)
    x_va, y_va = jnp.asarray(split.x_val), jnp.asarray(split.y_val)
    ll_tr = log_likelihood(family.numpyro_model, flat, x_tr, y_tr)["y"]
    ll_va = log_likelihood(family.numpyro_model, flat, x_va, y_va)["y"]

    def joint(draw: dict[str, Any]) -> jax.Array:
        return log_density(family.numpyro_model, (x_tr, y_tr), {}, draw)[0]

    log_joint = jax.vmap(joint)(flat)
    log_prior = log_joint - ll_tr.sum(-1)
    predictive = Predictive(family.numpyro_model, flat, return_sites=["prediction"])
    key = jax.random.PRNGKey(0)
    pred_tr = predictive(key, x_tr)["prediction"]
    pred_va = predictive(key, x_va)["prediction"]

    def unflat(a: Any) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64)
        return a.reshape(shape + a.shape[1:])

    return {"ll_train": unflat(ll_tr), "ll_val": unflat(ll_va), "log_prior": unflat(log_prior),
            "pred_train": unflat(pred_tr), "pred_val": unflat(pred_va)}


def _metrics(per: dict[str, np.ndarray], split: Split, upto: int) -> dict[str, float]:
    """Posterior averages over the first ``upto`` draws of every chain."""
    window = {k: v[:, :upto] for k, v in per.items()}
    n = split.n_train
    out = {
        "error": float(-window["ll_train"].mean(axis=(0, 1)).mean()),
        "val_error": float(-window["ll_val"].mean(axis=(0, 1)).mean()),
        "complexity": float(-window["log_prior"].mean() / n),
    }
    out["objective"] = out["error"] + out["complexity"]
    for part, y in (("train", split.y_train), ("val", split.y_val)):
        pred = window[f"pred_{part}"].mean(axis=(0, 1))  # posterior predictive average
        if split.kind == "classification":
            out[f"{part}_accuracy"] = float(np.mean(np.argmax(pred, axis=-1) == y))
        else:
            out[f"{part}_mse"] = float(np.mean((pred - y) ** 2))
            if split.accuracy == "sign":
                out[f"{part}_accuracy"] = float(np.mean(np.sign(pred) == np.sign(y)))
    return out


def _inference_data(mcmc: Any, family: Any, split: Split) -> xr.DataTree:
    import arviz_base as azb
    from numpyro.infer import Predictive

    posterior_predictive = Predictive(family.numpyro_model, mcmc.get_samples())(
        jax.random.PRNGKey(1), jnp.asarray(split.x_train)
    )
    dt = azb.from_numpyro(
        mcmc,
        posterior_predictive={"y": posterior_predictive["y"]},
        log_likelihood=True,
    )
    return dt


def _diagnostics(dt: xr.DataTree) -> dict[str, float]:
    import arviz_stats as azs

    summary = azs.summary(dt, kind="diagnostics", round_to="none")
    return {
        "rhat_max": float(summary["r_hat"].max()),
        "ess_bulk_min": float(summary["ess_bulk"].min()),
        "ess_tail_min": float(summary["ess_tail"].min()),
        "divergences": float(dt["sample_stats"]["diverging"].sum()),
    }


def run(
    family: Any,
    splits: Sequence[Split],
    search: NUTSConfig,
    *,
    seeds: Sequence[int] | None = None,
    config: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> tuple[xr.Dataset, dict[str, xr.DataTree]]:
    """Sample each seed's posterior with NUTS; return the trajectory and InferenceData.

    Returns
    -------
    (xarray.Dataset, dict)
        The trajectory, and ``{"idata_seed<k>": DataTree}`` per seed.

    Examples
    --------
    >>> from bayesgrok.families import make_family
    >>> from bayesgrok.tasks import make_task
    >>> fam = make_family("bayes_linear", likelihood="gaussian", bias=False,
    ...                   noise_scale=0.0316, prior_scale=0.5)
    >>> cfg = NUTSConfig(num_warmup=50, num_samples=50, num_chains=2, log={"every": 25})
    >>> ds, idata = run(fam, [make_task("linear_sign", seed=0)], cfg)
    >>> ds.sizes["step"], sorted(idata)
    (2, ['idata_seed0'])
    """
    enable_compilation_cache()
    if not family.samplable:
        raise ValueError(f"family {family.name!r} has no NumPyro model: NUTS cannot run it")
    seeds = [s.seed for s in splits] if seeds is None else list(seeds)
    first = splits[0]
    steps = search.log.steps(search.num_samples)
    steps = steps[steps > 0]  # a posterior average needs at least one draw
    started = time.perf_counter()
    records: list[dict[str, list[float]]] = []
    diagnostics: list[dict[str, float]] = []
    idata: dict[str, xr.DataTree] = {}
    for seed, split in zip(seeds, splits, strict=True):
        mcmc = _sample(family, split, search, seed)
        per = _per_draw(family, mcmc.get_samples(group_by_chain=True), split)
        rows = [_metrics(per, split, int(k)) for k in steps]
        records.append({name: [r[name] for r in rows] for name in rows[0]})
        dt = _inference_data(mcmc, family, split)
        diagnostics.append(_diagnostics(dt))
        idata[f"idata_seed{seed}"] = dt
        if progress is not None:
            progress(search.num_samples)
    wall = time.perf_counter() - started
    dims = ("seed", "step")
    variables = {name: (dims, np.asarray([r[name] for r in records])) for name in records[0]}
    for name in diagnostics[0]:
        variables[name] = (("seed",), np.asarray([d[name] for d in diagnostics]))
    ds = xr.Dataset(variables, coords={"seed": np.asarray(seeds, np.int64),
                                       "step": np.asarray(steps, np.int64)})
    status = ["ok" if np.isfinite(ds["error"].sel(seed=s)).all() else "diverged" for s in seeds]
    ds["status"] = ("seed", np.asarray(status, dtype=object))
    ds["step"].attrs["description"] = "post-warmup draws per chain averaged so far"
    ds.attrs = record.attributes(
        family=family, split=first, engine="nuts", backend="numpyro",
        config=config or record.default_config(family, first, search, seeds),
        objective_formula="E_post[-log p(y|w)]/N + E_post[-log p(w)]/N",
        objective_note="posterior averages over the draws so far of the per-point negative "
                       "log-likelihood (error) and negative log prior (complexity)",
        precision="float32", total_steps=search.num_samples,
        packages=["jax", "numpyro", "arviz-base"], wall_time_s=wall)
    return validate(ds), idata
