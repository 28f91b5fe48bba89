"""Tables that reached us as text: rows rebuilt from ``|`` lines or one cell per line.

A task table copied out of a web page arrives in one of these layouts::

    工作任务 | 具体要求 | 责任单位 | 时限要求 |          one row per line
    一、… | 1.… | 人事处、财务处 | 持续推进 |
    2.… | 办公室;各高校 | 持续推进 | |                 the merged 工作任务 cell is missing:
                                                         the later cells moved one column left
    序号 |  / 工作任务 |  / 1 |  / 做好… |             one cell per line (with ``|`` or blank lines)

Whatever the layout, the cells come as a stream.  Each cell is classified by
its content (a sequence number, a numbered section heading, a unit list, a
deadline, task text, something short) and placed in the first column of the
header, at or after the current one, whose role accepts it; a cell no column
ahead accepts starts the next row.  Columns a row skipped are merged cells:
they take the value of the row above.  A numbered heading (``一、`` ``(一)``)
followed by a numbered requirement is a section row; followed by plain text
it is the row's own task cell.  The rebuilt rows are read by
:func:`zwgk_xl.parse.table.parse_table` like any spreadsheet.
"""

from __future__ import annotations

import re

from zwgk_xl.parse.clauses import is_unit_name, split_units
from zwgk_xl.parse.deadlines import is_deadline_phrase
from zwgk_xl.parse.numbering import match_marker
from zwgk_xl.parse.table import CATEGORY, DEADLINE, LEAD, OTHERS, RESP, SEQ, TASK, TEXT, label_role

SEQ_K, SEC_K, UNITS_K, DEADLINE_K, TEXT_K, SHORT_K = "seq", "sec", "units", "deadline", "text", "short"
_UNIT_ROLES = (LEAD, OTHERS, RESP)
_SEQ = re.compile(r"^(\d{1,3})\s*[.、]?$")
_SENTENCE_END = re.compile(r"[。!?;)]$")
_ROLE_WORD = re.compile(r"牵头|负责|配合|落实|办理|会同|协办|参与|做好|[::]")
_PIPE_ONLY = re.compile(r"^[\s|:+\-=]*$")


def cell_kind(cell: str) -> str:
    """What a cell holds, judged by its content alone."""
    c = cell.strip()
    if _SEQ.match(c):
        return SEQ_K
    m = match_marker(c)
    if m and m.kind in ("cn", "paren_cn") and len(m.rest) <= 40 and "。" not in m.rest[:-1]:
        return SEC_K
    if len(c) <= 40 and is_deadline_phrase(c):
        return DEADLINE_K
    if looks_like_units(c):
        return UNITS_K
    if len(c) <= 30 and "。" not in c and ";" not in c:
        return SHORT_K
    return TEXT_K


def looks_like_units(cell: str) -> bool:
    """A cell naming units: every listed name a unit, or a sentence that opens with units and a role."""
    c = re.sub(r"^(?:牵头|责任|配合|协办|主办)[\u4e00-\u9fff]{0,4}[::]", "", cell.strip().rstrip("。"))
    if not c or len(c) > 400 or match_marker(c):
        return False
    names = split_units(re.sub(r"[((]首位单位为牵头单位[^()]*[))]", "", c))
    if names and all(is_unit_name(n) for n in names) and len(c) <= 200:
        return True
    head = re.split(r"[,;。]", c, 1)[0]
    first = re.split(r"[、]|以及|会同", head, 1)[0]
    return bool(_ROLE_WORD.search(c)) and is_unit_name(re.sub(r"(?:牵头|负责|配合|会同|做好|办理|落实).*$", "", first))


def _accepts(role: str | None, kind: str) -> bool:
    if role == SEQ:
        return kind == SEQ_K
    if role in _UNIT_ROLES:
        return kind == UNITS_K
    if role == DEADLINE:
        return kind == DEADLINE_K
    if role in (TASK, TEXT):
        return kind in (TEXT_K, SHORT_K, SEC_K)
    if role == CATEGORY:
        return kind in (SHORT_K, SEC_K, TEXT_K)
    return kind in (SHORT_K, DEADLINE_K, TEXT_K)  # 备注, 完成情况 and unlabelled columns


# ---------------------------------------------------------------------------
# Cells out of lines


def _line_cells(line: str) -> tuple[list[str], bool]:
    """Non-empty cells of one line and whether the line ends a row (empty cells after its last cell)."""
    if "|" not in line:
        return ([line.strip()] if line.strip() else []), False
    pieces = [p.strip() for p in line.split("|")]
    cells = [p for p in pieces if p]
    if not cells:
        return [], False
    last = max(i for i, p in enumerate(pieces) if p)
    pads = sum(1 for p in pieces[last + 1:-1] if not p) if len(pieces) > last + 2 else 0
    return cells, pads > 0


_LABEL_MAX = 16  # characters in a header label


def _is_label(cell: str) -> bool:
    """A header label: short, no digits (a year makes it a title), no title words, not numbered."""
    return len(cell) <= _LABEL_MAX and not re.search(r"\d|清单|要点|方案|分解表|通知|[。;]", cell) \
        and label_role(cell) is not None and not match_marker(cell)


def _header_at(cells: list[str], i: int) -> int:
    """Length of a header run of label cells starting at ``i`` (0 when none)."""
    j, roles = i, []
    while j < len(cells) and _is_label(cells[j]):
        roles.append(label_role(cells[j]))
        j += 1
    has_text = {TASK, TEXT} & set(roles) or roles.count(CATEGORY) >= 2
    if j - i >= 2 and has_text and set(_UNIT_ROLES) & set(roles) and roles[0] != DEADLINE:
        return j - i
    return 0


def scraped_rows(text: str) -> list[list[str]] | None:
    """Rows (header first, lines above it as one-cell rows) of a table given as text; None when none.

    ``[]`` when a ``|`` table's header and section rows are there but every task cell was lost.
    """
    lines = text.split("\n")
    stream: list[tuple[str, int, bool]] = []  # (cell, line group, row ends after it)
    for n, line in enumerate(lines):
        if _PIPE_ONLY.match(line):
            continue
        cells, ends = _line_cells(" ".join(line.split()))  # whitespace runs as one space
        for k, c in enumerate(cells):
            stream.append((c, n if len(cells) > 1 else -1 - n, ends and k == len(cells) - 1))
    cells = [c for c, _, _ in stream]
    for i in range(len(cells)):
        size = _header_at(cells, i) if len(cells[i]) <= _LABEL_MAX else 0
        if size:
            break
    else:
        return None
    header = [c for c in cells[i:i + size]]
    roles = [label_role(h) for h in header]
    # a header without a text column (indicator tables): the last column before the units holds the task
    if not {TASK, TEXT} & set(roles):
        first_unit = min(k for k, r in enumerate(roles) if r in _UNIT_ROLES)
        if first_unit == 0:
            return None
        roles[first_unit - 1] = TEXT
        header[first_unit - 1] = "任务内容"
    above = [[c] + [""] * (len(header) - 1) for c in cells[max(0, i - 25):i]]
    body = _Aligner(roles).run(stream[i + size:])
    if sum(1 for r in body if r[1] == "row") < 1:
        if any(kind == "section" for _, kind in body) and "|" in text:
            return []  # a | table whose cells were lost: its headings are not tasks
        return None
    width = len(header)
    # unnumbered category cells of a scrape (indicator names, scores) cannot be told apart: not structure
    for k, role in enumerate(roles):
        if role == CATEGORY and not any(match_marker(v[k]) for v, kind in body if kind == "row"):
            for v, kind in body:
                if kind == "row":
                    v[k] = ""
    rows = above + [header]
    for value, kind in body:
        rows.append([value] * width if kind == "section" else value)
    return rows


class _Aligner:
    """Place a stream of cells into the header's columns, row by row."""

    def __init__(self, roles: list[str | None]):
        self.roles = roles
        self.width = len(roles)
        self.text_col = next((k for k, r in enumerate(roles) if r == TEXT), None)
        if self.text_col is None:
            self.text_col = max(k for k, r in enumerate(roles) if r == TASK)
        self.seq_col = next((k for k, r in enumerate(roles) if r == SEQ), None)
        self.out: list[tuple] = []
        self.row: dict[int, str] | None = None
        self.prev: dict[int, str] = {}
        self.pointer = 0
        self.last_col: int | None = None
        self.group = None

    # -- rows
    def close(self) -> None:
        if self.row is None:
            return
        row = self.row
        self.row = None
        if not any(row.get(k) for k in (self.text_col,)) and not any(
                row.get(k) for k, r in enumerate(self.roles) if r in (TASK, TEXT)):
            return
        self._right_align_units(row)
        self._number_title(row)
        full = []
        for k, role in enumerate(self.roles):
            v = row.get(k, "")
            if not v and k not in row and role in (CATEGORY, TASK, SEQ, DEADLINE) + _UNIT_ROLES \
                    and k != self.text_col:
                v = self.prev.get(k, "")
            full.append(v)
        self.prev = dict(enumerate(full))
        self.out.append((full, "row"))

    def _right_align_units(self, row: dict[int, str]) -> None:
        """Unit cells fewer than unit columns: the missing (merged) ones are the left ones."""
        cols = [k for k, r in enumerate(self.roles) if r in _UNIT_ROLES]
        have = [k for k in cols if k in row]
        if 0 < len(have) < len(cols) and self.prev:
            values = [row.pop(k) for k in have]
            for k, v in zip(cols[-len(values):], values):
                row[k] = v

    def _number_title(self, row: dict[int, str]) -> None:
        """序号 with a title column and a requirement column: the title carries the number (it heads the requirements)."""
        titles = [k for k, r in enumerate(self.roles) if r == TASK and k != self.text_col]
        if self.seq_col is None or not titles or titles[0] not in row or self.seq_col not in row:
            return
        if not match_marker(row[titles[0]]):
            row[titles[0]] = f"{row[self.seq_col].rstrip('.、')}.{row[titles[0]]}"

    def section(self, value: str) -> None:
        if self.row is None and self.out and self.out[-1] == (value, "section"):
            return  # a section row merged across the columns of one line
        self.close()
        self.prev = {}
        self.out.append((value, "section"))

    def start(self) -> None:
        self.close()
        self.row = {}
        self.pointer = 0
        self.last_col = None

    # -- cells
    def _target(self, kind: str, cell: str) -> int | None:
        """The column at or after the pointer that accepts the cell."""
        m = match_marker(cell)
        for k in range(self.pointer, self.width):
            role = self.roles[k]
            if not _accepts(role, kind):
                continue
            if role == TASK and k != self.text_col and m and m.kind == "num" and self._prev_text_numbered(m):
                continue  # 2.… after a row whose requirement was 1.…: a requirement, its title merged
            if role in (CATEGORY, TASK) and k < self.text_col and kind == TEXT_K and self._later_text_free(k):
                continue  # long text belongs in the text column
            return k
        return None

    def _prev_text_numbered(self, m) -> bool:
        """The requirement numbering continues from the row above (and the title numbering does not)."""
        def follows(col: int) -> bool:
            pm = match_marker(self.prev.get(col, "")) if self.prev else None
            return bool(pm and pm.kind == m.kind and m.number == pm.number + 1)
        titles = [k for k, r in enumerate(self.roles) if r == TASK and k != self.text_col]
        return follows(self.text_col) and not any(follows(k) for k in titles)

    def _later_text_free(self, k: int) -> bool:
        return self.row is not None and self.text_col > k and self.text_col not in self.row

    def _place(self, k: int, cell: str) -> None:
        assert self.row is not None
        self.row[k] = cell
        self.pointer = k + 1
        self.last_col = k

    def feed(self, cell: str, kind: str, nxt: str | None, nxt_numbered: bool) -> None:
        """Place one cell; ``nxt`` is the next cell's kind (a heading before numbered text is a section)."""
        if kind == SEC_K:
            single_text = self.roles.count(TASK) + self.roles.count(TEXT) < 2
            if nxt in (SEQ_K, SEC_K, None) or nxt_numbered or (single_text and nxt != TEXT_K):
                self.section(cell)
                return
        if kind == SEQ_K and self.seq_col is None:
            kind = SHORT_K
        if self.row is None:
            self.start()
        k = self._target(kind, cell)
        if k is None and self.last_col is not None and self.roles[self.last_col] in (TASK, TEXT, CATEGORY, None) \
                and kind in (TEXT_K, SHORT_K) and not match_marker(cell) \
                and not _SENTENCE_END.search(self.row.get(self.last_col, "")):
            self.row[self.last_col] += cell  # a cell broken over two lines
            return
        if k is None and kind == UNITS_K and self.last_col is not None and self.roles[self.last_col] in _UNIT_ROLES:
            self.row[self.last_col] += "、" + cell  # a unit cell broken over two lines
            return
        if k is None or (kind == SEQ_K and self.row):
            self.start()
            k = self._target(kind, cell)
            if k is None:
                if kind in (TEXT_K, SHORT_K):
                    k = self.text_col
                else:
                    return
        self._place(k, cell)

    def run(self, stream: list[tuple[str, int, bool]]) -> list[tuple]:
        kinds = [cell_kind(c) for c, _, _ in stream]
        numbered = [bool((m := match_marker(c)) and m.kind == "num") for c, _, _ in stream]
        prev_group = None
        for i, (cell, group, ends) in enumerate(stream):
            if group >= 0 and group != prev_group:
                self.start()  # a row on one line: its own row
            elif group < 0 and prev_group is not None and prev_group >= 0:
                self.close()
            prev_group = group
            last = i + 1 >= len(stream)
            self.feed(cell, kinds[i], None if last else kinds[i + 1], False if last else numbered[i + 1])
            if ends:
                self.close()
        self.close()
        return self.out
