"""The one result protocol every command returns, so front ends only render.

A result carries ``findings`` (catalogued in :mod:`zwgk_xl.core.findings`)
and answers ``valid``, ``exit_code``, ``summary()`` (one Chinese line) and
``to_dict()`` (what ``--json`` prints).  Exit codes mean the same for every
command: 0 clean, 1 done with findings above info, 2 not done (a usage or input
error, raised as :class:`zwgk_xl.core.errors.ZwgkError`, nothing changed),
3 an unexpected error (a bug).
"""

from __future__ import annotations

from typing import ClassVar

from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import Finding

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


class Result:
    """Mixin for a command's result dataclass: it defines ``findings``, ``summary()`` and ``data()``."""

    command: ClassVar[str] = ""
    findings: list[Finding]

    @property
    def valid(self) -> bool:
        """True when no finding is more serious than info."""
        return fk.is_clean(self.findings)

    @property
    def exit_code(self) -> int:
        return EXIT_CLEAN if self.valid else EXIT_FINDINGS

    def summary(self) -> str:
        """One line of Chinese saying what was done (shown by the CLI and the Excel alert)."""
        raise NotImplementedError

    def data(self) -> dict:
        """The command-specific part of :meth:`to_dict`."""
        return {}

    def details(self) -> list[str]:
        """Extra lines a front end may show above the summary (default: none)."""
        return []

    @property
    def findings_where(self) -> str:
        """Where every finding can be seen when a front end lists only some."""
        return "加 --json 可输出全部"

    def listed_findings(self) -> tuple[list[Finding], str]:
        """(the findings a front end lists: :func:`findings.brief`; a line counting the others by kind, or "")."""
        shown, left = fk.brief(self.findings)
        if not left:
            return shown, ""
        return shown, (f"……另有 {sum(n for _, n in left)} 条未列出（{self.findings_where}）："
                       + "，".join(f"{k} {n} 条" for k, n in left) + "。")

    def findings_line(self) -> str:
        """「错误 a 条，警告 b 条，提示 c 条」 or "" when there are none."""
        c = fk.counts(self.findings)
        if not any(c.values()):
            return ""
        return f"错误 {c['errors']} 条，警告 {c['warnings']} 条，提示 {c['notes']} 条"

    def to_dict(self) -> dict:
        """The JSON shape printed by ``--json``: the same keys first for every command."""
        return {"command": self.command, "valid": self.valid, "exit_code": self.exit_code,
                "summary": self.summary(), "counts": fk.counts(self.findings), **self.data(),
                "findings": [f.to_dict() for f in self.findings]}
