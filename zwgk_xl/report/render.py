"""The consolidated 落实情况报告: context data, Word rendering, statistics workbook.

:func:`build_report_context` turns a :class:`~zwgk_xl.core.model.Master` into
plain data (numbers, names, the units' own sentences; no wording):
:func:`render_report` fills the user-editable docxtpl template with it, where
all the report's sentences live, writes the statistics workbook beside the
report and, on request, a PDF through LibreOffice.  Counts and task statuses
come from :mod:`zwgk_xl.merge.statistics`.  :func:`report_workspace` is the one
call behind ``zwgk-xl report``.

Synthesis, per task: each lead unit's account in its own words (generic
openers and repeated sentences dropped); for the other units one paragraph of
counts by status and quantities added up across their texts, plus the few
sentences with figures only one unit wrote.  不涉及 is counted, never narrated.  Gaps
(units not reporting, leads missing, overdue tasks) are stated once, in their
own section; 存在问题 and 下步计划 are grouped by similarity.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Mapping

from rapidfuzz import fuzz, process

from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.cntext import cn_date, int_to_cn
from zwgk_xl.core.values import date_option
from zwgk_xl.core.errors import ConverterMissing, InputError, ReportError, WorkspaceError
from zwgk_xl.core.model import ROLE_LEAD, STATUSES, Finding, Master, MasterRow, Node
from zwgk_xl.core.office import convert_with_soffice, soffice_path
from zwgk_xl.core.resources import template_path
from zwgk_xl.core.xlsxfit import row_height
from zwgk_xl.core.results import Result
from zwgk_xl.merge import statistics as st
from zwgk_xl.merge.master import fullwidth
from zwgk_xl.merge.statistics import CATEGORIES, CATEGORY_KEYS, NOT_APPLICABLE, NOT_FILLED, NOT_SUBMITTED

TEMPLATE_NAME = "报告模板.docx"
STAT_COLUMNS = list(CATEGORIES)
STATUS_KEYS = CATEGORY_KEYS
NOTES_PER_TASK = 3  # sentences with figures only one other unit wrote, named under the task
TOTALS_PER_TASK = 6  # kinds of quantities added up under a task
NOTE_CHARS = 120
POINTS = 8  # grouped 存在问题 / 下步计划 shown
NAMES_SHOWN = 6  # units named behind a grouped point before 「等n个单位」
SIMILAR = 78  # rapidfuzz ratio from which two points are the same point
FUZZY_GROUPS = 400  # groups a new point is compared with

# ---------------------------------------------------------------------------
# Small text helpers


def numbering_label(token: str) -> str:
    """A numbering token as printed: 一 -> 一、, (一) -> （一）, 1 -> 1., (1) -> （1）."""
    t = token.strip()
    if re.fullmatch(r"[一二三四五六七八九十百零〇]+", t):
        return t + "、"
    m = re.fullmatch(r"[(（](.+)[)）]", t)
    if m:
        return f"（{m.group(1)}）"
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


def _names(units: list[str], shown: int = NAMES_SHOWN) -> str:
    """「县A局、县B局」, or 「县A局、县B局等12个单位」 past ``shown`` names."""
    if len(units) <= shown:
        return _join(units)
    return f"{_join(units[:shown])}等{len(units)}个单位"


# ---------------------------------------------------------------------------
# Sentences and boilerplate

_SENTENCE = re.compile(r"[^。!?;！？；\n]*(?:[。!?;！？；]+\n?|\n|$)")
_PUNCT = re.compile(r"[\s,。、;:!?“”‘’()《》，；：！？（）\"'·…—-]+")
# Generic leading clauses ("我单位高度重视,") that say nothing; no digits allowed.
_OPENER = re.compile(
    r"^[^,。;，；\d]{0,14}?"
    r"(高度重视|认真贯彻落实|认真贯彻|认真落实|积极响应|高度关注|切实加强组织领导|按照[^,。;，；\d]{0,30}要求)"
    r"[^,。;，；\d]{0,16}[,。;，；]\s*"
)
_EMPTY_WORDS = {"", "无", "暂无", "没有", "无。", "暂无。", "/", "-", "—", "无问题", "暂无问题", "不涉及"}


def _norm(text: str) -> str:
    return _PUNCT.sub("", text or "")


_EMPTY_KEYS = frozenset(_norm(w) for w in _EMPTY_WORDS)


def _shape(text: str) -> str:
    """A sentence with its figures masked: units that differ only in numbers say the same thing."""
    return re.sub(r"\d[\d,，.]*", "#", _norm(text))


def sentences(text: str) -> list[str]:
    """Split Chinese prose into sentences, keeping their closing punctuation and line
    breaks, so that joining them gives the text back (less surrounding blanks)."""
    return [s.lstrip(" \t\u3000") for s in _SENTENCE.findall(text or "") if s.strip()]


def trim_opener(text: str) -> str:
    """Drop generic leading clauses such as 「我单位高度重视，」; keep the text if nothing else is left."""
    out = (text or "").strip()
    while True:
        m = _OPENER.match(out)
        if not m or not out[m.end():].strip():
            return out
        out = out[m.end():].lstrip()


def _is_empty(text: str) -> bool:
    return _norm(text) in _EMPTY_KEYS


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


def clean_account(text: str, boiler: set[str] = frozenset()) -> str:
    """A unit's account in its own words: generic openers, boilerplate and repeated sentences dropped."""
    kept, seen = [], set()
    for s in sentences(trim_opener(text)):
        key = _norm(s)
        if key in boiler or (key and key in seen):
            continue
        seen.add(key)
        kept.append(s)
    joined = "".join(kept).strip() or (text or "").strip()
    # one paragraph: a line ending without punctuation gets a semicolon
    lines = [ln.strip() for ln in joined.splitlines() if ln.strip()]
    joined = "".join(ln if ln[-1] in "。；;，,：:！？!?" or i == len(lines) - 1 else ln + "；"
                     for i, ln in enumerate(lines))
    return fullwidth(joined)


def merge_unit_texts(items: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """Join units' texts: identical texts share one paragraph, and a sentence already said
    by an earlier unit is not repeated.  ``items``: ``(unit label, text)``; returns ``([labels], text)``."""
    out: list[tuple[list[str], str]] = []
    said: dict[str, int] = {}
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


def group_points(items: list[tuple[str, str]], limit: int = POINTS) -> list[dict]:
    """存在问题 / 下步计划 grouped by similarity (rapidfuzz): ``[{text, units, n}]``, most units first.

    ``items`` are ``(unit label, text)``; each text is split into sentences, and a
    sentence joins the first group whose representative it resembles.
    """
    groups: list[dict] = []
    exact: dict[str, dict] = {}
    for label, text in items:
        for s in sentences(text):
            key = _shape(s)
            if len(key) < 4 or _is_empty(s):
                continue
            g = exact.get(key)
            if g is None:  # fuzzy against the first groups only: many distinct points cost no more
                found = process.extractOne(key, [g["key"] for g in groups[:FUZZY_GROUPS]], scorer=fuzz.ratio,
                                           score_cutoff=SIMILAR)
                g = groups[found[2]] if found else None
            if g is None:
                g = {"key": key, "text": fullwidth(s.strip()).rstrip("；;。，,"), "units": []}
                groups.append(g)
            exact.setdefault(key, g)
            if label not in g["units"]:
                g["units"].append(label)
    groups.sort(key=lambda g: -len(g["units"]))
    return [{"text": g["text"], "units": _names(g["units"]), "n": len(g["units"])} for g in groups[:limit]]


# ---------------------------------------------------------------------------
# Statistics


def compute_statistics(master: Master, directory=None) -> st.RoundStats:
    """The round's statistics (:func:`zwgk_xl.merge.statistics.round_statistics`)."""
    return st.round_statistics(master)


def _unit_rows(stats: st.RoundStats, directory) -> list[dict]:
    out = []
    for i, u in enumerate(stats.units, 1):
        d = {"no": i, "unit": u.unit, "short": short_name(u.unit, directory), "tasks": u.tasks,
             "submitted": u.submitted, "done_rate": percent(u.counts[st.DONE], u.tasks - u.counts[NOT_APPLICABLE])}
        d.update({CATEGORY_KEYS[c]: u.counts[c] for c in CATEGORIES})
        out.append(d)
    return out


# ---------------------------------------------------------------------------
# The body: per task, the leads' accounts and one paragraph for the others


def _heading_text(node: Node) -> str:
    label = numbering_label(node.path[-1]) if node.path else ""
    title = (node.title or node.text or "").strip().rstrip("。;；,，")
    return fullwidth(label + title)


def _has_task(node: Node) -> bool:
    return any(n.is_task for n in node.walk())


def _others_block(row: MasterRow, stat: st.TaskStat, lead_shapes: set[str], directory) -> dict | None:
    others = [r for r in row.reports if r.role != ROLE_LEAD]
    if not others:
        return None
    cats = [stat.answers[r.unit] for r in others]
    parts = [{"status": s, "count": cats.count(s)} for s in STATUSES if s in cats]
    counted = [r for r in others if r.status in STATUSES and r.status != NOT_APPLICABLE and not _is_empty(r.progress)]
    totals = [{"label": fullwidth(label), "value": st.format_number(v), "measure": m}
              for label, v, m in st.add_quantities([r.progress for r in counted], min_texts=min(2, len(counted)),
                                                   limit=TOTALS_PER_TASK)]
    # sentences with figures only one unit wrote (figures masked) add something: name their units
    shapes: dict[str, list[tuple[str, str]]] = {}
    for r in counted:
        for s in dict.fromkeys(sentences(trim_opener(r.progress))):
            shapes.setdefault(_shape(s), []).append((r.unit, s))
    notes: dict[str, list[str]] = {}
    for key, said in shapes.items():
        if len(said) != 1 or len(key) < 8 or "#" not in key or any(key in ls for ls in lead_shapes):
            continue
        if sum(map(len, notes.values())) >= NOTES_PER_TASK:
            break
        unit, s = said[0]
        text = fullwidth(s.strip())
        if len(text) > NOTE_CHARS:
            text = text[:NOTE_CHARS - 1] + "…"
        notes.setdefault(short_name(unit, directory), []).append(text if text[-1] in "。！？…" else text + "。")
    notes = [{"units": u, "text": "".join(ts)} for u, ts in notes.items()]
    if len(counted) == 1 and notes:  # one unit: its own words say it, a total would repeat them
        totals = []
    roles = {r.role for r in others}
    role = "配合单位" if roles == {"配合"} and stat.basis == "牵头单位" else (
        "责任单位" if stat.basis != "牵头单位" else "其他责任单位")
    return {"kind": "others", "role": role, "n": len(others),
            "reported": sum(c in STATUSES for c in cats), "parts": parts,
            "not_filled": cats.count(NOT_FILLED), "missing": cats.count(NOT_SUBMITTED),
            "totals": totals, "notes": notes}


def _task_blocks(row: MasterRow, stat: st.TaskStat, boiler: set[str], directory) -> list[dict]:
    blocks = []
    lead_shapes: set[str] = set()
    for r in row.reports:
        if r.role != ROLE_LEAD:
            continue
        cat = stat.answers[r.unit]
        text = "" if _is_empty(r.progress) or cat == NOT_APPLICABLE else clean_account(r.progress, boiler)
        lead_shapes |= {_shape(s) for s in sentences(trim_opener(r.progress))}
        blocks.append({"kind": "lead", "unit": short_name(r.unit, directory), "status": cat, "text": text,
                       "missing": cat in (NOT_SUBMITTED, NOT_FILLED) and not text, "na": cat == NOT_APPLICABLE,
                       "blank": cat in STATUSES and cat != NOT_APPLICABLE and not text})
    others = _others_block(row, stat, lead_shapes, directory)
    if others:
        blocks.append(others)
    return blocks


def _body(master: Master, stats: st.RoundStats, boiler: set[str], directory) -> list[dict]:
    rows = {r.task.id: r for r in master.rows}
    blocks: list[dict] = []

    def visit(node: Node, depth: int) -> None:
        if not _has_task(node):
            return
        stat = stats.of(node.id) if node.is_task else None
        blocks.append({"kind": f"h{min(depth, 4)}", "text": _heading_text(node), "id": node.id,
                       "status": stat.status if stat else "",
                       "share": stat.done_share if stat and stat.deciding > 1 and stat.status != st.DONE else ""})
        if node.is_task:
            blocks.extend(_task_blocks(rows.get(node.id) or MasterRow(task=node), stat, boiler, directory))
        for child in node.children:
            visit(child, depth + 1)

    for root in master.plan.roots:
        visit(root, 1)
    return blocks


# ---------------------------------------------------------------------------
# Context

# Of the documents a list mentions, those in the chain of yearly task lists are cited.
_CHAIN = re.compile(r"政务公开.*(要点|任务|分解)")
NUMBER_PLACEHOLDER = "〔　　〕　号"


def _cited(master: Master, cited) -> list[str]:
    """Superior documents as 《title》（文号）, highest first, without duplicates; a placeholder
    〔 〕 where the plan's own superior document has no 文号."""
    plan = master.plan
    out = [fullwidth(c) for c in list(cited or []) + [c for c in plan.cited or [] if _CHAIN.search(c)]]
    if plan.title:
        title = plan.title.strip().strip("《》")
        out.append(f"《{title}》（{plan.doc_number or NUMBER_PLACEHOLDER}）")
    seen, result = set(), []
    for c in out:
        if c.endswith("》"):
            c += f"（{NUMBER_PLACEHOLDER}）"
        key = _norm(re.sub(r"（[^）]*）$", "", c))
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


def _task_ref(t: Node) -> dict:
    return {"id": fullwidth(t.id), "title": fullwidth((t.title or t.text or "").strip().rstrip("。；;")),
            "deadline": cn_date(t.deadline.date) if t.deadline.date else t.deadline.text}


def build_report_context(master: Master, directory=None, cited=None, *, settings: Mapping | None = None,
                         today: dt.date | None = None, stats: st.RoundStats | None = None) -> dict:
    """Plain data for the report template (see ``templates/README.md``): numbers, names and the
    units' own sentences; every connecting word is in the template.

    Args:
        master: the merged round (:func:`zwgk_xl.merge.master.build_master`).
        directory: unit directory; gives units' short names (简称) when given.
        cited: extra superior documents to cite, as 《title》（文号） strings.
        settings: the ``[report]`` table of ``zwgk.toml``: ``title``, ``organ`` (署名机关),
            ``recipient`` (主送机关), ``cited``, ``plan_title`` / ``plan_number`` (本级分解表).
        today: the report date (default: today); also the as-of date.
        stats: :func:`compute_statistics` of ``master``, when already computed.
    """
    settings = dict(settings or {})
    today = today or dt.date.today()
    plan = master.plan
    if stats is None:
        stats = compute_statistics(master, directory)
    total = stats.total
    rows = {r.task.id: r for r in master.rows}

    def units_of(t: Node, which=None) -> str:
        row = rows.get(t.id)
        names = [r.unit for r in row.reports if which is None or which(r)] if row else list(t.lead_local)
        return _names([short_name(u, directory) for u in names])

    status_rows = [{"status": c, "count": n, "percent": percent(n, total)} for c, n in stats.by_status.items()]
    lead_missing = [dict(_task_ref(ts.task), units=units_of(ts.task, lambda r, ts=ts: r.role == ROLE_LEAD and
                                                            ts.answers[r.unit] in (NOT_SUBMITTED, NOT_FILLED)))
                    for ts in stats.tasks if any(ts.answers.get(r.unit) in (NOT_SUBMITTED, NOT_FILLED)
                                                 for r in (rows[ts.task.id].reports if ts.task.id in rows else [])
                                                 if r.role == ROLE_LEAD)]
    overdue = [dict(_task_ref(ts.task), status=ts.status, units=units_of(ts.task, lambda r: r.role == ROLE_LEAD))
               for ts in stats.overdue]
    not_filled = []
    for u in stats.units:
        n = u.counts[NOT_FILLED]
        if u.submitted and n:
            not_filled.append({"unit": short_name(u.unit, directory), "count": n})
    boiler = _boilerplate(master.rows)
    problems = group_points([(short_name(r.unit, directory), r.problems) for row in master.rows for r in row.reports
                             if not _is_empty(r.problems)])
    next_steps = group_points([(short_name(r.unit, directory), r.next_steps) for row in master.rows
                               for r in row.reports if not _is_empty(r.next_steps)])
    roots = plan.roots
    top_cn = [r for r in roots if r.path and re.fullmatch(r"[一二三四五六七八九十]+", r.path[0])]
    start = len([r for r in roots if _has_task(r)]) + 1 if top_cn else 1
    keys = ["stats", "gaps", "problems", "next_steps"]
    plan_title = str(settings.get("plan_title") or "").strip().strip("《》")
    return {
        "title": str(settings.get("title") or report_title(plan.title)),
        "subtitle": f"（{master.round}）" if master.round else "",
        "recipient": str(settings.get("recipient") or "").strip(),
        "organ": str(settings.get("organ") or "").strip(),
        "date": cn_date(today),
        "as_of": cn_date(master.as_of or today),  # the date the master was built for
        "round": master.round,
        "previous_round": master.previous_round or "",
        "cited": _cited(master, list(settings.get("cited") or []) + list(cited or [])),
        "local_plan": {"title": plan_title, "number": str(settings.get("plan_number") or "").strip()},
        "n": {"tasks": total, "units": len(stats.units), "submitted": len(stats.submitted),
              "not_submitted": len(stats.not_submitted), "overdue": len(stats.overdue)},
        "status_parts": [r for r in status_rows if r["count"]],
        "body": _body(master, stats, boiler, directory),
        "headings": {k: int_to_cn(start + i) + "、" for i, k in enumerate(keys)},
        "stats": {
            "total": total,
            "by_status": status_rows + [{"status": "合计", "count": total,
                                         "percent": "100.0%" if total else "0.0%"}],
            "units": _unit_rows(stats, directory),
            "changes": [{"id": fullwidth(t.id), "title": fullwidth(t.title), "before": b, "after": a}  # new 已完成 first
                        for t, b, a in sorted(stats.changes, key=lambda c: c[2] != st.DONE)],
            "newly_done": sum(a == st.DONE for _, _, a in stats.changes),
            "rule": st.RULE_TEXT,
        },
        "gaps": {"not_submitted": [short_name(u, directory) for u in stats.not_submitted],
                 "late": [short_name(u.unit, directory) for u in master.units if u.submitted and u.late],
                 "lead_missing": lead_missing, "overdue": overdue, "not_filled": not_filled,
                 "lead_na": [{"unit": short_name(f.unit, directory), "id": fullwidth(ts.task.id), "title": fullwidth(ts.task.title)}
                             for ts in stats.tasks for f in st.lead_not_applicable_findings([ts])]},
        "problems": problems,
        "next_steps": next_steps,
    }


# ---------------------------------------------------------------------------
# Files


def write_statistics(master: Master, path, directory=None, *, stats: st.RoundStats | None = None) -> Path:
    """Write the statistics workbook (状态分布, 分单位, 任务明细) with native charts, ready to print.

    Args:
        master: the merged round.
        path: the .xlsx to write (atomically).
        directory: unit directory for short names.
        stats: :func:`compute_statistics` of ``master``, when already computed.
    """
    path = Path(path)
    if stats is None:
        stats = compute_statistics(master, directory)
    with atomic_path(path, ReportError) as tmp:
        _write_statistics_book(master, stats, directory, str(tmp))
    return path


def _print_setup(ws, title: str, *, landscape: bool = False, header_rows: int = 0) -> None:
    ws.set_paper(9)  # A4
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
    ws.set_header("&C" + title.replace("&", "&&"))
    ws.set_footer("&C第 &P 页，共 &N 页")
    if header_rows:
        ws.repeat_rows(0, header_rows - 1)


def _write_statistics_book(master: Master, stats: st.RoundStats, directory, filename: str) -> None:
    import xlsxwriter
    from xlsxwriter.utility import xl_col_to_name

    from zwgk_xl.core.xlsxbulk import close_workbook

    wb = xlsxwriter.Workbook(filename, {"strings_to_formulas": False, "strings_to_urls": False})  # text stays text
    title = f"{master.round}政务公开工作任务落实情况统计"
    base = {"font_name": "宋体", "font_size": 10}
    head = wb.add_format({**base, "bold": True, "border": 1, "align": "center", "valign": "vcenter",
                          "bg_color": "#DDEBF7", "text_wrap": True})
    cell = wb.add_format({**base, "border": 1, "valign": "vcenter"})
    wrap = wb.add_format({**base, "border": 1, "valign": "vcenter", "text_wrap": True})
    pct = wb.add_format({**base, "border": 1, "num_format": "0.0%", "valign": "vcenter"})
    note = wb.add_format({**base, "text_wrap": True, "valign": "top"})

    ws = wb.add_worksheet("状态分布")
    ws.write_row(0, 0, ["完成状态", "任务数", "占比"], head)
    n = len(STAT_COLUMNS)
    total_ref = f"$B$2:$B${n + 1}"
    for i, c in enumerate(STAT_COLUMNS, 1):
        count = stats.by_status[c]
        ws.write(i, 0, c, cell)
        ws.write_number(i, 1, count, cell)
        ws.write_formula(i, 2, f"=IF(SUM({total_ref})=0,0,B{i + 1}/SUM({total_ref}))", pct,
                         count / stats.total if stats.total else 0)
    ws.write(n + 1, 0, "合计", head)
    ws.write_formula(n + 1, 1, f"=SUM({total_ref})", head, stats.total)
    ws.merge_range(n + 3, 0, n + 7, 2, "完成状态判定：" + st.RULE_TEXT, note)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 2, 10)
    pie = wb.add_chart({"type": "pie"})
    pie.add_series({"name": "任务完成状态分布", "categories": ["状态分布", 1, 0, n, 0],
                    "values": ["状态分布", 1, 1, n, 1],
                    "data_labels": {"value": True, "percentage": True, "category": True, "separator": "\n"}})
    pie.set_title({"name": f"{master.round}任务完成状态分布"})
    pie.set_size({"width": 440, "height": 320})
    ws.insert_chart("E2", pie, {"object_position": 3})
    _print_setup(ws, title, landscape=True)

    wu = wb.add_worksheet("分单位")
    headers = ["序号", "单位", "简称", "任务数"] + STAT_COLUMNS + ["完成率", "是否报送"]
    first_cat = 4
    col = {c: xl_col_to_name(first_cat + j) for j, c in enumerate(STAT_COLUMNS)}
    done_col, na_col = col[st.DONE], col[NOT_APPLICABLE]
    wu.write_row(0, 0, headers, head)
    wu.set_row(0, 28)
    units = _unit_rows(stats, directory)
    late = {u.unit for u in master.units if u.late}  # submitted after the round's due date
    for i, u in enumerate(units, 1):
        r = i + 1
        wu.write_number(i, 0, u["no"], cell)
        wu.write(i, 1, u["unit"], wrap)
        wu.write(i, 2, u["short"], wrap)
        wu.write_number(i, 3, u["tasks"], cell)
        for j, c in enumerate(STAT_COLUMNS):
            wu.write_number(i, first_cat + j, u[CATEGORY_KEYS[c]], cell)
        denom = u["tasks"] - u["not_applicable"]
        wu.write_formula(i, first_cat + n, f"=IF(D{r}-{na_col}{r}=0,0,{done_col}{r}/(D{r}-{na_col}{r}))",
                         pct, u["done"] / denom if denom else 0)
        wu.write(i, first_cat + n + 1, ("逾期" if u["unit"] in late else "是") if u["submitted"] else "否", cell)
    wu.set_column(0, 0, 5)
    wu.set_column(1, 1, 22)
    wu.set_column(2, 2, 12)
    wu.set_column(3, first_cat + n + 1, 7)
    wu.freeze_panes(1, 3)
    _print_setup(wu, title, landscape=True, header_rows=1)
    if units:  # on a sheet of its own, sized to one A4 portrait page: printed whole
        bar = wb.add_chart({"type": "bar", "subtype": "stacked"})
        for j, c in enumerate(STAT_COLUMNS):
            bar.add_series({"name": ["分单位", 0, first_cat + j], "categories": ["分单位", 1, 2, len(units), 2],
                            "values": ["分单位", 1, first_cat + j, len(units), first_cat + j], "gap": 40})
        bar.set_title({"name": "分单位任务完成情况", "name_font": {"size": 12}})
        bar.set_x_axis({"name": "任务数", "major_gridlines": {"visible": True}})
        bar.set_y_axis({"reverse": True, "num_font": {"size": 7 if len(units) > 30 else 9}, "interval_unit": 1})
        bar.set_legend({"position": "bottom"})
        width, height = 690, 960  # pixels: A4 portrait less margins
        bar.set_size({"width": width, "height": height})
        wc = wb.add_worksheet("分单位图")
        wc.set_column(0, 9, 8.43)  # 64 px columns
        wc.insert_chart(0, 0, bar, {"object_position": 3})
        wc.print_area(0, 0, height // 20, -(-width // 64) - 1)
        _print_setup(wc, title)
        wc.fit_to_pages(1, 1)

    wt = wb.add_worksheet("任务明细")
    heads = ["任务编号", "工作任务", "完成时限", "完成状态", "牵头单位已完成", "是否逾期", "牵头单位", "上轮状态"]
    widths = [9, 40, 11, 9, 9, 7, 26, 9]
    wt.write_row(0, 0, heads, head)
    for i, ts in enumerate(stats.tasks, 1):
        t = ts.task
        prev = master.previous_status.get(t.id, "") if master.previous_round else ""
        leads = [short_name(u, directory) for u, r in _roles(master, t.id) if r == ROLE_LEAD]
        values = [t.id, t.title, t.deadline.date or t.deadline.text, ts.status,
                  f"{ts.deciding_done}/{ts.deciding}" if ts.deciding else "", "是" if ts.overdue else "",
                  "、".join(leads), prev]
        wt.write_row(i, 0, values, wrap)
        wt.set_row(i, row_height([str(v) for v in values], widths))
    for j, w in enumerate(widths):
        wt.set_column(j, j, w)
    wt.freeze_panes(1, 0)
    wt.autofilter(0, 0, max(1, len(stats.tasks)), len(heads) - 1)
    _print_setup(wt, title, landscape=True, header_rows=1)
    close_workbook(wb)


def _roles(master: Master, task_id: str) -> list[tuple[str, str]]:
    row = next((r for r in master.rows if r.task.id == task_id), None)
    return [(r.unit, r.role) for r in row.reports] if row else []


def render_report(master: Master, out_path, template=None, directory=None, pdf: bool = False, *,
                  settings: Mapping | None = None, cited=None, today: dt.date | None = None,
                  workspace: Path | None = None, stats: st.RoundStats | None = None) -> list[Path]:
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
        raise ReportError(f"报告文件名应以 .docx 结尾：{out_path}")
    if pdf and soffice_path() is None:
        raise ConverterMissing("未找到 LibreOffice（soffice），无法生成 PDF。请安装 LibreOffice，或去掉 --pdf 后在 Word 中另存为 PDF。")
    tpl_path = Path(template) if template else template_path(TEMPLATE_NAME, workspace)
    if not tpl_path.is_file():
        raise ReportError(f"找不到报告模板 {tpl_path}。可用 --template 指定，或删除该路径使用内置模板。")
    if stats is None:
        stats = compute_statistics(master, directory)
    context = build_report_context(master, directory, cited, settings=settings, today=today, stats=stats)
    try:
        tpl = DocxTemplate(str(tpl_path))
        tpl.render(context, autoescape=True)
    except TemplateError as e:
        line = f"（第{e.lineno}行）" if getattr(e, "lineno", None) else ""
        raise ReportError(
            f"报告模板 {tpl_path.name} 中的标签有误{line}：{e}。请检查 {{{{ }}}} 与 {{% %}} 标签是否完整、成对，"
            "或改用内置模板。"
        ) from e
    except Exception as e:  # a .docx that is not a valid package
        if isinstance(e, ReportError):
            raise
        raise ReportError(f"无法读取报告模板 {tpl_path}：{e}。请确认它是 Word .docx 文件。") from e
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
class ReportResult(Result):
    """What ``zwgk-xl report`` produced: the files, the counts and the findings (leads answering 不涉及)."""

    command: ClassVar[str] = "report"

    workspace: str
    round: str
    outputs: list[str] = field(default_factory=list)
    tasks: int = 0
    by_status: dict = field(default_factory=dict)
    units: int = 0
    units_submitted: int = 0
    as_of: str = ""
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        names = "、".join(Path(p).name for p in self.outputs[:1]) or "（无）"
        done = self.by_status.get(st.DONE, 0)
        parts = "，".join(f"{c} {n} 项" for c, n in self.by_status.items() if n and c != st.DONE)
        line = (f"已生成报告：{names}；任务 {self.tasks} 项，已完成 {done} 项" + (f"，{parts}" if parts else "")
                + f"；单位 {self.units} 个，已报送 {self.units_submitted} 个")
        extra = self.findings_line()
        return line + (f"；{extra}" if extra else "") + "。"

    def data(self) -> dict:
        return {"workspace": self.workspace, "round": self.round, "outputs": list(self.outputs),
                "tasks": self.tasks, "by_status": dict(self.by_status), "units": self.units,
                "units_submitted": self.units_submitted, "as_of": self.as_of}


def _round_from_name(path: Path) -> str | None:
    """``汇总表_2021年第二季度.xlsx`` -> ``2021年第二季度``."""
    m = re.match(r"^汇总表[_-](.+)$", path.stem)
    return m.group(1) if m else None


def report_workspace(source=None, output=None, *, round: str | None = None, template=None, pdf: bool = False,
                     today: dt.date | None = None, as_of=None) -> ReportResult:
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
        as_of: the as-of date for overdue tasks, a date or text such as 2021-06-30 (default: the
            round's, :meth:`Ledger.as_of`).
    """
    from zwgk_xl.ledger.settings import load_settings
    from zwgk_xl.ledger.store import LEDGER_NAME, Ledger, find_workspace
    from zwgk_xl.merge.master import build_master

    as_of = date_option(as_of, "统计截止日期（--as-of）")  # checked where it enters, before anything is read
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
            f"在 {ws} 及其上级文件夹中找不到台账（{LEDGER_NAME}）。报告依据台账生成："
            "请先用 zwgk-xl merge 汇总回收的填报表，或给出台账文件夹的路径。"
        )
    settings = load_settings(ws)
    directory = settings.directory()
    today = today or dt.date.today()
    with Ledger.open(ws) as ledger:
        rounds = ledger.rounds()
        if not rounds:
            raise WorkspaceError(f"台账 {ws / LEDGER_NAME} 中还没有任何轮次。请先用 zwgk-xl split/merge 开始一轮报送。")
        round = (round or "").strip() or rounds[-1]
        if round not in rounds:
            raise WorkspaceError(f"台账中没有轮次“{round}”。已有轮次：{'、'.join(rounds)}。请用 --round 指定其中之一。")
        plan = ledger.plan_for_round(round)
        if plan is None:
            found = ledger.latest_plan()
            if found is None:
                raise WorkspaceError(f"台账中没有{round}的分解表。请先用 zwgk-xl merge --plan 分解表.xlsx 汇总一次。")
            plan = found[1]
        as_of = ledger.as_of(round, as_of)
        master = build_master(ledger, plan, round, directory=directory, as_of=as_of)
    target = Path(output) if output else ws / f"落实情况报告_{round}.docx"
    report_settings = {**settings.report, "organ": settings.organ, "area": settings.area,
                       "recipient": settings.recipient or settings.report.get("recipient", "")}
    stats = st.round_statistics(master, as_of)
    paths = render_report(master, target, template, directory, pdf, settings=report_settings, today=today, workspace=ws,
                          stats=stats)
    return ReportResult(workspace=str(ws), round=round, outputs=[str(p) for p in paths], tasks=stats.total,
                        by_status=dict(stats.by_status), units=len(stats.units),
                        units_submitted=len(stats.submitted), as_of=as_of.isoformat(), findings=list(stats.findings))
