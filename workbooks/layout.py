"""The control workbook's layout: sheets, buttons, settings rows and table headers.

Pure data (no imports from the library), shared by the builder
(:mod:`zwgk_xl.ledger.workbooks.build`) and the button actions
(:mod:`zwgk_xl.addin`), so a label written by one is the label read by the other.
Every table sheet has a note in row 1, headers in row 2 and data from row 3.
"""

from __future__ import annotations

from dataclasses import dataclass

WORKBOOK_NAME = "zwgk_xl.xlsm"
VBA_MODULE = "ZwgkButtons"  # the buttons module, workbooks/ZwgkButtons.bas
CONF_SHEET = "xlwings.conf"

GUIDE, SUPERIOR, UNITS, PLAN, PROGRESS, SETTINGS = "使用说明", "上级任务", "部门名录", "分解表", "填报进度", "设置"
SHEETS = [GUIDE, SUPERIOR, UNITS, PLAN, PROGRESS, SETTINGS, CONF_SHEET]

NOTE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3  # 1-based rows of every table sheet

# Subfolders of a 台账 folder (``zwgk-xl init`` makes them; the buttons read and write there).
SUPERIOR_DIR, FORMS_DIR, RETURNS_DIR, MASTER_DIR, REPORT_DIR = "上级文件", "下发", "回收", "汇总", "报告"
SUBFOLDERS = [SUPERIOR_DIR, FORMS_DIR, RETURNS_DIR, MASTER_DIR, REPORT_DIR]
DRY_RUN_SEND_DIR, DRY_RUN_REMIND_DIR = "待发邮件", "催报邮件"
PASTED_NAME = "粘贴的上级文件.txt"  # column A of 上级任务, saved in 上级文件/
TASK_TABLE_NAME = "上级任务.xlsx"


@dataclass(frozen=True)
class Button:
    caption: str  # on the button (Chinese)
    macro: str  # the VBA Sub in ZwgkButtons.bas (ASCII)
    function: str  # the function of zwgk_xl.addin it runs
    sheet: str  # where its result is written
    help: str  # one line on 使用说明


BUTTONS = [
    Button("解析上级文件", "ParseSuperior", "parse_superior", SUPERIOR,
           "读取「上级任务」表 A 列粘贴的全文（或「设置」中的上级文件），解析出任务，写在「上级任务」表右侧。"),
    Button("生成分解表", "DecomposePlan", "decompose_plan", PLAN,
           "把上级任务分解到部门名录中的本级单位，写出 分解表.xlsx（可在 Excel 中修改；再次生成时原文件另存为 "
           "分解表.bak.xlsx），并显示在「分解表」。"),
    Button("生成填报表", "SplitForms", "split_forms", PROGRESS,
           "按「设置」中的轮次和截止日期，为每个单位生成一个填报表，放在 下发 文件夹。"),
    Button("发送邮件", "SendMail", "send_mail", PROGRESS,
           "把 下发 文件夹中的填报表发到各单位邮箱（「邮件演练」为“是”时只生成 .eml 文件，不发送）。"),
    Button("汇总回收表", "MergeReturns", "merge_returns", PROGRESS,
           "汇总 回收 文件夹中各单位交回的填报表，存入台账，写出 汇总 文件夹中的汇总表，列出未报送单位和问题。"),
    Button("生成报告", "MakeReport", "make_report", PROGRESS,
           "依据台账生成本轮落实情况报告（Word）和统计表，放在 报告 文件夹。"),
    Button("催报", "RemindUnits", "remind_units", PROGRESS,
           "给尚未报送或有逾期任务的单位发催报邮件（演练时只生成 .eml 文件）。"),
]

# 设置: label in column A, value in column B, explanation in column C (rows from FIRST_ROW).
S_WORKSPACE, S_ROUND, S_DUE, S_SUPERIOR, S_UNITS, S_PLAN, S_CONTACT, S_DRY_RUN, S_PDF = (
    "台账文件夹", "轮次", "截止日期", "上级文件", "部门名录", "分解表", "联系人", "邮件演练", "报告PDF")
SETTINGS_ROWS = [
    (S_WORKSPACE, "", "留空表示本工作簿所在的文件夹。"),
    (S_ROUND, "", "本轮填报的名称，如 2021年第二季度。生成填报表、汇总、报告、催报都用它。"),
    (S_DUE, "", "报送截止日期，如 2021-06-25。"),
    (S_SUPERIOR, "", "上级文件的路径（相对于台账文件夹，如 上级文件/2021年工作要点.docx）。留空时用「上级任务」表 A 列粘贴的全文，"
                     "或 上级文件 文件夹中唯一的文件；解析后自动填写。"),
    (S_UNITS, "", "部门名录的路径。留空时用 zwgk.toml 中的 units（部门名录.xlsx）。"),
    (S_PLAN, "分解表.xlsx", "分解表的路径（相对于台账文件夹）。"),
    (S_CONTACT, "", "填报表中的联系人及电话。留空时用 zwgk.toml 中 [mail] 的 contact。"),
    (S_DRY_RUN, "是", "是：邮件只写成 .eml 文件（待发邮件、催报邮件 文件夹），不发送；否：真正发送（先在 zwgk.toml 中设置邮箱）。"),
    (S_PDF, "否", "是：生成报告时同时用 LibreOffice 转出 PDF。"),
]
YES = ("是", "y", "yes", "true", "1")

# xlwings.conf: read by the standalone xlwings module from A1 down (key in A, value in B).
DEFAULT_INTERPRETER_WIN = r"%LOCALAPPDATA%\Programs\Python\Python311\pythonw.exe"
CONF_ROWS = [
    ("Interpreter_Win", DEFAULT_INTERPRETER_WIN),
    ("Interpreter_Mac", ""),
    ("PYTHONPATH", ""),
    ("Conda Path", ""),
    ("Conda Env", ""),
    ("UDF Modules", ""),
    ("Debug UDFs", False),
    ("Use UDF Server", False),
    ("Show Console", False),
]
CONF_NOTES = [
    "Interpreter_Win：Windows 上 Python 的路径（pythonw.exe）。请改成本机的实际路径，"
    "例如 C:\\Users\\Public\\Python311\\pythonw.exe 或 %LOCALAPPDATA%\\Programs\\Python\\Python311\\pythonw.exe。",
    "这台电脑上的 Python 需要安装 zwgk-xl 和与本工作簿相同版本的 xlwings（见 README 的“Excel 控制工作簿”一节）。",
    "A 列的设置从 A1 起连续填写，中间不要插入空行。",
]

# Table headers of the result sheets.
SUPERIOR_PASTE_HEADER = "粘贴区：上级文件全文（从 A3 起，每段一行）"
SUPERIOR_COLUMN = 3  # the parsed tasks start in column C
SUPERIOR_HEADERS = ["编号", "工作任务", "任务要求", "牵头单位", "责任/配合单位", "完成时限"]
UNIT_HEADERS = ["单位名称", "简称/别名", "类别", "联系人", "电话", "邮箱", "对口上级单位"]
PLAN_HEADERS = ["编号", "工作任务", "牵头单位", "责任/配合单位", "完成时限", "分配依据"]
FINDING_HEADERS = ["级别", "单位", "文件", "位置", "问题", "处理建议"]
FINDINGS_TITLE = "问题清单"

NOTES = {
    SUPERIOR: "把上级文件全文粘贴到 A 列（从 A3 起），或把文件放进台账文件夹的 上级文件 文件夹，然后点「解析上级文件」。"
              "解析结果写在 C 列起。",
    UNITS: "本表是部门名录的副本（只读）：修改请在台账文件夹的 部门名录.xlsx 中进行（含分组、映射），"
           "点「生成分解表」时本表会刷新。",
    PLAN: "点「生成分解表」后在此显示；正式的分解表是台账文件夹中的 分解表.xlsx，请在那里修改后再点「生成填报表」。",
    PROGRESS: "生成填报表、发送邮件、汇总、催报、生成报告的结果显示在这里，下方是问题清单。",
    SETTINGS: "按钮从本表读取设置；zwgk.toml 中的设置（部门名录、邮箱、落款等）对按钮和命令行同样有效。",
}

GUIDE_TITLE = "政务公开台账 · 控制工作簿"
GUIDE_INTRO = [
    "每个按钮调用 zwgk_xl（Python 程序）完成一步工作，完成后弹出一行结果；出错时弹出错误提示和处理办法。",
    "同样的步骤也可以在台账文件夹中用命令行 zwgk-xl 完成（WPS 不能运行本工作簿的按钮时使用）。",
]
GUIDE_STEPS = [
    "使用步骤：",
    "1. 在「设置」表填写轮次和截止日期；把上级文件全文粘贴到「上级任务」表 A 列，点「解析上级文件」。",
    "2. 点「生成分解表」，在 分解表.xlsx 中核对、修改本级责任单位。",
    "3. 点「生成填报表」，再点「发送邮件」下发给各单位。",
    "4. 各单位交回的表格放进 回收 文件夹（或用 zwgk-xl mail fetch 收取），点「汇总回收表」；点「催报」提醒未报送的单位。",
    "5. 点「生成报告」，在 报告 文件夹查看落实情况报告和统计表。",
    "首次使用：在「xlwings.conf」表填写本机 Python 的路径；从邮件或网上得到的本文件要先在“属性”中勾选“解除锁定”并启用宏。",
]
GUIDE_BUTTON_ROW = 5  # first button row (1-based); one row per button


def macro_of(button: Button) -> str:
    """The macro a button runs, as the workbook stores it."""
    return f"{VBA_MODULE}.{button.macro}"


def run_python_command(button: Button) -> str:
    """The one line of Python a button's macro gives to RunPython."""
    return f"import zwgk_xl.addin as a; a.{button.function}()"
