"""The bounded side-input reader, and properties over every side input: arbitrary bytes and mutated valid
documents never crash capcheck; a bad file is always a located error naming it (exit 2 on the command line)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capcheck.app.config import load_config
from capcheck.app.diff import load_findings_document
from capcheck.assessment.baseline import load_baseline
from capcheck.assessment.waivers import load_waivers
from capcheck.builtins.declarative import CompileContext
from capcheck.builtins.declarative.toml_format import compile_rule_file
from capcheck.core.errors import CapcheckError, ConfigError, RuleFileError, UsageError
from capcheck.core.side_inputs import Named, elide, parse_json, parse_toml, read_bounded, shorten
from hostile import mutated

FIXTURES = Path(__file__).parent / "fixtures"

# --- the reader itself -------------------------------------------------------------------------------


def test_shorten_cuts_long_values_with_an_ellipsis() -> None:
    assert shorten("abc") == "'abc'"
    assert shorten("x" * 200) == "'" + "x" * 79 + "…"
    assert shorten(10**100, limit=10) == "1000000000…"


def test_elide_keeps_the_end_of_a_message() -> None:
    message = "'" + "x" * 10_000 + "' is not of type 'array'"
    assert len(elide(message)) == 240
    assert elide(message).endswith("' is not of type 'array'")
    assert elide("short") == "short"


def test_a_file_that_grows_past_the_cap_while_read_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fstat said it was small; the reads say otherwise: stop at limit + 1 bytes."""
    path = tmp_path / "grows.json"
    path.write_bytes(b"{}")
    monkeypatch.setattr(os, "read", lambda fd, n: b"x" * n)  # the file keeps growing
    with pytest.raises(ConfigError) as info:
        read_bounded(path, Named("grows.json", ConfigError), what="baseline file", limit=100)
    assert str(info.value) == "grows.json: larger than the 100 bytes limit for a baseline file (it grew while read)"


def test_a_directory_is_named_as_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        read_bounded(tmp_path, Named("d", ConfigError), what="config file", limit=100)
    assert str(info.value) == "d: a directory, not a config file"


# --- properties: every side input, arbitrary and mutated bytes ---------------------------------------


def _inputs(seed: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=400), mutated(seed))


WAIVERS_YAML = (
    b"waivers:\n  - rule: INFRA-004\n    records: [AST-001, 'AST-00*']\n    reason: Behind the WAF until patched\n"
    b"    approved_by: CISO\n    ticket: RISK-1\n    approved_on: 2025-03-01\n    expires: 2025-05-01\n"
)
WAIVERS_TOML = (
    b'[[waivers]]\nrule = "INFRA-004"\nrecords = ["AST-001"]\nreason = "Behind the WAF until patched"\n'
    b'approved_by = "CISO"\nticket = "RISK-1"\nexpires = 2025-05-01\n'
)
BASELINE = json.dumps(
    {
        "capcheck_baseline": "1.0",
        "tool": {"name": "capcheck", "version": "0"},
        "as_of": "2025-04-01",
        "findings": [{"fingerprint": "a" * 32, "rule_id": "INFRA-004", "severity": "high", "record_id": "AST-001"}],
    },
    indent=1,
).encode()
FINDINGS = json.dumps(
    {
        "schema_version": "2.1",
        "tool": {"name": "capcheck"},
        "as_of": "2025-04-01",
        "findings": [
            {
                "fingerprint": "b" * 32,
                "rule_id": "INFRA-004",
                "status": "fail",
                "severity": "high",
                "message": "m",
                "evidence": {"kind": "it-assets", "record_id": "AST-001", "file": "a.json", "line": 3},
            }
        ],
    },
    indent=1,
).encode()
CONFIG = (FIXTURES / "config" / "capcheck.toml").read_bytes()
RULE_FILE = (FIXTURES / "rules" / "contract-currency.toml").read_bytes()

#: Examples per side input; the command-line properties run fewer (each builds a registry). CI runs these;
#: CAPCHECK_FUZZ_SCALE=20 multiplies them for a longer hunt on a workstation.
_SCALE = int(os.environ.get("CAPCHECK_FUZZ_SCALE", "1"))
LIBRARY_EXAMPLES = 150 * _SCALE
CLI_EXAMPLES = 15 * _SCALE
_SHARED: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "database": None,
}
LIBRARY = settings(max_examples=LIBRARY_EXAMPLES, **_SHARED)
CLI = settings(max_examples=CLI_EXAMPLES, **_SHARED)


@pytest.fixture(scope="module")
def compile_context() -> CompileContext:
    """The bundled areas and kinds, as rule files are compiled against."""
    from capcheck.builtins.areas import bundled_areas
    from capcheck.core.kinds import bundled_kinds

    return CompileContext(areas=frozenset(a.id for a in bundled_areas()), kinds={k.id: k for k in bundled_kinds()})


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """One directory for every example of a property (hypothesis reuses a test's fixtures across examples)."""
    directory = Path(tempfile.mkdtemp(prefix="capcheck-side-inputs-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _only_named_errors(path: Path, error: type[CapcheckError], load: Callable[[Path], Any]) -> None:
    """``load(path)`` returns, or raises ``error`` whose every problem names ``path``: nothing else."""
    try:
        load(path)
    except error as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.path is not None and problem.path.endswith(path.name), problem
            assert len(problem.message) < 1000, problem.message[:200]


@LIBRARY
@given(data=_inputs(CONFIG))
def test_config_never_crashes(scratch: Path, data: bytes) -> None:
    (scratch / "capcheck.toml").write_bytes(data)
    _only_named_errors(scratch / "capcheck.toml", ConfigError, load_config)


@LIBRARY
@given(data=_inputs(WAIVERS_YAML), suffix=st.sampled_from([".yaml", ".toml"]))
def test_waivers_never_crash(scratch: Path, data: bytes, suffix: str) -> None:
    if suffix == ".toml" and data.startswith(b"waivers:"):
        data = WAIVERS_TOML  # the TOML seed, mutated below on other examples
    path = scratch / f"waivers{suffix}"
    path.write_bytes(data)
    _only_named_errors(path, ConfigError, lambda p: load_waivers(p, as_of=date(2025, 4, 1)))


@LIBRARY
@given(data=_inputs(WAIVERS_TOML))
def test_toml_waivers_never_crash(scratch: Path, data: bytes) -> None:
    (scratch / "waivers.toml").write_bytes(data)
    _only_named_errors(scratch / "waivers.toml", ConfigError, lambda p: load_waivers(p, as_of=date(2025, 4, 1)))


@LIBRARY
@given(data=_inputs(BASELINE))
def test_baselines_never_crash(scratch: Path, data: bytes) -> None:
    (scratch / "base.json").write_bytes(data)
    _only_named_errors(scratch / "base.json", ConfigError, load_baseline)


@LIBRARY
@given(data=_inputs(FINDINGS))
def test_findings_documents_never_crash(scratch: Path, data: bytes) -> None:
    from capcheck.app.diff import diff_documents, render_diff

    (scratch / "new.json").write_bytes(data)
    _only_named_errors(scratch / "new.json", UsageError, load_findings_document)
    try:
        doc = load_findings_document(scratch / "new.json")
    except UsageError:
        return
    for fmt in ("text", "json", "markdown"):  # what loads also diffs and renders
        render_diff(diff_documents(json.loads(FINDINGS), doc), fmt)


@LIBRARY
@given(data=_inputs(RULE_FILE))
def test_rule_files_never_crash(scratch: Path, compile_context: CompileContext, data: bytes) -> None:
    (scratch / "rule.toml").write_bytes(data)
    _only_named_errors(scratch / "rule.toml", RuleFileError, lambda p: compile_rule_file(p, p.name, compile_context))


# --- the same through the command line: exit 0, 1 or 2, never an internal error --------------------


def _cli_property(run: Callable[[], Any], name: str) -> None:
    result = run()
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr[:500]
    assert result.exit_code in (0, 1, 2)
    if result.exit_code == 2:
        assert name in result.stderr, result.stderr[:500]


@pytest.fixture(scope="module")
def cli_dir() -> Iterator[Path]:
    """A working directory with a little evidence, shared by the command-line properties."""
    directory = Path(tempfile.mkdtemp(prefix="capcheck-side-inputs-cli-"))
    shutil.copytree(FIXTURES / "evidence" / "mixed", directory / "ev")
    (directory / "old.json").write_bytes(FINDINGS)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def cli_in(cli_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(cli_dir)
    return cli_dir


CHECK = ["check", "ev", "--as-of", "2025-04-01", "--select", "INFRA-004", "--no-baseline"]


@CLI
@given(
    which=st.sampled_from(["config", "waivers", "baseline", "rules", "diff"]),
    data=st.data(),
)
def test_the_command_line_never_crashes_on_a_side_input(cli_in: Path, which: str, data: st.DataObject) -> None:
    from click.testing import CliRunner

    from capcheck.cli import cli

    seeds = {
        "config": ("cfg.toml", CONFIG),
        "waivers": ("w.yaml", WAIVERS_YAML),
        "baseline": ("b.json", BASELINE),
        "rules": ("r.toml", RULE_FILE),
        "diff": ("new.json", FINDINGS),
    }
    name, seed = seeds[which]
    (cli_in / name).write_bytes(data.draw(_inputs(seed)))
    argv = {
        "config": [*CHECK, "--config", name],
        "waivers": [*CHECK, "--waivers", name],
        "baseline": [*CHECK[:-1], "--baseline", name],
        "rules": ["rules", "list", "--rules", name],
        "diff": ["diff", "old.json", name],
    }[which]
    _cli_property(lambda: CliRunner().invoke(cli, argv, catch_exceptions=False), name)


# --- one real process: nothing waits on a FIFO, a foreign pyproject.toml above does not matter ----------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_real_process_never_waits_on_a_fifo_side_input(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "caf\xe9"\n')  # Latin-1, another project's
    work = tmp_path / "team"
    shutil.copytree(FIXTURES / "evidence" / "mixed", work / "ev")
    for name in ("w.yaml", "b.json", "c.toml"):
        os.mkfifo(work / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPCHECK_")}
    base = [sys.executable, "-m", "capcheck", "check", "ev", "--as-of", "2025-04-01", "--select", "INFRA-004"]
    for extra, name in (
        (["--waivers", "w.yaml"], "w.yaml"),
        (["--baseline", "b.json"], "b.json"),
        (["--config", "c.toml"], "c.toml"),
    ):
        result = subprocess.run(
            [*base, *extra], cwd=work, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 2, result.stderr
        assert f"{name}: not a regular file (a pipe, socket or device)" in result.stderr
    plain = subprocess.run(base, cwd=work, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert plain.returncode in (0, 1) and plain.stderr == "", plain.stderr


def test_a_huge_rule_id_key_in_config_is_echoed_cut(scratch: Path) -> None:
    """Found by the fuzzer in CI: a 4,000-digit key under [options] was echoed whole (4,456 characters)."""
    (scratch / "capcheck.toml").write_text(f'[options]\n"{"9" * 4000}COMM-004" = {{}}\n')
    with pytest.raises(ConfigError) as info:
        load_config(scratch / "capcheck.toml")
    [problem] = info.value.problems
    assert "is not a rule id" in problem.message and len(problem.message) < 300, problem.message[:300]


# --- schema errors of a huge side input: listed from the first few, never all built ----------------------


def test_a_waivers_file_of_many_bad_entries_lists_the_first_fifty(workdir: Path) -> None:
    """Six errors per empty entry: sorting all of them to list a few took 22 GB and 80 s for a 7 MB file."""
    (workdir / "waivers.yaml").write_text("waivers:\n" + "  - {}\n" * 200_000)
    with pytest.raises(ConfigError) as info:
        load_waivers(workdir / "waivers.yaml", as_of=date(2025, 4, 1))
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == 51
    assert problems[0].startswith("waivers.yaml:2: /waivers/0: incomplete waiver: ")
    assert problems[-1] == "waivers.yaml: ... and more problems: the first 50 are listed"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_a_baseline_of_many_bad_entries_is_refused_in_the_memory_of_reading_it(workdir: Path) -> None:
    import subprocess
    import sys

    entries = ", ".join(['{"fingerprint": "x"}'] * 200_000)
    head = '{"capcheck_baseline": "1.0", "tool": {"name": "capcheck"}, "as_of": "2025-04-01"'
    (workdir / "base.json").write_text(f'{head}, "findings": [{entries}]}}')
    script = (
        "from pathlib import Path\n"
        "from capcheck.assessment.baseline import load_baseline\n"
        "from capcheck.core.errors import ConfigError\n"
        "try:\n"
        "    load_baseline(Path('base.json'))\n"
        "except ConfigError as exc:\n"
        "    print(len(exc.problems))\n"
        "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=workdir, capture_output=True, text=True, timeout=120)
    listed, peak_kib = map(int, done.stdout.split())
    assert listed == 50
    assert peak_kib < 400_000, f"peak {peak_kib // 1024} MiB"


# --- nesting: the bound a message names is the bound enforced ------------------------------------------


def _nested_json(levels: int) -> str:
    """``levels`` arrays one in another, on two lines (the innermost on the second)."""
    return "[" * (levels - 1) + "\n[]" + "]" * (levels - 1)


def _nested_toml(levels: int) -> str:
    """Inline tables ``levels`` deep (tomllib's deepest recursion per level: three calls)."""
    return "x = " + "{a = " * (levels - 1) + "1" + "}" * (levels - 1) + "\n"


def _called_from_depth(frames: int, call: Callable[[], Any]) -> Any:
    """``call()`` made under ``frames`` more frames: the parsers' room counts the stack already used."""
    return call() if frames <= 0 else _called_from_depth(frames - 1, call)


@pytest.mark.parametrize("frames", [0, 300])
def test_json_is_read_to_its_bound_and_refused_one_level_past_it(frames: int) -> None:
    """Python's recursion limit (1,000) was hit first: a file 996 deep was refused as "more than 1024"."""
    named = Named("deep.json", ConfigError)
    value = _called_from_depth(frames, lambda: parse_json(_nested_json(1024), named, max_depth=1024))
    depth = 0
    while value:
        value, depth = value[0], depth + 1
    assert depth == 1023  # and the innermost, empty
    with pytest.raises(ConfigError) as info:
        _called_from_depth(frames, lambda: parse_json(_nested_json(1025), named, max_depth=1024))
    assert str(info.value).startswith("deep.json:")
    assert str(info.value).endswith(": nested more than 1024 levels deep")


def test_json_far_past_its_bound_names_the_line_where_it_passed_it() -> None:
    text = '{"a": "[[[[",\n "b":\n' + "[" * 100 + "\n" + "[" * 100_000 + "]" * 100_100 + "}"
    with pytest.raises(ConfigError) as info:
        parse_json(text, Named("w.json", ConfigError), max_depth=64)
    assert str(info.value) == "w.json:3: nested more than 64 levels deep"


def test_the_recursion_limit_is_put_back_after_a_parse() -> None:
    import sys

    before = sys.getrecursionlimit()
    parse_json(_nested_json(1000), Named("d.json", ConfigError), max_depth=1024)
    with pytest.raises(ConfigError):
        parse_json(_nested_json(5000), Named("d.json", ConfigError), max_depth=1024)
    assert sys.getrecursionlimit() == before


@pytest.mark.parametrize("frames", [0, 300])
def test_toml_is_read_to_its_bound_and_refused_past_it(frames: int) -> None:
    """tomllib recurses three calls per inline table: 330 levels were all a 1,000-frame stack held."""
    named = Named("deep.toml", ConfigError)
    assert _called_from_depth(frames, lambda: parse_toml(_nested_toml(400), named, max_depth=401))
    with pytest.raises(ConfigError) as info:
        _called_from_depth(frames, lambda: parse_toml(_nested_toml(402), named, max_depth=401))
    assert str(info.value).startswith("deep.toml: /x/a/a")
    assert str(info.value).endswith(": nested more than 401 levels deep")
