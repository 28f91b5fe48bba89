"""The layouts real task lists arrive in, built here as variations (not copied pages)."""

from __future__ import annotations

import pytest

from zwgk_xl.core.errors import NotATaskList, ZwgkError
from zwgk_xl.parse import parse_file
from zwgk_xl.parse.clauses import split_clause, split_units
from zwgk_xl.parse.deadlines import find_deadline, parse_deadline_cell
from zwgk_xl.parse.noise import clean
from zwgk_xl.parse.normalize import normalize_text
from zwgk_xl.parse.text import parse_text


def parse_txt(tmp_path, text: str, name: str = "清单.txt"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return parse_file(p)


def units(t):
    return t.lead, t.others


# ---------------------------------------------------------------------------
# Tables that reached us as text


def test_pipe_rows_with_a_merged_section_cell_shift_left(tmp_path):
    # the section cell is merged over its rows: later rows start with the requirement, one column left
    doc = parse_txt(tmp_path, "某市教育局2023年政务公开重点工作任务分解\n"
                              "工作任务 | 具体要求 | 责任单位 | 时限要求 |\n"
                              "一、抓好主动公开。 | 1.做好规划公开。 | 办公室、财务处;各县(市、区)教育局 | 持续推进 |\n"
                              "2.做好预算公开。 | 财务处 | 6月底前 | |\n"
                              "3.做好招生公开。 | 招生处等有关处室(单位);各高校 | 年底前 | |\n")
    assert [t.id for t in doc.tasks] == ["一.1", "一.2", "一.3"]
    t1, t2, t3 = doc.tasks
    assert units(t1) == ([], ["办公室", "财务处", "各县(市、区)教育局"])
    assert units(t2) == ([], ["财务处"]) and t2.deadline.date == "2023-06-30"
    assert units(t3) == ([], ["招生处", "各高校"]) and t3.deadline.date == "2023-12-31"


def test_pipe_cells_one_per_line_with_a_merged_unit_column(tmp_path):
    # 牵头单位 merged over rows 1-3: rows 2-3 show only the 责任单位 cell, padded with a trailing |
    doc = parse_txt(tmp_path, "2016年某省政务公开任务分解表\n"
                              "工作任务 |\n牵头单位 |\n责任单位 |\n"
                              "一、推进重点领域公开 | ||\n"
                              "1.权力清单公开 |\n省编办 |\n省直各部门,各设区市 |\n"
                              "2.财政预算公开 |\n各设区市 | |\n"
                              "3.债券发行公开 | ||\n")
    t1, t2, t3 = doc.tasks
    assert [t.id for t in doc.tasks] == ["一.1", "一.2", "一.3"]
    assert units(t1) == (["省编办"], ["省直各部门", "各设区市"])
    assert units(t2) == (["省编办"], ["各设区市"])  # the visible cell is the right-hand one
    assert units(t3) == (["省编办"], ["各设区市"])  # both merged: inherited


def test_one_cell_per_line_with_lone_pipes_and_unnumbered_rows(tmp_path):
    doc = parse_txt(tmp_path, "任务\n|\n责任单位\n|\n时限\n|\n"
                              "做好稳经济政策公开工作,强化政策解读。\n|\n市政府各部门,各县(市、区)政府\n|\n持续推进\n|\n"
                              "建立审批问题反馈机制,及时回应“堵点”问题。\n|\n市发改委、市住建局\n|\n年底前\n|\n"
                              "推进反垄断执法信息公开。\n|\n市市场监管局\n|\n每季度\n")
    assert [t.id for t in doc.tasks] == ["1", "2", "3"]
    t1, t2, t3 = doc.tasks
    assert t1.others == ["市政府各部门", "各县(市、区)政府"] and t1.deadline.kind == "长期"
    assert t2.others == ["市发改委", "市住建局"]
    assert t2.deadline.date is None and t2.deadline.text == "年底前"  # no year anywhere: none invented
    assert t3.deadline.kind == "定期" and t3.deadline.date is None


def test_one_cell_per_line_with_title_and_numbered_requirements(tmp_path):
    # 序号 | 工作任务 | 具体要求 | 牵头单位 | 完成时限; requirement 1.2 has its title, unit and time merged
    doc = parse_txt(tmp_path, "2016年某市政务公开工作方案\n\n序号\n\n工作任务\n\n具体要求\n\n牵头单位\n\n完成时限\n\n"
                              "1\n\n推进清单公开\n\n1.统一职权事项的设置标准,形成三级权责清单体系。\n\n市编办\n\n"
                              "2016年12月底前\n\n2.公开取消和保留的行政审批事项。\n\n"
                              "2\n\n推进市场监管透明\n\n1.建立行政处罚公示栏目。\n\n市市场监管委\n\n全年工作\n")
    assert [t.id for t in doc.tasks] == ["1.1", "1.2", "2.1"]
    a, b, c = doc.tasks
    assert a.lead == ["市编办"] and a.deadline.date == "2016-12-31"
    assert b.lead == ["市编办"] and b.deadline.date == "2016-12-31"  # merged cells inherited
    assert c.lead == ["市市场监管委"] and c.deadline.date is None


def test_flattened_cells_with_sentence_unit_cells(tmp_path):
    doc = parse_txt(tmp_path, "某区2021年政务公开工作要点分工方案\n\n工作任务\n\n具体要求\n\n责任单位和工作要求\n\n"
                              "一、深化政务公开\n\n(一)做好规划公开。\n\n"
                              "1.主动公开国民经济和社会发展规划。\n\n区发展改革局、区统计局,以及各有关单位办理。\n\n"
                              "2.做好历史规划归集。\n\n区政府办会同各有关单位、各镇(街)办理。\n\n"
                              "3.集中发布规划原文。\n\n各有关单位做好发布工作,区数据局做好技术支持。\n")
    t1, t2, t3 = doc.tasks
    assert [t.id for t in doc.tasks] == ["一.(一).1", "一.(一).2", "一.(一).3"]
    assert units(t1) == ([], ["区发展改革局", "区统计局", "各有关单位"])
    assert units(t2) == (["区政府办"], ["各有关单位", "各镇(街)"])
    assert units(t3) == ([], ["各有关单位", "区数据局"])


def test_glued_run_on_table(tmp_path):
    body = ("某市2017年政务公开工作要点分工方案工作任务具体要求牵头落实单位一、加强预期引导"
            "1密切跟踪经济形势变化,科学制定国民经济和社会发展计划,加强对宏观政策的解读。市发展改革委"
            "2按月公开全市一般公共预算收支情况,对于社会关注的热点问题主动解释说明。市财政委"
            "二、推进降费信息公开1及时更新并公布两个目录清单,接受社会监督,让收费项目一目了然。市发展改革委"
            "2定期在政府网站披露社会保险参保和缴费情况、享受待遇情况等信息。市人力资源保障局")
    doc = parse_txt(tmp_path, body + "\n")
    assert [(t.id, t.lead) for t in doc.tasks] == [
        ("一.1", ["市发展改革委"]), ("一.2", ["市财政委"]), ("二.1", ["市发展改革委"]), ("二.2", ["市人力资源保障局"])]


# ---------------------------------------------------------------------------
# The outline


def test_a_numbered_metadata_list_before_the_title_is_not_the_outline():
    doc = parse_text("1. [主题分类] 综合政务\n2. [制发单位] 某区人民政府办公室\n3. [成文日期] 2019-08-09\n"
                     "某区2019年政务公开工作要点\n一、深化重点领域信息公开\n(一)强化规划公开\n"
                     "1.做好总体规划实施的信息公开。(规划工作组各成员单位负责落实)\n"
                     "2.做好城市环境信息公开。(区城管执法局、区生态环境局负责落实)\n")
    assert [t.id for t in doc.tasks] == ["一.(一).1", "一.(一).2"]
    assert doc.find("一.(一).2").others == ["区城管执法局", "区生态环境局"]


def test_a_cover_letter_with_its_own_numbering_before_the_list():
    doc = parse_text("某县人民政府办公室关于印发2022年政务公开工作要点的通知\n各乡镇人民政府,县直各部门:\n"
                     "现将要点印发给你们,请做好以下工作:\n一、提高认识。\n二、加强领导。\n三、按时报送。\n"
                     "某县人民政府办公室\n2022年3月1日\n2022年某县政务公开工作要点\n"
                     "一、深化决策公开\n1.推进重大决策预公开。(县司法局牵头,县直各部门配合)\n"
                     "2.做好政策解读。(县政府办公室负责)\n")
    assert [t.id for t in doc.tasks] == ["一.1", "一.2"]
    assert doc.find("一.1").lead == ["县司法局"]


def test_the_page_starts_in_the_middle_of_the_list():
    doc = parse_text("(二十七)政务服务事项公开。全面公开服务事项。(牵头单位:省政府办公厅;责任单位:各市州政府)\n"
                     "(二十八)政府购买服务公开。制定指导性目录。(牵头单位:省财政厅;责任单位:省政府相关部门)\n")
    assert [t.id for t in doc.tasks] == ["(二十七)", "(二十八)"]
    assert units(doc.tasks[1]) == (["省财政厅"], ["省政府相关部门"])


def test_sentences_each_closed_by_a_clause_are_positional_items():
    doc = parse_text("一、加强重点工作信息公开\n(一)做好重点工作信息公开。制定发布规划信息。(市规划委负责落实)"
                     "推进区域协作信息公开。(市发展改革委、市教委分别负责落实)公开融资担保公司名录。"
                     "(区金融办、区财政局。)及时公开高速公路建设情况,\n")
    assert [t.id for t in doc.tasks] == ["一.(一).1", "一.(一).2", "一.(一).3"]
    assert doc.find("一.(一).2").others == ["市发展改革委", "市教委"]
    assert doc.find("一.(一).3").others == ["区金融办", "区财政局"]  # a bare unit list after 。


def test_paragraphs_under_a_heading_each_closed_by_a_clause():
    doc = parse_text("一、全面推进五公开\n(一)推进决策公开\n严格落实重大行政决策程序。(牵头部门:综合规划处)\n"
                     "做好规范性文件公开工作。(牵头部门:法规处)\n(二)推进执行公开\n"
                     "继续做好财政预决算信息公开。(牵头部门:科技和财务处)\n严格落实公益事业信息公开的要求,形成\n")
    assert [(t.id, t.lead) for t in doc.tasks] == [
        ("一.(一).1", ["综合规划处"]), ("一.(一).2", ["法规处"]), ("一.(二).1", ["科技和财务处"])]


def test_prose_that_lost_its_line_breaks_with_labelled_units():
    doc = parse_text("2022年某县重点工作责任分解 一、县长牵头重点工作 1.全县生产总值增长7.5%左右。 "
                     "责任单位:县发改局(首位单位为牵头单位,下同)、县财政局、县税务局 2.落实过紧日子要求,严控“三公”经费,"
                     "努力降低行政运行成本,节俭办一切事业。 责任单位:县财政局 二、副县长牵头重点工作 1.坚持集体学法,"
                     "加强重大行政决策事前论证和事后评估,发挥法律顾问作用。 责任单位:县司法局 " * 1)
    assert [(t.id, t.lead, t.others) for t in doc.tasks] == [
        ("一.1", ["县发改局"], ["县财政局", "县税务局"]), ("一.2", ["县财政局"], []), ("二.1", ["县司法局"], [])]


# ---------------------------------------------------------------------------
# One clause grammar


@pytest.mark.parametrize("clause, lead, others", [
    ("(责任处室:新闻宣传处牵头,办公室、机关党委办公室和各处室单位负责落实)", ["新闻宣传处"], ["办公室", "机关党委办公室", "各处室单位"]),
    ("(县发展改革局会县财政局)", ["县发展改革局"], ["县财政局"]),
    ("(区政务服务局牵头、区政府各部门负责落实)", ["区政务服务局"], ["区政府各部门"]),
    ("(区商务局、西城园管委会负责落实,完成时限:2022年10月)", [], ["区商务局", "西城园管委会"]),
    ("(牵头科室:办公室;责任科室:登记注册科牵头,局机关科室、执法支队负责落实)", ["办公室", "登记注册科"], ["局机关科室", "执法支队"]),
    ("(责任单位:区政府办公室、区发改委等数字经济工作领导小组成员单位,各乡、街办、管理处)", [],
     ["区政府办公室", "区发改委", "各乡", "街办", "管理处"]),
    ("〔各县(市)区人民政府,开发区管委会,市政府各部门(单位)按照职能分别落实〕", [],
     ["各县(市)区人民政府", "开发区管委会", "市政府各部门(单位)"]),
])
def test_clause_forms(clause, lead, others):
    doc = parse_text(f"一、深化公开\n(一)做好公开。推进信息公开工作。{clause}\n")
    t = doc.tasks[0]
    assert (t.lead, t.others) == (lead, others)


def test_clause_with_deadline_label_and_a_dash_for_none():
    c = split_clause("做好工作。(责任单位:区府办、各部门;完成时限:全年)")
    assert c.others == ["区府办", "各部门"] and c.deadline_text == "全年"
    assert split_units("——") == [] and split_units("/") == []


def test_pinyin_after_characters_is_removed_and_is_no_clause():
    norm, trad = normalize_text("編制完善基層(céng)政務公開事項目錄,規(guī)劃公開。(各鄉(xiāng)鎮(zhèn)政府負責)")
    assert trad and "(céng)" not in norm and "(guī)" not in norm
    doc = parse_text("一、深化公開\n(一)編制目錄。規(guī)劃公開。(各鄉(xiāng)鎮(zhèn)政府、各縣(市、區(qū))政府負責)\n")
    assert doc.tasks[0].others == ["各乡镇政府", "各县(市、区)政府"]


# ---------------------------------------------------------------------------
# Deadlines


@pytest.mark.parametrize("cell, date, kind", [
    ("6月前", "2021-06-30", "date"), ("10月15日前", "2021-10-15", "date"), ("三季度前", "2021-09-30", "date"),
    ("上半年", "2021-06-30", "date"), ("下半年", "2021-12-31", "date"), ("全年", None, "长期"),
    ("每季度", None, "定期"), ("每月", None, "定期"), ("按规定时限", None, "none"),
])
def test_deadline_cells(cell, date, kind):
    d = parse_deadline_cell(cell, 2021)
    assert (d.date, d.kind, d.text) == (date, kind, cell)


def test_no_year_is_invented_and_figures_are_not_deadlines():
    d = parse_deadline_cell("年底前", None)
    assert d.date is None and d.text == "年底前"
    assert find_deadline("公开2016年末政府债务余额和限额情况", 2016).date is None
    assert find_deadline("2021年底前完成平台整合", 2021).date == "2021-12-31"


def test_two_milestones_keep_both(tmp_path):
    doc = parse_txt(tmp_path, "2021年某县任务清单\n| 序号 | 工作任务 | 责任单位 | 完成时限 |\n"
                              "| 1 | 做好预决算公开 | 县财政局 | 2月公布预算信息,8月公布决算信息 |\n"
                              "| 2 | 做好政策解读 | 县司法局 | 年内 |\n")
    t = doc.tasks[0]
    assert t.deadline.date == "2021-08-31" and "2月公布预算信息" in t.note and "2021-02-28" in t.note


# ---------------------------------------------------------------------------
# Not a task list


@pytest.mark.parametrize("text, what", [
    ("关于《某区2022年政务公开工作要点》的政策解读\n一、出台背景\n为深入推进政务公开工作,制定本要点。\n"
     "二、主要内容\n1.深化重点领域公开。\n2.加强政策解读。\n", "政策解读"),
    ("经开区召开2023年政务公开工作推进会\n6月9日,经开区组织召开政务公开工作推进会,各部门参加会议。\n"
     "会议要求:一、提高认识。二、抓好落实。\n", "新闻"),
    ("一、总体情况\n2019年,某街道政务公开工作不断深化。\n二、主动公开政府信息情况\n共公开信息120条。\n", "年度报告"),
    ("某局2023年上半年政务公开重点工作落实情况\n现将上半年完成情况总结如下:\n一、推进民生信息公开\n"
     "在网站公开信息56条。\n二、加强平台建设\n更新栏目12个。\n", "落实情况"),
])
def test_not_a_task_list_is_refused_with_what_it_seems_to_be(tmp_path, text, what):
    with pytest.raises(NotATaskList) as e:
        parse_txt(tmp_path, text)
    msg = str(e.value)
    assert what in msg and "不是任务清单" in msg and "\n" not in msg
    assert isinstance(e.value, ZwgkError) and e.value.exit_code != 0


def test_a_plan_with_numbered_tasks_and_clauses_is_not_refused():
    doc = parse_text("某局2021年政务公开工作进展情况\n一、深化公开\n1.做好规划公开。(办公室负责)\n")
    assert doc.tasks[0].others == ["办公室"]


# ---------------------------------------------------------------------------
# Noise without a second copy


def test_noise_run_inside_a_phrase_is_flagged_or_removed():
    text, found = clean("围绕常态化疫情防控深化政府连迁嚷龙信息公开,做好应对处凝垫市置工作。")
    assert ("连迁嚷龙", False) in found and ("凝垫市", True) in found
    assert "凝垫市" not in text and "处置工作" in text
    assert clean("持续深化政务公开,做好规范性文件公开和政策解读工作。")[1] == []


def test_noise_reaches_the_task_warnings():
    doc = parse_text("一、深化公开\n(一)持续加强新型监管符抹重机制建设。(省市场监管局负责)\n")
    t = doc.tasks[0]
    assert any("符抹重" in w for w in t.warnings)


def test_a_pipe_table_whose_cells_were_lost_gives_no_tasks(tmp_path):
    from zwgk_xl.core.errors import NoStructure

    with pytest.raises(NoStructure) as e:
        parse_txt(tmp_path, "2021年全区政务公开工作主要任务分解表\n工作任务 |\n工作要求 |\n牵头单位 |\n责任单位 |\n"
                            "一、深化重点领域公开 |\n|\n|\n||\n二、加强政策解读 |\n|\n||\n")
    assert "空" in str(e.value)


def test_seed_004_every_inserted_run_is_removed_or_flagged():
    from pathlib import Path

    text = next((Path(__file__).parent / "fixtures").glob("004_*.txt")).read_text(encoding="utf-8")
    doc = parse_text(text, source="004.txt")
    for run in ("连迁嚷龙", "符抹重", "颂试页", "凝垫市"):
        holders = [t for t in doc.tasks if run in t.text or run in t.title]
        assert all(any(run in w for w in t.warnings) for t in holders), run
        assert any(run in w for w in doc.warnings), run


def test_a_tables_own_first_unit_leads_rule(tmp_path):
    doc = parse_txt(tmp_path, "2022年某县重点工作责任分解\n| 序号 | 工作任务 | 责任单位 |\n"
                              "| 1 | 做好经济运行信息公开 | 县发改局(首位单位为牵头单位,下同)、县财政局 |\n"
                              "| 2 | 做好预算公开 | 县财政局、县审计局 |\n")
    assert [(t.lead, t.others) for t in doc.tasks] == [(["县发改局"], ["县财政局"]), (["县财政局"], ["县审计局"])]
