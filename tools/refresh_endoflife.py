"""Refresh capcheck's bundled end-of-life snapshot (``rules/reference-data/endoflife.json``).

The snapshot is public product lifecycle data from endoflife.date (MIT licence, "Copyright 2020
endoflife.date contributors"): per product its package URLs and, per release cycle, the end of security
support (``eol``: a date, or true/false when none is published) and of active and extended support.
capcheck never fetches it at run time: a run is reproducible, and works offline.

To refresh it, take a checkout of the endoflife.date repository and convert its product pages (the YAML
front matter of ``products/<product>.md``)::

    git clone --depth 1 https://github.com/endoflife-date/endoflife.date /tmp/endoflife.date
    python tools/refresh_endoflife.py --repo /tmp/endoflife.date
    git diff --stat rules/reference-data/endoflife.json    # review, run the tests, commit

``--products`` limits the snapshot to a list of product ids (default: the products already in the
snapshot, so the bundle stays small); ``--from FILE`` converts a research dump of the same data
(``{"source": ..., "products": {id: {"title", "purl_examples", "cycles": [...]}}}``) instead of a
checkout. The snapshot's date is the checkout's last commit date (``--date`` overrides it); findings
cite it. The output is deterministic (sorted keys, fixed layout), so a refresh diffs cleanly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "rules" / "reference-data" / "endoflife.json"
LICENCE = "MIT (Copyright 2020 endoflife.date contributors)"
#: The cycle fields kept: end of security support, of active support, of extended (paid) support.
KEPT = ("eol", "eoas", "eoes")


def _iso(value: Any) -> Any:
    """Dates as ISO strings; true/false kept (no date published); anything else dropped (None)."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    return None


def _product(title: str, purls: Iterable[str], cycles: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    kept = []
    for cycle in cycles:
        name = cycle.get("releaseCycle")
        if name is None:
            continue
        entry: dict[str, Any] = {"cycle": str(name)}
        for key in KEPT:
            value = _iso(cycle.get(key))
            if value is not None:
                entry[key] = value
        kept.append(entry)
    return {"title": title, "purls": sorted(set(purls)), "cycles": kept}


def from_repo(repo: Path, products: Iterable[str] | None) -> dict[str, dict[str, Any]]:
    """Each product page's front matter (``products/<id>.md``), converted."""
    found: dict[str, dict[str, Any]] = {}
    for page in sorted((repo / "products").glob("*.md")):
        if products is not None and page.stem not in products:
            continue
        text = page.read_text(encoding="utf-8")
        if not text.startswith("---"):
            continue
        front = yaml.safe_load(text.split("---", 2)[1]) or {}
        purls = [i["purl"] for i in front.get("identifiers") or [] if isinstance(i, dict) and "purl" in i]
        found[page.stem] = _product(str(front.get("title", page.stem)), purls, front.get("releases") or [])
    return found


def from_dump(path: Path, products: Iterable[str] | None) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """A research dump (``{"source", "products": {id: {"title", "purl_examples", "cycles"}}}``), converted."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    found = {
        pid: _product(p.get("title", pid), p.get("purl_examples") or [], p.get("cycles") or [])
        for pid, p in doc["products"].items()
        if products is None or pid in products
    }
    return found, doc.get("source", {})


def write(products: Mapping[str, Any], source: Mapping[str, Any], out: Path) -> None:
    """The snapshot, deterministic and diffable: sorted products and keys, one release cycle a line."""

    def dump(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    lines = ["{", f' "source": {dump(dict(source))},', ' "products": {']
    names = sorted(products)
    for i, pid in enumerate(names):
        product = products[pid]
        lines.append(f"  {dump(pid)}: {{")
        lines.append(f'   "title": {dump(product["title"])},')
        lines.append(f'   "purls": {dump(product["purls"])},')
        lines.append('   "cycles": [')
        cycles = product["cycles"]
        lines.extend(f"    {dump(c)}{',' if j < len(cycles) - 1 else ''}" for j, c in enumerate(cycles))
        lines.append("   ]")
        lines.append("  }" + ("," if i < len(names) - 1 else ""))
    lines += [" }", "}"]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--repo", type=Path, help="a checkout of github.com/endoflife-date/endoflife.date")
    what.add_argument("--from", dest="dump", type=Path, help="a research dump of the same data (JSON)")
    parser.add_argument("--products", help="comma-separated product ids (default: those in the current snapshot)")
    parser.add_argument("--date", help="the snapshot date, YYYY-MM-DD (default: the data's commit date)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default: {OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    if args.products:
        wanted: set[str] | None = {p.strip() for p in args.products.split(",") if p.strip()}
    elif args.out.exists():
        wanted = set(json.loads(args.out.read_text(encoding="utf-8"))["products"])
    else:
        wanted = None
    if args.repo is not None:
        products = from_repo(args.repo, wanted)
        commit = subprocess.run(
            ["git", "-C", str(args.repo), "log", "-1", "--format=%H %cI"], capture_output=True, text=True, check=True
        ).stdout.split()
        source = {"repo": "endoflife-date/endoflife.date", "commit": commit[0], "commit_date": commit[1]}
    else:
        products, dumped = from_dump(args.dump, wanted)
        source = {k: dumped[k] for k in ("repo", "commit", "commit_date") if k in dumped}
    date = args.date or str(source.get("commit_date", ""))[:10]
    dt.date.fromisoformat(date)  # a snapshot without a date cannot be cited
    source.update({"name": "endoflife.date", "url": "https://endoflife.date", "licence": LICENCE, "date": date})
    if not products:
        print("no products found", file=sys.stderr)
        return 1
    write(products, source, args.out)
    cycles = sum(len(p["cycles"]) for p in products.values())
    print(f"wrote {args.out}: {len(products)} products, {cycles} cycles, snapshot of {date}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
