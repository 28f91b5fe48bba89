"""Mail settings: ``[mail]`` in the 台账 folder's ``zwgk.toml``, overridden by the environment.

Passwords are never read from or written to a file: they come from
``ZWGK_SMTP_PASSWORD`` / ``ZWGK_IMAP_PASSWORD`` or the system keyring
(service ``zwgk-xl``, keyed by the user name).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Mapping

from zwgk_xl.core.errors import MailError, WorkspaceError
from zwgk_xl.ledger.settings import load_settings
from zwgk_xl.ledger.store import CONFIG_NAME

KEYRING_SERVICE = "zwgk-xl"
SECURITIES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {
    "smtp": {"ssl": 465, "starttls": 587, "none": 25},
    "imap": {"ssl": 993, "starttls": 143, "none": 143},
}

# config field -> (toml key, environment variable)
_SOURCES = {
    "host": ("host", "ZWGK_SMTP_HOST"),
    "port": ("port", "ZWGK_SMTP_PORT"),
    "security": ("security", "ZWGK_SMTP_SECURITY"),
    "user": ("user", "ZWGK_SMTP_USER"),
    "sender": ("from", "ZWGK_MAIL_FROM"),
    "sender_name": ("from_name", "ZWGK_MAIL_FROM_NAME"),
    "imap_host": ("imap_host", "ZWGK_IMAP_HOST"),
    "imap_port": ("imap_port", "ZWGK_IMAP_PORT"),
    "imap_security": ("imap_security", "ZWGK_IMAP_SECURITY"),
    "imap_user": ("imap_user", "ZWGK_IMAP_USER"),
    "imap_folder": ("imap_folder", "ZWGK_IMAP_FOLDER"),
    "cafile": ("cafile", "ZWGK_MAIL_CAFILE"),
    "rate": ("rate", "ZWGK_MAIL_RATE"),
    "contact": ("contact", "ZWGK_MAIL_CONTACT"),
}


@dataclass
class MailConfig:
    """SMTP and IMAP settings (no passwords)."""

    host: str = ""
    port: int = 0  # 0: the default port of ``security``
    security: str = "ssl"
    user: str = ""
    sender: str = ""  # the From address; defaults to ``user``
    sender_name: str = ""  # display name, e.g. 县人民政府办公室
    imap_host: str = ""
    imap_port: int = 0
    imap_security: str = "ssl"
    imap_user: str = ""  # defaults to ``user``
    imap_folder: str = "INBOX"
    cafile: str = ""  # extra CA bundle for servers with a private certificate
    rate: float = 0.0  # messages per minute; 0 means no limit
    contact: str = ""  # the office's contact line, for the templates
    source: str = ""  # where the settings came from, for messages

    @property
    def smtp_port(self) -> int:
        return self.port or DEFAULT_PORTS["smtp"][self.security]

    @property
    def imap_port_or_default(self) -> int:
        return self.imap_port or DEFAULT_PORTS["imap"][self.imap_security]

    @property
    def from_address(self) -> str:
        return self.sender or self.user

    @property
    def imap_login(self) -> str:
        return self.imap_user or self.user

    def to_dict(self) -> dict:
        return asdict(self)


def _coerce(cfg: MailConfig, name: str, value, origin: str) -> None:
    kind = {f.name: f.type for f in fields(MailConfig)}[name]
    try:
        if kind == "int":
            value = int(value)
        elif kind == "float":
            value = float(value)
        else:
            value = str(value).strip()
    except (TypeError, ValueError):
        raise MailError(f"{origin} 中的邮件设置 {_SOURCES[name][0]} 值「{value}」不是数字，请改正。") from None
    if name in ("security", "imap_security"):
        value = value.lower()
        if value not in SECURITIES:
            raise MailError(
                f"{origin} 中的加密方式「{value}」无法识别，请填 ssl、starttls 或 none。"
            )
    setattr(cfg, name, value)


def load_config(workspace: Path | None = None, env: Mapping[str, str] | None = None) -> MailConfig:
    """Read ``[mail]`` from ``<workspace>/zwgk.toml``, then apply the ``ZWGK_*`` environment."""
    env = os.environ if env is None else env
    cfg = MailConfig()
    origins = []
    path = Path(workspace) / CONFIG_NAME if workspace is not None else None
    if path is not None and path.is_file():
        try:
            table = load_settings(workspace, env=env).mail
        except WorkspaceError as e:
            raise MailError(str(e)) from None
        if "password" in table:
            raise MailError(
                f"配置文件 {path} 中不应保存密码，请删除 password 一行，"
                "改用环境变量 ZWGK_SMTP_PASSWORD 或系统密钥环。"
            )
        for name, (key, _) in _SOURCES.items():
            if key in table:
                _coerce(cfg, name, table[key], str(path))
        origins.append(str(path))
    for name, (_, var) in _SOURCES.items():
        if env.get(var, "").strip():
            _coerce(cfg, name, env[var], f"环境变量 {var}")
            origins.append(var)
    cfg.source = "、".join(dict.fromkeys(origins))
    return cfg


def get_password(kind: str, user: str, env: Mapping[str, str] | None = None) -> str | None:
    """The SMTP (``kind="smtp"``) or IMAP password: environment first, then the keyring."""
    env = os.environ if env is None else env
    names = ["ZWGK_SMTP_PASSWORD"] if kind == "smtp" else ["ZWGK_IMAP_PASSWORD", "ZWGK_SMTP_PASSWORD"]
    for var in names:
        if env.get(var):
            return env[var]
    if not user:
        return None
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, user)
    except Exception:  # noqa: BLE001 - no keyring backend on this machine
        return None
