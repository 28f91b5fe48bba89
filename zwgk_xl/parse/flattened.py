"""Tables flattened into running text (PDF or web scraping).

A 任务分解表 copied out of a PDF loses its line breaks: the cells of the
columns 工作任务 / 任务要求 / 责任单位 come out interleaved, one PDF line at a
time.  What survives is the *sequence* of numbering: top sections 一、二、…
and tasks numbered 1., 2., … across the whole table.  We accept markers
only in sequence, cut the text at them, and recover the unit cells that can
be told apart from the prose.  Units queued behind their tasks (a PDF emits a
row's unit cell after the text cells of several rows) are assigned in order;
every task whose units cannot be recovered that way is flagged for review.
"""

from __future__ import annotations

import re

from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import Document, Finding, Node, Source
from zwgk_xl.parse.clauses import cooperating_units, split_unit_cell, title_of
from zwgk_xl.parse.deadlines import find_deadline
from zwgk_xl.parse.numbering import cn_to_int, make_token

_INLINE_NUM = re.compile(r"(?:(?<=\s)|^)(\d{1,3})\s*[.、](?!\d)")
_INLINE_CN = re.compile(r"(?:(?<=\s)|^)([一二三四五六七八九十]{1,3})、")
_CAT_START = re.compile(r"^\(([一二三四五六七八九十]{1,4})\)")
_CAT_END = re.compile(r"(?:公开|关切|目录|建设|机制|考核|落实|作风|质量|管理|规范化|互动|渠道|解读|方式|标准化|发布)$")
_HEADER_WORDS = re.compile(r"(?:(?<=\s)|^)(?:序号|工作任务|任务要求|责任单位|牵头单位|配合单位|完成时限|备注)(?=\s|$)")
_UNIT_END = ("局", "委", "办", "办公室", "部门", "镇街", "分局", "中心", "政府", "街道", "乡镇", "院", "厅")
_ROLE = re.compile(r"(牵头|配合|负责|参与)$")
_UNIT_CHARS = re.compile(r"^[\u4e00-\u9fff、,;]+$")


def looks_flattened(lines: list[str]) -> bool:
    """True when numbered items run inline in very long lines."""
    for l in lines:
        if len(l) > 400 and len(_INLINE_NUM.findall(l)) >= 4:
            return True
    return False


def _is_unit_name(name: str) -> bool:
    name = _ROLE.sub("", name)
    return 2 <= len(name) <= 16 and name.endswith(_UNIT_END) and not re.search(
        r"公开|信息|工作|制度|机制|政策|印发|名义|以及|要|的", name)


def _unitish(chunk: str) -> bool:
    """A whitespace-delimited chunk made only of unit names (possibly cut at its ends)."""
    if not _UNIT_CHARS.match(chunk) or len(chunk) > 80:
        return False
    names = [n for n in re.split(r"[、,;]", chunk) if n]
    if not names:
        return False
    full = [n for n in names if _is_unit_name(n)]
    if not full and not _ROLE.search(chunk):
        return False
    # every name but a cut-off first or last piece must be a whole unit name
    for k, n in enumerate(names):
        if _is_unit_name(n) or _ROLE.fullmatch(n):
            continue
        if k == 0 and len(n) <= 4 and n.endswith(_UNIT_END + ("配合", "牵头")):
            continue
        if k == len(names) - 1 and len(n) <= 6 and n.startswith(("市", "各", "县", "区", "济宁")):
            continue
        if k == len(names) - 1 and n.endswith(("各", "政府")):
            continue
        return False
    return True


def _complete(s: str) -> bool:
    return bool(re.search(r"(局|委|办公室|部门|镇街|分局|中心|街道|乡镇|牵头|配合|负责)$", s))


def _unit_groups(unit_chunks: list[str]) -> list[str]:
    """Join chunks of one cell (cut at PDF line ends) and split between cells."""
    groups: list[str] = []
    for ch in unit_chunks:
        if groups and (not _complete(groups[-1]) or ch.startswith(("各部门", "部门"))
                       or not ch.startswith(("市", "各", "县", "区", "济宁", "省"))):
            groups[-1] += ch
        else:
            groups.append(ch)
    return groups


def _segments(text: str):
    """Yield (kind, number, start, end_of_marker) for markers accepted in sequence."""
    cands = []
    for m in _INLINE_CN.finditer(text):
        cands.append((m.start(), "cn", cn_to_int(m.group(1)), m.end()))
    for m in _INLINE_NUM.finditer(text):
        cands.append((m.start(), "num", int(m.group(1)), m.end()))
    cands.sort()
    expect = {"cn": 1, "num": 1}
    out = []
    for pos, kind, n, end in cands:
        if n == expect[kind]:
            out.append((kind, n, pos, end))
            expect[kind] = n + 1
    return out


def parse_flattened(text: str, source: str, year: int | None, warnings: list[Finding]) -> Document:
    """Parse a table that was flattened into running text."""
    flat = re.sub(r"\s+", " ", text)
    # The task table usually follows a cover notice whose own items are numbered 一、二、…
    starts = [m.end() for m in re.finditer(r"附件\s*\d*\s*[::]?\s*[^。:]{0,40}?(?:分解表|要点|清单|方案)", flat)]
    start = starts[-1] if starts else 0
    if start:
        warnings.append(fk.finding("parse-attachment", "文件含通知正文和附件，只解析附件中的任务表"))
    end_m = re.search(r"抄送[::]", flat[start:])
    body = flat[start: start + end_m.start()] if end_m else flat[start:]
    body = _HEADER_WORDS.sub(" ", body)
    body = re.sub(r"(配|牵|负)\s+(合|头|责)", r"\1\2", body)
    warnings.append(fk.finding("parse-flattened", "原文为表格转换后的连续文本（如从 PDF 复制），已按编号顺序恢复任务；分类标题和责任单位可能错位，请核对标记的任务"))
    marks = _segments(body)
    roots: list[Node] = []
    cur_top: Node | None = None
    tasks: list[Node] = []
    seg_units: list[list[str]] = []
    cat_open = 0
    for idx, (kind, n, pos, mend) in enumerate(marks):
        nxt = marks[idx + 1][2] if idx + 1 < len(marks) else len(body)
        seg = body[mend:nxt].strip()
        if kind == "cn":
            title = re.split(r"\s*\([一二三四五六七八九十]{1,4}\)", seg)[0].strip()
            cur_top = Node(id=make_token("cn", n), path=[make_token("cn", n)], title=title, text=title,
                           source=Source(file=source))
            roots.append(cur_top)
            continue
        if cur_top is None:
            cur_top = Node(id="一", path=["一"], title="", source=Source(file=source))
            roots.append(cur_top)
        chunks = seg.split(" ")
        text_parts, unit_parts, cat = [], [], False
        for ch in chunks:
            if not ch:
                continue
            if _CAT_START.match(ch):
                cat = True
                cat_open = 0 if _CAT_END.search(ch) else 3
                continue
            if cat_open and len(ch) <= 7 and "。" not in ch and not _unitish(ch):
                cat_open = 0 if _CAT_END.search(ch) else cat_open - 1
                continue  # a piece of a category cell (二级标题) cut at a PDF line end
            if _unitish(ch):
                unit_parts.append(ch)
            else:
                text_parts.append(ch)
        task_text = "".join(text_parts)
        tok = make_token("num", n)
        node = Node(id=f"{cur_top.id}.{tok}", path=[cur_top.path[0], tok], text=task_text,
                    source=Source(file=source), is_task=True)
        node.title = title_of(task_text)
        node.deadline = find_deadline(task_text, year)
        if cat:
            node.warnings.append("任务文本中夹有分类标题的片段，请核对")
        cur_top.children.append(node)
        tasks.append(node)
        seg_units.append(_unit_groups(unit_parts))
    _assign_units(tasks, seg_units)
    if not tasks:
        from zwgk_xl.core.errors import NoStructure

        raise NoStructure(f"{source or '输入文本'}：没有找到按顺序编号的任务")
    return Document(roots=roots, warnings=[f.message for f in warnings], findings=warnings, source_file=source, year=year)


def _assign_units(tasks: list[Node], seg_units: list[list[str]]) -> None:
    """Give queued unit cells to the tasks waiting for them, in order."""
    pending: list[Node] = []
    queue: list[str] = []

    def flush(final: bool) -> None:
        nonlocal pending, queue
        if not pending:
            queue = []
            return
        if len(queue) == len(pending):
            for t, g in zip(pending, queue):
                t.lead, t.others = split_unit_cell(g)
                t.cooperate = [u for u in t.others if u in cooperating_units(g)]
            pending, queue = [], []
        elif final or len(queue) > len(pending):
            for t in pending:
                t.review = True
                t.warnings.append("无法从转换后的文本中确定本项的责任单位，请人工核对")
            for t, g in zip(pending, queue):
                t.lead, t.others = split_unit_cell(g)
            pending, queue = [], []

    for t, groups in zip(tasks, seg_units):
        pending.append(t)
        queue.extend(groups)
        flush(final=False)
    flush(final=True)
    for t in tasks:
        if not (t.lead or t.others) and not t.review:
            t.review = True
            t.warnings.append("无法从转换后的文本中确定本项的责任单位，请人工核对")


# ---------------------------------------------------------------------------
# Tables run together with no separators at all (a document-sharing site's text layer):
# "工作任务具体要求牵头落实单位一、加强预期引导1密切跟踪……解读。市发展改革委2按月公开……"

_LABEL_WORDS = ("序号|工作任务|重点任务|主要任务|具体要求|任务要求|具体措施|工作措施|牵头落实单位|牵头单位|责任单位|"
                "配合单位|落实单位|责任部门|牵头部门|完成时限|时限要求|备注")
_GLUED_HEADER = re.compile(rf"(?:{_LABEL_WORDS}){{3,}}")
_PAGE_MARK = re.compile(r"^\d{1,3}、")
_RUN_NUM = re.compile(r"(?<![\d.])(\d{1,2})(?![\d.%年月日号个项万亿元次家名所条期批类])")
_RUN_CN = re.compile(r"([一二三四五六七八九十]{1,3})、")
_UNIT_TAIL = re.compile(r"[。;]([^。;]{2,40})$")


def run_on_header(text: str) -> re.Match | None:
    """The header of a table whose cells were glued together (three or more labels in a row)."""
    return _GLUED_HEADER.search(text[:3000])


def parse_run_on(text: str, source: str, year: int | None, warnings: list[Finding]) -> Document | None:
    """Read a glued table: sections 一、 and items numbered in sequence, each ending in its unit cell."""
    lines = [l.strip() for l in text.split("\n") if l.strip()]
    if sum(len(l) for l in lines) < 200:
        return None
    # page markers (1、 2、 …) begin the lines of a layer cut into pages
    joined = "".join(_PAGE_MARK.sub("", l) if len(l) > 200 else l for l in lines)
    head = run_on_header(joined)
    if head is None:
        return None
    lead_col = "牵头" in head.group(0)
    body = joined[head.end():]
    marks: list[tuple[str, int, int, int]] = []  # (kind, number, start, end)
    for m in _RUN_CN.finditer(body):
        marks.append(("cn", cn_to_int(m.group(1)), m.start(), m.end()))
    for m in _RUN_NUM.finditer(body):
        marks.append(("num", int(m.group(1)), m.start(), m.end()))
    marks.sort(key=lambda x: x[2])
    accepted: list[tuple[str, int, int, int]] = []
    next_cn, next_num = 1, 1
    for kind, n, a, b in marks:
        if kind == "cn" and n == next_cn and (not accepted or _UNIT_TAIL.search(body[accepted[-1][3]:a])):
            accepted.append((kind, n, a, b))
            next_cn, next_num = n + 1, 1
        elif kind == "num" and accepted and n == next_num:
            prev = body[accepted[-1][3]:a]
            if accepted[-1][0] == "cn" or _UNIT_TAIL.search(prev):
                accepted.append((kind, n, a, b))
                next_num = n + 1
    roots: list[Node] = []
    top: Node | None = None
    for i, (kind, n, a, b) in enumerate(accepted):
        end = accepted[i + 1][2] if i + 1 < len(accepted) else len(body)
        seg = body[b:end]
        if kind == "cn":
            top = Node(id=make_token("cn", n), path=[make_token("cn", n)], source=Source(file=source))
            top.title = top.text = seg.strip()
            roots.append(top)
            continue
        if top is None:
            continue
        tail = _UNIT_TAIL.search(seg)
        if tail is None:
            continue  # cut short: no unit cell
        lead, others = split_unit_cell(tail.group(1))
        if lead_col:
            lead, others = lead + others, []
        text_part = seg[: tail.start() + 1].strip()
        tok = make_token("num", n)
        node = Node(id=f"{top.id}.{tok}", path=[top.path[0], tok], text=text_part, title=title_of(text_part),
                    lead=lead, others=others, source=Source(file=source), is_task=True)
        top.children.append(node)
    if not any(r.children for r in roots):
        return None
    warnings.append(fk.finding("parse-flattened", "原文为表格各格连在一起的文本（无分隔符），已按编号顺序和句末的单位名称恢复任务，请核对"))
    return Document(roots=roots, warnings=[f.message for f in warnings], findings=warnings, source_file=source,
                    year=year)
