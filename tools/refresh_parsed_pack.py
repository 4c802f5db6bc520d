"""Write the parsed pack (``rules/parsed-pack.jsonl``): the bundled rule files' documents, parsed ahead.

A check reads its rule files' documents from this file instead of parsing the TOML at every start, for each file
whose bytes hash to a line's SHA-256 (any other file is parsed as before); see
``capcheck.builtins.declarative.toml_format.parsed_pack``. Run it after changing a file under ``rules/``::

    python tools/refresh_parsed_pack.py          # writes the file
    python tools/refresh_parsed_pack.py --check  # exit 1 if it is stale (the test suite checks this too)

The output is deterministic (files in path order, documents in the files' key order), so it diffs cleanly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from capcheck.builtins.declarative.toml_format import PARSED_PACK_FILE, parsed_pack

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) the parsed pack of ``rules/``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not what would be written")
    args = parser.parse_args(argv)
    rules = ROOT / "rules"
    out = rules / PARSED_PACK_FILE
    text = parsed_pack(rules)
    if args.check:
        current = out.read_bytes() if out.exists() else b""
        if current != text:
            print(f"{out.relative_to(ROOT)} is stale: run python tools/refresh_parsed_pack.py", file=sys.stderr)
            return 1
        return 0
    out.write_bytes(text)
    files = len(text.splitlines())
    print(f"wrote {out.relative_to(ROOT)}: {files} rule files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
