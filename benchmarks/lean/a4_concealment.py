"""A lean PyTorch loop in the published style for one run-seed of REFERENCE A4.

The published code trains each (operation, l, seed) alone: Linear(14 + l, 1000) -> ReLU
-> Linear(1000, 7, no bias), Xavier-uniform weights, SGD lr 0.1 with weight decay 1e-2,
minibatches of 32 from a shuffled ``DataLoader`` (here without worker processes, which
only add system time on 2 cores), 500 epochs, training and validation accuracy measured
once per epoch. The data are bayesgrok's published-seeded draw (the same arrays), so the
work is the same; nothing is recorded but the per-epoch accuracies.

    .venv/bin/python benchmarks/lean/a4_concealment.py --bits 40 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from bayesgrok.tasks import make_task


def run_seed(operation: str, bits: int, seed: int, epochs: int = 500,
             measure_every_epoch: bool = True) -> list[float]:
    """Train one run-seed; return the validation accuracy after every epoch (or, with
    ``measure_every_epoch=False``, after the last one only: the loop's own measuring
    cost, for comparison)."""
    split = make_task("modular", seed=seed, p=7, n_samples=800, n_train=600,
                      operation=operation, n_extra_bits=bits, seeding="published")
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(split.n_features, 1000), nn.ReLU(),
                          nn.Linear(1000, 7, bias=False))
    for layer in (model[0], model[2]):
        nn.init.xavier_uniform_(layer.weight)
    x, y = torch.as_tensor(split.x_train, dtype=torch.float32), torch.as_tensor(split.y_train)
    xv, yv = torch.as_tensor(split.x_val, dtype=torch.float32), torch.as_tensor(split.y_val)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    val_accuracy = []
    for epoch in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
        if not measure_every_epoch and epoch < epochs - 1:
            continue
        model.eval()
        with torch.no_grad():
            (model(x).argmax(1) == y).float().mean().item()  # the published train accuracy
            val_accuracy.append((model(xv).argmax(1) == yv).float().mean().item())
    return val_accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operation", default="add")
    parser.add_argument("--bits", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=500)
    args = parser.parse_args()
    started = time.perf_counter()
    for seed in args.seeds:
        acc = run_seed(args.operation, args.bits, seed, args.epochs)
        print(f"seed {seed}: final validation accuracy {acc[-1]:.3f}")
    wall = time.perf_counter() - started
    print(f"{wall / len(args.seeds):.2f} s per run-seed")


if __name__ == "__main__":
    main()
