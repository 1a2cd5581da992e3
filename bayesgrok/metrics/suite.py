"""The robustness metrics of REFERENCE C measured on any PyTorch family, through its hooks.

A PyTorch family (:class:`bayesgrok.search.torch_contract.TorchFamily`) exposes ``logits``
(with optional noise, at its inputs or its embeddings), ``loss_of``, ``swap_operands`` and
``features`` (the penultimate representation, with optional noise). From them,
:func:`robustness_metrics` measures, by name:

``"sharpness"``
    ``sharpness``: the top eigenvalue of the Hessian of the training loss (the family's
    ``loss_of`` on the first ``max_points`` training points), by power iteration on
    Hessian-vector products (:func:`~bayesgrok.metrics.sharpness.top_hessian_eigenvalue`);
    ``norm_sharpness``: the weight norm times it (C1).
``"perturbation"``
    ``perturbed_train_accuracy`` and ``perturbed_train_loss``: on the training set with
    noise of level ``noise`` where the family puts it (C2).
``"abelian"``
    ``abelian_train`` and ``abelian_val``: the fraction of training (held-out) pairs whose
    predicted class for ``(a, b)`` equals that for ``(b, a)``; ``abelian_train_distance``
    and ``abelian_val_distance``: the mean Euclidean distance between the two logit vectors
    (C3). ``abelian_train_heldout_swap`` and ``abelian_train_heldout_swap_distance``: the
    same two quantities on the training pairs whose swap is held out, that is ``(b, a)`` is
    no training pair (hence ``a != b``; :func:`~bayesgrok.metrics.robustness.held_out_swap_mask`
    on the split's operand columns). On all training pairs a model that memorises passes
    the test for every pair whose swap it was trained on; on this subset it cannot. Both
    are NaN when no training pair has a held-out swap.
``"information"``
    ``entropy_clean``, ``pe``, ``pmi``, ``mi_clean``, ``mid`` and ``ed`` of the penultimate
    features of the training set under noise of level ``noise``, averaged over batches of
    ``batch_size`` (C4; conventions in :mod:`bayesgrok.metrics.information`).

The noise of each measurement comes from a generator seeded by ``seed``, so a metric is a
deterministic function of the model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from bayesgrok.metrics.information import information_metrics
from bayesgrok.metrics.norms import weight_norm
from bayesgrok.metrics.robustness import (
    abelian_test,
    held_out_swap_mask,
    perturbed_accuracy_and_loss,
)
from bayesgrok.metrics.sharpness import top_hessian_eigenvalue

__all__ = ["ROBUSTNESS_METRICS", "ROBUSTNESS_VARIABLES", "check_metric_names",
           "robustness_metrics"]

ROBUSTNESS_METRICS = ("sharpness", "perturbation", "abelian", "information")
"""Names :func:`robustness_metrics` measures."""
ROBUSTNESS_VARIABLES = {
    "sharpness": ("sharpness", "norm_sharpness"),
    "perturbation": ("perturbed_train_accuracy", "perturbed_train_loss"),
    "abelian": ("abelian_train", "abelian_val", "abelian_train_distance",
                "abelian_val_distance", "abelian_train_heldout_swap",
                "abelian_train_heldout_swap_distance"),
    "information": ("entropy_clean", "pe", "pmi", "mi_clean", "mid", "ed"),
}
"""The trajectory variables each of :data:`ROBUSTNESS_METRICS` records."""

Probes = dict[str, tuple[tuple[str, ...], np.ndarray]]


def check_metric_names(metrics: object, allowed: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The metric names a family was asked for, checked against ``allowed``, without
    repeats, in their order.

    Raises
    ------
    ValueError
        If ``metrics`` is a bare string, or names a metric not in ``allowed``.

    Examples
    --------
    >>> check_metric_names(["abelian", "sharpness", "abelian"], ROBUSTNESS_METRICS)
    ('abelian', 'sharpness')
    >>> check_metric_names(["rank"], ROBUSTNESS_METRICS)
    Traceback (most recent call last):
    ...
    ValueError: metrics: unknown 'rank' (allowed: sharpness, perturbation, abelian, information)
    """
    if isinstance(metrics, str):
        raise ValueError(f"metrics must be a list of names (allowed: {', '.join(allowed)}), "
                         f"got the string {metrics!r}")
    unknown = [m for m in metrics if m not in allowed]
    if unknown:
        raise ValueError(f"metrics: unknown {', '.join(map(repr, unknown))} (allowed: "
                         f"{', '.join(allowed)})")
    return tuple(dict.fromkeys(metrics))


def _scalar(value: float) -> tuple[tuple[str, ...], np.ndarray]:
    return (), np.asarray(float(value), dtype=np.float64)


def robustness_metrics(
    family: Any,
    model: torch.nn.Module,
    split: Any,
    data: dict[str, torch.Tensor],
    names: tuple[str, ...] | list[str],
    *,
    noise: float = 0.1,
    alpha: float = 1.0,
    batch_size: int = 256,
    n_batches: int | None = 4,
    max_points: int = 2048,
    seed: int = 0,
) -> Probes:
    """Measure the named robustness metrics of ``model`` (see the module docstring).

    Parameters
    ----------
    family
        The PyTorch family (its hooks are used).
    model
        The network (left in the training mode it was in).
    split
        The task's split (for ``swap_operands``).
    data
        Tensors ``x_train``, ``y_train``, ``x_val``, ``y_val``.
    names
        A subset of :data:`ROBUSTNESS_METRICS`; others are ignored.
    noise
        Noise level of the perturbation and information metrics.
    alpha
        Renyi order of the information metrics (1: von Neumann).
    batch_size, n_batches
        Batches of the information metrics (``n_batches=None``: all).
    max_points
        Training points the Hessian is taken on (the first ones).
    seed
        Seed of the noise.

    Returns
    -------
    dict
        Name to ``((), value)``: scalars, as a family's ``metrics`` returns them.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.search.torch_seed import build_model, tensors_of
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("modular", seed=0, p=5, n_samples=60, n_train=40)
    >>> fam = MLP(widths=[8], loss="cross_entropy")
    >>> model = build_model(fam, split, 0)
    >>> out = robustness_metrics(fam, model, split, tensors_of(split, torch.float32),
    ...                          ["abelian", "perturbation"], noise=0.1)
    >>> sorted(out)  # doctest: +NORMALIZE_WHITESPACE
    ['abelian_train', 'abelian_train_distance', 'abelian_train_heldout_swap',
     'abelian_train_heldout_swap_distance', 'abelian_val', 'abelian_val_distance',
     'perturbed_train_accuracy', 'perturbed_train_loss']
    >>> 0.0 <= float(out["abelian_train"][1]) <= 1.0
    True
    """
    out: Probes = {}
    wanted = [n for n in ROBUSTNESS_METRICS if n in names]
    if not wanted:
        return out
    was_training = model.training
    model.eval()
    x, y = data["x_train"], data["y_train"]
    try:
        if "sharpness" in wanted:
            xs, ys = x[:max_points], y[:max_points]

            def loss_fn(out_: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
                return family.loss_of(out_, target)

            logits_model = _LogitsModule(family, model)
            top = top_hessian_eigenvalue(logits_model, loss_fn, xs, ys, iters=30, tol=1e-4,
                                         seed=seed)
            out["sharpness"] = _scalar(top)
            out["norm_sharpness"] = _scalar(float(weight_norm(model)) * top)
        with torch.no_grad():
            if "perturbation" in wanted:
                g = torch.Generator().manual_seed(seed)
                acc, loss = perturbed_accuracy_and_loss(
                    lambda t: family.logits(model, t), family.loss_of, x, y, noise,
                    generator=g,
                    perturbed_logits=lambda t, s, gen: family.logits(model, t, noise=s,
                                                                     generator=gen))
                out["perturbed_train_accuracy"] = _scalar(acc)
                out["perturbed_train_loss"] = _scalar(loss)
            if "abelian" in wanted:
                for part in ("train", "val"):
                    xp = data[f"x_{part}"]
                    xs = family.swap_operands(xp, split)
                    frac, dist = abelian_test(lambda t: family.logits(model, t), xp, xs)
                    out[f"abelian_{part}"] = _scalar(frac)
                    out[f"abelian_{part}_distance"] = _scalar(dist)
                    if part == "train":
                        frac, dist = _abelian_heldout_swap(family, model, split, xp, xs)
                        out["abelian_train_heldout_swap"] = _scalar(frac)
                        out["abelian_train_heldout_swap_distance"] = _scalar(dist)
            if "information" in wanted:
                g = torch.Generator().manual_seed(seed)
                values = information_metrics(
                    lambda t: family.features(model, t), x, noise, generator=g,
                    batch_size=batch_size, alpha=alpha, n_batches=n_batches,
                    perturbed_features=lambda t, gen: family.features(model, t, noise=noise,
                                                                      generator=gen))
                for name in ("entropy_clean", "pe", "pmi", "mi_clean", "mid", "ed"):
                    out[name] = _scalar(values[name])
    finally:
        model.train(was_training)
    return out


def _abelian_heldout_swap(family: Any, model: torch.nn.Module, split: Any, x: torch.Tensor,
                          x_swapped: torch.Tensor) -> tuple[float, float]:
    """The abelian test on the training pairs ``x`` whose swap is no training pair;
    ``(nan, nan)`` when there are none. Pairs are compared on the split's operand columns
    (all columns where it names none)."""
    cols = list(getattr(split, "operand_columns", ()) or range(x.shape[1]))
    mask = torch.as_tensor(held_out_swap_mask(x[:, cols], x_swapped[:, cols]),
                           device=x.device)
    if not bool(mask.any()):
        return float("nan"), float("nan")
    return abelian_test(lambda t: family.logits(model, t), x[mask], x_swapped[mask])


class _LogitsModule(torch.nn.Module):
    """``forward(x) = family.logits(model, x)``, so that ``functional_call`` can swap the
    parameters of ``model`` (registered as a submodule) in the Hessian computation."""

    def __init__(self, family: Any, model: torch.nn.Module) -> None:
        super().__init__()
        self.family = family
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The family's logits of the wrapped model."""
        return self.family.logits(self.model, x)
