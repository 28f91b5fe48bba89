"""End to end: forms written, filled like a department does, merged into a ledger, reported.

The statistics in the report are checked against counts made here, independently,
from the filled form files themselves (read back with python-calamine).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document as open_docx
from python_calamine import CalamineWorkbook

from _merge_helpers import fill
from zwgk_xl.decompose.assign import assignment_ids
from zwgk_xl.forms import spec as fs
from zwgk_xl.cli import main
from zwgk_xl.forms.metadata import read_form_metadata
from zwgk_xl.forms.writer import write_forms
from zwgk_xl.ledger.store import Ledger
from zwgk_xl.merge.master import build_master, write_master
from zwgk_xl.merge.command import merge_folder
from zwgk_xl.core.model import STATUSES, Deadline, Document, Node
from zwgk_xl.report.render import report_workspace
from zwgk_xl.core.units import load_directory, sample_directory_path

Q1, Q2, Q3 = "2021年第一季度", "2021年第二季度", "2021年第三季度"
FIN, DRC, GOV, SAMR, TAX = "县财政局", "县发展和改革局", "县政务服务管理局", "县市场监督管理局", "国家税务总局X县税务局"


def _task(id_, path, title, lead, others=(), date=None):
    dl = Deadline(date=date, text=date or "长期坚持", kind="date" if date else "长期")
    return Node(id=id_, path=list(path), title=title, text=title + ",按期公开相关信息。", is_task=True,
                lead_local=list(lead), others_local=list(others), deadline=dl)


def plan() -> Document:
    s1 = Node(id="一", path=["一"], title="以政务公开助力稳增长", children=[
        _task("一.(一)", ["一", "(一)"], "推进减税降费信息公开", [FIN], [TAX], "2021-06-30"),
        _task("一.(二)", ["一", "(二)"], "推进重大项目信息公开", [DRC], [FIN], "2021-03-31"),
    ])
    s2 = Node(id="二", path=["二"], title="以政务公开助力促改革", children=[
        _task("二.(一)", ["二", "(一)"], "推进“放管服”改革信息公开", [GOV], [SAMR]),
        _task("二.(二)", ["二", "(二)"], "推进“双随机、一公开”监管", [SAMR], [], "2021-12-31"),
        _task("二.(三)", ["二", "(三)"], "深入推进预决算公开", [FIN], [], "2021-05-31"),
    ])
    return Document(title="2021年X县政务公开工作要点", doc_number="X政办发〔2021〕5号", year=2021,
                    roots=[s1, s2], cited=["《2021年楚雄州政务公开工作要点》(楚政办发〔2021〕9号)"])


# What each unit writes, per round: task id -> form values.  县发改局 never reports in Q2.
FILLS = {
    Q1: {
        FIN: {"一.(一)": {"status": "推进中", "progress": "已公开减税降费政策12条。"},
              "一.(二)": {"status": "推进中", "progress": "配合公开项目资金安排。"},
              "二.(三)": {"status": "推进中", "progress": "正在汇总部门预算。"}},
        DRC: {"一.(二)": {"status": "推进中", "progress": "已公开重大项目清单一批。"}},
        GOV: {"二.(一)": {"status": "推进中", "progress": "梳理政务服务事项。"}},
    },
    Q2: {
        FIN: {"一.(一)": {"status": "已完成", "progress": "我局高度重视,已公开减税降费政策32条,发布解读材料5篇。",
                          "done_date": "2021-06-20", "problems": "政策解读形式较单一。",
                          "next_steps": "增加图解和视频解读。"},
              "一.(二)": {"status": "推进中", "progress": "配合公开重大项目资金安排情况3项。"},
              "二.(三)": {"status": "已完成", "progress": "2021年部门预算已于3月25日集中公开,涉及部门48个。",
                          "done_date": "2021-03-25", "problems": "政策解读形式较单一。"}},
        TAX: {"一.(一)": {"status": "已完成", "progress": "在税务网站公开减税降费政策汇编1册。"}},
        GOV: {"二.(一)": {"status": "推进中", "progress": "已梳理“最多跑一次”事项264项,其中全程网办98项。"}},
        SAMR: {"二.(一)": {"status": "推进中", "progress": ""},  # a status with empty 落实情况
               "二.(二)": {"status": "长期推进", "progress": "随机抽查37次,检查经营主体111家,结果全部公开。",
                          "next_steps": "扩大抽查覆盖面。"}},
    },
}


def run_round(ws: Path, tmp: Path, directory, round_: str) -> list[Path]:
    """Issue forms for ``round_``, fill and return those in FILLS, merge them."""
    with Ledger.open(ws) as led:
        p = plan(); led.store_plan(round_, p, assignment=assignment_ids(p, directory))
        infos = write_forms(plan(), directory, round_, "2021-07-05", tmp / "下发" / round_, ledger=led)
    inbox = tmp / "回收" / round_
    inbox.mkdir(parents=True)
    returned = []
    for info in infos:
        values = FILLS.get(round_, {}).get(info.unit)
        if values is None:
            continue
        returned.append(fill(info.path, inbox / info.path.name, rows=values,
                             fields={"filler": "张三", "phone": "0878-1234567"}))
    if returned:
        with Ledger.open(ws) as led:
            merge_folder(inbox, led, round=round_, directory=directory)
    return returned


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    ws = tmp / "台账"
    ws.mkdir()
    shutil.copy(sample_directory_path("county"), ws / "部门名录.xlsx")
    (ws / "zwgk.toml").write_text('units = "部门名录.xlsx"\n\n[report]\norgan = "X县人民政府办公室"\n',
                                  encoding="utf-8")
    directory = load_directory(ws / "部门名录.xlsx")
    run_round(ws, tmp, directory, Q1)
    forms = run_round(ws, tmp, directory, Q2)
    run_round(ws, tmp, directory, Q3)  # issued, nothing returned
    return ws, forms, directory


ORDER = ["未报送", "未填报", "未启动", "推进中", "长期推进", "已完成"]


def count_from_forms(forms: list[Path], units_assigned: dict[str, int]):
    """Task and unit statuses computed from the returned files alone, by the rule in the README:
    the leads decide; 已完成 only when every lead has it, else the least advanced lead answer."""
    per_task: dict[str, list[tuple[str, str]]] = {}  # task -> [(role, status)]
    per_unit: dict[str, Counter] = {}
    for path in forms:
        unit = read_form_metadata(path)["unit"]
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(fs.TASK_SHEET).to_python()
        head = next(i for i, r in enumerate(rows) if r and r[0] == fs.HEADERS[0])
        col = {h: rows[head].index(h) for h in ("任务编号", "本单位角色", "完成状态")}
        c = per_unit.setdefault(unit, Counter())
        for r in rows[head + 1:]:
            if not r[col["任务编号"]]:
                continue
            status = str(r[col["完成状态"]] or "").strip() or "未填报"
            c[status] += 1
            per_task.setdefault(r[col["任务编号"]], []).append((r[col["本单位角色"]], status))
    for unit, n in units_assigned.items():
        per_unit.setdefault(unit, Counter())["未报送"] += n - sum(per_unit.get(unit, Counter()).values())
    by_task = Counter()
    for t in plan().tasks:
        got = dict((role, s) for role, s in per_task.get(t.id, []) if role == fs.ROLE_LEAD)
        leads = [got.get(fs.ROLE_LEAD, "未报送")] * len(t.lead_local)  # one lead per task in this plan
        by_task[min(leads, key=ORDER.index)] += 1
    return by_task, per_unit


def section_text(paragraphs: list[str], heading: str) -> str:
    i = next(k for k, p in enumerate(paragraphs) if p.startswith(heading))
    j = next((k for k in range(i + 1, len(paragraphs)) if paragraphs[k][:1] in "一二三四五六七八九（"), len(paragraphs))
    return "\n".join(paragraphs[i + 1:j])


def test_report_from_ledger_matches_forms(workspace, tmp_path):
    ws, forms, directory = workspace
    out = tmp_path / "报告.docx"
    result = CliRunner().invoke(main, ["report", str(ws), "--round", Q2, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "已生成报告：报告.docx；任务 5 项，已完成 2 项" in result.output
    doc = open_docx(str(out))
    paras = [p.text for p in doc.paragraphs]

    # headings in the order of the plan, each task with its status, then the report's own parts
    heads = [p.text for p in doc.paragraphs if p.style.name in ("一级标题", "二级标题")]
    expected = []
    for root in plan().roots:
        expected.append(f"{root.path[0]}、{root.title}")
        expected += [f"（{t.path[1][1:-1]}）{t.title}" for t in root.children]
    assert [h.split("（已")[0].split("（推")[0].split("（长")[0].split("（未")[0] for h in heads] == \
        expected + ["三、落实情况统计", "四、逾期及未报送情况", "五、存在问题", "六、下步工作计划"]
    assert "（二）推进重大项目信息公开（未报送）" in heads  # its lead, 县发改局, sent nothing

    # each lead's account in its words, the others counted and added up; short names from the directory
    s = section_text(paras, "（一）推进减税降费信息公开")
    assert s == ("县财政局（牵头）：已公开减税降费政策32条，发布解读材料5篇。\n"
                 "配合单位1个，已报送1个（已完成1个）。其中，县税务局：在税务网站公开减税降费政策汇编1册。")
    s = section_text(paras, "（一）推进“放管服”改革信息公开")
    assert s == "县政务服务局（牵头）：已梳理“最多跑一次”事项264项，其中全程网办98项。\n配合单位1个，已报送1个（推进中1个）。"
    s = section_text(paras, "（二）推进重大项目信息公开")
    assert s.splitlines()[0] == "县发改局（牵头）本轮未报送该项落实情况。"
    assert s.splitlines()[1] == "配合单位1个，已报送1个（推进中1个）。其中，县财政局：配合公开重大项目资金安排情况3项。"
    assert "县市场监管局（牵头）：随机抽查37次，检查经营主体111家，结果全部公开。" in section_text(
        paras, "（二）推进“双随机、一公开”监管")

    # statistics equal counts made from the returned forms
    with Ledger.open(ws) as led:
        assigned = {u: len(t) for u, t in led.assignment(Q2).items()}
    by_task, per_unit = count_from_forms(forms, assigned)
    status_table, unit_table = doc.tables
    got = {r.cells[0].text: int(r.cells[1].text) for r in status_table.rows[1:-1]}
    assert got == {s: by_task.get(s, 0) for s in list(STATUSES) + ["未填报", "未报送"]}
    assert int(status_table.rows[-1].cells[1].text) == len(plan().tasks)
    short = {"县财政局": FIN, "县发改局": DRC, "县政务服务局": GOV, "县市场监管局": SAMR, "县税务局": TAX}
    rows = {short[r.cells[1].text]: [int(c.text) for c in r.cells[2:10]] for r in unit_table.rows[1:]}
    assert set(rows) == set(assigned)
    for unit, counts in rows.items():
        c = per_unit[unit]
        assert counts == [assigned[unit]] + [c.get(s, 0) for s in list(STATUSES) + ["未填报", "未报送"]], unit

    # gaps once, problems grouped, round over round
    assert "未报送单位1个：县发改局。" in paras
    k = paras.index("五、存在问题")
    assert paras[k + 1:k + 3] == ["1. 政策解读形式较单一（县财政局）。", "六、下步工作计划"]  # once, though under two tasks
    assert "1. 增加图解和视频解读（县财政局）。" in paras and "2. 扩大抽查覆盖面（县市场监管局）。" in paras
    changes = next(p for p in paras if p.startswith(f"与上轮（{Q1}）相比，3项任务完成状态发生变化，其中新完成2项。变化情况："))
    assert [x.endswith("→已完成") for x in changes.rstrip("。").split("；")] == [True, True, False]  # the new ones first
    opening = next(p for p in paras if p.startswith("根据"))
    assert "《2021年楚雄州政务公开工作要点》（楚政办发〔2021〕9号）、《2021年X县政务公开工作要点》（X政办发〔2021〕5号）" in opening
    assert "X县人民政府办公室将5项工作任务" in opening
    assert paras[-2:] == ["X县人民政府办公室", result_date(paras)]
    assert (tmp_path / "报告_统计.xlsx").is_file()
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert not [t for t in paras + cells if "{{" in t or "{%" in t or "%}" in t]  # every tag rendered


def result_date(paras):
    return next(p for p in reversed(paras) if p.endswith("日"))


def test_report_from_master_workbook_finds_ledger(workspace, tmp_path):
    ws, _, directory = workspace
    with Ledger.open(ws) as led:
        master = build_master(led, led.plan_for_round(Q1), Q1, directory=directory)
    book = write_master(master, ws / f"汇总表_{Q1}.xlsx")
    result = report_workspace(book, tmp_path / "q1.docx", today=dt.date(2021, 4, 2))
    assert result.round == Q1 and result.workspace == str(ws)
    assert result.by_status["推进中"] == 4 and result.units_submitted == 3
    paras = [p.text for p in open_docx(str(tmp_path / "q1.docx")).paragraphs]
    assert "县财政局（牵头）：已公开减税降费政策12条。" in paras
    assert not any(p.startswith("与上轮") for p in paras)


def test_round_with_no_submissions(workspace, tmp_path):
    ws, _, _ = workspace
    out = tmp_path / "q3.docx"
    result = CliRunner().invoke(main, ["report", str(ws), "--round", Q3, "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    paras = [p.text for p in open_docx(str(out)).paragraphs]
    assert any("各责任单位均未报送本轮落实情况" in p for p in paras)
    assert sum(p.endswith("（牵头）本轮未报送该项落实情况。") for p in paras) == 5
    assert "未报送单位5个：县财政局、县税务局、县发改局、县政务服务局、县市场监管局。" in paras
    assert f"本轮尚无单位报送，暂无法与上轮（{Q2}）比较。" in paras
    assert "各单位本轮未报告存在的问题。" in paras


def test_cli_errors_are_one_line(tmp_path, workspace):
    ws, _, _ = workspace
    r = CliRunner().invoke(main, ["report", str(tmp_path), "-o", str(tmp_path / "r.docx")])
    assert r.exit_code == 2 and "找不到台账" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["report", str(ws), "--round", "2030年", "-o", str(tmp_path / "r.docx")])
    assert r.exit_code == 2 and "已有轮次：2021年第一季度、2021年第二季度、2021年第三季度" in r.output
    assert not (tmp_path / "台账.sqlite").exists()  # looking for a ledger creates none
