"""The mail tables in the ledger: what was sent, what was fetched.

Each function takes a ``sqlite3`` connection (``ledger.conn``) and commits
its own writes, so an interrupted run keeps everything recorded so far.
"""

from __future__ import annotations

import json
import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS mail_log (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,            -- 'send' | 'remind'
    round TEXT NOT NULL,
    unit TEXT NOT NULL,
    recipient TEXT NOT NULL,       -- comma-separated addresses
    files TEXT NOT NULL,           -- JSON list of attachment names
    sha256 TEXT NOT NULL,          -- JSON list of attachment hashes, same order
    message_id TEXT NOT NULL,
    at TEXT NOT NULL,              -- ISO timestamp
    result TEXT NOT NULL,          -- 'sent' | 'failed'
    error TEXT NOT NULL DEFAULT '',
    due TEXT NOT NULL DEFAULT ''   -- the due date given in the message
);
CREATE INDEX IF NOT EXISTS mail_log_round_unit ON mail_log(round, unit);
CREATE TABLE IF NOT EXISTS fetch_log (
    id INTEGER PRIMARY KEY,
    mailbox TEXT NOT NULL,         -- user@host/folder
    uidvalidity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    subject TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    saved INTEGER NOT NULL,        -- attachments saved
    duplicates INTEGER NOT NULL,   -- attachments already held
    result TEXT NOT NULL,          -- 'ok' | 'failed'
    error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS received_files (
    sha256 TEXT PRIMARY KEY,
    sender TEXT NOT NULL,          -- the From address, lower case
    filename TEXT NOT NULL,        -- name as saved in 回收/
    message_id TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    original_name TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL DEFAULT '', -- the unit we mailed at that address, when known
    subject TEXT NOT NULL DEFAULT ''
);
"""


def ensure_tables(conn: sqlite3.Connection) -> None:
    """Create the mail tables if absent."""
    conn.executescript(SCHEMA)


def record_mail(conn: sqlite3.Connection, *, kind: str, round: str, unit: str, recipients: list[str],
                files: list[str], hashes: list[str], message_id: str, at: str, result: str,
                error: str = "", due: str = "") -> None:
    """Append one send or remind attempt."""
    conn.execute(
        "INSERT INTO mail_log (kind, round, unit, recipient, files, sha256, message_id, at, result, error, due)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (kind, round, unit, ", ".join(recipients), json.dumps(files, ensure_ascii=False),
         json.dumps(hashes), message_id, at, result, error, due),
    )
    conn.commit()


def sent_records(conn: sqlite3.Connection, kind: str, round: str, unit: str) -> list[dict]:
    """Successful ``kind`` messages to ``unit`` in ``round``, oldest first:
    dicts with ``hashes``, ``at``, ``recipient`` and ``due``."""
    rows = conn.execute(
        "SELECT sha256, at, recipient, due FROM mail_log"
        " WHERE kind=? AND round=? AND unit=? AND result='sent' ORDER BY id",
        (kind, round, unit),
    ).fetchall()
    return [{"hashes": json.loads(h), "at": at, "recipient": rcpt, "due": due} for h, at, rcpt, due in rows]


def unit_for_reply(conn: sqlite3.Connection, sender: str, in_reply_to: list[str]) -> str:
    """The unit a reply comes from: the message it answers, else the address we mailed."""
    for mid in in_reply_to:
        row = conn.execute("SELECT unit FROM mail_log WHERE message_id=? AND result='sent'", (mid,)).fetchone()
        if row:
            return row[0]
    if sender:
        rows = conn.execute(
            "SELECT DISTINCT unit FROM mail_log WHERE result='sent' AND ',' || lower(replace(recipient, ' ', ''))"
            " || ',' LIKE ?",
            (f"%,{sender.lower()},%",),
        ).fetchall()
        if len(rows) == 1:
            return rows[0][0]
    return ""


def fetch_state(conn: sqlite3.Connection, mailbox: str) -> tuple[int, int]:
    """(uidvalidity, highest uid) already examined for ``mailbox``; (0, 0) when never fetched."""
    row = conn.execute(
        "SELECT uidvalidity, MAX(uid) FROM fetch_log WHERE mailbox=? AND result='ok'"
        " GROUP BY uidvalidity ORDER BY MAX(id) DESC LIMIT 1",
        (mailbox,),
    ).fetchone()
    return (row[0], row[1]) if row else (0, 0)


def record_fetch(conn: sqlite3.Connection, *, mailbox: str, uidvalidity: int, uid: int, message_id: str,
                 sender: str, subject: str, fetched_at: str, saved: int, duplicates: int, result: str,
                 error: str = "") -> None:
    """Append one examined message."""
    conn.execute(
        "INSERT INTO fetch_log (mailbox, uidvalidity, uid, message_id, sender, subject, fetched_at, saved,"
        " duplicates, result, error) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (mailbox, uidvalidity, uid, message_id, sender, subject, fetched_at, saved, duplicates, result, error),
    )
    conn.commit()


def received(conn: sqlite3.Connection, sha256: str) -> str | None:
    """The saved file name of an attachment already received with this hash."""
    row = conn.execute("SELECT filename FROM received_files WHERE sha256=?", (sha256,)).fetchone()
    return row[0] if row else None


def record_received(conn: sqlite3.Connection, *, sha256: str, sender: str, filename: str, message_id: str,
                    fetched_at: str, original_name: str, unit: str, subject: str) -> None:
    """Remember a saved attachment (merge reads ``sender`` / ``unit`` from here)."""
    conn.execute(
        "INSERT OR IGNORE INTO received_files (sha256, sender, filename, message_id, fetched_at,"
        " original_name, unit, subject) VALUES (?,?,?,?,?,?,?,?)",
        (sha256, sender, filename, message_id, fetched_at, original_name, unit, subject),
    )
    conn.commit()
