"""Readers: text encodings, .docx with Word auto-numbering, web pages, .doc via LibreOffice, bad input."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from _readers_helpers import NumberedDocx, add_table, copy_fixture, docx_from_text
from zwgk_xl.core import office
from zwgk_xl.cli import main
from zwgk_xl.core.errors import ConverterMissing, InputError
from zwgk_xl.parse import parse_file
from zwgk_xl.parse.readers import read_doc, read_docx, read_html, read_sheets, read_text_file

FIXTURES = Path(__file__).parent / "fixtures"
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")


def task_key(doc):
    return [(t.id, t.title, t.lead, t.others, t.deadline.date, t.deadline.kind) for t in doc.tasks]


# ---------------------------------------------------------------------------
# Text encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gbk", "gb18030"])
def test_text_encodings_decode_to_the_same_text(tmp_path, encoding):
    text = (FIXTURES / "000_289efea48b09fee1.txt").read_text(encoding="utf-8")
    p = tmp_path / f"任务_{encoding}.txt"
    p.write_bytes(text.encode(encoding))
    assert read_text_file(p) == text.replace("\r\n", "\n")


def test_gbk_file_parses_like_the_utf8_one(tmp_path):
    src = copy_fixture("000", tmp_path)
    gbk = tmp_path / "000_gbk.txt"
    gbk.write_bytes(src.read_text(encoding="utf-8").encode("gbk"))
    a, b = parse_file(src), parse_file(gbk)
    assert len(b.tasks) == 14
    assert task_key(a) == task_key(b)


def test_short_gbk_text_is_not_mistaken_for_another_encoding(tmp_path):
    p = tmp_path / "short.txt"
    p.write_bytes("一、总体要求\n(一)做好公开(县政府办公室牵头)".encode("gbk"))
    assert read_text_file(p).startswith("一、总体要求")


@pytest.mark.parametrize("content", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf\r\n"])
def test_empty_text_file_is_an_input_error(tmp_path, content):
    p = tmp_path / "空.txt"
    p.write_bytes(content)
    with pytest.raises(InputError, match="空文件"):
        read_text_file(p)


# ---------------------------------------------------------------------------
# .docx


def _small_numbered_docx(path) -> Path:
    nd = NumberedDocx()
    for line in ["2021年某县政务公开工作要点", "一、总则", "(一)第一项(县政府办公室牵头)", "1.甲",
                 "2.乙", "(二)第二项", "1.丙", "二、分则", "(一)再来", "①圈一", "②圈二",
                 "(五)跳号", "(六)接着"]:
        nd.add_line(line)
    return nd.save(path)


def test_docx_auto_numbering_is_rendered_into_the_text(tmp_path):
    p = _small_numbered_docx(tmp_path / "n.docx")
    raw = [para.text for para in docx.Document(str(p)).paragraphs]
    assert "总则" in raw and "甲" in raw  # the numbers are not typed in the document
    lines = read_docx(p).lines
    assert lines == ["2021年某县政务公开工作要点", "一、总则", "（一）第一项(县政府办公室牵头)", "1.甲", "2.乙",
                     "（二）第二项", "1.丙", "二、分则", "（一）再来", "① 圈一", "② 圈二",
                     "（五）跳号", "（六）接着"]


@needs_soffice
def test_docx_numbering_matches_what_libreoffice_displays(tmp_path):
    p = _small_numbered_docx(tmp_path / "n.docx")
    txt = office.convert_with_soffice(p, "txt:Text (encoded):UTF8", tmp_path / "lo")
    shown = [l.strip() for l in txt.read_text(encoding="utf-8-sig").splitlines() if l.strip()]
    ours = read_docx(p).lines
    assert [l.replace(" ", "") for l in shown] == [l.replace(" ", "") for l in ours]


def test_docx_numbering_through_paragraph_style(tmp_path):
    nd = NumberedDocx()
    styles = nd.doc.styles.element
    styles.append(parse_xml(
        f'<w:style {nsdecls("w")} w:type="paragraph" w:styleId="TaskHead"><w:name w:val="Task Head"/>'
        f'<w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="{nd.num_id}"/></w:numPr></w:pPr></w:style>'
    ))
    styles.append(parse_xml(
        f'<w:style {nsdecls("w")} w:type="paragraph" w:styleId="TaskHead2"><w:name w:val="Task Head 2"/>'
        f'<w:basedOn w:val="TaskHead"/></w:style>'
    ))
    nd.numbered("总则", 0, 1)
    nd.doc.add_paragraph("第一项", style="Task Head")
    nd.doc.add_paragraph("第二项", style="Task Head 2")  # numbering inherited through basedOn
    p = nd.save(tmp_path / "s.docx")
    assert read_docx(p).lines == ["一、总则", "（一）第一项", "（二）第二项"]


def test_docx_typed_numbers_are_not_doubled(tmp_path):
    nd = NumberedDocx()
    nd.numbered("一、总则", 0, 1)  # typed and auto-numbered at once: keep one
    p = nd.save(tmp_path / "t.docx")
    assert read_docx(p).lines == ["一、总则"]


def test_docx_tables_in_body_order_with_merged_cells(tmp_path):
    d = docx.Document()
    d.add_paragraph("前言")
    add_table(d, [["序号", "工作任务", "责任单位"], ["一、类别", "", ""], ["1", "做甲", "甲局"], ["2", "做乙", "乙局"]],
              merges=[((1, 0), (1, 2))])
    d.add_paragraph("后记")
    t = d.add_table(rows=3, cols=2)
    t.cell(0, 0).text = "类A"
    t.cell(0, 0).merge(t.cell(2, 0)).text = "类A"  # vertical merge
    t.cell(0, 1).text, t.cell(1, 1).text, t.cell(2, 1).text = "x", "y", "z"
    p = tmp_path / "t.docx"
    d.save(str(p))
    ex = read_docx(p)
    assert ex.tables[0][1] == ["一、类别"] * 3
    assert [r[0] for r in ex.tables[1]] == ["类A", "类A", "类A"]
    assert ex.lines == ["前言", "序号", "工作任务", "责任单位", "一、类别", "1", "做甲", "甲局", "2", "做乙", "乙局",
                        "后记", "类A", "x", "y", "z"]
    assert [ex.lines[i] for i in ex.table_lines] == ["序号", "类A"]


def test_docx_tracked_changes_read_as_accepted(tmp_path):
    d = docx.Document()
    p = d.add_paragraph()
    p._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t>一、做好</w:t></w:r>'))
    p._p.append(parse_xml(f'<w:del {nsdecls("w")} w:id="1" w:author="a"><w:r><w:delText>旧的</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:ins {nsdecls("w")} w:id="2" w:author="a"><w:r><w:t>新的</w:t></w:r></w:ins>'))
    path = tmp_path / "tc.docx"
    d.save(str(path))
    assert read_docx(path).lines == ["一、做好新的"]


@pytest.mark.parametrize("seed,count", [("000", 14), ("004", 18)])
def test_seed_as_docx_with_auto_numbering_gives_the_same_tasks(tmp_path, seed, count):
    txt = copy_fixture(seed, tmp_path)
    p = docx_from_text(read_text_file(txt), tmp_path / f"{seed}.docx")
    body = zipfile.ZipFile(p).read("word/document.xml").decode("utf-8")
    assert body.count("<w:numPr>") >= count  # numbers live in numbering.xml, not in the text
    a, b = parse_file(txt), parse_file(p)
    assert len(b.tasks) == count
    assert task_key(a) == task_key(b)


def test_binary_renamed_docx_is_a_clear_error(tmp_path):
    p = tmp_path / "假的.docx"
    p.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(InputError, match="不是有效的 Word 文件"):
        read_docx(p)


# ---------------------------------------------------------------------------
# .doc through LibreOffice


@needs_soffice
def test_doc_through_libreoffice_gives_the_same_tasks(tmp_path):
    txt = copy_fixture("000", tmp_path)
    src = docx_from_text(read_text_file(txt), tmp_path / "方案 2020.docx")
    doc_file = office.convert_with_soffice(src, "doc:MS Word 97", tmp_path / "doc")
    assert doc_file.name == "方案 2020.doc" and doc_file.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    before = doc_file.read_bytes()
    assert task_key(parse_file(doc_file)) == task_key(parse_file(txt))
    assert doc_file.read_bytes() == before  # original untouched


def test_doc_without_soffice_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(office, "soffice_path", lambda: None)
    p = tmp_path / "旧.doc"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(ConverterMissing, match="LibreOffice"):
        read_doc(p)
    r = CliRunner().invoke(main, ["parse", str(p)])
    assert r.exit_code != 0 and "另存为 .docx" in r.output and "Traceback" not in r.output


# ---------------------------------------------------------------------------
# Web pages

PAGE = """<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某县人民政府</title><style>.x{color:red}</style><script>var a = "一、脚本";</script></head>
<body><div id="header"><a href="/">首页</a> 政务公开 | 新闻中心</div>
<nav><ul><li>一、导航栏目</li><li>二、导航栏目</li></ul></nav>
<div class="breadcrumb">当前位置:首页 &gt; 政务公开</div>
<div class="article"><h1>2021年某县政务公开工作要点</h1>
<p>一、推进<b>决策</b>公开</p>
<p>(一)做好重大决策预公开。年内完成(县政府办公室牵头,县直各部门配合)</p>
<p>(二)加强政策解读<br>(县司法局负责)</p>
<p>二、&nbsp;加强平台建设</p><div>(一)优化政府网站。2021年10月底前完成(县政务服务局牵头)</div>
<table><tr><td>联系人</td><td>电话</td></tr><tr><td>张三</td><td>123</td></tr></table>
</div><div id="footer">版权所有 某县人民政府 网站标识码 123</div></body></html>"""


def test_html_page_chrome_dropped_and_blocks_kept(tmp_path):
    p = tmp_path / "page.html"
    p.write_bytes(PAGE.encode("gbk"))
    ex = read_html(p)
    assert ex.lines[0] == "2021年某县政务公开工作要点"
    assert "一、推进决策公开" in ex.lines and "(县司法局负责)" in ex.lines
    assert not any("导航" in l or "首页" in l or "版权" in l or "脚本" in l for l in ex.lines)
    assert ex.tables == [[["联系人", "电话"], ["张三", "123"]]]
    doc = parse_file(p)
    assert [t.id for t in doc.tasks] == ["一.(一)", "一.(二)", "二.(一)"]
    assert doc.find("二.(一)").deadline.date == "2021-10-31"
    assert doc.find("一.(一)").lead == ["县政府办公室"]


def test_mhtml_page(tmp_path):
    body = PAGE.replace("gb2312", "utf-8")
    mht = ("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"B\"\r\n\r\n--B\r\n"
           "Content-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + __import__("base64").encodebytes(body.encode("utf-8")).decode("ascii") + "\r\n--B--\r\n")
    p = tmp_path / "page.mhtml"
    p.write_text(mht, encoding="ascii")
    assert [t.id for t in parse_file(p).tasks] == ["一.(一)", "一.(二)", "二.(一)"]


# ---------------------------------------------------------------------------
# Spreadsheets


def test_read_sheets_fills_merged_cells_and_formats_values(tmp_path):
    import datetime

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "分解表"
    ws.append(["标题"])
    ws.merge_cells("A1:C1")
    ws.append(["一、类", 1, datetime.date(2021, 6, 30)])
    ws.append([None, 2.0, None])
    ws.merge_cells("A2:A3")
    hidden = wb.create_sheet("隐藏")
    hidden.sheet_state = "hidden"
    p = tmp_path / "m.xlsx"
    wb.save(p)
    sheets = read_sheets(p)
    assert [s.name for s in sheets] == ["分解表"]
    assert sheets[0].rows == [["标题", "标题", "标题"], ["一、类", "1", "2021-06-30"], ["一、类", "2", ""]]


# ---------------------------------------------------------------------------
# Bad input through the CLI: one Chinese line, non-zero exit, no traceback


def _bad_inputs(tmp_path):
    (tmp_path / "空.txt").write_bytes(b"")
    (tmp_path / "坏.docx").write_bytes(b"\x00\x01binary garbage" * 100)
    (tmp_path / "无编号.txt").write_text("这是一段没有任何编号的文字。\n第二段也没有。\n", encoding="utf-8")
    (tmp_path / "扫描.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (tmp_path / "图.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    (tmp_path / "坏.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    return {"空.txt": "空文件", "坏.docx": "不是有效的 Word 文件", "无编号.txt": "没有找到带编号的任务",
            "扫描.pdf": "PDF", "图.png": "图片", "坏.xlsx": "电子表格", "不存在.txt": "找不到上级文件"}


def test_bad_input_gives_one_line_chinese_message(tmp_path):
    runner = CliRunner()
    for name, expected in _bad_inputs(tmp_path).items():
        r = runner.invoke(main, ["parse", str(tmp_path / name)])
        assert r.exit_code != 0, name
        out = r.output.strip()
        assert out.startswith("错误：") and expected in out, (name, out)
        assert len(out.splitlines()) == 1 and "Traceback" not in out, (name, out)


def test_misnamed_files_are_read_by_content(tmp_path):
    """Web systems export HTML as .xls/.doc, clerks rename .docx to .doc: read what the file is."""
    nd = NumberedDocx()
    for line in ["一、总则", "(一)做好公开(县政府办公室牵头)"]:
        nd.add_line(line)
    as_doc = nd.save(tmp_path / "其实是docx.doc")
    assert [t.id for t in parse_file(as_doc).tasks] == ["一.(一)"]
    html_xls = tmp_path / "导出.xls"
    html_xls.write_text("<html><body><table><tr><td>序号</td><td>工作任务</td><td>责任单位</td></tr>"
                        "<tr><td>1</td><td>做好公开</td><td>县发改局</td></tr></table></body></html>",
                        encoding="utf-8")
    t = parse_file(html_xls).tasks[0]
    assert (t.id, t.title, t.others) == ("1", "做好公开", ["县发改局"])


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
@pytest.mark.parametrize("script,expected", [
    ("#!/bin/sh\nsleep 30\n", "超时"),
    ("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n", "could not be loaded"),
])
def test_converter_timeout_and_failure_are_clean_errors(tmp_path, monkeypatch, script, expected):
    fake = tmp_path / "soffice"
    fake.write_text(script)
    fake.chmod(0o755)
    monkeypatch.setenv("ZWGK_SOFFICE", str(fake))
    src = tmp_path / "a.doc"
    src.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(InputError, match=expected):
        office.convert_with_soffice(src, "docx", tmp_path / "out", timeout=1)
    assert not list((tmp_path / "out").iterdir())
