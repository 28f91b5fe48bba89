"""Seed 004 × the sample county (50 units), as the demo runs it: the report a leader reads, the master a clerk prints.

Figures are computed here from the returned form files themselves (python-calamine), then looked for in the
outputs (python-docx, openpyxl, LibreOffice).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
from docx import Document as open_docx
from python_calamine import CalamineWorkbook

from zwgk_xl.demo import ROUNDS
from zwgk_xl.ledger.store import Ledger
from zwgk_xl.report.render import trim_opener

ROUND, DUE = ROUNDS[-1]

CJK = r"[\u4e00-\u9fff]"
HALF_WIDTH = re.compile(rf"{CJK}[,:;()]|[,:;()]{CJK}")
STATUSES = ("已完成", "推进中", "未启动", "不涉及", "长期推进")


@pytest.fixture(scope="module")
def demo(demo):
    """The demo 台账 of the session (tests/conftest.py), as a folder."""
    return demo[0]


def returned_rows(folder: Path) -> list[dict]:
    """Every task row of each unit's latest returned form (by arrival time): unit, task id, role, status, 落实情况."""
    latest: dict[str, tuple[float, list]] = {}
    for path in (folder / "回收" / ROUND).iterdir():
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("填报表").to_python()
        unit = next(r[1] for r in rows if r and r[0] == "填报单位")
        if unit not in latest or latest[unit][0] < path.stat().st_mtime:
            latest[unit] = (path.stat().st_mtime, rows)
    out = []
    for unit, (_, rows) in latest.items():
        head = next(i for i, r in enumerate(rows) if r and r[0] == "任务编号")
        col = {h: rows[head].index(h) for h in ("任务编号", "本单位角色", "完成状态", "落实情况")}
        for r in rows[head + 1:]:
            if r[col["任务编号"]]:
                out.append({"unit": unit, "task": r[col["任务编号"]], "role": r[col["本单位角色"]],
                            "status": str(r[col["完成状态"]] or ""), "progress": str(r[col["落实情况"]] or "")})
    return out


def master_path(folder: Path) -> Path:
    return folder / f"汇总表_{ROUND}.xlsx"


def detail_status(folder: Path) -> dict[tuple[str, str], str]:
    """(task, unit) -> status as the 明细 sheet shows it (for a status a unit typed in its own words)."""
    rows = list(openpyxl.load_workbook(master_path(folder))["明细"].iter_rows(values_only=True))
    head = rows[0]
    return {(r[0], r[head.index("单位")]): r[head.index("完成状态")] for r in rows[1:]}


def task_sections(doc) -> dict[str, list[str]]:
    """Heading text -> the body paragraphs below it, up to the next heading."""
    out, current = {}, None
    for p in doc.paragraphs:
        if p.style.name.endswith("级标题"):
            current = p.text
            out[current] = []
        elif current is not None and p.text:
            out[current].append(p.text)
    return out


def fullwidth(text: str) -> str:
    return text.replace(",", "，")


def test_report_is_a_synthesis_with_totals_from_the_forms(demo):
    doc = open_docx(str(demo / f"落实情况报告_{ROUND}.docx"))
    paras = [p.text for p in doc.paragraphs]
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    text = "\n".join(paras + cells)
    assert text.count("本单位无此项职能") <= 1
    assert len(HALF_WIDTH.findall(text)) <= 5, HALF_WIDTH.findall(text)[:10]
    for run in ("连迁嚷龙", "颂试页", "符抹重"):  # the scraped page's noise, flagged by parse, fixed by the clerk
        assert run not in text

    with Ledger.open(demo) as led:
        plan = led.plan_for_round(ROUND)
    rows = returned_rows(demo)
    shown = detail_status(demo)
    by_task = defaultdict(list)
    for r in rows:
        if r["status"] and r["status"] not in STATUSES:  # typed in the unit's own words: as merge read it
            r["status"] = shown[(r["task"], r["unit"])]
        by_task[r["task"]].append(r)
    sections = task_sections(doc)
    assert len(plan.tasks) == 18
    for t in plan.tasks:
        heading = next(h for h in sections if h.startswith(t.title[:8], h.index("）") + 1 if "）" in h else 0))
        body = "\n".join(sections[heading])
        # each lead's account, in its own words (less an opener such as 「按照……要求，」)
        for r in by_task[t.id]:
            if r["role"] == "牵头" and r["progress"] and r["status"] not in ("不涉及", ""):
                assert fullwidth(trim_opener(r["progress"])) in body, (t.id, r["unit"])
                assert "按照“" not in body
        # the others' quantities added up
        others = [r for r in by_task[t.id] if r["role"] != "牵头" and r["status"] in STATUSES
                  and r["status"] != "不涉及"]
        info = sum(int(m) for r in others for m in re.findall(r"公开相关信息(\d+)条", r["progress"]))
        talks = sum(int(m) for r in others for m in re.findall(r"政策解读(\d+)次", r["progress"]))
        if others:
            assert f"主动公开相关信息{info:,}条" in body and f"开展政策解读{talks}次" in body, (t.id, body)
            assert sum(1 for p in sections[heading] if "个，已报送" in p) == 1  # one paragraph for the others
        assert len(sections[heading]) <= 6, (t.id, sections[heading])


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_report_prints_in_at_most_15_pages(demo, tmp_path):
    pdf = demo / f"落实情况报告_{ROUND}.pdf"  # the demo converts through LibreOffice when it is installed
    if not pdf.is_file():
        subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                        "pdf", "--outdir", str(tmp_path), str(demo / f"落实情况报告_{ROUND}.docx")], check=True,
                       capture_output=True, timeout=240)
        pdf = tmp_path / pdf.name
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert 3 <= pages <= 15, pages
    if shutil.which("pdftotext"):  # the signature never stands alone on the last page
        last = subprocess.run(["pdftotext", "-f", str(pages), "-l", str(pages), str(pdf), "-"], check=True,
                              capture_output=True, text=True).stdout
        assert "下步工作计划" in last or "1. " in last, last


def test_master_summary_is_short_and_detail_is_long_form(demo):
    wb = openpyxl.load_workbook(master_path(demo))
    assert wb.sheetnames[:2] == ["汇总", "明细"]
    summary = wb["汇总"]
    title = summary["A1"].value
    assert title.endswith("政务公开工作任务落实情况汇总表") and ROUND in title
    assert f"截至 {DUE}" in summary["A2"].value  # a past round is judged as of its due date
    longest = max(len(str(c.value)) for r in summary.iter_rows() for c in r if c.value is not None)
    assert longest < 1000, longest
    header = [c.value for c in summary[3]]
    assert header[:5] == ["任务编号", "工作任务", "完成时限", "牵头单位", "完成状态"]
    assert summary.print_title_rows == "$3:$3" and summary.auto_filter.ref.startswith("A3:")

    detail = wb["明细"]
    head = [c.value for c in detail[1]]
    data = list(detail.iter_rows(min_row=2, values_only=True))
    with Ledger.open(demo) as led:
        assigned = led.assignment(ROUND)
    assert len(data) == sum(len(pairs) for pairs in assigned.values())  # one row per task × unit
    assert len({(r[0], r[2]) for r in data}) == len(data)
    assert detail.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(head))}{len(data) + 1}"
    dates = [r[head.index("填报日期")] for r in data if r[head.index("填报日期")]]
    assert dates and set(dates) == {str(DUE - dt.timedelta(days=3))}
    times = [r[head.index("报送时间")] for r in data if r[head.index("报送时间")]]
    assert times and all(re.fullmatch(r"2020-12-\d\d \d\d:\d\d", t) for t in times)  # when the file arrived
    # legible when printed: 10 pt text on pages scaled no smaller than 90 %
    for ws in (summary, detail):
        width = sum(ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width
                    for c in range(1, ws.max_column + 1))
        usable = (297 - 2 * 0.4 * 25.4) / 25.4 * 96  # A4 landscape, pixels at 96 dpi
        scale = min(1.0, usable / (width * 7 + 5 * ws.max_column))
        assert 10 * scale >= 9, (ws.title, width, scale)
        assert ws.cell(ws.max_row if ws is detail else 4, 2).font.sz == 10


def test_reminders_go_only_to_units_that_owe_something(demo):
    """未报送 units, and units whose own dated tasks are past due at the as-of date and not settled."""
    import email
    from email import policy

    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted((demo / "催报邮件").glob("*.eml"))]
    bodies = [m.get_body(("plain",)).get_content() for m in mails]
    as_of = {re.search(r"截至(\d{4})年(\d+)月(\d+)日", b).groups() for b in bodies}
    assert len(as_of) == 1  # one as-of date in every mail
    as_of = dt.date(*map(int, as_of.pop()))

    with Ledger.open(demo) as led:
        plan = led.plan_for_round(ROUND)
        assigned = led.assignment(ROUND)
    deadline = {t.id: t.deadline.date for t in plan.tasks}
    shown = detail_status(demo)
    rows = returned_rows(demo)
    returned = {r["unit"] for r in rows}
    owing = {u for u in assigned if u not in returned}
    for r in rows:
        status = r["status"] if r["status"] in STATUSES or not r["status"] else shown[(r["task"], r["unit"])]
        d = deadline.get(r["task"])
        if d and d < as_of.isoformat() and status not in ("已完成", "长期推进", "不涉及"):
            owing.add(r["unit"])
    reminded = {re.search(r"（(.+)）$", str(m["Subject"])).group(1) for m in mails}
    assert reminded == owing and len(mails) == len(owing)
    missing = [m for m in mails if str(m["Subject"]).startswith("【催报】")]
    assert {re.search(r"（(.+)）$", str(m["Subject"])).group(1) for m in missing} == set(assigned) - returned
    assert all(list(m.iter_attachments()) for m in missing)  # the form again for those who sent nothing


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice or poppler not installed")
def test_master_summary_prints_in_a_few_pages(demo, tmp_path):
    """The 汇总 sheet of 18 tasks × 50 units: 3 or 4 landscape pages through LibreOffice (it was 16 at about 6 pt)."""
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(master_path(demo))], check=True, capture_output=True, timeout=240)
    pdf = tmp_path / (master_path(demo).stem + ".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = text.split("\f")
    summary = [p for p in pages if p.strip() and p.strip().splitlines()[0].rstrip().endswith(" 汇总")]
    assert 1 <= len(summary) <= 4, len(summary)
    assert "政务公开工作任务落实情况汇总表" in summary[0] and "截至 " in summary[0]
