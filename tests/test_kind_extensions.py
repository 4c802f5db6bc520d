"""Kind extensions: a plugin adds fields to a built-in kind without re-registering it; conflicts name both sides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.core.errors import PluginError
from capcheck.core.kinds import EvidenceKind, KindExtension, describe_kind, extend_kinds

FIXTURES = Path(__file__).parent / "fixtures"
PLUGIN = str(FIXTURES / "plugins" / "kind_extension_plugin.py")

BASE = EvidenceKind(
    id="risks",
    title="Risks",
    schema={
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}, "score": {"type": "integer"}},
    },
)


def _extend(*extensions: tuple[str, KindExtension]) -> tuple[dict[str, EvidenceKind], list[str]]:
    kinds, problems = extend_kinds({"risks": BASE}, {"risks": "capcheck.core.kinds"}, list(extensions))
    return kinds, [str(p) for p in problems]


def test_an_extension_adds_fields_and_records_who_added_them() -> None:
    kinds, problems = _extend(
        ("acme", KindExtension("risks", {"site": {"type": "string"}, "cost": {"type": "number"}}, ["cost"]))
    )
    assert problems == []
    risks = kinds["risks"]
    assert risks.field_types == {"id": "string", "score": "integer", "site": "string", "cost": "number"}
    assert risks.required == ("id", "cost")
    assert dict(risks.extended_by) == {"site": "acme", "cost": "acme"}
    assert risks.declared_fields == frozenset({"id", "score", "site", "cost"})
    assert BASE.declared_fields == frozenset({"id", "score"})  # the registered kind itself is not changed
    assert risks.records_validator.is_valid([{"id": "R-1", "cost": 1.5}])
    assert not risks.records_validator.is_valid([{"id": "R-1", "cost": "cheap"}])
    assert not risks.records_validator.is_valid([{"id": "R-1"}])


def test_the_same_definition_twice_is_no_conflict() -> None:
    same = {"site": {"type": "string"}}
    kinds, problems = _extend(("acme", KindExtension("risks", same)), ("beta", KindExtension("risks", dict(same))))
    assert problems == []
    assert dict(kinds["risks"].extended_by) == {"site": "acme"}
    kinds, problems = _extend(("acme", KindExtension("risks", {"score": {"type": "integer"}}, ["score"])))
    assert problems == []
    assert kinds["risks"].required == ("id", "score")  # the kind's own optional field made compulsory
    assert dict(kinds["risks"].extended_by) == {}  # still the kind's field


@pytest.mark.parametrize(
    ("extensions", "expected"),
    [
        (
            [
                ("acme", KindExtension("risks", {"site": {"type": "string"}})),
                ("beta", KindExtension("risks", {"site": {"type": "integer"}})),
            ],
            "plugin 'beta': extension of evidence kind 'risks': field 'site' is defined twice: as "
            '{"type": "integer"} by plugin \'beta\' and as {"type": "string"} by plugin \'acme\'',
        ),
        (
            [("acme", KindExtension("risks", {"score": {"type": "string"}}))],
            "plugin 'acme': extension of evidence kind 'risks': field 'score' is defined twice: as "
            '{"type": "string"} by plugin \'acme\' and as {"type": "integer"} by the kind itself '
            "(registered by plugin 'capcheck.core.kinds')",
        ),
        (
            [("acme", KindExtension("risk", {"site": {"type": "string"}}))],
            "plugin 'acme': extension of evidence kind 'risk': no such kind (did you mean 'risks'?)",
        ),
        (
            [("acme", KindExtension("risks", {"site": {"type": "strin"}}))],
            "plugin 'acme': extension of evidence kind 'risks': schema /properties/site/type: not a JSON Schema "
            "(draft 2020-12): unknown type 'strin' (did you mean 'string'?)",
        ),
        (
            [("acme", KindExtension("risks", {"a site": {"type": "string"}}))],
            "plugin 'acme': extension of evidence kind 'risks': field 'a site' is not a field name "
            "(letters, digits, '_' and '-')",
        ),
        (
            [("acme", KindExtension("risks", {"site": {"type": "string"}}, ["cost"]))],
            "plugin 'acme': extension of evidence kind 'risks': required field 'cost' is not one of the fields it adds",
        ),
        (
            [("acme", KindExtension("risks", {}))],
            "plugin 'acme': extension of evidence kind 'risks': "
            "'fields' must map at least one field name to its JSON Schema",
        ),
    ],
)
def test_bad_extensions_are_refused_naming_both_sides(extensions: list[Any], expected: str) -> None:
    _, problems = _extend(*extensions)
    assert problems == [expected]


def test_an_extension_through_the_hook_reaches_rules_csv_typing_and_kinds_show(run_cli, workdir: Path) -> None:
    registry = load_registry(Config(), plugins=[PLUGIN])
    assets = registry.kinds["it-assets"]
    assert assets.field_types["cost_centre"] == "integer" and "cost_centre" in assets.required
    assert registry.owners[("kind field", "it-assets.site")] == PLUGIN

    (workdir / "it-assets.csv").write_text(
        "id,name,product,environment,criticality,internet_facing,end_of_life,site,cost_centre\n"
        "AST-1,web-01,nginx,production,high,true,2030-04-01,Leeds,4100\n"
        "AST-2,web-02,nginx,production,high,true,2030-04-01,,4200\n"
    )
    result = run_cli(
        "check",
        "it-assets.csv",
        "--plugin",
        PLUGIN,
        "--select",
        "acme.INFRA-150",
        "-f",
        "json",
        "--as-of",
        "2026-01-01",
        "--include-passed",
    )
    assert result.exit_code == 1, result.stderr
    found = {f["evidence"]["record_id"]: (f["status"], f["message"]) for f in json.loads(result.stdout)["findings"]}
    assert found["AST-2"] == (
        "fail",
        "asset AST-2 (cost centre 4200) names no site",
    )  # an integer: typed from the extension
    assert found["AST-1"][0] == "pass"

    shown = run_cli("kinds", "--show", "IT-ASSETS", "--plugin", PLUGIN)
    assert shown.exit_code == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("it-assets  ") and lines[1] == "registered by: capcheck.core.kinds"
    row = next(line.split() for line in lines if line.startswith("cost_centre "))
    assert row == ["cost_centre", "integer", "yes", PLUGIN, "(extension)"]
    own = next(line.split() for line in lines if line.startswith("end_of_life "))
    assert own[-1] == "capcheck.core.kinds"
    listed = run_cli("kinds", "--plugin", PLUGIN).stdout
    assert f"extended by: {PLUGIN}" in listed.replace("\n", " ")


def test_a_conflict_through_the_hook_stops_the_run(run_cli, workdir: Path) -> None:
    (workdir / "clash.py").write_text(
        "from capcheck import KindExtension, hookimpl\n\n"
        "@hookimpl\ndef capcheck_kind_extensions():\n"
        "    return [KindExtension(kind='it-assets', fields={'end_of_life': {'type': 'integer'}})]\n"
    )
    result = run_cli("kinds", "--plugin", "./clash.py")
    assert result.exit_code == 2
    assert (
        "plugin './clash.py': extension of evidence kind 'it-assets': field 'end_of_life' is defined twice"
        in result.stderr
    )
    assert "by the kind itself (registered by plugin 'capcheck.core.kinds')" in result.stderr


def test_describe_kind_lists_composed_fields_apart() -> None:
    composed = EvidenceKind(id="k", title="K", schema={"allOf": [{"properties": {"a": {}}}], "properties": {"b": {}}})
    text = describe_kind(composed, "p")
    assert "declared by composed schemas: a" in text


def test_a_config_file_extends_a_kind_without_a_plugin(run_cli, workdir: Path) -> None:
    (workdir / "capcheck.toml").write_text(
        '[kinds.it-assets]\nfields = { site = { type = "string" }, cost_centre = { type = "integer" } }\n'
        'required = ["cost_centre"]\n'
    )
    shown = run_cli("kinds", "--show", "it-assets")
    assert shown.exit_code == 0, shown.stderr
    row = next(line.split() for line in shown.stdout.splitlines() if line.startswith("cost_centre "))
    assert row == ["cost_centre", "integer", "yes", "config", "capcheck.toml", "(extension)"]
    (workdir / "it-assets.csv").write_text(
        "id,name,product,environment,criticality,site,cost_centre\nA-1,web,nginx,production,high,Leeds,41\n"
        "A-2,db,postgresql,production,high,Leeds,\n"
    )
    result = run_cli("validate", "it-assets.csv")
    assert result.exit_code == 2
    assert "it-assets.csv:3" in result.stderr and "cost_centre" in result.stderr  # required by the config


def test_a_config_extension_that_clashes_names_the_config_file(run_cli, workdir: Path) -> None:
    (workdir / "capcheck.toml").write_text("[kinds.it-assets]\nfields = { end_of_life = { type = 'integer' } }\n")
    result = run_cli("kinds")
    assert result.exit_code == 2
    assert result.stderr.startswith("capcheck: config error: 1 problem\n")  # the config's table, located
    assert (
        "  capcheck.toml:1: /kinds/it-assets: extension of evidence kind 'it-assets': field 'end_of_life' is defined "
        'twice: as {"type": "integer"} by config capcheck.toml' in result.stderr
    )
    (workdir / "capcheck.toml").write_text("\n[kinds.it-asset]\nfields = { site = { type = 'string' } }\n")
    typo = run_cli("kinds")
    assert typo.exit_code == 2
    assert (
        "  capcheck.toml:2: /kinds/it-asset: extension of evidence kind 'it-asset': no such kind (did you mean "
        "'it-assets'?)" in typo.stderr
    )


def test_an_extension_kept_as_data_is_read_from_its_file(tmp_path: Path) -> None:
    path = tmp_path / "it-assets.extension.json"
    path.write_text(json.dumps({"extends": "it-assets", "properties": {"site": {"type": "string"}}, "required": []}))
    ext = KindExtension.from_file(path)
    assert (ext.kind, dict(ext.fields), tuple(ext.required)) == ("it-assets", {"site": {"type": "string"}}, ())


@pytest.mark.parametrize(
    ("content", "where", "cause"),
    [
        ("[]", "", "the file holds a JSON object with 'extends' and 'properties'"),
        ('{"extend": "it-assets"}', "/extend", "unknown key 'extend' (did you mean 'extends'?)"),
        ('{"properties": {}}', "/extends", "'extends' names the kind"),
        ('{"extends": "it-assets", "properties": []}', "/properties", "'properties' maps each field"),
        ('{"extends": "it-assets", "properties": {}, "required": "site"}', "/required", "a list of field names"),
        ('{"extends": "it-assets", "extends": "x", "properties": {}}', "", "duplicate"),
    ],
)
def test_a_bad_extension_file_is_located(tmp_path: Path, content: str, where: str, cause: str) -> None:
    path = tmp_path / "x.extension.json"
    path.write_text(content)
    with pytest.raises(PluginError) as info:
        KindExtension.from_file(path)
    [problem] = info.value.problems
    assert problem.path is not None and problem.path.endswith("x.extension.json")
    assert cause in problem.message
    if where:
        assert problem.pointer == where


# --- references out of a schema: never fetched ------------------------------------------------------------


def test_a_reference_out_of_an_extension_s_schema_is_refused_before_anything_is_fetched() -> None:
    """A config's field `{ "$ref" = "file:///etc/passwd" }` was read by the validator (and an https one was
    requested) when evidence of the kind was checked: a data file made capcheck open files and the network."""
    _, problems = _extend(
        ("acme", KindExtension("risks", {"site": {"$ref": "file:///etc/passwd"}, "ok": {"$ref": "#/$defs/x"}})),
        ("beta", KindExtension("risks", {"owner": {"anyOf": [{"$dynamicRef": "https://169.254.169.254/x"}]}})),
    )
    assert problems == [
        "plugin 'acme': extension of evidence kind 'risks': schema /properties/site/$ref: 'file:///etc/passwd' "
        "is not a reference within the schema ('#/...'): capcheck fetches no file or URL",
        "plugin 'beta': extension of evidence kind 'risks': schema /properties/owner/anyOf/0/$dynamicRef: "
        "'https://169.254.169.254/x' is not a reference within the schema ('#/...'): capcheck fetches no file or URL",
    ]


def test_a_kind_s_validator_fetches_nothing_a_schema_refers_to(tmp_path: Path) -> None:
    """Whatever got past the check above (a plugin's kind built in code): the compiled validator fetches nothing."""
    target = tmp_path / "score.json"
    target.write_text('{"type": "integer"}')
    kind = EvidenceKind(
        id="risks",
        title="Risks",
        schema={"type": "object", "properties": {"id": {"type": "string"}, "score": {"$ref": target.as_uri()}}},
    )
    with pytest.raises(Exception, match="fetches no file or URL"):
        kind.records_validator.is_valid([{"id": "R-1", "score": "high"}])


def test_a_config_field_referring_to_a_file_stops_the_run_naming_the_config(run_cli, workdir: Path) -> None:
    (workdir / "secret.json").write_text('{"type": "string", "enum": ["hunter2"]}')
    (workdir / "capcheck.toml").write_text(
        f'[kinds.it-assets]\nfields = {{ site = {{ "$ref" = "{(workdir / "secret.json").as_uri()}" }} }}\n'
    )
    result = run_cli("kinds")
    assert result.exit_code == 2
    assert (
        "capcheck.toml:1: /kinds/it-assets: extension of evidence kind 'it-assets': schema /properties/site/$ref: "
        in (result.stderr)
    )
    assert "hunter2" not in result.stderr


def test_kinds_show_gives_date_fields_and_the_choices_a_register_must_use(run_cli) -> None:
    # Mapping a register needs the values a field takes; they were only in the JSON Schema.
    lines = run_cli("kinds", "--show", "it-assets").stdout.splitlines()
    assert next(line.split() for line in lines if line.startswith("last_patched "))[:2] == ["last_patched", "date"]
    assert "  environment  production, staging, test, development, dr" in lines
    assert lines[lines.index("choices:") + 1].startswith("  asset_type   server, database, ")
