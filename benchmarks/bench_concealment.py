"""A4 per run-seed: bayesgrok's PyTorch engine against a lean published-style loop.

In one process, on the full A4 setting at l = 40 random bits (500 epochs, batch 32,
logging every 19 steps as ``studies/miller_concealment.toml`` does):

* ``lean``: ``benchmarks/lean/a4_concealment.py``, each run-seed alone (operation add,
  seeds 0-2), measuring training and validation accuracy once per epoch;
* ``group``: the engine's group runner on the six operations x seeds 0-2 (18 run-seeds in
  one stacked program: what ``bayesgrok run`` does with grouping on);
* ``run``: the engine on one run (add, seeds 0-2 stacked): grouping off;
* ``loop``: the engine with seeds one after another (``vectorize_seeds = False``);
* ``bare``: the group logged only at its first and last step;
* ``lean bare``: the lean loop measuring only after its last epoch.

The cost of measuring at A4's own schedule, per run-seed: ``group - bare`` for the engine
(error, objective, complexity, validation error and accuracies of all 18 members every 19
steps) and ``lean - lean bare`` for the lean loop (training and validation accuracy once
per epoch, every 18.75 steps, as published). The recording overhead against the bare loop
is the engine's measuring cost beyond the loop's, as a share of the loop's whole time:
``((group - bare) - (lean - lean bare)) / lean`` (negative: the engine records its whole
trajectory for less than the loop spends on its two accuracies).

Prints seconds per run-seed and the ratios to ``group``. ``--epochs`` shortens all of
them alike.

    .venv/bin/python benchmarks/bench_concealment.py
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "lean"))

from a4_concealment import run_seed  # noqa: E402

from bayesgrok.families import make_family  # noqa: E402
from bayesgrok.search.config import SearchConfig  # noqa: E402
from bayesgrok.search.engines import Member  # noqa: E402
from bayesgrok.search.torch_engine import run_group  # noqa: E402
from bayesgrok.tasks import make_task  # noqa: E402

OPERATIONS = ["add", "sub", "div", "quad", "quad_plus_a", "aba"]
SEEDS = [0, 1, 2]


def family(vectorize: bool = True):
    card = tomllib.loads((ROOT / "bayesgrok" / "models" / "miller_concealment_mlp.toml")
                         .read_text())
    card.pop("description")
    fam = make_family(card.pop("family"), **card)
    fam.vectorize_seeds = vectorize
    return fam


def members(operations: list[str], bits: int, vectorize: bool = True) -> list[Member]:
    return [Member(family(vectorize),
                   [make_task("modular", seed=s, p=7, n_samples=800, n_train=600,
                              operation=op, n_extra_bits=bits, seeding="published")
                    for s in SEEDS], SEEDS) for op in operations]


def per_run_seed(operations: list[str], bits: int, search: SearchConfig,
                 vectorize: bool = True) -> float:
    group = members(operations, bits, vectorize)
    started = time.perf_counter()
    run_group(group, search)
    return (time.perf_counter() - started) / (len(operations) * len(SEEDS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--bits", type=int, default=40)
    args = parser.parse_args()
    search = SearchConfig(optimizer="sgd", optimizer_args={"lr": 0.1, "weight_decay": 1e-2},
                          epochs=args.epochs, batch_size=32, log={"every": 19})
    per_run_seed(["add"], args.bits, search.model_copy(update={"epochs": 2}))  # warm up
    times = {}
    started = time.perf_counter()
    for seed in SEEDS:
        run_seed("add", args.bits, seed, args.epochs)
    times["lean"] = (time.perf_counter() - started) / len(SEEDS)
    times["group"] = per_run_seed(OPERATIONS, args.bits, search)
    times["run"] = per_run_seed(["add"], args.bits, search)
    times["loop"] = per_run_seed(["add"], args.bits, search, vectorize=False)
    total = search.total_steps(600)
    bare = SearchConfig(optimizer="sgd", optimizer_args={"lr": 0.1, "weight_decay": 1e-2},
                        epochs=args.epochs, batch_size=32, log={"at": [0, total]})
    times["bare"] = per_run_seed(OPERATIONS, args.bits, bare)
    started = time.perf_counter()
    for seed in SEEDS:
        run_seed("add", args.bits, seed, args.epochs, measure_every_epoch=False)
    times["lean bare"] = (time.perf_counter() - started) / len(SEEDS)
    print(f"A4, l = {args.bits}, {args.epochs} epochs, logging every 19 steps "
          "(seconds per run-seed; ratio: time / group's time)")
    for name, seconds in times.items():
        print(f"  {name:9s} {seconds:7.2f} s   {seconds / times['group']:5.2f}x")
    engine = times["group"] - times["bare"]
    lean = times["lean"] - times["lean bare"]
    print(f"measuring at A4's schedule, per run-seed: engine {engine:.2f} s "
          f"({engine / times['bare']:+.0%} on its training), lean loop {lean:.2f} s "
          f"({lean / times['lean bare']:+.0%})")
    print("recording overhead against the bare loop at A4's schedule: "
          f"{(engine - lean) / times['lean']:+.1%} of the loop's time")

if __name__ == "__main__":
    main()
