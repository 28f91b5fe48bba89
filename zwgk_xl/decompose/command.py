"""The ``decompose`` command: read its input, map it onto the directory, write the 分解表."""

from __future__ import annotations

from dataclasses import dataclass, field
import shutil
from pathlib import Path
from typing import ClassVar

from python_calamine import CalamineWorkbook

from zwgk_xl.core import findings as fk
from zwgk_xl.core import paths
from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.errors import InputError, PlanError, UsageError
from zwgk_xl.core.model import Document, Finding
from zwgk_xl.core.results import Result
from zwgk_xl.core.units import load_directory
from zwgk_xl.decompose.learn import learn_from_plan
from zwgk_xl.decompose.mapping import DEFAULT_FUZZY_CUTOFF, decompose, unmatched
from zwgk_xl.ledger.settings import load_settings
from zwgk_xl.ledger.store import find_workspace
from zwgk_xl.decompose.plan import is_plan, read_plan, write_plan
from zwgk_xl.parse import parse_file
from zwgk_xl.parse.command import task_findings
from zwgk_xl.parse.tasktable import SHEET_TASKS, read_task_table


def load_input(path, year: int | None = None) -> Document:
    """Read what ``decompose`` starts from: a 分解表, a ``parse`` task table or a superior document.

    Workbooks are told apart by their sheets: a header with 任务编号 and 牵头单位
    (分解表), a sheet 任务清单 (``parse -o``); anything else goes to the parser.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"找不到输入文件：{path}。请检查路径。")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if is_plan(path):
            return read_plan(path)
        if SHEET_TASKS in _sheet_names(path):
            return read_task_table(path)
    return parse_file(path, year=year)


def _sheet_names(path: Path) -> list[str]:
    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:  # noqa: BLE001 - unreadable: let the parser report it
        return []


def decompose_file(
    input_path,
    units_path,
    output=None,
    level: str = "县",
    year: int | None = None,
    fuzzy_cutoff: float = DEFAULT_FUZZY_CUTOFF,
    *,
    area: str = "",
    organ: str = "",
    office: str = "",
) -> Document:
    """Read INPUT, decompose it with the 部门名录 and write the 分解表 (if ``output``).

    ``area``/``organ`` make the document the local one (title, 编制单位); ``office``
    is the 政务公开 office proposed as lead where the superior names none.

    Raises:
        UsageError: ``output`` would overwrite the input or the directory.
    """
    if output is not None:
        out = Path(output).resolve()
        for p in (input_path, units_path):
            if Path(p).exists() and Path(p).resolve() == out:
                raise UsageError(f"输出文件不能与输入文件相同（{Path(p).name}），请用 -o 指定另一个文件名。")
    directory = load_directory(units_path, level=level)
    doc = decompose(load_input(input_path, year=year), directory, level=level, fuzzy_cutoff=fuzzy_cutoff,
                    area=area, organ=organ, office=office)
    doc.warnings = [*directory.warnings, *doc.warnings]
    if output is not None:
        keep_previous(Path(output))
        write_plan(doc, output, directory=directory, level=level, area=area, organ=organ)
    return doc


def keep_previous(plan: Path) -> Path | None:
    """A 分解表 about to be replaced may hold the clerk's edits: keep it beside as ``<名>.bak.xlsx``."""
    if not plan.is_file():
        return None
    backup = plan.with_name(f"{plan.stem}.bak{plan.suffix}")
    with atomic_path(backup, PlanError) as tmp:
        shutil.copyfile(plan, tmp)
    return backup


@dataclass
class DecomposeResult(Result):
    """What ``decompose`` did: the decomposed document, the 分解表 written and the findings."""

    command: ClassVar[str] = "decompose"
    input: str
    document: Document
    output: str = ""
    units: str = ""
    findings: list[Finding] = field(default_factory=list)

    @property
    def unmatched(self) -> list[tuple[str, str]]:
        return unmatched(self.document)

    def summary(self) -> str:
        tasks = self.document.tasks
        assigned = sum(1 for t in tasks if t.lead_local or t.others_local)
        parts = [f"已分解《{self.document.title or Path(self.input).name}》：{len(tasks)} 项任务，"
                 f"{assigned} 项已落实到本级单位"]
        if self.unmatched:
            parts.append(f"未匹配的上级单位 {len(self.unmatched)} 个（见分解表“分配依据”表，请人工指定）")
        if self.output:
            parts.append(f"已写出 {self.output}")
        return "；".join(parts) + "。"

    def data(self) -> dict:
        return {"input": self.input, "output": self.output, "units": self.units,
                "unmatched": [{"task": t, "source": s} for t, s in self.unmatched],
                "document": self.document.to_dict(local=True)}


def run_decompose(input_path, *, units=None, output=None, level: str | None = None, year: int | None = None,
                  workspace=None) -> DecomposeResult:
    """The ``decompose`` command: the 部门名录 from ``units`` or the settings; outputs checked first."""
    settings = load_settings(find_workspace(Path(workspace) if workspace else None))
    src = paths.input_file(input_path, "输入文件")
    units_path = settings.required_units_path(units)
    if output is not None:
        paths.output_file(output, "分解表", inputs=[src, units_path])
    doc = decompose_file(src, units_path, output=output, level=level or settings.level, year=year,
                         area=settings.area, organ=settings.organ, office=settings.office)
    found = [*doc.findings, *(fk.finding("directory-note", w) for w in doc.warnings
                              if w not in {f.message for f in doc.findings})]
    named = {f.cell for f in found if f.cell}
    found += [f for f in task_findings(doc, "decompose-task-check") if f.cell not in named]
    return DecomposeResult(input=str(src), document=doc, output=str(output or ""), units=str(units_path),
                           findings=found)


def run_learn(plan_path, *, units=None, level: str | None = None, workspace=None):
    """``decompose --learn``: remember the clerk's corrections in an edited 分解表 (the 部门名录 backed up first)."""
    settings = load_settings(find_workspace(Path(workspace) if workspace else None))
    plan = paths.input_file(plan_path, "分解表")
    return learn_from_plan(plan, settings.required_units_path(units), level=level or settings.level)
