"""The local document's wording: level words of the superior's text rewritten for the local level.

A province's 「省直有关部门要……」 becomes a county's 「县直有关部门要……」; the
governments one level below the superior (各州、市人民政府) become the
county's 各乡镇人民政府（街道办事处）.  Proper names (省政务服务网, titles in
《》, names in quotes) are left alone.  A sentence addressed to another level
only (省、州市两级政府公报; the portals of 各州、市人民政府, which townships do
not run) is not rewritten but flagged 「请核实是否适用本级」.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zwgk_xl.core.model import Document

CHECK = "请核实是否适用本级"

# Governments one level below a superior of each level, as written in the genre.
_LOWER = {
    "省": r"各州、市人民政府|各州\(市\)人民政府|各州（市）人民政府|各州市人民政府|各州、市政府|各州市政府|各市、州人民政府|各市\(州\)人民政府",
    "州": r"各县\(市、区\)人民政府|各县（市、区）人民政府|各县、市、区人民政府|各县市区人民政府|各县市区|各县\(市、区\)|各县（市、区）|各县区|各县、区",
}
_LOWER["市"] = _LOWER["州"] + r"|各区县人民政府|各区县|各镇街|各镇\(街\)"
_PROTECT = re.compile(r"《[^》]*》|“[^”]*”|\"[^\"]*\"|[\u4e00-\u9fff]{0,3}省政务服务网(?:上大厅)?|一部手机办事通|[\u4e00-\u9fff]{2,4}省人民政府办公厅关于")
# Sentences about several levels at once, or about platforms the local lower governments lack.
_MULTI_LEVEL = re.compile(r"[省州市县区](?:、|和|及)?[州市县区](?:、[县区市])*(?:、|和|及)?[县区乡镇]*(?:两|三|四)级"
                          r"|(?:国家|[省州市])(?:[、和及](?:省|州|市|县|区)){1,3}级|各州、市、县、区|各省、市|省级和州|州市级")
_PLATFORM = re.compile(r"门户网站|政府网站|政府公报")


@dataclass
class Change:
    """One sentence as the superior wrote it and as the local document words it (or a flag)."""

    original: str
    adapted: str
    rules: list[str]
    flagged: bool = False

    @property
    def note(self) -> str:
        if self.flagged:
            return f"{CHECK}：{'；'.join(self.rules)}，原句保留"
        return "本级用语：" + "；".join(self.rules)


def superior_level(doc: Document) -> str:
    """The level of the superior document: 省 / 州 / 市 / 县, or "" when it cannot be told."""
    counts: dict[str, int] = {}
    for t in doc.tasks:
        for name in t.lead + t.others:  # 各州、市人民政府 names the level below: not counted
            m = re.match(r"^([省州市县区])(?:直|级|政府|委|人民政府)?", name)
            if m and not re.match(r"^市(?:场|民)", name):
                lvl = {"区": "县"}.get(m.group(1), m.group(1))
                counts[lvl] = counts.get(lvl, 0) + 1
    if counts:
        return max(counts, key=counts.get)
    head = f"{doc.issuer}{doc.title}"
    for lvl, pat in (("省", r"省(?:人民政府|政府|委)?"), ("州", r"州(?:人民政府|政府)"), ("县", r"县(?:人民政府|政府)")):
        if re.search(pat, head):
            return lvl
    return ""


def local_prefix(level: str, area: str = "") -> str:
    """The level character of local names (县直, 全县): from ``area`` (武定县 → 县, 思明区 → 区), else ``level``."""
    m = re.search(r"([县区市旗州])$", area or "")
    if m:
        return m.group(1)
    return {"县": "县", "市": "市"}.get(level, "")


def applies(superior: str, level: str) -> bool:
    """True when a superior text of level ``superior`` needs rewriting for a local ``level`` (县/市)."""
    rank = {"省": 0, "州": 1, "市": 1, "县": 2}
    return level in ("县", "市") and superior in rank and rank[superior] < rank[level]


def _rules(superior: str, p: str, lower: str) -> list[tuple[re.Pattern, str, str]]:
    """(pattern, replacement, rule label) for a superior of level ``superior`` and local prefix ``p``."""
    s = "州|市" if superior in ("州", "市") else superior
    lower_re = re.compile(_LOWER.get(superior, r"(?!x)x"))
    superior = "州（市）" if superior in ("州", "市") else superior  # as the rule labels name it
    return [
        (lower_re, lower, f"下一级政府→{lower}"),
        (re.compile(rf"(?:{s})政府办公厅"), f"{p}人民政府办公室", f"{superior}政府办公厅→{p}人民政府办公室"),
        (re.compile(rf"(?:{s})(直|级)(?=[\u4e00-\u9fff])"), rf"{p}\1", f"{superior}直/{superior}级→{p}直/{p}级"),
        (re.compile(rf"全(?:{s})(?!场|民)"), f"全{p}", f"全{superior}→全{p}"),
        (re.compile(rf"本(?:{s})(?!场|民)"), f"本{p}", f"本{superior}→本{p}"),
        # 省政府门户网站 → 县政府门户网站; not 贯彻落实省委、省政府部署 (the county implements those too)
        (re.compile(rf"(?:(?<![\u4e00-\u9fff])|(?<=[、和及与在由向将把对从经按依据的为]))(?:{s})(人民政府|政府)"
                    rf"(?=门户网站|网站|常务会议|公报|信息公开|专栏|各部门|工作部门|办公室)"), rf"{p}\1",
         f"{superior}政府的网站、会议、公报、部门→{p}政府的"),
    ]


def adapt_text(text: str, superior: str, level: str, area: str = "") -> tuple[str, list[Change]]:
    """``text`` in the local level's words, and one :class:`Change` per rewritten or flagged sentence."""
    p = local_prefix(level, area)
    if not text or not p or not applies(superior, level):
        return text, []
    lower = "各乡镇人民政府（街道办事处）" if p in ("县", "区") or level == "县" else "各县（市、区）人民政府"
    rules = _rules(superior, p, lower)
    lower_re = re.compile(_LOWER.get(superior, r"(?!x)x"))
    out: list[str] = []
    changes: list[Change] = []
    for sentence in re.split(r"(?<=[。；;!！?？])", text):
        if not sentence:
            continue
        masked, kept = _mask(sentence)
        flags = []
        if _MULTI_LEVEL.search(masked):
            flags.append("涉及多个层级")
        if lower_re.search(masked) and _PLATFORM.search(masked):
            flags.append("下一级政府的网站或公报，本级下属乡镇（街道）一般没有")
        if flags:
            changes.append(Change(sentence, sentence, flags, flagged=True))
            out.append(sentence)
            continue
        used: list[str] = []
        new = masked
        for pattern, repl, label in rules:
            new, n = pattern.subn(repl, new)
            if n and label not in used:
                used.append(label)
        new = _unmask(new, kept)
        if new != sentence:
            changes.append(Change(sentence, new, used))
        out.append(new)
    return "".join(out), changes


def _mask(s: str) -> tuple[str, list[str]]:
    kept: list[str] = []

    def keep(m: re.Match) -> str:
        kept.append(m.group(0))
        return f"\x00{len(kept) - 1}\x01"

    return _PROTECT.sub(keep, s), kept


def _unmask(s: str, kept: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x01", lambda m: kept[int(m.group(1))], s)


def area_of(organ: str) -> str:
    """The place name heading an organ's name: 武定县人民政府办公室 → 武定县, else ""."""
    m = re.match(r"^([\u4e00-\u9fff]{1,8}?(?:自治县|县|区|市|旗))(?=人民政府|政府|[\u4e00-\u9fff]{2,})", organ or "")
    return m.group(1) if m else ""


def plan_title(doc: Document, level: str, area: str = "") -> str:
    """The 分解表's title: the local area's (「武定县2020年政务公开工作任务分解表」) when the list is a superior's."""
    year = f"{doc.year}年" if doc.year else ""
    if applies(superior_level(doc), level) or area:
        return f"{area}{year}政务公开工作任务分解表"
    base = doc.title or "政务公开工作"
    return base if base.endswith("分解表") else f"{base}任务分解表"
