"""The CI examples (GitHub Actions, GitLab CI, pre-commit hooks, docs/ci.md, docs/reporters.md) run real commands.

Each file is parsed with ``yaml.safe_load``; every ``capcheck ...`` command in its shell steps is
parsed by the real click command line (the subcommand and every option must exist and take the
values given, ``--report`` formats must be reporters), without running it.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.assessment.waivers import load_waivers
from capcheck.cli import cli

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / "examples" / "ci" / "github-actions.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
DOC = ROOT / "docs" / "ci.md"
REPORTERS_DOC = ROOT / "docs" / "reporters.md"
EXAMPLE_EVIDENCE = ROOT / "examples" / "northgate-health-digital" / "evidence"

#: Shell operators that end a command (and redirections, whose target is not an argument).
_ENDS = {"&&", "||", ";", "|", "(", ")", ">", ">>", "<", "&", "2>", "2>&1"}


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _logical_lines(script: str) -> Iterator[str]:
    """A shell script's lines, with backslash continuations joined and comments dropped."""
    pending = ""
    for raw in script.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line and not line.startswith("#"):
            yield line


def capcheck_commands(script: str) -> list[list[str]]:
    """Every ``capcheck ...`` command in a shell script, as its argument list (after ``capcheck``)."""
    found: list[list[str]] = []
    for line in _logical_lines(script):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        at_start = True
        current: list[str] | None = None
        skip_next = False
        for token in tokens:
            if skip_next:
                skip_next = False
                continue
            if token in _ENDS:
                if current is not None:
                    found.append(current)
                    current = None
                skip_next = token in (">", ">>", "<")
                at_start = True
                continue
            if current is not None:
                current.append(token)
            elif at_start and token == "capcheck":
                current = []
            at_start = False
        if current is not None:
            found.append(current)
    return found


def _github_scripts(doc: dict[str, Any]) -> list[str]:
    return [step["run"] for job in doc["jobs"].values() for step in job["steps"] if "run" in step]


def _gitlab_scripts(doc: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for name, job in doc.items():
        if not isinstance(job, dict) or name in ("variables", "default", "workflow"):
            continue
        for key in ("before_script", "script", "after_script"):
            value = job.get(key)
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, list):
                out.extend(str(v) for v in value)
    return out


def _hook_commands(doc: list[dict[str, Any]]) -> list[list[str]]:
    out = []
    for hook in doc:
        entry = shlex.split(hook["entry"])
        assert entry[0] == "capcheck", hook
        args = [*entry[1:], *hook.get("args", [])]
        if hook.get("pass_filenames", True):
            args.append("evidence/it-assets.csv")  # what pre-commit appends: a changed file
        out.append(args)
    return out


def _scripts(node: Any) -> Iterator[str]:
    """The shell scripts of a parsed CI snippet: GitHub's and Azure's ``run``/``script``, GitLab's ``script``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("run", "script"):
                yield from [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]
            else:
                yield from _scripts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _scripts(value)


def _doc_commands(doc: Path = DOC) -> list[list[str]]:
    text = doc.read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|console|bash)\n(.*?)```", text, flags=re.S)
    commands = [cmd for block in blocks for cmd in capcheck_commands(block)]
    # The GitHub Actions, Azure Pipelines and GitLab CI snippets (indented under list items).
    for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S):
        commands += [
            cmd for script in _scripts(yaml.safe_load(textwrap.dedent(block))) for cmd in capcheck_commands(script)
        ]
    return commands


def _all_commands() -> list[tuple[str, list[str]]]:
    cases: list[tuple[str, list[str]]] = []
    for script in _github_scripts(_load(GITHUB)):
        cases += [("github-actions.yml", c) for c in capcheck_commands(script)]
    for script in _gitlab_scripts(_load(GITLAB)):
        cases += [("gitlab-ci.yml", c) for c in capcheck_commands(script)]
    cases += [(".pre-commit-hooks.yaml", c) for c in _hook_commands(_load(HOOKS))]
    cases += [("docs/ci.md", c) for c in _doc_commands()]
    cases += [("docs/reporters.md", c) for c in _doc_commands(REPORTERS_DOC)]
    return cases


COMMANDS = _all_commands()


@pytest.fixture(scope="module")
def reporter_names() -> set[str]:
    return set(load_registry(Config()).reporters)


def _resolve(args: list[str]) -> tuple[list[str], click.Command, list[str]]:
    """The subcommand path, the click command, and its own arguments."""
    command: click.Command = cli
    path: list[str] = []
    rest = list(args)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.get_command(click.Context(command), rest[0])
        assert sub is not None, f"no such command: capcheck {' '.join([*path, rest[0]])}"
        path.append(rest.pop(0))
        command = sub
    return path, command, rest


def test_the_examples_have_capcheck_commands() -> None:
    where = {name for name, _ in COMMANDS}
    assert where == {"github-actions.yml", "gitlab-ci.yml", ".pre-commit-hooks.yaml", "docs/ci.md", "docs/reporters.md"}
    subcommands = {args[0] for _, args in COMMANDS}
    assert {"check", "validate", "diff", "baseline"} <= subcommands


@pytest.mark.parametrize(("where", "args"), COMMANDS, ids=[f"{w}: capcheck {' '.join(a)}" for w, a in COMMANDS])
def test_command_parses(where: str, args: list[str], reporter_names: set[str]) -> None:
    # --help appended: click resolves the subcommand and rejects any unknown option before printing help.
    result = CliRunner().invoke(cli, [*args, "--help"], catch_exceptions=False, prog_name="capcheck")
    assert result.exit_code == 0, f"{where}: capcheck {' '.join(args)}\n{result.output}"
    path, command, rest = _resolve(args)
    assert "Usage: capcheck " + " ".join(path) in result.output
    # Full parsing too: option values converted and checked (choices, FORMAT=PATH), no callback run.
    parent = click.Context(cli, info_name="capcheck")
    ctx = command.make_context(" ".join(path), list(rest), parent=parent)
    for spec in ctx.params.get("reports") or ():
        name, sep, target = spec.partition("=")
        assert sep and target and name in reporter_names, f"{where}: --report {spec}"
    fmt = ctx.params.get("fmt")
    if path == ["check"] and fmt is not None:
        assert fmt in reporter_names, f"{where}: --format {fmt}"


def test_github_workflow() -> None:
    doc = _load(GITHUB)
    assert doc.get("on", doc.get(True)), "the workflow has triggers"  # YAML 1.1 reads `on` as True
    check = doc["jobs"]["check"]
    steps = check["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any("pip install" in s.get("run", "") and "capcheck" in s["run"] for s in steps)
    index = next(i for i, s in enumerate(steps) if any(c[0] == "check" for c in capcheck_commands(s.get("run", ""))))
    (cmd,) = [c for c in capcheck_commands(steps[index]["run"]) if c[0] == "check"]
    reports = dict(cmd[i + 1].split("=", 1) for i, a in enumerate(cmd) if a == "--report")
    assert {"sarif", "junit", "markdown"} <= set(reports)
    # Everything after the check publishes its reports: it must run when the check fails (exit 1 or 2).
    for step in steps[index + 1 :]:
        assert "always()" in str(step.get("if", "")), step
    sarif = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert sarif["with"]["sarif_file"] == reports["sarif"]
    assert check["permissions"]["security-events"] == "write"
    # --format github annotates the files and appends the Markdown report to the job summary itself.
    assert cmd[cmd.index("--format") + 1] == "github"
    assert not [s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", "")], "the summary would be there twice"
    published = " ".join(str(s.get("with", {})) for s in steps[index + 1 :])
    assert reports["junit"] in published
    assert doc["permissions"] == {"contents": "read"}, "least privilege by default"


def test_github_diff_job() -> None:
    job = _load(GITHUB)["jobs"]["diff"]
    assert job["permissions"]["pull-requests"] == "write"
    commands = [c for s in _github_scripts({"jobs": {"diff": job}}) for c in capcheck_commands(s)]
    diff = next(c for c in commands if c[0] == "diff")
    assert diff[diff.index("--format") + 1] == "markdown"
    checks = [c for c in commands if c[0] == "check"]
    assert len(checks) == 2 and all("--as-of" in c and c[c.index("--fail-on") + 1] == "never" for c in checks)


def test_gitlab_job() -> None:
    doc = _load(GITLAB)
    job = doc["capcheck-check"]
    (cmd,) = [c for s in _gitlab_scripts({"capcheck-check": job}) for c in capcheck_commands(s) if c[0] == "check"]
    reports = dict(cmd[i + 1].split("=", 1) for i, a in enumerate(cmd) if a == "--report")
    assert job["artifacts"]["reports"]["junit"] == reports["junit"]
    assert job["artifacts"]["reports"]["codequality"] == reports["gitlab"]
    assert job["artifacts"]["when"] == "always"
    assert {reports["markdown"], reports["html"]} <= set(job["artifacts"]["paths"])
    assert any("pip install" in line and "capcheck" in line for line in doc[".capcheck"]["before_script"])


def test_pre_commit_hooks() -> None:
    hooks = {h["id"]: h for h in _load(HOOKS)}
    assert set(hooks) == {"capcheck-validate", "capcheck-check"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["name"] and hook["entry"].startswith("capcheck ")
    validate = hooks["capcheck-validate"]
    assert validate["entry"] == "capcheck validate"
    assert validate["files"] == r"\.(json|ya?ml|toml|csv)$"
    files = re.compile(validate["files"])
    for name in ("evidence/it-assets.csv", "a.json", "b.yaml", "c.yml", "rules/COMM/COMM-006.toml"):
        assert files.search(name), name
    for name in ("a.py", "README.md", "yaml.txt"):
        assert not files.search(name), name
    assert validate.get("pass_filenames", True) is True
    check = hooks["capcheck-check"]
    assert check["entry"] == "capcheck check" and check["pass_filenames"] is False


def test_validate_hook_accepts_real_evidence_files() -> None:
    """What pre-commit runs for a commit that changes two registers and a rule file: it passes."""
    entry = shlex.split(next(h for h in _load(HOOKS) if h["id"] == "capcheck-validate")["entry"])
    files = [str(EXAMPLE_EVIDENCE / "it-assets.csv"), str(EXAMPLE_EVIDENCE / "governance-register.yaml")]
    rule_files = sorted((ROOT / "rules").rglob("*-0*.toml"))[:1]
    result = CliRunner().invoke(cli, [*entry[1:], *files, *map(str, rule_files)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 2 evidence files")


def test_waivers_example_in_the_docs_is_valid(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, flags=re.S) if b.lstrip().startswith("# waivers"))
    path = tmp_path / "waivers.yaml"
    path.write_text(block, encoding="utf-8")
    config = re.search(r"```toml\n(.*?)```", text, flags=re.S)
    assert config is not None
    max_days = int(re.search(r"waiver_max_days = (\d+)", config.group(1)).group(1))  # type: ignore[union-attr]
    waivers = load_waivers(path, as_of=date(2026, 11, 25), max_days=max_days)
    assert [w.ticket for w in waivers] == ["RISK-0412", "CHG-1187"]


def test_config_example_in_the_docs_is_valid(tmp_path: Path) -> None:
    from capcheck.app.config import load_config

    match = re.search(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert match is not None
    path = tmp_path / "capcheck.toml"
    path.write_text(match.group(1), encoding="utf-8")
    config = load_config(path)
    assert config.paths == ["evidence"] and config.fail_on == "high"
    assert config.waivers == "waivers.yaml" and config.baseline == ".capcheck-baseline.json"


def test_capcheck_commands_parser() -> None:
    script = (
        'python -m pip install "capcheck==1"\n'
        '(cd ../base && capcheck check --as-of "$d" --output old.json)\n'
        "capcheck diff a.json b.json --format markdown > out.md\n"
        "capcheck check \\\n  --report sarif=x.sarif # comment\n"
        "echo capcheck\n"
    )
    assert capcheck_commands(script) == [
        ["check", "--as-of", "$d", "--output", "old.json"],
        ["diff", "a.json", "b.json", "--format", "markdown"],
        ["check", "--report", "sarif=x.sarif"],
    ]
