"""Result tables for the terminal: a study's summary and a hypothesis table, printed with
rich. Used by ``bayesgrok run``, ``show`` and ``hypothesis``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr


def print_hypothesis(out: Console, table: pd.DataFrame, title: str) -> None:
    """Print a hypothesis table (:func:`bayesgrok.analysis.hypothesis.hypothesis_table`) as
    a rich table.

    Examples
    --------
    >>> import pandas as pd
    >>> from rich.console import Console
    >>> console = Console(width=200, record=True, file=open("/dev/null", "w"))
    >>> print_hypothesis(console, pd.DataFrame([{"group": "linear", "verdict": "supported"}]),
    ...                  "demo")
    >>> text = console.export_text()
    >>> "linear" in text and "supported" in text
    True
    """
    columns = ["group", "seeds", "grokked", "passed_lehc_fraction", "spearman_rho", "rho_low",
               "rho_high", "exit_before_onset", "exit_before_onset_p", "median_lag_over_gap",
               "ablation_lelc_fraction", "verdict", "reason"]
    view = Table(title=title)
    for column in columns:
        view.add_column(column.replace("_", " "), justify="left" if column in (
            "group", "verdict", "reason") else "right")
    for row in table.to_dict("records"):
        view.add_row(*(_fmt(row.get(c, "")) for c in columns))
    if not out.is_terminal:
        out.width = max(out.width, 200)
    out.print(view)


def summary_frame(ds: xr.Dataset) -> pd.DataFrame:
    """The summary table of a study dataset (one row per run and seed) with the study's own
    thresholds, as ``bayesgrok show --format csv|json`` writes it.

    Examples
    --------
    >>> from bayesgrok.analysis.regions import passage_example
    >>> list(summary_frame(passage_example())[["seed", "train_onset"]].iloc[0])
    [0, 10]
    """
    from bayesgrok.analysis import summary_table

    mse = ds.attrs.get("mse_threshold")
    return summary_table(ds, float(ds.attrs.get("threshold", 0.95)),
                         mse_threshold=None if mse is None else float(mse))


def print_summary(out: Console, ds: xr.Dataset, name: str) -> None:
    """Print a study dataset's runs and seeds as a rich table (status, onsets, gap, final
    accuracies, diagnostics), then its failures, divergences and threading.

    Examples
    --------
    >>> import tempfile
    >>> from rich.console import Console
    >>> from bayesgrok.study.examples import tiny_study
    >>> from bayesgrok.study.runner import run_study
    >>> res = run_study(tiny_study(), tempfile.mkdtemp(), figures=False, report=False)
    >>> console = Console(width=200, record=True, file=open("/dev/null", "w"))
    >>> print_summary(console, res.dataset, "tiny")
    >>> console.export_text().split(":")[0].strip()
    'tiny'
    """
    from bayesgrok.analysis import summary_table, swept_parameters
    from bayesgrok.analysis.summary import per_seed_variables

    if set(ds["status"].values.ravel().tolist()) <= {"failed"}:
        return  # every run failed: nothing was measured (the failures are listed next)
    threshold = float(ds.attrs.get("threshold", 0.95))
    mse = ds.attrs.get("mse_threshold")
    table = summary_table(ds, threshold, mse_threshold=None if mse is None else float(mse))
    swept = swept_parameters(ds)
    if "sweep_shown" in ds.attrs:  # labels stand for the zipped keys they name
        swept = [c for c in json.loads(ds.attrs["sweep_shown"]) if c in swept]
    total = int(ds["step"].max())
    level = f"MSE below {float(mse):g}" if mse is not None and "train_accuracy" not in ds else (
        f"accuracy above {threshold:g}")
    view = Table(title=f"{ds.attrs.get('study', name)}: onsets at {level}, "
                 f"of {total} steps ('never': not crossed; gap '>n': at least n)")
    finals = [c for c in ("final_train_accuracy", "final_val_accuracy") if c in table.columns]
    finals = finals or [c for c in table.columns if c.startswith("final_")]
    diagnostics = [c for c in per_seed_variables(ds) if c in table.columns]
    columns = ([] if swept else ["run"]) + [*swept, "seed", "status", "train_onset", "val_onset",
                                           "gap", *finals, *diagnostics]
    headers = {"train_onset": "train onset", "val_onset": "val onset",
               "final_train_accuracy": "train acc", "final_val_accuracy": "val acc",
               "final_train_mse": "train mse", "final_val_mse": "val mse",
               "rhat_max": "R-hat (max)", "ess_bulk_min": "bulk ESS (min)",
               "ess_tail_min": "tail ESS (min)", "divergences": "divergences"}
    for column in columns:
        view.add_column(headers.get(column, column), justify="left" if column in (
            "run", "status") else "right")
    for row in table.to_dict("records"):
        cells = []
        for column in columns:
            value = row[column]
            crossed = column.replace("onset", "crossed")
            if column.endswith("_onset") and not row[crossed]:
                cells.append("never")
            elif column == "gap" and not row["train_crossed"]:
                cells.append("-")
            elif column == "gap" and not row["val_crossed"]:
                cells.append(f">{_fmt(value)}")  # a lower bound: validation never crossed
            elif column == "rhat_max":
                cells.append(f"{value:.3f}")  # 1.004 is not 1: show what the 1.01 rule reads
            elif column == "status" and value in _STATUS_STYLE:
                cells.append(f"[{_STATUS_STYLE[value]}]{value}[/]")
            else:
                cells.append(_fmt(value))
        view.add_row(*cells)
    if not out.is_terminal:  # piped or captured: do not squeeze the table to 80 columns
        out.width = max(out.width, 160)
    out.print(view)
    _print_problems(out, ds, table)
    _print_threading(out, ds)


def _describe_threads(settings: dict) -> str:
    xla = settings.get("xla_threads")
    torch_threads = settings.get("torch_threads")
    parts = [f"XLA {xla if xla is not None else 'default (one per core)'}"]
    if torch_threads is not None:
        parts.append(f"torch {torch_threads}")
    parts.append(f"on {settings.get('cpus', '?')} of {settings.get('cpu_count', '?')} cores")
    flags = settings.get("xla_flags")
    return ", ".join(parts) + (f" (XLA_FLAGS={flags!r})" if flags else "")


def _print_threading(out: Console, ds: xr.Dataset) -> None:
    """The threads the runs computed with, and any warning about their data."""
    for name, describe in (("threading", _describe_threads), ("data_provenance", None)):
        if name not in ds:
            continue
        values = sorted({str(v) for v in np.atleast_1d(ds[name].values)})
        for text in values:
            settings = json.loads(text) if text else {}
            if describe is not None and settings:
                out.print(f"threads: {describe(settings)}", highlight=False)
            elif describe is None and settings.get("warning"):
                out.print(f"[bold yellow]data:[/] {settings['warning']}")


_STATUS_STYLE = {"failed": "bold red", "diverged": "bold yellow"}


def _print_problems(out: Console, ds: xr.Dataset, table: pd.DataFrame) -> None:
    """Say plainly which runs failed (with their error) and which seeds diverged."""
    statuses = table["status"].astype(str)
    diverged = table[statuses == "diverged"]
    if len(diverged):
        where = ", ".join(f"{r}/seed {s}" for r, s in zip(diverged["run"], diverged["seed"],
                                                          strict=True))
        out.print(f"[bold yellow]{len(diverged)} seed(s) diverged[/] (non-finite objective; "
                  f"their measurements stop there): {where}")
    failed_runs = list(dict.fromkeys(table[statuses == "failed"]["run"]))
    if failed_runs:
        out.print(f"[bold red]{len(failed_runs)} run(s) failed[/] (no trajectory; computed "
                  "again by the next 'bayesgrok run'):")
        for run in failed_runs:
            text = str(ds["traceback"].sel(run=run).item()) if "traceback" in ds else ""
            last = (text.strip().splitlines() or ["(no traceback recorded)"])[-1]
            out.print(f"  [red]{run}[/]: {last}", highlight=False)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


