"""Where capcheck's own data files are: the rule pack (``rules/``) and the schemas (``schemas/``).

In a built wheel they are packaged as ``capcheck/_data/``; in a source checkout (and an editable
install) they are the top-level ``rules/`` and ``schemas/`` directories of the repository. Their TOML files
are also there parsed ahead (:data:`PARSED_TOML_FILE`), so that a start-up does not parse them.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "PARSED_TOML_FILE",
    "bundled_toml",
    "data_dir",
    "load_schema",
    "parsed_toml",
    "parsed_toml_lines",
    "schema_path",
]

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/capcheck: this module is in capcheck/core


@cache
def data_dir(name: str) -> Path:
    """The directory of capcheck's data ``name`` (``"rules"`` or ``"schemas"``)."""
    packaged = _PACKAGE_DIR / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = _PACKAGE_DIR.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"capcheck data directory {name!r} is missing from this installation")


def schema_path(name: str) -> Path:
    """The path of a bundled schema, e.g. ``findings`` -> ``schemas/findings.schema.json``."""
    return data_dir("schemas") / f"{name}.schema.json"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A bundled schema, parsed (cached: treat it as read-only)."""
    with schema_path(name).open("rb") as fh:
        result: dict[str, Any] = json.load(fh)
    return result


#: capcheck's own TOML files (``rules/``: the rule pack and its data), parsed ahead: a JSON line per file, written
#: by ``tools/refresh_parsed_toml.py`` (:func:`parsed_toml_lines`) and kept in step with the files by a test.
#: Parsing them with :mod:`tomllib` (pure Python) was about a tenth of a check's start-up (docs/performance.md).
PARSED_TOML_FILE = "parsed-toml.jsonl"
#: How each line of :data:`PARSED_TOML_FILE` starts: the SHA-256 of the file's bytes (64 hex digits) follows.
_LINE_HEAD = b'{"sha256":"'
_LINE_KEY = slice(len(_LINE_HEAD), len(_LINE_HEAD) + 64)


@cache
def _parsed_lines() -> dict[bytes, bytes]:
    """The lines of :data:`PARSED_TOML_FILE` by the SHA-256 they start with; none if it cannot be read."""
    try:
        data = (data_dir("rules") / PARSED_TOML_FILE).read_bytes()
    except OSError:
        return {}
    return {line[_LINE_KEY]: line for line in data.splitlines() if line.startswith(_LINE_HEAD)}


def parsed_toml(data: bytes) -> dict[str, Any] | None:
    """The document of TOML text ``data`` if it is the bytes of one of capcheck's own TOML files, parsed ahead:
    what ``tomllib`` and the strict :func:`capcheck.core.side_inputs.parse_toml` both give for it. A new one at
    each call (a caller may keep or change parts of it). None when no line holds these bytes, or it is broken.

    A line is found by the hash of the bytes it was made from, so it stands for those bytes wherever they are
    read (a copy of a bundled rule file too); a file that differs in one byte is not found. The file is as
    trusted as the code beside it (both are installed together); a line that is not what the tool writes is
    passed over, never an error: the caller parses the TOML instead."""
    sha256 = hashlib.sha256(data).hexdigest()
    line = _parsed_lines().get(sha256.encode())
    if line is None:
        return None
    try:
        entry = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    document = entry.get("document") if isinstance(entry, dict) else None
    return document if isinstance(document, dict) and entry.get("sha256") == sha256 else None


def bundled_toml(path: Path) -> dict[str, Any]:
    """One of capcheck's own TOML files (``rules/...``), as ``tomllib.load`` gives it: parsed ahead when
    :data:`PARSED_TOML_FILE` holds its bytes, else parsed. Raises what ``tomllib.load`` raises."""
    data = path.read_bytes()
    document = parsed_toml(data)
    return tomllib.loads(data.decode()) if document is None else document


def parsed_toml_lines(root: Path) -> bytes:
    """The text of :data:`PARSED_TOML_FILE` for the TOML files under ``root`` (``tools/refresh_parsed_toml.py``).

    A line per file, in path order: its SHA-256, its path under ``root`` (for people), and its document. Only a
    document that every reader of the file gets alike is written: the file parses with ``tomllib`` and with the
    strict :func:`~capcheck.core.side_inputs.parse_toml` to the same document, and JSON carries it exactly (no
    date or time, no ``nan`` or ``inf``, no integer beyond 64 bits); any other file is parsed where it is read,
    as before, with its problems reported there."""
    from capcheck.core.errors import CapcheckError
    from capcheck.core.side_inputs import Named, decode_strict, parse_toml

    lines: list[bytes] = []
    for path in sorted(root.rglob("*.toml")):
        relative = path.relative_to(root).as_posix()
        data = path.read_bytes()
        named = Named(relative, CapcheckError)
        try:
            document = tomllib.loads(data.decode())
            if parse_toml(decode_strict(data, named), named) != document:
                continue
            encoded = orjson.dumps(document)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, CapcheckError, orjson.JSONEncodeError):
            continue
        if (
            orjson.loads(encoded) != document
        ):  # a date comes back as text, nan and inf as None; int and float stay apart
            continue
        head = b'%s%s","path":%s' % (_LINE_HEAD, hashlib.sha256(data).hexdigest().encode(), orjson.dumps(relative))
        lines.append(b'%s,"document":%s}\n' % (head, encoded))
    return b"".join(lines)
