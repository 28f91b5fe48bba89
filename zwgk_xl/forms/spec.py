"""The contract between fill-in forms (``split``) and their merge.

Both ``forms`` (writer) and ``merge`` (reader) import the layout from here,
so a change of layout is one change.  Bump :data:`TEMPLATE_VERSION` whenever
the layout changes; merge flags forms of another version.
"""

from __future__ import annotations

import hashlib
from json.encoder import encode_basestring as _json_string  # json.dumps' own, ensure_ascii=False
from operator import methodcaller

from zwgk_xl.core.model import ROLE_COOPERATE, ROLE_LEAD, ROLE_RESPONSIBLE, STATUSES  # noqa: F401 (re-exported)

ROLES = (ROLE_LEAD, ROLE_RESPONSIBLE, ROLE_COOPERATE)  # what 本单位角色 may say, strongest first

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
    Issued forms carry it: its output must never change (``tests/test_read_speedups.py`` pins it).
    """
    return checksum_of_rows([locked_row_text([r.get(k, "") for k in _LOCKED_KEYS]) for r in rows])


_LOCKED_KEYS = [k for k, _ in LOCKED_COLUMNS]


def locked_row_text(values) -> str:
    """One row of :func:`locked_checksum`'s payload (``values``: its locked cells in LOCKED_COLUMNS order) as
    the JSON text hashed: a row's text can be kept and reused for every form holding that row."""
    return "[" + ",".join([_json_string(str(v or "").strip()) for v in values]) + "]"


def checksum_of_rows(texts: list[str]) -> str:
    """:func:`locked_checksum` of the rows whose :func:`locked_row_text` are ``texts``: the same bytes as
    ``json.dumps(payload, ensure_ascii=False, separators=(",", ":"))``, hashed."""
    return hashlib.sha256(("[" + ",".join(texts) + "]").encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------------
# Sheet layout of TASK_SHEET (0-based row/column indexes, as written by
# ``forms.write_forms``).  Readers should prefer ``find_header_row`` and
# ``find_form_fields`` (they tolerate rows a clerk inserted above the table)
# and use these constants as the default.

TITLE_ROW = 0
NOTES_ROW = 1  # 填报说明 block (merged)
INFO_ROW = 2  # 填报单位 / 截止日期 / 联系人 (locked)
FORM_FIELD_ROW = 3  # 填报人 / 联系电话 / 填报日期 (inputs)
HEADER_ROW = 4
FIRST_DATA_ROW = 5

# key -> (row, col) of the input cell; its label sits one column to the left.
FORM_FIELD_CELLS = {"filler": (FORM_FIELD_ROW, 1), "phone": (FORM_FIELD_ROW, 4), "fill_date": (FORM_FIELD_ROW, 6)}

# key -> 0-based column of the task table
COLUMN_INDEX = {k: i for i, (k, _) in enumerate(COLUMNS)}


META_LIST_SEP = "|"  # task_ids are stored joined by this separator


def _cell_text(v) -> str:
    return "" if v is None else str(v).strip()


def _texts(row: list) -> list[str]:
    """The stripped texts of a row's cells (a row of text cells at C speed)."""
    try:
        return list(map(str.strip, row))
    except TypeError:
        return [_cell_text(v) for v in row]


_HEADER_KEYS = {h: k for k, h in COLUMNS}
_FIELD_KEYS = {label: key for key, label in FORM_FIELDS}
_NO_COLON = methodcaller("rstrip", "::")


def find_header(rows: list[list], limit: int = 40) -> tuple[int, dict[str, int]] | None:
    """(index, column key -> 0-based column) of the task-table header in ``rows`` (cell values), or None.

    The header is the first row holding both 任务编号 and 完成状态; its columns may be in any order.
    """
    id_header, status_header = HEADERS[0], HEADERS[COLUMN_INDEX["status"]]
    for i, row in enumerate(rows[:limit]):
        texts = _texts(row)
        if id_header not in texts or status_header not in texts:
            continue
        cols: dict[str, int] = {}
        for j, text in enumerate(texts):
            key = _HEADER_KEYS.get(text)
            if key and key not in cols:
                cols[key] = j
        return i, cols
    return None


def find_header_row(rows: list[list], limit: int = 40) -> int | None:
    """Index of the task-table header row in ``rows``, or None (see :func:`find_header`)."""
    found = find_header(rows, limit)
    return found[0] if found else None


def find_form_field_cells(rows: list[list]) -> dict[str, tuple[int, int]]:
    """key -> (row, column) of the per-form inputs (填报人/联系电话/填报日期) found in ``rows``.

    Each input is the cell right of the first cell reading as its label (a trailing colon allowed).
    """
    found: dict[str, tuple[int, int]] = {}
    for i, row in enumerate(rows):
        keys = list(map(_FIELD_KEYS.get, map(_NO_COLON, _texts(row[:-1]))))
        for j in range(len(keys)) if any(keys) else ():
            key = keys[j]
            if key and key not in found:
                found[key] = (i, j + 1)
    return found


def find_form_fields(rows: list[list], limit: int = 30) -> dict[str, str]:
    """Values of the per-form inputs (填报人/联系电话/填报日期) in the first ``limit`` rows; missing ones map to ""."""
    out = {key: "" for key, _ in FORM_FIELDS}
    for key, (i, j) in find_form_field_cells(rows[:limit]).items():
        out[key] = rows[i][j]
    return out


def encode_task_ids(ids: list[str]) -> str:
    return META_LIST_SEP.join(ids)


def decode_task_ids(value) -> list[str]:
    """Task ids from their stored form (a joined string; a list passes through)."""
    if isinstance(value, (list, tuple)):
        return [str(s) for s in value]
    return [s for s in str(value or "").split(META_LIST_SEP) if s.strip()]
