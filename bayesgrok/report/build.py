"""Rendering a result folder's report: one self-contained HTML page and a Markdown twin.

The HTML embeds every figure (``data:image/png;base64``) and its stylesheet, so it needs
no network and no other file; the Markdown shows every table in full and refers to the
figures by their path relative to itself. Both come from the Jinja2 templates in
``bayesgrok/report/templates``.
"""

from __future__ import annotations

import base64
import functools
import os
from pathlib import Path

import jinja2
import xarray as xr

from bayesgrok.report.collect import check_result, collect, is_result
from bayesgrok.report.model import Report, ReportError
from bayesgrok.report.tables import SHOWN_ROWS

#: the tables a report shows before its figures, under "Results"
KEY_TABLES = ("summary.csv", "regions.csv", "regions_sensitivity.csv", "hypothesis.csv",
              "hypothesis_counterexamples.csv")


def report_paths(result_dir: str | os.PathLike[str],
                 out: str | os.PathLike[str] | None = None) -> tuple[Path, Path]:
    """Where the report of ``result_dir`` goes: ``(html, md)``.

    By default ``RESULT/report.html`` and ``RESULT/report.md``; with ``out`` a file ending
    in ``.html``, that file and its ``.md`` twin beside it (and the other way round for a
    file ending in ``.md``).

    Raises
    ------
    ReportError
        If ``out`` does not end in ``.html`` or ``.md``, is a folder, or lies in a folder
        that does not exist.

    Examples
    --------
    >>> [p.as_posix() for p in report_paths("results/quickstart")]
    ['results/quickstart/report.html', 'results/quickstart/report.md']
    >>> [p.name for p in report_paths("results/quickstart", "quickstart.md")]
    ['quickstart.html', 'quickstart.md']
    >>> report_paths("results/quickstart", "quickstart.pdf")
    Traceback (most recent call last):
    ...
    bayesgrok.report.model.ReportError: quickstart.pdf: a report file must end in .html or .md
    """
    if out is None:
        folder = Path(result_dir)
        return folder / "report.html", folder / "report.md"
    out = Path(out)
    if out.is_dir():
        raise ReportError(f"{out}: is a folder; give a report file ending in .html or .md")
    suffix = out.suffix.lower()
    if suffix not in (".html", ".md"):
        raise ReportError(f"{out}: a report file must end in .html or .md")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise ReportError(f"{out}: the folder {parent} does not exist")
    if suffix == ".html":
        return out, out.with_suffix(".md")
    return out.with_suffix(".html"), out


def write_report(
    result_dir: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    dataset: xr.Dataset | None = None,
) -> tuple[Path, Path]:
    """Write the report of a result folder: an HTML page and its Markdown twin.

    The report holds the study's name, description and notes; the command that made the
    result and when (from ``provenance.json``, else reconstructed and marked so); how many
    seeds grokked and any hypothesis verdict; the resolved configuration of each run; every
    CSV file as a table (summary, regions and hypothesis first); every figure of
    ``figures/`` with a caption; library and backend versions; and failures. A suite result
    (member result folders inside) also lists its members and links to their reports,
    which are written first where missing or older than the member's files.

    Parameters
    ----------
    result_dir
        A results folder (the ``--out`` of ``bayesgrok run``), or a suite result.
    out
        The report file, ending in ``.html`` or ``.md`` (its twin goes beside it); default
        ``RESULT/report.html`` and ``RESULT/report.md``.
    dataset
        The folder's ``study.nc`` already read, to save reading it again.

    Returns
    -------
    tuple of Path
        The HTML and the Markdown file, written atomically.

    Raises
    ------
    ReportError
        On bad input (no such folder, not a results folder, an unreadable ``study.nc``, a
        bad ``out``), before anything is written.

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok import trajectory
    >>> folder = Path(tempfile.mkdtemp())
    >>> ds = trajectory.combine({"run-a": trajectory.example()},
    ...                         attrs={"study": "demo", "description": "a demonstration"})
    >>> _ = trajectory.write(ds, folder / "study.nc", study=True)
    >>> html, md = write_report(folder)
    >>> html.name, md.name, "a demonstration" in html.read_text()
    ('report.html', 'report.md', True)
    """
    from bayesgrok.study import store

    folder = check_result(Path(result_dir))
    html_path, md_path = report_paths(folder, out)
    report = collect(folder, dataset=dataset)
    links: dict[str, tuple[str, str] | None] = {}
    for member in report.members:
        links[member.name] = None
        if not is_result(member.folder):
            continue
        try:
            member_html, member_md = report_paths(member.folder)
            if not up_to_date(member.folder):
                write_report(member.folder)
        except ReportError as exc:
            report.warnings.append(f"member {member.name}: no report ({exc})")
            continue
        links[member.name] = (_relative(member_html, html_path.parent),
                              _relative(member_md, md_path.parent))
    store.write_text(html_path, render(report, "report.html", html_path.parent, links))
    store.write_text(md_path, render(report, "report.md", md_path.parent, links))
    return html_path, md_path


def up_to_date(result_dir: str | os.PathLike[str]) -> bool:
    """Whether ``result_dir`` has both report files, newer than every file they are made
    from (``study.nc``, CSV and JSON files, figures).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "summary.csv").write_text("run,seed\\n")
    >>> up_to_date(folder)
    False
    """
    folder = Path(result_dir)
    reports = [folder / "report.html", folder / "report.md"]
    if not all(p.is_file() for p in reports):
        return False
    sources = [*folder.glob("*.csv"), *folder.glob("*.json"), *folder.glob("study.nc"),
               *(folder / "figures").glob("*.png")]
    newest = max((p.stat().st_mtime for p in sources), default=0.0)
    return min(p.stat().st_mtime for p in reports) >= newest


def render(report: Report, template: str, where: Path,
           links: dict[str, tuple[str, str] | None] | None = None) -> str:
    """Render ``report`` with ``template`` (``report.html`` or ``report.md``) for a file in
    the folder ``where`` (paths in it are relative to that folder).

    Examples
    --------
    >>> import tempfile
    >>> from bayesgrok import trajectory
    >>> from bayesgrok.report.collect import collect
    >>> folder = Path(tempfile.mkdtemp())
    >>> ds = trajectory.combine({"run-a": trajectory.example()}, attrs={"study": "demo"})
    >>> _ = trajectory.write(ds, folder / "study.nc", study=True)
    >>> render(collect(folder), "report.md", folder).splitlines()[0]
    '# demo'
    """
    swept = list(dict.fromkeys(name for run in report.runs for name in run.swept))
    return environment().get_template(template).render(
        r=report,
        limit=SHOWN_ROWS,
        swept=swept,
        key_tables=[t for t in report.tables if t.file in KEY_TABLES],
        other_tables=[t for t in report.tables if t.file not in KEY_TABLES],
        has_hypothesis=any(t.file == "hypothesis.csv" for t in report.tables),
        links={m.name: (links or {}).get(m.name) for m in report.members},
        rel=lambda path: _relative(Path(path), where),
    )


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates (HTML autoescaped).

    Examples
    --------
    >>> sorted(environment().list_templates())
    ['report.html', 'report.md', 'style.css']
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bayesgrok.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["data_uri"] = data_uri
    env.filters["md_cell"] = md_cell
    return env


def data_uri(path: str | os.PathLike[str]) -> str:
    """The PNG file ``path`` as a ``data:`` URI, to embed in a page.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "a.png"
    >>> _ = path.write_bytes(b"\\x89PNG")
    >>> data_uri(path)
    'data:image/png;base64,iVBORw=='
    """
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def md_cell(value: object) -> str:
    """``value`` as one Markdown table cell: one line (the last of several, as a
    traceback's error is), with ``|`` escaped.

    Examples
    --------
    >>> md_cell("Traceback ...\\n  File x\\nValueError: a|b\\n")
    'ValueError: a\\\\|b'
    """
    lines = [line.strip() for line in str(value).strip().splitlines() if line.strip()]
    return (lines[-1] if lines else "").replace("|", "\\|")


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), Path(start).resolve())).as_posix()
