"""``decompose --learn``: the clerk's corrections in the 分解表 carry into next year's decomposition."""

from __future__ import annotations

import shutil

import openpyxl
import pytest

from _decompose_helpers import SEED_004
from zwgk_xl.core.errors import DirectoryError
from zwgk_xl.core.units import load_directory, sample_directory_path
from zwgk_xl.decompose.learn import learn_from_plan
from zwgk_xl.decompose.mapping import decompose
from zwgk_xl.decompose.plan import HEADERS, read_plan, write_plan
from zwgk_xl.parse import parse_file

COL = {h: i + 1 for i, h in enumerate(HEADERS)}


def _row_of(ws, tid: str) -> int:
    return next(r for r in range(4, ws.max_row + 1) if ws.cell(r, COL["任务编号"]).value == tid)


@pytest.fixture()
def year1(tmp_path):
    units = tmp_path / "部门名录.xlsx"
    shutil.copy(sample_directory_path("county"), units)
    doc = decompose(parse_file(SEED_004), load_directory(units), area="武定县")
    plan = write_plan(doc, tmp_path / "2020年分解表.xlsx", directory=load_directory(units), area="武定县")
    return units, plan, doc


def test_learning_round_trip(year1, tmp_path):
    units, plan, doc = year1
    # what decomposition proposed in year 1
    assert doc.find("一.(二)").lead_local == ["县司法局", "县市场监督管理局", "县政务服务管理局"]
    assert "县发展和改革局" in doc.find("二.(六)").responsible_local  # 供电

    # the clerk reassigns two tasks
    wb = openpyxl.load_workbook(plan)
    ws = wb["分解表"]
    r = _row_of(ws, "一.(二)")  # this county's 政务服务 is run by the 政府办
    ws.cell(r, COL["牵头单位"], "县司法局、县市场监督管理局、县人民政府办公室")
    r = _row_of(ws, "二.(六)")  # 供电 belongs to 工信商务, not 发改, here
    cell = ws.cell(r, COL["责任单位"])
    cell.value = "、".join(u for u in cell.value.split("、") if u != "县发展和改革局")
    edited = tmp_path / "2020年分解表_已修改.xlsx"
    wb.save(edited)

    before = units.read_bytes()
    res = learn_from_plan(edited, units)
    assert [(m.superior, m.local, m.task) for m in res.mappings] == [("省政务服务管理局", ["县人民政府办公室"], "一.(二)")]
    assert [(e.unit, e.keywords, e.task) for e in res.exclusions] == [("县发展和改革局", ["供电"], "二.(六)")]
    assert res.valid and res.exit_code == 0
    assert "记住 1 条单位对应关系、1 条排除关键词" in res.summary() and "备份" in res.summary()
    assert {f.type for f in res.findings} == {"decompose-learned"}
    # the backup is the directory as it was; the directory now holds what was learned
    backups = list(tmp_path.glob("部门名录.备份-*.xlsx"))
    assert [str(b) for b in backups] == [res.backup] and backups[0].read_bytes() == before
    learned = load_directory(units)
    assert learned.mappings["省政务服务管理局"] == ["县人民政府办公室"]
    assert learned.get("县发展和改革局").excluded_keywords == ["供电"]
    assert len(learned.units) == 50 and learned.mappings["省委网信办"] == ["县人民政府办公室"]  # nothing else lost
    rows = list(openpyxl.load_workbook(units)["映射"].iter_rows(values_only=True))
    assert rows[-1][:2] == ("省政务服务管理局", "县人民政府办公室") and "一.(二)" in rows[-1][2]

    # year 2: a new list with the same units maps the same way without edits
    year2_text = SEED_004.read_text(encoding="utf-8").replace("2020", "2021")
    src2 = tmp_path / "2021年要点.txt"
    src2.write_text(year2_text, encoding="utf-8")
    doc2 = decompose(parse_file(src2), learned, area="武定县")
    assert doc2.year == 2021
    t = doc2.find("一.(二)")
    assert t.lead_local == ["县司法局", "县市场监督管理局", "县人民政府办公室"]
    assert ("省政务服务管理局", "alias") in [(a.source, a.rule) for a in t.assignment_notes]
    t = doc2.find("二.(六)")
    assert "县发展和改革局" not in t.others_local and "县工业商务和信息化局" in t.responsible_local

    # learning the same table again changes nothing and makes no second backup
    again = learn_from_plan(edited, units)
    assert (again.mappings, again.exclusions, again.backup) == ([], [], "")
    assert "没有需要记住的修改" in again.summary()
    assert len(list(tmp_path.glob("部门名录.备份-*.xlsx"))) == 1


def test_unedited_plan_teaches_nothing(year1):
    units, plan, _ = year1
    before = units.read_bytes()
    res = learn_from_plan(plan, units)
    assert (res.mappings, res.exclusions, res.backup, res.findings) == ([], [], "", [])
    assert units.read_bytes() == before


def test_ambiguous_change_is_reported_not_guessed(year1, tmp_path):
    units, plan, _ = year1
    wb = openpyxl.load_workbook(plan)
    ws = wb["分解表"]
    # 一.(三): 省卫生健康委、省应急厅 → both replaced by one unit: which superior unit means it?
    ws.cell(_row_of(ws, "一.(三)"), COL["牵头单位"], "县人民政府办公室")
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    res = learn_from_plan(edited, units)
    assert res.mappings == [] and [f.type for f in res.findings] == ["decompose-learn-skipped"]
    assert "一.(三)" in res.findings[0].message and not res.valid
    assert read_plan(edited).find("一.(三)").lead_local == ["县人民政府办公室"]


def test_csv_directory_cannot_be_written(tmp_path, year1):
    _, plan, _ = year1
    csv = tmp_path / "名录.csv"
    csv.write_text("单位名称\n县财政局\n", encoding="utf-8")
    with pytest.raises(DirectoryError, match="另存为 .xlsx"):
        learn_from_plan(plan, csv)
