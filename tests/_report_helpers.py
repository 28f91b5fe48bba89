"""Hand-built plans and merged rounds for the report tests."""

from __future__ import annotations

from docx import Document as open_docx

from zwgk_xl.core.model import Deadline, Document, Master, MasterRow, Node, UnitReport, UnitStatus


def task(id_, path, title, lead, others=(), deadline=None):
    dl = Deadline(date=deadline, text=deadline or "", kind="date") if deadline else Deadline()
    return Node(id=id_, path=list(path), title=title, text=title + "。", is_task=True,
                lead_local=list(lead), others_local=list(others), deadline=dl)


def sample_plan() -> Document:
    """Two sections, four tasks; one section without tasks (prose only)."""
    t1 = task("一.(一)", ["一", "(一)"], "推进减税降费信息公开", ["县财政局"], ["县税务局"], "2021-06-30")
    t2 = task("一.(二)", ["一", "(二)"], "推进“放管服”改革信息公开", ["县政务服务管理局"], ["县市场监督管理局"])
    t3 = task("二.(一).1", ["二", "(一)", "1"], "深入推进预决算公开", ["县财政局"], [], "2021-12-31")
    t4 = task("二.(一).2", ["二", "(一)", "2"], "做好建议提案办理结果公开", ["县人民政府办公室"])
    s1 = Node(id="一", path=["一"], title="以政务公开助力稳增长", children=[t1, t2])
    s21 = Node(id="二.(一)", path=["二", "(一)"], title="推进财税体制改革信息公开", children=[t3, t4])
    s2 = Node(id="二", path=["二"], title="增强政务公开实效", children=[s21])
    s0 = Node(id="零", path=["零"], title="总体要求")  # no tasks: left out of the report
    return Document(title="2021年某州政务公开工作要点", doc_number="某政办发〔2021〕12号", year=2021,
                    roots=[s0, s1, s2], cited=["《2021年某省政务公开工作要点》(某政办发〔2021〕3号)"])


def rep(unit, role, status, progress, problems="", next_steps=""):
    return UnitReport(unit=unit, role=role, status=status, progress=progress, problems=problems,
                      next_steps=next_steps)


def sample_master(previous: bool = False) -> Master:
    plan = sample_plan()
    t1, t2, t3, t4 = plan.tasks
    rows = [
        MasterRow(t1, [rep("县财政局", "牵头", "已完成", "我局高度重视,公开减税降费政策32条。",
                           problems="政策解读形式单一。", next_steps="加强图解解读。"),
                       rep("县税务局", "配合", "已完成", "公开减税降费政策32条。发布解读材料5篇。")]),
        MasterRow(t2, [rep("县政务服务管理局", "牵头", "推进中", "已梳理“最多跑一次”事项264项。"),
                       rep("县市场监督管理局", "配合", "推进中", "")], overdue=True),
        MasterRow(t3, [rep("县财政局", "牵头", "长期推进", "2021年部门预算已于3月公开。",
                           problems="政策解读形式单一。")]),
        MasterRow(t4, [rep("县人民政府办公室", "牵头", "", "")]),
    ]
    units = [UnitStatus("县财政局", 2, True), UnitStatus("县税务局", 1, True),
             UnitStatus("县政务服务管理局", 1, True), UnitStatus("县市场监督管理局", 1, True),
             UnitStatus("县人民政府办公室", 1, False)]
    m = Master(round="2021年第二季度", plan=plan, rows=rows, units=units)
    if previous:
        m.previous_round = "2021年第一季度"
        m.previous_status = {t1.id: "推进中", t2.id: "推进中", t3.id: "长期推进"}
    return m


def docx_paragraphs(path) -> list[tuple[str, str]]:
    """(style name, text) of every body paragraph."""
    return [(p.style.name, p.text) for p in open_docx(str(path)).paragraphs]
