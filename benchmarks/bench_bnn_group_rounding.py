"""Why A6 trains its sigma_init values apart: a grouped run rounds its sums differently.

Training A6's eight sigma_init values together (one vmapped program of 24 members) would
share each step's fixed cost, but it changes the trajectories unless each member's
gradients are bit for bit those it gets trained alone (3 members, one run's seeds). This
script takes one training step's objective and gradients for 24 members (8 sigma_init
values x 3 seeds) and for the first 3 (REFERENCE A6's published layers: local
reparameterisation, log-std, torch-drawn means; batch 32) and prints which leaves differ,
for two formulations of a layer's bias:

* ``shipped``: ``h @ m_w + m_b`` (bayesgrok's BNN): the bias's gradient is a sum over the
  minibatch's 32 rows;
* ``ones_dot``: ``h @ m_w + ones @ m_b`` (in effect the published code's layout, its bias a
  row of the weight matrix fed by a column of ones): the same forward values, and the
  bias's gradient comes out of a matrix product.

It then times a training step (no logging) of both, for 3 and for 24 members, in one
process and alternating (best of ``--repeats``).

Measured 2026-12-06 on this 2-core machine: the shipped form differs, 24 members against 3,
in the objective and the gradient of ``b0``; ``ones_dot`` in the objective and the
gradients of ``b1`` (in an earlier check, every member at sigma_init 1 with perturbed
means, ``ones_dot`` was identical in every leaf and the shipped form differed in ``b0``
only). XLA vectorises a sum differently for 3 vmapped members than for 24, and which sums
then round differently depends on the values: no rewriting of the bias makes a group bit
for bit the runs alone. ``ones_dot`` costs 1.05-1.07x a step; grouped, a training step of
the 24 members is 1.43x faster than 8 runs of 3 (measuring is not: each member measures
16 x 1200 x 200 activations, see ``bench_bnn_members.py``). A6 keeps ``group = false``,
so that its run files are those of its runs alone.

    .venv/bin/python benchmarks/bench_bnn_group_rounding.py [--steps 800] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from bayesgrok.families.bayes_svi import BayesMLPSVI
from bayesgrok.search import jax_program
from bayesgrok.search.contract import Batch
from bayesgrok.tasks import make_task

sys.path.insert(0, str(Path(__file__).parent))
from bench_bnn_members import PUBLISHED, per_step_ms  # noqa: E402

SIGMA_INIT = (0.005, 0.01, 0.05, 0.1, 0.3, 0.5, 0.7, 1.0)


def ones_dot_logits(self: BayesMLPSVI, params: Any, x: jax.Array, key: jax.Array,
                    noise: Any = None) -> jax.Array:
    """``BayesMLPSVI.local_logits`` with each bias added through a product with ones."""
    std = self.std(params)
    n_layers = len(self.widths) + 1
    keys = jax.random.split(key, n_layers)
    h = x
    for i in range(n_layers):
        ones = jnp.ones((h.shape[0], 1), h.dtype)
        mean = h @ params["loc"][f"w{i}"] + ones @ params["loc"][f"b{i}"][None]
        var = (h * h) @ (std[f"w{i}"] ** 2) + ones @ (std[f"b{i}"] ** 2)[None]
        eps = jax.random.normal(keys[i], mean.shape, mean.dtype) if noise is None else noise[i]
        z = mean + jnp.sqrt(var) * eps
        h = jax.nn.relu(z) if i < n_layers - 1 else z
    return h


FORMS = {"shipped": BayesMLPSVI.local_logits, "ones_dot": ones_dot_logits}


def differing_leaves(form: str) -> list[str]:
    """The gradient leaves of one A6 training step whose first 3 members differ when 24
    members are vmapped instead of 3."""
    BayesMLPSVI.local_logits = FORMS[form]
    splits = [make_task("parity", m % 3, n_points=1200, n_train=1000, n_spurious=27,
                        seeding="published") for m in range(24)]
    families = [BayesMLPSVI(sigma_init=s, **PUBLISHED) for s in SIGMA_INIT for _ in range(3)]
    params = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *[
        f.init(jax.random.PRNGKey(m), s) for m, (f, s) in enumerate(zip(families, splits,
                                                                         strict=True))])
    batch = Batch(jnp.stack([jnp.asarray(s.x_train[:32], jnp.float32) for s in splits]),
                  jnp.stack([jnp.asarray(s.y_train[:32]) for s in splits]))
    train = Batch(jnp.stack([jnp.asarray(s.x_train, jnp.float32) for s in splits]),
                  jnp.stack([jnp.asarray(s.y_train) for s in splits]))
    keys = jnp.stack([jax.random.PRNGKey(100 + m) for m in range(24)])
    family = families[0]

    def step(p: Any, b: Batch, t: Batch, k: jax.Array) -> Any:
        objective = partial(family.objective_and_batch_accuracy, key=k)
        return jax.value_and_grad(objective, has_aux=True)(p, b, t)

    vmapped = jax.jit(jax.vmap(step))
    args = (params, batch, train, keys)
    many = vmapped(*args)
    few = vmapped(*jax.tree_util.tree_map(lambda a: a[:3], args))
    return [jax.tree_util.keystr(path)
            for (path, a), b in zip(jax.tree_util.tree_flatten_with_path(many)[0],
                                    jax.tree_util.tree_leaves(few), strict=True)
            if not np.array_equal(np.asarray(a)[:3], np.asarray(b))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    original = BayesMLPSVI.local_logits
    try:
        for form in FORMS:
            leaves = differing_leaves(form)
            print(f"{form:9s} 24 members against 3: "
                  f"{'identical' if not leaves else 'differ in ' + ', '.join(leaves)}")
        best: dict[tuple[str, int], float] = {}
        for _ in range(args.repeats):
            for form in FORMS:
                BayesMLPSVI.local_logits = FORMS[form]
                jax_program._SHARED.clear()  # one compiled program per form
                for members in (3, 24):
                    ms = per_step_ms(members, 10**9, args.steps)
                    best[form, members] = min(best.get((form, members), ms), ms)
    finally:
        BayesMLPSVI.local_logits = original
    for members in (3, 24):
        a, b = best["shipped", members], best["ones_dot", members]
        print(f"{members:2d} members, a training step: shipped {a:.3f} ms, ones_dot {b:.3f} ms "
              f"({b / a:.2f}x the time)")
    print(f"grouped ones_dot against 8 runs of 3 shipped, training: "
          f"{8 * best['shipped', 3] / best['ones_dot', 24]:.2f}x faster")


if __name__ == "__main__":
    main()
