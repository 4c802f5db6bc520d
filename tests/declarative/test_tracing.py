"""Conditions compiled traced (``capcheck test --coverage``) record each node's outcomes and change nothing else."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from capcheck.app.config import Config
from capcheck.app.runner import CheckRequest, run_check
from capcheck.builtins.declarative.conditions import Traced, compile_condition, tracing
from capcheck.testing import harness_registry

EVIDENCE = Path(__file__).resolve().parents[2] / "examples" / "northgate-health-digital" / "evidence"


def _compile(node: dict[str, object]) -> object:
    problems: list[tuple[str, str]] = []
    compiled = compile_condition(node, "/c", options={}, known_kinds=lambda k: True, problems=problems)
    assert not problems
    return compiled


def test_only_conditions_compiled_inside_tracing_are_traced() -> None:
    node = {"any": [{"field": "a", "eq": "x"}, {"not": {"field": "b", "exists": True}}]}
    assert not isinstance(_compile(node), Traced)
    with tracing():
        traced = _compile(node)
    assert not isinstance(_compile(node), Traced)  # tracing ends with the block
    assert isinstance(traced, Traced) and traced.pointer == "/c"
    nodes: list[Traced] = []

    def walk(c: object) -> None:
        if isinstance(c, Traced):
            nodes.append(c)
            walk(c.inner)
        for child in getattr(c, "children", ()):
            walk(child)

    walk(traced)
    assert [n.pointer for n in nodes] == ["/c", "/c/any/0", "/c/any/1", "/c/any/1/not"]
    from capcheck.builtins.declarative.conditions import Env

    predicate = traced.bind(Env(date(2026, 11, 25), {}))
    assert predicate({"a": "x", "b": 1}) is True  # `any` stops at its first part
    assert [sorted(n.outcomes, key=str) for n in nodes] == [[True], [True], [], []]
    assert predicate({"a": "y", "b": 1}) is False
    assert [sorted(n.outcomes, key=str) for n in nodes] == [[False, True], [False, True], [False], [True]]


def test_a_traced_registry_gives_the_same_findings_and_messages() -> None:
    request = CheckRequest(paths=[EVIDENCE], config=Config(), as_of=date(2026, 11, 25), include_passed=True)
    plain = run_check(request, harness_registry())
    traced = run_check(request, harness_registry(coverage=True))
    assert len(plain.findings) > 100
    assert [f.as_dict() for f in traced.findings] == [f.as_dict() for f in plain.findings]


def test_a_traced_condition_is_described_like_the_plain_one() -> None:
    from capcheck.builtins.declarative.conditions import Condition, Env

    node = {"all": [{"any": [{"field": "a", "eq": "x"}, {"field": "b", "eq": "y"}]}, {"field": "c", "exists": True}]}
    plain = _compile(node)
    with tracing():
        traced = _compile(node)
    env = Env(date(2026, 11, 25), {})
    assert isinstance(plain, Condition) and isinstance(traced, Condition)
    assert traced.describe(env) == plain.describe(env) == "(a is 'x' or b is 'y') and c is present"
