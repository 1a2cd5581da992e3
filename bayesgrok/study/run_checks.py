"""Checks of one run's study tables against its family and search, before any work:
expensive measurements, robustness metrics, training methods and a PCA-plane landscape,
each refused with a :class:`~bayesgrok.study.errors.StudyError` naming the file, the key
and the value."""

from __future__ import annotations

from typing import Any

from bayesgrok.search.config import SearchConfig
from bayesgrok.study.errors import StudyError
from bayesgrok.study.schema import StudySpec


def check_metrics(search: SearchConfig, built: Any, family: str, file: str) -> None:
    """Expensive metrics need a family that takes them and a schedule that measures them.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> cfg = SearchConfig(steps=10, metrics_log={"every": 5})
    >>> check_metrics(cfg, LinearRegression(), "linear", "s.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgrok.study.errors.StudyError: s.toml: search.metrics_log = ...: family 'linear' ...
    """
    names = built.metric_names  # the metrics a family was asked for
    if search.metrics_log is not None:
        logged = search.metrics_log.model_dump(exclude_none=True)
        if not built.takes_metrics:
            raise StudyError(file, "search.metrics_log", f"family {family!r} has no expensive "
                             "metrics to measure (only PyTorch families with a metrics "
                             "method do)", logged)
        if names is not None and not names:
            raise StudyError(file, "search.metrics_log", "no metrics to measure: name them in "
                             "model.metrics", logged)
    elif names:
        raise StudyError(file, "model.metrics", "these metrics would never be measured: give "
                         "search.metrics_log (when to measure them)", list(names))


def check_robustness(spec: StudySpec, built: Any, family: str, file: str) -> None:
    """A ``[robustness]`` variable of a robustness metric needs that metric measured.

    Examples
    --------
    >>> from bayesgrok.study.schema import parse_study
    >>> spec = parse_study({"name": "s", "task": {"name": "parity"},
    ...                     "model": {"card": "omnigrok_mlp"}, "search": {"steps": 1}}, "s")
    >>> check_robustness(spec, None, "mlp", "s.toml")  # no [robustness]: nothing to check
    """
    rob = spec.robustness
    if rob is None:
        return
    from bayesgrok.metrics.suite import ROBUSTNESS_VARIABLES  # imports torch
    measured = set(built.metric_names or ())
    owner = {v: metric for metric, names in ROBUSTNESS_VARIABLES.items() for v in names}
    named = {"metrics": list(rob.metrics or []), "onsets": list(rob.onsets),
             "directions": list(rob.directions)}
    for key, names in named.items():
        for name in names:
            if name in owner and owner[name] not in measured:
                raise StudyError(file, f"robustness.{key}", f"{name!r} is recorded by the "
                                 f"metric {owner[name]!r}, which model.metrics does not "
                                 f"measure (it measures: {', '.join(sorted(measured)) or 'none'})",
                                 name)
    if rob.metrics is not None:
        stray = [d for d in rob.directions if d not in rob.metrics]
        if stray:
            raise StudyError(file, "robustness.directions", "not among robustness.metrics",
                             stray[0])


def check_methods(search: SearchConfig, built: Any, family: str, split: Any,
                   file: str) -> None:
    """Training methods need a PyTorch family; the penalty needs two operands to swap.

    Examples
    --------
    >>> from bayesgrok.families.linear import LinearRegression
    >>> cfg = SearchConfig(steps=10, commutativity_penalty=1.0)
    >>> check_methods(cfg, LinearRegression(), "linear", None, "s.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgrok.study.errors.StudyError: s.toml: search.commutativity_penalty = 1.0: ...
    """
    torch_family = built.takes_methods
    if search.perturbation is not None and not torch_family:
        raise StudyError(file, "search.perturbation", f"family {family!r} is not a PyTorch "
                         "family; only those train under input perturbation",
                         search.perturbation.model_dump())
    if search.commutativity_penalty > 0.0:
        if not torch_family:
            raise StudyError(file, "search.commutativity_penalty", f"family {family!r} is not "
                             "a PyTorch family; only those take the penalty",
                             search.commutativity_penalty)
        cols = list(split.operand_columns)
        if not cols or len(cols) % 2:
            raise StudyError(file, "search.commutativity_penalty", f"task {split.name!r} has "
                             "no two operands to swap", search.commutativity_penalty)


def check_pca_landscape(spec: StudySpec, split: Any, file: str) -> None:
    """A PCA-plane landscape needs three or more snapshots and a seed of the sweep.

    Examples
    --------
    >>> from bayesgrok.study.schema import parse_study
    >>> from bayesgrok.tasks import make_task
    >>> spec = parse_study({"name": "s", "task": {"name": "linear_sign"},
    ...                     "model": {"card": "miller_linear"},
    ...                     "search": {"steps": 10, "snapshots": [0, 5]},
    ...                     "landscape": {"plane": "pca"}}, "s")
    >>> check_pca_landscape(spec, make_task("linear_sign", seed=0), "s.toml")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bayesgrok.study.errors.StudyError: s.toml: search.snapshots = [0, 5]: ... got 2
    """
    search = spec.search
    try:
        steps = search.snapshot_steps(split.n_train) if isinstance(search, SearchConfig) else []
    except ValueError:
        return  # late snapshot steps: the search's own check names them
    if len(steps) < 3:
        raise StudyError(file, "search.snapshots", "[landscape] plane = 'pca' needs 3 or "
                         f"more snapshot steps; got {len(steps)}",
                         getattr(search, "snapshots", None))
    seed = spec.landscape.seed
    if seed is not None and seed not in spec.sweep.seeds:
        raise StudyError(file, "landscape.seed", f"not a seed of the sweep "
                         f"({spec.sweep.seeds})", seed)
