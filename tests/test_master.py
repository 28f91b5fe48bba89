"""The master workbook (汇总表) from a hand-built round: short 汇总 cells, long-form 明细, inert text, printing."""

from __future__ import annotations

import datetime as dt
import re
import signal

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as hst
from python_calamine import CalamineWorkbook

from _report_helpers import rep, task
from zwgk_xl.core.model import Document, Master, MasterRow, Node, UnitStatus
from zwgk_xl.merge.master import CELL_LIMIT, fullwidth, show_date, show_time, write_master

LEAD = "县财政局"
OTHERS = [f"县第{i}局" for i in range(1, 61)]
LONG = "已明确专人负责，在县政府门户网站主动公开相关信息12条，开展政策解读3次。" * 8
FORMULAS = ["=1/0", '=HYPERLINK("http://gk.example.cn/a","公开专栏")', "=SUM(A1:A3)"]


def big_master() -> Master:
    t = task("一.(一)", ["一", "(一)"], "推进预决算公开", [LEAD], OTHERS, "2021-06-30")
    reports = [rep(LEAD, "牵头", "推进中", LONG * 3, problems="人手不足。" * 40, next_steps="加强培训。" * 40)]
    reports += [rep(u, "配合", "已完成" if i % 3 else "", LONG) for i, u in enumerate(OTHERS)]
    for r, f in zip(reports[1:4], FORMULAS):
        r.progress = f  # a formula's text, as merge keeps it
    for r in reports:
        r.fill_date, r.submitted_at = "2021-07-01", "2021-07-02T09:15:42"
    section = Node(id="一", path=["一"], title="助力稳增长", children=[t])
    units = [UnitStatus(u, 1, i % 7 != 0, submitted_at="2021-07-02T09:15:42") for i, u in enumerate([LEAD] + OTHERS)]
    m = Master(round="2021年第二季度", plan=Document(title="2021年某县政务公开工作要点", roots=[section]),
               rows=[MasterRow(t, reports, overdue=True)], units=units)
    m.as_of = dt.date(2021, 7, 5)
    return m


def test_summary_cells_stay_short_and_detail_has_every_unit(tmp_path):
    path = write_master(big_master(), tmp_path / "汇总表.xlsx", area="某县")
    book = CalamineWorkbook.from_path(str(path))
    summary = book.get_sheet_by_name("汇总").to_python()
    assert summary[0][0] == "某县2021年第二季度政务公开工作任务落实情况汇总表"
    assert summary[1][0].startswith("截至 2021-07-05　任务 1 项：推进中 1 项")
    longest = max(len(str(c)) for r in summary for c in r)
    assert longest <= CELL_LIMIT, longest
    row = summary[3]
    assert row[4] == "推进中" and row[7] == "逾期"
    others = row[6]
    assert others.startswith("已报 40/60，已完成 40；共")  # every third left the status blank
    assert "未填：" in others and "等" in others  # long name lists are cut with 等n个
    assert "主动公开相关信息" in others and "开展政策解读" in others

    detail = book.get_sheet_by_name("明细").to_python()
    assert len(detail) - 1 == 1 + len(OTHERS)  # one row per task × unit
    head = detail[0]
    assert [r[head.index("单位")] for r in detail[1:]] == [LEAD] + OTHERS
    assert {r[head.index("填报日期")] for r in detail[1:]} == {"2021-07-01"}
    assert {r[head.index("报送时间")] for r in detail[1:]} == {"2021-07-02 09:15"}
    assert len(detail[1][head.index("落实情况")]) == len(LONG * 3)  # the full text lives here


def test_formula_text_stays_visible_and_inert(tmp_path):
    path = write_master(big_master(), tmp_path / "汇总表.xlsx")
    ws = openpyxl.load_workbook(path)["明细"]
    head = [c.value for c in ws[1]]
    cells = [ws.cell(r, head.index("落实情况") + 1) for r in range(3, 6)]
    assert [c.value for c in cells] == FORMULAS and all(c.data_type == "s" for c in cells)


def test_every_sheet_prints_legibly(tmp_path):
    book = openpyxl.load_workbook(write_master(big_master(), tmp_path / "汇总表.xlsx"))
    assert book.sheetnames == ["汇总", "明细", "报送情况", "问题清单", "统计"]
    for ws in book:
        setup = ws.page_setup
        assert (setup.orientation, str(setup.paperSize), setup.fitToHeight) == ("landscape", "9", 0), ws.title
        assert "第 &P 页" in ws.oddFooter.center.text
    summary = book["汇总"]
    assert summary.print_title_rows == "$3:$3" and summary.freeze_panes == "A4"
    [height] = [summary.row_dimensions[r].height for r in range(4, summary.max_row + 1)
                if summary.cell(r, 1).value == "一.(一)"]
    assert 10 * 13.5 < height <= 409  # the wrapped cells shown whole, within Excel's limit
    assert summary.cell(summary.max_row, 1).value.startswith("完成状态判定：牵头单位均填报")


def test_dates_as_the_clerk_reads_them():
    assert show_date("2020-12-20T00:00:00") == "2020-12-20" and show_date("6月底") == "6月底"
    assert show_time("2020-12-28T09:15:31") == "2020-12-28 09:15" and show_time("") == ""


def test_formulas_in_returns_reach_the_master_as_text_with_findings(tmp_path):
    """A formula with an error value and one without a cached value: visible as inert text, the cell named."""
    import re as _re

    from _merge_helpers import edit_part, fill, issue_forms, task_sheet_part
    from zwgk_xl.merge import run_merge

    ws, forms = issue_forms(tmp_path)
    box = tmp_path / "回收"
    box.mkdir()
    rows = {"一.(1)": {"status": "已完成", "progress": "占位"}}
    cases = {"县财政局": '<c r="G6" t="e"><f>VLOOKUP(A1,Sheet9!A:B,2,0)</f><v>#NAME?</v></c>',
             "县教育局": '<c r="G6" t="str"><f>CONCATENATE("已公开","12条")</f></c>'}
    for unit, cell in cases.items():
        filled = fill(forms[unit], tmp_path / f"{unit}_填.xlsx", rows=rows if unit == "县财政局" else
                      {"一.(2)": {"status": "推进中", "progress": "占位"}})
        edit_part(filled, box / f"{unit}.xlsx", task_sheet_part(filled),
                  lambda xml, c=cell: _re.sub(rb'<c r="G6"[^>]*?(/>|>.*?</c>)', c.encode(), xml, count=1, flags=_re.S))
    result = run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx")
    kinds = {(f.unit, f.type, f.cell) for f in result.findings}
    assert ("县财政局", "formula-error", "G6") in kinds
    assert ("县教育局", "formula-no-value", "G6") in kinds
    wb = openpyxl.load_workbook(tmp_path / "汇总表.xlsx")
    cells = [c for row in wb["明细"].iter_rows() for c in row if isinstance(c.value, str) and "(" in c.value]
    texts = {c.value for c in cells}
    assert any("VLOOKUP(A1,Sheet9!A:B,2,0)" in t for t in texts)
    assert any("CONCATENATE(" in t for t in texts)
    assert all(c.data_type == "s" for c in cells)  # text, never a live formula


def test_a_hyperlink_keeps_its_address_visible(tmp_path):
    import re as _re

    from _merge_helpers import edit_part, fill, issue_forms, task_sheet_part
    from zwgk_xl.merge import run_merge

    ws, forms = issue_forms(tmp_path)
    box = tmp_path / "回收"
    box.mkdir()
    filled = fill(forms["县财政局"], tmp_path / "填.xlsx", rows={"一.(1)": {"status": "已完成", "progress": "x"}})
    cell = '<c r="G6" t="str"><f>HYPERLINK("http://www.x.gov.cn/zwgk/1.html","预算公开专栏")</f><v>预算公开专栏</v></c>'
    edit_part(filled, box / "县财政局.xlsx", task_sheet_part(filled),
              lambda xml: _re.sub(rb'<c r="G6"[^>]*?(/>|>.*?</c>)', cell.encode(), xml, count=1, flags=_re.S))
    run_merge(box, workspace=ws, output=tmp_path / "汇总表.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "汇总表.xlsx")
    texts = [c.value for row in wb["明细"].iter_rows() for c in row if isinstance(c.value, str)]
    assert "预算公开专栏（http://www.x.gov.cn/zwgk/1.html）" in texts


_CJK = r"\u2e80-\u9fff\uff00-\uffef“”‘’《》、。"
_OLD_PATTERNS = [  # fullwidth's rules as first written (backtracking ones): the reference for short texts
    (re.compile(rf"(?<=[{_CJK}])\s*([,:;!?])\s*|\s*([,:;!?])\s*(?=[{_CJK}])"),
     lambda m: {",": "，", ":": "：", ";": "；", "!": "！", "?": "？"}[m.group(1) or m.group(2)]),
    (re.compile(rf"\(([^()]*[{_CJK}][^()]*)\)"), r"（\1）"),
    (re.compile(rf"(?<=[{_CJK}])\(([^()]*)\)"), r"（\1）"),
    (re.compile(rf"\(([^()]{{1,6}})\)(?=[{_CJK}])"), r"（\1）"),
]


@settings(max_examples=400, deadline=None)
@given(hst.lists(hst.sampled_from(["中", "文件", "a", "12", " ", "\n", "\t", "(", ")", ",", ":", ";", "!", "?", "（", "="]),
                 max_size=16).map("".join))
def test_fullwidth_follows_its_rules_in_one_pass(text):
    expected = text
    if text and text[0] not in "=+-@":
        for pattern, repl in _OLD_PATTERNS:
            expected = pattern.sub(repl, expected)
    assert fullwidth(text) == expected


def test_fullwidth_of_long_odd_answers():
    """An unclosed bracket or a long blank run in a 32,000-character answer: the rules as first written
    backtracked for seconds per cell (quadratic, about 40 s for these); read in one pass they take milliseconds,
    so a generous 10 s alarm tells the two apart on any machine."""
    def too_slow(signum, frame):
        raise TimeoutError("fullwidth backtracks: quadratic in the answer's length")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(10)
    try:
        for text in ["(" + "中" * 32000, " " * 32000, "\n" * 16000 + "中", "a" + " " * 32000 + ",", "(" * 16000 + "中"]:
            assert fullwidth(text) == text
        assert fullwidth("中" + " " * 20000 + ",中") == "中，中" and fullwidth("中" + " " * 20000 + ",") == "中，"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
