"""The reporters in CPU seconds and peak memory: ``capcheck check DATA -f FORMAT -o FILE``, format by format.

Each measure is the whole command line in a fresh process, best of ``--runs``: its CPU time (user + system)
and peak RSS, from the child's resource usage (``os.wait4``), and the size of what it wrote. CPU time, not
wall time, so that a shared machine's load does not blur the comparison; peak RSS is the process's own, so
a reporter that holds its findings or its text shows above the load's peak (``quiet``: the check alone).

The data is the benchmark's (``benchmarks/run.py --sizes 100000 --scenarios high-failure`` writes
``benchmarks/data/high-failure-n100000-s2017``); every rule of the pack runs, as ``capcheck check`` does.

Usage::

    python benchmarks/reporters.py [--data DIR] [--formats sarif,junit,text,compact,quiet,markdown,html,...]
                                   [--runs 3] [--src SRC] [--against OLD_SRC]

``--src`` measures another checkout's ``src`` (``rules/`` and ``schemas/`` beside it), run from source;
``--against OLD_SRC`` measures a second tree in the same session, taking turns, so that before and after are
compared fairly. Without ``--src`` the console script beside this interpreter is measured (the installed
package, or this checkout in editable mode).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "high-failure-n100000-s2017"
AS_OF = "2026-11-26"

#: What each measure passes to ``capcheck check`` beside the data and ``-o FILE``.
FORMATS: dict[str, tuple[str, ...]] = {
    "sarif": ("-f", "sarif"),
    "sarif-all": ("-f", "sarif", "--sarif-max-results", "0"),
    "junit": ("-f", "junit"),
    "text": ("-f", "text"),
    "compact": ("-f", "text", "--compact"),
    "quiet": ("-f", "text", "--quiet"),
    "markdown": ("-f", "markdown"),
    "json": ("-f", "json"),
    "csv": ("-f", "csv"),
    "html": ("-f", "html"),
    "github": ("-f", "github"),
    "azure-devops": ("-f", "azure-devops"),
    "gitlab": ("-f", "gitlab"),
}
DEFAULT_FORMATS = ("sarif", "junit", "text", "compact", "quiet", "markdown")


def _command(src: Path | None) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run capcheck from ``src`` (None: the console script)."""
    env = dict(os.environ)
    if src is None:
        script = Path(sys.executable).with_name("capcheck")
        return ([str(script)] if script.is_file() else [sys.executable, "-m", "capcheck"]), env
    env["PYTHONPATH"] = str(src / "src")
    return [sys.executable, "-m", "capcheck"], env


def measure(command: Sequence[str], env: dict[str, str], out: Path) -> tuple[float, float, int]:
    """One run of ``command``: its CPU seconds (user + system), peak RSS in MiB, and the size of ``out``."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            err.seek(0)
            raise SystemExit(f"{' '.join(command)} exited {code}:\n{err.read().decode('utf-8', 'replace')}")
    rss = usage.ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else usage.ru_maxrss / 1024  # bytes / KiB
    return usage.ru_utime + usage.ru_stime, rss, out.stat().st_size


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each format (and tree), print a Markdown table; 2 on a usage error."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the evidence directory (default: %(default)s)")
    parser.add_argument("--as-of", default=AS_OF, help="the as-of date (default: %(default)s)")
    parser.add_argument(
        "--formats", default=",".join(DEFAULT_FORMATS), help=f"comma-separated, of {', '.join(FORMATS)}"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per measure; the best is kept (default: 3)")
    parser.add_argument("--src", type=Path, help="a checkout to measure from source (default: the console script)")
    parser.add_argument("--against", type=Path, help="a second checkout, measured in turns with the first")
    args = parser.parse_args(argv)
    formats = [name.strip() for name in args.formats.split(",") if name.strip()]
    unknown = [name for name in formats if name not in FORMATS]
    if unknown or not formats:
        parser.error(f"unknown format {', '.join(unknown) or '(none)'}: choose from {', '.join(FORMATS)}")
    if not args.data.is_dir():
        print(
            f"{args.data}: no such directory; `python benchmarks/run.py --sizes 100000 --scenarios high-failure` "
            "writes the default data",
            file=sys.stderr,
        )
        return 2
    trees: list[tuple[str, Path | None]] = [("after" if args.against else "this", args.src)]
    if args.against:
        trees.insert(0, ("before", args.against))
    best: dict[tuple[str, str], tuple[float, float, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in formats:
            for _ in range(args.runs):
                for label, src in trees:  # in turns: a busy minute slows both trees alike
                    command, env = _command(src)
                    out = Path(tmp) / f"{label}.{name}"
                    cpu, rss, size = measure(
                        [*command, "check", str(args.data), "--as-of", args.as_of, *FORMATS[name], "-o", str(out)],
                        env,
                        out,
                    )
                    kept = best.get((name, label))
                    # The best CPU time of the runs; the highest peak (a peak is the same from run to run).
                    best[(name, label)] = (
                        (cpu, rss, size) if kept is None else (min(kept[0], cpu), max(kept[1], rss), size)
                    )
    print(f"`capcheck check {args.data} --as-of {args.as_of} ARGS -o FILE`, best of {args.runs} (CPU s: user + system)")
    print()
    print("| format | tree | CPU s | peak RSS (MiB) | output (bytes) |")
    print("|---|---|---|---|---|")
    for name in formats:
        for label, _src in trees:
            cpu, rss, size = best[(name, label)]
            print(f"| `{' '.join(FORMATS[name])}` | {label} | {cpu:.2f} | {rss:,.0f} | {size:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
