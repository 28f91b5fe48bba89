"""Reading the task table of a returned form and checking it against what the unit was issued."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path

from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import STATUSES, Finding
from zwgk_xl.core.values import ONGOING, cell_text, parse_date, partial_date
from zwgk_xl.forms import spec as fs
from zwgk_xl.forms.metadata import meta_from_rows, read_form_metadata
from zwgk_xl.merge.context import (INPUT_KEYS, LOCKED_KEYS, LOCKED_TITLES, NORM_IDS, Context, clip, norm_id,
                                   norm_text, same_text)
from zwgk_xl.merge.headers import REQUIRED, find_header
from zwgk_xl.merge.intake import Broken, Limits, ReadBook, Rejected, column_letter

# Status words departments write instead of the list's (exact match), and unambiguous phrases (substring).
STATUS_ALIASES = {"完成": "已完成", "办结": "已完成", "已办结": "已完成", "全部完成": "已完成", "推进": "推进中",
                  "进行中": "推进中", "正在推进": "推进中", "正在进行": "推进中", "未开始": "未启动",
                  "尚未启动": "未启动", "未开展": "未启动", "不适用": "不涉及", "无此项": "不涉及",
                  "持续推进": "长期推进", "长期坚持": "长期推进", "常态化": "长期推进",
                  "常态化推进": "长期推进"}
STATUS_PHRASES = [*STATUSES, "正在推进", "进行中", "尚未启动", "未开展", "不适用", "持续推进", "长期坚持", "常态化推进"]
STATUS_SET = frozenset(STATUSES)
PROGRESS_OPTIONAL = ("未启动", "不涉及")  # statuses that need no 落实情况
JOINED_INPUTS = frozenset({"progress", "problems", "next_steps", "evidence"})  # texts a continuing row adds to
# What a line below a table starts with: a signature block's labels, or a remark.
_SIGN_LABELS = ("填报人|填表人|联系人|经办人|制表人|联系电话|电话|手机|联系方式|填报日期|填表日期|日期|审核人|审核|审批人|"
                "签发人|负责人|单位负责人|主要负责人|分管负责人|分管领导|单位盖章|盖章|签字|签名")
_FOOTNOTE = re.compile(r"\s*[（(]?(?:(?:%s)(?=[\s:：）)]|$)|备注|注[:：]|说明[:：])" % _SIGN_LABELS)
_SIGN_FIELD = re.compile(r"[（(]?(%s)(?=[\s:：）)]|$)[）)]?\s*[:：]?\s*" % _SIGN_LABELS)  # a label; its value follows
_SIGN_KEYS = {"填报人": "filler", "填表人": "filler", "联系人": "filler", "经办人": "filler", "制表人": "filler",
              "联系电话": "phone", "电话": "phone", "手机": "phone", "联系方式": "phone",
              "填报日期": "fill_date", "填表日期": "fill_date", "日期": "fill_date"}
_FORMULA_CHARS = "=+-@\t\r"  # leading characters spreadsheets take as a formula
_FORMULA_START = re.compile(r"\0[=+\-@\t\r].", re.S)  # a formula-like start in "\0"-joined cell texts
INPUT_LABELS = dict(fs.INPUT_COLUMNS)
FIELD_LABELS = dict(fs.FORM_FIELDS)
_NUMBER = re.compile(r"^[+-]?\d[\d,.]*%?$")

def normalize_status(raw: str) -> tuple[str, bool]:
    """(status, exact): a STATUSES value read from ``raw`` ("" if none), and whether ``raw`` was exactly it."""
    if raw in STATUS_SET:
        return raw, True
    text = re.sub(r"[\s。.,,;;!!]+", "", raw or "")
    if text in STATUSES:
        return text, text == (raw or "").strip()
    if text in STATUS_ALIASES:
        return STATUS_ALIASES[text], False
    found = {STATUS_ALIASES.get(p, p) for p in STATUS_PHRASES if p in text and not (p == "已完成" and "未完成" in text)}
    return (found.pop(), False) if len(found) == 1 else ("", False)


# ---------------------------------------------------------------------------
# Reading one form


@dataclass
class Form:
    """A returned form as read: its table, header map, fields and metadata."""

    sheet: str
    rows: list[list]
    header: int  # 0-based row index of the table header
    cols: dict[str, int]  # column key -> 0-based column index
    formula_cells: set[str]
    meta: dict | None
    notes: list[tuple[str, str, str, str]] = field(default_factory=list)  # (kind, message, sheet, cell) to report
    error_cells: dict[str, str] = field(default_factory=dict)  # "G6" -> "#DIV/0!"
    formula_texts: dict[str, str] = field(default_factory=dict)  # "G6" -> "=…": kept as text in place of the value
    others: list["Form"] = field(default_factory=list)  # further task tables on other sheets of the workbook


def _with_formula_texts(sheet) -> list[list]:
    """The sheet's rows with each formula that has no usable value replaced by its text (inert, visible)."""
    if not sheet.formula_texts:
        return sheet.rows
    rows = [list(r) for r in sheet.rows]
    for ref, text in sheet.formula_texts.items():
        m = re.match(r"([A-Z]+)(\d+)$", ref)
        col = 0
        for ch in m.group(1):
            col = col * 26 + ord(ch) - 64
        i, j = int(m.group(2)) - 1, col - 1
        if i < len(rows):
            rows[i] += [None] * (j + 1 - len(rows[i]))
            rows[i][j] = text
    return rows


MERGED_RANGES = 1000  # merged ranges looked at in one table …
MERGED_CELLS = 100_000  # … and cells filled from them at most (a crafted file may hold millions)


def merged_inputs(rows: list[list], merged: list, header: int, cols: dict[str, int]) -> tuple[list[list], tuple | None]:
    """``rows`` with the value of each range merged down input cells of the table (a department answering
    several tasks in one merged 落实情况 cell) filled into the rows it covers, where they are empty; and
    (first range, note) when there was such a range.  ``rows`` is not changed: rows filled are copies."""
    inputs = {cols[k]: k for k in INPUT_KEYS if k in cols}
    spans = [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in merged[:MERGED_RANGES]
             if header < r1 < r2 and r1 < len(rows) and all(c in inputs for c in range(c1, c2 + 1))]
    if not spans:
        return rows, None
    out, copied, budget = list(rows), set(), MERGED_CELLS
    used, keys = [], []
    for r1, c1, r2, c2 in sorted(spans):
        filled = False
        for c in range(c1, c2 + 1):
            value = out[r1][c] if c < len(out[r1]) else None
            if value is None or value == "":
                continue
            for r in range(r1 + 1, min(r2, len(out) - 1) + 1):
                budget -= 1
                if budget < 0:
                    break
                if r not in copied:
                    out[r] = list(out[r])
                    copied.add(r)
                row = out[r]
                if len(row) <= c:
                    row.extend([None] * (c + 1 - len(row)))
                if row[c] is None or row[c] == "":
                    row[c], filled = value, True
        if filled:
            used.append(":".join((f"{column_letter(c1)}{r1 + 1}", f"{column_letter(c2)}{r2 + 1}")))  # A1 range
            keys += [inputs[c] for c in range(c1, c2 + 1) if inputs[c] not in keys]
    if not used:
        return rows, None
    labels = "".join(f"「{INPUT_LABELS[k]}」" for k in INPUT_KEYS if k in keys)
    shown = "、".join(used[:5]) + ("等" if len(used) > 5 else "")
    return out, (used[0].split(":")[0], f"{labels}有合并单元格（{shown}），合并后的内容已计入所合并的每一行（每项任务）。")


def read_form(book: ReadBook, path: Path, limits: Limits) -> Form:
    """The form in ``book``: the first sheet holding the task table (填报表 first); every other sheet is
    looked at too, and a second table is named.  Raises Rejected (not-a-form, column-missing)."""
    names = book.sheet_names
    order = ([fs.TASK_SHEET] if fs.TASK_SHEET in names else []) + \
        [n for n in names if n not in (fs.TASK_SHEET, fs.META_SHEET)]
    form = None
    notes: list[tuple[str, str, str, str]] = []
    for name in order:
        sheet = book.sheet(name)
        if sheet.outside[0]:
            notes.append(("cells-out-of-range", f"工作表「{name}」在填报表范围（{limits.max_rows:,} 行 × "
                          f"{limits.max_cols} 列）之外有 {sheet.outside[0]:,} 个单元格有内容，未读取。",
                          name, sheet.outside[1]))
        found = find_header(sheet.rows)
        if not found:
            continue
        if form is None or all(k in found[1] for k in REQUIRED):
            rows, note = merged_inputs(_with_formula_texts(sheet), sheet.merged, found[0], found[1])
            one = Form(sheet.name, rows, found[0], found[1], sheet.formula_cells, None,
                       error_cells=dict(sheet.error_cells), formula_texts=dict(sheet.formula_texts))
            if note:
                one.notes.append(("merged-cells", note[1], sheet.name, note[0]))
            if form is None:
                form = one
            else:
                form.others.append(one)
    if form is None:
        raise Rejected("not-a-form", "文件中找不到填报表的表头（任务编号、工作任务……完成状态），不是下发的填报表。")
    missing = [k for k in REQUIRED if k not in form.cols]
    if missing:
        labels = "、".join(f"「{INPUT_LABELS.get(k) or LOCKED_TITLES.get(k)}」" for k in missing)
        raise Rejected("column-missing", f"工作表「{form.sheet}」第 {form.header + 1} 行的表头中找不到{labels}列"
                                         f"（表头可能被改名），为免把填报内容当作空白，本文件未汇总。")
    for key in INPUT_KEYS:
        if key not in form.cols:
            notes.append(("column-missing", f"表头中找不到「{INPUT_LABELS[key]}」列，该项按未填写处理。",
                          form.sheet, str(form.header + 1)))
    form.notes = notes + form.notes
    meta = meta_from_rows(book.sheet(fs.META_SHEET).rows) if fs.META_SHEET in names else None
    if meta is None and book.kind not in ("csv", "docx") and _may_carry_metadata(book):
        try:
            meta = read_form_metadata(path)
        except Exception:  # noqa: BLE001 - metadata is optional; the table was readable
            meta = None
    form.meta = meta
    return form


def _may_carry_metadata(book: ReadBook) -> bool:
    """Whether ``book`` may carry a form's metadata where ``read_form_metadata`` looks after the metadata
    sheet (custom document properties, defined names).  An .xlsx whose package has no custom properties part
    and whose workbook.xml (UTF-8) holds neither the names' prefix nor an entity other than XML's own five
    (which could spell it) carries none: it is not opened again to find that out (a form pasted into a new
    workbook)."""
    if book.kind != "xlsx" or book.has_part("docProps/custom.xml"):
        return True
    try:
        workbook = book.part("xl/workbook.xml") or b""
    except Broken:
        return True
    start = workbook[3:4] if workbook.startswith(b"\xef\xbb\xbf") else workbook[:1]
    return start != b"<" or _META_PREFIX in workbook or _ENTITY.search(workbook) is not None


_META_PREFIX = fs.META_PREFIX.encode()
_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)")  # a character reference, or an entity a DTD declares


# ---------------------------------------------------------------------------
# Validating one form


_LAYOUTS: dict[tuple, tuple] = {}


def _layout(cols: dict[str, int]) -> tuple:
    """(locked columns, input columns, locked getter, locked width, inputs getter, inputs width, input column
    getters) of a column map.

    The getters fetch all locked cells of a row at once (to compare with the issued ones), and all
    input cells when every input column is there (else None), and then each input cell of a row (INPUT_KEYS
    order).  Remembered: forms share their layout.
    """
    key = tuple(cols.items())
    if key not in _LAYOUTS:
        if len(_LAYOUTS) > 64:
            _LAYOUTS.clear()
        locked = [(k, cols[k]) for k in LOCKED_KEYS if k in cols]
        inputs = [(k, cols[k]) for k in INPUT_KEYS if k in cols]
        _LAYOUTS[key] = (locked, inputs, itemgetter(*[j for _, j in locked]) if len(locked) > 1 else None,
                         max((j for _, j in locked), default=-1) + 1,
                         itemgetter(*[j for _, j in inputs]) if len(inputs) == len(INPUT_KEYS) else None,
                         max((j for _, j in inputs), default=-1) + 1,
                         [itemgetter(j) for _, j in inputs] if len(inputs) == len(INPUT_KEYS) else None)
    return _LAYOUTS[key]


class Checker:
    """Validates one form against the plan, collecting findings and the values to store."""

    def __init__(self, ctx: Context, form: Form, rel: str, unit: str):
        self.ctx, self.form, self.rel, self.unit = ctx, form, rel, unit
        self.findings: list[Finding] = []
        self.values: dict[str, dict] = {}
        self.fields: dict[str, str] = {}
        (self.locked_cols, self.input_cols, self.locked_get, self.locked_width, self.inputs_get,
         self.inputs_width, self.input_gets) = _layout(form.cols)
        self.dates = ctx.dates
        self._iso = ctx.date  # the ISO date of a cell value (memoised for text), None if it is not a date
        for kind, message, sheet, cell in form.notes:
            self.findings.append(fk.finding(kind, message, unit=unit, file=rel, sheet=sheet, cell=cell,
                                            severity=fk.WARNING if kind == "column-missing" else None))

    def add(self, kind: str, message: str, row: int | None = None, col: int | None = None) -> None:
        cell = f"{column_letter(col)}{row + 1}" if row is not None and col is not None else \
            (str(row + 1) if row is not None else "")
        self.findings.append(fk.finding(kind, message, unit=self.unit, file=self.rel, sheet=self.form.sheet,
                                        cell=cell))

    def addr(self, row: int, col: int) -> str:
        return f"{column_letter(col)}{row + 1}"

    def cell(self, row: list, key: str):
        j = self.form.cols.get(key)
        return row[j] if j is not None and j < len(row) else None

    def _inert(self, i: int, j: int, value: str, label: str) -> None:
        if self.form.formula_texts and self.addr(i, j) in self.form.formula_texts:
            return  # a formula kept as text: its own finding says so
        if len(value) > 1 and value[0] in _FORMULA_CHARS and not _NUMBER.match(value):
            self.add("formula-text", f"「{label}」内容「{clip(value, 40)}」以「{value[0]}」开头，形似公式，已按纯文本保存。", i, j)

    def empty_because_formula(self, i: int, j: int | None) -> bool:
        return j is not None and self.addr(i, j) in self.form.formula_cells

    # -- form fields (填报人 / 联系电话 / 填报日期) ----------------------------

    def read_fields(self) -> None:
        found = fs.find_form_field_cells(self.form.rows[: self.form.header])
        for key, label in fs.FORM_FIELDS:
            if key not in found:
                self.fields[key] = ""
                continue
            i, j = found[key]
            raw = self.form.rows[i][j] if j < len(self.form.rows[i]) else None
            value = cell_text(raw)
            if key == "fill_date" and value:
                iso = self._iso(raw) or partial_date(value, self.ctx.year)
                if iso is None:
                    self.add("invalid-date", f"「{label}」填写为「{clip(value)}」，不是日期。", i, j)
                value = iso or value
            elif value:
                self._inert(i, j, value, label)
            if not value and key == "filler" and not self.empty_because_formula(i, j):
                self.add("required-empty", f"「{label}」未填写。", i, j)
            self.fields[key] = value

    # -- the task table ------------------------------------------------------

    def check_table(self) -> int:
        """Match rows to the unit's tasks by id; check locked text and inputs.  Returns rows read."""
        n = self._clean_table()
        if n is not None:
            return n
        exp = self.ctx.expected(self.unit)
        tasks = exp.tasks
        matched: dict[str, int] = {}
        order: list[str] = []
        pending: list[tuple[int, list, str]] = []  # rows whose id is unknown
        rows = self.form.rows
        jid = self.form.cols["id"]
        first = self.form.header + 1
        n = 0
        tids = self._distinct_ids(rows[first:], jid, tasks)
        if tids is not None:  # every row holds one of the unit's tasks, each once: matched as they stand
            matched.update(zip(tids, range(first, len(rows))))
            order.extend(tids)
            n = len(tids)
        for i in range(first, len(rows)) if tids is None else ():
            row = rows[i]
            raw = row[jid] if jid < len(row) else None
            text = raw.strip() if type(raw) is str else cell_text(raw)
            if not text and not any(cell_text(v) for v in row):
                continue
            n += 1
            tid = NORM_IDS.get(text) or norm_text(text)
            if tid in tasks and tid not in matched:
                matched[tid] = i
                order.append(tid)
            else:
                pending.append((i, row, tid))
        at = {i: tid for tid, i in matched.items()}  # row -> the task it holds (or continues)
        continued: dict[str, list[int]] = {}  # task -> rows below it continuing its answer
        footnotes: set[int] | None = None  # the rows of a signature block or remark below the table
        for i, row, tid in pending:
            guess = None
            for key in ("title", "text"):
                guess = guess or exp.by_title.get(" ".join(cell_text(self.cell(row, key)).split()))
            if guess and guess not in matched:
                matched[guess] = i
                at[i] = guess
                order.append(guess)
                continue
            if footnotes is None:
                footnotes = self._footnotes(rows, first)
            if i in footnotes:
                self._footnote(i, row)
                continue
            above = self._above(i, rows, at, first)
            if (not tid and above and not any(cell_text(self.cell(row, k)) for k in ("title", "text"))
                    and not _FOOTNOTE.match(" ".join(filter(None, map(cell_text, row))))):
                continued.setdefault(above, []).append(i)  # more of the answer above, on a row of its own
                at[i] = above
                self.add("row-continued", f"第{i + 1}行没有任务编号和任务内容，所填内容已并入上面任务 {above} 的"
                                          f"相应栏目。", i)
                continue
            label = f"任务编号「{tid}」" if tid else "无任务编号"
            why = "重复出现" if tid in matched else "不在下发给本单位的任务中"
            self.add("row-inserted", f"第{i + 1}行（{label}，{clip(cell_text(self.cell(row, 'title')) or '空')}）"
                                     f"{why}，未计入汇总。", i)
        issued = exp.issued
        if order != [t for t in issued if t in matched]:
            self.add("rows-reordered", f"任务行的顺序与下发时不同（已按任务编号对应）：{'、'.join(order[:10])}"
                                       f"{'…' if len(order) > 10 else ''}。")
        wants = exp.want(tuple(k for k, _ in self.locked_cols))
        get, width = self.locked_get, self.locked_width
        seq = order if not pending else sorted(matched, key=matched.get)
        mine = [rows[matched[tid]] for tid in seq]
        inputs, texts, suspect = self._inputs(mine)
        if continued:
            inputs, texts = self._continue(seq, inputs, texts, continued)
        read_inputs = self._read_inputs
        same = get is not None and mine and min(map(len, mine)) >= width and \
            list(map(get, mine)) == list(map(wants.__getitem__, seq))  # no locked cell altered anywhere
        for k, tid in enumerate(seq):
            i = matched[tid]
            row = mine[k]
            if not same and (get is None or len(row) < width or get(row) != wants[tid]):
                self._check_locked(i, row, exp.locked[tid])
            read_inputs(i, inputs[k], texts[k], tid, tasks[tid][1], suspect)
        for tid in issued:
            if tid not in matched:
                self.add("row-deleted", f"任务「{tid} {clip(tasks[tid][0].title, 30)}」所在行被删除，"
                                        f"本单位未报送该任务的情况。")
        for ref in sorted(self.form.error_cells, key=ref_key)[:20]:
            self.findings.append(fk.finding(
                "formula-error", f"单元格 {ref} 的公式结果为错误值「{clip(self.form.error_cells[ref], 20)}」，"
                                 + (f"已把公式「{clip(self.form.formula_texts[ref], 40)}」按文字保存。" if ref in
                                    self.form.formula_texts else "按空白处理。"),
                unit=self.unit, file=self.rel, sheet=self.form.sheet, cell=ref))
        for ref in sorted(self.form.formula_cells, key=ref_key):
            self.findings.append(fk.finding(
                "formula-no-value", f"单元格 {ref} 是公式，但文件中没有保存计算结果（可能由程序生成后未在 Excel 中打开），"
                                    + (f"已把公式「{clip(self.form.formula_texts[ref], 40)}」按文字保存。" if ref in
                                       self.form.formula_texts else "读不到数值。"), unit=self.unit, file=self.rel, sheet=self.form.sheet, cell=ref))
        return n

    def _clean_table(self) -> int | None:
        """The rows read, when the table is exactly as issued and every input is in order (no finding to make).

        Then the values are taken for all rows at once; otherwise (None) :meth:`check_table` goes row by row.
        """
        form, first = self.form, self.form.header + 1
        body = form.rows[first:]
        issued = self.ctx.issued_table(self.unit)
        if (len(body) != len(issued) or not body or form.formula_cells or form.error_cells or self.inputs_get is None
                or len(self.locked_cols) != len(LOCKED_KEYS)
                or min(map(len, body)) < max(self.locked_width, self.inputs_width)
                or list(map(self.locked_get, body)) != issued):  # ids, order and locked text as issued
            return None
        columns = [list(map(get, body)) for get in self.input_gets]  # the input cells, a column at a time
        texts = list(map(_texts, columns))
        if _FORMULA_START.search("\0" + "\0".join(chain.from_iterable(texts))):  # some text may look like a formula
            return None
        statuses, progress, dates, problems, next_steps, evidence = texts
        if not STATUS_SET.issuperset(statuses) or "" in progress:
            return None
        raws = columns[2]
        isos = list(map(self.dates.get, raws))  # memoised text dates; None: not yet seen, or not text
        if None in isos:
            isos = [self._iso(raw) if text else "" for raw, text in zip(raws, dates)]
            if None in isos:
                return None
        elif "" in dates:
            isos = [iso if text else "" for iso, text in zip(isos, dates)]
        dates = isos
        self.values.update(zip(map(itemgetter(0), issued), zip(
            range(first + 1, first + 1 + len(body)), map(itemgetter(3), issued), statuses, statuses, progress,
            dates, problems, next_steps, evidence)))
        return len(body)


    @staticmethod
    def _footnotes(rows: list[list], first: int) -> set[int]:
        """The rows at the table's foot (blank rows aside) that read as a signature block or a remark."""
        out = set()
        for i in range(len(rows) - 1, first - 1, -1):
            texts = list(filter(None, map(cell_text, rows[i])))
            if not texts:
                continue
            if not _FOOTNOTE.match(" ".join(texts)):
                break
            out.add(i)
        return out

    def _footnote(self, i: int, row: list) -> None:
        """A signature block or remark below the table: not a task.  The 填报人, 联系电话 and 填报日期 it
        gives are read when the form's own cells for them are empty."""
        text = " ".join(filter(None, map(cell_text, row)))
        found = list(_SIGN_FIELD.finditer(text))
        read = []
        for m, after in zip(found, [*found[1:], None]):
            key = _SIGN_KEYS.get(m.group(1))
            value = text[m.end():after.start() if after else len(text)].strip(" \t,，;；。、")
            if not key or not value or self.fields.get(key) or key in (k for k, _ in read):
                continue
            if key == "fill_date":
                value = self._iso(value) or partial_date(value, self.ctx.year) or ""
                if not value:
                    continue
            self.fields[key] = value
            read.append((key, FIELD_LABELS[key]))
        if any(k == "filler" for k, _ in read):
            self.findings = [f for f in self.findings
                             if not (f.type == "required-empty" and f.message.startswith("「填报人」"))]
        self.add("footnote-row", f"第{i + 1}行是表格下方的落款或备注（「{clip(text, 80)}」），不是任务，未计入任务"
                                 + (f"；表头未填的{'、'.join(label for _, label in read)}已按此读取" if read else "")
                                 + "。", i)

    @staticmethod
    def _above(i: int, rows: list[list], at: dict[int, str], first: int) -> str | None:
        """The task of the nearest row above row ``i`` with content, when there is one."""
        for j in range(i - 1, first - 1, -1):
            if j in at:
                return at[j]
            if any(cell_text(v) for v in rows[j]):
                return None
        return None

    def _continue(self, seq: list[str], inputs: list[tuple], texts: list[tuple],
                  continued: dict[str, list[int]]) -> tuple[list[tuple], list[tuple]]:
        """``inputs`` and ``texts`` (a row per task of ``seq``) with the rows continuing each task joined in:
        a blank cell of the task takes the continuing row's, a text is followed by it on a new line."""
        inputs, texts = list(inputs), list(texts)
        for k, tid in enumerate(seq):
            for i in continued.get(tid, []):
                (more_raw,), (more,), _ = self._inputs([self.form.rows[i]])
                raws, have = list(inputs[k]), list(texts[k])
                for n, key in enumerate(INPUT_KEYS):
                    if not more[n]:
                        continue
                    if not have[n]:
                        raws[n], have[n] = more_raw[n], more[n]
                    elif key in JOINED_INPUTS:
                        raws[n] = have[n] = have[n] + "\n" + more[n]
                inputs[k], texts[k] = tuple(raws), tuple(have)
        return inputs, texts

    @staticmethod
    def _distinct_ids(rows: list[list], jid: int, tasks: dict) -> list[str] | None:
        """The task ids of ``rows`` when each row names a different one of ``tasks`` (the usual case), else None."""
        try:
            texts = list(map(str.strip, map(itemgetter(jid), rows)))
        except (IndexError, TypeError):  # a short row, or an id that is not text
            return None
        if "" in texts:
            return None
        tids = list(map(norm_text, texts))
        distinct = set(tids)
        return tids if len(distinct) == len(tids) and distinct <= tasks.keys() else None

    def _check_locked(self, i: int, row: list, want: dict) -> None:
        for key, j in self.locked_cols:
            raw = row[j] if j < len(row) else None
            got = raw.strip() if type(raw) is str else cell_text(raw)
            if got == want[key]:
                continue
            if key == "id":
                got = norm_id(got)
            if got == want[key] or (key == "deadline" and parse_date(raw) == want[key]) or same_text(got, want[key]):
                continue
            self.add("locked-text-altered",
                     f"「{LOCKED_TITLES[key]}」被改动：下发原文「{clip(want[key])}」，现为「{clip(got) or '（空）'}」；"
                     f"汇总仍按原文。", i, j)

    def _inputs(self, rows: list[list]) -> tuple[list[tuple], list[tuple], bool]:
        """(cells, their texts, whether any text looks like a formula) of the input columns of ``rows``."""
        n = len(INPUT_KEYS)
        if self.inputs_get is not None and rows and min(map(len, rows)) >= self.inputs_width:
            inputs = list(map(self.inputs_get, rows))  # INPUT_KEYS order
        else:
            cols = self.form.cols
            inputs = [tuple(row[cols[k]] if k in cols and cols[k] < len(row) else None for k in INPUT_KEYS)
                      for row in rows]
        flat = _texts(list(chain.from_iterable(inputs)))
        texts = list(zip(*[iter(flat)] * n))  # n texts a row
        return inputs, texts, bool(_FORMULA_START.search("\0" + "\0".join(flat)))

    def _read_inputs(self, i: int, raws: tuple, texts: tuple, tid: str, role: str, suspect: bool) -> None:
        """Check and keep the inputs of task ``tid`` in row ``i`` (``suspect``: some text may look like a formula)."""
        if suspect and _FORMULA_START.search("\0" + "\0".join(texts)):
            for key, text in zip(INPUT_KEYS, texts):
                if len(text) > 1 and text[0] in _FORMULA_CHARS:
                    self._inert(i, self.form.cols[key], text, INPUT_LABELS[key])
        raw_status, progress, done_date, problems, next_steps, evidence = texts
        if raw_status in STATUS_SET:
            status = raw_status
        else:
            status, exact = normalize_status(raw_status)
            j = self.form.cols.get("status")
            if raw_status and not exact:
                guess = f"已按「{status}」计" if status else "无法识别，未计入状态"
                self.add("invalid-status", f"任务 {tid} 的「完成状态」填写为「{clip(raw_status)}」，不在下拉列表"
                                           f"（{'/'.join(STATUSES)}）中；{guess}。", i, j)
            elif not raw_status and not self.empty_because_formula(i, j):
                self.add("required-empty", f"任务 {tid} 的「完成状态」未填写。", i, j)
        if not progress and raw_status and status not in PROGRESS_OPTIONAL:
            jp = self.form.cols.get("progress")
            if not self.empty_because_formula(i, jp):
                self.add("required-empty", f"任务 {tid} 状态为「{status or raw_status}」，但「落实情况」未填写。", i, jp)
        if done_date:
            iso = self._iso(raws[2])
            if iso is None:  # 「6月20日」「2021年6月」: the round's year, or the month
                iso = partial_date(done_date, self.ctx.year)
            if iso is None and not ONGOING.search(done_date):  # 「长期坚持」 is an answer, not a bad date
                self.add("invalid-date", f"任务 {tid} 的「完成时间」填写为「{clip(done_date)}」，不是日期。",
                         i, self.form.cols.get("done_date"))
            done_date = iso or done_date
        self.values[tid] = (i + 1, role, status, raw_status, progress, done_date, problems, next_steps, evidence)


def _texts(cells: list) -> list[str]:
    """The stripped texts of input cells (all text, the usual case: at C speed)."""
    try:
        return list(map(str.strip, cells))
    except TypeError:
        return [x.strip() if type(x) is str else cell_text(x) for x in cells]


def ref_key(ref: str) -> tuple[int, str]:
    m = re.match(r"([A-Z]+)(\d+)$", ref)
    return (int(m.group(2)), m.group(1).rjust(3)) if m else (0, ref)

