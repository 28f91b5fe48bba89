"""Task lists given as tables (spreadsheets, Word or web-page tables).

The header row is found by its labels (序号, 工作任务, 任务要求, 责任单位, 完成时限 …).
Category columns (merged over their rows, or left blank below their first row)
and full-width category rows become sections; every other data row is a task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import Deadline, Document, Finding, Node, Source
from zwgk_xl.parse.clauses import cooperating_units, FIRST_LEADS, first_unit_leads, split_clause, split_unit_cell, split_units
from zwgk_xl.parse.deadlines import find_deadline, is_deadline_phrase, milestone_note, parse_deadline_cell
from zwgk_xl.parse.noise import mark_noise
from zwgk_xl.parse.normalize import normalize_cell
from zwgk_xl.parse.numbering import KINDS, make_token, match_marker, parse_token
from zwgk_xl.parse.clauses import title_of
from zwgk_xl.parse.text import extract_metadata

# Roles of header cells.  Checked in this order; the first rule that fits wins.
SEQ, CATEGORY, TEXT, TASK, LEAD, OTHERS, RESP, DEADLINE, NOTE = (
    "seq", "category", "text", "task", "lead", "others", "resp", "deadline", "note")

_EXACT = {
    SEQ: ("序号", "编号", "序列", "项次", "顺序"),
    CATEGORY: ("类别", "分类", "工作类别", "任务类别", "一级", "二级", "三级", "一级任务", "二级任务",
               "板块", "工作板块", "领域", "重点领域", "工作领域", "项目", "大项", "类型"),
    TEXT: ("任务要求", "具体措施", "细化分工", "工作措施", "具体任务", "任务内容", "工作内容", "工作要求",
           "具体内容", "主要措施", "落实措施", "具体要求", "工作举措", "主要内容", "细化任务", "任务分解"),
    TASK: ("工作任务", "主要任务", "重点任务", "任务名称", "工作事项", "事项", "任务", "公开事项",
           "公开内容", "工作要点", "工作项目", "重点工作"),
    LEAD: ("牵头单位", "牵头部门", "牵头科室", "牵头处室", "牵头股室", "主办单位", "牵头", "主责单位"),
    OTHERS: ("配合单位", "配合部门", "配合科室", "配合处室", "协办单位", "参与单位", "配合", "协办"),
    RESP: ("责任单位", "责任部门", "责任处室", "责任科室", "责任股室", "落实单位", "承办单位", "责任主体",
           "承办科室", "承办部门", "实施单位"),
    DEADLINE: ("完成时限", "时限要求", "完成时间", "时间节点", "时限", "完成期限", "办结时限", "时间要求",
               "时间安排", "进度安排"),
    NOTE: ("备注", "说明", "完成情况", "进展情况", "落实情况", "工作进展", "推进情况"),
}
_FUZZY = [
    (SEQ, re.compile(r"序号|编号")),
    (LEAD, re.compile(r"牵头|主办")),
    (OTHERS, re.compile(r"配合|协办|参与")),
    (RESP, re.compile(r"责任.{0,2}(?:单位|部门|处室|科室|股室)|承办|落实单位|负责.{0,2}(?:单位|部门|处室|科室|股室)")),
    (DEADLINE, re.compile(r"时限|完成时间|时间节点|期限")),
    (NOTE, re.compile(r"备注")),
    (CATEGORY, re.compile(r"类别|分类|领域|板块|[一二三四五六七八九]级")),
    (TEXT, re.compile(r"措施|举措|要求|分工|内容")),
    (TASK, re.compile(r"任务|事项")),
]
_UNIT_ROLES = (LEAD, OTHERS, RESP)
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


def _label_key(cell: str) -> str:
    return re.sub(r"[\s*※:()\[\]【】\d.、]", "", normalize_cell(cell))


def label_role(cell: str) -> str | None:
    """The role of a header cell (序号 → "seq", 牵头单位 → "lead"), None for data."""
    key = _label_key(cell)
    if not key or len(key) > 12 or match_marker(normalize_cell(cell)):
        return None
    for role, names in _EXACT.items():
        if key in names:
            return role
    for role, pat in _FUZZY:
        if pat.search(key):
            return role
    return None


def _row_roles(row: list[str]) -> list[str | None]:
    return [label_role(c) for c in row]


def _header_score(roles: list[str | None]) -> int:
    found = {r for r in roles if r}
    if not found & {TEXT, TASK}:
        return 0
    return len(found)


def find_header(rows: list[list[str]], scan: int = 30) -> int | None:
    """Index of the header row (the best-labelled of the first rows), None if absent."""
    best, best_score = None, 1
    for i, row in enumerate(rows[:scan]):
        score = _header_score(_row_roles(row))
        if score > best_score:
            best, best_score = i, score
    return best


@dataclass
class _Layout:
    header: int  # index of the (last) header row
    roles: dict[int, str]  # column -> role
    categories: list[int] = field(default_factory=list)  # category columns, left to right
    text_col: int | None = None
    title_col: int | None = None
    header_keys: list[str] = field(default_factory=list)


def _layout(rows: list[list[str]], h: int) -> _Layout:
    roles_h = _row_roles(rows[h])
    width = max(len(r) for r in rows)
    roles = {c: r for c, r in enumerate(roles_h) if r}
    last = h
    # Two-row header: 责任单位 over 牵头单位 | 配合单位
    if h + 1 < len(rows):
        sub = _row_roles(rows[h + 1])
        long_text = any(len(c) > 16 for c in rows[h + 1])
        if any(sub) and not long_text and _header_score(sub) < _header_score(roles_h) + 1:
            for c, r in enumerate(sub):
                if r:
                    roles[c] = r
            last = h + 1
    lay = _Layout(header=last, roles=roles,
                  header_keys=[_label_key(c) for c in rows[last]] + [""] * (width - len(rows[last])))
    texts = [c for c, r in sorted(roles.items()) if r == TEXT]
    tasks = [c for c, r in sorted(roles.items()) if r == TASK]
    if texts:
        lay.text_col = texts[0]
    elif tasks:
        lay.text_col = tasks[-1]
        tasks = tasks[:-1]
    data = [r for r in rows[last + 1:] if lay.text_col is not None and lay.text_col < len(r)]
    cats = [c for c, r in sorted(roles.items()) if r == CATEGORY]
    # Unlabelled columns left of the text holding text are categories too
    for c in range(0, lay.text_col or 0):
        if c not in roles and any(len(r[c]) > 3 for r in data if c < len(r)):
            cats.append(c)
    for c in tasks:
        if _looks_merged(data, c, lay.text_col):
            cats.append(c)
        elif lay.title_col is None:
            lay.title_col = c
    lay.categories = sorted(set(cats))
    if DEADLINE not in roles.values():  # no 完成时限 column: a 备注 (or unlabelled) column of time limits
        for c in range(width):
            if roles.get(c) in (NOTE, None) and c != lay.text_col and c not in lay.categories:
                vals = [r[c] for r in data if c < len(r) and r[c] and len(set(r)) > 1]
                if vals and sum(map(is_deadline_phrase, vals)) * 2 > len(vals):
                    roles[c] = DEADLINE
                    break
    return lay


def _looks_merged(data: list[list[str]], col: int, text_col: int | None) -> bool:
    """True when a column repeats (merged) or is left blank below a value: a category."""
    prev = None
    for r in data:
        if col >= len(r) or text_col is None or not r[text_col]:
            continue
        v = r[col]
        if prev is not None and (not v or v == prev):
            return True
        prev = v or prev
    return False


def _is_repeat_header(row: list[str], lay: _Layout) -> bool:
    same = sum(1 for c, v in enumerate(row) if v and c < len(lay.header_keys)
               and _label_key(v) == lay.header_keys[c] and label_role(v))
    return same >= 2


def _section_value(row: list[str], lay: _Layout) -> str | None:
    """The text of a category row (one value across the row), else None."""
    values = [v for v in row if v]
    distinct = set(values)
    if len(distinct) != 1:
        return None
    value = values[0]
    if len(values) >= 2:
        return value  # merged across columns
    col = row.index(value)
    if lay.roles.get(col) in _UNIT_ROLES + (DEADLINE, NOTE) or col in lay.categories:
        return None
    if col == lay.text_col:
        m = match_marker(value)
        return value if m and m.kind == "cn" and len(m.rest) <= 60 else None
    return value


def _kind_of(token: str) -> str | None:
    pt = parse_token(token)
    return pt[0] if pt else None


def _next_kind(parent: Node | None) -> str:
    if parent is None:
        return KINDS[0]
    k = _kind_of(parent.path[-1])
    return KINDS[min(KINDS.index(k) + 1, len(KINDS) - 1)] if k else KINDS[0]


def _token_from_seq(seq: str) -> str | None:
    seq = seq.strip().rstrip(".、")
    if not seq:
        return None
    if re.fullmatch(r"\d{1,3}", seq):
        return str(int(seq))
    pt = parse_token(seq)
    return make_token(*pt) if pt else None


class _Builder:
    def __init__(self, source: str, sheet: str | None, year: int | None):
        self.source, self.sheet, self.year = source, sheet, year
        self.roots: list[Node] = []
        self.stack: list[tuple[str, Node]] = []  # (value, node) for the current section chain
        self.warnings: list[Finding] = []
        self.seen_ids: dict[str, int] = {}

    def _src(self, r: int) -> Source:
        return Source(file=self.source, sheet=self.sheet, row=r + 1)

    def _siblings(self, parent: Node | None) -> list[Node]:
        return parent.children if parent else self.roots

    def _add(self, parent: Node | None, token: str, r: int, **kw) -> Node:
        path = (parent.path if parent else []) + [token]
        base = f"{parent.id}.{token}" if parent else token
        count = self.seen_ids.get(base, 0) + 1
        self.seen_ids[base] = count
        node = Node(id=base if count == 1 else f"{base}#{count}", path=path, source=self._src(r), **kw)
        if count > 1:
            self.warnings.append(fk.finding("parse-renumbered", f"{self._src(r).describe()}：编号「{base}」重复，记为「{node.id}」，请核对"))
        self._siblings(parent).append(node)
        return node

    def section_chain(self, values: list[str], r: int, rows_of: dict[str, int]) -> Node | None:
        """Reuse or open the sections named by ``values`` (outermost first)."""
        parent = None
        for depth, value in enumerate(values):
            if depth < len(self.stack) and self.stack[depth][0] == value:
                parent = self.stack[depth][1]
                continue
            del self.stack[depth:]
            m = match_marker(value)
            if m and m.rest:
                token, title = m.token, m.rest
            else:
                kind = _next_kind(parent)
                number = sum(1 for n in self._siblings(parent) if not n.is_task) + 1
                token, title = make_token(kind, number), value
            title = title.replace("\n", "")
            node = self._add(parent, token, rows_of.get(value, r), title=title, text=title)
            self.stack.append((value, node))
            parent = node
        return parent


def _clean(row: list[str], width: int) -> list[str]:
    cells = [normalize_cell(c) for c in row]
    return cells + [""] * (width - len(cells))


def parse_table(rows: list[list[str]], source: str = "", year: int | None = None,
                sheet: str | None = None) -> Document | None:
    """Read a task table into a Document; None when no header row is found.

    Args:
        rows: cell texts, merged cells already carried into every cell they cover.
        source: file name recorded in each node's Source.
        year: document year for deadlines such as 6月底前 (else found above the header).
        sheet: worksheet name recorded in each node's Source.
    """
    if not rows:
        return None
    width = max(len(r) for r in rows)
    rows = [_clean(r, width) for r in rows]
    h = find_header(rows)
    if h is None:
        return None
    lay = _layout(rows, h)
    if lay.text_col is None:
        return None
    above = [v for r in rows[:h] for v in dict.fromkeys(r) if v]
    meta = extract_metadata(above) if above else None
    if year is None and meta and meta.year:
        year = meta.year
    b = _Builder(source, sheet, year)
    sections: list[str] = []  # values of category rows in force
    section_rows: dict[str, int] = {}
    carried: dict[int, str] = {}
    last_task: Node | None = None
    last_key: tuple | None = None
    for r in range(lay.header + 1, len(rows)):
        row = rows[r]
        if not any(row) or _is_repeat_header(row, lay):
            continue
        sec = _section_value(row, lay)
        if sec is not None:
            sections = _push_section(sections, sec)
            section_rows[sec] = r
            carried = {}
            last_task, last_key = None, None
            continue
        cats = _categories(row, lay, carried)
        text = row[lay.text_col]
        title_cell = row[lay.title_col] if lay.title_col is not None else ""
        if not text and not title_cell:
            continue
        key = (tuple(sections), tuple(cats), title_cell, text)
        if last_task is not None and key == last_key:
            _add_units(last_task, row, lay)  # the same task merged over several rows
            continue
        parent = b.section_chain(sections + cats, r, section_rows)
        last_task = _task(b, parent, row, r, lay, text, title_cell)
        last_key = key
    _drop_empty_sections(b.roots)
    mark_noise(b.roots, b.warnings)
    if any(FIRST_LEADS.search(c) for r in rows for c in r if "牵头" in c):
        first_unit_leads(b.roots, b.warnings)
    doc = Document(roots=b.roots, warnings=[f.message for f in b.warnings], findings=b.warnings, year=year,
                   source_file=source)
    if meta:
        doc.title, doc.issuer, doc.doc_number, doc.cited = meta.title, meta.issuer, meta.doc_number, meta.cited
    if not doc.tasks:
        return None
    return doc


def _push_section(sections: list[str], value: str) -> list[str]:
    """Nest a category row under the current ones by its numbering kind."""
    m = match_marker(value)
    if not m:
        return [value]
    rank = KINDS.index(m.kind)
    kept = []
    for s in sections:
        sm = match_marker(s)
        if sm and KINDS.index(sm.kind) < rank:
            kept.append(s)
        else:
            break
    return kept + [value]


def _task(b: _Builder, parent: Node | None, row: list[str], r: int, lay: _Layout,
          text: str, title_cell: str) -> Node:
    token = None
    m_title = match_marker(title_cell) if title_cell else None
    m_text = match_marker(text) if text else None
    if m_title:
        token, title_cell = m_title.token, m_title.rest
    if m_text and (token is None or m_text.kind == (m_title.kind if m_title else None)):
        token = token or m_text.token
        text = m_text.rest
    seq_cols = [c for c, role in lay.roles.items() if role == SEQ]
    if token is None and seq_cols:
        token = _token_from_seq(row[seq_cols[0]])
    if token is None:  # an unnumbered row: its position (under no section: 1, 2, …)
        kind = _next_kind(parent) if parent is not None else "num"
        token = make_token(kind, sum(1 for n in b._siblings(parent) if n.is_task) + 1)
    clause = split_clause(text)
    body = clause.body if clause.raw else text
    node = b._add(parent, token, r, is_task=True)
    node.text = body.strip()
    node.title = (title_cell or title_of(body.split("\n", 1)[0])).replace("\n", "")
    _add_units(node, row, lay)
    if not (node.lead or node.others) and clause.raw:
        node.lead, node.others = list(clause.lead), list(clause.others)
        node.cooperate = [u for u in node.others if u in cooperating_units(clause.raw)]
    deadline_cols = [c for c, role in lay.roles.items() if role == DEADLINE]
    cell = row[deadline_cols[0]] if deadline_cols else ""
    if cell:
        node.deadline = parse_deadline_cell(cell, b.year)
    elif clause.deadline_text:
        node.deadline = parse_deadline_cell(clause.deadline_text, b.year)
    else:
        node.deadline = find_deadline(body, b.year) or Deadline()
    notes = [row[c] for c, role in lay.roles.items() if role == NOTE and row[c]]
    if cell and milestone_note(cell, b.year):
        notes.append(milestone_note(cell, b.year))
    node.note = "\n".join(notes)
    if any(lay.roles.get(c) in _UNIT_ROLES for c in lay.roles) and not (node.lead or node.others):
        node.review = True
        node.warnings.append("责任单位为空，请核对")
    return node


def _add_units(node: Node, row: list[str], lay: _Layout) -> None:
    has_lead_col = LEAD in lay.roles.values()
    for c, role in sorted(lay.roles.items()):
        cell = row[c]
        if role not in _UNIT_ROLES or not cell:
            continue
        if role == LEAD:
            lead, others = split_units(cell), []
        elif role == OTHERS or has_lead_col:
            lead, others = split_unit_cell(cell)
            if has_lead_col and "牵头" not in cell:  # a second unit column next to 牵头单位: "other"
                others, lead = lead + others, []
        else:
            lead, others = split_unit_cell(cell)
        node.lead += [u for u in lead if u not in node.lead]
        node.others += [u for u in others if u not in node.others and u not in node.lead]
        key = lay.header_keys[c] if c < len(lay.header_keys) else ""
        coop = others if re.match(r"(?:配合|协办|参与|协助)", key) else cooperating_units(cell)
        node.cooperate += [u for u in others if u in coop and u not in node.cooperate]


_FOOTNOTE = re.compile(r"^(?:注|说明|备注|附|填表|联系人|制表)")


def _drop_empty_sections(nodes: list[Node]) -> None:
    """Drop full-width rows that head nothing and read like footnotes (注:…, 填表人…)."""
    for n in list(nodes):
        _drop_empty_sections(n.children)
        if not n.is_task and not n.children and (_FOOTNOTE.match(n.title) or len(n.title) > 80 or not n.title):
            nodes.remove(n)


def _categories(row: list[str], lay: _Layout, carried: dict[int, str]) -> list[str]:
    """Category values of a data row; blanks carry the value above unless an outer one changed."""
    out: list[str] = []
    changed = False
    for c in lay.categories:
        v = row[c]
        if v:
            changed = changed or carried.get(c) != v
        elif not changed:
            v = carried.get(c, "")
        carried[c] = v
        if v:
            out.append(v)
    return out
