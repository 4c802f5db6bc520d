"""The escaping modules, one per output language: each defect they fix, and each one's contract."""

from __future__ import annotations

import csv
import io

import pytest

from capcheck.core.escaping.controls import reveal, visible
from capcheck.core.escaping.csv import csv_cell, csv_line
from capcheck.core.escaping.html import esc
from capcheck.core.escaping.json import json_safe
from capcheck.core.escaping.markdown import comment_length, fit_comment, md_escape, md_table_cell, truncated_line
from capcheck.core.escaping.terminal import terminal
from capcheck.core.escaping.xml import xml_text

# --- controls: one visible form everywhere ---------------------------------------------------------


@pytest.mark.parametrize(
    ("ch", "shown"),
    [
        ("\x1b", "\u241b"),
        ("\x00", "\u2400"),
        ("\n", "\u240a"),
        ("\r", "\u240d"),
        ("\x07", "\u2407"),
        ("\x7f", "\u2421"),
        ("\x9b", "\\x9b"),
        ("\u202e", "\\u202e"),
        ("\udcff", "\\udcff"),
        ("\U000e0001", "\\U000e0001"),
    ],
)
def test_visible(ch: str, shown: str) -> None:
    assert visible(ch) == shown


def test_reveal_keeps_what_it_is_told_and_ordinary_text() -> None:
    assert reveal("a\tb\nc\x1bd", keep="\t\n") == "a\tb\nc\u241bd"
    assert reveal("a\tb", keep="") == "a\u2409b"
    assert reveal("Zoë 東京 \u00a0 ✓") == "Zoë 東京 \u00a0 ✓"


#: Invisible characters that disguise a value: a record id ``CON-\ufeff001`` looked like ``CON-001`` in the HTML,
#: Markdown, CSV, XML and JSON reports (the terminal showed it).
_DISGUISE = ["\u180e", "\u200b", "\u2060", "\u2064", "\u206a", "\u206f", "\ufeff", "\ufff9", "\U000e0001", "\U000e0041"]
#: Format characters that are text: joiners some scripts and emoji need, the soft hyphen, a variation selector.
_TEXT = ["\u200c", "\u200d", "\u00ad", "\ufe0f"]


@pytest.mark.parametrize("ch", _DISGUISE)
def test_invisible_characters_are_shown_in_every_format(ch: str) -> None:
    import json

    from capcheck.core.escaping.json import json_text

    value = f"CON-{ch}001"
    shown = f"CON-{visible(ch)}001"
    assert reveal(value) == shown
    assert esc(value) == shown
    assert xml_text(value) == shown
    assert csv_cell(value) == shown
    assert md_escape(value) == shown.replace("\\", "\\\\")
    assert terminal(value) == shown  # the terminal always showed them: now every format agrees
    encoded = json_text(json.dumps({"id": value}, ensure_ascii=False))
    assert encoded.isascii()  # nothing raw
    assert json.loads(encoded) == {"id": value}  # the same data: an astral one as its surrogate pair


@pytest.mark.parametrize("ch", _TEXT)
def test_format_characters_that_are_text_are_kept(ch: str) -> None:
    value = f"a{ch}b"
    assert reveal(value) == value and esc(value) == value and xml_text(value) == value


# --- terminal -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J\x1b[31mred", "\u241b[2J\u241b[31mred"),
        ("\x1b]0;pwned\x07title", "\u241b]0;pwned\u2407title"),  # OSC window title
        ("ok\rFAKE", "ok\u240dFAKE"),
        ("one\ntwo", "one\u240atwo"),
        ("\x9b31m", "\\x9b31m"),  # C1 CSI
        ("abc\u202edef", "abc\\u202edef"),  # bidi override
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("para\u2029graph", "para\\u2029graph"),
        ("bad\udcffname.csv", "bad\\udcffname.csv"),
        ("plain text, Zoë 東京", "plain text, Zoë 東京"),
        (None, ""),
        (42, "42"),
    ],
)
def test_terminal(raw: object, shown: str) -> None:
    assert terminal(raw) == shown


# --- CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("  =1+1", "'  =1+1"),  # after leading blanks
        ('"=1+1', "'\"=1+1"),  # after a quote
        ("'=1+1", "''=1+1"),
        ("\n=1+1", "'\n=1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals
        ("a=b", "a=b"),
        ("x\x1by", "x\u241by"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_csv_cell(value: object, expected: str) -> None:
    assert csv_cell(value) == expected


def test_csv_bare_carriage_return_is_quoted_and_starts_no_row() -> None:
    # The defect: csv.writer(lineterminator="\n") left "x\r=1+1" unquoted, and a spreadsheet read a new row "=1+1".
    line = csv_line(["a", "x\r=1+1", "b"])
    assert line == 'a,"x\r=1+1",b\n'
    assert list(csv.reader(io.StringIO(line, newline=""))) == [["a", "x\r=1+1", "b"]]


@pytest.mark.parametrize("value", ["a,b", 'say "hi"', "two\nlines", "cr\ronly"])
def test_csv_cells_that_must_be_quoted(value: str) -> None:
    assert list(csv.reader(io.StringIO(csv_line([value, "z"]), newline=""))) == [[value, "z"]]


# --- Markdown -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("`x`", "\\`x\\`"),
        ("<b>&", "&lt;b&gt;&amp;"),
        ("[a](b)", "\\[a\\](b)"),
        ("*_x_*", "\\*\\_x\\_\\*"),
        ("back\\slash", "back\\\\slash"),
        ("@team", "@\u200bteam"),
        ("@org/team", "@\u200borg/team"),
        ("x\n# Heading", "x \\# Heading"),
        ("x\r\n```\ncode", "x \\`\\`\\` code"),
        ("<details><img src=x>", "&lt;details&gt;&lt;img src=x&gt;"),
        ("\x1b[2J bell\x07", "\u241b\\[2J bell\u2407"),
        ("$\\color{red}x$", "\\$\\\\color{red}x\\$"),
        ("a\tb", "a b"),
        ("~~x~~ ![i](u) a&b@c", "\\~\\~x\\~\\~ \\!\\[i\\](u) a&amp;b@\u200bc"),
    ],
)
def test_md_escape(raw: str, escaped: str) -> None:
    assert md_escape(raw) == escaped


def test_md_escape_limit_counts_the_text_before_escaping() -> None:
    assert md_escape("abcdef", 4) == "abc\u2026"


def test_comment_length_counts_utf16_units() -> None:
    assert comment_length("ab") == 2
    assert comment_length("\U0001f600") == 2


def _listing(n: int, items: int = 1000) -> str:
    shown = ["- item " + "x" * 90 for _ in range(min(n, items))]
    more = [truncated_line(items - n)] if n < items else []
    return "\n".join(["## head", *shown, *more]) + "\n"


def test_fit_comment_lists_fewer_items_to_fit() -> None:
    text = fit_comment(_listing, 1000, 10_000)
    assert comment_length(text) <= 10_000
    listed = text.count("- item ")
    assert 90 <= listed < 1000
    assert f"truncated: {1000 - listed} more findings, see the full report" in text
    assert comment_length(_listing(listed + 1)) > 10_000  # the most that fit, not fewer


def test_fit_comment_without_a_limit_or_when_it_fits() -> None:
    assert fit_comment(_listing, 1000, 0) == _listing(1000)
    assert fit_comment(lambda n: _listing(n, 3), 3, 10_000) == _listing(3, 3)


def test_fit_comment_cuts_lines_and_closes_details_as_a_last_resort() -> None:
    def render(n: int) -> str:
        return "<details><summary>s</summary>\n\n" + "| row |\n" * 5000 + "\n</details>\n"

    text = fit_comment(render, 10, 2000)
    assert comment_length(text) <= 2000
    assert text.count("<details>") == text.count("</details>") == 1
    assert "truncated: the report is longer than 2000 characters" in text


def test_fit_comment_cuts_by_utf16_units() -> None:
    """Characters beyond the BMP count twice (GitHub counts UTF-16 units): the cut keeps fewer of them."""
    text = fit_comment(lambda n: "| \U0001f600 |\n" * 5000, 10, 2000)
    assert comment_length(text) <= 2000  # 2,055 if cut by code points
    assert text.endswith("see the full report (`--format json`, `html` or `csv`)._\n")


# --- HTML, XML, JSON ------------------------------------------------------------------------------


def test_esc() -> None:
    assert esc("</script><b a=\"x\" b='y'>") == "&lt;/script&gt;&lt;b a=&quot;x&quot; b=&#x27;y&#x27;&gt;"
    assert esc("a\x1bb\x9bc\td\ne") == "a\u241bb\\x9bc\td\ne"


def test_xml_text() -> None:
    assert xml_text("a\x00b\x07c\x1b[31m\ud800\ufffe\tz\n\r") == "a\u2400b\u2407c\u241b[31m\\ud800\\ufffe\tz\n\u240d"


def test_json_safe_reveals_only_lone_surrogates() -> None:
    doc = {"path\udcff": ["ev/sub\udcff/a.csv", 3, None, {"m": "ok\x1b"}]}
    assert json_safe(doc) == {"path\\udcff": ["ev/sub\\udcff/a.csv", 3, None, {"m": "ok\x1b"}]}


def test_md_table_cell_keeps_authored_markdown_on_one_row() -> None:
    assert md_table_cell("**Exit** plans | `code`\nnext") == "**Exit** plans \\| `code` next"


# --- terminal columns: aligned whatever the evidence holds --------------------------------------------


@pytest.mark.parametrize(
    ("text", "columns"),
    [("abc", 3), ("データ", 6), ("e\u0301", 1), ("a\u200bb", 2), ("🔥x", 3), ("", 0)],
)
def test_width_counts_terminal_columns(text: str, columns: int) -> None:
    from capcheck.core.escaping.terminal import width

    assert width(text) == columns


def test_pad_and_clip_fit_columns() -> None:
    from capcheck.core.escaping.terminal import clip, pad, width

    assert pad("データ", 8) == "データ  " and width(pad("データ", 8)) == 8
    assert pad("toolong", 3) == "toolong"  # never cut by padding
    assert clip("データベース", 5) == "デー\u2026" and width(clip("データベース", 5)) <= 5
    assert clip("short", 5) == "short"


# --- CI logs: nothing a runner would obey -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "data", "prop"),
    [
        ("50% done", "50%25 done", "50%25 done"),
        ("a\nb\rc", "a\u240ab\u240dc", "a\u240ab\u240dc"),  # shown on the line, never a new one
        ("k=v,x:y", "k=v,x:y", "k=v%2Cx%3Ay"),
        ("##[error]x ##vso[", "#%2523[error]x #%2523vso[", "#%2523[error]x #%2523vso["),
        ("%0A", "%250A", "%250A"),
    ],
)
def test_github_escaping(value: str, data: str, prop: str) -> None:
    from capcheck.core.escaping.ci import github_data, github_property

    assert github_data(value) == data and github_property(value) == prop


@pytest.mark.parametrize(
    ("value", "data", "prop"),
    [
        ("50% done", "50%AZP25 done", "50%AZP25 done"),
        ("a;b]c", "a;b]c", "a%3Bb%5Dc"),
        ("x ##vso[task.complete]", "x #%AZP2523vso[task.complete]", "x #%AZP2523vso[task.complete%5D"),
    ],
)
def test_azure_escaping(value: str, data: str, prop: str) -> None:
    from capcheck.core.escaping.ci import azure_data, azure_property

    assert azure_data(value) == data and azure_property(value) == prop
