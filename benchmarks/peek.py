"""What peeking at evidence files costs: each file's kinds from its first bytes (``peek_kinds``), in CPU milliseconds.

A process-parallel check (issue #11) places files by kind before any is loaded; this is what that placing costs the
parent. For each directory, ``capcheck.core.loading.peek_kinds`` over its evidence files with the bundled loaders
(content recognition included, as ``check`` chooses), best of ``--runs`` in one process (``time.process_time``),
after the registry is built (start-up is ``startup.py``'s). Each file's answer is printed beside it: a kind set, or
``None`` (cannot tell cheaply: the run would fall back to one process).

Usage, on data ``run.py`` generated (or any evidence directory)::

    python benchmarks/peek.py benchmarks/data/typical-n100000-s2017 benchmarks/data/high-failure-n100000-s2017

Set ``PYTHONPATH`` to another checkout's ``src`` to measure it with the same script and data.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.core.evidence import find_evidence_files
from capcheck.core.loading import LoadContext, peek_kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("dirs", nargs="+", type=Path, help="evidence directories")
    parser.add_argument("--runs", type=int, default=5, help="best of this many (default 5)")
    args = parser.parse_args(argv)
    registry = load_registry(Config())
    context = LoadContext(kinds=registry.kinds)
    loaders, content_loaders = registry.loaders, registry.content_loaders
    extensions = {*loaders, *(ext for c in content_loaders for ext in c.extensions)}
    for directory in args.dirs:
        files, problems = find_evidence_files([directory], extensions)
        if problems:
            parser.error(f"{directory}: {problems[0]}")
        size = sum(path.stat().st_size for path in files)
        best = float("inf")
        answers: dict[Path, frozenset[str] | None] = {}
        for _ in range(max(1, args.runs)):
            start = time.process_time()
            answers = peek_kinds(files, loaders=loaders, content_loaders=content_loaders, context=context)
            best = min(best, time.process_time() - start)
        cost = f"peek {best * 1000:.2f} ms CPU (best of {args.runs})"
        print(f"{directory}: {len(files)} files, {size / 1e6:.1f} MB: {cost}")
        for path in files:
            kinds = answers[path]
            print(f"  {path.name}: {', '.join(sorted(kinds)) if kinds is not None else 'None'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
