"""The one catalogue of findings: a stable type slug, severity, Chinese title and suggested action.

Every stage reports problems as :class:`zwgk_xl.core.model.Finding` of a
kind listed here; a result is clean when no finding is more serious than
``info``.  A test checks that no code makes a finding outside this catalogue.
"""

from __future__ import annotations

from zwgk_xl.core.model import Finding

ERROR, WARNING, INFO = "error", "warning", "info"

SEVERITY_TITLES = {ERROR: "错误", WARNING: "警告", INFO: "提示"}

# slug -> (severity, title, suggested action)
KINDS: dict[str, tuple[str, str, str]] = {
    "lock-file": (INFO, "临时锁定文件", "无需处理：这是 Excel/WPS 打开文件时生成的临时文件，已跳过。"),
    "not-spreadsheet": (INFO, "非表格文件", "已跳过；如它是填报表，请对方另存为 .xlsx 后重发。"),
    "duplicate-file": (INFO, "重复文件", "无需处理：内容与另一文件完全相同，只计一次。"),
    "too-large": (ERROR, "文件过大", "未读取；请核实文件内容，让对方删去无关内容后重发。"),
    "zip-bomb": (ERROR, "解压比例异常", "未解压、未读取；该文件可能是恶意文件，请勿打开，联系对方重发。"),
    "password-protected": (ERROR, "文件设有密码", "未读取；请对方取消文件打开密码后重发。"),
    "unreadable": (ERROR, "文件无法读取", "请对方用 Excel/WPS 打开后另存为 .xlsx 重发。"),
    "macros-present": (WARNING, "文件含宏", "宏未被执行，数据已照常读取；请提醒对方另存为不含宏的 .xlsx。"),
    "not-a-form": (ERROR, "不是填报表", "未汇总；请对方使用下发的填报表填写后重发。"),
    "wrong-round": (ERROR, "轮次不符", "未计入本轮；如确属该轮次，请用 --round 指定该轮次单独汇总。"),
    "other-ledger": (WARNING, "非本台账下发", "已按表中单位汇总；请确认该表确由本办下发。"),
    "old-template": (WARNING, "模板版本不符", "已按表头读取；下轮请对方使用新下发的填报表。"),
    "unknown-unit": (ERROR, "单位无法识别", "未汇总；请在文件名中写明单位全称，或在部门名录中补充该单位（别名）后重新汇总。"),
    "unit-from-filename": (WARNING, "按文件名识别单位", "请核对单位是否正确；下轮请对方直接填写下发的表格，勿复制到新文件。"),
    "unit-from-mail": (WARNING, "按来信识别单位", "请核对单位是否正确；下轮请对方直接填写下发的表格，勿复制到新文件。"),
    "unit-from-content": (WARNING, "按表格内容识别单位", "请核对单位是否正确；下轮请对方直接填写下发的表格，勿复制到新文件。"),
    "locked-text-altered": (WARNING, "锁定内容被改动", "汇总按下发原文；如对方改动有理，请修改分解表。"),
    "row-deleted": (WARNING, "任务行被删除", "请对方补报该任务的落实情况。"),
    "row-inserted": (WARNING, "新增了任务行", "新增行未计入汇总；如有需要请人工处理。"),
    "merged-cells": (INFO, "合并单元格", "无需处理：合并单元格的内容已计入所合并的每项任务；如各项情况不同，请对方分开填写。"),
    "footnote-row": (INFO, "表格下方的落款或备注", "无需处理：该行不是任务，未计入任务；表头未填的填报人、联系电话、填报日期已按该行读取。"),
    "late-submission": (INFO, "逾期报送", "无需处理：报送情况页和落实情况报告中已注明。"),
    "row-continued": (INFO, "续写在下一行", "无需处理：该行内容已并入上面的任务；如它其实是另一项任务，请对方补上任务编号。"),
    "rows-reordered": (INFO, "任务行顺序被调整", "无需处理：已按任务编号对应。"),
    "required-empty": (WARNING, "必填项为空", "请对方补填。"),
    "invalid-status": (WARNING, "完成状态不在列表中", "请对方从下拉列表中选择完成状态。"),
    "invalid-date": (WARNING, "日期无法识别", "请对方按 2021-06-20 的格式填写日期。"),
    "formula-no-value": (WARNING, "公式没有计算结果", "请对方在 Excel/WPS 中打开并保存后重发，或直接填写数值/文字。"),
    "formula-text": (INFO, "内容形似公式", "已按纯文本保存，不会作为公式执行；无需处理。"),
    "duplicate-submission": (WARNING, "重复报送", "已采用最新收到的一份；旧的一份仍保存在台账中。"),
    "resubmitted-same": (INFO, "重复报送（内容相同）", "无需处理：两份填报内容相同（重新保存或重复发送），采用较新的一份。"),
    "missing-submission": (WARNING, "未报送", "请催报。"),
    "plan-changed": (WARNING, "下发后分解表有改动", "已按当前分解表汇总；如有新增任务，请给该单位补发填报表。"),
    "unexpected-error": (ERROR, "处理该文件时发生意外问题", "其他文件已照常汇总；请把该文件和本提示发给维护人员。"),
    # parse
    "parse-traditional": (INFO, "繁体转简体", "无需处理：已转换为简体。"),
    "parse-duplicate-block": (INFO, "重复段落", "无需处理：网页抓取稿中的重复部分已删除。"),
    "parse-noise": (WARNING, "疑似噪声字符", "请对照原文核对该处文字。"),
    "parse-renumbered": (WARNING, "编号重复", "两处都已保留，请对照原文核对编号。"),
    "parse-attachment": (INFO, "只解析附件", "无需处理：通知正文的编号不计为任务。"),
    "parse-flattened": (WARNING, "表格转成的连续文本", "请核对标记为需核对的任务的分类和责任单位。"),
    "parse-other-sheets": (WARNING, "还有其他任务表", "如需其他工作表，请单独另存后解析。"),
    "parse-task-check": (WARNING, "任务需核对", "请对照原文核对该任务（见任务表“警告”列）。"),
    "parse-note": (INFO, "解析说明", "无需处理。"),
    # decompose
    "decompose-unmatched": (WARNING, "上级单位未匹配", "请在分解表中人工指定本级单位，或在部门名录中补充别名/映射。"),
    "decompose-no-unit": (WARNING, "没有本级责任单位", "请在分解表中指定责任单位。"),
    "decompose-task-check": (WARNING, "分解需核对", "请核对该任务的本级单位（见分解表“说明”）。"),
    "plan-row-added": (INFO, "分解表新增任务", "无需处理：已为新增行编号。"),
    "plan-row-empty": (INFO, "分解表空行", "无需处理：已跳过。"),
    "directory-note": (INFO, "部门名录说明", "无需处理。"),
    "decompose-topic": (INFO, "有关部门已按职能确定", "请核对“分配依据”表中各单位匹配的职能关键词；不相关的单位可在分解表中删去。"),
    "decompose-topic-none": (WARNING, "有关部门未能按职能确定", "请在分解表中把分组改为具体单位，或在部门名录“职能关键词”列补充关键词。"),
    "decompose-wording": (INFO, "已改为本级用语", "请核对“分配依据”表中列出的改写句子。"),
    "decompose-level-check": (WARNING, "请核实是否适用本级", "该句针对其他层级，已保留原文；如不适用本级，请在分解表中删改。"),
    "decompose-learned": (INFO, "已记住分解表中的修改", "无需处理：下次分解时自动采用。"),
    "decompose-learn-skipped": (WARNING, "修改无法自动学习", "请在部门名录“映射”表中手工登记该对应关系。"),
    # split
    "split-unknown-unit": (WARNING, "单位不在部门名录中", "已按原名生成填报表；如是笔误请改正分解表后重新下发。"),
    "split-stale-form": (WARNING, "输出文件夹中有旧填报表", "请勿下发该文件，可删除。"),
    # report
    "report-note": (INFO, "报告说明", "无需处理。"),
    "lead-not-applicable": (WARNING, "牵头单位认为不涉及本单位", "请与该牵头单位核实：确不涉及的，修改分解表另定牵头单位；否则请其补报落实情况。"),
    # mail
    "mail-form-unidentified": (WARNING, "填报表无法对应单位", "请用 zwgk-xl split 重新生成，或把文件名改为「轮次_单位_落实情况填报表.xlsx」。"),
    "mail-interrupted": (ERROR, "发送中断", "请检查网络后重新运行同一命令，已发送的不会重复发送。"),
    "mail-refused": (ERROR, "邮件被拒收", "请核对部门名录中的邮箱；改正后重新运行，只会补发未成功的单位。"),
    "mail-unknown-unit": (ERROR, "单位不在部门名录中", "请在部门名录中补上该单位（或它的别名）和邮箱后重新运行。"),
    "mail-invalid-address": (ERROR, "邮箱格式不正确", "请在部门名录的“邮箱”列改正（多个邮箱用分号隔开）后重新运行。"),
    "mail-no-address": (ERROR, "单位没有邮箱", "请在部门名录的“邮箱”列补上后重新运行，或改用其他方式送达。"),
    "fetch-attachment-unusable": (WARNING, "附件无法使用", "请联系该单位重新发送。"),
    "fetch-message-unreadable": (WARNING, "邮件无法解析", "请在邮箱中查看该邮件，必要时手工保存附件到 回收/。"),
    # merge (issue 14)
    "unit-conflict": (ERROR, "单位依据不一致", "未汇总；请核实该文件属于哪个单位：把文件名改为该单位名称（或请对方用本单位的填报表重报）后重新汇总。"),
    "reply-in-word": (INFO, "Word 文件回复", "已按 Word 中的表格读取；请核对单位和内容，下轮请对方直接填写下发的 Excel 表。"),
    "blank-form": (WARNING, "空表", "未汇总；该单位仍在催报名单中，请对方填写后重发。"),
    "reply-not-spreadsheet": (WARNING, "回复不是表格", "未汇总；请对方用下发的填报表填写后重发（盖章件等可作附件一并发来）。"),
    "archive-unpacked": (INFO, "压缩包", "无需处理：其中的表格文件已逐一汇总。"),
    "attachment": (INFO, "另附的非表格文件", "无需处理：已归档备查，不影响汇总。"),
    "cells-out-of-range": (WARNING, "表格范围外有内容", "范围外的单元格未读取；如其中有填报内容，请对方移入表内后重发。"),
    "column-missing": (ERROR, "找不到填报列", "请对方恢复下发表格的表头（如「落实情况」「完成状态」）后重发。"),
    "second-form": (WARNING, "同一文件中有两份填报表", "只汇总了第一份；请让另一份的单位单独报送。"),
    "formula-error": (WARNING, "公式结果为错误值", "请对方改正公式或直接填写内容后重发。"),
}


def finding(type: str, message: str, *, unit: str = "", file: str = "", sheet: str = "", cell: str = "",
            line: int = 0, action: str | None = None, severity: str | None = None) -> Finding:
    """A :class:`Finding` of a catalogued kind (severity and default action from :data:`KINDS`)."""
    default_severity, _title, default_action = KINDS[type]
    return Finding(type=type, message=message, action=default_action if action is None else action,
                   unit=unit, file=file, sheet=sheet, cell=cell, severity=severity or default_severity, line=line)


LISTED = 40  # findings a command lists at most; the rest are counted by kind (all are in --json and the files)
_RANK = {ERROR: 0, WARNING: 1, INFO: 2}


def brief(findings: list[Finding], limit: int | None = None) -> tuple[list[Finding], list[tuple[str, int]]]:
    """(the findings to list: the most severe first, in their order otherwise, at most ``limit`` (default
    :data:`LISTED`); (kind title, count) of the ones left out, most frequent first)."""
    limit = LISTED if limit is None else limit
    if len(findings) <= limit:
        return list(findings), []
    ranked = sorted(findings, key=lambda f: _RANK.get(f.severity, 3))
    left: dict[str, int] = {}
    for f in ranked[limit:]:
        left[title(f.type)] = left.get(title(f.type), 0) + 1
    return ranked[:limit], sorted(left.items(), key=lambda kv: -kv[1])


def title(type: str) -> str:
    """Chinese title of a finding kind."""
    return KINDS[type][1] if type in KINDS else type


def is_clean(findings: list[Finding]) -> bool:
    """True when no finding is more serious than info."""
    return all(f.severity == INFO for f in findings)


def counts(findings: list[Finding]) -> dict[str, int]:
    """Findings per severity: {"errors": n, "warnings": n, "notes": n}."""
    sev = [f.severity for f in findings]
    return {"errors": sev.count(ERROR), "warnings": sev.count(WARNING), "notes": sev.count(INFO)}
