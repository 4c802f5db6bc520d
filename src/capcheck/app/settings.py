"""The effective settings of a check: the config file, the environment and the command line merged in
one place, each value with its origin.

Precedence, highest first: a command-line option, an environment variable, the config file, the
default. Lists that add up (``--ignore``, ``--rules``, ``--plugin``) take the config's items and then
the command line's; ``--select`` replaces the config's ``select``; ``--min-level`` replaces the
config's gate area by area. The CLI parses options into :class:`CliOptions` and hands them over;
the runner receives a :class:`~capcheck.app.runner.CheckRequest` of effective values and decides no
precedence. :func:`check_usage` finds every usage error that needs no evidence (selectors, per-rule
settings, gate areas, format names) once the registry is built, before any evidence file is opened.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from capcheck.app.config import Config, ConfigSearch
from capcheck.app.plugins import DISABLE_AUTOLOAD_ENV
from capcheck.core.errors import ConfigError, Problem, UsageError
from capcheck.core.models import Severity, display_path
from capcheck.core.reporting import DEFAULT_TEXT_LIMIT
from capcheck.core.side_inputs import escape_token, shorten
from capcheck.core.wording import did_you_mean

if TYPE_CHECKING:
    from capcheck.app.registry import Registry
    from capcheck.app.runner import CheckRequest
    from capcheck.core.rules import Rule

__all__ = [
    "DEBUG_ENV",
    "JOBS_ENV",
    "NO_CONFIG_PLUGINS_ENV",
    "NO_PROGRESS_ENV",
    "CliOptions",
    "Origin",
    "Settings",
    "Value",
    "check_usage",
    "env_switch",
    "option_problem",
    "parse_jobs",
    "reference_problems",
    "resolve_settings",
    "rule_setting_problems",
    "same_type",
]

T = TypeVar("T")

#: Set (to 1) to refuse plugins named by a config file: for checkouts you do not trust.
NO_CONFIG_PLUGINS_ENV = "CAPCHECK_NO_CONFIG_PLUGINS"
#: Set to show tracebacks, as ``--debug``.
DEBUG_ENV = "CAPCHECK_DEBUG"
#: Set to turn the progress display off, as ``--no-progress``.
NO_PROGRESS_ENV = "CAPCHECK_NO_PROGRESS"
#: How many processes a check uses, as ``--jobs``.
JOBS_ENV = "CAPCHECK_JOBS"

_OFF = ("", "0", "false", "no", "off")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a value came from: ``default``, a config file key, an environment variable or a flag."""

    source: Literal["default", "config", "environment", "command line"]
    #: The flag (``--fail-on``), the variable (``CI``), the key's JSON pointer (``/fail_on``) or a reason.
    name: str = ""
    #: The config file, as shown (only for ``config``).
    path: str | None = None

    def __str__(self) -> str:
        if self.source == "config":
            return f"{self.path}: {self.name}"
        if self.source == "default":
            return f"default ({self.name})" if self.name else "default"
        return self.name

    def problem(self, message: str) -> Problem:
        """A problem located at this origin: ``file: /pointer: cause`` or ``--flag: cause``."""
        if self.source == "config":
            return Problem(message, path=self.path, pointer=self.name)
        return Problem(f"{self.name}: {message}" if self.name else message)


DEFAULT = Origin("default")


@dataclass(frozen=True, slots=True)
class Value(Generic[T]):
    """One effective value and its origin."""

    value: T
    origin: Origin = DEFAULT


@dataclass(frozen=True)
class CliOptions:
    """The command line as parsed, before any merge: None (or empty) where an option was not given."""

    paths: tuple[Path, ...] = ()
    rule_paths: tuple[Path, ...] = ()
    plugins: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    as_of: str | None = None
    waivers: Path | None = None
    format: str | None = None
    output: Path | None = None
    reports: tuple[str, ...] = ()
    fail_on: str | None = None
    include_passed: bool | None = None
    min_levels: tuple[str, ...] = ()
    baseline: Path | None = None
    no_baseline: bool = False
    no_config_plugins: bool = False
    no_plugin_autoload: bool = False
    debug: bool = False
    no_progress: bool = False
    quiet: bool = False
    #: ``--show`` (the statuses and sections the text report lists) and ``--limit``.
    show: frozenset[str] | None = None
    limit: int | None = None
    #: ``--compact`` (``quiet`` above is ``--quiet``) and ``--min-severity``.
    compact: bool = False
    min_severity: Severity | None = None
    #: ``--jobs`` as given: a number, ``"auto"``, or None when not given (then ``CAPCHECK_JOBS``, else auto).
    jobs: int | Literal["auto"] | None = None


@dataclass(frozen=True)
class Settings:
    """The effective settings of a check, each with its origin (see the module docstring for precedence)."""

    config: Config
    search: ConfigSearch
    paths: Value[tuple[Path, ...]]
    rule_paths: tuple[Value[Path], ...]
    plugins: tuple[Value[str], ...]
    config_plugins: Value[bool]
    #: Whether installed plugins (entry points) load: ``capcheck --no-plugin-autoload`` or the environment.
    plugin_autoload: Value[bool]
    select: tuple[Value[str], ...]
    ignore: tuple[Value[str], ...]
    as_of: Value[date | None]
    fail_on: Value[Severity | None]
    include_passed: Value[bool]
    format: Value[str]
    output: Value[Path | None]
    reports: tuple[Value[tuple[str, Path]], ...]
    gate: Mapping[str, Value[int]]
    waivers: Value[Path | None]
    baseline: Value[Path | None]
    debug: Value[bool]
    progress: Value[bool]
    #: What the text report lists (``--show``, ``[display] show``; None: its default) and how many failing
    #: rules it details (``--limit``, ``[display] limit``). Display only: never the result or the exit code.
    show: Value[frozenset[str] | None] = Value(None, Origin("default", "fail, error, skip; pass when listed"))
    limit: Value[int] = Value(DEFAULT_TEXT_LIMIT)
    #: The text report's layout (``--quiet``, ``--compact``, ``[display] layout``) and the lowest severity it
    #: lists (``--min-severity``, ``[display] min_severity``). Display only, as ``show`` and ``limit``.
    layout: Value[str] = Value("grouped")
    min_severity: Value[Severity | None] = Value(None, Origin("default", "every severity"))
    #: How many processes load and judge the evidence (``--jobs``); None: auto (:mod:`capcheck.app.parallel`).
    jobs: Value[int | None] = Value(None, Origin("default", "auto"))
    #: Things worth saying on stderr before the run (a configured baseline that does not exist yet).
    notes: tuple[str, ...] = ()
    #: Config values with no command-line twin, each with its origin (for ``config show``).
    file_only: Mapping[str, Value[Any]] = field(default_factory=dict)

    def request(self) -> CheckRequest:
        """The runner's input: the effective values, no precedence left to decide."""
        from capcheck.app.runner import CheckRequest

        return CheckRequest(
            paths=self.paths.value,
            config=self.config,
            rule_paths=tuple(v.value for v in self.rule_paths if v.origin.source != "config"),
            plugins=tuple(v.value for v in self.plugins if v.origin.source != "config"),
            select=tuple(v.value for v in self.select),
            ignore=tuple(v.value for v in self.ignore),
            as_of=self.as_of.value,
            include_passed=self.include_passed.value,
            fail_on=self.fail_on.value,
            debug=self.debug.value,
            min_level={area: v.value for area, v in self.gate.items()},
            waivers=self.waivers.value,
            baseline=self.baseline.value,
            jobs=self.jobs.value,
            formats=(self.format.value, *(fmt for fmt, _ in (v.value for v in self.reports))),
        )

    def require_paths(self) -> None:
        """Raise :class:`UsageError` when no evidence is named (by PATH or the config's ``paths``)."""
        if not self.paths.value:
            raise UsageError("no evidence given: name files or directories (or set 'paths' in the config)")

    def rows(self) -> list[tuple[str, Any, str]]:
        """Every setting as (name, value, origin), in a fixed order, values in their JSON form."""

        def one(name: str, v: Value[Any]) -> tuple[str, Any, str]:
            return (name, _jsonable(v.value), str(v.origin))

        def many(name: str, values: Sequence[Value[Any]], empty: str) -> tuple[str, Any, str]:
            # A list's items are located one by one (/select/0) for errors; the list is named once here.
            origins = list(dict.fromkeys(re.sub(r"/\d+$", "", str(v.origin)) for v in values))
            return (name, [_jsonable(v.value) for v in values], "; ".join(origins) or empty)

        gate = {area: v.value for area, v in self.gate.items()}
        gate_origins = sorted({str(v.origin) for v in self.gate.values()})
        out = [
            one("paths", self.paths),
            many("rules", self.rule_paths, "default (none)"),
            many("plugins", self.plugins, "default (none)"),
            one("config_plugins", self.config_plugins),
            one("plugin_autoload", self.plugin_autoload),
            many("select", self.select, "default (all rules)"),
            many("ignore", self.ignore, "default (none)"),
            one("as_of", self.as_of),
            one("fail_on", self.fail_on),
            one("include_passed", self.include_passed),
            one("format", self.format),
            one("output", self.output),
            many("reports", self.reports, "default (none)"),
            ("min_level", gate, "; ".join(gate_origins) or "default (no gate)"),
            one("waivers", self.waivers),
            one("baseline", self.baseline),
            one("debug", self.debug),
            one("progress", self.progress),
            one("show", self.show),
            one("limit", self.limit),
            one("layout", self.layout),
            one("min_severity", self.min_severity),
            one("jobs", self.jobs),
        ]
        out += [one(name, v) for name, v in self.file_only.items()]
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return display_path(value)
    if isinstance(value, Severity):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset):  # a set of choices: in a fixed order
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def parse_jobs(text: str) -> int | None:
    """``--jobs`` or ``CAPCHECK_JOBS``: a whole number of processes, at least 1, or ``auto`` (None).

    :raises ValueError: anything else, saying what is expected.
    """
    word = text.strip().lower()
    if word == "auto":
        return None
    if word.isascii() and word.isdigit() and int(word) >= 1:
        return int(word)
    raise ValueError(f"{text!r} is not a number of processes (1, 2 ...) or 'auto'")


def env_switch(environ: Mapping[str, str], name: str) -> bool:
    """An environment switch: on unless unset, empty, ``0``, ``false``, ``no`` or ``off``."""
    return environ.get(name, "").strip().lower() not in _OFF


def resolve_settings(
    cli: CliOptions,
    config: Config,
    search: ConfigSearch | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stderr_isatty: bool | Callable[[], bool] = False,
) -> Settings:
    """Merge the config file, the environment and the command line into the effective settings.

    Only what needs no registry and no evidence is checked here (the date, the gate's syntax,
    contradicting flags, ``--report`` specs); :func:`check_usage` checks the rest against the registry.

    :param environ: the environment (default: ``os.environ``).
    :param stderr_isatty: whether standard error is a terminal (the progress display needs one).
    :raises UsageError: a command-line option is malformed.
    """
    env = os.environ if environ is None else environ
    search = search or ConfigSearch(config.source, named=config.source is not None)
    shown = display_path(config.source) if config.source is not None else None
    prefix = config.pointer_prefix

    def key(name: str) -> Origin:
        return Origin("config", f"{prefix}/{name}", shown)

    def flag(name: str) -> Origin:
        return Origin("command line", name)

    problems: list[Problem] = []

    # paths: the command line replaces the config's
    if cli.paths:
        paths = Value(tuple(cli.paths), flag("PATH"))
    elif config.paths:
        paths = Value(tuple(config.resolve(p) for p in config.paths), key("paths"))
    else:
        paths = Value((), Origin("default", "none"))

    rule_paths = tuple(Value(config.resolve(p), key(f"rules/{i}")) for i, p in enumerate(config.rules))
    rule_paths += tuple(Value(p, flag("--rules")) for p in cli.rule_paths)
    plugins = tuple(Value(m, key(f"plugins/{i}")) for i, m in enumerate(config.plugins))
    plugins += tuple(Value(m, flag("--plugin")) for m in cli.plugins)
    if cli.no_config_plugins:
        config_plugins = Value(False, flag("--no-config-plugins"))
    elif env_switch(env, NO_CONFIG_PLUGINS_ENV):
        config_plugins = Value(False, Origin("environment", NO_CONFIG_PLUGINS_ENV))
    else:
        config_plugins = Value(True)
    if cli.no_plugin_autoload:
        plugin_autoload = Value(False, flag("capcheck --no-plugin-autoload"))
    elif env_switch(env, DISABLE_AUTOLOAD_ENV):
        plugin_autoload = Value(False, Origin("environment", DISABLE_AUTOLOAD_ENV))
    else:
        plugin_autoload = Value(True)

    if cli.select:
        select = tuple(Value(s, flag("--select")) for s in cli.select)
    else:
        select = tuple(Value(s, key(f"select/{i}")) for i, s in enumerate(config.select))
    ignore = tuple(Value(s, key(f"ignore/{i}")) for i, s in enumerate(config.ignore))
    ignore += tuple(Value(s, flag("--ignore")) for s in cli.ignore)

    as_of: Value[date | None] = Value(None, Origin("default", "today"))
    if cli.as_of is not None:
        try:
            as_of = Value(date.fromisoformat(cli.as_of), flag("--as-of"))
        except ValueError:
            problems.append(Problem(f"--as-of must be a date as YYYY-MM-DD, not {shorten(cli.as_of)}"))

    threshold: Value[str] = Value("low")
    if cli.fail_on is not None:
        threshold = Value(cli.fail_on.lower(), flag("--fail-on"))
    elif config.fail_on is not None:
        threshold = Value(config.fail_on, key("fail_on"))
    fail_on = Value(None if threshold.value == "never" else Severity(threshold.value), threshold.origin)

    if cli.include_passed is not None:
        include_passed = Value(bool(cli.include_passed), flag("--include-passed"))
    elif config.include_passed is not None:
        include_passed = Value(config.include_passed, key("include_passed"))
    else:
        include_passed = Value(False)

    if cli.format is not None:
        fmt = Value(cli.format, flag("--format"))
    elif config.format is not None:
        fmt = Value(config.format, key("format"))
    else:
        fmt = Value("text")

    reports: list[Value[tuple[str, Path]]] = []
    for spec in cli.reports:
        name, sep, target = spec.partition("=")
        if not sep or not name or not target:
            problems.append(Problem(f"--report takes FORMAT=PATH, not {shorten(spec)}"))
            continue
        reports.append(Value((name, Path(target)), flag("--report")))

    gate: dict[str, Value[int]] = {
        a: Value(n, key(f"scorecard/min_level/{escape_token(a)}")) for a, n in config.scorecard.min_level.items()
    }
    for spec in cli.min_levels:
        area, sep, level = spec.rpartition("=")
        if not level.isdigit() or not 1 <= int(level) <= 5:
            problems.append(Problem(f"--min-level takes N or AREA=N with N from 1 to 5, not {shorten(spec)}"))
            continue
        gate[area.upper() if sep else "*"] = Value(int(level), flag("--min-level"))

    if cli.waivers is not None:
        waivers: Value[Path | None] = Value(cli.waivers, flag("--waivers"))
    elif config.waivers:
        waivers = Value(config.resolve(config.waivers), key("waivers"))
    else:
        waivers = Value(None)

    notes: list[str] = []
    baseline: Value[Path | None] = Value(None)
    if cli.no_baseline and cli.baseline is not None:
        problems.append(Problem("--baseline and --no-baseline contradict each other"))
    elif cli.baseline is not None:
        baseline = Value(cli.baseline, flag("--baseline"))
    elif cli.no_baseline:
        baseline = Value(None, flag("--no-baseline"))
    elif config.baseline:
        path = config.resolve(config.baseline)
        if os.path.lexists(path):  # a dangling link is not "not yet": reading it says what is wrong
            baseline = Value(path, key("baseline"))
        else:
            # Named before the first 'baseline create': an empty baseline, said (a missing --baseline is an error).
            baseline = Value(None, Origin("config", f"{prefix}/baseline (not created yet)", shown))
            notes.append(
                f"the config's baseline {display_path(path)} does not exist yet, so no failure is baselined "
                f"(write it with 'capcheck baseline create -o {display_path(path)}')"
            )

    if cli.debug:
        debug = Value(True, flag("--debug"))
    elif env.get(DEBUG_ENV):
        debug = Value(True, Origin("environment", DEBUG_ENV))
    else:
        debug = Value(False)

    progress = _progress(cli, env, stderr_isatty)
    show: Value[frozenset[str] | None] = Settings.show
    if cli.show is not None:
        show = Value(cli.show, flag("--show"))
    elif config.display.show is not None:
        show = Value(frozenset(config.display.show), key("display/show"))
    limit: Value[int] = Settings.limit
    if cli.limit is not None:
        limit = Value(cli.limit, flag("--limit"))
    elif config.display.limit is not None:
        limit = Value(config.display.limit, key("display/limit"))
    layout: Value[str] = Settings.layout
    if cli.quiet:
        layout = Value("quiet", flag("--quiet"))
    elif cli.compact:
        layout = Value("compact", flag("--compact"))
    elif config.display.layout is not None:
        layout = Value(config.display.layout, key("display/layout"))
    min_severity: Value[Severity | None] = Settings.min_severity
    if cli.min_severity is not None:
        min_severity = Value(cli.min_severity, flag("--min-severity"))
    elif config.display.min_severity is not None:
        min_severity = Value(Severity(config.display.min_severity), key("display/min_severity"))

    jobs: Value[int | None] = Settings.jobs
    if cli.jobs is not None:
        jobs = Value(None if cli.jobs == "auto" else cli.jobs, flag("--jobs"))
    elif env.get(JOBS_ENV, "").strip():
        try:  # read here, not by click, so that config show names the variable and a bad value says whose it is
            jobs = Value(parse_jobs(env[JOBS_ENV]), Origin("environment", JOBS_ENV))
        except ValueError as exc:
            problems.append(Origin("environment", JOBS_ENV).problem(str(exc)))

    if problems:
        raise UsageError(problems)

    def from_file(name: str, default: Any) -> Value[Any]:
        value = getattr(config, name)
        return Value(value, key(name)) if name in config.model_fields_set else Value(default)

    # Every other key of the file (per-rule tables, limits, a plugin branch's key): listed as the file has it.
    file_only = {
        name: from_file(name, getattr(config, name)) for name in Config.model_fields if name not in _WITH_A_TWIN
    }
    method = config.scorecard.model_dump(mode="json", exclude={"min_level"})
    method_set = config.scorecard.model_fields_set - {"min_level"}  # the gate is shown as min_level
    file_only["scorecard"] = Value(method, key("scorecard")) if method_set else Value(method)
    return Settings(
        config=config,
        search=search,
        paths=paths,
        rule_paths=rule_paths,
        plugins=plugins,
        config_plugins=config_plugins,
        plugin_autoload=plugin_autoload,
        select=select,
        ignore=ignore,
        as_of=as_of,
        fail_on=fail_on,
        include_passed=include_passed,
        format=fmt,
        output=Value(cli.output, flag("--output"))
        if cli.output is not None
        else Value(None, Origin("default", "stdout")),
        reports=tuple(reports),
        gate=MappingProxyType(gate),
        waivers=waivers,
        baseline=baseline,
        debug=debug,
        progress=progress,
        show=show,
        limit=limit,
        layout=layout,
        min_severity=min_severity,
        jobs=jobs,
        notes=tuple(notes),
        file_only=MappingProxyType(file_only),
    )


#: Config keys with a command-line twin (shown above with their merged value), and ``source`` (not a key).
_WITH_A_TWIN = frozenset(
    {"paths", "rules", "plugins", "fail_on", "select", "ignore", "format", "include_passed", "waivers", "baseline"}
    | {"scorecard", "display", "source"}
)


def _progress(cli: CliOptions, env: Mapping[str, str], isatty: bool | Callable[[], bool]) -> Value[bool]:
    """The progress display: on when standard error is a terminal, unless a flag or the environment says no."""
    if cli.no_progress:
        return Value(False, Origin("command line", "--no-progress"))
    if cli.quiet:
        return Value(False, Origin("command line", "--quiet"))
    if env_switch(env, NO_PROGRESS_ENV):
        return Value(False, Origin("environment", NO_PROGRESS_ENV))
    if env.get("CI"):
        return Value(False, Origin("environment", "CI"))
    if env.get("TERM") == "dumb":
        return Value(False, Origin("environment", "TERM=dumb"))
    tty = isatty() if callable(isatty) else isatty
    return (
        Value(True, Origin("default", "standard error is a terminal"))
        if tty
        else Value(False, Origin("default", "standard error is not a terminal"))
    )


# ---------------------------------------------------------------------------------------------
# usage errors that need the registry but no evidence
# ---------------------------------------------------------------------------------------------


def selector_problems(registry: Registry, selectors: Iterable[Value[str]]) -> list[Problem]:
    """A problem for each selector that names no rule id, id prefix, area or tag, with a did-you-mean.

    What a selector matches, and what the problem says, is :func:`capcheck.core.rules.select_rules`' to
    say (one definition), asked one selector at a time; here each problem is placed at its origin."""
    from capcheck.core.rules import select_rules

    problems = []
    for v in selectors:
        try:
            select_rules(registry.rules, [v.value])
        except UsageError as exc:
            problems += [v.origin.problem(p.message) for p in exc.problems]
    return problems


def emptied_problems(registry: Registry, select: Sequence[Value[str]], ignore: Sequence[Value[str]]) -> list[Problem]:
    """When the ignores leave no rule of the selection to run, a problem at each ignore that removes some of them (a
    config's ``ignore`` can empty a selection the command line makes: the message must say where to look)."""
    from capcheck.core.rules import select_rules

    selected = {r.meta.id for r in select_rules(registry.rules, [v.value for v in select])}
    if not selected or not ignore:
        return []
    try:
        select_rules(registry.rules, [v.value for v in select], [v.value for v in ignore])
    except UsageError:
        chose = ", ".join(repr(v.value) for v in select) if select else "every rule"
        return [
            v.origin.problem(
                f"no rules left to run: ignoring {v.value!r} here, with the other ignores, removes every rule"
                f" selected ({chose})"
            )
            for v in ignore
            if selected & {r.meta.id for r in select_rules(registry.rules, [v.value])}
        ]
    return []


def gate_problems(registry: Registry, gate: Mapping[str, Value[int]]) -> list[Problem]:
    """A problem for each gate entry naming an area that does not exist."""
    areas = sorted(registry.areas)
    return [
        v.origin.problem(
            f"unknown area {area!r} in the scorecard gate{did_you_mean(area, areas)} (areas: {', '.join(areas)})"
        )
        for area, v in gate.items()
        if area != "*" and area not in registry.areas
    ]


def format_name(registry: Registry, name: str) -> str | None:
    """The registered format ``name`` names, in any case (``JSON`` is ``json``); None if none does."""
    if name in registry.reporters:
        return name
    folded = [known for known in registry.reporters if known.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def format_problems(registry: Registry, settings: Settings) -> list[Problem]:
    """A problem for the output format and each ``--report`` format that no reporter writes."""
    names = sorted(registry.reporters)
    problems = []
    if format_name(registry, settings.format.value) is None:
        hint = did_you_mean(settings.format.value, names)
        problems.append(
            settings.format.origin.problem(
                f"unknown format {shorten(settings.format.value)}{hint} (formats: {', '.join(names)})"
            )
        )
    for report in settings.reports:
        name = report.value[0]
        if format_name(registry, name) is None:
            hint = did_you_mean(name, names)
            problems.append(
                report.origin.problem(f"unknown report format {shorten(name)}{hint} (formats: {', '.join(names)})")
            )
    return problems


def rule_setting_problems(registry: Registry, config: Config) -> list[Problem]:
    """A problem for each ``[severity]``/``[options]`` entry naming an unknown rule, and each option a
    rule does not declare or of another type than its default."""
    problems: list[Problem] = []
    shown = display_path(config.source) if config.source else None
    prefix = config.pointer_prefix
    ids = sorted(registry.rules)
    for table in ("severity", "options"):
        for rule_id in getattr(config, table):
            if rule_id not in registry.rules:
                problems.append(
                    Problem(
                        f"unknown rule {rule_id!r}{did_you_mean(rule_id, ids)}",
                        path=shown,
                        pointer=f"{prefix}/{table}/{rule_id}",
                    )
                )
    for rule_id, values in config.options.items():
        r = registry.rules.get(rule_id)
        if r is None:
            continue
        for name, value in values.items():
            pointer = f"{prefix}/options/{rule_id}/{escape_token(name)}"
            cause = option_problem(r, name, value)
            if cause is not None:
                problems.append(Problem(cause, path=shown, pointer=pointer))
    return problems


def option_problem(r: Rule, name: str, value: Any) -> str | None:
    """Why ``value`` cannot be the option ``name`` of rule ``r``, or None when it can: an option the rule does
    not declare, a value of another type than its default (items of another type than the default's), or one
    the rule's own checks refuse (a declarative rule's operators'; a Python rule's ``option_checks``)."""
    declared = r.meta.options
    rule_id = r.meta.id
    if name not in declared:
        allowed = ", ".join(sorted(declared)) or "none"
        return f"rule {rule_id} has no option {shorten(name)}{did_you_mean(name, declared)} (options: {allowed})"
    default = declared[name]
    if not same_type(default, value):
        return f"option {shorten(name)} of {rule_id} must be {_type_words(default)}, like its default {default!r}"
    item = _item_problem(default, value)
    if item is not None:
        return f"option {shorten(name)} of {rule_id}: {item}, like its default {default!r}"
    refused = r.option_problems(name, value)
    if refused:
        return f"option {shorten(name)} of {rule_id}: {'; '.join(refused)}"
    if name not in r.option_checks and _is_duration(default) and not _is_duration(value):
        # a string, as its default is, but not a duration: it made the rule an error finding at run time
        return (
            f"option {shorten(name)} of {rule_id} must be a duration (Nd, Nw, Nm or Ny), like its "
            f"default {default!r}, not {shorten(value)}"
        )
    return None


def _type_words(default: Any) -> str:
    """The JSON type of an option's default, in words: ``int``, ``float``, ``str``, ``list`` ..."""
    return type(default).__name__


def _item_problem(default: Any, value: Any) -> str | None:
    """When a list (or table) default's items are all of one type, an item of ``value`` of another: why."""
    if isinstance(default, list) and isinstance(value, list):
        items = [(str(n), v) for n, v in enumerate(value)]
        kinds = list(default)
        what = "item"
    elif isinstance(default, dict) and isinstance(value, dict):
        items = [(repr(k), v) for k, v in value.items()]
        kinds = list(default.values())
        what = "value"
    else:
        return None
    if not kinds or not all(same_type(kinds[0], k) and same_type(k, kinds[0]) for k in kinds):
        return None  # an empty default, or one of mixed types: nothing to go by
    for at, v in items:
        if not same_type(kinds[0], v):
            return f"{what} {at} must be {_type_words(kinds[0])}, not {shorten(v)}"
    return None


def reference_problems(registry: Registry, config: Config) -> list[Problem]:
    """A problem for each name the config gives that nothing registered or bundled answers to, which would
    otherwise be found only when evidence is read (an unknown ``csv_kinds`` or ``[[mapping]]`` kind) or never
    (the scorecard's plausibility bounds of an unknown kind, a profile's expectation of an unknown criterion,
    an ``endoflife_products`` id the bundled snapshot does not have: each silently matched nothing)."""
    shown = display_path(config.source) if config.source else None
    prefix = config.pointer_prefix
    problems: list[Problem] = []

    def at(message: str, *keys: str | int) -> None:
        pointer = prefix + "".join(f"/{escape_token(k)}" for k in keys)
        problems.append(Problem(message, path=shown, pointer=pointer))

    kinds = sorted(registry.kinds)

    def kind_problem(kind: str) -> str:
        return f"unknown evidence kind {shorten(kind)}{did_you_mean(kind, kinds)} (see 'capcheck kinds')"

    for pattern, kind in config.csv_kinds.items():
        if kind not in registry.kinds:
            at(kind_problem(kind), "csv_kinds", pattern)
    for n, table in enumerate(config.mapping):  # compiled when the file was loaded: a table with a string kind
        mapped = table.get("kind")
        if isinstance(mapped, str) and mapped not in registry.kinds:
            at(kind_problem(mapped), "mapping", n, "kind")
    for org_type, bounds in config.scorecard.plausibility.items():
        for kind in bounds:
            if kind not in registry.kinds:
                at(kind_problem(kind), "scorecard", "plausibility", org_type, kind)
    profiles = config.scorecard.profiles
    criteria = {f"{f.id}:{c.id}" for f in registry.frameworks.values() for c in f.criteria} if profiles else set()
    for org_type, profile in profiles.items():
        for ref in profile.expect:
            if ref not in criteria:
                hint = did_you_mean(ref, sorted(criteria))
                at(
                    f"unknown criterion {shorten(ref)}{hint} (as framework:criterion; see 'capcheck frameworks')",
                    "scorecard",
                    "profiles",
                    org_type,
                    "expect",
                    ref,
                )
    if config.endoflife_products:
        from capcheck.builtins.lifecycle import snapshot

        data = snapshot()
        for name, product in config.endoflife_products.items():
            if product not in data.products:
                hint = did_you_mean(product, sorted(data.products))
                at(
                    f"{shorten(product)} is not a product of the bundled endoflife.date snapshot of {data.date}"
                    f"{hint}: assets named {shorten(name)} would match nothing",
                    "endoflife_products",
                    name,
                )
    return problems


def _is_duration(value: Any) -> bool:
    from capcheck.builtins.declarative.values import parse_duration

    try:
        parse_duration(value)
    except ValueError:
        return False
    return True


def same_type(default: Any, value: Any) -> bool:
    """Whether ``value`` may replace a rule option's ``default``: the same JSON type (any number for a number:
    a money threshold of 0 may be 2500.50; a whole number is the rule's own check, as ``max_days``')."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float)
    return type(default) is type(value)


def raise_problems(problems: Sequence[Problem], config: Config | None = None) -> None:
    """Raise the problems as one error: a :class:`ConfigError` when every one is in the config file,
    else a :class:`UsageError`. Those in ``config``'s file are given their line there."""
    if not problems:
        return
    if config is not None:
        problems = config.locate(problems)
    if all(p.path is not None for p in problems):
        raise ConfigError(problems)
    raise UsageError(problems)


def check_usage(registry: Registry, settings: Settings) -> None:
    """Every usage error that needs no evidence, all at once: selectors (the config's and the command
    line's), gate areas, per-rule settings, output and report formats.

    :raises UsageError: or :class:`ConfigError` when every problem is in the config file.
    """
    # The config's selection is checked even when --select replaces it: the file is wrong either way.
    replaced = [] if any(v.origin.source == "config" for v in settings.select) else settings.config.select
    shown = _shown(settings.config)
    prefix = settings.config.pointer_prefix
    replaced_values = [Value(s, Origin("config", f"{prefix}/select/{i}", shown)) for i, s in enumerate(replaced)]
    problems = selector_problems(registry, [*replaced_values, *settings.select, *settings.ignore])
    if not problems:
        problems += emptied_problems(registry, settings.select, settings.ignore)
    problems += gate_problems(registry, settings.gate)
    problems += rule_setting_problems(registry, settings.config)
    problems += reference_problems(registry, settings.config)
    problems += format_problems(registry, settings)
    raise_problems(problems, settings.config)


def _shown(config: Config) -> str | None:
    return display_path(config.source) if config.source is not None else None
