"""The evidence set: finding files, validation against the kind schemas, ids, and the record index."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capcheck.core.errors import EvidenceError
from capcheck.core.loading import Document, LoadContext, Loader, SourceFile

RECORD = '{{"id": "{id}", "name": "n", "product": "p", "environment": "production", "criticality": "low"}}'


def assets_json(*ids: str) -> str:
    return '{"kind": "it-assets", "records": [' + ", ".join(RECORD.format(id=i) for i in ids) + "]}"


# --- finding files ----------------------------------------------------------------------------


def test_a_directory_is_walked_in_sorted_order(load, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("evidence/mixed", "evidence")
    evidence = load("evidence")
    assert [f.path for f in evidence.files] == [
        "evidence/governance-register.yaml",
        "evidence/it-assets.csv",
        "evidence/supplier-contracts.json",
    ]
    assert evidence.kinds() == ["governance-register", "it-assets", "supplier-contracts"]


def test_files_are_read_in_one_order_whatever_the_order_of_the_paths(load, workdir: Path) -> None:
    # The order of the PATH arguments must not reach the findings: it decided which file an aggregate
    # finding named, the order of its related records, and which of two clashing ids was "already used".
    (workdir / "ev" / "sub").mkdir(parents=True)
    (workdir / "ev" / "b.json").write_text(assets_json("B-1"))
    (workdir / "ev" / "a.json").write_text(assets_json("A-1"))
    (workdir / "ev" / "sub" / "c.json").write_text(assets_json("C-1"))
    (workdir / "z.json").write_text(assets_json("Z-1"))
    walked = ["z.json", "ev/a.json", "ev/b.json", "ev/sub/c.json"]  # as a walk of the working directory
    for paths in (["ev", "z.json"], ["z.json", "ev"], ["z.json", "ev/sub", "ev/b.json", "ev/a.json"]):
        evidence = load(*paths)
        assert [f.path for f in evidence.files] == walked, paths
        assert [r["id"] for r in evidence.records("it-assets")] == ["Z-1", "A-1", "B-1", "C-1"], paths
    absolute = load(workdir / "z.json", "ev")
    assert [f.path for f in absolute.files] == walked


def test_a_file_named_twice_is_read_once(load, workdir: Path) -> None:
    (workdir / "ev").mkdir()
    (workdir / "ev" / "a.json").write_text(assets_json("A-1"))
    evidence = load("ev", "ev/a.json", "./ev/../ev/a.json", workdir / "ev" / "a.json")
    assert [f.path for f in evidence.files] == ["ev/a.json"]
    assert [r["id"] for r in evidence.records("it-assets")] == ["A-1"]


def test_hidden_files_config_files_and_other_types_are_skipped_in_a_directory(load, workdir: Path) -> None:
    (workdir / "ev" / ".git").mkdir(parents=True)
    (workdir / "ev" / ".git" / "x.json").write_text("not json")
    (workdir / "ev" / ".draft.json").write_text("not json")
    (workdir / "ev" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (workdir / "ev" / "capcheck.toml").write_text("fail_on = 'high'\n")
    (workdir / "ev" / "README.md").write_text("# notes\n")
    (workdir / "ev" / "assets.json").write_text(assets_json("A-1"))
    assert [f.path for f in load("ev").files] == ["ev/assets.json"]


def test_a_missing_path(load, workdir: Path) -> None:
    assert load.problems("nowhere.json") == ["nowhere.json: no such file or directory"]


def test_a_directory_holding_no_evidence(load, workdir: Path) -> None:
    (workdir / "empty").mkdir()
    (workdir / "empty" / "notes.txt").write_text("hello")
    [problem] = load.problems("empty")
    assert (
        problem
        == "empty: no evidence files here (looked for .csv, .json, .ods, .toml, .xls, .xlsm, .xlsx, .yaml, .yml)"
    )


def test_an_unsupported_file_type(load, copy_fixture: Callable[..., Path]) -> None:
    [problem] = load.problems(copy_fixture("evidence/bad/notes.txt"))
    assert (
        problem == "notes.txt: cannot read .txt files as evidence "
        "(readable: .csv, .json, .ods, .toml, .xls, .xlsm, .xlsx, .yaml, .yml)"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_blocking(load, workdir: Path) -> None:
    os.mkfifo(workdir / "pipe.json")
    started = time.perf_counter()
    [problem] = load.problems("pipe.json")
    assert time.perf_counter() - started < 5
    assert problem == "pipe.json: not a regular file (a pipe, socket or device)"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_inside_a_directory_is_a_problem_never_read(load, workdir: Path) -> None:
    (workdir / "ev").mkdir()
    os.mkfifo(workdir / "ev" / "pipe.json")
    (workdir / "ev" / "real.json").write_text(assets_json("A-1"))
    started = time.perf_counter()
    assert load.problems("ev") == ["ev/pipe.json: not a regular file (a pipe, socket or device)"]
    assert time.perf_counter() - started < 5


def test_a_dangling_symlink_inside_a_directory_is_a_problem(load, workdir: Path) -> None:
    (workdir / "ev").mkdir()
    (workdir / "ev" / "gone.json").symlink_to(workdir / "nowhere.json")
    (workdir / "ev" / "real.json").write_text(assets_json("A-1"))
    assert load.problems("ev") == ["ev/gone.json: cannot read: No such file or directory"]


def test_a_symlinked_directory_inside_the_root_is_walked_and_a_loop_read_once(load, workdir: Path) -> None:
    """`current -> .exports/2026-11`: the link names what to read (the hidden folder alone is not walked)."""
    (workdir / "ev" / ".exports" / "2026-11").mkdir(parents=True)
    (workdir / "ev" / ".exports" / "2026-11" / "assets.json").write_text(assets_json("A-2"))
    (workdir / "ev" / "real.json").write_text(assets_json("A-1"))
    (workdir / "ev" / "current").symlink_to(workdir / "ev" / ".exports" / "2026-11", target_is_directory=True)
    (workdir / "ev" / "again").symlink_to(workdir / "ev" / "current", target_is_directory=True)  # read once
    (workdir / "ev" / ".exports" / "2026-11" / "loop").symlink_to(workdir / "ev", target_is_directory=True)
    evidence = load("ev")
    assert sorted(r["id"] for r in evidence.records("it-assets")) == ["A-1", "A-2"]
    assert sorted(f.path for f in evidence.files) == ["ev/.exports/2026-11/assets.json", "ev/real.json"]


def test_a_symlinked_directory_leading_outside_the_root_is_a_problem_never_walked(load, workdir: Path) -> None:
    """Not skipped silently, and not crawled: `evidence/x -> /` would walk the whole machine."""
    (workdir / "shared").mkdir()
    (workdir / "shared" / "legacy.json").write_text(assets_json("A-2"))
    (workdir / "ev").mkdir()
    (workdir / "ev" / "real.json").write_text(assets_json("A-1"))
    (workdir / "ev" / "legacy").symlink_to(workdir / "shared", target_is_directory=True)
    (workdir / "ev" / "root").symlink_to("/", target_is_directory=True)
    assert load.problems("ev") == [
        "ev/legacy: a symbolic link to a directory outside ev: not walked (name it as a PATH to check it)",
        "ev/root: a symbolic link to a directory outside ev: not walked (name it as a PATH to check it)",
    ]
    assert sorted(r["id"] for r in load("ev/real.json", "ev/legacy").records("it-assets")) == ["A-1", "A-2"]


def test_a_symlinked_file_leading_outside_the_root_is_a_problem_never_read(load, workdir: Path) -> None:
    """As a symlinked directory is: `ev/creds.json -> ~/.aws/credentials.json` in a pull request would put a
    file from outside the evidence directory into the report (its records, or its text quoted in an error)."""
    (workdir / "shared").mkdir()
    (workdir / "shared" / "legacy.json").write_text(assets_json("A-2"))
    (workdir / "ev" / "sub").mkdir(parents=True)
    (workdir / "ev" / ".exports").mkdir()
    (workdir / "ev" / ".exports" / "assets.json").write_text(assets_json("A-3"))
    (workdir / "ev" / "real.json").write_text(assets_json("A-1"))
    (workdir / "ev" / "sub" / "current.json").symlink_to(workdir / "ev" / ".exports" / "assets.json")  # inside
    (workdir / "ev" / "legacy.json").symlink_to(workdir / "shared" / "legacy.json")
    (workdir / "ev" / "sub" / "up.json").symlink_to(Path("..") / ".." / "shared" / "legacy.json")
    assert load.problems("ev") == [
        "ev/legacy.json: a symbolic link to a file outside ev: not read (name it as a PATH to check it)",
        "ev/sub/up.json: a symbolic link to a file outside ev: not read (name it as a PATH to check it)",
    ]
    (workdir / "ev" / "legacy.json").unlink()
    (workdir / "ev" / "sub" / "up.json").unlink()
    evidence = load("ev")  # a link inside the root is read
    assert sorted(r["id"] for r in evidence.records("it-assets")) == ["A-1", "A-3"]
    assert sorted(f.path for f in evidence.files) == ["ev/.exports/assets.json", "ev/real.json"]  # shown where it is
    assert load.problems("ev/sub") == [  # its own root is ev/sub
        "ev/sub/current.json: a symbolic link to a file outside ev/sub: not read (name it as a PATH to check it)"
    ]
    (workdir / "elsewhere.json").symlink_to(workdir / "shared" / "legacy.json")
    evidence = load("ev/real.json", "elsewhere.json")  # a file named as a PATH is read wherever it leads
    assert sorted(r["id"] for r in evidence.records("it-assets")) == ["A-1", "A-2"]


def test_one_file_reached_by_two_paths_is_read_once(load, workdir: Path) -> None:
    """A link to a file also walked (or named, or reached through a linked directory, or hard-linked) is that
    file: it was read twice, and its records were duplicates of themselves under one shown name (`ev/a.json:
    duplicate it-assets id 'A-1': already used at ev/a.json`, exit 2)."""
    (workdir / "ev" / "sub").mkdir(parents=True)
    (workdir / "ev" / "a.json").write_text(assets_json("A-1"))
    (workdir / "ev" / "sub" / "link.json").symlink_to(Path("..") / "a.json")
    (workdir / "ev" / "sub" / "up").symlink_to(Path(".."), target_is_directory=True)
    os.link(workdir / "ev" / "a.json", workdir / "ev" / "sub" / "hard.json")
    for paths in (["ev"], ["ev/sub/link.json", "ev"], ["ev/sub/up/a.json", "ev/sub/hard.json", "ev/a.json"]):
        evidence = load(*paths)
        assert [r["id"] for r in evidence.records("it-assets")] == ["A-1"], paths
        assert [f.path for f in evidence.files] == ["ev/a.json"], paths


def test_an_inode_of_zero_never_makes_two_files_one() -> None:
    """Some file systems have no file ids (os.stat gives inode 0 on each file): files are then told apart by path."""
    from capcheck.core.evidence import _in_walk_order

    files = [Path("ev/b.json"), Path("ev/a.json"), Path("ev/c.json")]
    assert _in_walk_order(files, [(1, 0), (1, 0), (1, 0)]) == [Path("ev/a.json"), Path("ev/b.json"), Path("ev/c.json")]
    assert _in_walk_order(files, [(1, 5), (1, 5), (1, 6)]) == [Path("ev/a.json"), Path("ev/c.json")]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read a mode-000 file")
def test_an_unreadable_file_by_permissions(load, workdir: Path) -> None:
    path = workdir / "secret.json"
    path.write_text(assets_json("A-1"))
    path.chmod(0)
    try:
        [problem] = load.problems("secret.json")
    finally:
        path.chmod(0o600)
    assert problem == "secret.json: cannot read: Permission denied"


def test_an_unreadable_file(load, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The open fails with EACCES (simulated: tests may run as root, who can read anything)."""
    (workdir / "secret.json").write_text(assets_json("A-1"))
    (workdir / "fine.json").write_text(assets_json("A-2"))
    real_open = os.open

    def guarded_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(path).name == "secret.json":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    assert load.problems("secret.json", "fine.json") == ["secret.json: cannot read: Permission denied"]


def test_an_unreadable_directory_is_a_problem_not_skipped(load, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A subdirectory that cannot be listed is named (simulated through os.scandir: tests may run as root)."""
    (workdir / "ev" / "locked").mkdir(parents=True)
    (workdir / "ev" / "locked" / "hidden.json").write_text(assets_json("A-1"))
    (workdir / "ev" / "fine.json").write_text(assets_json("A-2"))
    real_scandir = os.scandir

    def guarded_scandir(path: Any = ".") -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", guarded_scandir)
    assert load.problems("ev") == ["ev/locked: cannot read directory: Permission denied"]


def test_the_size_is_checked_before_reading(load, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sparse 2 GiB file is refused from its size alone: not one byte of it is read."""
    with (workdir / "sparse.json").open("wb") as fh:
        fh.truncate(2 << 30)
    real_read = os.read
    read: list[int] = []
    monkeypatch.setattr(os, "read", lambda fd, n: read.append(n) or real_read(fd, n))
    assert load.problems("sparse.json") == ["sparse.json: larger than the 1024 MiB limit (config max_file_mb)"]
    assert read == []


def test_a_file_over_the_size_limit_is_refused(load, workdir: Path) -> None:
    (workdir / "big.json").write_text(assets_json("A-1") + " " * (1 << 20))
    assert load.problems("big.json", max_file_mb=1) == ["big.json: larger than the 1 MiB limit (config max_file_mb)"]


def test_problems_reading_some_files_keep_the_order_of_the_files(load, workdir: Path) -> None:
    # Files are read one ahead, in a worker thread: a file's read problem is still reported in its place.
    (workdir / "ev").mkdir()
    (workdir / "ev" / "a.json").write_text(assets_json("A-1") + " " * (1 << 20))
    (workdir / "ev" / "b.json").write_text('{"kind": "it-assets", "records": [')
    (workdir / "ev" / "c.json").write_text(assets_json("C-1") + " " * (1 << 20))
    (workdir / "ev" / "d.json").write_text(assets_json("D-1"))
    assert load.problems("ev", max_file_mb=1) == [
        "ev/a.json: larger than the 1 MiB limit (config max_file_mb)",
        "ev/b.json:1: malformed JSON: unexpected end of data",
        "ev/c.json: larger than the 1 MiB limit (config max_file_mb)",
    ]


def test_each_file_is_hashed_as_read(load, workdir: Path) -> None:
    (workdir / "ev").mkdir()
    for name in ("a", "b", "c"):
        (workdir / "ev" / f"{name}.json").write_text(assets_json(f"{name.upper()}-1"))
    evidence = load("ev")
    assert [f.sha256 for f in evidence.files] == [
        hashlib.sha256((workdir / "ev" / f"{name}.json").read_bytes()).hexdigest() for name in ("a", "b", "c")
    ]


# --- validation ----------------------------------------------------------------------------------


def test_schema_invalid_record_has_line_and_pointer(load, copy_fixture: Callable[..., Path]) -> None:
    [problem] = load.problems(copy_fixture("evidence/bad/schema-invalid.json"))
    assert problem == (
        "schema-invalid.json:7: /records/3/value: -5 is less than the minimum of 0 (kind 'supplier-contracts')"
    )


def test_every_schema_problem_is_reported(load, workdir: Path) -> None:
    (workdir / "x.json").write_text('{"kind": "it-assets", "records": [\n{"id": "A-1", "name": 1}]}')
    problems = load.problems("x.json")
    assert "x.json:2: /records/0/name: 1 is not of type \"string\" (kind 'it-assets')" in problems
    missing = sorted(p for p in problems if "required property" in p)
    assert missing == [
        f"x.json:2: /records/0: \"{field}\" is a required property (kind 'it-assets')"
        for field in ("criticality", "environment", "product")
    ]


def test_date_format_is_checked(load, workdir: Path) -> None:
    record = RECORD.format(id="A-1")[:-1] + ', "end_of_life": "2024-02-30"}'
    (workdir / "x.json").write_text('{"kind": "it-assets", "records": [' + record + "]}")
    [problem] = load.problems("x.json")
    assert problem.startswith(
        'x.json:1: /records/0/end_of_life: "2024-02-30" is not a date (YYYY-MM-DD; a [[mapping]] converts other'
        " formats: capcheck inspect FILE)"
    )


def test_many_schema_problems_are_capped_per_file(load, workdir: Path) -> None:
    records = ",\n".join(f'{{"id": "A-{i}"}}' for i in range(200))  # each misses four required fields
    (workdir / "many.json").write_text('{"kind": "it-assets", "records": [\n' + records + "\n]}")
    problems = load.problems("many.json")
    assert len(problems) == 51
    assert problems[0].startswith("many.json:2: /records/0: ")
    assert problems[-1] == "many.json: ... and 750 more schema errors in this file"


def test_problems_from_every_file_are_reported_together(load, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("evidence/bad/schema-invalid.json", "ev/a.json")
    copy_fixture("evidence/bad/missing-kind.json", "ev/b.json")
    copy_fixture("evidence/formats/pretty.json", "ev/c.json")
    problems = load.problems("ev")
    assert [p.split(":")[0] for p in problems] == ["ev/a.json", "ev/b.json"]


# --- ids -------------------------------------------------------------------------------------


def test_duplicate_ids_in_one_file(load, copy_fixture: Callable[..., Path]) -> None:
    assert load.problems(copy_fixture("evidence/bad/duplicate-ids.json")) == [
        "duplicate-ids.json:6: /records/2/id: duplicate it-assets id 'AST-1': already used at "
        "duplicate-ids.json /records/0"
    ]


def test_duplicate_ids_across_files(load, copy_fixture: Callable[..., Path]) -> None:
    assert load.problems(copy_fixture("evidence/bad/dup-across")) == [
        "dup-across/second.yaml:8: /records/1/id: duplicate it-assets id 'AST-1': already used at "
        "dup-across/first.json /records/0"
    ]


def test_records_of_one_kind_from_several_files_are_indexed_at_their_own_files(load, workdir: Path) -> None:
    (workdir / "ev").mkdir()
    (workdir / "ev" / "a.json").write_text(assets_json("A-1", "A-2"))
    (workdir / "ev" / "b.json").write_text(assets_json("B-1"))
    (workdir / "ev" / "c.json").write_text(assets_json("C-1", "C-2", "C-3"))
    evidence = load("ev")
    assert [r["id"] for r in evidence.records("it-assets")] == ["A-1", "A-2", "B-1", "C-1", "C-2", "C-3"]
    assert evidence.get("it-assets", "C-2") is evidence.records("it-assets")[4]
    ref = evidence.ref("it-assets", "C-3")
    assert (ref.file, ref.pointer) == ("ev/c.json", "/records/2")


def test_a_duplicate_in_a_later_file_keeps_the_first_use(load, workdir: Path) -> None:
    (workdir / "ev").mkdir()
    (workdir / "ev" / "a.json").write_text(assets_json("A-1", "A-2"))
    (workdir / "ev" / "b.json").write_text(assets_json("B-1", "A-2", "B-2"))
    assert load.problems("ev") == [
        "ev/b.json:1: /records/1/id: duplicate it-assets id 'A-2': already used at ev/a.json /records/1"
    ]


def test_a_second_export_of_the_same_register_is_one_problem_saying_what_to_do(load, workdir: Path) -> None:
    """Two snapshots of the NHS DSPT status list (October and November) share every ODS code: each row was a
    duplicate-id problem of its own (42 for the ICB list) and none said what to do. The first five are
    listed; the rest are one problem naming both files and the two ways out."""
    (workdir / "ev").mkdir()
    ids = [f"A-{n}" for n in range(8)]
    (workdir / "ev" / "a.json").write_text(assets_json(*ids))
    (workdir / "ev" / "b.json").write_text(assets_json("B-1", *ids))
    found = load.problems("ev")
    assert found[:5] == [
        f"ev/b.json:1: /records/{n + 1}/id: duplicate it-assets id 'A-{n}': already used at ev/a.json /records/{n}"
        for n in range(5)
    ]
    assert found[5:] == [
        "ev/b.json: ... 8 of the 9 it-assets records here have ids already used in ev/a.json (the first 5 are"
        " listed above): if the two files are exports or snapshots of the same register, give only one of them"
        " (the latest); if they are different records, make their ids differ (a [[mapping]] id template, such as"
        ' "{org_code}-{edition}")'
    ]
    # Five repeats or fewer are listed one by one, as before.
    (workdir / "ev" / "b.json").write_text(assets_json(*ids[:5]))
    assert len(load.problems("ev")) == 5


# --- ids that differ only in case or spacing ------------------------------------------------------------


def _assets(*ids: str) -> str:
    """``assets_json`` with any id (escaped as JSON)."""
    return assets_json(*(json.dumps(i)[1:-1] for i in ids))


def test_ids_differing_only_in_case_are_one_id(load, workdir: Path) -> None:
    """Joins fold case and spacing (core.joins): SVC-1 and svc-1 loaded as two records, one to every join."""
    (workdir / "a.json").write_text(_assets("SVC-1", "SVC-2", "svc-1"))
    assert load.problems("a.json") == [
        "a.json:1: /records/2/id: duplicate it-assets id 'svc-1': 'SVC-1' at a.json /records/0 differs only in "
        "case or spacing, and ids are matched as text is across registers (case and spacing ignored): give the "
        "record one id"
    ]


@pytest.mark.parametrize("blank", ["\u200b", "\u2800\u2800", "\x00", "\u200d \ufeff", "\U000e0041"])
def test_an_id_that_shows_nothing_is_refused_where_it_is(load, workdir: Path, blank: str) -> None:
    """The schemas' "not blank" (a character that is not white space) let an id of zero width spaces or Braille
    blanks through: no reader can tell it from an empty id. Refused at its record, its characters shown."""
    (workdir / "a.json").write_text(_assets("SVC-1", blank, "SVC-\u200b2", "\u00e9-3"))  # the last two: visible
    assert load.problems("a.json") == [
        f"a.json:1: /records/1/id: it-assets id {blank!a} shows nothing (only characters drawn as nothing, such "
        "as zero width spaces or Braille blanks): give the record an id people can read"
    ]


@pytest.mark.parametrize(
    ("first", "later"),
    [("SVC-1", "SVC-1 "), ("SVC 1", " SVC  1"), ("SVC 1", "SVC\t1"), ("Straße-1", "STRASSE-1"), ("K-1", "\u212a-1")],
    ids=["trailing-space", "spaces", "tab", "casefold", "kelvin-sign"],
)
def test_ids_differing_only_in_spacing_or_folded_case_are_one_id_across_files(
    load, workdir: Path, first: str, later: str
) -> None:
    (workdir / "ev").mkdir()
    (workdir / "ev" / "a.json").write_text(_assets("A-0", first))
    (workdir / "ev" / "b.json").write_text(_assets(later))
    [problem] = load.problems("ev")
    assert problem.startswith(f"ev/b.json:1: /records/0/id: duplicate it-assets id {later!r}: {first!r} at ev/a.json")
    assert " /records/1 differs only in case or spacing" in problem


@pytest.mark.parametrize(
    "ids",
    [
        ["AST-1", "AST-2", "B 1"],  # one case, single inner spaces: the C-speed proof
        ["ocds-b5fd17-1", "ocds-b5fd17-2"],
        ["Svc-1", "svc-2", "SVC-3", "Straße", "Strasse-2", "a b", "a\tc"],  # mixed: compared key by key
        ["SVC-1 "],  # alone in its spelling: kept as written
    ],
)
def test_ids_that_stay_distinct_when_folded_load(load, workdir: Path, ids: list[str]) -> None:
    (workdir / "a.json").write_text(_assets(*ids))
    evidence = load("a.json")
    assert [r["id"] for r in evidence.records("it-assets")] == ids
    assert evidence.get("it-assets", ids[-1]) is not None


def test_many_ids_differing_only_in_case_list_the_first_fifty(load, workdir: Path) -> None:
    (workdir / "a.json").write_text(_assets(*(f"A-{n}" for n in range(60)), *(f"a-{n}" for n in range(60))))
    found = load.problems("a.json")
    assert len(found) == 51
    assert found[0].startswith("a.json:1: /records/60/id: duplicate it-assets id 'a-0': 'A-0' at a.json /records/0")
    assert (
        found[-1] == "... 60 it-assets ids in all differ from another only in case or spacing (the first 50 are listed)"
    )


_ID_TEXT = st.text(alphabet="aAbB-1 \t\n\x1f\x00\xa0ßSK\u212a", max_size=5)


@given(st.lists(_ID_TEXT, unique=True, max_size=8))
def test_the_quick_proof_of_distinct_ids_agrees_with_join_key(ids: list[str]) -> None:
    """``_may_be_one`` false must prove the ids' join keys distinct (it is a C-speed shortcut, not the rule)."""
    from capcheck.core.evidence import _may_be_one
    from capcheck.core.joins import join_key

    if not _may_be_one(ids):
        assert len({join_key(i) for i in ids}) == len(ids)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object"},  # says nothing of the id
        {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},  # allows ""
        {"required": ["id"], "properties": {"id": {"type": "string", "minLength": 1}}},  # allows a non-object
    ],
)
def test_a_kind_schema_that_does_not_require_an_id_still_gets_the_id_check(schema: dict[str, Any]) -> None:
    from capcheck.core.evidence import evidence_from_records
    from capcheck.core.kinds import EvidenceKind

    kinds = {"loose": EvidenceKind(id="loose", title="t", schema=schema)}
    with pytest.raises(EvidenceError) as info:
        evidence_from_records({"loose": [{"id": "L-1"}, {"id": ""}]}, kinds=kinds)
    assert [str(p) for p in info.value.problems] == [
        "<memory>/loose: /records/1/id: each record needs a non-empty string 'id'"
    ]


def test_the_same_id_in_two_kinds_is_fine(load, workdir: Path) -> None:
    (workdir / "a.json").write_text(assets_json("X-1"))
    (workdir / "governance-register.csv").write_text("id,title,entry_type,status\nX-1,t,risk,open\n")
    evidence = load("a.json", "governance-register.csv")
    assert evidence.get("it-assets", "X-1") is not None and evidence.get("governance-register", "X-1") is not None


# --- the evidence set -----------------------------------------------------------------------------


def test_records_are_indexed_by_kind_and_id_across_files(load, workdir: Path) -> None:
    (workdir / "a.json").write_text(assets_json("A-1", "A-2"))
    (workdir / "b.json").write_text('{"kind": "it-assets",\n"records": [\n' + RECORD.format(id="B-1") + "]}")
    evidence = load("a.json", "b.json")
    assert evidence.count("it-assets") == 3
    assert [r["id"] for r in evidence.records("it-assets")] == ["A-1", "A-2", "B-1"]
    ref = evidence.ref("it-assets", "B-1")
    assert (ref.file, ref.line, ref.pointer) == ("b.json", 3, "/records/0")
    assert evidence.ref("it-assets", "A-2").pointer == "/records/1"
    assert evidence.kind_file("it-assets") == "a.json"
    assert [(k, r["id"]) for k, r in evidence] == [("it-assets", "A-1"), ("it-assets", "A-2"), ("it-assets", "B-1")]


def test_absent_kinds_and_ids(load, workdir: Path) -> None:
    (workdir / "a.json").write_text('{"kind": "governance-register", "records": []}')
    evidence = load("a.json")
    assert evidence.has("governance-register") and evidence.count("governance-register") == 0
    assert not evidence.has("it-assets")
    assert evidence.records("it-assets") == ()
    assert evidence.get("it-assets", "A-1") is None
    assert evidence.values("it-assets", "owner") == frozenset()
    assert evidence.kind_file("it-assets") is None
    ref = evidence.ref("governance-register", "nope")
    assert (ref.file, ref.line) == (None, None)


def test_values_flattens_lists_for_joins(load, copy_fixture: Callable[..., Path]) -> None:
    evidence = load(copy_fixture("evidence/mixed/governance-register.yaml"))
    assert evidence.values("governance-register", "linked_controls") == {"CTL-001", "CTL-404"}
    assert evidence.values("governance-register", "owner") == {"head-of-commercial", "chief-technology-officer"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["a", None, "b", "a", 3, True], {"a", "b", 3, True}),  # no list or object: the fast path
        (["a", ["b", {"c": 1}, ["d"]], {"e": 1}, None, 2], {"a", "b", 2}),  # lists flattened, objects left out
    ],
)
def test_values_of_a_field(values: list[Any], expected: set[Any]) -> None:
    from capcheck.core.evidence import evidence_from_records
    from capcheck.core.kinds import EvidenceKind

    kinds = {"loose": EvidenceKind(id="loose", title="t", schema={"type": "object"})}
    records = [{"id": f"L-{i}", "f": v} for i, v in enumerate(values)] + [{"id": "L-none"}]
    assert evidence_from_records({"loose": records}, kinds=kinds).values("loose", "f") == expected


def test_file_info_has_the_sha256_of_the_bytes(load, copy_fixture: Callable[..., Path]) -> None:
    path = copy_fixture("evidence/formats/bom.csv", "it-assets.csv")
    [info] = load(path).files
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.as_dict() == {
        "path": "it-assets.csv",
        "format": "csv",
        "kind": "it-assets",
        "records": 2,
        "sha256": info.sha256,
    }


def test_an_evidence_error_lists_every_problem(load, workdir: Path) -> None:
    with pytest.raises(EvidenceError) as info:
        load("a.json", "b.json")
    assert str(info.value) == "a.json: no such file or directory\nb.json: no such file or directory"
    assert info.value.kind == "evidence error"


def _content_loader(claims: Callable[[bytes], bool]) -> Loader:
    def load_claimed(source: SourceFile, context: LoadContext) -> list[Document]:
        record = {"id": "R1", "name": "n", "product": "p", "environment": "production", "criticality": "low"}
        return [Document(kind="it-assets", records=[record], locate=lambda i: None)]

    return Loader(name="claimer", extensions=(".csv",), load=load_claimed, claims=claims)


def test_a_content_loader_is_asked_before_the_extension_loader(load, workdir: Path) -> None:
    (workdir / "it-assets.csv").write_text("id,name,product,environment,criticality\nA9,n,p,test,low\n")
    (workdir / "other.csv").write_text("MARKER\n")
    heads: list[bytes] = []

    def claims(head: bytes) -> bool:
        heads.append(head)
        return head.startswith(b"MARKER")

    evidence = load("it-assets.csv", "other.csv", content_loaders=[_content_loader(claims)])
    assert [(f.path, f.format) for f in evidence.files] == [("it-assets.csv", "csv"), ("other.csv", "claimer")]
    assert heads == [b"id,name,product,environment,criticality\nA9,n,p,test,low\n", b"MARKER\n"]


def test_a_content_test_that_raises_is_a_located_problem(load, workdir: Path) -> None:
    (workdir / "roles.csv").write_text("id,role\n")

    def claims(head: bytes) -> bool:
        raise KeyError("oops")

    [problem] = load.problems("roles.csv", content_loaders=[_content_loader(claims)])
    assert problem == "roles.csv: the 'claimer' loader's content test failed: KeyError: 'oops'"


def test_required_fields_the_source_cannot_carry_are_not_required(load, workdir: Path) -> None:
    def load_partial(source: SourceFile, context: LoadContext) -> list[Document]:
        records = [{"id": "A1", "name": "lib", "product": "lib"}]  # no environment, no criticality
        return [
            Document(kind="it-assets", records=records, locate=lambda i: None, not_provided=frozenset({"environment"}))
        ]

    (workdir / "bom.csv").write_text("x\n")
    partial = Loader(name="partial", extensions=(".csv",), load=load_partial, claims=lambda head: True)
    [problem] = load.problems("bom.csv", content_loaders=[partial])
    # environment is not provided by the source, so not required; criticality could be: still required
    assert problem.endswith("\"criticality\" is a required property (kind 'it-assets')")
    evidence = load("bom.csv", content_loaders=[replace(partial, load=_with_both(load_partial))])
    assert evidence.not_provided("it-assets", "A1") == ("partial", frozenset({"environment", "criticality"}))
    assert evidence.not_provided("it-assets", "nope") == ("", frozenset())


def _with_both(load_partial: Callable[..., list[Document]]) -> Callable[..., list[Document]]:
    def load_both(source: SourceFile, context: LoadContext) -> list[Document]:
        [doc] = load_partial(source, context)
        return [replace(doc, not_provided=frozenset({"environment", "criticality"}))]

    return load_both


def test_schema_errors_past_the_first_batch_keep_their_record_and_line(load, workdir: Path) -> None:
    rows = [f"A-{i},n,p,production,low" for i in range(300)] + ["B-1,,p,production,low", "B-2,n,p,nowhere,low"]
    (workdir / "it-assets.csv").write_text("id,name,product,environment,criticality\n" + "\n".join(rows) + "\n")
    problems = load.problems("it-assets.csv")
    assert problems[0] == "it-assets.csv:302: /records/300: \"name\" is a required property (kind 'it-assets')"
    assert problems[1].startswith('it-assets.csv:303: /records/301/environment: "nowhere" is not one of')
    assert len(problems) == 2


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_listing_a_file_s_schema_errors_takes_the_memory_of_a_batch_not_of_every_error(workdir: Path) -> None:
    """jsonschema-rs builds every error of a call (each with a copy of its record) before the first is read:
    60,000 records missing four fields each took 600 MB for a 1.3 MB CSV, 300,000 took 2.8 GB."""
    import subprocess
    import sys

    rows = "".join(f"A-{i},,,,\n" for i in range(60_000))
    (workdir / "it-assets.csv").write_text("id,name,product,environment,criticality\n" + rows)
    script = (
        "import sys\n"
        "from capcheck.cli import cli\n"
        "try:\n"
        "    cli.main(['validate', 'it-assets.csv'], standalone_mode=False)\n"
        "except SystemExit as exc:\n"
        "    sys.stderr.write(f'exit {exc.code}')\n"
        "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=workdir, capture_output=True, text=True, timeout=120)
    peak_kib = int(done.stdout.strip().splitlines()[-1])
    assert "evidence error: 51 problems" in done.stderr and "exit 2" in done.stderr
    assert peak_kib < 250_000, f"peak {peak_kib // 1024} MiB"


@given(ids=st.lists(st.text(min_size=1, max_size=4), max_size=40), start=st.integers(0, 1000))
def test_the_id_index_is_each_ids_position_in_file_order(ids: list[str], start: int) -> None:
    """The index of a file's ids (made with a placeholder key for speed) is the plain dict of ids to positions:
    same keys in file order, same positions, a repeated id at its last use (the caller counts the difference)."""
    from capcheck.core.evidence import _positions

    index = _positions(iter(ids), range(start, start + len(ids)))
    plain = dict(zip(ids, range(start, start + len(ids)), strict=True))
    assert index == plain and list(index) == list(plain)
    assert 0 not in index  # the placeholder is gone


# --- where the records are, sent to another process ------------------------------------------------------------


def test_the_places_of_records_sent_to_another_process_keep_every_id(load, workdir: Path) -> None:
    """A split check's part sends where its records are (``without_records``), pickled, its ids as one JSON array (a
    dictionary of a million is slow to pickle and to read back): the receiver finds every record as the sender did,
    and merged with other parts' places, a kind it never looks up is never unpacked."""
    import pickle

    from capcheck.core.evidence import EvidenceSet

    (workdir / "ev").mkdir()
    ids = ("A-2", "A-1", "é-3", 'q\\"\\\\-1')  # as the file holds them (JSON escapes)
    (workdir / "ev" / "it-assets.json").write_text(assets_json(*ids))
    here = load("ev")
    sent = pickle.loads(pickle.dumps(here.without_records([0]), protocol=pickle.HIGHEST_PROTOCOL))
    merged = EvidenceSet.merged([sent])
    assert merged._tables["it-assets"]._packed is not None  # not unpacked by the merge
    for record_id in [json.loads(f'"{i}"') for i in ids]:
        assert merged.ref("it-assets", record_id) == here.ref("it-assets", record_id)
        assert merged.ref("it-assets", record_id).line is not None
    assert merged._tables["it-assets"]._packed is None  # unpacked once an id was looked up


def test_ids_json_cannot_hold_are_sent_as_they_are(load, workdir: Path) -> None:
    """An id JSON cannot write (a lone surrogate, from a plugin's loader) sends the kind's ids as a dictionary; ids
    whose positions are not their own order send the positions too."""
    import pickle

    (workdir / "ev").mkdir()
    (workdir / "ev" / "it-assets.json").write_text(assets_json("A-1", "A-2"))
    placed = load("ev").without_records([0])
    table = placed._tables["it-assets"]
    table.ids = {**table.ids, "B-\ud800": 2}
    back = pickle.loads(pickle.dumps(placed))._tables["it-assets"]
    assert back._packed is None and back.ids == {"A-1": 0, "A-2": 1, "B-\ud800": 2}
    table.ids = {"A-2": 1, "A-1": 0, "B-1": 7}  # positions not the ids' own order: sent with them
    back = pickle.loads(pickle.dumps(placed))._tables["it-assets"]
    assert back._packed is not None and list(back.ids.items()) == [("A-2", 1), ("A-1", 0), ("B-1", 7)]


@pytest.mark.parametrize(("second", "repeated"), [(("A-3", "A-4"), False), (("A-3", "A-1"), True)])
def test_ranges_sent_by_another_process_are_joined_from_their_ids_as_sent(
    load, workdir: Path, second: tuple[str, ...], repeated: bool
) -> None:
    """A divided register's ranges, sent pickled (their ids packed), join into the places of one file, each record
    where one load puts it; an id in both ranges is refused (the check is then made in one process)."""
    import pickle

    from capcheck.core.evidence import EvidenceSet, IdsRepeated

    (workdir / "a").mkdir()
    (workdir / "b").mkdir()
    (workdir / "a" / "it-assets.json").write_text(assets_json("A-1", "A-2"))
    (workdir / "b" / "it-assets.json").write_text(assets_json(*second))
    ranges = [load(d).without_records([0], {0: start}) for d, start in (("a", 0), ("b", 100))]
    sent = [pickle.loads(pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL)) for r in ranges]
    if repeated:
        with pytest.raises(IdsRepeated):
            EvidenceSet.merged(sent)
        return
    joined = EvidenceSet.merged(sent)._tables["it-assets"]
    assert joined.ids == {"A-1": 0, "A-2": 1, "A-3": 2, "A-4": 3}
