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
from itertools import compress
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
        name = raw.decode("utf-8" if flags & 0x800 else "cp437")
        out.append(ZipEntry(name, method, flags, csize, usize, offset, crc))
        pos += 46 + nlen + xlen + clen
    return out


def read_member(data: bytes, entry: ZipEntry) -> bytes:
    """The inflated content of one member, never more than its declared size."""
    if entry.flags & 0x41:  # encrypted / strong encryption
        raise Unsupported("encrypted member")
    pos = entry.offset
    if data[pos:pos + 4] != b"PK\x03\x04":
        raise Broken("unreadable", f"压缩包内 {entry.name} 的位置信息有误,文件已损坏。")
    nlen, xlen = struct.unpack_from("<2H", data, pos + 26)
    start = pos + 30 + nlen + xlen
    raw = data[start:start + entry.compress_size]
    if entry.method == 8:
        d = zlib.decompressobj(-15)
        try:
            out = d.decompress(raw, entry.file_size + 1)
        except zlib.error as e:
            raise Broken("unreadable", f"压缩包内 {entry.name} 无法解压({e}),文件已损坏。") from e
    elif entry.method == 0:
        out = raw
    else:
        raise Unsupported("compression method")
    if len(out) > entry.file_size:
        raise Broken("zip-bomb", f"压缩包内 {entry.name} 解压后超过声明的 {entry.file_size:,} 字节,"
                                 f"疑似“压缩炸弹”,未继续解压。")
    if len(out) != entry.file_size or zlib.crc32(out) != entry.crc:
        raise Broken("unreadable", f"压缩包内 {entry.name} 的内容与校验值不符,文件已损坏。")
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


def shared_strings(xml: str) -> list[str]:
    """The shared string table."""
    if "<sst" not in xml:
        raise Unsupported("shared strings: unexpected root")
    xml = _newlines(xml)
    n = xml.count("<si")
    out = _SI_PLAIN.findall(xml)
    if len(out) == n:  # every item a single plain <t>: no Python work per string
        if "&" in xml or "_x" in xml:
            out = [_xml_text(x) if "&" in x or "_x" in x else x for x in out]
        return out
    out = []
    append = out.append
    for a, b, c in _SI.findall(xml):
        if a or b:
            x = a or b
            append(_xml_text(x) if "&" in x or "_x" in x else x)
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
_EPOCH_DATE = _EPOCH.date()


def excel_date(value: float, kind: int):
    """A date-formatted number as python-calamine returns it (1900 date system)."""
    if kind == DURATION:
        return _dt.timedelta(milliseconds=round(value * 86_400_000))
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

_CELL = re.compile(r'<c r="([A-Z]{1,3})([0-9]+)"([^>/]*+)(?:/>|>(?:<v>([^<]*+)</v>|(.*?))</c>)', re.S)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_CELL_TYPES = {"s", "n", "b", "e", "str", "inlineStr"}
_COLS: dict[str, int] = {}


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


for _a in [""] + [chr(65 + i) for i in range(26)]:
    for _b in range(26):
        _COLS[_a + chr(65 + _b)] = _col(_a + chr(65 + _b))

_EMPTY = object()  # a cell holding nothing (it does not widen the sheet)
_COL, _ROW, _ATTRS = itemgetter(0), itemgetter(1), itemgetter(2)


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
    """Rows of one sheet (python-calamine's values) and formula cells without a cached value."""

    __slots__ = ("rows", "formula_cells")

    def __init__(self, rows: list[list], formula_cells: set[str]):
        self.rows, self.formula_cells = rows, formula_cells


def read_sheet(xml: str, strings: list[str], kinds) -> SheetData:
    """Cells of a worksheet's XML.  ``kinds()`` returns the date kinds of the cell styles (read on demand)."""
    i = xml.find("<sheetData")
    if i < 0 or "<worksheet" not in xml[:i]:
        raise Unsupported("not a plain worksheet")
    j = xml.find("</sheetData>", i)
    if j < 0:
        if not xml.startswith("<sheetData/>", i):
            raise Unsupported("sheetData")
        j = i
    body = _newlines(xml[i:j])
    cells = _CELL.findall(body)
    if len(cells) != body.count("<c"):  # <c ...> and <c>: nothing else in sheetData starts so
        raise Unsupported("cell markup")
    specs: dict[str, tuple[str, int | None]] = {}
    formulas: set[str] = set()

    def value(col: str, row: str, attrs: str, v: str, inner: str):
        """Any cell but a plain shared string."""
        spec = specs[attrs]
        t = spec[0]
        if inner:
            v, formula = _body_value(inner, t)
            if formula:
                formulas.add(col + row)
            if v is _EMPTY or t == "str" or t == "inlineStr":
                return v
        elif t == "str":
            if not v:
                raise Unsupported("empty str cell")
            return _xml_text(v)
        if t == "s":
            return strings[int(v)] if v else _EMPTY
        return _typed(v, t, spec[1], kinds)

    for attrs in set(map(_ATTRS, cells)):
        specs[attrs] = _cell_attrs(attrs)
    plain = {a for a, spec in specs.items() if spec[0] == "s"}  # shared-string cells
    try:
        # the common cell first: <c r="B7" s="3" t="s"><v>12</v></c>
        vals = [strings[int(v)] if v and attrs in plain and not inner else value(col, row, attrs, v, inner)
                for col, row, attrs, v, inner in cells]
    except (IndexError, ValueError) as e:
        raise Unsupported("shared string index") from e
    if _EMPTY in vals:
        keep = [x is not _EMPTY for x in vals]
        cells = list(compress(cells, keep))
        vals = list(compress(vals, keep))
    if not vals:
        return SheetData([], formulas)
    row_numbers = {r: int(r) for r in set(map(_ROW, cells))}
    ri = list(map(row_numbers.__getitem__, map(_ROW, cells)))
    try:
        ci = list(map(_COLS.__getitem__, map(_COL, cells)))
    except KeyError:
        ci = [_col(c) for c in map(_COL, cells)]
    width = max(ci) + 1
    rows = [[""] * width for _ in range(max(ri))]
    for r, c, x in zip(ri, ci, vals):
        rows[r - 1][c] = x
    return SheetData(rows, formulas)


# ---------------------------------------------------------------------------
# Workbooks


_SHEET_TAG = re.compile(r"<sheet\b([^>]*)>")
_REL_TAG = re.compile(r"<Relationship\b([^>]*)>")


class FastBook:
    """An .xlsx/.xlsm package read from bytes: sheet names, and sheets parsed on demand."""

    def __init__(self, data: bytes, entries: list[ZipEntry]):
        self.data = data
        self.entries = {e.name.lower(): e for e in entries}
        wb = self.text("xl/workbook.xml")
        if wb is None or "<workbook" not in wb:
            raise Unsupported("workbook part")
        pr = re.search(r"<workbookPr\b([^>]*)>", wb)
        if pr and re.search(r'date1904="(?:1|true)"', pr.group(1)):
            raise Unsupported("1904 date system")
        rels = self.text("xl/_rels/workbook.xml.rels") or ""
        targets = {}
        for m in _REL_TAG.finditer(rels):
            a = dict(_ATTR.findall(m.group(1)))
            targets[a.get("Id")] = unescape(a.get("Target", ""))
        self.sheet_names: list[str] = []
        self.paths: dict[str, str] = {}
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
            self.sheet_names.append(name)
            self.paths[name] = path
        if not self.sheet_names:
            raise Unsupported("no sheets")
        sst = self.text("xl/sharedStrings.xml")
        self.strings = shared_strings(sst) if sst is not None else []
        self._kinds = None

    def member(self, name: str) -> bytes | None:
        entry = self.entries.get(name.lower())
        return read_member(self.data, entry) if entry is not None else None

    def text(self, name: str) -> str | None:
        raw = self.member(name)
        if raw is None:
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Unsupported("encoding") from e

    def style_kinds(self) -> list[int]:
        """Date kind of every cell style (read from styles.xml on first use)."""
        if self._kinds is None:
            xml = self.text("xl/styles.xml")
            self._kinds = style_kinds(xml) if xml else []
        return self._kinds

    def sheet(self, name: str) -> SheetData:
        xml = self.text(self.paths[name])
        if xml is None:
            raise Unsupported("missing sheet part")
        return read_sheet(xml, self.strings, self.style_kinds)
