"""Reminders (催报): only to units that owe something for the round.

A unit owes something when it has not returned its form (未报送: the mail
lists its tasks and attaches the form again), or when it has, but some of its
own tasks are past their deadline at the as-of date and its answer is neither
已完成, 长期推进 nor 不涉及 (逾期未完成: the mail lists those tasks).  The as-of
date is one date for the whole run (``as_of``, else ``today``), the one the
master and the report use when given the same date.
"""

from __future__ import annotations

import hashlib
import ssl
import time
from dataclasses import dataclass, field
from datetime import date as _date
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

from zwgk_xl.core.cntext import cn_date
from zwgk_xl.core.errors import MailError
from zwgk_xl.core.model import Master
from zwgk_xl.mail import log
from zwgk_xl.mail.compose import Attachment
from zwgk_xl.mail.config import MailConfig, load_config
from zwgk_xl.mail.send import (MailResult, Throttle, _address_item, _compose, _open_ledger, _Planned, _run,
                               _template_values, load_units)
from zwgk_xl.merge import attachments
from zwgk_xl.merge import statistics as st

REASON_MISSING = "未报送"
REASON_OVERDUE = "逾期未完成"
TEMPLATE_KIND = {REASON_MISSING: "remind_missing", REASON_OVERDUE: "remind_overdue"}


@dataclass
class Reminder:
    """A unit to remind, why, and what it owes: (task id, title, deadline, its answer)."""

    unit: str
    reason: str  # REASON_MISSING | REASON_OVERDUE
    tasks: list[tuple[str, str, str, str]] = field(default_factory=list)


def units_to_remind(master: Master, as_of: _date | None = None) -> list[Reminder]:
    """Units that have not returned their form (with all their tasks), then units with tasks of their own
    past the deadline at ``as_of`` (default: today) and not settled (已完成, 长期推进, 不涉及)."""
    as_of = as_of or _date.today()
    submitted = {u.unit for u in master.units if u.submitted}
    owed: dict[str, list[tuple[str, str, str, str]]] = {}
    overdue: dict[str, list[tuple[str, str, str, str]]] = {}
    for row in master.rows:
        t = row.task
        deadline = t.deadline.date or t.deadline.text
        for rep in row.reports:
            answer = st.answer(rep, submitted)
            entry = (t.id, t.title, deadline, answer)
            owed.setdefault(rep.unit, []).append(entry)
            if rep.unit in submitted and st.is_overdue(t, answer, as_of):
                overdue.setdefault(rep.unit, []).append(entry)
    out = [Reminder(u.unit, REASON_MISSING, owed.get(u.unit, [])) for u in master.units if not u.submitted]
    out += [Reminder(u.unit, REASON_OVERDUE, overdue[u.unit]) for u in master.units
            if u.submitted and u.unit in overdue]
    return out


def _deadline_text(value: str) -> str:
    try:
        return cn_date(_date.fromisoformat(value))
    except (TypeError, ValueError):
        return value or "未规定"


def _task_lines(r: Reminder) -> str:
    """One line per task owed: 「  二.（四）标题（完成时限：2020年10月31日；贵单位填报：推进中）」."""
    lines = []
    for tid, title, deadline, answer in r.tasks:
        note = f"完成时限：{_deadline_text(deadline)}"
        if r.reason == REASON_OVERDUE:
            note += f"；贵单位填报：{answer}"
        lines.append(f"  {tid} {title}（{note}）")
    return "\n".join(lines)


# Why a unit's file could not be merged, in words for the unit (by the finding that rejected it).
_WHY = {"blank-form": "是未填写的空表", "password-protected": "设有打开密码，无法打开",
        "wrong-round": "是其他轮次的填报表", "not-a-form": "其中没有填报表", "column-missing": "表头被改动，无法对应各栏",
        "unreadable": "无法打开（可能已损坏）", "zip-bomb": "无法打开", "too-large": "文件过大，无法打开",
        "cells-out-of-range": "表格范围异常，无法读取"}
_WHY_BY_KIND = {attachments.ARCHIVE: "是压缩包，无法打开", attachments.ZIP: "是压缩包，其中没有填报表",
                attachments.SCAN: "是扫描件或图片，不是 Excel 填报表", attachments.PICTURE: "是扫描件或图片，不是 Excel 填报表",
                attachments.DOCUMENT: "是文字文档，其中没有填报表"}
SHOWN_FILES = 3  # files named in a reminder at most


def received_note(ledger, round: str, unit: str) -> str:
    """「已收到贵单位发来的「材料.rar」（是压缩包，无法打开），但未能汇总。」 for the files of ``unit`` this round
    that could not be merged (a unit that wrote back is told why it is still asked), else ""."""
    shown = []
    for rec in ledger.receipts(round):
        if rec["unit"] != unit or rec["outcome"] != "rejected":
            continue
        kinds = [f.type for _, f in ledger.file_findings(round, rec["sha256"])]
        why = next((_WHY[k] for k in kinds if k in _WHY), "")
        if not why and "reply-not-spreadsheet" in kinds:
            kind = attachments.KINDS.get(Path(rec["file_name"]).suffix.lower(), "")
            why = _WHY_BY_KIND.get(kind, "不是 Excel 填报表")
        if why:
            shown.append(f"「{Path(rec['file_name']).name}」（{why}）")
    if not shown:
        return ""
    more = f"等 {len(shown)} 个文件" if len(shown) > SHOWN_FILES else ""
    return f"已收到贵单位发来的{'、'.join(shown[:SHOWN_FILES])}{more}，但未能汇总。"


def _issued_form(workspace: Path, ledger, round: str, unit: str, hashes: list[str]) -> Path | None:
    """The form issued to ``unit`` for ``round``: the file sent (by its hash), else one named after both."""
    for sha in hashes:
        found = ledger.archived_path(sha) if hasattr(ledger, "archived_path") else None
        if found is not None and Path(found).is_file():
            return Path(found)
    candidates = [p for p in workspace.rglob("*.xlsx") if round in p.name and unit in p.name
                  and not {"回收", "归档"} & set(p.relative_to(workspace).parts)]
    for p in candidates:
        if not hashes or hashlib.sha256(p.read_bytes()).hexdigest() in hashes:
            return p
    return candidates[0] if candidates else None


def remind(workspace: Path, directory=None, *, round: str | None = None, dry_run_dir: Path | None = None,
           due: str = "", resend: Iterable[str] = (), rate: float | None = None,
           config: MailConfig | None = None, password: str | None = None,
           ssl_context: ssl.SSLContext | None = None, ledger=None, today: _date | None = None,
           clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
           now: Callable[[], datetime] | None = None, as_of: _date | None = None) -> MailResult:
    """Remind each unit that owes something for ``round`` (default: the latest); see the module docstring.

    Addresses come from ``directory`` when given, else from the round's sent
    mail.  A unit already reminded today is skipped unless named in ``resend``.
    ``as_of`` (default ``today``, else the round's as-of date, :meth:`Ledger.as_of`) judges overdue
    tasks and dates the mails' 截至.

    Raises:
        MailError: no ledger, no round, no plan for the round, or a connection/login failure.
    """
    from zwgk_xl.merge.master import build_master

    config = config or load_config(workspace)
    now = now or (lambda: datetime.now().astimezone())
    explicit = as_of or today
    today = today or now().date()
    directory = load_units(directory)
    ledger, opened = _open_ledger(workspace, ledger, create=False)
    if ledger is None:
        raise MailError(f"{workspace} 中没有台账（台账.sqlite），请先运行 split 和 merge，或用 -C 指定台账文件夹。")
    try:
        rounds = ledger.rounds()
        if round is None:
            if not rounds:
                raise MailError("台账中还没有任何轮次，请先运行 zwgk-xl split。")
            round = rounds[-1]
        plan = ledger.plan_for_round(round)
        if plan is None:
            raise MailError(f"台账中没有轮次「{round}」的分解表，请检查 --round（已有：{'、'.join(rounds) or '无'}）。")
        as_of = ledger.as_of(round, explicit)  # the round's one as-of date (see Ledger.as_of)
        conn = ledger.conn
        log.ensure_tables(conn)
        master = build_master(ledger, plan, round, directory=directory, today=as_of)
        result = MailResult("remind", round, dry_run=dry_run_dir is not None)
        resend = set(resend)
        planned = []
        for r in units_to_remind(master, as_of):
            sent = log.sent_records(conn, "send", round, r.unit)
            found = directory.get(r.unit) if directory is not None else None
            cell = (found.email if found is not None else "") or (sent[-1]["recipient"] if sent else "")
            item = _address_item(r.unit, cell, result)
            if item is None:
                result.items[-1].reason = r.reason
                continue
            item.reason, item.tasks = r.reason, [t[0] for t in r.tasks]
            result.items.append(item)
            reminded = [x["at"] for x in log.sent_records(conn, "remind", round, r.unit)]
            if r.unit not in resend and any(at.startswith(today.isoformat()) for at in reminded):
                item.status, item.error = "already-sent", f"今天已于 {reminded[-1]} 催报"
                continue
            attachments = []
            if r.reason == REASON_MISSING:
                form = _issued_form(Path(workspace), ledger, round, r.unit, sent[-1]["hashes"] if sent else [])
                if form is not None:
                    data = form.read_bytes()
                    attachments.append(Attachment(form.name, data))
                    item.files, item.hashes = [form.name], [hashlib.sha256(data).hexdigest()]
            unit_due = due or next((x["due"] for x in reversed(sent) if x["due"]), "")
            values = _template_values(r.unit, round, unit_due, config, now(), today=as_of,
                                      as_of=cn_date(as_of), count=len(r.tasks), tasks=_task_lines(r),
                                      attached="（填报表见附件）" if attachments else "",
                                      received=received_note(ledger, round, r.unit) if r.reason == REASON_MISSING
                                      else "")
            subject, body = _compose(TEMPLATE_KIND[r.reason], workspace, values)
            planned.append(_Planned(item, subject, body, attachments, unit_due))
        _run(planned, "remind", round, result, config, conn, dry_run_dir, password, ssl_context,
             Throttle(config.rate if rate is None else rate, clock, sleep), now)
        return result
    finally:
        if opened:
            ledger.close()
