"""Mapping superior units to local units, with reasons; the decompose CLI."""

from __future__ import annotations

import pytest

from _decompose_helpers import SEED_000, SEED_004, hand_document, responsibility_clauses
from zwgk_xl.decompose import decompose_file
from zwgk_xl.decompose.mapping import core_name, decompose, map_unit, unmatched
from zwgk_xl.parse import parse_file
from zwgk_xl.core.units import load_directory, sample_directory_path


@pytest.mark.parametrize("superior, local", [
    ("省发展改革委", "县发展和改革局"),
    ("省人力资源社会保障厅", "县人力资源和社会保障局"),
    ("省卫生健康委", "县卫生健康局"),
    ("省市场监管局", "县市场监督管理局"),
    ("省政府办公厅", "县人民政府办公室"),
    ("市市场监督管理局", "县市场监督管理局"),
    ("楚雄州人力资源和社会保障局", "县人力资源和社会保障局"),
    ("省應急廳", "县应急管理局"),  # traditional characters
])
def test_level_substitution(county, superior, local):
    [a] = map_unit(superior, county)
    assert (a.local, a.rule) == ([local], "level")
    assert "核心名称一致" in a.note


@pytest.mark.parametrize("superior, local, why", [
    ("省扶贫办", "县乡村振兴局", "扶贫办"),  # renamed
    ("省教育厅", "县教育体育局", "教育厅"),  # merged
    ("省体育局", "县教育体育局", "体育局"),
    ("省生态环境厅", "楚雄州生态环境局X县分局", "生态环境厅"),  # vertically managed
    ("省地方金融监管局", "县财政局", "地方金融监管局"),  # the county has none
])
def test_directory_keywords(county, superior, local, why):
    [a] = map_unit(superior, county)
    assert (a.local, a.rule) == ([local], "alias") and why in a.note


def test_mapping_sheet_alias_and_exact(county, bureau):
    assert [(a.local, a.rule) for a in map_unit("省委网信办", county)] == [(["县人民政府办公室"], "alias")]
    assert [(a.local, a.rule) for a in map_unit("县人社局", county)] == [(["县人力资源和社会保障局"], "alias")]
    assert [(a.local, a.rule) for a in map_unit("局办公室", bureau, "局")] == [(["局办公室"], "exact")]
    assert [(a.local, a.rule) for a in map_unit("综合行政执法队", bureau, "局")] == [(["执法大队"], "alias")]


@pytest.mark.parametrize("phrase, groups", [
    ("省直有关部门", ["县直各部门"]),
    ("各州、市人民政府", ["各乡镇(街道)"]),
    ("各县(市、区)人民政府", ["各乡镇(街道)"]),
    ("按照职责分工负责", ["县直各部门"]),
    ("市政府各部门、各镇街", ["县直各部门", "各乡镇(街道)"]),
    ("省直各部门,各州、市人民政府", ["县直各部门", "各乡镇(街道)"]),
    ("各地各部门", ["各乡镇(街道)", "县直各部门"]),
    ("省级有关单位", ["县直各部门"]),  # not listed: recognised by its wording
])
def test_generic_phrases_go_to_groups(county, phrase, groups):
    got = map_unit(phrase, county)
    assert [g for a in got for g in a.local] == groups
    assert {a.rule for a in got} == {"group"}


def test_fuzzy_near_miss_records_score(county):
    [a] = map_unit("省人力资源社保厅", county)
    assert a.local == ["县人力资源和社会保障局"] and a.rule == "fuzzy"
    assert 75 <= a.score < 100 and "相似度" in a.note
    [b] = map_unit("省人力资源社保厅", county, fuzzy_cutoff=95)
    assert b.rule == "unmatched"


def test_unmatched_is_listed_not_dropped(county):
    doc = decompose(hand_document(), county)
    t = doc.find("二.(二)")
    assert t.lead_local == [] and t.others_local == [] and t.review
    assert [(a.source, a.rule) for a in t.assignment_notes] == [("省外事办公室", "unmatched")]
    assert unmatched(doc) == [("二.(二)", "省外事办公室")]
    assert any(w.startswith("未匹配") and "省外事办公室" in w for w in doc.warnings)
    assert any("没有本级责任单位" in w for w in doc.warnings)


def test_hand_document_roles_and_original_untouched(county):
    src = hand_document()
    doc = decompose(src, county)
    assert src.find("一.(二)").lead_local == []  # input not modified
    t = doc.find("一.(二)")
    assert t.lead_local == ["县司法局", "县市场监督管理局", "县政务服务管理局"]
    # 省直有关部门 → the departments the task touches (营商环境), not 县直各部门; both are 责任单位
    assert t.others_local == t.responsible_local == ["县发展和改革局", "各乡镇(街道)"]
    assert [n.note[:4] for n in t.assignment_notes] == ["[牵头]"] * 3 + ["[责任]"] * 2
    assert [(a.rule, a.local) for a in t.assignment_notes][3] == ("topic", ["县发展和改革局"])
    assert "营商环境" in t.assignment_notes[3].note and "省直有关部门" in t.assignment_notes[3].note
    t = doc.find("二.(一)")
    assert (t.lead_local, t.others_local) == (["县发展和改革局", "县人力资源和社会保障局"], ["县卫生健康局"])
    assert doc.find("一.(一)").lead_local == []  # no lead in the source, only groups: no lead invented
    assert t.origin == "《2020年云南省政务公开工作要点》二.(一)"


def test_seed_004_with_sample_county(county):
    doc = decompose(parse_file(SEED_004), county)
    tasks = doc.tasks
    assert len(tasks) == 18
    known = set(county.names) | set(county.groups)
    for t in tasks:
        assert t.lead_local or t.others_local, t.id
        for u in t.lead_local + t.others_local:
            assert u in known and not u.startswith("省"), (t.id, u)
        # every superior unit has a decision with its rule; none unmatched
        units = [a for a in t.assignment_notes if a.rule not in ("wording", "level-check", "suggest")]
        assert list(dict.fromkeys(a.source for a in units)) == t.lead + t.others, t.id
        assert all(a.rule in ("exact", "alias", "level", "group", "topic") and a.note for a in units), t.id
    t = doc.find("一.(二)")
    assert t.lead_local == ["县司法局", "县市场监督管理局", "县政务服务管理局"]
    assert doc.find("一.(四)").lead_local == ["县财政局", "楚雄州生态环境局X县分局", "县乡村振兴局"]
    assert unmatched(doc) == []


def test_seed_000_with_sample_sections(bureau):
    doc = decompose(parse_file(SEED_000), bureau, level="局")
    named = responsibility_clauses(SEED_000)
    assert len(doc.tasks) == len(named) == 14
    for t, units in zip(doc.tasks, named):
        assert t.lead_local + t.others_local == units, t.id
        # a single named 科室 leads; two named ones share the work without a lead
        assert t.lead_local == (units if len(units) == 1 else [])
    assert unmatched(doc) == []


def test_input_may_be_the_parse_task_table(tmp_path, county):
    from zwgk_xl.parse.tasktable import write_task_table

    table = write_task_table(parse_file(SEED_004), tmp_path / "上级任务.xlsx")
    from_table = decompose_file(table, sample_directory_path("county"))
    from_text = decompose_file(SEED_004, sample_directory_path("county"))
    assert [(t.id, t.lead_local, t.others_local) for t in from_table.tasks] == [
        (t.id, t.lead_local, t.others_local) for t in from_text.tasks
    ]


def test_core_names():
    assert core_name("省发展改革委") == core_name("县发展和改革局") == "发展改革"
    assert core_name("省市场监管局") == core_name("县市场监督管理局") == "市场监管"
    assert core_name("省政府办公厅") == core_name("县人民政府办公室")


def test_min_prefixed_units_map_by_level():
    """市民政局 / 省民政厅 are 民政 units: the level char before 民 is still a level."""
    from zwgk_xl.decompose.mapping import core_name, map_unit
    from zwgk_xl.core.units import sample_directory_path

    d = load_directory(sample_directory_path("county"))
    assert core_name("市民政局") == core_name("县民政局") == "民政"
    assert map_unit("市民政局", d)[0].local == ["县民政局"]
    assert map_unit("省民政厅", d)[0].rule == "level"
    assert core_name("市民服务中心") == "市民服务"  # 市民 is a word here


def test_relevant_sections_of_a_bureau_by_their_functions(bureau):
    from _decompose_helpers import task
    from zwgk_xl.core.model import Document, Node

    sec = Node(id="一", path=["一"], title="公开")
    sec.children = [task("一.1", ["局办公室"], ["相关科室"], "做好部门预算决算和文物保护信息公开"),
                    task("一.2", [], ["各科室"], "做好政务公开培训")]
    doc = decompose(Document(title="楚雄市文化和旅游局2021年政务公开工作要点", year=2021, roots=[sec]), bureau, level="局")
    t = doc.find("一.1")
    assert (t.lead_local, t.responsible_local) == (["局办公室"], ["财务室"])  # 预算、决算; 博物馆 is no 科室
    assert "「预算、决算」" in t.assignment_notes[1].note
    assert doc.find("一.2").responsible_local == ["各科室"]  # 各: every 科室
    assert doc.find("一.2").text == "做好政务公开培训。具体要求一.2。"  # a bureau's own list is not reworded
