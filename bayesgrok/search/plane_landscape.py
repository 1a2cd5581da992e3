"""A family's error, complexity and objective at arbitrary parameter vectors, and so on any
plane through parameter space (:class:`bayesgrok.analysis.plane.Plane`).

:func:`values_at` evaluates a family on the training set at each of many flattened
parameter vectors, measured as the engines measure a logged step (the same error,
complexity, objective, and training accuracy or MSE), so that the landscape at a
trajectory's own snapshots equals what the trajectory recorded:

* JAX families: ``jax.flatten_util.ravel_pytree`` of the family's initial parameters gives
  the layout; the vectors are unravelled and evaluated under ``vmap``, in chunks;
* PyTorch families: the vectors are split into the model's named parameters and evaluated
  with ``torch.func.functional_call``, under ``torch.func.vmap`` in chunks when the family
  vectorises seeds (``vectorize_seeds``), point by point otherwise.

:func:`plane_landscape` puts a grid on a plane, evaluates it and returns a labelled
dataset. The named-coordinate landscape of :mod:`bayesgrok.search.landscape` (the GP's log
lengthscale against log outputscale) is the special case of a plane spanned by two
coordinate axes.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import xarray as xr

from bayesgrok.analysis.plane import Plane
from bayesgrok.tasks.split import Split

CHUNK = 32
"""Parameter vectors evaluated together (one ``vmap``)."""


def values_at(family: Any, split: Split, vectors: np.ndarray, *, seed: int | None = None,
              chunk: int = CHUNK) -> dict[str, np.ndarray]:
    """``error``, ``complexity``, ``objective`` and ``train_accuracy`` (classification, and
    regression with sign accuracy) and ``train_mse`` (regression) of ``family`` on
    ``split``'s training set
    at each parameter vector (shape ``(m, n)``), as arrays of shape ``(m,)``.

    ``seed`` builds the template (JAX: ``init``; PyTorch: ``build``); it only sets the
    layout of the vector, not the values evaluated.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> from bayesgrok.tasks import make_task
    >>> split = make_task("linear_sign", seed=0)
    >>> out = values_at(LinearRegression(), split, np.zeros((3, 4)))
    >>> sorted(out), out["complexity"].tolist()
    (['complexity', 'error', 'objective', 'train_accuracy', 'train_mse'], [0.0, 0.0, 0.0])
    """
    vectors = np.atleast_2d(np.asarray(vectors, np.float64))
    seed = split.seed if seed is None else seed
    if family.backend == "torch":
        return _torch_values(family, split, vectors, seed, chunk)
    return _jax_values(family, split, vectors, seed, chunk)


def _jax_values(family: Any, split: Split, vectors: np.ndarray, seed: int,
                chunk: int) -> dict[str, np.ndarray]:
    import jax
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree

    from bayesgrok.search.contract import Batch

    x64 = family.precision == "float64"
    with jax.enable_x64(True) if x64 else contextlib.nullcontext():
        dtype = jnp.float64 if x64 else jnp.float32
        integer = split.kind == "classification"
        sign = split.accuracy == "sign"
        train = Batch(jnp.asarray(split.x_train, dtype),
                      jnp.asarray(split.y_train, jnp.int32 if integer else dtype))
        template = jax.tree_util.tree_map(
            lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x,
            family.init(jax.random.PRNGKey(int(seed)), split))
        flat, unravel = ravel_pytree(template)
        if flat.shape[0] != vectors.shape[1]:
            raise ValueError(f"the vectors have {vectors.shape[1]} entries, the family's "
                             f"parameters {flat.shape[0]}")

        def one(vector: jax.Array) -> dict[str, jax.Array]:
            params = unravel(vector)
            pred = family.predict(params, train.x, train)
            out = {"error": family.error(params, train, train),
                   "complexity": family.complexity(params, train),
                   "objective": family.objective(params, train, train)}
            if integer:
                out["train_accuracy"] = jnp.mean(jnp.argmax(pred, axis=-1) == train.y)
            else:
                out["train_mse"] = jnp.mean((pred - train.y) ** 2)
                if sign:
                    out["train_accuracy"] = jnp.mean(jnp.sign(pred) == jnp.sign(train.y))
            return out

        evaluate = jax.jit(jax.vmap(one))
        parts = [jax.device_get(evaluate(jnp.asarray(vectors[i:i + chunk], dtype)))
                 for i in range(0, len(vectors), chunk)]
    return {k: np.concatenate([np.asarray(p[k], np.float64) for p in parts]) for k in parts[0]}


def _torch_values(family: Any, split: Split, vectors: np.ndarray, seed: int,
                  chunk: int) -> dict[str, np.ndarray]:
    import torch
    from torch.func import functional_call, vmap

    from bayesgrok.search.torch_seed import build_model, tensors_of

    model = build_model(family, split, seed)
    model.eval()
    data = tensors_of(split, family.dtype)
    x, y = data["x_train"], data["y_train"]
    names = [(name, p.shape, p.numel()) for name, p in model.named_parameters()]
    if sum(n for _, _, n in names) != vectors.shape[1]:
        raise ValueError(f"the vectors have {vectors.shape[1]} entries, the model's "
                         f"parameters {sum(n for _, _, n in names)}")
    classification = split.kind == "classification"

    class Measure(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self) -> tuple[torch.Tensor, ...]:
            error, pred = family.error_and_prediction(self.model, x, y)
            complexity = family.complexity(self.model)
            objective = family.measured_objective(error, complexity)
            if classification:
                score = (pred.argmax(dim=-1) == y).to(x.dtype).mean()
                return error, complexity, objective, score, score
            return (error, complexity, objective, (torch.sign(pred) == torch.sign(y)).to(
                x.dtype).mean(), torch.mean((pred - y) ** 2))

    measure = Measure()

    def params_of(vector: torch.Tensor) -> dict[str, torch.Tensor]:
        out, start = {}, 0
        for name, shape, n in names:
            out[f"model.{name}"] = vector[start:start + n].reshape(shape)
            start += n
        return out

    def one(vector: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return functional_call(measure, params_of(vector), ())

    rows = []
    with torch.no_grad():
        tensor = torch.as_tensor(vectors, dtype=family.dtype)
        if family.vectorize_seeds:
            for i in range(0, len(tensor), chunk):
                rows.append(torch.stack(vmap(one)(tensor[i:i + chunk]), dim=1))
        else:
            rows += [torch.stack(one(v))[None] for v in tensor]
    table = torch.cat(rows).to(torch.float64).numpy()
    keys = ["error", "complexity", "objective", "train_accuracy",
            "train_accuracy" if classification else "train_mse"]
    out = {k: table[:, i] for i, k in enumerate(keys)}
    if not classification and split.accuracy != "sign":
        out.pop("train_accuracy")
    return out


def plane_landscape(family: Any, split: Split, plane: Plane, a_values: np.ndarray,
                    b_values: np.ndarray, *, seed: int | None = None) -> xr.Dataset:
    """The family's values over the grid ``a_values`` x ``b_values`` of ``plane``.

    Returns
    -------
    xarray.Dataset
        The variables of :func:`values_at` with dims ``(b, a)``, the plane's explained
        variance ratio (``explained_variance_ratio`` on ``direction``) and its seeds.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> from bayesgrok.tasks import make_task
    >>> plane = Plane(np.zeros(4), np.eye(4)[:2], np.array([0.7, 0.3]), (0,))
    >>> ds = plane_landscape(LinearRegression(), make_task("linear_sign", seed=0), plane,
    ...                      np.linspace(-1, 1, 3), np.linspace(-1, 1, 2))
    >>> dict(ds["error"].sizes)
    {'b': 2, 'a': 3}
    """
    a_values, b_values = np.asarray(a_values, np.float64), np.asarray(b_values, np.float64)
    grid_b, grid_a = np.meshgrid(b_values, a_values, indexing="ij")
    values = values_at(family, split, plane.points(grid_a.ravel(), grid_b.ravel()), seed=seed)
    ds = xr.Dataset({k: (("b", "a"), v.reshape(grid_a.shape)) for k, v in values.items()},
                    coords={"a": a_values, "b": b_values, "direction": [0, 1]})
    ds["explained_variance_ratio"] = ("direction", plane.explained_variance_ratio)
    ds["a"].attrs["long_name"] = "along the first principal direction"
    ds["b"].attrs["long_name"] = "along the second principal direction"
    ds.attrs.update({"family": family.name, "task": split.name, "seed": split.seed,
                     "plane_seeds": list(plane.seeds),
                     "objective_formula": family.objective_formula})
    return ds
