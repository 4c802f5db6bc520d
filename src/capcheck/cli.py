"""The ``capcheck`` command line: parsing and printing only; the work is in :mod:`capcheck.app.runner`.

Exit codes: 0 no failing finding at or above ``--fail-on``; 1 there is one; 2 a usage, input,
config, plugin or output error, or an ``error`` finding (the check is incomplete); 130 and 143
interrupted by SIGINT and SIGTERM. Errors are printed as ``path:line: /pointer: cause``; a
traceback only with ``--debug``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar

import click

from capcheck._version import __version__
from capcheck.core.wording import plural

if TYPE_CHECKING:
    from capcheck.app.config import Config
    from capcheck.app.plugins import PluginInfo
    from capcheck.app.progress import Progress
    from capcheck.app.registry import Registry
    from capcheck.app.runner import CheckRequest
    from capcheck.app.settings import CliOptions, Settings
    from capcheck.core.errors import CapcheckError
    from capcheck.core.models import RunResult
    from capcheck.core.reporting import RenderOptions

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])

#: The most problems printed for one error; the rest are counted.
MAX_PROBLEMS_SHOWN = 50
#: The smallest --markdown-limit: room for the headline and the note that says the report was cut.
MIN_MARKDOWN_LIMIT = 1000
SEVERITY_CHOICES = ["info", "low", "medium", "high", "critical", "never"]


def _print_error(exc: CapcheckError) -> None:
    from capcheck.core.escaping.terminal import terminal

    err = sys.stderr
    problems = exc.problems
    click.echo(f"capcheck: {exc.kind}: {plural(len(problems), 'problem')}", file=err)
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        # Problems quote file names and values from evidence: shown, never obeyed by the terminal.
        click.echo(f"  {terminal(problem)}", file=err)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        click.echo(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more", file=err)


#: Where a command keeps its result's exit code (click's context meta) before writing its output, so that a
#: reader going away mid-output (:func:`handle_errors`) still exits with it.
_RESULT_CODE = "capcheck.result_code"


def _result_code(code: int) -> None:
    click.get_current_context().meta[_RESULT_CODE] = code


def handle_errors(func: F) -> F:
    """Turn capcheck errors into messages and exit 2; other exceptions too, unless ``--debug``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from capcheck.core.errors import CapcheckError

        debug = kwargs.get("debug", False) or bool(os.environ.get("CAPCHECK_DEBUG"))
        try:
            return func(*args, **kwargs)
        except CapcheckError as exc:
            if debug:
                raise
            _print_error(exc)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            # Without the console script's handlers (see capcheck.core.process): still an interrupt, not a result.
            with contextlib.suppress(OSError):
                click.echo("capcheck: interrupted by SIGINT: nothing more was written", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # The reader went away (`capcheck rules list | head`): stop quietly, as other tools do, but with
            # the result's code once there is one (`capcheck check | head` must not turn failures into 0).
            with contextlib.suppress(OSError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            ctx = click.get_current_context(silent=True)
            sys.exit(ctx.meta.get(_RESULT_CODE, 0) if ctx is not None else 0)
        except Exception as exc:
            if debug:
                raise
            from capcheck.core.escaping.terminal import terminal

            click.echo(
                f"capcheck: internal error: {type(exc).__name__}: {terminal(exc)}\n"
                "  (run again with --debug for the traceback, and please report it)",
                err=True,
            )
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def debug_option(func: F) -> F:
    """``--debug``: show tracebacks and put them in error findings."""
    return click.option("--debug", is_flag=True, help="Show tracebacks instead of short messages.")(func)


def _no_config_plugins(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    ctx.meta[_NO_CONFIG_PLUGINS] = value


_NO_CONFIG_PLUGINS = "capcheck.no_config_plugins"


def _markdown_limit(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    if value is not None and 0 < value < MIN_MARKDOWN_LIMIT:
        raise click.BadParameter(f"0 (no limit) or at least {MIN_MARKDOWN_LIMIT}, not {value}")
    return value


def markdown_limit_option(func: F) -> F:
    """``--markdown-limit CHARS``: the longest Markdown output (a PR comment), 0 for no limit."""
    return click.option(
        "--markdown-limit",
        type=click.IntRange(min=0),
        metavar="CHARS",
        callback=_markdown_limit,
        help="Longest Markdown output in characters, lists cut to fit (default 65000: under GitHub's "
        f"65,536-character comment limit; 0 for no limit; at least {MIN_MARKDOWN_LIMIT}).",
    )(func)


def _sarif_category(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and (not value.strip("/ ") or any(ord(c) < 32 or ord(c) == 127 for c in value)):
        raise click.BadParameter(f"a name such as 'capcheck/production', not {value!r}")
    return value


def sarif_options(func: F) -> F:
    """``--sarif-max-results N`` and ``--sarif-category NAME`` for the SARIF report, and
    ``--oscal-max-observations N`` for the OSCAL one (the other capped archival format)."""
    func = click.option(
        "--oscal-max-observations",
        type=click.IntRange(min=0),
        metavar="N",
        help="Most OSCAL observations per rule, failures first (default 1000; every rule's finding counts all "
        "of its records; 0 for no limit).",
    )(func)
    func = click.option(
        "--sarif-category",
        metavar="NAME",
        callback=_sarif_category,
        help="SARIF automationDetails.id category: GitHub replaces the analysis with the same category "
        "(default: capcheck/ and a hash of the PATH arguments).",
    )(func)
    return click.option(
        "--sarif-max-results",
        type=click.IntRange(min=0, max=25000),  # GitHub rejects a run of more than 25,000 results
        metavar="N",
        help="Most SARIF results, the most severe kept (default 5000: GitHub keeps 5,000 per run and rejects "
        "more than 25,000; 0 for no limit).",
    )(func)


_DISPLAY = "capcheck.display"


def _display(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Collect the text report's display flags in the context (they change what is shown, nothing else)."""
    from capcheck.builtins.reporters.text import parse_show

    if param.name == "show":
        if not value:
            return
        try:
            value = parse_show(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    elif param.name == "min_severity":
        if value is None:
            return
        from capcheck.core.models import Severity

        value = Severity(value.lower())
    elif value is None or value is False:
        return
    ctx.meta.setdefault(_DISPLAY, {})[param.name] = value


def display_options(func: F) -> F:
    """``--quiet``, ``--compact``, ``--show``, ``--min-severity``, ``--limit``: what the text report shows."""
    options = [
        click.option(
            "--quiet",
            "-q",
            "quiet",
            is_flag=True,
            expose_value=False,
            callback=_display,
            help="Text: print the summary only (over --compact).",
        ),
        click.option(
            "--compact",
            "compact",
            is_flag=True,
            expose_value=False,
            callback=_display,
            help="Text: one line per finding (path:line: RULE severity record: message).",
        ),
        click.option(
            "--show",
            "show",
            multiple=True,
            metavar="LIST",
            expose_value=False,
            callback=_display,
            help="Text: list these, comma-separated: fail, error, skip, waived, baselined, pass, criteria "
            "(default fail,error,skip; pass with --include-passed). Never changes the exit code or other formats.",
        ),
        click.option(
            "--min-severity",
            "min_severity",
            type=click.Choice(SEVERITY_CHOICES[:-1], case_sensitive=False),
            expose_value=False,
            callback=_display,
            help="Text: list findings of this severity or higher only (errors always). Never changes the exit code.",
        ),
        click.option(
            "--limit",
            "limit",
            type=click.IntRange(min=0),
            metavar="N",
            expose_value=False,
            callback=_display,
            help="Text: detail the N most severe failing rules, 3 records each (default 7); 0 lists every rule "
            "and record.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _color(to_terminal: bool) -> bool:
    """Colour for standard output: on a terminal, or forced by FORCE_COLOR; never with NO_COLOR or TERM=dumb."""
    if not to_terminal or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def config_option(func: F) -> F:
    """``--config FILE`` and ``--no-config-plugins``."""
    func = click.option(
        "--no-config-plugins",
        is_flag=True,
        expose_value=False,
        callback=_no_config_plugins,
        help="Refuse to run plugins the config file names (for checkouts you do not trust); "
        "also CAPCHECK_NO_CONFIG_PLUGINS=1. See docs/security.md.",
    )(func)
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Config file (default: capcheck.toml or pyproject.toml found upwards).",
    )(func)


def rules_plugins_options(func: F) -> F:
    """``--rules DIR`` and ``--plugin MOD``."""
    func = click.option(
        "--plugin",
        "plugins",
        multiple=True,
        metavar="MOD",
        help="Load a local plugin module (my_rules or ./my_rules.py). Repeatable.",
    )(func)
    return click.option(
        "--rules",
        "rule_paths",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="DIR",
        help="Add declarative rule files or directories. Repeatable.",
    )(func)


def _load_config(config_path: Path | None) -> Config:
    from capcheck.app.config import find_config, load_config

    return load_config(config_path if config_path is not None else find_config())


def _settings(config_path: Path | None, options: CliOptions) -> Settings:
    """The effective settings: the config file (named, or found upwards), the environment and ``options``."""
    from capcheck.app.config import ConfigSearch, load_config, search_config
    from capcheck.app.settings import resolve_settings

    search = ConfigSearch(config_path, named=True) if config_path is not None else search_config()
    config = load_config(search.found)
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get(_NO_CONFIG_PLUGINS):
        options = dataclasses.replace(options, no_config_plugins=True)
    if ctx is not None and ctx.meta.get(_DISPLAY, {}).get("quiet"):  # --quiet: the summary only, no progress
        options = dataclasses.replace(options, quiet=True)
    if ctx is not None:  # --show, --limit, --compact, --min-severity: merged with the config's [display] there
        display = ctx.meta.get(_DISPLAY, {})
        options = dataclasses.replace(
            options,
            show=display.get("show"),
            limit=display.get("limit"),
            compact=bool(display.get("compact")),
            min_severity=display.get("min_severity"),
        )
    if ctx is not None and ctx.find_root().params.get("no_plugin_autoload"):
        options = dataclasses.replace(options, no_plugin_autoload=True)
    return resolve_settings(options, config, search, stderr_isatty=sys.stderr.isatty)


def _registry(
    config: Config, rule_paths: tuple[Path, ...] = (), plugins: tuple[str, ...] = (), *, announce: bool = False
) -> Registry:
    """The registry for a command; ``announce``: say on stderr which code beyond capcheck's own runs."""
    from capcheck.app.runner import load_registry

    ctx = click.get_current_context(silent=True)
    refuse = bool(ctx is not None and ctx.meta.get(_NO_CONFIG_PLUGINS))
    registry = load_registry(config, rule_paths, plugins, config_plugins=False if refuse else None)
    _started()
    if announce:
        from capcheck.core.escaping.terminal import terminal

        for info in registry.plugins:
            if info.origin != "builtin":
                # A config file in an untrusted checkout names these paths: shown, never obeyed by the terminal.
                click.echo(f"capcheck: loaded {terminal(_plugin_origin(info))}", err=True)
        _warn_namespaces(registry)
    return registry


def _started() -> None:
    """Start-up is over (the registry is built): resume the collector if :func:`main` paused it, first
    freezing what start-up made (modules, classes, the registry: it lives to the end) out of its way."""
    global _GC_PAUSED
    if _GC_PAUSED:
        _GC_PAUSED = False
        gc.freeze()
        gc.enable()


def _warn_namespaces(registry: Registry) -> None:
    """One line on stderr per third-party plugin whose rule or kind ids have no namespace."""
    from capcheck.app.registry import namespace_warnings
    from capcheck.core.escaping.terminal import terminal

    for message in namespace_warnings(registry):  # plugin names and ids are the plugin's: shown, never obeyed
        click.echo(f"capcheck: warning: {terminal(message)}", err=True)


def _plugin_origin(info: PluginInfo) -> str:
    """Where a plugin's code came from and who asked for it, for people deciding whether to trust it."""
    from capcheck.app.plugins import is_plugin_path
    from capcheck.core.models import display_path

    if info.origin == "entry point":
        dist = f" of {info.distribution} {info.version}" if info.distribution else ""
        return f"plugin {info.name!r}: entry point {info.location}{dist} (installed)"
    what = "file" if is_plugin_path(info.name) else "module"
    where = display_path(Path(info.location)) if info.location else "?"
    return f"plugin {info.name!r}: {what} {where}, named by {info.named_by}"


def _usage(message: str) -> NoReturn:
    from capcheck.core.errors import UsageError

    raise UsageError(message)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="capcheck", message="%(prog)s %(version)s")
@click.option(
    "--no-plugin-autoload",
    is_flag=True,
    help="Load no installed plugin through its entry point, for any command (also "
    "CAPCHECK_DISABLE_PLUGIN_AUTOLOAD=1); plugins named with --plugin or by the config still load.",
)
@click.pass_context
def cli(ctx: click.Context, no_plugin_autoload: bool) -> None:
    """capcheck: capability assurance as code.

    Runs capability rules over an organisation's registers (supplier contracts, IT assets,
    governance registers ...) and reports pass/fail findings with a severity.
    """
    if no_plugin_autoload:
        from capcheck.app.plugins import no_autoload

        ctx.with_resource(no_autoload())  # until the command has finished


class _EvidencePath(click.Path):
    """An evidence PATH: never empty (``capcheck check "$EVIDENCE"`` with the variable unset checked ``.``)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "":
            self.fail("an empty PATH (an unset variable?); name a file or directory ('.' for this one)", param, ctx)
        return super().convert(value, param, ctx)


def selection_options(func: F) -> F:
    """The options that say what to check, shared by ``check`` and ``baseline create``."""
    for option in reversed(
        [
            click.argument("paths", nargs=-1, type=_EvidencePath(path_type=Path)),
            rules_plugins_options,
            config_option,
            click.option(
                "--select", multiple=True, metavar="X", help="Run only these rule ids, prefixes, areas or tags."
            ),
            click.option("--ignore", multiple=True, metavar="X", help="Skip these rule ids, prefixes, areas or tags."),
            click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Judge dates as of this day (default: today)."),
            click.option(
                "--waivers",
                "waivers_path",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Governed waivers file (YAML or TOML; default: the config's 'waivers').",
            ),
        ]
    ):
        func = option(func)
    return func


#: The formats capcheck's own reporters write; plugins may add more (``capcheck plugins``).
BUILTIN_FORMATS = (
    "text",
    "json",
    "sarif",
    "junit",
    "markdown",
    "csv",
    "html",
    "github",
    "azure-devops",
    "gitlab",
    "oscal",
)
_INTERRUPTED = "130 interrupted by SIGINT (Ctrl-C); 143 by SIGTERM (a CI job cancelled)."

CHECK_EPILOG = f"""\b
Formats (--format, --report; any case): {", ".join(BUILTIN_FORMATS)}
and any a plugin adds (see 'capcheck plugins').

\b
Exit codes:
  0 no failing finding at or above --fail-on;
  1 there is one, or an area is below its --min-level;
  2 a usage, input, config, plugin or output error, or a rule error (the check is incomplete);
  {_INTERRUPTED}

\b
Examples:
  capcheck check evidence/ --fail-on high
  capcheck check evidence/ -f sarif -o capcheck.sarif --report markdown=summary.md
"""

DIFF_EPILOG = f"""\b
Formats (--format; any case): text, json, markdown.

\b
Exit codes:
  0 NEW has no failure that OLD did not have;
  1 it has one;
  2 a usage or input error (OLD or NEW is not a findings document);
  {_INTERRUPTED}

\b
Examples:
  capcheck diff main.json branch.json
  capcheck diff main.json branch.json -f markdown > comment.md
"""

BASELINE_CREATE_EPILOG = f"""\b
Formats: the baseline is JSON (see docs/ci.md); 'capcheck check --baseline FILE' then
reports in {", ".join(BUILTIN_FORMATS)}, or a plugin's format.

\b
Exit codes:
  0 the baseline was written;
  2 a usage, input, config, plugin or output error, or a rule error (no baseline written);
  {_INTERRUPTED}

\b
Examples:
  capcheck baseline create evidence/
  capcheck baseline create evidence/ --select COMM -o comm-baseline.json
"""


def output_options(func: F) -> F:
    """``--format``, ``--output`` and ``--report``: what ``check`` writes."""
    for option in reversed(
        [
            click.option(
                "--format",
                "-f",
                "fmt",
                metavar="NAME",
                help=f"Output format, any case: {', '.join(BUILTIN_FORMATS)} (default text), or a plugin's.",
            ),
            click.option(
                "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the output here."
            ),
            click.option(
                "--report",
                "reports",
                multiple=True,
                metavar="FORMAT=PATH",
                help="Also write a report in FORMAT to PATH (atomically). Repeatable.",
            ),
        ]
    ):
        func = option(func)
    return func


def no_progress_option(func: F) -> F:
    """``--no-progress``: no progress display on standard error."""
    return click.option(
        "--no-progress",
        is_flag=True,
        help="No progress display on standard error (shown only on a terminal; also CAPCHECK_NO_PROGRESS=1, "
        "CI or TERM=dumb).",
    )(func)


class _Jobs(click.ParamType):  # type: ignore[type-arg]  # generic only in click's stubs, not at run time
    """``--jobs``: a whole number of processes, at least 1, or ``auto``."""

    name = "jobs"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | str | None:
        from capcheck.app.settings import parse_jobs

        if isinstance(value, int):
            return value
        try:
            jobs = parse_jobs(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return "auto" if jobs is None else jobs  # "auto" as given: it wins over CAPCHECK_JOBS


def run_options(func: F) -> F:
    """The options that say how a check judges, shared by ``check`` and ``config show``."""
    for option in reversed(
        [
            click.option(
                "--fail-on",
                type=click.Choice(SEVERITY_CHOICES, case_sensitive=False),
                help="Exit 1 on a failure of this severity or higher (default: low; 'never' to only report).",
            ),
            click.option("--include-passed", is_flag=True, default=None, help="List passing findings too."),
            click.option(
                "--min-level",
                "min_levels",
                multiple=True,
                metavar="[AREA=]N",
                help="Scorecard gate: exit 1 when an area's maturity level is below N (all areas, or AREA=N). "
                "Repeatable.",
            ),
            click.option(
                "--baseline",
                "baseline_path",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Report failures already in this baseline as 'baselined'; only new failures fail the run.",
            ),
            click.option("--no-baseline", is_flag=True, help="Ignore the baseline the config names."),
            no_progress_option,
            click.option(
                "--jobs",
                type=_Jobs(),
                metavar="N|auto",
                help="Processes to load and judge the evidence in (also CAPCHECK_JOBS). Default auto: the usable "
                "cores, for 8 MiB of evidence or more (256 KiB a file on average) whose registers the rules read "
                "apart, while the load average leaves a core free (docs/performance.md). The findings are the same "
                "whatever N.",
            ),
        ]
    ):
        func = option(func)
    return func


def _cli_options(
    paths: tuple[Path, ...],
    rule_paths: tuple[Path, ...],
    plugins: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    as_of: str | None,
    waivers_path: Path | None,
    debug: bool,
    fmt: str | None = None,
    output: Path | None = None,
    reports: tuple[str, ...] = (),
    fail_on: str | None = None,
    include_passed: bool | None = None,
    min_levels: tuple[str, ...] = (),
    baseline_path: Path | None = None,
    no_baseline: bool = False,
    no_progress: bool = False,
    jobs: int | Literal["auto"] | None = None,
) -> CliOptions:
    """The parsed options of ``check`` (and the commands sharing them), handed to :mod:`capcheck.app.settings`."""
    from capcheck.app.settings import CliOptions

    return CliOptions(
        paths=paths,
        rule_paths=rule_paths,
        plugins=plugins,
        select=select,
        ignore=ignore,
        as_of=as_of,
        waivers=waivers_path,
        format=fmt,
        output=output,
        reports=reports,
        fail_on=fail_on,
        include_passed=include_passed,
        min_levels=min_levels,
        baseline=baseline_path,
        no_baseline=no_baseline,
        debug=debug,
        no_progress=no_progress,
        jobs=jobs,
    )


def _say_notes(settings: Settings) -> None:
    from capcheck.core.escaping.terminal import terminal

    for note in settings.notes:
        click.echo(f"capcheck: note: {terminal(note)}", err=True)


@cli.command(epilog=CHECK_EPILOG)
@selection_options
@output_options
@run_options
@display_options
@markdown_limit_option
@sarif_options
@debug_option
@handle_errors
def check(
    paths: tuple[Path, ...],
    rule_paths: tuple[Path, ...],
    plugins: tuple[str, ...],
    config_path: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    as_of: str | None,
    waivers_path: Path | None,
    markdown_limit: int | None,
    sarif_max_results: int | None,
    sarif_category: str | None,
    oscal_max_observations: int | None,
    debug: bool,
    **options: Any,
) -> None:
    """Check evidence files or directories (PATH...) against the rules."""
    from capcheck.app.outputs import (
        inputs_of,
        refuse_outputs_read_as_evidence,
        refuse_overwriting_inputs,
        refuse_stdout_read_as_evidence,
    )
    from capcheck.app.progress import progress_display
    from capcheck.app.settings import check_usage, format_name
    from capcheck.core.errors import CapcheckError, OutputError, Problem
    from capcheck.core.process import STDOUT

    settings = _settings(
        config_path, _cli_options(paths, rule_paths, plugins, select, ignore, as_of, waivers_path, debug, **options)
    )
    settings.require_paths()
    _say_notes(settings)
    registry = _registry(settings.config, rule_paths, plugins, announce=True)
    # Every usage error that needs no evidence is found here, before any evidence file is opened.
    check_usage(registry, settings)
    fmt = format_name(registry, settings.format.value) or settings.format.value
    targets = [(format_name(registry, r.value[0]) or r.value[0], r.value[1]) for r in settings.reports]
    output = settings.output.value
    outputs = ([("--output", output)] if output is not None else []) + [(f"--report {n}", p) for n, p in targets]
    request = settings.request()
    if sarif_max_results != 0 and "sarif" in request.formats:
        # A capped SARIF log keeps the most severe of all rules' results: none made apart, and the rows read here.
        request = dataclasses.replace(request, formats=tuple(f for f in request.formats if f != "sarif"))
    else:  # every output is one of the formats (the job summary is github's): only they read the findings
        request = dataclasses.replace(request, reports_only=True)
    # Before the run, what is known: the named files; after it, every evidence file read as well.
    known = [*request.paths, *(p for p in (request.waivers, request.baseline) if p is not None)]
    refuse_overwriting_inputs(outputs, inputs_of(registry, settings.config, known))
    refuse_outputs_read_as_evidence(outputs, registry, list(request.paths))
    refuse_stdout_read_as_evidence(registry, list(request.paths))
    with progress_display(settings.progress.value) as progress:
        result = _run_to_the_end(request, registry, progress)
    evidence = [Path(f.path) for f in result.evidence]
    refuse_overwriting_inputs(outputs, inputs_of(registry, settings.config, [*known, *evidence]))
    _result_code(result.exit_code)
    sarif: dict[str, Any] = {"sarif_category": sarif_category or _sarif_default(request.paths)}
    if sarif_max_results is not None:
        sarif["sarif_max_results"] = sarif_max_results
    if oscal_max_observations is not None:
        sarif["oscal_max_observations"] = oscal_max_observations
    # Every output is written, each whole or not at all, even when another fails: one failing reporter or
    # unwritable path must not cost the others. Files first, so that standard output, last, is written
    # knowing the exit code; the failures are named after it, and the run exits 2 (docs/ci.md).
    failed: list[Problem] = []
    tried: list[str] = []
    unwritten: list[str] = []
    files = [(f"--report {name}", name, path) for name, path in targets]
    if output is not None:
        files.insert(0, ("--output", fmt, output))
    step_summary = False
    if "github" in (fmt, *(name for name, _ in targets)):
        from capcheck.builtins.reporters.github import STEP_SUMMARY, append_step_summary

        step_summary = bool(os.environ.get(STEP_SUMMARY))
    alone = len(files) + (output is None) + step_summary == 1

    def attempt(option: str, path: Path | None, write: Callable[[], object]) -> None:
        tried.append(option)
        try:
            write()
        except CapcheckError as exc:
            if alone:  # the one output: its failure is the run's error, as it stands
                raise
            unwritten.append(option)
            named = path.as_posix() if path is not None else STDOUT
            label = f"{option}: " if option.startswith("-") else ""  # the job summary's file says what it is
            failed.extend(Problem(f"{label}{p.message}", path=p.path or named) for p in exc.problems)

    for option, name, path in files:
        attempt(option, path, functools.partial(_emit, registry, result, name, path, markdown_limit, sarif, settings))
    if step_summary:
        summary = _render_options(output, markdown_limit, {**sarif, "unwritten": tuple(unwritten)}, settings)
        attempt("the job summary", None, functools.partial(append_step_summary, result, summary))
    code = 2 if failed else result.exit_code
    _result_code(code)
    try:
        if output is None:  # written last: its verdict line gives the exit 2 of outputs not written
            last = {**sarif, "unwritten": tuple(unwritten)} if unwritten else sarif
            emit = functools.partial(_emit, registry, result, fmt, None, markdown_limit, last, settings)
            attempt(f"--format {fmt}", None, emit)
        elif sys.__stdout__ is not None and not failed:
            # The report went to a file: still say how the run went, unless standard output was closed
            # (`>&-`): a courtesy line is not worth failing a run whose report was written (docs/ci.md).
            from capcheck.builtins.reporters.text import render_summary_line

            color = _color(True)
            click.echo(render_summary_line(result, color), nl=False, color=color or None)
    finally:  # also when the reader of standard output has gone: the failed files are still named
        if failed:
            _print_error(OutputError(failed))
            said = f", not the checks' exit {result.exit_code}" if result.exit_code != 2 else ""
            click.echo(
                f"capcheck: INCOMPLETE - {plural(len(unwritten), 'output')} of {len(tried)} not written "
                f"(the others were written whole): exit 2{said}",
                err=True,
            )
    _finish(code)


def _sarif_default(paths: Sequence[Path]) -> str:
    """``capcheck/`` and a short hash of the PATH arguments: stable between runs over the same paths,
    distinct for runs over different ones (GitHub keeps one analysis per category)."""
    import hashlib

    from capcheck.core.models import display_path

    named = "\0".join(sorted(display_path(p) for p in paths))
    return f"capcheck/{hashlib.sha256(named.encode('utf-8', 'surrogateescape')).hexdigest()[:12]}/"


@cli.group()
def baseline() -> None:
    """Record today's failures so that only new ones fail the build."""


@baseline.command("create", epilog=BASELINE_CREATE_EPILOG)
@selection_options
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".capcheck-baseline.json"),
    show_default=True,
    help="The baseline file to write (atomically).",
)
@no_progress_option
@debug_option
@handle_errors
def baseline_create(
    paths: tuple[Path, ...],
    rule_paths: tuple[Path, ...],
    plugins: tuple[str, ...],
    config_path: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    as_of: str | None,
    waivers_path: Path | None,
    output: Path,
    no_progress: bool,
    debug: bool,
) -> None:
    """Check PATH... and write every failure's fingerprint to a baseline file."""
    import json

    from capcheck.app.outputs import inputs_of, refuse_outputs_read_as_evidence, refuse_overwriting_inputs, write_file
    from capcheck.app.progress import progress_display
    from capcheck.app.settings import check_usage
    from capcheck.assessment.baseline import baseline_document

    # No baseline is applied while one is made, and any failure is recorded (nothing is gated).
    cli_options = _cli_options(
        paths,
        rule_paths,
        plugins,
        select,
        ignore,
        as_of,
        waivers_path,
        debug,
        no_baseline=True,
        no_progress=no_progress,
    )
    settings = _settings(config_path, dataclasses.replace(cli_options, fail_on="never"))
    settings.require_paths()
    config = settings.config
    registry = _registry(config, rule_paths, plugins, announce=True)
    check_usage(registry, settings)
    request = settings.request()
    with progress_display(settings.progress.value) as progress:
        result = _run_to_the_end(request, registry, progress)
    if result.exit_code == 2:
        # Worded from the error finding: a rule that raised, or one whose outcomes the engine refused (two for
        # one record, an undeclared kind, wrong types), which no --debug traceback would explain.
        from capcheck.core.models import Status

        errors = [f for f in result.findings if f.status is Status.ERROR]
        more = f" (and {plural(len(errors) - 1, 'more error finding')})" if len(errors) > 1 else ""
        _usage(
            f"a rule gave an error finding: {errors[0].rule_id}: {errors[0].message.splitlines()[0]}{more}; "
            "the check is incomplete: no baseline written"
        )
    # The baseline file itself is what this command rewrites; every other input is protected.
    read = [Path(f.path) for f in result.evidence] + ([request.waivers] if request.waivers else [])
    refuse_overwriting_inputs([("--output", output)], inputs_of(registry, config, read))
    refuse_outputs_read_as_evidence([("--output", output)], registry, list(request.paths))
    doc = baseline_document(result)
    write_file(output, json.dumps(doc, indent=2) + "\n")
    click.echo(f"baseline: {plural(len(doc['findings']), 'failure')} recorded in {output}")


@cli.group()
def config() -> None:
    """Show the configuration in force."""


@config.command("show")
@selection_options
@run_options
@display_options
@click.option(
    "--format",
    "-f",
    "show_format",
    type=click.Choice(["text", "json"], case_sensitive=False),
    default="text",
    show_default=True,
    help="How to print the settings.",
)
@debug_option
@handle_errors
def config_show(
    paths: tuple[Path, ...],
    rule_paths: tuple[Path, ...],
    plugins: tuple[str, ...],
    config_path: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    as_of: str | None,
    waivers_path: Path | None,
    show_format: str,
    debug: bool,
    **options: Any,
) -> None:
    """Print the settings 'capcheck check' would use with these options, and where each comes from.

    Takes check's options (so that their effect is shown too); reads no evidence.
    """
    import json

    from capcheck.app.settings import check_usage
    from capcheck.core.escaping.terminal import terminal
    from capcheck.core.rules import select_rules

    settings = _settings(
        config_path, _cli_options(paths, rule_paths, plugins, select, ignore, as_of, waivers_path, debug, **options)
    )
    config = settings.config
    # Looking at an untrusted checkout's settings must not run its code: with config plugins refused,
    # they are listed (as named) but not loaded, where check would stop.
    unloaded = list(config.plugins) if not settings.config_plugins.value else []
    registry = _registry(config.model_copy(update={"plugins": []}) if unloaded else config, rule_paths, plugins)
    check_usage(registry, settings)
    request = settings.request()
    chosen = [r.meta.id for r in select_rules(registry.rules, request.select, request.ignore)]
    found = settings.search.found
    loaded = [
        {"name": i.name, "origin": i.origin, "from": _plugin_origin(i) if i.origin != "builtin" else "capcheck"}
        for i in registry.plugins
    ]
    if show_format == "json":
        doc = {
            "config_file": {
                "path": None if found is None else _shown_path(found),
                "how": settings.search.explanation,
            },
            "settings": {name: {"value": value, "origin": origin} for name, value, origin in settings.rows()},
            "plugins": loaded,
            "rules": {"selected": chosen, "available": len(registry.rules)},
            "notes": list(settings.notes),
            "config_plugins_not_loaded": unloaded,
        }
        click.echo(json.dumps(doc, indent=2))
        return
    lines = [f"config file: {_shown_path(found) if found else 'none'} ({settings.search.explanation})", ""]
    rows = settings.rows()
    width = max(len(name) for name, _, _ in rows)
    for name, value, origin in rows:
        lines.append(f"{name:<{width}}  {json.dumps(value, ensure_ascii=False)}  [{origin}]")
    builtin = sum(1 for i in registry.plugins if i.origin == "builtin")
    lines += ["", f"plugins: {builtin} built in"]
    lines += [f"  {p['from']}" for p in loaded if p["origin"] != "builtin"]
    if unloaded:
        why = str(settings.config_plugins.origin)
        lines.append(f"  not loaded ({why}; check would stop): {', '.join(unloaded)}")
    lines.append(f"rules selected: {len(chosen)} of {len(registry.rules)}")
    lines += [f"note: {note}" for note in settings.notes]
    # Values and paths come from the config file and the command line: shown, never obeyed by the terminal.
    click.echo("\n".join(terminal(line) for line in lines))


def _shown_path(path: Path) -> str:
    from capcheck.core.models import display_path

    return display_path(path)


@cli.command(epilog=DIFF_EPILOG)
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["text", "json", "markdown"], case_sensitive=False),
    default="text",
    show_default=True,
)
@markdown_limit_option
@debug_option
@handle_errors
def diff(old: Path, new: Path, fmt: str, markdown_limit: int | None, debug: bool) -> None:
    """Compare two JSON findings documents: new, fixed, persisting, changed-severity, newly waived.

    Exits 1 when NEW has failures OLD did not.
    """
    from capcheck.app.diff import diff_documents, load_findings_document, render_diff
    from capcheck.core.escaping.markdown import DEFAULT_LIMIT

    result = diff_documents(load_findings_document(old), load_findings_document(new))
    _result_code(1 if result["counts"]["new"] else 0)
    click.echo(render_diff(result, fmt, DEFAULT_LIMIT if markdown_limit is None else markdown_limit), nl=False)
    sys.exit(1 if result["counts"]["new"] else 0)


def _emit(
    registry: Registry,
    result: RunResult,
    fmt: str,
    output: Path | None,
    markdown_limit: int | None = None,
    sarif: Mapping[str, Any] | None = None,
    settings: Settings | None = None,
) -> None:
    from capcheck.app.outputs import write_file

    options = _render_options(output, markdown_limit, sarif, settings)
    write = registry.reporters[fmt].write
    # A terminal gets click's echo as before (the Windows console takes text, not UTF-8 bytes); pipes get bytes.
    binary = getattr(sys.stdout, "buffer", None) if output is None and not sys.stdout.isatty() else None
    if write is not None and (output is not None or binary is not None):  # streamed: never held whole
        if output is None:
            sys.stdout.flush()
            _write(registry, fmt, write, result, options, binary)
            sys.stdout.flush()  # a failure belongs to this output, not to the exit
            return
        write_file(output, lambda stream: _write(registry, fmt, write, result, options, stream))
        return
    text = _render(registry, result, fmt, options)
    if output is None:
        click.echo(text, nl=False, color=options.color or None)  # click would strip forced colour
        sys.stdout.flush()  # a failure belongs to this output, not to the exit
        return
    write_file(output, text)


def _write(
    registry: Registry, fmt: str, write: Callable[..., None], result: RunResult, options: Any, stream: Any
) -> None:
    """Stream with the reporter plugin for ``fmt``; a reporter that raises is the plugin's error, named
    (a failing write is the output's own error: an ``OSError``, or the checked stdout's ``OutputError``)."""
    from capcheck.core.errors import CapcheckError, PluginError, Problem

    try:
        write(result, options, stream)
    except (OSError, CapcheckError):
        raise
    except (Exception, SystemExit) as exc:  # sys.exit in a reporter is its error, not the result
        owner = registry.owners.get(("reporter", fmt), "?")
        raise PluginError(Problem(f"reporter {fmt!r} (plugin {owner!r}) failed: {type(exc).__name__}: {exc}")) from exc
    flush = getattr(stream, "flush", None)
    if flush is not None:
        flush()


def _render_options(
    output: Path | None,
    markdown_limit: int | None = None,
    sarif: Mapping[str, Any] | None = None,
    settings: Settings | None = None,
) -> RenderOptions:
    """The render options for an output (standard output when ``output`` is None)."""
    from capcheck.core.reporting import RenderOptions

    options = RenderOptions(
        color=_color(output is None), base_dir=Path.cwd(), **_display_settings(output is None, settings)
    )
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.params.get("debug"):  # --debug: a rule error's traceback, line by line
        options = dataclasses.replace(options, debug=True)
    if markdown_limit is not None:
        options = dataclasses.replace(options, markdown_limit=markdown_limit)
    if sarif is not None:
        options = dataclasses.replace(options, **sarif)
    return options


def _display_settings(to_terminal: bool, effective: Settings | None = None) -> dict[str, Any]:
    """The display flags given to this command, as :class:`~capcheck.core.reporting.RenderOptions` fields;
    ``show``, ``limit``, the layout and ``min_severity`` as ``effective`` merged them with the config's
    ``[display]``."""
    import shutil

    ctx = click.get_current_context(silent=True)
    given: dict[str, Any] = dict(ctx.meta.get(_DISPLAY, {})) if ctx is not None else {}
    if effective is not None:
        given.pop("show", None)
        if effective.show.value is not None:
            given["show"] = effective.show.value
        given["limit"] = effective.limit.value
        given.pop("quiet", None)
        given.pop("compact", None)
        given["layout"] = effective.layout.value
        given["min_severity"] = effective.min_severity.value
    settings: dict[str, Any] = {}
    if given.pop("quiet", False):
        settings["layout"] = "quiet"
    elif given.pop("compact", False):
        settings["layout"] = "compact"
    given.pop("compact", None)
    settings.update(given)
    if to_terminal and sys.stdout.isatty():
        settings["width"] = max(60, shutil.get_terminal_size((100, 24)).columns)
    return settings


def _render(registry: Registry, result: RunResult, fmt: str, options: Any) -> str:
    """Render with the reporter plugin for ``fmt``; a reporter that raises is the plugin's error, named."""
    from capcheck.core.errors import CapcheckError, PluginError, Problem

    owner = registry.owners.get(("reporter", fmt), "?")
    try:
        text = registry.reporters[fmt].render(result, options)
    except CapcheckError:  # located already (a loader's locate failing as a finding is placed): not the reporter's
        raise
    except (Exception, SystemExit) as exc:  # sys.exit in a reporter is its error, not the result
        raise PluginError(Problem(f"reporter {fmt!r} (plugin {owner!r}) failed: {type(exc).__name__}: {exc}")) from exc
    if not isinstance(text, str):  # None was an internal error with --output, and nothing at all on stdout
        raise PluginError(Problem(f"reporter {fmt!r} (plugin {owner!r}) returned {type(text).__name__}, not str"))
    return text


@cli.group()
def new() -> None:
    """Start something new from a skeleton."""


@new.command("rule")
@click.option("--area", required=True, metavar="AREA", help="The capability area (COMM, INFRA ...).")
@click.option("--kind", "kind_id", required=True, metavar="KIND", help="The evidence kind the rule reads.")
@click.option("--id", "rule_id", metavar="ID", help="The rule id (default: the area's first free id from 100).")
@click.option("--namespace", metavar="NS", help="Your publisher namespace: ids like NS.AREA-100 (docs/plugins.md).")
@click.option("--python", is_flag=True, help="A Python rule (a plugin module) instead of a TOML rule.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the rule file goes.  [default: rules/ beside the config file, else here]",
)
@click.option(
    "--cases",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where its case file goes.  [default: tests/rule_cases/ beside the config file, else here]",
)
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@rules_plugins_options
@config_option
@debug_option
@handle_errors
def new_rule(
    area: str,
    kind_id: str,
    rule_id: str | None,
    namespace: str | None,
    python: bool,
    out: Path | None,
    cases: Path | None,
    force: bool,
    rule_paths: tuple[Path, ...],
    plugins: tuple[str, ...],
    config_path: Path | None,
    debug: bool,
) -> None:
    """Write a starter rule that validates, and a case file with a passing and a failing record."""
    from capcheck.app.outputs import inputs_of, refuse_overwriting_inputs, write_file
    from capcheck.app.scaffold import refuse_builtin_pack, scaffold_rule

    config = _load_config(config_path)
    registry = _registry(config, rule_paths, plugins)
    project = _project_dir(config)
    out = out if out is not None else project / "rules"
    cases = cases if cases is not None else project / "tests" / "rule_cases"
    refuse_builtin_pack(out, "--out")
    refuse_builtin_pack(cases, "--cases")
    kind_id = next((k for k in registry.kinds if k.casefold() == kind_id.casefold()), kind_id)  # any case
    made = scaffold_rule(
        registry,
        area=area,
        kind_id=kind_id,
        out=out,
        cases=cases,
        python=python,
        rule_id=rule_id,
        namespace=namespace,
    )
    for path in (made.rule_path, made.case_path):
        if path.exists() and not force:
            _usage(f"{path.as_posix()} exists (use --force to overwrite)")
    refuse_overwriting_inputs([("--out", made.rule_path), ("--cases", made.case_path)], inputs_of(registry, config, []))
    for path, text in ((made.rule_path, made.rule_text), (made.case_path, made.case_text)):
        write_file(path, text, make_parents=True)
    rule_file, case_file = made.rule_path.as_posix(), made.case_path.as_posix()
    use = f"--plugin ./{rule_file}" if python else f"--rules {rule_file}"
    # what this command loaded besides (the plugin owning the kind, say): the next commands need it too
    use += "".join(f" --plugin {p}" for p in plugins) + "".join(f" --rules {p.as_posix()}" for p in rule_paths)
    first_check = f"capcheck rules show {made.rule_id} {use}" if python else f"capcheck validate --strict {rule_file}"
    click.echo(f"wrote {rule_file} ({made.rule_id}) and {case_file}")
    click.echo("next: edit the rule's condition and metadata and its cases, then")
    click.echo(f"  {first_check}")
    click.echo(f"  capcheck test {case_file} {use}")
    click.echo(f"  capcheck check EVIDENCE {use} --select {made.rule_id}")


def _project_dir(config: Config) -> Path:
    """Where a new file goes by default: beside the config file, else in the working directory (as given,
    so that messages show the short relative path)."""
    if config.source is None:
        return Path()
    return Path(os.path.relpath(config.source.parent))


@new.command("plugin")
@click.argument("name")
@click.option("--area", default="GOV", show_default=True, metavar="AREA", help="The area of the starter rules.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="The folder capcheck-NAME/ is written in.  [default: the working directory]",
)
@rules_plugins_options
@config_option
@debug_option
@handle_errors
def new_plugin(
    name: str,
    area: str,
    out: Path,
    rule_paths: tuple[Path, ...],
    plugins: tuple[str, ...],
    config_path: Path | None,
    debug: bool,
) -> None:
    """Write a pip-installable plugin package NAME: a kind, two rules, their cases and tests that pass."""
    from capcheck.app.outputs import write_file
    from capcheck.app.scaffold import scaffold_plugin

    registry = _registry(_load_config(config_path), rule_paths, plugins)
    files = scaffold_plugin(registry, name, area=area)
    root = out / f"capcheck-{name}"
    if root.exists():
        _usage(f"{root.as_posix()} exists: choose another NAME or --out")
    for relative, text in files.items():
        write_file(out / relative, text, make_parents=True)
    shown = root.as_posix()
    click.echo(f"wrote {shown}/ ({len(files)} files): the plugin {name!r}, namespace {name}.")
    click.echo("next:")
    click.echo(f"  cd {shown} && pip install -e '.[test]' && pytest && mypy")
    click.echo(f"  capcheck plugins; capcheck kinds --show {name}.register; capcheck rules list --select {name}.")


# ---------------------------------------------------------------------------------------------
# rules
# ---------------------------------------------------------------------------------------------


@cli.group()
def rules() -> None:
    """List and show rules."""


@rules.command("list")
@rules_plugins_options
@config_option
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["text", "json"], case_sensitive=False),
    default="text",
    show_default=True,
)
@click.option("--area", "areas", multiple=True, metavar="AREA", help="Only rules of this area. Repeatable.")
@click.option("--select", multiple=True, metavar="X", help="Only these rule ids, prefixes, areas or tags.")
@debug_option
@handle_errors
def rules_list(
    rule_paths: tuple[Path, ...],
    plugins: tuple[str, ...],
    config_path: Path | None,
    fmt: str,
    areas: tuple[str, ...],
    select: tuple[str, ...],
    debug: bool,
) -> None:
    """List the registered rules."""
    from capcheck.app.runner import rule_info
    from capcheck.app.settings import Origin, Value, raise_problems, selector_problems
    from capcheck.core.errors import Problem
    from capcheck.core.rules import select_rules
    from capcheck.core.wording import did_you_mean

    registry = _registry(_load_config(config_path), rule_paths, plugins)
    known = sorted(registry.areas)
    problems = [
        Problem(f"--area: unknown area {area!r}{did_you_mean(area, known)} (areas: {', '.join(known)})")
        for area in areas
        if area.upper() not in registry.areas
    ]
    # The same words as check --select: what a selector matches is select_rules' to say, asked once.
    problems += selector_problems(registry, [Value(s, Origin("command line", "--select")) for s in select])
    raise_problems(problems)
    chosen = select_rules(registry.rules, select)
    if areas:
        wanted = {a.upper() for a in areas}
        chosen = [r for r in chosen if r.meta.area in wanted]
    if fmt == "json":
        import json

        # per_record is how a check may run the rule, not what a result says about it: listed here, not in RuleInfo.
        click.echo(json.dumps([{**rule_info(r).as_dict(), "per_record": r.meta.per_record} for r in chosen], indent=2))
        return
    width = max([10, *(len(r.meta.id) for r in chosen)])  # a namespaced id (acme.CULT-101) is longer
    for r in sorted(chosen, key=lambda r: (registry.area_order(r.meta.area), r.meta.id)):
        m = r.meta
        click.echo(f"{m.id:<{width}} {m.severity.value:<8} {', '.join(m.kinds):<40} {m.title}")
    click.echo(plural(len(chosen), "rule"))


@rules.command("docs")
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("docs/rules"),
    show_default=True,
    help="The directory to write the rule reference into.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the docs there are stale.")
@click.option("--select", multiple=True, metavar="X", help="Document only these rule ids, prefixes, areas or tags.")
@click.option("--ignore", multiple=True, metavar="X", help="Leave out these rule ids, prefixes, areas or tags.")
@rules_plugins_options
@config_option
@debug_option
@handle_errors
def rules_docs(
    output: Path,
    check: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    rule_paths: tuple[Path, ...],
    plugins: tuple[str, ...],
    config_path: Path | None,
    debug: bool,
) -> None:
    """Generate the rule reference (one Markdown page per rule, and an index) from rule metadata."""
    from capcheck.app.outputs import inputs_of, refuse_overwriting_inputs
    from capcheck.app.ruledocs import chosen_rules, rule_doc_files, rule_doc_targets, stale_pages, write_rule_docs

    config = _load_config(config_path)
    registry = _registry(config, rule_paths, plugins)
    files = rule_doc_files(registry, *chosen_rules(registry, select, ignore))
    if check:
        stale = stale_pages(registry, output, files)
        if stale:
            click.echo(f"{plural(len(stale), 'stale rule doc file')} in {output}: {', '.join(stale[:10])}", err=True)
            click.echo("run 'capcheck rules docs' and commit the result", err=True)
            sys.exit(1)
        click.echo(f"rule docs in {output} are up to date ({plural(len(files), 'file')})")
        return
    targets = [("--output", path) for path in rule_doc_targets(registry, files, output)]
    refuse_overwriting_inputs(targets, inputs_of(registry, config, []))
    try:
        changed = write_rule_docs(registry, output, files)
    except OSError as exc:
        from capcheck.core.process import output_error

        raise output_error(Path(exc.filename).as_posix() if exc.filename else output.as_posix(), exc) from None
    click.echo(f"wrote {plural(len(changed), 'changed file')} to {output} ({plural(len(files) - 1, 'rule')})")


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(text, width=100, initial_indent="  ", subsequent_indent="  ")


@rules.command("show")
@click.argument("rule_id")
@rules_plugins_options
@config_option
@debug_option
@handle_errors
def rules_show(
    rule_id: str, rule_paths: tuple[Path, ...], plugins: tuple[str, ...], config_path: Path | None, debug: bool
) -> None:
    """Show one rule: what it checks, why it matters, how to fix it, its options and source."""
    from capcheck.core.errors import UsageError
    from capcheck.core.ids import normalise_rule_id
    from capcheck.core.rules import select_rules
    from capcheck.core.wording import did_you_mean

    registry = _registry(_load_config(config_path), rule_paths, plugins)
    r = registry.rules.get(normalise_rule_id(rule_id))
    if r is None:
        try:  # an area, an id prefix or a tag names rules, not a rule: say how to list them
            several = select_rules(registry.rules, [rule_id])
        except UsageError:
            several = []
        if several:
            _usage(
                f"{rule_id!r} selects {plural(len(several), 'rule')}, not one: "
                f"see 'capcheck rules list --select {rule_id.strip()}'"
            )
        _usage(f"unknown rule {rule_id!r}{did_you_mean(rule_id, registry.rules)} (see 'capcheck rules list')")
    m = r.meta
    area = registry.areas[m.area]
    lines = [
        f"{m.id}  {m.title}",
        f"area: {m.area} ({area.title})    severity: {m.severity.value}    version: {m.version}",
        f"evidence kinds: {', '.join(m.required_kinds) or '-'}"
        + (f"; and any one of: {', '.join(m.any_of)}" if m.any_of else "")
        + (f"; and, when given: {', '.join(m.reads)}" if m.reads else ""),
        f"per record: {'yes (each record judged alone)' if m.per_record else 'no'}",
        f"tags: {', '.join(m.tags) or '-'}",
        f"source: {r.source.name}" + (f" ({r.source.path})" if r.source.path else ""),
        "",
        "What it checks",
        _wrap(m.description),
        "",
        "Why it matters",
        _wrap(m.rationale),
        "",
        "How to fix",
        _wrap(m.remediation),
    ]
    if m.options:
        lines += ["", 'Options (override in config: [options."' + m.id + '"])']
        lines += [f"  {name} = {value!r}" for name, value in m.options.items()]
    if m.criteria:
        lines += ["", "Criteria (see 'capcheck frameworks')"]
        for ref in m.criteria:
            fw_id, _, crit_id = ref.partition(":")
            fw = registry.frameworks.get(fw_id)
            title = next((c.title for c in fw.criteria if c.id == crit_id), "") if fw else ""
            lines.append(f"  {ref}  {title}".rstrip())
    if m.references:
        lines += ["", "References"] + [f"  {ref}" for ref in m.references]
    click.echo("\n".join(lines))


# ---------------------------------------------------------------------------------------------
# inspect
# ---------------------------------------------------------------------------------------------


@cli.command("inspect")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["text", "json"], case_sensitive=False),
    default="text",
    show_default=True,
    help="text, or json for tools.",
)
@rules_plugins_options
@config_option
@debug_option
@handle_errors
def inspect_command(
    file: Path, fmt: str, rule_paths: tuple[Path, ...], plugins: tuple[str, ...], config_path: Path | None, debug: bool
) -> None:
    """Show what capcheck sees in FILE (sheets, header row, columns, types) and suggest a mapping."""
    import json

    from capcheck.app.inspection import inspect_file, render_text
    from capcheck.core.errors import EvidenceError
    from capcheck.core.models import display_path
    from capcheck.core.side_inputs import Named, read_bounded

    config = _load_config(config_path)
    registry = _registry(config, rule_paths, plugins)
    shown = display_path(file)
    data = read_bounded(
        file, Named(shown, EvidenceError), what="file", limit=config.max_file_mb << 20, cap="(config max_file_mb)"
    )
    in_force = [m.source for m in config.mappings() if m.matches(file, m.sheet)]
    content = () if in_force else registry.content_loaders  # a mapping wins over content recognition, as in check
    result = inspect_file(file, shown, data, kinds=registry.kinds, loaders=registry.loaders, content_loaders=content)
    result.mapped_by = ", ".join(in_force) or None
    if fmt.lower() == "json":
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(result), nl=False)


# ---------------------------------------------------------------------------------------------
# kinds, schema, plugins, validate
# ---------------------------------------------------------------------------------------------


@cli.command()
@click.option("--show", "show", metavar="KIND", help="One kind's fields: type, required, and which plugin added each.")
@rules_plugins_options
@config_option
@debug_option
@handle_errors
def kinds(
    show: str | None, rule_paths: tuple[Path, ...], plugins: tuple[str, ...], config_path: Path | None, debug: bool
) -> None:
    """List the evidence kinds and the rules that read each."""
    import textwrap

    from capcheck.core.escaping.terminal import terminal

    registry = _registry(_load_config(config_path), rule_paths, plugins)
    if show is not None:
        from capcheck.core.kinds import describe_kind

        kind = registry.kinds.get(show) or next(
            (k for i, k in registry.kinds.items() if i.casefold() == show.casefold()), None
        )
        if kind is None:
            from capcheck.core.wording import did_you_mean

            hint = did_you_mean(show, registry.kinds)
            _usage(f"unknown evidence kind {show!r}{hint} (kinds: {', '.join(sorted(registry.kinds))})")
        owner = registry.owners.get(("evidence kind", kind.id), "?")
        click.echo("\n".join(terminal(line) for line in describe_kind(kind, owner)))
        return
    indent = " " * 25
    for kind_id in sorted(registry.kinds):
        kind = registry.kinds[kind_id]
        readers = sorted(r.meta.id for r in registry.rules.values() if kind_id in r.meta.kinds)
        given = sorted(r.meta.id for r in registry.rules.values() if kind_id in r.meta.reads)
        click.echo(terminal(f"{kind_id:<24} {kind.title}"))
        click.echo(terminal(f"{indent}required: {', '.join(kind.required) or '-'}"))
        if kind.extended_by:
            click.echo(terminal(f"{indent}extended by: {', '.join(sorted(set(kind.extended_by.values())))}"))
        listed = f"{plural(len(readers), 'rule')}: {', '.join(readers)}" if readers else ""
        if given:  # a rule's reads: its outcomes change with the kind, though it runs without it
            listed += f"{'; ' if listed else ''}{plural(len(given), 'rule')} read it when given: {', '.join(given)}"
        listed = listed or "no rule reads it"
        if kind_id in _SCORECARD_KINDS:
            listed += f"; {_SCORECARD_KINDS[kind_id]}"
        for line in textwrap.wrap(listed, width=100, initial_indent=indent, subsequent_indent=indent + "  "):
            click.echo(terminal(line))


@cli.command()
@click.argument("name")
@rules_plugins_options
@config_option
@debug_option
@handle_errors
def schema(
    name: str, rule_paths: tuple[Path, ...], plugins: tuple[str, ...], config_path: Path | None, debug: bool
) -> None:
    """Print a JSON Schema: an evidence KIND, or a document: 'findings', 'rule', 'rule-cases', 'test-results',
    'waivers', 'baseline' or 'diff'."""
    import json

    from capcheck.core.resources import load_schema

    if name.lower() in _DOCUMENT_SCHEMAS:
        click.echo(json.dumps(load_schema(name.lower()), indent=2))
        return
    registry = _registry(_load_config(config_path), rule_paths, plugins)
    kind = registry.kinds.get(name) or next(
        (k for i, k in registry.kinds.items() if i.casefold() == name.casefold()), None
    )
    if kind is None:
        from capcheck.core.wording import did_you_mean

        documents = ", ".join(_DOCUMENT_SCHEMAS)
        hint = did_you_mean(name, [*_DOCUMENT_SCHEMAS, *registry.kinds])
        _usage(f"unknown schema {name!r}{hint} ({documents}, or a kind: {', '.join(sorted(registry.kinds))})")
    click.echo(json.dumps(kind.schema, indent=2))


#: Kinds the scorecard itself reads (docs/scorecard.md), whether or not a rule does.
_SCORECARD_KINDS = {
    "organisation": "the scorecard reads it (the organisation profile)",
    "attestations": "the scorecard reads it (manual criteria)",
}

#: The documents capcheck reads or writes that have a published schema (schemas/<name>.schema.json).
_DOCUMENT_SCHEMAS = ("findings", "rule", "rule-cases", "test-results", "waivers", "baseline", "diff")

_SINGULAR = {"loader for": "loader extension", "rule format for": "rule file extension", "evidence kind": "kind"}
_PLURAL = {
    "area": "areas",
    "evidence kind": "kinds",
    "kind field": "kind fields",
    "loader for": "loader extensions",
    "content loader": "content loaders",
    "rule format for": "rule file extensions",
    "rule": "rules",
    "reporter": "reporters",
    "framework": "frameworks",
}


@cli.command()
@rules_plugins_options
@config_option
@debug_option
@handle_errors
def plugins(rule_paths: tuple[Path, ...], plugins: tuple[str, ...], config_path: Path | None, debug: bool) -> None:
    """List the loaded plugins and what each registered."""
    registry = _registry(_load_config(config_path), rule_paths, plugins)
    _warn_namespaces(registry)
    counts: dict[str, dict[str, int]] = {}
    for (what, _key), owner in registry.owners.items():
        counts.setdefault(owner, {}).setdefault(what, 0)
        counts[owner][what] += 1
    width = max((len(info.name) for info in registry.plugins), default=0)  # one column, however long a name
    for info in registry.plugins:
        dist = f" ({info.distribution} {info.version})" if info.distribution else ""
        items = ", ".join(
            f"{n} {_PLURAL.get(w, w)}" if n != 1 else f"1 {_SINGULAR.get(w, w)}"
            for w, n in sorted(counts.get(info.name, {}).items())
        )
        origin = f"  [{_plugin_origin(info)}]" if info.origin != "builtin" else ""
        origin += f"  [plugin API {info.api}]" if info.api else ""
        unnamespaced = registry.unnamespaced.get(info.name, [])
        origin += f"  [{plural(len(unnamespaced), 'id')} without a namespace]" if unnamespaced else ""
        click.echo(f"{info.name:<{width}} {info.origin:<12}{dist}  {items}{origin}")


#: A framework id's edition suffix: ``-4.0`` of ``caf-4.0``, ``-2024-25`` of ``dspt-2024-25``.
_FAMILY = re.compile(r"-\d.*$")


def _framework_id(registry: Registry, name: str) -> str:
    """The framework ``name`` names, in any case: its id (``CAF-4.0``) or, when one edition is bundled,
    its family (``caf`` for ``caf-4.0``). Unknown or ambiguous names are usage errors."""
    folded = name.casefold()
    exact = [fw_id for fw_id in registry.frameworks if fw_id.casefold() == folded]
    family = [fw_id for fw_id in registry.frameworks if _FAMILY.sub("", fw_id.casefold()) == folded]
    if len(exact) == 1:
        return exact[0]
    if len(family) == 1:
        return family[0]
    if len(family) > 1:
        _usage(f"framework {name!r} has several editions: name one of {', '.join(sorted(family))}")
    from capcheck.core.wording import did_you_mean

    hint = did_you_mean(name, registry.frameworks)
    _usage(f"unknown framework {name!r}{hint} (frameworks: {', '.join(sorted(registry.frameworks))})")


@cli.command()
@click.argument("framework_id", required=False)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["text", "json"], case_sensitive=False),
    default="text",
    show_default=True,
)
@click.option(
    "--evidence",
    "evidence_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Run the rules over this evidence and show each criterion's status (achieved ... not assessed). Repeatable.",
)
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="With --evidence: judge dates as of this day.")
@rules_plugins_options
@config_option
@debug_option
@handle_errors
def frameworks(
    framework_id: str | None,
    fmt: str,
    evidence_paths: tuple[Path, ...],
    as_of: str | None,
    rule_paths: tuple[Path, ...],
    plugins: tuple[str, ...],
    config_path: Path | None,
    debug: bool,
) -> None:
    """List frameworks, or show one: each criterion as automated (with its rules) or manual.

    With --evidence, show one framework's criteria as judged on that evidence: the CAF-style
    status of each, and the rules and attestations behind it.
    """
    from capcheck.builtins.frameworks import coverage

    config = _load_config(config_path)
    registry = _registry(config, rule_paths, plugins)
    criteria = {r.meta.id: r.meta.criteria for r in registry.rules.values()}
    if evidence_paths and framework_id is None:
        _usage("--evidence needs a framework id: capcheck frameworks ID --evidence PATH")
    if framework_id is None:
        rows = []
        for listed in sorted(registry.frameworks.values(), key=lambda f: f.id):
            cov = coverage(listed, criteria)
            automated = sum(1 for c in cov if c.rules)
            rows.append(
                {
                    "id": listed.id,
                    "edition": listed.edition,
                    "title": listed.title,
                    "criteria": len(cov),
                    "automated": automated,
                }
            )
        if fmt == "json":
            import json

            click.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            click.echo(f"{row['id']:<14} {row['automated']:>3}/{row['criteria']:<3} automated  {row['title']}")
        return
    fw = registry.frameworks[_framework_id(registry, framework_id)]
    if evidence_paths:
        _framework_status(registry, config_path, fw, evidence_paths, as_of, rule_paths, plugins, fmt, debug)
        return
    cov = coverage(fw, criteria)
    if fmt == "json":
        import json

        doc = {
            "id": fw.id,
            "edition": fw.edition,
            "title": fw.title,
            "url": fw.url,
            "applies_to": list(fw.applies_to),
            "criteria": [c.as_dict() for c in cov],
        }
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(f"{fw.title}, edition {fw.edition}" + (f" ({fw.url})" if fw.url else ""))
    if fw.applies_to:
        click.echo(f"Applies to: {'; '.join(fw.applies_to)}")
    if not cov and fw.description:
        click.echo(fw.description)
    for c in cov:
        rules_text = ", ".join(c.rules) if c.rules else "manual"
        click.echo(f"  {c.ref:<28} {c.title[:60]:<60} {rules_text}")
    automated = sum(1 for c in cov if c.rules)
    click.echo(f"{automated} of {plural(len(cov), 'criterion')} automated; the rest need manual assessment")


def _framework_status(
    registry: Registry,
    config_path: Path | None,
    fw: Any,
    evidence_paths: tuple[Path, ...],
    as_of: str | None,
    rule_paths: tuple[Path, ...],
    plugins: tuple[str, ...],
    fmt: str,
    debug: bool,
) -> None:
    """``frameworks ID --evidence PATH``: each criterion of ``fw`` as judged on the evidence."""
    from capcheck.app.progress import progress_display
    from capcheck.app.settings import check_usage
    from capcheck.core.escaping.terminal import clip, pad, terminal

    options = _cli_options(evidence_paths, rule_paths, plugins, (), (), as_of, None, debug, no_baseline=True)
    settings = _settings(config_path, options)
    check_usage(registry, settings)
    with progress_display(settings.progress.value) as progress:
        result = _run_to_the_end(settings.request(), registry, progress)
    results = {c.ref: c for c in (result.scorecard.criteria if result.scorecard else ())}
    judged = {ref: c.as_dict() for ref, c in results.items()}
    rows = []
    for c in fw.criteria:
        ref = f"{fw.id}:{c.id}"
        found = judged.get(ref)
        if found is None:  # no selected rule names it, no area lists it, nobody attested it
            found = {"id": ref, "title": c.title, "status": "not-assessed", "mode": "manual", "rules": []}
            found["attestation"] = None
        rows.append(found)
    if fmt == "json":
        import json

        doc = {"id": fw.id, "title": fw.title, "url": fw.url, "as_of": result.as_of.isoformat(), "criteria": rows}
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(f"{fw.title}: criteria as judged on the evidence, as of {result.as_of.isoformat()}")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
        judged_by = results.get(row["id"])
        behind = judged_by.behind() if judged_by is not None else ("no current attestation",)
        shown = terminal("; ".join(behind) or "nothing judged")
        title = pad(clip(terminal(str(row["title"])), 50), 50)  # cut with an ellipsis, never silently mid-word
        click.echo(f"  {row['id']:<28} {row['status']:<19} {title} {shown}".rstrip())
    order = ("achieved", "partially-achieved", "not-achieved", "not-assessed")
    click.echo(", ".join(f"{counts.get(s, 0)} {s}" for s in order))


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=_EvidencePath(path_type=Path))
@rules_plugins_options
@config_option
@click.option(
    "--strict",
    is_flag=True,
    help="Treat warnings (a rule reading an undeclared field, a loader whose peek at a file fails) as errors.",
)
@debug_option
@handle_errors
def validate(
    paths: tuple[Path, ...],
    rule_paths: tuple[Path, ...],
    plugins: tuple[str, ...],
    config_path: Path | None,
    strict: bool,
    debug: bool,
) -> None:
    """Validate evidence and rule files without running any rule."""
    from capcheck.app.validation import validate_paths
    from capcheck.core.errors import Problem, RuleFileError

    config = _load_config(config_path)
    registry = _registry(config, rule_paths, plugins, announce=True)
    warnings: list[Problem] = []
    report = validate_paths(registry, list(paths), config, warnings)
    if warnings and strict:
        raise RuleFileError(warnings)
    from capcheck.core.escaping.terminal import terminal

    for warning in warnings:
        click.echo(f"warning: {terminal(warning)}", err=True)
    click.echo(report)


def _run_to_the_end(request: CheckRequest, registry: Registry, progress: Progress | None) -> RunResult:
    """Run the check for a command that then writes its result and ends. As the console script, the cyclic
    collector stays paused after the check (run_check would resume it): the process ends with ``os._exit``,
    so nothing the collector could free matters, and its first pass would walk every object the check made
    (0.06 s of 2.6 s on 300,000 records failing a lot). And the check is handed off to a worker process
    (:func:`capcheck.core.process.hand_off`), so that the command's end does not wait for that process's."""
    from capcheck.app.runner import run_check

    if _STANDALONE:
        gc.disable()
        if not _observed():
            from capcheck.core.process import hand_off

            # The check runs in a worker; this process exits as soon as the worker's outputs are durable, and the
            # worker's memory is given back meanwhile (docs/performance.md, "The tail of a check").
            hand_off()
    return run_check(request, registry, progress=progress)


#: Set by the console script: a finished check may leave without tearing down its objects.
_STANDALONE = False
#: Whether main() paused the cyclic GC for start-up (see _started).
_GC_PAUSED = False


# ---------------------------------------------------------------------------------------------
# test
# ---------------------------------------------------------------------------------------------

TEST_EPILOG = """\b
Examples:
  capcheck test tests/rule_cases
  capcheck test --plugin acme_rules tests/rule_cases --coverage --min-coverage 90 --require-tests
  capcheck test --rules rules/ tests/rule_cases -f junit -o rule-tests.xml

Exit codes: 0 every case passed (and the coverage gates hold), 1 a case failed or a gate, 2 a case
file is invalid or cannot run. Only the built-ins and the plugins named with --plugin are loaded,
unless --autoload-plugins. Case files: docs/writing-rules.md#testing-rules."""


@cli.command("test", epilog=TEST_EPILOG)
@click.argument("paths", nargs=-1, required=True, type=_EvidencePath(path_type=Path))
@rules_plugins_options
@click.option(
    "--autoload-plugins", is_flag=True, help="Also load installed plugins (entry points), as other commands do."
)
@click.option(
    "--select",
    multiple=True,
    metavar="X",
    help="The rules under test, for coverage and --require-tests (default: those of --plugin and --rules, "
    "else the built-ins).",
)
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the output here.")
@click.option("--coverage", is_flag=True, help="Report, per rule, passing and failing cases and condition branches.")
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help="Exit 1 when coverage is below PCT percent.",
)
@click.option("--require-tests", is_flag=True, help="Exit 1 when a rule under test has no case.")
@debug_option
@handle_errors
def test_rules(
    paths: tuple[Path, ...],
    rule_paths: tuple[Path, ...],
    plugins: tuple[str, ...],
    autoload_plugins: bool,
    select: tuple[str, ...],
    fmt: str,
    output: Path | None,
    coverage: bool,
    min_coverage: float | None,
    require_tests: bool,
    debug: bool,
) -> None:
    """Run rule case files (PATH: files, or directories of *.yaml) and report every mismatch."""
    from capcheck.app.harness import harness_registry
    from capcheck.app.outputs import refuse_overwriting_inputs, write_file
    from capcheck.app.testreport import RENDERERS, collect_case_files, run_tests
    from capcheck.core.rules import select_rules

    if output is not None:
        refuse_overwriting_inputs([("--output", output)], [*collect_case_files(paths), *rule_paths])
    traced = coverage or min_coverage is not None
    registry = harness_registry(rule_paths, plugins, autoload=autoload_plugins, coverage=traced)
    _started()
    if select:
        under_test = select_rules(registry.rules, select)
    else:
        named = rule_paths or plugins
        under_test = [r for r in registry.rules.values() if (r.source.type != "builtin") == bool(named)]
    run = run_tests(
        paths,
        registry,
        under_test=under_test,
        coverage=coverage,
        min_coverage=min_coverage,
        require_tests=require_tests,
    )
    text = RENDERERS[fmt](run)
    _result_code(run.exit_code)
    if output is None:
        click.echo(text, nl=False)
        sys.stdout.flush()
    else:
        write_file(output, text)
    _finish(run.exit_code)


def _finish(code: int) -> NoReturn:
    """Exit with ``code``. As the console script, skip the interpreter's teardown: freeing millions
    of evidence objects one by one takes a third of a second on large registers, for nothing.
    Output is complete by now (files are written atomically and synced); streams are flushed. Under a
    profiler or tracer (``python -m cProfile -m capcheck``, coverage) the interpreter ends normally, so that
    it writes its report: skipping teardown lost it."""
    from capcheck.core.process import say_done

    if _STANDALONE and not _observed():
        # The reader went away (`capcheck check ... | head`): nothing to report.
        with contextlib.suppress(BrokenPipeError):
            sys.stdout.flush()
        with contextlib.suppress(OSError):
            sys.stderr.flush()
        say_done(code)  # a worker: the waiting process exits now, this one when its memory is given back
        os._exit(code)
    sys.exit(code)


def _observed() -> bool:
    """Whether a profiler or tracer watches this process (``sys.setprofile``/``settrace``, or a
    ``sys.monitoring`` tool from Python 3.12): it reports at the interpreter's normal end."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)
    return monitoring is not None and any(monitoring.get_tool(tool) is not None for tool in range(6))


def main(argv: list[str] | None = None) -> None:
    """The console script's entry point: a checked standard output, and interrupts as exit codes
    (130 for SIGINT, 143 for SIGTERM; see :mod:`capcheck.core.process`)."""
    from capcheck.core.errors import CapcheckError
    from capcheck.core.process import (
        Interrupted,
        checked_stderr,
        checked_stdout,
        ends_without_teardown,
        handed_off,
        interrupts,
    )

    global _STANDALONE, _GC_PAUSED
    _STANDALONE = argv is None
    if _STANDALONE and not _observed():
        ends_without_teardown()  # _finish leaves with os._exit: what the check kept need never be freed
    if _STANDALONE and gc.isenabled():
        # Start-up (imports, plugins, the rule pack) makes ~200,000 objects that live to the end, which each
        # collection would walk again: the collector is paused until the registry is built (_started), and
        # they are then frozen out of its way (docs/performance.md). A command that builds no registry
        # (diff, --help) runs paused: it is short and makes no cycles worth collecting.
        gc.disable()
        _GC_PAUSED = True
    with checked_stdout(), checked_stderr(), interrupts():
        try:
            cli.main(args=argv, prog_name="capcheck")
        except Interrupted as exc:
            with contextlib.suppress(OSError, CapcheckError):  # stderr may be gone: still the interrupt's code
                click.echo(f"capcheck: interrupted by {exc.name}: nothing more was written", err=True)
            _finish(exc.exit_code)
        except CapcheckError as exc:  # an output failure outside a command (--help, --version, a usage error)
            _print_error(exc)
            _finish(2)
        except SystemExit as exc:  # click's end of a command, and handle_errors' exit 2
            if not handed_off():
                raise
            code = exc.code
            if code is not None and not isinstance(code, int):  # sys.exit("message"): said, exit 1
                with contextlib.suppress(OSError, CapcheckError):
                    click.echo(str(code), err=True)
                code = 1
            _finish(code or 0)
        except BaseException:  # a bug, with --debug: its traceback and the interpreter's code, said at once
            if not handed_off():
                raise
            import traceback

            with contextlib.suppress(OSError, CapcheckError):
                traceback.print_exc()
            _finish(1)
