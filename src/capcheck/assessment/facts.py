"""What the scorecard reads of evidence records: per-kind facts, small and picklable, made where the records are.

The scorecard never walks records itself. Before the evidence is read, :func:`capcheck.assessment.scorecard.facts_asked`
says, from the selected rules, the areas and the scorecard data, what it will ask of each kind (a
:class:`FactsAsked`); wherever a kind's records are (this process, or a worker process that loaded them),
:func:`kind_facts` answers it in a :class:`KindFacts`: how many records there are, and for each fields tuple
asked, how many records are usable (every field holding a value that is not a placeholder) and how many lack
each field; the small kinds read whole (the organisation profile, the attestations) keep their records.

Copies (usable records that repeat another in every field but ``id``) are counted only when the scorecard
needs them (an area that could rate above 2): walking a register for them costs about 0.4 CPU s per 100,000
records, so :func:`kind_facts` computes them only for the fields tuples it is given in ``copies``, and
:func:`count_copies` counts them straight from records.

Facts of one kind made over two disjoint ranges of its records combine exactly (:meth:`KindFacts.combine`),
so one register may be split over processes: counts add, and copies keep a fixed-size digest of each distinct
record's copy key, so that a copy whose original is in the other range is still found.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from capcheck.core.lookalikes import LOOKALIKES, is_ignorable, plain_form

__all__ = [
    "Copies",
    "FactsAsked",
    "Fields",
    "KindAsk",
    "KindFacts",
    "Usable",
    "copy_keys",
    "count_copies",
    "kind_facts",
]

#: The fields a record needs to count for an area (``rules/scorecard/areas.toml``), in the data's order.
Fields = tuple[str, ...]

#: The size of a copy key's digest (blake2b): two distinct keys share one with a chance of about n² / 2¹²⁹.
DIGEST_SIZE = 16


@dataclass(frozen=True)
class KindAsk:
    """What the scorecard asks of one kind's records (besides their count, always given)."""

    #: The fields tuples whose usable records it counts (sorted, no repeats; ``()``: every record is usable).
    fields: tuple[Fields, ...] = ()
    #: Whether it reads the records themselves (the organisation profile, the attestations: small kinds).
    whole: bool = False


_NOTHING = KindAsk()


@dataclass(frozen=True)
class FactsAsked:
    """What the scorecard asks of each kind for one run; a kind not named is asked only its count."""

    kinds: Mapping[str, KindAsk] = field(default_factory=dict)
    #: Values that fill a needed field without saying anything (case-folded): such a field is missing.
    placeholders: frozenset[str] = frozenset()

    def of(self, kind: str) -> KindAsk:
        """What is asked of ``kind``."""
        return self.kinds.get(kind, _NOTHING)


@dataclass(frozen=True)
class Usable:
    """Of one kind's records, how many hold every field of a fields tuple, and how many lack each field."""

    usable: int
    #: Per field (in the tuple's order), the records lacking it; a field no record lacks is left out.
    missing: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Copies:
    """The usable records (for a fields tuple) as compared for copies: how many, and their distinct copy keys.

    ``digests`` holds each distinct copy key's 16-byte blake2b digest (:data:`DIGEST_SIZE`), not the key: it is
    what makes facts of two ranges combine exactly (a copy of a record in the other range is found by its
    digest) while staying a fixed size per record.
    """

    usable: int
    digests: frozenset[bytes] = frozenset()

    @property
    def repeats(self) -> int:
        """How many usable records repeat an earlier one in every field but ``id``."""
        return self.usable - len(self.digests)


@dataclass(frozen=True)
class KindFacts:
    """Everything the scorecard reads of one kind's records (:func:`kind_facts`): frozen and picklable."""

    kind: str
    count: int
    #: Per fields tuple asked: the usable records.
    usable: Mapping[Fields, Usable] = field(default_factory=dict)
    #: Per fields tuple asked for copies: the usable records' distinct copy keys.
    copies: Mapping[Fields, Copies] = field(default_factory=dict)
    #: The records themselves, for a kind the scorecard reads whole; else None.
    records: tuple[Mapping[str, Any], ...] | None = None

    def coverage(self, fields: Fields) -> Usable:
        """The usable records for ``fields`` (a LookupError when they were not asked: the asks are wrong)."""
        try:
            return self.usable[fields]
        except KeyError:
            raise LookupError(f"the facts of {self.kind} were not asked for the fields {fields!r}") from None

    def repeats(self, fields: Fields) -> int | None:
        """How many usable records (for ``fields``) are copies of another, or None when copies were not counted."""
        found = self.copies.get(fields)
        return None if found is None else found.repeats

    def whole(self) -> tuple[Mapping[str, Any], ...]:
        """The records (a LookupError when the kind was not asked whole: the asks are wrong)."""
        if self.records is None:
            raise LookupError(f"the facts of {self.kind} were not asked to keep its records")
        return self.records

    def combine(self, other: KindFacts) -> KindFacts:
        """The facts of this kind's records followed by ``other``'s, a disjoint range of the same kind's records,
        exactly as :func:`kind_facts` gives them for both ranges at once. Both must answer the same asks."""
        if other.kind != self.kind:
            raise ValueError(f"facts of {self.kind} and of {other.kind} do not combine: one kind at a time")
        if (set(self.usable), set(self.copies), self.records is None) != (
            set(other.usable),
            set(other.copies),
            other.records is None,
        ):
            raise ValueError(f"facts of {self.kind} answering different asks do not combine")
        usable = {
            fields: Usable(
                mine.usable + (theirs := other.usable[fields]).usable,
                {
                    f: n
                    for f in fields
                    if (n := mine.missing.get(f, 0) + theirs.missing.get(f, 0))  # only fields some record lacks
                },
            )
            for fields, mine in self.usable.items()
        }
        copies = {
            fields: Copies(mine.usable + other.copies[fields].usable, mine.digests | other.copies[fields].digests)
            for fields, mine in self.copies.items()
        }
        records = None if self.records is None or other.records is None else self.records + other.records
        return KindFacts(self.kind, self.count + other.count, usable, copies, records)


def kind_facts(
    kind: str, records: Sequence[Mapping[str, Any]], asked: FactsAsked, copies: Collection[Fields] = ()
) -> KindFacts:
    """What the scorecard asks (``asked``) of ``kind``'s ``records``, and its copies for each fields tuple in
    ``copies`` (:class:`Copies`; each walks every record: ask only when needed)."""
    ask = asked.of(kind)
    held = asked.placeholders
    usable: dict[Fields, Usable] = {}
    for fields in ask.fields:
        rows, missing = _unusable(records, fields, held)
        unusable = len(rows[0]) if len(rows) == 1 else len(set().union(*rows))  # one field: no set to make
        usable[fields] = Usable(len(records) - unusable, missing)
    found = {fields: _copies(records, fields, held) for fields in copies}
    return KindFacts(kind, len(records), usable, found, tuple(records) if ask.whole else None)


def count_copies(records: Sequence[Mapping[str, Any]], fields: Fields, placeholders: Collection[str] = ()) -> int:
    """How many of the usable ``records`` (every one of ``fields`` present, none a placeholder) repeat an earlier
    usable record in every field but ``id``, up to case, spacing and letter forms (:func:`_copy_key`): copies under
    new ids, which pad a register without covering more of the estate."""
    return _copies(records, fields, frozenset(placeholders)).repeats


def copy_keys(records: Sequence[Mapping[str, Any]], fields: Fields, placeholders: Collection[str] = ()) -> Copies:
    """The usable ``records`` and their distinct copy keys (:class:`Copies`), as :func:`count_copies` compares them:
    the keys of ranges of one register put together (``usable`` added, ``digests`` joined) count its copies."""
    return _copies(records, fields, frozenset(placeholders))


def _lacking(records: Sequence[Mapping[str, Any]], name: str, held: Collection[str]) -> list[int]:
    """The positions of the records lacking the field ``name``: absent, null or empty (``""``, ``[]``, ``{}``), blank
    text, or a text that is one of the placeholders ``held`` (case-folded, spaces around it aside: ``"TBC"``), as
    :func:`capcheck.core.rules.is_missing` has it for the rules; ``false`` and ``0`` are values."""
    # One comprehension, no call per record: this walks every record of large registers, and reading the records
    # is most of its cost (a list of the values, then a set of them, cost twice as much). Most texts are cleared
    # by their first character alone (:func:`_value_starts`).
    starts = _value_starts(frozenset(held))
    return [
        i
        for i, r in enumerate(records)
        if (not (v := r.get(name)) and v is not False and v != 0)
        or (
            type(v) is str
            and v[:1] not in starts
            and (
                not (t := v.strip())
                or t.casefold() in held
                or (not (t.isascii() and t.isprintable()) and _reads_missing(t, held))
            )
        )
    ]


def _reads_missing(text: str, held: Collection[str]) -> bool:
    """Whether a non-ASCII text reads as blank or one of ``held`` (``"TBC"`` in Cyrillic letters, or with a zero
    width space), as :func:`capcheck.core.rules.looks_missing` has it for the rules."""
    plain = plain_form(text)
    return plain == "" or plain in held


@functools.cache
def _value_starts(held: frozenset[str]) -> frozenset[str]:
    """The first characters of a text that is surely neither blank nor one of ``held``: the ASCII characters that are
    printable, not white space and start no placeholder in any case (:data:`capcheck.core.rules.VALUE_STARTS` for the
    list)."""
    firsts = {p[:1] for p in held}
    return frozenset(c for c in map(chr, range(32, 127)) if c != " " and c.casefold() not in firsts)


def _unusable(
    records: Sequence[Mapping[str, Any]], fields: Fields, held: Collection[str]
) -> tuple[list[list[int]], dict[str, int]]:
    """Per field some record lacks, the positions of the records lacking it, and how many there are."""
    missing: dict[str, int] = {}
    rows: list[list[int]] = []
    for name in fields:
        lacking = _lacking(records, name, held)
        if lacking:
            missing[name] = len(lacking)
            rows.append(lacking)
    return rows, missing


def _copies(records: Sequence[Mapping[str, Any]], fields: Fields, held: Collection[str]) -> Copies:
    rows, _ = _unusable(records, fields, held)
    unusable: set[int] = set().union(*rows)
    digests = {
        hashlib.blake2b(_copy_key(r).encode(), digest_size=DIGEST_SIZE).digest()
        for i, r in enumerate(records)
        if i not in unusable
    }
    return Copies(len(records) - len(unusable), frozenset(digests))


#: Combining marks (after NFKD: the accents of accented letters), left out of a copy's key.
_MARKS = re.compile(r"[\u0300-\u036f]")
#: The most characters one character becomes in a copy's key. NFKD makes at most 8 of any but one: U+FDFA, an
#: Arabic phrase written as one sign, is 18, and 3,000 of them made a key cost 230 times an ASCII one's.
_MAX_FORM = 4
#: How many characters' forms are kept (a file of every code point must not grow the table without bound).
_FORMS_KEPT = 1 << 16


class _KeyForms(dict[int, str]):
    """Each character's form in a copy's key, found once (``str.translate`` reads it per character): nothing for
    a character drawn as nothing (:func:`~capcheck.core.lookalikes.is_ignorable`), else NFKD, combining accents
    dropped, look-alikes as the Latin letters they look like. The 33 characters whose
    compatibility form is longer than ``_MAX_FORM`` (a phrase or a word written as one sign: U+FDFA, U+3300) are
    kept as they are, so that no text grows more than ``_MAX_FORM``-fold (a copy writing one of them out in
    letters is then not taken for a copy)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if is_ignorable(code):
            form = ""
        else:
            form = unicodedata.normalize("NFKD", char)
            form = char if len(form) > _MAX_FORM else _MARKS.sub("", form).translate(LOOKALIKES)
        if len(self) < _FORMS_KEPT:
            self[code] = form
        return form


_KEY_FORMS = _KeyForms()


def _copy_key(record: Mapping[str, Any]) -> str:
    """A record's fields but ``id``, as compared for copies: compact sorted JSON, compatibility-normalised (NFKD:
    full-width and ligature forms as their plain letters, accents dropped; Cyrillic and Greek look-alikes as the
    Latin letters they look like), case-folded, with runs of spaces as one and spaces at either end of a value
    dropped, so that changing a copy's case, spacing or letter forms does not make it new."""
    import orjson  # only when a level above 2 is at stake (see the scorecard): never on a plain check

    text = orjson.dumps(
        {k: v for k, v in record.items() if k != "id"}, option=orjson.OPT_SORT_KEYS, default=str
    ).decode()
    if not text.isascii():
        # Character by character, as NFKD decomposes (one pass over the text, not over its expansion); NFKD
        # also puts combining marks in their canonical order: so does NFD, for the rare text that needs it.
        text = text.translate(_KEY_FORMS)
        if not unicodedata.is_normalized("NFD", text):
            text = unicodedata.normalize("NFD", text)
    # str methods, not regular expressions: this walks every record of a register (they took 0.3 CPU s per 100k)
    spaced = " ".join(text.casefold().replace("\\n", " ").replace("\\r", " ").replace("\\t", " ").split())
    return spaced.replace(' "', '"').replace('" ', '"')  # the compact JSON has no space next to a quote of its own
