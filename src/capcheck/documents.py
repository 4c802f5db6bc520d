"""Reading capcheck's own JSON documents (baselines, findings) with located, typed errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from capcheck.errors import CapcheckError, Problem

__all__ = ["read_json"]


def read_json(path: Path, *, what: str, error: type[CapcheckError]) -> Any:
    """The parsed JSON of ``path``; an unreadable or malformed file raises ``error`` naming it.

    :param what: what the file should be, for messages ("baseline file", "findings file").
    """
    shown = path.as_posix()
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(Problem(f"no such {what}", path=shown)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(Problem(f"cannot read: {exc}", path=shown)) from None
    except json.JSONDecodeError as exc:
        raise error(Problem(f"malformed JSON: {exc.msg}", path=shown, line=exc.lineno)) from None
