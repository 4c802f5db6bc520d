"""End-of-life data: the bundled endoflife.date snapshot, and filling in an asset's end of life from it.

The snapshot (``rules/reference-data/endoflife.json``, refreshed by ``tools/refresh_endoflife.py``) gives,
per product, its package URLs and, per release cycle, the end of security support: a date, ``false``
(no end of life announced: supported with no published end) or ``true`` (ended, no date published).

:func:`fill_end_of_life` runs on every ``it-assets`` document as it is loaded. An asset whose register
records neither ``end_of_life`` nor ``end_of_life_announced`` is matched to a release cycle, by its
``purl`` (an SBOM component) or by its ``product`` (an endoflife.date product id, its title, or a local
name mapped by the config's ``endoflife_products``) and ``version``; a match fills in ``end_of_life`` (a
date) or ``end_of_life_announced = false``, and ``end_of_life_source`` cites the snapshot and its date.
Nothing else changes: what the register states always wins, an asset the snapshot does not know stays
unknown (INFRA-001 fails it as before), and a document note counts what was filled and what was not.
A register that states a later end of life than the snapshot (a date after the snapshot's, or none
announced where the snapshot has one) still wins, but a second note counts those assets and names the
first few, so that a register claiming support the vendor ended is seen, not silently believed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from capcheck.core.hookspecs import hookimpl
from capcheck.core.loading import Enricher
from capcheck.core.resources import data_dir
from capcheck.core.wording import plural

if TYPE_CHECKING:
    from capcheck.core.loading import Document, LoadContext

__all__ = ["KIND", "SNAPSHOT_FILE", "Cycle", "Snapshot", "fill_end_of_life", "snapshot"]

#: The kind whose records are filled in.
KIND = "it-assets"
#: The snapshot, under the bundled rules directory.
SNAPSHOT_FILE = "reference-data/endoflife.json"
_SEPARATORS = re.compile(r"[\s_]+")
#: What follows a cycle in a letter release of it: OpenSSL's 1.1.1k (and a packager's suffix after it).
_LETTER_RELEASE = re.compile(r"[a-z]{1,2}(?:[-+~.]|\Z)")


@dataclass(frozen=True)
class Cycle:
    """One release cycle of a product: ``eol`` is a date (ISO), True (ended, no date) or False (none announced)."""

    product: str
    cycle: str
    eol: str | bool | None


@dataclass(frozen=True)
class Snapshot:
    """The products of the snapshot and the date it was taken (cited by findings)."""

    date: str
    products: Mapping[str, Sequence[Cycle]]
    #: Product id by normalised package URL (no version, qualifiers or subpath).
    purls: Mapping[str, str]
    #: Product id by lower-case title ("microsoft windows server").
    titles: Mapping[str, str]

    def cycle(self, product: str, version: str) -> Cycle | None:
        """The release cycle ``version`` belongs to: the cycle it equals or starts with (``3.8.20`` is
        in ``3.8``; ``2012 R2`` is ``2012-r2``; a letter release, ``1.1.1k`` or Debian's ``1.1.1n-0+deb11u5``,
        is in ``1.1.1``), the longest such; None if none."""
        wanted = _norm_version(version)
        best: Cycle | None = None
        for cycle in self.products.get(product, ()):
            name = cycle.cycle.lower()
            fits = wanted == name or wanted.startswith((name + ".", name + "-"))
            if not fits and name[-1:].isdigit() and wanted.startswith(name):
                fits = _LETTER_RELEASE.match(wanted, len(name)) is not None
            if fits and (best is None or len(name) > len(best.cycle)):
                best = cycle
        return best


def _norm_version(version: str) -> str:
    text = _SEPARATORS.sub("-", version.strip().lower())
    return text[1:] if text[:1] == "v" and text[1:2].isdigit() else text


def purl_base(purl: str) -> tuple[str, str | None]:
    """A package URL without its version, qualifiers and subpath (lower case), and its version if any:
    ``pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar`` -> (``pkg:maven/org.apache.logging.log4j/
    log4j-core``, ``2.14.1``)."""
    text = purl.split("#", 1)[0].split("?", 1)[0]
    base, _, version = text.partition("@")
    return base.lower().replace("%40", "@"), version or None


@cache
def snapshot() -> Snapshot:
    """The bundled snapshot; ValueError (naming the file) when it is malformed."""
    path = data_dir("rules") / SNAPSHOT_FILE
    doc = json.loads(path.read_text(encoding="utf-8"))
    try:
        date = str(doc["source"]["date"])
        products: dict[str, list[Cycle]] = {}
        purls: dict[str, str] = {}
        titles: dict[str, str] = {}
        for pid, product in doc["products"].items():
            products[pid] = [Cycle(pid, str(c["cycle"]), c.get("eol")) for c in product["cycles"]]
            titles[str(product["title"]).lower()] = pid
            for purl in product["purls"]:
                purls.setdefault(purl_base(purl)[0], pid)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not an end-of-life snapshot ({type(exc).__name__}: {exc})") from exc
    return Snapshot(date=date, products=products, purls=purls, titles=titles)


def _match(record: Mapping[str, Any], data: Snapshot, names: Mapping[str, str]) -> Cycle | None:
    version = record.get("version")
    purl = record.get("purl")
    if isinstance(purl, str) and purl.startswith("pkg:"):
        base, purl_version = purl_base(purl)
        product = data.purls.get(base)
        if product is not None and (purl_version or isinstance(version, str)):
            return data.cycle(product, purl_version or str(version))
    name = record.get("product")
    if not isinstance(name, str) or not isinstance(version, str) or not version.strip():
        return None
    key = name.strip().lower()
    product = names.get(key) or (key if key in data.products else None) or data.titles.get(key)
    return data.cycle(product, version) if product is not None else None


def fill_end_of_life(doc: Document, names: Mapping[str, str] | None = None) -> None:
    """Fill in the end of life of the document's assets that record none, from the snapshot (see the module).

    :param names: local product names (any case) -> endoflife.date product ids, from the config.
    """
    if doc.kind != KIND or not doc.records:
        return
    data = snapshot()
    local = {k.strip().lower(): v for k, v in (names or {}).items()}
    # One pass over the assets (a register's records are touched once: at a million assets each pass
    # cost 0.1-0.2 s of memory traffic alone): those recording neither field, to match, and the note on
    # those stating a later end of life than the snapshot, made before any is filled in.
    todo, later = _scan(doc.records, data, local)
    if not todo:
        doc.notes = (*doc.notes, *later)
        return
    filled = unannounced = ended = unknown = 0
    for record in todo:
        cycle = _match(record, data, local)
        if cycle is None or cycle.eol is None:
            unknown += 1
            continue
        cited = f"endoflife.date snapshot of {data.date}: {cycle.product} {cycle.cycle}"
        if cycle.eol is False:
            record["end_of_life_announced"] = False
            unannounced += 1
            cited += ", no end of life announced"
        elif cycle.eol is True:
            ended += 1
            cited += ", ended (no date published)"
        else:
            record["end_of_life"] = cycle.eol
            filled += 1
        record["end_of_life_source"] = cited
    if filled or unannounced or ended:
        doc.notes = (
            *doc.notes,
            f"end of life from the endoflife.date snapshot of {data.date}: {filled} dated, {unannounced} with none "
            f"announced, {ended} ended with no date; {unknown} not in the snapshot (unknown)",
        )
    elif any(isinstance(r.get("purl"), str) for r in todo):
        # An SBOM's components, none of them listed: said, else INFRA-006 judges none of them and nothing says why.
        doc.notes = (
            *doc.notes,
            f"end of life: {plural(unknown, 'asset')} without one, none in the endoflife.date snapshot of {data.date} "
            "(matched by purl, or product and version; endoflife_products in the config maps local product names): "
            "unknown",
        )
    doc.notes = (*doc.notes, *later)


#: How many of the assets stating a later end of life than the snapshot its note names.
_NAMED = 3


def _scan(records: Sequence[Any], data: Snapshot, names: Mapping[str, str]) -> tuple[list[Any], tuple[str, ...]]:
    """The assets recording neither ``end_of_life`` nor ``end_of_life_announced`` (to be matched), and the note
    counting the assets whose register states a later end of life than the snapshot (if any)."""
    todo: list[Any] = []
    # Each (product, version, purl) matched once (most assets share a few): its cycle and when it ended, or
    # None when no statement can be later than the snapshot's (unknown, or no end of life announced).
    ends: dict[tuple[Any, Any, Any], tuple[Cycle, str] | None] = {}
    later: list[str] = []
    count = 0
    for record in records:
        # The exact type test first: an ABC isinstance per record cost more than the rest of the fill-in.
        if type(record) is not dict and not isinstance(record, MutableMapping):
            continue
        stated = record.get("end_of_life")
        if stated is None:
            announced = record.get("end_of_life_announced")
            if announced is not False:
                if announced is None and "end_of_life" not in record and "end_of_life_announced" not in record:
                    todo.append(record)
                continue
        key = (record.get("product"), record.get("version"), record.get("purl"))
        known = ends.get(key, _UNSEEN)
        if known is _UNSEEN:
            known = ends[key] = _ended(_match(record, data, names))
        if known is None:
            continue
        cycle, ended = known
        if stated is None:  # none announced, where the snapshot has an end
            says = "none announced"
        # (A date first compared whole: a text is never less than its first ten characters, so the usual
        # earlier date is passed over without cutting them.)
        elif isinstance(stated, str) and stated > ended and cycle.eol is not True and stated[:10] > ended:
            says = stated[:10]
        else:
            continue
        count += 1
        if len(later) < _NAMED:
            later.append(f"{record.get('id')} {cycle.product} {cycle.cycle}: {says}, snapshot {ended}")
    if not count:
        return todo, ()
    more = f" and {count - len(later)} more" if count > len(later) else ""
    return todo, (
        f"{count} asset{'s' if count > 1 else ''} state{'' if count > 1 else 's'} a later end of life than the "
        f"endoflife.date snapshot of {data.date} (the register's is used): {'; '.join(later)}{more}",
    )


#: Not yet matched (None is a match's answer: nothing to compare).
_UNSEEN: Any = object()


def _ended(cycle: Cycle | None) -> tuple[Cycle, str] | None:
    """A matched cycle and when it ended (a date, or "ended"), or None when it has no end to compare with."""
    if cycle is None or cycle.eol is None or cycle.eol is False:
        return None
    return cycle, "ended" if cycle.eol is True else str(cycle.eol)


def _enrich(doc: Document, context: LoadContext) -> None:
    names = context.options.get("endoflife_products")
    fill_end_of_life(doc, names if isinstance(names, Mapping) else None)


@hookimpl
def capcheck_enrichers() -> Sequence[Enricher]:
    """The end-of-life enricher: assets' end of life from the bundled endoflife.date snapshot."""
    return [
        Enricher(
            name="endoflife",
            enrich=_enrich,
            kinds=(KIND,),
            description="fills in it-assets' end of life from the bundled endoflife.date snapshot",
        )
    ]
