"""配合 is kept apart from 按照职责分工负责 from parsing on, so the 分解表 can say 配合单位 where the superior did."""

from __future__ import annotations

from zwgk_xl.core.units import sample_directory_path
from zwgk_xl.decompose.command import decompose_file
from zwgk_xl.parse import parse_text
from zwgk_xl.parse.clauses import cooperating_units

TEXT = """2021年X县政务公开工作要点
一、推进决策公开
(一)做好重大决策预公开。重大行政决策事项向社会公开征求意见。(县发展和改革局牵头,县财政局配合;县直有关部门按照职责分工负责)
(二)加强政策解读。做好政策文件解读工作。
牵头单位:县人民政府办公室
配合单位:县司法局、县审计局
"""


def test_cooperating_units_of_the_clause_forms():
    assert cooperating_units("省发展改革委牵头,省财政厅配合") == ["省财政厅"]
    assert cooperating_units("牵头单位:县政府办;配合单位:县财政局、县审计局") == ["县财政局", "县审计局"]
    assert cooperating_units("县教育局牵头,县卫健局、县民政局协助做好相关工作") == ["县卫健局", "县民政局"]
    assert cooperating_units("省政务服务管理局牵头;省直有关部门,各州、市人民政府按照职责分工负责") == []


def test_parsed_tasks_keep_the_cooperating_units():
    doc = parse_text(TEXT)
    first, second = doc.tasks
    assert first.lead == ["县发展和改革局"] and first.cooperate == ["县财政局"]
    assert "县直有关部门" in first.others and "县直有关部门" not in first.cooperate
    assert second.cooperate == ["县司法局", "县审计局"]


def test_decompose_gives_cooperating_units_the_cooperating_role(tmp_path):
    src = tmp_path / "要点.txt"
    src.write_text(TEXT, encoding="utf-8")
    doc = decompose_file(src, sample_directory_path("county"))
    first = doc.tasks[0]
    assert "县财政局" in first.others_local and "县财政局" not in first.responsible_local
