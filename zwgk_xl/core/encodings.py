"""Chinese text encodings: the one map from the labels files and mails carry to the codec that reads them.

GB2312 and GBK labels are read as GB18030, their superset: Chinese software
often writes characters outside the label's repertoire under the older name.
"""

from __future__ import annotations

CJK_CODECS = {
    "gb2312": "gb18030", "gbk": "gb18030", "xgbk": "gb18030", "cp936": "gb18030", "gb18030": "gb18030",
    "hz": "hz", "big5": "big5", "big5hkscs": "big5hkscs", "cp950": "cp950",
}


def codec_for(label: str | None) -> str | None:
    """The codec for a charset label (GB2312, x-gbk, Big5 …), or None when it is not a Chinese one."""
    if not label:
        return None
    return CJK_CODECS.get(label.lower().replace("-", "").replace("_", ""))


def decode_8bit(raw: bytes) -> str:
    """Bytes of unknown encoding from Chinese software: UTF-8, else GB18030, else Big5, else with replacements."""
    for codec in ("utf-8", "gb18030", "big5"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")
