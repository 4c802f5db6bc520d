"""The column-removal property: deleting evidence can never make a check look better.

For every column of every evidence kind of every example under ``examples/`` (CSV columns, and the
top-level fields of JSON/YAML/TOML records), remove it from every record of that kind, in every file that
holds it (a register exported without the column), and run the check in-process with the example
README's ``--as-of``. Then:

- each area's level stays or drops (no level counts as the lowest, so "insufficient evidence" is fine);
- every critical or high failure is still there: the same rule on the same record (or group) still
  fails, undetermined or not, at the same or a higher severity.

Evidence that no longer validates (exit 2) is fine too: the run cannot be gamed into passing.

Speed: the registry and each kind's baseline are made once; each run selects only the areas whose rules
read the kind and loads only the evidence files those rules read, so each removal costs one check of a
few areas. Every file is re-serialised (CSV by the csv module, other formats as JSON) for the baseline as
well as for each removal, so that nothing but the removal differs between the two runs.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from capcheck.app.config import Config
from capcheck.app.registry import Registry
from capcheck.app.runner import CheckRequest, load_registry, run_check
from capcheck.core.errors import CapcheckError
from capcheck.core.models import FAILING, RunResult, Severity

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EVIDENCE_DIRS = sorted(p for p in EXAMPLES.glob("*/evidence") if p.is_dir())
#: The failures that removing a column must never make disappear.
GUARDED = frozenset({Severity.CRITICAL, Severity.HIGH})
#: Columns whose absence has a documented meaning (a default), so removing one restates the evidence instead of
#: withholding it. Each may drop a critical/high failure; each must still do so (a stale entry fails), and no
#: area's level may rise. Decided by the rule's owner; listed here so that the exception stays visible.
DEFAULTED = {
    ("supplier-contracts", "currency"): "no currency means GBP (docs/evidence.md): removing it restates a USD "
    "value as GBP, which the no-rate failure of COMM-004/COMM-008 then no longer sees",
    ("training-records", "expires_on"): "no expires_on means no expiry before the period (CULT-003): removing it "
    "drops the early expiry of a course completed within the period",
}
_AS_OF = re.compile(r"--as-of (\d{4}-\d{2}-\d{2})")


def readme_as_of(evidence_dir: Path) -> date:
    """The ``--as-of`` the example's README runs its checks with."""
    found = set(_AS_OF.findall((evidence_dir.parent / "README.md").read_text(encoding="utf-8")))
    assert len(found) == 1, f"{evidence_dir.parent}/README.md: expected one --as-of date, found {sorted(found)}"
    return date.fromisoformat(found.pop())


# ---------------------------------------------------------------------------------------------
# Reading and rewriting evidence files
# ---------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Parsed YAML/TOML values as JSON values (dates as ISO strings, as capcheck reads them)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class EvidenceFile:
    """One evidence file, parsed once: its columns, and how to write it with a column removed."""

    path: Path
    kind: str
    header: tuple[str, ...] = ()  # CSV
    rows: tuple[tuple[str, ...], ...] = ()  # CSV
    document: Mapping[str, Any] | None = None  # other formats, as JSON values

    @staticmethod
    def read(path: Path) -> EvidenceFile:
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix == ".csv":
            header, *rows = list(csv.reader(io.StringIO(text, newline="")))
            return EvidenceFile(path, path.stem, tuple(header), tuple(tuple(r) for r in rows))
        if path.suffix == ".json":
            doc = json.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            doc = _plain(yaml.safe_load(text))
        elif path.suffix == ".toml":
            doc = _plain(tomllib.loads(text))
        else:  # pragma: no cover - a new example format: teach this test to read it
            raise AssertionError(f"{path}: no reader for this evidence format in the column-removal test")
        if isinstance(doc, list):
            doc = {"records": doc}
        return EvidenceFile(path, str(doc.get("kind", path.stem)), document=doc)

    def columns(self) -> list[str]:
        """CSV columns, or every top-level field of any record (``id`` included: removing it must not pass)."""
        if self.document is None:
            return list(self.header)
        seen: dict[str, None] = {}
        for record in self.document.get("records", []):
            if isinstance(record, dict):
                seen.update(dict.fromkeys(record))
        return list(seen)

    def write(self, folder: Path, without: str | None) -> Path:
        """The file, re-serialised into ``folder``, with column ``without`` removed from every record."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.document is None:
            keep = [i for i, name in enumerate(self.header) if name != without]
            out = io.StringIO(newline="")
            writer = csv.writer(out, lineterminator="\n")
            for row in (self.header, *self.rows):
                writer.writerow([row[i] for i in keep if i < len(row)])
            target = folder / self.path.name
            target.write_text(out.getvalue(), encoding="utf-8")
            return target
        doc = dict(self.document)
        doc["records"] = [
            {k: v for k, v in r.items() if k != without} if isinstance(r, dict) else r for r in doc.get("records", [])
        ]
        doc["kind"] = self.kind
        target = folder / f"{self.path.stem}.json"
        target.write_text(json.dumps(doc), encoding="utf-8")
        return target


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------


@cache
def registry() -> Registry:
    return load_registry(Config())


@cache
def read(path: Path) -> EvidenceFile:
    return EvidenceFile.read(path)


def evidence_files(evidence_dir: Path) -> list[EvidenceFile]:
    """Every evidence file of an example, nested folders included, in sorted order."""
    return [read(p) for p in sorted(evidence_dir.rglob("*")) if p.is_file()]


class Workspace:
    """Re-serialised copies of the example files (the baseline's inputs), and the baseline runs, made once.

    Every file is read from its re-serialised copy (CSV as CSV, the rest as JSON, which also spares each
    run the YAML parser), so a removal run differs from its baseline only by the removed column.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.copies: dict[Path, Path] = {}
        self.baselines: dict[tuple[Path, str], RunResult] = {}
        self.serial = 0

    def copy(self, file: EvidenceFile) -> Path:
        if file.path not in self.copies:
            folder = self.root / "copies" / str(len(self.copies))
            self.copies[file.path] = file.write(folder, None)
        return self.copies[file.path]

    def run(self, evidence_dir: Path, kind: str, column: str | None) -> RunResult | None:
        """The check of the areas whose rules read ``kind``, with ``column`` removed from every record of
        the kind (None: nothing removed); None when the evidence no longer loads (exit 2)."""
        rules = registry().rules.values()
        areas = sorted({r.meta.area for r in rules if kind in r.meta.kinds})
        kinds = {k for r in rules if r.meta.area in areas for k in r.meta.kinds}
        self.serial += 1
        paths = []
        for i, file in enumerate(evidence_files(evidence_dir)):
            if file.kind == kind:
                paths.append(file.write(self.root / f"run-{self.serial}" / str(i), column))
            elif file.kind in kinds:
                paths.append(self.copy(file))
        request = CheckRequest(paths=paths, select=areas, as_of=readme_as_of(evidence_dir), fail_on=None)
        try:
            return run_check(request, registry())
        except CapcheckError:
            return None

    def baseline(self, evidence_dir: Path, kind: str) -> RunResult:
        key = (evidence_dir, kind)
        if key not in self.baselines:
            result = self.run(evidence_dir, kind, None)
            assert result is not None, f"{evidence_dir}: the example does not load once re-serialised"
            self.baselines[key] = result
        return self.baselines[key]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("column-removal"))


def levels(result: RunResult) -> dict[str, int]:
    """Each area's level; no level (insufficient evidence, incomplete ...) is 0, below every level."""
    rows = result.scorecard.rows if result.scorecard is not None else ()
    return {row.area: row.level if row.level is not None else 0 for row in rows}


def guarded_failures(result: RunResult) -> dict[str, Severity]:
    """Critical and high failures (waived and baselined included), by fingerprint (rule, kind, record, group)."""
    return {f.fingerprint: f.severity for f in result.findings if f.status in FAILING and f.severity in GUARDED}


def failures(result: RunResult) -> dict[str, Severity]:
    """Every failing finding's severity, by fingerprint."""
    return {f.fingerprint: f.severity for f in result.findings if f.status in FAILING}


def _cases() -> Iterator[Any]:
    for evidence_dir in EVIDENCE_DIRS:
        columns: dict[str, dict[str, None]] = {}
        for file in evidence_files(evidence_dir):
            columns.setdefault(file.kind, {}).update(dict.fromkeys(file.columns()))
        for kind in sorted(columns):
            for column in columns[kind]:
                yield pytest.param(evidence_dir, kind, column, id=f"{evidence_dir.parent.name}/{kind}:{column}")


CASES = list(_cases())


def test_every_example_has_columns_to_remove() -> None:
    assert EVIDENCE_DIRS, "no examples/*/evidence folder"
    assert len(CASES) > 50


@pytest.mark.parametrize(("evidence_dir", "kind", "column"), CASES)
def test_removing_a_column_never_improves_the_check(
    evidence_dir: Path, kind: str, column: str, workspace: Workspace
) -> None:
    before = workspace.baseline(evidence_dir, kind)
    after = workspace.run(evidence_dir, kind, column)
    if after is None:
        return  # the evidence no longer validates: exit 2, so nothing passes
    before_levels, after_levels = levels(before), levels(after)
    raised = {a: (before_levels.get(a, 0), lvl) for a, lvl in after_levels.items() if lvl > before_levels.get(a, 0)}
    assert not raised, f"removing {kind} {column!r} raised area levels (before, after): {raised}"
    still = failures(after)
    lost = {
        fp for fp, severity in guarded_failures(before).items() if fp not in still or still[fp].rank < severity.rank
    }
    named = sorted(
        {
            f"{f.rule_id} {f.evidence.record_id if f.evidence else f.group}"
            for f in before.findings
            if f.fingerprint in lost
        }
    )
    if (kind, column) in DEFAULTED:
        assert lost, f"{kind} {column!r} is listed in DEFAULTED but removing it loses nothing: remove the entry"
        return
    assert not lost, f"removing {kind} {column!r} removed critical/high failures: {named}"
