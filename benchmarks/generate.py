"""Generate seeded benchmark evidence: the three core kinds at N records each.

Writes ``DIR/supplier-contracts.json``, ``DIR/it-assets.json`` and ``DIR/governance-register.json``
(the evidence envelope, one record per line) or, with ``--format csv``, the same records as
``DIR/<kind>.csv`` (header row, booleans ``true``/``false``, lists ``;``-separated, an empty cell
for an absent field).

The records are valid against ``schemas/evidence/<kind>.schema.json`` and their values are spread
like a real organisation's registers: most records pass the usual rules and roughly 10-30 % fail
them. Some owners are missing or are not in the governance register. Some reviews are stale.
Some production assets are past end of life, some internet-facing ones are unpatched, some
high-value contracts have no exit plan, and some references dangle. Ids are unique. Every owner
in the core pool appears in the governance register, and a small stray pool does not.

Output is byte-identical for the same ``--records`` and ``--seed``. All dates count back from a
fixed reference day (2026-11-25, the date the example's README uses with ``--as-of``), never from
today. Records are built column by column with ``random.choices`` and dumped with orjson, so
1M records per kind take seconds, not minutes.

The product release cycles and end-of-life dates in :data:`PRODUCTS` are a small extract of
endoflife.date (https://endoflife.date, MIT licence, Copyright 2020 endoflife.date contributors).

Usage::

    python benchmarks/generate.py --records 100000 --seed 7 --out /tmp/evidence
    python benchmarks/generate.py --records 1000 --format csv --out /tmp/evidence-csv
    python benchmarks/generate.py --records 100000 --scenario high-failure --out /tmp/evidence-hf

``--scenario high-failure`` turns the failure knobs (:class:`Scenario`) up to a register at the
start of an assurance programme: about 0.9 failing findings a record over the ten typical rules
(``typical``, the default, is byte-identical to the data before the knob existed).
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate, compress, repeat
from operator import is_
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "FIELDS",
    "KINDS",
    "SCENARIOS",
    "Scenario",
    "generate",
    "generate_records",
    "main",
    "write_csv",
    "write_json",
]

#: The kinds written, in the order they are generated.
KINDS = ("supplier-contracts", "it-assets", "governance-register")
#: The day every generated date counts back (or forward) from.
REFERENCE_DAY = date(2026, 11, 25)
COLLECTED_ON = "2026-11-20"
SCHEMA_VERSION = "1.0"

Record = dict[str, Any]

#: The fields written for each kind, in order (also the CSV header).
FIELDS: dict[str, tuple[str, ...]] = {
    "supplier-contracts": (
        "id",
        "title",
        "supplier",
        "supplier_id",
        "category",
        "value",
        "currency",
        "start_date",
        "end_date",
        "status",
        "owner",
        "procurement_route",
        "framework",
        "exit_plan",
        "exit_plan_reviewed",
        "last_review",
        "risk_rating",
        "sme",
        "data_processing",
        "notice_period_days",
        "ocid",
    ),
    "it-assets": (
        "id",
        "name",
        "product",
        "version",
        "vendor",
        "asset_type",
        "environment",
        "criticality",
        "owner",
        "end_of_life",
        "end_of_life_announced",
        "last_patched",
        "internet_facing",
        "hosting",
        "supplier_contract",
        "deployment",
        "backup",
        "status",
    ),
    "governance-register": (
        "id",
        "title",
        "entry_type",
        "owner",
        "status",
        "area",
        "raised_on",
        "last_review",
        "next_review",
        "risk_score",
        "likelihood",
        "impact",
        "linked_controls",
        "board",
        "last_tested",
        "test_result",
        "decided_on",
    ),
}

# ------------------------------------------------------------------------------------------ dates

_FIRST_DAY = date(2012, 1, 1).toordinal()
_LAST_DAY = date(2036, 12, 31).toordinal()
#: ISO strings of every day from 2012 to 2036; a date is an index into this list.
_DAYS = [date.fromordinal(o).isoformat() for o in range(_FIRST_DAY, _LAST_DAY + 1)]
_REF = REFERENCE_DAY.toordinal() - _FIRST_DAY


#: Draws are made through lookup tables of this many slots, indexed by 16 random bits.
_SLOTS = 1 << 16


def _table(values: Sequence[Any], weights: Sequence[float] | None = None) -> list[Any]:
    """A lookup table of :data:`_SLOTS` entries holding each value in proportion to its weight."""
    if weights is None:
        weights = [1.0] * len(values)
    cumulative = list(accumulate(weights))
    total = cumulative[-1]
    table: list[Any] = []
    filled = 0
    for value, upto in zip(values, cumulative, strict=True):
        end = round(upto / total * _SLOTS)
        table.extend([value] * (end - filled))
        filled = max(filled, end)
    return table


class _Draw:
    """Seeded random columns: ``n`` values at a time, from 16-bit lookup tables (fast)."""

    def __init__(self, seed: str) -> None:
        self.rnd = random.Random(seed)

    def _u16(self, n: int) -> array[int]:
        words = array("H")
        words.frombytes(self.rnd.randbytes(2 * n))
        if sys.byteorder == "big":
            words.byteswap()
        return words

    def pick(self, values: Sequence[Any], n: int, weights: Sequence[float] | None = None) -> list[Any]:
        """``n`` values, uniformly or by ``weights``."""
        return list(map(_table(values, weights).__getitem__, self._u16(n)))

    def weighted(self, pairs: Sequence[tuple[Any, float]], n: int) -> list[Any]:
        """``n`` values drawn from ``(value, weight)`` pairs."""
        return self.pick([v for v, _ in pairs], n, [w for _, w in pairs])

    def flags(self, p: float, n: int) -> list[bool]:
        """``n`` booleans, each true with probability ``p``."""
        return self.pick((True, False), n, (p, 1.0 - p))

    def below(self, m: int, n: int) -> list[int]:
        """``n`` integers in ``range(m)`` (for ``m`` too big for a table)."""
        words = array("I")
        assert words.itemsize == 4
        words.frombytes(self.rnd.randbytes(4 * n))
        if sys.byteorder == "big":
            words.byteswap()
        return [w % m for w in words]

    def days_ago(self, bands: Sequence[tuple[int, int, float]], n: int) -> list[int]:
        """``n`` day indices, each some days before the reference day.

        ``bands`` are ``(low, high, weight)``: a band is chosen by weight, then a day in
        ``range(low, high)`` uniformly.
        """
        offsets: list[int] = []
        weights: list[float] = []
        for lo, hi, w in bands:
            offsets.extend(range(lo, hi))
            weights.extend([w / (hi - lo)] * (hi - lo))
        return self.pick([_REF - o for o in offsets], n, weights)

    def hex32(self, n: int) -> list[str]:
        """``n`` strings of 32 random hex digits."""
        text = self.rnd.randbytes(16 * n).hex()
        return [text[i : i + 32] for i in range(0, 32 * n, 32)]


# ------------------------------------------------------------------------------------------ pools

_ROLES = (
    "head-of-infrastructure",
    "head-of-platform-engineering",
    "head-of-data-services",
    "head-of-service-management",
    "head-of-digital-delivery",
    "head-of-architecture",
    "head-of-contract-management",
    "director-of-commercial",
    "chief-information-security-officer",
    "senior-information-risk-owner",
    "data-protection-officer",
    "caldicott-guardian",
    "director-of-workforce",
    "head-of-innovation",
    "chief-financial-officer",
    "product-owner",
    "service-owner",
    "delivery-manager",
    "category-manager",
    "information-asset-owner",
)
_UNITS = (
    "referrals",
    "booking",
    "national-data-platform",
    "data-warehouse",
    "public-apis",
    "website",
    "identity",
    "corporate-it",
    "networks",
    "hosting",
    "analytics",
    "screening",
    "prescriptions",
    "directory",
    "messaging",
    "records",
)
#: Owners who appear in the governance register (the register is built to include every one).
CORE_OWNERS = tuple(f"{role}-{unit}" for role in _ROLES for unit in _UNITS[:8])
#: Owners who never appear in the governance register: leavers, interims, other bodies' staff.
STRAY_OWNERS = tuple(f"{prefix}-{unit}" for prefix in ("interim-lead", "former-manager") for unit in _UNITS)

_SUPPLIER_WORDS = (
    "Amber",
    "Ashdown",
    "Birch",
    "Brightwater",
    "Castle",
    "Corvid",
    "Fern",
    "Granite",
    "Harbour",
    "Helix",
    "Kestrel",
    "Keystone",
    "Lakeside",
    "Lighthouse",
    "Meridian",
    "Northway",
    "Oakridge",
    "Pennine",
    "Quay",
    "Redmarsh",
    "Silverbirch",
    "Stratus",
    "Tidewater",
    "Upland",
    "Vantage",
    "Wren",
)
_SUPPLIER_KINDS = (
    "Digital",
    "Data Systems",
    "Cloud Services",
    "Consulting",
    "Secure",
    "Software",
    "Health Informatics",
    "Networks",
    "Analytics",
    "Technology",
)
_SUPPLIER_SUFFIX = ("Ltd", "Ltd", "Ltd", "plc", "LLP")


def _suppliers() -> list[tuple[str, str, bool]]:
    """The supplier pool: (name, Companies House number, SME), fixed for every seed."""
    rnd = random.Random("suppliers")
    out = []
    for i, (word, kind) in enumerate((w, k) for w in _SUPPLIER_WORDS for k in _SUPPLIER_KINDS):
        suffix = _SUPPLIER_SUFFIX[i % len(_SUPPLIER_SUFFIX)]
        number = f"OC{rnd.randrange(300000, 430000)}" if suffix == "LLP" else f"{rnd.randrange(1000000, 15999999):08d}"
        out.append((f"{word} {kind} {suffix}", number, rnd.random() < 0.45))
    return out


_CONTRACT_TITLES = (
    ("Managed hosting", "cloud hosting"),
    ("Public cloud consumption", "cloud hosting"),
    ("Application support and maintenance", "application support"),
    ("Software licences and support", "software licences"),
    ("SaaS subscription", "software licences"),
    ("Digital outcomes: discovery and alpha", "digital outcomes"),
    ("Digital outcomes: beta delivery", "digital outcomes"),
    ("Digital specialists", "professional services"),
    ("Security operations centre", "cyber security services"),
    ("Penetration testing", "cyber security services"),
    ("Network connectivity", "network"),
    ("End-user devices", "hardware"),
    ("Hardware maintenance", "hardware maintenance"),
    ("Data centre colocation", "data centre"),
    ("Backup and recovery service", "infrastructure services"),
    ("Training and e-learning", "training"),
    ("Advisory services", "professional services"),
    ("Innovation pilot", "innovation"),
    ("Print and mail fulfilment", "business services"),
)
_SERVICES = (
    "clinical referrals",
    "booking",
    "the national data platform",
    "the data warehouse",
    "public APIs",
    "the public website",
    "identity and access",
    "corporate IT",
    "screening",
    "prescriptions",
    "the service directory",
    "messaging",
    "records management",
    "analytics",
)
_ROUTES = (
    ("framework-call-off", 55.0),
    ("open", 10.0),
    ("restricted", 6.0),
    ("competitive-dialogue", 1.0),
    ("competitive-flexible", 3.0),
    ("direct-award", 8.0),
    ("below-threshold", 12.0),
    ("dynamic-purchasing-system", 3.0),
    ("other", 2.0),
)
_FRAMEWORKS = (
    ("G-Cloud 14", 30.0),
    ("G-Cloud 13", 15.0),
    ("G-Cloud 12", 5.0),
    ("Technology Products & Associated Services 2", 12.0),
    ("Digital Outcomes 6", 15.0),
    ("Digital Specialists and Programmes", 8.0),
    ("Cyber Security Services 3", 6.0),
    ("Network Services 3", 5.0),
    ("Management Consultancy Framework Three", 4.0),
)
_DPS = ("Spark DPS", "Digital Capability for Health DPS")

#: (product, release cycle, vendor, end of life or None, asset type, weight); from endoflife.date.
PRODUCTS: tuple[tuple[str, str | None, str, str | None, str, float], ...] = (
    ("windows-server", "2012-r2", "Microsoft", "2023-10-10", "server", 3),
    ("windows-server", "2016", "Microsoft", "2027-01-12", "server", 6),
    ("windows-server", "2019", "Microsoft", "2029-01-09", "server", 8),
    ("windows-server", "2022", "Microsoft", "2031-10-14", "server", 10),
    ("windows-server", "2025", "Microsoft", "2034-11-14", "server", 4),
    ("rhel", "7", "Red Hat", "2024-06-30", "server", 3),
    ("rhel", "8", "Red Hat", "2029-05-31", "server", 8),
    ("rhel", "9", "Red Hat", "2032-05-31", "server", 8),
    ("ubuntu", "20.04", "Canonical", "2025-05-31", "server", 2),
    ("ubuntu", "22.04", "Canonical", "2027-04-01", "server", 6),
    ("ubuntu", "24.04", "Canonical", "2029-05-31", "server", 6),
    ("centos", "7", "CentOS Project", "2024-06-30", "server", 1),
    ("postgresql", "11", "PostgreSQL Global Development Group", "2023-11-09", "database", 1),
    ("postgresql", "13", "PostgreSQL Global Development Group", "2025-11-13", "database", 2),
    ("postgresql", "15", "PostgreSQL Global Development Group", "2027-11-11", "database", 3),
    ("postgresql", "16", "PostgreSQL Global Development Group", "2028-11-09", "database", 4),
    ("postgresql", "17", "PostgreSQL Global Development Group", "2029-11-08", "database", 3),
    ("mssqlserver", "12.0-sp3", "Microsoft", "2024-07-09", "database", 1),
    ("mssqlserver", "14.0", "Microsoft", "2027-10-12", "database", 2),
    ("mssqlserver", "15.0", "Microsoft", "2030-01-08", "database", 3),
    ("mssqlserver", "16.0", "Microsoft", "2033-01-11", "database", 3),
    ("oracle-database", "12.2", "Oracle", "2022-03-31", "database", 1),
    ("oracle-database", "19", "Oracle", "2029-12-31", "database", 2),
    ("mysql", "8.0", "Oracle", "2026-04-30", "database", 1),
    ("mysql", "8.4", "Oracle", "2032-04-30", "database", 2),
    ("redis", "7.2", "Redis Ltd", "2029-12-01", "database", 2),
    ("mongodb", "7.0", "MongoDB Inc", "2027-08-31", "database", 1),
    ("oracle-jdk", "8", "Oracle", "2022-03-31", "platform", 1),
    ("eclipse-temurin", "17", "Eclipse Foundation", "2027-10-31", "platform", 3),
    ("eclipse-temurin", "21", "Eclipse Foundation", "2029-12-31", "platform", 3),
    ("tomcat", "8.5", "Apache Software Foundation", "2024-03-31", "platform", 1),
    ("tomcat", "9.0", "Apache Software Foundation", "2027-03-31", "platform", 2),
    ("nginx", "1.30", "F5", None, "platform", 3),
    ("apache-http-server", "2.4", "Apache Software Foundation", None, "platform", 2),
    ("kubernetes", "1.33", "Cloud Native Computing Foundation", "2026-06-28", "platform", 1),
    ("kubernetes", "1.35", "Cloud Native Computing Foundation", "2027-02-28", "platform", 2),
    ("kubernetes", "1.36", "Cloud Native Computing Foundation", "2027-06-28", "platform", 2),
    ("vmware-esxi", "7.0", "Broadcom", "2025-10-02", "platform", 1),
    ("vmware-esxi", "8.0", "Broadcom", "2027-10-11", "platform", 2),
    ("nodejs", "18", "OpenJS Foundation", "2025-04-30", "application", 1),
    ("nodejs", "22", "OpenJS Foundation", "2027-04-30", "application", 4),
    ("nodejs", "24", "OpenJS Foundation", "2028-04-30", "application", 3),
    ("python", "3.9", "Python Software Foundation", "2025-10-31", "application", 1),
    ("python", "3.12", "Python Software Foundation", "2028-10-31", "application", 3),
    ("python", "3.13", "Python Software Foundation", "2029-10-31", "application", 2),
    ("dotnet", "8", "Microsoft", "2026-11-10", "application", 3),
    ("dotnet", "10", "Microsoft", "2028-11-14", "application", 2),
    ("php", "8.3", "The PHP Group", "2027-12-31", "application", 1),
    ("msexchange", "2019", "Microsoft", "2025-10-14", "application", 1),
    ("sharepoint", "subscription", "Microsoft", None, "application", 1),
    ("windows", "11-24h2-e", "Microsoft", "2027-10-12", "end-user", 6),
    ("windows", "10-22h2", "Microsoft", "2025-10-14", "end-user", 1),
    ("fortios", "7.4", "Fortinet", None, "network", 2),
    ("nx-os", "10.3", "Cisco", None, "network", 2),
    ("microsoft-365", None, "Microsoft", None, "saas", 3),
    ("service-desk-saas", None, "Amber Software Ltd", None, "saas", 2),
    ("hr-payroll-saas", None, "Upland Software Ltd", None, "saas", 1),
    ("identity-saas", None, "Silverbirch Secure Ltd", None, "saas", 2),
)
_NAME_ROLE = {
    "server": "app",
    "database": "db",
    "platform": "plat",
    "application": "svc",
    "end-user": "eud",
    "network": "net",
    "saas": "saas",
    "other": "misc",
}
_HOSTING_BY_TYPE: dict[str, tuple[tuple[str | None, float], ...]] = {
    "saas": (("saas", 1.0),),
    "end-user": ((None, 1.0),),
    "network": (("on-premises", 6.0), ("colocation", 3.0), ("public-cloud", 1.0)),
}
_HOSTING_DEFAULT: tuple[tuple[str | None, float], ...] = (
    ("public-cloud", 45.0),
    ("private-cloud", 15.0),
    ("on-premises", 30.0),
    ("colocation", 10.0),
)
_ENV_SHORT = {"production": "prod", "staging": "stg", "test": "test", "development": "dev", "dr": "dr"}

_BOARDS = (
    ("Board", 2.0),
    ("Audit and Risk Assurance Committee", 4.0),
    ("Technology and Cyber Committee", 5.0),
    ("Commercial Assurance Board", 3.0),
    ("Data and Information Governance Board", 3.0),
    ("People Committee", 2.0),
    ("Executive Management Team", 3.0),
    ("Design Authority", 2.0),
)
_ESCALATION = (
    ("Board", 45.0),
    ("Audit and Risk Assurance Committee", 37.0),
    ("Technology and Cyber Committee", 8.0),
    ("Executive Management Team", 6.0),
    ("Commercial Assurance Board", 4.0),
)
_AREAS = ("ROLE", "COLLAB", "INNOV", "DATA", "GOV", "CYBER", "COMM", "WORK", "CULT", "INFRA", "DELIV")
_ENTRY_TYPES = (
    ("risk", 45.0),
    ("issue", 12.0),
    ("decision", 10.0),
    ("policy", 6.0),
    ("control", 17.0),
    ("action", 10.0),
)
_TEST_RESULTS = (("effective", 80.0), ("partially-effective", 15.0), ("ineffective", 5.0))

_STATUS_BY_TYPE: dict[str, tuple[tuple[str, float], ...]] = {
    "risk": (("open", 45.0), ("in-progress", 20.0), ("accepted", 12.0), ("mitigated", 13.0), ("closed", 10.0)),
    "issue": (("open", 45.0), ("in-progress", 35.0), ("closed", 20.0)),
    "decision": (("open", 10.0), ("in-progress", 15.0), ("accepted", 15.0), ("closed", 60.0)),
    "policy": (("open", 85.0), ("in-progress", 10.0), ("closed", 5.0)),
    "control": (("open", 70.0), ("in-progress", 25.0), ("closed", 5.0)),
    "action": (("open", 35.0), ("in-progress", 40.0), ("closed", 25.0)),
}
_RISK_PHRASES = (
    "Unsupported software in the estate is exploited",
    "Loss of a strategic supplier",
    "Key-person dependency on legacy skills",
    "Data quality defects mislead users",
    "Ransomware disrupts services",
    "Contracts expire without re-procurement",
    "Personal data shared without an agreement",
    "Manual deployments cause failed releases",
    "Cloud costs overrun",
    "Vacancies leave teams under-resourced",
    "Single point of failure in a live service",
    "Accountability between partners is unclear",
    "Pilots do not scale to national services",
)
_OTHER_PHRASES = {
    "issue": "Incident or finding under treatment",
    "decision": "Decision recorded",
    "policy": "Policy",
    "control": "Control",
    "action": "Action",
}


# ------------------------------------------------------------------------------------ scenarios


@dataclass(frozen=True)
class Scenario:
    """The knobs that set how often the generated records fail the usual rules.

    ``typical`` is an established programme (about 15 % of findings fail); ``high-failure`` is a
    register at the start of an assurance programme: owners missing or outside governance, reviews
    and patches stale, unsupported products in production, high risks without controls (about 0.9
    failing findings per record over the ten typical rules of ``benchmarks/run.py``).
    """

    contract_owner_missing: float = 0.06
    contract_owner_stray: float = 0.05
    #: (low, high, weight) bands of days before the reference day of a contract's last review.
    contract_review_age: tuple[tuple[int, int, float], ...] = ((0, 180, 60.0), (180, 365, 22.0), (365, 1100, 18.0))
    #: Percent of high-value (GBP 1m+) and of other contracts with an exit plan.
    exit_plan_high_value: int = 86
    exit_plan_other: int = 35
    #: Percent of contracts past their end date still recorded as active.
    ended_still_active: int = 12
    asset_owner_missing: float = 0.05
    asset_owner_stray: float = 0.05
    #: Weight multiplier of products past end of life on the reference day (or with none published).
    unsupported_product_weight: float = 1.0
    internet_facing: float = 0.2
    environments: tuple[tuple[str, float], ...] = (
        ("production", 52.0),
        ("staging", 10.0),
        ("test", 14.0),
        ("development", 14.0),
        ("dr", 10.0),
    )
    exposed_patch_age: tuple[tuple[int, int, float], ...] = (
        (0, 15, 76.0),
        (15, 45, 12.0),
        (45, 180, 8.0),
        (180, 500, 4.0),
    )
    deployment: tuple[tuple[str, float], ...] = (("manual", 28.0), ("scripted", 30.0), ("automated", 42.0))
    entry_types: tuple[tuple[str, float], ...] = _ENTRY_TYPES
    register_owner_missing: float = 0.05
    register_review_age: tuple[tuple[int, int, float], ...] = ((0, 90, 78.0), (90, 365, 15.0), (365, 1000, 7.0))
    #: How many controls a risk or issue links (drawn uniformly from this tuple).
    control_links: tuple[int, ...] = (0, 1, 1, 2, 2, 3)


#: The scenarios ``--scenario`` chooses from.
SCENARIOS: dict[str, Scenario] = {
    "typical": Scenario(),
    "high-failure": Scenario(
        contract_owner_missing=0.30,
        contract_owner_stray=0.55,
        contract_review_age=((0, 180, 15.0), (180, 365, 10.0), (365, 1100, 75.0)),
        exit_plan_high_value=15,
        exit_plan_other=10,
        asset_owner_missing=0.25,
        asset_owner_stray=0.30,
        unsupported_product_weight=6.0,
        ended_still_active=45,
        internet_facing=0.72,
        environments=(("production", 75.0), ("staging", 5.0), ("test", 8.0), ("development", 7.0), ("dr", 5.0)),
        exposed_patch_age=((0, 15, 10.0), (15, 45, 25.0), (45, 180, 40.0), (180, 500, 25.0)),
        deployment=(("manual", 60.0), ("scripted", 25.0), ("automated", 15.0)),
        entry_types=(
            ("risk", 72.0),
            ("issue", 6.0),
            ("decision", 5.0),
            ("policy", 3.0),
            ("control", 10.0),
            ("action", 4.0),
        ),
        register_owner_missing=0.30,
        register_review_age=((0, 90, 20.0), (90, 365, 45.0), (365, 1000, 35.0)),
        control_links=(0, 0, 0, 0, 1, 2),
    ),
}


# ----------------------------------------------------------------------------------- generators


def _owners(draw: _Draw, n: int, missing: float, stray: float) -> list[str | None]:
    """Owners: mostly from the core pool, a share ``stray`` from the stray pool, ``missing`` absent."""
    pool: list[str | None] = [None, *STRAY_OWNERS, *CORE_OWNERS]
    weights = [missing]
    weights += [stray / len(STRAY_OWNERS)] * len(STRAY_OWNERS)
    weights += [(1.0 - missing - stray) / len(CORE_OWNERS)] * len(CORE_OWNERS)
    return draw.pick(pool, n, weights)


def _records(keys: Sequence[str], columns: Sequence[Sequence[Any]]) -> list[Record]:
    """Zip columns into records, leaving out absent (None) values."""
    records = [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
    for key, column in zip(keys, columns, strict=True):
        for record in compress(records, map(is_, column, repeat(None))):
            del record[key]
    return records


def _dates(indices: Iterable[int]) -> list[str]:
    """ISO strings of day indices (every index the generators make is inside the table)."""
    return list(map(_DAYS.__getitem__, indices))


#: Contract values: GBP 10k to about GBP 40m, skewed to small (about a quarter reach GBP 1m).
_VALUES = [int(round(10 ** (4 + 3.6 * q * q), -3)) for q in ((j + 0.5) / 4096 for j in range(4096))]


def supplier_contracts(n: int, seed: int, scenario: Scenario = SCENARIOS["typical"]) -> list[Record]:
    """``n`` supplier-contracts records."""
    sc = scenario
    draw = _Draw(f"{seed}:supplier-contracts")
    suppliers = _suppliers()
    ids = [f"CON-{i:08d}" for i in range(1, n + 1)]
    titles_cat = draw.pick(_CONTRACT_TITLES, n)
    services = draw.pick(_SERVICES, n)
    title = [f"{t} for {s}" for (t, _), s in zip(titles_cat, services, strict=True)]
    category = [c for _, c in titles_cat]
    sup = draw.pick(suppliers, n)
    value = draw.pick(_VALUES, n)
    currency = draw.weighted((("GBP", 97.0), ("USD", 2.0), ("EUR", 1.0)), n)
    # Start: up to 8 years ago or (pipeline) up to 9 months ahead; term 1 to 7 years.
    start = draw.days_ago(((0, 2900, 92.0), (-270, 0, 8.0)), n)
    term = draw.pick(range(365, 7 * 365), n)
    end = [s + t for s, t in zip(start, term, strict=True)]
    fate = draw.pick(range(100), n)
    status: list[str] = []
    for s, e, d in zip(start, end, fate, strict=True):
        if s > _REF:
            status.append("pipeline")
        elif e < _REF:  # ended: mostly recorded as expired, some still shown as active
            status.append(
                "active"
                if d < sc.ended_still_active
                else ("terminated" if d < sc.ended_still_active + 6 else "expired")
            )
        else:
            status.append("terminated" if d < 3 else "active")
    owner = _owners(draw, n, missing=sc.contract_owner_missing, stray=sc.contract_owner_stray)
    route = draw.weighted(_ROUTES, n)
    frameworks = draw.weighted(_FRAMEWORKS, n)
    dps = draw.pick(_DPS, n)
    fw_missing = draw.flags(0.04, n)
    framework = [
        (None if miss else f) if r == "framework-call-off" else (p if r == "dynamic-purchasing-system" else None)
        for r, f, p, miss in zip(route, frameworks, dps, fw_missing, strict=True)
    ]
    exit_draw = draw.pick(range(100), n)
    exit_plan = [
        None if st == "pipeline" else (d < (sc.exit_plan_high_value if v >= 1_000_000 else sc.exit_plan_other))
        for st, v, d in zip(status, value, exit_draw, strict=True)
    ]
    exit_age = draw.days_ago(((0, 365, 78.0), (365, 900, 22.0)), n)
    exit_reviewed = [_DAYS[a] if e else None for e, a in zip(exit_plan, exit_age, strict=True)]
    review_age = draw.days_ago(sc.contract_review_age, n)
    last_review = [
        None if st == "pipeline" else _DAYS[max(a, s)] for st, a, s in zip(status, review_age, start, strict=True)
    ]
    risk = draw.weighted((("low", 35.0), ("medium", 40.0), ("high", 18.0), ("critical", 7.0)), n)
    data_processing = draw.flags(0.45, n)
    notice = draw.pick((0, 30, 30, 30, 60, 90, 90, 180), n)
    published = draw.flags(0.65, n)
    ocid = [
        f"ocds-b5fd17-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" if p and st != "pipeline" else None
        for h, p, st in zip(draw.hex32(n), published, status, strict=True)
    ]
    columns = (
        ids,
        title,
        [s[0] for s in sup],
        [s[1] for s in sup],
        category,
        value,
        currency,
        _dates(start),
        _dates(end),
        status,
        owner,
        route,
        framework,
        exit_plan,
        exit_reviewed,
        last_review,
        risk,
        [s[2] for s in sup],
        data_processing,
        notice,
        ocid,
    )
    return _records(FIELDS["supplier-contracts"], columns)


def _unsupported(product: tuple[str, str | None, str, str | None, str, float]) -> bool:
    """Whether a product is past end of life on the reference day (not SaaS). A product with none published
    (endoflife.date ``eol: false``) is recorded as ``end_of_life_announced = false``, as capcheck's bundled
    end-of-life snapshot would fill it in: supported."""
    return product[4] != "saas" and product[3] is not None and product[3] <= REFERENCE_DAY.isoformat()


def it_assets(n: int, seed: int, scenario: Scenario = SCENARIOS["typical"]) -> list[Record]:
    """``n`` it-assets records; ``supplier_contract`` points into a contract register of ``n``."""
    sc = scenario
    draw = _Draw(f"{seed}:it-assets")
    ids = [f"CI-{i:08d}" for i in range(1, n + 1)]
    product = draw.pick(
        PRODUCTS, n, [p[5] * (sc.unsupported_product_weight if _unsupported(p) else 1.0) for p in PRODUCTS]
    )
    env = draw.weighted(sc.environments, n)
    name = [
        f"ngh-{_ENV_SHORT[e]}-{_NAME_ROLE[p[4]]}-{i:07d}"
        for i, (e, p) in enumerate(zip(env, product, strict=True), start=1)
    ]
    criticality = draw.weighted((("low", 25.0), ("medium", 38.0), ("high", 27.0), ("critical", 10.0)), n)
    owner = _owners(draw, n, missing=sc.asset_owner_missing, stray=sc.asset_owner_stray)
    internet_facing = draw.flags(sc.internet_facing, n)
    # Internet-facing assets are patched on a tighter cycle than internal ones; SaaS is patched
    # by its supplier and has no last_patched.
    internal_age = draw.days_ago(((0, 45, 62.0), (45, 90, 16.0), (90, 240, 14.0), (240, 700, 8.0)), n)
    exposed_age = draw.days_ago(sc.exposed_patch_age, n)
    last_patched = [
        None if p[4] == "saas" else _DAYS[e if inet else a]
        for p, inet, a, e in zip(product, internet_facing, internal_age, exposed_age, strict=True)
    ]
    hosting_draws = {t: draw.weighted(table, n) for t, table in _HOSTING_BY_TYPE.items()}
    hosting_default = draw.weighted(_HOSTING_DEFAULT, n)
    hosting = [hosting_draws[p[4]][i] if p[4] in hosting_draws else hosting_default[i] for i, p in enumerate(product)]
    # Contracts: 70 % name one of the n contracts, 2 % name one that does not exist.
    link = draw.weighted((("known", 70.0), ("dangling", 2.0), (None, 28.0)), n)
    contract_no = draw.below(max(n, 1), n)
    supplier_contract = [
        None if k is None else f"CON-{c + 1 + (n if k == 'dangling' else 0):08d}"
        for k, c in zip(link, contract_no, strict=True)
    ]
    deployment = draw.weighted(sc.deployment, n)
    backup = draw.weighted(((True, 85.0), (False, 12.0), (None, 3.0)), n)
    status = draw.weighted((("in-service", 85.0), ("planned", 3.0), ("decommissioning", 5.0), ("retired", 7.0)), n)
    columns = (
        ids,
        name,
        [p[0] for p in product],
        [p[1] for p in product],
        [p[2] for p in product],
        [p[4] for p in product],
        env,
        criticality,
        owner,
        [p[3] for p in product],
        [False if p[3] is None else None for p in product],
        last_patched,
        internet_facing,
        hosting,
        supplier_contract,
        deployment,
        backup,
        status,
    )
    return _records(FIELDS["it-assets"], columns)


_PREFIXES = {"risk": "RSK", "issue": "ISS", "decision": "DEC", "policy": "POL", "control": "CTL", "action": "ACT"}


def governance_register(n: int, seed: int, scenario: Scenario = SCENARIOS["typical"]) -> list[Record]:
    """``n`` governance-register records; the first ones name every core owner once."""
    sc = scenario
    draw = _Draw(f"{seed}:governance-register")
    etype = draw.weighted(sc.entry_types, n)
    ids = [f"{_PREFIXES[t]}-{i:08d}" for i, t in enumerate(etype, start=1)]
    controls = [i for i, t in zip(ids, etype, strict=True) if t == "control"] or ["CTL-00000000"]
    owner = _owners(draw, n, missing=sc.register_owner_missing, stray=0.0)
    for i in range(min(n, len(CORE_OWNERS))):
        owner[i] = CORE_OWNERS[i]
    status_draws = {t: draw.weighted(table, n) for t, table in _STATUS_BY_TYPE.items()}
    status = [status_draws[t][i] for i, t in enumerate(etype)]
    area = draw.pick(_AREAS, n)
    phrase = draw.pick(_RISK_PHRASES, n)
    service = draw.pick(_SERVICES, n)
    title = [
        f"{p} ({s})" if t == "risk" else f"{_OTHER_PHRASES[t]}: {s}"
        for t, p, s in zip(etype, phrase, service, strict=True)
    ]
    review_age = draw.days_ago(sc.register_review_age, n)
    raised_extra = draw.pick(range(2500), n)
    cycle = draw.pick((90, 180, 365, 365), n)
    next_review = [None if st == "closed" else _DAYS[a + c] for st, a, c in zip(status, review_age, cycle, strict=True)]
    likelihood = draw.pick(range(1, 6), n)
    impact = draw.pick(range(1, 6), n)
    score_off = draw.flags(0.02, n)
    unscored = draw.flags(0.03, n)
    is_risk = [t == "risk" and not u for t, u in zip(etype, unscored, strict=True)]
    risk_score = [
        (min(25, li * im + 2) if off else li * im) if r else None
        for r, li, im, off in zip(is_risk, likelihood, impact, score_off, strict=True)
    ]
    n_links = draw.pick(sc.control_links, n)
    link_pool = (
        draw.pick(controls, 3 * n)
        if len(controls) <= _SLOTS
        else [controls[i] for i in draw.below(len(controls), 3 * n)]
    )
    dangling = draw.flags(0.02, n)
    linked: list[list[str] | None] = []
    for i, (t, k, dang) in enumerate(zip(etype, n_links, dangling, strict=True)):
        if t not in ("risk", "issue") or k == 0:
            linked.append(None)
            continue
        links = link_pool[3 * i : 3 * i + k]
        if dang:
            links = [*links[:-1], f"CTL-{n + i + 1:08d}"]
        linked.append(sorted(set(links)))
    # The highest risks are mostly escalated to the board or its audit committee.
    board = [
        top if (score or 0) >= 20 else usual
        for score, top, usual in zip(risk_score, draw.weighted(_ESCALATION, n), draw.weighted(_BOARDS, n), strict=True)
    ]
    raised_on = [_DAYS[a - x] for a, x in zip(review_age, raised_extra, strict=True)]
    # Controls are mostly tested within the year and effective; decisions record when they were taken.
    tested_age = draw.days_ago(((0, 365, 85.0), (365, 900, 15.0)), n)
    result = draw.weighted(_TEST_RESULTS, n)
    is_control = [t == "control" for t in etype]
    columns = (
        ids,
        title,
        etype,
        owner,
        status,
        area,
        raised_on,
        _dates(review_age),
        next_review,
        risk_score,
        [li if r else None for r, li in zip(is_risk, likelihood, strict=True)],
        [im if r else None for r, im in zip(is_risk, impact, strict=True)],
        linked,
        board,
        [_DAYS[a] if c else None for c, a in zip(is_control, tested_age, strict=True)],
        [r if c else None for c, r in zip(is_control, result, strict=True)],
        [d if t == "decision" else None for t, d in zip(etype, raised_on, strict=True)],
    )
    return _records(FIELDS["governance-register"], columns)


_GENERATORS: dict[str, Callable[[int, int, Scenario], list[Record]]] = {
    "supplier-contracts": supplier_contracts,
    "it-assets": it_assets,
    "governance-register": governance_register,
}


def generate_records(kind: str, n: int, seed: int, scenario: str = "typical") -> list[Record]:
    """``n`` records of ``kind`` for ``seed`` and ``scenario`` (the same list every time)."""
    return _GENERATORS[kind](n, seed, SCENARIOS[scenario])


# ---------------------------------------------------------------------------------------- writers


def write_json(path: Path, kind: str, records: Sequence[Record], seed: int, chunk: int = 20_000) -> None:
    """Write an evidence envelope with one record per line (so findings can name a line)."""
    head = orjson.dumps(
        {
            "kind": kind,
            "schema_version": SCHEMA_VERSION,
            "source": f"capcheck benchmark generator, seed {seed} (synthetic)",
            "collected_on": COLLECTED_ON,
        }
    )
    with path.open("wb") as fh:
        fh.write(head[:-1] + b',"records":[\n')
        for start in range(0, len(records), chunk):
            # Dump a chunk of records at once, then break the line before each record: every record
            # starts with '{"id":', which cannot occur inside a JSON string (its quotes are escaped).
            if start:
                fh.write(b",\n")
            fh.write(orjson.dumps(records[start : start + chunk])[1:-1].replace(b'},{"id":', b'},\n{"id":'))
        fh.write(b"\n]}\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def write_csv(path: Path, records: Sequence[Record], columns: Sequence[str]) -> None:
    """Write records as CSV: a header row, then one row a record (empty cell: field absent)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(r.get(c)) for c in columns] for r in records)


def generate(n: int, seed: int, out: Path, fmt: str = "json", scenario: str = "typical") -> list[Path]:
    """Write the three kinds at ``n`` records each to ``out`` and return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        # Millions of new dicts would trigger many full collections; none of them is garbage.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            records = generate_records(kind, n, seed, scenario)
        finally:
            if gc_was_enabled:
                gc.enable()
        path = out / f"{kind}.{fmt}"
        if fmt == "csv":
            write_csv(path, records, FIELDS[kind])
        else:
            write_json(path, kind, records, seed)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``generate.py --records N --seed S --out DIR [--format json|csv]``."""
    parser = argparse.ArgumentParser(description="Generate seeded capcheck benchmark evidence.")
    parser.add_argument("--records", type=int, default=10_000, help="records per kind (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--format", choices=("json", "csv"), default="json", help="file format (default json)")
    parser.add_argument(
        "--scenario",
        choices=tuple(SCENARIOS),
        default="typical",
        help="typical (about 15%% of findings fail) or high-failure (about 0.9 failing findings a record)",
    )
    args = parser.parse_args(argv)
    if args.records < 0:
        parser.error("--records must be >= 0")
    started = time.perf_counter()
    paths = generate(args.records, args.seed, args.out, args.format, args.scenario)
    elapsed = time.perf_counter() - started
    print(
        f"wrote {len(paths)} files, {args.records} records each ({args.scenario}), in {elapsed:.1f}s to {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
