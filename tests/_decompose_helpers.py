"""Helpers for the decompose / units / plan tests."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

from zwgk_xl.core.model import Deadline, Document, Node

FIXTURES = Path(__file__).parent / "fixtures"
SEED_004 = next(FIXTURES.glob("004_*.txt"))
SEED_000 = next(FIXTURES.glob("000_*.txt"))


def task(tid: str, lead: list[str], others: list[str], title: str = "", deadline: str | None = None) -> Node:
    path = tid.split(".")
    title = title or f"任务{tid}"
    return Node(
        id=tid, path=path, title=title, text=f"{title}。具体要求{tid}。", lead=lead, others=others,
        deadline=Deadline(date=deadline, text=deadline or "", kind="date" if deadline else "none"), is_task=True,
    )


def hand_document() -> Document:
    """A small superior document built by hand (independent of the parser)."""
    s1 = Node(id="一", path=["一"], title="进一步拓展主动公开深度和广度")
    s1.children = [
        task("一.(一)", [], ["省直有关部门", "各州、市人民政府"], "围绕六稳六保深化政府信息公开"),
        task("一.(二)", ["省司法厅", "省市场监管局", "省政务服务管理局"], ["省直有关部门", "各州、市人民政府"],
             "围绕优化营商环境深化政府信息公开", "2020-12-31"),
    ]
    s2 = Node(id="二", path=["二"], title="进一步健全政务公开制度机制")
    s2.children = [
        task("二.(一)", ["省发展改革委", "省人力资源社会保障厅"], ["省卫生健康委"], "实现主动公开事项全清单化管理"),
        task("二.(二)", [], ["省外事办公室"], "探索外事信息公开"),
    ]
    return Document(title="2020年云南省政务公开工作要点", year=2020, roots=[s1, s2])


def responsibility_clauses(path: Path) -> list[list[str]]:
    """The 科室 named in each `(责任科室:…)` clause of a text, in order."""
    text = path.read_text(encoding="utf-8")
    return [re.split(r"[、,]", m) for m in re.findall(r"[((]责任科室[::]([^))]+)[))]", text)]


def png_gray_rows(path: Path) -> list[bytes]:
    """Decode an 8-bit gray or RGB non-interlaced PNG (as pdftoppm writes) into gray rows."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    channels = 1
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, _, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and color in (0, 2)
            channels = 1 if color == 0 else 3
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for r in range(len(raw) // (stride + 1)):
        f, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line[::channels]))
        prev = line
    return rows
