"""A3 GP classifier: a training step with GPJax's pairwise Gram engine against the matrix form.

Both variants differentiate the same objective (error + KL per point, GPJax's
``variational_expectation`` and ``prior_kl``) of the same variational GP classifier on the
same hidden-parity data, in one process, with one XLA thread (as a study's run gets where
two share the machine): once with the family as it is (RBF Gram matrices formed by
:class:`bayesgrok.families.gp_kernels.MatrixRBFComputation`), once with GPJax's default
pairwise engine. Each is compiled and run once, then timed over ``--reps`` warm calls;
the objectives and gradients are checked to agree.

    .venv/bin/python benchmarks/bench_gp_kernel.py [--n-train 1000] [--reps 3]
"""

from __future__ import annotations

import os

os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
import functools  # noqa: E402
import time  # noqa: E402
from unittest import mock  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from bayesgrok.families import gp_classification  # noqa: E402
from bayesgrok.families.gp_kernels import rbf_kernel  # noqa: E402
from bayesgrok.search.contract import Batch  # noqa: E402
from bayesgrok.tasks import make_task  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    split = make_task("parity", seed=0, n_bits=3, n_points=args.n_train + 100,
                      n_train=args.n_train, n_spurious=37, spurious="bits")
    family = gp_classification.GPClassification(initial_lengthscale=np.log(2.0))
    pairwise = functools.partial(rbf_kernel, matrix_form=False)

    timings, results = {}, {}
    with jax.enable_x64(True):
        train = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
        params = family.init(jax.random.PRNGKey(0), split)
        for name, patch in (("matrix form (bayesgrok)", None),
                            ("pairwise (GPJax default)", pairwise)):
            with mock.patch.object(gp_classification, "rbf_kernel", patch or rbf_kernel):
                step = jax.jit(jax.value_and_grad(
                    lambda p, b: family.objective(p, b, b)))
                t0 = time.perf_counter()
                jax.block_until_ready(step(params, train))
                t1 = time.perf_counter()
                for _ in range(args.reps):
                    results[name] = jax.block_until_ready(step(params, train))
                t2 = time.perf_counter()
            timings[name] = (t1 - t0, (t2 - t1) / args.reps)
    (v_fast, g_fast), (v_slow, g_slow) = results.values()
    np.testing.assert_allclose(v_fast, v_slow, rtol=1e-12)
    for a, b in zip(jax.tree_util.tree_leaves(g_fast), jax.tree_util.tree_leaves(g_slow),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)
    base = timings["matrix form (bayesgrok)"][1]
    print(f"A3 variational GP classifier, {args.n_train} training points, d = 40, float64, "
          "one XLA thread: value_and_grad of the objective (values and gradients agree)")
    print(f"{'variant':26s} {'compile+1 s':>12s} {'warm s/step':>12s} {'ratio':>8s}")
    for name, (cold, warm) in timings.items():
        print(f"{name:26s} {cold:12.2f} {warm:12.3f} {warm / base:8.2f}")


if __name__ == "__main__":
    main()
