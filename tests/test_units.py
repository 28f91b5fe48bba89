"""部门名录 loading: samples, groups, aliases and clear errors on bad directories."""

from __future__ import annotations

import openpyxl
import pytest
import xlsxwriter

from zwgk_xl.data import build_samples
from zwgk_xl.core.errors import DirectoryError
from zwgk_xl.core.units import load_directory, sample_directory_path


def _write(path, rows, extra=None):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("部门名录")
    for r, row in enumerate(rows):
        ws.write_row(r, 0, row)
    for name, sheet_rows in (extra or {}).items():
        s = wb.add_worksheet(name)
        for r, row in enumerate(sheet_rows):
            s.write_row(r, 0, row)
    wb.close()
    return path


HEAD = ["单位名称", "简称/别名", "类别", "联系人", "电话", "邮箱", "对口上级单位"]


def test_county_sample_has_departments_townships_and_groups():
    d = load_directory(sample_directory_path("county"))
    cats = [u.category for u in d.units]
    assert cats.count("部门") == 40 and cats.count("乡镇街道") == 10
    assert d.groups["县直各部门"][0] == "县人民政府办公室" and len(d.groups["县直各部门"]) == 40
    assert len(d.expand("各乡镇(街道)")) == 10
    assert d.expand("各乡镇\uff08街道\uff09") == d.expand("各乡镇(街道)")  # bracket width ignored
    assert d.get("县市场监管局").name == "县市场监督管理局"
    assert d.expand("县人社局") == ["县人力资源和社会保障局"]
    assert d.expand("没有这个单位") == []
    assert d.is_group("县直各部门") and not d.is_group("县司法局")
    assert "地方金融监管局" in d.get("县财政局").superior_keywords
    assert d.get("县财政局").email.endswith("example.com")
    assert d.mappings["省委网信办"] == ["县人民政府办公室"]
    assert d.warnings == []


def test_bureau_sample_lists_the_seed_000_sections():
    d = load_directory(sample_directory_path("bureau"))
    assert d.groups["各科室"] == ["局办公室", "组织人事科", "行业管理科", "公共服务科", "产业发展科", "财务室", "执法大队"]
    assert d.get("综合行政执法队").name == "执法大队"


def test_committed_samples_match_their_source(tmp_path):
    """The shipped .xlsx files are exactly what build_samples.py writes."""
    for built in build_samples.build(tmp_path):
        shipped = sample_directory_path("county" if "示例县" in built.name else "bureau")
        a, b = openpyxl.load_workbook(built), openpyxl.load_workbook(shipped)
        assert a.sheetnames == b.sheetnames == ["部门名录", "分组", "映射", "说明"]
        for name in a.sheetnames:
            assert list(a[name].values) == list(b[name].values), name


def test_groups_default_to_categories_without_group_sheet(tmp_path):
    p = _write(tmp_path / "d.xlsx", [HEAD, ["县司法局", "", "部门"], ["城关镇人民政府", "城关镇", "乡镇街道"]])
    d = load_directory(p, level="市")
    assert d.groups == {"市直各部门": ["县司法局"], "各乡镇(街道)": ["城关镇人民政府"]}
    assert d.group_phrases["省直有关部门"] == "市直各部门"


def test_csv_directory(tmp_path):
    p = tmp_path / "名录.csv"
    p.write_text("单位名称,简称/别名,类别\n局办公室,办公室,科室\n财务室,,科室\n", encoding="gb18030")
    d = load_directory(p, level="局")
    assert d.names == ["局办公室", "财务室"] and d.groups == {"各科室": ["局办公室", "财务室"]}


def test_duplicate_name_names_both_rows(tmp_path):
    p = _write(tmp_path / "d.xlsx", [HEAD, ["县司法局"], ["县财政局"], ["县司法局"]])
    with pytest.raises(DirectoryError, match=r"第4行的单位名称「县司法局」与第2行重复"):
        load_directory(p)


def test_alias_clashing_with_another_unit(tmp_path):
    p = _write(tmp_path / "d.xlsx", [HEAD, ["县司法局", "县法制办"], ["县财政局", "县法制办"]])
    with pytest.raises(DirectoryError, match=r"第3行的简称/别名「县法制办」与第2行的「县司法局」重复"):
        load_directory(p)


def test_empty_row_is_reported_and_row_without_name_is_an_error(tmp_path):
    p = _write(tmp_path / "d.xlsx", [HEAD, ["县司法局"], [], ["县财政局"]])
    d = load_directory(p)
    assert d.names == ["县司法局", "县财政局"]
    assert d.warnings == ["部门名录「d.xlsx」工作表「部门名录」第3行是空行，已跳过。"]
    p = _write(tmp_path / "e.xlsx", [HEAD, ["县司法局"], ["", "简称", "部门", "张三"]])
    with pytest.raises(DirectoryError, match=r"「e.xlsx」工作表「部门名录」第3行没有填写单位名称"):
        load_directory(p)


def test_missing_name_column(tmp_path):
    p = _write(tmp_path / "d.xlsx", [["部门", "电话"], ["县司法局", "123"]])
    with pytest.raises(DirectoryError, match=r"找不到“单位名称”列"):
        load_directory(p)


def test_group_and_mapping_sheets_are_checked(tmp_path):
    units = [HEAD, ["县司法局", "", "部门"]]
    p = _write(tmp_path / "g.xlsx", units, {"分组": [["分组名称", "成员类别", "成员"], ["重点部门", "", "县司法局、县外办"]]})
    with pytest.raises(DirectoryError, match=r"工作表「分组」第2行的成员「县外办」不在部门名录中"):
        load_directory(p)
    p = _write(tmp_path / "m.xlsx", units, {"映射": [["上级单位", "本级单位"], ["省外办", "县司法局"], ["省侨办", "县侨办"]]})
    with pytest.raises(DirectoryError, match=r"工作表「映射」第3行的本级单位「县侨办」不在部门名录中"):
        load_directory(p)


def test_unknown_sample_and_unsupported_format(tmp_path):
    with pytest.raises(Exception, match="示例名录"):
        sample_directory_path("city")
    p = tmp_path / "d.txt"
    p.write_text("x", encoding="utf-8")
    with pytest.raises(DirectoryError, match="另存为 .xlsx"):
        load_directory(p)


def test_keyword_columns_extend_and_exclude():
    d = load_directory(sample_directory_path("county"))
    assert d.get("县供销合作社联合社").function_keywords == ["电子商务进农村", "农村综合改革"]
    assert all(u.excluded_keywords == [] for u in d.units)  # written only by decompose --learn
    ws = openpyxl.load_workbook(sample_directory_path("county"))["部门名录"]
    assert [c.value for c in ws[1]][-2:] == ["职能关键词", "排除关键词"]
