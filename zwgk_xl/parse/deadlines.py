"""Deadlines: ``2020年10月底前`` → 2020-10-31, ``年内`` → the document year's 12-31, …"""

from __future__ import annotations

import calendar
import re

from zwgk_xl.core.model import DEADLINE_DATE, DEADLINE_NONE, DEADLINE_ONGOING, Deadline

ONGOING_WORDS = ("长期坚持", "长期推进", "持续推进", "常态化", "长期", "持续开展", "长期执行", "持续", "全年")
DEADLINE_RECURRING = "定期"  # every month / quarter / year: no single date
_RECURRING = re.compile(r"^(?:每(?:年度?|半年|季度?|月|周|旬)|按(?:年度?|季度?|月|周)|定期)")
_ONGOING_IN_PROSE = re.compile(r"长期坚持|长期推进工作|长期执行")

_Y = r"(?:(\d{4})\s*年)?"
# Ordered: more specific first.  Each yields (year|None, month, day|None).
_DATE_PATTERNS = [
    re.compile(_Y + r"(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(?:前|之前|以前|止|截止)"),
    re.compile(_Y + r"(\d{1,2})\s*月\s*(?:底|末|份)\s*(?:前|之前|以前)?"),
    re.compile(_Y + r"(\d{1,2})\s*月\s*(?:前|之前|以前)"),
    re.compile(r"(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
]
_SEPARATED = 3  # the one date pattern without 月
_YEAR_END = re.compile(r"(?:(\d{4})\s*年\s*)?(?:年底前|年末前|年底|年末|年内|年度内)|(\d{4})\s*年(?:底|末)前?")
_HALF = re.compile(r"(?:(\d{4})\s*年\s*)?(上半年|下半年)")
_QUARTER = re.compile(r"(?:(\d{4})\s*年\s*)?(?:第?([一二三四1-4])\s*季度)")
_YEAR_ONLY = re.compile(r"(\d{4})\s*年\s*(?:前|内|以前)")
_YEAR_ONLY_HINT = re.compile(r"年\s*(?:前|内|以前)")  # found fast (a literal first), unlike _YEAR_ONLY
_QN = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _iso(y: int, m: int, d: int | None) -> str | None:
    if not (1 <= m <= 12) or not (1990 <= y <= 2100):
        return None
    last = calendar.monthrange(y, m)[1]
    if d is None:
        d = last
    if not 1 <= d <= last:
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def _candidates(text: str, year: int | None):
    """(iso date, phrase, position) for every deadline phrase found in text.

    Each pattern is scanned only when the text holds words that all its matches
    contain (月, 年底, 半年, 季度, a date separator …): ``in`` costs far less than a scan.
    """
    found = []
    has_month, has_sep = "月" in text, "-" in text or "." in text or "/" in text
    for i, pat in enumerate(_DATE_PATTERNS):
        if not (has_sep if i == _SEPARATED else has_month):
            continue
        for m in pat.finditer(text):
            g = m.groups()
            y = int(g[0]) if g[0] else year
            if y is None:
                continue
            mo = int(g[1])
            d = int(g[2]) if len(g) > 2 and g[2] else None
            iso = _iso(y, mo, d)
            if iso:
                found.append((iso, m.group(0).strip(), m.start()))
    if "年" not in text and "季度" not in text:
        return found
    if "年底" in text or "年末" in text or "年内" in text or "年度内" in text:
        for m in _YEAR_END.finditer(text):
            y = m.group(1) or m.group(2)
            y = int(y) if y else year
            if y:
                iso = _iso(y, 12, 31)
                if iso:
                    found.append((iso, m.group(0).strip(), m.start()))
    if "半年" in text:
        for m in _HALF.finditer(text):
            y = int(m.group(1)) if m.group(1) else year
            if y:
                found.append((_iso(y, 6 if m.group(2) == "上半年" else 12, None), m.group(0), m.start()))
    if "季度" in text:
        for m in _QUARTER.finditer(text):
            y = int(m.group(1)) if m.group(1) else year
            if y:
                found.append((_iso(y, _QN[m.group(2)] * 3, None), m.group(0), m.start()))
    if _YEAR_ONLY_HINT.search(text):
        for m in _YEAR_ONLY.finditer(text):
            found.append((_iso(int(m.group(1)), 12, 31), m.group(0), m.start()))
    return [f for f in found if f[0]]


def parse_deadline_cell(cell: str, year: int | None) -> Deadline:
    """A 完成时限 cell: a date, an ongoing phrase, or unresolved (phrase kept).

    ``2月公布预算信息,8月公布决算信息`` gives the last milestone.
    """
    text = (cell or "").strip()
    if not text:
        return Deadline()
    if isinstance(cell, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[ T].*)?", text):
        return Deadline(text[:10], text, DEADLINE_DATE)
    if _RECURRING.match(text):
        return Deadline(None, text, DEADLINE_RECURRING)
    cands = _candidates(text, year)
    if not cands:
        # bare "10月" / "2月公布…" in a deadline column
        ms = [(_iso(year, int(m.group(1)), None), m.group(0)) for m in re.finditer(r"(\d{1,2})\s*月", text)] if year else []
        ms = [x for x in ms if x[0]]
        if ms:
            return Deadline(max(ms)[0], text, DEADLINE_DATE)
        if any(w in text for w in ONGOING_WORDS):
            return Deadline(None, text, DEADLINE_ONGOING)
        return Deadline(None, text, DEADLINE_NONE)
    return Deadline(max(c[0] for c in cands), text, DEADLINE_DATE)


_LIMIT_WORD = re.compile(r"前|内|止")
_END_WORD = re.compile(r"底|末|上半年|下半年|季度")
_LIMIT_AFTER = re.compile(r"\s*(?:前|之前|以前|完成|实现|建成|达到|全面|基本|启动|上线|出台|印发|公开|发布|[,。;]|$)")


def milestones(cell: str, year: int | None) -> list[tuple[str, str]]:
    """Each (date, phrase) of a cell naming several milestones: ``2月公布预算信息,8月公布决算信息``."""
    out = []
    for piece in re.split(r"[,;。]", cell or ""):
        piece = piece.strip()
        if piece and re.search(r"\d\s*月|季度|半年", piece):
            d = parse_deadline_cell(piece, year)
            if d.date:
                out.append((d.date, piece))
    return out if len(out) >= 2 else []


def milestone_note(cell: str, year: int | None) -> str:
    """The earlier milestones of a cell with several (the last is the deadline), for the 备注; else ""."""
    ms = sorted(milestones(cell, year))
    if not ms:
        return ""
    return "另有时间节点：" + "；".join(f"{phrase}（{date}）" for date, phrase in ms[:-1])


def find_deadline(text: str, year: int | None) -> Deadline:
    """The deadline stated in an item's prose: the latest ``…前`` / ``年内`` date.

    Ongoing only when the prose says 长期坚持 (常态化 in prose describes the work,
    not its timing).  Nothing found → kind "none".
    """
    cands = _candidates(text or "", year)
    # In prose, a date counts only as a time limit: "…前", "年内", "…底/末" or a half year followed
    # by what is to be done ("年底完成"); "2016年末政府债务余额" is a figure, not a deadline.
    cands = [c for c in cands if _LIMIT_WORD.search(c[1]) or (
        _END_WORD.search(c[1]) and _LIMIT_AFTER.match(text[c[2] + len(c[1]):]))]
    if cands:
        best = max(cands, key=lambda c: (c[0], -c[2]))
        return Deadline(best[0], best[1], DEADLINE_DATE)
    m = _ONGOING_IN_PROSE.search(text or "")
    if m:
        return Deadline(None, m.group(0), DEADLINE_ONGOING)
    return Deadline()


_PHRASE = re.compile(
    r"^(?:(?:完成)?时限[::]?)?\s*(?:\d{4}\s*年\s*)?(?:\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|年底|年末|年内|年度内|上半年|下半年|"
    r"(?:第?[一二三四1-4])\s*季度|全年|\d{4}\s*年)?\s*(?:底|末|中旬|上旬|下旬)?\s*(?:前|之前|以前|止)?\s*(?:完成|启动|见效)?"
    r"(?:工作)?$")
_RECURRING_OR_ONGOING = re.compile(
    r"^(?:长期坚持|长期推进|长期执行|持续推进|持续开展|持续|长期|常态化(?:推进)?|全年(?:工作)?|每年度?|每半年|每季度|每月|每周|"
    r"按季度|按月|定期|及时|按规定时限|按要求|立即|日常|动态(?:更新)?)(?:完成|推进|开展|工作)?$")


def is_deadline_phrase(text: str) -> bool:
    """True when a short cell is a time limit (``2020年10月底``, ``持续推进``, ``每季度``), not other content."""
    t = (text or "").strip().rstrip("。;,")
    if not t:
        return False
    pieces = re.split(r"[,;]", t)
    if len(pieces) > 1:  # milestones: "2月公布预算信息,8月公布决算信息"
        return all(re.match(r"(?:\d{4}\s*年\s*)?\d{1,2}\s*月|[上下]半年|第?[一二三四]季度", x.strip()) for x in pieces)
    if _RECURRING_OR_ONGOING.match(t):
        return True
    if not re.search(r"\d|年|季度", t):
        return False
    if re.fullmatch(r"\d{4}\s*[-./]\s*\d{1,2}(?:\s*[-./]\s*\d{1,2})?", t):
        return True
    return bool(_PHRASE.match(t)) and not re.fullmatch(r"\d+", t)
