"""The registry's rule files: every file in a --rules directory is read bounded, and nothing is skipped silently."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from capcheck.core.side_inputs import RULE_FILE_MAX_BYTES

RULES = Path(__file__).parent / "fixtures" / "rules"


def _rules_list(run_cli, *args: str) -> tuple[int, str]:
    result = run_cli("rules", "list", *args)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    return result.exit_code, result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_in_a_rules_directory_is_refused_without_blocking(run_cli, workdir: Path) -> None:
    (workdir / "ours").mkdir()
    os.mkfifo(workdir / "ours" / "pipe.toml")
    code, err = _rules_list(run_cli, "--rules", "ours")
    assert code == 2
    assert "ours/pipe.toml: not a regular file (a pipe, socket or device), not a rule file" in err
    os.mkfifo(workdir / "given.toml")
    code, err = _rules_list(run_cli, "--rules", "given.toml")
    assert code == 2 and "given.toml: not a regular file" in err


def test_a_symlink_loop_in_a_rules_directory_is_named(run_cli, workdir: Path) -> None:
    (workdir / "ours").mkdir()
    (workdir / "ours" / "a.toml").symlink_to("b.toml")
    (workdir / "ours" / "b.toml").symlink_to("a.toml")
    code, err = _rules_list(run_cli, "--rules", "ours")
    assert code == 2
    assert "ours/a.toml: cannot read: Too many levels of symbolic links" in err
    assert "ours/b.toml: cannot read: Too many levels of symbolic links" in err


def test_an_unreadable_file_or_directory_of_rules_is_named(
    run_cli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated through os.open and os.scandir (tests may run as root, who reads anything)."""
    (workdir / "ours" / "locked").mkdir(parents=True)
    (workdir / "ours" / "secret.toml").write_text("")
    real_open, real_scandir = os.open, os.scandir

    def guarded_open(path: object, *args: object, **kwargs: object) -> int:
        if Path(str(path)).name == "secret.toml":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]  # passed through as given

    def guarded_scandir(path: object = ".") -> object:
        if Path(str(path)).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[call-overload]  # passed through as given

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(os, "scandir", guarded_scandir)
    code, err = _rules_list(run_cli, "--rules", "ours")
    assert code == 2
    assert "ours/secret.toml: cannot read: Permission denied" in err
    assert "ours/locked: cannot read directory: Permission denied" in err


def test_a_huge_rule_file_is_not_read_to_hash_it(run_cli, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with (workdir / "huge.toml").open("wb") as fh:
        fh.truncate(3 << 30)  # sparse
    real_read = os.read
    got: list[int] = []

    def counting_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        got.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting_read)
    code, err = _rules_list(run_cli, "--rules", "huge.toml")
    assert code == 2 and "huge.toml: larger than the 1 MiB limit for a rule file" in err
    assert max(got) <= RULE_FILE_MAX_BYTES  # the pack's files; not one byte of the 3 GiB


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"x = " + b"9" * 5000 + b"\n", "r.toml:1: an integer of 5000 digits (at most 4300)"),
        (b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "r.toml: nested more than 80 levels deep"),
        (b"x = 1\nx = 2\n", "r.toml:2: invalid TOML: Cannot overwrite a value"),
        (b"[[rule]]\nx = 2027-02-30\n", "r.toml:2: invalid TOML: Invalid date or datetime"),
        (b"x = \x00", "r.toml:1: a NUL byte at offset 4"),
    ],
)
def test_hostile_rule_files_are_located_errors(run_cli, workdir: Path, content: bytes, expected: str) -> None:
    (workdir / "r.toml").write_bytes(content)
    code, err = _rules_list(run_cli, "--rules", "r.toml")
    assert code == 2 and expected in err
