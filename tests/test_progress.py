"""The progress display: drawn on a terminal only, at most ten times a second, not for quick runs, cleared
before the report; fed by the evidence reader, the engine and the runner."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from capcheck.app.progress import FIRST_DRAW_AFTER, REDRAW_INTERVAL, Progress, progress_display
from capcheck.app.runner import CheckRequest, run_check


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _progress(clock: Clock, **kwargs: object) -> tuple[Progress, io.StringIO]:
    out = io.StringIO()
    return Progress(out, clock=clock, width=120, **kwargs), out  # type: ignore[arg-type]


def test_nothing_is_drawn_for_a_quick_run() -> None:
    clock = Clock()
    progress, out = _progress(clock)
    progress.files_found(2)
    clock.now += FIRST_DRAW_AFTER - 0.01
    progress.file_loaded(10)
    progress.clear()
    assert out.getvalue() == "" and progress.draws == 0


def test_it_redraws_at_most_ten_times_a_second() -> None:
    clock = Clock()
    progress, out = _progress(clock)
    progress.files_found(1000)
    clock.now += FIRST_DRAW_AFTER
    for _ in range(1000):  # a file a millisecond for one second
        progress.file_loaded(5)
        clock.now += 0.001
    assert 9 <= progress.draws <= 11
    assert out.getvalue().count("\r") == progress.draws
    assert REDRAW_INTERVAL == 0.1


def test_the_line_shows_files_records_rules_and_the_rate() -> None:
    clock = Clock()
    progress, out = _progress(clock, first_draw_after=0.0)
    progress.files_found(3)
    clock.now += 1.0
    progress.file_loaded(1200)
    progress.file_loaded(800)
    assert progress.line(clock.now) == "capcheck: files 2/3 (2,000 records), 2,000 records/s"
    progress.rules_found(79)
    clock.now += 0.5
    progress.rule_done(500)
    progress.rule_done(1)
    assert progress.line(clock.now) == "capcheck: files 2/3 (2,000 records), rules 2/79, 1,002 records/s"
    assert out.getvalue().startswith("\rcapcheck: files 0/3 (0 records), ")
    assert out.getvalue().endswith("\x1b[K")


def test_the_line_fits_the_terminal() -> None:
    progress = Progress(io.StringIO(), clock=Clock(), width=30)
    progress.files_found(3)
    assert len(progress.line(101.0)) == 29


def test_clear_erases_only_what_was_drawn() -> None:
    clock = Clock()
    progress, out = _progress(clock, first_draw_after=0.0)
    progress.clear()
    assert out.getvalue() == ""
    progress.files_found(1)
    progress.clear()
    assert out.getvalue().endswith("\r\x1b[K") and not progress.drawn


def test_the_display_is_none_when_off_and_cleared_on_an_error() -> None:
    with progress_display(False) as off:
        assert off is None
    out = io.StringIO()
    with pytest.raises(RuntimeError), progress_display(True, out) as on:
        assert on is not None
        on.first_draw_after = 0.0
        on.files_found(1)
        raise RuntimeError("the run stopped")
    assert out.getvalue().endswith("\r\x1b[K")


def test_a_check_reports_each_file_and_rule(copy_fixture: Callable[..., Path]) -> None:
    evidence = copy_fixture("evidence/mixed", "evidence")
    progress = Progress(io.StringIO(), first_draw_after=3600.0)  # counts, never draws
    rules = ["COMM-003", "COMM-004", "GOV-002"]
    result = run_check(CheckRequest(paths=[evidence], select=rules, as_of=date(2025, 4, 1)), progress=progress)
    assert (progress.files_total, progress.files) == (3, 3)
    assert progress.records == sum(f.records for f in result.evidence)
    assert (progress.rules_total, progress.rules) == (3, 3)
    assert progress.judged > 0 and progress.draws == 0


def test_check_draws_no_progress_when_standard_error_is_not_a_terminal(run_cli, copy_fixture) -> None:
    evidence = copy_fixture("evidence/mixed", "evidence")
    result = run_cli("check", evidence, "--select", "COMM-004", "--fail-on", "never")
    assert result.exit_code == 0 and "\r" not in result.stderr
    assert run_cli("check", evidence, "--select", "COMM-004", "--fail-on", "never", "--no-progress").exit_code == 0


def test_quiet_turns_the_progress_display_off(run_cli, copy_fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    # --quiet (the text report's summary only) is handed to the settings, where it turns the display off.
    import capcheck.app.settings

    real = capcheck.app.settings.resolve_settings
    seen: list[bool] = []

    def spy(cli: capcheck.app.settings.CliOptions, *args: object, **kwargs: object) -> capcheck.app.settings.Settings:
        settings = real(cli, *args, stderr_isatty=True, **{k: v for k, v in kwargs.items() if k != "stderr_isatty"})
        seen.append(settings.progress.value)
        return settings

    monkeypatch.setattr(capcheck.app.settings, "resolve_settings", spy)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("CAPCHECK_NO_PROGRESS", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    evidence = copy_fixture("evidence/mixed", "evidence")
    for flags in ([], ["--quiet"], ["-q"], ["--no-progress"]):
        result = run_cli("check", evidence, "--select", "COMM-004", "--fail-on", "never", *flags)
        assert result.exit_code == 0, result.stderr
    assert seen == [True, False, False, False]
