"""The control workbook zwgk_xl.xlsm, checked by readers other than the one that wrote it.

oletools' olevba reads the VBA modules back; LibreOffice converts the file and
keeps each button linked to its macro; pyOpenVBA's VBA interpreter runs each
button's macro (with RunPython replaced by a recorder) and the recorded Python
names a function of zwgk_xl.addin; two builds give the same VBA and sheets.
"""

from __future__ import annotations

import ast
import inspect
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import xlwings
from openpyxl import load_workbook

import zwgk_xl.addin as addin
from zwgk_xl.core.office import convert_with_soffice, soffice_path
from zwgk_xl.ledger.workbooks import build
from zwgk_xl.ledger.workbooks import layout as L

XLWINGS_DIR = Path(xlwings.__file__).parent


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The workbook built twice (once per session), in two folders."""
    root = tmp_path_factory.mktemp("workbook")
    first = build.build_control_workbook(root / "a" / L.WORKBOOK_NAME, units_rows=[["县财政局", "财政局", "部门"]])
    second = build.build_control_workbook(root / "b" / L.WORKBOOK_NAME, units_rows=[["县财政局", "财政局", "部门"]])
    return first, second


def _code_lines(source: str) -> list[str]:
    """Source lines without the export preamble and Attribute lines (what the VBA editor shows)."""
    lines = source.replace("\r\n", "\n").split("\n")
    if lines and lines[0].startswith("VERSION "):
        lines = lines[lines.index("END") + 1:]
    return [x.rstrip() for x in lines if not x.startswith("Attribute ")]


def _olevba_modules(path: Path) -> dict[str, str]:
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(path))
    try:
        return {stream.split("/")[-1]: code for _f, stream, _name, code in parser.extract_macros()}
    finally:
        parser.close()


def test_olevba_reads_back_the_sources(built):
    modules = _olevba_modules(built[0])
    sources = {"xlwings": (XLWINGS_DIR / "xlwings.bas").read_text(encoding="ascii"),
               "Dictionary": (XLWINGS_DIR / "addin" / "Dictionary.cls").read_text(encoding="ascii"),
               L.VBA_MODULE: build.BUTTONS_BAS.read_text(encoding="ascii")}
    for name, text in sources.items():
        assert name in modules, f"olevba finds no module {name}: {sorted(modules)}"
        assert _code_lines(modules[name]) == _code_lines(text), name
        assert f'Attribute VB_Name = "{name}"' in modules[name]
    # The standalone module is the installed xlwings' own, version included.
    assert f'XLWINGS_VERSION As String = "{xlwings.__version__}"' in modules["xlwings"]
    documents = {"ThisWorkbook", *(f"Sheet{i + 1}" for i in range(len(L.SHEETS)))}  # one per sheet, as Excel has
    assert set(modules) == documents | set(sources)


def test_vba_sources_are_ascii_with_one_runpython_line_per_button():
    text = build.BUTTONS_BAS.read_bytes().decode("ascii")
    subs = re.findall(r"Public Sub (\w+)\(\)\r?\n(.*?)\r?\nEnd Sub", text, re.S)
    assert [name for name, _ in subs] == [b.macro for b in L.BUTTONS]
    for (name, body), b in zip(subs, L.BUTTONS):
        assert body.strip() == f'RunPython "{L.run_python_command(b)}"', name
    for _name, source, _kind in build.vba_modules():
        source.encode("ascii")


def test_sheets_buttons_and_settings_read_back_with_openpyxl(built):
    wb = load_workbook(built[0], keep_vba=True)
    assert wb.sheetnames == L.SHEETS
    settings = wb[L.SETTINGS]
    labels = [settings.cell(L.FIRST_ROW + i, 1).value for i in range(len(L.SETTINGS_ROWS))]
    assert labels == [r[0] for r in L.SETTINGS_ROWS]
    conf = wb[L.CONF_SHEET]
    assert (conf["A1"].value, conf["B1"].value) == ("Interpreter_Win", L.DEFAULT_INTERPRETER_WIN)
    keys = [conf.cell(r, 1).value for r in range(1, len(L.CONF_ROWS) + 1)]
    assert keys == [k for k, _ in L.CONF_ROWS] and conf.cell(len(L.CONF_ROWS) + 1, 1).value is None
    units = wb[L.UNITS]
    assert [c.value for c in units[L.HEADER_ROW]] == L.UNIT_HEADERS
    assert units.cell(L.FIRST_ROW, 1).value == "县财政局"
    with zipfile.ZipFile(built[0]) as z:
        vml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".vml"))
        assert "xl/vbaProject.bin" in z.namelist()
    assert re.findall(r"<x:FmlaMacro>\[0\]!([\w.]+)</x:FmlaMacro>", vml) == [L.macro_of(b) for b in L.BUTTONS]


def test_two_builds_give_identical_vba_and_sheets(built):
    first, second = built
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        assert a.read("xl/vbaProject.bin") == b.read("xl/vbaProject.bin")
        assert a.namelist() == b.namelist()
        sheets = [n for n in a.namelist() if n.startswith("xl/worksheets/") or n.endswith(("sharedStrings.xml", ".vml"))]
        assert sheets and all(a.read(n) == b.read(n) for n in sheets)
    values = [[[c for c in row] for row in ws.iter_rows(values_only=True)]
              for ws in load_workbook(first).worksheets]
    assert values == [[[c for c in row] for row in ws.iter_rows(values_only=True)]
                      for ws in load_workbook(second).worksheets]


@pytest.mark.skipif(soffice_path() is None, reason="LibreOffice is not installed")
def test_libreoffice_keeps_every_button_linked_to_an_existing_macro(built, tmp_path):
    ods = convert_with_soffice(built[0], "ods", tmp_path)
    with zipfile.ZipFile(ods) as z:
        content = ET.fromstring(z.read("content.xml"))
        basic = {n.split("/")[-1][:-4]: z.read(n).decode("utf-8") for n in z.namelist()
                 if n.startswith("Basic/VBAProject/") and n.endswith(".xml") and "script-" not in n}
    form = "{urn:oasis:names:tc:opendocument:xmlns:form:1.0}"
    xlink = "{http://www.w3.org/1999/xlink}href"
    links = {}
    for button in content.iter(f"{form}button"):
        hrefs = [e.get(xlink) for e in button.iter() if e.get(xlink, "").startswith("vnd.sun.star.script:")]
        links[button.get(f"{form}label")] = hrefs
    assert set(links) == {b.caption for b in L.BUTTONS}
    for b in L.BUTTONS:
        assert links[b.caption] == [f"vnd.sun.star.script:VBAProject.{L.VBA_MODULE}.{b.macro}"
                                    "?language=Basic&location=document"], b.caption
        assert re.search(rf"^\s*Public Sub {b.macro}\(\)", basic[L.VBA_MODULE], re.M), b.macro
    assert "xlwings" in basic and "Public Function RunPython" in basic["xlwings"]


RECORDER = """\
Public Recorded As String
Public Sub RunPython(PythonCommand As String)
    Recorded = Recorded & PythonCommand & vbLf
End Sub
"""


def test_each_button_macro_run_in_pyopenvba_names_an_addin_function(built):
    """pyOpenVBA runs the buttons module taken from the built file; RunPython is a recorder.

    (pyOpenVBA 6.5 cannot compile the real xlwings.bas — it stops at the ``#Const`` with a trailing
    comment on line 2 — so the recorder stands in for the whole xlwings module.)
    """
    from pyopenvba import ExcelFile
    from pyopenvba.apps.excel import ExcelApplication

    with ExcelFile(str(built[0])) as f:
        source = f.get_module(L.VBA_MODULE)
    with zipfile.ZipFile(built[0]) as z:
        vml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".vml"))
    macros = re.findall(r"<x:FmlaMacro>\[0\]!([\w.]+)</x:FmlaMacro>", vml)
    assert len(macros) == len(L.BUTTONS)
    for macro in macros:
        app = ExcelApplication.open(str(built[0]), with_vba=False)
        app.add_module(source, name=L.VBA_MODULE)
        app.add_module(RECORDER, name="Recorder")
        app.run(macro.split(".")[-1])
        recorded = str(app.evaluate("Recorded")).strip("\n").split("\n")
        assert len(recorded) == 1, (macro, recorded)
        tree = ast.parse(recorded[0])
        imp, call = tree.body
        assert isinstance(imp, ast.Import) and imp.names[0].name == "zwgk_xl.addin"
        alias = imp.names[0].asname
        assert isinstance(call.value, ast.Call) and call.value.func.value.id == alias and not call.value.args
        function = getattr(addin, call.value.func.attr)
        assert callable(function) and not inspect.signature(function).parameters, macro
        button = next(b for b in L.BUTTONS if L.macro_of(b) == macro)
        assert call.value.func.attr == button.function
