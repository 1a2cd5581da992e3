"""The minibatch stream of the PyTorch engine: one per seed, seeded by the seed."""

from __future__ import annotations

import torch


class BatchStream:
    """Indices of a shuffled, cycled stream over ``n`` points, reshuffled every epoch.

    Batches run on across epoch boundaries (no point is dropped); the permutations come
    from a ``torch.Generator`` seeded by ``seed``, on the CPU, and are moved to ``device``
    once per epoch (the same order on every device). A batch of ``n`` gives the whole set.

    Examples
    --------
    >>> stream = BatchStream(5, 2, seed=0)
    >>> sorted(torch.cat([stream.next() for _ in range(5)])[:10].tolist())
    [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    >>> BatchStream(3, 3, seed=0).next().tolist()
    [0, 1, 2]
    """

    def __init__(self, n: int, batch: int, seed: int,
                 device: torch.device | None = None) -> None:
        self.n, self.batch = n, batch
        self.device = device or torch.device("cpu")
        self.generator = torch.Generator().manual_seed(int(seed))
        self._order = torch.empty(0, dtype=torch.long, device=self.device)
        self._all = torch.arange(self.n, device=self.device)

    def next(self) -> torch.Tensor:
        """The indices of the next batch."""
        if self.batch >= self.n:
            return self._all
        while self._order.numel() < self.batch:
            fresh = torch.randperm(self.n, generator=self.generator)
            if self.device.type != "cpu":
                fresh = fresh.to(self.device)
            self._order = torch.cat([self._order, fresh])
        out, self._order = self._order[: self.batch], self._order[self.batch:]
        return out
