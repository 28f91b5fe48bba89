"""The master table (汇总表): a pure function of the ledger and the plan, and its workbook.

:func:`build_master` assembles a :class:`zwgk_xl.model.Master` for one round;
:func:`write_master` writes it with xlsxwriter: 汇总 (a title row, one short row
per task), 明细 (one row per task × unit, with autofilter), 报送情况, 问题清单 and
统计.  Task statuses and counts come from :mod:`zwgk_xl.merge.statistics`.
Every value is written as a string cell, so text such as ``=HYPERLINK(...)``
stays inert.
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache
from itertools import chain, islice
from pathlib import Path

import xlsxwriter

from zwgk_xl.core import findings as fk
from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.errors import WorkspaceError
from zwgk_xl.decompose.assign import assign_tasks
from zwgk_xl.forms.spec import ROLE_LEAD
from zwgk_xl.ledger.store import is_word_copy
from zwgk_xl.core.model import STATUSES, Document, Finding, Master, MasterRow, Node, UnitReport, UnitStatus
from zwgk_xl.core.xlsxbulk import BulkSheet, close_workbook
from zwgk_xl.core.xlsxfit import row_height, row_heights
from zwgk_xl.merge import statistics as st
from zwgk_xl.merge.attachments import companions
from zwgk_xl.merge.statistics import NOT_FILLED, NOT_SUBMITTED

OVERDUE = "逾期"
LATE = "逾期报送"  # 报送情况 of a unit whose first file came after the round's due date
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
    """Whether two submissions of a unit hold the same answers and form fields (a Word copy's table has no
    form fields: only those both give are compared)."""
    fields = zip((older.filler, older.phone, older.fill_date), (newer.filler, newer.phone, newer.fill_date))
    lenient = is_word_copy(older) or is_word_copy(newer)
    if any(a != b and not (lenient and (not a or not b)) for a, b in fields):
        return False
    def answers(sub) -> dict:
        return {tid: {k: v for k, v in vals.items() if k not in ("row", "status_raw")}
                for tid, vals in ledger.submission_values(sub.id).items()}

    return answers(older) == answers(newer)


LATE_DOUBTFUL_SHARE = 0.5  # more units than this share "late": the files' times are when they were saved
LATE_DOUBTFUL_MIN = 4  # … judged only from this many units with a file


def late_submissions(ledger, round: str, subs: list) -> tuple[list, int]:
    """(the first submission of each unit that sent its first file after the round's due date, the number of
    units whose files look late but were not judged).  A correction sent later does not make an on-time unit
    late.  When most units look late, the files' times are taken for when they were saved into the folder
    (copied out of a mail client in one go), not when they were received: none is judged late then, and
    their number is returned instead.  ``subs``: :meth:`Ledger.submissions`, oldest first."""
    due = ledger.round_due(round)
    if due is None:
        return [], 0
    first: dict[str, object] = {}
    for s in subs:
        first.setdefault(s.unit, s)
    late = [s for s in first.values() if s.received_at[:10] > due.isoformat()]
    if len(first) >= LATE_DOUBTFUL_MIN and len(late) > LATE_DOUBTFUL_SHARE * len(first):
        return [], len(late)
    return late, 0


def round_findings(ledger, round: str, units: dict[str, int], only_units: set[str] | None = None, *,
                   subs: list | None = None) -> list[Finding]:
    """Findings about the round as a whole: duplicate submissions and units that returned nothing
    (``subs``: the round's submissions, when the caller has read them)."""
    out: list[Finding] = []
    subs = ledger.submissions(round) if subs is None else subs
    by_id = {s.id: s for s in subs}
    for s in subs:
        if s.superseded_by is None or (only_units is not None and s.unit not in only_units):
            continue
        newer = by_id[s.superseded_by]
        copy = is_word_copy(s) and not is_word_copy(newer)  # a Word copy beside the spreadsheet, whenever sent
        if _same_content(ledger, s, newer):
            out.append(fk.finding(
                "resubmitted-same",
                f"{s.unit}报送了多份，「{newer.file_name}」与「{s.file_name}」填报内容相同，"
                + ("采用表格文件。" if copy else "采用较新的一份。"), unit=s.unit, file=s.file_name))
            continue
        if copy:
            message = (f"{s.unit}报送了多份：采用表格文件「{newer.file_name}」（{show_time(newer.received_at)}）；"
                       f"Word 文件「{s.file_name}」（{show_time(s.received_at)}）中的表格内容与之不同，未采用，请核对。")
        else:
            message = (f"{s.unit}报送了多份：「{newer.file_name}」（{show_time(newer.received_at)}）"
                       f"替代了「{s.file_name}」（{show_time(s.received_at)}）。")
        out.append(fk.finding("duplicate-submission", message, unit=s.unit, file=s.file_name))
    late, doubtful = late_submissions(ledger, round, subs)
    for s in late:
        if only_units is None or s.unit in only_units:
            out.append(fk.finding("late-submission", f"{s.unit}于 {show_time(s.received_at)} 报送，晚于本轮报送期限"
                                                     f"（{ledger.round_due(round).isoformat()}）。",
                                  unit=s.unit, file=s.file_name))
    if doubtful and (only_units is None or only_units):
        out.append(fk.finding(
            "late-submission", f"有 {doubtful} 个单位的文件时间晚于本轮报送期限（{ledger.round_due(round).isoformat()}），"
                               "多半是文件保存到文件夹的时间，不是收到的时间，因此未判断哪些单位逾期报送。",
            action="用 mail fetch 收取的回复按邮件发出的时间计；手工保存的文件，可按原收到时间修改文件时间后重新汇总。"))
    submitted = {s.unit for s in subs}
    for unit, n in units.items():
        if unit not in submitted:
            out.append(fk.finding("missing-submission", f"{unit}有 {n} 项任务，本轮（{round}）尚未报送。", unit=unit))
    return out


def _stored_findings(ledger, round: str) -> list[Finding]:
    """File findings still relevant: those of submissions in force and of rejected files
    whose unit has not since sent an accepted one (a scan beside a form in force: a note, see
    :mod:`zwgk_xl.merge.attachments`)."""
    current = ledger.current_submissions(round)
    current_sha = {s.sha256 for s in current.values()}
    relevant = set()
    for r in ledger.receipts(round):
        sub = current.get(r["unit"])
        if r["sha256"] in current_sha:
            relevant.add(r["sha256"])
        elif r["outcome"] != "accepted" and (sub is None or sub.received_at < r["received_at"]):
            relevant.add(r["sha256"])
    return companions([f for sha, f in ledger.file_findings(round) if sha in relevant], set(current))


def build_master(ledger, plan: Document, round: str, directory=None, today: _dt.date | None = None,
                 assigned: dict[str, list[tuple[Node, str]]] | None = None, *,
                 as_of: _dt.date | None = None) -> Master:
    """The merged state of ``round``: one row per plan task, every unit's status, every finding.

    Pure: depends only on the ledger's content, the plan, ``directory`` (group
    expansion) and the as-of date ``as_of`` (or ``today``; overdue flags; default:
    the current date), kept as ``master.as_of``.
    ``assigned`` is :func:`assigned_tasks` of the same arguments when the caller has it already.
    """
    today = as_of or today or _dt.date.today()
    if assigned is None:
        assigned = assigned_tasks(ledger, plan, round, directory)
    units = {u: len(t) for u, t in assigned.items()}
    reports = ledger.latest_reports(round)
    subs = ledger.submissions(round)
    current = {s.unit: s for s in subs if s.superseded_by is None}
    rows: list[MasterRow] = []
    task_stats: list[st.TaskStat] = []
    pairs = task_units(assigned)
    submitted = set(current)
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
        stat = st.task_status(row, submitted)
        row.overdue = st.is_overdue(task, stat.status, today)
        rows.append(row)
        task_stats.append(stat)

    superseded: dict[str, list[str]] = {}
    for s in subs:
        if s.superseded_by is not None:
            superseded.setdefault(s.unit, []).append(s.file_name)
    findings = _stored_findings(ledger, round) + round_findings(ledger, round, units, subs=subs)
    findings += st.lead_not_applicable_findings(task_stats)
    per_unit: dict[str, int] = {}
    for f in findings:
        if f.severity != fk.INFO and f.unit:
            per_unit[f.unit] = per_unit.get(f.unit, 0) + 1
    late = {s.unit for s in late_submissions(ledger, round, subs)[0]}
    statuses = []
    for unit in list(units) + [u for u in current if u not in units]:
        sub = current.get(unit)
        statuses.append(UnitStatus(
            unit=unit, task_count=units.get(unit, 0), submitted=sub is not None,
            submitted_at=sub.received_at if sub else "", file=sub.file_name if sub else "",
            findings=per_unit.get(unit, 0), superseded=superseded.get(unit, []), late=unit in late))

    prev = ledger.previous_round(round) if round in ledger.rounds() else None
    prev_status: dict[str, str] = {}
    if prev:
        prev_reports = ledger.latest_reports(prev)
        prev_units = set(ledger.current_submissions(prev))
        for task in plan.tasks:
            reps = []
            for u, role in pairs.get(task.id, []):
                r = prev_reports.get((task.id, u)) or UnitReport(unit=u, role=role)
                r.role = role
                reps.append(r)
            status = st.task_status(MasterRow(task=task, reports=reps), prev_units).status
            if status not in (NOT_FILLED, NOT_SUBMITTED):
                prev_status[task.id] = status
    return Master(round=round, plan=plan, rows=rows, units=statuses, findings=findings,
                  previous_round=prev, previous_status=prev_status, as_of=today)


def as_of_date(master: Master) -> _dt.date:
    """The date the master was built for (overdue flags, title row), else today."""
    return master.as_of or _dt.date.today()


# ---------------------------------------------------------------------------
# Cells

SUMMARY_HEADERS = ["任务编号", "工作任务", "完成时限", "牵头单位", "完成状态", "牵头单位落实情况", "其他单位情况", "是否逾期"]
DETAIL_HEADERS = ["任务编号", "工作任务", "单位", "角色", "完成状态", "落实情况", "完成时间", "存在问题", "下步计划",
                  "填报人", "填报日期", "报送时间"]
UNIT_HEADERS = ["单位", "任务数", "报送情况", "报送时间", "文件", "问题数", "被替代的早先报送"]
FINDING_HEADERS = ["序号", "严重程度", "类型", "代码", "单位", "文件", "工作表", "单元格", "问题", "建议处理"]
STATUS_COLUMNS = list(st.CATEGORIES)
# Column widths (characters): 汇总 and 明细 print one A4 landscape page wide at 90 % or more.
SUMMARY_WIDTHS = [8, 20, 11, 13, 11, 46, 38, 6]
DETAIL_WIDTHS = [7, 14, 12, 5, 7, 34, 10, 14, 14, 7, 10, 11]
UNIT_WIDTHS = [24, 7, 9, 17, 38, 7, 30]
FINDING_WIDTHS = [5, 7, 14, 16, 14, 22, 8, 7, 40, 34]
STATS_WIDTHS = [20, 8, 8, 8, 8, 8, 8, 8, 8, 8]
FONT_SIZE = 10
LINE_HEIGHT = 13.5  # points per line of 10 pt text
LEAD_CELL = 600  # characters of the lead's account in 汇总 (full text in 明细)
CELL_LIMIT = 1000  # no 汇总 cell longer
MAX_CELL = 32000  # Excel holds at most 32,767 characters in a cell
CHUNK_ROWS = 2000  # rows sized and written at a time
NAMES_SHOWN = 12  # units named in a 未报 list before 「等n个」


_CJK = r"\u2e80-\u9fff\uff00-\uffef“”‘’《》、。"
_HALF = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？"}
# Each pattern tries a place once: a run of spaces is entered only at its start, and brackets are matched before
# their content is looked at (a 32,000-character answer with an unclosed "(" or a long blank run took seconds).
_HALF_MARK = re.compile(rf"(?<=[{_CJK}])\s*([,:;!?])\s*|(?:(?<!\s)\s+)?([,:;!?])\s*(?=[{_CJK}])")
_IN_PARENS = re.compile(r"\(([^()]*)\)")
_HAS_CJK = re.compile(rf"[{_CJK}]")
_PARENS_AFTER_CJK = re.compile(rf"(?<=[{_CJK}])\(([^()]*)\)")
_PARENS_BEFORE_CJK = re.compile(rf"\(([^()]{{1,6}})\)(?=[{_CJK}])")  # (1)强化…


def fullwidth(text: str) -> str:
    """Half-width , : ; ! ? ( ) next to Chinese text as full-width marks (GB/T 15834);
    numbers (1,234  09:30), ASCII-only brackets and a formula's text keep theirs."""
    if not text or text[0] in "=+-@":  # empty, or a formula's text: shown exactly as entered
        return text or ""
    out = _HALF_MARK.sub(lambda m: _HALF[m.group(1) or m.group(2)], text)
    out = _IN_PARENS.sub(lambda m: f"（{m.group(1)}）" if _HAS_CJK.search(m.group(1)) else m.group(0), out)
    out = _PARENS_AFTER_CJK.sub(r"（\1）", out)
    return _PARENS_BEFORE_CJK.sub(r"（\1）", out)


def report_status(rep: UnitReport, submitted: set[str] | None = None) -> str:
    """A unit's answer as shown in the master: its status, 未填报 or 未报送 (statistics categories)."""
    return st.answer(rep, submitted)


def show_date(value: str) -> str:
    """An ISO date or datetime as 2020-12-20; other text unchanged."""
    return _show_date(value) if value is None or len(value) <= 64 else _show_date.__wrapped__(value)


def show_time(value: str) -> str:
    """An ISO datetime as 2020-12-28 09:15."""
    return _show_time(value) if value is None or len(value) <= 64 else _show_time.__wrapped__(value)


@lru_cache(maxsize=4096)  # dates and times recur on every row of a unit (long texts are not kept)
def _show_date(value: str) -> str:
    v = (value or "").strip()
    return v[:10] if len(v) >= 10 and v[4:5] == "-" and v[7:8] == "-" else v


@lru_cache(maxsize=4096)
def _show_time(value: str) -> str:
    v = (value or "").strip()
    return v[:16].replace("T", " ") if len(v) >= 16 and v[10:11] in ("T", " ") else show_date(v)


def _clip(text: str, limit: int = MAX_CELL, more: str = "……（过长已截断，完整内容见台账）") -> str:
    return text if len(text) <= limit else text[:limit - len(more)] + more


def _join(parts: list[str]) -> str:
    return _clip("\n".join(p for p in parts if p))


def _names(units: list[str]) -> str:
    shown = "、".join(units[:NAMES_SHOWN])
    return shown + (f"等{len(units)}个" if len(units) > NAMES_SHOWN else "")


def others_summary(row: MasterRow, submitted: set[str]) -> str:
    """「已报 k/n，已完成 a、推进中 b；共公开信息x条；未报：…」 for the units that do not lead."""
    others = [r for r in row.reports if r.role != ROLE_LEAD]
    if not others:
        return ""
    cats = [report_status(r, submitted) for r in others]
    reported = [c for c in cats if c in STATUSES]
    counts = [f"{c} {cats.count(c)}" for c in STATUSES if c in cats]
    parts = [f"已报 {len(reported)}/{len(others)}" + ("，" + "、".join(counts) if counts else "")]
    totals = st.add_quantities([r.progress for r in others if r.status and r.status != st.NOT_APPLICABLE])
    if totals:
        parts.append("共" + "、".join(f"{label}{st.format_number(v)}{m}" for label, v, m in totals))
    blank = [r.unit for r, c in zip(others, cats) if c == NOT_FILLED]
    missing = [r.unit for r, c in zip(others, cats) if c == NOT_SUBMITTED]
    if blank:
        parts.append(f"未填：{_names(blank)}")
    if missing:
        parts.append(f"未报：{_names(missing)}")
    return _clip("；".join(parts), CELL_LIMIT, "……")


def lead_account(row: MasterRow, submitted: set[str]) -> str:
    """The lead units' accounts, their problems and next steps (each lead named when there are several)."""
    leads = [r for r in row.reports if r.role == ROLE_LEAD]
    many = len(leads) > 1
    room = max(80, LEAD_CELL // max(1, len(leads)))
    out = []
    for r in leads:
        text = _clip(fullwidth(r.progress.strip()), room, "……（全文见明细）")
        extra = [f"问题：{_clip(fullwidth(r.problems.strip()), 100, '……')}" if r.problems.strip() else "",
                 f"下步：{_clip(fullwidth(r.next_steps.strip()), 100, '……')}" if r.next_steps.strip() else ""]
        body = "\n".join(p for p in [text, *extra] if p)
        if many:
            body = f"{r.unit}（{report_status(r, submitted)}）：" + (body or "未填写落实情况")
        out.append(body)
    return _clip("\n".join(out), CELL_LIMIT, "……（全文见明细）")


def summary_row(row: MasterRow, submitted: set[str] | None = None, stat: st.TaskStat | None = None) -> list[str]:
    """The 汇总 cells of one task (strings, in SUMMARY_HEADERS order)."""
    submitted = submitted if submitted is not None else {r.unit for r in row.reports if r.submitted_at}
    stat = stat or st.task_status(row, submitted)
    t = row.task
    leads = [r.unit for r in row.reports if r.role == ROLE_LEAD]
    status = stat.status + (f"\n（{stat.done_share}）" if stat.deciding > 1 and stat.status != st.DONE else "")
    return [t.id, t.title, t.deadline.date or t.deadline.text, "、".join(leads), status,
            lead_account(row, submitted), others_summary(row, submitted), OVERDUE if stat.overdue or row.overdue else ""]


def detail_rows(row: MasterRow, submitted: set[str]) -> list[list[str]]:
    """The 明细 rows of one task: one per unit, leads first."""
    t = row.task
    return [[t.id, t.title, r.unit, r.role, report_status(r, submitted), _clip(r.progress), show_date(r.done_date),
             _clip(r.problems), _clip(r.next_steps), r.filler, show_date(r.fill_date), show_time(r.submitted_at)]
            for r in row.reports]


def unit_row(u: UnitStatus) -> list:
    shown = (LATE if u.late else "已报送") if u.submitted else NOT_SUBMITTED
    return [u.unit, u.task_count, shown, show_time(u.submitted_at), u.file, u.findings, "、".join(u.superseded)]


def finding_row(i: int, f: Finding) -> list:
    return [i, fk.SEVERITY_TITLES.get(f.severity, f.severity), fk.title(f.type), f.type, f.unit, f.file,
            f.sheet, f.cell, f.message, f.action]


def status_counts(master: Master) -> dict[str, int]:
    """Tasks per category, by the task-status rule (see :mod:`zwgk_xl.merge.statistics`)."""
    return st.round_statistics(master).by_status


def unit_counts(master: Master) -> list[list]:
    """Per unit: counts of its answers by category, then the total."""
    return [[u.unit, *(u.counts[c] for c in STATUS_COLUMNS), u.tasks] for u in st.round_statistics(master).units]


def status_line(by_status: dict[str, int]) -> str:
    """「已完成 3 项、推进中 2 项」 for the categories that occur."""
    return "、".join(f"{c} {n} 项" for c, n in by_status.items() if n) or "暂无"


def _row_height(values: list, widths: list[int]) -> float:
    """Row height (points) showing every wrapped cell in full (the estimate every writer uses)."""
    return row_height(values, widths, line=LINE_HEIGHT, margin=1.5, pad=4)


# ---------------------------------------------------------------------------
# Writing


class _Sheet:
    """Row-by-row writer: strings via write_string, numbers via write_number, blanks bordered.

    Every sheet prints on A4 landscape, one page wide, with its header row
    (and title row, when there is one) repeated on each page and page numbers
    in the footer.
    """

    def __init__(self, wb, name: str, headers: list[str], widths: list[int], formats: dict, title: str,
                 title_lines: list[str] | None = None):
        self.ws = wb.add_worksheet(name, worksheet_class=BulkSheet)
        self.fmt, self.num, self.note_fmt = formats["text"], formats["number"], formats["note"]
        self.widths = widths
        for i, w in enumerate(widths):
            self.ws.set_column(i, i, w)
        self.row = 0
        if title_lines:
            last = len(headers) - 1
            self.ws.merge_range(0, 0, 0, last, title_lines[0], formats["title"])
            self.ws.set_row(0, 30)
            for line in title_lines[1:]:
                self.row += 1
                self.ws.merge_range(self.row, 0, self.row, last, line, formats["subtitle"])
                self.ws.set_row(self.row, 18)
            self.row += 1
        self.header_row = self.row
        for i, h in enumerate(headers):
            self.ws.write_string(self.row, i, h, formats["header"])
        self.row += 1
        self.first = self.row
        self.ws.freeze_panes(self.row, 0)
        self.ws.set_landscape()
        self.ws.set_paper(9)  # A4
        self.ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
        self.ws.repeat_rows(self.header_row)
        self.ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        self.ws.set_header("&C" + f"{title} {name}".replace("&", "&&"))
        self.ws.set_footer("&C第 &P 页，共 &N 页")
        self.width = len(headers)

    def write(self, values: list) -> None:
        # xlsxwriter cannot autofit and LibreOffice keeps the default height: size the row to its wrapped text
        self.write_many([values])

    def write_many(self, rows) -> None:
        """Write the rows of an iterable, a chunk at a time (a county's 明细 has tens of thousands)."""
        it = iter(rows)
        while chunk := list(islice(it, CHUNK_ROWS)):
            heights = row_heights(chunk, self.widths, line=LINE_HEIGHT, margin=1.5, pad=4)
            self.row = self.ws.append_rows(self.row, chunk, heights, self.fmt, self.num)

    def note(self, text: str) -> None:
        """A wrapped note below the table, merged across its width (overflowing text would widen the print)."""
        row = self.row + 1
        self.ws.merge_range(row, 0, row, self.width - 1, text, self.note_fmt)
        self.ws.set_row(row, _row_height([text], [sum(self.widths[:self.width])]))

    @property
    def last(self) -> int:
        return max(self.row - 1, self.first)


def write_master(master: Master, path, *, area: str = "") -> Path:
    """Write the master workbook to ``path`` atomically; returns the path.

    ``area``: the place for the title row (e.g. 示例县; the ``area`` setting).
    """
    path = Path(path)
    with atomic_path(path, WorkspaceError) as tmp:
        _write(master, str(tmp), area)
    return path


def master_title(master: Master, area: str = "") -> str:
    return f"{area}{master.round}政务公开工作任务落实情况汇总表"


def _write(master: Master, filename: str, area: str = "") -> None:
    stats = st.round_statistics(master)
    as_of = as_of_date(master)
    submitted = set(stats.submitted)
    wb = xlsxwriter.Workbook(filename, {"constant_memory": False, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    title = master_title(master, area)
    wb.set_properties({"title": title, "author": "zwgk-xl"})
    base = {"font_name": "宋体", "font_size": FONT_SIZE}
    header = wb.add_format({**base, "bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                            "valign": "vcenter", "align": "center"})
    formats = {"header": header,
               "text": wb.add_format({**base, "text_wrap": True, "valign": "top", "border": 1}),
               "number": wb.add_format({**base, "valign": "top", "border": 1}),
               "title": wb.add_format({**base, "font_name": "黑体", "font_size": 16, "align": "center",
                                       "valign": "vcenter"}),
               "subtitle": wb.add_format({**base, "align": "center", "valign": "vcenter"}),
               "note": wb.add_format({**base, "text_wrap": True, "valign": "top"})}
    good = wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
    mid = wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
    bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})

    def highlight(s: _Sheet, col: int, rules: list[tuple[str, object]], begins: bool = False) -> None:
        for value, fmt in rules:
            opts = ({"type": "text", "criteria": "begins with", "value": value, "format": fmt} if begins else
                    {"type": "cell", "criteria": "==", "value": f'"{value}"', "format": fmt})
            s.ws.conditional_format(s.first, col, s.last, col, opts)

    status_rules = [("已完成", good), ("推进中", mid), ("长期推进", mid), ("未启动", bad), (NOT_SUBMITTED, bad),
                    (NOT_FILLED, bad)]
    plan_name = (master.plan.title or "").strip()
    lines = [title,
             f"截至 {as_of.isoformat()}　任务 {stats.total} 项：{status_line(stats.by_status)}；"
             f"应报单位 {len(stats.units)} 个，已报 {len(stats.submitted)} 个"
             + (f"　依据：{plan_name}" if plan_name else "")]
    s = _Sheet(wb, "汇总", SUMMARY_HEADERS, SUMMARY_WIDTHS, formats, title, lines)
    by_id = {t.task.id: t for t in stats.tasks}
    s.write_many(summary_row(row, submitted, by_id.get(row.task.id)) for row in master.rows)
    highlight(s, SUMMARY_HEADERS.index("完成状态"), status_rules, begins=True)
    highlight(s, SUMMARY_HEADERS.index("是否逾期"), [(OVERDUE, bad)])
    s.ws.autofilter(s.header_row, 0, s.last, len(SUMMARY_HEADERS) - 1)
    s.note("完成状态判定：" + st.RULE_TEXT)

    s = _Sheet(wb, "明细", DETAIL_HEADERS, DETAIL_WIDTHS, formats, title)
    s.write_many(chain.from_iterable(detail_rows(row, submitted) for row in master.rows))
    highlight(s, DETAIL_HEADERS.index("完成状态"), status_rules)
    s.ws.autofilter(s.header_row, 0, s.last, len(DETAIL_HEADERS) - 1)

    s = _Sheet(wb, "报送情况", UNIT_HEADERS, UNIT_WIDTHS, formats, title)
    s.write_many(map(unit_row, master.units))
    highlight(s, 2, [(NOT_SUBMITTED, bad), ("已报送", good), (LATE, mid)])
    s.ws.conditional_format(s.first, 5, s.last, 5, {"type": "cell", "criteria": ">", "value": 0, "format": mid})
    s.ws.autofilter(s.header_row, 0, s.last, len(UNIT_HEADERS) - 1)

    s = _Sheet(wb, "问题清单", FINDING_HEADERS, FINDING_WIDTHS, formats, title)
    s.write_many(finding_row(i, f) for i, f in enumerate(master.findings, start=1))
    highlight(s, 1, [("错误", bad), ("警告", mid)])
    s.ws.autofilter(s.header_row, 0, s.last, len(FINDING_HEADERS) - 1)

    s = _Sheet(wb, "统计", ["完成状态", "任务数"], STATS_WIDTHS, formats, title)
    for status, n in stats.by_status.items():
        s.write([status, n])
    first, last = s.first, s.row - 1
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "任务数", "categories": ["统计", first, 0, last, 0],
                      "values": ["统计", first, 1, last, 1], "data_labels": {"value": True}})
    chart.set_title({"name": f"{master.round}任务完成状态"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 480, "height": 260})
    s.ws.insert_chart(first, 3, chart, {"object_position": 3})
    s.row = max(s.row, first + 14) + 1  # below the chart
    s.ws.set_row(s.row, 30)
    for i, h in enumerate(["单位", *STATUS_COLUMNS, "合计"]):
        s.ws.write_string(s.row, i, h, header)
    s.row += 1
    s.write_many([u.unit, *(u.counts[c] for c in STATUS_COLUMNS), u.tasks] for u in stats.units)
    s.width = len(STATUS_COLUMNS) + 2  # the unit table's width
    s.note("完成状态判定：" + st.RULE_TEXT)
    close_workbook(wb)
