"""A5 landscape: the vectorised 100 x 100 grid against the same grid point by point.

Both evaluate GP regression's error and complexity (50 training points, float64) at the
same 10,000 grid points, in one process. The point-by-point variant calls one jitted
evaluation per grid point from a Python loop (compiled once, so it measures the loop, not
compilation); the vectorised variant is :func:`bayesgrok.search.landscape.landscape`.
Each is run twice and the second (warm) time is compared; the values are checked equal.

    .venv/bin/python benchmarks/bench_landscape.py [--size 100]
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from bayesgrok.families.gp_regression import GPRegression
from bayesgrok.search.contract import Batch
from bayesgrok.search.landscape import landscape
from bayesgrok.tasks import make_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args()
    split = make_task("noisy_sine", seed=42)
    family = GPRegression()
    xs = np.linspace(-7.0, 4.0, args.size)
    ys = np.linspace(-5.0, 5.0, args.size)

    def vectorised() -> np.ndarray:
        land = landscape(family, split, ("log_lengthscale", xs), ("log_outputscale", ys))
        return land["total"].values

    with jax.enable_x64(True):
        train = Batch(jnp.asarray(split.x_train), jnp.asarray(split.y_train))
        base = family.init(None, split)

        @jax.jit
        def one(x: jax.Array, y: jax.Array) -> jax.Array:
            p = {**base, "log_lengthscale": x, "log_outputscale": y}
            return family.error(p, train, train) + family.complexity(p, train)

        def looped() -> np.ndarray:
            out = np.empty((ys.size, xs.size))
            for i, y in enumerate(ys):
                for j, x in enumerate(xs):
                    out[i, j] = float(one(jnp.asarray(x), jnp.asarray(y)))
            return out

        timings = {}
        results = {}
        for name, fn in (("vectorised (vmap)", vectorised), ("python loop", looped)):
            t0 = time.perf_counter()
            fn()
            t1 = time.perf_counter()
            results[name] = fn()
            t2 = time.perf_counter()
            timings[name] = (t1 - t0, t2 - t1)
    np.testing.assert_allclose(results["vectorised (vmap)"], results["python loop"],
                               rtol=1e-8, atol=1e-10)
    base_time = timings["vectorised (vmap)"][1]
    print(f"GP regression landscape, {args.size} x {args.size} grid, {split.n_train} points, "
          "float64 (values agree)")
    print(f"{'variant':20s} {'cold s':>8s} {'warm s':>8s} {'ratio to vectorised':>20s}")
    for name, (cold, warm) in timings.items():
        print(f"{name:20s} {cold:8.2f} {warm:8.2f} {warm / base_time:20.1f}")


if __name__ == "__main__":
    main()
