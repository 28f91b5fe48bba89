"""One returned file, examined: safety checks, reading, identifying and checking, all without the ledger.

Whatever happens to one file ends as findings of that file (an unforeseen
error as an ``unexpected-error`` finding naming the exception's class); it
never stops the others.  This runs in worker processes too.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from zwgk_xl.core import findings as fk
from zwgk_xl.core.encodings import decode_8bit
from zwgk_xl.core.model import Finding
from zwgk_xl.ledger.store import Submission, sha256_file
from zwgk_xl.merge.attachments import kind_of
from zwgk_xl.merge.checking import Checker, read_form
from zwgk_xl.merge.context import Context
from zwgk_xl.merge.identify import identify, second_form_unit, units_in_name
from zwgk_xl.merge.headers import find_header
from zwgk_xl.merge.intake import TEXT_SUFFIXES, Limits, Rejected, open_book, precheck, word_book
from zwgk_xl.merge.results import FileOutcome


@dataclass
class Examined:
    """One file as read and validated (in this process or a worker): what storing it needs, all picklable."""

    out: FileOutcome
    findings: list[Finding]
    name_unit: str = ""  # the unit its file name names (what a duplicate is reported under)
    submission: Submission | None = None
    data: bytes | None = None  # the file's bytes, for the archive (None: not read, or too big to pass back)
    archive: bool = True  # False for files over the size limit (never archived)
    skipped: bool = False  # lock files and non-spreadsheets: nothing goes to the ledger
    extra: list[Submission] = field(default_factory=list)  # other units' forms on further sheets of the file
    members: list[Path] = field(default_factory=list)  # an archive: the files taken out of it


def _fingerprint(path: Path, out: FileOutcome, ex: Examined) -> None:
    """The file's content hash; a file that cannot be read is known by its path (and not archived)."""
    try:
        out.sha256 = sha256_file(path)
    except OSError:
        out.sha256 = hashlib.sha256(os.fsencode(str(path))).hexdigest()
        ex.archive = False


def readable_name(text: str) -> str:
    """A file name as text that can be stored and shown: bytes that were not UTF-8 (a Windows zip unpacked
    on Linux gives GBK bytes, which Python keeps as surrogates) decoded as GB18030 or Big5, else replaced."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return decode_8bit(text.encode("utf-8", "surrogateescape"))


class Reader:
    """Reads and validates returned files against one merge's context; touches no ledger (runs in workers too)."""

    def __init__(self, folder: Path, ctx: Context, limits: Limits, mail_units: dict[str, str]):
        self.folder, self.ctx, self.limits = folder, ctx, limits
        self.mail_units = mail_units  # sha256 -> unit of the mail it came with (mail fetch)
        self.prefix = len(str(folder)) + 1
        self.shown: dict[str, tuple[str, str]] = {}  # a file taken out of an archive -> (shown name, name text)

    def finding(self, kind: str, message: str, out: FileOutcome) -> Finding:
        return fk.finding(kind, message, unit=out.unit, file=out.file)

    def relative(self, path: Path) -> str:
        """``path`` relative to the merged folder, with forward slashes, as readable text (a file taken out of
        an archive: ``<archive>/<name inside>``)."""
        text = str(path)
        if text in self.shown:
            return self.shown[text][0]
        if text.startswith(str(self.folder)) and text[self.prefix - 1:self.prefix] in ("/", "\\"):
            text = text[self.prefix:].replace("\\", "/")
        else:
            text = path.relative_to(self.folder).as_posix()
        return readable_name(text)

    def examine(self, path: Path, known=None, keep_data: bool = True) -> Examined:
        """Read and validate one file.  ``known(sha256)`` true: a duplicate, not read further.

        ``keep_data``: the file's bytes come back in ``data`` (else storing reads them again).
        Never raises: an unforeseen error is an ``unexpected-error`` finding of the file.
        """
        out = FileOutcome(file=self.relative(path), round=self.ctx.round)
        ex = Examined(out, [])
        try:
            return self._examine(path, out, ex, known, keep_data)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # noqa: BLE001 - one file's failure is its finding, never a stopped round
            ex.submission, ex.extra = None, []
            ex.skipped = False
            out.outcome = "rejected"
            if not out.sha256:
                _fingerprint(path, out, ex)
            ex.findings.append(self.finding("unexpected-error", f"处理该文件时发生意外问题（{type(e).__name__}：{e}），"
                                                                f"未汇总。", out))
            return ex

    def crashed(self, path: Path, exitcode: int | None) -> Examined:
        """The outcome of a file whose reading ended the process reading it (a native crash in a library):
        rejected with a finding, under the unit its name names."""
        out = FileOutcome(file=self.relative(path), round=self.ctx.round, outcome="rejected")
        ex = Examined(out, [])
        try:
            out.received_at = _dt.datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")
        except OSError:
            pass
        _fingerprint(path, out, ex)
        found = units_in_name(self.ctx, self.stem(path))
        out.unit = ex.name_unit = found[0] if found else ""
        how = f"读取该文件的进程意外终止（退出码 {exitcode}）" if exitcode is not None else "上次汇总读取该文件时程序意外终止"
        ex.findings.append(self.finding(
            "unexpected-error", f"{how}，可能是文件内容触发了读取程序库的缺陷；未汇总。"
                                f"请对方用 Excel 或 WPS 另存为新的 .xlsx 后重发。", out))
        return ex

    def stem(self, path: Path) -> str:
        """The name text units are looked for in (an archive's file: the archive's name and its own)."""
        got = self.shown.get(str(path))
        return got[1] if got else readable_name(path.stem)

    def _examine(self, path: Path, out: FileOutcome, ex: Examined, known, keep_data: bool) -> Examined:
        st = path.stat()
        out.received_at = _dt.datetime.fromtimestamp(st.st_mtime).isoformat(timespec="seconds")
        stem = self.stem(path)
        kind = precheck(path, self.limits, st.st_size)
        book = None
        if kind == "not-spreadsheet" and path.suffix.lower() == ".docx" and st.st_size <= self.limits.max_file_bytes:
            book = self._word_form(path)  # the form's table typed into Word: read like a spreadsheet
            kind = None if book is not None else kind
        if kind in ("lock-file", "not-spreadsheet"):
            found = units_in_name(self.ctx, stem) if kind == "not-spreadsheet" else []
            if kind == "not-spreadsheet" and not found and self.mail_units:  # fetched from a unit's mail
                out.sha256 = sha256_file(path)
                mailed = self.ctx.canonical(self.mail_units.get(out.sha256, ""))
                found = [mailed] if mailed else []
            if not found:
                what = "Excel/WPS 的临时锁定文件" if kind == "lock-file" else f"不是表格文件（{path.suffix or '无扩展名'}）"
                ex.findings.append(self.finding(kind, f"{what}，已跳过。", out))
                ex.skipped = True
                return ex
            out.unit = ex.name_unit = found[0]
            out.sha256 = out.sha256 or sha256_file(path)
            ex.archive = st.st_size <= self.limits.max_file_bytes
            ex.findings.append(self.finding("reply-not-spreadsheet", f"{found[0]}发来的文件不是填报表格"
                                                                     f"{kind_of(path.suffix)}，未汇总。", out))
            out.outcome = "rejected"
            return ex
        found = units_in_name(self.ctx, stem)
        out.unit = ex.name_unit = found[0] if found else ""
        if kind == "too-large":
            out.sha256 = sha256_file(path)
            ex.archive = False
            ex.findings.append(self.finding("too-large", f"文件大小 {st.st_size:,} 字节，超过上限 "
                                                         f"{self.limits.max_file_bytes:,} 字节，未读取。", out))
        else:
            data = path.read_bytes()
            out.sha256 = hashlib.sha256(data).hexdigest()
            if keep_data:
                ex.data = data
            if known is None or not known(out.sha256):
                try:
                    ex.submission = self._read(path, stem, data, out, ex.findings, ex.extra, book)
                except Rejected as r:
                    sniffed = path.suffix.lower() in TEXT_SUFFIXES
                    if sniffed and not out.unit and r.kind in ("not-a-form", "unreadable"):
                        ex.findings = [self.finding("not-spreadsheet", f"不是填报表格（{path.suffix or '无扩展名'}），已跳过。",
                                                    out)]
                        ex.skipped = True
                        return ex
                    ex.findings.append(self.finding(r.kind, r.message, out))
        out.outcome = "accepted" if ex.submission else "rejected"
        out.also = [s.unit for s in ex.extra] if ex.submission else []
        if not ex.submission:
            ex.extra = []
        return ex

    def _word_form(self, path: Path):
        """The tables of a Word reply (:func:`word_book`) when one of them has the form's header, else None."""
        try:
            book = word_book(path.read_bytes(), self.limits, path.name)
        except (Rejected, OSError):
            return None  # a damaged document is a file that is not a spreadsheet, as before
        if book is None or not any(find_header(s.rows) for s in book.sheets.values()):
            return None
        return book

    def _read(self, path: Path, stem: str, data: bytes, out: FileOutcome, findings: list[Finding],
              extra: list[Submission], book=None) -> Submission:
        book = book or open_book(data, self.limits, name=path.name)
        if book.kind == "docx":
            findings.append(self.finding("reply-in-word", "回复是 Word 文件，已按其中的表格读取；"
                                                          "下轮请对方直接填写下发的 Excel 表。", out))
        try:
            if book.macros:
                findings.append(self.finding("macros-present", "文件含宏（VBA/Basic 代码），宏未被执行。", out))
            form = read_form(book, path, self.limits)
        finally:
            book.close()
        findings.extend(identify(self.ctx, form, stem, self.mail_units.get(out.sha256, ""), out,
                                 word=book.kind == "docx"))
        for f in findings:
            f.unit = f.unit or out.unit
        main = self._submission(form, out, out.unit, out.identified_by, findings, refuse_blank=True)
        for other in form.others:
            self._second(other, form, out, extra, findings)
        return main

    def _submission(self, form, out: FileOutcome, unit: str, way: str, findings: list[Finding],
                    refuse_blank: bool = False) -> Submission:
        """The submission of one task table (``refuse_blank``: a table with nothing filled in is refused)."""
        checker = Checker(self.ctx, form, out.file, unit)
        checker.read_fields()
        rows = checker.check_table()
        if refuse_blank and checker.values and not any(any(v[2:]) for v in checker.values.values()):
            raise Rejected("blank-form", f"表中 {len(checker.values)} 项任务的完成状态、落实情况等全为空，"
                                         f"可能是原样发回的下发空表，未汇总；{unit}仍计为未报送。")
        out.rows = out.rows or rows
        findings.extend(checker.findings)
        return Submission(round=self.ctx.round, unit=unit, sha256=out.sha256, file_name=out.file,
                          received_at=out.received_at, identified_by=way, values=checker.values, **checker.fields)

    def _second(self, other, first, out: FileOutcome, extra: list[Submission], findings: list[Finding]) -> None:
        """A further task table in the workbook: merged when its 填报单位 (or its task ids) names another unit
        that sent nothing else in this file, else named."""
        unit = second_form_unit(self.ctx, other)
        taken = {out.unit, *(s.unit for s in extra)}
        if unit and unit not in taken:
            extra.append(self._submission(other, out, unit, "content", findings))
            findings.append(fk.finding("second-form", f"工作表「{other.sheet}」中是{unit}的填报表，已按表中内容识别并一并汇总；"
                                                      f"请核对单位是否正确。", unit=unit, file=out.file,
                                       sheet=other.sheet, severity=fk.INFO))
            return
        why = f"（{unit}的，该单位已有一份）" if unit else "（看不出是哪个单位的）"
        findings.append(fk.finding("second-form", f"工作表「{other.sheet}」中还有一份填报表{why}，未汇总；"
                                                  f"本文件只汇总工作表「{first.sheet}」。", unit=out.unit, file=out.file,
                                   sheet=other.sheet))
