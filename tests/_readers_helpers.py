"""Builders for reader tests: .docx files with real Word auto-numbering, tables, soffice copies."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from zwgk_xl.parse.normalize import fold_width
from zwgk_xl.parse.numbering import KINDS, match_marker

# One multi-level list as Chinese offices set it up: 一、 (一) 1. (1) ①
OUTLINE_LEVELS = [
    ("chineseCounting", "%1、"),
    ("chineseCounting", "（%2）"),
    ("decimal", "%3."),
    ("decimal", "（%4）"),
    ("decimalEnclosedCircle", "%5"),
]


class NumberedDocx:
    """A python-docx Document plus a multi-level list whose numbers live in numbering.xml."""

    def __init__(self, levels=OUTLINE_LEVELS, abstract_id: int = 90):
        self.doc = docx.Document()
        self.numbering = self.doc.part.numbering_part.element
        self.abstract_id = abstract_id
        self.levels = levels
        lvls = "".join(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{420 * (i + 1)}" w:hanging="420"/></w:pPr></w:lvl>'
            for i, (fmt, text) in enumerate(levels)
        )
        abstract = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
            f'<w:multiLevelType w:val="multilevel"/>{lvls}</w:abstractNum>'
        )
        first_num = self.numbering.find(qn("w:num"))
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            self.numbering.append(abstract)
        self.num_id = self._new_num()
        self.counters: dict[int, int] = {}

    def _new_num(self, restart: tuple[int, int] | None = None) -> int:
        ids = [int(n.get(qn("w:numId"))) for n in self.numbering.findall(qn("w:num"))]
        nid = max(ids, default=0) + 1
        override = ""
        if restart:
            ilvl, start = restart
            override = (f'<w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="{start}"/>'
                        f"</w:lvlOverride>")
        self.numbering.append(parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{nid}"><w:abstractNumId w:val="{self.abstract_id}"/>'
            f"{override}</w:num>"
        ))
        return nid

    def numbered(self, text: str, ilvl: int, number: int):
        """Add a paragraph numbered by Word (the number is not in its text)."""
        expected = self.counters.get(ilvl, 0) + 1
        if number != expected:  # as a clerk would "set numbering value"
            self.num_id = self._new_num((ilvl, number))
        self.counters[ilvl] = number
        for deeper in [k for k in self.counters if k > ilvl]:
            del self.counters[deeper]
        p = self.doc.add_paragraph(text)
        ppr = p._p.get_or_add_pPr()
        ppr.append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{self.num_id}"/></w:numPr>'
        ))
        return p

    def add_line(self, line: str) -> None:
        """A source line: auto-numbered when it starts with a recognised marker, typed otherwise."""
        m = match_marker(fold_width(line))
        if m and m.rest:
            self.numbered(m.rest, KINDS.index(m.kind), m.number)
        elif line.strip():
            self.doc.add_paragraph(line)

    def save(self, path) -> Path:
        self.doc.save(str(path))
        return Path(path)


def docx_from_text(text: str, path) -> Path:
    """The text as a .docx, numbering moved into Word's auto-numbering."""
    nd = NumberedDocx()
    for line in text.splitlines():
        nd.add_line(line)
    return nd.save(path)


def add_table(doc, rows: list[list[str]], merges=()) -> None:
    """Add a table; ``merges`` are ((r0, c0), (r1, c1)) ranges merged in Word (text of top-left)."""
    table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value:
                table.cell(r, c).text = value
    for (r0, c0), (r1, c1) in merges:
        a = table.cell(r0, c0)
        keep = a.text
        merged = a.merge(table.cell(r1, c1))
        merged.text = keep
    return table


def copy_fixture(name_prefix: str, dest: Path) -> Path:
    src = next(Path(__file__).parent.joinpath("fixtures").glob(f"{name_prefix}_*.txt"))
    target = dest / src.name
    shutil.copyfile(src, target)
    return target


def clone(obj):
    return copy.deepcopy(obj)
