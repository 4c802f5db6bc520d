"""The error tree: every problem prints as ``path:line: /pointer: cause``."""

from __future__ import annotations

import pytest

from capcheck.core.errors import (
    CapcheckError,
    ConfigError,
    EvidenceError,
    OutputError,
    PluginError,
    Problem,
    RuleFileError,
    UsageError,
)


@pytest.mark.parametrize(
    ("problem", "shown"),
    [
        (Problem("cause"), "cause"),
        (Problem("cause", path="a.json"), "a.json: cause"),
        (Problem("cause", path="a.json", line=3), "a.json:3: cause"),
        (Problem("cause", path="a.json", line=3, pointer="/records/0"), "a.json:3: /records/0: cause"),
        (Problem("cause", path="a.json", pointer=""), "a.json: /: cause"),  # the whole document
        (Problem("cause", pointer="/kind"), "/kind: cause"),
    ],
)
def test_problem_text(problem: Problem, shown: str) -> None:
    assert str(problem) == shown


def test_errors_hold_problems_from_strings_problems_or_lists() -> None:
    assert [str(p) for p in UsageError("bad date").problems] == ["bad date"]
    one = Problem("x", path="f")
    assert EvidenceError(one).problems == [one]
    mixed = ConfigError([one, "plain"])
    assert [str(p) for p in mixed.problems] == ["f: x", "plain"]
    assert str(mixed) == "f: x\nplain"


@pytest.mark.parametrize(
    ("cls", "heading"),
    [
        (UsageError, "usage error"),
        (ConfigError, "config error"),
        (PluginError, "plugin error"),
        (RuleFileError, "rule file error"),
        (EvidenceError, "evidence error"),
        (OutputError, "output error"),
    ],
)
def test_every_error_is_a_capcheck_error_with_its_heading(cls: type[CapcheckError], heading: str) -> None:
    error = cls("x")
    assert isinstance(error, CapcheckError)
    assert error.kind == heading


def test_a_huge_pointer_is_cut_in_the_middle_when_shown_and_kept_whole_in_the_value() -> None:
    """A 5000-character key from an input must not make a 5000-character message line."""
    pointer = "/records/0/" + "k" * 5000 + "/owner"
    problem = Problem("is not of type 'string'", path="a.json", line=1, pointer=pointer)
    shown = str(problem)
    assert shown.startswith("a.json:1: /records/0/kkk")
    assert shown.endswith("kkk/owner: is not of type 'string'")  # the last key and the cause stay
    assert "…" in shown and len(shown) < 300
    assert problem.pointer == pointer
    assert str(Problem("cause", pointer="/" + "k" * 200)) == "/" + "k" * 200 + ": cause"  # short ones are whole
