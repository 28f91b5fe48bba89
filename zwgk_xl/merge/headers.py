"""Finding the task table's header in a returned form, however its labels were retyped.

Labels are compared after normalising width (full/half), whitespace and line
breaks (Alt+Enter), a trailing colon, asterisk or bracketed note, and by known
synonyms (工作落实情况, 落实情况说明, 完成情况 … for 落实情况).  A label still
unknown that contains exactly one known label is taken as that one.
"""

from __future__ import annotations

import re
import unicodedata

from zwgk_xl.forms import spec as fs

# column key -> labels departments use for it (the form's own label first)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("任务编号", "编号", "任务序号"),
    "title": ("工作任务", "任务名称", "工作任务名称"),
    "text": ("任务要求", "具体要求", "工作要求", "任务内容", "具体任务"),
    "role": ("本单位角色", "角色", "承担角色", "责任类型"),
    "deadline": ("完成时限", "时限", "时限要求", "完成期限"),
    "status": ("完成状态", "状态", "办理状态", "进展状态", "完成进度"),
    "progress": ("落实情况", "工作落实情况", "落实情况说明", "完成情况", "进展情况", "工作进展", "推进情况",
                 "工作开展情况", "贯彻落实情况"),
    "done_date": ("完成时间", "完成日期", "实际完成时间", "办结时间"),
    "problems": ("存在问题", "存在的问题", "问题", "困难和问题", "存在困难"),
    "next_steps": ("下步计划", "下一步计划", "下步工作计划", "下一步工作计划", "下步打算", "下一步打算"),
    "evidence": ("佐证材料", "证明材料", "佐证", "佐证材料链接", "相关链接"),
}
REQUIRED = ("id", "status", "progress")  # a form missing one of these columns is not read
_MARKS = re.compile(r"^[*※]+|[*※:：]+$")
_NOTE = re.compile(r"[(（][^()（）]*[)）]$")


def normalise(text) -> str:
    """A header label as compared: half-width, no whitespace or line breaks, no trailing colon or asterisk."""
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(text.split())
    return _MARKS.sub("", text)


_LABELS: dict[str, str] = {}  # normalised label -> key
for _key, _labels in SYNONYMS.items():
    for _label in _labels:
        _LABELS.setdefault(normalise(_label), _key)
_CONTAINED = sorted(((normalise(label), key) for key, labels in SYNONYMS.items() for label in labels
                     if len(label) >= 4), key=lambda p: -len(p[0]))
_OWN = {key: normalise(labels[0]) for key, labels in SYNONYMS.items()}
_SEEN: dict[str, str | None] = {}  # cell text -> key (or None), remembered across forms


def label_key(text) -> str | None:
    """The column key a header cell stands for, or None."""
    if type(text) is not str or not text:
        return None
    got = _SEEN.get(text, "")
    if got != "":
        return got
    t = normalise(text)
    key = _LABELS.get(t)
    if key is None and _NOTE.search(t):
        key = _LABELS.get(_NOTE.sub("", t))
    if key is None and 3 < len(t) <= 20:
        hits = {k for label, k in _CONTAINED if label in t}
        key = hits.pop() if len(hits) == 1 else None
    if len(_SEEN) < 10_000:
        _SEEN[text] = key
    return key


def find_header(rows: list[list], limit: int = 40) -> tuple[int, dict[str, int]] | None:
    """(index, column key -> 0-based column) of the task-table header in ``rows``, or None.

    The header is the first row holding the task id column and the status or 落实情况 column, among at
    least three known columns.  The form's own labels exactly as issued are the quick path.
    """
    fast = fs.find_header(rows, limit)
    if fast is not None and len(fast[1]) == len(fs.COLUMNS):
        return fast
    for i, row in enumerate(rows[:limit]):
        ranked: dict[str, tuple[int, int]] = {}  # key -> (0 for the form's own label else 1, column)
        for j, v in enumerate(row):
            key = label_key(v)
            if key:
                rank = (0 if normalise(v) == _OWN[key] else 1, j)
                ranked[key] = min(ranked.get(key, rank), rank)
        cols = {key: j for key, (_, j) in ranked.items()}
        if "id" in cols and ("status" in cols or "progress" in cols) and len(cols) >= 3:
            return i, cols
    return fast
