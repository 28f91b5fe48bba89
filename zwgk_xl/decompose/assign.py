"""Who gets which task: the plan's unit entries resolved against the directory, groups expanded.

This is the one place assignment happens; the forms, the ledger's stored
assignment and the master all use it.
"""

from __future__ import annotations

import re

from zwgk_xl.core.errors import FormError
from zwgk_xl.core.model import ROLE_COOPERATE, ROLE_LEAD, ROLE_RESPONSIBLE, Document, Node

_GENERIC = re.compile(r"^各|有关|各部门|各单位|各乡镇")  # addressees that name a group, not a unit


def _resolve(directory, name: str) -> list[str]:
    """Unit names for a plan entry: groups expand to members; aliases become the directory name."""
    name = (name or "").strip()
    if not name:
        return []
    members = directory.expand(name) if directory is not None else []
    if not members and directory is not None and (_is_group(directory, name) or _GENERIC.search(name)):
        raise FormError(f"分解表中的「{name}」在部门名录中没有成员单位。请在部门名录中补充其成员，或在分解表中改为具体单位。")
    out = []
    for m in members or [name]:
        unit = directory.get(m) if directory is not None else None
        out.append(getattr(unit, "name", None) or m)
    return out


def _is_group(directory, name: str) -> bool:
    check = getattr(directory, "is_group", None)
    return bool(check(name)) if check else False


def unknown_units(units, directory) -> list[str]:
    """Units (as written in the plan, after group expansion) that the directory does not know."""
    if directory is None:
        return []
    return [u for u in units if directory.get(u) is None]


def assign_tasks(plan: Document, directory) -> dict[str, list[tuple[Node, str]]]:
    """Map unit -> [(task, role)] in plan order: 牵头, 责任 (``responsible_local``) or 配合.

    A unit named in several roles of one task keeps the strongest (牵头, then 责任).
    """
    by_unit: dict[str, dict[str, tuple[Node, str]]] = {}
    seen: set[str] = set()
    for task in plan.tasks:
        if not task.id or task.id in seen:
            what = f"任务编号「{task.id}」重复" if task.id else f"任务「{task.title[:20]}」没有编号"
            raise FormError(f"分解表中{what}，填报表无法与汇总对应。请改正分解表的任务编号后重新下发。")
        seen.add(task.id)
        responsible = [u for u in task.others_local if u in task.responsible_local]
        cooperating = [u for u in task.others_local if u not in responsible]
        for role, names in ((ROLE_LEAD, task.lead_local), (ROLE_RESPONSIBLE, responsible), (ROLE_COOPERATE, cooperating)):
            for name in names:
                for unit in _resolve(directory, name):
                    mine = by_unit.setdefault(unit, {})
                    if task.id not in mine:
                        mine[task.id] = (task, role)
    return {u: list(tasks.values()) for u, tasks in by_unit.items()}


def assignment_ids(plan: Document, directory) -> dict[str, list[tuple[str, str]]]:
    """unit -> [(task id, role)]: :func:`assign_tasks` in the plain form the ledger stores."""
    return {u: [(t.id, role) for t, role in tasks] for u, tasks in assign_tasks(plan, directory).items()}
