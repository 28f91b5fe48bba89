"""Benchmark how ``merge`` grows with the folder: time per file and peak memory at 300, 1,000 and 3,000 returns.

For each size the returns are generated first (xlsxwriter, as ``bench_merge.py``), then each merge runs in a
fresh Python process (one process, no workers) on a fresh copy of the 台账, so that its peak memory
(``ru_maxrss``) is the merge's own.  It prints the time and peak memory per size, and the cost per file
between sizes: growth is linear when the cost per file from 1,000 to 3,000 is within 10 % of the cost per
file from 300 to 1,000.

``--repeat N`` merges every size N times, the sizes taking turns, and uses the median time of each size (the
machine's noise, 20–40 % between single runs, is larger than the difference being measured); the growth is
also printed from the fastest merge of each size (noise only ever adds time), and from the merges' CPU time
(``time.process_time``: what the merge itself computed, which another process on the machine does not
inflate the way it inflates wall-clock time).  The peak memory printed is the largest of the N.

Usage:
    python benchmarks/bench_merge_scale.py [--sizes 300 1000 3000] [--rows 20] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # measure this checkout, not an installed copy
sys.path.insert(0, str(HERE))

from bench_merge import ROUND, make_plan, new_workspace, write_returned  # noqa: E402

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from zwgk_xl.merge import run_merge
t0, c0 = time.perf_counter(), time.process_time()
r = run_merge(Path({box!r}), workspace=Path({ws!r}), round={round!r}, output=Path({out!r}), workers=1)
t, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({{"seconds": t, "cpu": cpu, "accepted": r.counts()["accepted"], "timings": r.timings,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def generate(base: Path, units: int, rows: int) -> Path:
    """Generate ``units`` returns and a 台账 holding their plan under ``base/<units>``; the folder."""
    folder = base / str(units)
    plan = make_plan(units, rows)
    _, ledger_id = new_workspace(folder, plan)
    write_returned(plan, folder / "回收", ledger_id)
    return folder


def measure(folder: Path) -> dict:
    """Merge the returns of ``folder`` into a fresh copy of its 台账, in a fresh process: its figures."""
    ws = folder / "台账_run"
    shutil.rmtree(ws, ignore_errors=True)
    shutil.copytree(folder / "台账", ws)
    code = CHILD.format(root=str(HERE.parent), box=str(folder / "回收"), ws=str(ws), round=ROUND,
                        out=str(folder / "汇总表.xlsx"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 3000])
    ap.add_argument("--rows", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=1, help="merges per size, the sizes taking turns (medians)")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    try:
        folders = {n: generate(base, n, args.rows) for n in args.sizes}
        runs: dict[int, list[dict]] = {n: [] for n in args.sizes}
        for _ in range(max(1, args.repeat)):
            for n in args.sizes:
                runs[n].append(measure(folders[n]))
        got = {}
        for n, fs in runs.items():
            fs.sort(key=lambda f: f["seconds"])
            got[n] = dict(fs[(len(fs) - 1) // 2], peak_mb=max(f["peak_mb"] for f in fs),
                          all=[f["seconds"] for f in fs], cpus=sorted(f["cpu"] for f in fs))
        if args.repeat > 1:
            print(f"medians of {args.repeat} merges per size")
        print(f"{'returns':>8}{'seconds':>9}{'ms/file':>9}{'peak MB':>9}  read+validate / ledger / master (s)")
        for n in args.sizes:
            f = got[n]
            tm = f["timings"]
            print(f"{n:>8}{f['seconds']:>9.2f}{1000 * f['seconds'] / n:>9.2f}{f['peak_mb']:>9.0f}  "
                  f"{tm.get('read_validate', 0):.2f} / {tm.get('ledger', 0):.2f} / {tm.get('master', 0):.2f}")
        sizes = sorted(got)
        steps = [(a, b, (got[b]["seconds"] - got[a]["seconds"]) / (b - a)) for a, b in zip(sizes, sizes[1:])]
        for a, b, per in steps:
            print(f"cost per file {a} -> {b}: {1000 * per:.2f} ms")
        if args.repeat > 1:
            print("each size's merges (s): " + "; ".join(f"{n}: " + ", ".join(f"{t:.2f}" for t in got[n]["all"])
                                                        for n in sizes))
        if len(steps) >= 2:
            ratio = steps[-1][2] / steps[-2][2]
            print(f"growth: the last step costs {ratio:.2f}x per file the step before (linear: within 0.90-1.10)")
            if args.repeat > 1:
                best = {n: min(got[n]["all"]) for n in sizes}
                per = [(best[b] - best[a]) / (b - a) for a, b in zip(sizes, sizes[1:])]
                print(f"growth from the fastest merge of each size: {per[-1] / per[-2]:.2f}x "
                      f"({1000 * per[-2]:.2f} -> {1000 * per[-1]:.2f} ms per file)")
            picks = [("median", lambda c: c[(len(c) - 1) // 2]), ("least", min)][:2 if args.repeat > 1 else 1]
            for label, pick in picks:
                cpu = {n: pick(got[n]["cpus"]) for n in sizes}
                per = [(cpu[b] - cpu[a]) / (b - a) for a, b in zip(sizes, sizes[1:])]
                print(f"growth in CPU time ({label} of each size): {per[-1] / per[-2]:.2f}x "
                      f"({1000 * per[-2]:.2f} -> {1000 * per[-1]:.2f} ms per file)")
            a, b, c = sizes[-3:]
            phases = []
            for phase in ("read_validate", "ledger", "master"):
                t = {n: got[n]["timings"].get(phase, 0.0) for n in (a, b, c)}
                if t[b] > t[a]:
                    phases.append(f"{phase} {((t[c] - t[b]) / (c - b)) / ((t[b] - t[a]) / (b - a)):.2f}x")
            print("growth per phase (the median merge's timings): " + ", ".join(phases))
        print(f"peak memory at {sizes[-1]}: {got[sizes[-1]]['peak_mb']:.0f} MB (target <= 400 MB at 3,000)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
