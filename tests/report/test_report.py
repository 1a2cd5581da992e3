"""The report: one self-contained HTML page and a Markdown twin, from a result's files."""

from __future__ import annotations

import base64
import json
import shutil
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bayesgrok.cli import app
from bayesgrok.report import ReportError, report_paths, write_report
from bayesgrok.report.captions import caption

runner = CliRunner()

STUDY = """
name = "tiny_report"
description = "a tiny linear study for the report tests"
notes = "Two runs: with and without the complexity term."

[task]
name = "linear_sign"

[model]
card = "miller_linear"

[search]
optimizer = "sgd"
optimizer_args = { learning_rate = 1e-3 }
epochs = 100
log = { every = 10 }

[sweep]
seeds = [0, 1]
grid = { "model.complexity_weight" = [1.0, 0.0] }
"""

VOID = {"img", "meta", "br", "wbr", "hr", "link", "input", "source"}


class Page(HTMLParser):
    """Collects tags, images and links, and checks that every element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    assert not page.problems, page.problems[:5]
    assert not page.stack, page.stack
    return page


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """A real result, made by the command line (so that it records its command)."""
    folder = tmp_path_factory.mktemp("made")
    study = folder / "tiny.toml"
    study.write_text(textwrap.dedent(STUDY))
    out = folder / "result"
    argv = ["run", str(study), "--out", str(out)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["/usr/bin/bayesgrok", *argv])
        result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert "report: " in result.output
    return out


@pytest.fixture
def result(made, tmp_path) -> Path:
    """A copy of the made result, for a test to change."""
    return Path(shutil.copytree(made, tmp_path / "result"))


def test_run_records_its_command_and_writes_the_report(made):
    provenance = json.loads((made / "provenance.json").read_text())
    assert provenance["command"].startswith("bayesgrok run ")
    assert provenance["command"].endswith(f"--out {made}")
    assert {"started", "finished", "hostname", "python", "bayesgrok"} <= set(provenance)
    assert provenance["computed"] == 2
    html = (made / "report.html").read_text()
    assert provenance["command"] in html and "reconstructed" not in html
    assert provenance["command"] in (made / "report.md").read_text()


def test_html_is_self_contained_with_every_figure_and_table(result):
    html, md = write_report(result)
    assert (html, md) == (result / "report.html", result / "report.md")
    page = parse(html)
    figures = sorted((result / "figures").glob("*.png"))
    assert len(figures) >= 4
    embedded = {img["alt"]: img["src"] for img in page.images}
    for figure in figures:
        src = embedded[figure.name]
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) == figure.read_bytes()
        assert caption(figure.name) in "".join(page.text)
    csvs = sorted(result.glob("*.csv"))
    assert {"summary.csv", "stages.csv"} <= {p.name for p in csvs}
    assert page.tags.count("table") >= len(csvs)
    text = "".join(page.text)
    for csv in csvs:
        assert csv.name in text
    # nothing outside the page: no scripts, no stylesheets, links only within it
    assert "script" not in page.tags and "link" not in page.tags
    assert all(link.startswith("#") for link in page.links), page.links
    assert "tiny_report" in text and "a tiny linear study for the report tests" in text
    assert "Two runs: with and without the complexity term." in text
    assert "complexity_weight" in text  # the swept value, and the resolved configuration
    assert '"optimizer": "sgd"' in text and page.tags.count("details") >= 2
    assert "seeds grokked" in text and "jax" in text  # at a glance; versions


def test_markdown_twin_lists_every_figure_and_table(result):
    _, md = write_report(result)
    text = md.read_text()
    for figure in (result / "figures").glob("*.png"):
        assert f"](figures/{figure.name})" in text
        assert caption(figure.name) in text
    for csv in result.glob("*.csv"):
        assert f"(`{csv.name}`)" in text
    assert "```json" in text and "seeds grokked" in text
    summary = (result / "summary.csv").read_text().splitlines()[1:]
    assert all(f"| {row.split(',')[0]} | " in text for row in summary)


def test_key_tables_first_verdict_at_a_glance_and_long_tables_folded(result):
    rows = "\n".join(f"run-x,{i},LEHC,{i * 10}" for i in range(70))
    (result / "regions.csv").write_text("run,seed,region,dwell\n" + rows + "\n")
    (result / "hypothesis.csv").write_text(
        "family,claim,n_seeds,holds\nlinear,LEHC first,2,True\nlinear,exit precedes,2,False\n")
    (result / "zzz_extra.csv").write_text("a,b\n1,x|y\n")
    shutil.copy(result / "figures" / "terms.png", result / "figures" / "custom_view.png")
    html, md = write_report(result)
    page = html.read_text()
    words = "".join(parse(html).text)
    at = [page.index(f'id="{name}"') for name in (
        "table-summary", "table-regions", "table-hypothesis", "figures", "table-stages")]
    assert at == sorted(at)
    assert "linear, LEHC first: holds = True" in words
    assert "10 more rows (of 70)" in page  # beyond 60 rows, folded away
    assert "Figure: custom view." in page
    text = md.read_text()
    assert all(f"| run-x | {i} | LEHC |" in text for i in range(70))
    assert "| 1 | x\\|y |" in text
    assert "- **linear, exit precedes**: **holds = False**" in text
    assert text.index("(`regions.csv`)") < text.index("## Figures") < text.index("(`stages.csv`)")


def test_failures_and_reconstructed_command(result):
    (result / "provenance.json").unlink()
    run_id = (result / "summary.csv").read_text().splitlines()[1].split(",")[0]
    (result / "failures.json").write_text(json.dumps({run_id: "ValueError: boom"}))
    (result / "runs" / f"{run_id}.failed.json").write_text(json.dumps(
        {"run_id": run_id, "error": "ValueError: boom",
         "traceback": "Traceback (most recent call last):\nValueError: boom\n"}))
    html, md = write_report(result)
    page = parse(html)
    text = "".join(page.text)
    assert "1 run(s) failed" in text and "Traceback (most recent call last)" in text
    assert "reconstructed: there is no provenance.json" in text
    assert "bayesgrok run " in text
    assert "Traceback (most recent call last)" in md.read_text()


def test_out_file_and_its_twin(result, tmp_path):
    elsewhere = tmp_path / "pages"
    elsewhere.mkdir()
    (result / "report.html").unlink()
    html, md = write_report(result, elsewhere / "tiny.md")
    assert (html, md) == (elsewhere / "tiny.html", elsewhere / "tiny.md")
    assert "](../result/figures/accuracy.png)" in md.read_text()
    assert not (result / "report.html").exists()
    assert report_paths(result, "a.html") == (Path("a.html"), Path("a.md"))


def test_suite_lists_and_links_its_members(result, tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    for name in ("alpha", "beta"):
        shutil.copytree(result, suite / name)
        (suite / name / "report.html").unlink()
    (suite / "hypothesis.csv").write_text("family,verdict\nlinear,supported\n")
    (suite / "suite.json").write_text(json.dumps(
        {"name": "tiny_suite", "description": "two copies", "notes": "for tests",
         "members": ["alpha", "beta", "gamma"]}))
    html, md = write_report(suite)
    page = parse(html)
    assert {"alpha/report.html", "beta/report.html"} <= set(page.links)
    assert (suite / "alpha" / "report.html").is_file() and (suite / "beta" / "report.md").is_file()
    text = "".join(page.text)
    assert "tiny_suite" in text and "two copies" in text and "gamma" in text
    assert "of 8 seeds grokked" in text  # the members' seeds, at a glance
    assert "linear: supported" in text
    assert "a tiny linear study for the report tests" in text  # the members' descriptions
    assert "[alpha](alpha/report.md)" in md.read_text()


def test_cli_report_writes_both(result):
    for name in ("report.html", "report.md"):
        (result / name).unlink()
    done = runner.invoke(app, ["report", str(result)])
    assert done.exit_code == 0, done.output
    assert str(result / "report.html") in done.output and str(result / "report.md") in done.output
    assert (result / "report.html").is_file() and (result / "report.md").is_file()


BAD = {
    "missing folder": (lambda r, t: [str(t / "absent")], "absent: no such folder"),
    "not a results folder": (lambda r, t: [str(r / "figures")], "not a results folder"),
    "out in a missing folder": (lambda r, t: [str(r), "--out", str(t / "no" / "r.html")],
                                "does not exist"),
    "out not html or md": (lambda r, t: [str(r), "--out", str(t / "r.txt")],
                           "must end in .html or .md"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_cli_bad_input_exits_2_and_writes_nothing(case, result, tmp_path):
    for name in ("report.html", "report.md"):
        (result / name).unlink()
    make_args, expected = BAD[case]
    args = make_args(result, tmp_path)
    done = runner.invoke(app, ["report", *args])
    assert done.exit_code == 2, done.output
    assert expected in done.output and "Traceback" not in done.output
    named = args[-1] if "--out" in args else args[0]
    assert named in done.output.replace("\n", "")
    assert not list(result.rglob("report.*")) and not list(tmp_path.glob("r.*"))


def test_report_error_for_unreadable_study(tmp_path):
    (tmp_path / "study.nc").write_bytes(b"not netcdf")
    with pytest.raises(ReportError, match="study.nc"):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()
