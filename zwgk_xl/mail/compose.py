"""Building outgoing messages byte by byte.

The MIME text is written here rather than by :mod:`email.generator`, because
Chinese attachment names must carry two encodings at once, which the standard
library will not emit: RFC 2231 (``filename*=``, read by current clients) and
an RFC 2047 encoded-word inside ``filename=`` / ``name=`` (read by older
Outlook, QQ Mail and Foxmail).  Every header line stays within 78 characters.
"""

from __future__ import annotations

import base64
import mimetypes
import uuid
from dataclasses import dataclass, field
from email.header import Header
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from urllib.parse import quote

CRLF = "\r\n"
MAX_LINE = 78
MAX_EW = 75  # RFC 2047: an encoded-word is at most 75 characters

SPREADSHEET_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".xls": "application/vnd.ms-excel",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".et": "application/vnd.ms-excel",
}


@dataclass
class Attachment:
    """A file to attach: its bytes and the name the recipient sees."""

    filename: str
    data: bytes
    content_type: str = ""

    @classmethod
    def from_path(cls, path: Path, filename: str | None = None) -> "Attachment":
        path = Path(path)
        return cls(filename or path.name, path.read_bytes())


@dataclass
class Outgoing:
    """One message ready to send: envelope, headers, body and attachments."""

    sender: str
    to: list[str]
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    sender_name: str = ""
    message_id: str = ""
    date: object = None  # datetime; None means "now" when rendered

    def render(self) -> bytes:
        """The message as RFC 5322 bytes with CRLF line ends."""
        return render_message(self)


def _is_ascii(text: str) -> bool:
    return all(ord(c) < 128 for c in text)


def encoded_words(text: str, first_room: int = MAX_EW) -> list[str]:
    """``text`` as RFC 2047 base64 encoded-words of at most 75 characters.

    The first word is at most ``first_room`` characters.  Words are cut on
    character boundaries, so every word decodes on its own.
    """
    words, chunk, room = [], "", min(first_room, MAX_EW)
    overhead = len("=?utf-8?b??=")
    for ch in text:
        trial = chunk + ch
        if chunk and overhead + len(base64.b64encode(trial.encode("utf-8"))) > room:
            words.append(chunk)
            chunk, room = ch, MAX_EW
        else:
            chunk = trial
    if chunk:
        words.append(chunk)
    return ["=?utf-8?b?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?=" for w in words]


def _rfc2231_params(name: str, value: str) -> list[str]:
    """``name*=utf-8''…``, or ``name*0*=``, ``name*1*=`` … continuations when long.

    Continuations are cut between characters, never inside one: some readers
    decode each piece on its own.
    """
    room = MAX_LINE - 2  # leading space and trailing ';'
    encoded = [quote(ch.encode("utf-8"), safe="") for ch in value]
    if len(name) + 9 + sum(map(len, encoded)) <= room:
        return [f"{name}*=utf-8''" + "".join(encoded)]
    params: list[str] = []
    piece = f"{name}*0*=utf-8''"
    for enc in encoded:
        if len(piece) + len(enc) > room:
            params.append(piece)
            piece = f"{name}*{len(params)}*="
        piece += enc
    params.append(piece)
    return params


def _quoted_words(name: str, value: str) -> list[str]:
    """``name="…"`` as lines: plain when ASCII, else encoded-words folded one per line."""
    if _is_ascii(value):
        return [f'{name}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"']
    words = encoded_words(value, first_room=MAX_LINE - len(name) - 4)
    words[0] = f'{name}="' + words[0]
    words[-1] += '"'
    return words


def _param_header(field_name: str, value: str, params: list[list[str]]) -> str:
    """``field_name: value;`` then each parameter on folded lines (a parameter may span lines)."""
    lines = [f"{field_name}: {value}"]
    for param in params:
        lines[-1] += ";"
        lines.extend(" " + piece for piece in param)
    return CRLF.join(lines)


def attachment_headers(filename: str, content_type: str = "") -> list[str]:
    """Content-Type and Content-Disposition headers naming ``filename`` both ways."""
    if not content_type:
        suffix = Path(filename).suffix.lower()
        content_type = SPREADSHEET_TYPES.get(suffix) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    disposition = [_quoted_words("filename", filename)]
    if not _is_ascii(filename):
        disposition += [[p] for p in _rfc2231_params("filename", filename)]
    return [
        _param_header("Content-Type", content_type, [_quoted_words("name", filename)]),
        _param_header("Content-Disposition", "attachment", disposition),
        "Content-Transfer-Encoding: base64",
    ]


def _b64_lines(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return CRLF.join(text[i : i + 76] for i in range(0, len(text), 76))


def _header(name: str, value: str) -> str:
    if _is_ascii(value) and len(name) + 2 + len(value) <= MAX_LINE:
        return f"{name}: {value}"
    encoded = Header(value, "utf-8", header_name=name).encode(linesep=CRLF, maxlinelen=MAX_LINE)
    return f"{name}: {encoded}"


def render_message(msg: Outgoing) -> bytes:
    """Serialise ``msg`` as multipart/mixed: a UTF-8 text body and base64 attachments."""
    from datetime import datetime, timezone

    date = msg.date or datetime.now(timezone.utc).astimezone()
    boundary = "=_zwgk_" + uuid.uuid4().hex
    sender = formataddr((msg.sender_name, msg.sender), charset="utf-8") if msg.sender_name else msg.sender
    head = [
        _header("From", sender),
        _header("To", ", ".join(msg.to)),
        _header("Subject", msg.subject),
        f"Date: {format_datetime(date)}",
        f"Message-ID: {msg.message_id or make_msgid(domain=_domain(msg.sender))}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
    ]
    parts = [
        CRLF.join(['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: base64", "",
                   _b64_lines(msg.body.replace("\r\n", "\n").replace("\n", CRLF).encode("utf-8"))])
    ]
    for att in msg.attachments:
        parts.append(CRLF.join(attachment_headers(att.filename, att.content_type) + ["", _b64_lines(att.data)]))
    out = CRLF.join(head) + CRLF + CRLF + "This is a multipart message in MIME format." + CRLF
    for p in parts:
        out += f"--{boundary}{CRLF}{p}{CRLF}"
    out += f"--{boundary}--{CRLF}"
    return out.encode("ascii")


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "zwgk-xl.local"
