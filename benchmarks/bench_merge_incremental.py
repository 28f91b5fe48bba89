"""Benchmark incremental ``merge``: a re-run on an unchanged folder, and 10 new returns added to it.

Generates ``--units`` returned forms (xlsxwriter, as ``bench_merge.py``), merges them once, then times in
the same process: the same merge again (nothing new: the ledger's records stand, the master is not
rewritten) and a merge after 10 more returns arrive, each as a share of the first merge.

Usage:
    python benchmarks/bench_merge_incremental.py [--units 1000] [--rows 20]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout, not an installed copy
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_merge import ROUND, make_plan, new_workspace, write_returned  # noqa: E402
from zwgk_xl.merge import run_merge  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--rows", type=int, default=20)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench_incr_"))
    try:
        plan = make_plan(args.units, args.rows)
        ws, ledger_id = new_workspace(base, plan)
        paths = write_returned(plan, base / "all", ledger_id)
        box = base / "回收"
        box.mkdir()
        later = paths[-10:]
        for p in paths[:-10]:
            shutil.move(str(p), box / p.name)
        out = base / "汇总表.xlsx"
        t0 = time.perf_counter()
        first = run_merge(box, workspace=ws, round=ROUND, output=out)
        t_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = run_merge(box, workspace=ws, round=ROUND, output=out)
        t_again = time.perf_counter() - t0
        for p in later:
            shutil.move(str(p), box / p.name)
        t0 = time.perf_counter()
        more = run_merge(box, workspace=ws, round=ROUND, output=out)
        t_more = time.perf_counter() - t0
        print(f"{len(first.files)} returns x {args.rows} rows: first merge {t_first:.2f} s")
        print(f"re-run, unchanged folder: {t_again:.2f} s = {t_again / t_first:.1%} of the first "
              f"(target <= 10 %; {again.unchanged} unchanged, master rewritten: {again.master_written})")
        print(f"10 returns added: {t_more:.2f} s = {t_more / t_first:.1%} of the first "
              f"(target <= 15 %; {len(more.files) - more.unchanged} new)")

        def phases(r) -> str:
            return " / ".join(f"{r.timings.get(k, 0.0):.2f}" for k in ("read_validate", "ledger", "master"))
        print(f"phases, read+validate / ledger / master (s): first {phases(first)}; 10 added {phases(more)} "
              f"(the master alone is {more.timings.get('master', 0.0) / t_first:.0%} of the first merge)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
