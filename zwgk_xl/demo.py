"""A realistic year on bundled sample data, in a 台账 folder of its own.

``zwgk-xl demo 示例台账`` runs every stage the way an office would, with the
mess real replies bring: parse the superior list (the 2020 Yunnan 工作要点, a
real public scraped page), decompose it onto the sample county, and run two
reporting rounds.  In each round most departments reply (forms filled with
openpyxl, as a department's Excel would); some replies are re-saved as .xls
or .ods through LibreOffice (when installed), one edits locked text, one is
sent twice, one types its own status, one arrives late and two units stay
silent.  The replies are merged, the report (and its PDF, with LibreOffice)
is written with what moved since the last round, and notification and
reminder mails are prepared as .eml files (nothing is sent).

The folder is marked as the demo's own (``.zwgk-demo``): the demo never
writes into a folder holding anything it did not make.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from zwgk_xl.core import findings as fk
from zwgk_xl.core.errors import ConverterMissing, InputError, UsageError
from zwgk_xl.core.model import Finding
from zwgk_xl.core.office import convert_with_soffice, soffice_path
from zwgk_xl.core.results import Result

MARKER = ".zwgk-demo"
SAMPLE_LIST = "示例_2020年云南省政务公开工作要点.txt"
ROUNDS = [("2020年第三季度", _dt.date(2020, 9, 25)), ("2020年第四季度", _dt.date(2020, 12, 25))]
# The status a unit gives, by round, cycling over its tasks: progress moves between rounds.
_STATUS_CYCLES = [
    ["推进中", "推进中", "未启动", "已完成", "长期推进", "推进中", "未启动", "不涉及"],
    ["已完成", "已完成", "推进中", "已完成", "长期推进", "已完成", "推进中", "不涉及"],
]


@dataclass
class DemoResult(Result):
    """What the demo made, in the words a newcomer needs."""

    command: ClassVar[str] = "demo"
    folder: Path
    steps: list[tuple[str, str]] = field(default_factory=list)  # (what, detail)
    replied: list[str] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # the last round's merge findings
    open_first: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:  # the findings it shows are the point of the demo, not its failure
        return True

    def details(self) -> list[str]:
        lines = [f"{what}：{detail}" for what, detail in self.steps]
        kinds = Counter(fk.title(f.type) for f in self.findings if f.severity != fk.INFO)
        if kinds:
            lines.append("汇总时发现的问题（按类型）：" + "，".join(f"{k} {n} 条" for k, n in kinds.most_common()))
        notes = Counter(fk.title(f.type) for f in self.findings if f.severity == fk.INFO)
        if notes:
            lines.append("另有提示：" + "，".join(f"{k} {n} 条" for k, n in notes.most_common()))
        if self.silent:
            lines.append(f"未报送的单位（{len(self.silent)} 个）：{'、'.join(self.silent)}")
        lines.append("先打开：" + "；".join(self.open_first))
        return lines

    def summary(self) -> str:
        return f"完成。示例台账在 {self.folder}。"

    def data(self) -> dict:
        return {"folder": str(self.folder), "steps": [list(s) for s in self.steps], "replied": self.replied,
                "silent": self.silent, "open_first": self.open_first}


def _data(name: str) -> Path:
    return Path(__file__).parent / "data" / name


def prepare_folder(folder: Path, force: bool) -> None:
    """Refuse a folder the demo did not make (``force`` allows one with nothing of the tool's in it)."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"「{folder}」是一个文件。请给出一个新的文件夹名，如 示例台账。")
    if not folder.exists() or not any(folder.iterdir()) or (folder / MARKER).is_file():
        return
    ours = [n for n in ("台账.sqlite", "zwgk.toml") if (folder / n).exists()]
    if ours:
        raise UsageError(f"文件夹「{folder}」中有 {'、'.join(ours)}，像是真实的台账，示例不会写入。请另指定一个新的文件夹。")
    if not force:
        raise UsageError(f"文件夹「{folder}」已有其他内容。请指定一个新的文件夹，或加 --force 在其中生成示例。")


def _fill_form(src: Path, dst: Path, unit: str, k: int, round_no: int, *, status_override: str = "",
               edit_locked: bool = False) -> None:
    """Fill a form as a department would (with a spreadsheet program) and save it as ``dst``."""
    from openpyxl import load_workbook

    from zwgk_xl.forms import spec as fs

    wb = load_workbook(src)
    ws = wb[fs.TASK_SHEET]
    r = fs.FIRST_DATA_ROW + 1  # openpyxl is 1-based
    col = {key: i + 1 for key, i in fs.COLUMN_INDEX.items()}
    cycle = _STATUS_CYCLES[round_no]
    n = 0
    while ws.cell(r, col["id"]).value:
        title = str(ws.cell(r, col["title"]).value or "")
        status = cycle[(k + n) % len(cycle)]
        if status_override and n == 0:
            status = status_override
        ws.cell(r, col["status"]).value = status
        for key in ("progress", "problems", "next_steps", "done_date"):
            ws.cell(r, col[key]).value = None
        if status == "不涉及":
            ws.cell(r, col["progress"]).value = "本单位无此项职能。"
        elif status == "未启动":
            ws.cell(r, col["problems"]).value = "相关工作需等待上级统一部署。"
            ws.cell(r, col["next_steps"]).value = "上级部署后一个月内启动。"
        else:
            items, talks = 12 + (k * 7 + n) % 40 + 20 * round_no, 1 + (k + n) % 4 + round_no
            ws.cell(r, col["progress"]).value = (
                f"按照“{title}”的要求，在县政府门户网站主动公开相关信息{items}条，开展政策解读{talks}次。")
            if status == "已完成":
                month = 7 + 3 * round_no + (k + n) % 3
                ws.cell(r, col["done_date"]).value = _dt.date(2020, month, 5 + (k * 3 + n) % 20)
            if (k + n) % 5 == 0:
                ws.cell(r, col["problems"]).value = "基层工作人员业务能力有待提高。"
            ws.cell(r, col["next_steps"]).value = "持续做好信息更新和公开。"
        n += 1
        r += 1
    if edit_locked:  # sheet protection stops Excel users, not every program
        ws.cell(fs.FIRST_DATA_ROW + 1, col["title"]).value = "（已修改）" + str(
            ws.cell(fs.FIRST_DATA_ROW + 1, col["title"]).value or "")
    frow, fcol = fs.FORM_FIELD_CELLS["filler"]
    ws.cell(frow + 1, fcol + 1).value = f"{unit[1:3]}联络员"
    prow, pcol = fs.FORM_FIELD_CELLS["fill_date"]
    ws.cell(prow + 1, pcol + 1).value = ROUNDS[round_no][1] - _dt.timedelta(days=3)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)


_NOISE_RUN = re.compile(r"疑似噪声字符「([^」]+)」，请对照原文核对")


def _check_noise(plan_path: Path, findings: list[Finding]) -> list[str]:
    """What a clerk does with parse's 「请对照原文核对」 notes before issuing forms: the sample list's flagged
    runs are noise a web page inserted (the original has none), so they are deleted from the 分解表 in Excel
    (here openpyxl).  Returns the runs deleted."""
    from openpyxl import load_workbook

    runs = list(dict.fromkeys(m.group(1) for f in findings if f.type == "parse-noise"
                              for m in [_NOISE_RUN.search(f.message)] if m))
    if not runs:
        return []
    wb = load_workbook(plan_path)
    done = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and any(r in c.value for r in runs):
                    done.update(r for r in runs if r in c.value)
                    for r in runs:
                        c.value = c.value.replace(r, "")
    wb.save(plan_path)
    return [r for r in runs if r in done]


def _stamp(path: Path, when: _dt.datetime) -> None:
    """Give a reply the time it arrived (merge takes a file's time as its receive time)."""
    t = when.timestamp()
    os.utime(path, (t, t))


def _reply_round(forms, back: Path, round_no: int, leads: set[str], res: DemoResult) -> list[str]:
    """Write one round's replies into ``back``; returns what was done to them, for the summary."""
    due = ROUNDS[round_no][1]
    on_time = _dt.datetime.combine(due - _dt.timedelta(days=2), _dt.time(16, 30))
    last = round_no == len(ROUNDS) - 1
    can_convert = soffice_path() is not None
    notes: list[str] = []
    replied, silent = [], []
    plain = sorted(forms, key=lambda f: f.unit)
    others = [f for f in plain if f.unit not in leads]
    silent_units = [f.unit for f in others[-2:]]  # two units that do not lead anything stay silent
    others = others[:-2]
    special = {"xls": others[0].unit, "ods": others[1].unit, "edited": others[2].unit, "twice": others[3].unit,
               "typed": others[4].unit, "late": others[5].unit} if last and len(others) > 6 else {}
    for k, form in enumerate(plain):
        if form.unit in silent_units and (last or form.unit == silent_units[0]):
            silent.append(form.unit)
            continue
        name = f"{form.unit}_回复.xlsx" if k % 3 else form.path.name
        dst = back / name
        _fill_form(form.path, dst, form.unit, k, round_no, status_override="基本完成" if
                   form.unit == special.get("typed") else "", edit_locked=form.unit == special.get("edited"))
        _stamp(dst, on_time - _dt.timedelta(hours=k))
        if form.unit == special.get("late"):
            _stamp(dst, _dt.datetime.combine(due + _dt.timedelta(days=3), _dt.time(9, 0)))
        if form.unit == special.get("twice"):
            again = back / f"{form.unit}_回复（更正）.xlsx"
            _fill_form(form.path, again, form.unit, k + 1, round_no)
            _stamp(again, on_time + _dt.timedelta(hours=2))
        for kind in ("xls", "ods"):
            if form.unit == special.get(kind) and can_convert:
                try:
                    converted = convert_with_soffice(dst, kind, back)
                except (ConverterMissing, InputError):
                    continue
                dst.unlink()
                _stamp(converted, on_time)
        replied.append(form.unit)
    if special:
        notes.append(f"{special['xls']}、{special['ods']}另存为 .xls/.ods" if can_convert else
                     "本机未安装 LibreOffice，未模拟另存为 .xls/.ods")
        notes.append(f"{special['edited']}改动了锁定的任务内容，{special['twice']}报送了两次，"
                     f"{special['typed']}自填了完成状态，{special['late']}逾期报送")
    res.replied, res.silent = replied, silent
    return notes


def run_demo(folder, force: bool = False) -> DemoResult:
    """Run parse → decompose → two rounds of split, replies, merge → report → mails (dry run) in ``folder``."""
    from zwgk_xl.decompose.command import run_decompose
    from zwgk_xl.forms.command import run_split
    from zwgk_xl.mail.commands import run_remind, run_send
    from zwgk_xl.merge import run_merge
    from zwgk_xl.parse.command import run_parse
    from zwgk_xl.report.render import report_workspace

    folder = Path(folder)
    prepare_folder(folder, force)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("zwgk-xl demo\n", encoding="utf-8")
    for sub in ("下发", "回收", "待发邮件", "催报邮件", "归档"):
        shutil.rmtree(folder / sub, ignore_errors=True)
    for old in [folder / "台账.sqlite", *folder.glob("台账.sqlite*")]:
        old.unlink(missing_ok=True)
    res = DemoResult(folder=folder)
    (folder / "zwgk.toml").write_text(
        '# 示例台账的设置\nunits = "部门名录.xlsx"\narea = "示例县"\nlevel = "县"\n\n'
        '[report]\norgan = "示例县人民政府办公室"\n\n'
        '[mail]\ncontact = "县政府办公室 张三 0878-1234567"\nfrom = "zwgk@x-county.example.com"\n',
        encoding="utf-8")
    src_dir = folder / "上级文件"
    src_dir.mkdir(exist_ok=True)
    superior = src_dir / "2020年云南省政务公开工作要点.txt"
    shutil.copyfile(_data(SAMPLE_LIST), superior)
    units = folder / "部门名录.xlsx"
    shutil.copyfile(_data("部门名录_示例县.xlsx"), units)

    parsed = run_parse(superior, output=folder / "上级任务.xlsx")
    res.steps.append(("解析上级文件", f"{len(parsed.document.tasks)} 项任务，{len(parsed.findings)} 条提示 → 上级任务.xlsx"))
    plan_path = folder / "分解表.xlsx"
    plan = run_decompose(superior, units=units, output=plan_path, workspace=folder).document
    res.steps.append(("分解到本县单位", f"{len(plan.tasks)} 项任务 → 分解表.xlsx"))
    fixed = _check_noise(plan_path, parsed.findings)
    if fixed:
        res.steps.append(("对照原文核对解析提示", f"在分解表中删去疑似噪声字符{'、'.join(f'「{r}」' for r in fixed)}"
                                            "（办事员的操作，示例中代为完成）"))
    leads = {u for t in plan.tasks for u in t.lead_local}

    merged = None
    for round_no, (round_name, due) in enumerate(ROUNDS):
        out_dir = folder / "下发" / round_name
        split = run_split(plan_path, units=units, round=round_name, due=due.isoformat(), output=out_dir,
                          workspace=folder)
        run_send(out_dir, units=units, workspace=folder, round=round_name,
                 dry_run=folder / "待发邮件" / round_name)
        back = folder / "回收" / round_name
        notes = _reply_round(split.forms, back, round_no, leads, res)
        merged = run_merge(back, workspace=folder, round=round_name, output=folder / f"汇总表_{round_name}.xlsx",
                           units_path=units)  # judged as of the round's due date (Ledger.as_of)
        accepted = sum(1 for f in merged.files if f.outcome == "accepted")
        res.steps.append((f"{round_name}", f"下发 {len(split.forms)} 个填报表；{len(res.replied)} 个单位回复，"
                                           f"收到 {len(merged.files)} 份，采用 {accepted} 份；"
                                           f"问题 {sum(f.severity != fk.INFO for f in merged.findings)} 条"
                          + (f"（{'；'.join(notes)}）" if notes else "")))
    last_round, last_due = ROUNDS[-1]
    res.findings = list(merged.findings) if merged is not None else []
    rep = report_workspace(folder, folder / f"落实情况报告_{last_round}.docx", round=last_round,
                           pdf=soffice_path() is not None, today=last_due + _dt.timedelta(days=5))
    res.steps.append(("落实情况报告", "、".join(Path(p).name for p in rep.outputs)))
    run_remind(units=units, workspace=folder, round=last_round, dry_run=folder / "催报邮件")
    reminders = len(list((folder / "催报邮件").glob("*.eml")))
    res.steps.append(("催报邮件（演练，未发送）", f"{reminders} 封 → 催报邮件/"))
    res.open_first = [f"落实情况报告_{last_round}.{'pdf' if soffice_path() else 'docx'}（给领导看的报告）",
                      f"汇总表_{last_round}.xlsx 的“问题清单”（要处理的问题）",
                      "分解表.xlsx（每项任务分给了谁、依据是什么）"]
    return res
