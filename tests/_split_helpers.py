"""Helpers for the split/forms tests: hand-built plans, a stand-in directory, readers."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from types import SimpleNamespace

import openpyxl
from python_calamine import CalamineWorkbook

from zwgk_xl.forms import spec as fs
from zwgk_xl.core.model import Deadline, Document, Node


class StandInDirectory:
    """The part of ``units.Directory`` that forms use: get / expand / is_group."""

    def __init__(self, units: dict[str, dict], groups: dict[str, list[str]]):
        self.units = [SimpleNamespace(name=n, aliases=v.get("aliases", []), contact=v.get("contact", ""),
                                      phone=v.get("phone", "")) for n, v in units.items()]
        self.groups = groups

    def get(self, name):
        for u in self.units:
            if name == u.name or name in u.aliases:
                return u
        return None

    def is_group(self, name):
        return name in self.groups

    def expand(self, name):
        if name in self.groups:
            return list(self.groups[name])
        u = self.get(name)
        return [u.name] if u else []


def task(tid: str, lead: list[str], others: list[str] | None = None, deadline: str | None = "2021-12-31",
         text: str = "") -> Node:
    return Node(id=tid, path=tid.split("."), title=f"任务{tid}", text=text or f"任务{tid}的具体要求。",
                is_task=True, lead_local=lead, others_local=others or [],
                deadline=Deadline(date=deadline, text="" if deadline else "长期推进",
                                  kind="date" if deadline else "长期"))


def small_plan() -> tuple[Document, StandInDirectory]:
    directory = StandInDirectory(
        {"县人民政府办公室": {"aliases": ["县政府办"], "contact": "李四", "phone": "0878-1111111"},
         "县财政局": {}, "县教育体育局": {}, "县司法局": {}, "城关镇": {}, "东山乡": {}},
        {"县直各部门": ["县财政局", "县教育体育局", "县司法局"], "各乡镇(街道)": ["城关镇", "东山乡"]},
    )
    sec = Node(id="一", path=["一"], title="一、拓展公开深度")
    sec.children = [
        task("一.(一)", ["县政府办"], ["县直各部门"], text='含"引号"与 =SUM(A1) 以及 1/2'),
        task("一.(二)", ["县司法局"], ["县人民政府办公室", "各乡镇(街道)"], deadline=None),
        task("一.(三)", ["县财政局"], ["县财政局"], deadline="2021-10-31"),
        task("一.(四)", ["县教育体育局"]),
    ]
    return Document(title="测试要点", roots=[sec]), directory


def task_sheet_rows(path: Path) -> list[list]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name(fs.TASK_SHEET).to_python(skip_empty_area=False)
    finally:
        wb.close()


def table(rows: list[list]) -> list[dict]:
    """The task table under the header row, as dicts keyed like formspec.COLUMNS."""
    h = fs.find_header_row(rows)
    assert h is not None, "header row not found"
    out = []
    for r in rows[h + 1:]:
        if not any(v not in (None, "") for v in r):
            continue
        r = list(r) + [""] * (len(fs.COLUMNS) - len(r))
        out.append({k: r[i] for i, (k, _) in enumerate(fs.COLUMNS)})
    return out


def verify_checksum(path: Path, meta: dict) -> bool:
    rows = [{k: "" if r[k] is None else str(r[k]) for k, _ in fs.LOCKED_COLUMNS} for r in table(task_sheet_rows(path))]
    return fs.locked_checksum(rows) == meta["checksum"] and [r["id"] for r in rows] == meta["task_ids"]


def unlocked_cells(path: Path) -> set[str]:
    ws = openpyxl.load_workbook(path)[fs.TASK_SHEET]
    return {c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked}


def soffice_convert(src: Path, fmt: str, outdir: Path) -> Path:
    """Re-save ``src`` as ``fmt`` with LibreOffice (own profile per call)."""
    profile = Path(f"/tmp/lo_split_{os.getpid()}_{uuid.uuid4().hex[:8]}")
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                        "--outdir", str(outdir), str(src)], check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = outdir / (src.stem + "." + fmt)
    assert out.is_file(), f"soffice did not write {out}"
    return out


def describe_form(path: Path) -> dict:
    """What a form holds, without timestamps: values, merges, validations, protection, print setup, metadata."""
    wb = openpyxl.load_workbook(path)
    ws = wb[fs.TASK_SHEET]
    cal = CalamineWorkbook.from_path(str(path))
    try:
        values = {name: [[("" if v is None else str(v)) for v in row]
                         for row in cal.get_sheet_by_name(name).to_python(skip_empty_area=False)]
                  for name in cal.sheet_names}
    finally:
        cal.close()
    p = ws.protection
    return {
        "sheets": [[s.title, s.sheet_state] for s in wb],
        "values": values,
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "validations": sorted([str(dv.sqref), dv.type, dv.operator, dv.formula1, dv.formula2, dv.promptTitle,
                               dv.prompt, dv.errorTitle, dv.error] for dv in ws.data_validations.dataValidation),
        "conditional": sorted([str(r.sqref), [[x.type, x.formula] for x in r.rules]] for r in ws.conditional_formatting),
        "unlocked": sorted(unlocked_cells(path)),
        "protection": {k: getattr(p, k) for k in ("sheet", "formatCells", "formatColumns", "formatRows",
                                                   "insertRows", "deleteRows", "autoFilter", "sort")},
        "print": [ws.page_setup.orientation, str(ws.page_setup.paperSize), ws.print_title_rows,
                  ws.page_setup.fitToWidth, ws.page_setup.fitToHeight, str(ws.print_area)],
        "freeze": ws.freeze_panes,
        "autofilter": ws.auto_filter.ref,
        "names": sorted([n, d.attr_text] for n, d in wb.defined_names.items()),
        "properties": sorted([pr.name, pr.value] for pr in wb.custom_doc_props.props),
    }
