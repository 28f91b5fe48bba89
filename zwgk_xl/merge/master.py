"""The master table (汇总表): a pure function of the ledger and the plan, and its workbook.

:func:`build_master` assembles a :class:`zwgk_xl.model.Master` for one round;
:func:`write_master` writes it with xlsxwriter (sheets 汇总 / 报送情况 /
问题清单 / 统计).  Every value is written as a string cell, so text such as
``=HYPERLINK(...)`` stays inert.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import xlsxwriter

from zwgk_xl.core import findings as fk
from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.errors import WorkspaceError
from zwgk_xl.decompose.assign import assign_tasks
from zwgk_xl.forms.spec import ROLE_LEAD
from zwgk_xl.core.model import STATUSES, Document, Finding, Master, MasterRow, Node, UnitReport, UnitStatus
from zwgk_xl.core.xlsxfit import MAX_ROW_HEIGHT

NOT_SUBMITTED = "未报送"
NOT_FILLED = "未填"
OVERDUE = "逾期"
DONE_STATUSES = ("已完成", "不涉及")
MAX_CELL = 32000  # Excel holds at most 32,767 characters in a cell


# ---------------------------------------------------------------------------
# Building


def assigned_tasks(ledger, plan: Document, round: str, directory=None) -> dict[str, list[tuple[Node, str]]]:
    """unit -> [(task, role)] as the forms were issued: from ``directory`` if given, else the
    assignment kept in the ledger for ``round``, else the plan's unit names as written."""
    if directory is None and ledger is not None:
        kept = ledger.assignment(round)
        if kept is not None:
            tasks = {t.id: t for t in plan.tasks}
            return {u: [(tasks[i], role) for i, role in pairs if i in tasks] for u, pairs in kept.items()}
    return assign_tasks(plan, directory)


def task_units(assigned: dict[str, list[tuple[Node, str]]]) -> dict[str, list[tuple[str, str]]]:
    """task id -> [(unit, role)], leads first."""
    out: dict[str, list[tuple[str, str]]] = {}
    for unit, tasks in assigned.items():
        for task, role in tasks:
            out.setdefault(task.id, []).append((unit, role))
    for pairs in out.values():
        pairs.sort(key=lambda p: p[1] != ROLE_LEAD)
    return out


def _same_content(ledger, older, newer) -> bool:
    """Whether two submissions of a unit hold the same answers and form fields."""
    if (older.filler, older.phone, older.fill_date) != (newer.filler, newer.phone, newer.fill_date):
        return False
    def answers(sub) -> dict:
        return {tid: {k: v for k, v in vals.items() if k not in ("row", "status_raw")}
                for tid, vals in ledger.submission_values(sub.id).items()}

    return answers(older) == answers(newer)


def round_findings(ledger, round: str, units: dict[str, int], only_units: set[str] | None = None) -> list[Finding]:
    """Findings about the round as a whole: duplicate submissions and units that returned nothing."""
    out: list[Finding] = []
    subs = ledger.submissions(round)
    by_id = {s.id: s for s in subs}
    for s in subs:
        if s.superseded_by is None or (only_units is not None and s.unit not in only_units):
            continue
        newer = by_id[s.superseded_by]
        if _same_content(ledger, s, newer):
            out.append(fk.finding(
                "resubmitted-same",
                f"{s.unit}报送了多份,「{newer.file_name}」与「{s.file_name}」填报内容相同,采用较新的一份。",
                unit=s.unit, file=s.file_name))
            continue
        out.append(fk.finding(
            "duplicate-submission",
            f"{s.unit}报送了多份:「{newer.file_name}」({newer.received_at})替代了「{s.file_name}」({s.received_at})。",
            unit=s.unit, file=s.file_name))
    submitted = {s.unit for s in subs}
    for unit, n in units.items():
        if unit not in submitted:
            out.append(fk.finding("missing-submission", f"{unit}有 {n} 项任务,本轮({round})尚未报送。", unit=unit))
    return out


def _stored_findings(ledger, round: str) -> list[Finding]:
    """File findings still relevant: those of submissions in force and of rejected files
    whose unit has not since sent an accepted one."""
    current = ledger.current_submissions(round)
    current_sha = {s.sha256 for s in current.values()}
    relevant = set()
    for r in ledger.receipts(round):
        sub = current.get(r["unit"])
        if r["sha256"] in current_sha:
            relevant.add(r["sha256"])
        elif r["outcome"] != "accepted" and (sub is None or sub.received_at < r["received_at"]):
            relevant.add(r["sha256"])
    return [f for sha, f in ledger.file_findings(round) if sha in relevant]


def build_master(ledger, plan: Document, round: str, directory=None, today: _dt.date | None = None,
                 assigned: dict[str, list[tuple[Node, str]]] | None = None) -> Master:
    """The merged state of ``round``: one row per plan task, every unit's status, every finding.

    Pure: depends only on the ledger's content, the plan, ``directory`` (group
    expansion) and ``today`` (overdue flags; default: the current date).
    ``assigned`` is :func:`assigned_tasks` of the same arguments when the caller has it already.
    """
    today = today or _dt.date.today()
    if assigned is None:
        assigned = assigned_tasks(ledger, plan, round, directory)
    units = {u: len(t) for u, t in assigned.items()}
    reports = ledger.latest_reports(round)
    subs = ledger.submissions(round)
    current = {s.unit: s for s in subs if s.superseded_by is None}
    rows: list[MasterRow] = []
    pairs = task_units(assigned)
    for task in plan.tasks:
        reps = []
        for unit, role in pairs.get(task.id, []):
            rep = reports.get((task.id, unit))
            if rep is None:  # not reported: no file, or the row was deleted from it
                sub = current.get(unit)
                rep = UnitReport(unit=unit, role=role, submitted_at=sub.received_at if sub else "",
                                 file=sub.file_name if sub else "")
            else:
                rep.role = role
            reps.append(rep)
        row = MasterRow(task=task, reports=reps)
        d = task.deadline
        row.overdue = bool(d.date and d.date < today.isoformat() and row.status not in DONE_STATUSES)
        rows.append(row)

    superseded: dict[str, list[str]] = {}
    for s in subs:
        if s.superseded_by is not None:
            superseded.setdefault(s.unit, []).append(s.file_name)
    findings = _stored_findings(ledger, round) + round_findings(ledger, round, units)
    per_unit: dict[str, int] = {}
    for f in findings:
        if f.severity != fk.INFO and f.unit:
            per_unit[f.unit] = per_unit.get(f.unit, 0) + 1
    statuses = []
    for unit in list(units) + [u for u in current if u not in units]:
        sub = current.get(unit)
        statuses.append(UnitStatus(
            unit=unit, task_count=units.get(unit, 0), submitted=sub is not None,
            submitted_at=sub.received_at if sub else "", file=sub.file_name if sub else "",
            findings=per_unit.get(unit, 0), superseded=superseded.get(unit, [])))

    prev = ledger.previous_round(round) if round in ledger.rounds() else None
    prev_status: dict[str, str] = {}
    if prev:
        prev_reports = ledger.latest_reports(prev)
        for task in plan.tasks:
            reps = [prev_reports[(task.id, u)] for u, _ in pairs.get(task.id, []) if (task.id, u) in prev_reports]
            status = MasterRow(task=task, reports=reps).status
            if status:
                prev_status[task.id] = status
    return Master(round=round, plan=plan, rows=rows, units=statuses, findings=findings,
                  previous_round=prev, previous_status=prev_status)


# ---------------------------------------------------------------------------
# Writing

SUMMARY_HEADERS = ["任务编号", "工作任务", "任务要求", "完成时限", "牵头单位", "完成状态", "牵头单位落实情况",
                   "完成时间", "存在问题", "下步计划", "配合单位情况", "是否逾期"]
UNIT_HEADERS = ["单位", "任务数", "报送情况", "报送时间", "文件", "问题数", "被替代的早先报送"]
FINDING_HEADERS = ["序号", "严重程度", "类型", "代码", "单位", "文件", "工作表", "单元格", "问题", "建议处理"]
STATUS_COLUMNS = list(STATUSES) + [NOT_FILLED, NOT_SUBMITTED]
# Column widths (characters): each sheet prints one A4 landscape page wide at a legible scale.
SUMMARY_WIDTHS = [8, 14, 28, 10, 12, 8, 32, 10, 14, 14, 26, 6]
UNIT_WIDTHS = [24, 7, 9, 18, 36, 7, 30]
FINDING_WIDTHS = [5, 7, 14, 16, 14, 24, 8, 7, 44, 36]
STATS_WIDTHS = [24, 8, 8, 8, 8, 8, 8, 8, 8]
LINE_HEIGHT = 15  # points per line of 11 pt text


def report_status(rep: UnitReport) -> str:
    """A unit's status as shown in the master: the status, 未填, or 未报送."""
    if rep.status:
        return rep.status
    return NOT_FILLED if rep.submitted_at else NOT_SUBMITTED


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "……(过长已截断,完整内容见台账)"


def _join(parts: list[str]) -> str:
    return _clip("\n".join(p for p in parts if p))


def summary_row(row: MasterRow) -> list[str]:
    """The 汇总 cells of one task (strings, in SUMMARY_HEADERS order)."""
    t = row.task
    leads = [r for r in row.reports if r.role == ROLE_LEAD]
    others = [r for r in row.reports if r.role != ROLE_LEAD]
    many = len(leads) > 1

    def lead_field(key: str) -> str:
        vals = [(r.unit, getattr(r, key)) for r in leads if getattr(r, key)]
        return _join([f"{u}:{v}" if many else v for u, v in vals])

    status = row.status or (report_status(leads[0]) if leads else (report_status(others[0]) if others else ""))
    notes = _join([f"{r.unit}:{report_status(r)}" + (f";{r.progress}" if r.progress else "") for r in others])
    return [t.id, t.title, t.text, t.deadline.date or t.deadline.text, "、".join(r.unit for r in leads), status,
            lead_field("progress"), lead_field("done_date"), lead_field("problems"), lead_field("next_steps"),
            notes, OVERDUE if row.overdue else ""]


def unit_row(u: UnitStatus) -> list:
    return [u.unit, u.task_count, "已报送" if u.submitted else NOT_SUBMITTED, u.submitted_at, u.file, u.findings,
            "、".join(u.superseded)]


def finding_row(i: int, f: Finding) -> list:
    return [i, fk.SEVERITY_TITLES.get(f.severity, f.severity), fk.title(f.type), f.type, f.unit, f.file,
            f.sheet, f.cell, f.message, f.action]


def status_counts(master: Master) -> dict[str, int]:
    """Tasks per status (plus 未填 / 未报送)."""
    counts = {s: 0 for s in STATUS_COLUMNS}
    for row in master.rows:
        rep = next((r for r in row.reports if r.role == ROLE_LEAD), row.reports[0] if row.reports else None)
        key = row.status or (report_status(rep) if rep else NOT_FILLED)
        counts[key] = counts.get(key, 0) + 1
    return counts


def unit_counts(master: Master) -> list[list]:
    """Per unit: counts of its own reports by status, then the total."""
    table: dict[str, dict[str, int]] = {u.unit: {s: 0 for s in STATUS_COLUMNS} for u in master.units}
    for row in master.rows:
        for rep in row.reports:
            table.setdefault(rep.unit, {s: 0 for s in STATUS_COLUMNS})[report_status(rep)] += 1
    return [[unit, *c.values(), sum(c.values())] for unit, c in table.items()]


def _lines(text: str, usable: float) -> int:
    """Wrapped lines of ``text`` in a column ``usable`` characters wide (CJK characters count 1.8)."""
    n = 0
    for part in text.split("\n"):
        wide = len(part.encode("utf-8")) - len(part)  # 2 extra bytes per CJK character
        n += max(1, -(-int(len(part) + 0.4 * wide) // int(usable)))
    return n


def _row_height(values: list, widths: list[int]) -> float:
    """Row height (points) showing every wrapped cell in full (like ``xlsxfit.row_height``, faster)."""
    lines = 1
    for v, w in zip(values, widths):
        if isinstance(v, str) and (len(v) * 1.8 > w - 1 or "\n" in v):
            lines = max(lines, _lines(v, max(w - 1, 1)))
    return min(LINE_HEIGHT * lines + 3, MAX_ROW_HEIGHT)


class _Sheet:
    """Row-by-row writer: strings via write_string, numbers via write_number, blanks bordered.

    Every sheet prints on A4 landscape, one page wide, with the header row
    repeated on each page, wrapped text and page numbers in the footer.
    """

    def __init__(self, wb, name: str, headers: list[str], widths: list[int], formats: dict, title: str):
        self.ws = wb.add_worksheet(name)
        self.fmt, self.num = formats["text"], formats["number"]
        self.widths = widths
        for i, w in enumerate(widths):
            self.ws.set_column(i, i, w)
        for i, h in enumerate(headers):
            self.ws.write_string(0, i, h, formats["header"])
        self.ws.freeze_panes(1, 0)
        self.ws.set_landscape()
        self.ws.set_paper(9)  # A4
        self.ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
        self.ws.repeat_rows(0)
        self.ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.7)
        self.ws.set_header("&C" + f"{title} {name}".replace("&", "&&"))
        self.ws.set_footer("&C第 &P 页,共 &N 页")
        self.width = len(headers)
        self.row = 1

    def write(self, values: list) -> None:
        # xlsxwriter cannot autofit and LibreOffice keeps the default height: size the row to its wrapped text
        self.ws.set_row(self.row, _row_height(values, self.widths))
        for c, v in enumerate(values):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                self.ws.write_number(self.row, c, v, self.num)
            elif v:
                self.ws.write_string(self.row, c, str(v), self.fmt)
            else:
                self.ws.write_blank(self.row, c, None, self.fmt)
        self.row += 1


def write_master(master: Master, path) -> Path:
    """Write the master workbook to ``path`` atomically; returns the path."""
    path = Path(path)
    with atomic_path(path, WorkspaceError) as tmp:
        _write(master, str(tmp))
    return path


def _write(master: Master, filename: str) -> None:
    wb = xlsxwriter.Workbook(filename, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"title": f"{master.round}落实情况汇总表", "author": "zwgk-xl"})
    header = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "vcenter",
                            "align": "center"})
    text = wb.add_format({"text_wrap": True, "valign": "top", "border": 1})
    formats = {"header": header, "text": text, "number": wb.add_format({"valign": "top", "border": 1})}
    title = f"{master.round}落实情况汇总表"
    good = wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
    mid = wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
    bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})

    def highlight(ws, first: int, last: int, col: int, rules: list[tuple[str, object]]) -> None:
        for value, fmt in rules:
            ws.conditional_format(first, col, max(first, last), col,
                                  {"type": "cell", "criteria": "==", "value": f'"{value}"', "format": fmt})

    s = _Sheet(wb, "汇总", SUMMARY_HEADERS, SUMMARY_WIDTHS, formats, title)
    for row in master.rows:
        s.write(summary_row(row))
    status_rules = [("已完成", good), ("推进中", mid), ("长期推进", mid), ("未启动", bad), (NOT_SUBMITTED, bad),
                    (NOT_FILLED, bad)]
    highlight(s.ws, 1, s.row - 1, SUMMARY_HEADERS.index("完成状态"), status_rules)
    highlight(s.ws, 1, s.row - 1, SUMMARY_HEADERS.index("是否逾期"), [(OVERDUE, bad)])
    s.ws.autofilter(0, 0, max(s.row - 1, 1), len(SUMMARY_HEADERS) - 1)

    s = _Sheet(wb, "报送情况", UNIT_HEADERS, UNIT_WIDTHS, formats, title)
    for u in master.units:
        s.write(unit_row(u))
    highlight(s.ws, 1, s.row - 1, 2, [(NOT_SUBMITTED, bad), ("已报送", good)])
    s.ws.conditional_format(1, 5, max(1, s.row - 1), 5, {"type": "cell", "criteria": ">", "value": 0, "format": mid})

    s = _Sheet(wb, "问题清单", FINDING_HEADERS, FINDING_WIDTHS, formats, title)
    for i, f in enumerate(master.findings, start=1):
        s.write(finding_row(i, f))
    highlight(s.ws, 1, s.row - 1, 1, [("错误", bad), ("警告", mid)])
    s.ws.autofilter(0, 0, max(s.row - 1, 1), len(FINDING_HEADERS) - 1)

    s = _Sheet(wb, "统计", ["完成状态", "任务数"], STATS_WIDTHS, formats, title)
    counts = status_counts(master)
    for status, n in counts.items():
        s.write([status, n])
    last = s.row - 1
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "任务数", "categories": ["统计", 1, 0, last, 0], "values": ["统计", 1, 1, last, 1],
                      "data_labels": {"value": True}})
    chart.set_title({"name": f"{master.round}任务完成状态"})
    chart.set_legend({"none": True})
    s.ws.insert_chart(1, 3, chart)
    s.row += 17  # leave room for the chart
    for i, h in enumerate(["单位", *STATUS_COLUMNS, "合计"]):
        s.ws.write_string(s.row, i, h, header)
    s.row += 1
    for values in unit_counts(master):
        s.write(values)
    wb.close()
