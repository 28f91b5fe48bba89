"""The ledger (台账): one SQLite file in the 台账 folder, the single place state lives.

It keeps every received file (archived by content hash under ``<台账>/归档/``),
every accepted submission per round and unit with all its values, the plan
of each round, and the findings of each received file.  Everything else
(the master table, reports) is rebuilt from it.

The 台账 folder is the nearest folder, from the current directory upward,
holding ``台账.sqlite`` or ``zwgk.toml``; failing that, the current directory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as the tomli package
    import tomli as tomllib

from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.errors import WorkspaceError
from zwgk_xl.core.model import Assignment, Deadline, Document, Finding, Node, Source, UnitReport

LEDGER_NAME = "台账.sqlite"
BACKUP_NAME = LEDGER_NAME + ".bak"  # the copy kept before each merge
CONFIG_NAME = "zwgk.toml"
ARCHIVE_DIR = "归档"
SCHEMA_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\0"
REQUIRED_TABLES = frozenset({"schema_version", "meta", "rounds", "files", "plans", "receipts", "submissions",
                             "submission_values", "file_findings", "runs"})
ARCHIVE_NAME_BYTES = 120  # an archived file's name at most (hash and name), in UTF-8 bytes

# Values kept per task row of a submission (UnitReport fields a form fills in).
VALUE_KEYS = ["status", "progress", "done_date", "problems", "next_steps", "evidence"]
VALUE_ROW = ("row", "role", "status", "status_raw", *VALUE_KEYS[1:])  # one task's stored values, as a tuple

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (name TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, archived_path TEXT NOT NULL, original_name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plans (
    round TEXT PRIMARY KEY, sha256 TEXT, source_name TEXT, plan_json TEXT NOT NULL, assignment_json TEXT);
CREATE TABLE IF NOT EXISTS receipts (
    round TEXT NOT NULL, sha256 TEXT NOT NULL, file_name TEXT NOT NULL, received_at TEXT NOT NULL,
    outcome TEXT NOT NULL, unit TEXT NOT NULL DEFAULT '', identified_by TEXT NOT NULL DEFAULT '',
    meta_source TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (round, sha256));
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, round TEXT NOT NULL, unit TEXT NOT NULL, sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL, received_at TEXT NOT NULL, identified_by TEXT NOT NULL,
    filler TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '', fill_date TEXT NOT NULL DEFAULT '',
    UNIQUE (round, unit, sha256));
CREATE TABLE IF NOT EXISTS submission_values (
    submission_id INTEGER NOT NULL REFERENCES submissions(id), task_id TEXT NOT NULL, row INTEGER,
    role TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT '', status_raw TEXT NOT NULL DEFAULT '',
    progress TEXT NOT NULL DEFAULT '', done_date TEXT NOT NULL DEFAULT '', problems TEXT NOT NULL DEFAULT '',
    next_steps TEXT NOT NULL DEFAULT '', evidence TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (submission_id, task_id));
CREATE TABLE IF NOT EXISTS file_findings (
    round TEXT NOT NULL, sha256 TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
    severity TEXT NOT NULL, unit TEXT NOT NULL, file TEXT NOT NULL, sheet TEXT NOT NULL, cell TEXT NOT NULL,
    message TEXT NOT NULL, action TEXT NOT NULL,
    PRIMARY KEY (round, sha256, seq));
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, round TEXT NOT NULL, folder TEXT NOT NULL, started_at TEXT NOT NULL,
    finished_at TEXT, files INTEGER, findings INTEGER);
"""


# ---------------------------------------------------------------------------
# Workspace


def find_workspace(explicit: Path | None = None, start: Path | None = None) -> Path:
    """The 台账 folder: ``explicit`` if given, else the nearest folder upward from
    ``start`` (default: the current directory) holding a ledger or ``zwgk.toml``,
    else ``start`` itself."""
    if explicit is not None:
        p = Path(explicit).expanduser()
        if p.exists() and not p.is_dir():
            raise WorkspaceError(f"{p} 不是文件夹。请用 -C 指定台账所在的文件夹。")
        return p.resolve()
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / LEDGER_NAME).is_file() or (folder / CONFIG_NAME).is_file():
            return folder
    return here


def read_config(workspace: Path) -> dict:
    """The workspace's ``zwgk.toml`` as a dict ({} when absent).

    A byte-order mark (Windows Notepad saves one) is accepted.
    """
    path = Path(workspace) / CONFIG_NAME
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise WorkspaceError(f"配置文件 {path} 无法读取：{e}。请修正或删除该文件。") from e


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's content."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------
# Plans as JSON


def document_to_json(doc: Document) -> str:
    """Serialise a whole Document (tree included)."""
    return json.dumps(dataclasses.asdict(doc), ensure_ascii=False, separators=(",", ":"))


def _node_from_dict(d: dict) -> Node:
    d = dict(d)
    d["deadline"] = Deadline(**d.get("deadline") or {})
    d["source"] = Source(**d.get("source") or {})
    d["assignment_notes"] = [Assignment(**a) for a in d.get("assignment_notes") or []]
    d["children"] = [_node_from_dict(c) for c in d.get("children") or []]
    known = {f.name for f in dataclasses.fields(Node)}
    return Node(**{k: v for k, v in d.items() if k in known})


def document_from_json(text: str) -> Document:
    """Inverse of :func:`document_to_json`."""
    d = json.loads(text)
    d["roots"] = [_node_from_dict(n) for n in d.get("roots") or []]
    known = {f.name for f in dataclasses.fields(Document)}
    return Document(**{k: v for k, v in d.items() if k in known})


# ---------------------------------------------------------------------------
# Records


@dataclass
class Submission:
    """One accepted submission: a file from a unit for a round, with its form fields.

    ``values`` (filled when merge stores it) maps task_id -> {"row", "role",
    "status_raw", and VALUE_KEYS}, or to a tuple of those values in the order of
    :data:`VALUE_ROW` (what merge stores).  ``superseded_by`` is the id of a newer
    submission of the same unit and round that replaces this one.
    """

    round: str
    unit: str
    sha256: str
    file_name: str
    received_at: str
    identified_by: str
    filler: str = ""
    phone: str = ""
    fill_date: str = ""
    values: dict[str, dict | tuple] = field(default_factory=dict)
    id: int = 0
    superseded_by: int | None = None


_SUBMISSION_COLS = ["round", "unit", "sha256", "file_name", "received_at", "identified_by", "filler", "phone",
                    "fill_date"]


class Ledger:
    """The SQLite ledger of a 台账 folder.  Use :meth:`open`."""

    def __init__(self, workspace: Path, conn: sqlite3.Connection, created: bool):
        self.workspace = Path(workspace)
        self.conn = conn
        self.created = created
        self.ledger_id = self._meta("ledger_id")

    # -- opening -----------------------------------------------------------

    @classmethod
    def open(cls, workspace: Path) -> "Ledger":
        """Open (creating if absent) ``台账.sqlite`` in ``workspace``.

        An empty (0-byte) or foreign file is refused, never replaced; a read-only one is named so.
        """
        workspace = Path(workspace)
        path = workspace / LEDGER_NAME
        created = not path.exists()
        if not created:
            _refuse_unusable(path)
        try:
            workspace.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), isolation_level=None)
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and not REQUIRED_TABLES <= tables:
                conn.close()
                raise WorkspaceError(
                    f"「{path}」不是 zwgk-xl 的台账（其中没有台账应有的表：{'、'.join(sorted(REQUIRED_TABLES - tables))}），"
                    f"未作改动。请检查该文件，或把它移走后在此新建台账。")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA journal_mode=WAL")  # commits without fsync; safe against corruption
            conn.execute("PRAGMA synchronous=NORMAL")
            found = conn.execute("SELECT version FROM schema_version WHERE component='ledger'").fetchone() \
                if "schema_version" in tables else None
        except sqlite3.OperationalError as e:
            raise WorkspaceError(_unwritable(path, e)) from e
        except sqlite3.DatabaseError as e:
            raise WorkspaceError(f"台账文件 {path} 无法打开：{e}。它可能已损坏或不是台账文件；"
                                 f"请从备份（{BACKUP_NAME}）恢复。") from e
        except OSError as e:
            raise WorkspaceError(f"无法在 {workspace} 建立台账：{e}。请用 -C 指定一个可写的文件夹。") from e
        if found and found[0] > SCHEMA_VERSION:
            conn.close()
            raise WorkspaceError(
                f"台账 {path} 由更新版本的 zwgk-xl 建立（结构版本 {found[0]}），请升级 zwgk-xl 后再用。")
        try:
            with _transaction(conn):
                for stmt in _SCHEMA.strip().split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
                conn.execute("INSERT OR IGNORE INTO schema_version VALUES ('ledger', ?)", (SCHEMA_VERSION,))
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('ledger_id', ?)", (str(uuid.uuid4()),))
        except sqlite3.OperationalError as e:
            conn.close()
            raise WorkspaceError(_unwritable(path, e)) from e
        return cls(workspace, conn, created)

    def check(self) -> None:
        """Before writing: the file is intact (SQLite ``quick_check``), holds the ledger's tables and its id.

        Raises:
            WorkspaceError: it is damaged (restore :data:`BACKUP_NAME`) or not a ledger.
        """
        try:
            result = [r[0] for r in self.conn.execute("PRAGMA quick_check")]
            tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as e:
            result, tables = [str(e)], set()
        if result != ["ok"]:
            raise WorkspaceError(f"台账文件 {self.path} 已损坏（{'；'.join(result[:3])}），本次未写入任何内容。"
                                 f"请关闭其他程序后重试；仍不行时请从备份 {BACKUP_NAME} 恢复（把它复制为 {LEDGER_NAME}）。")
        if not REQUIRED_TABLES <= tables or not self.ledger_id:
            raise WorkspaceError(f"台账文件 {self.path} 不完整（缺少台账的表或编号），本次未写入任何内容。"
                                 f"请从备份 {BACKUP_NAME} 恢复。")

    def backup(self) -> Path | None:
        """Keep a copy of the ledger as it is now in ``台账.sqlite.bak`` (replacing the previous copy, which
        is kept as ``台账.sqlite.bak.1``); None when the ledger is still empty."""
        if not self.conn.execute("SELECT 1 FROM rounds LIMIT 1").fetchone():
            return None
        target = self.workspace / BACKUP_NAME
        try:
            if target.is_file():
                os.replace(target, target.with_name(BACKUP_NAME + ".1"))
            with atomic_path(target, WorkspaceError, suffix=".bak") as tmp:
                dest = sqlite3.connect(str(tmp))
                try:
                    self.conn.backup(dest)
                finally:
                    dest.close()
        except OSError as e:
            raise WorkspaceError(f"无法在 {self.workspace} 保存台账备份：{e.strerror or e}。请检查磁盘空间和文件夹权限。") from e
        return target

    @property
    def path(self) -> Path:
        return self.workspace / LEDGER_NAME

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def transaction(self):
        """Context manager: one atomic transaction (nested calls join the outer one)."""
        return _transaction(self.conn)

    def _meta(self, key: str) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else ""

    def merge_basis(self, round: str) -> str:
        """A fingerprint of what the files of ``round`` were last checked against (plan and assignment)."""
        row = self.conn.execute("SELECT plan_json, assignment_json FROM plans WHERE round=?", (round,)).fetchone()
        return hashlib.sha256(json.dumps(list(row) if row else [], ensure_ascii=False).encode()).hexdigest()

    def merged_basis(self, round: str) -> str:
        """The :meth:`merge_basis` the last merge of ``round`` ran with ("" before any)."""
        return self._meta(f"merged:{round}")

    def master_stamp(self, round: str) -> str:
        """What the last master of ``round`` was written as (path, as-of date, area): "" before any."""
        return self._meta(f"master:{round}")

    def set_master_stamp(self, round: str, stamp: str, findings: list[dict] = ()) -> None:
        """Record the master just written (``stamp``) and the findings it added to the merge's."""
        with self.transaction():
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"master:{round}", stamp))
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                              (f"master-findings:{round}", json.dumps(list(findings), ensure_ascii=False)))

    def master_findings(self, round: str) -> list[dict] | None:
        """The findings the last master of ``round`` added (see :meth:`set_master_stamp`); None when not recorded."""
        try:
            found = json.loads(self._meta(f"master-findings:{round}") or "null")
        except ValueError:
            return None
        return found if isinstance(found, list) else None

    def set_merged_basis(self, round: str, basis: str) -> None:
        if self.merged_basis(round) != basis:
            with self.transaction():
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"merged:{round}", basis))

    # -- files ---------------------------------------------------------------

    def archive_file(self, path: Path, sha256: str | None = None, data: bytes | None = None,
                     name: str | None = None) -> tuple[str, Path]:
        """Copy ``path`` into ``<台账>/归档/`` under its content hash (once); return (sha256, archived path).

        ``data`` (the file's bytes, when already read) saves reading it again; ``name``: the file's name as
        readable text (default ``path.name``).  The archived name is :func:`archive_name`.
        """
        name = name or _text_name(Path(path).name)
        path = Path(path)
        sha = sha256 or (hashlib.sha256(data).hexdigest() if data is not None else sha256_file(path))
        row = self.conn.execute("SELECT archived_path FROM files WHERE sha256=?", (sha,)).fetchone()
        if row and (self.workspace / row[0]).is_file():
            return sha, self.workspace / row[0]
        rel = Path(ARCHIVE_DIR) / archive_name(sha, name)
        target = self.workspace / rel
        if not target.is_file():
            with atomic_path(target, WorkspaceError) as tmp:
                if data is not None:
                    tmp.write_bytes(data)
                else:
                    shutil.copyfile(path, tmp)
        with self.transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO files VALUES (?,?,?,?)",
                (sha, len(data) if data is not None else path.stat().st_size, rel.as_posix(), name))
        return sha, target

    def mail_units(self) -> dict[str, str]:
        """sha256 -> unit recorded by ``mail fetch`` for the attachments it saved ({} before any fetch)."""
        if not self.conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='received_files'").fetchone():
            return {}
        return dict(self.conn.execute("SELECT sha256, unit FROM received_files WHERE unit != ''"))

    def is_archived(self, sha256: str) -> bool:
        """Whether a file with this content is in the archive already."""
        path = self.archived_path(sha256)
        return path is not None and path.is_file()

    def archived_path(self, sha256: str) -> Path | None:
        row = self.conn.execute("SELECT archived_path FROM files WHERE sha256=?", (sha256,)).fetchone()
        return self.workspace / row[0] if row else None

    # -- rounds and plans ----------------------------------------------------

    def ensure_round(self, round: str) -> None:
        """Register ``round`` (rounds keep the order in which they first appear)."""
        with self.transaction():
            if not self.conn.execute("SELECT 1 FROM rounds WHERE name=?", (round,)).fetchone():
                seq = self.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM rounds").fetchone()[0]
                self.conn.execute("INSERT INTO rounds VALUES (?, ?)", (round, seq))

    def rounds(self) -> list[str]:
        """All rounds, oldest first."""
        return [r[0] for r in self.conn.execute("SELECT name FROM rounds ORDER BY seq")]

    def set_round_due(self, round: str, due: str) -> None:
        """Keep the due date (ISO) the forms of ``round`` were issued with."""
        with self.transaction():
            self.ensure_round(round)
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"due:{round}", due))

    def round_due(self, round: str) -> _dt.date | None:
        """The due date of ``round`` (set by split), or None."""
        try:
            return _dt.date.fromisoformat(self._meta(f"due:{round}"))
        except ValueError:
            return None

    def as_of(self, round: str, explicit: _dt.date | None = None) -> _dt.date:
        """The one as-of date of ``round`` for overdue judgements: ``explicit``, else the round's due date
        once it has passed (a past round is judged as it stood when it closed), else today."""
        if explicit is not None:
            return explicit
        today, due = _dt.date.today(), self.round_due(round)
        return min(today, due) if due else today

    def previous_round(self, round: str) -> str | None:
        """The round before ``round``, or None."""
        names = self.rounds()
        if round in names:
            i = names.index(round)
            return names[i - 1] if i > 0 else None
        return names[-1] if names else None

    def store_plan(self, round: str, plan: Document, *, source: Path | None = None,
                   assignment: dict[str, list[tuple[str, str]]] | None = None) -> Document:
        """Keep the plan of ``round``; ``source`` (the 分解表 file it came from) is archived.

        ``assignment`` (unit -> [(task id, role)], groups expanded) is kept too,
        so later commands need no directory; without it an earlier one stands.
        """
        sha = name = None
        if source is not None:
            sha, _ = self.archive_file(Path(source))
            name = Path(source).name
        stored = json.dumps(assignment, ensure_ascii=False) if assignment is not None else None
        with self.transaction():
            self.ensure_round(round)
            old = self.conn.execute("SELECT assignment_json FROM plans WHERE round=?", (round,)).fetchone()
            self.conn.execute("INSERT OR REPLACE INTO plans VALUES (?,?,?,?,?)",
                              (round, sha, name, document_to_json(plan), stored or (old[0] if old else None)))
        return plan

    def assignment(self, round: str) -> dict[str, list[tuple[str, str]]] | None:
        """unit -> [(task_id, role)] kept with the plan of ``round`` (None when no directory was given)."""
        row = self.conn.execute("SELECT assignment_json FROM plans WHERE round=?", (round,)).fetchone()
        if not row or not row[0]:
            return None
        return {u: [tuple(p) for p in pairs] for u, pairs in json.loads(row[0]).items()}

    def plan_for_round(self, round: str) -> Document | None:
        """The plan stored for ``round``, or None."""
        row = self.conn.execute("SELECT plan_json FROM plans WHERE round=?", (round,)).fetchone()
        return document_from_json(row[0]) if row else None

    def latest_plan(self, before: str | None = None) -> tuple[str, Document] | None:
        """(round, plan) of the newest round that has a plan (optionally only rounds before ``before``)."""
        names = self.rounds()
        if before in names:
            names = names[: names.index(before)]
        for name in reversed(names):
            plan = self.plan_for_round(name)
            if plan is not None:
                return name, plan
        return None

    # -- submissions ---------------------------------------------------------

    def record_receipt(self, round: str, sha256: str, file_name: str, received_at: str, outcome: str,
                       unit: str = "", identified_by: str = "", meta_source: str = "",
                       findings: list[Finding] = ()) -> None:
        """Record a received file's outcome for ``round`` and replace its findings."""
        with self.transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO receipts VALUES (?,?,?,?,?,?,?,?)",
                (round, sha256, file_name, received_at, outcome, unit, identified_by, meta_source))
            self.conn.execute("DELETE FROM file_findings WHERE round=? AND sha256=?", (round, sha256))
            self.conn.executemany(
                "INSERT INTO file_findings VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(round, sha256, i, f.type, f.severity, f.unit, f.file, f.sheet, f.cell, f.message, f.action)
                 for i, f in enumerate(findings)])

    def store_submission(self, data: Submission) -> int:
        """Insert (or refresh the values of) a submission; returns its id.  Idempotent."""
        with self.transaction():
            row = self.conn.execute("SELECT id FROM submissions WHERE round=? AND unit=? AND sha256=?",
                                    (data.round, data.unit, data.sha256)).fetchone()
            if row:
                sid = row[0]
                self.conn.execute("DELETE FROM submission_values WHERE submission_id=?", (sid,))
            else:
                sid = self.conn.execute(
                    f"INSERT INTO submissions ({', '.join(_SUBMISSION_COLS)}) VALUES ({', '.join('?' * 9)})",
                    [getattr(data, c) for c in _SUBMISSION_COLS]).lastrowid
            self.conn.executemany("INSERT INTO submission_values VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                                  [(sid, tid, *_value_row(v)) for tid, v in data.values.items()])
        return sid

    def submissions(self, round: str, unit: str | None = None) -> list[Submission]:
        """Accepted submissions of ``round`` (of one unit if given), oldest first, with ``superseded_by`` set."""
        sql = f"SELECT id, {', '.join(_SUBMISSION_COLS)} FROM submissions WHERE round=?"
        args: list = [round]
        if unit is not None:
            sql += " AND unit=?"
            args.append(unit)
        subs = [Submission(**dict(zip(_SUBMISSION_COLS, r[1:])), id=r[0])
                for r in self.conn.execute(sql + " ORDER BY received_at, id", args)]
        latest: dict[str, Submission] = {}
        for s in subs:  # the newest, but a table copied into Word never replaces the unit's spreadsheet
            if s.unit not in latest or not is_word_copy(s) or is_word_copy(latest[s.unit]):
                latest[s.unit] = s
        for s in subs:
            if latest[s.unit] is not s:
                s.superseded_by = latest[s.unit].id
        return subs

    def current_submissions(self, round: str) -> dict[str, Submission]:
        """unit -> the submission in force (the newest received) for ``round``."""
        return {s.unit: s for s in self.submissions(round) if s.superseded_by is None}

    def submission_values(self, submission_id: int) -> dict[str, dict]:
        """task_id -> stored values of one submission."""
        cur = self.conn.execute(
            "SELECT task_id, row, role, status, status_raw, progress, done_date, problems, next_steps, evidence"
            " FROM submission_values WHERE submission_id=? ORDER BY row", (submission_id,))
        cols = [c[0] for c in cur.description]
        return {r[0]: dict(zip(cols, r)) for r in cur}

    def latest_reports(self, round: str) -> dict[tuple[str, str], UnitReport]:
        """(task_id, unit) -> UnitReport from the submissions in force for ``round``."""
        current = {s.id: s for s in self.current_submissions(round).values()}
        if not current:
            return {}
        cur = self.conn.execute(
            "SELECT submission_id, task_id, role, status, progress, done_date, problems, next_steps, evidence"
            " FROM submission_values JOIN submissions ON submissions.id = submission_id"
            " WHERE submissions.round=?", (round,))  # a lookup table: no order (sorting cost a sixth)
        out: dict[tuple[str, str], UnitReport] = {}
        tails = {sid: (s.filler, s.phone, s.fill_date, s.received_at, s.file_name) for sid, s in current.items()}
        for sid, task_id, *values in cur:  # values: role … evidence, UnitReport's fields after unit, in order
            sub = current.get(sid)
            if sub is not None:  # else superseded
                out[(task_id, sub.unit)] = UnitReport(sub.unit, *values, *tails[sid])
        return out

    def receipts(self, round: str) -> list[dict]:
        """Every file received for ``round``: sha256, file_name, received_at, outcome, unit, identified_by."""
        cur = self.conn.execute("SELECT * FROM receipts WHERE round=? ORDER BY received_at, file_name", (round,))
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r)) for r in cur]

    def file_findings(self, round: str, sha256: str | None = None) -> list[tuple[str, Finding]]:
        """(sha256, Finding) pairs stored for the files of ``round``."""
        sql = ("SELECT sha256, type, message, action, unit, file, sheet, cell, severity FROM file_findings"
               " WHERE round=?")
        args: list = [round]
        if sha256 is not None:
            sql += " AND sha256=?"
            args.append(sha256)
        return [(r[0], Finding(*r[1:])) for r in self.conn.execute(sql + " ORDER BY file, sha256, seq", args)]

    # -- runs ----------------------------------------------------------------

    def start_run(self, round: str, folder: str) -> int:
        with self.transaction():
            return self.conn.execute("INSERT INTO runs (round, folder, started_at) VALUES (?,?,?)",
                                     (round, folder, _now())).lastrowid

    def finish_run(self, run_id: int, files: int, findings: int) -> None:
        with self.transaction():
            self.conn.execute("UPDATE runs SET finished_at=?, files=?, findings=? WHERE id=?",
                              (_now(), files, findings, run_id))


def _text_name(name: str) -> str:
    """A file name as storable text (undecodable bytes, kept by Python as surrogates, replaced)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


WORD_COPY_SUFFIXES = (".docx",)  # replies whose table was typed into Word (merge reads their tables)


def is_word_copy(sub: Submission) -> bool:
    """Whether ``sub`` was read from a table in a Word document: the unit's spreadsheet, when it sent one,
    stands over it (the Word copy is usually the one printed for the seal)."""
    return sub.file_name.lower().endswith(WORD_COPY_SUFFIXES)


def archive_name(sha256: str, name: str, limit: int = ARCHIVE_NAME_BYTES) -> str:
    """``<hash>-<name>``: the hash first, the name made safe for any file system (no separators or
    reserved characters) and shortened so the whole stays within ``limit`` UTF-8 bytes, suffix kept."""
    name = _text_name(name)
    name = "".join("_" if c in '<>:"/\\|?*' or ord(c) < 32 else c for c in name).strip(" .") or "file"
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix.encode()) > 10:
        stem, suffix = name, ""
    suffix = f".{suffix}" if suffix else ""
    room = limit - len(sha256[:12]) - 1 - len(suffix.encode())
    while len(stem.encode("utf-8")) > room:
        stem = stem[:-1]
    return f"{sha256[:12]}-{stem}{suffix}"


def _refuse_unusable(path: Path) -> None:
    """Refuse a ledger file that is empty, not SQLite, or read-only (before SQLite touches it)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as e:
        raise WorkspaceError(f"台账文件 {path} 无法读取：{e.strerror or e}。请检查文件权限。") from e
    if not head:
        raise WorkspaceError(f"台账文件 {path} 是空的（0 字节），可能在同步或磁盘已满时被截断。为免丢失历史记录，"
                             f"未新建台账；请从备份 {BACKUP_NAME} 恢复（把它复制为 {LEDGER_NAME}），"
                             f"或确认无用后删除该空文件。")
    if head != SQLITE_MAGIC:
        raise WorkspaceError(f"「{path}」不是 zwgk-xl 的台账（不是 SQLite 数据库文件），未作改动。"
                             f"请检查该文件，或从备份 {BACKUP_NAME} 恢复。")
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        what = "台账文件" if not os.access(path, os.W_OK) else "台账所在的文件夹"
        raise WorkspaceError(f"{what}是只读的（{path}），无法写入。请取消只读属性（文件属性中去掉“只读”）"
                             f"或把台账复制到可写的位置后重试。")


def _unwritable(path: Path, e: Exception) -> str:
    text = str(e)
    if "readonly" in text or "read-only" in text or "read only" in text:
        return (f"台账文件是只读的（{path}），无法写入。请取消只读属性（文件属性中去掉“只读”）"
                f"或把台账复制到可写的位置后重试。")
    if "locked" in text or "busy" in text:
        return f"台账 {path} 正被另一个程序或另一次汇总使用，请稍后重试。"
    return f"台账文件 {path} 无法打开或写入：{text}。请检查磁盘空间和文件权限；如文件已损坏，请从备份 {BACKUP_NAME} 恢复。"


_row_of_full = itemgetter(*VALUE_ROW)


def _value_row(v: dict | tuple) -> tuple:
    """The submission_values columns after (submission_id, task_id) of one stored value (dict or VALUE_ROW tuple)."""
    if type(v) is tuple:
        return v
    if len(v) == len(VALUE_ROW):
        try:
            return _row_of_full(v)
        except KeyError:
            pass
    return (v.get("row"), *(v.get(k, "") for k in VALUE_ROW[1:]))


def _now() -> str:
    return _dt.datetime.now().isoformat(timespec="seconds")


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection):
    """BEGIN … COMMIT, or ROLLBACK on error; joins an already open transaction."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
