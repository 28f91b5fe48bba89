"""Text normalisation: traditional → simplified, full/half-width, whitespace."""

from __future__ import annotations

import re
from functools import lru_cache

# Full-width forms folded to half-width.  Chinese-only marks (、。《》“”) stay.
_WIDTH = {
    "（": "(", "）": ")", "，": ",", "；": ";", "：": ":", "．": ".", "！": "!",
    "？": "?", "［": "[", "］": "]", "｛": "{", "｝": "}", "　": " ", "\u00a0": " ",
    "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u200b": "", "\ufeff": "", "\u200e": "",
    "\u200f": "",
}
_WIDTH.update({chr(0xFF10 + i): str(i) for i in range(10)})  # ０-９
_WIDTH.update({chr(0xFF21 + i): chr(0x41 + i) for i in range(26)})  # Ａ-Ｚ
_WIDTH.update({chr(0xFF41 + i): chr(0x61 + i) for i in range(26)})  # ａ-ｚ
_WIDTH_CHARS = re.compile("[" + re.escape("".join(_WIDTH)) + "]")

_CJK = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=2)
def opencc_converter(config: str):
    """A cached OpenCC converter (``"t2s"``, ``"tw2s"`` …)."""
    import opencc

    return opencc.OpenCC(config)


def is_traditional(text: str, sample: int = 20000) -> bool:
    """True when a noticeable share of the CJK characters are traditional forms."""
    chunk = text[:sample]
    cjk = _CJK.findall(chunk)
    if not cjk:
        return False
    simplified = opencc_converter("t2s").convert("".join(cjk))
    changed = sum(1 for a, b in zip(cjk, simplified) if a != b)
    return changed >= 3 and changed / len(cjk) > 0.02


# Taiwan vocabulary restored to mainland usage, applied after character
# conversion.  OpenCC's own tw2sp phrase table is deliberately not used: it is
# tuned for IT texts and damages official prose (建立→创建, 执行→运行,
# 指标→指针, 整合→集成), so we keep a curated list for the genre instead.
_TW_PHRASES = [
    ("最佳化", "优化"), ("入口网站", "门户网站"), ("网际网路", "互联网"), ("网路", "网络"),
    ("资料库", "数据库"), ("程式", "程序"), ("设定", "设置"), ("资讯", "信息"), ("软体", "软件"),
    ("硬体", "硬件"), ("许可权", "权限"), ("线上", "在线"), ("伺服器", "服务器"), ("数位", "数字"),
    ("作业系统", "操作系统"), ("品质", "质量"), ("透过", "通过"), ("协定", "协议"), ("专案", "专项"),
    ("行动装置", "移动设备"), ("影音", "音视频"), ("晶片", "芯片"), ("列印", "打印"), ("视讯", "视频"),
]
_TW_RE = re.compile("|".join(re.escape(a) for a, _ in _TW_PHRASES) + r"|档案(?![馆局室])")
_TW_MAP = dict(_TW_PHRASES)


def to_simplified(text: str) -> str:
    """Traditional (Taiwan vocabulary) → Simplified Chinese, phrases included.

    最佳化→优化, 檔案→文件, 入口網站→门户网站, 程式→程序, 資料庫→数据库.
    """
    text = opencc_converter("tw2s").convert(text)
    return _TW_RE.sub(lambda m: _TW_MAP.get(m.group(0), "文件"), text)


def fold_width(text: str) -> str:
    """Fold full-width digits, letters, brackets and ,;: to half-width.

    One ``str.replace`` per distinct character present: several times faster than
    ``str.translate`` over a long CJK text (no replacement is itself folded).
    """
    for c in set(_WIDTH_CHARS.findall(text)):
        text = text.replace(c, _WIDTH[c])
    return text


_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# Pinyin that mirror sites inject after characters: 規(guī)劃, 鄉(xiāng)鎮(zhèn).
PINYIN = re.compile(rf"(?<=[\u4e00-\u9fff])[((](?=[a-zü]*[{_TONED}])[a-zü{_TONED}]{{1,7}}[))]")
_TONED_CHAR = re.compile(f"[{_TONED}]")  # in every PINYIN match


def strip_pinyin(text: str) -> str:
    """Remove pinyin annotations injected after Chinese characters (tone-marked syllables in brackets)."""
    if ("(" in text or "(" in text) and _TONED_CHAR.search(text):  # a fast scan; PINYIN's is slow
        return PINYIN.sub("", text)
    return text


def normalize_text(text: str) -> tuple[str, bool]:
    """Normalise a whole document; returns (text, was_traditional)."""
    text = strip_pinyin(text.replace("\r\n", "\n").replace("\r", "\n"))
    trad = is_traditional(text)
    if trad:
        text = to_simplified(text)
    return fold_width(text), trad


def normalize_cell(text: str) -> str:
    """Normalise one short string (a cell, a unit name) the same way."""
    if not text:
        return ""
    text = strip_pinyin(str(text))
    if is_traditional(text):
        text = to_simplified(text)
    return fold_width(text).strip()
