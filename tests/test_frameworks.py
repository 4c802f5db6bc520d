"""Frameworks as data: criteria, coverage by rules' criteria metadata, the CLI, and bad criteria refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capcheck.builtins.frameworks import bundled_frameworks, coverage, load_framework
from capcheck.core.errors import PluginError


def test_bundled_frameworks_load_with_their_criteria() -> None:
    frameworks = {f.id: f for f in bundled_frameworks()}
    assert {"caf-4.0", "gds-ss-2019", "tcop-2021-11", "dora-2022", "govs-topics-1", "ndg-2016", "dspt-2024-25"} <= set(
        frameworks
    )
    assert len(frameworks["caf-4.0"].criteria) == 41  # the CAF v4.0 contributing outcomes
    assert len(frameworks["gds-ss-2019"].criteria) == 14
    assert len(frameworks["ndg-2016"].criteria) == 10
    assert {c.id for c in frameworks["caf-4.0"].criteria} >= {"A1.a", "B4.d", "D2.b"}
    for framework in frameworks.values():
        assert framework.edition and framework.id.endswith(f"-{framework.edition}"), framework.id


def test_the_tcop_is_the_13_point_edition() -> None:
    tcop = next(f for f in bundled_frameworks() if f.id == "tcop-2021-11")
    titles = {c.id: c.title for c in tcop.criteria}
    assert list(titles) == [str(n) for n in range(1, 14)]
    assert titles["5"] == "Use cloud first"
    assert titles["12"] == "Make your technology sustainable"
    assert titles["13"] == "Meet the Service Standard"


def test_the_caf_aligned_dspt_is_an_edition_of_its_own_without_invented_outcomes() -> None:
    frameworks = {f.id: f for f in bundled_frameworks()}
    dspt = frameworks["dspt-2024-25"]
    assert dspt.edition == "2024-25" and "NHS trusts" in dspt.applies_to
    assert dspt.criteria == ()  # its 47 outcomes are not in a bundled source: none are made up
    assert "not bundled" in dspt.description
    assert frameworks["ndg-2016"].applies_to  # the NDG standards say who they still apply to


def test_coverage_maps_rules_to_criteria_and_the_rest_are_manual() -> None:
    caf = next(f for f in bundled_frameworks() if f.id == "caf-4.0")
    rows = {
        row.id: row for row in coverage(caf, {"X-001": ("caf-4.0:B4.d",), "X-002": ("caf-4.0:B4.d", "tcop-2021-11:6")})
    }
    assert rows["B4.d"].rules == ("X-001", "X-002") and rows["B4.d"].mode == "automated"
    assert rows["A1.a"].rules == () and rows["A1.a"].mode == "manual"
    assert rows["B4.d"].as_dict()["id"] == "caf-4.0:B4.d"


def test_frameworks_cli(run_cli) -> None:
    listing = run_cli("frameworks")
    assert listing.exit_code == 0 and "caf-4.0" in listing.stdout
    doc = json.loads(run_cli("frameworks", "caf-4.0", "-f", "json").stdout)
    assert doc["edition"] == "4.0"
    modes = {c["id"]: c["mode"] for c in doc["criteria"]}
    assert modes["caf-4.0:B4.d"] == "automated" and "manual" in modes.values()
    shown = run_cli("frameworks", "dora-2022").stdout
    assert "dora-2022:lead-time" in shown and "criteria automated" in shown and "edition 2022" in shown
    unknown = run_cli("frameworks", "iso27001")
    assert unknown.exit_code == 2 and "unknown framework 'iso27001'" in unknown.stderr


def test_a_rule_naming_an_unknown_criterion_is_refused(run_cli, workdir: Path) -> None:
    rules = workdir / "rules"
    rules.mkdir()
    (rules / "COMM-950.toml").write_text(
        '[[rule]]\nid = "COMM-950"\ntitle = "Contracts have owners"\narea = "COMM"\nseverity = "low"\n'
        'kind = "supplier-contracts"\ndescription = "d"\nrationale = "r"\nremediation = "m"\n'
        'criteria = ["caf-4.0:Z9.z"]\nrequire = { field = "owner", exists = true }\n'
    )
    result = run_cli("rules", "list", "--rules", rules)
    assert result.exit_code == 2
    assert "unknown criterion 'caf-4.0:Z9.z'" in result.stderr


def _framework_file(tmp_path: Path, head: str, criteria: str = '[[criterion]]\nid = "1"\ntitle = "One"\n') -> Path:
    path = tmp_path / "fw.toml"
    path.write_text(f"[framework]\n{head}\n\n{criteria}")
    return path


@pytest.mark.parametrize(
    ("head", "criteria", "cause"),
    [
        ('id = "iso27001-2022"\ntitle = "ISO"', None, "/framework/edition: Field required"),
        ('id = "iso27001"\nedition = "2022"\ntitle = "ISO"', None, "must end with its edition: '-2022'"),
        ('id = "iso27001-2013"\nedition = "2022"\ntitle = "ISO"', None, "must end with its edition"),
        (
            'id = "iso27001-2022"\nedition = "2022"\ntitle = "ISO"',
            '[[criterion]]\nid = "A.5"\ntitle = "x"\n[[criterion]]\nid = "A.5"\ntitle = "y"\n',
            "criterion 'A.5' is listed twice",
        ),
        ('id = "iso27001-2022"\nedition = "2022"\ntitle = "ISO"', '[[criterion]]\nid = "A.5"\n', "/criterion/0/title"),
    ],
)
def test_a_framework_without_a_valid_edition_is_a_located_load_error(
    tmp_path: Path, head: str, criteria: str | None, cause: str
) -> None:
    path = _framework_file(tmp_path, head, *(() if criteria is None else (criteria,)))
    with pytest.raises(PluginError) as caught:
        load_framework(path)
    message = str(caught.value)
    assert message.startswith(f"{path.as_posix()}: ") and cause in message


def test_a_framework_file_that_is_not_toml_is_a_located_load_error(tmp_path: Path) -> None:
    path = tmp_path / "fw.toml"
    path.write_text("[framework\n")
    with pytest.raises(PluginError, match="cannot read framework file"):
        load_framework(path)


def test_a_framework_with_its_edition_loads(tmp_path: Path) -> None:
    framework = load_framework(_framework_file(tmp_path, 'id = "iso27001-2022"\nedition = "2022"\ntitle = "ISO"'))
    assert (framework.id, framework.edition, framework.criteria[0].id) == ("iso27001-2022", "2022", "1")


def test_a_plugin_framework_without_an_edition_stops_the_run_naming_its_file(run_cli, workdir: Path) -> None:
    (workdir / "iso_plugin.py").write_text(
        "from pathlib import Path\n"
        "from capcheck.builtins.frameworks import load_framework\n"
        "from capcheck.core.hookspecs import hookimpl\n\n\n"
        "@hookimpl\n"
        "def capcheck_frameworks():\n"
        '    return [load_framework(Path(__file__).with_name("iso.toml"))]\n'
    )
    (workdir / "iso.toml").write_text('[framework]\nid = "iso27001"\ntitle = "ISO"\n')
    result = run_cli("frameworks", "--plugin", "./iso_plugin.py")
    assert result.exit_code == 2
    assert "iso.toml: /framework/edition: Field required" in result.stderr
    assert "Traceback" not in result.stderr and "failed in capcheck_frameworks" not in result.stderr


def test_every_bundled_framework_edition_is_documented_for_rule_writers() -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "writing-rules.md").read_text(encoding="utf-8")
    for framework in bundled_frameworks():
        assert f"| `{framework.id}` | {framework.edition} |" in page, f"{framework.id} is not in docs/writing-rules.md"


def test_frameworks_with_evidence_show_each_criterions_status(run_cli, copy_fixture) -> None:
    evidence = copy_fixture("evidence/mixed")
    (evidence / "attestations.json").write_text(
        json.dumps(
            {
                "kind": "attestations",
                "records": [
                    {
                        "id": "ATT-1",
                        "criterion": "caf-4.0:A1.a",
                        "outcome": "partially-achieved",
                        "assessor": "internal audit",
                        "assessed_on": "2025-03-01",
                        "evidence_ref": "board minutes 2025-02",
                    }
                ],
            }
        )
    )
    doc = json.loads(
        run_cli("frameworks", "caf-4.0", "--evidence", evidence, "--as-of", "2025-04-01", "-f", "json").stdout
    )
    rows = {c["id"]: c for c in doc["criteria"]}
    assert len(rows) == 41 and doc["as_of"] == "2025-04-01"
    assert rows["caf-4.0:A1.a"]["status"] == "partially-achieved"  # the attestation, no rule
    assert rows["caf-4.0:A1.a"]["attestation"]["id"] == "ATT-1"
    b4d = rows["caf-4.0:B4.d"]  # the mixed assets include unpatched, out-of-support servers
    assert b4d["status"] == "not-achieved" and any(r["status"] == "not-achieved" for r in b4d["rules"])
    assert rows["caf-4.0:C2.a"]["status"] == "not-assessed"
    text = run_cli("frameworks", "caf-4.0", "--evidence", evidence, "--as-of", "2025-04-01").stdout
    assert "caf-4.0:A1.a" in text and "attested ATT-1 (partially-achieved, until 2026-03-01)" in text
    assert text.rstrip().splitlines()[-1].endswith("not-assessed")
    # a title longer than its column is cut with an ellipsis ("... and Authoris" ended mid-word, unmarked)
    assert " Identity Verification, Authentication and Authori\u2026 no current attestation" in text
    no_id = run_cli("frameworks", "--evidence", evidence)
    assert no_id.exit_code == 2 and "--evidence needs a framework id" in no_id.stderr
    missing = run_cli("frameworks", "caf-4.0", "--evidence", "nope")
    assert missing.exit_code == 2 and "nope: no such file or directory" in missing.stderr


def test_a_framework_without_a_url_shows_no_empty_brackets(run_cli, workdir: Path) -> None:
    (workdir / "iso.py").write_text(
        "from capcheck import Criterion, Framework, hookimpl\n\n\n@hookimpl\ndef capcheck_frameworks():\n"
        "    return [Framework(id='iso27001-2022', title='ISO/IEC 27001:2022', edition='2022',\n"
        "                      criteria=(Criterion(id='A.5.1', title='Policies for information security'),))]\n"
    )
    shown = run_cli("frameworks", "iso27001-2022", "--plugin", "./iso.py")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == "ISO/IEC 27001:2022, edition 2022"
