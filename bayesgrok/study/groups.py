"""Runs trained together: the sweep points of a study that share one compiled program.

Runs whose families differ only in their starting values (``initial_values``: A5's three
starts, A6's ``sigma_init`` values), whose task draws have one shape (the same sizes,
kind and classes: A4's operations at one number of random bits) and that share the search
are one *group*: their engine's group runner (the engine table's ``group`` entry: the JAX
engine's :func:`~bayesgrok.search.jax_engine.run_group` trains all their seeds in one
vmapped program, the PyTorch engine's :func:`~bayesgrok.search.torch_engine.run_group` in
one stacked forward and backward pass per step) trains them together.
Each run still writes its own files, so resumption works run by run: a half-finished group
is regrouped from the runs still to do. When a group raises, its runs are computed again
one by one, so that only the failing run is recorded as failed. A study turns grouping off
with ``[execution] group = false``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from bayesgrok.search.engines import engine_entry
from bayesgrok.study.resolve import RunSpec


def group_key(run: RunSpec) -> str | None:
    """What runs of one group share (``None``: the run's engine trains runs only alone).

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> key = json.loads(group_key(load_study(tiny_study()).runs[0]))
    >>> key["family"].split(":")[0], key["data"]["task"], key["data"]["n_train"]
    ('bayesgrok.families.linear.LinearRegression', 'linear_sign', 2)
    """
    family = run.build_family()
    entry = engine_entry(family, run.search.method)
    if not entry.group:
        return None
    data = run.data_shape or {"task": run.task, "task_params": run.task_params}
    return json.dumps({"family": family.program_key(), "data": data,
                       "search": run.search.model_dump(mode="json")},
                      sort_keys=True, default=repr)


def group_runs(runs: Sequence[RunSpec], enabled: bool = True) -> list[list[RunSpec]]:
    """The runs in groups, in the order of each group's first run (singletons when not
    ``enabled``, or for runs that no other run shares a program with).

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> runs = 2 * load_study(tiny_study()).runs  # two runs of one program
    >>> [len(g) for g in group_runs(runs)], [len(g) for g in group_runs(runs, False)]
    ([2], [1, 1])
    """
    if not enabled:
        return [[run] for run in runs]
    groups: dict[Any, list[RunSpec]] = {}
    for i, run in enumerate(runs):
        key = group_key(run)
        groups.setdefault(i if key is None else key, []).append(run)
    return list(groups.values())


def group_label(runs: Sequence[RunSpec]) -> RunSpec:
    """The run shown by a progress display while ``runs`` train together.

    Examples
    --------
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> runs = 2 * load_study(tiny_study()).runs
    >>> group_label(runs).run_id.endswith("(+1 run together)")
    True
    """
    if len(runs) == 1:
        return runs[0]
    more = len(runs) - 1
    return dataclasses.replace(
        runs[0], run_id=f"{runs[0].run_id} (+{more} run{'s' if more > 1 else ''} together)")
