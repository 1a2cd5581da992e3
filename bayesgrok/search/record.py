"""The recorder: how every engine turns what it measured into a trajectory.

Engines keep only their loops. What a trajectory holds besides the measured variables is
written here once: the default configuration, the attributes every trajectory carries
(family, task, configuration, precision, columns, objective, optimizer decay, versions,
threads, data provenance, wall time) and the assembly of the dataset with its ``seed``,
``step`` and ``epoch`` coordinates and per-seed ``status``. The schema itself is
:mod:`bayesgrok.trajectory`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import xarray as xr

from bayesgrok.search.threads import thread_settings
from bayesgrok.tasks.split import Split
from bayesgrok.trajectory import SCHEMA_VERSION, validate
from bayesgrok.variables import describe


def versions(*packages: str) -> dict[str, str]:
    """Versions of bayesgrok, numpy, xarray and ``packages``, as installed.

    Examples
    --------
    >>> sorted(versions("jax"))
    ['bayesgrok', 'jax', 'numpy', 'xarray']
    """
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("bayesgrok", *packages, "numpy", "xarray"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover - only when run from a source tree
            out[pkg] = "unknown"
    return out


def default_config(family: Any, split: Split, search: Any,
                   seeds: Sequence[int]) -> dict[str, Any]:
    """The configuration recorded when an engine is called without one (outside a study):
    the family's name and :meth:`config`, the task's name, the search and the seeds.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> from bayesgrok.search.config import SearchConfig
    >>> from bayesgrok.tasks import make_task
    >>> cfg = default_config(LinearRegression(), make_task("linear_sign", seed=0),
    ...                      SearchConfig(optimizer="sgd", steps=1), [0])
    >>> cfg["family"]["name"], cfg["task"], cfg["seeds"]
    ('linear', {'name': 'linear_sign'}, [0])
    """
    return {
        "family": {"name": family.name, **dict(family.config())},
        "task": {"name": split.name},
        "search": search.model_dump(),
        "seeds": [int(s) for s in seeds],
    }


def attributes(*, family: Any, split: Split, engine: str, backend: str,
               config: Mapping[str, Any], objective_formula: str, objective_note: str,
               precision: str, total_steps: int, packages: Sequence[str], wall_time_s: float,
               optimizer_decay: str = "none", **extra: Any) -> dict[str, Any]:
    """The attributes every trajectory carries, whichever engine made it.

    ``optimizer_decay`` says how the optimizer itself decays the weights (``"none"``, or
    a sentence); ``decay_in_optimizer`` is 1 when it does. ``extra`` adds engine-specific
    attributes.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> from bayesgrok.tasks import make_task
    >>> attrs = attributes(family=LinearRegression(), split=make_task("linear_sign", seed=0),
    ...                    engine="jax", backend="jax", config={}, objective_formula="error",
    ...                    objective_note="", precision="float64", total_steps=10,
    ...                    packages=["jax"], wall_time_s=0.5)
    >>> attrs["engine"], attrs["n_train"], attrs["decay_in_optimizer"]
    ('jax', 2, 0)
    """
    return {
        "family": family.name,
        "backend": backend,
        "engine": engine,
        "task": split.name,
        "task_kind": split.kind,
        "config": json.dumps(dict(config), sort_keys=True, default=str),
        "objective_formula": objective_formula,
        "objective_note": objective_note,
        "optimizer_decay": optimizer_decay,
        "decay_in_optimizer": int(optimizer_decay != "none"),
        "precision": precision,
        "n_train": split.n_train,
        "n_val": split.n_val,
        "spurious_columns": json.dumps([int(c) for c in split.spurious_columns]),
        "operand_columns": json.dumps([int(c) for c in split.operand_columns]),
        "total_steps": int(total_steps),
        **extra,
        "versions": json.dumps(versions(*packages)),
        "threading": json.dumps(thread_settings()),
        "data_provenance": json.dumps(split.metadata.get("provenance", {}), default=str),
        "wall_time_s": float(wall_time_s),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
    }


def assemble(variables: Mapping[str, tuple[tuple[str, ...], Any]], *, seeds: Sequence[int],
             steps: np.ndarray, epochs: np.ndarray | None, status: Sequence[str],
             reasons: Mapping[str, str], attrs: Mapping[str, Any],
             coords: Mapping[str, Any] | None = None) -> xr.Dataset:
    """The trajectory: ``variables`` on ``seed`` x ``step`` (and their extra dims), the
    ``epoch`` coordinate when given, the per-seed ``status`` with its ``reasons`` (JSON,
    seed -> why it stopped) and ``attrs``; checked against the schema.

    Examples
    --------
    >>> v = {name: (("seed", "step"), np.zeros((1, 2)))
    ...      for name in ("error", "complexity", "objective", "val_error", "train_mse",
    ...                   "val_mse")}
    >>> from bayesgrok.families.linear import LinearRegression
    >>> from bayesgrok.tasks import make_task
    >>> attrs = attributes(family=LinearRegression(), split=make_task("linear_sign", seed=0),
    ...                    engine="jax", backend="jax", config={}, objective_formula="error",
    ...                    objective_note="", precision="float64", total_steps=5,
    ...                    packages=[], wall_time_s=0.1)
    >>> ds = assemble(v, seeds=[0], steps=np.array([0, 5]), epochs=None, status=["ok"],
    ...               reasons={}, attrs=attrs)
    >>> dict(ds.sizes), ds["status"].values.tolist()
    ({'seed': 1, 'step': 2}, ['ok'])
    """
    all_coords: dict[str, Any] = {"seed": np.asarray(seeds, dtype=np.int64), "step": steps}
    if epochs is not None:
        all_coords["epoch"] = ("step", epochs)
    ds = xr.Dataset(dict(variables), coords={**all_coords, **dict(coords or {})})
    ds["status"] = ("seed", np.asarray(list(status), dtype=object))
    ds["status"].attrs["reasons"] = json.dumps(dict(reasons))
    ds.attrs = dict(attrs)
    return validate(describe(ds))
