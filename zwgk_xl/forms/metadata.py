"""Reading a form's metadata back: the hidden sheet, document properties or defined names.

A form carries its round, unit, ledger id, checksum and task ids three times
(a very hidden sheet, custom properties and defined names), so it survives a
re-save in WPS or LibreOffice or a copy into a new workbook that keeps only
some of them.
"""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from zwgk_xl.core.errors import FormError
from zwgk_xl.core.values import cell_texts
from zwgk_xl.forms import spec as fs

META_SOURCES = ("sheet", "properties", "names")  # in the order they are tried

_NS = {
    "cp": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "ss": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
}
_USER_DEFINED_FMTID = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")


def _from_items(items: dict[str, str]) -> dict | None:
    """Assemble META_KEYS from ``zwgk_<key>`` (+ ``_2``, ``_3`` … parts); None if absent."""
    out = {}
    for key in fs.META_KEYS:
        name = fs.META_PREFIX + key
        if name not in items:
            continue
        value, n = items[name], 2
        while f"{name}_{n}" in items:
            value += items[f"{name}_{n}"]
            n += 1
        out[key] = value
    return out if out.get("round") or out.get("unit") else None


def _unquote_formula(text: str) -> str | None:
    """The string of a ``="…"`` / ``"…"`` constant formula, else None."""
    t = (text or "").strip().lstrip("=").strip()
    if len(t) >= 2 and t[0] == '"' and t[-1] == '"':
        return t[1:-1].replace('""', '"')
    return None


def _meta(found: dict | None, source: str) -> dict | None:
    """The metadata in the shape :func:`read_form_metadata` returns, from :func:`_from_items`' result."""
    if found is None:
        return None
    meta = {key: str(found.get(key, "") or "").strip() for key in fs.META_KEYS}
    meta["task_ids"] = fs.decode_task_ids(meta["task_ids"])
    meta["meta_source"] = source
    return meta


def meta_from_rows(rows: list[list]) -> dict | None:
    """The metadata held by the rows (key, value) of the very hidden sheet, as :func:`read_form_metadata`
    returns it; None without round and unit."""
    items = {}
    for row in rows:
        if len(row) >= 2:
            key, value = cell_texts(row[:2])
            if key in fs.META_KEYS:
                items[fs.META_PREFIX + key] = value
    return _meta(_from_items(items), "sheet")


def _meta_from_sheet(path: Path) -> dict | None:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    try:
        if fs.META_SHEET not in wb.sheet_names:
            return None
        rows = wb.get_sheet_by_name(fs.META_SHEET).to_python(skip_empty_area=False)
    finally:
        wb.close()
    return meta_from_rows(rows)


def _zip_xml(z: zipfile.ZipFile, name: str):
    try:
        return ET.fromstring(z.read(name))
    except KeyError:
        return None


def _ooxml_properties(z: zipfile.ZipFile) -> dict[str, str]:
    root = _zip_xml(z, "docProps/custom.xml")
    if root is None:
        return {}
    return {p.get("name", ""): "".join(p.itertext()) for p in root.findall("cp:property", _NS)}


def _ooxml_names(z: zipfile.ZipFile) -> dict[str, str]:
    root = _zip_xml(z, "xl/workbook.xml")
    out = {}
    for dn in root.iter(f"{{{_NS['ss']}}}definedName") if root is not None else []:
        value = _unquote_formula(dn.text or "")
        if value is not None and dn.get("localSheetId") is None:
            out[dn.get("name", "")] = value
    return out


def _ods_properties(z: zipfile.ZipFile) -> dict[str, str]:
    root = _zip_xml(z, "meta.xml")
    if root is None:
        return {}
    return {u.get(f"{{{_NS['meta']}}}name", ""): "".join(u.itertext())
            for u in root.iter(f"{{{_NS['meta']}}}user-defined")}


def _ods_names(z: zipfile.ZipFile) -> dict[str, str]:
    root = _zip_xml(z, "content.xml")
    out = {}
    for ne in root.iter(f"{{{_NS['table']}}}named-expression") if root is not None else []:
        value = _unquote_formula(ne.get(f"{{{_NS['table']}}}expression", ""))
        if value is not None:
            out[ne.get(f"{{{_NS['table']}}}name", "")] = value
    return out


def _xls_properties(path: Path) -> dict[str, str]:
    """User-defined properties of an .xls (OLE ``DocumentSummaryInformation``, second section)."""
    from xlrd import compdoc

    with open(path, "rb") as fh:
        data = fh.read()
    stream = compdoc.CompDoc(data, logfile=open(os.devnull, "w")).get_named_stream("\x05DocumentSummaryInformation")
    if not stream or len(stream) < 48:
        return {}
    nsect = struct.unpack_from("<I", stream, 24)[0]
    for i in range(nsect):
        fmtid = stream[28 + 20 * i: 44 + 20 * i]
        if fmtid == _USER_DEFINED_FMTID:
            return _parse_property_section(stream, struct.unpack_from("<I", stream, 44 + 20 * i)[0])
    return {}


def _parse_property_section(buf: bytes, base: int) -> dict[str, str]:
    """Decode the named string properties of one OLE property-set section."""
    count = struct.unpack_from("<I", buf, base + 4)[0]
    offsets = dict(struct.unpack_from("<II", buf, base + 8 + 8 * i) for i in range(count))
    codepage = 1252
    if 1 in offsets:
        codepage = struct.unpack_from("<H", buf, base + offsets[1] + 4)[0]
    encoding = "utf-8" if codepage == 65001 else "utf-16-le" if codepage == 1200 else f"cp{codepage}"
    names: dict[int, str] = {}
    if 0 in offsets:
        pos = base + offsets[0]
        for _ in range(struct.unpack_from("<I", buf, pos)[0]):
            pid, size = struct.unpack_from("<II", buf, pos + 4)
            width = 2 if codepage == 1200 else 1
            raw = buf[pos + 12: pos + 12 + size * width]
            names[pid] = raw.decode(encoding, "replace").rstrip("\x00")
            pos += 8 + size * width
            if codepage == 1200:
                pos += (-(size * width)) % 4
    out = {}
    for pid, name in names.items():
        start = base + offsets.get(pid, 0)
        vtype = struct.unpack_from("<I", buf, start)[0] & 0xFFFF
        if vtype == 0x1E:  # VT_LPSTR
            size = struct.unpack_from("<I", buf, start + 4)[0]
            out[name] = buf[start + 8: start + 8 + size].decode(encoding, "replace").rstrip("\x00")
        elif vtype == 0x1F:  # VT_LPWSTR
            size = struct.unpack_from("<I", buf, start + 4)[0]
            out[name] = buf[start + 8: start + 8 + 2 * size].decode("utf-16-le", "replace").rstrip("\x00")
    return out


def _xls_names(path: Path) -> dict[str, str]:
    import xlrd

    book = xlrd.open_workbook(str(path), on_demand=True, logfile=open(os.devnull, "w"))
    try:
        return {n.name: n.result.value for n in book.name_obj_list
                if n.result is not None and isinstance(n.result.value, str)}
    finally:
        book.release_resources()


def _fallback_sources(path: Path):
    """(source, items) pairs for properties and defined names, by file type."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        with zipfile.ZipFile(path) as z:
            return [("properties", _ooxml_properties(z)), ("names", _ooxml_names(z))]
    if suffix == ".ods":
        with zipfile.ZipFile(path) as z:
            return [("properties", _ods_properties(z)), ("names", _ods_names(z))]
    if suffix == ".xls":
        try:
            import xlrd  # noqa: F401 - optional: only the .xls fallbacks need it
        except ImportError:
            return []
        return [("properties", _xls_properties(path)), ("names", _xls_names(path))]
    return []


def read_form_metadata(path) -> dict | None:
    """Metadata of a fill-in form (.xlsx/.xlsm/.xls/.ods), or None when it carries none.

    Tries the (very) hidden sheet ``_zwgk_meta`` first, then custom document
    properties, then defined names.  The result holds the keys of
    ``formspec.META_KEYS`` (missing ones as ""), ``task_ids`` as a list, and
    ``meta_source``: "sheet", "properties" or "names".

    Raises:
        FormError: the file is missing or cannot be opened as a workbook.
    """
    path = Path(path)
    if not path.is_file():
        raise FormError(f"找不到文件 {path}。")
    try:
        meta = _meta_from_sheet(path)
        if meta is None:
            for source, items in _fallback_sources(path):
                meta = _meta(_from_items(items), source)
                if meta is not None:
                    break
    except Exception as e:  # noqa: BLE001 - any reader failure means an unreadable workbook
        raise FormError(f"无法读取 {path.name}：{e}。请确认它是 Excel/WPS 表格文件，必要时请对方重新保存后再发。") from e
    return meta
