"""A6 BNN: three seeds vectorised in one run against a Python loop of one-seed runs.

Runs REFERENCE A6's mean-field BNN (30-200-2, ReLU, prior N(0, 1), sigma_init 0.1, guide
stds from 0.01) on hidden parity (3 bits + 27 spurious, 1000 train / 200 validation) with
SGD lr 0.1, batch 32, logged every 32 steps, for the same number of epochs two ways in one
process: one ``jax_engine.run`` with 3 splits (seeds vmapped), and 3 runs of one split
each. Each way runs twice; the first (compilation included) is the cold time, the second
the warm time, and the warm times are compared.

    .venv/bin/python benchmarks/bench_bnn_seeds.py [--epochs 50] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bayesgrok.families.bayes_svi import BayesMLPSVI
from bayesgrok.search import jax_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.tasks import make_task


def timed(fn: Callable[[], object]) -> tuple[float, float, float]:
    """(cold, warm) wall times of two calls of ``fn``, and the warm call's CPU time.

    The CPU time (all threads of this process) is robust to other processes sharing the
    machine, the wall time is not; on a quiet machine pinned to one core they agree.
    """
    t0 = time.perf_counter()
    fn()
    t1, c1 = time.perf_counter(), time.process_time()
    fn()
    t2, c2 = time.perf_counter(), time.process_time()
    return t1 - t0, t2 - t1, c2 - c1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--sigma-init", type=float, default=0.1)
    args = parser.parse_args()
    splits = [make_task("parity", seed=s, n_bits=3, n_points=1200, n_train=1000,
                        n_spurious=27, spurious="bits") for s in args.seeds]
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 0.1},
                       epochs=args.epochs, batch_size=32, log={"every": 32})
    family = BayesMLPSVI(widths=(200,), prior_scale=1.0, sigma_init=args.sigma_init,
                         init_std=0.01)
    # compiled functions live with one run() call, so a warm call compiles again: the
    # loop pays compilation once per seed, the vectorised run once.
    rows = {
        "vectorised (1 run, 3 splits)": timed(lambda: jax_engine.run(family, splits, cfg)),
        "python loop (3 runs, 1 split)": timed(
            lambda: [jax_engine.run(family, [s], cfg) for s in splits]
        ),
    }
    n = len(splits)
    steps = cfg.total_steps(splits[0].n_train)
    print(f"A6 BNN 30-200-2, {n} seeds x {args.epochs} epochs ({steps} SGD steps of batch 32, "
          f"logged every 32 steps)")
    print(f"{'variant':32s} {'cold s':>8s} {'warm s':>8s} {'warm cpu s':>11s} "
          f"{'warm ratio to vectorised':>26s}")
    base = rows["vectorised (1 run, 3 splits)"][1]
    for name, (cold, warm, cpu) in rows.items():
        print(f"{name:32s} {cold:8.2f} {warm:8.2f} {cpu:11.2f} {warm / base:26.2f}")
    loop_cold, loop_warm, loop_cpu = rows["python loop (3 runs, 1 split)"]
    vec_cold, vec_warm, vec_cpu = rows["vectorised (1 run, 3 splits)"]
    print(f"speed-up of vectorising: {loop_warm / vec_warm:.2f}x warm, "
          f"{loop_cold / vec_cold:.2f}x cold, {loop_cpu / vec_cpu:.2f}x warm CPU time")


if __name__ == "__main__":
    main()
