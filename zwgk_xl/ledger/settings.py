"""The one settings resolver: ``zwgk.toml`` in the 台账 folder, then the environment, then defaults.

Every stage takes ``workspace=`` and asks :func:`load_settings` for what it
needs (the unit directory, the organ and area, the contact line, mail); no
other code reads ``zwgk.toml``.  Environment variables win over the file, so
``ZWGK_MAIL_CONTACT`` reaches the mail body and the form alike.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from zwgk_xl.core import paths
from zwgk_xl.core.errors import InputError, WorkspaceError
from zwgk_xl.ledger.store import CONFIG_NAME, read_config

# setting -> (toml table or "" for the top level, toml key, environment variable)
SOURCES: dict[str, tuple[str, str, str]] = {
    "units": ("", "units", "ZWGK_UNITS"),
    "area": ("", "area", "ZWGK_AREA"),
    "level": ("", "level", "ZWGK_LEVEL"),
    "organ": ("report", "organ", "ZWGK_ORGAN"),
    "recipient": ("report", "recipient", "ZWGK_RECIPIENT"),
    "office": ("report", "office", "ZWGK_OFFICE"),
    "contact": ("mail", "contact", "ZWGK_MAIL_CONTACT"),
}
LEVELS = ("县", "市", "局")


@dataclass
class Settings:
    """Resolved settings of one 台账 folder (no passwords: those never live in files)."""

    workspace: Path | None = None
    units: str = ""  # 部门名录 path as written (relative to the 台账 folder)
    area: str = ""  # e.g. 武定县: titles of the 分解表 and the report
    level: str = "县"  # 县 / 市 / 局: the local level decompose maps onto
    organ: str = ""  # the issuing organ, signs the report (落款)
    recipient: str = ""  # 主送机关 of the report
    office: str = ""  # the 政务公开 office proposed as lead for tasks addressed to all units
    contact: str = ""  # the office's contact line on forms and in mails
    mail: dict = field(default_factory=dict)  # the raw ``[mail]`` table (mail.config reads it)
    report: dict = field(default_factory=dict)  # the raw ``[report]`` table (the report template's variables)
    origins: dict[str, str] = field(default_factory=dict)  # setting -> where its value came from

    def units_path(self, explicit=None) -> Path | None:
        """The 部门名录 to use: ``explicit`` (an option), else ``units`` of the settings, else None."""
        if explicit:
            return Path(explicit)
        if not self.units:
            return None
        p = Path(self.units).expanduser()
        return p if p.is_absolute() or self.workspace is None else self.workspace / p

    def required_units_path(self, explicit=None) -> Path:
        """:meth:`units_path`, which must name an existing file (an :class:`InputError` names what is missing)."""
        path = self.units_path(explicit)
        if path is None:
            raise InputError("没有指定部门名录。请用 --units 给出部门名录.xlsx，或在 zwgk.toml 中写 units = \"部门名录.xlsx\"。")
        where = "--units" if explicit else f"zwgk.toml 的 units：{self.origins.get('units', CONFIG_NAME)}"
        return paths.input_file(path, "部门名录", where)

    def directory(self, explicit=None, *, required: bool = False, level: str | None = None):
        """The unit directory (:class:`zwgk_xl.core.units.Directory`), or None when none is configured."""
        from zwgk_xl.core.units import load_directory  # heavy (openpyxl); only when asked

        if not required and self.units_path(explicit) is None:
            return None
        return load_directory(self.required_units_path(explicit), level=level or self.level)

    def to_dict(self) -> dict:
        return {"workspace": str(self.workspace or ""), "units": self.units, "area": self.area, "level": self.level,
                "organ": self.organ, "recipient": self.recipient, "office": self.office, "contact": self.contact,
                "origins": dict(self.origins)}


def load_settings(workspace=None, env: Mapping[str, str] | None = None) -> Settings:
    """Resolve the settings of ``workspace`` (None: defaults and the environment only)."""
    env = os.environ if env is None else env
    ws = Path(workspace) if workspace is not None else None
    config = read_config(ws) if ws is not None else {}
    s = Settings(workspace=ws)
    for table in ("mail", "report"):
        value = config.get(table, {})
        if not isinstance(value, dict):
            raise WorkspaceError(f"配置文件 {ws / CONFIG_NAME} 中的 {table} 应是一个表（[{table}]），请改正。")
        setattr(s, table, dict(value))
    for name, (table, key, var) in SOURCES.items():
        scope = config if not table else config.get(table, {})
        if key in scope and str(scope[key]).strip():
            setattr(s, name, str(scope[key]).strip())
            s.origins[name] = str(ws / CONFIG_NAME)
        if str(env.get(var, "")).strip():
            setattr(s, name, str(env[var]).strip())
            s.origins[name] = f"环境变量 {var}"
    if s.level not in LEVELS:
        raise WorkspaceError(f"设置 level 的值「{s.level}」无法识别（{s.origins.get('level', '')}），请填 县、市 或 局。")
    if not s.organ and "organ" in s.report:
        s.organ = str(s.report["organ"])
    return s
