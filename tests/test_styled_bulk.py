"""StyledBulkSheet rows read back as the same rows written cell by cell with xlsxwriter."""

from __future__ import annotations

import openpyxl
import pytest
import python_calamine as pc
import xlsxwriter

from zwgk_xl.core import xlsxbulk
from zwgk_xl.core.xlsxbulk import StyledBulkSheet

ROWS = [(["一", "第一项 & <任务>", "", "牵头"], 40.5), (["二", "", "说明\n两行", ""], 27.0),
        (["三", " 前后空格 ", "\x01控制字符", "配合"], 13.5), (["四", "末行", "", "责任"], 100.2)]


def _write(path, bulk: bool) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("表", worksheet_class=StyledBulkSheet if bulk else None)
    plain = wb.add_format({"border": 1, "text_wrap": True})
    center = wb.add_format({"border": 1, "align": "center", "bg_color": "#F2F2F2"})
    red = wb.add_format({"font_color": "#C00000", "bold": True})
    formats = [center, plain, plain, red]
    ws.merge_range(0, 0, 0, 3, "标题", center)
    ws.write_row(1, 0, ["编号", "任务", "要求", "角色"], plain)
    for n, (values, height) in enumerate(ROWS):
        r = n + 2
        if bulk and r != 4:  # row 4 written cell by cell between bulk rows
            ws.append_cells(r, values, formats, height)
            continue
        ws.set_row(r, height)
        for c, (v, f) in enumerate(zip(values, formats)):
            ws.write_string(r, c, v, f) if v else ws.write_blank(r, c, None, f)
    ws.autofilter(1, 0, len(ROWS) + 1, 3)
    wb.close()


def _describe(path) -> tuple:
    ws = openpyxl.load_workbook(path)["表"]
    cells = [(c.coordinate, c.value or None, c.font.b, c.font.color.rgb if c.font.color else None, c.fill.fgColor.rgb,
              c.alignment.horizontal, c.alignment.wrap_text, c.border.left.style)
             for row in ws.iter_rows() for c in row]
    heights = {r: (d.height, d.customHeight) for r, d in ws.row_dimensions.items()}
    rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表").to_python(skip_empty_area=False)
    return cells, heights, rows, ws.dimensions, ws.auto_filter.ref


@pytest.mark.parametrize("spool_rows", [2000, 1])
def test_bulk_rows_read_back_as_written_cell_by_cell(tmp_path, monkeypatch, spool_rows):
    """Also with every row spooled as soon as it is added (around the row written cell by cell)."""
    monkeypatch.setattr(xlsxbulk, "SPOOL_ROWS", spool_rows)
    _write(tmp_path / "cells.xlsx", bulk=False)
    _write(tmp_path / "bulk.xlsx", bulk=True)
    want, got = _describe(tmp_path / "cells.xlsx"), _describe(tmp_path / "bulk.xlsx")
    assert got == want
    assert got[2][2] == ["一", "第一项 & <任务>", "", "牵头"] and got[2][4][1] == " 前后空格 "
