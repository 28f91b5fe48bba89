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
from zwgk_xl.parse.clauses import split_unit_cell, title_of
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
            node.warnings.append("任务文本中夹有分类标题的片段,请核对")
        cur_top.children.append(node)
        tasks.append(node)
        seg_units.append(_unit_groups(unit_parts))
    _assign_units(tasks, seg_units)
    if not tasks:
        from zwgk_xl.core.errors import NoStructure

        raise NoStructure(f"{source or '输入文本'}:没有找到按顺序编号的任务")
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
            pending, queue = [], []
        elif final or len(queue) > len(pending):
            for t in pending:
                t.review = True
                t.warnings.append("无法从转换后的文本中确定本项的责任单位,请人工核对")
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
            t.warnings.append("无法从转换后的文本中确定本项的责任单位,请人工核对")
