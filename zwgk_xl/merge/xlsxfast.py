"""A fast reader for well-formed .xlsx/.xlsm files, for merging many small returned forms.

python-calamine spends most of its time on these small files opening the
package (every part, styles and all strings) rather than reading cells.  This
module reads the zip directory once from bytes already in memory, inflates
only the parts asked for, and pulls cells out of the sheet XML with one
regular expression per part.  It produces exactly the rows python-calamine's
``to_python(skip_empty_area=False)`` produces (same types: str, float, bool,
date/datetime/time/timedelta for date-formatted numbers, "" for empty and
error cells), and reports formulas that have no cached value.

Anything it does not fully understand (zip64, encryption, the 1904 date
system, namespace-prefixed XML, cells without a reference, unusual cell
types, ...) raises :class:`Unsupported`; callers then read the file with
python-calamine.  Safety problems raise ``intake.Rejected``-compatible
``(kind, message)`` via :class:`Broken`.
"""

from __future__ import annotations

import datetime as _dt
import re
import struct
import zlib
from itertools import chain, compress
from operator import itemgetter

_EOCD = b"PK\x05\x06"
_CDIR = struct.Struct("<4s6H3L5H2L")  # central directory file header (46 bytes)
_MAX_COMMENT = 0xFFFF + 22


class Unsupported(Exception):
    """This file is not one the fast reader handles; read it with python-calamine."""


class Broken(Exception):
    """The package is damaged or lies about its sizes: ``kind`` is a finding slug."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


# ---------------------------------------------------------------------------
# Zip


class ZipEntry:
    __slots__ = ("name", "method", "flags", "compress_size", "file_size", "offset", "crc")

    def __init__(self, name, method, flags, compress_size, file_size, offset, crc):
        self.name, self.method, self.flags = name, method, flags
        self.compress_size, self.file_size, self.offset, self.crc = compress_size, file_size, offset, crc

    # the names zipfile.ZipInfo uses, for the zip-bomb check
    @property
    def filename(self) -> str:
        return self.name


def zip_entries(data: bytes) -> list[ZipEntry]:
    """The central directory of the zip archive ``data`` (no member is inflated).

    Raises Unsupported for zip64, multi-disk or otherwise unusual archives.
    """
    end = data.rfind(_EOCD, max(0, len(data) - _MAX_COMMENT))
    if end < 0 or len(data) < end + 22:
        raise Unsupported("no end of central directory")
    disk, cd_disk, n_here, n_total, cd_size, cd_offset = struct.unpack_from("<4H2L", data, end + 4)
    if disk or cd_disk or n_here != n_total or n_total == 0xFFFF or cd_offset == 0xFFFFFFFF:
        raise Unsupported("zip64 or multi-disk")
    out = []
    pos = cd_offset
    unpack = _CDIR.unpack_from
    for _ in range(n_total):
        if pos + 46 > len(data):
            raise Unsupported("truncated central directory")
        (sig, _vm, _vn, flags, method, _t, _d, crc, csize, usize, nlen, xlen, clen, _disk, _ia, _ea,
         offset) = unpack(data, pos)
        if sig != b"PK\x01\x02" or csize == 0xFFFFFFFF or usize == 0xFFFFFFFF or offset == 0xFFFFFFFF:
            raise Unsupported("unusual central directory entry")
        raw = data[pos + 46:pos + 46 + nlen]
        name = raw.decode("utf-8" if flags & 0x800 else "ascii" if raw.isascii() else "cp437")
        out.append(ZipEntry(name, method, flags, csize, usize, offset, crc))
        pos += 46 + nlen + xlen + clen
    return out


def stored_member(data: bytes, entry: ZipEntry) -> bytes:
    """The bytes of one member as stored (compressed), after its local header."""
    if entry.flags & 0x41:  # encrypted / strong encryption
        raise Unsupported("encrypted member")
    pos = entry.offset
    if data[pos:pos + 4] != b"PK\x03\x04":
        raise Broken("unreadable", f"压缩包内 {entry.name} 的位置信息有误，文件已损坏。")
    nlen, xlen = struct.unpack_from("<2H", data, pos + 26)
    start = pos + 30 + nlen + xlen
    return data[start:start + entry.compress_size]


_ONE_SHOT = 64 * 1024  # stored members up to this size are inflated in one call


def read_member(data: bytes, entry: ZipEntry, raw: bytes | None = None) -> bytes:
    """The inflated content of one member, never more than its declared size (``raw``: its stored bytes)."""
    if raw is None:
        raw = stored_member(data, entry)
    if entry.method == 8:
        try:
            if len(raw) <= _ONE_SHOT:  # then even a lying size inflates to at most ~1,000 times as much
                out = zlib.decompress(raw, -15, entry.file_size + 1)
            else:
                out = zlib.decompressobj(-15).decompress(raw, entry.file_size + 1)
        except zlib.error as e:
            raise Broken("unreadable", f"压缩包内 {entry.name} 无法解压（{e}），文件已损坏。") from e
    elif entry.method == 0:
        out = raw
    else:
        raise Unsupported("compression method")
    if len(out) > entry.file_size:
        raise Broken("zip-bomb", f"压缩包内 {entry.name} 解压后超过声明的 {entry.file_size:,} 字节，"
                                 f"疑似“压缩炸弹”，未继续解压。")
    if len(out) != entry.file_size or zlib.crc32(out) != entry.crc:
        raise Broken("unreadable", f"压缩包内 {entry.name} 的内容与校验值不符，文件已损坏。")
    return out


# ---------------------------------------------------------------------------
# Strings


_XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")
_T = re.compile(r"<t(?:\s[^>]*)?>([^<]*)</t>|<t(?:\s[^>]*)?/>")
_RPH = re.compile(r"<rPh\b.*?</rPh>", re.S)
_SI_PLAIN = re.compile(r'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>')
_SI = re.compile(r'<si>(?:<t>([^<]*)</t>|<t xml:space="preserve">([^<]*)</t>|(.*?))</si>|<si/>', re.S)


_ENTITY = re.compile(r"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(amp|lt|gt|quot|apos));")
_BAD_AMP = re.compile(r"&(?!#x[0-9A-Fa-f]+;|#[0-9]+;|(?:amp|lt|gt|quot|apos);)")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _entity(m: re.Match) -> str:
    hexa, dec, name = m.groups()
    return _NAMED[name] if name else chr(int(hexa, 16) if hexa else int(dec))


def unescape(raw: str) -> str:
    """XML character and entity references resolved."""
    if "&" not in raw:
        return raw
    if _BAD_AMP.search(raw):
        raise Unsupported("entity reference")
    return _ENTITY.sub(_entity, raw)


def _xml_text(raw: str) -> str:
    """XML text content -> str: entities and OOXML ``_xHHHH_`` escapes resolved."""
    if "&" in raw:
        raw = unescape(raw)
    if "_x" in raw:
        raw = _XESC.sub(lambda m: chr(int(m.group(1), 16)), raw)
    return raw


def _rich(inner: str) -> str | None:
    """Text of an ``<si>``/``<is>`` body: every ``<t>`` outside phonetic runs, joined; None if none."""
    if "<rPh" in inner:
        inner = _RPH.sub("", inner)
    parts = _T.findall(inner)
    if not parts and "<t" not in inner:
        return None
    return "".join(_xml_text(p) for p in parts)


def _newlines(xml: str) -> str:
    """XML end-of-line normalisation (CR LF and lone CR read as LF), as an XML parser does."""
    if "\r" in xml:
        xml = xml.replace("\r\n", "\n").replace("\r", "\n")
    return xml


def _plain_items(xml: str) -> list[str] | None:
    """The raw texts of the items when all are ``<si><t>…</t></si>`` written back to back (split in C); else None."""
    if 'xml:space="preserve"' in xml:
        xml = xml.replace('<si><t xml:space="preserve">', "<si><t>")
    i, j = xml.find("<si>"), xml.rfind("</si>")
    if i < 0 or "<si" in xml[:i] or "<si" in xml[j:] or not xml.startswith("<si><t>", i) \
            or not xml.startswith("</t></si>", j - 4):
        return None
    out = xml[i + 7:j - 4].split("</t></si><si><t>")
    # four tags per item and none inside the texts: no rich text, phonetic runs, empty items or gaps
    return out if xml.count("<", i, j + 5) == 4 * len(out) else None


def _has_escapes(text: str | bytes) -> bool:
    """Whether ``text`` may hold an entity or an ``_xHHHH_`` escape (single-character scans only)."""
    amp, under, x = ("&", "_", "x") if isinstance(text, str) else (b"&", b"_", b"x")
    if amp in text:
        return True
    i = text.find(under)
    while i >= 0:
        if text[i + 1:i + 2] == x:
            return True
        i = text.find(under, i + 1)
    return False


def shared_strings(xml: str, escapes: bool = True) -> list[str]:
    """The shared string table.  ``escapes=False``: the caller knows there is no "&" and no "_x" in ``xml``."""
    if "<sst" not in xml:
        raise Unsupported("shared strings: unexpected root")
    xml = _newlines(xml)
    out = _plain_items(xml)
    if out is None:
        n = xml.count("<si")
        out = _SI_PLAIN.findall(xml)
    else:
        n = len(out)
    if len(out) == n:  # every item a single plain <t>: no Python work per string
        if escapes and _has_escapes(xml):
            out = [_xml_text(x) if _has_escapes(x) else x for x in out]
        return out
    out = []
    append = out.append
    for a, b, c in _SI.findall(xml):
        if a or b:
            x = a or b
            append(_xml_text(x) if _has_escapes(x) else x)
        elif c:
            x = _rich(c)
            if x is None:
                raise Unsupported("shared string without text")
            append(x)
        else:
            append("")
    if len(out) != n:
        raise Unsupported("shared strings: unexpected markup")
    return out


_DIGITS: list[str] = []  # "0", "1", … kept between books
_DIGITS_KEPT = 1 << 16


def keyed_strings(strings: list[str]) -> dict[str, str]:
    """The shared strings keyed by their index as written in ``<v>`` ("0", "1", …)."""
    if len(strings) > _DIGITS_KEPT:
        return dict(zip(map(str, range(len(strings))), strings))
    if len(_DIGITS) < len(strings):
        _DIGITS.extend(map(str, range(len(_DIGITS), min(max(len(strings), 2 * len(_DIGITS), 1024), _DIGITS_KEPT))))
    return dict(zip(_DIGITS, strings))


# ---------------------------------------------------------------------------
# Number formats (which styles make a number a date), as calamine decides


DATE, DURATION = 1, 2
_BUILTIN_DATES = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47}
_ATTR = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')


def format_kind(code: str) -> int:
    """0, DATE or DURATION for a custom number format code (calamine's rules)."""
    escaped = is_quote = ap = hms = False
    brackets = 0
    prev = " "
    for ch in code:
        if escaped:
            escaped = False
        elif ch in "_\\*":
            escaped = True
        elif is_quote:
            if ch == '"':
                is_quote = False
        elif ch == '"':
            is_quote = True
        elif ch == ";":
            return 0
        elif ch == "[":
            brackets += 1
        elif ch == "]" and brackets == 1 and hms:
            return DURATION
        elif ch == "]":
            brackets = max(0, brackets - 1)
        elif ch in "aA" and not ap and brackets == 0:
            ap = True
        elif ap and brackets == 0 and ch in "pm/PM":
            return DATE
        elif not ap and brackets == 0 and ch in "dmhysDMHYS":
            return DATE
        elif hms and ch.lower() == prev.lower():
            pass
        else:
            hms = prev == "[" and ch in "mhsMHS"
        prev = ch
    return 0


def style_kinds(xml: str) -> list[int]:
    """Per cell style (index into cellXfs): 0, DATE or DURATION."""
    custom = {}
    for m in re.finditer(r"<numFmt\b([^>]*)>", xml):
        attrs = dict(_ATTR.findall(m.group(1)))
        code = unescape(attrs.get("formatCode", ""))
        if code:
            custom[attrs.get("numFmtId", "")] = code
    m = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", xml, re.S)
    kinds = []
    for xf in re.finditer(r"<xf\b([^>]*)>", m.group(1) if m else ""):
        fid = dict(_ATTR.findall(xf.group(1))).get("numFmtId")
        if fid is None:
            kinds.append(0)
        elif fid in custom:
            kinds.append(format_kind(custom[fid]))
        elif fid == "46":
            kinds.append(DURATION)
        else:
            kinds.append(DATE if fid.isdigit() and int(fid) in _BUILTIN_DATES else 0)
    return kinds


_EPOCH = _dt.datetime(1899, 12, 30)
_LAST_SERIAL = 2_958_466  # 10000-01-01, the first serial no date can hold
_EPOCH_DATE = _EPOCH.date()


def excel_date(value: float, kind: int):
    """A date-formatted number as python-calamine returns it (1900 date system)."""
    if kind == DURATION:
        return _dt.timedelta(milliseconds=round(value * 86_400_000))
    if value >= _LAST_SERIAL:  # past 9999-12-31 (a number typed into a date cell): the number itself
        return value
    if value < 0 or 1 <= value < 61:
        raise Unsupported("date before 1900-03-01")
    if value < 1:
        ms = round(value * 86_400_000)
        if ms >= 86_400_000:
            raise Unsupported("time rounds to 24:00")
        return (_EPOCH + _dt.timedelta(milliseconds=ms)).time()
    if value == int(value):
        return _EPOCH_DATE + _dt.timedelta(days=int(value))
    return _EPOCH + _dt.timedelta(milliseconds=round(value * 86_400_000))


# ---------------------------------------------------------------------------
# Sheets

# One match per cell: the reference, then either the index of a plain shared-string cell
# (``<c r="B7" s="3" t="s"><v>12</v></c>``, by far the commonest) or the rest of any other cell.
# A ``<c`` this does not understand (attributes in another order, a prefix, ...) matches as a bare "<c".
_CELL = re.compile(r'<c(?: r="([A-Z]{1,3}[0-9]+)"(?:(?: s="[0-9]+")? t="s"><v>([0-9]+)</v></c>'
                   r'|([^>/]*+(?:/>|>.*?</c>)))|)', re.S)
_REST = re.compile(r"([^>/]*+)(?:/>|>(?:<v>([^<]*+)</v>|(.*?))</c>)", re.S)  # attributes, bare <v>, other body
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_CELL_TYPES = {"s", "n", "b", "e", "str", "inlineStr"}


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


class _RefIndex(dict):
    """Cell reference -> (0-based row, 0-based column), computed once per reference (they recur across forms)."""

    limit = 200_000

    def __missing__(self, ref: str) -> tuple[int, int]:
        letters, digits = _REF.fullmatch(ref).groups()
        pos = (int(digits) - 1, _col(letters))
        if len(self) < self.limit:
            self[ref] = pos
        return pos


_POS = _RefIndex()
_EMPTY = object()  # a cell holding nothing (it does not widen the sheet)
_ROW_OF, _COL_OF = itemgetter(0), itemgetter(1)


def _cell_attrs(attrs: str) -> tuple[str, int | None]:
    """(type, style index) from a ``<c>`` tag's attributes after ``r``."""
    a = dict(_ATTR.findall(attrs))
    if len(a) != attrs.count("="):
        raise Unsupported("cell attributes")
    t = a.get("t", "")
    if t and t not in _CELL_TYPES:
        raise Unsupported(f"cell type {t}")
    s = a.get("s")
    return t, int(s) if s is not None and s.isdigit() else None


def _has_formula(inner: str) -> bool:
    return "<f>" in inner or "<f " in inner or "<f/" in inner


def _body_value(inner: str, t: str) -> tuple[object, bool]:
    """(text of the value or _EMPTY, has a formula) of a cell body other than a bare ``<v>``."""
    formula = _has_formula(inner)
    if t == "inlineStr":
        i = inner.find("<is>")
        if i < 0:
            if "<is" in inner:
                raise Unsupported("inline string markup")
            return _EMPTY, formula
        j = inner.find("</is>", i)
        text = _rich(inner[i + 4:j]) if j > 0 else None
        if text is None:
            raise Unsupported("inline string without text")
        return text, False
    i = inner.find("<v>")
    if i < 0:
        if "<v" in inner and "<v/>" not in inner:
            raise Unsupported("value markup")
        return _EMPTY, formula
    j = inner.find("</v>", i)
    if j < 0:
        raise Unsupported("value markup")
    v = inner[i + 3:j]
    if t == "str":
        return _xml_text(v), formula and not v
    return v, formula and not v


def _typed(v: str, t: str, style: int | None, kinds) -> object:
    """A ``<v>`` text of a non-string cell as python-calamine returns it (or _EMPTY)."""
    if not v:
        return _EMPTY
    if t == "n" or not t:
        if _NUMBER.fullmatch(v) is None:
            if t:
                raise Unsupported("number")
            return _xml_text(v)  # no type and not a number: calamine keeps the text
        value = float(v)
        if style is not None:
            k = kinds()
            if style < len(k) and k[style]:
                return excel_date(value, k[style])
        return value
    if t == "b":
        return v != "0"
    if t == "e":
        return ""
    return _EMPTY  # inlineStr with a stray <v>: calamine ignores it


class SheetData:
    """Rows of one sheet (python-calamine's values), formula cells without a cached value, cells holding an
    error value (ref -> "#DIV/0!" …), and the cells left out beyond the size limit (count, first ref)."""

    __slots__ = ("rows", "formula_cells", "error_cells", "outside", "hyperlinks")

    def __init__(self, rows: list[list], formula_cells: set[str], error_cells: dict[str, str] | None = None,
                 outside: tuple[int, str] = (0, ""), hyperlinks: bool = False):
        self.rows, self.formula_cells = rows, formula_cells
        self.error_cells, self.outside = error_cells or {}, outside
        self.hyperlinks = hyperlinks  # some cell holds a HYPERLINK formula


MAX_ROWS, MAX_COLS = 1_048_576, 16_384  # Excel's own limits (the default bound)


def read_sheet(xml: str, strings: list[str], kinds, keyed: dict[str, str] | None = None,
               dense: int = 0, max_rows: int = MAX_ROWS, max_cols: int = MAX_COLS) -> SheetData:
    """Cells of a worksheet's XML.  ``kinds()`` returns the date kinds of the cell styles (read on demand).

    ``keyed`` is :func:`keyed_strings` of ``strings`` when the caller keeps it (several sheets of one book).
    ``dense``: the width of the rows most cells are expected in; such a row holding exactly that many
    plain shared strings (columns A, B, … in order) is matched whole, saving the work per cell.
    Cells beyond ``max_rows`` × ``max_cols`` are left out (counted in ``outside``), never allocated.
    """
    i = xml.find("<sheetData")
    if i < 0 or "<worksheet" not in xml[:i]:
        raise Unsupported("not a plain worksheet")
    j = xml.find("</sheetData>", i)
    if j < 0:
        if not xml.startswith("<sheetData/>", i):
            raise Unsupported("sheetData")
        j = i
    body = _newlines(xml[i:j])
    if keyed is None:
        keyed = keyed_strings(strings)
    formulas: set[str] = set()
    errors: dict[str, str] = {}
    full: dict[int, list] = {}  # row index -> its values, for rows matched whole
    if dense:
        # (row, indexes of the whole row…, ref, index, rest); styled cells (s="…") are the norm after a re-save
        found = _row_pattern(dense, ' s="' in body[-4096:]).findall(body)  # (the last rows: the table's)
        whole = [m for m in found if m[0]]
        if whole:
            vals = _shared(list(chain.from_iterable(map(itemgetter(slice(1, dense + 1)), whole))), keyed, strings)
            full = dict(zip(map((-1).__add__, map(int, map(_ROW_OF, whole))), map(list, zip(*[iter(vals)] * dense))))
        cells = [m[dense + 1:] for m in found if not m[0]] if len(whole) < len(found) else []
    else:
        cells = _CELL.findall(body)
    refs, vals = _cells(cells, strings, keyed, kinds, formulas, errors) if cells else ((), ())
    pos = list(map(_POS.__getitem__, refs))
    outside = (0, "")
    last = max(full, default=-1)
    bottom, right = max(map(_ROW_OF, pos), default=-1), max(map(_COL_OF, pos), default=-1)
    if last >= max_rows or bottom >= max_rows or right >= max_cols:
        far = sorted([(r, 0) for r in full if r >= max_rows]
                     + [(r, c) for r, c in pos if r >= max_rows or c >= max_cols])
        outside = (len(far), f"{column_letter(far[0][1])}{far[0][0] + 1}")
        full = {r: row for r, row in full.items() if r < max_rows}
        keep = [r < max_rows and c < max_cols for r, c in pos]
        pos, vals = list(compress(pos, keep)), list(compress(vals, keep))
        last = max(full, default=-1)
        bottom, right = max(map(_ROW_OF, pos), default=-1), max(map(_COL_OF, pos), default=-1)
    height = max(last, bottom) + 1
    width = max(dense if full else 0, right + 1)
    if full and pos and not full.keys().isdisjoint(map(_ROW_OF, pos)):
        raise Unsupported("a row given twice")
    rows = list(map(full.get, range(height))) if full else [None] * height
    for r in set(range(height)).difference(full) if len(full) < height else ():
        rows[r] = [""] * width
    if full and width > dense:
        for row in full.values():
            row.extend([""] * (width - dense))
    for (r, c), x in zip(pos, vals):
        rows[r][c] = x
    return SheetData(rows, formulas, errors, outside, "HYPERLINK" in body)


def _shared(indexes, keyed: dict[str, str], strings: list[str]) -> list[str]:
    """The shared strings at ``indexes`` (as written in ``<v>``)."""
    try:
        return list(map(keyed.__getitem__, indexes))
    except KeyError:  # an index out of range, or written with leading zeros
        try:
            return list(map(strings.__getitem__, map(int, indexes)))
        except IndexError as e:
            raise Unsupported("shared string index") from e


def _cells(cells: list[tuple], strings, keyed, kinds, formulas: set[str], errors: dict[str, str]) -> tuple[tuple, list]:
    """(references, values) of the cells matched one by one (``_CELL``'s groups), empty cells left out."""
    refs, indexes, rests = zip(*cells)
    if "" in refs:  # a <c …> the pattern did not take apart
        raise Unsupported("cell markup")
    if not any(rests):  # every cell a plain shared string: no Python code per cell
        return refs, _shared(indexes, keyed, strings)
    specs = {a: _cell_attrs(a) for a in {m.group(1) for m in map(_REST.fullmatch, set(rests)) if m}}
    try:
        vals = [strings[int(x)] if x else _other(ref, rest, specs, strings, kinds, formulas, errors)
                for ref, x, rest in cells]
    except (IndexError, ValueError) as e:
        raise Unsupported("shared string index") from e
    if _EMPTY in vals:
        keep = [x is not _EMPTY for x in vals]
        refs, vals = tuple(compress(refs, keep)), list(compress(vals, keep))
    return refs, vals


_ROW_PATTERNS: dict[tuple[int, bool], re.Pattern] = {}


def _row_pattern(width: int, styled: bool) -> re.Pattern:
    """``_CELL``, preceded by the alternative of a whole row of ``width`` plain shared strings.

    ``styled``: the row's cells carry a style (``s="…"``), else none does; rows otherwise are
    matched cell by cell (a single pattern allowing both is a third slower).
    """
    key = (width, styled)
    if key not in _ROW_PATTERNS:
        style = ' s="[0-9]+"' if styled else ""
        whole = r'<row r="([0-9]+)"[^>]*>' + "".join(
            r'<c r="%s\1"%s t="s"><v>([0-9]+)</v></c>' % (column_letter(c), style) for c in range(width)) + "</row>"
        _ROW_PATTERNS[key] = re.compile(whole + "|" + _CELL.pattern, re.S)
    return _ROW_PATTERNS[key]


def column_letter(index: int) -> str:
    """0-based column index -> A, B, …, AA."""
    s = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        s = chr(65 + r) + s
    return s


def _other(ref: str, rest: str, specs: dict, strings: list[str], kinds, formulas: set[str], errors: dict[str, str]):
    """The value of any cell but a plain shared string (or _EMPTY), noting a formula without a cached value
    and an error value (``errors``)."""
    m = _REST.fullmatch(rest)
    if m is None or "<c" in rest:
        raise Unsupported("cell markup")
    attrs, v, inner = m.groups(default="")
    t, style = specs[attrs]
    if inner:
        v, formula = _body_value(inner, t)
        if formula:
            formulas.add(ref)
        if v is _EMPTY or t == "str" or t == "inlineStr":
            return v
    elif t == "str":
        if not v:
            raise Unsupported("empty str cell")
        return _xml_text(v)
    if t == "s":
        if not v:
            return _EMPTY
        return strings[int(v)]
    if t == "e" and v:
        errors[ref] = _xml_text(v)
    return _typed(v, t, style, kinds)


# ---------------------------------------------------------------------------
# Workbooks


_SHEET_TAG = re.compile(r"<sheet\b([^>]*)>")
_REL_TAG = re.compile(r"<Relationship\b([^>]*)>")


_PARTS: dict[tuple, object] = {}  # stored bytes of parts -> what was parsed from them
_PARTS_KEPT = 64


def _once(book: "FastBook", entries: tuple, parse):
    """``parse(*texts)`` of the members ``entries`` (None: absent), remembered by their stored bytes.

    The key holds each member's stored (compressed) bytes, method, size and CRC, so a hit means
    the same content that was inflated, checked and parsed before.
    """
    stored = tuple(None if e is None else stored_member(book.data, e) for e in entries)
    key = (parse.__qualname__,) + tuple(None if e is None else (e.method, e.file_size, e.crc, raw)
                                        for e, raw in zip(entries, stored))
    if key in _PARTS:
        return _PARTS[key]
    got = parse(*(None if e is None else _decode(read_member(book.data, e, raw)) for e, raw in zip(entries, stored)))
    if len(_PARTS) >= _PARTS_KEPT:
        _PARTS.clear()
    _PARTS[key] = got
    return got


def _sheet_paths(wb: str, rels: str | None) -> tuple[list[str], dict[str, str]]:
    """Sheet names in order, and name -> worksheet part, from workbook.xml and its rels."""
    if "<workbook" not in wb:
        raise Unsupported("workbook part")
    pr = re.search(r"<workbookPr\b([^>]*)>", wb)
    if pr and re.search(r'date1904="(?:1|true)"', pr.group(1)):
        raise Unsupported("1904 date system")
    targets = {}
    for m in _REL_TAG.finditer(rels or ""):
        a = dict(_ATTR.findall(m.group(1)))
        targets[a.get("Id")] = unescape(a.get("Target", ""))
    names: list[str] = []
    paths: dict[str, str] = {}
    for m in _SHEET_TAG.finditer(wb):
        a = dict(_ATTR.findall(m.group(1)))
        rid = next((v for k, v in a.items() if k.endswith(":id")), None)
        if "name" not in a or rid not in targets:
            raise Unsupported("sheet entry")
        target = targets[rid]
        path = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else "xl/" + target
        if path.split("/")[1:2] != ["worksheets"]:
            raise Unsupported("chart or dialog sheet")
        name = unescape(a["name"])
        names.append(name)
        paths[name] = path
    if not names:
        raise Unsupported("no sheets")
    return names, paths


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Unsupported("encoding") from e


class FastBook:
    """An .xlsx/.xlsm package read from bytes: sheet names, and sheets parsed on demand.

    Parts that are usually byte-identical across the forms of one merge (workbook.xml with its
    rels, styles.xml) are parsed once per distinct stored content and remembered (see :func:`_once`).
    """

    def __init__(self, data: bytes, entries: list[ZipEntry]):
        self.data = data
        self.entries = {e.name.lower(): e for e in entries}
        wb, rels = self.entries.get("xl/workbook.xml"), self.entries.get("xl/_rels/workbook.xml.rels")
        if wb is None:
            raise Unsupported("workbook part")
        self.sheet_names, self.paths = _once(self, (wb, rels), _sheet_paths)
        sst = self.member("xl/sharedStrings.xml")
        self.strings = shared_strings(_decode(sst), _has_escapes(sst)) \
            if sst is not None else []
        self._keyed = None
        self._kinds = None

    def member(self, name: str) -> bytes | None:
        entry = self.entries.get(name.lower())
        return read_member(self.data, entry) if entry is not None else None

    def text(self, name: str) -> str | None:
        raw = self.member(name)
        return None if raw is None else _decode(raw)

    def style_kinds(self) -> list[int]:
        """Date kind of every cell style (read from styles.xml on first use)."""
        if self._kinds is None:
            entry = self.entries.get("xl/styles.xml")
            self._kinds = _once(self, (entry,), lambda xml: style_kinds(xml) if xml else []) if entry else []
        return self._kinds

    def sheet(self, name: str, dense: int = 0, max_rows: int = MAX_ROWS, max_cols: int = MAX_COLS) -> SheetData:
        """Cells of sheet ``name`` (``dense``, ``max_rows``, ``max_cols``: see :func:`read_sheet`)."""
        xml = self.text(self.paths[name])
        if xml is None:
            raise Unsupported("missing sheet part")
        if self._keyed is None:
            self._keyed = keyed_strings(self.strings)
        return read_sheet(xml, self.strings, self.style_kinds, self._keyed, dense, max_rows, max_cols)
