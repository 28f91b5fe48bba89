"""Replies sent as a .zip archive: the spreadsheets inside are merged as if they had been sent one by one.

Departments zip a form with its stamped scan, or a whole office's forms together.  An archive is opened
within the limits a workbook's package gets (file size, members, declared sizes and ratios, each member
inflated no further than its declared size and its CRC checked), one level deep, and only its spreadsheets
(and .csv) are taken out: into ``<台账>/.~zwgk_unpacked/<hash>/``, once per archive name and content, under
safe names of their own, dated as the archive.  Nothing is written elsewhere, whatever names it holds.
They are then read like the folder's files, shown as ``<archive>/<name inside>``, their unit found in
either name; the archive itself gets a note listing what it held.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.encodings import decode_8bit
from zwgk_xl.core.errors import WorkspaceError
from zwgk_xl.ledger.store import archive_name
from zwgk_xl.merge import xlsxscan
from zwgk_xl.merge.intake import (LOCK_PREFIX, SPREADSHEET_SUFFIXES, TEXT_SUFFIXES, ZIP_MAGIC, Broken, Limits,
                                  Rejected, _zip_entries)

UNPACK_DIR = ".~zwgk_unpacked"  # in the 台账 folder
ARCHIVE_SUFFIXES = {".zip"}
READABLE = SPREADSHEET_SUFFIXES | (TEXT_SUFFIXES - {""})  # a member without an extension stays inside
SHOWN_OTHERS = 5  # members left in an archive named in its note
SYSTEM_NAMES = {"thumbs.db", "desktop.ini"}  # what file managers add (and "__MACOSX/", "._x", ".DS_Store")


@dataclass
class Unpacked:
    """What one archive gave: files taken out (with the names they are shown and known by), what stayed in."""

    files: list[tuple[Path, str, str, str]] = field(default_factory=list)  # (file taken out, shown name,
    # name text, sha256)
    others: list[str] = field(default_factory=list)  # members left in: not spreadsheets, nested archives
    failed: list[str] = field(default_factory=list)  # spreadsheets inside that could not be taken out (why)


def is_archive(path: Path) -> bool:
    return path.suffix.lower() in ARCHIVE_SUFFIXES


def _inner_name(info) -> str:
    """A member's path as text: UTF-8 when the archive says so, else the bytes Windows wrote (GBK)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return decode_8bit(info.filename.encode("cp437"))
    except UnicodeEncodeError:  # already text (zipfile decoded it)
        return info.filename


def _system(inner: str, name: str) -> bool:
    """A file a file manager put in the archive (a Mac's ``__MACOSX/._回复.xlsx`` copies, ``.DS_Store``,
    ``Thumbs.db``): not the department's."""
    return inner.startswith("__MACOSX/") or "/__MACOSX/" in inner or name.startswith(".") or \
        name.lower() in SYSTEM_NAMES


def unpack(path: Path, shown: str, into: Path, limits: Limits) -> Unpacked:
    """Take the spreadsheets out of the archive ``path`` (shown as ``shown``) into a folder below ``into``.

    Raises:
        Rejected: the archive is too large, not a zip, a zip bomb, or holds nothing that can be read.
    """
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise Rejected("too-large", f"压缩包大小 {size:,} 字节，超过上限 {limits.max_file_bytes:,} 字节，未打开。")
    data = path.read_bytes()
    if not data.startswith(ZIP_MAGIC):
        raise Rejected("unreadable", "扩展名是 .zip，但文件不是有效的压缩包（可能已损坏），未打开。")
    entries = _zip_entries(data, limits)
    folder = into / hashlib.sha256(shown.encode("utf-8", "replace") + b"\0" + data).hexdigest()[:24]  # one per
    # archive and content: two copies of an archive give two sets of files (the second: duplicates)
    when = path.stat().st_mtime
    got = Unpacked()
    for info in entries:
        inner = _inner_name(info).replace("\\", "/")
        name = PurePosixPath(inner).name
        if inner.endswith("/") or not name or _system(inner, name):
            continue
        if PurePosixPath(name).suffix.lower() not in READABLE or name.startswith(LOCK_PREFIX):
            got.others.append(name)
            continue
        try:
            body = xlsxscan.member(data, info)
        except Broken as b:
            got.failed.append(f"{name}（{b.message}）")
            continue
        sha = hashlib.sha256(body).hexdigest()
        target = folder / archive_name(sha, name)
        if not (target.is_file() and target.stat().st_size == len(body)):
            with atomic_path(target, WorkspaceError) as tmp:
                tmp.write_bytes(body)
        os.utime(target, (when, when))  # received when the archive was
        got.files.append((target, f"{shown}/{inner.lstrip('/')}", f"{Path(shown).stem} {PurePosixPath(name).stem}",
                          sha))
    if not got.files and got.failed:
        raise Rejected("unreadable", f"压缩包中的表格文件无法取出：{'；'.join(got.failed)}。请对方直接发送表格文件。")
    return got


_FOLDER = re.compile(r"[0-9a-f]{24}")  # an archive's folder below UNPACK_DIR, as :func:`unpack` names it


def prune(into: Path, keep: set[str]) -> None:
    """Remove the folders below ``into`` of archives that are no longer merged (not in ``keep``), and ``into``
    once empty: they only ever hold copies, and every merge takes out again what it reads."""
    if not into.is_dir():
        return
    for child in into.iterdir():
        if child.name not in keep and _FOLDER.fullmatch(child.name) and child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
    try:
        into.rmdir()  # only when empty
    except OSError:
        pass


def note(unpacked: Unpacked) -> str:
    """The archive's note: what was taken out and what stayed in."""
    parts = [f"压缩包，已取出其中 {len(unpacked.files)} 个表格文件逐一汇总"]
    if unpacked.others:
        shown = "、".join(unpacked.others[:SHOWN_OTHERS]) + ("等" if len(unpacked.others) > SHOWN_OTHERS else "")
        parts.append(f"另有 {len(unpacked.others)} 个其他文件（{shown}）未读取")
    if unpacked.failed:
        parts.append(f"{len(unpacked.failed)} 个表格文件无法取出：{'；'.join(unpacked.failed)}")
    return "；".join(parts) + "。"
