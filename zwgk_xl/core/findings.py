"""The kinds of merge findings: a stable type slug, severity, Chinese title and suggested action.

Findings are data (:class:`zwgk_xl.model.Finding`); a merge is clean when
none is more serious than ``info``.
"""

from __future__ import annotations

from zwgk_xl.core.model import Finding

ERROR, WARNING, INFO = "error", "warning", "info"

SEVERITY_TITLES = {ERROR: "错误", WARNING: "警告", INFO: "提示"}

# slug -> (severity, title, suggested action)
KINDS: dict[str, tuple[str, str, str]] = {
    "lock-file": (INFO, "临时锁定文件", "无需处理:这是 Excel/WPS 打开文件时生成的临时文件,已跳过。"),
    "not-spreadsheet": (INFO, "非表格文件", "已跳过;如它是填报表,请对方另存为 .xlsx 后重发。"),
    "duplicate-file": (INFO, "重复文件", "无需处理:内容与另一文件完全相同,只计一次。"),
    "too-large": (ERROR, "文件过大", "未读取;请核实文件内容,让对方删去无关内容后重发。"),
    "zip-bomb": (ERROR, "解压比例异常", "未解压、未读取;该文件可能是恶意文件,请勿打开,联系对方重发。"),
    "password-protected": (ERROR, "文件设有密码", "未读取;请对方取消文件打开密码后重发。"),
    "unreadable": (ERROR, "文件无法读取", "请对方用 Excel/WPS 打开后另存为 .xlsx 重发。"),
    "macros-present": (WARNING, "文件含宏", "宏未被执行,数据已照常读取;请提醒对方另存为不含宏的 .xlsx。"),
    "not-a-form": (ERROR, "不是填报表", "未汇总;请对方使用下发的填报表填写后重发。"),
    "wrong-round": (ERROR, "轮次不符", "未计入本轮;如确属该轮次,请用 --round 指定该轮次单独汇总。"),
    "other-ledger": (WARNING, "非本台账下发", "已按表中单位汇总;请确认该表确由本办下发。"),
    "old-template": (WARNING, "模板版本不符", "已按表头读取;下轮请对方使用新下发的填报表。"),
    "unknown-unit": (ERROR, "单位无法识别", "未汇总;请在文件名中写明单位全称,或在部门名录中补充该单位(别名)后重新汇总。"),
    "unit-from-filename": (WARNING, "按文件名识别单位", "请核对单位是否正确;下轮请对方直接填写下发的表格,勿复制到新文件。"),
    "unit-from-mail": (WARNING, "按来信识别单位", "请核对单位是否正确;下轮请对方直接填写下发的表格,勿复制到新文件。"),
    "unit-from-content": (WARNING, "按表格内容识别单位", "请核对单位是否正确;下轮请对方直接填写下发的表格,勿复制到新文件。"),
    "locked-text-altered": (WARNING, "锁定内容被改动", "汇总按下发原文;如对方改动有理,请修改分解表。"),
    "row-deleted": (WARNING, "任务行被删除", "请对方补报该任务的落实情况。"),
    "row-inserted": (WARNING, "新增了任务行", "新增行未计入汇总;如有需要请人工处理。"),
    "rows-reordered": (INFO, "任务行顺序被调整", "无需处理:已按任务编号对应。"),
    "required-empty": (WARNING, "必填项为空", "请对方补填。"),
    "invalid-status": (WARNING, "完成状态不在列表中", "请对方从下拉列表中选择完成状态。"),
    "invalid-date": (WARNING, "日期无法识别", "请对方按 2021-06-20 的格式填写日期。"),
    "formula-no-value": (WARNING, "公式没有计算结果", "请对方在 Excel/WPS 中打开并保存后重发,或直接填写数值/文字。"),
    "formula-text": (INFO, "内容形似公式", "已按纯文本保存,不会作为公式执行;无需处理。"),
    "duplicate-submission": (WARNING, "重复报送", "已采用最新收到的一份;旧的一份仍保存在台账中。"),
    "resubmitted-same": (INFO, "重复报送(内容相同)", "无需处理:两份填报内容相同(重新保存或重复发送),采用较新的一份。"),
    "missing-submission": (WARNING, "未报送", "请催报。"),
}


def finding(type: str, message: str, *, unit: str = "", file: str = "", sheet: str = "", cell: str = "",
            action: str | None = None) -> Finding:
    """A :class:`Finding` of a catalogued kind (severity and default action from :data:`KINDS`)."""
    severity, _title, default_action = KINDS[type]
    return Finding(type=type, message=message, action=default_action if action is None else action,
                   unit=unit, file=file, sheet=sheet, cell=cell, severity=severity)


def title(type: str) -> str:
    """Chinese title of a finding kind."""
    return KINDS[type][1] if type in KINDS else type


def is_clean(findings: list[Finding]) -> bool:
    """True when no finding is more serious than info."""
    return all(f.severity == INFO for f in findings)
