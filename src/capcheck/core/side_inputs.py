"""Reading input files safely: one bounded reader and strict JSON, TOML and YAML parsers.

Every *side input* (the config file, waivers, baselines, rule files, the findings documents
``capcheck diff`` compares) is read with :func:`read_document`, and evidence files with
:func:`read_bounded` and the same parsers, so that every input file is refused alike when it is:

* not a regular file (a FIFO, device or socket: opened with ``O_NONBLOCK`` and ``fstat``-ed,
  so a pipe never blocks), unreadable, or larger than its cap (checked before reading);
* not UTF-8 (the byte offset and line are named) or holding a raw NUL byte;
* malformed, nested deeper than a limit, holding a duplicate key, a YAML alias, an integer of
  more than :data:`MAX_INT_DIGITS` digits, a non-finite number or an impossible date.

A document capcheck wrote (a findings document, a baseline) and an evidence envelope carry a version, judged
by :func:`version_problem`; fingerprints listed twice are found by :func:`duplicate_fingerprints`.

Each problem is raised as the caller's :class:`~capcheck.core.errors.CapcheckError` subclass with the
file and a line or JSON pointer; values echoed in messages are shortened (:func:`shorten`).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import stat
import sys
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Protocol, TypeVar

from capcheck.core.errors import CapcheckError, Problem, elide

__all__ = [
    "BASELINE_MAX_BYTES",
    "CONFIG_MAX_BYTES",
    "FINDINGS_MAX_BYTES",
    "MAX_INT_DIGITS",
    "MAX_SCHEMA_PROBLEMS",
    "RULE_FILE_MAX_BYTES",
    "SIDE_INPUT_MAX_DEPTH",
    "WAIVERS_MAX_BYTES",
    "Fails",
    "Named",
    "SideDocument",
    "check_tree",
    "decode_strict",
    "duplicate_fingerprints",
    "elide",
    "escape_token",
    "first_errors",
    "is_version",
    "parse_json",
    "parse_toml",
    "parse_yaml",
    "read_bounded",
    "read_document",
    "read_json",
    "shorten",
    "version_problem",
]

_MIB = 1 << 20
#: The largest config file (``capcheck.toml``, ``pyproject.toml``) read.
CONFIG_MAX_BYTES = 1 * _MIB
#: The largest declarative rule file read (and hashed).
RULE_FILE_MAX_BYTES = 1 * _MIB
#: The largest waivers file read.
WAIVERS_MAX_BYTES = 16 * _MIB
#: The largest baseline file read.
BASELINE_MAX_BYTES = 256 * _MIB
#: The largest findings document ``capcheck diff`` reads.
FINDINGS_MAX_BYTES = 512 * _MIB
#: The deepest nesting of objects and arrays in a side input (rule files allow more: conditions nest).
SIDE_INPUT_MAX_DEPTH = 64
#: The most digits an integer may have (Python's own limit on converting text to int).
MAX_INT_DIGITS = 4300
#: The longest value echoed in a message before it is cut with "…".
ECHO_CHARS = 80


class Fails(Protocol):
    """Something that makes a located error for one file (a :class:`Named` or an evidence ``SourceFile``)."""

    def fail(self, message: str, *, line: int | None = None, pointer: str | None = None) -> CapcheckError:
        """The error to raise for one problem in this file."""
        ...


@dataclass(frozen=True)
class Named:
    """A file as named in messages, and the error class its problems raise."""

    shown: str
    error: type[CapcheckError]

    def fail(self, message: str, *, line: int | None = None, pointer: str | None = None) -> CapcheckError:
        """The error to raise for one problem in this file."""
        return self.error(Problem(message, path=self.shown, line=line, pointer=pointer))


#: The most schema problems listed for one side input (waivers, a baseline, a rule case file).
MAX_SCHEMA_PROBLEMS = 50

_E = TypeVar("_E")


def first_errors(
    errors: Iterable[_E], key: Callable[[_E], Any], limit: int = MAX_SCHEMA_PROBLEMS
) -> tuple[list[_E], bool]:
    """The first ``limit`` of a validator's ``errors``, sorted by ``key``, and whether there were more.

    The errors are read lazily and no further than one past ``limit``: a 7 MB waivers file of a million
    empty entries has six million, and sorting them all (to list the first few) took 22 GB and 80 s of CPU.
    """
    taken = list(itertools.islice(errors, limit + 1))
    return sorted(taken[:limit], key=key), len(taken) > limit


def shorten(value: object, limit: int = ECHO_CHARS) -> str:
    """A value as echoed in a message: ``repr`` for strings, cut to ``limit`` characters with "…"."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def escape_token(token: object) -> str:
    """One JSON Pointer reference token (``~`` and ``/`` escaped)."""
    return str(token).replace("~", "~0").replace("/", "~1")


# ---------------------------------------------------------------------------------------------
# Bytes
# ---------------------------------------------------------------------------------------------


def read_bounded(path: Path, named: Fails, *, what: str, limit: int, cap: str = "") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    The file is opened with ``O_NONBLOCK`` (a FIFO opens at once instead of waiting for a writer)
    and ``fstat``-ed before anything is read: a pipe, device or directory, or a file over the cap,
    is refused without reading it; a file that grows while read is refused at ``limit + 1`` bytes.

    :param what: what the file should be ("waivers file"), for messages.
    :param cap: what sets the limit, for messages (default: "for a <what>").
    """
    cap = cap or f"for a {what}"
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise named.fail(f"no such {what}") from None
    except IsADirectoryError:
        raise named.fail(f"a directory, not a {what}") from None
    except OSError as exc:
        raise named.fail(f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise named.fail(f"a directory, not a {what}")
        if not stat.S_ISREG(info.st_mode):
            raise named.fail(f"not a regular file (a pipe, socket or device), not a {what}")
        if info.st_size > limit:
            raise named.fail(f"larger than the {_size(limit)} limit {cap}")
        chunks: list[bytes] = []
        left = limit + 1
        step = info.st_size + 1  # the whole file in one read, usually: no second copy to join chunks
        while left > 0:
            chunk = os.read(fd, max(min(left, step), 1))
            step = 1 << 20
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise named.fail(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(data) > limit:
        raise named.fail(f"larger than the {_size(limit)} limit {cap} (it grew while read)")
    return data


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= _MIB else f"{n:,} bytes"


def decode_strict(data: bytes, named: Fails) -> str:
    """UTF-8 text (a leading BOM dropped); a bad byte or a raw NUL byte is a located problem."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # PowerShell's and Excel's "Unicode": not "not text"
        raise named.fail("UTF-16 text (its byte-order mark says so); save the file as UTF-8", line=1)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise named.fail(f"a NUL byte at offset {nul}: not a text file", line=data.count(b"\n", 0, nul) + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise named.fail(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); save the file as UTF-8",
            line=data.count(b"\n", 0, exc.start) + 1,
        ) from None


# ---------------------------------------------------------------------------------------------
# Parsed values
# ---------------------------------------------------------------------------------------------


def check_tree(named: Fails, value: Any, *, max_depth: int, pointer: str = "") -> None:
    """Refuse nesting deeper than ``max_depth``, non-string keys and non-finite numbers."""
    stack: list[tuple[Any, str, int]] = [(value, pointer, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise named.fail(f"nested more than {max_depth} levels deep", pointer=where)
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        raise named.fail(f"keys must be strings, not {shorten(key)}", pointer=where)
                    stack.append((child, f"{where}/{escape_token(key)}", depth + 1))
            else:
                stack.extend((child, f"{where}/{i}", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            raise named.fail(f"{item} is not an allowed number", pointer=where)


class _Duplicates(dict[str, Any]):
    """An object in which a key appeared twice (parse_json finds it after parsing, for its pointer)."""

    duplicate: str = ""


class _HugeInt(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    marked = _Duplicates(out)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            marked.duplicate = key
            break
        seen.add(key)
    return marked


def _int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise _HugeInt(text)
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _HugeInt(text)
    return value


def _refuse_constant(text: str) -> Any:
    raise _HugeInt(text)


def _line_of(text: str, token: str) -> int | None:
    at = text.find(token)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


#: Calls on the stack beyond the nesting itself while a parser recurses (its hooks, our own frames).
_RECURSION_MARGIN = 64


def _stack_depth() -> int:
    frame = sys._getframe(1)  # CPython's way to count frames (inspect.stack builds a record per frame)
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]  # f_back is None at the bottom
    return depth


@contextmanager
def _recursion_room(calls: int) -> Iterator[None]:
    """Room on the stack for ``calls`` nested calls more than are made now.

    Python's JSON parser and tomllib recurse once (TOML: up to three times) per level of nesting and count
    against the recursion limit (1,000), so a JSON file 996 levels deep was refused as "more than 1024
    levels deep". The limit is raised for the parse (by what the bound needs, a few hundred C frames of
    some hundred bytes each) and put back after.
    """
    limit = sys.getrecursionlimit()
    needed = _stack_depth() + calls + _RECURSION_MARGIN
    if needed <= limit:
        yield
        return
    sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep(named: Fails, text: str, max_depth: int) -> CapcheckError:
    """The problem of a JSON text the parser recursed too deep in: where it first nests deeper than
    ``max_depth`` (found by a scan of its brackets outside strings; this is the error path only)."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                line = text.count("\n", 0, match.start()) + 1
                return named.fail(f"nested more than {max_depth} levels deep", line=line)
        elif token in "]}":
            depth -= 1
    return named.fail(f"nested deeper than this Python parses (at most {max_depth} levels are allowed)")


def parse_json(text: str, named: Fails, *, max_depth: int = SIDE_INPUT_MAX_DEPTH) -> Any:
    """Strict JSON: no duplicate keys, no NaN/Infinity, integers of at most MAX_INT_DIGITS digits,
    nesting of at most ``max_depth`` levels."""
    try:
        with _recursion_room(max_depth):
            doc = json.loads(
                text, object_pairs_hook=_object, parse_int=_int, parse_float=_float, parse_constant=_refuse_constant
            )
    except json.JSONDecodeError as exc:
        raise named.fail(f"malformed JSON: {exc.msg}", line=exc.lineno) from None
    except _HugeInt as exc:
        raise named.fail(_number_problem(str(exc)), line=_line_of(text, str(exc))) from None
    except RecursionError:
        raise _too_deep(named, text, max_depth) from None
    _find_duplicates(named, doc, max_depth)
    check_tree(named, doc, max_depth=max_depth)
    return doc


def _number_problem(token: str) -> str:
    if token.lstrip("+-").isdigit():
        return f"an integer of {len(token.lstrip('+-'))} digits (at most {MAX_INT_DIGITS})"
    return f"{shorten(token)} is not an allowed number (finite numbers only)"


def _find_duplicates(named: Fails, doc: Any, max_depth: int) -> None:
    stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > max_depth:
            continue  # check_tree reports it
        if isinstance(item, _Duplicates):
            raise named.fail(
                f"duplicate key {shorten(item.duplicate)}", pointer=f"{where}/{escape_token(item.duplicate)}"
            )
        if isinstance(item, dict):
            stack.extend((v, f"{where}/{escape_token(k)}", depth + 1) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}/{i}", depth + 1) for i, v in enumerate(item))


_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)\s*$")
#: tomllib recurses three calls per level of inline tables (table, key/value pair, value).
_TOML_CALLS_PER_LEVEL = 3
_LONG_INT = re.compile(rf"[+-]?[0-9_]{{{MAX_INT_DIGITS + 1},}}")


def parse_toml(text: str, named: Fails, *, max_depth: int = SIDE_INPUT_MAX_DEPTH, label: str = "malformed TOML") -> Any:
    """TOML (duplicate keys and impossible dates are errors in TOML itself), with bounded nesting and integers."""
    try:
        with _recursion_room(_TOML_CALLS_PER_LEVEL * max_depth):
            doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_AT.search(message)
        cause = _TOML_AT_END.sub("", _TOML_AT.sub("", message))
        raise named.fail(f"{label}: {cause}", line=int(match.group(1)) if match else None) from None
    except RecursionError:
        raise named.fail(f"nested more than {max_depth} levels deep") from None
    except ValueError:  # tomllib converts integers with int(): Python's digit limit
        long = _LONG_INT.search(text)
        digits = len(long.group(0).lstrip("+-").replace("_", "")) if long else MAX_INT_DIGITS + 1
        line = text.count("\n", 0, long.start()) + 1 if long else None
        raise named.fail(f"an integer of {digits} digits (at most {MAX_INT_DIGITS})", line=line) from None
    check_tree(named, doc, max_depth=max_depth)
    return doc


# ---------------------------------------------------------------------------------------------
# YAML: events checked before anything is built, a strict safe constructor
# ---------------------------------------------------------------------------------------------


def _yaml_loader() -> Any:
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[misc]  # PyYAML's loaders are untyped classes
        """The safe loader, refusing duplicate keys, huge integers and impossible dates with their line."""

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=True)
                    try:
                        duplicate = key in seen
                        seen.add(key)
                    except TypeError:
                        raise yaml.constructor.ConstructorError(
                            None, None, "a mapping key that is not a plain value", key_node.start_mark
                        ) from None
                    if duplicate:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {shorten(key)}", key_node.start_mark
                        )
            return super().construct_mapping(node, deep=deep)

    def checked(construct: Callable[[Any, Any], Any], what: str) -> Callable[[Any, Any], Any]:
        def run(loader: Any, node: Any) -> Any:
            try:
                return construct(loader, node)
            except (ValueError, OverflowError):
                raise yaml.constructor.ConstructorError(
                    None, None, f"{shorten(node.value)} is not a valid {what}", node.start_mark
                ) from None

        return run

    StrictLoader.add_constructor("tag:yaml.org,2002:int", checked(base.construct_yaml_int, "integer"))
    StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", checked(base.construct_yaml_timestamp, "date"))
    StrictLoader.add_constructor("tag:yaml.org,2002:float", checked(base.construct_yaml_float, "number"))
    return StrictLoader


_LOADER: Any = None


def parse_yaml(text: str | bytes, named: Fails, *, max_depth: int, holds: str) -> tuple[Any, Any]:
    """One YAML document, safely: ``(root node, value)``; the node gives line numbers.

    The event stream is read first to refuse aliases (the "billion laughs" bomb), nesting deeper
    than ``max_depth`` and a second document before any object is built; then the document is
    composed and built with the safe constructor (tags such as ``!!python/object`` are errors,
    never code), refusing duplicate keys, integers over MAX_INT_DIGITS digits and impossible dates.

    :param text: the text, or UTF-8 bytes already checked with :func:`decode_strict`.
    :param holds: what the file holds, for messages ("evidence", "a waivers file").
    """
    import yaml

    global _LOADER
    if _LOADER is None:
        _LOADER = _yaml_loader()
    try:
        _check_events(yaml.parse(text, Loader=_LOADER), named, max_depth, holds)
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            doc = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        cause = " ".join(p for p in (exc.context, exc.problem) if p)
        raise named.fail(f"malformed YAML: {elide(cause)}", line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise named.fail(f"malformed YAML: {elide(str(exc))}") from None
    except RecursionError:
        raise named.fail(f"nested more than {max_depth} levels deep") from None
    return node, doc


def _check_events(events: Iterable[Any], named: Fails, max_depth: int, holds: str) -> None:
    import yaml

    depth = 0
    documents = 0
    for event in events:
        line = None if event.start_mark is None else event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise named.fail(f"YAML aliases (*name) are not allowed in {holds}: write the values out", line=line)
        if isinstance(event, yaml.ScalarEvent) and event.value == "<<" and event.implicit[0]:
            # A plain << is a merge key: "could not determine a constructor for the tag ...merge" said nothing useful
            raise named.fail(f"YAML merge keys (<<) are not allowed in {holds}: write the values out", line=line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise named.fail(f"nested more than {max_depth} levels deep", line=line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise named.fail(
                    f"more than one YAML document ('---'): put one document in each {holds} file"
                    if holds == "evidence"
                    else "more than one YAML document ('---'): a file holds one",
                    line=line,
                )


# ---------------------------------------------------------------------------------------------
# Side inputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SideDocument:
    """A side input read and parsed: its text, its value, and (for YAML) its root node for lines."""

    named: Named
    text: str
    value: Any
    node: Any = None


def read_document(
    path: Path,
    *,
    shown: str,
    what: str,
    error: type[CapcheckError],
    limit: int,
    formats: tuple[str, ...],
    max_depth: int = SIDE_INPUT_MAX_DEPTH,
) -> SideDocument:
    """Read and parse one side input, the format chosen by its extension among ``formats``.

    :param what: what the file is, for messages ("waivers file").
    :param formats: the extensions accepted, e.g. ``(".yaml", ".yml", ".toml")``.
    :raises CapcheckError: (of class ``error``) for every problem listed in the module docstring.
    """
    named = Named(shown, error)
    suffix = path.suffix.lower()
    if suffix not in formats:
        raise named.fail(
            f"a {what} is {', '.join(formats[:-1])} or {formats[-1]}"
            if len(formats) > 1
            else f"a {what} is {formats[0]}"
        )
    text = decode_strict(read_bounded(path, named, what=what, limit=limit), named)
    if suffix == ".json":
        return SideDocument(named, text, parse_json(text, named, max_depth=max_depth))
    if suffix == ".toml":
        return SideDocument(named, text, parse_toml(text, named, max_depth=max_depth))
    node, value = parse_yaml(text, named, max_depth=max_depth, holds=f"a {what}")
    check_tree(named, value, max_depth=max_depth)
    return SideDocument(named, text, value, node)


def read_json(path: Path, *, what: str, error: type[CapcheckError], limit: int) -> Any:
    """A JSON side input of any extension (baselines, findings documents), parsed strictly.

    :raises CapcheckError: (of class ``error``) naming the file, with a line or pointer.
    """
    from capcheck.core.models import display_path  # models imports pydantic: only when a file is read

    named = Named(display_path(path), error)
    return parse_json(decode_strict(read_bounded(path, named, what=what, limit=limit), named), named)


def iso_dates(value: Any) -> Any:
    """YAML/TOML dates and times as ISO strings, as JSON holds them (a new value; the input is kept)."""
    if isinstance(value, dict):
        return {k: iso_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [iso_dates(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


# ---------------------------------------------------------------------------------------------
# Versions and identities of what capcheck wrote (findings documents, baselines) and of evidence
# ---------------------------------------------------------------------------------------------

_VERSION = re.compile(r"(0|[1-9][0-9]{0,5})(?:\.[0-9]{1,6}){0,2}")


def is_version(value: object) -> bool:
    """Whether ``value`` is a version string: ``MAJOR[.MINOR[.PATCH]]`` (``"2.1"``)."""
    return isinstance(value, str) and _VERSION.fullmatch(value) is not None


def version_problem(
    value: object,
    *,
    current: str,
    oldest_major: int,
    what: str,
    newer: str = "use the capcheck that wrote it, or a newer one",
) -> str | None:
    """Why ``value`` is not a version this capcheck reads, or None when it is one.

    A version is ``MAJOR[.MINOR[.PATCH]]`` (``"2.1"``); only its major counts: a major from
    ``oldest_major`` to that of ``current`` is read (a newer minor only adds members), one newer than
    ``current``'s is of a format this capcheck does not know, and one older than ``oldest_major`` is no
    longer read. Both would be judged against the wrong shape, so the caller refuses them.

    :param what: what the version is of, for messages ("findings document format").
    :param newer: what to do about a newer major, for messages.
    """
    newest = int(current.split(".", 1)[0])
    readable = f"{oldest_major}.x" if oldest_major == newest else f"{oldest_major}.x to {newest}.x"
    if value is None:
        return f"missing: the version of the {what} ({readable}, e.g. {current!r})"
    if not isinstance(value, str) or not is_version(value):
        return f"not a version of the {what} ({readable}, e.g. {current!r}): {shorten(value)}"
    major = int(value.split(".", 1)[0])
    if major > newest:
        return (
            f"version {value} of the {what} is newer than this capcheck reads ({readable}, current {current}): " + newer
        )
    if major < oldest_major:
        return f"version {value} of the {what} is older than this capcheck reads ({readable})"
    return None


def duplicate_fingerprints(
    entries: Iterable[Any], path: str, *, at: str = "/findings", same: Callable[[dict[str, Any]], Any] | None = None
) -> list[Problem]:
    """A problem for each entry of ``entries`` (objects with a ``fingerprint``) whose fingerprint an earlier
    entry has: fingerprints key baselines and diffs, so a second entry would silently replace the first.
    Each problem is at the later entry's pointer and names the earlier one's (``at`` is the list's pointer).

    :param same: when given, a repeat is allowed if ``same`` gives the same value for both entries (what the
        caller reads of them agrees, so either may stand for both); only a disagreeing repeat is a problem.
    """
    first: dict[Any, tuple[int, dict[str, Any]]] = {}
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str):
            continue
        earlier, kept = first.setdefault(fingerprint, (index, entry))
        if earlier == index or (same is not None and same(kept) == same(entry)):
            continue
        cause = "one entry per fingerprint" if same is None else "the two disagree, and a fingerprint names one finding"
        problems.append(
            Problem(
                f"fingerprint {shorten(fingerprint)} is also that of {at}/{earlier}: {cause} "
                "(a hash of its rule, kind, record id and group)",
                path=path,
                pointer=f"{at}/{index}",
            )
        )
        if len(problems) >= MAX_SCHEMA_PROBLEMS:
            break
    return problems
