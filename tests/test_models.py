"""The value types of core/models.py: what a rule's metadata accepts and how it reads it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from capcheck.core.models import RuleMeta

TEXT = {"description": "What it checks.", "rationale": "Why it matters.", "remediation": "How to fix it."}


def _meta(kinds: list[str], columns: list[str], **more: object) -> RuleMeta:
    return RuleMeta(
        id="acme.INFRA-101",
        title="A test rule",
        area="INFRA",
        severity="low",
        kinds=kinds,
        columns=columns,
        **TEXT,
        **more,
    )  # type: ignore[arg-type]  # the keywords are RuleMeta's fields


def test_a_column_of_a_namespaced_kind_is_that_kind_s_field() -> None:
    """A plugin's kind holds a dot (``acme.register``): its column ``acme.register.owner`` was split at the first
    dot, read as field ``register.owner`` of a kind ``acme``, and the rule refused (every declarative ``found_in``
    of a plugin's kind with it)."""
    meta = _meta(["it-assets", "acme.register"], ["acme.register.owner"])
    assert meta.column_pairs == (("acme.register", "owner"),)
    assert meta.record_kinds == ("it-assets",)


def test_a_column_s_field_may_be_dotted_and_the_longest_declared_kind_wins() -> None:
    meta = _meta(["acme", "acme.register"], ["acme.register.details.scale", "acme.owner"])
    assert meta.column_pairs == (("acme.register", "details.scale"), ("acme", "owner"))


@pytest.mark.parametrize(
    ("columns", "cause"),
    [
        (["acme.registers.owner"], "is of a kind the rule does not declare"),
        (["acme.register."], "is of a kind the rule does not declare"),
        (["owner"], "is not kind.field"),
    ],
)
def test_a_column_of_no_declared_kind_is_refused(columns: list[str], cause: str) -> None:
    with pytest.raises(ValidationError, match=cause):
        _meta(["it-assets", "acme.register"], columns)
