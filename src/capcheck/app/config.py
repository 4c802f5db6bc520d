"""Configuration: ``capcheck.toml`` or ``[tool.capcheck]`` in ``pyproject.toml``, merged with the CLI.

The file is found from the working directory upwards (the first ``capcheck.toml``, or
``pyproject.toml`` that has a ``[tool.capcheck]`` table), no further than the repository root.
Keys mirror the CLI options; a CLI option wins over the file. Unknown keys and bad values are
errors with the file and key. Relative paths in the file are relative to the file's directory.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from capcheck.assessment.scorecard import ScorecardConfig
from capcheck.core.errors import ConfigError, Problem
from capcheck.core.ids import NAMESPACE, RULE_ID
from capcheck.core.kinds import KindFields
from capcheck.core.models import Severity, display_path
from capcheck.core.side_inputs import (
    CONFIG_MAX_BYTES,
    SIDE_INPUT_MAX_DEPTH,
    Named,
    decode_strict,
    elide,
    escape_token,
    iso_dates,
    parse_toml,
    read_bounded,
    read_document,
    shorten,
)

if TYPE_CHECKING:
    from capcheck.core.mapping import FileMapping

__all__ = [
    "CONFIG_NAMES",
    "REPOSITORY_MARKERS",
    "Config",
    "ConfigSearch",
    "DisplayConfig",
    "find_config",
    "load_config",
    "search_config",
]

CONFIG_NAMES = ("capcheck.toml", "pyproject.toml")
#: A directory holding one of these is a repository root: the search for a config file stops there.
#: (``.git`` is a file in a worktree or submodule, a directory otherwise.)
REPOSITORY_MARKERS = (".git", ".hg")

FailOn = Literal["info", "low", "medium", "high", "critical", "never"]


class DisplayConfig(BaseModel):
    """``[display]``: what the text report lists by default; ``--show``, ``--limit``, ``--compact``, ``--quiet``
    and ``--min-severity`` win over it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    show: list[str] | None = Field(
        default=None,
        description="What the text report lists: fail, error, skip, waived, baselined, pass, criteria (as --show).",
    )
    limit: int | None = Field(
        default=None, ge=0, description="The most failing rules the text report details; 0 for all (as --limit)."
    )
    layout: Literal["grouped", "compact", "quiet"] | None = Field(
        default=None,
        description="The text report's layout: grouped by rule (the default), compact (one line per finding, as "
        "--compact) or quiet (the summary only, as --quiet).",
    )
    min_severity: Literal["info", "low", "medium", "high", "critical"] | None = Field(
        default=None, description="The lowest severity the text report lists; errors always (as --min-severity)."
    )

    @field_validator("show")
    @classmethod
    def _show_choices(cls, value: list[str] | None) -> list[str] | None:
        # The text report says what it can list, in any case and comma-separated as on the command line.
        from capcheck.builtins.reporters.text import parse_show

        return None if value is None else sorted(parse_show(value))


class Config(BaseModel):
    """The settings a config file may hold (all optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    paths: list[str] = Field(default_factory=list, description="Evidence paths used when none are given.")
    rules: list[str] = Field(default_factory=list, description="Declarative rule files or directories.")
    plugins: list[str] = Field(default_factory=list, description="Local plugin modules to load.")
    strict_namespaces: bool = Field(
        default=False, description="Refuse a plugin's rule or kind ids without a namespace, instead of warning."
    )
    fail_on: FailOn | None = Field(default=None, description="The lowest failing severity that fails the run.")
    select: list[str] = Field(default_factory=list, description="Rule ids, id prefixes, areas or tags to run.")
    ignore: list[str] = Field(default_factory=list, description="Rule ids, id prefixes, areas or tags to skip.")
    format: str | None = Field(default=None, description="The output format.")
    include_passed: bool | None = None
    severity: dict[str, Severity] = Field(default_factory=dict, description="Per rule id, a severity override.")
    options: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Per rule id, option values.")
    csv_kinds: dict[str, str] = Field(default_factory=dict, description="CSV file name or glob -> kind id.")
    mapping: list[dict[str, Any]] = Field(
        default_factory=list, description="[[mapping]] tables: how a register's columns and values become records."
    )
    endoflife_products: dict[str, str] = Field(
        default_factory=dict, description="Local product name -> endoflife.date product id (end-of-life matching)."
    )
    max_file_mb: int = Field(default=1024, ge=1, le=65536, description="The largest evidence file read, MiB.")
    waivers: str | None = Field(default=None, description="The governed waivers file (YAML or TOML).")
    waiver_max_days: int = Field(default=366, ge=1, le=3660, description="The longest a waiver may run, in days.")
    waiver_warn_days: int = Field(default=30, ge=0, le=365, description="Flag waivers expiring within this many days.")
    baseline: str | None = Field(default=None, description="The baseline file used by 'check'.")
    scorecard: ScorecardConfig = Field(default_factory=ScorecardConfig, description="The maturity scorecard method.")
    kinds: dict[str, KindFields] = Field(
        default_factory=dict, description="Per kind id, the fields this organisation adds to it (kind extensions)."
    )
    display: DisplayConfig = Field(
        default_factory=DisplayConfig, description="What the text report lists by default (--show, --limit)."
    )

    #: The file this came from (None when no file was found).
    source: Path | None = Field(default=None, exclude=True)
    #: The file's text (to place a problem on its line) and, once asked, the line of each key.
    _text: str = PrivateAttr(default="")
    _lines: dict[str, int] | None = PrivateAttr(default=None)

    @field_validator("fail_on", mode="before")
    @classmethod
    def _fold_choice(cls, value: Any) -> Any:
        # Choices are case-insensitive everywhere, as on the command line ('HIGH' is 'high').
        return value.lower() if isinstance(value, str) else value

    @field_validator("severity", mode="before")
    @classmethod
    def _fold_severities(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v.lower() if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("severity", "options")
    @classmethod
    def _rule_ids(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, setting in value.items():
            if not re.match(RULE_ID, key):
                if isinstance(setting, dict) and re.fullmatch(NAMESPACE, key):  # TOML split acme.CULT-101 at its dot
                    raise ValueError(f'a namespaced rule id is quoted in TOML: "{key}.<ID>"')
                raise ValueError(f"{shorten(key)} is not a rule id (like COMM-001, or acme.CULT-101 for a plugin's)")
        return value

    @property
    def pointer_prefix(self) -> str:
        """Where the settings sit in their file: ``/tool/capcheck`` in ``pyproject.toml``, else the top."""
        return "/tool/capcheck" if self.source is not None and self.source.name == "pyproject.toml" else ""

    @property
    def shown(self) -> str | None:
        """The config file as messages name it (None when no file was found)."""
        return display_path(self.source) if self.source is not None else None

    def line_of(self, pointer: str) -> int | None:
        """The line of the file where the key at ``pointer`` (``/options/COMM-001/max_days``) is written, or the
        nearest enclosing key that is; None without a file."""
        if not self._text:
            return None
        if self._lines is None:
            from capcheck.core.toml_lines import key_lines

            self._lines = key_lines(self._text)  # scanned only when a problem needs a line
        from capcheck.core.toml_lines import line_of

        return line_of(self._lines, pointer)

    def locate(self, problems: Iterable[Problem]) -> list[Problem]:
        """The problems, each in this file and at a key given its line (``capcheck.toml:12: /options/...``)."""
        shown = self.shown
        return [
            replace(p, line=self.line_of(p.pointer))
            if shown is not None and p.path == shown and p.line is None and p.pointer is not None
            else p
            for p in problems
        ]

    def mappings(self) -> tuple[FileMapping, ...]:
        """The ``[[mapping]]`` tables compiled (already validated when the file was loaded)."""
        if not self.mapping:
            return ()
        from capcheck.core.mapping_config import compile_mappings

        shown = display_path(self.source) if self.source is not None else "<config>"
        base = self.source.parent if self.source is not None else None
        return compile_mappings(self.mapping, shown=shown, prefix=self.pointer_prefix, base=base)

    def resolve(self, value: str) -> Path:
        """A path from the file, relative to the file's directory."""
        path = Path(value)
        if self.source is not None and not path.is_absolute():
            return self.source.parent / path
        return path


def _table_model(loc: tuple[int | str, ...]) -> type[BaseModel]:
    """The model of the table at ``loc`` (``[display]``'s for ``("display",)``), for its allowed keys;
    the top level's when the table is not a model of its own."""
    model: type[BaseModel] = Config
    keyed: Any = None  # a table of tables (``[kinds.<id>]``): the next part is a key, then its model
    for part in loc:
        if keyed is not None:
            annotation, keyed = keyed, None
        else:
            field = model.model_fields.get(str(part))
            annotation = field.annotation if field is not None else None
        if get_origin(annotation) is dict:  # (a table of tables of tables: [scorecard.plausibility.<type>.<kind>])
            keyed = get_args(annotation)[1]
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return Config
        model = annotation
    return model


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``capcheck.toml`` (or ``pyproject.toml`` with ``[tool.capcheck]``) upwards, stopping
    at the repository root (the first directory holding ``.git`` or ``.hg``), as black and pre-commit do:
    a config above the checkout (in a home or shared directory) is not the project's, and could name
    plugins, which are code.

    A ``pyproject.toml`` that does not hold the word ``capcheck`` cannot configure it and is passed
    over unread beyond that; one that does is parsed, and if it is not UTF-8 TOML that is an error
    naming it (a broken ``[tool.capcheck]`` must not be skipped silently: the run would use other
    settings). ``--config FILE`` names a file and skips the search.

    :raises ConfigError: a ``capcheck.toml`` or ``pyproject.toml`` on the way cannot be read or parsed.
    """
    return search_config(start).found


@dataclass(frozen=True)
class ConfigSearch:
    """Where the config file came from: named with ``--config``, found upwards, or not found (and why)."""

    found: Path | None
    #: The directories looked in, nearest first (empty when ``--config`` named the file).
    looked_in: tuple[Path, ...] = ()
    #: The repository root where the search stopped, if it reached one.
    repository_root: Path | None = None
    named: bool = False

    @property
    def explanation(self) -> str:
        """How the file was chosen, or why there is none, in one sentence."""
        if self.named:
            return "named with --config"
        if self.found is not None:
            return f"found searching upwards from {display_path(self.looked_in[0])}"
        start = display_path(self.looked_in[0]) if self.looked_in else "."
        names = "no capcheck.toml, nor a pyproject.toml with [tool.capcheck]"
        if self.repository_root is not None:
            root = display_path(self.repository_root)
            return f"{names}, from {start} up to the repository root {root} (the search stops there)"
        return f"{names}, from {start} up to the file-system root (no repository root on the way)"


def search_config(start: Path | None = None) -> ConfigSearch:
    """Search upwards from ``start`` (the working directory) as :func:`find_config` does, recording where."""
    directory = (start or Path.cwd()).resolve()
    looked: list[Path] = []
    for candidate_dir in (directory, *directory.parents):
        looked.append(candidate_dir)
        found = _config_in(candidate_dir)
        if found is not None:
            return ConfigSearch(found, tuple(looked))
        if any(os.path.lexists(candidate_dir / marker) for marker in REPOSITORY_MARKERS):
            return ConfigSearch(None, tuple(looked), repository_root=candidate_dir)
    return ConfigSearch(None, tuple(looked))


def _config_in(directory: Path) -> Path | None:
    """The config file of one directory: ``capcheck.toml``, else a ``pyproject.toml`` with ``[tool.capcheck]``."""
    own = directory / "capcheck.toml"
    if os.path.lexists(own):
        return own
    pyproject = directory / "pyproject.toml"
    if not os.path.lexists(pyproject):
        return None
    named = Named(display_path(pyproject), ConfigError)
    data = read_bounded(pyproject, named, what="config file", limit=CONFIG_MAX_BYTES)
    if b"capcheck" not in data:
        return None
    doc = parse_toml(decode_strict(data, named), named, max_depth=SIDE_INPUT_MAX_DEPTH)
    tool = doc.get("tool")
    return pyproject if isinstance(tool, dict) and "capcheck" in tool else None


def load_config(path: Path | None) -> Config:
    """Read and validate a config file; ``None`` gives the defaults.

    Values are not coerced: ``include_passed = "no"`` is an error, as is ``max_file_mb = 2.5``.

    :raises ConfigError: unreadable file, bad TOML, unknown key or bad value (with its key path).
    """
    if path is None:
        return Config()
    document = read_document(
        path,
        shown=display_path(path),
        what="config file",
        error=ConfigError,
        limit=CONFIG_MAX_BYTES,
        formats=(".toml",),
    )
    named, doc = document.named, document.value
    prefix = ""
    if path.name == "pyproject.toml":
        tool = doc.get("tool", {})
        doc = tool.get("capcheck", {}) if isinstance(tool, dict) else {}
        prefix = "/tool/capcheck"
        if not isinstance(doc, dict):
            raise named.fail("[tool.capcheck] must be a table", pointer=prefix)
    try:
        # JSON mode, strict: a TOML string is never taken for a boolean or a number for an integer.
        config = Config.model_validate_json(json.dumps(iso_dates(doc)), strict=True)
    except ValidationError as exc:
        from capcheck.core.wording import did_you_mean

        problems = []
        for err in exc.errors():
            pointer = prefix + "".join(f"/{escape_token(p)}" for p in err["loc"])
            # A validator's message may embed a huge key or value; our own validators' need no pydantic prefix.
            message = elide(err["msg"].removeprefix("Value error, "))
            if err["type"] == "extra_forbidden":
                keys = sorted(k for k in _table_model(err["loc"][:-1]).model_fields if k != "source")
                hint = did_you_mean(str(err["loc"][-1]), keys)
                message = f"unknown key{hint} (allowed: {', '.join(keys)})"
                if err["loc"] == ("tool",) and not prefix:  # pyproject's table written in capcheck.toml
                    message += "; [tool.capcheck] belongs in pyproject.toml: here, write its keys at the top level"
            elif "input" in err and not isinstance(err["input"], dict | list):
                message = f"{message}, not {shorten(err['input'])}"
            problems.append(Problem(message, path=named.shown, pointer=pointer))
        placed = Config(source=path)
        placed._text = document.text
        raise ConfigError(placed.locate(problems)) from None
    if config.mapping:  # checked here, so that a mistake in one is a config error with its line
        from capcheck.core.mapping_config import compile_mappings

        compile_mappings(config.mapping, shown=named.shown, text=document.text, prefix=prefix)
    config = config.model_copy(update={"source": path})
    config._text = document.text
    return config
