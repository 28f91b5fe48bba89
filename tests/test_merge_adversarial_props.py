"""merge under random damage: property-based mutations of a returned form, and a hard memory bound.

Hypothesis edits a valid returned workbook at the XML and zip level (cell values and types, references far
away, duplicated rows, parts dropped, truncated or garbled, dimensions); every merge must complete, keep
the other unit's answers, and give the damaged file its answers or findings naming its unit.  The hostile
files then go through a merge in a process whose address space is limited.
"""

from __future__ import annotations

import json
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _merge_helpers import (ROUND, add_cell_xml, edit_part, far_ods, far_xls, fill, issue_forms, task_sheet_part,
                            zip_bomb)
from zwgk_xl.ledger.store import Ledger
from zwgk_xl.merge.command import merge_folder

VICTIM, OTHER = "县财政局", "县卫生健康局"
OK = {"status": "已完成", "progress": "已按要求公开。"}


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    root = tmp_path_factory.mktemp("props")
    ws, forms = issue_forms(root)
    good = fill(forms[VICTIM], root / "good.xlsx", rows={"一.(1)": OK, "一.(3)": OK}, fields={"filler": "张三"})
    other = fill(forms[OTHER], root / f"{OTHER}回复.xlsx", rows={"一.(4)": OK}, fields={"filler": "王五"})
    with zipfile.ZipFile(good) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    return ws, parts, task_sheet_part(good), other


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
numbers = st.one_of(st.integers(-10**20, 10**20).map(str), st.floats(allow_nan=True).map(repr),
                    st.sampled_from(["1e309", "-0", "2958466", "20200901", ".5", "1E+400", "abc", ""]))
cell_bodies = st.one_of(
    st.builds(lambda n: f'<c r="{{r}}" t="s"><v>{n}</v></c>', st.integers(-5, 10**6)),
    st.builds(lambda v: f'<c r="{{r}}"><v>{v}</v></c>', numbers),
    st.builds(lambda v, s: f'<c r="{{r}}" s="{s}"><v>{v}</v></c>', numbers, st.integers(0, 40)),
    st.builds(lambda v: f'<c r="{{r}}" t="b"><v>{v}</v></c>', st.sampled_from(["0", "1", "2", "x", ""])),
    st.builds(lambda v: f'<c r="{{r}}" t="e"><v>{v}</v></c>', st.sampled_from(["#N/A", "#DIV/0!", "#REF!", ""])),
    st.builds(lambda t: f'<c r="{{r}}" t="inlineStr"><is><t>{t}</t></is></c>', texts.map(
        lambda t: t.replace("&", "&amp;").replace("<", "&lt;"))),
    st.builds(lambda t: f'<c r="{{r}}" t="str"><f>A1&amp;B1</f><v>{t}</v></c>', texts.map(
        lambda t: t.replace("&", "&amp;").replace("<", "&lt;"))),
    st.builds(lambda t: f'<c r="{{r}}" t="{t}"><v>1</v></c>', st.sampled_from(["d", "zz", "n", "s", "str"])),
    st.builds(lambda t: f'<c r="{{r}}">{t}</c>', texts),  # raw, maybe malformed
)
refs = st.builds(lambda c, r: f"{c}{r}", st.sampled_from(["A", "F", "G", "H", "K", "L", "Z", "AA", "XFD", "XFE", "ZZZZ"]),
                 st.integers(0, 2**31))
ops = st.one_of(
    st.tuples(st.just("cell"), st.integers(0, 80), cell_bodies),
    st.tuples(st.just("ref"), st.integers(0, 80), refs),
    st.tuples(st.just("dup-row"), st.integers(0, 20), st.none()),
    st.tuples(st.just("drop"), st.integers(0, 20), st.none()),
    st.tuples(st.just("truncate"), st.integers(0, 20), st.floats(0, 1)),
    st.tuples(st.just("garble"), st.integers(0, 20), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("dimension"), st.none(), refs),
)


def mutate(parts: dict[str, bytes], sheet: str, edits) -> bytes:
    parts = dict(parts)
    for op, k, arg in edits:
        xml = parts.get(sheet, b"").decode("utf-8", "replace")
        cells = list(re.finditer(r'<c r="([A-Z]+[0-9]+)"[^>]*?(?:/>|>.*?</c>)', xml, re.S))
        names = sorted(parts)
        if op == "cell" and cells:
            m = cells[k % len(cells)]
            xml = xml[:m.start()] + arg.replace("{r}", m.group(1)) + xml[m.end():]
        elif op == "ref" and cells:
            m = cells[k % len(cells)]
            xml = xml[:m.start(1)] + arg + xml[m.end(1):]
        elif op == "dup-row":
            rows = list(re.finditer(r"<row\b.*?</row>", xml, re.S))
            if rows:
                m = rows[k % len(rows)]
                xml = xml[:m.end()] + m.group(0) + xml[m.end():]
        elif op == "dimension":
            xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{arg}"/>', xml)
        elif op == "drop" and names:
            parts.pop(names[k % len(names)])
            continue
        elif op == "truncate" and names:
            name = names[k % len(names)]
            parts[name] = parts[name][: int(len(parts[name]) * arg)]
            continue
        elif op == "garble" and names:
            name = names[k % len(names)]
            data = parts[name]
            at = (len(data) * 7919 + k) % max(len(data), 1)
            parts[name] = data[:at] + arg + data[at + len(arg):]
            continue
        if sheet in parts:
            parts[sheet] = xml.encode()
    out = tempfile.SpooledTemporaryFile()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    out.seek(0)
    return out.read()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(edits=st.lists(ops, min_size=1, max_size=4))
def test_random_damage_never_stops_the_merge(form, edits):
    ws0, parts, sheet, other = form
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ws = tmp / "台账"
        shutil.copytree(ws0, ws)
        box = tmp / "回收"
        box.mkdir()
        (box / f"{VICTIM}回复.xlsx").write_bytes(mutate(parts, sheet, edits))
        import os
        if os.environ.get("DUMP"):
            Path(os.environ["DUMP"]).write_bytes((box / f"{VICTIM}回复.xlsx").read_bytes())
        shutil.copy(other, box / other.name)
        with Ledger.open(ws) as led:
            result = merge_folder(box, led, workers=1)
            current = led.current_submissions(ROUND)
    assert OTHER in current
    assert VICTIM in current or any(f.unit == VICTIM and f.severity != "info" for f in result.findings)
    assert not [f.message for f in result.findings if f.type == "unexpected-error"]
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 300 * 1024  # KiB: no runaway allocation


# ---------------------------------------------------------------------------
# Peak memory: the hostile files merged in a process limited to the stated bound

BOUND_MB = 500  # address space a merge may add to an idle interpreter with the package loaded

_CHILD = textwrap.dedent("""
    import json, resource, sys
    from pathlib import Path
    from zwgk_xl.ledger.store import Ledger
    from zwgk_xl.merge.command import merge_folder
    from zwgk_xl.merge.master import build_master, write_master
    import python_calamine, xlsxwriter, openpyxl  # everything the merge may load, loaded before the limit

    def vm() -> int:
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
        return 0

    ws, box, bound = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (vm() + bound, vm() + bound))
    with Ledger.open(ws) as led:
        result = merge_folder(box, led, workers=1)
        master = build_master(led, led.plan_for_round(result.round), result.round, assigned=result.assigned)
        write_master(master, ws / "汇总表.xlsx")
    print(json.dumps({"accepted": sorted({f.unit for f in result.files if f.outcome == "accepted"}),
                      "findings": [[f.type, f.unit, f.file] for f in result.findings]}, ensure_ascii=False))
""")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_hostile_files_merge_within_the_memory_bound(form, tmp_path):
    ws0, parts, sheet, other = form
    ws = tmp_path / "台账"
    shutil.copytree(ws0, ws)
    box = tmp_path / "回收"
    box.mkdir()
    good = tmp_path / "good.xlsx"
    good.write_bytes(mutate(parts, sheet, []))
    add_cell_xml(good, box / "0_远处.xlsx", "XFD1048576")
    add_cell_xml(good, box / "0_行号.xlsx", "A99999999")
    zip_bomb(good, box / "0_炸弹.xlsx", megabytes=48)
    rng = random.Random(7)  # a million cells without references, far to the right (digits: hardly compressible)
    cells = "".join(f"<c><v>{rng.randrange(10**6)}</v></c>" for _ in range(1_000_000))
    edit_part(good, box / "0_无位置.xlsx", sheet,
              lambda x: x.replace(b"</sheetData>", f'<row r="1500">{cells}</row></sheetData>'.encode()))
    with zipfile.ZipFile(box / "0_大部件.xlsx", "w", zipfile.ZIP_DEFLATED) as z:  # under the ratio, over the total
        for name, data in parts.items():
            z.writestr(name, data)
        z.writestr("xl/media/image1.png", bytes(range(256)) * (80 * 4096))
    plain = tmp_path / "plain.xlsx"  # xlsxwriter writes a shared-string table (openpyxl does not)
    book = xlsxwriter.Workbook(str(plain))
    book.add_worksheet().write_string(0, 0, "落实情况")
    book.close()
    edit_part(plain, box / "0_字符串.xlsx", "xl/sharedStrings.xml",  # calamine would reserve 48 GB
              lambda x: re.sub(rb'uniqueCount="\d+"', b'uniqueCount="2000000000"', x))
    far_ods(box / "0_重复.ods")  # 1.5 KB expanding to a million rows when opened
    xls = far_xls(box / "0_九七.xls")  # 6 KB, a gigabyte when opened
    for n in range(40):  # forms enough to see growth per form
        (box / f"{n:02d}_{VICTIM}.xlsx").write_bytes(mutate(parts, sheet, [("cell", n, '<c r="{r}"><v>%d</v></c>' % n)]))
    shutil.copy(other, box / other.name)
    done = subprocess.run([sys.executable, "-c", _CHILD, str(ws), str(box), str(BOUND_MB << 20)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout)
    assert OTHER in got["accepted"] and VICTIM in got["accepted"]
    kinds = {(k, f) for k, _, f in got["findings"]}
    assert ("cells-out-of-range", "0_远处.xlsx") in kinds and ("cells-out-of-range", "0_行号.xlsx") in kinds
    assert ("cells-out-of-range", "0_无位置.xlsx") in kinds
    assert ("zip-bomb", "0_炸弹.xlsx") in kinds and ("zip-bomb", "0_大部件.xlsx") in kinds
    assert ("cells-out-of-range", "0_重复.ods") in kinds
    assert ("unreadable", "0_字符串.xlsx") in kinds
    assert xls is None or ("cells-out-of-range", "0_九七.xls") in kinds
    assert not [f for f in got["findings"] if f[0] == "unexpected-error"]


_NAME_PART = st.lists(st.sampled_from(list("ab县局回复（）()._- /\\:*?\"<>|\x00\x07~$中文.\u202e")
                                      + ["..", "../", "__MACOSX/", "._", "/"]), max_size=8).map("".join)


@settings(max_examples=150, deadline=None)
@given(names=st.lists(st.tuples(_NAME_PART, st.sampled_from([".xlsx", ".csv", ".pdf", ".XLS", ""])), min_size=1,
                      max_size=6),
       utf8=st.booleans())
def test_an_archive_never_writes_outside_its_folder(names, utf8):
    """Any member names (separators, traversal, reserved and control characters, GBK or UTF-8): files are
    taken out only into the unpack folder, each shown under the archive's name, or the archive is refused."""
    from zwgk_xl.merge import archives
    from zwgk_xl.merge.intake import Limits, Rejected

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "box" / "县财政局材料.zip"
        path.parent.mkdir()
        with zipfile.ZipFile(path, "w") as z:
            for n, (stem, suffix) in enumerate(names):
                info = zipfile.ZipInfo((stem + suffix) or f"x{n}")
                if not utf8:  # as Chinese Windows writes it: GBK bytes, no UTF-8 flag
                    raw = info.filename.encode("gbk", "replace")
                    info.filename = raw.decode("cp437")
                z.writestr(info, b"a,b\n1,2\n" * (n + 1))
        into = tmp / "台账" / archives.UNPACK_DIR
        try:
            got = archives.unpack(path, path.name, into, Limits())
        except Rejected:
            return
        written = [p for p in tmp.rglob("*") if p.is_file()]
        assert all(into in p.parents for p in written if p != path), written
        for target, shown, stem, sha in got.files:
            assert target.is_file() and into in target.parents and shown.startswith(path.name + "/")
        assert len(got.files) + len(got.others) <= len(names)
