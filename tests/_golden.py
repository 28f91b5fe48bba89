"""Golden files for generated outputs, in a normalised readable form (in the manner of XlsxWriter's comparisons).

Each output kind has a describer that keeps what a reader sees and what merge relies on (cell values, merges,
validations, protection, print setup; docx paragraphs with styles; .eml headers and parts; parse JSON) and
drops what changes on every run (ids, times, temporary paths).  ``ZWGK_UPDATE_GOLDEN=1`` rewrites the files;
a change to a golden file is a change to an output and is said so in the commit.
"""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import re
from email import policy
from pathlib import Path

GOLDEN = Path(__file__).parent / "fixtures" / "golden"

_VOLATILE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (re.compile(r"\b[0-9a-f]{16,40}\b"), "<hex>"),
    (re.compile(r"/tmp/[^\s\"'，。；）)]*"), "<tmp>"),
]


def _today() -> list[tuple[str, str]]:
    d = dt.date.today()
    return [(d.isoformat(), "<today>"), (f"{d.year}年{d.month}月{d.day}日", "<today>")]


def scrub(value):
    """``value`` with volatile parts (ids, hashes, temporary paths, today's date) replaced by placeholders."""
    if isinstance(value, str):
        for pat, rep in _VOLATILE:
            value = pat.sub(rep, value)
        for text, rep in _today():
            value = value.replace(text, rep)
        return value
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, tuple):
        return [scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    return value


def _cell(v):
    if v is None:
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v if isinstance(v, (int, float, bool)) else str(v)


def describe_xlsx(path, *, skip_sheets=()) -> dict:
    """Sheets with their visible state, values, merges, validations, protection, print setup."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        if ws.title in skip_sheets:
            continue
        ps = ws.page_setup
        out[ws.title] = {
            "state": ws.sheet_state,
            "cells": {c.coordinate: _cell(c.value) for row in ws.iter_rows() for c in row if c.value not in (None, "")},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted(f"{dv.sqref} {dv.type} {dv.formula1}" for dv in ws.data_validations.dataValidation),
            "protected": bool(ws.protection.sheet),
            "freeze": ws.freeze_panes,
            "autofilter": ws.auto_filter.ref,
            "print": {"orientation": ps.orientation, "paper": ps.paperSize, "fit": [ps.fitToWidth, ps.fitToHeight],
                      "fit_to_page": ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr
                      else None, "titles": ws.print_title_rows, "area": ws.print_area},
        }
    return out


def describe_docx(path) -> dict:
    """Paragraphs (style, text), tables (cell texts) and the page setup."""
    import docx

    d = docx.Document(str(path))
    s = d.sections[0]
    return {
        "page": [s.page_width, s.page_height, s.top_margin, s.left_margin],
        "paragraphs": [[p.style.name, p.text] for p in d.paragraphs if p.text.strip()],
        "tables": [[[c.text for c in row.cells] for row in t.rows] for t in d.tables],
    }


def describe_eml(path) -> dict:
    """Headers a recipient sees (not Date or Message-ID) and the parts: type, file name, text."""
    msg = email.message_from_bytes(Path(path).read_bytes(), policy=policy.default)
    parts = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        item = {"type": part.get_content_type(), "filename": part.get_filename()}
        if part.get_content_maintype() == "text" and not part.get_filename():
            item["text"] = part.get_content()
        parts.append(item)
    return {"headers": {h: str(msg[h]) for h in ("From", "To", "Subject") if msg[h]}, "parts": parts}


def check(name: str, got) -> None:
    """Compare ``got`` (scrubbed, JSON-normalised) with ``fixtures/golden/<name>.json``."""
    got = json.loads(json.dumps(scrub(got), ensure_ascii=False, default=str))
    path = GOLDEN / f"{name}.json"
    if os.environ.get("ZWGK_UPDATE_GOLDEN") or not path.exists() and os.environ.get("ZWGK_NEW_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with ZWGK_NEW_GOLDEN=1 once and review it"
    want = json.loads(path.read_text(encoding="utf-8"))
    assert got == want, (f"{name} differs from its golden file; if the change is intended, rerun with "
                         "ZWGK_UPDATE_GOLDEN=1 and say which output changed in the commit")
