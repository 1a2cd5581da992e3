"""What a report says, gathered from a result folder's files alone.

:func:`collect` reads a study result (``study.nc``, ``runs/*.nc``, the CSV files,
``figures/*.png``, ``provenance.json``, ``failures.json``) or a suite result (member result
folders inside, pooled CSV files and figures at the top, perhaps a ``suite.json``) into a
:class:`~bayesgrok.report.model.Report`, which the templates render; :func:`glance` and
:func:`verdicts` read the summary and hypothesis tables. Nothing is computed again: every
number comes from a file the study wrote.
"""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from bayesgrok.report.captions import caption, figure_order
from bayesgrok.report.model import (
    Failure,
    Figure,
    Glance,
    Member,
    Provenance,
    Report,
    ReportError,
    RunInfo,
    Verdict,
    headline,
)
from bayesgrok.report.runs import read_runs, run_attrs
from bayesgrok.report.tables import cell, read_table, table_order

#: names of hypothesis-table columns that hold a verdict
VERDICT_COLUMNS = ("verdict", "holds", "supported", "passes", "passed", "result", "conclusion")
#: names of hypothesis-table columns that say what a row is about
LABEL_COLUMNS = ("group", "family", "study", "member", "claim")


def is_result(folder: Path) -> bool:
    """Whether ``folder`` holds results: a ``study.nc``, a CSV file or a ``suite.json``.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> is_result(folder)
    False
    >>> _ = (folder / "summary.csv").write_text("run,seed\\n")
    >>> is_result(folder)
    True
    """
    folder = Path(folder)
    return folder.is_dir() and ((folder / "study.nc").is_file()
                                or (folder / "suite.json").is_file()
                                or any(p.is_file() for p in folder.glob("*.csv")))


def check_result(folder: Path) -> Path:
    """``folder`` as a path, if it is a results folder; else :class:`ReportError`.

    Examples
    --------
    >>> check_result(Path("no/such/folder"))
    Traceback (most recent call last):
    ...
    bayesgrok.report.model.ReportError: no/such/folder: no such folder
    """
    folder = Path(folder)
    if not folder.exists():
        raise ReportError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ReportError(f"{folder}: not a folder (give a results folder, the --out of "
                          "'bayesgrok run')")
    if not is_result(folder):
        raise ReportError(f"{folder}: not a results folder (no study.nc, no CSV file and no "
                          "suite.json in it)")
    return folder


def collect(folder: Path, *, dataset: xr.Dataset | None = None) -> Report:
    """Gather what the report of the result folder ``folder`` shows.

    Parameters
    ----------
    folder
        A study result (the ``--out`` of ``bayesgrok run``) or a suite result.
    dataset
        The folder's ``study.nc`` already read (saves reading it again); read from the
        folder when not given.

    Raises
    ------
    ReportError
        If ``folder`` is not a results folder, or its ``study.nc`` cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok import trajectory
    >>> folder = Path(tempfile.mkdtemp())
    >>> ds = trajectory.combine({"run-a": trajectory.example()}, attrs={"study": "demo"})
    >>> _ = trajectory.write(ds, folder / "study.nc", study=True)
    >>> report = collect(folder)
    >>> report.name, report.kind, [g.grokked for g in report.glance]
    ('demo', 'study', [])
    """
    folder = check_result(folder)
    if dataset is None and (folder / "study.nc").is_file():
        dataset = _read_study(folder / "study.nc")
    attrs = dict(dataset.attrs) if dataset is not None else {}
    suite = _read_json(folder / "suite.json") or {}
    members = _members(folder, suite)
    kind = "study" if dataset is not None or not members else "suite"
    report = Report(
        folder=folder,
        kind=kind,
        name=str(attrs.get("study") or suite.get("name") or folder.resolve().name),
        description=str(attrs.get("description") or suite.get("description") or ""),
        notes=str(attrs.get("notes") or suite.get("notes") or "").strip(),
        study_file=str(attrs.get("study_file") or suite.get("suite_file") or ""),
        level=_level(dataset),
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    report.runs = read_runs(folder, dataset, report.warnings)
    labels = {run.run_id: run.label for run in report.runs}
    csvs = table_order(p.name for p in folder.glob("*.csv") if p.is_file())
    report.tables = [read_table(folder / name, drop=("traceback",) if name == "summary.csv"
                                else ()) for name in csvs]
    summary = _frame(folder / "summary.csv")
    report.glance = glance(summary, labels) if summary is not None else []
    if not report.glance and members:  # a suite: one row per member study
        frames = [frame.assign(run=m.name) for m in members
                  if (frame := _frame(m.folder / "summary.csv")) is not None]
        report.glance = glance(pd.concat(frames, ignore_index=True)) if frames else []
    report.verdicts = verdicts(_frame(folder / "hypothesis.csv"))
    report.figures = [Figure(name, folder / "figures" / name, caption(name))
                      for name in figure_order(p.name for p in (folder / "figures").glob("*.png")
                                               if p.is_file())]
    report.members = members
    report.versions = _versions(report.runs)
    report.provenance = _provenance(folder, report)
    report.failures = _failures(folder, dataset)
    if summary is not None and {"status", "run", "seed"} <= set(summary.columns):
        bad = summary[summary["status"].astype(str) == "diverged"]
        report.diverged = [f"{labels.get(str(r), r)} / seed {s}"
                           for r, s in zip(bad["run"], bad["seed"], strict=True)]
    return report


def glance(summary: pd.DataFrame, labels: dict[str, str] | None = None) -> list[Glance]:
    """Per run of a summary table: seeds that fitted (training crossed the threshold),
    generalised (validation crossed it) and grokked (validation crossed it later than
    training did), and the median gap of those that grokked.

    Examples
    --------
    >>> table = pd.DataFrame({"run": ["a", "a"], "seed": [0, 1], "status": ["ok", "ok"],
    ...                       "train_crossed": [True, True], "val_crossed": [True, False],
    ...                       "gap": [40, 990]})
    >>> row = glance(table)[0]
    >>> row.seeds, row.fitted, row.generalised, row.grokked, row.median_gap
    (2, 2, 1, 1, '40')
    """
    needed = {"run", "seed", "status", "train_crossed", "val_crossed", "gap"}
    if not needed <= set(summary.columns):
        return []
    labels = labels or {}
    rows = []
    for run_id, part in summary.groupby("run", sort=False):
        fitted = part["train_crossed"].astype(bool)
        generalised = part["val_crossed"].astype(bool)
        gap = pd.to_numeric(part["gap"], errors="coerce")
        grokked = fitted & generalised & (gap > 0)
        status = part["status"].astype(str)
        problems = ", ".join(f"{n} {s}" for s, n in status[status != "ok"].value_counts().items())
        rows.append(Glance(
            run_id=str(run_id), label=labels.get(str(run_id), str(run_id)), seeds=len(part),
            ok=int((status == "ok").sum()), fitted=int(fitted.sum()),
            generalised=int(generalised.sum()), grokked=int(grokked.sum()),
            median_gap=cell(float(gap[grokked].median())) if grokked.any() else "–",
            problems=problems,
        ))
    return rows


def verdicts(hypothesis: pd.DataFrame | None) -> list[Verdict]:
    """The verdicts of a hypothesis table, one per row: its label (``group``, ``family``,
    ``study`` or ``claim`` columns, else a first text column), its verdict columns
    (:data:`VERDICT_COLUMNS`), its ``reason`` and the claims it tests (``holds_<claim>``).

    Examples
    --------
    >>> table = pd.DataFrame({"group": ["linear", "gp"], "verdict": ["supported", "inconclusive"],
    ...                       "reason": ["", "2 grokked seeds"],
    ...                       "holds_passed_lehc": [True, float("nan")]})
    >>> [str(v) for v in verdicts(table)]
    ['linear: supported; passed lehc: True', 'gp: inconclusive (2 grokked seeds)']
    >>> verdicts(None)
    []
    """
    if hypothesis is None or hypothesis.empty:
        return []
    names = [str(c) for c in hypothesis.columns]
    frame = hypothesis.set_axis(names, axis="columns")
    chosen = [c for c in names if c.lower() in VERDICT_COLUMNS]
    claims = [c for c in names if c.lower().startswith("holds_")]
    if not chosen and not claims:
        return []
    labels = [c for c in names if c.lower() in LABEL_COLUMNS]
    if not labels and names[0] not in chosen + claims and not pd.api.types.is_numeric_dtype(
            frame[names[0]]):
        labels = [names[0]]
    out = []
    for _, row in frame.iterrows():
        said = ", ".join(cell(row[c]) if c.lower() == "verdict" else f"{c} = {cell(row[c])}"
                         for c in chosen)
        reason = cell(row["reason"]) if "reason" in names else "–"
        details = [f"{c[len('holds_'):].replace('_', ' ')}: {cell(row[c])}" for c in claims
                   if cell(row[c]) not in ("–", "")]
        out.append(Verdict(where=", ".join(cell(row[c]) for c in labels), verdict=said,
                           reason="" if reason in ("–", "") else reason,
                           details="; ".join(details)))
    return out


def _read_study(path: Path) -> xr.Dataset:
    from bayesgrok import trajectory

    try:
        return trajectory.read(path, study=True)
    except trajectory.TrajectoryError as exc:
        raise ReportError(str(exc)) from exc


def _read_json(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: not readable JSON ({exc})") from exc


def _frame(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError):
        return None


def _level(ds: xr.Dataset | None) -> str:
    if ds is None:
        return ""
    threshold = float(ds.attrs.get("threshold", 0.95))
    mse = ds.attrs.get("mse_threshold")
    if mse is not None and "train_accuracy" not in ds:
        return f"MSE below {float(mse):g}"
    return f"accuracy above {threshold:g}"


def _versions(runs: list[RunInfo]) -> list[tuple[str, str]]:
    found: dict[str, dict[str, list[str]]] = {}
    for run in runs:
        try:
            versions = json.loads(run.versions or "{}")
        except json.JSONDecodeError:
            continue
        for package, version in versions.items():
            found.setdefault(package, {}).setdefault(str(version), []).append(run.run_id)
    rows = []
    for package, by_version in found.items():
        if len(by_version) == 1:
            rows.append((package, next(iter(by_version))))
        else:
            rows.append((package, "; ".join(f"{v} ({', '.join(ids)})"
                                            for v, ids in by_version.items())))
    return rows


def _provenance(folder: Path, report: Report) -> Provenance:
    record = _read_json(folder / "provenance.json")
    if isinstance(record, dict):
        found = Provenance(**{k: str(record.get(k) or "") for k in (
            "started", "finished", "hostname", "python", "bayesgrok")})
        found.command = str(record.get("command") or "")
        counts = [f"{record[k]} {k}" for k in ("computed", "reused", "failed") if k in record]
        found.runs = ", ".join(counts)
        if found.command:
            return found
    elif report.runs:
        found = Provenance(times_from="runs created")
        created = sorted(run.created for run in report.runs if run.created)
        if created:
            found.started, found.finished = created[0], created[-1]
    else:
        found = Provenance(times_from="members ran")
        records = [_read_json(m.folder / "provenance.json") for m in report.members
                   if (m.folder / "provenance.json").is_file()]
        started = sorted(str(r["started"]) for r in records if r and r.get("started"))
        finished = sorted(str(r["finished"]) for r in records if r and r.get("finished"))
        found.started = started[0] if started else ""
        found.finished = finished[-1] if finished else found.started
    found.reconstructed = True
    if report.study_file:
        found.command = shlex.join(["bayesgrok", "run", report.study_file, "--out",
                                    str(folder)])
    return found


def _failures(folder: Path, ds: xr.Dataset | None) -> list[Failure]:
    from bayesgrok.study.executors import read_failed

    failed = _read_json(folder / "failures.json") or {}
    out = []
    for run_id, why in failed.items():
        record = read_failed(folder, run_id) or {}
        text = str(record.get("traceback", ""))
        if not text and ds is not None and "traceback" in ds and run_id in ds["run"].values:
            text = str(ds["traceback"].sel(run=run_id).item())
        out.append(Failure(run_id, str(why), text))
    return out


def _members(folder: Path, suite: dict[str, Any]) -> list[Member]:
    names = suite.get("members")
    if names is None:
        names = sorted(p.name for p in folder.iterdir()
                       if p.is_dir() and p.name not in ("figures", "runs") and is_result(p))
    members = []
    for name in names:
        sub = folder / str(name)
        member = Member(name=str(name), folder=sub)
        if not is_result(sub):
            member.glance = "no results yet"
            members.append(member)
            continue
        if (sub / "study.nc").is_file():
            try:
                attrs = run_attrs(sub / "study.nc")
                member.description = str(attrs.get("description", ""))
            except (OSError, ValueError):
                member.glance = "study.nc could not be read"
        summary = _frame(sub / "summary.csv")
        if summary is not None:
            member.glance = member.glance or headline(glance(summary)).split(" (")[0]
        member.verdicts = verdicts(_frame(sub / "hypothesis.csv"))
        members.append(member)
    return members
