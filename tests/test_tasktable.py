"""上级任务.xlsx from ``parse -o``: layout and printing, and a round trip equal to ``--json``."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from _readers_helpers import copy_fixture
from zwgk_xl.cli import main
from zwgk_xl.core.errors import InputError
from zwgk_xl.parse import parse_file
from zwgk_xl.parse.tasktable import COLUMNS, read_task_table, write_task_table


def _parse_cli(tmp_path, seed):
    src = copy_fixture(seed, tmp_path)
    out = tmp_path / "上级任务.xlsx"
    r = CliRunner().invoke(main, ["parse", str(src), "-o", str(out), "--json"])
    result = json.loads(r.output)
    assert r.exit_code == result["exit_code"] and r.exit_code in (0, 1), r.output
    return result["document"], out


def _calamine_tasks(path: Path) -> list[dict]:
    """Tasks as a second reader (python-calamine) sees them in the 任务清单 sheet."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("任务清单").to_python()
    header = rows[1]
    assert header[: len(COLUMNS)] == COLUMNS
    col = {name: i for i, name in enumerate(header)}
    out = []
    for row in rows[2:]:
        if row[col["类型"]] != "任务":
            continue

        def lines(name):
            return [s for s in row[col[name]].split("\n") if s]

        out.append({
            "id": row[col["编号"]], "path": row[col["层级路径"]].split(" / "),
            "title": row[col["工作任务"]], "text": row[col["任务要求"]],
            "lead": lines("牵头单位"), "others": lines("责任单位"),
            "deadline": row[col["完成时限"]] if row[col["完成时限"]] not in ("", "长期") else None,
            "deadline_text": row[col["时限原文"]],
        })
    return out


@pytest.mark.parametrize("seed", ["004", "000"])
def test_round_trip_xlsx_holds_the_same_tasks_as_json(tmp_path, seed):
    data, out = _parse_cli(tmp_path, seed)
    keys = ["id", "path", "title", "text", "lead", "others", "deadline", "deadline_text"]
    expected = [{k: t[k] for k in keys} for t in data["tasks"]]
    assert len(expected) == {"004": 18, "000": 14}[seed]
    assert _calamine_tasks(out) == expected
    # and our own reader gives back the whole document
    assert read_task_table(out).to_dict() == data


def test_compound_unit_names_survive_the_round_trip(tmp_path):
    data, out = _parse_cli(tmp_path, "004")
    t = next(t for t in _calamine_tasks(out) if t["id"] == "一.(一)")
    assert t["others"] == ["省直有关部门", "各州、市人民政府"]
    assert t["lead"] == [] and data["tasks"][0]["others"] == t["others"]


def test_layout_is_readable_and_printable(tmp_path):
    data, out = _parse_cli(tmp_path, "004")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["任务清单", "文件信息"]
    ws = wb["任务清单"]
    assert ws["A1"].value == "2020年云南省政务公开工作要点"
    assert [c.value for c in ws[2]] == COLUMNS
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref.startswith("A2:")
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)  # 1 is the default
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$2:$2"
    assert ws.column_dimensions["J"].hidden  # 类型 (section/task) is for read-back only
    section = next(r for r in ws.iter_rows(min_row=3) if r[9].value == "标题")
    task = next(r for r in ws.iter_rows(min_row=3) if r[9].value == "任务")
    assert section[2].fill.fgColor.rgb.endswith("F2F2F2") and section[2].font.b
    assert task[3].alignment.wrap_text
    assert task[2].fill.fgColor.rgb in (None, "00000000")
    info = {r[0].value: r[1].value for r in wb["文件信息"].iter_rows() if r[0].value != "警告"}
    assert info["标题"] == "2020年云南省政务公开工作要点" and info["年度"] == "2020" and info["任务数"] == "18"
    warnings = [r[1].value for r in wb["文件信息"].iter_rows() if r[0].value == "警告"]
    assert warnings == data["warnings"] and any("重复" in w for w in warnings)


def test_rewrite_replaces_atomically_and_leaves_no_temp_files(tmp_path):
    doc = parse_file(copy_fixture("000", tmp_path))
    out = tmp_path / "out" / "上级任务.xlsx"
    write_task_table(doc, out)
    first = read_task_table(out).to_dict()
    write_task_table(doc, out)  # re-running is safe
    assert read_task_table(out).to_dict() == first
    assert sorted(p.name for p in out.parent.iterdir()) == ["上级任务.xlsx"]


def test_bad_output_name_and_foreign_workbook(tmp_path):
    doc = parse_file(copy_fixture("000", tmp_path))
    with pytest.raises(InputError, match=".xlsx"):
        write_task_table(doc, tmp_path / "上级任务.xls")
    other = tmp_path / "别的.xlsx"
    openpyxl.Workbook().save(other)
    with pytest.raises(InputError, match="任务清单"):
        read_task_table(other)
