"""Build the control workbook ``zwgk_xl.xlsm`` from the text sources in ``workbooks/``.

pyOpenVBA turns the VBA text (``ZwgkButtons.bas`` here, ``xlwings.bas`` and
``Dictionary.cls`` from the installed xlwings) into a ``vbaProject.bin``;
xlsxwriter writes the sheets of :mod:`layout`, the buttons, and that project.
Nothing depends on the clock, so two builds give the same VBA and sheets.

Run ``python -m zwgk_xl.ledger.workbooks.build zwgk_xl.xlsm`` to build one by hand.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import tempfile
import zipfile
from pathlib import Path

from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.errors import WorkspaceError
from zwgk_xl.ledger.workbooks import layout as L

HERE = Path(__file__).parent
BUTTONS_BAS = HERE / f"{L.VBA_MODULE}.bas"
_FIXED_TIME = dt.datetime(2020, 1, 1)  # document properties: reproducible builds


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def xlwings_sources() -> tuple[str, str, str]:
    """(version, xlwings.bas, Dictionary.cls) of the installed xlwings; the module's version must match it."""
    import xlwings

    root = Path(xlwings.__file__).parent
    bas_path, cls_path = root / "xlwings.bas", root / "addin" / "Dictionary.cls"
    if not bas_path.is_file() or not cls_path.is_file():
        raise WorkspaceError(f"已安装的 xlwings（{xlwings.__version__}）中找不到 xlwings.bas 或 Dictionary.cls。"
                             "请重新安装 xlwings（pip install --force-reinstall xlwings）后重试。")
    bas = bas_path.read_text(encoding="ascii")
    m = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', bas)
    if not m or m.group(1) != xlwings.__version__:
        raise WorkspaceError(f"xlwings.bas 的版本（{m.group(1) if m else '未知'}）与已安装的 xlwings"
                             f"（{xlwings.__version__}）不一致。请重新安装 xlwings 后重试。")
    return xlwings.__version__, bas, cls_path.read_text(encoding="ascii")


def vba_modules() -> list[tuple[str, str, str]]:
    """The modules of the project as (name, source with CRLF, "standard" | "class")."""
    _version, bas, cls = xlwings_sources()
    buttons = BUTTONS_BAS.read_text(encoding="ascii")
    return [("xlwings", _crlf(bas), "standard"), ("Dictionary", _crlf(cls), "class"),
            (L.VBA_MODULE, _crlf(buttons), "standard")]


def build_vba_project(sheets: int = len(L.SHEETS)) -> bytes:
    """A ``vbaProject.bin`` holding :func:`vba_modules` (pyOpenVBA, from text; no Office needed).

    The project is made as Excel makes one for a workbook of ``sheets`` sheets
    (``ThisWorkbook`` and a document module ``Sheet1``… per sheet, matching the
    code names xlsxwriter writes), then the modules are added from text.
    """
    import xlsxwriter
    from pyopenvba import ExcelFile, VBAModuleKind

    with tempfile.TemporaryDirectory(prefix="zwgk_vba_") as tmp:
        path = Path(tmp) / "project.xlsm"
        scaffold = xlsxwriter.Workbook(str(path))
        for _ in range(sheets):
            scaffold.add_worksheet()
        scaffold.close()
        with ExcelFile(str(path)) as book:
            project = book.add_vba_project()
            for name, source, kind in vba_modules():
                project.add_module(name, source,
                                   kind=VBAModuleKind.standard if kind == "standard" else VBAModuleKind.other)
            book.save()
        with zipfile.ZipFile(path) as z:
            return z.read("xl/vbaProject.bin")


class _Formats:
    def __init__(self, wb):
        self.title = wb.add_format({"bold": True, "font_size": 16})
        self.note = wb.add_format({"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"})
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "vcenter"})
        self.text = wb.add_format({"text_wrap": True, "valign": "top"})
        self.label = wb.add_format({"bold": True, "valign": "top"})
        self.value = wb.add_format({"bg_color": "#FFF2CC", "border": 1, "valign": "top"})


def _table_sheet(ws, f: _Formats, note: str, headers: list[str], col: int = 0, widths: list[int] | None = None):
    ws.set_row(L.NOTE_ROW - 1, 36)
    ws.merge_range(L.NOTE_ROW - 1, 0, L.NOTE_ROW - 1, max(col + len(headers) - 1, 5), note, f.note)
    ws.write_row(L.HEADER_ROW - 1, col, headers, f.header)
    for i, w in enumerate(widths or []):
        ws.set_column(col + i, col + i, w, f.text)
    ws.freeze_panes(L.FIRST_ROW - 1, 0)


def build_control_workbook(path, *, units_rows=(), settings: dict | None = None,
                           interpreter: str | None = None) -> Path:
    """Write the control workbook to ``path`` (an .xlsm) and return it.

    Args:
        units_rows: rows of the unit directory (the columns of ``UNIT_HEADERS``) shown on 部门名录.
        settings: values for the 设置 sheet by label (e.g. ``{"轮次": "2021年第二季度"}``).
        interpreter: the Windows Python for ``xlwings.conf`` (default: the usual per-user install).
    """
    import xlsxwriter

    path = Path(path)
    values = {label: value for label, value, _help in L.SETTINGS_ROWS}
    values.update(settings or {})
    vba = build_vba_project()
    with atomic_path(path, WorkspaceError) as tmp, tempfile.TemporaryDirectory(prefix="zwgk_vba_") as vdir:
        bin_path = Path(vdir) / "vbaProject.bin"
        bin_path.write_bytes(vba)
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                            "strings_to_urls": False})
        wb.set_properties({"title": L.GUIDE_TITLE, "author": "zwgk-xl", "created": _FIXED_TIME})
        wb.set_calc_mode("auto")
        wb.set_vba_name("ThisWorkbook")
        f = _Formats(wb)
        sheets = {}
        for i, name in enumerate(L.SHEETS):
            sheets[name] = wb.add_worksheet(name)
            sheets[name].set_vba_name(f"Sheet{i + 1}")
        wb.add_vba_project(str(bin_path))

        g = sheets[L.GUIDE]
        g.set_column(0, 0, 20)
        g.set_column(1, 1, 110, f.text)
        g.write(0, 0, L.GUIDE_TITLE, f.title)
        for i, line in enumerate(L.GUIDE_INTRO):
            g.write(1 + i, 0, line)
        for i, b in enumerate(L.BUTTONS):
            row = L.GUIDE_BUTTON_ROW - 1 + i
            g.set_row(row, 30)
            g.insert_button(row, 0, {"macro": L.macro_of(b), "caption": b.caption, "width": 130, "height": 34,
                                     "x_offset": 4, "y_offset": 3})
            g.write(row, 1, b.help)
        first = L.GUIDE_BUTTON_ROW + len(L.BUTTONS)
        for i, line in enumerate(L.GUIDE_STEPS):
            g.write(first + i, 0, line, f.label if i == 0 else None)

        s = sheets[L.SUPERIOR]
        _table_sheet(s, f, L.NOTES[L.SUPERIOR], L.SUPERIOR_HEADERS, col=L.SUPERIOR_COLUMN - 1,
                     widths=[8, 30, 60, 24, 30, 14])
        s.set_column(0, 0, 50, f.text)
        s.set_column(1, 1, 2)
        s.write(L.HEADER_ROW - 1, 0, L.SUPERIOR_PASTE_HEADER, f.header)

        u = sheets[L.UNITS]
        _table_sheet(u, f, L.NOTES[L.UNITS], L.UNIT_HEADERS, widths=[26, 24, 10, 10, 14, 26, 40])
        for r, row in enumerate(units_rows):
            u.write_row(L.FIRST_ROW - 1 + r, 0, ["" if v is None else v for v in row])

        p = sheets[L.PLAN]
        _table_sheet(p, f, L.NOTES[L.PLAN], L.PLAN_HEADERS, widths=[8, 50, 24, 40, 14, 50])

        q = sheets[L.PROGRESS]
        _table_sheet(q, f, L.NOTES[L.PROGRESS], [], widths=[28, 16, 40, 50, 50, 40])

        t = sheets[L.SETTINGS]
        t.set_column(0, 0, 14, f.label)
        t.set_column(1, 1, 36)
        t.set_column(2, 2, 90, f.text)
        t.merge_range(L.NOTE_ROW - 1, 0, L.NOTE_ROW - 1, 2, L.NOTES[L.SETTINGS], f.note)
        t.write_row(L.HEADER_ROW - 1, 0, ["项目", "值", "说明"], f.header)
        for r, (label, _default, help_) in enumerate(L.SETTINGS_ROWS):
            row = L.FIRST_ROW - 1 + r
            t.write_string(row, 0, label, f.label)
            t.write(row, 1, values.get(label, ""), f.value)
            t.write_string(row, 2, help_, f.text)
        t.data_validation(L.FIRST_ROW - 1, 1, L.FIRST_ROW - 1 + len(L.SETTINGS_ROWS), 1,
                          {"validate": "any", "input_message": "黄色格子可以修改。"})

        c = sheets[L.CONF_SHEET]
        c.set_column(0, 0, 18)
        c.set_column(1, 1, 60)
        c.set_column(3, 3, 100, f.text)
        for r, (key, value) in enumerate(L.CONF_ROWS):
            c.write_string(r, 0, key)
            if key == "Interpreter_Win":
                value = interpreter or value
            c.write(r, 1, value, f.value)
        for r, line in enumerate(L.CONF_NOTES):
            c.write_string(r, 3, line, f.text)

        g.activate()
        wb.close()
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else L.WORKBOOK_NAME)
    build_control_workbook(out)
    print(out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
