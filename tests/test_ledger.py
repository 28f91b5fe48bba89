"""The ledger: workspace discovery, schema, archive, plans, submissions and superseding."""

from __future__ import annotations

import sqlite3

import pytest

from zwgk_xl.core.errors import WorkspaceError
from zwgk_xl.ledger.store import (ARCHIVE_DIR, LEDGER_NAME, SCHEMA_VERSION, Ledger, Submission, find_workspace,
                            read_config)

from _merge_helpers import ROUND, sample_plan


def test_find_workspace_walks_up_to_ledger_or_config(tmp_path):
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert find_workspace(start=deep) == deep  # nothing found: the start folder itself
    (tmp_path / "a" / "zwgk.toml").write_text('units = "名录.xlsx"\n', encoding="utf-8")
    assert find_workspace(start=deep) == tmp_path / "a"
    assert read_config(tmp_path / "a") == {"units": "名录.xlsx"}
    Ledger.open(tmp_path / "a" / "b").close()
    assert find_workspace(start=deep) == tmp_path / "a" / "b"
    assert find_workspace(explicit=tmp_path) == tmp_path
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(WorkspaceError, match="不是文件夹"):
        find_workspace(explicit=tmp_path / "f.txt")


def test_open_creates_schema_once_and_keeps_id(tmp_path):
    with Ledger.open(tmp_path) as led:
        assert led.created and (tmp_path / LEDGER_NAME).is_file()
        lid = led.ledger_id
        assert len(lid) == 36
        assert led.conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    with Ledger.open(tmp_path) as led:
        assert not led.created and led.ledger_id == lid


def test_newer_schema_and_garbage_file_are_refused(tmp_path):
    Ledger.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / LEDGER_NAME)
    conn.execute("UPDATE schema_version SET version=99")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="升级"):
        Ledger.open(tmp_path)
    other = tmp_path / "x"
    other.mkdir()
    (other / LEDGER_NAME).write_bytes(b"not a database at all" * 100)
    with pytest.raises(WorkspaceError, match="不是 zwgk-xl 的台账"):
        Ledger.open(other)
    assert (other / LEDGER_NAME).read_bytes() == b"not a database at all" * 100  # never replaced


def test_archive_by_hash_once(tmp_path):
    src = tmp_path / "in" / "表.xlsx"
    src.parent.mkdir()
    src.write_bytes(b"content")
    with Ledger.open(tmp_path / "ws") as led:
        sha, archived = led.archive_file(src)
        assert archived.parent == tmp_path / "ws" / ARCHIVE_DIR and archived.read_bytes() == b"content"
        copy = tmp_path / "in" / "副本.xlsx"
        copy.write_bytes(b"content")
        assert led.archive_file(copy) == (sha, archived)
        assert len(list(archived.parent.iterdir())) == 1


def test_plans_rounds_and_superseding(tmp_path):
    plan = sample_plan()
    with Ledger.open(tmp_path) as led:
        led.store_plan("2021年第一季度", plan)
        led.ensure_round(ROUND)
        assert led.rounds() == ["2021年第一季度", ROUND]
        assert led.previous_round(ROUND) == "2021年第一季度"
        assert led.previous_round("2021年第一季度") is None
        back = led.plan_for_round("2021年第一季度")
        assert back == plan  # the whole tree round-trips
        assert led.plan_for_round(ROUND) is None
        assert led.latest_plan() == ("2021年第一季度", plan)

        def sub(sha, at, status):
            return Submission(ROUND, "县教育局", sha, f"{sha}.xlsx", at, "metadata", filler="李四",
                              values={"一.(2)": {"row": 6, "role": "牵头", "status": status, "progress": "已公开"}})

        first = led.store_submission(sub("aaa", "2021-07-01T09:00:00", "推进中"))
        assert led.store_submission(sub("aaa", "2021-07-01T09:00:00", "推进中")) == first  # idempotent
        second = led.store_submission(sub("bbb", "2021-07-02T09:00:00", "已完成"))
        subs = led.submissions(ROUND)
        assert [(s.id, s.superseded_by) for s in subs] == [(first, second), (second, None)]
        reports = led.latest_reports(ROUND)
        assert list(reports) == [("一.(2)", "县教育局")]
        rep = reports[("一.(2)", "县教育局")]
        assert (rep.status, rep.file, rep.filler, rep.submitted_at) == ("已完成", "bbb.xlsx", "李四",
                                                                        "2021-07-02T09:00:00")


def test_config_saved_with_a_bom_is_read(tmp_path):
    """Windows Notepad saves zwgk.toml with a byte-order mark; settings still apply."""
    from zwgk_xl.ledger.store import read_config
    from zwgk_xl.mail.config import load_config

    (tmp_path / "zwgk.toml").write_bytes('\ufeffunits = "部门名录.xlsx"\n[mail]\nhost = "smtp.example.cn"\n'.encode("utf-8"))
    assert read_config(tmp_path)["units"] == "部门名录.xlsx"
    assert load_config(tmp_path, env={}).host == "smtp.example.cn"
