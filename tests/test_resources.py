"""capcheck's own TOML files parsed ahead (``rules/parsed-toml.jsonl``): used only for the exact bytes each line
was made from, giving what parsing gives, and kept in step with the files."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from capcheck.builtins.areas import bundled_areas
from capcheck.builtins.declarative import CompileContext, toml_format
from capcheck.builtins.declarative.toml_format import compile_rule_file
from capcheck.builtins.frameworks import load_framework
from capcheck.core import resources
from capcheck.core.errors import RuleFileError
from capcheck.core.kinds import bundled_kinds
from capcheck.core.resources import PARSED_TOML_FILE, bundled_toml, data_dir, parsed_toml, parsed_toml_lines

RULES = data_dir("rules")


@pytest.fixture(scope="module")
def compile_context() -> CompileContext:
    """The bundled areas and kinds."""
    return CompileContext(areas=frozenset(a.id for a in bundled_areas()), kinds={k.id: k for k in bundled_kinds()})


def _bundled_rule_files() -> list[Path]:
    return sorted(p for p in RULES.rglob("*.toml") if b"[[rule]]" in p.read_bytes())


@pytest.fixture
def pack_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """Point the parsed TOML at another rules directory (its cache cleared before and after)."""

    def point(root: Path) -> None:
        monkeypatch.setattr(resources, "data_dir", lambda name: root)
        resources._parsed_lines.cache_clear()

    yield point
    resources._parsed_lines.cache_clear()


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the TOML was parsed")

    monkeypatch.setattr(toml_format, "parse_toml", refuse)
    monkeypatch.setattr(resources.tomllib, "loads", refuse)


def test_the_parsed_toml_is_up_to_date() -> None:
    # Stale, a changed file is parsed at every start (correct, only slower): regenerate it.
    assert (RULES / PARSED_TOML_FILE).read_bytes() == parsed_toml_lines(RULES), (
        "rules/parsed-toml.jsonl is stale: run python tools/refresh_parsed_toml.py"
    )


def test_every_bundled_file_without_dates_is_served_as_parsing_gives_it(monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted(RULES.rglob("*.toml"))
    expected = {p: tomllib.loads(p.read_text("utf-8")) for p in files}
    with_dates = {p.name for p in files if parsed_toml(p.read_bytes()) is None}
    assert with_dates == {"dspt-editions.toml", "procurement-thresholds.toml"}  # dates: JSON has none
    _no_parsing(monkeypatch)
    for path in files:
        if path.name not in with_dates:
            assert bundled_toml(path) == expected[path], path


def test_every_bundled_rule_file_compiles_from_it_alone(
    monkeypatch: pytest.MonkeyPatch, compile_context: CompileContext
) -> None:
    files = _bundled_rule_files()
    expected = {p: toml_format._parse(p, p.name, pack=False)[1] for p in files}
    assert len(files) >= 40
    _no_parsing(monkeypatch)
    for path in files:
        text, document = toml_format._parse(path, path.name)
        assert text == path.read_text(encoding="utf-8")
        assert document == expected[path], path
        assert compile_rule_file(path, path.name, compile_context), path


def test_each_use_gets_its_own_document() -> None:
    data = _bundled_rule_files()[0].read_bytes()
    first = parsed_toml(data)
    assert first is not None
    first["rule"].clear()  # what one compile keeps or changes, the next never sees
    again = parsed_toml(data)
    assert again is not None and again["rule"]


def test_a_copy_of_a_bundled_file_is_served_wherever_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compile_context: CompileContext
) -> None:
    source = _bundled_rule_files()[0]
    copy = tmp_path / "mine.toml"
    shutil.copyfile(source, copy)
    _no_parsing(monkeypatch)
    assert compile_rule_file(copy, "mine.toml", compile_context)
    framework = sorted((RULES / "frameworks").glob("*.toml"))[0]
    shutil.copyfile(framework, tmp_path / framework.name)
    assert load_framework(tmp_path / framework.name) == load_framework(framework)


def test_a_file_differing_by_one_byte_is_parsed(tmp_path: Path, compile_context: CompileContext) -> None:
    source = _bundled_rule_files()[0]
    text = source.read_text(encoding="utf-8")
    rule = compile_rule_file(source, source.name, compile_context)[0]
    edited = tmp_path / source.name
    edited.write_text(text.replace(f'title = "{rule.meta.title}"', f'title = "{rule.meta.title}!"', 1), "utf-8")
    assert compile_rule_file(edited, edited.name, compile_context)[0].meta.title == rule.meta.title + "!"
    areas = (RULES / "areas.toml").read_text("utf-8")
    (tmp_path / "areas.toml").write_text(areas + "\n# mine\n", "utf-8")
    assert bundled_toml(tmp_path / "areas.toml") == tomllib.loads(areas)


def test_a_broken_or_missing_file_is_passed_over(
    tmp_path: Path, pack_at: Callable[[Path], None], compile_context: CompileContext
) -> None:
    source = _bundled_rule_files()[0]
    root = tmp_path / "rules"
    root.mkdir()
    shutil.copyfile(source, root / source.name)
    good = parsed_toml_lines(root)
    expected = [r.meta for r in compile_rule_file(root / source.name, source.name, compile_context)]
    sha = good[len(b'{"sha256":"') :][:64]
    for broken in (
        b"",  # no line for the file
        good[: len(good) // 2] + b"\n",  # cut short: not JSON
        good.replace(b'"document":{', b'"document":[{', 1).replace(b"}\n", b"]}\n"),  # not a table
        b'{"sha256":"' + sha + b'","path":"x","document":"rule"}\n',  # a string
        good.replace(sha, sha[:-1] + (b"0" if sha[-1:] != b"0" else b"1"), 1),  # another file's hash
        b"\xff\xfe not parsed TOML at all\n",
    ):
        (root / PARSED_TOML_FILE).write_bytes(broken)
        pack_at(root)
        assert parsed_toml(source.read_bytes()) is None
        assert [r.meta for r in compile_rule_file(root / source.name, source.name, compile_context)] == expected
    (root / PARSED_TOML_FILE).write_bytes(good)
    pack_at(root)
    assert parsed_toml(source.read_bytes()) is not None  # the same file, whole: used
    (root / PARSED_TOML_FILE).unlink()
    pack_at(root)
    assert parsed_toml(source.read_bytes()) is None
    assert [r.meta for r in compile_rule_file(root / source.name, source.name, compile_context)] == expected


def test_a_document_not_every_reader_gets_alike_is_left_out(tmp_path: Path) -> None:
    files = {
        "a.toml": '[[rule]]\nid = "A-001"\nweight = 1.0\ncount = 1\n',
        "b.toml": "[[rule]]\nweight = nan\n",  # JSON has no nan
        "c.toml": "[[rule]]\nweight = 18446744073709551616\n",  # beyond 64 bits
        "d.toml": "[[rule]\n",  # not TOML: left to be reported where it is read
        "e.toml": "[[rule]]\nsince = 2026-01-02\n",  # a date: JSON has none
        "f.toml": "\ufeffa = 1\n",  # tomllib refuses a byte-order mark, the strict reader drops it
        "g.toml": "a = " + "[" * 70 + "]" * 70 + "\n",  # deeper than the strict reader allows
        "h.toml": '[[area]]\nid = "X"\n',
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, "utf-8")
    lines = parsed_toml_lines(tmp_path).splitlines()
    assert [line.split(b'"path":')[1].split(b",")[0] for line in lines] == [b'"a.toml"', b'"h.toml"']
    assert b'"weight":1.0,"count":1' in lines[0]  # a float stays a float, an integer an integer


def test_a_rule_file_that_is_not_utf8_is_refused_as_before(tmp_path: Path, compile_context: CompileContext) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'[[rule]]\nid = "\xff"\n')
    with pytest.raises(RuleFileError):
        compile_rule_file(bad, "bad.toml", compile_context)
