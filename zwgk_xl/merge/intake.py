"""Receiving returned workbooks safely: discovery, safety checks, reading (fast .xlsx reader or python-calamine).

Checks happen on the raw bytes before anything is decompressed or parsed:
size limit, zip-bomb ratio (from the zip directory), password protection
(an OLE compound file holding ``EncryptedPackage``), macros (``vbaProject.bin``,
an ``_VBA_PROJECT_CUR`` storage, ODF ``Basic/``).  Macros are never executed:
only cell values are read.  Problems raise :class:`Rejected` carrying a
finding kind, so a bad file never stops the others.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook

from zwgk_xl.core.values import EXCEL_EPOCH, cell_text, cell_texts, parse_date  # noqa: F401 (re-exported)
from zwgk_xl.merge.xlsxfast import (Broken, FastBook, Unsupported, ZipEntry, column_letter, read_member,  # noqa: F401
                                    zip_entries)

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".et", ".ett", ".xltx", ".xltm", ".xlt", ".ots"}
TEXT_SUFFIXES = {".csv", ".tsv", ""}  # read when their content is a table (sniffed)
LOCK_PREFIX = "~$"
OWN_TEMP_PREFIX = ".~zwgk_"  # atomic-write temp files of this tool
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_VBA_STORAGE = "_VBA_PROJECT_CUR".encode("utf-16-le")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]|<(?:\w+:)?is>")


@dataclass
class Limits:
    """Safety limits for received files."""

    max_file_bytes: int = 50 * 2**20  # larger files are not read
    max_unpacked_bytes: int = 64 * 2**20  # total declared uncompressed size of a zip container
    max_ratio: float = 100.0  # declared uncompressed / compressed size of one member (and of the whole) …
    ratio_min_bytes: int = 2 * 2**20  # … checked for members (and wholes) larger than this
    max_parts: int = 2000  # members of a zip container
    max_rows: int = 2000  # rows a form can have (merge raises it for units with many tasks) …
    max_cols: int = 64  # … and columns: cells beyond are reported, never read


class Rejected(Exception):
    """A file that cannot be merged: ``kind`` is a finding slug, ``message`` says why (Chinese)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class ReadSheet:
    """One sheet of a returned workbook as read: raw cell values, formulas without values, error cells."""

    name: str
    rows: list[list]  # cell values from A1 (python-calamine types)
    formula_cells: set[str] = field(default_factory=set)  # "G6": formula without a cached value
    error_cells: dict[str, str] = field(default_factory=dict)  # "G6" -> "#DIV/0!" (fast reader only)
    outside: tuple[int, str] = (0, "")  # cells beyond the limits, left out: (count, first ref)
    formula_texts: dict[str, str] = field(default_factory=dict)  # "G6" -> "=SUM(A1:A3)" for formula/error cells


@dataclass
class ReadBook:
    """What was read from one workbook: by the fast .xlsx reader, else by python-calamine."""

    kind: str  # "xlsx" | "xls" | "ods"
    sheet_names: list[str]
    macros: bool = False
    sheets: dict[str, ReadSheet] = field(default_factory=dict)  # read on demand via ``sheet``
    _data: bytes = b""
    _fast: FastBook | None = None
    _wb: CalamineWorkbook | None = None
    _limits: "Limits | None" = None

    @property
    def reader(self) -> str:
        """"fast" or "calamine": which reader read the sheets so far."""
        return "fast" if self._fast is not None else "calamine"

    def sheet(self, name: str, dense: int = 0) -> ReadSheet:
        """Cell values of sheet ``name`` (read once).  ``dense``: the width of most rows (a hint for speed)."""
        if name not in self.sheets:
            limits = self._limits or Limits()
            if self._fast is not None:
                try:
                    got = self._fast.sheet(name, dense, limits.max_rows, limits.max_cols)
                    self.sheets[name] = ReadSheet(name, got.rows, got.formula_cells, got.error_cells, got.outside,
                                                  self._formula_texts(name, {*got.formula_cells, *got.error_cells},
                                                                      got.rows, got.hyperlinks))
                    return self.sheets[name]
                except Unsupported:  # something the fast reader does not handle: calamine from here on
                    self._fast = None
                    _check_extent(self._data, _zip_entries(self._data, limits), limits)
                    self._wb = _calamine(self._data, limits)
                except Broken as b:
                    raise Rejected(b.kind, b.message) from None
            try:
                sheet = self._wb.get_sheet_by_name(name)
                if sheet.total_height > limits.max_rows or sheet.total_width > limits.max_cols:
                    raise Rejected("cells-out-of-range", _too_big(name, sheet.total_height, sheet.total_width, limits))
                rows = sheet.to_python(skip_empty_area=False)
            except (Rejected, KeyboardInterrupt, SystemExit):
                raise
            except BaseException as e:  # noqa: BLE001 - calamine raises several unrelated types (a Rust panic too)
                raise Rejected("unreadable", f"工作表「{name}」无法读取（{type(e).__name__}：{e}），文件可能已损坏。") from e
            formulas = self._formulas(name) if self.kind == "xlsx" else set()
            self.sheets[name] = ReadSheet(name, rows, formulas,
                                          formula_texts=self._formula_texts(name, formulas, rows, links=None))
        return self.sheets[name]

    def _formula_texts(self, name: str, refs: set[str], rows: list[list], links: bool | None) -> dict[str, str]:
        """Text to keep in place of a cell's value (.xlsx only): the formula as written (``=…``) of the cells
        ``refs`` that lack a usable value, and 「shown text（address）」 of HYPERLINK formulas.

        ``links``: whether the sheet holds a HYPERLINK formula (None: not known, look)."""
        if self.kind != "xlsx" or (not refs and links is False):
            return {}
        try:
            xml = _sheet_xml(self._data, self.sheet_names.index(name))
        except (Unsupported, Broken, KeyError, ValueError, zipfile.BadZipFile):
            return {}
        if not xml:
            return {}
        out = _formula_texts(xml, refs) if refs else {}
        if b"HYPERLINK" in xml:
            out.update({ref: text for ref, text in _hyperlinks(xml, rows).items() if ref not in out})
        return out

    def _formulas(self, name: str) -> set[str]:
        try:
            xml = _sheet_xml(self._data, self.sheet_names.index(name))
        except (Unsupported, Broken, KeyError, ValueError, zipfile.BadZipFile):
            return set()
        return _formulas_without_value(xml) if xml else set()

    def close(self) -> None:
        if self._wb is not None:
            self._wb.close()
        self._fast = None


def discover(folder: Path, exclude: list[Path] = ()) -> list[Path]:
    """Every file below ``folder`` (recursively), sorted by relative path; folders in ``exclude`` skipped."""
    folder = Path(folder)
    skip = [Path(p).resolve() for p in exclude]
    out = []
    for p in folder.rglob("*"):
        if not p.is_file() or p.name.startswith(OWN_TEMP_PREFIX):
            continue
        rp = p.resolve()
        if any(rp == s or s in rp.parents for s in skip):
            continue
        out.append(p)
    return sorted(out, key=lambda p: p.relative_to(folder).as_posix())


def precheck(path: Path, limits: Limits, size: int | None = None) -> str | None:
    """Cheap checks on the name and size (``size``: when already known): the finding kind of a file to skip or refuse, else None."""
    if path.name.startswith(LOCK_PREFIX):
        return "lock-file"
    if path.suffix.lower() not in SPREADSHEET_SUFFIXES | TEXT_SUFFIXES:
        return "not-spreadsheet"
    if (path.stat().st_size if size is None else size) > limits.max_file_bytes:
        return "too-large"
    return None


def open_book(data: bytes, limits: Limits, fast: bool = True, name: str = "") -> ReadBook:
    """Check ``data`` (a file's bytes) and open it; raises :class:`Rejected`.

    Well-formed .xlsx/.xlsm packages are read by :mod:`zwgk_xl.merge.xlsxfast`
    (``fast=False`` forces python-calamine); everything else, and anything the
    fast reader does not fully understand, by python-calamine, after the sheets'
    extent is checked.  Text (a .csv, or a file without extension, ``name``) is read
    as a table when it is one.  Nothing is inflated before the zip checks.
    """
    macros = False
    if data.startswith(ZIP_MAGIC):
        entries = _zip_entries(data, limits)
        names = {e.filename for e in entries}
        listing = "\n" + "\n".join(names) + "\n"
        macros = "vbaproject.bin\n" in listing.lower() or "\nBasic/" in listing
        if "xl/workbook.xml" not in names and "content.xml" not in names:
            raise Rejected("not-a-form", "文件是压缩包或 Word 等文档，不是 Excel/WPS 表格，未汇总。")
        kind = "ods" if "content.xml" in names and "xl/workbook.xml" not in names else "xlsx"
        if fast and kind == "xlsx" and isinstance(entries[0], ZipEntry):
            try:
                book = FastBook(data, entries)
                return ReadBook(kind=kind, sheet_names=book.sheet_names, macros=macros, _data=data, _fast=book,
                                _limits=limits)
            except Unsupported:
                pass
            except Broken as b:
                raise Rejected(b.kind, b.message) from None
        if kind == "xlsx":
            _check_extent(data, entries, limits)
    elif data.startswith(OLE_MAGIC):
        if _ENCRYPTED in data:
            raise Rejected("password-protected", "文件设有打开密码（加密文件），无法读取。")
        macros = _VBA_STORAGE in data
        kind = "xls"
    elif Path(name).suffix.lower() in TEXT_SUFFIXES:
        return text_book(data, limits, Path(name).stem or "Sheet1")
    else:
        raise Rejected("unreadable", "不是有效的 Excel/WPS/ODS 表格文件（文件头无法识别），可能已损坏或扩展名有误。")
    wb = _calamine(data, limits)
    return ReadBook(kind=kind, sheet_names=list(wb.sheet_names), macros=macros, _data=data, _wb=wb, _limits=limits)


def text_book(data: bytes, limits: Limits, name: str) -> ReadBook:
    """A .csv/.tsv reply (UTF-8 or GB18030, comma, tab or semicolon separated) as a one-sheet book."""
    if b"\0" in data[:4096]:
        raise Rejected("unreadable", "不是有效的表格文件（既不是 Excel/WPS 表格，也不是 CSV 文本），无法读取。")
    for codec in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(codec)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Rejected("unreadable", "文本文件的编码无法识别（不是 UTF-8 或 GBK），无法读取。")
    first = text[:4096].split("\n", 1)[0]
    delimiter = max(",\t;，", key=first.count)
    rows, outside = [], 0
    for i, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
        if i >= limits.max_rows or len(row) > limits.max_cols:
            outside += 1
            row = row[: limits.max_cols]
            if i >= limits.max_rows:
                continue
        rows.append(row)
    width = max(map(len, rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    sheet = ReadSheet(name, rows, outside=(outside, "") if outside else (0, ""))
    return ReadBook(kind="csv", sheet_names=[name], sheets={name: sheet}, _data=data, _limits=limits)


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*\bref=\"(?:[A-Z]+[0-9]+:)?([A-Z]+)([0-9]+)\"")
_ANY_REF = re.compile(rb"<(?:\w+:)?(?:c|row)\b[^>]*?\br=\"([A-Z]*)([0-9]+)\"")


def _check_extent(data: bytes, entries: list, limits: Limits) -> None:
    """Refuse a package python-calamine would have to allocate a huge sheet for (its dimension or a cell
    beyond the limits): calamine allocates the whole rectangle, and aborts on rows past Excel's."""
    for entry in entries:
        if not entry.filename.startswith("xl/worksheets/") or not entry.filename.endswith(".xml"):
            continue
        try:
            if isinstance(entry, ZipEntry):
                xml = read_member(data, entry)
            else:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    xml = zf.read(entry.filename)
        except (Broken, Unsupported, zipfile.BadZipFile, OSError, ValueError, RuntimeError) as e:
            raise Rejected("unreadable", f"压缩包内 {entry.filename} 无法读取（{e}），文件已损坏。") from None
        rows = cols = 0
        for m in (*_DIMENSION.finditer(xml), *_ANY_REF.finditer(xml)):
            letters, digits = m.group(1), m.group(2)
            rows = max(rows, int(digits))
            if letters:
                cols = max(cols, _column_number(letters.decode()))
        if rows > limits.max_rows or cols > limits.max_cols:
            raise Rejected("cells-out-of-range", _too_big(entry.filename, rows, cols, limits))


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _too_big(where: str, rows: int, cols: int, limits: Limits) -> str:
    return (f"工作表 {where} 的范围达 {rows:,} 行 × {cols:,} 列，超过填报表可能的大小"
            f"（{limits.max_rows:,} 行 × {limits.max_cols} 列），为免占满内存未读取；请对方删去表外内容后重发。")


def _calamine(data: bytes, limits: "Limits | None" = None) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - calamine raises several unrelated types (a Rust panic too)
        text = f"{type(e).__name__}: {e}"
        if "password" in text.lower() or "encrypt" in text.lower():
            raise Rejected("password-protected", "文件设有密码，无法读取。") from e
        raise Rejected("unreadable", f"无法读取（{text}），文件可能已损坏。") from e


def _zip_entries(data: bytes, limits: Limits) -> list:
    """The zip directory (fast reader's, else zipfile's), refusing zip bombs from the declared sizes."""
    try:
        infos = zip_entries(data)
    except Unsupported:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise Rejected("unreadable", f"文件已损坏（压缩包结构无效：{e}），无法读取。") from e
    if not infos:
        raise Rejected("unreadable", "文件已损坏（压缩包是空的），无法读取。")
    if len(infos) > limits.max_parts:
        raise Rejected("zip-bomb", f"压缩包内有 {len(infos):,} 个部件（上限 {limits.max_parts:,} 个），疑似恶意文件，未解压。")
    declared = sum(i.file_size for i in infos)
    if declared > limits.ratio_min_bytes and declared / max(len(data), 1) > limits.max_ratio:
        raise Rejected("zip-bomb", f"压缩包声明解压后共 {declared:,} 字节，为文件大小的 {declared / max(len(data), 1):,.0f} 倍"
                                   f"（上限 {limits.max_ratio:,.0f} 倍），疑似“压缩炸弹”，未解压。")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > limits.max_unpacked_bytes or (info.file_size > limits.ratio_min_bytes and ratio > limits.max_ratio):
            raise Rejected(
                "zip-bomb",
                f"压缩包内 {info.filename} 声明解压后 {info.file_size:,} 字节，为压缩大小的 {ratio:,.0f} 倍"
                f"（上限 {limits.max_ratio:,.0f} 倍、共 {limits.max_unpacked_bytes:,} 字节），疑似“压缩炸弹”，未解压。")
    return infos


def _sheet_xml(data: bytes, index: int) -> bytes | None:
    """XML of the ``index``-th sheet of an OOXML package, found via workbook.xml and its rels."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        wb = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
        ids = re.findall(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", wb) or \
            re.findall(rb"<(?:\w+:)?sheet\b[^>]*?\bid=\"([^\"]+)\"", wb)
        if index >= len(ids):
            return None
        for m in re.finditer(rb"<Relationship\b[^>]*>", rels):
            tag = m.group(0)
            if re.search(rb'\bId="' + re.escape(ids[index]) + rb'"', tag):
                target = re.search(rb'\bTarget="([^"]+)"', tag).group(1).decode()
                return zf.read(target.lstrip("/") if target.startswith("/") else "xl/" + target)
    return None


def _has_formula(xml: bytes) -> bool:
    """Quick test for a formula element (``<f>``, ``<f t=…>``, ``<x:f>``) before any regex work."""
    return any(tag in xml for tag in (b"<f>", b"<f ", b":f>", b":f "))


_F_TEXT = re.compile(rb"<(?:\w+:)?f\b[^>]*>(.*?)</(?:\w+:)?f>", re.S)


def _formula_texts(xml: bytes, refs: set[str]) -> dict[str, str]:
    """ref -> ``=formula`` for the cells ``refs`` of a sheet's XML (a shared formula's follower has no text)."""
    from zwgk_xl.merge.xlsxfast import _xml_text

    out = {}
    for m in _CELL.finditer(xml):
        ref = _REF.search(m.group(1))
        if not ref or ref.group(1).decode() not in refs:
            continue
        f = _F_TEXT.search(m.group(2) or b"")
        if f and f.group(1).strip():
            out[ref.group(1).decode()] = "=" + _xml_text(f.group(1).decode("utf-8", "replace"))
    return out


_HYPERLINK = re.compile(r'^HYPERLINK\(\s*"([^"]+)"', re.I)


def _hyperlinks(xml: bytes, rows: list[list]) -> dict[str, str]:
    """ref -> 「shown text（address）」 for cells holding =HYPERLINK("address", …): the address stays visible."""
    from zwgk_xl.merge.xlsxfast import _xml_text

    out = {}
    for m in _CELL.finditer(xml):
        f = _F_TEXT.search(m.group(2) or b"")
        ref = _REF.search(m.group(1))
        if not f or not ref:
            continue
        link = _HYPERLINK.match(_xml_text(f.group(1).decode("utf-8", "replace")).lstrip("="))
        if not link:
            continue
        r = ref.group(1).decode()
        col = 0
        for ch in r.rstrip("0123456789"):
            col = col * 26 + ord(ch) - 64
        i, j = int(r[len(r.rstrip("0123456789")):]) - 1, col - 1
        shown = rows[i][j] if i < len(rows) and j < len(rows[i]) else None
        shown = str(shown).strip() if shown not in (None, "") else ""
        address = link.group(1)
        out[r] = f"{shown}（{address}）" if shown and shown != address else address
    return out


def _formulas_without_value(xml: bytes) -> set[str]:
    """Cells of a sheet's XML holding a formula but no cached value."""
    if not _has_formula(xml):
        return set()
    out = set()
    for m in _CELL.finditer(xml):
        inner = m.group(2) or b""
        if _FORMULA.search(inner) and not _VALUE.search(inner):
            ref = _REF.search(m.group(1))
            if ref:
                out.add(ref.group(1).decode())
    return out


