"""Training methods of the PyTorch engine (REFERENCE C2, C3): input or embedding
perturbation and the commutativity penalty, with each seed's running state.

The trained objective under the methods is
``loss_of(logits(x, noise=s), y) + complexity_weight * complexity
+ penalty * mean((logits(x) - logits(swap(x)))^2)``; the recorded objective stays
``error + complexity term``, and the trajectory's ``training_methods`` attribute says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import torch

from bayesgrok.search.config import Perturbation, SearchConfig
from bayesgrok.search.torch_contract import TorchFamily
from bayesgrok.tasks.split import Split


@dataclass
class Methods:
    """The training methods of one seed and their running state.

    Examples
    --------
    >>> m = Methods(None, 1.0, torch.Generator().manual_seed(0))
    >>> m.penalty, m.level
    (1.0, 0.0)
    """

    perturbation: Perturbation | None
    penalty: float
    generator: torch.Generator  # the perturbation noise, seeded by the seed
    accuracy: float = 0.0  # training accuracy on the previous step's (perturbed) batch
    level: float = 0.0  # the noise level of the last step


def methods_for(search: SearchConfig, seed: int) -> Methods | None:
    """The methods' state for ``seed`` (``None`` when the search uses none); the
    perturbation noise comes from a generator seeded by ``seed + 1_000_003``.

    Examples
    --------
    >>> methods_for(SearchConfig(optimizer="sgd", steps=1), 0) is None
    True
    >>> cfg = SearchConfig(optimizer="sgd", steps=1, commutativity_penalty=2.0)
    >>> methods_for(cfg, 0).penalty
    2.0
    """
    if not search.uses_methods:
        return None
    generator = torch.Generator().manual_seed(int(seed) + 1_000_003)
    level = search.perturbation.level(0.0) if search.perturbation is not None else 0.0
    return Methods(search.perturbation, float(search.commutativity_penalty), generator,
                   level=level)


def method_objective(family: TorchFamily, model: torch.nn.Module, split: Split,
                     methods: Methods, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The objective trained under the search's methods, on one batch.

    ``loss_of(logits(x, noise=s), y) + complexity_weight * complexity
    + penalty * mean((logits(x) - logits(swap(x)))^2)``, where ``s`` is the perturbation
    level (0 without perturbation) and both logits of the penalty carry the same level of
    (independent) noise. Updates the running training accuracy and level of ``methods``.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
    >>> fam = MLP(widths=[4])
    >>> model = fam.build(split, 0)
    >>> x = torch.as_tensor(split.x_train, dtype=torch.float32)
    >>> y = torch.as_tensor(split.y_train)
    >>> m = Methods(None, 0.0, torch.Generator().manual_seed(0))
    >>> bool(method_objective(fam, model, split, m, x, y) > 0)
    True
    """
    m = methods
    noise = m.perturbation.level(m.accuracy) if m.perturbation is not None else 0.0
    m.level = noise
    out = family.logits(model, x, noise=noise, generator=m.generator)
    loss = family.loss_of(out, y)
    if family.complexity_weight != 0.0:
        loss = loss + family.complexity_weight * family.complexity(model)
    if m.penalty > 0.0:
        swapped = family.logits(model, family.swap_operands(x, split),
                                noise=noise, generator=m.generator)
        loss = loss + m.penalty * torch.mean((out - swapped) ** 2)
    if not y.is_floating_point():
        m.accuracy = float((out.detach().argmax(dim=-1) == y).double().mean())
    return loss


def methods_note(family: TorchFamily, search: SearchConfig) -> str:
    """The training methods as JSON for the trajectory's attributes (``{}``: none).

    Examples
    --------
    >>> methods_note(TorchFamily(), SearchConfig(optimizer="sgd", steps=1))
    '{}'
    """
    out: dict[str, Any] = {}
    if search.perturbation is not None:
        out["perturbation"] = {**search.perturbation.model_dump(),
                               "rule": "max(l1 * (1 - train accuracy of the previous batch), l2)",
                               "at": family.noise_at}
    if search.commutativity_penalty > 0.0:
        out["commutativity_penalty"] = {
            "weight": search.commutativity_penalty,
            "term": "weight * mean((logits(a, b) - logits(b, a))^2)"}
    if out:
        out["recorded_objective"] = "error + complexity term, without the methods' terms"
    return json.dumps(out)
