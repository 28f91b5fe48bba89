"""User-facing Chinese text uses full-width punctuation (GB/T 15834): no half-width , : ; ( ) next to Chinese.

The check reads every ordinary string literal of the package (raw strings are patterns; docstrings are
English, except the CLI's, which are its help) and fails on a half-width mark touching a Chinese character.
ASCII stays where it belongs: numbers, dates, codes, f-string fields.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import zwgk_xl

PKG = Path(zwgk_xl.__file__).parent
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”「」《》、。]")
HALF = re.compile(r"(?<=[\u4e00-\u9fff\uff00-\uffef“”「」《》、。])[,:;()]|[,;()](?=[\u4e00-\u9fff“「《])")
# Data, not messages: unit names and addressee phrases as the parser normalises them (half-width brackets).
EXEMPT = {"core/units.py", "data/build_samples.py", "decompose/topics.py"}
HAN = re.compile(r"[\u4e00-\u9fff]{2}")  # a message has Chinese words; a set of marks to strip does not


def _outside_fields(body: str) -> str:
    """An f-string's literal text with each {field} standing as one Chinese character (it is text in the message)."""
    return re.sub(r"\{[^{}]*\}", "字", body.replace("{{", "  ").replace("}}", "  "))


def half_width_marks(source: str, docstrings: bool) -> list[str]:
    """Snippets around half-width marks touching Chinese in ``source``'s string literals."""
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.STRING:
            continue
        m = re.match(r"^([rRbBuUfF]*)('''|\"\"\"|'|\")", tok.string)
        prefix, quote = m.group(1).lower(), m.group(2)
        if "r" in prefix or "b" in prefix or (len(quote) == 3 and not docstrings):
            continue
        body = tok.string[len(m.group(1)) + len(quote): -len(quote)]
        body = _outside_fields(body) if "f" in prefix else body
        if not HAN.search(body) or body.startswith("="):  # no Chinese words, or a spreadsheet formula
            continue
        for hit in HALF.finditer(body):
            found.append(f"line {tok.start[0]}: …{body[max(0, hit.start() - 8): hit.end() + 8]}…")
    return found


def _files():
    for path in sorted(PKG.rglob("*.py")):
        if path.relative_to(PKG).as_posix() not in EXEMPT:
            yield path


def test_user_facing_text_uses_full_width_punctuation():
    bad = {}
    for path in _files():
        hits = half_width_marks(path.read_text(encoding="utf-8"), docstrings=path.name == "cli.py")
        if hits:
            bad[str(path.relative_to(PKG))] = hits[:5]
    assert not bad, bad


def test_the_check_finds_half_width_marks():
    src = 'x = f"已写出{n}个,请核对:{p}"\ny = r"(a|b),"\nz = "2021-06-25 10:30 (UTC)"\n'
    assert len(half_width_marks(src, docstrings=False)) == 2
