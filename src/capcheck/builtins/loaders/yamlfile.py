"""The built-in YAML evidence loader: safe loading only, no aliases, bounded nesting.

The safety checks are :func:`capcheck.core.side_inputs.parse_yaml`'s, shared with every YAML side input:
the event stream is read first to reject aliases (the "billion laughs" bomb) and nesting deeper
than :data:`~capcheck.core.loading.MAX_DEPTH` before any object is built; then the document is composed
(for line numbers) and constructed with the *safe* constructor, so tags such as
``!!python/object`` are errors, never code, and a duplicate key is an error with its line.
"""

from __future__ import annotations

from collections.abc import Sequence

from capcheck.core.hookspecs import hookimpl
from capcheck.core.loading import (
    MAX_DEPTH,
    Document,
    LoadContext,
    Loader,
    SourceFile,
    decode_text,
    from_envelope,
    normalise_values,
)
from capcheck.core.side_inputs import parse_yaml

__all__ = ["load_yaml"]


def load_yaml(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Parse a YAML evidence document."""
    import yaml  # lazily: PyYAML costs start-up time, and only a YAML file needs it

    decode_text(source)  # strict UTF-8 with the bad byte's offset; the text itself is not kept
    # libyaml reads the bytes as they are: holding a decoded copy too would cost up to 4x their size.
    node, doc = parse_yaml(source.data, source, max_depth=MAX_DEPTH, holds="evidence")
    if node is None:
        raise source.fail("the file is empty: expected an object with 'kind' and 'records'", line=1)
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
