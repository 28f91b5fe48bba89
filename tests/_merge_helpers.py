"""Helpers for the merge/ledger tests: a small hand-built plan and form filling."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from zwgk_xl import formspec as fs
from zwgk_xl.model import Deadline, Document, Node

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
