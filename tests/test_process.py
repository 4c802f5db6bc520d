"""The process boundary (core/process.py): what a process ending without teardown keeps to its end."""

from __future__ import annotations

import gc
import weakref

import pytest

from capcheck.core import process


class _Held:
    """An object a weak reference can watch."""


def test_nothing_is_kept_in_a_process_that_tears_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library caller (or the test runner) frees what a check made, as usual: keep_to_the_end keeps nothing."""
    monkeypatch.setattr(process, "_KEPT", None)
    held = _Held()
    watch = weakref.ref(held)
    process.keep_to_the_end(held)
    del held
    gc.collect()
    assert watch() is None


def test_a_process_ending_without_teardown_keeps_what_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console script ends with os._exit: the records it kept are never freed one by one."""
    monkeypatch.setattr(process, "_KEPT", None)
    process.ends_without_teardown()
    held = _Held()
    watch = weakref.ref(held)
    process.keep_to_the_end(held)
    process.ends_without_teardown()  # said again: what was kept stays kept
    del held
    gc.collect()
    assert watch() is not None
