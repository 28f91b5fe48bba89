"""Collecting replies: spreadsheet attachments from an IMAP mailbox into ``<台账>/回收/``.

Only messages not examined before are read (tracked per mailbox by UID in
``fetch_log``); the mailbox is opened read-only and nothing is marked read.
Attachments are only written to disk, never opened: names are sanitised,
contents de-duplicated by SHA-256, and each saved file's sender recorded in
``received_files`` for merge.
"""

from __future__ import annotations

import email
import hashlib
import imaplib
import os
import re
import ssl
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date as _date
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path, PureWindowsPath
from typing import Callable, ClassVar

from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.encodings import decode_8bit
from zwgk_xl.core.errors import MailError
from zwgk_xl.ledger.store import sha256_file
from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import Finding
from zwgk_xl.core.results import Result
from zwgk_xl.mail import log
from zwgk_xl.mail.compose import SPREADSHEET_TYPES
from zwgk_xl.mail.config import MailConfig, get_password, load_config
from zwgk_xl.mail.send import _open_ledger, _ssl_context, tls_error
from zwgk_xl.merge import attachments

RECEIVE_DIR = "回收"
MAX_ATTACHMENT = 50 * 1024 * 1024
SAVED_ARCHIVES = {".zip"}  # saved beside the spreadsheets: merge takes the spreadsheets out of them
# Saved too, for merge to name: a Word reply (its table is read when it has the form's header), a stamped
# scan (a note beside the unit's form; alone, a warning naming the unit), an archive merge cannot open.
# Pictures are not: mail clients attach signature images to every message.
SAVED_DOCUMENTS = {s for s, kind in attachments.KINDS.items() if kind in (attachments.SCAN, attachments.DOCUMENT,
                                                                         attachments.ARCHIVE)}
MAX_NAME = 120  # characters kept of a file name's stem
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f<>:"/\\|?*\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]')
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_EXT_BY_TYPE = {v: k for k, v in reversed(list(SPREADSHEET_TYPES.items()))}


@dataclass
class ReceivedFile:
    """A saved attachment."""

    filename: str  # as saved in 回收/
    original_name: str
    sender: str
    unit: str  # the unit we mailed at that address ("" when unknown)
    sha256: str
    message_id: str
    subject: str
    path: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FetchResult(Result):
    """What one fetch examined, saved and passed over."""

    command: ClassVar[str] = "mail-fetch"
    mailbox: str
    folder: str  # the 回收 folder
    messages: int = 0
    saved: list[ReceivedFile] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)  # {name, sender, existing}
    skipped: list[dict] = field(default_factory=list)  # {name, sender, reason}; each also a finding
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        dup = f"，{len(self.duplicates)} 个重复附件未再保存" if self.duplicates else ""
        others = sum(1 for f in self.saved if Path(f.filename).suffix.lower() in SAVED_DOCUMENTS)
        what = f"{len(self.saved)} 个附件（其中文档、扫描件或压缩包 {others} 个，汇总时识别）" if others else \
            f"{len(self.saved)} 个表格"
        return f"已检查 {self.messages} 封新邮件，保存 {what}到 {self.folder}{dup}。"

    def details(self) -> list[str]:
        return [f"  {f.filename}  ← {f.unit or f.sender}" for f in self.saved]

    def data(self) -> dict:
        return {"mailbox": self.mailbox, "folder": self.folder, "messages": self.messages,
                "saved": [f.to_dict() for f in self.saved], "duplicates": self.duplicates, "skipped": self.skipped}


# ---------------------------------------------------------------------------
# Names


def _recover_8bit(name: str) -> str:
    """Undo raw 8-bit header bytes (GBK from older Chinese clients) that arrive as surrogates."""
    if not any("\udc80" <= c <= "\udcff" for c in name):
        return name
    return decode_8bit(name.encode("utf-8", "surrogateescape"))


def safe_attachment_name(name: str) -> str:
    """A harmless file name for an attachment name taken from a message.

    Keeps only the last path component (``../../x.xlsx`` and ``C:\\x.xlsx``
    become ``x.xlsx``), replaces control and Windows-forbidden characters,
    strips leading/trailing dots and spaces, prefixes reserved Windows device
    names (``CON.xlsx`` → ``_CON.xlsx``) and bounds the length.
    """
    name = unicodedata.normalize("NFC", _recover_8bit(name or ""))
    name = PureWindowsPath(name.replace("\x00", "")).name  # handles both / and \ and drive letters
    stem, dot, ext = _UNSAFE.sub("_", name).rpartition(".")
    if not dot:
        stem, ext = ext, ""
    ext = ext.strip(" ")[:16]
    stem = stem.strip(" .")[:MAX_NAME].rstrip(" .")
    if not stem or set(stem) <= {"_"}:
        stem = "附件" + stem
    if stem.split(".")[0].upper().rstrip(" ") in _RESERVED:
        stem = "_" + stem
    return f"{stem}.{ext}" if ext else stem


def _unique_path(folder: Path, name: str) -> Path:
    path = folder / name
    stem, suffix = path.stem, path.suffix
    n = 2
    while path.exists():
        path = folder / f"{stem} ({n}){suffix}"
        n += 1
    return path


def _write_new(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` under a fresh name in ``folder`` atomically; returns the path."""
    path = _unique_path(folder, name)
    with atomic_path(path, MailError, suffix=".part") as tmp:
        tmp.write_bytes(data)
    return path


# ---------------------------------------------------------------------------
# IMAP


def _imap_date(d: _date) -> str:
    return f"{d.day:02d}-{_MONTHS[d.month - 1]}-{d.year}"


def _connect(config: MailConfig, ssl_context: ssl.SSLContext | None, timeout: float = 60) -> imaplib.IMAP4:
    if not config.imap_host:
        raise MailError("未设置收信服务器：请在台账文件夹的 zwgk.toml 的 [mail] 中填写 imap_host,"
                        "或设置环境变量 ZWGK_IMAP_HOST。")
    where = f"{config.imap_host}:{config.imap_port_or_default}"
    if ssl_context is None:
        ssl_context = _ssl_context(config)
    try:
        if config.imap_security == "ssl":
            imap = imaplib.IMAP4_SSL(config.imap_host, config.imap_port_or_default, ssl_context=ssl_context,
                                     timeout=timeout)
        else:
            imap = imaplib.IMAP4(config.imap_host, config.imap_port_or_default, timeout=timeout)
            if config.imap_security == "starttls":
                imap.starttls(ssl_context=ssl_context)
    except ssl.SSLError as e:
        raise MailError(tls_error("收信", where, e, "993 端口用 ssl,143 端口用 starttls")) from None
    except (OSError, imaplib.IMAP4.error) as e:
        raise MailError(f"无法连接收信服务器 {where}（{e}）。请检查 imap_host、imap_port 设置和网络。") from None
    user = config.imap_login
    password = get_password("imap", user)
    if not user or not password:
        imap.shutdown()
        raise MailError(f"没有收信邮箱{(' ' + user) if user else ''}的用户名或密码：请设置 ZWGK_IMAP_USER 和 "
                        "ZWGK_IMAP_PASSWORD（或 ZWGK_SMTP_PASSWORD），或用 keyring 存入系统密钥环。")
    try:
        imap.login(user, password)
    except imaplib.IMAP4.error as e:
        imap.shutdown()
        raise MailError(f"收信服务器 {where} 拒绝登录（用户 {user}）：{_text(e)}。请核对用户名和密码"
                        "（QQ、163 等邮箱须使用“授权码”，并在网页版设置中开启 IMAP）。") from None
    return imap


def _text(e: Exception) -> str:
    arg = e.args[0] if e.args else e
    return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)


def _select(imap: imaplib.IMAP4, folder: str) -> int:
    """Open ``folder`` read-only; returns its UIDVALIDITY."""
    quoted = '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
    typ, data = imap.select(quoted, readonly=True)
    if typ != "OK":
        raise MailError(f"收信邮箱中没有文件夹「{folder}」（{_text(Exception(data[0]))}），请检查 imap_folder 设置。")
    _, values = imap.response("UIDVALIDITY")
    try:
        return int(values[0])
    except (TypeError, ValueError, IndexError):
        return 0


def _search(imap: imaplib.IMAP4, since: _date | None, after_uid: int) -> list[int]:
    criteria = ["SINCE", _imap_date(since)] if since else (["UID", f"{after_uid + 1}:*"] if after_uid else ["ALL"])
    typ, data = imap.uid("SEARCH", None, *criteria)
    if typ != "OK":
        raise MailError(f"收信服务器无法列出邮件（{_text(Exception(data[0]))}）。")
    uids = sorted(int(x) for x in (data[0] or b"").split())
    return [u for u in uids if u > after_uid] if not since else uids


def _fetch_raw(imap: imaplib.IMAP4, uid: int) -> bytes:
    typ, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if typ != "OK":
        raise MailError(f"读取邮件（UID {uid}）失败：{_text(Exception(data[0]))}")
    for part in data:
        if isinstance(part, tuple) and len(part) == 2:
            return part[1]
    raise MailError(f"读取邮件（UID {uid}）失败：服务器没有返回邮件内容。")


# ---------------------------------------------------------------------------
# Messages


_GB_LABEL = re.compile(rb"(?i)(=\?|\*=)(?:gb2312|gbk|x-gbk|cp936)(\?|'')")


def relabel_gb(raw: bytes) -> bytes:
    """Read GB2312/GBK-labelled encoded names as GB18030, their superset (clients often mislabel)."""
    return _GB_LABEL.sub(rb"\1gb18030\2", raw)


def _filename(part) -> str | None:
    """The part's file name, also when a client wrote it as raw 8-bit GBK/UTF-8 bytes."""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        raw = next((v for k, v in part.raw_items() if k.lower() == header), None)
        if isinstance(raw, str) and any("\udc80" <= c <= "\udcff" for c in raw):
            probe = EmailMessage()
            probe[header] = " ".join(_recover_8bit(raw).split())
            name = probe.get_param(param, header=header)
            if name:
                return str(name)
    return part.get_filename()


def _attachments(msg) -> list[tuple[str, bytes | None]]:
    """(name, bytes) of each named part or spreadsheet-typed part of ``msg``."""
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = _filename(part)
        ctype = part.get_content_type()
        if name is None:
            if ctype not in _EXT_BY_TYPE:
                continue
            name = "附件" + _EXT_BY_TYPE[ctype]
        out.append((str(name), part.get_payload(decode=True)))
    return out


class _Collector:
    """Saves one fetch's attachments, de-duplicating against the ledger and 回收/."""

    def __init__(self, conn, folder: Path, result: FetchResult, at: str):
        self.conn, self.folder, self.result, self.at = conn, folder, result, at
        self.known = {}
        for p in folder.iterdir():
            if p.is_file() and not p.name.startswith("."):  # saved names never start with a dot
                self.known.setdefault(sha256_file(p), p.name)

    def message(self, raw: bytes) -> tuple[dict, int, int]:
        msg = email.message_from_bytes(relabel_gb(raw), policy=policy.default)
        head = {
            "sender": parseaddr(str(msg.get("From", "")))[1].lower(),
            "message_id": str(msg.get("Message-ID", "")).strip(),
            "subject": str(msg.get("Subject", "")),
        }
        head["sent"] = self._sent_at(msg)
        head["own"] = _own_message(self.conn, head["message_id"])  # a copy of what we sent
        if head["own"]:
            return head, 0, 0
        refs = re.findall(r"<[^<>]+>", str(msg.get("In-Reply-To", "")) + " " + str(msg.get("References", "")))
        unit = log.unit_for_reply(self.conn, head["sender"], refs)
        saved = dup = 0
        for name, data in _attachments(msg):
            outcome = self.attachment(name, data, head, unit)
            saved += outcome == "saved"
            dup += outcome == "duplicate"
        return head, saved, dup

    def _sent_at(self, msg) -> float | None:
        """When the message was sent (its Date header, as a POSIX time), None when it has no readable date or
        one later than this fetch (a sender's wrong clock)."""
        try:
            sent = parsedate_to_datetime(str(msg.get("Date", "")))
        except (TypeError, ValueError, IndexError):
            return None
        if sent is None:
            return None
        sent = sent.timestamp()  # a date without a zone is local time
        try:
            fetched = datetime.fromisoformat(self.at).timestamp()
        except ValueError:
            return None
        return sent if sent <= fetched else None

    def attachment(self, name: str, data: bytes | None, head: dict, unit: str) -> str:
        safe = safe_attachment_name(name)
        ext = Path(safe).suffix.lower()
        sender = head["sender"]
        if ext not in SPREADSHEET_TYPES and ext not in SAVED_ARCHIVES and ext not in SAVED_DOCUMENTS:
            self.result.skipped.append({"name": name, "sender": sender, "reason": "不是表格、文档或压缩包"})
            return "skipped"
        if not data or len(data) > MAX_ATTACHMENT:
            why = "附件为空" if not data else f"附件超过 {MAX_ATTACHMENT // 1024 // 1024} MB"
            self.result.skipped.append({"name": name, "sender": sender, "reason": why})
            self.result.findings.append(fk.finding("fetch-attachment-unusable", f"{sender} 发来的附件「{safe}」{why}，未保存。",
                action="请联系该单位重新发送。", unit=unit, file=safe, severity="warning"))
            return "skipped"
        sha = hashlib.sha256(data).hexdigest()
        existing = log.received(self.conn, sha) or self.known.get(sha)
        if existing:
            self.result.duplicates.append({"name": name, "sender": sender, "existing": existing})
            return "duplicate"
        path = _write_new(self.folder, safe, data)
        if head.get("sent"):  # merge takes a file's time as when it was received: the time it was sent
            os.utime(path, (head["sent"], head["sent"]))
        self.known[sha] = path.name
        log.record_received(self.conn, sha256=sha, sender=sender, filename=path.name,
                            message_id=head["message_id"], fetched_at=self.at, original_name=name,
                            unit=unit, subject=head["subject"])
        self.result.saved.append(ReceivedFile(path.name, name, sender, unit, sha, head["message_id"],
                                              head["subject"], str(path)))
        return "saved"


def _own_message(conn, message_id: str) -> bool:
    return bool(message_id) and conn.execute(
        "SELECT 1 FROM mail_log WHERE message_id=?", (message_id,)).fetchone() is not None


def fetch(workspace: Path, *, since: _date | None = None, config: MailConfig | None = None,
          ssl_context: ssl.SSLContext | None = None, ledger=None,
          now: Callable[[], datetime] | None = None) -> FetchResult:
    """Save spreadsheet attachments of messages not fetched before (or since ``since``) into 回收/.

    Raises:
        MailError: missing settings, connection or login failure, unknown folder.
    """
    workspace = Path(workspace)
    config = config or load_config(workspace)
    now = now or (lambda: datetime.now().astimezone())
    folder = workspace / RECEIVE_DIR
    imap = _connect(config, ssl_context)
    mailbox = f"{config.imap_login}@{config.imap_host}/{config.imap_folder}"
    result = FetchResult(mailbox, str(folder))
    ledger, opened = _open_ledger(workspace, ledger, create=True)
    try:
        conn = ledger.conn
        log.ensure_tables(conn)
        uidvalidity = _select(imap, config.imap_folder)
        known_validity, last_uid = log.fetch_state(conn, mailbox)
        uids = _search(imap, since, last_uid if known_validity == uidvalidity else 0)
        folder.mkdir(parents=True, exist_ok=True)
        at = now().isoformat(timespec="seconds")
        collector = _Collector(conn, folder, result, at)
        for uid in uids:
            raw = _fetch_raw(imap, uid)
            result.messages += 1
            try:
                head, saved, dup = collector.message(raw)
            except Exception as e:  # noqa: BLE001 - one malformed message must not stop the rest
                result.findings.append(fk.finding("fetch-message-unreadable", f"邮件（UID {uid}）无法解析（{e}）",
                    action="请在邮箱中查看该邮件，必要时手工保存附件到 回收/。", severity="warning"))
                log.record_fetch(conn, mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, message_id="",
                                 sender="", subject="", fetched_at=at, saved=0, duplicates=0, result="ok",
                                 error=f"{type(e).__name__}: {e}")
                continue
            result.messages -= head["own"]
            log.record_fetch(conn, mailbox=mailbox, uidvalidity=uidvalidity, uid=uid,
                             message_id=head["message_id"], sender=head["sender"], subject=head["subject"],
                             fetched_at=at, saved=saved, duplicates=dup, result="ok")
    finally:
        try:
            imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
        if opened:
            ledger.close()
    return result
