"""An xlsxwriter worksheet that takes many plain rows at once: :class:`BulkSheet`.

xlsxwriter spends about 8 µs per cell (a record per cell, then one call per
cell and attribute when the sheet is assembled); the master's 明细 sheet has
one row per task × unit, a quarter of a million cells for a county of 300
units.  A bulk row here is kept as its finished ``<row>`` XML: strings still go
through xlsxwriter's shared-string table (its escaping, its count), numbers
and blanks are written as they are, every cell of a row shares one format and
the row one height.  Everything else on the sheet (headers, merged titles,
notes, column widths, filters, conditional formats, print setup) is written
by xlsxwriter as usual, and the rows of both kinds are emitted in order.

The class overrides ``Worksheet._write_rows``, a private method: the tests
read the written files back with openpyxl, python-calamine and LibreOffice.
"""

from __future__ import annotations

import math

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

MAX_STRING = 32767  # Excel's limit on the characters of a cell


class BulkSheet(Worksheet):
    """A worksheet whose :meth:`append_rows` rows are written in one pass when the workbook is closed."""

    def __init__(self) -> None:
        super().__init__()
        self._bulk: list[tuple[int, str]] = []  # (row index, finished XML with {s}/{n} for the format indexes)
        self._bulk_formats: list[tuple] = []  # (text format, number format) of each bulk row

    def append_rows(self, first: int, rows: list[list], heights: list[float], cell_format,
                    number_format=None) -> int:
        """Add ``rows`` (strings, numbers, blanks) from row index ``first``, each with its height in points;
        numbers in ``number_format`` (default ``cell_format``), other cells in ``cell_format``.  Returns the
        next free row index.  Rows must come after earlier bulk rows."""
        if self._bulk and first <= self._bulk[-1][0]:
            raise ValueError("bulk rows must be appended in order")
        sst = self.str_table._get_shared_string_index
        starts = [f'<c r="{xl_col_to_name(c)}' for c in range(max(map(len, rows), default=0))]

        def other(start: str, n: str, v) -> str:
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                return f'{start}{n}" s="{{n}}"><v>{v!r}</v></c>'
            return f'{start}{n}" s="{{s}}" t="s"><v>{sst(str(v)[:MAX_STRING])}</v></c>'

        out = self._bulk
        r = first
        for values, height in zip(rows, heights):
            n = str(r + 1)
            cells = "".join([f'{start}{n}" s="{{s}}" t="s"><v>{sst(v[:MAX_STRING])}</v></c>'
                             if v.__class__ is str and v else
                             f'{start}{n}" s="{{s}}"/>' if v is None or v == "" else other(start, n, v)
                             for start, v in zip(starts, values)])
            pixels = int(height * 4.0 / 3.0 + 0.5)  # as set_row: whole pixels
            out.append((r, f'<row r="{n}" ht="{pixels * 0.75:.16g}" customHeight="1">{cells}</row>'))
            self._bulk_formats.append((cell_format, number_format or cell_format))
            r += 1
        if r > first:
            last_col = max(len(v) for v in rows) - 1
            self._check_dimensions(first, 0)
            self._check_dimensions(r - 1, max(last_col, 0))
        return r

    def _write_rows(self) -> None:
        """xlsxwriter's rows and the bulk rows, in row order."""
        if not self._bulk:
            super()._write_rows()
            return
        lo, hi = self.dim_rowmin, self.dim_rowmax
        own = sorted({*(r for r, cells in self.table.items() if cells), *self.row_info, *self.comments})
        bulk, i, start = self._bulk, 0, lo
        try:
            while i < len(bulk):
                run_first = bulk[i][0]
                j = i
                while j + 1 < len(bulk) and bulk[j + 1][0] == bulk[j][0] + 1:
                    j += 1
                if any(start <= r < run_first for r in own):
                    self.dim_rowmin, self.dim_rowmax = start, run_first - 1
                    super()._write_rows()
                write = self.fh.write
                for k in range(i, j + 1):
                    text, number = self._bulk_formats[k]
                    write(bulk[k][1].replace("{s}", str(text._get_xf_index()))
                          .replace("{n}", str(number._get_xf_index())))
                start, i = bulk[j][0] + 1, j + 1
            if any(start <= r <= hi for r in own):
                self.dim_rowmin, self.dim_rowmax = start, hi
                super()._write_rows()
        finally:
            self.dim_rowmin, self.dim_rowmax = lo, hi
