"""Locate user-editable templates: the 台账 folder's copy first, then the defaults."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def default_template(name: str) -> Path:
    """Path of a bundled default template (``templates/<name>`` in the repo)."""
    return Path(str(resources.files("zwgk_xl.templates").joinpath(name)))


def template_path(name: str, workspace: Path | None = None) -> Path:
    """The template a user edited in ``<台账>/templates/<name>``, else the default."""
    if workspace is not None:
        own = Path(workspace) / "templates" / name
        if own.is_file():
            return own
    return default_template(name)
