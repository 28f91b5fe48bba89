"""The README's first command: the whole job on bundled sample data."""

import email
from email import policy

import docx
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from zwgk_xl.cli import main


def test_demo_runs_every_stage(tmp_path):
    folder = tmp_path / "示例台账"
    result = CliRunner().invoke(main, ["demo", str(folder)])
    assert result.exit_code == 0, result.output
    assert "解析上级文件:18 项任务" in result.output

    # parse output: 18 tasks, read back with calamine
    rows = CalamineWorkbook.from_path(str(folder / "上级任务.xlsx")).get_sheet_by_index(0).to_python()
    ids = [str(r[0]) for r in rows]
    assert "一.(二)" in ids and "四.(四)" in ids

    # one form per unit, named safely
    forms = sorted((folder / "下发").glob("*.xlsx"))
    assert len(forms) == 50
    assert all(f.name.startswith("2020年第四季度_") for f in forms)

    # notification mails prepared (dry run), with the form attached
    emls = sorted((folder / "待发邮件").glob("*.eml"))
    assert emls
    msg = email.message_from_bytes(emls[0].read_bytes(), policy=policy.default)
    names = [p.get_filename() for p in msg.iter_attachments()]
    assert names and names[0].endswith("_落实情况填报表.xlsx")

    # master: a row per task, with the lead's status
    wb = CalamineWorkbook.from_path(str(folder / "汇总表.xlsx"))
    assert {"汇总", "报送情况", "问题清单", "统计"} <= set(wb.sheet_names)
    summary = wb.get_sheet_by_name("汇总").to_python()
    flat = [str(c) for r in summary for c in r]
    assert any("一.(二)" == c for c in flat)
    assert any(c in ("已完成", "推进中", "长期推进", "未启动", "不涉及") for c in flat)
    report_rows = wb.get_sheet_by_name("报送情况").to_python()
    assert any("县公安局" in str(c) for r in report_rows for c in r)  # a silent unit is listed

    # report: title, the plan's first section, and the silent units named
    d = docx.Document(str(folder / "落实情况报告.docx"))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "落实情况的报告" in text
    assert "进一步拓展主动公开深度和广度" in text
    assert "县公安局" in text

    # reminders only for units that did not report
    reminders = list((folder / "催报邮件").glob("*.eml"))
    assert reminders
    assert any("县公安局" in r.name for r in reminders)
