"""Noise characters that mirror sites insert into a text (``深化政府连迁嚷龙信息公开``), found without a second copy.

A statistical model of Chinese: the character pairs (bigrams) that occur inside
dictionary words (jieba's word list, MIT licence) or in public 政务 texts, and
the 2,000 commonest characters.  A run of 3–4 characters is suspect when
*every* pair touching it is unknown, at least one of its characters is
uncommon, and the text reads on once the run is taken out (the pair across
the gap is known).  It is removed when the pair across the gap occurs inside
dictionary words (a known phrase was cut open); otherwise it is only flagged.

Tuned leaving each corpus document out of the table in turn: one suspect run
(a rare word) in 58,000 characters of clean text; in seed 004 every inserted
run of three or more characters is found.

The table lives in :mod:`zwgk_xl.parse.noise_table`; rebuild it with
``python -m zwgk_xl.parse.noise DICT.txt TEXT…`` (needs the dictionary file only).
"""

from __future__ import annotations

import base64
import re
import sys
import zlib
from functools import lru_cache

from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import Finding, Node

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_MIN_RUN, _MAX_RUN = 3, 4


@lru_cache(maxsize=1)
def _table() -> tuple[frozenset, frozenset, str, re.Pattern]:
    """(dictionary pairs, all known pairs, common characters, regex of an uncommon character)."""
    from zwgk_xl.parse import noise_table as t

    def pairs(blob: str) -> frozenset:
        return frozenset(re.findall("..", zlib.decompress(base64.b64decode(blob)).decode("utf-8")))

    words = pairs(t.WORD_PAIRS)
    known = words | pairs(t.TEXT_PAIRS)
    common = zlib.decompress(base64.b64decode(t.COMMON)).decode("utf-8")
    rare = re.compile("[^" + re.escape(common) + r"\W\da-zA-Z]")
    return words, known, common, rare


def _cjk(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def suspect_runs(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, strong) of each run that reads as inserted noise; strong runs may be removed."""
    if len(text) < _MIN_RUN + 2:
        return []
    words, known, _common, rare = _table()
    if not rare.search(text):
        return []
    out: list[tuple[int, int, bool]] = []
    taken = -1
    n = len(text)
    for m in rare.finditer(text):
        p = m.start()
        if p <= taken or p == 0 or (text[p - 1:p + 1] in known and text[p:p + 2] in known):
            continue  # an uncommon character inside words
        best = None
        for length in range(_MAX_RUN, _MIN_RUN - 1, -1):
            for i in range(max(1, p - length + 1), p + 1):
                j = i + length
                if j >= n or i <= taken:
                    continue
                span = text[i - 1: j + 1]
                if not _CJK_RUN.fullmatch(span, 0, len(span) - 1):
                    continue
                if span[1:3] in known or span[2:4] in known or (length == 4 and span[3:5] in known):
                    continue  # a pair inside the run is a word: not noise
                gap = text[i - 1] + text[j]
                joined = span[:2] in known or span[-2:] in known
                if joined and gap not in known:
                    continue  # the run joins its neighbours, and the text does not read on without it
                if gap in known or not _cjk(text[j]):
                    strong = gap in words and not joined
                    if best is None or (strong and not best[2]):
                        best = (i, j, strong)
            if best:
                break
        if best:
            out.append(best)
            taken = best[1]
    return out


_PLACE_END = ("区", "县", "市", "州", "镇", "乡", "旗", "盟")


def clean(text: str) -> tuple[str, list[tuple[str, bool]]]:
    """The text with strong runs removed, and every suspect run found (run, removed).

    A weak run ending like a place name (拱墅区) is a name with rare characters, not noise.
    """
    runs = [r for r in suspect_runs(text) if r[2] or not text[r[1] - 1] in _PLACE_END]
    if not runs:
        return text, []
    found = [(text[i:j], strong) for i, j, strong in runs]
    for i, j, strong in reversed(runs):
        if strong:
            text = text[:i] + text[j:]
    return text, found


def mark_noise(roots: list[Node], warnings: list[Finding]) -> None:
    """Remove strong noise runs from titles and texts, flag every suspect run on its node (警告)."""
    for r in roots:
        for n in r.walk():
            n.text, seen = clean(n.text)
            if n.title:
                for run, removed in seen:
                    if removed:
                        n.title = n.title.replace(run, "")
                if n.title not in n.text:
                    n.title, more = clean(n.title)
                    seen += [f for f in more if f not in seen]
            for run, removed in seen:
                what = "已删除" if removed else "请对照原文核对"
                n.warnings.append(f"疑似网页插入的噪声字符「{run}」，{what}")
                warnings.append(fk.finding(
                    "parse-noise", f"第{n.source.line or n.source.row or 0}行（{n.id}）：疑似噪声字符「{run}」，{what}",
                    line=n.source.line or 0))


# ---------------------------------------------------------------------------
# Building the table


def build_table(dict_path: str, texts: list[str], min_freq: int = 20, n_common: int = 2000) -> str:
    """Source of ``noise_table.py`` from a jieba-format dictionary (word freq tag) and plain texts."""
    from collections import Counter

    from zwgk_xl.parse.normalize import normalize_text

    pair_freq: Counter = Counter()
    char_freq: Counter = Counter()
    with open(dict_path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            w, freq = parts[0], int(parts[1])
            for ch in w:
                char_freq[ch] += freq
            for a, b in zip(w, w[1:]):
                pair_freq[a + b] += freq
    is_cjk = re.compile(r"^[\u4e00-\u9fff]{2}$")
    words = sorted(p for p, n in pair_freq.items() if n >= min_freq and is_cjk.match(p))
    text_pairs: Counter = Counter()
    for t in texts:
        norm, _ = normalize_text(t)
        text_pairs.update(a + b for a, b in zip(norm, norm[1:]) if is_cjk.match(a + b))
    word_set = set(words)
    extra = sorted(p for p in text_pairs if p not in word_set)
    common = "".join(ch for ch, _ in char_freq.most_common(n_common) if _CJK.match(ch))

    def blob(s: str) -> str:
        return base64.b64encode(zlib.compress(s.encode("utf-8"), 9)).decode("ascii")

    lines = ['"""Data for :mod:`zwgk_xl.parse.noise` (generated; do not edit): character pairs inside',
             "jieba dictionary words (frequency >= %d, MIT licence), pairs of public 政务 texts, the %d commonest"
             % (min_freq, n_common),
             'characters.  Each is zlib-compressed UTF-8 in base64."""', ""]
    for name, s in (("WORD_PAIRS", "".join(words)), ("TEXT_PAIRS", "".join(extra)), ("COMMON", common)):
        b = blob(s)
        lines.append(f"{name} = (")
        lines += [f'    "{b[k:k + 96]}"' for k in range(0, len(b), 96)]
        lines.append(")")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m zwgk_xl.parse.noise DICT.txt TEXT... > zwgk_xl/parse/noise_table.py
    sys.stdout.write(build_table(sys.argv[1], [open(p, encoding="utf-8").read() for p in sys.argv[2:]]))
