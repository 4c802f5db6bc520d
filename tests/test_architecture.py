"""The package's architecture is enforced: import-linter's contracts (pyproject.toml) and where modules live."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "capcheck"
LAYERS = ("core", "assessment", "builtins", "app")
#: The only modules outside a layer folder: the public faces and the process set-up.
TOP_LEVEL = {"__init__.py", "__main__.py", "_version.py", "_safepath.py", "cli.py", "testing.py", "pytest_plugin.py"}


def _lint_imports() -> str:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("import-linter is not installed: pip install -e '.[test]'")
    return exe


def test_import_contracts_are_kept() -> None:
    done = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(tmp_path: Path) -> None:
    """The contracts are live: a core module importing the runner is reported."""
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / "src" / "capcheck" / "core" / "zz_violation.py").write_text("import capcheck.app.runner\n")
    done = subprocess.run(
        [_lint_imports(), "--no-cache"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(copy / "src"), "PATH": str(Path(sys.executable).parent)},
    )
    assert done.returncode == 1, done.stdout
    assert "capcheck.core.zz_violation -> capcheck.app.runner" in done.stdout


def test_every_module_lives_in_a_layer() -> None:
    stray = sorted(p.name for p in PACKAGE.iterdir() if p.suffix == ".py" and p.name not in TOP_LEVEL)
    stray += sorted(
        p.name
        for p in PACKAGE.iterdir()
        if p.is_dir() and p.name not in LAYERS and any(p.rglob("*.py"))  # data folders (templates/) may stay
    )
    assert not stray, f"put these in a layer folder ({', '.join(LAYERS)}): {stray}"
