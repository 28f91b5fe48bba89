"""Cell values as the text a clerk sees, and the one reader of dates typed into cells."""

from __future__ import annotations

import datetime as _dt
import re


def cell_text(value) -> str:
    """A cell value as text: numbers without a spurious ``.0``, dates as ISO, strings stripped."""
    if type(value) is str:
        if "\r" in value or "_x000D_" in value:  # Windows line ends; the escape some writers leave
            value = value.replace("\r\n", "\n").replace("_x000D_", "")
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return str(value)
    return str(value).strip()


def cell_texts(values) -> list[str]:
    """:func:`cell_text` of each value (a whole row of text cells at C speed)."""
    try:
        return list(map(str.strip, values))
    except TypeError:
        return [cell_text(v) for v in values]


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
EXCEL_EPOCH = _dt.date(1899, 12, 30)


def parse_date(value) -> str | None:
    """ISO date of a cell value (date, Excel serial number or text like 2021/6/30, 2021年6月30日); None if not a date."""
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:
            return (EXCEL_EPOCH + _dt.timedelta(days=int(value))).isoformat()
        return None
    text = cell_text(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return _dt.date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    if " " in text and re.match(r"^\d{4}-\d{2}-\d{2} \d", text):
        text = text.split(" ")[0]
    for pat in _DATE_PATTERNS:
        m = pat.match(text)
        if m:
            try:
                return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
            except ValueError:
                return None
    return None


_USER_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?)\s*$")


def user_date(text, what: str = "日期") -> _dt.date:
    """A date typed by the user (2021-06-25, 2021/6/25, 2021年6月25日); ValueError with a Chinese message otherwise."""
    m = _USER_DATE.match(str(text or ""))
    if m:
        y, mo, d = (int(g) for g in (m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5)))
        try:
            return _dt.date(y, mo, d)
        except ValueError:
            raise ValueError(f"{what}「{text}」不存在（{y}年{mo}月没有{d}日）。请改正，如 2021-06-25。") from None
    raise ValueError(f"{what}「{text}」无法识别。请按 2021-06-25、2021/6/25 或 2021年6月25日 的格式填写。")
