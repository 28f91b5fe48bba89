"""The README's first command: a realistic year on bundled sample data, never in someone else's folder."""

import email
import re
from email import policy

import docx
from click.testing import CliRunner
from python_calamine import CalamineWorkbook


from zwgk_xl.cli import main
from zwgk_xl.core.office import soffice_path


def test_demo_runs_every_stage(demo):
    folder, result = demo
    assert result.exit_code == 0, result.output
    assert "解析上级文件：18 项任务" in result.output

    # parse output: 18 tasks, read back with calamine
    rows = CalamineWorkbook.from_path(str(folder / "上级任务.xlsx")).get_sheet_by_index(0).to_python()
    ids = [str(r[0]) for r in rows]
    assert "一.(二)" in ids and "四.(四)" in ids

    # one form per unit, named safely
    forms = sorted((folder / "下发" / "2020年第四季度").glob("*.xlsx"))
    assert len(forms) == 50
    assert all(f.name.startswith("2020年第四季度_") for f in forms)

    # notification mails prepared (dry run), with the form attached
    emls = sorted((folder / "待发邮件").rglob("*.eml"))
    assert emls
    msg = email.message_from_bytes(emls[0].read_bytes(), policy=policy.default)
    names = [p.get_filename() for p in msg.iter_attachments()]
    assert names and names[0].endswith("_落实情况填报表.xlsx")

    # master: a row per task, with the lead's status
    wb = CalamineWorkbook.from_path(str(folder / "汇总表_2020年第四季度.xlsx"))
    assert {"汇总", "报送情况", "问题清单", "统计"} <= set(wb.sheet_names)
    summary = wb.get_sheet_by_name("汇总").to_python()
    flat = [str(c) for r in summary for c in r]
    assert any("一.(二)" == c for c in flat)
    assert any(c in ("已完成", "推进中", "长期推进", "未启动", "不涉及") for c in flat)
    silent = re.search(r"未报送的单位（2 个）：(\S+)、(\S+)", result.output).groups()
    report_rows = wb.get_sheet_by_name("报送情况").to_python()
    assert any(silent[0] in str(c) for r in report_rows for c in r)  # a silent unit is listed

    # report: title, the plan's first section, and the silent units named
    d = docx.Document(str(folder / "落实情况报告_2020年第四季度.docx"))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "落实情况的报告" in text
    assert "进一步拓展主动公开深度和广度" in text
    assert "未报送" in text or silent[0][:3] in text

    # reminders only for units that did not report
    reminders = list((folder / "催报邮件").glob("*.eml"))
    assert reminders
    assert any(silent[0] in r.name for r in reminders)


def test_demo_shows_the_real_mess_two_rounds_and_a_pdf(demo):
    from zwgk_xl.ledger import Ledger

    folder, result = demo
    assert "2020年第三季度" in result.output and "2020年第四季度" in result.output
    units, files = map(int, re.search(r"2020年第四季度：.*?(\d+) 个单位回复，收到 (\d+) 份", result.output).groups())
    assert files == units + 1 == len(list((folder / "回收" / "2020年第四季度").iterdir()))  # one unit sent twice
    # the unit the demo makes late is named late, in the master and in the report
    late = re.search(r"([^，（；]+)逾期报送）", result.output).group(1)
    rows = CalamineWorkbook.from_path(str(folder / "汇总表_2020年第四季度.xlsx")).get_sheet_by_name("报送情况").to_python()
    assert [r[0] for r in rows if r[2] == "逾期报送"] == [late]
    text = "\n".join(p.text for p in docx.Document(str(folder / "落实情况报告_2020年第四季度.docx")).paragraphs)
    assert re.search(r"逾期报送单位1个：\S+。", text)
    stats = CalamineWorkbook.from_path(str(folder / "落实情况报告_2020年第四季度_统计.xlsx")).get_sheet_by_name("分单位")
    assert [r[1] for r in stats.to_python() if r[-1] == "逾期"] == [late]
    kinds = re.search(r"汇总时发现的问题（按类型）：(.+)", result.output).group(1).split("，")
    assert len(kinds) >= 4, kinds
    with Ledger.open(folder) as ledger:
        assert ledger.rounds() == ["2020年第三季度", "2020年第四季度"]
    if soffice_path():
        assert (folder / "落实情况报告_2020年第四季度.pdf").stat().st_size > 10_000
        back = folder / "回收" / "2020年第四季度"
        assert list(back.glob("*.xls")) and list(back.glob("*.ods"))
    assert "先打开" in result.output


def test_demo_refuses_a_real_workspace_and_leaves_it_unchanged(tmp_path):
    ws = tmp_path / "我的台账"
    ws.mkdir()
    toml = ws / "zwgk.toml"
    toml.write_text('[mail]\nhost = "smtp.real.gov.cn"\n', encoding="utf-8")
    before = toml.read_bytes()
    for args in (["demo", str(ws)], ["demo", str(ws), "--force"]):
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 2 and "zwgk.toml" in res.stderr and "Traceback" not in res.output
    assert toml.read_bytes() == before and sorted(p.name for p in ws.iterdir()) == ["zwgk.toml"]


def test_demo_refuses_a_folder_with_other_content_unless_forced(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "笔记.txt").write_text("mine", encoding="utf-8")
    res = CliRunner().invoke(main, ["demo", str(folder)])
    assert res.exit_code == 2 and "--force" in res.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["笔记.txt"]
    res = CliRunner().invoke(main, ["demo", str(tmp_path / "x" / "笔记.txt")])
    assert res.exit_code == 2 and "是一个文件" in res.stderr


def test_remind_in_the_demo_folder_uses_the_configured_directory(demo, tmp_path, monkeypatch):
    """The README's `mail remind --dry-run` run inside the 台账 finds the 部门名录 named in zwgk.toml."""
    folder, _ = demo
    monkeypatch.chdir(folder)
    res = CliRunner().invoke(main, ["mail", "remind", "--dry-run", str(tmp_path / "催报"), "--json"])
    assert res.exit_code in (0, 1), res.output
    assert "没有邮箱" not in res.output
    assert list((tmp_path / "催报").glob("*.eml"))
