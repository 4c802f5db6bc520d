"""Where outputs may go, and writing them: never over an input, never where the next check would read
them as evidence, and written whole or not at all (exit 2 naming the file).

The CLI calls these before it writes anything: once before the run with the inputs it already
knows (named evidence, config, waivers, baseline, rule and plugin files), and once after it with
every evidence file the run read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from capcheck.core.errors import OutputError, Problem
from capcheck.core.process import output_error
from capcheck.core.reporting import ByteStream, stream_atomic, write_atomic

if TYPE_CHECKING:
    from capcheck.app.config import Config
    from capcheck.app.registry import Registry

__all__ = [
    "inputs_of",
    "refuse_outputs_read_as_evidence",
    "refuse_overwriting_inputs",
    "refuse_stdout_read_as_evidence",
    "write_file",
]

#: An output as the user asked for it: the option that names it (``--output``, ``--report json``) and the path.
Output = tuple[str, Path]


def write_file(path: Path, text: str | Callable[[ByteStream], object], *, make_parents: bool = False) -> None:
    """Write an output file atomically (creating its directory if asked); a failure is an
    :class:`OutputError` naming the file. ``text`` is the content, or a function writing it to a
    byte stream in pieces (a streaming reporter's ``write``)."""
    try:
        if make_parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, str):
            write_atomic(path, text)
        else:
            stream_atomic(path, text)
    except OSError as exc:
        raise output_error(path.as_posix(), exc) from None


def inputs_of(registry: Registry, config: Config, paths: Sequence[Path]) -> list[Path]:
    """``paths`` and every other file a check reads: the config, rule files and plugin files."""
    out = [*paths, *([config.source] if config.source is not None else [])]
    out += [Path(r.source.path) for r in registry.rules.values() if r.source.path]
    out += [Path(i.location) for i in registry.plugins if i.origin == "module" and i.location]
    return out


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def refuse_overwriting_inputs(outputs: Sequence[Output], inputs: Sequence[Path]) -> None:
    """Raise :class:`OutputError` if an output would overwrite an input or another output.

    Files are compared by device and inode, so another spelling of a path, a symlink and a hard link
    are all the same file; an output that does not exist yet cannot be an input. Each input is
    looked at once, and only when some output exists."""
    existing = [_identity(path) for _, path in outputs]
    read: set[tuple[int, int]] = set()
    if any(existing):
        read = {i for i in map(_identity, inputs) if i is not None}
    problems: list[Problem] = []
    seen: dict[object, str] = {}
    for (option, path), current in zip(outputs, existing, strict=True):
        if current in read:
            problems.append(Problem(f"{option} would overwrite an input of this check: refused", path=path.as_posix()))
        key = current or os.path.abspath(path)
        if key in seen:
            problems.append(Problem(f"{option} is also written by {seen[key]}: refused", path=path.as_posix()))
        seen.setdefault(key, option)
    if problems:
        raise OutputError(problems)


def refuse_outputs_read_as_evidence(outputs: Sequence[Output], registry: Registry, roots: Sequence[Path]) -> None:
    """Raise :class:`OutputError` if an output would land in an evidence directory where the next
    check would read it as evidence (a file with a loader's extension, not hidden). An output that
    exists there already is an evidence file of this check: refused as an input, here, before any
    evidence is read."""
    dirs = [(root, Path(os.path.abspath(root))) for root in roots if root.is_dir()]
    problems: list[Problem] = []
    for option, path in outputs:
        if path.suffix.lower() not in registry.loaders:
            continue
        where = Path(os.path.abspath(path))
        for root, absolute in dirs:
            if not where.is_relative_to(absolute):
                continue
            if any(part.startswith(".") for part in where.relative_to(absolute).parts):
                continue  # hidden files and directories are not walked
            if os.path.lexists(path):
                problems.append(
                    Problem(f"{option} would overwrite an input of this check: refused", path=path.as_posix())
                )
                break
            problems.append(
                Problem(
                    f"{option} is inside the evidence directory {root.as_posix()}: the next check would read it "
                    "as evidence; write it elsewhere, or as a hidden file",
                    path=path.as_posix(),
                )
            )
            break
    if problems:
        raise OutputError(problems)


def refuse_stdout_read_as_evidence(registry: Registry, roots: Sequence[Path]) -> None:
    """Raise :class:`OutputError` if standard output is redirected to a file this check reads as evidence
    (``capcheck check evidence -f json > evidence/findings.json``): the shell has emptied it already, and
    the check would read it, empty or half-written, as evidence. Looked for only when standard output is
    a regular file; a directory is walked as evidence is (hidden names skipped), matching by inode."""
    import stat

    try:
        out = os.fstat(1)
    except OSError:
        return
    if not stat.S_ISREG(out.st_mode):
        return
    identity = (out.st_dev, out.st_ino)
    for root in roots:
        files = [root] if not root.is_dir() else _walked(root, registry)
        for path in files:
            if _identity(path) == identity:
                where = f"the evidence directory {root.as_posix()}" if root.is_dir() else "an evidence file"
                raise OutputError(
                    Problem(
                        f"standard output is redirected into {where}: the check would read its own report as "
                        "evidence; write it elsewhere, or with --output outside it",
                        path=path.as_posix(),
                    )
                )


def _walked(root: Path, registry: Registry) -> list[Path]:
    """The files of ``root`` a check would read: a loader's extension, no hidden name on the way."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [
            Path(folder, n) for n in names if not n.startswith(".") and Path(n).suffix.lower() in registry.loaders
        ]
    return found
