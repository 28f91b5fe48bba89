"""The ``mail`` commands as library calls: settings resolved once, inputs checked, one result returned."""

from __future__ import annotations

from pathlib import Path

from zwgk_xl.core import paths
from zwgk_xl.core.errors import MailError
from zwgk_xl.core.values import date_option
from zwgk_xl.forms.command import check_round
from zwgk_xl.ledger.settings import load_settings
from zwgk_xl.ledger.store import find_workspace
from zwgk_xl.mail.fetch import FetchResult, fetch
from zwgk_xl.mail.remind import remind
from zwgk_xl.mail.send import MailResult, send_forms


def _workspace(workspace) -> Path:
    return find_workspace(Path(workspace) if workspace else None)


def _with_addresses(directory):
    """``directory``, refused once (not unit by unit) when it has no 邮箱 column or the column is empty."""
    if directory is not None and directory.units and not any(u.email for u in directory.units):
        name = Path(directory.path).name if directory.path else "部门名录"
        raise MailError(f"部门名录「{name}」中没有“邮箱”列，或该列全是空的。请加上“邮箱”列，填写各单位的邮箱后重新运行。")
    return directory


def run_send(forms_dir, *, units=None, workspace=None, round: str | None = None, dry_run=None,
             resend=(), rate: float | None = None) -> MailResult:
    """``mail send``: the 部门名录 from ``units`` or the settings; the dry-run folder checked first."""
    ws = _workspace(workspace)
    folder = paths.input_dir(forms_dir, "下发文件夹")
    if round is not None:
        round = check_round(round)
    if dry_run is not None:
        paths.output_dir(dry_run, "演练邮件文件夹", "--dry-run")
    directory = _with_addresses(load_settings(ws).directory(units, required=True))
    return send_forms(folder, directory, ws, round=round, dry_run_dir=dry_run, resend=resend, rate=rate)


def run_remind(*, units=None, workspace=None, round: str | None = None, due: str = "", dry_run=None,
               resend=(), rate: float | None = None, as_of=None) -> MailResult:
    """``mail remind``: addresses from ``units``, else the settings' 部门名录, else the round's sent mail."""
    ws = _workspace(workspace)
    if round is not None:
        round = check_round(round)
    due_date = date_option(due, "截止日期（--due）")
    as_of = date_option(as_of, "统计截止日期（--as-of）")
    if dry_run is not None:
        paths.output_dir(dry_run, "演练邮件文件夹", "--dry-run")
    directory = _with_addresses(load_settings(ws).directory(units))
    return remind(ws, directory, round=round, dry_run_dir=dry_run, due=due_date.isoformat() if due_date else "",
                  resend=resend, rate=rate, as_of=as_of)


def run_fetch(*, workspace=None, since=None) -> FetchResult:
    """``mail fetch`` into the 台账 folder's 回收/."""
    return fetch(_workspace(workspace), since=since)
