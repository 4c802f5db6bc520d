"""Wording of messages (``capcheck.core.wording``): counted nouns agree with their count; the did-you-mean hint."""

from __future__ import annotations

import pytest

from capcheck.core.wording import closest, did_you_mean, noun_for, plural, suggestion


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (1, "person", "1 person"),
        (2, "person", "2 people"),
        (0, "person", "0 people"),
        (1, "rule", "1 rule"),
        (0, "rule", "0 rules"),
        (3, "evidence file", "3 evidence files"),
        (1, "evidence file", "1 evidence file"),
        (2, "criterion", "2 criteria"),
        (2, "policy", "2 policies"),
        (2, "day", "2 days"),
        (2, "process", "2 processes"),
        (2, "match", "2 matches"),
        (1.5, "hour", "1.5 hours"),
        (1.0, "hour", "1.0 hour"),
        (-1, "day", "-1 day"),
    ],
)
def test_plural(count: float, noun: str, expected: str) -> None:
    assert plural(count, noun) == expected


def test_noun_for_only_changes_the_last_word() -> None:
    assert noun_for(2, "key person") == "key people"
    assert noun_for(1, "key person") == "key person"


def test_one_of_each_through_the_cli(run_cli, copy_fixture, check_argv) -> None:
    evidence = copy_fixture("evidence/mixed", "evidence")
    text = run_cli(*check_argv(evidence, rules=["COMM-003"]), "--fail-on", "never").stdout
    assert " · 1 rule\n" in text.splitlines(keepends=True)[0]
    listed = run_cli("rules", "list", "--select", "COMM-003").stdout
    assert listed.endswith("\n1 rule\n")
    error = run_cli("check", "evidence", "--as-of", "someday")
    assert error.stderr.startswith("capcheck: usage error: 1 problem\n")


@pytest.mark.parametrize(
    ("word", "hint"),
    [
        ("COMS", " (did you mean 'COMM'?)"),
        ("coms", " (did you mean 'COMM'?)"),  # any case; the choice is named as spelt
        (" infre ", " (did you mean 'INFRA'?)"),  # spaces around are not part of the word
        ("ZZZZ", ""),  # nothing near: no guess
    ],
)
def test_did_you_mean_names_the_nearest_choice_or_nothing(word: str, hint: str) -> None:
    assert did_you_mean(word, ["COMM", "INFRA", "GOV"]) == hint


def test_suggestion_names_the_closest_choice_in_any_case_or_says_what_else() -> None:
    choices = ["status", "owner", "last_review"]
    assert suggestion("stauts", choices, "allowed: ...") == "did you mean 'status'?"
    assert suggestion("OWNER", choices, "allowed: ...") == "did you mean 'owner'?"  # any case
    assert suggestion("budget", choices, "allowed: status, owner, last_review") == "allowed: status, owner, last_review"
    # the cutoff: hook names want a closer match than keys do
    assert closest("capcheck_rule", ["capcheck_rules"], cutoff=0.8) == "capcheck_rules"
    assert closest("capcheck_xyz", ["capcheck_rules"], cutoff=0.8) is None
    assert closest("capcheck_xyz", ["capcheck_rules"]) == "capcheck_rules"


def test_an_unknown_mapping_key_in_the_wrong_case_gets_its_suggestion(tmp_path) -> None:
    from capcheck.app.config import load_config
    from capcheck.core.errors import CapcheckError

    (tmp_path / "capcheck.toml").write_text('[[mapping]]\nfiles = "x.csv"\nKind = "it-assets"\n')
    with pytest.raises(CapcheckError, match=r"unknown key 'Kind' \(did you mean 'kind'\?\)"):
        load_config(tmp_path / "capcheck.toml")
