"""Helpers for the mail tests: a real SMTP server (aiosmtpd), a real IMAP server (dovecot), sample forms."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from zwgk_xl.mail.config import MailConfig
from zwgk_xl.core.model import Deadline, Document, Node
from zwgk_xl.core.units import Directory, Unit

SENDER = "office@gov.example.cn"
ROUND = "2021年第二季度"
DUE = "2021-06-25"
UNITS = [
    ("县发展和改革局", "fgj@dept.example.cn"),
    ("县教育体育局", "jty@dept.example.cn; jty2@dept.example.cn"),
    ("县财政局", "czj@dept.example.cn"),
    ("县市场监督管理局", "scj@dept.example.cn"),
    ("县卫生健康局", "wjj@dept.example.cn"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_directory(emails: dict[str, str] | None = None) -> Directory:
    """A 部门名录 of UNITS, with ``emails`` overriding some addresses."""
    emails = {**dict(UNITS), **(emails or {})}
    return Directory(units=[Unit(name=n, email=e, contact="联络员") for n, e in emails.items()])


def make_plan(units: list[str], deadline: str = "2021-12-31") -> Document:
    """A plan with one task led by each unit, the next unit cooperating."""
    tasks = []
    for i, unit in enumerate(units, 1):
        tasks.append(Node(id=f"一.({i})", path=["一", f"({i})"], title=f"任务{i}", text=f"任务{i}的要求。",
                          is_task=True, lead_local=[unit], others_local=[units[i % len(units)]] if len(units) > 1 else [],
                          deadline=Deadline(deadline, deadline, "date")))
    root = Node(id="一", path=["一"], title="推进政务公开", children=tasks)
    return Document(title="2021年政务公开工作要点", year=2021, roots=[root])


def make_forms(out_dir: Path, units: list[str] | None = None, round: str = ROUND) -> list:
    """Real fill-in forms written by zwgk_xl.forms for ``units``."""
    from zwgk_xl.forms.writer import write_forms

    units = units or [u for u, _ in UNITS]
    return write_forms(make_plan(units), make_directory(), round, DUE, out_dir, contact="张三 0878-1234567")


def smtp_config(port: int, **kw) -> MailConfig:
    return MailConfig(host="127.0.0.1", port=port, security="none", sender=SENDER, sender_name="县人民政府办公室",
                      contact="张三 0878-1234567", **kw)


class Capture:
    """aiosmtpd handler keeping each accepted envelope; may refuse the n-th message or some recipients."""

    def __init__(self, refuse_nth: int | None = None, refuse_rcpt: tuple[str, ...] = ()):
        self.envelopes = []
        self.data_count = 0
        self.refuse_nth, self.refuse_rcpt = refuse_nth, refuse_rcpt

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_count += 1
        if self.data_count == self.refuse_nth:
            return "550 5.7.1 Message refused by policy"
        self.envelopes.append(envelope)
        return "250 Message accepted"


@contextmanager
def smtp_server(handler, user: str | None = None, password: str | None = None, tls: str = "",
                cert_dir: Path | None = None):
    """A real SMTP server on 127.0.0.1; with ``user`` it requires AUTH (without TLS).

    ``tls="ssl"`` serves implicit TLS, ``tls="starttls"`` requires STARTTLS, both with a
    self-signed certificate written to ``cert_dir`` (cert.pem).
    """
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    kw = {}
    if tls:
        cert, key = _self_signed(cert_dir)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        kw = {"ssl_context": ctx} if tls == "ssl" else {"tls_context": ctx, "require_starttls": True}
    if user is not None:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)

        kw.update(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kw)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


# ---------------------------------------------------------------------------
# dovecot

DOVECOT_USER = "office"
DOVECOT_PASSWORD = "s3cret-pass"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return cert_path, key_path


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class Dovecot:
    """A private dovecot IMAP server (SSL only) with one Maildir user."""

    def __init__(self, root: Path):
        import grp
        import pwd
        import tempfile

        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.cert, key = _self_signed(root)
        (root / "run").mkdir()
        uid, gid = os.getuid(), os.getgid()
        user, group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
        login_user = user
        self.mail_home = root / "home"
        if uid == 0:
            # dovecot refuses root for login processes and for mail access: the mailbox
            # belongs to nobody, in a folder of its own that nobody can reach.
            login_user = next(n for n in ("dovenull", "nobody") if _user_exists(n))
            nobody = pwd.getpwnam("nobody")
            uid, gid = nobody.pw_uid, nobody.pw_gid
            self.mail_home = Path(tempfile.mkdtemp(prefix="zwgk-imap-"))
            os.chmod(self.mail_home, 0o755)
        self.maildir = self.mail_home / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        for folder in (self.mail_home, self.maildir, *(self.maildir / s for s in ("cur", "new", "tmp"))):
            os.chown(folder, uid, gid)
        self.mail_uid, self.mail_gid = uid, gid
        (root / "passwd").write_text(f"{DOVECOT_USER}:{{PLAIN}}{DOVECOT_PASSWORD}:::::\n")
        self.conf = root / "dovecot.conf"
        self.conf.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/run
instance_name = zwgk-test-{self.port}
log_path = {root}/dovecot.log
ssl = required
ssl_cert = <{self.cert}
ssl_key = <{key}
disable_plaintext_auth = yes
auth_mechanisms = plain login
mail_location = maildir:{self.maildir}
default_login_user = {login_user}
default_internal_user = {user}
default_internal_group = {group}
mail_uid = {uid}
mail_gid = {gid}
mail_home = {self.mail_home}
mail_privileged_group =
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.port}
    ssl = yes
  }}
}}
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
""")
        self.proc = None
        self.n = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", str(self.conf)], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.root / "dovecot.log")
                raise RuntimeError(f"dovecot exited: {self.proc.stdout.read().decode()} "
                                   f"{log.read_text() if log.exists() else ''}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not start listening")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if not str(self.mail_home).startswith(str(self.root)):
            shutil.rmtree(self.mail_home, ignore_errors=True)

    def deliver(self, raw: bytes) -> None:
        """Drop a message into the Maildir's new/ (as a local delivery agent would)."""
        self.n += 1
        name = f"{int(time.time())}.M{self.n}P{os.getpid()}.zwgk"
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, self.mail_uid, self.mail_gid)
        os.replace(tmp, self.maildir / "new" / name)

    def config(self) -> MailConfig:
        return MailConfig(imap_host="127.0.0.1", imap_port=self.port, imap_security="ssl",
                          imap_user=DOVECOT_USER)

    def ssl_context(self):
        import ssl

        return ssl.create_default_context(cafile=str(self.cert))


def have_dovecot() -> bool:
    return shutil.which("dovecot") is not None
