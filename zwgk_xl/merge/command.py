"""Merge returned forms into the ledger (the ``merge`` command).

:func:`merge_folder` reads every file below a folder, identifies unit and
round (form metadata, else the file name, else the unit ``mail fetch``
recorded for the file, else the content), validates it
against the plan, and stores it in the ledger, one transaction per file.
Every problem becomes a :class:`zwgk_xl.model.Finding`; a bad file never
stops the others.  :func:`run_merge` is the whole command: workspace,
ledger, plan, merge and the master workbook.

Many files are read and validated by worker processes together with this
one (:func:`default_workers`); only this process writes the ledger, in the
order of the files, so the result and the ledger are the same either way.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import hashlib
import multiprocessing
import multiprocessing.connection
import os
import re
import time
from itertools import chain
from operator import itemgetter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from zwgk_xl.core import findings as fk
from zwgk_xl.forms import spec as fs
from zwgk_xl.core.errors import UsageError
from zwgk_xl.forms.writer import locked_rows, meta_from_rows, read_form_metadata
from zwgk_xl.merge.intake import (Limits, ReadBook, Rejected, cell_text, column_letter, discover, open_book, parse_date,
                     precheck)
from zwgk_xl.ledger.store import ARCHIVE_DIR, Ledger, Submission, find_workspace, read_config, sha256_file
from zwgk_xl.merge.master import assigned_tasks, build_master, round_findings, write_master
from zwgk_xl.decompose.assign import assignment_ids
from zwgk_xl.decompose.plan import read_plan
from zwgk_xl.core.model import STATUSES, Document, Finding, Node

Progress = Callable[[int, int, str], None]

LOCKED_KEYS = [k for k, _ in fs.LOCKED_COLUMNS]
_LOCKED_CELLS = itemgetter(*LOCKED_KEYS)  # a row's locked cells (dict) as a tuple, in column order
INPUT_KEYS = [k for k, _ in fs.INPUT_COLUMNS]
LOCKED_TITLES = dict(fs.LOCKED_COLUMNS)
# Status words departments write instead of the list's (exact match), and unambiguous phrases (substring).
STATUS_ALIASES = {"完成": "已完成", "办结": "已完成", "已办结": "已完成", "全部完成": "已完成", "推进": "推进中",
                  "进行中": "推进中", "正在推进": "推进中", "正在进行": "推进中", "未开始": "未启动",
                  "尚未启动": "未启动", "未开展": "未启动", "不适用": "不涉及", "无此项": "不涉及",
                  "持续推进": "长期推进", "长期坚持": "长期推进", "常态化": "长期推进",
                  "常态化推进": "长期推进"}
STATUS_PHRASES = [*STATUSES, "正在推进", "进行中", "尚未启动", "未开展", "不适用", "持续推进", "长期坚持", "常态化推进"]
_STATUS_SET = frozenset(STATUSES)
PROGRESS_OPTIONAL = ("未启动", "不涉及")  # statuses that need no 落实情况
_FORMULA_CHARS = "=+-@\t\r"  # leading characters spreadsheets take as a formula
_FORMULA_START = re.compile(r"\0[=+\-@\t\r].", re.S)  # a formula-like start in "\0"-joined cell texts
INPUT_LABELS = dict(fs.INPUT_COLUMNS)
_NUMBER = re.compile(r"^[+-]?\d[\d,.]*%?$")
_ID_CHARS = str.maketrans({"(": "(", ")": ")", "。": ".", ".": ".", " ": "", "\u3000": ""})


# ---------------------------------------------------------------------------
# Results


@dataclass
class FileOutcome:
    """What became of one file found in the folder."""

    file: str  # path relative to the merged folder
    outcome: str = "skipped"  # "accepted" | "rejected" | "skipped"
    sha256: str = ""
    unit: str = ""
    round: str = ""
    identified_by: str = ""  # "metadata" | "filename" | "mail" | "content"
    meta_source: str = ""  # "sheet" | "properties" | "names" (where the metadata was found)
    received_at: str = ""
    rows: int = 0
    findings: int = 0
    superseded: list[str] = field(default_factory=list)  # older files of this unit it replaces
    superseded_by: str = ""  # a newer file of this unit that replaces it

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class MergeResult:
    """The outcome of a merge: files, findings, and the round's reporting state."""

    folder: str
    workspace: str
    ledger_created: bool
    round: str
    plan_source: str
    files: list[FileOutcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    units_submitted: list[str] = field(default_factory=list)
    units_missing: list[str] = field(default_factory=list)
    output: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (not serialised)
    workers: int = 0  # worker processes that read the files, 0: read in this process (not serialised)
    assigned: dict | None = field(default=None, repr=False)  # unit -> [(task, role)] used (not serialised)

    @property
    def valid(self) -> bool:
        """True when everything merged cleanly (no finding above info)."""
        return fk.is_clean(self.findings)

    @property
    def exit_code(self) -> int:
        return 0 if self.valid else 1

    def summary(self) -> dict:
        count = lambda what: sum(1 for f in self.files if f.outcome == what)  # noqa: E731
        sev = lambda s: sum(1 for f in self.findings if f.severity == s)  # noqa: E731
        return {"files": len(self.files), "accepted": count("accepted"), "rejected": count("rejected"),
                "skipped": count("skipped"), "errors": sev(fk.ERROR), "warnings": sev(fk.WARNING),
                "notes": sev(fk.INFO), "units_submitted": len(self.units_submitted),
                "units_missing": len(self.units_missing)}

    def to_dict(self) -> dict:
        """The JSON shape printed by ``merge --json``."""
        return {"valid": self.valid, "exit_code": self.exit_code, "round": self.round, "folder": self.folder,
                "workspace": self.workspace, "ledger_created": self.ledger_created,
                "plan_source": self.plan_source, "output": self.output, "summary": self.summary(),
                "files": [f.to_dict() for f in self.files], "findings": [f.to_dict() for f in self.findings],
                "units_submitted": list(self.units_submitted), "units_missing": list(self.units_missing)}


# ---------------------------------------------------------------------------
# Context of one merge


@dataclass
class _Expected:
    """What a unit's form was issued with (computed once per unit and merge)."""

    tasks: dict[str, tuple[Node, str]]  # task id -> (task, role)
    locked: dict[str, dict]  # task id -> locked cells (formspec.LOCKED_COLUMNS keys)
    issued: list[str]  # task ids in issued order
    wants: dict[tuple, dict[str, tuple]] = field(default_factory=dict)  # locked keys -> task id -> cells
    _by_title: dict[str, str] | None = None

    @classmethod
    def of(cls, expected: list[tuple[Node, str]], locked: dict[tuple[str, str], dict]) -> "_Expected":
        """``locked``: (task id, role) -> locked cells, shared by the units of one merge (filled here)."""
        for t, role in expected:
            if (t.id, role) not in locked:
                locked[t.id, role] = locked_rows([(t, role)])[0]
        return cls(tasks={t.id: (t, role) for t, role in expected},
                   locked={t.id: locked[t.id, role] for t, role in expected}, issued=[t.id for t, _ in expected])

    @property
    def by_title(self) -> dict[str, str]:
        """Normalised title or text -> task id (for rows whose id was changed)."""
        if self._by_title is None:
            self._by_title = {}
            for t, _ in self.tasks.values():
                self._by_title.setdefault(" ".join(t.title.split()), t.id)
                self._by_title.setdefault(" ".join(t.text.split()), t.id)
        return self._by_title

    def want(self, keys: tuple[str, ...]) -> dict[str, tuple]:
        """task id -> its locked cells in the order of ``keys``."""
        if keys not in self.wants:
            get = itemgetter(*keys) if len(keys) > 1 else lambda r: (r[keys[0]],) if keys else ()
            self.wants[keys] = {tid: get(r) for tid, r in self.locked.items()}
        return self.wants[keys]


@dataclass
class _Context:
    round: str
    ledger_id: str
    assigned: dict[str, list[tuple[Node, str]]]  # unit -> [(task, role)]
    directory: object = None
    names: list[tuple[str, str]] = field(default_factory=list)  # (name or alias, unit), longest first
    expectations: dict[str, _Expected] = field(default_factory=dict)
    locked: dict[tuple[str, str], dict] = field(default_factory=dict)  # (task id, role) -> locked cells
    tables: dict[str, list[tuple]] = field(default_factory=dict)  # unit -> issued_table(unit)
    issued_rows: dict[tuple[str, str], tuple] = field(default_factory=dict)  # (task id, role) -> its table row
    dates: dict[str, str | None] = field(default_factory=dict)  # text -> parse_date(text), memoised

    def __post_init__(self):
        pairs = {u: u for u in self.assigned}
        for u in self.assigned:
            entry = self.directory.get(u) if self.directory is not None else None
            for alias in getattr(entry, "aliases", []) or []:
                if len(alias) >= 2:
                    pairs.setdefault(alias, u)
        self.names = sorted(pairs.items(), key=lambda p: -len(p[0]))

    def canonical(self, name: str) -> str | None:
        """The expected unit ``name`` stands for (exact, or via the directory's aliases)."""
        name = (name or "").strip()
        if name in self.assigned:
            return name
        entry = self.directory.get(name) if self.directory is not None and name else None
        if entry is not None and entry.name in self.assigned:
            return entry.name
        return None

    def unit_in_text(self, text: str) -> str | None:
        """The longest known unit name (or alias) occurring in ``text``."""
        for name, unit in self.names:
            if name in text:
                return unit
        return None

    def expected(self, unit: str) -> _Expected:
        """The tasks ``unit`` was sent, with their locked cells."""
        if unit not in self.expectations:
            self.expectations[unit] = _Expected.of(self.assigned.get(unit, []), self.locked)
        return self.expectations[unit]

    def issued_table(self, unit: str) -> list[tuple]:
        """The locked cells of ``unit``'s form as issued: one tuple (LOCKED_KEYS order) a row."""
        table = self.tables.get(unit)
        if table is None:
            rows, table = self.issued_rows, []
            for t, role in self.assigned.get(unit, []):
                row = rows.get((t.id, role))
                if row is None:
                    row = rows[t.id, role] = _LOCKED_CELLS(locked_rows([(t, role)])[0])
                table.append(row)
            self.tables[unit] = table
        return table

    def date(self, raw) -> str | None:
        """``parse_date(raw)``, memoised for text (the same dates recur across forms)."""
        if type(raw) is not str:
            return parse_date(raw)
        if raw not in self.dates:
            self.dates[raw] = parse_date(raw)
        return self.dates[raw]


_NORM_IDS: dict[str, str] = {}  # text -> _norm_text(text), remembered (ids recur across forms)


def _norm_text(text: str) -> str:
    """A task id as written (stripped text) in its canonical form."""
    got = _NORM_IDS.get(text)
    if got is None:
        got = text.translate(_ID_CHARS)
        if len(_NORM_IDS) < 100_000:
            _NORM_IDS[text] = got
    return got


def _norm_id(value) -> str:
    return _norm_text(cell_text(value))


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "…"


def normalize_status(raw: str) -> tuple[str, bool]:
    """(status, exact): a STATUSES value read from ``raw`` ("" if none), and whether ``raw`` was exactly it."""
    if raw in _STATUS_SET:
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
class _Form:
    """A returned form as read: its table, header map, fields and metadata."""

    sheet: str
    rows: list[list]
    header: int  # 0-based row index of the table header
    cols: dict[str, int]  # column key -> 0-based column index
    formula_cells: set[str]
    meta: dict | None


def _read_form(book: ReadBook, path: Path, rel: str) -> _Form:
    names = book.sheet_names
    order = ([fs.TASK_SHEET] if fs.TASK_SHEET in names else []) + \
        [n for n in names if n not in (fs.TASK_SHEET, fs.META_SHEET)]
    for name in order:
        sheet = book.sheet(name, dense=len(fs.COLUMNS))
        found = fs.find_header(sheet.rows)
        if found:
            break
    else:
        raise Rejected("not-a-form", "文件中找不到填报表的表头(任务编号、工作任务……完成状态),不是下发的填报表。")
    meta = meta_from_rows(book.sheet(fs.META_SHEET).rows) if fs.META_SHEET in names else None
    if meta is None:
        try:
            meta = read_form_metadata(path)
        except Exception:  # noqa: BLE001 - metadata is optional; the table was readable
            meta = None
    return _Form(sheet.name, sheet.rows, found[0], found[1], sheet.formula_cells, meta)


# ---------------------------------------------------------------------------
# Validating one form


_LAYOUTS: dict[tuple, tuple] = {}


def _layout(cols: dict[str, int]) -> tuple:
    """(locked columns, input columns, locked getter, locked width, inputs getter, inputs width) of a column map.

    The getters fetch all locked cells of a row at once (to compare with the issued ones), and all
    input cells when every input column is there (else None).  Remembered: forms share their layout.
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
                         max((j for _, j in inputs), default=-1) + 1)
    return _LAYOUTS[key]


class _Checker:
    """Validates one form against the plan, collecting findings and the values to store."""

    def __init__(self, ctx: _Context, form: _Form, rel: str, unit: str):
        self.ctx, self.form, self.rel, self.unit = ctx, form, rel, unit
        self.findings: list[Finding] = []
        self.values: dict[str, dict] = {}
        self.fields: dict[str, str] = {}
        (self.locked_cols, self.input_cols, self.locked_get, self.locked_width, self.inputs_get,
         self.inputs_width) = _layout(form.cols)
        self.dates = ctx.dates
        self._iso = ctx.date  # the ISO date of a cell value (memoised for text), None if it is not a date

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
        if len(value) > 1 and value[0] in _FORMULA_CHARS and not _NUMBER.match(value):
            self.add("formula-text", f"「{label}」内容「{_clip(value, 40)}」以「{value[0]}」开头,形似公式,已按纯文本保存。", i, j)

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
                iso = self._iso(raw)
                if iso is None:
                    self.add("invalid-date", f"「{label}」填写为「{_clip(value)}」,不是日期。", i, j)
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
            tid = _NORM_IDS.get(text) or _norm_text(text)
            if tid in tasks and tid not in matched:
                matched[tid] = i
                order.append(tid)
            else:
                pending.append((i, row, tid))
        for i, row, tid in pending:
            guess = None
            for key in ("title", "text"):
                guess = guess or exp.by_title.get(" ".join(cell_text(self.cell(row, key)).split()))
            if guess and guess not in matched:
                matched[guess] = i
                order.append(guess)
                continue
            label = f"任务编号「{tid}」" if tid else "无任务编号"
            why = "重复出现" if tid in matched else "不在下发给本单位的任务中"
            self.add("row-inserted", f"第{i + 1}行({label},{_clip(cell_text(self.cell(row, 'title')) or '空')})"
                                     f"{why},未计入汇总。", i)
        issued = exp.issued
        if order != [t for t in issued if t in matched]:
            self.add("rows-reordered", f"任务行的顺序与下发时不同(已按任务编号对应):{'、'.join(order[:10])}"
                                       f"{'…' if len(order) > 10 else ''}。")
        wants = exp.want(tuple(k for k, _ in self.locked_cols))
        get, width = self.locked_get, self.locked_width
        seq = order if not pending else sorted(matched, key=matched.get)
        mine = [rows[matched[tid]] for tid in seq]
        inputs, texts, suspect = self._inputs(mine)
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
                self.add("row-deleted", f"任务「{tid} {_clip(tasks[tid][0].title, 30)}」所在行被删除,"
                                        f"本单位未报送该任务的情况。")
        for ref in sorted(self.form.formula_cells, key=_ref_key):
            self.findings.append(fk.finding(
                "formula-no-value", f"单元格 {ref} 是公式,但文件中没有保存计算结果(可能由程序生成后未在 Excel 中打开),"
                                    f"读不到数值。", unit=self.unit, file=self.rel, sheet=self.form.sheet, cell=ref))
        return n

    def _clean_table(self) -> int | None:
        """The rows read, when the table is exactly as issued and every input is in order (no finding to make).

        Then the values are taken for all rows at once; otherwise (None) :meth:`check_table` goes row by row.
        """
        form, first = self.form, self.form.header + 1
        body = form.rows[first:]
        issued = self.ctx.issued_table(self.unit)
        if (len(body) != len(issued) or not body or form.formula_cells or self.inputs_get is None
                or len(self.locked_cols) != len(LOCKED_KEYS)
                or min(map(len, body)) < max(self.locked_width, self.inputs_width)
                or list(map(self.locked_get, body)) != issued):  # ids, order and locked text as issued
            return None
        inputs, texts, suspect = self._inputs(body)
        if suspect:
            return None
        statuses, progress, dates, problems, next_steps, evidence = zip(*texts)
        if not _STATUS_SET.issuperset(statuses) or "" in progress:
            return None
        raws = list(map(itemgetter(2), inputs))
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
    def _distinct_ids(rows: list[list], jid: int, tasks: dict) -> list[str] | None:
        """The task ids of ``rows`` when each row names a different one of ``tasks`` (the usual case), else None."""
        try:
            texts = list(map(str.strip, map(itemgetter(jid), rows)))
        except (IndexError, TypeError):  # a short row, or an id that is not text
            return None
        if "" in texts:
            return None
        tids = list(map(_norm_text, texts))
        distinct = set(tids)
        return tids if len(distinct) == len(tids) and distinct <= tasks.keys() else None

    def _check_locked(self, i: int, row: list, want: dict) -> None:
        for key, j in self.locked_cols:
            raw = row[j] if j < len(row) else None
            got = raw.strip() if type(raw) is str else cell_text(raw)
            if got == want[key]:
                continue
            if key == "id":
                got = _norm_id(got)
            if got == want[key] or (key == "deadline" and parse_date(raw) == want[key]) or _same(got, want[key]):
                continue
            self.add("locked-text-altered",
                     f"「{LOCKED_TITLES[key]}」被改动:下发原文「{_clip(want[key])}」,现为「{_clip(got) or '(空)'}」;"
                     f"汇总仍按原文。", i, j)

    def _inputs(self, rows: list[list]) -> tuple[list[tuple], list[tuple], bool]:
        """(cells, their texts, whether any text looks like a formula) of the input columns of ``rows``."""
        n = len(INPUT_KEYS)
        if self.inputs_get is not None and rows and min(map(len, rows)) >= self.inputs_width:
            inputs = list(map(self.inputs_get, rows))  # INPUT_KEYS order
            try:
                flat = list(map(str.strip, chain.from_iterable(inputs)))  # every cell text (the usual case)
            except TypeError:
                flat = [x.strip() if type(x) is str else cell_text(x) for x in chain.from_iterable(inputs)]
        else:
            cols = self.form.cols
            inputs = [tuple(row[cols[k]] if k in cols and cols[k] < len(row) else None for k in INPUT_KEYS)
                      for row in rows]
            flat = [x.strip() if type(x) is str else cell_text(x) for x in chain.from_iterable(inputs)]
        texts = list(zip(*[iter(flat)] * n))  # n texts a row
        return inputs, texts, bool(_FORMULA_START.search("\0" + "\0".join(flat)))

    def _read_inputs(self, i: int, raws: tuple, texts: tuple, tid: str, role: str, suspect: bool) -> None:
        """Check and keep the inputs of task ``tid`` in row ``i`` (``suspect``: some text may look like a formula)."""
        if suspect and _FORMULA_START.search("\0" + "\0".join(texts)):
            for key, text in zip(INPUT_KEYS, texts):
                if len(text) > 1 and text[0] in _FORMULA_CHARS:
                    self._inert(i, self.form.cols[key], text, INPUT_LABELS[key])
        raw_status, progress, done_date, problems, next_steps, evidence = texts
        if raw_status in _STATUS_SET:
            status = raw_status
        else:
            status, exact = normalize_status(raw_status)
            j = self.form.cols.get("status")
            if raw_status and not exact:
                guess = f"已按「{status}」计" if status else "无法识别,未计入状态"
                self.add("invalid-status", f"任务 {tid} 的「完成状态」填写为「{_clip(raw_status)}」,不在下拉列表"
                                           f"({'/'.join(STATUSES)})中;{guess}。", i, j)
            elif not raw_status and not self.empty_because_formula(i, j):
                self.add("required-empty", f"任务 {tid} 的「完成状态」未填写。", i, j)
        if not progress and raw_status and status not in PROGRESS_OPTIONAL:
            jp = self.form.cols.get("progress")
            if not self.empty_because_formula(i, jp):
                self.add("required-empty", f"任务 {tid} 状态为「{status or raw_status}」,但「落实情况」未填写。", i, jp)
        if done_date:
            iso = self._iso(raws[2])
            if iso is None:
                self.add("invalid-date", f"任务 {tid} 的「完成时间」填写为「{_clip(done_date)}」,不是日期。",
                         i, self.form.cols.get("done_date"))
            done_date = iso or done_date
        self.values[tid] = (i + 1, role, status, raw_status, progress, done_date, problems, next_steps, evidence)


def _ref_key(ref: str) -> tuple[int, str]:
    m = re.match(r"([A-Z]+)(\d+)$", ref)
    return (int(m.group(2)), m.group(1).rjust(3)) if m else (0, ref)


# ---------------------------------------------------------------------------
# One file


@dataclass
class _Examined:
    """One file as read and validated (in this process or a worker): what storing it needs, all picklable."""

    out: FileOutcome
    findings: list[Finding]
    name_unit: str = ""  # the unit its file name names (what a duplicate is reported under)
    submission: Submission | None = None
    data: bytes | None = None  # the file's bytes, for the archive (None: not read, or too big to pass back)
    archive: bool = True  # False for files over the size limit (never archived)
    skipped: bool = False  # lock files and non-spreadsheets: nothing goes to the ledger


class _Reader:
    """Reads and validates returned files against one merge's context; touches no ledger (runs in workers too)."""

    def __init__(self, folder: Path, ctx: _Context, limits: Limits, mail_units: dict[str, str]):
        self.folder, self.ctx, self.limits = folder, ctx, limits
        self.mail_units = mail_units  # sha256 -> unit of the mail it came with (mail fetch)
        self.prefix = len(str(folder)) + 1

    def finding(self, kind: str, message: str, out: FileOutcome) -> Finding:
        return fk.finding(kind, message, unit=out.unit, file=out.file)

    def relative(self, path: Path) -> str:
        """``path`` relative to the merged folder, with forward slashes."""
        text = str(path)
        if text.startswith(str(self.folder)) and text[self.prefix - 1:self.prefix] in ("/", "\\"):
            return text[self.prefix:].replace("\\", "/")
        return path.relative_to(self.folder).as_posix()

    def examine(self, path: Path, known=None, keep_data: bool = True) -> _Examined:
        """Read and validate one file.  ``known(sha256)`` true: a duplicate, not read further.

        ``keep_data``: the file's bytes come back in ``data`` (else storing reads them again).
        """
        out = FileOutcome(file=self.relative(path), round=self.ctx.round)
        st = path.stat()
        out.received_at = _dt.datetime.fromtimestamp(st.st_mtime).isoformat(timespec="seconds")
        kind = precheck(path, self.limits, st.st_size)
        if kind in ("lock-file", "not-spreadsheet"):
            what = "Excel/WPS 的临时锁定文件" if kind == "lock-file" else f"不是表格文件({path.suffix or '无扩展名'})"
            return _Examined(out, [self.finding(kind, f"{what},已跳过。", out)], skipped=True)
        out.unit = self.ctx.unit_in_text(path.stem) or ""
        ex = _Examined(out, [], name_unit=out.unit)
        if kind == "too-large":
            out.sha256 = sha256_file(path)
            ex.archive = False
            ex.findings.append(self.finding("too-large", f"文件大小 {st.st_size:,} 字节,超过上限 "
                                                         f"{self.limits.max_file_bytes:,} 字节,未读取。", out))
        else:
            data = path.read_bytes()
            out.sha256 = hashlib.sha256(data).hexdigest()
            if keep_data:
                ex.data = data
            if known is None or not known(out.sha256):
                try:
                    ex.submission = self._read(path, out.file, data, out, ex.findings)
                except Rejected as r:
                    ex.findings.append(self.finding(r.kind, r.message, out))
        out.outcome = "accepted" if ex.submission else "rejected"
        return ex

    def _read(self, path: Path, rel: str, data: bytes, out: FileOutcome, findings: list[Finding]) -> Submission:
        book = open_book(data, self.limits)
        try:
            if book.macros:
                findings.append(self.finding("macros-present", "文件含宏(VBA/Basic 代码),宏未被执行。", out))
            form = _read_form(book, path, rel)
        finally:
            book.close()
        self._identify(form, path, rel, out, findings)
        checker = _Checker(self.ctx, form, rel, out.unit)
        checker.read_fields()
        out.rows = checker.check_table()
        findings.extend(checker.findings)
        return Submission(round=self.ctx.round, unit=out.unit, sha256=out.sha256, file_name=rel,
                          received_at=out.received_at, identified_by=out.identified_by, values=checker.values,
                          **checker.fields)

    def _identify(self, form: _Form, path: Path, rel: str, out: FileOutcome, findings: list[Finding]) -> None:
        ctx, meta = self.ctx, form.meta
        if meta and meta.get("unit"):
            out.identified_by, out.meta_source = "metadata", meta.get("meta_source", "")
            named = meta["unit"]
            unit = ctx.canonical(named)
            if unit is None:
                out.unit = named
                raise Rejected("unknown-unit", f"表中记录的填报单位「{named}」不在本轮({ctx.round})分解表的责任单位中。")
            out.unit = unit
            if meta.get("round") and meta["round"] != ctx.round:
                raise Rejected("wrong-round", f"这是「{meta['round']}」的填报表,本次汇总的轮次是「{ctx.round}」。")
            if meta.get("ledger_id") and ctx.ledger_id and meta["ledger_id"] != ctx.ledger_id:
                findings.append(self.finding("other-ledger", "该表不是由本台账下发的(台账编号不同)。", out))
            if meta.get("template_version") != fs.TEMPLATE_VERSION:
                findings.append(self.finding(
                    "old-template", f"模板版本为「{meta.get('template_version') or '未知'}」,"
                                    f"当前为「{fs.TEMPLATE_VERSION}」。", out))
            return
        fallbacks = [  # (way, unit found that way, how the finding says it)
            ("filename", lambda: ctx.unit_in_text(path.stem), "表中没有填报表元数据(可能被复制到了新文件),按文件名"),
            ("mail", lambda: ctx.canonical(self.mail_units.get(out.sha256, "")),
             "表中没有填报表元数据,文件名也不含单位名称,按收取邮件时记录的来信单位"),
            ("content", lambda: self._unit_from_content(form), "表中没有填报表元数据,文件名也不含单位名称,按表格内容"),
        ]
        for way, find, how in fallbacks:
            unit = find()
            if unit:
                out.unit, out.identified_by = unit, way
                findings.append(self.finding(f"unit-from-{way}", f"{how}识别为「{unit}」。", out))
                return
        raise Rejected("unknown-unit", "表中没有填报表元数据,文件名和表格内容中也找不到本轮的责任单位名称。")

    def _unit_from_content(self, form: _Form) -> str | None:
        """A unit named above the table (填报单位), else the unit whose task ids fit the rows best."""
        for row in form.rows[: form.header]:
            for v in row:
                unit = self.ctx.unit_in_text(cell_text(v))
                if unit:
                    return unit
        j = form.cols["id"]
        ids = {_norm_id(r[j]) for r in form.rows[form.header + 1:] if j < len(r) and cell_text(r[j])}
        if not ids:
            return None
        scores = sorted(((len(ids & {t.id for t, _ in tasks}) / len(ids | {t.id for t, _ in tasks}), u)
                         for u, tasks in self.ctx.assigned.items()), reverse=True)
        if scores and scores[0][0] >= 0.5 and (len(scores) == 1 or scores[1][0] < scores[0][0]):
            return scores[0][1]
        return None


# ---------------------------------------------------------------------------
# Reading in worker processes, storing here

PARALLEL_MIN_FILES = 40  # fewer files are read in this process (worker start-up would not pay) …
PARALLEL_MIN_FILES_SPAWN = 1000  # … or than this where workers start as fresh interpreters (Windows: ~0.3 s)
BATCH = 512  # files read before they are stored (and progress is reported)
CHUNK = 4  # files taken at a time (small: the processes meet near the end of a batch)
PIPE_BYTES = 1 << 20  # results a worker may send ahead (Linux pipes hold 64 KiB unless told otherwise)
MP_START: str | None = None  # multiprocessing start method; None: the platform's default


def default_workers() -> int:
    """Processes reading files, this one included: ``ZWGK_WORKERS`` if set, else the usable CPUs, at most 4."""
    env = os.environ.get("ZWGK_WORKERS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise UsageError(f"环境变量 ZWGK_WORKERS 应为正整数(读取表格的进程数),现为「{env}」。") from None
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


class _Chunks:
    """Chunks of a batch shared by processes: workers take them from the front, this process from the back."""

    def __init__(self, mp, chunks: list[list[Path]]):
        self.chunks = chunks  # the workers' copy (the lists are not shared; the range is)
        self.lock = mp.Lock()
        self.front, self.back = mp.RawValue("i", 0), mp.RawValue("i", len(chunks))

    def take_front(self) -> int | None:
        with self.lock:
            k = self.front.value
            if k >= self.back.value:
                return None
            self.front.value = k + 1
            return k

    def take_back(self) -> int | None:
        with self.lock:
            k = self.back.value - 1
            if k < self.front.value:
                return None
            self.back.value = k
            return k


def _worker(reader: _Reader, chunks: _Chunks, conn) -> None:
    """A worker process: examine chunks from the front, sending ``(index, results)``; ``None`` when done."""
    gc.disable()  # see _no_cyclic_gc; a worker lives for one batch
    try:
        k = chunks.take_front()
        while k is not None:
            conn.send((k, [reader.examine(path, keep_data=False) for path in chunks.chunks[k]]))
            k = chunks.take_front()
    finally:  # a chunk taken but not sent (an error) is read again by the merging process
        conn.send(None)
        conn.close()


def _widen(conn) -> None:
    """Let a pipe hold PIPE_BYTES, so a worker rarely waits for this process to take its results."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError, ValueError):
        pass


class _Merger:
    """Stores examined files in the ledger, one transaction per file, in the order of the files."""

    def __init__(self, ledger: Ledger, reader: _Reader, workers: int = 1):
        self.ledger, self.reader, self.workers = ledger, reader, workers
        self.seen: dict[str, str] = {}  # sha256 -> file of this run
        self.timings = {"read_validate": 0.0, "ledger": 0.0}
        self.used_workers = 0  # processes that read files together (0: this one alone)

    def examined(self, files: list[Path]):
        """Yield ``(path, _Examined)`` in the order of ``files``.

        With enough files, ``workers - 1`` worker processes and this one read them together, a batch
        at a time, and they are stored between batches; whatever the workers fail to deliver is read
        here.  ``read_validate`` times the reading as the wall-clock time it takes (starting and
        ending the workers included).
        """
        method = MP_START or multiprocessing.get_start_method()
        if self.workers > 1 and len(files) >= (PARALLEL_MIN_FILES if method == "fork" else PARALLEL_MIN_FILES_SPAWN):
            t0 = time.perf_counter()
            for unit in self.reader.ctx.assigned:  # built once here rather than in each process
                self.reader.ctx.issued_table(unit)
            self.timings["read_validate"] += time.perf_counter() - t0
            for start in range(0, len(files), BATCH):
                batch = files[start:start + BATCH]
                t0 = time.perf_counter()
                results = self._read_together(method, batch)
                self.timings["read_validate"] += time.perf_counter() - t0
                yield from zip(batch, results)
            return
        for path in files:
            t0 = time.perf_counter()
            ex = self.reader.examine(path, known=self.seen.__contains__)
            self.timings["read_validate"] += time.perf_counter() - t0
            yield path, ex

    def _read_together(self, method: str, batch: list[Path]) -> list[_Examined]:
        """``batch`` examined by worker processes and this one; what they do not deliver, by this one."""
        size = max(1, min(CHUNK, len(batch) // (4 * self.workers)))
        pieces = [batch[k:k + size] for k in range(0, len(batch), size)]
        results: dict[int, list[_Examined]] = {}
        procs, conns = [], []
        try:
            mp = multiprocessing.get_context(method)
            shared = _Chunks(mp, pieces)
            for _ in range(self.workers - 1):
                receive, send = mp.Pipe(duplex=False)
                _widen(send)
                proc = mp.Process(target=_worker, args=(self.reader, shared, send), daemon=True)
                proc.start()
                send.close()
                procs.append(proc)
                conns.append(receive)
            self.used_workers = self.workers
            k = shared.take_back()
            while k is not None:
                results[k] = [self._examine_draining(path, conns, results) for path in pieces[k]]
                k = shared.take_back()
            while conns and len(results) < len(pieces):  # chunks the workers took and are reading
                self._drain(conns, results, wait=True)
        except Exception:  # noqa: BLE001 - workers failed to start or broke: the rest is read below
            pass
        finally:
            for proc in procs:  # done, or still starting (a worker that took nothing is not waited for)
                proc.join(timeout=0 if len(results) == len(pieces) else 5)
                if proc.is_alive():
                    proc.terminate()
                    proc.join()
            for conn in conns:
                conn.close()
        for k, piece in enumerate(pieces):
            if k not in results:
                results[k] = [self.reader.examine(path, keep_data=False) for path in piece]
        return [ex for k in range(len(pieces)) for ex in results[k]]

    def _examine_draining(self, path: Path, conns: list, results: dict) -> _Examined:
        self._drain(conns, results)
        return self.reader.examine(path, keep_data=False)

    @staticmethod
    def _drain(conns: list, results: dict, wait: bool = False) -> None:
        """Take the results the workers have sent (``wait``: at least one message); drop finished workers."""
        for conn in multiprocessing.connection.wait(conns) if wait else [c for c in conns if c.poll()]:
            try:
                message = conn.recv()
            except (EOFError, OSError):  # the worker is gone
                message = None
            if message is None:
                conns.remove(conn)
                conn.close()
            else:
                results[message[0]] = message[1]

    def store(self, path: Path, ex: _Examined) -> tuple[FileOutcome, list[Finding]]:
        """Record one examined file in the ledger (archive, receipt, submission) in one transaction."""
        out = ex.out
        if ex.skipped:
            return out, ex.findings
        if out.sha256 in self.seen:
            out = FileOutcome(file=out.file, round=out.round, sha256=out.sha256, unit=ex.name_unit,
                              received_at=out.received_at)
            return out, [self.reader.finding("duplicate-file", f"与 {self.seen[out.sha256]} 内容完全相同,只计一次。",
                                             out)]
        t0 = time.perf_counter()
        if ex.archive and ex.data is None and not self.ledger.is_archived(out.sha256):
            data = path.read_bytes()  # read again for the archive (workers do not pass the bytes back)
            if hashlib.sha256(data).hexdigest() != out.sha256:  # changed since: examine what is archived
                self.timings["ledger"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                ex = self.reader.examine(path)
                self.timings["read_validate"] += time.perf_counter() - t0
                return self.store(path, ex)
            ex.data = data
        self.seen[out.sha256] = out.file
        with self.ledger.transaction():
            if ex.archive:
                self.ledger.archive_file(path, out.sha256, ex.data)
            self.ledger.record_receipt(self.reader.ctx.round, out.sha256, out.file, out.received_at, out.outcome,
                                       out.unit, out.identified_by, out.meta_source, ex.findings)
            if ex.submission is not None:
                self.ledger.store_submission(ex.submission)
        self.timings["ledger"] += time.perf_counter() - t0
        return out, ex.findings


# ---------------------------------------------------------------------------
# The merge


def _peek_round(files: list[Path], limits: Limits) -> str | None:
    """The round named in the metadata of the first form that has one."""
    for p in files:
        if precheck(p, limits) is not None:
            continue
        try:
            meta = read_form_metadata(p)
        except Exception:  # noqa: BLE001 - unreadable files are reported by the merge itself
            continue
        if meta and meta.get("round"):
            return meta["round"]
    return None


def _resolve_plan(ledger: Ledger, plan, round: str, directory) -> tuple[Document, str]:
    """The plan for ``round``: given (path or Document), else the ledger's for the round, else its latest."""
    ids = (lambda doc: assignment_ids(doc, directory)) if directory is not None else (lambda doc: None)
    if isinstance(plan, (str, Path)):
        path = Path(plan)
        if not path.is_file():
            raise UsageError(f"找不到分解表文件:{path}。请检查 --plan 的路径。")
        doc = read_plan(path)
        return ledger.store_plan(round, doc, source=path, assignment=ids(doc)), f"分解表 {path.name}"
    if isinstance(plan, Document):
        return ledger.store_plan(round, plan, assignment=ids(plan)), "调用方给定的分解表"
    doc = ledger.plan_for_round(round)
    if doc is not None:
        if directory is not None:
            ledger.store_plan(round, doc, assignment=ids(doc))
        return doc, f"台账中{round}的分解表"
    found = ledger.latest_plan()
    if found is None:
        raise UsageError(f"台账中还没有{round}的分解表。请用 --plan 指定分解表.xlsx。")
    ledger.store_plan(round, found[1], assignment=ids(found[1]))
    return found[1], f"沿用台账中{found[0]}的分解表"


def merge_folder(folder, ledger: Ledger, plan=None, round: str | None = None, progress: Progress | None = None,
                 limits: Limits | None = None, directory=None, workers: int | None = None) -> MergeResult:
    """Merge every returned file below ``folder`` into ``ledger``.

    Args:
        folder: the folder of returned files (searched recursively).
        ledger: an open :class:`Ledger`.
        plan: a 分解表 path, a Document, or None to use the ledger's plan for the round.
        round: the reporting round; default: the round in the first form's metadata,
            else the ledger's latest round.
        progress: called as ``progress(done, total, file)`` after each file is stored.
        limits: safety limits (:class:`zwgk_xl.intake.Limits`).
        directory: unit directory (expands groups such as 县直各部门; kept in the ledger).
        workers: processes reading the files when there are many (default :func:`default_workers`;
            1: read in this process).  The result and the ledger are the same either way.

    Returns:
        A :class:`MergeResult`; its ``exit_code`` is 0 only when no finding is above info.

    Raises:
        UsageError: the folder or plan file does not exist, or no round or plan can be found.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"找不到回收文件夹:{folder}。请检查路径。")
    limits = limits or Limits()
    files = discover(folder, exclude=[ledger.workspace / ARCHIVE_DIR])
    round = (round or "").strip() or _peek_round(files, limits) or (ledger.rounds() or [None])[-1]
    if not round:
        raise UsageError("无法确定汇总轮次:文件中没有填报表元数据,台账中也没有轮次。请用 --round 指定,如 2021年第二季度。")
    ledger.ensure_round(round)
    plan_doc, plan_source = _resolve_plan(ledger, plan, round, directory)
    ctx = _Context(round=round, ledger_id=ledger.ledger_id,
                   assigned=assigned_tasks(ledger, plan_doc, round, directory), directory=directory)
    merger = _Merger(ledger, _Reader(folder, ctx, limits, ledger.mail_units()),
                     default_workers() if workers is None else workers)
    run = ledger.start_run(round, str(folder))
    result = MergeResult(folder=str(folder), workspace=str(ledger.workspace), ledger_created=ledger.created,
                         round=round, plan_source=plan_source)
    with _no_cyclic_gc(), contextlib.closing(merger.examined(files)) as stream:
        for n, (path, ex) in enumerate(stream, start=1):
            out, found = merger.store(path, ex)
            out.findings = sum(1 for f in found if f.severity != fk.INFO)
            result.files.append(out)
            result.findings.extend(found)
            if progress:
                progress(n, len(files), out.file)
    _link_supersedes(ledger, round, result.files)
    touched = {f.unit for f in result.files if f.outcome == "accepted"}
    result.findings.extend(round_findings(ledger, round, {u: len(t) for u, t in ctx.assigned.items()}, touched))
    current = ledger.current_submissions(round)
    result.units_submitted = [u for u in ctx.assigned if u in current]
    result.units_missing = [u for u in ctx.assigned if u not in current]
    result.timings = dict(merger.timings)
    result.workers = merger.used_workers
    result.assigned = ctx.assigned
    ledger.finish_run(run, len(files), len(result.findings))
    return result


@contextlib.contextmanager
def _no_cyclic_gc():
    """The cyclic garbage collector paused: reading and storing files makes almost no cycles, while the
    collections its allocations trigger would walk the whole heap again and again (a third of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _link_supersedes(ledger: Ledger, round: str, outcomes: list[FileOutcome]) -> None:
    """Name, for each accepted file, the older files it replaces (or the newer one replacing it)."""
    subs = ledger.submissions(round)
    by_id = {s.id: s for s in subs}
    for out in outcomes:
        if out.outcome != "accepted":
            continue
        mine = next((s for s in subs if s.unit == out.unit and s.sha256 == out.sha256), None)
        if mine is None:
            continue
        out.superseded = [s.file_name for s in subs if s.superseded_by is not None and s.unit == out.unit
                          and s.id != mine.id and mine.superseded_by is None]
        if mine.superseded_by is not None:
            out.superseded_by = by_id[mine.superseded_by].file_name


def run_merge(folder, *, workspace=None, plan_path=None, round: str | None = None, output=None,
              units_path=None, progress: Progress | None = None, limits: Limits | None = None,
              today: _dt.date | None = None, workers: int | None = None) -> MergeResult:
    """The ``merge`` command: find the 台账, merge ``folder``, write the master workbook.

    The master goes to ``output`` (default ``<台账>/汇总表_<round>.xlsx``).  The
    unit directory comes from ``units_path``, else ``units`` in ``zwgk.toml``.
    """
    ws = find_workspace(Path(workspace) if workspace else None)
    if units_path is None:
        configured = read_config(ws).get("units")
        units_path = ws / configured if configured else None
    directory = None
    if units_path is not None:
        from zwgk_xl.core.units import load_directory

        directory = load_directory(units_path)
    with Ledger.open(ws) as ledger:
        result = merge_folder(folder, ledger, plan=plan_path, round=round, progress=progress, limits=limits,
                              directory=directory, workers=workers)
        t0 = time.perf_counter()
        master = build_master(ledger, ledger.plan_for_round(result.round), result.round, directory=directory,
                              today=today, assigned=result.assigned)
        target = Path(output) if output else ws / f"汇总表_{result.round}.xlsx"
        write_master(master, target)
        result.timings["master"] = time.perf_counter() - t0
        result.output = str(target)
    return result
