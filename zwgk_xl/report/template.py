"""Build the default report template (``templates/报告模板.docx``) in code.

The layout follows GB/T 9704-2012 (党政机关公文格式): A4, margins top 37 mm,
bottom 35 mm, left 28 mm, right 26 mm, 28 characters x 22 lines; title in
方正小标宋简体 二号 centred, body 仿宋_GB2312 三号, 一级标题 黑体, 二级标题
楷体_GB2312, page numbers ``— 1 —`` in the footer.

The document holds docxtpl (Jinja) tags filled from
:func:`zwgk_xl.report.build_report_context`.  Each tag sits in its own run, so
a clerk can move, restyle or delete whole paragraphs in Word; see
``templates/README.md``.
"""

from __future__ import annotations

import math
from pathlib import Path

from docx import Document as new_document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.errors import ReportError

# Font names exactly as installed on office PCs (Word picks the real fonts).
FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_H1 = "黑体"
FONT_H2 = "楷体_GB2312"
FONT_PAGE = "宋体"
FONT_LATIN = "Times New Roman"

SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_5 = Pt(10.5)  # 五号

PAGE_W, PAGE_H = Mm(210), Mm(297)
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
CHARS_PER_LINE, LINES_PER_PAGE = 28, 22

# One body line: (297 - 37 - 35) mm / 22 lines, in points (about 28.95 pt).
LINE_PITCH = Pt((297 - 37 - 35) / 25.4 * 72 / LINES_PER_PAGE)

# Character spacing (twentieths of a point) so 28 三号 characters fill 156 mm.
CHAR_SPACING_TWIPS = math.floor(((210 - 28 - 26) / 25.4 * 72 / CHARS_PER_LINE - 16) * 20)

# Children of w:rPr that must follow w:spacing (ECMA-376 sequence).
_RPR_AFTER_SPACING = ("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect",
                      "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang",
                      "w:eastAsianLayout", "w:specVanish", "w:oMath")

# Paragraph styles of the template (name, east-asian font, size, bold, centred).
STYLE_TITLE = "公文标题"
STYLE_SUBTITLE = "副标题"
STYLE_BODY = "正文"  # python-docx "Normal" is shown as 正文 in Chinese Word
STYLE_H1 = "一级标题"
STYLE_H2 = "二级标题"
STYLE_H3 = "三级标题"
STYLE_H4 = "四级标题"
STYLE_GAP = "缺报提示"
STYLE_TABLE = "表格文字"
STYLE_TABLE_HEAD = "表头文字"
STYLE_CAPTION = "表题"
STYLE_SIGN = "落款"
STYLE_TAG = "模板标签"


def _set_fonts(rpr_parent, east_asia: str, latin: str = FONT_LATIN) -> None:
    """Write w:rFonts with the East Asian font name, so Word uses it for CJK text."""
    fonts = rpr_parent.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def _outline_level(style, level: int) -> None:
    style.element.get_or_add_pPr().get_or_add_outlineLvl().val = level


def _first_line_chars(style, chars: int) -> None:
    """Indent the first line by ``chars`` characters (w:firstLineChars), as Word does."""
    ind = style.element.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), str(chars * 100))
    ind.set(qn("w:firstLine"), str(int(SIZE_3.pt * chars * 20)))


def _paragraph_style(doc, name, font, size, *, bold=False, align=None, indent=2, outline=None,
                     exact=True, keep_next=False):
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != "Normal":
        style.base_style = styles["Normal"]
        style.quick_style = True
    style.font.size = size
    style.font.bold = bold
    _set_fonts(style.element, font)
    pf = style.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    if exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = LINE_PITCH
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if align is not None:
        pf.alignment = align
    if indent:
        _first_line_chars(style, indent)
    elif name != "Normal":
        pf.first_line_indent = Pt(0)
    if keep_next:
        pf.keep_with_next = True
    if outline is not None:
        _outline_level(style, outline)
    return style


def _define_styles(doc) -> None:
    """The 公文 paragraph styles; Normal is the body (仿宋_GB2312 三号)."""
    J = WD_ALIGN_PARAGRAPH
    normal = _paragraph_style(doc, "Normal", FONT_BODY, SIZE_3, align=J.JUSTIFY)
    normal.font.color.rgb = None
    # 28 characters per line: (156 mm / 28) is about 15.79 pt per 16 pt character.
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(CHAR_SPACING_TWIPS))
    rpr = normal.element.get_or_add_rPr()
    rpr.insert_element_before(spacing, *_RPR_AFTER_SPACING)
    # Document defaults carry the East Asian font too (tables, footers, new text).
    rpr_default = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr_default.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr_default.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), FONT_LATIN)
    fonts.set(qn("w:eastAsia"), FONT_BODY)
    lang = rpr_default.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr_default.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")

    _paragraph_style(doc, STYLE_TITLE, FONT_TITLE, SIZE_2, align=J.CENTER, indent=0, exact=False)
    title_pf = doc.styles[STYLE_TITLE].paragraph_format
    title_pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    title_pf.line_spacing = Pt(36)
    _paragraph_style(doc, STYLE_SUBTITLE, FONT_H2, SIZE_3, align=J.CENTER, indent=0)
    _paragraph_style(doc, STYLE_H1, FONT_H1, SIZE_3, outline=0, keep_next=True)
    _paragraph_style(doc, STYLE_H2, FONT_H2, SIZE_3, outline=1, keep_next=True)
    _paragraph_style(doc, STYLE_H3, FONT_BODY, SIZE_3, bold=True, outline=2, keep_next=True)
    _paragraph_style(doc, STYLE_H4, FONT_BODY, SIZE_3, outline=3, keep_next=True)
    _paragraph_style(doc, STYLE_GAP, FONT_H2, SIZE_3)
    _paragraph_style(doc, STYLE_TABLE, FONT_BODY, SIZE_5, align=J.CENTER, indent=0, exact=False)
    _paragraph_style(doc, STYLE_TABLE_HEAD, FONT_H1, Pt(9), align=J.CENTER, indent=0, exact=False)
    _paragraph_style(doc, STYLE_CAPTION, FONT_H1, SIZE_4, align=J.CENTER, indent=0, exact=False)
    sign = _paragraph_style(doc, STYLE_SIGN, FONT_BODY, SIZE_3, align=J.RIGHT, indent=0, keep_next=True)
    sign.paragraph_format.right_indent = Pt(SIZE_3.pt * 4)  # 成文日期右空四字
    # Paragraphs that hold only a {%p ... %} tag disappear on rendering; a small
    # grey style makes them easy to spot in Word.
    tag = _paragraph_style(doc, STYLE_TAG, FONT_BODY, Pt(9), indent=0, exact=False)
    from docx.shared import RGBColor

    tag.font.color.rgb = RGBColor(0x80, 0x80, 0x80)


def _page_setup(doc) -> None:
    sec = doc.sections[0]
    sec.page_width, sec.page_height = PAGE_W, PAGE_H
    sec.top_margin, sec.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    sec.left_margin, sec.right_margin = MARGINS["left"], MARGINS["right"]
    sec.header_distance = Mm(15)
    sec.footer_distance = Mm(28 - 7)  # page number about 7 mm below the text block
    # 22 lines come from the exact line spacing and 28 characters from a slight
    # condensing of the body font (see _define_styles).  The grid records the
    # line pitch for Word without snapping text to it: LibreOffice renders a
    # snapping character grid with wide gaps, and the PDF goes through it.
    sect_pr = sec._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    for attr in list(grid.attrib):
        del grid.attrib[attr]
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))


def _field_run(paragraph, instr: str) -> None:
    """Append a complex field (e.g. PAGE) to a paragraph."""
    def fld(kind):
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._r.append(el)
        return run

    fld("begin")
    run = paragraph.add_run()
    it = OxmlElement("w:instrText")
    it.set(qn("xml:space"), "preserve")
    it.text = f" {instr} "
    run._r.append(it)
    fld("separate")
    paragraph.add_run("1")
    fld("end")


def _footer(doc) -> None:
    """Page number ``— 1 —`` centred, 宋体 四号."""
    footer = doc.sections[0].footer
    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)
    p.add_run("— ")
    _field_run(p, "PAGE")
    p.add_run(" —")
    for run in p.runs:
        run.font.size = SIZE_4
        _set_fonts(run._r, FONT_PAGE, FONT_PAGE)


def _para(doc, text: str, style: str):
    p = doc.add_paragraph(style=style)
    p.add_run(text)
    return p


def _tag(doc, tag: str):
    return _para(doc, tag, STYLE_TAG)


def _loop_paragraphs(doc, items: str, style: str = "Normal") -> None:
    """``{%p for p in items %}{{ p }}{%p endfor %}`` as three paragraphs."""
    _tag(doc, "{%p for p in " + items + " %}")
    _para(doc, "{{ p }}", style)
    _tag(doc, "{%p endfor %}")


# The report's wording: every sentence below is template text a clerk can edit in Word.
_HEADING = "{{ b.text }}{% if b.status %}（{{ b.status }}{% if b.share %}，{{ b.share }}{% endif %}）{% endif %}"
_LEAD = ("{{ b.unit }}（牵头）{% if b.missing %}本轮未报送该项落实情况。{% elif b.na %}填报为“不涉及”，需核实。"
         "{% elif b.blank %}填报为“{{ b.status }}”，未填写落实情况。{% else %}：{{ b.text }}{% endif %}")
_OTHERS = ("{{ b.role }}{{ b.n }}个，已报送{{ b.reported }}个"
           "{% if b.parts %}（{% for s in b.parts %}{{ s.status }}{{ s.count }}个{% if not loop.last %}、{% endif %}"
           "{% endfor %}）{% endif %}"
           "{% if b.not_filled %}，已报送未填写{{ b.not_filled }}个{% endif %}"
           "{% if b.missing %}，未报送{{ b.missing }}个{% endif %}"
           "{% if b.totals %}；共{% for q in b.totals %}{{ q.label }}{{ q.value }}{{ q.measure }}"
           "{% if not loop.last %}、{% endif %}{% endfor %}{% endif %}。"
           "{% if b.notes %}其中，{% for x in b.notes %}{{ x.units }}：{{ x.text }}{% endfor %}{% endif %}")
_OPENING = ("根据{% for c in cited %}{{ c }}{% if not loop.last %}、{% endif %}{% else %}上级政务公开工作部署{% endfor %}"
            "的要求，{{ organ or \"我单位\" }}"
            "{% if local_plan.title %}印发《{{ local_plan.title }}》{% if local_plan.number %}（{{ local_plan.number }}）"
            "{% endif %}，{% endif %}"
            "将{{ n.tasks }}项工作任务分解落实到{{ n.units }}个责任单位，组织开展{{ round }}落实情况报送。"
            "截至{{ as_of }}，{% if n.submitted %}{{ n.submitted }}个单位已报送"
            "{% if n.not_submitted %}，{{ n.not_submitted }}个单位未报送{% endif %}；{{ n.tasks }}项任务中，"
            "{% for s in status_parts %}{{ s.status }}{{ s.count }}项{% if not loop.last %}、{% endif %}{% endfor %}。"
            "{% else %}各责任单位均未报送本轮落实情况。{% endif %}现将有关情况报告如下：")
_STATS = ("本轮共{{ n.tasks }}项任务，{% for s in status_parts %}{{ s.status }}{{ s.count }}项（占{{ s.percent }}）"
          "{% if not loop.last %}、{% endif %}{% else %}暂无填报数据{% endfor %}。"
          "应报送单位{{ n.units }}个，已报送{{ n.submitted }}个{% if n.not_submitted %}，"
          "未报送{{ n.not_submitted }}个{% endif %}。任务完成状态的判定：{{ stats.rule }}")
_CHANGES = ("{% if not n.submitted %}本轮尚无单位报送，暂无法与上轮（{{ previous_round }}）比较。"
            "{% else %}与上轮（{{ previous_round }}）相比，"
            "{% if stats.changes %}{{ stats.changes|length }}项任务完成状态发生变化"
            "{% if stats.newly_done %}，其中新完成{{ stats.newly_done }}项{% endif %}。变化情况："
            "{% for c in stats.changes %}{{ c.id }}{{ c.title }}，{{ c.before }}→{{ c.after }}"
            "{% if not loop.last %}；{% endif %}{% endfor %}。{% else %}各项任务完成状态没有变化。{% endif %}{% endif %}")
_GAP_UNITS = "未报送单位{{ gaps.not_submitted|length }}个：{{ gaps.not_submitted|join(\"、\") }}。"
_GAP_LATE = "逾期报送单位{{ gaps.late|length }}个：{{ gaps.late|join(\"、\") }}。"
_GAP_LEADS = ("牵头单位未报送落实情况的任务{{ gaps.lead_missing|length }}项："
              "{% for t in gaps.lead_missing %}{{ t.id }}{{ t.title }}（{{ t.units }}）{% if not loop.last %}；"
              "{% endif %}{% endfor %}。")
_GAP_OVERDUE = ("截至{{ as_of }}，{% if gaps.overdue %}已过完成时限仍未完成的任务{{ gaps.overdue|length }}项："
                "{% for t in gaps.overdue %}{{ t.id }}{{ t.title }}（{% if t.deadline %}完成时限{{ t.deadline }}，{% endif %}{{ t.status }}"
                "{% if t.units %}，牵头单位{{ t.units }}{% endif %}）{% if not loop.last %}；{% endif %}{% endfor %}。"
                "{% else %}无逾期未完成任务。{% endif %}")
_GAP_BLANK = ("已报送但有任务的完成状态未填写或无法识别的单位{{ gaps.not_filled|length }}个："
              "{% for u in gaps.not_filled %}{{ u.unit }}（{{ u.count }}项）{% if not loop.last %}、{% endif %}"
              "{% endfor %}。")
_GAP_NA = ("牵头单位填报“不涉及”{{ gaps.lead_na|length }}处，已列入汇总表问题清单待核实："
           "{% for x in gaps.lead_na %}{{ x.unit }}（{{ x.id }}{{ x.title }}）{% if not loop.last %}、{% endif %}"
           "{% endfor %}。")
_POINT = "{{ loop.index }}. {{ p.text }}（{{ p.units }}）。"


def _if_para(doc, cond: str, text: str, style: str = "Normal") -> None:
    _tag(doc, "{%p if " + cond + " %}")
    _para(doc, text, style)
    _tag(doc, "{%p endif %}")


def _body_blocks(doc) -> None:
    """The list's structure: one paragraph per block, its style and wording chosen by kind."""
    _tag(doc, "{%p for b in body %}")
    kinds = [("h1", STYLE_H1), ("h2", STYLE_H2), ("h3", STYLE_H3), ("h4", STYLE_H4)]
    for i, (kind, style) in enumerate(kinds):
        _tag(doc, ("{%p if" if i == 0 else "{%p elif") + f' b.kind == "{kind}" %}}')
        _para(doc, _HEADING, style)
    _tag(doc, '{%p elif b.kind == "lead" %}')
    _para(doc, _LEAD, "Normal")
    _tag(doc, '{%p elif b.kind == "others" %}')
    _para(doc, _OTHERS, "Normal")
    _tag(doc, "{%p else %}")
    _para(doc, "{{ b.text }}", "Normal")
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endfor %}")


def _cell(cell, text: str, style: str) -> None:
    p = cell.paragraphs[0]
    p.style = style
    p.add_run(text)


def _table(doc, headers: list[tuple[str, float]], loop: str, cells: list[str]) -> None:
    """A bordered table: header row, then one row per item of ``loop``."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    grid = table._tbl.tblGrid.findall(qn("w:gridCol"))
    for i, (head, width_mm) in enumerate(headers):
        grid[i].set(qn("w:w"), str(int(Mm(width_mm).twips)))
        for row in table.rows:
            row.cells[i].width = Mm(width_mm)
        _cell(table.rows[0].cells[i], head, STYLE_TABLE_HEAD)
    _cell(table.rows[1].cells[0], "{%tr for r in " + loop + " %}", STYLE_TABLE)
    for i, expr in enumerate(cells):
        _cell(table.rows[2].cells[i], "{{ " + expr + " }}", STYLE_TABLE)
    _cell(table.rows[3].cells[0], "{%tr endfor %}", STYLE_TABLE)
    # Repeat the header row on each page.
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    tr_pr.append(el)


def _statistics(doc) -> None:
    _para(doc, "{{ headings.stats }}落实情况统计", STYLE_H1)
    _para(doc, _STATS, "Normal")
    _if_para(doc, "previous_round", _CHANGES)
    _para(doc, "表1　任务完成状态统计", STYLE_CAPTION)
    _table(
        doc,
        [("完成状态", 40), ("任务数", 30), ("占比", 30)],
        "stats.by_status",
        ["r.status", "r.count", "r.percent"],
    )
    _para(doc, "表2　分单位落实情况统计", STYLE_CAPTION)
    widths = [("序号", 11), ("单位", 27), ("任务数", 12), ("已完成", 12), ("推进中", 12), ("未启动", 12),
              ("不涉及", 12), ("长期推进", 12), ("未填报", 12), ("未报送", 12), ("完成率", 16)]
    _table(
        doc,
        widths,
        "stats.units",
        ["r.no", "r.short", "r.tasks", "r.done", "r.progressing", "r.not_started",
         "r.not_applicable", "r.ongoing", "r.not_filled", "r.not_submitted", "r.done_rate"],
    )
    _para(doc, "注：完成率＝已完成÷（任务数－不涉及）。", STYLE_TABLE)


def _gaps(doc) -> None:
    _para(doc, "{{ headings.gaps }}逾期及未报送情况", STYLE_H1)
    _if_para(doc, "gaps.not_submitted", _GAP_UNITS)
    _if_para(doc, "gaps.late", _GAP_LATE)
    _if_para(doc, "gaps.lead_missing", _GAP_LEADS)
    _para(doc, _GAP_OVERDUE, "Normal")
    _if_para(doc, "gaps.not_filled", _GAP_BLANK)
    _if_para(doc, "gaps.lead_na", _GAP_NA)


def _points(doc, heading: str, items: str, none: str) -> None:
    """A heading and a few grouped points, kept with what follows (so the signature never stands alone)."""
    _para(doc, heading, STYLE_H1)
    _tag(doc, "{%p for p in " + items + " %}")
    _para(doc, _POINT, "Normal").paragraph_format.keep_with_next = True
    _tag(doc, "{%p else %}")
    _para(doc, none, "Normal").paragraph_format.keep_with_next = True
    _tag(doc, "{%p endfor %}")


def build_default_template(path) -> Path:
    """Write the default 公文-layout report template (docxtpl tags) to ``path``.

    Args:
        path: where to write the .docx (written atomically).

    Returns:
        The path written.
    """
    path = Path(path)
    doc = new_document()
    _define_styles(doc)
    _page_setup(doc)
    _footer(doc)
    core = doc.core_properties
    core.title = "落实情况报告模板"
    core.author = "zwgk-xl"
    core.comments = "由 zwgk_xl.report.template.build_default_template 生成；可在 Word 中编辑版式与文字。"

    _para(doc, "{{ title }}", STYLE_TITLE)
    _tag(doc, "{%p if subtitle %}")
    _para(doc, "{{ subtitle }}", STYLE_SUBTITLE)
    _tag(doc, "{%p endif %}")
    _para(doc, "", "Normal").paragraph_format.first_line_indent = Pt(0)
    _tag(doc, "{%p if recipient %}")
    p = _para(doc, "{{ recipient }}：", "Normal")
    p.paragraph_format.first_line_indent = Pt(0)
    _tag(doc, "{%p endif %}")
    _para(doc, _OPENING, "Normal")
    _body_blocks(doc)
    _statistics(doc)
    _gaps(doc)
    _points(doc, "{{ headings.problems }}存在问题", "problems", "各单位本轮未报告存在的问题。")
    _points(doc, "{{ headings.next_steps }}下步工作计划", "next_steps", "各单位本轮未填报下步工作计划。")
    _para(doc, "", "Normal").paragraph_format.keep_with_next = True  # the signature stays with the last lines
    _tag(doc, "{%p if organ %}")
    _para(doc, "{{ organ }}", STYLE_SIGN)
    _tag(doc, "{%p endif %}")
    _para(doc, "{{ date }}", STYLE_SIGN)

    with atomic_path(path, ReportError) as tmp:
        doc.save(str(tmp))
    return path
