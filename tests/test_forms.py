"""Fill-in forms: layout, validations, protection, metadata, file names, pre-fill."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from _split_helpers import (small_plan, soffice_convert, table, task_sheet_rows, unlocked_cells,
                            verify_checksum)
from zwgk_xl.forms import spec as fs
from zwgk_xl.core.errors import FormError, UsageError
from zwgk_xl.forms.metadata import read_form_metadata
from zwgk_xl.forms.writer import form_file_name, safe_name, write_forms
from zwgk_xl.core.model import Document, UnitReport

ROUND = "2021年第二季度"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    plan, directory = small_plan()
    out = tmp_path_factory.mktemp("forms")
    infos = write_forms(plan, directory, ROUND, "2021-06-25", out, contact="张三 0878-1234567")
    return plan, {i.unit: i for i in infos}


def col(key: str) -> str:
    return get_column_letter(fs.COLUMN_INDEX[key] + 1)


EXPECTED = {  # unit -> [(task id, role)]
    "县人民政府办公室": [("一.(一)", "牵头"), ("一.(二)", "配合")],
    "县财政局": [("一.(一)", "配合"), ("一.(三)", "牵头")],
    "县教育体育局": [("一.(一)", "配合"), ("一.(四)", "牵头")],
    "县司法局": [("一.(一)", "配合"), ("一.(二)", "牵头")],
    "城关镇": [("一.(二)", "配合")],
    "东山乡": [("一.(二)", "配合")],
}


def test_one_form_per_unit_with_its_tasks_and_roles(written):
    _, infos = written
    assert set(infos) == set(EXPECTED)  # aliases resolved, groups expanded, no form for a group
    for unit, info in infos.items():
        assert info.path.name == f"{ROUND}_{unit}_落实情况填报表.xlsx"
        rows = table(task_sheet_rows(info.path))
        assert [(r["id"], r["role"]) for r in rows] == EXPECTED[unit]
        assert info.task_count == len(EXPECTED[unit])


def test_locked_content_and_header_block(written):
    plan, infos = written
    path = infos["县人民政府办公室"].path
    rows = task_sheet_rows(path)
    assert fs.find_header_row(rows) == fs.HEADER_ROW
    assert fs.find_header(rows) == (fs.HEADER_ROW, fs.COLUMN_INDEX)  # what merge reads: the writer's layout
    assert fs.find_form_field_cells(rows) == fs.FORM_FIELD_CELLS
    assert rows[fs.HEADER_ROW][: len(fs.HEADERS)] == fs.HEADERS
    assert "县人民政府办公室" in rows[fs.TITLE_ROW][0] and ROUND in rows[fs.TITLE_ROW][0]
    notes = rows[fs.NOTES_ROW][0]
    assert "填报说明" in notes and "2021-06-25" in notes and "张三 0878-1234567" in notes
    data = table(rows)
    first = plan.find("一.(一)")
    assert data[0]["title"] == first.title and data[0]["text"] == first.text  # formula-like text kept as text
    assert data[0]["deadline"] == "2021-12-31"
    assert data[1]["deadline"] == "长期推进"
    assert fs.find_form_fields(rows) == {"filler": "李四", "phone": "0878-1111111", "fill_date": ""}


def test_validations_on_the_right_ranges(written):
    _, infos = written
    ws = openpyxl.load_workbook(infos["县司法局"].path)[fs.TASK_SHEET]
    first, last = fs.FIRST_DATA_ROW + 1, fs.FIRST_DATA_ROW + 2
    dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    status = dvs[f"{col('status')}{first}:{col('status')}{last}"]
    assert status.type == "list"
    assert status.formula1.strip('"').split(",") == fs.STATUS_LIST
    assert status.showErrorMessage and status.showInputMessage and status.promptTitle == "完成状态"
    done = dvs[f"{col('done_date')}{first}:{col('done_date')}{last}"]
    assert done.type == "date" and done.operator in (None, "between")
    excel_epoch = dt.date(1899, 12, 30)
    assert (int(done.formula1), int(done.formula2)) == ((dt.date(2000, 1, 1) - excel_epoch).days,
                                                         (dt.date(2100, 12, 31) - excel_epoch).days)
    for key in ("progress", "problems", "next_steps", "evidence"):
        dv = dvs[f"{col(key)}{first}:{col(key)}{last}"]
        assert dv.showInputMessage and dv.prompt
    row, c = fs.FORM_FIELD_CELLS["fill_date"]
    assert dvs[f"{get_column_letter(c + 1)}{row + 1}"].type == "date"
    assert len(dvs) == len(fs.INPUT_COLUMNS) + len(fs.FORM_FIELDS)


def test_missing_answers_are_tinted(written):
    _, infos = written
    ws = openpyxl.load_workbook(infos["县司法局"].path)[fs.TASK_SHEET]
    first, last = fs.FIRST_DATA_ROW + 1, fs.FIRST_DATA_ROW + 2
    rules = {str(rng.sqref): [r for r in rng.rules] for rng in ws.conditional_formatting}
    assert rules[f"{col('status')}{first}:{col('status')}{last}"][0].type == "containsBlanks"
    done = rules[f"{col('done_date')}{first}:{col('done_date')}{last}"][0]
    assert done.formula == [f'AND(${col("status")}{first}="已完成",${col("done_date")}{first}="")']


def test_protection_with_exactly_the_input_cells_unlocked(written):
    _, infos = written
    path = infos["县财政局"].path
    wb = openpyxl.load_workbook(path)
    ws = wb[fs.TASK_SHEET]
    assert ws.protection.sheet
    assert ws.protection.formatColumns is False and ws.protection.autoFilter is False  # allowed
    assert ws.protection.insertRows and ws.protection.deleteRows  # not allowed
    expected = {f"{get_column_letter(c + 1)}{r + 1}" for r, c in fs.FORM_FIELD_CELLS.values()}
    expected |= {f"{col(k)}{fs.FIRST_DATA_ROW + 1 + i}" for k, _ in fs.INPUT_COLUMNS for i in range(2)}
    assert unlocked_cells(path) == expected
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.print_title_rows == f"${fs.HEADER_ROW + 1}:${fs.HEADER_ROW + 1}"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert wb[fs.META_SHEET].sheet_state == "veryHidden"


def test_metadata_verifies_in_all_three_places(written):
    _, infos = written
    path = infos["县教育体育局"].path
    meta = read_form_metadata(path)
    assert meta["meta_source"] == "sheet"
    assert meta["unit"] == "县教育体育局" and meta["round"] == ROUND and meta["due"] == "2021-06-25"
    assert meta["template_version"] == fs.TEMPLATE_VERSION
    assert meta["task_ids"] == ["一.(一)", "一.(四)"]
    assert verify_checksum(path, meta)
    wb = openpyxl.load_workbook(path)
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["zwgk_unit"] == "县教育体育局" and props["zwgk_checksum"] == meta["checksum"]
    assert wb.defined_names["zwgk_round"].attr_text == f'"{ROUND}"'
    sheets = CalamineWorkbook.from_path(str(path)).sheets_metadata
    assert [str(s.visible).rsplit(".", 1)[-1] for s in sheets] == ["Visible", "VeryHidden"]


def test_checksum_detects_edited_locked_text(written, tmp_path):
    _, infos = written
    src = infos["县财政局"].path
    meta = read_form_metadata(src)
    wb = openpyxl.load_workbook(src)
    wb[fs.TASK_SHEET].cell(fs.FIRST_DATA_ROW + 1, fs.COLUMN_INDEX["text"] + 1).value = "改过的要求"
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    assert not verify_checksum(edited, meta)
    assert verify_checksum(src, meta)


def _strip_from_zip(src: Path, dst: Path, drop=(), edit=None) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename in drop:
                continue
            data = zin.read(item.filename)
            if edit and item.filename in edit:
                data = edit[item.filename](data.decode()).encode()
            zout.writestr(item, data)


def test_metadata_falls_back_to_properties_then_names(written, tmp_path):
    _, infos = written
    src = infos["城关镇"].path
    wb = openpyxl.load_workbook(src)
    del wb[fs.META_SHEET]
    no_sheet = tmp_path / "no_sheet.xlsx"
    wb.save(no_sheet)
    meta = read_form_metadata(no_sheet)
    assert meta["meta_source"] == "properties" and meta["unit"] == "城关镇" and meta["task_ids"] == ["一.(二)"]
    only_names = tmp_path / "only_names.xlsx"
    _strip_from_zip(no_sheet, only_names, drop=("docProps/custom.xml",))
    meta = read_form_metadata(only_names)
    assert meta["meta_source"] == "names" and meta["unit"] == "城关镇" and meta["round"] == ROUND
    bare = tmp_path / "bare.xlsx"
    openpyxl.Workbook().save(bare)
    assert read_form_metadata(bare) is None


def test_long_task_id_lists_survive_the_255_character_limit(tmp_path):
    from _split_helpers import StandInDirectory, task
    from zwgk_xl.core.model import Node

    sec = Node(id="一", path=["一"])
    sec.children = [task(f"一.(十{i}).{i}", ["县财政局"]) for i in range(80)]
    infos = write_forms(Document(roots=[sec]), StandInDirectory({"县财政局": {}}, {}), ROUND, "2021-06-25", tmp_path)
    wb = openpyxl.load_workbook(infos[0].path)
    del wb[fs.META_SHEET]
    wb.save(tmp_path / "x.xlsx")
    meta = read_form_metadata(tmp_path / "x.xlsx")
    assert meta["meta_source"] == "properties"
    assert meta["task_ids"] == [t.id for t in sec.children]
    assert all(len(str(p.value)) <= 255 for p in wb.custom_doc_props.props)


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_libreoffice_resave_keeps_metadata_and_data(tmp_path, fmt):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    plan, directory = small_plan()
    infos = {i.unit: i for i in write_forms(plan, directory, ROUND, "2021-06-25", tmp_path / "forms",
                                            ledger=FakeLedger())}
    copy = tmp_path / "form.xlsx"
    shutil.copy(infos["县财政局"].path, copy)  # pre-filled answers stand in for a clerk's input
    out = soffice_convert(copy, fmt, tmp_path / "out")
    meta = read_form_metadata(out)
    # The hidden sheet survives every format (LibreOffice turns "very hidden" into "hidden"),
    # so merge uses it; properties and names survive as well.
    assert meta["meta_source"] == "sheet"
    assert meta["unit"] == "县财政局" and meta["round"] == ROUND and meta["task_ids"] == ["一.(一)", "一.(三)"]
    assert meta["ledger_id"] == "led-123"
    assert verify_checksum(out, meta)
    from zwgk_xl.forms.metadata import _fallback_sources, _from_items

    for source, items in _fallback_sources(out):
        fallback = _from_items(items)
        assert fallback and fallback["checksum"] == meta["checksum"], source
    rows = task_sheet_rows(out)
    first = table(rows)[0]
    assert (first["status"], first["progress"]) == ("推进中", "已公开 12 条")
    assert str(first["done_date"])[:10] == "2021-03-20"
    assert fs.find_form_fields(rows)["filler"] == "王五"
    if fmt == "xlsx":
        ws = openpyxl.load_workbook(out)[fs.TASK_SHEET]
        assert ws.protection.sheet
        assert {dv.type for dv in ws.data_validations.dataValidation} >= {"list", "date"}
        assert unlocked_cells(out) == unlocked_cells(copy)


def test_safe_windows_names():
    assert safe_name('a\\b/c:d*e?f"g<h>i|j') == "a_b_c_d_e_f_g_h_i_j"
    assert safe_name("CON") == "_CON" and safe_name("nul.txt") == "_nul.txt"
    assert safe_name("  局. ") == "局" and safe_name("...") == "_"
    assert len(safe_name("很长的单位名称" * 30)) == 60
    name = form_file_name("2021/第二季度", "州生态环境局X县分局:")
    assert name == "2021_第二季度_州生态环境局X县分局__落实情况填报表.xlsx"


def test_names_equal_after_sanitising_get_distinct_files(tmp_path):
    from _split_helpers import StandInDirectory, task
    from zwgk_xl.core.model import Node

    sec = Node(id="一", path=["一"])
    sec.children = [task("一.(一)", ["甲/乙局", "甲:乙局"])]
    infos = write_forms(Document(roots=[sec]), StandInDirectory({}, {}), ROUND, "2021-06-25", tmp_path)
    assert len({i.path for i in infos}) == 2 and all(i.path.is_file() for i in infos)


class FakeLedger:
    ledger_id = "led-123"

    def previous_round(self, round):
        return "2021年第一季度" if round == ROUND else None

    def latest_reports(self, round):
        assert round == "2021年第一季度"
        return {("一.(一)", "县财政局"): UnitReport(unit="县财政局", role="配合", status="推进中", progress="已公开 12 条",
                                                 done_date="2021-03-20", filler="王五", phone="13800000000")}


def test_previous_round_answers_are_prefilled(tmp_path):
    plan, directory = small_plan()
    infos = {i.unit: i for i in write_forms(plan, directory, ROUND, "2021-06-25", tmp_path, ledger=FakeLedger())}
    assert infos["县财政局"].prefilled == 1 and infos["县司法局"].prefilled == 0
    rows = task_sheet_rows(infos["县财政局"].path)
    first = table(rows)[0]
    assert (first["status"], first["progress"]) == ("推进中", "已公开 12 条")
    assert first["done_date"] in (dt.datetime(2021, 3, 20), dt.date(2021, 3, 20))
    assert fs.find_form_fields(rows)["filler"] == "王五"
    assert read_form_metadata(infos["县财政局"].path)["ledger_id"] == "led-123"


@pytest.mark.parametrize("due", ["2021-06-25", "2021/6/25", "2021年6月25日", " 2021.06.25 "])
def test_due_dates_are_written_iso(tmp_path, due):
    plan, directory = small_plan()
    info = write_forms(plan, directory, ROUND, due, tmp_path)[0]
    assert read_form_metadata(info.path)["due"] == "2021-06-25"


def test_rerun_overwrites_and_leaves_no_temp_files(tmp_path):
    plan, directory = small_plan()
    write_forms(plan, directory, ROUND, "2021-06-25", tmp_path)
    write_forms(plan, directory, ROUND, "2021-06-25", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(form_file_name(ROUND, u) for u in EXPECTED)


def test_errors_are_clear(tmp_path):
    plan, directory = small_plan()
    with pytest.raises(UsageError, match="--round"):
        write_forms(plan, directory, " ", "2021-06-25", tmp_path)
    for t in plan.tasks:
        t.lead_local, t.others_local = [], []
    with pytest.raises(FormError, match="责任单位"):
        write_forms(plan, directory, ROUND, "2021-06-25", tmp_path)
    plan, directory = small_plan()
    directory.groups["县直各部门"] = []
    with pytest.raises(FormError, match="县直各部门"):
        write_forms(plan, directory, ROUND, "2021-06-25", tmp_path)
    plan, directory = small_plan()
    plan.tasks[1].id = plan.tasks[0].id
    with pytest.raises(FormError, match="重复"):
        write_forms(plan, directory, ROUND, "2021-06-25", tmp_path)
    with pytest.raises(FormError, match="找不到"):
        read_form_metadata("/nonexistent/a.xlsx")


GOLDEN = Path(__file__).parent / "fixtures" / "golden"


@pytest.mark.parametrize("unit", ["县财政局", "城关镇"])
def test_form_matches_its_golden_description(written, unit):
    """Layout drift breaks merge: compare with the reviewed description (ZWGK_UPDATE_GOLDEN=1 rewrites it)."""
    import json
    import os

    from _split_helpers import describe_form

    _, infos = written
    got = json.loads(json.dumps(describe_form(infos[unit].path), ensure_ascii=False))
    golden = GOLDEN / f"split_small_plan_{unit}.json"
    if os.environ.get("ZWGK_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(golden.read_text(encoding="utf-8"))
