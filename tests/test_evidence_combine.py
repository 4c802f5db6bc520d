"""Loaders that combine their files (``Loader.combine``): called once with every file, files kept in walk order."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from capcheck.core.errors import EvidenceError
from capcheck.core.loading import Document, LoadContext, Loader, SourceFile

RECORD = {"name": "n", "product": "p", "environment": "production", "criticality": "low"}


def _loader(
    combine: object, seen: list[tuple[str, bool]] | None = None, name: str = "joined", ext: str = ".joined"
) -> Loader:
    """A loader of one asset per file (its id the file's text), whose ``combine`` is given."""

    def load_one(source: SourceFile, context: LoadContext) -> list[Document]:
        if seen is not None:
            seen.append((source.display, context.together))
        record = {"id": source.data.decode().strip(), **RECORD}
        return [Document(kind="it-assets", records=[record], locate=lambda i: None)]

    return Loader(name=name, extensions=(ext,), load=load_one, combine=combine)  # type: ignore[arg-type]


def _with(load: Any, loader: Loader) -> Any:
    """The test's evidence loader with ``loader`` added."""
    return type(load)(load.kinds, {**load.loaders, **dict.fromkeys(loader.extensions, loader)})


def _swap_ids(loaded: Sequence[tuple[SourceFile, Sequence[Document]]], context: LoadContext) -> list[list[Document]]:
    """Each file gets the next file's record (as a merge across files may move a record)."""
    docs = [list(documents) for _source, documents in loaded]
    records = [doc.records for [doc] in docs]
    for i, [doc] in enumerate(docs):
        doc.records = records[(i + 1) % len(records)]
    return docs


def test_combine_is_called_once_with_every_file_in_walk_order(load, workdir: Path) -> None:
    seen: list[tuple[str, bool]] = []
    calls: list[list[str]] = []

    def combine(loaded: Sequence[tuple[SourceFile, Sequence[Document]]], context: LoadContext) -> list[list[Document]]:
        calls.append([source.display for source, _docs in loaded])
        return _swap_ids(loaded, context)

    for name, text in (("b.joined", "B"), ("a.joined", "A"), ("c.json", "")):
        (workdir / name).write_text(text)
    (workdir / "c.json").write_text('{"kind": "it-assets", "records": []}')
    evidence = _with(load, _loader(combine, seen))("b.joined", "c.json", "a.joined")
    assert seen == [("a.joined", True), ("b.joined", True)]
    assert calls == [["a.joined", "b.joined"]]
    # The files keep the walk order (c.json was read after them, and indexed after them too).
    assert [(f.path, f.records) for f in evidence.files] == [("a.joined", 1), ("b.joined", 1), ("c.json", 0)]
    assert evidence.ref("it-assets", "B").file == "a.joined"  # what combine decided


def test_a_combine_that_raises_or_miscounts_is_named(load, workdir: Path) -> None:
    (workdir / "a.joined").write_text("A")

    def broken(loaded: object, context: LoadContext) -> list[list[Document]]:
        raise KeyError("oops")

    [problem] = _with(load, _loader(broken)).problems("a.joined")
    assert problem == "the 'joined' loader failed to combine its files: KeyError: 'oops'"
    [problem] = _with(load, _loader(lambda loaded, context: [])).problems("a.joined")
    assert problem == "the 'joined' loader failed to combine its files: ValueError: gave documents for 0 files, not 1"


def test_combines_problems_go_to_their_files_in_walk_order(load, workdir: Path) -> None:
    (workdir / "a.joined").write_text("A")
    (workdir / "b.json").write_text("{")
    (workdir / "c.joined").write_text("C")

    def refuse(loaded: Sequence[tuple[SourceFile, Sequence[Document]]], context: LoadContext) -> list[list[Document]]:
        raise EvidenceError([source.problem("refused", line=1) for source, _docs in reversed(loaded)])

    with pytest.raises(EvidenceError) as info:
        _with(load, _loader(refuse))("a.joined", "b.json", "c.joined")
    assert [(p.path, p.message) for p in info.value.problems] == [
        ("a.joined", "refused"),
        ("b.json", info.value.problems[1].message),
        ("c.joined", "refused"),
    ]
