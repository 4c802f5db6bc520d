"""Start-up in CPU seconds: ``capcheck --version``, ``check --help``, and ``check`` up to its first evidence read.

Each measure runs the console script's entry point (``capcheck.cli:main``) in a fresh process, best of
``--runs``, as CPU time (user + system) so that a shared machine's load does not blur it:

* ``--version`` and ``check --help``: the whole process (``resource.getrusage`` of the child);
* ``check`` start-up: the process's CPU time when it first opens a file of the evidence directory (an audit
  hook on ``open`` notes ``time.process_time()`` and ends the process): interpreter start, imports, config,
  plugin discovery, registry build, rule-pack compile and the usage checks, nothing of the evidence; and its
  phases, from marks the probe notes: the interpreter, importing ``capcheck.cli`` (click), importing what a check
  imports next (``capcheck.app.settings`` and ``runner``: pydantic, the models, the scorecard), building the
  registry (``runner.load_registry``: plugins, the rule pack), and the rest (options, settings, usage checks);
  each phase is its own best of the runs;
* ``check``, whole: the same command to the end, on the tiny evidence given (by default the test suite's
  ``tests/fixtures/evidence/clean``: three registers, a few records each), JSON to a temporary file.

The source tree is measured twice, both as copies (so that a ``__pycache__`` left in the tree cannot blur
the first): as it is (this environment sets ``PYTHONDONTWRITEBYTECODE=1``, so an editable checkout's modules
are compiled at every start), and byte-compiled (``compileall``, as an installed wheel has ``.pyc`` files),
unless ``--no-pyc-copy``.

Usage::

    python benchmarks/startup.py [--runs 3] [--evidence DIR] [--src SRC] [--against OLD_SRC] [--importtime]

``--src`` measures another checkout's ``src`` (the data directories ``rules/`` and ``schemas/`` beside it);
``--against OLD_SRC`` measures a second tree in the same runs, taking turns (before and after, compared fairly).
``--importtime`` prints the 25 slowest imports (``-X importtime``, cumulative) of the start-up.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-25"

#: Run in the child before the entry point: the first open of an evidence file ends the process.
_PROBE = """
import os, sys, time
marks = [('interpreter', time.process_time())]
evidence = sys.argv[1] + os.sep  # absolute: the command is given the same path
def hook(event, args):
    if event == 'open' and isinstance(args[0], (str, bytes, os.PathLike)):
        if os.fsdecode(args[0]).startswith(evidence):
            t = time.process_time()
            marks.append(('first read', t))
            shown = ' '.join(f"{name.replace(' ', '_')}={at:.6f}" for name, at in marks)
            sys.stderr.write(f'STARTUP {t:.6f} {len(sys.modules)} {shown}\\n')
            sys.stderr.flush()
            os._exit(0)
sys.addaudithook(hook)
sys.argv = ['capcheck', *sys.argv[2:]]
from capcheck.cli import main
marks.append(('cli', time.process_time()))
# What a check imports next (settings, config, runner: pydantic and the models), imported here to time it apart.
from capcheck.app import runner, settings
marks.append(('app', time.process_time()))
load_registry = runner.load_registry
def timed(*args, **kwargs):
    marks.append(('registry start', time.process_time()))
    try:
        return load_registry(*args, **kwargs)
    finally:
        marks.append(('registry', time.process_time()))
runner.load_registry = timed
main()
"""

_MAIN = "import sys\nsys.argv = ['capcheck', *sys.argv[1:]]\nfrom capcheck.cli import main\nmain()\n"


def _env(src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    env.pop("CAPCHECK_DEBUG", None)
    return env


def _child_cpu(args: list[str], env: dict[str, str]) -> float:
    """The CPU seconds of one child process running ``args``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, env=env, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


#: The phases of ``check`` to its first evidence read, each the CPU seconds between two of the probe's marks.
PHASES = {
    "phase_interpreter": "  the interpreter",
    "phase_cli": "  import capcheck.cli (click)",
    "phase_app": "  import app: pydantic, models",
    "phase_registry": "  registry: plugins, rule pack",
    "phase_rest": "  options, settings, usage",
}


def _phases(marks: dict[str, float]) -> dict[str, float]:
    registry = marks["registry"] - marks["registry start"]
    return {
        "phase_interpreter": marks["interpreter"],
        "phase_cli": marks["cli"] - marks["interpreter"],
        "phase_app": marks["app"] - marks["cli"],
        "phase_registry": registry,
        "phase_rest": marks["first read"] - marks["app"] - registry,
    }


def _startup_cpu(src: Path, evidence: Path, out: Path) -> tuple[float, int, dict[str, float]]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(evidence), *_check_args(evidence, out)],
        env=_env(src),
        capture_output=True,
        text=True,
        check=False,
    )
    for line in proc.stderr.splitlines():
        if line.startswith("STARTUP "):
            _, seconds, modules, *marks = line.split()
            at = {name.replace("_", " "): float(t) for name, t in (m.split("=") for m in marks)}
            return float(seconds), int(modules), _phases(at)
    raise SystemExit(f"the probe never opened an evidence file:\n{proc.stderr}")


def _check_args(evidence: Path, out: Path) -> list[str]:
    return ["check", str(evidence), "--as-of", AS_OF, "-f", "json", "-o", str(out), "--no-progress"]


#: The measures, in the order printed.
MEASURES = ("version", "check_help", "check_startup", *PHASES, "check_whole")


def _once(src: Path, evidence: Path, out: Path) -> dict[str, Any]:
    """Each measure once, for the source tree ``src``."""
    env = _env(src)
    py = sys.executable
    startup, modules, phases = _startup_cpu(src, evidence, out)
    return {
        **phases,
        "version": _child_cpu([py, "-c", _MAIN, "--version"], env),
        "check_help": _child_cpu([py, "-c", _MAIN, "check", "--help"], env),
        "check_startup": startup,
        "modules_at_first_read": modules,
        "check_whole": _child_cpu([py, "-c", _MAIN, *_check_args(evidence, out)], env),
    }


def measure(trees: dict[str, Path], evidence: Path, runs: int) -> dict[str, dict[str, Any]]:
    """Best-of-``runs`` CPU seconds of each measure, per tree; the trees take turns within each run, so that
    a change in the machine's load falls on all of them alike."""
    best: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "findings.json"
        for _ in range(runs):
            for label, src in trees.items():
                figures = _once(src, evidence, out)
                kept = best.setdefault(label, figures)
                for key in MEASURES:
                    kept[key] = min(kept[key], figures[key])
    return best


def _copy(src: Path, into: Path, *, compile_: bool) -> Path:
    """A copy of ``src`` without its ``.pyc`` files (and links to the data beside it); byte-compiled if
    ``compile_``, as an installed package is."""
    copy = into / "src"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for data in ("rules", "schemas"):
        if (src.parent / data).is_dir():
            (into / data).symlink_to(src.parent / data)
    if compile_ and not compileall.compile_dir(copy, quiet=1):
        raise SystemExit(f"compileall failed for {copy}")
    return copy


def importtime(src: Path, evidence: Path, top: int = 25) -> list[tuple[int, str]]:
    """The slowest imports (cumulative microseconds) of the start-up."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", _PROBE, str(evidence), *_check_args(evidence, Path(tmp) / "o")],
            env=_env(src),
            capture_output=True,
            text=True,
            check=False,
        )
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line[len("import time:") :].split("|")
            rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def main(argv: list[str] | None = None) -> int:
    """Measure and print; the figures as JSON on the last line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per measure, the best kept")
    parser.add_argument("--evidence", type=Path, default=ROOT / "tests" / "fixtures" / "evidence" / "clean")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the source tree to measure")
    parser.add_argument("--against", type=Path, help="another source tree (before), measured in turn with --src")
    parser.add_argument("--no-pyc-copy", action="store_true", help="measure the source trees as they are only")
    parser.add_argument("--importtime", action="store_true", help="print the slowest imports of the start-up")
    args = parser.parse_args(argv)
    evidence = args.evidence.resolve()
    sources = {"src": args.src.resolve()} | ({"against": args.against.resolve()} if args.against else {})
    trees: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, src in sources.items():
            # Copies, so that a __pycache__ left in a tree by another run cannot make "no .pyc" use .pyc files.
            trees[f"{name}, no .pyc"] = _copy(src, Path(tmp) / name / "plain", compile_=False)
            if not args.no_pyc_copy:
                trees[f"{name}, .pyc"] = _copy(src, Path(tmp) / name / "compiled", compile_=True)
        results = measure(trees, evidence, args.runs)
    print(f"CPU seconds, best of {args.runs} (load average {os.getloadavg()[0]:.1f}); " + ", ".join(
        f"{name}: {src}" for name, src in sources.items()))  # fmt: skip
    print(f"  {'':32}" + "".join(f"{label:>20}" for label in results))
    rows = {
        "version": "--version",
        "check_help": "check --help",
        "check_startup": "check, to first evidence read",
        **PHASES,
        "check_whole": "check, whole (tiny evidence)",
    }
    for key, row in rows.items():
        print(f"  {row:32}" + "".join(f"{figures[key]:20.3f}" for figures in results.values()))
    print(f"  {'modules at first evidence read':32}" + "".join(
        f"{figures['modules_at_first_read']:20d}" for figures in results.values()))  # fmt: skip
    if args.importtime:
        print("  slowest imports of the start-up (cumulative ms, --src as it is):")
        for micros, name in importtime(sources["src"], evidence):
            print(f"    {micros / 1000:7.1f}  {name}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
