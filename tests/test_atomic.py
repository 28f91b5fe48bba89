"""Outputs are written atomically: a failed write never damages the old file."""

import pytest

from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.errors import FormError


def test_success_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_failure_keeps_old_file(tmp_path):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("writer crashed")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_unwritable_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(FormError, match="无法写入"):
        with atomic_path(blocker / "out.xlsx", FormError):
            pass
