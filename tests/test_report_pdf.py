"""The report through LibreOffice: PDF with an embedded CJK font, then a PNG of page 1."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest

from _report_helpers import sample_master
from zwgk_xl.report.render import render_report

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")

CJK_FONT = re.compile(r"WenQuanYi|CJK|Song|Hei|Fang|Kai|Ming|Droid|Han|AR ?PL|FZ|Sun", re.I)


def run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120).stdout


def test_pdf_embeds_cjk_font_and_holds_title_and_first_task(tmp_path):
    paths = render_report(sample_master(), tmp_path / "报告.docx", pdf=True, today=dt.date(2021, 7, 5))
    pdf = tmp_path / "报告.pdf"
    assert paths == [tmp_path / "报告.docx", tmp_path / "报告_统计.xlsx", pdf]

    fonts = [line.split() for line in run("pdffonts", str(pdf)).splitlines()[2:]]
    embedded_cjk = [f[0] for f in fonts if CJK_FONT.search(f[0]) and f[-5] == "yes"]  # emb column
    assert embedded_cjk, fonts

    text = re.sub(r"\s+", "", run("pdftotext", "-layout", str(pdf), "-"))
    assert "关于2021年某州政务公开工作要点落实情况的报告" in text
    assert "（一）推进减税降费信息公开" in text and "县财政局（牵头）：公开减税降费政策32条。" in text
    assert "—1—" in text  # page number in the footer

    info = run("pdfinfo", str(pdf))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)

    run("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page"))
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 2000
