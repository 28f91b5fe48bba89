"""The ``split`` command: one fill-in form per unit from the 分解表, the plan recorded in the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from zwgk_xl.core import findings as fk
from zwgk_xl.core import paths
from zwgk_xl.core.errors import UsageError
from zwgk_xl.core.model import Finding
from zwgk_xl.core.results import Result
from zwgk_xl.core.values import date_option
from zwgk_xl.decompose.assign import assignment_ids, unknown_units
from zwgk_xl.decompose.plan import read_plan
from zwgk_xl.forms.writer import FormInfo, stale_forms, write_forms
from zwgk_xl.ledger.settings import load_settings
from zwgk_xl.ledger.store import Ledger, find_workspace


@dataclass
class SplitResult(Result):
    """What ``split`` did: the forms written, the ledger used (if any) and the findings."""

    command: ClassVar[str] = "split"
    round: str
    output: str
    forms: list[FormInfo] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    workspace: Path | None = None

    def summary(self) -> str:
        prefilled = sum(1 for f in self.forms if f.prefilled)
        line = f"{self.round}：共生成 {len(self.forms)} 个填报表，保存在 {self.output}"
        if prefilled:
            line += f"；{prefilled} 个预填了上一轮内容"
        if self.workspace:
            line += f"；已在台账（{self.workspace}）登记本轮分解表"
        return line + "。"

    def details(self) -> list[str]:
        return [f"{f.unit}：{f.task_count} 项任务{f'，预填上轮 {f.prefilled} 项' if f.prefilled else ''} → {f.path.name}"
                for f in self.forms]

    def data(self) -> dict:
        return {"round": self.round, "output": self.output, "workspace": str(self.workspace or ""),
                "forms": [f.to_dict() for f in self.forms]}


def check_round(round: str | None, option: str = "--round") -> str:
    """A round name as given, stripped; empty is a usage error."""
    name = (round or "").strip()
    if not name:
        raise UsageError(f"轮次（{option}）不能为空。请写明轮次，如 2021年第二季度。")
    return name


def run_split(plan_path, *, round: str, due: str, output, units=None, contact: str = "", workspace=None,
              use_ledger: bool = True) -> SplitResult:
    """Read the 分解表 and 部门名录 and write every unit's form.

    With ``use_ledger`` the 台账 (``workspace`` or found upward) records the
    plan for the round, lends its ledger id to the forms and provides the
    previous round's answers for pre-filling.  Everything is checked before
    the first file is written.
    """
    round = check_round(round)
    due_date = date_option(due, "截止日期（--due）")
    if due_date is None:
        raise UsageError("截止日期（--due）不能为空。请写明日期，如 2021-06-25。")
    plan_file = paths.input_file(plan_path, "分解表")
    out_dir = paths.output_dir(output, "填报表输出文件夹")
    ws = find_workspace(Path(workspace) if workspace else None)
    settings = load_settings(ws)
    directory = settings.directory(units, required=True)
    contact = contact or settings.contact
    plan = read_plan(plan_file)
    if not use_ledger:
        forms = write_forms(plan, directory, round, due_date.isoformat(), out_dir, contact=contact)
        ws = None
    else:
        with Ledger.open(ws) as ledger:
            forms = write_forms(plan, directory, round, due_date.isoformat(), out_dir, ledger=ledger, contact=contact)
            ledger.store_plan(round, plan, source=plan_file, assignment=assignment_ids(plan, directory))
            ledger.set_round_due(round, due_date.isoformat())
    found = [fk.finding("split-unknown-unit", f"「{u}」不在部门名录中，已按原名生成填报表。", unit=u)
             for u in unknown_units([f.unit for f in forms], directory)]
    found += [fk.finding("split-stale-form", f"输出文件夹中的 {p.name} 不是本次生成的（该单位在分解表中已无任务）。",
                         file=p.name) for p in stale_forms(out_dir, round, forms)]
    return SplitResult(round=round, output=str(out_dir), forms=forms, findings=found, workspace=ws)
