"""The streaming .xlsx reader: it reads every cell as python-calamine does, in bounded memory, and refuses DTDs."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from python_calamine import CalamineWorkbook

from capcheck.builtins.loaders.xlsxreader import WorkbookError, XlsxStream, date_format

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

#: Styles: 0 general, 1 built-in date (14), 2 a custom dd/mm/yyyy, 3 a duration [h]:mm, 4 built-in h:mm (20),
#: 5 a number format with a quoted "d" (not a date), 6 built-in m/d/yy h:mm (22).
STYLES = f"""<styleSheet xmlns="{MAIN}">
<numFmts count="3"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="[h]:mm"/>
<numFmt numFmtId="166" formatCode="0.00&quot; days&quot;"/></numFmts>
<cellXfs count="7"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="20"/>
<xf numFmtId="166"/><xf numFmtId="22"/></cellXfs></styleSheet>"""

SHARED = f"""<sst xmlns="{MAIN}" count="6" uniqueCount="6">
<si><t>id</t></si>
<si><t xml:space="preserve">  padded  </t></si>
<si><r><rPr><b/></rPr><t>rich </t></r><r><t>text</t></r><rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si>
<si><t>line_x000D_break &amp; &lt;tag&gt; caf\u00e9</t></si>
<si><t>  trimmed  </t></si>
<si><t/></si>
</sst>"""


def package(
    sheet: str, *, shared: str | None = SHARED, styles: str | None = STYLES, book_pr: str = "", name: str = "Register"
) -> bytes:
    """A minimal .xlsx package around one sheet's XML (and the given shared strings and styles)."""
    rels = [f'<Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/>']
    if shared is not None:
        rels.append(f'<Relationship Id="rId2" Type="{DOC}/sharedStrings" Target="sharedStrings.xml"/>')
    if styles is not None:
        rels.append(f'<Relationship Id="rId3" Type="{DOC}/styles" Target="styles.xml"/>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC}">{book_pr}'
            f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{RELS}">{"".join(rels)}</Relationships>')
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            archive.writestr("xl/sharedStrings.xml", shared)
        if styles is not None:
            archive.writestr("xl/styles.xml", styles)
    return buffer.getvalue()


def sheet_xml(rows: str, *, root: str = f'<worksheet xmlns="{MAIN}">', end: str = "</worksheet>") -> str:
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{root}<sheetData>{rows}</sheetData>{end}'


def streamed(data: bytes) -> list[list[Any]]:
    book = XlsxStream(data)
    [sheet] = book.sheets
    return list(book.rows(sheet))


def calamine(data: bytes) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python(skip_empty_area=False)


def same_as_calamine(data: bytes) -> list[list[Any]]:
    """The streamed rows, checked against python-calamine's (rows padded to its width: it pads, the stream
    does not), with the types too (``1.0 == True`` would hide a difference)."""
    ours, theirs = streamed(data), calamine(data)
    width = max((len(r) for r in theirs), default=0)
    padded = [r + [""] * (width - len(r)) for r in ours]
    while padded and len(padded) > len(theirs) and not any(padded[-1]):
        padded.pop()  # a trailing row with no value: calamine's range ends at its last value
    assert [[(type(c), c) for c in r] for r in padded] == [[(type(c), c) for c in r] for r in theirs]
    return ours


def test_every_cell_type_reads_as_calamine_reads_it() -> None:
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
        '<c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c></row>'
        '<row r="2"><c r="A2"><v>42</v></c><c r="B2"><v>-1.5E3</v></c><c r="C2" t="b"><v>1</v></c>'
        '<c r="D2" t="b"><v>0</v></c><c r="E2" t="e"><v>#DIV/0!</v></c><c r="F2" t="str"><f>A2&amp;"x"</f>'
        '<v>42x</v></c><c r="G2" t="inlineStr"><is><r><t xml:space="preserve">in </t></r><r><t>line</t></r></is></c>'
        '<c r="H2" s="5"><v>3.25</v></c><c r="I2"/></row>'
        '<row r="3"><c r="A3" s="1"><v>46418</v></c><c r="B3" s="2"><v>46418.5</v></c><c r="C3" s="3"><v>1.75</v></c>'
        '<c r="D3" s="4"><v>0.375</v></c><c r="E3" s="6"><v>46418.25</v></c><c r="F3" s="1"><v>30</v></c>'
        '<c r="G3" s="1"><v>61</v></c></row>'
    )
    got = same_as_calamine(package(sheet_xml(rows)))
    # text runs are trimmed unless xml:space="preserve" (calamine's rule); the phonetic run is not text
    assert got[0] == ["id", "  padded  ", "richtext", "line\rbreak & <tag> caf\u00e9", "trimmed"]
    assert got[1][:8] == [42.0, -1500.0, True, False, "", "42x", "in line", 3.25]
    assert got[2] == [
        date(2027, 1, 31),
        datetime(2027, 1, 31, 12),
        timedelta(days=1, hours=18),
        time(9),
        datetime(2027, 1, 31, 6),
        date(1900, 1, 30),
        date(1900, 3, 1),
    ]


def test_gaps_rows_and_cells_without_references_and_a_prefixed_namespace() -> None:
    rows = (
        '<x:row r="2"><x:c r="C2" t="s"><x:v>0</x:v></x:c><x:c t="b"><x:v>1</x:v></x:c></x:row>'
        "<x:row><x:c><x:v>7</x:v></x:c></x:row>"
        '<x:row r="6" spans="1:3"><x:c r="B6" s="1"/></x:row>'
        '<x:row r="7"><x:c r="AB7"><x:v>1</x:v></x:c></x:row>'
    )
    data = package(sheet_xml(rows, root=f'<x:worksheet xmlns:x="{MAIN}">', end="</x:worksheet>"))
    got = same_as_calamine(data)
    assert got[:3] == [[], ["", "", "id", True], [7.0]]
    assert len(got[6]) == 28 and got[6][27] == 1.0


def test_the_1904_date_system() -> None:
    rows = '<row r="1"><c r="A1" s="1"><v>44956</v></c><c r="B1" s="1"><v>0</v></c></row>'
    got = same_as_calamine(package(sheet_xml(rows), book_pr='<workbookPr date1904="1"/>'))
    assert got == [[date(2027, 1, 31), time(0)]]


@pytest.mark.parametrize(
    ("code", "form"),
    [
        ("General", 0),
        ("0.00", 0),
        ("dd/mm/yyyy", 1),
        ("h:mm AM/PM", 1),
        ("[h]:mm:ss", 2),
        ("[Red]0.00", 0),
        ('0.0" m"', 0),
        ("\\d0", 0),
        ("0;[Red]yyyy", 0),  # the first section only
        ("[$-409]mmm yy", 1),
    ],
)
def test_date_formats_are_recognised_as_calamine_recognises_them(code: str, form: int) -> None:
    assert date_format(code) == form


def test_rows_stream_without_holding_the_sheet() -> None:
    """Rows come out while the sheet is still being parsed: the first is had before the last is read."""
    many = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 20_001))
    book = XlsxStream(package(sheet_xml(many)))
    rows = book.rows(book.sheets[0])
    assert next(rows) == [1.0]
    frame = rows.gi_frame  # type: ignore[attr-defined]  # a generator: its state while suspended
    assert frame is not None and len(frame.f_locals["done"]) < 20_000
    assert sum(1 for _ in rows) == 19_999


def test_a_cell_far_out_costs_its_row_not_a_grid() -> None:
    """A1 and XFD1048576 make python-calamine allocate a 512 GB grid (the process aborts); streamed, the far
    cell is one row of 16,384 cells."""
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    book = XlsxStream(package(sheet_xml(rows)))
    stream = book.rows(book.sheets[0])
    assert next(stream) == ["id"]
    done = stream.gi_frame.f_locals["done"]  # type: ignore[attr-defined]  # the rows parsed, not yet handed over
    assert len(done) == 3 and done[1] == 1_048_574  # the gap is a count, not a million lists
    widths = [len(r) for r in stream]
    assert len(widths) == 1_048_575 and widths[-1] == 16_384 and not any(widths[:-1])


@pytest.mark.parametrize(
    ("part", "xml", "expected"),
    [
        (
            "sheet",
            '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>'
            f'<worksheet xmlns="{MAIN}"><sheetData><row><c t="str"><v>&b;</v></c></row></sheetData></worksheet>',
            "xl/worksheets/sheet1.xml: declares a DOCTYPE (refused: it could declare entities)",
        ),
        (
            "shared",
            f'<!DOCTYPE sst SYSTEM "file:///etc/passwd"><sst xmlns="{MAIN}"><si><t>x</t></si></sst>',
            "xl/sharedStrings.xml: declares a DOCTYPE",
        ),
        ("sheet", sheet_xml('<row r="1"><c r="A1"><v>1</v></c>'), "xl/worksheets/sheet1.xml: not well-formed XML"),
        (
            "sheet",
            f'<?xml version="1.0" encoding="BOGUS"?><worksheet xmlns="{MAIN}"/>',
            "xl/worksheets/sheet1.xml: not well-formed XML (its declared encoding cannot be read: unknown encoding",
        ),
        (
            "shared",
            f'<?xml version="1.0" encoding="rot13"?><sst xmlns="{MAIN}"><si><t>x</t></si></sst>',
            "xl/sharedStrings.xml: not well-formed XML (its declared encoding cannot be read: 'rot13' is not a text",
        ),
        ("sheet", sheet_xml('<row r="1"><c r="A1" t="s"><v>99</v></c></row>'), "shared string '99' is not in"),
        ("sheet", sheet_xml('<row r="1"><c r="A1"><v>one</v></c></row>'), "'one' is not a number"),
        ("sheet", sheet_xml('<row r="1"><c r="1A"><v>1</v></c></row>'), "'1A' is not a cell reference"),
        ("sheet", sheet_xml('<row r="2"/><row r="1"/>'), "row 1 comes after row 2"),
        ("sheet", sheet_xml('<row r="99999999999"/>'), "row 99999999999 is beyond the last (1048576)"),
        ("sheet", f'<sheet xmlns="{MAIN}"/>', "the root element is 'sheet', not a SpreadsheetML worksheet"),
    ],
)
def test_hostile_or_damaged_parts_are_refused_with_a_reason(part: str, xml: str, expected: str) -> None:
    if part == "sheet":
        data = package(xml)
    else:
        data = package(sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), shared=xml)
    with pytest.raises(WorkbookError) as caught:
        streamed(data)
    assert expected in str(caught.value)


def test_a_doctype_in_a_sheet_is_a_located_problem_not_an_expansion(load, workdir: Path) -> None:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f'<worksheet xmlns="{MAIN}"><sheetData><row><c t="str"><v>&b;</v></c></row></sheetData></worksheet>'
    )
    path = workdir / "register.xlsx"
    path.write_bytes(package(xml, name="Governance register"))
    assert load.problems(path) == [
        "register.xlsx!Governance register: cannot read the sheet: xl/worksheets/sheet1.xml: declares a DOCTYPE"
        " (refused: it could declare entities)"
    ]


def _listing(data: bytes, *names: str) -> bytes:
    """The package with its workbook listing a sheet of each name, every one the package's one sheet part."""
    sheets = "".join(f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId1"/>' for i, n in enumerate(names))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as given, zipfile.ZipFile(out, "w") as archive:
        for info in given.infolist():
            body = given.read(info)
            if info.filename == "xl/workbook.xml":
                body = f'<workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets>{sheets}</sheets></workbook>'.encode()
            archive.writestr(info, body)
    return out.getvalue()


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("it-assets", "it-assets"), "two sheets are named 'it-assets': each sheet has a name of its own"),
        (("Assets", "ASSETS"), "sheets 'Assets' and 'ASSETS' have one name (Excel ignores case): each has its own"),
        (("a", "b"), "sheets 'a' and 'b' are one part (xl/worksheets/sheet1.xml): each has its own"),
    ],
)
def test_a_workbook_listing_a_sheet_twice_is_refused(names: tuple[str, str], expected: str) -> None:
    """A 46 KB workbook listing one 0.5 MB sheet 2,000 times as 'it-assets' was read 2,000 times (the
    expanded-size cap counts a part once): 56 CPU s and 2.2 GB, to report 12,000 duplicate ids."""
    data = _listing(package(sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')), *names)
    with pytest.raises(WorkbookError) as caught:
        XlsxStream(data)
    assert str(caught.value) == expected


def test_a_shared_strings_table_that_fails_fails_every_sheet_that_reads_it() -> None:
    """Not half a table for the second sheet: the table is kept only once it was read whole."""
    shared = f'<sst xmlns="{MAIN}"><si><t>id</t></si><si><t>cut'
    book = XlsxStream(package(sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), shared=shared))
    for _ in range(2):
        with pytest.raises(WorkbookError, match=r"xl/sharedStrings\.xml: not well-formed XML"):
            list(book.rows(book.sheets[0]))


_TEXT = st.one_of(
    st.lists(
        st.sampled_from([" ", "\t", "\n", "a", "&", "<", "\u00e9", "_x000D_", "\u00a0", "1", "."]), max_size=6
    ).map("".join),
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff", max_codepoint=0x2FFF),
        max_size=12,
    ),
).filter(lambda t: not ILLEGAL_CHARACTERS_RE.search(t))
_CELLS = st.one_of(
    st.none(),
    _TEXT,
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31)).map(
        lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
    ),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_CELLS, max_size=6), min_size=1, max_size=6))
def test_any_workbook_openpyxl_writes_reads_as_calamine_reads_it(rows: list[list[Any]]) -> None:
    """Generated sheets (text with spaces and symbols, numbers, booleans, dates, date-times, gaps), saved by
    openpyxl (inline strings), read cell for cell as python-calamine reads them."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(number, column, value)
    buffer = io.BytesIO()
    book.save(buffer)
    same_as_calamine(buffer.getvalue())


#: A cell as Excel writes one: a shared or inline string (its text kept with xml:space="preserve" or not), a
#: boolean, or a number in one of STYLES' formats (general, dates, a duration, a time, a quoted "d").
_XML_CELLS = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(["s", "inlineStr"]), _TEXT, st.booleans()),
    st.tuples(st.just("b"), st.booleans(), st.just(False)),
    st.tuples(st.just("str"), _TEXT, st.just(False)),  # a formula's cached text
    st.tuples(st.just("e"), st.sampled_from(["#N/A", "#DIV/0!", "#REF!", "#VALUE!"]), st.just(False)),
    st.tuples(
        st.just("d"),
        st.sampled_from(["2027-01-31", "2027-01-31T09:30:00", "09:30:00", "2027-02-30", "not a date"]),
        st.just(False),
    ),
    st.tuples(
        st.just("n"),
        st.one_of(
            st.integers(-100, 3_000_000),
            st.floats(-1e6, 3e6, allow_nan=False),
            st.floats(0, 1, allow_nan=False),
        ),
        st.integers(0, 6),
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_XML_CELLS, max_size=6), min_size=1, max_size=6), st.booleans())
@example([[("n", 1628906.3293617186, 1)]], False)  # a half millisecond: rounded away from zero, as Rust does
@example([[("n", -693595.0, 1)]], False)  # before year 1: still a time of day
def test_any_sheet_xml_reads_as_calamine_reads_it(rows: list[list[Any]], is_1904: bool) -> None:
    """Generated sheet XML: shared and inline strings with and without xml:space="preserve", booleans, formula
    text, error cells, ISO date cells, numbers in date, time, duration and plain formats (out-of-range serials
    too), either date system."""
    from xml.sax.saxutils import escape

    shared: list[str] = []
    xml = []
    for number, row in enumerate(rows, start=1):
        cells = []
        for column, cell in enumerate(row):
            if cell is None:
                continue
            ref = f"{chr(65 + column)}{number}"
            kind, value, extra = cell
            if kind in ("s", "inlineStr"):
                space = ' xml:space="preserve"' if extra else ""
                text = f"<t{space}>{escape(value)}</t>"
                if kind == "s":
                    shared.append(f"<si>{text}</si>")
                    cells.append(f'<c r="{ref}" t="s"><v>{len(shared) - 1}</v></c>')
                else:
                    cells.append(f'<c r="{ref}" t="inlineStr"><is>{text}</is></c>')
            elif kind == "b":
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif kind in ("str", "e", "d"):
                cells.append(f'<c r="{ref}" t="{kind}"><f>A1</f><v>{escape(value)}</v></c>')
            else:
                cells.append(f'<c r="{ref}" s="{extra}"><v>{value!r}</v></c>')
        xml.append(f'<row r="{number}">{"".join(cells)}</row>')
    table = f'<sst xmlns="{MAIN}">{"".join(shared)}</sst>'
    book_pr = '<workbookPr date1904="1"/>' if is_1904 else ""
    same_as_calamine(package(sheet_xml("".join(xml)), shared=table, book_pr=book_pr))
