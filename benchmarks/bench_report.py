"""Benchmark: render a report for a large round (default 300 tasks x 60 units, 3 reports per task).

    python benchmarks/bench_report.py [tasks] [units]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from zwgk_xl.core.model import Deadline, Document, Master, MasterRow, Node, UnitReport, UnitStatus
from zwgk_xl.report.render import build_report_context, render_report

STATUSES = ["已完成", "推进中", "未启动", "不涉及", "长期推进", ""]


def synthetic(n_tasks: int, n_units: int) -> Master:
    units = [f"县第{i}局" for i in range(n_units)]
    sections, rows = [], []
    for s in range(max(1, n_tasks // 10)):
        section = Node(id=str(s), path=[str(s)], title=f"第{s}部分")
        for k in range(10):
            i = s * 10 + k
            t = Node(id=f"{s}.({k})", path=[str(s), f"({k + 1})"], title=f"任务{i}", is_task=True,
                     lead_local=[units[i % n_units]], deadline=Deadline("2021-06-30", "6月底前", "date"))
            section.children.append(t)
            reps = [UnitReport(units[(i + j) % n_units], "牵头" if j == 0 else "配合", STATUSES[(i + j) % 6],
                               f"我单位高度重视,本季度公开信息{i + j}条。按要求在政府网站公开。" * (1 + j))
                    for j in range(3)]
            rows.append(MasterRow(t, reps, overdue=i % 7 == 0))
        sections.append(section)
    plan = Document(title="2021年某县政务公开工作要点", roots=sections)
    return Master("2021年第二季度", plan, rows, [UnitStatus(u, 15, i % 9 != 0) for i, u in enumerate(units)],
                  previous_round="2021年第一季度", previous_status={r.task.id: "推进中" for r in rows})


def main() -> None:
    n_tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    n_units = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    master = synthetic(n_tasks, n_units)
    t0 = time.perf_counter()
    build_report_context(master)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        render_report(master, Path(tmp) / "报告.docx")
        t2 = time.perf_counter()
    print(f"{n_tasks} tasks, {n_units} units: context {t1 - t0:.2f} s, render docx+xlsx {t2 - t1:.2f} s")


if __name__ == "__main__":
    main()
