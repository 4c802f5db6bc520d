"""The effective settings: precedence (command line > environment > config file > default), each value's
origin, and the usage errors found before any evidence file is opened."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import capcheck.core.evidence
from capcheck.app.config import Config, ConfigSearch, DisplayConfig, load_config, search_config
from capcheck.app.runner import load_registry
from capcheck.app.settings import CliOptions, check_usage, resolve_settings
from capcheck.core.errors import ConfigError, UsageError
from capcheck.core.models import Severity
from capcheck.core.reporting import DEFAULT_TEXT_LIMIT


def _config(workdir: Path, text: str) -> Config:
    (workdir / "capcheck.toml").write_text(text)
    return load_config(workdir / "capcheck.toml")


def test_defaults_have_the_default_origin() -> None:
    settings = resolve_settings(CliOptions(), Config(), environ={})
    assert settings.fail_on.value is Severity.LOW and str(settings.fail_on.origin) == "default"
    assert settings.format.value == "text" and settings.include_passed.value is False
    assert settings.as_of.value is None and str(settings.as_of.origin) == "default (today)"
    assert settings.select == () and settings.ignore == () and dict(settings.gate) == {}
    assert settings.waivers.value is None and settings.baseline.value is None
    assert settings.debug.value is False and settings.config_plugins.value is True


def test_the_config_file_beats_the_default_and_names_its_key(workdir: Path) -> None:
    config = _config(
        workdir,
        'fail_on = "high"\nformat = "json"\ninclude_passed = true\nselect = ["COMM"]\nignore = ["COMM-003"]\n'
        'waivers = "w.yaml"\npaths = ["evidence"]\n[scorecard]\nmin_level = { COMM = 3 }\n',
    )
    settings = resolve_settings(CliOptions(), config, environ={})
    assert settings.fail_on.value is Severity.HIGH and str(settings.fail_on.origin) == "capcheck.toml: /fail_on"
    assert settings.format.value == "json" and str(settings.format.origin) == "capcheck.toml: /format"
    assert settings.include_passed.value is True
    assert [(v.value, str(v.origin)) for v in settings.select] == [("COMM", "capcheck.toml: /select/0")]
    assert [(v.value, str(v.origin)) for v in settings.ignore] == [("COMM-003", "capcheck.toml: /ignore/0")]
    assert settings.gate["COMM"].value == 3
    assert str(settings.gate["COMM"].origin) == "capcheck.toml: /scorecard/min_level/COMM"
    assert settings.waivers.value == workdir / "w.yaml"  # relative to the file
    assert settings.paths.value == (workdir / "evidence",)


def test_the_command_line_beats_the_config_file(workdir: Path) -> None:
    config = _config(
        workdir,
        'fail_on = "high"\nformat = "json"\ninclude_passed = true\nselect = ["COMM"]\nignore = ["COMM-003"]\n'
        'paths = ["evidence"]\n[scorecard]\nmin_level = { COMM = 3, GOV = 2 }\n',
    )
    cli = CliOptions(
        paths=(Path("other"),),
        fail_on="CRITICAL",
        format="sarif",
        include_passed=False,
        select=("GOV",),
        ignore=("GOV-001",),
        min_levels=("comm=1", "4"),
        as_of="2025-04-01",
    )
    settings = resolve_settings(cli, config, environ={})
    assert settings.fail_on.value is Severity.CRITICAL and str(settings.fail_on.origin) == "--fail-on"
    assert settings.format.value == "sarif" and str(settings.format.origin) == "--format"
    assert settings.include_passed.value is False
    assert settings.paths.value == (Path("other"),)
    assert settings.as_of.value == date(2025, 4, 1)
    # --select replaces the config's selection; --ignore adds to the config's
    assert [v.value for v in settings.select] == ["GOV"]
    assert [(v.value, str(v.origin)) for v in settings.ignore] == [
        ("COMM-003", "capcheck.toml: /ignore/0"),
        ("GOV-001", "--ignore"),
    ]
    # --min-level replaces the config's gate area by area
    assert {a: (v.value, str(v.origin)) for a, v in settings.gate.items()} == {
        "COMM": (1, "--min-level"),
        "GOV": (2, "capcheck.toml: /scorecard/min_level/GOV"),
        "*": (4, "--min-level"),
    }
    request = settings.request()
    assert request.select == ("GOV",) and request.ignore == ("COMM-003", "GOV-001")
    assert request.fail_on is Severity.CRITICAL and request.min_level == {"COMM": 1, "GOV": 2, "*": 4}


def test_fail_on_never_is_none(workdir: Path) -> None:
    config = _config(workdir, 'fail_on = "never"\n')
    assert resolve_settings(CliOptions(), config, environ={}).request().fail_on is None
    assert resolve_settings(CliOptions(fail_on="medium"), config, environ={}).fail_on.value is Severity.MEDIUM


def test_baseline_precedence(workdir: Path) -> None:
    config = _config(workdir, 'baseline = "base.json"\n')
    missing = resolve_settings(CliOptions(), config, environ={})
    assert missing.baseline.value is None and "does not exist yet" in missing.notes[0]
    (workdir / "base.json").write_text("{}")
    assert resolve_settings(CliOptions(), config, environ={}).baseline.value == workdir / "base.json"
    off = resolve_settings(CliOptions(no_baseline=True), config, environ={})
    assert off.baseline.value is None and str(off.baseline.origin) == "--no-baseline"
    named = resolve_settings(CliOptions(baseline=Path("other.json")), config, environ={})
    assert named.baseline.value == Path("other.json") and str(named.baseline.origin) == "--baseline"
    with pytest.raises(UsageError, match="contradict"):
        resolve_settings(CliOptions(baseline=Path("x.json"), no_baseline=True), config, environ={})


def test_the_environment_sits_between_the_command_line_and_the_default() -> None:
    env = {"CAPCHECK_DEBUG": "1", "CAPCHECK_NO_CONFIG_PLUGINS": "yes"}
    settings = resolve_settings(CliOptions(), Config(), environ=env)
    assert settings.debug.value is True and str(settings.debug.origin) == "CAPCHECK_DEBUG"
    assert (
        settings.config_plugins.value is False and str(settings.config_plugins.origin) == "CAPCHECK_NO_CONFIG_PLUGINS"
    )
    flagged = resolve_settings(CliOptions(debug=True, no_config_plugins=True), Config(), environ=env)
    assert str(flagged.debug.origin) == "--debug" and str(flagged.config_plugins.origin) == "--no-config-plugins"
    assert resolve_settings(CliOptions(), Config(), environ={"CAPCHECK_NO_CONFIG_PLUGINS": "off"}).config_plugins.value


@pytest.mark.parametrize(
    ("cli", "env", "jobs", "origin"),
    [
        (CliOptions(), {}, None, "default (auto)"),
        (CliOptions(), {"CAPCHECK_JOBS": "2"}, 2, "CAPCHECK_JOBS"),  # was named '--jobs' by config show
        (CliOptions(), {"CAPCHECK_JOBS": " Auto "}, None, "CAPCHECK_JOBS"),
        (CliOptions(), {"CAPCHECK_JOBS": ""}, None, "default (auto)"),
        (CliOptions(jobs=3), {"CAPCHECK_JOBS": "2"}, 3, "--jobs"),
        (CliOptions(jobs="auto"), {"CAPCHECK_JOBS": "2"}, None, "--jobs"),  # --jobs auto beats the variable
    ],
)
def test_the_processes_setting(cli: CliOptions, env: dict[str, str], jobs: int | None, origin: str) -> None:
    settings = resolve_settings(cli, Config(), environ=env)
    assert (settings.jobs.value, str(settings.jobs.origin)) == (jobs, origin)
    assert settings.request().jobs == jobs


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "\u0662"])
def test_a_bad_jobs_variable_is_a_usage_error_naming_the_variable(value: str) -> None:
    """It was click's "Invalid value for '--jobs'", naming an option nobody gave."""
    with pytest.raises(UsageError) as raised:
        resolve_settings(CliOptions(), Config(), environ={"CAPCHECK_JOBS": value})
    assert [str(p) for p in raised.value.problems] == [
        f"CAPCHECK_JOBS: {value!r} is not a number of processes (1, 2 ...) or 'auto'"
    ]


def test_config_show_names_the_jobs_variable_and_check_refuses_a_bad_one(run_cli, workdir: Path) -> None:
    shown = run_cli("config", "show", "--format", "json", env={"CAPCHECK_JOBS": "2"})
    assert json.loads(shown.stdout)["settings"]["jobs"] == {"value": 2, "origin": "CAPCHECK_JOBS"}
    refused = run_cli("check", "nothing/", env={"CAPCHECK_JOBS": "two"})
    assert refused.exit_code == 2 and "--jobs" not in refused.stderr
    assert refused.stderr == (
        "capcheck: usage error: 1 problem\n  CAPCHECK_JOBS: 'two' is not a number of processes (1, 2 ...) or 'auto'\n"
    )


@pytest.mark.parametrize(
    ("cli", "env", "tty", "on", "origin"),
    [
        (CliOptions(), {}, True, True, "default (standard error is a terminal)"),
        (CliOptions(), {}, False, False, "default (standard error is not a terminal)"),
        (CliOptions(no_progress=True), {}, True, False, "--no-progress"),
        (CliOptions(quiet=True), {}, True, False, "--quiet"),
        (CliOptions(), {"CAPCHECK_NO_PROGRESS": "1"}, True, False, "CAPCHECK_NO_PROGRESS"),
        (CliOptions(), {"CAPCHECK_NO_PROGRESS": "0"}, True, True, "default (standard error is a terminal)"),
        (CliOptions(), {"CI": "true"}, True, False, "CI"),
        (CliOptions(), {"TERM": "dumb"}, True, False, "TERM=dumb"),
        (CliOptions(), {"TERM": "xterm-256color"}, True, True, "default (standard error is a terminal)"),
    ],
)
def test_the_progress_display_setting(cli: CliOptions, env: dict[str, str], tty: bool, on: bool, origin: str) -> None:
    settings = resolve_settings(cli, Config(), environ=env, stderr_isatty=tty)
    assert settings.progress.value is on and str(settings.progress.origin) == origin


@pytest.mark.parametrize(
    ("cli", "message"),
    [
        (CliOptions(as_of="2025-02-30"), "--as-of must be a date as YYYY-MM-DD, not '2025-02-30'"),
        (CliOptions(min_levels=("COMM=9",)), "--min-level takes N or AREA=N with N from 1 to 5, not 'COMM=9'"),
        (CliOptions(reports=("x.json",)), "--report takes FORMAT=PATH, not 'x.json'"),
    ],
)
def test_malformed_options_are_usage_errors(cli: CliOptions, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        resolve_settings(cli, Config(), environ={})
    assert [str(p) for p in raised.value.problems] == [message]


def test_the_config_search_says_why_there_is_no_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    (repo / ".git").mkdir()
    (tmp_path / "capcheck.toml").write_text("")  # above the repository: not the project's
    search = search_config(repo / "sub")
    assert search.found is None and search.repository_root == repo.resolve()
    assert search.looked_in == ((repo / "sub").resolve(), repo.resolve())
    assert "up to the repository root" in search.explanation and "the search stops there" in search.explanation
    (repo / "capcheck.toml").write_text("")
    assert search_config(repo / "sub").found == repo.resolve() / "capcheck.toml"
    assert ConfigSearch(Path("x.toml"), named=True).explanation == "named with --config"


# --- usage errors before any evidence is read -----------------------------------------------------------------


@pytest.fixture
def evidence_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every evidence path the reader walks or opens, recorded: a usage error must leave this empty."""
    seen: list[str] = []
    real_find, real_read = capcheck.core.evidence.find_evidence_files, capcheck.core.evidence._read

    def find(paths: Any, extensions: Any) -> Any:
        paths = list(paths)
        seen.extend(f"walk {p}" for p in paths)
        return real_find(paths, extensions)

    def read(path: Path, shown: str, max_bytes: int) -> Any:
        seen.append(f"read {shown}")
        return real_read(path, shown, max_bytes)

    monkeypatch.setattr(capcheck.core.evidence, "find_evidence_files", find)
    monkeypatch.setattr(capcheck.core.evidence, "_read", read)
    return seen


@pytest.fixture
def evidence(copy_fixture: Callable[..., Path]) -> Path:
    return copy_fixture("evidence/mixed", "evidence")


def test_a_good_check_reads_the_evidence(run_cli, evidence: Path, evidence_reads: list[str]) -> None:
    # The recorder sees the reads: the tests below that find it empty are not vacuous.
    result = run_cli("check", evidence, "--select", "COMM-004", "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    assert "walk evidence" in evidence_reads and "read evidence/supplier-contracts.json" in evidence_reads


@pytest.mark.parametrize(
    ("config", "args", "expected"),
    [
        ("", ["--select", "COMS"], "--select: unknown rule id, area or tag 'COMS' (did you mean 'COMM'?)"),
        ("", ["--ignore", "infra-0004"], "--ignore: unknown rule id, area or tag 'infra-0004' (did you mean"),
        (
            'select = ["GOVV"]\n',
            [],
            "capcheck.toml:1: /select/0: unknown rule id, area or tag 'GOVV' (did you mean 'GOV'?)",
        ),
        ('ignore = ["x", "COMM"]\n', [], "capcheck.toml:1: /ignore/0: unknown rule id, area or tag 'x'"),
        # a config selection the command line replaces is still checked: the file is wrong either way
        ('select = ["GOVV"]\n', ["--select", "GOV"], "capcheck.toml:1: /select/0: unknown rule id, area or tag 'GOVV'"),
        (
            "",
            ["--min-level", "COMS=2"],
            "--min-level: unknown area 'COMS' in the scorecard gate (did you mean 'COMM'?)",
        ),
        (
            "[scorecard]\nmin_level = { NOPE = 2 }\n",
            [],
            "capcheck.toml:2: /scorecard/min_level/NOPE: unknown area 'NOPE' in the scorecard gate (areas: ",
        ),
        ('[options."COMM-999"]\nx = 1\n', [], "capcheck.toml:1: /options/COMM-999: unknown rule 'COMM-999'"),
        (
            '[options."INFRA-004"]\nmax_dayz = 1\n',
            [],
            "rule INFRA-004 has no option 'max_dayz' (did you mean 'max_days'?)",
        ),
        ("", ["--format", "jsn"], "--format: unknown format 'jsn' (did you mean 'json'?)"),
        ('format = "yaml"\n', [], "capcheck.toml:1: /format: unknown format 'yaml'"),
        ("", ["--report", "sarf=x.sarif"], "--report: unknown report format 'sarf' (did you mean 'sarif'?)"),
        ("", ["--as-of", "2025-13-01"], "--as-of must be a date as YYYY-MM-DD"),
        ("", ["-o", "evidence/out.json"], "--output is inside the evidence directory evidence"),
        ("", ["--report", "json=evidence/supplier-contracts.json"], "would overwrite an input of this check"),
        ("", ["--waivers", "missing.yaml"], "missing.yaml"),
        ("", ["--baseline", "missing.json"], "missing.json"),
        ('waivers = "w.yaml"\n', [], "w.yaml"),
    ],
)
def test_usage_errors_stop_the_run_before_evidence_is_read(
    run_cli, workdir: Path, evidence: Path, evidence_reads: list[str], config: str, args: list[str], expected: str
) -> None:
    if config:
        (workdir / "capcheck.toml").write_text(config)
    result = run_cli("check", evidence, *args)
    assert result.exit_code == 2
    assert expected in result.stderr, result.stderr
    assert "internal error" not in result.stderr
    assert evidence_reads == []


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        # a Python rule's declared option checks (the pack's), and a number where a whole one is meant
        (
            '[options."INFRA-004"]\nmax_days = -1\n',
            "capcheck.toml:2: /options/INFRA-004/max_days: option 'max_days' of INFRA-004: must be at least 0, not -1",
        ),
        (
            '\n[options."INFRA-004"]\nmax_days = 2.5\n',
            "capcheck.toml:3: /options/INFRA-004/max_days: option 'max_days' of INFRA-004: must be a whole number, "
            "not 2.5",
        ),
        (
            '[options."INFRA-003"]\nmin_assets = 3\nmax_ratio = 1.0001\n',
            "capcheck.toml:3: /options/INFRA-003/max_ratio: option 'max_ratio' of INFRA-003: must be from 0 to 1, "
            "not 1.0001",
        ),
        (
            '[options."COMM-004"]\ngbp_rates = { USD = 0.79, EUR = "0.85" }\n',
            "capcheck.toml:2: /options/COMM-004/gbp_rates: option 'gbp_rates' of COMM-004: the rate of 'EUR' must "
            "be a number above 0 (GBP per EUR), not '0.85'",
        ),
        (
            '[options."CYBER-001"]\nseverities = ["high", "crit"]\n',
            "capcheck.toml:2: /options/CYBER-001/severities: option 'severities' of CYBER-001: 'crit' is not one "
            "of low, medium, high, critical",
        ),
        (  # was an error finding when the rule ran (and a rule case expecting one: now refused before)
            '[options."INNOV-003"]\nfunded_from = "production"\n',
            "capcheck.toml:2: /options/INNOV-003/funded_from: option 'funded_from' of INNOV-003: must be one of idea, "
            "discovery, alpha, beta, live, adopted, not 'production'",
        ),
        (
            '[options."CULT-004"]\ncourse_pattern = "(?i)data (security"\n',
            "capcheck.toml:2: /options/CULT-004/course_pattern: option 'course_pattern' of CULT-004: '(?i)data "
            "(security' is not a regular expression RE2 compiles: missing ): (?i)data (security",
        ),
        # a list's items keep the type of the default's items
        (
            '[options."COMM-004"]\nstatuses = ["active", 3]\n',
            "capcheck.toml:2: /options/COMM-004/statuses: option 'statuses' of COMM-004: item 1 must be str, not 3, "
            "like its default ['active', 'pipeline']",
        ),
        # a declarative rule's value passes its operators' own conversion (an aggregate ratio limit here)
        (
            '[options."INFRA-002"]\nmax_ratio = 1.5\n',
            "capcheck.toml:2: /options/INFRA-002/max_ratio: option 'max_ratio' of INFRA-002: a ratio limit is "
            "between 0 and 1 (0.1 is 10%), not 1.5",
        ),
        # names nothing registered or bundled answers to
        (
            'paths = ["x"]\ncsv_kinds = { "cmdb-*.csv" = "it-asset" }\n',
            "capcheck.toml:2: /csv_kinds/cmdb-*.csv: unknown evidence kind 'it-asset' (did you mean 'it-assets'?) "
            "(see 'capcheck kinds')",
        ),
        (
            '[[mapping]]\nfiles = "*.xlsx"\nkind = "it-asset"\nid = "Ref"\n',
            "capcheck.toml:3: /mapping/0/kind: unknown evidence kind 'it-asset' (did you mean 'it-assets'?) "
            "(see 'capcheck kinds')",
        ),
        (
            "[scorecard.plausibility.trust]\nit-asets = { min = 50 }\n",
            "capcheck.toml:2: /scorecard/plausibility/trust/it-asets: unknown evidence kind 'it-asets' (did you "
            "mean 'it-assets'?) (see 'capcheck kinds')",
        ),
        (
            '[scorecard.profiles.trust]\nexpect = { "caf-4.0:A1.a" = "achieved", "caf-4:B4.d" = "achieved" }\n',
            "capcheck.toml:2: /scorecard/profiles/trust/expect/caf-4:B4.d: unknown criterion 'caf-4:B4.d' (did you "
            "mean 'caf-4.0:B4.d'?) (as framework:criterion; see 'capcheck frameworks')",
        ),
        (
            '[endoflife_products]\n"Windows 2019 Std" = "windows-server"\n"Ubuntu LTS" = "ubunt"\n',
            "capcheck.toml:3: /endoflife_products/Ubuntu LTS: 'ubunt' is not a product of the bundled endoflife.date "
            "snapshot of ",
        ),
    ],
)
def test_late_config_values_stop_the_run_before_evidence_is_read(
    run_cli, workdir: Path, evidence: Path, evidence_reads: list[str], config: str, expected: str
) -> None:
    """Each of these was found only when evidence was read (an unknown csv_kinds or mapping kind), when the rule
    ran, or never (a value that silently matched nothing): now a config error with its line, before any read."""
    (workdir / "capcheck.toml").write_text(config)
    result = run_cli("check", evidence, "--as-of", "2025-04-01")
    assert result.exit_code == 2
    assert result.stderr.startswith("capcheck: config error: 1 problem\n  " + expected), result.stderr
    assert evidence_reads == []


def test_a_config_plugin_or_rule_path_that_does_not_exist_is_located_in_the_config(
    run_cli, workdir: Path, evidence: Path, evidence_reads: list[str]
) -> None:
    (workdir / "capcheck.toml").write_text('plugins = ["./gone.py"]\nrules = [\n  "rules",\n  "missing/dir",\n]\n')
    (workdir / "rules").mkdir()
    result = run_cli("check", evidence)
    assert result.exit_code == 2
    assert result.stderr == (
        "capcheck: config error: 2 problems\n"
        "  capcheck.toml:1: /plugins/0: no such plugin file or directory: gone.py\n"
        "  capcheck.toml:4: /rules/1: no such rule file or directory: missing/dir\n"
    )
    assert evidence_reads == []


def test_option_values_on_their_bounds_are_accepted(run_cli, workdir: Path, evidence: Path) -> None:
    """The other side of each bound above: the same keys with values the rules can use run the check."""
    (workdir / "capcheck.toml").write_text(
        'csv_kinds = { "cmdb-*.csv" = "it-assets" }\n'
        '[options."INFRA-004"]\nmax_days = 0\n[options."INFRA-003"]\nmax_ratio = 1\n'
        '[options."INFRA-002"]\nmax_ratio = 1.0\n[options."COMM-004"]\ngbp_rates = { USD = 0.79 }\n'
        'statuses = ["active"]\n[options."CYBER-001"]\nseverities = ["low", "critical"]\n'
        '[endoflife_products]\n"Windows 2019 Std" = "windows-server"\n'
        '[scorecard.profiles.trust]\nexpect = { "caf-4.0:B4.d" = "achieved" }\n'
        "[scorecard.plausibility.trust]\nit-assets = { min = 50 }\n"
    )
    result = run_cli("check", evidence, "--as-of", "2025-04-01", "--fail-on", "never")
    assert result.exit_code == 0, result.stderr


def test_the_api_refuses_an_option_value_before_evidence_is_read(evidence: Path, evidence_reads: list[str]) -> None:
    """run_check (the library's entry, without the CLI's check_usage) refuses the same values, located."""
    from capcheck.app.runner import CheckRequest, run_check

    path = Path("capcheck.toml")
    path.write_text('fail_on = "high"\n\n[options."INFRA-004"]\nmax_days = -3\n')
    with pytest.raises(ConfigError) as info:
        run_check(CheckRequest(paths=(evidence,), config=load_config(path)))
    assert [str(p) for p in info.value.problems] == [
        "capcheck.toml:4: /options/INFRA-004/max_days: option 'max_days' of INFRA-004: must be at least 0, not -3"
    ]
    assert evidence_reads == []


def test_every_usage_problem_is_reported_at_once(
    run_cli, workdir: Path, evidence: Path, evidence_reads: list[str]
) -> None:
    (workdir / "capcheck.toml").write_text('select = ["NOPE"]\n[options."COMM-999"]\nx = 1\n')
    result = run_cli("check", evidence, "--ignore", "ZZZ", "--min-level", "QQQ=2", "-f", "yaml")
    assert result.exit_code == 2 and result.stderr.startswith("capcheck: usage error: 5 problems\n")
    assert evidence_reads == []


def test_config_problems_alone_are_a_config_error(run_cli, workdir: Path, evidence: Path) -> None:
    (workdir / "capcheck.toml").write_text('select = ["NOPE"]\n')
    result = run_cli("check", evidence)
    assert result.exit_code == 2 and result.stderr.startswith("capcheck: config error: 1 problem\n")


def test_baseline_create_and_frameworks_check_usage_before_evidence(
    run_cli, evidence: Path, evidence_reads: list[str]
) -> None:
    made = run_cli("baseline", "create", evidence, "--select", "COMS")
    assert made.exit_code == 2 and "--select: unknown rule id, area or tag 'COMS'" in made.stderr
    judged = run_cli("frameworks", "caf", "--evidence", evidence, "--as-of", "someday")
    assert judged.exit_code == 2 and "--as-of must be a date" in judged.stderr
    assert evidence_reads == []


def test_check_usage_against_the_registry_directly() -> None:
    registry = load_registry(Config())
    check_usage(registry, resolve_settings(CliOptions(select=("comm", "INFRA-00")), Config(), environ={}))
    with pytest.raises(ConfigError):
        check_usage(registry, resolve_settings(CliOptions(), Config(select=["QQ"], source=Path("c.toml")), environ={}))


@pytest.mark.parametrize(
    ("cli", "config", "where"),
    [
        (CliOptions(select=("CYBER-001",)), Config(ignore=["CYBER"], source=Path("c.toml")), ("c.toml", "/ignore/0")),
        (CliOptions(select=("CYBER-001",), ignore=("CYBER-00",)), Config(source=Path("c.toml")), (None, None)),
    ],
    ids=["the config's ignore", "the command line's"],
)
def test_ignores_that_leave_no_rule_are_named_where_they_are(
    cli: CliOptions, config: Config, where: tuple[str | None, str | None]
) -> None:
    """A config's ignore can empty a selection the command line makes: the message says which ignore, and where."""
    registry = load_registry(Config())
    with pytest.raises((ConfigError, UsageError)) as raised:
        check_usage(registry, resolve_settings(cli, config, environ={}))
    [problem] = raised.value.problems
    assert (problem.path, problem.pointer) == where
    assert "no rules left to run" in problem.message and "'CYBER-001'" in problem.message
    if where[0] is None:
        assert problem.message.startswith("--ignore: ")


# --- config show ------------------------------------------------------------------------------------------------


def test_config_show_text_names_each_origin(run_cli, workdir: Path) -> None:
    (workdir / ".git").mkdir()
    (workdir / "capcheck.toml").write_text('fail_on = "high"\nselect = ["COMM"]\n[scorecard]\nmin_coverage = 0.6\n')
    result = run_cli("config", "show", "--ignore", "COMM-003", "--format", "TEXT")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "config file: capcheck.toml (found searching upwards from .)"
    rows = {line.split()[0]: line for line in lines[2:] if line and not line.startswith(("plugins", "  ", "rules"))}
    assert rows["fail_on"].endswith('"high"  [capcheck.toml: /fail_on]')
    assert rows["select"].endswith('["COMM"]  [capcheck.toml: /select]')
    assert rows["ignore"].endswith('["COMM-003"]  [--ignore]')
    assert rows["format"].endswith('"text"  [default]')
    assert '"min_coverage": 0.6' in rows["scorecard"] and rows["scorecard"].endswith("[capcheck.toml: /scorecard]")
    selected = [line for line in lines if line.startswith("rules selected: ")]
    assert selected and not selected[0].startswith("rules selected: 0 ")


def test_config_show_json_and_no_config_file(run_cli, workdir: Path) -> None:
    (workdir / ".git").mkdir()
    result = run_cli("config", "show", "-f", "json", "--fail-on", "never", "--plugin", "nonexistent_xyz_mod")
    assert result.exit_code == 2  # the plugin cannot be loaded: as check would say
    result = run_cli("config", "show", "-f", "json", "--fail-on", "never", "--select", "GOV-002")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["config_file"]["path"] is None
    assert "up to the repository root . (the search stops there)" in doc["config_file"]["how"]
    assert doc["settings"]["fail_on"] == {"value": None, "origin": "--fail-on"}
    assert doc["rules"]["selected"] == ["GOV-002"]
    assert all(p["origin"] == "builtin" for p in doc["plugins"])


def test_config_show_reports_usage_errors_as_check_does(run_cli, workdir: Path) -> None:
    result = run_cli("config", "show", "--select", "COMS")
    assert result.exit_code == 2 and "--select: unknown rule id, area or tag 'COMS'" in result.stderr


def test_config_show_notes_a_baseline_not_created_yet(run_cli, workdir: Path) -> None:
    (workdir / "capcheck.toml").write_text('baseline = "b.json"\n')
    result = run_cli("config", "show")
    assert "note: the config's baseline b.json does not exist yet" in result.stdout
    assert re.search(r"^baseline +null  \[capcheck.toml: /baseline \(not created yet\)\]$", result.stdout, re.M)


def test_config_show_under_no_config_plugins_lists_them_unloaded(run_cli, workdir: Path) -> None:
    # An untrusted checkout's settings can be read without running its code.
    (workdir / "evil.py").write_text("raise SystemExit('the plugin ran')\n")
    (workdir / "capcheck.toml").write_text('plugins = ["./evil.py"]\n')
    result = run_cli("config", "show", "--no-config-plugins")
    assert result.exit_code == 0, result.stderr
    assert "  not loaded (--no-config-plugins; check would stop): ./evil.py" in result.stdout
    assert "the plugin ran" not in result.stdout + result.stderr
    doc = json.loads(run_cli("config", "show", "-f", "json", "--no-config-plugins").stdout)
    assert doc["config_plugins_not_loaded"] == ["./evil.py"]
    assert doc["settings"]["config_plugins"] == {"value": False, "origin": "--no-config-plugins"}
    assert run_cli("check", ".", "--no-config-plugins").exit_code == 2  # as the note says


def test_pyproject_problems_name_the_tool_table(
    run_cli, workdir: Path, evidence: Path, evidence_reads: list[str]
) -> None:
    (workdir / "pyproject.toml").write_text(
        '[tool.capcheck]\nselect = ["GOVV"]\n[tool.capcheck.scorecard]\nmin_level = {X = 2}\n'
    )
    result = run_cli("check", evidence)
    assert result.exit_code == 2 and result.stderr.startswith("capcheck: config error: 2 problems\n")
    assert "pyproject.toml:2: /tool/capcheck/select/0: unknown rule id, area or tag 'GOVV'" in result.stderr
    assert "pyproject.toml:4: /tool/capcheck/scorecard/min_level/X: unknown area 'X'" in result.stderr
    assert evidence_reads == []


def test_config_show_names_an_environment_origin(run_cli, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPCHECK_DEBUG", "1")
    monkeypatch.setenv("CAPCHECK_NO_PROGRESS", "1")
    doc = json.loads(run_cli("config", "show", "-f", "json").stdout)
    assert doc["settings"]["debug"] == {"value": True, "origin": "CAPCHECK_DEBUG"}
    assert doc["settings"]["progress"] == {"value": False, "origin": "CAPCHECK_NO_PROGRESS"}


def test_config_show_names_where_plugin_autoload_was_turned_off(run_cli, workdir: Path, monkeypatch) -> None:
    doc = json.loads(run_cli("--no-plugin-autoload", "config", "show", "-f", "json").stdout)
    assert doc["settings"]["plugin_autoload"] == {"value": False, "origin": "capcheck --no-plugin-autoload"}
    monkeypatch.setenv("CAPCHECK_DISABLE_PLUGIN_AUTOLOAD", "1")
    doc = json.loads(run_cli("config", "show", "-f", "json").stdout)
    assert doc["settings"]["plugin_autoload"] == {"value": False, "origin": "CAPCHECK_DISABLE_PLUGIN_AUTOLOAD"}
    monkeypatch.delenv("CAPCHECK_DISABLE_PLUGIN_AUTOLOAD")
    doc = json.loads(run_cli("config", "show", "-f", "json").stdout)
    assert doc["settings"]["plugin_autoload"] == {"value": True, "origin": "default"}


def test_config_show_lists_every_config_key() -> None:
    # A key added to Config later shows up in config show without anyone remembering to add it.
    names = {name for name, _, _ in resolve_settings(CliOptions(), Config(), environ={}).rows()}
    keys = set(Config.model_fields) - {"source", "display"}  # [display]'s keys are rows of their own
    assert keys <= names and "min_level" in names
    assert set(DisplayConfig.model_fields) <= names


# --- [display]: the text report's show and limit ------------------------------------------------------------------


def test_display_settings_precedence(workdir: Path) -> None:
    default = resolve_settings(CliOptions(), Config(), environ={})
    assert default.show.value is None and default.limit.value == DEFAULT_TEXT_LIMIT
    assert str(default.limit.origin) == "default"
    config = _config(workdir, '[display]\nshow = ["FAIL", "waived"]\nlimit = 0\n')
    from_file = resolve_settings(CliOptions(), config, environ={})
    assert from_file.show.value == {"fail", "waived"} and str(from_file.show.origin) == "capcheck.toml: /display/show"
    assert from_file.limit.value == 0 and str(from_file.limit.origin) == "capcheck.toml: /display/limit"
    given = resolve_settings(CliOptions(show=frozenset({"skip"}), limit=2), config, environ={})
    assert given.show.value == {"skip"} and str(given.show.origin) == "--show"
    assert given.limit.value == 2 and str(given.limit.origin) == "--limit"


def test_layout_and_min_severity_precedence(workdir: Path) -> None:
    default = resolve_settings(CliOptions(), Config(), environ={})
    assert default.layout.value == "grouped" and default.min_severity.value is None
    config = _config(workdir, '[display]\nlayout = "compact"\nmin_severity = "high"\n')
    from_file = resolve_settings(CliOptions(), config, environ={})
    assert from_file.layout.value == "compact" and str(from_file.layout.origin) == "capcheck.toml: /display/layout"
    assert from_file.min_severity.value is Severity.HIGH
    assert str(from_file.min_severity.origin) == "capcheck.toml: /display/min_severity"
    quiet = resolve_settings(CliOptions(quiet=True, compact=True, min_severity=Severity.LOW), config, environ={})
    assert quiet.layout.value == "quiet" and str(quiet.layout.origin) == "--quiet"  # --quiet over --compact
    assert quiet.min_severity.value is Severity.LOW and str(quiet.min_severity.origin) == "--min-severity"
    compact = resolve_settings(CliOptions(compact=True), _config(workdir, '[display]\nlayout = "quiet"\n'), environ={})
    assert compact.layout.value == "compact" and str(compact.layout.origin) == "--compact"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[display]\nshow = ["fail", "nope"]\n', "capcheck.toml:2: /display/show: 'nope' is not one of"),
        ("[display]\nshow = []\n", "capcheck.toml:2: /display/show: nothing is not one of"),
        ('[display]\nshow = "fail"\n', "capcheck.toml:2: /display/show: Input should be a valid array, not 'fail'"),
        ("[display]\nlimit = -1\n", "capcheck.toml:2: /display/limit: Input should be greater than or equal to 0"),
        ('[display]\nlimit = "3"\n', "capcheck.toml:2: /display/limit: Input should be a valid integer"),
        (
            "[display]\nlimt = 3\n",
            "/display/limt: unknown key (did you mean 'limit'?) (allowed: layout, limit, min_severity, show)",
        ),
        ('[display]\nlayout = "tiny"\n', "/display/layout: Input should be 'grouped', 'compact' or 'quiet'"),
        ('[display]\nmin_severity = "severe"\n', "/display/min_severity: Input should be 'info', 'low',"),
        ("[scorecard]\nfoo = 1\n", "capcheck.toml:2: /scorecard/foo: unknown key (allowed: achieved_shares,"),
    ],
)
def test_a_bad_display_table_is_a_config_error(run_cli, workdir: Path, evidence: Path, text: str, problem: str) -> None:
    (workdir / "capcheck.toml").write_text(text)
    result = run_cli("check", evidence)
    assert result.exit_code == 2 and result.stdout == ""
    assert problem in result.stderr


def test_the_config_display_table_shapes_the_text_report_and_the_flags_win(
    run_cli, workdir: Path, copy_fixture: Callable[..., Path]
) -> None:
    (workdir / ".git").mkdir()
    evidence = copy_fixture("evidence/mixed", "evidence")
    args = ("check", evidence, "--as-of", "2025-04-01", "--no-progress")
    default = run_cli(*args)
    assert default.exit_code == 1 and "more rules (--limit N details more" in default.stdout

    (workdir / "capcheck.toml").write_text("[display]\nlimit = 0\n")
    every = run_cli(*args)
    assert every.exit_code == 1 and "more rules (--limit N" not in every.stdout
    assert every.stdout.count("\n    fix: ") > default.stdout.count("\n    fix: ")
    assert run_cli(*args, "--limit", "7").stdout == default.stdout  # the flag wins over the file

    def listed(stdout: str) -> list[str]:  # the compact layout's findings: "file:line: RULE severity [status] ..."
        return re.findall(r"^\S+: [A-Z]+-\d{3} \w+ (skip )?", stdout, re.M)

    assert {"", "skip "} <= set(listed(run_cli(*args, "--compact").stdout))
    (workdir / "capcheck.toml").write_text('[display]\nshow = ["skip"]\n')
    skips = run_cli(*args, "--compact")
    assert skips.exit_code == 1 and set(listed(skips.stdout)) == {"skip "}  # the failures are not listed
    assert "" in set(listed(run_cli(*args, "--compact", "--show", "fail").stdout))  # the flag wins

    # layout and min_severity: the file as the flags would, the flags winning
    (workdir / "capcheck.toml").unlink()
    compact_high, compact, quiet = (
        run_cli(*args, *flags).stdout for flags in (("--compact", "--min-severity", "high"), ("--compact",), ("-q",))
    )
    assert len(compact_high) < len(compact)  # the fixture has findings below high
    (workdir / "capcheck.toml").write_text('[display]\nlayout = "compact"\nmin_severity = "high"\n')
    from_file = run_cli(*args)
    assert from_file.exit_code == 1 and from_file.stdout == compact_high
    assert run_cli(*args, "--quiet").stdout == quiet
    assert run_cli(*args, "--min-severity", "info").stdout == compact

    (workdir / "capcheck.toml").write_text('[display]\nshow = ["skip"]\n')
    shown = run_cli("config", "show", "--limit", "3", "-f", "json")
    assert shown.exit_code == 0, shown.stderr
    settings = json.loads(shown.stdout)["settings"]
    assert settings["show"] == {"value": ["skip"], "origin": "capcheck.toml: /display/show"}
    assert settings["limit"] == {"value": 3, "origin": "--limit"}


def test_the_config_show_example_in_the_docs_is_what_it_prints(run_cli: Any, workdir: Path) -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text()
    block = re.search(r"```\n\$ capcheck config show --ignore COMM-003\n(.*?)```", doc, re.S)
    assert block, "docs/configuration.md lost its config show example"
    (workdir / ".git").mkdir()  # the search stops at the repository's root
    (workdir / "capcheck.toml").write_text('select = ["COMM"]\nfail_on = "high"\n')
    result = run_cli("config", "show", "--ignore", "COMM-003")
    assert result.exit_code == 0, result.stderr
    printed = result.stdout.splitlines()
    missing = [line for line in block.group(1).splitlines() if line != "..." and line not in printed]
    assert not missing, f"docs/configuration.md lines config show does not print: {missing}"
