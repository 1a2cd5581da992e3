"""A6's Bayesian MLP: the published layers (local reparameterisation, log-std, batch
accuracies) against the earlier setup (one weight draw per batch, softplus), side by side.

Three variants train the same A6 run (30 -> 200 -> 2, 1000 training points, batches of
32, SGD 0.1, three seeds vmapped, logged every 32 steps) for ``--steps`` steps in one
process, alternating, ``--reps`` times each after one warm-up: "before" (shared weight
draw, softplus stds, JAX-drawn means, no minibatch accuracies: the family as it was),
"published layers" (the card's options, the minibatch count switched off) and
"published" (the card's options with the engine counting ``train/val_batch_accuracy``,
as the A6 study runs). Ratios are to "before".

    .venv/bin/python benchmarks/bench_bnn_published.py [--steps 3000] [--reps 2]
"""

from __future__ import annotations

import argparse
import time

from bayesgrok.families.bayes_svi import BayesMLPSVI
from bayesgrok.search import jax_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.tasks import make_task

PUBLISHED = {"local_reparameterization": True, "std_parametrization": "log",
             "init_means": "torch"}


def _family(variant: str) -> BayesMLPSVI:
    family = BayesMLPSVI(sigma_init=0.3) if variant == "before" else BayesMLPSVI(
        sigma_init=0.3, **PUBLISHED)
    if variant != "published":
        family.batch_accuracy = None  # the engine then counts nothing per minibatch
    return family


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    splits = [make_task("parity", s, n_points=1200, n_train=1000, n_spurious=27,
                        seeding="published") for s in (0, 1, 2)]
    search = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 0.1},
                          batch_size=32, steps=args.steps, log={"every": 32})
    variants = ["before", "published layers", "published"]
    times: dict[str, list[float]] = {v: [] for v in variants}
    for rep in range(args.reps + 1):
        for variant in variants:
            started = time.perf_counter()
            jax_engine.run(_family(variant), splits, search)
            if rep:  # the first round compiles and warms up
                times[variant].append(time.perf_counter() - started)
    base = min(times["before"])
    print(f"A6 run, {args.steps} steps x 3 seeds, best of {args.reps} (whole run incl. compile)")
    for variant in variants:
        best = min(times[variant])
        print(f"  {variant:30s} {best:6.1f} s   ratio {best / base:4.2f}")


if __name__ == "__main__":
    main()
