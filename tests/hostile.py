"""Hypothesis strategies for hostile input files: valid documents mutated with bytes that break parsers."""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["FRAGMENTS", "mutated"]

#: Hostile fragments a mutation may insert: bytes that are not UTF-8, NUL, brackets, aliases, huge numbers,
#: impossible dates, duplicate-making keys, quotes and separators.
FRAGMENTS = [
    b"\x00",
    b"\xff\xfe",
    b"\xe9",
    b"[",
    b"{",
    b"]]",
    b"*a",
    b"&a ",
    b'"',
    b"'",
    b"9" * 4400,
    b"1e999",
    b"NaN",
    b"2027-02-30",
    b":",
    b" = ",
    b"\n",
    b"\n---\n",
    b"[[waivers]]\n",
    b"[[rule]]\n",
    b'"findings": 1,',
    b"!!python/object:os.system ",
]


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with one to four random edits: insert (random or hostile bytes), delete, replace, truncate."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "hostile", "delete", "replace", "truncate", "repeat"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "hostile":
            data[at:at] = draw(st.sampled_from(FRAGMENTS))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif op == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[at:]
        elif op == "repeat":  # a line twice: duplicate keys, duplicate tables
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            line = bytes(data[start : end + 1 if end >= 0 else len(data)])
            data[start:start] = line
    return bytes(data)
