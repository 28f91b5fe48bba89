"""merge: hostile or broken files are refused with a finding; the rest still merges; nothing is executed."""

from __future__ import annotations

import io

import pytest

from _merge_helpers import ROUND, add_vba, crafted_encrypted, fill, issue_forms, zip_bomb
from zwgk_xl.merge.intake import Limits, Rejected, open_book, parse_date
from zwgk_xl.ledger.store import ARCHIVE_DIR, Ledger
from zwgk_xl.merge.command import merge_folder

OK = {"status": "已完成", "progress": "已公开"}


@pytest.fixture()
def setup(tmp_path):
    ws, forms = issue_forms(tmp_path)
    box = tmp_path / "回收"
    box.mkdir()
    good = fill(forms["县卫生健康局"], box / "b_卫健.xlsx", rows={"一.(4)": OK}, fields={"filler": "王五"})
    return ws, forms, box, good


def merged(ws, box, **kw):
    with Ledger.open(ws) as led:
        result = merge_folder(box, led, **kw)
        accepted = {s.unit for s in led.submissions(ROUND)}
    return result, accepted


def kinds(result, file):
    return [(f.type, f.severity) for f in result.findings if f.file == file]


def test_macros_are_reported_never_run_and_values_still_read(setup):
    ws, forms, box, _ = setup
    filled = fill(forms["县财政局"], box / "tmp.xlsx", rows={"一.(1)": OK, "一.(3)": OK}, fields={"filler": "张三"})
    add_vba(filled, box / "a_财政.xlsm")
    filled.unlink()
    result, accepted = merged(ws, box)
    assert kinds(result, "a_财政.xlsm") == [("macros-present", "warning")]
    assert accepted == {"县财政局", "县卫生健康局"}


def test_zip_bomb_refused_before_inflating(setup, monkeypatch):
    ws, forms, box, _ = setup
    zip_bomb(forms["县财政局"], box / "a_炸弹.xlsx", megabytes=24)
    import zwgk_xl.merge.intake as intake

    def no_calamine(*a, **k):
        raise AssertionError("a zip bomb reached the reader")

    monkeypatch.setattr(intake.CalamineWorkbook, "from_filelike", no_calamine, raising=False)
    with pytest.raises(Rejected) as e:
        open_book((box / "a_炸弹.xlsx").read_bytes(), Limits())
    assert e.value.kind == "zip-bomb"
    monkeypatch.undo()
    result, accepted = merged(ws, box)
    assert kinds(result, "a_炸弹.xlsx") == [("zip-bomb", "error")]
    assert accepted == {"县卫生健康局"}


def test_size_limit(setup):
    ws, forms, box, _ = setup
    fill(forms["县财政局"], box / "a_财政.xlsx", rows={"一.(1)": OK, "一.(3)": OK}, fields={"filler": "张三"})
    result, accepted = merged(ws, box, limits=Limits(max_file_bytes=1000))
    assert kinds(result, "a_财政.xlsx") == [("too-large", "error")]
    assert kinds(result, "b_卫健.xlsx") == [("too-large", "error")]
    assert accepted == set()
    assert result.findings[0].unit == "" and "超过上限 1,000 字节" in result.findings[0].message


def test_password_protected_crafted(setup):
    ws, _, box, _ = setup
    crafted_encrypted(box / "a_加密.xlsx")
    result, accepted = merged(ws, box)
    assert kinds(result, "a_加密.xlsx") == [("password-protected", "error")]
    assert accepted == {"县卫生健康局"}


def test_password_protected_real(setup):
    pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    ws, _, box, good = setup
    out = io.BytesIO()
    with open(good, "rb") as fh:
        OOXMLFile(fh).encrypt("secret", out)
    (box / "c_县财政局_加密.xlsx").write_bytes(out.getvalue())
    result, accepted = merged(ws, box)
    assert [(f.type, f.unit) for f in result.findings if f.file == "c_县财政局_加密.xlsx"] == \
        [("password-protected", "县财政局")]  # the unit in the file name tells the clerk whom to call
    assert accepted == {"县卫生健康局"}


def test_corrupt_and_misnamed_files(setup):
    ws, forms, box, _ = setup
    (box / "a_坏.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    (box / "a_文本.xls").write_text("这其实是文本", encoding="utf-8")
    (box / "a_空.ods").write_bytes(b"")
    (box / "子目录").mkdir()
    (box / "子目录" / "~$b_卫健.xlsx").write_bytes(b"lock")
    result, accepted = merged(ws, box)
    assert [(f.type, f.file) for f in result.findings if f.type != "missing-submission"] == [
        ("unreadable", "a_坏.xlsx"), ("unreadable", "a_文本.xls"), ("unreadable", "a_空.ods"),
        ("lock-file", "子目录/~$b_卫健.xlsx")]
    assert accepted == {"县卫生健康局"}
    with Ledger.open(ws) as led:  # every received spreadsheet is archived by hash, even a broken one
        assert len(list((ws / ARCHIVE_DIR).iterdir())) == 4
        assert {r["outcome"] for r in led.receipts(ROUND)} == {"rejected", "accepted"}


def test_not_a_form(setup):
    import openpyxl

    ws, _, box, _ = setup
    wb = openpyxl.Workbook()
    wb.active.append(["随便", "一张", "表"])
    wb.save(box / "a_县财政局其他材料.xlsx")
    result, _ = merged(ws, box)
    assert [(f.type, f.unit) for f in result.findings if f.file == "a_县财政局其他材料.xlsx"] == \
        [("not-a-form", "县财政局")]


@pytest.mark.parametrize("value,iso", [
    ("2021-06-30", "2021-06-30"), ("2021/6/3", "2021-06-03"), ("2021.6.3", "2021-06-03"),
    ("2021年6月30日", "2021-06-30"), ("20210630", "2021-06-30"), (44377.0, "2021-06-30"),
    ("6月底", None), ("2021-02-30", None), (12.0, None), ("", None),
])
def test_parse_date(value, iso):
    assert parse_date(value) == iso


@pytest.mark.parametrize("text,iso", [
    ("6月20日", "2021-06-20"), ("6月20号", "2021-06-20"), (" 12 月 1 日 ", "2021-12-01"), ("2021年6月", "2021-06"),
    ("2021.06", "2021-06"), ("2020-6", "2020-06"), ("6月", "2021-06"), ("6月份", "2021-06"),
    ("6", None), ("2021", None), ("6.20", None), ("13月", None), ("2月30日", None), ("2021年13月", None),
    ("已完成", None), ("", None),
])
def test_partial_date_uses_the_rounds_year(text, iso):
    from zwgk_xl.core.values import partial_date

    assert partial_date(text, 2021) == iso
    assert partial_date(text, None) == (iso if iso and text.strip().startswith("20") else None)


def test_discover_skips_the_archive_inside_the_folder_and_links_into_it(tmp_path):
    import os

    from zwgk_xl.merge.intake import discover

    box = tmp_path / "回收"
    archive = box / "台账" / ARCHIVE_DIR
    (box / "县财政局").mkdir(parents=True)
    archive.mkdir(parents=True)
    for p in [box / "a.xlsx", box / "县财政局" / "b.xlsx", archive / "c.xlsx", archive / "d.xlsx"]:
        p.write_bytes(b"x")
    os.symlink(archive / "d.xlsx", box / "县财政局" / "link.xlsx")  # a link into the archive
    os.symlink(archive, box / "归档的快捷方式")  # a folder link into it
    found = [p.relative_to(box).as_posix() for p in discover(box, exclude=[archive])]
    assert found == ["a.xlsx", "县财政局/b.xlsx"]
    assert len(discover(box)) == 5  # without an exclusion: all files and the file link (folder links not followed)
