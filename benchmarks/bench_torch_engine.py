"""PyTorch engine: recording overhead at B1's logging schedule, and seeds batched with
torch.func against a loop over the same seeds, side by side in one process.

Two setups (no downloads):

* ``omnigrok`` (REFERENCE D1): MLP 784-200-200-10, ReLU, alpha 8, MSE against one-hot
  labels, float64, AdamW lr 1e-3 weight decay 0.01, batch 200; 1000 training points and a
  10,000-point evaluation set of random inputs in [0, 1] with random labels (the cost of a
  step does not depend on the pixels).
* ``concealment`` (REFERENCE A4): MLP 54-1000-7 (Xavier-uniform, no last bias),
  cross-entropy, float32, SGD lr 0.1 weight decay 1e-2, batch 32, on the modular task
  (a + b mod 7) with l = 40 extra bits: 600 training and 200 validation points.
* ``fan4``, ``fan8``, ``fan12`` (REFERENCE B1, ``studies/fan_depth.toml``): the deep MLP
  784-400-...-400-10 with 4, 8 or 12 Linear layers, alpha 8, MSE against one-hot, float64,
  AdamW lr 1e-3 weight decay 0.01, batch 200, on 5000 training and 10,000 evaluation
  images of random pixels (the expensive metrics, rank and probes, are left out: their
  cost is the metrics schedule's, not the engine's).

``--device cuda`` runs (a) on a GPU (engine ``[search] device`` and the bare loop's model,
data and batch indices there); the ratios are then of wall time, which on a GPU is the
only clock that counts.

(a) Recording overhead: one seed for ``--steps`` steps three ways: a bare hand-written
PyTorch loop (same model, optimizer and batch order, nothing recorded), the engine measuring
only at step 0 and the last step, and the engine at B1's schedule (every step below 30,
every 10 below 150, then every 667: Omnigrok's ``ceil(100000 / 150)``). One ``measure``
call is also timed alone, to split the overhead into measurement (inherent to the
schedule: it evaluates the full training and evaluation sets) and the rest, and to
predict the overhead over a whole run (D1: 100,000 steps; A4: 500 epochs = 9375 steps).

(b) Seeds: ``--seeds`` seeds for ``--seed-steps`` steps through the engine, batched with
torch.func (``MLP.vectorize_seeds``) and in the loop, measured at step 0 and the end; and
the training steps alone (``SeedBatch.advance`` against ``_advance`` seed after seed).
Ratios are loop / batched (above 1: batching is faster).

Ratios use CPU time (of this process; robust to other processes sharing the machine, and
equal to wall time on a quiet machine with one thread); wall times are shown too.

    .venv/bin/python benchmarks/bench_torch_engine.py [--steps 2000] [--seed-steps 200]
        [--seeds 4 8] [--setups omnigrok concealment fan4] [--threads 1] [--device cpu]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812

from bayesgrok.families.mlp import MLP
from bayesgrok.search import torch_batched, torch_engine, torch_seed
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.torch_batches import BatchStream
from bayesgrok.search.torch_contract import DTYPES
from bayesgrok.search.torch_measure import measure
from bayesgrok.search.torch_optimizers import make_torch_optimizer
from bayesgrok.search.torch_seed import build_model, tensors_of
from bayesgrok.tasks import make_task
from bayesgrok.tasks.split import Split


def b1_steps(total: int) -> list[int]:
    """B1's logged steps: every step below 30, every 10 below 150, then every 667."""
    return sorted(set(range(min(30, total + 1))) | set(range(0, min(150, total + 1), 10))
                  | set(range(0, total + 1, math.ceil(100_000 / 150))) | {total})


def random_images(seed: int, n_train: int = 1000, n_val: int = 10_000) -> Split:
    """D1-sized stand-in for MNIST: inputs uniform in [0, 1], labels uniform in 0..9."""
    rng = np.random.default_rng(seed)
    return Split("random_images", rng.random((n_train, 784)), rng.integers(0, 10, n_train),
                 rng.random((n_val, 784)), rng.integers(0, 10, n_val), kind="classification",
                 n_classes=10, accuracy="argmax", seed=seed)


@dataclass
class Setup:
    description: str
    family: Callable[[], MLP]
    split: Callable[[int], Split]
    optimizer: str
    args: dict[str, Any]
    batch: int
    full_steps: int

    def config(self, steps: int, at: list[int], device: str = "cpu") -> SearchConfig:
        return SearchConfig(optimizer=self.optimizer, optimizer_args=self.args, steps=steps,
                            batch_size=self.batch, log={"at": at}, device=device)


def _fan(depth: int) -> Setup:
    return Setup(
        f"B1 deep MLP, {depth} Linear layers of 400, alpha 8, float64, AdamW, batch 200, "
        "5000 train / 10,000 eval",
        lambda: MLP(widths=(400,) * (depth - 1), alpha=8.0, loss="mse_onehot",
                    precision="float64"),
        lambda s: random_images(s, n_train=5000), "adamw", {"lr": 1e-3, "weight_decay": 0.01},
        200, 100_000)


SETUPS = {
    "omnigrok": Setup(
        "D1 Omnigrok MLP 784-200-200-10, float64, AdamW, batch 200, 1000 train / 10,000 eval",
        lambda: MLP(widths=(200, 200), alpha=8.0, loss="mse_onehot", precision="float64"),
        random_images, "adamw", {"lr": 1e-3, "weight_decay": 0.01}, 200, 100_000),
    "concealment": Setup(
        "A4 concealment MLP 54-1000-7, float32, SGD, batch 32, modular l=40, 600 / 200",
        lambda: MLP(widths=(1000,), init="xavier_uniform", last_bias=False,
                    loss="cross_entropy", precision="float32"),
        lambda s: make_task("modular", s, n_extra_bits=40), "sgd",
        {"lr": 0.1, "weight_decay": 1e-2}, 32, 9375),
    "fan4": _fan(4),
    "fan8": _fan(8),
    "fan12": _fan(12),
}


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call of ``fn``."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def bare_loop(setup: Setup, split: Split, seed: int, steps: int, device: str = "cpu") -> None:
    """The hand-written loop: same model, optimizer and batch order, nothing recorded."""
    family = setup.family()
    dtype = DTYPES[family.precision]
    model = build_model(family, split, seed).to(device)
    opt = make_torch_optimizer(setup.optimizer, setup.args, model.parameters())
    stream = BatchStream(split.n_train, setup.batch, seed, device=torch.device(device))
    x = torch.as_tensor(split.x_train, dtype=dtype, device=device)
    y = torch.as_tensor(split.y_train, dtype=torch.long, device=device)
    model.train()
    for _ in range(steps):
        idx = stream.next()
        opt.zero_grad(set_to_none=True)
        out = model(x[idx])
        if family.loss == "cross_entropy":
            loss = F.cross_entropy(out, y[idx])
        else:
            loss = F.mse_loss(out, F.one_hot(y[idx], out.shape[-1]).to(dtype))
        loss.backward()
        opt.step()
    if device != "cpu":
        torch.cuda.synchronize()


def time_measure(setup: Setup, split: Split, repeats: int = 3) -> float:
    """CPU seconds of one ``measure`` call (the least of ``repeats``)."""
    family = setup.family()
    model = build_model(family, split, 0)
    data = tensors_of(split, DTYPES[family.precision])
    return min(timed(lambda: measure(family, model, split, data))[1] for _ in range(repeats))


def overhead(name: str, setup: Setup, steps: int, device: str = "cpu") -> None:
    split = setup.split(0)
    bare_loop(setup, split, 0, min(steps, 20), device)  # warm-up of both
    torch_engine.run(setup.family(), [split], setup.config(1, [0, 1], device))
    rows = {
        "bare loop, nothing recorded": timed(
            lambda: bare_loop(setup, split, 0, steps, device)),
        "engine, 1 step (fixed costs)": timed(lambda: torch_engine.run(
            setup.family(), [split], setup.config(1, [0, 1], device))),
        "engine, measured at 0 and end": timed(lambda: torch_engine.run(
            setup.family(), [split], setup.config(steps, [0, steps], device))),
        "engine, B1 schedule": timed(lambda: torch_engine.run(
            setup.family(), [split], setup.config(steps, b1_steps(steps), device))),
    }
    clock = device == "cpu"  # CPU time on the CPU, wall time on a GPU
    rows = {label: (wall, cpu if clock else wall) for label, (wall, cpu) in rows.items()}
    t_measure = time_measure(setup, split)
    bare = rows["bare loop, nothing recorded"][1]
    unit = "cpu" if clock else "wall"
    print(f"\n[{name}] (a) recording overhead on {device}, 1 seed x {steps} steps: "
          f"{setup.description}")
    print(f"{'variant':34s} {'wall s':>8s} {unit + ' s':>8s} {unit + ' ratio to bare':>18s}")
    for label, (wall, used) in rows.items():
        print(f"{label:34s} {wall:8.2f} {used:8.2f} {used / bare:18.3f}")
    step = bare / steps
    fixed = rows["engine, 1 step (fixed costs)"][1] - step
    per_step = (rows["engine, measured at 0 and end"][1] - fixed) / bare - 1
    n_logs = len(b1_steps(steps))
    logged = rows["engine, B1 schedule"][1] - rows["engine, measured at 0 and end"][1]
    print(f"one step {1e3 * step:.2f} ms; one measure() {1e3 * t_measure:.1f} ms "
          f"= {t_measure / step:.1f} steps; fixed costs {fixed:.2f} s; engine per-step "
          f"overhead {per_step:+.1%}")
    print(f"B1's {n_logs} logged steps in {steps} steps: {n_logs - 2} extra measure() = "
          f"{(n_logs - 2) * t_measure:.2f} s predicted, {logged:.2f} s measured "
          f"(B1 minus the sparse engine)")
    full = setup.full_steps
    n_full = len(b1_steps(full))
    print(f"predicted B1 overhead over a whole run of {full} steps ({n_full} logged steps): "
          f"{n_full * t_measure / (full * step):.1%} measurement {per_step:+.1%} per step")


def seeds(name: str, setup: Setup, steps: int, counts: list[int]) -> None:
    print(f"\n[{name}] (b) seeds batched with torch.func against the loop, {steps} steps: "
          "engine runs measured at 0 and end, and the training steps alone")
    print(f"{'seeds':>5s} {'loop cpu s':>11s} {'batched cpu s':>14s} {'ratio':>6s} "
          f"{'train loop s':>13s} {'train batched s':>16s} {'ratio':>6s} "
          f"{'(wall loop, batched)':>21s}")
    cfg = setup.config(steps, [0, steps])
    for n in counts:
        splits = [setup.split(s) for s in range(n)]
        looped = setup.family()
        looped.vectorize_seeds = False
        loop = timed(lambda f=looped, sp=splits: torch_engine.run(f, sp, cfg))
        batched = timed(lambda sp=splits: torch_engine.run(setup.family(), sp, cfg))
        family = setup.family()
        states = [torch_seed.start_seed(family, sp, s, cfg) for s, sp in enumerate(splits)]
        train_loop = timed(lambda st=states, f=family: [
            torch_seed.advance_seed(f, s, steps, 0) for s in st])
        states = [torch_seed.start_seed(family, sp, s, cfg) for s, sp in enumerate(splits)]
        batch = torch_batched.SeedBatch(family, states, cfg)
        train_batched = timed(lambda b=batch: b.advance(steps, 0))
        print(f"{n:5d} {loop[1]:11.2f} {batched[1]:14.2f} {loop[1] / batched[1]:6.2f} "
              f"{train_loop[1]:13.2f} {train_batched[1]:16.2f} "
              f"{train_loop[1] / train_batched[1]:6.2f} "
              f"{f'({loop[0]:.2f}, {batched[0]:.2f})':>21s}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="steps of (a)")
    parser.add_argument("--seed-steps", type=int, default=200, help="steps of (b)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--setups", nargs="+", default=["omnigrok", "concealment"],
                        choices=list(SETUPS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda for (a) on a GPU")
    parser.add_argument("--no-seeds", action="store_true", help="skip (b)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    for name in args.setups:
        overhead(name, SETUPS[name], args.steps, args.device)
        if not args.no_seeds:
            seeds(name, SETUPS[name], args.seed_steps, args.seeds)


if __name__ == "__main__":
    main()
