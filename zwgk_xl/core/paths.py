"""Checking paths where they enter, and saying what an operating-system error means, in Chinese.

Commands check their inputs and outputs before they change anything, so a
wrong ``-o`` or a missing file never leaves half a result behind.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from zwgk_xl.core.errors import InputError, UsageError

_NAME_MAX = 255  # bytes per path component on common file systems


def os_message(e: OSError, path=None) -> str:
    """One Chinese line for an OSError on ``path``: what happened and what to do."""
    where = f"「{path or e.filename or ''}」"
    code = e.errno
    if isinstance(e, FileNotFoundError) or code == errno.ENOENT:
        return f"找不到{where}。请检查路径是否正确。"
    if isinstance(e, IsADirectoryError) or code == errno.EISDIR:
        return f"{where}是文件夹，这里需要一个文件。请给出文件名（如 汇总表.xlsx）。"
    if isinstance(e, NotADirectoryError) or code == errno.ENOTDIR:
        return f"{where}（或其上级）是文件，这里需要一个文件夹。请换一个文件夹路径。"
    if isinstance(e, FileExistsError) or code == errno.EEXIST:
        return f"{where}已存在。请换一个名称，或先移走原有的文件。"
    if isinstance(e, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return f"没有权限访问{where}：文件可能是只读的，或正在 Excel/WPS/Word 中打开。请关闭文件或换一个可写的位置。"
    if code == errno.EROFS:
        return f"{where}所在的磁盘是只读的。请换一个可写的位置。"
    if code == errno.ENOSPC:
        return f"磁盘空间不足，无法写入{where}。请清理磁盘后重试。"
    if code == errno.ENAMETOOLONG:
        return f"{where}的名称太长。请缩短文件名或换一个较浅的文件夹。"
    return f"无法访问{where}：{e.strerror or e}。请检查该路径。"


def input_file(path, what: str, option: str = "") -> Path:
    """``path`` as an existing, readable file, else an :class:`InputError` naming it."""
    p = Path(path)
    via = f"（{option}）" if option else ""
    if not p.exists():
        raise InputError(f"找不到{what}{via}：{p}。请检查路径。")
    if p.is_dir():
        raise InputError(f"{what}{via}「{p}」是文件夹，这里需要一个文件。请给出文件路径。")
    if not os.access(p, os.R_OK):
        raise InputError(f"没有权限读取{what}「{p}」。请检查文件权限。")
    return p


def input_dir(path, what: str, option: str = "") -> Path:
    """``path`` as an existing folder, else an :class:`InputError` naming it."""
    p = Path(path)
    via = f"（{option}）" if option else ""
    if not p.exists():
        raise InputError(f"找不到{what}{via}：{p}。请检查路径。")
    if not p.is_dir():
        raise InputError(f"{what}{via}「{p}」是文件，这里需要一个文件夹。请给出文件夹路径。")
    return p


def _writable_parent(p: Path, what: str, via: str) -> None:
    parent = p.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{what}{via}「{p}」的上级「{parent}」是文件，不是文件夹。请换一个路径。")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"无法写入{what}{via}「{p}」：文件夹「{parent}」是只读的。请换一个可写的文件夹。")


def output_file(path, what: str, option: str = "-o", inputs=()) -> Path:
    """Check that ``path`` can be written as a file (without creating anything)."""
    p = Path(path)
    via = f"（{option}）" if option else ""
    if p.is_dir():
        raise UsageError(f"{what}{via}「{p}」是一个文件夹。请给出文件名（如 {p / ('输出' + (p.suffix or '.xlsx'))}）。")
    if len(p.name.encode("utf-8")) > _NAME_MAX:
        raise UsageError(f"{what}{via}的文件名太长：「{p.name[:30]}…」。请缩短文件名。")
    for other in inputs:
        if other and Path(other).exists() and p.exists() and Path(other).resolve() == p.resolve():
            raise UsageError(f"{what}{via}不能与输入文件相同（{p.name}）。请换一个文件名。")
    if p.exists() and not os.access(p, os.W_OK):
        raise UsageError(f"无法写入{what}{via}「{p}」：文件是只读的。请换一个文件名或取消只读。")
    _writable_parent(p, what, via)
    return p


def output_dir(path, what: str, option: str = "-o") -> Path:
    """Check that ``path`` is or can become a writable folder (without creating it)."""
    p = Path(path)
    via = f"（{option}）" if option else ""
    if p.exists() and not p.is_dir():
        raise UsageError(f"{what}{via}「{p}」是一个文件，这里需要文件夹。请换一个文件夹路径。")
    if p.is_dir():
        if not os.access(p, os.W_OK | os.X_OK):
            raise UsageError(f"无法写入{what}{via}「{p}」：文件夹是只读的。请换一个可写的文件夹。")
        return p
    _writable_parent(p, what, via)
    return p
