"""Row heights for wrapped text: xlsxwriter cannot autofit, and Excel/LibreOffice
keep the default height of rows written without one, clipping wrapped cells."""

from __future__ import annotations

MAX_ROW_HEIGHT = 409  # points, Excel's maximum


def text_width(text: str) -> float:
    """Width of text in column-width units: a CJK or full-width character counts 1.8.

    Counted in bulk from the UTF-8 length (two extra bytes per CJK character),
    not character by character: the writers size thousands of rows.
    """
    n = len(text)
    return n + 0.4 * (len(text.encode("utf-8", "surrogatepass")) - n)


def row_height(cells: list, widths: list[float], line: float = 13.5, min_lines: int = 1, margin: float = 1.0,
               pad: float = 3.0) -> float:
    """Height (points) that shows every wrapped cell of a row in full.

    ``margin``: column-width units lost to the cell's padding; ``pad``: points
    added to the lines.  Numbers and empty cells take one line; a short cell is
    settled without splitting it.
    """
    lines = min_lines
    for text, width in zip(cells, widths):
        if not text or type(text) is not str:
            continue
        usable = max(width - margin, 1.0)
        if 1.8 * len(text) <= usable:
            n = text.count("\n") + 1
        elif "\n" in text:
            n = sum(max(1, -(-int(text_width(part)) // int(usable))) for part in text.split("\n"))
        else:
            n = -(-int(text_width(text)) // int(usable))
        if n > lines:
            lines = n
    return min(line * lines + pad, MAX_ROW_HEIGHT)
