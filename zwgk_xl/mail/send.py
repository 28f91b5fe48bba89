"""Sending: each unit its forms (``send``), and reminders to late units (``remind``).

Every attempt is recorded in the ledger's ``mail_log`` as soon as it ends, so
a re-run after an interruption sends only what was not sent.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
from dataclasses import asdict, dataclass, field
from datetime import date as _date
from datetime import datetime
from email.utils import make_msgid
from pathlib import Path
from string import Template
from typing import Callable, Iterable

from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.errors import MailError, UsageError
from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import Finding
from zwgk_xl.core.results import Result
from zwgk_xl.core.cntext import cn_date
from zwgk_xl.core.resources import template_path
from zwgk_xl.mail import log
from zwgk_xl.mail.compose import SPREADSHEET_TYPES, Attachment, Outgoing
from zwgk_xl.mail.config import MailConfig, get_password

FORM_NAME = re.compile(r"^(?P<round>.+?)_(?P<unit>.+)_落实情况填报表\.(?:xlsx|xlsm|xls|ods|et)$", re.IGNORECASE)
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_ADDRESS_SPLIT = re.compile(r"[;,;,、\s]+")

STATUS_LABELS = {
    "sent": "已发送",
    "already-sent": "此前已发送，跳过",
    "dry-run": "已写出 .eml（未发送）",
    "failed": "发送失败",
    "pending": "未发送（中断）",
    "no-address": "名录中没有邮箱",
    "invalid-address": "邮箱格式不正确",
    "unknown-unit": "名录中没有该单位",
}


# ---------------------------------------------------------------------------
# Results


@dataclass
class MailItem:
    """What happened to one unit's message."""

    unit: str
    recipients: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    status: str = ""  # a key of STATUS_LABELS
    message_id: str = ""
    error: str = ""
    eml: str = ""  # the .eml written by a dry run
    reason: str = ""  # remind: why the unit is reminded
    tasks: list[str] = field(default_factory=list)  # remind: overdue task ids

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def attached(self) -> bool:
        """True when the files went out with the message (or into the dry run's .eml)."""
        return bool(self.files) and self.status in ("sent", "dry-run")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["label"] = self.label
        return d


@dataclass
class MailResult(Result):
    """The outcome of ``send`` or ``remind`` for one round."""

    kind: str  # "send" | "remind"
    round: str
    items: list[MailItem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    dry_run: bool = False

    @property
    def command(self) -> str:  # type: ignore[override]
        return f"mail-{self.kind}"

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def counts(self) -> dict[str, int]:
        """Items per status (keys of STATUS_LABELS, in that order), leaving out zeros."""
        return {s: self.count(s) for s in STATUS_LABELS if self.count(s)}

    @property
    def ok(self) -> bool:
        """True when nothing failed and every unit could be addressed."""
        return not any(f.severity == "error" for f in self.findings)

    def summary(self) -> str:
        what = "通知" if self.kind == "send" else "催报"
        counts = "，".join(f"{STATUS_LABELS[s]} {n}" for s, n in self.counts.items()) or "无"
        return f"轮次「{self.round}」{what}{'（演练，未发送）' if self.dry_run else ''}：{counts}。"

    def details(self) -> list[str]:
        lines = []
        for item in self.items:
            extra = f"［{item.reason}］" if item.reason else ""
            files = f" 附件：{'、'.join(item.files)}" if item.attached else ""
            where = f" → {'，'.join(item.recipients)}" if item.recipients else ""
            note = f"（{item.error}）" if item.error else ""
            lines.append(f"  {item.unit}{extra}：{item.label}{note}{where}{files}")
            if item.eml:
                lines.append(f"    {item.eml}")
        return lines

    def data(self) -> dict:
        return {"kind": self.kind, "round": self.round, "dry_run": self.dry_run, "ok": self.ok,
                "by_status": self.counts, "items": [i.to_dict() for i in self.items]}


# ---------------------------------------------------------------------------
# Small parts


class Throttle:
    """At most ``rate`` messages per minute; ``clock`` and ``sleep`` are injectable for tests."""

    def __init__(self, rate: float = 0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 60.0 / rate if rate and rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self._last: float | None = None

    def wait(self) -> None:
        """Sleep until the next message may go."""
        if self.interval and self._last is not None:
            delay = self._last + self.interval - self.clock()
            if delay > 0:
                self.sleep(delay)
        self._last = self.clock()


def split_addresses(text: str) -> tuple[list[str], list[str]]:
    """(valid, invalid) addresses in a 邮箱 cell; several may be separated by ; , 、 or spaces."""
    parts = [p.strip("<>") for p in _ADDRESS_SPLIT.split(text or "") if p.strip()]
    return [p for p in parts if _ADDRESS.match(p)], [p for p in parts if not _ADDRESS.match(p)]


def fill_template(name: str, workspace: Path | None, values: dict) -> str:
    """Template ``name`` (the 台账 folder's copy first) with ``${key}`` filled from ``values``."""
    path = template_path(name, workspace)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise MailError(f"邮件模板 {path} 无法读取（{e}），请检查该文件（应为 UTF-8 文本）。") from None
    return Template(text).safe_substitute({k: str(v) for k, v in values.items()})


def due_text(due: str) -> str:
    """``2021-06-25`` → ``2021年6月25日``; other text unchanged; empty → 规定时间."""
    try:
        return cn_date(_date.fromisoformat((due or "").strip()))
    except ValueError:
        return (due or "").strip() or "规定时间"


def when_text(due: str, today: _date | None = None) -> str:
    """``于2021年6月25日前``, or ``尽快`` when there is no due date or it passed before ``today``."""
    try:
        passed = today is not None and _date.fromisoformat((due or "").strip()) < today
    except ValueError:
        passed = False
    return "尽快" if passed or not (due or "").strip() else f"于{due_text(due)}前"


def _template_values(unit: str, round: str, due: str, config: MailConfig, now: datetime,
                     today: _date | None = None, **extra) -> dict:
    return {
        "unit": unit,
        "round": round,
        "due": due_text(due),
        "when": when_text(due, today),
        "contact": config.contact or config.sender_name or config.from_address,
        "sender_name": config.sender_name,
        "date": cn_date(now),
        **extra,
    }


def _compose(kind: str, workspace: Path | None, values: dict) -> tuple[str, str]:
    subject = fill_template(f"mail_{kind}_subject.txt", workspace, values)
    subject = " ".join(subject.split())  # one line
    body = fill_template(f"mail_{kind}_body.txt", workspace, values)
    return subject, re.sub(r"\n{3,}", "\n\n", body.strip()) + "\n"  # empty fields leave no gaps


# ---------------------------------------------------------------------------
# The forms to send


@dataclass
class FormFile:
    """A form in 下发/ with the unit and round it belongs to."""

    path: Path
    unit: str
    round: str
    due: str = ""
    sha256: str = ""


def _identify_form(path: Path) -> FormFile | None:
    try:
        from zwgk_xl.forms.metadata import read_form_metadata

        meta = read_form_metadata(path)
    except Exception:  # noqa: BLE001 - fall back to the file name
        meta = None
    if meta and meta.get("unit") and meta.get("round"):
        return FormFile(path, meta["unit"], meta["round"], meta.get("due", ""))
    m = FORM_NAME.match(path.name)
    return FormFile(path, m["unit"], m["round"]) if m else None


def collect_forms(forms_dir: Path, round: str | None = None) -> tuple[str, dict[str, list[FormFile]], list[Finding]]:
    """The round and each unit's forms in ``forms_dir``, with findings for unrecognised files."""
    from zwgk_xl.ledger.store import sha256_file

    forms_dir = Path(forms_dir)
    if not forms_dir.is_dir():
        raise MailError(f"找不到下发文件夹 {forms_dir}，请先运行 zwgk-xl split 生成填报表。")
    findings, found = [], []
    for path in sorted(forms_dir.iterdir()):
        if not path.is_file() or path.name.startswith(("~$", ".")) or path.suffix.lower() not in SPREADSHEET_TYPES:
            continue
        form = _identify_form(path)
        if form is None:
            findings.append(fk.finding("mail-form-unidentified", f"无法确定 {path.name} 属于哪个单位，未发送。",
                action="请用 zwgk-xl split 重新生成，或把文件名改为「轮次_单位_落实情况填报表.xlsx」。",
                file=path.name, severity="warning"))
            continue
        found.append(form)
    rounds = sorted({f.round for f in found})
    if round is None:
        if len(rounds) > 1:
            raise UsageError(f"{forms_dir} 中有多个轮次的填报表（{'、'.join(rounds)}），请用 --round 指定要发送的轮次。")
        round = rounds[0] if rounds else ""
    by_unit: dict[str, list[FormFile]] = {}
    for form in found:
        if form.round == round:
            form.sha256 = sha256_file(form.path)
            by_unit.setdefault(form.unit, []).append(form)
    if not by_unit:
        wanted = f"轮次「{round}」的" if round else ""
        raise MailError(f"{forms_dir} 中没有找到{wanted}填报表，请先运行 zwgk-xl split。")
    return round, by_unit, findings


# ---------------------------------------------------------------------------
# SMTP


class SmtpSession:
    """One SMTP connection, opened on first use, with errors turned into Chinese messages."""

    def __init__(self, config: MailConfig, password: str | None = None, ssl_context: ssl.SSLContext | None = None,
                 timeout: float = 60):
        if not config.host:
            raise MailError("未设置发信服务器：请在台账文件夹的 zwgk.toml 的 [mail] 中填写 host,"
                            "或设置环境变量 ZWGK_SMTP_HOST。")
        if not config.from_address:
            raise MailError("未设置发件人：请在 zwgk.toml 的 [mail] 中填写 from，或设置环境变量 ZWGK_MAIL_FROM。")
        self.config, self.timeout = config, timeout
        self.password = password
        self.ssl_context = ssl_context or _ssl_context(config)
        self._smtp: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.config.host}:{self.config.smtp_port}"

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        try:
            if cfg.security == "ssl":
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.smtp_port, timeout=self.timeout, context=self.ssl_context)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.smtp_port, timeout=self.timeout)
                if cfg.security == "starttls":
                    smtp.starttls(context=self.ssl_context)
        except ssl.SSLError as e:
            raise MailError(tls_error("发信", self.where, e, "465 端口一般用 ssl,587 端口用 starttls")) from None
        except (OSError, smtplib.SMTPException) as e:
            raise MailError(f"无法连接发信服务器 {self.where}（{e}）。请检查 host、port 设置和网络。") from None
        if cfg.user:
            self._login(smtp)
        return smtp

    def _login(self, smtp: smtplib.SMTP) -> None:
        cfg = self.config
        password = self.password if self.password is not None else get_password("smtp", cfg.user)
        if not password:
            smtp.close()
            raise MailError(f"没有找到邮箱 {cfg.user} 的密码：请设置环境变量 ZWGK_SMTP_PASSWORD,"
                            f"或用命令 keyring set zwgk-xl {cfg.user} 存入系统密钥环。")
        try:
            smtp.login(cfg.user, password)
        except smtplib.SMTPAuthenticationError as e:
            smtp.close()
            raise MailError(f"发信服务器 {self.where} 拒绝登录（用户 {cfg.user}）：用户名或密码不正确"
                            f"（{e.smtp_code}）。QQ、163 等邮箱须使用“授权码”而不是登录密码，"
                            "请核对 ZWGK_SMTP_USER 和 ZWGK_SMTP_PASSWORD。") from None
        except smtplib.SMTPNotSupportedError:
            smtp.close()
            raise MailError(f"发信服务器 {self.where} 在当前连接方式下不接受登录，"
                            "请把 security 设为 ssl 或 starttls。") from None
        except (OSError, smtplib.SMTPException) as e:
            smtp.close()
            raise MailError(f"登录发信服务器 {self.where} 失败（{e}）。") from None

    def send(self, sender: str, recipients: list[str], raw: bytes) -> dict:
        """Send one message; reconnect once if the server hung up.  Returns refused recipients."""
        for attempt in (1, 2):
            if self._smtp is None:
                self._smtp = self._connect()
            try:
                return self._smtp.sendmail(sender, recipients, raw)
            except smtplib.SMTPServerDisconnected:
                self._smtp = None
                if attempt == 2:
                    raise
        return {}  # pragma: no cover

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except OSError:  # includes SMTPException
                pass
            self._smtp = None


def _ssl_context(config: MailConfig) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if config.cafile:
        try:
            ctx.load_verify_locations(cafile=config.cafile)
        except (OSError, ssl.SSLError) as e:
            raise MailError(f"证书文件 {config.cafile} 无法读取（{e}），请检查 cafile 设置。") from None
    return ctx


def tls_error(role: str, where: str, e: ssl.SSLError, ports: str) -> str:
    """A Chinese message for a failed TLS handshake with the 发信/收信 server at ``where``."""
    if isinstance(e, ssl.SSLCertVerificationError):
        return (f"{role}服务器 {where} 的证书无法验证（{e.verify_message}）。若单位邮件系统使用自签证书，"
                "请在 zwgk.toml 的 [mail] 中用 cafile 指定其证书文件。")
    return f"与{role}服务器 {where} 建立加密连接失败（{e.reason or e}）。请检查加密方式设置：{ports}。"


def _smtp_error(e: smtplib.SMTPException) -> str:
    code = getattr(e, "smtp_code", None)
    text = getattr(e, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return ";".join(f"{addr}: {c} {m.decode('utf-8', 'replace') if isinstance(m, bytes) else m}"
                        for addr, (c, m) in e.recipients.items())
    return f"{code} {text}".strip() if code else str(e)


# ---------------------------------------------------------------------------
# Delivery shared by send and remind


@dataclass
class _Planned:
    item: MailItem
    subject: str
    body: str
    attachments: list[Attachment]
    due: str = ""


def _now_iso(now: datetime) -> str:
    return now.isoformat(timespec="seconds")


def _deliver(kind: str, round: str, planned: list[_Planned], result: MailResult, *, config: MailConfig,
             conn, session: SmtpSession | None, dry_run_dir: Path | None, throttle: Throttle,
             clock_now: Callable[[], datetime]) -> None:
    """Send (or write as .eml) each planned message and record it in the ledger."""
    sender = config.from_address or "zwgk-xl@localhost"
    if dry_run_dir is not None:
        Path(dry_run_dir).mkdir(parents=True, exist_ok=True)
    for n, p in enumerate(planned, 1):
        item = p.item
        now = clock_now()
        item.message_id = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
        msg = Outgoing(sender, item.recipients, p.subject, p.body, p.attachments,
                       sender_name=config.sender_name, message_id=item.message_id, date=now)
        raw = msg.render()
        if dry_run_dir is not None:
            item.eml = str(_write_eml(Path(dry_run_dir), f"{n:03d}_{kind}_{item.unit}", raw))
            item.status = "dry-run"
            continue
        throttle.wait()
        try:
            refused = session.send(sender, item.recipients, raw)
        except smtplib.SMTPServerDisconnected as e:
            _mark_pending(planned[n - 1:], result, f"与发信服务器的连接中断（{e}）")
            return
        except MailError as e:  # reconnecting failed
            if n == 1:
                raise
            _mark_pending(planned[n - 1:], result, str(e).rstrip("。"))
            return
        except smtplib.SMTPException as e:  # before OSError: SMTPException subclasses it
            item.status, item.error = "failed", _smtp_error(e)
            result.findings.append(_refusal_finding(item, kind))
        except OSError as e:
            _mark_pending(planned[n - 1:], result, f"与发信服务器的连接中断（{e}）")
            return
        else:
            item.status = "sent"
            if refused:
                item.error = "部分收件人被拒收：" + _smtp_error(smtplib.SMTPRecipientsRefused(refused))
                result.findings.append(_refusal_finding(item, kind, severity="warning"))
        log.record_mail(conn, kind=kind, round=round, unit=item.unit, recipients=item.recipients,
                        files=item.files, hashes=item.hashes, message_id=item.message_id,
                        at=_now_iso(clock_now()), result="sent" if item.status == "sent" else "failed",
                        error=item.error, due=p.due)


def _mark_pending(rest: list[_Planned], result: MailResult, why: str) -> None:
    for p in rest:
        p.item.status, p.item.error = "pending", why
    result.findings.append(fk.finding("mail-interrupted", f"{why}，还有 {len(rest)} 个单位未发送。",
        action="请检查网络后重新运行同一命令，已发送的不会重复发送。", severity="error"))


def _refusal_finding(item: MailItem, kind: str, severity: str = "error") -> Finding:
    what = "通知" if kind == "send" else "催报"
    return fk.finding("mail-refused", f"发给{item.unit}（{'，'.join(item.recipients)}）的{what}邮件被服务器拒收：{item.error}",
        action="请核对部门名录中的邮箱；改正后重新运行，只会补发未成功的单位。",
        unit=item.unit, severity=severity)


def _write_eml(folder: Path, stem: str, raw: bytes) -> Path:
    from zwgk_xl.forms.writer import safe_name

    path = folder / f"{safe_name(stem, 120)}.eml"
    with atomic_path(path, MailError) as tmp:
        tmp.write_bytes(raw)
    return path


def _address_item(unit: str, cell: str | None, result: MailResult) -> MailItem | None:
    """A MailItem with the valid addresses in ``cell`` (None: unit unknown), or None and a finding."""
    item = MailItem(unit=unit)
    valid, invalid = split_addresses(cell or "")
    if cell is None:
        item.status = "unknown-unit"
        result.findings.append(fk.finding("mail-unknown-unit", f"部门名录中没有「{unit}」，未发送。",
            action="请在部门名录中补上该单位（或它的别名）和邮箱后重新运行。", unit=unit, severity="error"))
    elif invalid:
        item.status, item.recipients = "invalid-address", invalid
        result.findings.append(fk.finding("mail-invalid-address", f"{unit}的邮箱「{cell}」格式不正确，未发送。",
            action="请在部门名录的“邮箱”列改正（多个邮箱用分号隔开）后重新运行。", unit=unit, severity="error"))
    elif not valid:
        item.status = "no-address"
        result.findings.append(fk.finding("mail-no-address", f"{unit}没有邮箱，未发送。",
            action="请在部门名录的“邮箱”列补上（催报时用 --units 指定名录）后重新运行，或改用其他方式送达。",
            unit=unit, severity="error"))
    if item.status:
        result.items.append(item)
        return None
    item.recipients = valid
    return item


# ---------------------------------------------------------------------------
# Public entry points


def load_units(directory):
    """``directory`` itself, or the 部门名录 loaded from it when it is a path (None stays None)."""
    if isinstance(directory, (str, Path)):
        from zwgk_xl.core.units import load_directory

        return load_directory(Path(directory))
    return directory


def _open_ledger(workspace: Path, ledger, create: bool):
    """(ledger, opened_here); None when a dry run finds no ledger to read."""
    if ledger is not None:
        return ledger, False
    from zwgk_xl.ledger.store import LEDGER_NAME, Ledger

    if not create and not (Path(workspace) / LEDGER_NAME).is_file():
        return None, False
    return Ledger.open(Path(workspace)), True


def send_forms(forms_dir: Path, directory, workspace: Path, *, round: str | None = None,
               dry_run_dir: Path | None = None, resend: Iterable[str] = (), rate: float | None = None,
               config: MailConfig | None = None, password: str | None = None,
               ssl_context: ssl.SSLContext | None = None, ledger=None,
               clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
               now: Callable[[], datetime] | None = None) -> MailResult:
    """Mail each unit in ``directory`` (a Directory or the 部门名录's path) its forms from ``forms_dir``.

    Units already sent the same files for the round are skipped unless named
    in ``resend``.  With ``dry_run_dir`` the messages are written there as
    .eml files and nothing is sent or recorded.

    Raises:
        MailError: no forms, no server settings, connection or login failure.
        UsageError: several rounds in ``forms_dir`` and no ``round``; ``resend`` names no unit there.
    """
    from zwgk_xl.mail.config import load_config

    config = config or load_config(workspace)
    now = now or (lambda: datetime.now().astimezone())
    round, by_unit, findings = collect_forms(forms_dir, round)
    directory = load_units(directory)
    resend = set(resend)
    unknown = resend - set(by_unit)
    if unknown:
        raise UsageError(f"--resend 指定的单位「{'、'.join(sorted(unknown))}」在 {forms_dir} 中没有轮次"
                         f"「{round}」的填报表。")
    result = MailResult("send", round, findings=findings, dry_run=dry_run_dir is not None)
    ledger, opened = _open_ledger(workspace, ledger, create=dry_run_dir is None)
    try:
        conn = ledger.conn if ledger is not None else None
        if conn is not None:
            log.ensure_tables(conn)
        planned = []
        order = {name: i for i, name in enumerate(getattr(directory, "names", None) or [])}
        for unit, forms in sorted(by_unit.items(), key=lambda kv: order.get(kv[0], len(order))):
            found = directory.get(unit) if directory is not None else None
            item = _address_item(unit, found.email if found is not None else None, result)
            if item is None:
                continue
            item.files = [f.path.name for f in forms]
            item.hashes = [f.sha256 for f in forms]
            if unit not in resend and conn is not None:
                done = [r["at"] for r in log.sent_records(conn, "send", round, unit)
                        if sorted(r["hashes"]) == sorted(item.hashes)]
                if done:
                    item.status, item.error = "already-sent", f"已于 {done[-1]} 发送"
                    result.items.append(item)
                    continue
            due = next((f.due for f in forms if f.due), "")
            values = _template_values(unit, round, due, config, now(), files="、".join(item.files),
                                      count=len(forms))
            subject, body = _compose("send", workspace, values)
            planned.append(_Planned(item, subject, body, [Attachment.from_path(f.path) for f in forms], due))
            result.items.append(item)
        _run(planned, "send", round, result, config, conn, dry_run_dir, password, ssl_context,
             Throttle(config.rate if rate is None else rate, clock, sleep), now)
    finally:
        if opened:
            ledger.close()
    return result


def _run(planned, kind, round, result, config, conn, dry_run_dir, password, ssl_context, throttle, now) -> None:
    if not planned:
        return
    session = None if dry_run_dir is not None else SmtpSession(config, password, ssl_context)
    try:
        _deliver(kind, round, planned, result, config=config, conn=conn, session=session,
                 dry_run_dir=dry_run_dir, throttle=throttle, clock_now=now)
    finally:
        if session is not None:
            session.close()
