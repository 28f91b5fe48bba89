"""One statistics source: the task-status rule, categories, quantities, as master, report and workbook show them."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as hst
from docx import Document as open_docx

from _report_helpers import rep, task
from zwgk_xl.core.model import Document, Master, MasterRow, Node, UnitStatus
from zwgk_xl.merge import statistics as st
from zwgk_xl.merge.master import write_master
from zwgk_xl.report.render import render_report

LEAD, A, B, C = "县财政局", "县税务局", "县审计局", "县统计局"


def row_of(*reports, lead=(LEAD,), others=(A, B)):
    t = task("一.(一)", ["一", "(一)"], "推进预决算公开", list(lead), list(others), "2021-06-30")
    return MasterRow(t, list(reports))


@pytest.mark.parametrize("answers, expected", [
    ({LEAD: "未启动", A: "已完成", B: "已完成"}, "未启动"),  # the lead decides, others all done
    ({LEAD: "已完成", A: "未启动", B: ""}, "已完成"),
    ({LEAD: "长期推进", A: "已完成", B: "已完成"}, "长期推进"),
    ({LEAD: "不涉及", A: "已完成", B: "推进中"}, "不涉及"),
    ({LEAD: "", A: "已完成", B: "已完成"}, "未报送"),
])
def test_task_status_follows_its_leads(answers, expected):
    reports = [rep(u, "牵头" if u == LEAD else "配合", s, "") for u, s in answers.items()]
    assert st.task_status(row_of(*reports), submitted={A, B}).status == expected


def test_several_leads_least_advanced_with_share_and_not_applicable_lead_flagged():
    t = task("一.(一)", ["一", "(一)"], "推进预决算公开", [LEAD, A, B], [C])
    row = MasterRow(t, [rep(LEAD, "牵头", "已完成", ""), rep(A, "牵头", "推进中", ""), rep(B, "牵头", "不涉及", ""),
                        rep(C, "配合", "已完成", "")])
    ts = st.task_status(row, submitted={LEAD, A, B, C})
    assert (ts.status, ts.deciding_done, ts.deciding, ts.done_share) == ("推进中", 1, 2, "已完成1/2")
    [f] = st.lead_not_applicable_findings([ts])
    assert (f.type, f.unit, f.severity) == ("lead-not-applicable", B, "warning")
    assert "牵头单位" in f.message and "不涉及" in f.message


def test_without_a_lead_units_not_reporting_do_not_decide_and_a_mixture_is_under_way():
    reports = [rep(A, "配合", "已完成", ""), rep(B, "配合", "未启动", ""), rep(C, "配合", "", "")]
    ts = st.task_status(row_of(*reports, lead=()), submitted={A, B})
    assert (ts.status, ts.basis, ts.deciding) == ("推进中", "责任单位", 2)
    assert st.task_status(row_of(rep(C, "配合", "", ""), lead=()), submitted=set()).status == "未报送"


def test_overdue_only_when_dated_and_unsettled():
    t = task("x", ["1"], "x", [LEAD], deadline="2021-06-30")
    assert st.is_overdue(t, "推进中", dt.date(2021, 7, 1))
    assert not st.is_overdue(t, "推进中", dt.date(2021, 6, 30))
    assert not any(st.is_overdue(t, s, dt.date(2022, 1, 1)) for s in ("已完成", "长期推进", "不涉及"))


def test_quantities_in_free_text_are_added_up():
    texts = ["在门户网站主动公开相关信息1,234条，开展政策解读5次。", "主动公开相关信息16条,开展政策解读2次;召开第3次会议。",
             "1个月内完成，2021年3月公开。"]
    assert st.quantities(texts[0]) == [st.Quantity("主动公开相关信息", 1234, "条"), st.Quantity("开展政策解读", 5, "次")]
    assert st.add_quantities(texts) == [("主动公开相关信息", 1250, "条"), ("开展政策解读", 7, "次")]
    assert st.format_number(1250.0) == "1,250" and st.format_number(2.5) == "2.5"
    # kinds one unit alone mentions are left to its own words; at most ``limit`` kinds, the commonest
    three = texts + ["主动公开相关信息4条，发布图解3篇。"]
    assert st.add_quantities(three, min_texts=2) == [("主动公开相关信息", 1254, "条"), ("开展政策解读", 7, "次")]
    assert st.add_quantities(three, limit=1) == [("主动公开相关信息", 1254, "条")]



@settings(max_examples=300, deadline=None)
@given(hst.lists(hst.one_of(hst.none(), hst.lists(hst.sampled_from(
    ["共", "公开信息", "开展解读", "12", "1,234", "3.5", "条", "次", "万元", "，", "。", "\n", "第", "月", "(", "累计",
     " ", "\x00", "\x01", "2021年", "以上", "a1", "达"]), max_size=12).map("".join)), max_size=8))
@example(["公开信息\x0112条", "发布\x00政策5件", None, ""])
def test_quantities_of_many_texts_found_at_once_as_one_by_one(texts):
    assert st.quantities_many(texts) == [tuple(st.quantities(t)) for t in texts]


def crafted_master() -> Master:
    """A lead 未启动 while every other unit has 已完成."""
    t = task("一.(一)", ["一", "(一)"], "推进预决算公开", [LEAD], [A, B], "2021-12-31")
    section = Node(id="一", path=["一"], title="助力稳增长", children=[t])
    plan = Document(title="2021年某县政务公开工作要点", roots=[section])
    row = MasterRow(t, [rep(LEAD, "牵头", "未启动", "", problems="等待上级部署。"),
                        rep(A, "配合", "已完成", "公开信息10条。"), rep(B, "配合", "已完成", "公开信息5条。")])
    units = [UnitStatus(u, 1, True, submitted_at="2021-07-01T09:00:00") for u in (LEAD, A, B)]
    m = Master(round="2021年第二季度", plan=plan, rows=[row], units=units)
    m.as_of = dt.date(2021, 7, 5)
    return m


def test_lead_not_started_is_not_done_anywhere(tmp_path):
    m = crafted_master()
    stats = st.round_statistics(m)
    assert stats.by_status["未启动"] == 1 and stats.by_status["已完成"] == 0

    book = openpyxl.load_workbook(write_master(m, tmp_path / "汇总表.xlsx"))
    summary = book["汇总"]
    header = next(r for r in summary.iter_rows(values_only=True) if r[0] == "任务编号")
    data = [r for r in summary.iter_rows(values_only=True) if r[0] == "一.(一)"]
    assert data[0][header.index("完成状态")] == "未启动"
    stat_rows = {r[0]: r[1] for r in book["统计"].iter_rows(values_only=True) if r[0] in st.CATEGORIES}
    assert stat_rows["未启动"] == 1 and stat_rows["已完成"] == 0

    out = tmp_path / "报告.docx"
    _, xlsx = render_report(m, out, today=dt.date(2021, 7, 5))
    texts = [p.text for p in open_docx(str(out)).paragraphs]
    assert "（一）推进预决算公开（未启动）" in texts
    assert any("未启动1项" in t for t in texts) and not any("已完成1项" in t for t in texts)
    workbook = openpyxl.load_workbook(xlsx)
    assert [r[3] for r in workbook["任务明细"].iter_rows(min_row=2, values_only=True)] == ["未启动"]
    assert {r[0]: r[1] for r in workbook["状态分布"].iter_rows(min_row=2, values_only=True)}["已完成"] == 0


def test_same_category_names_everywhere(tmp_path):
    m = crafted_master()
    book = openpyxl.load_workbook(write_master(m, tmp_path / "汇总表.xlsx"))
    stats_sheet = [r for r in book["统计"].iter_rows(values_only=True)]
    assert [r[0] for r in stats_sheet[1:1 + len(st.CATEGORIES)]] == list(st.CATEGORIES)
    unit_header = next(r for r in stats_sheet if r[0] == "单位")
    assert list(unit_header[1:1 + len(st.CATEGORIES)]) == list(st.CATEGORIES)
    _, xlsx = render_report(m, tmp_path / "报告.docx", today=dt.date(2021, 7, 5))
    wb = openpyxl.load_workbook(xlsx)
    assert [r[0] for r in wb["状态分布"].iter_rows(min_row=2, max_row=1 + len(st.CATEGORIES), values_only=True)] \
        == list(st.CATEGORIES)
    head = [c.value for c in wb["分单位"][1]]
    assert head[4:4 + len(st.CATEGORIES)] == list(st.CATEGORIES)
    # the 完成率 formula points at the 已完成 and 不涉及 columns wherever the category list puts them
    from openpyxl.utils import get_column_letter

    done = get_column_letter(head.index("已完成") + 1)
    na = get_column_letter(head.index("不涉及") + 1)
    formula = wb["分单位"].cell(2, head.index("完成率") + 1).value
    assert formula == f"=IF(D2-{na}2=0,0,{done}2/(D2-{na}2))"


def test_a_clause_is_read_back_only_so_far_from_its_number():
    """A pasted table has no commas: each number's clause would reach back to the cell's start (quadratic in a
    32,000-character cell, seconds per cell); labels come from the last CLAUSE_CHARS characters."""
    far = "开展" + "甲" * 100 + "5次"
    assert st.quantities(far) == [st.Quantity("甲" * 6, 5, "次")]
    near = "开展" + "甲" * 10 + "5次"
    assert st.quantities(near) == [st.Quantity("开展" + "甲" * 10, 5, "次")]
    table = "1条" * 16000
    assert st.quantities_many([table, far]) == [(), (st.Quantity("甲" * 6, 5, "次"),)]
