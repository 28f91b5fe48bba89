"""Row heights for wrapped text: xlsxwriter cannot autofit, and Excel/LibreOffice
keep the default height of rows written without one, clipping wrapped cells.
"""

from __future__ import annotations

from itertools import repeat
from operator import methodcaller

MAX_ROW_HEIGHT = 409  # points, Excel's maximum


def text_width(text: str) -> float:
    """Width of text in column-width units: a CJK or full-width character counts 1.8.

    Counted in bulk from the UTF-8 length (two extra bytes per CJK character),
    not character by character: the writers size thousands of rows.
    """
    return _width(len(text), len(_UTF8(text)))


def _width(chars: int, utf8_bytes: int) -> float:
    """:func:`text_width` of a text of ``chars`` characters taking ``utf8_bytes`` bytes in UTF-8."""
    return chars + 0.4 * (utf8_bytes - chars)


def cell_lines(text: str, usable: float) -> int:
    """Lines a wrapped cell of ``text`` takes in a column ``usable`` width units wide (the one estimate)."""
    if 1.8 * len(text) <= usable:  # a short cell is settled without splitting it
        return text.count("\n") + 1
    if "\n" in text:
        return sum(max(1, -(-int(text_width(part)) // int(usable))) for part in text.split("\n"))
    return -(-int(text_width(text)) // int(usable))


def row_height(cells: list, widths: list[float], line: float = 13.5, min_lines: int = 1, margin: float = 1.0,
               pad: float = 3.0) -> float:
    """Height (points) that shows every wrapped cell of a row in full.

    ``margin``: column-width units lost to the cell's padding; ``pad``: points
    added to the lines.  Numbers and empty cells take one line.
    """
    lines = min_lines
    for text, width in zip(cells, widths):
        if not text or type(text) is not str:
            continue
        n = cell_lines(text, max(width - margin, 1.0))
        if n > lines:
            lines = n
    return min(line * lines + pad, MAX_ROW_HEIGHT)


def row_heights(rows: list[list], widths: list[float], line: float = 13.5, min_lines: int = 1,
                margin: float = 1.0, pad: float = 3.0) -> list[float]:
    """:func:`row_height` of each of ``rows``, worked out a column at a time: a text repeated down a column
    (a task's title on every unit's row, a status, a date) is measured once."""
    if not rows:
        return []
    if len(set(map(len, rows))) == 1 and len(rows[0]) >= len(widths):  # the usual table: transposed at once
        columns = list(zip(*rows))
    else:
        columns = [[row[c] if c < len(row) else "" for row in rows] for c in range(len(widths))]
    lines = [min_lines] * len(rows)
    for column, width in zip(columns, widths):
        usable = max(width - margin, 1.0)
        try:  # a column of short single-line texts (ids, units, dates) settled at once
            if max(map(len, column)) * 1.8 <= usable and "\n" not in "".join(column):
                continue
        except TypeError:  # numbers or blanks among the texts
            pass
        lines = list(map(max, lines, column_lines(column, usable)))
    heights = {n: min(line * n + pad, MAX_ROW_HEIGHT) for n in set(lines)}
    return list(map(heights.__getitem__, lines))


def column_lines(column, usable: float) -> list[int]:
    """:func:`cell_lines` of each cell of ``column`` (0 for numbers and blanks), each distinct text measured once
    and texts without line breaks measured together."""
    try:
        distinct = dict.fromkeys(column)
    except TypeError:  # an unhashable value: not text
        distinct = dict.fromkeys(v for v in column if v.__class__ is str)
    texts = [v for v in distinct if v and v.__class__ is str]
    plain = [t for t in texts if "\n" not in t] if "\n" in "".join(texts) else texts
    u = int(usable)
    lines = dict(zip(plain, [-(-int(_width(n, b)) // u) for n, b in zip(map(len, plain), map(len, map(_UTF8, plain)))]))
    if len(plain) < len(texts):
        lines.update((t, cell_lines(t, usable)) for t in texts if "\n" in t)
    try:
        return list(map(lines.get, column, repeat(0)))
    except TypeError:  # an unhashable value: not text
        return [lines.get(v, 0) if v.__class__ is str else 0 for v in column]


_UTF8 = methodcaller("encode", "utf-8", "surrogatepass")
