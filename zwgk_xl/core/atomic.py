"""Atomic output files: write beside the target, then replace it in one step.

A half-written workbook never replaces a good one, and a target held open by
Excel/WPS (Windows locks it) gives a clear message instead of a traceback.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from zwgk_xl.core.errors import ZwgkError


@contextmanager
def atomic_path(path, error: type[ZwgkError] = ZwgkError, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    Raises ``error`` (a :class:`ZwgkError` subclass) with a Chinese message when
    the folder is not writable or the target is open in another program.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".~zwgk_", suffix=suffix if suffix is not None else path.suffix,
                                   dir=path.parent)
        os.close(fd)
    except OSError as e:
        raise error(f"无法写入「{path}」：{e.strerror or e}。请换一个可写的文件夹。") from e
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except PermissionError as e:
        raise error(f"无法写入「{path}」：文件可能正在 Excel/WPS/Word 中打开，请关闭后重试。") from e
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
