"""The 分解表 workbook: write it (xlsxwriter) and read an edited copy back (openpyxl).

Layout of sheet ``分解表``: a merged title row, a merged 依据 row, the header
row, then one category row per section (level 1 and deeper) followed by its
task rows.  Visible columns are :data:`VISIBLE_COLUMNS`; hidden columns to
their right carry the stable task id and what decomposition started from.
Category rows are not merged, so the table can be sorted and filtered in
Excel or WPS; :func:`read_plan` rebuilds sections from the hidden ids, not
from row positions.

Other sheets: ``说明`` (how to edit, groups, document information read back
by :func:`read_plan`), ``分配依据`` (one row per mapping decision) and the
hidden ``_单位列表`` feeding the unit dropdowns.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from pathlib import Path

from zwgk_xl.core import findings as fk
from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.decompose import adapt
from zwgk_xl.decompose.mapping import unmatched
from zwgk_xl.core.errors import InputError, PlanError
from zwgk_xl.core.model import DEADLINE_DATE, DEADLINE_NONE, Assignment, Deadline, Document, Node
from zwgk_xl.core.units import Directory, split_names
from zwgk_xl.core.xlsxfit import row_height

PLAN_SHEET = "分解表"
NOTES_SHEET = "分配依据"
README_SHEET = "说明"
LIST_SHEET = "_单位列表"
LIST_NAME = "单位列表"

VISIBLE_COLUMNS = ["序号", "工作任务", "任务要求/细化措施", "牵头单位", "责任单位", "配合单位", "完成时限", "上级任务来源", "备注"]
# 上级配合单位 holds every non-lead superior unit (as before); 上级仅配合单位 the ones named with 配合.
HIDDEN_COLUMNS = ["任务编号", "行类型", "所属分类", "上级牵头单位", "上级配合单位", "时限日期", "时限原文", "时限类型", "要求拼接",
                  "上级仅配合单位", "核对提示"]
HEADERS = VISIBLE_COLUMNS + HIDDEN_COLUMNS
COL = {h: i for i, h in enumerate(HEADERS)}
WIDTHS = [6, 22, 56, 18, 26, 16, 13, 18, 16]
HEADER_ROW = 2  # 0-based: title, 依据, header
KIND_SECTION, KIND_TASK = "分类", "任务"
NOTE_COLUMNS = ["任务编号", "工作任务", "角色", "上级单位/原句", "本级单位/本级表述", "规则", "相似度", "说明"]
INFO_LABELS = [("title", "上级文件标题"), ("doc_number", "文号"), ("issuer", "发文单位"), ("year", "年度"), ("source_file", "来源文件")]
_SUPERIOR_SEP = ";"  # superior names may hold 、 (各州、市人民政府)
_ROLE_NOTE = re.compile(r"^\[(牵头|责任|配合|建议牵头|用语)\]\s*")
RULE_LABELS = {  # Assignment.rule -> label shown in 分配依据
    "exact": "名称一致", "alias": "别名/对照", "level": "层级替换", "group": "泛称归入分组",
    "fuzzy": "模糊匹配", "manual": "人工指定", "unmatched": "未匹配",
    "merged": "合并设置", "renamed": "机构更名", "topic": "职能关键词", "suggest": "建议牵头",
    "wording": "本级用语", "level-check": "请核实是否适用本级",
}
_SENTENCE_RULES = ("wording", "level-check")  # notes whose 本级单位 cell is one sentence, not a list
ROLES = ("牵头", "责任", "配合")
_REVIEW_RULES = ("unmatched", "fuzzy", "level-check")  # notes that flag their task for review
_RULE_BY_LABEL = {v: k for k, v in RULE_LABELS.items()}
_README = [
    "本表由 zwgk-xl decompose 生成，可直接在 Excel 或 WPS 中修改后报批、下发。",
    "“牵头单位”牵头负责；“责任单位”按照职责分工负责（上级原文为“按照职责分工负责”“负责落实”等）；“配合单位”只配合。"
    "在这三列中改写即可，可从下拉列表选择；多个单位用顿号“、”分隔。",
    "上级原文的“有关部门”已按任务内容涉及的职能确定为具体单位，“各部门”则为全部部门；匹配的职能关键词见“分配依据”表。",
    "分组名称（如“县直各部门”“各乡镇（街道）”）在下发填报表时展开为全部成员；如只涉及部分单位，请改为具体单位。",
    "任务要求中的上级用语已改为本级用语，每处改写和“请核实是否适用本级”的句子都列在“分配依据”表。",
    "新增任务：插入一行，填写工作任务、任务要求和责任单位即可，任务编号留空，程序会自动编号。",
    "删除任务：整行删除。排序、筛选：可直接使用表头的筛选按钮。",
    "请勿修改或删除隐藏列（任务编号等），它们用于在各轮填报中识别同一项任务。",
    "“分配依据”表列出每个上级单位对应到本级单位的规则（名称一致、别名/对照、层级替换、合并设置、机构更名、职能关键词、"
    "泛称归入分组、模糊匹配），“未匹配”的单位请人工指定。修改后运行 zwgk-xl decompose --learn 本表，"
    "程序会把修改记入部门名录的“映射”表，下一年度自动采用。",
]


# ---------------------------------------------------------------------------
# Writing


def write_plan(doc: Document, path, directory: Directory | None = None, *, level: str = "县", area: str = "",
               organ: str = "") -> Path:
    """Write the 分解表 workbook for ``doc`` (atomically) and return its path.

    Args:
        doc: a decomposed document (tasks with ``lead_local``/``others_local``).
        path: the .xlsx to write; its folder is created if needed.
        directory: the 部门名录, for the dropdown lists and the group notes.
        level: the local level (县/市/局); a superior's list gets the local title.
        area: the local area, e.g. 武定县: the title 「武定县2020年政务公开工作任务分解表」.
        organ: the drafting organ, shown under the title (its place name stands in for ``area``).
    """
    import xlsxwriter

    from zwgk_xl.core.xlsxbulk import close_workbook

    path = Path(path)
    area = area or adapt.area_of(organ)
    title = adapt.plan_title(doc, level, area)
    with atomic_path(path, InputError) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                            "strings_to_urls": False})
        fmt = _formats(wb)
        ws = wb.add_worksheet(PLAN_SHEET)
        last_row = _write_table(ws, doc, fmt, title, organ)
        choices = _choices(doc, directory)
        _write_list_sheet(wb, choices)
        _write_notes_sheet(wb, doc, fmt)
        _write_readme(wb, doc, directory, fmt)
        _layout(ws, last_row, bool(choices))
        wb.set_properties({"title": title, "subject": "任务分解表", "comments": "zwgk-xl decompose"})
        close_workbook(wb)
    return path


def _formats(wb) -> dict:
    base = {"font_name": "宋体", "font_size": 10, "valign": "top", "text_wrap": True, "border": 1}
    return {
        "title": wb.add_format({"font_name": "方正小标宋简体", "font_size": 16, "bold": True, "align": "center", "valign": "vcenter"}),
        "sub": wb.add_format({"font_name": "宋体", "font_size": 10, "align": "left", "valign": "vcenter"}),
        "head": wb.add_format({**base, "bold": True, "align": "center", "valign": "vcenter", "bg_color": "#D9E1F2"}),
        "cell": wb.add_format(base),
        "center": wb.add_format({**base, "align": "center"}),
        "review": wb.add_format({**base, "bg_color": "#FFF2CC"}),
        # Category rows: no wrap, so the title flows over the empty cells to its right.
        "sec1": wb.add_format({**base, "text_wrap": False, "bold": True, "bg_color": "#BDD7EE", "valign": "vcenter"}),
        "sec2": wb.add_format({**base, "text_wrap": False, "bold": True, "bg_color": "#DDEBF7", "valign": "vcenter"}),
        "bad": wb.add_format({**base, "bg_color": "#F8CBAD"}),
        "plain": wb.add_format({"font_name": "宋体", "font_size": 10, "text_wrap": True, "valign": "top"}),
        "bold": wb.add_format({"font_name": "宋体", "font_size": 11, "bold": True}),
    }


def split_roles(t: Node) -> tuple[list[str], list[str]]:
    """(责任单位, 配合单位) of a task: ``others_local`` split by ``responsible_local``."""
    responsible = [u for u in t.others_local if u in t.responsible_local]
    return responsible, [u for u in t.others_local if u not in responsible]


def _has_task(node: Node) -> bool:
    return any(n.is_task for n in node.walk())


def _deadline_text(d: Deadline) -> str:
    return d.text or d.date or ""


def _requirement(task: Node) -> tuple[str, str]:
    """(text shown in 任务要求, joiner) — the title is not repeated when the text starts with it."""
    title, text = task.title.strip(), task.text.strip()
    if title and text.startswith(title) and len(text) > len(title):
        rest = text[len(title) :]
        joiner = rest[0] if rest[0] in "。;;::,, " else ""
        return rest[len(joiner) :].strip(), joiner or "+"
    if title and text == title:
        return "", "="
    return text, ""


def _write_table(ws, doc: Document, fmt, title: str, organ: str = "") -> int:
    n_vis = len(VISIBLE_COLUMNS)
    ws.merge_range(0, 0, 0, n_vis - 1, title, fmt["title"])
    basis = f"依据：《{doc.title}》" if doc.title else "依据：上级任务清单"
    if doc.doc_number:
        basis += f"（{doc.doc_number}）"
    if organ:
        basis += f"    编制单位：{organ}"
    basis += f"    编制日期：{_dt.date.today():%Y年%m月%d日}"
    ws.merge_range(1, 0, 1, n_vis - 1, basis, fmt["sub"])
    ws.write_row(HEADER_ROW, 0, HEADERS, fmt["head"])
    row = HEADER_ROW + 1
    seq = 0

    def emit(node: Node, parent_id: str) -> None:
        nonlocal row, seq
        if node.is_task:
            seq += 1
            _write_task(ws, row, seq, node, parent_id, fmt)
            row += 1
        elif _has_task(node):
            style = fmt["sec1"] if node.level <= 1 else fmt["sec2"]
            token = node.path[-1] if node.path else ""
            values = [token, node.title] + [""] * (n_vis - 2)
            ws.write_row(row, 0, values, style)
            ws.write_row(row, n_vis, [node.id, KIND_SECTION, parent_id], fmt["cell"])
            ws.set_row(row, 20)
            row += 1
        for child in node.children:
            emit(child, node.id)

    for root in doc.roots:
        emit(root, "")
    return row - 1


def _write_task(ws, row: int, seq: int, t: Node, parent_id: str, fmt) -> None:
    req, joiner = _requirement(t)
    units_fmt = fmt["review"] if t.review else fmt["cell"]
    ws.write_number(row, COL["序号"], seq, fmt["center"])
    ws.write_string(row, COL["工作任务"], t.title, fmt["cell"])
    checked = any(a.rule == "level-check" for a in t.assignment_notes)  # a sentence for another level
    ws.write_string(row, COL["任务要求/细化措施"], req, fmt["review"] if checked else fmt["cell"])
    responsible, cooperating = split_roles(t)
    ws.write_string(row, COL["牵头单位"], "、".join(t.lead_local), units_fmt)
    ws.write_string(row, COL["责任单位"], "、".join(responsible), units_fmt)
    ws.write_string(row, COL["配合单位"], "、".join(cooperating), units_fmt)
    ws.write_string(row, COL["完成时限"], _deadline_text(t.deadline), fmt["center"])
    ws.write_string(row, COL["上级任务来源"], t.origin, fmt["cell"])
    ws.write_string(row, COL["备注"], t.note, fmt["cell"])
    cells = [t.title, req, "、".join(t.lead_local), "、".join(responsible), "、".join(cooperating),
             _deadline_text(t.deadline), t.origin, t.note]
    ws.set_row(row, row_height(cells, WIDTHS[1:], line=13.0))
    hidden = [
        t.id, KIND_TASK, parent_id,
        _SUPERIOR_SEP.join(t.lead), _SUPERIOR_SEP.join(t.others),
        t.deadline.date or "", t.deadline.text, t.deadline.kind, joiner, _SUPERIOR_SEP.join(t.cooperate),
        "\n".join(t.warnings),
    ]
    ws.write_row(row, len(VISIBLE_COLUMNS), hidden, fmt["cell"])


def _choices(doc: Document, directory: Directory | None) -> list[str]:
    names = directory.choices() if directory is not None else []
    for t in doc.tasks:
        for u in t.lead_local + t.others_local:
            if u not in names:
                names.append(u)
    return names


def _write_list_sheet(wb, choices: list[str]) -> None:
    ws = wb.add_worksheet(LIST_SHEET)
    ws.write_column(0, 0, choices)
    ws.hide()
    if choices:
        wb.define_name(LIST_NAME, f"='{LIST_SHEET}'!$A$1:$A${len(choices)}")


def _layout(ws, last_row: int, dropdowns: bool) -> None:
    n_vis = len(VISIBLE_COLUMNS)
    for i, w in enumerate(WIDTHS):
        ws.set_column(i, i, w)
    ws.set_column(n_vis, len(HEADERS) - 1, 12, None, {"hidden": True})
    ws.set_row(0, 30)
    ws.set_row(HEADER_ROW, 24)
    ws.freeze_panes(HEADER_ROW + 1, 0)
    # The filter covers the hidden columns too, so sorting moves the ids along.
    ws.autofilter(HEADER_ROW, 0, max(last_row, HEADER_ROW), len(HEADERS) - 1)
    if dropdowns:
        for col in (COL["牵头单位"], COL["责任单位"], COL["配合单位"]):
            ws.data_validation(HEADER_ROW + 1, col, max(last_row, HEADER_ROW + 1) + 200, col, {
                "validate": "list",
                "source": f"={LIST_NAME}",
                "show_error": False,
                "input_title": "选择责任单位",
                "input_message": "可从下拉列表选择；多个单位请用顿号“、”分隔。",
            })
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.repeat_rows(0, HEADER_ROW)
    ws.print_area(0, 0, max(last_row, HEADER_ROW), n_vis - 1)
    ws.fit_to_pages(1, 0)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.activate()


def _write_notes_sheet(wb, doc: Document, fmt) -> None:
    ws = wb.add_worksheet(NOTES_SHEET)
    ws.write_row(0, 0, NOTE_COLUMNS, fmt["head"])
    row = 1
    for t in doc.tasks:
        for a in t.assignment_notes:
            m = _ROLE_NOTE.match(a.note)
            role = m.group(1) if m else ""
            note = a.note[m.end():] if m else a.note
            style = fmt["bad"] if a.rule in ("unmatched", "fuzzy") else fmt["cell"]
            ws.write_row(row, 0, [
                t.id, t.title, role, a.source, "、".join(a.local), RULE_LABELS.get(a.rule, a.rule),
            ], style)
            if a.score is None:
                ws.write_blank(row, 6, None, style)
            else:
                ws.write_number(row, 6, a.score, style)
            ws.write_string(row, 7, note, style)
            row += 1
    for i, w in enumerate([10, 28, 6, 22, 28, 12, 8, 60]):
        ws.set_column(i, i, w)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(row - 1, 1), len(NOTE_COLUMNS) - 1)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _write_readme(wb, doc: Document, directory: Directory | None, fmt) -> None:
    ws = wb.add_worksheet(README_SHEET)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 100)
    ws.write(0, 0, "填写说明", fmt["bold"])
    row = 1
    for i, line in enumerate(_README, start=1):
        ws.write_row(row, 0, [f"{i}.", line], fmt["plain"])
        row += 1
    missing = unmatched(doc)
    if missing:
        ws.write_row(row, 0, ["待人工指定", "、".join(f"{tid} {src}" for tid, src in missing)], fmt["bad"])
        row += 1
    if directory is not None and directory.groups:
        row += 1
        ws.write(row, 0, "分组", fmt["bold"])
        row += 1
        for g, members in directory.groups.items():
            ws.write_row(row, 0, [g, "、".join(members)], fmt["plain"])
            row += 1
    row += 1
    ws.write(row, 0, "文件信息", fmt["bold"])
    row += 1
    for key, label in INFO_LABELS:
        value = getattr(doc, key)
        ws.write_row(row, 0, [label, "" if value is None else str(value)], fmt["plain"])
        row += 1


# ---------------------------------------------------------------------------
# Reading


def is_plan(path) -> bool:
    """True when ``path`` is a 分解表 written by :func:`write_plan` (possibly edited)."""
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # noqa: BLE001 - not a workbook we can read: not a plan
        return False
    try:
        return any(_find_header(ws.iter_rows(max_row=10, values_only=True)) is not None for ws in wb.worksheets)
    finally:
        wb.close()


def _find_header(rows) -> tuple[int, dict[str, int]] | None:
    for i, row in enumerate(rows):
        cells = [str(c).strip() if c is not None else "" for c in row]
        if "任务编号" in cells and "牵头单位" in cells and "工作任务" in cells:
            return i, {c: j for j, c in enumerate(cells) if c}
    return None


def _s(row: tuple, col: int | None) -> str:
    if col is None or col >= len(row) or row[col] is None:
        return ""
    v = row[col]
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, _dt.datetime):
        return v.date().isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    return str(v).strip()


def read_plan(path) -> Document:
    """Read a (possibly edited) 分解表 back into a Document.

    Rows may have been added (任务编号 left empty: a content-based id
    ``新增-xxxxxx`` is given), removed, reassigned or sorted.  Tasks are grouped
    under their section by the hidden 所属分类 id (new rows: the category row
    above them), sections in order of first appearance, tasks in row order.

    Raises:
        PlanError: no 分解表 sheet or header, a duplicated 任务编号, a row
            with units but no task text (the message names the row).
    """
    import openpyxl

    path = Path(path)
    if not path.is_file():
        raise InputError(f"找不到分解表：{path}。请检查路径。")
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as e:  # noqa: BLE001
        raise PlanError(f"无法打开分解表「{path.name}」，请确认它是完好的 .xlsx 文件。") from e
    ws = wb[PLAN_SHEET] if PLAN_SHEET in wb.sheetnames else None
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)] if ws is not None else []
    found = _find_header(rows[:10])
    if found is None:
        for other in wb.worksheets:
            rows = [tuple(r) for r in other.iter_rows(values_only=True)]
            found = _find_header(rows[:10])
            if found:
                ws = other
                break
    if found is None:
        raise PlanError(
            f"「{path.name}」不是 zwgk-xl 生成的分解表：找不到含“工作任务”“牵头单位”和隐藏列“任务编号”的表头。"
            "请使用 zwgk-xl decompose 生成的分解表，并且不要删除隐藏列。"
        )
    hdr, cols = found
    doc = Document(source_file=str(path))
    _read_info(wb, doc)
    _read_rows(rows, hdr, cols, doc, f"分解表「{path.name}」工作表「{ws.title}」")
    _read_notes(wb, doc)
    return doc


def _read_info(wb, doc: Document) -> None:
    if README_SHEET not in wb.sheetnames:
        return
    labels = {label: key for key, label in INFO_LABELS}
    for row in wb[README_SHEET].iter_rows(values_only=True):
        label, value = _s(row, 0), _s(row, 1)
        if label in labels and value:
            key = labels[label]
            setattr(doc, key, int(value) if key == "year" and value.isdigit() else value)


def _read_rows(rows, hdr: int, cols: dict[str, int], doc: Document, where: str) -> None:
    c = {h: cols.get(h) for h in HEADERS}
    sections: dict[str, Node] = {}
    section_parent: dict[str, str] = {}
    children: dict[str, list[Node]] = {}  # section id ("" = root) -> tasks in row order
    seen: dict[str, int] = {}
    current = ""
    for i, row in enumerate(rows[hdr + 1 :], start=hdr + 2):
        if not any(v is not None and str(v).strip() for v in row):
            continue
        nid, kind = _s(row, c["任务编号"]), _s(row, c["行类型"])
        if kind == KIND_SECTION and nid:
            token = _s(row, c["序号"])
            sections[nid] = Node(id=nid, path=nid.split("."), title=_s(row, c["工作任务"]))
            if token and sections[nid].path:
                sections[nid].path[-1] = token
            section_parent[nid] = _parent_section_id(nid)
            children.setdefault(nid, [])
            current = nid
            continue
        task = _read_task(row, c, i, doc, where)
        if task is None:
            continue
        if not task.id:
            task.id = _new_id(task, seen)
            task.path = [task.id]
            doc.note(fk.finding("plan-row-added", f"{where}第{i}行是新增任务，已编号为 {task.id}。", line=i))
            parent = current
        else:
            parent = _s(row, c["所属分类"]) or _parent_section_id(task.id)
        if task.id in seen:
            raise PlanError(
                f"{where}第{i}行的任务编号「{task.id}」与第{seen[task.id]}行重复。"
                "如果是复制出来的新任务，请清空该行隐藏列“任务编号”中的内容；如果是误复制，请删除其中一行。"
            )
        seen[task.id] = i
        children.setdefault(parent, []).append(task)
    _build_tree(doc, sections, section_parent, children)


def _read_task(row, c, i: int, doc: Document, where: str) -> Node | None:
    title, req = _s(row, c["工作任务"]), _s(row, c["任务要求/细化措施"])
    lead = split_names(_s(row, c["牵头单位"]))
    responsible = [u for u in split_names(_s(row, c["责任单位"])) if u not in lead]
    others = list(dict.fromkeys(responsible + [u for u in split_names(_s(row, c["配合单位"])) if u not in lead]))
    if not title and not req:
        if lead or others:
            raise PlanError(f"{where}第{i}行填写了责任单位，但“工作任务”和“任务要求”都是空的。请补上任务内容，或删除该行。")
        doc.note(fk.finding("plan-row-empty", f"{where}第{i}行没有任务内容，已跳过。", line=i))
        return None
    nid = _s(row, c["任务编号"])
    joiner = _s(row, c["要求拼接"])
    if joiner == "=":
        text = title
    elif joiner:
        text = title + ("" if joiner == "+" else joiner) + req
    else:
        text = req or title
    return Node(
        id=nid,
        path=nid.split(".") if nid else [],
        title=title or req.split("。")[0],
        text=text,
        lead=[x for x in _s(row, c["上级牵头单位"]).split(_SUPERIOR_SEP) if x],
        others=[x for x in _s(row, c["上级配合单位"]).split(_SUPERIOR_SEP) if x],
        deadline=_read_deadline(row, c, doc.year),
        is_task=True,
        lead_local=lead,
        others_local=others,
        responsible_local=responsible,
        cooperate=[x for x in _s(row, c["上级仅配合单位"]).split(_SUPERIOR_SEP) if x],
        warnings=[x for x in _s(row, c["核对提示"]).split("\n") if x],
        note=_s(row, c["备注"]),
        origin=_s(row, c["上级任务来源"]),
    )


def _read_deadline(row, c, year: int | None) -> Deadline:
    shown = _s(row, c["完成时限"])
    stored_text = _s(row, c["时限原文"])
    stored_date = _s(row, c["时限日期"])
    if shown == (stored_text or stored_date) and (stored_text or stored_date or not shown):
        return Deadline(date=stored_date or None, text=stored_text, kind=_s(row, c["时限类型"]) or DEADLINE_NONE)
    if not shown:
        return Deadline()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", shown):
        return Deadline(date=shown, text=shown, kind=DEADLINE_DATE)
    from zwgk_xl.parse.deadlines import parse_deadline_cell

    d = parse_deadline_cell(shown, year)
    d.text = shown
    return d


def _parent_section_id(node_id: str) -> str:
    """The id of the enclosing section, from the numbering path (四.(一).2 → 四.(一))."""
    return node_id.rsplit(".", 1)[0] if "." in node_id else ""


def _new_id(task: Node, seen: dict) -> str:
    digest = hashlib.sha1(f"{task.title}\n{task.text}".encode("utf-8")).hexdigest()
    for n in range(6, 41):
        nid = f"新增-{digest[:n]}"
        if nid not in seen:
            return nid
    return f"新增-{digest}-{len(seen)}"


def _build_tree(doc: Document, sections, section_parent, children) -> None:
    """Attach tasks to sections, sections to their parents, in order of first appearance."""
    attached: set[str] = set()

    def attach(sid: str) -> Node | None:
        """The section node, attached to its own parent chain (root when unknown)."""
        if sid not in sections:
            return None
        node = sections[sid]
        if sid not in attached:
            attached.add(sid)
            parent_id = section_parent.get(sid, "")
            parent = attach(parent_id) if parent_id and sid.startswith(parent_id + ".") else None
            (parent.children if parent else doc.roots).append(node)
        return node

    for sid, tasks in children.items():
        owner = attach(sid)
        (owner.children if owner else doc.roots).extend(tasks)


def _read_notes(wb, doc: Document) -> None:
    """Restore assignment_notes from 分配依据; edits made in the table become ``manual`` notes."""
    notes: dict[str, list[Assignment]] = {}
    if NOTES_SHEET in wb.sheetnames:
        rows = list(wb[NOTES_SHEET].iter_rows(values_only=True))
        for row in rows[1:]:
            tid = _s(row, 0)
            if not tid:
                continue
            score = row[6] if len(row) > 6 and isinstance(row[6], (int, float)) else None
            role = _s(row, 2)
            rule = _RULE_BY_LABEL.get(_s(row, 5), _s(row, 5))
            notes.setdefault(tid, []).append(Assignment(
                source=_s(row, 3),
                local=[_s(row, 4)] if rule in _SENTENCE_RULES else split_names(_s(row, 4)),
                rule=rule,
                score=float(score) if score is not None else None,
                note=(f"[{role}] " if role else "") + _s(row, 7),
            ))
    for t in doc.tasks:
        t.assignment_notes = notes.get(t.id, [])
        t.review = t.review or any(a.rule in _REVIEW_RULES or "暂保留分组" in a.note for a in t.assignment_notes)
        auto = {
            role: [u for a in t.assignment_notes if a.note.startswith(f"[{role}]") for u in a.local]
            for role in ROLES
        }
        auto["责任"] = [u for u in auto["责任"] if u not in auto["牵头"]]
        auto["配合"] = [u for u in auto["配合"] if u not in auto["牵头"] and u not in auto["责任"]]
        responsible, cooperating = split_roles(t)
        for role, now in (("牵头", t.lead_local), ("责任", responsible), ("配合", cooperating)):
            if set(now) != set(auto[role]):
                t.assignment_notes.append(Assignment(
                    source="（分解表中修改）", local=list(now), rule="manual",
                    note=f"[{role}] 分解表中的{role}单位与自动分配不同，以分解表为准",
                ))
