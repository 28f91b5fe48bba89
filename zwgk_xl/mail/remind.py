"""Reminders (催报): units that have not reported for a round, or whose tasks are overdue."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field
from datetime import date as _date
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

from zwgk_xl.core.errors import MailError
from zwgk_xl.core.model import Master
from zwgk_xl.core.cntext import cn_date
from zwgk_xl.mail import log
from zwgk_xl.mail.config import MailConfig, load_config
from zwgk_xl.mail.send import (MailResult, Throttle, _address_item, _compose, _open_ledger, _Planned, _run,
                   _template_values, load_units)

DONE = ("已完成", "不涉及")
REASON_MISSING = "未报送"
REASON_OVERDUE = "有逾期任务"


@dataclass
class Reminder:
    """A unit to remind and why."""

    unit: str
    reason: str  # REASON_MISSING | REASON_OVERDUE
    tasks: list[tuple[str, str, str]] = field(default_factory=list)  # (id, title, deadline) overdue


def units_to_remind(master: Master) -> list[Reminder]:
    """Units that have not submitted for the round, then units with unfinished overdue tasks."""
    overdue: dict[str, list[tuple[str, str, str]]] = {}
    for row in master.rows:
        if not row.overdue:
            continue
        for rep in row.reports:
            if rep.status not in DONE:
                t = row.task
                overdue.setdefault(rep.unit, []).append((t.id, t.title, t.deadline.date or t.deadline.text))
    out = [Reminder(u.unit, REASON_MISSING, overdue.get(u.unit, [])) for u in master.units if not u.submitted]
    seen = {r.unit for r in out}
    out += [Reminder(unit, REASON_OVERDUE, tasks) for unit, tasks in overdue.items() if unit not in seen]
    return out


def _reason_text(r: Reminder, round: str, today: _date) -> str:
    when = cn_date(today)
    if r.reason == REASON_MISSING:
        return f"截至{when}\uff0c贵单位尚未报送{round}政务公开工作任务落实情况。"
    return f"截至{when}\uff0c贵单位以下任务已过完成时限\uff0c尚未填报为已完成。"


def _task_lines(tasks: list[tuple[str, str, str]]) -> str:
    if not tasks:
        return ""
    return "逾期任务\uff1a\n" + "\n".join(f"  {tid} {title}\uff08时限\uff1a{deadline}\uff09" for tid, title, deadline in tasks)


def remind(workspace: Path, directory=None, *, round: str | None = None, dry_run_dir: Path | None = None,
           due: str = "", resend: Iterable[str] = (), rate: float | None = None,
           config: MailConfig | None = None, password: str | None = None,
           ssl_context: ssl.SSLContext | None = None, ledger=None, today: _date | None = None,
           clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
           now: Callable[[], datetime] | None = None) -> MailResult:
    """Remind each unit that has not reported for ``round`` (default: the latest) or has overdue tasks.

    Addresses come from ``directory`` when given, else from the round's sent
    mail.  A unit already reminded today is skipped unless named in ``resend``.

    Raises:
        MailError: no ledger, no round, no plan for the round, or a connection/login failure.
    """
    from zwgk_xl.merge.master import build_master

    config = config or load_config(workspace)
    now = now or (lambda: datetime.now().astimezone())
    today = today or now().date()
    directory = load_units(directory)
    ledger, opened = _open_ledger(workspace, ledger, create=False)
    if ledger is None:
        raise MailError(f"{workspace} 中没有台账(台账.sqlite),请先运行 split 和 merge,或用 -C 指定台账文件夹。")
    try:
        rounds = ledger.rounds()
        if round is None:
            if not rounds:
                raise MailError("台账中还没有任何轮次,请先运行 zwgk-xl split。")
            round = rounds[-1]
        plan = ledger.plan_for_round(round)
        if plan is None:
            raise MailError(f"台账中没有轮次「{round}」的分解表,请检查 --round(已有:{'、'.join(rounds) or '无'})。")
        conn = ledger.conn
        log.ensure_tables(conn)
        master = build_master(ledger, plan, round, directory=directory, today=today)
        result = MailResult("remind", round, dry_run=dry_run_dir is not None)
        resend = set(resend)
        planned = []
        for r in units_to_remind(master):
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
            unit_due = due or next((x["due"] for x in reversed(sent) if x["due"]), "")
            values = _template_values(r.unit, round, unit_due, config, now(), today=today,
                                      reason=_reason_text(r, round, today),
                                      tasks=_task_lines(r.tasks))
            subject, body = _compose("remind", workspace, values)
            planned.append(_Planned(item, subject, body, [], unit_due))
        _run(planned, "remind", round, result, config, conn, dry_run_dir, password, ssl_context,
             Throttle(config.rate if rate is None else rate, clock, sleep), now)
        return result
    finally:
        if opened:
            ledger.close()
