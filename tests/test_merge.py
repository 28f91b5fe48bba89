"""merge: returned forms filled the way departments do, merged with exact findings and master content."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from _merge_helpers import (CMD, INJECTION, ROUND, build_messy, copy_values, fill, issue_forms, ledger_tables,
                            sample_plan, task)
from zwgk_xl.ledger.store import Ledger
from zwgk_xl.merge.checking import normalize_status
from zwgk_xl.merge.command import merge_folder, run_merge

TODAY = dt.date(2021, 7, 10)
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")


def sheet(path, name):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    box, ws = build_messy(tmp_path_factory)
    result = run_merge(box / "回收", workspace=ws, output=box / "汇总表.xlsx", today=TODAY)
    return box, ws, result


FIN = "2021年第二季度_县财政局_落实情况填报表.xls"
EDU_NEW = "教育局(修改版).xlsx"

EXPECTED_FINDINGS = [
    ("locked-text-altered", "warning", "县财政局", FIN, "B6"),
    ("row-deleted", "warning", "县财政局", FIN, ""),
    ("lock-file", "info", "", "~$教育局(修改版).xlsx", ""),
    ("password-protected", "error", "", "加密.xlsx", ""),
    ("unit-from-content", "warning", "县卫生健康局", "回复.xlsx", ""),
    ("formula-no-value", "warning", "县卫生健康局", "回复.xlsx", "G6"),
    ("row-inserted", "warning", "县教育局", EDU_NEW, "9"),
    ("rows-reordered", "info", "县教育局", EDU_NEW, ""),
    ("formula-text", "info", "县教育局", EDU_NEW, "G7"),
    ("formula-text", "info", "县教育局", EDU_NEW, "K7"),
    ("invalid-date", "warning", "县教育局", EDU_NEW, "H7"),
    ("invalid-status", "warning", "县教育局", EDU_NEW, "F8"),
    ("not-spreadsheet", "info", "", "说明.docx", ""),
    ("zip-bomb", "error", "", "附件.xlsx", ""),
    ("duplicate-submission", "warning", "县教育局", "教育局初稿.ods", ""),
]


def test_every_problem_is_a_finding(messy):
    _, _, result = messy
    got = [(f.type, f.severity, f.unit, f.file, f.cell) for f in result.findings]
    assert got == EXPECTED_FINDINGS
    msgs = {(f.type, f.cell): f.message for f in result.findings}
    assert msgs[("locked-text-altered", "B6")] == \
        "「工作任务」被改动：下发原文「预决算信息公开」，现为「预决算公开(已改)」；汇总仍按原文。"
    assert msgs[("invalid-status", "F8")].endswith("填写为「完成」，不在下拉列表（已完成/推进中/未启动/不涉及/长期推进）中；已按「已完成」计。")
    assert "一.(3) 义务教育招生公开" in msgs[("row-deleted", "")]
    assert "按表格内容识别为「县卫生健康局」" in msgs[("unit-from-content", "")]
    assert "「教育局(修改版).xlsx」" in msgs[("duplicate-submission", "")]
    assert all(f.action for f in result.findings)
    assert result.exit_code == 1 and not result.valid


def test_outcomes_identification_and_superseding(messy):
    _, _, result = messy
    by_file = {f.file: f for f in result.files}
    assert {f: (o.outcome, o.unit, o.identified_by) for f, o in by_file.items()} == {
        FIN: ("accepted", "县财政局", "metadata"),
        "加密.xlsx": ("rejected", "", ""),
        "教育局初稿.ods": ("accepted", "县教育局", "metadata"),
        EDU_NEW: ("accepted", "县教育局", "metadata"),
        "回复.xlsx": ("accepted", "县卫生健康局", "content"),
        "说明.docx": ("skipped", "", ""),
        "附件.xlsx": ("rejected", "", ""),
        "~$教育局(修改版).xlsx": ("skipped", "", ""),
    }
    assert by_file[FIN].meta_source == "sheet"  # the very hidden sheet survives LibreOffice's .xls
    assert by_file[EDU_NEW].superseded == ["教育局初稿.ods"]
    assert by_file["教育局初稿.ods"].superseded_by == EDU_NEW
    assert result.units_submitted == ["县财政局", "县教育局", "县卫生健康局"] and result.units_missing == []


def test_master_content(messy):
    box, _, result = messy
    rows = sheet(box / "汇总表.xlsx", "汇总")
    assert rows[0][0] == f"{ROUND}政务公开工作任务落实情况汇总表"
    assert rows[2] == ["任务编号", "工作任务", "完成时限", "牵头单位", "完成状态", "牵头单位落实情况", "其他单位情况",
                       "是否逾期"]
    assert rows[3:7] == [
        ["一.(1)", "预决算信息公开", "2021-06-30", "县财政局", "已完成", "2021年部门预算已于3月公开，共58个部门。",
         "已报 1/1，已完成 1", ""],
        ["一.(2)", "教育收费公开", "2021-12-31", "县教育局", "已完成", INJECTION, "", ""],
        ["一.(3)", "义务教育招生公开", "长期坚持", "县教育局", "推进中", "招生信息已公开。", "已报 0/1；未填：县财政局", ""],
        ["一.(4)", "医疗机构信息公开", "2021-03-31", "县卫生健康局", "推进中", "=A6&B6", "", "逾期"],  # formula kept as text
    ]
    detail = sheet(box / "汇总表.xlsx", "明细")
    assert [r[:7] for r in detail[1:]] == [
        ["一.(1)", "预决算信息公开", "县财政局", "牵头", "已完成", "2021年部门预算已于3月公开,共58个部门。", "2021-03-20"],
        ["一.(1)", "预决算信息公开", "县教育局", "配合", "已完成", "已提供教育收费数据。", ""],
        ["一.(2)", "教育收费公开", "县教育局", "牵头", "已完成", INJECTION, "6月底"],
        ["一.(3)", "义务教育招生公开", "县教育局", "牵头", "推进中", "招生信息已公开。", ""],
        ["一.(3)", "义务教育招生公开", "县财政局", "配合", "未填报", "", ""],
        ["一.(4)", "医疗机构信息公开", "县卫生健康局", "牵头", "推进中", "=A6&B6", ""],
    ]
    units = sheet(box / "汇总表.xlsx", "报送情况")
    assert [r[:3] + r[4:] for r in units[1:]] == [
        ["县财政局", 2.0, "已报送", FIN, 2.0, ""],
        ["县教育局", 3.0, "已报送", EDU_NEW, 4.0, "教育局初稿.ods"],
        ["县卫生健康局", 1.0, "已报送", "回复.xlsx", 2.0, ""],
    ]
    assert units[1][3] == "2021-07-01 09:00"
    problems = sheet(box / "汇总表.xlsx", "问题清单")
    assert [(r[3], r[4], r[5], r[7]) for r in problems[1:]] == [
        (k, u, f, c) for k, _, u, f, c in EXPECTED_FINDINGS
        if k not in ("not-spreadsheet", "lock-file")]  # notes on skipped files are not kept in the ledger
    stats = sheet(box / "汇总表.xlsx", "统计")
    assert [r[:2] for r in stats[1:8]] == [[s, n] for s, n in (("已完成", 2.0), ("推进中", 2.0), ("未启动", 0.0),
                                                                ("不涉及", 0.0), ("长期推进", 0.0), ("未填报", 0.0),
                                                                ("未报送", 0.0))]


def test_injection_arrives_as_inert_text(messy):
    box, ws, _ = messy
    wb = openpyxl.load_workbook(box / "汇总表.xlsx")
    cell = wb["汇总"]["F5"]  # 一.(2)'s 牵头单位落实情况
    assert cell.value == INJECTION and cell.data_type == "s"
    with Ledger.open(ws) as led:
        rep = led.latest_reports(ROUND)[("一.(2)", "县教育局")]
    assert (rep.progress, rep.evidence, rep.done_date, rep.phone, rep.fill_date) == \
        (INJECTION, CMD, "6月底", "13800000000", "2021-07-02")


def test_master_has_chart_and_conditional_formats(messy):
    import zipfile

    box, _, _ = messy
    with zipfile.ZipFile(box / "汇总表.xlsx") as z:
        names = z.namelist()
        assert "xl/charts/chart1.xml" in names
        summary = z.read("xl/worksheets/sheet1.xml").decode()
    assert summary.count("<conditionalFormatting") == 2 and '<formula>"逾期"</formula>' in summary


def test_rerun_changes_nothing(messy):
    box, ws, first = messy
    before = ledger_tables(ws)
    again = run_merge(box / "回收", workspace=ws, output=box / "汇总表2.xlsx", today=TODAY)
    assert ledger_tables(ws) == before
    assert [f.to_dict() for f in again.findings] == [f.to_dict() for f in first.findings]
    assert sheet(box / "汇总表2.xlsx", "汇总") == sheet(box / "汇总表.xlsx", "汇总")


def test_copied_form_identified_by_file_name_and_missing_units(tmp_path):
    ws, forms = issue_forms(tmp_path)
    box = tmp_path / "回收"
    box.mkdir()
    copy_values(forms["县卫生健康局"], box / "县卫生健康局报送.xlsx",
                lambda wb, w, first: (w.cell(first, 6, "已完成"), w.cell(first, 7, "已公开"), w.cell(first - 2, 2, "王五")))
    with Ledger.open(ws) as led:
        result = merge_folder(box, led)
    assert [(f.type, f.unit) for f in result.findings] == [
        ("unit-from-filename", "县卫生健康局"), ("missing-submission", "县财政局"), ("missing-submission", "县教育局")]
    assert result.findings[0].message == "表中没有填报表元数据（可能被复制到了新文件），按文件名识别为「县卫生健康局」。"
    assert result.files[0].identified_by == "filename"
    assert result.units_missing == ["县财政局", "县教育局"]


def test_wrong_round_old_template_unknown_unit(tmp_path):
    ws, forms = issue_forms(tmp_path)
    _, old_forms = issue_forms(tmp_path / "old", round="2021年第一季度")
    box = tmp_path / "回收"
    box.mkdir()
    ok = {"status": "已完成", "progress": "已公开"}

    def meta(key, value):
        def edit(wb, w, first):
            m = wb["_zwgk_meta"]
            for r in m.iter_rows(min_row=2):
                if r[0].value == key:
                    r[1].value = value
        return edit

    fill(old_forms["县财政局"], box / "a_上季度.xlsx", rows={"一.(1)": ok, "一.(3)": ok}, fields={"filler": "张三"})
    fill(forms["县教育局"], box / "b_旧模板.xlsx", rows={t: ok for t in ("一.(1)", "一.(2)", "一.(3)")},
         fields={"filler": "李四"}, edit=meta("template_version", "zwgk-form-0"))
    fill(forms["县卫生健康局"], box / "c_外单位.xlsx", rows={"一.(4)": ok}, fields={"filler": "王五"},
         edit=meta("unit", "县不存在局"))
    with Ledger.open(ws) as led:
        result = merge_folder(box, led, round=ROUND)
    assert [(f.type, f.severity, f.unit, f.file) for f in result.findings] == [
        ("wrong-round", "error", "县财政局", "a_上季度.xlsx"),
        ("old-template", "warning", "县教育局", "b_旧模板.xlsx"),
        ("unknown-unit", "error", "县不存在局", "c_外单位.xlsx"),
        ("missing-submission", "warning", "县财政局", ""),
        ("missing-submission", "warning", "县卫生健康局", ""),
    ]
    assert result.findings[0].message == "这是「2021年第一季度」的填报表，本次汇总的轮次是「2021年第二季度」。"
    assert [f.outcome for f in result.files] == ["rejected", "accepted", "rejected"]


def test_clean_merge_exits_zero(tmp_path):
    ws, forms = issue_forms(tmp_path)
    box = tmp_path / "回收"
    box.mkdir()
    ok = {"status": "已完成", "progress": "已公开", "done_date": dt.datetime(2021, 6, 1)}
    for unit, path in forms.items():
        ids = {"县财政局": ["一.(1)", "一.(3)"], "县教育局": ["一.(1)", "一.(2)", "一.(3)"], "县卫生健康局": ["一.(4)"]}[unit]
        fill(path, box / path.name, rows={t: ok for t in ids}, fields={"filler": "某某"})
    result = run_merge(box, workspace=ws, today=TODAY)
    assert result.findings == [] and result.exit_code == 0
    assert result.output == str(ws / f"汇总表_{ROUND}.xlsx")
    assert [r[4] for r in sheet(result.output, "汇总")[3:7]] == ["已完成"] * 4


def test_clean_tables_taken_whole_equal_row_by_row(tmp_path, monkeypatch):
    """A clean form's values taken for all rows at once are exactly those checked row by row."""
    from zwgk_xl.merge import checking as merge

    ws, forms = issue_forms(tmp_path)
    rows = {"一.(1)": {"status": "已完成", "progress": " 已公开 ", "done_date": dt.datetime(2021, 6, 1),
                       "problems": "无", "evidence": "http://x.gov.cn/1"},
            "一.(2)": {"status": "推进中", "progress": "推进", "done_date": "2021/6/30"},
            "一.(3)": {"status": "未启动", "progress": "尚未开始"}}
    for name in ["whole", "rows"]:
        (tmp_path / name).mkdir()
    # one file, copied: two saves straddling a second boundary would differ in their stamped time
    fill(forms["县教育局"], tmp_path / "whole" / "县教育局.xlsx", rows=rows, fields={"filler": "某某"})
    shutil.copy(tmp_path / "whole" / "县教育局.xlsx", tmp_path / "rows" / "县教育局.xlsx")
    taken = []
    real = merge.Checker._clean_table
    monkeypatch.setattr(merge.Checker, "_clean_table", lambda self: taken.append(real(self)) or taken[-1])
    whole = run_merge(tmp_path / "whole", workspace=ws, today=TODAY, workers=1)
    with Ledger.open(ws) as led:
        first = led.submission_values(led.current_submissions(ROUND)["县教育局"].id)
    monkeypatch.setattr(merge.Checker, "_clean_table", lambda self: None)
    by_row = run_merge(tmp_path / "rows", workspace=ws, today=TODAY, workers=1)
    with Ledger.open(ws) as led:
        second = led.submission_values(led.current_submissions(ROUND)["县教育局"].id)
    assert taken == [3] and [f for f in whole.findings + by_row.findings if f.file] == []
    assert first == second and first["一.(1)"]["progress"] == "已公开" and first["一.(2)"]["done_date"] == "2021-06-30"


@pytest.mark.parametrize("raw,expected", [
    ("已完成", ("已完成", True)), (" 已完成。", ("已完成", False)), ("完成", ("已完成", False)),
    ("正在推进,已完成一半", ("", False)), ("未完成", ("", False)), ("常态化推进", ("长期推进", False)),
    ("进行中", ("推进中", False)), ("", ("", False)),
])
def test_normalize_status(raw, expected):
    assert normalize_status(raw) == expected


def test_master_prints_one_a4_landscape_page_wide(tmp_path):
    ws, forms = issue_forms(tmp_path)
    box = tmp_path / "回收"
    box.mkdir()
    long = "2021年部门预算已于3月公开,共58个部门,涵盖一般公共预算、政府性基金预算和国有资本经营预算,并在门户网站专栏集中发布。"
    fill(forms["县财政局"], box / "财政.xlsx", rows={"一.(1)": {"status": "已完成", "progress": long}},
         fields={"filler": "张三"})
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", today=TODAY)
    wb = openpyxl.load_workbook(result.output)
    assert wb.sheetnames == ["汇总", "明细", "报送情况", "问题清单", "统计"]
    for sheet in wb:
        setup = sheet.page_setup
        assert (setup.orientation, str(setup.paperSize), setup.fitToWidth or 1, setup.fitToHeight) == \
            ("landscape", "9", 1, 0), sheet.title  # fitToWidth 1 is the default, left out
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        head = 3 if sheet.title == "汇总" else 1  # 汇总 has a title and a line of figures above its header
        assert sheet.print_title_rows == f"${head}:${head}", sheet.title
        assert "第 &P 页" in sheet.oddFooter.center.text
        used = range(1, sheet.max_column + 1)
        width = sum(sheet.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in used)
        assert width <= 190, (sheet.title, width)  # legible when scaled to one page wide
        assert all(c.alignment.wrap_text for c in sheet[head + 1] if isinstance(c.value, str)), sheet.title
    summary = wb["汇总"]
    assert summary["F4"].value == long.replace(",", "，")
    assert summary.row_dimensions[4].height >= 2 * 15  # tall enough for the wrapped 落实情况


def test_unit_from_mail_record_when_metadata_and_file_name_say_nothing(tmp_path):
    import hashlib

    from zwgk_xl.mail.log import ensure_tables, record_received

    ws, forms = issue_forms(tmp_path)
    box = tmp_path / "回收"
    box.mkdir()
    ok = lambda wb, w, first: (w.cell(first, 6, "已完成"), w.cell(first, 7, "已公开"), w.cell(first - 2, 2, "王五"))  # noqa: E731
    mailed = copy_values(forms["县卫生健康局"], box / "附件1.xlsx", ok)
    copy_values(forms["县卫生健康局"], box / "附件2.xlsx",
                lambda wb, w, first: (ok(wb, w, first), w.cell(first, 8, "2021-06-01")))
    with Ledger.open(ws) as led:
        ensure_tables(led.conn)
        record_received(led.conn, sha256=hashlib.sha256(mailed.read_bytes()).hexdigest(), sender="wsj@example.cn",
                        filename=mailed.name, message_id="<m1@example.cn>", fetched_at="2021-07-03T10:00:00",
                        original_name="回复.xlsx", unit="县卫生健康局", subject="回复:填报表")
        result = merge_folder(box, led)
    by_file = {f.file: (f.outcome, f.unit, f.identified_by) for f in result.files}
    assert by_file == {"附件1.xlsx": ("accepted", "县卫生健康局", "mail"),
                       "附件2.xlsx": ("accepted", "县卫生健康局", "content")}
    mail = [f for f in result.findings if f.type == "unit-from-mail"]
    assert [(f.file, f.unit, f.severity) for f in mail] == [("附件1.xlsx", "县卫生健康局", "warning")]
    assert mail[0].message == "表中没有填报表元数据，文件名也不含单位名称，按收取邮件时记录的来信单位识别为「县卫生健康局」。"


def test_groups_expand_without_units_when_split_stored_the_plan(tmp_path):
    """split keeps the expanded assignment in the ledger; merge needs no --units to know 县直各部门's members."""
    from zwgk_xl.forms import run_split
    from zwgk_xl.decompose.plan import write_plan
    from zwgk_xl.core.units import load_directory, sample_directory_path

    units = sample_directory_path("county")
    directory = load_directory(units)
    plan = sample_plan()
    first, second = plan.tasks[0], plan.tasks[1]
    first.lead_local, first.others_local = ["县财政局"], ["县直各部门"]
    second.lead_local, second.others_local = ["县教育体育局"], []
    plan.roots[0].children = [first, second]
    write_plan(plan, tmp_path / "分解表.xlsx", directory=directory)
    ws = tmp_path / "台账"
    ws.mkdir()
    split = run_split(tmp_path / "分解表.xlsx", units=units, round=ROUND, due="2021-07-05", output=tmp_path / "下发",
                      workspace=ws)
    forms = {f.unit: f.path for f in split.forms}
    members = directory.expand("县直各部门")
    assert set(forms) == set(members) and "县直各部门" not in forms
    box = tmp_path / "回收"
    box.mkdir()
    ok = {"status": "已完成", "progress": "已公开"}
    fill(forms["县财政局"], box / "财政.xlsx", rows={first.id: ok}, fields={"filler": "张三"})
    fill(forms["县教育体育局"], box / "教体.xlsx", rows={first.id: ok, second.id: ok}, fields={"filler": "李四"})
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx", today=TODAY)  # no --units, no zwgk.toml
    assert [(f.outcome, f.unit, f.identified_by) for f in result.files] == [
        ("accepted", "县教育体育局", "metadata"), ("accepted", "县财政局", "metadata")]
    assert not [f for f in result.findings if f.type not in ("missing-submission", "late-submission")]
    assert sorted(result.units_submitted) == ["县教育体育局", "县财政局"]
    assert sorted(result.units_missing) == sorted(set(members) - {"县财政局", "县教育体育局"})
    summary = sheet(tmp_path / "汇总表.xlsx", "汇总")
    assert summary[3][3] == "县财政局" and summary[4][3] == "县教育体育局"
    assert summary[3][6].startswith("已报 1/39，已完成 1；未报：县人民政府办公室、")


def test_a_plan_edited_after_the_forms_went_out_is_a_finding(tmp_path):
    """The form's checksum and task ids are read back: a changed or added task of a unit is named."""
    import shutil as _shutil

    ws, forms = issue_forms(tmp_path)
    plan = sample_plan()
    plan.roots[0].children[1].text = "第2项任务的具体要求已调整，按季度公开收费信息。"  # 县教育局's task 2 reworded
    plan.roots[0].children.append(task(5, ["县卫生健康局"], [], "2021-09-30", "新增事项"))  # 县卫生健康局 gets a task
    with Ledger.open(ws) as ledger:
        ledger.store_plan(ROUND, plan)
    box = tmp_path / "回收"
    box.mkdir()
    for unit in ("县财政局", "县教育局", "县卫生健康局"):
        _shutil.copy(forms[unit], box / forms[unit].name)
    result = run_merge(box, workspace=ws, round=ROUND, output=tmp_path / "汇总表.xlsx")
    changed = {f.unit: f.message for f in result.findings if f.type == "plan-changed"}
    assert set(changed) == {"县教育局", "县卫生健康局"}  # 县财政局's tasks are as issued
    assert "新增任务 一.(5) 不在该表中" in changed["县卫生健康局"]
    assert "任务内容、要求或时限有变化" in changed["县教育局"]
