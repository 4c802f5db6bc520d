"""The rule test harness: rule behaviour tested as data, for capcheck's rules and plugin authors'.

A *case file* (YAML, ``schemas/rule-cases.schema.json``) holds the cases of one rule: evidence
records by kind (or fixture files), the as-of date, option overrides, and the status expected for
each record id (or aggregate group)::

    rule: COMM-001
    as_of: 2026-11-25
    cases:
      - name: an active contract with an owner passes
        evidence:
          supplier-contracts:
            - {id: C-1, title: Hosting, supplier: Acme, value: 10, start_date: 2024-01-01,
               status: active, owner: alice}
        expect: {C-1: pass}
      - name: a short review period makes it fail
        options: {review_period: "30d"}
        evidence_files: [fixtures/contracts.csv]
        expect: {C-1: {status: fail, severity: high, message: "no owner"}}

A case fails when an expected finding is missing or different, and when the rule reports a
``fail`` or ``error`` (or skips as a whole) where nothing was expected; passes of records the
case does not name are allowed. ``expect_skip: true`` expects a rule-wide skip. A case of a rule declared
``per_record`` is also judged with its records split in two (at each point), and fails when the split's outcomes
differ from the whole's: the rule's outcome for a record depends on another record (docs/plugins.md).

The harness loads the built-ins and the plugins it is given, and no installed plugin unless
``autoload=True``: another plugin in the environment cannot break a plugin's tests. Use it
through ``capcheck test``, the pytest plugin (:mod:`capcheck.pytest_plugin`), or directly::

    run_case_file(Path("tests/rule_cases/ACME-001.yaml"), plugins=["acme_rules"])  # AssertionError on a mismatch

This module is the harness's public home (its implementation is :mod:`capcheck.app.harness`): import
from ``capcheck.testing``, which keeps its names whatever the package's layout.
"""

from capcheck.app.harness import (
    CASE_FILE_MAX_BYTES,
    Case,
    CaseFile,
    CaseResult,
    Expectation,
    case_files,
    check_case_file,
    harness_registry,
    load_case_file,
    load_cases,
    run_case,
    run_case_file,
    run_cases,
    run_one_case,
    run_rule,
)

__all__ = [
    "CASE_FILE_MAX_BYTES",
    "Case",
    "CaseFile",
    "CaseResult",
    "Expectation",
    "case_files",
    "check_case_file",
    "harness_registry",
    "load_case_file",
    "load_cases",
    "run_case",
    "run_case_file",
    "run_cases",
    "run_one_case",
    "run_rule",
]
