"""Task tables: header found by labels, merged categories, unit columns; the same tasks as the text."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import openpyxl
import pytest

from _readers_helpers import add_table, copy_fixture
from zwgk_xl.core import office
from zwgk_xl.parse import parse_file
from zwgk_xl.parse.readers import read_sheets
from zwgk_xl.parse.table import find_header, label_role, parse_table

FIXTURES = Path(__file__).parent / "fixtures"


def task_key(doc):
    return [(t.id, t.title, t.lead, t.others, t.deadline.date, t.deadline.kind) for t in doc.tasks]


# 邹城-style layout: full-width section rows, a merged category column, 1. tasks, unit phrases in one cell.
ZOUCHENG = [
    ["2021年邹城市政务公开工作任务分解表", "", ""],
    ["工作任务", "任务要求", "责任单位"],
    ["一、深化重点领域政府信息公开"] * 3,
    ["(一)立足实施重大战略推进政务公开", "1.做好各类规划主动公开。公开国民经济规划", "市发展改革局、市自然资源和规划局牵头,市政府各部门、各镇街配合"],
    ["(一)立足实施重大战略推进政务公开", "2.围绕“七大攻坚”,做好重点任务落实信息公开", "市政府各部门、各镇街"],
    ["(二)着眼畅通经济循环推进政务公开", "3.做好消费政策公开。6月底前完成", "市发展改革局、市商务局、市市场监管局"],
    ["工作任务", "任务要求", "责任单位"],  # header repeated on the next page
    ["", "4.稳步扩大预决算公开范围", "市财政局牵头,市政府各部门、各镇街配合"],
    ["二、加强政策解读"] * 3,
    ["(三)聚焦政策落地", "5.做好政策解读", "市委编办"],
    ["注:本表由市政府办公室负责解释"] * 3,
]


def test_zoucheng_layout():
    doc = parse_table(ZOUCHENG, "分解表.xlsx", sheet="Sheet1")
    assert doc.title == "2021年邹城市政务公开工作任务分解表" and doc.year == 2021
    assert [n.id for n in doc.walk()] == [
        "一", "一.(一)", "一.(一).1", "一.(一).2", "一.(二)", "一.(二).3", "一.(二).4", "二", "二.(三)", "二.(三).5"]
    t1 = doc.find("一.(一).1")
    assert t1.title == "做好各类规划主动公开"
    assert t1.lead == ["市发展改革局", "市自然资源和规划局"] and t1.others == ["市政府各部门、各镇街"]
    assert t1.source.sheet == "Sheet1" and t1.source.row == 4
    assert doc.find("一").source.row == 3 and doc.find("一").title == "深化重点领域政府信息公开"
    assert doc.find("一.(二).3").deadline.date == "2021-06-30"
    assert doc.find("一.(二).4").lead == ["市财政局"]  # blank category carried down
    assert doc.find("二.(三).5").others == ["市委编办"]


def test_two_row_header_lead_and_others_columns_and_generated_tokens():
    rows = [
        ["序号", "类别", "具体措施", "责任单位", "责任单位", "完成时限", "备注"],
        ["", "", "", "牵头单位", "配合单位", "", ""],
        ["1", "决策公开", "做好重大决策预公开", "县政府办公室", "县直各部门、各乡镇", "长期坚持", ""],
        ["2", "", "加强政策解读", "县司法局", "", "2021年9月底前", "重点"],
        ["1", "平台建设", "优化政府网站", "县政务服务局", "县融媒体中心", "年底前", ""],
    ]
    doc = parse_table(rows, "t.xlsx", year=2021)
    assert [(n.id, n.title) for n in doc.sections] == [("一", "决策公开"), ("二", "平台建设")]
    assert [t.id for t in doc.tasks] == ["一.1", "一.2", "二.1"]
    a, b, c = doc.tasks
    assert a.lead == ["县政府办公室"] and a.others == ["县直各部门、各乡镇"]
    assert a.deadline.kind == "长期" and a.deadline.date is None
    assert b.deadline.date == "2021-09-30" and b.note == "重点" and b.others == []
    assert c.deadline.date == "2021-12-31" and c.source.row == 5


def test_title_column_per_row_is_not_a_category():
    rows = [
        ["序号", "工作任务", "任务要求", "责任科室", "完成时限"],
        ["1", "推进决策公开", "建立重大决策目录。", "办公室、法规科", "6月底前"],
        ["2", "加强解读", "解读重要政策。", "办公室", "年内"],
    ]
    doc = parse_table(rows, "t.docx", year=2020)
    assert doc.sections == []
    assert [(t.id, t.title, t.text, t.others) for t in doc.tasks] == [
        ("1", "推进决策公开", "建立重大决策目录。", ["办公室", "法规科"]),
        ("2", "加强解读", "解读重要政策。", ["办公室"]),
    ]
    assert [t.deadline.date for t in doc.tasks] == ["2020-06-30", "2020-12-31"]


def test_units_written_in_the_text_when_there_is_no_unit_column():
    rows = [["序号", "工作任务"], ["1", "做好公开。(县发改局牵头,县财政局配合)"]]
    t = parse_table(rows, "t").tasks[0]
    assert (t.lead, t.others, t.text) == (["县发改局"], ["县财政局"], "做好公开。")


def test_empty_unit_cell_is_flagged_for_review():
    rows = [["序号", "工作任务", "责任单位"], ["1", "做好公开", ""]]
    t = parse_table(rows, "t").tasks[0]
    assert t.review and t.warnings


@pytest.mark.parametrize("rows", [
    [["姓名", "电话"], ["张三", "123"]],
    [["联系人", "单位", "电话"]],
    [],
    [["序号", "工作任务", "责任单位"]],  # header only
])
def test_no_task_table_gives_none(rows):
    assert parse_table(rows, "t") is None


def test_label_roles_fuzzy():
    assert label_role("责 任 单 位") == "resp"
    assert label_role("牵头单位(部门)") == "lead"
    assert label_role("完成时限") == "deadline"
    assert label_role("细化分工") == "text"
    assert label_role("做好重大决策预公开工作,按要求公开") is None
    assert find_header([["附件"], ["2021年任务分解表"], ["序号", "工作任务", "责任单位"]]) == 2


# ---------------------------------------------------------------------------
# The same seed given as .txt, as an .xlsx table (and .xls), and as a Word table


def _marker(token: str) -> str:
    return f"{token}、" if token[0] in "一二三四五六七八九十" else (token if token.startswith("(") else f"{token}.")


def table_rows_from(doc) -> tuple[list[list[str]], list]:
    """A 分解表 as a clerk would type it: category columns merged over their tasks."""
    depth = max(len(t.path) for t in doc.tasks)
    header = ["序号"] + [f"{n}级" for n in "一二三"[: depth - 1]] + ["工作任务", "牵头单位", "责任单位", "完成时限"]
    rows = [[f"{doc.year}年" + (doc.title or "任务分解表")] + [""] * (len(header) - 1), header]
    merges, spans = [], {}
    for t in doc.tasks:
        cats = []
        for i in range(1, len(t.path)):
            node = doc.find(".".join(t.path[:i])) or doc.find(t.id.rsplit(".", len(t.path) - i)[0])
            cats.append(_marker(node.path[-1]) + node.title)
        cats += [""] * (depth - 1 - len(cats))
        r = len(rows)
        for c, v in enumerate(cats, start=1):
            if v and spans.get(c, (None,))[0] == v:
                spans[c] = (v, spans[c][1], r)
                v = ""  # a merged cell shows its text only in its first row
            elif v:
                if c in spans and spans[c][2] > spans[c][1]:
                    merges.append(((spans[c][1], c), (spans[c][2], c)))
                spans[c] = (v, r, r)
            cats[c - 1] = v
        rows.append([t.path[-1]] + cats + [t.text, "、".join(t.lead), ",".join(t.others), t.deadline.text])
    for c, (_v, r0, r1) in spans.items():
        if r1 > r0:
            merges.append(((r0, c), (r1, c)))
    return rows, merges


def write_xlsx(rows, merges, path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "任务分解表"
    for row in rows:
        ws.append(row)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[1]))
    for (r0, c0), (r1, c1) in merges:
        ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    wb.save(path)
    return path


@pytest.mark.parametrize("seed,count", [("004", 18), ("000", 14)])
def test_seed_as_xlsx_table_gives_the_same_tasks(tmp_path, seed, count):
    txt = copy_fixture(seed, tmp_path)
    text_doc = parse_file(txt)
    rows, merges = table_rows_from(text_doc)
    assert merges  # categories really are merged cells
    xlsx = write_xlsx(rows, merges, tmp_path / f"{seed}.xlsx")
    table_doc = parse_file(xlsx)
    assert len(table_doc.tasks) == count
    assert task_key(table_doc) == task_key(text_doc)
    assert table_doc.tasks[0].source.sheet == "任务分解表"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_seed_as_xls_or_ods_table_gives_the_same_tasks(tmp_path, fmt):
    txt = copy_fixture("004", tmp_path)
    text_doc = parse_file(txt)
    rows, merges = table_rows_from(text_doc)
    xlsx = write_xlsx(rows, merges, tmp_path / "004.xlsx")
    other = office.convert_with_soffice(xlsx, fmt, tmp_path / fmt)
    (r0, c0), (r1, _c1) = merges[0]
    sheet = read_sheets(other)[0].rows
    assert rows[r1][c0] == "" and sheet[r1][c0] == sheet[r0][c0] != ""  # merged cell filled
    assert task_key(parse_file(other)) == task_key(text_doc)


def test_seed_as_word_table_gives_the_same_tasks(tmp_path):
    txt = copy_fixture("004", tmp_path)
    text_doc = parse_file(txt)
    rows, merges = table_rows_from(text_doc)
    d = docx.Document()
    d.add_paragraph("2020年云南省政务公开工作要点任务分解")
    d.add_paragraph("一、这是通知正文的编号,不是任务")
    add_table(d, rows[1:], merges=[((r0 - 1, c0), (r1 - 1, c1)) for (r0, c0), (r1, c1) in merges])
    p = tmp_path / "004_table.docx"
    d.save(str(p))
    doc = parse_file(p)
    assert task_key(doc) == task_key(text_doc)
    assert doc.year == 2020 and doc.title == "2020年云南省政务公开工作要点任务分解"


def test_html_table(tmp_path):
    html = """<html><head><meta charset="utf-8"></head><body><h2>2021年任务清单</h2><table>
    <tr><th>序号</th><th>工作任务</th><th>责任单位</th><th>完成时限</th></tr>
    <tr><td colspan="4">一、推进决策公开</td></tr>
    <tr><td>1</td><td>做好预公开</td><td rowspan="2">县政府办公室牵头,县直各部门配合</td><td>年内</td></tr>
    <tr><td>2</td><td>做好解读</td><td>10月底前</td></tr></table></body></html>"""
    p = tmp_path / "清单.htm"
    p.write_text(html, encoding="utf-8")
    doc = parse_file(p)
    assert [(t.id, t.lead, t.others, t.deadline.date) for t in doc.tasks] == [
        ("一.1", ["县政府办公室"], ["县直各部门"], "2021-12-31"),
        ("一.2", ["县政府办公室"], ["县直各部门"], "2021-10-31"),
    ]


def test_csv_table(tmp_path):
    p = tmp_path / "清单.csv"
    p.write_text("序号,工作任务,牵头单位,配合单位\n1,做好公开,县发改局,县财政局\n", encoding="gbk")
    t = parse_file(p, year=2021).tasks[0]
    assert (t.id, t.lead, t.others) == ("1", ["县发改局"], ["县财政局"])


def test_pipe_separated_rows_scraped_from_a_page(tmp_path):
    p = tmp_path / "清单.txt"
    p.write_text("2021年某县政务公开任务清单\n"
                 "| 序号 | 工作任务 | 责任单位 | 完成时限 |\n|---|---|---|---|\n"
                 "| 一、推进决策公开 | 一、推进决策公开 | 一、推进决策公开 | 一、推进决策公开 |\n"
                 "| 1 | 做好预公开 | 县政府办公室牵头,县直各部门配合 | 6月底前 |\n"
                 "| 2 | 做好解读 | 县司法局 | 年内 |\n", encoding="utf-8")
    doc = parse_file(p)
    assert doc.title == "2021年某县政务公开任务清单"
    assert [(t.id, t.lead, t.others, t.deadline.date) for t in doc.tasks] == [
        ("一.1", ["县政府办公室"], ["县直各部门"], "2021-06-30"),
        ("一.2", [], ["县司法局"], "2021-12-31"),
    ]
