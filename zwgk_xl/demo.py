"""The whole year's job on bundled sample data, in a fresh 台账 folder.

``zwgk-xl demo 示例台账`` runs every stage the way an office would:
parse the superior list (the 2020 Yunnan 工作要点, a real public document),
decompose it onto the sample county's departments, split one fill-in form per
department, let most departments "reply" (forms filled in with openpyxl, as a
department's Excel would), merge the replies, write the report, and prepare
the notification and reminder mails as .eml files (nothing is sent).
"""

from __future__ import annotations

import datetime as _dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from zwgk_xl.core.errors import UsageError

SAMPLE_LIST = "示例_2020年云南省政务公开工作要点.txt"
ROUND = "2020年第四季度"
DUE = "2020-12-25"
_STATUS_CYCLE = ["已完成", "已完成", "推进中", "已完成", "长期推进", "推进中", "未启动", "不涉及"]


@dataclass
class DemoResult:
    folder: Path
    steps: list[tuple[str, str]] = field(default_factory=list)  # (what, path or summary)
    replied: list[str] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)


def _data(name: str) -> Path:
    return Path(__file__).parent / "data" / name


def _fill_form(src: Path, dst: Path, unit: str, k: int) -> None:
    """Fill a form as a department would (with a spreadsheet program), save elsewhere."""
    from openpyxl import load_workbook

    from zwgk_xl.forms import spec as fs

    wb = load_workbook(src)
    ws = wb[fs.TASK_SHEET]
    r = fs.FIRST_DATA_ROW + 1  # openpyxl is 1-based
    col = {key: i + 1 for key, i in fs.COLUMN_INDEX.items()}
    n = 0
    while ws.cell(r, col["id"]).value:
        title = str(ws.cell(r, col["title"]).value or "")
        status = _STATUS_CYCLE[(k + n) % len(_STATUS_CYCLE)]
        ws.cell(r, col["status"]).value = status
        if status == "不涉及":
            ws.cell(r, col["progress"]).value = "本单位无此项职能。"
        elif status == "未启动":
            ws.cell(r, col["progress"]).value = ""
            ws.cell(r, col["problems"]).value = "相关工作需等待上级统一部署。"
            ws.cell(r, col["next_steps"]).value = "上级部署后一个月内启动。"
        else:
            ws.cell(r, col["progress"]).value = (
                f"已明确专人负责“{title[:20]}”相关工作,在县政府门户网站主动公开相关信息"
                f"{12 + (k * 7 + n) % 40}条,开展政策解读{1 + (k + n) % 4}次。"
            )
            if status == "已完成":
                ws.cell(r, col["done_date"]).value = _dt.date(2020, 10 + (k + n) % 3, 5 + (k * 3 + n) % 20)
            ws.cell(r, col["next_steps"]).value = "持续做好信息更新和公开。"
        n += 1
        r += 1
    frow, fcol = fs.FORM_FIELD_CELLS["filler"]
    ws.cell(frow + 1, fcol + 1).value = f"{unit[1:3]}联络员"
    prow, pcol = fs.FORM_FIELD_CELLS["fill_date"]
    ws.cell(prow + 1, pcol + 1).value = _dt.date(2020, 12, 20)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)


def run_demo(folder, force: bool = False) -> DemoResult:
    """Run parse → decompose → split → (replies) → merge → report → mail (dry run) in ``folder``."""
    from zwgk_xl.decompose import decompose_file
    from zwgk_xl.forms import run_split
    from zwgk_xl.merge.command import run_merge
    from zwgk_xl.parse import parse_file
    from zwgk_xl.report.render import report_workspace
    from zwgk_xl.parse.tasktable import write_task_table

    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()) and not force:
        if not (folder / "zwgk.toml").exists():
            raise UsageError(f"文件夹「{folder}」已有其他内容。请指定一个新的文件夹,或加 --force 覆盖示例台账。")
    folder.mkdir(parents=True, exist_ok=True)
    res = DemoResult(folder=folder)
    (folder / "zwgk.toml").write_text(
        '# 示例台账的设置\nunits = "部门名录.xlsx"\n\n'
        '[report]\norgan = "X县人民政府办公室"\n\n'
        '[mail]\ncontact = "县政府办公室 张三 0878-1234567"\nfrom = "zwgk@x-county.example.com"\n',
        encoding="utf-8")
    src_dir = folder / "上级文件"
    src_dir.mkdir(exist_ok=True)
    superior = src_dir / "2020年云南省政务公开工作要点.txt"
    shutil.copyfile(_data(SAMPLE_LIST), superior)
    units = folder / "部门名录.xlsx"
    shutil.copyfile(_data("部门名录_示例县.xlsx"), units)

    doc = parse_file(superior)
    write_task_table(doc, folder / "上级任务.xlsx")
    res.steps.append(("解析上级文件", f"{len(doc.tasks)} 项任务 → 上级任务.xlsx"))

    plan_path = folder / "分解表.xlsx"
    plan = decompose_file(superior, units, output=plan_path, level="县")
    res.steps.append(("分解到本县单位", f"{len(plan.tasks)} 项任务 → 分解表.xlsx"))

    out_dir = folder / "下发"
    split = run_split(plan_path, units=units, round=ROUND, due=DUE, output=out_dir, workspace=folder)
    res.steps.append(("生成填报表", f"{len(split.forms)} 个单位 → 下发/"))

    from zwgk_xl.mail import send_forms

    send_forms(out_dir, units, folder, round=ROUND, dry_run_dir=folder / "待发邮件")
    res.steps.append(("准备下发邮件(演练)", "待发邮件/*.eml"))

    back = folder / "回收"
    leads = {u for t in plan.tasks for u in t.lead_local}
    for k, form in enumerate(sorted(split.forms, key=lambda f: f.unit)):
        if k % 6 == 5 and form.unit not in leads:  # some departments have not replied yet
            res.silent.append(form.unit)
            continue
        name = f"{form.unit}_回复.xlsx" if k % 3 else form.path.name
        _fill_form(form.path, back / name, form.unit, k)
        res.replied.append(form.unit)
    res.steps.append(("各单位回复(模拟)", f"{len(res.replied)} 个回复,{len(res.silent)} 个未报 → 回收/"))

    merged = run_merge(back, workspace=folder, round=ROUND, output=folder / "汇总表.xlsx",
                       units_path=units, today=_dt.date(2020, 12, 28))
    accepted = sum(1 for f in merged.files if f.outcome == "accepted")
    res.steps.append(("汇总", f"{accepted} 份采用,问题 {len(merged.findings)} 条 → 汇总表.xlsx"))

    rep = report_workspace(folder, folder / "落实情况报告.docx", round=ROUND, today=_dt.date(2020, 12, 28))
    res.steps.append(("落实情况报告", "、".join(Path(p).name for p in rep.outputs)))

    from zwgk_xl.mail import remind

    remind(folder, units, round=ROUND, dry_run_dir=folder / "催报邮件")
    res.steps.append(("准备催报邮件(演练)", "催报邮件/*.eml"))
    return res
