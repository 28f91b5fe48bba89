"""Benchmark: parse a 2 MB task list built from the seed documents.

Run:  python benchmarks/bench_parse.py [--mb 2]

Builds a long task list from the seeds' task paragraphs with varied numbering
(一、 / 第N部分, (一) / （一）, 1. / 1、 / (1), ①), a traditional-character
part and injected noise, then times ``parse_text`` against, in the same
process:

* the floor: normalisation only (traditional→simplified + width folding),
  which any parser must do over the whole text;
* a naive baseline: the same outline reading done the obvious way, comparing
  each numbered paragraph with every earlier one to find repeats
  (quadratic), run on a slice and reported per MB.

Then ``zwgk-xl parse <file> -o out.xlsx`` on the same text saved as a UTF-8
.txt ("2 MB" is the size of that file): in process through
``run_parse`` (what the CLI calls), split into reading + parsing the file and
writing the task table, and through the real CLI in a subprocess
(interpreter start-up and imports included); run_parse and the CLI are run
``--repeat`` times and their medians compared with the target.

Targets: parse under 1 s for 2 MB (issue 2); ``parse -o`` under 1 s end to
end (issue 15), both on the 2-core machine.
"""

from __future__ import annotations

import argparse
import difflib
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zwgk_xl.parse.normalize import normalize_text  # noqa: E402
from zwgk_xl.parse.numbering import int_to_cn, match_marker  # noqa: E402
from zwgk_xl.parse import parse_file  # noqa: E402
from zwgk_xl.parse.command import run_parse  # noqa: E402
from zwgk_xl.parse.tasktable import write_task_table  # noqa: E402
from zwgk_xl.parse.text import parse_text  # noqa: E402

FIX = ROOT / "tests" / "fixtures"


def _task_paragraphs() -> list[str]:
    paras = []
    for f in sorted(FIX.glob("00[0248]_*.txt")):
        text, _ = normalize_text(f.read_text(encoding="utf-8"))
        for line in text.split("\n"):
            m = match_marker(line.strip())
            if m and m.kind != "cn" and len(m.rest) > 40:
                paras.append(m.rest)
    return paras


def build_document(target_bytes: int) -> str:
    """A long task list with varied numbering styles."""
    paras = _task_paragraphs()
    rng = random.Random(1)
    sentences = [x for p in paras for x in re.split(r"[。]", re.sub(r"\([^()]*\)$", "", p)) if len(x) > 8]
    clauses = sorted({m.group(0) for p in paras for m in [re.search(r"\([^()]*\)$", p)] if m})
    out = ["2021年某省政务公开工作要点(基准测试)", ""]
    size, top, k = 0, 0, 0
    styles = [("({})", "{}."), ("（{}）", "{}、"), ("({})", "({})")]
    while size < target_bytes:
        top += 1
        out.append(f"{int_to_cn(top)}、第{top}部分重点任务")
        sub_fmt, item_fmt = styles[top % len(styles)]
        for s in range(1, 7):
            out.append(sub_fmt.format(int_to_cn(s)) + f"第{top}部分第{s}项工作。")
            for i in range(1, 5):
                # distinct items: three seed sentences drawn at random, one clause
                body = "。".join(rng.choice(sentences) for _ in range(3))
                line = item_fmt.format(i) + body + "。" + rng.choice(clauses)
                k += 1
                out.append(line)
                size += len(line.encode("utf-8"))
    return "\n".join(out)


def naive_parse(text: str) -> int:
    """The obvious approach: per-line regexes, quadratic repeat search."""
    lines = [l.strip() for l in text.split("\n") if l.strip()]
    seen: list[str] = []
    count = 0
    for l in lines:
        if re.match(r"^(?:[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+[.、])", l):
            for earlier in seen:
                if difflib.SequenceMatcher(None, earlier, l).quick_ratio() > 0.95:
                    break
            seen.append(l)
            count += 1
    return count


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=2.0)
    ap.add_argument("--no-cli", action="store_true", help="skip the subprocess run of the real CLI")
    ap.add_argument("--repeat", type=int, default=3, help="runs of run_parse and of the CLI (medians are compared)")
    args = ap.parse_args()
    doc_text = build_document(int(args.mb * 1024 * 1024))
    nbytes = len(doc_text.encode("utf-8"))

    t0 = time.perf_counter()
    normalize_text(doc_text)
    floor = time.perf_counter() - t0

    t0 = time.perf_counter()
    doc = parse_text(doc_text, source="bench.txt")
    parse = time.perf_counter() - t0

    sl = doc_text[: 100_000]
    t0 = time.perf_counter()
    naive_parse(sl)
    naive_per_mb = (time.perf_counter() - t0) / (len(sl.encode("utf-8")) / 1024 / 1024)
    naive_est = naive_per_mb * nbytes / 1024 / 1024

    print(f"document: {nbytes / 1024 / 1024:.2f} MB, {len(doc.tasks)} tasks, {len(doc.roots)} top sections")
    print(f"parse_text:            {parse:8.3f} s")
    print(f"floor (normalise only): {floor:8.3f} s   parse/floor = {parse / floor:5.1f}x")
    print(f"naive (quadratic), extrapolated from {len(sl)} chars: {naive_est:8.1f} s   "
          f"naive/parse = {naive_est / parse:5.1f}x")
    print("target: parse < 1 s for 2 MB:", "met" if parse < 1.0 or args.mb != 2.0 else "NOT met")
    end_to_end(doc_text, args)


def end_to_end(doc_text: str, args) -> None:
    """``parse <file> -o out.xlsx``: in process (read+parse, write, both) and through the CLI."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "任务清单.txt"
        src.write_text(doc_text, encoding="utf-8")
        mb = src.stat().st_size / 1024 / 1024
        t0 = time.perf_counter()
        doc = parse_file(src)
        t_read = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_task_table(doc, Path(tmp) / "w.xlsx")
        t_write = time.perf_counter() - t0
        out = Path(tmp) / "out.xlsx"
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            run_parse(src, output=out)
            runs.append(time.perf_counter() - t0)
        t_run = sorted(runs)[len(runs) // 2]
        rows = sum(1 for _ in doc.walk())
        print(f"parse -o, {mb:.2f} MB .txt, {rows} table rows ({out.stat().st_size / 1024:.0f} KB xlsx):")
        print(f"  read + parse file:   {t_read:8.3f} s")
        print(f"  write task table:    {t_write:8.3f} s")
        print(f"  run_parse (both):    {t_run:8.3f} s   (median of {len(runs)}, best {min(runs):.3f} s)   target < 1 s: "
              f"{'met' if t_run < 1.0 or args.mb != 2.0 else 'NOT met'}")
        if args.no_cli:
            return
        cli_runs = []
        for _ in range(args.repeat):
            out.unlink()
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "zwgk_xl.cli", "parse", str(src), "-o", str(out)],
                                  cwd=ROOT, capture_output=True, text=True)
            cli_runs.append(time.perf_counter() - t0)
            ok = done.returncode in (0, 1) and out.is_file()
            if not ok:
                break
        t_cli = sorted(cli_runs)[len(cli_runs) // 2]
        print(f"  CLI subprocess:      {t_cli:8.3f} s   (median of {len(cli_runs)}, best {min(cli_runs):.3f} s; "
              f"exit {done.returncode}{'' if ok else ', FAILED: ' + done.stderr[-300:]}; "
              f"interpreter start-up included)   target < 1 s: {'met' if t_cli < 1.0 or args.mb != 2.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
