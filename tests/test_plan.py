"""The 分解表 workbook: layout as written, LibreOffice rendering, and editing round trips."""

from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from _decompose_helpers import SEED_004, hand_document, png_gray_rows
from zwgk_xl.decompose import decompose, decompose_file
from zwgk_xl.core.errors import PlanError
from zwgk_xl.core.office import convert_with_soffice
from zwgk_xl.parse import parse_file
from zwgk_xl.decompose.plan import HEADERS, HIDDEN_COLUMNS, VISIBLE_COLUMNS, is_plan, read_plan, write_plan
from zwgk_xl.core.units import sample_directory_path

COL = {h: i for i, h in enumerate(HEADERS)}


@pytest.fixture(scope="module")
def doc004(county):
    return decompose(parse_file(SEED_004), county, area="武定县", office="县人民政府办公室")


@pytest.fixture()
def plan004(tmp_path, doc004, county):
    return write_plan(doc004, tmp_path / "分解表.xlsx", directory=county, area="武定县", organ="武定县人民政府办公室")


def _rows_by_id(ws) -> dict[str, int]:
    return {ws.cell(r, COL["任务编号"] + 1).value: r for r in range(4, ws.max_row + 1) if ws.cell(r, COL["任务编号"] + 1).value}


def test_layout_as_written(plan004, doc004, county):
    wb = openpyxl.load_workbook(plan004)
    assert wb.sheetnames == ["分解表", "_单位列表", "分配依据", "说明"]
    assert wb["_单位列表"].sheet_state == "hidden"
    ws = wb["分解表"]
    assert ws["A1"].value == "武定县2020年政务公开工作任务分解表"
    assert ws["A2"].value.startswith("依据：《2020年云南省政务公开工作要点》") and "编制单位：武定县人民政府办公室" in ws["A2"].value
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:I1", "A2:I2"}
    assert [c.value for c in ws[3]] == HEADERS
    last = ws.max_row
    assert last == 3 + 4 + 18  # header rows, 4 category rows, 18 tasks
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == f"A3:T{last}"  # hidden columns inside the filter: sorting keeps ids
    dim = ws.column_dimensions["J"]
    assert dim.hidden and (dim.min, dim.max) == (len(VISIBLE_COLUMNS) + 1, len(HEADERS))
    assert not ws.column_dimensions["I"].hidden
    assert ws["C5"].alignment.wrap_text and ws.row_dimensions[5].height > 40
    # print settings
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$3"
    assert ws.print_area == f"'分解表'!$A$1:$I${last}"
    # dropdowns fed from the directory
    dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert set(dvs) == {f"D4:D{last + 200}", f"E4:E{last + 200}", f"F4:F{last + 200}"}
    assert all(dv.type == "list" and dv.formula1 == "单位列表" for dv in dvs.values())
    assert wb.defined_names["单位列表"].attr_text == f"'_单位列表'!$A$1:$A${len(county.choices())}"
    listed = [r[0] for r in wb["_单位列表"].iter_rows(values_only=True)]
    assert listed == county.names + ["县直各部门", "各乡镇(街道)"]
    # reasons sheet: one row per decision, with its rule
    notes = list(wb["分配依据"].iter_rows(values_only=True))
    assert notes[0][:6] == ("任务编号", "工作任务", "角色", "上级单位/原句", "本级单位/本级表述", "规则")
    assert len(notes) - 1 == sum(len(t.assignment_notes) for t in doc004.tasks)
    assert ("一.(四)", "牵头", "省扶贫办", "县乡村振兴局", "别名/对照") in [(r[0], r[2], r[3], r[4], r[5]) for r in notes]
    assert ("一.(二)", "牵头", "省市场监管局", "县市场监督管理局", "层级替换") in [(r[0], r[2], r[3], r[4], r[5]) for r in notes]


def test_cells_with_a_second_reader(plan004, doc004):
    rows = CalamineWorkbook.from_path(str(plan004)).get_sheet_by_name("分解表").to_python()
    tasks = [r for r in rows[3:] if r[COL["行类型"]] == "任务"]
    sections = [r for r in rows[3:] if r[COL["行类型"]] == "分类"]
    assert [r[COL["工作任务"]] for r in sections] == [s.title for s in doc004.roots]
    assert [int(r[0]) for r in tasks] == list(range(1, 19))
    for r, t in zip(tasks, doc004.tasks):
        assert r[COL["任务编号"]] == t.id and r[COL["工作任务"]] == t.title
        assert r[COL["牵头单位"]] == "、".join(t.lead_local) and r[COL["责任单位"]] == "、".join(t.others_local)
        assert r[COL["配合单位"]] == ""  # 按照职责分工负责: every non-lead unit is responsible
        assert r[COL["完成时限"]] == (t.deadline.text or t.deadline.date or "")
        assert t.text.endswith(r[COL["任务要求/细化措施"]]) and r[COL["任务要求/细化措施"]]


def test_round_trip_is_lossless(plan004, doc004):
    back = read_plan(plan004)
    assert back.to_dict(local=True)["tasks"] == doc004.to_dict(local=True)["tasks"]
    assert back.to_dict()["sections"] == doc004.to_dict()["sections"]
    assert (back.title, back.issuer, back.year) == (doc004.title, doc004.issuer, doc004.year)
    assert [a.to_dict() for a in back.find("一.(二)").assignment_notes] == [
        a.to_dict() for a in doc004.find("一.(二)").assignment_notes
    ]
    assert is_plan(plan004) and not is_plan(sample_directory_path("county"))


def test_editing_round_trip(plan004, tmp_path, county):
    """Reassign one task, delete one, sort the rows, add one: the next stage reads exactly that."""
    wb = openpyxl.load_workbook(plan004)
    ws = wb["分解表"]
    ids = _rows_by_id(ws)
    ws.cell(ids["一.(二)"], COL["牵头单位"] + 1, "县司法局")
    ws.cell(ids["一.(二)"], COL["责任单位"] + 1, "县政务服务管理局")
    ws.cell(ids["一.(二)"], COL["配合单位"] + 1, "城关镇人民政府")
    ws.delete_rows(_rows_by_id(ws)["二.(三)"])
    # sort every data row by 牵头单位, as the filter button does
    width = len(HEADERS)
    data = [[ws.cell(r, c).value for c in range(1, width + 1)] for r in range(4, ws.max_row + 1)]
    data.sort(key=lambda v: str(v[COL["牵头单位"]] or ""), reverse=True)
    for r, values in enumerate(data, start=4):
        for c, v in enumerate(values, start=1):
            ws.cell(r, c).value = v
    # add a task right below the category row of section 三
    at = _rows_by_id(ws)["三"] + 1
    ws.insert_rows(at)
    for key, value in [("工作任务", "公开本县政务公开工作年度报告"), ("任务要求/细化措施", "1月31日前在门户网站公开。"),
                       ("牵头单位", "县人民政府办公室"), ("完成时限", "2021年1月31日前")]:
        ws.cell(at, COL[key] + 1, value)
    edited = tmp_path / "分解表_已编辑.xlsx"
    wb.save(edited)
    sheet_order = [ws.cell(r, COL["任务编号"] + 1).value for r in range(4, ws.max_row + 1)]

    plan = read_plan(edited)
    ids_back = [t.id for t in plan.tasks]
    assert "二.(三)" not in ids_back and len(ids_back) == 18
    t = plan.find("一.(二)")
    assert (t.lead_local, t.others_local) == (["县司法局"], ["县政务服务管理局", "城关镇人民政府"])
    assert t.responsible_local == ["县政务服务管理局"]
    assert [(a.rule, a.note[:4]) for a in t.assignment_notes][-3:] == [
        ("manual", "[牵头]"), ("manual", "[责任]"), ("manual", "[配合]")]
    new = [t for t in plan.tasks if t.id.startswith("新增-")]
    assert len(new) == 1 and plan.parent_of(new[0].id).id == "三"
    assert (new[0].title, new[0].lead_local, new[0].deadline.date) == ("公开本县政务公开工作年度报告", ["县人民政府办公室"], "2021-01-31")
    assert read_plan(edited).find(new[0].id) is not None  # the new id is stable
    # within each section, tasks keep the sorted sheet order
    for section in plan.sections:
        kids = [c.id for c in section.children if c.is_task and not c.id.startswith("新增-")]
        assert kids == [i for i in sheet_order if i in kids]
    # the next stage (decompose again, then split) sees the edit and keeps the ids
    again = decompose_file(edited, sample_directory_path("county"), output=tmp_path / "分解表2.xlsx")
    assert [t.id for t in again.tasks] == ids_back
    assert again.find("一.(二)").lead_local == ["县司法局"]
    assert [t.id for t in read_plan(tmp_path / "分解表2.xlsx").tasks] == ids_back


def test_plan_errors_name_the_row(plan004, tmp_path):
    wb = openpyxl.load_workbook(plan004)
    ws = wb["分解表"]
    src = _rows_by_id(ws)["一.(一)"]
    ws.append([ws.cell(src, c).value for c in range(1, len(HEADERS) + 1)])
    dup = tmp_path / "dup.xlsx"
    wb.save(dup)
    with pytest.raises(PlanError, match=rf"第{ws.max_row}行的任务编号「一.\(一\)」与第{src}行重复"):
        read_plan(dup)

    wb = openpyxl.load_workbook(plan004)
    ws = wb["分解表"]
    ws.append([None, None, None, "县司法局"])
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    with pytest.raises(PlanError, match=rf"第{ws.max_row}行填写了责任单位，但“工作任务”和“任务要求”都是空的"):
        read_plan(bad)

    wb = openpyxl.load_workbook(plan004)
    wb["分解表"].delete_cols(COL["任务编号"] + 1, len(HIDDEN_COLUMNS))
    nohidden = tmp_path / "nohidden.xlsx"
    wb.save(nohidden)
    with pytest.raises(PlanError, match="不要删除隐藏列"):
        read_plan(nohidden)


def test_rewrite_is_atomic_and_repeatable(tmp_path, county):
    doc = decompose(hand_document(), county)
    out = tmp_path / "sub" / "p.xlsx"
    write_plan(doc, out)  # no directory: dropdown from the units used
    first = read_plan(out).to_dict(local=True)
    write_plan(doc, out, directory=county)
    assert read_plan(out).to_dict(local=True) == first
    assert sorted(p.name for p in out.parent.iterdir()) == ["p.xlsx"]
    wb = openpyxl.load_workbook(out)
    assert "待人工指定" in [r[0] for r in wb["说明"].iter_rows(values_only=True)]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_renders_the_plan(plan004, tmp_path):
    pdf = convert_with_soffice(plan004, "pdf", tmp_path / "pdf")
    assert pdf.is_file()
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    rows = png_gray_rows(png)
    dark = sum(1 for r in rows for v in r if v < 128)
    assert dark / (len(rows) * len(rows[0])) > 0.005  # not blank: text and borders drawn
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "任务分解表" in text and "提高人员素质" in text and "县市场监督管理局" in text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_plan_resaved_by_libreoffice_reads_the_same(plan004, tmp_path):
    resaved = convert_with_soffice(plan004, "xlsx", tmp_path / "resaved")
    assert read_plan(resaved).to_dict(local=True) == read_plan(plan004).to_dict(local=True)
    ws = openpyxl.load_workbook(resaved)["分解表"]
    assert ws.column_dimensions["J"].hidden and ws.auto_filter.ref.startswith("A3:T")


def test_task_texts_stay_text_in_the_plan(tmp_path, county):
    """A task written as a bare address, or shaped like rich-text markup, is kept as its text."""
    doc = decompose(hand_document(), county)
    tasks = doc.tasks
    tasks[0].title, tasks[1].title = "https://www.gov.cn/zhengce/", "<r>统一</r>"
    out = write_plan(doc, tmp_path / "p.xlsx")
    back = read_plan(out)
    assert [t.title for t in back.tasks[:2]] == ["https://www.gov.cn/zhengce/", "<r>统一</r>"]
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert not ws._hyperlinks and all(c.hyperlink is None for row in ws.iter_rows() for c in row)
