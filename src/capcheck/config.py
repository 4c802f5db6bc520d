"""Configuration: ``capcheck.toml`` or ``[tool.capcheck]`` in ``pyproject.toml``, merged with the CLI.

The file is found from the working directory upwards (the first ``capcheck.toml``, or
``pyproject.toml`` that has a ``[tool.capcheck]`` table). Keys mirror the CLI options; a CLI
option wins over the file. Unknown keys and bad values are errors with the file and key.
Relative paths in the file are relative to the file's directory.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from capcheck.errors import ConfigError, Problem
from capcheck.models import Severity, display_path
from capcheck.scorecard import ScorecardConfig

__all__ = ["CONFIG_NAMES", "Config", "find_config", "load_config"]

CONFIG_NAMES = ("capcheck.toml", "pyproject.toml")

FailOn = Literal["info", "low", "medium", "high", "critical", "never"]


class Config(BaseModel):
    """The settings a config file may hold (all optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    paths: list[str] = Field(default_factory=list, description="Evidence paths used when none are given.")
    rules: list[str] = Field(default_factory=list, description="Declarative rule files or directories.")
    plugins: list[str] = Field(default_factory=list, description="Local plugin modules to load.")
    fail_on: FailOn | None = Field(default=None, description="The lowest failing severity that fails the run.")
    select: list[str] = Field(default_factory=list, description="Rule ids, id prefixes, areas or tags to run.")
    ignore: list[str] = Field(default_factory=list, description="Rule ids, id prefixes, areas or tags to skip.")
    format: str | None = Field(default=None, description="The output format.")
    include_passed: bool | None = None
    severity: dict[str, Severity] = Field(default_factory=dict, description="Per rule id, a severity override.")
    options: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Per rule id, option values.")
    csv_kinds: dict[str, str] = Field(default_factory=dict, description="CSV file name or glob -> kind id.")
    max_file_mb: int = Field(default=1024, ge=1, le=65536, description="The largest evidence file read, MiB.")
    waivers: str | None = Field(default=None, description="The governed waivers file (YAML or TOML).")
    waiver_max_days: int = Field(default=366, ge=1, le=3660, description="The longest a waiver may run, in days.")
    waiver_warn_days: int = Field(default=30, ge=0, le=365, description="Flag waivers expiring within this many days.")
    baseline: str | None = Field(default=None, description="The baseline file used by 'check'.")
    scorecard: ScorecardConfig = Field(default_factory=ScorecardConfig, description="The maturity scorecard method.")

    #: The file this came from (None when no file was found).
    source: Path | None = Field(default=None, exclude=True)

    @field_validator("severity", "options")
    @classmethod
    def _rule_ids(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not re.match(r"^[A-Z][A-Z0-9]{1,9}-[0-9]{3,4}$", key):
                raise ValueError(f"{key!r} is not a rule id (like COMM-001)")
        return value

    @property
    def pointer_prefix(self) -> str:
        """Where the settings sit in their file: ``/tool/capcheck`` in ``pyproject.toml``, else the top."""
        return "/tool/capcheck" if self.source is not None and self.source.name == "pyproject.toml" else ""

    def resolve(self, value: str) -> Path:
        """A path from the file, relative to the file's directory."""
        path = Path(value)
        if self.source is not None and not path.is_absolute():
            return self.source.parent / path
        return path


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``capcheck.toml`` (or ``pyproject.toml`` with ``[tool.capcheck]``) upwards."""
    directory = (start or Path.cwd()).resolve()
    for candidate_dir in (directory, *directory.parents):
        own = candidate_dir / "capcheck.toml"
        if own.is_file():
            return own
        pyproject = candidate_dir / "pyproject.toml"
        if pyproject.is_file():
            try:
                with pyproject.open("rb") as fh:
                    if "capcheck" in tomllib.load(fh).get("tool", {}):
                        return pyproject
            except (OSError, tomllib.TOMLDecodeError):
                continue
    return None


def load_config(path: Path | None) -> Config:
    """Read and validate a config file; ``None`` gives the defaults.

    :raises ConfigError: unreadable file, bad TOML, unknown key or bad value (with its key path).
    """
    if path is None:
        return Config()
    shown = display_path(path)
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(Problem("no such config file", path=shown)) from None
    except OSError as exc:
        raise ConfigError(Problem(f"cannot read: {exc.strerror}", path=shown)) from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r" \(at line (\d+), column \d+\)", str(exc))
        line = int(match.group(1)) if match else None
        cause = str(exc).replace(match.group(0), "") if match else str(exc)
        raise ConfigError(Problem(f"malformed TOML: {cause}", path=shown, line=line)) from None
    prefix = ""
    if path.name == "pyproject.toml":
        doc = doc.get("tool", {}).get("capcheck", {})
        prefix = "/tool/capcheck"
    try:
        return Config.model_validate({**doc, "source": path})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            pointer = prefix + "".join(f"/{p}" for p in err["loc"])
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                message = f"unknown key (allowed: {', '.join(sorted(k for k in Config.model_fields if k != 'source'))})"
            problems.append(Problem(message, path=shown, pointer=pointer))
        raise ConfigError(problems) from None
