"""``split`` end to end: the sample county directory, seed 004, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from _split_helpers import table, task_sheet_rows, verify_checksum
from zwgk_xl.forms import spec as fs
from zwgk_xl.cli import main
from zwgk_xl.core.errors import FormError
from zwgk_xl.forms.metadata import read_form_metadata
from zwgk_xl.forms.writer import form_file_name, write_forms
from zwgk_xl.core.model import Document, Node
from zwgk_xl.core.units import sample_directory_path

ROUND = "2021年第二季度"
SEED = Path(__file__).parent / "fixtures" / "004_c4b3b1eb13022469.txt"


def assert_every_task_in_its_units_forms(plan: Document, directory, infos) -> None:
    """Each unit with a task has exactly one form; each task is in its lead's and cooperators' forms."""
    expected: dict[str, dict[str, str]] = {}
    for t in plan.tasks:
        responsible = [u for u in t.others_local if u in t.responsible_local]
        for role, names in (("牵头", t.lead_local), ("责任", responsible),
                            ("配合", [u for u in t.others_local if u not in responsible])):
            for name in names:
                for unit in directory.expand(name) or [name]:
                    expected.setdefault(unit, {}).setdefault(t.id, role)
    assert sorted(i.unit for i in infos) == sorted(expected)
    assert len({i.path for i in infos}) == len(infos)
    for info in infos:
        rows = table(task_sheet_rows(info.path))
        assert {r["id"]: r["role"] for r in rows} == expected[info.unit], info.unit
        meta = read_form_metadata(info.path)
        assert meta["unit"] == info.unit and verify_checksum(info.path, meta)


def test_groups_of_the_sample_county_expand_to_members(county, tmp_path):
    sec = Node(id="一", path=["一"])
    sec.children = [
        Node(id="一.(一)", path=["一", "(一)"], title="甲", text="甲。", is_task=True,
             lead_local=["县人民政府办公室"], others_local=["县直各部门", "各乡镇(街道)"]),
        Node(id="一.(二)", path=["一", "(二)"], title="乙", text="乙。", is_task=True,
             lead_local=["县司法局"], others_local=["县市场监督管理局"]),
    ]
    plan = Document(roots=[sec])
    infos = write_forms(plan, county, ROUND, "2021-06-25", tmp_path)
    assert len(infos) == len(set(county.expand("县直各部门")) | set(county.expand("各乡镇(街道)"))
                             | {"县人民政府办公室"})
    assert_every_task_in_its_units_forms(plan, county, infos)


def test_a_generic_name_unknown_to_the_directory_is_an_error(county, tmp_path):
    sec = Node(id="一", path=["一"])
    sec.children = [Node(id="一.(一)", path=["一", "(一)"], is_task=True, lead_local=["县直有关部门"])]
    with pytest.raises(FormError, match="县直有关部门"):
        write_forms(Document(roots=[sec]), county, ROUND, "2021-06-25", tmp_path)


@pytest.fixture(scope="module")
def seed_plan(county):
    from zwgk_xl.decompose import decompose
    from zwgk_xl.parse import parse_file

    return decompose(parse_file(SEED), county)


def test_seed_004_every_unit_gets_one_form_holding_its_tasks(seed_plan, county, tmp_path):
    assert len(seed_plan.tasks) == 18
    infos = write_forms(seed_plan, county, ROUND, "2021-06-25", tmp_path)
    assert_every_task_in_its_units_forms(seed_plan, county, infos)
    by_unit = {i.unit: i for i in infos}
    assert "县司法局" in by_unit and "县市场监督管理局" in by_unit  # leads of 一.(二) at county level
    assert len(infos) >= 40  # 县直各部门 and 各乡镇(街道) reach every unit


@pytest.fixture(scope="module")
def plan_file(seed_plan, county, tmp_path_factory):
    from zwgk_xl.decompose.plan import write_plan

    path = tmp_path_factory.mktemp("plan") / "分解表.xlsx"
    write_plan(seed_plan, path, directory=county)
    return path


def test_cli_split_json_equals_library_result(plan_file, tmp_path):
    units = sample_directory_path("county")
    out = tmp_path / "下发"
    args = ["split", str(plan_file), "--units", str(units), "--round", ROUND, "--due", "2021-06-25",
            "-o", str(out), "--no-ledger", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)["forms"]
    from zwgk_xl.forms import run_split

    lib = run_split(plan_file, units=units, round=ROUND, due="2021-06-25", output=tmp_path / "lib", use_ledger=False)
    assert [(d["unit"], d["task_count"]) for d in listed] == [(f.unit, f.task_count) for f in lib.forms]
    for d in listed:
        path = Path(d["path"])
        assert path.parent == out and path.name == form_file_name(ROUND, d["unit"]) and path.is_file()


def test_cli_split_with_ledger_records_plan_and_prefills(plan_file, tmp_path, monkeypatch):
    from zwgk_xl.ledger import Ledger

    ws = tmp_path / "台账"
    ws.mkdir()
    monkeypatch.chdir(ws)
    units = sample_directory_path("county")
    args = ["split", str(plan_file), "--units", str(units), "--round", ROUND, "--due", "2021-06-25", "-o", "下发"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "共生成" in result.output
    with Ledger.open(ws) as ledger:
        assert ledger.plan_for_round(ROUND) is not None
        ledger_id = ledger.ledger_id
    form = next((ws / "下发").glob("*.xlsx"))
    assert read_form_metadata(form)["ledger_id"] == ledger_id


def test_cli_split_bad_input_is_one_chinese_line(tmp_path):
    result = CliRunner().invoke(main, ["split", str(tmp_path / "无.xlsx"), "--units", str(tmp_path / "名录.xlsx"),
                                       "--round", ROUND, "--due", "2021-06-25", "-o", str(tmp_path), "--no-ledger"])
    assert result.exit_code == 2
    assert result.stderr.startswith("错误：找不到分解表") and "无.xlsx" in result.stderr
    assert "Traceback" not in result.output


def test_previous_round_answers_come_from_the_real_ledger(county, tmp_path):
    from zwgk_xl.ledger.store import Ledger, Submission

    sec = Node(id="一", path=["一"])
    sec.children = [Node(id=f"一.({i})", path=["一", f"({i})"], title=f"任务{i}", text="要求。", is_task=True,
                         lead_local=["县司法局"]) for i in (1, 2)]
    plan = Document(roots=[sec])
    values = {"row": 6, "role": "牵头", "status": "已完成", "status_raw": "已完成", "progress": "公开 12 条",
              "done_date": "2021-03-20", "problems": "无", "next_steps": "", "evidence": "http://x.gov.cn/1"}
    with Ledger.open(tmp_path / "台账") as ledger:
        ledger.store_plan("2021年第一季度", plan)
        ledger.store_submission(Submission(
            round="2021年第一季度", unit="县司法局", sha256="a" * 64, file_name="司法局.xlsx",
            received_at="2021-03-30T10:00:00", identified_by="meta", filler="赵六", phone="13900000000",
            values={"一.(1)": values}))
        infos = write_forms(plan, county, ROUND, "2021-06-25", tmp_path / "下发", ledger=ledger)
        ledger_id = ledger.ledger_id
    assert [(i.unit, i.prefilled) for i in infos] == [("县司法局", 1)]
    rows = task_sheet_rows(infos[0].path)
    first, second = table(rows)
    assert (first["status"], first["progress"], first["evidence"]) == ("已完成", "公开 12 条", "http://x.gov.cn/1")
    assert str(first["done_date"])[:10] == "2021-03-20"
    assert second["status"] in ("", None) and second["progress"] in ("", None)
    assert fs.find_form_fields(rows)["filler"] == "赵六"
    assert read_form_metadata(infos[0].path)["ledger_id"] == ledger_id


def test_cli_warns_about_forms_left_from_an_earlier_run(plan_file, tmp_path):
    out = tmp_path / "下发"
    out.mkdir()
    (out / form_file_name(ROUND, "已撤销的单位")).write_bytes(b"old")
    args = ["split", str(plan_file), "--units", str(sample_directory_path("county")), "--round", ROUND,
            "--due", "2021-06-25", "-o", str(out), "--no-ledger"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "已撤销的单位" in result.stdout and "请勿下发" in result.stdout
