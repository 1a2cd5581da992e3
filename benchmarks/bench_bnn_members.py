"""A6 BNN: is a step bound by overhead or by arithmetic? Members trained together.

Trains REFERENCE A6's BNN (the published layers: local reparameterisation, log-std,
torch-drawn means; 30-200-2, batch 32, SGD 0.1) as one vmapped ``jax_engine.run`` of
3 members (one run's seeds) and of 24 (the study's 8 sigma_init values x 3 seeds, as a group
trains them), with logging off and at A6's schedule (every 32 steps: the 16-draw
posterior-predictive measurement of 1200 points). If 24 members cost much less than 8x
what 3 do, per-step overhead dominates and grouping pays; if about 8x, the step is bound by
its arithmetic and memory traffic. Warm times (the first call compiles), ms per step.

    .venv/bin/python benchmarks/bench_bnn_members.py [--steps 1600] [--members 3 24]
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


def per_step_ms(members: int, every: int, steps: int) -> float:
    """Warm wall time of one step of ``members`` vmapped members, in ms."""
    splits = [make_task("parity", m % 3, n_points=1200, n_train=1000, n_spurious=27,
                        seeding="published") for m in range(members)]
    search = SearchConfig(optimizer="sgd", optimizer_args={"learning_rate": 0.1},
                          batch_size=32, steps=steps, log={"every": every})
    family = BayesMLPSVI(sigma_init=0.5, **PUBLISHED)
    seeds = list(range(members))
    jax_engine.run(family, splits, search, seeds=seeds)  # compiles
    started = time.perf_counter()
    jax_engine.run(family, splits, search, seeds=seeds)
    return (time.perf_counter() - started) / steps * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1600)
    parser.add_argument("--members", type=int, nargs=2, default=[3, 24])
    args = parser.parse_args()
    small, large = args.members
    for label, every in (("training only", 10**9), ("logged every 32 steps", 32)):
        a = per_step_ms(small, every, args.steps)
        b = per_step_ms(large, every, args.steps)
        print(f"{label:22s} {small} members {a:6.3f} ms, {large} members {b:7.3f} ms a step: "
              f"{b / a:4.2f}x for {large / small:g}x the members")


if __name__ == "__main__":
    main()
