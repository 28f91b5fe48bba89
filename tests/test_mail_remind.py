"""mail remind: units that have not reported, or have overdue tasks, get a reminder (real SMTP, real ledger)."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
from email import policy

import openpyxl
import pytest
from click.testing import CliRunner

from zwgk_xl.decompose.assign import assignment_ids
from zwgk_xl.cli import main
from zwgk_xl.core.errors import MailError
from zwgk_xl.forms import spec as fs
from zwgk_xl.forms.writer import write_forms
from zwgk_xl.ledger.store import Ledger
from zwgk_xl.mail import remind, send_forms

from _mail_helpers import DUE, ROUND, UNITS, Capture, make_directory, make_plan, smtp_config, smtp_server

UNIT_NAMES = [u for u, _ in UNITS]
SUBMITTED = "县财政局"
COLON, COMMA = "\uff1a", "\uff0c"


@pytest.fixture
def ws(tmp_path):
    """A round issued to every unit and mailed; 县财政局 has returned its form (every task 推进中) and it is merged."""
    from zwgk_xl.merge.command import merge_folder

    folder = tmp_path / "台账"
    directory, plan = make_directory(), make_plan(UNIT_NAMES, deadline="2021-12-31")
    with Ledger.open(folder) as ledger:
        ledger.store_plan(ROUND, plan, assignment=assignment_ids(plan, directory))
        forms = write_forms(plan, directory, ROUND, DUE, folder / "下发", ledger=ledger)
    with smtp_server(Capture()) as port:
        assert send_forms(folder / "下发", directory, folder, config=smtp_config(port)).ok
    (folder / "回收").mkdir()
    issued = next(f.path for f in forms if f.unit == SUBMITTED)
    book = openpyxl.load_workbook(issued)
    sheet = book[fs.TASK_SHEET]
    for r in range(fs.FIRST_DATA_ROW + 1, sheet.max_row + 1):  # an unfilled form is no reply (blank-form)
        if sheet.cell(r, fs.COLUMN_INDEX["id"] + 1).value:
            sheet.cell(r, fs.COLUMN_INDEX["status"] + 1).value = "推进中"
            sheet.cell(r, fs.COLUMN_INDEX["progress"] + 1).value = "正在推进。"
    book.save(folder / "回收" / issued.name)
    with Ledger.open(folder) as ledger:
        assert merge_folder(folder / "回收", ledger, round=ROUND, directory=directory).units_submitted == [SUBMITTED]
    return folder


def _now(day: dt.date):
    return lambda: dt.datetime.combine(day, dt.time(9, 30)).astimezone()


def _remind(ws, port, day: dt.date, **kw):
    return remind(ws, kw.pop("directory", None), config=smtp_config(port), today=day, now=_now(day), **kw)


def _bodies(handler) -> dict[str, str]:
    out = {}
    for env in handler.envelopes:
        msg = email.message_from_bytes(env.content, policy=policy.default)
        out[env.rcpt_tos[0]] = (str(msg["Subject"]), msg.get_body(("plain",)).get_content())
    return out


def test_units_that_have_not_reported_are_reminded_at_the_address_they_were_sent_to(ws):
    handler = Capture()
    with smtp_server(handler) as port:
        result = _remind(ws, port, dt.date(2021, 6, 20))
    assert result.ok and {i.unit: (i.status, i.reason) for i in result.items} == {
        u: ("sent", "未报送") for u in UNIT_NAMES if u != SUBMITTED}
    mails = _bodies(handler)
    assert sorted(mails) == sorted(e.split(";")[0] for u, e in UNITS if u != SUBMITTED)
    subject, body = mails["fgj@dept.example.cn"]
    assert subject.startswith("【催报】") and "县发展和改革局" in subject
    assert f"截至2021年6月20日{COMMA}贵单位尚未报送{ROUND}" in body and "请于2021年6月25日前填写" in body
    assert "本轮承担以下2项任务" in body and "一.(1) 任务1（完成时限：2021年12月31日）" in body
    assert "如已报送" not in body  # only units that owe something are written to
    assert "\n\n\n" not in body
    assert all(env.rcpt_tos != ["czj@dept.example.cn"] for env in handler.envelopes)
    # the form is attached again, the very file that was sent
    msg = email.message_from_bytes(next(e.content for e in handler.envelopes if "fgj@dept.example.cn" in e.rcpt_tos),
                                   policy=policy.default)
    [att] = list(msg.iter_attachments())
    assert att.get_filename() == f"{ROUND}_县发展和改革局_落实情况填报表.xlsx"
    assert att.get_content() == (ws / "下发" / att.get_filename()).read_bytes()


def test_a_unit_whose_reply_could_not_be_merged_is_told_why(ws):
    """县发展和改革局 sent a .rar and its form back unfilled: still missing, and its reminder names both files."""
    import shutil

    from zwgk_xl.merge.command import merge_folder

    box = ws / "回收"
    (box / "县发展和改革局材料.rar").write_bytes(b"Rar!\x1a\x07\x00" + b"\0" * 100)
    shutil.copy(ws / "下发" / f"{ROUND}_县发展和改革局_落实情况填报表.xlsx", box / "县发展和改革局回复.xlsx")
    for i, name in enumerate(("县发展和改革局材料.rar", "县发展和改革局回复.xlsx")):  # received in this order
        os.utime(box / name, (1_623_000_000 + 60 * i,) * 2)
    with Ledger.open(ws) as ledger:
        assert "县发展和改革局" in merge_folder(box, ledger, round=ROUND, directory=make_directory()).units_missing
    handler = Capture()
    with smtp_server(handler) as port:
        _remind(ws, port, dt.date(2021, 6, 20))
    _, body = _bodies(handler)["fgj@dept.example.cn"]
    assert ("已收到贵单位发来的「县发展和改革局材料.rar」（是压缩包，无法打开）、「县发展和改革局回复.xlsx」（是未填写的空表），"
            "但未能汇总。") in body
    assert "\n\n\n" not in body
    _, other = _bodies(handler)["wjj@dept.example.cn"]
    assert "已收到" not in other


def test_overdue_tasks_are_listed_and_a_second_run_the_same_day_sends_nothing(ws):
    handler = Capture()
    day = dt.date(2022, 1, 5)
    with smtp_server(handler) as port:
        first = _remind(ws, port, day)
        second = _remind(ws, port, day)
        forced = _remind(ws, port, day, resend=[SUBMITTED])
    items = {i.unit: i for i in first.items}
    assert items[SUBMITTED].reason == "逾期未完成" and items[SUBMITTED].tasks == ["一.(2)", "一.(3)"]
    assert items["县发展和改革局"].reason == "未报送" and items["县发展和改革局"].tasks == ["一.(1)", "一.(5)"]
    subject, body = _bodies(handler)["czj@dept.example.cn"]
    assert subject.startswith("【提醒】") and "逾期未完成" in subject
    assert "贵单位已报送" in body and "以下2项任务已过完成时限" in body
    assert f"一.(2) 任务2（完成时限{COLON}2021年12月31日；贵单位填报{COLON}推进中）" in body
    _, body = _bodies(handler)["fgj@dept.example.cn"]
    assert "请尽快填写" in body  # the due date has passed
    assert second.count("already-sent") == len(UNIT_NAMES) and second.count("sent") == 0
    assert forced.count("sent") == 1 and len(handler.envelopes) == len(UNIT_NAMES) + 1


def test_directory_addresses_win_and_missing_ones_are_listed(ws):
    directory = make_directory({"县教育体育局": "", "县卫生健康局": "new-wjj@dept.example.cn"})
    handler = Capture()
    with smtp_server(handler) as port:
        result = _remind(ws, port, dt.date(2021, 6, 20), directory=directory)
    status = {i.unit: i.status for i in result.items}
    # 县教育体育局 has no address in the directory, but the round's sent mail still has one
    assert status == {"县发展和改革局": "sent", "县教育体育局": "sent", "县市场监督管理局": "sent", "县卫生健康局": "sent"}
    assert "new-wjj@dept.example.cn" in {a for e in handler.envelopes for a in e.rcpt_tos}


def test_cli_dry_run_lists_units_and_writes_eml(ws, tmp_path):
    out = tmp_path / "催报"
    res = CliRunner().invoke(main, ["mail", "remind", "-C", str(ws), "--dry-run", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["round"] == ROUND and data["kind"] == "remind"
    # today is past every deadline: the unit that did report is reminded of its overdue tasks
    reasons = {i["unit"]: i["reason"] for i in data["items"]}
    assert reasons == {u: "逾期未完成" if u == SUBMITTED else "未报送" for u in UNIT_NAMES}
    assert len(list(out.glob("*.eml"))) == len(UNIT_NAMES)
    res = CliRunner().invoke(main, ["mail", "remind", "-C", str(ws), "--dry-run", str(out)])
    assert res.exit_code == 0 and "县发展和改革局［未报送］" in res.output


def test_only_units_that_owe_something_and_one_as_of_date(ws):
    """A unit that reported 已完成 or 长期推进 is not chased; the as-of date, not the clock, decides what is overdue."""
    from _merge_helpers import fill
    from zwgk_xl.merge.command import merge_folder

    box = ws / "回收2"
    box.mkdir()
    form = next((ws / "下发").glob("*县财政局*.xlsx"))
    ids = [t.id for t in make_plan(UNIT_NAMES).tasks]
    fill(form, box / form.name, rows={ids[1]: {"status": "已完成", "progress": "已公开。"},
                                      ids[2]: {"status": "长期推进", "progress": "持续公开。"}},
         fields={"filler": "张三"})
    with Ledger.open(ws) as ledger:
        merge_folder(box, ledger, round=ROUND, directory=make_directory())
    handler = Capture()
    with smtp_server(handler) as port:
        late = _remind(ws, port, dt.date(2030, 1, 1), as_of=dt.date(2022, 1, 5))
    units = {i.unit: i.reason for i in late.items}
    assert SUBMITTED not in units  # its tasks are settled
    assert units == {u: "未报送" for u in UNIT_NAMES if u != SUBMITTED}
    _, body = _bodies(handler)["fgj@dept.example.cn"]
    assert "截至2022年1月5日" in body


def test_without_a_ledger_a_clear_message(tmp_path):
    with pytest.raises(MailError, match="没有台账"):
        remind(tmp_path, config=smtp_config(1))
    res = CliRunner().invoke(main, ["mail", "remind", "-C", str(tmp_path)])
    assert res.exit_code == 2 and "没有台账" in res.output and not (tmp_path / "台账.sqlite").exists()
