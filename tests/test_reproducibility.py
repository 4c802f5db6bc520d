"""Same evidence, rules and ``--as-of``: the same bytes, whatever the machine around the run.

The claim (README, docs/findings.md "Reproducibility", docs/reporters.md): the JSON findings document is
byte-identical apart from ``run.started`` and ``run.finished``, and every other report apart from the run's
times. tests/test_cli.py checks two runs in one process and the order of the PATH arguments; these check what
differs between two machines or two CI jobs: the checkout's directory, the order files were created in (and the
order the file system lists them in), ``PYTHONHASHSEED``, ``TZ``, ``LANG``/``LC_ALL``, ``PYTHONIOENCODING``, the
processes asked for (``CAPCHECK_JOBS``) and the umask, in real processes; and that the run's times are UTC
whatever ``TZ`` says.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.core.resources import load_schema

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "northgate-health-digital" / "evidence"
FIXTURES = Path(__file__).parent / "fixtures"
WAIVERS = """\
waivers:
  - rule: INFRA-004
    records: [CI-0151]
    reason: Portal retired in December; patching it first would delay the move
    approved_by: Chief Technology Officer
    ticket: RISK-77
    approved_on: 2026-10-01
    expires: 2027-01-31
"""


def _copy_tree(source: Path, target: Path, *, reverse: bool) -> None:
    """Copy ``source`` to ``target``, creating entries in sorted or reverse-sorted order (directory listings
    of some file systems follow creation order)."""
    target.mkdir(parents=True)
    for entry in sorted(source.iterdir(), reverse=reverse):
        if entry.is_dir():
            _copy_tree(entry, target / entry.name, reverse=reverse)
        else:
            shutil.copyfile(entry, target / entry.name)


def _checkout(root: Path, *, reverse: bool) -> Path:
    """A project directory as a user has it: evidence, a rule directory, a local plugin and waivers."""
    root.mkdir(parents=True)
    _copy_tree(EXAMPLE, root / "evidence", reverse=reverse)
    (root / "rules").mkdir()
    shutil.copyfile(FIXTURES / "rules" / "contract-currency.toml", root / "rules" / "contract-currency.toml")
    shutil.copyfile(FIXTURES / "plugins" / "namespaced_plugin.py", root / "namespaced_plugin.py")
    (root / "waivers.yaml").write_text(WAIVERS, encoding="utf-8")
    (root / "out").mkdir()
    return root


FORMATS = sorted(load_registry(Config()).reporters)


def _run(checkout: Path, env: dict[str, str], umask: int) -> tuple[bytes, dict[str, bytes], datetime, datetime]:
    """``check`` with every report format; standard output (JSON), the reports by format, and the UTC times
    around the run."""
    argv = [sys.executable, "-m", "capcheck", "check", "evidence", "--rules", "rules"]
    argv += ["--plugin", "./namespaced_plugin.py", "--waivers", "waivers.yaml", "--as-of", "2026-11-25"]
    argv += ["--include-passed", "--no-progress", "-f", "json"]
    for fmt in FORMATS:
        argv += ["--report", f"{fmt}=out/{fmt}.out"]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CAPCHECK_", "LC_")) and k not in ("NO_COLOR",)}
    before = datetime.now(UTC).replace(microsecond=0)
    result = subprocess.run(
        argv, cwd=checkout, env={**base, **env}, capture_output=True, timeout=120, check=False, umask=umask
    )
    after = datetime.now(UTC)
    assert result.returncode == 1, result.stderr.decode()
    reports = {fmt: (checkout / "out" / f"{fmt}.out").read_bytes() for fmt in FORMATS}
    return result.stdout, reports, before, after


def _masked(data: bytes, times: Iterator[str] | list[str]) -> bytes:
    """``data`` with the run's own times (as ISO 8601 UTC, with or without the ``Z``) replaced by ``<time>``."""
    for moment in times:
        data = data.replace(moment.encode(), b"<time>").replace(moment.rstrip("Z").encode(), b"<time>")
    return data


@pytest.mark.skipif(sys.platform == "win32", reason="umask and TZ are POSIX")
def test_two_machines_give_the_same_bytes(tmp_path: Path) -> None:
    first = _checkout(tmp_path / "ci", reverse=False)
    second = _checkout(tmp_path / "home dir" / "équipe" / "a" / "much deeper checkout", reverse=True)
    runs = []
    for checkout, env, umask in [
        (
            first,
            {"PYTHONHASHSEED": "0", "TZ": "UTC", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "CAPCHECK_JOBS": "1"},
            0o022,
        ),
        (
            second,
            {
                "PYTHONHASHSEED": "2718",
                "TZ": "Pacific/Kiritimati",  # UTC+14: a local time would show
                "LANG": "C",
                "LC_ALL": "C",
                "PYTHONIOENCODING": "latin-1",
                "CAPCHECK_JOBS": "2",  # a machine with more cores
            },
            0o077,
        ),
    ]:
        stdout, reports, before, after = _run(checkout, env, umask)
        doc = json.loads(stdout)
        schema = load_schema("findings")
        cls = jsonschema.validators.validator_for(schema)
        cls(schema, format_checker=cls.FORMAT_CHECKER).validate(doc)
        times = [doc["run"]["started"], doc["run"]["finished"]]
        for moment in times:  # the run's times are UTC, whatever TZ says
            assert moment.endswith("Z")
            assert before <= datetime.fromisoformat(moment) <= after + timedelta(seconds=1), (moment, before, after)
        # A new report gets the mode a plain open() would give it under the umask.
        for fmt in FORMATS:
            assert stat.S_IMODE((checkout / "out" / f"{fmt}.out").stat().st_mode) == 0o666 & ~umask, fmt
        assert _masked(reports["json"], times) == _masked(stdout, times)
        runs.append((_masked(stdout, times), {fmt: _masked(data, times) for fmt, data in reports.items()}, doc))
    (stdout_a, reports_a, doc_a), (stdout_b, reports_b, _) = runs
    # The runs really differed only in the machine: same rules (the local ones too), same files, same waiver use.
    assert {r["source"]["type"] for r in doc_a["rules"]} == {"builtin", "file", "module"}
    assert doc_a["waivers"][0]["matched"] == 1
    assert stdout_a.count(b"<time>") == 2
    assert stdout_a == stdout_b
    for fmt in FORMATS:
        assert reports_a[fmt] == reports_b[fmt], fmt


def _reversed_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the file system list every directory in reverse order (os.walk and pathlib list through these)."""
    real_scandir, real_listdir = os.scandir, os.listdir

    class Reversed:
        def __init__(self, path: Any = ".") -> None:
            with real_scandir(path) as entries:
                self.entries = iter(sorted(entries, key=lambda e: e.name, reverse=True))

        def __iter__(self) -> Reversed:
            return self

        def __next__(self) -> os.DirEntry[str]:
            return next(self.entries)

        def __enter__(self) -> Reversed:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def close(self) -> None:
            return None

    monkeypatch.setattr(os, "scandir", Reversed)
    monkeypatch.setattr(os, "listdir", lambda path=".": sorted(real_listdir(path), reverse=True))


def test_the_order_a_file_system_lists_files_in_changes_nothing(
    run_cli: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _checkout(workdir / "project", reverse=False)
    monkeypatch.chdir(workdir / "project")
    args = ["check", "evidence", "--rules", "rules", "--as-of", "2026-11-25", "--include-passed", "-f", "json"]

    def run() -> tuple[bytes, dict[str, Any]]:
        result = run_cli(*args)
        assert result.exit_code == 1, result.stderr
        out: str = result.stdout
        doc = json.loads(out)
        return _masked(out.encode(), [doc["run"]["started"], doc["run"]["finished"]]), doc

    listed, doc = run()
    assert [e["path"] for e in doc["evidence"]][:3] == [
        "evidence/attestations.yaml",
        "evidence/data-products.csv",
        "evidence/data-sharing-agreements.json",
    ]
    assert any(e["path"].startswith("evidence/estate/") for e in doc["evidence"])  # a subdirectory too
    _reversed_listing(monkeypatch)
    assert os.listdir(workdir / "project" / "evidence")[0] == "workforce-plan.csv"  # the patch took
    assert run()[0] == listed


def test_a_fingerprint_is_not_of_the_file_the_line_the_position_or_the_message(run_cli: Any, workdir: Path) -> None:
    """docs/findings.md "Fingerprints": moving a register to another file, re-sorting it and editing a field the
    rules do not judge (one the messages quote) changes each finding's file, line and message, never its
    status or fingerprint."""
    _copy_tree(EXAMPLE, workdir / "evidence", reverse=False)
    args = ["check", "evidence", "--as-of", "2026-11-25", "--include-passed", "-f", "json", "--select", "INFRA"]

    def findings() -> dict[tuple[str, ...], dict[str, Any]]:
        doc = json.loads(run_cli(*args).stdout)
        keyed = {
            (f["rule_id"], f["evidence"]["kind"], f["evidence"].get("record_id", ""), f.get("group", "")): f
            for f in doc["findings"]
        }
        assert len(keyed) == len(doc["findings"])
        return keyed

    before = findings()
    source = workdir / "evidence" / "it-assets.csv"
    header, *rows = source.read_text(encoding="utf-8").splitlines()
    assert header.split(",")[1] == "name"
    renamed = [",".join([c[0], f"{c[1]} (renamed)", *c[2:]]) for c in (r.split(",") for r in rows)]
    source.unlink()
    (workdir / "evidence" / "moved").mkdir()
    (workdir / "evidence" / "moved" / "it-assets.csv").write_text("\n".join([header, *renamed[::-1]]) + "\n")
    after = findings()
    assert after.keys() == before.keys()
    moved = [k for k, f in before.items() if f["evidence"].get("file") == "evidence/it-assets.csv" and k[2]]
    assert len(moved) > 50
    assert sum(before[k]["message"] != after[k]["message"] for k in moved) > 10  # the messages quote the name
    for key in moved:
        assert after[key]["evidence"]["file"] == "evidence/moved/it-assets.csv"
        assert (after[key]["status"], after[key]["fingerprint"]) == (before[key]["status"], before[key]["fingerprint"])
    assert any(after[k]["evidence"]["line"] != before[k]["evidence"]["line"] for k in moved)


def test_run_from_elsewhere_only_the_shown_paths_change(
    run_cli: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/findings.md "Reproducibility": paths are shown relative to the working directory when the file is
    below it, else as given; running from another directory, or naming the evidence by an absolute path from
    outside, changes ``file`` and ``path`` (only those)."""
    _copy_tree(EXAMPLE, workdir / "project" / "evidence", reverse=False)
    (workdir / "elsewhere").mkdir()

    def run(where: Path, evidence: str) -> str:
        monkeypatch.chdir(where)
        result = run_cli("check", evidence, "--as-of", "2026-11-25", "--include-passed", "-f", "json")
        assert result.exit_code == 1, result.stderr
        doc = json.loads(result.stdout)
        return _masked(result.stdout.encode(), [doc["run"]["started"], doc["run"]["finished"]]).decode()

    inside = run(workdir / "project", "evidence")
    assert '"path": "evidence/it-assets.csv"' in inside and '"file": "evidence/it-assets.csv"' in inside
    for given in ["../project/evidence", str(workdir / "project" / "evidence")]:
        outside = run(workdir / "elsewhere", given)
        assert f'"path": "{given}/it-assets.csv"' in outside and f'"file": "{given}/it-assets.csv"' in outside
        assert outside.replace(f'": "{given}/', '": "evidence/') == inside
    # Named by an absolute path from inside the project, the file is below the working directory: relative.
    assert run(workdir / "project", str(workdir / "project" / "evidence")) == inside


def test_a_selection_written_another_way_differs_only_in_the_settings(run_cli: Any, workdir: Path) -> None:
    """docs/findings.md "Reproducibility": the selectors are recorded as given; the same selection in another
    order or case selects the same rules and gives the same findings, the document differing only there."""
    _copy_tree(EXAMPLE, workdir / "evidence", reverse=False)

    def run(*selection: str) -> dict[str, Any]:
        args = ["check", "evidence", "--as-of", "2026-11-25", "--include-passed", "-f", "json"]
        for selector in selection:
            args += ["--select", selector]
        doc: dict[str, Any] = json.loads(run_cli(*args).stdout)
        del doc["run"]
        return doc

    first, second = run("INFRA", "COMM"), run("comm", "infra", "COMM")
    assert (first["settings"]["select"], second["settings"]["select"]) == (["INFRA", "COMM"], ["comm", "infra", "COMM"])
    del first["settings"]["select"], second["settings"]["select"]
    assert first == second
    assert {r["area"] for r in first["rules"]} == {"COMM", "INFRA"}


def test_without_as_of_the_date_is_the_local_one(run_cli: Any, workdir: Path) -> None:
    """README: ``--as-of`` defaults to today, the local date where capcheck runs (so two machines in other time
    zones can judge on different days; ``--as-of`` makes the result independent of the clock). The run's times
    stay UTC."""
    import time
    from zoneinfo import ZoneInfo

    _copy_tree(FIXTURES / "evidence" / "clean", workdir / "evidence", reverse=False)
    seen = {}
    for zone in ("Etc/GMT-14", "Etc/GMT+12"):  # UTC+14 and UTC-12: 26 hours apart, never the same date
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TZ", zone)
            time.tzset()
            try:
                result = run_cli("check", "evidence", "--select", "INFRA-004", "-f", "json")
            finally:
                patch.undo()
                time.tzset()
        assert result.exit_code in (0, 1), result.stderr
        doc = json.loads(result.stdout)
        started = datetime.fromisoformat(doc["run"]["started"])
        assert doc["as_of"] == started.astimezone(ZoneInfo(zone)).date().isoformat(), zone
        seen[zone] = doc["as_of"]
    assert seen["Etc/GMT-14"] != seen["Etc/GMT+12"]
