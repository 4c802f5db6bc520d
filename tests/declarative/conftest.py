"""Fixtures for the declarative rule tests (helpers are in ``decl_helpers``)."""

from __future__ import annotations

import pytest
from decl_helpers import load_fixture_evidence, make_context

from capcheck.builtins.declarative import CompileContext
from capcheck.core.evidence import EvidenceSet


@pytest.fixture(scope="session")
def compile_context() -> CompileContext:
    """The bundled areas and kinds."""
    return make_context()


@pytest.fixture(scope="session")
def evidence(compile_context: CompileContext) -> EvidenceSet:
    """All the fixture evidence: assets, contracts and the governance register."""
    return load_fixture_evidence(compile_context)
