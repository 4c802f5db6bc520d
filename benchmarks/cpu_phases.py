"""Load and evaluate in CPU seconds, beside json.loads and orjson.loads: figures a busy machine cannot blur.

``benchmarks/run.py`` measures wall time, which a shared machine stretches by whatever else runs (a load
average of 10 on two cores made every one of its figures three to four times longer). This script
measures the same two capcheck phases in CPU time, in fresh processes, best of ``--runs``:

* ``json.loads`` / ``orjson.loads`` of the files (CPU of the process);
* capcheck's *load* (``runner.load_request_evidence``: read, parse, validate, index) as the CPU time of
  the thread that runs it (the critical path: reading and hashing run on a worker thread, overlapped)
  and as the CPU time of the whole process (all the work done);
* *evaluate*: the ten typical rules' own checks, each run to a list of its outcomes (as ``run.py``
  times them), CPU time, per rule and in all;
* *materialise*: the rest of ``run_check`` over the loaded evidence (the engine keeping outcomes,
  sorting, the scorecard), its CPU time less *evaluate*;
* *write*: the JSON reporter streaming the findings document to an atomic file (the first write, so the
  record-line scans of a loader that finds lines lazily are in it).

Usage, on data ``run.py`` generated (or any evidence directory)::

    python benchmarks/cpu_phases.py benchmarks/data/high-failure-n100000-s2017 [--runs 3]

Set ``PYTHONPATH`` to another checkout's ``src`` to measure it with the same script and data.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

TYPICAL = (
    "COMM-001", "COMM-002", "COMM-003", "COMM-004", "GOV-001",
    "GOV-002", "INFRA-001", "INFRA-002", "INFRA-003", "INFRA-004",
)  # fmt: skip
AS_OF = "2026-11-25"

_PARSE = """
import gc, json, sys, time
from pathlib import Path
gc.disable()
import orjson
files = sorted(Path(sys.argv[1]).glob('*.json'))
out = {}
for name, loads in (('json.loads', json.loads), ('orjson.loads', orjson.loads)):
    t = time.process_time()
    docs = [loads(f.read_bytes()) for f in files]
    out[name] = time.process_time() - t
    del docs
print(json.dumps(out))
"""

_CAPCHECK = """
import gc, json, sys, time
from datetime import date
from pathlib import Path
gc.disable()  # as runner.run_check does
import capcheck.app.runner as runner
from capcheck.app.config import Config
from capcheck.core.rules import RuleContext
as_of = date.fromisoformat(sys.argv[2])
registry = runner.load_registry(Config())
one = {'jobs': 1} if 'jobs' in getattr(runner.CheckRequest, '__dataclass_fields__', {}) else {}  # one process's phases
request = runner.CheckRequest(paths=[Path(sys.argv[1])], as_of=as_of, select=sys.argv[3].split(','), **one)
thread, process, wall = time.thread_time(), time.process_time(), time.perf_counter()
evidence = runner.load_request_evidence(registry, request)
out = {'load_thread': time.thread_time() - thread, 'load_process': time.process_time() - process,
       'load_wall': time.perf_counter() - wall, 'rules': {}}
for rule in runner.selected_rules(registry, request):
    ctx = RuleContext(rule.meta, evidence, as_of, dict(rule.meta.options))
    t = time.process_time()
    outcomes = list(rule.check(evidence, ctx))
    out['rules'][rule.meta.id] = time.process_time() - t
out['evaluate'] = sum(out['rules'].values())
# The rest of the check with this evidence (the engine, waivers, baseline, sorting, the scorecard): the check's
# CPU less the rules' own; then the JSON write to an atomic file, the first, so with the record-line scans.
import tempfile
from capcheck.builtins.reporters.json import write_json
from capcheck.core.reporting import RenderOptions, stream_atomic
runner.load_request_evidence = lambda *args, **kwargs: evidence
t = time.process_time()
result = runner.run_check(request, registry)
out['materialise'] = time.process_time() - t - out['evaluate']
with tempfile.TemporaryDirectory() as tmp:
    t = time.process_time()
    stream_atomic(Path(tmp) / 'findings.json', lambda stream: write_json(result, RenderOptions(), stream))
    out['write'] = time.process_time() - t
print(json.dumps(out))
"""


def _run(code: str, *args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    best: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, dict):
            best[key] = _best([r[key] for r in runs])
        else:
            best[key] = min(r[key] for r in runs)
    return best


def main(argv: list[str] | None = None) -> int:
    """Measure and print; the figures as JSON on the last line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per measure, the best kept")
    parser.add_argument("--as-of", default=AS_OF)
    args = parser.parse_args(argv)
    parse = _best([_run(_PARSE, str(args.directory)) for _ in range(args.runs)])
    cc = _best([_run(_CAPCHECK, str(args.directory), args.as_of, ",".join(TYPICAL)) for _ in range(args.runs)])
    base = parse["json.loads"]
    print(f"{args.directory}: CPU seconds, best of {args.runs}")
    print(f"  json.loads                  {base:6.2f}")
    print(f"  orjson.loads                {parse['orjson.loads']:6.2f}")
    print(f"  load (its thread)           {cc['load_thread']:6.2f}   = {cc['load_thread'] / base:.2f} x json.loads")
    print(f"  load (whole process)        {cc['load_process']:6.2f}")
    print(f"  evaluate, 10 typical rules  {cc['evaluate']:6.2f}   = {cc['evaluate'] / base:.2f} x json.loads")
    for rule_id, seconds in cc["rules"].items():
        print(f"    {rule_id:<10} {seconds * 1000:7.1f} ms")
    print(f"  materialise                 {cc['materialise']:6.2f}")
    print(f"  write JSON                  {cc['write']:6.2f}")
    print(
        f"  materialise + write         {cc['materialise'] + cc['write']:6.2f}   "
        f"= {(cc['materialise'] + cc['write']) / base:.2f} x json.loads"
    )
    print(json.dumps({**parse, **cc}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
