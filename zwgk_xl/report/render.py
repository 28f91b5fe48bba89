"""The consolidated 落实情况报告: context data, Word rendering, statistics workbook.

:func:`build_report_context` turns a :class:`~zwgk_xl.model.Master` into plain
data (no Word objects); :func:`render_report` fills the user-editable docxtpl
template with it, writes the statistics workbook beside the report and,
on request, a PDF through LibreOffice.  :func:`report_workspace` is the one
call behind ``zwgk-xl report``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Mapping

from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.cntext import cn_date, int_to_cn
from zwgk_xl.core.errors import ConverterMissing, InputError, ReportError, WorkspaceError
from zwgk_xl.core.office import convert_with_soffice, soffice_path
from zwgk_xl.core.model import STATUSES, Master, MasterRow, Node, UnitReport
from zwgk_xl.core.resources import template_path

TEMPLATE_NAME = "报告模板.docx"
MISSING = "未填报"  # no status reported
STAT_COLUMNS = list(STATUSES) + [MISSING]
# Keys of the per-unit statistics (ASCII, for template expressions).
STATUS_KEYS = {
    "已完成": "done",
    "推进中": "progressing",
    "未启动": "not_started",
    "不涉及": "not_applicable",
    "长期推进": "ongoing",
    MISSING: "missing",
}

# ---------------------------------------------------------------------------
# Small text helpers



def numbering_label(token: str) -> str:
    """A numbering token as printed: 一 -> 一、, (一) -> (一), 1 -> 1., (1) -> (1)."""
    t = token.strip()
    if re.fullmatch(r"[一二三四五六七八九十百零〇]+", t):
        return t + "、"
    m = re.fullmatch(r"[((](.+)[))]", t)
    if m:
        return f"({m.group(1)})"
    if t.isdigit():
        return t + "."
    return t


def percent(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "0.0%"



def _join(names, sep: str = "、") -> str:
    return sep.join(n for n in names if n)


def _abbreviates(alias: str, name: str) -> bool:
    """True when ``alias`` is ``name`` with characters left out (县发改局 / 县发展和改革局).

    Other aliases (old names such as 县扶贫办 for 县乡村振兴局) are not short names.
    """
    rest = iter(name)
    return len(alias) < len(name) and all(ch in rest for ch in alias)


def short_name(unit: str, directory=None) -> str:
    """The unit's 简称 from the directory: its first alias that abbreviates the name."""
    if directory is None or not unit:
        return unit
    found = directory.get(unit)
    if found is None:
        return unit
    return next((a for a in found.aliases if a and _abbreviates(a, found.name)), found.name)


# ---------------------------------------------------------------------------
# Boilerplate removal

_SENTENCE = re.compile(r"[^。!?;!?;\n]*(?:[。!?;!?;]+\n?|\n|$)")
_PUNCT = re.compile(r"[\s,。、;:!?“”‘’()《》,.;:!?()\"'·…—-]+")
# Generic leading clauses ("我单位高度重视,") that say nothing; no digits allowed.
_OPENER = re.compile(
    r"^[^,。;,;\d]{0,14}?"
    r"(高度重视|认真贯彻落实|认真贯彻|认真落实|积极响应|高度关注|切实加强组织领导|按照[^,。;,;\d]{0,30}要求)"
    r"[^,。;,;\d]{0,16}[,。;,;]\s*"
)
_EMPTY_WORDS = {"", "无", "暂无", "没有", "无。", "暂无。", "/", "-", "—", "无问题", "暂无问题", "不涉及"}


def _norm(text: str) -> str:
    return _PUNCT.sub("", text or "")


def sentences(text: str) -> list[str]:
    """Split Chinese prose into sentences, keeping their closing punctuation and line
    breaks, so that joining them gives the text back (less surrounding blanks)."""
    return [s.lstrip(" \t\u3000") for s in _SENTENCE.findall(text or "") if s.strip()]


def trim_opener(text: str) -> str:
    """Drop generic leading clauses such as 「我单位高度重视,」; keep the text if nothing else is left."""
    out = (text or "").strip()
    while True:
        m = _OPENER.match(out)
        if not m or not out[m.end():].strip():
            return out
        out = out[m.end():].lstrip()


def _is_empty(text: str) -> bool:
    return _norm(text) in {_norm(w) for w in _EMPTY_WORDS}


def _boilerplate(rows: list[MasterRow], min_tasks: int = 3) -> set[str]:
    """Sentences (normalised) pasted into ``min_tasks`` or more tasks: no figures, short."""
    seen: dict[str, set[str]] = {}
    for row in rows:
        for r in row.reports:
            for s in sentences(r.progress):
                key = _norm(s)
                if 6 <= len(key) <= 40 and not re.search(r"\d", key):
                    seen.setdefault(key, set()).add(row.task.id)
    return {k for k, tasks in seen.items() if len(tasks) >= min_tasks}


def _clean_progress(text: str, boiler: set[str]) -> str:
    """Trim openers and boilerplate sentences; the original if nothing would be left."""
    kept = [s for s in sentences(trim_opener(text)) if _norm(s) not in boiler]
    joined = "".join(kept).strip()
    return joined or (text or "").strip()


def merge_unit_texts(items: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """Join units' texts for one task: identical texts share one paragraph, and a
    sentence already said by an earlier unit is not repeated.

    ``items`` are ``(unit label, text)`` in report order (lead first); returns
    ``([unit labels], text)`` paragraphs.
    """
    out: list[tuple[list[str], str]] = []
    said: dict[str, int] = {}  # normalised sentence -> index into out
    for label, text in items:
        key = _norm(text)
        same = next((i for i, (_, t) in enumerate(out) if _norm(t) == key), None)
        if same is not None:
            out[same][0].append(label)
            continue
        fresh, first_dup = [], None
        for s in sentences(text):
            k = _norm(s)
            if len(k) >= 6 and k in said:
                first_dup = said[k] if first_dup is None else first_dup
                continue
            fresh.append(s)
        if not fresh and first_dup is not None:
            out[first_dup][0].append(label)
            continue
        out.append(([label], "".join(fresh).strip()))
        for s in fresh:
            said.setdefault(_norm(s), len(out) - 1)
    return out


# ---------------------------------------------------------------------------
# Statistics


def _task_status(row: MasterRow | None) -> str:
    return (row.status if row else "") or MISSING


def _row_units(row: MasterRow | None, node: Node) -> list[str]:
    """Responsible units of a task: those in its reports, else the plan's."""
    if row and row.reports:
        return [r.unit for r in row.reports]
    return list(node.lead_local) + [u for u in node.others_local if u not in node.lead_local]


def compute_statistics(master: Master, directory=None) -> dict:
    """Counts by task status and by unit; the single source for report and workbook.

    Returns a dict with ``total``, ``by_status`` (status -> count, including
    未填报), ``units`` (list of per-unit dicts with counts per status, task count
    and 完成率 = 已完成 ÷ (任务数 − 不涉及)), ``submitted`` / ``not_submitted``
    unit names, ``overdue``, ``unreported`` (task rows) and ``changes``
    (round over round).
    """
    rows = {r.task.id: r for r in master.rows}
    tasks = master.plan.tasks
    by_status = Counter({s: 0 for s in STAT_COLUMNS})
    for t in tasks:
        by_status[_task_status(rows.get(t.id))] += 1

    unit_counts: "OrderedDict[str, Counter]" = OrderedDict()
    for us in master.units:
        unit_counts.setdefault(us.unit, Counter())
    for t in tasks:
        row = rows.get(t.id)
        for r in row.reports if row else []:
            unit_counts.setdefault(r.unit, Counter())[r.status or MISSING] += 1
    status_of = {us.unit: us for us in master.units}
    units = []
    for i, (unit, c) in enumerate(unit_counts.items(), 1):
        n = sum(c.values())
        us = status_of.get(unit)
        if us is not None and us.task_count > n:  # tasks with no report row at all
            c[MISSING] += us.task_count - n
            n = us.task_count
        entry = {
            "no": i,
            "unit": unit,
            "short": short_name(unit, directory),
            "tasks": n,
            "submitted": bool(us.submitted) if us else any(c[s] for s in STATUSES),
            "done_rate": percent(c["已完成"], n - c["不涉及"]),
        }
        entry.update({STATUS_KEYS[s]: c[s] for s in STAT_COLUMNS})
        units.append(entry)

    overdue, unreported = [], []
    for t in tasks:
        row = rows.get(t.id)
        if row and row.overdue:
            overdue.append(t)
        if not row or not any(r.status or r.progress for r in row.reports):
            unreported.append(t)
    changes = []
    if master.previous_round:
        for t in tasks:
            before = master.previous_status.get(t.id, "") or MISSING
            now = _task_status(rows.get(t.id))
            if before != now and now != MISSING:  # not reported this round is a gap, not a move
                changes.append({"task": t, "before": before, "after": now})
    return {
        "total": len(tasks),
        "by_status": dict(by_status),
        "units": units,
        "submitted": [u["unit"] for u in units if u["submitted"]],
        "not_submitted": [u["unit"] for u in units if not u["submitted"]],
        "overdue": overdue,
        "unreported": unreported,
        "changes": changes,
    }


# ---------------------------------------------------------------------------
# Context


def _task_label(node: Node) -> str:
    title = (node.title or node.text or "").strip().rstrip("。;;,,")
    return f"{node.id} {title}".strip()


def _heading_text(node: Node) -> str:
    label = numbering_label(node.path[-1]) if node.path else ""
    title = (node.title or node.text or "").strip().rstrip("。;;,,")
    return label + title


def _has_task(node: Node) -> bool:
    return any(n.is_task for n in node.walk())


def _report_paragraphs(node: Node, row: MasterRow | None, boiler: set[str], directory,
                       submitted: set[str]) -> list[dict]:
    """The prose under one task: each unit's 落实情况, lead first; gaps named.

    ``submitted`` names the units that returned a form this round: a blank row
    from them is "not filled in", from the others "not reported".
    """
    reports: list[UnitReport] = list(row.reports) if row else []
    reports.sort(key=lambda r: 0 if r.role == "牵头" else 1)
    if not any(r.status or r.progress or r.unit in submitted for r in reports):
        units = _join(short_name(u, directory) for u in _row_units(row, node))
        who = f"责任单位{units}" if units else "该项任务尚未明确责任单位,"
        return [{"kind": "gap", "text": f"【未报送】{who}本轮未报送落实情况。"}]
    items, blocks, silent, empty = [], [], [], []
    for r in reports:
        label = short_name(r.unit, directory)
        text = r.progress.strip()
        if not r.status and not text and r.unit not in submitted:
            silent.append(label)
        elif r.status == "不涉及" and _is_empty(text):
            items.append((label, "不涉及。"))
        elif _is_empty(text):
            empty.append(f"{label}(完成状态为“{r.status}”)" if r.status else f"{label}(完成状态亦未填写)")
        else:
            items.append((label, _clean_progress(text, boiler)))
    for labels, text in merge_unit_texts(items):
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()] or [""]
        blocks.append({"kind": "text", "text": f"{_join(labels)}:{lines[0]}"})
        blocks.extend({"kind": "text", "text": ln} for ln in lines[1:])
    if empty:
        blocks.append({"kind": "gap", "text": f"【未填写落实情况】{_join(empty)}。"})
    if silent:
        blocks.append({"kind": "gap", "text": f"【未报送】{_join(silent)}本轮未报送该项落实情况。"})
    return blocks


def _body(master: Master, boiler: set[str], directory) -> list[dict]:
    rows = {r.task.id: r for r in master.rows}
    submitted = {u.unit for u in master.units if u.submitted}
    blocks: list[dict] = []

    def visit(node: Node, depth: int) -> None:
        if not _has_task(node):
            return
        blocks.append({"kind": f"h{min(depth, 4)}", "text": _heading_text(node), "id": node.id})
        if node.is_task:
            blocks.extend(_report_paragraphs(node, rows.get(node.id), boiler, directory, submitted))
        for child in node.children:
            visit(child, depth + 1)

    for root in master.plan.roots:
        visit(root, 1)
    return blocks


# Of the documents a list mentions, those in the chain of yearly task lists are cited.
_CHAIN = re.compile(r"政务公开.*(要点|任务|分解)")


def _cited(master: Master, cited) -> list[str]:
    """Superior documents as 《title》(文号), highest first, without duplicates.

    ``cited`` (from the caller or ``zwgk.toml``) comes first, then the plan's
    cited documents that belong to the chain of 政务公开 task lists (a list
    also mentions laws and other notices, which the report does not cite),
    then the plan's own superior document.
    """
    plan = master.plan
    out = list(cited or []) + [c for c in plan.cited or [] if _CHAIN.search(c)]
    if plan.title:
        title = plan.title.strip().strip("《》")
        out.append(f"《{title}》" + (f"({plan.doc_number})" if plan.doc_number else ""))
    seen, result = set(), []
    for c in out:
        key = _norm(c)
        if key and key not in seen:
            seen.add(key)
            result.append(c)
    return result


def report_title(plan_title: str) -> str:
    """关于<list>落实情况的报告: 「…工作要点分解表」 -> 「…工作要点」, 「…工作主要任务分解表」 -> 「…工作任务」."""
    core = re.sub(r"^关于印发|的通知$", "", (plan_title or "").strip().strip("《》"))
    core = re.sub(r"(主要)?(任务)?(分解表|分解方案|清单)$", "", core)
    if core.endswith("工作"):
        core += "任务"
    return f"关于{core}落实情况的报告" if core else "政务公开工作任务落实情况报告"


def _status_sentence(by_status: dict, total: int) -> str:
    parts = [f"{s}{by_status[s]}项(占{percent(by_status[s], total)})" for s in STAT_COLUMNS if by_status[s]]
    return ",".join(parts) if parts else "暂无填报数据"


def _task_list(nodes, rows, directory, extra) -> list[str]:
    out = []
    for t in nodes:
        units = _join(short_name(u, directory) for u in _row_units(rows.get(t.id), t))
        out.append(f"{_task_label(t)}({extra(t)}{'责任单位:' + units if units else '未明确责任单位'})")
    return out


def _collected(master: Master, field: str, directory) -> list[str]:
    """存在问题 / 下步计划 from the forms: one paragraph per distinct text, units joined."""
    items: "OrderedDict[str, tuple[list[str], str]]" = OrderedDict()
    for row in master.rows:
        for r in row.reports:
            text = (getattr(r, field) or "").strip()
            if _is_empty(text):
                continue
            label = short_name(r.unit, directory)
            key = _norm(text)
            labels, _ = items.setdefault(key, ([], text))
            if label not in labels:
                labels.append(label)
    return [f"{_join(labels)}:{text}" for labels, text in items.values()]


def build_report_context(master: Master, directory=None, cited=None, *, settings: Mapping | None = None,
                         today: dt.date | None = None, stats: dict | None = None) -> dict:
    """Plain data for the report template (see ``templates/README.md``).

    Args:
        master: the merged round (``zwgk_xl.master.build_master``).
        directory: unit directory; gives units' short names (简称) when given.
        cited: extra superior documents to cite, as 《title》(文号) strings.
        settings: the ``[report]`` table of ``zwgk.toml``: ``title``,
            ``organ`` (署名机关), ``recipient`` (主送机关), ``cited``.
        today: the report date (default: today).
        stats: :func:`compute_statistics` of ``master``, when already computed.

    Returns:
        A dict of strings, lists and dicts only.
    """
    settings = dict(settings or {})
    today = today or dt.date.today()
    plan = master.plan
    rows = {r.task.id: r for r in master.rows}
    if stats is None:
        stats = compute_statistics(master, directory)
    total, by_status = stats["total"], stats["by_status"]
    cited_docs = _cited(master, list(settings.get("cited") or []) + list(cited or []))
    organ = str(settings.get("organ") or "").strip()
    n_units = len(stats["units"])
    n_sub = len(stats["submitted"])

    basis = f"根据{'、'.join(cited_docs)}的要求" if cited_docs else "根据上级政务公开工作部署"
    opening = (
        f"{basis},{organ or '我单位'}将{total}项工作任务分解落实到{n_units}个责任单位,"
        f"组织开展{master.round}落实情况报送。"
    )
    if n_sub == 0:
        opening += f"截至{cn_date(today)},各责任单位均未报送本轮落实情况。"
    else:
        opening += (
            f"截至{cn_date(today)},{n_sub}个单位已报送"
            + (f",{n_units - n_sub}个单位未报送" if n_units > n_sub else "")
            + f";{total}项任务中{_status_sentence(by_status, total)}。"
        )
    opening += "现将有关情况报告如下:"

    roots = plan.roots
    top_cn = [r for r in roots if r.path and re.fullmatch(r"[一二三四五六七八九十]+", r.path[0])]
    start = len([r for r in roots if _has_task(r)]) + 1 if top_cn else 1
    names = ["落实情况统计", "逾期及未报送情况", "存在问题", "下步工作计划"]
    headings = {k: f"{int_to_cn(start + i)}、{n}"
                for i, (k, n) in enumerate(zip(["stats", "gaps", "problems", "next_steps"], names))}

    stat_pars = [
        f"本轮共{total}项任务:{_status_sentence(by_status, total)}。"
        f"应报送单位{n_units}个,已报送{n_sub}个"
        + (f",未报送{n_units - n_sub}个" if n_units > n_sub else "") + "。"
    ]
    if master.previous_round:
        ch = stats["changes"]
        newly_done = [c for c in ch if c["after"] == "已完成"]
        if n_sub == 0:
            stat_pars.append(f"本轮尚无单位报送,暂无法与上轮({master.previous_round})比较。")
        elif ch:
            stat_pars.append(
                f"与上轮({master.previous_round})相比,{len(ch)}项任务完成状态发生变化"
                + (f",其中新完成{len(newly_done)}项:" if newly_done else ":")
            )
            stat_pars.extend(f"{_task_label(c['task'])}:{c['before']}→{c['after']}。" for c in ch)
        else:
            stat_pars.append(f"与上轮({master.previous_round})相比,各项任务完成状态没有变化。")

    gaps = []
    if stats["overdue"]:
        gaps.append(f"逾期未完成任务{len(stats['overdue'])}项:")
        gaps += _task_list(stats["overdue"], rows, directory,
                           lambda t: f"完成时限{cn_date(t.deadline.date) or t.deadline.text},"
                           if (t.deadline.date or t.deadline.text) else "")
    else:
        gaps.append("无逾期未完成任务。")
    if stats["unreported"]:
        gaps.append(f"本轮无落实情况反馈的任务{len(stats['unreported'])}项:")
        gaps += _task_list(stats["unreported"], rows, directory, lambda t: "")
    else:
        gaps.append("各项任务均有落实情况反馈。")
    missing = [short_name(u, directory) for u in stats["not_submitted"]]
    gaps.append(f"未报送单位{len(missing)}个:{_join(missing)}。" if missing else "各责任单位均已报送。")

    problems = _collected(master, "problems", directory) or ["各单位本轮未报告存在的问题。"]
    next_steps = _collected(master, "next_steps", directory) or ["各单位本轮未填报下步工作计划。"]

    unit_rows = [dict(u) for u in stats["units"]]
    return {
        "title": str(settings.get("title") or report_title(plan.title)),
        "subtitle": f"({master.round})" if master.round else "",
        "recipient": str(settings.get("recipient") or "").strip(),
        "organ": organ,
        "date": cn_date(today),
        "round": master.round,
        "previous_round": master.previous_round or "",
        "cited": cited_docs,
        "opening": opening,
        "body": _body(master, _boilerplate(master.rows), directory),
        "headings": headings,
        "stats": {
            "total": total,
            "paragraphs": stat_pars,
            "table_title": "表1 任务完成状态统计",
            "unit_table_title": "表2 分单位落实情况统计",
            "note": "注:完成率=已完成÷(任务数−不涉及)。",
            "by_status": [
                {"status": s, "count": by_status[s], "percent": percent(by_status[s], total)}
                for s in STAT_COLUMNS
            ] + [{"status": "合计", "count": total, "percent": "100.0%" if total else "0.0%"}],
            "units": unit_rows,
            "submitted": stats["submitted"],
            "not_submitted": stats["not_submitted"],
            "changes": [
                {"id": c["task"].id, "title": c["task"].title, "before": c["before"], "after": c["after"]}
                for c in stats["changes"]
            ],
        },
        "overdue": [{"id": t.id, "title": t.title, "deadline": t.deadline.date or t.deadline.text}
                    for t in stats["overdue"]],
        "unreported": [{"id": t.id, "title": t.title} for t in stats["unreported"]],
        "gaps": gaps,
        "problems": problems,
        "next_steps": next_steps,
    }


# ---------------------------------------------------------------------------
# Files


def write_statistics(master: Master, path, directory=None, *, stats: dict | None = None) -> Path:
    """Write the statistics workbook: status distribution and completion by unit, with native charts.

    Args:
        master: the merged round.
        path: the .xlsx to write (atomically).
        directory: unit directory for short names.
        stats: :func:`compute_statistics` of ``master``, when already computed.

    Returns:
        The path written.
    """
    path = Path(path)
    if stats is None:
        stats = compute_statistics(master, directory)
    with atomic_path(path, ReportError) as tmp:
        _write_statistics_book(master, stats, directory, str(tmp))
    return path


def _write_statistics_book(master: Master, stats: dict, directory, filename: str) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(filename)
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter",
                          "bg_color": "#DDEBF7", "text_wrap": True})
    cell = wb.add_format({"border": 1})
    pct = wb.add_format({"border": 1, "num_format": "0.0%"})

    ws = wb.add_worksheet("状态分布")
    ws.write_row(0, 0, ["完成状态", "任务数", "占比"], head)
    total = stats["total"]
    for i, s in enumerate(STAT_COLUMNS, 1):
        n = stats["by_status"][s]
        ws.write(i, 0, s, cell)
        ws.write_number(i, 1, n, cell)
        ws.write_formula(i, 2, f"=IF(SUM($B$2:$B${len(STAT_COLUMNS) + 1})=0,0,B{i + 1}/SUM($B$2:$B${len(STAT_COLUMNS) + 1}))",
                         pct, n / total if total else 0)
    last = len(STAT_COLUMNS)
    ws.write(last + 1, 0, "合计", head)
    ws.write_formula(last + 1, 1, f"=SUM(B2:B{last + 1})", head, total)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 2, 10)
    pie = wb.add_chart({"type": "pie"})
    pie.add_series({
        "name": "任务完成状态分布",
        "categories": ["状态分布", 1, 0, last, 0],
        "values": ["状态分布", 1, 1, last, 1],
        "data_labels": {"value": True, "percentage": True, "category": True, "separator": "\n"},
    })
    pie.set_title({"name": f"{master.round} 任务完成状态分布"})
    ws.insert_chart("E2", pie, {"x_scale": 1.3, "y_scale": 1.3})

    wu = wb.add_worksheet("分单位")
    headers = ["序号", "单位", "简称", "任务数"] + STAT_COLUMNS + ["完成率", "是否报送"]
    wu.write_row(0, 0, headers, head)
    units = stats["units"]
    for i, u in enumerate(units, 1):
        wu.write_number(i, 0, u["no"], cell)
        wu.write(i, 1, u["unit"], cell)
        wu.write(i, 2, u["short"], cell)
        wu.write_number(i, 3, u["tasks"], cell)
        for j, s in enumerate(STAT_COLUMNS):
            wu.write_number(i, 4 + j, u[STATUS_KEYS[s]], cell)
        denom = u["tasks"] - u["not_applicable"]
        wu.write_formula(i, 4 + len(STAT_COLUMNS), f"=IF(D{i + 1}-H{i + 1}=0,0,E{i + 1}/(D{i + 1}-H{i + 1}))",
                         pct, u["done"] / denom if denom else 0)
        wu.write(i, 5 + len(STAT_COLUMNS), "是" if u["submitted"] else "否", cell)
    wu.set_column(1, 1, 26)
    wu.set_column(2, 2, 14)
    wu.set_column(3, 4 + len(STAT_COLUMNS), 9)
    wu.freeze_panes(1, 2)
    if units:
        bar = wb.add_chart({"type": "bar", "subtype": "stacked"})
        for j, s in enumerate(STAT_COLUMNS):
            bar.add_series({
                "name": ["分单位", 0, 4 + j],
                "categories": ["分单位", 1, 2, len(units), 2],
                "values": ["分单位", 1, 4 + j, len(units), 4 + j],
            })
        bar.set_title({"name": "分单位任务完成情况"})
        bar.set_x_axis({"name": "任务数"})
        bar.set_y_axis({"reverse": True})
        bar.set_legend({"position": "bottom"})
        wu.insert_chart(len(units) + 3, 1, bar, {"x_scale": 1.6, "y_scale": max(1.0, len(units) / 12)})

    wt = wb.add_worksheet("任务明细")
    wt.write_row(0, 0, ["任务编号", "工作任务", "完成时限", "完成状态", "是否逾期", "责任单位", "上轮状态"], head)
    rows = {r.task.id: r for r in master.rows}
    for i, t in enumerate(master.plan.tasks, 1):
        row = rows.get(t.id)
        prev = master.previous_status.get(t.id, "") if master.previous_round else ""
        wt.write_row(i, 0, [t.id, t.title, t.deadline.date or t.deadline.text, _task_status(row),
                            "是" if row and row.overdue else "", _join(short_name(u, directory) for u in _row_units(row, t)),
                            prev], cell)
    wt.set_column(0, 0, 12)
    wt.set_column(1, 1, 40)
    wt.set_column(2, 6, 12)
    wt.set_column(5, 5, 30)
    wt.freeze_panes(1, 0)
    wb.close()


def render_report(master: Master, out_path, template=None, directory=None, pdf: bool = False, *,
                  settings: Mapping | None = None, cited=None, today: dt.date | None = None,
                  workspace: Path | None = None, stats: dict | None = None) -> list[Path]:
    """Render the report .docx from the template, plus ``<name>_统计.xlsx`` (and PDF).

    Args:
        master: the merged round.
        out_path: the .docx to write (atomically).
        template: a docxtpl template; default ``<台账>/templates/报告模板.docx``
            when ``workspace`` is given and holds one, else the bundled default.
        directory: unit directory for short names.
        pdf: also convert to PDF with LibreOffice.
        settings, cited, today: passed to :func:`build_report_context`.
        stats: :func:`compute_statistics` of ``master``, when already computed.

    Returns:
        Paths written: the .docx, the statistics .xlsx and, with ``pdf``, the .pdf.
    """
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    out_path = Path(out_path)
    if out_path.suffix.lower() != ".docx":
        raise ReportError(f"报告文件名应以 .docx 结尾:{out_path}")
    if pdf and soffice_path() is None:
        raise ConverterMissing("未找到 LibreOffice(soffice),无法生成 PDF。请安装 LibreOffice,或去掉 --pdf 后在 Word 中另存为 PDF。")
    tpl_path = Path(template) if template else template_path(TEMPLATE_NAME, workspace)
    if not tpl_path.is_file():
        raise ReportError(f"找不到报告模板 {tpl_path}。可用 --template 指定,或删除该路径使用内置模板。")
    if stats is None:
        stats = compute_statistics(master, directory)
    context = build_report_context(master, directory, cited, settings=settings, today=today, stats=stats)
    try:
        tpl = DocxTemplate(str(tpl_path))
        tpl.render(context, autoescape=True)
    except TemplateError as e:
        line = f"(第{e.lineno}行)" if getattr(e, "lineno", None) else ""
        raise ReportError(
            f"报告模板 {tpl_path.name} 中的标签有误{line}:{e}。请检查 {{{{ }}}} 与 {{% %}} 标签是否完整、成对,"
            "或改用内置模板。"
        ) from e
    except Exception as e:  # a .docx that is not a valid package
        if isinstance(e, ReportError):
            raise
        raise ReportError(f"无法读取报告模板 {tpl_path}:{e}。请确认它是 Word .docx 文件。") from e
    with atomic_path(out_path, ReportError) as tmp:
        tpl.save(str(tmp))
    written = [out_path, write_statistics(master, out_path.with_name(out_path.stem + "_统计.xlsx"), directory,
                                          stats=stats)]
    if pdf:
        written.append(convert_with_soffice(out_path, "pdf", out_path.parent))
    return written


# ---------------------------------------------------------------------------
# The command: from the 台账


@dataclass
class ReportResult:
    """What ``zwgk-xl report`` produced."""

    workspace: str
    round: str
    outputs: list[str] = field(default_factory=list)
    tasks: int = 0
    by_status: dict = field(default_factory=dict)
    units: int = 0
    units_submitted: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _round_from_name(path: Path) -> str | None:
    """``汇总表_2021年第二季度.xlsx`` -> ``2021年第二季度``."""
    m = re.match(r"^汇总表[_-](.+)$", path.stem)
    return m.group(1) if m else None


def _load_directory(workspace: Path, config: dict):
    units = config.get("units")
    if not units:
        return None
    from zwgk_xl.core.units import load_directory

    return load_directory(workspace / units)


def report_workspace(source=None, output=None, *, round: str | None = None, template=None, pdf: bool = False,
                     today: dt.date | None = None) -> ReportResult:
    """The ``report`` command: read the round from the 台账 and render the report.

    Args:
        source: the 台账 folder, or a 汇总表 .xlsx inside (or below) it; default:
            the nearest 台账 from the current folder upward.  A 汇总表 is only
            used to find its 台账 (and the round, from a name like
            ``汇总表_<轮次>.xlsx``): the data always come from the ledger.
        output: the .docx (default ``<台账>/落实情况报告_<轮次>.docx``).
        round: the round (default: from the 汇总表 name, else the ledger's last).
        template: a report template (default: ``<台账>/templates/报告模板.docx``,
            else the bundled one).
        pdf: also write a PDF through LibreOffice.
        today: the report date.
    """
    from zwgk_xl.ledger.store import LEDGER_NAME, Ledger, find_workspace, read_config
    from zwgk_xl.merge.master import build_master

    start = Path(source) if source else None
    if start is not None and not start.exists():
        raise InputError(f"找不到 {start}。请给出台账文件夹或汇总表 .xlsx 的路径。")
    if start is not None and start.is_file():
        if start.suffix.lower() not in (".xlsx", ".xlsm"):
            raise InputError(f"{start.name} 不是汇总表 .xlsx。请给出台账文件夹或汇总表的路径。")
        round = round or _round_from_name(start)
        start = start.parent
    ws = find_workspace(start=start)
    if not (ws / LEDGER_NAME).is_file():
        raise WorkspaceError(
            f"在 {ws} 及其上级文件夹中找不到台账({LEDGER_NAME})。报告依据台账生成:"
            "请先用 zwgk-xl merge 汇总回收的填报表,或给出台账文件夹的路径。"
        )
    config = read_config(ws)
    directory = _load_directory(ws, config)
    with Ledger.open(ws) as ledger:
        rounds = ledger.rounds()
        if not rounds:
            raise WorkspaceError(f"台账 {ws / LEDGER_NAME} 中还没有任何轮次。请先用 zwgk-xl split/merge 开始一轮报送。")
        round = (round or "").strip() or rounds[-1]
        if round not in rounds:
            raise WorkspaceError(f"台账中没有轮次“{round}”。已有轮次:{'、'.join(rounds)}。请用 --round 指定其中之一。")
        plan = ledger.plan_for_round(round)
        if plan is None:
            found = ledger.latest_plan()
            if found is None:
                raise WorkspaceError(f"台账中没有{round}的分解表。请先用 zwgk-xl merge --plan 分解表.xlsx 汇总一次。")
            plan = found[1]
        master = build_master(ledger, plan, round, directory=directory, today=today)
    target = Path(output) if output else ws / f"落实情况报告_{round}.docx"
    settings = config.get("report") if isinstance(config.get("report"), dict) else {}
    stats = compute_statistics(master, directory)
    paths = render_report(master, target, template, directory, pdf, settings=settings, today=today, workspace=ws,
                          stats=stats)
    return ReportResult(workspace=str(ws), round=round, outputs=[str(p) for p in paths], tasks=stats["total"],
                        by_status=stats["by_status"], units=len(stats["units"]),
                        units_submitted=len(stats["submitted"]))
