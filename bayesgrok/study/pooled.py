"""The hypothesis test over finished results analysed together (``bayesgrok hypothesis``)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from bayesgrok import trajectory
from bayesgrok.analysis.regions import sensitivity_grid
from bayesgrok.study.errors import StudyError
from bayesgrok.study.regions_outputs import (
    Analysed,
    criteria_of,
    group_column,
    region_spec_of,
    write_pooled,
)
from bayesgrok.study.schema import AnalysisSpec, HypothesisSpec, RegionsSpec, parse_study

__all__ = ["analyse_results"]


def _specs_of(ds: Any, source: Path) -> tuple[RegionsSpec, HypothesisSpec, AnalysisSpec,
                                              dict[str, str]]:
    """The study's own tables, from its file when it is still there, else defaults."""
    sweep_names = json.loads(ds.attrs.get("sweep_keys", "{}"))
    study_file = Path(str(ds.attrs.get("study_file", "")))
    analysis = AnalysisSpec(threshold=float(ds.attrs.get("threshold", 0.95)),
                            mse_threshold=(float(ds.attrs["mse_threshold"])
                                           if "mse_threshold" in ds.attrs else None))
    if study_file.is_file():
        from bayesgrok.study.schema import load_toml

        try:
            spec = parse_study(load_toml(study_file), study_file)
            return spec.regions, spec.hypothesis, analysis, sweep_names
        except StudyError:
            pass  # the file changed since the run: fall back to the defaults
    return RegionsSpec(), HypothesisSpec(), analysis, sweep_names


def analyse_results(paths: Sequence[Path], out: Path | None = None, *,
                    tolerance: float | None = None) -> pd.DataFrame:
    """Regions and the hypothesis test over several results' ``study.nc`` together.

    Each study keeps its thresholds and its ``[regions]`` definitions (read from its study
    file when that is still at its recorded path; the defaults otherwise), with a
    ``tolerance`` that, when given, replaces them all. The criteria and groups are those of
    the first study. Each group's reference is the lowest over all the studies.

    Parameters
    ----------
    paths
        ``study.nc`` files.
    out
        Folder for the outputs of :func:`~bayesgrok.study.regions_outputs.write_pooled`;
        with ``None`` nothing is kept.
    tolerance
        A tolerance for every study.

    Returns
    -------
    pandas.DataFrame
        The hypothesis table.

    Raises
    ------
    StudyError
        When a file is not a readable study dataset.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.examples import tiny_study
    >>> from bayesgrok.study.runner import run_study
    >>> done = run_study(tiny_study(), tempfile.mkdtemp(), figures=False, report=False)
    >>> table = analyse_results([done.out / "study.nc"])
    >>> int(table["seeds"].iloc[0])
    2
    """
    analysed, criteria, group = [], None, "group"
    names: list[str] = []
    for path in paths:
        try:
            ds = trajectory.read(path, study=True)
        except trajectory.TrajectoryError as exc:
            raise StudyError(str(path), "", str(exc)) from None
        raw, hypo, analysis, sweep_names = _specs_of(ds, path)
        if tolerance is not None:
            raw = raw.model_copy(update={"tolerance": tolerance})
        spec = region_spec_of(raw, analysis, sweep_names)
        if isinstance(spec.reference, dict):  # a sweep point of this study alone
            spec = replace(spec, reference="lowest_final")
        if criteria is None:
            criteria = criteria_of(hypo)
            group = group_column(hypo.group, sweep_names)
        name = str(ds.attrs.get("study", path.parent.name))
        while name in names:
            name += "_"
        names.append(name)
        grid = sensitivity_grid(spec, raw.sensitivity_tolerances,
                                raw.sensitivity_thresholds if spec.mse_threshold is None
                                else None)
        analysed.append(Analysed(name, ds, spec, grid))
    assert criteria is not None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        return write_pooled(analysed, out, criteria, group=group)
    with tempfile.TemporaryDirectory() as scratch:
        return write_pooled(analysed, Path(scratch), criteria, group=group, figures=False)
