"""The CSV files of a result folder as tables of text: titles, order and cell formatting.

Any CSV is shown; the ones the library writes get a title and a line saying what they
hold (:data:`TABLES`, which is also their order in a report), any other a title from its
name, after them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: file name: (title, what it holds), in report order.
TABLES: dict[str, tuple[str, str]] = {
    "summary.csv": (
        "Summary",
        "One row per run and seed: onsets (the first logged step at which training and "
        "validation accuracy, or MSE, cross the threshold), the gap between them (val_onset "
        "- train_onset, in steps), whether each was crossed at all, and final values."),
    "regions.csv": (
        "Regions",
        "Where each seed goes in the error-complexity plane (HEHC, HELC, LEHC, LELC), from "
        "training-side quantities only: dwell in LEHC and the exit to LELC."),
    "regions_sensitivity.csv": (
        "Regions: sensitivity",
        "The regions and the hypothesis test again over a grid of tolerances and fit "
        "thresholds: how much each conclusion depends on the definitions."),
    "hypothesis.csv": (
        "Hypothesis test",
        "Per family or group: does every grokking seed pass LEHC first, does the dwell track "
        "the gap, does the exit precede the validation onset, do ablations stay out of LELC."),
    "hypothesis_counterexamples.csv": (
        "Hypothesis test: counter-examples",
        "The seeds that go against a claim of the hypothesis test."),
    "stages.csv": (
        "Generalisation stages",
        "Each surge of validation accuracy of every run and seed: onset, end and height."),
    "rank_descents.csv": (
        "Feature-rank descents",
        "Each descent of a layer's feature rank: onset, end and size."),
    "stage_rank_alignment.csv": (
        "Stages against rank descents",
        "Each generalisation stage with the rank descent nearest to it."),
    "concealment.csv": (
        "Concealment",
        "The gap of every run and seed (in epochs) against the number of concealing "
        "dimensions."),
    "concealment_fit.csv": (
        "Concealment fit",
        "The fit gap = b exp(a l), pooled and per group."),
    "landscape_summary.csv": (
        "Landscape",
        "Start, end and settling step of every trajectory on the landscape."),
    "timeliness.csv": (
        "Timeliness",
        "Each metric's sharpest change against the validation onset."),
    "metric_onsets.csv": (
        "Metric onsets",
        "The first step at which each metric reaches its level."),
    "prediction.csv": (
        "Prediction",
        "How well each metric's early features predict whether a seed groks."),
}

#: rows a report's HTML shows before folding the rest away (Markdown shows every row)
SHOWN_ROWS = 60


@dataclass
class Table:
    """A CSV file as text: its columns, its formatted rows and what it holds.

    ``problem`` says why the file could not be read (then there are no rows).
    """

    file: str
    title: str
    about: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    numeric: list[bool] = field(default_factory=list)
    problem: str = ""

    @property
    def anchor(self) -> str:
        """An HTML id for the table."""
        return "table-" + self.file.rsplit(".", 1)[0].replace(" ", "-")


def cell(value: object) -> str:
    """One value as table text: integers as integers, other numbers to 4 significant
    digits, missing values as a dash.

    Examples
    --------
    >>> [cell(v) for v in (3.0, 0.000123456, float("nan"), True, "ok", 12345678.0)]
    ['3', '0.0001235', '–', 'True', 'ok', '12345678']
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float | int) and not isinstance(value, bool):
        number = float(value)
        if math.isnan(number):
            return "–"
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return f"{number:.4g}"
    text = str(value)
    return "–" if text == "nan" else text


def read_table(path: Path, *, drop: Iterable[str] = ()) -> Table:
    """Read the CSV file ``path`` as a :class:`Table` (columns in ``drop`` left out).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "stages.csv"
    >>> _ = path.write_text("run,seed,stage_onset\\na,0,12.0\\na,1,\\n")
    >>> table = read_table(path)
    >>> table.title, table.columns, table.numeric
    ('Generalisation stages', ['run', 'seed', 'stage_onset'], [False, True, True])
    >>> table.rows
    [['a', '0', '12'], ['a', '1', '–']]
    """
    path = Path(path)
    title, about = TABLES.get(path.name, (path.stem.replace("_", " ").capitalize(), ""))
    table = Table(file=path.name, title=title, about=about)
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        table.problem = "the file is empty"
        return table
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        table.problem = f"could not be read ({exc})"
        return table
    frame = frame.drop(columns=[c for c in drop if c in frame.columns])
    table.columns = [str(c) for c in frame.columns]
    table.numeric = [pd.api.types.is_numeric_dtype(frame[c])
                     and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns]
    table.rows = [[cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return table


def table_order(names: Iterable[str]) -> list[str]:
    """CSV file names in report order: those of :data:`TABLES` first, then the rest
    alphabetically.

    Examples
    --------
    >>> table_order(["zeta.csv", "stages.csv", "hypothesis.csv", "summary.csv"])
    ['summary.csv', 'hypothesis.csv', 'stages.csv', 'zeta.csv']
    """
    known = list(TABLES)
    return sorted(names, key=lambda n: (known.index(n) if n in known else len(known), n))
