"""The registry: every file in a --rules directory is read bounded, and nothing is skipped silently; the
``capcheck.`` namespace is the built-ins' alone, and a plugin's un-namespaced ids are warned about (or refused)."""

from __future__ import annotations

import json
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


# --- namespaces: capcheck. is reserved; a plugin's un-namespaced ids are warned about, or refused -----------------

PACK = "./unnamespaced_pack/"


def _namespace_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "without a namespace" in line]


@pytest.fixture
def pack(copy_fixture, workdir: Path) -> Path:
    """The un-namespaced plugin package, and a roster for its rules."""
    copy_fixture("plugins/unnamespaced_pack")
    (workdir / "our-roster.json").write_text('{"kind": "our-roster", "records": [{"id": "P1", "team": "t"}]}')
    return workdir / "unnamespaced_pack"


@pytest.mark.parametrize(
    "command",
    [["check", "our-roster.json", "--select", "CULT-9"], ["validate", "our-roster.json"], ["plugins"]],
    ids=["check", "validate", "plugins"],
)
def test_a_plugins_unnamespaced_ids_are_one_warning_naming_it(run_cli, pack: Path, command: list[str]) -> None:
    result = run_cli(*command, "--plugin", PACK)
    assert result.exit_code in (0, 1), result.stderr  # a warning, not an error (check fails CULT-901)
    assert _namespace_lines(result.stderr) == [
        "capcheck: warning: plugin './unnamespaced_pack/' registers 4 ids without a namespace (our-roster, CULT-901, "
        "CULT-902 and 1 more), which capcheck's own ids may take later: put a namespace first, e.g. "
        "'unnamespaced-pack.our-roster' (docs/plugins.md#namespaces)"
    ]
    if command == ["plugins"]:
        [line] = [line for line in result.stdout.splitlines() if line.startswith(PACK)]
        assert line.endswith("[4 ids without a namespace]")


def test_each_plugin_gets_its_own_warning_and_namespaced_ones_none(run_cli, pack: Path, copy_fixture) -> None:
    copy_fixture("plugins/sample_plugin.py")
    copy_fixture("plugins/namespaced_plugin.py")
    plugins = ["--plugin", PACK, "--plugin", "./sample_plugin.py", "--plugin", "./namespaced_plugin.py"]
    result = run_cli("plugins", *plugins)
    assert result.exit_code == 0, result.stderr
    warned = [line.split("'")[1] for line in _namespace_lines(result.stderr)]
    assert warned == [PACK, "./sample_plugin.py"]
    [namespaced] = [line for line in result.stdout.splitlines() if line.startswith("./namespaced_plugin.py")]
    assert "without a namespace" not in namespaced


def test_the_organisations_own_rule_files_and_the_built_ins_are_not_warned_about(
    run_cli, copy_fixture, workdir: Path
) -> None:
    copy_fixture("rules/contract-currency.toml", "ours/contract-currency.toml")  # COMM-801: no namespace
    copy_fixture("rules/contract-currency.toml", "config-rules/c.toml")
    moved = (workdir / "ours" / "contract-currency.toml").read_text().replace("COMM-801", "COMM-802")
    (workdir / "config-rules" / "c.toml").write_text(moved)
    (workdir / "capcheck.toml").write_text('rules = ["config-rules"]\nstrict_namespaces = true\n')
    copy_fixture("evidence/mixed/supplier-contracts.json")
    selected = ["--select", "COMM-801", "--select", "COMM-802", "--format", "json"]
    result = run_cli("check", "supplier-contracts.json", "--rules", "ours", *selected)
    assert result.exit_code in (0, 1), result.stderr  # not refused under strict_namespaces either
    assert _namespace_lines(result.stderr) == []
    assert [r["id"] for r in json.loads(result.stdout)["rules"]] == ["COMM-801", "COMM-802"]  # both ran


def test_strict_namespaces_makes_the_warning_an_error_naming_each_plugin(
    run_cli, pack: Path, copy_fixture, workdir: Path
) -> None:
    copy_fixture("plugins/namespaced_plugin.py")
    (workdir / "capcheck.toml").write_text("strict_namespaces = true\n")
    for command in (["rules", "list"], ["check", "our-roster.json"], ["plugins"]):
        result = run_cli(*command, "--plugin", PACK)
        assert result.exit_code == 2, result.stderr
        assert result.stderr.splitlines()[1:] == [
            "  plugin './unnamespaced_pack/' registers 4 ids without a namespace (our-roster, CULT-901, CULT-902 and "
            "1 more), and strict_namespaces is on: put a namespace first, e.g. 'unnamespaced-pack.our-roster' "
            "(docs/plugins.md#namespaces)"
        ]
    namespaced = run_cli("rules", "list", "--plugin", "./namespaced_plugin.py")
    assert namespaced.exit_code == 0, namespaced.stderr
    assert "acme.CULT-101" in namespaced.stdout


@pytest.mark.parametrize(
    ("file", "local", "what"),
    [
        ("__init__.py", "CULT-901", "rule"),
        ("__init__.py", "our-roster", "evidence kind"),
        ("rules/CULT-902.toml", "CULT-902", "rule"),
    ],
    ids=["python rule", "kind", "rule pack"],
)
def test_the_capcheck_namespace_is_reserved_for_the_built_ins(
    run_cli, pack: Path, file: str, local: str, what: str
) -> None:
    source = pack / file
    source.write_text(source.read_text().replace(f'"{local}"', f'"capcheck.{local}"'))
    result = run_cli("rules", "list", "--plugin", PACK)
    assert result.exit_code == 2
    assert (
        f"{what} 'capcheck.{local}' from './unnamespaced_pack/': the 'capcheck' namespace is reserved for capcheck's "
        f"own ids; use your own (e.g. 'unnamespaced-pack.{local}'; docs/plugins.md#namespaces)"
    ) in result.stderr
    assert "Traceback" not in result.stderr


def test_a_rules_file_cannot_take_the_reserved_namespace_either(run_cli, workdir: Path) -> None:
    (workdir / "ours.toml").write_text(
        (RULES / "contract-currency.toml").read_text().replace("COMM-801", "capcheck.COMM-801")
    )
    code, err = _rules_list(run_cli, "--rules", "ours.toml")
    assert code == 2
    assert "ours.toml: rule 'capcheck.COMM-801' from 'ours.toml': the 'capcheck' namespace is reserved" in err


@pytest.mark.parametrize("origin", ["builtin", "module"])
def test_only_a_built_in_may_register_in_the_reserved_namespace(origin: str) -> None:
    from capcheck import EvidenceKind, hookimpl
    from capcheck.app.plugins import PluginInfo, build_plugin_manager
    from capcheck.app.registry import build_registry
    from capcheck.core.errors import PluginError

    class Reserved:
        @hookimpl
        def capcheck_kinds(self) -> list[EvidenceKind]:
            return [EvidenceKind(id="capcheck.future-kind", title="t", schema={"type": "object"})]

    pm, infos = build_plugin_manager(entry_points=False)
    pm.register(Reserved(), name="reserved")
    infos = [*infos, PluginInfo(name="reserved", origin=origin)]
    if origin == "builtin":
        assert "capcheck.future-kind" in build_registry(pm, infos).kinds
        return
    with pytest.raises(PluginError, match=r"'capcheck\.future-kind' from 'reserved': the 'capcheck' namespace"):
        build_registry(pm, infos)


def test_rule_files_are_resolved_as_realpath_resolves_them(tmp_path: Path) -> None:
    """The registry resolves each directory once (start-up, #11): the same real path as ``os.path.realpath``
    through a linked directory, a linked file, a loop, ``..`` and a missing file, so a file named twice is
    still compiled once."""
    from capcheck.app.registry import _realpath

    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.toml").write_text("")
    (tmp_path / "real" / "alias.toml").symlink_to("a.toml")
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    (tmp_path / "loop-a.toml").symlink_to("loop-b.toml")
    (tmp_path / "loop-b.toml").symlink_to("loop-a.toml")
    (tmp_path / "looped").symlink_to("looped")
    paths = [
        tmp_path / "real" / "a.toml",
        tmp_path / "linked" / "a.toml",
        tmp_path / "linked" / "alias.toml",
        tmp_path / "linked" / ".." / "real" / "a.toml",
        tmp_path / "loop-a.toml",
        tmp_path / "looped" / "a.toml",
        tmp_path / "real" / "missing.toml",
    ]
    resolved: dict[Path, str] = {}
    assert [_realpath(p, resolved) for p in paths] == [os.path.realpath(p) for p in paths]
    assert resolved  # directories were reused, not resolved per file
