"""The parsed pack (``rules/parsed-pack.jsonl``): the bundled rule files' documents, parsed ahead, used only for the
exact bytes they were made from, and kept in step with the TOML files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from capcheck.builtins.declarative import CompileContext, toml_format
from capcheck.builtins.declarative.toml_format import PARSED_PACK_FILE, compile_rule_file, parsed_pack
from capcheck.core.errors import RuleFileError
from capcheck.core.resources import data_dir

RULES = data_dir("rules")


def _bundled_rule_files() -> list[Path]:
    return sorted(p for p in RULES.rglob("*.toml") if b"[[rule]]" in p.read_bytes())


@pytest.fixture
def pack_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point the parsed pack at another rules directory (its cache cleared before and after)."""

    def point(root: Path) -> None:
        monkeypatch.setattr(toml_format, "data_dir", lambda name: root)
        toml_format._parsed_lines.cache_clear()

    yield point
    toml_format._parsed_lines.cache_clear()


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the TOML was parsed")

    monkeypatch.setattr(toml_format, "parse_toml", refuse)


def test_the_parsed_pack_is_up_to_date() -> None:
    # Stale, a changed rule file is parsed at every start (correct, only slower): regenerate it.
    assert (RULES / PARSED_PACK_FILE).read_bytes() == parsed_pack(RULES), (
        "rules/parsed-pack.jsonl is stale: run python tools/refresh_parsed_pack.py"
    )


def test_every_bundled_rule_file_is_in_it_and_compiles_from_it_alone(
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


def test_each_use_gets_its_own_document(monkeypatch: pytest.MonkeyPatch) -> None:
    path = _bundled_rule_files()[0]
    _no_parsing(monkeypatch)
    first = toml_format._parse(path, path.name)[1]
    first["rule"].clear()  # what one compile keeps or changes, the next never sees
    assert toml_format._parse(path, path.name)[1]["rule"]


def test_a_copy_of_a_bundled_file_is_served_from_it_wherever_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compile_context: CompileContext
) -> None:
    source = _bundled_rule_files()[0]
    copy = tmp_path / "mine.toml"
    shutil.copyfile(source, copy)
    _no_parsing(monkeypatch)
    assert compile_rule_file(copy, "mine.toml", compile_context)


def test_a_file_differing_by_one_byte_is_parsed(tmp_path: Path, compile_context: CompileContext) -> None:
    source = _bundled_rule_files()[0]
    text = source.read_text(encoding="utf-8")
    (rule,) = [r for r in compile_rule_file(source, source.name, compile_context)][:1]
    edited = tmp_path / source.name
    edited.write_text(text.replace(f'title = "{rule.meta.title}"', f'title = "{rule.meta.title}!"', 1), "utf-8")
    (changed, *_) = compile_rule_file(edited, edited.name, compile_context)
    assert changed.meta.title == rule.meta.title + "!"


def test_a_broken_or_missing_pack_is_passed_over(tmp_path: Path, pack_at: Any, compile_context: CompileContext) -> None:
    source = _bundled_rule_files()[0]
    root = tmp_path / "rules"
    root.mkdir()
    shutil.copyfile(source, root / source.name)
    good = parsed_pack(root)
    expected = [r.meta for r in compile_rule_file(root / source.name, source.name, compile_context)]
    sha = good[len(b'{"sha256":"') :][:64]
    for broken in (
        b"",  # no pack line for the file
        good[: len(good) // 2] + b"\n",  # cut short: not JSON
        good.replace(b'"document":{', b'"document":[{', 1).replace(b"}\n", b"]}\n"),  # not a table
        b'{"sha256":"' + sha + b'","path":"x","document":"rule"}\n',  # a string
        good.replace(sha, sha[:-1] + (b"0" if sha[-1:] != b"0" else b"1"), 1),  # another file's hash
        b"\xff\xfe not a pack at all\n",
    ):
        (root / PARSED_PACK_FILE).write_bytes(broken)
        pack_at(root)
        assert [r.meta for r in compile_rule_file(root / source.name, source.name, compile_context)] == expected
    (root / PARSED_PACK_FILE).unlink()
    pack_at(root)
    assert [r.meta for r in compile_rule_file(root / source.name, source.name, compile_context)] == expected


def test_a_document_json_cannot_carry_exactly_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[[rule]]\nid = "A-001"\nweight = 1.0\n', "utf-8")
    (tmp_path / "b.toml").write_text("[[rule]]\nweight = nan\n", "utf-8")
    (tmp_path / "c.toml").write_text("[[rule]]\nweight = 18446744073709551616\n", "utf-8")
    (tmp_path / "d.toml").write_text("[[rule]\n", "utf-8")  # not TOML: left to be reported where it is read
    (tmp_path / "e.toml").write_text('[[area]]\nid = "X"\n', "utf-8")  # no rules
    (tmp_path / "f.toml").write_text("[[rule]]\nsince = 2026-01-02\n", "utf-8")
    lines = parsed_pack(tmp_path).splitlines()
    assert [line.split(b'"path":')[1].split(b",")[0] for line in lines] == [b'"a.toml"', b'"f.toml"']
    assert b'"weight":1.0' in lines[0]  # a float stays a float
    assert b'"since":"2026-01-02"' in lines[1]  # a date as the compiler reads it: ISO text


def test_a_file_that_is_not_utf8_is_refused_as_before(tmp_path: Path, compile_context: CompileContext) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'[[rule]]\nid = "\xff"\n')
    with pytest.raises(RuleFileError):
        compile_rule_file(bad, "bad.toml", compile_context)
