"""The contract between fill-in forms (``split``) and their merge.

Both ``forms`` (writer) and ``merge`` (reader) import the layout from here,
so a change of layout is one change.  Bump :data:`TEMPLATE_VERSION` whenever
the layout changes; merge flags forms of another version.
"""

from __future__ import annotations

import hashlib
import json

from .model import STATUSES

TEMPLATE_VERSION = "zwgk-form-1"

TASK_SHEET = "填报表"
META_SHEET = "_zwgk_meta"  # very hidden
META_PREFIX = "zwgk_"  # custom document properties / defined names carry the same keys

# Columns of the task table, in order.  (key, header)
LOCKED_COLUMNS = [
    ("id", "任务编号"),
    ("title", "工作任务"),
    ("text", "任务要求"),
    ("role", "本单位角色"),
    ("deadline", "完成时限"),
]
INPUT_COLUMNS = [
    ("status", "完成状态"),
    ("progress", "落实情况"),
    ("done_date", "完成时间"),
    ("problems", "存在问题"),
    ("next_steps", "下步计划"),
    ("evidence", "佐证材料"),
]
COLUMNS = LOCKED_COLUMNS + INPUT_COLUMNS
HEADERS = [h for _, h in COLUMNS]

# Per-form inputs (one cell each, in the header block): key -> label
FORM_FIELDS = [("filler", "填报人"), ("phone", "联系电话"), ("fill_date", "填报日期")]

STATUS_LIST = list(STATUSES)

# Metadata keys (stored in the very hidden sheet as key/value rows, and again
# as custom document properties / defined names prefixed with META_PREFIX).
META_KEYS = ["ledger_id", "round", "unit", "task_ids", "checksum", "template_version", "due"]


def locked_checksum(rows: list[dict]) -> str:
    """Checksum of the locked content of a form: id, title, text, role, deadline per row.

    ``rows`` are dicts with the LOCKED_COLUMNS keys; values are normalised to
    stripped strings so a re-save that changes number formats does not alter it.
    """
    payload = [[str(r.get(k, "") or "").strip() for k, _ in LOCKED_COLUMNS] for r in rows]
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]
