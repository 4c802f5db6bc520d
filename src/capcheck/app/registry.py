"""The registry: everything the plugins registered, checked for duplicates and bad references.

Built from a plugin manager by calling each plugin's implementation of each hook on its own,
so that every item is attributed to its plugin, and a duplicate id or a crashing hook names it.

Namespaces (docs/plugins.md, "Namespaces"): only a built-in registers an id in the reserved ``capcheck.``
namespace; a third-party plugin's rule or kind id without a namespace is noted per plugin
(:func:`namespace_warnings`), or refused under ``strict_namespaces``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pluggy
from pydantic import ValidationError

from capcheck.app.plugins import PluginInfo, where_defined
from capcheck.builtins.declarative import CompileContext, RuleFormat
from capcheck.core.errors import CapcheckError, PluginError, Problem, RuleFileError
from capcheck.core.ids import RESERVED_NAMESPACE, namespace_of, suggest_namespace
from capcheck.core.kinds import EvidenceKind, KindExtension, compile_problems, extend_kinds, kind_problems
from capcheck.core.loading import Enricher, Loader
from capcheck.core.models import Area, Framework, RuleSource, display_path
from capcheck.core.reporting import Reporter
from capcheck.core.resources import PARSED_TOML_FILE
from capcheck.core.rules import Rule
from capcheck.core.side_inputs import RULE_FILE_MAX_BYTES, Named, read_bounded
from capcheck.core.wording import did_you_mean, plural

__all__ = ["Registry", "build_registry", "namespace_warnings"]

#: File names in rule directories that are not rule files (nor evidence, to ``validate``): the areas, and the pack's
#: TOML files parsed ahead (JSON Lines, which the OCDS loader would otherwise take for evidence).
NOT_RULE_FILES = frozenset({"areas.toml", PARSED_TOML_FILE})
#: Directories in rule directories that hold data, not rules (framework criteria; reference data such as
#: the DSPT editions; scorecard data).
NOT_RULE_DIRS = frozenset({"frameworks", "reference-data", "scorecard"})

T = TypeVar("T")


@dataclass
class Registry:
    """What the plugins registered, by id. Built once per run by :func:`build_registry`."""

    plugins: list[PluginInfo]
    areas: dict[str, Area] = field(default_factory=dict)
    kinds: dict[str, EvidenceKind] = field(default_factory=dict)
    loaders: dict[str, Loader] = field(default_factory=dict)
    #: Loaders that recognise their files by content (``Loader.claims``), asked before ``loaders``.
    content_loaders: list[Loader] = field(default_factory=list)
    #: Enrichers (``capcheck_enrichers``), run on loaded documents in registration order.
    enrichers: list[Enricher] = field(default_factory=list)
    rule_formats: dict[str, RuleFormat] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    reporters: dict[str, Reporter] = field(default_factory=dict)
    frameworks: dict[str, Framework] = field(default_factory=dict)
    #: Which plugin registered what, e.g. ``("rule", "COMM-001") -> "capcheck.builtins.pack"``.
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    #: A third-party plugin's rule and kind ids without a namespace, by plugin, in registration order.
    unnamespaced: dict[str, list[str]] = field(default_factory=dict)

    def area_order(self, area_id: str) -> tuple[int, str]:
        """Sort key for areas: their registered order, then id."""
        area = self.areas.get(area_id)
        return (area.order if area else 1000, area_id)


def _collect(pm: pluggy.PluginManager, hook_name: str, expected: type | tuple[type, ...]) -> Iterable[tuple[str, Any]]:
    """Call each plugin's implementation of ``hook_name`` separately; yield (plugin, item)."""
    caller = getattr(pm.hook, hook_name)
    # The implementations are called one by one (not through the hook caller, which pluggy's
    # tracing watches), so trace each call here: it prints only with CAPCHECK_TRACE_HOOKS set.
    trace = pm.trace.root.get("hook")
    for impl in caller.get_hookimpls():  # registration order: built-ins first
        trace(f"{hook_name}() in {impl.plugin_name}")
        try:
            items = impl.function()
        except CapcheckError:  # already located (e.g. a plugin's framework file): keep its file and cause
            raise
        except (Exception, SystemExit) as exc:  # sys.exit in a hook is the plugin's error, not the result
            raise PluginError(
                Problem(f"plugin {impl.plugin_name!r} failed in {hook_name}(): {type(exc).__name__}: {exc}")
            ) from exc
        if items is None:  # pluggy drops None, so a hook that forgot its `return` registered nothing, silently
            raise PluginError(
                Problem(
                    f"plugin {impl.plugin_name!r}: {hook_name}() returned None: return a list (an empty one "
                    "registers nothing); is its `return` missing?",
                    **where_defined(impl.function),
                )
            )
        if not isinstance(items, Sequence | tuple | list) or isinstance(items, str):
            raise PluginError(
                Problem(f"plugin {impl.plugin_name!r}: {hook_name}() must return a list, not {type(items).__name__}")
            )
        for item in items:
            if not isinstance(item, expected):
                names = expected.__name__ if isinstance(expected, type) else "/".join(t.__name__ for t in expected)
                raise PluginError(
                    Problem(
                        f"plugin {impl.plugin_name!r}: {hook_name}() returned a {type(item).__name__}, expected {names}"
                    )
                )
            yield impl.plugin_name, item


def _add_rule(reg: Registry, r: Rule, owner: str, *, python: bool) -> None:
    """Register a rule; an id a third party shares with a built-in rule is refused naming the third party,
    located at its rule (a Python rule's function; else the caller's rule file) and with a namespace to use,
    whichever of the two was registered first. ``python``: ``r`` is a Python rule (they are all registered
    before any declarative one, so a rule registered before a declarative one is a Python rule too)."""
    rule_id = r.meta.id
    first = reg.owners.get(("rule", rule_id))
    infos = {p.name: p for p in reg.plugins}
    builtin = [o for o in (first, owner) if o is not None and (i := infos.get(o)) is not None and i.origin == "builtin"]
    if first is not None and len(builtin) == 1:
        other = first if builtin[0] == owner else owner
        info = infos.get(other)
        fix = (
            f"put the plugin's namespace first, e.g. '{suggest_namespace(_plugin_name(info))}.{rule_id}'"
            if info is not None
            else f"give the rule an id of its own, e.g. with a namespace ('acme.{rule_id}')"
        )
        theirs, theirs_python = (reg.rules[rule_id], True) if other == first else (r, python)
        raise PluginError(
            Problem(
                f"rule {rule_id!r} is registered twice: by {builtin[0]!r} and again by {other!r}: the id is one of "
                f"capcheck's built-in rules; {fix} (docs/plugins.md#namespaces)",
                **(where_defined(theirs.check) if info is not None and theirs_python else {}),
            )
        )
    _add(reg, reg.rules, "rule", rule_id, r, owner)


def _add(registry: Registry, table: dict[str, T], what: str, key: str, item: T, owner: str) -> None:
    if key in table:
        first = registry.owners.get((what, key), "?")
        raise PluginError(Problem(f"{what} {key!r} is registered twice: by {first!r} and again by {owner!r}"))
    table[key] = item
    registry.owners[(what, key)] = owner


def build_registry(
    pm: pluggy.PluginManager,
    plugins: list[PluginInfo],
    *,
    rule_paths: Sequence[Path] = (),
    kind_extensions: Sequence[tuple[str, KindExtension]] = (),
    strict_namespaces: bool = False,
) -> Registry:
    """Collect the plugins' areas, kinds, loaders, rule formats, rules and reporters.

    :param rule_paths: extra declarative rule files or directories (``--rules``, config).
    :param kind_extensions: ``(owner, extension)`` pairs applied after the plugins' (the config's
        ``[kinds.<id>]`` tables, owned by ``"config <file>"``).
    :param strict_namespaces: refuse a third-party plugin's ids without a namespace (the config's
        ``strict_namespaces``) instead of noting them in ``Registry.unnamespaced``.
    :raises PluginError: a duplicate id, a crashing hook, a rule with an unknown area or kind, an id in
        the reserved namespace from anything but a built-in, an un-namespaced id under ``strict_namespaces``.
    :raises RuleFileError: a declarative rule file is broken.
    """
    reg = Registry(plugins=list(plugins))
    infos = {p.name: p for p in plugins}
    for owner, area in _collect(pm, "capcheck_areas", Area):
        _add(reg, reg.areas, "area", area.id, area, owner)
    kind_errors: list[Problem] = []
    for owner, kind in _collect(pm, "capcheck_kinds", EvidenceKind):
        kind_errors.extend(kind_problems(kind, owner))
        kind_errors.extend(_claim_id(reg, "evidence kind", kind.id, owner, infos.get(owner)))
        _add(reg, reg.kinds, "evidence kind", kind.id, kind, owner)
    if kind_errors:
        raise PluginError(kind_errors)
    extensions = [*_collect(pm, "capcheck_kind_extensions", KindExtension), *kind_extensions]
    if extensions:
        kind_owners = {key: owner for (what, key), owner in reg.owners.items() if what == "evidence kind"}
        reg.kinds, kind_errors = extend_kinds(reg.kinds, kind_owners, extensions)
        if kind_errors:
            raise PluginError(kind_errors)
        for kind in reg.kinds.values():
            for name, owner in kind.extended_by.items():
                reg.owners[("kind field", f"{kind.id}.{name}")] = owner
    for kind in reg.kinds.values():  # a third party's schema, or one it extended, must compile
        owner = reg.owners[("evidence kind", kind.id)]
        if kind.extended_by or (owner in infos and infos[owner].origin != "builtin"):
            kind_errors.extend(compile_problems(kind, owner))
    if kind_errors:
        raise PluginError(kind_errors)
    content: dict[str, Loader] = {}
    for owner, loader in _collect(pm, "capcheck_loaders", Loader):
        if loader.claims is not None:  # by content: it shares its extensions with their own loaders
            _add(reg, content, "content loader", loader.name, loader, owner)
            reg.content_loaders.append(loader)
            continue
        for ext in loader.extensions:
            _add(reg, reg.loaders, "loader for", ext.lower(), loader, owner)
    named: dict[str, Enricher] = {}
    for owner, enricher in _collect(pm, "capcheck_enrichers", Enricher):
        _add(reg, named, "enricher", enricher.name, enricher, owner)
        reg.enrichers.append(enricher)
    for owner, fmt in _collect(pm, "capcheck_rule_formats", RuleFormat):
        for ext in fmt.extensions:
            _add(reg, reg.rule_formats, "rule format for", ext.lower(), fmt, owner)
    for owner, reporter in _collect(pm, "capcheck_reporters", Reporter):
        # --format and --report take a name in any case, so 'JSON' beside 'json' would be two answers to one name
        twin = next((n for n in reg.reporters if n != reporter.name and n.casefold() == reporter.name.casefold()), None)
        if twin is not None:
            first = reg.owners.get(("reporter", twin), "?")
            raise PluginError(
                Problem(
                    f"reporter {reporter.name!r} is registered twice: as {twin!r} by {first!r} and again by {owner!r} "
                    "(formats are named in any case)"
                )
            )
        _add(reg, reg.reporters, "reporter", reporter.name, reporter, owner)
    for owner, framework in _collect(pm, "capcheck_frameworks", Framework):
        _add(reg, reg.frameworks, "framework", framework.id, framework, owner)

    code: dict[str, tuple[str | None, str | None]] = {}  # a local module's code, hashed once
    for owner, r in _collect(pm, "capcheck_rules", Rule):
        info = infos.get(owner)
        kind = (
            "builtin" if info and info.origin == "builtin" else ("plugin" if info and info.distribution else "module")
        )
        if kind == "module" and owner not in code:
            code[owner] = module_code(info.location if info else None)
        where, digest = code.get(owner, (None, None))
        source = RuleSource(
            type=kind,
            name=owner,
            distribution=info.distribution if info else None,
            version=info.version if info else None,
            path=where,
            sha256=digest,
        )
        check_rule(reg, r, owner, **where_defined(r.check))  # located at the @rule(...) to fix
        if reserved := _claim_id(reg, "rule", r.meta.id, owner, info):
            raise PluginError(reserved)
        _add_rule(reg, r.with_source(source), owner, python=True)

    compile_context = CompileContext(areas=frozenset(reg.areas), kinds=reg.kinds)
    pack_paths = [(owner, Path(p)) for owner, p in _collect(pm, "capcheck_rule_paths", (Path, str))]
    user_paths = [("--rules", Path(p)) for p in rule_paths]
    problems: list[Problem] = []
    compiled: set[str] = set()  # a plugin's own rule folder named again with --rules is loaded once, as the plugin's
    real_dirs: dict[Path, str] = {}
    for owner, path in [*pack_paths, *user_paths]:
        info = infos.get(owner)
        for rule_file in _rule_files(path, reg.rule_formats, problems):
            real = _realpath(rule_file, real_dirs)  # never raises, even on a symlink loop (named when read)
            if real in compiled:
                continue
            compiled.add(real)
            shown = display_path(rule_file, real=real)
            try:  # bounded like every side input: a FIFO, a loop or a huge file is a problem, not a hang
                data = read_bounded(rule_file, Named(shown, RuleFileError), what="rule file", limit=RULE_FILE_MAX_BYTES)
            except RuleFileError as exc:
                problems.extend(exc.problems)
                continue
            digest = hashlib.sha256(data).hexdigest()
            for r in compile_rule_file(reg, rule_file, compile_context, problems, shown=shown):
                if info is None:
                    source = RuleSource(type="file", name=shown, path=shown, sha256=digest)
                else:
                    source = RuleSource(
                        type="builtin" if info.origin == "builtin" else "plugin",
                        name=owner,
                        distribution=info.distribution,
                        version=info.version,
                        path=_pack_relative(rule_file, path),
                        sha256=digest,
                    )
                r = r.with_source(source)
                try:
                    check_rule(reg, r, shown)
                    # A plugin's rule pack is counted as the plugin's (and warned about as the plugin's); --rules
                    # files as themselves (the organisation's own: never warned about, but not in capcheck.).
                    if reserved := _claim_id(reg, "rule", r.meta.id, owner if info is not None else shown, info):
                        raise PluginError(reserved)
                    _add_rule(reg, r, owner if info is not None else shown, python=False)
                except PluginError as exc:  # located at this file, unless located at the other rule already
                    problems.extend(p if p.path is not None else Problem(p.message, path=shown) for p in exc.problems)
    if problems:
        raise RuleFileError(problems)
    if strict_namespaces and reg.unnamespaced:
        raise PluginError([Problem(m) for m in namespace_warnings(reg, strict=True)])
    return reg


def _realpath(path: Path, real_dirs: dict[Path, str]) -> str:
    """``os.path.realpath(path)``, resolving each directory once: the rule pack's ~50 files sit in a dozen
    directories, and resolving is an ``lstat`` per path component. A file that is itself a symbolic link
    is resolved whole."""
    if path.is_symlink():
        return os.path.realpath(path)
    parent = real_dirs.get(path.parent)
    if parent is None:
        parent = real_dirs[path.parent] = os.path.realpath(path.parent)
    return os.path.join(parent, path.name)


def _claim_id(reg: Registry, what: str, item_id: str, owner: str, info: PluginInfo | None) -> list[Problem]:
    """Refuse an id in the reserved namespace unless a built-in registers it; note a third-party plugin's
    id without a namespace in ``reg.unnamespaced`` (``info`` is None for a ``--rules`` file: not noted)."""
    if info is not None and info.origin == "builtin":
        return []
    namespace = namespace_of(item_id)
    if namespace == RESERVED_NAMESPACE:
        suggestion = suggest_namespace(_plugin_name(info) if info is not None else owner)
        return [
            Problem(
                f"{what} {item_id!r} from {owner!r}: the {RESERVED_NAMESPACE!r} namespace is reserved for capcheck's "
                f"own ids; use your own (e.g. '{suggestion}.{item_id.partition('.')[2]}'; docs/plugins.md#namespaces)"
            )
        ]
    if namespace is None and info is not None:
        reg.unnamespaced.setdefault(owner, []).append(item_id)
    return []


def _plugin_name(info: PluginInfo) -> str:
    """What a plugin is called by its publisher: its distribution's name, else its own."""
    return info.distribution or info.name


#: How many of a plugin's un-namespaced ids its warning lists.
_SHOWN_IDS = 3


def namespace_warnings(reg: Registry, *, strict: bool = False) -> list[str]:
    """One message per third-party plugin that registered rule or kind ids without a namespace, naming the
    plugin and suggesting one (``strict``: worded as the error ``strict_namespaces`` makes of it)."""
    infos = {p.name: p for p in reg.plugins}
    messages = []
    for owner, ids in reg.unnamespaced.items():
        info = infos.get(owner)
        namespace = suggest_namespace(_plugin_name(info) if info is not None else owner)
        shown = ", ".join(ids[:_SHOWN_IDS]) + (f" and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else "")
        count = plural(len(ids), "id")
        why = "and strict_namespaces is on" if strict else "which capcheck's own ids may take later"
        messages.append(
            f"plugin {owner!r} registers {count} without a namespace ({shown}), {why}: put a namespace first, "
            f"e.g. '{namespace}.{ids[0]}' (docs/plugins.md#namespaces)"
        )
    return messages


def compile_rule_file(
    reg: Registry, rule_file: Path, context: CompileContext, problems: list[Problem], *, shown: str | None = None
) -> list[Rule]:
    """Compile one declarative rule file with the format registered for its extension.

    Problems (a broken file, invalid metadata) are added to ``problems``, not raised, so that every
    file's problems can be reported together. ``shown``: the file as named (its ``display_path``), when known.
    """
    if shown is None:
        shown = display_path(rule_file)
    fmt = reg.rule_formats[rule_file.suffix.lower()]
    try:
        rules = list(fmt.compile(rule_file, shown, context))
        odd = next((r for r in rules if not isinstance(r, Rule)), None)
        if odd is not None:  # a rule format plugin's bug: it failed later, as an internal error
            problems.append(
                Problem(f"the {fmt.name!r} rule format returned a {type(odd).__name__}, not a Rule", path=shown)
            )
            return []
        return rules
    except RuleFileError as exc:
        problems.extend(exc.problems)
    except ValidationError as exc:
        problems.extend(Problem(f"{e['msg']}", path=shown) for e in exc.errors())
    except (Exception, SystemExit) as exc:  # a rule format plugin's own bug: name it, with the file it failed on
        problems.append(Problem(f"the {fmt.name!r} rule format failed: {type(exc).__name__}: {exc}", path=shown))
    return []


def module_code(location: str | None) -> tuple[str | None, str | None]:
    """A local plugin module's code, for its rules' source: its file (a package: its directory) and the
    SHA-256 of the file (a package: of the ``sha256sum``-style listing, ``<sha256>  <path>`` a line, of its
    ``.py`` files sorted by path relative to the directory). A local module has no distribution version to
    say which code ran; this does. (None, None) when there is no file to read."""
    if location is None:
        return None, None
    file = Path(location)
    try:
        if file.name != "__init__.py":
            return display_path(file), hashlib.sha256(file.read_bytes()).hexdigest()
        root = file.parent
        files = sorted(
            (p.relative_to(root).as_posix(), p)
            for p in root.rglob("*.py")
            if not any(part.startswith(".") or part == "__pycache__" for part in p.relative_to(root).parts)
        )
        listing = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {rel}\n" for rel, p in files)
    except OSError:  # it was imported, so it was readable: gone since, nothing to vouch for
        return None, None
    return display_path(root), hashlib.sha256(listing.encode()).hexdigest()


def _pack_relative(rule_file: Path, root: Path) -> str:
    try:
        return rule_file.relative_to(root).as_posix()
    except ValueError:
        return rule_file.name


def check_rule(reg: Registry, r: Rule, owner: str, **where: Any) -> None:
    """Refuse a rule whose area, evidence kinds or framework criteria are not registered (each problem located
    at ``where``: ``path`` and ``line``, when given)."""
    if r.meta.area not in reg.areas:
        raise PluginError(
            Problem(
                f"rule {r.meta.id!r} from {owner!r} names unknown area {r.meta.area!r} "
                f"(areas: {', '.join(sorted(reg.areas))})",
                **where,
            )
        )
    for ref in r.meta.criteria:
        framework_id, _, criterion = ref.partition(":")
        framework = reg.frameworks.get(framework_id)
        if framework is None or not any(c.id == criterion for c in framework.criteria):
            raise PluginError(
                Problem(
                    f"rule {r.meta.id!r} from {owner!r} names unknown criterion {ref!r} "
                    f"(frameworks: {', '.join(sorted(reg.frameworks))}; see 'capcheck frameworks')",
                    **where,
                )
            )
    for kind in r.meta.kinds:
        if kind not in reg.kinds:
            raise PluginError(
                Problem(
                    f"rule {r.meta.id!r} from {owner!r} reads unknown evidence kind {kind!r}"
                    f"{did_you_mean(kind, reg.kinds)} "
                    f"(kinds: {', '.join(sorted(reg.kinds))})",
                    **where,
                )
            )


def _rule_files(path: Path, formats: dict[str, RuleFormat], problems: list[Problem]) -> list[Path]:
    shown = path.as_posix()
    if not path.is_dir():
        if not os.path.lexists(path):
            problems.append(Problem("no such rule file or directory", path=shown))
            return []
        if path.suffix.lower() not in formats:
            problems.append(Problem(f"not a rule file type capcheck reads ({', '.join(sorted(formats))})", path=shown))
            return []
        return [path]  # reading it says what is wrong if it is not a readable regular file

    def unreadable(exc: OSError) -> None:  # a directory that cannot be listed is never skipped silently
        where = Path(exc.filename).as_posix() if exc.filename else shown
        problems.append(Problem(f"cannot read directory: {exc.strerror or exc}", path=where))

    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(path, onerror=unreadable):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in NOT_RULE_DIRS)
        for name in sorted(filenames):
            candidate = Path(dirpath, name)
            if name.startswith(".") or name in NOT_RULE_FILES or candidate.suffix.lower() not in formats:
                continue
            found.append(candidate)
    return found


def rules_matching(registry: Registry, predicate: Callable[[Rule], bool]) -> list[Rule]:
    """The registered rules for which ``predicate`` holds, by id."""
    return sorted((r for r in registry.rules.values() if predicate(r)), key=lambda r: r.meta.id)
