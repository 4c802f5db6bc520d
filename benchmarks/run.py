"""capcheck's speed and memory benchmark, per scenario and size, with its peers in the same run.

For each scenario (``typical``: about 15 % of findings fail; ``high-failure``: about 0.9 failing
findings a record, a register at the start of an assurance programme) and each size N (records
per kind; three kinds), generate seeded evidence with ``benchmarks/generate.py``, then measure,
each in a fresh process so that peak memory (max RSS) is its own:

* ``json.loads`` / ``orjson.loads`` - parsing the same three files: the yardsticks;
* ``capcheck`` in-process with the ten typical rules, JSON out, phase by phase: start-up (plugins,
  registry), load (read, parse, validate, index), evaluate (the rules' own checks), materialise
  (turning outcomes into findings with provenance and fingerprints, sorting, the scorecard: the
  rest of ``run_check``), write (render JSON, write the file), and peak RSS after load, after the
  check (findings built) and after the write;
  the failure figures the data gives (failing findings, share of records failing);
* ``polars`` - a vectorised engine evaluating the same ten rules over the same files, as polars
  expressions giving each rule's failing record ids (or groups); the ids are compared with
  capcheck's for every rule, a correctness cross-check (skipped, and said so, without polars:
  ``pip install -e '.[bench]'``);
* ``capcheck check`` - the real command line, wall time (best of two), ten typical rules and all;
* peer validators - the ``jsonschema`` package and ``jsonschema-rs``, per record, on a sample.

Usage (from the repository; the script finds the project's ``.venv`` when capcheck is not
importable from the interpreter running it)::

    python benchmarks/run.py                                  # N = 10k, 100k, 1M; both scenarios
    python benchmarks/run.py --sizes 10000,100000             # quicker
    python benchmarks/run.py --sizes 1000 --scenarios high-failure

Figures are printed and written to ``benchmarks/out/results.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KINDS = ("supplier-contracts", "it-assets", "governance-register")
SCENARIOS = ("typical", "high-failure")
AS_OF = "2026-11-25"
#: "Ten typical rules" (the foundation issue's yardstick): the starter rules on the three core kinds,
#: declarative and Python, a join and two aggregates among them.
TYPICAL = (
    "COMM-001", "COMM-002", "COMM-003", "COMM-004", "GOV-001",
    "GOV-002", "INFRA-001", "INFRA-002", "INFRA-003", "INFRA-004",
)  # fmt: skip

# Each phase runs as `python -c PHASE_CODE[phase] DIR [IDS_FILE]` and prints one JSON line.
_PRELUDE = """
import json, resource, sys, time
from pathlib import Path
d = Path(sys.argv[1])
files = sorted(d.glob('*.json'))
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def done(**kw):
    kw['max_rss_mb'] = rss()
    print(json.dumps(kw))
"""
PHASES = {
    "json.loads": _PRELUDE
    + """
t, c = time.perf_counter(), time.process_time()
docs = [json.loads(f.read_bytes()) for f in files]
done(seconds=time.perf_counter() - t, cpu=time.process_time() - c, records=sum(len(x['records']) for x in docs))
""",
    "orjson.loads": _PRELUDE
    + """
import orjson
t, c = time.perf_counter(), time.process_time()
docs = [orjson.loads(f.read_bytes()) for f in files]
done(seconds=time.perf_counter() - t, cpu=time.process_time() - c, records=sum(len(x['records']) for x in docs))
""",
    # One check as the CLI runs it (runner.run_check, GC paused), with the load and evaluate steps it
    # calls timed by wrapping them: a rule's check is timed alone (its outcomes listed), so what
    # evaluate() spends besides is building findings (provenance, fingerprints) and sorting them.
    "capcheck": _PRELUDE
    + """
from datetime import date
t0 = time.perf_counter()
import capcheck.app.runner as runner
from capcheck.app.config import Config
from capcheck.core.models import Status
from capcheck.core.reporting import RenderOptions, write_atomic
registry = runner.load_registry(Config())
startup = time.perf_counter() - t0
# Wall time, and CPU time (the process's own: steadier than wall time on a shared machine).
cpu = time.process_time
marks = {'check': 0.0, 'check_cpu': 0.0}
real_load, real_evaluate = runner.load_request_evidence, runner.evaluate
def timed_load(*args, **kwargs):
    t, c = time.perf_counter(), cpu()
    evidence = real_load(*args, **kwargs)
    marks['load'], marks['load_cpu'], marks['rss_load'] = time.perf_counter() - t, cpu() - c, rss()
    return evidence
class Timed:
    def __init__(self, rule):
        self.meta, self.rule = rule.meta, rule
    def check(self, evidence, ctx):
        t, c = time.perf_counter(), cpu()
        outcomes = list(self.rule.check(evidence, ctx))
        marks['check'] += time.perf_counter() - t
        marks['check_cpu'] += cpu() - c
        return outcomes
def timed_evaluate(rules, evidence, **kwargs):
    t = time.perf_counter()
    result = real_evaluate([Timed(r) for r in rules], evidence, **kwargs)
    marks['evaluate_all'] = time.perf_counter() - t
    return result
runner.load_request_evidence, runner.evaluate = timed_load, timed_evaluate
select = [s for s in sys.argv[3].split(',') if s]
# The phases of one process (--jobs 1); a capcheck from before --jobs has no such field.
one = {'jobs': 1} if 'jobs' in getattr(runner.CheckRequest, '__dataclass_fields__', {}) else {}
request = runner.CheckRequest(paths=[d], as_of=date.fromisoformat('AS_OF'), select=select, **one)
t, c = time.perf_counter(), cpu()
result = runner.run_check(request, registry)
check, check_cpu = time.perf_counter() - t, cpu() - c
rss_materialise = rss()
t, c = time.perf_counter(), cpu()
reporter = registry.reporters['json']
if getattr(reporter, 'write', None) is not None:  # streamed, as the CLI writes it
    from capcheck.core.reporting import stream_atomic
    stream_atomic(Path(sys.argv[4]), lambda stream: reporter.write(result, RenderOptions(), stream))
else:  # a capcheck from before streaming writers (to measure it with this script)
    write_atomic(Path(sys.argv[4]), reporter.render(result, RenderOptions()))
write, write_cpu = time.perf_counter() - t, cpu() - c
rss_write = rss()
# Read once, holding only ids: a list of the findings would raise the peak this phase reports.
ids, failing_keys, failed = {}, set(), 0
for f in result.findings:
    if f.status is Status.FAIL:
        failed += 1
        ids.setdefault(f.rule_id, []).append(f.group if f.group is not None else f.evidence.record_id)
        if f.evidence.record_id is not None:
            failing_keys.add((f.evidence.kind, f.evidence.record_id))
Path(sys.argv[2]).write_text(json.dumps({k: sorted(v) for k, v in sorted(ids.items())}))
records = sum(f.records for f in result.evidence)
failing_records = len(failing_keys)
done(startup=startup, load=marks['load'], evaluate=marks['check'],
     materialise=check - marks['load'] - marks['check'],
     materialise_in_engine=marks['evaluate_all'] - marks['check'], write=write,
     load_cpu=marks['load_cpu'], evaluate_cpu=marks['check_cpu'],
     materialise_cpu=check_cpu - marks['load_cpu'] - marks['check_cpu'], write_cpu=write_cpu,
     rss_load_mb=marks['rss_load'], rss_materialise_mb=rss_materialise, rss_write_mb=rss_write,
     rules=len(result.rules), records=records, findings=len(result.findings), failed=failed,
     failing_records=failing_records, errors=result.summary.by_status.get('error', 0),
     passed=result.summary.by_status.get('pass', 0))
""".replace("AS_OF", AS_OF),
    "polars": _PRELUDE
    + """
from datetime import date, timedelta
import polars as pl
as_of = date.fromisoformat('AS_OF')
A = as_of.isoformat()
A = pl.lit(A)
def ago(days):
    return pl.lit((as_of - timedelta(days=days)).isoformat())
# Columns a rule reads that a file may not have (absent from every record): all null.
NEEDED = {'owner': pl.String, 'hosting': pl.String, 'end_of_life': pl.String, 'end_of_life_announced': pl.Boolean,
          'last_patched': pl.String, 'linked_controls': pl.List(pl.String), 'currency': pl.String}
t = time.perf_counter()
frames = {}
for f in files:
    doc = pl.read_json(f, infer_schema_length=None)
    frame = doc.select(pl.col('records').explode()).unnest('records')
    missing = [pl.lit(None, dtype).alias(c) for c, dtype in NEEDED.items() if c not in frame.columns]
    frames[doc['kind'][0]] = frame.with_columns(missing)
read = time.perf_counter() - t
rss_read = rss()
t = time.perf_counter()
col = pl.col
def day(name):  # capcheck compares a date's first ten characters
    return col(name).str.slice(0, 10)
def key(e):  # capcheck.core.joins.join_key
    return e.str.strip_chars().str.replace_all(r'\\s+', ' ').str.to_lowercase()
def true(e):  # a test on a missing value is false
    return e.fill_null(False)
c, a, g = frames['supplier-contracts'], frames['it-assets'], frames['governance-register']
live = col('status').is_in(['active', 'pipeline'])
owners = g.select(key(col('owner')).drop_nulls().unique())['owner']
controls = g.filter(col('entry_type') == 'control')['id']
open_risks = g.filter((col('entry_type') == 'risk') & ~true(col('status') == 'closed'))
high_risks = open_risks.filter(true(col('risk_score') >= 15))
unscored = open_risks.filter(col('risk_score').is_null())['id']  # undetermined: it may be a high risk
bad_links = high_risks.select('id', 'linked_controls').explode('linked_controls').filter(
    col('linked_controls').is_null() | ~col('linked_controls').is_in(controls.implode()))
in_service = a.filter(col('status').fill_null('in-service') == 'in-service')
envs = in_service.with_columns(col('environment').fill_null('unknown').cast(pl.String))
not_saas = ~true(col('hosting') == 'saas')
# INFRA-003's judgement of an unsupported asset, as its description writes it: exempt hosting is supported.
unsupported = not_saas & ~true(day('end_of_life') > A) & ~true(col('end_of_life_announced') == False)  # noqa: E712
def groups(frame, hit, limit, min_records):
    stats = frame.group_by('environment').agg(hit.sum().alias('n'), pl.len().alias('total'))
    return stats.filter((col('total') >= min_records) & (col('n') / col('total') > limit))['environment']
def ids(frame, where):
    return frame.filter(where)['id']
fails = {
    'COMM-001': ids(c, live & col('owner').is_null()),
    'COMM-002': ids(c, (col('status') == 'active') & ~true(day('last_review').is_between(ago(365), A))),
    'COMM-003': ids(c, live & true(col('owner') != '') & ~key(col('owner')).is_in(owners.implode())),
    'COMM-004': ids(c, live & col('value').is_not_null() & (
        (col('currency').fill_null('GBP') != 'GBP') | ((col('value') >= 1_000_000) & ~true(col('exit_plan'))))),
    'GOV-001': ids(g, (col('entry_type') == 'risk') & col('status').is_in(['open', 'in-progress', 'accepted'])
                   & ~(col('owner').is_not_null() & true(day('last_review').is_between(ago(90), A)))),
    'GOV-002': pl.concat([bad_links['id'], unscored]).unique(),
    'INFRA-001': ids(a, (col('environment') == 'production') & (col('status') == 'in-service') & not_saas
                     & ~true(day('end_of_life') > A) & ~true(col('end_of_life_announced') == False)),  # noqa: E712
    'INFRA-002': groups(envs, col('deployment') == 'manual', 0.5, 3),
    'INFRA-003': groups(envs, unsupported, 0.1, 3),
    'INFRA-004': ids(in_service, true(col('internet_facing')) & not_saas & (
        col('last_patched').is_null() | (day('last_patched') < ago(14)) | (day('last_patched') > A))),
}
evaluate = time.perf_counter() - t
Path(sys.argv[2]).write_text(json.dumps({k: sorted(v.to_list()) for k, v in sorted(fails.items()) if len(v)}))
done(read=read, evaluate=evaluate, rss_read_mb=rss_read, version=pl.__version__,
     records=sum(f.height for f in frames.values()), failed=sum(len(v) for v in fails.values()))
""".replace("AS_OF", AS_OF),
    "peers": _PRELUDE
    + """
import jsonschema, jsonschema_rs, orjson
from capcheck.core.kinds import bundled_kinds
kinds = {k.id: k for k in bundled_kinds()}
out = {}
for f in files:
    doc = orjson.loads(f.read_bytes())
    sample = doc['records'][:2000]
    if not sample:
        continue
    schema = kinds[doc['kind']].schema
    py = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    t = time.perf_counter(); [py.is_valid(r) for r in sample]; py_t = time.perf_counter() - t
    rs = jsonschema_rs.validator_for(schema, validate_formats=True)
    t = time.perf_counter(); [rs.is_valid(r) for r in sample]; rs_t = time.perf_counter() - t
    out[doc['kind']] = {'jsonschema_us': py_t / len(sample) * 1e6, 'jsonschema_rs_us': rs_t / len(sample) * 1e6}
done(per_record=out)
""",
}


def _phase(name: str, directory: Path, *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", PHASES[name], str(directory), *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _capcheck_command() -> list[str]:
    """The console script beside this interpreter (it skips teardown, as users run it), else ``-m``."""
    script = Path(sys.executable).with_name("capcheck")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "capcheck"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _usable_cores() -> int | None:
    """The cores the check may use, as ``--jobs auto`` counts them on an idle machine; None for a capcheck from
    before ``--jobs`` (run as it is)."""
    try:
        from capcheck.app.parallel import usable_cores
    except ImportError:
        return None
    return usable_cores()


class _Tree:
    """A process and its descendants as sampled from ``/proc`` (Linux; elsewhere nothing is seen): the peak of the
    memory they hold together, and the CPU each has used, kept per process so that a child that ends unwaited for by
    its parent (a split check's: the console script does not wait for them) is still counted.

    Each sample walks the tree from ``root`` through ``/proc/PID/task/PID/children``: a few small reads, not a scan of
    every process on the machine, which took a share of the cores the check being measured runs on."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_kb = 0
        self.cpu: dict[int, float] = {}
        self.reaped = 0.0
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def sample(self) -> None:
        total = 0
        frontier = [self.root]
        while frontier:
            pid = frontier.pop()
            base = Path(f"/proc/{pid}")
            try:
                stat = (base / "stat").read_text().rsplit(")", 1)[1].split()
                status = (base / "status").read_text()
                children = (base / "task" / str(pid) / "children").read_text().split()
            except OSError:  # gone meanwhile, or not Linux
                continue
            total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            if pid == self.root:  # its own CPU is counted exactly once it is waited for; so are the children it reaped
                self.reaped = (int(stat[13]) + int(stat[14])) / self._tick
            else:
                self.cpu[pid] = (int(stat[11]) + int(stat[12])) / self._tick
            frontier.extend(int(child) for child in children)
        self.peak_kb = max(self.peak_kb, total)

    def follow(self, timeout: float = 60.0) -> None:
        """Once the root has ended, sample its descendants until they end too (or ``timeout`` seconds), so that the CPU
        they use after it is counted: a check hands its end to a worker (``capcheck.core.process.hand_off``) whose
        memory is given back after the command has exited. The next run then starts on a machine as quiet as this
        one did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = False
            for pid in list(self.cpu):
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:  # ended (and reaped by whoever adopted it)
                    continue
                alive = alive or stat[0] != "Z"
                self.cpu[pid] = (int(stat[11]) + int(stat[12])) / self._tick
            if not alive:
                return
            time.sleep(0.005)

    @property
    def unreaped_cpu(self) -> float:
        """The CPU its descendants used that the root's own accounting (``getrusage`` of its children, once it is
        waited for) does not hold: theirs, less what the root had reaped when last seen."""
        return max(0.0, sum(self.cpu.values()) - self.reaped)


def _cli(
    directory: Path, out: Path, select: tuple[str, ...] = (), runs: int = 2, jobs: str | None = "auto"
) -> tuple[float, float, int, float]:
    """Wall time and CPU time (user + system, the children's included) of the real command line, each the best of
    ``runs``, JSON findings written to a file; and the peak of the memory its processes hold together (MB, sampled
    every 20 ms: ``--jobs auto`` splits a large check over processes, whose memory adds up)."""
    cmd = [*_capcheck_command(), "check", str(directory), "--as-of", AS_OF, "-f", "json", "-o", str(out)]
    if jobs is not None:  # None: a capcheck from before --jobs
        cmd += ["--jobs", jobs]
    for rule_id in select:
        cmd += ["--select", rule_id]
    best = best_cpu = float("inf")
    peak = 0
    code = 0
    for _ in range(runs):
        t, c = time.perf_counter(), _children_cpu()
        with tempfile.TemporaryFile() as errors:  # not a pipe: a full one would stall the check being measured
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors)
            tree = _Tree(proc.pid)
            while proc.poll() is None:
                tree.sample()
                time.sleep(0.02)
            best = min(best, time.perf_counter() - t)
            peak = max(peak, tree.peak_kb)
            tree.follow()
            errors.seek(0)
            stderr = errors.read().decode("utf-8", "replace")
        # The command's own CPU (waited for) and its descendants' as last sampled (they end unwaited for: the last
        # few ms of each are not seen; a handed-off worker is followed to its end).
        best_cpu = min(best_cpu, _children_cpu() - c + tree.unreaped_cpu)
        code = proc.returncode
        if code not in (0, 1):
            raise SystemExit(f"capcheck check failed ({code}):\n{stderr}")
    return best, best_cpu, code, peak / 1024


def _generate(data: Path, scenario: str, n: int, seed: int) -> Path:
    directory = data / f"{scenario}-n{n}-s{seed}"
    if all((directory / f"{k}.json").is_file() for k in KINDS):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            str(HERE / "generate.py"),
            *("--records", str(n), "--seed", str(seed), "--scenario", scenario, "--out", str(directory)),
        ],
        check=True,
    )
    return directory


def _version_time() -> float:
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([*_capcheck_command(), "--version"], capture_output=True, check=True)
        best = min(best, time.perf_counter() - t)
    return best


def cross_check(capcheck_ids: dict[str, list[str]], polars_ids: dict[str, list[str]]) -> dict[str, Any]:
    """Per typical rule, whether polars and capcheck name the same failing records (or groups)."""
    rules: dict[str, Any] = {}
    for rule_id in TYPICAL:
        ours, theirs = set(capcheck_ids.get(rule_id, ())), set(polars_ids.get(rule_id, ()))
        rules[rule_id] = {
            "failing": len(ours),
            "same": ours == theirs,
            "only_capcheck": sorted(ours - theirs)[:5],
            "only_polars": sorted(theirs - ours)[:5],
        }
    return {"passed": all(r["same"] for r in rules.values()), "rules": rules}


def _has_polars() -> bool:
    return importlib.util.find_spec("polars") is not None


def _measure(
    scenario: str, n: int, seed: int, data: Path, out: Path, *, with_polars: bool, runs: int
) -> dict[str, Any]:
    directory = _generate(data, scenario, n, seed)
    tag = f"{scenario}-{n}"
    size_mb = sum(f.stat().st_size for f in directory.glob("*.json")) / 1e6
    stdlib = _phase("json.loads", directory)
    fast = _phase("orjson.loads", directory)
    ids_file = out / f"failing-ids-{tag}-capcheck.json"
    cc = _phase("capcheck", directory, str(ids_file), ",".join(TYPICAL), str(out / f"findings-{tag}-inprocess.json"))
    # What --jobs auto chooses on an idle machine (the usable cores): named, so that the load the benchmark's own
    # earlier steps leave (polars uses every core) cannot make auto choose one process unseen.
    cores = _usable_cores()
    jobs = str(cores) if cores is not None else None
    typical, typical_cpu, code, typical_rss = _cli(
        directory, out / f"findings-{tag}-typical.json", TYPICAL, runs, jobs=jobs
    )
    one, one_cpu, _, one_rss = _cli(
        directory, out / f"findings-{tag}-typical-one.json", TYPICAL, runs, jobs="1" if jobs is not None else None
    )
    everything, everything_cpu, _, _ = _cli(directory, out / f"findings-{tag}.json", runs=runs, jobs=jobs)
    peers = _phase("peers", directory)
    records = cc["records"]
    in_process = cc["load"] + cc["evaluate"] + cc["materialise"] + cc["write"]
    row: dict[str, Any] = {
        "scenario": scenario,
        "records_per_kind": n,
        "total_records": records,
        "input_mb": round(size_mb, 1),
        # The machine may be shared: a load above its cores makes every figure of the row slower.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "rules": cc["rules"],
        "failing_findings": cc["failed"],
        "failing_findings_per_record": cc["failed"] / records if records else 0.0,
        "failing_records": cc["failing_records"],
        "share_of_records_failing": cc["failing_records"] / records if records else 0.0,
        "error_findings": cc["errors"],
        "json_loads_s": stdlib["seconds"],
        "json_loads_cpu_s": stdlib["cpu"],
        "json_loads_rss_mb": stdlib["max_rss_mb"],
        "orjson_loads_s": fast["seconds"],
        "orjson_loads_cpu_s": fast["cpu"],
        "orjson_loads_rss_mb": fast["max_rss_mb"],
        "startup_s": cc["startup"],
        "load_s": cc["load"],
        "evaluate_s": cc["evaluate"],
        "materialise_s": cc["materialise"],
        "materialise_in_engine_s": cc["materialise_in_engine"],
        "write_s": cc["write"],
        "load_cpu_s": cc["load_cpu"],
        "evaluate_cpu_s": cc["evaluate_cpu"],
        "materialise_cpu_s": cc["materialise_cpu"],
        "write_cpu_s": cc["write_cpu"],
        "in_process_s": in_process,
        "rss_after_load_mb": cc["rss_load_mb"],
        "rss_after_materialise_mb": cc["rss_materialise_mb"],
        "capcheck_rss_mb": cc["rss_write_mb"],
        "check_typical_wall_s": typical,
        "check_exit": code,
        "ratio_typical_to_json_loads": typical / stdlib["seconds"],
        "check_jobs": jobs or "auto",
        "check_typical_cpu_s": typical_cpu,
        "check_typical_tree_rss_mb": typical_rss,
        "check_typical_one_process_s": one,
        "check_typical_one_process_cpu_s": one_cpu,
        "check_typical_one_process_rss_mb": one_rss,
        "ratio_typical_one_process_to_json_loads": one / stdlib["seconds"],
        "ratio_typical_cpu_to_json_loads_cpu": typical_cpu / max(stdlib["cpu"], 1e-9),
        "check_all_wall_s": everything,
        "ratio_all_to_json_loads": everything / stdlib["seconds"],
        "check_all_cpu_s": everything_cpu,
        "peers_us_per_record": peers["per_record"],
        "polars": None,
        "cross_check": None,
    }
    if with_polars:
        polars_file = out / f"failing-ids-{tag}-polars.json"
        pl = _phase("polars", directory, str(polars_file))
        row["polars"] = {
            "version": pl["version"],
            "read_s": pl["read"],
            "evaluate_s": pl["evaluate"],
            "rss_after_read_mb": pl["rss_read_mb"],
            "rss_mb": pl["max_rss_mb"],
        }
        row["cross_check"] = cross_check(json.loads(ids_file.read_text()), json.loads(polars_file.read_text()))
    _print(row)
    return row


def _print(row: dict[str, Any]) -> None:
    s = row
    print(
        f"\n{s['scenario']}, N = {s['records_per_kind']:,} per kind ({s['total_records']:,} records, "
        f"{s['input_mb']:.0f} MB JSON), {s['rules']} typical rules, JSON out; load average {s['load_average_1m']}"
        f"\n  failing findings         {s['failing_findings']:,} ({s['failing_findings_per_record']:.2f} a record); "
        f"records failing at least one rule {s['failing_records']:,} ({s['share_of_records_failing']:.1%})"
        f"\n  (wall seconds, then CPU seconds: the steadier figure on a shared machine)"
        f"\n  json.loads (stdlib)      {s['json_loads_s']:8.2f} s {s['json_loads_cpu_s']:6.2f} cpu"
        f"   peak {s['json_loads_rss_mb']:7.0f} MB"
        f"\n  orjson.loads             {s['orjson_loads_s']:8.2f} s {s['orjson_loads_cpu_s']:6.2f} cpu"
        f"   peak {s['orjson_loads_rss_mb']:7.0f} MB"
        f"\n  capcheck start-up        {s['startup_s']:8.2f} s"
        f"\n  capcheck load+validate   {s['load_s']:8.2f} s {s['load_cpu_s']:6.2f} cpu"
        f"   peak {s['rss_after_load_mb']:7.0f} MB"
        f"\n  capcheck evaluate        {s['evaluate_s']:8.2f} s {s['evaluate_cpu_s']:6.2f} cpu"
        f"\n  capcheck materialise     {s['materialise_s']:8.2f} s {s['materialise_cpu_s']:6.2f} cpu"
        f"   peak {s['rss_after_materialise_mb']:7.0f} MB   (in the engine {s['materialise_in_engine_s']:.2f} s)"
        f"\n  capcheck write JSON      {s['write_s']:8.2f} s {s['write_cpu_s']:6.2f} cpu"
        f"   peak {s['capcheck_rss_mb']:7.0f} MB"
        f"\n  (the command line with --jobs {s['check_jobs']}: what --jobs auto chooses on an idle machine)"
        f"\n  capcheck check, 10 typical rules (CLI) {s['check_typical_wall_s']:6.2f} s = "
        f"{s['ratio_typical_to_json_loads']:.2f} x json.loads; {s['check_typical_cpu_s']:.2f} cpu = "
        f"{s['ratio_typical_cpu_to_json_loads_cpu']:.2f} x its cpu"
        f"; peak {s['check_typical_tree_rss_mb']:.0f} MB (all its processes)"
        f"\n  the same, --jobs 1 (one process)       {s['check_typical_one_process_s']:6.2f} s = "
        f"{s['ratio_typical_one_process_to_json_loads']:.2f} x json.loads; "
        f"{s['check_typical_one_process_cpu_s']:.2f} cpu; peak {s['check_typical_one_process_rss_mb']:.0f} MB"
        f"\n  capcheck check, all rules (CLI)        {s['check_all_wall_s']:6.2f} s = "
        f"{s['ratio_all_to_json_loads']:.2f} x json.loads; {s['check_all_cpu_s']:.2f} cpu"
    )
    if s["polars"] is None:
        print("  polars                   not installed: skipped (pip install -e '.[bench]'), no cross-check")
    else:
        p, x = s["polars"], s["cross_check"]
        print(
            f"  polars read_json         {p['read_s']:8.2f} s   peak {p['rss_after_read_mb']:7.0f} MB"
            f"\n  polars evaluate          {p['evaluate_s']:8.2f} s   peak {p['rss_mb']:7.0f} MB"
            f"   (polars {p['version']})"
        )
        verdict = "passed" if x["passed"] else "FAILED"
        bad = [f"{r}: only capcheck {v['only_capcheck']}, only polars {v['only_polars']}"
               for r, v in x["rules"].items() if not v["same"]]  # fmt: skip
        print(f"  cross-check (failing ids of each rule, capcheck = polars): {verdict}", *bad, sep="\n    ")
    for kind, p in s["peers_us_per_record"].items():
        print(
            f"  validate one {kind:<20} jsonschema {p['jsonschema_us']:7.1f} us   "
            f"jsonschema-rs {p['jsonschema_rs_us']:5.2f} us"
        )


def _ensure_capcheck(argv: list[str]) -> None:
    """Re-run under the project's virtualenv when capcheck is not importable here; else say how to fix it."""
    if importlib.util.find_spec("capcheck") is not None and importlib.util.find_spec("orjson") is not None:
        return
    venv = ROOT / ".venv"
    for candidate in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
        # A venv's python is a link to the base interpreter: compare the environments, not the binaries.
        if candidate.is_file() and Path(sys.prefix).resolve() != venv.resolve():
            print(f"capcheck is not importable from {sys.executable}; running under {candidate}", file=sys.stderr)
            sys.stdout.flush()
            os.execv(candidate, [str(candidate), str(Path(__file__).resolve()), *argv])
    raise SystemExit(
        f"benchmarks/run.py: capcheck is not importable from {sys.executable}, "
        f"nor from a project virtualenv at {venv}.\n"
        "Install it first: python3 -m venv .venv && .venv/bin/pip install -e '.[bench]', "
        "then run .venv/bin/python benchmarks/run.py"
    )


def _byte_compile() -> str:
    """Byte-compile the capcheck being measured, as ``pip install`` does for an installed package.

    An editable install runs from the source tree, which Python compiles at every start when no ``.pyc``
    can be written (``PYTHONDONTWRITEBYTECODE``, a read-only tree): about 0.1 s of every run that a user
    with an installed capcheck never pays. Compiling first measures what users run. Returns what was done.
    """
    spec = importlib.util.find_spec("capcheck")
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    if not locations:
        return "capcheck's package directory not found: not byte-compiled"
    import compileall

    ok = all(compileall.compile_dir(location, quiet=1) for location in locations)
    return f"capcheck byte-compiled in {locations[0]}" if ok else "byte-compiling capcheck failed: measured uncompiled"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the figures and write them to ``OUT/results.json``."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="records per kind, comma-separated")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated: typical, high-failure")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--runs", type=int, default=2, help="command-line runs per measure, the best kept (default 2)")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="results directory (default benchmarks/out)")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="generated evidence (default benchmarks/data)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes: not a comma-separated list of integers: {args.sizes!r}")
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown or not scenarios:
        parser.error(f"--scenarios: unknown {', '.join(unknown) or 'none given'} (known: {', '.join(SCENARIOS)})")
    _ensure_capcheck(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with_polars = _has_polars()
    results: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "as_of": AS_OF}
    results["typical_rules"] = list(TYPICAL)
    results["byte_compiled"] = _byte_compile()
    print(results["byte_compiled"], "(as an installed package is)")
    results["version_seconds"] = _version_time()
    print(f"capcheck --version: {results['version_seconds'] * 1000:.0f} ms (best of 5, wall)")
    if not with_polars:
        print("polars is not installed: the vectorised peer and the cross-check are skipped")
    rows = [
        _measure(scenario, n, args.seed, args.data, args.out, with_polars=with_polars, runs=max(args.runs, 1))
        for n in sizes
        for scenario in scenarios
    ]
    results["runs"] = rows
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    failed = [
        f"{r['scenario']} N={r['records_per_kind']}"
        for r in rows
        if r["cross_check"] and not r["cross_check"]["passed"]
    ]
    if failed:
        print(f"\ncross-check FAILED for {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
