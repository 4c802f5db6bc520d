"""What loading one register by ranges costs (``Loader.divide``, ``Loader.load_range``), in CPU seconds.

Stage 2 of the split check (issue #11) divides one register over processes, each loading a range of its records
alone. For each JSON or CSV evidence file in the directories: the loader's ``load`` of the whole file (its bytes read
first, as a check reads them), then ``divide`` into ``--parts`` ranges and each range's ``load_range`` alone (which
reads its own bytes, the file's ends and the newlines before it), best of ``--runs`` in one process
(``time.process_time``; the garbage collector paused, as a check runs). A range costs about its share when the
ranges' sum is near the whole load; the largest range bounds a split load.

Usage, on data ``run.py`` or ``generate.py`` made (JSON, or ``--format csv``)::

    python benchmarks/ranges.py benchmarks/data/high-failure-n100000-s2017 [--parts 2] [--runs 3]

Set ``PYTHONPATH`` to another checkout's ``src`` to measure it with the same script and data.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.core.loading import LoadContext, Loader, SourceFile


def _best(runs: int, work: Callable[[], Any]) -> float:
    """The least CPU time of ``work()`` over ``runs`` runs, its result dropped before the next."""
    best = float("inf")
    for _ in range(max(1, runs)):
        start = time.process_time()
        result = work()
        best = min(best, time.process_time() - start)
        del result
    return best


def _measure(path: Path, loader: Loader, context: LoadContext, parts: int, runs: int) -> str:
    """One file's line: the whole load, divide, and each range's load alone."""
    divide, load_range = loader.divide, loader.load_range
    assert divide is not None and load_range is not None
    whole = _best(runs, lambda: loader.load(SourceFile(path, path.name, path.read_bytes()), context))
    ranges = divide(path, path.stat().st_size, parts, context)
    if ranges is None:
        return f"{path}: load {whole:.3f} s; not divided"
    costs = [_best(runs, partial(load_range, path, span, context)) for span in ranges]
    cut = _best(runs, lambda: divide(path, path.stat().st_size, parts, context))
    shown = " + ".join(f"{c:.3f}" for c in costs)
    return (
        f"{path}: load {whole:.3f} s; divide {cut * 1000:.2f} ms; {len(ranges)} ranges {shown} = "
        f"{sum(costs):.3f} s ({sum(costs) / whole:.2f}x), the largest {max(costs) / whole:.2f}x the whole"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("dirs", nargs="+", type=Path, help="evidence directories")
    parser.add_argument("--parts", type=int, default=2, help="ranges per file (default 2)")
    parser.add_argument("--runs", type=int, default=3, help="best of this many (default 3)")
    args = parser.parse_args(argv)
    registry = load_registry(Config())
    context = LoadContext(kinds=registry.kinds)
    gc.disable()
    try:
        for directory in args.dirs:
            for path in sorted(directory.iterdir()):
                loader = registry.loaders.get(path.suffix.lower())
                if loader is not None and loader.divide is not None and loader.load_range is not None:
                    print(_measure(path, loader, context, args.parts, args.runs))
    finally:
        gc.enable()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
