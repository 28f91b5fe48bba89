"""Fixtures shared by the whole suite: the bundled unit directories and one demo run."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from zwgk_xl.core.units import load_directory, sample_directory_path


@pytest.fixture(scope="session")
def county():
    """The bundled sample county (40 departments, 10 townships)."""
    return load_directory(sample_directory_path("county"))


@pytest.fixture(scope="session")
def bureau():
    """The bundled bureau's 科室 directory."""
    return load_directory(sample_directory_path("bureau"), level="局")


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """``zwgk-xl demo`` run once: (folder, CliRunner result)."""
    from zwgk_xl.cli import main

    folder = tmp_path_factory.mktemp("demo") / "示例台账"
    return folder, CliRunner().invoke(main, ["demo", str(folder)])
