"""BulkSheet: rows written in one pass read back like rows written cell by cell by xlsxwriter."""

from __future__ import annotations

import math
import subprocess
import zipfile

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from zwgk_xl.core.office import soffice_path
from zwgk_xl.core.xlsxbulk import BulkSheet

ROWS = [["1", "推进政务公开标准化规范化", "县财政局", 3, "", "完成 <100> 条 & 更多\n第二行"],
        ["2", " 前后有空格 ", "", 2.5, "控制符\x07在此", "_x0041_ 字面"],
        ["3", "长" * 40000, "县教育局", 0, None, ""]]


def _write(path, bulk: bool) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    text = wb.add_format({"text_wrap": True, "border": 1, "valign": "top"})
    num = wb.add_format({"border": 1, "valign": "top"})
    ws = wb.add_worksheet("明细", worksheet_class=BulkSheet)
    ws.merge_range(0, 0, 0, 5, "标题行", wb.add_format({"bold": True}))
    for c, h in enumerate(["编号", "任务", "单位", "数", "空", "说明"]):
        ws.write_string(1, c, h)
    heights = [30.0, 44.5, 409.0]
    if bulk:
        nxt = ws.append_rows(2, ROWS, heights, text, num)
        assert nxt == 5
    else:
        for r, (values, h) in enumerate(zip(ROWS, heights), start=2):
            ws.set_row(r, h)
            for c, v in enumerate(values):
                if isinstance(v, (int, float)):
                    ws.write_number(r, c, v, num)
                elif v:
                    ws.write_string(r, c, v[:32767], text)
                else:
                    ws.write_blank(r, c, None, text)
    ws.write_string(6, 0, "表后说明")  # an xlsxwriter row after the bulk rows
    ws.autofilter(1, 0, 4, 5)
    wb.close()


def _read(path) -> tuple[dict, dict, dict]:
    ws = openpyxl.load_workbook(path)["明细"]
    cells = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value not in (None, "")}
    heights = {r: ws.row_dimensions[r].height for r in range(1, 8) if ws.row_dimensions[r].height}
    styles = {c.coordinate: (c.border.left.style, c.alignment.wrap_text) for row in ws.iter_rows(min_row=3, max_row=5)
              for c in row}
    return cells, heights, styles


def test_bulk_rows_read_back_like_xlsxwriter_cells(tmp_path):
    _write(tmp_path / "bulk.xlsx", True)
    _write(tmp_path / "plain.xlsx", False)
    bulk, plain = _read(tmp_path / "bulk.xlsx"), _read(tmp_path / "plain.xlsx")
    assert bulk == plain
    cells, heights, styles = bulk
    assert cells["F3"] == "完成 <100> 条 & 更多\n第二行" and cells["B4"] == " 前后有空格 "
    assert cells["F4"] == "_x0041_ 字面" and len(cells["B5"]) == 32767
    assert cells["D4"] == 2.5 and cells["A7"] == "表后说明"
    assert heights[3] == 30 and heights[5] == 408.75  # whole pixels, as set_row
    assert styles["E3"] == ("thin", True) and styles["D3"] == ("thin", None)


def test_bulk_rows_in_order_and_read_by_calamine(tmp_path):
    _write(tmp_path / "bulk.xlsx", True)
    rows = CalamineWorkbook.from_path(str(tmp_path / "bulk.xlsx")).get_sheet_by_name("明细").to_python()
    assert [r[0] for r in rows] == ["标题行", "编号", "1", "2", "3", "", "表后说明"]
    assert rows[2][3] == 3 and rows[3][4] == "控制符\x07在此"


def test_bulk_rows_must_come_in_order(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet("a", worksheet_class=BulkSheet)
    fmt = wb.add_format()
    ws.append_rows(5, [["a"]], [15], fmt)
    with pytest.raises(ValueError):
        ws.append_rows(3, [["b"]], [15], fmt)
    wb.close()


def test_non_finite_numbers_are_text(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet("a", worksheet_class=BulkSheet)
    ws.append_rows(0, [[math.nan, math.inf, 7]], [15], wb.add_format())
    wb.close()
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx")["a"]
    assert [c.value for c in ws[1]] == ["nan", "inf", 7]


@pytest.mark.skipif(not soffice_path(), reason="LibreOffice is not installed")
def test_libreoffice_reads_bulk_rows(tmp_path):
    _write(tmp_path / "bulk.xlsx", True)
    subprocess.run([soffice_path(), "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                    "--outdir", str(tmp_path), str(tmp_path / "bulk.xlsx")], check=True, capture_output=True,
                   timeout=120)
    text = (tmp_path / "bulk.csv").read_text("utf-8")
    assert "推进政务公开标准化规范化" in text and "表后说明" in text and "县教育局" in text


def test_rows_spooled_to_a_file_read_back_the_same(tmp_path, monkeypatch):
    from zwgk_xl.core import xlsxbulk

    _write(tmp_path / "memory.xlsx", True)
    monkeypatch.setattr(xlsxbulk, "SPOOL_ROWS", 1)  # every row to the spool at once …
    monkeypatch.setattr(xlsxbulk, "SPOOL_MEMORY", 10)  # … and the spool to a temporary file
    _write(tmp_path / "spooled.xlsx", True)
    assert _read(tmp_path / "spooled.xlsx") == _read(tmp_path / "memory.xlsx") == _read_plain(tmp_path)


def _read_plain(tmp_path):
    _write(tmp_path / "plain.xlsx", False)
    return _read(tmp_path / "plain.xlsx")


def test_close_workbook_deflates_at_the_set_level_and_restores_the_packer(tmp_path):
    import zlib

    import xlsxwriter.workbook

    from zwgk_xl.core import xlsxbulk

    path = tmp_path / "level.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("明细", worksheet_class=BulkSheet)
    rows = [[f"第{i}项任务", f"已公开信息{i * 7}条，并在门户网站专栏集中发布。" * 3] for i in range(3000)]
    ws.append_rows(0, rows, [15.0] * len(rows), wb.add_format({"text_wrap": True}))
    xlsxbulk.close_workbook(wb)
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        data = z.read(info)
    raw = zlib.compressobj(xlsxbulk.DEFLATE_LEVEL, zlib.DEFLATED, -15)
    assert info.compress_size == len(raw.compress(data) + raw.flush())
    assert openpyxl.load_workbook(path)["明细"]["A3000"].value == "第2999项任务"

    class Broken(xlsxwriter.Workbook):
        def close(self):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        xlsxbulk.close_workbook(Broken(str(tmp_path / "broken.xlsx")))
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    assert xlsxwriter.packager.SharedStrings is xlsxwriter.sharedstrings.SharedStrings


TEXT_ROWS = [["1", "推进政务公开", "县财政局", "", "完成 <100> 条 & 更多\n第二行"],
             ["1", "推进政务公开", "县教育局", None, " 前后有空格 "],
             ["2", "长" * 40000, "县财政局", "已完成", "控制符\x07与_x0041_字面"],
             ["2", "长" * 40000 + "尾", "", "", ""]] * 3


@pytest.mark.parametrize("rows", [TEXT_ROWS, [r[:2] for r in TEXT_ROWS[:2]] * 500])
def test_text_rows_by_template_write_the_same_bytes_as_cell_by_cell(tmp_path, rows):
    from zwgk_xl.core.xlsxbulk import close_workbook

    parts = []
    for name, method in (("template", BulkSheet._append_texts), ("cells", BulkSheet._append_any)):
        wb = xlsxwriter.Workbook(str(tmp_path / f"{name}.xlsx"), {"strings_to_numbers": False})
        ws = wb.add_worksheet("明细", worksheet_class=BulkSheet)
        ws.write_string(0, 0, "县财政局")  # a string the table already holds, written by xlsxwriter
        fmt = wb.add_format({"text_wrap": True})
        heights = [15.0 + i % 4 for i in range(len(rows))]
        args = (1, rows, heights, fmt) if method is BulkSheet._append_texts else (1, rows, heights, fmt, None)
        assert method(ws, *args) == 1 + len(rows)
        ws.write_string(len(rows) + 2, 0, "表后")
        close_workbook(wb)
        with zipfile.ZipFile(tmp_path / f"{name}.xlsx") as z:
            parts.append({n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"})
    assert parts[0] == parts[1]
    cells = CalamineWorkbook.from_path(str(tmp_path / "template.xlsx")).get_sheet_by_name("明细").to_python()
    assert cells[2][:3] == rows[1][:3] and cells[-1][0] == "表后"


alphabet = st.sampled_from(["a", " ", "政", "&", "<", ">", "\n", "\t", "\u3000", '"', "_x0041_", "\x01", "\x00",
                            "\x1f", "\x85", "\ufffe", "<r>", "</r>"])


def _xlsxwriter_si(string: str) -> str:
    import io

    from xlsxwriter.sharedstrings import SharedStrings

    writer = SharedStrings()
    writer.fh = io.StringIO()
    writer._write_si(string)
    return writer.fh.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(alphabet, max_size=8).map("".join), min_size=1, max_size=12, unique=True),
       st.booleans(), st.sampled_from([3, 4096]))
def test_shared_strings_written_as_xlsxwriter_writes_plain_text(strings, plain, chunk):
    import io

    from xlsxwriter.sharedstrings import SharedStringTable

    from zwgk_xl.core import xlsxbulk

    if plain:  # no control characters or escapes: the bulk path
        strings = [s for s in strings if not set(s) & {"\x00", "\x01", "\x1f", "\ufffe"} and "_x" not in s] or ["a"]
    table = SharedStringTable()
    for s in strings:
        table._get_shared_string_index(s)
    table._sort_string_data()
    writer = xlsxbulk._SharedStrings()
    writer.string_table, writer.fh = table, io.StringIO()
    saved, xlsxbulk.SST_CHUNK = xlsxbulk.SST_CHUNK, chunk  # chunks of 3: bulk and per-string ones mixed
    try:
        writer._write_sst_strings()
    finally:
        xlsxbulk.SST_CHUNK = saved
    assert writer.fh.getvalue() == "".join(map(xlsxbulk._si, table.string_array))
    for s in table.string_array:
        if s.startswith("<r>") and s.endswith("</r>"):  # xlsxwriter would pass it through as markup
            assert xlsxbulk._si(s).startswith("<si><t>&lt;r&gt;")
        else:
            assert xlsxbulk._si(s) == _xlsxwriter_si(s)


MARKUP = ["<r>abc</r>", "<r></r></si><si><t>注入</t></si><si><r></r>", "<r><t>粗体</t></r>"]


def test_text_shaped_like_rich_string_markup_stays_text(tmp_path):
    from zwgk_xl.core.xlsxbulk import close_workbook

    path = tmp_path / "markup.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet("明细", worksheet_class=BulkSheet)
    ws.write_string(0, 0, MARKUP[0])  # written by xlsxwriter …
    ws.append_rows(1, [[t, "_x0041_", "控制\x07符"] for t in MARKUP], [15.0] * 3, wb.add_format())  # … and in bulk
    close_workbook(wb)
    with zipfile.ZipFile(path) as z:
        sst = z.read("xl/sharedStrings.xml").decode()
    assert sst.count("<si>") == 5 and "<si><t>注入</t></si>" not in sst
    cells = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("明细").to_python()
    assert [r[0] for r in cells] == [MARKUP[0], *MARKUP] and cells[1][1:] == ["_x0041_", "控制\x07符"]
    ws = openpyxl.load_workbook(path)["明细"]
    assert [ws.cell(r, 1).value for r in range(1, 5)] == [MARKUP[0], *MARKUP] and ws["B2"].value == "_x0041_"
