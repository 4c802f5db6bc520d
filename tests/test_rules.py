"""Rules: the @rule decorator validates metadata at import; selection by id, prefix, area and tag."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from capcheck.core.errors import PluginError, UsageError
from capcheck.core.evidence import EvidenceSet
from capcheck.core.models import Outcome, Severity, display_path
from capcheck.core.rules import Rule, RuleContext, rule, select_rules

TEXT = {"description": "d", "rationale": "r", "remediation": "m"}


def noop(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    return iter(())


def make(rule_id: str, tags: tuple[str, ...] = (), **extra: Any) -> Rule:
    fields: dict[str, Any] = {"title": f"{rule_id} holds", "severity": "low", "kinds": ["it-assets"], **TEXT}
    fields.update(extra)
    return rule(id=rule_id, area=rule_id.split("-")[0], tags=tags, **fields)(noop)


RULES = {
    r.id: r
    for r in (
        make("COMM-001", ("supplier-management",)),
        make("COMM-004", ("supplier-management", "lock-in")),
        make("COMM-012"),
        make("GOV-002", ("risk-management",)),
        make("INFRA-003", ("lifecycle",)),
        make("INFRA-004", ("patching", "cyber")),
    )
}


def ids(rules: list[Rule]) -> list[str]:
    return [r.id for r in rules]


def test_the_decorator_makes_a_rule_with_validated_metadata() -> None:
    r = make("COMM-004", ("lock-in",), severity="high", options={"value_threshold": 1}, version="2.1")
    assert r.id == "COMM-004" and r.check is noop
    assert (r.meta.severity, r.meta.kinds, r.meta.tags, r.meta.version) == (
        Severity.HIGH,
        ("it-assets",),
        ("lock-in",),
        "2.1",
    )
    assert r.meta.options == {"value_threshold": 1}
    toml_values = {"s": "30d", "b": True, "n": 1.5, "d": date(2026, 1, 1), "l": ["a"], "t": {"k": [1, 2]}}
    assert make("COMM-004", options=toml_values).meta.options == toml_values


@pytest.mark.parametrize(
    ("changes", "cause"),
    [
        ({"id": "COMM-1"}, "String should match pattern"),
        ({"id": "GOV-001"}, "rule id 'GOV-001' must start with its area 'COMM'"),
        ({"kinds": []}, "at least 1 item"),
        ({"kinds": ["IT Assets"]}, "'IT Assets' is not a kind id"),
        ({"title": "ok"}, "at least 3 characters"),
        ({"version": "one"}, "String should match pattern"),
        ({"remediation": ""}, "at least 1 character"),
        # An option default is what a config can override it with: a tuple's override (a list) was refused as "must
        # be tuple"; an object or a set broke the JSON reports, blamed on the built-in reporter.
        ({"options": {"levels": ("high",)}}, "options: option 'levels': a tuple is not a value a config file can give"),
        ({"options": {"levels": {"high"}}}, "option 'levels': a set is not a value"),
        ({"options": {"when": object()}}, "option 'when': an object is not a value"),
        ({"options": {"age": [1, None]}}, "option 'age': None is not a value"),
        ({"options": {"map": {1: "a"}}}, "option 'map': a table with a key that is not a string is not a value"),
    ],
)
def test_bad_metadata_is_refused_at_definition(changes: dict[str, Any], cause: str) -> None:
    fields: dict[str, Any] = {"id": "COMM-001", "title": "Holds", "area": "COMM", "severity": "low", "kinds": ["x"]}
    fields.update(TEXT)
    fields.update(changes)
    with pytest.raises(PluginError) as info:
        rule(**fields)(noop)
    (problem,) = info.value.problems
    # Located at the rule(...) call above: this file and that line.
    line = Path(__file__).read_text().splitlines().index("        rule(**fields)(noop)") + 1
    assert (problem.path, problem.line) == (display_path(Path(__file__)), line)
    assert problem.message.startswith(f"rule {fields['id']!r}: ")
    assert cause in problem.message


@pytest.mark.parametrize(
    ("kinds", "cause"),
    [
        (
            {"kinds": ["x", "y"]},
            "per_record: a per-record rule judges the records of one kind ('x'); it also reads records of 'y': "
            "declare only columns of those (columns=['kind.field']), or drop per_record",
        ),
        (
            {"kinds": ["x"], "any_of": ["y", "z"], "columns": ["y.owner"]},
            "it also reads records of 'z'",
        ),
        (
            {"kinds": [], "any_of": ["y", "z"], "columns": ["y.owner"]},
            "per_record: the rule's first kind, 'y', must be the one whose records it judges (it declares only "
            "columns of it)",
        ),
        ({"kinds": ["x"], "per_record": "yes"}, "per_record: Input should be a valid boolean"),
        ({"kinds": ["x"], "per_record": 1}, "per_record: Input should be a valid boolean"),
    ],
)
def test_per_record_is_refused_for_a_rule_reading_records_of_a_second_kind(kinds: dict[str, Any], cause: str) -> None:
    with pytest.raises(PluginError) as info:
        make("COMM-001", **{"per_record": True, **kinds})
    (problem,) = info.value.problems
    assert problem.message.startswith("rule 'COMM-001': ") and cause in problem.message


@pytest.mark.parametrize(
    "kinds",
    [
        {"kinds": ["x"]},
        {"kinds": ["x", "y"], "columns": ["y.owner"]},  # COMM-003: the other kind only as a column
        {"kinds": ["x"], "any_of": ["y", "z"], "columns": ["y.owner", "z.owner"]},
        {"kinds": ["x"], "reads": ["organisation"]},  # a kind read when given is given whole: allowed
    ],
)
def test_per_record_is_declared_for_a_rule_judging_the_records_of_one_kind(kinds: dict[str, Any]) -> None:
    assert make("COMM-001", per_record=True, **kinds).meta.per_record
    assert not make("COMM-001", **kinds).meta.per_record  # the default: nothing promised


def test_an_unknown_severity_is_refused_naming_the_field() -> None:
    with pytest.raises(PluginError) as info:
        make("COMM-001", severity="urgent")
    (problem,) = info.value.problems
    assert problem.message == (
        "rule 'COMM-001': severity: Input should be 'info', 'low', 'medium', 'high' or 'critical'"
    )


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        ((), (), ["COMM-001", "COMM-004", "COMM-012", "GOV-002", "INFRA-003", "INFRA-004"]),
        (("COMM-004",), (), ["COMM-004"]),
        (("comm-004",), (), ["COMM-004"]),
        (("COMM-00",), (), ["COMM-001", "COMM-004"]),
        (("COMM",), (), ["COMM-001", "COMM-004", "COMM-012"]),
        (("infra",), (), ["INFRA-003", "INFRA-004"]),
        (("supplier-management",), (), ["COMM-001", "COMM-004"]),
        (("lock-in", "GOV"), (), ["COMM-004", "GOV-002"]),
        ((), ("COMM",), ["GOV-002", "INFRA-003", "INFRA-004"]),
        (("COMM",), ("lock-in",), ["COMM-001", "COMM-012"]),
        (("INFRA",), ("INFRA-003",), ["INFRA-004"]),
    ],
)
def test_selection(select: tuple[str, ...], ignore: tuple[str, ...], expected: list[str]) -> None:
    assert ids(select_rules(RULES, select, ignore)) == expected


def test_an_unknown_selector_is_a_usage_error_never_a_silent_no_op() -> None:
    with pytest.raises(UsageError) as info:
        select_rules(RULES, ["COMM-999", "COMM"], ["no-such-tag"])
    assert [str(p) for p in info.value.problems] == [
        "unknown rule id, area or tag 'COMM-999' (did you mean 'COMM'?) (see 'capcheck rules list')",
        "unknown rule id, area or tag 'no-such-tag' (see 'capcheck rules list')",
    ]


@pytest.mark.parametrize(
    ("selector", "hint"),
    [
        ("COMM-0O4", " (did you mean 'COMM-004'?)"),  # a rule id
        ("infra", ""),  # an area in any case is no typo: it selects
        ("INFRE", " (did you mean 'INFRA'?)"),  # an area
        ("lock-ni", " (did you mean 'lock-in'?)"),  # a tag
        ("zzzz", ""),  # nothing near: no guess
    ],
)
def test_an_unknown_selector_names_the_nearest_id_area_or_tag(selector: str, hint: str) -> None:
    try:
        select_rules(RULES, [selector])
    except UsageError as exc:
        [problem] = exc.problems
        assert problem.message == f"unknown rule id, area or tag {selector!r}{hint} (see 'capcheck rules list')"
    else:
        assert selector == "infra"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--select", "COMM-004"], {"COMM-004"}),
        (["--select", "COMM"], {"COMM-003", "COMM-004"}),
        (["--select", "INFRA", "--ignore", "INFRA-003"], {"INFRA-004"}),
        (["--select", "join"], {"COMM-003", "GOV-002"}),
        (["--select", "GOV-002", "--select", "aggregate"], {"GOV-002", "INFRA-003"}),
    ],
)
def test_cli_selection(run_cli, copy_fixture: Callable[..., Path], args: list[str], expected: set[str]) -> None:
    copy_fixture("evidence/mixed", "evidence")
    result = run_cli("check", "evidence", "--format", "json", "--as-of", "2025-04-01", *args)
    ran = {r["id"] for r in json.loads(result.stdout)["rules"]}
    python_rules = {"COMM-003", "COMM-004", "GOV-002", "INFRA-003", "INFRA-004"}
    assert ran & python_rules == expected
    assert result.exit_code in (0, 1)


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_cli_unknown_selector_exits_2(run_cli, copy_fixture: Callable[..., Path], option: str) -> None:
    copy_fixture("evidence/clean", "evidence")
    result = run_cli("check", "evidence", option, "COMM-999")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"capcheck: usage error: 1 problem\n  {option}: unknown rule id, area or tag 'COMM-999' "
        "(did you mean 'COMM'?) (see 'capcheck rules list')\n"
    )


def test_a_selection_that_leaves_no_rule_is_an_error() -> None:
    with pytest.raises(UsageError, match="no rules left to run"):
        select_rules(RULES, ["INFRA"], ["INFRA-003", "INFRA-004"])


def test_an_area_selector_is_not_a_prefix_of_a_longer_area() -> None:
    assert ids(select_rules(RULES, ["GOV-"])) == ["GOV-002"]
    with pytest.raises(UsageError, match="'GO'"):
        select_rules(RULES, ["GO"])


# ---------------------------------------------------------------------------------------------
# Scope integrity helpers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        *[(None, True), ("", True), ("  \t\n", True), ("x", False), (" x ", False), (0, False), (False, False)],
        ([], False),
        # placeholders: any case, spaces around them aside, however many; never a word inside a value
        *[("TBC", True), (" n/a ", True), ("Unknown", True), ("-", True), ("To Be Confirmed", True)],
        *[(" " * 30 + "tbd", True), ("tbd" + "\t" * 30, True), ("TBC Smith", False), ("tbc-team", False)],
        *[("unknownx", False), ("x" * 40, False), ("n / a", False)],
    ],
)
def test_is_missing(value: Any, missing: bool) -> None:
    from capcheck.core.rules import is_missing, is_placeholder

    assert is_missing(value) is missing
    # a placeholder is a missing value that is not absent or blank
    assert is_placeholder(value) is (missing and value is not None and str(value).strip() != "")


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        ("\u0422\u0412\u0421", True),  # TBC in Cyrillic letters
        ("\uff34\uff22\uff23", True),  # in full-width ones
        ("TBC\u200b", True),  # with a zero width space
        (" T\u00adB\u00adC ", True),  # soft hyphens
        ("N/\u0410", True),  # a Cyrillic A
        ("\u200b\ufeff", False),  # nothing drawn at all: blank
        *[("\u2800\u2800 ", False), ("\U0001d159", False), ("\U00016fe4", False)],  # blank glyphs: Braille, notehead
        *[("\x00", False), ("\x7f\x9b", False), ("T\x00B\x1bC", True)],  # controls (not white space)
        *[("\ufff9TBC\ufffb", True), ("\U00013430", False)],  # format controls without a glyph
        *[("\u06001", None), ("\u2801", None), ("\x00alice", None)],  # a mark drawn with its digit; a Braille dot
        *[("Jos\u00e9", None), ("\u041d\u0430\u0442\u0430\u043b\u044c\u044f", None), ("T\u00e9BC", None)],
    ],
)
def test_a_placeholder_or_a_blank_written_to_look_like_one_is_missing(value: str, placeholder: bool | None) -> None:
    # An owner written "TBC" in look-alike letters, or with characters drawn as nothing, passed COMM-001 and
    # counted as covered; a real name in other letters (None) is a value.
    from capcheck.core.rules import is_missing, is_placeholder

    assert is_missing(value) is (placeholder is not None)
    assert is_placeholder(value) is bool(placeholder)


def _drawn_as_nothing() -> list[str]:
    """Every character of the categories that hold characters drawn as nothing: the controls (Cc) that are not
    white space, the format characters (Cf) but the prepended concatenation marks (drawn with the digits after
    them), and Unicode's Default_Ignorable_Code_Point characters of other categories (the Hangul fillers, Lo)."""
    import unicodedata

    prepended = {0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2}
    prepended |= {0x110BD, 0x110CD}
    chars = [
        c
        for c in map(chr, range(0x110000))
        if (unicodedata.category(c) == "Cc" and not c.isspace())
        or (unicodedata.category(c) == "Cf" and ord(c) not in prepended)
    ]
    return [*chars, "\u115f", "\u1160", "\u3164", "\uffa0", "\u034f", "\u17b4"]


def test_every_character_of_the_categories_drawn_as_nothing_is_nothing() -> None:
    # Checked by category, not by the examples people think of: U+2800 and the controls read as owners.
    from capcheck.core.lookalikes import plain_form
    from capcheck.core.rules import is_missing, is_placeholder

    chars = _drawn_as_nothing()
    assert len(chars) > 150
    assert [hex(ord(c)) for c in chars if plain_form(c) != ""] == []
    assert [hex(ord(c)) for c in chars if not is_placeholder(f"T{c}B{c}C")] == []
    assert is_missing("".join(chars))


def test_reading_a_long_text_as_it_reads_costs_c_speed_passes_only() -> None:
    # A loop per character took 0.6 CPU s per megabyte, per rule reading the field: 4 MB now take about 0.2 s.
    import time

    from capcheck.core.rules import is_missing

    long = "T" + "\u00e9" * (4 << 20)
    padded = "T" + "\u200b" * (4 << 20) + "BC"  # "TBC", whatever is drawn as nothing between
    start = time.process_time()
    assert not is_missing(long) and is_missing(padded)
    assert time.process_time() - start < 1.0


def test_the_placeholders_are_one_list_the_scorecard_reads_too() -> None:
    import tomllib

    from capcheck.assessment.sufficiency import bundled_scorecard_data
    from capcheck.core.resources import data_dir
    from capcheck.core.rules import PLACEHOLDERS, PLACEHOLDERS_FILE

    with (data_dir("rules") / PLACEHOLDERS_FILE).open("rb") as fh:
        listed = tomllib.load(fh)["values"]
    assert {v.strip().casefold() for v in listed} == PLACEHOLDERS
    assert {"tbc", "n/a", "unknown", "-"} <= PLACEHOLDERS
    assert bundled_scorecard_data().placeholders == PLACEHOLDERS
    with (data_dir("rules") / "scorecard" / "areas.toml").open("rb") as fh:
        assert "placeholders" not in tomllib.load(fh)  # no second list to drift


def test_missing_and_undetermined_say_which_field_holds_a_placeholder() -> None:
    from capcheck.core.models import Status

    meta = make("INFRA-004", severity="critical").meta
    ctx = RuleContext(meta, evidence=EvidenceSet([], {}), as_of=date(2026, 11, 25), options={})  # records of no file
    record = {"id": "A-1", "status": "TBC", "owner": " n/a ", "hosting": "", "contact": {"email": "Unknown"}}
    gap = ctx.missing(record, "status", "owner", "hosting", "contact.email", "id")
    assert gap == ["status", "owner", "hosting", "contact.email"]
    assert ctx.undetermined(record, gap) == Outcome(
        Status.FAIL,
        "it-assets",
        "A-1",
        'cannot tell whether in scope: `status` "TBC" is a placeholder, `owner` " n/a " is a placeholder, '
        '`hosting` blank, `contact.email` "Unknown" is a placeholder',
    )


def test_missing_and_undetermined_name_the_fields_a_record_lacks() -> None:
    from datetime import date

    from capcheck.core.models import Status

    meta = make("INFRA-004", severity="critical").meta
    ctx = RuleContext(meta, evidence=EvidenceSet([], {}), as_of=date(2026, 11, 25), options={})  # records of no file
    record = {"id": "A-1", "status": " ", "internet_facing": False, "contact": {"email": ""}}
    assert ctx.missing(record, "status", "internet_facing", "hosting", "contact.email", "contact.phone") == [
        "status",
        "hosting",
        "contact.email",
        "contact.phone",
    ]
    outcome = ctx.undetermined(record, ctx.missing(record, "status", "hosting"))
    assert outcome == Outcome(
        Status.FAIL, "it-assets", "A-1", "cannot tell whether in scope: `status` blank, `hosting` missing"
    )
    counted = ctx.undetermined(record, ["deployment"], what="counted")
    assert counted.message == "cannot tell whether counted: `deployment` missing"


def test_outcome_constructors_build_whole_outcomes() -> None:
    from datetime import date

    from capcheck.core.models import Status

    meta = make("INFRA-004", severity="critical").meta
    ctx = RuleContext(meta, evidence=EvidenceSet([], {}), as_of=date(2026, 11, 25), options={})  # records of no file
    record = {"id": "A-1"}
    assert ctx.passed(record) == Outcome(Status.PASS, "it-assets", "A-1")
    assert ctx.passed(record, kind="other") == Outcome(Status.PASS, "other", "A-1")
    failed = ctx.failed(record, "why", related=iter([("k", "B-2")]))
    assert failed == Outcome(Status.FAIL, "it-assets", "A-1", "why", (("k", "B-2"),))
    assert type(failed) is Outcome and failed.group is None and failed.related == (("k", "B-2"),)


def test_is_missing_is_blank_or_a_placeholder_once_trimmed_and_case_folded_for_any_text() -> None:
    # the first-character screen (VALUE_STARTS) must never clear a missing value: checked against the definition
    from hypothesis import given
    from hypothesis import strategies as st

    from capcheck.core.lookalikes import plain_form
    from capcheck.core.rules import PLACEHOLDERS, is_missing

    padded = st.builds(
        lambda pad, word, case: pad + (word.upper() if case else word) + pad,
        st.sampled_from(["", " ", "\t", "\u00a0", "  \n"]),
        st.sampled_from(sorted(PLACEHOLDERS)),
        st.booleans(),
    )

    @given(st.one_of(st.text(max_size=20), padded))
    def agrees(text: str) -> None:
        # as it reads: a control or a character drawn as nothing anywhere in it is not there (plain_form)
        assert is_missing(text) is ((plain := plain_form(text)) in PLACEHOLDERS or not plain)

    agrees()


def test_the_rules_and_the_scorecard_agree_on_which_owners_are_missing(tmp_path: Path) -> None:
    # One check of a register with blank-looking owners: every record COMM-001 fails for its owner is one the
    # scorecard's coverage counts as missing an owner, and no other.
    from click.testing import CliRunner

    from capcheck.cli import cli

    owners = ["alice", "TBC", " n/a ", "Unknown", "-", "tbc-team", "To Be Confirmed", "bob", "\u0422\u0412\u0421"]
    records = [
        {"id": f"C-{i}", "title": "t", "supplier": "s", "value": 1, "start_date": "2024-01-01", "status": "active"}
        | {"owner": owner}
        for i, owner in enumerate(owners)
    ]
    (tmp_path / "supplier-contracts.json").write_text(
        json.dumps({"kind": "supplier-contracts", "records": records}), encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli, ["check", str(tmp_path), "--as-of", "2026-11-25", "--select", "COMM-001", "-f", "json"]
    )
    doc = json.loads(result.stdout)
    fails = [f for f in doc["findings"] if f["rule_id"] == "COMM-001" and f["status"] == "fail"]
    assert sorted(f["evidence"]["record_id"] for f in fails) == ["C-1", "C-2", "C-3", "C-4", "C-6", "C-8"]
    assert all("is a placeholder" in f["message"] for f in fails)
    (comm,) = [a for a in doc["scorecard"] if a["area"] == "COMM"]
    (contracts,) = [c for c in comm["coverage"] if c["kind"] == "supplier-contracts"]
    assert contracts["missing_fields"]["owner"] == len(fails)


def test_a_registers_own_placeholder_word_joins_the_list_through_a_mapping_value_map(tmp_path: Path) -> None:
    # docs/writing-rules.md#placeholders: the natural place for an organisation's own words is a [[mapping]]
    from click.testing import CliRunner

    from capcheck.cli import cli

    record = {"id": "C-1", "title": "A", "supplier": "S", "value": 1, "start_date": "2024-01-01", "status": "active"}
    (tmp_path / "supplier-contracts.json").write_text(
        json.dumps({"kind": "supplier-contracts", "records": [record | {"owner": "Awaiting appointment"}]}),
        encoding="utf-8",
    )
    args = ["check", str(tmp_path), "--as-of", "2026-11-25", "--select", "COMM-001", "-f", "json"]
    before = json.loads(CliRunner().invoke(cli, args).stdout)
    assert [f["status"] for f in before["findings"]] == []  # a word capcheck does not know is a name
    (tmp_path / "capcheck.toml").write_text(
        '[[mapping]]\nfiles = "supplier-contracts.json"\nkind = "supplier-contracts"\n'
        'values.owner = { "awaiting appointment" = "TBC" }\n',
        encoding="utf-8",
    )
    after = json.loads(CliRunner().invoke(cli, [*args, "--config", str(tmp_path / "capcheck.toml")]).stdout)
    assert [(f["status"], f["message"]) for f in after["findings"]] == [
        ("fail", 'contract C-1 (A) with S has no owner (`owner` "TBC" is a placeholder)')
    ]


# --- option checks -------------------------------------------------------------------------------------------


def _whole_days(value: Any) -> None:
    if value < 0:
        raise ValueError(f"must be at least 0, not {value!r}")


def test_an_option_check_refuses_a_value_with_its_reason() -> None:
    r = make("INFRA-101", options={"max_days": 14}, option_checks={"max_days": _whole_days})
    assert r.option_problems("max_days", -1) == ["must be at least 0, not -1"]
    assert r.option_problems("max_days", 0) == []
    assert make("INFRA-102", options={"max_days": 14}).option_problems("max_days", -1) == []  # none declared


@pytest.mark.parametrize(
    ("options", "checks", "expected"),
    [
        ({"max_days": 14}, {"max_dayz": _whole_days}, "option_checks: 'max_dayz' is not one of its options (max_days)"),
        ({"max_days": -1}, {"max_days": _whole_days}, "option_checks: 'max_days' refuses its own default -1: must be"),
    ],
)
def test_an_option_check_that_fits_no_option_or_refuses_the_default_is_a_plugin_error(
    options: dict[str, Any], checks: dict[str, Any], expected: str
) -> None:
    with pytest.raises(PluginError) as info:
        make("INFRA-103", options=options, option_checks=checks)
    [problem] = info.value.problems
    assert problem.message.startswith(f"rule 'INFRA-103': {expected}")
    assert problem.path is not None and problem.path.endswith("test_rules.py")  # where make() wrote @rule(...)


def test_every_bundled_option_default_passes_its_rules_checks() -> None:
    """The pack's checks are made at import and refuse a default there; this pins that each check is reached."""
    from capcheck.app.config import Config
    from capcheck.app.runner import load_registry

    checked = 0
    for r in load_registry(Config()).rules.values():
        for name, default in r.meta.options.items():
            assert r.option_problems(name, default) == [], (r.id, name)
            checked += bool(r.option_checks.get(name))
    assert checked >= 20  # the pack's Python checks and the declarative rules' conversions
