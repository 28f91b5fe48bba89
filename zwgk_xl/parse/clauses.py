"""Responsibility clauses: who leads (牵头) and who else is responsible.

Handles the forms found in the genre::

    (A、B牵头;C,D按照职责分工负责)   (A牵头,B配合)   (责任科室:X、Y)
    (责任单位:A)   (牵头单位:A;配合单位:B)   A会B (会办)

Unit lists are joined by 、,;和及; compound generic names such as
``各州、市人民政府`` or ``市政府各部门、各镇街`` are kept whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from zwgk_xl.core import findings as fk

# Words that make a parenthesis a responsibility clause.
_CLAUSE_HINT = re.compile(
    r"牵头|负责|配合|参与|协同|协助|(?:局|委|厅|办)会[\u4e00-\u9fff]|责任(?:单位|科室|处室|部门|股室|领导|人)|会办|主办|承办|落实单位"
    r"|(?:分别|共同|负责|职责|职能)落实\)?$"
)
# Suffixes that end a unit name.
UNIT_SUFFIX = (
    "局", "委", "厅", "办", "室", "科", "股", "部", "院", "会", "中心", "队", "站", "所",
    "政府", "部门", "单位", "镇街", "乡镇", "街道", "分局", "集团", "公司", "处", "组",
    "法院", "检察院", "银行", "馆", "台",
)
_AREA_FRAGMENT = re.compile(r"^各?[省州市县区乡镇]$|^各(?:州|市|县|区|省|盟|地)$")
# Role words ending a unit name (A牵头, B按照职责分工负责); decompose strips them too.
ROLE_WORDS = re.compile(
    r"(?:等)?(?:按照?(?:职责|职能)(?:分工)?|根据(?:职责|职能)(?:分工)?)?(?:分别|共同)?(?:负责|配合|参与|协同|协助|落实|牵头|办理|协办)$"
)
# "X等(市有关)单位": the name ends before 等 when a group word follows it.
_ETC = re.compile(r"(?<=[局委厅办室科股部院会心队站所府处组馆台])等[\u4e00-\u9fff]{0,16}?(?:部门|单位|处室|科室|机构)(?:\([^()]*\))?$")
_BRACKETS = {"(": ")", "[": "]", "〔": "〕", "【": "】"}
_MASK = {"、": "\ue000", ",": "\ue001", ";": "\ue002", "/": "\ue003", " ": "\ue004"}
_UNMASK = str.maketrans({v: k for k, v in _MASK.items()})
_OPENING = re.compile(r"[(\[〔【]")


def _mask_brackets(text: str) -> str:
    """Hide separators inside brackets (各县(市、区)政府) and a space before one (省编办 (省审改办))."""
    if not _OPENING.search(text):
        return text
    out, depth = [], 0
    for i, ch in enumerate(text):
        if ch in _BRACKETS:
            depth += 1
        elif ch in _BRACKETS.values():
            depth = max(0, depth - 1)
        if ch in _MASK and (depth or (ch == " " and text[i + 1:i + 2] in _BRACKETS)):
            out.append(_MASK[ch])
        else:
            out.append(ch)
    return "".join(out)


@dataclass
class Clause:
    body: str  # the text without the clause
    lead: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    raw: str = ""  # the clause as written (inside the brackets)
    deadline_text: str = ""  # a deadline written inside the clause, if any


def _is_generic(name: str) -> bool:
    return "各" in name or "有关" in name or "相关" in name


def _join_compounds(parts: list[str], seps: list[str]) -> list[str]:
    """Re-join pieces split at 、 that belong to one compound name."""
    out: list[str] = []
    i = 0
    while i < len(parts):
        cur = parts[i]
        while i + 1 < len(parts) and seps[i] == "、":
            nxt = parts[i + 1]
            if (_AREA_FRAGMENT.match(cur.split("、")[-1]) and re.match(r"[省州市县区乡镇]", nxt)) or (
                _is_generic(cur) and not cur.startswith("各") and nxt.startswith("各")
                and not _ends_unit(nxt, strict=True)
                and not clean_unit(nxt.translate(_UNMASK)).endswith(")")
            ):
                cur = f"{cur}、{nxt}"
                i += 1
            else:
                break
        out.append(cur)
        i += 1
    return out


def _ends_unit(s: str, strict: bool = False) -> bool:
    s = re.sub(r"\([^()]*\)$", "", s) if s.endswith(")") and "(" in s[:-1] else s
    if strict:
        return s.endswith(("局", "委", "厅", "办", "科", "股", "院", "中心", "队", "分局"))
    return s.endswith(UNIT_SUFFIX)


def _split_and(name: str) -> list[str]:
    """Split ``A和B`` / ``A及B`` only where both sides are whole unit names."""
    for conj in ("和", "及", "与"):
        if conj not in name:
            continue
        idx = [m.start() for m in re.finditer(conj, name)]
        for i in idx:
            left, right = name[:i], name[i + 1:]
            if len(left) >= 2 and len(right) >= 3 and _ends_unit(left) and _ends_unit(right) \
                    and not left.endswith(("各部门",)):
                return _split_and(left) + _split_and(right)
    return [name]


def clean_unit(name: str) -> str:
    """Trim role words, brackets and punctuation around one unit name."""
    s = name.strip(" \t\n,;:、。.[]【】“”\"'")
    # brackets: strip only the unbalanced ones, so 各乡镇(街道) keeps its own
    while s.endswith(")") and s.count(")") > s.count("("):
        s = s[:-1].rstrip()
    while s.startswith("(") and s.count("(") > s.count(")"):
        s = s[1:].lstrip()
    if s.startswith("(") and s.endswith(")") and s.count("(") == 1:
        s = s[1:-1].strip()
    prev = None
    while s and s != prev:
        prev = s
        s = ROLE_WORDS.sub("", s).strip(" ,;:、。")
        s = re.sub(r"^(?:由|请|会同|联合|和|及|与|以及)", "", s)
        s = _ETC.sub("", s)
        s = re.sub(r"(?:等)?(?:有关|相关)?(?:单位|部门)?等$", lambda m: m.group(0)[:-1] if m.group(0) != "等" else "", s)
    return s.strip()


def is_unit_name(name: str) -> bool:
    """A plausible unit name: ends like a unit (局, 委, 办公室, 政府, 各部门 …), or names a group (各…, 有关…)."""
    n = clean_unit(name)
    if not 2 <= len(n) <= 30 or re.search(r"[。:]|做好|加强|工作中|按照|要求", n):
        return False
    return n.endswith(UNIT_SUFFIX) or n.startswith(("各", "有关")) or n.endswith(("各单位", "机构", ")")) \
        or len(n) >= 3 and n.endswith(("区", "市", "县", "旗", "盟", "街镇", "镇街"))


# A unit list followed by what it does: "A、B做好发布工作", "A牵头办理,在工作中…".
_UNIT_VERB = re.compile(r"(?:做好|负责|办理|牵头|配合|落实|协助|参与|提供|开展|抓好|组织|会同)")


def split_units(text: str) -> list[str]:
    """Split a list of unit names: 、 , ; 和 及, keeping compound names whole."""
    return list(_split_units(text))


@lru_cache(maxsize=8192)
def _split_units(text: str) -> tuple[str, ...]:
    text = _mask_brackets(text.strip())
    if not text:
        return ()
    tokens = re.split(r"([、,;/]|\s+|以及)", text)
    parts: list[str] = []
    seps: list[str] = []
    for tok in tokens:
        if tok is None or tok == "":
            continue
        if re.fullmatch(r"[、,;/]|\s+|以及", tok):
            if parts and len(seps) < len(parts):
                seps.append("、" if tok == "、" else ",")
            continue
        if len(seps) < len(parts):  # two names with no separator recorded
            seps.append(",")
        parts.append(tok)
    seps = seps[: max(0, len(parts) - 1)]
    while len(seps) < len(parts) - 1:
        seps.append(",")
    joined = _join_compounds(parts, seps)
    out: list[str] = []
    for name in joined:
        for piece in _split_and(name) if "、" not in name else [name]:
            piece = clean_unit(piece.translate(_UNMASK))
            if piece and piece not in out and len(piece) >= 2 and re.search(r"[\u4e00-\u9fff]", piece):
                out.append(piece)
    return tuple(out)


_LABELLED = re.compile(
    r"(牵头(?:单位|部门|科室|处室|股室)|主办单位|责任(?:单位|科室|处室|部门|股室)|配合(?:单位|部门|科室|处室)|协办单位|参与单位|落实单位)"
    r"\s*[::]\s*"
)
_TIME_LABELLED = re.compile(r"[,;]?\s*(?:完成时限|完成时间|时限要求|时间要求|时间节点|完成期限)\s*[::].*$")
# A document's own rule stated inside its first clause: the first unit listed leads.
FIRST_LEADS = re.compile(r"\(?(?:首位|排名第一|排在首位|第一)(?:的)?单位为牵头单位[^()]*\)?")
def first_unit_leads(roots: list, warnings: list) -> None:
    """The document's own rule (首位单位为牵头单位): the first unit of every list without a lead leads."""
    for r in roots:
        for n in r.walk():
            if not n.lead and n.others:
                n.lead = [n.others.pop(0)]
    warnings.append(fk.finding("parse-note", "原文规定“首位单位为牵头单位”，各项所列第一个单位已记为牵头单位"))


_ROLE_HINT = re.compile(r"牵头|配合|会同|负责|落实|办理|协办|参与|做好")


def parse_responsibility(clause: str) -> tuple[list[str], list[str]]:
    """Lead and other units of a clause's inner text (bracketed, labelled line or table cell)."""
    lead, others = _responsibility(clause)
    return list(lead), list(others)


@lru_cache(maxsize=8192)
def _responsibility(clause: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    lead, others = _parse_responsibility(clause)
    return tuple(lead), tuple(others)


def _parse_responsibility(clause: str) -> tuple[list[str], list[str]]:
    s = FIRST_LEADS.sub("", _TIME_LABELLED.sub("", clause.strip())).strip().strip("。")
    lead: list[str] = []
    others: list[str] = []
    if _LABELLED.search(s):
        pieces = _LABELLED.split(s)
        # pieces: [pre, label, value, label, value, ...]
        for label, value in zip(pieces[1::2], pieces[2::2]):
            value = value.strip(" ;,。")
            if _ROLE_HINT.search(value):
                l2, o2 = _roles(value)
            else:
                l2, o2 = [], split_units(value)
            if label.startswith(("牵头", "主办")) and not l2:
                l2, o2 = o2, []
            lead += l2
            others += o2
        return _dedupe(lead), _dedupe([o for o in others if o not in lead])
    return _roles(s)


def _roles(s: str) -> tuple[list[str], list[str]]:
    """``A、B牵头,C配合;D按照职责分工负责`` / ``A会同B办理`` / ``A、B做好…,C做好…`` → (lead, others)."""
    lead: list[str] = []
    others: list[str] = []
    for part in re.split(r"[;,]|(?<=牵头)、", _mask_brackets(s)):
        part = part.translate(_UNMASK).strip(" 。")
        if not part:
            continue
        m = re.fullmatch(r"(.{2,40}?)会同?(.{2,80})", part)
        if m and is_unit_name(re.split(r"[、和及]", m.group(1))[-1]) \
                and is_unit_name(re.split(r"[、和及]", _strip_predicate(m.group(2)))[0]):
            lead += split_units(m.group(1))
            others += _names(_strip_predicate(m.group(2)))
            continue
        part = _strip_predicate(part)
        if re.search(r"牵头$", part) or re.search(r"^牵头[::]", part):
            lead += _names(re.sub(r"^牵头[::]|牵头$", "", part))
        else:
            others += _names(re.sub(r"(?:按照?|根据)(?:职责|职能)分工负责.*$", "", part))
    lead = _dedupe(lead)
    return lead, _dedupe([o for o in others if o not in lead])


_COOP_LABEL = re.compile(r"^(?:配合|协办|参与|协助)")
_COOP_WORD = re.compile(r"(?:配合|协助|参与|协办)")


def cooperating_units(clause: str) -> list[str]:
    """Units a clause, labelled line or cell names in a cooperating role (「B配合」, 「配合单位：B」, 「C协助」).

    They are among the clause's ``others``; the rest of the others are responsible
    for their part (按照职责分工负责), which decomposition keeps apart.
    """
    if not clause or not _COOP_WORD.search(clause):
        return []
    return list(_cooperating(clause))


@lru_cache(maxsize=8192)
def _cooperating(clause: str) -> tuple[str, ...]:
    s = clause.strip()
    out: list[str] = []
    if _LABELLED.search(s):
        pieces = _LABELLED.split(s)
        for label, value in zip(pieces[1::2], pieces[2::2]):
            value = value.strip(" ;,。；，")
            if _COOP_LABEL.match(label):
                out += split_units(value)
            elif "配合" in value or "协助" in value:
                out += _cooperating(value)
        return tuple(_dedupe(out))
    for part in re.split(r"[;,；，]", _mask_brackets(s)):
        part = part.translate(_UNMASK).strip(" 。")
        m = _COOP_WORD.search(part)
        if m and m.start() > 0 and "牵头" not in part[: m.start()]:
            out += _names(part[: m.start()])
    return tuple(_dedupe(out))


def _names(part: str) -> list[str]:
    """Unit names of a list, without pieces that are plainly not units (what the units are to do)."""
    return [n for n in split_units(part) if is_unit_name(n) or (len(n) <= 12 and not _UNIT_VERB.search(n))]


def _strip_predicate(part: str) -> str:
    """``A、B做好发布工作`` → ``A、B``; ``A牵头办理`` → ``A牵头``: a unit list keeps its names and role."""
    m = _UNIT_VERB.search(part)
    if m and m.start() > 0:
        head = part[: m.start()]
        units = split_units(head)
        if units and all(is_unit_name(u) for u in units):
            role = re.match(r"牵头|配合", part[m.start():])
            return head + (role.group(0) if role else "")
    return part


def _dedupe(xs: list[str]) -> list[str]:
    out: list[str] = []
    for x in xs:
        if x and x not in out:
            out.append(x)
    return out


_TRAIL = re.compile(r"\(((?:[^()]|\([^()]{1,20}\)){2,300})\)\s*[。;.]?\s*$")
_DEADLINE_IN_CLAUSE = re.compile(
    r"[,;]?\s*((?:\d{4}年)?(?:\d{1,2}月(?:\d{1,2}日|底|中旬|上旬|下旬)?|年?底|年?内|上半年|下半年|\d{1,2}月)前?(?:完成)?"
    r"|\d{4}年前(?:完成)?|长期坚持|长期推进|持续推进|常态化推进)\s*$"
)
_DEADLINE_LAST = "成前日底旬月内年持进"  # the characters a _DEADLINE_IN_CLAUSE match can end with


_UNIT_LABELS = "牵头单位|牵头部门|主办单位|责任单位|责任部门|责任科室|责任处室|责任股室|落实单位|配合单位|配合部门|协办单位|参与单位"
_TIME_LABELS = "完成时限|完成时间|时限要求|时间要求|时间节点|完成期限"
LABELLED_LINE = re.compile(rf"^\s*(?:{_UNIT_LABELS}|{_TIME_LABELS})\s*[::]")
_LABEL_SEG = re.compile(rf"({_UNIT_LABELS}|{_TIME_LABELS})\s*[::]\s*")
_LABELLED_AFTER_STOP = re.compile(rf"。\s*(?:{_UNIT_LABELS})\s*[::][^。]*$")
_LABELS_AFTER_STOP = re.compile(rf"(?<=。)\s*(?=(?:{_UNIT_LABELS}|{_TIME_LABELS})\s*[::][^。]*$)")
_LABELS_AFTER_STOP_HINT = re.compile(rf"。\s*(?:{_UNIT_LABELS}|{_TIME_LABELS})\s*[::][^。]*$")  # found fast


def has_clause(text: str) -> bool:
    """Cheap test: does the text end with a responsibility parenthesis or labelled line?"""
    t = text.rstrip()
    last = t.rsplit("\n", 1)[-1]
    if LABELLED_LINE.match(last) or _LABELLED_AFTER_STOP.search(last):
        return True
    if not t.endswith((")", ")。", ");", ").")):
        return False
    m = _TRAIL.search(t)
    return bool(m and is_clause(m.group(1), t[: m.start()]))


def is_clause(inner: str, before: str = "") -> bool:
    """A bracket's text is a responsibility clause: a role or label word, or (after a full stop) units only."""
    if _CLAUSE_HINT.search(inner):
        return True
    if not before.rstrip().endswith("。"):
        return False
    names = split_units(inner.strip().rstrip("。"))
    return bool(names) and all(is_unit_name(n) for n in names)


_OTHER_BRACKETS = re.compile(r"[〔【\[]([^〔〕【】\[\]]{2,300})[〕】\]]")
_OTHER_OPENING = re.compile(r"[〔【\[]")


def clause_brackets(text: str) -> str:
    """``〔A牵头〕`` / ``[责任单位:A]`` / ``【…】`` written as ``(…)`` when they hold a clause."""
    if not _OTHER_OPENING.search(text):
        return text
    return _OTHER_BRACKETS.sub(lambda m: f"({m.group(1)})" if _CLAUSE_HINT.search(m.group(1)) else m.group(0), text)


_BRACKET = re.compile(r"\(((?:[^()]|\([^()]{0,20}\)){2,300})\)\s*[。;]?")


def clause_segments(text: str, paragraphs: bool = False) -> list[str]:
    """Pieces of an item each closed by its own clause: ``…。(A负责)…。(B负责)`` → two pieces.

    Text after the last clause (an item cut short, a note) is left out; one piece or
    none → ``[text]``.  With ``paragraphs`` (a heading line over paragraphs) one closed
    paragraph followed by more text also counts as a piece.
    """
    if text.count("(") < (1 if paragraphs else 2):
        return [text]
    pieces, start = [], 0
    for m in _BRACKET.finditer(text):
        nxt = text[m.end(): m.end() + 1]
        if nxt and nxt in ",、;)":
            continue
        if not is_clause(m.group(1), text[start: m.start()]):
            continue
        pieces.append(text[start: m.end()].strip())
        start = m.end()
    if len(pieces) == 1 and paragraphs and len(text[start:].strip()) >= 8:
        return pieces
    return pieces if len(pieces) >= 2 else [text]


def split_labelled(text: str) -> tuple[str, list[str], list[str], str]:
    """Labelled units and time written after the item: ``牵头单位:A`` / ``责任单位:B`` / ``完成时限:C``.

    Only labels on their own lines, or after the item's last sentence, count.
    Returns (body, lead, others, deadline_text); no labels → (text, [], [], "").
    """
    lines = text.split("\n")
    tail: list[str] = []
    while len(lines) > 1 and LABELLED_LINE.match(lines[-1]):
        tail.insert(0, lines.pop())
    body = "\n".join(lines)
    m = _LABELS_AFTER_STOP.search(body) if _LABELS_AFTER_STOP_HINT.search(body) else None
    if m:
        tail.insert(0, body[m.start():].strip())
        body = body[: m.start()].rstrip()
    if not tail:
        return text, [], [], ""
    lead: list[str] = []
    others: list[str] = []
    deadline = ""
    pieces = _LABEL_SEG.split(" ".join(tail))
    for label, value in zip(pieces[1::2], pieces[2::2]):
        value = value.strip(" ;,。")
        if re.fullmatch(_TIME_LABELS, label):
            deadline = value
        elif label.startswith(("牵头", "主办")):
            lead += split_units(value)
        else:
            l2, o2 = parse_responsibility(value) if re.search("牵头|配合", value) else ([], split_units(value))
            lead += l2
            others += o2
    return body, _dedupe(lead), _dedupe([o for o in others if o not in lead]), deadline


_DEADLINE_ONLY = re.compile(
    r"(?:完成时限[::])?(?:\d{4}年)?(?:\d{1,2}月(?:\d{1,2}日|底)?|年?底|年内|上半年|下半年)前?(?:完成)?"
    r"|长期坚持|长期推进|持续推进")


def split_clause(text: str) -> Clause:
    """Find the trailing responsibility parenthesis of an item.

    Returns the body without it, and the lead / other units.  Text without a
    clause comes back unchanged with empty lists.
    """
    t = text.rstrip()
    m = _TRAIL.search(t)
    trailing_deadline = ""
    if m and not _CLAUSE_HINT.search(m.group(1)) and _DEADLINE_ONLY.fullmatch(m.group(1).strip()):
        # "(A牵头)(2021年底前完成)": a deadline in its own brackets after the clause
        trailing_deadline = m.group(1).strip()
        t = t[: m.start()].rstrip()
        m = _TRAIL.search(t)
    if not m or not is_clause(m.group(1), t[: m.start()]):
        return Clause(body=text.strip())
    inner = m.group(1).strip()
    deadline_text = ""
    dm = _DEADLINE_IN_CLAUSE.search(inner) if inner[-1:] in _DEADLINE_LAST else None  # (a slow scan)
    lm = _TIME_LABELLED.search(inner)
    if lm and lm.start() > 0:  # "…;完成时限:全年"
        deadline_text = re.sub(r"^[,;]?\s*[^::]*[::]\s*", "", lm.group(0)).strip(" 。")
        inner_units = inner[: lm.start()]
    elif dm and dm.start() > 0:
        deadline_text = dm.group(1)
        inner_units = inner[: dm.start()]
    else:
        inner_units = inner
    lead, others = parse_responsibility(inner_units)
    return Clause(body=t[: m.start()].rstrip(), lead=lead, others=others, raw=inner,
                  deadline_text=deadline_text or trailing_deadline)


def split_unit_cell(cell: str) -> tuple[list[str], list[str]]:
    """Lead and others from a table cell such as ``A牵头,B配合`` or ``A、B``."""
    cell = (cell or "").strip()
    if cell.startswith("(") and cell.endswith(")") and cell.count("(") == 1:
        cell = cell[1:-1]
    if not cell:
        return [], []
    return parse_responsibility(cell)


_SENTENCE_END = re.compile(r"[。!?]")


def title_of(text: str) -> str:
    """A task's title: its text up to the first sentence end."""
    t = text.strip()
    m = _SENTENCE_END.search(t)
    title = t[: m.start()] if m else t
    return title.strip(" ,;:")
