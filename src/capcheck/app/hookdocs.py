"""The hook reference (``docs/hooks.md``), generated from the hookspecs' docstrings: the contract is written once.

``python -m capcheck.app.hookdocs docs/hooks.md`` rewrites the page; a test fails when it is stale. Hooks are
listed in the order of ``hookspecs.py``, under its banner comments.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

from capcheck.core import hookspecs

__all__ = ["render_hook_reference"]

_BANNER = re.compile(r"^# -{20,}\n# (?P<title>[^\n]+)\n# -{20,}$", re.M)
_HOOK = re.compile(r"^def (?P<name>capcheck_\w+)\(", re.M)


def _markdown(doc: str) -> list[str]:
    """A hookspec docstring as Markdown: ``Example::`` blocks fenced as Python, ``:param x:`` and
    ``:return:`` as a list, reST's double backticks as Markdown's single ones."""
    out: list[str] = []
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith("::") and (i + 1 >= len(lines) or not lines[i + 1].strip()):
            lead = line.rstrip()[:-2].rstrip()
            out.append(f"{_inline(lead)}:" if lead else "")
            block: list[str] = []
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
                block.append(lines[i][4:])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            while block and not block[0].strip():
                block.pop(0)
            out.extend(["", "```python", *block, "```", ""])
            continue
        field = re.match(r"^:(param (\w+)|return|raises (\w+)):\s*(.*)$", line)
        if field:
            label = (
                f"`{field.group(2)}`"
                if field.group(2)
                else (f"raises `{field.group(3)}`" if field.group(3) else "returns")
            )
            out.append(f"- **{label}**: {_inline(field.group(4))}")
        else:
            out.append(_inline(line))
        i += 1
    return out


def _inline(text: str) -> str:
    text = re.sub(r":(?:func|class|data|mod|meth):`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def render_hook_reference() -> str:
    """The Markdown of ``docs/hooks.md``."""
    source = inspect.getsource(hookspecs)
    marks = sorted(
        [(m.start(), "banner", m.group("title")) for m in _BANNER.finditer(source)]
        + [(m.start(), "hook", m.group("name")) for m in _HOOK.finditer(source)]
    )
    out = [
        "# Hook reference",
        "",
        "<!-- Generated from src/capcheck/core/hookspecs.py by `python -m capcheck.app.hookdocs docs/hooks.md`: "
        "do not edit. -->",
        "",
        f"Plugin API version **{hookspecs.PLUGIN_API_VERSION}** (`capcheck.PLUGIN_API_VERSION`; see",
        "[plugins.md](plugins.md#stability)). Every hook takes no arguments and returns a list; capcheck calls",
        "each plugin's implementation on its own, so a failure or a duplicate id names the plugin. Mark an",
        "implementation with `@capcheck.hookimpl` and give it the hook's name.",
        "",
    ]
    for _, what, name in marks:
        if what == "banner":
            out.extend([f"## {name}", ""])
            continue
        function = getattr(hookspecs, name)
        returns = inspect.signature(function).return_annotation
        out.extend([f"### `{name}()`", "", f"`{name}() -> {returns}`", ""])
        out.extend(_markdown(inspect.getdoc(function) or ""))
        out.append("")
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    """Write the reference to the one path given (``-`` for standard output)."""
    if len(argv) != 1:
        print("usage: python -m capcheck.app.hookdocs docs/hooks.md", file=sys.stderr)
        return 2
    text = render_hook_reference()
    if argv[0] == "-":
        sys.stdout.write(text)
    else:
        Path(argv[0]).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
