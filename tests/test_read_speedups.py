"""The cheaper ways ``merge`` reads and validates a return give what the plain ways gave."""

from __future__ import annotations

import hashlib
import json

import pytest

from zwgk_xl.core.model import Deadline, Node
from zwgk_xl.forms import spec as fs
from zwgk_xl.merge.context import Context

# Checksums issued forms carry: locked_checksum must give these forever.
PINNED = {
    "empty": ([], "4f53cda18c2baa0c"),
    "plain": ([{"id": "一.(1)", "title": "任务1", "text": "第1项任务的具体要求：依法依规做好公开。", "role": "牵头",
                "deadline": "2021-12-31"}], "2a0dd95a2b61a2de"),
    "odd": ([{"id": " 1 ", "title": None, "text": 'quote " back \\ tab\t nl\n ctl\x01 \u2028', "role": 0,
              "deadline": 45000},
             {"id": "2"},
             {"id": 3.5, "title": "  ", "text": "emoji 😀 ＠", "role": "配合", "deadline": "长期"}], "932be78639457cde"),
}


def _json_checksum(rows: list[dict]) -> str:
    """locked_checksum as first written (json.dumps of the whole payload)."""
    payload = [[str(r.get(k, "") or "").strip() for k, _ in fs.LOCKED_COLUMNS] for r in rows]
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@pytest.mark.parametrize("case", sorted(PINNED))
def test_locked_checksum_is_pinned(case):
    rows, want = PINNED[case]
    assert fs.locked_checksum(rows) == want == _json_checksum(rows)


def test_locked_checksum_matches_json_on_varied_text():
    texts = ["", " ", "a\"b", "\\", "\x00\x1f\x7f", "中文，全角：", "\u2028\u2029", "😀", "</script>", "x"]
    rows = [{k: texts[(i + j) % len(texts)] for j, (k, _) in enumerate(fs.LOCKED_COLUMNS)} for i in range(len(texts))]
    assert fs.locked_checksum(rows) == _json_checksum(rows)


def _task(i: int) -> Node:
    return Node(id=f"一.({i})", path=["一", f"({i})"], title=f"任务{i}", text=f"第{i}项任务的具体要求。", deadline=Deadline(date="2021-12-31"))


def test_context_checksum_is_the_issued_one():
    """The merge's per-unit checksum (row texts made once per merge) is what the writer puts in the form."""
    from zwgk_xl.forms.writer import locked_rows

    tasks = [_task(i) for i in range(1, 6)]
    assigned = {"甲局": [(t, "牵头") for t in tasks], "乙局": [(tasks[0], "配合"), (tasks[3], "牵头")], "丙局": []}
    ctx = Context(round="2021年", ledger_id="x", assigned=assigned)
    for unit, pairs in assigned.items():
        assert ctx.checksum(unit) == fs.locked_checksum(locked_rows(pairs))
        assert ctx.checksum(unit) == fs.locked_checksum(locked_rows(pairs))  # remembered
