"""Rule case files: the format (``schemas/rule-cases.schema.json``), reading and validating them with every
problem located (file, line, JSON pointer), and finding them in a directory. Running them is
:mod:`capcheck.testing`'s business."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from capcheck.core.errors import EvidenceError, Problem, RuleFileError
from capcheck.core.loading import SourceFile, normalise_values
from capcheck.core.models import Severity, Status, display_path
from capcheck.core.side_inputs import escape_token, first_errors, read_document, shorten
from capcheck.core.wording import suggestion

__all__ = [
    "CASE_FILE_MAX_BYTES",
    "CASE_FILE_SUFFIXES",
    "EXPECTED_STATUSES",
    "FIXTURES_DIR",
    "Case",
    "CaseFile",
    "Expectation",
    "case_files",
    "load_case_file",
    "load_cases",
]

#: The largest rule case file read.
CASE_FILE_MAX_BYTES = 16 << 20
#: The extensions of case files.
CASE_FILE_SUFFIXES = (".yaml", ".yml")
#: The folder beside case files for their evidence files (``evidence_files``): never searched for case files.
FIXTURES_DIR = "fixtures"
#: The statuses a case may expect.
EXPECTED_STATUSES = ("pass", "fail", "skip", "error")


@dataclass(frozen=True)
class Expectation:
    """What a case expects of one record (or group): a status, optionally a severity and a message part."""

    status: Status
    severity: Severity | None = None
    message: str | None = None

    def describe(self) -> str:
        """``fail`` or ``fail (high, message containing 'x')``."""
        extra = [
            e
            for e in (self.severity and self.severity.value, self.message and f"message containing {self.message!r}")
            if e
        ]
        return f"{self.status.value} ({', '.join(extra)})" if extra else self.status.value


@dataclass(frozen=True)
class Case:
    """One case of a case file, validated."""

    name: str
    index: int
    line: int | None
    as_of: date
    options: Mapping[str, Any]
    evidence: Mapping[str, Sequence[Mapping[str, Any]]] | None
    evidence_files: tuple[Path, ...]
    expect: Mapping[str, Expectation]
    expect_skip: bool

    @property
    def pointer(self) -> str:
        """The case's JSON pointer in its file."""
        return f"/cases/{self.index}"


@dataclass(frozen=True)
class CaseFile:
    """A case file, validated against ``schemas/rule-cases.schema.json``."""

    path: Path
    shown: str
    rule: str
    cases: tuple[Case, ...]
    #: The line of a JSON pointer into the file (best effort), for located problems.
    lines: Mapping[str, int] = field(default_factory=dict, repr=False)

    def problem(self, message: str, pointer: str) -> Problem:
        """A problem located at ``pointer`` in this file."""
        return Problem(message, path=self.shown, line=_line_for(self.lines, pointer), pointer=pointer)


def _line_for(lines: Mapping[str, int], pointer: str) -> int | None:
    while pointer:
        if pointer in lines:
            return lines[pointer]
        pointer = pointer.rpartition("/")[0]
    return lines.get("")


def _node_lines(node: Any, pointer: str = "", out: dict[str, int] | None = None) -> dict[str, int]:
    """The first line of every value in a YAML node tree, by JSON pointer."""
    import yaml

    out = {} if out is None else out
    if node is None:
        return out
    out[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{pointer}/{escape_token(key.value)}"
            _node_lines(value, child, out)
            out[child] = key.start_mark.line + 1  # a key's problem is on the key's line (a value may start below)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, f"{pointer}/{i}", out)
    return out


def case_files(directory: Path) -> list[Path]:
    """The case files (``*.yaml``, ``*.yml``) under ``directory`` (or ``directory`` itself), sorted;
    ``fixtures/`` folders hold evidence, not cases."""
    if directory.is_file():
        return [directory]
    return sorted(
        p
        for p in directory.rglob("*")
        if p.suffix.lower() in CASE_FILE_SUFFIXES
        and FIXTURES_DIR not in p.relative_to(directory).parts[:-1]
        and p.is_file()
    )


def load_cases(path: Path) -> dict[str, Any]:
    """Read a case file safely (the side-input reader: bounded, no aliases or duplicate keys) and
    validate it against its schema; dates become ISO strings as in evidence files.

    :raises RuleFileError: the file cannot be read, parsed or validated, with its line and pointer.
    """
    return _read(path)[0]


def _read(path: Path) -> tuple[dict[str, Any], dict[str, int], str]:
    import jsonschema

    from capcheck.core.resources import load_schema

    shown = display_path(path)
    document = read_document(
        path,
        shown=shown,
        what="rule case file",
        error=RuleFileError,
        limit=CASE_FILE_MAX_BYTES,
        formats=CASE_FILE_SUFFIXES,
    )
    source = SourceFile(path=path, display=shown, data=b"")
    try:
        doc = normalise_values(source, document.value)
    except EvidenceError as exc:
        raise RuleFileError(exc.problems) from None
    lines = _node_lines(document.node)
    validator = jsonschema.Draft202012Validator(load_schema("rule-cases"), format_checker=jsonschema.FormatChecker())
    problems = [
        Problem(message, path=shown, line=_line_for(lines, pointer), pointer=pointer or None)
        for pointer, message in sorted(_schema_problems(validator, doc))
    ]
    if problems:
        raise RuleFileError(problems)
    return doc, lines, shown


def _schema_problems(validator: Any, doc: Any) -> set[tuple[str, str]]:
    """``(pointer, message)`` for each schema error, said for a person (allowed statuses, did you mean)."""
    errors, _ = first_errors(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return {found for error in errors for found in _explain(error)}


def _explain(error: Any) -> list[tuple[str, str]]:
    from capcheck.core.errors import elide

    where = list(error.absolute_path)
    pointer = "".join(f"/{escape_token(p)}" for p in where)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        out = []
        for key in sorted(set(error.instance) - set(allowed)):
            hint = suggestion(key, allowed, f"keys: {', '.join(allowed)}")
            out.append((f"{pointer}/{escape_token(key)}", f"unknown key {shorten(key)} ({hint})"))
        return out
    if error.validator == "anyOf" and len(where) == 4 and where[2] == "expect":
        if isinstance(error.instance, dict):  # the table form's own errors (schema_path 1: its branch)
            return [found for sub in error.context or () if sub.schema_path[0] == 1 for found in _explain(sub)]
        statuses = ", ".join(EXPECTED_STATUSES)
        return [
            (
                pointer,
                f"{shorten(error.instance)} is not a status: expect {statuses}, "
                "or a table {status, severity, message}",
            )
        ]
    if error.validator == "anyOf" and len(where) == 2:
        return [(pointer, "a case needs 'expect' (record id -> status) or 'expect_skip: true'")]
    if error.validator == "not" and len(where) == 2:
        return [(pointer, "a case has 'evidence' or 'evidence_files', not both")]
    return [(pointer, elide(error.message))]


def load_case_file(path: Path) -> CaseFile:
    """A case file, read and validated (schema, dates), with its cases typed.

    :raises RuleFileError: every problem, with line and pointer.
    """
    doc, lines, shown = _read(path)
    default_as_of = date.fromisoformat(doc["as_of"]) if "as_of" in doc else date.today()
    cases: list[Case] = []
    for index, raw in enumerate(doc["cases"]):
        expect = {
            str(key): Expectation(Status(value))
            if isinstance(value, str)
            else Expectation(
                Status(value["status"]),
                Severity(value["severity"]) if "severity" in value else None,
                value.get("message"),
            )
            for key, value in (raw.get("expect") or {}).items()
        }
        cases.append(
            Case(
                name=raw["name"],
                index=index,
                line=lines.get(f"/cases/{index}"),
                as_of=date.fromisoformat(raw["as_of"]) if "as_of" in raw else default_as_of,
                options=dict(raw.get("options", {})),
                evidence=raw.get("evidence"),
                evidence_files=tuple(path.parent / p for p in raw.get("evidence_files", ())),
                expect=expect,
                expect_skip=bool(raw.get("expect_skip")),
            )
        )
    return CaseFile(path=path, shown=shown, rule=doc["rule"], cases=tuple(cases), lines=lines)
