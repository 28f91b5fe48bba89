"""Row heights for wrapped text: xlsxwriter cannot autofit, and Excel/LibreOffice
keep the default height of rows written without one, clipping wrapped cells.
"""

from __future__ import annotations

MAX_ROW_HEIGHT = 409  # points, Excel's maximum


def text_width(text: str) -> float:
    """Width of text in column-width units: a CJK or full-width character counts 1.8.

    Counted in bulk from the UTF-8 length (two extra bytes per CJK character),
    not character by character: the writers size thousands of rows.
    """
    n = len(text)
    return n + 0.4 * (len(text.encode("utf-8", "surrogatepass")) - n)


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
    lines = [min_lines] * len(rows)
    for c, width in enumerate(widths):
        usable = max(width - margin, 1.0)
        column = [row[c] if c < len(row) else "" for row in rows]
        try:  # a column of short single-line texts (ids, units, dates) settled at once
            if max(map(len, column), default=0) * 1.8 <= usable and "\n" not in "".join(column):
                continue
        except TypeError:  # numbers or blanks among the texts: cell by cell
            pass
        seen: dict[str, int] = {}
        for i, row in enumerate(rows):
            text = row[c] if c < len(row) else None
            if not text or type(text) is not str:
                continue
            n = seen.get(text)
            if n is None:
                n = seen[text] = cell_lines(text, usable)
            if n > lines[i]:
                lines[i] = n
    return [min(line * n + pad, MAX_ROW_HEIGHT) for n in lines]
