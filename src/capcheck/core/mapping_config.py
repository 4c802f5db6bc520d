"""Reading the config's ``[[mapping]]`` tables: strict validation (unknown keys with a suggestion, each problem
with the config's line and pointer) and compilation into :class:`capcheck.core.mapping.FileMapping` values."""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import re2

from capcheck.core.errors import ConfigError, Problem
from capcheck.core.mapping import (
    DELIMITERS,
    MAPPING_KEYS,
    NUMBER_STYLES,
    SKIP_KEYS,
    FileMapping,
    SkipRule,
    template_names,
    without_names,
)
from capcheck.core.side_inputs import escape_token, shorten
from capcheck.core.wording import suggestion

__all__ = ["compile_mappings"]

#: The ``strftime`` directives a date format may use (those that read a date or a time of day).
_DATE_DIRECTIVES = frozenset("dmyYbBaAjHIMSpfz%")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.never_capture = True


def compile_mappings(
    tables: Sequence[Any], *, shown: str = "<config>", text: str = "", prefix: str = "", base: Path | None = None
) -> tuple[FileMapping, ...]:
    """Validate the config's ``mapping`` tables and compile them, in order.

    :param shown: the config file as shown in messages; ``text``: its text (to find each table's line);
        ``prefix``: the tables' pointer prefix (``/tool/capcheck`` in pyproject.toml); ``base``: the
        directory globs are relative to.
    :raises ConfigError: every problem, each with the config file, the table's (or key's) line and pointer.
    """
    problems: list[Problem] = []
    out: list[FileMapping] = []
    lines = _table_lines(text)
    for number, table in enumerate(tables, start=1):
        start = lines[number - 1] if number <= len(lines) else None
        end = lines[number] if number < len(lines) else None
        fail = _TableProblems(problems, number, shown, text, prefix, start, end)
        compiled = _compile_table(table, number, shown, base, fail)
        if compiled is not None:
            out.append(compiled)
    if problems:
        raise ConfigError(problems)
    return tuple(out)


@dataclass
class _TableProblems:
    """Collects one ``[[mapping]]`` table's problems, each with the line of the table or of its key."""

    problems: list[Problem]
    number: int
    shown: str
    text: str
    prefix: str
    start: int | None
    end: int | None
    count: int = 0

    def __call__(self, message: str, key: str | None = None) -> None:
        pointer = f"{self.prefix}/mapping/{self.number - 1}"
        if key is not None:
            pointer += "".join("/" + escape_token(k) for k in key.split(".", 1))
        line = _key_line(self.text, self.start, self.end, key.split(".")[0]) if key is not None else self.start
        self.problems.append(
            Problem(f"[[mapping]] {self.number}: {message}", path=self.shown, line=line, pointer=pointer)
        )
        self.count += 1


_TABLE_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*(?:tool[ \t]*\.[ \t]*capcheck[ \t]*\.[ \t]*)?mapping[ \t]*\]\]", re.M)


def _table_lines(text: str) -> list[int]:
    return [text.count("\n", 0, m.start()) + 1 for m in _TABLE_HEADER.finditer(text)]


def _key_line(text: str, start: int | None, end: int | None, key: str) -> int | None:
    if start is None:
        return None
    lines = text.splitlines()
    stop = (end - 1) if end is not None else len(lines)
    name = re.escape(key)
    pattern = re.compile(
        rf"^[ \t]*(?:{name}|\"{name}\")[ \t]*=|^[ \t]*\[[ \t]*(?:tool\.capcheck\.)?mapping\.{name}[ \t]*\]"
    )
    for number in range(start, stop + 1):
        if number - 1 < len(lines) and pattern.match(lines[number - 1]):
            return number
    return start


def _did_you_mean(key: str, allowed: Sequence[str]) -> str:
    return suggestion(key, allowed, f"allowed: {', '.join(allowed)}")


def _compile_table(table: Any, number: int, shown: str, base: Path | None, fail: _TableProblems) -> FileMapping | None:
    if not isinstance(table, dict):
        fail("a mapping must be a table")
        return None
    before = fail.count
    for key in table:
        if key not in MAPPING_KEYS:
            fail(f"unknown key {shorten(key)} ({_did_you_mean(str(key), MAPPING_KEYS)})", str(key))
    files = table.get("files")
    if isinstance(files, str):
        files = [files]
    if not isinstance(files, list) or not files or not all(isinstance(f, str) and f for f in files):
        fail("'files' is required: a file name or glob, or a list of them (files = \"registers/*.xlsx\")", "files")
        files = []
    sheet = _optional(table, "sheet", str, "a sheet name", fail)
    kind = _optional(table, "kind", str, "a kind id", fail)
    header_row = table.get("header_row")
    if header_row is not None and (type(header_row) is not int or not 1 <= header_row <= 1_000_000):
        fail(f"'header_row' must be a row number from 1, not {shorten(header_row)}", "header_row")
        header_row = None
    encoding = _optional(table, "encoding", str, "an encoding name", fail)
    if encoding is not None:
        try:
            info = codecs.lookup(encoding)
            if not info._is_text_encoding:  # the codec registry's only text/bytes marker
                raise LookupError
        except LookupError:
            fail(f"unknown text encoding {shorten(encoding)} (e.g. utf-8, utf-8-sig, cp1252, latin-1)", "encoding")
    delimiter = table.get("delimiter")  # not _optional: a tab is all space
    if delimiter is not None and delimiter not in DELIMITERS:
        fail(
            f"'delimiter' must be one of {', '.join(map(json.dumps, DELIMITERS))}, not {shorten(delimiter)}",
            "delimiter",
        )
        delimiter = None
    trim = table.get("trim", False)
    if type(trim) is not bool:
        fail(f"'trim' must be true or false, not {shorten(trim)}", "trim")
        trim = False
    id_ = _optional(table, "id", str, 'a column name or a template ("{org_code}-{edition}")', fail)
    if id_ is not None and ("{" in id_ or "}" in id_):
        rest = without_names(id_)
        if "{" in rest or "}" in rest or any(not n.strip() for n in template_names(id_)):
            fail(f"'id' {shorten(id_)} is not a template: name columns in braces, \"{{org_code}}-{{edition}}\"", "id")
    rename = _string_table(table, "rename", fail)
    targets: dict[str, str] = {}
    for header, target in rename.items():
        if target in targets:
            fail(f"rename: {shorten(targets[target])} and {shorten(header)} both become {shorten(target)}", "rename")
        targets[target] = header
    values: dict[str, dict[str, Any]] = {}
    raw_values = table.get("values", {})
    if not isinstance(raw_values, dict):
        fail("'values' must be a table of fields, each a table of value -> value", "values")
        raw_values = {}
    for name, spec in raw_values.items():
        if not isinstance(spec, dict) or not spec:
            fail(f'values.{name} must be a table of value -> value ("Y" = true)', f"values.{name}")
            continue
        folded: dict[str, Any] = {}
        for given, to in spec.items():
            if not isinstance(to, str | bool | int | float):
                fail(f"values.{name}.{given}: a value must be a string, number or boolean", f"values.{name}")
            key = given.strip().casefold()
            if key in folded:
                fail(
                    f"values.{name}: {shorten(given)} is given twice (values match case-insensitively)",
                    f"values.{name}",
                )
            folded[key] = to
        values[name] = folded
    dates: dict[str, tuple[str, ...]] = {}
    raw_dates = table.get("dates", {})
    if not isinstance(raw_dates, dict):
        fail("'dates' must be a table of field (or \"*\") -> format", "dates")
        raw_dates = {}
    for name, spec in raw_dates.items():
        formats = [spec] if isinstance(spec, str) else spec
        if not isinstance(formats, list) or not formats or not all(isinstance(f, str) for f in formats):
            fail(f"dates.{name} must be a format or a list of formats", f"dates.{name}")
            continue
        for fmt in formats:
            problem = _date_format_problem(fmt)
            if problem:
                fail(f"dates.{name}: {problem}", f"dates.{name}")
        dates[name] = tuple(formats)
    numbers: dict[str, str] = {}
    raw_numbers = table.get("numbers", {})
    if not isinstance(raw_numbers, dict):
        fail("'numbers' must be a table of field (or \"*\") -> style", "numbers")
        raw_numbers = {}
    for name, style in raw_numbers.items():
        if style not in NUMBER_STYLES:
            fail(
                f"numbers.{name}: {shorten(style)} is not a number style"
                f" (one of: {', '.join(map(json.dumps, NUMBER_STYLES))})",
                f"numbers.{name}",
            )
            continue
        numbers[name] = style
    constants: dict[str, Any] = {}
    raw_set = table.get("set", {})
    if not isinstance(raw_set, dict):
        fail("'set' must be a table of field -> value (relationship = \"partner\")", "set")
        raw_set = {}
    for name, value in raw_set.items():
        if not isinstance(value, str | bool | int | float) or (isinstance(value, str) and not value.strip()):
            fail(f"set.{name}: a value must be a non-empty string, a number or a boolean, not {shorten(value)}", "set")
        elif name in targets:
            fail(f"set.{name}: column {shorten(targets[name])} becomes {shorten(name)} too (rename)", "set")
        elif name == "id":
            fail("set.id: every record needs its own id: name a column, or a template, with 'id'", "set")
        else:
            constants[name] = value
    skips: list[SkipRule] = []
    raw_skips = table.get("skip_rows", [])
    if not isinstance(raw_skips, list):
        fail('\'skip_rows\' must be a list of tables ({ field = "status", equals = "Total" })', "skip_rows")
        raw_skips = []
    for index, spec in enumerate(raw_skips, start=1):
        rule = _skip_rule(spec, index, fail)
        if rule is not None:
            skips.append(rule)
    if fail.count > before:
        return None
    canonical = json.dumps(table, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return FileMapping(
        number=number,
        source=f"{shown}:[[mapping]] {number}",
        files=tuple(files),
        base=base,
        sheet=sheet,
        kind=kind,
        header_row=header_row,
        encoding=encoding,
        delimiter=delimiter,
        trim=trim,
        id=id_,
        rename=rename,
        values=values,
        dates=dates,
        numbers=numbers,
        skip_rows=tuple(skips),
        set=constants,
        sha256=hashlib.sha256(canonical.encode()).hexdigest(),
    )


def _optional(table: Mapping[str, Any], key: str, kind: type, what: str, fail: _TableProblems) -> Any:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        fail(f"{key!r} must be {what}, not {shorten(value)}", key)
        return None
    return value


def _string_table(table: Mapping[str, Any], key: str, fail: _TableProblems) -> dict[str, str]:
    value = table.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
        fail(f'{key!r} must be a table of column -> field ("Asset Tag" = "id")', key)
        return {}
    return {str(k).strip(): v.strip() for k, v in value.items()}


def _date_format_problem(fmt: str) -> str | None:
    if fmt in ("excel", "iso"):
        return None
    directives = re.findall(r"%(.)", fmt)
    if not directives:
        return f'{shorten(fmt)} is not a date format: use strftime directives ("%d/%m/%Y"), "excel" or "iso"'
    bad = [d for d in directives if d not in _DATE_DIRECTIVES]
    if bad:
        return f"{shorten(fmt)}: %{bad[0]} is not a date or time directive"
    # strptime compiles the format to a regular expression with a named group per directive.
    twice = [d for d in dict.fromkeys(directives) if d != "%" and directives.count(d) > 1]
    if twice:
        return f"{shorten(fmt)}: %{twice[0]} is given twice"
    if not {"d", "j"} & set(directives) and "Y" not in directives and "y" not in directives:
        return f"{shorten(fmt)} reads no day or year"
    return None


def _skip_rule(spec: Any, index: int, fail: _TableProblems) -> SkipRule | None:
    key = "skip_rows"
    if not isinstance(spec, dict):
        fail(f'skip_rows {index} must be a table ({{ field = "status", equals = "Total" }})', key)
        return None
    for name in spec:
        if name not in SKIP_KEYS:
            fail(f"skip_rows {index}: unknown key {shorten(name)} ({_did_you_mean(str(name), SKIP_KEYS)})", key)
            return None
    target = spec.get("field")
    if not isinstance(target, str) or not target:
        fail(f"skip_rows {index}: 'field' (the column, after rename) is required", key)
        return None
    tests = [k for k in ("equals", "empty", "matches") if k in spec]
    if len(tests) != 1:
        fail(f"skip_rows {index}: give exactly one of equals, empty, matches", key)
        return None
    test = tests[0]
    value = spec[test]
    if test == "equals":
        wanted = [value] if isinstance(value, str) else value
        if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted) or not wanted:
            fail(f"skip_rows {index}: 'equals' must be a string or a list of strings", key)
            return None
        folded = frozenset(w.strip().casefold() for w in wanted)
        shown = f"{target} equals " + ", ".join(json.dumps(w, ensure_ascii=False) for w in wanted)
        return SkipRule(target, lambda text: text.strip().casefold() in folded, shown)
    if test == "empty":
        if value is not True:
            fail(f"skip_rows {index}: 'empty' must be true", key)
            return None
        return SkipRule(target, lambda text: not text.strip(), f"{target} empty")
    if not isinstance(value, str) or not value:
        fail(f"skip_rows {index}: 'matches' must be a regular expression", key)
        return None
    try:
        pattern = re2.compile(value, _RE2_OPTIONS)
    except re2.error as exc:
        cause = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        fail(f"skip_rows {index}: bad regular expression {shorten(value)}: {cause} (RE2 syntax)", key)
        return None
    return SkipRule(target, lambda text: pattern.search(text) is not None, f"{target} matches {json.dumps(value)}")
