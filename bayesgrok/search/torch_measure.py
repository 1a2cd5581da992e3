"""Measurement in the PyTorch engine: what is recorded of a model at a logged step.

At every logged step the engine measures the full training set and the full validation
set under ``torch.no_grad()``: error, complexity, objective, validation error, accuracy
(classification, or sign accuracy) or MSE, and the family's probes; at the steps of the
search's ``metrics_log``, the family's expensive metrics as well.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from bayesgrok.search.torch_contract import Probes, TorchFamily
from bayesgrok.search.torch_seed import SeedState
from bayesgrok.tasks.split import Split


def _host(value: Any) -> np.ndarray:
    """A measurement as a float64 numpy array, fetched from the device when it is on one."""
    return np.asarray(torch.as_tensor(value).detach().double().cpu().numpy())


def measure(family: TorchFamily, model: torch.nn.Module, split: Split,
            data: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """Error, complexity, objective, validation error, accuracy or MSE and probes of
    ``model`` on the full training and validation sets, under ``torch.no_grad()``.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.search.torch_seed import build_model, tensors_of
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
    >>> fam = MLP(widths=[4])
    >>> model = build_model(fam, split, 0)
    >>> sorted(measure(fam, model, split, tensors_of(split, torch.float32)))[:4]
    ['complexity', 'error', 'last_layer_norm', 'objective']
    """
    model.eval()
    out: dict[str, Any] = {}
    with torch.no_grad():
        # one pass over each set: the error and the predictions from the same outputs
        out["error"], preds = family.error_and_prediction(model, data["x_train"],
                                                          data["y_train"])
        out["complexity"] = family.complexity(model)
        out["objective"] = family.measured_objective(out["error"], out["complexity"])
        out["val_error"], val_preds = family.error_and_prediction(model, data["x_val"],
                                                                  data["y_val"])
        for part, pred in (("train", preds), ("val", val_preds)):
            target = data[f"y_{part}"]
            if split.kind == "classification":
                out[f"{part}_accuracy"] = (pred.argmax(dim=-1) == target).double().mean()
            else:
                out[f"{part}_mse"] = torch.mean((pred - target) ** 2)
                if split.accuracy == "sign":
                    hits = torch.sign(pred) == torch.sign(target)
                    out[f"{part}_accuracy"] = hits.double().mean()
        probes = family.probes(model, split)
    values = {k: _host(v) for k, v in out.items()}
    for name, (_, value) in probes.items():
        values[name] = _host(value)
    return values


def measure_metrics(family: TorchFamily, model: torch.nn.Module, split: Split,
                    data: dict[str, torch.Tensor]) -> Probes:
    """The family's expensive ``metrics`` of ``model`` as float64 arrays, with their dims.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.search.torch_seed import build_model, tensors_of
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
    >>> fam = MLP(widths=[4], metrics=["feature_rank"])
    >>> out = measure_metrics(fam, build_model(fam, split, 0), split,
    ...                       tensors_of(split, torch.float32))
    >>> out["feature_rank"][0], out["feature_rank"][1].dtype
    (('layer',), dtype('float64'))
    """
    model.eval()
    with torch.no_grad():
        found = family.metrics(model, split, data)
    return {name: (tuple(dims), _host(value))
            for name, (dims, value) in found.items()}


def log_seed(family: TorchFamily, state: SeedState, step: int,
             with_metrics: bool = False) -> None:
    """Append one record of ``state`` at ``step`` to its records: ``None`` for a stopped
    seed, NaN everywhere (and the seed stopped) when the measured objective is not
    finite, the expensive metrics too when ``with_metrics``.

    Examples
    --------
    >>> from bayesgrok.families.mlp import MLP
    >>> from bayesgrok.search.config import SearchConfig
    >>> from bayesgrok.search.torch_seed import start_seed
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("parity", seed=0, n_points=20, n_train=10)
    >>> state = start_seed(MLP(widths=[4]), split, 0, SearchConfig(optimizer="sgd", steps=1))
    >>> log_seed(MLP(widths=[4]), state, 0); len(state.records)
    1
    """
    if not state.alive:
        state.records.append(None)
        return
    record = measure(family, state.model, state.split, state.data)
    if state.methods is not None and state.methods.perturbation is not None:
        record["perturbation_level"] = np.asarray(state.methods.level)
    if not np.isfinite(record["objective"]):
        state.alive = False
        state.reason = state.reason or f"non-finite objective when measured at step {step}"
        record = {name: np.full(np.shape(value), np.nan) for name, value in record.items()}
    elif with_metrics:  # expensive: only at the steps of search.metrics_log
        for name, (dims, value) in measure_metrics(family, state.model, state.split,
                                                   state.data).items():
            state.metric_dims[name] = dims
            record[name] = value
    state.records.append(record)
