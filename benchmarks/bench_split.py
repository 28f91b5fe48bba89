"""Benchmark ``split``: write fill-in forms for 300 units × 60 tasks.

Prints the seconds xlsxwriter-based ``write_forms`` takes (one process;
target under 4 s for 300 × 60, issue 15), and the ratio
against a naive baseline in the same process: openpyxl writing the same
layout (cells, validations, protection, hidden metadata sheet) form by form.
The baseline writes all forms unless ``--baseline-units`` limits it to a
sample (then its time is scaled per form).

Usage:
    python benchmarks/bench_split.py [--units 300] [--tasks 60] [--baseline-units N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Protection
from openpyxl.worksheet.datavalidation import DataValidation

from zwgk_xl.forms import spec as fs
from zwgk_xl.decompose.assign import assign_tasks
from zwgk_xl.forms.writer import form_file_name, locked_rows, write_forms
from zwgk_xl.core.model import Deadline, Document, Node

ROUND = "2021年第二季度"


class BenchDirectory:
    """Every unit belongs to the group 县直各部门."""

    def __init__(self, names):
        self.names = names

    def get(self, name):
        return None

    def is_group(self, name):
        return name == "县直各部门"

    def expand(self, name):
        return list(self.names) if name == "县直各部门" else [name]


def make_plan(n_units: int, n_tasks: int) -> tuple[Document, BenchDirectory]:
    units = [f"县第{i:03d}局" for i in range(n_units)]
    sec = Node(id="一", path=["一"], title="一、测试")
    for i in range(n_tasks):
        text = f"第{i}项任务的具体要求:" + "依法依规做好政府信息主动公开工作,及时更新公开内容。" * 4
        sec.children.append(Node(
            id=f"一.({i + 1})", path=["一", f"({i + 1})"], title=f"任务{i + 1}", text=text, is_task=True,
            lead_local=[units[i % n_units]], others_local=["县直各部门"],
            deadline=Deadline(date="2021-12-31", kind="date")))
    return Document(roots=[sec]), BenchDirectory(units)


def naive_openpyxl(plan: Document, directory, out: Path, limit: int) -> int:
    """The same forms written with openpyxl (no styles beyond protection); returns forms written."""
    assigned = list(assign_tasks(plan, directory).items())[:limit]
    for unit, tasks in assigned:
        rows = locked_rows(tasks)
        wb = Workbook()
        ws = wb.active
        ws.title = fs.TASK_SHEET
        ws.cell(fs.TITLE_ROW + 1, 1, f"{unit} {ROUND}政务公开工作任务落实情况填报表")
        for i, h in enumerate(fs.HEADERS, start=1):
            ws.cell(fs.HEADER_ROW + 1, i, h)
        first = fs.FIRST_DATA_ROW + 1
        for n, row in enumerate(rows):
            for key, _ in fs.LOCKED_COLUMNS:
                ws.cell(first + n, fs.COLUMN_INDEX[key] + 1, row[key])
            for key, _ in fs.INPUT_COLUMNS:
                ws.cell(first + n, fs.COLUMN_INDEX[key] + 1).protection = Protection(locked=False)
        last = first + len(rows) - 1
        dv = DataValidation(type="list", formula1='"' + ",".join(fs.STATUS_LIST) + '"')
        dv.add(f"F{first}:F{last}")
        ws.add_data_validation(dv)
        ws.protection.sheet = True
        meta = wb.create_sheet(fs.META_SHEET)
        meta.append(["unit", unit])
        meta.append(["checksum", fs.locked_checksum(rows)])
        meta.sheet_state = "veryHidden"
        wb.save(out / form_file_name(ROUND, unit))
    return len(assigned)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--tasks", type=int, default=60)
    ap.add_argument("--baseline-units", type=int, default=0, help="0 = all units")
    args = ap.parse_args()
    plan, directory = make_plan(args.units, args.tasks)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "forms"
        t0 = time.perf_counter()
        infos = write_forms(plan, directory, ROUND, "2021-06-25", out, contact="张三 0878-1234567")
        ours = time.perf_counter() - t0
        rows = sum(i.task_count for i in infos)
        base_dir = Path(tmp) / "baseline"
        base_dir.mkdir()
        t0 = time.perf_counter()
        n_base = naive_openpyxl(plan, directory, base_dir, args.baseline_units or len(infos))
        base = (time.perf_counter() - t0) * len(infos) / n_base
    print(f"split: {len(infos)} forms, {rows} task rows: {ours:.2f} s "
          f"({ours / len(infos) * 1000:.1f} ms/form); target < 15 s: {'OK' if ours < 15 else 'MISSED'}; "
          f"issue 15 (300 × 60 under 4 s): {'OK' if ours < 4 or (args.units, args.tasks) != (300, 60) else 'MISSED'}")
    print(f"naive openpyxl baseline ({n_base} forms, scaled to {len(infos)}): {base:.2f} s; "
          f"ratio baseline/split = {base / ours:.2f}x")


if __name__ == "__main__":
    main()
