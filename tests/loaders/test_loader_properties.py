"""Properties of the built-in loaders: arbitrary and mutated evidence is loaded or refused with located
problems naming the file; a built-in loader never fails (which capcheck would report as the loader's bug)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capcheck.core.errors import EvidenceError
from hostile import mutated

FORMATS = Path(__file__).parent.parent / "fixtures" / "evidence" / "formats"
SEEDS = {
    "records.json": (FORMATS / "pretty.json").read_bytes(),
    "records.yaml": (FORMATS / "records.yaml").read_bytes(),
    "records.toml": (FORMATS / "records.toml").read_bytes(),
    "it-assets.csv": (FORMATS / "it-assets.csv").read_bytes(),
}
EXAMPLES = 100 * int(os.environ.get("CAPCHECK_FUZZ_SCALE", "1"))


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="capcheck-loaders-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.sampled_from(sorted(SEEDS)), data=st.data())
def test_built_in_loaders_never_fail(load, scratch: Path, name: str, data: st.DataObject) -> None:
    content = data.draw(st.one_of(st.binary(max_size=300), mutated(SEEDS[name])))
    path = scratch / name
    path.write_bytes(content)
    try:
        load(path)
    except EvidenceError as exc:
        for problem in exc.problems:
            assert problem.path is not None and problem.path.endswith(name), problem
            assert "loader failed" not in problem.message, problem
            assert len(problem.message) < 1000, problem.message[:200]


MAPPING_DIR = Path(__file__).parent.parent / "fixtures" / "mapping"
#: A seed per format, with a mapping using every key its format allows.
MAPPED = {
    "c.csv": (
        (MAPPING_DIR / "contracts-cp1252.csv").read_bytes(),
        {
            "kind": "supplier-contracts", "encoding": "cp1252", "header_row": 3, "trim": True, "id": "Ref",
            "rename": {"Title": "title", "Supplier": "supplier", "Annual Value": "value", "Start": "start_date",
                       "End": "end_date", "Exit plan?": "exit_plan", "Status": "status"},
            "values": {"exit_plan": {"Y": True, "N": False}, "status": {"Active": "active"}},
            "dates": {"*": ["%d/%m/%Y", "excel", "iso"]}, "numbers": {"value": "1,234.5"},
            "skip_rows": [{"field": "Ref", "equals": "TOTAL"}, {"field": "title", "matches": "^x"}],
            "set": {"owner": "head-of-commercial", "framework": "G-Cloud 14"},
        },
    ),
    "c.json": (
        SEEDS["records.json"],
        {
            "kind": "it-assets", "trim": True, "id": "{name}-{product}", "rename": {"criticality": "crit"},
            "values": {"environment": {"staging": "test"}}, "dates": {"end_of_life": ["%d/%m/%Y", "iso"]},
            "numbers": {"name": "1.234,5"}, "skip_rows": [{"field": "product", "empty": True}],
            "set": {"hosting": "on-premises"},
        },
    ),
}  # fmt: skip


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.sampled_from(sorted(MAPPED)), data=st.data())
def test_a_mapping_on_mutated_evidence_never_fails(load, scratch: Path, name: str, data: st.DataObject) -> None:
    """Through a mapping, mutated evidence is loaded or refused with problems naming the file."""
    from capcheck.core.mapping_config import compile_mappings

    seed, table = MAPPED[name]
    mappings = compile_mappings([{**table, "files": name}], shown="capcheck.toml")
    path = scratch / name
    path.write_bytes(data.draw(st.one_of(st.binary(max_size=300), mutated(seed))))
    try:
        load(path, mappings=mappings)
    except EvidenceError as exc:
        for problem in exc.problems:
            assert problem.path is not None and problem.path.endswith(name), problem
            assert "loader failed" not in problem.message, problem
            assert len(problem.message) < 1000, problem.message[:200]


REAL = Path(__file__).parent.parent / "data" / "real"


def _cut(path: Path, key: str, count: int) -> bytes:
    """The JSON document with the first ``count`` items of its ``key`` list only: a small valid seed."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return json.dumps({**document, key: document[key][:count]}, indent=1).encode()


#: Real files each built-in adapter recognises by content (the DSPT export, a CycloneDX SBOM and an OCDS package
#: cut to a few items, the SPDX fixture), for mutation.
ADAPTED = {
    "dspt.csv": (REAL / "nhs-dspt-csu-status-2023-11-16.csv").read_bytes(),
    "bom.json": _cut(REAL / "cyclonedx-laravel-7.12.0-bom.1.4.json", "components", 3),
    "sbom.json": (Path(__file__).parent.parent / "fixtures" / "sbom" / "referrals-portal.spdx.json").read_bytes(),
    "notices.json": _cut(REAL / "contracts-finder-extract.ocds.json", "releases", 2),
    # The forms read into those adapters' shapes: OCDS JSON Lines and a single release, CycloneDX XML, SPDX tag-value.
    "notices.jsonl": b"".join(
        json.dumps(r).encode() + b"\n"
        for r in json.loads(_cut(REAL / "contracts-finder-extract.ocds.json", "releases", 3))["releases"]
    ),
    "release.json": json.dumps(
        json.loads(_cut(REAL / "contracts-finder-extract.ocds.json", "releases", 3))["releases"][2], indent=1
    ).encode(),
    "bom.xml": (REAL / "cyclonedx-laravel-7.12.0-bom.1.4.xml").read_bytes()[:6000].rsplit(b"</component>", 1)[0]
    + b"</component></components></bom>\n",
    "sbom.spdx": (REAL / "spdx-example6-lib.spdx").read_bytes(),
}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.sampled_from(sorted(ADAPTED)), data=st.data())
def test_the_content_adapters_never_fail_on_mutated_real_files(
    kinds: dict[str, Any], loaders: dict[str, Any], scratch: Path, name: str, data: st.DataObject
) -> None:
    """Mutated real exports (bytes in other encodings, separators, truncation, duplicate lines) are read by their
    adapter, or by the plain loader, or refused with problems naming the file; never a crash."""
    from capcheck.builtins.loaders import cyclonedx, dspt, ocds, spdx
    from capcheck.core.evidence import load_evidence

    adapters = [loader for module in (dspt, ocds, cyclonedx, spdx) for loader in module.capcheck_loaders()]
    # The adapters' own extensions (.jsonl, .xml, .spdx, .ocds.json ...) beside the plain loaders'.
    by_extension = {**loaders, **{ext: a for a in adapters if a.claims is None for ext in a.extensions}}
    path = scratch / name
    path.write_bytes(data.draw(mutated(ADAPTED[name])))
    try:
        load_evidence(
            [path],
            loaders=by_extension,
            kinds=kinds,
            content_loaders=[a for a in adapters if a.claims is not None],
            enrichers=dspt.capcheck_enrichers(),
        )
    except EvidenceError as exc:
        for problem in exc.problems:
            assert problem.path is not None and problem.path.endswith(name), problem
            assert "loader failed" not in problem.message, problem
            assert len(problem.message) < 1000, problem.message[:200]
