"""How the HTML report behaves at scale in a real browser (headless Chromium).

Generates high-failure evidence big enough for ``--findings`` findings (20,000 by default: the
report's row cap), renders the HTML report with ``capcheck check --format html``, then opens it in
headless Chromium several times per view and reads the timings the page records itself:

* ``ready`` - from navigation start to the page's script having parsed the data block and rendered
  the first page of rows (``body[data-ready-ms]``): what "the report loads" means to a reader;
* ``apply`` - one filter, search or sort over every finding and the re-render of the first page
  (``#shown[data-ms]``), for: no filter, a status filter, a free-text search, a sort by message.

The view is chosen by the URL fragment (``#status=fail``, ``#q=...``, ``#sort=-message``): the same
code path as choosing it in the page (less the 120 ms typing debounce of the search box).

Usage::

    python benchmarks/html_report.py                    # 20,000 findings, 5 runs per view
    python benchmarks/html_report.py --findings 5000 --runs 3

Needs ``chromium`` on PATH (Debian: ``apt-get install chromium``). Prints a table and writes
``benchmarks/out/html-report.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
AS_OF = "2026-11-25"
VIEWS = (
    ("load, no filter", ""),
    ("status filter", "#status=fail"),
    ("search", "#q=c-00"),
    ("sort by message", "#sort=-message"),
)


def _capcheck() -> list[str]:
    venv = ROOT / ".venv" / "bin" / "capcheck"
    if venv.is_file():
        return [str(venv)]
    found = shutil.which("capcheck")
    if found is None:
        sys.exit("capcheck is not installed: pip install -e . (or run from the project's .venv)")
    return [found]


def _open(chromium: str, page: Path, fragment: str, profile: Path) -> dict[str, float | str]:
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        page.as_uri() + fragment,
    ]
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    wall = time.perf_counter() - t
    ready = re.search(r'data-ready-ms="([0-9.]+)"', done.stdout)
    apply = re.search(r'<p id="shown" data-ms="([0-9.]+)">([^<]*)<', done.stdout)
    if ready is None or apply is None:
        sys.exit(f"the page's script did not run in Chromium:\n{done.stderr[-2000:]}")
    return {
        "ready_ms": float(ready.group(1)),
        "apply_ms": float(apply.group(1)),
        "shown": apply.group(2),
        "wall_s": wall,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=20_000, help="findings in the report (default 20000)")
    parser.add_argument("--runs", type=int, default=5, help="page loads per view (default 5); the median is shown")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "html-report.json")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not on PATH: nothing measured (apt-get install chromium)")
        return 0
    with tempfile.TemporaryDirectory(prefix="capcheck-html-") as tmp:
        work = Path(tmp)
        # High-failure data gives about 0.9 failing findings a record, over three kinds.
        records = max(100, int(args.findings / 0.9 / 3) + 200)
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), "--records", str(records), "--scenario", "high-failure",
             "--out", str(work / "evidence")],
            check=True, capture_output=True,
        )  # fmt: skip
        page = work / "report.html"
        t = time.perf_counter()
        subprocess.run(
            [*_capcheck(), "check", str(work / "evidence"), "--as-of", AS_OF, "--format", "html", "-o", str(page),
             "--fail-on", "never"],
            check=True, capture_output=True,
        )  # fmt: skip
        render_s = time.perf_counter() - t
        size_mb = page.stat().st_size / 1e6
        results: dict[str, object] = {
            "findings_requested": args.findings,
            "records_per_kind": records,
            "page_mb": round(size_mb, 2),
            "render_s": round(render_s, 2),
            "views": {},
        }
        print(f"HTML report: {records} records per kind (high-failure), page {size_mb:.1f} MB, "
              f"written in {render_s:.2f} s (capcheck check, all rules)")  # fmt: skip
        print(f"{'view':<18} {'ready ms (median)':>18} {'apply ms (median)':>18}  shown")
        views: dict[str, object] = {}
        for label, fragment in VIEWS:
            runs = [_open(chromium, page, fragment, work / "profile") for _ in range(args.runs)]
            ready = statistics.median(float(r["ready_ms"]) for r in runs)
            apply = statistics.median(float(r["apply_ms"]) for r in runs)
            views[label] = {"fragment": fragment, "ready_ms": ready, "apply_ms": apply, "shown": runs[0]["shown"]}
            print(f"{label:<18} {ready:>18.0f} {apply:>18.1f}  {runs[0]['shown']}")
        results["views"] = views
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
