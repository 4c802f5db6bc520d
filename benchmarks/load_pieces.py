"""Where loading JSON evidence goes, piece by piece: each step of the load timed alone, in CPU seconds.

``benchmarks/cpu_phases.py`` gives the load as one figure. This script parses the evidence files once, then
times each piece of what ``capcheck`` does with them, over all the files, best of ``--runs`` in one process
(``time.process_time``; the garbage collector paused, as a check runs):

* ``orjson.loads`` — the parse (the yardstick: everything else is what capcheck adds to it);
* the byte tally (``jsonfile.tally``: one pass counting the colons, braces and newlines the next two read);
* the duplicate-key check (``jsonfile._refuse_duplicate_keys``: colon counts against the members kept);
* the record line tables (``jsonfile._line_table``);
* the schema validation (``jsonschema-rs``: each file's records against its kind, one compiled call);
* the id index (``evidence._positions``, as ``evidence._index`` makes it for a kind's first file; the ids'
  hashes are cached after the first run, so a little under what a load pays);
* the enrichers (the end-of-life fill of ``it-assets``), on a fresh parse each run (they change records).

Usage, on data ``run.py`` generated (or any directory of JSON evidence)::

    python benchmarks/load_pieces.py benchmarks/data/high-failure-n100000-s2017 [--runs 5]

Set ``PYTHONPATH`` to another checkout's ``src`` to measure it with the same script and data.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from operator import itemgetter
from pathlib import Path
from typing import Any


def _best(runs: int, work: Callable[[Any], object], prepare: Callable[[], Any] = lambda: None) -> float:
    """The least CPU time of ``work(prepare())`` over ``runs`` runs (``prepare`` not timed)."""
    best = float("inf")
    for _ in range(runs):
        arg = prepare()
        start = time.process_time()
        work(arg)
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    """Measure and print the pieces, CPU seconds over all the files."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each piece, the best kept")
    args = parser.parse_args(argv)
    gc.disable()
    try:
        return _measure(args.directory, args.runs)
    finally:
        gc.enable()


def _measure(directory: Path, runs: int) -> int:

    import orjson

    from capcheck.app.config import Config
    from capcheck.app.runner import load_registry
    from capcheck.builtins.loaders import jsonfile
    from capcheck.core import evidence
    from capcheck.core.loading import Document, LoadContext, SourceFile

    positions = getattr(evidence, "_positions", None)

    def index(ids: Any, records: list[Any]) -> dict[str, int]:
        """A file's id index as its tree makes it (before ``_positions``: the plain dict)."""
        if positions is not None:
            made: dict[str, int] = positions(ids, range(len(records)))
            return made
        return dict(zip(ids, range(len(records)), strict=True))

    registry = load_registry(Config())
    files = sorted(directory.glob("*.json"))
    sources = [SourceFile(path=f, display=f.name, data=f.read_bytes()) for f in files]
    datas = [s.data for s in sources]
    docs = [orjson.loads(data) for data in datas]
    kinds = [registry.kinds[doc["kind"]] for doc in docs]
    context = LoadContext(kinds=registry.kinds)

    def enrich(fresh: list[Document]) -> None:
        for doc in fresh:
            for enricher in registry.enrichers:
                if not enricher.kinds or doc.kind in enricher.kinds:
                    enricher.enrich(doc, context)

    def fresh_documents() -> list[Document]:
        return [Document(kind=d["kind"], records=orjson.loads(s.data)["records"], locate=lambda i: None)
                for s, d in zip(sources, docs, strict=True)]  # fmt: skip

    # A tree from before the tally counted the bytes in each check: measured as it loads, with no tally piece.
    tally = getattr(jsonfile, "tally", None)
    tallies = [tally(data) if tally is not None else None for data in datas]
    counted = {"tally": tallies} if tally is not None else {}
    objects = [jsonfile._all_objects(d.get("records")) for d in docs]
    pieces = {
        "orjson.loads": _best(runs, lambda _: [orjson.loads(s.data) for s in sources]),
        "byte tally": _best(runs, lambda _: [*map(tally, datas)]) if tally is not None else 0.0,
        "duplicate-key check": _best(
            runs, lambda _: [*map(jsonfile._refuse_duplicate_keys, sources, datas, docs, objects, *counted.values())]
        ),
        "record line tables": _best(
            runs, lambda _: [*map(jsonfile._line_table, datas, docs, objects, *counted.values())]
        ),
        "schema validation (jsonschema-rs)": _best(
            runs, lambda _: [k.records_validator.is_valid(d["records"]) for k, d in zip(kinds, docs, strict=True)]
        ),
        "id index": _best(runs, lambda _: [index(map(itemgetter("id"), d["records"]), d["records"]) for d in docs]),
        "enrichers": _best(runs, enrich, fresh_documents),
    }
    parse = pieces["orjson.loads"]
    print(f"{directory}: CPU seconds over {len(files)} files, best of {runs}")
    for name, seconds in pieces.items():
        share = "" if name == "orjson.loads" else f"   = {seconds / parse:.2f} x orjson.loads"
        print(f"  {name:<36} {seconds:6.3f}{share}")
    added = sum(pieces.values()) - parse
    print(f"  {'all but the parse':<36} {added:6.3f}   = {added / parse:.2f} x orjson.loads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
