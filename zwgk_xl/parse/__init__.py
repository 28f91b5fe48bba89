"""Reading superior task lists into :class:`zwgk_xl.model.Document`."""

from __future__ import annotations

from pathlib import Path

from zwgk_xl.core.model import Document
from zwgk_xl.parse.text import parse_text

__all__ = ["parse_file", "parse_text"]


def parse_file(path, year: int | None = None) -> Document:
    """Parse a task list file (.txt, .docx, .doc, .xlsx/.xls/.ods, .html) into a Document."""
    path = Path(path)
    from zwgk_xl.parse.dispatch import parse_path

    return parse_path(path, year=year)
