"""merge: the fast .xlsx reader gives exactly python-calamine's rows, on every kind of returned file."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from _merge_helpers import copy_values, fill, issue_forms
from zwgk_xl.merge import xlsxfast
from zwgk_xl.forms.spec import COLUMNS
from zwgk_xl.merge.intake import Limits, Rejected, open_book

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")

# A hand-written sheet and string table: every cell type and string form the fast reader must get right.
CRAFTED_SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:L9"/><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>\
<c r="D1" t="e"><v>#N/A</v></c><c r="E1" t="str"><f>A1</f><v>x&amp;y</v></c><c r="F1" t="b"><v>0</v></c>\
<c r="G1"><v> 12 </v></c><c r="H1"><v>abc</v></c><c r="I1" s="1" t="b"><v>1</v></c></row>
<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="inlineStr"><is><r><t>ri</t></r><r><rPr><b/></rPr><t>ch</t></r>\
<rPh sb="0" eb="1"><t>PH</t></rPh></is></c><c r="C2" t="str"><f>"a"</f></c><c r="D2"><f>1/0</f><v>#DIV/0!</v></c>\
<c r="E2" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="F2" t="s"><v>4</v></c><c r="G2"><f>SUM(A1:A2)</f></c>\
<c r="H2" t="n"><f>1+1</f><v></v></c><c r="I2" t="inlineStr"><is><t xml:space="preserve"> a &lt;b&gt; </t></is></c></row>
<row r="3" spans="1:3"><c r="A3" s="2"><v>44377</v></c><c r="B3" s="3" t="n"><v>44377.52083333334</v></c>\
<c r="C3" s="4"><v>0.4375</v></c><c r="D3" s="5"><v>1.5</v></c><c r="E3" s="6"><v>0.25</v></c>\
<c r="F3" s="7"><v>44378</v></c><c r="G3"><v>1.0E3</v></c><c r="H3"><v>-1.5e-3</v></c><c r="I3" s="9"><v>7</v></c></row>
<row r="5"><c r="A5" s="1"/><c r="B5" s="1"></c><c r="C5" t="s"><v></v></c></row>
<row r="7"><c r="L7" t="s"><v>5</v></c></row>
<row r="9"><c r="B9" s="8"><v>44197.999999</v></c><c r="C9" cm="1" t="s"><v>6</v></c></row>
</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>"""
CRAFTED_STRINGS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="7" uniqueCount="7">\
<si><t>任务编号</t></si><si><t></t></si><si><t/></si><si><r><t xml:space="preserve">a </t></r><r><t>b</t></r></si>\
<si><t>x_x000A_y &#x4e2d;&#20013; &quot;q&apos; a_x005F_x000D_b</t></si><si/><si><t>行1\r\n行2</t></si></sst>"""
CRAFTED_FORMATS = [None, "0.0", "yyyy-mm-dd", "yyyy/m/d h:mm", "h:mm:ss", "[h]:mm:ss", "0.00%",
                   'yyyy"年"m"月"d"日"', "m/d/yy h:mm", '"第"0"项"']


def crafted(path: Path, sheet: str = CRAFTED_SHEET) -> Path:
    """An .xlsx whose styles carry CRAFTED_FORMATS (s="1".. in order), with ``sheet`` and CRAFTED_STRINGS."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "甲"
    for i, fmt in enumerate(CRAFTED_FORMATS[1:], start=1):
        ws.cell(i, 1, i).number_format = fmt
    wb.create_sheet("乙")["A1"] = "第二张表"
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    replace = {"xl/worksheets/sheet1.xml": sheet.encode(), "xl/sharedStrings.xml": CRAFTED_STRINGS.encode()}
    with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, replace.pop(item.filename, None) or zin.read(item.filename))
        for name, data in replace.items():
            zout.writestr(name, data)
    tmp.unlink()
    return path


def central_entry(data: bytes, name: str) -> int:
    """Offset of ``name``'s record in the zip central directory."""
    pos = data.find(b"PK\x01\x02")
    while data[pos + 46:pos + 46 + len(name.encode())] != name.encode():
        pos = data.find(b"PK\x01\x02", pos + 4)
    return pos


def both(path: Path):
    """(fast book, calamine book) of one file."""
    data = path.read_bytes()
    return open_book(data, Limits()), open_book(data, Limits(), fast=False)


def assert_same(path: Path, reader: str = "fast") -> None:
    """Both readers give the same rows, the fast one read cell by cell and with whole-row matching."""
    for dense in (0, len(COLUMNS), 3):
        fast, slow = both(path)
        assert fast.sheet_names == slow.sheet_names
        for name in fast.sheet_names:
            a, b = fast.sheet(name, dense), slow.sheet(name)
            assert a.rows == b.rows, (path.name, name, dense)
            assert [[type(v) for v in r] for r in a.rows] == [[type(v) for v in r] for r in b.rows]
            assert a.formula_cells == b.formula_cells, (path.name, name)
        assert fast.reader == reader, path.name
        assert slow.reader == "calamine"


@pytest.fixture(scope="module")
def returned(tmp_path_factory):
    """Forms as issued, filled in openpyxl, pasted into a new workbook, and (with LibreOffice) re-saved."""
    box = tmp_path_factory.mktemp("reader")
    _, forms = issue_forms(box)

    def edit(wb, ws, first):
        ws.cell(first, 7).value = "=A6&B6"  # a formula never calculated
        ws.cell(first, 9).value = 12.5
        ws.cell(first, 10).value = True
        ws.cell(first + 1, 9).value = dt.time(10, 30)
        ws.cell(first + 1, 10).value = dt.timedelta(hours=30)

    filled = fill(forms["县教育局"], box / "filled.xlsx",
                  rows={"一.(1)": {"status": "已完成", "progress": 'a&b <c> "q"\n第二行', "done_date": dt.datetime(2021, 3, 20)},
                        "一.(2)": {"status": "推进中", "progress": '=HYPERLINK("x")',
                                   "done_date": dt.datetime(2021, 3, 20, 10, 5)}},
                  fields={"filler": "张三", "phone": 13800000000, "fill_date": dt.date(2021, 7, 1)}, edit=edit)
    files = {"issued": forms["县财政局"], "filled": filled,
             "copied": copy_values(forms["县卫生健康局"], box / "copied.xlsx"),
             "crafted": crafted(box / "crafted.xlsx")}
    return box, files


@pytest.mark.parametrize("kind", ["issued", "filled", "copied", "crafted"])
def test_fast_reader_equals_calamine(returned, kind):
    _, files = returned
    assert_same(files[kind])


def test_crafted_values(returned):
    """Spot checks of what both readers return for the hand-written cells."""
    _, files = returned
    fast, _ = both(files["crafted"])
    rows = fast.sheet("甲").rows
    assert rows[0][:9] == ["任务编号", "", "", "", "x&y", False, " 12 ", "abc", True]
    assert rows[1][:9] == ["a b", "rich", "", "#DIV/0!", "", 'x\ny 中中 "q\' a_x000D_b', "", "", " a <b> "]
    assert rows[2][:9] == [dt.date(2021, 6, 30), dt.datetime(2021, 6, 30, 12, 30), dt.time(10, 30),
                           dt.timedelta(days=1, hours=12), 0.25, dt.date(2021, 7, 1), 1000.0, -0.0015, 7.0]
    assert rows[4] == [""] * 12 and rows[6][11] == "" and rows[8][2] == "行1\n行2"
    assert fast.sheet("甲").formula_cells == {"C2", "G2", "H2"}
    assert len(rows) == 9 and len(rows[0]) == 12


@needs_soffice
@pytest.mark.parametrize("kind", ["filled", "crafted"])
def test_libreoffice_resaved_xlsx(returned, kind):
    from zwgk_xl.core.office import convert_with_soffice

    box, files = returned
    out = convert_with_soffice(files[kind], "xlsx", box / f"lo_{kind}")
    assert_same(out)


WHOLE_ROWS_SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>\
<row r="1" spans="1:3"><c r="A1" s="1" t="s"><v>0</v></c><c r="B1" s="2" t="s"><v>1</v></c>\
<c r="C1" s="1" t="s"><v>3</v></c></row>\
<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2" t="s"><v>0</v></c><c r="C2" t="s"><v>6</v></c></row>\
<row r="3"><c r="A3" s="1" t="s"><v>0</v></c><c r="B3" s="1" t="s"><v>5</v></c><c r="C3" s="1" t="s"><v>2</v></c>\
<c r="D3" s="1"><v>5</v></c></row>\
<row r="4" spans="1:3" ht="20" customHeight="1"><c r="A4" s="1" t="s"><v>6</v></c><c r="B4" s="1" t="s"><v>4</v></c>\
<c r="C4" s="1" t="s"><v>0</v></c></row>\
<row r="6"><c r="A7" s="1" t="s"><v>0</v></c><c r="B7" s="1" t="s"><v>1</v></c><c r="C7" s="1" t="s"><v>4</v></c></row>\
<row r="8"><c r="A8" s="1" t="s"><v>0</v></c><c r="C8" s="1" t="s"><v>1</v></c><c r="D8" s="1" t="s"><v>4</v></c></row>\
<row r="9"><c r="A9" s="1" t="s"><v>3</v></c><c r="B9" s="1" t="s"><v>3</v></c><c r="C9" s="1" t="s"><v>3</v></c></row>\
</sheetData></worksheet>"""


def test_whole_rows_matched_at_once(tmp_path):
    """Rows of exactly ``dense`` shared strings are taken whole; every other row cell by cell; same rows."""
    body = WHOLE_ROWS_SHEET[WHOLE_ROWS_SHEET.index("<sheetData"):]
    whole = [m[0] for m in xlsxfast._row_pattern(3, True).findall(body) if m[0]]
    assert whole == ["1", "4", "9"]  # row 2: no styles; 3: a fourth cell; 6: refs of row 7; 8: a gap
    assert_same(crafted(tmp_path / "whole.xlsx", WHOLE_ROWS_SHEET))
    fast = open_book(crafted(tmp_path / "whole.xlsx", WHOLE_ROWS_SHEET).read_bytes(), Limits()).sheet("甲", 3)
    assert fast.rows[0] == ["任务编号", "", "a b", ""] and fast.rows[6][:3] == ["任务编号", "", 'x\ny 中中 "q\' a_x000D_b']
    # row 4 again, cell by cell: which one wins is calamine's call
    twice = WHOLE_ROWS_SHEET.replace('<row r="6"><c r="A7"', '<row r="4"><c r="A4"').replace("B7", "B4")
    fast, slow = both(crafted(tmp_path / "twice.xlsx", twice.replace('C7" s="1" t="s"', 'C4" s="1"')))
    assert fast.sheet("甲", 3).rows == slow.sheet("甲").rows and fast.reader == "calamine"
    unknown = WHOLE_ROWS_SHEET.replace('<c r="C9" s="1" t="s"><v>3</v>', '<c r="C9" s="1" t="s"><v>99</v>')
    for book in both(crafted(tmp_path / "index.xlsx", unknown)):  # no such shared string: unreadable either way
        with pytest.raises(Rejected):
            book.sheet("甲", 3)


def test_unsupported_cells_fall_back_to_calamine(tmp_path):
    sheet = CRAFTED_SHEET.replace('<c r="H3"><v>-1.5e-3</v></c>', '<c r="H3" t="d"><v>2021-06-30T00:00:00</v></c>')
    assert_same(crafted(tmp_path / "d.xlsx", sheet), reader="calamine")
    prefixed = CRAFTED_SHEET.replace('<c r="G3">', '<c s="0" r="G3">')  # r not first: not for the fast reader
    assert_same(crafted(tmp_path / "order.xlsx", prefixed), reader="calamine")


def test_zip_member_lying_about_its_size_is_refused(returned):
    _, files = returned
    data = bytearray(files["filled"].read_bytes())
    pos = central_entry(bytes(data), "xl/worksheets/sheet1.xml")
    data[pos + 24:pos + 28] = (100).to_bytes(4, "little")  # declared size: 100 bytes; it inflates to more
    with pytest.raises(Rejected) as e:
        open_book(bytes(data), Limits()).sheet("填报表")
    assert e.value.kind == "zip-bomb"


def test_corrupt_member_is_unreadable(returned):
    _, files = returned
    data = bytearray(files["filled"].read_bytes())
    e = {x.name: x for x in xlsxfast.zip_entries(bytes(data))}["xl/worksheets/sheet1.xml"]
    data[e.offset + 30 + len(e.name) + 40] ^= 0xFF  # flip bits inside the deflate stream
    with pytest.raises(Rejected) as err:
        open_book(bytes(data), Limits()).sheet("填报表")
    assert err.value.kind == "unreadable"


FORMAT_CODES = ["yyyy-mm-dd", "[h]:mm:ss", "0.00%", '"第"0"项"', 'yyyy"年"m"月"d"日"', "#,##0_);[Red](#,##0)",
                "[$-804]aaaa", "[$-804]yyyy年m月d日 aaaa", "h:mm AM/PM", "\\Y000000", "@", "[>=100][Magenta].00",
                "[mm]", "mm:ss.0", "[DBNum1][$-804]yyyy年m月", "0_ ;[Red]\\-0\\ ", "# ?/?", "General"]


def test_date_formats_as_calamine_decides(tmp_path):
    """Which number formats make a number a date: the fast reader's rule against the installed calamine."""
    from python_calamine import CalamineWorkbook

    wb = openpyxl.Workbook()
    for i, code in enumerate(FORMAT_CODES, start=1):
        wb.active.cell(i, 1, 44377.25).number_format = code
    wb.save(tmp_path / "formats.xlsx")
    values = [r[0] for r in CalamineWorkbook.from_path(str(tmp_path / "formats.xlsx")).get_sheet_by_name("Sheet")
              .to_python()]
    want = [xlsxfast.DURATION if isinstance(v, dt.timedelta) else xlsxfast.DATE if isinstance(v, (dt.date, dt.time))
            else 0 for v in values]
    assert [xlsxfast.format_kind(c) for c in FORMAT_CODES] == want
    assert want.count(0) >= 6 and xlsxfast.DATE in want and xlsxfast.DURATION in want
