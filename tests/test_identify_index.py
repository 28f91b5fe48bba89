"""Which unit's tasks a pasted table fits: through the task -> units index, as by comparing with every unit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from zwgk_xl.core.model import Node
from zwgk_xl.merge.context import Context
from zwgk_xl.merge.identify import _foreign, _tasks_unit

TASKS = [Node(id=f"一.({i})", path=["一", f"({i})"], title=f"任务{i}", is_task=True) for i in range(12)]
UNITS = [f"县第{i}局" for i in range(6)]


def _by_every_unit(ctx: Context, ids: set[str]) -> str:
    if not ids:
        return ""
    scores = sorted(((len(ids & ctx.task_ids(u)) / len(ids | ctx.task_ids(u)), u) for u in ctx.assigned), reverse=True)
    if scores and scores[0][0] >= 0.5 and (len(scores) == 1 or scores[1][0] < scores[0][0]):
        return scores[0][1]
    return ""


def _foreign_by_every_unit(ctx: Context, unit: str, ids: set[str]) -> bool:
    extra = ids - ctx.task_ids(unit)
    return bool(extra) and any(extra <= ctx.task_ids(u) for u in ctx.assigned if u != unit)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sets(st.integers(0, 11), max_size=8), min_size=1, max_size=6),
       st.sets(st.integers(0, 13), max_size=10), st.integers(0, 5))
def test_index_gives_what_comparing_with_every_unit_gives(holdings, table, who):
    ctx = Context(round="2021年", ledger_id="x",
                  assigned={u: [(TASKS[i], "责任") for i in sorted(h)] for u, h in zip(UNITS, holdings)})
    ids = {f"一.({i})" for i in table}
    assert _tasks_unit(ctx, ids) == _by_every_unit(ctx, ids)
    unit = UNITS[who % len(holdings)]
    assert _foreign(ctx, unit, ids) == _foreign_by_every_unit(ctx, unit, ids)
