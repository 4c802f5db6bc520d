"""Build the plugin manager: the built-in plugins, installed entry points, and local modules.

Built-ins are registered through the same hooks as third-party plugins (``DEFAULT_PLUGINS``).
Each entry point and local module is loaded on its own, so a plugin that fails to import
stops the run with its name and the cause.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType

import pluggy

from capcheck import hookspecs
from capcheck.errors import PluginError, Problem

__all__ = ["DEFAULT_PLUGINS", "PluginInfo", "build_plugin_manager"]

#: The built-in plugins, registered first, in this order.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "capcheck.areas",
    "capcheck.kinds",
    "capcheck.frameworks",
    "capcheck.loaders.jsonfile",
    "capcheck.loaders.yamlfile",
    "capcheck.loaders.tomlfile",
    "capcheck.loaders.csvfile",
    "capcheck.declarative.toml_format",
    "capcheck.pack",
    "capcheck.reporters.text",
    "capcheck.reporters.json",
)

#: Optional built-ins: registered when importable (they arrive with later features).
OPTIONAL_PLUGINS: tuple[str, ...] = (
    "capcheck.reporters.sarif",
    "capcheck.reporters.junit",
    "capcheck.reporters.markdown",
    "capcheck.reporters.csv",
    "capcheck.reporters.html",
)


@dataclass(frozen=True)
class PluginInfo:
    """A registered plugin: its name, how it was found, and its distribution if installed."""

    name: str
    origin: str  # "builtin" | "entry point" | "module"
    distribution: str | None = None
    version: str | None = None


def _import(name: str) -> ModuleType:
    if name.endswith(".py") or os.sep in name or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise ModuleNotFoundError(f"no such plugin file: {name}")
        spec = importlib.util.spec_from_file_location(f"capcheck_local_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(name)


def build_plugin_manager(
    modules: Sequence[str] = (),
    *,
    entry_points: bool = True,
    search_path: Iterable[Path] = (),
) -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    """A plugin manager with the built-ins, entry-point plugins and the named local modules.

    :param modules: local plugin modules (``my_rules`` or ``./my_rules.py``), from ``--plugin``
        and the config's ``plugins``.
    :param entry_points: load installed distributions' ``capcheck`` entry points.
    :param search_path: directories put on ``sys.path`` to import local modules from (the working
        directory and the config file's directory).
    :raises PluginError: a plugin failed to import or register.
    """
    from capcheck._version import __version__

    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    if os.environ.get("CAPCHECK_TRACE_HOOKS"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    infos: list[PluginInfo] = []

    def register(module: object, name: str, info: PluginInfo) -> None:
        try:
            pm.register(module, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(Problem(f"plugin {name!r} cannot be registered: {exc}")) from None
        infos.append(info)

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
            except Exception as exc:
                raise PluginError(
                    Problem(
                        f"plugin {ep.name!r} (entry point {ep.value!r}"
                        f"{f' from {dist.name} {dist.version}' if dist else ''}) failed to import: "
                        f"{type(exc).__name__}: {exc}"
                    )
                ) from exc
            register(
                plugin,
                ep.name,
                PluginInfo(ep.name, "entry point", dist.name if dist else None, dist.version if dist else None),
            )

    # Local modules stay importable for the whole run: their own lazy imports need the path.
    for directory in search_path:
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))
    for name in modules:
        if pm.has_plugin(name):
            continue
        try:
            module = _import(name)
        except Exception as exc:
            raise PluginError(Problem(f"plugin module {name!r} failed to import: {type(exc).__name__}: {exc}")) from exc
        register(module, name, PluginInfo(name, "module"))
    return pm, infos
