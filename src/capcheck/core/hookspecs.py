"""The capcheck plugin contract: every hook a plugin can implement, in one module.

capcheck is a small core that orchestrates plugins. Everything it knows how to do comes
through these hooks, and the built-in areas, evidence kinds, loaders, rules and reporters are
registered through them exactly like a third party's (see ``capcheck.app.plugins.DEFAULT_PLUGINS``).

A plugin is a module (or object) with functions named like the hooks below, marked with
:data:`hookimpl`. capcheck finds plugins in three places:

* installed distributions that declare an entry point in the ``capcheck`` group::

      [project.entry-points.capcheck]
      nhs = "capcheck_nhs.plugin"

* local plugins named with ``--plugin ./my_rules.py`` (a file or package directory, loaded from
  that path) or ``--plugin my_module`` (a module on the Python path), or the config key
  ``plugins = [...]`` (no packaging needed; never imported from the working directory implicitly);
* declarative rule files, which are not plugins but are found through
  :func:`capcheck_rule_paths` and ``--rules DIR``.

Every hook takes no arguments and returns a sequence of items. capcheck calls each plugin's
implementation on its own, so that a failure or a duplicate id names the plugin responsible.
Set ``CAPCHECK_TRACE_HOOKS=1`` to print every hook call to stderr.

Example plugin::

    from capcheck import hookimpl, rule

    @rule(id="acme.COMM-900", title="Contracts name a supplier", area="COMM", severity="low",
          kinds=["supplier-contracts"], description="...", rationale="...", remediation="...")
    def contracts_name_a_supplier(evidence, ctx):
        for record in evidence.records("supplier-contracts"):
            if record.get("supplier"):
                yield ctx.passed(record)
            else:
                yield ctx.failed(record, "the contract names no supplier")

    @hookimpl
    def capcheck_rules():
        return [contracts_name_a_supplier]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # imported for annotations only: keeps `import capcheck` cheap
    from capcheck.builtins.declarative import RuleFormat
    from capcheck.core.kinds import EvidenceKind, KindExtension
    from capcheck.core.loading import Enricher, Loader
    from capcheck.core.models import Area, Framework
    from capcheck.core.reporting import Reporter
    from capcheck.core.rules import Rule

__all__ = ["PLUGIN_API_VERSION", "PROJECT_NAME", "hookimpl", "hookspec"]

#: The pluggy project name and the entry-point group plugins register under.
PROJECT_NAME = "capcheck"

#: The version of the plugin API (these hooks and the names in ``capcheck.__all__``), ``MAJOR.MINOR``:
#: MINOR grows when something is added (a hook, a name, an optional argument), MAJOR when something a
#: plugin may use changes or goes. A plugin declares the version it was written for as
#: ``CAPCHECK_PLUGIN_API = "1.2"`` at its top level, and is refused, with its name, by a capcheck whose
#: major differs or whose minor is lower. History: 1.0 the hooks and names before namespaces; 1.1
#: namespaced ids, ``capcheck_kind_extensions``, ``any_of`` kinds and this version check; 1.2
#: ``capcheck_enrichers`` and ``Enricher``; 1.3 a rule's ``reads`` kinds and ``columns``, ``Loader.kinds_of`` and
#: ``Reporter.segment`` (the evidence a rule is given holds only the kinds it declares); 1.4 a rule's ``per_record``
#: declaration (``@rule(per_record=True)``, ``RuleMeta.per_record``), and ``Loader.divide`` and ``Loader.load_range``
#: (``Document.first``); 1.5 a reporter's ``segment`` may return its bytes as an iterable of chunks; 1.6 a Python
#: rule's ``option_checks`` (``@rule(option_checks={...})``); 1.7 a block's ``size`` and ``statuses()``, and a block
#: a split check's part sent without its rows (``OutcomesElsewhere``) given to a reporter whose text it holds.
PLUGIN_API_VERSION = "1.7"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Mark a plugin function as an implementation of the hook of the same name.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# ---------------------------------------------------------------------------------------------
# Capability areas
# ---------------------------------------------------------------------------------------------


@hookspec
def capcheck_areas() -> Sequence[Area]:
    """Register capability areas (``COMM``, ``INFRA`` ...) that rules belong to.

    Called once when the registry is built. Every rule's ``area`` must be a registered area;
    an area id registered twice stops the run (exit 2) naming both plugins.

    :return: the areas this plugin adds.

    Example::

        @hookimpl
        def capcheck_areas():
            return [Area(id="CLIN", title="Clinical safety", order=120)]
    """
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Evidence: kinds and loaders
# ---------------------------------------------------------------------------------------------


@hookspec
def capcheck_kinds() -> Sequence[EvidenceKind]:
    """Register evidence kinds: a kind id and the JSON Schema (draft 2020-12) of one record.

    Called once when the registry is built. Evidence files name their kind (``"kind":
    "it-assets"``, or a CSV file's stem); a file of an unregistered kind is an input error.
    The schema validates each record and types CSV cells (integer, number, boolean, array).

    :return: the kinds this plugin adds.

    Example::

        @hookimpl
        def capcheck_kinds():
            return [EvidenceKind.from_file(Path(__file__).with_name("risk-log.schema.json"))]
    """
    raise NotImplementedError


@hookspec
def capcheck_kind_extensions() -> Sequence[KindExtension]:
    """Add fields to a registered kind (a built-in one, or another plugin's) without re-registering it.

    Called once when the registry is built, after every kind is registered; extensions apply in
    plugin order. The fields join the kind's top-level ``properties``: records are validated against
    them, CSV cells of them are typed, and declarative rules may read them. An unknown kind, or a
    field the kind or another extension already defines differently, stops the run (exit 2) naming
    both sides; ``capcheck kinds --show KIND`` lists each field with where it came from.

    :return: the extensions this plugin makes, one :class:`capcheck.KindExtension` per kind.

    Example::

        @hookimpl
        def capcheck_kind_extensions():
            return [KindExtension(kind="it-assets", fields={"acme_site": {"type": "string"}})]
    """
    raise NotImplementedError


@hookspec
def capcheck_loaders() -> Sequence[Loader]:
    """Register loaders: readers of an evidence file type, chosen by file extension.

    Called once when the registry is built. A loader turns a file's bytes into documents
    (kind, records, per-record line numbers); capcheck then validates and indexes the records.
    Two loaders claiming one extension stop the run naming both plugins. A loader with ``claims``
    (a test of the file's first bytes) recognises its files by content instead: it is asked before
    the extension's loader and takes no extension from it (the DSPT, OCDS and CycloneDX adapters). A loader
    with ``combine`` reads its files together, once all are loaded (OCDS: a process's releases across files).
    A loader may say a file's kinds before it is loaded, with ``kinds_of(path, head, context)``: the exact set
    of kinds its documents will have, or None when that cannot be told cheaply and for certain (never a guess).

    :return: the loaders this plugin adds.

    Example::

        @hookimpl
        def capcheck_loaders():
            return [
                Loader(name="parquet", extensions=(".parquet",), load=load_parquet, kinds_of=parquet_kinds),
                Loader(name="cmdb", extensions=(".csv",), load=load_cmdb, claims=lambda h: h.startswith(b"CI_ID,")),
            ]
    """
    raise NotImplementedError


@hookspec
def capcheck_enrichers() -> Sequence[Enricher]:
    """Register enrichers: steps that complete loaded documents from reference data, before validation.

    Called once when the registry is built. An enricher's ``enrich(document, context)`` runs on
    every loaded document of its ``kinds`` (all kinds when empty), after the loader and any
    ``[[mapping]]``, before schema validation, in registration order. It fills in what the register
    left out and says so (a field naming its source, a note on the document); it must not overwrite
    a value the register gives, nor change the document's ``kind`` (capcheck does not check this: an
    enricher is plugin code, trusted like a rule). ``context.options`` holds config values (``endoflife_products``).
    An exception from it stops the run naming the enricher and the file; two enrichers with one
    name stop the run naming both plugins. The bundled end-of-life snapshot is one.

    :return: the enrichers this plugin adds.

    Example::

        @hookimpl
        def capcheck_enrichers():
            def owners(doc, context):
                for record in doc.records:
                    if not record.get("owner") and record.get("team") in TEAM_LEADS:
                        record["owner"] = TEAM_LEADS[record["team"]]
                        record["owner_source"] = "team leads register"

            return [Enricher(name="team-leads", enrich=owners, kinds=("it-assets",))]
    """
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


@hookspec
def capcheck_rules() -> Sequence[Rule]:
    """Register Python rules, each made with the :func:`capcheck.rule` decorator.

    Called once when the registry is built. A rule receives the whole evidence set (every
    kind, indexed by kind and id) and a context (``as_of`` date, options) and yields outcomes.
    A rule id registered twice stops the run naming both sources.

    :return: the rules this plugin adds.

    Example::

        @hookimpl
        def capcheck_rules():
            return [contracts_name_a_supplier, assets_have_owners]
    """
    raise NotImplementedError


@hookspec
def capcheck_rule_formats() -> Sequence[RuleFormat]:
    """Register declarative rule file formats (the built-in one reads TOML), by extension.

    Called once when the registry is built. A format compiles a rule file into rules once,
    before any evidence is evaluated; a broken file stops the run with file, pointer and cause.
    Two formats for one extension stop the run naming both plugins (``.toml`` is the built-in's).

    :return: the formats this plugin adds.

    Example::

        @hookimpl
        def capcheck_rule_formats():
            return [RuleFormat(name="yaml", extensions=(".yaml", ".yml"), compile=compile_yaml_rules)]
    """
    raise NotImplementedError


@hookspec
def capcheck_rule_paths() -> Sequence[Path]:
    """Register declarative rule files or directories that a plugin ships (its rule pack).

    Called once when the registry is built. Directories are walked in sorted order for files
    of a registered rule format. ``--rules DIR`` and the config key ``rules`` add more.

    :return: files or directories of declarative rules.

    Example::

        @hookimpl
        def capcheck_rule_paths():
            return [Path(__file__).with_name("rules")]
    """
    raise NotImplementedError


@hookspec
def capcheck_frameworks() -> Sequence[Framework]:
    """Register public frameworks whose criteria rules encode (NCSC CAF, GDS Service Standard ...).

    Called once when the registry is built. A framework is one edition of a published text: its
    ``edition`` is required and its id ends with it (``iso27001-2022``). Rules name criteria in their
    ``criteria`` metadata as ``"<framework>:<criterion>"`` (``"iso27001-2022:A.5.1"``); naming a
    criterion that no registered framework has stops the run. ``capcheck frameworks`` shows each
    criterion as automated (with its rules) or manual.

    :return: the frameworks this plugin adds.

    Example::

        @hookimpl
        def capcheck_frameworks():
            return [
                Framework(
                    id="iso27001-2022", title="ISO/IEC 27001:2022", edition="2022",
                    criteria=(Criterion(id="A.5.1", title="Policies for information security"),),
                )
            ]
    """
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


@hookspec
def capcheck_reporters() -> Sequence[Reporter]:
    """Register reporters: output formats chosen with ``--format NAME``.

    Called once when the registry is built. A reporter renders a finished
    :class:`capcheck.core.models.RunResult` to text; capcheck writes it to stdout or, atomically,
    to ``--output FILE``. Two reporters with one name stop the run naming both plugins. A reporter
    may also give ``write(result, options, stream)``, the same output as UTF-8 bytes written to a
    byte stream in pieces: capcheck then streams it and never holds it whole (the JSON reporter
    does). A run's ``findings`` are made lazily, once per pass: iterate them once where you can.

    The result is fully typed: read its attributes, never string keys. Besides the findings,
    summary and evidence, it carries ``rules`` (:class:`capcheck.core.models.RuleInfo`), ``scorecard``
    (a :class:`capcheck.assessment.scorecard.Scorecard`: ``rows`` of ``AreaScore``, ``criteria``,
    ``organisation``; or None), ``waivers`` (a tuple of :class:`capcheck.assessment.waivers.WaiverState`, or
    None without ``--waivers``), ``baseline`` (a :class:`capcheck.assessment.baseline.BaselineReport`, or None
    without ``--baseline``) and ``gate_failures``. Each typed member's ``as_dict()`` is its form in
    the JSON findings document.

    :return: the reporters this plugin adds.

    Example::

        @hookimpl
        def capcheck_reporters():
            return [Reporter(name="levels", description="each area's level", render=render_levels)]

        def render_levels(result: RunResult, options: RenderOptions) -> str:
            rows = result.scorecard.rows if result.scorecard else ()
            return "".join(f"{row.area}: {row.name}\\n" for row in rows)
    """
    raise NotImplementedError
