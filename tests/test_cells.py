"""Tables scraped one cell per line."""

from zwgk_xl.parse import parse_file
from zwgk_xl.parse.cells import cell_rows

TABLE = """某县2021年政务公开工作任务分解表
序号
工作任务
任务要求
责任单位
完成时限
一、深化重点领域信息公开
1
做好规划公开
公开国民经济和社会发展规划。
县发展和改革局牵头,县直各部门配合
2021年底前
2
做好预决算公开
推进部门预决算公开,
按要求公开“三公”经费。
县财政局
长期坚持
二、加强平台建设
3
加强政府网站管理
健全信息发布审核制度。
县人民政府办公室
6月底前
"""


def test_one_cell_per_line_table(tmp_path):
    f = tmp_path / "分解表.txt"
    f.write_text(TABLE, encoding="utf-8")
    doc = parse_file(f)
    assert [r.title for r in doc.roots] == ["深化重点领域信息公开", "加强平台建设"]
    assert [t.id for t in doc.tasks] == ["一.1", "一.2", "二.3"]
    t1, t2, t3 = doc.tasks
    assert t1.title == "做好规划公开" and t1.lead == ["县发展和改革局"] and t1.others == ["县直各部门"]
    assert t1.deadline.date == "2021-12-31"
    assert t2.deadline.kind == "长期"
    assert t3.others == ["县人民政府办公室"] and t3.deadline.date == "2021-06-30"
    assert doc.year == 2021


def test_prose_is_not_taken_for_a_cell_table():
    assert cell_rows("一、总体要求\n(一)做好公开。(县财政局负责)\n") is None
