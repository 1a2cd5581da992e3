"""JAX engine: seeds vectorised against a Python loop over the same seeds, side by side.

Runs REFERENCE A1 (linear regression, full-batch SGD) for N seeds two ways in one process
and prints the ratio of wall times. Each way runs twice; the second (compiled) time is the
one compared, and the first is reported as the cold time (compile included). Also compares
the cost of logging every step against logging every 100 steps.

    .venv/bin/python benchmarks/bench_jax_engine.py [--seeds 16] [--epochs 5000]
"""

from __future__ import annotations

import argparse
import time

from bayesgrok.families.linear import LinearRegression
from bayesgrok.search import jax_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.tasks import make_task


def timed(fn) -> tuple[float, float]:
    """(cold, warm) wall times of two calls of ``fn``."""
    t0 = time.perf_counter()
    fn()
    t1 = time.perf_counter()
    fn()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=5000)
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    splits = [make_task("linear_sign", seed=s) for s in seeds]

    def config(every: int) -> SearchConfig:
        return SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 1e-3},
                            epochs=args.epochs, log={"every": every})

    family = LinearRegression()
    # the compiled functions live with one run() call, so "warm" means a second identical
    # call that pays compilation again: report both, the loop pays it once per seed.
    rows = {
        "vectorised, log every 100": timed(lambda: jax_engine.run(family, splits, config(100))),
        "python loop, log every 100": timed(
            lambda: [jax_engine.run(family, [s], config(100)) for s in splits]
        ),
        "vectorised, log every step": timed(lambda: jax_engine.run(family, splits, config(1))),
    }
    base = rows["vectorised, log every 100"][1]
    print(f"A1 linear regression, {len(seeds)} seeds x {args.epochs} epochs (full batch)")
    print(f"{'variant':32s} {'cold s':>8s} {'warm s':>8s} {'ratio to vectorised':>20s}")
    for name, (cold, warm) in rows.items():
        print(f"{name:32s} {cold:8.2f} {warm:8.2f} {warm / base:20.2f}")


if __name__ == "__main__":
    main()
