"""Issue 12: the 分解表 a county office would issue from seed 004 with the sample county directory.

有关部门 → the relevant departments by functional keywords; 各部门 → every department;
各州、市人民政府 → the townships; 牵头/责任/配合 as published tables use them; the
county's own title and wording; merged and renamed units.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter

import openpyxl
import pytest

from _decompose_helpers import SEED_004, task
from zwgk_xl.core.model import Document, Node
from zwgk_xl.core.units import load_directory, sample_directory_path
from zwgk_xl.decompose.mapping import decompose, is_relevant_phrase, map_unit
from zwgk_xl.decompose.plan import HEADERS, read_plan, write_plan
from zwgk_xl.decompose.topics import normalize, unit_keywords, unit_types
from zwgk_xl.parse import parse_file

COL = {h: i for i, h in enumerate(HEADERS)}
GROUPS = ("县直各部门", "各乡镇(街道)")


@pytest.fixture(scope="module")
def superior():
    return parse_file(SEED_004)


@pytest.fixture(scope="module")
def doc(superior, county):
    return decompose(superior, county, area="武定县", office="县人民政府办公室")


def _keywords(note: str) -> list[str]:
    m = re.search(r"职能关键词「([^」]*)」", note)
    return m.group(1).split("、") if m else []


def test_relevant_departments_are_named_with_their_keywords(doc, superior, county):
    departments = county.groups["县直各部门"]
    relevant = [t for t in superior.tasks if any(is_relevant_phrase(p) for p in t.others)]
    assert [t.id for t in relevant] == ["一.(一)", "一.(二)", "一.(三)", "一.(四)", "一.(五)", "二.(四)", "二.(六)"]
    named = {}
    for sup in relevant:
        t = doc.find(sup.id)
        assert "县直各部门" not in t.others_local, t.id  # narrowed, never the whole group
        topical = [a for a in t.assignment_notes if a.rule == "topic"]
        assert topical, t.id
        text = normalize(f"{sup.title}。{sup.text}")
        for a in topical:
            [unit] = a.local
            assert a.source == "省直有关部门" and unit in t.responsible_local
            kws = _keywords(a.note)
            assert kws and all(k in text and k in unit_keywords(county.get(unit)) for k in kws), (t.id, unit, kws)
        named[t.id] = [u for u in t.lead_local + t.others_local if u not in GROUPS]
        assert 0 < len(named[t.id]) < len(departments), t.id
    counts = {tid: len(units) for tid, units in named.items()}
    print("departments named per 有关 task:", counts, "median", statistics.median(counts.values()))
    assert statistics.median(counts.values()) <= 12
    # 县地震局 and 县税务局 report on 三大攻坚战 no more
    assert "县地震局" not in doc.find("一.(四)").others_local
    assert "国家税务总局X县税务局" not in doc.find("一.(四)").others_local


def test_livelihood_task_reaches_the_departments_of_its_fields(doc):
    t = doc.find("一.(五)")
    assert t.lead_local == ["县发展和改革局", "县教育体育局", "县人力资源和社会保障局", "县卫生健康局"]
    why = {a.local[0]: _keywords(a.note) for a in t.assignment_notes if a.rule == "topic"}
    assert "养老" in why["县民政局"]
    assert "征地" in why["县自然资源局"]
    assert "城市规划建设" in why["县住房和城乡建设局"]
    assert "退役军人" in why["县退役军人事务局"]
    assert "县地震局" not in why and "县气象局" not in why
    assert "原文「省直有关部门」已按职能确定为" in t.note  # the generic phrase stays visible


def test_every_department_and_the_townships(doc, superior, county):
    every = [t.id for t in superior.tasks if "省直各部门" in t.others]
    assert len(every) == 10
    for tid in every:
        t = doc.find(tid)
        assert "县直各部门" in t.responsible_local and not any(a.rule == "topic" for a in t.assignment_notes)
    for t in doc.tasks:  # 各州、市人民政府 → the county's 乡镇(街道)
        assert "各乡镇(街道)" in t.responsible_local, t.id
    assert len(county.expand("各乡镇(街道)")) == 10 and all(u.endswith(("人民政府", "办事处")) for u in county.expand("各乡镇(街道)"))


def test_leads_where_an_office_would_name_them(doc):
    t = doc.find("四.(四)")
    assert t.lead_local == ["县人民政府办公室"] and t.others_local == ["各乡镇(街道)"]
    assert "原文未写牵头单位" in t.assignment_notes[0].note
    assert "县教育体育局" in doc.find("一.(五)").lead_local
    assert "县教育体育局" in doc.find("二.(六)").lead_local
    # addressed to all units: no lead, as in published tables; the office is proposed in the reasons
    t = doc.find("二.(一)")
    assert t.lead_local == []
    [s] = [a for a in t.assignment_notes if a.rule == "suggest"]
    assert s.local == ["县人民政府办公室"] and s.note.startswith("[建议牵头]")


def test_roles_responsible_and_cooperating(doc, county):
    for t in doc.tasks:  # 省直有关部门…按照职责分工负责: every non-lead unit is responsible
        assert t.responsible_local == t.others_local, t.id
    sec = Node(id="一", path=["一"], title="测试")
    t = task("一.(一)", ["省财政厅"], ["省审计厅", "省统计局"], "公开预决算")
    t.cooperate = ["省统计局"]  # (省财政厅牵头，省审计厅负责，省统计局配合)
    sec.children = [t]
    d = decompose(Document(title="测试要点", year=2021, roots=[sec]), county)
    got = d.find("一.(一)")
    assert (got.lead_local, got.responsible_local, got.others_local) == (
        ["县财政局"], ["县审计局"], ["县审计局", "县统计局"])
    assert [a.note[:4] for a in got.assignment_notes] == ["[牵头]", "[责任]", "[配合]"]
    from zwgk_xl.decompose.assign import assign_tasks

    roles = {u: [r for _, r in pairs] for u, pairs in assign_tasks(d, county).items()}
    assert roles == {"县财政局": ["牵头"], "县审计局": ["责任"], "县统计局": ["配合"]}


def test_the_plan_is_the_countys_document(doc, county, tmp_path):
    path = write_plan(doc, tmp_path / "分解表.xlsx", directory=county, organ="武定县人民政府办公室")
    wb = openpyxl.load_workbook(path)
    ws = wb["分解表"]
    assert ws["A1"].value == "武定县2020年政务公开工作任务分解表"  # area from the organ
    assert [c.value for c in ws[3]][3:6] == ["牵头单位", "责任单位", "配合单位"]
    rows = {r[COL["任务编号"]]: r for r in ws.iter_rows(min_row=4, values_only=True) if r[COL["行类型"]] == "任务"}
    text = {tid: f"{r[COL['工作任务']]}{r[COL['任务要求/细化措施']]}" for tid, r in rows.items()}
    assert "县直有关部门要发挥示范带头作用" in text["二.(一)"] and "省直有关部门" not in text["二.(一)"]
    assert "全县市场监管领域" in text["一.(二)"] and "省政务服务网上大厅" in text["一.(二)"]  # a proper name stays
    assert not any("全省" in s or "省直" in s for s in text.values())
    assert rows["四.(四)"][COL["牵头单位"]] == "县人民政府办公室"
    assert not rows["二.(一)"][COL["牵头单位"]] and rows["二.(一)"][COL["责任单位"]] == "县直各部门、各乡镇(街道)"
    notes = [r for r in wb["分配依据"].iter_rows(min_row=2, values_only=True)]
    adapted = [r for r in notes if r[5] == "本级用语"]
    flagged = [r for r in notes if r[5] == "请核实是否适用本级"]
    assert len(adapted) == 6 and all(r[2] == "用语" for r in adapted)
    for tid, _title, _role, original, new, _rule, _score, why in adapted:
        assert original != new and new in text[tid] + "。" and "本级用语" in why, tid
        print(f"{tid}: {original} → {new}")
    assert sorted(r[0] for r in flagged) == ["三.(一)", "三.(三)", "四.(二)"]
    assert any("省、州市两级政府公报" in r[3] for r in flagged)
    assert any(r[3].startswith("各州、市人民政府门户网站") for r in flagged)
    for tid in ("三.(一)", "三.(三)", "四.(二)"):
        assert "请核实是否适用本级" in rows[tid][COL["备注"]]
    task_rows = {ws.cell(r, COL["任务编号"] + 1).value: r for r in range(4, ws.max_row + 1)
                 if ws.cell(r, COL["行类型"] + 1).value == "任务"}
    marked = {tid for tid, r in task_rows.items() if ws.cell(r, COL["任务要求/细化措施"] + 1).fill.fill_type == "solid"}
    assert marked == {"三.(一)", "三.(三)", "四.(二)"}  # highlighted for the clerk
    assert [r[4] for r in notes if r[5] == "建议牵头"].count("县人民政府办公室") == 8
    back = read_plan(path)  # all of it reads back
    assert back.to_dict(local=True)["tasks"] == doc.to_dict(local=True)["tasks"]


def test_merged_and_renamed_units_by_name(tmp_path):
    csv = tmp_path / "名录.csv"  # names only: no 对口上级单位 to help
    csv.write_text("单位名称,类别\n县教育体育局,部门\n县工业商务和信息化局,部门\n县乡村振兴局,部门\n县自然资源局,部门\n"
                   "县民族宗教事务局,部门\n城关镇人民政府,乡镇街道\n", encoding="utf-8")
    d = load_directory(csv)
    for superior, local, rule in [
        ("省教育厅", "县教育体育局", "merged"), ("省体育局", "县教育体育局", "merged"),
        ("省商务厅", "县工业商务和信息化局", "merged"), ("省工业和信息化厅", "县工业商务和信息化局", "merged"),
        ("省民族事务委员会", "县民族宗教事务局", "merged"),
        ("省扶贫办", "县乡村振兴局", "renamed"), ("省国土资源厅", "县自然资源局", "renamed"),
    ]:
        [a] = map_unit(superior, d)
        assert (a.local, a.rule) == ([local], rule), superior
        assert local in a.note
    assert map_unit("省公安厅", d)[0].rule == "unmatched"  # no containment, no guess


def test_keyword_table_covers_every_unit_type_of_the_samples():
    for kind, level in (("county", "县"), ("bureau", "局")):
        for u in load_directory(sample_directory_path(kind), level=level).units:
            if u.category == "乡镇街道":
                continue
            assert unit_types(u) and unit_keywords(u), u.name


def test_directory_keywords_extend_and_exclude(tmp_path):
    csv = tmp_path / "名录.csv"
    csv.write_text("单位名称,类别,职能关键词,排除关键词\n县数据局,部门,数据共享、数据开放,\n"
                   "县民政局,部门,,养老\n县卫生健康局,部门,,\n", encoding="utf-8")
    d = load_directory(csv)
    sec = Node(id="一", path=["一"], title="测试")
    sec.children = [task("一.(一)", [], ["省直有关部门"], "推进数据共享和养老、医疗信息公开")]
    t = decompose(Document(title="测试", year=2021, roots=[sec]), d).find("一.(一)")
    assert t.others_local == ["县数据局", "县卫生健康局"]  # 民政 excluded its 养老
    assert "数据共享" in t.assignment_notes[0].note


def test_nothing_relevant_keeps_the_group_and_says_so(county):
    sec = Node(id="一", path=["一"], title="测试")
    sec.children = [task("一.(一)", [], ["省直有关部门"], "加强学习")]
    d = decompose(Document(title="测试", year=2021, roots=[sec]), county)
    t = d.find("一.(一)")
    assert t.others_local == ["县直各部门"] and t.review
    assert [f.type for f in d.findings] == ["decompose-topic-none"]
    assert "未匹配到" in t.assignment_notes[0].note


def test_forms_after_split_hold_only_justified_tasks(doc, county, tmp_path):
    """Each unit's form holds only tasks where its name, mapping, group or one of its keywords matched."""
    from _split_helpers import table, task_sheet_rows
    from zwgk_xl.forms.writer import write_forms

    infos = write_forms(doc, county, "2020年第四季度", "2020-12-31", tmp_path / "forms")
    forms = {i.unit: table(task_sheet_rows(i.path)) for i in infos}
    after = {unit: [r["id"] for r in rows] for unit, rows in forms.items()}
    # each form tells the unit its role: 责任 for 按照职责分工负责, 牵头 for the leads
    assert {r["id"]: r["role"] for r in forms["县民政局"]}["一.(五)"] == "责任"
    assert {r["id"]: r["role"] for r in forms["县人民政府办公室"]}["四.(四)"] == "牵头"
    assert {r["role"] for rows in forms.values() for r in rows} == {"牵头", "责任"}
    for unit, ids in after.items():
        for tid in ids:
            t = doc.find(tid)
            reasons = [a for a in t.assignment_notes if a.rule not in ("wording", "level-check", "suggest")
                       and (unit in a.local or any(unit in county.expand(g) for g in a.local if county.is_group(g)))]
            assert reasons, (unit, tid)
            for a in reasons:
                if a.rule == "topic":
                    assert set(_keywords(a.note)) <= set(unit_keywords(county.get(unit)))
    # before: every 有关 phrase went to the whole group (the report)
    before = Counter()
    for t in doc.tasks:
        for u in dict.fromkeys(u for name in [*t.lead_local, *GROUPS] for u in county.expand(name)):
            before[u] += 1
    now = Counter({u: len(ids) for u, ids in after.items()})
    print("tasks per unit before → after:")
    for u in county.names:
        print(f"  {u}: {before[u]} → {now[u]}")
    every = {t.id for t in doc.tasks if "县直各部门" in t.others_local}
    assert before["县地震局"] == 18 and len(every) == 10
    assert set(after["县地震局"]) - every == {"一.(三)"}  # 自然灾害 only: no 三大攻坚战, no gazette
    assert set(after["国家税务总局X县税务局"]) - every == {"二.(四)"}  # 税收管理 is a pilot area
    assert now["县民政局"] == 10 + 3 and now["县人民政府办公室"] > 10
    assert all(now[u] == 18 for u in county.expand("各乡镇(街道)"))
    assert sum(now.values()) < sum(before.values()) * 0.8
