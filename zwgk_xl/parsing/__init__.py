"""Reading superior task lists into :class:`zwgk_xl.model.Document`."""

from __future__ import annotations

from pathlib import Path

from ..model import Document
from .text import parse_text

__all__ = ["parse_file", "parse_text"]


def parse_file(path, year: int | None = None) -> Document:
    """Parse a task list file (.txt, .docx, .doc, .xlsx/.xls/.ods, .html) into a Document."""
    path = Path(path)
    from .dispatch import parse_path

    return parse_path(path, year=year)
