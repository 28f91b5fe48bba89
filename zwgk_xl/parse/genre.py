"""What a document is when it is not a task list: news, an interpretation, a report, a results notice.

A task list names who does each task.  When nothing parsed from a document
names a unit, and its head reads like one of the genres below, the document
is refused with one line saying what it seems to be, rather than read as
invented tasks.
"""

from __future__ import annotations

import re

from zwgk_xl.core.errors import NotATaskList
from zwgk_xl.core.model import Document
from zwgk_xl.parse.numbering import match_marker

# (what it seems to be, evidence in the head: the lines before the first numbered one); in order.
_GENRES = [
    ("政策解读", re.compile(r"解读|^问\s*[::]|起草背景|出台背景|起草过程|制定的背景")),
    ("政府信息公开工作年度报告", re.compile(r"年度报告")),
    ("考核评估结果通报", re.compile(r"(?:考核|评估|测评|考评)(?:评估)?结果|情况的?通报")),
    ("落实情况报告（工作进展情况）",
     re.compile(r"(?:落实|完成|进展|推进|工作)(?:\((?:完成)?\))?情况(?:报告|总结)?\s*$|(?:进展|完成|落实)情况|总结如下")),
    ("新闻报道", re.compile(r"召开.{0,20}(?:会议|推进会|部署会|培训会|座谈会)|(?:会议|推进会)召开|^\d{1,2}月\d{1,2}日\s*[,,]")),
]


# Headings that give a genre away even when numbered.
_NUMBERED_GENRES = [
    ("政策解读", re.compile(r"^问\s*[::]|^[一二三]、\s*(?:起草|出台)(?:背景|过程)")),
    ("政府信息公开工作年度报告", re.compile(r"^一、\s*总体情况\s*$")),
]


def what_it_is(lines: list[str]) -> str | None:
    """The non-list genre the head of a document reads as, else None."""
    first = [l.strip() for l in lines[:60] if l.strip()][:40]
    head = []
    for l in first[:25]:
        if match_marker(l):
            break
        if len(l) <= 60:  # titles and datelines, not the body
            head.append(l)
    for name, pat in _NUMBERED_GENRES:
        if any(pat.search(l) for l in first):
            return name
    for name, pat in _GENRES:
        if any(pat.search(l) for l in head):
            return name
    return None


def refuse_non_list(doc: Document | None, lines: list[str], name: str) -> None:
    """Raise :class:`NotATaskList` when no task names a unit and the document reads as another genre."""
    if doc is not None and any(t.lead or t.others for t in doc.tasks):
        return
    genre = what_it_is(lines)
    if genre:
        raise NotATaskList(
            f"「{name or '输入文本'}」看起来是{genre}，不是任务清单（没有写明责任单位的任务条目），未解析；"
            "请改用工作要点、任务清单或任务分解表原文。")
