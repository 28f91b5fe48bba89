"""What one merge checks the returned forms against: the tasks each unit was issued, with their locked cells."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import itemgetter

from zwgk_xl.core.model import Node
from zwgk_xl.core.units import NameIndex
from zwgk_xl.core.values import cell_text, parse_date
from zwgk_xl.forms import spec as fs
from zwgk_xl.forms.writer import locked_rows

LOCKED_KEYS = [k for k, _ in fs.LOCKED_COLUMNS]
LOCKED_CELLS = itemgetter(*LOCKED_KEYS)  # a row's locked cells (dict) as a tuple, in column order
INPUT_KEYS = [k for k, _ in fs.INPUT_COLUMNS]
LOCKED_TITLES = dict(fs.LOCKED_COLUMNS)
ISSUER_ENDINGS = ("人民政府办公室", "人民政府办公厅", "政府办公室", "政府办")  # the office that sends the notices
_ID_CHARS = str.maketrans({"(": "(", ")": ")", "。": ".", ".": ".", " ": "", "\u3000": ""})


@dataclass
class Expected:
    """What a unit's form was issued with (computed once per unit and merge)."""

    tasks: dict[str, tuple[Node, str]]  # task id -> (task, role)
    locked: dict[str, dict]  # task id -> locked cells (formspec.LOCKED_COLUMNS keys)
    issued: list[str]  # task ids in issued order
    wants: dict[tuple, dict[str, tuple]] = field(default_factory=dict)  # locked keys -> task id -> cells
    _by_title: dict[str, str] | None = None

    @classmethod
    def of(cls, expected: list[tuple[Node, str]], locked: dict[tuple[str, str], dict]) -> "Expected":
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
class Context:
    round: str
    ledger_id: str
    assigned: dict[str, list[tuple[Node, str]]]  # unit -> [(task, role)]
    directory: object = None
    names: list[tuple[str, str]] = field(default_factory=list)  # (name or alias, unit), longest first
    expectations: dict[str, Expected] = field(default_factory=dict)
    locked: dict[tuple[str, str], dict] = field(default_factory=dict)  # (task id, role) -> locked cells
    tables: dict[str, list[tuple]] = field(default_factory=dict)  # unit -> issued_table(unit)
    issued_rows: dict[tuple[str, str], tuple] = field(default_factory=dict)  # (task id, role) -> its table row
    row_texts: dict[tuple[str, str], str] = field(default_factory=dict)  # (task id, role) -> fs.locked_row_text
    checksums: dict[str, str] = field(default_factory=dict)  # unit -> checksum (see checksum)
    dates: dict[str, str | None] = field(default_factory=dict)  # text -> parse_date(text), memoised
    issuers: frozenset[str] = frozenset()  # the issuing office (names as configured; canonical after init)
    unit_of_name: dict[str, str] = field(default_factory=dict)  # name or alias -> unit
    ids: dict[str, frozenset[str]] = field(default_factory=dict)  # unit -> ids of its tasks (see task_ids)
    holders_of: dict[str, list[str]] | None = None  # task id -> units sent it (see holders)
    name_index: NameIndex | None = None  # finds names and aliases in file names (see units_in_name)
    named: dict[str, tuple[str, ...]] = field(default_factory=dict)  # text -> units_in_name(text), remembered
    year: int | None = None  # the round's year (2021年第二季度 -> 2021): dates written without one

    def __post_init__(self):
        found = re.search(r"((?:19|20|21)\d\d)\s*年", self.round or "")
        self.year = self.year or (int(found.group(1)) if found else None)
        issuers = {self.canonical(n) or n for n in self.issuers}
        self.issuers = frozenset(issuers | {u for u in self.assigned if u.endswith(ISSUER_ENDINGS)})
        pairs = {u: u for u in self.assigned}
        for u in self.assigned:
            entry = self.directory.get(u) if self.directory is not None else None
            for alias in getattr(entry, "aliases", []) or []:
                if len(alias) >= 2:
                    pairs.setdefault(alias, u)
        self.names = sorted(pairs.items(), key=lambda p: -len(p[0]))
        self.unit_of_name = dict(self.names)
        self.name_index = NameIndex(self.unit_of_name)

    def canonical(self, name: str) -> str | None:
        """The expected unit ``name`` stands for (exact, or via the directory's aliases)."""
        name = (name or "").strip()
        if name in self.assigned:
            return name
        entry = self.directory.get(name) if self.directory is not None and name else None
        if entry is not None and entry.name in self.assigned:
            return entry.name
        return None

    def task_ids(self, unit: str) -> frozenset[str]:
        """The ids of the tasks ``unit`` was sent."""
        got = self.ids.get(unit)
        if got is None:
            got = self.ids[unit] = frozenset(t.id for t, _ in self.assigned.get(unit, []))
        return got

    def holders(self, task_id: str) -> list[str]:
        """The units that were sent task ``task_id`` (an index built once, so no file is compared with every unit)."""
        if self.holders_of is None:
            self.holders_of = {}
            for unit, tasks in self.assigned.items():
                for t, _ in tasks:
                    self.holders_of.setdefault(t.id, []).append(unit)
        return self.holders_of.get(task_id, [])

    def expected(self, unit: str) -> Expected:
        """The tasks ``unit`` was sent, with their locked cells."""
        if unit not in self.expectations:
            self.expectations[unit] = Expected.of(self.assigned.get(unit, []), self.locked)
        return self.expectations[unit]

    def checksum(self, unit: str) -> str:
        """The checksum the form of ``unit`` would carry if it were issued from the current plan
        (``fs.locked_checksum`` of its rows, each row's text made once per merge: units share tasks)."""
        got = self.checksums.get(unit)
        if got is None:
            texts = self.row_texts
            got = self.checksums[unit] = fs.checksum_of_rows([texts.get((t.id, role)) or self._row_text(t, role)
                                                              for t, role in self.assigned.get(unit, [])])
        return got

    def issued_table(self, unit: str) -> list[tuple]:
        """The locked cells of ``unit``'s form as issued: one tuple (LOCKED_KEYS order) a row."""
        table = self.tables.get(unit)
        if table is None:
            rows = self.issued_rows
            table = self.tables[unit] = [rows.get((t.id, role)) or self._issued_row(t, role)
                                         for t, role in self.assigned.get(unit, [])]
        return table

    def _row_text(self, task: Node, role: str) -> str:
        """``fs.locked_row_text`` of one task's row as issued, made once per merge."""
        text = self.row_texts[task.id, role] = fs.locked_row_text(self._issued_row(task, role))
        return text

    def _issued_row(self, task: Node, role: str) -> tuple:
        """The locked cells of one task's row as issued (LOCKED_KEYS order), made once per merge."""
        row = self.issued_rows.get((task.id, role))
        if row is None:
            row = self.issued_rows[task.id, role] = LOCKED_CELLS(locked_rows([(task, role)])[0])
        return row

    def date(self, raw) -> str | None:
        """``parse_date(raw)``, memoised for text (the same dates recur across forms)."""
        if type(raw) is not str:
            return parse_date(raw)
        if raw not in self.dates:
            self.dates[raw] = parse_date(raw)
        return self.dates[raw]


NORM_IDS: dict[str, str] = {}  # text -> norm_text(text), remembered (ids recur across forms)


def norm_text(text: str) -> str:
    """A task id as written (stripped text) in its canonical form."""
    got = NORM_IDS.get(text)
    if got is None:
        got = text.translate(_ID_CHARS)
        if len(NORM_IDS) < 100_000:
            NORM_IDS[text] = got
    return got


def norm_id(value) -> str:
    return norm_text(cell_text(value))


def same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "…"
