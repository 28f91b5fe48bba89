"""The plain-text parser over the seed documents and the genre's variants."""

from pathlib import Path

import pytest

from zwgk_xl.core.errors import NoStructure
from zwgk_xl.parse.clauses import split_clause, split_units
from zwgk_xl.parse.deadlines import find_deadline, parse_deadline_cell
from zwgk_xl.parse.normalize import to_simplified
from zwgk_xl.parse.numbering import cn_to_int, int_to_cn, match_marker
from zwgk_xl.parse.text import parse_text

FIX = Path(__file__).parent / "fixtures"


def seed(prefix: str) -> str:
    return next(FIX.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def doc004():
    return parse_text(seed("004"), source="004.txt")


def test_004_structure_and_repeat(doc004):
    assert [r.id for r in doc004.roots] == ["一", "二", "三", "四"]
    assert len(doc004.tasks) == 18
    assert [len(r.children) for r in doc004.roots] == [5, 6, 3, 4]
    repeat = [w for w in doc004.warnings if "重复" in w and "已删除" in w]
    assert repeat and "(五)" in repeat[0]
    assert doc004.year == 2020
    assert doc004.title == "2020年云南省政务公开工作要点"
    assert doc004.issuer == "云南省人民政府办公厅"


def test_004_simplified_without_noise(doc004):
    assert doc004.roots[0].title == "进一步拓展主动公开深度和广度"
    t = doc004.find("一.(二)")
    assert t.title == "围绕优化营商环境深化政府信息公开"  # 最佳化 → 优化
    # noise removed where the repeated copy is evidence (二.(一) had 故臘)
    t21 = doc004.find("二.(一)")
    assert "故腊" not in t21.text and "故臘" not in t21.text
    assert any("故腊" in w for w in doc004.warnings)
    assert "政策文件" in doc004.find("二.(三)").text  # 檔案 → 文件
    assert "门户网站" in doc004.find("三.(一)").text  # 入口網站 → 门户网站
    assert "建立健全" in doc004.find("二.(二)").title  # not "创建"


def test_004_clauses_and_deadlines(doc004):
    t = doc004.find("一.(二)")
    assert t.lead == ["省司法厅", "省市场监管局", "省政务服务管理局"]
    assert t.others == ["省直有关部门", "各州、市人民政府"]
    t = doc004.find("一.(一)")
    assert t.lead == [] and t.others == ["省直有关部门", "各州、市人民政府"]
    assert doc004.find("二.(一)").deadline.date == "2020-12-31"
    assert doc004.find("二.(四)").deadline.date == "2020-10-31"
    assert doc004.find("四.(一)").deadline.date == "2020-12-31"
    assert doc004.find("四.(一)").deadline.text == "年内"
    assert doc004.find("一.(一)").deadline.date is None


def test_000_bureau_sections():
    doc = parse_text(seed("000"), source="000.txt")
    assert [r.title for r in doc.roots] == ["工作目标", "组织保障", "工作机制", "相关职责分工"]
    tasks = doc.tasks
    assert len(tasks) == 14
    assert all(t.id.startswith("四.") for t in tasks)
    assert all(t.lead or t.others for t in tasks)
    assert doc.find("四.(三).2").others == ["公共服务科", "行业管理科"]
    assert doc.find("四.(一).4").others == ["产业发展科"]
    assert doc.find("四.(二).1").title == "落实财政预决算公开"


def test_002_duplicate_numbering_kept():
    doc = parse_text(seed("002"), source="002.txt")
    assert len(doc.roots) == 6
    assert [r.id for r in doc.roots] == ["一", "二", "三", "四", "五", "五#2"]
    assert doc.roots[5].path == ["五"]
    assert doc.roots[5].title == "扩大公众参与"
    assert any("五" in w and "第2次" in w for w in doc.warnings)
    assert doc.find("五#2.(二)").title == "规范公众参与方式"
    # a paragraph broken over two lines stays one task text
    assert "回应、评估机制" in doc.find("四.(三)").text


def test_001_flattened_table():
    doc = parse_text(seed("001"), source="001.txt")
    assert [r.title for r in doc.roots] == [
        "深化重点领域政府信息公开", "加强和改进政策发布解读回应", "强化公众参与推动高水平决策公开",
        "全面提升基层政务公开标准化规范化水平", "严格政务公开工作保障和落实"]
    tasks = doc.tasks
    assert [t.path[-1] for t in tasks] == [str(i) for i in range(1, 45)]
    assert not any("DOC文库" in t.text or "下载" in t.title for t in tasks)
    t1 = doc.find("一.1")
    assert t1.title == "做好各类规划主动公开"
    assert t1.lead == ["市发展改革局", "市自然资源和规划局"]
    assert doc.find("一.13").others == ["市教育体育局"]
    assert doc.find("一.16").lead == ["市卫生健康局"]
    assert doc.find("五.42").others == ["市政府办公室"]
    # each task either has units or is flagged for review
    assert all((t.lead or t.others) or t.review for t in tasks)
    assert doc.doc_number == "邹政办字〔2021〕29号"
    assert doc.year == 2021


def test_flattened_unrecoverable_units_flagged():
    text = ("附件 某市政务公开工作任务分解表 工作任务 任务要求 责任单位 一、深化公开 "
            "1.做好规划公开,公开各类专项规划内容并及时更新维护 2.做好预算公开,推进部门预决算信息公开工作 "
            "3.做好数据开放工作,推动公共数据有序开放和利用 市财政局 "
            "4.做好政策解读,提升解读质量并扩大政策解读传播面 5.完善专栏建设并规范信息发布审核流程要求 " * 3)
    doc = parse_text(text)
    tasks = doc.tasks
    assert [t.path[-1] for t in tasks] == ["1", "2", "3", "4", "5"]
    assert all(t.review for t in tasks if not (t.lead or t.others))
    assert any(t.review for t in tasks)


def test_no_numbering_raises():
    with pytest.raises(NoStructure):
        parse_text("这是一段没有任何编号的文字。\n第二段也没有。")


def test_traditional_and_width_variants():
    text = ("２０２１年某縣政務公開工作要點\n"
            "一、加強資訊公開\n"
            "（一）最佳化入口網站。完善程式與資料庫。（縣政府辦公室牽頭，縣直各部門按照職責分工負責）\n"
            "（二）做好檔案公開。2021年6月底前完成。（責任單位：縣財政局、縣稅務局）\n"
            "二、長期工作\n"
            "１．持續做好公開。長期堅持。（縣發展和改革局會縣財政局）\n")
    doc = parse_text(text)
    assert doc.year == 2021
    t = doc.find("一.(一)")
    assert t.title == "优化门户网站"
    assert "程序与数据库" in t.text
    assert t.lead == ["县政府办公室"] and t.others == ["县直各部门"]
    t2 = doc.find("一.(二)")
    assert t2.others == ["县财政局", "县税务局"] and t2.deadline.date == "2021-06-30"
    t3 = doc.find("二.1")
    assert t3.lead == ["县发展和改革局"] and t3.others == ["县财政局"]
    assert t3.deadline.kind == "长期" and t3.deadline.date is None


def test_nested_levels_and_inherited_clause():
    text = ("一、总体任务\n(一)推进决策公开。(县司法局牵头)\n1.公开决策草案。\n2.公开决策结果。\n"
            "(1)细项一。\n(2)细项二。(县政务服务管理局负责)\n②不是顺序的编号行\n二、保障\n(一)强化考核。(县人民政府办公室负责)\n")
    doc = parse_text(text)
    ids = [t.id for t in doc.tasks]
    assert ids == ["一.(一).1", "一.(一).2.(1)", "一.(一).2.(2)", "二.(一)"]
    assert doc.find("一.(一).1").lead == ["县司法局"]  # inherited from (一)
    assert doc.find("一.(一).2.(2)").others == ["县政务服务管理局"]


def test_clause_forms():
    c = split_clause("做好工作。(市政府各部门、各镇街按照职责分工负责)")
    assert c.others == ["市政府各部门、各镇街"]
    c = split_clause("做好工作。(牵头单位:县财政局;配合单位:县审计局、县税务局)")
    assert c.lead == ["县财政局"] and c.others == ["县审计局", "县税务局"]
    c = split_clause("做好工作。(县发展和改革局和县财政局牵头,各乡镇配合)")
    assert c.lead == ["县发展和改革局", "县财政局"] and c.others == ["各乡镇"]
    c = split_clause("做好工作(见附件1)")
    assert c.raw == "" and c.lead == [] and c.others == []
    assert split_units("县人力资源和社会保障局、县卫生健康局") == ["县人力资源和社会保障局", "县卫生健康局"]
    assert split_units("省直各部门,各州、市人民政府") == ["省直各部门", "各州、市人民政府"]


def test_deadline_phrases():
    assert find_deadline("于2020年10月底前完成", 2020).date == "2020-10-31"
    assert find_deadline("6月底前完成", 2021).date == "2021-06-30"
    assert find_deadline("年底前完成", 2021).date == "2021-12-31"
    assert find_deadline("上半年完成", 2021).date == "2021-06-30"
    assert find_deadline("全覆盖、常态化", 2021).kind == "none"
    assert parse_deadline_cell("持续推进", 2021).kind == "长期"
    assert parse_deadline_cell("2月公布预算信息,8月公布决算信息", 2021).date == "2021-08-31"
    d = parse_deadline_cell("视情况而定", 2021)
    assert d.date is None and d.text == "视情况而定" and d.kind == "none"


def test_numbering_tokens():
    assert match_marker("(十二)标题").token == "(十二)"
    assert match_marker("3、内容").token == "3"
    assert match_marker("2020.10月") is None
    assert cn_to_int("二十三") == 23 and int_to_cn(23) == "二十三"
    assert to_simplified("網際網路") == "互联网"


def test_lost_line_breaks_are_recovered():
    text = ("2021年某县政务公开工作要点 一、深化决策公开 (一)推进决策公开。完善决策程序,公开决策草案和依据,"
            "按照(二)项要求做好解读。(县司法局牵头,县直各部门配合) (二)做好政策解读。县政府常务会议审议的政策文件,"
            "2021年6月底前全部完成解读。(县人民政府办公室负责) 二、加强平台建设 (一)加强政府网站管理。健全信息发布审核"
            "制度,做好网站日常监测工作。(县人民政府办公室牵头) 1.做好内容保障。每月检查一次。 2.做好安全防护。"
            "持续推进。(县公安局配合)")
    doc = parse_text(text)
    assert [t.id for t in doc.tasks] == ["一.(一)", "一.(二)", "二.(一).1", "二.(一).2"]
    assert "按照(二)项要求做好解读" in doc.find("一.(一)").text
    assert doc.find("一.(一)").lead == ["县司法局"]
    assert doc.find("一.(二)").deadline.date == "2021-06-30"
    assert doc.find("二.(一).1").lead == ["县人民政府办公室"]  # inherited from (一)
    assert doc.find("二.(一).2").others == ["县公安局"]


def test_labelled_units_and_time_after_the_item():
    text = ("2021年某县政务公开工作要点\n一、深化决策公开\n"
            "1.推进决策公开。完善决策程序,公开决策草案。\n牵头单位:县司法局\n配合单位:县发展和改革局、县财政局\n"
            "完成时限:2021年10月底前\n"
            "2.做好政策解读。县政府常务会议审议的政策文件全部解读。责任单位:县人民政府办公室\n"
            "3.加强网站管理。健全信息发布审核制度。(县人民政府办公室牵头,县直各部门配合)(2021年6月底前完成)\n"
            "二、保障措施\n各单位要高度重视。\n")
    doc = parse_text(text)
    t1, t2, t3 = doc.tasks
    assert (t1.lead, t1.others) == (["县司法局"], ["县发展和改革局", "县财政局"])
    assert t1.deadline.date == "2021-10-31"
    assert t1.text == "推进决策公开。完善决策程序,公开决策草案。"
    assert t2.others == ["县人民政府办公室"] and "责任单位" not in t2.text
    assert (t3.lead, t3.others, t3.deadline.date) == (["县人民政府办公室"], ["县直各部门"], "2021-06-30")
    assert len(doc.tasks) == 3  # 二、保障措施 is prose
