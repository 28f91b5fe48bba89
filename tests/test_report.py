"""Report from hand-built merged rounds: structure, prose, gaps, statistics, template edits."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile

import openpyxl
import pytest
from docx import Document as open_docx
from docx.shared import Pt, RGBColor

from _report_helpers import docx_paragraphs, rep, sample_master, sample_plan
from zwgk_xl.core.errors import ConverterMissing, ReportError
from zwgk_xl.core.model import Master, MasterRow, UnitStatus
from zwgk_xl.report.render import (
    build_report_context,
    fullwidth,
    group_points,
    merge_unit_texts,
    render_report,
    report_title,
    trim_opener,
    write_statistics,
)
from zwgk_xl.report.template import build_default_template
from zwgk_xl.core.resources import default_template
from zwgk_xl.core.units import Directory, Unit

TODAY = dt.date(2021, 7, 5)


def render(tmp_path, master, **kw):
    out = tmp_path / "报告.docx"
    paths = render_report(master, out, today=TODAY, **kw)
    return out, paths


def test_headings_follow_plan_and_text_sits_under_its_task(tmp_path):
    out, paths = render(tmp_path, sample_master())
    assert paths == [out, tmp_path / "报告_统计.xlsx"]
    paras = docx_paragraphs(out)
    heads = [t for s, t in paras if s in ("一级标题", "二级标题", "三级标题")]
    assert heads[:7] == ["一、以政务公开助力稳增长", "（一）推进减税降费信息公开（已完成）",
                         "（二）推进“放管服”改革信息公开（推进中）", "二、增强政务公开实效",
                         "（一）推进财税体制改革信息公开", "1.深入推进预决算公开（长期推进）",
                         "2.做好建议提案办理结果公开（未报送）"]
    # the section without tasks (零 总体要求) is left out; our own parts continue the numbering
    assert heads[7:] == ["三、落实情况统计", "四、逾期及未报送情况", "五、存在问题", "六、下步工作计划"]
    texts = [t for _, t in paras]
    i = texts.index("（一）推进减税降费信息公开（已完成）")
    # the lead's own words (opener trimmed), then one paragraph for the others: counts, totals, what is new
    assert texts[i + 1] == "县财政局（牵头）：公开减税降费政策32条。"
    assert texts[i + 2] == "配合单位1个，已报送1个（已完成1个）。其中，县税务局：发布解读材料5篇。"
    j = texts.index("1.深入推进预决算公开（长期推进）")
    assert texts[j + 1] == "县财政局（牵头）：2021年部门预算已于3月公开。"
    assert texts[texts.index("2.做好建议提案办理结果公开（未报送）") + 1] == "县人民政府办公室（牵头）本轮未报送该项落实情况。"
    assert paras[0] == ("公文标题", "关于2021年某州政务公开工作要点落实情况的报告")


def test_opening_cites_superior_documents_and_states_figures(tmp_path):
    out, _ = render(tmp_path, sample_master(), settings={"organ": "某县人民政府办公室", "recipient": "某州人民政府办公室",
                                                         "plan_title": "某县2021年政务公开工作任务分解表"})
    paras = [t for _, t in docx_paragraphs(out)]
    opening = next(t for t in paras if t.startswith("根据"))
    assert opening.startswith("根据《2021年某省政务公开工作要点》（某政办发〔2021〕3号）、"
                              "《2021年某州政务公开工作要点》（某政办发〔2021〕12号）的要求，某县人民政府办公室"
                              "印发《某县2021年政务公开工作任务分解表》，")
    assert "将4项工作任务分解落实到5个责任单位" in opening
    assert "截至2021年7月5日，4个单位已报送，1个单位未报送；4项任务中，已完成1项、推进中1项、长期推进1项、未报送1项。" in opening
    assert opening.endswith("现将有关情况报告如下：")
    assert "某州人民政府办公室：" in paras and paras[-2:] == ["某县人民政府办公室", "2021年7月5日"]


def test_as_of_date_is_the_masters(tmp_path):
    m = sample_master()
    m.as_of = dt.date(2021, 6, 30)  # build_master(..., as_of=...) keeps it
    out, _ = render(tmp_path, m)
    texts = [t for _, t in docx_paragraphs(out)]
    assert "截至2021年6月30日，4个单位已报送" in next(t for t in texts if t.startswith("根据"))
    assert texts[-1] == "2021年7月5日"  # the report's own date


def test_unknown_document_number_is_a_placeholder(tmp_path):
    m = sample_master()
    m.plan.doc_number, m.plan.cited = "", []
    out, _ = render(tmp_path, m)
    opening = next(t for _, t in docx_paragraphs(out) if t.startswith("根据"))
    assert opening.startswith("根据《2021年某州政务公开工作要点》（〔　　〕　号）的要求，我单位将")


def test_gaps_are_stated_once_in_their_own_section(tmp_path):
    out, _ = render(tmp_path, sample_master())
    texts = [t for _, t in docx_paragraphs(out)]
    k = texts.index("四、逾期及未报送情况")
    assert texts[k + 1:texts.index("五、存在问题")] == [
        "未报送单位1个：县人民政府办公室。",
        "牵头单位未报送落实情况的任务1项：二.（一）.2做好建议提案办理结果公开（县人民政府办公室）。",
        "截至2021年7月5日，已过完成时限仍未完成的任务1项：一.（二）推进“放管服”改革信息公开（推进中，牵头单位县政务服务管理局）。",
    ]
    # the unit that gave a status without 落实情况 is counted, not stamped under the task
    i = texts.index("（二）推进“放管服”改革信息公开（推进中）")
    assert texts[i + 2] == "配合单位1个，已报送1个（推进中1个）。"
    assert not any(t.startswith("【") for t in texts)
    # 存在问题 grouped: the same problem under two tasks is one point with its unit
    assert texts[texts.index("五、存在问题") + 1] == "1. 政策解读形式单一（县财政局）。"


def test_overdue_lead_not_applicable_and_blank_status(tmp_path):
    m = sample_master()
    m.rows[0].reports[0].status, m.rows[0].reports[0].progress = "推进中", "正在梳理。"  # 一.(一) due 2021-06-30
    m.rows[1].reports[0].status, m.rows[1].reports[0].progress = "不涉及", "本单位无此项职能。"
    m.rows[1].overdue = False
    m.rows[0].overdue = True
    m.units[-1].submitted = True  # 县人民政府办公室 sent its form but left the row blank
    out, _ = render(tmp_path, m)
    texts = [t for _, t in docx_paragraphs(out)]
    assert "县政务服务管理局（牵头）填报为“不涉及”，需核实。" in texts
    assert not any("无此项职能" in t for t in texts)
    assert ("截至2021年7月5日，已过完成时限仍未完成的任务1项：一.（一）推进减税降费信息公开（完成时限2021年6月30日，"
            "推进中，牵头单位县财政局）。") in texts
    assert "已报送但有任务的完成状态未填写或无法识别的单位1个：县人民政府办公室（1项）。" in texts
    assert any(t.startswith("牵头单位填报“不涉及”1处") and "县政务服务管理局" in t for t in texts)
    assert not any(t.startswith("未报送单位") for t in texts)


def test_round_without_any_submission(tmp_path):
    plan = sample_plan()
    m = Master(round="2021年第三季度", plan=plan,
               rows=[MasterRow(t, [rep(u, "牵头", "", "") for u in t.lead_local]) for t in plan.tasks],
               units=[UnitStatus(u, 1, False) for u in ("县财政局", "县政务服务管理局", "县人民政府办公室")])
    out, paths = render(tmp_path, m)
    texts = [t for _, t in docx_paragraphs(out)]
    assert any("各责任单位均未报送本轮落实情况" in t for t in texts)
    assert sum(t.endswith("（牵头）本轮未报送该项落实情况。") for t in texts) == 4
    assert "各单位本轮未报告存在的问题。" in texts
    wb = openpyxl.load_workbook(paths[1])
    assert [c.value for c in wb["状态分布"]["B"][1:8]] == [0, 0, 0, 0, 0, 0, 4]


def test_empty_plan_renders(tmp_path):
    m = Master(round="2021年第三季度", plan=sample_plan().__class__(title="某要点"))
    out, _ = render(tmp_path, m)
    assert any(t.startswith("本轮共0项任务，暂无填报数据。") for _, t in docx_paragraphs(out))


def test_statistics_tables_and_round_over_round(tmp_path):
    out, _ = render(tmp_path, sample_master(previous=True))
    doc = open_docx(str(out))
    status_table, unit_table = doc.tables
    rows = [[c.text for c in r.cells] for r in status_table.rows]
    assert rows[0] == ["完成状态", "任务数", "占比"]
    assert rows[1:] == [["已完成", "1", "25.0%"], ["推进中", "1", "25.0%"], ["未启动", "0", "0.0%"],
                        ["不涉及", "0", "0.0%"], ["长期推进", "1", "25.0%"], ["未填报", "0", "0.0%"],
                        ["未报送", "1", "25.0%"], ["合计", "4", "100.0%"]]
    units = [[c.text for c in r.cells] for r in unit_table.rows]
    assert units[0][-3:] == ["未填报", "未报送", "完成率"]
    assert units[1] == ["1", "县财政局", "2", "1", "0", "0", "0", "1", "0", "0", "50.0%"]
    assert units[5] == ["5", "县人民政府办公室", "1", "0", "0", "0", "0", "0", "0", "1", "0.0%"]
    texts = [p.text for p in doc.paragraphs]
    assert ("与上轮（2021年第一季度）相比，1项任务完成状态发生变化，其中新完成1项。变化情况："
            "一.（一）推进减税降费信息公开，推进中→已完成。") in texts


def test_statistics_workbook_prints_with_native_charts(tmp_path):
    m = sample_master()
    m.units[0].task_count = 4  # two of its tasks have no report row at all: counted as 未填报
    path = write_statistics(m, tmp_path / "统计.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["状态分布", "分单位", "分单位图", "任务明细"]
    ws = wb["分单位"]
    assert [c.value for c in ws[1]][:4] == ["序号", "单位", "简称", "任务数"]
    assert [c.value for c in ws[2]][3:11] == [4, 1, 0, 0, 0, 1, 2, 0]
    assert [c.value for c in ws[3]][3:11] == [1, 1, 0, 0, 0, 0, 0, 0]
    assert ws["B2"].alignment.wrap_text  # long unit names wrap
    for sheet in wb.worksheets:
        setup = sheet.page_setup
        # tables one page wide; the bar chart's sheet one page (fitToHeight 1 is the default, left out)
        tall = 1 if sheet.title == "分单位图" else 0
        assert (str(setup.paperSize), setup.fitToHeight if setup.fitToHeight is not None else 1) == ("9", tall)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert "第 &P 页" in sheet.oddFooter.center.text
    assert wb["分单位图"].print_area == "'分单位图'!$A$1:$K$49"
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        xml = "".join(z.read(n).decode() for n in charts)
        drawings = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/drawings/drawing"))
    assert len(charts) == 2 and "<c:pieChart>" in xml and "<c:barChart>" in xml
    assert 'editAs="absolute"' in drawings  # the pie chart neither moves nor resizes with cells


def test_short_names_from_directory_and_boilerplate_merged(tmp_path):
    m = sample_master()
    t2 = m.rows[1]
    same = "按要求在政府网站公开办事指南。"
    t2.reports[0].progress = "我单位高度重视," + same
    t2.reports[1].progress = same
    for row in m.rows[:3]:  # one unit pastes the same generic sentence into three tasks
        row.reports[0].progress += "下一步将持续做好政务公开工作。"
    d = Directory(units=[Unit("县政务服务管理局", aliases=["县政务局"]),
                         Unit("县市场监督管理局", aliases=["县市场监管局", "县工商局"])])
    out, _ = render(tmp_path, m, directory=d)
    texts = [t for _, t in docx_paragraphs(out)]
    assert "县政务局（牵头）：按要求在政府网站公开办事指南。" in texts
    assert "配合单位1个，已报送1个（推进中1个）。" in texts  # the same sentence is not said again
    assert not any("持续做好政务公开工作" in t for t in texts)
    assert "县财政局（牵头）：公开减税降费政策32条。" in texts


def test_opener_fullwidth_and_grouped_points():
    assert trim_opener("我局高度重视此项工作,认真贯彻落实,公开信息32条。") == "公开信息32条。"
    assert trim_opener("高度重视。") == "高度重视。"  # nothing else left: kept
    assert trim_opener("2021年6月公开信息12条。") == "2021年6月公开信息12条。"
    assert fullwidth("公开信息1,234条,时间09:30;见(附件)。ABC(x)") == "公开信息1,234条，时间09:30；见（附件）。ABC(x)"
    assert fullwidth("(1)强化清单管理。") == "（1）强化清单管理。"
    assert fullwidth('=HYPERLINK("http://a.cn","公开专栏")') == '=HYPERLINK("http://a.cn","公开专栏")'
    points = group_points([("A", "政策解读形式单一。"), ("B", "政策解读形式较为单一；人员不足。"), ("C", "人员力量不足。"),
                           ("D", "无")])
    assert points == [{"text": "政策解读形式单一", "units": "A、B", "n": 2}, {"text": "人员不足", "units": "B、C", "n": 2}]
    merged = merge_unit_texts([("A", "公开预算信息32条。发布解读3篇。"), ("B", "公开预算信息32条。"),
                               ("C", "公开预算信息32条。发布解读3篇。"), ("D", "另行公开决算。")])
    assert merged == [(["A", "B", "C"], "公开预算信息32条。发布解读3篇。"), (["D"], "另行公开决算。")]


def test_template_round_trip(tmp_path):
    """A clerk edits the template in Word: the edits and the data both reach the output."""
    tpl = tmp_path / "templates" / "报告模板.docx"
    tpl.parent.mkdir()
    shutil.copy(default_template("报告模板.docx"), tpl)
    doc = open_docx(str(tpl))
    h1 = doc.styles["一级标题"]
    h1.font.size = Pt(18)
    h1.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    # a fixed paragraph after the opening, in the body style
    opening = next(p for p in doc.paragraphs if p.text.startswith("根据{% for c in cited %}"))
    opening.runs[0].text = opening.runs[0].text.replace("现将有关情况报告如下：", "现将有关情况报告如下。")
    fixed = opening.insert_paragraph_before("（此件公开发布）", style="Normal")
    opening._p.addnext(fixed._p)
    doc.save(str(tpl))

    out, _ = render(tmp_path, sample_master(), workspace=tmp_path)  # found via <台账>/templates/
    result = open_docx(str(out))
    texts = [p.text for p in result.paragraphs]
    k = texts.index("（此件公开发布）")
    assert texts[k - 1].startswith("根据《") and texts[k - 1].endswith("现将有关情况报告如下。")  # edited wording
    assert texts[k + 1] == "一、以政务公开助力稳增长"
    h1_paras = [p for p in result.paragraphs if p.style.name == "一级标题"]
    assert [p.text for p in h1_paras][:2] == ["一、以政务公开助力稳增长", "二、增强政务公开实效"]
    style = result.styles["一级标题"]
    assert style.font.size == Pt(18) and style.font.color.rgb == RGBColor(0xC0, 0x00, 0x00)
    assert "县财政局（牵头）：公开减税降费政策32条。" in texts


def test_default_template_is_what_the_code_builds(tmp_path):
    """templates/报告模板.docx is the committed output of build_default_template."""
    built = build_default_template(tmp_path / "t.docx")

    def body(p):
        with zipfile.ZipFile(p) as z:
            return {n: z.read(n) for n in ("word/document.xml", "word/styles.xml", "word/footer1.xml")}
    assert body(built) == body(default_template("报告模板.docx"))


def test_default_template_layout(tmp_path):
    doc = open_docx(str(build_default_template(tmp_path / "t.docx")))
    sec = doc.sections[0]
    mm = lambda v: round(v.mm)  # noqa: E731
    assert (mm(sec.page_width), mm(sec.page_height)) == (210, 297)
    assert (mm(sec.top_margin), mm(sec.bottom_margin), mm(sec.left_margin), mm(sec.right_margin)) == (37, 35, 28, 26)
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

    def east_asia(style_name):
        return doc.styles[style_name].element.rPr.find(ns + "rFonts").get(ns + "eastAsia")

    assert east_asia("公文标题") == "方正小标宋简体" and doc.styles["公文标题"].font.size == Pt(22)
    assert east_asia("Normal") == "仿宋_GB2312" and doc.styles["Normal"].font.size == Pt(16)
    assert east_asia("一级标题") == "黑体" and east_asia("二级标题") == "楷体_GB2312"
    assert round(doc.styles["Normal"].paragraph_format.line_spacing.pt, 1) == 29.0  # 22 lines
    assert doc.styles["落款"].paragraph_format.keep_with_next  # the signature keeps together
    footer = sec.footer._element.xml
    assert "PAGE" in footer and "— " in footer and " —" in footer


def test_bad_template_is_a_clear_error(tmp_path):
    tpl = tmp_path / "坏模板.docx"
    doc = open_docx(str(default_template("报告模板.docx")))
    doc.add_paragraph("{% for x in %}")
    doc.save(str(tpl))
    with pytest.raises(ReportError, match="坏模板.docx 中的标签有误"):
        render(tmp_path, sample_master(), template=tpl)
    with pytest.raises(ReportError, match="找不到报告模板"):
        render(tmp_path, sample_master(), template=tmp_path / "无.docx")
    with pytest.raises(ReportError, match=r"\.docx 结尾"):
        render_report(sample_master(), tmp_path / "报告.pdf")


def test_context_is_plain_data():
    ctx = build_report_context(sample_master(previous=True), today=TODAY)

    def plain(v):
        if isinstance(v, dict):
            return all(isinstance(k, str) and plain(x) for k, x in v.items())
        if isinstance(v, list):
            return all(plain(x) for x in v)
        return isinstance(v, (str, int, float, bool))

    assert plain(ctx)
    assert ctx["date"] == "2021年7月5日" and ctx["subtitle"] == "（2021年第二季度）"


def test_real_superior_list_seed_004(tmp_path):
    """The parsed 2020 云南 list: its 4 sections and 18 tasks in order, gaps named, cites the list only."""
    from pathlib import Path

    from zwgk_xl.parse import parse_file

    plan = parse_file(Path(__file__).parent / "fixtures" / "004_c4b3b1eb13022469.txt")
    out, _ = render(tmp_path, Master(round="2020年年度", plan=plan))
    paras = docx_paragraphs(out)
    h1 = [t for s, t in paras if s == "一级标题"]
    h2 = [t for s, t in paras if s == "二级标题"]
    assert h1[:4] == [f"{r.path[0]}、{r.title}" for r in plan.roots] and len(h1) == 8
    assert len(h2) == 18 == len(plan.tasks) and h2[0].startswith("（一）围绕“六稳”")
    assert all(t.endswith("（未报送）") for t in h2)
    opening = next(t for _, t in paras if t.startswith("根据"))
    assert opening.startswith("根据《2020年云南省政务公开工作要点》（")  # not the 条例 it mentions


def test_rerun_overwrites_and_pdf_without_libreoffice_is_a_clear_error(tmp_path, monkeypatch):
    out, _ = render(tmp_path, sample_master())
    out2, _ = render(tmp_path, sample_master(previous=True))  # same path: replaced, no leftovers
    assert out == out2 and any(t.startswith("与上轮") for _, t in docx_paragraphs(out))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["报告.docx", "报告_统计.xlsx"]
    import zwgk_xl.report.render as report_mod

    monkeypatch.setattr(report_mod, "soffice_path", lambda: None)
    with pytest.raises(ConverterMissing, match="未找到 LibreOffice"):
        render_report(sample_master(), tmp_path / "x.docx", pdf=True)
    assert not (tmp_path / "x.docx").exists()


@pytest.mark.parametrize("plan_title, title", [
    ("2021年政务公开工作要点分解表", "关于2021年政务公开工作要点落实情况的报告"),
    ("2017年政务公开工作主要任务分解表", "关于2017年政务公开工作任务落实情况的报告"),
    ("关于印发2020年云南省政务公开工作要点的通知", "关于2020年云南省政务公开工作要点落实情况的报告"),
    ("", "政务公开工作任务落实情况报告"),
])
def test_report_title(plan_title, title):
    assert report_title(plan_title) == title


def test_multiline_text_is_one_paragraph_and_not_applicable_is_counted(tmp_path):
    m = sample_master()
    m.rows[0].reports[0].progress = "1.公开减税降费政策32条;\n2.发布解读材料5篇。"
    m.rows[0].reports[1].status, m.rows[0].reports[1].progress = "不涉及", ""
    out, _ = render(tmp_path, m)
    texts = [t for _, t in docx_paragraphs(out)]
    i = texts.index("（一）推进减税降费信息公开（已完成）")
    assert texts[i + 1:i + 3] == ["县财政局（牵头）：1.公开减税降费政策32条；2.发布解读材料5篇。",
                                  "配合单位1个，已报送1个（不涉及1个）。"]


def test_a_real_account_keeps_its_words_in_full_width(tmp_path):
    """Seed 003 (a real bureau's account, half-width marks as scraped) as a lead's 落实情况."""
    from pathlib import Path

    text = (Path(__file__).parent / "fixtures" / "003_a13d6c89e6cf8ecf.txt").read_text(encoding="utf-8")
    start = text.index("(1)强化权责清单管理与应用")
    account = "\n".join(line.strip() for line in text[start:text.index("2、推进财税体制改革信息公开")].splitlines()
                        if line.strip())
    m = sample_master()
    m.rows[0].reports[0].progress = account
    m.rows[0].reports[1].progress = "编制完成了权责清单共12项。抽查37次。"
    out, _ = render(tmp_path, m)
    texts = [t for _, t in docx_paragraphs(out)]
    i = texts.index("（一）推进减税降费信息公开（已完成）")
    lead = texts[i + 1]
    assert lead.startswith("县财政局（牵头）：（1）强化权责清单管理与应用。") and "共抽查37次111家经营单位" in lead
    assert "（2）及时公开政策性文件的废止、失效等情况" in lead and "权责清单共264项，并及时向社会公开" in lead
    assert not re.findall(r"[\u4e00-\u9fff][,:;()]|[,:;()][\u4e00-\u9fff]", lead)
    # what the lead already says is not repeated as a unit's note; the figures are added up
    assert texts[i + 2] == "配合单位1个，已报送1个（已完成1个）；共编制完成了权责清单12项、抽查37次。"
