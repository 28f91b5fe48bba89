"""Helpers for the merge/ledger tests: a small hand-built plan and form filling."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from zwgk_xl.forms import spec as fs
from zwgk_xl.core.model import Deadline, Document, Node
from zwgk_xl.core.office import convert_with_soffice

ROUND = "2021年第二季度"
UNITS = ["县财政局", "县教育局", "县卫生健康局"]


def task(n: int, lead: list[str], others: list[str], date: str | None, title: str = "") -> Node:
    text = f"第{n}项任务的具体要求,按期公开相关信息。"
    return Node(id=f"一.({n})", path=["一", f"({n})"], title=title or f"公开事项{n}", text=text, is_task=True,
                lead_local=lead, others_local=others,
                deadline=Deadline(date=date, text=date or "长期坚持", kind="date" if date else "长期"))


def sample_plan() -> Document:
    """Four tasks over three units; 县教育局 has three tasks (lead of two)."""
    tasks = [
        task(1, ["县财政局"], ["县教育局"], "2021-06-30", "预决算信息公开"),
        task(2, ["县教育局"], [], "2021-12-31", "教育收费公开"),
        task(3, ["县教育局"], ["县财政局"], None, "义务教育招生公开"),
        task(4, ["县卫生健康局"], [], "2021-03-31", "医疗机构信息公开"),
    ]
    root = Node(id="一", path=["一"], title="重点领域信息公开", children=tasks)
    return Document(title="2021年政务公开工作要点分解表", year=2021, roots=[root])


def header_row(ws) -> int:
    """1-based row of the task header in an openpyxl sheet."""
    for row in ws.iter_rows(min_row=1, max_row=30):
        if row[0].value == fs.HEADERS[0]:
            return row[0].row
    raise AssertionError("no header row")


def fill(path: Path, out: Path | None = None, rows: dict[str, dict] | None = None, fields: dict | None = None,
         edit=None) -> Path:
    """Fill a form the way a department does with Excel: values per task id (keys of COLUMN_INDEX)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[fs.TASK_SHEET]
    first = header_row(ws) + 1
    for r in range(first, ws.max_row + 1):
        tid = ws.cell(r, 1).value
        for key, value in (rows or {}).get(tid, {}).items():
            c = ws.cell(r, fs.COLUMN_INDEX[key] + 1)
            c.value = value
            if isinstance(value, str) and value[:1] in "=+-@":
                c.data_type = "s"  # typed as text, as Excel does for a leading apostrophe
    for key, value in (fields or {}).items():
        row, col = fs.FORM_FIELD_CELLS[key]
        ws.cell(first - 1 - (fs.HEADER_ROW - row), col + 1).value = value
    if edit:
        edit(wb, ws, first)
    out = out or path
    wb.save(out)
    return out


def issue_forms(tmp_path: Path, round: str = ROUND, plan: Document | None = None):
    """A 台账 with the sample plan stored for ``round`` and the forms written from it: (workspace, {unit: path})."""
    from zwgk_xl.forms.writer import write_forms
    from zwgk_xl.ledger.store import Ledger

    ws = tmp_path / "台账"
    plan = plan or sample_plan()
    with Ledger.open(ws) as ledger:
        ledger.store_plan(round, plan)
        infos = write_forms(plan, None, round, "2021-07-05", tmp_path / "下发", ledger=ledger)
    return ws, {i.unit: i.path for i in infos}


def copy_values(src: Path, dst: Path, edit=None) -> Path:
    """Copy the task sheet's cells into a brand-new workbook (no metadata), as a department pasting it would."""
    old = openpyxl.load_workbook(src)[fs.TASK_SHEET]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for row in old.iter_rows():
        for c in row:
            if c.value is not None:
                ws.cell(c.row, c.column).value = c.value
    if edit:
        edit(wb, ws, header_row(ws) + 1)
    wb.save(dst)
    return dst


def set_mtime(path: Path, iso: str) -> Path:
    import datetime as dt
    import os

    t = dt.datetime.fromisoformat(iso).timestamp()
    os.utime(path, (t, t))
    return path


def zip_bomb(src: Path, dst: Path, megabytes: int = 24) -> Path:
    """``src`` with its task sheet replaced by ``megabytes`` MB of XML padding (inflates ~1000x)."""
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (megabytes << 20), 1)
            zout.writestr(item.filename, data)
    return dst


def add_vba(src: Path, dst: Path) -> Path:
    """``src`` with an (inert) ``xl/vbaProject.bin`` part, as an .xlsm saved from Excel carries."""
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, zin.read(item.filename))
        zout.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + b"Attribute VB_Name")
    return dst


def crafted_encrypted(dst: Path) -> Path:
    """A minimal OLE compound file holding an ``EncryptedPackage`` stream (how Office stores a password-protected .xlsx)."""
    import struct

    free, end, fat = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0))
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    fat_sector = struct.pack("<4I", fat, end, end, end) + struct.pack("<I", free) * 124

    def entry(name: str, kind: int, start: int, size: int, child: int = free, right: int = free) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1) + struct.pack("<III", free, right, child)
                + b"\0" * 36 + struct.pack("<IQ", start, size))

    directory = (entry("Root Entry", 5, end, 0, child=1) + entry("EncryptedPackage", 2, 2, 512, right=2)
                 + entry("EncryptionInfo", 2, 3, 64) + b"\0" * 128)
    dst.write_bytes(header + fat_sector + directory + b"\x01" * 512 + b"\x02" * 512)
    return dst


# ---------------------------------------------------------------------------
# The messy folder: forms returned the way departments return them

INJECTION = '=HYPERLINK("http://evil.example/x","点击查看")'
CMD = "@SUM(1+1)*cmd|' /C calc'!A0"


def finance(forms, box):
    """县财政局: filled in Excel, task title edited, row of 一.(3) deleted, then re-saved as .xls in LibreOffice."""
    def edit(wb, ws, first):
        ws.cell(first, 2).value = "预决算公开(已改)"
        ws.delete_rows(first + 1)

    filled = fill(forms["县财政局"], box / "work" / forms["县财政局"].name,
                  rows={"一.(1)": {"status": "已完成", "progress": "2021年部门预算已于3月公开,共58个部门。",
                                   "done_date": dt.datetime(2021, 3, 20)},
                        "一.(3)": {"status": "推进中", "progress": "配合审核招生信息。"}},
                  fields={"filler": "张三", "phone": "0878-1234567", "fill_date": dt.datetime(2021, 7, 1)}, edit=edit)
    out = convert_with_soffice(filled, "xls", box / "回收")
    return set_mtime(out, "2021-07-01T09:00:00")


def education(forms, box):
    """县教育局: an early .ods, then a later .xlsx with sorted rows, pasted-over cells, a new row, formula text."""
    early = fill(forms["县教育局"], box / "work" / "教育局初稿.xlsx",
                 rows={t: {"status": "推进中", "progress": "初稿"} for t in ("一.(1)", "一.(2)", "一.(3)")},
                 fields={"filler": "李四"})
    ods = convert_with_soffice(early, "ods", box / "回收")
    set_mtime(ods, "2021-07-01T10:00:00")

    def edit(wb, ws, first):
        rows = [[(c.value, c.data_type) for c in ws[r]] for r in range(first, first + 3)]
        for r, values in zip(range(first, first + 3), reversed(rows)):  # sorted by 任务编号, descending
            for c, (v, kind) in enumerate(values, start=1):
                ws.cell(r, c).value = v
                ws.cell(r, c).data_type = kind
        ws.cell(first + 3, 1).value = "一.(9)"
        ws.cell(first + 3, 2).value = "自行增加的任务"

    later = fill(forms["县教育局"], box / "回收" / "教育局(修改版).xlsx",
                 rows={"一.(1)": {"status": "完成", "progress": "已提供教育收费数据。"},
                       "一.(2)": {"status": "已完成", "progress": INJECTION, "done_date": "6月底", "evidence": CMD},
                       "一.(3)": {"status": "推进中", "progress": "招生信息已公开。"}},
                 fields={"filler": "李四", "phone": 13800000000, "fill_date": "2021/7/2"}, edit=edit)
    return ods, set_mtime(later, "2021-07-02T10:00:00")


def health(forms, box):
    """县卫生健康局: its table pasted into a new workbook (no metadata), 落实情况 a formula never calculated."""
    def edit(wb, ws, first):
        ws.cell(first, 6).value = "推进中"
        ws.cell(first, 7).value = "=A6&B6"
        ws.cell(first - 2, 2).value = "王五"

    return set_mtime(copy_values(forms["县卫生健康局"], box / "回收" / "回复.xlsx", edit), "2021-07-03T10:00:00")


def build_messy(tmp_path_factory, name: str = "messy"):
    """Issue forms in a new folder and fill its 回收 with every kind of return: (folder, workspace).

    Skips the test without LibreOffice (it makes the .xls and .ods returns).
    """
    import shutil

    import pytest

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice not installed")
    box = tmp_path_factory.mktemp(name)
    ws, forms = issue_forms(box)
    (box / "回收").mkdir()
    (box / "work").mkdir()
    finance(forms, box)
    education(forms, box)
    health(forms, box)
    zip_bomb(forms["县财政局"], box / "回收" / "附件.xlsx")
    crafted_encrypted(box / "回收" / "加密.xlsx")
    (box / "回收" / "~$教育局(修改版).xlsx").write_bytes(b"\x00lock")
    (box / "回收" / "说明.docx").write_bytes(b"PK\x03\x04 not really")
    return box, ws


def ledger_tables(ws: Path) -> dict:
    """Every table of the ledger in ``ws`` except the run log and meta, rows sorted."""
    from zwgk_xl.ledger.store import Ledger

    with Ledger.open(ws) as led:
        return {name: sorted(led.conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
                for (name,) in led.conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT IN ('runs', 'meta')")}


# ---------------------------------------------------------------------------
# Hostile returns: the same form re-saved, renamed, edited or broken


def edit_part(src: Path, dst: Path, part: str, edit) -> Path:
    """``src`` with zip member ``part`` replaced by ``edit(bytes)`` (None: the member left out)."""
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:
                data = edit(data)
                if data is None:
                    continue
            zout.writestr(item.filename, data)
    return dst


def task_sheet_part(path: Path) -> str:
    """The zip member holding the 填报表 sheet of an openpyxl-saved workbook."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(r'<sheet[^>]*name="%s"[^>]*r:id="([^"]+)"' % fs.TASK_SHEET, wb).group(1)
    target = re.search(r'<Relationship[^>]*Id="%s"[^>]*Target="([^"]+)"' % rid, rels) or \
        re.search(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="%s"' % rid, rels)
    t = target.group(1)
    return t.lstrip("/") if t.startswith("/") else "xl/" + t


def add_cell_xml(src: Path, dst: Path, ref: str, text: str = "远处的内容") -> Path:
    """``src`` with one inline-string cell at ``ref`` (any row, e.g. XFD1048576 or A99999999) in its task sheet."""
    import re

    row = re.match(r"[A-Z]+(\d+)", ref).group(1)
    cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c></row>'.encode()
    return edit_part(src, dst, task_sheet_part(src), lambda x: x.replace(b"</sheetData>", cell + b"</sheetData>"))


def far_ods(dst: Path, rows: int = 3000, cols: int = 20, tables: int = 1, empty_rows: int = 1_048_000) -> Path:
    """A small .ods whose tables' last row, repeated ``rows`` times, repeats a value ``cols`` times (calamine
    would expand it into a rectangle, below ``empty_rows`` empty rows as LibreOffice writes them)."""
    import zipfile

    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for n in range(tables):
        table = Table(name=f"Sheet{n + 1}")
        row = TableRow()
        cell = TableCell(valuetype="string")
        cell.addElement(P(text="落实情况"))
        row.addElement(cell)
        table.addElement(row)
        if empty_rows:
            table.addElement(TableRow(numberrowsrepeated=empty_rows))
        doc.spreadsheet.addElement(table)
    plain = dst.with_suffix(".plain.ods")
    doc.save(str(plain))
    far = (f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell table:number-columns-repeated='
           f'"{cols}" office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
           f'</table:table-row>').encode()
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "content.xml":
                data = data.replace(b"</table:table>", far + b"</table:table>")
            zout.writestr(item, data)
    plain.unlink()
    return dst


def far_xls(dst: Path) -> Path | None:
    """A 6 KB .xls with one value at IV65536 (calamine would allocate every cell of the sheet), made by
    LibreOffice; None without LibreOffice."""
    import shutil
    import subprocess

    import xlsxwriter

    from zwgk_xl.core.office import soffice_path

    if not soffice_path():
        return None
    src = dst.parent / ".far_xls_source" / (dst.stem + ".xlsx")  # beside nothing the caller made
    src.parent.mkdir(exist_ok=True)
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("Sheet1")
    ws.write(0, 0, "落实情况")
    ws.write(65535, 255, 1)
    wb.close()
    subprocess.run([soffice_path(), "--headless", "--convert-to", "xls", "--outdir", str(dst.parent), str(src)],
                   check=True, capture_output=True, timeout=120)
    shutil.rmtree(src.parent)
    return dst
