"""DSPT helpers for Python rules: the editions and their deadlines (data), and the latest row per organisation.

A DSPT register is often kept as history: one row per organisation and edition. Only each
organisation's latest row says where it stands; earlier rows are not judged. The editions and their
publication deadlines are data (``rules/reference-data/dspt-editions.toml``): from an edition's
deadline on, it is the current edition and a status from an earlier one is out of date.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from capcheck.builtins.pack._dates import parse_date
from capcheck.core.joins import join_key
from capcheck.core.resources import data_dir

__all__ = [
    "EDITIONS_FILE",
    "Edition",
    "current_edition",
    "edition_of",
    "editions",
    "is_current",
    "latest_per_organisation",
    "own_codes",
    "publication",
]

#: The editions data file, under the bundled rules directory.
EDITIONS_FILE = "reference-data/dspt-editions.toml"
_NAME = re.compile(r"([0-9]{2})/([0-9]{2})\Z")
_PREFIX = re.compile(r"\s*([0-9]{2}/[0-9]{2})\b")


@dataclass(frozen=True, order=True)
class Edition:
    """One DSPT edition (a financial year, ``"25/26"``) and the date it must be published by."""

    deadline: date
    name: str


@cache
def editions() -> tuple[Edition, ...]:
    """The known editions, oldest first; ValueError (naming the file) when the data is malformed."""
    path = data_dir("rules") / EDITIONS_FILE
    with path.open("rb") as fh:
        doc = tomllib.load(fh)
    found: list[Edition] = []
    for i, entry in enumerate(doc.get("edition", [])):
        name, deadline = entry.get("name"), entry.get("deadline")
        match = _NAME.match(name) if isinstance(name, str) else None
        if match is None or type(deadline) is not date or int(match.group(2)) != (int(match.group(1)) + 1) % 100:
            raise ValueError(f"{path}: edition {i}: needs name 'YY/YY' (consecutive years) and deadline a date")
        found.append(Edition(deadline, name))
    if not found or found != sorted(found) or len({e.name for e in found}) != len(found):
        raise ValueError(f"{path}: editions must be listed oldest first, once each")
    return tuple(found)


def current_edition(as_of: date) -> Edition | None:
    """The edition every organisation must have published by ``as_of`` (the latest whose deadline is on or
    before it), or None before the first known deadline. ValueError when the data is more than a year
    out of date for ``as_of`` (a newer edition must exist that the data does not know)."""
    known = editions()
    if as_of > known[-1].deadline + timedelta(days=366):
        raise ValueError(
            f"the DSPT editions data ({EDITIONS_FILE}) ends with {known[-1].name} (deadline "
            f"{known[-1].deadline}); add the editions due by {as_of} before judging DSPT currency"
        )
    due = [e for e in known if e.deadline <= as_of]
    return due[-1] if due else None


def edition_of(record: Mapping[str, Any]) -> str | None:
    """The record's edition: its ``edition`` field, else the prefix of ``status_text`` ("22/23 Standards Met")."""
    edition = record.get("edition")
    if isinstance(edition, str) and _NAME.match(edition.strip()):
        return edition.strip()
    match = _PREFIX.match(record.get("status_text") or "")
    return match.group(1) if match else None


def _age(name: str | None) -> int:
    """An edition's position in time (its first year), for ordering; -1 when unknown."""
    return int(name[:2]) if name else -1


def is_current(name: str | None, current: Edition | None) -> bool:
    """Whether an edition named ``name`` ("25/26", or a status text starting with it) is the current one or the
    next (true when none is due yet). Anything else is not current: a name that is not an edition's ("N/A",
    which raised ValueError), a past one, or one no year has reached ("99/00" counted as later than 25/26)."""
    if current is None:
        return True
    match = _PREFIX.match(name) if name else None
    return match is not None and (_age(match.group(1)) - _age(current.name)) % 100 in (0, 1)


def own_codes(evidence: Any) -> frozenset[Any]:
    """The organisation's own codes (join keys of the ``organisation`` profile's ``org_code``): a DSPT row
    with one of them is the organisation's own assessment whatever its ``relationship`` says (a national
    status export lists every organisation as a partner, the reader's own among them)."""
    return frozenset(join_key(r.get("org_code")) for r in evidence.records("organisation")) - {None}


def latest_per_organisation(
    records: Iterable[Mapping[str, Any]], relationships: Sequence[str], own: frozenset[Any] = frozenset()
) -> list[Mapping[str, Any]]:
    """Each organisation's latest row (by published_on; on a tie, or with no dates, the later row in the
    file) among the rows with one of ``relationships``, in file order. Organisations are one by their
    ``org_code`` (capcheck.core.joins). A row whose code is one of ``own`` (:func:`own_codes`) counts as ``self``."""
    latest: dict[Any, tuple[tuple[date, int], Mapping[str, Any]]] = {}
    for index, record in enumerate(records):
        relationship = "self" if own and join_key(record.get("org_code")) in own else record.get("relationship")
        if relationship not in relationships:
            continue
        published = parse_date(record.get("published_on")) or date.min
        key = (published, index)
        org = join_key(record.get("org_code"))
        if org not in latest or key > latest[org][0]:
            latest[org] = (key, record)
    return [record for _, record in sorted(latest.values(), key=lambda kv: kv[0][1])]


def publication(record: Mapping[str, Any]) -> str:
    """When the row's status was published, as a finding says it: ``published 2023-06-30``; ``last published
    2022-06-28`` for a Not Published row (the portal keeps the date of the organisation's last publication);
    ``publication date not recorded`` when the row has none."""
    published = record.get("published_on")
    if not published:
        return "publication date not recorded"
    return f"{'last ' if record.get('status') == 'not-published' else ''}published {published}"
