"""Read OCDS release and record packages as ``supplier-contracts`` records (a built-in adapter).

An organisation that publishes its contract notices in the Open Contracting Data Standard (OCDS 1.1,
as Contracts Finder and Sell2Wales do) already has a contracts register: each award is one contract.
This loader maps every award, overlaid with its contract when the package carries one, to one record
of capcheck's ``supplier-contracts`` kind. capcheck then validates the records against the kind's
schema and indexes them like any other evidence. It reads files named ``*.ocds.json``, and any
``.json`` file whose content is an OCDS package (``"releases": [`` with an ``"ocid"``: see
:func:`claims_ocds`).

What counts as what:

* **Structural errors** stop the run (exit 2) with the file, line and JSON pointer: the file is not
  JSON, is not a release or record package, or a release/award/contract has the wrong JSON type
  (a release that is not an object, an award id that is a list, a date that is not a date).
* **Gaps** are valid OCDS that lacks what a contract record needs (no value, no contract start
  date, no supplier, no title). The award is not mapped, and a note of the document
  (``Document.notes``, shown in every report's evidence list) says how many were left out, why,
  and where (the first few pointers). If *no* award of a file can be mapped, the gaps become
  errors: a file that yields no contracts must not pass as evidence.
* Releases without awards (planning, tender) are counted, not mapped. An award released again
  (``awardUpdate``) supersedes the earlier release of the same award: the latest release wins.
  ``unsuccessful`` awards are not contracts and are counted, not mapped. Both counts are notes too.
* **Fields OCDS cannot carry** (a contract owner, a review date, an exit plan: :data:`NOT_PROVIDED`)
  are declared on the document (``Document.not_provided``): rules that need them report
  insufficient evidence for these records, not failures (docs/findings.md).

Each record keeps where it came from: the award's JSON pointer (``/releases/17/awards/0``) is the
record's pointer (``Document.pointers``), so findings and schema errors point at the award, and the
line of the award's ``{`` is the record's line. The pointer is also kept in the record's
``ocds_pointer`` field, for rules and anyone reading the records.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Any

import orjson

from capcheck.core.errors import EvidenceError, Problem
from capcheck.core.hookspecs import hookimpl
from capcheck.core.loading import Document, LoadContext, Loader, SourceFile, decode_text
from capcheck.core.side_inputs import parse_json

__all__ = [
    "KIND",
    "NOT_PROVIDED",
    "JsonPath",
    "claims_ocds",
    "load_ocds",
    "load_ocds_lines",
    "procurement_route",
    "value_lines",
]

#: A location in the JSON document as keys and indexes: ``("releases", 17, "awards", 0)``.
JsonPath = tuple[str | int, ...]
#: The core evidence kind the records belong to.
KIND = "supplier-contracts"
#: The kind's fields an OCDS 1.1 package has no place for: who manages the contract, its reviews, exit plan,
#: risk rating, notice period, whether the supplier processes personal data, and the framework a call-off
#: uses (OCDS 1.1 has no structured field for it; publishers write it in free text).
NOT_PROVIDED = frozenset(
    {
        "owner",
        "last_review",
        "exit_plan",
        "exit_plan_reviewed",
        "risk_rating",
        "notice_period_days",
        "data_processing",
        "framework",
    }
)
#: ``tender.mainProcurementCategory`` -> the kind's ``contract_type``.
CATEGORIES: Mapping[str, str] = {"goods": "goods", "services": "services", "works": "works"}
#: The gap of a contract published without its award (APIs serve a process's award and contract releases apart).
ORPHAN = "a contract whose award is not in this file"
_ORPHAN_HINT = (
    " (publishers serve a contract's release apart from its award's: give the releases of a process together,"
    " in one package or as JSON Lines, one release per line)"
)
#: How many gap pointers the document's note on gaps lists before it only counts.
MAX_LISTED_GAPS = 5

#: OCDS award status -> the kind's status. ``unsuccessful`` is absent: no contract came of it.
AWARD_STATUS: Mapping[str, str] = {"pending": "pipeline", "active": "active", "cancelled": "terminated"}
#: OCDS contract status -> the kind's status. OCDS "terminated" means the contract has come to a close,
#: usually by running its course, so it maps to expired (capcheck's "terminated" is ended early).
CONTRACT_STATUS: Mapping[str, str] = {
    "pending": "pipeline",
    "active": "active",
    "cancelled": "terminated",
    "terminated": "expired",
}
#: ``tender.procurementMethod`` -> route, used when ``procurementMethodDetails`` says nothing more.
METHOD_ROUTES: Mapping[str, str] = {
    "open": "open",
    "selective": "restricted",
    "limited": "direct-award",
    "direct": "direct-award",
}
#: ``tender.procurementMethodDetails`` (free text on UK portals) -> route, first match wins.
DETAIL_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), route)
    for pattern, route in (
        (r"\bframework\b", "framework-call-off"),  # call-off, further competition or direct award from one
        (r"dynamic purchasing", "dynamic-purchasing-system"),
        (r"competitive dialogue", "competitive-dialogue"),
        (r"competitive (?:procedure with negotiation|flexible)", "competitive-flexible"),
        (r"(?:single tender|direct award|without prior publication).*below threshold", "below-threshold"),
        (r"single tender|direct award|without prior publication", "direct-award"),
        (r"quotation", "below-threshold"),
        (r"\brestricted\b", "restricted"),
        (r"\bopen\b", "open"),
    )
)
_NO_DETAILS = ("not specified", "not applicable", "n/a", "none")
_DATE = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])")
_TOKEN = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"|[\[\]{}:,]')


class _Gap(Exception):
    """An award that is valid OCDS but cannot become a contract record (says why)."""


@dataclass
class _Award:
    """One award as found: where it is and the release it came in."""

    #: (ocid, award id); for a contract, (ocid, the award id it implements).
    key: tuple[str, str]
    award: dict[str, Any]
    release: dict[str, Any]
    path: JsonPath
    order: int
    released: datetime | None


@dataclass
class _Scan:
    """What walking the package found, before mapping."""

    awards: dict[tuple[str, str], _Award] = field(default_factory=dict)
    #: Contracts by (ocid, award id, contract id): an award may be implemented by several contracts.
    contracts: dict[tuple[str, str, str | None], _Award] = field(default_factory=dict)
    releases: int = 0
    without_awards: int = 0
    superseded: int = 0
    problems: list[Problem] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Line numbers: a token scan that finds the line of selected containers by their JSON path
# ---------------------------------------------------------------------------------------------


def value_lines(data: bytes, wanted: Callable[[JsonPath], bool]) -> dict[JsonPath, int]:
    """The 1-based line of each object or array whose path (``("releases", 17, "awards", 0)``) is wanted.

    One pass over the tokens (strings whole, so brackets inside strings never count). The loader
    runs it lazily: only when a finding or a problem needs a line.
    """
    found: dict[JsonPath, int] = {}
    # Each frame: [is_object, current key or index, expecting a key].
    stack: list[list[Any]] = []
    line, last = 1, 0
    for match in _TOKEN.finditer(data):
        token = match.group()
        first = token[0]
        if first == 0x22:  # a string: an object key if one is expected
            if stack and stack[-1][0] and stack[-1][2]:
                stack[-1][1] = orjson.loads(token)
            continue
        if first in b"{[":
            path = tuple(frame[1] for frame in stack)
            if wanted(path):
                pos = match.start()
                line += data.count(b"\n", last, pos)
                last = pos
                found[path] = line
            stack.append([first == 0x7B, None if first == 0x7B else 0, first == 0x7B])
        elif first in b"}]":
            if stack:
                stack.pop()
        elif first == 0x2C:  # ","
            if stack:
                if stack[-1][0]:
                    stack[-1][2] = True
                else:
                    stack[-1][1] += 1
        elif stack:  # ":"
            stack[-1][2] = False
    return found


def _pointer(path: Sequence[str | int]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


# ---------------------------------------------------------------------------------------------
# Mapping helpers
# ---------------------------------------------------------------------------------------------


def procurement_route(method: Any, details: Any) -> str | None:
    """The kind's ``procurement_route`` from ``tender.procurementMethod`` and ``procurementMethodDetails``.

    The details (UK portals write e.g. "Call-off from a framework agreement" or "Single tender action
    (below threshold)") are more specific than the method, so they are read first; then the method
    (open, selective, limited, direct); then any other stated details give ``other``; nothing stated
    gives None (the field is left out: the route is unknown, not "other").
    """
    text = " ".join(details.lower().split()) if isinstance(details, str) else ""
    for pattern, route in DETAIL_ROUTES:
        if pattern.search(text):
            return route
    if isinstance(method, str) and method in METHOD_ROUTES:
        return METHOD_ROUTES[method]
    if text.strip(" -") and not text.startswith(_NO_DETAILS):
        return "other"
    return None


def _released(release: Mapping[str, Any]) -> datetime | None:
    value = release.get("date")
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None  # naive and aware times do not compare


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _id(value: Any) -> str | None:
    """An OCDS id: a string or an integer (both are allowed), as a string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return _text(value)


class _Mapper:
    """Maps one award (with its release, and its contract if any) to a supplier-contracts record."""

    def __init__(
        self,
        source: SourceFile,
        lines: Callable[[JsonPath], int | None],
        pointer: Callable[[Sequence[str | int]], str] = _pointer,
    ) -> None:
        self.source = source
        self.lines = lines
        #: A path's JSON pointer as shown (in JSON Lines, within its line: the path's first item is the line).
        self.pointer = pointer

    def error(self, message: str, path: Sequence[str | int]) -> EvidenceError:
        return EvidenceError([self.problem(message, path)])

    def problem(self, message: str, path: Sequence[str | int]) -> Problem:
        return self.source.problem(message, line=self.lines(tuple(path)), pointer=self.pointer(path))

    def date(self, value: Any, path: Sequence[str | int]) -> str | None:
        """The date part of an OCDS date-time (as published: no time-zone shift), or None if absent."""
        if value is None:
            return None
        if not isinstance(value, str) or not _DATE.match(value):
            raise self.error(f"{_show(value)} is not an OCDS date-time (YYYY-MM-DDThh:mm:ssZ)", path)
        return value[:10]

    def value(self, holder: Mapping[str, Any], path: Sequence[str | int]) -> tuple[float | int, str | None]:
        value = holder.get("value")
        if value is None:
            raise _Gap("no value")
        if not isinstance(value, dict):
            raise self.error("'value' must be an object with 'amount' and 'currency'", [*path, "value"])
        amount = value.get("amount")
        if amount is None:
            raise _Gap("no value amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise self.error(f"value amount {_show(amount)} is not a number", [*path, "value", "amount"])
        if amount < 0:
            raise _Gap(f"negative value {amount}")
        currency = value.get("currency")
        if currency is not None and not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
            raise self.error(f"currency {_show(currency)} is not an ISO 4217 code", [*path, "value", "currency"])
        return amount, currency

    def record(self, found: _Award, contract: _Award | None, *, one_of_several: bool = False) -> dict[str, Any]:
        """The record of one award (or, ``one_of_several``, of one of the contracts implementing it); raises
        _Gap for a gap and EvidenceError for malformed OCDS."""
        award, release, path = found.award, found.release, found.path
        tender: Mapping[str, Any] = release["tender"] if isinstance(release.get("tender"), dict) else {}
        parties = _parties(release)
        suppliers = award.get("suppliers") or []
        if not isinstance(suppliers, list) or not all(isinstance(s, dict) for s in suppliers):
            raise self.error("'suppliers' must be a list of organisation references", [*path, "suppliers"])
        names = [n for n in (_text(s.get("name")) or _party_name(parties, s.get("id")) for s in suppliers) if n]
        # A contract that names its suppliers (the Contract suppliers extension; Paraguay's DNCP gives one object)
        # says who signed it: for an award of several suppliers and contracts, each contract's own supplier.
        if contract is not None:
            signed = contract.award.get("suppliers")
            signed = [signed] if isinstance(signed, dict) else signed
            if isinstance(signed, list) and signed and all(isinstance(s, dict) for s in signed):
                contract_parties = _parties(contract.release) or parties
                signed_names = [
                    n for n in (_text(s.get("name")) or _party_name(contract_parties, s.get("id")) for s in signed) if n
                ]
                if signed_names:
                    names, suppliers, parties = signed_names, signed, contract_parties
        if not names:
            raise _Gap("no supplier")

        # The contract, when there is one, is the signed state: its status, value and period win.
        held: Mapping[str, Any] = award
        held_path: Sequence[str | int] = path
        status_map, status_from = AWARD_STATUS, "award"
        period_key = "contractPeriod"
        if contract is not None:
            held, held_path, status_map, status_from, period_key = (
                contract.award,
                contract.path,
                CONTRACT_STATUS,
                "contract",
                "period",
            )
        status = held.get("status")
        if status is None:
            raise _Gap(f"no {status_from} status")
        if status not in status_map:
            raise _Gap(f"{status_from} status {_show(status)}")
        # A contract that does not repeat the value or period keeps the award's.
        if held.get("value") is not None:
            amount, currency = self.value(held, held_path)
        else:
            amount, currency = self.value(award, path)
        period_path: list[str | int] = [*held_path, period_key]
        period = held.get(period_key)
        if period is None and contract is not None:
            period, period_path = award.get("contractPeriod"), [*path, "contractPeriod"]
        if period is None:
            raise _Gap("no contract period")
        if not isinstance(period, dict):
            raise self.error(f"'{period_path[-1]}' must be an object", period_path)
        start = self.date(period.get("startDate"), [*period_path, "startDate"])
        end = self.date(period.get("endDate"), [*period_path, "endDate"])
        if start is None:
            raise _Gap("no contract start date")
        title = _text(award.get("title")) or _text(held.get("title")) or _text(tender.get("title"))
        if title is None:
            raise _Gap("no title")

        ocid, award_id = found.key
        # One of several contracts of an award is a record of its own, named by the contract's id.
        contract_id = _id(contract.award.get("id")) if contract is not None and one_of_several else None
        own_id = contract_id or award_id
        record: dict[str, Any] = {
            # Contracts Finder award ids already start with the ocid (globally unique); others are
            # unique only within their ocid, so the ocid is prefixed.
            "id": own_id if own_id.startswith(ocid) else f"{ocid}/{own_id}",
            "title": title,
            "supplier": names[0],
            "suppliers": names,
            "value": amount,
            "start_date": start,
            "status": status_map[status],
            "ocid": ocid,
        }
        first = _party(parties, suppliers[0].get("id"))
        optional = {
            "currency": currency,
            "end_date": end,
            "procurement_route": procurement_route(
                tender.get("procurementMethod"), tender.get("procurementMethodDetails")
            ),
            "sme": _sme(first),
            "contract_type": CATEGORIES.get(str(tender.get("mainProcurementCategory"))),
            "supplier_id": _companies_house(first),
            "category": _text((tender.get("classification") or {}).get("description"))
            if isinstance(tender.get("classification"), dict)
            else None,
            "buyer": _buyer(release, parties),
            "notice_url": _notice_url(award),
            "ocds_award_id": award_id,
            "ocds_contract_id": contract_id,
            "ocds_release_id": _id(release.get("id")),
            "ocds_method": _text(tender.get("procurementMethod")),
            "ocds_method_details": _text(tender.get("procurementMethodDetails")),
            "ocds_pointer": self.pointer(contract.path if contract is not None and one_of_several else path),
        }
        record.update({k: v for k, v in optional.items() if v is not None})
        return record


def json_text(value: Any) -> str:
    """``value`` as compact JSON for a message; a value nested deeper than orjson writes (254 levels, the file
    may nest 1024) is named by its type rather than raising (it stopped the run as "the loader failed")."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return f"{'an object' if isinstance(value, dict) else 'a list'} nested too deep to show"


def _show(value: Any) -> str:
    text = json_text(value) if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _parties(release: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    parties = release.get("parties")
    return [p for p in parties if isinstance(p, dict)] if isinstance(parties, list) else []


def _party(parties: Sequence[Mapping[str, Any]], party_id: Any) -> Mapping[str, Any] | None:
    if party_id is None:
        return None
    return next((p for p in parties if p.get("id") == party_id), None)


def _party_name(parties: Sequence[Mapping[str, Any]], party_id: Any) -> str | None:
    party = _party(parties, party_id)
    return _text(party.get("name")) if party else None


def _sme(party: Mapping[str, Any] | None) -> bool | None:
    """``details.scale``: micro and sme are SMEs, large is not; anything else is unknown."""
    details = party.get("details") if party else None
    scale = details.get("scale") if isinstance(details, dict) else None
    return {"micro": True, "sme": True, "large": False}.get(scale) if isinstance(scale, str) else None


def _companies_house(party: Mapping[str, Any] | None) -> str | None:
    identifier = party.get("identifier") if party else None
    if isinstance(identifier, dict) and identifier.get("scheme") == "GB-COH":
        return _id(identifier.get("id"))
    return None


def _buyer(release: Mapping[str, Any], parties: Sequence[Mapping[str, Any]]) -> str | None:
    buyer = release.get("buyer")
    if isinstance(buyer, dict):
        return _text(buyer.get("name")) or _party_name(parties, buyer.get("id"))
    for party in parties:
        roles = party.get("roles")
        if isinstance(roles, list) and "buyer" in roles:
            return _text(party.get("name"))
    return None


def _notice_url(award: Mapping[str, Any]) -> str | None:
    documents = award.get("documents")
    for document in documents if isinstance(documents, list) else []:
        if isinstance(document, dict) and document.get("documentType") == "awardNotice":
            return _text(document.get("url"))
    return None


# ---------------------------------------------------------------------------------------------
# Walking the package
# ---------------------------------------------------------------------------------------------


def _unit_kind(doc: Mapping[str, Any]) -> str | None:
    """What an OCDS JSON object is: a release or record package, a single record or a single release.

    Publishers' APIs and bulk files serve single releases and records as often as packages (Moldova,
    Colombia, Canada, Contracts Finder's own samples): an object with an ``ocid`` is a record when it holds
    ``releases`` or a ``compiledRelease``, else a release. None: not OCDS.
    """
    if "ocid" in doc and "kind" not in doc:
        return "record" if isinstance(doc.get("releases"), list) or "compiledRelease" in doc else "release"
    if isinstance(doc.get("releases"), list):
        return "release package"
    if isinstance(doc.get("records"), list) and "kind" not in doc:
        return "record package"
    return None


def _unit_releases(doc: Mapping[str, Any], unit: str, at: JsonPath) -> Iterator[tuple[Any, JsonPath]]:
    """The releases of one OCDS object of kind ``unit`` (:func:`_unit_kind`) found at path ``at``."""
    if unit == "release package":
        return ((r, (*at, "releases", i)) for i, r in enumerate(doc["releases"]))
    if unit == "record package":
        return _compiled((record, (*at, "records", i)) for i, record in enumerate(doc["records"]))
    if unit == "record":
        return _compiled([(doc, at)])
    return iter([(doc, at)])


def _releases(
    source: SourceFile, doc: Any, key_line: Callable[[str], int | None]
) -> tuple[str, Iterator[tuple[Any, JsonPath]]]:
    """What kind of OCDS object this is, and its releases with their paths; a located error if neither."""
    if not isinstance(doc, dict):
        raise source.fail(
            "not an OCDS package: the top level must be an object with 'releases' (a release package) "
            "or 'records' (a record package), or a single release or record (with 'ocid')",
            line=1,
            pointer="",
        )
    unit = _unit_kind(doc)
    if unit is not None:
        return unit, _unit_releases(doc, unit, ())
    if "releases" in doc:
        raise source.fail("'releases' must be a list of releases", line=key_line("releases"), pointer="/releases")
    if "kind" in doc:
        raise source.fail(
            "this is a capcheck evidence document ('kind' and 'records'), not OCDS: name it *.json, not *.ocds.json",
            line=key_line("kind"),
            pointer="/kind",
        )
    raise source.fail(
        "not an OCDS package: expected 'releases' (a release package) or 'records' (a record package) "
        "at the top level, or the 'ocid' of a single release or record; "
        f"found {', '.join(repr(k) for k in list(doc)[:6]) or 'an empty object'}",
        line=1,
        pointer="",
    )


def _compiled(records: Iterable[tuple[Any, JsonPath]]) -> Iterator[tuple[Any, JsonPath]]:
    """Records' compiled releases (each record's current state); for a record without one, its embedded
    releases, read as a release package's are (a later release of an award supersedes an earlier)."""
    for record, path in records:
        if isinstance(record, dict) and "compiledRelease" in record:
            yield record["compiledRelease"], (*path, "compiledRelease")
            continue
        releases = record.get("releases") if isinstance(record, dict) else None
        if isinstance(releases, list) and releases and all(_embedded(r) for r in releases):
            yield from ((r, (*path, "releases", j)) for j, r in enumerate(releases))
        else:
            # Linked releases (a url each) would have to be fetched and merged: not done here.
            yield None, path


def _embedded(release: Any) -> bool:
    """Whether a record's release is embedded (the release itself), not linked (a url, a date and a tag)."""
    return isinstance(release, dict) and "ocid" in release and "id" in release


def _scan(mapper: _Mapper, releases: Iterator[tuple[Any, JsonPath]]) -> _Scan:
    scan = _Scan()
    order = 0
    for release, path in releases:
        scan.releases += 1
        if release is None:
            scan.problems.append(
                mapper.problem(
                    "an OCDS record without 'compiledRelease' or embedded releases (linked releases are not"
                    " fetched): publish compiled releases",
                    path,
                )
            )
            continue
        if not isinstance(release, dict):
            scan.problems.append(mapper.problem("each release must be an object", path))
            continue
        ocid = _id(release.get("ocid"))
        if ocid is None:
            scan.problems.append(mapper.problem("the release has no 'ocid' (required by OCDS)", [*path, "ocid"]))
            continue
        released = _released(release)
        has_awards = False
        tables: tuple[tuple[str, dict[Any, _Award]], ...] = (("awards", scan.awards), ("contracts", scan.contracts))
        for name, table in tables:
            items = release.get(name)
            if items is None:
                continue
            if not isinstance(items, list):
                scan.problems.append(mapper.problem(f"'{name}' must be a list", [*path, name]))
                continue
            seen: set[str] = set()
            for j, item in enumerate(items):
                item_path = (*path, name, j)
                if not isinstance(item, dict):
                    scan.problems.append(mapper.problem(f"each of '{name}' must be an object", item_path))
                    continue
                ref = _id(item.get("id" if name == "awards" else "awardID"))
                if ref is None:
                    what = "an 'id'" if name == "awards" else "an 'awardID' (the award it implements)"
                    scan.problems.append(mapper.problem(f"needs {what}", item_path))
                    continue
                if name == "awards" and ref in seen:
                    scan.problems.append(mapper.problem(f"award id {ref!r} is used twice in this release", item_path))
                    continue
                seen.add(ref)
                has_awards = True
                order += 1
                found = _Award((ocid, ref), item, release, item_path, order, released)
                key: Any = found.key if name == "awards" else (ocid, ref, _id(item.get("id")))
                earlier = table.get(key)
                if earlier is None:
                    table[key] = found
                    continue
                if name == "awards":
                    scan.superseded += 1
                if _newer(found, earlier):
                    table[key] = found
        if not has_awards:
            scan.without_awards += 1
    return scan


def _newer(a: _Award, b: _Award) -> bool:
    """Whether ``a`` is a later release of the same award than ``b`` (release date, then file order)."""
    if a.released is not None and b.released is not None and a.released != b.released:
        return a.released > b.released
    return a.order > b.order


#: A package or BOM nests at most this deep (orjson's own limit).
_JSON_MAX_DEPTH = 1024


def load_json_bytes(source: SourceFile) -> tuple[bytes, Any]:
    """The file's bytes (a BOM dropped) and its JSON, for the adapters of published JSON formats (OCDS,
    CycloneDX, SPDX): malformed JSON, bytes that are not UTF-8 and a key given twice in one object (which
    the parser would keep the last of, silently) are located problems."""
    data = source.data[3:] if source.data.startswith(b"\xef\xbb\xbf") else source.data
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        decode_text(source)  # bytes that are not UTF-8: say so, with the line
        line = data.count(b"\n", 0, exc.pos) + 1 if exc.pos is not None else None
        raise source.fail(f"malformed JSON: {str(exc.msg).split(': line ')[0]}", line=line) from None
    # Every colon separates a key from its value or sits in a string, and orjson writes strings' colons as
    # they are: the file has more colons than its re-serialisation only when keys were dropped as
    # duplicates (or it escapes a colon). Only then is it parsed again, strictly, to name the key.
    try:
        colons = orjson.dumps(doc).count(b":")
    except orjson.JSONEncodeError:  # nested deeper than orjson writes (254 levels; it reads 1024): parse strictly
        colons = -1
    if b"\\u003" not in data and data.count(b":") == colons:
        return data, doc
    try:
        parse_json(decode_text(source), source, max_depth=_JSON_MAX_DEPTH)
    except EvidenceError as exc:
        [problem] = exc.problems
        if problem.line is not None or not problem.pointer:
            raise
        parent = tuple(
            int(token) if token.isdigit() else token.replace("~1", "/").replace("~0", "~")
            for token in problem.pointer.split("/")[1:-1]
        )
        at = value_lines(data, lambda path: path == parent).get(parent)
        raise source.fail(problem.message, line=at, pointer=problem.pointer) from None
    return data, doc


def load_ocds(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Read an OCDS release or record package, or a single release or record, as one ``supplier-contracts``
    document.

    :raises EvidenceError: the file is not OCDS, is malformed, or has awards none of which can be mapped;
        every problem carries the file, line and JSON pointer.
    """
    data, doc = load_json_bytes(source)

    @cache
    def all_lines() -> dict[JsonPath, int]:
        return value_lines(data, lambda path: 1 <= len(path) <= 6)

    def line_of(path: JsonPath) -> int | None:
        # The line of the value itself, else of the nearest enclosing object that was scanned.
        lines = all_lines()
        for end in range(len(path), 0, -1):
            if path[:end] in lines:
                return lines[path[:end]]
        return 1 if path[:1] in (("awards",), ("contracts",)) else None  # a single release: its own line

    def key_line(key: str) -> int | None:
        match = re.search(rb'"' + re.escape(key.encode()) + rb'"\s*:', data)
        return data.count(b"\n", 0, match.start()) + 1 if match else None

    mapper = _Mapper(source, line_of)
    package, releases = _releases(source, doc, key_line)
    publisher = doc.get("publisher") if isinstance(doc.get("publisher"), dict) else {}
    published = doc.get("publishedDate")
    return _document(
        mapper,
        _scan(mapper, releases),
        _pointer,
        package=package,
        publisher=_text(publisher.get("name")),
        collected_on=published[:10] if isinstance(published, str) and _DATE.match(published) else None,
        records_line=key_line("releases") or key_line("records"),
    )


def load_ocds_lines(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Read OCDS JSON Lines (``.jsonl``: one release package, record package, release or record per line,
    as OCDS bulk downloads and Kingfisher Collect write them) as one ``supplier-contracts`` document.

    The lines are read as one package: a later release of an award supersedes an earlier one, whichever
    line it is on. A record's location is its line and the JSON pointer within that line's object.

    :raises EvidenceError: a line that is not JSON or not an OCDS object, or no award that can be mapped;
        each problem names the line.
    """
    problems: list[Problem] = []
    kinds: dict[str, int] = {}
    publishers: set[str] = set()

    def lines() -> Iterator[tuple[Any, JsonPath]]:
        data = source.data[3:] if source.data.startswith(b"\xef\xbb\xbf") else source.data
        for number, raw in enumerate(data.split(b"\n"), 1):
            if not raw.strip():
                continue
            try:
                _, doc = load_json_bytes(SourceFile(path=source.path, display=source.display, data=raw))
            except EvidenceError as exc:
                problems.extend(replace(p, line=number) for p in exc.problems)
                continue
            unit = _unit_kind(doc) if isinstance(doc, dict) else None
            if unit is None:
                problems.append(
                    source.problem(
                        "not an OCDS release, record, release package or record package (each line of OCDS"
                        " JSON Lines is one of these)",
                        line=number,
                        pointer="",
                    )
                )
                continue
            kinds[unit] = kinds.get(unit, 0) + 1
            publisher = doc.get("publisher")
            if isinstance(publisher, dict) and _text(publisher.get("name")):
                publishers.add(str(_text(publisher.get("name"))))
            yield from _unit_releases(doc, unit, (number,))

    def line_of(path: JsonPath) -> int | None:
        return path[0] if path and isinstance(path[0], int) else None

    mapper = _Mapper(source, line_of, lambda path: _pointer(path[1:]))
    scan = _scan(mapper, lines())
    scan.problems[:0] = problems
    if not kinds and not scan.problems:
        raise source.fail("no OCDS releases, records or packages: the file has no lines of JSON", line=1)
    package = "JSON Lines of " + ", ".join(_plural(n, unit) for unit, n in sorted(kinds.items()))
    return _document(
        mapper,
        scan,
        lambda path: f"line {path[0]} {_pointer(path[1:]) or '/'}",
        package=package,
        publisher=next(iter(publishers)) if len(publishers) == 1 else None,
        collected_on=None,
        records_line=None,
    )


def _document(
    mapper: _Mapper,
    scan: _Scan,
    where: Callable[[Sequence[str | int]], str],
    *,
    package: str,
    publisher: str | None,
    collected_on: str | None,
    records_line: int | None,
) -> list[Document]:
    """The ``supplier-contracts`` document of what :func:`_scan` found: one record per mappable award."""
    if scan.problems:
        raise EvidenceError(scan.problems)
    records: list[dict[str, Any]] = []
    paths: list[JsonPath] = []
    gaps: list[tuple[str, JsonPath]] = []
    unsuccessful = 0
    by_award: dict[tuple[str, str], list[_Award]] = {}
    for implementing in sorted(scan.contracts.values(), key=lambda c: c.order):
        by_award.setdefault(implementing.key, []).append(implementing)
    several = 0  # awards implemented by more than one contract: a record per contract
    for found in sorted(scan.awards.values(), key=lambda a: a.order):
        contracts: list[_Award | None] = list(by_award.get(found.key, [])) or [None]
        if contracts == [None] and found.award.get("status") == "unsuccessful":
            unsuccessful += 1
            continue
        several += len(contracts) > 1
        for contract in contracts:
            at = contract.path if contract is not None and len(contracts) > 1 else found.path
            try:
                record = mapper.record(found, contract, one_of_several=len(contracts) > 1)
            except _Gap as gap:
                gaps.append((str(gap), at))
                continue
            records.append(record)
            paths.append(at)
    orphans = [c for key, cs in by_award.items() if key not in scan.awards for c in cs]
    gaps.extend((ORPHAN, c.path) for c in orphans)

    if gaps and not records:
        raise EvidenceError(
            [
                mapper.problem(
                    f"this award cannot be read as a contract: {why}{_ORPHAN_HINT if why == ORPHAN else ''}", path
                )
                for why, path in gaps
            ]
        )

    def locate(index: int) -> int | None:
        return mapper.lines(paths[index]) if index < len(paths) else None

    return [
        Document(
            kind=KIND,
            records=records,
            locate=locate,
            source=_summary(
                package, publisher, scan, len({(r["ocid"], r["ocds_award_id"]) for r in records}), len(records)
            ),
            collected_on=collected_on,
            records_line=records_line,
            pointers=[mapper.pointer(path) for path in paths],
            notes=(
                *_notes(scan, unsuccessful, gaps, where),
                *(
                    [
                        f"{_plural(several, 'award')} implemented by several contracts: one record per contract"
                        " (its id, value, period and status; its suppliers where the contract names them, else the"
                        " award's)"
                    ]
                    if several
                    else []
                ),
                "not provided by OCDS (rules that need them report insufficient evidence): "
                + ", ".join(sorted(NOT_PROVIDED)),
            ),
            not_provided=NOT_PROVIDED,
        )
    ]


def _summary(package: str, publisher: str | None, scan: _Scan, awards: int, records: int) -> str:
    """The document's ``source``: what was read, and how many awards (and records) were mapped from it."""
    as_records = f" (as {_plural(records, 'contract record')})" if records != awards else ""
    return (
        f"OCDS {package}" + (f" ({publisher})" if publisher else "") + "; "
        f"{_plural(awards, 'award')} mapped{as_records} from {_plural(scan.releases, 'release')}"
    )


def _notes(
    scan: _Scan,
    unsuccessful: int,
    gaps: Sequence[tuple[str, JsonPath]],
    where: Callable[[Sequence[str | int]], str] = _pointer,
) -> tuple[str, ...]:
    """The document's notes: everything read but not mapped, with counts, reasons and pointers."""
    parts: list[str] = []
    if scan.without_awards:
        parts.append(
            f"{_plural(scan.without_awards, 'release')} without awards or contracts (planning, tender) not mapped"
        )
    if scan.superseded:
        parts.append(f"{_plural(scan.superseded, 'earlier award release')} superseded by a later release of the award")
    if unsuccessful:
        parts.append(f"{_plural(unsuccessful, 'unsuccessful award')} not mapped (not contracts)")
    if gaps:
        reasons: dict[str, int] = {}
        for why, _path in gaps:
            reasons[why] = reasons.get(why, 0) + 1
        listed = ", ".join(where(path) for _why, path in gaps[:MAX_LISTED_GAPS])
        more = f" and {len(gaps) - MAX_LISTED_GAPS} more" if len(gaps) > MAX_LISTED_GAPS else ""
        why = "; ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
        parts.append(f"{_plural(len(gaps), 'award')} not mapped ({why}): {listed}{more}")
    return tuple(parts)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


_PACKAGE = re.compile(rb'"releases"\s*:\s*\[')
_OCID = re.compile(rb'"ocid"\s*:')
#: Keys only OCDS has: a release's required ``initiationType``, a record's ``compiledRelease`` and
#: ``versionedRelease``.
_OCDS_KEY = re.compile(rb'"(?:initiationType|compiledRelease|versionedRelease)"\s*:')
#: A release's ``tag`` beside one of its blocks: publishers that leave out ``initiationType`` (Montreal) still
#: tag their releases.
_TAG = re.compile(rb'"tag"\s*:')
_SCHEMA = re.compile(rb'"\$schema"\s*:')
_PROPERTIES = re.compile(rb'"properties"\s*:\s*\{')
_BLOCK = re.compile(rb'"(?:planning|tender|awards|contracts)"\s*:')
#: A record's versioned or compiled release: it may come before the record's ``ocid`` and fill the first
#: 64 KiB (CDMX's records open with a 190 KB versionedRelease), so it is enough on its own.
_RECORD_KEY = re.compile(rb'"(?:compiledRelease|versionedRelease)"\s*:\s*\{')


def claims_ocds(head: bytes) -> bool:
    """Whether a JSON file's first bytes are OCDS: an object with an ``"ocid"`` and either a ``"releases": [``
    list (a release or record package, or a record), a key only OCDS has (a single release's
    ``initiationType``, a record's ``compiledRelease``) or a release's ``tag`` beside one of its blocks
    (``tender``, ``awards`` ...); or an object opening with a record's versioned or compiled release."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start[:1] != b"{" or (_SCHEMA.search(head) is not None and _PROPERTIES.search(head) is not None):
        return False  # not data: OCDS's own schema (its properties are ocid, tag, initiationType ...)
    if _OCID.search(head) is not None:
        return (
            _PACKAGE.search(head) is not None
            or _OCDS_KEY.search(head) is not None
            or (_TAG.search(head) is not None and _BLOCK.search(head) is not None)
        )
    return _RECORD_KEY.search(head) is not None


@hookimpl
def capcheck_loaders() -> Sequence[Loader]:
    """The OCDS loaders: ``*.ocds.json`` by name, any ``.json`` file holding OCDS, and JSON Lines (``.jsonl``)."""
    description = "OCDS 1.1 release or record package, or a single release or record: awards as supplier-contracts"
    return [
        Loader(name="ocds", extensions=(".ocds.json",), load=load_ocds, description=description),
        Loader(
            name="ocds",
            extensions=(".json",),
            load=load_ocds,
            description=description + ", recognised by its content",
            claims=claims_ocds,
        ),
        Loader(
            name="ocds",
            extensions=(".jsonl",),
            load=load_ocds_lines,
            description="OCDS JSON Lines (a release, record or package per line): awards as supplier-contracts",
        ),
    ]
