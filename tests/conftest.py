"""Shared fixtures: the bundled kinds and loaders, evidence loading, a scratch working directory,
the CLI runner, and the plugin registry.

Fixture *files* live under ``tests/fixtures/``: ``evidence/`` (good, bad and per-format evidence),
``config/`` (config files) and ``plugins/`` (sample plugin modules and a test distribution).
"""

from __future__ import annotations

import functools
import io
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from capcheck.builtins.loaders import csvfile, jsonfile, tomlfile, xlsxfile, yamlfile
from capcheck.core.errors import EvidenceError
from capcheck.core.evidence import EvidenceSet, load_evidence
from capcheck.core.kinds import EvidenceKind, bundled_kinds
from capcheck.core.loading import Loader
from capcheck.core.resources import load_schema

# CI runs the property tests derandomised (the same examples on every run), so whether a submission lands is
# never decided by chance; a run without CI set explores new examples each time, and what it finds becomes a
# fixed regression test.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

FIXTURES = Path(__file__).parent / "fixtures"
#: The Python rules of the built-in pack (``capcheck.builtins.pack``).
PY_RULES = ("COMM-003", "COMM-004", "GOV-002", "INFRA-003", "INFRA-004")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No developer setting leaks into a test."""
    for name in (
        "CAPCHECK_DEBUG",
        "CAPCHECK_TRACE_HOOKS",
        "CAPCHECK_NO_CONFIG_PLUGINS",
        "CAPCHECK_DISABLE_PLUGIN_AUTOLOAD",
        "CAPCHECK_JOBS",
        "NO_COLOR",
    ):
        monkeypatch.delenv(name, raising=False)


@functools.cache
def _validator(schema: str) -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(load_schema(schema), validate_formats=True)


def _assert_valid(schema: str, doc: Any, what: str) -> None:
    errors = [
        f"{'/'.join(map(str, e.instance_path)) or '(document)'}: {e.message}"
        for e in _validator(schema).iter_errors(doc)
    ]
    assert not errors, f"{what} wrote a document schemas/{schema}.schema.json refuses:\n" + "\n".join(errors[:10])


@pytest.fixture(autouse=True)
def _documents_follow_their_schemas(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every JSON document capcheck writes in any test follows its published schema: each findings document
    (``--format json``, ``--report json=``, ``render_json``), each ``diff --format json`` and each baseline
    (``baseline create``). The contracts are checked on every shape the suite makes, not only on the few
    documents a test validates by name."""
    from capcheck.app import diff
    from capcheck.assessment import baseline
    from capcheck.builtins.reporters import json as json_reporter
    from capcheck.core.reporting import render_by

    write_json, render_diff, baseline_document = json_reporter.write_json, diff.render_diff, baseline.baseline_document

    @functools.wraps(write_json)  # named as the original: tests look reporters' functions up by name
    def validated_json(result: Any, options: Any, stream: Any) -> None:
        copy = io.BytesIO()

        class Tee:
            def write(self, data: bytes, /) -> object:
                copy.write(data)
                return stream.write(data)

        write_json(result, options, Tee())  # a write that raises is not validated: it left no document
        _assert_valid("findings", json.loads(copy.getvalue()), "the JSON reporter")

    def validated_diff(result: dict[str, Any], fmt: str, *args: Any, **kwargs: Any) -> str:
        text: str = render_diff(result, fmt, *args, **kwargs)
        if fmt == "json":
            _assert_valid("diff", json.loads(text), "capcheck diff --format json")
        return text

    def validated_baseline(result: Any) -> dict[str, Any]:
        doc: dict[str, Any] = baseline_document(result)
        _assert_valid("baseline", json.loads(json.dumps(doc)), "capcheck baseline create")
        return doc

    monkeypatch.setattr(json_reporter, "write_json", validated_json)
    monkeypatch.setattr(json_reporter, "render_json", render_by(validated_json))  # it binds write_json at import
    monkeypatch.setattr(diff, "render_diff", validated_diff)
    monkeypatch.setattr(baseline, "baseline_document", validated_baseline)


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """``tests/fixtures``."""
    return FIXTURES


@pytest.fixture(scope="session")
def kinds() -> dict[str, EvidenceKind]:
    """The bundled evidence kinds by id."""
    return {k.id: k for k in bundled_kinds()}


@pytest.fixture(scope="session")
def loaders() -> dict[str, Loader]:
    """The built-in loaders by extension, straight from their plugin hooks (no plugin manager)."""
    table: dict[str, Loader] = {}
    for module in (jsonfile, yamlfile, tomlfile, csvfile, xlsxfile):
        for loader in module.capcheck_loaders():
            for ext in loader.extensions:
                table[ext] = loader
    return table


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working directory (messages show paths relative to it)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def copy_fixture(workdir: Path) -> Callable[..., Path]:
    """Copy ``tests/fixtures/<name>`` (file or directory) into the working directory; return the
    relative path, as a user would type it."""

    def copy(name: str, dest: str | None = None) -> Path:
        src = FIXTURES / name
        target = workdir / (dest or src.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target)
        else:
            shutil.copyfile(src, target)
        return target.relative_to(workdir)

    return copy


@dataclass
class EvidenceLoader:
    """Load evidence with the bundled kinds and loaders, or collect the problems it has."""

    kinds: dict[str, EvidenceKind]
    loaders: dict[str, Loader]

    def __call__(self, *paths: str | Path, kind_map: dict[str, str] | None = None, **kwargs: Any) -> EvidenceSet:
        return load_evidence(
            [Path(p) for p in paths], loaders=self.loaders, kinds=self.kinds, kind_map=kind_map, **kwargs
        )

    def problems(self, *paths: str | Path, kind_map: dict[str, str] | None = None, **kwargs: Any) -> list[str]:
        """The problems loading reports, as ``path:line: /pointer: cause`` lines."""
        with pytest.raises(EvidenceError) as info:
            self(*paths, kind_map=kind_map, **kwargs)
        assert info.value.problems, "an EvidenceError must carry at least one problem"
        return [str(p) for p in info.value.problems]


@pytest.fixture
def load(kinds: dict[str, EvidenceKind], loaders: dict[str, Loader]) -> EvidenceLoader:
    """``load(*paths)`` -> EvidenceSet; ``load.problems(*paths)`` -> the problems, as text."""
    return EvidenceLoader(kinds, loaders)


@dataclass
class Cli:
    """Run ``capcheck`` in-process with click's runner; stdout and stderr apart."""

    runner: CliRunner

    def __call__(self, *args: str | Path, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        from capcheck.cli import cli

        return self.runner.invoke(cli, [str(a) for a in args], input=input, env=env, catch_exceptions=False)


@pytest.fixture
def run_cli(workdir: Path) -> Cli:
    """``run_cli("check", "evidence/")`` in the scratch working directory."""
    return Cli(CliRunner())


def check_args(*paths: str | Path, rules: Sequence[str] = PY_RULES, as_of: str = "2025-04-01") -> list[str]:
    """``check PATH... --select <each Python rule> --as-of DATE``: independent of the declarative pack."""
    args: list[str] = ["check", *[str(p) for p in paths], "--as-of", as_of]
    for rule_id in rules:
        args += ["--select", rule_id]
    return args


@pytest.fixture
def check_argv() -> Callable[..., list[str]]:
    """:func:`check_args` as a fixture."""
    return check_args


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--update-golden``: rewrite ``tests/reporters/golden/`` from the reporters' output (then review the diff)."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the reporters' golden files (tests/reporters/golden/) from their output; review the diff",
    )
