"""The error tree: every problem prints as ``path:line: /pointer: cause``."""

from __future__ import annotations

import pytest

from capcheck.errors import (
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
