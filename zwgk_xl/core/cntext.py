"""Chinese text helpers shared by every writer: dates and numerals as official documents print them."""

from __future__ import annotations

import datetime as dt

def cn_date(iso: str | dt.date | None) -> str:
    """2021-06-30 -> 2021年6月30日 (GB/T 9704 uses Arabic numerals)."""
    if not iso:
        return ""
    try:
        d = iso if isinstance(iso, dt.date) else dt.date.fromisoformat(str(iso)[:10])
    except ValueError:
        return str(iso)
    return f"{d.year}年{d.month}月{d.day}日"


def int_to_cn(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 105 → 一百零五."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n - 10] if n > 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + int_to_cn(rest) if rest < 10 else
                                  ("一" + int_to_cn(rest) if rest < 20 else int_to_cn(rest)))
    return digits[n // 100] + "百" + tail
