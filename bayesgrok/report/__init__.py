"""bayesgrok.report: one HTML page and a Markdown twin per result folder, from its files.

:func:`write_report` reads a study result (or a suite of them) and writes
``report.html`` (self-contained: figures embedded, no network) and ``report.md``
(figures by relative path). :mod:`~bayesgrok.report.collect` gathers what a report says
into the records of :mod:`~bayesgrok.report.model` (the runs with
:mod:`~bayesgrok.report.runs`), :mod:`~bayesgrok.report.captions` says what each figure
shows, :mod:`~bayesgrok.report.tables` turns CSV files into tables, and
:mod:`~bayesgrok.report.build` renders the Jinja2 templates.
"""

from bayesgrok.report.build import report_paths, write_report
from bayesgrok.report.collect import collect
from bayesgrok.report.model import ReportError

__all__ = ["ReportError", "collect", "report_paths", "write_report"]
