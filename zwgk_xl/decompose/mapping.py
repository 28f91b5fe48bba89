"""Decomposition: turn superior units (省发展改革委 …) into local units, with reasons.

Each superior phrase goes through these rules, first hit wins, and the hit is
recorded as an :class:`~zwgk_xl.core.model.Assignment` (rule, score, note):

1. ``alias``  – the directory's 映射 sheet (corrections the office recorded or ``--learn`` wrote);
2. ``group``  – a generic phrase (省直各部门, 各州、市人民政府 …) → a group;
3. ``exact`` / ``alias`` – a unit's name or 简称/别名;
4. ``alias``  – a unit's 对口上级单位 keywords (merged, renamed, missing units);
5. ``level``  – level prefix removed and core names compared
   (省发展改革委 and 县发展和改革局 share the core 发展改革);
6. ``renamed`` – a unit renamed by the reforms (扶贫办 → 乡村振兴局);
7. ``merged`` – a local core name holding the superior's (教育体育局 ← 教育厅、体育局);
8. ``fuzzy``  – rapidfuzz similarity of the core names above a cut-off;
9. ``group``  – pattern fallback for generic phrases (…各部门, 各…政府);
10. a phrase holding several names is split and each part is tried;
11. ``unmatched`` – listed in the document's warnings and the task flagged.

Task rules: 有关部门 / 相关单位 (the relevant ones, not 各 = every one) become
the members of their group whose functional keywords the task text touches
(``topic``, see :mod:`zwgk_xl.decompose.topics`); when none matches the group
is kept and the task flagged.  Source leads map to 牵头; a task whose source
names no lead and exactly one concrete unit (``责任科室:局办公室``,
``省政府办公厅,各州、市人民政府…``) gets that unit as 牵头.  The other units are
责任单位 (``responsible_local``), except those the source names with 配合
(``Node.cooperate``).  The text is rewritten in the local level's words
(:mod:`zwgk_xl.decompose.adapt`), each change a ``wording``/``level-check`` note.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace
from pathlib import Path

from zwgk_xl.core import findings as fk
from zwgk_xl.core.errors import UsageError
from zwgk_xl.core.model import ROLE_COOPERATE, ROLE_LEAD, ROLE_RESPONSIBLE, Assignment, Document, Node
from zwgk_xl.decompose import adapt
from zwgk_xl.decompose.topics import relevant_units
from zwgk_xl.parse.clauses import ROLE_WORDS
from zwgk_xl.parse.normalize import opencc_converter
from zwgk_xl.core.units import (
    DEPARTMENT_PHRASES,
    SECTION_PHRASES,
    TOWNSHIP_PHRASES,
    Directory,
    name_key,
)

LEVELS = ("县", "市", "局")
DEFAULT_FUZZY_CUTOFF = 75.0


# --- names ------------------------------------------------------------------

_PROVINCE = re.compile(r"^(?:中共)?(?:国务院|国家|[\u4e00-\u9fff]{2,3}省|省委|省|[\u4e00-\u9fff]{2,5}自治区|自治区)")
_PLACE = re.compile(r"^[\u4e00-\u9fff]{2,3}(?:[\u4e00-\u9fff]{1,3}族)*(?:自治州|自治县|州|市|县|区)(?!场)")
_LEVEL_CHAR = re.compile(r"^[省州市县区](?!场|区|民服务|民中心|民之家)")
# 州生态环境局X县分局 / 国家税务总局X县税务局: a branch of a vertical unit.
_BRANCH = re.compile(r"^(.+?(?:局|厅|委))[A-Za-z\u4e00-\u9fff]{1,4}?(?:县|市|区)?(?:分局|支队|大队)$")
_SUFFIXES = ("委员会", "办公厅", "办公室", "总局", "分局", "局", "厅", "委", "办", "中心", "馆")
_SYNONYMS = [("人民政府", "政府"), ("监督管理", "监管"), ("和", ""), ("与", ""), ("及", "")]
_GENERIC_DEPT = re.compile(r"(?:有关|相关|各)(?:部门|单位)$|^各.*部门$")
_GENERIC_AREA = re.compile(r"^各.*(?:人民政府|政府|县区|县\(市、区\)|镇街|乡镇|街道|州、?市)$")


def clean_phrase(phrase: str) -> str:
    """A superior unit phrase without role words, brackets or traditional forms."""
    p = opencc_converter("t2s").convert(name_key(phrase))
    p = p.strip("()()、,,;;。:: ")
    p = re.sub(r"^由", "", p)
    prev = None
    while prev != p:
        prev, p = p, ROLE_WORDS.sub("", p)
    return p


def core_name(name: str) -> str:
    """The core of a unit name: level/place prefix, institution suffix and fillers removed.

    省发展改革委 and 县发展和改革局 both give 发展改革; 省市场监管局 and
    县市场监督管理局 both give 市场监管; 省政府办公厅 and 县人民政府办公室 give 政府.
    """
    s = clean_phrase(name)
    s = _PROVINCE.sub("", s)
    s = _PLACE.sub("", s) if len(s) > 4 else s
    s = _LEVEL_CHAR.sub("", s)
    m = _BRANCH.match(s)
    if m:
        s = m.group(1)
    for a, b in _SYNONYMS:
        s = s.replace(a, b)
    for suf in _SUFFIXES:
        if s.endswith(suf) and len(s) > len(suf):
            s = s[: -len(suf)]
            break
    if s.endswith("管理") and len(s) > 3:
        s = s[:-2]
    return s


# --- matching ---------------------------------------------------------------


@dataclass
class _Index:
    """Cores of a directory's names and keywords, computed once per decompose run."""

    directory: Directory
    cores: dict[str, list[tuple[str, str]]]  # core -> [(unit name, matched name)]
    keywords: dict[str, list[tuple[str, str]]]  # core of keyword -> [(unit name, keyword)]

    @classmethod
    def build(cls, d: Directory) -> "_Index":
        cores: dict[str, list[tuple[str, str]]] = {}
        keywords: dict[str, list[tuple[str, str]]] = {}
        for u in d.units:
            for n in [u.name, *u.aliases]:
                _add(cores, core_name(n), (u.name, n))
            for kw in u.superior_keywords:
                _add(keywords, core_name(kw), (u.name, kw))
        return cls(d, cores, keywords)


def _add(index: dict, key: str, value) -> None:
    if key and value not in index.setdefault(key, []):
        index[key].append(value)


def _units_of(pairs) -> list[str]:
    return list(dict.fromkeys(unit for unit, _ in pairs))


def map_unit(
    phrase: str,
    directory: Directory,
    level: str = "县",
    fuzzy_cutoff: float = DEFAULT_FUZZY_CUTOFF,
    _index: _Index | None = None,
) -> list[Assignment]:
    """Map one superior unit phrase to local units.

    Returns one :class:`Assignment` per matched part (usually one); a phrase
    that matches nothing yields a single ``unmatched`` assignment.
    """
    idx = _index or _Index.build(directory)
    hit = _match_whole(phrase, idx, fuzzy_cutoff)
    if hit:
        return [hit]
    parts = _split_parts(clean_phrase(phrase))
    if len(parts) > 1:
        out = []
        for part in parts:
            out.extend(map_unit(part, directory, level, fuzzy_cutoff, idx))
        return out
    group = _generic_group(clean_phrase(phrase), directory)
    if group:
        return [Assignment(phrase, [group], "group", note=f"泛称（按用语判断），归入分组「{group}」，请核对")]
    return [
        Assignment(
            source=phrase,
            local=[],
            rule="unmatched",
            note="名录中找不到对应单位。请在分解表中人工指定，并在名录“映射”表登记，下次自动使用。",
        )
    ]


def _match_whole(phrase: str, idx: _Index, cutoff: float) -> Assignment | None:
    d = idx.directory
    p = clean_phrase(phrase)
    for key in dict.fromkeys([name_key(p), name_key(opencc_converter("t2s").convert(phrase))]):
        if key in d.mappings:
            return Assignment(phrase, list(d.mappings[key]), "alias", note="名录“映射”表登记的对应关系")
        if key in d.group_phrases:
            g = d.group_phrases[key]
            return Assignment(phrase, [g], "group", note=f"泛称，归入分组「{g}」（下发时展开为全部{len(d.groups[g])}个成员）")
    if not p:
        return None
    key = name_key(p)
    unit = d.get(p)
    if unit is not None:
        if name_key(unit.name) == key:
            return Assignment(phrase, [unit.name], "exact", note="与名录中的单位名称一致")
        return Assignment(phrase, [unit.name], "alias", note=f"名录中「{unit.name}」的简称/别名")
    if p.startswith("各") or _GENERIC_DEPT.search(p):
        return None  # a generic phrase: never matched to one unit by its core
    core = core_name(p)
    if core in idx.keywords:
        pairs = idx.keywords[core]
        kws = "、".join(sorted({kw for _, kw in pairs}))
        return Assignment(phrase, _units_of(pairs), "alias", note=f"名录“对口上级单位”列：{kws}")
    if core in idx.cores:
        pairs = idx.cores[core]
        return Assignment(
            phrase, _units_of(pairs), "level",
            note=f"去掉层级前缀后核心名称一致：「{core}」＝{'、'.join(_units_of(pairs))}",
        )
    moved = _renamed(phrase, core, idx) or _merged(phrase, core, idx)
    if moved:
        return moved
    fuzzy = _fuzzy(core, idx, cutoff)
    if fuzzy:
        return replace(fuzzy, source=phrase)
    return None


# Units renamed or absorbed by the reforms of 2018-2021: old core -> new core.
_RENAMED = [
    ("扶贫开发", "乡村振兴"), ("扶贫", "乡村振兴"), ("国土资源", "自然资源"), ("城乡规划", "自然资源"),
    ("卫生计划生育", "卫生健康"), ("卫生计生", "卫生健康"), ("安全生产监管", "应急"), ("安全生产监督", "应急"),
    ("安监", "应急"), ("环境保护", "生态环境"), ("环保", "生态环境"), ("食品药品监管", "市场监管"),
    ("工商行政", "市场监管"), ("工商", "市场监管"), ("质量技术监督", "市场监管"), ("旅游发展", "文化旅游"),
]


def _renamed(phrase: str, core: str, idx: _Index) -> Assignment | None:
    for old, new in _RENAMED:
        if core.startswith(old) and new in idx.cores:
            units = _units_of(idx.cores[new])
            return Assignment(phrase, units, "renamed", note=f"机构改革更名：「{old}」的职责现由「{'、'.join(units)}」承担")
    return None


def _covered(part: str, whole: str) -> list[str] | None:
    """``part`` as one or two pieces (two characters or more) found in order in ``whole``, else None."""
    if len(part) >= 2 and part in whole:
        return [part]
    for i in range(2, len(part) - 1):
        a, b = part[:i], part[i:]
        if a in whole and b in whole and whole.index(a) < whole.rindex(b):
            return [a, b]
    return None


def _merged(phrase: str, core: str, idx: _Index) -> Assignment | None:
    """A merged unit whose core name holds the superior's (教育体育局 ← 教育厅、体育局)."""
    if len(core) < 2:
        return None
    found: dict[str, list[str]] = {}
    for local_core, pairs in idx.cores.items():
        if local_core == core or len(local_core) <= len(core):
            continue
        pieces = _covered(core, local_core)
        if not pieces:
            continue
        for unit, _ in pairs:
            u = idx.directory.get(unit)
            if u is not None and u.category not in ("乡镇街道",):
                found.setdefault(unit, pieces)
    if len(found) != 1:
        return None
    [(unit, pieces)] = found.items()
    return Assignment(phrase, [unit], "merged",
                      note=f"合并设置的单位：「{unit}」的名称包含「{'」「'.join(pieces)}」")


def _fuzzy(core: str, idx: _Index, cutoff: float) -> Assignment | None:
    from rapidfuzz import fuzz, process

    choices = list(idx.cores) + list(idx.keywords)
    if not core or not choices:
        return None
    best = process.extract(core, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3)
    if not best:
        return None
    top_core, score, _ = best[0]
    pairs = idx.cores.get(top_core, []) + idx.keywords.get(top_core, [])
    units = _units_of(pairs)
    rivals = [c for c, s, _ in best[1:] if s == score and _units_of(idx.cores.get(c, []) + idx.keywords.get(c, [])) != units]
    note = f"核心名称「{core}」与「{top_core}」相似度{score:.0f}"
    if rivals:
        note += f"；另有同分候选「{'、'.join(rivals)}」，请核对"
    return Assignment("", units, "fuzzy", round(float(score), 1), note)


def _generic_group(p: str, d: Directory) -> str | None:
    """Group for an unlisted generic phrase, guessed from its wording."""
    if p == "各地" or _GENERIC_AREA.search(p):
        probes = TOWNSHIP_PHRASES
    elif _GENERIC_DEPT.search(p):
        probes = DEPARTMENT_PHRASES + SECTION_PHRASES
    else:
        return None
    return next((d.group_phrases[name_key(x)] for x in probes if name_key(x) in d.group_phrases), None)


def _split_parts(p: str) -> list[str]:
    """Split a phrase holding several names: on , ; first, then 、, then before a second 各."""
    for pattern in (r"[,;]", r"、", r"(?<=.)(?=各)" if p.startswith("各") else None):
        if pattern is None:
            continue
        parts = [x for x in re.split(pattern, p) if x]
        if len(parts) > 1:
            return parts
    return [p]


# --- documents --------------------------------------------------------------

# 有关/相关 (the relevant ones) as opposed to 各 (every one).
_RELEVANT = re.compile(r"(?:有关|相关)(?:部门|单位|科室|处室|股室)")
NO_LEAD = "（原文未写牵头单位）"


def is_relevant_phrase(phrase: str) -> bool:
    """True for 有关部门 / 相关单位 / 省直有关部门 (the units the task concerns), False for 各部门."""
    return bool(_RELEVANT.search(clean_phrase(phrase)))


def decompose(
    doc: Document,
    directory: Directory,
    level: str = "县",
    fuzzy_cutoff: float = DEFAULT_FUZZY_CUTOFF,
    *,
    area: str = "",
    organ: str = "",
    office: str = "",
) -> Document:
    """Assign every task of ``doc`` to local units; returns a new Document.

    Fills ``lead_local``, ``others_local`` (``responsible_local`` for the
    责任单位 among them), ``assignment_notes`` of each task and ``origin``.
    有关部门 go to the units whose functional keywords the task text touches;
    各部门 to the whole group.  The text is rewritten in the local level's
    words (``area`` e.g. 武定县 gives the level character).  Tasks without a
    lead get the 政务公开 office (``office``, else ``organ``) proposed in a
    ``suggest`` note.  Tasks that already carry local units (an edited
    分解表) keep them.  Unmatched superior units are listed in ``warnings``
    and their task is flagged for review; they are never dropped silently.
    """
    if level not in LEVELS:
        raise UsageError(f"层级「{level}」无效，可选：{'、'.join(LEVELS)}。")
    out = copy.deepcopy(doc)
    idx = _Index.build(directory)
    cache: dict[str, list[Assignment]] = {}

    def mapped(phrase: str) -> list[Assignment]:
        if phrase not in cache:
            cache[phrase] = map_unit(phrase, directory, level, fuzzy_cutoff, idx)
        return [copy.copy(a) for a in cache[phrase]]

    superior = adapt.superior_level(out)
    proposed = _office_unit(directory, office or organ, mapped)
    source_name = f"《{out.title}》" if out.title else (f"{Path(out.source_file).stem} " if out.source_file else "")
    narrowed = 0
    for task in out.tasks:
        if not task.origin and source_name:
            task.origin = f"{source_name}{task.id}"
        if task.lead_local or task.others_local:
            continue
        narrowed += _assign(task, mapped, directory, out)
        if not task.lead_local and task.others_local and proposed:
            task.assignment_notes.append(Assignment(
                NO_LEAD, [proposed], "suggest",
                note=f"[建议牵头] 原文未写牵头单位，本表照原文不设牵头；如需牵头，建议由政务公开工作机构「{proposed}」牵头"))
        _adapt(task, superior, level, area, out)
        for a in task.assignment_notes:
            if a.rule == "unmatched":
                out.note(fk.finding(
                    "decompose-unmatched", f"未匹配：任务 {task.id} 的上级单位「{a.source}」在名录中找不到对应单位，请人工指定。",
                    cell=task.id))
        if not (task.lead_local or task.others_local):
            task.review = True
            msg = "没有本级责任单位，请在分解表中指定。"
            task.warnings.append(msg)
            out.note(fk.finding("decompose-no-unit", f"任务 {task.id} {msg}", cell=task.id))
    if narrowed:
        out.note(fk.finding("decompose-topic", f"{narrowed} 项任务的“有关部门”已按职能关键词确定为具体单位，匹配的关键词见分解表“分配依据”表。"))
    return out


def _office_unit(directory: Directory, name: str, mapped) -> str:
    """The directory unit of the 政务公开 office named in the settings, else ""."""
    if not name:
        return ""
    unit = directory.get(name)
    if unit is not None:
        return unit.name
    notes = mapped(name)
    locals_ = _locals(notes)
    return locals_[0] if len(locals_) == 1 and not directory.is_group(locals_[0]) and notes[0].rule != "fuzzy" else ""


def _concrete(phrase: str, notes: list[Assignment]) -> bool:
    return bool(notes) and not is_relevant_phrase(phrase) and all(a.rule not in ("group", "unmatched") for a in notes)


def _assign(task: Node, mapped, directory: Directory, doc: Document) -> int:
    """Fill the task's local units and notes; returns 1 when 有关部门 were narrowed by topic."""
    lead_notes = [a for p in task.lead for a in mapped(p)]
    others = [(p, mapped(p)) for p in task.others]
    if not task.lead:
        concrete = [(p, notes) for p, notes in others if _concrete(p, notes)]
        if len(concrete) == 1:  # the one unit the superior named leads (省政府办公厅,各州、市人民政府…)
            lead_phrase, lead_notes = concrete[0]
            for a in lead_notes:
                a.note += "；原文未写牵头单位，唯一点名的单位作为牵头"
            others = [(p, n) for p, n in others if p != lead_phrase]
    lead = _locals(lead_notes)
    cooperate = set(task.cooperate)
    other_notes: list[tuple[str, Assignment]] = []
    narrowed = 0
    for phrase, notes in others:
        role = ROLE_COOPERATE if phrase in cooperate else ROLE_RESPONSIBLE
        for a in notes:
            if a.rule == "group" and is_relevant_phrase(a.source):
                topical = _by_topic(task, a, directory, lead, doc)
                narrowed = narrowed or int(topical[0].rule == "topic")
                other_notes += [(role, t) for t in topical]
            else:
                other_notes.append((role, a))
    task.lead_local = lead
    task.others_local = [u for u in _locals([a for _, a in other_notes]) if u not in lead]
    task.responsible_local = [u for u in _locals([a for r, a in other_notes if r == ROLE_RESPONSIBLE])
                              if u not in lead]
    task.assignment_notes = [_tag(a, ROLE_LEAD) for a in lead_notes] + [_tag(a, r) for r, a in other_notes]
    unmatched_ = [a.source for a in task.assignment_notes if a.rule == "unmatched"]
    if unmatched_:
        task.review = True
        task.warnings.append(f"未匹配的上级单位：{'、'.join(unmatched_)}")
    if any(a.rule == "fuzzy" for a in task.assignment_notes):
        task.review = True
    return narrowed


def _by_topic(task: Node, a: Assignment, directory: Directory, lead: list[str], doc: Document) -> list[Assignment]:
    """有关部门 → the members of its group whose functional keywords the task's text touches."""
    members = [m for g in a.local for m in directory.expand(g)]
    hits = relevant_units(f"{task.title}。{task.text}", directory, members, exclude=set(lead))
    group = "、".join(a.local)
    if not hits:
        a.note = (f"「{a.source}」指与任务相关的单位，但任务内容未匹配到「{group}」中任何单位的职能关键词，"
                  f"暂保留分组（下发时展开为全部成员），请改为具体单位")
        task.review = True
        task.warnings.append(f"「{a.source}」未能按职能确定具体单位")
        doc.note(fk.finding("decompose-topic-none",
                            f"任务 {task.id} 的「{a.source}」未匹配到任何单位的职能关键词，暂保留分组「{group}」。", cell=task.id))
        return [a]
    names = "、".join(u for u, _ in hits)
    task.note = _join_note(task.note, f"原文「{a.source}」已按职能确定为{len(hits)}个单位")
    return [Assignment(a.source, [unit], "topic",
                       note=f"原文「{a.source}」指与任务相关的单位，不是全部：任务内容涉及本单位职能关键词「{'、'.join(kws)}」")
            for unit, kws in hits] if names else [a]


def _join_note(note: str, more: str) -> str:
    return f"{note}；{more}" if note else more


def _adapt(task: Node, superior: str, level: str, area: str, doc: Document) -> None:
    """Rewrite the task's title and text in the local level's words; record each change as a note."""
    title, _ = adapt.adapt_text(task.title, superior, level, area)
    text, changes = adapt.adapt_text(task.text, superior, level, area)
    task.title, task.text = title, text
    for c in changes:
        rule = "level-check" if c.flagged else "wording"
        task.assignment_notes.append(Assignment(c.original, [c.adapted], rule, note=f"[用语] {c.note}"))
        if c.flagged:
            task.review = True
            task.note = _join_note(task.note, f"{adapt.CHECK}：「{c.original.rstrip('。；;')}」")
            task.warnings.append(f"有一句针对其他层级（{'；'.join(c.rules)}），{adapt.CHECK}")
            doc.note(fk.finding("decompose-level-check",
                                f"任务 {task.id} 的「{c.original.rstrip('。；;')}」针对其他层级，{adapt.CHECK}。", cell=task.id))
    if any(not c.flagged for c in changes):
        n = sum(not c.flagged for c in changes)
        doc.note(fk.finding("decompose-wording", f"任务 {task.id} 有 {n} 句已改为本级用语（见“分配依据”表）。", cell=task.id))


def _tag(a: Assignment, role: str) -> Assignment:
    a.note = f"[{role}] {a.note}"
    return a


def _locals(notes: list[Assignment]) -> list[str]:
    return list(dict.fromkeys(u for a in notes for u in a.local))


def unmatched(doc: Document) -> list[tuple[str, str]]:
    """(task id, superior phrase) for every phrase that matched no local unit."""
    return [(t.id, a.source) for t in doc.tasks for a in t.assignment_notes if a.rule == "unmatched"]
