"""The ``decompose`` command: read its input, map it onto the directory, write the 分解表."""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineWorkbook

from zwgk_xl.core.errors import InputError, UsageError
from zwgk_xl.core.units import load_directory
from zwgk_xl.core.model import Document
from zwgk_xl.decompose.mapping import DEFAULT_FUZZY_CUTOFF, decompose
from zwgk_xl.decompose.plan import is_plan, read_plan, write_plan
from zwgk_xl.parse import parse_file
from zwgk_xl.parse.tasktable import SHEET_TASKS, read_task_table


def load_input(path, year: int | None = None) -> Document:
    """Read what ``decompose`` starts from: a 分解表, a ``parse`` task table or a superior document.

    Workbooks are told apart by their sheets: a header with 任务编号 and 牵头单位
    (分解表), a sheet 任务清单 (``parse -o``); anything else goes to the parser.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"找不到输入文件:{path}。请检查路径。")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if is_plan(path):
            return read_plan(path)
        if SHEET_TASKS in _sheet_names(path):
            return read_task_table(path)
    return parse_file(path, year=year)


def _sheet_names(path: Path) -> list[str]:
    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:  # noqa: BLE001 - unreadable: let the parser report it
        return []


def decompose_file(
    input_path,
    units_path,
    output=None,
    level: str = "县",
    year: int | None = None,
    fuzzy_cutoff: float = DEFAULT_FUZZY_CUTOFF,
) -> Document:
    """Read INPUT, decompose it with the 部门名录 and write the 分解表 (if ``output``).

    Raises:
        UsageError: ``output`` would overwrite the input or the directory.
    """
    if output is not None:
        out = Path(output).resolve()
        for p in (input_path, units_path):
            if Path(p).exists() and Path(p).resolve() == out:
                raise UsageError(f"输出文件不能与输入文件相同({Path(p).name}),请用 -o 指定另一个文件名。")
    directory = load_directory(units_path, level=level)
    doc = decompose(load_input(input_path, year=year), directory, level=level, fuzzy_cutoff=fuzzy_cutoff)
    doc.warnings = [*directory.warnings, *doc.warnings]
    if output is not None:
        write_plan(doc, output, directory=directory)
    return doc
