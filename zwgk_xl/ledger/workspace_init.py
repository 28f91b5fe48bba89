"""``zwgk-xl init``: set up a 台账 folder around the control workbook.

The folder gets the control workbook ``zwgk_xl.xlsm`` (built here, with the
installed xlwings' VBA module), a sample 部门名录.xlsx, copies of the editable
templates, a commented ``zwgk.toml`` and the subfolders 上级文件, 下发, 回收,
汇总, 报告.  Existing files are never overwritten; ``force`` rebuilds the
workbook only (the old one is kept as ``zwgk_xl.bak.xlsm``).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import ClassVar

from zwgk_xl.core import paths
from zwgk_xl.core.model import Finding
from zwgk_xl.core.results import Result
from zwgk_xl.core.units import UNITS_SHEET, sample_directory_path
from zwgk_xl.ledger.store import CONFIG_NAME
from zwgk_xl.ledger.workbooks import layout as L

UNITS_NAME = "部门名录.xlsx"
TEMPLATES_DIR = "templates"

CONFIG_TEXT = """\
# 政务公开台账的设置（由 zwgk-xl init 生成）。以 # 开头的是说明，可以删除。
# 在本文件夹（或其子文件夹）中运行的每条 zwgk-xl 命令，以及 zwgk_xl.xlsm 的按钮，都读取这里的设置；
# 同名的环境变量（ZWGK_UNITS、ZWGK_AREA、ZWGK_LEVEL、ZWGK_ORGAN、ZWGK_MAIL_CONTACT 等）优先。

units = "部门名录.xlsx"          # 部门名录：现在是示例县的名录，请换成本单位的
area = "X县"                    # 本级地名（分解表、报告标题）
level = "县"                    # 本级层级：县 / 市 / 局

[report]
organ = "X县人民政府办公室"      # 报告落款
# recipient = "州人民政府办公室"  # 主送机关

[mail]
contact = "县政府办公室 张三 0878-1234567"   # 填报表和邮件中的联系人
# host = "smtp.example.gov.cn"   # 发信服务器（SMTP）
# port = 465
# security = "ssl"               # ssl / starttls / none
# user = "zwgk@example.gov.cn"
# from = "zwgk@example.gov.cn"
# imap_host = "imap.example.gov.cn"   # 收信服务器（zwgk-xl mail fetch）
# 密码不写在这里：用环境变量 ZWGK_SMTP_PASSWORD，或运行 keyring set zwgk-xl 用户名
"""


@dataclass
class InitResult(Result):
    """What ``init`` made in the 台账 folder and what it found there already."""

    command: ClassVar[str] = "init"
    folder: Path
    workbook: Path
    created: list[str] = field(default_factory=list)  # paths relative to the folder
    kept: list[str] = field(default_factory=list)  # already there, left as they were
    backup: str = ""  # the previous workbook, when ``force`` rebuilt it
    xlwings_version: str = ""
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        line = f"台账文件夹「{self.folder}」已就绪：新建 {len(self.created)} 项"
        if self.kept:
            line += f"，保留原有 {len(self.kept)} 项"
        return (line + f"；控制工作簿 {self.workbook.name}（xlwings {self.xlwings_version}）。"
                "请先修改 zwgk.toml 和 部门名录.xlsx，再打开 zwgk_xl.xlsm。")

    def details(self) -> list[str]:
        lines = [f"新建：{p}" for p in self.created] + [f"保留：{p}" for p in self.kept]
        if self.backup:
            lines.append(f"原控制工作簿另存为：{self.backup}")
        return lines

    def data(self) -> dict:
        return {"folder": str(self.folder), "workbook": str(self.workbook), "created": list(self.created),
                "kept": list(self.kept), "backup": self.backup, "xlwings_version": self.xlwings_version}


def windows_interpreter() -> str | None:
    """pythonw.exe of the running Python when init runs on Windows (else None: the layout's default)."""
    if os.name != "nt":
        return None
    exe = Path(sys.executable)
    candidate = exe.with_name("pythonw.exe")
    return str(candidate if candidate.is_file() else exe)


def _directory_rows(path: Path) -> list[list]:
    """Rows of the 部门名录 sheet, in the columns the control workbook shows."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[UNITS_SHEET] if UNITS_SHEET in wb.sheetnames else wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    if not rows:
        return []
    head = [str(h or "").strip() for h in rows[0]]
    index = [head.index(h) if h in head else None for h in L.UNIT_HEADERS]
    return [["" if i is None or i >= len(r) or r[i] is None else r[i] for i in index]
            for r in rows[1:] if any(v not in (None, "") for v in r)]


def _templates() -> list[tuple[str, Path]]:
    root = resources.files("zwgk_xl.templates")
    return sorted((p.name, Path(str(p))) for p in root.iterdir()
                  if p.is_file() and not p.name.startswith(("_", ".")) and not p.name.endswith(".py"))


def init_workspace(folder, *, force: bool = False) -> InitResult:
    """Make ``folder`` a 台账 folder (see the module docstring) and return what was done."""
    import xlwings

    folder = Path(folder)
    paths.output_dir(folder, "台账文件夹", "")
    folder.mkdir(parents=True, exist_ok=True)
    res = InitResult(folder=folder, workbook=folder / L.WORKBOOK_NAME, xlwings_version=xlwings.__version__)

    for name in L.SUBFOLDERS:
        d = folder / name
        if d.is_dir():
            res.kept.append(name + "/")
        else:
            d.mkdir()
            res.created.append(name + "/")

    config = folder / CONFIG_NAME
    if config.exists():
        res.kept.append(CONFIG_NAME)
    else:
        config.write_text(CONFIG_TEXT, encoding="utf-8")
        res.created.append(CONFIG_NAME)

    units = folder / UNITS_NAME
    if units.exists():
        res.kept.append(UNITS_NAME)
    else:
        shutil.copyfile(sample_directory_path("county"), units)
        res.created.append(UNITS_NAME)

    (folder / TEMPLATES_DIR).mkdir(exist_ok=True)
    for name, src in _templates():
        rel = f"{TEMPLATES_DIR}/{name}"
        if (folder / rel).exists():
            res.kept.append(rel)
        else:
            shutil.copyfile(src, folder / rel)
            res.created.append(rel)

    book = res.workbook
    if book.exists() and not force:
        res.kept.append(L.WORKBOOK_NAME)
        return res
    if book.exists():
        backup = book.with_name("zwgk_xl.bak.xlsm")
        shutil.copyfile(book, backup)
        res.backup = backup.name
    from zwgk_xl.ledger.workbooks.build import build_control_workbook

    build_control_workbook(book, units_rows=_directory_rows(units), interpreter=windows_interpreter())
    res.created.append(L.WORKBOOK_NAME)
    return res
