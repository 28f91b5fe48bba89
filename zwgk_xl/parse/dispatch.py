"""Choose a reader by what a file is (its first bytes), then by its extension."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

from zwgk_xl.core.errors import InputError, NoStructure, UnsupportedFormat
from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import Document
from zwgk_xl.parse import readers
from zwgk_xl.parse.cells import cell_rows
from zwgk_xl.parse.table import parse_table
from zwgk_xl.parse.text import extract_metadata, parse_normalized, parse_text
from zwgk_xl.parse.normalize import normalize_cell, normalize_text
from zwgk_xl.parse.genre import refuse_non_list
from zwgk_xl.parse.scraped import scraped_rows

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
SHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".et", ".xlsb"}
HTML_SUFFIXES = {".html", ".htm", ".mhtml", ".mht", ".shtml", ".xhtml"}
OFFICE_SUFFIXES = {".doc", ".wps", ".rtf", ".odt", ".wpt", ".dot"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SUPPORTED = "txt、docx、doc、wps、rtf、odt、xlsx、xls、ods、et、csv、html"


def sniff(path: Path, head: bytes) -> str:
    """What a file really is: docx, xlsx, ods, odt, ole, rtf, html, pdf, image, text or binary."""
    suffix = path.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                mime = z.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
        except (zipfile.BadZipFile, OSError, KeyError):
            return "binary"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            return "xlsx"
        if "spreadsheet" in mime:
            return "ods"
        if "text" in mime:
            return "odt"
        return "zip"
    if head.startswith(_OLE):
        return "ole"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")):
        return "image"
    low = head[:2048].lower().lstrip(b"\xef\xbb\xbf \r\n\t")
    if low.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in head[:4096].lower() \
            or (b"mime-version" in low[:512] and b"multipart" in head[:4096].lower()) \
            or (suffix in HTML_SUFFIXES and b"<" in low[:200]):
        return "html"
    if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def parse_path(path, year: int | None = None) -> Document:
    """Parse any supported file into a Document (see :func:`zwgk_xl.parsing.parse_file`)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"找不到文件「{path}」，请检查路径和文件名。")
    if path.is_dir():
        raise InputError(f"「{path}」是文件夹，请指定其中的任务清单文件。")
    try:
        with path.open("rb") as f:
            head = f.read(8192)
    except OSError as e:
        raise InputError(f"无法读取「{path}」：{e.strerror or e}。") from None
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputError(f"「{path.name}」是空文件，没有可解析的内容。请确认选对了文件。")
    kind = sniff(path, head)
    suffix = path.suffix.lower()
    name = path.name

    if kind == "pdf":
        raise UnsupportedFormat(
            f"「{name}」是 PDF 文件，暂不支持直接解析。请用 WPS/Word 把它转换为 .docx,"
            "或复制全文粘贴到 .txt 文件后重试。"
        )
    if kind == "image":
        raise UnsupportedFormat(f"「{name}」是图片，无法读取文字。请先做文字识别（OCR）并保存为 .docx 或 .txt 后重试。")
    if suffix == ".docx" and kind not in ("docx", "ole", "html", "rtf"):
        raise InputError(
            f"「{name}」不是有效的 Word 文件（.docx），可能已损坏或只是改了扩展名。"
            "请用 Word/WPS 打开后另存为 .docx 再试。"
        )
    if suffix in SHEET_SUFFIXES and kind not in ("xlsx", "ole", "ods", "html", "text"):
        raise InputError(f"「{name}」不是有效的电子表格文件，可能已损坏或只是改了扩展名。请用 Excel/WPS 打开后另存为 .xlsx 再试。")

    if kind == "docx":
        return _from_extract(readers.read_docx(path), name, year)
    if kind in ("xlsx", "ods") or (kind == "ole" and suffix in SHEET_SUFFIXES):
        return _from_sheets(readers.read_sheets(path), name, year)
    if kind == "ole" and suffix not in OFFICE_SUFFIXES | {".docx"}:
        try:  # an old binary file with an unknown extension: a workbook?
            return _from_sheets(readers.read_sheets(path), name, year)
        except InputError:
            pass
    if kind in ("ole", "rtf", "odt"):
        return _from_extract(readers.read_doc(path), name, year)
    if kind == "html":
        return _from_extract(readers.read_html(path), name, year)
    if kind == "text":
        text = readers.read_text_file(path)
        if suffix in {".csv", ".tsv"} | SHEET_SUFFIXES:  # web systems export tab-separated "xls"
            return _from_sheets([_csv_sheet(text, path)], name, year)
        norm, was_trad = normalize_text(text)
        rows = scraped_rows(norm)
        if rows == []:
            raise NoStructure(f"「{name}」中的任务表只剩表头和分类标题，任务内容和责任单位都是空的（可能是复制网页时丢失了），"
                              "请从原网页或原文件另存后重试。")
        rows = rows or pipe_rows(norm) or cell_rows(norm)
        if rows:
            doc = parse_table(rows, source=name, year=year)
            if doc is not None:
                refuse_non_list(doc, norm.split("\n"), name)
                return _fill_metadata(doc, text.split("\n"), year)
        return parse_normalized(norm, was_trad, source=name, year=year)
    raise UnsupportedFormat(f"不支持的文件类型「{suffix or name}」。可读取：{_SUPPORTED}。")


_PIPE_RULE = re.compile(r"^[\s|:+\-=]+$")


def pipe_rows(text: str) -> list[list[str]] | None:
    """Rows of a table scraped as ``|``-separated lines (Markdown style included), else None.

    Lines without ``|`` (a title, notes) are kept as one-cell rows so that the
    table finds its title above the header.
    """
    lines = [l.strip() for l in text.split("\n") if l.strip()]
    piped = [l for l in lines if l.count("|") >= 2]
    if len(piped) < 3 or len(piped) < len(lines) * 0.5:
        return None
    rows = []
    for l in lines:
        if "|" not in l:
            rows.append([l])
        elif not _PIPE_RULE.match(l):
            rows.append([c.strip() for c in l.strip().strip("|").split("|")])
    return rows


def _csv_sheet(text: str, path: Path) -> readers.Sheet:
    dialect = csv.excel_tab if path.suffix.lower() == ".tsv" or text.count("\t") > text.count(",") else csv.excel
    return readers.Sheet(path.stem, [list(r) for r in csv.reader(io.StringIO(text), dialect)])


def _best(docs: list[Document]) -> Document | None:
    return max(docs, key=lambda d: len(d.tasks)) if docs else None


def _fill_metadata(doc: Document, lines: list[str], year: int | None) -> Document:
    """Title, issuer, 文号 and year from the text around a table, where the table had none."""
    if not lines:
        return doc
    meta = extract_metadata([normalize_cell(l) for l in lines[:60]])
    doc.title = doc.title or meta.title
    doc.issuer = doc.issuer or meta.issuer
    doc.doc_number = doc.doc_number or meta.doc_number
    doc.cited = doc.cited or meta.cited
    doc.year = year or doc.year or meta.year
    return doc


def _from_extract(ex: readers.Extract, name: str, year: int | None) -> Document:
    """A document with a task table is read from the table; otherwise from its text."""
    if year is None and ex.lines:
        year = extract_metadata([normalize_cell(l) for l in ex.lines[:60]]).year
    docs = [d for d in (parse_table(t, source=name, year=year) for t in ex.tables) if d]
    if len(docs) > 1:
        # A table split over pages (each part with its header): read the parts as one table.
        joined = parse_table([row for t in ex.tables for row in t], source=name, year=year)
        if joined and len(joined.tasks) >= max(len(d.tasks) for d in docs):
            docs = [joined]
    doc = _best(docs)
    if doc is not None:
        refuse_non_list(doc, [normalize_cell(l) for l in ex.lines[:60]], name)
        return _fill_metadata(doc, ex.lines, year)
    if not ex.lines:
        raise NoStructure(f"「{name}」中没有文字内容。如果是扫描件，请先做文字识别（OCR）。")
    return parse_text("\n".join(ex.lines), source=name, year=year)


def _from_sheets(sheets: list[readers.Sheet], name: str, year: int | None) -> Document:
    """The worksheet holding the task table; a sheet of plain lines is read as text."""
    docs: list[tuple[str, Document]] = []
    for sh in sheets:
        doc = parse_table(sh.rows, source=name, year=year, sheet=sh.name)
        if doc is not None:
            docs.append((sh.name, doc))
    if docs:
        sheet, doc = max(docs, key=lambda x: len(x[1].tasks))
        others = [s for s, _ in docs if s != sheet]
        if others:
            doc.note(fk.finding(
                "parse-other-sheets",
                f"工作簿中还有其他工作表也像任务表：{'、'.join(others)}；只读取了「{sheet}」，如需其他表请单独另存后解析",
                sheet=sheet))
        if year:
            doc.year = year
        return doc
    lines = [v for sh in sheets for row in sh.rows for v in dict.fromkeys(row) if v]
    if not lines:
        raise NoStructure(f"「{name}」中没有内容（所有工作表都是空的）。")
    try:
        return parse_text("\n".join(lines), source=name, year=year)
    except NoStructure:
        raise NoStructure(
            f"「{name}」中没有找到任务表：未识别到表头（序号、工作任务、任务要求、责任单位、完成时限等），"
            "也没有带编号的任务条目。请检查表头文字后重试。"
        ) from None
