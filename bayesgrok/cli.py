"""The ``bayesgrok`` command line: run, show, plot and report studies; list what ships.

Bad input of any kind prints one message naming the file, the key and the value, exits
with status 2 and writes nothing.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bayesgrok.console_tables import print_hypothesis, print_summary

app = typer.Typer(
    help="bayesgrok: grokking across model families, one complexity-plus-error search.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"bayesgrok {version('bayesgrok')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """bayesgrok: grokking across model families, one complexity-plus-error search."""


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@app.command()
def run(
    study: Annotated[Path, typer.Argument(help="A study or suite file (TOML), or the name of "
                                            "a shipped study ('bayesgrok list').")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default results/<study name>).")
    ] = None,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="Skip the figures.")] = False,
    executor: Annotated[
        str, typer.Option("--executor", help="Where runs are computed: 'local' or 'dask'.")
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Address of an existing Dask scheduler "
                     "(tcp://host:8786); with --executor dask."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes of the local Dask cluster.")
    ] = 2,
    retries: Annotated[
        int, typer.Option("--retries", help="Times a run whose Dask worker died is retried.")
    ] = 3,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", help="Runs computed at once in this process, in threads "
                     "(local executor; default: the study's [execution] jobs, else 1; "
                     "PyTorch and GP runs go one at a time).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Run into a folder of another study or an "
                           "edited one, removing its stale outputs (each is named), and "
                           "recompute finished runs made from another configuration.")
    ] = False,
) -> None:
    """Run a study (every missing run, then study.nc, summary.csv, regions, figures and the
    report), or a suite (every member, then the hypothesis test over all of them)."""
    from bayesgrok.atomic import DiskFullError
    from bayesgrok.study.errors import StudyError
    from bayesgrok.study.executors import DaskExecutor, LocalExecutor
    from bayesgrok.study.progress import RichReporter
    from bayesgrok.study.runner import StudyInterrupted, run_study
    from bayesgrok.study.schema import find_study

    study = find_study(study)

    if executor not in ("local", "dask"):
        _fail(f"--executor = {executor!r}: choose 'local' or 'dask'")
    if executor == "local" and scheduler is not None:
        _fail("--scheduler needs --executor dask")
    if workers < 1:
        _fail(f"--workers = {workers}: must be at least 1")
    if retries < 0:
        _fail(f"--retries = {retries}: must be at least 0")
    if jobs is not None and jobs < 1:
        _fail(f"--jobs = {jobs}: must be at least 1")
    if executor == "dask" and jobs is not None:
        _fail("--jobs is for the local executor: with --executor dask, use --workers")
    chosen = (DaskExecutor(scheduler=scheduler, workers=workers, retries=retries)
              if executor == "dask" else LocalExecutor(jobs=jobs))
    from bayesgrok.study.suite import is_suite, run_suite

    command = shlex.join(["bayesgrok", *sys.argv[1:]])
    try:
        with RichReporter(err) as reporter:
            if executor == "dask":
                err.print(f"executor: {chosen.describe()}")
            if is_suite(study):
                suite = run_suite(study, out_dir, reporter=reporter, figures=not no_figures,
                                  executor=chosen, force=force, command=command)
                _report_suite(suite)
                return
            result = run_study(study, out_dir, reporter=reporter, figures=not no_figures,
                               executor=chosen, force=force, command=command)
    except StudyError as exc:
        _fail(str(exc))
        return
    except DiskFullError as exc:
        err.print(f"[bold red]stopped:[/] {exc.strerror}. The finished runs are kept in "
                  f"{(out_dir or 'the results folder')}; free some space and run the same "
                  "command again to go on.", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    except StudyInterrupted as exc:
        err.print(f"[bold yellow]{exc}[/]; the same command resumes the study (a long run "
                  "goes on from its last checkpoint)", highlight=False, soft_wrap=True)
        raise typer.Exit(code=130) from None
    for item in result.removed:
        err.print(f"removed (--force: not of this study) {item}", soft_wrap=True,
                  markup=False, highlight=False)
    recomputed = f" ({len(result.recomputed)} of them replacing corrupt or conflicting files)" \
        if result.recomputed else ""
    err.print(
        f"{len(result.computed)} runs computed{recomputed}, {len(result.reused)} reused, "
        f"{len(result.failed)} failed; results in {result.out}"
    )
    if result.report is not None:
        err.print(f"report: {result.report} (and its Markdown twin)")
    if result.old_figures_removed:
        err.print(f"removed {result.out / 'figures'}: its figures showed an earlier run "
                  "('bayesgrok plot' draws them again)", highlight=False, soft_wrap=True)
    if result.stopped:
        err.print(f"[bold red]stopped:[/] {result.stopped}. The finished runs are kept in "
                  f"{result.out / 'runs'}; free some space and run the same command again "
                  "to go on.", highlight=False, soft_wrap=True)
    if result.dataset is not None:
        print_summary(out, _load(result.out), str(result.out))
    if result.failed:
        total = len(result.computed) + len(result.reused) + len(result.failed)
        err.print(f"[red]{len(result.failed)} of {total} runs failed[/] (tracebacks in "
                  f"{result.out / 'runs'}/<run-id>.failed.json and summary.csv):")
        for run_id, why in result.failed.items():
            err.print(f"[red]failed[/] {run_id}: {why}")
        raise typer.Exit(code=1)


def _report_suite(suite) -> None:  # noqa: ANN001 - a SuiteResult
    """Print a suite's members, its hypothesis table and its failures; exit 1 on failures."""
    for name, member in suite.members.items():
        err.print(f"{name}: {len(member.computed)} runs computed, {len(member.reused)} reused, "
                  f"{len(member.failed)} failed; results in {member.out}")
    if suite.hypothesis is not None:
        print_hypothesis(out, suite.hypothesis, f"hypothesis over {len(suite.members)} studies")
    if suite.report is not None:
        err.print(f"report: {suite.report} (and its Markdown twin)")
    if suite.failed:
        err.print(f"[red]{len(suite.failed)} runs failed[/]:")
        for run_id, why in suite.failed.items():
            err.print(f"[red]failed[/] {run_id}: {why}")
        raise typer.Exit(code=1)


@app.command()
def hypothesis(
    results: Annotated[list[Path], typer.Argument(help="Results folders analysed together "
                                                  "(a study and its ablation, say).")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder for regions.csv, hypothesis.csv, "
                                  "... and figures (default: print the table only).")
    ] = None,
    tolerance: Annotated[
        float | None, typer.Option("--tolerance", help="Low-complexity tolerance in "
                                   "natural-log units (default: each study's [regions]).")
    ] = None,
) -> None:
    """Test the general grokking hypothesis over several finished studies together.

    Each group's reference complexity is computed over all of them, so an ablation study
    is judged against its full study's reference.
    """
    from bayesgrok.study.errors import StudyError
    from bayesgrok.study.pooled import analyse_results

    if tolerance is not None and not (tolerance >= 0 and tolerance != float("inf")):
        _fail(f"--tolerance = {tolerance}: must be a finite number >= 0")
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        _fail(f"--out = {out_dir}: exists and is not a folder")
    paths = [_resolve_result(r) for r in results]
    try:
        table = analyse_results(paths, out_dir, tolerance=tolerance)
    except StudyError as exc:
        _fail(str(exc))
        return
    print_hypothesis(out, table, f"hypothesis over {len(paths)} result(s)")
    if out_dir is not None:
        err.print(f"written to {out_dir}")


def _resolve_result(result: Path) -> Path:
    if result.is_dir():
        result = result / "study.nc"
    if not result.is_file():
        _fail(f"{result}: no such result (give a results folder or a study.nc file)")
    return result


def _load(result: Path):  # noqa: ANN202 - returns an xarray Dataset
    from bayesgrok import trajectory

    path = _resolve_result(result)
    try:
        return trajectory.read(path, study=True)
    except trajectory.TrajectoryError as exc:
        _fail(str(exc))


@app.command()
def show(
    result: Annotated[Path, typer.Argument(help="A results folder or its study.nc.")],
    fmt: Annotated[str, typer.Option("--format", help="'table' (default), or 'csv' or "
                                     "'json' (one record per run and seed) for scripts.")
                   ] = "table",
) -> None:
    """Show a table of runs and seeds: status, onsets, gap and final accuracies."""
    if fmt not in ("table", "csv", "json"):
        _fail(f"--format = {fmt!r}: choose 'table', 'csv' or 'json'")
    ds = _load(result)
    if fmt == "table":
        print_summary(out, ds, str(result))
        return
    from bayesgrok.console_tables import summary_frame

    frame = summary_frame(ds)
    sys.stdout.write(frame.to_csv(index=False) if fmt == "csv"
                     else frame.to_json(orient="records", indent=1) + "\n")


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="The new study's name (writes NAME.toml).")],
    source: Annotated[
        str | None, typer.Option("--from", help="Start from this study (a path or a shipped "
                                 "study's name) instead of the commented template.")
    ] = None,
    folder: Annotated[Path, typer.Option("--dir", help="Where to write it.")] = Path("."),
) -> None:
    """Write a study file to start from: a commented template, or a copy of a study."""
    from bayesgrok.study.errors import StudyError
    from bayesgrok.study.new_study import new_study

    try:
        written = new_study(name, folder, source)
    except StudyError as exc:
        _fail(str(exc))
        return
    out.print(f"{written} (run it with: bayesgrok run {written})", highlight=False)


@app.command()
def plot(
    result: Annotated[Path, typer.Argument(help="A results folder or its study.nc.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Draw the basic figures (accuracy, error "
                                  "against complexity, terms, probes) into this folder "
                                  "instead of redrawing RESULT/figures.")
    ] = None,
) -> None:
    """Draw a result's figures again: every figure 'run' draws, into RESULT/figures (stale
    ones removed first); with --out, the basic figures into another folder."""
    from bayesgrok.study.errors import StudyError
    from bayesgrok.study.figures import draw_figures
    from bayesgrok.study.redraw import redraw_figures

    path = _resolve_result(result)
    if out_dir is None:
        try:
            written = redraw_figures(path.parent)
        except StudyError as exc:
            _fail(str(exc))
            return
    else:
        ds = _load(result)
        mse = ds.attrs.get("mse_threshold")
        written = draw_figures(ds, out_dir, threshold=float(ds.attrs.get("threshold", 0.95)),
                               mse_threshold=None if mse is None else float(mse))
    for item in written:
        out.print(str(item), highlight=False)


@app.command()
def report(
    result: Annotated[Path, typer.Argument(help="A results folder (the --out of 'run').")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="The report file, ending in .html or .md; its "
                                  "twin goes beside it (default RESULT/report.html and .md).")
    ] = None,
) -> None:
    """Write a result's report: one self-contained HTML page and its Markdown twin."""
    from bayesgrok.report import ReportError, write_report

    try:
        written = write_report(result, out_file)
    except ReportError as exc:
        _fail(str(exc))
        return
    for path in written:
        out.print(str(path), highlight=False)


@app.command("list")
def list_(
) -> None:
    """List the studies and model cards that ship with bayesgrok, one line each."""
    from bayesgrok.study.schema import load_toml, models_dirs, studies_dir

    table = Table(title="studies", show_header=False, box=None)
    for path in sorted(studies_dir().glob("*.toml")):
        table.add_row(path.stem, str(load_toml(path).get("description", "")))
    out.print(table)
    cards = Table(title="model cards", show_header=False, box=None)
    seen = set()
    for folder in models_dirs():
        for path in sorted(folder.glob("*.toml")):
            if path.stem not in seen:
                seen.add(path.stem)
                raw = load_toml(path)
                cards.add_row(path.stem, f"[{raw.get('family', '?')}]",
                              str(raw.get("description", "")))
    out.print(cards)


def main() -> None:  # pragma: no cover - console entry point
    """Entry point for ``python -m bayesgrok.cli``."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
