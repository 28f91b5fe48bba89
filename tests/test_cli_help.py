"""Every command has help text with an example, and README documents it."""

import re
from pathlib import Path

import click
from click.testing import CliRunner

from zwgk_xl.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        path = prefix + (name,)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, path)
        else:
            yield path, cmd


def test_every_command_has_help_with_example_and_readme_entry():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    runner = CliRunner()
    seen = 0
    for path, cmd in _commands(main):
        seen += 1
        result = runner.invoke(main, list(path) + ["--help"])
        assert result.exit_code == 0, path
        assert "示例" in result.output, f"{' '.join(path)}: help has no 示例"
        assert f"zwgk-xl {' '.join(path)}" in readme, f"README does not mention zwgk-xl {' '.join(path)}"
    assert seen >= 6


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    m = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", readme, re.S)
    assert m, "README must mark its test command with <!-- test-command -->"
    test_cmd = m.group(1).strip().splitlines()[-1]
    assert test_cmd in ci.splitlines()
