"""capcheck's speed and memory benchmark.

For each size N (records per kind; three kinds), generate seeded evidence with
``benchmarks/generate.py``, then measure, each phase in a fresh process so that peak memory
(max RSS) is the phase's own:

* ``json.loads``   - the stdlib parsing the same three files: the yardstick;
* ``orjson.loads`` - the fast parser capcheck uses;
* ``capcheck``     - plugin/registry start-up, load + validate, evaluate (every bundled rule),
                     render JSON, inside one process;
* ``capcheck check`` - the real command line, wall time, output to a file;
* peer validators - the ``jsonschema`` package and ``jsonschema-rs`` on a sample of records, per
                     record, to show what schema validation would cost with each.

Usage::

    python benchmarks/run.py                      # N = 10k, 100k, 1M
    python benchmarks/run.py --sizes 10000,100000 # quicker

Figures are printed as a table and written to ``benchmarks/out/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KINDS = ("supplier-contracts", "it-assets", "governance-register")
AS_OF = "2026-11-25"
#: "Ten typical rules" (the foundation issue's yardstick): the starter rules on the three core kinds,
#: declarative and Python, a join and two aggregates among them.
TYPICAL = (
    "COMM-001", "COMM-002", "COMM-003", "COMM-004", "GOV-001",
    "GOV-002", "INFRA-001", "INFRA-002", "INFRA-003", "INFRA-004",
)  # fmt: skip

# Each phase runs as `python -c PHASE_CODE[phase] DIR` and prints one JSON line.
_PRELUDE = """
import json, resource, sys, time
from pathlib import Path
d = Path(sys.argv[1])
files = sorted(d.glob('*.json'))
def done(**kw):
    kw['max_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(kw))
"""
PHASES = {
    "json.loads": _PRELUDE
    + """
t = time.perf_counter()
docs = [json.loads(f.read_bytes()) for f in files]
done(seconds=time.perf_counter() - t, records=sum(len(x['records']) for x in docs))
""",
    "orjson.loads": _PRELUDE
    + """
import orjson
t = time.perf_counter()
docs = [orjson.loads(f.read_bytes()) for f in files]
done(seconds=time.perf_counter() - t, records=sum(len(x['records']) for x in docs))
""",
    "capcheck": _PRELUDE
    + """
from datetime import date
t0 = time.perf_counter()
from capcheck.config import Config
from capcheck.runner import load_registry, selected_rules, CheckRequest
from capcheck.evidence import load_evidence
from capcheck.engine import evaluate
import gc
gc.disable()  # as capcheck.runner.run_check does for a check
registry = load_registry(Config())
t1 = time.perf_counter()
ev = load_evidence([d], loaders=registry.loaders, kinds=registry.kinds)
t2 = time.perf_counter()
rules = selected_rules(registry, CheckRequest(paths=[d]))
result = evaluate(rules, ev, as_of=date.fromisoformat('AS_OF'))
t3 = time.perf_counter()
done(startup=t1 - t0, load_validate=t2 - t1, evaluate=t3 - t2, rules=len(rules),
     records=sum(f.records for f in ev.files), findings=len(result.findings),
     failed=result.summary.by_status['fail'], passed=result.summary.by_status['pass'])
""".replace("AS_OF", AS_OF),
    "peers": _PRELUDE
    + """
import jsonschema, jsonschema_rs, orjson
from capcheck.kinds import bundled_kinds
kinds = {k.id: k for k in bundled_kinds()}
out = {}
for f in files:
    doc = orjson.loads(f.read_bytes())
    sample = doc['records'][:2000]
    schema = kinds[doc['kind']].schema
    py = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    t = time.perf_counter(); [py.is_valid(r) for r in sample]; py_t = time.perf_counter() - t
    rs = jsonschema_rs.validator_for(schema, validate_formats=True)
    t = time.perf_counter(); [rs.is_valid(r) for r in sample]; rs_t = time.perf_counter() - t
    out[doc['kind']] = {'jsonschema_us': py_t / len(sample) * 1e6, 'jsonschema_rs_us': rs_t / len(sample) * 1e6}
done(per_record=out)
""",
}


def _phase(name: str, directory: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", PHASES[name], str(directory)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{proc.stderr}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _cli(directory: Path, out: Path, select: tuple[str, ...] = ()) -> tuple[float, int]:
    """Wall time of the real command line (best of two runs), JSON findings written to a file."""
    capcheck = Path(sys.executable).with_name("capcheck")
    cmd = [str(capcheck), "check", str(directory), "--as-of", AS_OF, "-f", "json", "-o", str(out)]
    for rule_id in select:
        cmd += ["--select", rule_id]
    best = float("inf")
    code = 0
    for _ in range(2):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        best = min(best, time.perf_counter() - t)
        code = proc.returncode
        if code not in (0, 1):
            raise SystemExit(f"capcheck check failed ({code}):\n{proc.stderr}")
    return best, code


def _generate(n: int, seed: int) -> Path:
    directory = HERE / "data" / f"n{n}-s{seed}"
    if all((directory / f"{k}.json").is_file() for k in KINDS):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), "--records", str(n), "--seed", str(seed), "--out", str(directory)],
        check=True,
    )
    return directory


def _version_time() -> float:
    capcheck = Path(sys.executable).with_name("capcheck")
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([str(capcheck), "--version"], capture_output=True, check=True)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="records per kind, comma-separated")
    parser.add_argument("--seed", type=int, default=2017)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    (HERE / "out").mkdir(exist_ok=True)
    results: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    version_s = _version_time()
    results["version_seconds"] = version_s
    print(f"capcheck --version: {version_s * 1000:.0f} ms (best of 5, wall)")
    rows = []
    for n in sizes:
        directory = _generate(n, args.seed)
        size_mb = sum(f.stat().st_size for f in directory.glob("*.json")) / 1e6
        stdlib = _phase("json.loads", directory)
        fast = _phase("orjson.loads", directory)
        cc = _phase("capcheck", directory)
        wall, code = _cli(directory, HERE / "out" / f"findings-{n}.json")
        typical, _ = _cli(directory, HERE / "out" / f"findings-{n}-typical.json", TYPICAL)
        peers = _phase("peers", directory)
        records = cc["records"]
        row = {
            "records_per_kind": n,
            "total_records": records,
            "input_mb": round(size_mb, 1),
            "json_loads_s": stdlib["seconds"],
            "json_loads_rss_mb": stdlib["max_rss_mb"],
            "orjson_loads_s": fast["seconds"],
            "startup_s": cc["startup"],
            "load_validate_s": cc["load_validate"],
            "evaluate_s": cc["evaluate"],
            "rules": cc["rules"],
            "failed": cc["failed"],
            "passed": cc["passed"],
            "capcheck_rss_mb": cc["max_rss_mb"],
            "records_per_s": records / (cc["load_validate"] + cc["evaluate"]),
            "check_wall_s": wall,
            "check_exit": code,
            "ratio_check_to_json_loads": wall / stdlib["seconds"],
            "check_typical_wall_s": typical,
            "ratio_typical_to_json_loads": typical / stdlib["seconds"],
            "peers_us_per_record": peers["per_record"],
        }
        rows.append(row)
        print(
            f"\nN = {n:,} per kind ({records:,} records, {size_mb:.0f} MB JSON), {cc['rules']} rules"
            f"\n  json.loads (stdlib)      {stdlib['seconds']:8.2f} s   peak {stdlib['max_rss_mb']:7.0f} MB"
            f"\n  orjson.loads             {fast['seconds']:8.2f} s   peak {fast['max_rss_mb']:7.0f} MB"
            f"\n  capcheck start-up        {cc['startup']:8.2f} s"
            f"\n  capcheck load+validate   {cc['load_validate']:8.2f} s"
            f"\n  capcheck evaluate        {cc['evaluate']:8.2f} s   ({cc['failed']:,} failed, {cc['passed']:,} passed)"
            f"\n  capcheck in-process      {cc['load_validate'] + cc['evaluate']:8.2f} s   "
            f"peak {cc['max_rss_mb']:7.0f} MB   {row['records_per_s']:,.0f} records/s"
            f"\n  capcheck check, 10 typical rules (CLI) {typical:6.2f} s   = "
            f"{row['ratio_typical_to_json_loads']:.2f} x json.loads (target <= 3)"
            f"\n  capcheck check, all {cc['rules']} rules (CLI)   {wall:6.2f} s   = "
            f"{row['ratio_check_to_json_loads']:.2f} x json.loads"
        )
        for kind, p in peers["per_record"].items():
            print(
                f"  validate one {kind:<20} jsonschema {p['jsonschema_us']:7.1f} us   "
                f"jsonschema-rs {p['jsonschema_rs_us']:5.2f} us"
            )
    results["runs"] = rows
    (HERE / "out" / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
