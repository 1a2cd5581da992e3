"""PyTorch measurement at a logged step: one pass over each data set against the former
five, and what recording costs at A4's own logging schedule, side by side in one process.

Setup REFERENCE A4 (no downloads): MLP 54-1000-7 (Xavier-uniform, no last bias),
cross-entropy, float32, SGD lr 0.1 weight decay 1e-2, batch 32, on the modular task
(a + b mod 7, l = 40 extra bits): 600 training and 200 validation points, logged every 19
steps as ``studies/miller_concealment.toml`` does.

(a) One ``measure`` call: the former way (``error``, ``objective`` and ``predict`` on the
training set, ``error`` and ``predict`` on the validation set: five forward passes) against
the engine's (``error_and_prediction`` once per set and the objective from the measured
error and complexity); the values are checked equal bit for bit.

(b) One seed for ``--steps`` steps: a bare PyTorch loop (same model, optimizer and batch
order, nothing recorded) against the engine logging every 19 steps.

CPU times of this process (robust to other processes); ratios from one run.

    .venv/bin/python benchmarks/bench_torch_measure.py [--steps 2000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812

from bayesgrok.families.mlp import MLP
from bayesgrok.search import torch_engine
from bayesgrok.search.config import SearchConfig
from bayesgrok.search.optimizer_spec import OptimizerSpec
from bayesgrok.search.torch_batches import BatchStream
from bayesgrok.search.torch_measure import measure
from bayesgrok.search.torch_seed import build_model, tensors_of
from bayesgrok.tasks import make_task


def family() -> MLP:
    return MLP(widths=(1000,), init="xavier_uniform", last_bias=False, loss="cross_entropy",
               precision="float32")


def five_passes(fam: MLP, model: torch.nn.Module, data: dict) -> dict[str, np.ndarray]:
    """The former measurement: error, objective and predict over the training set, error and
    predict over the validation set."""
    model.eval()
    with torch.no_grad():
        out = {"error": fam.error(model, data["x_train"], data["y_train"]),
               "complexity": fam.complexity(model),
               "objective": fam.objective(model, data["x_train"], data["y_train"]),
               "val_error": fam.error(model, data["x_val"], data["y_val"])}
        for part in ("train", "val"):
            pred = fam.predict(model, data[f"x_{part}"])
            out[f"{part}_accuracy"] = (pred.argmax(dim=-1) == data[f"y_{part}"]).double().mean()
    return {k: np.asarray(v.double().numpy()) for k, v in out.items()}


def cpu(fn: Callable[[], object], repeats: int = 1) -> float:
    best = float("inf")
    for _ in range(repeats):
        c0 = time.process_time()
        fn()
        best = min(best, time.process_time() - c0)
    return best


def bare_loop(split, steps: int) -> None:
    fam = family()
    model = build_model(fam, split, 0)
    opt = OptimizerSpec.parse("torch", "sgd", {"lr": 0.1, "weight_decay": 1e-2}).torch(
        model.parameters())
    stream = BatchStream(split.n_train, 32, 0)
    x = torch.as_tensor(split.x_train, dtype=torch.float32)
    y = torch.as_tensor(split.y_train, dtype=torch.long)
    model.train()
    for _ in range(steps):
        idx = stream.next()
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    split = make_task("modular", 0, n_extra_bits=40)
    fam = family()
    model = build_model(fam, split, 0)
    data = tensors_of(split, torch.float32)
    new = measure(fam, model, split, data)
    old = five_passes(fam, model, data)
    for name, value in old.items():
        assert np.array_equal(value, new[name]), name  # the same values, bit for bit
    t_old = cpu(lambda: five_passes(fam, model, data), 20)
    t_new = cpu(lambda: measure(fam, model, split, data), 20)
    print("(a) one measure() on A4 (600 train / 200 val), best of 20, CPU ms")
    print(f"  five passes {1e3 * t_old:7.2f}   one pass {1e3 * t_new:7.2f}   "
          f"{t_old / t_new:.2f}x faster (values identical)")
    cfg = SearchConfig(optimizer="sgd", optimizer_args={"lr": 0.1, "weight_decay": 1e-2},
                       steps=args.steps, batch_size=32, log={"every": 19})
    bare_loop(split, 20)
    torch_engine.run(family(), [split], cfg.model_copy(update={"steps": 20}))  # warm-up
    t_bare = cpu(lambda: bare_loop(split, args.steps))
    t_engine = cpu(lambda: torch_engine.run(family(), [split], cfg))
    n_logs = len(cfg.log.steps(args.steps))
    print(f"(b) 1 seed x {args.steps} steps, engine logging every 19 steps ({n_logs} logs), "
          "CPU s")
    print(f"  bare loop {t_bare:6.2f}   engine {t_engine:6.2f}   "
          f"overhead {t_engine / t_bare - 1:+.1%}")


if __name__ == "__main__":
    main()
