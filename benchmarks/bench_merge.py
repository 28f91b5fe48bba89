"""Benchmark ``merge``: 300 returned forms × 60 rows, end to end.

Generates the returned forms with xlsxwriter directly (the forms' layout and
metadata, every input filled), then in the same process times:

* ``merge`` in one process: read+validate, ledger, master (build + write), end to end;
  then again with worker processes (for information: the ratios compare one process with one);
* a naive baseline: ``pandas.read_excel`` (openpyxl engine) per file, ``concat``,
  ``to_excel`` of the concatenated master (one process);
* the floor: zip + inflate of every part of each file, no parsing (one process);
* what any read of a return must cost under a library reader (one process): python-calamine's plain read
  of every sheet, and the package checks the merge makes before calamine may read (zip directory and
  sizes, the parts behind the values inflated and their CRCs checked, the sheets scanned for cells beyond
  a form's shape).  Their sum is a lower bound of read+validate, printed as a multiple of the floor.

Usage:
    python benchmarks/bench_merge.py [--units 300] [--rows 60] [--keep DIR] [--repeat N]

``--repeat N`` measures every figure N times, interleaved, and prints the medians (ratios are of the medians):
the machine's noise is 20–40 % between single runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout, not an installed copy

import pandas as pd
import xlsxwriter

from python_calamine import CalamineWorkbook

from zwgk_xl.forms import spec as fs
from zwgk_xl.merge import xlsxscan
from zwgk_xl.merge.intake import Limits
from zwgk_xl.decompose.assign import assign_tasks
from zwgk_xl.forms.writer import locked_rows
from zwgk_xl.ledger.store import Ledger
from zwgk_xl.merge.command import run_merge
from zwgk_xl.core.model import STATUSES, Deadline, Document, Node

ROUND = "2021年第二季度"


def make_plan(n_units: int, rows: int, tasks_per_unit_share: int = 10) -> Document:
    """``rows`` tasks per unit out of ``rows * tasks_per_unit_share`` tasks; the first unit to get a task leads."""
    n_tasks = rows * tasks_per_unit_share
    units = [f"县第{i:03d}局" for i in range(n_units)]
    holders: dict[int, list[str]] = {}
    for i, unit in enumerate(units):
        for j in range(rows):
            holders.setdefault((i * tasks_per_unit_share // 5 + j) % n_tasks, []).append(unit)
    sec = Node(id="一", path=["一"], title="一、测试")
    for t in range(n_tasks):
        who = holders.get(t, [])
        sec.children.append(Node(
            id=f"一.({t + 1})", path=["一", f"({t + 1})"], title=f"任务{t + 1}", is_task=True,
            text=f"第{t + 1}项任务的具体要求:依法依规做好政府信息主动公开工作,及时更新公开内容。",
            lead_local=who[:1], others_local=who[1:], deadline=Deadline(date="2021-12-31", kind="date")))
    return Document(title="基准分解表", roots=[sec])


def write_returned(plan: Document, folder: Path, ledger_id: str) -> list[Path]:
    """One filled form per unit, in the forms' layout, written with xlsxwriter."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, (unit, tasks) in enumerate(assign_tasks(plan, None).items()):
        rows = locked_rows(tasks)
        meta = {"ledger_id": ledger_id, "round": ROUND, "unit": unit,
                "task_ids": fs.encode_task_ids([r["id"] for r in rows]), "checksum": fs.locked_checksum(rows),
                "template_version": fs.TEMPLATE_VERSION, "due": "2021-07-05"}
        path = folder / f"{ROUND}_{unit}_落实情况填报表.xlsx"
        wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                             "strings_to_urls": False})
        ws = wb.add_worksheet(fs.TASK_SHEET)
        ws.write_string(fs.TITLE_ROW, 0, f"{unit} {ROUND}政务公开工作任务落实情况填报表")
        ws.write_string(fs.INFO_ROW, 0, "填报单位")
        ws.write_string(fs.INFO_ROW, 1, unit)
        labels = dict(fs.FORM_FIELDS)
        values = {"filler": f"填报人{n}", "phone": "0878-1234567", "fill_date": "2021-07-01"}
        for key, (r, c) in fs.FORM_FIELD_CELLS.items():
            ws.write_string(r, c - 1, labels[key])
            ws.write_string(r, c, values[key])
        ws.write_row(fs.HEADER_ROW, 0, fs.HEADERS)
        for i, row in enumerate(rows):
            r = fs.FIRST_DATA_ROW + i
            status = STATUSES[(n + i) % len(STATUSES)]
            cells = [row[k] for k, _ in fs.LOCKED_COLUMNS] + [
                status, f"{unit}已按要求落实第{i + 1}项任务,共公开信息{i * 3 + 7}条,并在门户网站专栏集中发布。",
                "2021-06-20", "无", "继续做好常态化公开。", f"http://www.example.gov.cn/{n}/{i}.html"]
            for c, v in enumerate(cells):
                ws.write_string(r, c, v)
        meta_ws = wb.add_worksheet(fs.META_SHEET)
        for i, key in enumerate(fs.META_KEYS, start=1):
            meta_ws.write_string(i, 0, key)
            meta_ws.write_string(i, 1, meta[key])
        meta_ws.very_hidden()
        wb.close()
        paths.append(path)
    return paths


def new_workspace(base: Path, plan: Document) -> tuple[Path, str]:
    """A 台账 under ``base`` holding ``plan`` for the round: (its folder, its ledger id)."""
    ws = base / "台账"
    with Ledger.open(ws) as ledger:
        ledger.store_plan(ROUND, plan)
        return ws, ledger.ledger_id


def naive(paths: list[Path], out: Path) -> float:
    t0 = time.perf_counter()
    frames = [pd.read_excel(p, sheet_name=fs.TASK_SHEET, header=fs.HEADER_ROW, engine="openpyxl") for p in paths]
    pd.concat(frames, ignore_index=True).to_excel(out, index=False)
    return time.perf_counter() - t0


def floor(paths: list[Path]) -> float:
    """zip + inflate of every part of each file, one process."""
    t0 = time.perf_counter()
    for p in paths:
        with zipfile.ZipFile(p) as z:
            for name in z.namelist():
                z.read(name)
    return time.perf_counter() - t0


def calamine(paths: list[Path]) -> float:
    """python-calamine's plain read of every sheet of each file, one process."""
    t0 = time.perf_counter()
    for p in paths:
        wb = CalamineWorkbook.from_path(str(p))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
    return time.perf_counter() - t0


def checks(paths: list[Path]) -> float:
    """The package checks a merge makes on each .xlsx before calamine reads it, one process: the zip
    directory and its declared sizes; shared strings, styles and workbook inflated and their CRCs checked
    (calamine checks none); each sheet inflated and scanned for cells beyond a form's shape, formulas and
    errors.  Other kinds of file are read as bytes."""
    limits = Limits()
    t0 = time.perf_counter()
    for p in paths:
        data = p.read_bytes()
        if not data.startswith(b"PK"):
            continue
        for e in xlsxscan.directory(data) or []:
            key = e.filename.lower()
            if key.startswith("xl/worksheets/"):
                xlsxscan.scan(xlsxscan.member(data, e), limits.max_rows, limits.max_cols)
            elif key.endswith(("sharedstrings.xml", "styles.xml")) or key == "xl/workbook.xml":
                xlsxscan.member(data, e)
    return time.perf_counter() - t0


def merge_once(base: Path, ws: Path, name: str, workers: int | None):
    """(seconds, result) of one merge of the returns into a fresh copy of the 台账 ``ws``."""
    fresh = base / f"台账_{name}"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(ws, fresh)
    t0 = time.perf_counter()
    result = run_merge(base / "回收", workspace=fresh, round=ROUND, output=base / f"汇总表_{name}.xlsx",
                       workers=workers)
    return time.perf_counter() - t0, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--rows", type=int, default=60)
    ap.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    ap.add_argument("--repeat", type=int, default=1, help="measurements per figure (medians are printed)")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench_merge_"))
    try:
        plan = make_plan(args.units, args.rows)
        ws, ledger_id = new_workspace(base, plan)
        t0 = time.perf_counter()
        paths = write_returned(plan, base / "回收", ledger_id)
        print(f"generated {len(paths)} forms x {args.rows} rows in {time.perf_counter() - t0:.2f} s")

        merge_once(base, ws, "warm", 1)  # imports and caches, as a clerk's second merge of the day
        runs = []
        for _ in range(max(1, args.repeat)):
            t_merge, result = merge_once(base, ws, "1p", 1)
            t_workers, result_w = merge_once(base, ws, "wp", None)
            runs.append((floor(paths), t_merge, result.timings, t_workers, result_w.timings,
                         naive(paths, base / "naive.xlsx"), calamine(paths), checks(paths)))
        med = statistics.median
        t_floor, t_merge, t_workers, t_naive, t_cal, t_checks = (med(r[i] for r in runs) for i in (0, 1, 3, 5, 6, 7))
        tm = {k: med(r[2][k] for r in runs) for k in ("read_validate", "ledger", "master")}
        tw = {k: med(r[4][k] for r in runs) for k in ("read_validate",)}
        if args.repeat > 1:
            print(f"medians of {args.repeat} runs")
        print(f"merge: {result.counts()['accepted']} accepted, {len(result.findings)} findings")
        print(f"  one process: read+validate {tm['read_validate']:.2f} s | ledger {tm['ledger']:.2f} s | "
              f"master {tm['master']:.2f} s | end to end {t_merge:.2f} s")
        print(f"  {result_w.workers or 1} processes (ZWGK_WORKERS sets it): read+validate {tw['read_validate']:.2f} s | "
              f"end to end {t_workers:.2f} s")
        print(f"naive pandas/openpyxl (one process): {t_naive:.2f} s   floor zip+inflate of every part: {t_floor:.2f} s")
        print(f"end to end vs naive, one process each: {t_naive / t_merge:.1f}x faster (target >= 6x)")
        print(f"read+validate vs floor, one process each: {tm['read_validate'] / t_floor:.1f}x (target <= 3x)")
        print(f"  bound under a library reader: python-calamine's plain read {t_cal:.2f} s ({t_cal / t_floor:.1f}x floor)"
              f" + the package checks {t_checks:.2f} s ({t_checks / t_floor:.1f}x) = {(t_cal + t_checks) / t_floor:.1f}x floor"
              f" before any validation; read+validate = {tm['read_validate'] / t_cal:.1f}x calamine")
        if args.repeat > 1:  # the spread: each round's own ratios (the machine's noise moves both sides)
            print("each round: end to end vs naive " + ", ".join(f"{r[5] / r[1]:.1f}x" for r in runs)
                  + "; read+validate vs floor " + ", ".join(f"{r[2]['read_validate'] / r[0]:.1f}x" for r in runs))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
