"""Receiving returned workbooks safely: discovery, safety checks, reading (fast .xlsx reader or python-calamine).

Checks happen on the raw bytes before anything is decompressed or parsed:
size limit, zip-bomb ratio (from the zip directory), password protection
(an OLE compound file holding ``EncryptedPackage``), macros (``vbaProject.bin``,
an ``_VBA_PROJECT_CUR`` storage, ODF ``Basic/``).  Macros are never executed:
only cell values are read.  Problems raise :class:`Rejected` carrying a
finding kind, so a bad file never stops the others.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook

from zwgk_xl.core.values import EXCEL_EPOCH, cell_text, cell_texts, parse_date  # noqa: F401 (re-exported)
from zwgk_xl.merge.xlsxfast import Broken, FastBook, Unsupported, ZipEntry, column_letter, zip_entries  # noqa: F401 (re-exported)

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".et", ".ett", ".xltx", ".xltm", ".xlt", ".ots"}
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
    max_unpacked_bytes: int = 400 * 2**20  # total declared uncompressed size of a zip container
    max_ratio: float = 100.0  # declared uncompressed / compressed size of one member …
    ratio_min_bytes: int = 2 * 2**20  # … checked for members larger than this


class Rejected(Exception):
    """A file that cannot be merged: ``kind`` is a finding slug, ``message`` says why (Chinese)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class Sheet:
    name: str
    rows: list[list]  # cell values from A1 (python-calamine types)
    formula_cells: set[str] = field(default_factory=set)  # "G6": formula without a cached value


@dataclass
class ReadBook:
    """What was read from one workbook: by the fast .xlsx reader, else by python-calamine."""

    kind: str  # "xlsx" | "xls" | "ods"
    sheet_names: list[str]
    macros: bool = False
    sheets: dict[str, Sheet] = field(default_factory=dict)  # read on demand via ``sheet``
    _data: bytes = b""
    _fast: FastBook | None = None
    _wb: CalamineWorkbook | None = None

    @property
    def reader(self) -> str:
        """"fast" or "calamine": which reader read the sheets so far."""
        return "fast" if self._fast is not None else "calamine"

    def sheet(self, name: str, dense: int = 0) -> Sheet:
        """Cell values of sheet ``name`` (read once).  ``dense``: the width of most rows (a hint for speed)."""
        if name not in self.sheets:
            if self._fast is not None:
                try:
                    got = self._fast.sheet(name, dense)
                    self.sheets[name] = Sheet(name, got.rows, got.formula_cells)
                    return self.sheets[name]
                except Unsupported:  # something the fast reader does not handle: calamine from here on
                    self._fast = None
                    self._wb = _calamine(self._data)
                except Broken as b:
                    raise Rejected(b.kind, b.message) from None
            try:
                rows = self._wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as e:  # noqa: BLE001 - calamine raises several unrelated types
                raise Rejected("unreadable", f"工作表「{name}」无法读取({type(e).__name__}: {e}),文件可能已损坏。") from e
            formulas = self._formulas(name) if self.kind == "xlsx" else set()
            self.sheets[name] = Sheet(name, rows, formulas)
        return self.sheets[name]

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
    if path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        return "not-spreadsheet"
    if (path.stat().st_size if size is None else size) > limits.max_file_bytes:
        return "too-large"
    return None


def open_book(data: bytes, limits: Limits, fast: bool = True) -> ReadBook:
    """Check ``data`` (a file's bytes) and open it; raises :class:`Rejected`.

    Well-formed .xlsx/.xlsm packages are read by :mod:`zwgk_xl.xlsxfast`
    (``fast=False`` forces python-calamine); everything else, and anything the
    fast reader does not fully understand, by python-calamine.  Both give the
    same rows.
    """
    macros = False
    if data.startswith(ZIP_MAGIC):
        entries = _zip_entries(data, limits)
        names = {e.filename for e in entries}
        listing = "\n" + "\n".join(names) + "\n"
        macros = "vbaproject.bin\n" in listing.lower() or "\nBasic/" in listing
        kind = "ods" if "content.xml" in names and "xl/workbook.xml" not in names else "xlsx"
        if fast and kind == "xlsx" and isinstance(entries[0], ZipEntry):
            try:
                book = FastBook(data, entries)
                return ReadBook(kind=kind, sheet_names=book.sheet_names, macros=macros, _data=data, _fast=book)
            except Unsupported:
                pass
            except Broken as b:
                raise Rejected(b.kind, b.message) from None
    elif data.startswith(OLE_MAGIC):
        if _ENCRYPTED in data:
            raise Rejected("password-protected", "文件设有打开密码(加密文件),无法读取。")
        macros = _VBA_STORAGE in data
        kind = "xls"
    else:
        raise Rejected("unreadable", "不是有效的 Excel/WPS/ODS 表格文件(文件头无法识别),可能已损坏或扩展名有误。")
    wb = _calamine(data)
    return ReadBook(kind=kind, sheet_names=list(wb.sheet_names), macros=macros, _data=data, _wb=wb)


def _calamine(data: bytes) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - calamine raises several unrelated types
        text = f"{type(e).__name__}: {e}"
        if "password" in text.lower() or "encrypt" in text.lower():
            raise Rejected("password-protected", "文件设有密码,无法读取。") from e
        raise Rejected("unreadable", f"无法读取({text}),文件可能已损坏。") from e


def _zip_entries(data: bytes, limits: Limits) -> list:
    """The zip directory (fast reader's, else zipfile's), refusing zip bombs from the declared sizes."""
    try:
        infos = zip_entries(data)
    except Unsupported:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise Rejected("unreadable", f"文件已损坏(压缩包结构无效:{e}),无法读取。") from e
    if not infos:
        raise Rejected("unreadable", "文件已损坏(压缩包是空的),无法读取。")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > limits.max_unpacked_bytes or (info.file_size > limits.ratio_min_bytes and ratio > limits.max_ratio):
            raise Rejected(
                "zip-bomb",
                f"压缩包内 {info.filename} 声明解压后 {info.file_size:,} 字节,为压缩大小的 {ratio:,.0f} 倍"
                f"(上限 {limits.max_ratio:,.0f} 倍、共 {limits.max_unpacked_bytes:,} 字节),疑似“压缩炸弹”,未解压。")
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


