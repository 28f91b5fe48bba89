"""merge reading: python-calamine's values, plus what calamine does not give (formulas without a value, error
values, HYPERLINK addresses), and cells beyond the limits left out before calamine could allocate for them."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from _merge_helpers import copy_values, far_ods, far_xls, fill, issue_forms
from zwgk_xl.merge import xlsxscan
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


def calamine_rows(data: bytes) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}


def assert_calamine(path: Path) -> None:
    """Every sheet as read is python-calamine's plain read (nothing beyond the limits in these files)."""
    data = path.read_bytes()
    book, want = open_book(data, Limits()), calamine_rows(data)
    assert book.sheet_names == list(want)
    for name in book.sheet_names:
        got = book.sheet(name)
        assert got.rows == want[name] and got.outside == (0, ""), (path.name, name)


@pytest.fixture(scope="module")
def returned(tmp_path_factory):
    """Forms as issued, filled in openpyxl, pasted into a new workbook, and a hand-written one."""
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
def test_values_are_calamines(returned, kind):
    _, files = returned
    assert_calamine(files[kind])


def test_crafted_values(returned):
    """Spot checks of the hand-written cells: values, formulas without a value, error values, formula texts."""
    _, files = returned
    sheet = open_book(files["crafted"].read_bytes(), Limits()).sheet("甲")
    rows = sheet.rows
    assert rows[0][:9] == ["任务编号", "", "", "", "x&y", False, " 12 ", "abc", True]
    assert rows[2][:9] == [dt.date(2021, 6, 30), dt.datetime(2021, 6, 30, 12, 30), dt.time(10, 30),
                           dt.timedelta(days=1, hours=12), 0.25, dt.date(2021, 7, 1), 1000.0, -0.0015, 7.0]
    assert sheet.formula_cells == {"C2", "G2", "H2"}
    assert sheet.error_cells == {"D1": "#N/A", "E2": "#DIV/0!"}
    assert sheet.formula_texts == {"C2": '="a"', "G2": "=SUM(A1:A2)", "H2": "=1+1", "E2": "=1/0"}
    assert len(rows) == 9 and len(rows[0]) == 12


def test_filled_formula_kept_as_text(returned):
    _, files = returned
    sheet = open_book(files["filled"].read_bytes(), Limits()).sheet("填报表")
    assert list(sheet.formula_texts.values()) == ["=A6&B6"]  # no cached value: the formula is kept as text
    assert set(sheet.formula_texts) == sheet.formula_cells
    assert '=HYPERLINK("x")' in {v for r in sheet.rows for v in r}  # typed as text: a text


def test_hyperlink_with_a_value_shows_text_and_address(tmp_path):
    sheet = CRAFTED_SHEET.replace('<c r="H3"><v>-1.5e-3</v></c>',
                                  '<c r="H3" t="str"><f>HYPERLINK("http://a.cn/x?a=1&amp;b=2","专栏")</f><v>专栏</v></c>')
    got = open_book(crafted(tmp_path / "link.xlsx", sheet).read_bytes(), Limits()).sheet("甲")
    assert got.formula_texts["H3"] == "专栏（http://a.cn/x?a=1&b=2）" and "H3" not in got.formula_cells


@needs_soffice
@pytest.mark.parametrize("kind", ["filled", "crafted"])
def test_libreoffice_resaved_xlsx(returned, kind):
    from zwgk_xl.core.office import convert_with_soffice

    box, files = returned
    assert_calamine(convert_with_soffice(files[kind], "xlsx", box / f"lo_{kind}"))


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
    e = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    data[e.header_offset + 30 + len(e.filename) + 40] ^= 0xFF  # flip bits inside the deflate stream
    with pytest.raises(Rejected) as err:
        open_book(bytes(data), Limits()).sheet("填报表")
    assert err.value.kind == "unreadable"



@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/styles.xml"])
def test_member_whose_content_does_not_match_its_crc_is_unreadable(returned, part):
    """python-calamine does not check CRCs (it reads this file as if nothing were wrong): the parts behind the
    values (shared strings: the answers' text; the sheets read; styles: which numbers are dates) are checked
    here, so a damaged reply is not merged."""
    _, files = returned
    data = bytearray(files["issued"].read_bytes())  # as xlsxwriter wrote it: with a shared-string table
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(part)
    wrong = ((info.CRC ^ 0x5A5A5A5A) & 0xFFFFFFFF).to_bytes(4, "little")
    data[info.header_offset + 14:info.header_offset + 18] = wrong  # the local header …
    pos = central_entry(bytes(data), part)
    data[pos + 16:pos + 20] = wrong  # … and the central directory agree on a CRC the content does not have
    assert calamine_rows(bytes(data))["填报表"]  # calamine alone reads it
    with pytest.raises(Rejected) as err:
        book = open_book(bytes(data), Limits())
        book.sheet("填报表")
    assert err.value.kind == "unreadable" and "校验值" in err.value.message

# ---------------------------------------------------------------------------
# Cells beyond the limits: left out (never allocated by calamine), counted, the rest read as calamine reads it

LIMITS = Limits(max_rows=30, max_cols=12)
NEAR = st.tuples(st.integers(0, LIMITS.max_rows - 1), st.integers(0, LIMITS.max_cols - 1))
FAR = st.one_of(st.tuples(st.integers(LIMITS.max_rows, 1_048_575), st.integers(0, 16_383)),
                st.tuples(st.integers(0, 1_048_575), st.integers(LIMITS.max_cols, 16_383)))
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=6)


def ref(row: int, col: int) -> str:
    return f"{xlsxscan.column_letter(col)}{row + 1}"


def cell_xml(row: int, col: int, text: str, style: int) -> str:
    """One inline-string cell written in one of the ways spreadsheet programs (or hostile files) do."""
    body = "<is><t>%s</t></is>" % text.replace("&", "&amp;").replace("<", "&lt;")
    return [f'<c r="{ref(row, col)}" t="inlineStr">{body}</c>',
            f'<c t="inlineStr" s="0" r="{ref(row, col)}">{body}</c>',
            f"<c r='{ref(row, col)}' t='inlineStr'>{body}</c>",
            *(f'<{x}:c r="{ref(row, col)}" t="inlineStr">{body}</{x}:c>'.replace("<is><t>", f"<{x}:is><{x}:t>")
              .replace("</t></is>", f"</{x}:t></{x}:is>") for x in PREFIXES)][style]


# Namespace prefixes a sheet's elements may carry: calamine reads the elements by their local names whatever
# the prefix, so cells with any of them must be found as well.
PREFIXES = ("x", "x-y", "前缀", "a.b_2")
STYLES = st.integers(0, 2 + len(PREFIXES))


def sheet_xml(cells: dict, extra: str = "") -> bytes:
    rows: dict[int, list] = {}
    for (r, c), (text, style) in sorted(cells.items()):
        rows.setdefault(r, []).append(cell_xml(r, c, text, style))
    body = "".join(f'<row r="{r + 1}">{"".join(cs)}</row>' for r, cs in sorted(rows.items()))
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    prefixes = "".join(f' xmlns:{x}="{main}"' for x in PREFIXES)
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"{prefixes}><sheetData>{body}{extra}'
            f'</sheetData></worksheet>').encode()


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """The parts of a one-sheet .xlsx, its sheet to be replaced."""
    wb = openpyxl.Workbook()
    wb.active.title = "甲"
    path = tmp_path_factory.mktemp("pkg") / "p.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def with_sheet(parts: dict, xml: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, xml if name == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(near=st.dictionaries(NEAR, st.tuples(TEXT, STYLES), max_size=12),
       far=st.dictionaries(FAR, st.tuples(TEXT, STYLES), max_size=3))
def test_far_cells_left_out_and_counted(package, near, far):
    """Whatever the far cells and however cells are written, the sheet reads as calamine reads its near cells."""
    got = open_book(with_sheet(package, sheet_xml({**near, **far})), LIMITS).sheet("甲")
    want = calamine_rows(with_sheet(package, sheet_xml(near)))["甲"]
    assert got.rows == want
    first = min(far, default=None)
    assert got.outside == ((len(far), ref(*first)) if far else (0, ""))


@pytest.mark.parametrize("extra, outside", [
    ('<row r="9"><c r="B7" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>', 1),  # calamine takes the last r
    ('<row r="9"><c r="xfd9" t="inlineStr"><is><t>x</t></is></c></row>', 1),  # lower case: calamine reads it
    ('<row r="9"><c r="A0" t="inlineStr"><is><t>x</t></is></c></row>', 1),  # no valid place
    ('<row r="40">' + '<c t="inlineStr"><is><t>x</t></is></c>' * 3 + "</row>", 3),  # placed by their row
    ('<row r="3">' + '<c t="inlineStr"><is><t>x</t></is></c>' * 14 + "</row>", 2),  # placed one after another
    ('<row r="3"><c r="K3" t="inlineStr"><is><t>x</t></is></c><c t="n"><v>1</v></c><c><v>2</v></c></row>', 1),
    ('<row r="29"><c r="A29"><v>1</v></c></row>' + "<row><c><v>2</v></c></row>" * 5, 4),  # rows one after another
    ("".join(f'<row r="{i}"><c r="A{i}" s="1"/></row>' for i in range(31, 3000)), 0),  # styled, empty: harmless
    ('<row r="99999999"><c r="A99999999"><f>1+1</f></c></row>', 0),  # a formula without a value is no content
])
def test_unusual_cells_are_placed_as_calamine_places_them(package, extra, outside):
    data = with_sheet(package, sheet_xml({(0, 0): ("a", 0), (1, 0): ("b", 0)}, extra))
    got = open_book(data, LIMITS).sheet("甲")
    assert got.outside[0] == outside
    assert len(got.rows) <= LIMITS.max_rows and all(len(r) <= LIMITS.max_cols for r in got.rows)
    assert got.rows[0][0] == "a" and got.rows[1][0] == "b"


def filled_cells(rows: list[list], max_rows: int = 1 << 30, max_cols: int = 1 << 30) -> dict:
    return {(i, j): v for i, r in enumerate(rows[:max_rows]) for j, v in enumerate(r[:max_cols]) if v != ""}


ROWS = st.lists(st.tuples(st.one_of(st.none(), st.integers(1, 45)),  # the row's r (None: none)
                          st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 20)), st.integers(0, 99)),
                                   max_size=5)),  # cells: (column, else none; a number)
                max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_cells_without_references_placed_as_calamine_does(package, rows):
    """Rows and cells with and without ``r``, some beyond the limits: the cells within read as calamine reads
    them in the whole sheet (small enough here for calamine to read whole)."""
    body = "".join((f'<row r="{r}">' if r else "<row>") + "".join(
        (f'<c r="{ref(0, c)[:-1]}{r or 7}">' if c is not None else "<c>") + f"<v>{v}</v></c>" for c, v in cells)
        + "</row>" for r, cells in rows)
    data = with_sheet(package, sheet_xml({}, body))
    want = filled_cells(calamine_rows(data)["甲"], LIMITS.max_rows, LIMITS.max_cols)
    assert filled_cells(open_book(data, LIMITS).sheet("甲").rows) == want


def test_sheet_not_found_in_the_package_means_no_part_may_reach_far(package, monkeypatch):
    """Should a sheet's part not be found as calamine names it, any far cell in any part refuses the file."""
    monkeypatch.setattr(xlsxscan, "sheet_parts", lambda workbook, rels: {})
    near = with_sheet(package, sheet_xml({(0, 0): ("a", 0)}))
    assert open_book(near, LIMITS).sheet("甲").rows == [["a"]]
    with pytest.raises(Rejected) as e:
        open_book(with_sheet(package, sheet_xml({(0, 0): ("a", 0), (5, 40): ("b", 0)})), LIMITS).sheet("甲")
    assert e.value.kind == "cells-out-of-range" and "6 行 × 41 列" in e.value.message


def test_members_of_one_name_are_refused(package):
    """Two parts of one name (any case): which one calamine reads is not known, so the file is not read."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as z:
        for name, part in package.items():
            z.writestr(name, part)
        z.writestr("xl/worksheets/SHEET1.xml", sheet_xml({(0, 0): ("a", 0), (9, 9000): ("b", 0)}))
    with pytest.raises(Rejected) as e:
        open_book(data.getvalue(), LIMITS)
    assert e.value.kind == "unreadable"


def test_sheet_target_with_dots_is_distrusted(package):
    """A sheet whose target names ``..``: every part is looked at, and a far cell anywhere refuses the file."""
    parts = dict(package)
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b'Target="/xl/worksheets/sheet1.xml"', b'Target="worksheets/../worksheets/sheet1.xml"').replace(
        b'Target="worksheets/sheet1.xml"', b'Target="worksheets/../worksheets/sheet1.xml"')
    assert b"../" in parts["xl/_rels/workbook.xml.rels"]
    book = open_book(with_sheet(parts, sheet_xml({(0, 0): ("a", 0), (9, 40): ("b", 0)})), LIMITS)
    with pytest.raises(Rejected) as e:
        book.sheet("甲")
    assert e.value.kind == "cells-out-of-range"


def test_far_cells_of_ods_and_xls_found_before_calamine_opens_them(tmp_path):
    """calamine expands an .ods's repeated cells and allocates an .xls's whole sheet when it opens the file:
    a 1.5 KB .ods or a 6 KB .xls would take a gigabyte.  Their extent is read from the package first."""
    ods = far_ods(tmp_path / "重复.ods")
    with pytest.raises(Rejected) as e:
        open_book(ods.read_bytes(), Limits(), name=ods.name)
    assert e.value.kind == "cells-out-of-range" and "1,051,001 行 × 20 列" in e.value.message
    assert xlsxscan.ods_extents(zipfile.ZipFile(far_ods(tmp_path / "小.ods", rows=3, cols=2)).read("content.xml")) \
        == [(1_048_004, 2)]  # LibreOffice's empty rows count only below a value
    xls = far_xls(tmp_path / "远处.xls")
    if xls is not None:
        with pytest.raises(Rejected) as e:
            open_book(xls.read_bytes(), Limits(), name=xls.name)
        assert e.value.kind == "cells-out-of-range" and "65,536 行 × 256 列" in e.value.message
    with pytest.raises(Rejected) as e:
        open_book(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, Limits(), name="坏.xls")
    assert e.value.kind == "unreadable"


def test_a_shared_string_table_claiming_billions_is_refused_before_calamine():
    """calamine reserves room for the claimed count (48 GB for two billion) and a failed reservation ends the
    process: the claim is checked against the table's size first."""
    ok = b'<sst xmlns="x" count="3" uniqueCount="2"><si><t>a</t></si><si><t>b</t></si></sst>'
    xlsxscan.check_shared_strings(ok)
    with pytest.raises(xlsxscan.Broken) as e:
        xlsxscan.check_shared_strings(ok.replace(b'uniqueCount="2"', b'uniqueCount="2000000000"'))
    assert e.value.kind == "unreadable" and "2,000,000,000" in e.value.message
    for prefix in PREFIXES:  # calamine finds the table by its local name, whatever the prefix
        claim = ok.replace(b"<sst ", b"<%s:sst " % prefix.encode()).replace(b'uniqueCount="2"', b'uniqueCount="9999"')
        with pytest.raises(xlsxscan.Broken):
            xlsxscan.check_shared_strings(claim)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_sheet_parts_found_whatever_the_prefix(prefix):
    p = prefix.encode()
    workbook = b'<%s:workbook><%s:sheets><%s:sheet name="S" r:id="rId1"/></%s:sheets></%s:workbook>' % ((p,) * 5)
    rels = b'<%s:Relationships><%s:Relationship Id="rId1" Target="worksheets/s.xml"/></%s:Relationships>' % ((p,) * 3)
    assert xlsxscan.sheet_parts(workbook, rels) == {"S": "xl/worksheets/s.xml"}


_NS = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0", "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
       "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}


def _ods_extents_by_tree(content: bytes) -> list[tuple[int, int]]:
    """The extents ods_extents finds, by an XML parser: rows and cells with their repeats, in document order."""
    import xml.etree.ElementTree as ET

    t, o, x = (f"{{{_NS[k]}}}" for k in ("table", "office", "text"))
    out = []
    for table in ET.fromstring(content).iter(f"{t}table"):
        row = rows = cols = 0
        for r in table.iter(f"{t}table-row"):
            rep = int(r.get(f"{t}number-rows-repeated", "1"))
            col = width = 0
            for c in r:
                if c.tag not in (f"{t}table-cell", f"{t}covered-table-cell"):
                    continue
                crep = int(c.get(f"{t}number-columns-repeated", "1"))
                if c.get(f"{o}value-type") or c.find(f".//{x}p") is not None:
                    width = col + crep
                col += crep
            if width:
                rows, cols = max(rows, row + rep), max(cols, width)
            row += rep
        out.append((rows, cols))
    return out


_cell = st.tuples(st.integers(1, 3000), st.sampled_from(["", "value", "text", "both"]), st.booleans())
_row = st.tuples(st.integers(1, 2_000_000), st.lists(_cell, max_size=5), st.booleans())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_row, max_size=6), min_size=1, max_size=3))
def test_ods_extents_equal_an_xml_parsers_reading(tables):
    def cell(rep, kind, covered):
        name = "table:covered-table-cell" if covered else "table:table-cell"
        attrs = (f' table:number-columns-repeated="{rep}"' if rep > 1 else "") + \
            (' office:value-type="float" office:value="1"' if kind in ("value", "both") else "")
        return f"<{name}{attrs}>" + ("<text:p>1</text:p>" if kind in ("text", "both") else "") + f"</{name}>"

    def row(rep, cells, grouped):
        attrs = f' table:number-rows-repeated="{rep}"' if rep > 1 else ""
        xml = f"<table:table-row{attrs}>{''.join(cell(*c) for c in cells)}</table:table-row>" if cells else \
            f"<table:table-row{attrs}/>"
        return f"<table:table-row-group>{xml}</table:table-row-group>" if grouped else xml

    body = "".join(f'<table:table table:name="S{i}"><table:table-column/>{"".join(row(*r) for r in rs)}</table:table>'
                   for i, rs in enumerate(tables))
    content = ('<?xml version="1.0"?><office:document-content ' + " ".join(f'xmlns:{k}="{v}"' for k, v in _NS.items())
               + f"><office:automatic-styles/><office:body><office:spreadsheet>{body}</office:spreadsheet>"
               "</office:body></office:document-content>").encode()
    assert xlsxscan.ods_extents(content) == _ods_extents_by_tree(content)


def test_many_sheets_within_the_limits_are_refused_together(tmp_path):
    """Each of 40 tables spans 1,999 × 60 cells, within a form's size; calamine would allocate all of them
    at once (an .ods or .xls is opened whole), so their sum is bounded too."""
    ods = far_ods(tmp_path / "多表.ods", rows=1998, cols=60, tables=40, empty_rows=0)
    with pytest.raises(Rejected) as e:
        open_book(ods.read_bytes(), Limits(), name=ods.name)
    assert e.value.kind == "cells-out-of-range" and "40 张工作表合计达 4,797,600 个单元格" in e.value.message
    book = open_book(far_ods(tmp_path / "两表.ods", rows=10, cols=5, tables=2, empty_rows=0).read_bytes(), Limits())
    assert len(book.sheet(book.sheet_names[1]).rows) == 11
