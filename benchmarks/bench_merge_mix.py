"""Benchmark ``merge`` on the returns departments really send, not on a best case.

Generates returned forms of several kinds from the real forms (``write_forms``):

* ``openpyxl``  — filled and saved with openpyxl (as the demo fills them; Excel-like XML);
* ``xlsxwriter`` — written by xlsxwriter with no styles (the old benchmark's best case);
* ``lo-xlsx`` / ``lo-xls`` / ``lo-ods`` — the openpyxl returns re-saved by LibreOffice (when installed);
* ``pasted``    — values pasted into a new workbook (no metadata sheet, unit in the file name);
* ``bad``       — openpyxl returns with a share of bad values (free-typed status, numbers in date cells).

For each kind and for the whole mix it prints, measured in this one run:
end to end; read+validate in one process and with worker processes; python-calamine's plain read of the
same files (one process); the package checks the merge makes before calamine reads (``bench_merge.checks``:
with calamine's read, a lower bound of read+validate); the zip+inflate floor of every part of each file
(one process); the naive pandas baseline (one process).  Every ratio compares like with like in the number
of processes.

Usage:
    python benchmarks/bench_merge_mix.py [--units 300] [--rows 60] [--keep DIR | --reuse DIR] [--repeat N]

``--repeat N`` measures every figure but the worker run N times, interleaved, and prints the medians
(the ratio is of the medians); ``--reuse DIR`` measures the files a run with ``--keep DIR`` generated.
"""

from __future__ import annotations

import argparse
import os
import statistics
import warnings
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout, not an installed copy
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from openpyxl import Workbook, load_workbook

from bench_merge import ROUND, calamine, checks, make_plan, write_returned
from zwgk_xl.core.office import soffice_path
from zwgk_xl.forms import spec as fs
from zwgk_xl.forms.writer import write_forms
from zwgk_xl.ledger.store import Ledger
from zwgk_xl.merge import run_merge

SHARES = {"openpyxl": 0.40, "xlsxwriter": 0.20, "lo-xlsx": 0.10, "lo-xls": 0.10, "lo-ods": 0.05,
          "pasted": 0.10, "bad": 0.05}


def fill(src: Path, dst: Path, n: int, bad: bool = False) -> None:
    """Fill a real form as a department's spreadsheet program would, and save it as ``dst``."""
    wb = load_workbook(src)
    ws = wb[fs.TASK_SHEET]
    col = {key: i + 1 for key, i in fs.COLUMN_INDEX.items()}
    r = fs.FIRST_DATA_ROW + 1
    i = 0
    while ws.cell(r, col["id"]).value:
        status = fs.STATUS_LIST[(n + i) % len(fs.STATUS_LIST)]
        ws.cell(r, col["status"]).value = "基本完成" if bad and i % 7 == 0 else status
        ws.cell(r, col["progress"]).value = f"已按要求落实第{i + 1}项任务，共公开信息{i * 3 + 7}条，并在门户网站专栏集中发布。"
        ws.cell(r, col["done_date"]).value = 20210620 if bad and i % 5 == 0 else "2021-06-20"
        ws.cell(r, col["problems"]).value = "无"
        ws.cell(r, col["next_steps"]).value = "继续做好常态化公开。"
        r += 1
        i += 1
    for key, (fr, fc) in fs.FORM_FIELD_CELLS.items():
        ws.cell(fr + 1, fc + 1).value = {"filler": f"填报人{n}", "phone": "0878-1234567", "fill_date": "2021-07-01"}[key]
    wb.save(dst)


def paste(src: Path, dst: Path) -> None:
    """The values of a filled form pasted into a new workbook (what a department does with a copy)."""
    old = load_workbook(src, read_only=True)[fs.TASK_SHEET]
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for row in old.iter_rows(values_only=True):
        ws.append(list(row))
    wb.save(dst)


def libreoffice(files: list[Path], fmt: str, out: Path) -> list[Path]:
    """Re-save ``files`` with LibreOffice in one batch; [] when LibreOffice is missing."""
    exe = soffice_path()
    if not exe or not files:
        return []
    profile = Path(tempfile.mkdtemp(prefix="lo-bench-"))
    work = Path(tempfile.mkdtemp(prefix="lo-out-"))
    try:
        subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                        "--outdir", str(work), *map(str, files)], check=True, capture_output=True, timeout=1800)
        out.mkdir(parents=True, exist_ok=True)
        done = []
        for f in files:
            got = work / f"{f.stem}.{fmt}"
            if got.exists():
                shutil.move(str(got), out / got.name)
                done.append(out / got.name)
        return done
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def make_mix(base: Path, n_units: int, rows: int) -> tuple[Path, dict[str, list[Path]]]:
    """The 台账 and the returns by kind (each kind in its own folder)."""
    ws = base / "台账"
    plan = make_plan(n_units, rows)
    with Ledger.open(ws) as ledger:
        ledger.store_plan(ROUND, plan)
        forms = write_forms(plan, None, ROUND, "2021-07-05", base / "下发", ledger=ledger)
        ledger_id = ledger.ledger_id
    counts, start = {}, 0
    for kind, share in SHARES.items():
        counts[kind] = (start, start + round(share * len(forms)))
        start = counts[kind][1]
    by_kind: dict[str, list[Path]] = {k: [] for k in SHARES}
    scratch = base / "scratch"
    scratch.mkdir()
    to_convert: dict[str, list[Path]] = {"lo-xlsx": [], "lo-xls": [], "lo-ods": []}
    xw_plan_units = set()
    for n, form in enumerate(forms):
        kind = next((k for k, (a, b) in counts.items() if a <= n < b), "openpyxl")
        folder = base / "回收" / kind
        folder.mkdir(parents=True, exist_ok=True)
        if kind == "xlsxwriter":
            xw_plan_units.add(form.unit)
            continue
        if kind in to_convert:
            dst = scratch / form.path.name
            fill(form.path, dst, n)
            to_convert[kind].append(dst)
        elif kind == "pasted":
            filled = scratch / form.path.name
            fill(form.path, filled, n)
            paste(filled, folder / f"{form.unit}_回复.xlsx")
            by_kind[kind].append(folder / f"{form.unit}_回复.xlsx")
        else:
            dst = folder / form.path.name
            fill(form.path, dst, n, bad=kind == "bad")
            by_kind[kind].append(dst)
    if xw_plan_units:
        xw = write_returned(plan, scratch / "xw", ledger_id)
        for p in xw:
            if any(f"_{u}_" in p.name for u in xw_plan_units):
                shutil.move(str(p), base / "回收" / "xlsxwriter" / p.name)
                by_kind["xlsxwriter"].append(base / "回收" / "xlsxwriter" / p.name)
    for kind, files in to_convert.items():
        by_kind[kind] = libreoffice(files, kind.split("-")[1], base / "回收" / kind)
    shutil.rmtree(scratch)
    return ws, {k: v for k, v in by_kind.items() if v}


def floor(paths: list[Path]) -> float:
    """zip + inflate of every part of each file (OLE .xls: the bytes read), one process."""
    t0 = time.perf_counter()
    for p in paths:
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                for name in z.namelist():
                    z.read(name)
        else:
            p.read_bytes()
    return time.perf_counter() - t0


def naive(paths: list[Path], out: Path) -> float:
    """pandas.read_excel per file (the engine pandas picks), concat, to_excel; one process."""
    t0 = time.perf_counter()
    frames = []
    for p in paths:
        try:
            frames.append(pd.read_excel(p, sheet_name=0, header=fs.HEADER_ROW, engine=None if p.suffix != ".xlsx" else "openpyxl"))
        except Exception:  # noqa: BLE001 - the naive way skips what it cannot read
            continue
    pd.concat(frames, ignore_index=True).to_excel(out, index=False)
    return time.perf_counter() - t0


def merge_once(folder: Path, ws: Path, out: Path, workers: int) -> tuple[float, float, object]:
    """(end to end, read+validate, result) of one merge of ``folder`` into a fresh copy of the 台账."""
    fresh = out.parent / f"台账_{out.stem}"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(ws, fresh)
    t0 = time.perf_counter()
    result = run_merge(folder, workspace=fresh, round=ROUND, output=out, workers=workers)
    return time.perf_counter() - t0, result.timings.get("read_validate", 0.0), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--rows", type=int, default=60)
    ap.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    ap.add_argument("--reuse", type=Path, help="measure the files kept (--keep) in this folder")
    ap.add_argument("--repeat", type=int, default=1, help="measurements per figure (medians are printed)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # openpyxl and pandas comment on the bad values; the table says enough
    base = args.reuse or args.keep or Path(tempfile.mkdtemp(prefix="bench_mix_"))
    try:
        t0 = time.perf_counter()
        if args.reuse:
            ws = base / "台账"
            by_kind = {k: sorted((base / "回收" / k).iterdir()) for k in SHARES if (base / "回收" / k).is_dir()}
        else:
            ws, by_kind = make_mix(base, args.units, args.rows)
        total = sum(len(v) for v in by_kind.values())
        print(f"{'reused' if args.reuse else 'generated'} {total} returns in {time.perf_counter() - t0:.1f} s: "
              + ", ".join(f"{k} {len(v)}" for k, v in by_kind.items()))
        if not soffice_path():
            print("LibreOffice is not installed: no lo-xlsx / lo-xls / lo-ods returns in this run")
        workers = min(4, os.cpu_count() or 1)
        print(f"{'kind':<11}{'files':>6}{'end2end':>9}{'r+v 1p':>8}{'r+v wp':>8}{'calamine':>9}{'checks':>7}"
              f"{'floor':>7}{'naive':>7}  {'naive/e2e':>9}{'r+v/cal':>8}{'bound':>7}{'r+v/floor':>10}")
        outs = base / "out"
        shutil.rmtree(outs, ignore_errors=True)  # a kept folder measured again
        outs.mkdir()
        kinds = list(by_kind.items()) + [("all", [p for v in by_kind.values() for p in v])]
        for kind, paths in kinds:
            folder = base / "回收" if kind == "all" else paths[0].parent
            e2e, rv1, result = merge_once(folder, ws, outs / f"{kind}_1.xlsx", workers=1)
            _, rvw, _ = merge_once(folder, ws, outs / f"{kind}_w.xlsx", workers=workers)
            e2es, rv1s, cals, chks, flos = [e2e], [rv1], [calamine(paths)], [checks(paths)], [floor(paths)]
            nais = [naive(paths, outs / f"{kind}_naive.xlsx")]
            for _ in range(args.repeat - 1):
                e2e, rv1, _ = merge_once(folder, ws, outs / f"{kind}_1.xlsx", workers=1)
                e2es.append(e2e)
                rv1s.append(rv1)
                cals.append(calamine(paths))
                chks.append(checks(paths))
                flos.append(floor(paths))
                nais.append(naive(paths, outs / f"{kind}_naive.xlsx"))
            e2e, rv1, cal, chk, flo, nai = map(statistics.median, (e2es, rv1s, cals, chks, flos, nais))
            print(f"{kind:<11}{len(paths):>6}{e2e:>9.2f}{rv1:>8.2f}{rvw:>8.2f}{cal:>9.2f}{chk:>7.2f}{flo:>7.2f}"
                  f"{nai:>7.2f}  {nai / e2e:>8.1f}x{rv1 / cal:>7.1f}x{(cal + chk) / cal:>6.2f}x{rv1 / flo:>9.1f}x"
                  + (f"   findings {len(result.findings)}" if kind in ("bad", "all") else ""))
        print("r+v 1p / wp: read+validate in one process / with worker processes; calamine, checks, floor and naive "
              "run in one process, so the ratios use r+v 1p.  bound: (calamine + checks) / calamine, what read+validate "
              "costs at least before any validation, as a multiple of calamine's read.")
    finally:
        if not args.keep and not args.reuse:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
