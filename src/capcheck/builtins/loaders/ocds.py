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
  and where (the first few pointers). If *no* award of the OCDS files given together can be mapped,
  the gaps become errors: evidence that yields no contracts must not pass as evidence.
* The releases of one contracting process (one ``ocid``), in whichever OCDS files of the evidence set,
  are compiled by the OCDS merge routine (:class:`Compiler`; the loaders' ``combine`` is
  :func:`combine_ocds`): an award released again (``awardUpdate``) updates the fields it gives, a tender
  release gives the title and route of an award released later. A release given twice the same is read
  once; with other content it is an error naming both places.
* Releases without awards (planning, tender) are counted, not mapped. ``unsuccessful`` awards are not
  contracts and are counted, not mapped. Both counts are notes too.
* **Fields OCDS cannot carry** (a contract owner, a review date, an exit plan: :data:`NOT_PROVIDED`)
  are declared on the document (``Document.not_provided``): rules that need them report
  insufficient evidence for these records, not failures (docs/findings.md).

Each record keeps where it came from: it is in the file of its award's latest release, the award's JSON
pointer there (``/releases/17/awards/0``) is the record's pointer (``Document.pointers``), so findings and
schema errors point at the award, and the line of the award's ``{`` is the record's line (found from where
the text's ``awards`` keys are: :func:`block_lines`). The pointer is also kept in the record's
``ocds_pointer`` field, and ``ocds_releases`` lists every release of the process, file and pointer, in the
order merged.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson

from capcheck.core.errors import EvidenceError, Problem
from capcheck.core.hookspecs import hookimpl
from capcheck.core.loading import Document, LoadContext, Loader, SourceFile, decode_text, fixed_kinds
from capcheck.core.side_inputs import parse_json

__all__ = [
    "KIND",
    "NOT_PROVIDED",
    "Compiler",
    "JsonPath",
    "block_lines",
    "claims_ocds",
    "combine_ocds",
    "load_ocds",
    "load_ocds_lines",
    "procurement_route",
    "release_blocks",
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
ORPHAN = "a contract whose award is in no release given"
_ORPHAN_HINT = (
    " (publishers serve a contract's release apart from its award's: give the award's release too, in this file"
    " or in another OCDS file checked with it)"
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
        # A single tender action is a direct award whatever its value ("(below threshold)" says which rules
        # applied, not that suppliers competed): COMM-005 counts it as one, COMM-008 judges the value.
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


@dataclass(eq=False)
class _File:
    """One OCDS file as read: its releases, where each is, and how its places are shown."""

    source: SourceFile
    #: The line of a path (lazily: a token scan on the first call).
    lines: Callable[[JsonPath], int | None]
    #: A path's JSON pointer as shown (in JSON Lines, within its line: the path's first item is the line).
    pointer: Callable[[Sequence[str | int]], str]
    #: A path as a note lists it (``/releases/3/awards/0``; in JSON Lines ``line 4 /awards/0``).
    where: Callable[[Sequence[str | int]], str]
    package: str
    publisher: str | None
    collected_on: str | None
    records_line: int | None
    releases: list[_Release] = field(default_factory=list)
    #: Releases read, those with problems too.
    count: int = 0
    without_awards: int = 0
    #: Whether every release has been read (only then are awards' lines found from ``blocks``).
    done: bool = False
    #: Each release's awards and contracts keys, with their sizes (:func:`release_blocks`), in file order.
    blocks: list[tuple[JsonPath, str, int]] = field(default_factory=list)


@dataclass(eq=False)
class _Release:
    """One release as read, with where it is."""

    data: dict[str, Any]
    path: JsonPath
    file: _File
    #: Its place among its file's releases.
    order: int
    ocid: str
    release_id: str | None
    released: datetime | None

    def shown(self) -> str:
        """Where the release is, for a message: ``b.json:12 /releases/3``."""
        line = self.file.lines(self.path)
        return f"{self.file.source.display}{f':{line}' if line else ''} {self.file.where(self.path)}"


@dataclass(eq=False)
class _Award:
    """One award (or contract) of a contracting process, compiled from every release that gave it."""

    #: (ocid, award id); for a contract, (ocid, the award id it implements).
    key: tuple[str, str]
    #: The compiled award (or contract): each field's latest value (OCDS merging).
    award: dict[str, Any]
    #: The process's compiled release.
    release: dict[str, Any]
    #: The award as each release gave it, with the release and its path there, oldest first.
    versions: list[tuple[_Release, JsonPath, dict[str, Any]]] = field(default_factory=list)

    @property
    def latest(self) -> _Release:
        """The latest release that gave the award: the record is located there."""
        return self.versions[-1][0]

    @property
    def file(self) -> _File:
        return self.versions[-1][0].file

    @property
    def path(self) -> JsonPath:
        return self.versions[-1][1]

    def at(self, *sub: str | int) -> tuple[_File, JsonPath]:
        """Where ``sub`` (a path within the award) was given: in the latest release whose award has it,
        else where the award itself is."""
        if sub:
            for release, path, given in reversed(self.versions):
                if _has(given, sub):
                    return release.file, (*path, *sub)
        return self.file, (*self.path, *sub)


def _has(value: Any, sub: Sequence[str | int]) -> bool:
    """Whether ``value`` holds a value at the path ``sub``."""
    for part in sub:
        held = isinstance(value, dict) and part in value
        held = held or (isinstance(part, int) and isinstance(value, list) and 0 <= part < len(value))
        if not held:
            return False
        value = value[part]
    return True


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


#: An ``"awards"`` or ``"contracts"`` key (each pattern starts with its literal, which the regex engine finds fast).
_ITEMS_KEYS = (re.compile(rb'"awards"\s*:\s*'), re.compile(rb'"contracts"\s*:\s*'))


def block_lines(data: bytes, blocks: Sequence[tuple[JsonPath, str, int]]) -> dict[JsonPath, int]:
    """The line of each award and contract of the releases whose ``blocks`` are given (:func:`release_blocks`, in
    file order), found from where their ``"awards"`` and ``"contracts"`` keys are in the text, at C speed: a 148 MB
    package's awards without walking its tokens (what :func:`value_lines` does). Only an array of several items
    is walked, to find where each starts. Empty (the caller then scans every token) unless the keys in the text
    are exactly the releases' own, one for one: a key of that name nested anywhere else is never mistaken for one.
    """
    places = sorted(
        (m.start(), name, m.end())
        for name, pattern in zip(("awards", "contracts"), _ITEMS_KEYS, strict=True)
        for m in pattern.finditer(data)
        if not _escaped(data, m.start())
    )
    if len(places) != len(blocks):
        return {}
    offsets: list[tuple[int, JsonPath]] = []
    for (path, name, items), (_start, key, end) in zip(blocks, places, strict=True):
        if key != name:
            return {}
        if items <= 0:  # empty, or not a list
            continue
        starts = _item_starts(data, end, items) if data[end : end + 1] == b"[" else []
        if len(starts) != items:
            return {}
        offsets.extend((start, (*path, name, j)) for j, start in enumerate(starts))
    found: dict[JsonPath, int] = {}
    line, last = 1, 0
    for offset, path in sorted(offsets):
        line += data.count(b"\n", last, offset)
        last = offset
        found[path] = line
    return found


def release_blocks(path: JsonPath, release: Mapping[str, Any]) -> list[tuple[JsonPath, str, int]]:
    """A release's ``awards`` and ``contracts`` keys, in its order, each with how many items it holds (-1: not a
    list): what :func:`block_lines` needs of a release, so that the release itself need not be kept."""
    has_awards, has_contracts = "awards" in release, "contracts" in release
    if not (has_awards or has_contracts):
        return []
    if has_awards and has_contracts:
        keys = [key for key in release if key in ("awards", "contracts")]
    else:
        keys = ["awards" if has_awards else "contracts"]
    return [(path, key, len(v) if isinstance(v := release[key], list) else -1) for key in keys]


def _escaped(data: bytes, quote: int) -> bool:
    """Whether the quote at ``quote`` is escaped (an odd run of backslashes before it): inside a key, not one."""
    start = quote
    while start > 0 and data[start - 1] == 0x5C:
        start -= 1
    return (quote - start) % 2 == 1


_NOT_SPACE = re.compile(rb"[^ \t\r\n]")


def _item_starts(data: bytes, at: int, count: int) -> list[int]:
    """Where each item of the array opening at ``at`` starts; one item needs no walk."""
    if count == 1:
        match = _NOT_SPACE.search(data, at + 1)
        return [match.start()] if match is not None and data[match.start()] == 0x7B else []
    starts: list[int] = []
    depth = 0
    for match in _TOKEN.finditer(data, at):
        first = data[match.start()]
        if first in b"{[":
            if depth == 1:
                starts.append(match.start())
            depth += 1
        elif first in b"}]":
            depth -= 1
            if depth == 0:
                break
    return starts


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
    """Maps one compiled award (with its release, and its contract if any) to a supplier-contracts record."""

    def error(self, message: str, found: _Award, *sub: str | int) -> EvidenceError:
        return EvidenceError([self.problem(message, found, *sub)])

    def problem(self, message: str, found: _Award, *sub: str | int) -> Problem:
        file, path = found.at(*sub)
        return file.source.problem(message, line=file.lines(path), pointer=file.pointer(path))

    def date(self, value: Any, found: _Award, *sub: str | int) -> str | None:
        """The date part of an OCDS date-time (as published: no time-zone shift), or None if absent."""
        if value is None:
            return None
        if not isinstance(value, str) or not _DATE.match(value):
            raise self.error(f"{_show(value)} is not an OCDS date-time (YYYY-MM-DDThh:mm:ssZ)", found, *sub)
        return value[:10]

    def value(self, found: _Award) -> tuple[float | int, str | None]:
        value = found.award.get("value")
        if value is None:
            raise _Gap("no value")
        if not isinstance(value, dict):
            raise self.error("'value' must be an object with 'amount' and 'currency'", found, "value")
        amount = value.get("amount")
        if amount is None:
            raise _Gap("no value amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise self.error(f"value amount {_show(amount)} is not a number", found, "value", "amount")
        if amount < 0:
            raise _Gap(f"negative value {amount}")
        currency = value.get("currency")
        if currency is not None and not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
            raise self.error(f"currency {_show(currency)} is not an ISO 4217 code", found, "value", "currency")
        return amount, currency

    def record(self, found: _Award, contract: _Award | None, *, one_of_several: bool = False) -> dict[str, Any]:
        """The record of one award (or, ``one_of_several``, of one of the contracts implementing it); raises
        _Gap for a gap and EvidenceError for malformed OCDS."""
        award, release = found.award, found.release
        tender: Mapping[str, Any] = release["tender"] if isinstance(release.get("tender"), dict) else {}
        parties = _parties(release)
        suppliers = award.get("suppliers") or []
        if not isinstance(suppliers, list) or not all(isinstance(s, dict) for s in suppliers):
            raise self.error("'suppliers' must be a list of organisation references", found, "suppliers")
        names = [n for n in (_text(s.get("name")) or _party_name(parties, s.get("id")) for s in suppliers) if n]
        # A contract that names its suppliers (the Contract suppliers extension; Paraguay's DNCP gives one object)
        # says who signed it: for an award of several suppliers and contracts, each contract's own supplier.
        if contract is not None:
            signed = contract.award.get("suppliers")
            signed = [signed] if isinstance(signed, dict) else signed
            if isinstance(signed, list) and signed and all(isinstance(s, dict) for s in signed):
                signed_names = [
                    n for n in (_text(s.get("name")) or _party_name(parties, s.get("id")) for s in signed) if n
                ]
                if signed_names:
                    names, suppliers = signed_names, signed
        if not names:
            raise _Gap("no supplier")

        # The contract, when there is one, is the signed state: its status, value and period win.
        held = found
        status_map, status_from = AWARD_STATUS, "award"
        period_key = "contractPeriod"
        if contract is not None:
            held, status_map, status_from, period_key = contract, CONTRACT_STATUS, "contract", "period"
        status = held.award.get("status")
        if status is None:
            raise _Gap(f"no {status_from} status")
        if status not in status_map:
            raise _Gap(f"{status_from} status {_show(status)}")
        # A contract that does not repeat the value or period keeps the award's.
        amount, currency = self.value(held if held.award.get("value") is not None else found)
        period_of, period = held, held.award.get(period_key)
        if period is None and contract is not None:
            period_of, period_key, period = found, "contractPeriod", award.get("contractPeriod")
        if period is None:
            raise _Gap("no contract period")
        if not isinstance(period, dict):
            raise self.error(f"'{period_key}' must be an object", period_of, period_key)
        start = self.date(period.get("startDate"), period_of, period_key, "startDate")
        end = self.date(period.get("endDate"), period_of, period_key, "endDate")
        if start is None:
            raise _Gap("no contract start date")
        title = _text(award.get("title")) or _text(held.award.get("title")) or _text(tender.get("title"))
        if title is None:
            raise _Gap("no title")

        ocid, award_id = found.key
        # One of several contracts of an award is a record of its own, named by the contract's id.
        contract_id = _id(contract.award.get("id")) if contract is not None and one_of_several else None
        own_id = contract_id or award_id
        located = contract if contract is not None and one_of_several else found
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
            "ocds_release_id": located.latest.release_id,
            "ocds_method": _text(tender.get("procurementMethod")),
            "ocds_method_details": _text(tender.get("procurementMethodDetails")),
            "ocds_pointer": located.file.pointer(located.path),
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


def _gather(file: _File, releases: Iterator[tuple[Any, JsonPath]], problems: list[Problem]) -> None:
    """Read a file's releases into ``file.releases``, each checked on its own (an object with an ocid, its
    awards and contracts lists of objects, each award with an id, once); a problem skips the release."""

    def problem(message: str, at: Sequence[str | int]) -> None:
        problems.append(file.source.problem(message, line=file.lines(tuple(at)), pointer=file.pointer(at)))

    for release, path in releases:
        file.count += 1
        if release is None:
            problem(
                "an OCDS record without 'compiledRelease' or embedded releases (linked releases are not"
                " fetched): publish compiled releases",
                path,
            )
            continue
        if not isinstance(release, dict):
            problem("each release must be an object", path)
            continue
        blocks = release_blocks(path, release)
        file.blocks.extend(blocks)
        ocid = _id(release.get("ocid"))
        if ocid is None:
            problem("the release has no 'ocid' (required by OCDS)", [*path, "ocid"])
            continue
        before = len(problems)
        has_awards = False
        for _path, name, count in blocks:
            items = release[name]
            if items is None:
                continue
            if count < 0:
                problem(f"'{name}' must be a list", [*path, name])
                continue
            seen: set[str] = set()
            for j, item in enumerate(items):
                if type(item) is not dict:
                    problem(f"each of '{name}' must be an object", (*path, name, j))
                    continue
                if name == "awards":
                    ref = _id(item.get("id"))
                    if ref is None or ref in seen:
                        why = "needs an 'id'" if ref is None else f"award id {ref!r} is used twice in this release"
                        problem(why, (*path, name, j))
                        continue
                    seen.add(ref)
                has_awards = True
        if len(problems) > before:
            continue
        if not has_awards:
            file.without_awards += 1
        file.releases.append(
            _Release(release, path, file, len(file.releases), ocid, _id(release.get("id")), _released(release))
        )


# ---------------------------------------------------------------------------------------------
# Merging: a contracting process's releases, in whichever files, compiled as OCDS tools compile them
# ---------------------------------------------------------------------------------------------

#: A release's fields that are not merged (``omitWhenMerged`` in the OCDS 1.1 release schema).
OMIT_WHEN_MERGED = frozenset({"id", "date", "tag", "publisher", "links"})
#: Arrays of objects merged as one value, not item by item (``wholeListMerge`` in the OCDS 1.1.5 release schema,
#: and the ``changes`` of an amendment, whose items have no ``id``): a later release's list replaces the earlier.
WHOLE_LIST_MERGE = frozenset(
    {
        "identifiers",
        "additionalIdentifiers",
        "classifications",
        "additionalClassifications",
        "locations",
        "deliveryLocations",
        "deliveryAddresses",
        "changes",
    }
)
_NO_DATE = datetime.min.replace(tzinfo=UTC)


def _distinct_ids(items: Any) -> bool:
    """Whether no two objects of a list share an ``id`` (so merging the list into nothing leaves it as it is)."""
    if not isinstance(items, list) or len(items) < 2:
        return True
    ids = [str(i["id"]) for i in items if isinstance(i, dict) and i.get("id") is not None]
    return len(set(ids)) == len(ids)


class Compiler:
    """A contracting process's compiled release, built by merging its releases in order (the OCDS merge routine):
    each field's latest value wins; ``null`` removes a field; objects merge field by field; arrays of objects merge
    item by item by ``id`` (an item without one is added); other arrays, and the whole-list ones, are replaced.

    The releases are never changed: a value is shared with the release that gave it until a later release
    changes it, and only then copied (one level at a time), so compiling costs what the later releases hold, not
    a copy of every release.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, Any] = {}
        #: The containers made here (by identity; each is held by the compiled release, so its id stays unique).
        self._owned: set[int] = {id(self.compiled)}
        #: Per array merged by id (made here; held so its id stays its own): the array and its items' places by id.
        self._indexes: dict[int, tuple[list[dict[str, Any]], dict[str, int]]] = {}

    def add(self, release: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """Merge one release; returns, for its ``awards`` and ``contracts``, the compiled item each went into."""
        if len(self.compiled) == 0 and _distinct_ids(release.get("awards")) and _distinct_ids(release.get("contracts")):
            # The first release (most processes have one or two): its own values, shared, are the compiled release.
            self.compiled.update((k, v) for k, v in release.items() if v is not None and k not in OMIT_WHEN_MERGED)
            return {
                key: items
                for key in ("awards", "contracts")
                if isinstance(items := self.compiled.get(key), list) and items and all(type(i) is dict for i in items)
            }
        into: dict[str, list[dict[str, Any]]] = {}
        for key, value in release.items():
            if key in OMIT_WHEN_MERGED:
                continue
            targets = self._field(self.compiled, key, value)
            if key in ("awards", "contracts") and targets is not None:
                into[key] = targets
        return into

    def _own(self, value: Any) -> Any:
        """A copy of a shared dict or list, made here, or the value itself if it was made here."""
        if id(value) in self._owned:
            return value
        copy = dict(value) if isinstance(value, dict) else list(value)
        self._owned.add(id(copy))
        return copy

    def _field(self, out: dict[str, Any], key: str, value: Any) -> list[dict[str, Any]] | None:
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            held = out.get(key)
            if not isinstance(held, dict):
                if value:
                    out[key] = value  # shared until a later release changes it
            elif value:
                held = out[key] = self._own(held)
                for inner, given in value.items():
                    self._field(held, inner, given)
        elif isinstance(value, list) and key not in WHOLE_LIST_MERGE and all(isinstance(v, dict) for v in value):
            if not value:
                return None
            held = out.get(key)
            # A list made here holds only objects (asking again walked it for each release: n^2 / 2).
            if not isinstance(held, list) or (
                id(held) not in self._owned and not all(isinstance(v, dict) for v in held)
            ):
                out[key] = held = []
                self._owned.add(id(held))
            else:
                held = out[key] = self._own(held)
            return self._items(held, value)
        else:
            out[key] = value  # a literal, or an array replaced whole
        return None

    def _items(self, held: list[dict[str, Any]], given: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Identifier merge into ``held`` (made here): each item into the held item with the same ``id`` (compared
        as text: ``1`` is ``"1"``), else appended; the held item each went into."""
        # The index of ids lives as long as ``held`` (made here, changed only here): rebuilding it for each release
        # made a process of n releases adding an award each cost n^2 / 2.
        indexed = self._indexes.get(id(held))
        if indexed is None or indexed[0] is not held:
            indexed = self._indexes[id(held)] = (
                held,
                {str(item["id"]): i for i, item in enumerate(held) if item.get("id") is not None},
            )
        where = indexed[1]
        targets: list[dict[str, Any]] = []
        for item in given:
            ident = item.get("id")
            at = where.get(str(ident)) if ident is not None else None
            if at is None:
                if ident is not None:
                    where[str(ident)] = len(held)
                held.append(item)  # shared until a later release changes it
                targets.append(item)
                continue
            target = held[at] = self._own(held[at])
            for inner, value in item.items():
                self._field(target, inner, value)
            targets.append(target)
        return targets


@dataclass
class _Compiled:
    """What compiling a group of files found, before mapping."""

    awards: list[_Award] = field(default_factory=list)
    contracts: list[_Award] = field(default_factory=list)
    #: Per file: the releases also given, the same, in another file (read once), by that file.
    repeated: dict[_File, dict[_File, int]] = field(default_factory=dict)
    #: Per file: its releases compiled with releases of the same process in other files, and those files.
    #: The files of each process are one tuple sorted by name, shared by its files (by identity): a set of the
    #: other files per file cost n^2 when n files each gave one release of a process.
    shared: dict[_File, tuple[int, dict[int, tuple[_File, ...]]]] = field(default_factory=dict)
    #: Per file: its award (and contract) releases that a later release of the award continues.
    merged: dict[_File, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: Per ocid, its releases in merge order.
    releases: dict[str, list[_Release]] = field(default_factory=dict)


def _merge_order(release: _Release) -> tuple[bool, datetime, str, int]:
    """Releases merge by date (one without a usable date first); a tie by file name, then place in the file: the
    same whatever the order the files were given in."""
    released = release.released
    return (released is not None, released or _NO_DATE, release.file.source.display, release.order)


def _distinct_releases(ocid: str, releases: list[_Release], out: _Compiled) -> list[_Release]:
    """A process's releases in merge order, each once: a release given again the same is counted in
    ``out.repeated``; given again with other content it is a problem in ``out.problems``."""
    releases.sort(key=lambda r: (r.file.source.display, r.order))
    kept: list[_Release] = []
    by_release_id: dict[str, _Release] = {}
    for release in releases:
        # A record's compiled release is a state at a time, not a release: two record packages of one process
        # (this month's and last month's) hold two states under one id, merged by date like any releases.
        rid = release.release_id if "compiledRelease" not in release.path else None
        first = by_release_id.get(rid) if rid is not None else None
        if first is None:
            if rid is not None:
                by_release_id[rid] = release
            kept.append(release)
        elif first.data == release.data:
            if first.file is not release.file:  # the same release in two packages: read once
                counts = out.repeated.setdefault(release.file, {})
                counts[first.file] = counts.get(first.file, 0) + 1
        else:
            line = release.file.lines(release.path)
            out.problems.append(
                release.file.source.problem(
                    f"release {rid!r} of {ocid!r} is also at {first.shown()}, with different content: a release"
                    " is published once and never changed (a change is a new release, with its own id); give"
                    " one of the two",
                    line=line,
                    pointer=release.file.pointer(release.path),
                )
            )
    kept.sort(key=_merge_order)
    return kept


def _compile(files: Sequence[_File]) -> _Compiled:
    """Each contracting process's releases, from all ``files``, compiled: its awards and contracts."""
    out = _Compiled()
    by_ocid: dict[str, list[_Release]] = {}
    for file in files:
        for release in file.releases:
            by_ocid.setdefault(release.ocid, []).append(release)
    for ocid, releases in by_ocid.items():
        kept = releases if len(releases) == 1 else _distinct_releases(ocid, releases, out)
        out.releases[ocid] = kept
        only = kept[0] if len(kept) == 1 else None
        if only is not None and _distinct_ids(only.data.get("contracts")):
            # One release (most processes of a package): it is its own compiled release, shared, not copied.
            for name, found in (("awards", out.awards), ("contracts", out.contracts)):
                for j, item in enumerate(only.data.get(name) or ()):
                    ref = _id(item.get("id" if name == "awards" else "awardID"))
                    single = _Award((ocid, ref or ""), item, only.data, [(only, (*only.path, name, j), item)])
                    if ref is None:
                        out.problems.append(_Mapper().problem("needs an 'awardID' (the award it implements)", single))
                        continue
                    found.append(single)
            continue
        files_here = {r.file for r in kept}
        if len(files_here) > 1:
            group = tuple(sorted(files_here, key=lambda f: f.source.display))
            for release in kept:
                count, groups = out.shared.get(release.file, (0, {}))
                groups[id(group)] = group
                out.shared[release.file] = (count + 1, groups)
        compiler = Compiler()
        awards: dict[Any, _Award] = {}
        contracts: dict[Any, _Award] = {}
        for release in kept:
            into = compiler.add(release.data)
            for name, table in (("awards", awards), ("contracts", contracts)):
                for j, target in enumerate(into.get(name, ())):
                    ident = target.get("id")
                    entry = table.get(key := str(ident) if ident is not None else id(target))
                    if entry is None:
                        entry = table[key] = _Award(("", ""), target, compiler.compiled)
                    entry.award = target  # a later release's change is made in a copy
                    entry.versions.append((release, (*release.path, name, j), release.data[name][j]))
        compiled = compiler.compiled
        # An award or contract a later release removed (set to null) is no longer in the compiled release.
        for name, table, found in (("awards", awards, out.awards), ("contracts", contracts, out.contracts)):
            present = {id(item) for item in compiled.get(name) or () if isinstance(item, dict)}
            for entry in table.values():
                if id(entry.award) not in present:
                    continue
                for release, _path, _given in entry.versions[:-1] if name == "awards" else ():
                    out.merged[release.file] = out.merged.get(release.file, 0) + 1
                ref = _id(entry.award.get("id" if name == "awards" else "awardID"))
                if ref is None:
                    what = "an 'id'" if name == "awards" else "an 'awardID' (the award it implements)"
                    out.problems.append(_Mapper().problem(f"needs {what}", entry))
                    continue
                entry.key = (ocid, ref)
                found.append(entry)
    return out


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
        cause = str(exc.msg).split(": line ")[0]
        if cause == "depth limit exceeded":  # well-formed, but deeper than orjson reads (the strict parse's bound)
            raise source.fail(f"nested more than {_JSON_MAX_DEPTH} levels deep", line=line) from None
        raise source.fail(f"malformed JSON: {cause}", line=line) from None
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

    With ``context.together`` the file's releases are only read and checked: :func:`combine_ocds` compiles them
    with the other OCDS files' and maps the awards.

    :raises EvidenceError: the file is not OCDS, is malformed, or has awards none of which can be mapped;
        every problem carries the file, line and JSON pointer.
    """
    data, doc = load_json_bytes(source)
    file: _File | None = None

    @cache
    def all_lines() -> dict[JsonPath, int]:
        return value_lines(data, lambda path: 1 <= len(path) <= 6)

    @cache
    def item_lines() -> dict[JsonPath, int]:
        return block_lines(data, file.blocks if file is not None else [])

    def line_of(path: JsonPath) -> int | None:
        # An award's or a contract's line, found without a scan of every token where the text allows.
        if len(path) >= 2 and path[-2] in ("awards", "contracts") and file is not None and file.done:
            found = item_lines().get(path)
            if found is not None:
                return found
        # The line of the value itself, else of the nearest enclosing object that was scanned.
        lines = all_lines()
        for end in range(len(path), 0, -1):
            if path[:end] in lines:
                return lines[path[:end]]
        return 1 if path[:1] in (("awards",), ("contracts",)) else None  # a single release: its own line

    def key_line(key: str) -> int | None:
        match = re.search(rb'"' + re.escape(key.encode()) + rb'"\s*:', data)
        return data.count(b"\n", 0, match.start()) + 1 if match else None

    package, releases = _releases(source, doc, key_line)
    publisher = doc.get("publisher") if isinstance(doc.get("publisher"), dict) else {}
    published = doc.get("publishedDate")
    file = _File(
        source,
        line_of,
        _pointer,
        _pointer,
        package=package,
        publisher=_text(publisher.get("name")),
        collected_on=published[:10] if isinstance(published, str) and _DATE.match(published) else None,
        records_line=key_line("releases") or key_line("records"),
    )
    return _read(file, releases, context)


def load_ocds_lines(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Read OCDS JSON Lines (``.jsonl``: one release package, record package, release or record per line,
    as OCDS bulk downloads and Kingfisher Collect write them) as one ``supplier-contracts`` document.

    The lines are read as one package: the releases of a contracting process are compiled, whichever line
    each is on. A record's location is its line and the JSON pointer within that line's object.

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

    file = _File(
        source,
        line_of,
        lambda path: _pointer(path[1:]),
        lambda path: f"line {path[0]}" + (f" {_pointer(path[1:])}" if len(path) > 1 else ""),
        package="",
        publisher=None,
        collected_on=None,
        records_line=None,
    )
    _gather(file, lines(), problems)
    if not kinds and not problems:
        raise source.fail("no OCDS releases, records or packages: the file has no lines of JSON", line=1)
    file.package = "JSON Lines of " + ", ".join(_plural(n, unit) for unit, n in sorted(kinds.items()))
    file.publisher = next(iter(publishers)) if len(publishers) == 1 else None
    return _read(file, iter(()), context, problems)


def _read(
    file: _File, releases: Iterator[tuple[Any, JsonPath]], context: LoadContext, problems: list[Problem] | None = None
) -> list[Document]:
    """Gather the file's releases; on its own, compile and map them; ``together``, leave that to combine_ocds."""
    problems = [] if problems is None else problems
    _gather(file, releases, problems)
    file.done = True
    if problems:
        raise EvidenceError(problems)
    if context.together:
        return [_Gathered(kind=KIND, records=[], locate=lambda index: None, file=file)]
    return _documents([file])[0]


@dataclass
class _Gathered(Document):
    """A file's releases, read and checked, waiting for :func:`combine_ocds`."""

    file: _File | None = None


def combine_ocds(
    loaded: Sequence[tuple[SourceFile, Sequence[Document]]], context: LoadContext
) -> Sequence[Sequence[Document]]:
    """The OCDS files of an evidence set read together (``Loader.combine``): the releases of each contracting
    process (one ``ocid``), in whichever files, compiled by the OCDS merge routine, then mapped; each record is
    in the file of its award's latest release.

    :raises EvidenceError: a release given twice with different content, or a file none of whose awards can
        be mapped; each problem located in its file.
    """
    files: list[_File] = []
    for _source, documents in loaded:
        [gathered] = documents
        assert isinstance(gathered, _Gathered) and gathered.file is not None
        files.append(gathered.file)
    return _documents(files)


def _other_files(file: _File, groups: list[tuple[_File, ...]]) -> str:
    """The files ``file`` shares processes with, as a note names them: the first :data:`MAX_LISTED_GAPS` by name,
    then how many more (read from the groups, sorted by name, without making their union)."""
    listed: list[str] = []
    last: _File | None = None
    more = False
    for other in heapq.merge(*groups, key=lambda f: f.source.display):
        if other is file or other is last:
            continue
        last = other
        if len(listed) == MAX_LISTED_GAPS:
            more = True
            break
        listed.append(other.source.display)
    if not more:
        return ", ".join(listed)
    if len(groups) == 1:
        return f"{', '.join(listed)} and {len(groups[0]) - 1 - len(listed)} more files"
    return f"{', '.join(listed)} and more files"


def _documents(files: Sequence[_File]) -> list[list[Document]]:
    """The ``supplier-contracts`` document of each file: one record per mappable award of the compiled processes,
    in the file of the award's latest release."""
    compiled = _compile(files)
    if compiled.problems:
        raise EvidenceError(compiled.problems)
    mapper = _Mapper()
    problems: list[Problem] = []
    placed: dict[_File, list[tuple[tuple[int, ...], dict[str, Any], _Award]]] = {f: [] for f in files}
    gaps: dict[_File, list[tuple[tuple[int, int, int], str, _Award]]] = {f: [] for f in files}
    unsuccessful: dict[_File, int] = {}
    several: dict[_File, int] = {}
    by_award: dict[tuple[str, str], list[_Award]] = {}
    histories: dict[str, list[str]] = {}
    for implementing in compiled.contracts:
        by_award.setdefault(implementing.key, []).append(implementing)

    def order(found: _Award) -> tuple[int, int, int]:
        return (found.latest.order, found.path[-2] == "contracts", int(found.path[-1]))

    awards = {found.key for found in compiled.awards}
    for found in compiled.awards:
        contracts: list[_Award | None] = [*sorted(by_award.get(found.key, []), key=order)] or [None]
        if contracts == [None] and found.award.get("status") == "unsuccessful":
            unsuccessful[found.file] = unsuccessful.get(found.file, 0) + 1
            continue
        if len(contracts) > 1:
            several[found.file] = several.get(found.file, 0) + 1
        for contract in contracts:
            located = contract if contract is not None and len(contracts) > 1 else found
            try:
                record = mapper.record(found, contract, one_of_several=len(contracts) > 1)
            except _Gap as gap:
                gaps[located.file].append((order(located), str(gap), located))
                continue
            except EvidenceError as exc:
                problems.extend(exc.problems)
                continue
            history = compiled.releases[found.key[0]]
            if len(history) > 1:
                # Where the record's values came from: every release of the process, in the order merged. One
                # list per process, shared by its records (a process of n awards gave n records, each making n
                # strings, then each its own list of the n: quadratic, 8 bytes a release a record). Records are
                # read-only to rules.
                shown = histories.get(found.key[0])
                if shown is None:
                    shown = histories[found.key[0]] = [
                        f"{r.file.source.display} {r.file.where(r.path)}"
                        + (f" ({r.release_id})" if r.release_id else "")
                        for r in history
                    ]
                record["ocds_releases"] = shown
            placed[located.file].append(((*order(found), *order(contract or found)), record, located))
    for contract in compiled.contracts:
        if contract.key not in awards:
            gaps[contract.file].append((order(contract), ORPHAN, contract))
    out: list[list[Document]] = []
    # OCDS files given together are one evidence of contracts (their processes compiled across them): a file
    # of one release whose award has a gap (publishers serve a release a file) is a note beside the others'
    # contracts, as it would be in a package; only files that yield no contract at all must not pass as evidence.
    mapped = any(placed.values())
    for file in files:
        here = sorted(placed[file], key=lambda item: item[0])
        file_gaps = [(why, found) for _order, why, found in sorted(gaps[file], key=lambda item: item[0])]
        if file_gaps and not mapped:
            problems.extend(
                mapper.problem(
                    f"this award cannot be read as a contract: {why}{_ORPHAN_HINT if why == ORPHAN else ''}", found
                )
                for why, found in file_gaps
            )
        records = [record for _order, record, _found in here]
        paths = [found.path for _order, _record, found in here]

        def locate(index: int, paths: list[JsonPath] = paths, file: _File = file) -> int | None:
            return file.lines(paths[index]) if index < len(paths) else None

        notes = [
            *_notes(file, compiled, unsuccessful.get(file, 0), [(why, found.path) for why, found in file_gaps]),
            *(
                [
                    f"{_plural(several[file], 'award')} implemented by several contracts: one record per contract"
                    " (its id, value, period and status; its suppliers where the contract names them, else the"
                    " award's)"
                ]
                if several.get(file)
                else []
            ),
            "not provided by OCDS (rules that need them report insufficient evidence): "
            + ", ".join(sorted(NOT_PROVIDED)),
        ]
        if problems:
            continue
        out.append(
            [
                Document(
                    kind=KIND,
                    records=records,
                    locate=locate,
                    source=_summary(file, len({(r["ocid"], r["ocds_award_id"]) for r in records}), len(records)),
                    collected_on=file.collected_on,
                    records_line=file.records_line,
                    pointers=[record["ocds_pointer"] for record in records],
                    notes=tuple(notes),
                    not_provided=NOT_PROVIDED,
                )
            ]
        )
    if problems:
        raise EvidenceError(problems)
    for file in files:
        # The parsed releases are no longer needed (a record's line needs only file.blocks): free them now, not
        # at the end of the run, where a collection would walk every object of a 148 MB package.
        file.releases = []
    return out


def _summary(file: _File, awards: int, records: int) -> str:
    """The document's ``source``: what was read, and how many awards (and records) were mapped from it."""
    as_records = f" (as {_plural(records, 'contract record')})" if records != awards else ""
    return (
        f"OCDS {file.package}" + (f" ({file.publisher})" if file.publisher else "") + "; "
        f"{_plural(awards, 'award')} mapped{as_records} from {_plural(file.count, 'release')}"
    )


def _notes(
    file: _File, compiled: _Compiled, unsuccessful: int, gaps: Sequence[tuple[str, JsonPath]]
) -> tuple[str, ...]:
    """The document's notes: everything read but not mapped, and what was compiled with other files."""
    parts: list[str] = []
    if file.without_awards:
        parts.append(
            f"{_plural(file.without_awards, 'release')} without awards or contracts (planning, tender) not mapped"
        )
    if compiled.merged.get(file):
        parts.append(
            f"{_plural(compiled.merged[file], 'earlier award release')} merged with a later release of the award"
            " (OCDS merging: each field's latest value wins)"
        )
    shared = compiled.shared.get(file)
    if shared is not None:
        count, groups = shared
        names = _other_files(file, list(groups.values()))
        parts.append(
            f"{_plural(count, 'release')} compiled with releases of the same contracting processes (ocid) in {names}:"
            " each record is in the file of its award's latest release, and lists the releases in 'ocds_releases'"
        )
    for other, count in sorted(compiled.repeated.get(file, {}).items(), key=lambda item: item[0].source.display):
        parts.append(f"{_plural(count, 'release')} also in {other.source.display}, the same: read once")
    if unsuccessful:
        parts.append(f"{_plural(unsuccessful, 'unsuccessful award')} not mapped (not contracts)")
    if gaps:
        reasons: dict[str, int] = {}
        for why, _path in gaps:
            reasons[why] = reasons.get(why, 0) + 1
        listed = ", ".join(file.where(path) for _why, path in gaps[:MAX_LISTED_GAPS])
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
        Loader(
            name="ocds",
            extensions=(".ocds.json",),
            load=load_ocds,
            description=description,
            combine=combine_ocds,
            kinds_of=fixed_kinds(KIND),
        ),
        Loader(
            name="ocds",
            extensions=(".json",),
            load=load_ocds,
            description=description + ", recognised by its content",
            claims=claims_ocds,
            combine=combine_ocds,
            kinds_of=fixed_kinds(KIND),
        ),
        Loader(
            name="ocds",
            extensions=(".jsonl",),
            load=load_ocds_lines,
            description="OCDS JSON Lines (a release, record or package per line): awards as supplier-contracts",
            combine=combine_ocds,
            kinds_of=fixed_kinds(KIND),
        ),
    ]
