"""The study progress display: plain lines where the output is no terminal."""

from __future__ import annotations

import io
from types import SimpleNamespace

from rich.console import Console

from bayesgrok.study.progress import RichReporter


def _reporter(terminal: bool) -> tuple[RichReporter, io.StringIO]:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=terminal, width=100)
    return RichReporter(console), buffer


def test_plain_output_prints_a_line_at_each_tenth_of_a_run() -> None:
    reporter, buffer = _reporter(terminal=False)
    with reporter:
        reporter.start_run(SimpleNamespace(run_id="abc"), total_steps=500)
        for _ in range(100):
            reporter.advance(5)
    lines = [line for line in buffer.getvalue().splitlines() if line.startswith("run abc:")]
    assert [line.split()[2] for line in lines] == [f"{k}/500" for k in range(50, 501, 50)]


def test_plain_output_prints_one_line_for_a_jump_past_several_tenths() -> None:
    reporter, buffer = _reporter(terminal=False)
    with reporter:
        reporter.start_run(SimpleNamespace(run_id="abc"), total_steps=100)
        reporter.advance(35)
        reporter.advance(1)
    lines = [line for line in buffer.getvalue().splitlines() if line.startswith("run abc:")]
    assert [line.split()[2] for line in lines] == ["35/100"]


def test_a_terminal_gets_bars_and_no_plain_lines() -> None:
    reporter, buffer = _reporter(terminal=True)
    with reporter:
        reporter.start_run(SimpleNamespace(run_id="abc"), total_steps=100)
        reporter.advance(100)
    assert "run abc:" not in buffer.getvalue()
