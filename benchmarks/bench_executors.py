"""A 32-run study through the local executor and through the Dask executor, in one run.

Two small studies of 32 runs each (2 seeds per run), written to a temporary folder:

* ``mlp``: a PyTorch MLP (64-64, SGD) on 3-bit parity with 4 spurious bits, 1500 steps,
  a grid of 8 initial scales x 4 learning rates; no compilation, so a run's cost is its
  training.
* ``linear``: A1's linear regression (JAX), 2000 epochs, a grid of 8 complexity weights x 4
  learning rates; every run compiles its training loop, as real sweeps do.

Each study runs once with the local executor (one run after the other in this process)
and once with ``DaskExecutor(workers=N)`` (a ``LocalCluster`` of N single-threaded worker
processes, started and closed inside the timing, so its start-up cost is counted). Both
use one thread per process (``OMP_NUM_THREADS=1``), so the comparison is of processes, not
of threads. Ratios are local / Dask wall time (above 1: Dask is faster). Figures are off.

    .venv/bin/python benchmarks/bench_executors.py [--workers 2] [--setups mlp linear]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported, here and in workers

STUDIES = {
    "mlp": """
name = "bench_mlp"
[task]
name = "parity"
n_points = 200
n_train = 100
n_spurious = 4
[model]
family = "mlp"
widths = [64, 64]
loss = "cross_entropy"
[search]
optimizer = "sgd"
optimizer_args = { learning_rate = 0.05 }
steps = 1500
batch_size = 16
log = { every = 100 }
[sweep]
seeds = [0, 1]
[sweep.grid]
"model.alpha" = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25]
"search.optimizer_args.learning_rate" = [0.01, 0.02, 0.05, 0.1]
""",
    "linear": """
name = "bench_linear"
[task]
name = "linear_sign"
[model]
card = "miller_linear"
[search]
optimizer = "sgd"
optimizer_args = { learning_rate = 1e-3 }
epochs = 2000
batch_size = "full"
log = { every = 10 }
[sweep]
seeds = [0, 1]
[sweep.grid]
"model.complexity_weight" = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
"search.optimizer_args.learning_rate" = [2e-4, 5e-4, 1e-3, 1.5e-3]
""",
}


def timed_study(path: Path, out: Path, executor: object) -> tuple[float, int]:
    """Wall seconds of one study run, and how many runs it computed."""
    from bayesgrok.study.runner import run_study

    start = time.perf_counter()
    result = run_study(path, out, figures=False, executor=executor)
    seconds = time.perf_counter() - start
    if result.failed:
        raise RuntimeError(f"{len(result.failed)} runs failed: {result.failed}")
    return seconds, len(result.computed)


def main() -> None:
    """Run each study both ways and print the wall times and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--setups", nargs="+", default=list(STUDIES), choices=list(STUDIES))
    args = parser.parse_args()

    import torch

    from bayesgrok.study.executors import DaskExecutor, LocalExecutor

    torch.set_num_threads(1)
    print(f"{os.cpu_count()} CPUs; {args.workers} Dask workers, 1 thread each")
    print(f"{'study':8s} {'runs':>5s} {'local s':>9s} {'dask s':>9s} {'local/dask':>11s}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.setups:
            path = Path(tmp) / f"{name}.toml"
            path.write_text(STUDIES[name])
            local, n = timed_study(path, Path(tmp) / f"{name}-local", LocalExecutor())
            dask, m = timed_study(path, Path(tmp) / f"{name}-dask",
                                  DaskExecutor(workers=args.workers))
            assert n == m == 32, (n, m)
            print(f"{name:8s} {n:5d} {local:9.1f} {dask:9.1f} {local / dask:11.2f}")


if __name__ == "__main__":
    main()
