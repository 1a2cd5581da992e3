"""ArviZ posteriors of variational families at a search's snapshot steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
import xarray as xr

from bayesgrok.search.contract import Family


def posterior_snapshots(
    family: Family, snapshots: dict[int, Any], seeds: Sequence[int], n_draws: int
) -> dict[str, xr.DataTree]:
    """ArviZ InferenceData of the distribution the parameters describe, per snapshot step.

    For a family with ``posterior_draws(params, key, n) -> {site: (n, ...)}`` (one seed's
    parameters), each snapshot becomes a DataTree whose ``posterior`` group holds
    ``n_draws`` draws per seed, the seeds as ArviZ's chains (coordinate ``chain`` = the
    seed), so ArviZ's posterior plots work on variational posteriors. Families without
    ``posterior_draws`` give no artifacts, nor does ``n_draws = 0``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> class Gaussian:
    ...     name, draws_posterior = "gaussian", True
    ...     def posterior_draws(self, params, key, n):
    ...         return {"w": params + jax.random.normal(key, (n, 2))}
    >>> out = posterior_snapshots(Gaussian(), {5: jnp.zeros((3, 2))}, [0, 1, 2], 10)
    >>> dict(out["posterior_step5"]["posterior"].sizes)
    {'chain': 3, 'draw': 10, 'w_dim_0': 2}
    """
    if not family.draws_posterior or not snapshots or n_draws == 0:
        return {}
    import arviz_base as azb

    out = {}
    for step, params in sorted(snapshots.items()):
        per_seed = []
        for i, seed in enumerate(seeds):
            one = jax.tree_util.tree_map(lambda leaf, i=i: leaf[i], params)
            per_seed.append(family.posterior_draws(one, jax.random.PRNGKey(int(seed)), n_draws))
        posterior = {name: np.stack([np.asarray(d[name]) for d in per_seed])
                     for name in per_seed[0]}
        out[f"posterior_step{step}"] = azb.from_dict(
            {"posterior": posterior},
            coords={"chain": np.asarray(seeds, dtype=np.int64)},
            attrs={"posterior": {
                "step": int(step), "family": family.name,
                "note": "variational posterior: draws from the guide; chain = seed"}},
        )
    return out
