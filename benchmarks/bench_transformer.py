"""The D2 transformer in the PyTorch engine against a bare PyTorch loop, and what each
robustness metric costs at its schedule, side by side in one process.

Setups (no downloads; the task is built in memory):

* ``reduced`` (default): studies/tan_modular_addition_reduced.toml's transformer
  (p = 59, 40% of the pairs, d_model 64, 4 heads, MLP 256);
* ``full``: D2 (p = 113, 30% of the pairs, d_model 128, 4 heads, MLP 512).

Both train by full-batch AdamW (learning rate 1e-3, weight decay 1.0, betas (0.9, 0.98)).

(a) Step time: ``--steps`` steps of one seed three ways: a bare hand-written loop (the same
network, initialisation, optimizer and float64 cross-entropy, nothing recorded), the
engine measuring only at step 0 and the last step, and the engine at the study's schedule
(every 50 steps for ``reduced``, 100 for ``full``). Ratios are CPU time over the bare
loop's.

(b) Metrics: each robustness metric of :mod:`bayesgrok.metrics.suite` measured alone on
the model after the runs (``--repeats`` times, the mean kept), as a number of training
steps, and as a fraction of a whole run's training time at the study's ``metrics_log``
(every 250 of 6000 steps for ``reduced``, every 500 of 15,000 for ``full``).

CPU time of this process is used throughout (robust to other processes on the machine);
one thread by default.

    .venv/bin/python benchmarks/bench_transformer.py [--setup reduced|full] [--steps 300]
        [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
from torch.nn import functional as F  # noqa: N812

from bayesgrok.families.transformer import Transformer
from bayesgrok.metrics.suite import ROBUSTNESS_METRICS, robustness_metrics
from bayesgrok.search import torch_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.torch_seed import build_model, tensors_of
from bayesgrok.tasks import make_task

SETUPS = {
    "reduced": {"p": 59, "train_fraction": 0.4, "d_model": 64, "d_mlp": 256,
                "log_every": 50, "metrics_every": 250, "run_steps": 6000},
    "full": {"p": 113, "train_fraction": 0.3, "d_model": 128, "d_mlp": 512,
             "log_every": 100, "metrics_every": 500, "run_steps": 15000},
}
OPTIMIZER_ARGS = {"learning_rate": 1e-3, "weight_decay": 1.0, "betas": [0.9, 0.98]}


def cpu_timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call of ``fn``."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def bare_loop(family: Transformer, split, steps: int) -> None:
    """The same training with nothing recorded: init, AdamW, float64 cross-entropy."""
    model = build_model(family, split, split.seed)
    data = tensors_of(split, torch.float32)
    x, y = data["x_train"], data["y_train"]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))
    model.train()
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x).double(), y)
        loss.backward()
        opt.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", choices=sorted(SETUPS), default="reduced")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = SETUPS[args.setup]
    split = make_task("modular_pairs", seed=0, p=cfg["p"], train_fraction=cfg["train_fraction"])
    family = Transformer(d_model=cfg["d_model"], n_heads=4, d_mlp=cfg["d_mlp"])

    def engine(log: dict) -> Callable[[], object]:
        search = SearchConfig(optimizer="adamw", optimizer_args=OPTIMIZER_ARGS,
                              steps=args.steps, log=log)
        return lambda: torch_engine.run(family, [split], search)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); setup "
          f"{args.setup}: p={cfg['p']}, {split.n_train} training pairs, d_model "
          f"{cfg['d_model']}, MLP {cfg['d_mlp']}, full-batch AdamW")
    print(f"\n(a) {args.steps} steps of one seed")
    bare_loop(family, split, 5)  # warm up the allocator and kernels
    rows = {
        "bare loop, nothing recorded": cpu_timed(lambda: bare_loop(family, split, args.steps)),
        "engine, measured at 0 and end": cpu_timed(engine({"at": [0]})),
        f"engine, every {cfg['log_every']} steps": cpu_timed(engine({"every": cfg["log_every"]})),
    }
    bare = rows["bare loop, nothing recorded"][1]
    print(f"{'variant':34s} {'wall s':>8s} {'cpu s':>8s} {'cpu ratio to bare':>18s}")
    for name, (wall, cpu) in rows.items():
        print(f"{name:34s} {wall:8.2f} {cpu:8.2f} {cpu / bare:18.3f}")
    step = bare / args.steps

    model = build_model(family, split, 0)
    bare_opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1.0)
    data = tensors_of(split, torch.float32)
    for _ in range(50):  # away from the initialisation, so the metrics see a trained net
        bare_opt.zero_grad()
        family.error(model, data["x_train"], data["y_train"]).backward()
        bare_opt.step()
    n_measure = cfg["run_steps"] // cfg["metrics_every"] + 1
    print(f"\n(b) one measurement of each metric (mean of {args.repeats}); a run of "
          f"{cfg['run_steps']} steps measures {n_measure} times (every "
          f"{cfg['metrics_every']}); one training step {1000 * step:.1f} ms")
    print(f"{'metric':14s} {'cpu s':>8s} {'in steps':>9s} {'fraction of training':>21s}")
    total = 0.0
    for name in ROBUSTNESS_METRICS:
        cpu = sum(cpu_timed(lambda n=name: robustness_metrics(
            family, model, split, data, [n], noise=0.05))[1]
            for _ in range(args.repeats)) / args.repeats
        fraction = n_measure * cpu / (cfg["run_steps"] * step)
        total += fraction
        print(f"{name:14s} {cpu:8.3f} {cpu / step:9.1f} {fraction:21.1%}")
    print(f"{'all four':14s} {'':8s} {'':9s} {total:21.1%}")


if __name__ == "__main__":
    main()
