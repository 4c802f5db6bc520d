"""docs/security.md, checked from outside the process: what a check opens.

"capcheck never opens a path that evidence names, and never evaluates evidence values" (docs/evidence.md,
docs/security.md): evidence whose values name files, by path, by ``file://`` URL, as a JSON Schema ``$ref`` or a
YAML tag, is checked in a real process under an audit hook that records every file opened; none of those files
is opened, whether the evidence is valid or refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Run capcheck's console entry point with an audit hook noting every path opened, as it is opened (the console
#: script ends with os._exit: nothing registered for the exit would run).
PROBE = """
import os, sys
log = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)  # before the hook: os.write raises no event
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        path = args[0] if isinstance(args[0], str) else args[0].decode("utf-8", "replace")
        os.write(log, (path + "\\n").encode("utf-8", "surrogateescape"))
sys.addaudithook(hook)
from capcheck.cli import main
sys.argv = ["capcheck", *sys.argv[2:]]
main()
"""


def _opened(workdir: Path, *argv: str) -> tuple[int, list[str]]:
    log = workdir / "opened.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPCHECK_")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(log), *argv], cwd=workdir, env=env, capture_output=True, timeout=120
    )
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    return result.returncode, log.read_text().splitlines()


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "refused"])
def test_no_file_evidence_names_is_opened(workdir: Path, valid: bool) -> None:
    secrets = workdir / "secrets"
    secrets.mkdir()
    canaries = {name: secrets / name for name in ("a.json", "b.yaml", "c.csv", "d.txt", "e.json", "f.json")}
    for path in canaries.values():
        path.write_text('{"kind": "supplier-contracts", "records": []}\n')
    evidence = workdir / "evidence"
    evidence.mkdir()
    record = {
        "id": "CON-1",
        "title": str(canaries["a.json"]),
        "supplier": canaries["e.json"].as_uri(),
        "value": 1000,
        "start_date": "2024-01-01",
        "status": "active",
        "owner": "../secrets/f.json",
    }
    if not valid:
        record["$ref"] = canaries["d.txt"].as_uri()  # not a field of the kind: refused, never followed
    (evidence / "supplier-contracts.json").write_text(json.dumps({"kind": "supplier-contracts", "records": [record]}))
    (evidence / "governance-register.yaml").write_text(
        "kind: governance-register\nrecords:\n"
        f"  - id: RSK-1\n    title: {canaries['b.yaml']}\n    entry_type: risk\n    status: open\n"
        + ("" if valid else f"    owner: !include {canaries['b.yaml']}\n")
    )
    (evidence / "it-assets.csv").write_text(
        f"id,name,product,environment,criticality\nA-1,{canaries['c.csv']},../secrets/c.csv,production,high\n"
    )
    code, opened = _opened(workdir, "check", "evidence", "--as-of", "2026-11-25", "-f", "json", "-o", "out.json")
    assert code == (1 if valid else 2)
    read = {os.path.realpath(p) for p in opened}
    assert os.path.realpath(evidence / "supplier-contracts.json") in read  # the hook saw the evidence opened
    assert not read & {os.path.realpath(p) for p in canaries.values()}, sorted(read)
    assert not [p for p in read if p.startswith(os.path.realpath(secrets))]
