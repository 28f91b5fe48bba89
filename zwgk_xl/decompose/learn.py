"""Remember the clerk's corrections: an edited 分解表 teaches the 部门名录.

``decompose --learn 分解表.xlsx`` compares each task's units in the edited
table with what decomposition proposed (the 分配依据 sheet) and writes

* superior unit → the local unit(s) the clerk chose, into the directory's
  映射 sheet (used first by the next decomposition);
* for a unit the clerk took off a task it had been given by keywords
  (有关部门), those keywords into the unit's 排除关键词 column, so the same
  proposal is not made again.

The directory is copied to ``<name>.备份-<time>.xlsx`` before it is changed.
"""

from __future__ import annotations

import datetime as _dt
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from zwgk_xl.core import findings as fk
from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.errors import DirectoryError, InputError
from zwgk_xl.core.model import Assignment, Finding, Node
from zwgk_xl.core.results import Result
from zwgk_xl.core.units import MAPPING_COLUMNS, MAPPING_SHEET, UNITS_SHEET, load_directory, name_key, split_names
from zwgk_xl.decompose.plan import read_plan

# Rules that tie a superior unit to local units (a clerk's change of them can be learned).
_CONCRETE = ("exact", "alias", "level", "merged", "renamed", "fuzzy", "unmatched")
_KEYWORDS = re.compile(r"职能关键词「([^」]*)」")
EXCLUDED_HEADER = "排除关键词"


@dataclass
class Learned:
    """One thing learned: a mapping (superior → locals) or keywords excluded for a unit."""

    task: str
    superior: str = ""  # mapping: the superior unit
    local: list[str] = field(default_factory=list)  # mapping: the chosen local units
    unit: str = ""  # exclusion: the unit the clerk removed
    keywords: list[str] = field(default_factory=list)  # exclusion: the keywords that had proposed it

    def describe(self) -> str:
        if self.superior:
            return f"「{self.superior}」→「{'、'.join(self.local)}」（任务 {self.task}）"
        return f"「{self.unit}」不再因「{'、'.join(self.keywords)}」列为有关部门（任务 {self.task}）"


@dataclass
class LearnResult(Result):
    """What ``decompose --learn`` learned from an edited 分解表 and wrote into the 部门名录."""

    command: ClassVar[str] = "decompose-learn"
    plan: str
    units: str
    backup: str = ""
    mappings: list[Learned] = field(default_factory=list)
    exclusions: list[Learned] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        if not (self.mappings or self.exclusions):
            return f"分解表「{Path(self.plan).name}」中没有需要记住的修改，部门名录未改动。"
        return (f"已从分解表「{Path(self.plan).name}」记住 {len(self.mappings)} 条单位对应关系、"
                f"{len(self.exclusions)} 条排除关键词，写入部门名录「{Path(self.units).name}」"
                f"（原名录已备份为「{Path(self.backup).name}」）。")

    def data(self) -> dict:
        return {"plan": self.plan, "units": self.units, "backup": self.backup,
                "mappings": [{"task": m.task, "superior": m.superior, "local": m.local} for m in self.mappings],
                "exclusions": [{"task": e.task, "unit": e.unit, "keywords": e.keywords} for e in self.exclusions]}


def learn_from_plan(plan_path, units_path, *, level: str = "县") -> LearnResult:
    """Learn the clerk's corrections in an edited 分解表 into the 部门名录 (backed up first).

    Raises:
        InputError / PlanError / DirectoryError: unreadable plan or directory, or a .csv directory
            (it has no 映射 sheet to write into).
    """
    plan_path, units_path = Path(plan_path), Path(units_path)
    if units_path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise DirectoryError(f"部门名录「{units_path.name}」不是 Excel 文件，无法写入“映射”表。请另存为 .xlsx 后再运行。")
    directory = load_directory(units_path, level=level)
    plan = read_plan(plan_path)
    result = LearnResult(plan=str(plan_path), units=str(units_path))
    for task in plan.tasks:
        _learn_task(task, result)
    result.mappings = [m for m in result.mappings if directory.mappings.get(name_key(m.superior)) != m.local]
    result.exclusions = [e for e in result.exclusions
                         if set(e.keywords) - set(getattr(directory.get(e.unit), "excluded_keywords", []))]
    if result.mappings or result.exclusions:
        result.backup = str(_backup(units_path))
        _write(units_path, result)
        for item in result.mappings + result.exclusions:
            result.findings.append(fk.finding("decompose-learned", f"已记住：{item.describe()}。", cell=item.task,
                                              file=units_path.name))
    return result


def _learn_task(task: Node, result: LearnResult) -> None:
    auto = [a for a in task.assignment_notes if a.rule != "manual"]
    if len(auto) == len(task.assignment_notes):
        return  # not edited
    lead_notes = [a for a in auto if a.note.startswith("[牵头]")]
    other_notes = [a for a in auto if a.note.startswith(("[责任]", "[配合]"))]
    _learn_bucket(task, "牵头", lead_notes, task.lead_local, result)
    _learn_bucket(task, "责任/配合", other_notes, task.others_local, result)


def _learn_bucket(task: Node, role: str, notes: list[Assignment], final: list[str], result: LearnResult) -> None:
    by_source: dict[str, list[str]] = {}
    concrete: list[str] = []
    for a in notes:
        by_source.setdefault(a.source, []).extend(u for u in a.local if u not in by_source.get(a.source, []))
        if a.rule in _CONCRETE and a.source not in concrete:
            concrete.append(a.source)
    proposed = [u for units in by_source.values() for u in units]
    removed = [u for u in dict.fromkeys(proposed) if u not in final]
    added = [u for u in final if u not in proposed]
    for a in notes:
        if a.rule == "topic" and a.local and a.local[0] in removed:
            kws = [k for m in _KEYWORDS.findall(a.note) for k in split_names(m)]
            if kws:
                result.exclusions.append(Learned(task.id, unit=a.local[0], keywords=kws))
    lost = [s for s in concrete if all(u in removed for u in by_source[s])]
    if added and len(lost) == 1:
        result.mappings.append(Learned(task.id, superior=lost[0], local=added))
    elif added and len(concrete) == 1 and not lost:
        kept = [u for u in by_source[concrete[0]] if u in final]
        result.mappings.append(Learned(task.id, superior=concrete[0], local=kept + added))
    elif added and concrete:
        result.findings.append(fk.finding(
            "decompose-learn-skipped",
            f"任务 {task.id} 的{role}单位改为「{'、'.join(final)}」，但无法判断对应上级的哪个单位"
            f"（{'、'.join(concrete)}），未自动记住。", cell=task.id))


def _backup(path: Path) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.备份-{stamp}{path.suffix}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.stem}.备份-{stamp}-{n}{path.suffix}")
    shutil.copy2(path, target)
    return target


def _write(path: Path, result: LearnResult) -> None:
    """Write the learned mappings into 映射 and the exclusions into 排除关键词, keeping everything else."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
    except Exception as e:  # noqa: BLE001
        raise DirectoryError(f"无法打开部门名录「{path.name}」，请确认它是完好的 Excel 文件。") from e
    today = f"{_dt.date.today():%Y年%m月%d日}"
    if result.mappings:
        ws = wb[MAPPING_SHEET] if MAPPING_SHEET in wb.sheetnames else wb.create_sheet(MAPPING_SHEET)
        if ws.max_row <= 1 and not ws.cell(1, 1).value:
            for c, h in enumerate(MAPPING_COLUMNS, start=1):
                ws.cell(1, c, h)
        rows = {name_key(str(ws.cell(r, 1).value or "")): r for r in range(2, ws.max_row + 1)}
        for m in result.mappings:
            r = rows.get(name_key(m.superior)) or ws.max_row + 1
            ws.cell(r, 1, m.superior)
            ws.cell(r, 2, "、".join(m.local))
            ws.cell(r, 3, f"{today}从分解表「{Path(result.plan).name}」任务 {m.task} 的修改中记住")
            rows[name_key(m.superior)] = r
    if result.exclusions:
        ws = wb[UNITS_SHEET] if UNITS_SHEET in wb.sheetnames else wb.worksheets[0]
        header = next((r for r in range(1, min(ws.max_row, 10) + 1)
                       if "单位名称" in [str(c.value or "").strip() for c in ws[r]]), None)
        if header is None:
            raise DirectoryError(f"部门名录「{path.name}」中找不到“单位名称”列，无法记录排除关键词。")
        heads = {str(c.value or "").strip(): c.column for c in ws[header]}
        col = heads.get(EXCLUDED_HEADER) or ws.max_column + 1
        ws.cell(header, col, EXCLUDED_HEADER)
        row_of = {str(ws.cell(r, heads["单位名称"]).value or "").strip(): r for r in range(header + 1, ws.max_row + 1)}
        for e in result.exclusions:
            r = row_of.get(e.unit)
            if r is None:
                continue
            have = split_names(str(ws.cell(r, col).value or ""))
            ws.cell(r, col, "、".join(dict.fromkeys(have + e.keywords)))
    with atomic_path(path, InputError) as tmp:
        wb.save(tmp)
