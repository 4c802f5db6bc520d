"""Build the plugin manager: the built-in plugins, installed entry points, and local plugins.

Built-ins are registered through the same hooks as third-party plugins (``DEFAULT_PLUGINS``).
Each entry point and local plugin is loaded on its own, so a plugin that fails to import
stops the run with its name and the cause.

The trust boundary (see docs/security.md): nothing is imported from the working directory or
a config file's directory implicitly. A local plugin is either a module name, imported from
``sys.path`` as it is (installed, or on ``PYTHONPATH``), or a file (``./my_rules.py``) or package
directory (``./my_rules/``), loaded from that path alone; no directory is ever added to ``sys.path``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import FunctionType, MethodType, ModuleType
from typing import Any

import pluggy

from capcheck.core import hookspecs
from capcheck.core.errors import CapcheckError, PluginError, Problem
from capcheck.core.wording import plural, suggestion

__all__ = [
    "DEFAULT_PLUGINS",
    "DISABLE_AUTOLOAD_ENV",
    "LocalPlugin",
    "PluginInfo",
    "autoload_disabled",
    "build_plugin_manager",
    "check_api_version",
    "check_hooks",
    "is_plugin_path",
    "no_autoload",
    "where_defined",
]

#: Set (to 1) to load no installed plugin through its entry point, for any command (like pytest's
#: PYTEST_DISABLE_PLUGIN_AUTOLOAD); plugins named with --plugin or by the config still load.
DISABLE_AUTOLOAD_ENV = "CAPCHECK_DISABLE_PLUGIN_AUTOLOAD"

_NO_AUTOLOAD: ContextVar[bool] = ContextVar("capcheck_no_plugin_autoload", default=False)


def autoload_disabled() -> bool:
    """Whether entry-point plugins are off: ``capcheck --no-plugin-autoload`` (:func:`no_autoload`), or
    ``CAPCHECK_DISABLE_PLUGIN_AUTOLOAD`` set to anything but empty, ``0``, ``false``, ``no`` or ``off``."""
    if _NO_AUTOLOAD.get():
        return True
    return os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


@contextmanager
def no_autoload() -> Iterator[None]:
    """Plugin managers built inside load no entry-point plugin (``capcheck --no-plugin-autoload``)."""
    token = _NO_AUTOLOAD.set(True)
    try:
        yield
    finally:
        _NO_AUTOLOAD.reset(token)


#: The built-in plugins, registered first, in this order.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "capcheck.builtins.areas",
    "capcheck.core.kinds",
    "capcheck.builtins.frameworks",
    "capcheck.builtins.loaders.jsonfile",
    "capcheck.builtins.loaders.yamlfile",
    "capcheck.builtins.loaders.tomlfile",
    "capcheck.builtins.loaders.csvfile",
    "capcheck.builtins.loaders.xlsxfile",
    "capcheck.builtins.loaders.dspt",
    "capcheck.builtins.loaders.ocds",
    "capcheck.builtins.loaders.cyclonedx",
    "capcheck.builtins.loaders.spdx",
    "capcheck.builtins.lifecycle",
    "capcheck.builtins.declarative.toml_format",
    "capcheck.builtins.pack",
    "capcheck.builtins.reporters.text",
    "capcheck.builtins.reporters.json",
)

#: Optional built-ins: registered when importable (they arrive with later features).
OPTIONAL_PLUGINS: tuple[str, ...] = (
    "capcheck.builtins.reporters.sarif",
    "capcheck.builtins.reporters.junit",
    "capcheck.builtins.reporters.markdown",
    "capcheck.builtins.reporters.csv",
    "capcheck.builtins.reporters.html",
    "capcheck.builtins.reporters.github",
    "capcheck.builtins.reporters.azure",
    "capcheck.builtins.reporters.gitlab",
    "capcheck.builtins.reporters.oscal",
)


#: What pluggy can register as a hook implementation; any other attribute of a module is skipped.
_HOOKABLE = (FunctionType, staticmethod, classmethod, MethodType)


class _PluginManager(pluggy.PluginManager):
    """pluggy's manager, looking through a module plugin's attributes faster.

    pluggy examines every attribute of a plugin with ``inspect.getattr_static`` (so that no descriptor
    runs): about 1,100 attributes for the built-ins, a fifth of the plugin manager's start-up. A plain
    module's attributes are its ``__dict__``, where no descriptor runs either: an attribute that is not
    a function (or a static, class or bound method) cannot be a hook implementation, and neither can a
    plain function without pluggy's marker among its own attributes (where pluggy reads it, ``@hookimpl``
    puts it): both are skipped without the lookup (about 540 functions, 4 ms of start-up). Anything else goes
    through pluggy's own lookup, so what is registered is the same.
    """

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> pluggy.HookimplOpts | None:
        if type(plugin) is ModuleType:
            value = plugin.__dict__.get(name)
            if not isinstance(value, _HOOKABLE):
                return None
            if type(value) is FunctionType and self._marker not in value.__dict__:
                return None
        return super().parse_hookimpl_opts(plugin, name)

    @property
    def _marker(self) -> str:
        """The attribute ``@hookimpl`` sets on a function (pluggy's ``<project>_impl``)."""
        return self.project_name + "_impl"


@dataclass(frozen=True)
class PluginInfo:
    """A registered plugin: its name, how it was found, and its distribution if installed."""

    name: str
    origin: str  # "builtin" | "entry point" | "module"
    distribution: str | None = None
    version: str | None = None
    #: Where its code came from: the file of a local plugin, the ``module:attr`` of an entry point.
    location: str | None = None
    #: Who asked for a local plugin: ``--plugin``, or the config file that names it.
    named_by: str | None = None
    #: The plugin API version the plugin declares it was written for (``CAPCHECK_PLUGIN_API``), if any.
    api: str | None = None


@dataclass(frozen=True)
class LocalPlugin:
    """A local plugin to load: a module name or a path, as written, and who named it.

    A name that looks like a path (``./my_rules.py``, ``plugins/ours``, anything ending in ``.py``)
    is loaded from that file or package directory; relative paths are relative to ``base``
    (the config file's directory for the config's ``plugins``), else to the working directory.
    """

    name: str
    named_by: str = "--plugin"
    base: Path | None = None

    @property
    def path(self) -> Path | None:
        """The file or directory to load, or None for a module name."""
        if not is_plugin_path(self.name):
            return None
        path = Path(self.name)
        return path if path.is_absolute() or self.base is None else self.base / path


def is_plugin_path(name: str) -> bool:
    """``./my_rules.py`` or ``./my_rules/`` (a path) rather than ``my_rules`` (a module name)."""
    return name.endswith(".py") or "/" in name or os.sep in name


def _import_path(name: str, path: Path) -> ModuleType:
    """Load a plugin file, or a package directory, from its path alone: its directory is not put on
    ``sys.path``, so nothing beside it can shadow a library (a package may import its own modules
    relatively)."""
    package = path.is_dir()
    init = path / "__init__.py" if package else path
    if not init.is_file():
        what = "plugin package (no __init__.py)" if package else "plugin file"
        raise ModuleNotFoundError(f"no such {what}: {name}")
    resolved = init.resolve()
    # A private module name per file: two plugin files called rules.py must not replace each other.
    # The file is executed again on every load, as an edited plugin should be.
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    module_name = f"capcheck_local_{digest}_{(path.name if package else path.stem).replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(
        module_name, resolved, submodule_search_locations=[str(resolved.parent)] if package else None
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {name}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as exc:
        del sys.modules[module_name]
        beside = init.parent / (exc.name or "").split(".")[0]
        if not package and exc.name and (beside.with_suffix(".py").is_file() or beside.is_dir()):
            raise ModuleNotFoundError(
                f"{exc}: a plugin file's directory is not put on sys.path; to import modules beside it, make the "
                f"directory a package and load it with --plugin {path.parent.as_posix()}/ (relative imports)",
                name=exc.name,
            ) from None
        raise
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _import(plugin: LocalPlugin) -> ModuleType:
    path = plugin.path
    if path is not None:
        return _import_path(plugin.name, path)
    try:
        return importlib.import_module(plugin.name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not (plugin.name == exc.name or plugin.name.startswith(exc.name + ".")):
            raise  # the plugin was found; something it imports is missing
        hint = _local_file_hint(plugin)
        raise ModuleNotFoundError(
            f"no module named {plugin.name!r} on the Python path (installed or on PYTHONPATH){hint}"
        ) from None


def _local_file_hint(plugin: LocalPlugin) -> str:
    """When a module name matches a file beside the user, say how to load it (never load it silently)."""
    stem = plugin.name.replace(".", "/")
    for base in (plugin.base, Path.cwd()):
        if base is None:
            continue
        for candidate in (base / f"{stem}.py", base / stem / "__init__.py"):
            if candidate.is_file():
                shown = f"./{stem}.py" if candidate.name != "__init__.py" else f"./{stem}/"
                return (
                    f"; capcheck never imports from the working or config directory implicitly: "
                    f"to load {candidate.as_posix()}, name it {shown!r}"
                )
    return ""


def _location(module: ModuleType) -> str | None:
    file = getattr(module, "__file__", None)
    return file if isinstance(file, str) else None


def build_plugin_manager(
    modules: Sequence[str | LocalPlugin] = (),
    *,
    entry_points: bool | None = None,
) -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    """A plugin manager with the built-ins, entry-point plugins and the named local plugins.

    :param modules: local plugins, from ``--plugin`` and the config's ``plugins``: a module name
        (``my_rules``, imported from ``sys.path`` as it is) or a path (``./my_rules.py``, a file or
        package directory, loaded from that path); a plain string counts as named by ``--plugin``.
    :param entry_points: load installed distributions' ``capcheck`` entry points; None: unless
        :func:`autoload_disabled`.
    :raises PluginError: a plugin failed to import or register.
    """
    from capcheck._version import __version__

    if entry_points is None:
        entry_points = not autoload_disabled()
    pm = _PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    if os.environ.get("CAPCHECK_TRACE_HOOKS"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    infos: list[PluginInfo] = []

    def register(module: object, name: str, info: PluginInfo) -> None:
        check_api_version(module, name, info)
        try:
            pm.register(module, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(_invalid_hooks(module, name) or f"plugin {name!r} cannot be registered: {exc}") from None
        except ValueError as exc:
            raise PluginError(Problem(f"plugin {name!r} cannot be registered: {exc}")) from None
        api = getattr(module, API_ATTRIBUTE, None)
        infos.append(dataclasses.replace(info, api=api) if isinstance(api, str) else info)

    for name in DEFAULT_PLUGINS:
        register(importlib.import_module(name), name, PluginInfo(name, "builtin", "capcheck", __version__))
    for name in OPTIONAL_PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        register(module, name, PluginInfo(name, "builtin", "capcheck", __version__))

    if entry_points:
        for ep in sorted(metadata.entry_points(group=hookspecs.PROJECT_NAME), key=lambda e: e.name):
            if pm.has_plugin(ep.name) or pm.is_blocked(ep.name):
                continue
            dist = ep.dist
            try:
                plugin = ep.load()
            except CapcheckError:  # already located (e.g. a @rule with bad metadata): keep its file and line
                raise
            except (Exception, SystemExit) as exc:  # sys.exit in a plugin is its error, not the run's result
                raise PluginError(
                    Problem(
                        f"plugin {ep.name!r} (entry point {ep.value!r}"
                        f"{f' from {dist.name} {dist.version}' if dist else ''}) failed to import: "
                        f"{type(exc).__name__}: {exc} (every command loads installed plugins: fix or uninstall "
                        f"{dist.name if dist else 'its distribution'}, or run 'capcheck --no-plugin-autoload "
                        "COMMAND' to load none)"
                    )
                ) from exc
            register(
                plugin,
                ep.name,
                PluginInfo(
                    ep.name,
                    "entry point",
                    dist.name if dist else None,
                    dist.version if dist else None,
                    location=ep.value,
                ),
            )

    for item in modules:
        plugin = item if isinstance(item, LocalPlugin) else LocalPlugin(item)
        if pm.has_plugin(plugin.name):
            continue
        try:
            module = _import(plugin)
        except CapcheckError:  # already located (e.g. a @rule with bad metadata): keep its file and line
            raise
        except (Exception, SystemExit) as exc:  # sys.exit in a plugin is its error, not the run's result
            raise PluginError(
                Problem(f"plugin module {plugin.name!r} failed to import: {type(exc).__name__}: {exc}")
            ) from exc
        if pm.is_registered(module):  # the installed plugin named again (the test harness): loaded once
            continue
        register(
            module, plugin.name, PluginInfo(plugin.name, "module", location=_location(module), named_by=plugin.named_by)
        )
    check_hooks(pm, [i.name for i in infos if i.origin != "builtin"])
    return pm, infos


#: The attribute a plugin declares the plugin API version it was written for with (``"1.1"``).
API_ATTRIBUTE = "CAPCHECK_PLUGIN_API"


def check_api_version(plugin: object, name: str, info: PluginInfo | None = None) -> None:
    """Refuse a plugin written for a plugin API this capcheck does not provide.

    A plugin declares ``CAPCHECK_PLUGIN_API = "MAJOR.MINOR"`` (optional; without it, it is trusted to
    fit). It fits when the major equals ``PLUGIN_API_VERSION``'s and its minor is not higher: a minor
    version only adds. Checked before the plugin's hooks are registered, so an incompatible plugin
    is named for what it is, not for a hook signature it gets wrong.

    :raises PluginError: the declaration is malformed, or names an API this capcheck lacks.
    """
    from capcheck._version import __version__

    wanted = getattr(plugin, API_ATTRIBUTE, None)
    if wanted is None:
        return
    where = f"plugin {name!r}" + (f" ({info.distribution} {info.version})" if info and info.distribution else "")
    parts = wanted.split(".") if isinstance(wanted, str) else []
    if len(parts) != 2 or not all(p.isdigit() and p.isascii() for p in parts):
        raise PluginError(
            Problem(f"{where}: {API_ATTRIBUTE} must be a 'MAJOR.MINOR' string such as '1.0', not {wanted!r}")
        )
    major, minor = (int(p) for p in parts)
    have_major, have_minor = (int(p) for p in hookspecs.PLUGIN_API_VERSION.split("."))
    if major == have_major and minor <= have_minor:
        return
    if major > have_major or (major == have_major and minor > have_minor):
        fix = "upgrade capcheck, or use a release of the plugin written for this API"
    else:
        fix = "upgrade the plugin to a release written for this API"
    raise PluginError(
        Problem(
            f"{where} needs capcheck plugin API {wanted}; capcheck {__version__} provides "
            f"{hookspecs.PLUGIN_API_VERSION} (a plugin fits the same major version at the same or a lower "
            f"minor): {fix}"
        )
    )


#: The prefix of every hook's name; in a plugin it is kept for hook implementations.
HOOK_PREFIX = f"{hookspecs.PROJECT_NAME}_"


def _hook_hint(name: str, hooks: list[str]) -> str:
    return suggestion(name, hooks, f"hooks: {', '.join(hooks)}", cutoff=0.8)


def where_defined(function: object) -> dict[str, Any]:
    """``path`` and ``line`` of a function's definition, for a Problem (empty when unknown)."""
    from capcheck.core.models import display_path  # lazily: pydantic is not needed to import this module

    code = getattr(inspect.unwrap(function), "__code__", None)  # type: ignore[arg-type]  # any callable
    if code is None:
        return {}
    return {"path": display_path(Path(code.co_filename)), "line": code.co_firstlineno}


def _invalid_hooks(plugin: object, name: str) -> list[Problem]:
    """Why pluggy refused a plugin's hooks, located at each: a capcheck hook takes no arguments, so a
    ``@hookimpl`` that asks for one (``capcheck_rules(config)``) would never be called as written."""
    marker = f"{hookspecs.PROJECT_NAME}_impl"  # the attribute pluggy's HookimplMarker sets
    problems = []
    for attr, value in sorted(vars(plugin).items()) if hasattr(plugin, "__dict__") else ():
        if not attr.startswith(HOOK_PREFIX) or not callable(value) or not hasattr(value, marker):
            continue
        try:
            params = inspect.signature(value).parameters.values()
        except (TypeError, ValueError):  # no signature to read: pluggy's own message stands
            continue
        wanted = [
            p.name for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        if wanted:
            problems.append(
                Problem(
                    f"plugin {name!r}: {attr}({', '.join(wanted)}) takes {plural(len(wanted), 'argument')}, but "
                    f"capcheck calls every hook with none: define it as {attr}() (docs/hooks.md)",
                    **where_defined(value),
                )
            )
    return problems


def check_hooks(pm: pluggy.PluginManager, names: Sequence[str]) -> None:
    """Refuse what would otherwise be ignored: a ``@hookimpl`` that implements no hook (a misspelt
    ``capcheck_rule``), and a ``capcheck_*`` function of a plugin not marked ``@hookimpl``.

    pluggy's ``check_pending`` sees only marked functions, and names a plugin by its repr; this
    names each by its plugin and says which hook was meant. The unmarked check looks at the plugin
    object's own attributes (a module's top level), so the ``capcheck_`` prefix is reserved there
    for hooks.

    :param names: the plugins whose unmarked ``capcheck_*`` functions are looked for (not the built-ins).
    :raises PluginError: every such function, one problem each.
    """
    hooks = sorted(n for n in vars(hookspecs) if n.startswith(HOOK_PREFIX))
    problems: list[Problem] = []
    for hook_name, caller in sorted(vars(pm.hook).items()):
        if hook_name.startswith("_") or not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            if not impl.optionalhook:
                problems.append(
                    Problem(
                        f"plugin {impl.plugin_name!r}: {hook_name}() is marked @hookimpl but is not a capcheck hook "
                        f"({_hook_hint(hook_name, hooks)})",
                        **where_defined(impl.function),
                    )
                )
    marker = f"{hookspecs.PROJECT_NAME}_impl"  # the attribute pluggy's HookimplMarker sets
    for name in names:
        plugin = pm.get_plugin(name)
        for attr, value in sorted(vars(plugin).items()) if hasattr(plugin, "__dict__") else ():
            if not attr.startswith(HOOK_PREFIX) or not inspect.isfunction(value) or hasattr(value, marker):
                continue
            what = (
                "is a capcheck hook but not marked @hookimpl, so it would never be called (decorate it with "
                "@capcheck.hookimpl)"
                if attr in hooks
                else f"is not a capcheck hook ({_hook_hint(attr, hooks)}); the {HOOK_PREFIX} prefix is kept for hooks"
            )
            problems.append(Problem(f"plugin {name!r}: {attr}() {what}", **where_defined(value)))
    if problems:
        raise PluginError(problems)
