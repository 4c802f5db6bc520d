"""Broken rule files: every problem is reported, each with its line, JSON pointer and cause.

Each file in ``fixtures/broken/`` lists the problems it must give, at its end (so that the
comments do not move the lines they name): ``# expect: LINE POINTER | TEXT IN THE MESSAGE``,
with ``-`` for no pointer.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from decl_helpers import DECL_FIXTURES

from capcheck.builtins.declarative import CompileContext
from capcheck.builtins.declarative.toml_format import compile_rule_file
from capcheck.core.errors import Problem, RuleFileError

BROKEN = sorted((DECL_FIXTURES / "broken").glob("*.toml"))
_EXPECT = re.compile(r"^# expect: (\d+) (\S+) \| (.+)$", re.M)


def problems_of(path: Path, context: CompileContext, display: str = "broken.toml") -> list[Problem]:
    with pytest.raises(RuleFileError) as info:
        compile_rule_file(path, display, context)
    return info.value.problems


@pytest.mark.parametrize("path", BROKEN, ids=[p.name for p in BROKEN])
def test_broken_file_reports_every_problem(path: Path, compile_context: CompileContext) -> None:
    expected = [(int(line), None if ptr == "-" else ptr, text) for line, ptr, text in _EXPECT.findall(path.read_text())]
    assert expected, f"{path.name} lists no expected problems"
    problems = problems_of(path, compile_context, display=path.name)
    assert all(p.path == path.name for p in problems)
    got = [(p.line, p.pointer, p.message) for p in problems]
    for line, pointer, text in expected:
        assert any((g_line, g_ptr) == (line, pointer) and text in message for g_line, g_ptr, message in got), (
            f"missing {line} {pointer} {text!r} in {got}"
        )
    assert len(problems) == len(expected), got


def test_problems_print_as_path_line_pointer_cause(compile_context: CompileContext) -> None:
    problems = problems_of(DECL_FIXTURES / "broken" / "duplicates.toml", compile_context, "rules/dup.toml")
    assert str(problems[0]) == "rules/dup.toml:13: /rule/1/id: duplicate rule id 'INFRA-001': also rule 1 of this file"
    assert str(RuleFileError(problems)).count("\n") == len(problems) - 1


def test_a_file_that_is_not_utf8(tmp_path: Path, compile_context: CompileContext) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes(b'[[rule]]\n\ntitle = "caf\xe9"\n')
    (problem,) = problems_of(path, compile_context)
    assert (problem.line, problem.message) == (3, "not valid UTF-8 (byte 0xe9 at offset 22); save the file as UTF-8")


def test_a_missing_file(tmp_path: Path, compile_context: CompileContext) -> None:
    (problem,) = problems_of(tmp_path / "nope.toml", compile_context)
    assert problem.message == "no such rule file"


def test_absurd_nesting_is_refused(tmp_path: Path, compile_context: CompileContext) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 200 + "]" * 200 + "\n")
    (problem,) = problems_of(path, compile_context)
    assert "nested" in problem.message


def test_unknown_areas_and_kinds_are_checked_against_the_context(tmp_path: Path) -> None:
    context = CompileContext(areas=frozenset({"COMM"}), kinds={})
    problems = problems_of(DECL_FIXTURES / "rules" / "contracts.toml", context)
    messages = {p.message.split(" (")[0] for p in problems}
    assert messages >= {"unknown area 'GOV'", "unknown evidence kind 'supplier-contracts'"}
    assert "unknown area 'COMM'" not in messages


def test_a_file_of_thousands_of_broken_rules_is_refused_in_linear_time(
    tmp_path: Path, compile_context: CompileContext
) -> None:
    """Each rule's problems were found by scanning every problem of the file: 2,000 empty [[rule]] tables
    (18 KB) took 40 s of CPU, a 100 KB file minutes. Now a few tenths of a second."""
    import time

    path = tmp_path / "many.toml"
    path.write_text("[[rule]]\n" * 2000)
    started = time.process_time()
    problems = problems_of(path, compile_context)
    assert time.process_time() - started < 5
    assert len(problems) == 2000 * len({p.message for p in problems if p.pointer == "/rule/0"})
    assert problems[-1].pointer == "/rule/1999" and problems[-1].line == 2000
