"""Benchmark: unit names found in file names, NameIndex against the regex alternation it replaced.

Run:  python benchmarks/bench_names.py [--files 3000] [--repeat 3]

For 300 and 3,000 unit names (the sample county's names and aliases, padded
with generated department and township names) and 3,000 file names as clerks
and units write them (the issued name, an alias, two units, none, noise),
times in the same process:

* building: ``re.compile`` of every name longest first, against ``NameIndex``;
* matching every file name: ``finditer`` of that regex, against
  ``NameIndex.find`` (the results are checked to be identical).

The regex tries every name at every position, so matching costs O(names) per
character; the index costs a dictionary lookup per character.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zwgk_xl.core.units import NameIndex, load_directory, sample_directory_path  # noqa: E402

CHARS = "安宁平和兴华福寿永昌德新城东西南北中山河湖川江海云龙凤阳明光泉石桥林松柏梅竹兰"
ENDINGS = ["局", "委员会", "办公室", "中心", "镇人民政府", "乡人民政府", "街道办事处", "管理局", "服务中心", "大队"]
WORDS = ["财政", "司法", "教育", "卫生健康", "自然资源", "生态环境", "住房和城乡建设", "交通运输", "水务", "农业农村",
         "商务", "文化和旅游", "应急管理", "市场监督管理", "统计", "医疗保障", "林业和草原", "民政", "人力资源和社会保障"]


def unit_names(n: int, rng: random.Random) -> list[str]:
    """``n`` distinct names and aliases: the sample county's, then generated ones."""
    directory = load_directory(sample_directory_path("county"))
    names = list(dict.fromkeys([*directory.names, *(a for u in directory.units for a in u.aliases if len(a) >= 2)]))
    seen = set(names)
    while len(names) < n:
        place = "".join(rng.choice(CHARS) for _ in range(rng.randint(2, 3)))
        name = rng.choice(["县", place, f"{place}县"]) + rng.choice(WORDS + [""]) + rng.choice(ENDINGS)
        if name not in seen:
            seen.add(name)
            names.append(name)
            if rng.random() < 0.3:  # an alias: the name without the county prefix
                alias = name[1:] if name.startswith("县") else name[len(place):]
                if len(alias) >= 2 and alias not in seen:
                    seen.add(alias)
                    names.append(alias)
    return names[:n]


def file_names(names: list[str], n: int, rng: random.Random) -> list[str]:
    """``n`` file names as returned forms are called."""
    out = []
    for k in range(n):
        a, b = rng.choice(names), rng.choice(names)
        out.append(rng.choice([
            f"2021年第二季度_{a}_政务公开工作任务落实情况填报表",
            f"{a}关于2021年第二季度政务公开工作任务落实情况的报告(修改稿{k})",
            f"回复-{a}({b}代报)-2021.07.0{k % 9 + 1}",
            f"落实情况填报表(第{k}份)最终版",
            f"Fw_ {a}填报表_已盖章_{b}",
        ]))
    return out


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(15)
    for n in (300, 3000):
        names = unit_names(n, rng)
        files = file_names(names, args.files, rng)
        ordered = sorted(names, key=lambda s: -len(s))
        t_compile = best(lambda: re.compile("|".join(map(re.escape, ordered))), 1)  # re caches; once
        pattern = re.compile("|".join(map(re.escape, ordered)))
        t_build = best(lambda: NameIndex(names), args.repeat)
        index = NameIndex(names)
        t_regex = best(lambda: [[m.group(0) for m in pattern.finditer(f)] for f in files], args.repeat)
        t_index = best(lambda: [index.find(f) for f in files], args.repeat)
        same = all([m.group(0) for m in pattern.finditer(f)] == index.find(f) for f in files)
        found = sum(len(index.find(f)) for f in files)
        print(f"{n:5d} names × {len(files)} file names ({found} names found, identical: {same}):")
        print(f"  build  regex {t_compile * 1000:8.1f} ms   index {t_build * 1000:8.1f} ms   "
              f"ratio {t_compile / t_build:6.1f}x")
        print(f"  match  regex {t_regex * 1000:8.1f} ms   index {t_index * 1000:8.1f} ms   "
              f"ratio {t_regex / t_index:6.1f}x")
        print(f"  both   regex {(t_compile + t_regex) * 1000:8.1f} ms   index {(t_build + t_index) * 1000:8.1f} ms   "
              f"ratio {(t_compile + t_regex) / (t_build + t_index):6.1f}x")


if __name__ == "__main__":
    main()
