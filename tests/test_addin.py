"""Each button of zwgk_xl.xlsm, run through xlwings' remote engine on a realistic workbook.

The payload is what xlwings' VBA client sends (``client: "VBA"``, the installed
xlwings' version, each sheet's values from A1 to the end of its used range,
empty cells as null, dates as ISO strings ending in ``Z``), made from the
workbook ``zwgk-xl init`` built.  After each action the returned actions
(``book.json()``) are applied to that model as the VBA client would apply
them, so the next button sees what the previous one wrote.  The remote engine
is xlwings PRO (PolyForm Noncommercial); the tests set
``XLWINGS_LICENSE_KEY=noncommercial``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before xlwings is imported: the remote engine

import xlwings as xw  # noqa: E402

import zwgk_xl.addin as addin  # noqa: E402
from zwgk_xl.cli import main  # noqa: E402
from zwgk_xl.forms import spec as fs  # noqa: E402
from zwgk_xl.ledger.workbooks import layout as L  # noqa: E402
from zwgk_xl.ledger.workspace_init import init_workspace  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "zwgk_xl" / "data" / "示例_2020年云南省政务公开工作要点.txt"
ROUND, DUE = "2020年第四季度", dt.datetime(2020, 12, 25)
STATUSES = ["已完成", "推进中", "已完成", "长期推进", "未启动", "不涉及"]
REPLIES = 10  # units that return their form before the merge


def _remote_engine() -> None:
    """Register xlwings' remote engine even if xlwings was imported before the licence key was set."""
    if "remote" not in [e.name for e in xw.engines]:
        from xlwings.main import Engine
        from xlwings.pro import _xlremote

        xw.engines.add(Engine(impl=_xlremote.engine))


def fill_form(src: Path, dst: Path, k: int) -> None:
    """Fill a form as a department would (openpyxl standing in for its spreadsheet program)."""
    wb = load_workbook(src)
    ws = wb[fs.TASK_SHEET]
    col = {key: i + 1 for key, i in fs.COLUMN_INDEX.items()}
    r = fs.FIRST_DATA_ROW + 1
    while ws.cell(r, col["id"]).value:
        status = STATUSES[(k + r) % len(STATUSES)]
        ws.cell(r, col["status"]).value = status
        ws.cell(r, col["progress"]).value = "" if status == "未启动" else f"已在门户网站公开相关信息{10 + r}条。"
        if status == "未启动":
            ws.cell(r, col["problems"]).value = "等待上级统一部署。"
        if status == "已完成":
            ws.cell(r, col["done_date"]).value = dt.date(2020, 11, 1 + r % 20)
        r += 1
    for key, value in (("filler", "联络员"), ("fill_date", dt.date(2020, 12, 20))):
        row, c = fs.FORM_FIELD_CELLS[key]
        ws.cell(row + 1, c + 1).value = value
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)


def _vba_value(v):
    """A cell value as the VBA client serialises it."""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return str(v)


class Workbook:
    """The state of zwgk_xl.xlsm as the VBA client sees it: one grid of values per sheet."""

    def __init__(self, path: Path):
        wb = load_workbook(path, keep_vba=True)
        self.names = wb.sheetnames
        self.grids = {ws.title: [[_vba_value(c) for c in row] for row in ws.iter_rows(values_only=True)]
                      for ws in wb.worksheets}
        self.actions: list[dict] = []

    def cell(self, sheet: str, row: int, col: int):
        grid = self.grids[sheet]
        return grid[row - 1][col - 1] if row <= len(grid) and col <= len(grid[row - 1]) else None

    def set(self, sheet: str, row: int, col: int, value) -> None:
        grid = self.grids[sheet]
        while len(grid) < row:
            grid.append([])
        width = max(len(r) for r in grid) if grid else 0
        for r in grid:
            r.extend([None] * (max(width, col) - len(r)))
        grid[row - 1][col - 1] = _vba_value(value)

    def payload(self) -> dict:
        sheets = []
        for name in self.names:
            grid = [r for r in self.grids[name]]
            while grid and all(v is None for v in grid[-1]):
                grid.pop()
            width = max((len(r) for r in grid), default=0)
            values = [r + [None] * (width - len(r)) for r in grid] if grid else [[]]
            sheets.append({"name": name, "values": values, "pictures": [], "tables": []})
        return {"client": "VBA", "version": xw.__version__,
                "book": {"name": L.WORKBOOK_NAME, "active_sheet_index": 0, "selection": "A1"},
                "names": [], "sheets": sheets}

    def book(self):
        _remote_engine()
        return xw.Book(json=self.payload())

    def apply(self, actions: list[dict]) -> None:
        """Apply the actions the VBA client would: values written, ranges cleared."""
        self.actions = actions
        for a in actions:
            if a["func"] == "setValues":
                name = self.names[a["sheet_position"]]
                for i, row in enumerate(a["values"]):
                    for j, v in enumerate(row):
                        self.set(name, a["start_row"] + 1 + i, a["start_column"] + 1 + j, None if v == "" else v)
            elif a["func"] in ("rangeClear", "rangeClearContents"):
                grid = self.grids[self.names[a["sheet_position"]]]
                for r in range(a["start_row"], min(len(grid), a["start_row"] + a["row_count"])):
                    row = grid[r]
                    for c in range(a["start_column"], min(len(row), a["start_column"] + a["column_count"])):
                        row[c] = None

    def press(self, name: str):
        """Run the action of button ``name`` on the current state; return (result, alert args)."""
        book = self.book()
        result = getattr(addin, f"{name}_action")(book)
        actions = book.json()["actions"]
        self.apply(actions)
        alerts = [a["args"] for a in actions if a["func"] == "alert"]
        assert len(alerts) == 1, alerts
        return result, alerts[0]

    def table(self, sheet: str, row: int, col: int = 1, width: int | None = None) -> list[list]:
        """Rows from (row, col) down to the first empty one in ``col``."""
        out = []
        while self.cell(sheet, row, col) not in (None, ""):
            w = width or len(self.grids[sheet][row - 1]) - col + 1
            out.append([self.cell(sheet, row, col + k) for k in range(w)])
            row += 1
        return out

    def written(self, sheet: str) -> list[dict]:
        pos = self.names.index(sheet)
        return [a for a in self.actions if a["func"] == "setValues" and a["sheet_position"] == pos]

    def setting(self, label: str):
        for row in self.grids[L.SETTINGS]:
            if row and row[0] == label:
                return row[1]
        raise KeyError(label)

    def put_setting(self, label: str, value) -> None:
        for i, row in enumerate(self.grids[L.SETTINGS]):
            if row and row[0] == label:
                self.set(L.SETTINGS, i + 1, 2, value)
                return
        raise KeyError(label)


class Flow:
    """The year's round in one 台账 folder, one button after another (each run once, in order)."""

    ORDER = ["parse_superior", "decompose_plan", "split_forms", "send_mail", "merge_returns", "remind_units",
             "make_report"]

    def __init__(self, folder: Path):
        self.folder = folder
        init_workspace(folder)
        self.wb = Workbook(folder / L.WORKBOOK_NAME)
        self.wb.put_setting(L.S_WORKSPACE, str(folder))
        self.wb.put_setting(L.S_ROUND, ROUND)
        self.wb.put_setting(L.S_DUE, DUE)
        lines = SAMPLE.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):  # seed 004 pasted into column A, one paragraph per row
            self.wb.set(L.SUPERIOR, L.FIRST_ROW + i, 1, line if line.strip() else None)
        self.done: dict[str, tuple] = {}

    def run(self, name: str):
        for step in self.ORDER[: self.ORDER.index(name) + 1]:
            if step not in self.done:
                if step == "merge_returns":
                    forms = sorted((self.folder / L.FORMS_DIR).glob("*.xlsx"))
                    for k, form in enumerate(forms[:REPLIES]):
                        fill_form(form, self.folder / L.RETURNS_DIR / form.name, k)
                self.done[step] = (*self.wb.press(step), self.wb.actions)
        result, alert, actions = self.done[name]
        self.wb.actions = actions
        return result, alert


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    for var in ("ZWGK_UNITS", "ZWGK_AREA", "ZWGK_LEVEL", "ZWGK_ORGAN", "ZWGK_MAIL_CONTACT"):
        os.environ.pop(var, None)
    return Flow(tmp_path_factory.mktemp("addin") / "台账")


def _alert_ok(alert, button: str, result) -> None:
    prompt, title, buttons, mode, _callback = alert
    assert title == button and buttons == "ok"
    assert prompt == result.summary() and mode == ("info" if result.valid else "critical")
    assert not prompt.startswith("错误")


def test_parse_superior_writes_the_tasks_beside_the_pasted_text(flow):
    result, alert = flow.run("parse_superior")
    _alert_ok(alert, "解析上级文件", result)
    assert alert[0].startswith("已解析《2020年云南省政务公开工作要点》：4 个一级标题，18 项任务")
    wb = flow.wb
    # The table starts at C2: headers, then one row per task.
    table = wb.table(L.SUPERIOR, L.HEADER_ROW, L.SUPERIOR_COLUMN, len(L.SUPERIOR_HEADERS))
    assert table[0] == L.SUPERIOR_HEADERS and len(table) == 1 + 18
    tasks = result.document.tasks
    assert [r[0] for r in table[1:]] == [t.id for t in tasks]
    assert [r[1] for r in table[1:]] == [t.title for t in tasks]
    head = [a for a in wb.written(L.SUPERIOR) if a["values"][0] == L.SUPERIOR_HEADERS]
    assert [(a["start_row"], a["start_column"]) for a in head] == [(L.HEADER_ROW - 1, L.SUPERIOR_COLUMN - 1)]
    styled = [(a["func"], a["args"]) for a in wb.actions if a["sheet_position"] == 1 and a["start_row"] == 1
              and a["start_column"] == 2 and a["column_count"] == len(L.SUPERIOR_HEADERS)]
    assert ("setFontProperty", ["bold", True]) in styled and ("setRangeColor", ["#DDEBF7"]) in styled
    first_led = next(t for t in tasks if t.lead)
    row = table[1 + tasks.index(first_led)]
    assert row[3] == "、".join(first_led.lead)
    # The pasted text is kept (column A untouched) and saved where the CLI can use it too.
    assert wb.cell(L.SUPERIOR, L.FIRST_ROW, 1) == SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    saved = flow.folder / L.SUPERIOR_DIR / L.PASTED_NAME
    assert wb.setting(L.S_SUPERIOR) == f"{L.SUPERIOR_DIR}/{L.PASTED_NAME}" and saved.is_file()
    assert (flow.folder / L.TASK_TABLE_NAME).is_file()
    cli = CliRunner().invoke(main, ["parse", str(saved)])
    assert "4 个一级标题，18 项任务" in cli.output.strip().splitlines()[-1]


def test_decompose_plan_writes_the_local_units(flow):
    result, alert = flow.run("decompose_plan")
    _alert_ok(alert, "生成分解表", result)
    assert alert[0].startswith("已分解《2020年云南省政务公开工作要点》：18 项任务")
    wb = flow.wb
    table = wb.table(L.PLAN, L.HEADER_ROW, 1, len(L.PLAN_HEADERS))
    assert table[0] == L.PLAN_HEADERS and len(table) == 19
    for row, t in zip(table[1:], result.document.tasks):
        assert row[0] == t.id and row[2] == ("、".join(t.lead_local) or None)
    assert any("县" in (r[2] or "") for r in table[1:])
    assert any("→" in (r[5] or "") for r in table[1:])  # 分配依据
    # The 分解表 the button wrote (the file split reads) names the same lead units.
    sheet = load_workbook(flow.folder / "分解表.xlsx")["分解表"]
    rows = [r for r in sheet.iter_rows(values_only=True)]
    head = list(rows[2])
    lead = {r[head.index("任务编号")]: r[head.index("牵头单位")] for r in rows[3:] if r[head.index("行类型")] != "分类"}
    assert {r[0]: r[2] for r in table[1:]} == {k: v or None for k, v in lead.items() if k}
    # 部门名录 refreshed from the directory named in zwgk.toml (the sample county).
    units = wb.table(L.UNITS, L.HEADER_ROW, 1, len(L.UNIT_HEADERS))
    assert units[0] == L.UNIT_HEADERS and len(units) == 51 and units[1][0] == "县人民政府办公室"
    assert units[1][5] == "unit01@xian.example.com"


def test_split_forms_lists_one_form_per_unit(flow):
    result, alert = flow.run("split_forms")
    _alert_ok(alert, "生成填报表", result)
    assert alert[0].startswith(f"{ROUND}：共生成 50 个填报表")
    wb = flow.wb
    assert wb.cell(L.PROGRESS, 1, 1) == f"生成填报表：{ROUND}"
    table = wb.table(L.PROGRESS, L.HEADER_ROW, 1, 4)
    assert table[0] == ["单位", "任务数", "填报表", "预填上轮"] and len(table) == 51
    for unit, count, path, _ in table[1:]:
        assert (flow.folder / path).is_file() and unit in path and count >= 1
    assert wb.cell(L.PROGRESS, L.HEADER_ROW + 52, 1) == f"{L.FINDINGS_TITLE}（{len(result.findings)} 条）"


def test_send_mail_is_a_dry_run_by_default(flow):
    result, alert = flow.run("send_mail")
    _alert_ok(alert, "发送邮件", result)
    assert alert[0] == f"轮次「{ROUND}」通知（演练，未发送）：已写出 .eml（未发送） 50。"
    table = flow.wb.table(L.PROGRESS, L.HEADER_ROW, 1, 6)
    assert table[0] == ["单位", "状态", "原因", "收件人", "附件", "说明"] and len(table) == 51
    assert {r[1] for r in table[1:]} == {"已写出 .eml（未发送）"}
    assert all(r[3].endswith("@xian.example.com") and r[5].startswith(f"{L.DRY_RUN_SEND_DIR}/") for r in table[1:])
    assert len(list((flow.folder / L.DRY_RUN_SEND_DIR).glob("*.eml"))) == 50


def test_merge_returns_lists_who_reported(flow):
    result, alert = flow.run("merge_returns")
    _alert_ok(alert, "汇总回收表", result)
    assert alert[0].startswith(f"{ROUND}：{REPLIES} 个文件，采用 {REPLIES}，拒收 0，跳过 0；已报送 {REPLIES}/50 个单位")
    master = flow.folder / L.MASTER_DIR / f"汇总表_{ROUND}.xlsx"
    assert master.is_file() and alert[0].endswith(f"汇总表：{master}")
    table = flow.wb.table(L.PROGRESS, L.HEADER_ROW, 1, 4)
    assert table[0] == ["单位", "报送情况", "文件", "问题数"] and len(table) == 51
    status = {r[0]: r[1] for r in table[1:]}
    assert list(status.values()).count("已报送") == REPLIES and list(status.values()).count("未报送") == 40
    assert all(r[2].endswith(".xlsx") for r in table[1:] if r[1] == "已报送")
    # The findings follow the table: one 未报送 warning per silent unit.
    start = L.HEADER_ROW + 52
    assert flow.wb.cell(L.PROGRESS, start, 1) == f"{L.FINDINGS_TITLE}（{len(result.findings)} 条）"
    findings = flow.wb.table(L.PROGRESS, start + 1, 1, 6)
    assert findings[0] == L.FINDING_HEADERS
    missing = [r for r in findings[1:] if "尚未报送" in r[4]]
    assert {r[1] for r in missing} == set(result.units_missing) and {r[0] for r in missing} == {"警告"}


def test_remind_units_reminds_the_silent_ones(flow):
    result, alert = flow.run("remind_units")
    _alert_ok(alert, "催报", result)
    assert alert[0].startswith(f"轮次「{ROUND}」催报（演练，未发送）：")
    table = flow.wb.table(L.PROGRESS, L.HEADER_ROW, 1, 6)
    merged = flow.done["merge_returns"][0]
    reminded = {r[0] for r in table[1:]}
    assert set(merged.units_missing) <= reminded and len(table) - 1 == len(result.items)
    assert len(list((flow.folder / L.DRY_RUN_REMIND_DIR).glob("*.eml"))) >= 40


def test_make_report_writes_the_report(flow):
    result, alert = flow.run("make_report")
    _alert_ok(alert, "生成报告", result)
    report = flow.folder / L.REPORT_DIR / f"落实情况报告_{ROUND}.docx"
    assert report.is_file() and alert[0].startswith(f"已生成报告：{report.name}；任务 18 项")
    table = flow.wb.table(L.PROGRESS, L.HEADER_ROW, 1, 2)
    assert table[1] == [report.name, f"{L.REPORT_DIR}/{report.name}"]
    assert f"单位 50 个，已报送 {REPLIES} 个" in alert[0]


def test_a_library_error_is_the_cli_message_in_an_alert(flow, tmp_path):
    wb = Workbook(flow.folder / L.WORKBOOK_NAME)
    wb.put_setting(L.S_WORKSPACE, str(flow.folder))
    missing = tmp_path / "没有这个文件.docx"
    wb.put_setting(L.S_SUPERIOR, str(missing))
    result, alert = wb.press("parse_superior")
    assert result is None and alert[1] == "解析上级文件" and alert[3] == "critical"
    cli = CliRunner().invoke(main, ["parse", str(missing)])
    assert cli.exit_code == 2
    assert alert[0] == cli.output.strip() and alert[0].startswith("错误：找不到")
    assert not wb.written(L.SUPERIOR)  # nothing written back


def test_missing_settings_are_asked_for_in_chinese(flow):
    wb = Workbook(flow.folder / L.WORKBOOK_NAME)
    result, alert = wb.press("split_forms")  # 台账文件夹 empty and the payload has no full path
    assert result is None
    assert alert[0] == "错误：请在「设置」表填写台账文件夹（zwgk-xl init 建立的文件夹）。"
    wb.put_setting(L.S_WORKSPACE, str(flow.folder))
    _result, alert = wb.press("split_forms")
    assert alert[0] == "错误：请在「设置」表填写轮次（如 2021年第二季度）。"
    wb.put_setting(L.S_WORKSPACE, str(flow.folder.parent))
    _result, alert = wb.press("split_forms")
    assert alert[0] == (f"错误：「{flow.folder.parent}」不是台账文件夹（没有 zwgk.toml）。"
                        "请运行 zwgk-xl init 建立台账文件夹，或在「设置」表改正台账文件夹。")


def test_the_button_functions_take_the_calling_book(flow, monkeypatch):
    wb = Workbook(flow.folder / L.WORKBOOK_NAME)
    wb.put_setting(L.S_WORKSPACE, str(flow.folder))
    book = wb.book()
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
    for b in L.BUTTONS:
        assert callable(getattr(addin, b.function)) and callable(getattr(addin, f"{b.function}_action"))
    addin.split_forms()  # 轮次 is empty: the alert says so
    alerts = [a["args"] for a in book.json()["actions"] if a["func"] == "alert"]
    assert alerts == [["错误：请在「设置」表填写轮次（如 2021年第二季度）。", "生成填报表", "ok", "critical", ""]]


def test_decompose_again_keeps_the_previous_plan(flow):
    flow.run("make_report")  # the round is over; regenerate the 分解表
    plan = flow.folder / "分解表.xlsx"
    before = plan.read_bytes()
    wb = Workbook(flow.folder / L.WORKBOOK_NAME)
    wb.put_setting(L.S_WORKSPACE, str(flow.folder))
    wb.put_setting(L.S_SUPERIOR, f"{L.SUPERIOR_DIR}/{L.PASTED_NAME}")
    result, alert = wb.press("decompose_plan")
    assert alert[0] == result.summary() and plan.is_file()
    assert (flow.folder / "分解表.bak.xlsx").read_bytes() == before
