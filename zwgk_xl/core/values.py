"""Cell values as the text a clerk sees, and the one reader of dates typed into cells."""

from __future__ import annotations

import datetime as _dt
import re

from zwgk_xl.core.errors import UsageError


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


def _date_parts(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) as written in ``text`` (2021-06-30, 2021/6/30, 2021年6月30日, 20210630), unchecked."""
    text = text.strip()
    if " " in text and re.match(r"^\d{4}-\d{2}-\d{2} \d", text):
        text = text.split(" ")[0]
    for pat in _DATE_PATTERNS:
        m = pat.match(text)
        if m:
            return int(m.group(1)), int(m.group(2)), int(m.group(3))
    return None


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
    parts = _date_parts(cell_text(value))
    if parts is None:
        return None
    try:
        return _dt.date(*parts).isoformat()
    except ValueError:
        return None


_MONTH = re.compile(r"^(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*(?:月份?)?$")  # 2021年6月, 2021-6, 2021.06, 6月
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")  # 6月20日 (no year)
ONGOING = re.compile(r"长期|持续|常态|长效|未完成|尚未完成|正在|推进中")  # 完成时间 of work that goes on


def partial_date(text: str, year: int | None) -> str | None:
    """A completion date written without its year or day, as departments do: 「6月20日」 -> 2021-06-20 in a
    round of ``year``; 「2021年6月」「2021.06」 -> 2021-06, 「6月」 -> 2021-06.  None for anything else (a month
    alone needs 月, so a bare number is never a date)."""
    text = (text or "").strip()
    m = _MONTH_DAY.match(text)
    if m and year:
        try:
            return _dt.date(year, int(m.group(1)), int(m.group(2))).isoformat()
        except ValueError:
            return None
    m = _MONTH.match(text)
    if m and (m.group(1) or text.endswith(("月", "月份"))) and 1 <= int(m.group(2)) <= 12:
        y = int(m.group(1)) if m.group(1) else year
        return f"{y:04d}-{int(m.group(2)):02d}" if y and 1900 < y < 2200 else None
    return None


def user_date(text, what: str = "日期") -> _dt.date:
    """A date typed by the user (2021-06-25, 2021/6/25, 2021年6月25日); ValueError with a Chinese message otherwise."""
    parts = _date_parts(str(text or ""))
    if parts is None:
        raise ValueError(f"{what}「{text}」无法识别。请按 2021-06-25、2021/6/25 或 2021年6月25日 的格式填写。")
    try:
        return _dt.date(*parts)
    except ValueError:
        y, mo, d = parts
        why = f"没有{mo}月" if not 1 <= mo <= 12 else f"{y}年{mo}月没有{d}日"
        raise ValueError(f"{what}「{text}」不存在（{why}）。请改正，如 2021-06-25。") from None


def date_option(value, what: str) -> _dt.date | None:
    """An optional date given to a command (a date, or text as :func:`user_date` reads it); None when empty.

    Raises:
        UsageError: the text is not a date (the message names ``what``, e.g. 「截止日期（--due）」).
    """
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return user_date(value, what)
    except ValueError as e:
        raise UsageError(str(e)) from None
