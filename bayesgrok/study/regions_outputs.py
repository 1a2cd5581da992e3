"""A study's (or several studies') regions and hypothesis outputs.

:func:`write_regions` writes, for one study, ``regions.nc`` (the region of every logged
step and the per-seed passage), ``regions.csv``, ``regions_sensitivity.csv``,
``hypothesis.csv``, ``hypothesis_counterexamples.csv`` and the region figures.
:func:`write_pooled` does the same over several finished studies at once (a suite, or
``bayesgrok hypothesis A B``), with each group's reference complexity computed over all of
them, so that an ablation study is judged against its full study's reference.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from bayesgrok.analysis.hypothesis import (
    CRITERIA,
    HypothesisCriteria,
    counterexamples,
    hypothesis_table,
)
from bayesgrok.analysis.regions import (
    RegionSpec,
    pooled_references,
    regions,
    regions_table,
    sensitivity_grid,
)
from bayesgrok.study import store

__all__ = ["Analysed", "criteria_of", "group_column", "region_spec_of", "write_pooled",
           "write_regions"]


@dataclass
class Analysed:
    """One finished study to analyse: its name, dataset and definitions.

    With a ``label``, the study's runs form one group of that name (its ``family`` column
    keeps the family) and its references are its own: a suite's members are separate
    experiments, even when two of them train the same family on different tasks.
    """

    name: str
    dataset: xr.Dataset
    spec: RegionSpec
    sensitivity: list[RegionSpec]
    label: str | None = None

    def regions(self, spec: RegionSpec, references: Mapping[str, float] | None,
                **options: Any) -> xr.Dataset:
        """The study's regions under ``spec``, relabelled when it has a label."""
        reg = regions(self.dataset, spec, references=references, **options)
        if self.label is not None:
            reg["family"] = reg["group"].copy()
            reg["group"] = xr.full_like(reg["group"], self.label, dtype=object).astype(str)
        return reg


def _coordinate(key: str, sweep_names: Mapping[str, str]) -> str:
    """The coordinate name of a swept dotted key (``label.start`` -> ``start``)."""
    by_key = {dotted: name for name, dotted in sweep_names.items()}
    return by_key.get(key, key)


def region_spec_of(raw: Any, analysis: Any, sweep_names: Mapping[str, str]) -> RegionSpec:
    """A :class:`RegionSpec` from a study's ``[regions]`` and ``[analysis]`` tables.

    Examples
    --------
    >>> from bayesgrok.study.schema import AnalysisSpec, RegionsSpec
    >>> spec = region_spec_of(RegionsSpec(reference={"label.start": "C"}), AnalysisSpec(),
    ...                       {"start": "label.start"})
    >>> spec.reference
    {'start': 'C'}
    """
    reference = raw.reference
    if isinstance(reference, dict):
        reference = {_coordinate(k, sweep_names): v for k, v in reference.items()}
    return RegionSpec(tolerance=raw.tolerance, reference=reference,
                      reference_group=_coordinate(raw.reference_group, sweep_names),
                      threshold=analysis.threshold, mse_threshold=analysis.mse_threshold,
                      onset=raw.onset)


def criteria_of(raw: Any) -> HypothesisCriteria:
    """:class:`HypothesisCriteria` from a ``[hypothesis]`` table.

    Examples
    --------
    >>> from bayesgrok.study.schema import HypothesisSpec
    >>> criteria_of(HypothesisSpec(min_grokked=5)).min_grokked
    5
    """
    return HypothesisCriteria(criteria=tuple(raw.criteria), min_grokked=raw.min_grokked,
                              min_passed_fraction=raw.min_passed_fraction, max_p=raw.max_p,
                              min_rho_low=raw.min_rho_low,
                              max_ablation_lelc=raw.max_ablation_lelc)


def group_column(group: str, sweep_names: Mapping[str, str]) -> str:
    """The regions-table column of a ``[hypothesis] group`` (``family``, ``study``: the
    ``group`` column itself).

    Examples
    --------
    >>> group_column("family", {}), group_column("model.sigma_init", {"sigma_init":
    ...                                                          "model.sigma_init"})
    ('group', 'sigma_init')
    """
    return "group" if group in ("family", "study") else _coordinate(group, sweep_names)


def _sensitivity(studies: Sequence[Analysed], criteria: HypothesisCriteria,
                 group: str) -> pd.DataFrame:
    """The fraction of the definitions grid on which each conclusion holds, per group."""
    cells = []
    n = min(len(s.sensitivity) for s in studies)
    for i in range(n):
        specs = [s.sensitivity[i] for s in studies]
        refs = _pooled_refs(studies, specs)
        tables = [_table(s.regions(spec, refs.get(s.name), fit_onsets=False), s)
                  for s, spec in zip(studies, specs, strict=True)]
        table = hypothesis_table(tables, criteria, group=group)
        table["tolerance"] = specs[0].tolerance
        table["fit_threshold"] = (specs[0].fit_threshold if specs[0].fit_threshold is not None
                                  else specs[0].threshold)
        cells.append(table)
    grid = pd.concat(cells, ignore_index=True)
    rows = []
    for name, part in grid.groupby("group", sort=False):
        for conclusion in ("supported", *CRITERIA):
            if conclusion == "supported":
                held = part["verdict"] == "supported"
                measurable = pd.Series(True, index=part.index)
            else:
                column = part[f"holds_{conclusion}"]
                measurable = column.notna()
                held = column.fillna(False).astype(bool)
            rows.append({
                "group": name, "conclusion": conclusion,
                "in_force": conclusion == "supported" or conclusion in criteria.criteria,
                "holds_fraction": float(held.mean()),
                "measurable_cells": int(measurable.sum()), "cells": len(part),
                "tolerances": json.dumps(sorted(set(part["tolerance"].round(6)))),
                "fit_thresholds": json.dumps(sorted(set(part["fit_threshold"].round(6)))),
            })
    return pd.DataFrame(rows)


def _pooled_refs(studies: Sequence[Analysed],
                 specs: Sequence[RegionSpec]) -> dict[str, dict[str, float] | None]:
    """Per study, the pooled reference of each group (only when several studies share a
    group do the references differ from each study's own)."""
    shared = [(s, spec) for s, spec in zip(studies, specs, strict=True) if s.label is None]
    if len(shared) < 2:
        return {}
    pooled: dict[str, float] = {}
    for s, spec in shared:
        for g, value in pooled_references([s.dataset], spec).items():
            pooled[g] = min(value, pooled.get(g, value))
    return {s.name: dict(pooled) for s, _ in shared}


def _table(reg: xr.Dataset, study: Analysed) -> pd.DataFrame:
    """The regions table of one study, with its ``study`` (and ``family``) columns."""
    table = regions_table(reg)
    table.insert(0, "study", study.name)
    if "family" in reg.data_vars:
        table.insert(table.columns.get_loc("group") + 1, "family",
                     [str(reg["family"].sel(run=r).item()) for r in table["run"]])
    return table


def write_pooled(studies: Sequence[Analysed], out: Path, criteria: HypothesisCriteria, *,
                 group: str = "group", figures: bool = True) -> pd.DataFrame:
    """Write the regions and hypothesis outputs of several studies analysed together.

    Parameters
    ----------
    studies
        The studies, each with its definitions (thresholds differ between studies).
    out
        The folder written: ``regions.csv`` (with a ``study`` column when there are
        several), ``regions_sensitivity.csv``, ``hypothesis.csv``,
        ``hypothesis_counterexamples.csv``, ``regions.nc`` (one study only) and, with
        ``figures``, ``figures/regions_paths.png``, ``regions_timeline.png`` and
        ``dwell_gap.png``.
    criteria
        The verdict's criteria.
    group
        The column of the regions table that forms the hypothesis groups.

    Returns
    -------
    pandas.DataFrame
        The hypothesis table.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.analysis.regions import passage_example
    >>> out = Path(tempfile.mkdtemp())
    >>> one = Analysed("example", passage_example(), RegionSpec(), [RegionSpec()])
    >>> table = write_pooled([one], out, HypothesisCriteria(min_grokked=1), figures=False)
    >>> sorted(p.name for p in out.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['hypothesis.csv', 'hypothesis_counterexamples.csv', 'regions.csv', 'regions.nc',
     'regions_sensitivity.csv']
    >>> table["verdict"].tolist()
    ['inconclusive']
    """
    refs = _pooled_refs(studies, [s.spec for s in studies])
    several = len(studies) > 1
    regs = {s.name: s.regions(s.spec, refs.get(s.name)) for s in studies}
    tables = []
    for s in studies:
        table = _table(regs[s.name], s)
        tables.append(table if several else table.drop(columns="study"))
    pooled = pd.concat(tables, ignore_index=True)
    store.write_text(out / "regions.csv", pooled.to_csv(index=False))
    if not several:
        reg = regs[studies[0].name]
        store.write_netcdf(_encodable(reg), out / "regions.nc")
    hypo = hypothesis_table(pooled, criteria, group=group)
    hypo["criteria"] = criteria.describe()
    store.write_text(out / "hypothesis.csv", hypo.to_csv(index=False))
    counter = counterexamples(pooled, group=group)
    store.write_text(out / "hypothesis_counterexamples.csv", counter.to_csv(index=False))
    sens = _sensitivity(studies, criteria, group)
    store.write_text(out / "regions_sensitivity.csv", sens.to_csv(index=False))
    if figures:
        _draw({s.label or s.name: regs[s.name] for s in studies}, out / "figures", hypo)
    return hypo


def _encodable(reg: xr.Dataset) -> xr.Dataset:
    """``reg`` with attributes netCDF can store and text as object arrays."""
    reg = reg.copy()
    for name in reg.variables:
        if reg[name].dtype.kind in "UO":
            reg[name] = reg[name].astype(str).astype(object)
        if reg[name].dtype == bool:
            reg[name] = reg[name].astype("int8")
    return reg


def _draw(regs: Mapping[str, xr.Dataset], folder: Path, hypo: pd.DataFrame) -> None:
    from bayesgrok import plots as region_plots

    reg = _one_dataset(regs)
    folder.mkdir(parents=True, exist_ok=True)
    region_plots.plot_region_paths(reg, folder / "regions_paths.png")
    region_plots.plot_region_timeline(reg, folder / "regions_timeline.png")
    region_plots.plot_dwell_gap(reg, folder / "dwell_gap.png", hypothesis=hypo)


def _one_dataset(regs: Mapping[str, xr.Dataset]) -> xr.Dataset:
    """Several studies' regions on one ``run`` axis (runs named ``study/run-title``)."""
    if len(regs) == 1:
        return next(iter(regs.values()))
    from bayesgrok.plots._common import run_title

    parts = []
    for name, reg in regs.items():
        titles = [f"{name}: {run_title(reg, r)}" for r in reg["run"].values]
        swept = [n for n, c in reg.coords.items() if c.dims == ("run",) and n != "run"]
        part = reg.drop_vars(swept).assign_coords(run=titles)
        part.attrs = {k: v for k, v in reg.attrs.items() if k != "sweep_shown"}
        parts.append(part)
    both = xr.concat(parts, dim="run", join="outer", data_vars="all", coords="minimal",
                     compat="override", combine_attrs="drop_conflicts")
    both["region"] = both["region"].fillna(-1).astype("int8")
    both["region"].attrs = parts[0]["region"].attrs
    return both


def write_regions(study: Any, ds: xr.Dataset, out: Path, *, figures: bool = True) -> None:
    """Write one study's regions and hypothesis outputs (see :func:`write_pooled`).

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok.study.resolve import load_study
    >>> from bayesgrok.study.examples import tiny_study
    >>> from bayesgrok.analysis.regions import passage_example
    >>> study = load_study(tiny_study())
    >>> out = Path(tempfile.mkdtemp())
    >>> write_regions(study, passage_example(), out, figures=False)
    >>> (out / "regions.csv").is_file()
    True
    """
    spec = region_spec_of(study.spec.regions, study.spec.analysis, study.sweep_names)
    raw = study.spec.regions
    grid = sensitivity_grid(spec, raw.sensitivity_tolerances, raw.sensitivity_thresholds)
    group = group_column(study.spec.hypothesis.group, study.sweep_names)
    write_pooled([Analysed(study.spec.name, ds, spec, grid)], out,
                 criteria_of(study.spec.hypothesis), group=group, figures=figures)

