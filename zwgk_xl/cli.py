"""The ``zwgk-xl`` command line: a thin layer over the library.

Each command makes one library call, prints its result (a Chinese summary or
``--json``) and turns :class:`zwgk_xl.errors.ZwgkError` into a one-line
message with a non-zero exit code.  No workflow logic lives here.
"""

from __future__ import annotations

import functools
import json
import sys
import traceback
from pathlib import Path

import click

from zwgk_xl import __version__
from zwgk_xl.core import findings as fk
from zwgk_xl.core.errors import ZwgkError
from zwgk_xl.core.paths import os_message
from zwgk_xl.core.results import EXIT_BUG, EXIT_USAGE




def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def finding_line(f) -> str:
    """One printed line per finding: [级别] 单位 文件 位置：消息"""
    where = " ".join(x for x in (f.unit, f.file, f.sheet, f.cell, f"第{f.line}行" if f.line else "") if x)
    action = f"（{f.action}）" if f.action and f.severity != "info" else ""
    return f"[{fk.SEVERITY_TITLES.get(f.severity, f.severity)}] {where + '：' if where else ''}{f.message}{action}"


def render(result, as_json: bool, quiet: bool = False) -> None:
    """Print a library result (its JSON, or its findings, details and summary) and exit with its code."""
    if as_json:
        _echo_json(result.to_dict())
    else:
        if not quiet:
            shown, rest = result.listed_findings()
            for f in shown:
                click.echo(finding_line(f))
            if rest:
                click.echo(rest)
            for line in result.details():
                click.echo(line)
        click.echo(result.summary())
    sys.exit(result.exit_code)


def _param_hint(e) -> str:
    param = getattr(e, "param", None)
    if param is None:
        return getattr(e, "param_hint", None) or ""
    if isinstance(param, click.Argument):
        return param.human_readable_name
    return "/".join(param.opts)


def click_message(e: click.ClickException) -> str:
    """Click's usage errors in Chinese (they are English otherwise)."""
    ctx = getattr(e, "ctx", None)
    cmd = ctx.command_path if ctx is not None else "zwgk-xl"
    more = f"可运行 {cmd} --help 查看用法。"
    hint = _param_hint(e)
    if isinstance(e, click.MissingParameter):
        kind = "参数" if isinstance(getattr(e, "param", None), click.Argument) else "选项"
        return f"缺少{kind} {hint}。{more}"
    if isinstance(e, click.NoSuchOption):
        similar = f"（是否想用 {'、'.join(sorted(e.possibilities))}？）" if e.possibilities else ""
        return f"没有选项 {e.option_name}{similar}。{more}"
    if isinstance(e, click.BadOptionUsage):
        return f"选项 {e.option_name} 用法有误（{e.message}）。{more}"
    if isinstance(e, click.BadParameter):
        ptype = getattr(getattr(e, "param", None), "type", None)
        if isinstance(ptype, click.Choice):
            return f"{hint} 的值无效，可选：{'、'.join(map(str, ptype.choices))}。"
        if isinstance(ptype, click.DateTime):
            return f"{hint} 应为日期，如 2021-06-01。"
        if isinstance(ptype, (click.types.IntParamType, click.types.FloatParamType, click.IntRange,
                              click.FloatRange)):
            return f"{hint} 应为{'不小于 1 的' if isinstance(ptype, click.IntRange) else ''}数字。"
        return f"{hint} 的值无效。{more}"
    text = e.format_message()
    if text.startswith("No such command"):
        name = text.split("'")[1] if "'" in text else ""
        return f"没有命令「{name}」。可运行 zwgk-xl --help 查看全部命令。"
    if text.startswith("Got unexpected extra argument"):
        return f"多余的参数：{text.split('(')[-1].rstrip(')')}。{more}"
    if text.startswith("Missing command"):
        return f"缺少子命令。{more}"
    return f"{text}。{more}" if not any("\u4e00" <= c <= "\u9fff" for c in text) else text


class ChineseGroup(click.Group):
    """The root group: usage errors, interrupts and unforeseen errors as one Chinese line."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("已中断。", err=True)
            sys.exit(130)
        except click.ClickException as e:
            click.echo(f"错误：{click_message(e)}", err=True)
            sys.exit(EXIT_USAGE)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


def handle_errors(fn):
    """Turn library errors (and unexpected ones) into one-line messages."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        verbose = bool((ctx.find_root().obj or {}).get("verbose"))
        try:
            return fn(*args, **kwargs)
        except ZwgkError as e:
            if verbose:
                traceback.print_exc()
            click.echo(f"错误：{e}", err=True)
            sys.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("已中断。", err=True)
            sys.exit(130)
        except OSError as e:
            if verbose:
                traceback.print_exc()
            click.echo(f"错误：{os_message(e)}", err=True)
            sys.exit(EXIT_USAGE)
        except Exception as e:  # noqa: BLE001 - last line of defence: a real bug
            if verbose:
                traceback.print_exc()
            click.echo(f"错误：发生意外问题（{type(e).__name__}：{e}）。请加 --verbose 重试并把输出发给维护人员。",
                       err=True)
            sys.exit(EXIT_BUG)

    return wrapper


@click.group(cls=ChineseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", is_flag=True, help="出错时显示详细的调试信息。")
@click.version_option(__version__, prog_name="zwgk-xl")
@click.pass_context
def main(ctx, verbose):
    """zwgk-xl:政务公开任务清单的解析、分解、下发、汇总与报告。

    \b
    典型流程：
      zwgk-xl parse 工作要点.docx -o 上级任务.xlsx
      zwgk-xl decompose 工作要点.docx --units 部门名录.xlsx -o 分解表.xlsx
      zwgk-xl split 分解表.xlsx --units 部门名录.xlsx --round 2021年第二季度 -o 下发/
      zwgk-xl merge 回收/ --plan 分解表.xlsx -o 汇总表.xlsx
      zwgk-xl report -o 报告.docx
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


# --- parse (issue 2) --------------------------------------------------------


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="写出任务表 .xlsx（如 上级任务.xlsx）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出解析结果。")
@click.option("--year", type=int, help="文件年度（文中无法确定年度时使用）。")
@handle_errors
def parse(input_path, output, as_json, year):
    """解析上级任务清单（txt/docx/doc/xlsx/xls/html）为结构化任务。

    \b
    示例：
      zwgk-xl parse 2020年工作要点.docx -o 上级任务.xlsx
      zwgk-xl parse 要点.txt --json
    """
    from zwgk_xl.parse.command import run_parse

    render(run_parse(input_path, output=output, year=year), as_json)


# --- decompose (issue 3) ----------------------------------------------------


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--units", "units_path", type=click.Path(path_type=Path),
              help="部门名录 .xlsx/.csv（单位名称、简称/别名、类别、联系人、电话、邮箱、对口上级单位；默认取 zwgk.toml 的 units）。")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="写出分解表 .xlsx（如 分解表.xlsx）。")
@click.option("--level", type=click.Choice(["县", "市", "局"]), default=None,
              help="本级层级：县/市（部门、乡镇）或 局（科室）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出分解结果（含 lead_local、others_local、assignment_notes）。")
@click.option("--year", type=int, help="文件年度（文中无法确定年度时使用）。")
@click.option("-C", "--workspace", type=click.Path(path_type=Path), help="台账文件夹（默认从当前文件夹向上查找；取其中 zwgk.toml 的设置）。")
@click.option("--learn", is_flag=True, help="INPUT 是人工改过的分解表：把改动（上级单位对应的本级单位、去掉的单位）记入部门名录的“映射”表和“排除关键词”，下次分解自动沿用；先备份部门名录。")
@handle_errors
def decompose(input_path, units_path, output, level, as_json, year, workspace, learn):
    """把上级任务分解到本级单位，写出任务分解表。

    INPUT 可以是上级文件（txt/docx/doc/xlsx/html）、parse 写出的任务表，或已编辑过的分解表。
    每个上级单位对应到本级单位的依据（名称一致、别名/对照、层级替换、泛称归入分组、模糊匹配）
    写在分解表的“分配依据”工作表中；找不到对应单位的会列出，不会丢弃。

    \b
    示例：
      zwgk-xl decompose 2020年工作要点.docx --units 部门名录.xlsx -o 分解表.xlsx
      zwgk-xl decompose 分解表.xlsx --units 部门名录.xlsx -o 分解表_新.xlsx
      zwgk-xl decompose 实施方案.txt --units 科室名录.xlsx --level 局 --json
      zwgk-xl decompose 分解表.xlsx --units 部门名录.xlsx --learn
    """
    from zwgk_xl.decompose.command import run_decompose, run_learn

    if learn:
        render(run_learn(input_path, units=units_path, level=level, workspace=workspace), as_json)
    if output is None and not as_json:
        raise click.UsageError("请用 -o 指定要写出的分解表（如 -o 分解表.xlsx），或加 --json 只输出结果。")
    render(run_decompose(input_path, units=units_path, output=output, level=level, year=year, workspace=workspace),
           as_json)


# --- split (issue 4) --------------------------------------------------------


@main.command()
@click.argument("plan_path", metavar="分解表", type=click.Path(path_type=Path))
@click.option("--units", "units_path", type=click.Path(path_type=Path), help="部门名录 .xlsx（用于展开“县直各部门”等泛指单位；默认取 zwgk.toml 的 units）。")
@click.option("--round", "round_", required=True, help="填报轮次，如 2021年第二季度。")
@click.option("--due", required=True, help="报送截止日期，如 2021-06-25。")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path), help="填报表输出文件夹（如 下发/）。")
@click.option("--contact", default="", help="填报说明中的联系人及电话，如“张三 0878-1234567”。")
@click.option("-C", "--workspace", type=click.Path(path_type=Path), help="台账文件夹（默认从当前文件夹向上查找）。")
@click.option("--no-ledger", is_flag=True, help="不使用台账：不登记分解表、不预填上一轮内容。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出生成的文件列表。")
@handle_errors
def split(plan_path, units_path, round_, due, out_dir, contact, workspace, no_ledger, as_json):
    """按单位生成填报表：每个有任务（牵头或配合）的单位一个 .xlsx。

    \b
    示例：
      zwgk-xl split 分解表.xlsx --units 部门名录.xlsx --round 2021年第二季度 --due 2021-06-25 -o 下发/
      zwgk-xl split 分解表.xlsx --units 部门名录.xlsx --round 2021年第二季度 --due 2021-06-25 -o 下发/ --json
    """
    from zwgk_xl.forms.command import run_split

    render(run_split(plan_path, units=units_path, round=round_, due=due, output=out_dir, contact=contact,
                     workspace=workspace, use_ledger=not no_ledger), as_json)


# --- merge (issue 5) --------------------------------------------------------


class _MergeProgress:
    """A progress bar on stderr, created once the number of files is known."""

    def __init__(self):
        self.bar = None

    def __call__(self, done: int, total: int, name: str) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="汇总", file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@main.command()
@click.argument("folder", metavar="回收文件夹", type=click.Path(path_type=Path))
@click.option("--plan", "plan_path", type=click.Path(path_type=Path),
              help="分解表 .xlsx（本轮首次汇总时给出；之后可省略，沿用台账中保存的分解表）。")
@click.option("--round", "round_", help="汇总轮次，如 2021年第二季度（默认：台账中最近一轮；台账中还没有轮次时，取多数填报表记录的轮次）。")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="汇总表 .xlsx（默认：台账文件夹/汇总表_<轮次>.xlsx）。")
@click.option("--units", "units_path", type=click.Path(path_type=Path),
              help="部门名录 .xlsx（展开“县直各部门”等泛指单位；默认取 zwgk.toml 的 units）。")
@click.option("-C", "--workspace", type=click.Path(path_type=Path), help="台账文件夹（默认从当前文件夹向上查找）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出汇总结果（与库函数结果相同）。")
@click.option("-q", "--quiet", is_flag=True, help="安静模式：不显示进度条和问题明细，只输出一行摘要。")
@click.option("--workers", type=click.IntRange(min=1),
              help="读取表格的进程数（默认：CPU 核数，最多 4；也可用环境变量 ZWGK_WORKERS 设定；1 为不另开进程）。")
@handle_errors
def merge(folder, plan_path, round_, output, units_path, workspace, as_json, quiet, workers):
    """汇总回收的填报表：逐个校验、存入台账、写出汇总表。

    递归读取文件夹中的 .xlsx/.xlsm/.xls/.ods/.et；每个问题都列入汇总表的「问题清单」。
    退出码：0 全部顺利汇总；1 有问题需处理；2 用法错误。

    \b
    示例：
      zwgk-xl merge 回收/ --plan 分解表.xlsx -o 汇总表.xlsx
      zwgk-xl merge 回收/ --round 2021年第二季度 --json
      zwgk-xl merge 回收/ -C D:/政务公开台账 -q
    """
    from zwgk_xl.merge.command import run_merge

    bar = _MergeProgress() if not (quiet or as_json) and sys.stderr.isatty() else None
    try:
        result = run_merge(folder, workspace=workspace, plan_path=plan_path, round=round_, output=output,
                           units_path=units_path, progress=bar, workers=workers)
    finally:
        if bar is not None:
            bar.close()
    render(result, as_json, quiet=quiet)


# --- report (issue 6) -------------------------------------------------------


@main.command()
@click.argument("source", metavar="[台账目录 | 汇总表.xlsx]", required=False, type=click.Path(path_type=Path))
@click.option("--round", "round_", help="报告轮次，如 2021年第二季度（默认：汇总表文件名中的轮次，否则台账中最近一轮）。")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="报告 .docx（默认：台账文件夹/落实情况报告_<轮次>.docx）；统计表写在旁边（<名称>_统计.xlsx）。")
@click.option("--template", type=click.Path(path_type=Path),
              help="报告模板 .docx（默认：台账文件夹/templates/报告模板.docx，否则内置公文模板）。")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 转出 PDF。")
@click.option("--as-of", "as_of", metavar="日期", help="判断逾期的截止日期，如 2021-06-30（默认：本轮截止日期已过时取截止日期，否则取今天）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果（与库函数结果相同）。")
@handle_errors
def report(source, round_, output, template, pdf, as_of, as_json):
    """依据台账生成本轮落实情况报告（Word）及统计表（带图表的 Excel）。

    报告按上级清单的结构逐项列出各单位落实情况（牵头单位在前），并含统计、
    逾期及未报送情况、存在问题和下步计划。给出汇总表时，从它所在的台账读取数据。

    \b
    示例：
      zwgk-xl report -o 报告.docx
      zwgk-xl report D:/政务公开台账 --round 2021年第二季度 -o 报告.docx --pdf
      zwgk-xl report 汇总表_2021年第二季度.xlsx --template 我的模板.docx
    """
    from zwgk_xl.report.render import report_workspace

    render(report_workspace(source, output, round=round_, template=template, pdf=pdf, as_of=as_of),
           as_json)


# --- mail (issue 7) ---------------------------------------------------------


_WORKSPACE_OPTION = click.option(
    "-C", "--workspace", type=click.Path(path_type=Path),
    help="台账文件夹（默认：当前文件夹或其上级中含 台账.sqlite / zwgk.toml 的文件夹）。")


@main.group()
def mail():
    """用邮件下发填报表、催报、收取各单位的回复。

    \b
    邮件服务器在台账文件夹的 zwgk.toml 中设置（[mail] 表：host、port、
    security、user、from、imap_host、imap_port、rate），环境变量
    ZWGK_SMTP_HOST、ZWGK_SMTP_PORT、ZWGK_SMTP_SECURITY、ZWGK_SMTP_USER、
    ZWGK_MAIL_FROM、ZWGK_IMAP_HOST 等优先。密码只从环境变量
    ZWGK_SMTP_PASSWORD（ZWGK_IMAP_PASSWORD）或系统密钥环读取：
      keyring set zwgk-xl 用户名
    """


@mail.command("send")
@click.argument("forms_dir", metavar="下发文件夹", type=click.Path(path_type=Path))
@click.option("--units", "units_path", type=click.Path(path_type=Path),
              help="部门名录 .xlsx（收件人取“邮箱”列；默认取 zwgk.toml 的 units）。")
@click.option("--round", "round_", help="只发送该轮次的填报表（文件夹中有多个轮次时必填）。")
@click.option("--dry-run", "dry_run", type=click.Path(path_type=Path), metavar="OUTDIR",
              help="不发送，把每封邮件写成 .eml 文件放到 OUTDIR，便于检查。")
@click.option("--resend", multiple=True, metavar="UNIT", help="即使已发送过也重新发送给该单位（可多次使用）。")
@click.option("--rate", type=float, help="每分钟最多发送几封（服务器限制发信频率时使用）。")
@_WORKSPACE_OPTION
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出发送结果。")
@handle_errors
def mail_send(forms_dir, units_path, round_, dry_run, resend, rate, workspace, as_json):
    """把每个单位的填报表作为附件发到部门名录中的邮箱。

    已成功发送的不会重复发送（中断后重新运行即可补发）；没有邮箱或邮箱
    有误的单位会列出。

    \b
    示例：
      zwgk-xl mail send 下发/ --units 部门名录.xlsx --dry-run 待发邮件/
      zwgk-xl mail send 下发/ --units 部门名录.xlsx --round 2021年第二季度 --rate 20
      zwgk-xl mail send 下发/ --units 部门名录.xlsx --resend 县教育体育局
    """
    from zwgk_xl.mail.commands import run_send

    render(run_send(forms_dir, units=units_path, workspace=workspace, round=round_, dry_run=dry_run, resend=resend,
                    rate=rate), as_json)


@mail.command("remind")
@click.option("--round", "round_", help="轮次（默认：台账中最近的轮次）。")
@click.option("--units", "units_path", type=click.Path(path_type=Path),
              help="部门名录 .xlsx（默认用发送填报表时的邮箱）。")
@click.option("--due", default="", help="催报邮件中写的截止日期（默认沿用下发时的日期）。")
@click.option("--dry-run", "dry_run", type=click.Path(path_type=Path), metavar="OUTDIR",
              help="不发送，把催报邮件写成 .eml 文件放到 OUTDIR。")
@click.option("--resend", multiple=True, metavar="UNIT", help="今天已催报过的单位也再发一次（可多次使用）。")
@click.option("--as-of", "as_of", metavar="日期", help="判断逾期的截止日期，如 2021-06-30（默认：本轮截止日期已过时取截止日期，否则取今天）。")
@click.option("--rate", type=float, help="每分钟最多发送几封。")
@_WORKSPACE_OPTION
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出催报结果。")
@handle_errors
def mail_remind(round_, units_path, due, dry_run, resend, rate, as_of, workspace, as_json):
    """给尚未报送、或有逾期未完成任务的单位发催报邮件，并列出这些单位。

    \b
    示例：
      zwgk-xl mail remind --dry-run 催报邮件/
      zwgk-xl mail remind --round 2021年第二季度 --due 2021-06-30
    """
    from zwgk_xl.mail.commands import run_remind

    render(run_remind(units=units_path, workspace=workspace, round=round_, due=due, dry_run=dry_run, resend=resend,
                      rate=rate, as_of=as_of), as_json)


@mail.command("fetch")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="收取该日期（如 2021-06-01）以来的全部邮件；默认只收上次以来的新邮件。")
@_WORKSPACE_OPTION
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出收取结果。")
@handle_errors
def mail_fetch(since, workspace, as_json):
    """从收信邮箱（IMAP）收取回复中的附件，保存到台账文件夹的 回收/。

    保存表格文件（.xlsx .xlsm .xls .ods .et 等）、压缩包、Word 文档和扫描件（.pdf .ofd），
    由 merge 识别；图片和其他文件不保存。不打开、不运行任何附件；
    同样内容的附件只保存一次，并记下发件人供汇总时识别单位。

    \b
    示例：
      zwgk-xl mail fetch
      zwgk-xl mail fetch --since 2021-06-01 -C 台账/
    """
    from zwgk_xl.mail.commands import run_fetch

    render(run_fetch(workspace=workspace, since=since.date() if since else None), as_json)


# --- init (issue 16) --------------------------------------------------------


@main.command()
@click.argument("folder", metavar="台账文件夹", default=".", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="重新生成控制工作簿 zwgk_xl.xlsm（原文件另存为 zwgk_xl.bak.xlsm；其他文件不覆盖）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@handle_errors
def init(folder, force, as_json):
    """建立台账文件夹：控制工作簿 zwgk_xl.xlsm、示例部门名录、模板、zwgk.toml 和各子文件夹。

    子文件夹为 上级文件、下发、回收、汇总、报告。已有的文件不会被覆盖。
    在该文件夹中运行的各条命令和工作簿中的按钮使用同样的设置（zwgk.toml）。
    控制工作簿内嵌本机已安装的 xlwings 的 VBA 模块，升级 xlwings 后请加 --force 重新生成。

    \b
    示例：
      zwgk-xl init 政务公开台账
      cd 政务公开台账 && zwgk-xl parse 上级文件/2021年工作要点.docx -o 上级任务.xlsx
      zwgk-xl init 政务公开台账 --force
    """
    from zwgk_xl.ledger.workspace_init import init_workspace

    render(init_workspace(folder, force=force), as_json)


# --- demo -------------------------------------------------------------------


@main.command()
@click.argument("folder", default="示例台账", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="文件夹已有其他内容（但不是台账）时仍在其中生成示例。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@handle_errors
def demo(folder, force, as_json):
    """用自带的示例数据把全年流程走一遍：解析 → 分解 → 两轮下发、回复、汇总 → 报告 → 催报。

    上级文件为《2020年云南省政务公开工作要点》（公开文件），本级为示例县的部门名录；
    各单位的回复由程序模拟填写（含另存为 .xls/.ods、改动锁定内容、重复报送、逾期、未报送等
    实际常见的情况），邮件只生成 .eml 文件，不会发送。只在新文件夹或示例自己建的文件夹中运行，
    不会写入已有的台账。

    \b
    示例：
      zwgk-xl demo 示例台账
      cd 示例台账 && zwgk-xl report --pdf
    """
    from zwgk_xl.demo import run_demo

    render(run_demo(folder, force=force), as_json)


if __name__ == "__main__":  # pragma: no cover
    main()
