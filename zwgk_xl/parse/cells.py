"""Tables scraped from web pages one cell per line.

A table copied out of a browser often arrives as::

    序号
    工作任务
    责任单位
    完成时限
    一、深化政务公开
    1
    做好规划公开。……
    县发展和改革局牵头,县直各部门配合
    2021年底前
    2
    …

The header is the run of label lines (序号, 工作任务, 责任单位 …); each row
starts at the next sequence number; a short numbered heading between rows is a
category row.  The rows are then read like any other table.
"""

from __future__ import annotations

import re

from zwgk_xl.parse.numbering import match_marker
from zwgk_xl.parse.table import CATEGORY, label_role

_SEQ = re.compile(r"^(\d{1,3})[.、]?$")


def _header_run(lines: list[str]) -> tuple[int, int] | None:
    """(start, end) of the first run of ≥3 header-label lines that names a task and a unit."""
    i = 0
    while i < len(lines):
        j = i
        roles = []
        while j < len(lines) and len(lines[j]) <= 8 and label_role(lines[j]):
            roles.append(label_role(lines[j]))
            j += 1
        if j - i >= 3 and {"task", "text"} & set(roles) and {"lead", "others", "resp"} & set(roles):
            return i, j
        i = j + 1 if j > i else i + 1
    return None


def cell_rows(text: str) -> list[list[str]] | None:
    """Rows of a one-cell-per-line table, header first; None when the text is not one.

    Category headings between rows become a leading 类别 column, carried down the
    way a merged category cell is in a spreadsheet.
    """
    lines = [" ".join(l.split()) for l in text.split("\n")]  # whitespace runs as one space, stripped
    lines = [l for l in lines if l]
    run = _header_run(lines)
    if run is None:
        return None
    start, end = run
    header = [h for h in lines[start:end] if label_role(h) != CATEGORY]
    if label_role(header[0]) != "seq":
        return None  # without a 序号 column the row boundaries cannot be told
    width = len(header)
    # lines above the header (title, 文号) stay above it, for the document's metadata
    rows: list[list[str]] = [[l] + [""] * width for l in lines[max(0, start - 10):start]]
    rows.append(["类别"] + header)
    expect = 1
    category = ""
    cur: list[str] | None = None

    def close() -> None:
        if cur is None:
            return
        cells = cur[:width] + [""] * (width - len(cur))
        if len(cur) > width:  # more lines than cells: a cell broken over lines
            cells[width - 1] = " ".join(cur[width - 1:])
        rows.append([category] + cells)

    for line in lines[end:]:
        m = _SEQ.match(line)
        if m and int(m.group(1)) == expect:
            close()
            cur = [m.group(1)]
            expect += 1
            continue
        marker = match_marker(line)
        if marker and marker.kind in ("cn", "paren_cn") and len(marker.rest) <= 40 and "。" not in line:
            close()
            cur = None
            category = line
            continue
        if cur is not None:
            cur.append(line)
    close()
    return rows if expect > 2 else None
