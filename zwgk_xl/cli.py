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
from zwgk_xl.core.errors import ZwgkError


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


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
            click.echo(f"错误:{e}", err=True)
            sys.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("已中断。", err=True)
            sys.exit(130)
        except Exception as e:  # noqa: BLE001 - last line of defence
            if verbose:
                traceback.print_exc()
            click.echo(
                f"错误:发生意外问题({type(e).__name__}: {e})。"
                "请加 --verbose 重试并把输出发给维护人员。",
                err=True,
            )
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", is_flag=True, help="出错时显示详细的调试信息。")
@click.version_option(__version__, prog_name="zwgk-xl")
@click.pass_context
def main(ctx, verbose):
    """zwgk-xl:政务公开任务清单的解析、分解、下发、汇总与报告。

    \b
    典型流程:
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
@click.option("-o", "--output", type=click.Path(path_type=Path), help="写出任务表 .xlsx(如 上级任务.xlsx)。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出解析结果。")
@click.option("--year", type=int, help="文件年度(文中无法确定年度时使用)。")
@handle_errors
def parse(input_path, output, as_json, year):
    """解析上级任务清单(txt/docx/doc/xlsx/xls/html)为结构化任务。

    \b
    示例:
      zwgk-xl parse 2020年工作要点.docx -o 上级任务.xlsx
      zwgk-xl parse 要点.txt --json
    """
    from zwgk_xl.parse import parse_file
    from zwgk_xl.parse.tasktable import write_task_table

    doc = parse_file(input_path, year=year)
    if output:
        write_task_table(doc, output)
    if as_json:
        _echo_json(doc.to_dict())
        return
    tasks = doc.tasks
    click.echo(
        f"已解析《{doc.title or input_path.name}》:"
        f"{len(doc.roots)} 个一级标题,{len(tasks)} 项任务。"
    )
    review = [t.id for t in tasks if t.review]
    if review:
        click.echo(f"需人工核对 {len(review)} 项:{'、'.join(review[:20])}{'…' if len(review) > 20 else ''}")
    for w in doc.warnings:
        click.echo(f"警告:{w}")
    if output:
        click.echo(f"已写出:{output}")


# --- decompose (issue 3) ----------------------------------------------------


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--units", "units_path", required=True, type=click.Path(path_type=Path),
              help="部门名录 .xlsx/.csv(单位名称、简称/别名、类别、联系人、电话、邮箱、对口上级单位)。")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="写出分解表 .xlsx(如 分解表.xlsx)。")
@click.option("--level", type=click.Choice(["县", "市", "局"]), default="县", show_default=True,
              help="本级层级:县/市(部门、乡镇)或 局(科室)。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出分解结果(含 lead_local、others_local、assignment_notes)。")
@click.option("--year", type=int, help="文件年度(文中无法确定年度时使用)。")
@handle_errors
def decompose(input_path, units_path, output, level, as_json, year):
    """把上级任务分解到本级单位,写出任务分解表。

    INPUT 可以是上级文件(txt/docx/doc/xlsx/html)、parse 写出的任务表,或已编辑过的分解表。
    每个上级单位对应到本级单位的依据(名称一致、别名/对照、层级替换、泛称归入分组、模糊匹配)
    写在分解表的“分配依据”工作表中;找不到对应单位的会列出,不会丢弃。

    \b
    示例:
      zwgk-xl decompose 2020年工作要点.docx --units 部门名录.xlsx -o 分解表.xlsx
      zwgk-xl decompose 分解表.xlsx --units 部门名录.xlsx -o 分解表_新.xlsx
      zwgk-xl decompose 实施方案.txt --units 科室名录.xlsx --level 局 --json
    """
    from zwgk_xl.decompose import decompose_file, unmatched

    if output is None and not as_json:
        raise click.UsageError("请用 -o 指定要写出的分解表(如 -o 分解表.xlsx),或加 --json 只输出结果。")
    doc = decompose_file(input_path, units_path, output=output, level=level, year=year)
    if as_json:
        _echo_json(doc.to_dict(local=True))
        return
    tasks = doc.tasks
    assigned = sum(1 for t in tasks if t.lead_local or t.others_local)
    click.echo(f"已分解《{doc.title or input_path.name}》:{len(tasks)} 项任务,{assigned} 项已落实到本级单位。")
    missing = unmatched(doc)
    if missing:
        click.echo(f"未匹配的上级单位 {len(missing)} 个(见分解表“分配依据”表,请人工指定):")
        for task_id, source in missing:
            click.echo(f"  {task_id}:{source}")
    for w in doc.warnings:
        if not w.startswith("未匹配"):
            click.echo(f"警告:{w}")
    click.echo(f"已写出:{output}")

# --- split (issue 4) --------------------------------------------------------


@main.command()
@click.argument("plan_path", metavar="分解表", type=click.Path(path_type=Path))
@click.option("--units", "units_path", required=True, type=click.Path(path_type=Path), help="部门名录 .xlsx(用于展开“县直各部门”等泛指单位)。")
@click.option("--round", "round_", required=True, help="填报轮次,如 2021年第二季度。")
@click.option("--due", required=True, help="报送截止日期,如 2021-06-25。")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path), help="填报表输出文件夹(如 下发/)。")
@click.option("--contact", default="", help="填报说明中的联系人及电话,如“张三 0878-1234567”。")
@click.option("-C", "--workspace", type=click.Path(path_type=Path), help="台账文件夹(默认从当前文件夹向上查找)。")
@click.option("--no-ledger", is_flag=True, help="不使用台账:不登记分解表、不预填上一轮内容。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出生成的文件列表。")
@handle_errors
def split(plan_path, units_path, round_, due, out_dir, contact, workspace, no_ledger, as_json):
    """按单位生成填报表:每个有任务(牵头或配合)的单位一个 .xlsx。

    \b
    示例:
      zwgk-xl split 分解表.xlsx --units 部门名录.xlsx --round 2021年第二季度 --due 2021-06-25 -o 下发/
      zwgk-xl split 分解表.xlsx --units 部门名录.xlsx --round 2021年第二季度 --due 2021-06-25 -o 下发/ --json
    """
    from zwgk_xl.forms.writer import split_plan

    result = split_plan(plan_path, units_path, round_, due, out_dir, workspace=workspace,
                        contact=contact, use_ledger=not no_ledger)
    for w in result.warnings:
        click.echo(f"警告:{w}", err=True)
    if as_json:
        _echo_json([f.to_dict() for f in result.forms])
        return
    for f in result.forms:
        extra = f",预填上轮 {f.prefilled} 项" if f.prefilled else ""
        click.echo(f"{f.unit}:{f.task_count} 项任务{extra} → {f.path.name}")
    click.echo(f"共生成 {len(result.forms)} 个填报表,保存在 {out_dir}")
    if result.workspace:
        click.echo(f"已在台账({result.workspace})登记本轮分解表。")

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
              help="分解表 .xlsx(本轮首次汇总时给出;之后可省略,沿用台账中保存的分解表)。")
@click.option("--round", "round_", help="汇总轮次,如 2021年第二季度(默认取填报表中记录的轮次)。")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="汇总表 .xlsx(默认:台账文件夹/汇总表_<轮次>.xlsx)。")
@click.option("--units", "units_path", type=click.Path(path_type=Path),
              help="部门名录 .xlsx(展开“县直各部门”等泛指单位;默认取 zwgk.toml 的 units)。")
@click.option("-C", "--workspace", type=click.Path(path_type=Path), help="台账文件夹(默认从当前文件夹向上查找)。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出汇总结果(与库函数结果相同)。")
@click.option("-q", "--quiet", is_flag=True, help="安静模式:不显示进度条和问题明细,只输出一行摘要。")
@click.option("--workers", type=click.IntRange(min=1),
              help="读取表格的进程数(默认:CPU 核数,最多 4;也可用环境变量 ZWGK_WORKERS 设定;1 为不另开进程)。")
@handle_errors
def merge(folder, plan_path, round_, output, units_path, workspace, as_json, quiet, workers):
    """汇总回收的填报表:逐个校验、存入台账、写出汇总表。

    递归读取文件夹中的 .xlsx/.xlsm/.xls/.ods/.et;每个问题都列入汇总表的「问题清单」。
    退出码:0 全部顺利汇总;1 有问题需处理;2 用法错误。

    \b
    示例:
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
    if as_json:
        _echo_json(result.to_dict())
        sys.exit(result.exit_code)
    s = result.summary()
    line = (f"{result.round}:{s['files']} 个文件,采用 {s['accepted']},拒收 {s['rejected']},跳过 {s['skipped']};"
            f"已报送 {s['units_submitted']}/{s['units_submitted'] + s['units_missing']} 个单位;"
            f"错误 {s['errors']} 条,警告 {s['warnings']} 条,提示 {s['notes']} 条。汇总表:{result.output}")
    if quiet:
        click.echo(line)
        sys.exit(result.exit_code)
    if result.ledger_created:
        click.echo(f"未找到台账,已在 {result.workspace} 新建台账(台账.sqlite)。以后在此文件夹或其子文件夹中运行即可。")
    click.echo(f"台账:{result.workspace};分解表:{result.plan_source}")
    labels = {"error": "错误", "warning": "警告", "info": "提示"}
    for f in result.findings:
        where = " ".join(x for x in (f.unit, f.file, f.cell) if x)
        click.echo(f"[{labels.get(f.severity, f.severity)}] {where}:{f.message}")
    if result.units_missing:
        click.echo(f"未报送:{'、'.join(result.units_missing)}")
    click.echo(line)
    sys.exit(result.exit_code)


# --- report (issue 6) -------------------------------------------------------


@main.command()
@click.argument("source", metavar="[台账目录 | 汇总表.xlsx]", required=False, type=click.Path(path_type=Path))
@click.option("--round", "round_", help="报告轮次,如 2021年第二季度(默认:汇总表文件名中的轮次,否则台账中最近一轮)。")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="报告 .docx(默认:台账文件夹/落实情况报告_<轮次>.docx);统计表写在旁边(<名称>_统计.xlsx)。")
@click.option("--template", type=click.Path(path_type=Path),
              help="报告模板 .docx(默认:台账文件夹/templates/报告模板.docx,否则内置公文模板)。")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 转出 PDF。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果(与库函数结果相同)。")
@handle_errors
def report(source, round_, output, template, pdf, as_json):
    """依据台账生成本轮落实情况报告(Word)及统计表(带图表的 Excel)。

    报告按上级清单的结构逐项列出各单位落实情况(牵头单位在前),并含统计、
    逾期及未报送情况、存在问题和下步计划。给出汇总表时,从它所在的台账读取数据。

    \b
    示例:
      zwgk-xl report -o 报告.docx
      zwgk-xl report D:/政务公开台账 --round 2021年第二季度 -o 报告.docx --pdf
      zwgk-xl report 汇总表_2021年第二季度.xlsx --template 我的模板.docx
    """
    from zwgk_xl.report.render import report_workspace

    result = report_workspace(source, output, round=round_, template=template, pdf=pdf)
    if as_json:
        _echo_json(result.to_dict())
        return
    done = result.by_status.get("已完成", 0)
    click.echo(f"{result.round}:{result.tasks} 项任务,已完成 {done} 项;"
               f"已报送 {result.units_submitted}/{result.units} 个单位。")
    for path in result.outputs:
        click.echo(f"已写出:{path}")

# --- mail (issue 7) ---------------------------------------------------------


_WORKSPACE_OPTION = click.option(
    "-C", "--workspace", type=click.Path(path_type=Path),
    help="台账文件夹(默认:当前文件夹或其上级中含 台账.sqlite / zwgk.toml 的文件夹)。")


def _echo_mail_result(result, as_json: bool) -> None:
    """Print a send/remind result; exit 1 when some unit was not reached."""
    if as_json:
        _echo_json(result.to_dict())
    else:
        what = "通知" if result.kind == "send" else "催报"
        click.echo(f"轮次「{result.round}」{what}{'(演练,未发送)' if result.dry_run else ''}:")
        for item in result.items:
            extra = f" [{item.reason}]" if item.reason else ""
            files = f" 附件:{'、'.join(item.files)}" if item.attached else ""
            where = f" → {', '.join(item.recipients)}" if item.recipients else ""
            note = f"({item.error})" if item.error else ""
            click.echo(f"  {item.unit}{extra}:{item.label}{note}{where}{files}")
            if item.eml:
                click.echo(f"    {item.eml}")
        counts = "、".join(f"{_mail_labels()[s]} {n}" for s, n in result.counts.items())
        click.echo(f"合计:{counts or '无'}")
        for f in result.findings:
            click.echo(f"{'错误' if f.severity == 'error' else '提示'}:{f.message}{f.action}", err=True)
    if not result.ok:
        sys.exit(1)


def _mail_labels() -> dict:
    from zwgk_xl.mail.send import STATUS_LABELS

    return STATUS_LABELS


@main.group()
def mail():
    """用邮件下发填报表、催报、收取各单位的回复。

    \b
    邮件服务器在台账文件夹的 zwgk.toml 中设置([mail] 表:host、port、
    security、user、from、imap_host、imap_port、rate),环境变量
    ZWGK_SMTP_HOST、ZWGK_SMTP_PORT、ZWGK_SMTP_SECURITY、ZWGK_SMTP_USER、
    ZWGK_MAIL_FROM、ZWGK_IMAP_HOST 等优先。密码只从环境变量
    ZWGK_SMTP_PASSWORD(ZWGK_IMAP_PASSWORD)或系统密钥环读取:
      keyring set zwgk-xl 用户名
    """


@mail.command("send")
@click.argument("forms_dir", metavar="下发文件夹", type=click.Path(path_type=Path))
@click.option("--units", "units_path", required=True, type=click.Path(path_type=Path),
              help="部门名录 .xlsx(收件人取“邮箱”列)。")
@click.option("--round", "round_", help="只发送该轮次的填报表(文件夹中有多个轮次时必填)。")
@click.option("--dry-run", "dry_run", type=click.Path(path_type=Path), metavar="OUTDIR",
              help="不发送,把每封邮件写成 .eml 文件放到 OUTDIR,便于检查。")
@click.option("--resend", multiple=True, metavar="UNIT", help="即使已发送过也重新发送给该单位(可多次使用)。")
@click.option("--rate", type=float, help="每分钟最多发送几封(服务器限制发信频率时使用)。")
@_WORKSPACE_OPTION
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出发送结果。")
@handle_errors
def mail_send(forms_dir, units_path, round_, dry_run, resend, rate, workspace, as_json):
    """把每个单位的填报表作为附件发到部门名录中的邮箱。

    已成功发送的不会重复发送(中断后重新运行即可补发);没有邮箱或邮箱
    有误的单位会列出。

    \b
    示例:
      zwgk-xl mail send 下发/ --units 部门名录.xlsx --dry-run 待发邮件/
      zwgk-xl mail send 下发/ --units 部门名录.xlsx --round 2021年第二季度 --rate 20
      zwgk-xl mail send 下发/ --units 部门名录.xlsx --resend 县教育体育局
    """
    from zwgk_xl.ledger.store import find_workspace
    from zwgk_xl.mail import send_forms

    result = send_forms(forms_dir, units_path, find_workspace(workspace), round=round_, dry_run_dir=dry_run,
                        resend=resend, rate=rate)
    _echo_mail_result(result, as_json)


@mail.command("remind")
@click.option("--round", "round_", help="轮次(默认:台账中最近的轮次)。")
@click.option("--units", "units_path", type=click.Path(path_type=Path),
              help="部门名录 .xlsx(默认用发送填报表时的邮箱)。")
@click.option("--due", default="", help="催报邮件中写的截止日期(默认沿用下发时的日期)。")
@click.option("--dry-run", "dry_run", type=click.Path(path_type=Path), metavar="OUTDIR",
              help="不发送,把催报邮件写成 .eml 文件放到 OUTDIR。")
@click.option("--resend", multiple=True, metavar="UNIT", help="今天已催报过的单位也再发一次(可多次使用)。")
@click.option("--rate", type=float, help="每分钟最多发送几封。")
@_WORKSPACE_OPTION
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出催报结果。")
@handle_errors
def mail_remind(round_, units_path, due, dry_run, resend, rate, workspace, as_json):
    """给尚未报送、或有逾期未完成任务的单位发催报邮件,并列出这些单位。

    \b
    示例:
      zwgk-xl mail remind --dry-run 催报邮件/
      zwgk-xl mail remind --round 2021年第二季度 --due 2021-06-30
    """
    from zwgk_xl.ledger.store import find_workspace
    from zwgk_xl.mail import remind

    result = remind(find_workspace(workspace), units_path, round=round_, dry_run_dir=dry_run, due=due,
                    resend=resend, rate=rate)
    _echo_mail_result(result, as_json)


@mail.command("fetch")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="收取该日期(如 2021-06-01)以来的全部邮件;默认只收上次以来的新邮件。")
@_WORKSPACE_OPTION
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出收取结果。")
@handle_errors
def mail_fetch(since, workspace, as_json):
    """从收信邮箱(IMAP)收取回复中的表格附件,保存到台账文件夹的 回收/。

    只保存表格文件(.xlsx .xlsm .xls .ods .et),不打开、不运行任何附件;
    同样内容的附件只保存一次,并记下发件人供汇总时识别单位。

    \b
    示例:
      zwgk-xl mail fetch
      zwgk-xl mail fetch --since 2021-06-01 -C 台账/
    """
    from zwgk_xl.ledger.store import find_workspace
    from zwgk_xl.mail import fetch

    result = fetch(find_workspace(workspace), since=since.date() if since else None)
    if as_json:
        _echo_json(result.to_dict())
        return
    click.echo(f"已检查 {result.messages} 封新邮件,保存 {len(result.saved)} 个表格到 {result.folder}"
               f"{f',{len(result.duplicates)} 个重复附件未再保存' if result.duplicates else ''}。")
    for f in result.saved:
        click.echo(f"  {f.filename}  ← {f.unit or f.sender}")
    for s in result.skipped:
        click.echo(f"  未保存:{s['name']}({s['sender']},{s['reason']})")
    for f in result.findings:
        click.echo(f"提示:{f.message}{f.action}", err=True)


# --- demo -------------------------------------------------------------------


@main.command()
@click.argument("folder", default="示例台账", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="文件夹已有内容时仍然运行(会覆盖示例台账中的文件)。")
@handle_errors
def demo(folder, force):
    """用自带的示例数据把全年流程走一遍:解析 → 分解 → 下发 → 回收 → 汇总 → 报告。

    上级文件为《2020年云南省政务公开工作要点》(公开文件),本级为示例县的
    部门名录;各单位的回复由程序模拟填写,邮件只生成 .eml 文件,不会发送。

    \b
    示例:
      zwgk-xl demo 示例台账
      cd 示例台账 && zwgk-xl report --pdf
    """
    from zwgk_xl.demo import run_demo

    result = run_demo(folder, force=force)
    for what, detail in result.steps:
        click.echo(f"{what}:{detail}")
    if result.silent:
        click.echo(f"未报送的单位({len(result.silent)} 个):{'、'.join(result.silent)}")
    click.echo(f"完成。示例台账在 {result.folder},可打开 汇总表.xlsx 和 落实情况报告.docx 查看。")


if __name__ == "__main__":  # pragma: no cover
    main()
