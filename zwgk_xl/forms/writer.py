"""Fill-in forms (``split``): one protected workbook per unit, and their metadata.

Forms are written with xlsxwriter (openpyxl would drop data-validation
extensions on a read-modify-write).  The layout is the contract in
:mod:`zwgk_xl.formspec`; merge reads it back from there.

Metadata (ledger id, round, unit, task ids, checksum of the locked content,
template version, due date) is written three times, because departments
re-save forms in whatever program they have:

* a very hidden sheet ``_zwgk_meta`` (key / value rows),
* custom document properties ``zwgk_<key>``,
* defined names ``zwgk_<key>`` holding a string constant.

:func:`read_form_metadata` reads .xlsx/.xlsm/.xls/.ods and reports in
``meta_source`` which of the three it used.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from zwgk_xl.forms import spec as fs
from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.errors import FormError, UsageError
from zwgk_xl.core.values import parse_date
from zwgk_xl.core.model import Document, Node, UnitReport
from zwgk_xl.core.xlsxbulk import StyledBulkSheet, close_workbook
from zwgk_xl.core.xlsxfit import row_height
from zwgk_xl.decompose.assign import assign_tasks

FORM_SUFFIX = "_落实情况填报表.xlsx"
MAX_NAME_PART = 60  # characters of a unit / round name kept in a file name
MAX_VALUE_CHUNK = 240  # Excel limits property and name string constants to 255 characters
INPUT_KEYS = [k for k, _ in fs.INPUT_COLUMNS]

_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}


@dataclass
class FormInfo:
    """One written form."""

    unit: str
    task_count: int
    path: Path
    prefilled: int = 0  # tasks pre-filled from the previous round

    def to_dict(self) -> dict:
        d = asdict(self)
        d["path"] = str(self.path)
        return d


# ---------------------------------------------------------------------------
# File names


def safe_name(text: str, limit: int = MAX_NAME_PART) -> str:
    """``text`` made safe as part of a Windows file name (no ``\\ / : * ? " < > |``, bounded length)."""
    s = _FORBIDDEN.sub("_", str(text)).strip()
    s = re.sub(r"\s+", " ", s)
    s = s[:limit].rstrip(" .")
    if not s:
        s = "_"
    if s.split(".")[0].upper() in _RESERVED:
        s = "_" + s
    return s


def form_file_name(round: str, unit: str) -> str:
    """``{round}_{unit}_落实情况填报表.xlsx`` with both parts made safe for Windows."""
    return f"{safe_name(round)}_{safe_name(unit)}{FORM_SUFFIX}"


# ---------------------------------------------------------------------------
# Who gets which task


def _deadline_text(task: Node) -> str:
    d = task.deadline
    return (d.date or d.text or "").strip()


def locked_rows(tasks: list[tuple[Node, str]]) -> list[dict]:
    """The locked cells of a form, as strings keyed like ``formspec.LOCKED_COLUMNS``."""
    return [
        {"id": t.id, "title": t.title or "", "text": t.text or "", "role": role, "deadline": _deadline_text(t)}
        for t, role in tasks
    ]


# ---------------------------------------------------------------------------
# Writing


class _Formats:
    """The cell formats of one workbook."""

    def __init__(self, wb: xlsxwriter.Workbook):
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", "text_wrap": True, "border": 1}
        self.title = wb.add_format({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center", "valign": "vcenter"})
        self.notes = wb.add_format({"font_name": "宋体", "font_size": 10, "text_wrap": True, "valign": "top", "border": 1, "bg_color": "#FFF9E6"})
        self.label = wb.add_format({**base, "bold": True, "align": "right", "bg_color": "#F2F2F2"})
        self.info = wb.add_format({**base})
        self.header = wb.add_format({**base, "bold": True, "align": "center", "bg_color": "#D9E1F2"})
        self.input_header = wb.add_format({**base, "bold": True, "align": "center", "bg_color": "#FFE699"})
        self.locked = wb.add_format({**base, "bg_color": "#F2F2F2"})
        self.locked_center = wb.add_format({**base, "bg_color": "#F2F2F2", "align": "center"})
        self.input = wb.add_format({**base, "locked": False})
        self.input_center = wb.add_format({**base, "locked": False, "align": "center"})
        self.input_date = wb.add_format({**base, "locked": False, "align": "center", "num_format": "yyyy-mm-dd"})
        self.missing = wb.add_format({"bg_color": "#FCE4D6"})


COLUMN_WIDTHS = {  # about 200 characters: A4 landscape at roughly 75 %
    "id": 10, "title": 20, "text": 40, "role": 9, "deadline": 12,
    "status": 11, "progress": 36, "done_date": 12, "problems": 18, "next_steps": 18, "evidence": 16,
}

PROMPTS = {
    "status": ("完成状态", "请从下拉列表选择：" + "/".join(fs.STATUS_LIST) + "。"),
    "progress": ("落实情况", "请写明做了什么、公开了多少条、何时完成等具体情况。"),
    "done_date": ("完成时间", "已完成的任务请填写完成日期，格式如 2021-06-20。"),
    "problems": ("存在问题", "如无，请填“无”。"),
    "next_steps": ("下步计划", "未完成或长期推进的任务请写明下步打算。"),
    "evidence": ("佐证材料", "请填写网址、文件名或附件名称。"),
    "filler": ("填报人", "请填写填报人姓名。"),
    "phone": ("联系电话", "请填写填报人联系电话。"),
    "fill_date": ("填报日期", "请填写日期，格式如 2021-06-20。"),
}

DATE_MIN = _dt.date(2000, 1, 1)
DATE_MAX = _dt.date(2100, 12, 31)


LINE_HEIGHT = 13.5  # points per line of 10 pt text
MIN_DATA_LINES = 3  # room to type 落实情况 without resizing the row


def _row_height(row: dict) -> float:
    """Row height (points) that shows the wrapped locked text; Excel does not autofit rows on open."""
    return row_height(list(row.values()), [COLUMN_WIDTHS[k] for k in row], line=LINE_HEIGHT, min_lines=MIN_DATA_LINES)


class _TaskRows:
    """The task rows' cells and heights, worked out once per task and role for all the forms of a ``split``
    (a task goes to many units), and their formats in one form."""

    def __init__(self) -> None:
        self.cells: dict[tuple, tuple[list[str], float]] = {}  # locked cells -> (row values, height)
        self.order = [k for k, _ in fs.COLUMNS]
        self.blank_inputs = {k: "" for k in INPUT_KEYS}

    def row(self, locked: dict) -> tuple[list[str], float]:
        """The row's values in column order (inputs blank) and its height."""
        key = tuple(locked.values())
        got = self.cells.get(key)
        if got is None:
            values = {**locked, **self.blank_inputs}
            got = self.cells[key] = ([values[k] for k in self.order], _row_height(locked))
        return got

    def formats(self, f: _Formats) -> list:
        """The formats of a task row without answers, in column order."""
        return [f.locked_center if k in ("id", "role", "deadline") else f.locked if k not in INPUT_KEYS
                else f.input_date if k in ("done_date", "fill_date") else f.input_center if k == "status"
                else f.input for k in self.order]


def _notes(round: str, due: str, contact: str) -> str:
    lines = [
        "填报说明：",
        f"1. 本表为{round}政务公开工作任务落实情况填报表，请于{due}前报送" + (f"（{contact}）" if contact else "") + "。",
        "2. 灰色部分为下发的任务内容，已锁定，请勿修改；只需填写黄色表头下的白色单元格及上方填报人信息。",
        "3. “本单位角色”：牵头指负责组织推进并汇总情况；责任指按照职责分工负责落实本单位的部分；配合指配合牵头单位工作。",
        "4. 完成状态请从下拉列表选择；完成时间、填报日期请按 2021-06-20 的格式填写日期。",
        "5. 请勿增删行列或工作表，也不要把内容复制到别的表格；可用 Excel 或 WPS 直接保存本文件后报送。",
    ]
    return "\n".join(lines)


def _write_input(ws, row: int, col: int, key: str, value: str, f: _Formats) -> None:
    if key in ("done_date", "fill_date"):
        iso = parse_date(value) if value else None
        if iso is not None:
            ws.write_datetime(row, col, _dt.datetime.fromisoformat(iso), f.input_date)
        elif value:
            ws.write_string(row, col, str(value), f.input_date)
        else:
            ws.write_blank(row, col, None, f.input_date)
    elif value:
        ws.write_string(row, col, str(value), f.input_center if key == "status" else f.input)
    else:
        ws.write_blank(row, col, None, f.input_center if key == "status" else f.input)


def _validate(ws, first_row: int, col: int, last_row: int, key: str) -> None:
    title, message = PROMPTS[key]
    opts: dict = {"input_title": title, "input_message": message}
    if key == "status":
        opts.update(validate="list", source=list(fs.STATUS_LIST), error_title="完成状态",
                    error_message="请从下拉列表中选择：" + "/".join(fs.STATUS_LIST) + "。")
    elif key in ("done_date", "fill_date"):
        opts.update(validate="date", criteria="between", minimum=DATE_MIN, maximum=DATE_MAX,
                    error_title="日期格式", error_message="请填写 2000-01-01 至 2100-12-31 之间的日期，如 2021-06-20。")
    else:
        opts.update(validate="any")
    ws.data_validation(first_row, col, last_row, col, opts)


def _highlight_gaps(ws, first: int, last: int, f: _Formats) -> None:
    """Tint what is still missing: an empty 完成状态, and 已完成 without 完成时间."""
    status, done = fs.COLUMN_INDEX["status"], fs.COLUMN_INDEX["done_date"]
    ws.conditional_format(first, status, last, status, {"type": "blanks", "format": f.missing})
    s_ref = xl_rowcol_to_cell(first, status, col_abs=True)
    d_ref = xl_rowcol_to_cell(first, done, col_abs=True)
    ws.conditional_format(first, done, last, done, {
        "type": "formula", "criteria": f'=AND({s_ref}="{fs.STATUS_LIST[0]}",{d_ref}="")', "format": f.missing})


def _meta_items(meta: dict) -> list[tuple[str, str]]:
    """(name, value) pairs for properties/defined names; long values split into numbered parts."""
    out = []
    for key in fs.META_KEYS:
        value = str(meta.get(key, "") or "")
        chunks = [value[i:i + MAX_VALUE_CHUNK] for i in range(0, len(value), MAX_VALUE_CHUNK)] or [""]
        out.append((fs.META_PREFIX + key, chunks[0]))
        out.extend((f"{fs.META_PREFIX}{key}_{n}", c) for n, c in enumerate(chunks[1:], start=2))
    return out


def _write_meta(wb: xlsxwriter.Workbook, meta: dict) -> None:
    ws = wb.add_worksheet(fs.META_SHEET)
    ws.write_row(0, 0, ["key", "value"])
    for i, key in enumerate(fs.META_KEYS, start=1):
        ws.write_string(i, 0, key)
        ws.write_string(i, 1, str(meta.get(key, "") or ""))
    ws.protect()
    ws.very_hidden()
    for name, value in _meta_items(meta):
        wb.set_custom_property(name, value)
        wb.define_name(name, '="' + value.replace('"', '""') + '"')


def _write_form(path: Path, unit: str, tasks: list[tuple[Node, str]], *, round: str, due: str,
                contact: str, ledger_id: str, previous: dict, fields: dict, task_rows: _TaskRows | None = None) -> int:
    rows = locked_rows(tasks)
    meta = {
        "ledger_id": ledger_id,
        "round": round,
        "unit": unit,
        "task_ids": fs.encode_task_ids([r["id"] for r in rows]),
        "checksum": fs.locked_checksum(rows),
        "template_version": fs.TEMPLATE_VERSION,
        "due": due,
    }
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    wb.set_properties({"title": f"{round}落实情况填报表", "subject": unit, "author": "zwgk-xl",
                       "comments": fs.TEMPLATE_VERSION})
    f = _Formats(wb)
    ws = wb.add_worksheet(fs.TASK_SHEET, worksheet_class=StyledBulkSheet)
    ncols = len(fs.COLUMNS)
    last_col = ncols - 1
    for key, i in fs.COLUMN_INDEX.items():
        ws.set_column(i, i, COLUMN_WIDTHS[key])

    ws.set_row(fs.TITLE_ROW, 30)
    ws.merge_range(fs.TITLE_ROW, 0, fs.TITLE_ROW, last_col, f"{unit} {round}政务公开工作任务落实情况填报表", f.title)
    ws.set_row(fs.NOTES_ROW, 86)  # six lines of 填报说明
    ws.merge_range(fs.NOTES_ROW, 0, fs.NOTES_ROW, last_col, _notes(round, due, contact), f.notes)

    r = fs.INFO_ROW
    ws.write_string(r, 0, "填报单位", f.label)
    ws.merge_range(r, 1, r, 2, unit, f.info)
    ws.write_string(r, 3, "截止日期", f.label)
    ws.write_string(r, 4, due, f.info)
    ws.write_string(r, 5, "联系人", f.label)
    ws.merge_range(r, 6, r, last_col, contact, f.info)

    labels = dict(fs.FORM_FIELDS)
    for key, (row, col) in fs.FORM_FIELD_CELLS.items():
        ws.write_string(row, col - 1, labels[key], f.label)
        _write_input(ws, row, col, key, fields.get(key, ""), f)
        _validate(ws, row, col, row, key)

    ws.set_row(fs.HEADER_ROW, 28)
    for i, (key, header) in enumerate(fs.COLUMNS):
        ws.write_string(fs.HEADER_ROW, i, header, f.input_header if key in INPUT_KEYS else f.header)

    first = fs.FIRST_DATA_ROW
    prefilled = 0
    task_rows = task_rows or _TaskRows()
    blank = task_rows.formats(f)
    for n, (row, (task, role)) in enumerate(zip(rows, tasks)):
        r = first + n
        report = previous.get(task.id)
        if report is None:  # the usual row: locked cells and blank inputs, written in bulk
            values, height = task_rows.row(row)
            ws.append_cells(r, values, blank, height)
            continue
        prefilled += 1
        ws.set_row(r, _row_height(row))
        for key, _ in fs.LOCKED_COLUMNS:
            fmt = f.locked_center if key in ("id", "role", "deadline") else f.locked
            ws.write_string(r, fs.COLUMN_INDEX[key], row[key], fmt)
        for key in INPUT_KEYS:
            _write_input(ws, r, fs.COLUMN_INDEX[key], key, getattr(report, key, ""), f)
    last = first + max(len(rows), 1) - 1
    if rows:
        for key in INPUT_KEYS:
            _validate(ws, first, fs.COLUMN_INDEX[key], last, key)
        ws.autofilter(fs.HEADER_ROW, 0, last, last_col)
        _highlight_gaps(ws, first, last, f)

    ws.freeze_panes(first, 1)
    ws.protect("", {"format_cells": True, "format_columns": True, "format_rows": True, "autofilter": True,
                    "select_locked_cells": True, "select_unlocked_cells": True})
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.repeat_rows(fs.HEADER_ROW)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.print_area(0, 0, last, last_col)
    ws.activate()

    _write_meta(wb, meta)
    close_workbook(wb)
    return prefilled


def _previous_reports(ledger, round: str) -> dict:
    """(task_id, unit) -> UnitReport of the round before ``round``, or {}."""
    if ledger is None:
        return {}
    prev = ledger.previous_round(round)
    if not prev:
        return {}
    return ledger.latest_reports(prev) or {}


def _form_fields(unit: str, unit_reports: list[UnitReport], directory) -> dict:
    """填报人/联系电话 from the unit's last report, else from the directory."""
    for rep in unit_reports:
        if rep.filler or rep.phone:
            return {"filler": rep.filler, "phone": rep.phone}
    entry = directory.get(unit) if directory is not None else None
    return {"filler": getattr(entry, "contact", "") or "", "phone": getattr(entry, "phone", "") or ""}


def write_forms(plan: Document, directory, round: str, due: str, out_dir, ledger=None,
                contact: str = "") -> list[FormInfo]:
    """Write one fill-in form per unit holding a task (as lead or cooperating unit).

    Args:
        plan: the local 分解表 (tasks with ``lead_local`` / ``others_local``).
        directory: a :class:`zwgk_xl.units.Directory` (groups expand to members), or None.
        round: the reporting round, e.g. ``2021年第二季度``.
        due: the due date (ISO ``YYYY-MM-DD`` or free text).
        out_dir: folder for the forms (created if absent).
        ledger: optional ledger; its ``ledger_id`` goes into the metadata and the
            previous round's answers are pre-filled.
        contact: the office's contact person/phone shown in the 填报说明.

    Returns:
        One :class:`FormInfo` per written form, in order of first appearance in the plan.
    """
    round = (round or "").strip()
    if not round:
        raise UsageError("请用 --round 指定填报轮次，如“2021年第二季度”。")
    due = (due or "").strip()
    due = parse_date(due) or due
    assigned = assign_tasks(plan, directory)
    if not assigned:
        raise FormError("分解表中没有任何任务落实到本级单位（牵头、责任、配合单位均为空），无法生成填报表。请先在分解表中填写责任单位。")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FormError(f"无法创建输出文件夹 {out}：{e}。请换一个可写的文件夹。") from e
    previous = _previous_reports(ledger, round)
    by_unit_prev: dict[str, dict[str, UnitReport]] = {}
    for (task_id, unit), rep in previous.items():
        by_unit_prev.setdefault(unit, {})[task_id] = rep
    ledger_id = str(getattr(ledger, "ledger_id", "") or "")

    infos: list[FormInfo] = []
    used: set[str] = set()
    task_rows = _TaskRows()
    for unit, tasks in assigned.items():
        name = form_file_name(round, unit)
        stem = name[: -len(".xlsx")]
        k = 2
        while name.lower() in used:  # two unit names made equal by sanitising
            name = f"{stem}({k}).xlsx"
            k += 1
        used.add(name.lower())
        path = out / name
        prev = by_unit_prev.get(unit, {})
        fields = _form_fields(unit, list(prev.values()), directory)
        prefilled = _write_atomic(path, unit, tasks, round=round, due=due, contact=contact,
                                  ledger_id=ledger_id, previous=prev, fields=fields, task_rows=task_rows)
        infos.append(FormInfo(unit=unit, task_count=len(tasks), path=path, prefilled=prefilled))
    return infos


def _write_atomic(path: Path, unit: str, tasks, **kw) -> int:
    try:
        with atomic_path(path, FormError) as tmp:
            prefilled = _write_form(tmp, unit, tasks, **kw)
    except OSError as e:
        raise FormError(f"无法写入「{path}」：{e}。") from e
    return prefilled


def stale_forms(out_dir, round: str, forms: list[FormInfo]) -> list[Path]:
    """Forms of ``round`` in ``out_dir`` left from an earlier run and not written now."""
    written = {Path(f.path).name for f in forms}
    pattern = f"{safe_name(round)}_*{FORM_SUFFIX}"
    return sorted(p for p in Path(out_dir).glob(pattern) if p.name not in written)
