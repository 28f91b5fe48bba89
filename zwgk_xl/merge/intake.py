"""Receiving returned workbooks safely: discovery, safety checks, reading with python-calamine.

Checks happen on the raw bytes before anything is decompressed or parsed:
size limit, zip-bomb ratio (from the zip directory), password protection
(an OLE compound file holding ``EncryptedPackage``), macros (``vbaProject.bin``,
an ``_VBA_PROJECT_CUR`` storage, ODF ``Basic/``).  Macros are never executed:
only cell values are read.  Problems raise :class:`Rejected` carrying a
finding kind, so a bad file never stops the others.

Cell values are python-calamine's.  Of an .xlsx sheet, :mod:`zwgk_xl.merge.xlsxscan` first finds what
calamine does not give (formulas without a value, error values, HYPERLINK addresses) and the cells beyond
the limits, which are left out (calamine would allocate the whole rectangle up to them).
"""

from __future__ import annotations

import csv
import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook

from zwgk_xl.core.values import EXCEL_EPOCH, cell_text, cell_texts, parse_date  # noqa: F401 (re-exported)
from zwgk_xl.merge import xlsxscan
from zwgk_xl.merge.xlsxscan import Broken, column_letter  # noqa: F401 (re-exported)

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".et", ".ett", ".xltx", ".xltm", ".xlt", ".ots"}
TEXT_SUFFIXES = {".csv", ".tsv", ""}  # read when their content is a table (sniffed)
LOCK_PREFIX = "~$"
OWN_TEMP_PREFIX = ".~zwgk_"  # atomic-write temp files of this tool
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_VBA_STORAGE = "_VBA_PROJECT_CUR".encode("utf-16-le")


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
    max_cells: int = 2_000_000  # cells of all sheets together that an .ods/.xls may span (calamine opens them all)


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
    formula_cells: set[str] = field(default_factory=set)  # "G6": formula without a cached value (.xlsx)
    error_cells: dict[str, str] = field(default_factory=dict)  # "G6" -> "#DIV/0!" (.xlsx)
    outside: tuple[int, str] = (0, "")  # cells beyond the limits, left out: (count, first ref)
    formula_texts: dict[str, str] = field(default_factory=dict)  # "G6" -> "=SUM(A1:A3)" for formula/error cells
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)  # merged ranges,
    # ((first row, first column), (last row, last column)), 0-based (their value sits in the first cell)


@dataclass
class ReadBook:
    """What was read from one workbook (by python-calamine; .csv by :func:`text_book`, a Word reply's tables by
    :func:`word_book`)."""

    kind: str  # "xlsx" | "xls" | "ods" | "csv" | "docx"
    sheet_names: list[str]
    macros: bool = False
    sheets: dict[str, ReadSheet] = field(default_factory=dict)  # read on demand via ``sheet``
    _data: bytes = b""
    _wb: CalamineWorkbook | None = None
    _limits: "Limits | None" = None
    _members: dict[str, xlsxscan.Entry | zipfile.ZipInfo] | None = None  # .xlsx: lower-cased name -> zip entry
    _parts: dict[str, str] | None = None  # .xlsx: sheet name -> its part (read on first use)
    _workbook: bytes | None = None  # .xlsx: xl/workbook.xml, kept once read (see part)

    def sheet(self, name: str) -> ReadSheet:
        """Cell values of sheet ``name`` (read once); raises :class:`Rejected`."""
        if name not in self.sheets:
            limits = self._limits or Limits()
            try:
                found = self._scan(name, limits) if self.kind == "xlsx" else None
                sheet = self._wb.get_sheet_by_name(name)
                if sheet.total_height >= limits.max_rows or sheet.total_width >= limits.max_cols:  # .xls/.ods: late
                    raise Rejected("cells-out-of-range", _too_big(name, sheet.total_height + 1, sheet.total_width + 1,
                                                                  limits))
                rows = sheet.to_python(skip_empty_area=False)
                merged = _merged(sheet)
            except Broken as b:
                raise Rejected(b.kind, b.message) from None
            except (Rejected, KeyboardInterrupt, SystemExit):
                raise
            except BaseException as e:  # noqa: BLE001 - calamine raises several unrelated types (a Rust panic too)
                raise _unreadable(f"工作表「{name}」无法读取", e) from e
            if found is None:
                self.sheets[name] = ReadSheet(name, rows, merged=merged)
            else:
                texts = xlsxscan.shown_links(found.formula_texts, {*found.formula_cells, *found.error_cells}, rows) \
                    if found.hyperlinks else found.formula_texts
                self.sheets[name] = ReadSheet(name, rows, found.formula_cells, found.error_cells, found.outside, texts,
                                              merged)
        return self.sheets[name]

    def _member(self, name: str) -> bytes | None:
        info = self._members.get(name.lower())
        return None if info is None else xlsxscan.member(self._data, info)

    def part(self, name: str) -> bytes | None:
        """The content of the .xlsx package's part ``name`` (any case; None when there is none, or not an
        .xlsx); ``xl/workbook.xml`` is inflated once.  Raises :class:`Broken`."""
        if not self._members:
            return None
        if name == "xl/workbook.xml":
            if self._workbook is None:
                self._workbook = self._member(name)
            return self._workbook
        return self._member(name)

    def has_part(self, name: str) -> bool:
        """Whether the .xlsx package has a part ``name`` (any case)."""
        return bool(self._members) and name.lower() in self._members

    def _scan(self, name: str, limits: "Limits") -> "xlsxscan.SheetScan | None":
        """What calamine does not give of sheet ``name``; its cells beyond the limits are left out of the
        package calamine reads from here on."""
        if self._parts is None:
            self._parts = xlsxscan.sheet_parts(self.part("xl/workbook.xml") or b"",
                                               self._member("xl/_rels/workbook.xml.rels") or b"")
        part = self._parts.get(name)
        xml = self._member(part) if part and posixpath.normpath(part) == part else None
        if xml is None:  # not found as calamine may: no part of the package may reach beyond the limits
            for info in self._members.values():
                far = xlsxscan.far_cells(xlsxscan.member(self._data, info), limits.max_rows, limits.max_cols)
                if far:
                    raise Rejected("cells-out-of-range", _too_big(info.filename, far[1][0] + 1, far[1][1] + 1,
                                                                  limits))
            return None
        found = xlsxscan.scan(xml, limits.max_rows, limits.max_cols)
        if found.outside[0]:
            self._replace(part, xlsxscan.trimmed(xml, limits.max_rows, limits.max_cols))
        return found

    def _replace(self, part: str, xml: bytes) -> None:
        """Read the package with ``part`` replaced by ``xml`` from here on."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info in self._members.values():
                z.writestr(info.filename, xml if info.filename.lower() == part.lower() else
                           xlsxscan.member(self._data, info))
        self.close()
        self._data = out.getvalue()
        self._members = {i.filename.lower(): i for i in zipfile.ZipFile(out).infolist()}
        self._wb = _calamine(self._data)

    def close(self) -> None:
        if self._wb is not None:
            self._wb.close()
            self._wb = None


def discover(folder: Path, exclude: list[Path] = ()) -> list[Path]:
    """Every file below ``folder`` (recursively), sorted by relative path; folders in ``exclude`` skipped."""
    folder = Path(folder)
    skip = {Path(p).resolve() for p in exclude}
    skipped: dict[Path, bool] = {}  # a folder (as found) -> whether it lies in a skipped one, resolved once

    def in_skipped(where: Path) -> bool:
        found = skipped.get(where)
        if found is None:
            real = where.resolve()
            found = skipped[where] = real in skip or not skip.isdisjoint(real.parents)
        return found

    out = []
    for p in folder.rglob("*"):
        if not p.is_file() or p.name.startswith(OWN_TEMP_PREFIX):
            continue
        if skip and (in_skipped(p.parent) or p.is_symlink() and in_skipped(p.resolve().parent)):
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


def open_book(data: bytes, limits: Limits, name: str = "") -> ReadBook:
    """Check ``data`` (a file's bytes) and open it with python-calamine; raises :class:`Rejected`.

    Nothing is inflated before the zip checks.  Text (a .csv, or a file without extension, ``name``) is
    read as a table when it is one.
    """
    macros, members = False, None
    if data.startswith(ZIP_MAGIC):
        entries = _zip_entries(data, limits)
        names = {e.filename for e in entries}
        listing = "\n" + "\n".join(names) + "\n"
        macros = "vbaproject.bin\n" in listing.lower() or "\nBasic/" in listing
        if "xl/workbook.xml" not in names and "content.xml" not in names:
            raise Rejected("not-a-form", "文件是压缩包或 Word 等文档，不是 Excel/WPS 表格，未汇总。")
        kind = "ods" if "content.xml" in names and "xl/workbook.xml" not in names else "xlsx"
        if kind == "xlsx":
            members = {e.filename.lower(): e for e in entries}
            if len(members) < len(entries):  # which one would calamine read?
                raise Rejected("unreadable", "压缩包内有同名的部件，文件结构异常（可能已损坏或被篡改），未读取。")
            for key, info in members.items():  # calamine checks no CRC: the parts behind the values are checked here
                try:
                    if key.endswith("sharedstrings.xml"):
                        xlsxscan.check_shared_strings(xlsxscan.member(data, info))
                    elif key.endswith("styles.xml"):  # its number formats make a number a date
                        xlsxscan.member(data, info)
                except Broken as b:
                    raise Rejected(b.kind, b.message) from None
        else:  # calamine expands an .ods's repeated cells when it opens it: their extent is checked first
            content = next(e for e in entries if e.filename == "content.xml")
            try:
                _check_extents(xlsxscan.ods_extents(xlsxscan.member(data, content)), limits)
            except Broken as b:
                raise Rejected(b.kind, b.message) from None
    elif data.startswith(OLE_MAGIC):
        if _ENCRYPTED in data:
            raise Rejected("password-protected", "文件设有打开密码（加密文件），无法读取。")
        macros = _VBA_STORAGE in data
        kind = "xls"
        try:  # calamine allocates every sheet's rectangle when it opens an .xls: the cells' extent first
            _check_extents(xlsxscan.xls_extents(data), limits)
        except Broken as b:
            raise Rejected(b.kind, b.message) from None
    elif Path(name).suffix.lower() in TEXT_SUFFIXES:
        return text_book(data, limits, Path(name).stem or "Sheet1")
    else:
        raise Rejected("unreadable", "不是有效的 Excel/WPS/ODS 表格文件（文件头无法识别），可能已损坏或扩展名有误。")
    wb = _calamine(data)
    return ReadBook(kind=kind, sheet_names=list(wb.sheet_names), macros=macros, _data=data, _wb=wb, _limits=limits,
                    _members=members)


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


WORD_MAX_BYTES = 8 * 2**20  # a Word reply's document part read for tables at most (a 60-row table: ~0.2 MB)


def word_book(data: bytes, limits: Limits, name: str = "") -> ReadBook | None:
    """The tables of a Word .docx reply as sheets 表格1, 表格2 … (each cell's text; a merged cell's text in
    each cell it covers), within the limits; None when it is not a .docx or holds no table.  The package is
    checked (part count, declared sizes and ratios) before python-docx opens it.  Raises :class:`Rejected`."""
    if not data.startswith(ZIP_MAGIC):
        return None
    body = next((e for e in _zip_entries(data, limits) if e.filename == "word/document.xml"), None)
    if body is None or body.file_size > WORD_MAX_BYTES:  # a long report, not a form's table
        return None
    try:
        if b"<w:tbl" not in xlsxscan.member(data, body):  # a covering note without a table: not parsed at all
            return None
    except Broken as b:
        raise Rejected(b.kind, b.message) from None
    import docx  # only for Word replies

    sheets: dict[str, ReadSheet] = {}
    try:
        for k, table in enumerate(docx.Document(io.BytesIO(data)).tables, start=1):
            rows, outside = [], 0
            for i, row in enumerate(table.rows):
                if i >= limits.max_rows:
                    outside += 1
                    continue
                cells = row.cells  # a merged cell in each grid column it covers
                outside += max(0, len(cells) - limits.max_cols)
                rows.append([c.text.strip() for c in cells[: limits.max_cols]])
            width = max(map(len, rows), default=0)
            label = f"表格{k}"
            sheets[label] = ReadSheet(label, [r + [""] * (width - len(r)) for r in rows],
                                      outside=(outside, "") if outside else (0, ""))
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:  # noqa: BLE001 - a damaged document: python-docx and lxml raise many types
        raise Rejected("unreadable", f"Word 文件{name and f'「{name}」'}无法打开（{type(e).__name__}），可能已损坏。") from e
    if not sheets:
        return None
    return ReadBook(kind="docx", sheet_names=list(sheets), sheets=sheets, _data=data, _limits=limits)


def _check_extents(extents: list[tuple[int, int]], limits: Limits) -> None:
    """Refuse a workbook whose sheets (all of them: calamine opens an .ods/.xls whole) span more than a form can."""
    rows = max((r for r, _ in extents), default=0)
    cols = max((c for _, c in extents), default=0)
    if rows > limits.max_rows or cols > limits.max_cols:
        raise Rejected("cells-out-of-range", _too_big("", rows, cols, limits))
    cells = sum(r * c for r, c in extents)
    if cells > limits.max_cells:
        raise Rejected("cells-out-of-range", f"文件的 {len(extents)} 张工作表合计达 {cells:,} 个单元格，超过填报表可能的大小"
                                             f"（{limits.max_cells:,} 个），为免占满内存未读取；请对方删去多余的工作表后重发。")


def _too_big(where: str, rows: int, cols: int, limits: Limits) -> str:
    return (f"{f'工作表 {where} ' if where else '表格'}的范围达 {rows:,} 行 × {cols:,} 列，超过填报表可能的大小"
            f"（{limits.max_rows:,} 行 × {limits.max_cols} 列），为免占满内存未读取；请对方删去表外内容后重发。")


def _unreadable(what: str, e: BaseException) -> Rejected:
    """The finding for an error python-calamine raised (``what``: where)."""
    text = f"{type(e).__name__}：{e}"
    if "password" in text.lower() or "encrypt" in text.lower():
        return Rejected("password-protected", "文件设有密码，无法读取。")
    if "larger than its declared" in text:
        return Rejected("zip-bomb", f"{what}：压缩包内的部件解压后超过声明的大小，疑似“压缩炸弹”，未继续解压。")
    return Rejected("unreadable", f"{what}（{text}），文件可能已损坏。")


def _merged(sheet) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The sheet's merged ranges as python-calamine gives them ([] when the format has none or they cannot be
    read: they only help to read a form)."""
    try:
        return [((int(a), int(b)), (int(c), int(d))) for (a, b), (c, d) in sheet.merged_cell_ranges or []]
    except Exception:  # noqa: BLE001 - calamine raises several unrelated types
        return []


def _calamine(data: bytes) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - calamine raises several unrelated types (a Rust panic too)
        raise _unreadable("无法读取", e) from e


def _zip_entries(data: bytes, limits: Limits) -> list:
    """The zip directory (nothing inflated), refusing zip bombs from the declared sizes."""
    infos = xlsxscan.directory(data)
    if infos is None:  # not a plain directory: as zipfile reads it
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
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
