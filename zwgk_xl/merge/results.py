"""What a merge returns: one :class:`FileOutcome` per file found, and the :class:`MergeResult`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import ClassVar

from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import Finding
from zwgk_xl.core.results import Result


@dataclass
class FileOutcome:
    """What became of one file found in the folder."""

    file: str  # path relative to the merged folder
    outcome: str = "skipped"  # "accepted" | "rejected" | "skipped" | "attached" (not a spreadsheet, beside its
    # unit's form in force: a stamped scan or a note, see merge.attachments) | "unpacked" (a .zip whose
    # spreadsheets were taken out, each a file of its own: see merge.archives)
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
    also: list[str] = field(default_factory=list)  # other units whose forms were on further sheets of the file

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class MergeResult(Result):
    """The outcome of a merge: files, findings, and the round's reporting state."""

    command: ClassVar[str] = "merge"

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
    backup: str = ""  # the copy of the ledger kept before this merge wrote ("" if none was made)
    unchanged: int = 0  # files already merged for this round with the same plan, taken from the ledger unread
    master_written: bool = True  # False: nothing changed since the last merge, the master stood
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (not serialised)
    workers: int = 0  # worker processes that read the files, 0: read in this process (not serialised)
    assigned: dict | None = field(default=None, repr=False)  # unit -> [(task, role)] used (not serialised)

    def counts(self) -> dict:
        """Files per outcome, findings per severity, units submitted and missing."""
        count = lambda what: sum(1 for f in self.files if f.outcome == what)  # noqa: E731
        return {"files": len(self.files), "accepted": count("accepted"), "rejected": count("rejected"),
                "attached": count("attached"), "unpacked": count("unpacked"), "skipped": count("skipped"),
                "new": len(self.files) - self.unchanged, "unchanged": self.unchanged,
                **fk.counts(self.findings),
                "units_submitted": len(self.units_submitted), "units_missing": len(self.units_missing)}

    def unit_rows(self) -> list[list]:
        """Per unit, reported first: unit, 已报送/未报送, its accepted files, its findings above info."""
        files: dict[str, list[str]] = {}
        problems: dict[str, int] = {}
        for f in self.files:
            if f.unit and f.outcome == "accepted":
                files.setdefault(f.unit, []).append(f.file)
        for f in self.findings:
            if f.unit and f.severity != fk.INFO:
                problems[f.unit] = problems.get(f.unit, 0) + 1
        return ([[u, "已报送", files.get(u, []), problems.get(u, "")] for u in self.units_submitted]
                + [[u, "未报送", [], problems.get(u, "")] for u in self.units_missing])

    @property
    def findings_where(self) -> str:
        """Where a clerk finds every finding when a command lists only some."""
        return "全部见汇总表的“问题清单”页" if self.output else super().findings_where

    def summary(self) -> str:
        """One Chinese line: the round, files by outcome, units submitted, findings and the master's path."""
        s = self.counts()
        notes = []
        if s["unpacked"]:
            archives = tuple(f.file + "/" for f in self.files if f.outcome == "unpacked")
            taken = sum(1 for f in self.files if f.file.startswith(archives))
            notes.append(f"含从 {s['unpacked']} 个压缩包中取出的 {taken} 个")
        if s["unchanged"]:
            notes.append(f"新收 {s['new']}，此前已汇总 {s['unchanged']}")
        paren = f"（{'；'.join(notes)}）" if notes else ""
        attached = f"，另附 {s['attached']}" if s["attached"] else ""
        line = (f"{self.round}：{s['files']} 个文件{paren}，采用 {s['accepted']}{attached}，拒收 {s['rejected']}，"
                f"跳过 {s['skipped']}；"
                f"已报送 {s['units_submitted']}/{s['units_submitted'] + s['units_missing']} 个单位；"
                f"错误 {s['errors']} 条，警告 {s['warnings']} 条，提示 {s['notes']} 条。")
        return line + (f"汇总表：{self.output}" if self.output else "")

    def details(self) -> list[str]:
        """Lines shown above the summary: a ledger just created, the ledger and plan used, units missing."""
        lines = []
        if self.ledger_created:
            lines.append(f"未找到台账，已在 {self.workspace} 新建台账（台账.sqlite）。以后在此文件夹或其子文件夹中运行即可。")
        lines.append(f"台账：{self.workspace}；分解表：{self.plan_source}")
        if self.units_missing:
            lines.append(f"未报送：{'、'.join(self.units_missing)}")
        if not self.master_written:
            lines.append("回收文件夹与上次汇总相比没有变化，台账和汇总表保持不变。")
        return lines

    def data(self) -> dict:
        return {"round": self.round, "folder": self.folder, "workspace": self.workspace,
                "ledger_created": self.ledger_created, "plan_source": self.plan_source, "output": self.output,
                "backup": self.backup, "totals": self.counts(), "files": [f.to_dict() for f in self.files],
                "units_submitted": list(self.units_submitted), "units_missing": list(self.units_missing)}
