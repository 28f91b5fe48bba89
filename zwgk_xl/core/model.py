"""The task model shared by every stage.

A superior task list is a :class:`Document` holding an ordered tree of
:class:`Node` objects.  Inner nodes are sections; leaves that carry work are
tasks (``node.is_task``).  Every node has a stable id built from its numbering
path, e.g. ``"二.(三)"`` or ``"四.(一).2"``.

Merged results (the master table) are :class:`Master` objects: a pure
function of the ledger and the plan, consumed by the report stage.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date as _date
from typing import Any, Iterator

ROLE_LEAD = "牵头"
ROLE_COOPERATE = "配合"
ROLE_RESPONSIBLE = "责任"  # 按照职责分工负责 / 负责落实: responsible for its own part

STATUSES = ("已完成", "推进中", "未启动", "不涉及", "长期推进")

DEADLINE_DATE = "date"
DEADLINE_ONGOING = "长期"
DEADLINE_NONE = "none"


@dataclass
class Deadline:
    """A deadline: ISO date (or None), the original phrase and its kind."""

    date: str | None = None
    text: str = ""
    kind: str = DEADLINE_NONE  # "date" | "长期" | "none"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Source:
    """Where a node came from in its source file."""

    file: str = ""
    line: int | None = None  # 1-based line (text) or paragraph number (docx)
    sheet: str | None = None
    row: int | None = None  # 1-based spreadsheet row

    def describe(self) -> str:
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.row:
            parts.append(f"第{self.row}行")
        elif self.line:
            parts.append(f"第{self.line}行")
        return " ".join(parts)


@dataclass
class Assignment:
    """Why a superior unit was mapped to a local unit."""

    source: str  # the superior unit phrase, e.g. 省发展改革委
    local: list[str]  # local unit(s) or group names
    rule: str  # "level" | "alias" | "group" | "fuzzy" | "exact" | "manual" | "unmatched"
    score: float | None = None
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Node:
    """A numbered item: a section or a task."""

    id: str
    path: list[str]  # numbering tokens as written, half-width: ["四", "(一)", "2"]
    title: str = ""  # lead phrase, up to the first 。
    text: str = ""  # full requirement text (without the numbering token)
    lead: list[str] = field(default_factory=list)  # 牵头
    others: list[str] = field(default_factory=list)  # 配合 / 按照职责分工负责 / 责任科室
    deadline: Deadline = field(default_factory=Deadline)
    source: Source = field(default_factory=Source)
    children: list["Node"] = field(default_factory=list)
    is_task: bool = False
    warnings: list[str] = field(default_factory=list)
    review: bool = False  # flagged for a person to check
    # Filled by decomposition (local 分解表)
    lead_local: list[str] = field(default_factory=list)
    others_local: list[str] = field(default_factory=list)
    assignment_notes: list[Assignment] = field(default_factory=list)
    note: str = ""  # 备注
    origin: str = ""  # 上级任务来源 (superior task id/title)
    # Appended: roles beyond 牵头.  ``others``/``others_local`` keep every non-lead unit;
    # these name the subset with the stronger or weaker role.
    cooperate: list[str] = field(default_factory=list)  # superior units named with 配合 (subset of others)
    responsible_local: list[str] = field(default_factory=list)  # 责任单位 (subset of others_local); the rest 配合

    @property
    def level(self) -> int:
        return len(self.path)

    def walk(self) -> Iterator["Node"]:
        yield self
        for c in self.children:
            yield from c.walk()

    def to_dict(self, local: bool = False) -> dict:
        """The JSON shape of a task (see ``zwgk-xl parse --json``)."""
        d: dict[str, Any] = {
            "id": self.id,
            "path": list(self.path),
            "title": self.title,
            "text": self.text,
            "lead": list(self.lead),
            "others": list(self.others),
            "deadline": self.deadline.date,
            "deadline_text": self.deadline.text,
            "deadline_kind": self.deadline.kind,
            "review": self.review,
            "warnings": list(self.warnings),
        }
        if local:
            d["lead_local"] = list(self.lead_local)
            d["others_local"] = list(self.others_local)
            d["responsible_local"] = list(self.responsible_local)
            d["assignment_notes"] = [a.to_dict() for a in self.assignment_notes]
        return d


@dataclass
class Document:
    """A task list: metadata and the ordered tree of numbered nodes."""

    title: str = ""
    issuer: str = ""
    doc_number: str = ""  # 文号, e.g. 云政办发〔2020〕33号
    year: int | None = None
    roots: list[Node] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # document-level notes, as shown to the clerk
    source_file: str = ""
    cited: list[str] = field(default_factory=list)  # superior documents cited: 《title》(文号)
    findings: list[Finding] = field(default_factory=list, repr=False)  # typed twins of ``warnings``

    def note(self, finding: Finding) -> None:
        """Record a document-level finding (its message also joins ``warnings``)."""
        self.findings.append(finding)
        self.warnings.append(finding.message)

    def walk(self) -> Iterator[Node]:
        for r in self.roots:
            yield from r.walk()

    @property
    def tasks(self) -> list[Node]:
        return [n for n in self.walk() if n.is_task]

    @property
    def sections(self) -> list[Node]:
        return [n for n in self.walk() if not n.is_task]

    def find(self, node_id: str) -> Node | None:
        for n in self.walk():
            if n.id == node_id:
                return n
        return None

    def parent_of(self, node_id: str) -> Node | None:
        for n in self.walk():
            for c in n.children:
                if c.id == node_id:
                    return n
        return None

    def to_dict(self, local: bool = False) -> dict:
        """The JSON shape printed by ``parse --json`` (and ``decompose --json``)."""
        return {
            "title": self.title,
            "issuer": self.issuer,
            "doc_number": self.doc_number,
            "year": self.year,
            "sections": [
                {"id": n.id, "path": list(n.path), "title": n.title}
                for n in self.sections
            ],
            "tasks": [t.to_dict(local=local) for t in self.tasks],
            "warnings": list(self.warnings),
        }


# ---------------------------------------------------------------------------
# Merge results (the master table), consumed by report


@dataclass
class Finding:
    """One problem found by any stage, as data (frictionless-style); kinds are catalogued in core.findings."""

    type: str  # stable slug, e.g. "locked-text-altered"
    message: str  # Chinese, names what is wrong
    action: str = ""  # Chinese, what the clerk should do
    unit: str = ""
    file: str = ""
    sheet: str = ""
    cell: str = ""
    severity: str = "warning"  # "error" | "warning" | "info"
    line: int = 0  # line of a text input (parse), 0 when not applicable

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class UnitReport:
    """What one unit reported for one task in one round."""

    unit: str
    role: str  # "牵头" | "配合"
    status: str = ""  # one of STATUSES, or "" when not reported
    progress: str = ""  # 落实情况
    done_date: str = ""  # 完成时间, ISO
    problems: str = ""  # 存在问题
    next_steps: str = ""  # 下步计划
    evidence: str = ""  # 佐证材料
    filler: str = ""  # 填报人
    phone: str = ""  # 联系电话
    fill_date: str = ""  # 填报日期, ISO
    submitted_at: str = ""  # ISO timestamp when received
    file: str = ""  # archived file name

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class MasterRow:
    task: Node
    reports: list[UnitReport] = field(default_factory=list)  # lead first
    overdue: bool = False


@dataclass
class UnitStatus:
    unit: str
    task_count: int = 0
    submitted: bool = False
    submitted_at: str = ""
    file: str = ""
    findings: int = 0
    superseded: list[str] = field(default_factory=list)  # older files replaced
    late: bool = False  # its first file of the round arrived after the round's due date


@dataclass
class Master:
    """The merged state of one round."""

    round: str
    plan: Document
    rows: list[MasterRow] = field(default_factory=list)
    units: list[UnitStatus] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    previous_round: str | None = None
    previous_status: dict[str, str] = field(default_factory=dict)  # task id -> status
    as_of: _date | None = None  # the one date overdue tasks are judged against
