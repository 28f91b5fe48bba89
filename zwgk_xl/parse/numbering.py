"""Outline numbering tokens: 一、 (一) 1. (1) ①."""

from __future__ import annotations

import re
from dataclasses import dataclass

from zwgk_xl.core.cntext import int_to_cn  # noqa: F401 (re-exported)

CN_DIGITS = "零〇一二三四五六七八九"
_CN_VAL = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# Kinds in their conventional depth order.
KINDS = ("cn", "paren_cn", "num", "paren_num", "circled")

_CN = "[一二三四五六七八九十百零〇]"
_PATTERNS = [
    ("paren_cn", re.compile(rf"^\s*\(\s*({_CN}{{1,6}})\s*\)\s*")),
    ("paren_num", re.compile(r"^\s*\(\s*(\d{1,3})\s*\)\s*")),
    ("cn", re.compile(rf"^\s*({_CN}{{1,6}})\s*[、.]\s*")),
    ("cn", re.compile(rf"^\s*第({_CN}{{1,4}})(?:部分|章|篇)\s*[、.:]?\s*")),
    ("num", re.compile(r"^\s*(\d{1,3})\s*(?:[、]|\.(?!\d))\s*")),
    ("circled", re.compile(rf"^\s*([{CIRCLED}])\s*")),
]


@dataclass
class Marker:
    kind: str
    token: str  # half-width, as written: "一", "(一)", "1", "(1)", "①"
    number: int
    rest: str  # the line after the marker


def cn_to_int(s: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20, 一百零五 → 105."""
    if not s:
        return 0
    total, cur = 0, 0
    for ch in s:
        if ch in _CN_VAL:
            cur = _CN_VAL[ch]
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        elif ch == "百":
            total += (cur or 1) * 100
            cur = 0
    return total + cur



def make_token(kind: str, number: int) -> str:
    """The half-width token for a kind and number: ("paren_cn", 3) → "(三)"."""
    if kind == "cn":
        return int_to_cn(number)
    if kind == "paren_cn":
        return f"({int_to_cn(number)})"
    if kind == "num":
        return str(number)
    if kind == "paren_num":
        return f"({number})"
    if kind == "circled":
        return CIRCLED[number - 1] if 0 < number <= len(CIRCLED) else str(number)
    raise ValueError(kind)


def match_marker(line: str) -> Marker | None:
    """The numbering marker at the start of ``line`` (already width-folded), if any."""
    for kind, pat in _PATTERNS:
        m = pat.match(line)
        if not m:
            continue
        raw = m.group(1)
        if kind in ("cn", "paren_cn"):
            n = cn_to_int(raw)
        elif kind == "circled":
            n = CIRCLED.index(raw) + 1
        else:
            n = int(raw)
        if n <= 0:
            continue
        rest = line[m.end():]
        if kind == "num" and re.match(r"\s*\d", rest):
            continue  # "2.5" or a date
        return Marker(kind, make_token(kind, n), n, rest.strip())
    return None


def parse_token(token: str) -> tuple[str, int] | None:
    """Kind and number of a token such as "(三)" or "12."; None when not a token."""
    m = match_marker(token.strip() + ("" if token.strip().endswith(("、", ".", ")")) else "、"))
    if m and not m.rest:
        return m.kind, m.number
    return None
