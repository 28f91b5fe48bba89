"""The buttons of the control workbook ``zwgk_xl.xlsm``, run by xlwings.

Each button's macro is one line, ``RunPython "import zwgk_xl.addin as a; a.<button>()"``.
The button function is a thin wrapper: it takes the calling workbook
(``xlwings.Book.caller()``, the only place that happens) and hands it to the
action.  An action (``<button>_action(book)``) reads its inputs from the
workbook (the 设置 sheet, the text pasted on 上级任务), makes one library call —
the same one the CLI makes — writes the result back as a table on its sheet and
shows the result's one-line summary in an alert.  A library error is shown as an
alert with the message the CLI prints (``错误：…``), so VBA's own error box,
which garbles Chinese, never appears.  Paths travel through cells only.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
import traceback
from pathlib import Path

from zwgk_xl.core import findings as fk
from zwgk_xl.core.errors import UsageError, ZwgkError
from zwgk_xl.core.paths import os_message
from zwgk_xl.core.values import cell_text
from zwgk_xl.ledger.store import CONFIG_NAME, LEDGER_NAME
from zwgk_xl.ledger.workbooks import layout as L

BUTTONS = {b.function: b for b in L.BUTTONS}
_FILL = {fk.ERROR: "#F8CBAD", fk.WARNING: "#FFF2CC"}
_HEADER_FILL = "#DDEBF7"
_RULES = {"exact": "名称一致", "alias": "别名/对照", "level": "层级替换", "group": "泛称归入分组",
          "fuzzy": "模糊匹配", "manual": "人工指定", "unmatched": "未匹配", "mapping": "映射表"}


# --- the buttons (RunPython calls these) ------------------------------------------


def _caller():
    import xlwings as xw

    return xw.Book.caller()


def parse_superior():
    """按钮「解析上级文件」。"""
    return parse_superior_action(_caller())


def decompose_plan():
    """按钮「生成分解表」。"""
    return decompose_plan_action(_caller())


def split_forms():
    """按钮「生成填报表」。"""
    return split_forms_action(_caller())


def send_mail():
    """按钮「发送邮件」。"""
    return send_mail_action(_caller())


def merge_returns():
    """按钮「汇总回收表」。"""
    return merge_returns_action(_caller())


def make_report():
    """按钮「生成报告」。"""
    return make_report_action(_caller())


def remind_units():
    """按钮「催报」。"""
    return remind_units_action(_caller())


# --- reading the workbook -----------------------------------------------------------


def _sheet(book, name: str):
    try:
        return book.sheets[name]
    except Exception:  # noqa: BLE001 - xlwings raises engine-specific errors for a missing sheet
        raise UsageError(f"工作簿中找不到「{name}」表。请不要改工作表的名称；"
                         "也可以运行 zwgk-xl init --force 重新生成控制工作簿。") from None


def _rows(sheet) -> list[list]:
    """The sheet's values from A1 to the end of its used range, as rows."""
    try:
        used = sheet.used_range
        last_row, last_col = used.last_cell.row, used.last_cell.column
    except Exception:  # noqa: BLE001 - an empty sheet
        return []
    values = sheet.range((1, 1), (last_row, last_col)).options(ndim=2).value
    return [list(r) for r in values or []]


class Inputs:
    """What the 设置 sheet says, with paths resolved against the 台账 folder."""

    def __init__(self, book):
        self.book = book
        self.values: dict[str, object] = {}
        self.rows: dict[str, int] = {}
        for i, row in enumerate(_rows(_sheet(book, L.SETTINGS)), start=1):
            label = cell_text(row[0]) if row else ""
            if label and label not in self.rows:
                self.rows[label] = i
                self.values[label] = row[1] if len(row) > 1 else None
        self.workspace = self._workspace()

    def text(self, label: str) -> str:
        return cell_text(self.values.get(label))

    def yes(self, label: str) -> bool:
        v = self.values.get(label)
        return v is True or cell_text(v).lower() in L.YES

    def path(self, label: str) -> Path | None:
        """A path setting, relative to the 台账 folder; None when the cell is empty."""
        t = self.text(label)
        if not t:
            return None
        p = Path(t).expanduser()
        return p if p.is_absolute() else self.workspace / p

    def required(self, label: str, example: str) -> str:
        t = self.text(label)
        if not t:
            raise UsageError(f"请在「设置」表填写{label}（如 {example}）。")
        return t

    def set(self, label: str, value: str) -> None:
        row = self.rows.get(label)
        if row is not None:
            _sheet(self.book, L.SETTINGS).range((row, 2)).value = value
            self.values[label] = value

    def _workspace(self) -> Path:
        text = self.text(L.S_WORKSPACE)
        full = Path(cell_text(getattr(self.book, "fullname", "")) or L.WORKBOOK_NAME)
        here = full.parent if full.is_absolute() else None
        if text:
            ws = Path(text).expanduser()
            if not ws.is_absolute() and here is not None:
                ws = here / ws
        elif here is not None:
            ws = here
        else:
            raise UsageError(f"请在「设置」表填写{L.S_WORKSPACE}（zwgk-xl init 建立的文件夹）。")
        if not ws.is_dir():
            raise UsageError(f"找不到台账文件夹「{ws}」。请检查「设置」表的{L.S_WORKSPACE}。")
        if not (ws / CONFIG_NAME).is_file() and not (ws / LEDGER_NAME).is_file():
            raise UsageError(f"「{ws}」不是台账文件夹（没有 {CONFIG_NAME}）。"
                             f"请运行 zwgk-xl init 建立台账文件夹，或在「设置」表改正{L.S_WORKSPACE}。")
        return ws

    def due(self) -> str:
        v = self.values.get(L.S_DUE)
        if isinstance(v, (dt.date, dt.datetime)):
            return (v.date() if isinstance(v, dt.datetime) else v).isoformat()
        return self.required(L.S_DUE, "2021-06-25")


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _superior_source(inp: Inputs) -> Path:
    """The superior list: text pasted in column A of 上级任务, else 设置's 上级文件, else the one file in 上级文件/."""
    ws = inp.workspace
    rows = _rows(_sheet(inp.book, L.SUPERIOR))[L.FIRST_ROW - 1:]
    pasted = [cell_text(r[0]) for r in rows if r and cell_text(r[0])]
    if pasted:
        target = ws / L.SUPERIOR_DIR / L.PASTED_NAME
        target.parent.mkdir(exist_ok=True)
        target.write_text("\n".join(pasted) + "\n", encoding="utf-8")
        inp.set(L.S_SUPERIOR, _relative(target, ws))
        return target
    chosen = inp.path(L.S_SUPERIOR)
    if chosen is not None:
        return chosen
    folder = ws / L.SUPERIOR_DIR
    files = sorted(p for p in folder.glob("*") if p.is_file() and not p.name.startswith(("~$", ".")))
    if len(files) == 1:
        inp.set(L.S_SUPERIOR, _relative(files[0], ws))
        return files[0]
    if not files:
        raise UsageError(f"没有上级文件。请把上级文件全文粘贴到「{L.SUPERIOR}」表 A 列（从 A3 起），"
                         f"或把文件放进「{folder}」文件夹。")
    names = "、".join(p.name for p in files[:5]) + ("等" if len(files) > 5 else "")
    raise UsageError(f"「{L.SUPERIOR_DIR}」文件夹中有 {len(files)} 个文件（{names}），"
                     f"请在「设置」表的“{L.S_SUPERIOR}”中写明用哪一个。")


# --- writing the workbook -----------------------------------------------------------


def _clear(sheet, first_row: int, first_col: int = 1, last_col: int | None = None) -> None:
    """Clear values and formats from ``first_row`` down (columns first_col..last_col)."""
    try:
        used = sheet.used_range
        last_row, used_col = used.last_cell.row, used.last_cell.column
    except Exception:  # noqa: BLE001 - an empty sheet
        return
    last_col = last_col or max(used_col, first_col)
    if last_row >= first_row:
        sheet.range((first_row, first_col), (last_row, last_col)).clear()


def _table(sheet, row: int, col: int, headers: list[str], rows: list[list]) -> int:
    """Write headers (formatted) and rows at (row, col); return the row after the table."""
    n = len(headers)
    data = [[_cell(v) for v in (list(r) + [""] * n)[:n]] for r in rows]
    sheet.range((row, col)).value = [headers] + data
    head = sheet.range((row, col), (row, col + n - 1))
    head.font.bold = True
    head.color = _HEADER_FILL
    if data:
        sheet.range((row + 1, col), (row + len(data), col + n - 1)).wrap_text = True
    return row + 1 + len(data)


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return "、".join(str(x) for x in v if x)
    if isinstance(v, Path):
        v = str(v)
    if isinstance(v, str) and v.startswith(("=", "+", "-", "@")):
        return "'" + v  # text, not a formula, when Excel assigns the value
    return v


def _where(f) -> str:
    return " ".join(x for x in (f.sheet, f.cell, f"第{f.line}行" if f.line else "") if x)


def _progress(book, title: str, headers: list[str], rows: list[list], findings) -> None:
    """Rewrite 填报进度: a title line, the action's table, then the findings."""
    sheet = _sheet(book, L.PROGRESS)
    _clear(sheet, L.NOTE_ROW)
    sheet.range((L.NOTE_ROW, 1)).value = title
    sheet.range((L.NOTE_ROW, 1)).font.bold = True
    nxt = _table(sheet, L.HEADER_ROW, 1, headers, rows)
    _findings(sheet, nxt + 1, findings)
    sheet.activate()


def _findings(sheet, row: int, findings) -> None:
    sheet.range((row, 1)).value = f"{L.FINDINGS_TITLE}（{len(findings)} 条）"
    sheet.range((row, 1)).font.bold = True
    if not findings:
        return
    rows = [[fk.SEVERITY_TITLES.get(f.severity, f.severity), f.unit, f.file, _where(f), f.message, f.action]
            for f in findings]
    _table(sheet, row + 1, 1, L.FINDING_HEADERS, rows)
    for i, f in enumerate(findings):
        if f.severity in _FILL:
            sheet.range((row + 2 + i, 1)).color = _FILL[f.severity]


def action(func):
    """Run an action on ``book``: library errors become an alert with the CLI's message, success the summary."""
    button = BUTTONS[func.__name__.removesuffix("_action")]

    @functools.wraps(func)
    def run(book):
        try:
            result = func(book)
        except ZwgkError as e:
            _alert(book, f"错误：{e}", button.caption, "critical")
            return None
        except OSError as e:
            _alert(book, f"错误：{os_message(e)}", button.caption, "critical")
            return None
        except Exception as e:  # noqa: BLE001 - last line of defence: a bug, said in Chinese
            traceback.print_exc(file=sys.stderr)
            _alert(book, f"错误：发生意外问题（{type(e).__name__}：{e}）。请把此提示截图发给维护人员。",
                   button.caption, "critical")
            return None
        _alert(book, result.summary(), button.caption, "info" if result.valid else "critical")
        return result

    return run


def _alert(book, prompt: str, title: str, mode: str) -> None:
    book.app.alert(prompt, title=title, mode=mode)


# --- the actions --------------------------------------------------------------------


def _deadline(node) -> str:
    d = node.deadline
    return d.text or d.date or ""


@action
def parse_superior_action(book):
    from zwgk_xl.parse.command import run_parse

    inp = Inputs(book)
    src = _superior_source(inp)
    result = run_parse(src, output=inp.workspace / L.TASK_TABLE_NAME)
    sheet = _sheet(book, L.SUPERIOR)
    _clear(sheet, L.HEADER_ROW, L.SUPERIOR_COLUMN, L.SUPERIOR_COLUMN + len(L.SUPERIOR_HEADERS) - 1)
    rows = [[t.id, t.title, t.text, t.lead, t.others, _deadline(t)] for t in result.document.tasks]
    _table(sheet, L.HEADER_ROW, L.SUPERIOR_COLUMN, L.SUPERIOR_HEADERS, rows)
    sheet.activate()
    return result


def _assignment_notes(node) -> str:
    return "；".join(f"{a.source}→{'、'.join(a.local) or '（无）'}（{_RULES.get(a.rule, a.rule)}）"
                    for a in node.assignment_notes)


@action
def decompose_plan_action(book):
    from zwgk_xl.decompose.command import run_decompose
    from zwgk_xl.ledger.settings import load_settings

    inp = Inputs(book)
    src = _superior_source(inp)
    plan = inp.path(L.S_PLAN) or inp.workspace / "分解表.xlsx"
    units = inp.path(L.S_UNITS)
    result = run_decompose(src, units=units, output=plan, workspace=inp.workspace)
    sheet = _sheet(book, L.PLAN)
    _clear(sheet, L.HEADER_ROW)
    rows = [[t.id, t.title, t.lead_local, t.others_local, _deadline(t), _assignment_notes(t)]
            for t in result.document.tasks]
    _table(sheet, L.HEADER_ROW, 1, L.PLAN_HEADERS, rows)
    directory = load_settings(inp.workspace).directory(units)  # refresh the 部门名录 copy
    if directory is not None:
        usheet = _sheet(book, L.UNITS)
        _clear(usheet, L.HEADER_ROW)
        _table(usheet, L.HEADER_ROW, 1, L.UNIT_HEADERS,
               [[u.name, u.aliases, u.category, u.contact, u.phone, u.email, u.superior_keywords]
                for u in directory.units])
    sheet.activate()
    return result


@action
def split_forms_action(book):
    from zwgk_xl.forms.command import run_split

    inp = Inputs(book)
    round_ = inp.required(L.S_ROUND, "2021年第二季度")
    result = run_split(inp.path(L.S_PLAN) or inp.workspace / "分解表.xlsx", round=round_, due=inp.due(),
                       output=inp.workspace / L.FORMS_DIR, units=inp.path(L.S_UNITS),
                       contact=inp.text(L.S_CONTACT), workspace=inp.workspace)
    rows = [[f.unit, f.task_count, _relative(f.path, inp.workspace), f.prefilled or ""] for f in result.forms]
    _progress(book, f"生成填报表：{result.round}", ["单位", "任务数", "填报表", "预填上轮"], rows, result.findings)
    return result


def _mail_rows(result, ws: Path) -> list[list]:
    return [[i.unit, i.label, i.reason, i.recipients, i.files,
             i.error or (_relative(Path(i.eml), ws) if i.eml else "")] for i in result.items]


_MAIL_HEADERS = ["单位", "状态", "原因", "收件人", "附件", "说明"]


@action
def send_mail_action(book):
    from zwgk_xl.mail.commands import run_send

    inp = Inputs(book)
    dry = inp.workspace / L.DRY_RUN_SEND_DIR if inp.yes(L.S_DRY_RUN) else None
    result = run_send(inp.workspace / L.FORMS_DIR, units=inp.path(L.S_UNITS), workspace=inp.workspace,
                      round=inp.text(L.S_ROUND) or None, dry_run=dry)
    _progress(book, f"发送邮件：{result.round}{'（演练，未发送）' if result.dry_run else ''}", _MAIL_HEADERS,
              _mail_rows(result, inp.workspace), result.findings)
    return result


@action
def merge_returns_action(book):
    from zwgk_xl.merge import run_merge

    inp = Inputs(book)
    round_ = inp.text(L.S_ROUND) or None
    output = inp.workspace / L.MASTER_DIR / f"汇总表_{round_}.xlsx" if round_ else None
    # One process: Python started by Excel should not spawn worker processes.
    result = run_merge(inp.workspace / L.RETURNS_DIR, workspace=inp.workspace, round=round_, output=output,
                       units_path=inp.path(L.S_UNITS), workers=1)
    _progress(book, f"汇总回收表：{result.round}（汇总表：{result.output}）", ["单位", "报送情况", "文件", "问题数"],
              result.unit_rows(), result.findings)
    return result


@action
def make_report_action(book):
    from zwgk_xl.report.render import report_workspace

    inp = Inputs(book)
    round_ = inp.text(L.S_ROUND) or None
    output = inp.workspace / L.REPORT_DIR / f"落实情况报告_{round_}.docx" if round_ else None
    result = report_workspace(inp.workspace, output, round=round_, pdf=inp.yes(L.S_PDF))
    rows = [[Path(p).name, _relative(Path(p), inp.workspace)] for p in result.outputs]
    rows += [[f"{status}", f"{n} 项"] for status, n in result.by_status.items()]
    _progress(book, f"生成报告：{result.round}", ["文件 / 完成状态", "位置 / 任务数"], rows, result.findings)
    return result


@action
def remind_units_action(book):
    from zwgk_xl.mail.commands import run_remind

    inp = Inputs(book)
    dry = inp.workspace / L.DRY_RUN_REMIND_DIR if inp.yes(L.S_DRY_RUN) else None
    result = run_remind(units=inp.path(L.S_UNITS), workspace=inp.workspace, round=inp.text(L.S_ROUND) or None,
                        dry_run=dry)
    _progress(book, f"催报：{result.round}{'（演练，未发送）' if result.dry_run else ''}", _MAIL_HEADERS,
              _mail_rows(result, inp.workspace), result.findings)
    return result
