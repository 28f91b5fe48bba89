"""merge never loses a round: replies as they really arrive (re-saved, pasted, renamed, edited, broken, hostile).

Each case replaces (or joins) one unit's good reply in a folder of good replies.  Every case asserts that
the merge finishes and writes the master, that every other unit's answers are in the ledger, that the
mutated file's unit gets its answers or a finding naming it (in 问题清单 too), and that running the merge
again leaves the ledger as one run left it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from _merge_helpers import (ROUND, add_cell_xml, add_vba, copy_values, crafted_encrypted, edit_part, fill,
                            issue_forms, ledger_tables, sample_plan, task, task_sheet_part, zip_bomb)
from zwgk_xl.forms import spec as fs
from zwgk_xl.ledger.store import Ledger
from zwgk_xl.merge.command import merge_folder, run_merge

OFFICE = "县人民政府办公室"
UNITS = ["县财政局", "县教育局", "县卫生健康局", OFFICE]
OLD_ROUND = "2021年第一季度"
DATE_CELL = "done_date"


def plan():
    doc = sample_plan()
    doc.roots[0].children.append(task(5, [OFFICE], [], "2021-09-30", "政务公开工作统筹"))
    return doc


def answers(unit: str) -> dict[str, dict]:
    """The good answers of ``unit``: one per task it was issued."""
    tasks = {"县财政局": ["一.(1)", "一.(3)"], "县教育局": ["一.(1)", "一.(2)", "一.(3)"],
             "县卫生健康局": ["一.(4)"], OFFICE: ["一.(5)"]}[unit]
    return {t: {"status": "已完成", "progress": f"{unit}{t}已按要求公开，共{len(t) * 7}条。"} for t in tasks}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """Issued forms, the ledger before any merge, and every unit's good reply."""
    root = tmp_path_factory.mktemp("adv")
    ws, forms = issue_forms(root, plan=plan())
    good = root / "good"
    good.mkdir()
    replies = {u: fill(forms[u], good / f"{u}回复.xlsx", rows=answers(u), fields={"filler": "经办人"}) for u in UNITS}
    return root, ws, forms, replies


def stored(ws: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """unit -> task -> (status, 落实情况) of the submissions in force."""
    with Ledger.open(ws) as led:
        reps = led.latest_reports(ROUND)
    out: dict[str, dict] = {}
    for (tid, unit), rep in reps.items():
        out.setdefault(unit, {})[tid] = (rep.status, rep.progress)
    return out


def fresh(base, tmp_path: Path, name: str = "台账") -> tuple[Path, Path, dict]:
    """A copy of the unmerged ledger and an empty 回收 folder: (workspace, folder, good replies)."""
    ws = tmp_path / name
    shutil.copytree(base[1], ws)
    box = tmp_path / "回收"
    box.mkdir(exist_ok=True)
    return ws, box, base[3]


def problem_list(path: Path) -> str:
    wb = CalamineWorkbook.from_path(str(path))
    name = next(n for n in wb.sheet_names if "问题" in n)
    return "\n".join("\t".join(map(str, r)) for r in wb.get_sheet_by_name(name).to_python())


# ---------------------------------------------------------------------------
# The cases: (victim, build(box, victim, base) -> None, expect)
# expect: "data" (its answers stored), or a finding kind naming the victim (its answers need not be stored),
# or ("data", kind): answers stored and that finding made.

def _box_files(box: Path, replies: dict, skip: str | None) -> None:
    for u, p in replies.items():
        if u != skip:
            shutil.copy(p, box / p.name)


def xl_edit(edit, name: str | None = None, fields=None):
    """The victim's issued form filled with its answers, then ``edit(wb, ws, first_row)`` in openpyxl."""
    def build(box, victim, b):
        _, _, forms, _ = b
        fill(forms[victim], box / (name or f"{victim}回复.xlsx"), rows=answers(victim),
             fields=fields or {"filler": "经办人"}, edit=edit)
    return build


def col(key: str) -> int:
    return fs.COLUMN_INDEX[key] + 1


def set_date(value, fmt="yyyy-mm-dd"):
    def edit(wb, ws, first):
        c = ws.cell(first, col(DATE_CELL))
        c.value = value
        c.number_format = fmt
    return edit


def rename_header(key: str, label: str):
    def edit(wb, ws, first):
        ws.cell(first - 1, col(key)).value = label
    return edit


def xml_edit(part_of, edit, name=None):
    """The victim's good reply with one zip member edited (``part_of(path)`` names it)."""
    def build(box, victim, b):
        src = b[3][victim]
        edit_part(src, box / (name or src.name), part_of(src), edit)
    return build


def sheet_xml(path):
    return task_sheet_part(path)


def renamed(name_of):
    def build(box, victim, b):
        shutil.copy(b[3][victim], box / name_of(victim))
    return build


def pasted(name_of, edit=None, unit_line=True):
    """The victim's filled table pasted into a new workbook (no metadata), saved as ``name_of(victim)``."""
    def build(box, victim, b):
        def strip(wb, ws, first):
            if not unit_line:
                for r in range(1, first - 1):
                    for c in range(1, 12):
                        ws.cell(r, c).value = None
            if edit:
                edit(wb, ws, first)
        copy_values(b[3][victim], box / name_of(victim), strip)
    return build


def csv_reply(encoding="utf-8-sig", suffix=".csv", delimiter=","):
    def build(box, victim, b):
        import csv
        import io

        rows = [[c.value if c.value is not None else "" for c in r]
                for r in openpyxl.load_workbook(b[3][victim])[fs.TASK_SHEET].iter_rows()]
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter).writerows(rows)
        (box / f"{victim}回复{suffix}").write_bytes(buf.getvalue().encode(encoding))
    return build


def raw_bytes(data_of, name="{u}回复.xlsx"):
    def build(box, victim, b):
        (box / name.format(u=victim)).write_bytes(data_of(b[3][victim]))
    return build


def with_stale(box, victim, b):
    """A previous round's form of the victim, sorting first, beside its current reply."""
    _box_files(box, {victim: b[3][victim]}, None)

    def old(wb, ws, first):
        meta = wb[fs.META_SHEET]
        for row in meta.iter_rows():
            if row[0].value == "round":
                row[1].value = OLD_ROUND
    fill(b[3][victim], box / "0_上季度.xlsx", edit=old)


def with_bomb_first(box, victim, b):
    _box_files(box, {victim: b[3][victim]}, None)
    zip_bomb(b[3][victim], box / "0_附件.xlsx")


def bomb_named(box, victim, b):
    zip_bomb(b[3][victim], box / f"{victim}回复.xlsx")


def gbk_name(box, victim, b):
    raw = os.fsencode(str(box)) + b"/" + f"{victim}回复（终稿）.xlsx".encode("gbk")
    with open(raw, "wb") as fh:
        fh.write(b[3][victim].read_bytes())


def long_name(box, victim, b):
    name = (f"关于报送{ROUND}政务公开工作要点落实情况的通知的回复函{victim}" * 3)[:76] + ".xlsx"
    shutil.copy(b[3][victim], box / name)


def two_forms(box, victim, b):
    """The victim's workbook also holds another unit's form on a second sheet."""
    other = next(u for u in UNITS if u != victim)
    src = openpyxl.load_workbook(b[3][other])[fs.TASK_SHEET]

    def edit(wb, ws, first):
        extra = wb.create_sheet("另一份")
        for row in src.iter_rows():
            for c in row:
                if c.value is not None:
                    extra.cell(c.row, c.column).value = c.value
    fill(b[3][victim], box / f"{victim}回复.xlsx", edit=edit)


def office_paste(box, victim, b):
    """县财政局's reply pasted into a new workbook named after the notice (which names the office)."""
    copy_values(b[3][victim], box / f"关于报送落实情况的通知({OFFICE})-{victim}回复.xlsx")


def foreign_form(box, victim, b):
    """Another unit's form (its metadata) saved under the victim's name."""
    other = "县卫生健康局" if victim != "县卫生健康局" else "县财政局"
    fill(b[2][other], box / f"{victim}.xlsx", rows=answers(other), fields={"filler": "另一位经办人"})


def older_and_newer(box, victim, b):
    old = fill(b[2][victim], box / f"{victim}初稿.xlsx", rows={t: {"status": "推进中", "progress": "初稿"}
                                                              for t in answers(victim)})
    t = dt.datetime(2021, 7, 1).timestamp()
    os.utime(old, (t, t))
    shutil.copy(b[3][victim], box / f"{victim}回复.xlsx")


def copy_in_subfolder(box, victim, b):
    shutil.copy(b[3][victim], box / f"{victim}回复.xlsx")
    (box / "再次发送").mkdir()
    shutil.copy(b[3][victim], box / "再次发送" / f"{victim}.xlsx")


def lock_only(box, victim, b):
    (box / f"~${victim}回复.xlsx").write_bytes(b"\0lock")


def macros(box, victim, b):
    add_vba(b[3][victim], box / f"{victim}回复.xlsm")


def encrypted(box, victim, b):
    crafted_encrypted(box / f"{victim}回复.xlsx")


def docx_reply(box, victim, b):
    with zipfile.ZipFile(box / f"{victim}情况说明.docx", "w") as z:
        z.writestr("word/document.xml", "<w:document/>")


def no_extension(box, victim, b):
    shutil.copy(b[3][victim], box / f"{victim}回复")


def error_value(box, victim, b):
    src = b[3][victim]

    def edit(xml):
        import re

        return re.sub(rb'<c r="I6"[^>]*?(/>|>.*?</c>)', b'<c r="I6" t="e"><f>1/0</f><v>#DIV/0!</v></c>', xml, count=1,
                      flags=re.S)
    edit_part(src, box / src.name, task_sheet_part(src), edit)


def styled_empty_rows(xml):
    rows = b"".join(b'<row r="%d"><c r="A%d" s="0"/></row>' % (i, i) for i in range(200, 20200))
    return xml.replace(b"</sheetData>", rows + b"</sheetData>")


def huge_dimension(xml):
    import re

    return re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', xml)


def move_table(wb, ws, first):
    ws.insert_rows(1, 3)
    ws.insert_cols(1, 2)


def reorder(wb, ws, first):
    a = [c.value for c in ws[first]]
    b = [c.value for c in ws[first + 1]]
    for j, (x, y) in enumerate(zip(a, b), start=1):
        ws.cell(first, j).value, ws.cell(first + 1, j).value = y, x


# --- replies sent as .zip archives (merge.archives) ---------------------------------------------------------

def _zip(box, victim, members: dict[str, bytes]) -> Path:
    path = box / f"{victim}报送材料.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _patch_headers(path: Path, member: str, *, size: int | None = None, flags: int = 0) -> None:
    """Rewrite ``member``'s declared size and OR ``flags`` into its general-purpose bits, in both its local
    and its central header (what a crafted archive does)."""
    import struct
    data = bytearray(path.read_bytes())
    name = member.encode()
    for sig, flag_at, size_at, name_len_at, head in ((b"PK\x03\x04", 6, 22, 26, 30), (b"PK\x01\x02", 8, 24, 28, 46)):
        at = data.find(sig)
        while at >= 0:
            n = struct.unpack_from("<H", data, at + name_len_at)[0]
            if bytes(data[at + head:at + head + n]) == name:
                struct.pack_into("<H", data, at + flag_at, struct.unpack_from("<H", data, at + flag_at)[0] | flags)
                if size is not None:
                    struct.pack_into("<I", data, at + size_at, size)
            at = data.find(sig, at + 4)
    path.write_bytes(bytes(data))


def zipped(box, victim, b):
    _zip(box, victim, {f"材料/{victim}回复.xlsx": b[3][victim].read_bytes(), "材料/盖章件.pdf": b"%PDF-1.4"})


def zipped_on_a_mac(box, victim, b):
    """Compressed in a Mac's Finder: AppleDouble copies under __MACOSX/ and a .DS_Store beside the form."""
    _zip(box, victim, {f"{victim}回复.xlsx": b[3][victim].read_bytes(), f"__MACOSX/._{victim}回复.xlsx": b"\0\5\26\7",
                       ".DS_Store": b"Bud1"})


def zipped_gbk_name(box, victim, b):
    """A zip made on Chinese Windows: member names in GBK, no UTF-8 flag."""
    gbk = "回复（终稿）.xlsx".encode("gbk")
    path = _zip(box, victim, {"x" * (len(gbk) - 5) + ".xlsx": b[3][victim].read_bytes()})
    path.write_bytes(path.read_bytes().replace(b"x" * (len(gbk) - 5) + b".xlsx", gbk))


def zipped_escaping(box, victim, b):
    _zip(box, victim, {"../../../../逃逸回复.xlsx": b[3][victim].read_bytes(), "/abs/回复2.csv": b"a,b\n"})


def zipped_nested(box, victim, b):
    inner = box / "inner.zip"
    _zip(box, victim, {"回复.xlsx": b[3][victim].read_bytes()}).rename(inner)
    _zip(box, victim, {"里层.zip": inner.read_bytes()})
    inner.unlink()


def zip_not_a_zip(box, victim, b):
    (box / f"{victim}报送材料.zip").write_bytes(b"Rar!\x1a\x07\x00" + os.urandom(200))


def zip_declared_huge(box, victim, b):
    path = _zip(box, victim, {"回复.xlsx": b[3][victim].read_bytes()})
    _patch_headers(path, "回复.xlsx", size=0xF0000000)


def zip_member_lies(box, victim, b):
    path = _zip(box, victim, {"回复.xlsx": b[3][victim].read_bytes()})
    _patch_headers(path, "回复.xlsx", size=100)  # inflates far beyond what it declares


def zip_encrypted(box, victim, b):
    path = _zip(box, victim, {"回复.xlsx": b[3][victim].read_bytes()})
    _patch_headers(path, "回复.xlsx", flags=0x1)


def zip_many_members(box, victim, b):
    _zip(box, victim, {"回复.xlsx": b[3][victim].read_bytes(), **{f"x/{i}.txt": b"" for i in range(2500)}})


def merged_answers(wb, ws, first):
    """One 落实情况 and one 完成状态 for the first two tasks, in cells merged down both rows."""
    for key in ("status", "progress"):
        c = fs.COLUMN_INDEX[key] + 1
        ws.cell(first + 1, c).value = None
        ws.merge_cells(start_row=first, start_column=c, end_row=first + 1, end_column=c)

def continued_row(wb, ws, first):
    """More of the first task's answer typed on a row inserted below it (no id, no task text)."""
    ws.insert_rows(first + 1)
    ws.cell(first + 1, fs.COLUMN_INDEX["progress"] + 1).value = "（续）另公开目录12条。"
    ws.cell(first + 1, fs.COLUMN_INDEX["problems"] + 1).value = "人手不足"

def signed_below(wb, ws, first):
    """A signature block typed under the table: 填表人 and 联系电话 there, not in the cells above it."""
    last = ws.max_row
    ws.cell(last + 2, 1).value = "填表人："
    ws.cell(last + 2, 2).value = "王芳"
    ws.cell(last + 2, 4).value = "联系电话：0871-6123456"
    ws.cell(last + 3, 1).value = "审核人：李四"
    ws.cell(last + 3, 4).value = "（单位盖章）"

def unfilled(box, victim, b):
    """The issued form sent back as it was (a department replying with the wrong file)."""
    shutil.copy(b[2][victim], box / f"{victim}回复.xlsx")

def _word_table(src: Path, dst: Path) -> Path:
    """The form's table (header and task rows) typed into a Word document, a title above it."""
    import docx

    sheet = openpyxl.load_workbook(src)[fs.TASK_SHEET]
    rows = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(min_row=fs.HEADER_ROW + 1,
                                                                               values_only=True)]
    doc = docx.Document()
    doc.add_paragraph("落实情况")
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            table.cell(i, j).text = v
    doc.save(dst)
    return dst


def word_table(box, victim, b):
    _word_table(b[3][victim], box / f"{victim}落实情况.docx")


def word_bomb(box, victim, b):
    path = _word_table(b[3][victim], box / f"{victim}落实情况.docx")
    _patch_headers(path, "word/document.xml", size=0xF0000000)

CASES = {
    # values typed into cells
    "date cell holds 20200901": ("县财政局", xl_edit(set_date(20200901)), ("data", "invalid-date")),
    "date as text 6月20日 (no year)": ("县财政局", xl_edit(set_date("6月20日", "@")), "data"),
    "date cell holds 2958466": ("县财政局", xl_edit(set_date(2958466)), ("data", "invalid-date")),
    "date cell holds 1e300": ("县财政局", xl_edit(set_date(1e300)), ("data", "invalid-date")),
    "date cell holds -5": ("县财政局", xl_edit(set_date(-5)), "data"),
    "date cell holds 0.5 (a time)": ("县财政局", xl_edit(set_date(0.5, "hh:mm")), "data"),
    "date as text 2021年13月45日": ("县教育局", xl_edit(set_date("2021年13月45日", "@")), ("data", "invalid-date")),
    "date with a time": ("县教育局", xl_edit(set_date(dt.datetime(2021, 6, 30, 14, 30), "yyyy-mm-dd hh:mm")), "data"),
    "fill date is a number": ("县财政局", xl_edit(None, fields={"filler": "张", "fill_date": 99999999}),
                              ("data", "invalid-date")),
    "status not in the list": ("县教育局", xl_edit(lambda wb, ws, f: setattr(ws.cell(f, col("status")), "value", "差不多")),
                               ("data", "invalid-status")),
    "status a number": ("县教育局", xl_edit(lambda wb, ws, f: setattr(ws.cell(f, col("status")), "value", 1)),
                        ("data", "invalid-status")),
    "status empty": ("县教育局", xl_edit(lambda wb, ws, f: setattr(ws.cell(f, col("status")), "value", None)),
                     ("data", "required-empty")),
    "progress 40,000 characters": ("县卫生健康局",
                                   xl_edit(lambda wb, ws, f: setattr(ws.cell(f, col("progress")), "value", "长" * 40000)),
                                   "data"),
    "progress a boolean": ("县卫生健康局", xl_edit(lambda wb, ws, f: setattr(ws.cell(f, col("progress")), "value", True)),
                           "data"),
    "progress a live formula": ("县卫生健康局",
                                xl_edit(lambda wb, ws, f: setattr(ws.cell(f, col("progress")), "value", "=A1&B1")),
                                ("data", "formula-no-value")),
    "formula error value": ("县财政局", error_value, ("data", "formula-error")),
    # headers retyped
    "header 工作落实情况": ("县教育局", xl_edit(rename_header("progress", "工作落实情况")), "data"),
    "header 落实情况说明": ("县教育局", xl_edit(rename_header("progress", "落实情况说明")), "data"),
    "header 完成情况": ("县教育局", xl_edit(rename_header("progress", "完成情况")), "data"),
    "header with Alt+Enter": ("县教育局", xl_edit(rename_header("status", "完成\n状态")), "data"),
    "header full-width spaced": ("县教育局", xl_edit(rename_header("progress", " 落　实 情 况 ")), "data"),
    "header with a note": ("县教育局", xl_edit(rename_header("progress", "落实情况（必填）")), "data"),
    "header id retyped": ("县教育局", xl_edit(rename_header("id", "编 号")), "data"),
    "header 落实情况 unknown": ("县教育局", xl_edit(rename_header("progress", "备注")), "column-missing"),
    "header 完成状态 gone": ("县教育局", xl_edit(rename_header("status", None)), "column-missing"),
    "optional column gone": ("县教育局", xl_edit(rename_header("evidence", "附件")), ("data", "column-missing")),
    # layout edited
    "table moved down and right": ("县财政局", xl_edit(move_table), "data"),
    "rows reordered": ("县教育局", xl_edit(reorder), ("data", "rows-reordered")),
    "row deleted": ("县教育局", xl_edit(lambda wb, ws, f: ws.delete_rows(f + 1)), ("data", "row-deleted")),
    "another unit's task added": ("县卫生健康局", xl_edit(lambda wb, ws, f: setattr(ws.cell(f + 1, 1), "value", "一.(5)")),
                                  ("data", "row-inserted")),
    "sheet renamed": ("县财政局", xl_edit(lambda wb, ws, f: setattr(ws, "title", "Sheet1")), "data"),
    "empty sheet added first": ("县财政局", xl_edit(lambda wb, ws, f: wb.create_sheet("说明", 0)), "data"),
    "two forms in one workbook": ("县财政局", two_forms, ("data", "second-form")),
    # sizes
    "cell at XFD1048576": ("县财政局", lambda box, v, b: add_cell_xml(b[3][v], box / f"{v}回复.xlsx", "XFD1048576"),
                           ("data", "cells-out-of-range")),
    "cell at row 99,999,999": ("县财政局", lambda box, v, b: add_cell_xml(b[3][v], box / f"{v}回复.xlsx", "A99999999"),
                               ("data", "cells-out-of-range")),
    "cell at column ZZ": ("县财政局", lambda box, v, b: add_cell_xml(b[3][v], box / f"{v}回复.xlsx", "ZZ7"),
                          ("data", "cells-out-of-range")),
    "dimension A1:XFD1048576": ("县财政局", xml_edit(sheet_xml, huge_dimension), "data"),
    "20,000 styled empty rows": ("县财政局", xml_edit(sheet_xml, styled_empty_rows), "data"),
    "zip bomb named after the unit": ("县财政局", bomb_named, "zip-bomb"),
    "zip bomb sorting first": ("县财政局", with_bomb_first, "data"),
    # identity and round
    "stale previous-round form sorting first": ("县教育局", with_stale, ("data", "wrong-round")),
    "pasted copy named after the notice and the office": ("县财政局", office_paste, ("data", "unit-from-filename")),
    "pasted copy, unit only in the file name": ("县财政局", pasted(lambda u: f"{u}.xlsx", unit_line=False),
                                                ("data", "unit-from-filename")),
    "pasted copy without a name": ("县卫生健康局", pasted(lambda u: "回复.xlsx"), ("data", "unit-from-content")),
    "pasted copy named by the office only": ("县财政局", pasted(lambda u: f"通知({OFFICE}).xlsx"), "data"),
    "another unit's form under this unit's name": ("县教育局", foreign_form, "unit-conflict"),
    "pasted copy under another unit's name": ("县教育局", pasted(lambda u: "县卫生健康局回复(更正).xlsx"), "unit-conflict"),
    "file name names two units": ("县财政局", renamed(lambda u: f"{u}、县教育局联合报送.xlsx"), "data"),
    "file name names the office": ("县财政局", renamed(lambda u: f"关于报送落实情况的通知({OFFICE}).xlsx"), "data"),
    "older and newer reply": ("县教育局", older_and_newer, ("data", "duplicate-submission")),
    "a byte-identical copy in a subfolder": ("县教育局", copy_in_subfolder, ("data", "duplicate-file")),
    # names
    "file name in GBK bytes": ("县财政局", gbk_name, "data"),
    "80-character file name": ("县财政局", long_name, "data"),
    # formats
    "csv reply": ("县卫生健康局", csv_reply(), ("data", "unit-from-filename")),
    "csv reply in GBK": ("县卫生健康局", csv_reply("gb18030"), ("data", "unit-from-filename")),
    "tab-separated reply": ("县卫生健康局", csv_reply(suffix=".tsv", delimiter="\t"), "data"),
    "reply without extension": ("县财政局", no_extension, "data"),
    "macros": ("县财政局", macros, ("data", "macros-present")),
    "Word document instead": ("县财政局", docx_reply, "reply-not-spreadsheet"),
    # broken
    "truncated": ("县财政局", raw_bytes(lambda p: p.read_bytes()[: len(p.read_bytes()) // 2]), "unreadable"),
    "random bytes": ("县财政局", raw_bytes(lambda p: os.urandom(3000)), "unreadable"),
    "empty file": ("县财政局", raw_bytes(lambda p: b""), "unreadable"),
    "password": ("县财政局", encrypted, "password-protected"),
    "shared strings missing": ("县财政局", xml_edit(lambda p: "xl/sharedStrings.xml", lambda x: None), "any"),
    "styles missing": ("县财政局", xml_edit(lambda p: "xl/styles.xml", lambda x: None), "any"),
    "sheet XML garbage": ("县财政局", xml_edit(sheet_xml, lambda x: x[: len(x) // 2]), "any"),
    "workbook rels missing": ("县财政局", xml_edit(lambda p: "xl/_rels/workbook.xml.rels", lambda x: None), "any"),
    "only a lock file": ("县卫生健康局", lock_only, "missing-submission"),
    "answers in cells merged over two tasks": ("县教育局", xl_edit(merged_answers), ("data", "merged-cells")),
    "answer continued on an inserted row": ("县教育局", xl_edit(continued_row), ("data", "row-continued")),
    "a signature block below the table": ("县教育局", xl_edit(signed_below, fields={"filler": ""}),
                                          ("data", "footnote-row")),
    "the issued form sent back unfilled": ("县财政局", unfilled, "blank-form"),
    "the table typed into Word": ("县财政局", word_table, ("data", "reply-in-word")),
    "a Word reply declaring 4 GB": ("县财政局", word_bomb, "reply-not-spreadsheet"),
    "zipped with its scan": ("县财政局", zipped, "data"),
    "zipped on a Mac": ("县财政局", zipped_on_a_mac, "data"),
    "zipped, GBK member name": ("县财政局", zipped_gbk_name, "data"),
    "zipped, names escaping the folder": ("县财政局", zipped_escaping, "data"),
    "zip inside a zip": ("县财政局", zipped_nested, "reply-not-spreadsheet"),
    "zip that is not a zip": ("县财政局", zip_not_a_zip, "unreadable"),
    "zip declaring 4 GB": ("县财政局", zip_declared_huge, "zip-bomb"),
    "zip member inflating past its size": ("县财政局", zip_member_lies, "unreadable"),
    "zip member encrypted": ("县财政局", zip_encrypted, "unreadable"),
    "zip of 2,500 members": ("县财政局", zip_many_members, "zip-bomb"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_one_bad_reply_never_loses_the_round(base, tmp_path, name):
    victim, build, expect = CASES[name]
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, victim)
    build(box, victim, base)
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    assert Path(result.output).is_file()
    got = stored(ws)
    for u in UNITS:
        if u != victim:
            assert got.get(u) == {t: (a["status"], a["progress"]) for t, a in answers(u).items()}, u
    wants_data = expect == "data" or (isinstance(expect, tuple) and expect[0] == "data")
    kind = expect[1] if isinstance(expect, tuple) else None if expect in ("data", "any") else expect
    naming = [f for f in result.findings if f.severity != "info" and (victim in f.unit or victim in f.message)]
    if wants_data:
        assert victim in got, [f.to_dict() for f in result.findings]
        assert all(p for _, p in got[victim].values()) or kind in ("required-empty", "formula-no-value", "row-deleted")
    elif expect == "any":
        assert victim in got or naming
    if kind:
        assert any(f.type == kind and (victim in f.unit or victim in f.message or victim in f.file)
                   for f in result.findings), \
            [(f.type, f.unit, f.message) for f in result.findings]
    if victim not in got:
        assert naming
        listed = problem_list(Path(result.output))
        assert victim in listed
    assert all(f.type != "unexpected-error" for f in result.findings), [f.message for f in result.findings]
    once = ledger_tables(ws)
    with Ledger.open(ws) as led:
        merge_folder(box, led, workers=1)
    assert ledger_tables(ws) == once  # a re-run changes nothing


def test_stale_form_never_changes_the_round(base, tmp_path):
    """Without --round, the ledger's round is used; an older round's form sorting first is one finding."""
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, None)
    with_stale(box, "县教育局", base)
    with Ledger.open(ws) as led:
        result = merge_folder(box, led, workers=1)
        assert result.round == ROUND and led.rounds() == [ROUND]
        assert {s.round for s in led.submissions(ROUND)} == {ROUND} and len(led.current_submissions(ROUND)) == 4
    assert [f.type for f in result.findings if f.file == "0_上季度.xlsx"] == ["wrong-round"]


def test_pasted_copy_never_displaces_the_office_reply(base, tmp_path):
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县财政局")
    office_paste(box, "县财政局", base)
    with Ledger.open(ws) as led:
        result = merge_folder(box, led, workers=1)
        current = led.current_submissions(ROUND)
    assert current[OFFICE].file_name == f"{OFFICE}回复.xlsx"
    assert current["县财政局"].identified_by == "filename"
    assert not [f for f in result.findings if f.type == "duplicate-submission"]


def test_conflict_names_both_candidates_and_the_evidence(base, tmp_path):
    ws, box, replies = fresh(base, tmp_path)
    foreign_form(box, "县教育局", base)
    with Ledger.open(ws) as led:
        result = merge_folder(box, led, workers=1)
    f = next(f for f in result.findings if f.type == "unit-conflict")
    assert "「县卫生健康局」" in f.message and "「县教育局」" in f.message and "填报表元数据" in f.message
    assert f.file == "县教育局.xlsx" and f.severity == "error"


def test_gbk_name_is_archived_and_shown_readably(base, tmp_path):
    ws, box, replies = fresh(base, tmp_path)
    gbk_name(box, "县财政局", base)
    long_name(box, "县教育局", base)
    with Ledger.open(ws) as led:
        result = merge_folder(box, led, workers=1)
        names = {s.file_name for s in led.submissions(ROUND)}
    assert "县财政局回复（终稿）.xlsx" in names
    archived = list((ws / "归档").iterdir())
    assert all(len(p.name.encode()) <= 120 for p in archived) and len(archived) >= 2
    assert {f.outcome for f in result.files} == {"accepted"}


def test_an_unforeseen_error_in_one_file_is_its_finding(base, tmp_path, monkeypatch):
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, None)
    import zwgk_xl.merge.checking as checking

    real = checking.Checker.check_table

    def boom(self):
        if self.unit == "县教育局":
            raise ZeroDivisionError("bug")
        return real(self)

    monkeypatch.setattr(checking.Checker, "check_table", boom)
    result = run_merge(box, workspace=ws, output=tmp_path / "m.xlsx", workers=1)
    f = next(f for f in result.findings if f.type == "unexpected-error")
    assert "ZeroDivisionError" in f.message and f.unit == "县教育局" and f.file == "县教育局回复.xlsx"
    assert set(stored(ws)) == set(UNITS) - {"县教育局"}
    import zwgk_xl.ledger.store as store

    real_store = store.Ledger.store_submission

    def failing(self, sub):
        if sub.unit == "县财政局":
            raise OSError("disk full")
        return real_store(self, sub)

    monkeypatch.setattr(checking.Checker, "check_table", real)
    monkeypatch.setattr(store.Ledger, "store_submission", failing)
    ws2 = fresh(base, tmp_path, "台账2")[0]
    result = run_merge(box, workspace=ws2, output=tmp_path / "m2.xlsx", workers=1)
    assert any(f.type == "unexpected-error" and f.unit == "县财政局" and "OSError" in f.message for f in result.findings)
    assert set(stored(ws2)) == set(UNITS) - {"县财政局"}


def test_sender_is_evidence_too(base, tmp_path):
    """A form whose metadata names one unit, mailed by another (mail fetch recorded the sender), is held."""
    import hashlib

    from zwgk_xl.mail.log import ensure_tables, record_received

    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, None)
    sent = {"县财政局": "县教育局", "县卫生健康局": "县卫生健康局"}  # file of -> sender recorded
    with Ledger.open(ws) as led:
        ensure_tables(led.conn)
        for n, (unit, sender) in enumerate(sent.items()):
            record_received(led.conn, sha256=hashlib.sha256(replies[unit].read_bytes()).hexdigest(),
                            sender=f"u{n}@example.cn", filename=replies[unit].name, message_id=f"<m{n}@example.cn>",
                            fetched_at="2021-07-03T10:00:00", original_name=replies[unit].name, unit=sender,
                            subject="回复")
        result = merge_folder(box, led, workers=1)
        current = led.current_submissions(ROUND)
    assert set(current) == set(UNITS) - {"县财政局"}
    f = next(f for f in result.findings if f.type == "unit-conflict")
    assert f.file == "县财政局回复.xlsx" and "来信单位为「县教育局」" in f.message and "「县财政局」" in f.message


def test_second_form_of_another_unit_is_merged_a_third_is_named(base, tmp_path):
    """县财政局's workbook also carries 县卫生健康局's form (which sent nothing else) and a copy of its own."""
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县卫生健康局")
    health = openpyxl.load_workbook(replies["县卫生健康局"])[fs.TASK_SHEET]
    own = openpyxl.load_workbook(replies["县财政局"])[fs.TASK_SHEET]

    def edit(wb, ws_, first):
        for title, src in (("卫健", health), ("副本", own)):
            sheet = wb.create_sheet(title)
            for row in src.iter_rows():
                for c in row:
                    if c.value is not None:
                        sheet.cell(c.row, c.column).value = c.value
    fill(replies["县财政局"], box / "县财政局回复.xlsx", edit=edit)
    result = run_merge(box, workspace=ws, output=tmp_path / "m.xlsx", workers=1)
    got = stored(ws)
    assert got["县卫生健康局"] == {t: (a["status"], a["progress"]) for t, a in answers("县卫生健康局").items()}
    assert got["县财政局"] == {t: (a["status"], a["progress"]) for t, a in answers("县财政局").items()}
    second = [(f.sheet, f.unit, f.severity) for f in result.findings if f.type == "second-form"]
    assert second == [("卫健", "县卫生健康局", "info"), ("副本", "县财政局", "warning")]
    out = next(f for f in result.files if f.file == "县财政局回复.xlsx")
    assert out.unit == "县财政局" and out.also == ["县卫生健康局"] and "县卫生健康局" in result.units_submitted


def test_answer_shaped_like_markup_reaches_the_master_as_text(base, tmp_path):
    """xlsxwriter writes a string <r>…</r> into the shared strings as rich-text markup: such an answer must
    stay text in the master (not vanish, not add XML of its own to the leaders' workbook)."""
    forms = base[2]
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县卫生健康局")
    text = "<r></r></si><si><t>注入</t></si><si><r></r>"
    fill(forms["县卫生健康局"], box / "县卫生健康局回复.xlsx", rows={"一.(4)": {"status": "已完成", "progress": text}})
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    assert stored(ws)["县卫生健康局"]["一.(4)"] == ("已完成", text)
    detail = CalamineWorkbook.from_path(result.output).get_sheet_by_name("明细").to_python()
    assert [r[5] for r in detail if r[2] == "县卫生健康局"] == [text]
    with zipfile.ZipFile(result.output) as z:
        sst = z.read("xl/sharedStrings.xml").decode()
    assert "<si><t>注入</t></si>" not in sst
    opened = openpyxl.load_workbook(result.output)["明细"]
    assert text in [c.value for c in opened["F"]]


def _scan(box: Path, unit: str, later: bool) -> str:
    """A stamped scan of ``unit``'s reply (a PDF), dated a minute after the forms when ``later``."""
    name = f"{unit}_盖章件.pdf"
    (box / name).write_bytes(b"%PDF-1.4\n%scan\n")
    if later:
        t = dt.datetime.now().timestamp() + 60
        os.utime(box / name, (t, t))
    return name


def test_a_scan_beside_the_form_is_a_note_not_a_missing_form(base, tmp_path):
    """Departments send the stamped scan with the form: a note, archived; the round stays clean."""
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, None)
    scan = _scan(box, "县财政局", later=True)
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    assert result.exit_code == 0, [(f.type, f.message) for f in result.findings if f.severity != "info"]
    note = next(f for f in result.findings if f.file == scan)
    assert (note.type, note.severity, note.unit) == ("attachment", "info", "县财政局")
    assert "盖章扫描件" in note.message and "已归档" in note.message
    assert [f.outcome for f in result.files if f.file == scan] == ["attached"]
    assert "采用 4，另附 1，拒收 0" in result.summary()
    assert stored(ws)["县财政局"] == {t: (a["status"], a["progress"]) for t, a in answers("县财政局").items()}
    assert any(p.suffix == ".pdf" for p in (ws / "归档").iterdir())  # kept for the record
    rows = [line.split("\t") for line in problem_list(Path(result.output)).splitlines()]
    assert [(r[1], r[3]) for r in rows if r[5] == scan] == [("提示", "attachment")]


def test_a_scan_alone_is_a_missing_form_until_the_form_arrives(base, tmp_path):
    """Only the scan: a warning naming what it likely is and the unit stays 未报送; once the form arrives,
    the same scan is a note in the merge and in the master."""
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县财政局")
    scan = _scan(box, "县财政局", later=False)
    first = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    warn = next(f for f in first.findings if f.file == scan)
    assert (warn.type, warn.severity) == ("reply-not-spreadsheet", "warning")
    assert "（.pdf，可能是盖章扫描件）" in warn.message and "县财政局" in first.units_missing
    assert [f.outcome for f in first.files if f.file == scan] == ["rejected"]
    shutil.copy(replies["县财政局"], box / replies["县财政局"].name)
    t = dt.datetime.now().timestamp() - 3600  # the form sent before its scan: the scan's finding stays relevant
    os.utime(box / replies["县财政局"].name, (t, t))
    again = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    assert again.unchanged == 4 and not again.units_missing
    assert [(f.type, f.severity) for f in again.findings if f.file == scan] == [("attachment", "info")]
    assert again.exit_code == 0
    rows = [line.split("\t") for line in problem_list(Path(again.output)).splitlines()]
    assert [(r[1], r[3]) for r in rows if r[5] == scan] == [("提示", "attachment")]


def test_zipped_replies_are_merged_one_by_one_and_nothing_escapes(base, tmp_path):
    """One archive holding two units' forms (GBK and escaping names), a scan and a nested archive: both forms
    merged under names showing where they came from; nothing written outside the 台账's unpack folder; a
    re-run reads nothing and leaves the master."""
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县财政局")
    gbk = "县财政局回复（终稿）.xlsx".encode("gbk")
    path = box / "各单位报送材料.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("p" * (len(gbk) - 5) + ".xlsx", replies["县财政局"].read_bytes())
        z.writestr("../../县教育局回复.xlsx", replies["县教育局"].read_bytes())
        z.writestr("盖章件.pdf", b"%PDF-1.4")
        z.writestr("旧.zip", b"PK\x05\x06" + b"\0" * 18)
    path.write_bytes(path.read_bytes().replace(b"p" * (len(gbk) - 5) + b".xlsx", gbk))
    (box / f"{'县教育局回复.xlsx'}").unlink()
    before = {p for p in tmp_path.rglob("*")}
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    assert stored(ws) == {u: {t: (a["status"], a["progress"]) for t, a in answers(u).items()} for u in UNITS}
    shown = {f.file: f.outcome for f in result.files}
    assert shown["各单位报送材料.zip/县财政局回复（终稿）.xlsx"] == "accepted"
    assert shown["各单位报送材料.zip/../../县教育局回复.xlsx"] == "accepted"
    assert shown["各单位报送材料.zip"] == "unpacked"
    note = next(f for f in result.findings if f.file == "各单位报送材料.zip")
    assert note.severity == "info" and "取出其中 2 个表格文件" in note.message and "盖章件.pdf、旧.zip" in note.message
    assert "含从 1 个压缩包中取出的 2 个" in result.summary() and result.exit_code == 0
    new = {p for p in tmp_path.rglob("*")} - before
    outside = [p for p in new if not (ws / ".~zwgk_unpacked" in p.parents or p == ws / ".~zwgk_unpacked"
                                      or ws / "归档" in p.parents or p.parent == ws or p.parent == tmp_path)]
    assert outside == [], outside
    assert not any("逃逸" in p.name or p.name == "县教育局回复.xlsx" for p in new if box in p.parents or p.parent == tmp_path)
    once = ledger_tables(ws)
    again = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    assert again.unchanged == len(again.files) and not again.master_written
    assert ledger_tables(ws) == once
    unpacked = ws / ".~zwgk_unpacked"
    (unpacked / "keep.txt").write_text("not the tool's")  # what the tool did not make stays
    path.rename(tmp_path / path.name)  # the archive leaves the folder: its copies go, its submissions stay
    run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    assert [p.name for p in unpacked.iterdir()] == ["keep.txt"]
    assert set(stored(ws)) == set(UNITS)


def test_zipped_reply_read_by_worker_processes(base, tmp_path, monkeypatch):
    """Files taken out of an archive are read alike by worker processes (their names travel with the reader)."""
    monkeypatch.setattr("zwgk_xl.merge.workers.PARALLEL_MIN_FILES", 1)
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县财政局")
    zipped(box, "县财政局", base)
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=2)
    assert result.workers > 1
    assert stored(ws)["县财政局"] == {t: (a["status"], a["progress"]) for t, a in answers("县财政局").items()}
    assert "县财政局报送材料.zip/材料/县财政局回复.xlsx" in {f.file for f in result.files if f.outcome == "accepted"}


def test_a_zip_from_a_units_mail_names_the_unit_of_what_it_holds(base, tmp_path):
    """A pasted copy (no metadata, no unit in any name) inside an archive mail fetch took from 县财政局's mail."""
    import hashlib

    from zwgk_xl.mail.log import ensure_tables, record_received

    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县财政局")
    pasted = copy_values(replies["县财政局"], tmp_path / "回复.xlsx")
    archive = box / "材料.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("回复.xlsx", pasted.read_bytes())
    with Ledger.open(ws) as led:
        ensure_tables(led.conn)
        record_received(led.conn, sha256=hashlib.sha256(archive.read_bytes()).hexdigest(), sender="czj@example.cn",
                        filename=archive.name, message_id="<z@example.cn>", fetched_at="2021-07-03T10:00:00",
                        original_name=archive.name, unit="县财政局", subject="回复")
        result = merge_folder(box, led, workers=1)
        current = led.current_submissions(ROUND)
    assert current["县财政局"].file_name == "材料.zip/回复.xlsx"
    assert current["县财政局"].identified_by == "mail"
    assert [f.type for f in result.findings if f.file == "材料.zip/回复.xlsx"] == ["unit-from-mail"]


def test_a_scan_or_rar_from_a_units_mail_is_named_after_the_unit(base, tmp_path):
    """Files mail fetch saved that are not spreadsheets, their names naming no unit: the mail's unit is theirs.
    县财政局 sent only a .rar (a warning: its form is still missing, and why); 县教育局 its form and a scan."""
    import hashlib

    from zwgk_xl.mail.log import ensure_tables, record_received

    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县财政局")
    (box / "材料.rar").write_bytes(b"Rar!\x1a\x07\x00" + os.urandom(200))
    (box / "扫描件.pdf").write_bytes(b"%PDF-1.4 scan")
    with Ledger.open(ws) as led:
        ensure_tables(led.conn)
        for name, unit in (("材料.rar", "县财政局"), ("扫描件.pdf", "县教育局")):
            record_received(led.conn, sha256=hashlib.sha256((box / name).read_bytes()).hexdigest(),
                            sender="x@example.cn", filename=name, message_id=f"<{name}@example.cn>",
                            fetched_at="2021-07-03T10:00:00", original_name=name, unit=unit, subject="回复")
        result = merge_folder(box, led, workers=1)
    by_file = {f.file: f for f in result.findings if f.file in ("材料.rar", "扫描件.pdf")}
    rar, scan = by_file["材料.rar"], by_file["扫描件.pdf"]
    assert (rar.type, rar.severity, rar.unit) == ("reply-not-spreadsheet", "warning", "县财政局")
    assert "压缩包，未打开；请对方改发 .zip 或直接发表格" in rar.message
    assert (scan.type, scan.severity, scan.unit) == ("attachment", "info", "县教育局")
    assert "县财政局" in result.units_missing and "县教育局" not in result.units_missing


def test_the_same_archive_sent_twice_counts_once(base, tmp_path):
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县财政局")
    zipped(box, "县财政局", base)
    shutil.copy(box / "县财政局报送材料.zip", box / "县财政局报送材料(1).zip")
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    got = {f.file: f.outcome for f in result.files if "/" in f.file}
    assert sorted(got.values()) == ["accepted", "skipped"], got
    dup = next(f for f in result.findings if f.type == "duplicate-file")
    kept = next(f for f, outcome in got.items() if outcome == "accepted")
    assert got[dup.file] == "skipped" and kept in dup.message


def test_merged_inputs_fill_only_input_cells_below_the_header_within_bounds():
    from zwgk_xl.merge.checking import MERGED_CELLS, merged_inputs

    cols = {"id": 0, "title": 1, "status": 2, "progress": 3}
    rows = [["任务编号", "工作任务", "完成状态", "落实情况"], ["1", "甲", "已完成", "合办"], ["2", "乙", None, ""],
            ["3", "丙", "推进中", "另写"]]
    merged = [((1, 2), (2, 3)), ((1, 1), (2, 1)), ((0, 2), (1, 2))]  # inputs; a locked column; from the header
    out, note = merged_inputs(rows, merged, 0, cols)
    assert out[2] == ["2", "乙", "已完成", "合办"] and out[3] is rows[3] and rows[2] == ["2", "乙", None, ""]
    assert note == ("C2", "「完成状态」「落实情况」有合并单元格（C2:D3），合并后的内容已计入所合并的每一行（每项任务）。")
    assert merged_inputs(rows, [((1, 3), (1, 3))], 0, cols) == (rows, None)  # one cell: nothing to fill
    hostile = [((1, 3), (10**9, 3))] * 10**6  # a crafted file: a million merges down a billion rows
    many = [["任务编号", "工作任务", "完成状态", "落实情况"], ["1", "甲", "已完成", "文字"]] + [
        ["", "", "", ""] for _ in range(3000)]
    out, note = merged_inputs(many, hostile, 0, cols)
    assert sum(r[3] == "文字" for r in out) == 3001 <= MERGED_CELLS and note  # each row filled once, no more
    out, note = merged_inputs(many * 40, hostile, 0, cols)
    assert sum(r[3] == "文字" for r in out) <= MERGED_CELLS + 40


def test_an_answer_continued_on_the_next_row_is_kept_with_its_task(base, tmp_path):
    """A row without id and task text below a task adds to its answer; a row with task text of its own is
    still an inserted row, not merged."""
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县教育局")

    def edit(wb, sheet, first):
        continued_row(wb, sheet, first)
        sheet.cell(first + 4, fs.COLUMN_INDEX["title"] + 1).value = "本单位自加的任务"
        sheet.cell(first + 4, fs.COLUMN_INDEX["progress"] + 1).value = "自加任务的情况"
        sheet.cell(first + 5, fs.COLUMN_INDEX["progress"] + 1).value = "审核人：李四"

    xl_edit(edit)(box, "县教育局", base)
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    first = answers("县教育局")["一.(1)"]["progress"]
    with Ledger.open(ws) as led:
        rep = led.latest_reports(ROUND)[("一.(1)", "县教育局")]
    assert (rep.progress, rep.problems) == (first + "\n（续）另公开目录12条。", "人手不足")
    kinds = {f.type: f for f in result.findings if f.unit == "县教育局"}
    assert kinds["row-continued"].severity == "info" and "一.(1)" in kinds["row-continued"].message
    inserted = [f.message for f in result.findings if f.type == "row-inserted"]
    assert len(inserted) == 1 and "本单位自加的任务" in inserted[0]
    assert "审核人：李四" in kinds["footnote-row"].message  # the signature line below: not a task, not an answer
    assert "自加任务的情况" not in {r.progress for r in stored_reports(ws)}
    assert not any("审核人" in r.progress for r in stored_reports(ws))  # a signature line is not an answer


def test_a_signature_block_below_the_table_gives_the_filler_and_is_no_task(base, tmp_path):
    """填表人 and 联系电话 written under the table are read when the cells above are empty; the block is one
    note per line, never a 新增行 warning, and no answer takes its text."""
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县教育局")
    xl_edit(signed_below, fields={"filler": ""})(box, "县教育局", base)
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    mine = [f for f in result.findings if f.unit == "县教育局"]
    assert {f.type for f in mine} == {"footnote-row"} and all(f.severity == "info" for f in mine)
    assert len(mine) == 2 and "填报人、联系电话已按此读取" in mine[0].message and "（单位盖章）" in mine[1].message
    with Ledger.open(ws) as led:
        sub = next(s for s in led.submissions(ROUND) if s.unit == "县教育局")
        reports = led.latest_reports(ROUND)
    assert (sub.filler, sub.phone) == ("王芳", "0871-6123456")
    assert {t for t, u in reports if u == "县教育局"} == set(answers("县教育局"))
    assert not any("李四" in r.progress or "王芳" in r.progress for r in reports.values())


def test_a_filled_in_filler_is_not_replaced_by_the_block_below(base, tmp_path):
    """The form's own 填报人 stands; a remark below the table is kept in its note, and a line starting a
    sentence with 审核 (「审核了……」) continues the answer above as before."""
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县教育局")

    def edit(wb, sheet, first):
        signed_below(wb, sheet, first)
        sheet.cell(sheet.max_row + 1, 1).value = "备注：第2项涉及个人信息，未公开。"
        sheet.insert_rows(first + 1)
        sheet.cell(first + 1, fs.COLUMN_INDEX["progress"] + 1).value = "审核了目录12条。"

    xl_edit(edit)(box, "县教育局", base)
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    kinds = [f.type for f in result.findings if f.unit == "县教育局"]
    assert kinds.count("footnote-row") == 3 and "row-inserted" not in kinds and "row-continued" in kinds
    notes = [f.message for f in result.findings if f.type == "footnote-row"]
    assert notes[0].endswith("表头未填的联系电话已按此读取。") and "第2项涉及个人信息" in notes[2]
    with Ledger.open(ws) as led:
        sub = next(s for s in led.submissions(ROUND) if s.unit == "县教育局")
        first = led.latest_reports(ROUND)[("一.(1)", "县教育局")]
    assert sub.filler == "经办人" and first.progress.endswith("\n审核了目录12条。")


def _received(box: Path, name: str, when: str) -> None:
    t = dt.datetime.fromisoformat(when).timestamp()
    os.utime(box / name, (t, t))


def _due_on_5_july(base, tmp_path: Path, received: str):
    """Every unit's reply in the box, received at ``received``, for a round due on 2021-07-05."""
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, None)
    with Ledger.open(ws) as led:
        led.set_round_due(ROUND, "2021-07-05")
    for unit in UNITS:
        _received(box, replies[unit].name, received)
    return ws, box, replies


def test_a_unit_whose_first_file_came_after_the_due_date_is_late(base, tmp_path):
    """The round's due date is 2021-07-05: 县教育局's form came on the 8th (逾期报送: a note, 报送情况 and the
    report say so); 县财政局's came on time and its correction on the 9th (not late)."""
    from zwgk_xl.report.render import build_report_context

    ws, box, replies = _due_on_5_july(base, tmp_path, "2021-07-04T10:00:00")
    _received(box, replies["县教育局"].name, "2021-07-08T09:30:00")
    fill(base[2]["县财政局"], box / "县财政局回复（更正）.xlsx", rows=answers("县财政局"), fields={"filler": "王"})
    _received(box, "县财政局回复（更正）.xlsx", "2021-07-09T09:00:00")
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    late = [f for f in result.findings if f.type == "late-submission"]
    assert [(f.unit, f.severity) for f in late] == [("县教育局", "info")]
    assert late[0].message == "县教育局于 2021-07-08 09:30 报送，晚于本轮报送期限（2021-07-05）。"
    shown = {r[0]: r[2] for r in CalamineWorkbook.from_path(str(tmp_path / "汇总表.xlsx"))
             .get_sheet_by_name("报送情况").to_python()[1:]}
    assert shown["县教育局"] == "逾期报送" and shown["县财政局"] == "已报送"
    with Ledger.open(ws) as led:
        from zwgk_xl.merge.master import build_master
        master = build_master(led, led.plan_for_round(ROUND), ROUND)
    assert build_report_context(master)["gaps"]["late"] == ["县教育局"]


def test_when_most_files_look_late_their_times_are_not_trusted(base, tmp_path, monkeypatch):
    """Files copied into the folder in one go all carry that day: no unit is called late on such times, and
    one note says why."""
    monkeypatch.setattr("zwgk_xl.merge.master.LATE_DOUBTFUL_MIN", 2)
    ws, box, replies = _due_on_5_july(base, tmp_path, "2021-07-12T15:00:00")
    _received(box, replies["县财政局"].name, "2021-07-01T15:00:00")
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    late = [f for f in result.findings if f.type == "late-submission"]
    assert len(late) == 1 and late[0].unit == "" and late[0].message.startswith("有 3 个单位的文件时间晚于本轮报送期限")
    shown = {r[2] for r in CalamineWorkbook.from_path(str(tmp_path / "汇总表.xlsx"))
             .get_sheet_by_name("报送情况").to_python()[1:]}
    assert "逾期报送" not in shown


def stored_reports(ws: Path) -> list:
    with Ledger.open(ws) as led:
        return list(led.latest_reports(ROUND).values())


def test_dates_written_as_departments_write_them(base, tmp_path):
    """「6月20日」 takes the round's year, 「2021年6月」 is a month, 「长期坚持」 is an answer: none is a bad date
    (「2021年13月45日」 still is: see CASES)."""
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县教育局")

    def edit(wb, sheet, first):
        for k, text in enumerate(["6月20日", "2021年6月", "长期坚持"]):
            cell = sheet.cell(first + k, col(DATE_CELL))
            cell.value, cell.number_format = text, "@"
        sheet.cell(3 + 1, 6 + 1).value = "7月1日"  # 填报日期

    xl_edit(edit)(box, "县教育局", base)
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    with Ledger.open(ws) as led:
        reps = led.latest_reports(ROUND)
        sub = led.current_submissions(ROUND)["县教育局"]
    assert [reps[(t, "县教育局")].done_date for t in ("一.(1)", "一.(2)", "一.(3)")] == ["2021-06-20", "2021-06", "长期坚持"]
    assert sub.fill_date == "2021-07-01"
    assert not [f for f in result.findings if f.type == "invalid-date"]


def test_a_mac_zip_gives_only_the_form(base, tmp_path):
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县财政局")
    zipped_on_a_mac(box, "县财政局", base)
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    assert result.exit_code == 0, [(f.type, f.file) for f in result.findings if f.severity != "info"]
    note = next(f for f in result.findings if f.type == "archive-unpacked")
    assert note.message == "压缩包，已取出其中 1 个表格文件逐一汇总。"


def test_an_unfilled_form_is_no_reply_and_never_displaces_a_filled_one(base, tmp_path):
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, None)
    later = box / "县财政局回复（新）.xlsx"
    shutil.copy(base[2]["县财政局"], later)  # the issued form, saved after the real reply
    t = dt.datetime.now().timestamp() + 3600
    os.utime(later, (t, t))
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    f = next(f for f in result.findings if f.file == later.name)
    assert (f.type, f.severity) == ("blank-form", "warning") and "全为空" in f.message
    assert stored(ws)["县财政局"] == {t: (a["status"], a["progress"]) for t, a in answers("县财政局").items()}
    assert not [x for x in result.findings if x.type in ("required-empty", "duplicate-submission")]
    later.unlink()
    box_only = tmp_path / "只有空表"
    box_only.mkdir()
    shutil.copy(base[2]["县财政局"], box_only / "县财政局回复.xlsx")
    ws2, _, _ = fresh(base, tmp_path, "台账2")
    alone = run_merge(box_only, workspace=ws2, output=tmp_path / "汇总表2.xlsx", workers=1)
    assert "县财政局" in alone.units_missing


def test_a_word_reply_is_identified_in_words_that_fit_it(base, tmp_path):
    """A Word table never carries the form's metadata: the note says so, not that the form was copied."""
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, "县财政局")
    word_table(box, "县财政局", base)
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    note = next(f.message for f in result.findings if f.type == "unit-from-filename")
    assert note == "Word 文件中没有填报表元数据，按文件名识别为「县财政局」。"


def test_a_word_copy_never_replaces_the_units_spreadsheet(base, tmp_path):
    """A unit sends its form and, later, the table typed into Word (the copy it stamps): the spreadsheet stays
    in force — with a note when they agree, a warning naming both when they do not."""
    ws, box, replies = fresh(base, tmp_path)
    _box_files(box, replies, None)
    form = box / replies["县财政局"].name
    later = form.stat().st_mtime + 3600
    copy = _word_table(form, box / "盖章版.docx")  # same answers
    os.utime(copy, (later, later))
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    with Ledger.open(ws) as led:
        assert led.current_submissions(ROUND)["县财政局"].file_name == form.name
    same = next(f for f in result.findings if f.type == "resubmitted-same" and f.unit == "县财政局")
    assert same.message.endswith("采用表格文件。") and same.file == "盖章版.docx"

    edited = tmp_path / "改过.xlsx"
    wb = openpyxl.load_workbook(form)
    wb[fs.TASK_SHEET].cell(fs.FIRST_DATA_ROW + 1, col("progress")).value = "Word 里改写的落实情况"
    wb.save(edited)
    copy.unlink()
    other = _word_table(edited, box / "盖章版（改）.docx")
    os.utime(other, (later, later))
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", workers=1)
    with Ledger.open(ws) as led:
        assert led.current_submissions(ROUND)["县财政局"].file_name == form.name
        progress = {t: r.progress for (t, u), r in led.latest_reports(ROUND).items() if u == "县财政局"}
    assert "Word 里改写的落实情况" not in progress.values()
    dup = [f for f in result.findings if f.type == "duplicate-submission" and f.unit == "县财政局"]
    assert len(dup) == 1 and dup[0].message.startswith(f"县财政局报送了多份：采用表格文件「{form.name}」")
    assert "Word 文件「盖章版（改）.docx」" in dup[0].message and dup[0].message.endswith("未采用，请核对。")
    # otherwise the newest stands: a spreadsheet after a Word copy, a Word copy after a Word copy
    from zwgk_xl.ledger.store import Submission

    with Ledger.open(ws) as led:
        for i, (unit, name) in enumerate([("甲单位", "a.docx"), ("甲单位", "b.xlsx"), ("乙单位", "c.docx"),
                                          ("乙单位", "d.DOCX")]):
            led.store_submission(Submission(ROUND, unit, f"{i:064x}", name, f"2031-01-0{i + 1}T09:00:00", "mail"))
        current = led.current_submissions(ROUND)
    assert (current["甲单位"].file_name, current["乙单位"].file_name) == ("b.xlsx", "d.DOCX")


def test_word_tables_are_read_with_merged_cells_and_within_limits(tmp_path):
    import time

    import docx

    from zwgk_xl.merge.intake import Limits, Rejected, word_book

    doc = docx.Document()
    table = doc.add_table(rows=3, cols=3)
    for i in range(3):
        for j in range(3):
            table.cell(i, j).text = f"{i}{j}"
    table.cell(0, 0).merge(table.cell(0, 1))  # across
    table.cell(1, 2).merge(table.cell(2, 2))  # down
    doc.add_table(rows=2500, cols=2)
    path = tmp_path / "t.docx"
    doc.save(path)
    t0 = time.perf_counter()
    book = word_book(path.read_bytes(), Limits(max_rows=2000))
    assert time.perf_counter() - t0 < 10  # rows beyond the limit are counted, not read
    first = book.sheet("表格1").rows
    assert first[0][:2] == ["00\n01", "00\n01"] and first[1][2] == first[2][2] == "12\n22"
    assert len(book.sheet("表格2").rows) == 2000 and book.sheet("表格2").outside[0] == 500
    with pytest.raises(Rejected):  # a broken package is refused, never half read
        word_book(b"PK\x03\x04" + b"\0" * 40, Limits())
    assert word_book(b"not a zip", Limits()) is None


def test_a_word_note_without_a_table_is_not_parsed(tmp_path, monkeypatch):
    """Covering notes come with most replies: their document part is looked at for a table, and only a
    document with one is given to python-docx (17 ms each for a short note)."""
    import io

    import docx

    from zwgk_xl.merge.intake import Limits, word_book

    note = docx.Document()
    note.add_paragraph("县财政局关于落实情况的说明。" * 50)
    buf = io.BytesIO()
    note.save(buf)
    monkeypatch.setattr(docx, "Document", lambda *a, **k: pytest.fail("python-docx opened a note without a table"))
    assert word_book(buf.getvalue(), Limits()) is None
