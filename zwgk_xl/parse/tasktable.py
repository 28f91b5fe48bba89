"""The 上级任务.xlsx written by ``zwgk-xl parse -o``: a readable, printable task table.

Sheet 任务清单 holds one row per section (shaded) and per task; sheet 文件信息
holds the document's title, issuer, 文号, year and warnings.  Unit lists are
written one unit per line in the cell, because unit names may contain 、 or ,
themselves (各州、市人民政府).  :func:`read_task_table` reads the file back.
"""

from __future__ import annotations

import re
from pathlib import Path

from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.errors import InputError
from zwgk_xl.core.xlsxbulk import StyledBulkSheet, close_workbook
from zwgk_xl.core.xlsxfit import row_heights
from zwgk_xl.core.model import DEADLINE_DATE, DEADLINE_NONE, DEADLINE_ONGOING, Deadline, Document, Node, Source
from zwgk_xl.parse.deadlines import DEADLINE_RECURRING

SHEET_TASKS = "任务清单"
SHEET_INFO = "文件信息"
COLUMNS = ["编号", "层级路径", "工作任务", "任务要求", "牵头单位", "责任单位", "完成时限", "时限原文", "警告", "类型"]
WIDTHS = [10, 12, 28, 60, 18, 22, 11, 14, 20, 6]
KIND_SECTION, KIND_TASK = "标题", "任务"
REVIEW = "需人工核对"
PATH_SEP = " / "
INFO_KEYS = [("标题", "title"), ("发文机关", "issuer"), ("文号", "doc_number"), ("年度", "year"),
             ("来源文件", "source_file")]


def _deadline_cell(d: Deadline) -> str:
    if d.kind == DEADLINE_DATE and d.date:
        return d.date
    if d.kind in (DEADLINE_ONGOING, DEADLINE_RECURRING):
        return d.kind
    return ""


def _row(node: Node) -> list[str]:
    warnings = list(node.warnings) + ([REVIEW] if node.review else [])
    if not node.is_task:
        return [node.id, PATH_SEP.join(node.path), node.title, "", "", "", "", "", "\n".join(warnings),
                KIND_SECTION]
    return [node.id, PATH_SEP.join(node.path), node.title, node.text, "\n".join(node.lead),
            "\n".join(node.others), _deadline_cell(node.deadline), node.deadline.text,
            "\n".join(warnings), KIND_TASK]


def write_task_table(doc: Document, path) -> Path:
    """Write ``doc`` as 上级任务.xlsx (sheets 任务清单 and 文件信息), atomically.

    Args:
        doc: the parsed task list.
        path: the .xlsx to write; replaced only once the new file is complete.

    Returns:
        The path written.
    """
    import xlsxwriter

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"任务表只能写成 .xlsx 文件，请把输出文件名「{path.name}」改为以 .xlsx 结尾。")
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                            "strings_to_urls": False})
        _write_tasks(wb, doc)
        _write_info(wb, doc)
        close_workbook(wb)
    return path


def _write_tasks(wb, doc: Document) -> None:
    ws = wb.add_worksheet(SHEET_TASKS, worksheet_class=StyledBulkSheet)
    base = {"font_name": "宋体", "font_size": 10, "text_wrap": True, "valign": "top", "border": 1}
    f_title = wb.add_format({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center",
                             "valign": "vcenter"})
    f_head = wb.add_format({**base, "bold": True, "align": "center", "valign": "vcenter",
                            "bg_color": "#D9E1F2"})
    f_cell = wb.add_format(base)
    f_center = wb.add_format({**base, "align": "center"})
    f_section = wb.add_format({**base, "bold": True, "bg_color": "#F2F2F2"})
    f_warn = wb.add_format({**base, "font_color": "#C00000"})
    last_col = len(COLUMNS) - 1
    ws.merge_range(0, 0, 0, last_col - 1, doc.title or "上级任务清单", f_title)
    ws.set_row(0, 30)
    ws.write_row(1, 0, COLUMNS, f_head)
    for c, w in enumerate(WIDTHS):
        ws.set_column(c, c, w, None, {"hidden": True} if COLUMNS[c] == "类型" else None)
    section = [f_section] * len(COLUMNS)
    task = [f_center if c in ("编号", "层级路径", "完成时限") else f_cell for c in COLUMNS]
    warned = [f_warn if c == "警告" else f for c, f in zip(COLUMNS, task)]
    warn_col = COLUMNS.index("警告")
    nodes = list(doc.walk())
    rows = [_row(node) for node in nodes]
    r = 2
    for node, values, height in zip(nodes, rows, row_heights(rows, WIDTHS[:-1])):  # 类型 needs no room
        formats = section if not node.is_task else warned if values[warn_col] else task
        ws.append_cells(r, values, formats, height)
        r += 1
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, max(r - 1, 1), last_col)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(1)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.hide_gridlines(0)


def _write_info(wb, doc: Document) -> None:
    ws = wb.add_worksheet(SHEET_INFO)
    f_key = wb.add_format({"bold": True, "valign": "top"})
    f_val = wb.add_format({"text_wrap": True, "valign": "top"})
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 90)
    r = 0
    for label, attr in INFO_KEYS:
        value = getattr(doc, attr)
        ws.write_string(r, 0, label, f_key)
        ws.write_string(r, 1, "" if value is None else str(value), f_val)
        r += 1
    ws.write_string(r, 0, "任务数", f_key)
    ws.write_string(r, 1, str(len(doc.tasks)), f_val)
    r += 1
    for cite in doc.cited:
        ws.write_string(r, 0, "引用文件", f_key)
        ws.write_string(r, 1, cite, f_val)
        r += 1
    for w in doc.warnings:
        ws.write_string(r, 0, "警告", f_key)
        ws.write_string(r, 1, w, f_val)
        r += 1


def _lines(v) -> list[str]:
    return [s.strip() for s in str(v or "").split("\n") if s.strip()]


def read_task_table(path) -> Document:
    """Read a 上级任务.xlsx (as written by :func:`write_task_table`, possibly edited) back."""
    import python_calamine as pc

    from zwgk_xl.parse.readers import cell_text

    path = Path(path)
    if not path.is_file():
        raise InputError(f"找不到任务表「{path}」。")
    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except Exception:  # noqa: BLE001
        raise InputError(f"「{path.name}」不是有效的 .xlsx 任务表，请用 zwgk-xl parse -o 重新生成。") from None
    if SHEET_TASKS not in wb.sheet_names:
        raise InputError(f"「{path.name}」中没有工作表「{SHEET_TASKS}」，它不是 zwgk-xl parse 写出的任务表。")
    rows = [[cell_text(v) for v in r] for r in wb.get_sheet_by_name(SHEET_TASKS).to_python(skip_empty_area=False)]
    header = next((i for i, r in enumerate(rows[:10]) if r and r[0] == "编号"), None)
    if header is None:
        raise InputError(f"「{path.name}」工作表「{SHEET_TASKS}」找不到表头行（第一列为“编号”）。")
    col = {name: i for i, name in enumerate(rows[header]) if name}
    missing = [c for c in ("编号", "层级路径", "工作任务") if c not in col]
    if missing:
        raise InputError(f"「{path.name}」工作表「{SHEET_TASKS}」缺少列：{'、'.join(missing)}。")

    def get(row, name):
        i = col.get(name)
        return row[i] if i is not None and i < len(row) else ""

    doc = Document(source_file=path.name)
    _read_info(wb, doc)
    by_id: dict[str, Node] = {}
    for r in range(header + 1, len(rows)):
        row = rows[r]
        node_id = get(row, "编号").strip()
        if not node_id:
            continue
        kind = get(row, "类型") or (KIND_TASK if get(row, "任务要求") else KIND_SECTION)
        node_path = [t.strip() for t in get(row, "层级路径").split(PATH_SEP.strip()) if t.strip()] \
            or node_id.split(".")
        warnings = _lines(get(row, "警告"))
        node = Node(
            id=node_id, path=node_path, title=get(row, "工作任务").strip(), text=get(row, "任务要求").strip(),
            lead=_lines(get(row, "牵头单位")), others=_lines(get(row, "责任单位")),
            deadline=_read_deadline(get(row, "完成时限"), get(row, "时限原文")),
            source=Source(file=path.name, sheet=SHEET_TASKS, row=r + 1),
            is_task=kind == KIND_TASK, review=REVIEW in warnings,
            warnings=[w for w in warnings if w != REVIEW],
        )
        parent = _find_parent(by_id, node_id, node_path)
        (parent.children if parent else doc.roots).append(node)
        by_id[node_id] = node
    return doc


def _find_parent(by_id: dict[str, Node], node_id: str, node_path: list[str]) -> Node | None:
    """The nearest node whose id is a prefix of this id, path one shorter."""
    prefix = node_id
    while "." in prefix:
        prefix = prefix.rsplit(".", 1)[0]
        if prefix in by_id and len(by_id[prefix].path) < len(node_path):
            return by_id[prefix]
    return None


def _read_deadline(cell: str, text: str) -> Deadline:
    cell = cell.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
        return Deadline(cell, text, DEADLINE_DATE)
    if cell in (DEADLINE_ONGOING, DEADLINE_RECURRING):
        return Deadline(None, text, cell)
    return Deadline(None, text, DEADLINE_NONE)


def _read_info(wb, doc: Document) -> None:
    if SHEET_INFO not in wb.sheet_names:
        return
    labels = dict(INFO_KEYS)
    from zwgk_xl.parse.readers import cell_text

    for row in wb.get_sheet_by_name(SHEET_INFO).to_python():
        if len(row) < 2:
            continue
        key, value = cell_text(row[0]), cell_text(row[1])
        if key in labels:
            attr = labels[key]
            if attr == "year":
                doc.year = int(value) if value.isdigit() else None
            else:
                setattr(doc, attr, value)
        elif key == "警告":
            doc.warnings.append(value)
        elif key == "引用文件":
            doc.cited.append(value)
