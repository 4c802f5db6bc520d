"""Write ``rules/parsed-toml.jsonl``: capcheck's own TOML files (the rule pack and its data), parsed ahead.

A start-up reads these documents instead of parsing the TOML, for each file whose bytes hash to a line's SHA-256
(any other file is parsed as before); see ``capcheck.core.resources.parsed_toml``. Run it after changing a TOML
file under ``rules/``::

    python tools/refresh_parsed_toml.py          # writes the file
    python tools/refresh_parsed_toml.py --check  # exit 1 if it is stale (the test suite checks this too)

The output is deterministic (files in path order, documents in the files' key order), so it diffs cleanly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from capcheck.core.resources import PARSED_TOML_FILE, parsed_toml_lines

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) the parsed TOML of ``rules/``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not what would be written")
    args = parser.parse_args(argv)
    rules = ROOT / "rules"
    out = rules / PARSED_TOML_FILE
    text = parsed_toml_lines(rules)
    if args.check:
        if not out.exists() or out.read_bytes() != text:
            print(f"{out.relative_to(ROOT)} is stale: run python tools/refresh_parsed_toml.py", file=sys.stderr)
            return 1
        return 0
    out.write_bytes(text)
    print(f"wrote {out.relative_to(ROOT)}: {len(text.splitlines())} TOML files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
