"""``capcheck validate``: check evidence and rule files without evaluating any rule."""

from __future__ import annotations

import os
from pathlib import Path

from capcheck.app.config import Config
from capcheck.app.registry import NOT_RULE_DIRS, NOT_RULE_FILES, Registry, check_rule, compile_rule_file
from capcheck.builtins.declarative import CompileContext
from capcheck.core.errors import ConfigError, EvidenceError, PluginError, Problem, RuleFileError
from capcheck.core.evidence import (
    IGNORED_NAMES,
    evidence_extensions,
    find_evidence_files,
    load_evidence,
    loader_extension,
)
from capcheck.core.loading import HEAD_BYTES, LoadContext, open_regular, peek_failure
from capcheck.core.models import display_path
from capcheck.core.rules import Rule
from capcheck.core.side_inputs import RULE_FILE_MAX_BYTES, Named, decode_strict, parse_toml, read_bounded
from capcheck.core.wording import did_you_mean, plural

__all__ = ["validate_paths"]


def _is_rule_file(path: Path, registry: Registry) -> bool:
    """A file in a rule format whose top level holds rules (``[[rule]]``), not evidence."""
    if path.suffix.lower() not in registry.rule_formats:
        return False
    if path.suffix.lower() != ".toml":
        return path.suffix.lower() not in registry.loaders
    # Read like any rule file (bounded, never waiting on a FIFO); one that cannot be read as a rule file
    # is taken for evidence, whose loader then says what is wrong with it.
    named = Named(display_path(path), RuleFileError)
    try:
        data = read_bounded(path, named, what="rule file", limit=RULE_FILE_MAX_BYTES)
        return "rule" in parse_toml(decode_strict(data, named), named)
    except RuleFileError:
        return False


def _split(paths: list[Path], registry: Registry, problems: list[Problem]) -> tuple[list[Path], list[Path]]:
    """Rule files and evidence paths. Named files always count; walked directories contribute
    the files capcheck reads (rule files by content, evidence by extension). A directory that cannot
    be listed is a problem, never skipped."""
    rule_files: list[Path] = []
    evidence: list[Path] = []

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename).as_posix() if exc.filename else "."
        problems.append(Problem(f"cannot read directory: {exc.strerror or exc}", path=where))

    def sort(path: Path, named: bool) -> None:
        if _is_rule_file(path, registry):
            rule_files.append(path)
        elif named or loader_extension(path, registry.loaders) is not None:
            evidence.append(path)

    for path in paths:
        if not path.is_dir():
            sort(path, named=True)
            continue
        for dirpath, dirnames, filenames in os.walk(path, onerror=unreadable):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in NOT_RULE_DIRS)
            for name in sorted(filenames):
                if not name.startswith(".") and name not in NOT_RULE_FILES and name not in IGNORED_NAMES:
                    sort(Path(dirpath, name), named=False)
    return rule_files, evidence


def undeclared_fields(registry: Registry, rule: Rule) -> list[str]:
    """Fields a declarative rule reads that its kind's schema does not declare: most often a typo.

    Records may carry fields their schema does not name, so this is a warning, not an error; a
    rule whose check cannot say what it reads (a Python rule) has none.
    """
    fields_read = getattr(rule.check, "fields_read", None)
    if fields_read is None:
        return []
    out: list[str] = []
    for kind_id, field in dict.fromkeys(fields_read()):
        kind = registry.kinds.get(kind_id)
        declared = kind.declared_fields if kind is not None else None  # one definition: kinds.py
        top = field.split(".", 1)[0]
        if declared is None or top in declared:
            continue
        hint = did_you_mean(top, sorted(declared))
        out.append(f"{rule.meta.id} reads field {field!r}, which kind {kind_id!r} does not declare{hint}")
    return out


def validate_paths(registry: Registry, paths: list[Path], config: Config, warnings: list[Problem] | None = None) -> str:
    """Validate the files under ``paths``; return a summary or raise with every problem.

    :param warnings: collects what is suspicious but valid (a rule reading an undeclared field).
    :raises ConfigError: before any file is read, a name the config gives that nothing registered answers to
        (a ``csv_kinds`` or ``[[mapping]]`` kind, an ``endoflife_products`` id ...), located in the config.
    """
    from capcheck.app.settings import reference_problems

    if problems := reference_problems(registry, config):
        raise ConfigError(config.locate(problems))
    evidence_problems: list[Problem] = []
    rule_files, evidence_paths = _split(paths, registry, evidence_problems)
    rule_problems: list[Problem] = []
    context = CompileContext(areas=frozenset(registry.areas), kinds=registry.kinds)
    rule_count = 0
    for rule_file in rule_files:
        shown = display_path(rule_file)
        compiled = compile_rule_file(registry, rule_file, context, rule_problems)
        # The checks a run makes when it registers the rules (area, kinds, framework criteria).
        for r in compiled:
            if warnings is not None:
                warnings.extend(Problem(w, path=shown) for w in undeclared_fields(registry, r))
            try:
                check_rule(registry, r, shown)
            except PluginError as exc:
                rule_problems.extend(Problem(p.message, path=shown) for p in exc.problems)
        rule_count += len(compiled)
    files = records = skipped = 0
    if evidence_paths:
        try:
            evidence = load_evidence(
                evidence_paths,
                loaders=registry.loaders,
                kinds=registry.kinds,
                kind_map=config.csv_kinds,
                content_loaders=registry.content_loaders,
                enrichers=registry.enrichers,
                options={"endoflife_products": config.endoflife_products},
                max_file_mb=config.max_file_mb,
                mappings=config.mappings(),
            )
            files = len(evidence.files)
            records = sum(f.records for f in evidence.files)
            skipped = sum(f.mapping["skipped_rows"] for f in evidence.files if f.mapping is not None)
        except EvidenceError as exc:
            evidence_problems.extend(exc.problems)
        if warnings is not None:
            warnings.extend(_peek_failures(registry, evidence_paths, config))
    if evidence_problems:
        raise EvidenceError([*rule_problems, *evidence_problems])
    if rule_problems:
        raise RuleFileError(rule_problems)
    return (
        f"ok: {plural(files, 'evidence file')} ({plural(records, 'record')}"
        + (f"; {plural(skipped, 'row')} skipped by config mappings" if skipped else "")
        + "), "
        f"{plural(len(rule_files), 'rule file')} ({plural(rule_count, 'rule')})"
    )


def _peek_failures(registry: Registry, paths: list[Path], config: Config) -> list[Problem]:
    """A warning per file whose loader's peek (``Loader.kinds_of``) failed: a check takes it as "cannot tell" and
    is not split over processes, silently; a plugin author sees it here (and ``--strict`` makes it an error)."""
    loaders, content_loaders = registry.loaders, registry.content_loaders
    files, _problems = find_evidence_files(paths, evidence_extensions(loaders, content_loaders))  # loading says them
    context = LoadContext(kinds=registry.kinds, kind_map=dict(config.csv_kinds), mappings=config.mappings())
    out: list[Problem] = []
    for path in files:
        try:
            with open_regular(path) as stream:
                head = stream.read(HEAD_BYTES)
        except (OSError, ValueError):  # loading says what is wrong with it
            continue
        why = peek_failure(path, head, loaders, content_loaders, context)
        if why is not None:
            out.append(
                Problem(
                    f"{why}: a check cannot place the file before loading it, and runs in one process",
                    path=display_path(path),
                )
            )
    return out
