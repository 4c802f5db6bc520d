"""Configuration: capcheck.toml or [tool.capcheck], found upwards, validated with file and pointer;
the CLI's options win over it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from capcheck.app.config import Config, find_config, load_config
from capcheck.core.errors import ConfigError
from capcheck.core.models import Severity, display_path

CONFIG = Path(__file__).parent / "fixtures" / "config"


def config_problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


# --- reading ----------------------------------------------------------------------------------------


def test_no_config_file_gives_the_defaults() -> None:
    config = load_config(None)
    assert config == Config()
    assert (config.paths, config.fail_on, config.max_file_mb, config.source) == ([], None, 1024, None)


def test_a_complete_capcheck_toml() -> None:
    config = load_config(CONFIG / "capcheck.toml")
    assert config.fail_on == "high"
    assert config.select == ["COMM-004", "INFRA"] and config.ignore == ["INFRA-003"]
    assert config.severity == {"COMM-004": Severity.CRITICAL}
    assert config.options == {"COMM-004": {"value_threshold": 50000}}
    assert config.csv_kinds == {"cmdb-*.csv": "it-assets"}
    assert config.max_file_mb == 16
    assert config.source == CONFIG / "capcheck.toml"
    assert config.resolve("evidence") == CONFIG / "evidence"  # relative to the file
    assert config.resolve("/abs/evidence") == Path("/abs/evidence")


def test_tool_capcheck_in_pyproject() -> None:
    config = load_config(CONFIG / "pyproject.toml")
    assert (config.fail_on, config.select) == ("critical", ["COMM-004"])
    assert config.options == {"COMM-004": {"statuses": ["active", "pipeline", "expired"]}}


def test_found_from_the_working_directory_upwards(tmp_path: Path) -> None:
    deep = tmp_path / "org" / "team" / "evidence"
    deep.mkdir(parents=True)
    outside = find_config(deep)
    assert outside is None or not outside.is_relative_to(tmp_path)
    (tmp_path / "org" / "capcheck.toml").write_text('fail_on = "high"\n')
    assert find_config(deep) == (tmp_path / "org" / "capcheck.toml").resolve()
    # A pyproject.toml without [tool.capcheck] is not a capcheck config: keep looking upwards.
    (tmp_path / "org" / "team" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_config(deep) == (tmp_path / "org" / "capcheck.toml").resolve()
    # One with [tool.capcheck] is, and it is nearer.
    (tmp_path / "org" / "team" / "pyproject.toml").write_text("[tool.capcheck]\nfail_on = 'low'\n")
    assert find_config(deep) == (tmp_path / "org" / "team" / "pyproject.toml").resolve()
    # In one directory, capcheck.toml wins over pyproject.toml.
    (tmp_path / "org" / "team" / "capcheck.toml").write_text("")
    assert find_config(deep) == (tmp_path / "org" / "team" / "capcheck.toml").resolve()


@pytest.mark.parametrize(("marker", "is_dir"), [(".git", True), (".git", False), (".hg", True)])
def test_the_search_stops_at_the_repository_root(tmp_path: Path, marker: str, is_dir: bool) -> None:
    """A config above the checkout (a home or shared directory) is not the project's: it could name
    plugins. ``.git`` is a file in a worktree or a submodule."""
    repo = tmp_path / "home" / "repo"
    deep = repo / "evidence" / "2026"
    deep.mkdir(parents=True)
    (tmp_path / "home" / "capcheck.toml").write_text('plugins = ["evil.py"]\n')
    assert find_config(deep) == (tmp_path / "home" / "capcheck.toml").resolve()  # no repository: found
    if is_dir:
        (repo / marker).mkdir()
    else:
        (repo / marker).write_text("gitdir: /elsewhere/.git/worktrees/repo\n")
    assert find_config(deep) is None
    assert find_config(repo) is None
    # One inside the repository is found, at its root or below it.
    (repo / "pyproject.toml").write_text("[tool.capcheck]\nfail_on = 'high'\n")
    assert find_config(deep) == (repo / "pyproject.toml").resolve()
    (repo / "evidence" / "capcheck.toml").write_text("")
    assert find_config(deep) == (repo / "evidence" / "capcheck.toml").resolve()


def test_a_config_above_the_repository_is_not_used_by_check(
    workdir: Path, copy_fixture: Callable[..., Path], check_argv, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "capcheck.toml").write_text('fail_on = "never"\nplugins = ["no-such-plugin.py"]\n')
    repo = workdir / "repo"
    (repo / ".git").mkdir(parents=True)
    copy_fixture("evidence/mixed", "repo/mixed")
    monkeypatch.chdir(repo)
    result = run_cli(*check_argv("mixed"))
    assert result.exit_code == 1, result.output  # the failures count: fail_on = "never" above is not read
    assert "no-such-plugin" not in result.output


def test_a_pyproject_on_the_way_up_that_does_not_mention_capcheck_is_passed_over_unparsed(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "pyproject.toml").write_bytes(b'[project]\nname = "caf\xe9"\n[tool.other\n')  # Latin-1, bad
    (tmp_path / "a" / "capcheck.toml").write_text("")
    assert find_config(tmp_path / "a" / "b") == (tmp_path / "a" / "capcheck.toml").resolve()


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (b"[tool.capcheck\n", ":1: malformed TOML: Expected ']' at the end of a table declaration"),
        (b'[tool.capcheck]\nfail_on = "caf\xe9"\n', ":2: not valid UTF-8 (byte 0xe9 at offset 30)"),
        (b"[tool.capcheck]\n" + b"\x00", ":2: a NUL byte at offset 16"),
    ],
)
def test_a_broken_pyproject_that_may_configure_capcheck_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, cause: str
) -> None:
    """Passing it over would run with other settings than the ones its author meant: say so instead."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_bytes(content)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        find_config(tmp_path / "a" / "b")
    assert str(info.value).startswith("a/pyproject.toml" + cause)


# --- invalid files -------------------------------------------------------------------------------------


def test_unknown_keys_are_named_with_the_allowed_ones() -> None:
    path = display_path(CONFIG / "unknown-key.toml")
    [problem] = config_problems(CONFIG / "unknown-key.toml")
    assert problem.startswith(f"{path}:2: /fail-on: unknown key (did you mean 'fail_on'?) (allowed: ")
    allowed = problem.split("(allowed: ")[1].rstrip(")").split(", ")
    assert {"csv_kinds", "fail_on", "options", "paths", "plugins", "rules", "select", "severity"} <= set(allowed)
    assert allowed == sorted(allowed) and "fail-on" not in allowed and "source" not in allowed


def test_pyproject_s_table_written_in_capcheck_toml_says_where_it_belongs(tmp_path: Path) -> None:
    # A new user copying the README's [tool.capcheck] example into capcheck.toml got only the list of allowed keys
    (tmp_path / "capcheck.toml").write_text('[tool.capcheck]\nfail_on = "high"\n')
    [problem] = config_problems(tmp_path / "capcheck.toml")
    assert (
        problem.endswith("; [tool.capcheck] belongs in pyproject.toml: here, write its keys at the top level")
        and ": /tool: unknown key (allowed: " in problem
    )
    (tmp_path / "capcheck.toml").write_text("[tools]\nx = 1\n")
    [other] = config_problems(tmp_path / "capcheck.toml")
    assert "belongs in" not in other


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[kinds.site-visits]\nfields = { a = { type = "string" } }\nrequird = ["a"]\n',
            "/kinds/site-visits/requird: unknown key (did you mean 'required'?) (allowed: fields, required)",
        ),
        (
            "[scorecard.plausibility.trust.it-assets]\nmni = 1\n",
            "/scorecard/plausibility/trust/it-assets/mni: unknown key (did you mean 'min'?) (allowed: max, min)",
        ),
    ],
)
def test_an_unknown_key_in_a_table_of_tables_lists_that_tables_keys(workdir: Path, text: str, expected: str) -> None:
    (workdir / "capcheck.toml").write_text(text)
    problems = config_problems(workdir / "capcheck.toml")
    assert f"capcheck.toml:{text.count(chr(10))}: {expected}" in problems


def test_bad_values_are_each_located() -> None:
    problems = config_problems(CONFIG / "bad-values.toml")
    pointers = sorted(p.split(": ")[1] for p in problems)
    assert pointers == ["/fail_on", "/include_passed", "/max_file_mb", "/select", "/severity/COMM-004"]
    assert any(
        "/fail_on: Input should be 'info', 'low', 'medium', 'high', 'critical' or 'never'" in p for p in problems
    )


def test_severity_keys_must_be_rule_ids() -> None:
    [problem] = config_problems(CONFIG / "not-a-rule-id.toml")
    assert problem.endswith("/severity: 'comm-4' is not a rule id (like COMM-001, or acme.CULT-101 for a plugin's)")


def test_malformed_toml_names_the_line() -> None:
    [problem] = config_problems(CONFIG / "malformed.toml")
    assert problem.startswith(f"{display_path(CONFIG / 'malformed.toml')}:3: malformed TOML: ")


def test_a_missing_config_file() -> None:
    assert config_problems(CONFIG / "nope.toml") == [f"{display_path(CONFIG / 'nope.toml')}: no such config file"]


def test_pointers_in_pyproject_start_at_tool_capcheck(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.capcheck]\nfail_on = 3\n")
    [problem] = config_problems(tmp_path / "pyproject.toml")
    assert ": /tool/capcheck/fail_on: " in problem


# --- through the CLI: discovery, precedence, and checks against the registry ---------------------------------


@pytest.fixture
def project(copy_fixture: Callable[..., Path], workdir: Path) -> Path:
    """A project: capcheck.toml, evidence/ (assets as cmdb-2025.csv, mapped by csv_kinds), and a subdirectory."""
    copy_fixture("config/capcheck.toml", "project/capcheck.toml")
    copy_fixture("evidence/mixed/supplier-contracts.json", "project/evidence/supplier-contracts.json")
    copy_fixture("evidence/mixed/it-assets.csv", "project/evidence/cmdb-2025.csv")
    (workdir / "project" / "docs").mkdir()
    return workdir / "project"


def test_the_config_is_found_and_applied(run_cli, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "docs")  # no paths given: the config's, relative to the config file
    result = run_cli("check", "--as-of", "2025-04-01", "--format", "json")
    doc = json.loads(result.stdout)
    rule_ids = [r["id"] for r in doc["rules"]]
    assert "COMM-004" in rule_ids and "INFRA-004" in rule_ids
    assert "INFRA-003" not in rule_ids  # ignored
    assert all(r == "COMM-004" or r.startswith("INFRA-") for r in rule_ids)  # selected
    comm = [f for f in doc["findings"] if f["rule_id"] == "COMM-004"]
    # value_threshold 50000 brings the 80,000 contract in; the severity is overridden.
    assert sorted(f["evidence"]["record_id"] for f in comm) == ["CON-002", "CON-003"]
    assert {f["severity"] for f in comm} == {"critical"}
    assert next(r for r in doc["rules"] if r["id"] == "COMM-004")["severity"] == "critical"
    assert doc["settings"]["fail_on"] == "high"
    assert {e["kind"] for e in doc["evidence"]} == {"supplier-contracts", "it-assets"}  # csv_kinds
    assert result.exit_code == 1


def test_cli_options_win_over_the_config(run_cli, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    result = run_cli(
        "check", "evidence", "--as-of", "2025-04-01", "--format", "json", "--select", "INFRA-004", "--fail-on", "never"
    )
    doc = json.loads(result.stdout)
    assert [r["id"] for r in doc["rules"]] == ["INFRA-004"]
    assert doc["settings"]["fail_on"] == "never"
    assert result.exit_code == 0


def test_an_explicit_config_file(run_cli, copy_fixture: Callable[..., Path], workdir: Path) -> None:
    copy_fixture("evidence/mixed", "evidence")
    copy_fixture("config/pyproject.toml", "settings/pyproject.toml")
    result = run_cli("check", "evidence", "--config", "settings/pyproject.toml", "--as-of", "2025-04-01")
    assert "  CON-004  " in result.stdout  # the expired contract is in scope through the options override
    assert result.exit_code == 0  # COMM-004 is high; fail_on = critical


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "unknown-rule.toml",
            [":2: /severity/COMM-999: unknown rule 'COMM-999'", ":4: /options/INFRA-999: unknown rule"],
        ),
        (
            "unknown-option.toml",
            [
                (
                    ":2: /options/INFRA-004/max_dayz: rule INFRA-004 has no option 'max_dayz' "
                    "(did you mean 'max_days'?) (options: exempt_hosting, max_days)"
                )
            ],
        ),
        (
            "wrong-option-type.toml",
            [
                ":2: /options/INFRA-004/max_days: option 'max_days' of INFRA-004 must be int, like its default 14",
                ":5: /options/COMM-004/statuses: option 'statuses' of COMM-004 must be list",
            ],
        ),
        ("unknown-key.toml", [":2: /fail-on: unknown key"]),
        ("malformed.toml", [":3: malformed TOML: "]),
    ],
)
def test_config_errors_stop_the_run(
    run_cli, copy_fixture: Callable[..., Path], fixture: str, expected: list[str]
) -> None:
    copy_fixture(f"config/{fixture}", "capcheck.toml")
    copy_fixture("evidence/clean", "evidence")
    result = run_cli("check", "evidence")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"capcheck: config error: {len(expected)} problem")
    for fragment in expected:
        assert f"  capcheck.toml{fragment}" in result.stderr  # shown relative to the working directory
    assert "Traceback" not in result.stderr


def test_rule_errors_in_pyproject_point_into_tool_capcheck(run_cli, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("config/pyproject-unknown-rule.toml", "pyproject.toml")
    copy_fixture("evidence/clean", "evidence")
    result = run_cli("check", "evidence")
    assert result.exit_code == 2
    assert "pyproject.toml:5: /tool/capcheck/severity/GOV-999: unknown rule 'GOV-999'" in result.stderr
    assert "pyproject.toml:8: /tool/capcheck/options/GOV-002/min_scor: rule GOV-002 has no option 'min_scor'" in (
        result.stderr
    )


def test_a_huge_or_slashed_option_name_is_cut_and_escaped_in_the_message(
    run_cli, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    """The pointer spells the key as JSON Pointer (``/`` is ``~1``), and both it and the message are cut."""
    copy_fixture("evidence/clean", "evidence")
    (workdir / "capcheck.toml").write_text(f'[options.COMM-001]\n"a/{"z" * 5000}" = 1\n')
    result = run_cli("check", "evidence")
    assert result.exit_code == 2
    [line] = [ln for ln in result.stderr.splitlines() if "has no option" in ln]
    assert line.startswith("  capcheck.toml:2: /options/COMM-001/a~1zzz")
    assert "…" in line.split(": rule ")[0] and "…" in line.split(": rule ")[1]
    assert len(line) < 400


# --- strict types and hostile files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('include_passed = "no"', "/include_passed: Input should be a valid boolean, not 'no'"),
        ("include_passed = 1", "/include_passed: Input should be a valid boolean, not 1"),
        ("max_file_mb = 2.5", "/max_file_mb: Input should be a valid integer, not 2.5"),
        ('max_file_mb = "16"', "/max_file_mb: Input should be a valid integer, not '16'"),
        ("paths = 3", "/paths: Input should be a valid array, not 3"),
        (
            'fail_on = "hgih"',
            "/fail_on: Input should be 'info', 'low', 'medium', 'high', 'critical' or 'never', not 'hgih'",
        ),
        (
            'fail_on = "' + "x" * 500 + '"',
            "/fail_on: Input should be 'info', 'low', 'medium', 'high', 'critical' or 'never', not 'xxx",
        ),
        ("[scorecard]\nmin_coverage = true", "/scorecard/min_coverage: Input should be a valid number, not True"),
    ],
)
def test_values_are_not_coerced_and_the_bad_value_is_echoed(workdir: Path, line: str, expected: str) -> None:
    (workdir / "capcheck.toml").write_text(line + "\n")
    [problem] = config_problems(workdir / "capcheck.toml")
    assert problem.startswith(f"capcheck.toml:{line.count(chr(10)) + 1}: " + expected)  # the line of the key
    assert len(problem) < 200  # a long value is cut


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"max_file_mb = " + b"9" * 5000 + b"\n", "capcheck.toml:1: an integer of 5000 digits (at most 4300)"),
        (b"paths = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "capcheck.toml: nested more than 64 levels deep"),
        (
            b"paths = " + b"[" * 70 + b"]" * 70 + b"\n",
            "capcheck.toml: /paths/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0",
        ),
        (b'fail_on = "low"\nfail_on = "high"\n', "capcheck.toml:2: malformed TOML: Cannot overwrite a value"),
        (b'fail_on = "h\xe9"\n', "capcheck.toml:1: not valid UTF-8 (byte 0xe9 at offset 12)"),
    ],
)
def test_hostile_config_files_are_located_errors(workdir: Path, content: bytes, expected: str) -> None:
    (workdir / "capcheck.toml").write_bytes(content)
    [problem] = config_problems(workdir / "capcheck.toml")
    assert problem.startswith(expected)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_config_is_refused_without_blocking(workdir: Path) -> None:
    os.mkfifo(workdir / "capcheck.toml")
    assert config_problems(workdir / "capcheck.toml") == [
        "capcheck.toml: not a regular file (a pipe, socket or device), not a config file"
    ]
    with pytest.raises(ConfigError):  # found upwards: refused too, not waited on
        load_config(find_config(workdir))


def test_an_oversized_config_is_refused_before_reading(workdir: Path) -> None:
    with (workdir / "capcheck.toml").open("wb") as fh:
        fh.truncate(3 << 30)  # sparse: 3 GiB of nothing
    assert config_problems(workdir / "capcheck.toml") == [
        "capcheck.toml: larger than the 1 MiB limit for a config file"
    ]


@pytest.mark.parametrize("value", ["365", "-5d", "1e9d", "99999999999999999999999d", "365 days"])
def test_an_option_that_is_a_duration_must_be_one(run_cli, copy_fixture: Callable[..., Path], value: str) -> None:
    """A string, as the default '365d' is, but not a duration: the rule became an error finding at run time,
    naming neither the config file nor the key."""
    (Path("capcheck.toml")).write_text(f'[options."COMM-002"]\nreview_period = "{value}"\n')
    copy_fixture("evidence/clean", "evidence")
    result = run_cli("check", "evidence")
    assert result.exit_code == 2
    assert result.stderr.startswith("capcheck: config error: 1 problem")
    assert (
        f"capcheck.toml:2: /options/COMM-002/review_period: option 'review_period' of COMM-002: '{value}' is not a "
        "duration (e.g. 90d, 12w, 6m, 2y)"
    ) in result.stderr
