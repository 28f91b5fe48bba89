"""The one statistics source: answer categories, the task-status rule, counts per task and per unit.

The master (汇总表), the report and the statistics workbook all count with
:func:`round_statistics`, so they use the same category names
(:data:`CATEGORIES`) and the same task status.

**Task status rule.**  The deciding units of a task are its lead units
(牵头单位); a task without a lead is decided by all its units that returned
their form (the others are counted as 未报送 units, not as the task's status,
unless no unit returned anything), and is 推进中 while some of them have
started (推进中, 长期推进, 已完成) and others have not.  A lead that
answers 不涉及 is set aside (and reported as a finding: a lead should not
consider itself not concerned).  If every deciding unit answered 不涉及, the task
is 不涉及.  Otherwise the task is 已完成 only when every remaining deciding unit
answered 已完成; else it takes the least advanced of their answers, in the order
未报送 < 未填报 < 未启动 < 推进中 < 长期推进 < 已完成.  The counts 「已完成 k/n」
(deciding units done / deciding units) are shown beside it.
"""

from __future__ import annotations

import datetime as _dt
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import ROLE_LEAD, STATUSES, Finding, Master, MasterRow, Node, UnitReport

DONE = "已完成"
ONGOING = "长期推进"
NOT_APPLICABLE = "不涉及"
NOT_FILLED = "未填报"  # the unit returned its form but left the status blank
NOT_SUBMITTED = "未报送"  # no form from the unit this round
CATEGORIES: tuple[str, ...] = tuple(STATUSES) + (NOT_FILLED, NOT_SUBMITTED)
# ASCII keys of the categories (template expressions, JSON).
CATEGORY_KEYS = {"已完成": "done", "推进中": "progressing", "未启动": "not_started", "不涉及": "not_applicable",
                 "长期推进": "ongoing", NOT_FILLED: "not_filled", NOT_SUBMITTED: "not_submitted"}
# Least advanced first.
PROGRESS_ORDER: tuple[str, ...] = (NOT_SUBMITTED, NOT_FILLED, "未启动", "推进中", ONGOING, DONE)
# Answers that owe nothing once the deadline has passed.
SETTLED = (DONE, ONGOING, NOT_APPLICABLE)

RULE_TEXT = ("牵头单位均填报“已完成”的任务计为已完成；否则取牵头单位中进度最慢的状态"
             "（未报送＜未填报＜未启动＜推进中＜长期推进＜已完成）；没有牵头单位的任务按已报送的责任单位计，部分单位已开展、部分未开展的计为推进中；"
             "牵头单位填报“不涉及”的不参与判定，并列入问题清单。")


def answer(rep: UnitReport, submitted: set[str] | None = None) -> str:
    """One unit's answer as a category: its status, 未填报 (form returned, status blank) or 未报送."""
    if rep.status:
        return rep.status
    returned = rep.unit in submitted if submitted is not None else bool(rep.submitted_at)
    return NOT_FILLED if returned else NOT_SUBMITTED


@dataclass
class TaskStat:
    """A task's status by the rule, with the counts behind it."""

    task: Node
    status: str
    deciding_done: int = 0  # deciding units that answered 已完成
    deciding: int = 0  # deciding units (leads less those answering 不涉及)
    basis: str = "牵头单位"  # "牵头单位" | "责任单位"
    leads_not_applicable: list[str] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)  # unit -> category, every unit of the task
    overdue: bool = False

    @property
    def done_share(self) -> str:
        """「已完成 k/n」."""
        return f"{DONE}{self.deciding_done}/{self.deciding}" if self.deciding else ""


def task_status(row: MasterRow, submitted: set[str] | None = None) -> TaskStat:
    """The task's status by the rule (see the module docstring)."""
    answers = {r.unit: answer(r, submitted) for r in row.reports}
    leads = [r.unit for r in row.reports if r.role == ROLE_LEAD]
    basis = "牵头单位" if leads else "责任单位"
    deciding = leads or [u for u, a in answers.items() if a != NOT_SUBMITTED] or list(answers)
    na_leads = [u for u in leads if answers[u] == NOT_APPLICABLE]
    counted = [u for u in deciding if answers[u] != NOT_APPLICABLE]
    if not deciding:
        status = NOT_SUBMITTED
    elif not counted:
        status = NOT_APPLICABLE
    else:
        status = min((answers[u] for u in counted), key=PROGRESS_ORDER.index)
        started = {answers[u] for u in counted} & {"推进中", ONGOING, DONE}
        if not leads and started and status not in started:  # many units, some under way
            status = "推进中"
    return TaskStat(task=row.task, status=status, deciding_done=sum(answers[u] == DONE for u in counted),
                    deciding=len(counted), basis=basis, leads_not_applicable=na_leads, answers=answers)


def is_overdue(task: Node, status: str, as_of: _dt.date) -> bool:
    """Past its dated deadline at ``as_of`` and neither 已完成, 长期推进 nor 不涉及."""
    d = task.deadline.date
    return bool(d and d < as_of.isoformat() and status not in SETTLED)


def lead_not_applicable_findings(stats: list[TaskStat]) -> list[Finding]:
    """One finding per lead that answered 不涉及 for a task it leads."""
    out = []
    for ts in stats:
        for unit in ts.leads_not_applicable:
            out.append(fk.finding(
                "lead-not-applicable",
                f"{unit}是任务{ts.task.id}「{ts.task.title}」的牵头单位，却填报为“不涉及”。",
                unit=unit))
    return out


@dataclass
class UnitStat:
    unit: str
    tasks: int
    submitted: bool
    counts: dict[str, int]  # category -> tasks

    @property
    def done_rate(self) -> float:
        """已完成 ÷ (任务数 − 不涉及), 0 when nothing applies."""
        denom = self.tasks - self.counts.get(NOT_APPLICABLE, 0)
        return self.counts.get(DONE, 0) / denom if denom else 0.0


@dataclass
class RoundStats:
    """Everything counted for one round."""

    tasks: list[TaskStat]
    by_status: dict[str, int]  # category -> tasks, every category present, CATEGORIES order
    units: list[UnitStat]
    findings: list[Finding]
    changes: list[tuple[Node, str, str]] = field(default_factory=list)  # (task, before, after)

    @property
    def total(self) -> int:
        return len(self.tasks)

    @property
    def submitted(self) -> list[str]:
        return [u.unit for u in self.units if u.submitted]

    @property
    def not_submitted(self) -> list[str]:
        return [u.unit for u in self.units if not u.submitted]

    @property
    def overdue(self) -> list[TaskStat]:
        return [t for t in self.tasks if t.overdue]

    def of(self, task_id: str) -> TaskStat | None:
        return next((t for t in self.tasks if t.task.id == task_id), None)


def round_statistics(master: Master, as_of: _dt.date | None = None) -> RoundStats:
    """Count ``master``: task statuses by the rule, units' answers, lead 不涉及 findings.

    ``as_of`` judges overdue tasks (default: the rows' ``overdue`` flags as built).
    """
    submitted = {u.unit for u in master.units if u.submitted}
    rows = {r.task.id: r for r in master.rows}
    stats = []
    for t in master.plan.tasks:
        row = rows.get(t.id) or MasterRow(task=t)
        ts = task_status(row, submitted)
        ts.overdue = is_overdue(t, ts.status, as_of) if as_of else row.overdue
        stats.append(ts)
    by_status = {c: 0 for c in CATEGORIES}
    for ts in stats:
        by_status[ts.status] += 1
    counts: dict[str, Counter] = {u.unit: Counter() for u in master.units}
    for ts in stats:
        for unit, cat in ts.answers.items():
            counts.setdefault(unit, Counter())[cat] += 1
    status_of = {u.unit: u for u in master.units}
    units = []
    for unit, c in counts.items():
        us = status_of.get(unit)
        n = sum(c.values())
        if us is not None and us.task_count > n:  # issued tasks with no row at all
            c[NOT_FILLED if us.submitted else NOT_SUBMITTED] += us.task_count - n
            n = us.task_count
        units.append(UnitStat(unit=unit, tasks=n, submitted=bool(us.submitted) if us else unit in submitted,
                              counts={k: c.get(k, 0) for k in CATEGORIES}))
    changes = []
    if master.previous_round:
        for ts in stats:
            before = master.previous_status.get(ts.task.id, "") or NOT_SUBMITTED
            if before != ts.status and ts.status not in (NOT_FILLED, NOT_SUBMITTED):
                changes.append((ts.task, before, ts.status))
    return RoundStats(tasks=stats, by_status=by_status, units=units,
                      findings=lead_not_applicable_findings(stats), changes=changes)


# ---------------------------------------------------------------------------
# Quantities in free text: 「公开信息123条」「开展解读5次」

MEASURES = ("人次", "场次", "万元", "亿元", "条", "次", "件", "项", "个", "篇", "期", "场", "家", "份", "户",
            "册", "批", "张", "部", "套", "家次", "元")
_MEASURE = "|".join(sorted(set(MEASURES), key=len, reverse=True))
_QUANTITY = re.compile(r"(?=\d)(?<![第\d.])(\d[\d,，]*(?:\.\d+)?)\s*(" + _MEASURE + r")(?!月|工作日|小时|天|日|以上)")
# Verbs that start the phrase naming what was counted.
_VERBS = ("主动公开", "公开", "发布", "开展", "举办", "召开", "组织", "办理", "受理", "答复", "回应", "更新", "推送",
          "转载", "抽查", "检查", "梳理", "编制", "接收", "解读", "培训", "印发", "制定", "录入", "上传", "报送",
          "收集", "征集", "回复", "处理", "整改", "清理", "审核", "归集", "完成", "新增", "建立", "设立")
_VERB = re.compile("|".join(sorted(_VERBS, key=len, reverse=True)))
_CLAUSE_BREAK = re.compile(r"[，,。；;：:！!？?\n、（）()]")


class Quantity(NamedTuple):
    label: str  # what was counted, e.g. 主动公开相关信息
    value: float
    measure: str  # 条


_LABEL_EDGES = re.compile(r"^(共|累计|合计|均)|(共|累计|合计|达|约|近|逾|超过|了)+$")
_DIGIT = re.compile(r"\d")


def quantities(text: str) -> list[Quantity]:
    """Numbers with a measure word in ``text``, each labelled with the phrase before it
    (from the first verb in its clause, else the clause's last six characters)."""
    if not text:
        return []
    return list(_find_quantities(text))


def _find_quantities(text: str) -> tuple[Quantity, ...]:
    out = []
    breaks = None
    for m in _QUANTITY.finditer(text):
        if breaks is None:  # clause starts, found once per text
            breaks = [0, *(b.end() for b in _CLAUSE_BREAK.finditer(text))]
        q = _quantity(text, m, breaks)
        if q is not None:
            out.append(q)
    return tuple(out)


def _quantity(text: str, m: re.Match, breaks: list[int]) -> Quantity | None:
    """The quantity of the match ``m`` in ``text``, labelled from its clause (``breaks``: where clauses start)."""
    at = m.start()
    label = _label(text[max(breaks[bisect_right(breaks, at) - 1], at - CLAUSE_CHARS):at])
    return None if label is None else _value(m, label)


def _value(m: re.Match, label: str) -> Quantity | None:
    try:
        value = float(m.group(1).replace(",", "").replace("，", ""))
    except ValueError:
        return None
    return Quantity(label, value, m.group(2))


def _label(clause: str) -> str | None:
    """What the number after ``clause`` counts: from the clause's first verb, else its last six characters;
    None when nothing is left or a digit is.  Short clauses are kept: they recur from answer to answer."""
    return _short_label(clause) if len(clause) <= _CACHED_CLAUSE else _label_of(clause)


_CACHED_CLAUSE = 200  # characters: longer clauses are not kept in the cache
CLAUSE_CHARS = 80  # a clause is read back at most this far from its number (a pasted table has no commas)


def _label_of(clause: str) -> str | None:
    verb = _VERB.search(clause)
    label = clause[verb.start():] if verb else clause[-6:]
    label = _LABEL_EDGES.sub("", label.strip())
    return None if not label or _DIGIT.search(label) else label


_short_label = lru_cache(maxsize=4096)(_label_of)
_SEP = "\x00"  # joins texts for one pass: no quantity crosses it
_BREAK = "\x01"  # stands for every clause break in the joined texts


def quantities_many(texts: list[str]) -> list[tuple[Quantity, ...]]:
    """:func:`quantities` of each of ``texts`` (as tuples), found in one pass over them all:
    the master and the report total the answers of thousands of units."""
    found: dict[str, tuple[Quantity, ...]] = {}
    todo = []
    for t in dict.fromkeys(texts):
        if not t:
            found[t] = ()
        elif _SEP in t or _BREAK in t:
            found[t] = _find_quantities(t)
        else:
            todo.append(t)
    if todo:
        big = _SEP.join(todo)
        starts = list(accumulate((len(t) + 1 for t in todo[:-1]), initial=0))
        each: list[list[Quantity]] = [[] for _ in todo]
        marked = None  # big with every clause break as _BREAK: the clause start is one rfind away
        for m in _QUANTITY.finditer(big):
            if marked is None:
                marked = _CLAUSE_BREAK.sub(_BREAK, big)
            at = m.start()
            i = bisect_right(starts, at) - 1
            start = max(starts[i], at - CLAUSE_CHARS)
            label = _label(big[marked.rfind(_BREAK, start, at) + 1 or start:at])
            if label is not None:
                q = _value(m, label)
                if q is not None:
                    each[i].append(q)
        found.update(zip(todo, map(tuple, each)))
    return [found[t] for t in texts]


def add_quantities(texts: list[str], *, min_texts: int = 1, limit: int | None = None) -> list[tuple[str, float, str]]:
    """(label, total, measure) over ``texts``; a quantity counts once per text.

    Only kinds found in at least ``min_texts`` texts; the ``limit`` kinds found in most texts,
    in order of first appearance.
    """
    totals: dict[tuple[str, str], float] = {}
    seen: dict[tuple[str, str], int] = {}
    for found in quantities_many(texts):
        if len(found) == 1:  # the usual answer: one figure
            label, value, measure = found[0]
            totals[label, measure] = totals.get((label, measure), 0) + value
            seen[label, measure] = seen.get((label, measure), 0) + 1
            continue
        for q in dict.fromkeys(found):
            key = (q.label, q.measure)
            totals[key] = totals.get(key, 0) + q.value
        for key in {(q.label, q.measure) for q in found}:
            seen[key] = seen.get(key, 0) + 1
    keys = [k for k in totals if seen[k] >= min_texts]
    if limit is not None:
        keep = set(sorted(keys, key=lambda k: -seen[k])[:limit])
        keys = [k for k in keys if k in keep]
    return [(label, totals[(label, measure)], measure) for label, measure in keys]


def format_number(v: float) -> str:
    """1234 -> 1,234; 2.5 -> 2.5."""
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.2f}".rstrip("0").rstrip(".")
