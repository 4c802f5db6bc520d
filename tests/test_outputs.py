"""Where outputs may go: never over an input (any spelling, symlink or hard link), never twice, written whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from capcheck.app.outputs import refuse_overwriting_inputs, write_file
from capcheck.core.errors import OutputError


def _messages(exc: pytest.ExceptionInfo[OutputError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_a_hard_link_to_an_input_is_the_input(workdir: Path) -> None:
    (workdir / "evidence.json").write_text("{}")
    os.link(workdir / "evidence.json", workdir / "report.json")
    with pytest.raises(OutputError) as info:
        refuse_overwriting_inputs([("--output", Path("report.json"))], [Path("evidence.json")])
    assert _messages(info) == ["report.json: --output would overwrite an input of this check: refused"]


def test_a_new_file_or_an_unrelated_existing_file_is_allowed(workdir: Path) -> None:
    (workdir / "evidence.json").write_text("{}")
    (workdir / "old-report.json").write_text("{}")
    outputs = [("--output", Path("new.json")), ("--report sarif", Path("old-report.json"))]
    refuse_overwriting_inputs(outputs, [Path("evidence.json"), Path("missing-input.json")])


def test_every_problem_is_reported_at_once(workdir: Path) -> None:
    (workdir / "a.json").write_text("{}")
    outputs = [
        ("--output", Path("a.json")),
        ("--report json", Path("x/../new.json")),
        ("--report csv", Path("new.json")),
    ]
    with pytest.raises(OutputError) as info:
        refuse_overwriting_inputs(outputs, [workdir / "a.json"])
    assert _messages(info) == [
        "a.json: --output would overwrite an input of this check: refused",
        "new.json: --report csv is also written by --report json: refused",
    ]


def test_write_file_names_the_file_it_cannot_write(workdir: Path) -> None:
    with pytest.raises(OutputError) as info:
        write_file(Path("no/such/dir/report.json"), "{}")
    assert _messages(info) == ["no/such/dir/report.json: cannot write: No such file or directory"]


def test_write_file_can_make_its_directory_and_names_a_file_in_the_way(workdir: Path) -> None:
    write_file(Path("made/here/report.json"), "{}", make_parents=True)
    assert (workdir / "made" / "here" / "report.json").read_text() == "{}"
    (workdir / "blocked").write_text("a file where a directory should be")
    with pytest.raises(OutputError) as info:
        write_file(Path("blocked/report.json"), "{}", make_parents=True)
    assert _messages(info) == ["blocked/report.json: cannot write: File exists"]
