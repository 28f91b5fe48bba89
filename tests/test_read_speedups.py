"""The cheaper ways ``merge`` reads and validates a return give what the plain ways gave."""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import struct
import zipfile

import pytest

from zwgk_xl.core.model import Deadline, Node
from zwgk_xl.forms import spec as fs
from zwgk_xl.merge.context import Context

# Checksums issued forms carry: locked_checksum must give these forever.
PINNED = {
    "empty": ([], "4f53cda18c2baa0c"),
    "plain": ([{"id": "一.(1)", "title": "任务1", "text": "第1项任务的具体要求：依法依规做好公开。", "role": "牵头",
                "deadline": "2021-12-31"}], "2a0dd95a2b61a2de"),
    "odd": ([{"id": " 1 ", "title": None, "text": 'quote " back \\ tab\t nl\n ctl\x01 \u2028', "role": 0,
              "deadline": 45000},
             {"id": "2"},
             {"id": 3.5, "title": "  ", "text": "emoji 😀 ＠", "role": "配合", "deadline": "长期"}], "932be78639457cde"),
}


def _json_checksum(rows: list[dict]) -> str:
    """locked_checksum as first written (json.dumps of the whole payload)."""
    payload = [[str(r.get(k, "") or "").strip() for k, _ in fs.LOCKED_COLUMNS] for r in rows]
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@pytest.mark.parametrize("case", sorted(PINNED))
def test_locked_checksum_is_pinned(case):
    rows, want = PINNED[case]
    assert fs.locked_checksum(rows) == want == _json_checksum(rows)


def test_locked_checksum_matches_json_on_varied_text():
    texts = ["", " ", "a\"b", "\\", "\x00\x1f\x7f", "中文，全角：", "\u2028\u2029", "😀", "</script>", "x"]
    rows = [{k: texts[(i + j) % len(texts)] for j, (k, _) in enumerate(fs.LOCKED_COLUMNS)} for i in range(len(texts))]
    assert fs.locked_checksum(rows) == _json_checksum(rows)


def _task(i: int) -> Node:
    return Node(id=f"一.({i})", path=["一", f"({i})"], title=f"任务{i}", text=f"第{i}项任务的具体要求。",
                deadline=Deadline(date="2021-12-31"))


def test_context_checksum_is_the_issued_one():
    """The merge's per-unit checksum (row texts made once per merge) is what the writer puts in the form."""
    from zwgk_xl.forms.writer import locked_rows

    tasks = [_task(i) for i in range(1, 6)]
    assigned = {"甲局": [(t, "牵头") for t in tasks], "乙局": [(tasks[0], "配合"), (tasks[3], "牵头")], "丙局": []}
    ctx = Context(round="2021年", ledger_id="x", assigned=assigned)
    for unit, pairs in assigned.items():
        assert ctx.checksum(unit) == fs.locked_checksum(locked_rows(pairs))
        assert ctx.checksum(unit) == fs.locked_checksum(locked_rows(pairs))  # remembered


# ---------------------------------------------------------------------------
# .xls extents: one read per record (type, size, row, column) gives what a read per field gave


def _reference_biff_extents(stream: bytes) -> list[tuple[int, int]]:
    """The workbook stream's extents read a field at a time (as first written)."""
    from zwgk_xl.merge import xlsxscan as xs

    out = [[0, 0]]
    pos, end = 0, len(stream) - 4
    while pos <= end:
        kind, size = struct.unpack_from("<2H", stream, pos)
        pos += 4
        if kind == xs._BOF_RECORD:
            out.append([0, 0])
        elif kind in xs._EXTENT_RECORDS and size >= 4 and pos + size <= len(stream):
            row, col = struct.unpack_from("<2H", stream, pos)
            if kind in xs._MULTI_RECORDS and size >= 6:
                col = struct.unpack_from("<H", stream, pos + size - 2)[0]
            elif kind == xs._ROW_RECORD and size >= 6:
                col = max(struct.unpack_from("<H", stream, pos + 4)[0] - 1, 0)
            out[-1] = [max(out[-1][0], row + 1), max(out[-1][1], col + 1)]
        pos += size
    return [(r, c) for r, c in out if r or c]


def test_biff_extents_as_read_field_by_field():
    from zwgk_xl.merge import xlsxscan as xs

    rng = random.Random(14)
    kinds = sorted(xs._EXTENT_RECORDS | {xs._BOF_RECORD, 0x00FC, 0x003C})
    for _ in range(3000):
        records = [(rng.choice(kinds), rng.randbytes(rng.choice([0, 2, 3, 4, 5, 6, 8, 14])))
                   for _ in range(rng.randint(0, 12))]
        stream = b"".join(struct.pack("<2H", kind, len(body)) + body for kind, body in records)
        if rng.random() < 0.3:  # cut short, or trailing bytes that are no whole record
            stream = stream[:rng.randrange(len(stream) + 1)] + rng.randbytes(rng.randint(0, 7))
        assert xs._biff_extents(stream) == _reference_biff_extents(stream), stream


# ---------------------------------------------------------------------------
# The sheet XML patterns: possessive quantifiers find what backtracking ones found


def test_scan_patterns_as_with_backtracking():
    from zwgk_xl.merge import xlsxscan as xs

    atoms = [b"<c", b"<f", b"<c ", b' r="', b"A", b"Z", b"AB", b"1", b"0", b"9", b"999", b"1000", b'"', b' s="',
             b"12345", b"123456", b' t="', b"s", b"str", b"inlineStr", b"n", b"b", b"e", b"/", b">", b"/>", b"\t",
             b"<v>1</v>", b"</c>", b' r="B7"', b' s="3"', b' t="s"', b"<x:c", b" r=", b"'"]
    rng = random.Random(15)
    for max_rows, max_cols in ((2000, 64), (100, 10), (10**6, 700)):
        letters = next(k for k in range(8) if sum(26 ** i for i in range(1, k + 2)) > max_cols)
        digits = next(k for k in range(13) if 10 ** (k + 1) - 1 > max_rows)
        short = rb' r="[A-Z]{1,%d}[1-9][0-9]{0,%d}"' % (letters, digits - 1) if letters and digits else b"(?!)"
        plain = re.compile(rb'<(?:c(?!%s(?: s="[0-9]{1,5}")?(?: t="(?:s|str|inlineStr|n|b)")?/?>)|f)[\s/>]' % short)
        unusual, _ = xs._patterns(max_rows, max_cols)
        for _ in range(20000):
            xml = b"".join(rng.choice(atoms) for _ in range(rng.randint(1, 14)))
            a, b = plain.search(xml), unusual.search(xml)
            assert (a and a.span()) == (b and b.span()), xml


def _sheet_xml(rng: random.Random) -> bytes:
    """A small sheet of cells that are usual or not: prefixes, far or missing references, types, formulas."""
    cells = []
    for _ in range(rng.randint(0, 8)):
        prefix = rng.choice([b"", b"", b"", b"x:", b"my:"])
        ref = rng.choice([b' r="B7"', b' r="A1"', b' r="Z999"', b' r="AA1"', b' r="B2000"', b"", b' r="A0"'])
        attrs = ref + rng.choice([b"", b' s="3"', b' s="123456"']) + rng.choice(
            [b"", b' t="s"', b' t="e"', b' t="str"', b' t="inlineStr"', b' cm="1"', b' r="C3"'])
        inner = rng.choice([b"", b"", b"x:"])  # a formula's own prefix
        body = rng.choice([b"", b"<v>1</v>", b"<v>#DIV/0!</v>", b"<%sf>SUM(A1)</%sf>" % (inner, inner),
                           b'<f>HYPERLINK("http://a.b","x")</f><v>x</v>', b"<%sf/><v></v>" % inner,
                           b"<is><t>a:c</t></is>"])
        cells.append(b"<%sc%s/>" % (prefix, attrs) if not body and rng.random() < 0.5 else
                     b"<%sc%s>%s</%sc>" % (prefix, attrs, body, prefix))
    root = rng.choice([b"<worksheet>", b'<worksheet xmlns:x="urn:x">'])
    return b"%s<sheetData><row r=\"1\">%s</row></sheetData></worksheet>" % (root, b"".join(cells))


def test_scan_shortcut_finds_what_the_full_scan_finds(monkeypatch):
    """A sheet the ``unusual`` pattern passes (the shortcut) holds nothing the full scan would find."""
    from zwgk_xl.merge import xlsxscan as xs

    rng = random.Random(16)
    sheets = [_sheet_xml(rng) for _ in range(4000)]
    quick = [xs.scan(xml, 2000, 64) for xml in sheets]
    _, suspect = xs._patterns(2000, 64)
    monkeypatch.setitem(xs._PATTERNS, (2000, 64), (re.compile(b""), suspect))  # every sheet scanned in full
    assert quick == [xs.scan(xml, 2000, 64) for xml in sheets]


# ---------------------------------------------------------------------------
# Metadata beside the sheets: a package proven to carry none is not opened again


def _repack(src, dst, drop=(), edit=None) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename not in drop:
                data = zin.read(item.filename)
                zout.writestr(item, edit(item.filename, data) if edit else data)


def test_metadata_beside_the_sheets_found_as_read_form_metadata_finds_it(tmp_path, monkeypatch):
    import openpyxl
    from _split_helpers import StandInDirectory, task

    from zwgk_xl.core.model import Document
    from zwgk_xl.forms import metadata
    from zwgk_xl.forms.writer import write_forms
    from zwgk_xl.merge import checking
    from zwgk_xl.merge.intake import Limits, open_book

    section = Node(id="一", path=["一"], children=[task("一.(一)", ["县财政局"])])
    src = write_forms(Document(roots=[section]), StandInDirectory({"县财政局": {}}, {}), "2021年第二季度",
                      "2021-06-25", tmp_path)[0].path
    wb = openpyxl.load_workbook(src)
    del wb[fs.META_SHEET]
    properties = tmp_path / "properties.xlsx"  # the metadata sheet deleted: properties and names remain
    wb.save(properties)
    names = tmp_path / "names.xlsx"
    _repack(properties, names, drop=("docProps/custom.xml",))
    spelled = tmp_path / "spelled.xlsx"  # the names' prefix written as a character reference
    _repack(names, spelled, edit=lambda n, d: d.replace(b'name="zwgk_', b'name="&#122;wgk_') if n == "xl/workbook.xml"
            else d)
    bare = tmp_path / "bare.xlsx"  # pasted into a new workbook: nothing
    wb = openpyxl.load_workbook(properties)
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    wb.custom_doc_props.props.clear()
    wb.save(bare)
    opened = []
    monkeypatch.setattr(checking, "read_form_metadata",
                        lambda p: opened.append(p.name) or metadata.read_form_metadata(p))
    sources = {}
    for path in (properties, names, spelled, bare):
        form = checking.read_form(open_book(path.read_bytes(), Limits(), name=path.name), path, Limits())
        assert form.meta == metadata.read_form_metadata(path)
        sources[path.stem] = form.meta and form.meta["meta_source"]
    assert sources == {"properties": "properties", "names": "names", "spelled": "names", "bare": None}
    assert "bare.xlsx" not in opened and {"properties.xlsx", "names.xlsx", "spelled.xlsx"} <= set(opened)


# ---------------------------------------------------------------------------
# The zip directory read in one pass gives what zipfile gives, or leaves the package to zipfile


def _zip_variants(rng: random.Random) -> list[bytes]:
    out = []
    for n in range(40):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if n % 3 else zipfile.ZIP_STORED) as z:
            for i in range(rng.randint(0, 4)):
                name = rng.choice(["xl/workbook.xml", f"xl/worksheets/sheet{i}.xml", "中文/部件.xml", "a\\b.xml",
                                   "docProps/custom.xml", "x\0y.xml"])
                info = zipfile.ZipInfo(name)
                info.compress_type = zipfile.ZIP_DEFLATED
                if rng.random() < 0.3:
                    info.extra = rng.choice([struct.pack("<2H", 0x5455, 5) + b"\1abcd", b"\1\0\4\0abc",
                                             struct.pack("<2H", 1, 8) + bytes(8), b"\xff"])
                if rng.random() < 0.2:
                    info.comment = b"note"
                z.writestr(info, rng.randbytes(rng.randint(0, 300)) * rng.randint(1, 3),
                           compress_type=zipfile.ZIP_DEFLATED)
            if n % 7 == 0:
                z.comment = b"archive comment"
        data = buf.getvalue()
        out.append(b"junk" + data if n % 11 == 0 else data)
    for data in list(out):
        for _ in range(25):  # damaged: bytes changed, cut short or added
            b = bytearray(data)
            for _ in range(rng.randint(1, 3)):
                if b:
                    b[rng.randrange(len(b))] = rng.randrange(256)
            b = bytes(b)
            out.append(rng.choice([b, b[:rng.randrange(len(b) + 1)], b + rng.randbytes(rng.randint(1, 30))]))
    return out


def _zipfile_entries(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, i.header_offset, i.flag_bits, i.compress_type, i.CRC, i.compress_size, i.file_size)
                for i in z.infolist()]


def test_zip_directory_as_zipfile_reads_it():
    from zwgk_xl.merge import xlsxscan as xs

    plain = 0
    for data in _zip_variants(random.Random(17)):
        entries = xs.directory(data)
        if entries is None:
            continue
        plain += 1
        assert [(e.filename, e.header_offset, e.flag_bits, e.compress_type, e.CRC, e.compress_size, e.file_size)
                for e in entries] == _zipfile_entries(data), data
    assert plain > 50
