"""Which unit a returned file belongs to, from every piece of evidence, and whether it is of this round.

The evidence: the form's metadata, the unit names in the file name, the unit
``mail fetch`` recorded as its sender, the 填报单位 written above the table,
and the task ids in the table.  When they disagree the file is held (a
``unit-conflict`` finding naming the candidates and the evidence); a file is
never put under a unit the evidence does not support.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import chain

from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import Finding
from zwgk_xl.core.values import cell_text
from zwgk_xl.forms import spec as fs
from zwgk_xl.merge.checking import Form
from zwgk_xl.merge.context import Context, norm_id
from zwgk_xl.merge.intake import Rejected
from zwgk_xl.merge.results import FileOutcome

WAYS = {"metadata": "填报表元数据", "filename": "文件名", "mail": "来信单位", "header": "表头的填报单位",
        "tasks": "表中的任务编号"}


def units_in_name(ctx: Context, text: str) -> list[str]:
    """Units whose whole name (or alias) occurs in ``text``, in order of position; a name inside a longer
    matched name does not count, and the issuing office comes last."""
    if not text:
        return []
    got = ctx.named.get(text)  # a file's name is looked at twice, a unit's name in many headers
    if got is None:
        found = list(dict.fromkeys(ctx.unit_of_name[name] for name in ctx.name_index.find(text)))
        got = tuple(sorted(found, key=lambda u: u in ctx.issuers) if len(found) > 1 else found)
        if len(ctx.named) < 10_000:
            ctx.named[text] = got
    return list(got)


@dataclass
class Evidence:
    """Candidate units of one file, by kind of evidence (see :data:`WAYS`)."""

    metadata: str = ""
    filename: list[str] = field(default_factory=list)
    mail: str = ""
    header: str = ""
    tasks: str = ""  # the one unit whose issued tasks hold every task id of the table, when only one does
    foreign: bool = False  # the table holds task ids never issued to the unit chosen (set by :func:`identify`)

    def describe(self) -> str:
        parts = []
        if self.metadata:
            parts.append(f"{WAYS['metadata']}为「{self.metadata}」")
        if self.filename:
            parts.append(f"{WAYS['filename']}含「{'、'.join(self.filename)}」")
        for way in ("mail", "header", "tasks"):
            if getattr(self, way):
                parts.append(f"{WAYS[way]}{'符合' if way == 'tasks' else '为'}「{getattr(self, way)}」")
        return "；".join(parts)


def _header_unit(ctx: Context, form: Form) -> str:
    """The unit of the 填报单位 line above the table, else the unit in the form's title, else ""."""
    rows = form.rows[: form.header]
    if len(rows) > fs.INFO_ROW and rows[fs.INFO_ROW][:1] == ["填报单位"]:  # as issued
        value = rows[fs.INFO_ROW][1] if len(rows[fs.INFO_ROW]) > 1 else None
        found = units_in_name(ctx, value) if type(value) is str else []
        if found:
            return found[0]
    for row in rows:
        texts = [cell_text(v) for v in row]
        for j, text in enumerate(texts):
            if text.rstrip("：:") == "填报单位":
                value = next((t for t in texts[j + 1:] if t), "")
                found = units_in_name(ctx, value)
                return found[0] if found else ""
    for row in rows:
        for text in map(cell_text, row):
            if "填报表" in text or "落实情况" in text:
                found = units_in_name(ctx, text)
                if found:
                    return found[0]
    return ""


def table_ids(form: Form) -> set[str]:
    j = form.cols.get("id")
    if j is None:
        return set()
    return {norm_id(r[j]) for r in form.rows[form.header + 1:] if j < len(r) and cell_text(r[j])}


def _tasks_unit(ctx: Context, ids: set[str]) -> str:
    """The unit whose tasks fit ``ids`` best (Jaccard ≥ 0.5, a clear first), else ""."""
    if not ids:
        return ""
    shared = Counter(chain.from_iterable(map(ctx.holders, ids)))  # units sharing no task score 0: left out
    scores = sorted(((n / (len(ids) + len(ctx.task_ids(u)) - n), u) for u, n in shared.items()), reverse=True)
    if scores and scores[0][0] >= 0.5 and (len(scores) == 1 or scores[1][0] < scores[0][0]):
        return scores[0][1]
    return ""


def _foreign(ctx: Context, unit: str, ids: set[str]) -> bool:
    """Whether the table holds tasks issued to another unit but never to ``unit`` (a row deleted is not that)."""
    extra = ids - ctx.task_ids(unit)
    if not extra:
        return False
    return any(extra <= ctx.task_ids(u) for u in ctx.holders(next(iter(extra))) if u != unit)


def _none_mine(ctx: Context, unit: str, form: Form) -> bool:
    """Whether the table holds none of ``unit``'s tasks but only another unit's (a form saved under the
    wrong metadata); quick when the ids are as issued."""
    j, mine = form.cols.get("id"), ctx.task_ids(unit)
    for r in form.rows[form.header + 1:]:  # as issued, the first row is one of the unit's tasks
        if j < len(r) and type(r[j]) is str and r[j].strip() in mine:
            return False
    ids = table_ids(form)
    return bool(ids) and not ids & mine and _foreign(ctx, unit, ids)


def evidence(ctx: Context, form: Form, stem: str, mail_unit: str, ids: set[str] | None = None) -> Evidence:
    """The evidence of one file; ``ids`` (the table's task ids) given: which unit's tasks fit them too."""
    ev = Evidence(filename=units_in_name(ctx, stem), mail=ctx.canonical(mail_unit or "") or "",
                  header=_header_unit(ctx, form))
    if ids is not None:
        ev.tasks = _tasks_unit(ctx, ids)
    return ev


def second_form_unit(ctx: Context, form: Form) -> str:
    """The unit of a further task table in a workbook: its 填报单位 (or title), else the unit its task ids
    fit, else ""."""
    return _header_unit(ctx, form) or _tasks_unit(ctx, table_ids(form))


def identify(ctx: Context, form: Form, stem: str, mail_unit: str, out: FileOutcome, *,
             word: bool = False) -> list[Finding]:
    """Set ``out.unit`` and ``out.identified_by`` from the evidence; findings to add (``word``: the table
    was read from a Word document, which never carries the form's metadata).

    Raises:
        Rejected: unknown-unit, wrong-round or unit-conflict (the file is held).
    """
    meta, findings = form.meta, []

    def note(kind: str, message: str) -> None:
        findings.append(fk.finding(kind, message, unit=out.unit, file=out.file))

    has_meta = bool(meta and meta.get("unit"))
    ids = set() if has_meta else table_ids(form)
    ev = evidence(ctx, form, stem, mail_unit, None if has_meta else ids)  # task fit: only without metadata
    if has_meta:
        out.identified_by, out.meta_source = "metadata", meta.get("meta_source", "")
        named = meta["unit"]
        unit = ctx.canonical(named)
        if unit is None:
            out.unit = named
            raise Rejected("unknown-unit", f"表中记录的填报单位「{named}」不在本轮（{ctx.round}）分解表的责任单位中。")
        out.unit = ev.metadata = unit
        if meta.get("round") and meta["round"] != ctx.round:
            raise Rejected("wrong-round", f"这是「{meta['round']}」的填报表，本次汇总的轮次是「{ctx.round}」。")
        named_files = [u for u in ev.filename if u not in ctx.issuers]  # notices name the office: not evidence
        against = [u for u in ([*named_files[:1]] if unit not in named_files else []) + [ev.mail, ev.header]
                   if u and u != unit]
        if against or _none_mine(ctx, unit, form):
            _conflict(ctx, out, ev, [unit, *against])
        if meta.get("ledger_id") and ctx.ledger_id and meta["ledger_id"] != ctx.ledger_id:
            note("other-ledger", "该表不是由本台账下发的（台账编号不同）。")
        if meta.get("template_version") != fs.TEMPLATE_VERSION:
            note("old-template", f"模板版本为「{meta.get('template_version') or '未知'}」，当前为「{fs.TEMPLATE_VERSION}」。")
        if meta.get("checksum") and meta["checksum"] != ctx.checksum(unit):
            note("plan-changed", _plan_change(ctx, unit, meta))
        return findings
    # no metadata: the file name, the sender, the 填报单位 line and the task ids
    strong = [u for u in (ev.mail, ev.header) if u]
    named = [u for u in ev.filename if u not in ctx.issuers] or ([] if strong or ev.tasks else ev.filename)
    if len(named) > 1:  # several units in the name: the other evidence picks one of them
        picked = [u for u in named if u in strong or u == ev.tasks]
        named = picked[:1] if len(set(picked)) == 1 else named
    candidates = list(dict.fromkeys(named + strong))
    if not candidates and ev.tasks:
        candidates = [ev.tasks]
    if not candidates:
        raise Rejected("unknown-unit", "表中没有填报表元数据，文件名和表格内容中也找不到本轮的责任单位名称。")
    unit = candidates[0]
    out.unit = unit
    if len(candidates) > 1 or _foreign(ctx, unit, ids):
        _conflict(ctx, out, ev, candidates if len(candidates) > 1 else [unit, ev.tasks])
    way = "filename" if unit in named else "mail" if unit == ev.mail else "content"
    out.identified_by = way
    lacking = "Word 文件中没有填报表元数据" if word else "表中没有填报表元数据"
    how = {"filename": lacking + ("，按文件名" if word else "（可能被复制到了新文件），按文件名"),
           "mail": lacking + "，文件名也不含单位名称，按收取邮件时记录的来信单位",
           "content": lacking + "，文件名也不含单位名称，按表格内容"}[way]
    note(f"unit-from-{way}", f"{how}识别为「{unit}」。")
    return findings


def _plan_change(ctx: Context, unit: str, meta: dict) -> str:
    """What changed in ``unit``'s part of the plan since its form was issued (from the form's task ids)."""
    sent, now = set(fs.decode_task_ids(meta.get("task_ids"))), ctx.task_ids(unit)
    added, dropped = sorted(now - sent), sorted(sent - now)
    parts = []
    if added and sent:
        parts.append(f"新增任务 {'、'.join(added)} 不在该表中")
    if dropped:
        parts.append(f"任务 {'、'.join(dropped)} 已从分解表删去")
    return "该表下发后，分解表中本单位的任务有改动：" + ("；".join(parts) if parts else "任务内容、要求或时限有变化") + "。"


def _conflict(ctx: Context, out: FileOutcome, ev: Evidence, candidates: list[str]) -> None:
    names = "、".join(f"「{u}」" for u in dict.fromkeys(u for u in candidates if u))
    raise Rejected("unit-conflict", f"无法确定该文件属于哪个单位：{names}。依据：{ev.describe()}。"
                                    f"为免误计入其他单位，本文件暂不汇总。")
