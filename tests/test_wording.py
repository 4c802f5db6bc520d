"""Wording of messages (``capcheck.core.wording``): counted nouns agree with their count; the did-you-mean hint."""

from __future__ import annotations

import pytest

from capcheck.core.wording import did_you_mean, noun_for, plural


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
