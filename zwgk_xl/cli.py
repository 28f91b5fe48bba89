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

from . import __version__
from .errors import ZwgkError


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
    from .parsing import parse_file
    from .tasktable import write_task_table

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
    from .decompose import decompose_file, unmatched

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
    from .forms import split_plan

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

# --- report (issue 6) -------------------------------------------------------

# --- mail (issue 7) ---------------------------------------------------------

# --- demo -------------------------------------------------------------------


if __name__ == "__main__":  # pragma: no cover
    main()
