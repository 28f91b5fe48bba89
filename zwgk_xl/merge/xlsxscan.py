"""What python-calamine does not tell of a workbook, read from the package with a few regular expressions.

* :func:`member`: one zip member inflated, never past its declared size (a member lying about it is a zip bomb);
* :func:`sheet_parts`: sheet name -> worksheet part, from workbook.xml and its rels;
* :func:`scan`: a sheet's cells beyond the size limits, formulas without a cached value, error values, and
  the text to keep for those and for HYPERLINK formulas;
* :func:`trimmed`: the sheet without its cells beyond the limits, every other cell with its reference;
* :func:`ods_extents`, :func:`xls_extents`: the rows and columns each sheet of an .ods or .xls spans, read before calamine
  opens it (it expands and allocates every sheet when it opens those).

Cell values themselves are python-calamine's.  calamine allocates the whole rectangle spanned by the cells
holding a value, so a sheet's far cells must be found before calamine reads it.  The common sheet costs a
few scans in C: only a cell reference as long as the limits' own, or a cell tag not led by its reference,
sends the sheet to :func:`_walk`, which places every cell as calamine does (slower, Python per tag).
"""

from __future__ import annotations

import html
import io
import re
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass, field


class Broken(Exception):
    """The package is damaged or lies about its sizes: ``kind`` is a finding slug, ``message`` says why."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


@dataclass(slots=True)
class Entry:
    """One member of a zip directory as :func:`directory` reads it: the fields of ``zipfile.ZipInfo`` that
    checking and inflating it needs, with the same values."""

    filename: str
    header_offset: int
    flag_bits: int
    compress_type: int
    CRC: int
    compress_size: int
    file_size: int


_END = struct.Struct("<4s4H2LH")  # end of central directory: signature, disks, entries, size, offset, comment
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # one central directory header (zipfile's structCentralDir)
_EXTRA = struct.Struct("<2H")


def directory(data: bytes) -> list[Entry] | None:
    """The zip directory of ``data`` read in one pass, when it is a plain one (no archive comment, no Zip64,
    no bytes before the archive, names without NUL or backslash, extra fields well formed and not Zip64):
    what spreadsheet programs write.  Anything else is None, for ``zipfile`` to read (or refuse) as it does;
    a plain directory gives the entries ``zipfile.ZipFile(...).infolist()`` gives."""
    end = len(data) - _END.size
    if end < 20 or data[end - 20:end - 16] == b"PK\x06\x07":  # too short to tell, or a Zip64 locator
        return None
    signature, _, _, _, _, size, offset, comment = _END.unpack_from(data, end)
    if signature != b"PK\x05\x06" or comment or offset + size != end:
        return None
    out, pos, unpack = [], offset, _CENTRAL.unpack_from
    while pos < end:
        if pos + 46 > end:
            return None
        (signature, _, _, version, _, flags, method, _, _, crc, packed, unpacked, name_length, extra_length,
         comment_length, _, _, _, header) = unpack(data, pos)
        start = pos + 46 + name_length
        pos = start + extra_length + comment_length
        if signature != b"PK\x01\x02" or version > 63 or pos > end or 0xFFFFFFFF in (packed, unpacked, header):
            return None
        if extra_length and not _plain_extra(data[start:start + extra_length]):
            return None
        name = data[start - name_length:start]
        try:  # ASCII reads alike in both encodings (and at C speed)
            name = name.decode("ascii" if name.isascii() else "utf-8" if flags & 0x800 else "cp437")
        except UnicodeDecodeError:
            return None
        if "\0" in name or "\\" in name:
            return None
        out.append(Entry(name, header, flags, method, crc, packed, unpacked))
    return out


def _plain_extra(extra: bytes) -> bool:
    """Whether an entry's extra field is well formed and holds no Zip64 sizes (zipfile reads those)."""
    while len(extra) >= 4:
        kind, size = _EXTRA.unpack_from(extra)
        if kind == 1 or size + 4 > len(extra):
            return False
        extra = extra[size + 4:]
    return True


def member(data: bytes, info: Entry | zipfile.ZipInfo) -> bytes:
    """The inflated content of one member of the zip ``data``, never more than its declared size."""
    pos = info.header_offset
    if info.flag_bits & 0x1 or data[pos:pos + 4] != b"PK\x03\x04":
        raise Broken("unreadable", f"压缩包内 {info.filename} 已加密或位置信息有误，文件已损坏。")
    nlen, xlen = struct.unpack_from("<2H", data, pos + 26)
    raw = data[pos + 30 + nlen + xlen:pos + 30 + nlen + xlen + info.compress_size]
    if info.compress_type == zipfile.ZIP_DEFLATED:
        try:
            out = zlib.decompressobj(-15).decompress(raw, info.file_size + 1)
        except zlib.error as e:
            raise Broken("unreadable", f"压缩包内 {info.filename} 无法解压（{e}），文件已损坏。") from None
    elif info.compress_type == zipfile.ZIP_STORED:
        out = raw
    else:
        raise Broken("unreadable", f"压缩包内 {info.filename} 的压缩方式（{info.compress_type}）无法读取。")
    if len(out) > info.file_size:
        raise Broken("zip-bomb", f"压缩包内 {info.filename} 解压后超过声明的 {info.file_size:,} 字节，"
                                 f"疑似“压缩炸弹”，未继续解压。")
    if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
        raise Broken("unreadable", f"压缩包内 {info.filename} 的内容与校验值不符，文件已损坏。")
    return out


# An element's namespace prefix: calamine matches elements by their local names, whatever the prefix (any XML
# name: letters beyond ASCII, digits, ``.``, ``-``, ``_``); attributes by their names as written.
_NS = rb"(?:[\w.\-\x80-\xff]+:)?"
_ATTR = re.compile(rb"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_SHEET = re.compile(rb"<%ssheet\b([^<>]*)>" % _NS)
_REL = re.compile(rb"<%sRelationship\b([^<>]*)>" % _NS)


def _attrs(text: bytes) -> dict[str, str]:
    return {k.decode("ascii", "replace"): _unescape((a or b).decode("utf-8", "replace"))
            for k, a, b in _ATTR.findall(text)}


def _unescape(text: str) -> str:
    return html.unescape(text) if "&" in text else text


def sheet_parts(workbook: bytes, rels: bytes) -> dict[str, str]:
    """Sheet name -> the zip path of its part (``xl/worksheets/sheet1.xml``), from workbook.xml and its rels
    (a target is taken as written: one naming ``..`` is the caller's to distrust)."""
    targets = {a.get("Id"): a.get("Target", "") for a in map(_attrs, _REL.findall(rels))}
    out = {}
    for a in map(_attrs, _SHEET.findall(workbook)):
        target = targets.get(next((v for k, v in a.items() if k == "id" or k.endswith(":id")), None))
        if "name" in a and target:
            out[a["name"]] = target[1:] if target.startswith("/") else "xl/" + target
    return out


# ---------------------------------------------------------------------------
# Sheets


def column_letter(index: int) -> str:
    """0-based column index -> A, B, …, AA."""
    s = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        s = chr(65 + r) + s
    return s


def ref_position(ref: str) -> tuple[int, int] | None:
    """"B7" -> (6, 1) (0-based row, column); None for anything else ("A0" included)."""
    m = _REF.fullmatch(ref)
    if not m or m.group(2).startswith("0"):
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


_REF = re.compile(r"([A-Z]{1,7})([0-9]{1,12})")
_PATTERNS: dict[tuple[int, int], tuple[re.Pattern, re.Pattern]] = {}
_POSSESSIVE = b"+" if sys.version_info >= (3, 11) else b""  # a quantifier's ``+`` suffix (re of Python 3.11)


def _patterns(max_rows: int, max_cols: int) -> tuple[re.Pattern, re.Pattern]:
    """(unusual, suspect) for these limits.  A reference is short when it has fewer letters and digits than
    the limits' own, so surely within them.

    ``suspect``: a cell tag not led by a short reference, or carrying a second ``r`` (calamine takes the
    last): such a sheet is walked cell by cell.  ``unusual``: a formula, or a cell tag other than a short
    reference with at most a style and a plain type (no error): a sheet without one (nor a namespace prefix
    before a cell or formula tag) needs no more looking.
    """
    key = (max_rows, max_cols)
    if key not in _PATTERNS:
        letters = next(k for k in range(8) if sum(26 ** i for i in range(1, k + 2)) > max_cols)
        digits = next(k for k in range(13) if 10 ** (k + 1) - 1 > max_rows)
        # possessive where re has it (3.11): what follows each part cannot start it, so backtracking finds nothing
        p = _POSSESSIVE
        short = rb' r="[A-Z]{1,%d}%s[1-9][0-9]{0,%d}%s"' % (letters, p, digits - 1, p) if letters and digits \
            else b"(?!)"
        unusual = rb'<(?:c(?!%s(?: s="[0-9]{1,5}%s")?%s(?: t="(?:s|str|inlineStr|n|b)")?%s/?>)|f)[\s/>]' % (
            short, p, p, p)
        suspect = rb"<%sc(?=[\s/>])(?!%s(?![^<>]*\sr\s*=))" % (_NS, short)
        _PATTERNS[key] = re.compile(unusual), re.compile(suspect)
    return _PATTERNS[key]


_TAG = re.compile(rb"<(/?)%s(row|c|v|is)(?=[\s/>])([^<>]*?)(/?)>" % _NS)
_C_NAME = re.compile(rb"<%sc" % _NS)  # a cell tag's name, its prefix included
_R = re.compile(rb"(?:^|\s)r\s*=\s*[\"']([^\"']*)[\"']")


def _walk(xml: bytes):
    """Yield ``(start, end, tag end, row, column, content, explicit)`` for every cell of the sheet XML, placed as
    calamine places it: at its ``r`` (``explicit``), else after the previous cell of its row (a row at its
    ``r``, else after the previous row).  A cell naming no valid place, or several, is placed at row -1, so it is
    never read.  ``content``: it holds a value or an inline string."""
    row, col, cell = -1, 0, None
    for m in _TAG.finditer(xml):
        close, name, attrs, empty = m.groups()
        if name == b"c" and (close or cell is not None):  # the cell ends (an unclosed one where the next starts)
            if cell is not None:
                cell[1] = m.end() if close else m.start()
                yield tuple(cell)
                cell = None
            if close:
                continue
        if name == b"row" and not close:
            refs = _R.findall(attrs)
            row = int(refs[0]) - 1 if len(refs) == 1 and refs[0].isdigit() and refs[0][:1] != b"0" else row + 1
            col = 0
        elif name == b"c":
            refs = _R.findall(attrs)
            pos = ref_position(refs[0].decode("ascii", "replace")) if len(refs) == 1 else (row, col) if not refs \
                else None
            pos = pos or (-1, -1)
            col = pos[1] + 1
            cell = [m.start(), m.end(), m.end(), pos[0], pos[1], False, bool(refs)]
            if empty:
                yield tuple(cell)
                cell = None
        elif cell is not None and not close and (name == b"is" or not empty):
            cell[5] = True
    if cell is not None:
        cell[1] = len(xml)
        yield tuple(cell)


@dataclass
class SheetScan:
    """What :func:`scan` found in one sheet's XML."""

    outside: tuple[int, str] = (0, "")  # cells with content beyond the limits: (count, first ref)
    formula_cells: set[str] = field(default_factory=set)  # formula without a cached value
    error_cells: dict[str, str] = field(default_factory=dict)  # ref -> "#DIV/0!"
    formula_texts: dict[str, str] = field(default_factory=dict)  # ref -> "=…" (see :func:`scan`)
    hyperlinks: bool = False  # some formula is a HYPERLINK


def far_cells(xml: bytes, max_rows: int, max_cols: int) -> tuple[int, tuple[int, int]] | None:
    """(count, first place) of the cells with content beyond ``max_rows`` × ``max_cols``; None when there is
    none (mostly seen in C)."""
    if not _patterns(max_rows, max_cols)[1].search(xml):
        return None
    n, first = 0, None
    for c in _walk(xml):
        if c[5] and not (0 <= c[3] < max_rows and 0 <= c[4] < max_cols):
            n, first = n + 1, min(first, c[3:5]) if first else c[3:5]
    return (n, first) if n else None


def trimmed(xml: bytes, max_rows: int, max_cols: int) -> bytes:
    """The sheet XML without its cells beyond the limits (or without a valid place), every cell without a
    reference given the one :func:`_walk` gave it, so that calamine places them alike.  Raises :class:`Broken`
    when that would make the sheet much larger (countless cells without references)."""
    out, at = io.BytesIO(), 0
    for start, end, tag_end, row, col, _, explicit in _walk(xml):
        if not (0 <= row < max_rows and 0 <= col < max_cols):
            out.write(xml[at:start])
            at = end
        elif not explicit:
            name = _C_NAME.match(xml, start, tag_end).group(0)
            out.write(xml[at:start] + name + b' r="%s%d"' % (column_letter(col).encode(), row + 1))
            at = start + len(name)
        if out.tell() > 2 * len(xml) + (1 << 20):
            raise Broken("cells-out-of-range", "工作表中没有位置标记的单元格多得异常，为免占满内存未读取；请对方重新保存后再发。")
    out.write(xml[at:])
    return out.getvalue()


# One cell element whose body holds no other cell tag (so a damaged sheet is still scanned in linear time).
_CELL = re.compile(rb"<%sc(?=[\s/>])([^<>]*?)(?:/>|>((?:[^<]|<(?!/?%sc[\s/>]))*)</%sc>)" % (_NS, _NS, _NS))
_CELL_R = re.compile(rb'\br\s*=\s*"([A-Z]{1,7}[0-9]{1,12})"')
_ERROR_TYPE = re.compile(rb"\bt\s*=\s*[\"']e[\"']")
_F = re.compile(rb"<%sf\b[^<>]*?(?:/>|>([^<]*)</%sf>)" % (_NS, _NS))
_V = re.compile(rb"<%sv>([^<]*)</%sv>" % (_NS, _NS))
_IS = re.compile(rb"<%sis\b" % _NS)
_F_TAG = re.compile(rb"<%sf[\s/>]" % _NS)
_HYPERLINK = re.compile(r'^HYPERLINK\(\s*"([^"]+)"', re.I)
# Where a cell or formula tag may carry a namespace prefix (a pattern led by one character is looked for
# faster than a two-byte string).
_PREFIXED = re.compile(rb":[cf]")


def _text(raw: bytes) -> str:
    """XML text -> str: entities and OOXML ``_xHHHH_`` escapes resolved."""
    text = html.unescape(raw.decode("utf-8", "replace"))
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def scan(xml: bytes, max_rows: int, max_cols: int) -> SheetScan:
    """Cells beyond the limits, formulas without a cached value, error values and formula texts of a sheet.

    ``formula_texts`` holds ``=formula`` for the formula and error cells, and ``HYPERLINK`` cells' formulas
    (the caller turns them into 「shown text（address）」 once it has the values).
    """
    out = SheetScan()
    if not _PREFIXED.search(xml) and not _patterns(max_rows, max_cols)[0].search(xml):
        return out  # the common sheet: nothing to find (no prefixed tag, nothing unusual)
    far = far_cells(xml, max_rows, max_cols)
    if far:
        (n, (row, col)) = far
        out.outside = (n, f"{column_letter(col)}{row + 1}" if row >= 0 else "")
    formulas = _F_TAG.search(xml) is not None
    if not formulas and not _ERROR_TYPE.search(xml):
        return out
    for m in _CELL.finditer(xml):
        attrs, body = m.group(1), m.group(2) or b""
        ref = _CELL_R.search(attrs)
        pos = ref and ref_position(ref.group(1).decode())
        if not pos or pos[0] >= max_rows or pos[1] >= max_cols:
            continue
        ref = ref.group(1).decode()
        f = _F.search(body) if formulas else None
        v = _V.search(body)
        if _ERROR_TYPE.search(attrs) and v and v.group(1):
            out.error_cells[ref] = _text(v.group(1))
        elif f and not (v and v.group(1)) and not _IS.search(body):
            out.formula_cells.add(ref)
        if f and f.group(1) and f.group(1).strip():
            text = _text(f.group(1))
            if ref in out.error_cells or ref in out.formula_cells or _HYPERLINK.match(text.lstrip("=")):
                out.formula_texts[ref] = "=" + text.lstrip("=")
                out.hyperlinks = out.hyperlinks or bool(_HYPERLINK.match(text.lstrip("=")))
    return out


def shown_links(texts: dict[str, str], problems: set[str], rows: list[list]) -> dict[str, str]:
    """``texts`` with each HYPERLINK formula of a cell that has a value (not in ``problems``) as
    「shown text（address）」, so the address stays visible; other formula texts as they are."""
    out = {}
    for ref, text in texts.items():
        link = _HYPERLINK.match(text[1:])
        if not link or ref in problems:
            out[ref] = text
            continue
        i, j = ref_position(ref)
        shown = rows[i][j] if i < len(rows) and j < len(rows[i]) else None
        shown = str(shown).strip() if shown not in (None, "") else ""
        address = link.group(1)
        out[ref] = f"{shown}（{address}）" if shown and shown != address else address
    return out


_UNIQUE_COUNT = re.compile(rb'<%ssst\b[^>]*?\buniqueCount\s*=\s*["\'](\d+)' % _NS)


def check_shared_strings(xml: bytes) -> None:
    """Refuse a shared-string table claiming more strings than its bytes can hold: python-calamine reserves
    room for the claimed number when it opens the file (48 GB for uniqueCount="2000000000"), and a failed
    reservation ends the process.  Raises :class:`Broken`."""
    m = _UNIQUE_COUNT.search(xml[:4096])
    if m and int(m.group(1)) > 16 + len(xml) // 10:  # a string takes at least <si><t/></si>
        raise Broken("unreadable", f"共享字符串表声明有 {int(m.group(1)):,} 个字符串，与其内容不符，"
                                   "文件结构异常（可能已损坏或被篡改），未读取。")


# ---------------------------------------------------------------------------
# OpenDocument

_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated="(\d+)"')
_TAG_END = (b" ", b">", b"/", b"\t", b"\n", b"\r")  # what may follow an element's name
_COLUMNS_REPEATED = re.compile(rb'table:number-columns-repeated="(\d+)"')


def ods_extents(content: bytes) -> list[tuple[int, int]]:
    """(rows, columns) spanned by the cells holding something in each table of an .ods ``content.xml``,
    repeats counted: python-calamine expands repeated cells when it opens the file, so a few bytes
    repeating a value a million times must be found first.  Empty repeated rows and cells (LibreOffice
    writes them to the sheet's end) do not count.  A row at a time, its cells counted in C."""
    out = []
    find = content.find
    pos = max(find(b"<office:body"), 0)
    while (pos := find(b"<table:table", pos)) >= 0:
        if content[pos + 12:pos + 13] not in _TAG_END:  # -row, -cell, -column …
            pos += 12
            continue
        end = find(b"</table:table>", pos)
        end = len(content) if end < 0 else end
        row, at, rows, cols = 0, pos, 0, 0
        while (at := find(b"<table:table-row", at, end)) >= 0:
            close = find(b">", at, end)
            if close < 0:
                break
            attrs = content[at:close]
            if content[at + 16:at + 17] not in _TAG_END:  # <table:table-rows>, <table:table-row-group>: groups
                at = close
                continue
            found = _ROWS_REPEATED.search(attrs)
            rep = int(found.group(1)) if found else 1
            if attrs.endswith(b"/"):
                stop = close
            else:
                stop = find(b"</table:table-row>", close, end)
                stop = end if stop < 0 else stop
                last = max(content.rfind(b"office:value-type", close, stop), content.rfind(b"<text:p", close, stop))
                if last >= 0:  # the row holds something: up to the cell holding its last value
                    width = content.count(b"<table:table-cell", close, last) + \
                        content.count(b"<table:covered-table-cell", close, last)
                    width += sum(int(n) - 1 for n in _COLUMNS_REPEATED.findall(content, close, last))
                    rows, cols = max(rows, row + rep), max(cols, width)
            row += rep
            at = stop
        out.append((rows, cols))
        pos = end
    return out


# ---------------------------------------------------------------------------
# BIFF (.xls)

_CELL_RECORDS = {0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x00D6, 0x00FD, 0x027E, 0x0406}  # row, col first
_MULTI_RECORDS = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first col … last col in the last two bytes
_ROW_RECORD = 0x0208  # row, first col, last col + 1
_BOF_RECORD = 0x0809  # the start of the globals and of each sheet
_EXTENT_RECORDS = frozenset(_CELL_RECORDS | _MULTI_RECORDS | {_ROW_RECORD})
_BIFF_WORD = struct.Struct("<H")
_BIFF_RECORD = struct.Struct("<4H")  # a record's type and size, and (a cell's) row and column


def xls_extents(data: bytes) -> list[tuple[int, int]]:
    """(rows, columns) spanned by the cell records of each sheet of an .xls: python-calamine allocates every
    sheet's whole rectangle when it opens the file, so one cell at IV65536 costs a gigabyte.  Raises
    :class:`Broken` when the compound file or its workbook stream cannot be read."""
    from xlrd import compdoc  # the OLE container reader xlrd brings (a dependency for .xls properties)

    try:
        doc = compdoc.CompDoc(data, logfile=io.StringIO())
        stream = doc.get_named_stream("Workbook") or doc.get_named_stream("Book")
    except Exception as e:  # noqa: BLE001 - xlrd's container reader raises several types on damaged files
        raise Broken("unreadable", f"Excel 97-2003 文件的结构无法读取（{type(e).__name__}），文件可能已损坏。") from None
    if not stream:
        raise Broken("unreadable", "Excel 97-2003 文件中没有工作簿数据，文件可能已损坏。")
    return _biff_extents(stream)


def _biff_extents(stream: bytes) -> list[tuple[int, int]]:
    """(rows, columns) of each part of a workbook stream that holds cells: the globals, then each sheet
    (each begins with a BOF record).  A record's type, size, and a cell's row and column are read at once."""
    out = []  # (rows, columns) of each part that ended
    rows = cols = 0
    n, pos, end = len(stream), 0, len(stream) - 4
    padded = stream + b"\0\0\0\0"  # a record's first words are read with its header, even at the end
    record, word = _BIFF_RECORD.unpack_from, _BIFF_WORD.unpack_from
    extent, multi, row_record, bof = _EXTENT_RECORDS, _MULTI_RECORDS, _ROW_RECORD, _BOF_RECORD
    while pos <= end:
        kind, size, row, col = record(padded, pos)
        pos += 4
        if kind in extent:
            if size >= 4 and pos + size <= n:
                if kind in multi:
                    if size >= 6:
                        col = word(stream, pos + size - 2)[0]
                elif kind == row_record and size >= 6:
                    col = max(word(stream, pos + 4)[0] - 1, 0)
                if row >= rows:
                    rows = row + 1
                if col >= cols:
                    cols = col + 1
        elif kind == bof:
            out.append((rows, cols))
            rows = cols = 0
        pos += size
    out.append((rows, cols))
    return [(r, c) for r, c in out if r or c]
