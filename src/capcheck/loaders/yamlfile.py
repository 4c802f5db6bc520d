"""The built-in YAML evidence loader: safe loading only, no aliases, bounded nesting.

YAML is checked in two passes. The event stream (libyaml's iterative parser when available)
is read first to reject aliases (the "billion laughs" bomb) and nesting deeper than
:data:`~capcheck.loaders.MAX_DEPTH` before any object is built; then the document is composed
(for line numbers) and constructed with the *safe* constructor, so tags such as
``!!python/object`` are errors, never code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from capcheck.hookspecs import hookimpl
from capcheck.loaders import (
    MAX_DEPTH,
    Document,
    LoadContext,
    Loader,
    SourceFile,
    decode_text,
    from_envelope,
    normalise_values,
)

__all__ = ["load_yaml"]

_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _line(event: yaml.Event) -> int | None:
    """The 1-based line an event starts on (the parser always sets it; the stubs allow None)."""
    mark = event.start_mark
    return None if mark is None else mark.line + 1


def _check_events(source: SourceFile, text: str) -> None:
    depth = 0
    documents = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise source.fail(
                "YAML aliases (*name) are not allowed in evidence: write the values out",
                line=_line(event),
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise source.fail(f"nested more than {MAX_DEPTH} levels deep", line=_line(event))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise source.fail(
                    "more than one YAML document ('---'): put one evidence document in each file",
                    line=_line(event),
                )


def load_yaml(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Parse a YAML evidence document."""
    text = decode_text(source)
    try:
        _check_events(source, text)
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise source.fail("the file is empty: expected an object with 'kind' and 'records'", line=1)
            doc = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        cause = " ".join(p for p in (exc.context, exc.problem) if p)
        raise source.fail(f"malformed YAML: {cause}", line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise source.fail(f"malformed YAML: {exc}") from None
    doc = normalise_values(source, doc)

    record_lines: list[int] = []
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 1
            if key_node.value == "records" and isinstance(value_node, yaml.SequenceNode):
                record_lines = [item.start_mark.line + 1 for item in value_node.value]

    def locate(index: int) -> int | None:
        return record_lines[index] if index < len(record_lines) else None

    return [from_envelope(source, doc, locate, key_line=key_lines.get)]


@hookimpl
def capcheck_loaders() -> Sequence[Loader]:
    """The YAML loader."""
    return [Loader(name="yaml", extensions=(".yaml", ".yml"), load=load_yaml, description="YAML evidence document")]
