"""Generate the rest of Northgate Health Digital's estate: the example at the scale of a real national body.

The hand-written registers in ``evidence/`` carry the example's narrative (the records the README and the
tests name). This script writes the *rest of the estate* beside them, one JSON envelope file per evidence kind
in ``evidence/estate/``, so that the example has the size of a real national health IT body of ~900 staff:

==========================  =========  =============================================================
register                    generated  what it holds
==========================  =========  =============================================================
workforce-plan              910        posts in 28 teams: filled, vacant, contractor and interim
training-records            1,313      every one of the 824 people in post on the mandatory courses, some optional
it-assets                   420        servers, databases, platforms, applications, network, SaaS, device groups
supplier-contracts          170        88 suppliers; G-Cloud 12/13/14, TePAS 2, DOS 5/6, NS 2/3, CSS 3, MCF3 ...
governance-register         435        risks, controls, policies, issues, actions and decisions
service-catalogue           60         national and corporate services, with their assets and contracts
roles                       423        RACI rows for those services, the data products and 24 processes
data-products               45         datasets, extracts, APIs and dashboards
data-sharing-agreements     72         with 60 real NHS trusts, ICBs and CSUs (names and ODS codes)
dspt-assessments            101        partners' real 2023 DSPT statuses and suppliers' (made-up) ones
security-incidents          140        two years of incidents (2024-11 to 2026-11)
innovation-pipeline         50         ideas to adoption
delivery-portfolio          40         products in delivery with DORA metrics
procurement-pipeline        31         sourcing decisions for active contracts ending in the next 18 months
skills-matrix               80         DDaT skills per team
==========================  =========  =============================================================

(``organisation`` and ``attestations`` are not generated.)

**Realism.** Owners are role ids (``head-of-infrastructure``) as in the hand-written files; people are staff
ids as the HR system (ESR) exports them (``NGH-1042``, contractors ``NGH-C-1007``). Cross-references resolve the
way real registers do: assets name their backing contract, risks their controls, services their assets, RACI
rows their services, and a few (``RATES["dangling"]``) do not. Most records are well kept; a minority has the gaps a
review finds, at the rates in :data:`RATES` (drawn per record, not tuned to any rule's result): stale reviews,
missing owners, owners outside the governance register, expired contracts still marked active, internet-facing
hosts behind on patches, lapsed training. Product versions are drawn from an estate mix (:data:`ASSET_FAMILIES`)
and their end-of-life dates come from endoflife.date (``data/endoflife-date.json``, MIT licence); the partner
DSPT statuses are NHS England's real snapshot of 16 November 2023 (``data/nhs-dspt-status-2023-11-16.csv``).
Suppliers, people, contracts, risks and incidents are made up.

**Data.** What the estate is made of (teams and their posts, job titles, services, the product and version mix of
each family of configuration items, SaaS products, contract categories and their value medians, governance titles,
incident types, ideas, skills) is in ``data/estate.toml``; this script holds the rates and the logic that draws
records from it.

**Determinism.** The output depends only on :data:`SEED`, the data files and this script: every date counts
from the export day (2026-11-20), never from today, and each register has its own random stream, so running
the script again rewrites the same bytes. Generated ids use their own ranges (``CI-1001``, ``CON-2024-101``,
``RSK-101``, ``POST-1001``, ``TR-10001`` ...) and the script stops if one collides with a hand-written id.

Usage (from the repository root; standard library only)::

    python examples/northgate-health-digital/generate.py            # rewrite evidence/estate/
    python examples/northgate-health-digital/generate.py --out DIR  # write elsewhere (the test does)
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
EVIDENCE = HERE / "evidence"
DATA = HERE / "data"
DEFAULT_OUT = EVIDENCE / "estate"

#: The seed every register's random stream is derived from.
SEED = 20261120
#: The day the registers were exported; every generated date counts from it.
EXPORT = date(2026, 11, 20)
SOURCE = "Northgate Health Digital {what}, export of 2026-11-20 (generated by generate.py, seed {seed}); fictional"

Record = dict[str, Any]
T = TypeVar("T")

#: How often a record has each kind of gap (the share of the records the gap can apply to).
RATES = {
    "owner_missing": 0.05,  # no owner / contract manager recorded
    "owner_unregistered": 0.04,  # an owner who is not an accountable owner in the governance register
    "dangling": 0.03,  # a reference to a record that is not in the register (retired, mistyped)
    "stale_review": 0.15,  # last review or confirmation older than the review cycle
    "expired_still_active": 0.13,  # contracts past their end date still marked active
    "late_patch_internet": 0.18,  # internet-facing hosts outside the priority (14-day) patch ring
    "late_patch_internal": 0.15,  # internal hosts that missed the monthly patch cycle
    "training_lapsed": 0.07,  # mandatory course last completed more than a year ago
    "training_never": 0.035,  # mandatory course not started or in progress
    "no_exit_plan_high_value": 0.22,  # contracts of 1m or more without an exit plan
    "call_off_without_framework": 0.03,  # call-off whose framework is not recorded
    "skill_gap_stalled": 0.35,  # a target-state skill gap that has not moved since the previous assessment
}


# --- the organisation: data/estate.toml ------------------------------------------------------------------


def _estate() -> dict[str, Any]:
    """The estate's vocabulary and composition (teams, services, products, titles ...), a data file."""
    with (DATA / "estate.toml").open("rb") as fh:
        return tomllib.load(fh)


ESTATE = _estate()
#: Accountable owners (role ids) by group; the generated governance register names every one.
OWNERS: dict[str, list[str]] = {k: v for k, v in ESTATE["owners"].items() if k != "unregistered"}
ALL_OWNERS = sorted({o for group in OWNERS.values() for o in group})
#: Team leads who own records in other registers but are not accountable owners in the governance register.
UNREGISTERED_OWNERS: list[str] = ESTATE["owners"]["unregistered"]
BOARDS: dict[str, str] = ESTATE["boards"]
#: (team, head's role id, posts, {profession: weight}, critical team?)
TEAMS: list[tuple[str, str, int, dict[str, int], bool]] = [
    (t["name"], t["head"], t["posts"], t["professions"], t["critical"]) for t in ESTATE["teams"]
]
#: Job titles by profession: (title, Agenda for Change band, weight).
TITLES: dict[str, list[tuple[str, str, int]]] = {
    k: [(t, band, w) for t, band, w in v] for k, v in ESTATE["titles"].items()
}
#: (course, code, mandatory)
COURSES: dict[str, tuple[str, str, bool]] = {k: (c, code, m) for k, (c, code, m) in ESTATE["courses"].items()}
#: Framework agreements and the days their call-offs could start.
FRAMEWORKS: dict[str, tuple[str, str]] = {k: (a, b) for k, (a, b) in ESTATE["frameworks"].items()}
#: category -> (median value, routes {route: weight}, frameworks, titles, chance of personal data processing)
CATEGORIES: dict[str, tuple[int, dict[str, int], list[str], list[str], float]] = {
    k: (c["median"], c["routes"], c["frameworks"], c["titles"], c["personal_data"])
    for k, c in ESTATE["categories"].items()
}
CATEGORY_MIX: dict[str, int] = {k: c["share"] for k, c in ESTATE["categories"].items()}
N_CONTRACTS: int = ESTATE["contracts"]["count"]
N_SUPPLIERS: int = ESTATE["suppliers"]["count"]
SUPPLIER_WORDS: list[str] = ESTATE["suppliers"]["words"]
SUPPLIER_SECTORS: list[str] = ESTATE["suppliers"]["sectors"]
TOPICS: list[str] = ESTATE["contracts"]["topics"]
SITES: list[str] = ESTATE["contracts"]["sites"]
SPECIALIST_ROLES: list[str] = ESTATE["contracts"]["specialist_roles"]
#: (service, host-name code, audience, tier, owner group)
SERVICES: list[tuple[str, str, str, str, str]] = [
    (s["name"], s["code"], s["audience"], s["tier"], s["owners"]) for s in ESTATE["services"]
]
#: (count, asset type, name pattern, {(product, cycle): weight}, hosting weights, chance of being internet-facing
#: in production, contract category, environment weights)
ASSET_FAMILIES: list[tuple[int, str, str, dict[tuple[str, str], int], dict[str, int], float, str, dict[str, int]]] = [
    (
        f["count"],
        f["type"],
        f["name"],
        {(k.split(" ", 1)[0], k.split(" ", 1)[1]): n for k, n in f.get("mix", {}).items()},
        f["hosting"],
        f["internet_facing"],
        f["contract_category"],
        f["environments"],
    )
    for f in ESTATE["asset_families"]
]
VENDORS: dict[str, str] = ESTATE["vendors"]
NO_EOL_ANNOUNCED: frozenset[str] = frozenset(ESTATE["lifecycle"]["no_end_of_life_announced"])
#: (name, product id, vendor, criticality)
SAAS: list[tuple[str, str, str, str]] = [
    (s["name"], s["product"], s["vendor"], s["criticality"]) for s in ESTATE["saas"]
]
DEVICE_GROUPS: list[str] = ESTATE["devices"]["groups"]
NETWORK_SITES: list[str] = ESTATE["devices"]["network_sites"]
NETWORK_ROLES: list[str] = ESTATE["devices"]["network_roles"]
ASSET_OWNERS: dict[str, list[str]] = ESTATE["asset_owners"]
PROCESSES: list[str] = ESTATE["raci"]["processes"]
#: (name, delivery, format, personal data)
DATA_PRODUCTS: list[tuple[str, str, str, bool]] = [
    (p["name"], p["delivery"], p["format"], p["personal_data"]) for p in ESTATE["data"]["products"]
]
OPEN_FORMATS: frozenset[str] = frozenset(ESTATE["data"]["open_formats"])
STEWARDS: list[str] = ESTATE["data"]["stewards"]
#: (purpose, data categories, direction)
PURPOSES: list[tuple[str, list[str], str]] = [
    (p["purpose"], p["data_categories"], p["direction"]) for p in ESTATE["sharing"]
]
#: area -> (risk titles, control titles, policy titles)
GOVERNANCE: dict[str, tuple[list[str], list[str], list[str]]] = {
    k: (a["risks"], a["controls"], a["policies"]) for k, a in ESTATE["governance"]["areas"].items()
}
AREA_WEIGHTS: dict[str, int] = ESTATE["governance"]["area_weights"]
SCOPES: list[str] = ESTATE["governance"]["scopes"]
COUNTS: dict[str, int] = ESTATE["governance"]["counts"]
#: category -> (weight, titles, chance it is a personal data breach)
INCIDENT_TYPES: dict[str, tuple[int, list[str], float]] = {
    k: (i["weight"], i["titles"], i["personal_data_breach"]) for k, i in ESTATE["incidents"].items()
}
IDEAS: list[str] = ESTATE["innovation"]["ideas"]
HISTORIC: frozenset[str] = frozenset(ESTATE["skills"]["historic"])
SKILLS: dict[str, list[str]] = {k: v for k, v in ESTATE["skills"].items() if k != "historic"}
#: Bands whose posts in a critical team are critical roles.
SENIOR_BANDS = ("AfC 8a", "AfC 8b", "AfC 8c")


# --- helpers ---------------------------------------------------------------------------------------------


class Draw:
    """A register's own random stream, with the few distributions the registers need."""

    def __init__(self, register: str) -> None:
        self.rng = random.Random(f"{SEED}:{register}")

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]

    def weighted(self, weights: Mapping[T, Any]) -> T:
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def between(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def days_ago(self, low: int, high: int) -> str:
        """An ISO date ``low`` to ``high`` days before the export day."""
        return iso(EXPORT - timedelta(days=self.rng.randint(low, high)))

    def lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(self.rng.gauss(0.0, sigma))

    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"

    def owner(self, pool: Sequence[str]) -> str | None:
        """A role id from ``pool``; sometimes none, sometimes a team lead outside the governance register."""
        roll = self.rng.random()
        if roll < RATES["owner_missing"]:
            return None
        if roll < RATES["owner_missing"] + RATES["owner_unregistered"]:
            return self.pick(UNREGISTERED_OWNERS)
        return self.pick(pool)


def iso(day: date) -> str:
    return day.isoformat()


def day(text: str) -> date:
    return date.fromisoformat(text)


def add_days(text: str, days: int) -> str:
    return iso(day(text) + timedelta(days=days))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def clean(record: Record) -> Record:
    """The record without absent (None) fields, as a register export leaves the cell empty."""
    return {k: v for k, v in record.items() if v is not None}


def review_pair(d: Draw, cycle_days: int, stale_rate: float = RATES["stale_review"]) -> tuple[str, str]:
    """(last review, next review) on a review cycle; a share of entries is past its review."""
    if d.chance(stale_rate):
        last = d.days_ago(cycle_days + 20, cycle_days * 3)
    else:
        last = d.days_ago(3, max(10, cycle_days - 10))
    return last, add_days(last, cycle_days)


# --- reference data --------------------------------------------------------------------------------------


def load_eol() -> dict[str, dict[str, Any]]:
    """endoflife.date products: product -> {title, cycles: {cycle: eol}} (eol an ISO date or None)."""
    doc = json.loads((DATA / "endoflife-date.json").read_text(encoding="utf-8"))
    products: dict[str, dict[str, Any]] = {}
    for pid, product in doc["products"].items():
        cycles = {c["releaseCycle"]: (c["eol"] if isinstance(c.get("eol"), str) else None) for c in product["cycles"]}
        products[pid] = {"title": product["title"], "cycles": cycles}
    return products


def load_dspt() -> list[dict[str, str]]:
    """The real DSPT status rows of the partner organisations (NHS England snapshot, 2023-11-16)."""
    with (DATA / "nhs-dspt-status-2023-11-16.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def hand_written_ids() -> dict[str, set[str]]:
    """Ids and staff ids used by the hand-written files, by kind (and ``people``), to keep generated ids apart."""
    ids: dict[str, set[str]] = {"people": set()}
    for path in sorted(EVIDENCE.iterdir()):
        if not path.is_file():
            continue
        kind, records = path.stem, []
        if path.suffix == ".json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            kind, records = doc["kind"], doc["records"]
        elif path.suffix == ".toml":
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
            kind, records = doc["kind"], doc["records"]
        elif path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as fh:
                records = list(csv.DictReader(fh))
        elif path.suffix in (".yaml", ".yml"):  # the standard library reads no YAML: the ids are `- id: X` lines
            text = path.read_text(encoding="utf-8")
            kind = re.search(r"^kind:\s*(\S+)", text, re.M).group(1)  # type: ignore[union-attr]
            records = [{"id": m} for m in re.findall(r"^\s*-\s+id:\s*[\"']?([^\"'\s#]+)", text, re.M)]
        ids.setdefault(kind, set()).update(str(r["id"]) for r in records)
        for r in records:
            for field in ("person", "incumbent"):
                if r.get(field):
                    ids["people"].add(str(r[field]))
    return ids


# --- workforce and training ------------------------------------------------------------------------------


def workforce() -> list[Record]:
    d = Draw("workforce-plan")
    posts: list[Record] = []
    staff, contractors = 1001, 1001
    for team, head, size, professions, critical_team in TEAMS:
        for _ in range(size):
            profession = d.weighted(professions)
            title, band, _w = d.weighted({t: t[2] for t in TITLES[profession]})
            vacancy = 0.18 if profession == "cyber-security" else 0.085
            contract = 0.14 if profession in ("data", "software-development") else 0.06
            status = d.weighted(
                {"vacant": vacancy, "contractor": contract, "interim": 0.035, "filled": 1 - vacancy - contract - 0.035}
            )
            planned = 1.0 if d.chance(0.88) else d.pick([0.8, 0.6, 0.5])
            critical = critical_team and band in SENIOR_BANDS
            succession = d.chance(0.75 if critical else 0.12)
            post: Record = {
                "id": f"POST-{1001 + len(posts)}",
                "role_title": title,
                "profession": profession,
                "team": team,
                "grade": band,
                "critical_role": critical,
                "status": status,
                "vacant_since": None,
                "incumbent": None,
                "reports_to": head,
                "succession_plan": succession,
                "successor_ready": d.chance(0.55) if succession else False,
                "planned_fte": planned,
                "actual_fte": planned,
                "contractor_day_rate": None,
                "recruitment_status": None,
            }
            if status == "vacant":
                post["vacant_since"] = d.days_ago(10, 30 + int(d.lognormal(90, 0.8)))
                post["actual_fte"] = 0
                post["recruitment_status"] = d.weighted(
                    {"advertised": 4, "interviewing": 3, "not-started": 2, "offer-made": 1, "on-hold": 1}
                )
            elif status == "contractor":
                post["incumbent"] = f"NGH-C-{contractors}"
                contractors += 1
                post["actual_fte"] = 1.0
                post["contractor_day_rate"] = 5 * round(d.lognormal(560, 0.25) / 5)
                if d.chance(0.5):
                    post["vacant_since"] = d.days_ago(60, 700)
            else:
                post["incumbent"] = f"NGH-{staff}"
                staff += 1
                if status == "interim":
                    post["vacant_since"] = d.days_ago(30, 400)
                elif d.chance(0.05):
                    post["actual_fte"] = round(planned - 0.2, 1)
            posts.append(clean(post))
    return posts


SECURE_DEVELOPMENT = ("software-development", "architecture", "quality-assurance-testing")


def training(posts: list[Record]) -> list[Record]:
    d = Draw("training-records")
    records: list[Record] = []
    for post in posts:
        person = post.get("incumbent")
        if person is None:
            continue
        courses = ["dsa"]
        if post["profession"] in SECURE_DEVELOPMENT or post["team"] in ("Platform engineering", "Cloud operations"):
            courses.append("secdev")
        if post["team"] == "Security operations":
            courses.append("soc")
        optional = {
            "it-operations": "itil",
            "product-and-delivery": "agile",
            "user-centred-design": "agile",
            "software-development": "cloud",
            "data": "cloud",
        }.get(post["profession"])
        if post["team"] == "Information governance":
            optional = "dpo"
        if optional and d.chance(0.35):
            courses.append(optional)
        for key in courses:
            course, code, mandatory = COURSES[key]
            record: Record = {
                "id": f"TR-{10001 + len(records)}",
                "person": person,
                "team": post["team"],
                "course": course,
                "course_code": code,
                "mandatory": mandatory,
            }
            roll = d.rng.random()
            if not mandatory:
                done = d.days_ago(20, 1500)
                record.update(completed_on=done, status="completed")
            elif roll < RATES["training_never"]:
                record["status"] = d.weighted({"not-started": 3, "in-progress": 2})
            elif roll < RATES["training_never"] + 0.012:
                record.update(status="exempt", completed_on=d.days_ago(400, 900))
            elif roll < RATES["training_never"] + 0.012 + RATES["training_lapsed"]:
                done = d.days_ago(366, 760)
                record.update(completed_on=done, expires_on=add_days(done, 365), status="expired")
            else:
                done = d.days_ago(0, 362)
                record.update(completed_on=done, expires_on=add_days(done, 365), status="completed")
            records.append(record)
    return records


# --- contracts -------------------------------------------------------------------------------------------


def suppliers(d: Draw) -> list[Record]:
    """The supplier pool: made-up names with Companies House-style numbers (``SC`` for Scottish companies)."""
    pool: list[Record] = []
    names: set[str] = set()
    while len(pool) < N_SUPPLIERS:
        suffix = d.weighted({"Ltd": 8, "Limited": 3, "LLP": 1, "plc": 1})
        name = f"{d.pick(SUPPLIER_WORDS)} {d.pick(SUPPLIER_SECTORS)} {suffix}"
        if name in names:
            continue
        names.add(name)
        number = f"SC{d.between(100000, 799999)}" if d.chance(0.07) else f"{d.between(2_000_000, 15_999_999):08d}"
        pool.append({"name": name, "id": number, "sme": d.chance(0.45)})
    return pool


def contracts(products: list[str], saas: list[str], services: list[str]) -> list[Record]:
    d = Draw("supplier-contracts")
    pool = suppliers(d)
    seq: dict[int, int] = {}
    records: list[Record] = []
    for _ in range(N_CONTRACTS):
        category = d.weighted(CATEGORY_MIX)
        median, routes, frameworks, titles, processing = CATEGORIES[category]
        # most of the register is current: starts spread over the last six years, more of them recent
        start = EXPORT - timedelta(days=int(2200 * d.rng.random() ** 1.4) - 120)
        route = d.weighted(routes)
        framework = None
        if route == "framework-call-off":
            live = [f for f in frameworks if day(FRAMEWORKS[f][0]) <= start <= day(FRAMEWORKS[f][1])]
            if not live:
                route = "direct-award" if start.year < 2021 else "open"
            elif not d.chance(RATES["call_off_without_framework"]):
                framework = live[0]
        value = d.lognormal(median, 0.9 if route != "direct-award" else 1.1)
        value = round(value, -2) if value < 100_000 else round(value, -3)
        if route == "below-threshold":
            value = min(value, 138_000)
        years = (
            d.weighted({1: 2, 2: 4, 3: 3, 4: 3, 5: 1})
            if not framework or "G-Cloud" not in framework
            else d.weighted({1: 1, 2: 4, 3: 2, 4: 3})
        )
        end = start + timedelta(days=365 * years - 1)
        if start > EXPORT:
            status = "pipeline"
        elif end < EXPORT:
            status = d.weighted(
                {
                    "expired": 1 - RATES["expired_still_active"] - 0.05,
                    "active": RATES["expired_still_active"],
                    "terminated": 0.05,
                }
            )
        else:
            status = "terminated" if d.chance(0.03) else "active"
        year = start.year
        seq[year] = seq.get(year, 100) + 1
        cid = f"CON-{year}-{seq[year]:03d}"
        supplier = d.pick(pool)
        title = d.pick(titles).format(
            svc=d.pick(services),
            product=d.pick(products),
            saas=d.pick(saas),
            site=d.pick(SITES),
            role=d.pick(SPECIALIST_ROLES),
            topic=d.pick(TOPICS),
            year=year,
        )
        high_value = value >= 1_000_000
        exit_plan = (
            d.chance(1 - RATES["no_exit_plan_high_value"])
            if high_value
            else d.chance(0.45 if value >= 250_000 else 0.2)
        )
        live_contract = status in ("active", "pipeline")
        last_review = None
        if status != "pipeline" and d.chance(0.96):
            last_review = d.days_ago(370, 900) if d.chance(RATES["stale_review"]) else d.days_ago(5, 330)
            if day(last_review) < start:
                last_review = iso(start + timedelta(days=d.between(30, 90)))
                last_review = min(last_review, iso(EXPORT))
            if status in ("expired", "terminated") and last_review > iso(end):  # no reviews after it ended
                last_review = iso(end - timedelta(days=d.between(10, 120)))
        risk = (
            "critical"
            if value >= 5_000_000
            else "high"
            if value >= 1_000_000
            else d.weighted({"medium": 3, "low": 4, "high": 1})
        )
        published = route not in ("below-threshold",) and value >= 12_000 and d.chance(0.92)
        records.append(
            clean(
                {
                    "id": cid,
                    "title": title,
                    "supplier": supplier["name"],
                    "supplier_id": supplier["id"],
                    "category": category,
                    "value": int(value),
                    "currency": "GBP",
                    "start_date": iso(start),
                    "end_date": iso(end),
                    "status": status,
                    "owner": d.owner(
                        OWNERS["commercial"] + OWNERS["infra"][:4] + OWNERS["data"][:1] + OWNERS["delivery"][:1]
                    )
                    if live_contract
                    else d.pick(OWNERS["commercial"]),
                    "procurement_route": route,
                    "framework": framework,
                    "exit_plan": exit_plan,
                    "exit_plan_reviewed": max(d.days_ago(10, 600), iso(min(start, EXPORT))) if exit_plan else None,
                    "last_review": last_review,
                    "risk_rating": risk,
                    "sme": supplier["sme"],
                    "data_processing": d.chance(processing),
                    "notice_period_days": d.weighted({30: 4, 60: 2, 90: 3, 180: 1}),
                    "ocid": f"ocds-b5fd17-{d.uuid()}" if published else None,
                }
            )
        )
    return records


# --- services and assets ---------------------------------------------------------------------------------

SERVICE_OWNERS = {
    **OWNERS,
    "corporate": [
        "chief-financial-officer",
        "director-of-workforce",
        "head-of-governance",
        "head-of-communications",
        "clinical-safety-officer",
    ],
    "commercial": ["director-of-commercial", "head-of-contract-management"],
}

ENV_CODE = {"production": "prd", "staging": "stg", "test": "tst", "development": "dev", "dr": "dr"}


def assets(eol: dict[str, dict[str, Any]], contract_ids: dict[str, list[str]]) -> list[Record]:
    d = Draw("it-assets")
    records: list[Record] = []
    counters: dict[str, int] = {}
    saas_left = list(SAAS)
    for count, asset_type, pattern, mix, hosting, exposure, category, envs in ASSET_FAMILIES:
        for _ in range(count):
            env = d.weighted(envs)
            svc_name, svc, _aud, tier, group = d.pick(SERVICES)
            vendor, end_of_life, version = None, None, None
            if asset_type == "saas":
                name, product, vendor, criticality = saas_left.pop(d.between(0, len(saas_left) - 1))
            else:
                product, version = d.weighted(mix)
                vendor = VENDORS[product]
                if product in eol:
                    end_of_life = eol[product]["cycles"][version]
                team = d.pick(TEAMS)[0]
                parts = {
                    "env": ENV_CODE[env],
                    "svc": svc,
                    "site": d.pick(NETWORK_SITES),
                    "role": d.pick(NETWORK_ROLES),
                    "group": "",
                }
                base = pattern.format(n=0, **parts)
                counters[base] = counters.get(base, 0) + 1
                name = pattern.format(n=counters[base], **parts)
                if asset_type == "end-user":
                    label = d.pick(DEVICE_GROUPS).format(team=team, site=d.pick(SITES))
                    name = f"{label}: {eol[product]['title']} {version}"
                production = env in ("production", "dr")
                criticality = d.weighted(
                    {"critical": 2, "high": 3.5, "medium": 3.5, "low": 1}
                    if production
                    else {"high": 1, "medium": 4, "low": 5}
                )
                if production and tier == "critical" and criticality in ("medium", "low"):
                    criticality = "high"
            internet = env == "production" and d.chance(exposure)
            status = d.weighted({"in-service": 88, "planned": 3, "decommissioning": 6, "retired": 3})
            last_patched = None
            if asset_type != "saas":
                late = RATES["late_patch_internet"] if internet else RATES["late_patch_internal"]
                window = 14 if internet else 35
                last_patched = d.days_ago(window + 1, 240) if d.chance(late) else d.days_ago(0, window)
                if end_of_life and end_of_life < last_patched:  # past end of life: the last vendor fix
                    last_patched = min(add_days(end_of_life, d.between(0, 45)), iso(EXPORT))
                if status == "planned":
                    last_patched = None
            contract = None
            if d.chance(0.96 if asset_type == "saas" else 0.7):
                pool = contract_ids.get(category, [])
                if pool:
                    contract = d.pick(pool)
                if d.chance(RATES["dangling"]):
                    contract = f"CON-{d.between(2017, 2019)}-{d.between(101, 199)}"  # a contract the register lost
            hosting_value: str = d.weighted(hosting)
            if asset_type == "saas":
                deployment = "automated"
            elif asset_type == "end-user":
                deployment = "automated" if product != "macos" or d.chance(0.5) else "manual"
            elif asset_type == "network":
                deployment = d.weighted({"manual": 5, "scripted": 4, "automated": 1})
            else:
                deployment = d.weighted({"automated": 55, "scripted": 27, "manual": 18})
            backup: bool | None
            if asset_type in ("server", "database", "platform"):
                backup = d.chance(0.93 if env in ("production", "dr") else 0.5)
            elif asset_type == "network":
                backup = d.chance(0.85)
            elif asset_type == "saas":
                backup = d.chance(0.7) if criticality in ("critical", "high") else None
            else:
                backup = False if asset_type == "end-user" else d.chance(0.6)
            cid = f"CI-{1001 + len(records)}"
            owner_group = ASSET_OWNERS.get(asset_type, SERVICE_OWNERS[group])
            if group == "security":
                owner_group = OWNERS["security"]
            records.append(
                clean(
                    {
                        "id": cid,
                        "name": name,
                        "product": product,
                        "version": version,
                        "vendor": vendor,
                        "asset_type": asset_type,
                        "environment": env,
                        "criticality": criticality,
                        "owner": d.owner(owner_group),
                        "end_of_life": end_of_life,
                        "end_of_life_announced": (
                            False if end_of_life is None and f"{product} {version}" in NO_EOL_ANNOUNCED else None
                        ),
                        "last_patched": last_patched,
                        "internet_facing": internet,
                        "hosting": hosting_value,
                        "supplier_contract": contract,
                        "deployment": deployment,
                        "backup": backup,
                        "status": status,
                        "_service": svc_name,  # dropped before writing: which service the asset supports
                    }
                )
            )
    return records


def services(asset_records: list[Record], contract_ids: dict[str, list[str]]) -> list[Record]:
    d = Draw("service-catalogue")
    by_service: dict[str, list[Record]] = {}
    for asset in asset_records:
        by_service.setdefault(asset["_service"], []).append(asset)
    ids = [f"SVC-{101 + i}" for i in range(len(SERVICES))]
    records: list[Record] = []
    for sid, (name, _code, audience, tier, group) in zip(ids, SERVICES, strict=True):
        status = d.weighted({"live": 88, "planned": 5, "retiring": 5, "retired": 2})
        linked = [a["id"] for a in by_service.get(name, []) if a["environment"] in ("production", "dr")][:10]
        if linked and d.chance(RATES["dangling"] * 2):
            linked.append(f"CI-{d.between(500, 900)}")  # a CI retired from the CMDB
        deps = sorted(d.rng.sample([i for i in ids if i != sid], d.between(0, 3)))
        if d.chance(RATES["dangling"]):
            deps.append(f"SVC-{d.between(30, 60):03d}")
        support = d.weighted({"in-house": 4, "hybrid": 4, "supplier": 2})
        contract = None
        if support != "in-house":
            category = d.pick(["application support", "SaaS subscription", "cloud hosting"])
            contract = d.pick(contract_ids[category])
        hours = {
            "critical": "24x7",
            "high": d.pick(["24x7", "extended"]),
            "medium": d.pick(["extended", "business-hours"]),
            "low": "business-hours",
        }[tier]
        last, _next = review_pair(d, 365)
        records.append(
            clean(
                {
                    "id": sid,
                    "name": name,
                    "description": f"{name}, run for {'the public' if audience == 'public' else audience + ' users'}.",
                    "owner": d.owner(SERVICE_OWNERS[group]),
                    "service_tier": tier,
                    "status": status,
                    "audience": audience,
                    "support_model": support if d.chance(0.95) else None,
                    "hours": hours if d.chance(0.95) else None,
                    "dependencies": deps,  # [] when it depends on nothing: the catalogue says so
                    "supplier_contract": contract,
                    "it_assets": linked or None,
                    "last_reviewed": last,
                }
            )
        )
    return records


def roles(service_records: list[Record], product_records: list[Record]) -> list[Record]:
    d = Draw("roles")
    records: list[Record] = []

    def add(subject: str, subject_type: str, role: str, holder: str | None, raci: str) -> None:
        rid = f"RA-{1001 + len(records)}"
        status = d.weighted({"active": 90, "interim": 5, "vacant": 3, "ended": 2})
        assigned = d.days_ago(60, 2200)
        confirmed = d.days_ago(400, 1100) if d.chance(RATES["stale_review"]) else d.days_ago(5, 360)
        if confirmed < assigned:
            confirmed = assigned
        records.append(
            clean(
                {
                    "id": rid,
                    "subject": subject,
                    "subject_type": subject_type,
                    "role": role,
                    "holder": None if status == "vacant" else holder,
                    "raci": raci,
                    "status": status,
                    "assigned_on": assigned,
                    "last_confirmed": confirmed,
                    "confirmed_by": d.pick(OWNERS["corporate"][:3]),
                    "deputy": d.pick(ALL_OWNERS) if d.chance(0.3) else None,
                }
            )
        )

    for service in service_records:
        owner = service.get("owner") or d.pick(ALL_OWNERS)
        accountable = d.weighted({1: 93, 0: 4, 2: 3})
        for i in range(accountable):
            add(service["id"], "service", "Service owner", owner if i == 0 else d.pick(ALL_OWNERS), "accountable")
        for _ in range(d.between(1, 2)):
            add(service["id"], "service", "Technical service manager", d.pick(OWNERS["infra"]), "responsible")
        add(
            service["id"],
            "service",
            "Information asset owner",
            d.pick(OWNERS["data"] + ["senior-information-risk-owner"]),
            "consulted",
        )
        if d.chance(0.6):
            add(
                service["id"],
                "service",
                "Service desk",
                d.pick(["head-of-service-management", "service-desk-team-lead"]),
                "informed",
            )
    for product in product_records:
        owner = product.get("owner") or d.pick(OWNERS["data"])
        if d.chance(0.9):
            add(product["id"], "data-product", "Information asset owner", owner, "accountable")
        add(product["id"], "data-product", "Data steward", product.get("steward") or d.pick(STEWARDS), "responsible")
    for process in PROCESSES:
        owner = d.pick(ALL_OWNERS)
        add(process, "process", "Process owner", owner, "accountable")
        for _ in range(d.between(1, 3)):
            add(process, "process", "Process manager", d.pick(ALL_OWNERS), "responsible")
        add(
            process,
            "process",
            "Assurance",
            d.pick(["head-of-governance", "senior-information-risk-owner"]),
            "consulted",
        )
    return records


DOCS_URL = "https://digital.northgate-health.example/data"


def data_products(service_records: list[Record], partners: list[str]) -> list[Record]:
    d = Draw("data-products")
    records: list[Record] = []
    service_ids = [s["id"] for s in service_records]
    for name, delivery, fmt, personal in DATA_PRODUCTS:
        pid = f"DP-{101 + len(records)}"
        status = d.weighted({"live": 82, "planned": 8, "deprecated": 7, "retired": 3})
        owner = d.owner(OWNERS["data"])
        steward = owner if owner and d.chance(0.08) else d.pick(STEWARDS)
        target = d.pick([99.0, 99.5, 99.9, 99.95])
        actual = round(min(100.0, target + d.rng.gauss(0.12, 0.2)), 2)
        quality_check = d.days_ago(120, 400) if d.chance(RATES["stale_review"]) else d.days_ago(3, 85)
        records.append(
            clean(
                {
                    "id": pid,
                    "name": name,
                    "status": status,
                    "owner": owner,
                    "steward": steward,
                    "classification": "official-sensitive" if personal and d.chance(0.93) else "official",
                    "delivery": delivery,
                    "documentation_url": None if d.chance(0.12) else f"{DOCS_URL}/{slug(name)}",
                    "schema_published": d.chance(0.75),
                    "quality_score": round(min(100.0, d.rng.gauss(88, 6)), 1) if d.chance(0.93) else None,
                    "last_quality_check": quality_check,
                    "availability_target": target,
                    "availability_actual": actual,
                    "format": fmt,
                    "open_standard_format": fmt in OPEN_FORMATS,
                    "personal_data": personal,
                    "retention_policy": d.pick(
                        [
                            "8 years after last contact (Records Management Code)",
                            "POL-004",
                            "Retain for 20 years (research)",
                            "Delete after 2 years",
                        ]
                    )
                    if not personal or d.chance(0.88)
                    else None,
                    # shared with nobody is the empty list: an absent shared_with would say "not recorded"
                    "shared_with": sorted(d.rng.sample(partners, d.between(1, 3))) if d.chance(0.5) else [],
                    "source_service": d.pick(service_ids) if d.chance(0.85) else None,
                }
            )
        )
    return records


# --- partners and the DSPT -------------------------------------------------------------------------------

SECTORS = {
    "NHS Trust": ("nhs-trust", "nhs-trust"),
    "CCG / Integrated Care Board (ICB)": ("icb", "icb"),
    "Commissioning Support Unit (CSU)": ("csu", "csu"),
}


def dspt_status(row: dict[str, str]) -> tuple[str, str | None, str | None]:
    """(status, edition, published_on) from a published DSPT row ("22/23 Standards Met", "30/06/2023")."""
    text = row["Status"]
    if text == "Not Published":
        return "not-published", None, None
    edition, words = text.split(" ", 1)
    published = datetime.strptime(row["Date Of Publication"], "%d/%m/%Y").date()
    return words.lower().replace(" ", "-"), edition, iso(published)


def sharing_agreements(partners: list[dict[str, str]], products: list[Record]) -> list[Record]:
    d = Draw("data-sharing-agreements")
    records: list[Record] = []
    seq: dict[int, int] = {}
    covered = sorted(d.rng.sample(range(len(partners)), len(partners) - 5))
    for index in covered:
        row = partners[index]
        for _ in range(d.weighted({1: 85, 2: 15})):
            purpose, categories, direction = d.pick(PURPOSES)
            personal = categories != ["aggregate"]
            signed = EXPORT - timedelta(days=d.between(30, 2000))
            seq[signed.year] = seq.get(signed.year, 100) + 1
            aid = f"DSA-{signed.year}-{seq[signed.year]}"
            status = d.weighted({"active": 85, "expired": 7, "draft": 4, "terminated": 4})
            last, due = review_pair(d, 365)
            if last < iso(signed):
                last, due = iso(signed), iso(signed + timedelta(days=365))
            dspt, edition, published = dspt_status(row)
            shared = [p["id"] for p in products if row["Organisation Name"] in p.get("shared_with", [])]
            dpia = d.chance(0.9) if personal else None
            records.append(
                clean(
                    {
                        "id": aid,
                        "title": f"{purpose}: {row['Organisation Name']}",
                        "partner": row["Organisation Name"],
                        "partner_ods_code": row["Code"],
                        "partner_type": SECTORS[row["Primary Sector"]][0],
                        "purpose": purpose,
                        "direction": direction,
                        "legal_basis": d.weighted({"public-task": 8, "legal-obligation": 2})
                        if personal or d.chance(0.5)
                        else None,
                        "special_category_condition": "9(2)(h) health or social care" if personal else None,
                        "data_categories": categories,
                        "data_products": shared or None,
                        "personal_data": personal,
                        "dpia_completed": dpia,
                        "dpia_ref": f"DPIA-{signed.year}-{d.between(10, 60)}" if dpia else None,
                        "signed_on": None if status == "draft" else iso(signed),
                        "last_reviewed": None if status == "draft" else last,
                        "review_due": None if status == "draft" else due,
                        "status": status,
                        "owner": d.owner(
                            [
                                "caldicott-guardian",
                                "data-protection-officer",
                                "head-of-data-services",
                                "director-of-partnerships",
                                "senior-information-risk-owner",
                            ]
                        ),
                        "partner_dspt_status": dspt,
                        "partner_dspt_edition": edition,
                        "partner_dspt_published": published,
                    }
                )
            )
    return records


def dspt_assessments(partners: list[dict[str, str]], contract_records: list[Record]) -> list[Record]:
    d = Draw("dspt-assessments")
    records: list[Record] = []
    for row in partners:
        status, edition, published = dspt_status(row)
        records.append(
            clean(
                {
                    "id": f"DSPT-{row['Code']}",
                    "organisation": row["Organisation Name"],
                    "org_code": row["Code"],
                    "org_type": SECTORS[row["Primary Sector"]][1],
                    "relationship": "partner",
                    "status": status,
                    "status_text": row["Status"],
                    "edition": edition,
                    "published_on": published,
                    "integrated_care_board": row["Integrated Care Board (where available, from ODS)"] or None,
                    "owner": d.pick(["caldicott-guardian", "senior-information-risk-owner"]),
                    "source": "nhsx/open-cyber DSPT snapshot 2023-11-16 (real)",
                }
            )
        )
    seen: set[str] = set()
    processors = [c for c in contract_records if c.get("data_processing") and c["status"] in ("active", "pipeline")]
    for contract in processors:
        if contract["supplier"] in seen:
            continue
        seen.add(contract["supplier"])
        code = f"8N{'PQRSTUVWXY'[len(seen) // 100]}{len(seen) % 100:02d}"
        edition, published = d.weighted(
            {("25/26", d.days_ago(140, 240)): 80, ("24/25", d.days_ago(500, 600)): 12, (None, None): 8}
        )
        status = (
            "not-published"
            if edition is None
            else d.weighted(
                {"standards-met": 80, "standards-exceeded": 6, "approaching-standards": 11, "standards-not-met": 3}
            )
        )
        text = "Not Published" if edition is None else f"{edition} {status.replace('-', ' ').title()}"
        records.append(
            clean(
                {
                    "id": f"DSPT-{code}",
                    "organisation": contract["supplier"],
                    "org_code": code,
                    "org_type": "company",
                    "relationship": "supplier",
                    "status": status,
                    "status_text": text,
                    "edition": edition,
                    "published_on": published,
                    "supplier_contract": contract["id"],
                    "owner": contract.get("owner") or "head-of-contract-management",
                    "source": "DSPT portal search, recorded by the contract manager",
                }
            )
        )
    return records


# --- governance ------------------------------------------------------------------------------------------

AREA_OWNERS = {
    "CYBER": "security",
    "INFRA": "infra",
    "COMM": "commercial",
    "DATA": "data",
    "COLLAB": "data",
    "DELIV": "delivery",
    "INNOV": "delivery",
    "WORK": "corporate",
    "CULT": "corporate",
    "ROLE": "corporate",
    "GOV": "corporate",
}
PREFIX = {"control": "CTL", "policy": "POL", "risk": "RSK", "issue": "ISS", "action": "ACT"}


def governance() -> list[Record]:
    d = Draw("governance-register")
    records: list[Record] = []
    controls: list[str] = []
    decision_seq: dict[int, int] = {}
    for entry_type, count in COUNTS.items():
        for n in range(count):
            area = d.weighted(AREA_WEIGHTS)
            risks, control_titles, policies = GOVERNANCE[area]
            scope = d.pick(SCOPES)
            # the register's owners are the accountable owners, so no team lead from outside the list here
            pool = OWNERS[AREA_OWNERS[area]] + (OWNERS["corporate"][:3] if area == "GOV" else [])
            owner = None if d.chance(RATES["owner_missing"]) else d.pick(pool)
            raised = d.days_ago(30, 2600)
            record: Record = {
                "id": "",
                "title": "",
                "entry_type": entry_type,
                "owner": owner,
                "status": "open",
                "area": area,
                "raised_on": raised,
            }
            if entry_type == "control":
                record["title"] = d.pick(control_titles)
                last, nxt = review_pair(d, 180)
                tested = None if d.chance(0.05) else (d.days_ago(380, 900) if d.chance(0.15) else d.days_ago(5, 360))
                record.update(
                    status=d.weighted({"open": 8, "in-progress": 2}),
                    last_review=last,
                    next_review=nxt,
                    last_tested=tested,
                    test_result=d.weighted({"effective": 70, "partially-effective": 20, "ineffective": 10})
                    if tested
                    else None,
                )
            elif entry_type == "policy":
                record["title"] = d.pick(policies).format(scope=scope)
                last, nxt = review_pair(d, d.pick([365, 365, 730]))
                record.update(last_review=last, next_review=nxt)
            elif entry_type == "risk":
                record["title"] = d.pick(risks).format(scope=scope)
                likelihood, impact = (
                    d.weighted({i: w for i, w in zip(range(1, 6), (1, 3, 4, 3, 1), strict=True)}),
                    d.weighted({i: w for i, w in zip(range(1, 6), (1, 2, 4, 4, 2), strict=True)}),
                )
                score = likelihood * impact
                status = d.weighted({"open": 55, "in-progress": 25, "accepted": 8, "mitigated": 8, "closed": 4})
                last, nxt = review_pair(d, 90)  # risks are reviewed each quarter
                links = d.rng.sample(controls, d.between(1, 3)) if controls and d.chance(0.85) else []
                if links and d.chance(RATES["dangling"]):
                    links.append(f"CTL-{d.between(300, 399)}")  # a control retired from the register
                board = (
                    d.pick(["Board", "Audit and Risk Assurance Committee"])
                    if score >= 15 and d.chance(0.75)
                    else BOARDS[area]
                )
                record.update(
                    status=status,
                    likelihood=likelihood,
                    impact=impact,
                    risk_score=score,
                    last_review=last,
                    next_review=None if status == "closed" else nxt,
                    linked_controls=links or None,
                    board=board,
                )
            elif entry_type == "issue":
                record["title"] = "Issue: " + d.pick(risks).format(scope=scope).lower()
                last, nxt = review_pair(d, 90)
                record.update(
                    status=d.weighted({"open": 6, "in-progress": 3, "closed": 1}),
                    impact=d.between(2, 5),
                    last_review=last,
                    next_review=nxt,
                    linked_controls=d.rng.sample(controls, 1) if d.chance(0.5) else None,
                )
            elif entry_type == "action":
                record["title"] = "Action: strengthen " + d.pick(control_titles)[0].lower() + d.pick(control_titles)[1:]
                last, nxt = review_pair(d, 90)
                status = d.weighted({"open": 4, "in-progress": 4, "closed": 2})
                record.update(
                    status=status,
                    last_review=last,
                    next_review=None if status == "closed" else nxt,
                    linked_controls=d.rng.sample(controls, 1) if d.chance(0.6) else None,
                )
            if entry_type == "decision":
                decided = day(raised) + timedelta(days=d.between(0, 30))
                decided = min(decided, EXPORT)
                decision_seq[decided.year] = decision_seq.get(decided.year, 100) + 1
                record["id"] = f"DEC-{decided.year}-{decision_seq[decided.year]}"
                record["title"] = (
                    d.pick(["Approve", "Defer", "Fund", "Accept the risk of", "Close"])
                    + " "
                    + d.pick(risks).format(scope=scope).lower()
                )
                record.update(
                    status=d.weighted({"closed": 6, "accepted": 3, "in-progress": 1}),
                    decided_on=None if d.chance(0.05) else iso(decided),
                    last_review=iso(decided),
                    board=None if d.chance(0.05) else BOARDS[area],
                )
            else:
                record["id"] = f"{PREFIX[entry_type]}-{101 + n}"
            if entry_type == "control":
                controls.append(record["id"])
            records.append(clean(record))
    return records


# --- incidents -------------------------------------------------------------------------------------------


def incidents(asset_records: list[Record], contract_records: list[Record]) -> list[Record]:
    d = Draw("security-incidents")
    records: list[Record] = []
    seq: dict[int, int] = {}
    start = EXPORT - timedelta(days=730)
    days = sorted(d.between(0, 729) for _ in range(140))
    assets_ids = [a["id"] for a in asset_records if a["environment"] == "production"]
    suppliers = [c["id"] for c in contract_records if c["status"] == "active"]
    for offset in days:
        detected = start + timedelta(days=offset)
        category = d.weighted({k: v[0] for k, v in INCIDENT_TYPES.items()})
        _w, titles, breach_rate = INCIDENT_TYPES[category]
        severity = d.weighted({"low": 50, "medium": 35, "high": 12, "critical": 3})
        breach = d.chance(breach_rate)
        age = (EXPORT - detected).days
        contain_days = d.weighted({0: 30, 1: 25, 2: 18, 3: 10, 5: 8, 10: 6, 21: 3})
        contained = detected + timedelta(days=contain_days)
        resolved = contained + timedelta(days=d.weighted({0: 2, 2: 3, 7: 3, 14: 2, 45: 1}))
        if contained > EXPORT:
            status, contained_on, resolved_on = "open", None, None
        elif resolved > EXPORT:
            status, contained_on, resolved_on = "contained", iso(contained), None
        else:
            status = "closed" if age > 45 or d.chance(0.5) else "resolved"
            contained_on, resolved_on = iso(contained), iso(resolved)
        reportable = breach and d.chance(0.3)
        reported_on = None
        if reportable:
            delay = d.weighted({1: 35, 2: 30, 3: 20, 4: 8, 6: 5, 12: 2})
            if detected + timedelta(days=delay) <= EXPORT:
                reported_on = iso(detected + timedelta(days=delay))
        told = set()
        if severity in ("high", "critical"):
            told |= {"ncsc", "nhs-england"}
        if breach:
            told.add("dspt")
        if reported_on:
            told.add("ico")
        if reportable and d.chance(0.6):
            told.add("data-subjects")
        reported_to = sorted(told) or None
        seq[detected.year] = seq.get(detected.year, 100) + 1
        iid = f"INC-{detected.year}-{seq[detected.year]}"
        affected = (
            sorted(d.rng.sample(assets_ids, d.between(1, 2)))
            if category not in ("phishing", "other", "data-loss")
            else None
        )
        if affected and d.chance(RATES["dangling"]):
            affected.append(f"CI-{d.between(600, 900)}")
        records.append(
            clean(
                {
                    "id": iid,
                    "title": d.pick(titles),
                    "severity": severity,
                    "category": category,
                    "detected_on": iso(detected),
                    "detected_by": d.weighted(
                        {"monitoring": 55, "user-report": 28, "supplier": 9, "third-party": 5, "audit": 3}
                    ),
                    "contained_on": contained_on,
                    "resolved_on": resolved_on,
                    "status": status,
                    "owner": d.owner(OWNERS["security"] + (["data-protection-officer"] if breach else [])),
                    "personal_data_breach": breach,
                    "ico_reportable": reportable if breach else None,
                    "reported_to": reported_to,
                    "ico_reported_on": reported_on,
                    "lessons_learned": d.chance(0.85) if status == "closed" else None,
                    "affected_assets": affected,
                    "supplier_contract": d.pick(suppliers) if category in ("supplier", "ransomware") else None,
                }
            )
        )
    return records


# --- innovation, delivery, procurement, skills -----------------------------------------------------------

DELIVERY_TEAMS = ("Referrals platform", "Booking and appointments", "Integration services", "Public website and APIs")
STAGE_WEIGHTS = {"idea": 22, "discovery": 20, "alpha": 14, "beta": 10, "live": 6, "adopted": 8, "stopped": 20}


def innovation(service_records: list[Record]) -> list[Record]:
    d = Draw("innovation-pipeline")
    records: list[Record] = []
    live_services = [s["id"] for s in service_records if s["status"] == "live"]
    for n in range(50):
        stage = d.weighted(STAGE_WEIGHTS)
        raised = EXPORT - timedelta(days=d.between(20, 1100))
        entered = raised + timedelta(days=int((EXPORT - raised).days * d.rng.random() ** 0.7))
        assessed = None
        if stage != "idea":
            assessed = iso(max(raised, entered - timedelta(days=d.between(0, 30))))
        late_stage = stage in ("beta", "live", "adopted")
        records.append(
            clean(
                {
                    "id": f"INN-{101 + n}",
                    "title": d.pick(IDEAS) + ("" if n < len(IDEAS) else f" (phase {n // len(IDEAS) + 1})"),
                    "stage": stage,
                    "source": d.weighted(
                        {"staff": 45, "partner": 15, "supplier": 15, "research": 10, "challenge-fund": 10, "other": 5}
                    ),
                    "sponsor": None
                    if d.chance(0.15)
                    else d.pick(OWNERS["delivery"] + OWNERS["data"] + ["head-of-innovation"]),
                    "raised_on": iso(raised),
                    "entered_stage_on": iso(entered),
                    "last_assessed": assessed,
                    "assessment_outcome": None
                    if stage == "idea"
                    else d.weighted({"met": 6, "not-met": 1, "deferred": 1, "not-assessed": 1})
                    if stage != "stopped"
                    else "not-met",
                    "benefits_case": d.chance(0.85 if late_stage else 0.7 if stage == "alpha" else 0.3),
                    "funding_secured": d.chance(0.8 if stage in ("live", "adopted") else 0.5 if late_stage else 0.25),
                    "adoption_owner": d.pick(OWNERS["delivery"])
                    if stage in ("live", "adopted") and d.chance(0.85)
                    else None,
                    "target_service": d.pick(live_services) if late_stage and d.chance(0.9) else None,
                    "decision_ref": f"EMT {entered.isoformat()} item {d.between(2, 9)}"
                    if stage in ("adopted", "stopped")
                    else None,
                    "stop_reason": d.pick(
                        [
                            "No benefits case",
                            "Superseded by a national product",
                            "Funding withdrawn",
                            "Did not meet the alpha assessment",
                        ]
                    )
                    if stage == "stopped"
                    else None,
                }
            )
        )
    return records


def delivery(asset_records: list[Record]) -> list[Record]:
    d = Draw("delivery-portfolio")
    records: list[Record] = []
    #: the teams that build each kind of product
    teams = {
        "delivery": [t for t in TEAMS if t[0] in DELIVERY_TEAMS],
        "data": [t for t in TEAMS if t[0].startswith("Data")],
        "infra": [t for t in TEAMS if t[0] in ("Platform engineering", "Cloud operations", "Service management")],
    }
    products = [s for s in SERVICES if s[4] in ("delivery", "data", "infra")][:40]
    for name, _code, _aud, _tier, group in products:
        team, head = d.pick(teams[group])[:2]
        phase = d.weighted({"discovery": 3, "alpha": 4, "private-beta": 4, "public-beta": 6, "live": 20, "retiring": 3})
        model = d.weighted({"agile": 80, "hybrid": 13, "waterfall": 7})
        slow = model != "agile"
        running = phase not in ("discovery", "alpha")
        deploys = round(d.lognormal(3 if slow else 14, 0.7), 1) if running else None
        assets_here = [a["id"] for a in asset_records if a["_service"] == name and a["environment"] == "production"][:6]
        last_release = d.days_ago(1, 60 if not slow else 200) if running else None
        assessment = (
            ("not-required" if group == "infra" else d.weighted({"passed": 8, "failed": 1, "not-assessed": 1}))
            if phase in ("public-beta", "live")
            else d.weighted({"not-assessed": 3, "passed": 1})
        )
        records.append(
            clean(
                {
                    "id": f"PRD-{101 + len(records)}",
                    "name": name,
                    "team": team,
                    "owner": d.owner(SERVICE_OWNERS[group] + [head]),
                    "phase": phase,
                    "delivery_model": model,
                    "deploys_per_month": deploys,
                    "lead_time_days": round(d.lognormal(14 if slow else 2.5, 0.6), 1) if running else None,
                    "change_failure_rate": round(min(0.6, d.lognormal(0.16 if slow else 0.07, 0.5)), 2)
                    if running
                    else None,
                    "time_to_restore_hours": round(d.lognormal(20 if slow else 2.5, 0.8), 1) if running else None,
                    "multidisciplinary_team": d.chance(0.55 if slow else 0.9),
                    "team_roles": sorted(
                        d.rng.sample(
                            [
                                "product-manager",
                                "delivery-manager",
                                "user-researcher",
                                "designer",
                                "developer",
                                "tester",
                                "data-engineer",
                                "site-reliability-engineer",
                                "business-analyst",
                            ],
                            d.between(2, 7),
                        )
                    ),
                    "service_assessment": assessment,
                    "assessment_date": d.days_ago(30, 700) if assessment in ("passed", "failed") else None,
                    "last_release": last_release,
                    "release_cadence": (
                        d.weighted({"monthly": 2, "quarterly": 3})
                        if slow
                        else d.weighted({"on-demand": 5, "weekly": 3, "fortnightly": 2})
                    )
                    if running
                    else None,
                    "assets": assets_here or None,
                }
            )
        )
    return records


def procurement(contract_records: list[Record]) -> list[Record]:
    d = Draw("procurement-pipeline")
    horizon = iso(EXPORT + timedelta(days=540))
    ending = [c for c in contract_records if c["status"] == "active" and c["end_date"] <= horizon]
    records: list[Record] = []
    seq: dict[int, int] = {}
    for contract in ending:
        if d.chance(0.3):  # no pipeline entry yet: the gap a review finds
            continue
        decision = d.weighted({"re-procure": 60, "extend": 20, "lapse": 10, "insource": 5, "direct-award": 5})
        decided = d.days_ago(10, 400)
        year = day(decided).year
        seq[year] = seq.get(year, 100) + 1
        pid = f"PIPE-{year}-{seq[year]}"
        end = day(contract["end_date"])
        procure = decision in ("re-procure", "direct-award")
        stage = (
            d.weighted({"planning": 3, "market-engagement": 2, "tender": 2, "evaluation": 1, "award": 1})
            if procure
            else "decided"
        )
        _median, routes, frameworks, _titles, _p = CATEGORIES[contract["category"]]
        route = "direct-award" if decision == "direct-award" else d.weighted(routes) if procure else None
        if route == "direct-award" and decision != "direct-award":
            route = "framework-call-off" if frameworks else "open"
        records.append(
            clean(
                {
                    "id": pid,
                    "title": f"{contract['title']} ({decision.replace('-', ' ')})",
                    "replaces_contract": contract["id"],
                    "category": contract["category"],
                    "estimated_value": int(round(contract["value"] * d.rng.uniform(0.8, 1.4), -3)) if procure else None,
                    "procurement_route": route,
                    "framework": frameworks[0] if route == "framework-call-off" and frameworks else None,
                    "stage": stage,
                    "decision": decision,
                    "decision_date": decided,
                    "approved_by": d.pick(["Commercial Assurance Board", "Executive Management Team"])
                    if d.chance(0.9)
                    else None,
                    "planned_tender_date": iso(end - timedelta(days=d.between(150, 300))) if procure else None,
                    "planned_award_date": iso(end - timedelta(days=d.between(30, 120))) if procure else None,
                    "planned_start_date": iso(end + timedelta(days=1)) if procure else None,
                    "owner": contract.get("owner") or d.pick(OWNERS["commercial"]),
                }
            )
        )
    return records


def skills() -> list[Record]:
    d = Draw("skills-matrix")
    # Progress since the previous assessment is drawn from a stream of its own, so that adding it left every
    # other generated value as it was.
    progress = Draw("skills-matrix-progress")
    records: list[Record] = []
    pairs = [(team, head, profession) for team, head, _n, professions, _c in TEAMS for profession in professions]
    while len(records) < 80:
        team, head, profession = d.pick(pairs)
        skill = d.pick(SKILLS[profession])
        target = d.weighted({2: 2, 3: 5, 4: 2})
        current = max(0, target - d.weighted({0: 50, 1: 35, 2: 12, 3: 3}))
        needed = d.between(2, 12)
        have = max(0, needed - d.weighted({0: 60, 1: 20, 2: 12, 4: 6, 6: 2}))
        historic = skill in HISTORIC and d.chance(0.5)
        single = have == 1 or (historic and d.chance(0.4))
        if single:
            have = 1
        gap = target > current or have < needed
        previous = None
        if target > current:  # a gap to the target state: closing (one level up) or stalled since last time
            previous = current if current == 0 or progress.chance(RATES["skill_gap_stalled"]) else current - 1
        records.append(
            clean(
                {
                    "id": f"SK-{101 + len(records)}",
                    "skill": skill + (" (legacy estate)" if historic else ""),
                    "profession": profession,
                    "team": team,
                    "current_level": current,
                    "previous_level": previous,
                    "target_level": target,
                    "people_with_skill": have,
                    "people_needed": needed,
                    "historic": historic,
                    "single_point_of_failure": single,
                    "plan": d.pick(
                        [
                            "Training pathway and certification",
                            "Recruit to the vacancies in the workforce plan",
                            "Knowledge transfer and pairing",
                            "Decommission the legacy system",
                            "Apprenticeship intake",
                        ]
                    )
                    if gap and d.chance(0.8)
                    else None,
                    "plan_owner": head if gap and d.chance(0.9) else None,
                    "last_assessed": d.days_ago(400, 700) if d.chance(RATES["stale_review"]) else d.days_ago(10, 300),
                }
            )
        )
    return records


# --- writing ---------------------------------------------------------------------------------------------

#: kind -> what the source line calls the register.
REGISTERS = {
    "workforce-plan": "establishment and workforce plan (HR, ESR position export)",
    "training-records": "learning management system, compliance report",
    "supplier-contracts": "contract register (commercial team)",
    "it-assets": "configuration management database (IT operations)",
    "service-catalogue": "service catalogue (service management)",
    "roles": "responsibility (RACI) register (governance team)",
    "data-products": "data catalogue (data office)",
    "data-sharing-agreements": "data sharing agreement register (information governance)",
    "dspt-assessments": "DSPT status register (information governance)",
    "governance-register": "governance register (risks, controls, policies, issues, actions, decisions)",
    "security-incidents": "security incident register (security operations and information governance)",
    "innovation-pipeline": "innovation tracker",
    "delivery-portfolio": "product portfolio register with DORA metrics (portfolio office)",
    "procurement-pipeline": "commercial pipeline (commercial team)",
    "skills-matrix": "skills matrix (profession leads)",
}


def build() -> dict[str, list[Record]]:
    """Every generated register, by kind, checked against the hand-written ids."""
    hand = hand_written_ids()
    eol = load_eol()
    partners = load_dspt()

    def taken(kind: str) -> set[str]:
        return hand.get(kind, set())

    posts = workforce()
    people = {p["incumbent"] for p in posts if "incumbent" in p}
    clash = sorted(people & hand["people"])
    if clash:
        raise SystemExit(f"generated staff ids collide with hand-written ones: {clash[:5]}")
    product_titles = [
        eol[p]["title"] for p in ("windows-server", "mssqlserver", "oracle-database", "vmware-esxi", "rhel")
    ]
    contract_records = contracts(product_titles, [s[0] for s in SAAS], [s[0] for s in SERVICES])
    by_category: dict[str, list[str]] = {}
    for c in contract_records:
        if c["status"] != "pipeline":
            by_category.setdefault(c["category"], []).append(c["id"])
    asset_records = assets(eol, by_category)
    service_records = services(asset_records, by_category)
    products = data_products(service_records, [p["Organisation Name"] for p in partners])
    registers = {
        "workforce-plan": posts,
        "training-records": training(posts),
        "supplier-contracts": contract_records,
        "it-assets": asset_records,
        "service-catalogue": service_records,
        "roles": roles(service_records, products),
        "data-products": products,
        "data-sharing-agreements": sharing_agreements(partners, products),
        "dspt-assessments": dspt_assessments(partners, contract_records),
        "governance-register": governance(),
        "security-incidents": incidents(asset_records, contract_records),
        "innovation-pipeline": innovation(service_records),
        "delivery-portfolio": delivery(asset_records),
        "procurement-pipeline": procurement(contract_records),
        "skills-matrix": skills(),
    }
    for kind, records in registers.items():
        ids = [r["id"] for r in records]
        if len(set(ids)) != len(ids):
            raise SystemExit(f"{kind}: generated ids are not unique")
        clash = sorted(set(ids) & taken(kind))
        if clash:
            raise SystemExit(f"{kind}: generated ids collide with hand-written ones: {clash[:5]}")
        for r in records:
            r.pop("_service", None)
    return registers


def render(kind: str, records: list[Record]) -> str:
    """The evidence envelope, one record per line (so a finding's line number points at its record)."""
    head = {
        "kind": kind,
        "schema_version": "1.0",
        "source": SOURCE.format(what=REGISTERS[kind], seed=SEED),
        "collected_on": iso(EXPORT),
    }
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "records": [\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory to write (default: evidence/estate)")
    args = parser.parse_args(argv)
    registers = build()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for stale in sorted(out.glob("*.json")):
        if stale.stem not in registers:
            stale.unlink()
    hand = hand_written_ids()
    total = 0
    print(f"{'kind':26} {'generated':>9} {'with the hand-written':>22}")
    for kind, records in registers.items():
        (out / f"{kind}.json").write_text(render(kind, records), encoding="utf-8", newline="\n")
        total += len(records)
        print(f"{kind:26} {len(records):9} {len(records) + len(hand.get(kind, ())):22}")
    print(f"{'total':26} {total:9}  -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
