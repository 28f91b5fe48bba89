"""Findings come from one catalogue: every kind made anywhere in the package is listed in core.findings.KINDS."""

from __future__ import annotations

import ast
from pathlib import Path

import zwgk_xl
from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import Finding

PKG = Path(zwgk_xl.__file__).parent


def _made_kinds() -> dict[str, list[str]]:
    """kind -> places, for every ``finding("kind", …)`` / ``Finding("kind", …)`` / ``Finding(type="kind")``."""
    made: dict[str, list[str]] = {}
    for path in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in ("finding", "Finding"):
                continue
            arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "type"), None)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                made.setdefault(arg.value, []).append(f"{path.relative_to(PKG)}:{node.lineno}")
    return made


def test_every_kind_made_is_catalogued():
    made = _made_kinds()
    assert len(made) >= 20  # the scan really finds the calls
    missing = {k: v for k, v in made.items() if k not in fk.KINDS}
    assert not missing, f"finding kinds outside the catalogue: {missing}"


def test_every_catalogued_kind_has_a_severity_title_and_action():
    for kind, (severity, title, action) in fk.KINDS.items():
        assert severity in (fk.ERROR, fk.WARNING, fk.INFO), kind
        assert title and action and action.endswith("。"), kind


def test_finding_takes_its_severity_and_action_from_the_catalogue():
    f = fk.finding("invalid-date", "完成时间「20200901」不是日期。", unit="县财政局", cell="G7")
    assert isinstance(f, Finding) and f.severity == fk.KINDS["invalid-date"][0] and f.action == fk.KINDS["invalid-date"][2]
    assert fk.counts([f, fk.finding("lock-file", "x")]) == {"errors": 0, "warnings": 1, "notes": 1}
