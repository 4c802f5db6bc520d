"""Reading a spreadsheet register, measured beside the same records as CSV and JSON and beside the readers alone.

One kind (``it-assets``), N records (default 100,000) of ten columns (:data:`COLUMNS`), from
``benchmarks/generate.py`` (seeded). The same records are written as JSON, CSV and an ``.xlsx`` workbook laid
out as Excel saves one (text in the shared-strings table, dates as serial numbers with a date format,
booleans as booleans), kept under ``--data``. Each measure runs in a fresh process (its own peak RSS):

* ``calamine`` - python-calamine alone: the sheet whole, then ``to_python`` (what the loader did until 2026-11);
* ``calamine-iter`` - python-calamine's ``iter_rows`` (a row list at a time, over the sheet it read whole);
* ``openpyxl`` - openpyxl's read-only mode (it streams the sheet's XML; pure Python over ElementTree);
* ``stream`` - capcheck's streaming reader (:mod:`capcheck.builtins.loaders.xlsxreader`), what the loader uses;
* ``xlsx``, ``csv``, ``json`` - capcheck's ``load_evidence`` on each file: read, parse, type, validate, index;
* ``xlsx+mapping`` - the workbook through a ``[[mapping]]`` (trim, a value map, ``dates."*"``): the mapping's cost.

Each measure is the best of ``--runs`` by CPU time (user + system: on a shared machine wall time counts the
other processes too; both are reported). The figure to quote is the ratio ``xlsx / stream`` (what capcheck
adds to its reader), beside ``xlsx / csv`` and ``xlsx / json``; peak RSS beside the records' own (the JSON
load's). Usage::

    python benchmarks/xlsx.py                      # N = 100,000 (the files are written once, in seconds)
    python benchmarks/xlsx.py --records 1000000 --readers calamine,stream
    python benchmarks/xlsx.py --records 2000       # quicker

Figures are printed and written to ``benchmarks/out/xlsx.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KIND = "it-assets"

_PRELUDE = """
import json, resource, sys, time
from pathlib import Path
path = Path(sys.argv[1])
def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime
def done(**kw):
    kw['max_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kw['cpu_seconds'] = cpu() - kw['cpu_seconds']
    print(json.dumps(kw))
"""
_LOAD = """
from capcheck.app.config import Config
from capcheck.core.evidence import load_evidence
from capcheck.app.runner import load_registry
registry = load_registry(Config())
mappings = ()
if len(sys.argv) > 2:
    from capcheck.core.mapping_config import compile_mappings
    mappings = compile_mappings(json.loads(sys.argv[2]), shown='bench.toml')
t, c = time.perf_counter(), cpu()
evidence = load_evidence([path], loaders=registry.loaders, kinds=registry.kinds, mappings=mappings)
done(seconds=time.perf_counter() - t, cpu_seconds=c, records=evidence.count('it-assets'))
"""
PHASES = {
    "calamine": _PRELUDE
    + """
from python_calamine import CalamineWorkbook
t, c = time.perf_counter(), cpu()
book = CalamineWorkbook.from_path(str(path))
rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
done(seconds=time.perf_counter() - t, cpu_seconds=c, records=len(rows) - 1)
""",
    "calamine-iter": _PRELUDE
    + """
from python_calamine import CalamineWorkbook
t, c = time.perf_counter(), cpu()
book = CalamineWorkbook.from_path(str(path))
n = sum(1 for row in book.get_sheet_by_index(0).iter_rows())
done(seconds=time.perf_counter() - t, cpu_seconds=c, records=n - 1)
""",
    "openpyxl": _PRELUDE
    + """
import openpyxl
t, c = time.perf_counter(), cpu()
book = openpyxl.load_workbook(path, read_only=True)
n = sum(1 for row in book.worksheets[0].iter_rows(values_only=True))
done(seconds=time.perf_counter() - t, cpu_seconds=c, records=n - 1)
""",
    "stream": _PRELUDE
    + """
from capcheck.builtins.loaders.xlsxreader import XlsxStream
t, c = time.perf_counter(), cpu()
book = XlsxStream(path.read_bytes())
n = sum(1 for row in book.rows(book.sheets[0]))
done(seconds=time.perf_counter() - t, cpu_seconds=c, records=n - 1)
""",
    "load": _PRELUDE + _LOAD,
}
#: The readers measured alone: each reads every row of the sheet into Python values.
READERS = ("calamine", "calamine-iter", "openpyxl", "stream")
#: The mapping measured: every text cell trimmed, a value map on a column, every date field through formats.
MAPPING = [
    {
        "files": "*.xlsx",
        "trim": True,
        "values": {"environment": {"Production": "production", "Prod": "production"}},
        "dates": {"*": ["%d/%m/%Y", "iso"]},
    }
]


def _generator() -> Any:
    sys.path.insert(0, str(HERE))
    import generate

    return generate


#: The register's columns: ten of the kind's fields, with a date column and a boolean column.
COLUMNS = (
    "id",
    "name",
    "product",
    "version",
    "vendor",
    "environment",
    "criticality",
    "owner",
    "end_of_life",
    "internet_facing",
)

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/>'
    '<Relationship Id="rId3" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
#: Style 0 general, style 1 the built-in date format 14 (what Excel gives a typed date).
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)
_EXCEL_EPOCH = date(1899, 12, 30)


def write_workbook(path: Path, records: list[dict[str, Any]], columns: list[str], dates: frozenset[str]) -> None:
    """The records as one sheet named after the kind, laid out as Excel saves a typed register: text in the
    shared-strings table, dates as serial numbers with a date format, booleans as booleans.

    Written directly (the sheet streamed into the archive), not with openpyxl: it writes every string
    inline, which Excel does not, and a million rows take it minutes."""
    from xml.sax.saxutils import escape

    letters = [chr(ord("A") + i) for i in range(len(columns))]
    strings: dict[str, int] = {}

    def shared(text: str) -> int:
        index = strings.get(text)
        if index is None:
            index = strings[text] = len(strings)
        return index

    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(name=KIND))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            header = "".join(f'<c r="{c}1" t="s"><v>{shared(n)}</v></c>' for c, n in zip(letters, columns, strict=True))
            sheet.write(f'<row r="1">{header}</row>'.encode())
            chunk: list[str] = []
            for number, record in enumerate(records, start=2):
                cells = [f'<row r="{number}">']
                for letter, column in zip(letters, columns, strict=True):
                    value = record.get(column)
                    ref = f"{letter}{number}"
                    if value is None or value == "" or value == []:
                        continue
                    if isinstance(value, list):
                        value = "; ".join(value)
                    if isinstance(value, bool):
                        cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
                    elif isinstance(value, int | float):
                        cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                    elif column in dates:
                        serial = (date.fromisoformat(value[:10]) - _EXCEL_EPOCH).days
                        cells.append(f'<c r="{ref}" s="1"><v>{serial}</v></c>')
                    else:
                        cells.append(f'<c r="{ref}" t="s"><v>{shared(value)}</v></c>')
                cells.append("</row>")
                chunk.append("".join(cells))
                if len(chunk) >= 10_000:
                    sheet.write("".join(chunk).encode())
                    chunk.clear()
            sheet.write("".join(chunk).encode())
            sheet.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as table:
            table.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                + f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
                f'uniqueCount="{len(strings)}">'.encode()
            )
            texts = list(strings)
            for begin in range(0, len(texts), 10_000):
                table.write("".join(f"<si><t>{escape(t)}</t></si>" for t in texts[begin : begin + 10_000]).encode())
            table.write(b"</sst>")
    tmp.replace(path)


def prepare(data: Path, n: int, seed: int) -> dict[str, Path]:
    """The same records as JSON, CSV and XLSX under ``data`` (kept: the workbook is slow to write)."""
    generate = _generator()
    directory = data / f"xlsx-n{n}-c{len(COLUMNS)}-s{seed}"
    directory.mkdir(parents=True, exist_ok=True)
    paths = {fmt: directory / f"{KIND}.{fmt}" for fmt in ("json", "csv", "xlsx")}
    if all(p.exists() for p in paths.values()):
        return paths
    columns = list(COLUMNS)
    records = [{c: r[c] for c in columns if c in r} for r in generate.generate_records(KIND, n, seed)]
    generate.write_json(paths["json"], KIND, records, seed)
    generate.write_csv(paths["csv"], records, columns)
    from capcheck.core.kinds import bundled_kinds
    from capcheck.core.mapping import date_fields

    kind = next(k for k in bundled_kinds() if k.id == KIND)
    write_workbook(paths["xlsx"], records, columns, date_fields(kind))
    return paths


def _phase(name: str, path: Path, *args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", PHASES[name], str(path), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{name} on {path.name} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measure(paths: dict[str, Path], runs: int = 3, readers: tuple[str, ...] = READERS) -> dict[str, Any]:
    """Best of ``runs`` for each measure, and the ratios."""

    def best(name: str, path: Path, *args: str) -> dict[str, Any]:
        results = [_phase(name, path, *args) for _ in range(runs)]
        return min(results, key=lambda r: float(r["cpu_seconds"]))

    rows = {name: best(name, paths["xlsx"]) for name in readers}
    rows |= {
        "xlsx": best("load", paths["xlsx"]),
        "xlsx+mapping": best("load", paths["xlsx"], json.dumps(MAPPING)),
        "csv": best("load", paths["csv"]),
        "json": best("load", paths["json"]),
    }
    records = {r["records"] for r in rows.values()}
    if len(records) != 1:
        raise SystemExit(f"the measures read different record counts: {rows}")
    # Ratios of CPU time (user + system): on a shared machine wall time also counts the other processes.
    seconds = {name: float(r["cpu_seconds"]) for name, r in rows.items()}
    ratios = {f"xlsx/{name}": seconds["xlsx"] / seconds[name] for name in (*readers, "csv", "json")}
    ratios["xlsx+mapping/xlsx"] = seconds["xlsx+mapping"] / seconds["xlsx"]
    return {
        "records": records.pop(),
        "measures": rows,
        "ratios": ratios,
        "bytes": {fmt: p.stat().st_size for fmt, p in paths.items()},
    }


def main(argv: list[str] | None = None) -> int:
    """Run the measures and print them."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000, help="records (default 100000)")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--runs", type=int, default=3, help="runs per measure, the best kept (default 3)")
    parser.add_argument(
        "--readers",
        default=",".join(READERS),
        help=f"the readers measured alone, comma-separated (default {','.join(READERS)}; openpyxl is slow)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "out", help="results directory (default benchmarks/out)")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="generated files (default benchmarks/data)")
    args = parser.parse_args(argv)
    t = time.perf_counter()
    paths = prepare(args.data, args.records, args.seed)
    prepared = time.perf_counter() - t
    readers = tuple(r for r in args.readers.split(",") if r)
    unknown = set(readers) - set(READERS)
    if unknown:
        parser.error(f"unknown readers: {', '.join(sorted(unknown))} (known: {', '.join(READERS)})")
    result = measure(paths, args.runs, readers)
    result["prepare_seconds"] = prepared
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "xlsx.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{result['records']:,} {KIND} records; files: "
        + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in result["bytes"].items())
    )
    for name, row in result["measures"].items():
        print(
            f"  {name:<14} {row['cpu_seconds']:7.2f} s CPU  {row['seconds']:7.2f} s wall"
            f"   peak RSS {row['max_rss_mb']:6.0f} MB"
        )
    for name, ratio in result["ratios"].items():
        print(f"  {name:<18} {ratio:5.2f}x (CPU time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
