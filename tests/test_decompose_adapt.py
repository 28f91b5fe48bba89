"""The local document's wording: level words rewritten by rule, other levels' sentences flagged."""

from __future__ import annotations

import pytest

from _decompose_helpers import SEED_000, SEED_004
from zwgk_xl.decompose.adapt import CHECK, adapt_text, area_of, plan_title, superior_level
from zwgk_xl.parse import parse_file


@pytest.mark.parametrize("superior, text, adapted", [
    ("省", "省直各部门要做好。", "县直各部门要做好。"),
    ("省", "省级有关部门要加强指导，推动全省政府网站集约化。", "县级有关部门要加强指导，推动全县政府网站集约化。"),
    ("省", "各州、市人民政府要于年底前完成。", "各乡镇人民政府（街道办事处）要于年底前完成。"),
    ("省", "贯彻落实省委、省政府决策部署。", "贯彻落实省委、省政府决策部署。"),  # the county implements them too
    ("省", "在省政府门户网站开设专栏，省政府各部门要及时报送。", "在县政府门户网站开设专栏，县政府各部门要及时报送。"),
    ("州", "楚雄州政府门户网站要改版。", "楚雄州政府门户网站要改版。"),  # a named place is a name
    ("州", "州直有关部门和各县（市、区）人民政府要按时报送。", "县直有关部门和各乡镇人民政府（街道办事处）要按时报送。"),
    ("市", "市政府各部门、各镇街要公开本单位的权责清单。", "县政府各部门、各乡镇人民政府（街道办事处）要公开本单位的权责清单。"),
    # proper names and titles stay as written
    ("省", "通过省政务服务网上大厅公开。", "通过省政务服务网上大厅公开。"),
    ("省", "按照《云南省人民政府办公厅关于全面推进基层政务公开标准化规范化工作的实施意见》要求，在“云南省政务新媒体备案登记系统”备案。",
     "按照《云南省人民政府办公厅关于全面推进基层政务公开标准化规范化工作的实施意见》要求，在“云南省政务新媒体备案登记系统”备案。"),
    ("省", "全面公开市场监管信息。", "全面公开市场监管信息。"),  # 市场 is not a level
])
def test_level_words(superior, text, adapted):
    got, changes = adapt_text(text, superior, "县", "武定县")
    assert got == adapted
    assert [c.adapted for c in changes] == ([adapted] if adapted != text else [])
    assert all(c.rules and not c.flagged for c in changes)


@pytest.mark.parametrize("text", [
    "进一步推进省、州市两级政府公报规范化建设工作。",
    "各州、市人民政府门户网站要于2020年底前完成改造。",
    "各州、市、县、区人民政府要明确本级政府办公室为主管部门。",
    "做好国家、省和市级重大健康行动方案的信息公开。",
])
def test_sentences_for_another_level_are_flagged_not_rewritten(text):
    got, [change] = adapt_text(text, "省", "县", "武定县")
    assert got == text and change.flagged and change.note.startswith(CHECK)


def test_no_rewriting_at_the_same_level_or_for_a_bureau():
    assert adapt_text("省直各部门要做好。", "县", "县") == ("省直各部门要做好。", [])
    assert adapt_text("省直各部门要做好。", "省", "局") == ("省直各部门要做好。", [])
    assert adapt_text("省直各部门要做好。", "省", "市", "楚雄市")[0] == "市直各部门要做好。"
    assert adapt_text("省直各部门要做好。", "省", "县", "思明区")[0] == "区直各部门要做好。"


def test_levels_and_titles():
    doc004, doc000 = parse_file(SEED_004), parse_file(SEED_000)
    assert superior_level(doc004) == "省"
    assert superior_level(doc000) == ""  # the bureau's own plan: 科室 only
    assert plan_title(doc004, "县", "武定县") == "武定县2020年政务公开工作任务分解表"
    assert plan_title(doc004, "县") == "2020年政务公开工作任务分解表"  # never the province's title
    assert plan_title(doc000, "局") == (doc000.title or "政务公开工作") + "任务分解表"
    assert area_of("武定县人民政府办公室") == "武定县" and area_of("县人民政府办公室") == ""
