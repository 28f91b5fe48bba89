"""xlsxwriter worksheets that take many plain rows at once: :class:`BulkSheet`, :class:`StyledBulkSheet`.

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
import re
import tempfile
import threading
import zipfile
from bisect import bisect_left
from itertools import chain

import xlsxwriter.packager
import xlsxwriter.workbook
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

MAX_STRING = 32767  # Excel's limit on the characters of a cell
SPOOL_ROWS = 2000  # rows kept as strings before they go to the spool
SPOOL_MEMORY = 8 * 2**20  # bytes of spooled rows kept in memory before a temporary file takes them
SST_CHUNK = 4096  # shared strings escaped and written together (a bounded share of memory)
DEFLATE_LEVEL = 3  # zlib level for large workbooks: a third of level 6's time, about 8 % larger files
_CLOSING = threading.Lock()
_TEXTS = {str, type(None)}  # the value types :meth:`BulkSheet._append_texts` takes


class _LevelZip(zipfile.ZipFile):
    """The zip file xlsxwriter packs into, deflating at :data:`DEFLATE_LEVEL` instead of zlib's default 6."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("compresslevel", DEFLATE_LEVEL)
        super().__init__(*args, **kwargs)


class _SharedStrings(SharedStrings):
    """xlsxwriter's shared-string part with every string written as plain text, in bulk.

    xlsxwriter passes a string that starts with ``<r>`` and ends with ``</r>`` into the part unescaped, as
    rich-text markup (its own ``write_rich_string`` makes such strings; we never do).  A department's answer
    of that shape would be lost from the master, and one like ``<r></r></si><si>…<r></r>`` would write
    arbitrary XML into it.  Here every string is escaped as xlsxwriter escapes plain text (``_xHHHH_`` for
    control characters, ``xml:space`` for edge whitespace, ``&<>``).  xlsxwriter also spends about 4 µs a
    string (four calls, three patterns); strings without control characters or ``_xHHHH_`` look-alikes are
    escaped together, a chunk of :data:`SST_CHUNK` at a time.
    """

    def _write_sst_strings(self) -> None:
        strings = self.string_table.string_array
        for i in range(0, len(strings), SST_CHUNK):
            self.fh.write(_si_elements(strings[i:i + SST_CHUNK]))


def _si_elements(strings: list[str]) -> str:
    """The ``<si>`` elements of ``strings`` (plain text)."""
    big = "\x01".join(strings)  # \x01 is a control character: in no string that takes the bulk path
    if ("_x" in big and _ESCAPE.search(big)) or _CONTROL.search(big) or big.count("\x01") != len(strings) - 1:
        return "".join(map(_si, strings))
    escaped = big.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split("\x01")
    return "".join([f'<si><t xml:space="preserve">{e}</t></si>' if s[:1].isspace() or s[-1:].isspace()
                    else f"<si><t>{e}</t></si>" for s, e in zip(strings, escaped)])


def _si(string: str) -> str:
    """One ``<si>`` element of ``string`` as plain text, escaped as xlsxwriter escapes it."""
    text = _ESCAPE.sub(r"_x005F\g<0>", string)  # a literal _xHHHH_ keeps its text
    text = _CONTROL_CHAR.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text).replace("\ufffe", "_xFFFE_") \
        .replace("\uffff", "_xFFFF_")
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<si><t{space}>{text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}</t></si>'


_ESCAPE = re.compile(r"_x[0-9a-fA-F]{4}_")  # text Excel would read as an escape
_CONTROL = re.compile(r"[\x00\x02-\x08\x0b-\x1f\ufffe\uffff]")  # what the bulk path leaves to _si (\x01: joins)
_CONTROL_CHAR = re.compile(r"[\x00-\x08\x0b-\x1f]")  # control characters, written as _xHHHH_


def close_workbook(wb) -> None:
    """``wb.close()`` with the parts deflated at :data:`DEFLATE_LEVEL` and the shared strings written as plain
    text, in bulk (see :class:`_SharedStrings`); every xlsxwriter workbook of ours is closed through here.

    xlsxwriter has no option for either; its packer's ``ZipFile`` and ``SharedStrings`` are swapped for the
    time of the close (under a lock, so two closing workbooks in one process do not interleave the swap).
    """
    with _CLOSING:
        xlsxwriter.workbook.ZipFile = _LevelZip
        xlsxwriter.packager.SharedStrings = _SharedStrings
        try:
            wb.close()
        finally:
            xlsxwriter.workbook.ZipFile = zipfile.ZipFile
            xlsxwriter.packager.SharedStrings = SharedStrings


class BulkSheet(Worksheet):
    """A worksheet whose :meth:`append_rows` rows are written in one pass when the workbook is closed.

    Finished rows wait in a spool (memory, then a temporary file past :data:`SPOOL_MEMORY` bytes), so a
    sheet of a hundred thousand rows does not hold them all as Python strings.
    """

    def __init__(self) -> None:
        super().__init__()
        self._bulk: list[tuple[int, str]] = []  # (row index, finished row XML) not yet spooled
        self._runs: list[tuple[int, int, int, int]] = []  # spooled runs: (first row, last row, offset, bytes)
        self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)
        self._next = 0  # the first row a bulk row may take

    def append_rows(self, first: int, rows: list[list], heights: list[float], cell_format,
                    number_format=None) -> int:
        """Add ``rows`` (strings, numbers, blanks) from row index ``first``, each with its height in points;
        numbers in ``number_format`` (default ``cell_format``), other cells in ``cell_format``.  Returns the
        next free row index.  Rows must come after earlier bulk rows."""
        if rows and len(set(map(len, rows))) == 1 and set(map(type, chain.from_iterable(rows))) <= _TEXTS:
            return self._append_texts(first, rows, heights, cell_format)
        return self._append_any(first, rows, heights, cell_format, number_format)

    def _append_any(self, first: int, rows: list[list], heights: list[float], cell_format, number_format) -> int:
        """:meth:`append_rows` cell by cell: any values, rows of any width."""
        sst = self.str_table._get_shared_string_index
        text_s = f'" s="{cell_format._get_xf_index()}"'  # format indexes are final once asked for
        number_s = f'" s="{(number_format or cell_format)._get_xf_index()}"'
        starts = [f'<c r="{xl_col_to_name(c)}' for c in range(max(map(len, rows), default=0))]

        def other(start: str, n: str, v) -> str:
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                return f'{start}{n}{number_s}><v>{v!r}</v></c>'
            return f'{start}{n}{text_s} t="s"><v>{sst(str(v)[:MAX_STRING])}</v></c>'

        r = first
        for values, height in zip(rows, heights):
            n = str(r + 1)
            self._add_row(r, "".join([f'{start}{n}{text_s} t="s"><v>{sst(v[:MAX_STRING])}</v></c>'
                                      if v.__class__ is str and v else
                                      f'{start}{n}{text_s}/>' if v is None or v == "" else other(start, n, v)
                                      for start, v in zip(starts, values)]), height, len(values))
            r += 1
        return r

    def _append_texts(self, first: int, rows: list[list], heights: list[float], cell_format) -> int:
        """:meth:`append_rows` for rows of one width holding only strings and blanks (the master's 明细):
        each distinct value is looked up once, and the rows are filled into one ``%`` template, so no Python
        code runs per cell.  The same XML, shared strings and counts as the general path."""
        n = min(len(rows), len(heights))
        if first < self._next:
            raise ValueError("bulk rows must be appended in order")
        table = self.str_table
        flat = list(chain.from_iterable(rows[:n]))
        cells = dict.fromkeys(flat, "/>")  # first appearance: the order the general path meets them in
        for v in cells:
            if v:
                cells[v] = f' t="s"><v>{table._get_shared_string_index(v[:MAX_STRING])}</v></c>'
        table.count += len(flat) - flat.count("") - flat.count(None) - sum(1 for v in cells if v)  # every use
        s = cell_format._get_xf_index()
        template = ('<row r="%s" ht="%s" customHeight="1">'
                    + "".join(f'<c r="{xl_col_to_name(c)}%s" s="{s}"%s' for c in range(len(rows[0]))) + "</row>")
        ht = {h: f"{int(h * 4.0 / 3.0 + 0.5) * 0.75:.16g}" for h in set(heights[:n])}  # as set_row: whole pixels
        numbers = list(map(str, range(first + 1, first + n + 1)))
        args = [numbers, list(map(ht.__getitem__, heights[:n]))]
        for column in zip(*rows[:n]):
            args += (numbers, list(map(cells.__getitem__, column)))
        self._bulk.extend(zip(range(first, first + n), map(template.__mod__, zip(*args))))
        if n:
            self._next = first + n
            self._check_dimensions(first, max(len(rows[0]) - 1, 0))
            self._check_dimensions(first + n - 1, max(len(rows[0]) - 1, 0))
        if len(self._bulk) >= SPOOL_ROWS:
            self._spool_rows()
        return first + n

    def _add_row(self, r: int, cells: str, height: float, width: int) -> None:
        """Row ``r`` of ``width`` cells (their XML), ``height`` points high; rows must come in order."""
        if r < self._next:
            raise ValueError("bulk rows must be appended in order")
        self._next = r + 1
        pixels = int(height * 4.0 / 3.0 + 0.5)  # as set_row: whole pixels
        self._bulk.append((r, f'<row r="{r + 1}" ht="{pixels * 0.75:.16g}" customHeight="1">{cells}</row>'))
        self._check_dimensions(r, max(width - 1, 0))
        if len(self._bulk) >= SPOOL_ROWS:
            self._spool_rows()

    def _spool_rows(self) -> None:
        """Move the rows waiting in memory to the spool, as runs of consecutive rows."""
        bulk, i = self._bulk, 0
        while i < len(bulk):
            j = i
            while j + 1 < len(bulk) and bulk[j + 1][0] == bulk[j][0] + 1:
                j += 1
            data = "".join(xml for _, xml in bulk[i:j + 1]).encode("utf-8")
            self._runs.append((bulk[i][0], bulk[j][0], self._spool.tell(), len(data)))
            self._spool.write(data)
            i = j + 1
        bulk.clear()

    def _write_rows(self) -> None:
        """xlsxwriter's rows and the bulk rows, in row order."""
        self._spool_rows()
        if not self._runs:
            super()._write_rows()
            return
        lo, hi = self.dim_rowmin, self.dim_rowmax
        own = sorted({*(r for r, cells in self.table.items() if cells), *self.row_info, *self.comments})

        def own_rows(first: int, last: int) -> None:  # xlsxwriter's rows from first to last, if any
            k = bisect_left(own, first)
            if k < len(own) and own[k] <= last:
                self.dim_rowmin, self.dim_rowmax = first, last
                super(BulkSheet, self)._write_rows()

        start = lo
        try:
            for first, last, offset, size in self._runs:
                own_rows(start, first - 1)
                self._spool.seek(offset)
                self.fh.write(self._spool.read(size).decode("utf-8"))
                start = last + 1
            own_rows(start, hi)
        finally:
            self.dim_rowmin, self.dim_rowmax = lo, hi
            self._spool.close()


_LETTERS = [chr(65 + c) for c in range(26)]  # column names A..Z


class StyledBulkSheet(BulkSheet):
    """A :class:`BulkSheet` whose bulk rows have a format per cell (the task table,
    the forms' task rows): thousands of rows of strings and blanks written without a record per cell."""

    def __init__(self) -> None:
        super().__init__()
        self._styles: dict[tuple, list[tuple[str, str, str]]] = {}  # a row's formats -> its cells' XML parts

    def append_cells(self, r: int, values: list, formats: list, height: float) -> None:
        """Add row ``r`` (after the bulk rows added before, on no row written otherwise): strings and blanks
        ("" or None), each in its format, ``height`` points high; at most 26 columns."""
        styles = self._styles.get(key := tuple(formats))
        if styles is None:
            styles = self._styles[key] = [(f'<c r="{col}', f'" s="{f._get_xf_index()}" t="s"><v>',
                                           f'" s="{f._get_xf_index()}"/>') for col, f in zip(_LETTERS, formats)]
        sst, n = self.str_table._get_shared_string_index, str(r + 1)
        self._add_row(r, "".join([f"{start}{n}{text}{sst(v[:MAX_STRING])}</v></c>" if v else f"{start}{n}{blank}"
                                  for (start, text, blank), v in zip(styles, values)]), height, len(values))
