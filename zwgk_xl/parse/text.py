"""Plain-text task lists → :class:`Document`.

Works on the genre, not on particular files: typed numbering (一、 (一) 1.
(1) ①) validated by sequence, web-page chrome dropped, repeated blocks
detected (and used as evidence to remove injected noise characters),
duplicated numbering kept with distinct ids, responsibility clauses and
deadlines extracted.  Tables flattened into text by PDF/web scraping are read
in a separate mode (:mod:`zwgk_xl.parse.flattened`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz.distance import Indel

from zwgk_xl.core.errors import NoStructure
from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import Document, Finding, Node, Source
from zwgk_xl.parse.clauses import (cooperating_units, FIRST_LEADS, LABELLED_LINE, UNIT_SUFFIX, first_unit_leads, clause_brackets, clause_segments, has_clause, split_clause,
                                   split_labelled, title_of)
from zwgk_xl.parse.genre import refuse_non_list
from zwgk_xl.parse.noise import mark_noise
from zwgk_xl.parse.flattened import looks_flattened, parse_flattened, parse_run_on, run_on_header
from zwgk_xl.parse.deadlines import find_deadline, milestone_note, parse_deadline_cell
from zwgk_xl.parse.normalize import normalize_text
from zwgk_xl.parse.numbering import KINDS, Marker, cn_to_int, make_token, match_marker

_CHROME = re.compile(
    r"^(?:[•·●▪■◆]|相关词条|热门词条|联络我们|联系我们|相关文章|相关链接|相关解读|扫一扫|打印本页|【?打印】?|关闭窗口|"
    r"上一篇|下一篇|分享到|首页|当前位置|您的位置|基本介绍|全文,?$|下载(?:文档)?$|责任编辑|来源[::]|【字体|字号|"
    r"文字解读|图片解读|视频解读|访谈解读|媒体报道|网站地图|版权所有|主办单位[::]|ICP|浏览次数|阅读次数|收藏|"
    r"\[?(?:大|中|小)\]?$|时间[::]\s*\d{4})"
)
_TRAILER = re.compile(r"^(?:抄送[::]|扫一扫|相关词条|相关文章|相关解读|上一篇|下一篇|打印本页|关闭窗口|责任编辑|热门词条|联络我们)")
_TITLE_HINT = re.compile(r"要点|清单|分解|方案|意见|通知|办法|报告|计划|安排|细则|任务")
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[【(]\s*(\d{4})\s*[〕\]】)]\s*\d{1,4}\s*号")
_CITED = re.compile(r"《([^》]{4,100})》\s*(?:\(\s*([^()]{0,16}?[〔\[]\s*\d{4}\s*[〕\]]\s*\d+\s*号)\s*\))?")
_YEAR = re.compile(r"(20\d{2}|19\d{2})\s*年")
# Items closed by labelled responsibility inline ("。 责任单位:X 2.…"): prose that lost its breaks, not a table.
_LABELLED_INLINE = re.compile(r"。\s*(?:责任单位|牵头单位|责任部门|牵头部门)\s*[::][^。]{2,80}?\s\d{1,2}[.、]")
_NOISY_CN = re.compile(r"^([一二三四五六七八九十]{1,3})([^\s、.,。:;()“”《》]{1,6})、(.{2,50})$")
# Per-paragraph patterns, compiled once (the module-level re functions look each up per call).
_ATTACHMENT = re.compile(r"附件\s*\d*")
_ATTACHMENT_HEAD = re.compile(r"附件\s*\d*\s*[::]?")
_STOP_OR_SEMI = re.compile(r"[。;]")
_CLOSED = re.compile(r"[。!?;:)]$")
_BLANKS = re.compile(r"[ \t]+")
_LOST_CHARS = re.compile(r"^[?？\ufffd]+")


@dataclass
class _Para:
    text: str
    line: int  # 1-based line in the source
    marker: Marker | None = None
    dup_of: int | None = None


@dataclass
class _Meta:
    title: str = ""
    issuer: str = ""
    doc_number: str = ""
    year: int | None = None
    cited: list[str] = field(default_factory=list)


def extract_metadata(lines: list[str]) -> _Meta:
    """Title, issuing body, 文号, year and cited documents from the text."""
    meta = _Meta()
    head = [l.strip() for l in lines[:40] if l.strip()]
    for l in head:
        cand = re.sub(r"\.(?:docx?|pdf|wps|html?)$", "", l)
        cand = DOC_NUMBER.sub("", cand).strip() if DOC_NUMBER.match(cand) else cand
        if len(cand) <= 60 and _TITLE_HINT.search(cand) and not match_marker(cand) \
                and not cand.startswith(("《", "根据", "为", "按照")) and not _CHROME.match(cand) \
                and not cand.endswith((":", "。")):
            meta.title = cand
            break
    full = "\n".join(lines)
    for m in re.finditer(r"(?:发布单位|发文机关|发文单位)\s*[::]\s*([\u4e00-\u9fff]{3,30})", full[:5000]):
        meta.issuer = m.group(1)
        break
    if not meta.issuer and meta.title:
        m = re.match(r"^(?:\d{4}年)?([\u4e00-\u9fff]{3,30}?)关于", meta.title)
        if m:
            meta.issuer = m.group(1)
    cited_spans = []
    for m in _CITED.finditer(full):
        cited_title = re.sub(r"\s+", "", m.group(1))
        meta.cited.append(f"《{cited_title}》" + (f"({m.group(2).replace(' ', '')})" if m.group(2) else ""))
        cited_spans.append((m.start(), m.end()))
    for m in DOC_NUMBER.finditer(full[:8000]):
        if any(a <= m.start() < b for a, b in cited_spans):
            continue
        meta.doc_number = re.sub(r"\s+", "", m.group(0))
        break
    for src in (meta.title, meta.doc_number, "\n".join(head[:10])):
        m = _YEAR.search(src or "") or re.search(r"〔(\d{4})〕", src or "")
        if m:
            meta.year = int(m.group(1))
            break
    meta.cited = list(dict.fromkeys(meta.cited))
    return meta


# ---------------------------------------------------------------------------
# Repeated blocks


def _near_dup(a: str, b: str) -> list[tuple] | None:
    """Opcodes when ``b`` is ``a`` with only short insertions/deletions (noise)."""
    if a == b:
        return []
    if abs(len(a) - len(b)) > max(12, len(a) // 10):
        return None
    if Indel.normalized_similarity(a, b) < 0.9:
        return None
    ops = [tuple(op) for op in Indel.opcodes(a, b)]
    changes = [op for op in ops if op[0] != "equal"]
    changed = sum(max(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in changes)
    if changed > max(10, len(a) // 12) or any(max(i2 - i1, j2 - j1) > 8 for _, i1, i2, j1, j2 in changes):
        return None
    return ops


_COMMON_KEY = 24


def _find_repeats(paras: list[_Para], warnings: list[Finding]) -> None:
    """Mark paragraphs repeating earlier ones; clean noise seen in only one copy."""
    index: dict[tuple, list[int]] = {}
    for i, p in enumerate(paras):
        t = p.text
        if len(t) < 8:
            continue
        mid = len(t) // 2
        keys = [("h", t[:12]), ("m", t[mid - 6: mid + 6]), ("t", t[-12:])]
        cands = []
        for k in keys:
            bucket = index.get(k, [])
            if len(bucket) <= _COMMON_KEY:  # keys shared by many paragraphs say nothing
                cands.extend(bucket)
        for j in dict.fromkeys(cands):
            q = paras[j]
            if q.dup_of is not None:
                continue
            if (p.marker and q.marker and p.marker.token != q.marker.token) or bool(p.marker) != bool(q.marker):
                continue
            ops = _near_dup(q.text, t)
            if ops is None:
                continue
            p.dup_of = j
            if ops:
                noise_a = "".join(q.text[i1:i2] for op, i1, i2, j1, j2 in ops if op in ("delete", "replace"))
                clean = "".join(q.text[i1:i2] for op, i1, i2, j1, j2 in ops if op == "equal")
                if noise_a:
                    warnings.append(fk.finding(
                        "parse-noise", f"第{q.line}行：与第{p.line}行的重复段落比对，去除疑似噪声字符「{noise_a}」",
                        line=q.line, action="无需处理：已依据重复段落去除。"))
                q.text = clean
                q.marker = match_marker(clean) or q.marker
            break
        for k in keys:
            index.setdefault(k, []).append(i)


def _drop_repeat_runs(paras: list[_Para], warnings: list[Finding]) -> list[_Para]:
    """Drop runs of repeated paragraphs (and long repeated numbered items)."""
    keep: list[_Para] = []
    i = 0
    while i < len(paras):
        if paras[i].dup_of is None:
            keep.append(paras[i])
            i += 1
            continue
        j = i
        while j < len(paras) and paras[j].dup_of is not None:
            j += 1
        run = paras[i:j]
        numbered = [p for p in run if p.marker]
        single_exact = len(run) == 1 and numbered and len(run[0].text) >= 30 \
            and run[0].text == paras[run[0].dup_of].text
        if len(run) >= 2 or single_exact:
            first, last = run[0], run[-1]
            orig = paras[first.dup_of]
            toks = [p.marker.token for p in numbered]
            span = f"（编号 {toks[0]} 至 {toks[-1]}）" if len(toks) > 1 else (f"（编号 {toks[0]}）" if toks else "")
            warnings.append(fk.finding(
                "parse-duplicate-block", f"第{first.line}–{last.line}行与第{orig.line}行起的内容重复{span}，已删除重复部分",
                line=first.line))
        else:
            keep.extend(run)
        i = j
    return keep


# ---------------------------------------------------------------------------
# Outline


def _accept(marker: Marker, stack: list[tuple[str, Node, int]], last_num: dict[str, int]) -> bool:
    kinds = [k for k, _, _ in stack]
    if marker.kind in kinds:
        prev = stack[kinds.index(marker.kind)][2]
        return marker.number in (prev + 1, prev)
    if marker.number == 1:
        return True
    return marker.kind in last_num and marker.number == last_num[marker.kind] + 1



def _shallower(kind: str, stack: list[tuple[str, Node, int]]) -> bool:
    """``kind`` ranks above every level open now (一、 arriving under 1. items)."""
    return bool(stack) and all(KINDS.index(kind) < KINDS.index(k) for k, _, _ in stack) \
        or bool(stack) and kind == stack[0][0]


def build_outline(paras: list[_Para], source: str, warnings: list[Finding]) -> list[Node]:
    """Build the numbered tree from paragraphs, validating numbering by sequence."""
    roots: list[Node] = []
    stack: list[tuple[str, Node, int]] = []  # (kind, node, number)
    last_num: dict[str, int] = {}
    closed = False  # current node's text ended with its clause
    seen_clause = False  # some node so far closed with a clause (then numbering restarts are not preambles)
    in_trailer = False
    for p in paras:
        marker = p.marker
        if marker is None and not stack or (marker is None and stack and stack[0][0] == "cn"):
            m = _NOISY_CN.match(p.text)
            if m and "。" not in m.group(3):
                n = cn_to_int(m.group(1))
                if n == last_num.get("cn", 0) + 1 or (n == last_num.get("cn", 0) and n > 0):
                    marker = Marker("cn", make_token("cn", n), n, m.group(3).strip())
                    warnings.append(fk.finding(
                        "parse-noise", f"第{p.line}行：编号「{m.group(1)}{m.group(2)}、」中疑似混入噪声字符「{m.group(2)}」，已去除",
                        line=p.line, action="无需处理：已依据编号顺序去除。"))
        if marker and _ATTACHMENT.fullmatch(p.text.strip()):
            marker = None
        if _ATTACHMENT_HEAD.fullmatch(p.text.strip()) and roots:
            warnings.append(fk.finding("parse-attachment", f"第{p.line}行起为附件，附件前的通知正文编号不计为任务",
                                       line=p.line))
            roots, stack, last_num, closed, in_trailer, seen_clause = [], [], {}, False, False, False
            continue
        if marker and roots and marker.number == 1 and not seen_clause and _shallower(marker.kind, stack):
            # numbering restarts at a shallower level before any clause: what came before was a
            # preamble (a page's numbered metadata list, a cover letter's 一、二、三)
            roots, stack, last_num, closed, in_trailer = [], [], {}, False, False
        if marker and not roots and marker.number > 1 and marker.kind != "cn" and has_clause(marker.rest):
            last_num[marker.kind] = marker.number - 1  # the page starts in the middle of the list
        if marker and _accept(marker, stack, last_num):
            kinds = [k for k, _, _ in stack]
            if marker.kind in kinds:
                del stack[kinds.index(marker.kind):]
            parent = stack[-1][1] if stack else None
            node = Node(id="", path=(parent.path if parent else []) + [marker.token],
                        text=marker.rest, source=Source(file=source, line=p.line))
            (parent.children if parent else roots).append(node)
            stack.append((marker.kind, node, marker.number))
            last_num[marker.kind] = marker.number
            closed = has_clause(marker.rest)
            seen_clause = seen_clause or closed
            in_trailer = False
            continue
        if not stack:
            continue
        if _TRAILER.match(p.text) or (len(p.text) < 40 and _CHROME.match(p.text)):
            in_trailer = True
            continue
        last_line = stack[-1][1].text.rsplit("\n", 1)[-1]
        if closed and LABELLED_LINE.match(last_line) and len(p.text) <= 60 and "。" not in p.text \
                and not last_line.rstrip().endswith(UNIT_SUFFIX + ("、", ",", ";")) and not LABELLED_LINE.match(p.text):
            stack[-1][1].text += p.text  # a labelled unit list wrapped mid-name (园区党工 / 委、…)
            continue
        if closed and not in_trailer and _paragraph_style(stack[-1][1]) and not has_clause(p.text) \
                and not LABELLED_LINE.match(p.text) and len(p.text) >= 8:
            stack[-1][1].text += "\n" + p.text  # more paragraphs under a heading (kept; split later)
            continue
        if in_trailer or (closed and not LABELLED_LINE.match(p.text) and not has_clause(p.text)):
            continue
        if closed and has_clause(p.text):  # another paragraph closed by its own clause: a sub-item
            node = stack[-1][1]
            node.text = f"{node.text}\n{p.text}"
            continue
        node = stack[-1][1]
        heading_only = "\n" not in node.text and len(node.text) <= 40 and not _STOP_OR_SEMI.search(node.text) \
            and not node.text.endswith((",", "、", ":"))
        sep = "" if node.text and not heading_only and not _CLOSED.search(node.text) else "\n"
        node.text = (node.text + sep + p.text).strip() if node.text else p.text
        closed = has_clause(node.text)
        seen_clause = seen_clause or closed
    return roots


def _assign_ids(nodes: list[Node], prefix: str, warnings: list[Finding], seen: dict[str, int]) -> None:
    for n in nodes:
        base = f"{prefix}.{n.path[-1]}" if prefix else n.path[-1]
        count = seen.get(base, 0) + 1
        seen[base] = count
        n.id = base if count == 1 else f"{base}#{count}"
        if count > 1:
            warnings.append(fk.finding(
                "parse-renumbered",
                f"编号「{base}」出现了第{count}次（第{n.source.line}行），内容不同，两处都保留，后者编号记为「{n.id}」",
                line=n.source.line or 0))
        _assign_ids(n.children, n.id, warnings, seen)


def finish_nodes(roots: list[Node], year: int | None) -> None:
    """Fill titles, clauses, deadlines and decide which leaves are tasks."""
    any_clause = False
    for r in roots:
        for n in list(r.walk()):
            if not n.children:
                _split_by_clauses(n)
    for r in roots:
        for n in r.walk():
            body, lead, others, label_deadline = split_labelled(n.text)
            c = split_clause(body)
            if c.raw:
                any_clause = True
                n.lead, n.others = c.lead, c.others
                body = c.body
            if lead or others:
                any_clause = True
                n.lead, n.others = n.lead + [u for u in lead if u not in n.lead], \
                    n.others + [u for u in others if u not in n.others]
            if n.others:
                named = set(cooperating_units(c.raw)) | set(cooperating_units(n.text))
                n.cooperate = [u for u in n.others if u in named]
            if label_deadline and not c.deadline_text:
                c.deadline_text = label_deadline
            n.title = title_of(body.split("\n", 1)[0])
            n.text = body.strip()
            if c.deadline_text:
                n.deadline = parse_deadline_cell(c.deadline_text, year)
                n.note = milestone_note(c.deadline_text, year)
            else:
                n.deadline = find_deadline(body, year)
    for r in roots:
        section_has_clause = any(n.lead or n.others for n in r.walk())
        _mark_tasks(r, [], any_clause, section_has_clause)


def _paragraph_style(node: Node) -> bool:
    """A heading on its own line with paragraphs below it (``(一)推进决策公开`` / ``严格落实…(牵头部门:X)``)."""
    head, _, rest = node.text.partition("\n")
    return bool(rest) and len(head) <= 40 and not has_clause(head) and not _STOP_OR_SEMI.search(head[:-1])


def _split_by_clauses(node: Node) -> None:
    """An item holding several sentences or paragraphs, each closed by its own clause, gets one
    child per clause, numbered by position (the document gives them no numbers)."""
    pieces = clause_segments(node.text, paragraphs=_paragraph_style(node))
    if pieces == [node.text]:
        return
    first = pieces[0].split("\n", 1)
    heading = first[0] if len(first) > 1 and not has_clause(first[0]) else ""
    if heading:
        pieces[0] = first[1]
    node.text = heading
    for i, piece in enumerate(pieces, start=1):
        node.children.append(Node(id=f"{node.id}.{i}", path=node.path + [str(i)], text=piece.strip(),
                                  source=Source(file=node.source.file, line=node.source.line)))


def _mark_tasks(node: Node, inherited: list[tuple[list[str], list[str]]], any_clause: bool,
                section_has_clause: bool) -> None:
    if node.children:
        node.is_task = False
        inh = inherited + ([(node.lead, node.others)] if (node.lead or node.others) else [])
        for c in node.children:
            _mark_tasks(c, inh, any_clause, section_has_clause)
        return
    node.is_task = bool(node.text) or bool(node.title)
    if any_clause and not section_has_clause:
        node.is_task = False  # prose section (goals, organisation) in a list that has clauses
    if node.is_task and not (node.lead or node.others) and inherited:
        lead, others = inherited[-1]
        node.lead, node.others = list(lead), list(others)
        node.warnings.append("本项未写责任单位，沿用上级标题的责任单位")


_MARKER_AHEAD = r"(?:[一二三四五六七八九十]{1,3}、|\([一二三四五六七八九十]{1,3}\)|\d{1,2}[.、](?!\d)|\(\d{1,2}\))[^\s]"
_INLINE_MARKER = re.compile(rf"(?<=[。;)!?\s])\s*(?={_MARKER_AHEAD})")
# Matches wherever _INLINE_MARKER does, found many times faster (a character class first, no look-behind).
_INLINE_HINT = re.compile(rf"[。;)!?\s]\s*{_MARKER_AHEAD}")


def _resplit(line: str) -> list[str]:
    """Split a long line that lost its line breaks before numbering that follows a sentence end.

    Pieces cut at a false marker are joined back as continuation text by the
    outline (whose numbering must follow in sequence), so nothing is lost.
    """
    if len(line) < 120 or not _INLINE_HINT.search(line):
        return [line]
    pieces = [p for p in _INLINE_MARKER.split(line) if p.strip()]
    return pieces if len(pieces) >= 3 else [line]


def parse_text(text: str, source: str = "", year: int | None = None) -> Document:
    """Parse a task list given as text (a .txt file, or a document's paragraphs).

    Raises :class:`NoStructure` when no numbered items are found.
    """
    norm, was_trad = normalize_text(text)
    return parse_normalized(norm, was_trad, source=source, year=year)


def parse_normalized(norm: str, was_trad: bool, source: str = "", year: int | None = None) -> Document:
    """:func:`parse_text` of a text already through :func:`normalize_text` (which returned ``was_trad``)."""
    lines = norm.split("\n")
    warnings: list[Finding] = []
    if was_trad:
        warnings.append(fk.finding("parse-traditional", "原文为繁体字（含台湾用语），已转换为简体"))
    meta = extract_metadata(lines)
    if year:
        meta.year = year

    if run_on_header(norm):
        doc = parse_run_on(norm, source=source, year=meta.year, warnings=warnings)
        if doc is not None:
            doc.title, doc.issuer, doc.doc_number, doc.cited = meta.title, meta.issuer, meta.doc_number, meta.cited
            return doc
    if looks_flattened(lines) and not _LABELLED_INLINE.search(norm):
        doc = parse_flattened(norm, source=source, year=meta.year, warnings=warnings)
        doc.title, doc.issuer, doc.doc_number, doc.cited = meta.title, meta.issuer, meta.doc_number, meta.cited
        doc.year = meta.year
        return doc
    paras: list[_Para] = []
    for i, raw in enumerate(lines, start=1):
        for piece in _resplit(raw):
            if "\t" in piece or "  " in piece:
                piece = _BLANKS.sub(" ", piece)
            t = clause_brackets(_LOST_CHARS.sub("", piece.strip()).strip())
            if t:
                paras.append(_Para(t, i, match_marker(t)))
    _find_repeats(paras, warnings)
    paras = _drop_repeat_runs(paras, warnings)
    roots = build_outline(paras, source, warnings)
    if not roots:
        refuse_non_list(None, lines, source)
        raise NoStructure(
            f"{source or '输入文本'}：没有找到带编号的任务（如“一、”“（一）”“1.”），"
            "请确认文件是任务清单/工作要点，或将其另存为 Word/Excel 后重试"
        )
    _assign_ids(roots, "", warnings, {})
    finish_nodes(roots, meta.year)
    mark_noise(roots, warnings)
    if FIRST_LEADS.search(norm):
        first_unit_leads(roots, warnings)
    doc = Document(title=meta.title, issuer=meta.issuer, doc_number=meta.doc_number, year=meta.year,
                   roots=roots, warnings=[f.message for f in warnings], findings=warnings,
                   source_file=source, cited=meta.cited)
    refuse_non_list(doc, lines, source)
    if not doc.tasks:
        raise NoStructure(f"{source or '输入文本'}：找到了编号，但没有可识别的任务条目，请检查文件内容")
    return doc
